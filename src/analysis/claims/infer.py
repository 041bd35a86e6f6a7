"""From a reporter's sentence to a claim: rule-based, explainable inference of every key.

:func:`infer_text` reads an article (plain text or Markdown), finds each sentence that carries a
number (:mod:`analysis.claims.extract`) and states a claim for each figure: ``metric``,
``value``, ``comparator``, ``category``, ``measure``, ``geo`` (and ``whole_geo``,
``compare_geo``), ``period`` (and ``period_from``), ``direction`` for changes, ``rank`` claims.
Every key records the words it came from (:attr:`Draft.words`), so a reader can see why; a key
that no rule could fill is listed in :attr:`Draft.missing` with the candidates considered.

The rules are vocabularies of this domain (categories of parole and of the nearest series,
measures, fiscal periods, places, comparators, changes and rankings), tried in a fixed order.
Nothing is guessed silently: a default (a national figure when no place is named, a fiscal
year for a bare year) is recorded with the words ``default: ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analysis.claims.extract import Found, _found_in, sentences
from analysis.contract import geo, periods

# --------------------------------------------------------------------------- vocabularies

#: category slug <- words (first match wins; most specific first)
CATEGORIES: list[tuple[str, re.Pattern[str]]] = [
    ("parole-in-place", re.compile(r"\bparole[- ]in[- ]place\b", re.I)),
    ("advance-parole", re.compile(r"\badvance[- ]parole\b", re.I)),
    ("initial-parole-outside-us", re.compile(r"\binitial parole\b", re.I)),
    ("chnv-parole", re.compile(
        r"\bCHNV\b|\bCuba\w*,?\s+Haiti\w*,?\s+Nicaragua\w*,?\s+(?:and|&)\s+Venezuela\w*", re.I)),
    ("uc-released-to-sponsors", re.compile(
        r"\bunaccompanied\s+(?:migrant\s+|immigrant\s+|alien\s+)?(?:children|minors|kids|"
        r"youths?)\b|\bchildren\s+(?:were\s+)?released\s+to\s+sponsors\b|\bUACs?\b|"
        r"\bUCs\b", re.I)),
    ("humanitarian-parole", re.compile(r"\bhumanitarian[- ]parole\b", re.I)),
]
#: words for parole in general: a category is needed, and these are the candidates
GENERIC_PAROLE = re.compile(r"\bparole\b", re.I)
PAROLE_CANDIDATES = ["humanitarian-parole", "parole-in-place", "advance-parole", "chnv-parole"]

#: measure <- words; outcome words win over the nouns that only name the requests
OUTCOMES: list[tuple[str, re.Pattern[str]]] = [
    ("approved", re.compile(r"\b(?:approv\w*|granted|grants?|accepted)\b", re.I)),
    ("denied", re.compile(r"\b(?:denied|denials?|deny|denying|rejected|rejections?|"
                          r"turned\s+down)\b", re.I)),
    ("pending", re.compile(r"\b(?:pending|backlog\w*|await\w*|waiting|unresolved|"
                           r"undecided)\b", re.I)),
    ("released", re.compile(r"\b(?:released|releases?|placed\s+with\s+sponsors|"
                            r"discharged|took\s+in|received\s+\S*\s*children)\b", re.I)),
    ("paroled", re.compile(r"\b(?:paroled|paroles|parolees|admitted|arrived|arrivals?|"
                           r"entered)\b", re.I)),
]
RECEIVED = re.compile(r"\b(?:receiv\w*|filed|filings?|submitted|submissions?|requests?|"
                      r"requested|applications?|applied|petitions?|sought|new\s+cases)\b", re.I)
#: the measure each category is published with when the words name none
DEFAULT_MEASURE = {"uc-released-to-sponsors": "released", "chnv-parole": "paroled"}

COMPARATORS: list[tuple[str, re.Pattern[str]]] = [
    ("at-least", re.compile(r"\b(?:at\s+least|no\s+fewer\s+than|no\s+less\s+than|"
                            r"a\s+minimum\s+of)\s*$", re.I)),
    ("at-most", re.compile(r"\b(?:at\s+most|no\s+more\s+than|up\s+to|a\s+maximum\s+of)\s*$",
                           re.I)),
    ("more-than", re.compile(r"\b(?:more\s+than|over|above|upwards\s+of|in\s+excess\s+of|"
                             r"topped|exceeded|exceeding|surpassed|beyond|greater\s+than)\s*$",
                             re.I)),
    ("less-than", re.compile(r"\b(?:fewer\s+than|less\s+than|under|below|short\s+of|"
                             r"lower\s+than)\s*$", re.I)),
    ("about", re.compile(r"\b(?:about|around|roughly|approximately|nearly|almost|some|"
                         r"close\s+to|an\s+estimated|estimated|just\s+over|just\s+under|"
                         r"more\s+or\s+less|~)\s*$", re.I)),
]

RISE = re.compile(r"\b(?:rose|risen|rise|rising|increas\w*|grew|grown|grow\w*|jump\w*|climb\w*|"
                  r"soar\w*|surg\w*|up|more\s+than\s+doubled|doubl\w*|tripl\w*|quadrupl\w*)\b",
                  re.I)
FALL = re.compile(r"\b(?:fell|fallen|fall\w*|drop\w*|declin\w*|decreas\w*|shrank|shrunk|"
                  r"plunged?|plummet\w*|sank|down|halved|cut|slid|tumbled?)\b", re.I)
MULTIPLES = {"doubled": 1.0, "tripled": 2.0, "quadrupled": 3.0, "halved": 0.5}
#: tolerance of a round multiple ("doubled": a rise of 100% +- 10 points)
MULTIPLE_TOLERANCE = 0.10
#: tolerance of a verbal fraction ("nine in ten", "nearly half": +- 5 points)
VERBAL_TOLERANCE = 0.05
HALF_WORDS = {"half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "a quarter": 0.25,
              "one quarter": 0.25, "two thirds": 2 / 3, "two-thirds": 2 / 3,
              "three quarters": 0.75, "three-quarters": 0.75, "a fifth": 0.2,
              "a tenth": 0.1}

_SPELLED = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "twenty": 20, "hundred": 100}
_FRACTION = re.compile(
    r"\b(?P<a>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:in|out\s+of|of\s+every)"
    r"\s+(?P<b>\d+|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred)\b", re.I)

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2,
            "3rd": 3, "4th": 4, "5th": 5}
RANK = re.compile(
    r"\b(?:(?P<any>(?:more|fewer|less)\s+(?:[\w-]+\s+){0,5}?than\s+any\s+other\s+(?P<level>state|county|counties|"
    r"office))|(?:(?P<ord>second|third|fourth|fifth|2nd|3rd|4th|5th)[- ](?:largest|"
    r"most|highest|biggest|greatest))|(?P<most>the\s+(?:most|largest\s+number|largest\s+share|"
    r"highest\s+number|biggest\s+number)))\b", re.I)

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})
_MONTH_RE = r"(?P<month>January|February|March|April|May|June|July|August|September|October|" \
            r"November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|" \
            r"Oct\.?|Nov\.?|Dec\.?)"
_FY = r"(?:fiscal(?:\s+year)?|FY)\s*'?(?P<fy>\d{4}|\d{2})\b"
PERIODS: list[tuple[str, re.Pattern[str]]] = [
    ("fy-quarter", re.compile(
        r"\b(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?"
        rf"quarter\s+of\s+(?:the\s+)?{_FY}", re.I)),
    ("fy-quarter", re.compile(rf"\bQ(?P<q>[1-4])\s*(?:of\s+)?{_FY}", re.I)),
    ("fy-quarter", re.compile(r"\bFY\s*'?(?P<fy>\d{4}|\d{2})\s*[-,/ ]?\s*Q(?P<q>[1-4])\b",
                              re.I)),
    ("as-of", re.compile(rf"\b(?:at\s+)?the\s+end\s+of\s+{_MONTH_RE}\s+(?P<y>\d{{4}})\b",
                         re.I)),
    ("as-of", re.compile(rf"\b(?:as\s+of|on|by)\s+{_MONTH_RE}\s+(?P<d>\d{{1,2}}),?\s+"
                         r"(?P<y>\d{4})\b", re.I)),
    ("fy", re.compile(rf"\b{_FY}", re.I)),
    ("month", re.compile(rf"\b{_MONTH_RE}\s+(?P<y>\d{{4}})\b", re.I)),
    ("year", re.compile(r"\b(?P<cal>calendar\s+(?:year\s+)?)?(?P<y>(?:19|20)\d{2})\b", re.I)),
]
RANGE_WORDS = re.compile(r"\b(?:from|between|since|compared\s+(?:with|to)|than\s+in|"
                         r"versus|vs\.?)\b", re.I)

NATION = re.compile(r"\b(?:nationwide|nationally|national(?:ly)?|across\s+the\s+(?:country|"
                    r"nation|U\.?S\.?)|the\s+United\s+States|the\s+U\.S\.|in\s+the\s+U\.?S\.?|"
                    r"the\s+country|the\s+nation|all\s+states|America)\b", re.I)
COUNTY = re.compile(r"\b(?P<name>(?:[A-Z][a-zA-Z.'\u00f1-]+\s+){0,3}?[A-Z][a-zA-Z.'\u00f1-]+)\s+"
                    r"County(?:,\s*(?P<state>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))?")
SHARE_WORDS = re.compile(r"\b(?:of\s+(?:all|the)\b|share|portion|proportion|percent\s+of|"
                         r"%\s+of|of\s+the\s+(?:nation|country)'?s?|of\s+(?:every|each))", re.I)
RATE_WORDS = re.compile(r"\b(?:decisions?|decided|adjudicat\w*|denial\s+rate|approval\s+rate|"
                        r"grant\s+rate|rejection\s+rate)\b", re.I)


# --------------------------------------------------------------------------- the draft


@dataclass
class Draft:
    """A claim inferred from one sentence: keys with the words each came from."""

    sentence: str
    values: dict[str, Any] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def set(self, key: str, value: Any, words: str) -> None:
        self.values[key] = value
        self.words[key] = words

    def need(self, key: str, candidates: list[str] | None = None, why: str = "") -> None:
        if key not in self.missing:
            self.missing.append(key)
        if candidates:
            self.candidates[key] = candidates
        if why:
            self.notes.append(f"{key}: {why}")

    @property
    def complete(self) -> bool:
        return not self.missing

    def claim(self, claim_id: str) -> dict[str, Any]:
        """The claim as a claims-file mapping (missing keys left out)."""
        return {"id": claim_id, "text": self.sentence, **self.values}


def _span(m: re.Match[str]) -> tuple[int, int]:
    return m.start(), m.end()


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    if a[1] <= b[0]:
        return b[0] - a[1]
    if b[1] <= a[0]:
        return a[0] - b[1]
    return 0


def _nearest(hits: list[tuple[Any, tuple[int, int], str]], at: tuple[int, int]):
    """The hit nearest to ``at`` (ties: the one after it, as in "2,328 requests")."""
    if not hits:
        return None
    return min(hits, key=lambda h: (_distance(h[1], at), 0 if h[1][0] >= at[1] else 1))


# --------------------------------------------------------------------------- periods


def _fy(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


@dataclass(frozen=True)
class PeriodHit:
    label: str  # a period label, a year, or an ISO date for "as of"
    kind: str
    span: tuple[int, int]
    words: str


QUARTER_PAIR = re.compile(
    r"\b(?:from\s+|between\s+)?the\s+(?P<q1>first|second|third|fourth)(?:\s+quarter)?\s+"
    r"(?:to|and)\s+the\s+(?P<q2>first|second|third|fourth)\s+(?:fiscal\s+)?quarters?\s+of\s+"
    rf"(?:the\s+)?{_FY}", re.I)


def find_periods(sentence: str) -> list[PeriodHit]:
    taken: list[tuple[int, int]] = []
    hits: list[PeriodHit] = []
    for m in QUARTER_PAIR.finditer(sentence):  # "from the second to the third quarter of FY23"
        fy = _fy(m["fy"])
        cut = m.start("q2")
        hits.append(PeriodHit(f"FY{fy}-Q{ORDINALS[m['q1'].lower()]}", "fy-quarter",
                              (m.start(), cut), m.group(0)))
        hits.append(PeriodHit(f"FY{fy}-Q{ORDINALS[m['q2'].lower()]}", "fy-quarter",
                              (cut, m.end()), m.group(0)))
        taken.append(_span(m))
    for kind, pattern in PERIODS:
        for m in pattern.finditer(sentence):
            if any(_distance(_span(m), t) == 0 for t in taken):
                continue
            label = None
            if kind == "fy-quarter":
                q = m["q"]
                q = ORDINALS.get(q.lower(), None) or int(q)
                label = f"FY{_fy(m['fy'])}-Q{q}"
            elif kind == "fy":
                label = f"FY{_fy(m['fy'])}"
            elif kind == "as-of":
                month = _MONTHS[m["month"].lower().rstrip(".")]
                year = int(m["y"])
                day = int(m["d"]) if m.groupdict().get("d") else \
                    periods.month(year, month).end.day
                label = date(year, month, day).isoformat()
            elif kind == "month":
                label = f"{int(m['y']):04d}-{_MONTHS[m['month'].lower().rstrip('.')]:02d}"
            elif kind == "year":
                if re.search(r"\d[-\u2013]\s*$", sentence[:m.start()]):
                    continue
                label = m["y"] if m["cal"] else f"FY{m['y']}"
                kind = "calendar-year" if m["cal"] else "bare-year"
            taken.append(_span(m))
            hits.append(PeriodHit(label, kind, _span(m), m.group(0).strip()))
    return sorted(hits, key=lambda h: h.span[0])


def _stock(measure: str | None) -> bool:
    return measure == "pending"


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class PlaceHit:
    code: str
    span: tuple[int, int]
    words: str
    level: str


def _state_patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for s in geo.states(territories=False):
        names = {s.name}
        if s.usps == "DC":
            names |= {"Washington, D.C.", "D.C.", "District of Columbia"}
        for name in names:
            out.append((s.usps, re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")))
    return sorted(out, key=lambda p: -len(p[1].pattern))


_STATES: list[tuple[str, re.Pattern[str]]] | None = None


def find_places(sentence: str) -> list[PlaceHit]:
    global _STATES
    if _STATES is None:
        _STATES = _state_patterns()
    hits: list[PlaceHit] = []
    taken: list[tuple[int, int]] = []
    for m in COUNTY.finditer(sentence):
        name = re.sub(r"^(?:In|At|From|Of|The|And|In\s+the)\s+", "", m["name"]).strip()
        state_text = m["state"]
        fips = None
        if state_text:
            try:
                fips = geo.county_fips(name, state_text)
            except geo.GeographyError:
                fips = None
        if fips is None:
            found = []
            for s in geo.states(territories=False):
                try:
                    found.append(geo.county_fips(name, s.usps))
                except geo.GeographyError:
                    continue
            fips = found[0] if len(found) == 1 else None
        if fips:
            hits.append(PlaceHit(fips, _span(m), m.group(0), "county"))
            taken.append(_span(m))
    for r in geo.regions():
        for label in {r.title.split(" (")[0] if r.title else "", r.name.replace("-", " ")}:
            if not label or len(label) < 5:
                continue
            for m in re.finditer(rf"\b{re.escape(label)}\b", sentence, re.I):
                if any(_distance(_span(m), t) == 0 for t in taken):
                    continue
                hits.append(PlaceHit(r.name, _span(m), m.group(0), "region"))
                taken.append(_span(m))
    for code, pattern in _STATES:
        for m in pattern.finditer(sentence):
            if any(_distance(_span(m), t) == 0 for t in taken):
                continue
            hits.append(PlaceHit(code, _span(m), m.group(0), "state"))
            taken.append(_span(m))
    for m in NATION.finditer(sentence):
        if any(_distance(_span(m), t) == 0 for t in taken):
            continue
        hits.append(PlaceHit("US", _span(m), m.group(0), "nation"))
        taken.append(_span(m))
    return sorted(hits, key=lambda h: h.span[0])


# --------------------------------------------------------------------------- inference


def _comparator(sentence: str, at: tuple[int, int]) -> tuple[str, str] | None:
    before = sentence[max(0, at[0] - 40):at[0]]
    for name, pattern in COMPARATORS:
        m = pattern.search(before)
        if m:
            return name, m.group(0).strip()
    return None


def _category(d: Draft, sentence: str) -> None:
    for slug, pattern in CATEGORIES:
        m = pattern.search(sentence)
        if m:
            d.set("category", slug, m.group(0))
            return
    if GENERIC_PAROLE.search(sentence):
        d.need("category", PAROLE_CANDIDATES, "'parole' alone does not say which kind")
    else:
        d.need("category", [s for s, _ in CATEGORIES], "no category words found")


def _measure(d: Draft, sentence: str, at: tuple[int, int]) -> None:
    hits = [(name, _span(m), m.group(0)) for name, p in OUTCOMES for m in p.finditer(sentence)]
    if d.values.get("category") != "uc-released-to-sponsors":
        hits = [h for h in hits if h[0] != "released"]
    if d.values.get("category") not in ("chnv-parole", None):
        hits = [h for h in hits if h[0] != "paroled"]
    best = _nearest(hits, at)
    if best:
        d.set("measure", best[0], best[2])
        return
    m = RECEIVED.search(sentence)
    if m:
        if d.values.get("category") == "uc-released-to-sponsors":
            d.set("measure", "released", f"{m.group(0)} (children are received by a place "
                                         "when released to sponsors there)")
        else:
            d.set("measure", "received", m.group(0))
        return
    default = DEFAULT_MEASURE.get(d.values.get("category", ""))
    if default:
        d.set("measure", default, f"default: {d.values['category']} is published as "
                                  f"{default}")
        return
    d.need("measure", ["received", "approved", "denied", "pending"], "no measure words found")


TOGETHER = re.compile(r"\b(?:together|combined|between\s+them|in\s+all)\b", re.I)


def _places(d: Draft, places: list[PlaceHit], metric: str) -> None:
    sub = [p for p in places if p.level != "nation"]
    if metric != "comparison" and len(sub) >= 2 and TOGETHER.search(d.sentence) and \
            len({p.level for p in sub}) == 1 and sub[0].level in ("state", "county"):
        d.set("geo", "+".join(p.code for p in sub),
              " + ".join(p.words for p in sub) + f" ({TOGETHER.search(d.sentence).group(0)})")
        return
    if metric == "comparison" and len(sub) >= 2:
        d.set("geo", sub[0].code, sub[0].words)
        d.set("compare_geo", sub[1].code, sub[1].words)
        return
    if sub:
        d.set("geo", sub[0].code, sub[0].words)
        if len(sub) > 1 and metric not in ("share",):
            d.notes.append("other places in the sentence: " + ", ".join(p.words for p in sub[1:]))
        return
    if places:
        d.set("geo", "US", places[0].words)
        return
    d.set("geo", "US", "default: no place named, so the national figure")


def _assign_periods(d: Draft, hits: list[PeriodHit], at: tuple[int, int], metric: str,
                    sentence: str) -> None:
    usable = [h for h in hits]
    if not usable:
        d.need("period", [], "no period named (say e.g. 'in fiscal 2023' or 'FY2023 Q2')")
        return
    if metric in ("change",) or (metric == "comparison" and "compare_geo" not in d.values
                                 and len(usable) >= 2):
        if len(usable) >= 2:
            first, second = usable[0], usable[-1]
            if metric == "change":
                d.set("period_from", _label(first, d), first.words)
                d.set("period", _label(second, d), second.words)
            else:
                d.set("period", _label(first, d), first.words)
                d.set("compare_period", _label(second, d), second.words)
            return
        d.need("period_from" if metric == "change" else "compare_period", [],
               "a change needs two periods (from ... to ...)")
        d.set("period", _label(usable[0], d), usable[0].words)
        return
    best = min(usable, key=lambda h: (_distance(h.span, at), 0 if h.span[0] >= at[1] else 1))
    d.set("period", _label(best, d), best.words)


def _label(hit: PeriodHit, d: Draft) -> str:
    if hit.kind == "bare-year":
        d.notes.append(f"'{hit.words}' read as fiscal year {hit.label} (the publishers count "
                       "in fiscal years, October to September); write 'calendar 2023' for a "
                       "calendar year")
    if hit.kind == "as-of":
        d.notes.append(f"'{hit.words}' is a date: a level such as pending is read for the "
                       "published period ending on or just before it")
    return hit.label


def _fraction_value(sentence: str) -> tuple[float, str, tuple[int, int]] | None:
    m = _FRACTION.search(sentence)
    if m:
        a = _SPELLED.get(m["a"].lower()) or float(m["a"])
        b = _SPELLED.get(m["b"].lower()) or float(m["b"])
        if b and a <= b:
            return a / b, m.group(0), _span(m)
    for words, value in sorted(HALF_WORDS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(rf"\b{re.escape(words)}\b", sentence, re.I)
        if m and not re.match(r"\s+of\s+(?:fiscal|FY|the\s+fiscal)", sentence[m.end():], re.I) \
                and not re.search(r"(first|second|third|fourth)\s*$", sentence[:m.start()], re.I):
            return value, m.group(0), _span(m)
    return None


def _change(sentence: str) -> tuple[str, str] | None:
    """('rise'|'fall', words) when the sentence states a change."""
    for word, _ in MULTIPLES.items():
        m = re.search(rf"\b{word}\b", sentence, re.I)
        if m:
            return ("fall" if word == "halved" else "rise"), m.group(0)
    rise, fall = RISE.search(sentence), FALL.search(sentence)
    if rise and (not fall or rise.start() < fall.start()):
        return "rise", rise.group(0)
    if fall:
        return "fall", fall.group(0)
    return None


def infer_sentence(sentence: str) -> list[Draft]:
    """Every claim a sentence makes (one per figure; rankings and changes may have none)."""
    found = [f for f in _found_in(sentence)]
    numbers = [f for f in found if f.kind not in ("date",)]
    period_hits = find_periods(sentence)
    places = find_places(sentence)
    drafts: list[Draft] = []
    rank = RANK.search(sentence)
    change = _change(sentence)
    fraction = _fraction_value(sentence)

    # period words are not figures: drop numbers inside a period mention
    def in_period(f: Found) -> bool:
        pos = sentence.find(f.match)
        return any(h.span[0] <= pos < h.span[1] for h in period_hits)

    numbers = [f for f in numbers if not in_period(f) and f.kind != "age"]
    times = TIMES.search(sentence)
    if times:
        return [_comparison(sentence, times, places, period_hits)]
    if fraction:  # "nine in ten": the words of a fraction are not counts
        numbers = [f for f in numbers
                   if not fraction[2][0] <= _number_span(sentence, f)[0] < fraction[2][1]]
    if rank and not numbers:
        d = Draft(sentence)
        _category(d, sentence)
        level = (rank["level"] or "state").rstrip("s").replace("countie", "county")
        value = ORDINALS.get((rank["ord"] or "").lower(), 1)
        d.set("metric", "rank", rank.group(0))
        d.set("value", value, rank.group(0))
        d.set("comparator", "about", "default: a rank is exact")
        d.set("among", level, rank.group(0) if rank["level"] else
              "default: ranked among states")
        _measure(d, sentence, _span(rank))
        _places(d, places, "rank")
        if d.values.get("geo") == "US":
            d.need("geo", [], "a ranking needs the place ranked")
        _assign_periods(d, period_hits, _span(rank), "rank", sentence)
        return [d]
    if change and not numbers and (fraction or change[1].lower() in MULTIPLES):
        d = Draft(sentence)
        _category(d, sentence)
        word = change[1].lower()
        d.set("metric", "change", change[1])
        d.set("direction", change[0], change[1])
        if word in MULTIPLES:
            d.set("value", MULTIPLES[word], change[1])
            d.set("tolerance", MULTIPLE_TOLERANCE, f"'{change[1]}' is a round multiple: read as "
                                                   f"within {MULTIPLE_TOLERANCE:.0%}")
            comp = _comparator(sentence, (sentence.lower().find(word), 0))
            d.set("comparator", comp[0] if comp else "about",
                  comp[1] if comp else "default: about")
        else:
            value, words, span = fraction
            d.set("value", value, words)
            comp = _comparator(sentence, span)
            d.set("comparator", comp[0] if comp else "about",
                  comp[1] if comp else "default: about")
        _measure(d, sentence, (0, len(sentence)))
        _places(d, places, "change")
        _assign_periods(d, period_hits, (0, 0), "change", sentence)
        return [d]
    if fraction and not numbers and RATE_WORDS.search(sentence):
        numbers = []
        d = Draft(sentence)
        _category(d, sentence)
        value, words, span = fraction
        _rate_or_share(d, sentence, value, words, span, places, period_hits)
        return [d]
    if fraction and not numbers and (SHARE_WORDS.search(sentence) or places):
        d = Draft(sentence)
        _category(d, sentence)
        value, words, span = fraction
        _rate_or_share(d, sentence, value, words, span, places, period_hits)
        return [d]
    for number in numbers:
        d = Draft(sentence)
        at = _number_span(sentence, number)
        _category(d, sentence)
        if number.kind == "percent":
            if change and _change_near(sentence, at):
                d.set("metric", "change", change[1])
                d.set("direction", change[0], change[1])
                d.set("value", number.value, number.match)
                comp = _comparator(sentence, at)
                d.set("comparator", comp[0] if comp else "about",
                      comp[1] if comp else "default: about")
                _measure(d, sentence, at)
                _places(d, places, "change")
                _assign_periods(d, period_hits, at, "change", sentence)
            else:
                _rate_or_share(d, sentence, number.value, number.match, at, places, period_hits)
        elif number.kind in ("count", "one-of"):
            d.set("metric", "count", number.match)
            d.set("value", number.value, number.match)
            comp = _comparator(sentence, at)
            d.set("comparator", comp[0] if comp else "about",
                  comp[1] if comp else "default: about (within 2%)")
            rounded = precision_tolerance(number.value)
            if d.values["comparator"] == "about" and rounded:
                d.set("tolerance", rounded, f"'{number.match}' is rounded: read as within "
                                            f"{rounded:,.0f} (half its last stated digit)")
            _measure(d, sentence, at)
            _places(d, places, "count")
            _assign_periods(d, period_hits, at, "count", sentence)
        elif number.kind == "duration":
            d.set("metric", "duration", number.match)
            d.set("value", number.value, number.match)
            d.set("unit", number.unit, number.match)
            comp = _comparator(sentence, at)
            d.set("comparator", comp[0] if comp else "about",
                  comp[1] if comp else "default: about")
            _measure_duration(d, sentence)
            _places(d, places, "duration")
            _assign_periods(d, period_hits, at, "duration", sentence)
        elif number.kind == "money":
            d.set("metric", "amount", number.match)
            d.set("value", number.value, number.match)
            d.set("unit", "dollars", number.match)
            d.need("measure", [], "money amounts are not in the parole data")
            _places(d, places, "amount")
            _assign_periods(d, period_hits, at, "amount", sentence)
        else:
            continue
        drafts.append(d)
    if not drafts and (period_hits or found):
        d = Draft(sentence)
        d.need("metric", ["count", "share", "rate", "change", "rank"],
               "the sentence has no figure to check besides dates")
        d.need("value")
        drafts.append(d)
    return drafts


TIMES = re.compile(r"\b(?P<n>\d+(?:\.\d+)?|twice|three|four|five|ten)\s+(?:times\s+)?"
                   r"(?:as\s+(?:many|much|large|high)|more\s+than|the\s+(?:number|level))\b",
                   re.I)
_TIMES_WORDS = {"twice": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "ten": 10.0}


def _comparison(sentence: str, m: re.Match[str], places: list[PlaceHit],
                period_hits: list[PeriodHit]) -> Draft:
    """"Texas received 1.2 times as many ... as California": the ratio of two figures."""
    d = Draft(sentence)
    _category(d, sentence)
    word = m["n"].lower()
    value = _TIMES_WORDS.get(word) or float(word)
    d.set("metric", "comparison", m.group(0))
    d.set("value", value, m.group(0))
    comp = _comparator(sentence, _span(m))
    d.set("comparator", comp[0] if comp else "about", comp[1] if comp else "default: about")
    if d.values["comparator"] == "about" and word in _TIMES_WORDS:
        d.set("tolerance", MULTIPLE_TOLERANCE, f"'{m.group(0)}' is a round multiple")
    elif d.values["comparator"] == "about" and "." in word:
        half = 0.5 * 10 ** -len(word.split(".")[1])
        if half > 0.02 * value:
            d.set("tolerance", half, f"'{word}' is stated to {len(word.split('.')[1])} "
                                     f"decimal(s): read as within {half:g}")
    _measure(d, sentence, _span(m))
    _places(d, places, "comparison")
    if "compare_geo" not in d.values:
        _assign_periods(d, period_hits, _span(m), "comparison", sentence)
        if "compare_period" not in d.values:
            d.need("compare_geo", [], "a comparison needs a second place or period")
    else:
        _assign_periods(d, period_hits, _span(m), "count", sentence)
    return d


def _number_span(sentence: str, number: Found) -> tuple[int, int]:
    pos = sentence.find(number.match)
    return (pos, pos + len(number.match)) if pos >= 0 else (0, 0)


def _change_near(sentence: str, at: tuple[int, int]) -> bool:
    window = sentence[max(0, at[0] - 45):at[1] + 20]
    return bool(RISE.search(window) or FALL.search(window))


def precision_tolerance(value: float | None) -> float | None:
    """Half the unit of the last stated digit of a round count (4,000 -> 500), when that is
    wider than the default 2%; None otherwise."""
    if value is None or value < 1000 or value != int(value):
        return None
    digits = str(int(value))
    zeros = len(digits) - len(digits.rstrip("0"))
    half = 10 ** zeros / 2 if zeros else 0
    return float(half) if half > 0.02 * value else None


def _rate_or_share(d: Draft, sentence: str, value: float, words: str, at: tuple[int, int],
                   places: list[PlaceHit], period_hits: list[PeriodHit]) -> None:
    comp = _comparator(sentence, at)
    if not re.search(r"\d", words):
        d.set("tolerance", VERBAL_TOLERANCE, f"'{words}' is a verbal fraction: read as within "
                                             f"{VERBAL_TOLERANCE:.0%} points")
    if RATE_WORDS.search(sentence) or re.search(r"\b(?:were|was|got|ended\s+in)\s+"
                                                r"(?:approved|denied|denials|approvals|"
                                                r"granted|rejected)", sentence, re.I):
        d.set("metric", "rate", words)
        d.set("value", value, words)
        d.set("comparator", comp[0] if comp else "about", comp[1] if comp else "default: about")
        _measure(d, sentence, at)
        if d.values.get("measure") in (None, "received", "pending"):
            deny = OUTCOMES[1][1].search(sentence)
            if deny:
                d.set("measure", "denied", deny.group(0))
        d.set("over", ["approved", "denied"], "decisions: approvals plus denials")
        _places(d, places, "rate")
        _assign_periods(d, period_hits, at, "rate", sentence)
        return
    d.set("metric", "share", words)
    d.set("value", value, words)
    d.set("comparator", comp[0] if comp else "about", comp[1] if comp else "default: about")
    _measure(d, sentence, at)
    _places(d, places, "share")
    sub = [p for p in places if p.level != "nation"]
    if len(sub) >= 2 and sub[1].level == "state" and sub[0].level in ("county", "region"):
        d.set("whole_geo", sub[1].code, sub[1].words)
    else:
        d.set("whole_geo", "US", "default: a share of the national total")
    if d.values.get("geo") == d.values.get("whole_geo"):
        d.need("geo", [], "a share needs a part smaller than the whole (which place?)")
    _assign_periods(d, period_hits, at, "share", sentence)


def _measure_duration(d: Draft, sentence: str) -> None:
    if re.search(r"\b(?:wait|waited|waiting|took|takes|processing|process|decide)", sentence,
                 re.I):
        d.set("measure", "typical_duration",
              re.search(r"\b(?:wait\w*|took|takes|processing|process|decide\w*)", sentence,
                        re.I).group(0))
    else:
        d.need("measure", ["typical_duration"], "no duration words found")


def infer_text(text: str) -> list[Draft]:
    """Every claim in an article (plain text or Markdown), in reading order."""
    return [d for sentence in sentences(_plain(text)) for d in infer_sentence(sentence)]


def _plain(text: str) -> str:
    """Markdown to plain text: links keep their words, emphasis and headings marks go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return text


