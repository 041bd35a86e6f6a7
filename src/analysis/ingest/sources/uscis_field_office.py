"""Adapter for the USCIS quarterly reports by field office: N-400, I-485 and I-130, every edition.

USCIS publishes, each quarter, one table per form of received, approved, denied and pending
cases by category and by office ("Number of Form N-400 ... by USCIS Field Office Location",
"Number of I-130 Alien Relative Petitions by Category of Relatives, Case Status, and USCIS
Field Office or Service Center Location", "Number of I-485 Applications ... by Category, Case
Status, and USCIS Field Office or Service Center Location"). Files are read through
:mod:`analysis.ingest.sources.reading` (CSV in UTF-8 or Windows-1252, with any line ends including
``\\r\\r\\n``; XLSX with the sheet chosen by content), and the layout is recognised from the
cells, not the file name.

Editions read
-------------
* **Quarterly CSV, FY2013 on.** Optional title lines; an optional date line ("October 1-
  December 31, 2013", "January 1 - March 31, 2019 (Fiscal Year 2019, Quarter 2)"); a header of
  category blocks (Naturalization1 | Naturalization (Military)1 | Total; Immediate Relative1 |
  All Other Relative1 | Total) over a status row (Applications/Petitions Received, Approved,
  Denied, Pending), found wherever it is; a "Total" or "Grand Total" row; then sections "Field
  Office by State", "Field Office by Territory", "Service Center", "International Field Office
  by Country", each a heading row (state, territory or country) followed by office rows
  (``, Office Name , CODE , n , ...``; the code column exists only in some years). Some years
  repeat the state name on every office row (``Arizona, Phoenix, PHO, ...``); some files hold
  two tables (domestic and international), each with its own total.
* **Current XLSX edition** (I-485, FY2024 on): the sheet holding the table (``I485_by_State``)
  is found by its content; five column blocks (Family-based, Employment-based received at
  service center, Humanitarian-based, Others, Total) whose Total label sits one row higher than
  the others; the Total row first; office name in column A and office code in column B under
  state headings; a Service Center section at the end.
* **FY2013 multi-year I-130 tables** ("Fiscal Year 2011 - Fiscal Year 2013 (December 2012)"):
  one row per office (code and an upper-case "NAME ST" description) per fiscal year, columns
  quarter x (Receipts, Approvals, Denials) per category, then per category a year block
  (Receipts, Completions, Pending), and rows "2011 Totals" / "2012 Total" / "2013 Total". Each
  quarter becomes its own period (``FY2011-Q1`` ...); year blocks become ``FY2011`` for a
  complete year, or the year to date for the year in progress (``FY2013-Q1`` when only the first
  quarter is in, ``FY2013-YTD-Q2`` ...). Quarters after the end of the data (the "Date(s):
  October 2010 - December 2012" line, the title's month, or the file name) are printed as "-" in
  the total row and left blank for offices: they are not zeros and are not read. Completions
  are approvals plus denials (measure ``completed``).

Form and period
---------------
* The form comes from a title line naming it (``Form N-400``, ``I-130 Alien Relative
  Petitions``), else from the category blocks (Naturalization -> N-400; Immediate/All Other
  Relative -> I-130; Family-/Employment-/Humanitarian-based -> I-485), else from the file name
  (``I130_...``, ``i485_...``). A title and blocks that disagree stop the file.
* The period comes from the date line. Without one it comes from the file name as USCIS names
  files (``I130_performancedata_fy2015_qtr1.csv``, ``FY 2013, 4th Q, July 1- Sept. 30,
  2013.csv``), else from the month of the file's "Source: ... PAS, January 2015" line (the
  latest fiscal quarter ended by the end of that month: data are extracted after the quarter
  closes). ``AdapterResult.notes`` (shown in the ingest report) says which was used, and a
  Source month earlier than the end of the quarter named by the file name stops the file.

Output (``counts``)
-------------------
* ``form`` N-400, I-130 or I-485; ``category`` the block (``naturalization``,
  ``naturalization-military``, ``immediate-relative``, ``all-other-relative``,
  ``family-based``, ``employment-based``, ``humanitarian``, ``other``, ``total``; an unknown
  block keeps the slug of its header); ``measure`` received, approved, denied, pending (and
  ``completed`` in the multi-year tables). ``source_locator`` names line/row, column, office and
  the published header.
* Offices: ``geo_level`` ``office``, ``geo_code`` the USCIS office code (printed in the file, or
  for a file without codes looked up by state and name in ``analysis/data/uscis_field_offices.csv``,
  a table of codes, names and states built from the state headings of the published files;
  else a slug of office and place, and ``note`` says so), ``geo_name`` the published name with
  its state or country ("Phoenix, AZ", "Beijing, China", "California Service Center"). ``note``
  starts "state ST" for a field office in a state or territory, "service center" for a service
  center (national workload: never summed into a state), or "international office in Country".
  :func:`office_states` maps office codes to states.
* Published totals: the Total/Grand Total row of a table is ``nation`` / ``US``; the total of a
  table holding only international offices is ``region`` / ``international``.
* Computed state rows: for each state, category, measure and period, one ``state`` row holding
  the sum of that state's field offices in the file, with a note saying it is a sum of offices
  (not a published figure) and naming them; ``source_locator`` lists the office rows. If any
  office is suppressed (``D``) the state figure is unknown: status ``suppressed``, no value, and
  the note gives the known offices' sum as a lower bound. Never filled in.
* Cells: ``D`` suppressed, ``-`` zero, ``N/A`` not_applicable (the USCIS key: "Not applicable",
  e.g. international offices that take only military naturalizations), blank not_available;
  padded, quoted numbers with thousands separators are read exactly.

Reconciliation
--------------
Per office, the categories against the office's Total block; per table, category, measure and
period, the offices against the published total; in the multi-year tables, the national
quarters against the year block and approvals plus denials against completions. A check with
every figure known is always reported (matching or not); with suppressed parts it is reported
only if the known parts already exceed the total.

Anything not recognised (an unknown status header, a state name that does not resolve, figures
where none belong or after the table's end, the same office twice) stops the file with an
InputError naming the line or cell; nothing from the file is returned.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract import geo, periods
from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import InputError
from analysis.ingest.sources.base import AdapterResult, Reconciliation, counts_frame, parse_cell
from analysis.ingest.sources.reading import (
    Grid,
    column_letter,
    header_key,
    kind,
    read_grid,
    read_workbook,
    slug,
    text,
)

SOURCE = "uscis-field-office"

#: the table key of these reports: "D Data withheld", "- Represents zero", "N/A Not applicable";
#: a blank cell is not available. Nothing else (DHS's "X" included) is accepted.
FIELD_OFFICE_MARKERS = {"D": "suppressed", "-": "zero", "N/A": "not_applicable",
                        "": "not_available"}
VALUED = VALUED_STATUSES  # statuses that carry a number (one list, in schemas)

STATUSES = {
    "applications received": "received", "received": "received", "forms received": "received",
    "petitions received": "received", "receipts": "received",
    "approved": "approved", "approvals": "approved",
    "denied": "denied", "denials": "denied",
    "pending": "pending",
    "completions": "completed", "completed": "completed",
}

_CATEGORIES = [
    (re.compile(r"^(i-130\s+)?immediate relatives?$"), "immediate-relative"),
    (re.compile(r"^(i-130\s+)?(all\s+)?other relatives?$"), "all-other-relative"),
    (re.compile(r"^total (alien relative )?petitions$"), "total"),
    (re.compile(r"^family[- ]based\b"), "family-based"),
    (re.compile(r"^employment[- ]based\b"), "employment-based"),
    (re.compile(r"^humanitarian\b"), "humanitarian"),
    (re.compile(r"^others?$"), "other"),
    (re.compile(r"^totals?$"), "total"),
]
_FORM_OF_CATEGORY = {
    "naturalization": "N-400", "naturalization-military": "N-400",
    "immediate-relative": "I-130", "all-other-relative": "I-130",
    "family-based": "I-485", "employment-based": "I-485", "humanitarian": "I-485",
}
#: header cells above the blocks that name no block
_GENERIC = re.compile(r"by category|case status|location|field office", re.IGNORECASE)

_FORM_TITLE = re.compile(r"\b(?:Form\s+)?(?P<form>[NI]-\d{3}[A-Z]?)\b", re.IGNORECASE)
_FORM_NAME = re.compile(r"(?<![a-z0-9])(?P<letter>[ni])[-_ ]?(?P<num>\d{3})(?!\d)", re.IGNORECASE)
_FY_Q = re.compile(r"Fiscal\s+Year\s+(?P<fy>\d{4}),?\s+Quarter\s+(?P<q>[1-4])", re.IGNORECASE)
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_RANGE = re.compile(rf"(?P<m1>{_MONTHS})\s+(?P<d1>\d{{1,2}}),?\s*(?P<y1>\d{{4}})?\s*[-\u2013]\s*"
                    rf"(?P<m2>{_MONTHS})\s+(?P<d2>\d{{1,2}}),?\s*(?P<y2>\d{{4}})", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTHS})\.?,?\s+(?P<y>\d{{4}})\b|\b(?P<mm>0?[1-9]|1[0-2])/"
                         r"(?P<yy>\d{4})\b", re.IGNORECASE)
_FILE_PERIODS = [
    re.compile(r"fy[\s_-]*(?P<fy>\d{4}|\d{2})[\s_,-]*(?:qtr|quarter|q)[\s_-]*(?P<q>[1-4])(?!\d)",
               re.IGNORECASE),
    re.compile(r"fy[\s_-]*(?P<fy>\d{4}),?[\s_-]*(?P<q>[1-4])(?:st|nd|rd|th)[\s_-]*(?:q|qtr|"
               r"quarter)\b", re.IGNORECASE),
    re.compile(r"(?:qtr|quarter|q)[\s_-]*(?P<q>[1-4])[\s_,-]*fy[\s_-]*(?P<fy>\d{4}|\d{2})(?!\d)",
               re.IGNORECASE),
    re.compile(r"(?P<q>[1-4])(?:st|nd|rd|th)[\s_-]*(?:q|qtr|quarter)\w*[\s_,-]*(?:of[\s_-]+)?fy"
               r"[\s_-]*(?P<fy>\d{4})", re.IGNORECASE),
]
_END = re.compile(r"^(table key|notes?\b|note\(s\)|sources?\b|source\(s\)|references?|"
                  r"footnotes?|please note|data:)|^(D|-|'-'|N/A)\s+\S|^\d+\)?\s+\S",
                  re.IGNORECASE)
_QUARTER_WORDS = {"first quarter": 1, "second quarter": 2, "third quarter": 3,
                  "fourth quarter": 4}


# --------------------------------------------------------------------------------------------
# the office table


@dataclass(frozen=True)
class FieldOffice:
    """A USCIS office as printed in the field-office reports (``uscis_field_offices.csv``)."""

    code: str
    name: str
    kind: str  # field-office | service-center | international
    state: str  # USPS code for field offices in a state or territory, else ""
    country: str
    aliases: tuple[str, ...]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text(name).lower().replace("saint", "st")).strip()


@functools.cache
def field_offices() -> tuple[FieldOffice, ...]:
    """The bundled table of USCIS office codes, names, states and countries."""
    raw = resources.files("analysis").joinpath("data/uscis_field_offices.csv").read_text("utf-8")
    return tuple(FieldOffice(row["code"], row["name"], row["kind"], row["state"], row["country"],
                             tuple(a for a in row["aliases"].split(";") if a))
                 for row in csv.DictReader(io.StringIO(raw)))


def known_office(code: str) -> FieldOffice | None:
    """The office with USCIS code ``code`` in the bundled table, or None."""
    return next((o for o in field_offices() if o.code == code), None)


def find_office(kind: str, place: str, name: str) -> FieldOffice | None:
    """The office of ``kind`` named ``name`` (or an alias) in ``place`` (state code or
    country), or None."""
    key = _norm(name)
    for o in field_offices():
        if o.kind != kind or (kind != "service-center" and place not in (o.state, o.country)):
            continue
        names = {_norm(o.name), *(_norm(a) for a in o.aliases)}
        if key in names or (kind == "service-center" and f"{key} service center" in names):
            return o
    return None


# --------------------------------------------------------------------------------------------
# layout


@dataclass
class Table:
    """One table of the file: its header and the rows below it."""

    status_row: int  # 0-based grid row of the status header
    data_start: int  # first figure column
    columns: dict[int, tuple[str, str, str]]  # col -> (category, measure, header text)
    code_col: int | None = None
    kind: str = "domestic"
    rows: list[int] = field(default_factory=list)


def _measure(cell: Any) -> str | None:
    return STATUSES.get(header_key(cell))


def _is_status_row(grid: Grid, r: int) -> bool:
    measures = {_measure(c) for c in grid.texts(r)}
    return "approved" in measures and ("pending" in measures or "denied" in measures)


def _category(label: str) -> str:
    key = header_key(label)
    for pattern, name in _CATEGORIES:
        if pattern.search(key):
            return name
    return slug(key)


def _block_label(grid: Grid, r: int, cols: range) -> str:
    """The category label of the block over ``cols``: the first non-generic text in the
    row above the status row, else the row above that."""
    for above in (r - 1, r - 2):
        if above < 0:
            break
        for c in cols:
            cell = grid.text(above, c)
            if cell and not _GENERIC.search(cell):
                return cell
    return ""


def _table_at(grid: Grid, r: int) -> Table:
    cells = grid.texts(r)
    status_cols = [c for c, cell in enumerate(cells) if _measure(cell)]
    first = status_cols[0]
    # a new block starts where a measure repeats within the current block
    blocks: list[list[int]] = []
    for c in status_cols:
        if not blocks or _measure(cells[c]) in {_measure(cells[x]) for x in blocks[-1]}:
            blocks.append([c])
        else:
            blocks[-1].append(c)
    columns: dict[int, tuple[str, str, str]] = {}
    for b, block in enumerate(blocks):
        end = blocks[b + 1][0] if b + 1 < len(blocks) else block[-1] + 1
        label = _block_label(grid, r, range(block[0], end))
        if not label:
            if len(blocks) > 1:
                raise InputError(grid.path, "header matches no known layout: a block of "
                                 "statuses with no category above it",
                                 locator=grid.where(r, block[0]),
                                 expected="a category row (e.g. Naturalization1, Total) over "
                                          "the status row")
            label = "Total"
        shown = re.sub(r"\d+$", "", label).strip()
        for c in block:
            columns[c] = (_category(label), _measure(cells[c]), f"{shown} / {cells[c]}")
    for c in range(first, len(cells)):
        if c not in columns and cells[c]:
            raise InputError(grid.path, f"header matches no known layout: {cells[c]!r}",
                             locator=grid.where(r, c),
                             expected="Applications Received, Approved, Denied, Pending under a "
                                      "category row")
    seen = [(cat, m) for cat, m, _ in columns.values()]
    if len(set(seen)) != len(seen):
        raise InputError(grid.path, "header matches no known layout: a status twice in one "
                         "category", locator=grid.where(r))
    table = Table(status_row=r, data_start=first, columns=columns)
    for c in range(first):
        if header_key(cells[c]) in ("field office code", "office code", "code"):
            table.code_col = c
    return table


def _has_figures(grid: Grid, r: int, table: Table) -> bool:
    return any(grid.texts(r)[table.data_start:])


def _split(grid: Grid, start: int = 0) -> list[Table]:
    """Find each table's header, assign the rows below it, find its code column and kind."""
    tables = [_table_at(grid, r) for r in range(start, len(grid.rows)) if _is_status_row(grid, r)]
    if not tables:
        raise InputError(grid.path, "header matches no known layout: no status row",
                         expected="a header row Applications Received | Approved | Denied | "
                                  "Pending")
    footnotes_seen = False
    for n, table in enumerate(tables):
        stop = tables[n + 1].status_row - 2 if n + 1 < len(tables) else len(grid.rows)
        ended, ended_label = False, ""
        for r in range(table.status_row + 1, max(stop, table.status_row + 1)):
            cells = grid.texts(r)
            label = cells[0] if cells else ""
            if ended:
                names = [c for c in cells[1:table.data_start] if c]
                if names and _has_figures(grid, r, table) and any(
                        re.search(r"\d", c) for c in cells[table.data_start:]):
                    raise InputError(
                        grid.path, "an office row with figures after the line taken as the "
                        "table's end", locator=grid.where(r),
                        expected=f"no figures after {ended_label!r} (is that line a state name "
                                 "with a stray marker?)")
                continue  # footnotes and the next table's title lines
            if _END.match(label) and not _has_figures(grid, r, table):
                ended, ended_label, footnotes_seen = True, label, True
                continue
            for c, cell in enumerate(cells[:table.data_start]):
                if header_key(cell) in ("field office code", "office code"):
                    table.code_col = c
            table.rows.append(r)
        if table.rows and not ended and n + 1 == len(tables) and not footnotes_seen:
            raise InputError(grid.path, "the last table has no Table Key or footnotes after it; "
                             "the file may be truncated", locator=grid.where(table.rows[-1]))
        if table.code_col is None:
            table.code_col = _code_column(grid, table)
        sections = [grid.text(r, 0).lower() for r in table.rows
                    if re.search(r"field office by|service center", grid.text(r, 0), re.I)]
        if sections and all(s.startswith("international") for s in sections):
            table.kind = "international"
    return tables


