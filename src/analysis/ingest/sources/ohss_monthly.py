"""Adapter ``ohss-monthly``: parole tables of the DHS Office of Homeland Security Statistics
(OHSS) "Immigration Enforcement and Legal Processes Monthly Tables", as the workbook and as the
flat monthly CSV OHSS builds from it.

Inputs (told apart by content)
------------------------------
**The workbook** (about 35 sheets). Read are the parole tables, found by sheet name or by the
title line above the table:

============================  =============================  ===================  ============
sheet (title)                 category                       measure              columns
============================  =============================  ===================  ============
CHNV Paroles (Confirmed       ``chnv-parole``                ``paroled``          Total and
CHNV Paroles by Process)                                                          each country
CHNV I-134 (Confirmed CHNV    ``chnv-i134-beneficiary``      ``confirmed``        Total and
Beneficiaries by Process)                                                         each country
CHNV Travel Authorization     ``chnv-travel-authorization``  ``authorized``       Total and
                                                                                  each country
CBP SWB Book-Outs by Agency   ``swb-book-outs-ofo``          ``ofo-paroles``      the OFO
                                                                                  Paroles column
============================  =============================  ===================  ============

A country column adds its name to the category (``chnv-parole-haiti``). Every row is the nation
(``US``). Each sheet: a link line and a title ("... Fiscal Years 2023 to 2024 YTD (July 2024)"),
then the header (``Fiscal Year | Month | Total | Cuba | ...``, row 3 in 2024; found by its cells,
with a group row above it on the book-outs sheet: ``Total CBP``, ``USBP``, ``OFO``). The fiscal
year is written once per block, on the block's ``Total`` row (2024 releases: the Total row comes
first) or on its first month (older layouts: the Total row closes the block); ``2024 YTD`` marks
the fiscal year to date. Text rows (the table key, notes, footnotes, source) may sit between
blocks as well as after the table: they are read as notes and never end the table.

**The flat CSV** (``ielp-table-YYYYMM.csv``): one row per month, columns ``Calendar Year``,
``Fiscal Year``, ``Month`` (``0`` = the fiscal year's total) and one column per
``Table:Measure`` (``Southwest Border Book-outs/OFO:OFO Paroles``). Columns of the tables above
are read into the same categories and measures as the workbook; the others (repatriations,
other book-out outcomes) are listed in a note as not read.

Periods
-------
Months are ``2024-03`` (October to December belong to the next fiscal year). A block's Total
row is ``FY2023`` when the block is a whole fiscal year. A ``YTD`` block (or a total over part
of a year) is fiscal year to date through its last month: ``FY2024-YTD-Q3`` through June,
``FY2024-YTD-2024-07`` through July (see :mod:`analysis.contract.periods`); its note says so. A
total
whose months leave gaps fits no label: it is reconciled only, and a note says so.

Statuses
--------
* ``X``: what the sheet's key says. The 2024 workbooks say "X Not applicable." (the process had
  not started): status ``not_applicable``, distinct from ``suppressed``; a key that speaks of
  suppression gives ``suppressed``. Without a key, ``not_applicable`` and a note.
* Rounding: when the sheet's notes say the cells are rounded ("rounded to the nearest ten"),
  every number has status ``rounded`` (totals need not add up). The CSV carries no notes: its
  figures are ``rounded`` when every one of them is a multiple of ten, with a note saying why.

Reconciliation: each month's countries against its Total column; each Total row against the
sum of its months; the book-outs sheet's OFO Paroles under ``Total CBP`` against the one under
``OFO``. Rounded figures need not add up: each check says whether the difference is within the
rounding tolerance (5 per rounded figure, the largest error rounding to tens can make).

Release: the month in the title ("(July 2024)") or the CSV's name (``ielp-table-202408``), as
``2024-07``; ingestion keeps the latest release's figure where releases overlap
(:mod:`analysis.ingest.sources.revisions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.contract import periods
from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources.base import AdapterResult, Reconciliation, counts_frame

SOURCE = "ohss-monthly"
#: Largest difference rounding to the nearest ten can make to one figure.
ROUNDING_ERROR = 5
MONTHS = {name: number for number, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
     ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
     ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
     ("december", "dec")], start=1) for name in names}
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class Table:
    """One parole table: how to recognise it, and what its figures are."""

    key: str
    name: re.Pattern[str]  # matched against the sheet name, the title line or a CSV table name
    category: str
    measure: str
    column: str | None = None  # read only this column (header text), else Total and countries
    group: str | None = None  # ...under this group heading (book-outs: OFO)
    describe: str = ""


TABLES = (
    Table("chnv-parole", re.compile(r"chnv\W*parole(?!\s*process)|chnv paroles", re.I),
          "chnv-parole", "paroled", describe="confirmed CHNV paroles (by parole date)"),
    Table("chnv-i134", re.compile(r"chnv\W*(i-?134|beneficiar)", re.I),
          "chnv-i134-beneficiary", "confirmed",
          describe="confirmed CHNV beneficiaries of an approved I-134/I-134A"),
    Table("chnv-travel", re.compile(r"chnv.*travel auth", re.I), "chnv-travel-authorization",
          "authorized", describe="CHNV advance travel authorizations"),
    Table("swb-book-outs", re.compile(r"(cbp|swb|sw border)\b.*book-?outs? by agency"
                                      r"|southwest border book-?outs?/", re.I),
          "swb-book-outs-ofo", "ofo-paroles", column="ofo paroles", group="ofo",
          describe="SW border OFO book-outs with the outcome OFO Paroles"),
)


def _table_of(*texts: str) -> Table | None:
    for text in texts:
        for table in TABLES:
            if text and table.name.search(text):
                return table
    return None


# --------------------------------------------------------------------------- entry point


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read the parole tables of an OHSS workbook or flat monthly CSV."""
    path = Path(path)
    found = reading.kind(path)
    if found == "xlsx":
        return _workbook(path, source_file, citation)
    if found == "csv":
        return _flat_csv(path, source_file, citation)
    raise InputError(path, f"a {found} file is not an OHSS monthly table",
                     expected="the OHSS monthly tables workbook (.xlsx) or its ielp-table CSV")


