"""Adapter ``case-records``: case-level CSV, XLSX or Parquet files (FOIA extracts, case logs).

Template
--------
``data/templates/case_records_template.csv`` is a blank example; ``data/templates/README.md``
documents it. Columns (header names are matched loosely, see :data:`ALIASES`):

=================  ========  =====================================================================
column             required  allowed values
=================  ========  =====================================================================
``case_id``        yes       any non-empty text, unique in the file
``received_date``  yes       a date or timestamp (formats below)
``decided_date``   yes       a date or timestamp, empty while the case is pending
``outcome``        yes       approved, denied, withdrawn, pending (and the variants in
                             :data:`OUTCOME_VALUES`, e.g. granted, refused, open)
``basis``          no        free text, e.g. medical, family-reunification
``form``           no        e.g. I-131
``category``       no        e.g. humanitarian-parole
``age_years``      no        a number from 0 to 120
``state``          no        USPS code or state name (CA, California): state of *residence*
``county_fips``    no        5-digit county FIPS; or ``county`` (a name) with ``state``
``office``         no        office code or name
=================  ========  =====================================================================

Dates: ``YYYY-MM-DD`` (preferred), ``MM/DD/YYYY`` or ``M/D/YYYY`` (US order), ``YYYY/MM/DD``,
each optionally with a time (``2024-02-03 14:05:00``, ``2024-02-03T14:05:00``, ``2/3/2024
2:05 PM``) and a UTC offset (``+05:00``, ``Z``), or a date cell in XLSX, or a date or timestamp
column in Parquet. A timestamp with an offset is turned into the day in the mapping's
``timezone`` (default UTC); one without is taken as written. Day-first dates (``31/01/2024``)
are not accepted: they would be read ambiguously.

Column mappings
---------------
A file in another layout is read through a *mapping* (:class:`Mapping`, a small YAML file):
``columns`` (contract column -> the file's column, or a list of candidates), ``outcomes``
(the file's outcome vocabulary -> outcome, or ``{outcome, basis}``), ``ended_without_reason``
and ``unlisted`` (the outcome of an ended case with no reason, and of a reason the vocabulary
does not list; without them such rows are rejected) and ``timezone``. Built-in mappings
(``case_mappings/*.yml``; :func:`builtin_mappings`) cover the Deportation Data Project's ICE
detention *stays* and *stints*; a file whose columns include a built-in layout's is read with
it automatically. ``parole add FILE --mapping map.yml`` (or ``--mapping ddp-stays``) registers
the mapping beside the file as ``<file name>.mapping.yml``.

Redaction markers (FOIA exemptions such as ``b(6), b(7)c``, ``B(6),B(7)(C)``, ``(b)(6)``) are
read as missing; each file's notes count them per column.

Validation: a row is rejected, with every reason found, for an empty or repeated case id, a
date that does not parse, a decision before receipt, an unknown outcome, a decision date on a
pending case (or none on a decided one), an impossible age, or a place that does not resolve.
A file that lacks a required column, or has two columns for one field, raises
:class:`~analysis.errors.InputError`. Rows whose ``synthetic`` column is true get source
``synthetic``. A repeated case id (same source) keeps the first usable row; later rows are
rejected naming it.

How: every check is one set-based SQL query on DuckDB over the whole file (no per-row Python):
the file is loaded into a DuckDB table (spilling to disk, bounded memory), checked, the
repeated ids found by one aggregate, and the usable rows returned (small files) or written as
Parquet partitions by fiscal year of receipt (:func:`ingest_large`), with every rejected row
in a rejects file (line, reason, the row's cells).

The ``cases`` table's ``source_locator`` names the line (CSV), sheet and row (XLSX) or row
(Parquet); ``notes`` records the column mapping used.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import limits
from analysis.errors import InputError, ParoleError
from analysis.ingest.sources.base import AdapterResult, Rejection

SOURCE = "case-records"
REQUIRED = ("case_id", "received_date", "decided_date", "outcome")
MAPPINGS_DIR = Path(__file__).with_name("case_mappings")
#: suffix of a mapping registered beside a case file (``extract.csv.mapping.yml``)
MAPPING_SUFFIX = ".mapping.yml"

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
    "person_id": ("person_id",),
    "facility_code": ("facility_code", "detention_facility_code"),
    "facility": ("facility", "detention_facility"),
    "facility_state": ("facility_state", "detention_facility_state"),
    "area_of_responsibility": ("area_of_responsibility", "aor"),
    "birth_year": ("birth_year",),
    "gender": ("gender",),
    "citizenship": ("citizenship", "citizenship_country"),
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
#: outcomes that end a case (every contract outcome but pending)
ENDED = ("approved", "denied", "withdrawn", "removed", "bonded-out", "recognizance",
         "transferred", "other")
TEXT_COLUMNS = ("basis", "form", "category", "office", "person_id", "facility_code",
                "facility", "area_of_responsibility", "gender", "citizenship")
#: contract columns, in the order of the ``cases`` table
CASE_COLUMNS = ("case_id", "source", "form", "category", "basis", "received_date",
                "decided_date", "outcome", "age_years", "state", "county_fips", "office",
                "person_id", "facility_code", "facility", "facility_state",
                "area_of_responsibility", "birth_year", "gender", "citizenship", "synthetic",
                "source_file", "source_locator", "citation")

#: date formats without and with a UTC offset (DuckDB ``strptime``), tried in order
NAIVE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
                 "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                 "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p")
ZONED_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z",
                 "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%dT%H:%M%z")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")
_TRUE = ("true", "1", "yes", "y", "t")
_FALSE = ("false", "0", "no", "n", "f")
#: a FOIA redaction marker: one or more exemption codes such as b(6), (b)(7)(C), b(7)c (the
#: digit in brackets, so a case id such as B1 is never taken for one)
REDACTION = r"^\s*(\(?b\)?\s*\(\s*[0-9]\s*\)\s*(\(?\s*[a-f]\s*\)?)?\s*[,;&/]?\s*(and)?\s*)+$"

#: files at least this large (bytes) are written as partitions by :func:`ingest_large`
LARGE_BYTES = int(os.environ.get("PAROLE_LARGE_CASES_BYTES", 16_000_000))
#: DuckDB memory limit for ingestion (it spills to a temporary folder beyond it)
MEMORY_LIMIT = os.environ.get("PAROLE_INGEST_MEMORY", "500MB")
#: rejected rows kept in the ingest report (every one is in the rejects file)
KEEP_REJECTIONS = 1000
#: rows per Parquet file at most, within a fiscal-year partition
FILE_ROWS = 2_000_000


def _key(header: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


def _value_key(value: object) -> str:
    return re.sub(r"\s+", " ", str(value).strip().lower())


# -- mappings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mapping:
    """How a file's columns and outcome vocabulary map onto the ``cases`` contract."""

    name: str
    columns: dict[str, tuple[str, ...]]
    outcomes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    ended_without_reason: str | None = None
    unlisted: str | None = None
    timezone: str = "UTC"
    layout: tuple[str, ...] = ()
    citation: str = ""

    def matches(self, headers: list[str]) -> bool:
        keys = {_key(h) for h in headers}
        return bool(self.layout) and all(_key(c) in keys for c in self.layout)


