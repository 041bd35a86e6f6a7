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

import pandas as pd

# (pyspark's pandas-version warning, raised when pandera imports it, is silenced in
# analysis/__init__.py for the whole package)
import pandera.pandas as pa  # noqa: E402
from pandera.errors import SchemaErrors  # noqa: E402

from analysis.contract.catalog import SOURCES
from analysis.contract.periods import PERIOD_PATTERN
from analysis.errors import InputError

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"

#: the largest count a table holds (larger numbers are misreads: dates, codes or overflow)
MAX_COUNT = 1e10
#: the longest processing time a table holds, in months (50 years; more is a misread)
MAX_MONTHS = 600.0

#: geo_level -> what geo_code holds
GEO_LEVEL_MEANINGS: dict[str, str] = {
    "nation": "the United States; geo_code `US`",
    "state": "a state, DC or a territory; geo_code the USPS code (`CA`)",
    "county": "a county or equivalent; geo_code the 5-digit FIPS code (`06037`)",
    "office": "a USCIS field office or service center; geo_code the USCIS office code (or a "
              "slug of its name where the file gives no code)",
    "region": "a named group of places (`international`, a Census region, ...); geo_code its "
              "name",
}
GEO_LEVELS = tuple(GEO_LEVEL_MEANINGS)
from analysis.contract.statuses import (  # noqa: E402,F401 (part of the contract's API)
    STATUS_MEANINGS,
    STATUSES,
    VALUED_STATUSES,
)

#: how a number reached the counts table (one rule decides between them: machine-read wins)
ORIGINS: dict[str, str] = {
    "machine-read": "read by an adapter from the publisher's own file",
    "transcribed": "transcribed from a published table into data/raw/published (the bundled "
                   "compilation)",
}
OUTCOME_MEANINGS: dict[str, str] = {
    "approved": "granted (approved, paroled)",
    "denied": "denied or refused",
    "withdrawn": "withdrawn by the applicant",
    "pending": "not decided by the record's date (decided_date empty): a censored duration",
    # how a detention stay ends other than by parole (ICE release reasons, e.g. the
    # Deportation Data Project's stays): competing events for time to parole
    "removed": "removed (deported) from the United States",
    "bonded-out": "released on bond",
    "recognizance": "released on an order of (own) recognizance",
    "transferred": "transferred to another facility or agency",
    "other": "ended for another reason, or with no reason recorded",
}
OUTCOMES = tuple(OUTCOME_MEANINGS)

#: the allowed source ids, in words: every record of sources.yml, in its order
SOURCE_IDS = ("a source id (slug; `parole sources` lists them): "
              + ", ".join(f"`{source}`" for source in SOURCES))
SLUG_TEXT = "a slug: lower-case letters and digits joined by `-`"
PERIODS = ("`FY2023` (fiscal year), `FY2023-Q2` (fiscal quarter), `FY2023-YTD-Q2` (fiscal year "
           "to date through Q2), `FY2024-YTD-2024-07` (fiscal year to date through a month that "
           "ends no quarter) or `2023-05` (calendar month)")


def _col(dtype, description: str, *, unit: str | None = None,
         allowed: str | dict[str, str] | None = None, nullable: bool = False,
         required: bool = True, checks=None, unique: bool = False) -> pa.Column:
    """A contract column with its description, unit and allowed values (the codebook's source:
    ``docs/codebook.md`` and the README's contract tables are generated from these)."""
    metadata = {k: v for k, v in (("unit", unit), ("allowed", allowed)) if v is not None}
    return pa.Column(dtype, checks=checks, nullable=nullable, required=required, unique=unique,
                     description=description, metadata=metadata or None)


def _opt(dtype, description: str, **kw) -> pa.Column:
    """A column a table may lack (files that do not give it), empty where unknown."""
    return _col(dtype, description, nullable=True, required=False, **kw)


def _text(description: str, **kw) -> pa.Column:
    return _col(str, description, checks=pa.Check.str_length(min_value=1), **kw)


def _opt_text(description: str, **kw) -> pa.Column:
    return _col(str, description, nullable=True, required=False, **kw)


def _slug(description: str, **kw) -> pa.Column:
    return _col(str, description, checks=pa.Check.str_matches(SLUG), **kw)


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


def _provenance(locator_required: bool = True) -> dict[str, pa.Column]:
    make = _text if locator_required else _opt_text
    return {
        "source_file": make("the raw file the row was read from, relative to `data/raw/`"),
        "source_locator": make("where in that file: line, or sheet, row and column, with the "
                               "row title"),
        "citation": make("the publisher's table (title, period) and its address (URL)"),
    }


