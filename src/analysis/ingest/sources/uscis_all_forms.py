"""Adapter for the USCIS quarterly report "Number of Service-wide Forms By Quarter, Form Status,
and Processing Time" (All USCIS Application and Petition Form Types), CSV and XLSX editions.

Layout: title lines, a date-range line ("October 1, 2025 - December 31, 2025"), one header row
with two column blocks side by side (the quarter: Forms Received, Approved, Denied, Total
Completions, Pending, Processing Time; the fiscal year to date: the same without Processing
Time), a TOTAL row, group rows without numbers (Family Based, Humanitarian, ..., Supplemental
Processing), one row per form (and per I-131, I-485, I-765 sub-row), then the Table Key,
numbered References (the footnotes whose numbers are glued to headers and row labels), Notes
and Sources. A file that turns out to be the *monthly* report is handed to
:mod:`.uscis_monthly` (its rows carry source ``uscis-monthly``).

What the adapter does
---------------------
* **Sheet by content**: the workbook's sheet that holds the table (a header row with Forms
  Received beside a form-number column) is used, whatever its name (``FY24Q1AllForms``,
  ``FY25Q1 All-Forms``, ``FY26Q1_All_Forms``).
* **Header**: ``Category and Form Number`` then ``Description`` (to FY2025) or ``Form Title``
  (FY2026 on); glued footnote digits are ignored ("Forms Received1", "Pending5"). A header that
  matches no known layout is refused by name.
* **Period from the file's own date line**, found even when a spreadsheet export split it across
  cells: the quarter block becomes ``FY2025-Q1``, the year-to-date block ``FY2025-YTD-Q1``. A file
  name that disagrees (``fy2025_q1``) gets a note and the date line wins; a file without a date
  line takes the period from its name, and a note says so.
* **Row labels with glued footnote numbers** (``I-13122`` is I-131 with note 22, ``I-92410``
  I-924 with note 10, ``N-40020`` N-400 with note 20) are split with the known-forms list, the
  row's description and the file's own References (see
  :func:`analysis.ingest.sources.uscis_forms.resolve_label`); each split is listed in the notes.
  Rows
  naming a group of forms (``Legalization13``, ``Waivers23``, ``EOIR Adjustment22``) have
  ``form`` null and the slug of their description as category; ``DS-230 (IV)24`` is form DS-230.
  The footnote's text goes into the row's ``note``.
* **Measures**: Forms Received -> ``received``, Approved -> ``approved``, Denied -> ``denied``,
  Total Completions -> ``completed``, Pending -> ``pending``.
* **Processing Time** goes to ``processing_times`` (months, the quarter's period, nation/US). Its
  statistic is read from the column's footnote ("The number of months presented is the median"
  -> ``median``; "average" -> ``mean``). A time printed ``0`` is *not published*, never a
  0-month median: USCIS writes a true zero as ``-`` (table key) and prints 0 (earlier editions
  ``N/A``) where it has no time, also for forms with thousands of completions; such cells get
  status ``not_available`` and a note.
* **Cells**: ``D`` -> suppressed, ``-`` -> zero, ``N/A`` (or empty) -> not_available, ``H`` ->
  withheld; thousands separators removed. Fractional counts (USCIS apportions some approvals
  and denials) are kept as published and flagged in the row's note. A cell that is neither a
  number nor a marker stops the file with an error naming file, sheet, row and column.
* The TOTAL row has ``form`` null and category ``total``. Group rows are not output; the group
  is named in the note. Rows the References exclude from the TOTAL ("not included in the
  'Total - All Forms' line": Immigrant Visas, EOIR Adjustment) say so in their note.

Categories
----------
Row titles listed in ``analysis/data/uscis_form_titles.csv`` get that table's category, so a
series runs unbroken across USCIS's renamings: I-131 ``reentry-permit-refugee-travel-document``,
``advance-parole``, ``travel-document-all``, ``parole-in-place``, ``humanitarian-parole``,
``initial-parole-outside-us``; I-485 ``family``, ``employment``, ``asylum``, ``refugee``,
``cuban``, ``other`` (the same slugs as the monthly report); DS-230 ``immigrant-visas``. Other
rows get the slug of their description (accents removed: "Petition for Alien Fiancé(e)" ->
``petition-for-alien-fiance-e``). ``initial-parole-outside-us`` (FY2026 on) is NOT relabelled as
humanitarian parole here: treating it as the continuation of ``humanitarian-parole`` is an
assumption USCIS does not state and is made, visibly, at the analysis layer. An I-131 title not
in the table falls back to the description slug and the file gets a note.

Reconciliation
--------------
:func:`reconcile_ytd` compares each year-to-date flow (received, approved, denied, completed)
with the sum of the quarters Q1..Qn of the same fiscal year, and each year-to-date ``pending``
with the pending of its last quarter (both are counts at the same day). Within one file only a
Q1 report can be checked for flows; pass the concatenated ``counts`` of several quarters to
check more. :func:`reconcile_total_row` compares the TOTAL row with the sum of the form rows it
covers (suppressed parts counted in the check's name). Disagreements are reported, and both
figures kept (the FY2026 Q1 TOTAL pending is 11,331,331 in the quarter block and 11,350,389 in
the year-to-date block).

Files are read through :mod:`analysis.ingest.sources.reading`, which bounds their size and refuses
entity-expansion and zip bombs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract import periods
from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources import uscis_forms as uf
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    counts_frame,
    parse_cell,
    table_frame,
)
from analysis.ingest.sources.reading import Grid, column_letter, header_key, slug  # noqa: F401 (re-exported)

SOURCE = "uscis-all-forms"

MEASURES: dict[str, str] = {
    "forms received": "received",
    "received": "received",
    "approved": "approved",
    "denied": "denied",
    "total completions": "completed",
    "completions": "completed",
    "pending": "pending",
    "processing time": "processing-time",
}
#: the measures each block must have
REQUIRED_MEASURES = ("received", "approved", "denied", "pending")
YTD_MEASURES = ("received", "approved", "denied", "completed", "pending")
#: the measures the TOTAL row is checked on
TOTAL_MEASURES = ("received", "approved", "denied", "completed", "pending")
#: the cell markers of the USCIS table key (an empty cell is not available)
USCIS_MARKERS = ("D", "-", "N/A", "NA", "H", "")

CATEGORY_ROWS = {
    "family based", "employment based", "humanitarian", "lawful permanent residence",
    "citizenship and nationality", "other", "citizenship", "immigration",
    "supplemental processing",
}

_NAME_PERIOD = re.compile(r"fy[_ -]?(?P<fy>\d{4})[_ -]?q(?:tr)?[_ -]?(?P<q>[1-4])(?!\d)",
                          re.IGNORECASE)
_QUARTER_WORD = re.compile(r"\b(?P<q>1st|2nd|3rd|4th|first|second|third|fourth)\s+quarter\b",
                           re.IGNORECASE)
_QUARTER_NUMBERS = {"1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3,
                    "4th": 4, "fourth": 4}
_FORM = re.compile(rf"^(?P<form>{uf.FORM_NUMBER})(?:\s*(?P<foot>\d{{1,2}}))?$")
_FOOTNOTE = re.compile(r"^\d{1,2}\)?\s*[A-Za-z]")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_END_MARKERS = re.compile(r"^(table key|note|notes|footnote|footnotes|source|sources|reference|"
                          r"references|key)\b", re.IGNORECASE)
_TOTAL = re.compile(r"^total(?=$|[\s\d:-])", re.IGNORECASE)
_NUMERIC = re.compile(r"^[\d,.\s]+$")


def check_size(path: Path) -> None:
    """Refuse missing, empty or over-large files (the limits of :mod:`.reading`)."""
    reading.check_size(path)


def looks_like_report(grid: Grid) -> bool:
    """Whether a sheet holds a service-wide forms table: a header row with Forms Received
    beside a form-number column, in its first 60 rows."""
    return _header_row(grid) is not None


def _header_row(grid: Grid) -> int | None:
    for r, row in enumerate(grid.rows[:60]):
        keys = [header_key(c) for c in row]
        if ("forms received" in keys or "received" in keys) and any("form" in k and k not in (
                "forms received",) for k in keys):
            return r
    return None


def read_grid(path: Path) -> Grid:
    """The report's cells from a CSV file, or from the workbook sheet that holds the table
    (chosen by content, not by name)."""
    return reading.read_grid(path, looks_like_report,
                             expected="a sheet with the service-wide forms table (a header "
                                      "row with 'Forms Received')")


def is_monthly(grid: Grid, header_row: int | None = None) -> bool:
    """Whether the grid is the monthly "Report to Congress" rather than the quarterly report."""
    stop = header_row if header_row is not None else (_header_row(grid) or 0)
    pattern = re.compile(r"\bby month\b|\bfor the month of\b", re.IGNORECASE)
    return any(True for _ in grid.find(pattern, rows=range(stop)))


_text = reading.text


# ---------------------------------------------------------------------------------------------
# the layout


@dataclass
class Layout:
    header_row: int
    form_col: int
    desc_col: int
    quarter: dict[str, int]
    ytd: dict[str, int]
    headers: dict[int, str]
    end_row: int = 0
    references: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)


def find_period(grid: Grid, stop: int) -> tuple[periods.Period, int]:
    """The fiscal quarter named by the date-range line above row ``stop`` (also when a
    spreadsheet export split the line across cells)."""
    for r, _match in grid.find(uf.DATE_RANGE, rows=range(min(stop, len(grid.rows)))):
        line = grid.line_text(r)
        try:
            found = uf.date_range(line)
        except ValueError as exc:
            raise InputError(grid.path, f"{_match.group(0)!r} is not a valid date range ({exc})",
                             locator=grid.where(r)) from None
        if found is None:  # matched inside one cell only
            found = uf.date_range(_match.group(0))
        assert found is not None
        start, end, _ = found
        return _quarter_of(grid, start, end, grid.where(r)), r
    raise InputError(grid.path, "no date-range line above the header",
                     expected='a line such as "July 1, 2024 - September 30, 2024"')


def _quarter_of(grid: Grid, start: date, end: date, locator: str) -> periods.Period:
    quarter = periods.fiscal_quarter_of(start)
    if quarter.start != start or quarter.end != end:
        raise InputError(grid.path, f"date range {start} to {end} is not one fiscal quarter",
                         locator=locator, expected="a range such as October 1 - December 31")
    return quarter


def find_layout(grid: Grid) -> Layout:
    """Locate the header row and map its columns to measures; refuse unknown headers."""
    r = _header_row(grid)
    if r is None:
        raise InputError(grid.path, "no header row with 'Forms Received' in the first 60 rows",
                         expected="the USCIS all-forms layout (Category and Form Number | "
                                  "Description | Forms Received | Approved | ...)")
    return _layout_from(grid, r, [header_key(c) for c in grid.rows[r]])


def _layout_from(grid: Grid, r: int, keys: list[str]) -> Layout:
    first = next(i for i, k in enumerate(keys) if k in ("forms received", "received"))
    label_cols = [i for i in range(first) if keys[i]]
    if len(label_cols) != 2 or "form" not in keys[label_cols[0]] or not any(
            w in keys[label_cols[1]] for w in ("description", "title")):
        raise InputError(grid.path, "header matches no known layout: before 'Forms Received' "
                         f"it has {[keys[i] for i in range(first)]}", locator=grid.where(r),
                         expected="'Category and Form Number' and 'Description' or "
                                  "'Form Title'")
    blocks: list[dict[str, int]] = []
    headers: dict[int, str] = {}
    for c in range(first, len(keys)):
        key = keys[c]
        if not key:
            continue
        measure = MEASURES.get(key)
        if measure is None:
            raise InputError(grid.path, f"header matches no known layout: unknown column "
                             f"{_text(grid.rows[r][c])!r}", locator=grid.where(r, c),
                             expected="Forms Received, Approved, Denied, Total Completions, "
                                      "Pending, Processing Time")
        if measure == "received":
            blocks.append({})
        if measure in blocks[-1]:
            raise InputError(grid.path, f"header matches no known layout: {key!r} twice in "
                             "one block", locator=grid.where(r, c))
        blocks[-1][measure] = c
        headers[c] = _text(grid.rows[r][c])
    if len(blocks) != 2:
        raise InputError(grid.path, f"header matches no known layout: {len(blocks)} column "
                         "block(s)", locator=grid.where(r),
                         expected="two blocks, the quarter and fiscal year to date")
    quarter, ytd = blocks
    for name, block in (("quarter", quarter), ("fiscal-year-to-date", ytd)):
        missing = [m for m in REQUIRED_MEASURES if m not in block]
        if missing:
            raise InputError(grid.path, f"header matches no known layout: the {name} block "
                             f"lacks {', '.join(missing)}", locator=grid.where(r))
    if "processing-time" in ytd:
        raise InputError(grid.path, "header matches no known layout: Processing Time in the "
                         "fiscal-year-to-date block", locator=grid.where(r))
    if set(ytd) != set(quarter) - {"processing-time"}:
        raise InputError(grid.path, "header matches no known layout: the two blocks have "
                         "different columns", locator=grid.where(r))
    return Layout(r, label_cols[0], label_cols[1], quarter, ytd, headers)


def i131_category(title: str) -> str | None:
    """The stable category slug of an I-131 row title, or None when the title is unknown
    (the table is ``analysis/data/uscis_form_titles.csv``)."""
    return uf.title_category("I-131", title)


def name_period(name: str) -> str | None:
    """The period a file name claims (``quarterly_all_forms_fy2025_q1.xlsx`` -> FY2025-Q1)."""
    match = _NAME_PERIOD.search(name)
    return f"FY{match['fy']}-Q{match['q']}" if match else None


def processing_time_statistic(layout: Layout) -> tuple[str, str]:
    """``(statistic, why)`` of the quarter's Processing Time column, from its footnote."""
    c = layout.quarter.get("processing-time")
    if c is None:
        return "median", ""
    glued = re.search(r"(\d{1,2})$", layout.headers[c])
    key = layout.references.get(int(glued[1])) if glued else None
    if key is None:
        key = next((t for t in layout.references.values() if "processing time" in t.lower()),
                   None)
    if key is not None:
        low = key.lower()
        if "median" in low:
            return "median", "the report's key: the months presented are the median"
        if "average" in low or "mean" in low:
            return "mean", "the report's key: the months presented are an average"
    return "median", ("the file does not say which statistic its Processing Time is; USCIS's "
                      "key for this report gives the median")


