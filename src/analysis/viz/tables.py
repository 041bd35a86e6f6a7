"""HTML tables for reports: formatted numbers, and the source line underneath, always.

Numbers are written by :mod:`analysis.viz.formatting` (the same rules as charts and alt text);
a text cell with no value is empty (never "None" or "nan"), and a column with no value in
any row shown (e.g. "Why not" when every row has a figure) is left out.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from analysis.viz import formatting
from analysis.viz.provenance import source_line


def count(value) -> str:
    return "" if formatting.is_missing(value) else formatting.count(value)


def count_or_unpublished(value) -> str:
    """A count, or "not published" where the publisher gave no figure (never 0)."""
    return "not published" if formatting.is_missing(value) else formatting.count(value)


def percent(value) -> str:
    return "n/a" if formatting.is_missing(value) else formatting.share(value)


def months(value) -> str:
    return "not published" if formatting.is_missing(value) else formatting.months(value)


def period_label(partial: set[str]) -> Callable[[object], str]:
    """A formatter marking the part-year periods of ``partial``: "FY2021 (part year)"."""
    return lambda value: formatting.period(value, formatting.text(value) in partial)


#: Columns of a share and its interval limits, written together (:func:`_column_wise`).
INTERVAL_COLUMNS = ("estimate", "lower", "upper")


def _column_wise(shown: pd.DataFrame, formats: dict[str, Callable]) -> dict[str, list[str]]:
    """Columns written as a whole rather than cell by cell: a column of :func:`months` keeps
    one decimal count ("17.0" beside "17.5"), and a share shown with its interval limits
    (``estimate``, ``lower``, ``upper`` as :func:`percent`) has one decimal count with which
    every row's two limits differ ("13.0%, 12.6%, 13.4%", never "13%, 13%, 13%")."""
    out: dict[str, list[str]] = {}
    for column in shown.columns:
        if formats.get(column) is months:
            texts = formatting.numbers(shown[column].tolist())
            out[column] = [months(v) if formatting.is_missing(v) else t
                           for v, t in zip(shown[column], texts, strict=True)]
    trio = [c for c in INTERVAL_COLUMNS if c in shown.columns and formats.get(c) is percent]
    if "lower" in trio and "upper" in trio:
        values = {c: pd.to_numeric(shown[c], errors="coerce") if c in shown.columns else
                  pd.Series(float("nan"), index=shown.index) for c in INTERVAL_COLUMNS}
        d = max((formatting.interval_decimals(e, lo, hi) for e, lo, hi in
                 zip(*(values[c] for c in INTERVAL_COLUMNS), strict=True)), default=0)
        for c in trio:
            out[c] = [percent(v) if formatting.is_missing(v) else f"{v * 100:.{d}f}%"
                      for v in values[c]]
    return out


#: Columns of notes: shown as numbered footnotes under the table, not as a wide column.
NOTE_COLUMNS = ("notes", "note")


def _period_format(table: pd.DataFrame, rows: pd.DataFrame) -> Callable[[object], str]:
    note_columns = [c for c in NOTE_COLUMNS if c in table.columns]
    labels = [formatting.text(p) for p in table["period"]]
    partial = {label for i, label in enumerate(labels)
               if any(formatting.part_year(label, table[c].iloc[i]) for c in note_columns)
               or formatting.part_year(label)}
    partial |= formatting.part_year_periods(rows) & set(labels)
    return period_label(partial)


def _footnotes(shown: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Notes columns replaced by footnote numbers ("1", "2"; one number per distinct note),
    and the notes in number order."""
    notes: list[str] = []
    for column in [c for c in NOTE_COLUMNS if c in shown.columns]:
        marks = []
        for value in shown[column]:
            note = formatting.text(value)
            if not note:
                marks.append("")
                continue
            if note not in notes:
                notes.append(note)
            marks.append(f"[{notes.index(note) + 1}]")
        shown[column] = marks
    return shown, notes


def _wrapped(body: str, notes: list[str], caption: str) -> str:
    """The table in its own scrolling box (first column fixed; the page never widens), its
    footnotes numbered under it."""
    listed = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f'<div class="table-scroll" role="region" tabindex="0" '
            f'aria-label="{html.escape(caption, quote=True)}">{body}</div>'
            + (f'<ol class="table-notes">{listed}</ol>' if notes else ""))


def to_html(table: pd.DataFrame, rows: pd.DataFrame, *, columns: dict[str, str],
            formats: dict[str, Callable] | None = None, keep_empty: bool = False) -> str:
    """``table``'s ``columns`` (renamed to their headings, formatted) in a scrolling box,
    notes as numbered footnotes under it, and the source line of the ``rows`` it was
    computed from. A ``period`` column marks part-year periods."""
    shown = table[[c for c in columns if c in table.columns]].copy()
    formats = dict(formats or {})
    if "period" in shown.columns and "period" not in formats:
        formats["period"] = _period_format(table, rows)
    written = _column_wise(shown, formats)
    for column in shown.columns:
        if column in written:
            shown[column] = written[column]
            continue
        fmt = formats.get(column, formatting.text)
        shown[column] = [fmt(v) for v in shown[column]]
        shown[column] = [formatting.text(v) for v in shown[column]]
    if not keep_empty:
        empty = [c for c in shown.columns if (shown[c] == "").all()]
        shown = shown.drop(columns=empty)
    shown, notes = _footnotes(shown)
    shown = shown.rename(columns=columns)
    body = shown.to_html(index=False, border=0, classes="parole-table", escape=True, na_rep="")
    caption = ", ".join(str(c) for c in shown.columns[:3])
    return (_wrapped(body, notes, f"Table: {caption}")
            + f'<p class="source-line"><em>{html.escape(source_line(rows))}</em></p>')