# --------------------------------------------------------------------------- workbook


@dataclass
class _Cell:
    raw: object
    row: int
    col: int
    header: str


@dataclass
class _Block:
    fiscal_year: int
    ytd: bool
    label_row: int
    months: list[tuple[int, dict[str, _Cell]]] = field(default_factory=list)
    total: dict[str, _Cell] | None = None
    total_row: int = 0


@dataclass
class _Sheet:
    grid: reading.Grid
    table: Table
    header_row: int
    columns: dict[str, tuple[int, str]]  # category -> (column index, header text)
    check_columns: dict[str, tuple[int, str]] = field(default_factory=dict)
    texts: list[tuple[int, str]] = field(default_factory=list)


def _header_row(grid: reading.Grid) -> int | None:
    for r in range(min(len(grid.rows), 15)):
        keys = [reading.header_key(t) for t in grid.texts(r)]
        if "fiscal year" in keys and "month" in keys:
            return r
    return None


def _title(grid: reading.Grid, header: int) -> str:
    return " ".join(grid.line_text(r) for r in range(header))


def _workbook(path: Path, source_file: str, citation: str) -> AdapterResult:
    grids = reading.read_workbook(path)
    result = AdapterResult()
    sheets: list[_Sheet] = []
    for name, grid in grids.items():
        header = _header_row(grid)
        if header is None:
            continue
        table = _table_of(name, _title(grid, header))
        if table is None:
            continue
        sheet = _sheet(grid, table, header)
        if sheet is None:
            result.notes.append(f"sheet {name}: titled like the {table.key} table but has no "
                                f"{table.column!r} column; not read")
            continue
        sheets.append(sheet)
    if not sheets:
        raise InputError(path, "no OHSS parole table found (sheets: "
                               f"{', '.join(grids) or 'none'})",
                         expected="a sheet such as 'CHNV Paroles' with a Fiscal Year / Month "
                                  "header")
    records: list[dict] = []
    releases = []
    for sheet in sheets:
        release = _release(_title(sheet.grid, sheet.header_row)) or _release(path.stem)
        if release:
            releases.append(release)
        records.extend(_read_sheet(path, sheet, result, source_file, citation))
    if releases:
        result.release = max(releases)
    skipped = [n for n in grids if n not in {s.grid.sheet for s in sheets}]
    result.notes.insert(0, "ohss-monthly workbook: read sheets "
                        + ", ".join(repr(s.grid.sheet) for s in sheets)
                        + (f"; {len(skipped)} other sheets are not parole tables and were not "
                           "read" if skipped else ""))
    result.tables["counts"] = counts_frame(records)
    return result


