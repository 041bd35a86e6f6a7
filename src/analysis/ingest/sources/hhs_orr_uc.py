"""Adapter ``hhs-orr-uc``: HHS ORR unaccompanied children (UC) released to sponsors, and the
ORR monthly program statistics.

Layouts (recognised by the header, not the file name)
------------------------------------------------------
``state-table``    The HHS page's table for one fiscal year: two columns, state and count, with
                   a ``TOTAL`` row. CSV (or HTML when ``lxml`` is installed). The fiscal year is
                   read from the count column's header ("FY 2019", "2019") or else from the file
                   name (``..._fy2019.csv``).
``state-wide``     Compiled wide form: ``state, fy15, fy16, ..., fy21_so_far`` with a ``TOTAL``
                   row. A ``_so_far`` column is a part-year figure (marked in ``note``).
``county``         ``state, county, fy21_so_far`` (HHS publishes only counties with 50 or more
                   releases); the county's 5-digit FIPS code is resolved from state + name.
``monthly-long``   Program statistics ``group, category, month, value, number_type``.
``monthly-wide``   The same statistics as a workbook: ``group, category`` then one column per
                   month (first sheet).

Output
------
* Releases: ``counts`` rows with category ``uc-released-to-sponsors``, measure ``released``,
  period ``FY2018``; the ``TOTAL`` row is the nation (``US``) row. Each year's states are
  reconciled against the published TOTAL (the FY2018 states add to 34,963 against a published
  34,953: kept as published and reported, never corrected).
* Monthly statistics: ``counts`` rows, period ``2019-05``; category by group (see ``GROUPS``),
  measure from the row title (``-percent`` appended for percentages). These are published
  numbers, not all of them counts of people: averages, bed capacity and rates are labelled so in
  the measure name and in ``note``.
* Average length of care goes to ``processing_times`` (statistic
  ``mean-length-of-care-discharged`` / ``mean-length-of-care-in-care``). HHS publishes it in
  days; the contract's unit is months, so ``months = days / 30.4375`` (the mean month,
  365.25 / 12) and ``note`` keeps the published number of days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.contract import geo, periods
from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    Rejection,
    counts_frame,
    reconcile_totals,
    table_frame,
)
from analysis.ingest.sources.published import reconcile_states

SOURCE = "hhs-orr-uc"
RELEASED = {"category": "uc-released-to-sponsors", "measure": "released"}
DAYS_PER_MONTH = 365.25 / 12
TOTAL_NAMES = {"total", "totals", "grand total", "u s total", "us total", "united states"}

#: Monthly statistics group -> counts category.
GROUPS = {
    "overall data": "uc-program",
    "age": "uc-by-age",
    "gender": "uc-by-gender",
    "tender age 0 12 uc by shelter type": "uc-tender-age-by-shelter-type",
    "total monthly discharges to individual sponsors only by category":
        "uc-discharges-to-individual-sponsors",
}
#: Row titles (normalised) that are lengths of care in days -> processing_times statistic.
LENGTH_OF_CARE = {
    "average length of care for those discharged": "mean-length-of-care-discharged",
    "average length of care for those in care": "mean-length-of-care-in-care",
}
MONTHLY_COLUMNS = ("group", "category", "month", "value", "number_type")


@dataclass
class _Row:
    """One source row: its locator prefix ("line 5" / "sheet 'x', row 5") and cells by column."""

    where: str
    cells: dict[str, object]


def _norm(text: object) -> str:
    """Lower-case words: "Average Length of Care (for those discharged)**:" -> "average ...";
    a plus sign is kept as a word ("17+" -> "17 plus", distinct from "17")."""
    text = str(text).lower().replace("+", " plus ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text)).strip()


def _slug(text: object) -> str:
    return _norm(text).replace(" ", "-")


# --------------------------------------------------------------------------- reading


@dataclass
class _Table:
    """A table found in a file: its header (one text per column), rows and layout."""

    header: list
    rows: list[_Row]
    layout: str
    where: str  # the header's place ("sheet State, row 1" / "line 1")
    extent: dict[object, str]  # header -> the header cells' text (with a second header row)


def _find_table(grid: reading.Grid) -> _Table | None:
    """The first row of ``grid`` (within the first 10 non-blank rows) that is the header of a
    known layout, with the data rows below it; None when no row is."""
    seen = 0
    for r in range(len(grid.rows)):
        if grid.is_blank(r):
            continue
        seen += 1
        if seen > 10:
            return None
        cells = list(grid.rows[r])
        while cells and (cells[-1] is None or reading.text(cells[-1]) == ""):
            cells.pop()
        header = [c if isinstance(c, datetime) else reading.text(c) for c in cells]
        layout = _layout(header)
        if layout is None:
            continue
        first = r + 1
        extent = {h: reading.text(h) for h in header}
        # a second header row (the date ranges under "... in FY16"): no row title, text cells
        if first < len(grid.rows) and not grid.text(first, 0) and any(grid.texts(first)) and \
                all(not re.fullmatch(r"[\d,.\s]*", t) for t in grid.texts(first) if t):
            for c, sub in enumerate(grid.texts(first)):
                if sub and c < len(header):
                    extent[header[c]] = f"{extent[header[c]]} {sub}".strip()
            first += 1
        rows = []
        for i in range(first, len(grid.rows)):
            if grid.is_blank(i):
                continue
            values = list(grid.rows[i])
            extra = [v for v in values[len(header):] if reading.text(v)]
            if extra:
                raise InputError(grid.path, f"{len(header) + len(extra)} filled cells where the "
                                 f"header has {len(header)}", locator=grid.where(i))
            values += [None] * (len(header) - len(values))
            row = _Row(grid.where(i), {})
            for c, name in enumerate(header):
                row.cells[name] = values[c]
                row.cells[("cell", name)] = f"{reading.column_letter(c)}{i + 1}"
                row.cells[("column", name)] = reading.column_letter(c)
            rows.append(row)
        return _Table(header, rows, layout, grid.where(r), extent)
    return None


def _read_html(path: Path) -> _Table:
    try:
        tables = pd.read_html(path, flavor="lxml")
    except ImportError as exc:
        raise InputError(path, "reading HTML tables needs the lxml package, which is not "
                         "installed", expected="the table saved as CSV, or lxml installed") from exc
    except ValueError as exc:
        raise InputError(path, f"no HTML table found ({exc})") from exc
    frame = tables[0].astype(str)
    header = [str(c).strip() for c in frame.columns]
    layout = _layout(header)
    if layout is None:
        raise _no_layout(path, header, "table 1, header")
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        row = _Row(f"table 1, row {i + 1}", dict(zip(header, r, strict=True)))
        for c, name in enumerate(header):
            row.cells[("column", name)] = reading.column_letter(c)
        rows.append(row)
    return _Table(header, rows, layout, "table 1, header", {h: h for h in header})


def _no_layout(path: Path, header: list, where: str) -> InputError:
    return InputError(path, f"header {header!r} matches no HHS ORR layout", locator=where,
                      expected="group,category,month,value,number_type; group,category,<months>; "
                               "state,county,fyNN; state,fyNN,...; or a two-column state table")


# --------------------------------------------------------------------------- layouts


def _layout(header: list) -> str | None:
    names = [_norm(h).replace(" ", "_") for h in header if h not in (None, "")]
    if not names:
        return None
    if tuple(names) == MONTHLY_COLUMNS:
        return "monthly-long"
    if names[:2] == ["group", "category"] and len(header) > 2 and all(
            _as_month(h) is not None for h in header[2:] if h not in (None, "")):
        return "monthly-wide"
    if names[:2] == ["state", "county"] and len(names) > 2:
        return "county"
    if names[0] in ("state", "state_name", "states") and len(names) > 2 and all(
            _fy_of_column(h) for h in header[1:] if h not in (None, "")):
        return "state-wide"
    if len(names) == 2 and names[0] in ("state", "state_name", "states"):
        return "state-table"
    return None


def layout_of(path: Path, header: list) -> str:
    """The layout a header row belongs to; raises naming the known layouts."""
    layout = _layout(header)
    if layout is None:
        raise _no_layout(path, header, "header row")
    return layout


def _table(path: Path) -> tuple[_Table, str | None]:
    """The file's table (for a workbook: the first sheet holding one, found by content) and the
    workbook's sheet name."""
    found = reading.kind(path)
    if found == "html" or path.suffix.lower() in (".html", ".htm"):
        return _read_html(path), None
    if found == "xlsx":
        grids = reading.read_workbook(path)
        for name, grid in grids.items():
            table = _find_table(grid)
            if table is not None:
                return table, name
        seen = "; ".join(f"{n}: {g.line_text(0)[:60]!r}" for n, g in grids.items())
        raise InputError(path, f"no sheet holds an HHS ORR table (sheets and first rows: "
                               f"{seen or 'none'})",
                         expected="a sheet with State and fiscal-year columns, a county table or "
                                  "the monthly statistics")
    grid = reading.read_grid(path, expected="an HHS ORR table")
    if not grid.rows or all(grid.is_blank(r) for r in range(len(grid.rows))):
        raise InputError(path, "empty file", expected="a header row")
    table = _find_table(grid)
    if table is None:
        first = next(r for r in range(len(grid.rows)) if not grid.is_blank(r))
        raise _no_layout(path, grid.texts(first), grid.where(first))
    return table, None


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one HHS ORR file (see the module docstring for the layouts)."""
    path = Path(path)
    table, sheet = _table(path)
    header, rows, layout = table.header, table.rows, table.layout
    if not rows:
        raise InputError(path, "no data rows after the header", locator=table.where)
    ctx = _Context(path, source_file, citation, AdapterResult())
    if layout == "monthly-long":
        _monthly(ctx, _long_cells(rows))
    elif layout == "monthly-wide":
        cells, empty = _wide_cells(header, rows)
        _monthly(ctx, cells)
        if empty:
            ctx.result.notes.append(f"{empty} empty cells skipped: months in which the row "
                                    "title was not published")
        ctx.result.notes.append("the workbook has no number_type column: 'Average Occupancy "
                                "Rate' is read as a percentage (as in the long-format file), "
                                "every other row as a number")
    elif layout == "county":
        _county(ctx, header, rows)
    elif layout == "state-wide":
        saved = reading.workbook_saved(path) if sheet is not None else None
        _states(ctx, header, rows, header[1:], extent=table.extent, saved=saved)
    else:
        _states(ctx, header, rows, [header[1]], fy=_table_year(path, header[1]))
    ctx.result.notes.insert(0, f"hhs-orr-uc layout {layout} (header at {table.where})")
    return ctx.result


@dataclass
class _Context:
    path: Path
    source_file: str
    citation: str
    result: AdapterResult


_FY_IN_HEADER = re.compile(r"\bfy\s*'?(?P<y>\d{4}|\d{2})(?!\d)", re.I)
_PART_WORDS = re.compile(r"so[ _-]*far|\bytd\b|year[ _-]*to[ _-]*date|partial|part[ _-]year", re.I)
_MONTH_ABBR = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_RANGE = re.compile(r"(?P<m1>[a-z]{3})[a-z]*\.?\s*(?P<y1>\d{4})\s*(?:[-\u2013\u2014]+|to)\s*"
                    r"(?P<m2>[a-z]{3})[a-z]*\.?\s*(?P<y2>\d{4})", re.I)


def _fy_of_column(column: object, text: str | None = None) -> tuple[int, str | None] | None:
    """(fiscal year, part-year note or None) from a column header such as ``fy21_so_far``,
    ``FY 2019`` or "Total Number of UC Released to Sponsors in FY15 (Oct. 2014 — Sep. 2015)";
    ``text`` is the header with any second header row (the date range) added."""
    header = reading.text(column)
    m = _FY_IN_HEADER.search(header)
    if not m:
        return None
    year = int(m["y"])
    year = 2000 + year if year < 100 else year
    full = text or header
    if _PART_WORDS.search(full):
        return year, (f"part-year figure: the column {header!r} is the fiscal year so far when "
                      "compiled, not the full year")
    r = _RANGE.search(full)
    if r and r["m1"].lower() in _MONTH_ABBR and r["m2"].lower() in _MONTH_ABBR:
        start = (int(r["y1"]), _MONTH_ABBR[r["m1"].lower()])
        end = (int(r["y2"]), _MONTH_ABBR[r["m2"].lower()])
        if (start, end) != ((year - 1, 10), (year, 9)):
            return year, (f"part-year figure: the header gives the months covered as "
                          f"{r[0]}, not the whole fiscal year (October {year - 1} to "
                          f"September {year})")
    return year, None


def _table_year(path: Path, column: str) -> int:
    for text in (column, path.stem):
        m = re.search(r"(?:fy\s*)?(20\d{2})", str(text), re.I) or re.search(
            r"fy\s*(\d{2})(?!\d)", str(text), re.I)
        if m:
            year = int(m[1])
            return 2000 + year if year < 100 else year
    raise InputError(path, f"no fiscal year in the count column header {column!r} or the file "
                     "name", locator="header row",
                     expected="a header such as 'FY 2019' or a file name such as ..._fy2019.csv")


def _value(ctx: _Context, raw: object, locator: str) -> tuple[float | None, str] | None:
    """The cell's (value, status), or None with a Rejection recorded."""
    return ctx.result.cell(raw, locator)


