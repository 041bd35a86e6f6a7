"""HTML tables for reports: formatted numbers, and the source line underneath, always."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from .provenance import source_line


def count(value) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def percent(value) -> str:
    return "n/a" if pd.isna(value) else f"{value:.1%}"


def months(value) -> str:
    return "not published" if pd.isna(value) else f"{value:.1f}"


def to_html(table: pd.DataFrame, rows: pd.DataFrame, *, columns: dict[str, str],
            formats: dict[str, Callable] | None = None) -> str:
    """``table``'s ``columns`` (renamed to their headings, formatted) and the source line of
    the ``rows`` it was computed from."""
    shown = table[list(columns)].copy()
    for column, fmt in (formats or {}).items():
        shown[column] = shown[column].map(fmt)
    shown = shown.rename(columns=columns)
    body = shown.to_html(index=False, border=0, classes="parole-table", escape=True, na_rep="")
    return body + f'<p class="source-line"><em>{html.escape(source_line(rows))}</em></p>'