TEMPLATE = Mapping("template", {canon: names for canon, names in ALIASES.items()},
                   {k: (v, None) for k, v in OUTCOME_VALUES.items()})


def _outcome_entry(where: str, raw: object) -> tuple[str, str | None]:
    from analysis.contract.schemas import OUTCOMES

    outcome, basis = (raw.get("outcome"), raw.get("basis")) if isinstance(raw, dict) else (
        raw, None)
    if outcome not in OUTCOMES:
        raise ParoleError(f"{where}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    return str(outcome), (str(basis) if basis else None)


def _read_outcomes(where: Path, spec: object) -> dict[str, tuple[str, str | None]]:
    if isinstance(spec, str):  # a vocabulary file beside the mapping
        spec = limits.read_yaml(where.with_name(spec), what="outcome vocabulary")
    if not isinstance(spec, dict):
        raise ParoleError(f"{where}: 'outcomes' must map the file's values to outcomes")
    return {_value_key(k): _outcome_entry(f"{where}: outcomes[{k!r}]", v)
            for k, v in spec.items()}


def load_mapping(spec: str | Path) -> Mapping:
    """A mapping from a YAML file, or a built-in one by name (``ddp-stays``, ``ddp-stints``)."""
    path = Path(spec)
    if not path.is_file():
        builtin = builtin_mappings()
        if str(spec) not in builtin:
            raise ParoleError(f"{spec}: no such mapping file or built-in mapping (built-in: "
                              f"{', '.join(builtin)})")
        return builtin[str(spec)]
    data = limits.read_yaml(path, what="column mapping")
    if isinstance(data, dict) and set(data) == {"use"}:  # a built-in, by name
        return load_mapping(str(data["use"]))
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise ParoleError(f"{path}: a mapping needs 'columns' (contract column -> the file's "
                          "column)")
    unknown = sorted(set(data["columns"]) - set(ALIASES))
    if unknown:
        raise ParoleError(f"{path}: unknown contract column(s) {', '.join(unknown)} (known: "
                          f"{', '.join(ALIASES)})")
    columns = {c: tuple([v] if isinstance(v, str) else v) for c, v in data["columns"].items()}
    outcomes = (_read_outcomes(path, data["outcomes"]) if "outcomes" in data
                else TEMPLATE.outcomes)
    for key in ("ended_without_reason", "unlisted"):
        if data.get(key) is not None:
            _outcome_entry(f"{path}: {key}", data[key])
    return Mapping(str(data.get("name") or path.stem), columns, outcomes,
                   data.get("ended_without_reason"), data.get("unlisted"),
                   str(data.get("timezone") or "UTC"), tuple(data.get("layout") or ()),
                   str(data.get("citation") or ""))


def builtin_mappings() -> dict[str, Mapping]:
    """The built-in mappings by name (``case_mappings/*.yml`` with a ``layout``)."""
    found = {}
    for path in sorted(MAPPINGS_DIR.glob("*.yml")):
        data = limits.read_yaml(path, what="column mapping")
        if isinstance(data, dict) and "columns" in data:
            found[str(data.get("name") or path.stem)] = load_mapping(path)
    return found


def mapping_side_file(spec: str | Path, entry: Any) -> tuple[str, str]:
    """The file to register beside the case file of manifest ``entry`` for the mapping
    ``spec`` (a YAML file, or a built-in by name): ``(name, text)``, named
    ``<file>.mapping.yml``. A broken mapping is refused here, before anything is registered."""
    mapping = load_mapping(spec)
    body = (Path(spec).read_text(encoding="utf-8") if Path(spec).is_file()
            else f"use: {mapping.name}\n")
    # the first line names the case file, so two files may share one mapping
    return Path(entry.path).name + MAPPING_SUFFIX, f"# column mapping for {entry.path}\n{body}"


def mapping_for(path: Path, headers: list[str], mapping: Mapping | str | Path | None = None
                ) -> Mapping:
    """The mapping to read ``path`` with: the one given, else one registered beside the file
    (``<name>.mapping.yml``), else a built-in whose layout the headers match, else the
    template's aliases."""
    from analysis.ingest.sources.reading import side_file

    if isinstance(mapping, Mapping):
        return mapping
    if mapping is not None:
        return load_mapping(mapping)
    beside = side_file(path.with_name(path.name + MAPPING_SUFFIX))
    if beside is not None:
        return load_mapping(beside)
    for found in builtin_mappings().values():
        if found.matches(headers):
            return found
    return TEMPLATE


def map_columns(path: Path, headers: list[str], mapping: Mapping = TEMPLATE
                ) -> tuple[dict[str, str], list[str]]:
    """Map file headers to canonical columns; returns ``(mapping, ignored headers)``."""
    lookup = {_key(alias): canon for canon, names in mapping.columns.items() for alias in names}
    found: dict[str, str] = {}
    ignored = []
    for header in headers:
        canon = lookup.get(_key(header))
        if canon is None:
            ignored.append(header)
            continue
        if canon in found:
            raise InputError(path, f"columns {found[canon]!r} and {header!r} both give "
                                   f"{canon}", locator="header",
                             expected="one column per field")
        found[canon] = header
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise InputError(path, "missing required column(s) " + ", ".join(missing),
                         locator="header",
                         expected="; ".join(f"{c} (or {', '.join(mapping.columns[c][1:4])})"
                                            if len(mapping.columns.get(c, ())) > 1
                                            else f"{c} ({', '.join(mapping.columns.get(c, ()))})"
                                            for c in missing))
    return found, ignored


def parse_date(value: Any) -> pd.Timestamp | None:
    """A date from a cell; ``None`` when empty; raises ``ValueError`` when unreadable (the
    Python spelling of the first formats the SQL checks accept; kept for callers)."""
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).normalize()
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(
        value).strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt)).normalize()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