def _code_column(grid: Grid, table: Table) -> int | None:
    """A label column whose cells on office rows are office codes (files without a header for
    it): at least three codes and every other non-empty cell of the column a code too."""
    for c in range(1, table.data_start):
        values = [grid.text(r, c) for r in table.rows if _has_figures(grid, r, table)
                  and grid.text(r, c)]
        codes = [v for v in values if re.fullmatch(r"[A-Z]{3}", v)]
        if len(codes) >= 3 and len(codes) == len(values) and any(
                grid.text(r, b) for r in table.rows for b in range(c)):
            return c
    return None


# --------------------------------------------------------------------------------------------
# form and period


def _title_text(grid: Grid, upto: int) -> str:
    return " ".join(grid.line_text(r) for r in range(min(upto, len(grid.rows))))


def _form(grid: Grid, tables: list[Table], notes: list[str], title_rows: int) -> str:
    path = grid.path
    titled = {m["form"].upper() for m in _FORM_TITLE.finditer(_title_text(grid, title_rows))}
    from_blocks = {_FORM_OF_CATEGORY[cat] for t in tables for cat, _, _ in t.columns.values()
                   if cat in _FORM_OF_CATEGORY}
    if len(titled) > 1 or len(from_blocks) > 1:
        named = ", ".join(sorted(titled | from_blocks))
        raise InputError(path, f"more than one form named: {named}",
                         expected="a report for one form")
    if titled and from_blocks and titled != from_blocks:
        raise InputError(path, f"the title names {next(iter(titled))} but the category blocks are "
                         f"those of {next(iter(from_blocks))}", locator=grid.where(0))
    if titled:
        notes.append(f"form {next(iter(titled))} from the title line")
        return next(iter(titled))
    if from_blocks:
        form = next(iter(from_blocks))
        blocks = sorted({h.split(' / ')[0] for t in tables for _, _, h in t.columns.values()})
        notes.append(f"form {form} inferred from the category blocks ({', '.join(blocks)}); no "
                     "title line names the form")
        return form
    if m := _FORM_NAME.search(path.name):
        form = f"{m['letter'].upper()}-{m['num']}"
        notes.append(f"form {form} from the file name {path.name!r}; neither a title line nor "
                     "the category blocks name the form")
        return form
    raise InputError(path, "no form named in the title lines, the category blocks or the file "
                     "name", expected='a title such as "Number of Form N-400, Application for '
                                      'Naturalization"')


