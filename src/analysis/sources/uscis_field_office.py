"""Adapter for the USCIS quarterly reports by field office (N-400, I-485, I-130 family), CSV.

Layout (``../shared/reference/sources.md`` section 2): Windows-1252 text (UTF-8 is accepted
too), title lines naming the form ("Number of Form N-400, ..."), a date line ("January 1 -
March 31, 2019 (Fiscal Year 2019, Quarter 2)"), a multi-row header (a category row such as
Naturalization1 | Naturalization (Military)1 | Total1 over a status row Applications Received2 |
Approved3 | Denied4 | Pending5), a "Grand Total" (older files: "Total") row, then "Field Office
by State": a state row, then office rows ``, Office Name , CODE , n , ...``; territories and
international offices (by country) follow. A file may hold several such tables one after the
other (the FY2019 N-400 file has a domestic and an international table, each with its own
Grand Total).

Output (``counts``)
-------------------
* ``category``: slug of the category header ("Naturalization (Military)1" ->
  ``naturalization-military``; ``total`` for Total); a file without a category row gets
  ``total``. ``measure``: received, approved, denied, pending.
* Office rows: ``geo_level`` ``office``; ``geo_code`` the office code when the file has the
  Field Office Code column and the row a code. Without a code (older layouts, international
  offices) ``geo_code`` is the slug of "office name + state/country" (``portland-or``,
  ``beijing-china``), never an invented USCIS code, and ``note`` says so. ``geo_name`` is
  "Office, ST" for offices in a state or territory and "Office, Country" abroad; ``note``
  starts "state ST" or "international office in Country", and :func:`office_states` gives each
  office's state so offices roll up to states.
* The Grand Total of a domestic table: ``nation`` / ``US``. The Grand Total of a table holding only
  international offices: ``region`` / ``international`` (geo_name "International field offices").
* Cells: ``D`` suppressed, ``-`` zero, ``N/A`` (here "not applicable") not_available, blanks
  not_available; padded, quoted numbers with separators are read exactly.

Reconciliation
--------------
Per office and measure, the categories (e.g. Naturalization + Military) against the office's
Total; per table, category and measure, all offices against the Grand Total. A check with every
figure known is always reported (matching or not). When some parts are suppressed the check is
reported only if the known parts already exceed the total (a real inconsistency); otherwise
nothing can be said.

Layout drift handled: with and without the office-code column, trailing commas (rows of any
width), header rows at any line, "Grand Total" or "Total", line ends ``\\r\\r\\n``. Anything else
(an unknown status header, a state name that does not resolve, figures where none belong) stops
the file with an error naming line and column; nothing from the file is returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import geo, periods
from ..errors import InputError
from ..schemas import VALUED_STATUSES
from .base import AdapterResult, Reconciliation, counts_frame, parse_cell
from .uscis_all_forms import _GROUPED, USCIS_MARKERS, check_size, column_letter, header_key, slug

SOURCE = "uscis-field-office"

STATUSES = {
    "applications received": "received", "received": "received", "forms received": "received",
    "petitions received": "received",
    "approved": "approved", "denied": "denied", "pending": "pending",
}
VALUED = VALUED_STATUSES  # statuses that carry a number (one list, in schemas)

_FORM_TITLE = re.compile(r"\bForm\s+(?P<form>[A-Z]{1,2}-\d{2,4}[A-Z]?)\b")
_FY_Q = re.compile(r"Fiscal\s+Year\s+(?P<fy>\d{4}),?\s+Quarter\s+(?P<q>[1-4])", re.IGNORECASE)
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_RANGE = re.compile(rf"(?P<m1>{_MONTHS})\s+(?P<d1>\d{{1,2}}),?\s*(?P<y1>\d{{4}})?\s*[-\u2013]\s*"
                    rf"(?P<m2>{_MONTHS})\s+(?P<d2>\d{{1,2}}),?\s*(?P<y2>\d{{4}})", re.IGNORECASE)
_END = re.compile(r"^(table key|note|source|reference|footnote)|^(D|-|N/A)\s+\S|^\d+\)?\s+\S",
                  re.IGNORECASE)


@dataclass
class Table:
    """One table of the file: its header and the rows below it."""

    header_line: int
    start: int  # index of the status row
    data_start: int  # index of the first data column
    columns: dict[int, tuple[str, str, str]]  # col -> (category slug, measure, header text)
    code_col: int | None = None
    kind: str = "domestic"
    rows: list[dict[str, Any]] = field(default_factory=list)


def _read(path: Path) -> list[tuple[int, list[str]]]:
    check_size(path)
    raw = path.read_bytes()
    if raw.startswith(b"PK"):
        raise InputError(path, "an XLSX workbook given to the field-office CSV adapter",
                         expected="the CSV edition of the report")
    if b"\x00" in raw:
        raise InputError(path, "binary content", expected="a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"neither UTF-8 nor Windows-1252 text ({exc})") from None
    text = text.replace("\r", "")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        last = 0
        for row in reader:
            rows.append((last + 1, [re.sub(r"\s+", " ", c).strip() for c in row]))
            last = reader.line_num
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    return rows


def _where(line: int, col: int | None = None, extra: str = "") -> str:
    text = f"line {line}"
    if col is not None:
        text += f", column {column_letter(col)}"
    return text + (f" ({extra})" if extra else "")


def _period(path: Path, rows: list[tuple[int, list[str]]]) -> tuple[str, int]:
    for line, row in rows[:40]:
        for c, cell in enumerate(row):
            if m := _FY_Q.search(cell):
                return periods.fiscal_quarter(int(m["fy"]), int(m["q"])).label, line
            if m := _RANGE.search(cell):
                end = pd.Timestamp(f"{m['m2']} {m['d2']} {m['y2']}")
                q = pd.Period(end, freq="Q-SEP")
                label = periods.fiscal_quarter(q.qyear, q.quarter)
                if pd.Timestamp(label.end) != end:
                    raise InputError(path, f"{cell!r} does not end a fiscal quarter",
                                     locator=_where(line, c))
                return label.label, line
    raise InputError(path, "no date line in the first 40 lines",
                     expected='a line such as "January 1 - March 31, 2019 (Fiscal Year 2019, '
                              'Quarter 2)"')


def _form(path: Path, rows: list[tuple[int, list[str]]]) -> str:
    for _, row in rows[:40]:
        for cell in row:
            if m := _FORM_TITLE.search(cell):
                return m["form"]
    raise InputError(path, "no form named in the title lines",
                     expected='a title such as "Number of Form N-400, Application for '
                              'Naturalization"')


def _is_status_row(row: list[str]) -> bool:
    keys = [header_key(c) for c in row]
    return "approved" in keys and "pending" in keys


def _table_at(path: Path, rows: list[tuple[int, list[str]]], i: int) -> Table:
    line, status_row = rows[i]
    keys = [header_key(c) for c in status_row]
    first = next(c for c, k in enumerate(keys) if k in STATUSES)
    above = rows[i - 1][1] if i > 0 else []
    categories: dict[int, str] = {}
    for c, cell in enumerate(above):
        if c >= first and cell:
            categories[c] = cell
    columns: dict[int, tuple[str, str, str]] = {}
    current = ("total", "Total") if not categories else None
    for c in range(first, len(keys)):
        if c in categories:
            current = (slug(header_key(categories[c])), re.sub(r"\d+$", "", categories[c]))
        if not keys[c]:
            continue
        measure = STATUSES.get(keys[c])
        if measure is None or current is None:
            raise InputError(path, f"header matches no known layout: {status_row[c]!r}",
                             locator=_where(line, c),
                             expected="Applications Received, Approved, Denied, Pending under a "
                                      "category row")
        columns[c] = (current[0], measure, f"{current[1]} / {status_row[c]}")
    seen = [(cat, m) for cat, m, _ in columns.values()]
    if len(set(seen)) != len(seen):
        raise InputError(path, "header matches no known layout: a status twice in one category",
                         locator=_where(line))
    return Table(header_line=line, start=i, data_start=first, columns=columns)


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one field-office report into ``counts`` (offices, grand totals) with
    reconciliation checks."""
    path = Path(path)
    rows = _read(path)
    form = _form(path, rows)
    period, _ = _period(path, rows)
    tables = _split(path, rows)
    result = AdapterResult()
    records: list[dict[str, Any]] = []
    for table in tables:
        records.extend(_records(path, table, form, period, source_file, citation))
    if not any(r["geo_level"] == "office" for r in records):
        raise InputError(path, "no office rows found", expected="office rows below the header")
    frame = counts_frame(records)
    keys = frame[["category", "measure", "geo_level", "geo_code"]].astype(str).agg("|".join,
                                                                                   axis=1)
    if keys.duplicated().any():
        dup = frame.loc[keys.duplicated(), "source_locator"].iloc[0]
        raise InputError(path, "the same office appears twice", locator=dup)
    result.tables["counts"] = frame
    result.reconciliation = reconcile(frame)
    return result


