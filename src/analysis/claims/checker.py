"""Checking claims against the ingested tables: verdicts with numbers, evidence and reasons.

Rules (documented for users in ``docs/claims.md``):

* A claim is ``not-checkable`` when it is marked ``out_of_scope``, depends on a dimension no
  public dataset has (``basis``, ``age``), or the ingested data has no figure for its category,
  measure, geography or period. The verdict names what is missing and lists the nearest
  datasets (:mod:`analysis.claims.nearest`).
* Otherwise the estimate ``E`` is computed from ``counts`` (sums over quarters or member places
  when they tile the claim's period or region exactly; stock measures such as ``pending`` only
  for an exactly published period) or, failing that, from a published figure whose scope
  matches (category via ``FIGURE_SCOPES`` or ``figure_id``, measure, geography, period overlap).
* ``about``: supported when ``|E - claimed| <= tolerance``. ``more-than``: ``E > claimed``;
  ``less-than``: ``E < claimed``; ``at-least``: ``E >= claimed``; ``at-most``: ``E <= claimed``
  (directional comparators ignore the tolerance).
* Shares and rates (a measure over a sum that includes it) carry a 95% Wilson interval.
  ``interval_straddles_claim`` is true when the claimed value lies inside it. The verdict
  follows the point estimate (the counts are complete administrative counts, so the estimate
  is exact and the interval is a model-based statement about chance variation); when the
  interval straddles a claim that the point estimate does not support, or makes a directional
  verdict uncertain, the reason says so explicitly.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel

from analysis import config
from analysis.claims import nearest as nearest_mod
from analysis.claims.model import (
    DURATION_UNITS,
    Claim,
    ClaimsFile,
    Place,
    Span,
    load,
    resolve_period,
)
from analysis.claims.model import resolve_place as _resolve_place
from analysis.contract import periods, series, store
from analysis.contract.geo import GeographyError
from analysis.stats import shares

SCHEMA_VERSION = "2"
CONFIDENCE = 0.95
#: Default tolerance per metric: absolute, in the units of ``value``. Counts, amounts and
#: comparisons (ratios) use a fraction of the claimed value instead (RELATIVE_TOLERANCE).
DEFAULT_TOLERANCE: dict[str, float] = {"share": 0.01, "rate": 0.01, "change": 0.01,
                                       "duration": 1.0}
RELATIVE_TOLERANCE: dict[str, float] = {"count": 0.02, "amount": 0.02, "comparison": 0.02}
#: Measures that are levels at a point in time: never summed over periods.
STOCK_MEASURES = {"pending"}
_EPS = 1e-9

VerdictName = Literal["supported", "not-supported", "not-checkable", "needs-input"]
VERDICTS: tuple[str, ...] = VerdictName.__args__  # type: ignore[attr-defined]


class Evidence(BaseModel):
    role: str
    value: float | None
    period: str | None
    geo: str | None
    status: str | None
    source_file: str
    source_locator: str
    citation: str
    note: str | None = None


class Nearest(BaseModel):
    dataset: str
    caveat: str
    detail: str | None = None
    source_file: str | None = None
    source_locator: str | None = None
    citation: str | None = None


class Verdict(BaseModel):
    """The result for one claim (the JSON schema is in the package docstring)."""

    id: str
    text: str
    metric: str
    verdict: VerdictName
    claimed: float | None
    comparator: str
    tolerance: float | None
    unit: str | None
    computed: float | None
    lower: float | None
    upper: float | None
    interval_method: str | None
    interval_straddles_claim: bool | None
    method: str
    reason: str
    missing: str | None
    nearest: list[Nearest]
    evidence: list[Evidence]
    notes: list[str]
    #: needs-input: the keys to give, and the candidates considered for each
    needs: list[str] = []
    candidates: dict[str, list[str]] = {}
    #: the claim as checked (or as far as it could be stated), to save, correct and re-run
    claim: dict | None = None
    #: for claims inferred from an article: the words each key came from
    inferred: dict[str, str] = {}
    #: for claims inferred from an article: the candidate populations, scored, best first
    readings: list[dict[str, Any]] = []


class NotCheckable(Exception):
    """Raised inside the checker: ``missing`` says what the data lack."""

    def __init__(self, missing: str, notes: list[str] | None = None) -> None:
        super().__init__(missing)
        self.missing = missing
        self.notes = notes or []


@dataclass
class Amount:
    value: float
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Tables:
    counts: pd.DataFrame
    figures: pd.DataFrame


# --------------------------------------------------------------------------- data access


def load_tables(data_dir: Path | str | None = None) -> Tables:
    data_dir = data_dir or config.default_data_dir()
    generation = store.current_generation(data_dir)  # both tables from the same ingest
    return Tables(store.read_table("counts", data_dir, generation=generation),
                  store.read_table("published_figures", data_dir, generation=generation))


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        or pd.isna(value) else str(value)


def _evidence(row: pd.Series, role: str) -> Evidence:
    notes = [n for n in (_text(row.get("note")), _text(row.get("series_note"))) if n]
    value = row.get("value")
    return Evidence(role=role, value=None if pd.isna(value) else float(value),
                    period=_text(row.get("period")), geo=_text(row.get("geo_code")),
                    status=_text(row.get("status")), source_file=str(row["source_file"]),
                    source_locator=str(row["source_locator"]), citation=str(row["citation"]),
                    note="; ".join(notes) or None)


def _category_rows(counts: pd.DataFrame, category: str) -> pd.DataFrame:
    if category in series.SERIES:
        return series.select(counts, category)
    return counts[counts["category"] == category].assign(series_note="")


def _kind(label: str) -> str:
    if re.fullmatch(r"FY\d{4}", label):
        return "year"
    if re.fullmatch(r"FY\d{4}-Q\d", label):
        return "quarter"
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return "month"
    return "other"


def _tiles(frame: pd.DataFrame, span: Span) -> bool:
    spans = frame[["period_start", "period_end"]].drop_duplicates().sort_values("period_start")
    cursor = pd.Timestamp(span.start)
    for start, end in spans.itertuples(index=False):
        if pd.Timestamp(start) != cursor:
            return False
        cursor = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    return cursor == pd.Timestamp(span.end) + pd.Timedelta(days=1)


def _available(frame: pd.DataFrame) -> str:
    ordered = frame.sort_values("period_start")["period"].drop_duplicates().tolist()
    if not ordered:
        return "none"
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} to {ordered[-1]}"


def _member_value(sub: pd.DataFrame, span: Span, measure: str, where: str,
                  role: str) -> Amount:
    starts = sub["period_start"].dt.date
    ends = sub["period_end"].dt.date
    chosen = sub[(starts == span.start) & (ends == span.end)]
    as_of_note = None
    if chosen.empty and measure in STOCK_MEASURES:
        chosen, as_of_note = _level_at(sub, span, where)
    if chosen.empty:
        if measure in STOCK_MEASURES:
            raise NotCheckable(
                f"'{measure}' is a level at the end of a period and is only read for a period "
                f"published as such; {where} has {_available(sub)}, not {span.label}")
        inside = sub[(starts >= span.start) & (ends <= span.end)]
        for kind in ("year", "quarter", "month"):
            candidate = inside[inside["period"].map(_kind) == kind]
            if not candidate.empty and _tiles(candidate, span):
                chosen = candidate
                break
        if chosen.empty:
            raise NotCheckable(f"no '{measure}' figures for {where} cover {span.label} "
                               f"(available: {_available(sub)})")
    total, evidence = 0.0, []
    for period, rows in chosen.sort_values("period_start").groupby("period", sort=False):
        evidence += [_evidence(row, role) for _, row in rows.iterrows()]
        if rows["value"].isna().any():
            status = rows.loc[rows["value"].isna(), "status"].iloc[0]
            raise NotCheckable(f"the {period} figure for {where} is {status} by the publisher")
        values = rows["value"].unique()
        if len(values) > 1:
            raise NotCheckable(f"sources disagree on {where} {period}: "
                               f"{', '.join(f'{v:,.0f}' for v in values)}")
        total += float(values[0])
    notes = sorted({e.note for e in evidence if e.note})
    if as_of_note:
        notes.insert(0, as_of_note)
    return Amount(total, evidence, notes)


#: how far before the claimed date a published level may end and still be read as "at" it
LEVEL_LOOKBACK_DAYS = 92


def _level_at(sub: pd.DataFrame, span: Span, where: str) -> tuple[pd.DataFrame, str | None]:
    """A level (pending) claimed at a date or for a period that is not published as such: the
    shortest published period ending on, or at most a quarter before, the span's last day."""
    end = pd.Timestamp(span.end)
    ends = sub["period_end"].dt.normalize()
    before = sub[(ends <= end) & (ends >= end - pd.Timedelta(days=LEVEL_LOOKBACK_DAYS))]
    if before.empty:
        return before, None
    latest = before["period_end"].dt.normalize().max()
    rows = before[before["period_end"].dt.normalize() == latest]
    length = rows["period_end"] - rows["period_start"]
    rows = rows[length == length.min()]
    label = rows["period"].iloc[0]
    when = "on" if latest == end else f"{(end - latest).days} days before"
    return rows[rows["period"] == label], (
        f"a level at {span.end:%d %B %Y}: read from {label}, the published period ending "
        f"{when} that date ({latest:%d %B %Y}) for {where}")