def claims_from_text(text: str, *, article: str = "article"):
    """An article as a :class:`~analysis.claims.model.ClaimsFile`: complete claims to check,
    incomplete ones naming the keys that could not be inferred and the candidates considered.
    Each claim carries the words its keys came from (``inferred``)."""
    from analysis.claims.model import validate
    from analysis.errors import ParoleError

    drafts = infer_text(text)
    if not drafts:
        raise ParoleError(f"{article}: no sentence with a number was found")
    raws = []
    for index, draft in enumerate(drafts, start=1):
        raw = draft.claim(f"claim-{index:02d}")
        raw["inferred"] = dict(draft.words)
        raw["candidates"] = dict(draft.candidates)
        raws.append(raw)
    loaded = validate({"title": f"Claims found in {article}", "article": article,
                       "claims": raws}, origin=article)
    by_id = {f"claim-{i:02d}": d for i, d in enumerate(drafts, start=1)}
    for item in loaded.incomplete:
        draft = by_id[item.id]
        why = {n.split(": ", 1)[0]: n.split(": ", 1)[1] for n in draft.notes if ": " in n}
        problems = []
        for key, problem in item.problems:
            if key in draft.missing:
                considered = draft.candidates.get(key)
                problem = f"could not be inferred ({why.get(key, 'no words for it')})"
                if considered:
                    problem += f"; candidates considered: {', '.join(considered)}"
            problems.append((key, problem))
        item.problems = problems
    return loaded, {f"claim-{i:02d}": {**d.words, **({"notes": "; ".join(d.notes)}
                                                     if d.notes else {})}
                    for i, d in enumerate(drafts, start=1)}


