"""The regional report: what public data says about one state or named region.

No public dataset reports parole by state, county or region. The regional data that exists
near the topic is HHS ORR's count of unaccompanied children released to sponsors (a different
population: children in ORR care, not parolees). This module assembles that series for a
state or region, its share of the national total with intervals, its trend, and its counties,
always saying which population it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from analysis import config
from analysis.contract import geo, periods, store
from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.stats import shares, trends
from analysis.viz import formatting, tables

ORR_CATEGORY = "uc-released-to-sponsors"
POPULATION_NOTE = (
    "These are HHS Office of Refugee Resettlement releases of unaccompanied children to "
    "sponsors: a different population from parolees. No public dataset reports parole by "
    "state, county or region.")


class Parameters(BaseModel):
    """The report's parameters once checked (built only by :func:`check_parameters`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    geo: str
    label: str
    level: str  # "state" or "county": what the members are
    members: tuple[str, ...]
    citation: str
    fy_start: int
    fy_end: int
    data_dir: Path


def validate_parameters(p: dict) -> Parameters:
    """The notebook's parameter values, checked before a kernel starts (found by name by
    :mod:`analysis.reports.render`)."""
    return check_parameters(p["geo"], p["fy_start"], p["fy_end"], p.get("data_dir", ""))


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
        return region.title or region.name, region.level, tuple(region.members), \
            region.citation
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
    params = Parameters(geo=geo_name, label=label, level=level, members=members,
                        citation=citation, fy_start=fy_start, fy_end=fy_end, data_dir=folder)
    if level == "county":
        # a county region always renders: its coverage (counties listed, counties below the
        # publisher's threshold, or no county figures at all) is the report's content
        return params
    rows = member_rows(load(params), params)
    if rows.empty:
        available = load(params, all_years=True)
        years = sorted(available[available["category"] == ORR_CATEGORY]["fiscal_year"].unique())
        span = f"FY{years[0]} to FY{years[-1]}" if years else "no years"
        raise ValueError(f"no data for {label} in FY{fy_start} to FY{fy_end} "
                         f"(regional data available: {span})")
    return params


def load(params: Parameters, *, all_years: bool = False) -> pd.DataFrame:
    try:
        counts = store.read_table_once("counts", params.data_dir)
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
        return county_yearly(counts, params)
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


def part_year(table: pd.DataFrame) -> pd.Series:
    """True for the rows of a yearly table whose figure covers only part of the year."""
    return pd.Series([formatting.part_year(p, n) for p, n in
                      zip(table["period"], table["notes"], strict=True)], index=table.index,
                     dtype=bool)


def trend(table: pd.DataFrame, label: str) -> tuple[trends.Shape | None, str]:
    """The shape of the full fiscal years (part-year figures left out) by the one trend rule
    (:func:`analysis.stats.trends.shape`): a sentence a reader can repeat, then how it was
    worked out (a footnote-style paragraph)."""
    if table.empty:
        return None, "No yearly figures: no trend."
    partial = part_year(table)
    full = table[~partial & table["value"].notna()]
    left_out = sorted(table.loc[partial, "period"])
    found = trends.shape(full["period"].tolist(), full["value"].tolist())
    if found.status != "described":
        return found, (f"Too few full fiscal years ({len(full)}) to describe a trend"
                       + (f"; part-year {', '.join(left_out)} left out" if left_out else "")
                       + ".")
    sentence = formatting.shape_sentence("Children released to sponsors", found, label)
    part = (f" Part-year {', '.join(left_out)} left out (covering only some months)."
            if left_out else "")
    return found, f"**{sentence}.**{part}\n\n<small>{formatting.shape_method(found)}</small>"