def amount(tables: Tables, category: str, measure: str, place: Place, span: Span,
           role: str = "value") -> Amount:
    """The sum of ``measure`` for ``category`` over ``place`` and ``span`` from ``counts``."""
    rows = _category_rows(tables.counts, category)
    if rows.empty:
        raise NotCheckable(f"no ingested dataset has category '{category}'")
    by_measure = rows[rows["measure"] == measure]
    if by_measure.empty:
        raise NotCheckable(f"'{category}' has no measure '{measure}' (available: "
                           f"{', '.join(sorted(rows['measure'].unique()))})")
    at_level = by_measure[by_measure["geo_level"] == place.level]
    if at_level.empty:
        levels = ", ".join(sorted(by_measure["geo_level"].unique()))
        level_word = {"nation": "national"}.get(levels, f"{levels}-level")
        raise NotCheckable(f"'{category}' {measure} figures are published at {level_word} "
                           f"geography only, not for {place.name}")
    total, evidence, notes, missing = 0.0, [], [], []
    for member in place.members:
        sub = at_level[at_level["geo_code"] == member]
        if sub.empty:
            missing.append(member)
            continue
        where = place.name if len(place.members) == 1 else f"{member} ({place.name})"
        part = _member_value(sub, span, measure, where, role)
        total += part.value
        evidence += part.evidence
        notes += part.notes
    if missing and len(missing) == len(place.members):
        raise NotCheckable(f"no '{category}' {measure} figures for {place.name} "
                           f"({place.level} {', '.join(missing[:5])})")
    if missing:
        raise NotCheckable(
            f"{len(missing)} of {len(place.members)} members of {place.name} have no "
            f"'{category}' {measure} figure for {span.label} ({', '.join(missing[:8])}"
            f"{', ...' if len(missing) > 8 else ''}); the published members sum to "
            f"{total:,.0f}, a lower bound only",
            notes=[f"partial sum over published members: {total:,.0f}"])
    if place.kind == "region":
        notes.append(f"region {place.code}: {place.note} Definition: {place.citation}")
    return Amount(total, evidence, list(dict.fromkeys(notes)))


