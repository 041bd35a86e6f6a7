"""``parole chart KIND``: one briefing chart from the processed tables, from the command line.

The charts themselves are in :mod:`analysis.viz.charts`; this module reads the data, picks the rows
the options name, and writes PNG, SVG and alternative text.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.viz import charts, formatting
from analysis.viz.charts import (
    SIZES,
    attach_data,
    bar_intervals,
    fmt,
    km_curves,
    medians_from,
    save,
    stacked_outcomes,
    tile_map,
    trend_band,
)
from analysis.viz.downloads import csv_frame

#: chart kind -> the function that draws it from the parsed options (see :func:`chart_kind`)
_BUILDERS: dict = {}


def chart_kind(name: str):
    """Register a chart kind: ``@chart_kind("bar")`` above a function of the parsed options
    returning a figure. Registration is the only step: ``--help``, the KIND check and the
    dispatch all read the registry."""
    def register(build):
        _BUILDERS[name] = build
        return build
    return register


SHARE_MEASURES = ("denial-share", "approval-share")
#: Plain-language names of counts categories used in computed titles (others: the slug).
CATEGORY_LABELS = {"uc-released-to-sponsors": "unaccompanied children released to sponsors"}
#: Axis titles of counts categories (series of applications: "Applications").
CATEGORY_UNITS = {"uc-released-to-sponsors": "Children released"}

CLI_EPILOG = """\
examples:
  parole chart tilemap --category uc-released-to-sponsors --measure released --period FY2019 \\
      --out reports/charts/orr_fy2019.png
  parole chart bar --category uc-released-to-sponsors --measure released --period FY2019 \\
      --top 10 --out reports/charts/orr_fy2019_shares.png
  parole chart trend --series humanitarian-parole --measure received --out x.png
  parole chart trend --series parole-in-place --measure denial-share --out x.png
  parole chart stacked --series parole-in-place --out y.png
  parole chart stacked --series humanitarian-parole --percent --size social --out y.png
  parole chart km --synthetic --seed 1 --out reports/charts/km_synthetic.png

