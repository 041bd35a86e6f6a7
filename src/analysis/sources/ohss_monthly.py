"""Adapter ``ohss-monthly``: the "CHNV Paroles" sheet of the DHS Office of Homeland Security
Statistics workbook "Immigration Enforcement and Legal Processes Monthly Tables".

Layout (sources.md section 5)
-----------------------------
Title lines, then the header (row 3 in the published workbook; found by its cells)::

    Fiscal Year | Month | Total | Cuba | Haiti | Nicaragua | Venezuela

The fiscal year is written only on the first row of each block and is carried down; a row whose
Month is "Total" closes a block (the fiscal year's total); a row whose Fiscal Year cell is
"Total" is the grand total. ``X`` marks a suppressed or not applicable cell. Footnotes follow
the table.

Output (``counts``)
-------------------
The contract has no country column, so the country goes into the category slug:
``chnv-parole`` (the Total column) and ``chnv-parole-cuba``, ``chnv-parole-haiti``,
``chnv-parole-nicaragua``, ``chnv-parole-venezuela``; measure ``paroled``; geography the
nation (``US``). Month rows have period ``2023-05``. A block's Total row has period ``FY2023``
when the block has all twelve months, ``FY2024-YTD-Q2`` when it stops at a quarter's end, and is
otherwise only reconciled (no period label fits).

Rounding: OHSS rounds cells published for calendar 2023 on (0-4 to 0, 5-14 to 10, otherwise to
the nearest ten). Cells whose period ends on or after 1 January 2023 get status ``rounded``
(``-`` stays ``zero`` and ``X`` stays ``suppressed``) and their note says which rule applied.

Reconciliation: each month's countries against its Total column, and each block's Total row
against the sum of its months (every column). Where rounded cells are involved the parts need
not add up: each check says whether the difference is within the rounding tolerance (5 per
rounded cell, the largest error the rule can introduce). Suppressed parts are left out of the
sum and the check says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from .. import periods
from ..errors import InputError
from .base import AdapterResult, Reconciliation, Rejection, counts_frame

SOURCE = "ohss-monthly"
SHEET = "CHNV Paroles"
MEASURE = "paroled"
ROUNDED_FROM = date(2023, 1, 1)
ROUNDING_RULE = "OHSS rounding: 0-4 to 0, 5-14 to 10, otherwise nearest ten"
#: Largest difference the rounding rule can make to one cell.
ROUNDING_ERROR = 5
MONTHS = {name: number for number, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
     ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
     ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
     ("december", "dec")], start=1) for name in names}


@dataclass
class _Block:
    fiscal_year: int
    months: list[tuple[int, str, dict[str, tuple]]] = field(default_factory=list)
    total: tuple[int, dict[str, tuple]] | None = None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _find_header(path: Path, rows: list[tuple]) -> int:
    for index, row in enumerate(rows[:15]):
        cells = [_text(c).lower() for c in row]
        if "fiscal year" in cells and "month" in cells and "total" in cells:
            return index
    raise InputError(path, f"sheet {SHEET!r} has no header row with Fiscal Year, Month and Total",
                     locator="rows 1-15",
                     expected="Fiscal Year, Month, Total, Cuba, Haiti, Nicaragua, Venezuela")


def _fiscal_year(path: Path, raw: object, locator: str) -> int:
    text = _text(raw)
    m = re.fullmatch(r"(?:FY\s*)?(\d{4})(?:\.0)?", text, re.I)
    if not m:
        raise InputError(path, f"{text!r} is not a fiscal year", locator=locator,
                         expected="a year such as 2023 or FY 2023")
    return int(m[1])


def _calendar_month(fiscal_year: int, month: int) -> periods.Period:
    return periods.month(fiscal_year - 1 if month >= 10 else fiscal_year, month)


def _block_period(block: _Block) -> str | None:
    numbers = [m for m, _, _ in block.months]
    fiscal_order = [(m - 10) % 12 for m in numbers]  # October = 0
    if sorted(fiscal_order) != list(range(len(fiscal_order))):
        return None  # months missing in the middle: no label fits
    if len(numbers) == 12:
        return periods.fiscal_year(block.fiscal_year).label
    if len(numbers) % 3 == 0 and numbers:
        return periods.fiscal_ytd(block.fiscal_year, len(numbers) // 3).label
    return None


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read the "CHNV Paroles" sheet of an OHSS monthly tables workbook."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a bad workbook
        raise InputError(path, f"not a readable .xlsx workbook ({exc})") from exc
    if SHEET not in book.sheetnames:
        raise InputError(path, f"no sheet {SHEET!r}",
                         expected=f"a sheet named {SHEET!r} (sheets: {', '.join(book.sheetnames)})")
    rows = [tuple(r) for r in book[SHEET].iter_rows(values_only=True)]
    book.close()
    result = AdapterResult()
    head = _find_header(path, rows)
    header = [_text(c) for c in rows[head]]
    lower = [h.lower() for h in header]
    fy_col, month_col, total_col = (lower.index(n) for n in ("fiscal year", "month", "total"))
    countries = {i: h for i, h in enumerate(header)
                 if h and i not in (fy_col, month_col, total_col)}
    columns = {total_col: "chnv-parole",
               **{i: f"chnv-parole-{_slug(name)}" for i, name in countries.items()}}
    if head != 2:
        result.notes.append(f"header found on row {head + 1} (the published layout has it on "
                            "row 3)")

    blocks: list[_Block] = []
    grand: tuple[int, dict[str, tuple]] | None = None
    fiscal_year: int | None = None
    seen: dict[tuple[int, int], int] = {}
    footnotes: list[str] = []
    for index in range(head + 1, len(rows)):
        row = rows[index] + (None,) * (len(header) - len(rows[index]))
        number = index + 1
        fy_text, month_text = _text(row[fy_col]), _text(row[month_col])
        if not any(_text(c) for c in row):
            continue
        block_total = re.fullmatch(r"(?:FY\s*)?(\d{4})\s+total", fy_text, re.I)
        if block_total and not month_text:  # "FY 2023 Total" closing a block
            fy_text, month_text = block_total[1], "Total"
        is_grand = not month_text and fy_text.lower().endswith("total")
        if footnotes or (fy_text and not month_text and not is_grand
                         and not re.fullmatch(r"(FY\s*)?\d{4}(\.0)?", fy_text, re.I)):
            footnotes.append(" ".join(_text(c) for c in row if _text(c)))
            continue
        cells = {}
        for col, category in columns.items():
            cells[category] = (row[col], f"{get_column_letter(col + 1)}{number}", header[col])
        if is_grand:
            grand = (number, cells)
            continue
        if fy_text:
            fiscal_year = _fiscal_year(path, fy_text,
                                       f"sheet {SHEET!r}, cell {get_column_letter(fy_col + 1)}"
                                       f"{number}")
            if not blocks or blocks[-1].fiscal_year != fiscal_year:
                blocks.append(_Block(fiscal_year))
        if fiscal_year is None:
            raise InputError(path, "a data row before any fiscal year",
                             locator=f"sheet {SHEET!r}, row {number}",
                             expected="the fiscal year on the first row of each block")
        block = blocks[-1]
        if month_text.lower() == "total":
            block.total = (number, cells)
            continue
        month = MONTHS.get(month_text.lower().rstrip("."))
        if month is None:
            result.rejected.append(Rejection(
                f"sheet {SHEET!r}, cell {get_column_letter(month_col + 1)}{number}",
                "not a month name or Total", month_text))
            continue
        if (fiscal_year, month) in seen:
            result.rejected.append(Rejection(
                f"sheet {SHEET!r}, row {number}",
                f"duplicate row: FY{fiscal_year} {month_text} already given on row "
                f"{seen[fiscal_year, month]}", month_text))
            continue
        seen[fiscal_year, month] = number
        block.months.append((month, month_text, cells))
    if footnotes:
        result.notes.append("footnotes: " + " | ".join(footnotes))

    records: list[dict] = []
    for block in blocks:
        month_values: dict[str, list[tuple[float | None, str]]] = {c: [] for c in columns.values()}
        for month, month_text, cells in block.months:
            span = _calendar_month(block.fiscal_year, month)
            parsed = _emit(result, records, cells, span, source_file, citation,
                           f"FY{block.fiscal_year}, {month_text}")
            for category, cell in parsed.items():
                month_values[category].append(cell)
            _reconcile_row(result, parsed, span, cells)
        if block.total is None:
            continue
        number, cells = block.total
        label = _block_period(block)
        if label is None:
            result.notes.append(f"FY{block.fiscal_year} Total row (row {number}) covers months "
                                "that no period label describes; used only for reconciliation")
            span = periods.fiscal_year(block.fiscal_year)
            parsed = {c: _rounded(_parse(result, raw, f"sheet {SHEET!r}, cell {ref}"), span)
                      for c, (raw, ref, _) in cells.items()}
        else:
            span = periods.parse(label)
            parsed = _emit(result, records, cells, span, source_file, citation,
                           f"FY{block.fiscal_year}, Total")
        _reconcile_total(result, parsed, month_values, span, cells, block)
    if grand is not None:
        result.notes.append(f"grand Total row (row {grand[0]}) spans several fiscal years; no "
                            "period label fits, so it is not in counts")
    result.tables["counts"] = counts_frame(records)
    if any(r["status"] == "rounded" for r in records):
        result.notes.append(f"cells for periods ending on or after {ROUNDED_FROM:%Y-%m-%d} have "
                            f"status rounded ({ROUNDING_RULE})")
    return result


def _parse(result: AdapterResult, raw: object, locator: str) -> tuple[float | None, str] | None:
    """The cell's (value, status), or None with a Rejection recorded."""
    return result.cell(raw, locator)