def _quarter_ending_by(year: int, month_number: int) -> periods.Period:
    """The latest fiscal quarter that has ended by the end of ``month_number``/``year``."""
    return periods.quarter_ended_by(periods.month(year, month_number).end)


def _month_of(match: re.Match[str]) -> tuple[int, int]:
    if match["m"]:
        return int(match["y"]), pd.Timestamp(f"{match['m']} 1 2000").month
    return int(match["yy"]), int(match["mm"])


def _date_line(grid: Grid, upto: int) -> tuple[periods.Period, int, str] | None:
    for r in range(min(upto, len(grid.rows))):
        for t in (*grid.texts(r), grid.line_text(r)):
            if m := _FY_Q.search(t):
                return periods.fiscal_quarter(int(m["fy"]), int(m["q"])), r, m.group(0)
            if m := _RANGE.search(t):
                end = pd.Timestamp(f"{m['m2']} {m['d2']} {m['y2']}")
                label = periods.fiscal_quarter_of(end)
                start = pd.Timestamp(f"{m['m1']} {m['d1']} {m['y1'] or m['y2']}")
                if m["y1"] is None and start > end:
                    start = start - pd.DateOffset(years=1)
                if pd.Timestamp(label.end) != end or pd.Timestamp(label.start) != start:
                    raise InputError(grid.path, f"{m.group(0)!r} is not a fiscal quarter",
                                     locator=grid.where(r),
                                     expected="a date line spanning one fiscal quarter")
                return label, r, m.group(0)
    return None