Each chart is written as FILE.png, FILE.svg, FILE.alt.txt (alternative text) and FILE.csv
(the rows shown, with status, source_file, source_locator, citation and the publisher's
address). The source line names the publisher's table and address for the rows shown;
part-year periods are drawn hollow and left out of trend fits; flagged figures are ringed;
charts of synthetic data carry a SYNTHETIC mark. --size print writes the PNG at 300 dpi.
"""


def _counts_rows(args) -> tuple[pd.DataFrame, str]:
    """Rows of the ``counts`` table picked by --series or --category, and their label."""
    from analysis.contract import series as series_defs
    from analysis.contract import store

    counts = store.read_table("counts", args.data_dir)
    if args.series and args.category:
        raise ParoleError("give --series or --category, not both")
    if args.series:
        try:
            definition = series_defs.get(args.series)
        except KeyError as exc:
            raise ParoleError(exc.args[0]) from None
        return series_defs.select(counts, args.series), definition.label
    if not args.category:
        raise ParoleError(f"{args.kind} needs --series or --category")
    rows = counts[counts["category"] == args.category]
    if rows.empty:
        known = ", ".join(sorted(counts["category"].dropna().unique()))
        raise ParoleError(f"no rows of category {args.category!r}; categories: {known}")
    label = CATEGORY_LABELS.get(args.category, args.category.replace("-", " "))
    return rows.assign(series=args.category, series_note=""), label


def _place(rows: pd.DataFrame, args) -> str:
    """The place a --geo filter picked, by name, for the title ("" for the nation)."""
    if not getattr(args, "geo", None) or rows.empty:
        return ""
    names = rows["geo_name"].dropna().astype(str) if "geo_name" in rows.columns else []
    return names.iloc[0] if len(names) else str(args.geo)


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


def _one_measure_and_period(args, kind: str, why: str) -> tuple[pd.DataFrame, str]:
    """The rows of ``--measure`` in ``--period`` (both required by ``kind``: ``why``)."""
    rows, label = _counts_rows(args)
    if not (args.measure and args.period):
        raise ParoleError(f"{kind} needs --measure and --period ({why})")
    rows = _pick(_pick(rows, "measure", args.measure, "--measure"), "period", args.period,
                 "--period")
    return rows, label


@chart_kind("bar")
def _chart_bar(args):
    from analysis.stats import shares

    rows, label = _one_measure_and_period(args, "bar", "shares of one total")
    places = _one_per_key(_pick(rows, "geo_level", args.geo_level, "--geo-level"),
                          ["geo_code"])
    nation = _one_per_key(rows[rows["geo_level"] == "nation"], ["geo_code"])
    total = None
    if len(nation) == 1 and nation["status"].iloc[0] in VALUED_STATUSES:
        total = float(nation["value"].iloc[0])
    table = shares.shares_from_counts(places, by="geo_code", method=args.method, total=total)
    names = dict(zip(places["geo_code"].astype(str), places["geo_name"].astype(str),
                     strict=True))
    table["name"] = table["group"].map(names).fillna(table["group"])
    key = table["estimate"].fillna(table["estimate_high"]).fillna(-1)
    table = table.assign(_k=key).sort_values("_k", ascending=False).drop(columns="_k")
    n_all = len(table)
    if args.top:
        table = table.head(args.top)
    shown_rows = places[places["geo_code"].isin(table["group"])]
    source_rows = pd.concat([shown_rows, nation]) if total is not None else shown_rows
    lead = table.iloc[0]
    denominator = (f"the published national total ({fmt(total)})"
                   if total is not None else f"the sum over the {n_all} places listed")
    what = label if args.measure in label else f"{label} ({args.measure})"
    method = table["method"].iloc[0].replace("-", " ").title().replace(" ", "-")
    period = formatting.period(args.period, bool(formatting.part_year_periods(shown_rows)))
    title = args.title or (
        f"{lead['name']} had the largest share of {what} in {period}: "
        f"{fmt(lead['estimate'], True)}" if not math.isnan(lead["estimate"]) else
        f"Shares of {what} in {period}")
    top = f"the {len(table)} largest of {n_all}" if len(table) < n_all else f"all {n_all}"
    subtitle = args.subtitle or (
        f"Share of {denominator} of {what}, {args.period}; {top} "
        f"{args.geo_level} figures. Whiskers: 95% {method} interval")
    notes = sorted({str(n) for n in table["note"].dropna() if str(n)})
    fig = bar_intervals(table, label="name", title=title, subtitle=subtitle,
                        source=source_rows, xlabel=f"Share of {args.measure}, {args.period}",
                        size=args.size, synthetic=args.synthetic or None,
                        note="; ".join(notes))
    shown = table.drop(columns=["note"], errors="ignore").merge(
        places[["geo_code", "period", "value", "status", "source_file", "source_locator",
                "citation", "note"]], left_on="group", right_on="geo_code", how="left")
    attach_data(fig, csv_frame(shown, source_rows))
    return fig


@chart_kind("trend")
def _chart_trend(args):
    from analysis.stats import trends

    rows, label = _counts_rows(args)
    rows = _pick(rows, "geo_level", "nation" if args.geo_level == "state" and not args.geo
                 else args.geo_level, "--geo-level")
    rows = _pick(rows, "geo_code", args.geo, "--geo")
    rows = _periods_of_one_kind(rows, args.freq)
    measure = args.measure or "received"
    if measure in SHARE_MEASURES:
        decided = _one_per_key(rows[rows["measure"].isin(["approved", "denied"])],
                               ["measure", "geo_code", "period"])
        if decided.empty:
            raise ParoleError("no approved or denied figures for this selection")
        out = trends.outcome_shares_from_counts(decided, method=args.method)
        wanted = "denied" if measure == "denial-share" else "approved"
        table = out[out["group"] == wanted].reset_index(drop=True)
        first, last = table.iloc[0], table.iloc[-1]
        word = "Denials" if wanted == "denied" else "Approvals"
        place = _place(decided, args)
        partial = formatting.part_year_periods(decided)
        title = args.title or (
            f"{label}{' in ' + place if place else ''}: {word.lower()} were "
            f"{fmt(last['estimate'], True)} of decisions in "
            f"{formatting.period(last['period'], last['period'] in partial)} "
            f"({fmt(first['estimate'], True)} in "
            f"{formatting.period(first['period'], first['period'] in partial)})")
        subtitle = args.subtitle or (
            f"{word} as a share of approvals plus denials per period; band: 95% "
            f"{table['method'].iloc[0].title()} interval")
        fig = trend_band(table, x="period", y="estimate", lower="lower", upper="upper",
                         label=word, title=title, subtitle=subtitle, source=decided,
                         note=_series_note(decided),
                         percent=True, size=args.size, synthetic=args.synthetic or None,
                         band_label="95% interval")
        attach_data(fig, csv_frame(table, decided, key="period"))
        return fig
    picked = _one_per_key(_pick(rows, "measure", measure, "--measure"),
                          ["geo_code", "period"])
    if picked["geo_code"].nunique() > 1:
        raise ParoleError("the selection holds several places; pick one with --geo")
    valued = picked["status"].isin(VALUED_STATUSES)
    partial = formatting.part_year_periods(picked)
    flagged = sorted(formatting.flagged_figures(picked)["period"])
    # part-year and flagged figures are drawn but left out of the fit
    usable = valued & ~picked["period"].isin(partial) & ~picked["period"].isin(flagged)
    if usable.sum() < trends.MIN_PERIODS:
        raise ParoleError(f"{int(usable.sum())} full period(s) with a figure; a trend needs at "
                          f"least {trends.MIN_PERIODS}"
                          + (f" (part-year {', '.join(sorted(partial))} left out)"
                             if partial else ""))
    fit_rows = picked[usable]
    # the fitted mean is drawn at every full period (flagged ones too: the line is the
    # model's, not the figure's), never at a part year, whose count is not a full period's
    drawn = ~picked["period"].isin(partial)
    # one fit gives both the numbers in the title and the band drawn
    fit = trends.trend_fit(fit_rows[["period", "value", "status"]], value="value",
                           at=picked.loc[drawn, "period"])
    slope = pd.Series(fit.summary)
    table = picked[["period", "value"]].reset_index(drop=True).merge(
        fit.band[["period", "fitted", "lower", "upper"]], on="period", how="left")
    place = _place(picked, args)
    title = args.title or formatting.trend_title(_subject(label, measure), slope, place)
    gaps = picked.loc[~valued.to_numpy(), "period"].tolist()
    per = "fiscal quarter" if args.freq == "quarter" else "fiscal year"
    detail = formatting.trend_detail(slope, sorted(partial & set(picked["period"])))
    if flagged:
        detail += f"; flagged {', '.join(flagged)} left out of the fit"
    subtitle = args.subtitle or (
        f"Per {per}{' in ' + place if place else ''}. Trend {detail}; band: 95% interval "
        "of the fitted mean")
    note = f"No figure for {', '.join(gaps)} (left out of the fit). " if gaps else ""
    note += _series_note(picked)
    fig = trend_band(table, x="period", y="fitted", lower="lower", upper="upper",
                     observed="value", observed_label="Published", label="Trend",
                     title=title, subtitle=subtitle, source=picked,
                     ylabel=CATEGORY_UNITS.get(args.category or "", "Applications"),
                     size=args.size, synthetic=args.synthetic or None, note=note)
    attach_data(fig, csv_frame(table.merge(
        picked[["period", "status", "source_file", "source_locator", "citation", "note"]],
        on="period", how="left")))
    return fig


@chart_kind("stacked")
def _chart_stacked(args):
    rows, label = _counts_rows(args)
    parts = [p.strip() for p in (args.parts or "approved,denied").split(",") if p.strip()]
    rows = _pick(rows, "geo_level", "nation" if args.geo_level == "state" and not args.geo
                 else args.geo_level, "--geo-level")
    rows = _pick(rows, "geo_code", args.geo, "--geo")
    rows = _periods_of_one_kind(rows, args.freq)
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
    place = _place(rows, args)
    where = f" in {place}" if place else ""
    if set(parts) == {"approved", "denied"}:
        what = "denials" if focus == "denied" else "approvals"
        title = args.title or (f"{label}{where}: {fmt(share, True)} of decisions in "
                               f"{last['period']} were {what}{was}")
    else:
        title = args.title or (f"{label}{where}: {focus} made up {fmt(share, True)} of "
                               f"{', '.join(parts)} in {last['period']}{was}")
    per = "fiscal quarter" if args.freq == "quarter" else "fiscal year"
    subtitle = args.subtitle or (
        f"{' and '.join(p.capitalize() for p in parts)} as shares of their total per {per}"
        if args.percent else f"Applications {' and '.join(parts)} per {per}")
    labels = {p: p.capitalize() for p in parts}
    return stacked_outcomes(wide, x="period", parts=parts, labels=labels, title=title,
                            subtitle=subtitle, source=rows.sort_values(["period_start",
                                                                        "measure"]),
                            normalize=args.percent,
                            ylabel="" if args.percent else "Applications", size=args.size,
                            synthetic=args.synthetic or None, note=_series_note(rows))


@chart_kind("km")
def _chart_km(args):
    from analysis.contract import store
    from analysis.stats import timing

    by = args.by or "basis"
    if args.synthetic:
        from analysis.stats.synthetic import generate_cases

        as_of = "2024-09-30"
        cases = generate_cases(args.cases, seed=args.seed, as_of=as_of)
        cases["citation"] = (f"parole-stats synthetic case generator "
                             f"(analysis.stats.synthetic.generate_cases, n={args.cases}, "
                             f"seed={args.seed}, as of {as_of})")
    else:
        cases = store.read_table("cases", args.data_dir)
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
    title = args.title or finding
    subtitle = args.subtitle or (
        f"Share of applications still waiting, by {by} (Kaplan-Meier; pending cases "
        f"counted as waiting until {curves.attrs.get('as_of') or as_of}); bands: 95% "
        "pointwise intervals")
    fig = km_curves(curves, lower="lower", upper="upper", title=title, subtitle=subtitle,
                    source=cases, size=args.size, medians=medians,
                    synthetic=True if args.synthetic else None)
    attach_data(fig, csv_frame(curves, cases))
    return fig


@chart_kind("tilemap")
def _chart_tilemap(args):
    rows, label = _one_measure_and_period(args, "tilemap", "one figure per state")
    rows = _one_per_key(_pick(rows, "geo_level", "state", "--geo-level"), ["geo_code"])
    reasons = {str(c): str(s) for c, s in zip(rows["geo_code"], rows["status"], strict=True)
               if s in ("suppressed", "not_available", "withheld")}
    values = rows[["geo_code", "value"]]
    known = rows.dropna(subset=["value"]).sort_values("value", ascending=False)
    lead = known.iloc[0] if len(known) else None
    what = label if args.measure in label else f"{label} ({args.measure})"
    period = formatting.period(args.period, bool(formatting.part_year_periods(rows)))
    title = args.title or (
        f"{lead['geo_name']} had the most {what} in {period}: "
        f"{fmt(lead['value'])}" if lead is not None else f"{label}, {period}")
    subtitle = args.subtitle or f"{what.capitalize()}, by state, {period}"
    return tile_map(values, title=title, subtitle=subtitle, source=rows,
                    legend=what.capitalize(), log=args.log,
                    missing_reason=reasons, size=args.size,
                    synthetic=args.synthetic or None)


KINDS = tuple(_BUILDERS)


def _output_path(out: Path) -> Path:
    if out.suffix.lower() not in ("", ".png", ".svg"):
        raise ParoleError(f"--out {out}: give a name ending in .png or .svg (both are written, "
                          "with .alt.txt beside them)")
    return out if out.suffix else out.with_suffix(".png")


def _cmd_chart(args) -> int:
    if args.kind not in _BUILDERS:
        raise ParoleError(f"unknown chart kind {args.kind!r}; expected one of "
                          f"{', '.join(KINDS)}")
    if args.size not in SIZES:
        raise ParoleError(f"unknown size {args.size!r}; expected one of {', '.join(SIZES)}")
    if args.top is not None and args.top < 0:
        raise ParoleError("--top must be 0 (all) or more")
    if args.cases <= 0:
        raise ParoleError("--cases must be a positive number")
    out = _output_path(args.out)
    fig = _BUILDERS[args.kind](args)
    try:
        written = save(fig, out)
    finally:
        plt.close(fig)
    for path in written:
        print(f"wrote {path}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``parole chart KIND [options] --out FILE`` to the ``parole`` command line."""
    import argparse

    p = subparsers.add_parser(
        "chart", help="draw one briefing chart (PNG + SVG + alt text) from the processed data",
        description="Draw one chart in the house style from data/processed (run `parole "
                    "ingest` first): the title states the finding, the subtitle what is "
                    "measured, the source line is built from the rows shown. KIND is one of: "
                    "bar (shares of a total with intervals), trend (trend line with interval "
                    "band), stacked (outcomes per period), km (Kaplan-Meier waits by group), "
                    "tilemap (US tile-grid map).",
        epilog=CLI_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", metavar="KIND", help=f"chart kind: {', '.join(KINDS)}")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="output file (FILE.png, FILE.svg, FILE.alt.txt and FILE.csv are "
                        "written)")
    p.add_argument("--series", metavar="SLUG",
                   help="a named series (humanitarian-parole, parole-in-place, advance-parole)")
    p.add_argument("--category", metavar="CAT",
                   help="a category of the counts table (e.g. uc-released-to-sponsors)")
    p.add_argument("--measure", metavar="M",
                   help="measure (received, approved, denied, pending, released; for trend "
                        "also denial-share or approval-share)")
    p.add_argument("--period", metavar="P", help="one period for bar and tilemap (FY2019)")
    p.add_argument("--freq", choices=("quarter", "FY"), default="quarter",
                   help="periods of trend and stacked charts (default: quarter)")
    p.add_argument("--geo-level", default="state", metavar="LEVEL",
                   help="places compared in bar (default state); trend and stacked use the "
                        "nation unless --geo is given")
    p.add_argument("--geo", metavar="CODE", help="one place for trend/stacked (geo_code)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="bar: show the N largest shares (0: all; default 10)")
    p.add_argument("--method", default="wilson", choices=("wilson", "clopper-pearson"),
                   help="interval method for shares (default wilson)")
    p.add_argument("--parts", metavar="A,B",
                   help="stacked: measures to stack (default approved,denied)")
    p.add_argument("--percent", action="store_true",
                   help="stacked: show shares of each bar's total")
    p.add_argument("--log", action="store_true", help="tilemap: log colour scale")
    p.add_argument("--by", metavar="COL", help="km: group cases by this column (default basis)")
    p.add_argument("--synthetic", action="store_true",
                   help="km: use seeded synthetic case records (marked SYNTHETIC)")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic records")
    p.add_argument("--cases", type=int, default=5000, metavar="N",
                   help="number of synthetic records (default 5000)")
    p.add_argument("--size", default="slide", metavar="SIZE",
                   help=", ".join(f"{k} ({w}x{h} in, {charts.SAVE_DPI[k]} dpi)"
                                  for k, (w, h) in SIZES.items()))
    p.add_argument("--title", help="replace the computed title (state the finding)")
    p.add_argument("--subtitle", help="replace the computed subtitle (say what is measured)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data folder holding processed/ (default: ./data of the project)")
    p.set_defaults(func=_cmd_chart)
