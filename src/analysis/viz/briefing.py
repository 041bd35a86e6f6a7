"""Briefing charts made from the processed tables by name: the chart kinds of ``parole chart``.

Each kind is a function with plain keyword arguments that picks the rows, computes the
finding for the title, and draws the chart in the house style (:mod:`analysis.viz.charts`)::

    from analysis.viz import briefing
    fig = briefing.trend(series="humanitarian-parole", measure="received")
    fig = briefing.bar(category="uc-released-to-sponsors", measure="released", period="FY2019")

``counts`` (the ``counts`` table) is read from ``data_dir`` when not given. :data:`KINDS` maps
each kind's name to its function; the command ``parole chart KIND`` only parses its options and
calls it (:mod:`analysis.cli.chart`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.viz import formatting
from analysis.viz.charts import (
    attach_data,
    bar_intervals,
    fmt,
    km_curves,
    medians_from,
    stacked_outcomes,
    tile_map,
    trend_band,
)
from analysis.viz.csvdata import csv_frame


@dataclasses.dataclass(frozen=True)
class Options:
    """What a chart kind is asked for (the options of ``parole chart``, by name)."""

    counts: pd.DataFrame | None = None
    series: str | None = None
    category: str | None = None
    measure: str | None = None
    period: str | None = None
    freq: str = "quarter"
    geo_level: str = "state"
    geo: str | None = None
    top: int | None = 10
    method: str = "wilson"
    parts: str | None = None
    percent: bool = False
    log: bool = False
    by: str | None = None
    synthetic: bool = False
    seed: int = 1
    cases: int = 5000
    size: str = "slide"
    title: str | None = None
    subtitle: str | None = None
    data_dir: Path | str | None = None


#: the keyword arguments every chart kind takes (besides ``counts``)
OPTIONS = tuple(f.name for f in dataclasses.fields(Options) if f.name != "counts")

#: chart kind -> its function (see :func:`chart_kind`)
KINDS: dict[str, Callable] = {}


def chart_kind(name: str):
    """Register a chart kind: ``@chart_kind("bar")`` above a function of :class:`Options`
    returning a figure; the kind is then callable as ``KINDS[name](**options)`` and as the
    module-level function of that name."""
    def register(build):
        def kind(counts: pd.DataFrame | None = None, **options):
            unknown = set(options) - set(OPTIONS)
            if unknown:
                raise TypeError(f"{name}() got unexpected options: {', '.join(sorted(unknown))}")
            return build(Options(counts=counts, **options))
        kind.__name__ = kind.__qualname__ = name
        kind.__doc__ = build.__doc__
        KINDS[name] = kind
        return build
    return register


def _counts(opts: Options) -> pd.DataFrame:
    from analysis.contract import store

    return opts.counts if opts.counts is not None else store.read_table("counts",
                                                                        opts.data_dir)


SHARE_MEASURES = ("denial-share", "approval-share")
#: Plain-language names of counts categories used in computed titles (others: the slug).
CATEGORY_LABELS = {"uc-released-to-sponsors": "unaccompanied children released to sponsors"}
#: Axis titles of counts categories (series of applications: "Applications").
CATEGORY_UNITS = {"uc-released-to-sponsors": "Children released"}



def _counts_rows(opts: Options, kind: str) -> tuple[pd.DataFrame, str]:
    """Rows of the ``counts`` table picked by --series or --category, and their label."""
    from analysis.contract import series as series_defs
    counts = _counts(opts)
    if opts.series and opts.category:
        raise ParoleError("give --series or --category, not both")
    if opts.series:
        try:
            definition = series_defs.get(opts.series)
        except KeyError as exc:
            raise ParoleError(exc.args[0]) from None
        return series_defs.select(counts, opts.series), definition.label
    if not opts.category:
        raise ParoleError(f"{kind} needs --series or --category")
    rows = counts[counts["category"] == opts.category]
    if rows.empty:
        known = ", ".join(sorted(counts["category"].dropna().unique()))
        raise ParoleError(f"no rows of category {opts.category!r}; categories: {known}")
    label = CATEGORY_LABELS.get(opts.category, opts.category.replace("-", " "))
    return rows.assign(series=opts.category, series_note=""), label


def _place(rows: pd.DataFrame, opts: Options) -> str:
    """The place a --geo filter picked, by name, for the title ("" for the nation)."""
    if not opts.geo or rows.empty:
        return ""
    names = rows["geo_name"].dropna().astype(str) if "geo_name" in rows.columns else []
    return names.iloc[0] if len(names) else str(opts.geo)


def _subject(label: str, measure: str) -> str:
    """What a count chart counts, in words: "Received applications for humanitarian parole
    (I-131, outside the US)"; a label naming its measure is used as it is."""
    if measure in label:
        return label[:1].upper() + label[1:]
    return f"{measure.capitalize()} applications for {label[:1].lower() + label[1:]}"