def _release(text: str) -> str | None:
    """``2024-07`` from "(July 2024)" in a title or "-july-2024" in a file name."""
    m = re.search(rf"\b({_MONTH_NAMES})\.?[\s_-]+(20\d\d)\b", text, re.I)
    if m:
        return f"{m[2]}-{MONTHS[m[1].lower()]:02d}"
    m = re.search(r"ielp-table-(20\d\d)(0[1-9]|1[0-2])\b", text, re.I)
    return f"{m[1]}-{m[2]}" if m else None


def _sheet(grid: reading.Grid, table: Table, header: int) -> _Sheet | None:
    texts = grid.texts(header)
    keys = [reading.header_key(t) for t in texts]
    groups: list[str] = []  # the group heading above each column (book-outs: Total CBP, OFO)
    current = ""
    above = grid.texts(header - 1) if header > 0 else []
    for c in range(len(texts)):
        if c < len(above) and above[c] and c > keys.index("month"):
            current = above[c]
        groups.append(current)
    fy, month = keys.index("fiscal year"), keys.index("month")
    sheet = _Sheet(grid, table, header, {})
    if table.column is None:
        if "total" not in keys:
            return None
        for c, key in enumerate(keys):
            if c in (fy, month) or not key:
                continue
            category = table.category if key == "total" else (
                f"{table.category}-{reading.slug(key)}")
            sheet.columns[category] = (c, texts[c])
        return sheet
    matches = [c for c, key in enumerate(keys) if key == table.column]
    if not matches:
        return None
    preferred = [c for c in matches if groups[c].lower() == table.group] or matches[-1:]
    sheet.columns[table.category] = (preferred[0], texts[preferred[0]])
    for c in matches:
        if c != preferred[0]:
            label = groups[c] or "another group"
            sheet.check_columns[label] = (c, texts[c])
    return sheet


_FY = re.compile(r"^(?:FY\s*)?(?P<y>\d{4})(?:\.0)?(?P<ytd>\s*YTD)?(?P<total>\s+total)?$", re.I)


def _block_start(text: str) -> tuple[int, bool, bool] | None:
    m = _FY.match(text)
    return (int(m["y"]), bool(m["ytd"]), bool(m["total"])) if m else None


def _scan_cells(sheet: _Sheet, r: int) -> dict[str, _Cell]:
    grid = sheet.grid
    return {cat: _Cell(grid.cell(r, c), r, c, head)
            for cat, (c, head) in {**sheet.columns,
                                   **{f"check:{k}": v for k, v in
                                      sheet.check_columns.items()}}.items()}