# --------------------------------------------------------------------------- states / counties


def _states(ctx: _Context, header: list, rows: list[_Row], columns: Iterable,
            fy: int | None = None, extent: dict | None = None,
            saved: datetime | None = None) -> None:
    """State rows (and the TOTAL row as the nation) for each fiscal-year column.

    ``extent``: each column's full header text (with a second header row); ``saved``: when the
    workbook was last saved: a fiscal year that had not ended by then is part-year whatever its
    header says."""
    state_column = header[0]
    records = []
    seen: dict[tuple[str, str], str] = {}
    columns = [c for c in columns if c not in (None, "")]
    short_rows = _short_rows(ctx, rows, state_column, columns) if fy is None else {}
    for column in columns:
        if column in (None, ""):
            continue
        if fy is not None:
            year, part = fy, None
        else:
            year, part = _fy_of_column(column, (extent or {}).get(column))
        fy_end = periods.fiscal_year(year).end
        if part is None and saved is not None and saved.date() < fy_end:
            part = (f"part-year figure: FY{year} had not ended when the workbook was saved "
                    f"({saved:%Y-%m-%d}), so the column covers at most October {year - 1} to "
                    f"{saved:%B %Y}, although its header names the whole year")
        if part:
            ctx.result.notes.append(f"FY{year} ({reading.text(column)!r}): {part}")
        short = re.sub(r"\s+", " ", reading.text(column))
        if len(short) > 40:
            short = f"FY{year}"
        for row in rows:
            name = reading.text(row.cells[state_column])
            letter = row.cells.get(("column", column))
            place = f"column {letter}" if letter else f"column {column}"
            locator = f"{row.where}, {place} ({name}, {short})"
            if _norm(name) in TOTAL_NAMES:
                level, code, geo_name = "nation", "US", "United States (published total)"
            else:
                try:
                    code = geo.state_code(name)
                except geo.GeographyError as exc:
                    raise InputError(ctx.path, str(exc), locator=f"{row.where}, column "
                                     f"{state_column}", expected="a US state or territory name"
                                     ) from None
                level, geo_name = "state", geo.state_name(code)
            if (code, column) in seen:
                ctx.result.rejected.append(Rejection(
                    locator, f"duplicate row: {geo_name} already given at {seen[code, column]}",
                    str(row.cells[column])))
                continue
            seen[code, column] = row.where
            parsed = _value(ctx, row.cells[column], locator)
            if parsed is None:
                continue
            notes = [part] if part else []
            if row.cells[column] is None or reading.text(row.cells[column]) == "":
                notes.append("blank in the file")
            if id(row) in short_rows:
                notes.append(short_rows[id(row)])
            note = "; ".join(notes) or None
            records.append({
                "source": SOURCE, "form": None, **RELEASED, "geo_level": level,
                "geo_code": code, "geo_name": geo_name, "period": f"FY{year}",
                "value": parsed[0], "status": parsed[1], "source_file": ctx.source_file,
                "source_locator": locator,
                "citation": f"{ctx.citation}; released to sponsors by state, FY{year}",
                "note": note})
    frame = counts_frame(records)
    ctx.result.tables["counts"] = frame
    ctx.result.reconciliation.extend(reconcile_states(frame))
    for check in ctx.result.reconciliation:
        if check.difference:
            ctx.result.notes.append(
                f"{check.period}: the states add to {check.parts_sum:,.0f} but the published "
                f"TOTAL is {check.published_total:,.0f} (difference {check.difference:+,.0f}); "
                "both kept as published")


