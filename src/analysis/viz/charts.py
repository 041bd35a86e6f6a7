"""Briefing charts in one house style.

The title states the finding, the subtitle says what is measured, the source line (built from
the data's citations by :func:`analysis.viz.provenance.source_line`) sits at the bottom left, the
palette is seaborn's colour-blind-safe one, series are labelled directly, and synthetic data
carries a SYNTHETIC mark that cannot be missed.

Chart kinds: :func:`line_chart`, :func:`bar_intervals`, :func:`trend_band`,
:func:`stacked_outcomes`, :func:`km_curves`, :func:`tile_map`. Each returns a matplotlib
``Figure`` that carries its alternative text (read it with :func:`alt_text`); :func:`save`
writes ``NAME.png``, ``NAME.svg`` and ``NAME.alt.txt`` side by side. ``source`` may be the
source line itself or the rows shown (a DataFrame), from which the line is built.
``synthetic=None`` (the default of the newer kinds) detects synthetic rows in the table.

The command ``parole chart KIND`` is :func:`register_cli` at the end of this module.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm, Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from analysis.errors import ParoleError
from analysis.stats import synthetic as synthetic_rows
from analysis.stats import timing
from analysis.viz import csvdata, formatting, palette
from analysis.viz.provenance import SYNTHETIC_LABEL, source_line

DPI = 150
#: Resolution of each size when saved: print needs at least 300 dpi.
SAVE_DPI = {"slide": 150, "social": 150, "print": 300, "phone": 200, "phone-tall": 200}
#: ``phone`` is the narrow rendition shown on screens up to 600 px wide (see :func:`show`).
SIZES = {"slide": (10, 5.6), "social": (8, 4.2), "print": (6.5, 4.0), "phone": (3.6, 7.6),
         "phone-tall": (3.6, 10.5)}
#: Smallest text of a size, in points: a phone chart is shown about 358 px wide, where 9 pt
#: is 12 px.
MIN_PT = {"phone": 9.0, "phone-tall": 9.0}
#: Narrow renditions tried in turn (a chart with long notes needs the taller one).
PHONE_SIZES = ("phone", "phone-tall")
#: Resolution of the charts shown in report pages: twice the CSS pixel (sharp on 2x screens
#: and on paper).
SHOW_DPI = 200
#: Screens at most this wide (CSS px) get the ``phone`` rendition of a chart.
PHONE_MAX_PX = 600
#: The series colours in order (measures take theirs from :mod:`analysis.viz.palette`).
PALETTE = list(palette.SERIES)
INK, MUTED, FAINT = "#222222", "#555555", "#bbbbbb"
SYNTHETIC_RED = "#c0392b"
MISSING_FILL = "#e6e6e6"
#: Sequential colour map of the tile map (perceptually uniform, readable in grey).
SEQUENTIAL = "mako_r"

_TITLE_PT, _SUBTITLE_PT, _SOURCE_PT, _NOTE_PT, _LABEL_PT = 14, 10.5, 7.5, 8, 9
#: Header and footer text scale by size (a print chart is small on the page, read close).
_TEXT_SCALE = {"slide": 1.0, "social": 1.0, "print": 0.8, "phone": 1.0, "phone-tall": 1.0}
_ALT = "_parole_alt_text"
_LABELS = "_parole_direct_labels"
_DATA = "_parole_data"
_SIZE = "_parole_size"
_CALL = "_parole_call"
FLAG_COLOUR = palette.FLAG


# ---------------------------------------------------------------- house layout


def figure(size: str = "slide"):
    """A new figure and axes of the named ``size`` (``slide``, ``social`` or ``print``)."""
    if size not in SIZES:
        raise ParoleError(f"unknown size {size!r}; expected one of {', '.join(SIZES)}")
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    # drawn at the export resolution: text is measured for wrapping and layout at this DPI
    fig, ax = plt.subplots(figsize=SIZES[size], dpi=SAVE_DPI[size])
    setattr(fig, _SIZE, size)
    return fig, ax


def _floor(fig) -> float:
    """The smallest text size (points) of ``fig``'s size (0: no floor)."""
    return MIN_PT.get(getattr(fig, _SIZE, "slide"), 0.0)


def _raise_small_text(fig) -> None:
    """Every text already on ``fig`` (tick labels, annotations, axis titles) at least its
    size's :data:`MIN_PT`."""
    floor = _floor(fig)
    if not floor:
        return
    for ax in fig.axes:
        for axis in ("x", "y"):
            labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
            if min((t.get_fontsize() for t in labels), default=floor) < floor:
                ax.tick_params(axis=axis, labelsize=floor)
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_fontsize() < floor:
            text.set_fontsize(floor)


def redrawable(draw):
    """Mark a chart kind whose figure can be drawn again at another size (:func:`redraw`)."""
    @functools.wraps(draw)
    def call(*args, **kwargs):
        fig = draw(*args, **kwargs)
        setattr(fig, _CALL, (call, args, kwargs))
        return fig
    return call


def redraw(fig, size: str):
    """``fig`` drawn again by its chart kind at ``size`` (None for a figure drawn by hand)."""
    found = getattr(fig, _CALL, None)
    if found is None:
        return None
    draw, args, kwargs = found
    return draw(*args, **{**kwargs, "size": size})


def _source_text(source: str | pd.DataFrame) -> str:
    return source_line(source) if isinstance(source, pd.DataFrame) else str(source)


def _keep_data(fig, source: object, shown: pd.DataFrame | None = None) -> None:
    """Attach the rows behind a chart (``source`` when it is a frame, else ``shown``) so
    :func:`save` and the report helpers can write them as CSV beside the image."""
    data = source if isinstance(source, pd.DataFrame) else shown
    if isinstance(data, pd.DataFrame):
        setattr(fig, _DATA, data)


def attach_data(fig, frame: pd.DataFrame) -> None:
    """Set the rows written as CSV beside ``fig`` (replacing those the chart kept)."""
    setattr(fig, _DATA, frame)


def chart_data(fig) -> pd.DataFrame | None:
    """The rows a chart function drew ``fig`` from (the rows behind its source line)."""
    return getattr(fig, _DATA, None)


def footer_text(today: date | None = None) -> str:
    """The small footer every chart carries: the project's name and the drawing date."""
    return f"{formatting.PROJECT} \u00b7 {(today or date.today()).isoformat()}"


def _detect(synthetic: bool | None, *frames: object) -> bool:
    """``synthetic`` as given, or True when any frame passed is synthetic."""
    if synthetic is not None:
        return bool(synthetic)
    return any(isinstance(f, pd.DataFrame) and synthetic_rows.is_synthetic(f) for f in frames)


def _to_fig(fig, bbox):
    return bbox.transformed(fig.transFigure.inverted())


def _wrapped_text(fig, x: float, y: float, text: str, *, max_width: float, fontsize: float,
                  **kwargs):
    """Place ``text`` at (x, y) wrapped so it is no wider than ``max_width`` (figure
    fraction); lines break at spaces only, so joining the lines gives the text back."""
    renderer = fig.canvas.get_renderer()
    chars = max(20, int(fig.get_figwidth() * max_width * 72 / (fontsize * 0.5)))
    artist = fig.text(x, y, text, fontsize=fontsize, parse_math=False, **kwargs)
    while True:
        lines = textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False)
        artist.set_text("\n".join(lines) if lines else "")
        width = _to_fig(fig, artist.get_window_extent(renderer)).width
        if width <= max_width or chars <= 20:
            return artist
        chars = int(chars * 0.92)