def _scan_text(sheet: _Sheet, r: int, fy_text: str, result: AdapterResult) -> None:
    """A row with neither a fiscal year nor a month: a grand total (noted, not read) or text."""
    grid = sheet.grid
    has_values = any(grid.text(r, c) for c, _ in sheet.columns.values())
    if fy_text and re.fullmatch(r"(grand\s+)?totals?", fy_text, re.I) and has_values:
        result.notes.append(f"sheet {grid.sheet}: grand Total row ({grid.where(r)}) "
                            "spans several fiscal years; no period label fits, so it "
                            "is not in counts")
    else:
        sheet.texts.append((r, grid.line_text(r)))


def _scan_month(sheet: _Sheet, r: int, month_text: str, block: _Block,
                seen: dict[tuple[int, int], int], month_col: int,
                result: AdapterResult) -> None:
    """A month row (or the block's Total row) of ``block``."""
    grid = sheet.grid
    cells = _scan_cells(sheet, r)
    if month_text.lower() in ("total", "totals"):
        block.total, block.total_row = cells, r
        return
    month = MONTHS.get(month_text.lower().rstrip("."))
    if month is None:
        result.rejected.append(_rejection(grid.where(r, month_col),
                                          "not a month name or Total", month_text))
        return
    if (block.fiscal_year, month) in seen:
        result.rejected.append(_rejection(
            grid.where(r), f"duplicate row: FY{block.fiscal_year} {month_text} already "
            f"given on row {seen[block.fiscal_year, month] + 1}", month_text))
        return
    seen[block.fiscal_year, month] = r
    block.months.append((month, cells))


def _scan(path: Path, sheet: _Sheet, result: AdapterResult) -> list[_Block]:
    """The sheet's rows as fiscal-year blocks of month rows and a Total row."""
    grid = sheet.grid
    keys = [reading.header_key(t) for t in grid.texts(sheet.header_row)]
    fy_col, month_col = keys.index("fiscal year"), keys.index("month")
    blocks: list[_Block] = []
    seen: dict[tuple[int, int], int] = {}
    for r in range(sheet.header_row + 1, len(grid.rows)):
        if grid.is_blank(r):
            continue
        fy_text, month_text = grid.text(r, fy_col), grid.text(r, month_col)
        start = _block_start(fy_text) if fy_text else None
        if start is None and not month_text:
            _scan_text(sheet, r, fy_text, result)
            continue
        if start is not None:
            year, ytd, closing = start
            if closing and not month_text:
                month_text = "Total"
            if not blocks or blocks[-1].fiscal_year != year or blocks[-1].ytd != ytd:
                blocks.append(_Block(year, ytd, r))
        if not blocks:
            raise InputError(path, f"sheet {grid.sheet}: a data row before any fiscal year",
                             locator=grid.where(r, fy_col),
                             expected="the fiscal year on the first row of each block")
        _scan_month(sheet, r, month_text, blocks[-1], seen, month_col, result)
    return blocks


def _rejection(locator: str, reason: str, value: str):
    from analysis.ingest.sources.base import Rejection

    return Rejection(locator, reason, value)


@dataclass
class _Key:
    markers: dict[str, str]
    x_note: str
    rounded: bool
    rounding_note: str


def _key(texts: list[str]) -> _Key:
    x_meaning = None
    rounded = None
    for text in texts:
        m = re.match(r"^X\s*(?:=|:|-)?\s+(?P<meaning>[A-Za-z].*)$", text)
        if m and x_meaning is None:
            x_meaning = m["meaning"].strip().rstrip(".")
        r = re.search(r"[^.]*\brounded\b[^.]*\.?", text, re.I)
        if r and rounded is None:
            rounded = re.sub(r"^notes?\s*:\s*", "", r[0].strip(), flags=re.I)
    if x_meaning is None:
        status, note = "not_applicable", ("X: the sheet has no key; OHSS tables use X for "
                                          "'not applicable'")
    elif re.search(r"suppress|withh|disclos|privacy", x_meaning, re.I):
        status, note = "suppressed", f"X: {x_meaning} (the sheet's key)"
    else:
        status, note = "not_applicable", f"X: {x_meaning} (the sheet's key)"
    markers = {"X": status, "-": "zero", "": "not_available", "N/A": "not_available",
               "NA": "not_available"}
    return _Key(markers, note, rounded is not None, rounded or "")