def _short_rows(ctx: _Context, rows: list[_Row], state_column: object,
                columns: list) -> dict[int, str]:
    """Rows that end blank where the TOTAL row has figures, with a note for their figures.

    In pasted tables a row one cell short has every later figure under the wrong year, and the
    missing cell could be any of them. The figures are kept as they stand in the file, each
    with a note asking to verify it against the publisher (charts and tables flag them), and
    the file's notes say which rows."""
    total = next((r for r in rows if _norm(reading.text(r.cells[state_column])) in TOTAL_NAMES),
                 None)
    if total is None:
        return {}
    found: dict[int, str] = {}
    for row in rows:
        blank = [c for c in columns if reading.text(row.cells.get(c)) == ""]
        if row is total or not blank:
            continue
        tail = columns[columns.index(blank[0]):]
        if all(reading.text(row.cells.get(c)) == "" for c in tail) and \
                reading.text(total.cells.get(blank[0])) != "":
            name = reading.text(row.cells[state_column])
            found[id(row)] = (f"verify: the {name} row has {len(columns) - len(blank)} figures "
                              f"for {len(columns)} fiscal-year columns and ends blank where the "
                              "TOTAL has figures; a cell may be missing from the row, which would "
                              "put its figures under the wrong years")
            ctx.result.notes.append(f"{row.where}: {found[id(row)]}")
    return found


