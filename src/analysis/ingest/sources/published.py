"""Adapter for the compiled published figures bundled in ``data/raw/published/``.

Each compiled file is a tidy CSV transcribed from a published table, one row per published
row, with the publisher's title (and address) on every row. The adapter recognises the file by
its header, so a renamed file still loads and an unknown layout is refused by name.

Layouts
-------
``uscis_i131_parole_quarterly``  I-131 parole rows of the USCIS quarterly all-forms report
``uscis_processing_times_i131``  I-131 rows of the USCIS processing-times page history
``hhs_orr_uc_released_by_state`` ORR releases of unaccompanied children by state (TOTAL row);
                                 the ``_cited`` variant adds each row's publisher address
                                 (``source_url``) and place in the published table
                                 (``source_locator``)
``ohss_chnv_paroles``            DHS OHSS CHNV paroles by month and country (status per cell:
                                 ``rounded``, or ``not_applicable`` for OHSS's "X"; ``release``
                                 the month the OHSS tables run to, so that a later OHSS
                                 workbook revises these figures at ingest)
``hhs_orr_uc_released_by_county`` ORR releases by county (counties with 50 or more)
``published_figures``            single published figures (GAO, CRS, TRAC, reporting)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.contract import geo, periods
from analysis.errors import InputError
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    Rejection,
    check_number_text,
    counts_frame,
    reconcile_totals,
    table_frame,
)

LAYOUTS: dict[str, tuple[str, ...]] = {
    "uscis_i131_parole_quarterly": (
        "fiscal_year", "fiscal_quarter", "series", "row_title", "received", "approved",
        "denied", "pending", "median_processing_months", "source_title", "source_url", "note"),
    "uscis_processing_times_i131": (
        "form", "subtype_code", "subtype_label", "office_code", "office_name", "reported_date",
        "months_80th_percentile", "months_second_value", "source_title", "note"),
    "hhs_orr_uc_released_by_state": (
        "fiscal_year", "state_name", "released_to_sponsors", "period_note", "source_title",
        "publisher"),
    "hhs_orr_uc_released_by_state_cited": (
        "fiscal_year", "state_name", "released_to_sponsors", "period_note", "source_title",
        "publisher", "source_url", "source_locator"),
    "ohss_chnv_paroles": (
        "period", "country", "paroled", "status", "release", "note", "source_title",
        "publisher", "source_url", "source_locator"),
    "hhs_orr_uc_released_by_county": (
        "fiscal_year", "state", "county_name", "released_to_sponsors", "period_note",
        "source_title", "publisher"),
    "published_figures": (
        "figure_id", "measure", "value", "unit", "period_start", "period_end", "geography",
        "population", "source_title", "publisher", "published", "note"),
}

I131_MEASURES = ("received", "approved", "denied", "pending")


def _read_rows(path: Path) -> tuple[tuple[str, ...], list[tuple[int, dict[str, str]]]]:
    """The header and the non-blank rows (with their line numbers), read through
    :func:`reading.read_csv`: the file size, ``max_rows``, ``max_cols`` and ``max_cell_chars``
    apply here as everywhere. Compiled files are UTF-8."""
    from analysis.ingest.sources import reading

    reading.check_size(path)
    try:
        path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, "not UTF-8 text", expected="a UTF-8 CSV file") from exc
    grid = reading.read_csv(path)
    if not grid.rows:
        return (), []
    header = tuple(h.strip() for h in grid.rows[0])
    rows = []
    for index, row in enumerate(grid.rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        line = grid.lines[index]
        if len(row) != len(header):
            raise InputError(path, f"{len(row)} cells where the header has {len(header)}",
                             locator=f"line {line}")
        rows.append((line, dict(zip(header, row, strict=True))))
    return header, rows


def match_layout(header: tuple[str, ...]) -> str | None:
    """The compiled layout whose columns are exactly ``header``, or None."""
    for name, columns in LAYOUTS.items():
        if tuple(header) == columns:
            return name
    return None


def layout_of(path: Path, header: tuple[str, ...]) -> str:
    if name := match_layout(header):
        return name
    best = max(LAYOUTS, key=lambda n: len(set(LAYOUTS[n]) & set(header)))
    missing = [c for c in LAYOUTS[best] if c not in header]
    extra = [c for c in header if c not in LAYOUTS[best]]
    raise InputError(
        path, "header matches no compiled layout", locator="line 1",
        expected=f"one of {', '.join(LAYOUTS)}; closest is {best}, which lacks "
                 f"{', '.join(missing) or 'nothing'} and does not have "
                 f"{', '.join(extra) or 'nothing'}")


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    header, rows = _read_rows(path)
    if not header:
        raise InputError(path, "empty file", expected="a header line")
    layout = layout_of(path, header)
    if not rows:
        raise InputError(path, "no data rows after the header")
    return PARSERS[layout](path, rows, source_file)


_WHOLE = re.compile(r"-?\d+", re.ASCII)
_DECIMAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", re.ASCII)


def _int(path: Path, line: int, row: dict[str, str], column: str) -> int:
    try:
        check_number_text(row[column].strip())
        if not _WHOLE.fullmatch(row[column].strip()):
            raise ValueError(row[column])
        return int(row[column])
    except ValueError:
        raise InputError(path, f"{row[column]!r} in column {column} is not a whole number",
                         locator=f"line {line}") from None


def _i131(path: Path, rows, source_file: str) -> AdapterResult:
    result = AdapterResult()
    counts, times = [], []
    for line, row in rows:
        fy, q = _int(path, line, row, "fiscal_year"), _int(path, line, row, "fiscal_quarter")
        if not 1 <= q <= 4:
            raise InputError(path, f"fiscal_quarter {q} out of range", locator=f"line {line}",
                             expected="1 to 4")
        period = periods.fiscal_quarter(fy, q).label
        cite = f"{row['source_title']}. {row['source_url']}".strip(". ")
        base = {"form": "I-131", "category": row["series"], "geo_level": "nation",
                "geo_code": "US", "geo_name": "United States", "period": period,
                "source_file": source_file, "citation": cite, "note": row["note"] or None}
        for measure in I131_MEASURES:
            locator = f"line {line}, column {measure} (row title: {row['row_title']})"
            parsed = result.cell(row[measure], locator)
            if parsed is None:
                continue
            value, status = parsed
            counts.append({**base, "source": "uscis-all-forms", "measure": measure,
                           "value": value, "status": status, "source_locator": locator})
        locator = (f"line {line}, column median_processing_months "
                   f"(row title: {row['row_title']})")
        parsed = result.cell(row["median_processing_months"], locator)
        if parsed is None:
            continue
        months, status = parsed
        note = row["note"] or None
        if status == "not_available":
            note = "; ".join(filter(None, [note, "USCIS publishes no processing time here"]))
        times.append({"source": "uscis-all-forms", "form": "I-131", "subtype": row["series"],
                      "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
                      "as_of": None, "period": period, "statistic": "median", "months": months,
                      "status": status, "source_file": source_file, "source_locator": locator,
                      "citation": cite, "note": note})
    result.tables["counts"] = counts_frame(counts)
    result.tables["processing_times"] = table_frame("processing_times", times)
    return result


def _orr_state(path: Path, rows, source_file: str) -> AdapterResult:
    result = AdapterResult()
    records = []
    for line, row in rows:
        fy = _int(path, line, row, "fiscal_year")
        name = row["state_name"].strip()
        locator = f"line {line}, column released_to_sponsors ({name}, FY{fy})"
        if row.get("source_locator"):
            locator += f"; published at {row['source_locator']}"
        if name.upper() == "TOTAL":
            level, code, geo_name = "nation", "US", "United States (published total)"
        else:
            try:
                code = geo.state_code(name)
            except geo.GeographyError as exc:
                raise InputError(path, str(exc), locator=f"line {line}, column state_name",
                                 expected="a US state or territory name") from None
            level, geo_name = "state", name
        parsed = result.cell(row["released_to_sponsors"], locator)
        if parsed is None:
            continue
        value, status = parsed
        records.append({
            "source": "hhs-orr-uc", "form": None, "category": "uc-released-to-sponsors",
            "measure": "released", "geo_level": level, "geo_code": code, "geo_name": geo_name,
            "period": f"FY{fy}", "value": value, "status": status, "source_file": source_file,
            "source_locator": locator,
            "citation": _cite(f"{row['publisher']}, {row['source_title']}, FY{fy}", row),
            "note": row["period_note"] or None})
    frame = counts_frame(records)
    result.tables["counts"] = frame
    result.reconciliation = reconcile_states(frame)
    return result


def _cite(title: str, row: dict[str, str]) -> str:
    """``title``, then the publisher's address when the row gives one."""
    url = (row.get("source_url") or "").strip()
    return f"{title}. {url}" if url else title


