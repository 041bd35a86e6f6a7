"""Time to parole with the other ways a case ends as competing events (Aalen-Johansen).

A detention stay (or a case) can end in parole, or in something else: removal, release on
bond or recognizance, transfer, denial. Treating those other endings as "not paroled yet"
(censoring them, as 1 - Kaplan-Meier does) pretends the person could still be paroled later,
and overstates the chance of parole. The **cumulative incidence** of parole by day t is the
share of cases paroled by day t when every other ending is a competing event; open cases are
censored at the data's cut date (``as_of``, default the latest date in the data).

* :func:`ending_table`          the compact table ``(group, duration, paroled, other,
                                censored)`` from the query engine
                                (:func:`analysis.stats.compact.ending_counts`)
* :func:`cumulative_incidence`  the Aalen-Johansen curve per group with pointwise intervals
                                (``lifelines.AalenJohansenFitter``, frequency-weighted on the
                                compact table)
* :func:`incidence_at`          the cumulative incidence by given days, per group
* :func:`parole_shares`         the share paroled among *ended* cases per group, with Wilson
                                intervals (:func:`analysis.stats.shares.interval`)

Ties: lifelines "jitters" event times of different kinds that fall on the same day, at
random. Here they are broken deterministically instead, other endings half a day before
paroles of the same day (days are shifted by one so no time is negative). The Aalen-Johansen
estimate does not depend on the order of events within a tie, so the curve at every whole
day is exactly the textbook estimate (see the hand-computed test in ``tests/test_timing.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import ParoleError
from analysis.stats import compact
from analysis.stats.synthetic import LABEL, mark

GroupBy = str | Sequence[str] | None
TABLE_COLUMNS = ["group", "duration", "paroled", "other", "censored"]


def ending_table(cases: Any, *, by: GroupBy = None, as_of: object = None,
                 where: Mapping[str, Any] | None = None,
                 engine: str | None = None) -> pd.DataFrame:
    """The compact table of competing risks (see :func:`compact.ending_counts`)."""
    return compact.ending_counts(cases, by, as_of=as_of, where=where, engine=engine)


def _as_table(data: Any, by: GroupBy, as_of: object, where, engine) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and list(data.columns[:5]) == TABLE_COLUMNS:
        return data
    return ending_table(data, by=by, as_of=as_of, where=where, engine=engine)


def _fit_rows(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations, event codes (0 censored, 1 paroled, 2 other) and weights for lifelines,
    with the deterministic tie rule of the module docstring."""
    days = part["duration"].to_numpy(float) + 1.0
    kinds = [(days, 1, part["paroled"]), (days - 0.5, 2, part["other"]),
             (days + 0.25, 0, part["censored"])]
    t = np.concatenate([k[0] for k in kinds])
    e = np.concatenate([np.full(len(part), k[1]) for k in kinds])
    w = np.concatenate([k[2].to_numpy(float) for k in kinds])
    keep = w > 0
    return t[keep], e[keep], w[keep]