# ---------------------------------------------------------------------------------------------
# parse


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one quarterly all-forms report (CSV or XLSX) into ``counts`` and
    ``processing_times``; a monthly report is handed to :mod:`.uscis_monthly`."""
    path = Path(path)
    grid = read_grid(path)
    header = _header_row(grid)
    if header is not None and is_monthly(grid, header):
        from analysis.ingest.sources import SOURCES, uscis_monthly

        if citation == SOURCES[SOURCE].citation:  # the default: cite the monthly report instead
            citation = SOURCES[uscis_monthly.SOURCE].citation
        return uscis_monthly.parse_grid(grid, source_file=source_file, citation=citation)
    layout = find_layout(grid)
    result = AdapterResult()
    quarter = _period(grid, layout, path, source_file, result)
    ytd = periods.fiscal_ytd(quarter.fiscal_year, int(quarter.label[-1]))
    counts, times, excluded = _rows(grid, layout, quarter.label, ytd.label, source_file,
                                    citation, result)
    if not counts:
        raise InputError(path, "no form rows below the header", locator=grid.where(
            layout.header_row), expected="a TOTAL row and one row per form")
    frame = counts_frame(counts)
    result.tables["counts"] = frame
    result.tables["processing_times"] = table_frame("processing_times", times)
    result.reconciliation = reconcile_ytd(frame) + reconcile_total_row(frame, excluded)
    return result


def _period(grid: Grid, layout: Layout, path: Path, source_file: str,
            result: AdapterResult) -> periods.Period:
    claimed = name_period(path.name) or name_period(source_file)
    try:
        quarter, row = find_period(grid, layout.header_row)
    except InputError as exc:
        if claimed is None or "no date-range line" not in str(exc):
            raise
        result.notes.append(f"{source_file}: no date line above the header; the period "
                            f"{claimed} is taken from the file name")
        fy, q = int(claimed[2:6]), int(claimed[-1])
        return periods.fiscal_quarter(fy, q)
    if claimed and claimed != quarter.label:
        result.notes.append(f"{source_file}: the file name says {claimed} but its date line says "
                            f"{quarter.label}; the date line is used")
    for r, m in grid.find(_QUARTER_WORD, rows=range(layout.header_row)):
        said = _QUARTER_NUMBERS[m["q"].lower()]
        if said != int(quarter.label[-1]):
            result.notes.append(f"{source_file}: {grid.where(r)} says {m.group(0)!r} but the "
                                f"date line ({grid.where(row)}) is {quarter.label}; the date "
                                "line is used")
        break
    return quarter


def _table_end(grid: Grid, layout: Layout) -> int:
    """The first row after the table (Table Key, notes or footnotes), or len(rows)."""
    number_cols = [*layout.quarter.values(), *layout.ytd.values()]
    for r in range(layout.header_row + 1, len(grid.rows)):
        label = grid.text(r, layout.form_col)
        has_numbers = any(grid.text(r, c) for c in number_cols)
        if _END_MARKERS.match(label) or (_FOOTNOTE.match(label) and not has_numbers):
            return r
    return len(grid.rows)


def _rows(grid: Grid, layout: Layout, quarter: str, ytd: str, source_file: str, citation: str,
          result: AdapterResult
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[tuple[str | None, str]]]:
    layout.end_row = _table_end(grid, layout)
    if layout.end_row >= len(grid.rows):
        raise InputError(grid.path, "the table has no Table Key, notes or footnotes after it; "
                         "the file may be truncated", locator=grid.where(len(grid.rows) - 1),
                         expected="a 'Table Key' line after the last form row")
    number_cols = [*layout.quarter.values(), *layout.ytd.values()]
    _check_nothing_after(grid, layout, layout.end_row, number_cols)
    layout.references, layout.notes = uf.numbered_lines(
        [grid.line_text(r) for r in range(layout.end_row, len(grid.rows))])
    statistic, statistic_why = processing_time_statistic(layout)
    if statistic_why.startswith("the file does not say"):
        result.notes.append(f"{source_file}: {statistic_why}")
    counts: list[dict[str, Any]] = []
    times: list[dict[str, Any]] = []
    excluded: set[tuple[str | None, str]] = set()
    seen: dict[tuple[str | None, str], int] = {}
    group = ""
    previous: tuple[uf.Label, int] | None = None
    unmapped: list[str] = []
    splits: list[str] = []
    fractional: list[str] = []
    for r in range(layout.header_row + 1, layout.end_row):
        row = grid.rows[r]
        raw_label = grid.text(r, layout.form_col)
        desc = grid.text(r, layout.desc_col)
        has_numbers = any(grid.text(r, c) for c in number_cols)
        if not raw_label and not desc and not has_numbers:
            continue
        if has_numbers and len(row) <= max(number_cols):
            raise InputError(grid.path, f"row has {len(row)} cells where the header has "
                             f"{max(number_cols) + 1}; the file may be truncated",
                             locator=grid.where(r), expected="a full row of figures")
        is_total = bool(_TOTAL.match(raw_label))
        if not has_numbers and not is_total:
            if raw_label and not desc and not _FORM.match(raw_label):
                group = raw_label
                continue
            raise InputError(grid.path, "a row with a title but no numbers",
                             locator=grid.where(r), expected="a group row (title only) or "
                                                             "a form row with numbers")
        carried = ""
        label: uf.Label | None
        if is_total:
            label, category = None, "total"
            form = None
        else:
            if not raw_label and previous is not None:
                label = previous[0]
                carried = f", form number carried down from {grid.where(previous[1])}"
            else:
                label = uf.resolve_label(raw_label, desc, layout.references)
                if label is None or (desc and _NUMERIC.match(desc)):
                    raise InputError(grid.path, f"{raw_label!r} is not a form number or a "
                                     "row title", locator=grid.where(r, layout.form_col),
                                     expected="a form number such as I-131, N-400 20 or "
                                              "I-13122, or a title such as Waivers23, beside "
                                              "a description")
            form = label.form
            previous = (label, r)
            if not desc and form is not None:
                raise InputError(grid.path, f"form {form} has no description",
                                 locator=grid.where(r, layout.desc_col))
            category, listed = uf.category_of(form, desc, label.name)
            if form == "I-131" and not listed:
                unmapped.append(desc)
            if label.footnote is not None and not carried:
                splits.append(f"{label.published!r} -> {label.name} + note {label.footnote}"
                              + (f" ({label.evidence})" if label.evidence.startswith("weak")
                                 else ""))
        key = (form, category)
        if key in seen:
            raise InputError(grid.path, f"form {form} has two rows with category {category} "
                             f"(also {grid.where(seen[key])})", locator=grid.where(r))
        seen[key] = r
        row_notes = _row_notes(layout, label, form, desc, group)
        if label is not None and _outside_total(layout, label, group):
            excluded.add(key)
            row_notes.append("not included in the TOTAL row"
                             + (f" (note {label.footnote})" if label.footnote else ""))
        title = f"row title: {raw_label}{' | ' if raw_label and desc else ''}{desc}"
        base = {"source": SOURCE, "form": form, "category": category, "geo_level": "nation",
                "geo_code": "US", "geo_name": "United States", "source_file": source_file,
                "citation": citation}
        completed = None
        if "completed" in layout.quarter:
            completed = _cell(grid, r, layout.quarter["completed"],
                              layout.headers[layout.quarter["completed"]],
                              grid.cell(r, layout.quarter["completed"]))[0]
        for block, period in ((layout.quarter, quarter), (layout.ytd, ytd)):
            for measure, c in block.items():
                value, status = _cell(grid, r, c, layout.headers[c], grid.cell(r, c))
                locator = f"{grid.where(r, c, layout.headers[c])} ({title}{carried})"
                cell_notes = list(row_notes)
                if measure == "processing-time":
                    value, status, extra = _processing_time(value, status, completed)
                    cell_notes += extra
                    if statistic_why and status in ("reported", "zero"):
                        cell_notes.append(statistic_why)
                    times.append({"source": SOURCE, "form": form, "subtype": category,
                                  "geo_level": "nation", "geo_code": "US",
                                  "geo_name": "United States", "as_of": None, "period": period,
                                  "statistic": statistic, "months": value, "status": status,
                                  "source_file": source_file, "source_locator": locator,
                                  "citation": citation, "note": _join(cell_notes)})
                    continue
                if status == "reported" and value is not None and not float(value).is_integer():
                    cell_notes.append("fractional count kept as published (USCIS apportions "
                                      "some approvals and denials between rows)")
                    fractional.append(grid.where(r, c))
                counts.append({**base, "measure": measure, "period": period, "value": value,
                               "status": status, "source_locator": locator,
                               "note": _join(cell_notes)})
    if splits:
        result.notes.append(f"{source_file}: footnote numbers glued to row labels were "
                            "separated: " + "; ".join(dict.fromkeys(splits)))
    if fractional:
        result.notes.append(f"{source_file}: {len(fractional)} fractional count(s) kept as "
                            f"published, e.g. at {fractional[0]}")
    if unmapped:
        result.notes.append("I-131 row title(s) not in the title table, given the description "
                            "slug as category: " + "; ".join(unmapped))
    return counts, times, excluded


def _join(notes: list[str]) -> str | None:
    return "; ".join(dict.fromkeys(n for n in notes if n)) or None


def _row_notes(layout: Layout, label: uf.Label | None, form: str | None, desc: str,
               group: str) -> list[str]:
    notes = [f"category group: {group}"] if group else []
    if label is not None and label.footnote is not None:
        ref = layout.references.get(label.footnote)
        notes.append(f"note {label.footnote}: {ref}" if ref else
                     f"note {label.footnote} (its text is not in the file)")
    if label is not None and form is None:
        notes.append(f"{label.name} is a group of forms, not one form number")
    for n, note in layout.notes.items():
        if label is not None and uf.note_applies(note, form, desc):
            notes.append(f"publisher's note {n}): {note}")
    return notes


def _outside_total(layout: Layout, label: uf.Label, group: str) -> bool:
    if slug(group) == "supplemental-processing":
        return True
    ref = layout.references.get(label.footnote) if label.footnote is not None else None
    return bool(ref and re.search(r"not included in the .{0,20}total", ref, re.IGNORECASE))


def _processing_time(value: float | None, status: str, completed: float | None,
                     span: str = "quarter") -> tuple[float | None, str, list[str]]:
    """A Processing Time cell: a printed 0 is not published (see the module docstring)."""
    if status == "reported" and value == 0:
        if completed:
            why = (f"Processing Time printed 0 for a row with {completed:,.0f} completions: "
                   "USCIS publishes no time here (its table key writes a true zero as '-'); "
                   "not a 0-month time")
        else:
            why = (f"Processing Time printed 0 and no completions in the {span}: no time is "
                   "published")
        return None, "not_available", [why]
    if status == "zero":
        return value, status, ["published '-': zero or rounds to 0.0 months (USCIS table key)"]
    if status == "not_available":
        return value, status, ["no processing time published"]
    return value, status, []


def _check_nothing_after(grid: Grid, layout: Layout, end: int, number_cols: list[int]) -> None:
    """Refuse a file whose form rows continue after the table's end (a misplaced end line)."""
    for r in range(end + 1, len(grid.rows)):
        label = grid.text(r, layout.form_col)
        figures = any(grid.text(r, c) for c in number_cols)
        if figures and (_FORM.match(label) or _TOTAL.match(label)):
            raise InputError(grid.path, f"form row {label!r} after the end of the table "
                             f"({grid.where(end)})", locator=grid.where(r),
                             expected="the Table Key and notes after the last form row")