OHSS_MARKERS = {"X": "not_applicable", "": "not_available"}


def _ohss_chnv(path: Path, rows, source_file: str) -> AdapterResult:
    from analysis.contract import schemas
    from analysis.ingest.sources.reading import slug

    result = AdapterResult()
    records = []
    for line, row in rows:
        try:
            span = periods.parse(row["period"])
        except ValueError:
            raise InputError(path, f"period {row['period']!r} is not a period label",
                             locator=f"line {line}, column period",
                             expected="FY2023 or 2023-05") from None
        country = row["country"].strip()
        category = "chnv-parole" if country.lower() == "total" else f"chnv-parole-{slug(country)}"
        locator = (f"line {line}, column paroled ({country}, {span.label}); published at "
                   f"{row['source_locator']}")
        parsed = result.cell(row["paroled"], locator, OHSS_MARKERS)
        if parsed is None:
            continue
        value, status = parsed
        declared = row["status"].strip()
        if declared not in schemas.STATUSES:
            raise InputError(path, f"status {declared!r} is not a contract status",
                             locator=f"line {line}, column status",
                             expected=", ".join(schemas.STATUSES))
        if (value is None) != (declared not in schemas.VALUED_STATUSES):
            raise InputError(path, f"status {declared!r} does not fit the value "
                                   f"{row['paroled']!r}", locator=f"line {line}",
                             expected="a number for rounded/reported, X or empty otherwise")
        records.append({
            "source": "ohss-monthly", "form": None, "category": category, "measure": "paroled",
            "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
            "period": span.label, "value": value, "status": declared,
            "source_file": source_file, "source_locator": locator,
            "citation": _cite(f"{row['publisher']}, {row['source_title']}", row),
            "note": row["note"] or None})
    frame = counts_frame(records)
    result.tables["counts"] = frame
    result.reconciliation = reconcile_ohss(frame)
    releases = {row["release"].strip() for _, row in rows}
    if len(releases) != 1 or not re.fullmatch(r"\d{4}-\d{2}", next(iter(releases))):
        raise InputError(path, f"column release holds {', '.join(sorted(releases))}",
                         expected="one OHSS release per file, as YYYY-MM (the month the "
                                  "tables run to)")
    # the month the OHSS tables run to: a later OHSS release revises these figures at ingest
    result.release = releases.pop()
    return result