def _curve(part: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The Aalen-Johansen cumulative incidence of parole for one group, one row per day on
    which a case ended."""
    import warnings

    from lifelines import AalenJohansenFitter

    t, e, w = _fit_rows(part)
    fitter = AalenJohansenFitter(alpha=alpha, calculate_variance=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns about weights that are counts
        fitter.fit(t, e, event_of_interest=1, weights=w)
    cif = fitter.cumulative_density_.iloc[:, 0]
    ci = fitter.confidence_interval_
    ended = part[(part["paroled"] + part["other"]) > 0]
    at = ended["duration"].to_numpy(float) + 1.0  # after the day's paroles (see ties)
    at_risk = part["paroled"] + part["other"] + part["censored"]
    risk = at_risk[::-1].cumsum()[::-1]
    return pd.DataFrame({
        "days": ended["duration"].to_numpy("int64"),
        "cumulative_incidence": cif.asof(at).to_numpy(),
        "lower": ci.iloc[:, 0].asof(at).fillna(0.0).clip(0, 1).to_numpy(),
        "upper": ci.iloc[:, 1].asof(at).fillna(0.0).clip(0, 1).to_numpy(),
        "at_risk": risk.loc[ended.index].to_numpy("int64"),
        "paroled": ended["paroled"].to_numpy("int64"),
        "other": ended["other"].to_numpy("int64"),
    })


def cumulative_incidence(data: Any, *, by: GroupBy = None, as_of: object = None,
                         where: Mapping[str, Any] | None = None, engine: str | None = None,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Cumulative incidence of parole per group (Aalen-Johansen; other endings compete, open
    cases censored at ``as_of``): ``group, days, cumulative_incidence, lower, upper, at_risk,
    paroled, other`` and the SYNTHETIC label columns. ``data``: cases (DataFrame, Parquet file
    or folder) or the table of :func:`ending_table`. Groups with no ending have no rows."""
    table = _as_table(data, by, as_of, where, engine)
    parts = []
    for name, part in table.groupby("group", sort=False, observed=True):
        part = part.sort_values("duration").reset_index(drop=True)
        if (part["paroled"] + part["other"]).sum() == 0:
            continue
        parts.append(_curve(part, alpha).assign(group=name))
    cols = ["group", "days", "cumulative_incidence", "lower", "upper", "at_risk", "paroled",
            "other"]
    out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    out.attrs["as_of"] = table.attrs.get("as_of")
    return mark(out, table.attrs.get("label") == LABEL)


def incidence_at(curves: pd.DataFrame, days: Iterable[int] = (30, 90, 180)) -> pd.DataFrame:
    """The cumulative incidence (with its interval) by each of ``days`` per group: the value
    of the step curve on that day. NaN (with ``note``) beyond the group's last ending, where
    the curve is not observed."""
    rows = []
    for name, part in curves.groupby("group", sort=False, observed=True):
        for day in days:
            seen = part[part["days"] <= day]
            last = int(part["days"].max())
            if day > last:
                rows.append({"group": name, "days": day, "cumulative_incidence": np.nan,
                             "lower": np.nan, "upper": np.nan,
                             "note": f"not observed (last ending on day {last})"})
                continue
            row = seen.iloc[-1] if len(seen) else None
            value = [0.0, 0.0, 0.0] if row is None else [
                row["cumulative_incidence"], row["lower"], row["upper"]]
            rows.append({"group": name, "days": day, "cumulative_incidence": value[0],
                         "lower": value[1], "upper": value[2], "note": ""})
    out = pd.DataFrame(rows, columns=["group", "days", "cumulative_incidence", "lower",
                                      "upper", "note"])
    return mark(out, curves.attrs.get("label") == LABEL)


def parole_shares(data: Any, *, by: GroupBy = None, as_of: object = None,
                  where: Mapping[str, Any] | None = None, engine: str | None = None,
                  alpha: float = 0.05) -> pd.DataFrame:
    """Share paroled among cases that had *ended* by ``as_of``, per group, with Wilson
    intervals: ``group, ended, paroled, share, lower, upper``."""
    from analysis.stats.shares import interval

    table = _as_table(data, by, as_of, where, engine)
    if table.empty:
        raise ParoleError("no cases: cannot compute shares")
    sums = table.groupby("group", sort=False, observed=True)[["paroled", "other"]].sum()
    ended = (sums["paroled"] + sums["other"]).to_numpy()
    lo, hi = interval(sums["paroled"].to_numpy(), ended, alpha=alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(ended > 0, sums["paroled"].to_numpy() / np.maximum(ended, 1), np.nan)
    out = pd.DataFrame({"group": sums.index, "ended": ended.astype("int64"),
                        "paroled": sums["paroled"].to_numpy("int64"), "share": share,
                        "lower": lo, "upper": hi})
    out.attrs["as_of"] = table.attrs.get("as_of")
    return mark(out.reset_index(drop=True), table.attrs.get("label") == LABEL)