def key_findings(table: pd.DataFrame, params: Parameters) -> list[str]:
    """The report's opening box, from the same yearly table as the chart and the text: the
    trend rule's sentence, the latest full year, and what the series is not."""
    if table.empty:
        return [f"No published figures for {params.label} in these years."]
    not_parole = ("These are HHS ORR releases of unaccompanied children to sponsors, not "
                  "parole: no agency publishes parole figures by place.")
    if params.level == "county":
        last = table.iloc[-1]
        period = formatting.period(last["period"], "part" in str(last["notes"]))
        bound = (f"; at most {formatting.count(last['upper_bound'])}"
                 if pd.notna(last["upper_bound"]) else "")
        if pd.isna(last["value"]):
            text = (f"{period}: none of the {len(params.members)} counties is listed by HHS "
                    f"ORR, so the region's figure is not published{bound}.")
        else:
            text = (f"{period}: {formatting.count(last['value'])} children released to "
                    f"sponsors in the {last['counties_listed']} counties listed{bound}.")
        return [text, not_parole]
    found, _ = trend(table, params.label)
    items = []
    if found is not None and found.status == "described":
        items.append(formatting.shape_sentence("Children released to sponsors", found,
                                               params.label) + ".")
    full = table[~part_year(table)].dropna(subset=["value"])
    if not full.empty:
        last = full.iloc[-1]
        items.append(f"{last['period']} (latest full year): {formatting.count(last['value'])} "
                     f"children released to sponsors in {params.label}, "
                     f"{formatting.share_words(last['estimate'])} of the states' total.")
    return [*items, not_parole]


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
    partial = part_year(table)
    full = table[~partial]
    use = full if not full.empty else table
    peak = use.loc[use["value"].idxmax()]
    last = use.iloc[-1]
    text = (f"{label}: {formatting.count(last['value'])} children released to sponsors in "
            f"{formatting.period(last['period'], bool(partial[last.name]))}")
    if peak["period"] != last["period"]:
        text += f", against a peak of {formatting.count(peak['value'])} in {peak['period']}"
    return text


def share_finding(table: pd.DataFrame, label: str) -> str:
    """Title: the range of the place's share over the full fiscal years shown (a part-year
    share is drawn, but not counted in the range: it covers only some months)."""
    present = table.dropna(subset=["estimate"])
    if present.empty:
        return f"{label}: no share of the national total can be computed"
    partial = part_year(present)
    full = present[~partial]
    if full.empty:
        return (f"{label} received {formatting.share_words(present['estimate'].iloc[-1])} of the "
                "children released to sponsors in "
                f"{formatting.period(present['period'].iloc[-1], True)}")
    low, high = full["estimate"].min(), full["estimate"].max()
    first, last = full["period"].iloc[0], full["period"].iloc[-1]
    span = f"in {first}" if first == last else f"each full year, {first} to {last}"
    return (f"{label} received between {formatting.share_range_words(low, high)} of the "
            f"children released to sponsors {span}") if first != last else (
        f"{label} received {formatting.share_words(low)} of the children released to sponsors "
        f"{span}")


def display_columns(table: pd.DataFrame) -> dict[str, str]:
    """Headings of the yearly table's columns (state places and county regions differ)."""
    columns = {"period": "Fiscal year"}
    if "counties_listed" in table.columns:
        columns |= {"value": "Released to sponsors in the counties listed",
                    "counties_listed": "Counties listed", "upper_bound": "Region total at most"}
    else:
        # all releases are counted (not a sample): the share has no interval
        columns |= {"value": "Released to sponsors", "states_total": "All states",
                    "estimate": "Share of all states"}
    columns["notes"] = "Notes"
    return columns


DISPLAY_FORMATS = {"value": tables.count_or_unpublished, "states_total": tables.count,
                   "upper_bound": tables.count, "estimate": tables.percent,
                   "lower": tables.percent, "upper": tables.percent}


