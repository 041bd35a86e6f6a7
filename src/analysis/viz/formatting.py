"""One formatter for every number, period and mark a reader sees (charts, tables, alt text).

Rules (issue 11, item 4), each enforced here once so no chart or table can break it:

* A count is written with thousands separators; a figure the publisher gave with decimals
  keeps them (17.5 stays "17.5", 18 stays "18"): :func:`number`.
* A share keeps significant digits: 0.0002 is "0.02%", never "0.0%"; two ends of an interval
  are written with enough decimals to differ: :func:`share`, :func:`share_range`.
* A missing value is said in words ("no figure", "suppressed"), never "None" or "nan":
  :func:`missing`, :func:`text`.
* A part-year period is marked wherever it is named ("FY2021 (part year)"):
  :func:`part_year`, :func:`period`.
* A figure the data flags for checking (status ``flagged``, or a note asking to verify it)
  is marked on the chart: :func:`flag_reason`.
* Axis tick labels never round the gridline's value away (2.5 is "2.5", not "2"):
  :class:`TickFormatter`; dates and periods sit on a time axis: :func:`time_values`.
* Trend titles are sentences a reader can repeat: :func:`shape_sentence` says the shape found by
  the one trend rule (:func:`analysis.stats.trends.shape`): "rose 175% from 5,000 in FY2015 to a
  peak of 13,730 in FY2018, then fell 21% to 10,819 in FY2020"; :func:`shape_method` is its
  footnote. Titles and body text use the same sentence, so they round the same way.
* Marks render in any browser font (no emoji): :data:`MARKS`.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import date
from importlib import resources

import numpy as np
import pandas as pd
from matplotlib.ticker import Formatter

from analysis.contract import periods as periods_mod

#: The project's name, printed in every chart's footer.
PROJECT = "parole-stats"

#: Verdict and figure marks: plain text symbols (check mark U+2713, ballot x U+2717) with no
#: emoji presentation, so a plain browser shows them with its ordinary text fonts.
MARKS = {"supported": "\u2713", "not-supported": "\u2717", "not-checkable": "?",
         "needs-input": "?", "flagged": "!", "part-year": "*"}

#: Words of a note (or a status) that ask the reader to check a figure before using it.
_FLAGGED = re.compile(r"\b(verify|flagged|suspect|anomal\w*|far (below|above)|check against|"
                      r"possible (error|typo)|questionable)\b", re.IGNORECASE)

_MISSING_WORDS = {
    "suppressed": "suppressed", "withheld": "withheld", "not_available": "not published",
    "not_applicable": "not applicable", None: "no figure",
}


# ---------------------------------------------------------------- numbers


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def missing(status: str | None = None) -> str:
    """Words for a cell with no number: by its status ("suppressed"), else "no figure"."""
    return _MISSING_WORDS.get(status, "no figure") if isinstance(status, str) or status is None \
        else "no figure"


def decimals_of(value: float, most: int = 6) -> int:
    """Fewest decimals (0..``most``) that write ``value`` without changing it."""
    if is_missing(value) or not math.isfinite(value):
        return 0
    for d in range(most + 1):
        if abs(round(value, d) - value) <= 1e-9 * max(1.0, abs(value)):
            return d
    return most


def number(value: float, *, status: str | None = None, most: int = 2) -> str:
    """A figure as published: thousands separators, and its own decimals (up to ``most``):
    1234 -> "1,234", 17.5 -> "17.5", 18.0 -> "18"."""
    if is_missing(value):
        return missing(status)
    return f"{value:,.{decimals_of(float(value), most)}f}"


def count(value: float, *, status: str | None = None) -> str:
    """A count: "1,234" (a fractional count, e.g. a mean, keeps one decimal)."""
    if is_missing(value):
        return missing(status)
    value = float(value)
    return f"{value:,.0f}" if value == round(value) or abs(value) >= 100 else f"{value:,.1f}"


def share_decimals(value: float) -> int:
    """Decimals of a percentage that keep two significant digits below 1% (0.0002 -> 2
    for "0.02%", 0.0123 -> 1 for "1.2%"), one below 10% and none from 10%."""
    if is_missing(value) or value == 0:
        return 0 if not is_missing(value) else 1
    pct = abs(float(value)) * 100
    if pct >= 10:
        return 0
    if pct >= 1:
        return 1
    return min(6, 1 - math.floor(math.log10(pct)))


def share(value: float, digits: int | None = None, *, status: str | None = None) -> str:
    """A share as a percentage with significant digits kept: 0.25 -> "25%", 0.0123 ->
    "1.2%", 0.0002 -> "0.02%", 0 -> "0%". A non-zero share is never written "0.0%"."""
    if is_missing(value):
        return missing(status)
    value = float(value)
    d = share_decimals(value) if digits is None else digits
    text = f"{value * 100:.{d}f}"
    if value != 0 and float(text) == 0:  # a given `digits` too coarse: keep significance
        text = f"{value * 100:.{share_decimals(value)}f}"
    if abs(value) * 100 < 1 and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


#: Shares below this are written in words ("about 2 in 10,000"), not as "0.021%".
TINY_SHARE = 0.001


def _per(high: float) -> int:
    """The round base (10,000, 100,000, ...) at which ``high`` is at least 1."""
    base = 10_000
    while high * base < 1 and base < 10**9:
        base *= 10
    return base


def share_words(value: float) -> str:
    """A share for a sentence: a percentage (:func:`share`), or for a tiny share "about 2 in
    10,000" (never "0.00000%")."""
    if is_missing(value) or value == 0 or abs(float(value)) >= TINY_SHARE:
        return share(value)
    base = _per(abs(float(value)))
    return f"about {round(float(value) * base):,} in {base:,}"


