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
* **Multi-year N-400 tables, FY2012 and early FY2013** ("Fiscal Years: 2010 through 2013
  (November 2012)"): title lines inside one quoted cell, lines ended ``\\r\\r\\n``, one row per
  office (and description) per fiscal year, blocks N-400 Non-Military | N-400 Military | Total
  Naturalization Applications (or the category in each header, ``N-400 Natz Receipts``,
  ``N-400 Mil Svc Approvals``), rows "2010 Total", "2013 YTD Total" and a "Grand Total" over
  every year (no single period: not read, reported). A year still in progress at the data's
  end is the year to date through that month (``FY2013-YTD-2012-11``).
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
  closes). ``AdapterResult.notes`` (shown in the ingest report) says which was used. When the
  Source line's month is before the end of the quarter the file name names, the name is wrong
  (the content decides): the period comes from the Source line, and a note says so.
* Layout vocabularies (status and category synonyms, markers, sections, title and file-name
  patterns, multi-year shapes) are data in ``uscis_field_office.yml`` beside this module.

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

Odd rows and cells
------------------
A file is refused (InputError naming the line or cell) only when its structure cannot be
identified: no header of statuses, a status header or block that matches no layout, no office
rows, the same office twice, an office without a code under a state name that does not resolve.
Everything else is read, and every decision is counted in ``notes`` (the ingest report and
``parole inspect`` show them) with the locators of the first cases:

* a blank cell on an office or total row is ``not_available``; a cell that is neither a number
  nor a marker (a stray ``om``) is ``not_available`` with a note naming what was printed;
* a row is a heading or an office by evidence: the column its name is in (offices one column
  right of the state and country headings, or beside a code), an office code, a state name that
  resolves. Figures printed on a heading or a section row are not read (listed in ``rejected``):
  they belong to no office, and the offices below stay under that heading;
* a row whose figures run into a column without a header may be shifted: none of its cells is
  read (each ``not_available``, listed in ``rejected``);
* office rows after the line taken as the table's end (a footnote-like line inside the table)
  are read: the table resumes;
* a file name whose quarter the content contradicts (a Source line's month before that quarter
  ended) is decided by the content, and the note says so.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract import geo, periods
from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import InputError
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    Rejection,
    counts_frame,
    parse_cell,
)
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
from analysis.limits import load_yaml

SOURCE = "uscis-field-office"
LAYOUT_FILE = "ingest/sources/uscis_field_office.yml"


@functools.cache
def layout() -> dict[str, Any]:
    """The layout families of these reports (``uscis_field_office.yml`` beside this module)."""
    raw = resources.files("analysis").joinpath(LAYOUT_FILE).read_text("utf-8")
    return load_yaml(raw, f"analysis/{LAYOUT_FILE}")


_L = layout()
#: the table key of these reports; a blank cell is not available
FIELD_OFFICE_MARKERS: dict[str, str] = {str(k): v for k, v in _L["markers"].items()}
VALUED = VALUED_STATUSES  # statuses that carry a number (one list, in schemas)
STATUSES: dict[str, str] = dict(_L["statuses"])
_CATEGORIES = [(re.compile(p), name) for p, name in _L["categories"]]
_FORM_OF_CATEGORY: dict[str, str] = dict(_L["form_of_category"])
_GENERIC = re.compile(_L["generic_header"], re.IGNORECASE)
_TOTALS = set(_L["rows"]["totals"])
_SECTIONS = [(re.compile(p, re.IGNORECASE), kind_) for p, kind_ in _L["rows"]["sections"]]
_CODE_HEADERS = set(_L["rows"]["code_headers"])
_CODE = re.compile(_L["rows"]["code"])
_END = re.compile(_L["rows"]["end"], re.IGNORECASE)
_ALSO_COUNTRIES = set(_L["rows"]["state_names_also_countries"])
_MY = _L["multiyear"]
_QUARTER_WORDS: dict[str, int] = dict(_MY["quarter_words"])
_MONTHS = "|".join(_L["months"])
_MONTH_ABBR = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_COVERAGE = [re.compile(p.format(months=_MONTH_ABBR), re.IGNORECASE) for p in _MY["coverage"]]
_FILE_PERIODS = [re.compile(p, re.IGNORECASE) for p in _L["file_periods"]]

_FORM_TITLE = re.compile(r"\b(?:Form\s+)?(?P<form>[NI]-\d{3}[A-Z]?)\b", re.IGNORECASE)
_FORM_NAME = re.compile(r"(?<![a-z0-9])(?P<letter>[ni])[-_ ]?(?P<num>\d{3})(?!\d)", re.IGNORECASE)
_FY_Q = re.compile(r"Fiscal\s+Year\s+(?P<fy>\d{4}),?\s+Quarter\s+(?P<q>[1-4])", re.IGNORECASE)
_RANGE = re.compile(rf"\b(?P<m1>{_MONTH_ABBR})\.?\s*(?P<d1>\d{{1,2}}),?\s*(?P<y1>\d{{4}})?\s*"
                    rf"(?:[-\u2013]|through|to)\s*(?P<m2>{_MONTH_ABBR})\.?\s*(?P<d2>\d{{1,2}}),?\s*"
                    r"(?P<y2>\d{4})", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTHS})\.?,?\s+(?P<y>\d{{4}})\b|\b(?P<mm>0?[1-9]|1[0-2])/"
                         r"(?P<yy>\d{4})\b", re.IGNORECASE)
_SUPERSCRIPTS = str.maketrans("", "", "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078"
                                      "\u2079")


def key(cell: Any) -> str:
    """A header or label cell as compared with the layout: lower case, single spaces, footnote
    marks removed whether glued (``Approved3``), after a space or superscript
    (``Completions¹``)."""
    return re.sub(r"\s+", " ", header_key(text(cell).translate(_SUPERSCRIPTS)))


# --------------------------------------------------------------------------------------------
# what was decided about odd rows and cells


@dataclass
class Decisions:
    """Every decision taken on a row or cell that is not plain, counted, with the first
    locators of each kind; figures not read are also :class:`Rejection` entries."""

    counts: Counter = field(default_factory=Counter)
    where: dict[str, list[str]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, what: str, locator: str, n: int = 1) -> None:
        self.counts[what] += n
        self.where.setdefault(what, [])
        if len(self.where[what]) < 3:
            self.where[what].append(locator)

    def reject(self, what: str, locator: str, value: str) -> None:
        self.add(what, locator)
        self.rejected.append(Rejection(locator, what, value))

    def notes(self) -> list[str]:
        return [f"{n} {what} (e.g. {'; '.join(self.where[what])})"
                for what, n in self.counts.items()]