def _county(ctx: _Context, header: list, rows: list[_Row]) -> None:
    state_column, county_column, *value_columns = header
    records = []
    seen: dict[tuple[str, str], str] = {}
    for row in rows:
        state_text = str(row.cells[state_column]).strip()
        county_text = str(row.cells[county_column]).strip()
        try:
            fips = geo.county_fips(county_text, state_text)
        except geo.GeographyError as exc:
            raise InputError(ctx.path, f"{exc} (row: {state_text}, {county_text})",
                             locator=f"{row.where}, columns {state_column}/{county_column}",
                             expected="a county of the row's state") from None
        for column in value_columns:
            fy = _fy_of_column(column)
            if fy is None:
                raise InputError(ctx.path, f"column {column!r} is not a fiscal year",
                                 locator="header row", expected="fyNN or fyNN_so_far")
            year, part_note = fy
            part = part_note is not None
            locator = f"{row.where}, column {column} ({county_text}, {state_text})"
            if (fips, column) in seen:
                ctx.result.rejected.append(Rejection(
                    locator, f"duplicate row: county {fips} already given at "
                    f"{seen[fips, column]}", str(row.cells[column])))
                continue
            seen[fips, column] = row.where
            parsed = _value(ctx, row.cells[column], locator)
            if parsed is None:
                continue
            note = "HHS publishes only counties with 50 or more releases in the year"
            if part:
                note = (f"part-year figure (column {column!r}: fiscal year so far when "
                        f"compiled); {note}")
            records.append({
                "source": SOURCE, "form": None, **RELEASED, "geo_level": "county",
                "geo_code": fips, "geo_name": f"{geo.county_name(fips)}, "
                                              f"{geo.state_code(state_text)}",
                "period": f"FY{year}", "value": parsed[0], "status": parsed[1],
                "source_file": ctx.source_file, "source_locator": locator,
                "citation": f"{ctx.citation}; released to sponsors by county, FY{year}",
                "note": note})
    ctx.result.tables["counts"] = counts_frame(records)


