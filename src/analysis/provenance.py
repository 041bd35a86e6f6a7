"""Source lines: every chart and table says where its numbers come from, built from the data.

A source line is never typed by hand: it is assembled from the ``citation``, ``source_file``
and ``period`` columns of the rows actually shown.
"""

from __future__ import annotations

import os

import pandas as pd

SYNTHETIC_LABEL = "SYNTHETIC"


def _common_prefix(texts: list[str]) -> str:
    prefix = os.path.commonprefix(texts)
    if len(texts) > 1 and prefix not in texts:
        # cut back to a clean boundary so "..., FY2020 Q1" and "..., FY2021 Q3" share "..."
        cut = max(prefix.rfind(", "), prefix.rfind(". "), prefix.rfind(" ("))
        prefix = prefix[:cut] if cut > 0 else prefix
    return prefix.strip(" ,.;(")


def _periods(frame: pd.DataFrame) -> str:
    if "period" not in frame.columns or frame["period"].dropna().empty:
        if "as_of" in frame.columns and frame["as_of"].notna().any():
            low, high = frame["as_of"].min(), frame["as_of"].max()
            return f"as published {low:%Y-%m-%d} to {high:%Y-%m-%d}"
        return ""
    order = frame.dropna(subset=["period"])
    if "period_start" in order.columns:
        order = order.sort_values("period_start")
    labels = order["period"].drop_duplicates().tolist()
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def source_line(frame: pd.DataFrame, *, prefix: str = "Source: ") -> str:
    """One line naming the publishers' tables, the periods and the raw files behind ``frame``.

    >>> source_line(counts[counts.category == "parole-in-place"])  # doctest: +SKIP
    'Source: USCIS, Number of Service-wide Forms ..., FY2020 Q1 to FY2026 Q2 (data/raw/...)'
    """
    if frame.empty:
        return f"{prefix}no data"
    parts = []
    group_key = "source_file" if "source_file" in frame.columns else None
    groups = frame.groupby(group_key, sort=True) if group_key else [("", frame)]
    for source_file, group in groups:
        citations = sorted(group["citation"].dropna().unique().tolist())
        # drop the per-row address when rows of one file cite different addresses
        stems = sorted({c.split(". http")[0] for c in citations})
        title = _common_prefix(stems) or "; ".join(stems)
        span = _periods(group)
        shown = span and span not in title and span.replace("-", " ") not in title
        text = title + (f", {span}" if shown else "")
        if source_file:
            text += f" (data/raw/{source_file})"
        parts.append(text)
    line = prefix + "; ".join(parts)
    if is_synthetic(frame):
        line = f"{SYNTHETIC_LABEL} DATA, not real cases. " + line
    return line


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when any row of ``frame`` is synthetic (``synthetic`` column or source id)."""
    if "synthetic" in frame.columns and frame["synthetic"].fillna(False).astype(bool).any():
        return True
    return "source" in frame.columns and frame["source"].eq("synthetic").any()