def reconcile_ohss(frame: pd.DataFrame) -> list[Reconciliation]:
    """Countries against the Total column per period, and the months of each fiscal year (or
    year to date) against its Total row per category (OHSS rounds every cell, so small gaps are
    expected)."""
    valued = frame[frame["value"].notna()]
    checks = reconcile_totals(valued, is_total=valued["category"].eq("chnv-parole"),
                              check="countries sum to the Total column (cells rounded to tens)")
    is_month = valued["period"].str.fullmatch(r"\d{4}-\d{2}")
    months, totals = valued[is_month], valued[~is_month]
    for (category, period), total in totals.groupby(["category", "period"], sort=True):
        start, end = total["period_start"].iloc[0], total["period_end"].iloc[0]
        parts = months[(months["category"] == category) & (months["period_start"] >= start)
                       & (months["period_end"] <= end)]
        if len(parts) == 0:
            continue
        checks.append(Reconciliation(
            check=f"months sum to the Total row ({category}; cells rounded to tens)",
            period=period, parts_sum=float(parts["value"].sum()),
            published_total=float(total["value"].iloc[0]), parts=len(parts),
            locator=total["source_locator"].iloc[0]))
    return checks


def reconcile_states(frame: pd.DataFrame) -> list[Reconciliation]:
    """Each period's published national total against the sum of its state rows."""
    rows = frame[frame["geo_level"].isin(["nation", "state"])]
    return reconcile_totals(rows, is_total=rows["geo_level"].eq("nation"),
                            check="states sum to published total")


