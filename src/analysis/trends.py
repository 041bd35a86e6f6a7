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
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from . import periods
from .errors import ParoleError
from .shares import _method, interval, shares_from_counts
from .synthetic import is_synthetic, mark

FAMILIES = ("quasi-poisson", "poisson", "negative-binomial")
MIN_PERIODS = 3


def _period_labels(dates: pd.Series, freq: str) -> pd.Series:
    if freq not in ("FY", "quarter"):
        raise ParoleError(f"freq={freq!r}: expected FY or quarter")
    p = pd.PeriodIndex(pd.to_datetime(dates), freq="Q-SEP")
    codes, uniq = pd.factorize(p)
    names = [f"FY{u.qyear}" if freq == "FY" else f"FY{u.qyear}-Q{u.quarter}" for u in uniq]
    return pd.Series(np.asarray(names, dtype=object)[codes], index=dates.index)


def _all_periods(first: str, last: str, freq: str) -> list[str]:
    a, b = periods.parse(first), periods.parse(last)
    qa = pd.Period(pd.Timestamp(a.start), freq="Q-SEP")
    qb = pd.Period(pd.Timestamp(b.start), freq="Q-SEP")
    labels = []
    q = qa
    while q <= qb:
        lab = f"FY{q.qyear}" if freq == "FY" else f"FY{q.qyear}-Q{q.quarter}"
        if lab not in labels:
            labels.append(lab)
        q += 1
    return labels


def counts_by_period(cases: pd.DataFrame, *, freq: str = "FY", by: str | None = None,
                     date_col: str = "received_date", as_of: object = None) -> pd.DataFrame:
    """Number of cases per fiscal year or quarter of ``date_col`` (receipt by default).

    Periods with no cases between the first and last are listed with count 0 (in complete
    records that is a real zero). ``exposure`` is the share of each period covered up to
    ``as_of`` (default: the latest date in ``date_col``), so a current, partial year is not
    read as a drop; ``complete`` says whether the period is fully covered.
    Columns: ``group, period, period_start, fiscal_year, count, exposure, complete``.
    """
    if date_col not in cases.columns:
        raise ParoleError(f"cases have no column {date_col!r}")
    dates = pd.to_datetime(cases[date_col])
    keep = dates.notna()
    if not keep.any():
        raise ParoleError(f"no dates in {date_col!r}")
    dates = dates[keep]
    stop = pd.Timestamp(as_of) if as_of is not None else dates.max()
    if (dates > stop).any():
        raise ParoleError(f"{int((dates > stop).sum())} date(s) after as_of {stop.date()}")
    labels = _period_labels(dates, freq)
    group = (cases.loc[keep, by].astype(object).where(cases.loc[keep, by].notna(), "(missing)")
             .astype(str) if by else pd.Series("all", index=dates.index))
    counts = pd.DataFrame({"group": group, "period": labels}).value_counts()
    first = min(labels.unique(), key=lambda s: periods.parse(s).start)
    last_label = _period_labels(pd.Series([stop]), freq).iloc[0]
    span = _all_periods(first, last_label, freq)
    rows = []
    for g in sorted(group.unique()):
        for lab in span:
            per = periods.parse(lab)
            start, end = pd.Timestamp(per.start), pd.Timestamp(per.end)
            covered = (min(stop, end) - start).days + 1
            total = (end - start).days + 1
            rows.append({"group": g, "period": lab, "period_start": start,
                         "fiscal_year": per.fiscal_year,
                         "count": int(counts.get((g, lab), 0)),
                         "exposure": max(covered, 0) / total, "complete": covered >= total})
    out = pd.DataFrame(rows)
    out.attrs["as_of"] = str(stop.date())
    return mark(out, is_synthetic(cases))


def _direction(lower: float, upper: float) -> str:
    if lower > 0:
        return "rising"
    if upper < 0:
        return "falling"
    return "no clear trend"