def share_range_words(low: float, high: float, word: str = " and ") -> str:
    """Two shares for a sentence: :func:`share_range`, or in words when both are tiny
    ("between about 2 and 5 in 10,000" reads as "about 2 and 5 in 10,000" here)."""
    if is_missing(low) or is_missing(high) or max(abs(low), abs(high)) >= TINY_SHARE:
        return share_range(low, high, word)
    nonzero = [abs(v) for v in (low, high) if v]
    if not nonzero:
        return share_range(low, high, word)
    base = _per(min(nonzero))
    if not low:
        return f"0{word}about {round(high * base):,} in {base:,}"
    return f"about {round(low * base):,}{word}{round(high * base):,} in {base:,}"


def _decimals_needed(value: float) -> int:
    """Decimals of a percentage: significant digits kept, no trailing zeros added."""
    if not value:
        return 0
    return min(share_decimals(value), decimals_of(value * 100))


def share_range(low: float, high: float, word: str = " to ") -> str:
    """Two ends of an interval or bound, with decimals enough that they differ when the
    numbers do ("0.02% to 0.05%", never "0.0% to 0.0%")."""
    if is_missing(low) or is_missing(high):
        return f"{share(low)}{word}{share(high)}"
    d = max(_decimals_needed(low), _decimals_needed(high))
    while d < 8 and low != high and f"{low * 100:.{d}f}" == f"{high * 100:.{d}f}":
        d += 1
    return f"{low * 100:.{d}f}%{word}{high * 100:.{d}f}%"


def share_interval(estimate: float, low: float, high: float) -> str:
    """A share with its interval, all three with one decimal count: "10.3% (9.7% to
    11.1%)", "14% (13% to 15%)", "0.02% (0.01% to 0.05%)"."""
    if is_missing(estimate):
        return share(estimate)
    if is_missing(low) or is_missing(high):
        return share(estimate)
    d = interval_decimals(estimate, low, high)
    return f"{estimate * 100:.{d}f}% ({low * 100:.{d}f}% to {high * 100:.{d}f}%)"


def interval_decimals(estimate: float, low: float, high: float) -> int:
    """Decimals of a percentage for a share and its interval written together: significant
    digits kept, and enough that the two limits differ when they do."""
    present = [float(v) for v in (estimate, low, high) if not is_missing(v)]
    d = max((_decimals_needed(v) for v in present), default=0)
    if is_missing(low) or is_missing(high):
        return d
    while d < 8 and low != high and f"{low * 100:.{d}f}" == f"{high * 100:.{d}f}":
        d += 1
    return d


def numbers(values, most: int = 2) -> list[str]:
    """A column of figures with one decimal count, the most any of them needs (up to
    ``most``): 17.5, 17 and 16.5 are written "17.5", "17.0", "16.5", the same values as
    published, aligned; missing values are said in words (:func:`missing`)."""
    present = [float(v) for v in values if not is_missing(v)]
    d = max((decimals_of(v, most) for v in present), default=0)
    return [missing() if is_missing(v) else f"{float(v):,.{d}f}" for v in values]