# -- SQL ------------------------------------------------------------------------------------

def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _formats(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(_lit(f) for f in formats) + "]"


def _redacted(col: str) -> str:
    """Whether the cell is a redaction marker (a cheap test for a bracket first)."""
    return (f"(contains({col}, '(') AND "
            f"regexp_full_match(lower({col}), {_lit(REDACTION)}))")


#: where a row is: its line (CSV, ``ord_ + 1`` unless set), or sheet and row, or row
LOCATOR = "coalesce(locator_, 'line ' || (ord_ + 1))"


def _date(text: str, tz: str) -> str:
    return (f"CAST(coalesce(try_strptime({text}, {_formats(NAIVE_FORMATS)}), "
            f"timezone({_lit(tz)}, try_strptime(regexp_replace({text}, 'Z$', '+00:00'), "
            f"{_formats(ZONED_FORMATS)}))) AS DATE)")


def _repr(text: str) -> str:
    """Python's ``repr`` of a text, for the reasons (quotes as Python would put them)."""
    return (f"CASE WHEN contains({text}, '''') AND NOT contains({text}, '\"') "
            f"THEN '\"' || {text} || '\"' ELSE '''' || replace({text}, '''', '\\''') || '''' "
            "END")


def _stage_sql(cols: dict[str, str], mapping: Mapping) -> str:
    """Pass 1 (one row per file row): the mapped cells cleaned (trimmed; NULL when empty or a
    redaction marker) and parsed, the outcome from the vocabulary, and a bit mask of the
    redacted cells."""
    canon = list(cols)
    flags = ", ".join(f"{_q(h)} AS r{i}, coalesce({_redacted(_q(h))}, FALSE) AS x{i}"
                      for i, h in enumerate(cols.values()))
    text = [f"CASE WHEN x{i} THEN NULL ELSE NULLIF(trim(r{i}), '') END AS t_{c}"
            for i, c in enumerate(canon)]
    text += [f"NULL::VARCHAR AS t_{c}" for c in ALIASES if c not in cols]
    mask = " + ".join(f"CAST(x{i} AS INTEGER) * {1 << i}" for i in range(len(canon))) or "0"
    cells = f"SELECT ord_, locator_, {flags} FROM raw_"
    parsed = (f"SELECT *, {_date('t_received_date', mapping.timezone)} AS received_, "
              f"{_date('t_decided_date', mapping.timezone)} AS decided_, "
              f"TRY_CAST(t_age_years AS DOUBLE) AS age_, "
              f"TRY_CAST(t_birth_year AS DOUBLE) AS birth_ "
              f"FROM (SELECT ord_, locator_, {', '.join(text)}, {mask} AS redacted_ "
              f"FROM ({cells}) c) s")
    return (f"SELECT p.*, {_outcome_sql(mapping)} AS outcome_, coalesce(v.basis, t_basis) "
            f"AS basis_ FROM ({parsed}) p LEFT JOIN vocab_ v ON v.key = "
            "regexp_replace(lower(coalesce(t_outcome, '')), '\\s+', ' ', 'g')")


def _outcome_sql(mapping: Mapping) -> str:
    """The outcome and parole basis from the vocabulary (table ``vocab_``), with the
    mapping's rules for an ended case without a reason and for unlisted reasons."""
    ended = _lit(mapping.ended_without_reason) if mapping.ended_without_reason else "NULL"
    unlisted = _lit(mapping.unlisted) if mapping.unlisted else "NULL"
    return (f"CASE WHEN t_outcome IS NULL AND decided_ IS NOT NULL AND {ended} IS NOT NULL "
            f"THEN {ended} WHEN v.outcome IS NOT NULL THEN v.outcome "
            f"WHEN t_outcome IS NOT NULL THEN {unlisted} ELSE 'pending' END")


def _reasons_sql(expected: str) -> list[str]:
    """The row-local reasons, in the order the checks are documented."""
    not_date = "is not a date (use YYYY-MM-DD or MM/DD/YYYY)"
    return [
        "CASE WHEN t_case_id IS NULL THEN 'empty case_id' END",
        f"CASE WHEN t_received_date IS NOT NULL AND received_ IS NULL THEN 'received_date: ' "
        f"|| {_repr('t_received_date')} || ' {not_date}' END",
        f"CASE WHEN t_decided_date IS NOT NULL AND decided_ IS NULL THEN 'decided_date: ' "
        f"|| {_repr('t_decided_date')} || ' {not_date}' END",
        "CASE WHEN t_received_date IS NULL THEN 'received_date is empty' END",
        f"CASE WHEN outcome_ IS NULL THEN 'unknown outcome ' || "
        f"{_repr('t_outcome')} || ' (expected {expected})' END",
        "CASE WHEN decided_ < received_ THEN 'decided ' || strftime(decided_, '%Y-%m-%d') || "
        "' before received ' || strftime(received_, '%Y-%m-%d') END",
        "CASE WHEN outcome_ = 'pending' AND decided_ IS NOT NULL THEN "
        "'outcome is pending but a decided_date is given' END",
        "CASE WHEN outcome_ <> 'pending' AND t_decided_date IS NULL THEN 'outcome is ' || "
        "outcome_ || ' but decided_date is empty' END",
        f"CASE WHEN t_age_years IS NOT NULL AND age_ IS NULL THEN 'age ' || "
        f"{_repr('t_age_years')} || ' is not a number' WHEN NOT age_ BETWEEN 0 AND 120 "
        "THEN 'impossible age ' || t_age_years END",
        f"CASE WHEN t_birth_year IS NOT NULL AND (birth_ IS NULL OR NOT birth_ BETWEEN 1880 "
        f"AND 2100) THEN 'birth_year ' || {_repr('t_birth_year')} || ' is not a year' END",
        "CASE WHEN t_county_fips IS NOT NULL AND NOT regexp_full_match(t_county_fips, "
        f"'[0-9]{{4,5}}') THEN 'county_fips ' || {_repr('t_county_fips')} || "
        "' is not a 5-digit code' END",
        f"CASE WHEN lower(t_synthetic) NOT IN {tuple(_TRUE + _FALSE)} THEN 'synthetic ' || "
        f"{_repr('lower(t_synthetic)')} || ' is not true or false' END",
    ]


def _checked_sql(mapping: Mapping) -> str:
    vocab = sorted({o for o, _ in mapping.outcomes.values()})
    expected = (", ".join(vocab[:-1]) + " or " + vocab[-1]) if len(vocab) > 1 else "".join(
        vocab)
    if mapping is TEMPLATE:
        expected = "approved, denied, withdrawn or pending"
    reasons = ", ".join(_reasons_sql(expected))
    return (f"SELECT s.*, coalesce(lower(t_synthetic) IN {tuple(_TRUE)}, FALSE) AS synthetic_, "
            f"NULLIF(concat_ws('; ', {reasons}), '') AS reasons_ FROM stage_ s")


# -- reading the file into DuckDB -----------------------------------------------------------

def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "parquet" if suffix in (".parquet", ".pq") else "csv"


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text", expected="a UTF-8 CSV file (save as CSV "
                                                          "UTF-8) or an XLSX workbook") from None
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None


def _load_csv(con, path: Path) -> list[str]:
    headers = _csv_header(path)
    if not headers or not any(headers):
        raise InputError(path, "empty file", expected="a header line")
    types = "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(headers))) + "}"
    names = ", ".join(f"c{i} AS {_q(h)}" for i, h in enumerate(headers))
    blank = " AND ".join(f"coalesce(trim(c{i}), '') = ''" for i in range(len(headers)))
    con.execute(
        f"CREATE VIEW raw_ AS SELECT ord_, NULL::VARCHAR AS locator_, {names} FROM ("
        f"SELECT row_number() OVER () AS ord_, * FROM read_csv({_lit(path)}, header = true, "
        f"delim = ',', quote = '\"', escape = '\"', columns = {types}, auto_detect = false, "
        f"strict_mode = true, null_padding = false, encoding = 'utf-8')) t WHERE NOT ({blank})")
    return headers