_UNIT_OK = {
    "share": lambda u: u.startswith("share"), "rate": lambda u: u.startswith("share"),
    "duration": lambda u: u in ("months", "month"),
    "amount": lambda u: u in ("dollars", "usd", "$"),
    "count": lambda u: not u.startswith("share") and u not in ("months", "dollars"),
}


def matching_figures(tables: Tables, claim: Claim, place: Place, span: Span) -> pd.DataFrame:
    """Published single figures whose scope matches the claim."""
    figs = tables.figures
    if claim.figure_id:
        figs = figs[figs["figure_id"] == claim.figure_id]
    else:
        scope = figs["figure_id"].map(nearest_mod.FIGURE_SCOPES)
        figs = figs[(scope == claim.category) & (figs["measure"] == claim.measure)]
    ok_unit = _UNIT_OK.get(claim.metric, lambda u: False)
    figs = figs[figs["unit"].str.lower().map(ok_unit).astype(bool)]
    geo_ok = figs["geography"].str.upper().isin({place.code.upper(),
                                                 *(["US", "USA"] if place.is_national else [])})
    figs = figs[geo_ok]
    same = [_same_window(span, s, e) for s, e in zip(figs["period_start"], figs["period_end"],
                                                     strict=True)]
    return figs[same] if len(figs) else figs


#: days by which a published figure's window may differ from the claim's at either end
WINDOW_SLACK_DAYS = 7


def _same_window(span: Span, start: Any, end: Any) -> bool:
    """A published figure answers a claim only for the same window: an overlapping, longer
    or shorter window would measure other months (never a not-supported from it)."""
    first, last = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    return abs((first - span.start).days) <= WINDOW_SLACK_DAYS and \
        abs((last - span.end).days) <= WINDOW_SLACK_DAYS


def _figure_evidence(row: pd.Series) -> Evidence:
    return Evidence(role="published figure", value=float(row["value"]),
                    period=f"{row['period_start']:%Y-%m-%d}/{row['period_end']:%Y-%m-%d}",
                    geo=str(row["geography"]), status="reported",
                    source_file=str(row["source_file"]),
                    source_locator=str(row["source_locator"]), citation=str(row["citation"]),
                    note=_text(row.get("note")))


# --------------------------------------------------------------------------- verdicts


def tolerance_for(claim: Claim) -> float | None:
    """The claim's tolerance, or the documented default for its metric (None for directional
    comparators, which ignore it)."""
    if claim.comparator != "about":
        return claim.tolerance
    if claim.tolerance is not None:
        return claim.tolerance
    return METRICS[claim.metric].default_tolerance(claim)


def decide(estimate: float, claimed: float, comparator: str, tolerance: float | None) -> bool:
    """Whether ``estimate`` supports the claim under ``comparator`` (see module docstring)."""
    scale = _EPS * max(1.0, abs(claimed), abs(estimate))
    if comparator == "about":
        return abs(estimate - claimed) <= (tolerance or 0.0) + scale
    if comparator == "more-than":
        return estimate > claimed + scale
    if comparator == "less-than":
        return estimate < claimed - scale
    if comparator == "at-least":
        return estimate >= claimed - scale
    if comparator == "at-most":
        return estimate <= claimed + scale
    raise ValueError(comparator)


def fmt(value: float | None, metric: str, unit: str | None = None) -> str:
    if value is None:
        return "n/a"
    if metric in ("share", "rate", "change"):
        return f"{value * 100:.1f}%" if abs(value * 1000 - round(value * 1000)) > _EPS \
            else f"{value * 100:g}%"
    if metric == "amount":
        return f"${value:,.0f}"
    if metric == "duration":
        return f"{value:.3g} {unit or 'months'}"
    if metric == "comparison":
        return f"{value:.2f} times"
    if metric == "rank":
        return f"rank {value:.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _tolerance(tol: float, metric: str, unit: str | None) -> str:
    """A tolerance in words: a duration tolerance that is a whole number of months is said
    in months ("1 month", not "0.0833 years")."""
    if metric == "duration" and unit and unit != "months" and unit in DURATION_UNITS:
        months = tol * DURATION_UNITS[unit]
        if abs(months - round(months)) < 1e-9 and round(months) >= 1:
            n = int(round(months))
            return f"{n} month{'s' if n != 1 else ''}"
    return fmt(tol, metric, unit)


