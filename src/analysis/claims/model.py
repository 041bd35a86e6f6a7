"""The claims file: pydantic models, loading, and validation that reports every problem at once.

A claims file is YAML with a top-level ``claims`` list (and optional ``title`` and ``article``).
Each claim is validated by :class:`Claim` (unknown keys, missing keys and wrong types) and then by
semantic checks (places that do not resolve, period labels that do not parse, keys a metric
needs, ``FILL_IN`` placeholders left by ``parole claims extract``, a share of a place within
itself, a change without a direction). Every problem is one line ``claim <id>, key <key>:
<problem>``. Unknown keys and a file that is not a claims list refuse the whole file; any
other problem makes only that claim incomplete (:class:`Incomplete`, checked as
``needs-input``) and the complete claims are still checked.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis.contract import geo, periods
from analysis.errors import ParoleError

FILL_IN = "FILL_IN"

Comparator = Literal["about", "more-than", "less-than", "at-least", "at-most"]

COMPARATORS: tuple[str, ...] = Comparator.__args__  # type: ignore[attr-defined]

#: Units a ``duration`` claim may state, in months.
DURATION_UNITS: dict[str, float] = {
    "hours": 1 / (24 * 30.4375), "days": 1 / 30.4375, "weeks": 7 / 30.4375, "months": 1.0,
    "years": 12.0,
}

Text = Annotated[str, Field(strict=True, min_length=1)]
Number = Annotated[float, Field(strict=True)]


class Claim(BaseModel):
    """One claim. Keys and their meaning are documented in ``docs/claims.md``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    text: Text
    metric: Annotated[str, Field(strict=True, min_length=1)]  # a name in checker.METRICS
    value: Number
    comparator: Comparator = "about"
    tolerance: Annotated[float, Field(strict=True, ge=0)] | None = None
    category: Text
    measure: Text
    geo: Text
    whole_geo: Text | None = None
    period: Text
    basis: Text | None = None
    # optional keys for particular metrics and caveats (documented in docs/claims.md)
    over: list[Text] | None = None
    period_from: Text | None = None
    direction: Literal["rise", "fall"] | None = None
    among: Literal["state", "county", "office"] | None = None
    compare_geo: Text | None = None
    compare_period: Text | None = None
    unit: Text | None = None
    age: Text | None = None
    figure_id: Text | None = None
    attributed_to: Text | None = None
    out_of_scope: Text | None = None
    #: the population is one no public data cover, or a neighbour of a covered one: why
    unpublished: Text | None = None
    #: the claim's window is one no table publishes (year to date, a typical year): which
    window: Text | None = None
    note: Text | None = None


class Incomplete(BaseModel):
    """A claim of a file that cannot be checked as written: what is wrong, key by key."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    problems: list[tuple[str, str]]
    raw: dict[str, Any]
    candidates: dict[str, list[str]] = {}
    words: dict[str, str] = {}


class ClaimsFile(BaseModel):
    """The whole file (claims are validated one by one, so this only holds the result)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    article: str | None = None
    published: str | None = None
    claims: list[Claim]
    path: str | None = None
    #: claims that could not be stated completely, in file order: checked as needs-input
    incomplete: list[Incomplete] = []
    #: position of each claim and incomplete claim in the file (id -> index)
    order: dict[str, int] = {}
    #: article input: figures outside what the data cover (text, figure, reason)
    outside: list[dict[str, str]] = []
    #: article input: claim id -> the scored readings of its population, best first
    readings: dict[str, list[dict[str, Any]]] = {}


ALLOWED_KEYS = tuple(Claim.model_fields)
_TOP_KEYS = ("title", "article", "published", "claims")
#: keys `parole check --json` writes beside a claim, ignored when it is read back
_META_KEYS = ("inferred", "candidates")


# --------------------------------------------------------------------------- places and periods


@dataclass(frozen=True)
class Place:
    """A claim's geography, resolved: ``kind`` is nation, state, county, office or region."""

    kind: str
    code: str
    name: str
    level: str  # geo_level of the rows to read: nation, state, county, office
    members: tuple[str, ...]
    note: str = ""
    citation: str = ""

    @property
    def is_national(self) -> bool:
        return self.kind == "nation"


_NATION = {"us", "usa", "united states", "nation", "national", "united states of america"}


