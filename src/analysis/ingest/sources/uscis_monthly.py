"""Adapter for the USCIS monthly "Report to Congress: Number of Service-Wide Forms By Month,
Form Status, and Processing Time" (CSV; an XLSX edition is read the same way).

Layout: title lines ("Report to Congress", "Number of Service-Wide Forms", "By Month, Form
Status, and Processing Time", "For the Month of February 2026"), one header row (Form Number,
Description, Forms Received, Approvals, Denials, Pending, Pending Over 6 Months, Avg. Processing
Time), one row per form (I-130, I-360, six I-485 categories, I-751, I-765, N-400 so far), no
TOTAL row, then numbered Notes and the Source. Some files start with a byte-order mark or carry
a trailing empty column; some months add a note (March 2025: the CHNV parole terminations that
moved (c)(11) work permits back to pending).

What the adapter does
---------------------
* **Period**: the month of the file's own title line ("For the Month of March 2025" ->
  ``2025-03``; a date range within one month works too). Only when no such line exists is the
  month taken from the file name (``monthly_march_2025.csv``), and a note says so; a name that
  disagrees with the title line gets a note and the title wins.
* **Measures**: Forms Received -> ``received``, Approvals -> ``approved``, Denials ->
  ``denied``, Pending -> ``pending``, Pending Over 6 Months -> ``pending-over-6-months`` (a part
  of ``pending``), all nation/US in ``counts`` with source ``uscis-monthly``.
* **Avg. Processing Time** goes to ``processing_times`` with statistic ``mean``: USCIS's note
  defines it as the average over all applications completed in the month, so it is NOT a median
  and is not comparable with the quarterly report's median; each row's note says so. (If a
  file's note said "median", the statistic would follow it.) A time printed 0 is not published
  (status ``not_available``), as in the quarterly report.
* **Categories**: I-485 rows from the parenthesised type in the title (``family``,
  ``employment``, ``asylum``, ``refugee``, ``cuban``, ``other``: the same slugs as the quarterly
  adapter, from ``analysis/data/uscis_form_titles.csv``); other rows the slug of the title
  (``petition-for-alien-relative``).
* **Notes**: a publisher's note that names a row (its form number, its title, or the title's
  core words, e.g. "Employment Authorization" for I-765) goes into that row's ``note`` and into
  the result's notes.
* Cells as in the quarterly report (thousands separators, ``D``, ``-``, ``N/A``, ``H``); a cell
  that is neither a number nor a marker stops the file with an error naming file, line and
  column. There is no TOTAL row to reconcile; a row whose pending over six months exceeds its
  pending is named in the notes (both kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.contract import periods
from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources import uscis_forms as uf
from analysis.ingest.sources.base import AdapterResult, counts_frame, table_frame
from analysis.ingest.sources.reading import Grid, header_key, slug
from analysis.ingest.sources.uscis_common import (
    NUMERIC,
    join_notes,
    looks_like_report,
    processing_time_cell,
    read_cell,
)

SOURCE = "uscis-monthly"

MEASURES: dict[str, str] = {
    "forms received": "received",
    "received": "received",
    "approvals": "approved",
    "approved": "approved",
    "denials": "denied",
    "denied": "denied",
    "pending": "pending",
    "pending over 6 months": "pending-over-6-months",
    "pending over six months": "pending-over-6-months",
    "avg. processing time": "processing-time",
    "avg processing time": "processing-time",
    "average processing time": "processing-time",
    "processing time": "processing-time",
}
REQUIRED = ("received", "approved", "denied", "pending")
_MONTH_LINE = re.compile(rf"\bmonth of\s+(?P<m>{uf.MONTH_RE})\.?,?\s+(?P<y>\d{{4}})\b",
                         re.IGNORECASE)
_NAME_MONTH = re.compile(rf"(?P<m>{uf.MONTH_RE})[_ -]?(?P<y>\d{{4}})(?!\d)", re.IGNORECASE)
_NAME_ISO = re.compile(r"(?<!\d)(?P<y>20\d{2})[_-](?P<m>0[1-9]|1[0-2])(?!\d)")
_END = re.compile(r"^(notes?|source|sources|footnotes?|table key)\b", re.IGNORECASE)


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one monthly report (CSV or XLSX) into ``counts`` and ``processing_times``."""
    grid = reading.read_grid(Path(path), looks_like_report,
                             expected="a sheet with the monthly service-wide forms table")
    return parse_grid(grid, source_file=source_file, citation=citation)


@dataclass
class _Table:
    """What every row step needs: the layout, the notes under the table, the outputs."""

    grid: Grid
    header: int
    cols: dict[str, int]
    headers: dict[int, str]
    month: str
    source_file: str
    citation: str
    references: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    statistic: str = "mean"
    why: str = ""
    counts: list[dict[str, Any]] = field(default_factory=list)
    times: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[tuple[str | None, str], int] = field(default_factory=dict)
    applied: dict[int, list[str]] = field(default_factory=dict)

    @property
    def number_cols(self) -> list[int]:
        return [c for m, c in self.cols.items() if m not in ("form", "desc")]


