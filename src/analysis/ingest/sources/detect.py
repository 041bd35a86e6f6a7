"""Which source a raw file belongs to, from its content (never its name).

:func:`detect` opens a file through the shared reading layer (:mod:`.reading`), looks at what
the publisher writes into it (titles, header cells, sheet names, JSON keys) and returns a source
id from :data:`analysis.ingest.sources.SOURCES` (or ``uscis-monthly``). A file it cannot place
raises
:class:`~analysis.errors.ParoleError` describing what the file looked like: its kind, its sheet
names and its first header cells, so the user can pass ``--source`` knowingly.

Signatures, in the order they are tried (the first that matches wins):

``published``               a header exactly one of the compiled layouts (data/raw/published)
``uscis-monthly``           "Report to Congress", "By Month, Form Status", "For the Month of"
``uscis-all-forms``         "Number of Service-wide Forms" ... "By Quarter"; "Category and Form
                            Number" (or "No.") beside "Forms Received"
``ohss-monthly``            OHSS sheets (``CHNV Paroles``, ``CHNV I-134``, ...), the title
                            "Confirmed CHNV Paroles", or the flat CSV with ``Table:Measure``
                            columns beside Fiscal Year and Month
``hhs-orr-uc``              "Released to Sponsors" / "UC Released", a State column beside
                            fiscal-year columns, ORR's monthly long or wide statistics
``chnv-crowdsourced``       ReportDate/TotalApproved or CaseDate/TotalApproved headers
``case-records``            three of: a case id, a received date, a decision date, an outcome
                            (the received date among them)
``uscis-field-office``      "Field Office" (or "Field Offices") in a title or header with
                            received/approved/pending words, a sheet like ``I485_by_State``,
                            or the FY2013 "Fiscal Year, Office, Description, Receipts" table
``uscis-processing-times``  JSON with ``data.processing_time`` (or ``data.form_offices``, which
                            the adapter then refuses by name), a change-log capture
                            (``.ndjson`` rows, ``labels.json``, ``times.metadata.json``)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.errors import InputError, ParoleError
from analysis.ingest.sources import reading

#: rows looked at from the top of each table (titles and headers live there)
HEAD_ROWS = 40

# ---------------------------------------------------------------------------------------------
# helpers


def _head_text(grid: reading.Grid, rows: int = HEAD_ROWS) -> str:
    """The first rows' text, lower case, one line per row (footnote digits kept)."""
    return "\n".join(grid.line_text(r).lower() for r in range(min(rows, len(grid.rows))))


def _first_header(grid: reading.Grid) -> list[str]:
    """The first row with at least two non-empty cells (or the first non-empty row)."""
    fallback: list[str] = []
    for r in range(min(HEAD_ROWS, len(grid.rows))):
        cells = [t for t in grid.texts(r) if t]
        if len(cells) >= 2:
            return cells
        if cells and not fallback:
            fallback = cells
    return fallback


def _keys(cells: list[str]) -> set[str]:
    return {re.sub(r"[^a-z0-9]+", "_", c.lower()).strip("_") for c in cells}


_FY_HEADER = re.compile(r"^(fy\s*'?\d{2,4}(\W|_|$)|fiscal year\s*\d{4}|\d{4}$)", re.I)


# ---------------------------------------------------------------------------------------------
# signatures on one table (a CSV grid or one sheet)


def _published(grid: reading.Grid) -> bool:
    from analysis.ingest.sources.published import match_layout

    header = tuple(reading.text(c) for c in (grid.rows[0] if grid.rows else []))
    return grid.sheet is None and match_layout(header) is not None


def _uscis_monthly(grid: reading.Grid) -> bool:
    head = _head_text(grid, 12)
    if "by month, form status" in head or "by month form status" in head:
        return True
    if "report to congress" in head and "for the month of" in head:
        return True
    keys = _keys(_first_header(grid))
    return {"pending_over_6_months", "form_number"} <= keys


