"""Processing times: how long decisions take, with pending cases kept in the picture.

From case records (the ``cases`` table: a DataFrame, a Parquet file or a hive-partitioned
folder; see :mod:`analysis.stats.compact`):

* :func:`survival_table`       the compact table ``(group, duration, events, censored)``
                               computed by the query engine (DuckDB by default, or Spark)
* :func:`kaplan_meier`         the Kaplan-Meier survival curve ("share still waiting") with
                               Greenwood standard errors and log-log pointwise intervals
* :func:`km_quantiles`         median (and other quantiles) of the wait with confidence limits
* :func:`empirical_quantiles`, :func:`ecdf`  the distribution of *decided* cases only
* :func:`logrank`              log-rank test that groups share one wait distribution
* :func:`durations`            one row per case (for checks and small data)

From published aggregates: :func:`published_series` (median and 80th-percentile months by office
and form, ``processing_times`` table) and :func:`backlog_months` (months to clear the pending
queue at the recent completion rate, ``counts`` table).

Why Kaplan-Meier: a pending case has waited *at least* its time so far (it is right-censored,
not missing). Medians of decided cases alone understate waits while a backlog grows.

One quantile rule (:func:`quantile_days`, :func:`median_days`)
---------------------------------------------------------------
The ``p`` quantile of a wait is **the first day by which at least a share p of cases had been
decided**: the smallest observed duration ``t`` with ``1 - S(t) >= p`` (Kaplan-Meier), or with
at least ``p`` of decided cases at or below ``t`` (decided cases only; numpy's
``inverted_cdf``). It is always an observed day, so "half were decided within 20 days" is
literally true. Cases decided on days 10, 20, 30 and 40 have median 20 (two of four decided by
day 20). statsmodels' ``SurvfuncRight.quantile`` uses a strict inequality (it would say 30)
and R's ``survfit`` takes the midpoint 25 when the curve sits exactly on 0.5; neither is used
here. Comparisons allow 1e-10 for floating-point error in the product of the curve.

Estimators: the curve, its at-risk and event counts are computed in numpy from the compact
table (:class:`Survfunc`, the attributes of statsmodels' ``SurvfuncRight``); standard errors are
Greenwood's formula on the frequency counts (statsmodels switches to Tsiatis' formula whenever
weights are given, which suits sampling weights but not frequency counts); quantile limits invert
z-tests on the log-log scale exactly as statsmodels' ``quantile_ci(method="cloglog")``
(Brookmeyer-Crowley). The results equal ``SurvfuncRight`` / ``survdiff`` on the raw records
(see the tests). Neither statsmodels nor scipy is imported for them (scipy only for the
log-rank p-value), so a whole process computing case statistics starts quickly.

``withdrawn`` cases: a withdrawal ends the wait without a decision; by default it is censored
at the withdrawal date (``withdrawn="censor"``); ``"event"`` counts it as a completion and
``"drop"`` leaves it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from analysis.contract import periods
from analysis.contract.statuses import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.stats import compact
from analysis.stats.synthetic import LABEL, is_synthetic, mark

GroupBy = str | Sequence[str] | None
TABLE_COLUMNS = ["group", "duration", "events", "censored"]
#: floating-point allowance when a curve is compared with 1 - p
TOLERANCE = 1e-10


# -- the one quantile rule -----------------------------------------------------------------

def quantile_days(times: Any, survival: Any, p: float) -> float:
    """The ``p`` quantile of a wait: the first of ``times`` (sorted) at which the share
    decided, ``1 - survival``, reaches ``p`` (see the module docstring). NaN when it never
    does. Used by every table and chart in the library."""
    if not 0 < p < 1:
        raise ParoleError(f"quantile {p} outside (0, 1)")
    t = np.asarray(times, dtype=float)
    s = np.asarray(survival, dtype=float)
    hit = np.flatnonzero(s <= 1 - p + TOLERANCE)
    return float(t[hit[0]]) if len(hit) else float("nan")


def median_days(times: Any, survival: Any) -> float:
    """The median wait: :func:`quantile_days` at 0.5 (half decided by that day)."""
    return quantile_days(times, survival, 0.5)


def _label(data: Any, table: pd.DataFrame | None = None) -> bool:
    if table is not None and table.attrs.get("label") == LABEL:
        return True
    return isinstance(data, pd.DataFrame) and is_synthetic(data)


def durations(cases: Any, *, as_of: object = None, by: GroupBy = None,
              withdrawn: str = "censor") -> pd.DataFrame:
    """One row per case: ``group, duration`` (whole days) and ``event`` (1 decided, 0 pending).

    Pending cases, and cases decided after ``as_of``, are censored at ``as_of`` (default: the
    latest receipt or decision date in the data; it is stored in ``attrs["as_of"]``). Raises
    :class:`ParoleError` for a decision before receipt, or a receipt after ``as_of``.
    ``by`` may include ``"fiscal_year"`` (of receipt). The rule is the SQL of
    :func:`analysis.stats.compact.survival_counts`, run row by row.
    """
    out = compact.durations(cases, by, as_of=as_of, withdrawn=withdrawn)
    out.attrs["label"] = LABEL if _label(cases, out) else ""
    return out


def survival_table(cases: Any, *, by: GroupBy = None, as_of: object = None,
                   withdrawn: str = "censor", where: Mapping[str, Any] | None = None,
                   engine: str | None = None) -> pd.DataFrame:
    """The compact table every estimator uses: per group and distinct duration (days), the
    number of ``events`` (decisions) and ``censored`` (pending at ``as_of``) cases.

    ``cases``: a DataFrame, a Parquet file or a hive-partitioned folder; ``where`` filters
    rows in the engine (``{"fiscal_year": [2023, 2024]}``); ``engine``: ``duckdb`` (default)
    or ``spark`` (see :mod:`analysis.stats.compact`).

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)        # SYNTHETIC records
    >>> survival_table(cases, by="basis", as_of="2024-09-30")  # doctest: +SKIP
    """
    out = compact.survival_counts(cases, by, as_of=as_of, withdrawn=withdrawn, where=where,
                                  engine=engine)
    out.attrs["label"] = LABEL if _label(cases, out) else ""
    return out


def _as_table(data: Any, by: GroupBy, as_of: object, withdrawn: str,
              engine: str | None = None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and {"duration", "events", "censored"} <= set(
            data.columns):
        table = data if "group" in data.columns else data.assign(group="all")
        if (table["duration"] < 0).any():
            raise ParoleError("negative durations in the survival table")
        return table
    return survival_table(data, by=by, as_of=as_of, withdrawn=withdrawn, engine=engine)


def _groups(table: pd.DataFrame):
    """The table's groups in order (first appearance keeps the compact table's sort)."""
    return table.groupby("group", sort=False)


def _z(alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


@dataclass
class Survfunc:
    """The Kaplan-Meier curve of one group at its event times: the attributes and
    ``quantile_ci`` of statsmodels' ``SurvfuncRight`` (same names, same results; the tests
    compare them), computed in numpy from the compact table so that neither statsmodels nor
    scipy is imported for it."""

    surv_times: np.ndarray
    n_risk: np.ndarray
    n_events: np.ndarray
    surv_prob: np.ndarray
    surv_prob_se: np.ndarray

    def quantile_ci(self, p: float, alpha: float = 0.05, method: str = "cloglog"):
        """Limits for the ``p`` quantile by inverting z-tests on the log-log scale (SAS
        LIFETEST's method, as statsmodels ``SurvfuncRight.quantile_ci(method="cloglog")``)."""
        if method != "cloglog":
            raise ParoleError(f"quantile_ci method {method!r}: only cloglog")
        s, se = self.surv_prob, self.surv_prob_se
        with np.errstate(all="ignore"):
            r = (np.log(-np.log(s)) - np.log(-np.log(1 - p))) / (-1 / (s * np.log(s)) * se)
        ii = np.flatnonzero(np.abs(r) <= _z(alpha))
        if len(ii) == 0:
            return np.nan, np.nan
        lb = self.surv_times[ii[0]]
        ub = np.inf if ii[-1] == len(self.surv_times) - 1 else self.surv_times[ii[-1] + 1]
        return lb, ub


def survfunc(part: pd.DataFrame) -> Survfunc | None:
    """The Kaplan-Meier curve for one group of a survival table (sorted by duration), with
    Greenwood standard errors on the frequency counts; ``None`` when the group has no
    decision."""
    ev = part["events"].to_numpy(float)
    total = ev + part["censored"].to_numpy(float)
    if ev.sum() == 0:
        return None
    at_risk = total[::-1].cumsum()[::-1]
    keep = ev > 0
    n, d = at_risk[keep], ev[keep]
    s = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.cumsum(np.where(n > d, d / (n * (n - d)), np.nan))
    se = s * np.sqrt(var)
    se[s == 0] = np.nan
    return Survfunc(part["duration"].to_numpy(float)[keep], n, d, s, se)


def kaplan_meier(data: Any, *, by: GroupBy = None, as_of: object = None,
                 alpha: float = 0.05, withdrawn: str = "censor",
                 engine: str | None = None) -> pd.DataFrame:
    """Kaplan-Meier estimate of the share of cases still waiting after each event time.

    ``data`` is cases (DataFrame, Parquet file or folder) or a :func:`survival_table`.
    Columns: ``group, days, at_risk, events, survival, se`` (Greenwood), ``lower, upper``
    (pointwise log-log interval, confidence 1 - ``alpha``), ``decided_share`` (1 - survival),
    ``synthetic, label``. A group with no decisions has no rows here; see
    :func:`km_quantiles` for its reason.

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)        # SYNTHETIC records
    >>> kaplan_meier(cases, by="basis", as_of="2024-09-30")  # doctest: +SKIP
    """
    table = _as_table(data, by, as_of, withdrawn, engine)
    z = _z(alpha)
    parts = []
    for group, part in _groups(table):
        sf = survfunc(part.sort_values("duration"))
        if sf is None:
            continue
        s, se = sf.surv_prob, sf.surv_prob_se
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = z * se / (s * np.log(s))
            lo, hi = s ** np.exp(-theta), s ** np.exp(theta)
        lo = np.where(np.isfinite(lo), lo, np.where(s == 0, 0.0, np.nan))
        hi = np.where(np.isfinite(hi), hi, np.where(s == 0, 0.0, np.nan))
        parts.append(pd.DataFrame({"group": group, "days": sf.surv_times.astype(np.int64),
                                   "at_risk": sf.n_risk.astype(float),
                                   "events": sf.n_events.astype(float),
                                   "survival": s, "se": se, "lower": np.minimum(lo, hi),
                                   "upper": np.maximum(lo, hi), "decided_share": 1 - s}))
    cols = ["group", "days", "at_risk", "events", "survival", "se", "lower", "upper",
            "decided_share"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.attrs["as_of"] = table.attrs.get("as_of")
    return mark(out, _label(data, table))


def km_quantiles(data: Any, *, by: GroupBy = None, probs: Iterable[float] = (0.5, 0.8),
                 as_of: object = None, alpha: float = 0.05, withdrawn: str = "censor",
                 engine: str | None = None) -> pd.DataFrame:
    """Quantiles of the wait (days) from Kaplan-Meier, with confidence limits.

    The ``p`` quantile follows :func:`quantile_days` (first day with at least ``p`` decided);
    limits are statsmodels' ``quantile_ci`` (inverted z-tests on the log-log scale). Columns:
    ``group, quantile, days, lower, upper, n, events, censored, status, reason, note, as_of``.
    ``status`` is ``estimated`` or ``not_estimable`` (all cases pending; the quantile not
    reached while cases are still waiting); an upper limit not reached is explained in
    ``note``.

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)        # SYNTHETIC records
    >>> km_quantiles(cases, by="basis", probs=[0.5, 0.8], as_of="2024-09-30")  # doctest: +SKIP
    """
    table = _as_table(data, by, as_of, withdrawn, engine)
    rows = []
    probs = list(probs)
    for p in probs:
        if not 0 < p < 1:
            raise ParoleError(f"quantile {p} outside (0, 1)")
    for group, part in _groups(table):
        part = part.sort_values("duration")
        n = int(part["events"].sum() + part["censored"].sum())
        ev = int(part["events"].sum())
        sf = survfunc(part)
        for p in probs:
            row = {"group": group, "quantile": p, "n": n, "events": ev, "censored": n - ev,
                   "days": np.nan, "lower": np.nan, "upper": np.nan, "note": None}
            if n == 0:
                row.update(status="not_estimable", reason="empty group: no cases")
            elif sf is None:
                row.update(status="not_estimable",
                           reason=f"all {n} cases are pending (censored): no decision observed")
            else:
                days = quantile_days(sf.surv_times, sf.surv_prob, p)
                if np.isnan(days):
                    row.update(status="not_estimable",
                               reason=(f"not reached: {1 - sf.surv_prob[-1]:.1%} decided by "
                                       f"day {int(part['duration'].max())}, fewer than {p:.0%}"))
                else:
                    with np.errstate(all="ignore"):
                        lo, hi = sf.quantile_ci(p, alpha=alpha, method="cloglog")
                    row.update(days=days, lower=float(lo), status="estimated", reason=None,
                               upper=float(hi) if np.isfinite(hi) else np.nan)
                    if not np.isfinite(hi):
                        row["note"] = ("upper confidence limit not reached within the "
                                       "observed follow-up")
            rows.append(row)
    cols = ["group", "quantile", "days", "lower", "upper", "n", "events", "censored", "status",
            "reason", "note"]
    out = pd.DataFrame(rows, columns=cols)
    for col in ("days", "lower", "upper"):
        out[col] = out[col].astype(float)
    out["as_of"] = table.attrs.get("as_of")
    out["method"] = "kaplan-meier"
    return mark(out, _label(data, table))


def _decided_steps(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Durations with decisions, the share of decided cases at or below each, and the
    number decided."""
    done = part[part["events"] > 0].sort_values("duration")
    k = done["events"].to_numpy(float)
    total = int(k.sum())
    share = np.cumsum(k) / total if total else k
    return done["duration"].to_numpy(), share, total


def empirical_quantiles(cases: Any, *, by: GroupBy = None,
                        probs: Iterable[float] = (0.5, 0.8), as_of: object = None,
                        withdrawn: str = "censor", engine: str | None = None) -> pd.DataFrame:
    """Quantiles (days) of the decision times of *decided* cases only, by the one rule of
    :func:`quantile_days` (numpy ``inverted_cdf``: the smallest time with at least ``p`` of
    decided cases at or below it).

    ``note`` says how many pending cases were left out: with a growing backlog these
    quantiles understate waits; prefer :func:`km_quantiles`.

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)        # SYNTHETIC records
    >>> empirical_quantiles(cases, by="basis", probs=[0.5])  # doctest: +SKIP
    """
    table = _as_table(cases, by, as_of, withdrawn, engine)
    rows = []
    for group, part in _groups(table):
        times, share, n_done = _decided_steps(part)
        pending = int(part["censored"].sum())
        for p in probs:
            row = {"group": group, "quantile": p, "n_decided": n_done, "n_pending": pending,
                   "note": (f"decided cases only; {pending} pending case(s) left out"
                            if pending else "decided cases only")}
            if n_done == 0:
                row.update(days=np.nan, status="not_estimable",
                           reason="no decided cases in the group")
            else:
                row.update(days=quantile_days(times, 1 - share, p), status="estimated",
                           reason=None)
            rows.append(row)
    cols = ["group", "quantile", "days", "n_decided", "n_pending", "status", "reason", "note"]
    out = pd.DataFrame(rows, columns=cols)
    out["days"] = out["days"].astype(float)
    out["method"] = "empirical"
    return mark(out, _label(cases, table))


def ecdf(cases: Any, *, by: GroupBy = None, as_of: object = None,
         withdrawn: str = "censor", engine: str | None = None) -> pd.DataFrame:
    """Empirical distribution of decision times of decided cases: ``group, days, n_decided,
    ecdf`` (share of decided cases decided within ``days``)."""
    table = _as_table(cases, by, as_of, withdrawn, engine)
    parts = []
    for group, part in _groups(table):
        times, share, n_done = _decided_steps(part)
        if n_done:
            parts.append(pd.DataFrame({"group": group, "days": times, "n_decided": n_done,
                                       "ecdf": share}))
    cols = ["group", "days", "n_decided", "ecdf"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return mark(out, _label(cases, table))


def logrank(data: Any, *, by: GroupBy = None, as_of: object = None,
            withdrawn: str = "censor", engine: str | None = None) -> pd.DataFrame:
    """Log-rank test that all groups share one wait distribution (as statsmodels
    ``survdiff``, computed on the survival table). One row: ``groups, chisq, df, p_value,
    status, reason``.

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)        # SYNTHETIC records
    >>> logrank(cases, by="basis", as_of="2024-09-30")  # doctest: +SKIP
    """
    table = _as_table(data, by, as_of, withdrawn, engine)
    synthetic = _label(data, table)
    names = list(dict.fromkeys(table["group"]))
    base = {"groups": ", ".join(map(str, names)), "df": len(names) - 1, "chisq": np.nan,
            "p_value": np.nan, "test": "log-rank"}
    if len(names) < 2:
        row = {**base, "status": "not_estimable", "reason": "fewer than two groups"}
        return mark(pd.DataFrame([row]), synthetic)
    times = np.sort(table["duration"].unique())
    tot = (table.assign(n=table["events"] + table["censored"])
           .pivot_table(index="duration", columns="group", values="n", aggfunc="sum")
           .reindex(index=times, columns=names).fillna(0).to_numpy().T)
    evs = (table.pivot_table(index="duration", columns="group", values="events", aggfunc="sum")
           .reindex(index=times, columns=names).fillna(0).to_numpy().T)
    nrisk = np.cumsum(tot[:, ::-1], axis=1)[:, ::-1]
    obs = evs.sum(axis=0)
    nrisk_tot = nrisk.sum(axis=0)
    ix = nrisk_tot > 1
    if obs.sum() == 0:
        row = {**base, "status": "not_estimable", "reason": "no decisions in any group"}
        return mark(pd.DataFrame([row]), synthetic)
    r = nrisk / np.clip(nrisk_tot, 1e-10, None)
    k = len(names) - 1
    oe = (evs[1:] - r[1:] * obs)[:, ix].sum(axis=1)
    scal = (obs * (nrisk_tot - obs) / np.clip(nrisk_tot - 1, 1e-10, None))[ix]
    rr = r[1:, ix]
    var = np.einsum("it,t->i", rr, scal)
    cov = -np.einsum("it,jt,t->ij", rr, rr, scal)
    cov[np.diag_indices(k)] += var
    try:
        stat = float(oe @ np.linalg.solve(cov, oe))
    except np.linalg.LinAlgError:
        row = {**base, "status": "not_estimable", "reason": "singular variance (a group has "
               "no one at risk at any event time)"}
        return mark(pd.DataFrame([row]), synthetic)
    row = {**base, "chisq": stat, "p_value": _chi2_sf(stat, k), "status": "estimated",
           "reason": None}
    return mark(pd.DataFrame([row]), synthetic)


def _chi2_sf(stat: float, k: int) -> float:
    from scipy.stats import chi2  # imported only for the log-rank test

    return float(chi2.sf(stat, k))


def published_series(processing_times: pd.DataFrame, *,
                     statistics: Iterable[str] = ("median", "p80"), form: str | None = None,
                     office: str | None = None) -> pd.DataFrame:
    """The published median and 80th-percentile series by office and form, in date order.

    Rows from a ``processing_times`` table; ``as_of`` is the day the figure stands for: the
    publication date of a page capture, else the end of ``period`` (``date`` is the same, kept
    for older callers). Rows with no value keep their ``status`` and ``note`` (never filled in).

    >>> from analysis import load_processing_times              # doctest: +SKIP
    >>> published_series(load_processing_times(), form="I-131")  # doctest: +SKIP
    """
    needed = {"statistic", "months", "status", "geo_code", "form"}
    missing = needed - set(processing_times.columns)
    if missing:
        raise ParoleError(f"processing_times lacks column(s) {', '.join(sorted(missing))}")
    df = processing_times[processing_times["statistic"].isin(list(statistics))].copy()
    if form is not None:
        df = df[df["form"] == form]
    if office is not None:
        df = df[df["geo_code"] == office]
    def _date(row) -> pd.Timestamp:
        if pd.notna(row.get("as_of")):
            return pd.Timestamp(row["as_of"])
        if pd.notna(row.get("period")):
            return pd.Timestamp(periods.parse(row["period"]).end)
        return pd.NaT

    df["as_of"] = [_date(r) for r in df.to_dict("records")] if len(df) else pd.Series(
        dtype="datetime64[ns]")
    df["date"] = df["as_of"]
    keep = ["form", "subtype", "geo_level", "geo_code", "geo_name", "as_of", "date", "period",
            "statistic", "months", "status", "note", "source_file", "source_locator", "citation"]
    df = df[[c for c in keep if c in df.columns]].sort_values(
        [c for c in ("form", "subtype", "geo_code", "statistic", "as_of") if c in df.columns])
    return mark(df.reset_index(drop=True), is_synthetic(processing_times))


def backlog_months(counts: pd.DataFrame, *, quarters: int = 4,
                   by: Sequence[str] = ("form", "category", "geo_code")) -> pd.DataFrame:
    """Months to clear the pending queue at the recent completion rate.

    From quarterly ``counts`` rows (periods ``FY2024-Q3``): pending at the latest quarter
    divided by the mean monthly completions over the last ``quarters`` quarters (completions
    are the ``completed`` measure when published, else approved + denied, which leaves out
    other closures). Every input is shown: ``pending``, ``pending_period``, ``periods_used``,
    ``completions`` (per quarter), ``completions_measure``, ``mean_monthly_completions``.
    Suppressed or missing inputs, too few quarters, or no completions make the row
    ``not_estimable`` with the reason. This is a queue-length measure, not a wait a new
    applicant will see.
    """
    if quarters < 1:
        raise ParoleError("quarters must be 1 or more")
    q = counts[counts["period"].astype(str).str.fullmatch(r"FY\d{4}-Q[1-4]")].copy()
    keys = [k for k in by if k in q.columns]
    rows = []
    if q.empty:
        raise ParoleError("no quarterly rows (periods like FY2024-Q3) in the counts table")
    q["_key"] = q[keys].astype(str).agg(" | ".join, axis=1) if keys else "all"
    for _, part in q.groupby("_key", sort=True):
        first = part.iloc[0]
        row = {k: first[k] for k in keys}
        pend = part[(part["measure"] == "pending")].sort_values("period_start")
        measure = "completed" if part["measure"].eq("completed").any() else "approved+denied"
        row.update(completions_measure=measure, months=np.nan, mean_monthly_completions=np.nan,
                   pending=np.nan, pending_period=None, periods_used=None, completions=None)
        if pend.empty:
            rows.append({**row, "status": "not_estimable", "reason": "no pending count"})
            continue
        last = pend.iloc[-1]
        row.update(pending=last["value"], pending_period=last["period"])
        if last["status"] not in VALUED_STATUSES:
            rows.append({**row, "status": "not_estimable",
                         "reason": f"pending count is {last['status']}"})
            continue
        labels = periods.previous_quarters(last["period"], quarters)
        parts_needed = ["completed"] if measure == "completed" else ["approved", "denied"]
        done = part[part["measure"].isin(parts_needed) & part["period"].isin(labels)]
        row["periods_used"] = ", ".join(labels)
        have = done.groupby("period")["measure"].nunique()
        short = [lab for lab in labels if have.get(lab, 0) < len(parts_needed)]
        if short:
            rows.append({**row, "status": "not_estimable",
                         "reason": "completions missing for " + ", ".join(short)})
            continue
        bad = done[~done["status"].isin(VALUED_STATUSES)]
        if not bad.empty:
            rows.append({**row, "status": "not_estimable",
                         "reason": "completions not published as numbers: "
                                   + ", ".join(f"{r.period} {r.measure} {r.status}"
                                               for r in bad.itertuples())})
            continue
        per_q = done.groupby("period")["value"].sum().reindex(labels)
        mean_monthly = float(per_q.sum()) / (3 * quarters)
        row.update(completions=", ".join(f"{lab}: {v:g}" for lab, v in per_q.items()),
                   mean_monthly_completions=mean_monthly)
        if mean_monthly == 0:
            rows.append({**row, "status": "not_estimable",
                         "reason": "no completions in the period: the queue does not clear"})
            continue
        rows.append({**row, "months": float(last["value"]) / mean_monthly, "status": "estimated",
                     "reason": None})
    out = pd.DataFrame(rows)
    return mark(out, is_synthetic(counts))