def months(value: float, *, status: str | None = None) -> str:
    """A number of months as published (17.5 stays "17.5")."""
    return number(value, status=status, most=2)


def signed_pct(value: float) -> str:
    """A percent change: "+12%", "-31%", "-0.4%"."""
    if is_missing(value):
        return "no estimate"
    d = 0 if abs(value) >= 10 else 1
    return f"{value:+.{d}f}%"


def text(value: object) -> str:
    """A text cell: "" for a missing value (never "None" or "nan")."""
    if is_missing(value):
        return ""
    out = str(value).strip()
    return "" if out in ("None", "nan", "NaN", "<NA>", "NaT") else out


# ---------------------------------------------------------------- periods and marks


#: whether a figure covers only part of its period: one rule, in the contract
part_year = periods_mod.part_year


def part_year_periods(rows: pd.DataFrame, *, as_of: date | None = None) -> set[str]:
    """Periods of ``rows`` (with ``period`` and, optionally, ``note``) that are part-year."""
    if rows is None or "period" not in rows.columns or rows.empty:
        return set()
    notes = rows["note"] if "note" in rows.columns else pd.Series(None, index=rows.index)
    return {str(p) for p, n in zip(rows["period"], notes, strict=True)
            if part_year(p, n, as_of=as_of)}


def period(label: object, partial: bool = False) -> str:
    """A period label for a reader, part-year marked: "FY2021 (part year)"."""
    shown = text(label)
    return f"{shown} (part year)" if partial and shown else shown


#: Measures a note may name ("pending figure is far below ...") to say which figure it flags.
_MEASURE_WORDS = ("received", "approved", "denied", "pending", "completed", "released",
                  "withdrawn", "admitted", "paroled")


def flag_reason(status: object = None, note: object = None, measure: object = None) -> str:
    """The reason a figure is flagged for checking ("" when it is not): status ``flagged``
    or a note asking to verify it (e.g. "pending figure is far below adjacent quarters;
    verify ..."). A note that names measures flags only the figures of those measures."""
    if text(status) == "flagged":
        return text(note) or "flagged in the data"
    if not (isinstance(note, str) and _FLAGGED.search(note)):
        return ""
    named = {w for w in _MEASURE_WORDS if re.search(rf"\b{w}\b", note, re.IGNORECASE)}
    if named and text(measure) and text(measure) not in named:
        return ""
    return note.strip()