def _fit_axes(fig, ax, *, left: float, right: float, bottom: float, top: float) -> None:
    """Move ``ax`` so its decorations (tick labels, axis titles, direct labels, insets) fill
    the box between the header and the footer without spilling over it."""
    renderer = fig.canvas.get_renderer()
    for _ in range(3):
        tight = _to_fig(fig, ax.get_tightbbox(renderer))
        pos = ax.get_position()
        pad_l, pad_r = pos.x0 - tight.x0, tight.x1 - pos.x1
        pad_b, pad_t = pos.y0 - tight.y0, tight.y1 - pos.y1
        x0, x1 = left + pad_l, right - pad_r
        y0, y1 = bottom + pad_b, top - pad_t
        if x1 - x0 < 0.1 or y1 - y0 < 0.1:
            raise ParoleError("the chart does not fit its size: shorten the labels or use a "
                              "larger --size")
        ax.set_position([x0, y0, x1 - x0, y1 - y0])


class _Box:
    """The frame of a figure being finished: margins (figure fractions) and its text sizes."""

    def __init__(self, fig) -> None:
        self.fig = fig
        self.k = _TEXT_SCALE.get(getattr(fig, _SIZE, "slide"), 1.0)
        self.floor = _floor(fig)
        self.width_in, self.height_in = fig.get_size_inches()
        self.px, self.py = 0.16 / self.width_in, 0.12 / self.height_in
        self.usable = 1 - 2 * self.px
        self.renderer = fig.canvas.get_renderer()

    def pt(self, size: float) -> float:
        return max(size * self.k, self.floor)

    def bottom_of(self, artist) -> float:
        return _to_fig(self.fig, artist.get_window_extent(self.renderer)).y0

    def top_of(self, artist) -> float:
        return _to_fig(self.fig, artist.get_window_extent(self.renderer)).y1


def _synthetic_tag(box: _Box) -> float:
    """The SYNTHETIC DATA tag at the top right; returns the width left for the title."""
    fig = box.fig
    tag = fig.text(1 - box.px, 1 - box.py, f"{SYNTHETIC_LABEL} DATA", fontsize=11,
                   color="white", fontweight="bold", ha="right", va="top", parse_math=False,
                   bbox={"boxstyle": "square,pad=0.3", "fc": SYNTHETIC_RED, "ec": "none"})
    return _to_fig(fig, tag.get_window_extent(box.renderer)).x0 - box.px - 0.02


def _header(box: _Box, title: str, subtitle: str, title_width: float) -> float:
    """Title and subtitle at the top; returns where the plot may begin (figure fraction)."""
    head = _wrapped_text(box.fig, box.px, 1 - box.py, title, max_width=title_width,
                         fontsize=box.pt(_TITLE_PT), fontweight="bold", color=INK, va="top",
                         ha="left")
    y = box.bottom_of(head) - 0.06 / box.height_in
    sub = _wrapped_text(box.fig, box.px, y, subtitle, max_width=box.usable,
                        fontsize=box.pt(_SUBTITLE_PT), color="#444444", va="top", ha="left")
    return box.bottom_of(sub) - 0.16 / box.height_in


def phone_source(source: str) -> str:
    """A source line for the narrow rendition: each address shortened to its site (the full
    address is in the wide chart, its alt text and the CSV)."""
    return re.sub(r"https?://([^/\s]+)\S*", r"\1", source)


def _footer(box: _Box, source: str, note: str) -> float:
    """Source line (and ``note`` above it) at the bottom, the project's footer at the bottom
    right (on a phone, on its own line); returns where the plot must end."""
    fig, phone = box.fig, getattr(box.fig, _SIZE, "") in PHONE_SIZES
    brand = fig.text(1 - box.px, box.py, footer_text(), fontsize=box.pt(_SOURCE_PT - 0.5),
                     color=MUTED, va="bottom", ha="right", parse_math=False, gid="footer")
    extent = _to_fig(fig, brand.get_window_extent(box.renderer))
    if phone:
        foot = _wrapped_text(fig, box.px, extent.y1 + 0.03 / box.height_in,
                             phone_source(source), max_width=box.usable,
                             fontsize=box.pt(_SOURCE_PT), color=MUTED, va="bottom", ha="left")
    else:
        foot = _wrapped_text(fig, box.px, box.py, source,
                             max_width=box.usable - extent.width - 0.03,
                             fontsize=box.pt(_SOURCE_PT), color=MUTED, va="bottom", ha="left")
    footer_top = box.top_of(foot)
    if note:
        extra = _wrapped_text(fig, box.px, footer_top + 0.05 / box.height_in, note,
                              max_width=box.usable, fontsize=box.pt(_NOTE_PT), color=INK,
                              style="italic", va="bottom", ha="left")
        footer_top = box.top_of(extra)
    return footer_top + 0.12 / box.height_in


def finish(fig, ax, *, title: str, subtitle: str, source: str | pd.DataFrame,
           synthetic: bool = False, note: str = ""):
    """Apply the house layout: finding as title, measure as subtitle, ``note`` (optional,
    e.g. which states have no figure) above the source line at the bottom left."""
    source = _source_text(source)
    _raise_small_text(fig)
    box = _Box(fig)
    title_width = _synthetic_tag(box) if synthetic else box.usable
    header_bottom = _header(box, title, subtitle, title_width)
    footer_top = _footer(box, source, note)
    if ax.axison:
        ax.spines[["top", "right"]].set_visible(False)
    _fit_axes(fig, ax, left=box.px, right=1 - box.px, bottom=footer_top, top=header_bottom)
    _respread_labels(fig, ax)
    if synthetic:
        fig.text(0.5, 0.5, SYNTHETIC_LABEL, fontsize=min(60, 7 * box.width_in),
                 color=SYNTHETIC_RED, alpha=0.14, ha="center", va="center", rotation=20,
                 fontweight="bold", zorder=10, parse_math=False)
    return fig


# ---------------------------------------------------------------- direct labels


