"""Rates per resident: counts divided by the Census Bureau's resident population.

The population figures are bundled with the package (``analysis/data/census_state_population.csv``),
each row copied from a named Census Bureau table with its address and place in the table (see
:func:`population`). Today they cover the years whose tables could be transcribed exactly:

* 2019: Vintage 2019 estimates, July 1, 2019 (table NST-EST2019-01);
* 2020: the 2020 Census count, April 1, 2020 (apportionment results, table 2).

Other years are not bundled: :func:`per_capita` leaves their rate empty and says why rather
than borrowing another year's population (``nearest=True`` borrows the closest year, and says
which it used). A fiscal year is matched to the population of the calendar year it ends in
(FY2019, October 2018 to September 2019, to July 1, 2019).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from analysis.errors import ParoleError

POPULATION_FILE = "data/census_state_population.csv"


def population(years=None) -> pd.DataFrame:
    """The bundled resident population by state (and the nation) and year, with citations.

    Columns: ``geo_level, geo_code, geo_name, year, reference_date, population, estimate,
    table_id, table_title, publisher, source_url, locator, note``.

    >>> pop = population([2019])
    >>> int(pop.set_index("geo_code").loc["CA", "population"])
    39512223
    >>> sorted(population()["year"].unique().tolist())
    [2019, 2020]
    """
    with resources.files("analysis").joinpath(POPULATION_FILE).open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype={"geo_code": str, "year": int, "population": "int64"})
    if years is not None:
        table = table[table["year"].isin(list(years))]
    return table.reset_index(drop=True)


def _year_of(frame: pd.DataFrame) -> pd.Series:
    if "fiscal_year" in frame.columns:
        return frame["fiscal_year"].astype(int)
    found = frame["period"].astype(str).str.extract(r"(\d{4})")[0]
    if found.isna().any():
        raise ParoleError("per_capita needs a fiscal_year column or periods naming a year")
    return found.astype(int)


def _nearest(years: pd.Series, available: list[int]) -> pd.Series:
    return years.map(lambda y: min(available, key=lambda a: (abs(a - y), -a)))


def per_capita(counts: pd.DataFrame, *, per: float = 100_000, nearest: bool = False,
               pop: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts per ``per`` residents, state by state (and for the nation), year by year.

    ``counts`` are rows of the counts table at ``geo_level`` ``state`` or ``nation`` (one
    category and measure). Each row is divided by the resident population of its place in the
    calendar year its fiscal year ends in. Columns: ``geo_level, geo_code, period, numerator``
    (the count), ``denominator`` (the population), ``value`` (the rate per ``per``),
    ``per``, ``population_year``, ``population_source`` (table, address and place in it),
    ``status`` and ``reason`` (why a rate is missing). ``pop`` replaces the bundled
    population table (same columns as :func:`population`).

    >>> rows = pd.DataFrame({"geo_level": "state", "geo_code": ["CA", "CA"],
    ...                      "period": ["FY2019", "FY2022"], "fiscal_year": [2019, 2022],
    ...                      "value": [39512.223, 1.0]})
    >>> out = per_capita(rows)
    >>> out[["period", "value", "population_year", "status"]]
       period  value  population_year         status
    0  FY2019  100.0           2019.0      estimated
    1  FY2022    NaN              NaN  not_estimable
    """
    pop = population() if pop is None else pop
    for col in ("geo_level", "geo_code", "value"):
        if col not in counts.columns:
            raise ParoleError(f"per_capita needs a {col!r} column")
    out = counts.copy()
    out["year"] = _year_of(out)
    wanted = out["year"]
    if nearest:
        wanted = _nearest(out["year"], sorted(pop["year"].unique().tolist()))
    out["population_year"] = wanted
    cited = pop.assign(population_source=pop["table_title"] + ", " + pop["publisher"] + ", "
                       + pop["source_url"] + " (" + pop["locator"] + ")")
    merged = out.merge(cited[["geo_level", "geo_code", "year", "population",
                              "population_source"]].rename(columns={"year": "population_year"}),
                       on=["geo_level", "geo_code", "population_year"], how="left")
    return _rate_columns(merged, per)


def _rate_columns(merged: pd.DataFrame, per: float) -> pd.DataFrame:
    has = merged["population"].notna() & merged["value"].notna()
    result = pd.DataFrame({
        "geo_level": merged["geo_level"], "geo_code": merged["geo_code"],
        "period": merged["period"] if "period" in merged.columns else merged["year"].astype(str),
        "numerator": merged["value"].astype(float),
        "denominator": merged["population"].astype(float),
        "value": (merged["value"] / merged["population"] * per).where(has),
        "per": per,
        "population_year": merged["population_year"].where(merged["population"].notna()),
        "population_source": merged["population_source"].fillna(""),
        "status": has.map({True: "estimated", False: "not_estimable"}),
    })
    result["reason"] = None
    result.loc[merged["population"].isna(), "reason"] = (
        "no bundled Census population for " + merged["geo_code"].astype(str) + " in "
        + merged["year"].astype(str) + " (bundled years: see analysis.stats.rates.population)")
    result.loc[merged["population"].notna() & merged["value"].isna(), "reason"] = \
        "the count has no value"
    borrowed = merged["population"].notna() & (merged["population_year"] != merged["year"])
    result["note"] = None
    result.loc[borrowed, "note"] = ("population of " + merged["population_year"].astype(str)
                                    + " used for " + merged["year"].astype(str)
                                    + " (nearest bundled year)")
    for col in ("category", "measure", "citation", "source_file", "source_locator"):
        if col in merged.columns:
            result[col] = merged[col]
    return result.reset_index(drop=True)
