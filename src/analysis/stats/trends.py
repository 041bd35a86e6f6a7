"""Trends: counts by fiscal year or quarter, their rate of change, and outcome shares.

* :func:`counts_by_period`   cases per fiscal year (``FY2023``) or quarter (``FY2023-Q2``)
* :func:`trend`              a count regression on time, as percent change per year with its
                             interval and a plain-language label
* :func:`outcome_shares`     approval and denial shares of completions, with intervals

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
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from analysis.contract import periods
from analysis.contract.schemas import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.stats import compact
from analysis.stats.shares import _method, interval, shares_over_time
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
    if family not in FAMILIES:
        raise ParoleError(f"family={family!r}: expected one of {', '.join(FAMILIES)}")
    if part_years not in ("exclude", "offset"):
        raise ParoleError(f"part_years={part_years!r}: expected exclude or offset")
    col = value or ("count" if "count" in table.columns else "value")
    for need in ("period", col):
        if need not in table.columns:
            raise ParoleError(f"trend needs a {need!r} column")
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
        seen = dict(zip(band["period"], band["observed"], strict=True))
        labels = list(dict.fromkeys(str(p) for p in at))
        band = pd.DataFrame({"period": labels,
                             "period_start": [pd.Timestamp(periods.parse(p).start)
                                              for p in labels],
                             "observed": [seen.get(p, np.nan) for p in labels], "used": False,
                             "fitted": np.nan, "lower": np.nan, "upper": np.nan})
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
    if "status" in part.columns:
        unusable = ~part["status"].isin(VALUED_STATUSES)
    else:
        unusable = y.isna()
    if unusable.any():
        return done("not_estimable", "counts without a value (suppressed or not available) "
                    "in " + ", ".join(part.loc[unusable, "period"]))
    if len(part) < MIN_PERIODS:
        return done("not_estimable", f"{len(part)} period(s); a trend needs at least "
                                     f"{MIN_PERIODS}")
    if (y < 0).any():
        raise ParoleError(f"negative counts in group {group!r}")
    if y.sum() == 0:
        return done("not_estimable", "all counts are 0")
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
    # the band: fitted mean count of a whole period, with its interval, from the same fit
    X = np.column_stack([np.ones(len(band)),
                         ((pd.to_datetime(band["period_start"]) - origin).dt.days
                          / 365.25).to_numpy()])
    eta = X @ fit["params"]
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, fit["cov"], X))
    z = norm.ppf(1 - alpha / 2)
    band["fitted"], band["lower"], band["upper"] = (np.exp(eta), np.exp(eta - z * se),
                                                    np.exp(eta + z * se))
    band["used"] = band["period"].isin(part["period"]).to_numpy()
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
    meth = _method(method)
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