def _split(path: Path, rows: list[tuple[int, list[str]]]) -> list[Table]:
    """Find each table's header and assign the rows below it; classify each table."""
    tables: list[Table] = []
    for i, (_, row) in enumerate(rows):
        if _is_status_row(row):
            tables.append(_table_at(path, rows, i))
    if not tables:
        raise InputError(path, "header matches no known layout: no status row",
                         expected="a header row Applications Received | Approved | Denied | "
                                  "Pending")
    for n, table in enumerate(tables):
        stop = tables[n + 1].start - 1 if n + 1 < len(tables) else len(rows)
        ended, ended_label = False, ""
        for line, row in rows[table.start + 1: stop]:
            label = row[0] if row else ""
            if ended:
                if len(row) > 2 and row[1].strip() and any(
                        re.search(r"\d", c) for c in row[table.data_start:]):
                    raise InputError(
                        path, "an office row with figures after the line taken as the table's "
                        "end", locator=_where(line),
                        expected=f"no figures after {ended_label!r} (is that line a state name "
                                 "with a stray marker?)")
                continue  # footnotes and the next table's title lines
            if _END.match(label) and not any(row[table.data_start:]):
                ended, ended_label = True, label
                continue
            for c, cell in enumerate(row):
                if header_key(cell) == "field office code":
                    table.code_col = c
            table.rows.append({"line": line, "cells": row})
        if table.rows and not ended and n + 1 == len(tables):
            raise InputError(path, "the last table has no Table Key or footnotes after it; the "
                             "file may be truncated", locator=_where(table.rows[-1]["line"]))
        labels = [r["cells"][0].lower() for r in table.rows if r["cells"] and r["cells"][0]]
        sections = [lb for lb in labels if "field office by" in lb]
        if sections and all(lb.startswith("international") for lb in sections):
            table.kind = "international"
    return tables