def display_table(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    return tables.to_html(table, rows, columns=display_columns(table), formats=DISPLAY_FORMATS)


COUNTY_COLUMNS = {"period": "Fiscal year", "geo_name": "County", "geo_code": "FIPS",
                  "value": "Released to sponsors", "note": "Notes"}


def county_table(rows: pd.DataFrame) -> str:
    ordered = rows.sort_values(["period", "value"], ascending=[True, False])
    return tables.to_html(ordered, ordered, columns=COUNTY_COLUMNS,
                          formats={"value": tables.count})


# ---------------------------------------------------------------- county-defined regions


@dataclass(frozen=True)
class Coverage:
    """Which member counties of a county region have a published figure in a year."""

    period: str
    listed: pd.DataFrame  # the member counties' published rows
    unlisted: tuple[tuple[str, str], ...]  # (FIPS, name) of members with no figure
    threshold: int | None  # the publisher's listing threshold ("50 or more"), when stated
    partial: bool
    #: per state of an unlisted member: the most its unlisted counties can hold, from the
    #: published state total less every listed county of that state (None: no state total)
    room: tuple[float | None, ...] = ()
    #: per state, in the order of ``room``: how many unlisted members it has
    unlisted_per_state: tuple[int, ...] = ()

    @property
    def total_listed(self) -> float:
        return float(self.listed["value"].sum())

    def _cap(self, room: float | None, n: int) -> float | None:
        by_threshold = None if self.threshold is None else (self.threshold - 1) * n
        known = [v for v in (by_threshold, room) if v is not None]
        return min(known) if known else None

    @property
    def upper_bound(self) -> float | None:
        """The region's total is at most this: the listed counties plus, for the unlisted
        ones of each state, the smaller of one less than the threshold each (the publisher
        lists every county at or above it) and what the published state total leaves after
        every listed county of that state. None when neither is known."""
        if not self.unlisted:
            return self.total_listed
        caps = [self._cap(r, n) for r, n in zip(self.room, self.unlisted_per_state,
                                                strict=True)]
        if not caps or any(c is None for c in caps):
            return None
        return self.total_listed + float(sum(caps))


def _threshold(notes) -> int | None:
    for note in notes:
        found = re.search(r"(\d[\d,]*) or more", formatting.text(note))
        if found:
            return int(found.group(1).replace(",", ""))
    return None


def _state_room(year: pd.DataFrame, states: pd.DataFrame, unlisted: tuple,
                ) -> tuple[tuple[float | None, ...], tuple[int, ...]]:
    """For each state holding an unlisted member: its published total less all its listed
    counties (None without a total), and how many unlisted members it holds."""
    per_state: dict[str, int] = {}
    for fips, _ in unlisted:
        code = geo.county_state(fips)
        per_state[code] = per_state.get(code, 0) + 1
    room = []
    valued = year[year["status"].isin(VALUED_STATUSES)]
    for code in per_state:
        total = states[(states["geo_code"] == code) & states["status"].isin(VALUED_STATUSES)]
        listed = valued[valued["geo_code"].str.startswith(geo.state_fips(code))]
        room.append(float(total["value"].iloc[0] - listed["value"].sum())
                    if len(total) == 1 else None)
    return tuple(room), tuple(per_state.values())


def county_coverage(counts: pd.DataFrame, params: Parameters) -> list[Coverage]:
    """Per year with county figures (in ``counts``, any state): the member counties listed
    and those not listed (below the publisher's threshold), with what the state totals
    leave for them. Empty when the publisher has no county table for the years of
    ``counts``."""
    county = counts[counts["geo_level"] == "county"]
    states = counts[counts["geo_level"] == "state"]
    names = dict(zip(params.members, (geo.county_name(m) for m in params.members),
                     strict=True))
    out = []
    for period, year in county.groupby("period", sort=True):
        mine = year[year["geo_code"].isin(params.members)]
        mine = mine[mine["status"].isin(VALUED_STATUSES)]
        unlisted = tuple((m, names[m]) for m in params.members
                         if m not in set(mine["geo_code"]))
        room, per_state = _state_room(year, states[states["period"] == period], unlisted)
        out.append(Coverage(str(period), mine.sort_values("value", ascending=False),
                            unlisted, _threshold(year["note"].dropna().unique()),
                            any(formatting.part_year(period, n) for n in year["note"]),
                            room, per_state))
    return out


def county_yearly(counts: pd.DataFrame, params: Parameters) -> tuple[pd.DataFrame,
                                                                     pd.DataFrame]:
    """Per year with county figures: the sum over the member counties listed ("not
    published" when none is listed: never 0), how many are listed, and the most the
    region's total can be. Returns (table, rows used)."""
    records, used = [], []
    for cov in county_coverage(counts, params):
        n = len(params.members)
        notes = _join(cov.listed["note"]) or (
            "partial year" if cov.partial else "")
        records.append({
            "period": cov.period,
            "value": cov.total_listed if len(cov.listed) else float("nan"),
            "status": "reported" if len(cov.listed) else "not published",
            "counties_listed": f"{len(cov.listed)} of {n}",
            "upper_bound": cov.upper_bound, "notes": notes})
        # the table is built from the publisher's county table of the year (which counties
        # it lists, and which it does not) and the state totals that bound the rest
        states = _states_of_codes(params)
        year = counts[counts["period"] == cov.period]
        prefixes = tuple(geo.state_fips(c) for c in states)
        used.append(year[((year["geo_level"] == "county")
                          & year["geo_code"].str.startswith(prefixes))
                         | ((year["geo_level"] == "state") & year["geo_code"].isin(states))])
    table = pd.DataFrame.from_records(records, columns=[
        "period", "value", "status", "counties_listed", "upper_bound", "notes"])
    rows = pd.concat(used, ignore_index=True) if used else counts.iloc[0:0]
    return table, rows


def _states_of_codes(params: Parameters) -> set[str]:
    return {geo.county_state(m) for m in params.members}


def years_text(rows: pd.DataFrame) -> str:
    """The fiscal years of ``rows`` in words, part years marked, from the data:
    "FY2015 to FY2025; FY2021 and FY2025 part years", "FY2021, part year"."""
    if rows.empty:
        return "no years"
    spans = sorted({str(p) for p in rows["period"]}, key=lambda p: periods.parse(p).start)
    partial = sorted(formatting.part_year_periods(rows) & set(spans),
                     key=lambda p: periods.parse(p).start)
    if len(spans) == 1:
        return spans[0] + (", part year" if partial else "")
    text = f"{spans[0]} to {spans[-1]}"
    if partial:
        listed = " and ".join([", ".join(partial[:-1]), partial[-1]] if len(partial) > 1
                              else partial)
        text += f"; {listed} {'part years' if len(partial) > 1 else 'part year'}"
    return text


def _county_rule(rows: pd.DataFrame) -> str:
    threshold = _threshold(rows["note"].dropna().unique()) if "note" in rows else None
    return (f"only counties with {threshold} or more releases" if threshold else
            "only some counties")


def nearest_series_markdown(counts: pd.DataFrame) -> str:
    """The report's opening: no parole data by place, and the nearest regional series with
    the years it covers, read from ``counts`` (the ORR rows of every year)."""
    states = counts[counts["geo_level"] == "state"]
    county = counts[counts["geo_level"] == "county"]
    by_county = (f" and by county ({years_text(county)}, {_county_rule(county)})"
                 if not county.empty else " (no county figures)")
    return (
        "## No parole data exists for this place\n\n"
        "No agency publishes parole counts (humanitarian parole, parole in place, CHNV or any "
        "other program) by state, county or region, and none by medical or other basis. "
        "USCIS parole figures are national only: see the national overview report.\n\n"
        "The nearest regional series is **HHS Office of Refugee Resettlement (ORR) releases "
        "of unaccompanied children to sponsors**, by state and fiscal year "
        f"({years_text(states)}){by_county}. That is a **different population**: children "
        "who arrived without a parent or guardian and were released from ORR care to a "
        "sponsor. It is shown below because it is the only published regional count near "
        "the topic; do not read it as parole.")


def no_counties_markdown(counts: pd.DataFrame, params: Parameters) -> str:
    """Why a place has no county rows, with the years the publisher's county table covers
    (from ``counts``, the ORR rows of every year)."""
    county = counts[counts["geo_level"] == "county"]
    if county.empty:
        return f"No county figures are published for {params.label} (nor for any county)."
    return (f"No county figures are published for {params.label}: HHS ORR lists "
            f"{_county_rule(county)} ({years_text(county)}), and none of this place's "
            "counties is listed.")


def coverage_markdown(coverage: list[Coverage], params: Parameters,
                      available: pd.DataFrame | None = None) -> str:
    """What the county figures cover for this region, in words, with no gap left unsaid.
    ``available``: the ORR rows of every year, to name the years county figures exist."""
    n = len(params.members)
    if not coverage:
        county = (available[available["geo_level"] == "county"] if available is not None
                  else pd.DataFrame())
        years = (f"only for {years_text(county)}" if not county.empty else
                 "for no year in the data")
        return (f"**No county figures exist for {params.label} in fiscal years "
                f"{params.fy_start} to {params.fy_end}.** HHS ORR published releases by "
                f"county {years}; no figure for this region can be given "
                "for these years. The closest published data are the state figures of "
                f"{_states_of(params)}, shown in the state reports.")
    lines = []
    for cov in coverage:
        period = formatting.period(cov.period, cov.partial)
        rule = (f"HHS ORR lists only counties with {cov.threshold} or more releases"
                if cov.threshold else "HHS ORR lists only some counties")
        if cov.listed.empty:
            lines.append(
                f"**{period}: none of the {n} counties of {params.label} is listed.** {rule}, "
                f"so each had fewer than {cov.threshold or 'the threshold'} children released "
                "to sponsors (possibly none); the region's total is not published"
                + (f" and was at most {formatting.count(cov.upper_bound)}"
                   if cov.upper_bound is not None else "") + ".")
            continue
        listed = ", ".join(f"{r.geo_name} ({formatting.count(r.value)})"
                           for r in cov.listed.itertuples())
        verb = "has" if len(cov.listed) == 1 else "have"
        text = (f"**{period}: {len(cov.listed)} of the {n} counties {verb} a published figure**"
                f": {listed}; together {formatting.count(cov.total_listed)} children released "
                "to sponsors.")
        if cov.unlisted:
            below = ", ".join(name for _, name in cov.unlisted)
            text += (f" Not in the published list, so below the publisher's threshold ({rule}):"
                     f" {below}. The "
                     f"region's total is therefore at least "
                     f"{formatting.count(cov.total_listed)}"
                     + (f" and at most {formatting.count(cov.upper_bound)}"
                        if cov.upper_bound is not None else "") + ".")
        lines.append(text)
    return "\n\n".join(lines)


def _states_of(params: Parameters) -> str:
    codes = sorted({geo.county_state(m) for m in params.members})
    return ", ".join(f"{geo.state_name(c)} ({c})" for c in codes)