def _spread(values: Sequence[float], gap: float, lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """Positions as close to ``values`` as possible, at least ``gap`` apart, within [lo, hi]."""
    if not values:
        return []
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [min(max(values[i], lo), hi) for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - hi
    if overflow > 0:
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def _direct_labels(fig, ax, items: list[tuple[float, float, str, object]], *,
                   edge: bool = False) -> None:
    """Label series at their ends: ``items`` are ``(x, y, text, colour)`` in data units
    (``edge``: all labels in one column at the right edge of the plot instead of at ``x``);
    the labels are pushed apart vertically after layout (see :func:`_respread_labels`)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)  # freeze the limits so axes fractions stay valid
    labels = []
    for x, y, text, colour in items:
        frac = min(max((y - y0) / (y1 - y0), 0.0), 1.0) if y1 != y0 else 0.5
        where = ((1.0, frac), "axes fraction") if edge else (
            (x, frac), ax.get_xaxis_transform())
        ann = ax.annotate(text, xy=where[0], xycoords=where[1],
                          xytext=(7, 0), textcoords="offset points", va="center", ha="left",
                          color=colour, fontsize=_LABEL_PT, fontweight="bold",
                          annotation_clip=False)
        ann.set_parse_math(False)
        labels.append((ann, frac))
    setattr(fig, _LABELS, labels)


def _respread_labels(fig, ax) -> None:
    labels = getattr(fig, _LABELS, [])
    if not labels:
        return
    height_pt = ax.get_position().height * fig.get_figheight() * 72
    lines = [ann.get_text().count("\n") + 1 for ann, _ in labels]
    gap = _LABEL_PT * 1.25 * max(lines) / height_pt
    ys = _spread([frac for _, frac in labels], gap, lo=0.0, hi=1.0)
    for (ann, _), y in zip(labels, ys, strict=True):
        ann.xy = (ann.xy[0], y)


# ---------------------------------------------------------------- formatting and alt text


def fmt(value: float, percent: bool = False, digits: int | None = None) -> str:
    """A figure as :mod:`analysis.viz.formatting` writes it: a number as published (thousands
    separators, its own decimals: 17.5 stays "17.5") or a share with significant digits
    kept ("0.02%"); ``digits`` fixes the decimals of a percentage."""
    if percent:
        return formatting.share(value, digits)
    return formatting.number(value)


def _short(value: float) -> str:
    """Compact count for a tile: 950, 8.2k, 12k, 1.3M."""
    if value is None or math.isnan(value):
        return "n/a"
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.1f}M"
    if a >= 1e4:
        return f"{value / 1e3:.0f}k"
    if a >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"


def _set_alt(fig, kind: str, title: str, subtitle: str, details: str, source: str,
             synthetic: bool, note: str = "") -> None:
    parts = [f"{SYNTHETIC_LABEL} DATA, not real figures." if synthetic else "",
             f"{kind}. {title.rstrip('.')}.", f"{subtitle.rstrip('.')}.",
             details.strip(), note.strip(), _source_text(source)]
    setattr(fig, _ALT, " ".join(p for p in parts if p))


def alt_text(fig) -> str:
    """The alternative text a chart function attached to ``fig`` (finding, key numbers,
    source); raises ``ValueError`` for a figure not made here."""
    text = getattr(fig, _ALT, None)
    if not text:
        raise ValueError("this figure has no alternative text; pass alt_text= to save()")
    return text


def _y_format(ax, percent: bool) -> None:
    ax.yaxis.set_major_formatter(formatting.TickFormatter(percent))


#: Room kept above the highest value (a share of it), so no point sits on the top edge.
HEADROOM = 0.05


def _y_axis(ax, high: float, percent: bool = False) -> None:
    """The value axis of every chart with a zero baseline: from 0 to a labelled gridline at
    or above the highest value plus :data:`HEADROOM` (the gridlines are fixed here, so the
    top of the axis is always a labelled line, never an unlabelled edge above the last one).
    A share axis ends at 100% at most."""
    _y_format(ax, percent)
    if not np.isfinite(high) or high <= 0:
        high = 1.0
    want = high * (1 + HEADROOM)
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 5, 10]).tick_values(0, want)
    top = float(min((t for t in ticks if t >= want * (1 - 1e-9)), default=want))
    if percent and high <= 1:
        top = min(top, 1.0)
    ticks = [float(t) for t in ticks if -1e-12 <= t <= top * (1 + 1e-9)]
    if not ticks or ticks[-1] < top * (1 - 1e-9):
        ticks.append(top)
    ax.set_yticks(ticks)
    ax.set_ylim(0, top)


def _x_positions(labels: Sequence[object]) -> tuple[np.ndarray, bool]:
    """x coordinates of ``labels``: on a time axis (matplotlib date numbers of each period's
    middle, or of each date) when the labels are periods or dates, so points are spaced by
    time; else 0, 1, 2, ..."""
    times = formatting.time_values(list(labels))
    if times is None:
        return np.arange(len(labels), dtype=float), False
    return mdates.date2num(times.to_pydatetime()), True


def _x_axis(ax, labels: Sequence[object], xs: np.ndarray, is_time: bool,
            partial: set[str] = frozenset()) -> None:
    """Ticks of the x axis: each period labelled at its own place in time (thinned to at
    most 12, part-year periods marked), dates by a date locator, categories by name."""
    labels = [formatting.text(v) for v in labels]
    periodic = is_time and all(formatting.is_period(v) for v in labels)
    if is_time and not periodic:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        ax.tick_params(axis="x", labelsize=8)
        return
    step = max(1, math.ceil(len(labels) / (5 if _floor(ax.figure) else 12)))
    picked = list(range(len(labels)))[::step]
    for i, label in enumerate(labels):  # a part-year period is always labelled
        if label in partial and i not in picked:
            picked.append(i)
    picked.sort()
    names = [labels[i] + (f" {formatting.MARKS['part-year']}" if labels[i] in partial else "")
             for i in picked]
    if is_time and len(xs) > 1:
        pad = float(np.min(np.diff(np.sort(xs)))) * 0.6
        ax.set_xlim(xs.min() - pad, xs.max() + pad)
    tick_pt = max(_TICK_PT, _floor(ax.figure))
    rotate = _labels_collide(ax, [xs[i] for i in picked], names, tick_pt)
    ax.set_xticks([xs[i] for i in picked], names, rotation=45 if rotate else 0,
                  ha="right" if rotate else "center", fontsize=tick_pt)


_TICK_PT = 8


def _labels_collide(ax, positions: Sequence[float], names: Sequence[str],
                    fontsize: float) -> bool:
    """True when horizontal tick labels would run into each other: the widest label, as the
    renderer measures it, plus half an em, against the narrowest gap between ticks on 90% of
    the axes' current width (the layout later shrinks the axes a little for its labels)."""
    if len(positions) < 2:
        return False
    fig = ax.figure
    x0, x1 = ax.get_xlim()
    if x1 == x0:
        return False
    renderer = fig.canvas.get_renderer()
    font = FontProperties(size=fontsize)
    widest_px = max(renderer.get_text_width_height_descent(n, font, ismath=False)[0]
                    for n in names)
    width_px = ax.get_position().width * fig.get_figwidth() * fig.dpi * 0.9
    gap_px = float(np.min(np.diff(np.sort(np.asarray(positions, float))))) / abs(x1 - x0) \
        * width_px
    return widest_px + 0.5 * fontsize * fig.dpi / 72 > gap_px


def _marks_for(rows: pd.DataFrame | None, column: str) -> tuple[set[str], dict[str, str]]:
    """Part-year periods and flagged figures ({period: reason}) among ``rows`` for the
    plotted ``column`` (the rows of the measure of that name, when rows carry measures)."""
    if not isinstance(rows, pd.DataFrame) or rows.empty or "period" not in rows.columns:
        return set(), {}
    partial = formatting.part_year_periods(rows)
    mine = rows
    if "measure" in rows.columns:
        if column in set(rows["measure"]):
            mine = rows[rows["measure"] == column]
        elif rows["measure"].nunique() > 1:
            return partial, {}
    flagged = formatting.flagged_figures(mine)
    return partial, {str(p): r for p, r in zip(flagged["period"], flagged["flag"], strict=True)}


def _partial_note(partial: Sequence[str], rows: object = None) -> str:
    if not partial:
        return ""
    mark = formatting.MARKS["part-year"]
    listed = ", ".join(sorted(partial))
    return (f"{mark} Part year: {listed} cover{'s' if len(partial) == 1 else ''} only part of "
            "the period; drawn hollow, not joined to the full periods, and left out of "
            "trend fits.")


def _flag_note(flags: Mapping[str, Mapping[str, str]]) -> str:
    parts = []
    for what, found in flags.items():
        reasons = sorted(set(found.values()))
        parts.append(f"{what} {', '.join(sorted(found))} ({'; '.join(reasons)})")
    if not parts:
        return ""
    return "Ringed: flagged figure" + ("s" if sum(map(len, flags.values())) > 1 else "") + \
        ", check before use: " + "; ".join(parts) + "."


def _draw_marks(ax, xs: np.ndarray, values: np.ndarray, labels: list[str], colour,
                partial: set[str], flags: Mapping[str, str]) -> None:
    """Draw a series' part-year points hollow and ring its flagged figures (a run of
    neighbouring flagged figures is labelled once)."""
    for i, label in enumerate(labels):
        if np.isnan(values[i]):
            continue
        if label in partial:
            ax.plot([xs[i]], [values[i]], marker="o", markersize=6, markerfacecolor="white",
                    markeredgecolor=colour, markeredgewidth=1.6, linestyle="none", zorder=5)
            ax.annotate("part year", (xs[i], values[i]), xytext=(0, 7),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7,
                        color=MUTED, style="italic", annotation_clip=None)
        if label in flags:
            ax.plot([xs[i]], [values[i]], marker="o", markersize=13, markerfacecolor="none",
                    markeredgecolor=FLAG_COLOUR, markeredgewidth=1.6, linestyle="none",
                    zorder=6, gid=f"flag-{label}")
            if i > 0 and labels[i - 1] in flags:
                continue
            ax.annotate(f"{formatting.MARKS['flagged']} check", (xs[i], values[i]),
                        xytext=(0, 10), textcoords="offset points", ha="center", va="bottom",
                        fontsize=7, color=FLAG_COLOUR, fontweight="bold",
                        annotation_clip=False)


def _mark_off_scale(ax, points: list[tuple[float, float, object]], percent: bool) -> None:
    """Part-year figures above the full years' scale: a hollow arrowhead at the top edge
    with the figure written beside it (the axis is not stretched for a part year)."""
    top = ax.get_ylim()[1]
    for x, value, colour in points:
        if not np.isfinite(value) or value <= top:
            continue
        for artist in [*ax.lines, *ax.texts]:  # the hollow point and its label, off the axes
            xy = getattr(artist, "xy", None)
            if xy is None and len(artist.get_xdata()) == 1:
                xy = (artist.get_xdata()[0], artist.get_ydata()[0])
            if xy is not None and np.isclose(xy[0], x) and np.isclose(xy[1], value):
                artist.remove()
        ax.plot([x], [top], marker="^", markersize=7, markerfacecolor="white",
                markeredgecolor=colour, markeredgewidth=1.4, clip_on=False, zorder=5)
        ax.annotate(f"part year: {fmt(value, percent)} (off scale)", (x, top), xytext=(0, -9),
                    textcoords="offset points", ha="center", va="top", fontsize=7,
                    color=MUTED, style="italic")


def join_period(rows: pd.DataFrame | None) -> str | None:
    """The first period of a series taken from a joined (renamed) row: rows with a
    ``series_note`` following rows without one (None when there is no join)."""
    if not isinstance(rows, pd.DataFrame) or "series_note" not in rows.columns or \
            "period" not in rows.columns:
        return None
    noted = rows["series_note"].fillna("").astype(str).str.strip() != ""
    if not noted.any() or noted.all():
        return None
    starts = {str(p): formatting.time_values([str(p)]) for p in rows["period"].unique()}
    if any(v is None for v in starts.values()):
        return None
    first = min(rows.loc[noted, "period"].astype(str), key=lambda p: starts[p][0])
    return first


def _mark_join(ax, rows: pd.DataFrame | None, names: list[str], xs: np.ndarray) -> None:
    """A dotted vertical line before the first period of a joined series, labelled."""
    first = join_period(rows)
    if first is None or first not in names:
        return
    i = names.index(first)
    x = xs[i] - (xs[i] - xs[i - 1]) / 2 if i > 0 else xs[i]
    ax.axvline(x, color=MUTED, linestyle=":", linewidth=1.2, zorder=1, gid="series-join")
    right = x > (xs.min() + xs.max()) / 2  # written towards the middle, inside the plot
    ax.annotate("renamed row joined here", (x, 1.0), xycoords=ax.get_xaxis_transform(),
                xytext=(-3 if right else 3, -2), textcoords="offset points",
                ha="right" if right else "left", va="top", fontsize=7.5, color=MUTED,
                style="italic", annotation_clip=False)


def _full_line(xs: np.ndarray, values: np.ndarray, labels: list[str],
               partial: set[str]) -> np.ndarray:
    """``values`` with part-year points removed, so the line joins full periods only."""
    out = values.copy()
    for i, label in enumerate(labels):
        if label in partial:
            out[i] = np.nan
    return out


# ---------------------------------------------------------------- chart kinds


@redrawable
def line_chart(table: pd.DataFrame, *, x: str, columns: list[str], labels: dict[str, str],
               title: str, subtitle: str, source: str | pd.DataFrame, ylabel: str = "",
               percent: bool = False, size: str = "slide", synthetic: bool | None = False,
               note: str = "", steps: bool = False):
    """Lines for ``columns`` of ``table`` over ``x``, each labelled at its last point.
    ``steps``: a change log (each value stands until the next), drawn as steps, not slopes.

    Periods and dates sit on a time axis. When ``source`` is the rows shown (a frame), a
    part-year period (see :func:`analysis.viz.formatting.part_year`; a ``notes`` column of
    ``table`` saying "partial year" counts too) is drawn hollow and not joined to the line,
    and a flagged figure (:func:`analysis.viz.formatting.flag_reason`) is ringed, both explained
    in the note above the source line.
    """
    synthetic = _detect(synthetic, table, source)
    fig, ax = figure(size)
    table = table.reset_index(drop=True)
    names = [formatting.text(v) for v in table[x]]
    xs, is_time = _x_positions(names)
    rows = source if isinstance(source, pd.DataFrame) else None
    partial: set[str] = set()
    if "notes" in table.columns:
        partial |= {n for n, t in zip(names, table["notes"], strict=True)
                    if formatting.part_year(n, t)}
    ends, details, flags, offscale = [], [], {}, []
    highest = 0.0
    for i, column in enumerate(columns):
        colour = palette.colour(column, i)
        values = pd.to_numeric(table[column], errors="coerce").astype(float).to_numpy()
        col_partial, col_flags = _marks_for(rows, column)
        part = partial | (col_partial & set(names))
        if is_time:
            part |= {n for n in names if formatting.part_year(n)}
        partial |= part
        # part years stay off the scale of full years: the axis is set by full periods
        full = np.array([v for v, n in zip(values, names, strict=True) if n not in part])
        highest = float(np.nanmax(np.r_[full if np.isfinite(full).any() else values,
                                        highest]))
        offscale += [(xs[j], values[j], colour) for j, n in enumerate(names) if n in part]
        line = _full_line(xs, values, names, part | set(col_flags))
        ax.plot(xs, line, marker="o", markersize=3, color=colour, linewidth=2,
                drawstyle="steps-post" if steps else "default")
        _draw_marks(ax, xs, values, names, colour, part, col_flags)
        name = labels.get(column, column)
        if col_flags:
            flags[name] = col_flags
        present = np.flatnonzero(~np.isnan(values))
        if len(present):
            first, last = present[0], present[-1]
            ends.append((xs[last], values[last], name, colour))
            high = present[np.nanargmax(values[present])]
            details.append(
                f"{name}: {fmt(values[first], percent)} in "
                f"{formatting.period(names[first], names[first] in part)}, "
                f"{fmt(values[last], percent)} in "
                f"{formatting.period(names[last], names[last] in part)}"
                + (f", highest {fmt(values[high], percent)} in "
                   f"{formatting.period(names[high], names[high] in part)}"
                   if len(present) > 2 else "") + ".")
    _x_axis(ax, names, xs, is_time, partial)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(ylabel)
    _y_axis(ax, highest, percent)
    _mark_off_scale(ax, offscale, percent)
    _mark_join(ax, rows, names, xs)
    _direct_labels(fig, ax, ends)
    full_note = " ".join(t for t in (note, _partial_note(sorted(partial & set(names))),
                                     _flag_note(flags)) if t)
    _set_alt(fig, "Line chart", title, subtitle, " ".join(details), source, synthetic,
             full_note)
    _keep_data(fig, source, table)
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=full_note)


@redrawable
def bar_intervals(table: pd.DataFrame, *, label: str = "group", estimate: str = "estimate",
                  lower: str = "lower", upper: str = "upper", title: str, subtitle: str,
                  source: str | pd.DataFrame, percent: bool = True, xlabel: str = "",
                  size: str = "slide", synthetic: bool | None = None, note: str = ""):
    """Horizontal bars with interval whiskers, largest at the top (e.g. regional shares from
    :mod:`analysis.stats.shares`: ``group, estimate, lower, upper, method``).

    A row without an estimate but with ``estimate_low``/``estimate_high`` (a share bounded by
    suppressed cells) is drawn as a hatched range; a row with neither says "not estimable".
    """
    for col in (label, estimate, lower, upper):
        if col not in table.columns:
            raise ParoleError(f"bar_intervals: the table has no column {col!r}")
    synthetic = _detect(synthetic, table, source)
    rows = table.reset_index(drop=True)
    fig, ax = figure(size)
    n = len(rows)
    ys = np.arange(n)[::-1]  # first row at the top
    est = pd.to_numeric(rows[estimate], errors="coerce").to_numpy(float)
    lo = pd.to_numeric(rows[lower], errors="coerce").to_numpy(float)
    hi = pd.to_numeric(rows[upper], errors="coerce").to_numpy(float)
    b_lo = (pd.to_numeric(rows["estimate_low"], errors="coerce").to_numpy(float)
            if "estimate_low" in rows.columns else np.full(n, np.nan))
    b_hi = (pd.to_numeric(rows["estimate_high"], errors="coerce").to_numpy(float)
            if "estimate_high" in rows.columns else np.full(n, np.nan))
    ok = ~np.isnan(est)
    ax.barh(ys[ok], est[ok], height=0.62, color=PALETTE[0], zorder=2)
    bounded = ~ok & ~np.isnan(b_lo) & ~np.isnan(b_hi)
    if bounded.any():
        ax.barh(ys[bounded], b_hi[bounded] - b_lo[bounded], left=b_lo[bounded], height=0.62,
                color="white", edgecolor=PALETTE[0], hatch="///", zorder=2)
    whisk = ~np.isnan(lo) & ~np.isnan(hi)
    ax.hlines(ys[whisk], lo[whisk], hi[whisk], color=INK, linewidth=1.3, zorder=3)
    ax.vlines(np.r_[lo[whisk], hi[whisk]], np.r_[ys[whisk], ys[whisk]] - 0.14,
              np.r_[ys[whisk], ys[whisk]] + 0.14, color=INK, linewidth=1.3, zorder=3)
    reach = np.nanmax(np.r_[hi, est, b_hi, [0.0]])
    ax.set_xlim(0, reach * 1.32 if reach > 0 else 1)
    details = []
    for i in range(n):
        name = str(rows[label].iloc[i])
        if ok[i]:
            text = fmt(est[i], percent)
            if whisk[i]:
                text = (formatting.share_interval(est[i], lo[i], hi[i]) if percent else
                        f"{text} ({fmt(lo[i])} to {fmt(hi[i])})")
        elif bounded[i]:
            text = ("between " + formatting.share_range(b_lo[i], b_hi[i], " and ")
                    if percent else f"between {fmt(b_lo[i])} and {fmt(b_hi[i])}")
        else:
            text = "not estimable"
        x_at = np.nanmax([v for v in (hi[i], est[i], b_hi[i], 0.0) if not np.isnan(v)])
        ax.text(x_at + reach * 0.015, ys[i], text, va="center", ha="left", fontsize=8.5,
                color=INK, parse_math=False)
        details.append(f"{name} {text}")
    ax.set_yticks(ys, [str(v) for v in rows[label]], fontsize=9)
    ax.set_ylim(-0.6, n - 0.4)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(formatting.TickFormatter(percent))
    ax.set_xlabel(xlabel)
    _set_alt(fig, "Horizontal bar chart with interval whiskers", title, subtitle,
             "Values, largest first: " + "; ".join(details) + ".", source, synthetic, note)
    # the estimates shown, with their inputs' provenance
    attach_data(fig, csvdata.csv_frame(table, source if isinstance(source, pd.DataFrame) else None))
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=note)