_WORDS = {"more-than": "more than", "less-than": "less than", "at-least": "at least",
          "at-most": "at most"}


def _reason(claim: Claim, estimate: float, tol: float | None, ok: bool,
            straddles: bool | None, lower: float | None, upper: float | None,
            unit: str | None) -> str:
    m = claim.metric
    est, said = fmt(estimate, m, unit), fmt(claim.value, m, unit)
    if claim.comparator == "about" and not tol:
        text = f"The data give {est}, {'the same as' if ok else 'not'} the claimed {said}"
    elif claim.comparator == "about":
        if ok:
            text = (f"The data give {est}, within the tolerance of "
                    f"{_tolerance(tol, m, unit)} of the claimed {said}")
        else:
            text = f"The data give {est}, which differs from the claimed {said} by " \
                   f"{fmt(abs(estimate - claim.value), m, unit)}, more than the tolerance of " \
                   f"{_tolerance(tol, m, unit)}"
            if straddles:
                text += (f"; the {CONFIDENCE:.0%} Wilson interval ({fmt(lower, m)} to "
                         f"{fmt(upper, m)}) straddles the claim, so chance variation could "
                         "explain the gap, but the verdict follows the point estimate")
    else:
        word = _WORDS[claim.comparator]
        text = f"The data give {est}, which is {'' if ok else 'not '}{word} the claimed {said}"
        if straddles:
            text += (f"; the {CONFIDENCE:.0%} Wilson interval ({fmt(lower, m)} to "
                     f"{fmt(upper, m)}) straddles the claimed value, so the direction is not "
                     "certain beyond chance variation")
    return text + "."


def _wilson(count: float, nobs: float) -> tuple[float, float]:
    """The library's one Wilson interval (:func:`analysis.stats.shares.interval`)."""
    low, high = shares.interval(count, nobs, method="wilson", alpha=1 - CONFIDENCE)
    return float(low), float(high)


Computed = tuple[float, float | None, float | None, str, list[Evidence], list[str], str | None]


class Metric:
    """One kind of claim. A subclass sets :attr:`name` (the ``metric`` key of a claims file),
    :attr:`needs` (keys the metric requires), checks its own keys in :meth:`problems`, and
    computes the estimate in :meth:`compute`; decorating it with :func:`metric` registers it
    (validation, checking and the JSON all read :data:`METRICS`)."""

    name: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    #: when the counts cannot answer, a published single figure of the same scope may
    figure_fallback: ClassVar[bool] = False
    #: answered only by published single figures (durations, money)
    figures_only: ClassVar[bool] = False
    #: what the figures are, for the not-checkable message of a figures-only metric
    what: ClassVar[str] = ""

    def default_tolerance(self, claim: Claim) -> float:
        """The tolerance of an ``about`` claim that gives none: from :data:`DEFAULT_TOLERANCE`
        (absolute) or :data:`RELATIVE_TOLERANCE` (a fraction of the claimed value); 0 for a
        metric in neither (the claim must be exact)."""
        if self.name in RELATIVE_TOLERANCE:
            return abs(claim.value) * RELATIVE_TOLERANCE[self.name]
        return DEFAULT_TOLERANCE.get(self.name, 0.0)

    def problems(self, raw: dict[str, Any], usable) -> list[tuple[str, str]]:
        """The claim's metric-specific problems (key, text); ``usable(key)`` says whether a
        text key is present and valid so far."""
        return [(key, f"required for metric {self.name}") for key in self.needs
                if raw.get(key) in (None, "", [])]

    def compute(self, claim: Claim, tables: Tables, place: Place, span: Span) -> Computed:
        raise NotCheckable(f"metric {self.name} has no computation from the counts")


#: every metric, by name (filled by :func:`metric`)
METRICS: dict[str, Metric] = {}


def metric(cls: type[Metric]) -> type[Metric]:
    """Register a :class:`Metric` subclass under its name."""
    METRICS[cls.name] = cls()
    return cls


def _fraction_problem(raw: dict[str, Any]) -> list[tuple[str, str]]:
    value = raw.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool) and not 0 <= value <= 1:
        return [("value", f"{value} is not a fraction between 0 and 1 (write 22% as 0.22)")]
    return []


@metric
class Count(Metric):
    """A sum of figures over the claim's place and period."""

    name = "count"
    figure_fallback = True

    def compute(self, claim, tables, place, span):
        label = f"{claim.category} {claim.measure}"
        a = amount(tables, claim.category, claim.measure, place, span)
        method = f"sum of {label} for {place.name}, {span.label} ({len(a.evidence)} figures)"
        return a.value, None, None, method, a.evidence, a.notes, claim.unit


