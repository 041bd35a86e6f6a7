"""Adapter for the USCIS quarterly report "Number of Service-wide Forms By Quarter, Form Status,
and Processing Time" (All USCIS Application and Petition Form Types), CSV and XLSX.

Layout (see ``../shared/reference/sources.md`` section 1): title lines, a date-range line
("July 1, 2024 - September 30, 2024"), one header row with two column blocks side by side (the
quarter: Forms Received, Approved, Denied, Total Completions, Pending, Processing Time; and the
fiscal year to date: the same without Processing Time), a TOTAL row, category rows without
numbers (Family Based, Humanitarian, ...), one row per form (and per I-131 sub-row), then a
Table Key, footnotes, notes and sources.

What the adapter does
---------------------
* The **period comes from the file's own date line**, never from its name. The quarter block
  becomes ``FY2025-Q1``, the year-to-date block ``FY2025-YTD-Q1``. When the file name carries a
  period (``fy2025_q1``, ``FY2025Q1``) that disagrees with the date line, a note says so
  (``AdapterResult.notes``) and the date line wins.
* Headers are matched after removing glued footnote digits ("Forms Received1", "Pending5"); a
  header that matches no known layout is refused by name. Form numbers lose their footnote
  digits the same way ("I-131 22" -> ``I-131``).
* Measures: Forms Received -> ``received``, Approved -> ``approved``, Denied -> ``denied``,
  Total Completions -> ``completed``, Pending -> ``pending``. The Processing Time column goes to
  ``processing_times`` (statistic ``median``, months, the quarter's period, nation/US).
* Cells: ``D`` -> suppressed, ``-`` -> zero, ``N/A`` (or empty) -> not_available, ``H`` ->
  withheld; thousands separators are removed and decimal counts (apportioned by USCIS) kept.
  A cell that is neither a number nor a marker stops the file with an error naming file,
  sheet, row and column; nothing from the file is returned.
* The TOTAL row has ``form`` null and category ``total``. Category rows (no numbers) are not
  output; they only name the group.

Category slugs
--------------
For every form except I-131 the category is the slug of the row's description (accents
removed, lower case, non-alphanumerics to ``-``; a trailing footnote number separated by a space
is dropped first), e.g. "Petition for Alien Fiancé(e)" -> ``petition-for-alien-fiance-e``.
I-131 rows use this table so that the series run unbroken across USCIS's renamings (the row
title as published is kept in ``source_locator``):

I-131 row title (as published; case, spacing and a trailing footnote number ignored):

* "Reentry Permit/Refugee Travel Document" -> ``reentry-permit-refugee-travel-document``
* "Advance Parole" -> ``advance-parole``
* "Application for Travel Document" -> ``travel-document-all``
* "Application for Travel Documents, Parole Documents, and Arrival/Departure Records"
  -> ``travel-document-all``
* "... (Advance Parole)" -> ``advance-parole``
* "Application for Advance Parole Document for Aliens Inside the United States"
  -> ``advance-parole``
* "... (Parole-in-Place)", "... (Parole in Place)" -> ``parole-in-place``
* "... (Humanitarian Parole)" -> ``humanitarian-parole``
* "Application for Initial Parole Document for Aliens Outside the United States"
  -> ``initial-parole-outside-us``

``initial-parole-outside-us`` (FY2026 on) is NOT relabelled as humanitarian parole here: treating
it as the continuation of ``humanitarian-parole`` is an assumption USCIS does not state and is made,
visibly, at the analysis layer. An I-131 title not in the table falls back to the description slug
and the file gets a note.

Reconciliation
--------------
:func:`reconcile_ytd` compares each year-to-date figure with the sum of the quarters Q1..Qn of
the same fiscal year (received, approved, denied, completed). Within one file only the Q1 report
can be checked (YTD-Q1 against Q1); across files, pass the concatenated ``counts`` of several
quarters. Approved + denied is not compared with completions (other outcomes exist).

Files are read through :mod:`analysis.sources.reading`, which bounds their size and refuses
entity-expansion and zip bombs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import periods
from ..errors import InputError
from . import reading
from .base import AdapterResult, Reconciliation, counts_frame, parse_cell, table_frame
from .reading import Grid, column_letter, header_key, slug  # noqa: F401 (re-exported)

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
YTD_MEASURES = ("received", "approved", "denied", "completed")
#: the cell markers of the USCIS table key (an empty cell is not available)
USCIS_MARKERS = ("D", "-", "N/A", "NA", "H", "")

CATEGORY_ROWS = {
    "family based", "employment based", "humanitarian", "lawful permanent residence",
    "citizenship and nationality", "other", "citizenship", "immigration",
}

I131_TITLES: dict[str, str] = {
    "reentry permit/refugee travel document": "reentry-permit-refugee-travel-document",
    "advance parole": "advance-parole",
    "application for travel document": "travel-document-all",
    "application for travel documents, parole documents, and arrival/departure records":
        "travel-document-all",
    "application for advance parole document for aliens inside the united states":
        "advance-parole",
    "application for initial parole document for aliens outside the united states":
        "initial-parole-outside-us",
}
I131_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("(advance parole)", "advance-parole"),
    ("(parole-in-place)", "parole-in-place"),
    ("(parole in place)", "parole-in-place"),
    ("(humanitarian parole)", "humanitarian-parole"),
)

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_DATE_RANGE = re.compile(
    rf"(?P<m1>{_MONTHS})\s+(?P<d1>\d{{1,2}}),?\s*(?P<y1>\d{{4}})?\s*[-\u2013\u2014]+\s*"
    rf"(?P<m2>{_MONTHS})\s+(?P<d2>\d{{1,2}}),?\s*(?P<y2>\d{{4}})", re.IGNORECASE)
_NAME_PERIOD = re.compile(r"fy[_-]?(?P<fy>\d{4})[_-]?q(?:tr)?(?P<q>[1-4])(?!\d)", re.IGNORECASE)
_FORM = re.compile(r"^(?P<form>[A-Z]{1,4}-\d{1,4}[A-Z]{0,3}(?:/[A-Z0-9]+)?)"
                   r"(?:\s+(?P<foot>\d{1,2}))?$")
_FOOTNOTE = re.compile(r"^\d{1,2}\)?\s*[A-Za-z]")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_END_MARKERS = re.compile(r"^(table key|note|notes|footnote|source|sources|reference|key)\b",
                          re.IGNORECASE)


def check_size(path: Path) -> None:
    """Refuse missing, empty or over-large files (the limits of :mod:`.reading`)."""
    reading.check_size(path)


def read_grid(path: Path) -> Grid:
    """The report's cells from a CSV or XLSX file (chosen by content, not name)."""
    return reading.read_grid(path, r"all[ _-]?forms",
                             expected="a sheet named like FY26Q1_All_Forms")


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