def _draw_observed(ax, pos: np.ndarray, obs: np.ndarray, names: list[str], colour,
                   partial: set[str], flags: Mapping[str, str], observed_label: str,
                   percent: bool, ends: list) -> list[str]:
    """The published points a trend summarises (gaps at part years and flagged figures),
    their end label (appended to ``ends``) and their alt-text sentence."""
    ax.plot(pos, _full_line(pos, obs, names, partial | set(flags)), color=colour, marker="o",
            markersize=3.5, linewidth=1, zorder=4)
    _draw_marks(ax, pos, obs, names, colour, partial, flags)
    have = np.flatnonzero(~np.isnan(obs))
    if not len(have):
        return []
    ends.append((pos[have[-1]], obs[have[-1]], observed_label, colour))
    first, last = have[0], have[-1]
    return [f"{observed_label}: {fmt(obs[first], percent)} in "
            f"{formatting.period(names[first], names[first] in partial)}, "
            f"{fmt(obs[last], percent)} in "
            f"{formatting.period(names[last], names[last] in partial)}."]


@redrawable
def trend_band(table: pd.DataFrame, *, x: str, y: str, lower: str, upper: str, title: str,
               subtitle: str, source: str | pd.DataFrame, label: str = "",
               observed: str | None = None, observed_label: str = "Published",
               band_label: str = "95% interval", ylabel: str = "", percent: bool = False,
               size: str = "slide", synthetic: bool | None = None, note: str = "",
               colour_key: str | None = None):
    """A trend line ``y`` over ``x`` with a shaded interval band ``lower``..``upper``;
    ``observed`` (optional) adds the published points the trend was fitted to. Part-year
    periods are drawn hollow and flagged figures ringed (see :func:`line_chart`)."""
    for col in (x, y, lower, upper, *([observed] if observed else [])):
        if col not in table.columns:
            raise ParoleError(f"trend_band: the table has no column {col!r}")
    synthetic = _detect(synthetic, table, source)
    data = table.reset_index(drop=True)
    fig, ax = figure(size)
    names = [formatting.text(v) for v in data[x]]
    pos, is_time = _x_positions(names)
    rows = source if isinstance(source, pd.DataFrame) else None
    partial, flags = _marks_for(rows, observed or y)
    partial = (partial | {n for n in names if formatting.part_year(n)}) & set(names)
    mid = pd.to_numeric(data[y], errors="coerce").to_numpy(float)
    lo = pd.to_numeric(data[lower], errors="coerce").to_numpy(float)
    hi = pd.to_numeric(data[upper], errors="coerce").to_numpy(float)
    band = ~np.isnan(lo) & ~np.isnan(hi)
    obs_colour = palette.colour(colour_key or observed or y)
    fit_colour = palette.SHAPE if observed else obs_colour
    ax.fill_between(pos, lo, hi, where=band, color=fit_colour, alpha=0.22, linewidth=0,
                    zorder=1)
    ax.plot(pos, mid, color=fit_colour, linewidth=2.2, zorder=3,
            linestyle="--" if observed else "-")
    ends = []
    valid = np.flatnonzero(~np.isnan(mid))
    if len(valid):
        ends.append((pos[valid[-1]], mid[valid[-1]], label or y, fit_colour))
    details = []
    obs = np.array([])
    if observed:
        obs = pd.to_numeric(data[observed], errors="coerce").to_numpy(float)
        details += _draw_observed(ax, pos, obs, names, obs_colour, partial, flags,
                                  observed_label, percent, ends)
    else:
        _draw_marks(ax, pos, mid, names, fit_colour, partial, flags)
    if len(valid):
        first, last = valid[0], valid[-1]
        est = (lambda v: fmt(v, True)) if percent else formatting.count  # noqa: E731

        def banded(i: int) -> str:
            if np.isnan(lo[i]) or np.isnan(hi[i]):
                return ""
            return f" ({band_label} {_range(lo[i], hi[i], percent)})"

        details.append(f"{label or y}: {est(mid[first])} in {names[first]}{banded(first)}, "
                       f"{est(mid[last])} in {names[last]}{banded(last)}.")
    _x_axis(ax, names, pos, is_time, partial)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(ylabel)
    _y_axis(ax, float(np.nanmax(np.r_[hi, mid, obs, [0.0]])), percent)
    _mark_join(ax, rows, names, pos)
    if len(valid) and band.any():
        # name the band once, inside it at its widest point
        middle = int(np.flatnonzero(band)[band.sum() // 2])
        ax.annotate(band_label, (pos[middle], hi[middle]), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8,
                    color=fit_colour)
    _direct_labels(fig, ax, ends)
    full_note = " ".join(t for t in (note, _partial_note(sorted(partial)),
                                     _flag_note({observed_label if observed else
                                                 (label or y): flags} if flags else {}))
                         if t)
    _set_alt(fig, "Line chart with interval band" if band.any() else "Line chart", title,
             subtitle, " ".join(details), source,
             synthetic, full_note)
    _keep_data(fig, source, data)
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=full_note)


def _range(low: float, high: float, percent: bool) -> str:
    """An interval of a share or of a fitted (not published) count, rounded."""
    if percent:
        return formatting.share_range(low, high)
    return f"{formatting.count(low)} to {formatting.count(high)}"


def _ring_bars(ax, names: list[str], pos: np.ndarray, height: np.ndarray, base: np.ndarray,
               width: float, flags: Mapping[str, str]) -> None:
    """Outline the flagged bars of one part in black and label them."""
    for j, name in enumerate(names):
        if name not in flags:
            continue
        ax.bar([pos[j]], [height[j]], bottom=[base[j]], width=width, fill=False,
               edgecolor=FLAG_COLOUR, linewidth=2.0, zorder=4, gid=f"flag-{name}")
        ax.annotate(f"{formatting.MARKS['flagged']} check", (pos[j], base[j] + height[j]),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=7, color=FLAG_COLOUR, fontweight="bold", annotation_clip=False)


def _stacked_details(values: pd.DataFrame, totals: pd.Series, parts: list[str],
                     labels: Mapping[str, str], names: list[str], partial: set[str]) -> str:
    """The alt text's figures: the first and last complete bars, each part with its share."""
    details = []
    complete = totals.dropna().index
    for idx in ([complete[0], complete[-1]] if len(complete) > 1 else list(complete)):
        total = totals[idx]
        shares = ", ".join(
            f"{labels.get(p, p)} {fmt(values[p][idx])} ({fmt(values[p][idx] / total, True)})"
            if total > 0 else f"{labels.get(p, p)} {fmt(values[p][idx])}" for p in parts)
        details.append(f"{formatting.period(names[idx], names[idx] in partial)}: {shares}, "
                       f"total {fmt(total)}.")
    return " ".join(details)


@redrawable
def stacked_outcomes(table: pd.DataFrame, *, x: str, parts: list[str],
                     labels: Mapping[str, str] | None = None, title: str, subtitle: str,
                     source: str | pd.DataFrame, normalize: bool = False, ylabel: str = "",
                     size: str = "slide", synthetic: bool | None = None, note: str = ""):
    """Stacked bars of outcomes (``parts``, e.g. approved, denied) per ``x``; with
    ``normalize`` each bar shows shares of its total. Labels sit beside the last bar."""
    labels = dict(labels or {})
    for col in (x, *parts):
        if col not in table.columns:
            raise ParoleError(f"stacked_outcomes: the table has no column {col!r}")
    if not parts:
        raise ParoleError("stacked_outcomes needs at least one part")
    synthetic = _detect(synthetic, table, source)
    data = table.reset_index(drop=True)
    values = data[parts].apply(pd.to_numeric, errors="coerce").astype(float)
    totals = values.sum(axis=1, min_count=len(parts))
    shown = values.div(totals.where(totals > 0), axis=0) if normalize else values
    fig, ax = figure(size)
    names = [formatting.text(v) for v in data[x]]
    pos, is_time = _x_positions(names)
    width = 0.72 * (float(np.min(np.diff(np.sort(pos)))) if len(pos) > 1 else
                    (91.0 if is_time else 1.0))
    rows = source if isinstance(source, pd.DataFrame) else None
    partial = (_marks_for(rows, parts[0])[0] | {n for n in names if formatting.part_year(n)}) \
        & set(names)
    is_part = np.array([n in partial for n in names])
    base = np.zeros(len(data))
    ends, flags = [], {}
    for i, part in enumerate(parts):
        colour = palette.colour(part, i)
        height = shown[part].fillna(0).to_numpy()
        ax.bar(pos[~is_part], height[~is_part], bottom=base[~is_part], width=width,
               color=colour, edgecolor="white", linewidth=0.5, zorder=2)
        if is_part.any():  # a part year: outlined and hatched, never a solid full bar
            ax.bar(pos[is_part], height[is_part], bottom=base[is_part], width=width,
                   color="white", edgecolor=colour, hatch="///", linewidth=1.0, zorder=2)
        col_flags = _marks_for(rows, part)[1]
        _ring_bars(ax, names, pos, height, base, width, col_flags)
        if col_flags:
            flags[labels.get(part, part)] = col_flags
        last = len(data) - 1
        if last >= 0 and not np.isnan(shown[part].iloc[last]):
            ends.append((pos[last] + width / 2, base[last] + height[last] / 2,
                         labels.get(part, part), colour))
        base = base + height
    missing = data.loc[totals.isna(), x].astype(str).tolist()
    _x_axis(ax, names, pos, is_time, partial)
    if is_time and len(pos):
        ax.set_xlim(pos.min() - width, pos.max() + width)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    _y_axis(ax, 1.0 if normalize else float(np.nanmax(np.r_[base, 0.0])), normalize)
    _direct_labels(fig, ax, ends)
    if missing:
        listed = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8
                                           else "")
        note = (note + " " if note else "") + (f"No complete figures for {listed} (bars "
                                               "incomplete or empty).")
    note = " ".join(t for t in (note, _partial_note(sorted(partial)).replace(
        "drawn hollow, not joined to the full periods", "hatched bars"), _flag_note(flags))
        if t)
    details = _stacked_details(values, totals, parts, labels, names, partial)
    _set_alt(fig, "Stacked bar chart", title, subtitle, details, source, synthetic, note)
    _keep_data(fig, source, data)
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=note)