@metric
class Share(Metric):
    """The place's part of a larger place's total, with a Wilson interval."""

    name = "share"
    needs = ("whole_geo",)
    figure_fallback = True

    def problems(self, raw, usable):
        found = super().problems(raw, usable) + _fraction_problem(raw)
        if usable("geo") and usable("whole_geo"):
            try:
                same = _resolve_place(raw["geo"]).members == \
                    _resolve_place(raw["whole_geo"]).members
            except GeographyError:
                same = False
            if same:
                found.append(("whole_geo", f"the whole ({raw['whole_geo']}) is the same place "
                                           f"as geo ({raw['geo']}): a share of itself is 100% "
                                           "by definition; name the larger place"))
        return found

    def compute(self, claim, tables, place, span):
        cat, measure = claim.category, claim.measure
        label = f"{cat} {measure}"
        whole = _resolve_place(claim.whole_geo)
        part = amount(tables, cat, measure, place, span, "numerator")
        total = amount(tables, cat, measure, whole, span, "denominator")
        if total.value <= 0 or part.value > total.value:
            raise NotCheckable(f"{place.name} ({part.value:,.0f}) is not a part of "
                               f"{whole.name} ({total.value:,.0f}); no share can be formed")
        low, high = _wilson(part.value, total.value)
        method = (f"share = {label} {place.name} {part.value:,.0f} / {whole.name} "
                  f"{total.value:,.0f}, {span.label}; {CONFIDENCE:.0%} Wilson interval "
                  "(statsmodels proportion_confint)")
        return part.value / total.value, low, high, method, part.evidence + total.evidence, \
            part.notes + total.notes, None


@metric
class Rate(Metric):
    """A measure over a sum of measures (denials over decisions), with a Wilson interval when
    the measure is one of the parts."""

    name = "rate"
    needs = ("over",)
    figure_fallback = True

    def problems(self, raw, usable):
        return super().problems(raw, usable) + _fraction_problem(raw)

    def compute(self, claim, tables, place, span):
        cat, measure = claim.category, claim.measure
        over = claim.over or []
        num = amount(tables, cat, measure, place, span, "numerator")
        parts = [amount(tables, cat, o, place, span, "denominator") for o in over]
        denom = sum(p.value for p in parts)
        if denom <= 0:
            raise NotCheckable(f"{' + '.join(over)} is zero for {place.name} {span.label}")
        evidence = num.evidence + [e for p in parts for e in p.evidence if e.role]
        notes = num.notes + [n for p in parts for n in p.notes]
        low = high = None
        interval = ""
        if measure in over:
            low, high = _wilson(num.value, denom)
            interval = f"; {CONFIDENCE:.0%} Wilson interval (statsmodels proportion_confint)"
        else:
            notes.append(f"{measure} is not one of {over}: a ratio, not a proportion, so no "
                         "interval")
        method = (f"rate = {measure} {num.value:,.0f} / ({' + '.join(over)}) {denom:,.0f}, "
                  f"{cat}, {place.name}, {span.label}{interval}")
        return num.value / denom, low, high, method, evidence, list(dict.fromkeys(notes)), None


@metric
class Change(Metric):
    """The relative change from ``period_from`` to ``period``; with ``direction``, the size of
    the change in that direction (negative when the data move the other way)."""

    name = "change"
    needs = ("period_from",)

    def problems(self, raw, usable):
        found = super().problems(raw, usable)
        value = raw.get("value")
        if raw.get("direction") is None and isinstance(value, int | float) and value > 0:
            found.append(("direction", "say whether the claim is of a rise or a fall "
                                       "(direction: rise | fall); value is the size of the "
                                       "change (0.5 for 'by half'), or give a negative value "
                                       "for a fall"))
        return found

    def compute(self, claim, tables, place, span):
        cat, measure = claim.category, claim.measure
        label = f"{cat} {measure}"
        base_span = resolve_period(claim.period_from)
        base = amount(tables, cat, measure, place, base_span, "base period")
        now = amount(tables, cat, measure, place, span, "compared period")
        if base.value == 0:
            raise NotCheckable(f"{label} is zero in {base_span.label}; no relative change")
        partial = [e.period for e in base.evidence + now.evidence
                   if e.note and periods.PART_YEAR_NOTE.search(e.note)]
        if partial:
            raise NotCheckable(
                f"{', '.join(sorted(set(partial)))} is a part-year figure (the publisher's note "
                "says so); a change against a full period would measure the missing months, "
                "not a rise or fall", notes=[f"{label}: {base_span.label} {base.value:,.0f}, "
                                             f"{span.label} {now.value:,.0f} (part year)"])
        change = (now.value - base.value) / base.value
        method = (f"relative change = ({span.label} {now.value:,.0f} - {base_span.label} "
                  f"{base.value:,.0f}) / {base.value:,.0f}, {label}, {place.name}")
        notes = list(dict.fromkeys(base.notes + now.notes))
        estimate = change
        if claim.direction:
            seen = "rise" if change > 0 else "fall" if change < 0 else "no change"
            estimate = abs(change) if seen == claim.direction else -abs(change)
            method += (f"; the claim is of a {claim.direction}, so the estimate is the size of "
                       f"the {claim.direction} ({'negative when the data show the opposite'})")
            if seen != claim.direction:
                notes.insert(0, f"the claim is of a {claim.direction}, but the data show "
                                f"{'a ' + seen if seen != 'no change' else seen} of "
                                f"{abs(change):.1%}")
        return estimate, None, None, method, base.evidence + now.evidence, notes, None


