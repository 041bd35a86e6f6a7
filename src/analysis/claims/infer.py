"""From an article to claims: every figure read in its document, by scored candidates.

:func:`read_claims` reads an article as a document (:mod:`analysis.claims.document`: headline,
body, boilerplate dropped, the article's date) and each figure of each sentence
(:mod:`analysis.claims.mentions`) is

* listed as *outside* what the data cover when it is not a parole or release statistic
  (money, signatures, members of Congress, study results: the ``outside`` populations of
  ``catalogue.yml``);
* otherwise stated as a claim: ``metric``, ``value``, ``comparator``, ``category``,
  ``measure``, ``geo`` (and ``whole_geo``, ``compare_geo``), ``period`` (and ``period_from``,
  ``compare_period``), with the words behind every key. The population is chosen among scored
  candidates (:func:`analysis.claims.catalogue.readings`: the sentence, the sentences before it
  and the headline); the runners-up are kept. Populations no public data cover, and
  neighbours of covered ones, carry their reason (``unpublished``) and are not-checkable;
  windows no table publishes (year to date, a typical year) carry ``window``.

Places in lists are bound figure by figure ("Texas, California and Florida ... 16,394,
11,121 and 10,542, respectively"; "New York (8,477), New Jersey (5,363)"). Periods are read by
:mod:`analysis.claims.when`. Nothing is guessed silently: a default is recorded with the words
``default: ...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analysis.claims import catalogue
from analysis.claims.document import read as read_document
from analysis.claims.mentions import Mention, mentions
from analysis.claims.when import PeriodHit, When, find_periods, typical_window, vague_window
from analysis.contract import geo

#: words for parole in general: a category is needed, and these are the candidates
GENERIC_PAROLE = re.compile(r"\bparole\b", re.I)
#: "the parole program": the program the article is about (resolved from the context)
PROGRAM = re.compile(r"\bthe\s+(?:\w+\s+)?program\b", re.I)
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

RANK = re.compile(
    r"\b(?:(?P<any>(?:more|fewer|less)\s+(?:[\w-]+\s+){0,5}?than\s+any\s+other\s+"
    r"(?P<level>state|county|counties|office))|(?P<most>the\s+(?:most|largest\s+number|"
    r"largest\s+share|highest\s+number|biggest\s+number)))\b", re.I)
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
class Scene:
    """One sentence with what it is read against: the sentences before it, the headline,
    its periods, places and figures, and the date relative periods resolve against."""

    sentence: str
    previous: list[str] = field(default_factory=list)
    title: str = ""
    when: When = field(default_factory=When)
    periods: list[PeriodHit] = field(default_factory=list)
    places: list[PlaceHit] = field(default_factory=list)
    figures: list[Mention] = field(default_factory=list)
    article: str = ""  # the whole article, for a population no nearer words name


@dataclass
class Draft:
    """A claim inferred from one sentence: keys with the words each came from."""

    sentence: str
    values: dict[str, Any] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the candidate readings of the population, best first, with their scores
    readings: list[dict[str, Any]] = field(default_factory=list)
    #: not a parole or release statistic: (words, reason), listed apart from the claims
    outside: tuple[str, str] | None = None
    at: tuple[int, int] = (0, 0)

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

    @property
    def uncertain(self) -> list[str]:
        """Keys stated by a default rather than by the words (listed with needs-input)."""
        return [k for k, w in self.words.items() if str(w).startswith("default:")
                and k not in ("comparator", "tolerance")]

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


_STATES: list[tuple[str, re.Pattern[str]]] = []


def _county_fips(name: str, state_text: str | None) -> str | None:
    if state_text:
        try:
            return geo.county_fips(name, state_text)
        except geo.GeographyError:
            pass
    found = []
    for s in geo.states(territories=False):
        try:
            found.append(geo.county_fips(name, s.usps))
        except geo.GeographyError:
            continue
    return found[0] if len(found) == 1 else None


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return not any(_distance(span, t) == 0 for t in taken)


def _counties(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceHit]:
    hits = []
    for m in COUNTY.finditer(sentence):
        name = re.sub(r"^(?:In|At|From|Of|The|And|In\s+the)\s+", "", m["name"]).strip()
        fips = _county_fips(name, m["state"])
        if fips:
            hits.append(PlaceHit(fips, _span(m), m.group(0), "county"))
            taken.append(_span(m))
    return hits


def _regions(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceHit]:
    hits = []
    for r in geo.regions():
        for label in {r.title.split(" (")[0] if r.title else "", r.name.replace("-", " ")}:
            if not label or len(label) < 5:
                continue
            for m in re.finditer(rf"\b{re.escape(label)}\b", sentence, re.I):
                if _free(_span(m), taken):
                    hits.append(PlaceHit(r.name, _span(m), m.group(0), "region"))
                    taken.append(_span(m))
    return hits


def _states_and_nation(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceHit]:
    if not _STATES:
        _STATES.extend(_state_patterns())
    hits = []
    patterns = [*_STATES, ("US", NATION)]
    for code, pattern in patterns:
        for m in pattern.finditer(sentence):
            if _free(_span(m), taken):
                hits.append(PlaceHit(code, _span(m), m.group(0),
                                     "nation" if code == "US" else "state"))
                taken.append(_span(m))
    return hits


def find_places(sentence: str) -> list[PlaceHit]:
    """Counties, named regions, states and the nation named in a sentence, in order."""
    taken: list[tuple[int, int]] = []
    hits = _counties(sentence, taken) + _regions(sentence, taken)
    hits += _states_and_nation(sentence, taken)
    return sorted(hits, key=lambda h: h.span[0])


# --------------------------------------------------------------------------- keys


def _comparator(sentence: str, at: tuple[int, int]) -> tuple[str, str] | None:
    before = sentence[max(0, at[0] - 40):at[0]]
    for name, pattern in COMPARATORS:
        m = pattern.search(before)
        if m:
            return name, m.group(0).strip()
    return None


def _set_comparator(d: Draft, sentence: str, at: tuple[int, int], default: str) -> None:
    comp = _comparator(sentence, at)
    d.set("comparator", comp[0] if comp else "about", comp[1] if comp else default)


def _generic_category(d: Draft, scene: Scene) -> None:
    context = " ".join([scene.title, *scene.previous, scene.sentence])
    if GENERIC_PAROLE.search(context):
        d.need("category", PAROLE_CANDIDATES, "'parole' alone does not say which kind")
    else:
        d.need("category", [p.id for p in catalogue.populations() if p.status == "covered"],
               "no category words found")


def _category(d: Draft, scene: Scene, *, duration: bool = False) -> catalogue.Population | None:
    """The population of the figure: the best-scored reading (runners-up kept)."""
    found = catalogue.readings(scene.sentence, d.at, scene.previous, scene.title,
                               duration=duration, article=scene.article)
    d.readings = [r.as_dict() for r in found]
    if not found:
        if not duration:
            _generic_category(d, scene)
        return None
    best = found[0]
    rivals = [r for r in found[1:] if r.score > 0.9 * best.score
              and not catalogue.related(best.population, r.population)]
    generic = GENERIC_PAROLE.search(scene.sentence) and not PROGRAM.search(scene.sentence)
    if best.where != "sentence" and generic and not rivals:
        # "parole requests" in the sentence, a kind only around it: ask, naming the kinds
        d.need("category", list(dict.fromkeys([best.population.id, *PAROLE_CANDIDATES])),
               "the sentence says only 'parole'; the sentences around it name "
               f"{best.population.id}")
        return None
    if rivals and best.where != "sentence":
        d.need("category", [r.population.id for r in [best, *rivals]],
               "the sentence names no population and the sentences around it disagree")
        return None
    where = "" if best.where == "sentence" else f" (from the {best.where})"
    d.set("category", best.population.id, best.words + where)
    if rivals:
        d.notes.append("readings disagree: " + ", ".join(
            f"{r.population.id} (score {r.score:.2f})" for r in [best, *rivals]))
    return best.population


def _apply_status(d: Draft, pop: catalogue.Population | None) -> None:
    """Populations no table answers carry their reason; neighbours are never substituted."""
    if pop is None or pop.checkable:
        return
    d.set("unpublished", pop.reason, d.words.get("category", pop.id))
    if pop.basis:
        d.set("basis", pop.basis, d.words.get("category", pop.id))


def _measure(d: Draft, sentence: str, at: tuple[int, int]) -> None:
    category = d.values.get("category", "")
    hits = [(name, _span(m), m.group(0)) for name, p in OUTCOMES for m in p.finditer(sentence)]
    if not category.startswith("uc-"):
        hits = [h for h in hits if h[0] != "released"]
    if not category.startswith("chnv-parole") and category:
        hits = [h for h in hits if h[0] != "paroled"]
    best = _nearest(hits, at)
    pop = catalogue.population(category) if category else None
    if best and not (category.startswith("uc-") and best[0] != "released"):
        d.set("measure", best[0], best[2])
        return
    m = RECEIVED.search(sentence)
    if m and not category.startswith(("uc-", "chnv-")):
        d.set("measure", "received", m.group(0))
        return
    default = pop.measure if pop is not None else DEFAULT_MEASURE.get(category)
    if default:
        d.set("measure", default, f"default: {category} is published as {default}")
        return
    if d.values.get("unpublished"):
        d.set("measure", "count", "default: the population is not published")
        return
    d.need("measure", ["received", "approved", "denied", "pending"], "no measure words found")


TOGETHER = re.compile(r"\b(?:together|combined|between\s+them|in\s+all)\b", re.I)
RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def _bound_place(d: Draft, scene: Scene, sub: list[PlaceHit]) -> PlaceHit | None:
    """The place a figure belongs to when a sentence lists several: in order for
    "respectively", else the place just before the figure (or the first after it)."""
    counted = [f for f in scene.figures if f.kind in ("count", "percent", "one-of")]
    if RESPECTIVELY.search(scene.sentence) and len(counted) == len(sub):
        index = next((i for i, f in enumerate(counted) if f.span == d.at), None)
        if index is not None:
            return sub[index]
    before = [p for p in sub if p.span[1] <= d.at[0]]
    if before:
        nearest = before[-1]
        between = [f for f in counted if nearest.span[1] <= f.span[0] < d.at[0]]
        if not between:
            return nearest
    after = [p for p in sub if p.span[0] >= d.at[1]]
    return after[0] if after else (before[-1] if before else None)


def _places(d: Draft, scene: Scene, metric: str) -> None:
    places = scene.places
    sub = [p for p in places if p.level != "nation"]
    together = TOGETHER.search(d.sentence)
    if metric != "comparison" and len(sub) >= 2 and together and \
            len({p.level for p in sub}) == 1 and sub[0].level in ("state", "county"):
        d.set("geo", "+".join(p.code for p in sub),
              " + ".join(p.words for p in sub) + f" ({together.group(0)})")
        return
    if metric == "comparison" and len(sub) >= 2:
        d.set("geo", sub[0].code, sub[0].words)
        d.set("compare_geo", sub[1].code, sub[1].words)
        return
    if sub:
        place = _bound_place(d, scene, sub) if len(sub) > 1 else sub[0]
        d.set("geo", place.code, place.words)
        return
    if places:
        d.set("geo", "US", places[0].words)
        return
    d.set("geo", "US", "default: no place named, so the national figure")


def _label(hit: PeriodHit, d: Draft) -> str:
    if hit.kind == "year" and hit.label.startswith("FY"):
        d.notes.append(f"'{hit.words}' read as fiscal year {hit.label} (the publishers count "
                       "in fiscal years, October to September); write 'calendar 2023' for a "
                       "calendar year")
    if hit.kind == "as-of":
        d.notes.append(f"'{hit.words}' is a date: a level such as pending is read for the "
                       "published period ending on or just before it")
    return hit.label


def _set_period(d: Draft, key: str, hit: PeriodHit) -> None:
    if hit.kind == "needs-date":
        d.need(key, [], f"'{hit.words}' is {hit.window}")
        return
    if hit.window:
        d.set("window", hit.window, hit.words)
    if hit.label:
        d.set(key, _label(hit, d), hit.words)
    elif key not in d.values:
        d.set(key, "unknown", hit.words)


def _two_periods(d: Draft, usable: list[PeriodHit], metric: str) -> None:
    if len(usable) >= 2:
        first, second = usable[0], usable[-1]
        if metric in ("change", "multiple"):
            _set_period(d, "period_from" if metric == "change" else "compare_period", first)
            _set_period(d, "period", second)
        else:
            _set_period(d, "period", first)
            _set_period(d, "compare_period", second)
        return
    d.need("period_from" if metric == "change" else "compare_period", [],
           "a change needs two periods (from ... to ...)")
    _set_period(d, "period", usable[0])


def _split_range(hits: list[PeriodHit]) -> list[PeriodHit]:
    """"between the first and third quarters": two periods for a change."""
    if len(hits) != 1 or "/" not in hits[0].label:
        return hits
    first, _, second = hits[0].label.partition("/")
    return [PeriodHit(first, "fy-quarter", hits[0].span, hits[0].words),
            PeriodHit(second, "fy-quarter", hits[0].span, hits[0].words)]


def _assign_periods(d: Draft, scene: Scene, at: tuple[int, int], metric: str) -> None:
    usable = list(scene.periods)
    if not usable:
        d.need("period", [], "no period named (say e.g. 'in fiscal 2023' or 'FY2023 Q2')")
        return
    if metric in ("change", "multiple") or (metric == "comparison"
                                            and "compare_geo" not in d.values
                                            and len(usable) >= 2):
        _two_periods(d, _split_range(usable) if metric != "comparison" else usable, metric)
        return
    best = min(usable, key=lambda h: (_distance(h.span, at), 0 if h.span[0] >= at[1] else 1))
    _set_period(d, "period", best)


def _windows(d: Draft, scene: Scene) -> None:
    """Windows no table publishes: a typical year, recent weeks, a running total to a date."""
    period = d.values.get("period")
    window = None if scene.periods else (typical_window(scene.sentence)
                                         or vague_window(scene.sentence))
    if window and "window" not in d.values:
        d.set("window", window, window)
    flow = d.values.get("measure") not in ("pending",)
    if isinstance(period, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", period) and flow and \
            d.values.get("metric") == "count":
        d.set("window", f"a running total to {period} from an unstated start",
              d.words.get("period", period))
    if "window" in d.values and "period" in d.missing:
        d.missing.remove("period")
        d.set("period", period or "unknown", "the window (no period a table publishes)")
    if d.values.get("period") == "unknown" and "window" not in d.values:
        d.values.pop("period")
        d.need("period", [], d.words.pop("period", "a relative period without the date"))


def _unpublished_defaults(d: Draft) -> None:
    """A claim about a population no table answers needs no further keys to be answered."""
    if not d.values.get("unpublished") and not d.values.get("window"):
        return
    for key in list(d.missing):
        if key in ("measure", "period", "geo", "period_from", "compare_period"):
            d.missing.remove(key)
            d.set(key, {"measure": "count", "geo": "US"}.get(key, d.values.get("period")
                                                              or "unknown"),
                  "default: not needed (the data do not cover this claim)")


# --------------------------------------------------------------------------- figures


def _count(d: Draft, scene: Scene, m: Mention) -> None:
    d.set("metric", "count", m.words)
    d.set("value", m.value, m.words)
    _set_comparator(d, scene.sentence, m.span, "default: about (within 2%)")
    rounded = precision_tolerance(m.value)
    if d.values["comparator"] == "about" and rounded:
        d.set("tolerance", rounded, f"'{m.words}' is rounded: read as within {rounded:,.0f} "
                                    "(half its last stated digit)")
    _measure(d, scene.sentence, m.span)
    _places(d, scene, "count")
    _assign_periods(d, scene, m.span, "count")


def _percent(d: Draft, scene: Scene, m: Mention) -> None:
    change = _change(scene.sentence)
    if change and _change_near(scene.sentence, m.span):
        d.set("metric", "change", change[1])
        d.set("direction", change[0], change[1])
        d.set("value", m.value, m.words)
        _set_comparator(d, scene.sentence, m.span, "default: about")
        _measure(d, scene.sentence, m.span)
        _places(d, scene, "change")
        _assign_periods(d, scene, m.span, "change")
        return
    _rate_or_share(d, scene, m.value, m.words, m.span)


def _rank(d: Draft, scene: Scene, m: Mention) -> None:
    d.set("metric", "rank", m.words)
    d.set("value", int(m.value), m.words)
    d.set("comparator", "about", "default: a rank is exact")
    d.set("tolerance", 0.0, "default: a rank is exact")
    level = re.search(r"\b(state|county|counties|office)", scene.sentence[m.span[1]:], re.I)
    d.set("among", level[1].lower().replace("counties", "county") if level else "state",
          level[0] if level else "default: ranked among states")
    _measure(d, scene.sentence, m.span)
    _places(d, scene, "rank")
    if d.values.get("geo") == "US":
        d.need("geo", [], "a ranking needs the place ranked")
    _assign_periods(d, scene, m.span, "rank")


def _multiple(d: Draft, scene: Scene, m: Mention) -> None:
    """"tripled" (3x), "nearly four-fold" (4x), "halved" (0.5x): the ratio of the later
    figure to the earlier one."""
    d.set("metric", "comparison", m.words)
    d.set("value", m.value, m.words)
    _set_comparator(d, scene.sentence, m.span, "default: about")
    if d.values["comparator"] == "about":
        d.set("tolerance", MULTIPLE_TOLERANCE * m.value,
              f"'{m.words}' is a round multiple: read as within {MULTIPLE_TOLERANCE:.0%}")
    _measure(d, scene.sentence, (0, len(scene.sentence)))
    _places(d, scene, "multiple")
    _assign_periods(d, scene, m.span, "multiple")


def _duration(d: Draft, scene: Scene, m: Mention) -> None:
    d.set("metric", "duration", m.words)
    d.set("value", m.value, m.words)
    d.set("unit", m.unit, m.words)
    _set_comparator(d, scene.sentence, m.span, "default: about")
    pop = _category(d, scene, duration=True)
    if pop is not None and not _processing(scene.sentence):
        _apply_status(d, pop)
        d.set("measure", "typical_duration", f"default: the length of a {pop.id}")
    else:
        d.values.pop("category", None)
        d.words.pop("category", None)
        d.readings = []
        _category(d, scene)
        _measure_duration(d, scene.sentence)
    _places(d, scene, "duration")
    _assign_periods(d, scene, m.span, "duration")


FIGURE_KINDS = {"count": _count, "one-of": _count, "percent": _percent, "rank": _rank,
                "multiple": _multiple}


def _outside(d: Draft, scene: Scene, m: Mention) -> bool:
    """Money, hours, signatures, study results ...: outside what the data cover."""
    pop = catalogue.outside(scene.sentence, m.span, m.kind)
    own = catalogue.readings(scene.sentence, m.span, [], "")
    if pop is not None and (pop.after is not None or pop.money or not own):
        d.outside = (m.words, pop.reason)
        return True
    if m.kind == "duration" and not _processing(scene.sentence) and not \
            catalogue.readings(scene.sentence, m.span, [], "", duration=True):
        d.outside = (m.words, "a length of time that is not a parole or processing duration")
        return True
    return False


def _figure(scene: Scene, m: Mention) -> Draft:
    d = Draft(scene.sentence, at=m.span)
    if _outside(d, scene, m):
        return d
    if m.kind == "duration":
        _duration(d, scene, m)
    else:
        pop = _category(d, scene)
        _apply_status(d, pop)
        FIGURE_KINDS[m.kind](d, scene, m)
        if pop is not None and pop.status == "figures" and "period" in d.missing:
            d.set("window", "an unstated window; only single figures for fixed windows are "
                            "published", "no period named")
    _windows(d, scene)
    _unpublished_defaults(d)
    return d


def _processing(sentence: str) -> bool:
    return bool(re.search(r"\b(?:wait\w*|took|takes|processing|process(?:ed)?\s+in|decide\w*)",
                          sentence, re.I))


def precision_tolerance(value: float | None) -> float | None:
    """Half the unit of the last stated digit of a round count (4,000 -> 500), when that is
    wider than the default 2%; None otherwise."""
    if value is None or value < 1000 or value != int(value):
        return None
    digits = str(int(value))
    zeros = len(digits) - len(digits.rstrip("0"))
    half = 10 ** zeros / 2 if zeros else 0
    return float(half) if half > 0.02 * value else None


def _rate_or_share(d: Draft, scene: Scene, value: float, words: str,
                   at: tuple[int, int]) -> None:
    sentence, places = scene.sentence, scene.places
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
        _places(d, scene, "rate")
        _assign_periods(d, scene, at, "rate")
        return
    d.set("metric", "share", words)
    d.set("value", value, words)
    d.set("comparator", comp[0] if comp else "about", comp[1] if comp else "default: about")
    _measure(d, sentence, at)
    _places(d, scene, "share")
    sub = [p for p in places if p.level != "nation"]
    if len(sub) >= 2 and sub[1].level == "state" and sub[0].level in ("county", "region"):
        d.set("whole_geo", sub[1].code, sub[1].words)
    else:
        d.set("whole_geo", "US", "default: a share of the national total")
    if d.values.get("geo") == d.values.get("whole_geo"):
        d.need("geo", [], "a share needs a part smaller than the whole (which place?)")
    _assign_periods(d, scene, at, "share")


def _measure_duration(d: Draft, sentence: str) -> None:
    if re.search(r"\b(?:wait|waited|waiting|took|takes|processing|process|decide)", sentence,
                 re.I):
        d.set("measure", "typical_duration",
              re.search(r"\b(?:wait\w*|took|takes|processing|process|decide\w*)", sentence,
                        re.I).group(0))
    else:
        d.need("measure", ["typical_duration"], "no duration words found")



# --------------------------------------------------------------------------- sentences


def _fraction_value(sentence: str) -> tuple[float, str, tuple[int, int]] | None:
    m = _FRACTION.search(sentence)
    if m:
        a = _SPELLED.get(m["a"].lower()) or float(m["a"])
        b = _SPELLED.get(m["b"].lower()) or float(m["b"])
        if b and a <= b:
            return a / b, m.group(0), _span(m)
    for words, value in sorted(HALF_WORDS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(rf"\b{re.escape(words)}\b", sentence, re.I)
        if m and not re.match(r"\s+of\s+(?:fiscal|FY|the\s+fiscal|\d{4}|calendar)",
                              sentence[m.end():], re.I) \
                and not re.search(r"(first|second|third|fourth)\s*$", sentence[:m.start()], re.I):
            return value, m.group(0), _span(m)
    return None


def _change(sentence: str) -> tuple[str, str] | None:
    """('rise'|'fall', words) when the sentence states a change."""
    rise, fall = RISE.search(sentence), FALL.search(sentence)
    if rise and (not fall or rise.start() < fall.start()):
        return "rise", rise.group(0)
    if fall:
        return "fall", fall.group(0)
    return None


def _change_near(sentence: str, at: tuple[int, int]) -> bool:
    window = sentence[max(0, at[0] - 45):at[1] + 20]
    return bool(RISE.search(window) or FALL.search(window))


def _rank_words(scene: Scene, rank: re.Match[str]) -> Draft:
    """"Texas took in more ... than any other state", "the most": rank 1, no figure."""
    d = Draft(scene.sentence, at=_span(rank))
    _apply_status(d, _category(d, scene))
    level = (rank["level"] or "state").rstrip("s").replace("countie", "county")
    d.set("metric", "rank", rank.group(0))
    d.set("value", 1, rank.group(0))
    d.set("comparator", "about", "default: a rank is exact")
    d.set("among", level, rank.group(0) if rank["level"] else "default: ranked among states")
    _measure(d, scene.sentence, _span(rank))
    _places(d, scene, "rank")
    if d.values.get("geo") == "US":
        d.need("geo", [], "a ranking needs the place ranked")
    _assign_periods(d, scene, _span(rank), "rank")
    _windows(d, scene)
    _unpublished_defaults(d)
    return d


def _fraction_words(scene: Scene, fraction) -> Draft:
    """"Nine in ten", "nearly half", "fell by more than half"."""
    value, words, span = fraction
    d = Draft(scene.sentence, at=span)
    _apply_status(d, _category(d, scene))
    change = _change(scene.sentence)
    if change and _change_near(scene.sentence, span):
        d.set("metric", "change", change[1])
        d.set("direction", change[0], change[1])
        d.set("value", value, words)
        _set_comparator(d, scene.sentence, span, "default: about")
        _measure(d, scene.sentence, (0, len(scene.sentence)))
        _places(d, scene, "change")
        _assign_periods(d, scene, (0, 0), "change")
    else:
        _rate_or_share(d, scene, value, words, span)
    _windows(d, scene)
    _unpublished_defaults(d)
    return d


TIMES = re.compile(r"\b(?P<n>\d+(?:\.\d+)?|twice|three|four|five|ten)\s+(?:times\s+)?"
                   r"(?:as\s+(?:many|much|large|high)|more\s+than|the\s+(?:number|level))\b",
                   re.I)
_TIMES_WORDS = {"twice": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "ten": 10.0}


def _comparison(scene: Scene, m: re.Match[str]) -> Draft:
    """"Texas received 1.2 times as many ... as California": the ratio of two figures."""
    d = Draft(scene.sentence, at=_span(m))
    _apply_status(d, _category(d, scene))
    word = m["n"].lower()
    value = _TIMES_WORDS.get(word) or float(word)
    d.set("metric", "comparison", m.group(0))
    d.set("value", value, m.group(0))
    _set_comparator(d, scene.sentence, _span(m), "default: about")
    if d.values["comparator"] == "about" and word in _TIMES_WORDS:
        d.set("tolerance", MULTIPLE_TOLERANCE * value, f"'{m.group(0)}' is a round multiple")
    elif d.values["comparator"] == "about" and "." in word:
        half = 0.5 * 10 ** -len(word.split(".")[1])
        if half > 0.02 * value:
            d.set("tolerance", half, f"'{word}' is stated to {len(word.split('.')[1])} "
                                     f"decimal(s): read as within {half:g}")
    _measure(d, scene.sentence, _span(m))
    _places(d, scene, "comparison")
    if "compare_geo" not in d.values:
        _assign_periods(d, scene, _span(m), "comparison")
        if "compare_period" not in d.values:
            d.need("compare_geo", [], "a comparison needs a second place or period")
    else:
        _assign_periods(d, scene, _span(m), "count")
    _unpublished_defaults(d)
    return d


def _wordy_claim(scene: Scene) -> list[Draft]:
    """A claim stated without digits: a ratio, a rank, a verbal fraction."""
    times = TIMES.search(scene.sentence)
    if times:
        return [_comparison(scene, times)]
    rank = RANK.search(scene.sentence)
    if rank and not scene.figures:
        return [_rank_words(scene, rank)]
    fraction = _fraction_value(scene.sentence)
    if fraction and not scene.figures and (RATE_WORDS.search(scene.sentence)
                                           or SHARE_WORDS.search(scene.sentence)
                                           or scene.places or _change(scene.sentence)):
        return [_fraction_words(scene, fraction)]
    return []


def scene_of(sentence: str, *, previous: list[str] | None = None, title: str = "",
             when: When | None = None, article: str = "") -> Scene:
    when = (when or When()).anchored(" ".join([*(previous or []), sentence]))
    hits = find_periods(sentence, when)
    scene = Scene(sentence, list(previous or []), title, when, hits, find_places(sentence),
                  article=article)
    fraction = _fraction_value(sentence)
    skip = [h.span for h in hits] + ([fraction[2]] if fraction else [])
    scene.figures = mentions(sentence, skip)
    return scene


def infer_sentence(sentence: str, *, previous: list[str] | None = None, title: str = "",
                   when: When | None = None, article: str = "") -> list[Draft]:
    """Every claim a sentence makes (one per figure; rankings and ratios may have none), and
    every figure outside what the data cover (``Draft.outside``)."""
    scene = scene_of(sentence, previous=previous, title=title, when=when, article=article)
    times = TIMES.search(sentence)
    if times:  # "1.2 times as many": the figure is the ratio, not a count
        scene.figures = [f for f in scene.figures if _distance(f.span, _span(times)) > 0]
    wordy = _wordy_claim(scene)
    if wordy and not scene.figures:
        return wordy
    drafts = [_figure(scene, m) for m in scene.figures]
    if wordy and all(d.outside for d in drafts):
        drafts += wordy
    return drafts


def infer_text(text: str, *, published: date | None = None) -> list[Draft]:
    """Every claim (and figure outside the data) in an article, in reading order."""
    return read_claims(text, published=published)[0]


def read_claims(text: str, *, published: date | None = None):
    """(every draft in reading order, the document)."""
    doc = read_document(_plain(text), published=published)
    when = When.of(doc.date)
    article = " ".join(s.text for s in doc.sentences)
    out: list[Draft] = []
    for s in doc.sentences:
        out += infer_sentence(s.text, previous=s.previous,
                              title="" if s.is_title else doc.title, when=when,
                              article=article)
    return out, doc


def _plain(text: str) -> str:
    """Markdown to plain text: links keep their words, emphasis and headings marks go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return text