def parse_grid(grid: Grid, *, source_file: str, citation: str) -> AdapterResult:
    """The monthly table of ``grid``: locate it, then read each row."""
    header, cols, headers = _layout(grid)
    result = AdapterResult()
    month = _period(grid, header, source_file, result)
    end = _table_end(grid, header, cols["form"])
    table = _Table(grid, header, cols, headers, month.label, source_file, citation)
    table.references, table.notes = uf.numbered_lines(
        [grid.line_text(r) for r in range(end, len(grid.rows))])
    table.statistic, table.why = _statistic(table.notes)
    for r in range(header + 1, end):
        _read_row(table, r, result)
    if not table.counts:
        raise InputError(grid.path, "no form rows below the header",
                         locator=grid.where(header), expected="one row per form")
    for n, rows in table.applied.items():
        result.notes.append(f"{source_file}: publisher's note {n}) applies to "
                            f"{', '.join(rows)}: {table.notes[n]}")
    result.tables["counts"] = counts_frame(table.counts)
    result.tables["processing_times"] = table_frame("processing_times", table.times)
    return result


def _table_end(grid: Grid, header: int, form_col: int) -> int:
    end = next((r for r in range(header + 1, len(grid.rows))
                if _END.match(grid.text(r, form_col))), None)
    if end is None:
        raise InputError(grid.path, "the table has no Notes or Source after it; the file may "
                         "be truncated", locator=grid.where(len(grid.rows) - 1),
                         expected="a 'Notes' line after the last form row")
    return end


def _identify(t: _Table, r: int) -> tuple[str | None, str, list[str], str] | None:
    """``(form, category, row notes, row title)`` of row ``r``, None for a blank row."""
    grid, cols = t.grid, t.cols
    raw_label, desc = grid.text(r, cols["form"]), grid.text(r, cols["desc"])
    has_numbers = any(grid.text(r, c) for c in t.number_cols)
    if not raw_label and not desc and not has_numbers:
        return None
    if not has_numbers:
        raise InputError(grid.path, "a row with a title but no numbers", locator=grid.where(r),
                         expected="one row of figures per form")
    label = uf.resolve_label(raw_label, desc, t.references)
    if label is None or (desc and NUMERIC.match(desc)):
        raise InputError(grid.path, f"{raw_label!r} is not a form number",
                         locator=grid.where(r, cols["form"]),
                         expected="a form number such as I-485 beside its description")
    form = label.form
    category, _ = uf.category_of(form, desc, label.name)
    if (form, category) in t.seen:
        raise InputError(grid.path, f"form {form} has two rows with category {category} "
                         f"(also {grid.where(t.seen[(form, category)])})", locator=grid.where(r))
    t.seen[(form, category)] = r
    row_notes = []
    if label.footnote is not None:
        row_notes.append(f"note {label.footnote}: {t.references.get(label.footnote, '')}")
    for n, text in t.notes.items():
        if uf.note_applies(text, form, desc):
            row_notes.append(f"publisher's note {n}): {text}")
            t.applied.setdefault(n, []).append(f"{form or label.name} ({category})")
    return form, category, row_notes, f"row title: {raw_label}{' | ' if desc else ''}{desc}"


def _read_row(t: _Table, r: int, result: AdapterResult) -> None:
    found = _identify(t, r)
    if found is None:
        return
    form, category, row_notes, title = found
    base = {"source": SOURCE, "form": form, "category": category, "geo_level": "nation",
            "geo_code": "US", "geo_name": "United States", "source_file": t.source_file,
            "citation": t.citation, "period": t.month}
    values: dict[str, float | None] = {}
    for measure, c in t.cols.items():
        if measure in ("form", "desc"):
            continue
        value, status = read_cell(t.grid, r, c, t.headers[c])
        locator = f"{t.grid.where(r, c, t.headers[c])} ({title})"
        if measure == "processing-time":
            decided = [values[m] for m in ("approved", "denied") if values.get(m) is not None]
            value, status, extra = processing_time_cell(value, status, sum(decided) or None,
                                                        "month")
            t.times.append({**base, "subtype": category, "as_of": None,
                            "statistic": t.statistic, "months": value, "status": status,
                            "source_locator": locator,
                            "note": join_notes([*extra, t.why if value is not None else "",
                                                *row_notes])})
            continue
        values[measure] = value
        t.counts.append({**base, "measure": measure, "value": value, "status": status,
                         "source_locator": locator, "note": join_notes(row_notes)})
    over, pending = values.get("pending-over-6-months"), values.get("pending")
    if over is not None and pending is not None and over > pending:
        result.notes.append(f"{t.source_file}: {t.grid.where(r)} ({title}): pending over 6 "
                            f"months ({over:,.0f}) exceeds pending ({pending:,.0f}); both "
                            "kept as published")


