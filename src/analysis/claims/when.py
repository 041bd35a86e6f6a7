"""Periods as reporters write them, to period labels the checker reads.

Single periods ("fiscal 2019", "the third quarter of fiscal 2025", "March 2023", "calendar year
2022", "at the end of March 2023"), ranges summed for flows ("between January and August
2023", "from October 2022 through February 2024", "the first half of 2023", "between the first
and third quarters of fiscal 2025", "fiscal year 2016 (October 2015 to September 2016)"),
relative periods resolved against the article's date ("last fiscal year", "this year",
"since July 2021"), and windows no table publishes (year to date without an end month, "a
typical year", "in recent weeks"), which the checker answers as not-checkable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from analysis.contract import periods

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
            "4th": 4}
MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
               "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})
MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
         r"December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|"
         r"Dec\.?)")
FY = r"(?:fiscal(?:\s+year)?|FY)\s*'?(?P<fy>\d{4}|\d{2})\b"
QWORD = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"
LINK = r"\s*(?:to|through|thru|until|till|and|-|\u2013|\u2014)\s*"


@dataclass(frozen=True)
class PeriodHit:
    label: str  # a period label, a range A/B, or an ISO date for "as of"
    kind: str
    span: tuple[int, int]
    words: str
    window: str | None = None  # a window no table publishes (checked as not-checkable)


def _fy(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _month(text: str) -> int:
    return MONTHS[text.lower().rstrip(".")]


def _ym(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _fy_of(day: date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


# --------------------------------------------------------------------------- the rules
# Each rule: (kind, pattern, function(match, ctx) -> label or (label, window) or None).


def _r_fy_paren(m, ctx):
    fy = _fy(m["fy"])
    first = (int(m["y1"]), _month(m["m1"]))
    last = (int(m["y2"]), _month(m["m2"]))
    if first == (fy - 1, 10) and last == (fy, 9):
        return f"FY{fy}"
    return f"{_ym(*first)}/{_ym(*last)}"


def _r_month_range(m, ctx):
    y2 = int(m["y2"])
    y1 = int(m["y1"]) if m["y1"] else y2
    return f"{_ym(y1, _month(m['m1']))}/{_ym(y2, _month(m['m2']))}"


def _r_quarter_range(m, ctx):
    fy = _fy(m["fy"])
    q1, q2 = ORDINALS[m["q1"].lower()], ORDINALS[m["q2"].lower()]
    return f"FY{fy}-Q{q1}/FY{fy}-Q{q2}"


def _r_half(m, ctx):
    first = m["h"].lower() in ("first", "1st")
    if m["fy"]:
        fy = _fy(m["fy"])
        return f"FY{fy}-Q1/FY{fy}-Q2" if first else f"FY{fy}-Q3/FY{fy}-Q4"
    year = int(m["y"])
    return f"{year}-01/{year}-06" if first else f"{year}-07/{year}-12"


def _r_fy_quarter(m, ctx):
    q = ORDINALS.get(m["q"].lower()) or int(m["q"])
    return f"FY{_fy(m['fy'])}-Q{q}"


def _r_as_of(m, ctx):
    month, year = _month(m["m"]), int(m["y"])
    day = int(m["d"]) if m.groupdict().get("d") else periods.month(year, month).end.day
    return date(year, month, day).isoformat()


def _r_fy(m, ctx):
    return f"FY{_fy(m['fy'])}"


def _r_month(m, ctx):
    return _ym(int(m["y"]), _month(m["m"]))


def _r_year(m, ctx):
    return m["y"] if m["cal"] else f"FY{m['y']}"


def _r_since(m, ctx):
    start = _ym(int(m["y"]), _month(m["m"])) if m["m"] else f"{int(m['y'])}-01"
    if ctx.today is None:
        return None, "since a date up to the article's date, which is not known (give --date)"
    return f"{start}/{ctx.today.isoformat()}", None


def _r_relative_fy(m, ctx):
    base = ctx.fiscal_year
    if base is None:
        return None, "a fiscal year relative to the article's date, which is not known " \
                     "(give --date)"
    shift = {"this": 0, "current": 0, "last": -1, "previous": -1, "prior": -1, "next": 1}
    return f"FY{base + shift[m['which'].lower()]}", None


def _r_relative_year(m, ctx):
    if ctx.today is None:
        return None, "a year relative to the article's date, which is not known (give --date)"
    shift = {"this": 0, "last": -1, "previous": -1, "past": -1}[m["which"].lower()]
    return str(ctx.today.year + shift), None


RULES: list[tuple[str, re.Pattern[str], object]] = [
    ("range", re.compile(rf"\b{FY}\s*\(\s*(?:from\s+)?(?P<m1>{MONTH})\s+(?P<y1>\d{{4}}){LINK}"
                         rf"(?P<m2>{MONTH})\s+(?P<y2>\d{{4}})\s*\)", re.I), _r_fy_paren),
    ("range", re.compile(rf"\b(?:between\s+|from\s+)?(?P<m1>{MONTH})(?:\s+(?P<y1>\d{{4}}))?"
                         rf"{LINK}(?P<m2>{MONTH})\s+(?P<y2>\d{{4}})\b", re.I), _r_month_range),
    ("range", re.compile(rf"\b(?:between|from)\s+the\s+(?P<q1>{QWORD})(?:\s+quarter)?{LINK}"
                         rf"(?:the\s+)?(?P<q2>{QWORD})\s+(?:fiscal\s+)?quarters?\s+of\s+"
                         rf"(?:the\s+)?{FY}", re.I), _r_quarter_range),
    ("range", re.compile(rf"\b(?:the\s+)?(?P<h>first|second|1st|2nd)\s+half\s+of\s+(?:the\s+)?"
                         rf"(?:{FY}|(?:calendar\s+(?:year\s+)?)?(?P<y>(?:19|20)\d{{2}}))", re.I),
     _r_half),
    ("fy-quarter", re.compile(rf"\b(?:the\s+)?(?P<q>{QWORD})\s+(?:fiscal\s+)?quarter\s+of\s+"
                              rf"(?:the\s+)?{FY}", re.I), _r_fy_quarter),
    ("fy-quarter", re.compile(rf"\bQ(?P<q>[1-4])\s*(?:of\s+)?{FY}", re.I), _r_fy_quarter),
    ("fy-quarter", re.compile(r"\bFY\s*'?(?P<fy>\d{4}|\d{2})\s*[-,/ ]?\s*Q(?P<q>[1-4])\b",
                              re.I), _r_fy_quarter),
    ("as-of", re.compile(rf"\b(?:at\s+|by\s+|as\s+of\s+)?the\s+end\s+of\s+(?P<m>{MONTH})\s+"
                         rf"(?P<y>\d{{4}})\b", re.I), _r_as_of),
    ("as-of", re.compile(rf"\b(?:as\s+of|on|by|through)\s+(?P<m>{MONTH})\s+(?P<d>\d{{1,2}}),?"
                         rf"\s+(?P<y>\d{{4}})\b", re.I), _r_as_of),
    ("since", re.compile(rf"\bsince\s+(?:(?P<m>{MONTH})\s+)?(?P<y>(?:19|20)\d{{2}})\b", re.I),
     _r_since),
    ("fy", re.compile(rf"\b{FY}", re.I), _r_fy),
    ("relative", re.compile(r"\b(?P<which>this|current|last|previous|prior|next)\s+fiscal"
                            r"(?:\s+year)?\b", re.I), _r_relative_fy),
    ("relative", re.compile(r"\b(?P<which>this|last|previous|past)\s+(?:calendar\s+)?year\b",
                            re.I), _r_relative_year),
    ("month", re.compile(rf"\b(?P<m>{MONTH})\s+(?P<y>\d{{4}})\b", re.I), _r_month),
    ("year", re.compile(r"\b(?P<cal>calendar\s+(?:year\s+)?)?(?P<y>(?:19|20)\d{2})\b", re.I),
     _r_year),
]
YTD = re.compile(r"\b(?:so\s+far|to\s+date|year[- ]to[- ]date|thus\s+far|YTD)\b", re.I)
YTD_END = re.compile(rf"\bthrough\s+(?:the\s+end\s+of\s+)?(?P<m>{MONTH})\b(?!\s+\d)", re.I)
TYPICAL = re.compile(r"\b(?:typically|on\s+average|an\s+average\s+of|annually|each\s+year|"
                     r"every\s+year|per\s+year|a\s+year\b(?!\s+(?:ago|earlier|later|before))|"
                     r"usually|in\s+a\s+typical\s+year)", re.I)
VAGUE = re.compile(r"\b(?:in\s+recent\s+(?:weeks|months|days)|recently|this\s+week|"
                   r"since\s+the\s+(?!\w+\s+(?:of\s+)?(?:19|20)\d{2})[\w.\s-]{3,40}?(?:withdrawal|"
                   r"fall|start|beginning|launch|takeover|evacuation|pandemic))\b", re.I)
FY_ANCHOR = re.compile(r"\bfiscal\s+year\b[^.]{0,40}?\b(?:started|began|starting|beginning)\s+"
                       rf"(?:on\s+)?(?P<m>{MONTH})\s+\d{{1,2}},?\s+(?P<y>\d{{4}})", re.I)


@dataclass(frozen=True)
class When:
    """What relative periods are resolved against."""

    today: date | None = None
    fiscal_year: int | None = None

    @classmethod
    def of(cls, today: date | None) -> When:
        return cls(today, _fy_of(today) if today else None)

    def anchored(self, text: str) -> When:
        """A fiscal year named by its start in the text ("this fiscal year, which started on
        October 1, 2015") is the current fiscal year of the sentences around it."""
        m = FY_ANCHOR.search(text)
        if not m:
            return self
        return replace(self, fiscal_year=_fy_of(date(int(m["y"]), _month(m["m"]), 1)))


def _label_of(kind, m, fn, ctx) -> PeriodHit | None:
    out = fn(m, ctx)
    label, window = out if isinstance(out, tuple) else (out, None)
    if label is None and window is None:
        return None
    if label is None:  # relative to a date that is not known: the claim needs it
        kind = "needs-date"
    return PeriodHit(label or "", kind, (m.start(), m.end()), m.group(0).strip(), window)


def _overlaps(span, taken) -> bool:
    return any(span[0] < end and span[1] > start for start, end in taken)


def find_periods(sentence: str, ctx: When | None = None) -> list[PeriodHit]:
    """Every period of a sentence, in reading order."""
    ctx = (ctx or When()).anchored(sentence)
    hits: list[PeriodHit] = []
    anchor = FY_ANCHOR.search(sentence)  # the date a fiscal year began is not a period
    taken: list[tuple[int, int]] = [(anchor.start("m"), anchor.end())] if anchor else []
    for kind, pattern, fn in RULES:
        for m in pattern.finditer(sentence):
            if _overlaps((m.start(), m.end()), taken):
                continue
            if kind == "year" and re.search(r"\d[-\u2013]\s*$", sentence[:m.start()]):
                continue
            hit = _label_of(kind, m, fn, ctx)
            if hit is not None:
                taken.append(hit.span)
                hits.append(hit)
    hits = _year_to_date(sentence, sorted(hits, key=lambda h: h.span[0]), ctx)
    return hits


def _year_to_date(sentence: str, hits: list[PeriodHit], ctx: When) -> list[PeriodHit]:
    """"So far this fiscal year ... through April" is the fiscal year's first months; "so far
    in FY2018" without an end month is a window no table publishes."""
    ytd = YTD.search(sentence)
    if not ytd:
        return hits
    out = []
    for hit in hits:
        fiscal = re.fullmatch(r"FY(\d{4})", hit.label)
        near = abs(hit.span[0] - ytd.start()) < 80
        if not fiscal or not near or "last" in hit.words.lower():
            out.append(hit)
            continue
        fy = int(fiscal[1])
        end = YTD_END.search(sentence)
        if end:
            month = _month(end["m"])
            year = fy - 1 if month >= 10 else fy
            out.append(replace(hit, label=f"{fy - 1}-10/{_ym(year, month)}", kind="range",
                               words=f"{hit.words} ... {end.group(0)}",
                               span=(hit.span[0], max(hit.span[1], end.end()))))
        else:
            out.append(replace(hit, window=f"fiscal {fy} to date (an unstated part of the "
                                           "year)", words=f"{ytd.group(0)} ... {hit.words}"))
    return out


def typical_window(sentence: str) -> str | None:
    """"typically ... annually", "an average of": a typical year, which no table publishes."""
    m = TYPICAL.search(sentence)
    return f"a typical year ('{m.group(0)}'), not a published period" if m else None


def vague_window(sentence: str) -> str | None:
    m = VAGUE.search(sentence)
    return f"an unstated window ('{m.group(0)}')" if m else None
