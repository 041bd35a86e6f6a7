"""Named series: a category followed across the renamings of the publisher's row titles.

USCIS renamed its I-131 rows in FY2026. The row "Application for Initial Parole Document for
Aliens Outside the United States" is taken here as the continuation of "Application for Travel
Document (Humanitarian Parole)". **That is an assumption USCIS does not state**; every row that
relies on it carries the note below, and the categories in ``counts`` stay as published.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Part:
    category: str
    note: str = ""


@dataclass(frozen=True)
class Series:
    slug: str
    label: str
    form: str
    parts: tuple[Part, ...]


FY2026_ASSUMPTION = (
    "FY2026 on: USCIS row 'Application for Initial Parole Document for Aliens Outside the United "
    "States', taken as the continuation of humanitarian parole (an assumption; USCIS does not "
    "state it)")

SERIES: dict[str, Series] = {s.slug: s for s in [
    Series("humanitarian-parole", "Humanitarian parole (I-131, outside the US)", "I-131",
           (Part("humanitarian-parole"), Part("initial-parole-outside-us", FY2026_ASSUMPTION))),
    Series("parole-in-place", "Parole in place (I-131)", "I-131", (Part("parole-in-place"),)),
    Series("advance-parole", "Advance parole (I-131)", "I-131", (Part("advance-parole"),)),
]}


def get(slug: str) -> Series:
    if slug not in SERIES:
        raise KeyError(f"unknown series {slug!r}; expected one of: {', '.join(SERIES)}")
    return SERIES[slug]


def select(counts: pd.DataFrame, slug: str) -> pd.DataFrame:
    """Rows of ``counts`` in series ``slug``, with ``series`` and ``series_note`` columns."""
    series = get(slug)
    frames = []
    for part in series.parts:
        rows = counts[(counts["category"] == part.category) & (counts["form"] == series.form)]
        rows = rows.assign(series=slug, series_note=part.note)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True) if frames else counts.iloc[0:0]