def _file_name_quarter(path: Path) -> periods.Period | None:
    for pattern in _FILE_PERIODS:
        if m := pattern.search(path.stem):
            fy = int(m["fy"])
            return periods.fiscal_quarter(fy + 2000 if fy < 100 else fy, int(m["q"]))
    return None


def _source_month(grid: Grid, start: int) -> tuple[int, int, str] | None:
    """The first month named in the file's Source line(s) after row ``start``."""
    for r in range(start, len(grid.rows)):
        line = grid.line_text(r)
        if re.match(r"\s*sources?\b|\s*source\(s\)", line, re.IGNORECASE):
            following = " ".join(grid.line_text(x) for x in range(r, min(r + 4, len(grid.rows))))
            if m := _MONTH_YEAR.search(following):
                year, month_number = _month_of(m)
                return year, month_number, m.group(0)
    return None


def _period(grid: Grid, first_header: int, notes: list[str]) -> str:
    path = grid.path
    named = _file_name_quarter(path)
    source = _source_month(grid, first_header)
    from_source = _quarter_ending_by(source[0], source[1]) if source else None
    if found := _date_line(grid, first_header):
        period, r, shown = found
        notes.append(f"period {period.label} from the date line {shown!r} ({grid.where(r)})")
        if named and named.label != period.label:
            notes.append(f"the file name {path.name!r} suggests {named.label}; the date line in "
                         "the file was used")
        return period.label
    if named:
        if source and pd.Timestamp(year=source[0], month=source[1], day=1) + \
                pd.offsets.MonthEnd(0) < pd.Timestamp(named.end):
            raise InputError(path, f"the file name gives {named.label} but the Source line's "
                             f"month ({source[2]}) is before that quarter ended",
                             expected="a file name naming the quarter the data cover")
        agree = ""
        if source:
            agree = (f"; the Source line's month ({source[2]}) agrees" if from_source.label ==
                     named.label else f"; the Source line's month ({source[2]}) is later")
        notes.append(f"period {named.label} from the file name {path.name!r} (the file has no "
                     f"date line){agree}")
        return named.label
    if from_source:
        notes.append(f"period {from_source.label} inferred from the Source line's month "
                     f"({source[2]}): the latest fiscal quarter ended by then. The file has no "
                     "date line and its name names no quarter; check the period")
        return from_source.label
    raise InputError(path, "no period: no date line, no quarter in the file name and no month "
                     "in a Source line", expected='a date line such as "January 1 - March 31, '
                                                  '2019" or a file name such as '
                                                  '"I130_performancedata_fy2015_qtr1.csv"')


# --------------------------------------------------------------------------------------------
# cells


def _value(grid: Grid, r: int, c: int, header: str) -> tuple[float | None, str]:
    raw = grid.cell(r, c)
    try:
        return parse_cell(raw.strip() if isinstance(raw, str) else raw, FIELD_OFFICE_MARKERS)
    except ValueError as exc:
        raise InputError(grid.path, str(exc), locator=grid.where(r, c, header),
                         expected="a number or D, -, N/A") from None