def flagged_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``rows`` that are flagged, with a ``flag`` column holding the reason."""
    if rows is None or rows.empty:
        return pd.DataFrame(columns=[*(rows.columns if rows is not None else []), "flag"])
    def column(name: str) -> pd.Series:
        return rows[name] if name in rows.columns else pd.Series(None, index=rows.index)

    reasons = [flag_reason(s, n, m) for s, n, m in
               zip(column("status"), column("note"), column("measure"), strict=True)]
    dips = _dips(rows)
    reasons = [r or dips.get(i, "") for i, r in zip(rows.index, reasons, strict=True)]
    out = rows.assign(flag=reasons)
    return out[out["flag"] != ""]


#: A figure below this share of both its neighbours is flagged as a dip to check.
DIP_SHARE = 1 / 3
#: ... and only when both neighbours are at least this (small counts swing by chance).
DIP_MIN_NEIGHBOUR = 100
DIP_REASON = ("far below the periods either side (less than a third of each); check against "
              "the publisher's table")


def _dips(rows: pd.DataFrame) -> dict[object, str]:
    """Quarterly figures far below both neighbouring quarters of the same measure and place
    (index -> reason): a drop to a sixth and back is more likely a misprint than a real
    quarter. (Yearly figures are left alone: FY2020's fall in releases was real.)"""
    if not {"period", "value"} <= set(rows.columns):
        return {}
    rows = rows[rows["period"].astype(str).str.fullmatch(r"FY\d{4}-Q\d")]
    keys = [c for c in ("measure", "geo_code", "category", "form") if c in rows.columns]
    found: dict[object, str] = {}
    groups = rows.groupby(keys, dropna=False, sort=False) if keys else [(None, rows)]
    for _, part in groups:
        if part["period"].duplicated().any() or len(part) < 3:
            continue
        full = part[[not part_year(p, n) for p, n in zip(
            part["period"], part["note"] if "note" in part.columns else [None] * len(part),
            strict=True)]]
        order = sorted(full.index, key=lambda i: _period_start(full.at[i, "period"]))
        values = pd.to_numeric(full.loc[order, "value"], errors="coerce").to_numpy(float)
        for j in range(1, len(order) - 1):
            low, near = values[j], min(values[j - 1], values[j + 1])
            if np.isfinite([low, near]).all() and near >= DIP_MIN_NEIGHBOUR and \
                    low < DIP_SHARE * near:
                found[order[j]] = DIP_REASON
    return found


def _period_start(label: object) -> pd.Timestamp:
    try:
        return pd.Timestamp(periods_mod.parse(text(label)).start)
    except Exception:  # noqa: BLE001 - a label that is not a period sorts as written
        return pd.Timestamp.max


# ---------------------------------------------------------------- axes


class TickFormatter(Formatter):
    """Tick labels with the decimals the ticks need, so no label rounds its gridline away:
    ticks at 2.5, 5 and 7.5 read "2.5", "5.0", "7.5" (one decimal count for the axis), never
    "2", "5", "8". ``percent``: values are shares, written as percentages."""

    def __init__(self, percent: bool = False, most: int = 6) -> None:
        self.percent = percent
        self.most = most
        self._decimals = None

    def _scaled(self, value: float) -> float:
        return value * 100 if self.percent else value

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        values = [self._scaled(v) for v in np.asarray(locs, dtype=float) if math.isfinite(v)]
        self._decimals = max((decimals_of(v, self.most) for v in values), default=0)

    def __call__(self, x, pos=None) -> str:
        d = self._decimals if self._decimals is not None else decimals_of(self._scaled(x))
        value = self._scaled(x)
        if abs(value) < 0.5 * 10 ** -d:
            value = 0.0  # no "-0"
        return f"{value:,.{d}f}" + ("%" if self.percent else "")


def is_period(label: object) -> bool:
    """True for a period label (FY2023, FY2023-Q2, FY2023-YTD-Q2, 2023-05)."""
    try:
        periods_mod.parse(text(label))
    except ValueError:
        return False
    return True


def time_values(labels) -> pd.DatetimeIndex | None:
    """Points in time for x labels: the middle of each period for period labels (FY2023,
    FY2023-Q2, 2023-05), the date itself for dates; None when the labels are not times."""
    values = [text(v) for v in labels]
    if not values:
        return None
    out = []
    for value in values:
        try:
            p = periods_mod.parse(value)
        except ValueError:
            p = None
        if p is not None:
            start, end = pd.Timestamp(p.start), pd.Timestamp(p.end)
            out.append(start + (end - start) / 2)
            continue
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", value):
            out.append(pd.Timestamp(value))
            continue
        return None
    return pd.DatetimeIndex(out)


# ---------------------------------------------------------------- findings in words


def _about(pct: float) -> str:
    """A change rounded for a headline: 31.4 -> "30", 7.6 -> "8", 0.4 -> "0.4"."""
    a = abs(pct)
    if a >= 20:
        return f"{5 * round(a / 5):.0f}"
    if a >= 1:
        return f"{round(a):.0f}"
    return f"{a:.1f}"


def _since(first_period: object) -> str:
    label = text(first_period)
    m = re.match(r"FY(\d{4})", label)
    return f"FY{m.group(1)}" if m else label


def trend_title(subject: str, result: pd.Series | dict, place: str = "") -> str:
    """A title a reader can repeat, from a row of :func:`analysis.stats.trends.trend`:
    "Requests fell about 30% a year since FY2022" / "... in California"."""
    get = result.get
    where = f" in {place}" if place else ""
    since = _since(get("first_period"))
    if get("status") != "estimated" or is_missing(get("pct_change_per_year")):
        reason = text(get("reason"))
        return f"{subject}{where}: no trend estimate" + (f" ({reason})" if reason else "")
    pct = float(get("pct_change_per_year"))
    direction = text(get("direction"))
    if direction == "rising":
        return f"{subject}{where} rose about {_about(pct)}% a year since {since}"
    if direction == "falling":
        return f"{subject}{where} fell about {_about(pct)}% a year since {since}"
    return f"{subject}{where}: no clear rise or fall since {since}"


def trend_detail(result: pd.Series | dict, left_out: list[str] | None = None) -> str:
    """The statistics behind :func:`trend_title`, for the subtitle."""
    get = result.get
    if get("status") != "estimated":
        return text(get("reason"))
    family = text(get("family")) or "quasi-Poisson"
    detail = (f"{signed_pct(get('pct_change_per_year'))} a year (95% interval "
              f"{signed_pct(get('lower'))} to {signed_pct(get('upper'))}), "
              f"{text(get('first_period'))} to {text(get('last_period'))}, "
              f"{family} log-linear regression")
    if left_out:
        detail += f"; part-year {', '.join(left_out)} left out of the fit"
    return detail


def change(pct: float) -> str:
    """A percent change as titles and body text both write it: whole percent, sign as a
    word elsewhere ("21%"); under 1% as "less than 1%"."""
    a = abs(float(pct))
    if a < 1:
        return "less than 1%"
    return f"{a:,.0f}%"


_PEAK = {"rose": "a peak of ", "fell": "a low of ", "little change": ""}


def _segment_words(seg, *, first: bool, more: bool) -> str:
    """One segment in words (see :func:`shape_sentence`)."""
    end = f"{_PEAK[seg.direction] if more else ''}{count(seg.last)} in {seg.end}"
    if seg.direction == "little change":
        where = f"from {count(seg.first)} in {seg.start} to {end}" if first else f"at {end}"
        return f"changed little ({where})" if first else f"held about level, {where}"
    rate = f" {change(seg.pct)}" if seg.pct is not None else ""
    start = f" from {count(seg.first)} in {seg.start}" if first else ""
    return f"{seg.direction}{rate}{start} to {end}"


def shape_sentence(subject: str, found, place: str = "") -> str:
    """The shape of a series (:class:`analysis.stats.trends.Shape`) as one sentence a reader
    can repeat and check against the table, without a final full stop."""
    where = f" in {place}" if place else ""
    if found.status != "described" or not found.segments:
        return f"{subject}{where}: too few full years to describe a trend ({found.reason})"
    segs = found.segments
    parts = [_segment_words(seg, first=i == 0, more=i < len(segs) - 1)
             for i, seg in enumerate(segs)]
    text = f"{subject}{where} " + parts[0] + "".join(f", then {p}" for p in parts[1:])
    if any(seg.small for seg in segs if seg.direction != "little change"):
        text += " (numbers too small to state a rate of change)"
    elif found.swings:
        text += ", with large swings in between"
    return text


def shape_method(found) -> str:
    """The footnote that says how the shape was found, in plain words."""
    knots = found.knots
    turned = (f"it changed direction in {' and '.join(knots)}" if knots else
              "it did not change direction")
    return ("How this was worked out: the yearly figures were tested for a change of "
            "direction with a segmented fit (straight segments on a log scale, joined at "
            f"published figures; `ruptures`), and {turned}. Percent changes are between the "
            "published figures named; none is given when a figure is below 50. Part-year "
            "figures are left out.")


def key_findings_html(items: list[str], heading: str = "Key findings") -> str:
    """The short box a report opens with: ``items`` (sentences built from the same figures
    as the charts and tables) as a list, escaped."""
    import html

    listed = "".join(f"<li>{html.escape(item)}</li>" for item in items if item)
    return (f'<section class="key-findings" aria-label="{html.escape(heading)}">'
            f"<h2>{html.escape(heading)}</h2><ul>{listed}</ul></section>")


@functools.cache
def _labels() -> dict[str, dict[str, str]]:
    import yaml

    text = (resources.files("analysis.viz") / "labels.yml").read_text("utf-8")
    return yaml.safe_load(text)


def label(code: object, kind: str = "categories") -> str:
    """The plain name of a slug or code (``kind``: categories, subtypes or statuses), or the
    code itself when it has none."""
    shown = text(code)
    return _labels().get(kind, {}).get(shown, shown)


def plain(sentence: object) -> str:
    """``sentence`` with every slug and code of :file:`labels.yml` replaced by its plain name
    ("durations for 'humanitarian-parole'" -> "durations for 'humanitarian parole (I-131,
    outside the US)'")."""
    out = text(sentence)
    names = {**_labels().get("categories", {}), **_labels().get("subtypes", {})}
    for code in sorted(names, key=len, reverse=True):
        out = re.sub(rf"(?<![\w/.-]){re.escape(code)}(?![\w-])", names[code], out)
    return out
