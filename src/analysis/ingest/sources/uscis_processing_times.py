"""Adapter for the USCIS "Check Case Processing Times" page data (egov.uscis.gov/processing-times).

Two inputs are read, told apart by content:

1. **The page's JSON** for one form and office (``.json``), as served by
   ``/processing-times/api/processingtime/FORM/OFFICE[/SUBTYPE]``. Assumed shape (the shape of
   captures published by third parties; USCIS documents none)::

       {"data": {"processing_time": {
           "form_name": "I-131", "office_code": "NSC",
           "subtypes": [{"form_type": "141B-OTH", "publication_date": "July 13, 2023",
                         "service_request_date": "January 2, 2023",
                         "subtype_info_en": "Advance parole ...",
                         "range": [{"unit": "Months", "value": 14.5},
                                   {"unit": "Months", "value": 8}]}]}},
        "message": "..."}

   A JSON list of such responses is read too. What ``range`` means depends on the era, told by
   ``publication_date``:

   * **Current page (published from May 2022)**: ``range[-1]`` (the last, smaller value) is the
     80th percentile the page shows ("80% of cases are completed within"): statistic ``p80``.
     When the range has a second value, ``range[0]`` becomes statistic ``second-value``, whose
     meaning USCIS does not document (third-party captures call it ``months_100p``); do not read
     it as a percentile.
   * **Estimated time range (March 2018 to April 2022)**: ``range`` is ``[upper, lower]``, shown
     as "lower to upper". For the forms USCIS listed in 2018 as calculated by its new method
     (:data:`PILOT_FORMS_2018`: I-90, I-102, I-485, I-526, I-751, I-817, I-824, I-829, I-914,
     I-924, N-400, N-600, N-600K) the lower value is the time to complete 50% of cases (the
     median) and the upper 93%: statistics ``p50`` and ``p93``. Other forms (I-131 among them)
     kept the older cycle-time estimate, with an upper limit "generally 130%" of it: statistics
     ``cycle-time-lower`` and ``cycle-time-upper``. From 2019 USCIS moved further forms to the
     new method one by one and the file does not say which method a form used: for forms not in
     the 2018 list published from 2019, statistics ``range-lower`` and ``range-upper`` and a
     note saying it is one or the other. None of these is an 80th percentile.

   Units Months and Years are exact; Weeks and Days are converted at 365.25/12 days a month and
   the note says so. ``as_of`` is ``publication_date``. A response of another endpoint of the
   same API (the list of offices for a form, ``data.form_offices``) is refused naming what it
   is.

2. **A change-log capture** (``times.ndjson``, as kept by community scrapers of the page):
   one JSON array a line, ``[form, subtype, office, reported_date, months_80p, second_value]``,
   a line only when a value changed. Statistics ``p80`` and ``second-value``, ``as_of`` the
   reported date. A capture spans several files: register all of them in
   ``data/raw/uscis-processing-times/``; the adapter reads ``labels.json`` (code -> name for
   forms, offices and subtypes) and ``<name>.metadata.json`` (the column names, checked) **beside
   the ndjson file** when present. Given ``labels.json`` or a ``.metadata.json`` file on its own,
   the adapter returns no rows and a note saying which file it serves.

Office codes are resolved to names from ``labels.json`` when present, else from
:data:`SERVICE_CENTERS` (service centers and the page's aggregates). Every row has ``geo_level``
``office``; service centers are marked in ``note`` ("service center"), the aggregates SCD and FOD
("aggregate of all service centers / field offices"). A code that resolves nowhere keeps the
code with ``geo_name`` empty and a note.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources.base import AdapterResult, parse_cell, table_frame
from analysis.ingest.sources.reading import check_size, side_file

SOURCE = "uscis-processing-times"

#: USCIS service centers and the page's aggregate "offices" (reference, sources.md section 3)
SERVICE_CENTERS: dict[str, str] = {
    "CSC": "California Service Center",
    "ESC": "Vermont Service Center",
    "NBC": "National Benefits Center",
    "NSC": "Nebraska Service Center",
    "SSC": "Texas Service Center",
    "YSC": "Potomac Service Center",
}
AGGREGATES: dict[str, str] = {
    "SCD": "All Service Centers",
    "FOD": "All Field Offices",
}
CAPTURE_COLUMNS = ["form", "subform", "office", "reported_date", "months_80p", "months_100p"]
SECOND_VALUE_NOTE = ("second value of the page's range; USCIS does not document it (captures "
                     "call it months_100p): do not read it as a percentile")
#: USCIS's 2018 list of forms whose times used the new method (time to complete 50% and 93% of
#: cases); the first four (N-400, I-90, I-485, I-751) were the March 2018 pilot.
PILOT_FORMS_2018 = frozenset({"I-90", "I-102", "I-485", "I-526", "I-751", "I-817", "I-824",
                              "I-829", "I-914", "I-924", "N-400", "N-600", "N-600K"})
#: First publication of the current page (a single 80th percentile); before it, the range era.
CURRENT_PAGE_FROM = pd.Timestamp("2022-05-01")
#: From 2019 forms moved between methods without the file saying which a form used.
METHOD_UNSTATED_FROM = pd.Timestamp("2019-01-01")
RANGE_NOTES = {
    "p50": "lower end of the 2018-2022 estimated time range: time to complete 50% of cases "
           "(the median), USCIS method for {form}",
    "p93": "upper end of the 2018-2022 estimated time range: time to complete 93% of cases, "
           "USCIS method for {form}",
    "cycle-time-lower": "lower end of the 2018 estimated time range: USCIS's older cycle-time "
                        "estimate for {form} (not a percentile)",
    "cycle-time-upper": "upper end of the 2018 estimated time range: an upper limit USCIS set "
                        "at generally 130% of the cycle time for {form} (not a percentile)",
    "range-lower": "lower end of the 2019-2022 estimated time range: for {form} either the time "
                   "to complete 50% of cases or the cycle-time estimate (USCIS moved forms "
                   "between the two methods and the file does not say which); not an 80th "
                   "percentile",
    "range-upper": "upper end of the 2019-2022 estimated time range: for {form} either the time "
                   "to complete 93% of cases or about 130% of the cycle time (the file does not "
                   "say which); not an 80th percentile",
}
_DAYS_PER_MONTH = 365.25 / 12
_UNITS = {"month": 1.0, "year": 12.0, "week": 7 / _DAYS_PER_MONTH, "day": 1 / _DAYS_PER_MONTH}


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read page JSON or a change-log capture into ``processing_times``."""
    path = Path(path)
    check_size(path)
    name = path.name.lower()
    if name == "labels.json" or name.endswith(".metadata.json"):
        result = AdapterResult()
        result.tables["processing_times"] = table_frame("processing_times", [])
        result.notes.append(f"{source_file}: lookup file of a processing-times capture, read "
                            "beside its .ndjson file; no rows of its own")
        return result
    if name.endswith((".ndjson", ".jsonl")):
        return _capture(path, reading.decode(path, path.read_bytes()), source_file, citation)
    try:
        data = reading.read_json(path)
    except InputError as exc:
        if exc.problem.startswith("not valid JSON"):
            raise InputError(path, f"{exc.problem}; the file may be truncated",
                             locator=exc.locator,
                             expected="the processing-times page JSON") from None
        raise
    return _page(path, data, source_file, citation)