def _rounded(cell: tuple | None, span: periods.Period) -> tuple | None:
    """The cell with status ``rounded`` where the OHSS rounding rule applies to its period."""
    if cell is not None and cell[1] == "reported" and span.end >= ROUNDED_FROM:
        return cell[0], "rounded"
    return cell


def _emit(result: AdapterResult, records: list[dict], cells: dict, span: periods.Period,
          source_file: str, citation: str, where: str) -> dict[str, tuple | None]:
    parsed: dict[str, tuple | None] = {}
    for category, (raw, ref, column) in cells.items():
        locator = f"sheet {SHEET!r}, cell {ref} ({where}, {column})"
        cell = _parse(result, raw, locator)
        parsed[category] = cell
        if cell is None:
            continue
        value, status = _rounded(cell, span)
        note = None
        if status == "rounded":
            note = f"{ROUNDING_RULE}; published value {value:g}"
        elif status == "suppressed":
            note = "X: suppressed or not applicable"
        parsed[category] = (value, status)
        records.append({
            "source": SOURCE, "form": None, "category": category, "measure": MEASURE,
            "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
            "period": span.label, "value": value, "status": status,
            "source_file": source_file, "source_locator": locator,
            "citation": f"{citation}, sheet {SHEET}", "note": note})
    return parsed