def _geo() -> dict[str, pa.Column]:
    return {
        "geo_level": _col(str, "what kind of place the row is about",
                          checks=pa.Check.isin(GEO_LEVELS), allowed=GEO_LEVEL_MEANINGS),
        "geo_code": _text("code of the place; its form depends on geo_level", allowed=(
            "`US` (nation), USPS code (state), 5-digit FIPS (county), USCIS office code "
            "(office), region name (region)")),
        "geo_name": _col(str, "name of the place as shown to readers (\"Los Angeles County, "
                              "CA\")", nullable=True),
    }


def _status() -> pa.Column:
    return _col(str, "what kind of figure the publisher printed; decides whether there is a "
                     "value", checks=pa.Check.isin(STATUSES), allowed=STATUS_MEANINGS)


def _source() -> pa.Column:
    return _slug("source id of the publication", allowed=SOURCE_IDS)


def _form(more: str = "") -> pa.Column:
    return _col(str, "form number (`I-131`, `N-400`)" + more, nullable=True)


def _period(*, nullable: bool = False, empty_when: str = "") -> pa.Column:
    return _col(str, "the period the figure covers" + (f"; empty {empty_when}" if empty_when
                                                       else ""),
                nullable=nullable, checks=pa.Check.str_matches(PERIOD_PATTERN), allowed=PERIODS)


def _period_bounds() -> dict[str, pa.Column]:
    return {"period_start": _col("datetime64[ns]", "first day of the period covered",
                                 unit="date"),
            "period_end": _col("datetime64[ns]", "last day of the period covered", unit="date")}


def _note(about: str = "figure") -> pa.Column:
    return _opt_text(f"the publisher's or compiler's caveat for this {about}")


def _period_in_order() -> pa.Check:
    return pa.Check(lambda df: df["period_start"] <= df["period_end"],
                    error="period_start after period_end")


def _geo_in_form() -> pa.Check:
    return pa.Check(_geo_code_matches_level,
                    error="geo_code does not fit geo_level (US, USPS code, 5-digit FIPS)")

COUNTS = pa.DataFrameSchema(
    {
        "source": _source(),
        "form": _form(" as published, without footnote digits; empty where no form applies "
                      "(HHS ORR, DHS OHSS)"),
        "category": _slug("what is counted, as a stable slug across the publisher's renamings "
                          "(`humanitarian-parole`, `parole-in-place`, `advance-parole`, "
                          "`initial-parole-outside-us`, `uc-released-to-sponsors`, "
                          "`chnv-parole`, `chnv-parole-cuba`, ...)", allowed=SLUG_TEXT),
        "measure": _slug("what happened to what is counted: `received`, `approved`, `denied`, "
                         "`completed`, `pending`, `released`, `paroled`, ...", allowed=SLUG_TEXT),
        **_geo(),
        "period": _period(),
        **_period_bounds(),
        "fiscal_year": _col("int64", "US federal fiscal year the period falls in (FY2023 runs "
                                     "from 1 October 2022 to 30 September 2023)",
                            checks=pa.Check.in_range(1990, 2100), unit="fiscal year",
                            allowed="1990 to 2100"),
        "value": _col(float, "the published number; empty when the publisher gave none (see "
                             "status)", nullable=True,
                      checks=pa.Check.in_range(0, MAX_COUNT),
                      unit="count of what the category and measure name (applications, "
                           "petitions, children, persons); a few USCIS counts are fractional "
                           "as published", allowed=f"0 to {MAX_COUNT:,.0f}"),
        "status": _status(),
        **_provenance(),
        "note": _opt_text("the publisher's or compiler's caveat for this figure (part year, "
                          "flagged figure, rounding, renamed row)"),
        "origin": _col(str, "how the number reached the table: read by machine from the "
                            "publisher's own file, or transcribed by hand into the bundled "
                            "compilation (`data/raw/published`); where both give the same "
                            "figure, ingestion keeps the machine-read one",
                       checks=pa.Check.isin(tuple(ORIGINS)), allowed=ORIGINS),
    },
    checks=[
        _period_in_order(),
        _geo_in_form(),
        pa.Check(lambda df: _value_matches_status(df, "value"),
                 error="value must be a number exactly when status is "
                       + "/".join(VALUED_STATUSES) + " (and 0 when status is zero)"),
    ],
    unique=["source_file", "source", "form", "category", "measure", "geo_level", "geo_code",
            "period"],
    strict=True,
    coerce=True,
    name="counts",
    description="one row per published number",
)