@metric
class Rank(Metric):
    """The place's rank (1 = the most) among all places of its level; the runner-up (or the
    first) is in the evidence."""

    name = "rank"

    def problems(self, raw, usable):
        if usable("geo"):
            try:
                national = _resolve_place(raw["geo"]).is_national
            except GeographyError:
                national = False
            if national:
                return [("geo", "a rank needs the place ranked (a state, county or office), "
                                "not the nation")]
        return []

    def compute(self, claim, tables, place, span):
        return _rank(claim, tables, place, span)


@metric
class Comparison(Metric):
    """The ratio of the figure for the claim's place and period to another place's or
    period's."""

    name = "comparison"

    def problems(self, raw, usable):
        if not (raw.get("compare_geo") or raw.get("compare_period")):
            return [("compare_geo", "metric comparison needs compare_geo or compare_period")]
        return []

    def compute(self, claim, tables, place, span):
        cat, measure = claim.category, claim.measure
        label = f"{cat} {measure}"
        other_place = _resolve_place(claim.compare_geo) if claim.compare_geo else place
        other_span = resolve_period(claim.compare_period) if claim.compare_period else span
        first = amount(tables, cat, measure, place, span, "first")
        second = amount(tables, cat, measure, other_place, other_span, "second")
        if second.value == 0:
            raise NotCheckable(f"{label} is zero for {other_place.name} {other_span.label}")
        method = (f"ratio = {place.name} {span.label} {first.value:,.0f} / "
                  f"{other_place.name} {other_span.label} {second.value:,.0f}, {label}")
        return first.value / second.value, None, None, method, \
            first.evidence + second.evidence, list(dict.fromkeys(first.notes + second.notes)), \
            None


@metric
class Duration(Metric):
    """A published duration (processing time, a program's term), in the claim's unit."""

    name = "duration"
    figures_only = True
    what = "durations"

    def default_tolerance(self, claim):  # one month, in the claim's unit
        return DEFAULT_TOLERANCE["duration"] / DURATION_UNITS[claim.unit or "months"]

    def problems(self, raw, usable):
        if usable("unit") and raw["unit"] not in DURATION_UNITS:
            return [("unit", f"unknown duration unit {raw['unit']!r}; expected one of "
                             f"{', '.join(DURATION_UNITS)}")]
        return []


@metric
class Money(Metric):
    """A published amount of money."""

    name = "amount"
    figures_only = True
    what = "money amounts"


def _compute(claim: Claim, tables: Tables) -> Computed:
    """(estimate, lower, upper, method, evidence, notes, unit) or raise NotCheckable."""
    place = _resolve_place(claim.geo)
    span = resolve_period(claim.period)
    impl = METRICS[claim.metric]
    if not impl.figures_only:
        try:
            return impl.compute(claim, tables, place, span)
        except NotCheckable as exc:
            if not impl.figure_fallback:
                raise
            figs = matching_figures(tables, claim, place, span)
            if figs.empty:
                raise
            return _from_figure(claim, figs, exc)
    figs = matching_figures(tables, claim, place, span)
    if figs.empty:
        raise NotCheckable(f"no published figure reports {impl.what} for '{claim.category}' "
                           f"({claim.measure}) for {place.name} in {span.label}")
    return _from_figure(claim, figs, None)


def _from_figure(claim: Claim, figs: pd.DataFrame, fallback: NotCheckable | None):
    row = figs.iloc[0]
    value = float(row["value"])
    unit = claim.unit
    if claim.metric == "duration":
        factor = DURATION_UNITS[claim.unit or "months"]
        value = value / factor
        unit = claim.unit or "months"
    notes = [f"published single figure {row['figure_id']}: {row['population']} "
             f"({row['geography']}, {row['period_start']:%Y-%m-%d} to "
             f"{row['period_end']:%Y-%m-%d})"]
    if fallback is not None:
        notes.append(f"the counts tables could not answer: {fallback.missing}")
    if len(figs) > 1:
        notes.append("other matching figures: " + ", ".join(figs["figure_id"].iloc[1:]))
    method = f"published single figure {row['figure_id']} compared with the claim"
    return value, None, None, method, [_figure_evidence(r) for _, r in figs.iterrows()], \
        notes, unit