def _figures(path: Path, table: Table, line: int, row: list[str], extra: str
             ) -> dict[int, tuple[float | None, str]]:
    values: dict[int, tuple[float | None, str]] = {}
    for c in range(table.data_start, max(len(row), max(table.columns) + 1)):
        cell = row[c] if c < len(row) else ""
        if c not in table.columns:
            if cell:
                raise InputError(path, f"{cell!r} in a column without a header",
                                 locator=_where(line, c))
            continue
        text = cell.strip().strip('"').strip()
        where = _where(line, c, f"{extra}, {table.columns[c][2]}")
        if text.upper() not in USCIS_MARKERS and not re.search(r"\d", text):
            raise InputError(path, f"{text!r} is not a number or a USCIS marker", locator=where,
                             expected="a number or D, -, N/A")
        if "," in text and not _GROUPED.match(text):
            raise InputError(path, f"{text!r} has misplaced thousands separators",
                             locator=where, expected="a number like 1,234")
        try:
            values[c] = parse_cell(text)
        except ValueError as exc:
            raise InputError(path, str(exc), locator=where,
                             expected="a number or D, -, N/A") from None
    return values


def _records(path: Path, table: Table, form: str, period: str, source_file: str,
             citation: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    group: tuple[str, str] | None = None  # (name, state code or country)
    section = "state"
    base = {"source": SOURCE, "form": form, "period": period, "source_file": source_file,
            "citation": citation}
    name_col = 1
    for item in table.rows:
        line, row = item["line"], item["cells"]
        label = row[0] if row else ""
        name = row[name_col] if len(row) > name_col else ""
        has_figures = any(row[table.data_start:])
        if not label and not name and not has_figures:
            continue
        low = label.lower()
        if low in ("grand total", "total"):
            if table.kind == "international":
                place = ("region", "international", "International field offices (published "
                         "total)")
            else:
                place = ("nation", "US", "United States (published total)")
            note = None
        elif "field office" in low and "by" in low:
            section = "country" if "international" in low or "country" in low else "state"
            continue
        elif label and not name:
            if has_figures:
                raise InputError(path, f"figures on the group row {label!r}",
                                 locator=_where(line), expected="a state or country name only")
            if section == "state":
                try:
                    group = (label, geo.state_code(label))
                except geo.GeographyError as exc:
                    raise InputError(path, str(exc), locator=_where(line, 0),
                                     expected="a US state or territory") from None
            else:
                group = (label, label)
            continue
        elif not label and name:
            if group is None:
                raise InputError(path, f"office {name!r} before any state or country row",
                                 locator=_where(line, name_col))
            code = row[table.code_col] if table.code_col is not None and \
                len(row) > table.code_col else ""
            where_name = f"{name}, {group[1]}"
            if code:
                if not re.fullmatch(r"[A-Z0-9]{2,5}", code):
                    raise InputError(path, f"{code!r} is not an office code",
                                     locator=_where(line, table.code_col),
                                     expected="a code such as MGA")
                place = ("office", code, where_name)
                note = None
            else:
                place = ("office", slug(f"{name} {group[1]}"), where_name)
                note = "no office code in the file: geo_code is the slug of office and place"
            if section == "country":
                note = "; ".join(filter(None, [f"international office in {group[0]}", note]))
            else:
                note = "; ".join(filter(None, [f"state {group[1]}", note]))
        else:
            raise InputError(path, f"a row that is neither a total, a state or country, nor an "
                             f"office: {row[:3]!r}", locator=_where(line))
        level, code, geo_name = place
        extra = geo_name.removesuffix(" (published total)")
        for c, (value, status) in _figures(path, table, line, row, extra).items():
            category, measure, header = table.columns[c]
            records.append({**base, "category": category, "measure": measure,
                            "geo_level": level, "geo_code": code, "geo_name": geo_name,
                            "value": value, "status": status,
                            "source_locator": _where(line, c, f"{extra}, {header}"),
                            "note": note})
    return records


def office_states(counts: pd.DataFrame) -> dict[str, str]:
    """Office ``geo_code`` -> USPS state code, for the offices in states and territories."""
    offices = counts[(counts["geo_level"] == "office")
                     & counts["note"].fillna("").str.startswith("state ")]
    mapping: dict[str, str] = {}
    for code, name in offices[["geo_code", "geo_name"]].drop_duplicates().itertuples(
            index=False):
        mapping[code] = str(name).rsplit(", ", 1)[1]
    return mapping


def _check(name: str, period: str, parts: pd.DataFrame, total: pd.Series
           ) -> Reconciliation | None:
    if total["status"] not in VALUED or parts.empty:
        return None
    known = parts[parts["status"].isin(VALUED)]
    parts_sum = float(known["value"].sum())
    complete = len(known) == len(parts)
    if not complete:
        if parts_sum <= total["value"]:
            return None
        name = f"{name} (known parts exceed the total; {len(parts) - len(known)} part(s) "
        name += "suppressed or not available)"
    return Reconciliation(check=name, period=period, parts_sum=parts_sum,
                          published_total=float(total["value"]), locator=total["source_locator"],
                          parts=len(parts))


def reconcile(counts: pd.DataFrame) -> list[Reconciliation]:
    """Office categories against office totals; offices against each table's grand total."""
    checks: list[Reconciliation] = []
    has_total = "total" in set(counts["category"])
    if has_total and counts["category"].nunique() > 1:
        offices = counts[counts["geo_level"] == "office"]
        for (_code, measure, period), group in offices.groupby(["geo_code", "measure", "period"],
                                                              sort=True):
            total = group[group["category"] == "total"]
            if total.empty:
                continue
            name = f"{group['geo_name'].iloc[0]}: categories sum to Total, {measure}"
            check = _check(name, period, group[group["category"] != "total"], total.iloc[0])
            if check:
                checks.append(check)
    for level, code in (("nation", "US"), ("region", "international")):
        totals = counts[(counts["geo_level"] == level) & (counts["geo_code"] == code)]
        if totals.empty:
            continue
        international = counts["note"].fillna("").str.startswith("international")
        scope = international if code == "international" else ~international
        offices = counts[(counts["geo_level"] == "office") & scope]
        for total in totals.itertuples(index=False):
            parts = offices[(offices["category"] == total.category)
                            & (offices["measure"] == total.measure)
                            & (offices["period"] == total.period)]
            name = (f"{'international ' if code == 'international' else ''}offices sum to "
                    f"Grand Total, {total.category} {total.measure}")
            check = _check(name, total.period, parts, pd.Series(total._asdict()))
            if check:
                checks.append(check)
    return checks