def _footnote(texts: list[str], header: str) -> str | None:
    m = re.search(r"(?<=[A-Za-z)])(\d{1,2})$", header)
    if not m:
        return None
    for text in texts:
        if re.match(rf"^{m[1]}(?=[A-Z])", text):
            return text[len(m[1]):].strip()
    return None


def _read_sheet(path: Path, sheet: _Sheet, result: AdapterResult, source_file: str,
                citation: str) -> list[dict]:
    grid, table = sheet.grid, sheet.table
    blocks = _scan(path, sheet, result)
    texts = [t for _, t in sheet.texts]
    key = _key(texts)
    if sheet.header_row != 2 and table.column is None:
        result.notes.append(f"sheet {grid.sheet}: header found on row {sheet.header_row + 1} "
                            "(the 2024 layout has it on row 3)")
    notes_base = [f"{table.describe}; {key.rounding_note}" if key.rounded else table.describe]
    if table.column:
        c, head = sheet.columns[table.category]
        meaning = _footnote(texts, head)
        if meaning:
            notes_base.append(f"{reading.header_key(head)}: {meaning}")
    cite = f"{citation}, sheet {grid.sheet}"
    emitter = _Emitter(result, key, source_file, cite, notes_base)
    for block in blocks:
        month_values: dict[str, list] = {c: [] for c in sheet.columns}
        for month, cells in block.months:
            span = _calendar_month(block.fiscal_year, month)
            parsed = emitter.emit(grid, cells, span, sheet.columns)
            for category in sheet.columns:
                month_values[category].append(parsed.get(category))
            _reconcile_row(result, grid, parsed, span, cells, table)
            _reconcile_groups(result, grid, parsed, cells, span, emitter)
        if block.total is None:
            continue
        label, why = _block_period(block)
        where = grid.where(block.total_row)
        if label is None:
            result.notes.append(f"sheet {grid.sheet}: FY{block.fiscal_year} Total row ({where}) "
                                f"{why}; used only for reconciliation")
            span = periods.fiscal_year(block.fiscal_year)
            parsed = emitter.emit(grid, block.total, span, sheet.columns, record=False)
        else:
            span = periods.parse(label)
            parsed = emitter.emit(grid, block.total, span, sheet.columns, extra=why)
            _reconcile_groups(result, grid, parsed, block.total, span, emitter)
        for category, values in month_values.items():
            check = _check(f"{grid.sheet}: months sum to FY{block.fiscal_year} Total row "
                           f"({category})", values, parsed.get(category), span.label,
                           grid.where(block.total_row, sheet.columns[category][0]))
            if check:
                result.reconciliation.append(check)
    other = [t for t in texts if not re.match(r"^(X\b|\d{1,2}[A-Z])", t)]
    if other:
        result.notes.append(f"sheet {grid.sheet}: " + " | ".join(other))
    return emitter.records


def _calendar_month(fiscal_year: int, month: int) -> periods.Period:
    return periods.fiscal_month(fiscal_year, month)


def _block_period(block: _Block, published: str = "") -> tuple[str | None, str]:
    """The Total row's period label and a note (or None and why no label fits)."""
    numbers = [m for m, _ in block.months]
    order = sorted((m - 10) % 12 for m in numbers)  # October = 0
    published = published or f"published as '{block.fiscal_year}{' YTD' if block.ytd else ''}'"
    if not numbers:
        if block.ytd:
            return None, "is a year-to-date total without its months, so its end is unknown"
        return periods.fiscal_year(block.fiscal_year).label, ""
    if order != list(range(len(order))):
        return None, "covers months with gaps between them, which no period label describes"
    if len(order) == 12:
        return periods.fiscal_year(block.fiscal_year).label, (
            f"{published}; all twelve months are given" if block.ytd else "")
    last = _calendar_month(block.fiscal_year, (order[-1] + 9) % 12 + 1)
    year, month = map(int, last.label.split("-"))
    span = periods.fiscal_ytd_month(block.fiscal_year, year, month)
    return span.label, (f"fiscal year to date, October {span.start.year} to {last.label} "
                        f"({published}, with only these months given)")


