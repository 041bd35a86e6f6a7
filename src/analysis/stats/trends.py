"""Trends: counts by fiscal year or quarter, their rate of change, and outcome shares.

* :func:`counts_by_period`   cases per fiscal year (``FY2023``) or quarter (``FY2023-Q2``)
* :func:`trend`              a count regression on time, as percent change per year with its
                             interval and a plain-language label
* :func:`outcome_shares`     approval and denial shares of completions, with intervals
* :func:`shape`              the shape of a series in segments (rose, fell, changed little),
                             found by a continuous piecewise-linear fit: the one trend rule
                             every sentence and chart title uses (see below)

The label (column ``direction``) is ``rising`` only when the whole interval is above 0,
``falling`` only when it is wholly below 0, and ``no clear trend`` otherwise; too few
periods give ``not_estimable``.

Model: log E[count] = a + b * years (+ log exposure for part-covered periods). ``family``:

* ``quasi-poisson`` (default) Poisson GLM with its standard errors scaled by the Pearson
  dispersion when that exceeds 1: counts of applications vary more than Poisson, and ignoring
  it makes intervals too narrow;
* ``poisson``: plain Poisson GLM;
* ``negative-binomial``: statsmodels ``NegativeBinomial`` (NB2), dispersion estimated.

Percent change per year is ``100 * (exp(b) - 1)``, its limits the same transform of b's limits.

**The trend rule** (:func:`shape`). One rate over a period is stated only when the series did not
change direction. :func:`shape` fits the log counts with continuous piecewise-linear segments
joining observed points (the ``clinear`` cost of ``ruptures``, knots searched exhaustively by
``ruptures.Dynp``), with 0, 1 or 2 knots chosen by a BIC-type score with a noise floor of
:data:`NOISE` (a 3% wobble is not a turn). Each segment is then described from its observed end
points: ``rose``, ``fell`` or ``little change`` (within :data:`LEVEL_PCT`), with the percent change
between its ends only when both are at least :data:`SMALL_COUNT` (smaller counts cannot carry a
rate); consecutive segments in the same direction are merged. When the last three values move
one way, the last segment says so (a knot is added if the fit hid it).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import ruptures
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from analysis.contract import periods
from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.stats import compact
from analysis.stats.shares import interval, interval_method, shares_over_time
from analysis.stats.synthetic import LABEL, is_synthetic, mark

FAMILIES = ("quasi-poisson", "poisson", "negative-binomial")
MIN_PERIODS = 3


def counts_by_period(cases: Any, *, freq: str = "FY", by: str | None = None,
                     date_col: str = "received_date", as_of: object = None,
                     where: Mapping[str, Any] | None = None,
                     engine: str | None = None) -> pd.DataFrame:
    """Number of cases per fiscal year or quarter of ``date_col`` (receipt by default).

    ``cases``: a DataFrame, a Parquet file or a hive-partitioned folder (counted by the
    engine, see :mod:`analysis.stats.compact`). Periods with no cases between the first and last are
    listed with count 0 (in complete records that is a real zero). ``exposure`` is the share
    of each period covered up to ``as_of`` (default: the latest date in ``date_col``), so a
    current, partial year is not read as a drop; ``complete`` says whether the period is fully
    covered (:func:`trend` leaves incomplete periods out by default).
    Columns: ``group, period, period_start, fiscal_year, count, exposure, complete``.

    >>> from analysis.stats.synthetic import generate_cases
    >>> counts_by_period(generate_cases(500, seed=1))  # doctest: +SKIP
    """
    if freq not in ("FY", "quarter"):
        raise ParoleError(f"freq={freq!r}: expected FY or quarter")
    table = compact.period_counts(cases, by, date_col=date_col, as_of=as_of, where=where,
                                  engine=engine)
    if table.empty:
        raise ParoleError(f"no dates in {date_col!r}")
    stop = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(table.attrs["last_date"])
    if table.attrs.get("late"):
        raise ParoleError(f"{table.attrs['late']} date(s) after as_of {stop.date()}")
    table["period"] = [periods.label(fy, None if freq == "FY" else q)
                       for fy, q in zip(table["fiscal_year"], table["quarter"], strict=True)]
    counts = table.groupby(["group", "period"], sort=False)["count"].sum()
    first = min(table["period"].unique(), key=lambda s: periods.parse(s).start)
    last_label = periods.labels_of(pd.Series([stop]), freq).iloc[0]
    span = periods.labels_between(first, last_label, freq)
    rows = []
    for g in sorted(table["group"].unique()):
        for lab in span:
            per = periods.parse(lab)
            exposure, complete = periods.coverage(lab, stop)
            rows.append({"group": g, "period": lab, "period_start": pd.Timestamp(per.start),
                         "fiscal_year": per.fiscal_year,
                         "count": int(counts.get((g, lab), 0)),
                         "exposure": exposure, "complete": complete})
    out = pd.DataFrame(rows)
    out.attrs["as_of"] = str(stop.date())
    return mark(out, _synthetic(cases, table))


def _synthetic(data: Any, table: pd.DataFrame) -> bool:
    return table.attrs.get("label") == LABEL or (isinstance(data, pd.DataFrame)
                                                 and is_synthetic(data))


def _direction(lower: float, upper: float) -> str:
    if lower > 0:
        return "rising"
    if upper < 0:
        return "falling"
    return "no clear trend"


def _fit(y: np.ndarray, t: np.ndarray, exposure: np.ndarray, family: str,
         alpha: float) -> dict[str, Any]:
    """Fit one family; returns slope ``b`` with limits, p-value, dispersion, the 2x2
    covariance of (intercept, slope) and the parameters, or raises ValueError."""
    X = sm.add_constant(t, has_constant="add")
    offset = np.log(exposure)
    if family == "negative-binomial":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.NegativeBinomial(y, X, offset=offset).fit(disp=0, maxiter=200)
        ci = np.asarray(res.conf_int(alpha))[1]
        return {"b": float(res.params[1]), "lo": float(ci[0]), "hi": float(ci[1]),
                "p": float(res.pvalues[1]), "dispersion": float(res.params[-1]),
                "params": np.asarray(res.params[:2], float),
                "cov": np.asarray(res.cov_params())[:2, :2],
                "converged": bool(res.mle_retvals.get("converged", False))}
    with warnings.catch_warnings():
        # an exact fit (identical counts) is fine here: the slope is 0 with a tiny interval
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        res = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        dispersion = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else np.nan
        if family == "quasi-poisson" and np.isfinite(dispersion) and dispersion > 1:
            res = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(
                scale=dispersion)
    ci = np.asarray(res.conf_int(alpha))[1]
    return {"b": float(res.params[1]), "lo": float(ci[0]), "hi": float(ci[1]),
            "p": float(res.pvalues[1]), "dispersion": dispersion,
            "params": np.asarray(res.params, float), "cov": np.asarray(res.cov_params()),
            "converged": True}


def _finite(fit: dict[str, Any]) -> bool:
    return bool(np.all(np.isfinite([fit["b"], fit["lo"], fit["hi"], fit["p"]]))
                and np.all(np.isfinite(fit["cov"])))


def _fit_with_fallback(y: np.ndarray, t: np.ndarray, exposure: np.ndarray, family: str,
                       alpha: float) -> tuple[dict[str, Any], str, str | None]:
    """The fit, the family actually used and a note. A negative-binomial fit that does not
    converge, or gives a non-finite estimate, falls back to quasi-Poisson with the reason in
    the note; nothing non-finite is returned."""
    if family == "negative-binomial":
        reason = None
        try:
            fit = _fit(y, t, exposure, family, alpha)
        except (np.linalg.LinAlgError, ValueError) as exc:
            reason = f"the fit failed ({exc})"
        else:
            if not fit["converged"]:
                reason = ("the fit did not converge (estimated dispersion "
                          f"{fit['dispersion']:.2g}: counts vary no more than Poisson)")
            elif not _finite(fit):
                reason = "the fit gave a non-finite estimate or interval"
        if reason is None:
            return fit, family, None
        fit = _fit(y, t, exposure, "quasi-poisson", alpha)
        return fit, "quasi-poisson", f"negative-binomial fell back to quasi-Poisson: {reason}"
    return _fit(y, t, exposure, family, alpha), family, None


@dataclass
class TrendFit:
    """One fitted trend: ``summary`` (one row as in :func:`trend`) and ``band`` (per period:
    ``period, period_start, observed, used, fitted, lower, upper``; the fitted mean count for
    a whole period and its confidence band, from the same fit as the numbers)."""

    summary: dict[str, Any]
    band: pd.DataFrame


def _part_periods(part: pd.DataFrame) -> pd.Series:
    incomplete = pd.Series(False, index=part.index)
    if "complete" in part.columns:
        incomplete |= ~part["complete"].fillna(True).astype(bool)
    if "exposure" in part.columns:
        incomplete |= pd.to_numeric(part["exposure"], errors="coerce").fillna(1.0) < 1
    return incomplete


def _checked_column(table: pd.DataFrame, value: str | None, family: str,
                    part_years: str) -> str:
    """The counts column of ``table``, after checking the options and columns."""
    if family not in FAMILIES:
        raise ParoleError(f"family={family!r}: expected one of {', '.join(FAMILIES)}")
    if part_years not in ("exclude", "offset"):
        raise ParoleError(f"part_years={part_years!r}: expected exclude or offset")
    col = value or ("count" if "count" in table.columns else "value")
    for need in ("period", col):
        if need not in table.columns:
            raise ParoleError(f"trend needs a {need!r} column")
    return col


def _not_estimable(part: pd.DataFrame, y: pd.Series, group: Any) -> str | None:
    """Why the counts of ``part`` cannot carry a trend (None when they can)."""
    if "status" in part.columns:
        unusable = ~part["status"].isin(VALUED_STATUSES)
    else:
        unusable = y.isna()
    if unusable.any():
        return ("counts without a value (suppressed or not available) in "
                + ", ".join(part.loc[unusable, "period"]))
    if len(part) < MIN_PERIODS:
        return f"{len(part)} period(s); a trend needs at least {MIN_PERIODS}"
    if (y < 0).any():
        raise ParoleError(f"negative counts in group {group!r}")
    if y.sum() == 0:
        return "all counts are 0"
    return None


def _band_at(band: pd.DataFrame, at: Sequence[str]) -> pd.DataFrame:
    """An empty band for the period labels ``at`` (observed values kept where known)."""
    seen = dict(zip(band["period"], band["observed"], strict=True))
    labels = list(dict.fromkeys(str(p) for p in at))
    return pd.DataFrame({"period": labels,
                         "period_start": [pd.Timestamp(periods.parse(p).start) for p in labels],
                         "observed": [seen.get(p, np.nan) for p in labels], "used": False,
                         "fitted": np.nan, "lower": np.nan, "upper": np.nan})


def _fill_band(band: pd.DataFrame, fit: dict[str, Any], origin: pd.Timestamp, alpha: float,
               used: pd.Series) -> None:
    """The fitted mean count of a whole period, with its interval, from the same fit."""
    X = np.column_stack([np.ones(len(band)),
                         ((pd.to_datetime(band["period_start"]) - origin).dt.days
                          / 365.25).to_numpy()])
    eta = X @ fit["params"]
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, fit["cov"], X))
    z = norm.ppf(1 - alpha / 2)
    band["fitted"], band["lower"], band["upper"] = (np.exp(eta), np.exp(eta - z * se),
                                                    np.exp(eta + z * se))
    band["used"] = band["period"].isin(used).to_numpy()


def trend_fit(table: pd.DataFrame, *, value: str | None = None, group: Any = "all",
              family: str = "quasi-poisson", alpha: float = 0.05,
              part_years: str = "exclude", at: Sequence[str] | None = None) -> TrendFit:
    """Fit the count trend of one group's rows (``period`` and counts in ``value``) and
    return the numbers and the chart band from that one fit (:class:`TrendFit`).

    ``part_years``: ``"exclude"`` (default) leaves out periods not fully covered (``complete``
    False or ``exposure`` below 1: a part-year counts fewer cases because it is shorter, and
    its coverage may be uneven within the year), naming them in ``note``; ``"offset"``
    includes them with ``log(exposure)`` as an offset. ``at``: the period labels the band is
    given for (default: the table's periods), e.g. periods left out of the fit.

    >>> from analysis.stats.synthetic import generate_cases
    >>> fit = trend_fit(counts_by_period(generate_cases(500, seed=1)))  # doctest: +SKIP
    >>> fit.summary["pct_change_per_year"]                              # doctest: +SKIP
    """
    col = _checked_column(table, value, family, part_years)
    spans = [periods.parse(p) for p in table["period"]]
    part = table.assign(_start=[pd.Timestamp(x.start) for x in spans]).sort_values("_start")
    if part["period"].duplicated().any():
        raise ParoleError(f"group {group!r} has several rows for one period; filter first")
    y_all = pd.to_numeric(part[col], errors="coerce")
    band = pd.DataFrame({"period": part["period"].to_numpy(),
                         "period_start": part["_start"].to_numpy(),
                         "observed": y_all.to_numpy(float), "used": False,
                         "fitted": np.nan, "lower": np.nan, "upper": np.nan})
    if at is not None:
        band = _band_at(band, at)
    notes = []
    if part_years == "exclude":
        partial = _part_periods(part)
        if partial.any():
            notes.append("left out as part-year (not fully covered; a shorter period is not "
                         "a drop): " + ", ".join(part.loc[partial, "period"]))
            part = part[~partial]
    row = {"group": group, "family": family, "n_periods": len(part),
           "first_period": part["period"].iloc[0] if len(part) else None,
           "last_period": part["period"].iloc[-1] if len(part) else None,
           "pct_change_per_year": np.nan, "lower": np.nan, "upper": np.nan,
           "p_value": np.nan, "dispersion": np.nan, "direction": None,
           "confidence": 1 - alpha, "note": "; ".join(notes) or None}

    def done(status: str, reason: str | None = None) -> TrendFit:
        return TrendFit({**row, "status": status, "reason": reason}, band)

    y = pd.to_numeric(part[col], errors="coerce")
    why_not = _not_estimable(part, y, group)
    if why_not:
        return done("not_estimable", why_not)
    origin = part["_start"].iloc[0]
    t = ((part["_start"] - origin).dt.days / 365.25).to_numpy()
    exposure = (part["exposure"].to_numpy(float) if "exposure" in part.columns
                else np.ones(len(part)))
    if (exposure <= 0).any():
        raise ParoleError(f"group {group!r} has a period with zero exposure")
    try:
        fit, used_family, fallback = _fit_with_fallback(y.to_numpy(float), t, exposure,
                                                        family, alpha)
    except (np.linalg.LinAlgError, ValueError) as exc:
        return done("not_estimable", f"model failed: {exc}")
    if not _finite(fit):
        return done("not_estimable", "model did not give a finite estimate")
    pct = 100 * np.expm1([fit["b"], fit["lo"], fit["hi"]])
    if fallback:
        notes.append(fallback)
    row.update(family=used_family, pct_change_per_year=pct[0], lower=pct[1], upper=pct[2],
               p_value=float(fit["p"]), dispersion=fit["dispersion"],
               direction=_direction(pct[1], pct[2]), note="; ".join(notes) or None)
    _fill_band(band, fit, origin, alpha, part["period"])
    return done("estimated")


def trend(table: pd.DataFrame, *, value: str | None = None, by: str | None = "group",
          family: str = "quasi-poisson", alpha: float = 0.05,
          part_years: str = "exclude") -> pd.DataFrame:
    """Percent change per year in counts, with its interval and a plain-language label.

    ``table`` has a ``period`` column (one kind of label: all fiscal years, or all quarters)
    and counts in ``value`` (default ``count`` from :func:`counts_by_period`, or ``value``
    from a ``counts`` table, where a ``status`` other than a number makes the group
    ``not_estimable``). Part-year periods are left out by default (see :func:`trend_fit`).
    A negative-binomial fit that does not converge falls back to quasi-Poisson, and ``family``
    and ``note`` say so. Columns: ``group, family, n_periods, first_period, last_period,
    pct_change_per_year, lower, upper, p_value, dispersion, direction, status, reason, note,
    confidence``. For the chart band of the same fit use :func:`trend_fit`.

    >>> from analysis.stats.synthetic import generate_cases
    >>> trend(counts_by_period(generate_cases(500, seed=1)))  # doctest: +SKIP
    """
    if family not in FAMILIES:
        raise ParoleError(f"family={family!r}: expected one of {', '.join(FAMILIES)}")
    col = value or ("count" if "count" in table.columns else "value")
    for need in ("period", col):
        if need not in table.columns:
            raise ParoleError(f"trend needs a {need!r} column")
    kinds = table["period"].astype(str).str.replace(r"\d", "", regex=True).unique()
    if len(kinds) > 1:
        raise ParoleError("the rows mix period kinds (" + ", ".join(sorted(kinds))
                          + "); use fiscal years or quarters, not both")
    group_col = by if by and by in table.columns else None
    rows = []
    for g, part in (table.groupby(group_col, sort=True) if group_col
                    else [("all", table)]):
        rows.append(trend_fit(part, value=col, group=g, family=family, alpha=alpha,
                              part_years=part_years).summary)
    return mark(pd.DataFrame(rows), is_synthetic(table))


def outcome_shares(cases: Any, *, freq: str = "FY", by: str | None = None,
                   method: str = "wilson", alpha: float = 0.05,
                   outcomes: Sequence[str] = ("approved", "denied"),
                   where: Mapping[str, Any] | None = None,
                   engine: str | None = None) -> pd.DataFrame:
    """Approval and denial shares of completions per period (of the decision date).

    Completions are decided cases (approved, denied, withdrawn), counted by the engine
    (:func:`analysis.stats.compact.outcome_counts`). Columns: ``group, period, outcome, numerator,
    denominator, estimate, share (= estimate), lower, upper, method, confidence, status,
    reason`` (``group`` is the value of ``by``, or ``all``).

    >>> from analysis.stats.synthetic import generate_cases
    >>> outcome_shares(generate_cases(500, seed=1))  # doctest: +SKIP
    """
    if freq not in ("FY", "quarter"):
        raise ParoleError(f"freq={freq!r}: expected FY or quarter")
    meth = interval_method(method)
    table = compact.outcome_counts(cases, by, where=where, engine=engine)
    table["period"] = [periods.label(fy, None if freq == "FY" else q)
                       for fy, q in zip(table["fiscal_year"], table["quarter"], strict=True)]
    size = table.groupby(["group", "period"], sort=False)["count"].sum()
    hits = table.groupby(["group", "period", "outcome"], sort=False)["count"].sum()
    rows = []
    for (g, per), n in size.items():
        for oc in outcomes:
            k = int(hits.get((g, per, oc), 0))
            lo, hi = interval(k, n, method=meth, alpha=alpha)
            rows.append({"group": g, "period": per, "outcome": oc, "numerator": float(k),
                         "denominator": float(n), "estimate": k / n, "share": k / n,
                         "lower": float(lo),
                         "upper": float(hi), "method": meth, "confidence": 1 - alpha,
                         "status": "estimated", "reason": None})
    cols = ["group", "period", "outcome", "numerator", "denominator", "estimate", "share",
            "lower", "upper", "method", "confidence", "status", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    if not out.empty:
        out["_start"] = [periods.parse(p).start for p in out["period"]]
        out = out.sort_values(["group", "_start", "outcome"]).drop(columns="_start")
    return mark(out.reset_index(drop=True), _synthetic(cases, table))


def outcome_shares_from_counts(counts: pd.DataFrame, *, method: str = "wilson",
                               alpha: float = 0.05, threshold: float = 10.0) -> pd.DataFrame:
    """Approval and denial shares of approved + denied per period from a ``counts`` table
    (one form, category and place), suppressed cells as bounds (see
    :func:`analysis.stats.shares.shares_over_time`). ``outcome`` (also ``measure`` and, for
    older callers, ``group``) is the measure: ``approved`` or ``denied``.

    >>> rows = pd.DataFrame({"measure": ["approved", "denied"], "period": "FY2024",
    ...                      "value": [80.0, 20.0], "status": "reported"})
    >>> outcome_shares_from_counts(rows)[["period", "outcome", "share"]]
       period   outcome  share
    0  FY2024  approved    0.8
    1  FY2024    denied    0.2
    """
    rows = counts[counts["measure"].isin(["approved", "denied"])]
    if rows.empty:
        raise ParoleError("no approved or denied rows in the counts table")
    out = shares_over_time(rows, by="measure", method=method, alpha=alpha,
                           threshold=threshold)
    out.insert(out.columns.get_loc("measure") + 1, "outcome", out["measure"])
    return mark(out, is_synthetic(counts))


# ---------------------------------------------------------------- the trend rule: shape

#: Counts below this cannot carry a percent change (1 to 17 is not "+1,600%").
SMALL_COUNT = 50
#: A segment whose ends differ by less than this percent "changed little".
LEVEL_PCT = 5.0
#: Noise floor of the log fit (standard deviation): a wobble this size is not a turn.
NOISE = 0.03
MOST_KNOTS = 3
#: Log-scale distance (about 30%) of the figures from their segments that counts as swinging.
SWING = 0.3


@dataclass(frozen=True)
class Segment:
    """One stretch of a series between two observed points (``start``..``end`` periods)."""

    start: str
    end: str
    first: float
    last: float
    direction: str  # "rose", "fell" or "little change"
    pct: float | None  # percent change first -> last; None when the counts are too small

    @property
    def small(self) -> bool:
        return self.pct is None


@dataclass(frozen=True)
class Shape:
    """The shape of a series: its segments, in order (see :func:`shape`). ``status`` is
    ``described`` or ``not_described`` (with ``reason``)."""

    segments: tuple[Segment, ...]
    status: str
    reason: str | None = None
    periods: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    #: True when the figures swing far around the segments (root-mean-square distance of
    #: more than :data:`SWING` on the log scale): the words then say so.
    swings: bool = False

    @property
    def knots(self) -> list[str]:
        """The periods where one segment ends and the next begins."""
        return [s.end for s in self.segments[:-1]]

    @property
    def last_direction(self) -> str | None:
        return self.segments[-1].direction if self.segments else None


def _direction_of(first: float, last: float) -> str:
    if first == 0:
        return "rose" if last > 0 else "little change"
    pct = 100 * (last - first) / first
    if abs(pct) < LEVEL_PCT:
        return "little change"
    return "rose" if pct > 0 else "fell"


def _score(cost, n: int, ends: list[int]) -> float:
    rss = float(cost.sum_of_costs(ends))
    knots = len(ends) - 1
    return n * math.log(rss / n + NOISE ** 2) + 2 * knots * math.log(n)


def _knot_indices(y: np.ndarray) -> list[int]:
    """Indices of the interior knots of the best continuous piecewise-linear fit of ``y``
    (``ruptures``' ``clinear`` cost; every knot set of up to :data:`MOST_KNOTS` tried, each
    segment at least two intervals long)."""
    n = len(y)
    cost = ruptures.costs.CostCLinear().fit(y.reshape(-1, 1))
    cost.min_size = 2
    best, best_score = [n], _score(cost, n, [n])
    for k in range(1, MOST_KNOTS + 1):
        for knots in itertools.combinations(range(2, n - 2), k):
            if any(b - a < 2 for a, b in zip(knots[:-1], knots[1:], strict=True)):
                continue
            ends = [i + 1 for i in knots] + [n]
            score = _score(cost, n, ends)
            if score < best_score:
                best, best_score = ends, score
    return [b - 1 for b in best[:-1]]


def _swings(y: np.ndarray, knots: list[int]) -> bool:
    if len(y) < 4:
        return False
    cost = ruptures.costs.CostCLinear().fit(y.reshape(-1, 1))
    cost.min_size = 1
    rss = float(cost.sum_of_costs([k + 1 for k in knots] + [len(y)]))
    return math.sqrt(rss / len(y)) > SWING


def _last_three_knot(values: np.ndarray, knots: list[int]) -> list[int]:
    """Add a knot three points from the end when the last three values move one way and
    the last segment says otherwise."""
    n = len(values)
    if n < 4:
        return knots
    a, b, c = values[-3:]
    moving = "rose" if a < b < c else "fell" if a > b > c else None
    start = knots[-1] if knots else 0
    if moving and _direction_of(values[start], values[-1]) != moving and start < n - 3:
        return [*knots, n - 3]
    return knots


def _snap(values: np.ndarray, knots: list[int]) -> list[int]:
    """Move each knot between a rise and a fall to the highest value between its neighbours
    (the lowest, between a fall and a rise), so "a peak in FY2018" names the peak."""
    points = [0, *knots, len(values) - 1]
    for i in range(1, len(points) - 1):
        p, k, q = points[i - 1], points[i], points[i + 1]
        before, after = _direction_of(values[p], values[k]), _direction_of(values[k], values[q])
        inner = values[p + 1:q]
        if before == "rose" and after == "fell":
            points[i] = p + 1 + int(np.argmax(inner))
        elif before == "fell" and after == "rose":
            points[i] = p + 1 + int(np.argmin(inner))
    return points[1:-1]


def _segments(labels: list[str], values: np.ndarray, knots: list[int]) -> list[Segment]:
    points = [0, *_snap(values, knots), len(values) - 1]
    out: list[Segment] = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        direction = _direction_of(values[a], values[b])
        if out and out[-1].direction == direction:  # the same way on: one segment
            a = labels.index(out.pop().start)
        small = min(values[a], values[b]) < SMALL_COUNT
        pct = None if small else 100 * (values[b] - values[a]) / values[a]
        out.append(Segment(labels[a], labels[b], float(values[a]), float(values[b]),
                           direction, pct))
    return out


def shape(periods_: Sequence[str], values: Sequence[float]) -> Shape:
    """The shape of a series of full periods (part years left out by the caller) in
    segments, by the trend rule of this module (see the module docstring).

    Counts whose median is below :data:`SMALL_COUNT` are described by one segment from the
    first to the last value, without a percent change.
    """
    labels = [str(p) for p in periods_]
    y = np.asarray(values, float)
    if len(labels) != len(y):
        raise ParoleError("shape: periods and values differ in length")
    if len(y) < 2 or np.isnan(y).any():
        reason = ("a figure is missing" if np.isnan(y).any() else
                  f"{len(y)} period(s); a shape needs at least 2")
        return Shape((), "not_described", reason, tuple(labels), tuple(y))
    if (y < 0).any():
        raise ParoleError("shape: negative counts")
    knots: list[int] = []
    big = len(y) >= 4 and np.median(y) >= SMALL_COUNT
    if big:
        knots = _knot_indices(np.log(y + 0.5))
    knots = _last_three_knot(y, knots)
    segments = tuple(_segments(labels, y, knots))
    snapped = [labels.index(seg.end) for seg in segments[:-1]]
    return Shape(segments, "described", None, tuple(labels), tuple(y),
                 swings=big and _swings(np.log(y + 0.5), snapped))
