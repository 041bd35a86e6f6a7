"""The data behind every chart and table, as CSV beside the page that shows it.

A report notebook shows each chart and table through :class:`Outputs`::

    out = downloads.Outputs(output_dir, output_name)   # both notebook parameters
    out.chart(fig, "hp_received")                       # rows from the chart itself
    out.table(table, rows, "hp_quarterly", columns={...}, formats={...})

Each call displays the chart (PNG with alt text) or the HTML table with its source line,
writes ``<output_name>_<name>.csv`` into ``output_dir`` (atomically) and prints a
"Download the data (CSV)" link with a relative address, so the link works wherever the
report folder is opened or served. The CSV holds exactly the rows shown, each with its
``status``, ``source_file``, ``source_locator`` and ``citation`` (and the publisher's
``source_url``, a ``part_year`` mark and the reason a figure is ``flagged``). Without an
``output_dir`` (a notebook run by hand) nothing is written and no link is shown.

``parole chart`` uses :func:`write_csv` to write ``FILE.csv`` beside ``FILE.png``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.viz import charts
from analysis.viz.csvdata import PROVENANCE, csv_frame, evidence_frame, write_csv

__all__ = ["PROVENANCE", "LINK_TEXT", "Outputs", "csv_frame", "evidence_frame", "link_html",
           "slug", "write_csv"]

LINK_TEXT = "Download the data (CSV)"


def slug(name: str) -> str:
    """A file-name part: lower-case letters, digits, hyphens and underscores."""
    text = re.sub(r"[^a-z0-9-]+", "_", str(name).lower()).strip("_-")
    if not text:
        raise ValueError(f"name {name!r} has no letters or digits")
    return text[:80]


def link_html(filename: str) -> str:
    """The link a reader sees under a chart or table (relative address)."""
    return (f'<p class="data-download"><a href="{html.escape(filename, quote=True)}" '
            f'download>{LINK_TEXT}</a></p>')


class Outputs:
    """Shows a report's charts and tables, each with its data as CSV beside the HTML.

    ``output_dir``: the folder the rendered HTML goes to ("" when run by hand: nothing is
    written); ``output_name``: the report's file stem, prefixed to every CSV name.
    """

    def __init__(self, output_dir: str | Path = "", output_name: str = "report") -> None:
        self.folder = Path(output_dir) if str(output_dir or "").strip() else None
        self.prefix = slug(output_name or "report")
        self.written: list[Path] = []

    def _write(self, frame: pd.DataFrame, name: str) -> str:
        """Write the CSV; return the link HTML ("" when there is no output folder)."""
        if self.folder is None:
            return ""
        filename = f"{self.prefix}_{slug(name)}.csv"
        if any(p.name == filename for p in self.written):
            raise ValueError(f"two outputs of this report are named {name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written.append(write_csv(frame, self.folder / filename))
        return link_html(filename)

    def chart(self, fig, name: str, *, rows: pd.DataFrame | None = None,
              alt: str | None = None) -> None:
        """Display ``fig`` (with its alt text) and the link to its data: ``rows`` or the
        rows the chart function drew it from."""
        from IPython.display import HTML, display

        data = rows if rows is not None else charts.chart_data(fig)
        link = self._write(csv_frame(data), name) if data is not None else ""
        charts.show(fig, alt=alt)
        if link:
            display(HTML(link))

    def table(self, table: pd.DataFrame, rows: pd.DataFrame, name: str, *,
              columns: dict[str, str], formats: dict[str, Callable] | None = None,
              key: str | None = None) -> None:
        """Display ``table`` (its ``columns``, formatted, and the source line of ``rows``)
        and the link to a CSV of exactly those rows and columns with their provenance."""
        from IPython.display import HTML, display

        from analysis.viz import tables

        page = tables.to_html(table, rows, columns=columns, formats=formats)
        shown = table[[c for c in columns if c in table.columns]]
        extra = [c for c in (*PROVENANCE, "note") if c in table.columns and c not in shown]
        frame = csv_frame(pd.concat([shown, table[extra]], axis=1), rows, key)
        link = self._write(frame, name)
        display(HTML(page + link))

    def html(self, page: str, frame: pd.DataFrame, name: str) -> None:
        """Display prepared HTML with the link to ``frame`` (already the rows shown)."""
        from IPython.display import HTML, display

        display(HTML(page + self._write(csv_frame(frame), name)))