class _Emitter:
    def __init__(self, result: AdapterResult, key: _Key, source_file: str, citation: str,
                 notes: list[str]):
        self.result, self.key = result, key
        self.source_file, self.citation, self.notes = source_file, citation, notes
        self.records: list[dict] = []

    def parse(self, grid: reading.Grid, cell: _Cell) -> tuple[float | None, str] | None:
        parsed = self.result.cell(cell.raw, grid.where(cell.row, cell.col, cell.header),
                                  markers=self.key.markers)
        if parsed and parsed[1] == "reported" and self.key.rounded:
            return parsed[0], "rounded"
        return parsed

    def emit(self, grid: reading.Grid, cells: dict[str, _Cell], span: periods.Period,
             columns: dict, *, record: bool = True, extra: str = ""
             ) -> dict[str, tuple | None]:
        parsed: dict[str, tuple | None] = {}
        for category, cell in cells.items():
            value = self.parse(grid, cell)
            parsed[category] = value
            if value is None or not record or category.startswith("check:"):
                continue
            notes = [*self.notes]
            if extra:
                notes.append(extra)
            if value[1] == "not_applicable" or value[1] == "suppressed":
                notes.append(self.key.x_note)
            self.records.append({
                "source": SOURCE, "form": None, "category": category,
                "measure": _measure_of(category), "geo_level": "nation", "geo_code": "US",
                "geo_name": "United States", "period": span.label, "value": value[0],
                "status": value[1], "source_file": self.source_file,
                "source_locator": grid.where(cell.row, cell.col, cell.header),
                "citation": self.citation, "note": "; ".join(n for n in notes if n)})
        return parsed


def _measure_of(category: str) -> str:
    for table in sorted(TABLES, key=lambda t: len(t.category), reverse=True):
        if category == table.category or category.startswith(table.category + "-"):
            return table.measure
    raise AssertionError(category)  # pragma: no cover - categories come from TABLES


def _check(name: str, parts: list[tuple | None], total: tuple | None, period: str,
           locator: str) -> Reconciliation | None:
    if total is None or total[0] is None or not parts or any(p is None for p in parts):
        return None
    valued = [p for p in parts if p[0] is not None]
    left_out = len(parts) - len(valued)
    rounded = sum(1 for p in [*parts, total] if p[1] == "rounded")
    check = Reconciliation(check=name, period=period,
                           parts_sum=float(sum(p[0] for p in valued)),
                           published_total=float(total[0]), parts=len(valued), locator=locator)
    notes = []
    if left_out:
        notes.append(f"{left_out} part(s) without a number (X or blank) left out")
    if rounded:
        tolerance = ROUNDING_ERROR * rounded
        inside = abs(check.difference) <= tolerance
        notes.append(f"rounded figures: {'within' if inside else 'OUTSIDE'} rounding tolerance "
                     f"of {tolerance}")
    if notes:
        check.check = f"{name} ({'; '.join(notes)})"
    return check


def _reconcile_row(result: AdapterResult, grid: reading.Grid, parsed: dict,
                   span: periods.Period, cells: dict, table: Table) -> None:
    if table.column is not None:
        return
    parts = [v for c, v in parsed.items() if c != table.category and not c.startswith("check:")]
    check = _check(f"{grid.sheet}: countries sum to Total column", parts,
                   parsed.get(table.category), span.label,
                   grid.where(cells[table.category].row, cells[table.category].col))
    if check:
        result.reconciliation.append(check)


