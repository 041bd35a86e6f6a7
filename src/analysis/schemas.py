"""The data contract: the tables ingestion writes to ``data/processed/`` and their rules.

Column names here are a public interface (later tools and outside checks read them); change
them only with a migration note in the README.

Tables
------
``counts``             one row per published number
``processing_times``   one row per published processing-time statistic
``cases``              case-level records (FOIA extracts, case logs, synthetic data)
``published_figures``  single published figures (GAO, CRS, TRAC, reporting) with citations
"""

from __future__ import annotations

import warnings

import pandas as pd

from .errors import InputError
from .periods import PERIOD_PATTERN

with warnings.catch_warnings():
    # pandera imports pyspark.pandas when pyspark (the optional [spark] extra) is installed;
    # pyspark's warning about the pandas version concerns pandas-on-Spark, not this package
    warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"

GEO_LEVELS = ("nation", "state", "county", "office", "region")
STATUSES = (
    "reported",  # a number as published
    "zero",  # published as "-": zero, or rounds to zero
    "suppressed",  # published as "D" / "X": withheld under disclosure rules
    "not_available",  # published as "N/A" or left empty by the publisher
    "not_applicable",  # published as "X" by DHS OHSS: the measure did not exist then
    "withheld",  # published as "H": withheld so a suppressed cell cannot be derived
    "rounded",  # published after rounding (e.g. OHSS since 2023)
    "estimated",  # an estimate by the publisher
)
#: statuses whose value is a number; the others have no value
VALUED_STATUSES = ("reported", "zero", "rounded", "estimated")
OUTCOMES = ("approved", "denied", "withdrawn", "pending")

_text = pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1))
_opt_text = pa.Column(str, nullable=True, required=False)


def _geo_code_matches_level(df: pd.DataFrame) -> pd.Series:
    level, code = df["geo_level"], df["geo_code"].astype(str)
    ok = pd.Series(True, index=df.index)
    ok &= ~(level.eq("nation") & ~code.eq("US"))
    ok &= ~(level.eq("state") & ~code.str.fullmatch(r"[A-Z]{2}"))
    ok &= ~(level.eq("county") & ~code.str.fullmatch(r"\d{5}"))
    return ok


def _value_matches_status(df: pd.DataFrame, column: str) -> pd.Series:
    valued = df["status"].isin(VALUED_STATUSES)
    has_value = df[column].notna()
    zero_ok = ~df["status"].eq("zero") | df[column].fillna(0).eq(0)
    return (valued == has_value) & zero_ok


COUNTS = pa.DataFrameSchema(
    {
        "source": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "form": pa.Column(str, nullable=True),
        "category": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "measure": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "geo_level": pa.Column(str, checks=pa.Check.isin(GEO_LEVELS)),
        "geo_code": _text,
        "geo_name": pa.Column(str, nullable=True),
        "period": pa.Column(str, checks=pa.Check.str_matches(PERIOD_PATTERN)),
        "period_start": pa.Column("datetime64[ns]"),
        "period_end": pa.Column("datetime64[ns]"),
        "fiscal_year": pa.Column("int64", checks=pa.Check.in_range(1990, 2100)),
        "value": pa.Column(float, nullable=True, checks=pa.Check.ge(0)),
        "status": pa.Column(str, checks=pa.Check.isin(STATUSES)),
        "source_file": _text,
        "source_locator": _text,
        "citation": _text,
        "note": _opt_text,
    },
    checks=[
        pa.Check(lambda df: df["period_start"] <= df["period_end"],
                 error="period_start after period_end"),
        pa.Check(_geo_code_matches_level,
                 error="geo_code does not fit geo_level (US, USPS code, 5-digit FIPS)"),
        pa.Check(lambda df: _value_matches_status(df, "value"),
                 error="value must be a number exactly when status is "
                       + "/".join(VALUED_STATUSES) + " (and 0 when status is zero)"),
    ],
    unique=["source_file", "source", "form", "category", "measure", "geo_level", "geo_code",
            "period"],
    strict=True,
    coerce=True,
    name="counts",
)