def _cell(grid: Grid, r: int, c: int, header: str, raw: Any) -> tuple[float | None, str]:
    if isinstance(raw, bool) or isinstance(raw, datetime | date):
        raise InputError(grid.path, f"{raw!r} is not a count", locator=grid.where(r, c, header),
                         expected="a number or a marker D, -, N/A, H")
    if isinstance(raw, str) and raw.strip().upper() not in USCIS_MARKERS and \
            not re.search(r"\d", raw):
        raise InputError(grid.path, f"{raw.strip()!r} is not a number or a USCIS marker",
                         locator=grid.where(r, c, header),
                         expected="a number or a marker D, -, N/A, H")
    if isinstance(raw, str) and "," in raw and not _GROUPED.match(raw.strip().strip('"').strip()):
        raise InputError(grid.path, f"{raw.strip()!r} has misplaced thousands separators",
                         locator=grid.where(r, c, header), expected="a number like 1,234,567")
    try:
        return parse_cell(raw)
    except ValueError as exc:
        raise InputError(grid.path, str(exc), locator=grid.where(r, c, header),
                         expected="a number or a marker D, -, N/A, H") from None


# ---------------------------------------------------------------------------------------------
# reconciliation


def reconcile_ytd(counts: pd.DataFrame, measures: Iterable[str] = YTD_MEASURES
                  ) -> list[Reconciliation]:
    """Compare each fiscal-year-to-date figure with its quarters.

    Flows (received, approved, denied, completed): the year-to-date figure against the sum of
    quarters Q1..Qn. ``pending`` is a count on one day, so the year-to-date pending is compared
    with the pending of quarter n alone. ``counts`` may hold one file or several (any number of
    quarters of any years). A check is made only where every quarter needed is present and
    every figure has a value; suppressed or missing parts make the check impossible, and it is
    skipped rather than guessed.
    """
    if counts.empty:
        return []
    frame = counts[counts["measure"].isin(list(measures))].copy()
    frame["form_key"] = frame["form"].fillna("")
    labels = frame["period"].astype(str)
    is_q = labels.str.fullmatch(r"FY\d{4}-Q[1-4]")
    is_ytd = labels.str.fullmatch(r"FY\d{4}-YTD-Q[1-4]")
    quarters = {
        (row.source, row.form_key, row.category, row.measure, row.geo_code, row.period): row
        for row in frame[is_q].itertuples(index=False)}
    checks: list[Reconciliation] = []
    for row in frame[is_ytd].sort_values(["period", "form_key", "category", "measure"]
                                         ).itertuples(index=False):
        if pd.isna(row.value):
            continue
        fy, q = int(row.period[2:6]), int(row.period[-1])
        stock = row.measure == "pending"
        wanted = [q] if stock else range(1, q + 1)
        parts = [quarters.get((row.source, row.form_key, row.category, row.measure,
                               row.geo_code, f"FY{fy}-Q{i}")) for i in wanted]
        if any(p is None or pd.isna(p.value) for p in parts):
            continue
        what = f"{row.form_key or 'all forms'} {row.category} {row.measure}"
        check = (f"fiscal year to date equals the quarter's figure (both at the quarter's end): "
                 f"{what}" if stock else
                 f"fiscal year to date equals the sum of quarters: {what}")
        checks.append(Reconciliation(
            check=check, period=row.period,
            parts_sum=round(float(sum(p.value for p in parts)), 6),
            published_total=round(float(row.value), 6),
            locator=f"{row.source_file}: {row.source_locator}", parts=len(parts)))
    return checks