def _orr_county(path: Path, rows, source_file: str) -> AdapterResult:
    result = AdapterResult()
    records = []
    for line, row in rows:
        fy = _int(path, line, row, "fiscal_year")
        try:
            fips = geo.county_fips(row["county_name"], row["state"])
        except geo.GeographyError as exc:
            raise InputError(path, str(exc), locator=f"line {line}, column county_name",
                             expected="a county of the row's state") from None
        locator = f"line {line}, column released_to_sponsors ({row['county_name']}, {row['state']})"
        parsed = result.cell(row["released_to_sponsors"], locator)
        if parsed is None:
            continue
        value, status = parsed
        records.append({
            "source": "hhs-orr-uc", "form": None, "category": "uc-released-to-sponsors",
            "measure": "released", "geo_level": "county", "geo_code": fips,
            "geo_name": f"{row['county_name']}, {geo.state_code(row['state'])}",
            "period": f"FY{fy}", "value": value, "status": status, "source_file": source_file,
            "source_locator": locator,
            "citation": f"{row['publisher']}, {row['source_title']}, FY{fy}",
            "note": row["period_note"] or None})
    result.tables["counts"] = counts_frame(records)
    return result


def _processing_times(path: Path, rows, source_file: str) -> AdapterResult:
    result = AdapterResult()
    records = []
    statistics = {"months_80th_percentile": "p80", "months_second_value": "second-value"}
    for line, row in rows:
        try:
            as_of = pd.Timestamp(row["reported_date"])
        except ValueError:
            raise InputError(path, f"{row['reported_date']!r} is not a date",
                             locator=f"line {line}, column reported_date",
                             expected="YYYY-MM-DD") from None
        for column, statistic in statistics.items():
            locator = f"line {line}, column {column}"
            parsed = result.cell(row[column], locator)
            if parsed is None:
                continue
            months, status = parsed
            note = row["note"] or None
            if statistic == "second-value":
                note = ("second value of the change-log capture; its meaning is not documented, "
                        "do not read it as a percentile")
            records.append({
                "source": "uscis-processing-times", "form": row["form"],
                "subtype": row["subtype_code"], "geo_level": "office",
                "geo_code": row["office_code"], "geo_name": row["office_name"], "as_of": as_of,
                "period": None, "statistic": statistic, "months": months, "status": status,
                "source_file": source_file, "source_locator": locator,
                "citation": f"{row['source_title']}, {row['reported_date']}", "note": note})
    result.tables["processing_times"] = table_frame("processing_times", records)
    return result


def _figures(path: Path, rows, source_file: str) -> AdapterResult:
    result = AdapterResult()
    records = []
    for line, row in rows:
        locator = f"line {line} ({row['figure_id']})"
        try:
            check_number_text(row["value"].strip())
            if not _DECIMAL.fullmatch(row["value"].strip()):
                raise ValueError(f"{row['value']!r} is not a number")
            value = float(row["value"])
        except ValueError as exc:
            result.rejected.append(Rejection(locator, f"value is not a number ({exc})",
                                             row["value"]))
            continue
        if not math.isfinite(value):
            result.rejected.append(Rejection(locator, "value is not a finite number",
                                             row["value"]))
            continue
        dates = {}
        for column in ("period_start", "period_end"):
            try:
                dates[column] = pd.Timestamp(datetime.strptime(row[column].strip(), "%Y-%m-%d"))
            except ValueError:
                raise InputError(path, f"{row[column][:40]!r} is not a date",
                                 locator=f"line {line}, column {column}",
                                 expected="a date YYYY-MM-DD") from None
        records.append({
            "figure_id": row["figure_id"], "measure": row["measure"], "value": value,
            "unit": row["unit"], "period_start": dates["period_start"],
            "period_end": dates["period_end"], "geography": row["geography"],
            "population": row["population"], "publisher": row["publisher"],
            "published": row["published"] or None, "note": row["note"] or None,
            "source_file": source_file, "source_locator": locator,
            "citation": f"{row['publisher']}, {row['source_title']} ({row['published']})"})
    result.tables["published_figures"] = table_frame("published_figures", records)
    return result


PARSERS: dict[str, Callable[..., AdapterResult]] = {
    "uscis_i131_parole_quarterly": _i131,
    "uscis_processing_times_i131": _processing_times,
    "hhs_orr_uc_released_by_state": _orr_state,
    "hhs_orr_uc_released_by_state_cited": _orr_state,
    "ohss_chnv_paroles": _ohss_chnv,
    "hhs_orr_uc_released_by_county": _orr_county,
    "published_figures": _figures,
}
