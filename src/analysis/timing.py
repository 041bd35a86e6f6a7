"""Processing times: how long decisions take, with pending cases kept in the picture.

From case records (the ``cases`` table):

* :func:`durations`            days from receipt to decision, or to ``as_of`` for pending cases
* :func:`survival_table`       the compact table ``(group, duration, events, censored)``
* :func:`kaplan_meier`         the Kaplan-Meier survival curve ("share still waiting") with
                               Greenwood standard errors and log-log pointwise intervals
* :func:`km_quantiles`         median (and other quantiles) of the wait with confidence limits
* :func:`empirical_quantiles`, :func:`ecdf`  the distribution of *decided* cases only
* :func:`logrank`              log-rank test that groups share one wait distribution

From published aggregates: :func:`published_series` (median and 80th-percentile months by office
and form, ``processing_times`` table) and :func:`backlog_months` (months to clear the pending
queue at the recent completion rate, ``counts`` table).

Why Kaplan-Meier: a pending case has waited *at least* its time so far (it is right-censored,
not missing). Medians of decided cases alone understate waits while a backlog grows.

Large data: every estimator here works on :func:`survival_table`, a few thousand rows per group
(one per distinct duration), built from millions of records with one ``bincount``. The
results equal statsmodels ``SurvfuncRight`` / ``survdiff`` on the raw records (see the tests).

``withdrawn`` cases: a withdrawal ends the wait without a decision; by default it is censored
at the withdrawal date (``withdrawn="censor"``); ``"event"`` counts it as a completion and
``"drop"`` leaves it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from .errors import ParoleError
from .shares import group_codes
from .synthetic import is_synthetic, mark

GroupBy = str | Sequence[str] | None
TABLE_COLUMNS = ["group", "duration", "events", "censored"]


def _by_list(by: GroupBy) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _group_codes(cases: pd.DataFrame, by: GroupBy) -> tuple[np.ndarray, list[str]]:
    cols = _by_list(by)
    frame = {}
    for col in cols:
        if col == "fiscal_year" and col not in cases.columns:
            frame[col] = _fiscal_year(cases["received_date"])
        elif col not in cases.columns:
            raise ParoleError(f"cases have no column {col!r}")
        else:
            frame[col] = cases[col]
    return group_codes(pd.DataFrame(frame, index=cases.index), cols)


def _fiscal_year(dates: pd.Series) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d.dt.year + (d.dt.month >= 10).astype(int)).astype("int64")


def durations(cases: pd.DataFrame, *, as_of: object = None, by: GroupBy = None,
              withdrawn: str = "censor") -> pd.DataFrame:
    """One row per case: ``group, duration`` (whole days) and ``event`` (1 decided, 0 pending).

    Pending cases, and cases decided after ``as_of``, are censored at ``as_of`` (default: the
    latest receipt or decision date in the data; it is stored in ``attrs["as_of"]``). Raises
    :class:`ParoleError` for a decision before receipt, or a receipt after ``as_of``.
    ``by`` may include ``"fiscal_year"`` (of receipt).
    """
    if withdrawn not in ("censor", "event", "drop"):
        raise ParoleError(f"withdrawn={withdrawn!r}: expected censor, event or drop")
    for col in ("received_date", "decided_date", "outcome"):
        if col not in cases.columns:
            raise ParoleError(f"cases have no column {col!r}")
    if withdrawn == "drop":
        cases = cases[cases["outcome"] != "withdrawn"]
    received = pd.to_datetime(cases["received_date"]).to_numpy("datetime64[D]")
    decided = pd.to_datetime(cases["decided_date"]).to_numpy("datetime64[D]")
    if np.isnat(received).any():
        raise ParoleError(f"{int(np.isnat(received).sum())} case(s) have no received_date")
    if as_of is None:
        latest = [x for x in (received.max() if len(received) else None,
                              np.nanmax(decided) if (~np.isnat(decided)).any() else None)
                  if x is not None]
        if not latest:
            raise ParoleError("no cases: cannot compute durations")
        stop = max(latest)
    else:
        stop = np.datetime64(pd.Timestamp(as_of).date(), "D")
    late = received > stop
    if late.any():
        raise ParoleError(f"{int(late.sum())} case(s) received after as_of {stop}: "
                          "choose a later as_of or filter them out")
    neg = ~np.isnat(decided) & (decided < received)
    if neg.any():
        first = cases.index[np.flatnonzero(neg)[0]]
        raise ParoleError(f"{int(neg.sum())} case(s) decided before received (negative "
                          f"duration), first at row {first}")
    oc_codes, oc_names = pd.factorize(cases["outcome"])
    not_event = [i for i, name in enumerate(oc_names)
                 if name == "pending" or (withdrawn == "censor" and name == "withdrawn")]
    decided_by_stop = ~np.isnat(decided) & (decided <= stop)
    event = decided_by_stop & ~np.isin(oc_codes, not_event)
    end = np.where(decided_by_stop, decided, stop)
    days = (end - received).astype(np.int64)
    codes, names = _group_codes(cases, by)
    out = pd.DataFrame({"group": pd.Categorical.from_codes(codes, names), "duration": days,
                        "event": event.astype(np.int8)}, index=cases.index)
    out.attrs["as_of"] = str(stop)
    return _carry(out, cases)


def _carry(out: pd.DataFrame, src: pd.DataFrame) -> pd.DataFrame:
    out.attrs["label"] = "SYNTHETIC" if is_synthetic(src) else ""
    return out


def survival_table(cases: pd.DataFrame, *, by: GroupBy = None, as_of: object = None,
                   withdrawn: str = "censor") -> pd.DataFrame:
    """The compact table every estimator uses: per group and distinct duration (days), the
    number of ``events`` (decisions) and ``censored`` (pending at ``as_of``) cases."""
    d = durations(cases, as_of=as_of, by=by, withdrawn=withdrawn)
    codes, names = d["group"].cat.codes.to_numpy(), d["group"].cat.categories
    dur = d["duration"].to_numpy()
    width = int(dur.max()) + 1 if len(dur) else 1
    key = codes.astype(np.int64) * width + dur
    size = len(names) * width
    total = np.bincount(key, minlength=size)
    events = np.bincount(key, weights=d["event"].to_numpy(), minlength=size).astype(np.int64)
    nz = np.flatnonzero(total)
    out = pd.DataFrame({"group": np.asarray(names, dtype=object)[nz // width],
                        "duration": (nz % width).astype(np.int64),
                        "events": events[nz], "censored": total[nz] - events[nz]})
    out.attrs.update(d.attrs)
    return out


def _as_table(data: pd.DataFrame, by: GroupBy, as_of: object, withdrawn: str) -> pd.DataFrame:
    if {"duration", "events", "censored"} <= set(data.columns):
        table = data if "group" in data.columns else data.assign(group="all")
        if (table["duration"] < 0).any():
            raise ParoleError("negative durations in the survival table")
        return table
    return survival_table(data, by=by, as_of=as_of, withdrawn=withdrawn)


def _km_one(dur: np.ndarray, ev: np.ndarray, cen: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan-Meier at the event times of one group (arrays sorted by duration)."""
    total = ev + cen
    at_risk = np.cumsum(total[::-1])[::-1].astype(float)
    keep = ev > 0
    n, d, t = at_risk[keep], ev[keep].astype(float), dur[keep]
    step = np.clip(1 - d / n, 0, None)
    surv = np.cumprod(step)
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.cumsum(np.where(n > d, d / (n * (n - d)), np.nan))
    se = surv * np.sqrt(gw)
    se[surv == 0] = np.nan
    return {"days": t, "at_risk": n, "events": d, "survival": surv, "se": se}