def find_period(grid: Grid, stop: int) -> tuple[periods.Period, int]:
    """The fiscal quarter named by the date-range line above row ``stop``."""
    for r in range(min(stop, len(grid.rows))):
        for c, cell in enumerate(grid.rows[r]):
            match = _DATE_RANGE.search(_text(cell))
            if not match:
                continue
            y2 = int(match["y2"])
            y1 = int(match["y1"]) if match["y1"] else y2
            try:
                start = datetime.strptime(f"{match['m1']} {match['d1']} {y1}", "%B %d %Y").date()
                end = datetime.strptime(f"{match['m2']} {match['d2']} {y2}", "%B %d %Y").date()
            except ValueError:
                raise InputError(grid.path, f"{match.group(0)!r} is not a valid date range",
                                 locator=grid.where(r, c)) from None
            return _quarter_of(grid, start, end, grid.where(r, c)), r
    raise InputError(grid.path, "no date-range line above the header",
                     expected='a line such as "July 1, 2024 - September 30, 2024"')


def _quarter_of(grid: Grid, start: date, end: date, locator: str) -> periods.Period:
    fy = periods.fiscal_year_of(start)
    q = pd.Period(pd.Timestamp(start), freq="Q-SEP").quarter
    quarter = periods.fiscal_quarter(fy, q)
    if quarter.start != start or quarter.end != end:
        raise InputError(grid.path, f"date range {start} to {end} is not one fiscal quarter",
                         locator=locator, expected="a range such as October 1 - December 31")
    return quarter