# --------------------------------------------------------------------------- monthly statistics


@dataclass
class _Cell:
    locator: str
    group: str
    category: str
    month: object
    value: object
    number_type: str


def _as_month(value: object) -> str | None:
    """A month label "2019-05" from a date, datetime or "2019-05-01" text; None otherwise."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    return f"{stamp.year}-{stamp.month:02d}"


def _long_cells(rows: list[_Row]) -> list[_Cell]:
    cells = []
    for row in rows:
        c = {_norm(k).replace(" ", "_"): v for k, v in row.cells.items()}
        cells.append(_Cell(f"{row.where}, column value", str(c["group"]).strip(),
                           str(c["category"]).strip(), c["month"], c["value"],
                           str(c["number_type"]).strip()))
    return cells


def _wide_cells(header: list, rows: list[_Row]) -> tuple[list[_Cell], int]:
    """Cells of the wide workbook, and how many empty cells were skipped (months in which a
    row title was not published, e.g. "17" and "17+" each cover part of the months)."""
    cells, empty = [], 0
    for row in rows:
        group, category = row.cells[header[0]], row.cells[header[1]]
        for column in header[2:]:
            if column is None:
                continue
            if row.cells[column] is None:
                empty += 1
                continue
            percent = "rate" in _norm(category) and "occupancy" in _norm(category)
            cells.append(_Cell(
                f"{row.where}, cell {row.cells[('cell', column)]} ({_as_month(column)})",
                str(group).strip(), str(category).strip(), column, row.cells[column],
                "Percent" if percent else "Number"))
    return cells, empty


def _monthly(ctx: _Context, cells: list[_Cell]) -> None:
    counts, times = [], []
    seen: dict[tuple[str, str, str], str] = {}
    for cell in cells:
        month = _as_month(cell.month)
        if month is None:
            ctx.result.rejected.append(Rejection(cell.locator, "month is not a date",
                                                 str(cell.month)))
            continue
        key = (_norm(cell.group), _norm(cell.category), month)
        if key in seen:
            ctx.result.rejected.append(Rejection(
                cell.locator, f"duplicate row: {cell.group} / {cell.category} / {month} already "
                f"given at {seen[key]}", str(cell.value)))
            continue
        seen[key] = cell.locator
        parsed = _value(ctx, cell.value, cell.locator)
        if parsed is None:
            continue
        value, status = parsed
        footnote = re.search(r"\*+", cell.category)
        notes = []
        if footnote:
            notes.append(f"row title carries footnote mark {footnote[0]} on the HHS page "
                         "(footnote text not in this file)")
        title = _norm(cell.category)
        base = {"source": SOURCE, "form": None, "geo_level": "nation", "geo_code": "US",
                "geo_name": "United States", "period": month, "source_file": ctx.source_file,
                "source_locator": cell.locator,
                "citation": f"{ctx.citation}; program statistics, {cell.group}: "
                            f"{cell.category.rstrip(':* ')}"}
        if title in LENGTH_OF_CARE:
            days = value
            months = None if days is None else days / DAYS_PER_MONTH
            notes.insert(0, f"published as {days:g} days; months = days / 30.4375"
                         if days is not None else "published without a value")
            times.append({**base, "subtype": "unaccompanied-children", "as_of": None,
                          "statistic": LENGTH_OF_CARE[title], "months": months,
                          "status": status, "note": "; ".join(notes)})
            continue
        category = GROUPS.get(_norm(cell.group))
        if category is None:
            category = "uc-" + _slug(cell.group)
            notes.append(f"group {cell.group!r} is not one this adapter knows; category "
                         "derived from its name")
        measure = _slug(cell.category)
        if _norm(cell.group) == "age":
            measure = f"age-{measure}"
        if cell.number_type.lower() == "percent":
            measure += "-percent"
            notes.append("a percentage, not a count")
        elif re.search(r"\b(average|rate|maximum)\b", title):
            notes.append("an average, rate or capacity as published, not a count of children")
        if category in ("uc-by-age", "uc-by-gender"):
            notes.append("the file does not say whether these count children in care or "
                         "children referred in the month")
        counts.append({**base, "category": category, "measure": measure, "value": value,
                       "status": status, "note": "; ".join(notes) or None})
    ctx.result.tables["counts"] = counts_frame(counts)
    ctx.result.tables["processing_times"] = table_frame("processing_times", times)
    ctx.result.reconciliation.extend(_reconcile_discharges(ctx.result.tables["counts"]))


def _reconcile_discharges(frame: pd.DataFrame) -> list[Reconciliation]:
    """Each month's discharges by sponsor category against the published Total."""
    rows = frame[frame["category"] == "uc-discharges-to-individual-sponsors"]
    return reconcile_totals(rows, is_total=rows["measure"].eq("total"),
                            check="sponsor categories sum to published Total")