def _fit(y: np.ndarray, t: np.ndarray, exposure: np.ndarray, family: str,
         alpha: float) -> dict[str, float]:
    X = sm.add_constant(t)
    offset = np.log(exposure)
    if family == "negative-binomial":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.NegativeBinomial(y, X, offset=offset).fit(disp=0, maxiter=200)
        b, (lo, hi) = res.params[1], res.conf_int(alpha)[1]
        note = None if res.mle_retvals.get("converged", True) else (
            "negative-binomial fit did not fully converge (dispersion near 0: Poisson-like "
            "counts); compare with family='quasi-poisson'")
        return {"b": b, "lo": lo, "hi": hi, "p": res.pvalues[1],
                "dispersion": float(res.params[-1]), "note": note}
    with warnings.catch_warnings():
        # an exact fit (identical counts) is fine here: the slope is 0 with a tiny interval
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        res = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    dispersion = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else np.nan
    if family == "quasi-poisson" and np.isfinite(dispersion) and dispersion > 1:
        res = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit(scale=dispersion)
    ci = np.asarray(res.conf_int(alpha))[1]
    return {"b": res.params[1], "lo": ci[0], "hi": ci[1], "p": res.pvalues[1],
            "dispersion": dispersion, "note": None}


def trend(table: pd.DataFrame, *, value: str | None = None, by: str | None = "group",
          family: str = "quasi-poisson", alpha: float = 0.05) -> pd.DataFrame:
    """Percent change per year in counts, with its interval and a plain-language label.

    ``table`` has a ``period`` column (one kind of label: all fiscal years, or all quarters)
    and counts in ``value`` (default ``count`` from :func:`counts_by_period`, or ``value``
    from a ``counts`` table, where a ``status`` other than a number makes the group
    ``not_estimable``). An ``exposure`` column, when present, is used as an offset.
    Columns: ``group, family, n_periods, first_period, last_period, pct_change_per_year,
    lower, upper, p_value, dispersion, direction, status, reason, note, confidence``.
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
        spans = [periods.parse(p) for p in part["period"]]
        part = part.assign(_start=[pd.Timestamp(s.start) for s in spans]).sort_values("_start")
        row = {"group": g, "family": family, "n_periods": len(part),
               "first_period": part["period"].iloc[0] if len(part) else None,
               "last_period": part["period"].iloc[-1] if len(part) else None,
               "pct_change_per_year": np.nan, "lower": np.nan, "upper": np.nan,
               "p_value": np.nan, "dispersion": np.nan, "direction": None,
               "confidence": 1 - alpha, "note": None}
        y = pd.to_numeric(part[col], errors="coerce")
        if "status" in part.columns:
            unusable = ~part["status"].isin(["reported", "zero", "rounded", "estimated"])
        else:
            unusable = y.isna()
        if part["period"].duplicated().any():
            raise ParoleError(f"group {g!r} has several rows for one period; filter first")
        if unusable.any():
            rows.append({**row, "status": "not_estimable",
                         "reason": "counts without a value (suppressed or not available) in "
                                   + ", ".join(part.loc[unusable, "period"])})
            continue
        if len(part) < MIN_PERIODS:
            rows.append({**row, "status": "not_estimable",
                         "reason": f"{len(part)} period(s); a trend needs at least "
                                   f"{MIN_PERIODS}"})
            continue
        if (y < 0).any():
            raise ParoleError(f"negative counts in group {g!r}")
        if y.sum() == 0:
            rows.append({**row, "status": "not_estimable", "reason": "all counts are 0"})
            continue
        t = ((part["_start"] - part["_start"].iloc[0]).dt.days / 365.25).to_numpy()
        exposure = (part["exposure"].to_numpy(float) if "exposure" in part.columns
                    else np.ones(len(part)))
        if (exposure <= 0).any():
            raise ParoleError(f"group {g!r} has a period with zero exposure")
        try:
            fit = _fit(y.to_numpy(float), t, exposure, family, alpha)
        except (np.linalg.LinAlgError, ValueError) as exc:
            rows.append({**row, "status": "not_estimable", "reason": f"model failed: {exc}"})
            continue
        if not all(np.isfinite([fit["b"], fit["lo"], fit["hi"]])):
            rows.append({**row, "status": "not_estimable",
                         "reason": "model did not give a finite estimate"})
            continue
        pct = 100 * np.expm1([fit["b"], fit["lo"], fit["hi"]])
        rows.append({**row, "pct_change_per_year": pct[0], "lower": pct[1], "upper": pct[2],
                     "p_value": float(fit["p"]), "dispersion": fit["dispersion"],
                     "direction": _direction(pct[1], pct[2]), "status": "estimated", "reason": None,
                     "note": fit["note"]})
    return mark(pd.DataFrame(rows), is_synthetic(table))


def outcome_shares(cases: pd.DataFrame, *, freq: str = "FY", by: str | None = None,
                   method: str = "wilson", alpha: float = 0.05,
                   outcomes: Sequence[str] = ("approved", "denied")) -> pd.DataFrame:
    """Approval and denial shares of completions per period (of the decision date).

    Completions are decided cases (approved, denied, withdrawn). Columns: ``group, period,
    outcome, numerator, denominator, estimate, lower, upper, method, confidence, status,
    reason``. A period with no completions is ``not_estimable``.
    """
    meth = _method(method)
    done = cases[cases["outcome"].isin(["approved", "denied", "withdrawn"])
                 & cases["decided_date"].notna()]
    labels = _period_labels(pd.to_datetime(done["decided_date"]), freq)
    group = (done[by].astype(object).where(done[by].notna(), "(missing)").astype(str) if by
             else pd.Series("all", index=done.index))
    tab = pd.DataFrame({"group": group, "period": labels, "outcome": done["outcome"]})
    size = tab.groupby(["group", "period"]).size()
    hits = tab.groupby(["group", "period", "outcome"]).size()
    rows = []
    for (g, per), n in size.items():
        for oc in outcomes:
            k = int(hits.get((g, per, oc), 0))
            lo, hi = interval(k, n, method=meth, alpha=alpha)
            rows.append({"group": g, "period": per, "outcome": oc, "numerator": float(k),
                         "denominator": float(n), "estimate": k / n, "lower": float(lo),
                         "upper": float(hi), "method": meth, "confidence": 1 - alpha,
                         "status": "estimated", "reason": None})
    cols = ["group", "period", "outcome", "numerator", "denominator", "estimate", "lower",
            "upper", "method", "confidence", "status", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    if not out.empty:
        out["_start"] = [periods.parse(p).start for p in out["period"]]
        out = out.sort_values(["group", "_start", "outcome"]).drop(columns="_start")
    return mark(out.reset_index(drop=True), is_synthetic(cases))


def outcome_shares_from_counts(counts: pd.DataFrame, *, method: str = "wilson",
                               alpha: float = 0.05, threshold: float = 10.0) -> pd.DataFrame:
    """Approval and denial shares of approved + denied per period from a ``counts`` table
    (one form, category and place), suppressed cells as bounds (see
    :func:`analysis.shares.shares_from_counts`). ``group`` is the measure."""
    rows = counts[counts["measure"].isin(["approved", "denied"])]
    if rows.empty:
        raise ParoleError("no approved or denied rows in the counts table")
    parts = []
    for per, part in rows.groupby("period", sort=False):
        res = shares_from_counts(part, by="measure", method=method, alpha=alpha,
                                 threshold=threshold)
        res.insert(1, "period", per)
        parts.append(res)
    out = pd.concat(parts, ignore_index=True)
    out["_start"] = [periods.parse(p).start for p in out["period"]]
    out = out.sort_values(["_start", "group"]).drop(columns="_start").reset_index(drop=True)
    return mark(out, is_synthetic(counts))
