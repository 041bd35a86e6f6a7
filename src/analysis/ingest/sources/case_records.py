"""Adapter ``case-records``: case-level CSV or XLSX files (FOIA extracts, case logs).

Template
--------
``data/templates/case_records_template.csv`` is a blank example; ``data/templates/README.md``
documents it. Columns (header names are matched loosely, see :data:`ALIASES`):

=================  ========  =====================================================================
column             required  allowed values
=================  ========  =====================================================================
``case_id``        yes       any non-empty text, unique in the file
``received_date``  yes       a date (formats below)
``decided_date``   yes       a date, empty while the case is pending
``outcome``        yes       approved, denied, withdrawn, pending (and the variants in
                             :data:`OUTCOME_VALUES`, e.g. granted, refused, open)
``basis``          no        free text, e.g. medical, family-reunification
``form``           no        e.g. I-131
``category``       no        e.g. humanitarian-parole
``age_years``      no        a number from 0 to 120
``state``          no        USPS code or state name (CA, California)
``county_fips``    no        5-digit county FIPS; or ``county`` (a name) with ``state``
``office``         no        office code or name
=================  ========  =====================================================================

Dates: ``YYYY-MM-DD`` (preferred), ``MM/DD/YYYY`` or ``M/D/YYYY`` (US order), ``YYYY/MM/DD``,
or a date cell in XLSX. Day-first dates (``31/01/2024``) are not accepted: they would be
read ambiguously.

Validation: a row is rejected, with every reason found, for an empty or repeated case id, a
date that does not parse, a decision before receipt, an unknown outcome, a decision date on a
pending case (or none on a decided one), an impossible age, or a place that does not resolve.
A file that lacks a required column, or has two columns for one field, raises
:class:`~analysis.errors.InputError`. Rows whose ``synthetic`` column is true get source
``synthetic``.

The ``cases`` table has no provenance columns; each rejection's locator names the line (CSV)
or sheet and row (XLSX), and ``notes`` records the column mapping used.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from analysis.contract import geo
from analysis.errors import InputError
from analysis.ingest.sources.base import AdapterResult, Rejection, table_frame

SOURCE = "case-records"
REQUIRED = ("case_id", "received_date", "decided_date", "outcome")

#: canonical column -> accepted header variants (compared after lower-casing and turning
#: every run of other characters into "_").
ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id", "caseid", "case", "case_number", "case_no", "receipt_number",
                "receipt_no", "record_id", "id", "file_number"),
    "received_date": ("received_date", "receipt_date", "date_received", "received",
                      "date_of_receipt", "filed_date", "filing_date", "date_filed", "filed",
                      "application_date", "submitted_date", "date_submitted"),
    "decided_date": ("decided_date", "decision_date", "date_decided", "decided",
                     "date_of_decision", "completion_date", "completed_date", "date_completed",
                     "adjudication_date", "date_adjudicated"),
    "outcome": ("outcome", "decision", "result", "case_outcome", "disposition", "case_status",
                "status"),
    "basis": ("basis", "parole_basis", "reason", "parole_reason", "humanitarian_basis"),
    "form": ("form", "form_type", "form_number"),
    "category": ("category", "program", "parole_category", "case_type"),
    "age_years": ("age_years", "age", "age_at_filing", "applicant_age", "beneficiary_age"),
    "state": ("state", "state_code", "residence_state", "us_state"),
    "county_fips": ("county_fips", "fips", "county_code", "fips_code"),
    "county": ("county", "county_name"),
    "office": ("office", "field_office", "office_code", "service_center",
               "adjudicating_office"),
    "synthetic": ("synthetic",),
}

#: accepted outcome spellings (lower-cased, trimmed) -> contract outcome
OUTCOME_VALUES: dict[str, str] = {
    "approved": "approved", "approve": "approved", "granted": "approved", "grant": "approved",
    "paroled": "approved",
    "denied": "denied", "deny": "denied", "refused": "denied",
    "withdrawn": "withdrawn", "withdrew": "withdrawn", "withdrawn by applicant": "withdrawn",
    "pending": "pending", "open": "pending", "in progress": "pending",
    "awaiting decision": "pending", "": "pending",
}

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _key(header: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


def map_columns(path: Path, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map file headers to canonical columns; returns ``(mapping, ignored headers)``."""
    lookup = {alias: canon for canon, names in ALIASES.items() for alias in names}
    mapping: dict[str, str] = {}
    ignored = []
    for header in headers:
        canon = lookup.get(_key(header))
        if canon is None:
            ignored.append(header)
            continue
        if canon in mapping:
            raise InputError(path, f"columns {mapping[canon]!r} and {header!r} both give "
                                   f"{canon}", locator="header",
                             expected="one column per field")
        mapping[canon] = header
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        raise InputError(path, "missing required column(s) " + ", ".join(missing),
                         locator="header",
                         expected="; ".join(f"{c} (or {', '.join(ALIASES[c][1:4])})"
                                            for c in missing))
    return mapping, ignored


