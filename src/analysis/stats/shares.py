"""Shares of a total, by region or category, with confidence intervals and honest bounds.

Functions
---------
:func:`shares_from_counts`   shares of a total from a ``counts`` table (suppressed cells as bounds)
:func:`shares_over_time`     the same for every period at once (one row per place and period)
:func:`share_change`         change of each share between two periods, with its interval
:func:`shares_from_cases`    shares from ``cases`` records (of all cases, or within each group)
:func:`region_shares`        shares over custom regions (``analysis.contract.geo.region``)
:func:`compare_pairs`        pairwise two-proportion z-tests with a multiple-testing correction
:func:`interval`             one proportion's confidence interval (Wilson or Clopper-Pearson)

Output columns (one row per group)
----------------------------------
``group, numerator, denominator, estimate, lower, upper, estimate_low, estimate_high,
numerator_low, numerator_high, denominator_low, denominator_high, method, confidence,
status, reason, note, sources, synthetic, label``

:func:`shares_from_counts` and :func:`shares_over_time` speak the vocabulary of the counts
table: the grouping column keeps its own name (``geo_code`` by default, first), the columns
the rows share (``geo_level``, ``period``, ``category``, ``measure``) come along, and
``share`` is the estimate. ``group`` stays as an alias of the grouping column (older callers).

``status`` is ``estimated`` (every input is a number), ``bounded`` (a suppressed cell enters
the numerator or denominator, so the share is only known to lie between ``estimate_low`` and
``estimate_high``; ``estimate`` is then empty and ``reason`` says why) or ``not_estimable``
(``reason`` says why: an empty group, a zero denominator, a cell with no value at all).

What the interval means
-----------------------
For a sample (a FOIA extract, a case log, a survey of cases) the interval is the usual
confidence interval for the population proportion. For a *complete* administrative count (all
USCIS receipts of a quarter) there is no sampling: the share is exact, and the interval is a
model-based statement: it treats the cases as draws from an underlying process with a stable
propensity and says how precisely that propensity is pinned down by this many cases. Read it
as "how much the share could move by chance alone", not as survey error. When cells are
suppressed, ``lower`` is the lowest lower limit and ``upper`` the highest upper limit over every
value the suppressed cells could take, so the interval covers both chance and suppression.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from analysis.contract.statuses import VALUED_STATUSES
from analysis.errors import ParoleError
from analysis.stats.synthetic import LABEL, is_synthetic, mark

#: Methods accepted by :func:`interval`, mapped to statsmodels ``proportion_confint`` names.
METHODS: dict[str, str] = {"wilson": "wilson", "clopper-pearson": "beta", "beta": "beta"}
#: Default upper bound of a suppressed (``D``/``X``) cell. USCIS does not publish its
#: disclosure threshold; 10 is an assumption, so pass the source's documented rule when known.
DEFAULT_THRESHOLD = 10.0

COLUMNS = ["group", "numerator", "denominator", "estimate", "lower", "upper", "estimate_low",
           "estimate_high", "numerator_low", "numerator_high", "denominator_low",
           "denominator_high", "method", "confidence", "status", "reason", "note", "sources"]



def interval_method(method: str) -> str:
    key = str(method).lower()
    if key not in METHODS:
        raise ParoleError(f"unknown interval method {method!r}; expected wilson or "
                          "clopper-pearson")
    return "clopper-pearson" if METHODS[key] == "beta" else "wilson"


def _wilson(count: np.ndarray, nobs: np.ndarray, alpha: float) -> tuple[np.ndarray, ...]:
    """Wilson score limits in closed form (statsmodels' formula), without importing scipy:
    the command line's claim checks stay quick to start."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = count / nobs
    denom = 1 + z * z / nobs
    center = (p + z * z / (2 * nobs)) / denom
    half = z * np.sqrt(p * (1 - p) / nobs + z * z / (4 * nobs * nobs)) / denom
    return center - half, center + half


def interval(count: Any, nobs: Any, *, method: str = "wilson",
             alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for ``count`` successes out of ``nobs`` (arrays allowed).

    ``method`` is ``wilson`` (default) or ``clopper-pearson`` (exact, statsmodels ``beta``).
    Rows with ``nobs == 0`` give NaN limits; callers mark them not estimable.

    >>> lo, hi = interval(30, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2189, 0.3958)
    """
    name = METHODS[interval_method(method).replace("clopper-pearson", "beta")]
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    ok = nobs > 0
    lo = np.full(np.broadcast(count, nobs).shape, np.nan)
    hi = lo.copy()
    if np.any(ok):
        c, n = np.broadcast_arrays(count, nobs)
        a, b = _confint(c[ok], n[ok], alpha, name)
        lo[ok] = np.clip(a, 0.0, 1.0)
        hi[ok] = np.clip(b, 0.0, 1.0)
        # exact limits at the edges (guard against rounding just inside)
        lo[ok & (c == 0)] = 0.0
        hi[ok & (c == n)] = 1.0
    return lo, hi


def _confint(c: np.ndarray, n: np.ndarray, alpha: float, name: str):
    """statsmodels ``proportion_confint``; Wilson's closed form written out (the same
    formula), so computing shares does not import statsmodels and scipy."""
    if name != "wilson":
        from statsmodels.stats.proportion import proportion_confint

        return proportion_confint(c, n, alpha=alpha, method=name)
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = c / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def _sources(values: Iterable[Any]) -> str:
    seen = sorted({str(v) for v in values if v is not None and not pd.isna(v) and str(v)})
    return "; ".join(seen)


def _frame(rows: list[dict[str, Any]], synthetic: bool) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=COLUMNS) if rows else pd.DataFrame(columns=COLUMNS)
    for col in COLUMNS[1:12]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return mark(out, synthetic)


def _share_rows(groups: pd.DataFrame, *, total: float | None, method: str, alpha: float,
                partition: bool) -> list[dict[str, Any]]:
    """Rows for groups given as columns ``group, lo, hi, known, sources, note, bad`` where
    ``lo``/``hi`` bound the group's count and ``bad`` names a cell with no value at all.

    ``partition``: the denominator is the sum of every group (else ``den_lo``/``den_hi``
    columns give each group's own denominator bounds).
    """
    rows: list[dict[str, Any]] = []
    meth = interval_method(method)
    bad_groups = groups.loc[groups["bad"].astype(bool), "group"].tolist()
    sum_lo, sum_hi = float(groups["lo"].sum()), float(groups["hi"].sum())
    for rec in groups.to_dict("records"):
        row: dict[str, Any] = {"group": rec["group"], "method": meth, "confidence": 1 - alpha,
                               "sources": rec.get("sources", ""), "note": rec.get("note") or None}
        k_lo, k_hi = float(rec["lo"]), float(rec["hi"])
        if partition and total is None:
            f_lo, f_hi = sum_lo - k_lo, sum_hi - k_hi  # the other groups
            n_lo, n_hi = k_lo + f_lo, k_hi + f_hi
            # worst cases: fewest successes with most failures, and the reverse
            low_cfg, high_cfg = (k_lo, k_lo + f_hi), (k_hi, k_hi + f_lo)
        elif partition:
            n_lo = n_hi = float(total)
            low_cfg, high_cfg = (k_lo, n_lo), (k_hi, n_hi)
        else:
            n_lo, n_hi = float(rec["den_lo"]), float(rec["den_hi"])
            # numerator is part of its denominator: failures range over den - num
            f_lo = n_lo - k_lo
            f_hi = n_hi - k_hi
            low_cfg, high_cfg = (k_lo, k_lo + max(f_lo, f_hi)), (k_hi, k_hi + min(f_lo, f_hi))
        row.update(numerator_low=k_lo, numerator_high=k_hi, denominator_low=n_lo,
                   denominator_high=n_hi)
        reason = None
        if rec["bad"]:
            reason = f"the group's count has no value ({rec['bad']})"
        elif partition and total is None and bad_groups:
            reason = ("the denominator includes a cell with no value (group "
                      + ", ".join(map(str, bad_groups)) + ")")
        elif rec.get("empty"):
            reason = "empty group: no rows"
        elif n_hi <= 0:
            reason = "zero denominator: the total is 0"
        elif total is not None and k_hi > total:
            reason = f"the count ({k_hi:g}) exceeds the given total ({total:g})"
        if reason:
            row.update(status="not_estimable", reason=reason)
            rows.append(row)
            continue
        e_lo = low_cfg[0] / low_cfg[1] if low_cfg[1] > 0 else 0.0
        e_hi = high_cfg[0] / high_cfg[1] if high_cfg[1] > 0 else 1.0
        lo = interval(*low_cfg, method=meth, alpha=alpha)[0] if low_cfg[1] > 0 else 0.0
        hi = interval(*high_cfg, method=meth, alpha=alpha)[1] if high_cfg[1] > 0 else 1.0
        row.update(estimate_low=e_lo, estimate_high=e_hi, lower=float(lo), upper=float(hi))
        if k_lo == k_hi and n_lo == n_hi:
            row.update(numerator=k_lo, denominator=n_lo, estimate=k_lo / n_lo,
                       status="estimated", reason=None)
        else:
            row.update(status="bounded",
                       reason="suppressed cells: the share lies between estimate_low and "
                              "estimate_high; lower/upper cover every possible value")
        rows.append(row)
    return rows


def _bounds_from_status(df: pd.DataFrame, threshold: float) -> pd.DataFrame:
    value = pd.to_numeric(df["value"], errors="coerce")
    status = df["status"].astype(str)
    suppressed = status.eq("suppressed")
    unknown = ~status.isin(VALUED_STATUSES) & ~suppressed
    lo = value.where(~suppressed, 0.0).where(~unknown, 0.0)
    hi = value.where(~suppressed, float(threshold)).where(~unknown, 0.0)
    return pd.DataFrame({"lo": lo.fillna(0.0), "hi": hi.fillna(0.0), "unknown": unknown,
                         "suppressed": suppressed, "status": status}, index=df.index)


def _group_counts(df: pd.DataFrame, by: str, threshold: float) -> pd.DataFrame:
    b = _bounds_from_status(df, threshold)
    b["group"] = df[by].astype(str)
    b["source_info"] = (df["source_file"].astype(str) if "source_file" in df.columns
                        else df.get("source", pd.Series("", index=df.index)).astype(str))
    b["citation"] = df["citation"].astype(str) if "citation" in df.columns else ""
    rows = []
    for group, part in b.groupby("group", sort=True):
        bad = part.loc[part["unknown"], "status"].unique().tolist()
        notes = []
        if part["suppressed"].any():
            notes.append(f"{int(part['suppressed'].sum())} suppressed cell(s) taken as 0 to "
                         f"{threshold:g}")
        if part["status"].eq("rounded").any():
            notes.append("rounded values used as published")
        rows.append({"group": group, "lo": part["lo"].sum(), "hi": part["hi"].sum(),
                     "bad": ", ".join(bad), "note": "; ".join(notes) or None,
                     "sources": _sources(list(part["source_info"]) + list(part["citation"]))})
    return pd.DataFrame(rows, columns=["group", "lo", "hi", "bad", "note", "sources"])


def _check_single(df: pd.DataFrame, columns: Iterable[str]) -> None:
    for col in columns:
        if col in df.columns and df[col].nunique(dropna=False) > 1:
            values = ", ".join(map(str, sorted(df[col].astype(str).unique())[:5]))
            raise ParoleError(f"the rows mix several values of {col!r} ({values}); filter to "
                              "one before computing shares of a total")


def shares_from_counts(counts: pd.DataFrame, by: str = "geo_code", *,
                       method: str = "wilson", alpha: float = 0.05,
                       threshold: float = DEFAULT_THRESHOLD,
                       total: float | None = None) -> pd.DataFrame:
    """Each group's share of the total of a ``counts`` table filtered to one measure/period.

    The rows (one measure, one period, one category, one form) are grouped by ``by`` (default
    ``geo_code``); a group's count is the sum of its rows. The denominator is the sum over all
    groups, or ``total`` when given (e.g. a published national total that includes places not
    listed). Suppressed cells count as any value from 0 to ``threshold`` (default
    :data:`DEFAULT_THRESHOLD`, an assumption: set the source's rule), which makes every share
    built on them ``bounded``. Cells with no value (``not_available``, ``withheld``) make the
    group, and every share of a sum that includes it, ``not_estimable``.
    See the module docstring for the output columns and what the interval means.

    >>> rows = pd.DataFrame({"geo_code": ["CA", "TX"], "period": "FY2019",
    ...                      "value": [30.0, 70.0], "status": "reported"})
    >>> shares_from_counts(rows)[["geo_code", "period", "share", "status"]]
      geo_code  period  share     status
    0       CA  FY2019    0.3  estimated
    1       TX  FY2019    0.7  estimated
    """
    needed = {by, "value", "status"}
    missing = needed - set(counts.columns)
    if missing:
        raise ParoleError(f"counts table lacks column(s) {', '.join(sorted(missing))}")
    _check_single(counts, [c for c in ("measure", "period", "category", "form") if c != by])
    if counts.empty:
        raise ParoleError("no rows: shares need at least one group")
    groups = _group_counts(counts, by, threshold)
    rows = _share_rows(groups, total=total, method=method, alpha=alpha, partition=True)
    return _with_vocabulary(_frame(rows, is_synthetic(counts)), counts, by)


#: Columns of the counts table a shares table carries along when all its rows share them.
CONTEXT = ("geo_level", "period", "category", "measure")


def _with_vocabulary(out: pd.DataFrame, counts: pd.DataFrame, by: str) -> pd.DataFrame:
    """The grouping column under its own name (first), the context columns the rows share,
    and ``share`` beside ``estimate``; ``group`` is kept as an alias."""
    out = out.copy()
    front = []
    if by != "group":
        out.insert(0, by, out["group"].to_numpy())
        front.append(by)
    for col in CONTEXT:
        if col != by and col in counts.columns and counts[col].nunique(dropna=False) == 1:
            out.insert(len(front), col, counts[col].iloc[0])
            front.append(col)
    out.insert(out.columns.get_loc("estimate") + 1, "share", out["estimate"])
    return out


def shares_over_time(counts: pd.DataFrame, by: str = "geo_code", *, period: str = "period",
                     method: str = "wilson", alpha: float = 0.05,
                     threshold: float = DEFAULT_THRESHOLD,
                     totals: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Each group's share of each period's total, for every period at once.

    ``counts`` holds one measure and category over several periods (e.g. children released to
    sponsors by state, FY2015 to FY2025); the shares of each period are computed as
    :func:`shares_from_counts` would, then stacked, oldest period first. ``totals`` maps a
    period to a published total to divide by (e.g. the national figure, which includes places
    not listed). Columns: ``by`` (``geo_code``), ``period``, then those of
    :func:`shares_from_counts`.

    >>> rows = pd.DataFrame({"geo_code": ["CA", "TX", "CA", "TX"],
    ...                      "period": ["FY2020", "FY2020", "FY2021", "FY2021"],
    ...                      "value": [30.0, 70.0, 60.0, 40.0], "status": "reported"})
    >>> shares_over_time(rows)[["geo_code", "period", "share"]]
      geo_code  period  share
    0       CA  FY2020    0.3
    1       TX  FY2020    0.7
    2       CA  FY2021    0.6
    3       TX  FY2021    0.4
    """
    if period not in counts.columns:
        raise ParoleError(f"counts table lacks the period column {period!r}")
    if counts.empty:
        raise ParoleError("no rows: shares need at least one group")
    parts = []
    for label, part in counts.groupby(counts[period].astype(str), sort=False):
        total = (totals or {}).get(label)
        res = shares_from_counts(part, by=by, method=method, alpha=alpha, threshold=threshold,
                                 total=total)
        if period not in res.columns:
            res.insert(1 if by != "group" else 0, period, label)
        res["_order"] = _period_order(part, label, period)
        parts.append(res)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["_order", by], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def _period_order(part: pd.DataFrame, label: str, period: str):
    """Sort key of a period: its first day when known, else its label."""
    if "period_start" in part.columns and part["period_start"].notna().any():
        return pd.Timestamp(part["period_start"].min())
    try:
        from analysis.contract import periods

        return pd.Timestamp(periods.parse(label).start)
    except (ValueError, ImportError):
        return pd.Timestamp.max


#: Methods of statsmodels ``confint_proportions_2indep`` for a difference of proportions.
CHANGE_METHODS = ("newcomb", "wald", "agresti-caffo", "score")


def share_change(shares: pd.DataFrame, start: str, end: str, *, by: str = "geo_code",
                 period: str = "period", method: str = "newcomb",
                 alpha: float = 0.05) -> pd.DataFrame:
    """The change of each group's share from period ``start`` to period ``end``, with the
    confidence interval of the difference of two independent proportions (statsmodels
    ``confint_proportions_2indep``, ``compare="diff"``; Newcombe's hybrid score interval by
    default). ``shares`` is a :func:`shares_over_time` table.

    Columns: ``by, period_start, period_end, share_start, share_end, change, lower, upper,
    numerator_start, denominator_start, numerator_end, denominator_end, method, confidence,
    status, reason``. A group whose share is not a single estimate in either period (bounded
    by suppression, missing, zero total) is ``not_estimable`` with the reason. As for the
    shares themselves, for complete counts the interval is model-based: how much the share
    could move by chance alone.

    >>> rows = pd.DataFrame({"geo_code": ["CA", "TX", "CA", "TX"],
    ...                      "period": ["FY2020", "FY2020", "FY2021", "FY2021"],
    ...                      "value": [300.0, 700.0, 600.0, 400.0], "status": "reported"})
    >>> ch = share_change(shares_over_time(rows), "FY2020", "FY2021").set_index("geo_code")
    >>> round(float(ch.loc["CA", "change"]), 2), bool(ch.loc["CA", "lower"] > 0.25)
    (0.3, True)
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    if method not in CHANGE_METHODS:
        raise ParoleError(f"unknown method {method!r} for a change of shares; expected one of "
                          + ", ".join(CHANGE_METHODS))
    key = by if by in shares.columns else "group"
    a = shares[shares[period].astype(str) == str(start)].set_index(key)
    b = shares[shares[period].astype(str) == str(end)].set_index(key)
    for label, part in ((start, a), (end, b)):
        if part.empty:
            raise ParoleError(f"no shares for period {label!r}; periods present: "
                              + ", ".join(map(str, shares[period].unique())))
    rows = []
    for group in sorted(set(a.index) | set(b.index), key=str):
        rows.append({by: group, **_change_row(group, a, b, method, alpha,
                                              confint_proportions_2indep)})
    cols = [by, "period_start", "period_end", "share_start", "share_end", "change", "lower",
            "upper", "numerator_start", "denominator_start", "numerator_end",
            "denominator_end", "method", "confidence", "status", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    out["period_start"], out["period_end"] = str(start), str(end)
    out["method"], out["confidence"] = method, 1 - alpha
    return mark(out, bool(shares.get("synthetic", pd.Series([False])).any()))


def _change_row(group, a: pd.DataFrame, b: pd.DataFrame, method: str, alpha: float,
                confint) -> dict[str, Any]:
    row: dict[str, Any] = {}
    recs = [a.loc[group] if group in a.index else None, b.loc[group] if group in b.index
            else None]
    missing = [i for i, r in enumerate(recs) if r is None or r["status"] != "estimated"]
    if missing:
        which = " and ".join(("the first", "the last")[i] for i in missing)
        row.update(status="not_estimable",
                   reason=f"no single estimate of the share in {which} period")
        return row
    (k1, n1), (k2, n2) = [(float(r["numerator"]), float(r["denominator"])) for r in recs]
    low, high = confint(k2, n2, k1, n1, method=method, compare="diff", alpha=alpha)
    row.update(share_start=k1 / n1, share_end=k2 / n2, change=k2 / n2 - k1 / n1,
               lower=float(low), upper=float(high), numerator_start=k1, denominator_start=n1,
               numerator_end=k2, denominator_end=n2, status="estimated", reason=None)
    return row


def shares_from_cases(cases: Any, by: str = "state", *,
                      of: Mapping[str, Any] | Callable | pd.Series | None = None,
                      method: str = "wilson", alpha: float = 0.05,
                      groups: Iterable[str] | None = None,
                      where: Mapping[str, Any] | None = None,
                      engine: str | None = None) -> pd.DataFrame:
    """Shares from case records (a DataFrame, a Parquet file or a hive-partitioned folder).

    Without ``of``: each group's share of all cases (a partition; the shares sum to 1).
    With ``of`` (a mapping such as ``{"basis": "medical"}``, a boolean Series or a function of
    the frame): within each group, the share of its cases meeting the condition (numerator:
    matching cases; denominator: the group's cases). Cases with no value in ``by`` form the
    group ``"(missing)"``. ``groups`` lists groups to report even when they have no cases
    (they come back ``not_estimable``, "empty group", in the within-group form).
    The counts come from :func:`analysis.stats.compact.group_counts` (``where`` filters rows in the
    engine; ``engine`` is ``duckdb`` by default or ``spark``).

    >>> from analysis.stats.synthetic import generate_cases
    >>> cases = generate_cases(500, seed=1)                  # SYNTHETIC records
    >>> medical = shares_from_cases(cases, by="state", of={"basis": "medical"})
    >>> medical[["group", "share", "lower", "upper", "label"]]  # doctest: +SKIP
    """
    from analysis.stats import compact

    table = compact.group_counts(cases, by, of=of, where=where, engine=engine)
    src = _sources(table.attrs.get("sources", []))
    present = table["group"].tolist()
    names = sorted(set(present) | set(groups or []))
    sizes = pd.Series(table["n"].to_numpy(float), index=present).reindex(names,
                                                                         fill_value=0.0)
    if of is None:
        if sizes.sum() == 0:
            raise ParoleError("no cases: shares need at least one case")
        frame = pd.DataFrame({"group": names, "lo": sizes.values, "hi": sizes.values, "bad": "",
                              "note": None, "sources": src})
        rows = _share_rows(frame, total=None, method=method, alpha=alpha, partition=True)
    else:
        hits = pd.Series(table["k"].to_numpy(float), index=present).reindex(names,
                                                                            fill_value=0.0)
        frame = pd.DataFrame({"group": names, "lo": hits.values, "hi": hits.values, "bad": "",
                              "note": None, "sources": src, "den_lo": sizes.values,
                              "den_hi": sizes.values, "empty": (sizes.values == 0)})
        rows = _share_rows(frame, total=None, method=method, alpha=alpha, partition=False)
    synthetic = table.attrs.get("label") == LABEL or (
        isinstance(cases, pd.DataFrame) and is_synthetic(cases))
    out = _frame(rows, synthetic)
    out.attrs["kind"] = "within" if of is not None else "partition"
    return out


def _ztest(*args, **kwargs):
    from statsmodels.stats.proportion import proportions_ztest  # only for comparisons

    return proportions_ztest(*args, **kwargs)


def _region(name_or_region: Any):
    if hasattr(name_or_region, "members"):
        return name_or_region
    from analysis.contract import geo

    if not hasattr(geo, "region"):
        raise ParoleError("region definitions are not available (analysis.contract.geo.region)")
    return geo.region(name_or_region)


def region_shares(counts: pd.DataFrame, regions: Iterable[Any], *, method: str = "wilson",
                  alpha: float = 0.05, threshold: float = DEFAULT_THRESHOLD,
                  total: float | None = None) -> pd.DataFrame:
    """Each custom region's share of the total of a ``counts`` table (one measure/period).

    ``regions`` holds region names (resolved by ``analysis.contract.geo.region``) or ``Region``
    objects (``name``, ``level`` 'state' or 'county', ``members``). The denominator is the sum
    of every row at the regions' level (or ``total``); regions may overlap, so their shares
    need not add to 1. Members with no row are listed in ``note`` and counted as absent.

    >>> from analysis import load_counts
    >>> counts = load_counts(category="uc-released-to-sponsors", period="FY2019",
    ...                      geo_level="state")               # doctest: +SKIP
    >>> region_shares(counts, ["southern-california"])         # doctest: +SKIP
    """
    regs = [_region(r) for r in regions]
    if not regs:
        raise ParoleError("no regions given")
    levels = {r.level for r in regs}
    if len(levels) > 1:
        raise ParoleError(f"regions mix levels {sorted(levels)}; use one level at a time")
    level = levels.pop()
    _check_single(counts, ("measure", "period", "category", "form"))
    rows_at = counts[counts["geo_level"] == level] if "geo_level" in counts.columns else counts
    if rows_at.empty:
        raise ParoleError(f"no rows at geo_level {level!r}")
    per_place = _group_counts(rows_at, "geo_code", threshold).set_index("group")
    records = []
    for reg in regs:
        members = [m for m in reg.members if m in per_place.index]
        absent = [m for m in reg.members if m not in per_place.index]
        part = per_place.loc[members]
        notes = [n for n in part["note"].dropna()]
        if absent:
            notes.append(f"{len(absent)} member(s) with no row, counted as absent: "
                         + ", ".join(absent[:10]) + (" ..." if len(absent) > 10 else ""))
        cite = getattr(reg, "citation", "")
        records.append({"group": reg.name, "lo": part["lo"].sum(), "hi": part["hi"].sum(),
                        "bad": ", ".join(b for b in part["bad"] if b),
                        "note": "; ".join(notes) or None,
                        "sources": _sources(list(part["sources"]) + [cite]),
                        "empty": not members})
    frame = pd.DataFrame(records)
    # the denominator: every place at this level (regions may overlap or leave places out)
    all_lo, all_hi = float(per_place["lo"].sum()), float(per_place["hi"].sum())
    bad_any = [g for g, b in per_place["bad"].items() if b]
    if total is None:
        frame["den_lo"] = all_lo
        frame["den_hi"] = all_hi
        if bad_any:
            frame["bad"] = frame["bad"].where(frame["bad"] != "",
                                              "denominator includes a cell with no value: "
                                              + ", ".join(bad_any[:5]))
        rows = _share_rows(frame, total=None, method=method, alpha=alpha, partition=False)
    else:
        rows = _share_rows(frame, total=total, method=method, alpha=alpha, partition=True)
    return _frame(rows, is_synthetic(counts))


def compare_pairs(shares: pd.DataFrame, *, correction: str = "holm",
                  alpha: float = 0.05) -> pd.DataFrame:
    """Two-proportion z-tests (statsmodels ``proportions_ztest``) for every pair of estimated
    groups in a shares table, with p-values adjusted by ``multipletests`` (default Holm).

    Meant for within-group shares (``shares_from_cases(..., of=...)``) whose groups are
    independent samples. Shares of one partitioned total are not independent; the test is
    then only indicative, and each row's ``note`` says so. Pairs involving a bounded or
    not-estimable share are listed as ``not_estimable`` with the reason.
    Columns: ``group_a, group_b, estimate_a, estimate_b, difference, z, p_value, p_adjusted,
    significant, correction, status, reason, note, synthetic, label``.

    >>> from analysis.stats.synthetic import generate_cases
    >>> medical = shares_from_cases(generate_cases(500, seed=1), by="state",
    ...                             of={"basis": "medical"})  # SYNTHETIC records
    >>> compare_pairs(medical).sort_values("p_adjusted").head(3)  # doctest: +SKIP
    """
    from statsmodels.stats.multitest import multipletests

    cols = ["group_a", "group_b", "estimate_a", "estimate_b", "difference", "z", "p_value",
            "p_adjusted", "significant", "correction", "status", "reason", "note"]
    recs = shares.to_dict("records")
    partition = shares.attrs.get("kind") != "within"
    rows = []
    for a, b in itertools.combinations(recs, 2):
        row = {"group_a": a["group"], "group_b": b["group"], "estimate_a": a["estimate"],
               "estimate_b": b["estimate"], "correction": correction,
               "note": ("groups share one total (not independent): indicative only"
                        if partition else None)}
        bad = [r["group"] for r in (a, b) if r["status"] != "estimated"]
        if bad:
            row.update(status="not_estimable",
                       reason="share not a single estimate for " + ", ".join(map(str, bad)))
        elif (a["numerator"] + b["numerator"]) in (0, a["denominator"] + b["denominator"]):
            row.update(status="not_estimable",
                       reason="both shares are 0 or both are 1: the test is undefined")
        else:
            z, p = _ztest([a["numerator"], b["numerator"]],
                                     [a["denominator"], b["denominator"]])
            row.update(z=float(z), p_value=float(p), difference=a["estimate"] - b["estimate"],
                       status="estimated", reason=None)
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    out["significant"] = out["significant"].astype(object)
    out["p_adjusted"] = np.nan
    tested = out["status"].eq("estimated")
    if tested.any():
        from statsmodels.stats.multitest import multipletests

        reject, padj, _, _ = multipletests(out.loc[tested, "p_value"].astype(float), alpha=alpha,
                                           method=correction)
        out.loc[tested, "p_adjusted"] = padj
        out.loc[tested, "significant"] = [bool(r) for r in reject]
    for col in ("estimate_a", "estimate_b", "difference", "z", "p_value", "p_adjusted"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return mark(out, bool(shares.get("synthetic", pd.Series([False])).any()))
