"""The regional report: what public data says about one state or named region.

No public dataset reports parole by state, county or region. The regional data that exists
near the topic is HHS ORR's count of unaccompanied children released to sponsors (a different
population: children in ORR care, not parolees). This module assembles that series for a
state or region, its share of the national total with intervals, its trend, and its counties,
always saying which population it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import config, geo, shares, storage, tables, trends
from .errors import ParoleError

ORR_CATEGORY = "uc-released-to-sponsors"
POPULATION_NOTE = (
    "These are HHS Office of Refugee Resettlement releases of unaccompanied children to "
    "sponsors: a different population from parolees. No public dataset reports parole by "
    "state, county or region.")


@dataclass(frozen=True)
class Parameters:
    geo: str
    label: str
    level: str  # "state" or "county": what the members are
    members: tuple[str, ...]
    citation: str
    fy_start: int
    fy_end: int
    data_dir: Path


def resolve(place: str) -> tuple[str, str, tuple[str, ...], str]:
    """A state (name or code) or a named region: (label, level, members, definition)."""
    try:
        code = geo.state_code(place)
    except geo.GeographyError as state_error:
        try:
            region = geo.region(place)
        except geo.GeographyError as region_error:
            raise ValueError(f"geo={place!r} is neither a state ({state_error}) nor a named "
                             f"region ({region_error})") from None
        return region.name, region.level, tuple(region.members), region.citation
    return f"{geo.state_name(code)} ({code})", "state", (code,), "a single state"


def check_parameters(geo_name, fy_start, fy_end, data_dir="") -> Parameters:
    """Validate the regional report's parameters, including that data exists for them."""
    if not isinstance(geo_name, str) or not geo_name.strip():
        raise ValueError(f"geo must be a state code, state name or region name, not {geo_name!r}")
    for name, value in (("fy_start", fy_start), ("fy_end", fy_end)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            raise ValueError(f"{name} must be a fiscal year such as 2019, not {value!r}")
    if fy_start > fy_end:
        raise ValueError(f"fy_start ({fy_start}) is after fy_end ({fy_end})")
    label, level, members, citation = resolve(geo_name)
    folder = Path(data_dir) if data_dir else config.default_data_dir()
    params = Parameters(geo_name, label, level, members, citation, fy_start, fy_end, folder)
    rows = member_rows(load(params), params)
    if rows.empty and level == "county":
        raise ValueError(
            f"no data for {label}: regional counts by county exist only for FY2021 (part year, "
            f"HHS ORR publishes only counties with 50 or more releases), and none of this "
            f"region's {len(members)} counties is listed; use a state-level region or a state")
    if rows.empty:
        available = load(params, all_years=True)
        years = sorted(available[available["category"] == ORR_CATEGORY]["fiscal_year"].unique())
        span = f"FY{years[0]} to FY{years[-1]}" if years else "no years"
        raise ValueError(f"no data for {label} in FY{fy_start} to FY{fy_end} "
                         f"(regional data available: {span})")
    return params


def load(params: Parameters, *, all_years: bool = False) -> pd.DataFrame:
    try:
        counts = storage.read_table("counts", params.data_dir)
    except ParoleError as exc:
        raise ValueError(str(exc)) from None
    if not all_years:
        counts = counts[counts["fiscal_year"].between(params.fy_start, params.fy_end)]
    return counts[(counts["category"] == ORR_CATEGORY) & (counts["measure"] == "released")
                  & counts["period"].str.fullmatch(r"FY\d{4}")]


def member_rows(counts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    return counts[(counts["geo_level"] == params.level) & counts["geo_code"].isin(params.members)]


def yearly(counts: pd.DataFrame, params: Parameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per fiscal year: the place's releases, the national total, its share with a Wilson
    interval, and notes (part-year figures, reconciliation gaps). Returns (table, rows used)."""
    if params.level == "county":
        used = member_rows(counts, params)
        table = (used.groupby("period", as_index=False)
                 .agg(value=("value", "sum"), notes=("note", _join)))
        table["national_total"] = float("nan")
        return table.assign(estimate=float("nan"), lower=float("nan"), upper=float("nan")), used
    states = counts[counts["geo_level"] == "state"]
    totals = counts[counts["geo_level"] == "nation"].set_index("period")["value"]
    records, used = [], [states[states["geo_code"].isin(params.members)]]
    for period, part in states.groupby("period", sort=True):
        group = part["geo_code"].isin(params.members).map({True: "place", False: "rest"})
        result = shares.shares_from_counts(part.assign(place=group), by="place")
        mine = result[result["group"] == "place"]
        if mine.empty:
            continue
        row = mine.iloc[0]
        national = totals.get(period, float("nan"))
        notes = _join(part[part["geo_code"].isin(params.members)]["note"])
        if pd.notna(national) and national != row["denominator"]:
            notes = "; ".join(filter(None, [notes, (
                f"published national total {national:,.0f} differs from the sum of states "
                f"{row['denominator']:,.0f}; share is of the sum of states")]))
            used.append(counts[(counts["geo_level"] == "nation") & (counts["period"] == period)])
        records.append({"period": period, "value": row["numerator"],
                        "states_total": row["denominator"], "national_total": national,
                        "estimate": row["estimate"], "lower": row["lower"],
                        "upper": row["upper"], "method": row["method"], "notes": notes})
    return pd.DataFrame.from_records(records), pd.concat(used, ignore_index=True)


def trend(table: pd.DataFrame, label: str) -> tuple[pd.Series | None, str]:
    """Percent change per year over full fiscal years (part-year figures left out)."""
    full = table[~table["notes"].fillna("").str.contains("partial year")]
    left_out = sorted(set(table["period"]) - set(full["period"]))
    if len(full) < 3:
        return None, f"Too few full fiscal years ({len(full)}) to estimate a trend."
    result = trends.trend(full.assign(group=label, status="reported")[
        ["group", "period", "value", "status"]], value="value").iloc[0]
    if result["status"] != "estimated":
        return result, f"No trend estimated: {result['reason']}."
    text = (f"{label}: {result['pct_change_per_year']:+.1f}% per year "
            f"(95% interval {result['lower']:+.1f}% to {result['upper']:+.1f}%), "
            f"{result['first_period']} to {result['last_period']}, "
            f"{result['family']} regression: **{result['direction']}**.")
    if left_out:
        text += f" Left out as part-year: {', '.join(left_out)}."
    return result, text


def counties(counts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    rows = counts[counts["geo_level"] == "county"]
    if params.level == "county":
        return rows[rows["geo_code"].isin(params.members)]
    prefixes = tuple(geo.state_fips(code) for code in params.members)
    return rows[rows["geo_code"].str.startswith(prefixes)]


def _join(values) -> str:
    return "; ".join(sorted({v for v in values if isinstance(v, str) and v}))


def finding(table: pd.DataFrame, label: str) -> str:
    """Title stating the latest full-year figure and the peak, from the table itself."""
    full = table[~table["notes"].fillna("").str.contains("partial year")]
    use = full if not full.empty else table
    peak = use.loc[use["value"].idxmax()]
    last = use.iloc[-1]
    return (f"{label}: {last['value']:,.0f} children released to sponsors in {last['period']}, "
            f"against a peak of {peak['value']:,.0f} in {peak['period']}")


def share_finding(table: pd.DataFrame, label: str) -> str:
    low, high = table["estimate"].min(), table["estimate"].max()
    return (f"{label} received between {low:.1%} and {high:.1%} of the children released to "
            f"sponsors each year, {table['period'].iloc[0]} to {table['period'].iloc[-1]}")


def display_table(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    columns = {"period": "Fiscal year", "value": "Released to sponsors"}
    if "states_total" in table.columns:
        columns |= {"states_total": "All states", "estimate": "Share",
                    "lower": "95% interval, low", "upper": "95% interval, high"}
    columns["notes"] = "Notes"
    return tables.to_html(table, rows, columns=columns, formats={
        "value": tables.count, "states_total": tables.count, "estimate": tables.percent,
        "lower": tables.percent, "upper": tables.percent})


def county_table(rows: pd.DataFrame) -> str:
    ordered = rows.sort_values(["period", "value"], ascending=[True, False])
    return tables.to_html(ordered, ordered, columns={
        "period": "Fiscal year", "geo_name": "County", "geo_code": "FIPS",
        "value": "Released to sponsors", "note": "Notes"}, formats={"value": tables.count})