def _uscis_all_forms(grid: reading.Grid) -> bool:
    head = _head_text(grid, 12)
    if "service-wide forms" in head and "by quarter" in head:
        return True
    # "Category and Form Number" (FY2021 on) or "Category and Form No." (FY2017-FY2019)
    return "category and form" in head and "forms received" in head


def _uscis_field_office(grid: reading.Grid) -> bool:
    if grid.sheet and re.fullmatch(r"(i|n)-?\d{3}[a-z]?_by_(state|office|field_office)",
                                   grid.sheet.strip().lower()):
        return True
    head = _head_text(grid)
    if re.search(r"\bfield offices?\b", head) and re.search(
            r"(received|receipts|approv|pending|completions)", head):
        return True
    # the multi-year editions (FY2010 to FY2013): a header row of Fiscal Year, Office (or
    # District) and statuses, the category sometimes inside them ("N-400 Natz Receipts"),
    # under block rows
    for r in range(min(HEAD_ROWS, len(grid.rows))):
        keys = _keys(grid.texts(r))
        if "fiscal_year" in keys and keys & {"office", "district"} and any(
                re.search(r"(^|_)(receipts|approvals|pending)\d*$", k) for k in keys):
            return True
    return False


def _hhs_orr_uc(grid: reading.Grid) -> bool:
    head = _head_text(grid)
    if re.search(r"released to sponsors|\buc released|unaccompanied (children|alien)", head):
        return True
    if "average number of children in care" in head:  # ORR monthly program statistics
        return True
    header = _first_header(grid)
    keys = _keys(header)
    if {"group", "category", "month", "value", "number_type"} <= keys:
        return True
    if header and header[0].strip().lower() in ("state", "state name", "state_name"):
        rest = [c for c in header[1:] if c]
        if rest and all(_FY_HEADER.match(c) or "released" in c.lower() for c in rest):
            return True
    return (keys >= {"state", "county"}) and any(k.startswith("fy") for k in keys)


def _ohss_monthly(grid: reading.Grid) -> bool:
    head = _head_text(grid, 8)
    if re.search(r"confirmed chnv paroles|chnv (i-134|travel authorization)|"
                 r"office of homeland security statistics|"
                 r"immigration enforcement and legal processes", head):
        return True
    header = _first_header(grid)
    keys = _keys(header)
    measures = [c for c in header if ":" in c]
    return {"fiscal_year", "month"} <= keys and len(measures) >= 2


def _chnv_crowdsourced(grid: reading.Grid) -> bool:
    keys = _keys(_first_header(grid))
    return "totalapproved" in keys and bool(keys & {"reportdate", "casedate"})


def _case_records(grid: reading.Grid) -> bool:
    from analysis.ingest.sources.case_records import ALIASES

    keys = _keys(_first_header(grid))
    found = {canon for canon in ("case_id", "received_date", "decided_date", "outcome")
             if keys & set(ALIASES[canon])}
    return len(found) >= 3 and "received_date" in found


#: (source id, signature) in the order tried
SIGNATURES: list[tuple[str, Callable[[reading.Grid], bool]]] = [
    ("published", _published),
    ("uscis-monthly", _uscis_monthly),
    ("uscis-all-forms", _uscis_all_forms),
    ("ohss-monthly", _ohss_monthly),
    ("hhs-orr-uc", _hhs_orr_uc),
    ("chnv-crowdsourced", _chnv_crowdsourced),
    ("case-records", _case_records),  # before field offices: a case log may have "Field Office"
    ("uscis-field-office", _uscis_field_office),
]

#: sheet names that settle a workbook without reading its sheets
OHSS_SHEETS = re.compile(r"^(chnv paroles|chnv i-134|chnv travel authorization|"
                         r"cbp swb book-outs by agency)$", re.I)


# ---------------------------------------------------------------------------------------------
# JSON


