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


def percent(value) -> str:
    return "n/a" if formatting.is_missing(value) else formatting.share(value)


def months(value) -> str:
    return "not published" if formatting.is_missing(value) else formatting.months(value)


def period_label(partial: set[str]) -> Callable[[object], str]:
    """A formatter marking the part-year periods of ``partial``: "FY2021 (part year)"."""
    return lambda value: formatting.period(value, formatting.text(value) in partial)


def to_html(table: pd.DataFrame, rows: pd.DataFrame, *, columns: dict[str, str],
            formats: dict[str, Callable] | None = None, keep_empty: bool = False) -> str:
    """``table``'s ``columns`` (renamed to their headings, formatted) and the source line of
    the ``rows`` it was computed from. A ``period`` column marks part-year periods."""
    shown = table[[c for c in columns if c in table.columns]].copy()
    formats = dict(formats or {})
    if "period" in shown.columns and "period" not in formats:
        note_columns = [c for c in ("notes", "note") if c in table.columns]
        labels = [formatting.text(p) for p in table["period"]]
        partial = {label for i, label in enumerate(labels)
                   if any(formatting.part_year(label, table[c].iloc[i]) for c in note_columns)
                   or formatting.part_year(label)}
        partial |= formatting.part_year_periods(rows) & set(labels)
        formats["period"] = period_label(partial)
    for column in shown.columns:
        fmt = formats.get(column, formatting.text)
        shown[column] = [fmt(v) for v in shown[column]]
        shown[column] = [formatting.text(v) for v in shown[column]]
    if not keep_empty:
        empty = [c for c in shown.columns if (shown[c] == "").all()]
        shown = shown.drop(columns=empty)
    shown = shown.rename(columns=columns)
    body = shown.to_html(index=False, border=0, classes="parole-table", escape=True, na_rep="")
    return body + f'<p class="source-line"><em>{html.escape(source_line(rows))}</em></p>'