# --------------------------------------------------------------------------------------------
# quarterly tables


@dataclass
class _Place:
    level: str
    code: str
    name: str
    note: str | None
    state: str | None = None  # field offices in a state or territory
    kind: str = "field-office"


def _office_place(grid: Grid, r: int, section: str, group: tuple[str, str] | None, name: str,
                  code: str, code_col: int | None, name_col: int) -> _Place:
    path = grid.path
    if section != "service-center" and group is None:
        raise InputError(path, f"office {name!r} before any state or country row",
                         locator=grid.where(r, name_col))
    if code and not re.fullmatch(r"[A-Z0-9]{2,5}", code):
        raise InputError(path, f"{code!r} is not an office code", locator=grid.where(r, code_col),
                         expected="a code such as MGA")
    kind = {"state": "field-office", "country": "international"}.get(section, section)
    place = group[1] if group else ""
    note_code = None
    if not code:
        found = find_office(kind, place, name)
        if found:
            code = found.code
            note_code = "code from the office table (the file prints none)"
    if section == "service-center":
        shown = name if re.search(r"cent(er|re)", name, re.IGNORECASE) else \
            f"{name} Service Center"
        geo_code = code or slug(shown)
        note = "; ".join(filter(None, [
            "service center: national workload, not summed into a state", note_code,
            None if code else "no office code: geo_code is the slug of the name"]))
        return _Place("office", geo_code, shown, note, None, "service-center")
    geo_code = code or slug(f"{name} {place}")
    missing = None if code else ("no office code in the file or the office table: geo_code is "
                                 "the slug of office and place")
    if section == "country":
        note = "; ".join(filter(None, [f"international office in {group[0]}", note_code,
                                       missing]))
        return _Place("office", geo_code, f"{name}, {group[0]}", note, None, "international")
    note = "; ".join(filter(None, [f"state {place}", note_code, missing]))
    return _Place("office", geo_code, f"{name}, {place}", note, place)


def _group(grid: Grid, r: int, col: int, label: str, section: str) -> tuple[str, str]:
    if section == "state":
        try:
            return label, geo.state_code(label)
        except geo.GeographyError as exc:
            raise InputError(grid.path, str(exc), locator=grid.where(r, col),
                             expected="a US state or territory") from None
    if section == "service-center":
        raise InputError(grid.path, f"a heading {label!r} in the Service Center section",
                         locator=grid.where(r, col), expected="service center rows with figures")
    return label, label


