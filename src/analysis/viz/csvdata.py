"""The rows behind a chart or table as CSV, with their provenance (used by the charts, by
``parole chart`` and by the report pages through :mod:`analysis.viz.downloads`)."""

from __future__ import annotations

import re
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


#: Columns that identify the figures behind a shown row, matched together (a row of a state
#: table is matched on its period *and* its place, so it gets its own locator, not all 53).
KEYS = ("period", "geo_code", "group", "date")


def _key(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame[keys].astype(str).agg("|".join, axis=1)


def _matched(out: pd.DataFrame, rows: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """``column`` of the ``rows`` matching each shown row on every key; a shown row matching
    none that way (its place is a region, say) gets those matching its first key."""
    found = _key(out, keys).map(rows.groupby(_key(rows, keys))[column].agg(_joined))
    if len(keys) > 1 and found.isna().any():
        first = out[keys[0]].astype(str).map(
            rows.groupby(rows[keys[0]].astype(str))[column].agg(_joined))
        found = found.fillna(first)
    return found.fillna("")


def _urls(rows: pd.DataFrame | None) -> dict[str, str]:
    """Each citation of ``rows`` with the publisher's address, found from the citation, its
    file and its source id (a citation without a URL still has its source's page)."""
    if rows is None or "citation" not in rows.columns:
        return {}
    cols = [c for c in ("citation", "source_file", "source") if c in rows.columns]
    found = {}
    for rec in rows[cols].drop_duplicates().to_dict("records"):
        url = publisher_url(str(rec["citation"]), str(rec.get("source_file", "") or ""),
                            str(rec.get("source", "") or ""))
        if url:
            found.setdefault(str(rec["citation"]), url)
    return found


def csv_frame(shown: pd.DataFrame, rows: pd.DataFrame | None = None,
              key: str | list[str] | None = None) -> pd.DataFrame:
    """``shown`` (the rows a chart or table shows) with provenance columns.

    A column of :data:`PROVENANCE` missing from ``shown`` is taken from ``rows`` (the
    published figures it was computed from): per value of ``key`` (default: every column of
    :data:`KEYS` that both have, e.g. period and place) when both have it, else all of them
    joined. Adds ``source_url`` (the publisher's address, per row), ``part_year`` and
    ``flagged`` where periods and notes say so.
    """
    out = shown.copy().reset_index(drop=True)
    keys = [key] if isinstance(key, str) else list(key or [])
    if not keys and rows is not None:
        keys = [k for k in KEYS if k in out.columns and k in rows.columns]
    for column in PROVENANCE:
        if column in out.columns:
            continue
        if rows is None or column not in rows.columns:
            out[column] = ""
        elif keys:
            out[column] = _matched(out, rows, keys, column)
        else:
            out[column] = _joined(rows[column])
    urls = _urls(rows if rows is not None else out)
    out["source_url"] = [_joined(urls.get(c) or publisher_url(c) for c in str(cit).split("; "))
                         for cit in out["citation"]]
    if "period" in out.columns:
        notes = (out["note"] if "note" in out.columns else
                 out["notes"] if "notes" in out.columns else pd.Series(None, index=out.index))
        out["part_year"] = [formatting.part_year(p, n) for p, n in
                            zip(out["period"], notes, strict=True)]
    if "note" in out.columns:
        out["flagged"] = formatting.flagged_figures(out)["flag"].reindex(out.index).fillna("")
    return _plain_cells(out)


def _plain_cells(out: pd.DataFrame) -> pd.DataFrame:
    """Dates as YYYY-MM-DD, whole numbers without ".0", helper columns (``_...``) dropped."""
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


#: A text cell a spreadsheet would run as a formula starts with one of these (OWASP's list)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d[\d,]*(\.\d+)?%?", re.ASCII)


def inert_cell(value: object) -> object:
    """A text cell made safe to open in a spreadsheet: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'`` (the spreadsheet convention for
    "this is text"), so ``=HYPERLINK(...)`` is shown, never run. Numbers, and text that is a
    plain number such as ``-5`` or ``+3.2%``, are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` as UTF-8 CSV atomically (missing values as empty cells; text cells
    that a spreadsheet would run as formulas made inert with :func:`inert_cell`)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(inert_cell)
    safe.columns = [inert_cell(str(c)) for c in safe.columns]
    return files.write_text(safe.to_csv(index=False, lineterminator="\n"), Path(path))