_BLANK = "blank cells on office or total rows read as not_available"
_ODD = "cells neither a number nor a marker read as not_available (what was printed is in the note)"
_HEADING_FIGURES = ("heading or section rows with figures: the figures not read (they name no "
                    "office)")
_SHIFTED = ("rows with a figure in a column without a header: cells may be shifted, none read "
            "(each not_available)")
_RESUMED = "office rows after a line taken as the table's end read (the table resumes)"
_UNRESOLVED = "state headings not recognised: offices under them placed by their code"
_ORPHAN = "rows with figures but no office name or code: the figures not read"
_NO_HEADING = ("offices without a state heading (none, or one not recognised) placed by the "
               "office table")
_UNPLACED = ("offices without a state heading that the office table cannot place: state not "
             "known, not summed into a state")
_AFTER_END = "figures for quarters after the end of the data not read"
_NOT_CODE = ("office code cells that are not codes ignored (the office placed by its name, as "
             "in files without codes)")
_REPEATED = ("cells repeating the same figure for an office or total already read (a repeated "
             "row, a copied sheet), read once")
_SUBTOTAL = "further total rows in one table not read (what they sum is not printed)"
_SPAN = "total rows over several fiscal years not read (no single period)"


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
    wanted = _norm(name)
    for o in field_offices():
        if o.kind != kind or (kind != "service-center" and place not in (o.state, o.country)):
            continue
        names = {_norm(o.name), *(_norm(a) for a in o.aliases)}
        if wanted in names or (kind == "service-center" and f"{wanted} service center" in names):
            return o
    return None


def _state_code(label: str) -> str | None:
    """The USPS code of a state or territory heading, also when printed "Virgin Islands, U.S."
    or with a parenthesis ("Guam (U.S. Territory)"); None when it is none."""
    plain = re.sub(r"\s*\(.*?\)\s*", " ", text(label)).strip()
    tries = [label, plain]
    if "," in plain:
        before, after = plain.rsplit(",", 1)
        tries.append(f"{after.strip()} {before.strip()}")
    for name in tries:
        try:
            return geo.state_code(name)
        except geo.GeographyError:
            continue
    return None


# --------------------------------------------------------------------------------------------
# step 1: locate each table and assemble its header


@dataclass
class Table:
    """One table of the file: its header and the rows below it."""

    status_row: int  # 0-based grid row of the status header
    data_start: int  # first figure column
    columns: dict[int, tuple[str, str, str]]  # col -> (category, measure, header text)
    code_col: int | None = None
    kind: str = "domestic"
    rows: list[int] = field(default_factory=list)
    name_col: int = 1  # the column of office names (state and country headings are in A)


def _measure(cell: Any) -> str | None:
    return STATUSES.get(key(cell))


def _is_status_row(grid: Grid, r: int) -> bool:
    measures = {_measure(c) for c in grid.texts(r)}
    return "approved" in measures and ("pending" in measures or "denied" in measures)


def _category(label: str) -> str:
    label_key = key(label)
    for pattern, name in _CATEGORIES:
        if pattern.search(label_key):
            return name
    return slug(label_key)


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


def _status_blocks(cells: list[str]) -> list[list[int]]:
    """Status columns grouped into blocks: a new block starts where a measure repeats."""
    blocks: list[list[int]] = []
    for c, cell in enumerate(cells):
        if not _measure(cell):
            continue
        if not blocks or _measure(cell) in {_measure(cells[x]) for x in blocks[-1]}:
            blocks.append([c])
        else:
            blocks[-1].append(c)
    return blocks


def _block_columns(grid: Grid, r: int, blocks: list[list[int]]) -> dict[int, tuple[str, str, str]]:
    cells = grid.texts(r)
    columns: dict[int, tuple[str, str, str]] = {}
    for b, block in enumerate(blocks):
        end = blocks[b + 1][0] if b + 1 < len(blocks) else block[-1] + 1
        label = _block_label(grid, r, range(block[0], end))
        if not label and len(blocks) > 1:
            raise InputError(grid.path, "header matches no known layout: a block of statuses "
                             "with no category above it", locator=grid.where(r, block[0]),
                             expected="a category row (e.g. Naturalization1, Total) over the "
                                      "status row")
        label = label or "Total"
        shown = re.sub(r"\d+$", "", label).strip()
        for c in block:
            columns[c] = (_category(label), _measure(cells[c]), f"{shown} / {cells[c]}")
    return columns


def _check_header(grid: Grid, r: int, first: int, columns: dict[int, tuple[str, str, str]]
                  ) -> None:
    for c, cell in enumerate(grid.texts(r)):
        if c >= first and c not in columns and cell:
            raise InputError(grid.path, f"header matches no known layout: {cell!r}",
                             locator=grid.where(r, c),
                             expected="Applications Received, Approved, Denied, Pending under "
                                      "a category row")
    seen = [(cat, m) for cat, m, _ in columns.values()]
    if len(set(seen)) != len(seen):
        raise InputError(grid.path, "header matches no known layout: a status twice in one "
                         "category", locator=grid.where(r))


def _table_at(grid: Grid, r: int) -> Table:
    blocks = _status_blocks(grid.texts(r))
    columns = _block_columns(grid, r, blocks)
    first = blocks[0][0]
    _check_header(grid, r, first, columns)
    table = Table(status_row=r, data_start=first, columns=columns)
    table.code_col = _code_header(grid, r, first)
    return table


def _code_header(grid: Grid, r: int, upto: int) -> int | None:
    return next((c for c in range(upto) if key(grid.text(r, c)) in _CODE_HEADERS), None)


def _has_figures(grid: Grid, r: int, table: Table) -> bool:
    return any(grid.texts(r)[table.data_start:])