def kaplan_meier(data: pd.DataFrame, *, by: GroupBy = None, as_of: object = None,
                 alpha: float = 0.05, withdrawn: str = "censor") -> pd.DataFrame:
    """Kaplan-Meier estimate of the share of cases still waiting after each event time.

    ``data`` is a ``cases`` frame or a :func:`survival_table`. Columns: ``group, days,
    at_risk, events, survival, se`` (Greenwood), ``lower, upper`` (pointwise log-log interval,
    confidence 1 - ``alpha``), ``decided_share`` (1 - survival), ``synthetic, label``.
    A group with no decisions has no rows here; see :func:`km_quantiles` for its reason.
    """
    table = _as_table(data, by, as_of, withdrawn)
    z = norm.ppf(1 - alpha / 2)
    parts = []
    for group, part in table.groupby("group", sort=True):
        part = part.sort_values("duration")
        res = _km_one(part["duration"].to_numpy(), part["events"].to_numpy(),
                      part["censored"].to_numpy())
        s, se = res["survival"], res["se"]
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = z * se / (s * np.log(s))
            lo, hi = s ** np.exp(-theta), s ** np.exp(theta)
        lo = np.where(np.isfinite(lo), lo, np.where(s == 0, 0.0, np.nan))
        hi = np.where(np.isfinite(hi), hi, np.where(s == 0, 0.0, np.nan))
        parts.append(pd.DataFrame({"group": group, "days": res["days"],
                                   "at_risk": res["at_risk"], "events": res["events"],
                                   "survival": s, "se": se, "lower": np.minimum(lo, hi),
                                   "upper": np.maximum(lo, hi), "decided_share": 1 - s}))
    cols = ["group", "days", "at_risk", "events", "survival", "se", "lower", "upper",
            "decided_share"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.attrs["as_of"] = table.attrs.get("as_of")
    return mark(out, _synthetic(data))


def _synthetic(data: pd.DataFrame) -> bool:
    return is_synthetic(data)


def _quantile_ci(t: np.ndarray, s: np.ndarray, se: np.ndarray, p: float,
                 alpha: float) -> tuple[float, float, bool]:
    """Brookmeyer-Crowley limits by inverting z-tests on the cloglog scale, as statsmodels
    ``SurvfuncRight.quantile_ci`` does; returns ``(lower, upper, upper_reached)``."""
    tr = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.log(-np.log(s))
        gp = -1 / (s * np.log(s))
        r = (g - np.log(-np.log(1 - p))) / (gp * se)
    ii = np.flatnonzero(np.abs(r) <= tr)
    if len(ii) == 0:
        return np.nan, np.nan, False
    lb = float(t[ii[0]])
    if ii[-1] == len(t) - 1:
        return lb, np.nan, False
    return lb, float(t[ii[-1] + 1]), True


def km_quantiles(data: pd.DataFrame, *, by: GroupBy = None, probs: Iterable[float] = (0.5, 0.8),
                 as_of: object = None, alpha: float = 0.05,
                 withdrawn: str = "censor") -> pd.DataFrame:
    """Quantiles of the wait (days) from Kaplan-Meier, with confidence limits.

    The ``p`` quantile is the first event time at which the share still waiting falls below
    ``1 - p`` (statsmodels' rule); limits invert z-tests on the log-log scale. Columns:
    ``group, quantile, days, lower, upper, n, events, censored, status, reason, note, as_of``.
    ``status`` is ``estimated`` or ``not_estimable`` (all cases pending; the quantile not
    reached while cases are still waiting); an upper limit not reached is explained in
    ``note``.
    """
    table = _as_table(data, by, as_of, withdrawn)
    rows = []
    probs = list(probs)
    for p in probs:
        if not 0 < p < 1:
            raise ParoleError(f"quantile {p} outside (0, 1)")
    for group, part in table.groupby("group", sort=True):
        part = part.sort_values("duration")
        n = int(part["events"].sum() + part["censored"].sum())
        ev = int(part["events"].sum())
        res = _km_one(part["duration"].to_numpy(), part["events"].to_numpy(),
                      part["censored"].to_numpy())
        for p in probs:
            row = {"group": group, "quantile": p, "n": n, "events": ev, "censored": n - ev,
                   "days": np.nan, "lower": np.nan, "upper": np.nan, "note": None}
            if n == 0:
                row.update(status="not_estimable", reason="empty group: no cases")
            elif ev == 0:
                row.update(status="not_estimable",
                           reason=f"all {n} cases are pending (censored): no decision observed")
            else:
                s = res["survival"]
                hit = np.flatnonzero(s < 1 - p)
                if len(hit) == 0:
                    row.update(status="not_estimable",
                               reason=(f"not reached: {1 - s[-1]:.1%} decided by day "
                                       f"{int(part['duration'].max())}, fewer than {p:.0%}"))
                else:
                    lo, hi, reached = _quantile_ci(res["days"], s, res["se"], p, alpha)
                    row.update(days=float(res["days"][hit[0]]), lower=lo, upper=hi,
                               status="estimated", reason=None)
                    if not reached:
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
    return mark(out, _synthetic(data))


def empirical_quantiles(cases: pd.DataFrame, *, by: GroupBy = None,
                        probs: Iterable[float] = (0.5, 0.8), as_of: object = None,
                        withdrawn: str = "censor") -> pd.DataFrame:
    """Quantiles (days) of the decision times of *decided* cases only (numpy
    ``inverted_cdf``: the smallest time with at least ``p`` of decided cases at or below it).

    ``note`` says how many pending cases were left out: with a growing backlog these
    quantiles understate waits; prefer :func:`km_quantiles`.
    """
    d = durations(cases, as_of=as_of, by=by, withdrawn=withdrawn)
    rows = []
    for group, part in d.groupby("group", sort=True):
        done = np.sort(part.loc[part["event"] == 1, "duration"].to_numpy())
        pending = int((part["event"] == 0).sum())
        for p in probs:
            row = {"group": group, "quantile": p, "n_decided": len(done), "n_pending": pending,
                   "note": (f"decided cases only; {pending} pending case(s) left out"
                            if pending else "decided cases only")}
            if len(done) == 0:
                row.update(days=np.nan, status="not_estimable",
                           reason="no decided cases in the group")
            else:
                row.update(days=float(np.quantile(done, p, method="inverted_cdf")),
                           status="estimated", reason=None)
            rows.append(row)
    cols = ["group", "quantile", "days", "n_decided", "n_pending", "status", "reason", "note"]
    out = pd.DataFrame(rows, columns=cols)
    out["days"] = out["days"].astype(float)
    out["method"] = "empirical"
    return mark(out, is_synthetic(cases))


def ecdf(cases: pd.DataFrame, *, by: GroupBy = None, as_of: object = None,
         withdrawn: str = "censor") -> pd.DataFrame:
    """Empirical distribution of decision times of decided cases: ``group, days, n_decided,
    ecdf`` (share of decided cases decided within ``days``)."""
    d = durations(cases, as_of=as_of, by=by, withdrawn=withdrawn)
    done = d[d["event"] == 1]
    counts = done.groupby(["group", "duration"]).size().rename("k").reset_index()
    counts["cum"] = counts.groupby("group")["k"].cumsum()
    counts["n_decided"] = counts.groupby("group")["k"].transform("sum")
    out = pd.DataFrame({"group": counts["group"], "days": counts["duration"],
                        "n_decided": counts["n_decided"],
                        "ecdf": counts["cum"] / counts["n_decided"]})
    return mark(out, is_synthetic(cases))


def logrank(data: pd.DataFrame, *, by: GroupBy = None, as_of: object = None,
            withdrawn: str = "censor") -> pd.DataFrame:
    """Log-rank test that all groups share one wait distribution (as statsmodels
    ``survdiff``, computed on the survival table). One row: ``groups, chisq, df, p_value,
    status, reason``."""
    table = _as_table(data, by, as_of, withdrawn)
    names = sorted(table["group"].unique())
    base = {"groups": ", ".join(map(str, names)), "df": len(names) - 1, "chisq": np.nan,
            "p_value": np.nan, "test": "log-rank"}
    if len(names) < 2:
        row = {**base, "status": "not_estimable", "reason": "fewer than two groups"}
        return mark(pd.DataFrame([row]), _synthetic(data))
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
        return mark(pd.DataFrame([row]), _synthetic(data))
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
        return mark(pd.DataFrame([row]), _synthetic(data))
    row = {**base, "chisq": stat, "p_value": float(chi2.sf(stat, k)), "status": "estimated",
           "reason": None}
    return mark(pd.DataFrame([row]), _synthetic(data))


def published_series(processing_times: pd.DataFrame, *,
                     statistics: Iterable[str] = ("median", "p80"), form: str | None = None,
                     office: str | None = None) -> pd.DataFrame:
    """The published median and 80th-percentile series by office and form, in date order.

    Rows from a ``processing_times`` table; ``date`` is ``as_of`` or the end of ``period``.
    Rows with no value keep their ``status`` and ``note`` (never filled in).
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
    from . import periods

    def _date(row) -> pd.Timestamp:
        if pd.notna(row.get("as_of")):
            return pd.Timestamp(row["as_of"])
        if pd.notna(row.get("period")):
            return pd.Timestamp(periods.parse(row["period"]).end)
        return pd.NaT

    df["date"] = [_date(r) for r in df.to_dict("records")] if len(df) else pd.Series(
        dtype="datetime64[ns]")
    keep = ["form", "subtype", "geo_level", "geo_code", "geo_name", "date", "period",
            "statistic", "months", "status", "note", "source_file", "source_locator", "citation"]
    df = df[[c for c in keep if c in df.columns]].sort_values(
        [c for c in ("form", "subtype", "geo_code", "statistic", "date") if c in df.columns])
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
        if last["status"] not in ("reported", "zero", "rounded", "estimated"):
            rows.append({**row, "status": "not_estimable",
                         "reason": f"pending count is {last['status']}"})
            continue
        end_start = pd.Timestamp(last["period_start"])
        wanted = [pd.Period(end_start, freq="Q-SEP") - i for i in range(quarters)][::-1]
        labels = [f"FY{p.qyear}-Q{p.quarter}" for p in wanted]
        parts_needed = ["completed"] if measure == "completed" else ["approved", "denied"]
        done = part[part["measure"].isin(parts_needed) & part["period"].isin(labels)]
        row["periods_used"] = ", ".join(labels)
        have = done.groupby("period")["measure"].nunique()
        short = [lab for lab in labels if have.get(lab, 0) < len(parts_needed)]
        if short:
            rows.append({**row, "status": "not_estimable",
                         "reason": "completions missing for " + ", ".join(short)})
            continue
        bad = done[~done["status"].isin(["reported", "zero", "rounded", "estimated"])]
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