def _series_note(rows: pd.DataFrame) -> str:
    """The assumption a named series relies on (e.g. the FY2026 renaming), when used here."""
    if "series_note" not in rows.columns:
        return ""
    notes = sorted({str(n) for n in rows["series_note"].dropna() if str(n)})
    return "; ".join(notes) + ("." if notes else "")


def _pick(rows: pd.DataFrame, column: str, value: str | None, option: str) -> pd.DataFrame:
    if value is None:
        return rows
    picked = rows[rows[column] == value]
    if picked.empty:
        known = ", ".join(sorted(rows[column].dropna().astype(str).unique())[:20])
        raise ParoleError(f"no rows with {option} {value!r}; available: {known or 'none'}")
    return picked


def _one_per_key(rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """One row per ``key``. Ingestion already keeps one copy of each figure (machine-read over
    transcribed, the latest release); rows that still share a key come from different
    publications: the same figure twice is drawn once, and figures that disagree are refused,
    naming their files, rather than one being chosen here."""
    dup = rows.duplicated(key, keep=False)
    if not dup.any():
        return rows
    for _, group in rows[dup].groupby(key, dropna=False):
        if group["value"].nunique(dropna=False) > 1:
            files = ", ".join(f"{f} ({v:,.0f})" for f, v in zip(group["source_file"],
                                                                  group["value"], strict=True))
            raise ParoleError(f"the figure for {', '.join(map(str, group[key].iloc[0]))} "
                              f"differs between publications: {files}; choose one with "
                              "--category or --geo-level")
    return rows.drop_duplicates(key)


def _periods_of_one_kind(rows: pd.DataFrame, freq: str) -> pd.DataFrame:
    pattern = r"^FY\d{4}-Q\d$" if freq == "quarter" else r"^FY\d{4}$"
    picked = rows[rows["period"].astype(str).str.match(pattern)]
    if picked.empty:
        raise ParoleError(f"no {'quarterly' if freq == 'quarter' else 'fiscal-year'} figures "
                          "for this selection; try --freq "
                          f"{'FY' if freq == 'quarter' else 'quarter'}")
    return picked.sort_values("period_start")


def _one_measure_and_period(opts: Options, kind: str, why: str) -> tuple[pd.DataFrame, str]:
    """The rows of ``--measure`` in ``--period`` (both required by ``kind``: ``why``)."""
    rows, label = _counts_rows(opts, kind)
    if not (opts.measure and opts.period):
        raise ParoleError(f"{kind} needs --measure and --period ({why})")
    rows = _pick(_pick(rows, "measure", opts.measure, "--measure"), "period", opts.period,
                 "--period")
    return rows, label


@chart_kind("bar")
def _bar(opts: Options):
    from analysis.stats import shares

    rows, label = _one_measure_and_period(opts, "bar", "shares of one total")
    places = _one_per_key(_pick(rows, "geo_level", opts.geo_level, "--geo-level"),
                          ["geo_code"])
    nation = _one_per_key(rows[rows["geo_level"] == "nation"], ["geo_code"])
    total = None
    if len(nation) == 1 and nation["status"].iloc[0] in VALUED_STATUSES:
        total = float(nation["value"].iloc[0])
    table = shares.shares_from_counts(places, by="geo_code", method=opts.method, total=total)
    names = dict(zip(places["geo_code"].astype(str), places["geo_name"].astype(str),
                     strict=True))
    table["name"] = table["group"].map(names).fillna(table["group"])
    key = table["estimate"].fillna(table["estimate_high"]).fillna(-1)
    table = table.assign(_k=key).sort_values("_k", ascending=False).drop(columns="_k")
    n_all = len(table)
    if opts.top:
        table = table.head(opts.top)
    shown_rows = places[places["geo_code"].isin(table["group"])]
    source_rows = pd.concat([shown_rows, nation]) if total is not None else shown_rows
    lead = table.iloc[0]
    denominator = (f"the published national total ({fmt(total)})"
                   if total is not None else f"the sum over the {n_all} places listed")
    what = label if opts.measure in label else f"{label} ({opts.measure})"
    method = table["method"].iloc[0].replace("-", " ").title().replace(" ", "-")
    period = formatting.period(opts.period, bool(formatting.part_year_periods(shown_rows)))
    title = opts.title or (
        f"{lead['name']} had the largest share of {what} in {period}: "
        f"{fmt(lead['estimate'], True)}" if not math.isnan(lead["estimate"]) else
        f"Shares of {what} in {period}")
    top = f"the {len(table)} largest of {n_all}" if len(table) < n_all else f"all {n_all}"
    subtitle = opts.subtitle or (
        f"Share of {denominator} of {what}, {opts.period}; {top} "
        f"{opts.geo_level} figures. Whiskers: 95% {method} interval")
    notes = sorted({str(n) for n in table["note"].dropna() if str(n)})
    fig = bar_intervals(table, label="name", title=title, subtitle=subtitle,
                        source=source_rows, xlabel=f"Share of {opts.measure}, {opts.period}",
                        size=opts.size, synthetic=opts.synthetic or None,
                        note="; ".join(notes))
    shown = table.drop(columns=["note"], errors="ignore").merge(
        places[["geo_code", "period", "value", "status", "source_file", "source_locator",
                "citation", "note"]], left_on="group", right_on="geo_code", how="left")
    attach_data(fig, csv_frame(shown, source_rows))
    return fig


@chart_kind("trend")
def _trend(opts: Options):
    """A series over time: counts with the shape the trend rule found drawn as dashed
    segments, or a share of decisions (``denial-share``, ``approval-share``)."""
    rows, label = _counts_rows(opts, "trend")
    rows = _pick(rows, "geo_level", "nation" if opts.geo_level == "state" and not opts.geo
                 else opts.geo_level, "--geo-level")
    rows = _pick(rows, "geo_code", opts.geo, "--geo")
    rows = _periods_of_one_kind(rows, opts.freq)
    measure = opts.measure or "received"
    if measure in SHARE_MEASURES:
        return _share_trend(opts, rows, label, measure)
    return _count_trend(opts, rows, label, measure)


def _share_trend(opts: Options, rows: pd.DataFrame, label: str, measure: str):
    """Denials (or approvals) as a share of approvals plus denials. These are complete
    counts, not a sample: no interval is drawn."""
    from analysis.stats import trends

    decided = _one_per_key(rows[rows["measure"].isin(["approved", "denied"])],
                           ["measure", "geo_code", "period"])
    if decided.empty:
        raise ParoleError("no approved or denied figures for this selection")
    out = trends.outcome_shares_from_counts(decided, method=opts.method)
    wanted = "denied" if measure == "denial-share" else "approved"
    table = out[out["group"] == wanted].reset_index(drop=True)
    table = table.assign(lower=np.nan, upper=np.nan)
    first, last = table.iloc[0], table.iloc[-1]
    word = "Denials" if wanted == "denied" else "Approvals"
    place = _place(decided, opts)
    partial = formatting.part_year_periods(decided)
    title = opts.title or (
        f"{label}{' in ' + place if place else ''}: {word.lower()} were "
        f"{fmt(last['estimate'], True)} of decisions in "
        f"{formatting.period(last['period'], last['period'] in partial)} "
        f"({fmt(first['estimate'], True)} in "
        f"{formatting.period(first['period'], first['period'] in partial)})")
    subtitle = opts.subtitle or (
        f"{word} as a share of approvals plus denials per period (all decisions counted, "
        "so no interval is drawn)")
    fig = trend_band(table, x="period", y="estimate", lower="lower", upper="upper",
                     label=word, title=title, subtitle=subtitle, source=decided,
                     note=_series_note(decided), percent=True, size=opts.size,
                     synthetic=opts.synthetic or None, colour_key=measure)
    attach_data(fig, csv_frame(table.drop(columns=["lower", "upper"]), decided,
                               key="period"))
    return fig


def segment_line(found, periods_: list[str]) -> np.ndarray:
    """The segments of ``found`` (a :class:`analysis.stats.trends.Shape`) as values at
    ``periods_``: straight between the published figures at its knots (in time), NaN
    outside the periods it describes."""
    from analysis.contract import periods

    if not found.segments:
        return np.full(len(periods_), np.nan)
    knots = [found.segments[0].start, *(seg.end for seg in found.segments)]
    values = [found.segments[0].first, *(seg.last for seg in found.segments)]

    def when(label: str) -> float:
        return pd.Timestamp(periods.parse(label).start).value / 1e9

    at = np.array([when(p) for p in periods_])
    xs = np.array([when(k) for k in knots])
    line = np.interp(at, xs, values)
    line[(at < xs[0]) | (at > xs[-1])] = np.nan
    return line


def _count_trend(opts: Options, rows: pd.DataFrame, label: str, measure: str):
    """Counts with the shape of their full, unflagged periods (the trend rule of
    :func:`analysis.stats.trends.shape`) in the title and drawn as dashed segments."""
    from analysis.stats import trends

    picked = _one_per_key(_pick(rows, "measure", measure, "--measure"),
                          ["geo_code", "period"])
    if picked["geo_code"].nunique() > 1:
        raise ParoleError("the selection holds several places; pick one with --geo")
    picked = picked.sort_values("period_start").reset_index(drop=True)
    valued = picked["status"].isin(VALUED_STATUSES)
    partial = formatting.part_year_periods(picked)
    flagged = sorted(formatting.flagged_figures(picked)["period"])
    # part-year and flagged figures are drawn but not described
    usable = valued & ~picked["period"].isin(partial) & ~picked["period"].isin(flagged)
    if usable.sum() < trends.MIN_PERIODS:
        raise ParoleError(f"{int(usable.sum())} full period(s) with a figure; a trend needs at "
                          f"least {trends.MIN_PERIODS}"
                          + (f" (part-year {', '.join(sorted(partial))} left out)"
                             if partial else ""))
    used = picked[usable]
    found = trends.shape(used["period"].tolist(), used["value"].tolist())
    table = picked[["period", "value"]].assign(
        direction=segment_line(found, picked["period"].tolist()), lower=np.nan, upper=np.nan)
    place = _place(picked, opts)
    title = opts.title or formatting.shape_sentence(_subject(label, measure), found, place)
    per = "fiscal quarter" if opts.freq == "quarter" else "fiscal year"
    left_out = sorted((partial & set(picked["period"])) | set(flagged))
    subtitle = opts.subtitle or (
        f"Per {per}{' in ' + place if place else ''}. Dashed: the direction of change, "
        "straight between the published figures where it turned"
        + (f"; {', '.join(left_out)} left out" if left_out else ""))
    gaps = picked.loc[~valued.to_numpy(), "period"].tolist()
    note = f"No figure for {', '.join(gaps)}. " if gaps else ""
    note += _series_note(picked)
    fig = trend_band(table, x="period", y="direction", lower="lower", upper="upper",
                     observed="value", observed_label="Published", label="Direction",
                     title=title, subtitle=subtitle, source=picked,
                     ylabel=CATEGORY_UNITS.get(opts.category or "", "Applications"),
                     size=opts.size, synthetic=opts.synthetic or None, note=note,
                     colour_key=measure)
    attach_data(fig, csv_frame(table.drop(columns=["lower", "upper"]).merge(
        picked[["period", "status", "source_file", "source_locator", "citation", "note"]],
        on="period", how="left")))
    return fig


@chart_kind("stacked")
def _stacked(opts: Options):
    rows, label = _counts_rows(opts, "stacked")
    parts = [p.strip() for p in (opts.parts or "approved,denied").split(",") if p.strip()]
    rows = _pick(rows, "geo_level", "nation" if opts.geo_level == "state" and not opts.geo
                 else opts.geo_level, "--geo-level")
    rows = _pick(rows, "geo_code", opts.geo, "--geo")
    rows = _periods_of_one_kind(rows, opts.freq)
    unknown = sorted(set(parts) - set(rows["measure"]))
    if unknown:
        raise ParoleError(f"no {', '.join(unknown)} figures here; measures: "
                          f"{', '.join(sorted(rows['measure'].unique()))}")
    rows = _one_per_key(rows[rows["measure"].isin(parts)], ["measure", "geo_code", "period"])
    if rows["geo_code"].nunique() > 1:
        raise ParoleError("the selection holds several places; pick one with --geo")
    wide = (rows.pivot_table(index=["period_start", "period"], columns="measure",
                             values="value", aggfunc="first")
            .reset_index().sort_values("period_start"))
    for part in parts:
        if part not in wide.columns:
            wide[part] = np.nan
    last = wide.dropna(subset=parts).iloc[-1]
    total = sum(last[p] for p in parts)
    first = wide.dropna(subset=parts).iloc[0]
    focus = parts[-1]
    share = last[focus] / total if total else float("nan")
    before = sum(first[p] for p in parts)
    was = (f", against {fmt(first[focus] / before, True)} in {first['period']}"
           if before and first["period"] != last["period"] else "")
    place = _place(rows, opts)
    where = f" in {place}" if place else ""
    if set(parts) == {"approved", "denied"}:
        what = "denials" if focus == "denied" else "approvals"
        title = opts.title or (f"{label}{where}: {fmt(share, True)} of decisions in "
                               f"{last['period']} were {what}{was}")
    else:
        title = opts.title or (f"{label}{where}: {focus} made up {fmt(share, True)} of "
                               f"{', '.join(parts)} in {last['period']}{was}")
    per = "fiscal quarter" if opts.freq == "quarter" else "fiscal year"
    subtitle = opts.subtitle or (
        f"{' and '.join(p.capitalize() for p in parts)} as shares of their total per {per}"
        if opts.percent else f"Applications {' and '.join(parts)} per {per}")
    labels = {p: p.capitalize() for p in parts}
    return stacked_outcomes(wide, x="period", parts=parts, labels=labels, title=title,
                            subtitle=subtitle, source=rows.sort_values(["period_start",
                                                                        "measure"]),
                            normalize=opts.percent,
                            ylabel="" if opts.percent else "Applications", size=opts.size,
                            synthetic=opts.synthetic or None, note=_series_note(rows))


@chart_kind("km")
def _km(opts: Options):
    from analysis.contract import store
    from analysis.stats import timing

    by = opts.by or "basis"
    if opts.synthetic:
        from analysis.stats.synthetic import generate_cases

        as_of = "2024-09-30"
        cases = generate_cases(opts.cases, seed=opts.seed, as_of=as_of)
        cases["citation"] = (f"parole-stats synthetic case generator "
                             f"(analysis.stats.synthetic.generate_cases, n={opts.cases}, "
                             f"seed={opts.seed}, as of {as_of})")
    else:
        cases = store.read_table("cases", opts.data_dir)
        if cases.empty:
            raise ParoleError("the cases table is empty: add case records (`parole add ... "
                              "--source case-records`) or use --synthetic")
        as_of = None
    if by not in cases.columns:
        raise ParoleError(f"--by {by!r}: cases have no such column; try basis, state, office")
    curves = timing.kaplan_meier(cases, by=by, as_of=as_of)
    if curves.empty:
        raise ParoleError("no decided cases: nothing to draw")
    medians = medians_from(timing.km_quantiles(cases, by=by, probs=[0.5], as_of=as_of))
    known = {k: v for k, v in medians.items() if not math.isnan(v)}
    if len(known) >= 2:
        slow, fast = max(known, key=known.get), min(known, key=known.get)
        finding = (f"Half of {fast} cases were decided within {fmt(known[fast])} days; "
                   f"{slow} cases took {fmt(known[slow])}")
    elif known:
        name, days = next(iter(known.items()))
        finding = f"Half of {name} cases were decided within {fmt(days)} days"
    else:
        finding = "Most cases were still waiting at the end of the records"
    title = opts.title or finding
    subtitle = opts.subtitle or (
        f"Share of applications still waiting, by {by} (Kaplan-Meier; pending cases "
        f"counted as waiting until {curves.attrs.get('as_of') or as_of}); bands: 95% "
        "pointwise intervals")
    fig = km_curves(curves, lower="lower", upper="upper", title=title, subtitle=subtitle,
                    source=cases, size=opts.size, medians=medians,
                    synthetic=True if opts.synthetic else None)
    attach_data(fig, csv_frame(curves, cases))
    return fig


@chart_kind("tilemap")
def _tilemap(opts: Options):
    rows, label = _one_measure_and_period(opts, "tilemap", "one figure per state")
    rows = _one_per_key(_pick(rows, "geo_level", "state", "--geo-level"), ["geo_code"])
    reasons = {str(c): str(s) for c, s in zip(rows["geo_code"], rows["status"], strict=True)
               if s in ("suppressed", "not_available", "withheld")}
    values = rows[["geo_code", "value"]]
    known = rows.dropna(subset=["value"]).sort_values("value", ascending=False)
    lead = known.iloc[0] if len(known) else None
    what = label if opts.measure in label else f"{label} ({opts.measure})"
    period = formatting.period(opts.period, bool(formatting.part_year_periods(rows)))
    title = opts.title or (
        f"{lead['geo_name']} had the most {what} in {period}: "
        f"{fmt(lead['value'])}" if lead is not None else f"{label}, {period}")
    subtitle = opts.subtitle or f"{what.capitalize()}, by state, {period}"
    return tile_map(values, title=title, subtitle=subtitle, source=rows,
                    legend=what.capitalize(), log=opts.log,
                    missing_reason=reasons, size=opts.size,
                    synthetic=opts.synthetic or None)




bar = KINDS["bar"]
trend = KINDS["trend"]
stacked = KINDS["stacked"]
km = KINDS["km"]
tilemap = KINDS["tilemap"]
