"""Finding checkable numbers in an article and writing a claims-file skeleton.

:func:`find_numbers` splits the text into sentences (lines first, so headings and bullets stay
apart; then at sentence punctuation, keeping abbreviations such as "U.S." whole) and finds
percentages, money, "one of N", durations, ages, dates, counts in digits and spelled counts
("three critical gaps"). It skips what only looks like a number: footnote marks ``[1]``, form
numbers ``I-134``, list numbering ``1.`` at the start of a line.

:func:`skeleton` writes the claims file: one claim per number (dates become hints for the
``period`` of the other numbers of their sentence; a sentence with only dates gets one claim),
with the sentence as ``text``, the number in ``value``, a guessed ``metric`` and every key the
user must decide set to ``FILL_IN`` with a comment. Loading the skeleton before filling it in
fails with one problem per ``FILL_IN``, so an unfinished skeleton is never checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.claims.model import FILL_IN
from analysis.errors import ParoleError

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan\\.|Feb\\.|Mar\\.|Apr\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\.")
_SPELLED = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
            "dozen": 12}
_SMALL = {"one": 1, **_SPELLED}
_SMALL_RE = "|".join(sorted(_SMALL, key=len, reverse=True))
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_HYPHEN = "[-\u2010\u2011\u2012\u2013]"
_UNIT = {"hour": "hours", "day": "days", "week": "weeks", "month": "months", "year": "years"}

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("skip", re.compile(r"\[\d+\]")),  # footnote marks
    ("skip", re.compile(rf"\b[A-Z]{{1,2}}{_HYPHEN}\d+[A-Z]?\b")),  # form numbers: I-134, N-400
    ("money", re.compile(rf"\$\s?(?P<n>{_NUM})(?:\s?(?P<scale>thousand|million|billion))?",
                         re.I)),
    ("percent", re.compile(rf"(?P<n>{_NUM})\s?(?:%|percent\b|per cent\b)", re.I)),
    ("one-of", re.compile(rf"\bone of (?P<n>{_NUM})\b", re.I)),
    ("age", re.compile(rf"\b(?P<n>{_NUM}|{_SMALL_RE}){_HYPHEN}year{_HYPHEN}old\b", re.I)),
    ("duration", re.compile(
        rf"\b(?P<n>{_NUM}|{_SMALL_RE})(?:\s|{_HYPHEN})(?P<unit>hour|day|week|month|year)s?\b",
        re.I)),
    ("date", re.compile(rf"\b(?:{_MONTHS})(?:\s+\d{{1,2}},)?\s+(?:19|20)\d{{2}}\b")),
    ("date", re.compile(rf"\b(?:last|this|next|in|since|until|by)\s+(?:{_MONTHS})\b")),
    ("date", re.compile(r"\b(?:this|last|next) (?:fiscal |calendar )?year\b", re.I)),
    ("date", re.compile(r"\b(?:FY\s?)?(?:19|20)\d{2}\b")),
    ("count", re.compile(rf"(?<![\w.,$-])(?P<n>{_NUM})(?:\s(?P<scale>thousand|million|"
                         r"billion))?(?![\w%-]|\.\d)")),
    ("count", re.compile(rf"\b(?P<n>{'|'.join(_SPELLED)})\s+(?=[a-z])", re.I)),
]

_ABBREVIATIONS = re.compile(r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|e\.g|i\.e|"
                            r"Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|Gov|Sen|Rep)\.)$")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")


@dataclass(frozen=True)
class Found:
    """One number in one sentence."""

    sentence: str
    kind: str  # percent, money, one-of, age, duration, date, count
    match: str  # the text as written
    value: float | None  # parsed (percent as a fraction, money in dollars); None for dates
    unit: str | None = None

    @property
    def metric(self) -> str | None:
        return {"percent": "share", "money": "amount", "one-of": "count", "count": "count",
                "duration": "duration"}.get(self.kind)


def sentences(text: str) -> list[str]:
    """Split text into sentences: each line on its own, then at . ! ? followed by a capital."""
    out: list[str] = []
    for line in text.splitlines():
        line = _LIST_NUMBER.sub("", line.strip().lstrip("\u2022*- ").strip())
        if not line:
            continue
        # a full stop glued to the next sentence ("bottlenecks.Keep")
        line = re.sub(r"(?<=[a-z]{3})\.(?=[A-Z][a-z])", ". ", line)
        parts = re.split(r"(?<=[.!?])\s+(?=[\"“'(\[]?[A-Z0-9$])", line)
        buffer = ""
        for part in parts:
            buffer = f"{buffer} {part}".strip() if buffer else part
            if _ABBREVIATIONS.search(buffer):
                continue
            out.append(buffer)
            buffer = ""
        if buffer:
            out.append(buffer)
    return out


def _number(text: str) -> float:
    key = text.lower()
    if key in _SMALL:
        return float(_SMALL[key])
    return float(text.replace(",", ""))


def _found_in(sentence: str) -> list[Found]:
    taken: list[tuple[int, int]] = []
    hits: list[tuple[int, Found]] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(sentence):
            if any(m.start() < end and m.end() > start for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            if kind == "skip":
                continue
            value: float | None = None
            unit = None
            if "n" in pattern.groupindex and m.group("n"):
                value = _number(m.group("n"))
                scale = m.groupdict().get("scale")
                if scale:
                    value *= _SCALE[scale.lower()]
            if kind == "percent" and value is not None:
                value = round(value / 100, 10)
            if kind == "duration":
                unit = _UNIT[m.group("unit").lower()]
            if kind == "age":
                unit = "years"
            hits.append((m.start(), Found(sentence, kind, m.group(0).strip(), value, unit)))
    return [found for _, found in sorted(hits, key=lambda h: h[0])]


def find_numbers(text: str) -> list[Found]:
    """Every checkable number in ``text``, in reading order."""
    return [found for sentence in sentences(text) for found in _found_in(sentence)]


# --------------------------------------------------------------------------- skeleton


_HINTS = {
    "category": "e.g. humanitarian-parole, parole-in-place, uc-released-to-sponsors, "
                "program-parole",
    "measure": "e.g. received, approved, denied, pending, released, typical_duration",
    "geo": "US, a state (CA), a county FIPS (06029), a USCIS office (CSC) or a region name",
    "whole_geo": "the denominator's geography (share only), e.g. US",
    "period": "FY2023, FY2023-Q2, 2023-05, or a range 2022-01/2025-11",
}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _claim_lines(index: int, sentence: str, number: Found | None, dates: list[Found],
                 found_text: str) -> list[str]:
    lines = [f"  - id: claim-{index:02d}", f"    text: {_q(sentence)}",
             f"    # found in this sentence: {found_text}"]
    metric = number.metric if number else None
    if metric:
        lines.append(f"    metric: {metric}    # guessed from {_q(number.match)}; check it")
    else:
        lines.append(f"    metric: {FILL_IN}    # count | share | rate | change | comparison | "
                     "duration | amount")
    if number is not None and number.value is not None and number.kind != "age":
        value = f"{number.value:g}" if number.value < 1e15 else repr(number.value)
        lines.append(f"    value: {value}    # parsed from {_q(number.match)}")
    else:
        lines.append(f"    value: {FILL_IN}    # the claimed figure (shares as fractions)")
    lines.append("    comparator: about    # about | more-than | less-than | at-least | at-most")
    if number is not None and number.unit and metric == "duration":
        lines.append(f"    unit: {number.unit}")
    for key in ("category", "measure", "geo"):
        lines.append(f"    {key}: {FILL_IN}    # {_HINTS[key]}")
    if metric == "share":
        lines.append(f"    whole_geo: {FILL_IN}    # {_HINTS['whole_geo']}")
    hint = _HINTS["period"]
    if dates:
        hint = "dates in the sentence: " + ", ".join(_q(d.match) for d in dates) + "; " + hint
    lines.append(f"    period: {FILL_IN}    # {hint}")
    lines.append("    # if the number is not a statistic about parole data, replace the keys "
                 "you cannot fill")
    lines.append("    # with the claim's best guess and add  out_of_scope: \"why\"")
    return lines


def skeleton(text: str, *, article: str = "article") -> str:
    """A claims-file skeleton (YAML text) for every number found in ``text``."""
    header = [
        f"# Claims skeleton written by `parole claims extract` from {article}.",
        f"# Replace every {FILL_IN} (see docs/claims.md), check each guessed metric and value,",
        "# delete claims that are not worth checking, then run `parole check` on this file.",
        f"# A file that still holds {FILL_IN} is refused with one line per key to fill.",
        f"title: {_q('Claims extracted from ' + article)}",
        f"article: {_q(article)}",
        "claims:",
    ]
    lines: list[str] = []
    index = 0
    for sentence in sentences(text):
        found = _found_in(sentence)
        if not found:
            continue
        dates = [f for f in found if f.kind == "date"]
        numbers = [f for f in found if f.kind != "date"]
        found_text = "; ".join(f"{_q(f.match)} ({f.kind})" for f in found)
        for number in numbers or [None]:
            index += 1
            lines += _claim_lines(index, sentence, number, dates, found_text)
    if not index:
        raise ParoleError(f"{article}: no checkable numbers found")
    return "\n".join(header + lines) + "\n"


def read_article(path: Path | str) -> str:
    """An article's text (UTF-8), or one clear error."""
    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such article file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ParoleError(f"{path}: not UTF-8 text") from None


def extract_file(path: Path | str) -> str:
    return skeleton(read_article(path), article=Path(path).name)
