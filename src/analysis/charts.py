"""Briefing charts in one house style.

The title states the finding, the subtitle says what is measured, the source line (built from
the data's citations by :func:`analysis.provenance.source_line`) sits at the bottom left, the
palette is seaborn's colour-blind-safe one, series are labelled directly, and synthetic data
carries a SYNTHETIC mark that cannot be missed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .provenance import SYNTHETIC_LABEL

SIZES = {"slide": (10, 5.6), "social": (8, 4.2), "print": (6.5, 4.0)}
PALETTE = sns.color_palette("colorblind")


def figure(size: str = "slide"):
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; expected one of {', '.join(SIZES)}")
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    fig, ax = plt.subplots(figsize=SIZES[size])
    return fig, ax


def finish(fig, ax, *, title: str, subtitle: str, source: str, synthetic: bool = False):
    """Apply the house layout: finding as title, measure as subtitle, source bottom left."""
    width = int(fig.get_figwidth() * 11)
    fig.subplots_adjust(top=0.80, bottom=0.22, left=0.09, right=0.86)
    fig.text(0.01, 0.97, textwrap.fill(title, width), fontsize=14, fontweight="bold",
             va="top", ha="left")
    fig.text(0.01, 0.885, textwrap.fill(subtitle, int(width * 1.2)), fontsize=10.5,
             color="#444444", va="top", ha="left")
    fig.text(0.01, 0.015, textwrap.fill(source, int(width * 1.45)), fontsize=7.5,
             color="#555555", va="bottom", ha="left")
    ax.spines[["top", "right"]].set_visible(False)
    if synthetic:
        fig.text(0.5, 0.5, SYNTHETIC_LABEL, fontsize=60, color="#d62728", alpha=0.18,
                 ha="center", va="center", rotation=20, fontweight="bold")
        fig.text(0.99, 0.97, f"{SYNTHETIC_LABEL} DATA", fontsize=11, color="#d62728",
                 fontweight="bold", ha="right", va="top")
    return fig


def line_chart(table: pd.DataFrame, *, x: str, columns: list[str], labels: dict[str, str],
               title: str, subtitle: str, source: str, ylabel: str = "",
               percent: bool = False, size: str = "slide", synthetic: bool = False):
    """Lines for ``columns`` of ``table`` over ``x``, each labelled at its last point."""
    fig, ax = figure(size)
    positions = range(len(table))
    for i, column in enumerate(columns):
        values = table[column].astype(float)
        ax.plot(positions, values, marker="o", markersize=3, color=PALETTE[i % len(PALETTE)])
        last = values.last_valid_index()
        if last is not None:
            ax.annotate(labels.get(column, column), (table.index.get_loc(last), values[last]),
                        xytext=(6, 0), textcoords="offset points", va="center",
                        color=PALETTE[i % len(PALETTE)], fontsize=9, fontweight="bold")
    ticks = list(positions)
    step = max(1, len(ticks) // 10)
    ax.set_xticks(ticks[::step], table[x].iloc[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    if percent:
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    else:
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic)


def show(fig) -> None:
    """Display ``fig`` as an image in a notebook output and release it."""
    from IPython.display import display

    display(fig)
    plt.close(fig)


def save(fig, path: Path | str, *, alt_text: str) -> list[Path]:
    """Save ``fig`` as PNG and SVG beside a ``.alt.txt`` file holding its alternative text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=150)
        written.append(target)
    alt = path.with_suffix(".alt.txt")
    alt.write_text(alt_text + "\n", encoding="utf-8")
    written.append(alt)
    return written