def _load_parquet(con, path: Path) -> list[str]:
    try:
        cols = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_lit(path)})").fetchall()]
    except Exception as exc:  # duckdb raises several types for an unreadable file
        raise InputError(path, f"not a readable Parquet file ({exc})") from None
    names = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in cols)
    con.execute(f"CREATE VIEW raw_ AS SELECT file_row_number + 1 AS ord_, 'row ' || "
                f"(file_row_number + 1) AS locator_, {names} FROM read_parquet({_lit(path)}, "
                "file_row_number = true)")
    return cols


def _xlsx_frame(path: Path) -> pd.DataFrame:
    """Every sheet with the first sheet's header (a large extract split into sheets of a
    million rows), cells as text, with ``locator_`` (sheet and row) and blank rows left out."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, header=0)
    except Exception as exc:  # openpyxl raises several types for a broken workbook
        raise InputError(path, f"not a readable XLSX workbook ({exc})") from None
    first = next(iter(sheets.values()))
    parts = []
    for name, frame in sheets.items():
        if [str(c) for c in frame.columns] != [str(c) for c in first.columns]:
            continue
        text = frame.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v))
                         else str(v)).astype(object)
        text.columns = [str(c) for c in frame.columns]
        text.insert(0, "locator_", [f"sheet {name}, row {i + 2}" for i in range(len(frame))])
        parts.append(text[text.drop(columns="locator_").apply(
            lambda r: r.fillna("").str.strip().ne("").any(), axis=1)])
    return pd.concat(parts, ignore_index=True)


def _load_xlsx(con, path: Path) -> list[str]:
    frame = _xlsx_frame(path)
    headers = [c for c in frame.columns if c != "locator_"]
    frame.insert(0, "ord_", range(1, len(frame) + 1))
    con.register("xlsx_", frame)
    names = ", ".join(f"CAST({_q(h)} AS VARCHAR) AS {_q(h)}" for h in headers)
    con.execute(f"CREATE TABLE raw_ AS SELECT ord_, locator_, {names} FROM xlsx_")
    con.unregister("xlsx_")
    return headers


def _csv_error(path: Path, exc: Exception) -> InputError:
    text = str(exc)
    line = re.search(r"[Ll]ine:?\s*(\d+)", text)
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return InputError(path, "not UTF-8 text", expected="a UTF-8 CSV file (save as CSV "
                                                           "UTF-8) or an XLSX workbook")
    found = re.search(r"found (\d+) columns?", text) or re.search(r"(\d+) columns? found", text)
    what = (f"{found[1]} cells where the header has more or fewer" if found
            else "a row that does not fit the header")
    return InputError(path, f"not a readable CSV file: {what}",
                      locator=f"line {line[1]}" if line else None)


def _line_numbers(con, path: Path) -> None:
    """Give CSV rows their line numbers: ``ord_ + 1`` when the file has one line per row
    (counted), else from one pass of Python's CSV reader (blank lines or cells over several
    lines)."""
    rows = con.execute("SELECT coalesce(max(ord_), 0) FROM checked_").fetchall()[0][0]
    newlines, last = 0, b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            newlines += block.count(b"\n")
            last = block[-1:]
    lines = newlines + (0 if last == b"\n" else 1)
    if lines == rows + 1:  # one line per row: the locator is ord_ + 1 (see LOCATOR)
        return
    numbers = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        numbers = [reader.line_num for row in reader if row]
    con.register("lines_", pd.DataFrame({"ord_": range(1, len(numbers) + 1),
                                         "line_": numbers}))
    con.execute("UPDATE checked_ SET locator_ = 'line ' || l.line_ FROM lines_ l "
                "WHERE l.ord_ = checked_.ord_")
    con.unregister("lines_")


def _load(con, path: Path) -> list[str]:
    """Load the file into the DuckDB table ``raw_`` (every cell as text, ``ord_`` its order,
    ``locator_`` its line or sheet and row); returns the headers."""

    kind = _kind(path)
    if kind == "xlsx":
        return _load_xlsx(con, path)
    if kind == "parquet":
        return _load_parquet(con, path)
    return _load_csv(con, path)


# -- the checks -----------------------------------------------------------------------------

@contextlib.contextmanager
def _connection(work: Path | None = None) -> Iterator[Any]:
    """A DuckDB database in a temporary folder (tables spill there beyond
    :data:`MEMORY_LIMIT`)."""
    import duckdb

    folder = Path(tempfile.mkdtemp(prefix=".parole-cases-", dir=work))
    con = duckdb.connect(":memory:", config={
        "memory_limit": MEMORY_LIMIT, "temp_directory": str(folder / "spill"),
        "preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)


def _place_lookups(con) -> None:
    """Resolve each distinct state and county text once (the geography module's rules and
    messages) into the tables ``states_`` and ``counties_``."""
    from analysis.contract import geo

    states = []
    for (text,) in con.execute("SELECT DISTINCT t_state FROM checked_ WHERE t_state IS NOT "
                               "NULL").fetchall():
        try:
            states.append((text, geo.state_code(text), None))
        except geo.GeographyError as exc:
            states.append((text, None, str(exc)))
    _table(con, "states_", pd.DataFrame(states, columns=["text", "code", "problem"],
                                        dtype=object))
    counties = []
    for county, state in con.execute(
            "SELECT DISTINCT c.t_county, s.code FROM checked_ c JOIN states_ s ON "
            "s.text = c.t_state WHERE c.t_county IS NOT NULL AND c.t_county_fips IS NULL "
            "AND s.code IS NOT NULL").fetchall():
        try:
            counties.append((county, state, geo.county_fips(county, state), None))
        except geo.GeographyError as exc:
            counties.append((county, state, None, str(exc)))
    _table(con, "counties_", pd.DataFrame(counties, columns=["county", "state", "fips",
                                                             "problem"], dtype=object))


def _table(con, name: str, frame: pd.DataFrame) -> None:
    """A small DuckDB table from ``frame`` (text columns)."""
    con.register("frame_", frame.astype(object).where(frame.notna(), None))
    cols = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in frame.columns)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {cols} FROM frame_")
    con.unregister("frame_")


def _repeats(con) -> None:
    """The first usable row of every case id given more than once (table ``first_``)."""
    con.execute(
        f"CREATE TABLE first_ AS SELECT src_, t_case_id, arg_min({LOCATOR}, ord_) FILTER ("
        "WHERE reasons_ IS NULL) AS first_locator, min(ord_) FILTER (WHERE reasons_ IS NULL) "
        "AS first_ord FROM checked_ WHERE t_case_id IS NOT NULL GROUP BY ALL "
        "HAVING count(*) > 1 AND first_ord IS NOT NULL")


def _final_view(con) -> None:
    """``final_``: every row with all its reasons (row-local, places, repeats)."""
    con.execute(
        "CREATE VIEW final_ AS SELECT c.*, s.code AS state_, coalesce(lpad(c.t_county_fips, 5, "
        "'0'), k.fips) AS county_fips_, NULLIF(concat_ws('; ', c.reasons_, s.problem, "
        "CASE WHEN c.t_county_fips IS NULL AND c.t_county IS NOT NULL AND s.code IS NULL THEN "
        f"'county ' || {_repr('c.t_county')} || ' given without a state' END, "
        "k.problem, CASE WHEN f.first_ord < c.ord_ THEN 'case_id ' || "
        f"{_repr('c.t_case_id')} || ' repeats ' || f.first_locator END), '') AS why_, "
        "coalesce(f.first_ord < c.ord_, FALSE) AS repeat_ "
        "FROM checked_ c LEFT JOIN states_ s ON s.text = c.t_state "
        "LEFT JOIN counties_ k ON k.county = c.t_county AND k.state = s.code "
        "AND c.t_county_fips IS NULL "
        "LEFT JOIN first_ f ON f.src_ = c.src_ AND f.t_case_id = c.t_case_id")


def _run_checks(con, path: Path, mapping: Mapping | str | Path | None) -> tuple[Mapping, dict,
                                                                               list[str]]:
    import duckdb

    headers = _load(con, path)
    mapping = mapping_for(path, headers, mapping)
    cols, ignored = map_columns(path, headers, mapping)
    _table(con, "vocab_", pd.DataFrame(
        [(k, o, b) for k, (o, b) in mapping.outcomes.items() if k],
        columns=["key", "outcome", "basis"], dtype=object))
    con.execute(f"CREATE VIEW stage_ AS {_stage_sql(cols, mapping)}")
    try:
        con.execute(f"CREATE TABLE checked_ AS SELECT *, CASE WHEN synthetic_ THEN "
                    f"'synthetic' ELSE {_lit(SOURCE)} END AS src_ FROM ({_checked_sql(mapping)}) x")
    except duckdb.Error as exc:
        raise _csv_error(path, exc) from None
    if _kind(path) == "csv":
        _line_numbers(con, path)
    _place_lookups(con)
    _repeats(con)
    _final_view(con)
    return mapping, cols, ignored


#: contract columns every case file has (the others only when the file maps them)
CORE_COLUMNS = ("case_id", "source", "form", "category", "basis", "received_date",
                "decided_date", "outcome", "age_years", "state", "county_fips", "office",
                "synthetic", "source_file", "source_locator", "citation")
_EXPRESSIONS = {
    "case_id": "t_case_id", "source": "src_", "basis": "basis_",
    "received_date": "CAST(received_ AS TIMESTAMP)",
    "decided_date": "CAST(decided_ AS TIMESTAMP)", "outcome": "outcome_",
    "age_years": "age_", "state": "state_", "county_fips": "county_fips_",
    "facility_state": "upper(t_facility_state)", "birth_year": "birth_",
    "synthetic": "synthetic_", "source_locator": LOCATOR,
}


def _accepted_sql(cols: dict[str, str], source_file: str, citation: str,
                  ordered: bool = True) -> str:
    """The usable rows as ``cases`` columns: the core ones, and the others the file maps."""
    given = {"source_file": _lit(source_file), "citation": _lit(citation)}
    names = [c for c in CASE_COLUMNS if c in CORE_COLUMNS or c in cols]
    select = ", ".join(f"{given.get(c) or _EXPRESSIONS.get(c) or 't_' + c} AS {c}"
                       for c in names)
    return (f"SELECT {select} FROM final_ WHERE why_ IS NULL"
            + (" ORDER BY ord_" if ordered else ""))


def _rejected_table(con) -> None:
    """``rejected_``: the rejected rows (few), so the join back to the file's cells builds
    its hash table on them."""
    con.execute(f"CREATE OR REPLACE TABLE rejected_ AS SELECT ord_, {LOCATOR} AS locator_, "
                "why_ FROM final_ WHERE why_ IS NOT NULL")


def _rejects_sql(con, source_file: str) -> str:
    headers = [c for c in con.execute("SELECT * FROM raw_ LIMIT 0").df().columns
               if c not in ("ord_", "locator_")]
    value = "concat_ws(', ', " + ", ".join(
        f"{_lit(h + '=')} || coalesce(trim(r.{_q(h)}), '')" for h in headers) + ")"
    return (f"SELECT {_lit(source_file + ', ')} || j.locator_ AS locator, j.why_ AS reason, "
            f"left({value}, 300) AS value FROM raw_ r JOIN rejected_ j ON r.ord_ = j.ord_ "
            "ORDER BY j.ord_")


def _notes(con, source_file: str, mapping: Mapping, cols: dict[str, str],
           ignored: list[str]) -> list[str]:
    notes = [f"{source_file}: columns used" + (f" (mapping {mapping.name})"
                                               if mapping is not TEMPLATE else "") + ": "
             + ", ".join(f"{header} -> {canon}" for canon, header in cols.items())]
    if ignored:
        notes.append(f"{source_file}: columns ignored: " + ", ".join(ignored))
    sums = ", ".join(f"sum((redacted_ >> {i}) & 1)" for i in range(len(cols)))
    counts = con.execute(f"SELECT {sums} FROM checked_").fetchall()[0] if cols else ()
    red = [f"{h} {int(n):,}" for h, n in zip(cols.values(), counts, strict=True) if n]
    if red:
        notes.append(f"{source_file}: redaction markers read as missing: " + ", ".join(red))
    if mapping.unlisted:
        notes.extend(_unlisted_note(con, source_file, mapping))
    return notes


def _unlisted_note(con, source_file: str, mapping: Mapping) -> list[str]:
    rows = con.execute(
        "SELECT t_outcome, count(*) FROM checked_ c LEFT JOIN vocab_ v ON v.key = "
        "regexp_replace(lower(t_outcome), '\\s+', ' ', 'g') WHERE t_outcome IS NOT NULL AND "
        "v.key IS NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20").fetchall()
    if not rows:
        return []
    return [f"{source_file}: outcomes not in the vocabulary, kept as {mapping.unlisted}: "
            + ", ".join(f"{v!r} {n:,}" for v, n in rows)]


def _counts(con) -> tuple[int, int, int]:
    rows, rejected, repeats = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE why_ IS NOT NULL), count(*) FILTER "
        "(WHERE repeat_) FROM final_").fetchall()[0]
    return int(rows) - int(rejected), int(rejected), int(repeats)


# -- small files: a table in memory ---------------------------------------------------------

def parse(path: Path, *, source_file: str, citation: str,
          mapping: Mapping | str | Path | None = None) -> AdapterResult:
    """Read a case-level file into the ``cases`` table; unusable rows become rejections."""
    path = Path(path)
    result = AdapterResult()
    if path.name.endswith(MAPPING_SUFFIX):  # a mapping registered beside a case file
        result.notes.append(f"{source_file}: column mapping (read with the file it "
                            "accompanies)")
        return result
    with _connection() as con:
        mapping, cols, ignored = _run_checks(con, path, mapping)
        result.notes.extend(_notes(con, source_file, mapping, cols, ignored))
        frame = con.execute(_accepted_sql(cols, source_file, citation)).df()
        _rejected_table(con)
        for loc, reason, value in con.execute(_rejects_sql(con, source_file)).fetchall():
            result.rejected.append(Rejection(loc, reason, value))
        if not con.execute("SELECT count(*) FROM raw_").fetchall()[0][0]:
            result.notes.append(f"{source_file}: no data rows (a blank template?)")
    result.tables["cases"] = _as_contract(frame)
    return result


def _as_contract(frame: pd.DataFrame) -> pd.DataFrame:
    from analysis.ingest.sources.base import table_frame

    out = table_frame("cases", frame.to_dict("records")) if frame.empty else frame[
        [c for c in CASE_COLUMNS if c in frame.columns]].copy()
    for col in ("received_date", "decided_date"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out


# -- large extracts: partitions written by the engine ---------------------------------------

def is_large(path: Path) -> bool:
    """Whether ``path`` is big enough to be written as partitions (:data:`LARGE_BYTES`)."""
    path = Path(path)
    return (path.suffix.lower() not in (".xlsx", ".xlsm", ".yml")
            and path.stat().st_size >= LARGE_BYTES)


def write_partitions(frame: pd.DataFrame, folder: Path, *, name: str) -> dict[int, int]:
    """Write a ``cases`` frame under ``folder`` as hive partitions by fiscal year of receipt
    (``folder/fiscal_year=2024/<name>.parquet``; dates as microsecond timestamps, which
    DuckDB, pandas and Spark all read). Each file is written atomically. Returns rows written
    per fiscal year."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.contract.periods import fiscal_years

    written: dict[int, int] = {}
    if frame.empty:
        return written
    years = fiscal_years(frame["received_date"])
    for fy, part in frame.groupby(years.to_numpy(), sort=True):
        table = pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False)
        target = Path(folder) / f"fiscal_year={int(fy)}" / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, tmp, coerce_timestamps="us", allow_truncated_timestamps=True)
        os.replace(tmp, target)
        written[int(fy)] = written.get(int(fy), 0) + len(part)
    return written