def _reconcile_groups(result: AdapterResult, grid: reading.Grid, parsed: dict, cells: dict,
                      span: periods.Period, emitter: _Emitter) -> None:
    """The same measure printed under two group headings (book-outs: Total CBP and OFO)."""
    main = [c for c in parsed if not c.startswith("check:")]
    for category in [c for c in parsed if c.startswith("check:")]:
        check = _check(f"{grid.sheet}: {cells[category].header} under {category[6:]} equals "
                       f"the one read ({main[0]})", [parsed[category]], parsed[main[0]],
                       span.label, grid.where(cells[category].row, cells[category].col))
        if check:
            result.reconciliation.append(check)


# --------------------------------------------------------------------------- flat CSV


def _flat_header(path: Path, grid: reading.Grid) -> tuple[list[str], int, int]:
    """The header of the flat table and its Fiscal Year and Month columns."""
    head = grid.texts(0) if grid.rows else []
    keys = [reading.header_key(t) for t in head]
    if not {"fiscal year", "month"} <= set(keys) or not any(":" in t for t in head):
        raise InputError(path, f"header {head[:5]!r} is not the OHSS flat monthly table",
                         locator=grid.where(0), expected="Calendar Year, Fiscal Year, Month "
                         "and Table:Measure columns (ielp-table-YYYYMM.csv)")
    return head, keys.index("fiscal year"), keys.index("month")


@dataclass
class _FlatColumns:
    """The ``Table:Measure`` columns of the flat table: read, checked, or not read."""

    columns: dict[str, tuple[int, str]] = field(default_factory=dict)
    checks: dict[str, tuple[int, str]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)


def _flat_column(found: _FlatColumns, c: int, title: str) -> None:
    table_name, measure = (p.strip() for p in title.split(":", 1))
    table = _table_of(table_name)
    if table is None:
        found.unread.append(title)
        return
    key = reading.header_key(measure)
    if table.column is None:
        category = table.category if key == "total" else f"{table.category}-{reading.slug(key)}"
        found.columns[category] = (c, title)
    elif key != table.column:
        found.unread.append(title)
    elif table_name.lower().rstrip().endswith("/" + (table.group or "")):
        found.columns[table.category] = (c, title)
    else:
        found.checks[table_name.rsplit("/", 1)[-1].lower()] = (c, title)


def _flat_columns(path: Path, head: list[str], fy_col: int, month_col: int) -> _FlatColumns:
    found = _FlatColumns()
    for c, title in enumerate(head):
        if ":" in title:
            _flat_column(found, c, title)
        elif c not in (fy_col, month_col) and reading.header_key(title) != "calendar year":
            found.unread.append(title)
    if not found.columns:
        raise InputError(path, "no parole column in the flat table (columns: "
                               f"{', '.join(head[:8])}, ...)",
                         expected="a column such as 'Southwest Border Book-outs/OFO:OFO Paroles'")
    return found


def _flat_key(grid: reading.Grid, body: list[int], found: _FlatColumns) -> _Key:
    values = [grid.text(r, c) for r in body for c, _ in found.columns.values()]
    numbers = [v.replace(",", "") for v in values if re.fullmatch(r"[\d,]+", v)]
    rounded = bool(numbers) and all(int(v) % 10 == 0 for v in numbers)
    return _Key({"X": "not_applicable", "-": "zero", "": "not_available"},
                "X: the CSV has no key; the OHSS workbook's key says 'X Not applicable'",
                rounded, "every figure in the CSV is a multiple of ten, as OHSS rounds its "
                         "tables to the nearest ten; the CSV itself carries no notes")


