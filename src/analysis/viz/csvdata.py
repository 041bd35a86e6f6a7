"""The rows behind a chart or table as CSV, with their provenance (used by the charts, by
``parole chart`` and by the report pages through :mod:`analysis.viz.downloads`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import files
from analysis.viz import formatting
from analysis.viz.provenance import publisher_url

#: Columns every CSV carries, in this order after the data columns.
PROVENANCE = ("status", "source_file", "source_locator", "citation")


def _joined(values, most: int = 12) -> str:
    """Distinct values joined with "; " (many, e.g. one locator per case record: the first
    and last and how many)."""
    seen: dict[str, None] = {}
    for v in values:
        t = formatting.text(v)
        if t:
            seen.setdefault(t, None)
    items = list(seen)
    if len(items) > most:
        return f"{items[0]}; ...; {items[-1]} ({len(items)} values)"
    return "; ".join(items)


def csv_frame(shown: pd.DataFrame, rows: pd.DataFrame | None = None,
              key: str | None = None) -> pd.DataFrame:
    """``shown`` (the rows a chart or table shows) with provenance columns.

    A column of :data:`PROVENANCE` missing from ``shown`` is taken from ``rows`` (the
    published figures it was computed from): per value of ``key`` when both have it (e.g.
    the figures of each period), else all of them joined. Adds ``source_url`` (the
    publisher's address), ``part_year`` and ``flagged`` where periods and notes say so.
    """
    out = shown.copy().reset_index(drop=True)
    if key is None and rows is not None:
        key = next((k for k in ("period", "geo_code", "group", "date") if k in out.columns
                    and k in rows.columns), None)
    for column in PROVENANCE:
        if column in out.columns:
            continue
        if rows is None or column not in rows.columns:
            out[column] = ""
        elif key:
            groups = rows.groupby(rows[key].astype(str))[column].agg(_joined)
            out[column] = out[key].astype(str).map(groups).fillna("")
        else:
            out[column] = _joined(rows[column])
    out["source_url"] = [_joined(publisher_url(c) for c in str(cit).split("; "))
                         for cit in out["citation"]]
    if "period" in out.columns:
        notes = (out["note"] if "note" in out.columns else
                 out["notes"] if "notes" in out.columns else pd.Series(None, index=out.index))
        out["part_year"] = [formatting.part_year(p, n) for p, n in
                            zip(out["period"], notes, strict=True)]
    if "note" in out.columns:
        out["flagged"] = formatting.flagged_figures(out)["flag"].reindex(out.index).fillna("")
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[column]):
            values = out[column].dropna()
            if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
                out[column] = out[column].astype("Int64")  # 325, as published, not 325.0
    drop = [c for c in out.columns if str(c).startswith("_")]
    return out.drop(columns=drop)


def evidence_frame(verdict) -> pd.DataFrame:
    """What a claim's chart shows (the claimed value, the data's value and interval, the
    verdict) beside each figure the check used (:class:`analysis.claims.checker.Evidence`),
    one row per figure, with its provenance (one row with empty provenance when none)."""
    shown = {"claim": verdict.id, "verdict": verdict.verdict, "claimed": verdict.claimed,
             "data_value": verdict.computed, "lower": verdict.lower, "upper": verdict.upper}
    evidence = [{**shown, **{f"evidence_{k}" if k in ("value", "period", "geo", "note")
                             else k: v for k, v in e.model_dump().items()}}
                for e in (getattr(verdict, "evidence", None) or [])]
    return csv_frame(pd.DataFrame(evidence or [shown]))


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` as UTF-8 CSV atomically (missing values as empty cells)."""
    return files.write_text(frame.to_csv(index=False, lineterminator="\n"), Path(path))