def _json_source(path: Path) -> str | None:
    name = path.name.lower()
    raw = reading.decode(path, path.read_bytes()[: 4 * 1024 * 1024])
    first = raw.lstrip("\ufeff \t\r\n").split("\n", 1)[0].strip()
    # NDJSON change-log capture: one JSON array per line, first item a form number
    if first.startswith("[") and "\n" in raw.strip():
        try:
            row = json.loads(first)
        except json.JSONDecodeError:
            row = None
        if isinstance(row, list) and row and re.match(r"^[A-Z]{1,3}-?\d", str(row[0])):
            return "uscis-processing-times"
    data = reading.read_json(path)
    return _json_shape(data, name)


def _json_shape(data: Any, name: str) -> str | None:
    if isinstance(data, list):
        return next((s for s in (_json_shape(d, name) for d in data[:5]) if s), None)
    if not isinstance(data, dict):
        return None
    inner = data.get("data")
    if isinstance(inner, dict) and ({"processing_time", "form_offices"} & set(inner)
                                    or any(k.startswith(("processing_time", "form_"))
                                           for k in inner)):
        return "uscis-processing-times"
    if {"forms", "offices"} <= set(data):  # labels.json of a capture
        return "uscis-processing-times"
    columns = data.get("columns")
    if isinstance(columns, list) and any(str(c).startswith("months_") for c in columns):
        return "uscis-processing-times"  # times.metadata.json of a capture
    return None


def _json_shape_text(path: Path) -> str:
    try:
        data = reading.read_json(path)
    except ParoleError as exc:
        return f"unreadable JSON ({exc})"
    if isinstance(data, dict):
        keys = list(data)[:8]
        inner = data.get("data")
        more = f"; data keys: {', '.join(list(inner)[:8])}" if isinstance(inner, dict) else ""
        return f"a JSON object with keys {', '.join(map(str, keys))}{more}"
    if isinstance(data, list):
        return f"a JSON list of {len(data)} items"
    return f"a JSON {type(data).__name__}"


# ---------------------------------------------------------------------------------------------
# the entry point


def _describe_grid(grid: reading.Grid) -> str:
    cells = _first_header(grid)[:8]
    shown = " | ".join(c[:40] for c in cells) if cells else "(no text)"
    return f"first header cells: {shown}"


def detect(path: Path | str) -> str:
    """The source id of the file at ``path``, judged from its content.

    Raises :class:`ParoleError` (or :class:`InputError` for an unreadable file) saying what the
    file looked like: its kind, sheet names and first header cells.
    """
    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such file")
    reading.check_size(path)
    found = reading.kind(path)
    if found == "json":
        source = _json_source(path)
        if source:
            return source
        raise ParoleError(f"{path}: cannot tell the source from the content: "
                          f"{_json_shape_text(path)}; known JSON is the USCIS processing-times "
                          "page data (data.processing_time) or its change-log capture; give "
                          "--source if you know it")
    if found == "xlsx":
        names = reading.sheet_names(path)
        if any(OHSS_SHEETS.match(n.strip()) for n in names):
            return "ohss-monthly"
        grids = reading.read_workbook(path)
        for source, signature in SIGNATURES:
            for grid in grids.values():
                if grid.rows and signature(grid):
                    return source
        shown = "; ".join(f"sheet {name!r}: {_describe_grid(g)}" for name, g in
                          list(grids.items())[:4])
        raise ParoleError(f"{path}: cannot tell the source from the content: an XLSX workbook "
                          f"with sheets {', '.join(repr(n) for n in names)}; {shown}; "
                          "give --source if you know it")
    if found in ("xls", "pdf", "html"):
        what = {"xls": "an old Excel .xls workbook", "pdf": "a PDF document",
                "html": "an HTML page (perhaps an error page saved instead of the file)"}[found]
        raise InputError(path, f"cannot be read: {what}",
                         expected="the CSV, XLSX or JSON edition of a supported table")
    grid = reading.read_csv(path)
    for source, signature in SIGNATURES:
        if signature(grid):
            return source
    raise ParoleError(f"{path}: cannot tell the source from the content: a CSV text file of "
                      f"{len(grid.rows)} rows; {_describe_grid(grid)}; give --source if you "
                      "know it")