def median_time(times: np.ndarray, surv: np.ndarray) -> float:
    """Median wait read off a Kaplan-Meier curve, for callers that have only the curve: the
    library's one median rule, :func:`analysis.stats.timing.median_days` (the first day by which
    at least half were decided). Prefer passing ``medians`` from
    :func:`analysis.stats.timing.km_quantiles` to :func:`km_curves`, as ``parole chart km`` does.
    """
    return timing.median_days(times, surv)


def medians_from(quantiles: pd.DataFrame) -> dict[str, float]:
    """``{group: days}`` of the median rows of :func:`analysis.stats.timing.km_quantiles`."""
    rows = quantiles[np.isclose(quantiles["quantile"].astype(float), 0.5)]
    return {str(g): float(d) for g, d in zip(rows["group"], rows["days"], strict=True)}


@redrawable
def km_curves(curves: pd.DataFrame, *, group: str = "group", time: str = "days",
              survival: str = "survival", lower: str | None = None, upper: str | None = None,
              title: str, subtitle: str, source: str | pd.DataFrame,
              xlabel: str = "Days since the application was received",
              ylabel: str = "Share still waiting", size: str = "slide",
              synthetic: bool | None = None, note: str = "",
              medians: Mapping[str, float] | pd.DataFrame | None = None):
    """Kaplan-Meier step curves ("share still waiting") per ``group`` from a tidy frame such
    as :func:`analysis.stats.timing.kaplan_meier` (``group, days, survival, lower, upper``), with
    pointwise interval bands when ``lower``/``upper`` are given and a dashed median line.

    ``medians``: the median wait per group as the statistics module computes it (a mapping,
    or the frame of :func:`analysis.stats.timing.km_quantiles`); without it, :func:`median_time`.
    """
    if isinstance(medians, pd.DataFrame):
        medians = medians_from(medians)
    for col in (group, time, survival, *(c for c in (lower, upper) if c)):
        if col not in curves.columns:
            raise ParoleError(f"km_curves: the table has no column {col!r}")
    synthetic = _detect(synthetic, curves, source)
    fig, ax = figure(size)
    ends, details = [], []
    groups = list(dict.fromkeys(curves[group].astype(str)))
    for i, name in enumerate(groups):
        part = curves[curves[group].astype(str) == name].sort_values(time)
        colour = PALETTE[i % len(PALETTE)]
        t = np.r_[0.0, part[time].to_numpy(float)]
        s = np.r_[1.0, part[survival].to_numpy(float)]
        ax.step(t, s, where="post", color=colour, linewidth=1.8, zorder=3)
        if lower and upper:
            lo = np.r_[1.0, part[lower].to_numpy(float)]
            hi = np.r_[1.0, part[upper].to_numpy(float)]
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0)
        ends.append((t[-1], s[-1], name, colour))
        med = float(medians[name]) if medians and name in medians else median_time(t, s)
        details.append(f"{name}: half decided by day {fmt(med)}" if not math.isnan(med) else
                       f"{name}: more than half still waiting at day {t[-1]:,.0f}")
    ax.axhline(0.5, color=MUTED, linestyle="--", linewidth=0.8, zorder=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(formatting.TickFormatter(True))
    ax.xaxis.set_major_formatter(formatting.TickFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _direct_labels(fig, ax, ends, edge=True)
    _set_alt(fig, "Kaplan-Meier step chart of the share still waiting", title, subtitle,
             "Median wait by group (Kaplan-Meier): " + "; ".join(details) + ".", source,
             synthetic, note)
    _keep_data(fig, source, curves)
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=note)


def _tile_values(values: Mapping[str, float] | pd.Series | pd.DataFrame, code: str,
                 value: str) -> dict[str, float]:
    if isinstance(values, pd.DataFrame):
        for col in (code, value):
            if col not in values.columns:
                raise ParoleError(f"tile_map: the table has no column {col!r}")
        if values[code].duplicated().any():
            dup = values.loc[values[code].duplicated(), code].astype(str).unique()
            raise ParoleError(f"tile_map: several rows for {', '.join(dup)}; give one value "
                              "per state")
        pairs = zip(values[code].astype(str), pd.to_numeric(values[value], errors="coerce"),
                    strict=True)
    else:
        pairs = ((str(k), float(v) if v is not None else float("nan"))
                 for k, v in dict(values).items())
    return {k.upper(): float(v) for k, v in pairs}


def _draw_tiles(ax, grid: pd.DataFrame, data: Mapping[str, float], cmap, norm,
                percent: bool) -> list[str]:
    """One square per state, coloured by its value and labelled; returns the codes with no
    value (hatched grey)."""
    missing = []
    n_rows = int(grid["row"].max()) + 1
    for tile in grid.itertuples():
        x, y = tile.col, n_rows - 1 - tile.row
        v = data.get(tile.code, float("nan"))
        if math.isnan(v):
            missing.append(tile.code)
            ax.add_patch(Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=MISSING_FILL,
                                   edgecolor="#9a9a9a", hatch="////", linewidth=0.6,
                                   gid=f"tile-{tile.code}"))
            ink, shown = MUTED, "no data"
        else:
            rgba = cmap(norm(v))
            ax.add_patch(Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=rgba,
                                   edgecolor="white", linewidth=0.6, gid=f"tile-{tile.code}"))
            lum = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
            ink = "white" if lum < 0.5 else INK
            shown = fmt(v, True) if percent else _short(v)
        ax.text(x + 0.5, y + 0.6, tile.code, ha="center", va="center", fontsize=9,
                fontweight="bold", color=ink, gid=f"code-{tile.code}", parse_math=False)
        ax.text(x + 0.5, y + 0.3, shown, ha="center", va="center", fontsize=6.5, color=ink,
                parse_math=False)
    return missing


