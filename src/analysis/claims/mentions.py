"""Every number a sentence states, with its kind and place in the sentence.

Digits and their forms come from :data:`analysis.claims.extract.PATTERNS`; spelled-out
numbers ("Sixty-four percent", "twenty thousand") are read by ``number-parser``; ranks
("the seventh greatest number", "ninth most", "second-largest") and multiples ("tripled" = 3,
"nearly four-fold" = 4, "halved" = 0.5) are figures too. Incidental numbers are not claims:
days of months ("June 2"), ages ("age 18", "under 18"), "top 10", list numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.claims.extract import PATTERNS, Found

WORD_NUMBERS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|thousand|million|billion")
SPELLED = re.compile(rf"\b(?:(?:{WORD_NUMBERS})(?:[\s-]+(?:and\s+)?)?)+\b", re.I)
ORDINAL = re.compile(
    r"\b(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
    r"twelfth|\d{1,2}(?:st|nd|rd|th))[- ](?:(?:greatest|largest|highest|biggest|most)\b|"
    r"(?:most|largest|greatest|highest)\s+number)", re.I)
MULTIPLE = re.compile(
    r"\b(?:(?P<word>doubled|tripled|trebled|quadrupled|halved)|(?P<n>\d+(?:\.\d+)?|two|three|"
    r"four|five|six|seven|eight|nine|ten)[\s-]?fold)\b", re.I)
MULTIPLE_WORDS = {"doubled": 2.0, "tripled": 3.0, "trebled": 3.0, "quadrupled": 4.0,
                  "halved": 0.5}
INCIDENTAL_BEFORE = re.compile(
    r"(?:\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?|\bages?d?|\bunder(?:\s+the\s+"
    r"age\s+of)?|\bover\s+the\s+age\s+of|\btop|\bNo\.|\bnumber|\bSection|\bTitle|\bphase|"
    r"\bstep|\bchapter|\bCOVID-)\s*$", re.I)
INCIDENTAL_AFTER = re.compile(r"^\s*(?:-?\s*years?\s+old|-?\s*year-olds?|a\.m\.|p\.m\.|"
                              r"(?:st|nd|rd|th)\b)", re.I)


@dataclass(frozen=True)
class Mention:
    kind: str  # count, percent, money, duration, one-of, rank, multiple
    value: float
    words: str
    span: tuple[int, int]
    unit: str | None = None

    def found(self, sentence: str) -> Found:
        return Found(sentence, self.kind, self.words, self.value, self.unit)


def _parse_words(words: str) -> float | None:
    from number_parser import parse_number  # noqa: PLC0415 - light, loaded when needed

    value = parse_number(words.strip(" -").lower())
    return float(value) if value is not None else None


def _digit_mentions(sentence: str) -> list[Mention]:
    taken: list[tuple[int, int]] = []
    out: list[Mention] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(sentence):
            if any(m.start() < e and m.end() > s for s, e in taken):
                continue
            taken.append(m.span())
            if kind in ("skip", "date", "age") or "n" not in pattern.groupindex:
                continue
            found = _value(kind, m)
            if found is not None:
                out.append(Mention(kind, found[0], m.group(0).strip(), m.span(), found[1]))
    return out


def _value(kind: str, m: re.Match[str]) -> tuple[float, str | None] | None:
    text = m.group("n")
    if not text:
        return None
    if not re.match(r"\d", text):
        if kind not in ("duration", "percent"):
            return None  # spelled counts are read by _spelled_mentions
        value = _parse_words(text)
        if value is None:
            return None
    else:
        value = float(text.replace(",", ""))
    scale = m.groupdict().get("scale")
    if scale:
        value *= {"thousand": 1e3, "million": 1e6, "billion": 1e9}[scale.lower()]
    if kind == "percent":
        return round(value / 100, 10), None
    if kind == "duration":
        return value, m.group("unit").lower() + "s"
    return value, None


def _spelled_mentions(sentence: str, taken: list[tuple[int, int]]) -> list[Mention]:
    out = []
    for m in SPELLED.finditer(sentence):
        if any(m.start() < e and m.end() > s for s, e in taken):
            continue
        value = _parse_words(m.group(0))
        if value is None:
            continue
        rest = sentence[m.end():]
        pct = re.match(r"\s*(?:%|percent\b|per\s+cent\b)", rest, re.I)
        unit = re.match(r"[\s-]*(?P<u>hour|day|week|month|year)s?\b", rest, re.I)
        if pct:
            out.append(Mention("percent", round(value / 100, 10), m.group(0) + pct.group(0),
                               (m.start(), m.end() + pct.end())))
        elif unit:
            out.append(Mention("duration", value, m.group(0) + unit.group(0),
                               (m.start(), m.end() + unit.end()), unit["u"].lower() + "s"))
        elif value >= 20 and not re.match(r"\s*(?:in|out\s+of|of\s+every)\s", rest, re.I):
            out.append(Mention("count", value, m.group(0).strip(), m.span()))
    return out


def _ranks_and_multiples(sentence: str) -> list[Mention]:
    from number_parser import parse_ordinal  # noqa: PLC0415

    out = []
    for m in ORDINAL.finditer(sentence):
        word = m["ord"].lower()
        value = int(re.sub(r"\D", "", word)) if word[0].isdigit() else parse_ordinal(word)
        if value:
            out.append(Mention("rank", float(value), m.group(0), m.span()))
    for m in MULTIPLE.finditer(sentence):
        if m["word"]:
            value = MULTIPLE_WORDS[m["word"].lower()]
        else:
            value = _parse_words(m["n"]) if not m["n"][0].isdigit() else float(m["n"])
        if value:
            out.append(Mention("multiple", float(value), m.group(0), m.span()))
    return out


def incidental(sentence: str, span: tuple[int, int]) -> bool:
    """A day of a month, an age, "top 10", a section number: not a figure to check."""
    return bool(INCIDENTAL_BEFORE.search(sentence[max(0, span[0] - 30):span[0]])
                or INCIDENTAL_AFTER.match(sentence[span[1]:span[1] + 12]))


def mentions(sentence: str, skip: list[tuple[int, int]] = ()) -> list[Mention]:
    """The figures of a sentence in reading order; numbers inside ``skip`` (period words) and
    incidental numbers are left out."""
    found = [m for m in _digit_mentions(sentence) if not incidental(sentence, m.span)]
    special = _ranks_and_multiples(sentence)
    taken = [m.span for m in found + special] + list(skip)
    found += _spelled_mentions(sentence, taken)
    found = [m for m in found if not any(m.span[0] < e and m.span[1] > s for s, e in skip)]
    found = [m for m in found if not any(s.span[0] <= m.span[0] < s.span[1] for s in special)]
    return sorted(found + special, key=lambda m: m.span[0])