PROCESSING_TIMES = pa.DataFrameSchema(
    {
        "source": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "form": pa.Column(str, nullable=True),
        "subtype": pa.Column(str, nullable=True),
        "geo_level": pa.Column(str, checks=pa.Check.isin(GEO_LEVELS)),
        "geo_code": _text,
        "geo_name": pa.Column(str, nullable=True),
        "as_of": pa.Column("datetime64[ns]", nullable=True),
        "period": pa.Column(str, nullable=True, checks=pa.Check.str_matches(PERIOD_PATTERN)),
        "statistic": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "months": pa.Column(float, nullable=True, checks=pa.Check.ge(0)),
        "status": pa.Column(str, checks=pa.Check.isin(STATUSES)),
        "source_file": _text,
        "source_locator": _text,
        "citation": _text,
        "note": _opt_text,
    },
    checks=[
        pa.Check(lambda df: df["as_of"].notna() | df["period"].notna(),
                 error="each row needs as_of or period"),
        pa.Check(_geo_code_matches_level,
                 error="geo_code does not fit geo_level (US, USPS code, 5-digit FIPS)"),
        pa.Check(lambda df: _value_matches_status(df, "months"),
                 error="months must be a number exactly when status is "
                       + "/".join(VALUED_STATUSES)),
    ],
    strict=True,
    coerce=True,
    name="processing_times",
)

CASES = pa.DataFrameSchema(
    {
        "case_id": _text,
        "source": pa.Column(str, checks=pa.Check.str_matches(SLUG)),
        "form": pa.Column(str, nullable=True),
        "category": pa.Column(str, nullable=True),
        "basis": pa.Column(str, nullable=True),
        "received_date": pa.Column("datetime64[ns]"),
        "decided_date": pa.Column("datetime64[ns]", nullable=True),
        "outcome": pa.Column(str, checks=pa.Check.isin(OUTCOMES)),
        "age_years": pa.Column(float, nullable=True, checks=pa.Check.in_range(0, 120)),
        "state": pa.Column(str, nullable=True, checks=pa.Check.str_matches(r"^[A-Z]{2}$")),
        "county_fips": pa.Column(str, nullable=True, checks=pa.Check.str_matches(r"^\d{5}$")),
        "office": pa.Column(str, nullable=True),
        "synthetic": pa.Column(bool),
        "source_file": _opt_text,
        "source_locator": _opt_text,
        "citation": _opt_text,
    },
    checks=[
        pa.Check(lambda df: df["decided_date"].isna() | (df["decided_date"] >= df["received_date"]),
                 error="decided_date before received_date"),
        pa.Check(lambda df: df["outcome"].eq("pending") == df["decided_date"].isna(),
                 error="decided_date must be empty exactly when outcome is pending"),
    ],
    unique=["source", "case_id"],
    strict=True,
    coerce=True,
    name="cases",
)

PUBLISHED_FIGURES = pa.DataFrameSchema(
    {
        "figure_id": pa.Column(str, checks=pa.Check.str_matches(SLUG), unique=True),
        "measure": _text,
        "value": pa.Column(float),
        "unit": _text,
        "period_start": pa.Column("datetime64[ns]"),
        "period_end": pa.Column("datetime64[ns]"),
        "geography": _text,
        "population": _text,
        "publisher": _text,
        "published": pa.Column(str, nullable=True),
        "note": pa.Column(str, nullable=True),
        "source_file": _text,
        "source_locator": _text,
        "citation": _text,
    },
    checks=[pa.Check(lambda df: df["period_start"] <= df["period_end"],
                     error="period_start after period_end")],
    strict=True,
    coerce=True,
    name="published_figures",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "counts": COUNTS,
    "processing_times": PROCESSING_TIMES,
    "cases": CASES,
    "published_figures": PUBLISHED_FIGURES,
}


def columns(table: str) -> list[str]:
    """The contract's column names for ``table``, in order (optional columns included)."""
    return list(SCHEMAS[table].columns)


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the table's columns and dtypes."""
    schema = SCHEMAS[table]
    frame = pd.DataFrame({name: pd.Series(dtype=_pandas_dtype(col.dtype))
                          for name, col in schema.columns.items()})
    return frame


def _pandas_dtype(dtype: object) -> str:
    text = str(dtype)
    return {"str": "object", "float64": "float64", "int64": "int64", "bool": "bool"}.get(
        text, text)


def validate(table: str, df: pd.DataFrame, *, origin: str = "") -> pd.DataFrame:
    """Validate ``df`` against the contract for ``table`` and return it with coerced dtypes.

    Raises :class:`InputError` naming the origin, the failing column or check and up to five
    offending rows.
    """
    schema = SCHEMAS[table]
    ordered = df[[c for c in schema.columns if c in df.columns]
                 + [c for c in df.columns if c not in schema.columns]]
    try:
        return schema.validate(ordered, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for _, case in cases.head(5).iterrows():
            where = f"row {case['index']}" if pd.notna(case.get("index")) else "table"
            lines.append(f"{where}, column {case['column']}: failed {case['check']}"
                         f" (value {case['failure_case']!r})")
        more = f"; and {len(cases) - 5} more" if len(cases) > 5 else ""
        raise InputError(origin or table, f"does not meet the {table} contract: "
                         + "; ".join(lines) + more) from None
