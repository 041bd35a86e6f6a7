"""The national overview: I-131 parole series by fiscal quarter, with their sources.

What the ``national_overview`` notebook shows is computed here, so the notebook stays thin.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from analysis import config
from analysis.contract import series, store
from analysis.reports import freshness
from analysis.stats import trends
from analysis.viz import formatting, tables

MEASURES = ("received", "approved", "denied", "pending")


class Parameters(BaseModel):
    """The report's parameters once checked (built only by :func:`check_parameters`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    fy_start: int
    fy_end: int
    series: tuple[str, ...]
    data_dir: Path


def check_parameters(fy_start, fy_end, series_slugs, data_dir="") -> Parameters:
    """Validate the notebook's parameters; raise ``ValueError`` listing the valid choices."""
    for name, value in (("fy_start", fy_start), ("fy_end", fy_end)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            raise ValueError(f"{name} must be a fiscal year such as 2023, not {value!r}")
    if fy_start > fy_end:
        raise ValueError(f"fy_start ({fy_start}) is after fy_end ({fy_end})")
    if isinstance(series_slugs, str):
        series_slugs = [s.strip() for s in series_slugs.split(",") if s.strip()]
    unknown = [s for s in series_slugs if s not in series.SERIES]
    if unknown or not series_slugs:
        raise ValueError(f"unknown series {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"expected a list of: {', '.join(series.SERIES)}")
    folder = Path(data_dir) if data_dir else config.default_data_dir()
    return Parameters(fy_start=fy_start, fy_end=fy_end, series=tuple(series_slugs),
                      data_dir=folder)


def validate_parameters(p: dict) -> Parameters:
    """The notebook's parameter values, checked before a kernel starts (found by name by
    :mod:`analysis.reports.render`)."""
    return check_parameters(p["fy_start"], p["fy_end"], p["series"], p.get("data_dir", ""))


def load_counts(params: Parameters) -> pd.DataFrame:
    counts = store.read_table_once("counts", params.data_dir)
    return counts[counts["fiscal_year"].between(params.fy_start, params.fy_end)]


def latest_line(counts: pd.DataFrame, params: Parameters) -> str:
    """The header's freshness line: the latest period of each source of the series shown."""
    return freshness.latest_periods_line(*(series.select(counts, s) for s in params.series))


def quarterly(counts: pd.DataFrame, slug: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide quarterly table for one series, and the long rows it was built from.

    Columns: ``period``, one per measure, ``denial_share`` (denied / (approved + denied)) and
    ``notes`` (the publisher's or compiler's notes for the quarter, assumptions included).
    """
    rows = series.select(counts, slug)
    rows = rows[(rows["geo_level"] == "nation") & rows["period"].str.match(r"^FY\d{4}-Q\d$")]
    if rows.empty:
        return pd.DataFrame(columns=["period", *MEASURES, "denial_share", "notes"]), rows
    wide = rows.pivot_table(index=["period_start", "period"], columns="measure", values="value",
                            aggfunc="first").reset_index().sort_values("period_start")
    for measure in MEASURES:
        if measure not in wide.columns:
            wide[measure] = float("nan")
    decided = wide["approved"] + wide["denied"]
    wide["denial_share"] = wide["denied"].where(decided > 0) / decided.where(decided > 0)
    notes = (rows.assign(all_notes=rows[["note", "series_note"]].apply(
        lambda r: "; ".join(sorted({str(x) for x in r if isinstance(x, str) and x})), axis=1))
        .groupby("period")["all_notes"].agg(lambda s: "; ".join(sorted({x for x in s if x}))))
    wide["notes"] = wide["period"].map(notes).fillna("")
    wide = wide[["period", *MEASURES, "denial_share", "notes"]].reset_index(drop=True)
    wide.columns.name = None
    return wide, rows


def _described(table: pd.DataFrame, rows: pd.DataFrame | None, measure: str) -> pd.DataFrame:
    """The quarters the trend rule describes: a figure, not flagged (flagged figures are
    shown, marked, but no sentence rests on them)."""
    present = table.dropna(subset=[measure])
    if rows is None or rows.empty:
        return present
    flagged = formatting.flagged_figures(rows[rows["measure"] == measure])
    return present[~present["period"].isin(set(flagged["period"]))]


def finding(table: pd.DataFrame, measure: str, label: str,
            rows: pd.DataFrame | None = None) -> str:
    """A title that states what the data shows, by the one trend rule
    (:func:`analysis.stats.trends.shape`): where the series turned, not one change from the
    first to the last quarter. ``rows``: the published rows, so flagged figures are left out."""
    present = _described(table, rows, measure)
    if present.empty:
        return f"{label}: no {measure} figures published in this range"
    subject = f"{measure.capitalize()} applications for {label[:1].lower() + label[1:]}"
    if len(present) == 1:
        return f"{subject}: {formatting.number(present['period'].iloc[0])}"
    found = trends.shape(present["period"].tolist(), present[measure].tolist())
    return formatting.shape_sentence(subject, found)


def key_findings(counts: pd.DataFrame, params: Parameters) -> list[str]:
    """The report's opening box: per series, the shape of receipts and the latest denial
    share, from the same figures and words as the charts."""
    out = []
    for slug in params.series:
        label = series.get(slug).label
        table, rows = quarterly(counts, slug)
        if table.empty:
            out.append(f"{label}: no published figures in these years.")
            continue
        out.append(finding(table, "received", label, rows) + ".")
        decided = table.dropna(subset=["denial_share"])
        if not decided.empty:
            last = decided.iloc[-1]
            out.append(f"{label}: {formatting.share(last['denial_share'])} of decisions in "
                       f"{last['period']} were denials.")
    return out


def subtitle(text: str, rows: pd.DataFrame) -> str:
    """``text`` plus the short caveat any row of the series carries (e.g. FY2026 renaming)."""
    if "series_note" in rows.columns and rows["series_note"].fillna("").ne("").any():
        return text + " (FY2026 on: renamed USCIS row taken as the same series, an assumption)"
    return text


def share_finding(table: pd.DataFrame, label: str) -> str:
    present = table.dropna(subset=["denial_share"])
    if present.empty:
        return f"{label}: no decisions published in this range"
    last = present.iloc[-1]
    low, high = present["denial_share"].min(), present["denial_share"].max()
    return (f"{label}: {formatting.share(last['denial_share'])} of decisions in "
            f"{last['period']} were denials (lowest {formatting.share(low)}, highest "
            f"{formatting.share(high)} of the quarters shown)")


DISPLAY_COLUMNS = {"period": "Quarter", "received": "Received", "approved": "Approved",
                   "denied": "Denied", "pending": "Pending (end of quarter)",
                   "denial_share": "Denied / (approved + denied)", "notes": "Notes"}
DISPLAY_FORMATS = {**dict.fromkeys(MEASURES, tables.count), "denial_share": tables.percent}


def display_table(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    """HTML for the quarterly table with its source line underneath."""
    return tables.to_html(table, rows, columns=DISPLAY_COLUMNS, formats=DISPLAY_FORMATS)