def reconcile_total_row(counts: pd.DataFrame, excluded: Iterable[tuple[str | None, str]] = ()
                        ) -> list[Reconciliation]:
    """The TOTAL row against the sum of the form rows it covers, per period and measure.

    Rows in ``excluded`` (``(form, category)``: those the report leaves out of its total) are
    not summed. Parts without a value (suppressed, withheld, not available) cannot be summed;
    the check is still made and its name says how many parts were missing, so a difference can
    be read for what it is.
    """
    if counts.empty:
        return []
    skip = {(form or "", category) for form, category in excluded}
    frame = counts[counts["measure"].isin(TOTAL_MEASURES)]
    checks: list[Reconciliation] = []
    for (period, measure), group in frame.groupby(["period", "measure"], sort=True):
        is_total = group["category"].eq("total") & group["form"].isna()
        total = group[is_total]
        keys = list(zip(group["form"].fillna(""), group["category"], strict=True))
        parts = group[~is_total & ~pd.Series([k in skip for k in keys], index=group.index)]
        if total.empty or parts.empty or total["value"].isna().any():
            continue
        missing = int(parts["value"].isna().sum())
        name = f"TOTAL row equals the sum of the form rows: {measure}"
        if skip:
            name += f" ({len(skip)} row(s) the report leaves out of its total not summed)"
        if missing:
            name += f" ({missing} part(s) without a value: suppressed, withheld or not available)"
        checks.append(Reconciliation(
            check=name, period=str(period), parts_sum=round(float(parts["value"].sum()), 6),
            published_total=round(float(total["value"].iloc[0]), 6), parts=len(parts),
            locator=f"{total['source_file'].iloc[0]}: {total['source_locator'].iloc[0]}"))
    return checks