def _colour_bar(fig, ax, norm, cmap, legend: str, percent: bool, log: bool) -> None:
    """The labelled colour scale at the top left of the map."""
    bar_ax = ax.inset_axes([0.02, 0.80, 0.36, 0.04])
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, cax=bar_ax, orientation="horizontal")
    bar.outline.set_visible(False)
    bar.ax.tick_params(labelsize=7.5, length=2)
    if percent or not log:
        bar.ax.xaxis.set_major_formatter(formatting.TickFormatter(percent))
    bar.ax.set_title(legend + (" (log scale)" if log else ""), fontsize=8, loc="left", pad=3)


@redrawable
def tile_map(values: Mapping[str, float] | pd.Series | pd.DataFrame, *, title: str,
             subtitle: str, source: str | pd.DataFrame, legend: str = "",
             code: str = "geo_code", value: str = "value", percent: bool = False,
             log: bool = False, territories: Sequence[str] | None = None,
             missing_reason: Mapping[str, str] | None = None, size: str = "slide",
             synthetic: bool | None = None, note: str = ""):
    """US tile-grid map: each state (and DC) one square on a fixed grid, coloured by its value,
    with its USPS code printed on it and a labelled colour bar.

    ``values`` maps USPS codes to numbers (a dict, a Series, or a frame with ``code`` and
    ``value`` columns). States with no number are hatched grey and listed in a note (with
    ``missing_reason[code]`` when given, e.g. "suppressed"). ``territories`` picks which of
    PR, VI get a tile (default: those present in ``values``); codes with no tile are listed.
    """
    from analysis.viz import tilemap as tilegrid

    frame = values if isinstance(values, pd.DataFrame) else None
    synthetic = _detect(synthetic, frame, source)
    data = _tile_values(values, code, value)
    if territories is None:
        territories = [t for t in tilegrid.territory_codes() if t in data]
    grid = tilegrid.layout(tuple(territories))
    on_grid = set(grid["code"])
    off_grid = sorted(k for k in data if k not in on_grid and not math.isnan(data[k]))
    known = [v for k, v in data.items() if k in on_grid and not math.isnan(v)]
    if not known:
        raise ParoleError("tile_map: no state has a value to show")
    fig, ax = figure(size)
    ax.set_axis_off()
    vmin, vmax = min(known), max(known)
    if log:
        if vmin <= 0:
            raise ParoleError("tile_map: a log scale needs every value above 0")
        norm = LogNorm(vmin=vmin, vmax=vmax)
    else:
        norm = Normalize(vmin=min(0.0, vmin), vmax=vmax if vmax > min(0.0, vmin) else vmin + 1)
    cmap = sns.color_palette(SEQUENTIAL, as_cmap=True)
    n_rows = int(grid["row"].max()) + 1
    missing = _draw_tiles(ax, grid, data, cmap, norm, percent)
    n_cols = int(grid["col"].max()) + 1
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, n_rows)
    ax.set_aspect("equal")
    ax.set_anchor("C")
    _colour_bar(fig, ax, norm, cmap, legend, percent, log)
    reasons = dict(missing_reason or {})
    notes = [note] if note else []
    if missing:
        shown_missing = [f"{c} ({reasons[c]})" if c in reasons else c for c in missing]
        notes.append(f"Hatched: no figure for {', '.join(shown_missing)}.")
    if off_grid:
        notes.append("Not on the map: " + ", ".join(
            f"{c} {fmt(data[c], percent)}" for c in off_grid) + ".")
    full_note = " ".join(notes)
    ranked = sorted(((v, k) for k, v in data.items() if k in on_grid and not math.isnan(v)),
                    reverse=True)
    top = "; ".join(f"{k} {fmt(v, percent)}" for v, k in ranked[:5])
    low = "; ".join(f"{k} {fmt(v, percent)}" for v, k in ranked[-3:])
    details = (f"{len(ranked)} of {len(grid)} places have a figure. Highest: {top}. "
               f"Lowest: {low}.")
    _set_alt(fig, "Tile-grid map of US states", title, subtitle, details, source, synthetic,
             full_note)
    _keep_data(fig, source, frame)
    return finish(fig, ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic,
                  note=full_note)