def _read(path: Path) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, header=0)
        except Exception as exc:  # openpyxl raises several types for a broken workbook
            raise InputError(path, f"not a readable XLSX workbook ({exc})") from None
        name, frame = next(iter(sheets.items()))
        headers = [str(h) for h in frame.columns]
        rows = []
        for i, rec in enumerate(frame.to_dict("records"), start=2):
            if all(v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == ""
                   for v in rec.values()):
                continue
            rows.append((f"sheet {name}, row {i}", {str(k): v for k, v in rec.items()}))
        return headers, rows
    chunks = _csv_chunks(path, chunk_rows=1 << 62, progress=False)  # one chunk: the file
    headers = next(chunks)
    rows = [row for chunk in chunks for row in chunk]
    return headers, rows


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def parse_date(value: Any) -> pd.Timestamp | None:
    """A date from a cell; ``None`` when empty; raises ``ValueError`` when unreadable."""
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).normalize()
    text = _text(value)
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt)).normalize()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def _row(raw: dict[str, Any], mapping: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    get = {canon: raw.get(header) for canon, header in mapping.items()}
    reasons: list[str] = []
    rec: dict[str, Any] = {"case_id": _text(get["case_id"])}
    if not rec["case_id"]:
        reasons.append("empty case_id")
    for col in ("received_date", "decided_date"):
        try:
            rec[col] = parse_date(get[col])
        except ValueError as exc:
            reasons.append(f"{col}: {exc}")
            rec[col] = None
    if rec["received_date"] is None and not any(r.startswith("received_date") for r in reasons):
        reasons.append("received_date is empty")
    raw_outcome = _text(get["outcome"])
    outcome = OUTCOME_VALUES.get(raw_outcome.lower())
    if outcome is None:
        reasons.append(f"unknown outcome {raw_outcome!r} (expected approved, denied, "
                       "withdrawn or pending)")
    rec["outcome"] = outcome
    received, decided = rec["received_date"], rec["decided_date"]
    if received is not None and decided is not None and decided < received:
        reasons.append(f"decided {decided.date()} before received {received.date()}")
    if outcome == "pending" and decided is not None:
        reasons.append("outcome is pending but a decided_date is given")
    if outcome in ("approved", "denied", "withdrawn") and decided is None and not any(
            r.startswith("decided_date") for r in reasons):
        reasons.append(f"outcome is {outcome} but decided_date is empty")
    for col in ("basis", "form", "category", "office"):
        rec[col] = _text(get.get(col)) or None
    age = _text(get.get("age_years"))
    rec["age_years"] = None
    if age:
        try:
            years = float(age)
        except ValueError:
            reasons.append(f"age {age!r} is not a number")
        else:
            if not 0 <= years <= 120:
                reasons.append(f"impossible age {age}")
            else:
                rec["age_years"] = years
    state = _text(get.get("state"))
    rec["state"] = None
    if state:
        try:
            rec["state"] = geo.state_code(state)
        except geo.GeographyError as exc:
            reasons.append(str(exc))
    fips = _text(get.get("county_fips"))
    county = _text(get.get("county"))
    rec["county_fips"] = None
    if fips:
        if re.fullmatch(r"\d{4,5}", fips):
            rec["county_fips"] = fips.zfill(5)
        else:
            reasons.append(f"county_fips {fips!r} is not a 5-digit code")
    elif county:
        if not rec["state"]:
            reasons.append(f"county {county!r} given without a state")
        else:
            try:
                rec["county_fips"] = geo.county_fips(county, rec["state"])
            except geo.GeographyError as exc:
                reasons.append(str(exc))
    flag = _text(get.get("synthetic")).lower()
    if flag in _TRUE:
        rec["synthetic"] = True
    elif flag in _FALSE:
        rec["synthetic"] = False
    else:
        reasons.append(f"synthetic {flag!r} is not true or false")
        rec["synthetic"] = False
    rec["source"] = "synthetic" if rec["synthetic"] else SOURCE
    return rec, reasons


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read a case-level file into the ``cases`` table; unusable rows become rejections."""
    headers, rows = _read(path)
    if not headers or not any(headers):
        raise InputError(path, "empty file", expected="a header line")
    mapping, ignored = map_columns(path, headers)
    result = AdapterResult()
    result.notes.append(f"{source_file}: columns used: " + ", ".join(
        f"{header} -> {canon}" for canon, header in mapping.items()))
    if ignored:
        result.notes.append(f"{source_file}: columns ignored: " + ", ".join(ignored))
    records, seen = [], {}
    for locator, raw in rows:
        rec, reasons = _row(raw, mapping)
        key = (rec["source"], rec["case_id"])
        if rec["case_id"] and key in seen:
            reasons.append(f"case_id {rec['case_id']!r} repeats {seen[key]}")
        if reasons:
            value = ", ".join(f"{k}={_text(v)}" for k, v in raw.items())[:300]
            result.rejected.append(Rejection(f"{source_file}, {locator}", "; ".join(reasons),
                                             value))
            continue
        seen[key] = locator
        records.append({**rec, "source_file": source_file, "source_locator": locator,
                        "citation": citation})
    if not rows:
        result.notes.append(f"{source_file}: no data rows (a blank template?)")
    frame = table_frame("cases", records)
    if records:
        frame["decided_date"] = pd.to_datetime(frame["decided_date"])
        frame["received_date"] = pd.to_datetime(frame["received_date"])
    result.tables["cases"] = frame
    return result


# -- large extracts: chunked, partitioned writing with bounded memory ----------------------

#: files at least this large (bytes) are ingested in chunks by :func:`ingest_large` (read whole,
#: a case CSV takes about 40 times its size in memory: 829 MB for 20 MB, measured by
#: benchmarks/bench_ingest_memory.py; chunked, 705 MB for 200 MB)
LARGE_BYTES = int(os.environ.get("PAROLE_LARGE_CASES_BYTES", 16_000_000))
CHUNK_ROWS = 100_000  # with DuckDB's 400 MB below, keeps a 200 MB file's peak under 1 GB
KEEP_REJECTIONS = 1000


def is_large(path: Path) -> bool:
    """Whether ``path`` is a CSV big enough to be ingested in chunks (:data:`LARGE_BYTES`)."""
    path = Path(path)
    return path.suffix.lower() not in (".xlsx", ".xlsm") and path.stat().st_size >= LARGE_BYTES


def _csv_chunks(path: Path, chunk_rows: int, progress: bool):
    """The header, then lists of ``(locator, row)`` of at most ``chunk_rows`` rows, read as a
    stream (memory bounded by one chunk), with a progress bar over the file's bytes."""
    size = path.stat().st_size
    bar = tqdm(total=size, unit="B", unit_scale=True, desc=path.name, disable=not progress)
    try:
        with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                        newline="") as handle:
            reader = csv.reader(handle)
            headers = [h.strip() for h in next(reader, [])]
            yield headers
            chunk, seen = [], 0
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                if len(row) != len(headers):
                    raise InputError(path, f"{len(row)} cells where the header has "
                                           f"{len(headers)}", locator=f"line {reader.line_num}")
                chunk.append((f"line {reader.line_num}", dict(zip(headers, row, strict=True))))
                if len(chunk) >= chunk_rows:
                    yield chunk
                    chunk = []
                    bar.update(raw.tell() - seen)
                    seen = raw.tell()
            if chunk:
                yield chunk
            bar.update(size - seen)
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text", expected="a UTF-8 CSV file (save as CSV "
                                                          "UTF-8) or an XLSX workbook") from None
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    finally:
        bar.close()