def _labels(path: Path) -> dict[str, dict[str, str]]:
    labels_path = side_file(path.with_name("labels.json"))  # only a registered file counts
    if labels_path is None:
        return {}
    data = reading.read_json(labels_path)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(labels_path, "unexpected shape",
                         expected='{"forms": {...}, "offices": {...}, "subforms": {...}}')
    return data


def _office(code: str, labels: dict[str, dict[str, str]]) -> tuple[str | None, str | None]:
    """(geo_name, note) for an office code."""
    name = labels.get("offices", {}).get(code)
    if code in SERVICE_CENTERS:
        return name or SERVICE_CENTERS[code], "service center"
    if code in AGGREGATES:
        what = "service centers" if code == "SCD" else "field offices"
        return name or AGGREGATES[code], f"aggregate of all {what}"
    if name:
        return name, "field office"
    return None, "office code not resolved to a name"


def _capture(path: Path, text: str, source_file: str, citation: str) -> AdapterResult:
    _check_capture_metadata(path)
    labels = _labels(path)
    result = AdapterResult()
    records: list[dict[str, Any]] = []
    unresolved: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        form, subtype, office, reported, as_of, row = _capture_row(path, line, number)
        geo_name, office_note = _office(office, labels)
        if geo_name is None:
            unresolved.add(office)
        for index, statistic in ((4, "p80"), (5, "second-value")):
            column = CAPTURE_COLUMNS[index]
            months, status = _capture_months(path, row[index], f"line {number}, column {column}")
            note = office_note if statistic == "p80" else f"{office_note}; {SECOND_VALUE_NOTE}"
            subtype_name = labels.get("subforms_long", {}).get(subtype, "").strip()
            if subtype_name and subtype_name != subtype:
                note += f"; subtype: {subtype_name}"
            records.append({
                "source": SOURCE, "form": form, "subtype": subtype or None,
                "geo_level": "office", "geo_code": office, "geo_name": geo_name,
                "as_of": as_of, "period": None, "statistic": statistic, "months": months,
                "status": status, "source_file": source_file,
                "source_locator": f"line {number}, column {column} ({form} {subtype} {office} "
                                  f"{reported})",
                "citation": f"{citation}, as reported {reported}", "note": note})
    if not records:
        raise InputError(path, "no rows", expected="one JSON array a line")
    if unresolved:
        result.notes.append(f"{source_file}: office codes without a name: "
                            + ", ".join(sorted(unresolved)))
    result.tables["processing_times"] = table_frame("processing_times", records)
    return result