def _write_parts(con, staging: Path, cols: dict[str, str], source_file: str,
                 citation: str) -> dict[int, int]:
    from analysis.contract.periods import fiscal_year_sql

    fy = fiscal_year_sql("CAST(received_date AS DATE)")
    rows = _accepted_sql(cols, source_file, citation, False)
    con.execute(f"COPY (SELECT *, {fy} AS fiscal_year FROM ({rows})) TO {_lit(staging)} "
                "(FORMAT parquet, PARTITION_BY (fiscal_year), "
                f"FILENAME_PATTERN 'part-{{i}}', ROW_GROUP_SIZE 500000, "
                "PER_THREAD_OUTPUT false)")
    counts = con.execute(f"SELECT fiscal_year, count(*) FROM read_parquet("
                         f"{_lit(staging / '**' / '*.parquet')}, hive_partitioning = true) "
                         "GROUP BY 1 ORDER BY 1").fetchall()
    return {int(y): int(n) for y, n in counts}


def _publish_parts(staging: Path, folder: Path, stem: str) -> list[str]:
    """Replace the earlier files of this extract (same stem) with the new ones."""
    for old in folder.glob(f"fiscal_year=*/{stem}-*.parquet"):
        old.unlink()
    written = []
    for new in sorted(staging.glob("fiscal_year=*/*.parquet")):
        target = folder / new.parent.name / f"{stem}-{new.stem.removeprefix('part-')}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new, target)
        written.append(str(target.relative_to(folder.parent)))
    return written