def write_partitions(frame: pd.DataFrame, folder: Path, *, name: str) -> dict[int, int]:
    """Write one chunk of the ``cases`` table under ``folder`` as hive partitions by fiscal
    year of receipt (``folder/fiscal_year=2024/<name>.parquet``; dates as microsecond
    timestamps, which DuckDB, pandas and Spark all read). Each file is written atomically.
    Returns rows written per fiscal year."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.contract.periods import fiscal_years
    from analysis.ingest.storage import _atomic

    written: dict[int, int] = {}
    if frame.empty:
        return written
    years = fiscal_years(frame["received_date"])
    for fy, part in frame.groupby(years.to_numpy(), sort=True):
        table = pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False)
        target = Path(folder) / f"fiscal_year={int(fy)}" / f"{name}.parquet"
        _atomic(target, lambda tmp, t=table: pq.write_table(
            t, tmp, coerce_timestamps="us", allow_truncated_timestamps=True))
        written[int(fy)] = written.get(int(fy), 0) + len(part)
    return written


def _drop_repeats(folder: Path, stem: str,
                  source_file: str) -> list[tuple[Rejection, int]]:
    """Find case ids repeated across chunks (DuckDB over the written files, spilling to disk
    rather than holding ids in memory); keep the first occurrence, reject the others."""
    import duckdb

    files = sorted(Path(folder).glob(f"fiscal_year=*/{stem}-*.parquet"))
    if not files:
        return []
    con = duckdb.connect(config={"memory_limit": "400MB"})
    try:
        con.execute("CREATE VIEW c AS SELECT *, filename AS f_, "
                    "CAST(regexp_extract(source_locator, '(\\d+)$', 1) AS BIGINT) AS line_ "
                    f"FROM read_parquet({[str(f) for f in files]!r}, filename = true)")
        dups = con.execute(
            "SELECT f_, line_, case_id, first_line FROM (SELECT f_, line_, case_id, "
            "min(line_) OVER (PARTITION BY source, case_id) AS first_line FROM c) "
            "WHERE line_ > first_line ORDER BY line_").df()
        if dups.empty:
            return []
        out = []
        for f, part in dups.groupby("f_"):
            lines = ", ".join(str(int(x)) for x in part["line_"])
            tmp = Path(f).with_suffix(".dedup.tmp")
            con.execute(f"COPY (SELECT * EXCLUDE (f_, line_) FROM c WHERE f_ = '{f}' AND "
                        f"line_ NOT IN ({lines})) TO '{tmp}' (FORMAT parquet)")
            os.replace(tmp, f)
        for rec in dups.itertuples():
            fy = int(re.search(r"fiscal_year=(\d+)", str(rec.f_))[1])
            out.append((Rejection(f"{source_file}, line {int(rec.line_)}",
                                  f"case_id {rec.case_id!r} repeats line {int(rec.first_line)}",
                                  f"case_id={rec.case_id}"), fy))
        return out
    finally:
        con.close()


def ingest_large(path: Path, folder: Path, *, source_file: str, citation: str,
                 chunk_rows: int = CHUNK_ROWS, progress: bool = True) -> dict[str, Any]:
    """Ingest a large case-level CSV into hive partitions under ``folder`` in chunks of
    ``chunk_rows`` rows: memory stays bounded by one chunk whatever the file's size, and a
    progress bar follows the bytes read. Rows are checked exactly as by :func:`parse` (each
    chunk against the ``cases`` contract); a case id repeated across chunks is found
    afterwards by DuckDB and the later rows rejected. Earlier files from the same extract
    (same name) are replaced only once the new ones are all written.

    Returns the ingest-report record for the file: ``rows``, ``rejected`` (the first
    :data:`KEEP_REJECTIONS`), ``rejected_total``, ``notes``, ``partitions``.
    """
    from analysis.contract import schemas

    path, folder = Path(path), Path(folder)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source_file).stem)
    run_id = f"{stem}.new{os.getpid()}"
    chunks = _csv_chunks(path, chunk_rows, progress)
    headers = next(chunks)
    if not headers or not any(headers):
        raise InputError(path, "empty file", expected="a header line")
    mapping, ignored = map_columns(path, headers)
    notes = [f"{source_file}: columns used: " + ", ".join(
        f"{header} -> {canon}" for canon, header in mapping.items())]
    if ignored:
        notes.append(f"{source_file}: columns ignored: " + ", ".join(ignored))
    rejected: list[Rejection] = []
    rejected_total = rows = 0
    partitions: dict[int, int] = {}
    try:
        for i, chunk in enumerate(chunks):
            records, seen = [], {}
            for locator, raw in chunk:
                rec, reasons = _row(raw, mapping)
                key = (rec["source"], rec["case_id"])
                if rec["case_id"] and key in seen:
                    reasons.append(f"case_id {rec['case_id']!r} repeats {seen[key]}")
                if reasons:
                    rejected_total += 1
                    if len(rejected) < KEEP_REJECTIONS:
                        value = ", ".join(f"{k}={_text(v)}" for k, v in raw.items())[:300]
                        rejected.append(Rejection(f"{source_file}, {locator}",
                                                  "; ".join(reasons), value))
                    continue
                seen[key] = locator
                records.append({**rec, "source_file": source_file, "source_locator": locator,
                                "citation": citation})
            frame = table_frame("cases", records)
            if records:
                frame["decided_date"] = pd.to_datetime(frame["decided_date"])
                frame["received_date"] = pd.to_datetime(frame["received_date"])
                frame = schemas.validate("cases", frame,
                                         origin=f"{source_file}, chunk {i + 1}")
            for fy, n in write_partitions(frame, folder, name=f"{run_id}-{i:05d}").items():
                partitions[fy] = partitions.get(fy, 0) + n
            rows += len(frame)
        repeats = _drop_repeats(folder, run_id, source_file)
    except BaseException:
        for f in folder.glob(f"fiscal_year=*/{run_id}-*.parquet"):
            f.unlink()
        raise
    for _, fy in repeats:
        partitions[fy] -= 1
    rows -= len(repeats)
    rejected_total += len(repeats)
    rejected.extend(r for r, _ in repeats[: max(0, KEEP_REJECTIONS - len(rejected))])
    # the new files are complete: replace the previous ingest of this extract
    for old in folder.glob(f"fiscal_year=*/{stem}-*.parquet"):
        old.unlink()
    for new in sorted(folder.glob(f"fiscal_year=*/{run_id}-*.parquet")):
        new.rename(new.with_name(new.name.replace(run_id, stem, 1)))
    return {"path": source_file, "source": SOURCE, "rows": {"cases": rows},
            "rejected": [r.as_dict() for r in rejected], "rejected_total": rejected_total,
            "reconciliation": [],
            "notes": notes, "partitions": {str(k): v for k, v in sorted(partitions.items())},
            "written_to": str(folder)}