def _flat_blocks(grid: reading.Grid, body: list[int], head: list[str], fy_col: int,
                 month_col: int, found: _FlatColumns, result: AdapterResult
                 ) -> dict[int, _Block]:
    """One block per fiscal year: its month rows and its month-0 total row."""
    blocks: dict[int, _Block] = {}
    for r in body:
        fy_text, month_text = grid.text(r, fy_col), grid.text(r, month_col)
        if not re.fullmatch(r"\d{4}", fy_text) or not re.fullmatch(r"\d{1,2}", month_text) \
                or int(month_text) > 12:
            result.rejected.append(_rejection(grid.where(r), "fiscal year or month is not a "
                                              "number (month 0 to 12)",
                                              f"{fy_text} / {month_text}"))
            continue
        year, month = int(fy_text), int(month_text)
        block = blocks.setdefault(year, _Block(year, False, r))
        cells = {cat: _Cell(grid.cell(r, c), r, c, head[c])
                 for cat, (c, _) in {**found.columns, **{f"check:{k}": v for k, v in
                                                         found.checks.items()}}.items()}
        if month == 0:
            block.total, block.total_row = cells, r
        else:
            block.months.append((month, cells))
    return blocks


def _flat_block(grid: reading.Grid, block: _Block, columns: dict[str, tuple[int, str]],
                emitter: _Emitter, result: AdapterResult) -> None:
    """Emit a fiscal year's months, then its total (when a period fits) checked against them."""
    month_values: dict[str, list] = {c: [] for c in columns}
    for month, cells in block.months:
        span = _calendar_month(block.fiscal_year, month)
        parsed = emitter.emit(grid, cells, span, columns)
        for category in columns:
            month_values[category].append(parsed.get(category))
        _reconcile_groups(result, grid, parsed, cells, span, emitter)
    if block.total is None:
        return
    label, why = _block_period(block, f"month 0 row of fiscal year {block.fiscal_year}")
    if label is None:
        result.notes.append(f"FY{block.fiscal_year} total ({grid.where(block.total_row)}) "
                            f"{why}; used only for reconciliation")
        return
    span = periods.parse(label)
    parsed = emitter.emit(grid, block.total, span, columns, extra=why)
    _reconcile_groups(result, grid, parsed, block.total, span, emitter)
    for category, vals in month_values.items():
        check = _check(f"months sum to FY{block.fiscal_year} total ({category})", vals,
                       parsed.get(category), span.label,
                       grid.where(block.total_row, columns[category][0]))
        if check:
            result.reconciliation.append(check)


def _flat_csv(path: Path, source_file: str, citation: str) -> AdapterResult:
    """The flat monthly CSV OHSS builds from the workbook: header, columns, rows by fiscal
    year, then each year's months and total."""
    grid = reading.read_csv(path)
    head, fy_col, month_col = _flat_header(path, grid)
    found = _flat_columns(path, head, fy_col, month_col)
    result = AdapterResult()
    body = [r for r in range(1, len(grid.rows)) if not grid.is_blank(r)]
    key = _flat_key(grid, body, found)
    notes = ["from the OHSS flat monthly CSV" + (f"; {key.rounding_note}" if key.rounded
                                                 else "")]
    emitter = _Emitter(result, key, source_file, f"{citation}, flat monthly table", notes)
    for block in _flat_blocks(grid, body, head, fy_col, month_col, found, result).values():
        _flat_block(grid, block, found.columns, emitter, result)
    result.release = _release(path.name) or _latest_month(emitter.records)
    result.notes.insert(0, "ohss-monthly flat CSV: read " + ", ".join(
        title for _, title in found.columns.values()))
    if found.unread:
        result.notes.append(f"{len(found.unread)} columns are not parole tables and were not "
                            "read: " + ", ".join(found.unread))
    result.tables["counts"] = counts_frame(emitter.records)
    return result


def _latest_month(records: list[dict]) -> str | None:
    months = [r["period"] for r in records if re.fullmatch(r"\d{4}-\d{2}", r["period"])]
    return max(months) if months else None