def _write_rejects(con, target: Path, source_file: str) -> list[Rejection]:
    """Every rejected row to ``target`` (CSV: locator, reason, value); returns the first
    :data:`KEEP_REJECTIONS`."""
    _rejected_table(con)
    target.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"CREATE TABLE rejects_out_ AS {_rejects_sql(con, source_file)}")
    con.execute(f"COPY rejects_out_ TO {_lit(target)} (HEADER, DELIMITER ',')")
    return [Rejection(*row) for row in con.execute(
        f"SELECT * FROM rejects_out_ LIMIT {KEEP_REJECTIONS}").fetchall()]


def ingest_large(path: Path, folder: Path, *, source_file: str, citation: str,
                 progress: bool = True, mapping: Mapping | str | Path | None = None,
                 **_ignored: Any) -> dict[str, Any]:
    """Ingest a large case file (CSV, Parquet) into hive partitions by fiscal year of receipt
    under ``folder`` with the checks of :func:`parse`, all in DuckDB: memory bounded by
    :data:`MEMORY_LIMIT` (the engine spills to disk), partitions of up to millions of rows.
    Every rejected row goes to ``<folder>_rejected/<stem>.csv``. Earlier files from the same
    extract (same name) are replaced only once the new ones are all written.

    Returns the ingest-report record for the file: ``rows``, ``rejected`` (the first
    :data:`KEEP_REJECTIONS`), ``rejected_total``, ``repeats_removed``, ``notes``,
    ``partitions``, ``files`` and ``rejects_file`` (paths relative to ``folder``'s parent).
    """
    path, folder = Path(path), Path(folder)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source_file).stem)
    folder.mkdir(parents=True, exist_ok=True)
    with _connection(folder.parent) as con:
        mapping, cols, ignored = _run_checks(con, path, mapping)
        notes = _notes(con, source_file, mapping, cols, ignored)
        staging = Path(tempfile.mkdtemp(prefix=f".{stem}.new", dir=folder))
        try:
            partitions = _write_parts(con, staging, cols, source_file, citation)
            rejects_path = folder.with_name(folder.name + "_rejected") / f"{stem}.csv"
            rejected = _write_rejects(con, rejects_path, source_file)
            rows, rejected_total, repeats = _counts(con)
            files = _publish_parts(staging, folder, stem)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return {"path": source_file, "source": SOURCE, "rows": {"cases": rows},
            "rejected": [r.as_dict() for r in rejected], "rejected_total": rejected_total,
            "repeats_removed": repeats, "reconciliation": [], "notes": notes,
            "partitions": {str(k): v for k, v in sorted(partitions.items())},
            "files": files,
            "rejects_file": str(rejects_path.relative_to(folder.parent)),
            "mapping": mapping.name}