def find_layout(grid: Grid) -> Layout:
    """Locate the header row and map its columns to measures; refuse unknown headers."""
    for r, row in enumerate(grid.rows[:60]):
        keys = [header_key(c) for c in row]
        if "forms received" not in keys and "received" not in keys:
            continue
        return _layout_from(grid, r, keys)
    raise InputError(grid.path, "no header row with 'Forms Received' in the first 60 rows",
                     expected="the USCIS all-forms layout (Category and Form Number | "
                              "Description | Forms Received | Approved | ...)")


def _layout_from(grid: Grid, r: int, keys: list[str]) -> Layout:
    first = next(i for i, k in enumerate(keys) if k in ("forms received", "received"))
    label_cols = [i for i in range(first) if keys[i]]
    if len(label_cols) != 2 or "form" not in keys[label_cols[0]] or \
            "description" not in keys[label_cols[1]]:
        raise InputError(grid.path, "header matches no known layout: before 'Forms Received' "
                         f"it has {[keys[i] for i in range(first)]}", locator=grid.where(r),
                         expected="'Category and Form Number' and 'Description'")
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
    """The stable category slug of an I-131 row title, or None when the title is unknown."""
    key = re.sub(r"\s+", " ", title).strip().lower()
    key = re.sub(r"\s+\d{1,2}$", "", key)
    if key in I131_TITLES:
        return I131_TITLES[key]
    for suffix, category in I131_SUFFIXES:
        if key.endswith(suffix):
            return category
    return None


def _description(text: str) -> str:
    return re.sub(r"\s+\d{1,2}$", "", text).strip()


def name_period(name: str) -> str | None:
    """The period a file name claims (``quarterly_all_forms_fy2025_q1.xlsx`` -> FY2025-Q1)."""
    match = _NAME_PERIOD.search(name)
    return f"FY{match['fy']}-Q{match['q']}" if match else None