def _inferred_words(d: Draft) -> dict[str, str]:
    words = dict(d.words)
    if d.notes:
        words["notes"] = "; ".join(d.notes)
    return words


def _explain_missing(item, draft: Draft) -> None:
    why = {n.split(": ", 1)[0]: n.split(": ", 1)[1] for n in draft.notes if ": " in n}
    problems = []
    for key, problem in item.problems:
        if key in draft.missing:
            considered = draft.candidates.get(key)
            problem = f"could not be inferred ({why.get(key, 'no words for it')})"
            if considered:
                problem += f"; candidates considered: {', '.join(considered)}"
        problems.append((key, problem))
    # every key the words did not state is uncertain too: listed so the reader checks it
    problems += [(key, f"uncertain: {draft.words[key]}") for key in draft.uncertain
                 if key not in {k for k, _ in problems}]
    item.problems = problems


def claims_from_text(text: str, *, article: str = "article", published: date | None = None):
    """An article as a :class:`~analysis.claims.model.ClaimsFile`: complete claims to check,
    incomplete ones naming the keys that could not be inferred (and every uncertain key) with
    the candidates considered, and the figures outside what the data cover (``outside``).
    Each claim carries the words its keys came from (``inferred``) and its scored readings."""
    from analysis.claims.document import check_size
    from analysis.claims.model import validate
    from analysis.errors import ParoleError
    from analysis.limits import LIMITS

    check_size(text, LIMITS.max_article_chars, article)
    drafts, doc = read_claims(text, published=published)
    outside = [{"text": d.sentence, "figure": d.outside[0], "reason": d.outside[1]}
               for d in drafts if d.outside]
    drafts = [d for d in drafts if not d.outside]
    if not drafts and not outside:
        raise ParoleError(f"{article}: no sentence with a number was found")
    ids = {f"claim-{i:02d}": d for i, d in enumerate(drafts, start=1)}
    raws = [{**d.claim(cid), "inferred": dict(d.words), "candidates": dict(d.candidates)}
            for cid, d in ids.items()]
    loaded = validate({"title": f"Claims found in {article}", "article": article,
                       "claims": raws}, origin=article, allow_empty=True)
    for item in loaded.incomplete:
        _explain_missing(item, ids[item.id])
    doc_date = doc.date
    loaded = loaded.model_copy(update={
        "outside": outside, "readings": {cid: d.readings for cid, d in ids.items()},
        "published": loaded.published or (doc_date.isoformat() if doc_date else None)})
    return loaded, {cid: _inferred_words(d) for cid, d in ids.items()}


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


def load_input(path, *, published: date | None = None):
    """A claims file (``.yml``, or the ``.json`` of ``parole check --json``) or an article (any
    other UTF-8 text): the loaded claims and, for an article, the words behind each key."""
    from pathlib import Path

    from analysis.claims.extract import read_article
    from analysis.claims.model import load

    path = Path(path)
    if path.suffix.lower() in CLAIMS_SUFFIXES:
        return load(path), {}
    return claims_from_text(read_article(path), article=path.name, published=published)