def _records(grid: Grid, table: Table, form: str, period: str, base: dict[str, Any],
             places: dict[str, _Place]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    group: tuple[str, str] | None = None
    section = "state"
    for r in table.rows:
        cells = grid.texts(r)
        labels = [(c, cells[c]) for c in range(min(table.data_start, len(cells)))
                  if cells[c] and c != table.code_col]
        code = grid.text(r, table.code_col) if table.code_col is not None else ""
        figures = _has_figures(grid, r, table)
        if not labels and not code and not figures:
            continue
        first = labels[0][1] if labels else ""
        low = first.lower()
        if low in ("grand total", "total", "totals") and len(labels) == 1:
            if table.kind == "international":
                place = _Place("region", "international",
                               "International field offices (published total)", None)
            else:
                place = _Place("nation", "US", "United States (published total)", None)
        elif re.search(r"field office by|field offices? by", low) or low.startswith(
                "international field office") or low in ("service center", "service centers"):
            if figures:
                raise InputError(grid.path, f"figures on the section row {first!r}",
                                 locator=grid.where(r))
            section = ("country" if "international" in low or "country" in low else
                       "service-center" if low.startswith("service center") else "state")
            group = None
            continue
        elif len(labels) == 1 and not code and not figures:
            group = _group(grid, r, labels[0][0], first, section)
            continue
        elif labels and len(labels) <= 2 and (figures or code):
            if len(labels) == 2:  # the state (or country) repeated on the office row
                group = _group(grid, r, labels[0][0], labels[0][1], section) \
                    if section != "service-center" else group
            name_col, name = labels[-1]
            place = _office_place(grid, r, section, group, name, code, table.code_col, name_col)
        else:
            raise InputError(grid.path, "a row that is neither a total, a section, a state or "
                             f"country, nor an office: {cells[:4]!r}", locator=grid.where(r),
                             expected="an office name with figures, or a heading alone")
        blank = [c for c in sorted(table.columns) if not grid.text(r, c)]
        if blank and len(blank) < len(table.columns):
            raise InputError(grid.path, f"the row {first or code!r} has figures in some columns "
                             f"and an empty cell in column {column_letter(blank[0])} "
                             f"({table.columns[blank[0]][2]}): a heading with stray figures, or "
                             "a row missing cells", locator=grid.where(r, blank[0]),
                             expected="a figure or a marker (D, -, N/A) in every column of an "
                                      "office or total row, as USCIS prints them")
        extra = place.name.removesuffix(" (published total)")
        for c in range(table.data_start, max(len(cells), max(table.columns) + 1)):
            if c not in table.columns:
                if grid.text(r, c):
                    raise InputError(grid.path, f"{grid.text(r, c)!r} in a column without a "
                                     "header", locator=grid.where(r, c))
                continue
            category, measure, header = table.columns[c]
            value, status = _value(grid, r, c, f"{extra}, {header}")
            records.append({**base, "form": form, "category": category, "measure": measure,
                            "geo_level": place.level, "geo_code": place.code,
                            "geo_name": place.name, "period": period, "value": value,
                            "status": status, "note": place.note,
                            "source_locator": grid.where(r, c, f"{extra}, {header}"),
                            "_row": grid.where(r)})
        if place.level == "office":
            places[place.code] = place
    return records


def _parse_quarterly(grids: list[Grid], result: AdapterResult, base: dict[str, Any]
                     ) -> tuple[list[dict[str, Any]], dict[str, _Place]]:
    """Every table of every grid (a CSV file, or each workbook sheet holding offices); all
    must be of one form and one period."""
    records: list[dict[str, Any]] = []
    places: dict[str, _Place] = {}
    found: set[tuple[str, str]] = set()
    for grid in grids:
        tables = _split(grid)
        form = _form(grid, tables, result.notes, tables[0].status_row)
        period = _period(grid, tables[0].status_row, result.notes)
        found.add((form, period))
        if len(found) > 1:
            raise InputError(grid.path, "sheets of different forms or periods: " + ", ".join(
                f"{f} {p}" for f, p in sorted(found)), locator=grid.where(0),
                expected="one report (one form, one quarter) per file")
        for n, table in enumerate(tables):
            part = _records(grid, table, form, period, base, places)
            for rec in part:
                rec["_table"] = (grid.sheet, n)
            records.extend(part)
    return records, places


# --------------------------------------------------------------------------------------------
# FY2013 multi-year I-130 tables


def _multiyear_header(grid: Grid) -> int | None:
    for r in range(min(40, len(grid.rows))):
        keys = [header_key(c) for c in grid.texts(r)[:3]]
        if keys[:2] == ["fiscal year", "office"] and any(
                _measure(c) == "completed" for c in grid.texts(r)):
            return r
    return None


def _coverage(grid: Grid, h: int, notes: list[str]) -> periods.Period | None:
    """The last fiscal quarter the multi-year table covers."""
    for r in range(len(grid.rows)):
        line = grid.line_text(r)
        if m := re.search(rf"Date\(s\):.*?[-\u2013]\s*(?P<m>{_MONTHS})\s+(?P<y>\d{{4}})", line,
                          re.IGNORECASE):
            year, month_number = _month_of(m)
            q = _quarter_ending_by(year, month_number)
            notes.append(f"data cover through {q.label}, from the line {line!r} "
                         f"({grid.where(r)})")
            return q
    title = _title_text(grid, h)
    if m := re.search(rf"Fiscal Year \d{{4}}\s*[-\u2013]\s*Fiscal Year \d{{4}}\s*\(\s*"
                      rf"(?P<m>{_MONTHS})\s+(?P<y>\d{{4}})\s*\)", title, re.IGNORECASE):
        year, month_number = _month_of(m)
        q = _quarter_ending_by(year, month_number)
        notes.append(f"data cover through {q.label}, from the title's month ({m['m']} {m['y']})")
        return q
    if named := _file_name_quarter(grid.path):
        notes.append(f"data cover through {named.label}, from the file name {grid.path.name!r}")
        return named
    return None


_fiscal_quarter = functools.lru_cache(maxsize=None)(periods.fiscal_quarter)
_state_name = functools.lru_cache(maxsize=None)(geo.state_name)


def _year_period(fy: int, last: periods.Period) -> str | None:
    if fy < last.fiscal_year:
        return f"FY{fy}"
    if fy > last.fiscal_year:
        return None
    q = int(last.label[-1])
    return f"FY{fy}" if q == 4 else f"FY{fy}-Q1" if q == 1 else f"FY{fy}-YTD-Q{q}"


def _state_of_description(description: str) -> str | None:
    words = re.sub(r"/\w+", "", description).split()
    for n in range(len(words) - 1, 0, -1):
        for size in (2, 1):
            if n - size + 1 < 1:
                continue
            try:
                return geo.state_code(" ".join(words[n - size + 1:n + 1]))
            except geo.GeographyError:
                continue
    return None


def _parse_multiyear(grid: Grid, h: int, result: AdapterResult, base: dict[str, Any]
                     ) -> tuple[list[dict[str, Any]], dict[str, _Place]]:
    path, notes = grid.path, result.notes
    form = _form(grid, [Table(h, 3, {})], notes, h)
    header, quarters, blocks = grid.texts(h), grid.texts(h - 1), grid.texts(h - 2)
    columns: dict[int, tuple[str, int | None, str, str]] = {}
    category = ""
    for c in range(3, len(header)):
        if not header[c]:
            continue
        measure = _measure(header[c])
        if measure is None:
            raise InputError(path, f"header matches no known layout: {header[c]!r}",
                             locator=grid.where(h, c),
                             expected="Receipts, Approvals, Denials, Completions, Pending")
        block = blocks[c] if c < len(blocks) else ""
        if header_key(block) != "total" or not category:
            category = _category(block) if block else ""
        if not category:
            raise InputError(path, "a column with no category above it",
                             locator=grid.where(h, c))
        qtext = header_key(quarters[c] if c < len(quarters) else "")
        quarter = _QUARTER_WORDS.get(qtext)
        shown = " / ".join(filter(None, [block, quarters[c] if c < len(quarters) else "",
                                         header[c]]))
        columns[c] = (category, quarter, measure, shown)
    last = _coverage(grid, h, notes)
    if last is None:
        raise InputError(path, "the multi-year table does not say how far its data go",
                         expected='a line "Date(s): October 2010 - December 2012" or a title '
                                  '"Fiscal Year 2011 - Fiscal Year 2013 (December 2012)"')
    records: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    places: dict[str, _Place] = {}
    skipped = repeated = 0
    ended = False
    for r in range(h + 1, len(grid.rows)):
        cells = grid.texts(r)
        first = cells[0] if cells else ""
        figures = any(cells[3:])
        if ended or (first and not re.match(r"^\d{4}\b", first)):
            if figures and any(re.search(r"\d", c) for c in cells[3:]) and ended:
                raise InputError(path, "figures after the end of the table",
                                 locator=grid.where(r))
            ended = ended or bool(first)
            continue
        if not first:
            if figures:
                raise InputError(path, "figures on a row without a fiscal year",
                                 locator=grid.where(r))
            continue
        m = re.match(r"^(?P<fy>\d{4})(?P<total>\s+totals?)?$", first, re.IGNORECASE)
        if not m:
            raise InputError(path, f"{first!r} is not a fiscal year or a year's total row",
                             locator=grid.where(r, 0), expected="2012 or 2012 Total")
        fy = int(m["fy"])
        if m["total"]:
            place = _Place("nation", "US", "United States (published total)", None)
        else:
            code, description = cells[1], cells[2] if len(cells) > 2 else ""
            if not re.fullmatch(r"[A-Z0-9]{2,5}", code):
                raise InputError(path, f"{code!r} is not an office code",
                                 locator=grid.where(r, 1), expected="a code such as ABQ")
            known = known_office(code)
            state = known.state if known and known.kind == "field-office" else \
                _state_of_description(description)
            if state:
                place = _Place("office", code, description, f"state {state}", state)
            else:
                place = _Place("office", code, description, "state not known: not summed into a "
                               "state")
            places[code] = place
        extra = place.name.removesuffix(" (published total)")
        for c, (cat, quarter, measure, shown) in columns.items():
            raw = grid.text(r, c)
            if quarter is not None:
                span = _fiscal_quarter(fy, quarter)
                label = span.label if span.end <= last.end else None
            else:
                label = _year_period(fy, last)
            if label is None:
                value, status = _value(grid, r, c, f"{extra}, {shown}")
                if value:
                    raise InputError(path, f"a figure {raw!r} for a quarter after the end of "
                                     f"the data ({last.label})", locator=grid.where(r, c, shown))
                skipped += 1
                continue
            value, status = _value(grid, r, c, f"{extra}, {shown}")
            key = (place.code, cat, measure, label)
            rec = {**base, "form": form, "category": cat, "measure": measure,
                   "geo_level": place.level, "geo_code": place.code, "geo_name": place.name,
                   "period": label, "value": value, "status": status, "note": place.note,
                   "source_locator": grid.where(r, c, f"{extra}, {shown}"),
                   "_row": grid.where(r), "_table": fy}
            if key in records:  # a year-to-date block equal to its only quarter
                kept = records[key]
                same = (kept["value"], kept["status"]) == (value, status)
                repeated += 1
                if kept["status"] in VALUED and status in VALUED and (
                        not same or place.level == "nation"):
                    result.reconciliation.append(Reconciliation(
                        check=f"{extra}: year block equals the quarter, {cat} {measure}",
                        period=label, parts_sum=float(kept["value"]),
                        published_total=float(value), locator=rec["source_locator"], parts=1))
                continue
            records[key] = rec
    if repeated:
        notes.append(f"{repeated} year-block cells cover only {last.label}, the same period as "
                     "its quarter columns: the quarter's figure is kept; the national ones and "
                     "any that differ are in the reconciliation")
    if skipped:
        notes.append(f"{skipped} cells for quarters after {last.label} (printed '-' or blank, "
                     "not yet reported) were not read")
    if not records:
        raise InputError(path, "no office rows found", expected="office rows below the header")
    return list(records.values()), places


# --------------------------------------------------------------------------------------------
# state sums and reconciliation

Record = dict[str, Any]


def _groups(records: list[Record], keys: tuple[str, ...]) -> dict[tuple, list[Record]]:
    out: dict[tuple, list[Record]] = {}
    for rec in records:
        out.setdefault(tuple(rec[k] for k in keys), []).append(rec)
    return out


def _state_rows(records: list[Record], places: dict[str, _Place]) -> list[Record]:
    """One computed ``state`` row per state, form, category, measure and period: the sum of the
    state's field offices, or no figure (with a lower bound in the note) when one is
    suppressed."""
    states = {code: p.state for code, p in places.items() if p.kind == "field-office" and p.state}
    offices = [dict(r, _state=states[r["geo_code"]]) for r in records
               if r["geo_level"] == "office" and r["geo_code"] in states]
    rows = []
    keys = ("form", "category", "measure", "period", "_state")
    for (form, category, measure, period, state), part in sorted(
            _groups(offices, keys).items()):
        valued = [r for r in part if r["status"] in VALUED]
        known = float(sum(r["value"] for r in valued))
        names = "; ".join(r["geo_name"].rsplit(", ", 1)[0] for r in part)
        count = f"{len(part)} field office{'s' if len(part) > 1 else ''}"
        note = (f"computed by parole-stats, not published: sum of the {count} in {state} "
                f"in this file ({names})")
        others = sorted({r["status"] for r in part} - set(VALUED))
        withheld = [r for r in part if r["status"] in ("suppressed", "withheld")]
        if not others:
            value = known
            status = "zero" if all(r["status"] == "zero" for r in part) else "reported"
        elif withheld:
            value, status = None, "suppressed"
            note += (f"; {len(withheld)} of them suppressed (D), so the state figure is not "
                     f"known: the others sum to {known:,.0f}, a lower bound")
        else:
            value = None
            status = others[0] if len(others) == 1 and not valued else "not_available"
            note += (f"; {len(part) - len(valued)} of them not published ({', '.join(others)})"
                     + (f": the others sum to {known:,.0f}" if valued else ""))
        first = part[0]
        rows.append({**{k: first[k] for k in ("source", "source_file", "citation")},
                     "form": form, "category": category, "measure": measure, "period": period,
                     "geo_level": "state", "geo_code": state, "geo_name": _state_name(state),
                     "value": value, "status": status, "note": note,
                     "source_locator": "sum of office rows: " + "; ".join(r["_row"]
                                                                         for r in part)})
    return rows


def _check(name: str, period: str, parts: list[Record], total: Record,
           unchecked: list[str] | None = None) -> Reconciliation | None:
    parts = [p for p in parts if p["status"] != "not_applicable"]  # "N/A": nothing to add
    if total["status"] not in VALUED or not parts:
        return None
    known = [p for p in parts if p["status"] in VALUED]
    parts_sum = float(sum(p["value"] for p in known))
    if len(known) < len(parts):
        if parts_sum <= total["value"]:
            if unchecked is not None:
                unchecked.append(name)
            return None
        name = f"{name} (known parts exceed the total; {len(parts) - len(known)} part(s) "
        name += "suppressed or not available)"
    return Reconciliation(check=name, period=period, parts_sum=parts_sum,
                          published_total=float(total["value"]), locator=total["source_locator"],
                          parts=len(parts))


def _records_of(counts: pd.DataFrame | list[Record]) -> list[Record]:
    if isinstance(counts, pd.DataFrame):
        counts = counts.astype(object).where(counts.notna(), None).to_dict("records")
    return [r for r in counts if r["geo_level"] != "state"]


def reconcile(counts: pd.DataFrame | list[Record], unchecked: list[str] | None = None
              ) -> list[Reconciliation]:
    """Office categories against office totals; per table, offices against the table's
    published total. Rows may carry ``_table`` naming their table (without it everything is
    one table); computed ``state`` rows are ignored. Published totals that cannot be checked
    (offices suppressed, the known ones below the total) are appended to ``unchecked``."""
    records = _records_of(counts)
    checks: list[Reconciliation] = []
    offices = [r for r in records if r["geo_level"] == "office"]
    categories = {r["category"] for r in records}
    if "total" in categories and len(categories) > 1:
        for (_code, measure, period), group in sorted(
                _groups(offices, ("geo_code", "measure", "period")).items()):
            total = [r for r in group if r["category"] == "total"]
            if not total:
                continue
            name = f"{group[0]['geo_name']}: categories sum to Total, {measure}"
            check = _check(name, period, [r for r in group if r["category"] != "total"],
                           total[0])
            if check:
                checks.append(check)
    by_key = _groups(offices, ("_table", "category", "measure", "period")) if offices and \
        "_table" in offices[0] else _groups([dict(r, _table=0) for r in offices],
                                            ("_table", "category", "measure", "period"))
    for total in records:
        if total["geo_level"] not in ("nation", "region"):
            continue
        parts = by_key.get((total.get("_table", 0), total["category"], total["measure"],
                            total["period"]), [])
        intl = total["geo_code"] == "international"
        name = (f"{'international ' if intl else ''}offices sum to Grand Total, "
                f"{total['category']} {total['measure']}")
        check = _check(name, total["period"], parts, total, unchecked)
        if check:
            checks.append(check)
    return checks


def _reconcile_years(records: list[Record]) -> list[Reconciliation]:
    """Multi-year tables, national rows: quarters against the year block (received), and
    approvals plus denials against completions."""
    checks = []
    nation = [r for r in records if r["geo_level"] == "nation"]
    quarterly = _groups([r for r in nation if re.fullmatch(r"FY\d{4}-Q[1-4]", r["period"])],
                        ("category", "period"))
    for total in nation:
        if total["measure"] not in ("received", "completed"):
            continue
        fy = int(total["period"][2:6])
        if total["period"] != f"FY{fy}" and "YTD" not in total["period"]:
            continue  # a one-quarter year block was checked against its quarter
        last = 4 if total["period"] == f"FY{fy}" else int(total["period"][-1])
        measures = ("received",) if total["measure"] == "received" else ("approved", "denied")
        parts = [r for q in range(1, last + 1)
                 for r in quarterly.get((total["category"], f"FY{fy}-Q{q}"), [])
                 if r["measure"] in measures]
        what = "quarters sum to the year" if total["measure"] == "received" else \
            "approvals and denials sum to completions"
        check = _check(f"{what}, {total['category']}", total["period"], parts, total)
        if check:
            checks.append(check)
    return checks


# --------------------------------------------------------------------------------------------
# entry points


def _office_sheet(grid: Grid) -> bool:
    return any(_is_status_row(grid, r) for r in range(min(40, len(grid.rows))))


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one field-office report into ``counts`` (offices, published totals, computed
    state sums) with reconciliation checks and notes on how form and period were found."""
    path = Path(path)
    expected = ("a sheet of offices by state with Received / Approved / Denied / Pending "
                "columns (e.g. I485_by_State)")
    result = AdapterResult()
    if kind(path) == "xlsx":  # every sheet holding an office table, in workbook order
        grids = list(read_workbook(path, _office_sheet).values()) or [
            read_grid(path, _office_sheet, expected=expected)]  # the latter raises
        result.notes.append("table read from sheet" + ("s " if len(grids) > 1 else " ")
                            + ", ".join(repr(g.sheet) for g in grids))
    else:
        grids = [read_grid(path, expected=expected)]
    grid = grids[0]
    base = {"source": SOURCE, "source_file": source_file, "citation": citation}
    h = _multiyear_header(grid)
    if h is not None:
        records, places = _parse_multiyear(grid, h, result, base)
    else:
        records, places = _parse_quarterly(grids, result, base)
    if not any(r["geo_level"] == "office" for r in records):
        raise InputError(path, "no office rows found", expected="office rows below the header")
    keys = [(r["form"], r["category"], r["measure"], r["geo_level"], r["geo_code"], r["period"])
            for r in records]
    seen: set[tuple[str, ...]] = set()
    for key, rec in zip(keys, records, strict=True):
        if key in seen:
            raise InputError(path, f"the same office appears twice ({rec['geo_name']})",
                             locator=rec["source_locator"])
        seen.add(key)
    unchecked: list[str] = []
    result.reconciliation.extend(reconcile(records, unchecked))
    if unchecked:
        result.notes.append(
            f"{len(unchecked)} published total(s) could not be checked against their offices "
            "because some offices are suppressed (D) and the others sum to less than the total: "
            + "; ".join(unchecked[:6]) + ("; ..." if len(unchecked) > 6 else ""))
    if h is not None:
        result.reconciliation.extend(_reconcile_years(records))
    states = _state_rows(records, places)
    if states:
        count = len({s["geo_code"] for s in states})
        result.notes.append(f"state rows for {count} states computed as the sum of their field "
                            "offices (service centers and international offices are not summed "
                            "into states)")
    unplaced = sorted(p.name for p in places.values() if p.kind == "field-office"
                      and not p.state)
    if unplaced:
        result.notes.append("offices whose state is not known (not summed into a state): "
                            + ", ".join(unplaced))
    frame = counts_frame([{k: v for k, v in r.items() if not k.startswith("_")}
                          for r in [*records, *states]])
    result.tables["counts"] = frame
    return result


def office_states(counts: pd.DataFrame) -> dict[str, str]:
    """Office ``geo_code`` -> USPS state code, for the field offices in states and territories
    (from the ``note`` "state ST" that every such office row carries)."""
    offices = counts[(counts["geo_level"] == "office")
                     & counts["note"].fillna("").str.match(r"state [A-Z]{2}\b")]
    mapping: dict[str, str] = {}
    for code, note in offices[["geo_code", "note"]].drop_duplicates("geo_code").itertuples(
            index=False):
        mapping[code] = str(note)[6:8]
    return mapping