# ---------------------------------------------------------------------------------------------
# parse


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one quarterly all-forms report (CSV or XLSX) into ``counts`` and
    ``processing_times``."""
    path = Path(path)
    grid = read_grid(path)
    layout = find_layout(grid)
    quarter, _ = find_period(grid, layout.header_row)
    ytd = periods.fiscal_ytd(quarter.fiscal_year, int(quarter.label[-1]))
    result = AdapterResult()
    claimed = name_period(path.name) or name_period(source_file)
    if claimed and claimed != quarter.label:
        result.notes.append(f"{source_file}: the file name says {claimed} but its date line says "
                            f"{quarter.label}; the date line is used")
    counts, times = _rows(grid, layout, quarter.label, ytd.label, source_file, citation, result)
    if not counts:
        raise InputError(path, "no form rows below the header", locator=grid.where(
            layout.header_row), expected="a TOTAL row and one row per form")
    frame = counts_frame(counts)
    result.tables["counts"] = frame
    result.tables["processing_times"] = table_frame("processing_times", times)
    result.reconciliation = reconcile_ytd(frame)
    return result


def _rows(grid: Grid, layout: Layout, quarter: str, ytd: str, source_file: str, citation: str,
          result: AdapterResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    counts: list[dict[str, Any]] = []
    times: list[dict[str, Any]] = []
    seen: dict[tuple[str | None, str], int] = {}
    number_cols = [*layout.quarter.values(), *layout.ytd.values()]
    group = ""
    previous_form: tuple[str, int] | None = None
    unmapped: list[str] = []
    ended = False
    for r in range(layout.header_row + 1, len(grid.rows)):
        row = grid.rows[r]
        cell = lambda c, row=row: row[c] if c < len(row) else None  # noqa: E731
        label = _text(cell(layout.form_col))
        desc = _text(cell(layout.desc_col))
        has_numbers = any(_text(cell(c)) for c in number_cols)
        if not label and not desc and not has_numbers:
            continue
        if _END_MARKERS.match(label) or (_FOOTNOTE.match(label) and not has_numbers):
            ended = True
            _check_nothing_after(grid, layout, r, number_cols)
            break
        if has_numbers and len(row) <= max(number_cols):
            raise InputError(grid.path, f"row has {len(row)} cells where the header has "
                             f"{max(number_cols) + 1}; the file may be truncated",
                             locator=grid.where(r), expected="a full row of figures")
        if not has_numbers and not _FORM.match(label) and label.upper() != "TOTAL":
            if label and not desc:
                group = label
                continue
            raise InputError(grid.path, "a row with a title but no numbers",
                             locator=grid.where(r), expected="a category row (title only) or "
                                                             "a form row with numbers")
        carried = ""
        if label.upper() == "TOTAL":
            form, category = None, "total"
        else:
            if not label and previous_form is not None:
                form = previous_form[0]
                carried = f", form number carried down from {grid.where(previous_form[1])}"
            else:
                match = _FORM.match(label)
                if not match:
                    raise InputError(grid.path, f"{label!r} is not a form number",
                                     locator=grid.where(r, layout.form_col),
                                     expected="a form number such as I-131 or N-400 20")
                form = match["form"]
            previous_form = (form, r)
            if not desc:
                raise InputError(grid.path, f"form {form} has no description",
                                 locator=grid.where(r, layout.desc_col))
            category = i131_category(desc) if form == "I-131" else None
            if category is None:
                if form == "I-131":
                    unmapped.append(desc)
                category = slug(_description(desc)) or slug(form)
        key = (form, category)
        if key in seen:
            raise InputError(grid.path, f"form {form} has two rows with category {category} "
                             f"(also {grid.where(seen[key])})", locator=grid.where(r))
        seen[key] = r
        title = f"row title: {label}{' | ' if label and desc else ''}{desc}"
        base = {"source": SOURCE, "form": form, "category": category, "geo_level": "nation",
                "geo_code": "US", "geo_name": "United States", "source_file": source_file,
                "citation": citation, "note": f"category group: {group}" if group else None}
        for block, period in ((layout.quarter, quarter), (layout.ytd, ytd)):
            for measure, c in block.items():
                value, status = _cell(grid, r, c, layout.headers[c], cell(c))
                locator = f"{grid.where(r, c, layout.headers[c])} ({title}{carried})"
                if measure == "processing-time":
                    note = base["note"]
                    if status == "not_available":
                        note = "; ".join(filter(None, [note, "no processing time published"]))
                    times.append({"source": SOURCE, "form": form, "subtype": category,
                                  "geo_level": "nation", "geo_code": "US",
                                  "geo_name": "United States", "as_of": None, "period": period,
                                  "statistic": "median", "months": value, "status": status,
                                  "source_file": source_file, "source_locator": locator,
                                  "citation": citation, "note": note})
                    continue
                counts.append({**base, "measure": measure, "period": period, "value": value,
                               "status": status, "source_locator": locator})
    if not ended:
        raise InputError(grid.path, "the table has no Table Key, notes or footnotes after it; "
                         "the file may be truncated", locator=grid.where(len(grid.rows) - 1),
                         expected="a 'Table Key' line after the last form row")
    if unmapped:
        result.notes.append("I-131 row title(s) not in the title table, given the description "
                            "slug as category: " + "; ".join(unmapped))
    return counts, times


def _check_nothing_after(grid: Grid, layout: Layout, end: int, number_cols: list[int]) -> None:
    """Refuse a file whose form rows continue after the table's end (a misplaced end line)."""
    for r in range(end + 1, len(grid.rows)):
        row = grid.rows[r]
        label = _text(row[layout.form_col]) if layout.form_col < len(row) else ""
        figures = any(_text(row[c]) for c in number_cols if c < len(row))
        if figures and (_FORM.match(label) or label.upper() == "TOTAL"):
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
    """Compare each fiscal-year-to-date figure with the sum of its quarters.

    ``counts`` may hold one file or several (any number of quarters of any years). A check is
    made only where every quarter Q1..Qn is present and every figure has a value; suppressed or
    missing parts make the check impossible, and it is skipped rather than guessed.
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
        parts = [quarters.get((row.source, row.form_key, row.category, row.measure,
                               row.geo_code, f"FY{fy}-Q{i}")) for i in range(1, q + 1)]
        if any(p is None or pd.isna(p.value) for p in parts):
            continue
        checks.append(Reconciliation(
            check=f"fiscal year to date equals the sum of quarters: {row.form or 'all forms'} "
                  f"{row.category} {row.measure}",
            period=row.period, parts_sum=round(float(sum(p.value for p in parts)), 6),
            published_total=float(row.value), locator=f"{row.source_file}: {row.source_locator}",
            parts=len(parts)))
    return checks