PROCESSING_TIMES = pa.DataFrameSchema(
    {
        "source": _source(),
        "form": _form(),
        "subtype": _col(str, "form subtype or category as published (`141B-OTH`, "
                             "`humanitarian-parole`)", nullable=True),
        **_geo(),
        "as_of": _col("datetime64[ns]", "date the figure was published (page captures); empty "
                                        "for period figures", nullable=True, unit="date"),
        "period": _period(nullable=True, empty_when="for page captures"),
        "statistic": _slug("which statistic the publisher gives, never assumed: `median` "
                           "(quarterly report), `p80` (80% of cases completed within), "
                           "`average` (monthly Report to Congress), the two published "
                           "percentiles of the 2018 ranges, `second-value` (undocumented), ...",
                           allowed=SLUG_TEXT),
        "months": _col(float, "the time; empty when the publisher gave none (see status)",
                       nullable=True, checks=pa.Check.in_range(0, MAX_MONTHS),
                       unit="months", allowed=f"0 to {MAX_MONTHS:g}"),
        "status": _status(),
        **_provenance(),
        "note": _note(),
    },
    checks=[
        pa.Check(lambda df: df["as_of"].notna() | df["period"].notna(),
                 error="each row needs as_of or period"),
        _geo_in_form(),
        pa.Check(lambda df: _value_matches_status(df, "months"),
                 error="months must be a number exactly when status is "
                       + "/".join(VALUED_STATUSES)),
    ],
    strict=True,
    coerce=True,
    name="processing_times",
    description="one row per published processing-time statistic",
)

CASES = pa.DataFrameSchema(
    {
        "case_id": _text("the record's identifier (receipt number, case number)"),
        "source": _slug("source id (`case-records`, or `synthetic` for generated records)",
                        allowed=SLUG_TEXT),
        "form": _form(),
        "category": _col(str, "program or category as recorded", nullable=True),
        "basis": _col(str, "parole basis as recorded (`medical`, `family-reunification`, ...)",
                      nullable=True),
        "received_date": _col("datetime64[ns]", "date the application was received",
                              unit="date"),
        "decided_date": _col("datetime64[ns]", "date of the decision; empty while pending",
                             nullable=True, unit="date"),
        "outcome": _col(str, "the decision, or pending", checks=pa.Check.isin(OUTCOMES),
                        allowed=OUTCOME_MEANINGS),
        "age_years": _col(float, "applicant's age", nullable=True,
                          checks=pa.Check.in_range(0, 120), unit="years",
                          allowed="0 to 120"),
        "state": _col(str, "state of residence, USPS code", nullable=True,
                      checks=pa.Check.str_matches(r"^[A-Z]{2}$")),
        "county_fips": _col(str, "county of residence, 5-digit FIPS code", nullable=True,
                            checks=pa.Check.str_matches(r"^\d{5}$")),
        "office": _col(str, "USCIS office that decided the case (code or name)", nullable=True),
        "person_id": _opt(str, "the person's identifier when the file gives one (a person "
                               "may have several cases or detention stays)"),
        "facility_code": _opt(str, "place of detention, the agency's code (where the person "
                                   "was held; not residence)"),
        "facility": _opt(str, "place of detention, its name (not residence)"),
        "facility_state": _opt(str, "state of the place of detention, USPS code (not "
                                    "residence)", checks=pa.Check.str_matches(r"^[A-Z]{2}$")),
        "area_of_responsibility": _opt(str, "ICE area of responsibility (field office "
                                            "region) at book-in: an enforcement region, not "
                                            "residence"),
        "birth_year": _opt(float, "year of birth as recorded", unit="year"),
        "gender": _opt(str, "gender as recorded"),
        "citizenship": _opt(str, "country of citizenship as recorded"),
        "synthetic": _col(bool, "true for generated records (tests and tutorials only, "
                                "labelled SYNTHETIC wherever shown)"),
        **_provenance(locator_required=False),
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
    description="case-level records (FOIA extracts, case logs, synthetic data)",
)

PUBLISHED_FIGURES = pa.DataFrameSchema(
    {
        "figure_id": _col(str, "stable identifier of the figure",
                          checks=pa.Check.str_matches(SLUG), unique=True, allowed=SLUG_TEXT),
        "measure": _text("what the figure measures (`adjudicated`, `granted_share`, ...)"),
        "value": _col(float, "the figure as published", unit="given in the unit column",
                      checks=pa.Check(lambda v: v.abs() < float("inf"),
                                      error="a finite number"),
                      allowed="a finite number"),
        "unit": _text("the figure's unit (`requests`, `share of adjudicated`, `years`, ...)"),
        **_period_bounds(),
        "geography": _text("the place covered (`US`, ...)"),
        "population": _text("who is counted"),
        "publisher": _text("who published the figure (GAO, CRS, TRAC, a newspaper)"),
        "published": _col(str, "publication date", nullable=True, unit="date (YYYY-MM-DD)"),
        "note": _note(),
        **_provenance(),
    },
    checks=[_period_in_order()],
    strict=True,
    coerce=True,
    name="published_figures",
    description="single published figures (GAO, CRS, TRAC, reporting) with citations",
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