def to_yaml(loaded, inferred: dict[str, dict[str, str]]) -> str:
    """The claims (complete and incomplete) as a claims file a reporter can correct and re-run;
    each key is followed by a comment naming the words it came from."""
    import json

    lines = [f"# Claims inferred by `parole check` from {loaded.article}.",
             "# Correct any key, give the ones marked NEEDED, then run: parole check THIS_FILE",
             f"title: {json.dumps(loaded.title or '')}",
             f"article: {json.dumps(loaded.article or '')}", "claims:"]
    entries = [(c.id, c.model_dump(exclude_none=True), []) for c in loaded.claims]
    entries += [(i.id, i.raw, i.problems) for i in loaded.incomplete]
    order = loaded.order
    for claim_id, raw, problems in sorted(entries, key=lambda e: order.get(e[0], 0)):
        words = inferred.get(claim_id, {})
        lines.append(f"  - id: {claim_id}")
        for key, value in raw.items():
            if key in ("id", "inferred", "candidates"):
                continue
            comment = f"    # from: {words[key]}" if key in words and key != "text" else ""
            lines.append(f"    {key}: {json.dumps(value, ensure_ascii=False)}{comment}")
        for key, problem in problems:
            lines.append(f"    # NEEDED {key}: {problem}")
        if words.get("notes"):
            lines.append(f"    # notes: {words['notes']}")
    return "\n".join(lines) + "\n"


CLAIMS_SUFFIXES = (".yml", ".yaml", ".json")


def load_input(path):
    """A claims file (``.yml``, or the ``.json`` of ``parole check --json``) or an article (any
    other UTF-8 text): the loaded claims and, for an article, the words behind each key."""
    from pathlib import Path

    from analysis.claims.extract import read_article
    from analysis.claims.model import load

    path = Path(path)
    if path.suffix.lower() in CLAIMS_SUFFIXES:
        return load(path), {}
    return claims_from_text(read_article(path), article=path.name)