def resolve_place(text: str) -> Place:
    """Resolve ``US``, a state, a 5-digit county FIPS, a USCIS office code, a region name, or
    places of one level joined by ``+`` (``TX+CA``: the two states together).

    Raises :class:`analysis.contract.geo.GeographyError` (an ambiguous region lists its candidates).
    """
    value = str(text).strip()
    if "+" in value:
        parts = [resolve_place(p) for p in value.split("+") if p.strip()]
        levels = {p.level for p in parts}
        if len(parts) < 2 or len(levels) != 1 or "nation" in levels:
            raise geo.GeographyError(f"{value!r}: join two or more places of one level with "
                                     "'+' (states, or counties), e.g. TX+CA")
        members = tuple(dict.fromkeys(m for p in parts for m in p.members))
        return Place("group", "+".join(p.code for p in parts),
                     " and ".join(p.name for p in parts), levels.pop(), members)
    if value.lower() in _NATION:
        return Place("nation", "US", "United States", "nation", ("US",))
    if re.fullmatch(r"\d{5}", value):
        return Place("county", value, f"{geo.county_name(value)}, {geo.county_state(value)}",
                     "county", (value,))
    try:
        code = geo.state_code(value)
    except geo.GeographyError:
        code = None
    if code is not None:
        return Place("state", code, geo.state_name(code), "state", (code,))
    if re.fullmatch(r"[A-Z]{3}", value):
        try:
            office = geo.office(value)
        except geo.GeographyError:
            office = None
        if office is not None:
            return Place("office", office.code, office.name, "office", (office.code,))
    reg = geo.region(value)  # raises GeographyError / AmbiguousRegionError
    return Place("region", reg.name, reg.title or reg.name, reg.level, reg.members,
                 note=reg.note, citation=reg.citation)


@dataclass(frozen=True)
class Span:
    """A claim's period, resolved to first and last day."""

    label: str
    start: date
    end: date

    def overlaps(self, start: Any, end: Any) -> bool:
        return pd.Timestamp(start).date() <= self.end and pd.Timestamp(end).date() >= self.start


def _endpoint(text: str, *, last: bool) -> date:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 12, 31) if last else date(int(text), 1, 1)
    found = periods.parse(text)
    return found.end if last else found.start


def resolve_period(text: str) -> Span:
    """A period label (``FY2019``, ``FY2023-Q2``, ``FY2023-YTD-Q2``, ``2023-05``), a calendar
    year (``2022``), or a range ``A/B`` of labels, years or ISO dates (``2022-01/2025-11``,
    ``2021-01-01/2023-12-31``). Raises ``ValueError`` naming the accepted forms."""
    value = str(text).strip()
    try:
        if "/" in value:
            first, _, second = value.partition("/")
            start, end = _endpoint(first, last=False), _endpoint(second, last=True)
            if end < start:
                raise ValueError(f"range {value!r} ends before it starts")
            return Span(value, start, end)
        return Span(value, _endpoint(value, last=False), _endpoint(value, last=True))
    except ValueError as exc:
        if "ends before" in str(exc):
            raise
        raise ValueError(
            f"unknown period {value!r}: expected FY2023, FY2023-Q2, FY2023-YTD-Q2, 2023-05, a "
            "year (2022) or a range A/B of those or of dates (2021-01-01/2023-12-31)") from None


# --------------------------------------------------------------------------- loading