def _check_capture_metadata(path: Path) -> None:
    """A registered ``<name>.metadata.json`` beside a capture must name the known columns."""
    meta_path = side_file(path.with_name(path.name.rsplit(".", 1)[0] + ".metadata.json"))
    if meta_path is not None:
        meta = reading.read_json(meta_path)
        columns = meta.get("columns") if isinstance(meta, dict) else None
        if columns != CAPTURE_COLUMNS:
            raise InputError(meta_path, f"columns {columns} match no known capture layout",
                             expected=", ".join(CAPTURE_COLUMNS))


def _capture_row(path: Path, line: str, number: int) -> tuple[str, str, str, str, Any, list]:
    """One line of a capture: form, subtype, office, reported date (text and timestamp) and
    the six values."""
    row = reading.loads_json(path, line, locator=f"line {number}")
    if not isinstance(row, list) or len(row) != 6 or \
            not all(isinstance(v, str | int | float) or v is None for v in row):
        raise InputError(path, f"{line[:60]!r} is not a 6-value array",
                         locator=f"line {number}", expected=", ".join(CAPTURE_COLUMNS))
    form, subtype, office, reported = (str(v) if v is not None else "" for v in row[:4])
    if not form or not office:
        raise InputError(path, "empty form or office", locator=f"line {number}")
    try:
        as_of = pd.Timestamp(datetime.strptime(reported, "%Y-%m-%d"))
    except ValueError:
        raise InputError(path, f"{reported!r} is not a date", locator=f"line {number}, "
                         "column reported_date", expected="YYYY-MM-DD") from None
    return form, subtype, office, reported, as_of, row


def _capture_months(path: Path, raw: Any, locator: str) -> tuple[float | None, str]:
    """A capture's months value: a number (or marker) within the contract's bound."""
    try:
        months, status = parse_cell("" if raw is None else raw)
    except ValueError as exc:
        raise InputError(path, str(exc), locator=locator, expected="a number of months") \
            from None
    if months is not None and months > schemas.MAX_MONTHS:
        raise InputError(path, f"{raw!r} is not a plausible processing time", locator=locator,
                         expected=f"0 to {schemas.MAX_MONTHS:g} months")
    return months, status


def _other_endpoint(data: Any) -> str | None:
    """What a response of another endpoint of the processing-times API holds, or None."""
    inner = data.get("data") if isinstance(data, dict) else None
    if not isinstance(inner, dict) or "processing_time" in inner:
        return None
    if "form_offices" in inner:
        form = inner["form_offices"].get("form_name") if isinstance(
            inner["form_offices"], dict) else None
        return f"the list of offices for form {form or '?'} (form_offices endpoint)"
    keys = ", ".join(sorted(map(str, inner))[:5]) or "nothing"
    return f"another endpoint's response (data holds {keys})"


def _page(path: Path, data: Any, source_file: str, citation: str) -> AdapterResult:
    other = _other_endpoint(data)
    if other:
        raise InputError(path, f"not processing times: {other}",
                         expected="a processingtime/FORM/OFFICE response with "
                                  "data.processing_time.subtypes[].range")
    responses = data if isinstance(data, list) else [data]
    labels = _labels(path)
    records: list[dict[str, Any]] = []
    for n, response in enumerate(responses):
        where = f"response {n + 1}" if isinstance(data, list) else "document"
        try:
            pt = response["data"]["processing_time"]
            form, office, subtypes = pt["form_name"], pt["office_code"], pt["subtypes"]
        except (KeyError, TypeError):
            raise InputError(path, "not the processing-times page JSON", locator=where,
                             expected='{"data": {"processing_time": {"form_name", '
                                      '"office_code", "subtypes": [...]}}}') from None
        geo_name, office_note = _office(str(office), labels)
        for i, sub in enumerate(subtypes or []):
            loc = f"{where}, data.processing_time.subtypes[{i}]"
            records.extend(_subtype(path, sub, loc, form, office, geo_name, office_note,
                                    source_file, citation))
    if not records:
        raise InputError(path, "no subtypes with a processing time",
                         expected="data.processing_time.subtypes[] with a range")
    result = AdapterResult()
    result.tables["processing_times"] = table_frame("processing_times", records)
    return result