def _layout(grid: Grid) -> tuple[int, dict[str, int], dict[int, str]]:
    for r, row in enumerate(grid.rows[:60]):
        keys = [header_key(c) for c in row]
        if "forms received" not in keys and "received" not in keys:
            continue
        first = next(i for i, k in enumerate(keys) if k in ("forms received", "received"))
        labels = [i for i in range(first) if keys[i]]
        if len(labels) != 2 or "form" not in keys[labels[0]] or not any(
                w in keys[labels[1]] for w in ("description", "title")):
            raise InputError(grid.path, "header matches no known layout: before 'Forms "
                             f"Received' it has {[keys[i] for i in range(first)]}",
                             locator=grid.where(r), expected="'Form Number' and 'Description'")
        cols: dict[str, int] = {"form": labels[0], "desc": labels[1]}
        headers: dict[int, str] = {}
        for c in range(first, len(keys)):
            if not keys[c]:
                continue  # the trailing empty column some exports add
            measure = MEASURES.get(keys[c])
            if measure is None:
                raise InputError(grid.path, "header matches no known layout: unknown column "
                                 f"{grid.text(r, c)!r}", locator=grid.where(r, c),
                                 expected="Forms Received, Approvals, Denials, Pending, Pending "
                                          "Over 6 Months, Avg. Processing Time")
            if measure in cols:
                raise InputError(grid.path, f"header matches no known layout: {keys[c]!r} "
                                 "twice", locator=grid.where(r, c))
            cols[measure] = c
            headers[c] = grid.text(r, c)
        missing = [m for m in REQUIRED if m not in cols]
        if missing:
            raise InputError(grid.path, f"header matches no known layout: no column for "
                             f"{', '.join(missing)}", locator=grid.where(r))
        return r, cols, headers
    raise InputError(grid.path, "no header row with 'Forms Received' in the first 60 rows",
                     expected="the USCIS monthly layout (Form Number | Description | Forms "
                              "Received | Approvals | ...)")


def _period(grid: Grid, header: int, source_file: str, result: AdapterResult) -> periods.Period:
    name = Path(source_file).name
    claimed = _name_month(name) or _name_month(grid.path.name)
    found: periods.Period | None = None
    for _r, m in grid.find(_MONTH_LINE, rows=range(header)):
        month = uf.month_number(m["m"])
        assert month is not None
        found = periods.month(int(m["y"]), month)
        break
    else:
        for r, m in grid.find(uf.DATE_RANGE, rows=range(header)):
            try:
                start, end, _ = uf.date_range(grid.line_text(r)) or uf.date_range(m.group(0))
            except (ValueError, TypeError):
                raise InputError(grid.path, f"{m.group(0)!r} is not a valid date range",
                                 locator=grid.where(r)) from None
            candidate = periods.month(start.year, start.month)
            if (candidate.start, candidate.end) != (start, end):
                raise InputError(grid.path, f"date range {start} to {end} is not one month",
                                 locator=grid.where(r), expected="a line such as 'For the Month "
                                                                 "of March 2025'")
            found = candidate
            break
    if found is None:
        if claimed is None:
            raise InputError(grid.path, "no line naming the month above the header, and none "
                             "in the file name", expected="a line such as 'For the Month of "
                                                          "March 2025'")
        result.notes.append(f"{source_file}: no line naming the month above the header; the "
                            f"period {claimed.label} is taken from the file name")
        return claimed
    if claimed is not None and claimed.label != found.label:
        result.notes.append(f"{source_file}: the file name says {claimed.label} but its title "
                            f"line says {found.label}; the title line is used")
    return found


def _name_month(name: str) -> periods.Period | None:
    if m := _NAME_MONTH.search(name):
        month = uf.month_number(m["m"])
        if month is not None:
            return periods.month(int(m["y"]), month)
    if m := _NAME_ISO.search(name):
        return periods.month(int(m["y"]), int(m["m"]))
    return None


def _statistic(notes: dict[int, str]) -> tuple[str, str]:
    """The processing-time statistic, from the note that defines it."""
    for n, text in notes.items():
        low = text.lower()
        if "processing time" not in low:
            continue
        if "average" in low or "mean" in low:
            return "mean", (f"average (mean) months from receipt to completion over all cases "
                            f"completed in the month (publisher's note {n}); not a median, not "
                            "comparable with the quarterly report's median")
        if "median" in low:
            return "median", f"median months (publisher's note {n})"
    return "mean", ("the column is headed 'Avg. Processing Time': an average (mean), not a "
                    "median; the file has no note defining it")


__all__ = ["SOURCE", "parse", "parse_grid", "slug"]
