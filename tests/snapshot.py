"""What a refactor must not change: the processed tables and the numbers a reader sees.

:func:`snapshot` reads a data folder (after ``parole ingest``) and a reports folder (after
``parole report --default``) and returns, per table, its row count and a digest of its rows
(sorted, as text), and per rendered report, the sorted numbers in the text a reader sees (dates
and times, which change with the day of rendering, left out).
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pandas as pd

TABLES = ("counts", "processing_times", "published_figures")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b|\b\d{1,2}:\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?%?")


def table_digest(frame: pd.DataFrame, columns: list[str]) -> str:
    text = frame[columns].astype(str).sort_values(columns).to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def reader_numbers(page: str) -> list[str]:
    body = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", page)
    alts = " ".join(html.unescape(a) for a in re.findall(r'<img[^>]*\balt="([^"]*)"', body))
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", body)) + " " + alts
    text = _DATE.sub(" ", text)
    return sorted(_NUMBER.findall(text))


def snapshot(data_dir: Path, reports_dir: Path, columns: dict[str, list[str]] | None = None,
             added: dict | None = None) -> dict:
    """``added``: table -> function of the frame giving a mask of rows added since (left out,
    so that the rows that were there before are compared)."""
    tables = {}
    for name in TABLES:
        frame = pd.read_parquet(Path(data_dir) / "processed" / f"{name}.parquet")
        if added and name in added:
            frame = frame[~added[name](frame)]
        cols = (columns or {}).get(name) or list(frame.columns)
        tables[name] = {"rows": len(frame), "columns": cols,
                        "digest": table_digest(frame, cols)}
    pages = {str(p.relative_to(reports_dir)): reader_numbers(p.read_text(encoding="utf-8"))
             for p in sorted(Path(reports_dir).glob("*/*.html"))}
    return {"tables": tables, "reports": pages}