def _check(name: str, parts: list[tuple | None], total: tuple | None, period: str,
           locator: str) -> Reconciliation | None:
    if total is None or total[0] is None or any(p is None for p in parts):
        return None
    valued = [p for p in parts if p[0] is not None]
    suppressed = len(parts) - len(valued)
    rounded = sum(1 for p in [*parts, total] if p[1] == "rounded")
    check = Reconciliation(check=name, period=period,
                           parts_sum=float(sum(p[0] for p in valued)),
                           published_total=float(total[0]), parts=len(valued), locator=locator)
    notes = []
    if suppressed:
        notes.append(f"{suppressed} suppressed part(s) left out")
    if rounded:
        tolerance = ROUNDING_ERROR * rounded
        inside = abs(check.difference) <= tolerance
        notes.append(f"rounded cells: {'within' if inside else 'OUTSIDE'} rounding tolerance "
                     f"of {tolerance}")
    if notes:
        check.check = f"{name} ({'; '.join(notes)})"
    return check


def _reconcile_row(result: AdapterResult, parsed: dict, span: periods.Period,
                   cells: dict) -> None:
    total = parsed.get("chnv-parole")
    parts = [v for c, v in parsed.items() if c != "chnv-parole"]
    check = _check("countries sum to Total column", parts, total, span.label,
                   f"sheet {SHEET!r}, cell {cells['chnv-parole'][1]}")
    if check:
        result.reconciliation.append(check)


def _reconcile_total(result: AdapterResult, parsed: dict, month_values: dict,
                     span: periods.Period, cells: dict, block: _Block) -> None:
    for category, values in month_values.items():
        if len(values) != len(block.months):
            continue  # a month cell was rejected
        check = _check(f"months sum to FY{block.fiscal_year} Total row ({category})", values,
                       parsed.get(category), span.label,
                       f"sheet {SHEET!r}, cell {cells[category][1]}")
        if check:
            result.reconciliation.append(check)