# ---------------------------------------------------------------- output


def _sentence(text: str) -> str:
    """``text`` on one line, ending with a full stop (unless it already ends a sentence)."""
    text = " ".join(str(text).split())
    return text if not text or text[-1] in ".!?" else text + "."


def _fallback_alt(fig) -> str:
    """Alternative text for a figure drawn without a chart function: its visible texts as
    sentences (title, subtitle, notes, source line), then its axis titles; the footer (the
    project's name and date) is left out."""
    texts = [t.get_text() for t in fig.texts if t.get_gid() != "footer"]
    for ax in fig.axes:
        texts.append(ax.get_title())
        if ax.get_xlabel():
            texts.append(f"Horizontal axis: {ax.get_xlabel()}")
        if ax.get_ylabel():
            texts.append(f"Vertical axis: {ax.get_ylabel()}")
    return " ".join(["Chart."] + [_sentence(t) for t in texts if t and t.strip()])


def _png64(fig, dpi: int) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _narrow(fig):
    """The first narrow rendition of ``fig`` that fits (None: drawn by hand, or none fits;
    the page then scales the wide chart down)."""
    for size in PHONE_SIZES:
        try:
            return redraw(fig, size)
        except ParoleError:
            plt.close(plt.gcf())  # the rendition that did not fit
    return None


