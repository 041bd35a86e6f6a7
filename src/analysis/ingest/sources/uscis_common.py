"""What the two USCIS service-wide report adapters share (the quarterly all-forms report,
:mod:`.uscis_all_forms`, and the monthly Report to Congress, :mod:`.uscis_monthly`): finding
the header, reading a cell under the USCIS table key, a printed-zero processing time, joining
notes. Neither adapter imports the other's names; both import these.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from analysis.errors import InputError
from analysis.ingest.sources.base import parse_cell
from analysis.ingest.sources.reading import Grid, text

#: a cell that holds only digits, separators and spaces (a number where a title should be)
NUMERIC = re.compile(r"^[\d,.\s]+$")
#: the cell markers of the USCIS table key (an empty cell is not available)
USCIS_MARKERS = ("D", "-", "N/A", "NA", "H", "")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_SUPERSCRIPTS = str.maketrans("", "", "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077"
                                      "\u2078\u2079")
_RECEIVED = re.compile(r"(^|\s)received$")
_DESCRIPTION = ("description", "form title", "title", "form description")


def header_key(value: Any) -> str:
    """A header cell without its footnote mark, lower case, single spaces: glued
    (``Forms Received1``), after a space (``Total 15``) or superscript (``Completions¹``)."""
    plain = text(value).translate(_SUPERSCRIPTS)
    plain = re.sub(r"(?<=[A-Za-z.)])\s*\d{1,2}$", "", plain)
    return re.sub(r"\s+", " ", plain).strip().lower()


def header_anchor(grid: Grid, limit: int = 60) -> tuple[int, int, int] | None:
    """``(received_row, description_row, description_col)``: the first row (of ``limit``) with
    a Forms Received cell, and the Description (or Form Title) cell within three rows of it."""
    for r in range(min(limit, len(grid.rows))):
        keys = [header_key(c) for c in grid.rows[r]]
        if not any(_RECEIVED.search(k) for k in keys):
            continue
        near = range(max(0, r - 3), min(len(grid.rows), r + 4))
        for dr in sorted(near, key=lambda x: abs(x - r)):
            for c, cell in enumerate(grid.rows[dr]):
                if header_key(cell) in _DESCRIPTION:
                    return r, dr, c
    return None


def looks_like_report(grid: Grid) -> bool:
    """Whether a sheet holds a service-wide forms table: a Forms Received header near a
    Description (or Form Title) header, in its first 60 rows."""
    return header_anchor(grid) is not None


def is_monthly(grid: Grid, header_row: int) -> bool:
    """Whether the grid is the monthly "Report to Congress" rather than the quarterly report."""
    pattern = re.compile(r"\bby month\b|\bfor the month of\b", re.IGNORECASE)
    return any(True for _ in grid.find(pattern, rows=range(header_row)))


def join_notes(notes: list[str]) -> str | None:
    """Notes joined by ``; `` without repeats (None when there are none)."""
    return "; ".join(dict.fromkeys(n for n in notes if n)) or None


def cell_problem(raw: Any) -> str | None:
    """Why a raw cell is neither a number nor a USCIS marker (None when it can be read)."""
    if isinstance(raw, bool) or isinstance(raw, datetime | date):
        return f"{raw!r} is not a count"
    if isinstance(raw, str):
        plain = raw.strip().strip('"').strip()
        if plain.upper() not in USCIS_MARKERS and not re.search(r"\d", plain):
            return f"{plain!r} is not a number or a USCIS marker"
        if "," in plain and not _GROUPED.match(plain):
            return f"{plain!r} has misplaced thousands separators"
    try:
        parse_cell(raw)
    except ValueError as exc:
        return str(exc)
    return None


def read_cell(grid: Grid, r: int, c: int, header: str) -> tuple[float | None, str]:
    """The cell at ``r``/``c`` as ``(value, status)``; a cell that is neither a number nor a
    marker raises an error naming file, row and column."""
    raw = grid.cell(r, c)
    problem = cell_problem(raw)
    if problem is not None:
        raise InputError(grid.path, problem, locator=grid.where(r, c, header),
                         expected="a number or a marker D, -, N/A, H")
    return parse_cell(raw)


def processing_time_cell(value: float | None, status: str, completed: float | None,
                         span: str = "quarter") -> tuple[float | None, str, list[str]]:
    """A Processing Time cell: a printed 0 is not published (USCIS writes a true zero as
    ``-`` and prints 0, earlier N/A, where it has no time, also for rows with completions)."""
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