def _rank(claim: Claim, tables: Tables, place: Place, span: Span):
    """The place's rank (1 = largest) among all places of its level, runner-up in evidence."""
    cat, measure = claim.category, claim.measure
    level = claim.among or place.level
    if place.kind == "region" or level != place.level:
        raise NotCheckable(f"a rank is computed among places of one level; {place.name} is a "
                           f"{place.kind}, not a {level}")
    rows = _category_rows(tables.counts, cat)
    rows = rows[(rows["measure"] == measure) & (rows["geo_level"] == level)]
    if rows.empty:
        raise NotCheckable(f"no {level}-level '{cat}' {measure} figures to rank")
    values: dict[str, Amount] = {}
    skipped: list[str] = []
    for code, sub in rows.groupby("geo_code"):
        try:
            values[str(code)] = _member_value(sub, span, measure, str(code), "ranked")
        except NotCheckable:
            skipped.append(str(code))
    if place.code not in values:
        raise NotCheckable(f"no '{cat}' {measure} figure for {place.name} in {span.label}")
    ordered = sorted(values.items(), key=lambda kv: -kv[1].value)
    mine = values[place.code].value
    rank = 1 + sum(1 for _, a in ordered if a.value > mine)
    tied = [c for c, a in ordered if a.value == mine and c != place.code]
    evidence = [e.model_copy(update={"role": f"{place.code} (rank {rank})"})
                for e in values[place.code].evidence]
    other_code, other = (ordered[1] if ordered[0][0] == place.code else ordered[0])
    other_role = "runner-up" if ordered[0][0] == place.code else "first"
    evidence += [e.model_copy(update={"role": other_role}) for e in other.evidence]
    notes = [f"{len(values)} {level}s ranked; {other_role}: {other_code} with "
             f"{other.value:,.0f} against {place.code} {mine:,.0f}"]
    if tied:
        notes.append(f"tied with {', '.join(tied)}")
    if skipped:
        notes.append(f"{len(skipped)} {level}s have no usable figure for {span.label} "
                     f"({', '.join(skipped[:8])}) and are not ranked")
    method = (f"rank of {place.name} among {len(values)} {level}s by {cat} {measure}, "
              f"{span.label} (1 = most)")
    return float(rank), None, None, method, evidence, notes, None


def known_terms(tables: Tables) -> tuple[set[str], set[str]]:
    """Categories and measures the ingested data (and the bundled figure scopes) can check."""
    cats = set(tables.counts["category"].unique()) | set(series.SERIES) | \
        set(nearest_mod.FIGURE_SCOPES.values())
    measures = set(tables.counts["measure"].unique()) | set(tables.figures["measure"].unique())
    return cats, measures


def _unknown_terms(claim: Claim, tables: Tables) -> Verdict | None:
    """A needs-input verdict when the claim names a category or measure no dataset has."""
    if claim.out_of_scope or claim.basis or claim.age or claim.figure_id or \
            claim.unpublished or claim.window:
        return None
    cats, measures = known_terms(tables)
    needs, candidates, problems = [], {}, []
    for key, value, known in (("category", claim.category, cats),
                              ("measure", claim.measure, measures)):
        if value in known:
            continue
        close = difflib.get_close_matches(value, sorted(known), n=4, cutoff=0.5)
        needs.append(key)
        candidates[key] = close or sorted(known)
        hint = f"; did you mean {' or '.join(close)}?" if close else \
            f"; known: {', '.join(sorted(known))}"
        problems.append(f"unknown {key} {value!r}{hint}")
    if not needs:
        return None
    return needs_input(claim.id, claim.text, needs, candidates, "; ".join(problems),
                       claim.model_dump(exclude_none=True), claimed=claim.value,
                       metric=claim.metric, comparator=claim.comparator)


def needs_input(claim_id: str, text: str, needs: list[str], candidates: dict[str, list[str]],
                problem: str, claim: dict | None, *, claimed: float | None = None,
                metric: str = "", comparator: str = "", inferred: dict[str, str] | None = None
                ) -> Verdict:
    """The verdict for a claim that cannot be checked until the reporter gives ``needs``."""
    return Verdict(id=claim_id, text=text, metric=metric or "", verdict="needs-input",
                   claimed=claimed, comparator=comparator or "", tolerance=None, unit=None,
                   computed=None, lower=None, upper=None, interval_method=None,
                   interval_straddles_claim=None, method="none",
                   reason=f"Needs input: {problem}.", missing=None, nearest=[], evidence=[],
                   notes=[], needs=needs, candidates=candidates, claim=claim,
                   inferred=inferred or {})


def _not_checkable(claim: Claim, tables: Tables, missing: str, reason: str,
                   notes: list[str], method: str) -> Verdict:
    try:
        place = _resolve_place(claim.geo)
    except Exception:  # noqa: BLE001 - validated earlier; nearest only needs a hint
        place = None
    near = [] if claim.out_of_scope else nearest_mod.nearest_for(claim, place, tables.counts,
                                                                 tables.figures)
    near = nearest_mod.catalogue_nearest(claim, tables.counts, tables.figures) + \
        [n for n in near if n["dataset"] not in
         {c["dataset"] for c in nearest_mod.catalogue_nearest(claim, tables.counts,
                                                              tables.figures)}]
    if claim.attributed_to and any(w in claim.attributed_to.lower()
                                   for w in ("hhs", "health and human services")):
        notes = [*notes, f"the claim cites {claim.attributed_to}; HHS does not decide or "
                         "publish parole grants (its ORR publishes releases of unaccompanied "
                         "children, a different population)"]
    return Verdict(id=claim.id, text=claim.text, metric=claim.metric, verdict="not-checkable",
                   claimed=claim.value, comparator=claim.comparator,
                   tolerance=tolerance_for(claim), unit=claim.unit, computed=None, lower=None,
                   upper=None, interval_method=None, interval_straddles_claim=None,
                   method=method, reason=reason, missing=missing,
                   nearest=[Nearest(**n) for n in near], evidence=[], notes=notes)