def picture_html(fig, alt: str) -> str:
    """``fig`` as an embedded ``<picture>``: the chart at :data:`SHOW_DPI`, and on screens up
    to :data:`PHONE_MAX_PX` wide its ``phone`` rendition (drawn again, text at least 12 px),
    when its chart kind can draw one. ``alt`` is escaped here."""
    import html

    wide = _png64(fig, SHOW_DPI)
    narrow = None if getattr(fig, _SIZE, "slide") in PHONE_SIZES else _narrow(fig)
    source = ""
    if narrow is not None:
        source = (f'<source media="(max-width: {PHONE_MAX_PX}px)" '
                  f'srcset="data:image/png;base64,{_png64(narrow, SAVE_DPI["phone"])}">')
        plt.close(narrow)
    return (f'<picture class="chart">{source}<img src="data:image/png;base64,{wide}" '
            f'alt="{html.escape(alt, quote=True)}" style="max-width:100%;height:auto">'
            "</picture>")


def show(fig, *, alt: str | None = None) -> None:
    """Display ``fig`` in a notebook as embedded PNGs that carry its alternative text
    (``<img alt=...>``, which a plain figure output cannot), with a narrow rendition for
    phones (:func:`picture_html`), and release it."""
    from IPython.display import HTML, display

    try:
        text = alt or alt_text(fig)
    except ValueError:
        text = _fallback_alt(fig)
    page = picture_html(fig, text)
    plt.close(fig)
    display(HTML(page))


def save(fig, path: Path | str, *, alt_text: str | None = None,
         data: pd.DataFrame | None = None, dpi: int | None = None) -> list[Path]:
    """Save ``fig`` as PNG and SVG beside ``.alt.txt`` (its alternative text: ``alt_text``
    or the text the chart function attached) and ``.csv`` (the rows behind it: ``data`` or
    the rows the chart function drew it from, with their provenance).

    The PNG is written at :data:`SAVE_DPI` of the chart's size (``print``: 300 dpi) unless
    ``dpi`` is given; text stays text in the SVG (``svg.fonttype`` ``none``).
    """
    text = alt_text if alt_text is not None else globals()["alt_text"](fig)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    resolution = dpi or SAVE_DPI.get(getattr(fig, _SIZE, "slide"), DPI)
    written = []
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for suffix in (".png", ".svg"):
            target = path.with_suffix(suffix)
            meta = ({"Description": text} if suffix == ".png"
                    else {"Description": text, "Title": target.stem})
            fig.savefig(target, dpi=resolution, metadata=meta)
            written.append(target)
    alt = path.with_suffix(".alt.txt")
    alt.write_text(text + "\n", encoding="utf-8")
    written.append(alt)
    rows = data if data is not None else chart_data(fig)
    if rows is not None:
        written.append(csvdata.write_csv(csvdata.csv_frame(rows), path.with_suffix(".csv")))
    return written