def _months(path: Path, item: Any, loc: str) -> tuple[float | None, str, str]:
    if not isinstance(item, dict) or "value" not in item:
        raise InputError(path, f"{item!r} is not a range entry", locator=loc,
                         expected='{"unit": "Months", "value": 8}')
    unit = str(item.get("unit", "")).strip().lower().removesuffix("s")
    if unit not in _UNITS:
        raise InputError(path, f"unknown unit {item.get('unit')!r}", locator=loc,
                         expected="Months, Years, Weeks or Days")
    value = item["value"]
    if value is None or value == "":
        return None, "not_available", ""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(path, f"{value!r} is not a number of {unit}s", locator=loc)
    months = float(value) * _UNITS[unit]
    if not math.isfinite(months) or months > schemas.MAX_MONTHS:
        raise InputError(path, f"{value!r} {unit}s is not a plausible processing time",
                         locator=loc, expected=f"a finite time of 0 to {schemas.MAX_MONTHS:g} "
                                               "months")
    note = "" if unit in ("month", "year") else f"converted from {value} {unit}s"
    return months, "reported", note


def _subtype(path: Path, sub: Any, loc: str, form: str, office: str, geo_name: str | None,
             office_note: str | None, source_file: str, citation: str) -> list[dict[str, Any]]:
    if not isinstance(sub, dict) or "range" not in sub or "form_type" not in sub:
        raise InputError(path, "subtype without form_type or range", locator=loc)
    published = str(sub.get("publication_date") or "").strip()
    try:
        as_of = pd.Timestamp(pd.to_datetime(published, format="%B %d, %Y"))
    except (ValueError, TypeError):
        raise InputError(path, f"publication_date {published!r} is not a date",
                         locator=f"{loc}.publication_date",
                         expected='a date such as "July 13, 2023"') from None
    ranges = sub["range"] or []
    if not isinstance(ranges, list) or not 1 <= len(ranges) <= 2:
        raise InputError(path, f"range has {len(ranges) if isinstance(ranges, list) else '?'} "
                         "entries", locator=f"{loc}.range", expected="one or two entries")
    pairs = _statistics(str(form), as_of, len(ranges))
    rows = []
    for index, statistic in pairs:
        months, status, unit_note = _months(path, ranges[index], f"{loc}.range[{index}]")
        notes = [office_note, unit_note]
        if statistic == "second-value":
            notes.append(SECOND_VALUE_NOTE)
        elif statistic in RANGE_NOTES:
            notes.append(RANGE_NOTES[statistic].format(form=form))
        elif statistic == "estimated-time":
            notes.append("a single value in the 2018-2022 estimated time range format; USCIS "
                         "did not define a single value then: not an 80th percentile")
        if sub.get("subtype_info_en"):
            notes.append(f"subtype: {' '.join(str(sub['subtype_info_en']).split())}")
        if sub.get("service_request_date"):
            notes.append(f"inquiry date for receipts before: {sub['service_request_date']}")
        rows.append({
            "source": SOURCE, "form": str(form), "subtype": str(sub["form_type"]),
            "geo_level": "office", "geo_code": str(office), "geo_name": geo_name,
            "as_of": as_of, "period": None, "statistic": statistic, "months": months,
            "status": status, "source_file": source_file,
            "source_locator": f"{loc}.range[{index}]", "citation": f"{citation}, {published}",
            "note": "; ".join(n for n in notes if n)})
    return rows


def _statistics(form: str, as_of: pd.Timestamp, count: int) -> list[tuple[int, str]]:
    """(index in ``range``, statistic) for a subtype's range, by era and form."""
    if as_of >= CURRENT_PAGE_FROM:
        return [(count - 1, "p80")] + ([(0, "second-value")] if count == 2 else [])
    if count == 1:
        return [(0, "estimated-time")]
    if form.upper() in PILOT_FORMS_2018:
        lower, upper = "p50", "p93"
    elif as_of < METHOD_UNSTATED_FROM:
        lower, upper = "cycle-time-lower", "cycle-time-upper"
    else:
        lower, upper = "range-lower", "range-upper"
    return [(1, lower), (0, upper)]