def _office_evidence(grid: Grid, r: int, table: Table) -> bool:
    """A row that reads as an office: a name right of column A or a code, and figures."""
    cells = grid.texts(r)
    named = any(cells[1:table.data_start]) and not _END.match(cells[0] if cells else "")
    numeric = [c for c in cells[table.data_start:] if c and re.fullmatch(
        r"[\d,. ]+|D|-|N/A", c.strip())]
    return named and len(numeric) >= max(1, len(table.columns) // 2)


def _table_rows(grid: Grid, table: Table, stop: int, decisions: Decisions) -> bool:
    """Assign the rows below ``table``'s header to it, up to ``stop``; True when a footnote
    line ended it. Office rows after that line resume the table (counted)."""
    ended = False
    held: list[int] = []  # rows after the end: headings of resumed offices
    for r in range(table.status_row + 1, max(stop, table.status_row + 1)):
        cells = grid.texts(r)
        label = cells[0] if cells else ""
        if ended:
            if _office_evidence(grid, r, table):
                decisions.add(_RESUMED, grid.where(r))
                table.rows.extend(_resumed_headings(grid, held))
                table.rows.append(r)
                held, ended = [], False
            else:
                held.append(r)
            continue
        if _END.match(label) and not _has_figures(grid, r, table):
            ended = True
            continue
        if table.code_col is None:
            table.code_col = _code_header(grid, r, table.data_start)
        table.rows.append(r)
    return ended or bool(held)


def _lone_label(grid: Grid, r: int) -> str:
    label = grid.text(r, 0)
    return label if label and not any(grid.texts(r)[1:]) else ""


def _resumed_headings(grid: Grid, held: list[int]) -> list[int]:
    """The rows between a table's apparent end and the office rows after it that are headings:
    sections and state names anywhere, and the lone label right above the offices."""
    keep = [h for h in held if (label := _lone_label(grid, h)) and (
        _state_code(label) is not None or _section(label) is not None)]
    last = next((h for h in reversed(held) if not grid.is_blank(h)), None)
    if last is not None and last not in keep and (label := _lone_label(grid, last)) and \
            not _END.match(label):
        keep.append(last)
    return sorted(keep)


def _split(grid: Grid, decisions: Decisions) -> list[Table]:
    """Find each table's header, assign the rows below it, find its code column and kind."""
    tables = [_table_at(grid, r) for r in range(len(grid.rows)) if _is_status_row(grid, r)]
    if not tables:
        raise InputError(grid.path, "header matches no known layout: no status row",
                         expected="a header row Applications Received | Approved | Denied | "
                                  "Pending")
    footnotes_seen = False
    for n, table in enumerate(tables):
        stop = tables[n + 1].status_row - 2 if n + 1 < len(tables) else len(grid.rows)
        footnotes_seen = _table_rows(grid, table, stop, decisions) or footnotes_seen
        if table.rows and n + 1 == len(tables) and not footnotes_seen:
            raise InputError(grid.path, "the last table has no Table Key or footnotes after it; "
                             "the file may be truncated", locator=grid.where(table.rows[-1]))
        if table.code_col is None:
            table.code_col = _code_column(grid, table)
        table.name_col = _name_column(grid, table)
        sections = [_section(grid.text(r, 0)) for r in table.rows]
        sections = [s for s in sections if s]
        if sections and all(s == "country" for s in sections):
            table.kind = "international"
    return tables


def _code_column(grid: Grid, table: Table) -> int | None:
    """A label column whose cells on office rows are office codes (files without a header for
    it): at least three codes, and at most one in ten (or one) of its non-empty cells not a
    code (a stray cell is ignored as a code, counted)."""
    for c in range(1, table.data_start):
        values = [grid.text(r, c) for r in table.rows if _has_figures(grid, r, table)
                  and grid.text(r, c)]
        codes = [v for v in values if re.fullmatch(r"[A-Z]{3}", v)]
        if len(codes) >= 3 and len(values) - len(codes) <= max(1, len(values) // 10) and any(
                grid.text(r, b) for r in table.rows for b in range(c)):
            return c
    return None


def _name_column(grid: Grid, table: Table) -> int:
    """The column most rows with figures (totals aside) have their last label in."""
    found: Counter = Counter()
    for r in table.rows:
        labels = [c for c in range(table.data_start) if grid.text(r, c) and c != table.code_col]
        if labels and _has_figures(grid, r, table) and key(grid.text(r, labels[0])) not in \
                _TOTALS:
            found[labels[-1]] += 1
    return found.most_common(1)[0][0] if found else 1


def _section(label: str) -> str | None:
    label_key = key(label)
    return next((kind_ for pattern, kind_ in _SECTIONS if pattern.search(label_key)), None)


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


def _month_number(name: str) -> int:
    return [m[:3] for m in _L["months"]].index(name[:3].lower()) + 1


def _month_of(match: re.Match[str]) -> tuple[int, int]:
    if match["m"]:
        return int(match["y"]), _month_number(match["m"])
    return int(match["yy"]), int(match["mm"])


def _date_line(grid: Grid, upto: int) -> tuple[periods.Period, int, str] | None:
    for r in range(min(upto, len(grid.rows))):
        for t in (*grid.texts(r), grid.line_text(r)):
            if m := _FY_Q.search(t):
                return periods.fiscal_quarter(int(m["fy"]), int(m["q"])), r, m.group(0)
            if m := _RANGE.search(t):
                return _range_period(grid, r, m), r, m.group(0)
    return None


def _range_period(grid: Grid, r: int, m: re.Match[str]) -> periods.Period:
    """The period a date line spans: a fiscal quarter, a fiscal year, or a fiscal year to the
    end of a quarter."""
    try:
        end = pd.Timestamp(year=int(m["y2"]), month=_month_number(m["m2"]), day=int(m["d2"]))
        start = pd.Timestamp(year=int(m["y1"] or m["y2"]), month=_month_number(m["m1"]),
                             day=int(m["d1"]))
    except ValueError:
        start = end = None
    if start is not None and m["y1"] is None and start > end:
        start = start - pd.DateOffset(years=1)
    if end is not None:
        quarter = periods.fiscal_quarter_of(end)
        fy = quarter.fiscal_year
        candidates = [quarter, periods.fiscal_year(fy), periods.fiscal_ytd(fy, quarter.quarter)]
        for span in candidates:
            if (pd.Timestamp(span.start), pd.Timestamp(span.end)) == (start, end):
                return span
    raise InputError(grid.path, f"{m.group(0)!r} is not a fiscal quarter",
                     locator=grid.where(r), expected="a date line spanning one fiscal quarter")


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


def _from_date_line(grid: Grid, first_header: int, named: periods.Period | None,
                    notes: list[str]) -> str | None:
    if not (found := _date_line(grid, first_header)):
        return None
    period, r, shown = found
    notes.append(f"period {period.label} from the date line {shown!r} ({grid.where(r)})")
    if named and named.label != period.label:
        notes.append(f"the file name {grid.path.name!r} suggests {named.label}; the date line "
                     "in the file was used (the content decides)")
    return period.label


def _from_file_name(grid: Grid, named: periods.Period, source: tuple[int, int, str] | None,
                    notes: list[str]) -> str | None:
    """The file name's quarter, unless the Source line's month is before that quarter ended
    (then the name is wrong: None, and the Source line decides)."""
    path = grid.path
    if source:
        month_end = pd.Timestamp(year=source[0], month=source[1], day=1) + pd.offsets.MonthEnd(0)
        if month_end < pd.Timestamp(named.end):
            notes.append(f"the file name {path.name!r} gives {named.label} but the Source "
                         f"line's month ({source[2]}) is before that quarter ended: the content "
                         "decides")
            return None
    agree = ""
    if source:
        from_source = _quarter_ending_by(source[0], source[1])
        agree = (f"; the Source line's month ({source[2]}) agrees" if from_source.label ==
                 named.label else f"; the Source line's month ({source[2]}) is later")
    notes.append(f"period {named.label} from the file name {path.name!r} (the file has no "
                 f"date line){agree}")
    return named.label


def _period(grid: Grid, first_header: int, notes: list[str]) -> str:
    named = _file_name_quarter(grid.path)
    if label := _from_date_line(grid, first_header, named, notes):
        return label
    source = _source_month(grid, first_header)
    if named and (label := _from_file_name(grid, named, source, notes)):
        return label
    if source:
        from_source = _quarter_ending_by(source[0], source[1])
        notes.append(f"period {from_source.label} inferred from the Source line's month "
                     f"({source[2]}): the latest fiscal quarter ended by then. The file has no "
                     "date line" + (" and its name names no quarter" if not named else "")
                     + "; check the period")
        return from_source.label
    raise InputError(grid.path, "no period: no date line, no quarter in the file name and no "
                     "month in a Source line", expected='a date line such as "January 1 - March '
                                                       '31, 2019" or a file name such as '
                                                       '"I130_performancedata_fy2015_qtr1.csv"')


# --------------------------------------------------------------------------------------------
# cells


def _value(grid: Grid, r: int, c: int, header: str, decisions: Decisions
           ) -> tuple[float | None, str, str | None]:
    """``(value, status, note)`` of one figure cell: a number, a marker, blank
    (not_available) or anything else (not_available, with a note saying what was printed)."""
    raw = grid.cell(r, c)
    try:
        value, status = parse_cell(raw.strip() if isinstance(raw, str) else raw,
                                   FIELD_OFFICE_MARKERS)
    except ValueError as exc:
        decisions.add(_ODD, grid.where(r, c, header))
        return None, "not_available", f"cell not read: {exc}"
    if status == "not_available":
        decisions.add(_BLANK, grid.where(r, c, header))
    return value, status, None


# --------------------------------------------------------------------------------------------
# step 2: read the rows of a quarterly table, each classified by evidence


@dataclass
class _Place:
    level: str
    code: str
    name: str
    note: str | None
    state: str | None = None  # field offices in a state or territory
    kind: str = "field-office"


@dataclass
class _Row:
    r: int
    labels: list[tuple[int, str]]
    code: str
    figures: bool

    @property
    def first(self) -> str:
        return self.labels[0][1] if self.labels else ""


@dataclass
class _Walk:
    """Where the reading is: the section and the heading (state or country) above."""

    section: str = "state"
    group: tuple[str, str | None] | None = None
    segment: int = 0  # each total row starts a segment: the offices it is checked against
    totals: set[str] = field(default_factory=set)


def _row(grid: Grid, table: Table, r: int) -> _Row:
    cells = grid.texts(r)
    labels = [(c, cells[c]) for c in range(min(table.data_start, len(cells)))
              if cells[c] and c != table.code_col]
    code = grid.text(r, table.code_col) if table.code_col is not None else ""
    if key(code) in _CODE_HEADERS:  # the code column's header, on a section row
        code = ""
    return _Row(r, labels, code, _has_figures(grid, r, table))


def _kind(row: _Row, table: Table, walk: _Walk) -> str:
    """blank, total, section, heading, office or orphan: by where the name is, the code, the
    section and whether a heading's name resolves."""
    if not row.labels and not row.code:
        return "orphan" if row.figures else "blank"
    if len(row.labels) == 1 and not row.code and key(row.first) in _TOTALS:
        return "total"
    if row.labels and row.labels[0][0] == 0 and not row.code and _section(row.first):
        return "section"
    if row.code or len(row.labels) >= 2 or walk.section == "service-center":
        return "office"
    col, label = row.labels[0]
    if col == table.name_col and col > 0:
        return "heading" if _heading_in_name_column(row, walk) else "office"
    if col == 0 and table.name_col == 0:  # names share column A with the headings
        return _shared_column_kind(row, walk)
    return "heading"


def _heading_in_name_column(row: _Row, walk: _Walk) -> bool:
    """A state name printed one column right, where office names go ("Delaware" above
    "Dover"): no figures, it resolves to a state, and no office of the current state has that
    name (DC's office "Washington" stays an office)."""
    if row.figures:
        return False
    if walk.section == "country":
        return _known_country(row.first) and _by_name("international", row.first) is None
    if walk.section != "state" or _state_code(row.first) is None:
        return False
    here = walk.group[1] if walk.group else None
    return not (here and find_office("field-office", here, row.first))


def _known_country(name: str) -> bool:
    """A country of the office table's international offices."""
    return any(_norm(name) == _norm(o.country) for o in field_offices()
               if o.kind == "international")


def _shared_column_kind(row: _Row, walk: _Walk) -> str:
    """Names and headings in one column (the XLSX editions): a state that resolves is a
    heading; in the international section an office or country of the office table decides,
    else figures make an office."""
    if walk.section == "state":
        return "heading" if _state_code(row.first) else "office"
    if _by_name("international", row.first) is not None:
        return "office"
    if _known_country(row.first):
        return "heading"
    return "office" if row.figures else "heading"


def _total_place(grid: Grid, row: _Row, table: Table, walk: _Walk, decisions: Decisions
                 ) -> _Place | None:
    """The published total of the table (or, after the international section's heading, of
    the international offices); a further total of the same place is not read (counted)."""
    if table.kind == "international" or walk.section == "country":
        place = _Place("region", "international",
                       "International field offices (published total)", None)
    else:
        place = _Place("nation", "US", "United States (published total)", None)
    if place.code in walk.totals:
        _reject_figures(grid, row.r, _SUBTOTAL, row.first, decisions)
        return None
    walk.totals.add(place.code)
    walk.segment += 1
    return place


def _heading(grid: Grid, row: _Row, walk: _Walk, decisions: Decisions) -> None:
    col, label = row.labels[0]
    if row.figures:
        _reject_figures(grid, row.r, _HEADING_FIGURES, label, decisions)
    if walk.section == "country" and (state := _state_code(label)) and \
            key(label) not in _ALSO_COUNTRIES:  # a state after the international section
        walk.section = "state"
        walk.group = (label, state)
    elif walk.section == "country":
        walk.group = (label, label)
    elif walk.section == "state":
        state = _state_code(label)
        if state is None:
            decisions.add(_UNRESOLVED, grid.where(row.r, col))
        walk.group = (label, state)


def _reject_figures(grid: Grid, r: int, what: str, label: str, decisions: Decisions) -> None:
    cells = grid.texts(r)
    for c, cell in enumerate(cells):
        if cell and c > 0 and re.search(r"\d|^D$|^-$|^N/A$", cell.strip()):
            decisions.reject(what, grid.where(r, c, label), cell)
            break
    else:
        decisions.add(what, grid.where(r))


def _office_place(grid: Grid, row: _Row, table: Table, walk: _Walk, decisions: Decisions
                  ) -> _Place:
    if len(row.labels) >= 2 and walk.section != "service-center":  # the state repeated
        heading = _Row(row.r, row.labels[:1], "", False)
        _heading(grid, heading, walk, decisions)
    name_col, name = row.labels[-1] if row.labels else (table.code_col or 0, row.code)
    code = row.code
    if code and not _CODE.fullmatch(code):
        decisions.add(_NOT_CODE, grid.where(row.r, table.code_col))
        code = ""
    if walk.section == "service-center":
        return _service_center(name, code)
    return _field_office(grid, row, name_col, name, code, walk, decisions)


def _service_center(name: str, code: str) -> _Place:
    note_code = None
    if not code and (found := find_office("service-center", "", name)):
        code, note_code = found.code, "code from the office table (the file prints none)"
    shown = name if re.search(r"cent(er|re)", name, re.IGNORECASE) else f"{name} Service Center"
    note = "; ".join(filter(None, [
        "service center: national workload, not summed into a state", note_code,
        None if code else "no office code: geo_code is the slug of the name"]))
    return _Place("office", code or slug(shown), shown, note, None, "service-center")


def _field_office(grid: Grid, row: _Row, name_col: int, name: str, code: str, walk: _Walk,
                  decisions: Decisions) -> _Place:
    kind_ = "international" if walk.section == "country" else "field-office"
    group = _office_group(grid.where(row.r, name_col), name, code, kind_, walk, decisions)
    place = group[1]
    note_code = None
    if not code and place and (found := find_office(kind_, place, name)):
        code, note_code = found.code, "code from the office table (the file prints none)"
    geo_code = code or slug(f"{name} {place or group[0]}")
    missing = None if code else ("no office code in the file or the office table: geo_code is "
                                 "the slug of office and place")
    if kind_ == "international":
        note = "; ".join(filter(None, [f"international office in {group[0]}", note_code,
                                       missing]))
        return _Place("office", geo_code, f"{name}, {group[0]}", note, None, "international")
    if place is None:
        note = "; ".join(filter(None, [f"state not known (under {group[0]!r}): not summed into "
                                       "a state", missing]))
        return _Place("office", geo_code, f"{name}, {group[0]}", note, None)
    note = "; ".join(filter(None, [f"state {place}", note_code, missing]))
    return _Place("office", geo_code, f"{name}, {place}", note, place)


def _by_name(kind_: str, name: str) -> FieldOffice | None:
    """The one office of ``kind_`` with this name in the office table (None when none or
    several, e.g. Portland in Maine and in Oregon)."""
    wanted = _norm(name)
    found = [o for o in field_offices() if o.kind == kind_
             and wanted in {_norm(o.name), *map(_norm, o.aliases)}]
    return found[0] if len(found) == 1 else None


def _office_group(where: str, name: str, code: str, kind_: str, walk: _Walk,
                  decisions: Decisions) -> tuple[str, str | None]:
    """The heading an office is under; without a usable one (none yet, or a state name that
    does not resolve), the office table by code, then by a name only one office has; else
    the state is not known."""
    group = walk.group
    if group is not None and (kind_ == "international" or group[1] is not None):
        return group
    known = known_office(code) if code else None
    if not (known and known.kind == kind_):
        known = _by_name(kind_, name)
    if known is None:
        decisions.add(_UNPLACED, where)
        return group or ("no heading", None)
    decisions.add(_NO_HEADING, where)
    if kind_ == "international":
        return known.country, known.country
    return geo.state_name(known.state), known.state


def _shifted(grid: Grid, r: int, table: Table) -> int | None:
    """A column without a header holding something on row ``r`` (its cells may be shifted)."""
    cells = grid.texts(r)
    return next((c for c in range(table.data_start, len(cells))
                 if c not in table.columns and cells[c]), None)


def _row_records(grid: Grid, r: int, table: Table, place: _Place, fixed: dict[str, Any],
                 decisions: Decisions) -> list[dict[str, Any]]:
    extra = place.name.removesuffix(" (published total)")
    stray = _shifted(grid, r, table)
    if stray is not None:
        decisions.reject(_SHIFTED, grid.where(r, stray), grid.text(r, stray))
    records = []
    for c, (category, measure, header) in sorted(table.columns.items()):
        shown = f"{extra}, {header}"
        if stray is None:
            value, status, cell_note = _value(grid, r, c, shown, decisions)
        else:
            value, status = None, "not_available"
            cell_note = (f"not read: the row has {grid.text(r, stray)!r} in column "
                         f"{column_letter(stray)}, which has no header (cells may be shifted)")
        records.append({**fixed, "category": category, "measure": measure,
                        "geo_level": place.level, "geo_code": place.code,
                        "geo_name": place.name, "value": value, "status": status,
                        "note": "; ".join(filter(None, [place.note, cell_note])) or None,
                        "source_locator": grid.where(r, c, shown), "_row": grid.where(r)})
    return records


def _records(grid: Grid, table: Table, fixed: dict[str, Any], places: dict[str, _Place],
             decisions: Decisions) -> list[dict[str, Any]]:
    """The records of one table, row by row; ``_table`` names the table and the segment
    after each total row (what the total is checked against)."""
    records: list[dict[str, Any]] = []
    walk = _Walk()
    for r in table.rows:
        row = _row(grid, table, r)
        place = _read_row(grid, row, table, walk, decisions)
        if place is None:
            continue
        part = _row_records(grid, r, table, place, fixed, decisions)
        for rec in part:
            rec["_table"] = (fixed["_table"], walk.segment)
        records.extend(part)
        if place.level == "office":
            places[place.code] = place
    if len(walk.totals) <= 1:  # one total covers the whole table, wherever it is printed
        for rec in records:
            rec["_table"] = (fixed["_table"], 0)
    return records


def _read_row(grid: Grid, row: _Row, table: Table, walk: _Walk, decisions: Decisions
              ) -> _Place | None:
    """The place of an office or total row; None for other rows (their effect on the walk
    taken, their stray figures reported)."""
    what = _kind(row, table, walk)
    if what == "total":
        return _total_place(grid, row, table, walk, decisions)
    if what == "office":
        return _office_place(grid, row, table, walk, decisions)
    if what == "section":
        if row.figures:
            _reject_figures(grid, row.r, _HEADING_FIGURES, row.first, decisions)
        walk.section, walk.group = _section(row.first), None
    elif what == "heading":
        _heading(grid, row, walk, decisions)
    elif what == "orphan":
        _reject_figures(grid, row.r, _ORPHAN, "", decisions)
    return None


def _parse_quarterly(grids: list[Grid], result: AdapterResult, base: dict[str, Any],
                     decisions: Decisions) -> tuple[list[dict[str, Any]], dict[str, _Place]]:
    """Every table of every grid (a CSV file, or each workbook sheet holding offices); all
    must be of one form and one period."""
    records: list[dict[str, Any]] = []
    places: dict[str, _Place] = {}
    found: set[tuple[str, str]] = set()
    for grid in grids:
        tables = _split(grid, decisions)
        form = _form(grid, tables, result.notes, tables[0].status_row)
        period = _period(grid, tables[0].status_row, result.notes)
        found.add((form, period))
        if len(found) > 1:
            raise InputError(grid.path, "sheets of different forms or periods: " + ", ".join(
                f"{f} {p}" for f, p in sorted(found)), locator=grid.where(0),
                expected="one report (one form, one quarter) per file")
        for n, table in enumerate(tables):
            fixed = {**base, "form": form, "period": period, "_table": (grid.sheet, n)}
            records.extend(_records(grid, table, fixed, places, decisions))
    return records, places


# --------------------------------------------------------------------------------------------
# multi-year tables (N-400 FY2010 to FY2013, I-130 FY2011 to FY2013): one row per office and
# fiscal year


@dataclass
class YearTable:
    """The header of a multi-year table."""

    h: int  # the status header row
    year_col: int
    office_col: int | None
    desc_col: int | None
    data_start: int
    district: bool = False  # rows are USCIS districts (groups of offices), not offices
    #: col -> (category, quarter or None for the year block, measure, header shown)
    columns: dict[int, tuple[str, int | None, str, str]] = field(default_factory=dict)


def _split_measure(header: str) -> tuple[str, str] | None:
    """``"N-400 Natz Receipts"`` -> ``("n-400 natz", "received")``; a plain status header has
    an empty prefix; None when the header ends in no status."""
    header_text = key(header)
    if header_text in STATUSES:
        return "", STATUSES[header_text]
    for word in sorted(STATUSES, key=len, reverse=True):
        if header_text.endswith(f" {word}"):
            return header_text[:-len(word)].strip(), STATUSES[word]
    return None


def _id_columns(grid: Grid, r: int) -> dict[str, int] | None:
    ids: dict[str, int] = {}
    for c, cell in enumerate(grid.texts(r)[:4]):
        for role in ("year", "office", "description"):
            if key(cell) in _MY[f"{role}_headers"] and role not in ids:
                ids[role] = c
    return ids if {"year", "office"} <= set(ids) else None


def _multiyear_header(grid: Grid) -> YearTable | None:
    for r in range(min(40, len(grid.rows))):
        ids = _id_columns(grid, r)
        if ids is None:
            continue
        start = max(ids.values()) + 1
        measured = [c for c in range(start, len(grid.rows[r])) if grid.text(r, c)
                    and _split_measure(grid.text(r, c))]
        if len(measured) >= 2:
            return YearTable(r, ids["year"], ids["office"], ids.get("description"),
                             measured[0], key(grid.text(r, ids["office"])).startswith("district"))
    return None


def _header_rows(grid: Grid, t: YearTable) -> tuple[list[str], list[str]]:
    """The block (category) row and the quarter row above the status header, either absent."""
    above = [x for x in (t.h - 1, t.h - 2) if x >= 0]
    data = [grid.texts(x)[t.data_start:] for x in above]
    quarter = next((i for i, cells in enumerate(data)
                    if any(key(c) in _QUARTER_WORDS for c in cells)), None)
    block = next((i for i, cells in enumerate(data) if i != quarter and any(cells)
                  and not any(_GENERIC.search(c) for c in cells if c)), None)
    pad = [""] * t.data_start
    return (pad + data[block] if block is not None else [],
            pad + data[quarter] if quarter is not None else [])


def _year_columns(grid: Grid, t: YearTable) -> None:
    header = grid.texts(t.h)
    blocks, quarters = _header_rows(grid, t)
    category = ""
    for c in range(t.data_start, len(header)):
        if not header[c]:
            continue
        split = _split_measure(header[c])
        if split is None:
            raise InputError(grid.path, f"header matches no known layout: {header[c]!r}",
                             locator=grid.where(t.h, c),
                             expected="Receipts, Approvals, Denials, Completions, Pending")
        prefix, measure = split
        block = blocks[c] if c < len(blocks) else ""
        if block and (key(block) != "total" or not category):
            category = _category(block)
        elif not block and prefix:
            category = _category(prefix)
        if not category and not any(blocks):  # one block, no category row: the total
            category = "total"
        if not category:
            raise InputError(grid.path, "a column with no category above it",
                             locator=grid.where(t.h, c))
        quarter_text = quarters[c] if c < len(quarters) else ""
        shown = " / ".join(filter(None, [block, quarter_text, header[c]]))
        t.columns[c] = (category, _QUARTER_WORDS.get(key(quarter_text)), measure, shown)


def _coverage(grid: Grid, t: YearTable, notes: list[str]) -> tuple[int, int]:
    """The last month (year, month) the multi-year table covers: a Date(s) line, the title's
    month, a "Data: Based on" line, else the end of the file name's quarter."""
    for pattern in _COVERAGE:
        for r in range(len(grid.rows)):
            if m := pattern.search(grid.line_text(r)):
                month = (int(m["y"]), _month_number(m["m"]))
                notes.append(f"data cover through {_through(month)} ({m['m']} {m['y']}), from "
                             f"the line {grid.line_text(r)[:80]!r} ({grid.where(r)})")
                return month
    if named := _file_name_quarter(grid.path):
        notes.append(f"data cover through {named.label}, from the file name {grid.path.name!r}")
        end = pd.Timestamp(named.end)
        return end.year, end.month
    raise InputError(grid.path, "the multi-year table does not say how far its data go",
                     expected='a line "Date(s): October 2010 - December 2012" or a title '
                              '"Fiscal Year 2011 - Fiscal Year 2013 (December 2012)"')


def _through(last: tuple[int, int]) -> str:
    """The last month of the data as a period label: the quarter it ends, else the month."""
    year, month_number = last
    if month_number % 3:
        return f"{year}-{month_number:02d}"
    return _quarter_ending_by(year, month_number).label


_fiscal_quarter = functools.lru_cache(maxsize=None)(periods.fiscal_quarter)
_state_name = functools.lru_cache(maxsize=None)(geo.state_name)


def _year_period(fy: int, last: tuple[int, int]) -> str | None:
    """The period of a year block of fiscal year ``fy`` when the data end with month
    ``last``: the whole year, the year to date, or None (a year after the data)."""
    year, month_number = last
    last_fy = year + 1 if month_number >= 10 else year
    if fy != last_fy:
        return f"FY{fy}" if fy < last_fy else None
    if month_number % 3:
        return periods.fiscal_ytd_month(fy, year, month_number).label
    q = (month_number - 10) % 12 // 3 + 1
    return f"FY{fy}" if q == 4 else f"FY{fy}-Q1" if q == 1 else f"FY{fy}-YTD-Q{q}"


def _column_period(fy: int, quarter: int | None, last: tuple[int, int]) -> str | None:
    if quarter is None:
        return _year_period(fy, last)
    span = _fiscal_quarter(fy, quarter)
    month_end = pd.Timestamp(year=last[0], month=last[1], day=1) + pd.offsets.MonthEnd(0)
    return span.label if pd.Timestamp(span.end) <= month_end else None


def _state_of_description(description: str) -> str | None:
    words = re.sub(r"/\w+", "", description).split()
    for n in range(len(words) - 1, 0, -1):
        for size in (2, 1):
            if n - size + 1 < 1:
                continue
            if state := _state_code(" ".join(words[n - size + 1:n + 1])):
                return state
    return None


def _year_place(grid: Grid, r: int, t: YearTable, total: bool) -> _Place | None:
    if total:
        return _Place("nation", "US", "United States (published total)", None)
    code = grid.text(r, t.office_col) if t.office_col is not None else ""
    if not _CODE.fullmatch(code):
        return None
    description = grid.text(r, t.desc_col) if t.desc_col is not None else ""
    if t.district:
        return _Place("region", f"district-{slug(code)}", f"{description or code} district",
                      "USCIS district (a group of field offices): not summed into a state")
    known = known_office(code)
    state = known.state if known and known.kind == "field-office" else \
        _state_of_description(description)
    name = description or (f"{known.name}, {known.state}" if known and known.state else code)
    if state:
        return _Place("office", code, name, f"state {state}", state)
    return _Place("office", code, name, "state not known: not summed into a state")


@dataclass
class _YearRead:
    """What the multi-year reading collected."""

    records: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    places: dict[str, _Place] = field(default_factory=dict)
    checks: list[Reconciliation] = field(default_factory=list)
    skipped: int = 0
    repeated: int = 0


def _year_row(grid: Grid, r: int, t: YearTable, decisions: Decisions
              ) -> tuple[int, _Place] | str | None:
    """``(fiscal year, place)`` of a data row, or "end" / "span" / None (blank or unread)."""
    first = grid.text(r, t.year_col)
    figures = any(grid.texts(r)[t.data_start:])
    if not first:
        if figures:
            _reject_figures(grid, r, _ORPHAN, "", decisions)
        return None
    found = _year_label(first)
    if found is None:
        return "span" if key(first) in _MY["span_totals"] and figures else "end"
    fy, total = found
    office = key(grid.text(r, t.office_col)) if t.office_col is not None else ""
    place = _year_place(grid, r, t, total or office in _TOTALS)
    if place is None:
        _reject_figures(grid, r, _ORPHAN, first, decisions)
        return None
    return fy, place


def _year_label(first: str) -> tuple[int, bool] | None:
    """``"2012"`` -> (2012, False); ``"2011 Totals"``, ``"2013 YTD Total"``, ``"FY 2012
    Total"``, ``"Total 2012"`` -> (year, True); None for anything else."""
    words = re.sub(_MY["year_words"], " ", first, flags=re.IGNORECASE)
    m = re.fullmatch(r"\s*(?:fy\s*)?(\d{4})\s*", words, re.IGNORECASE)
    if m is None:
        return None
    return int(m[1]), bool(re.search(r"total", first, re.IGNORECASE))


def _year_cell(grid: Grid, r: int, c: int, fy: int, place: _Place, last: tuple[int, int],
               state: _YearRead, fixed: dict[str, Any], decisions: Decisions) -> None:
    category, quarter, measure, shown = fixed["_columns"][c]
    extra = place.name.removesuffix(" (published total)")
    where = f"{extra}, {shown}"
    label = _column_period(fy, quarter, last)
    if label is None:
        raw = grid.text(r, c)
        if raw and raw.strip() not in ("-", "0"):
            decisions.reject(_AFTER_END, grid.where(r, c, shown), raw)
        else:
            state.skipped += 1
        return
    value, status, cell_note = _value(grid, r, c, where, decisions)
    rec = {**fixed["base"], "category": category, "measure": measure,
           "geo_level": place.level, "geo_code": place.code, "geo_name": place.name,
           "period": label, "value": value, "status": status,
           "note": "; ".join(filter(None, [place.note, cell_note])) or None,
           "source_locator": grid.where(r, c, where), "_row": grid.where(r), "_table": fy}
    _keep(state, rec, extra)


def _keep(state: _YearRead, rec: dict[str, Any], extra: str) -> None:
    """Keep a record; one already there for the same cell (a year block equal to its only
    quarter, a status repeated inside a category) is compared, not replaced."""
    record_key = (rec["geo_code"], rec["category"], rec["measure"], rec["period"])
    kept = state.records.get(record_key)
    if kept is None:
        state.records[record_key] = rec
        return
    state.repeated += 1
    same = (kept["value"], kept["status"]) == (rec["value"], rec["status"])
    if kept["status"] in VALUED and rec["status"] in VALUED and (
            not same or rec["geo_level"] == "nation"):
        state.checks.append(Reconciliation(
            check=f"{extra}: the same figure printed twice, {rec['category']} {rec['measure']}",
            period=rec["period"], parts_sum=float(kept["value"]),
            published_total=float(rec["value"]), locator=rec["source_locator"], parts=1))


def _year_rows(grid: Grid, t: YearTable, last: tuple[int, int], fixed: dict[str, Any],
               decisions: Decisions) -> _YearRead:
    state = _YearRead()
    ended = False
    for r in range(t.h + 1, len(grid.rows)):
        found = _year_row(grid, r, t, decisions)
        if found == "span":
            _reject_figures(grid, r, _SPAN, grid.text(r, t.year_col), decisions)
        if not isinstance(found, tuple):
            ended = ended or found == "end"
            continue
        if ended:
            decisions.add(_RESUMED, grid.where(r))
            ended = False
        fy, place = found
        for c in t.columns:
            _year_cell(grid, r, c, fy, place, last, state, fixed, decisions)
        if place.level == "office":
            state.places[place.code] = place
    return state


def _parse_multiyear(grid: Grid, t: YearTable, result: AdapterResult, base: dict[str, Any],
                     decisions: Decisions) -> tuple[list[dict[str, Any]], dict[str, _Place]]:
    form = _form(grid, [Table(t.h, t.data_start, {})], result.notes, t.h)
    _year_columns(grid, t)
    last = _coverage(grid, t, result.notes)
    fixed = {"base": {**base, "form": form}, "_columns": t.columns}
    state = _year_rows(grid, t, last, fixed, decisions)
    result.reconciliation.extend(state.checks)
    records = list(state.records.values())
    if state.repeated:
        result.notes.append(f"{state.repeated} cells repeat a figure already read for the same "
                            "office, category, measure and period (a year block covering one "
                            "quarter, or a status printed twice in a category): the first is "
                            "kept; the national ones and any that differ are in the "
                            "reconciliation")
    if state.skipped:
        result.notes.append(f"{state.skipped} cells for quarters after {_through(last)} "
                            "(printed '-' or blank, not yet reported) were not read")
    if not records:
        raise InputError(grid.path, "no office rows found", expected="office rows below the header")
    return records, state.places


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
        if not re.fullmatch(r"FY\d{4}(-YTD-Q[1-4])?", total["period"]):
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


def _grids(path: Path, result: AdapterResult) -> list[Grid]:
    expected = ("a sheet of offices by state with Received / Approved / Denied / Pending "
                "columns (e.g. I485_by_State)")
    if kind(path) != "xlsx":
        return [read_grid(path, expected=expected)]
    grids = list(read_workbook(path, _office_sheet).values()) or [
        read_grid(path, _office_sheet, expected=expected)]  # the latter raises
    result.notes.append("table read from sheet" + ("s " if len(grids) > 1 else " ")
                        + ", ".join(repr(g.sheet) for g in grids))
    return grids


def _unique(path: Path, records: list[Record], decisions: Decisions) -> list[Record]:
    """The records, each office, category, measure and period once: a row repeated with the
    same figures (a sheet copied in the workbook) is read once; different figures for the
    same office stop the file (which is right cannot be told)."""
    seen: dict[tuple[str, ...], Record] = {}
    for rec in records:
        record_key = (rec["form"], rec["category"], rec["measure"], rec["geo_level"],
                      rec["geo_code"], rec["period"])
        kept = seen.get(record_key)
        if kept is None:
            seen[record_key] = rec
        elif (kept["value"], kept["status"]) == (rec["value"], rec["status"]):
            decisions.add(_REPEATED, rec["_row"])
        else:
            raise InputError(path, f"the same office appears twice with different figures "
                             f"({rec['geo_name']})", locator=rec["source_locator"])
    return list(seen.values())


def _reconcile_all(records: list[Record], result: AdapterResult, multiyear: bool) -> None:
    unchecked: list[str] = []
    result.reconciliation.extend(reconcile(records, unchecked))
    if unchecked:
        result.notes.append(
            f"{len(unchecked)} published total(s) could not be checked against their offices "
            "because some offices are suppressed (D) or not available and the others sum to less "
            "than the total: "
            + "; ".join(unchecked[:6]) + ("; ..." if len(unchecked) > 6 else ""))
    if multiyear:
        result.reconciliation.extend(_reconcile_years(records))


def _state_notes(states: list[Record], places: dict[str, _Place], notes: list[str]) -> None:
    if states:
        count = len({s["geo_code"] for s in states})
        notes.append(f"state rows for {count} states computed as the sum of their field offices "
                     "(service centers and international offices are not summed into states)")
    unplaced = sorted(p.name for p in places.values() if p.kind == "field-office"
                      and not p.state)
    if unplaced:
        notes.append("offices whose state is not known (not summed into a state): "
                     + ", ".join(unplaced))


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one field-office report into ``counts`` (offices, published totals, computed
    state sums) with reconciliation checks and notes on how form and period were found and on
    every odd row or cell."""
    path = Path(path)
    result = AdapterResult()
    grids = _grids(path, result)
    base = {"source": SOURCE, "source_file": source_file, "citation": citation}
    decisions = Decisions()
    header = _multiyear_header(grids[0])
    if header is not None:
        records, places = _parse_multiyear(grids[0], header, result, base, decisions)
    else:
        records, places = _parse_quarterly(grids, result, base, decisions)
    if not any(r["geo_level"] == "office" or r["geo_code"].startswith("district-")
               for r in records):
        raise InputError(path, "no office rows found", expected="office rows below the header")
    records = _unique(path, records, decisions)
    _reconcile_all(records, result, header is not None)
    states = _state_rows(records, places)
    _state_notes(states, places, result.notes)
    result.notes.extend(decisions.notes())
    result.decisions.update(decisions.counts)
    result.rejected.extend(decisions.rejected)
    result.tables["counts"] = counts_frame([{k: v for k, v in r.items() if not k.startswith("_")}
                                            for r in [*records, *states]])
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