def _claim_label(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return raw["id"].strip()
    return f"#{index + 1}"


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        loc = err["loc"]
        key = ".".join(str(part) for part in loc) if loc else "(claim)"
        kind = err["type"]
        if kind == "missing":
            text = "required key is missing"
        elif kind == "extra_forbidden":
            text = f"unknown key (allowed keys: {', '.join(ALLOWED_KEYS)})"
        elif kind.endswith("_type") or kind == "model_type":
            got = err.get("input")
            text = f"{err['msg'].lower()}, got {type(got).__name__} {got!r}"
        else:
            text = f"{err['msg']} (got {err.get('input')!r})"
        problems.append((key, text))
    return problems


def fill_in_keys(raw: dict[str, Any]) -> list[str]:
    """Keys still holding the ``FILL_IN`` placeholder."""
    return [key for key, value in raw.items()
            if value == FILL_IN or (isinstance(value, list) and FILL_IN in value)]


def _semantic_problems(raw: dict[str, Any], bad_keys: set[str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []

    def usable(key: str) -> bool:
        return key not in bad_keys and isinstance(raw.get(key), str) and raw[key].strip() != ""

    for key in fill_in_keys(raw):
        problems.append((key, f"not filled in ({FILL_IN} left by `parole claims extract`)"))
        bad_keys.add(key)
    for key in ("geo", "whole_geo", "compare_geo"):
        if usable(key):
            try:
                resolve_place(raw[key])
            except geo.GeographyError as exc:
                problems.append((key, str(exc)))
    answered = bool(raw.get("out_of_scope") or raw.get("unpublished") or raw.get("window"))
    for key in ("period", "period_from", "compare_period"):
        if usable(key) and not (answered and raw[key] == "unknown"):
            try:
                resolve_period(raw[key])
            except ValueError as exc:
                problems.append((key, str(exc)))
    metric = raw.get("metric") if "metric" not in bad_keys else None
    if answered:
        return problems
    from analysis.claims.checker import METRICS  # the metrics (imported here: it imports us)

    if metric is not None and metric not in METRICS:
        close = difflib.get_close_matches(str(metric), METRICS, n=2)
        problems.append(("metric", f"unknown metric {metric!r}"
                                   + (f"; did you mean {' or '.join(close)}?" if close else "")
                                   + f" (metrics: {', '.join(METRICS)})"))
    elif metric is not None:
        problems += METRICS[metric].problems(raw, usable)
    return problems


def _from_verdicts(data: Any) -> Any:
    """The JSON of ``parole check --json`` read back as a claims file."""
    if isinstance(data, dict) and "claims" not in data and isinstance(data.get("verdicts"), list):
        return {"title": data.get("title"), "article": data.get("article"),
                "claims": [{**(v.get("claim") or {}), "inferred": v.get("inferred") or {},
                            "candidates": v.get("candidates") or {}}
                           for v in data["verdicts"] if isinstance(v, dict)]}
    return data


def _number_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Numbers a verdict could rest on must be finite and within the digit limit."""
    from analysis.limits import LIMITS

    problems = []
    for key in ("value", "tolerance"):
        value = raw.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            problems.append((key, f"must be a finite number, got {value!r}"))
        elif isinstance(value, int | float) and abs(value) >= 10 ** LIMITS.max_int_digits:
            problems.append((key, f"has more than max_int_digits={LIMITS.max_int_digits} "
                                  "digits"))
    return problems


def validate(data: Any, *, origin: str = "claims file", allow_empty: bool = False
             ) -> ClaimsFile:
    """Validate parsed YAML.

    The whole file is refused (one :class:`ParoleError` listing every such problem) only for
    what makes it unreadable as a claims file: no ``claims`` list, unknown keys at the top or in
    a claim, or a claim that is not a mapping. Every other problem (a missing or mistyped key, a
    ``FILL_IN`` left by ``parole claims extract``, a place or period that does not resolve)
    makes that claim *incomplete*: it is listed with its problems and checked as
    ``needs-input``, while the complete claims are checked.

    The JSON written by ``parole check --json`` is accepted too (its ``verdicts[].claim``).
    """
    data = _from_verdicts(data)
    if not isinstance(data, dict) or "claims" not in data:
        raise ParoleError(f"{origin}: expected a mapping with a 'claims' list at the top")
    fatal: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            fatal.append(f"top level, key {key}: unknown key (allowed: {', '.join(_TOP_KEYS)})")
    raws = data["claims"]
    if not isinstance(raws, list) or (not raws and not allow_empty):
        raise ParoleError(f"{origin}: 'claims' must be a non-empty list of claims")
    claims: list[Claim] = []
    incomplete: list[Incomplete] = []
    order: dict[str, int] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(raws):
        label = _claim_label(raw, index)
        if not isinstance(raw, dict):
            fatal.append(f"claim {label}, key (claim): expected a mapping of keys, got "
                         f"{type(raw).__name__}")
            continue
        unknown = [k for k in raw if k not in ALLOWED_KEYS and k not in _META_KEYS]
        fatal += [f"claim {label}, key {k}: unknown key (allowed keys: "
                  f"{', '.join(ALLOWED_KEYS)})" for k in unknown]
        if unknown:
            continue
        meta = {k: raw[k] for k in _META_KEYS if k in raw}
        raw = {k: v for k, v in raw.items() if k not in _META_KEYS and v is not None}
        found: list[tuple[str, str]] = []
        try:
            claim = Claim.model_validate(raw)
        except ValidationError as exc:
            claim = None
            placeholders = set(fill_in_keys(raw))
            found = [(k, t) for k, t in _pydantic_problems(exc)
                     if k.split(".")[0] not in placeholders]
        bad = {key.split(".")[0] for key, _ in found}
        found += _semantic_problems(raw, bad) + _number_problems(raw)
        if label in seen:
            fatal.append(f"claim {label}, key id: duplicate id (also claim number "
                         f"{seen[label] + 1})")
        seen.setdefault(label, index)
        order[label] = index
        if claim is not None and not found:
            claims.append(claim)
        else:
            incomplete.append(Incomplete(
                id=label, text=str(raw.get("text") or ""), problems=found, raw=raw,
                candidates=meta.get("candidates") or {}, words=meta.get("inferred") or {}))
    if fatal:
        listing = "\n  ".join(fatal)
        raise ParoleError(f"{origin}: {len(fatal)} problem{'s' * (len(fatal) > 1)}; "
                          f"nothing was checked:\n  {listing}")
    published = data.get("published")
    return ClaimsFile(title=data.get("title"), article=data.get("article"), claims=claims,
                      published=None if published is None else str(published),
                      path=None if origin == "claims file" else origin,
                      incomplete=incomplete, order=order)


def load(path: Path | str) -> ClaimsFile:
    """Read and validate a claims file (see :func:`validate`)."""
    from analysis.limits import read_yaml

    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such claims file")
    return validate(read_yaml(path, what="claims file"), origin=str(path))