def check_claim(claim: Claim, tables: Tables, inferred: dict[str, str] | None = None
                ) -> Verdict:
    """The verdict for one validated claim."""
    verdict = _check_claim(claim, tables)
    return verdict.model_copy(update={"claim": claim.model_dump(exclude_none=True),
                                      "inferred": inferred or {}})


def _check_claim(claim: Claim, tables: Tables) -> Verdict:
    unknown = _unknown_terms(claim, tables)
    if unknown is not None:
        return unknown
    if claim.out_of_scope:
        return _not_checkable(claim, tables, "not a statistic about public parole data",
                              f"Not checkable: {claim.out_of_scope}.", [], "none")
    if claim.unpublished:
        return _not_checkable(claim, tables, claim.unpublished,
                              f"Not checkable: {claim.unpublished}.", [], "none")
    if claim.window:
        missing = (f"the claim is for {claim.window}; the data publish fixed periods, and a "
                   "figure for a different window cannot support or refute it")
        return _not_checkable(claim, tables, missing, f"Not checkable: {missing}.", [], "none")
    gaps = []
    if claim.basis:
        place = _resolve_place(claim.geo)
        if place.is_national:
            gaps.append(f"no public dataset reports parole counts by {claim.basis} basis")
        else:
            gaps.append(f"no public dataset reports parole by {claim.basis} basis below "
                        "national level, nor a separate count for it nationally")
    if claim.age:
        gaps.append(f"no public dataset reports parole counts by age ({claim.age})")
    if gaps:
        missing = "; ".join(gaps)
        return _not_checkable(claim, tables, missing,
                              f"Not checkable: {missing}, so the claimed figure cannot be "
                              "computed from public data.", [], "none")
    try:
        estimate, low, high, method, evidence, notes, unit = _compute(claim, tables)
    except NotCheckable as exc:
        return _not_checkable(claim, tables, exc.missing,
                              f"Not checkable: {exc.missing}.", exc.notes, "none")
    claimed = claim.value
    tol = tolerance_for(claim)
    ok = decide(estimate, claimed, claim.comparator, tol)
    straddles = None if low is None else bool(low - _EPS <= claimed <= high + _EPS)
    show_straddle = straddles and ((claim.comparator == "about" and not ok)
                                   or claim.comparator != "about")
    reason = _reason(claim, estimate, tol, ok, show_straddle, low, high, unit)
    return Verdict(id=claim.id, text=claim.text, metric=claim.metric,
                   verdict="supported" if ok else "not-supported", claimed=claimed,
                   comparator=claim.comparator, tolerance=tol, unit=unit or claim.unit,
                   computed=estimate, lower=low, upper=high,
                   interval_method=None if low is None else f"wilson {CONFIDENCE:.0%}",
                   interval_straddles_claim=straddles, method=method, reason=reason,
                   missing=None, nearest=[], evidence=evidence, notes=notes)


def check(claims: ClaimsFile | Path | str, data_dir: Path | str | None = None,
          *, inferred: dict[str, dict[str, str]] | None = None) -> list[Verdict]:
    """Check every complete claim of a claims file (a path or a loaded :class:`ClaimsFile`);
    each incomplete claim gets a ``needs-input`` verdict naming its problems. Verdicts come in
    the file's order. ``inferred`` maps claim ids to the words each key came from."""
    loaded = claims if isinstance(claims, ClaimsFile) else load(claims)
    tables = load_tables(data_dir)
    words = inferred or {}
    out = [check_claim(claim, tables, words.get(claim.id)) for claim in loaded.claims]
    for item in loaded.incomplete:
        keys = list(dict.fromkeys(k.split(".")[0] for k, _ in item.problems))
        problem = "; ".join(f"{k}: {t}" for k, t in item.problems)
        value = item.raw.get("value")
        out.append(needs_input(
            item.id, item.text, keys, item.candidates, problem, item.raw,
            claimed=float(value) if isinstance(value, int | float) else None,
            metric=str(item.raw.get("metric") or ""),
            comparator=str(item.raw.get("comparator") or ""),
            inferred=words.get(item.id) or item.words))
    order = loaded.order
    out = [v.model_copy(update={"readings": loaded.readings.get(v.id, [])}) for v in out]
    return sorted(out, key=lambda v: order.get(v.id, len(order)))


def to_json(verdicts: list[Verdict], *, claims_file: str | None = None,
            outside: list[dict[str, str]] | None = None) -> dict:
    """The stable JSON document (``schema_version`` 2; see the package docstring).
    ``outside``: figures of an article that are not parole or release statistics."""
    counts = {name: sum(v.verdict == name for v in verdicts) for name in VERDICTS}
    return {"schema_version": SCHEMA_VERSION, "claims_file": claims_file, "summary": counts,
            "verdicts": [v.model_dump(mode="json") for v in verdicts],
            "outside": list(outside or [])}
