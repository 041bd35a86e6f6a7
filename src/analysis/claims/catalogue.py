"""The catalogue of populations and measures reporters write about (``catalogue.yml``).

Each population says whether the ingested data answer it (``covered``), only published single
figures do (``figures``), nothing public does (``unpublished``), it is a confusable neighbour
of a covered one (``neighbour``: never substituted silently), or it is not a parole statistic
at all (``outside``). :func:`readings` scores every population whose words occur in a
sentence, the sentences before it and the headline, best first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.limits import read_yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yml")
STATUSES = ("covered", "figures", "unpublished", "neighbour", "outside")
#: weight of a match by where it is: the sentence itself, an earlier sentence, the headline
#: (a match in the sentence always beats context; the article only breaks a silence)
WHERE_WEIGHT = {"sentence": 1.0, "previous": 0.55, "earlier": 0.45, "title": 0.35,
                "article": 0.3}


@dataclass(frozen=True)
class Population:
    id: str
    status: str
    words: tuple[re.Pattern[str], ...] = ()
    reason: str = ""
    nearest: tuple[str, ...] = ()
    measure: str | None = None
    basis: str | None = None
    of: str | None = None
    part_of: str | None = None
    duration: bool = False
    figures: bool = False
    money: bool = False
    after: re.Pattern[str] | None = None
    sentence: re.Pattern[str] | None = None
    requires_context: re.Pattern[str] | None = None
    requires_any: re.Pattern[str] | None = None

    @property
    def checkable(self) -> bool:
        return self.status in ("covered", "figures")


@dataclass(frozen=True)
class Reading:
    """One candidate population for a figure, with the evidence that scored it."""

    population: Population
    score: float
    words: str
    where: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.population.id, "status": self.population.status,
                "score": round(self.score, 3), "words": self.words, "where": self.where}


def _rx(text: str | None) -> re.Pattern[str] | None:
    return re.compile(text, re.I) if text else None


def _population(raw: dict[str, Any]) -> Population:
    status = raw.get("status")
    if status not in STATUSES:
        raise ValueError(f"catalogue.yml: population {raw.get('id')}: unknown status {status!r}")
    return Population(
        id=str(raw["id"]), status=status,
        words=tuple(re.compile(w, re.I) for w in raw.get("words") or ()),
        reason=" ".join(str(raw.get("reason") or "").split()),
        nearest=tuple(raw.get("nearest") or ()), measure=raw.get("measure"),
        basis=raw.get("basis"), of=raw.get("of"), part_of=raw.get("part_of"),
        duration=bool(raw.get("duration")),
        figures=bool(raw.get("figures")), money=bool(raw.get("money")),
        after=_rx(raw.get("after")), sentence=_rx(raw.get("sentence")),
        requires_context=_rx(raw.get("requires_context")),
        requires_any=_rx(raw.get("requires_any")))


@lru_cache(maxsize=1)
def load() -> tuple[tuple[Population, ...], dict[str, dict[str, str]]]:
    """(populations in order, nearest datasets by key) from ``catalogue.yml``."""
    data = read_yaml(CATALOGUE_PATH, what="claims catalogue")
    pops = tuple(_population(raw) for raw in data["populations"])
    datasets = {str(k): {"name": " ".join(str(v["name"]).split()),
                         "caveat": " ".join(str(v["caveat"]).split())}
                for k, v in (data.get("datasets") or {}).items()}
    return pops, datasets


def populations() -> tuple[Population, ...]:
    return load()[0]


def population(pop_id: str) -> Population | None:
    return next((p for p in populations() if p.id == pop_id), None)


def datasets() -> dict[str, dict[str, str]]:
    return load()[1]


# --------------------------------------------------------------------------- scoring


def _best_match(pop: Population, text: str, at: tuple[int, int] | None):
    """(distance to the figure, words) of the population's match nearest ``at``."""
    best = None
    for pattern in pop.words:
        for m in pattern.finditer(text):
            if at is None:
                dist = 0
            elif m.end() <= at[0]:
                dist = at[0] - m.end()
            elif m.start() >= at[1]:
                dist = m.start() - at[1]
            else:
                dist = 0
            if best is None or dist < best[0]:
                best = (dist, m.group(0))
    return best


def _allowed(pop: Population, context: str) -> bool:
    if pop.requires_context is not None and not pop.requires_context.search(context):
        return False
    return pop.requires_any is None or bool(pop.requires_any.search(context))


def readings(sentence: str, at: tuple[int, int], previous: list[str], title: str,
             *, duration: bool = False, article: str = "") -> list[Reading]:
    """Every population whose words occur around a figure, scored (best first).

    A match in the sentence scores by its distance to the figure; earlier sentences and the
    headline score less. Duration-only populations (grant lengths) are read for durations
    only, and the other populations never for durations.
    """
    context = " ".join([title, *previous, sentence])
    found: dict[str, Reading] = {}
    places = [("sentence", sentence, at)] + [("previous" if i == 0 else "earlier", p, None)
                                              for i, p in enumerate(reversed(previous))]
    places.append(("title", title, None))
    for order, pop in enumerate(populations()):
        if not pop.words or pop.duration != duration or not _allowed(pop, context):
            continue
        for where, text, span in places:
            hit = _best_match(pop, text, span)
            if hit is None:
                continue
            score = WHERE_WEIGHT[where] / (1 + hit[0] / 40) - order * 1e-4
            score += 1.0 if where == "sentence" else 0.0
            if pop.id not in found or found[pop.id].score < score:
                found[pop.id] = Reading(pop, score, hit[1], where)
            break
    if not found and article:
        found = _article_reading(article, duration)
    return sorted(_neighbours_first(found).values(), key=lambda r: -r.score)


def _neighbours_first(found: dict[str, Reading]) -> dict[str, Reading]:
    """A neighbour named beside the population it neighbours qualifies it ("ORR cared for
    119,000 unaccompanied children" is about children in care, not releases): it wins."""
    out = dict(found)
    for reading in found.values():
        pop = reading.population
        base = found.get(pop.of or "")
        if base is not None and base.where == reading.where and base.score >= reading.score:
            out[pop.id] = Reading(pop, base.score + 0.01, reading.words, reading.where)
    return out


def _article_reading(article: str, duration: bool) -> dict[str, Reading]:
    """The one covered population the whole article names, when it names exactly one family
    (unaccompanied children, CHNV, USCIS forms): a weak reading for a silent sentence."""
    names = {}
    for pop in populations():
        if pop.status != "covered" or pop.duration != duration:
            continue
        hit = _best_match(pop, article, None)
        if hit is not None:
            names.setdefault(pop.id.split("-")[0], (pop, hit[1]))
    if len(names) != 1:
        return {}
    pop, words = next(iter(names.values()))
    return {pop.id: Reading(pop, WHERE_WEIGHT["article"], words, "article")}


def outside(sentence: str, at: tuple[int, int], kind: str) -> Population | None:
    """The ``outside`` population a figure belongs to (money, people and things that are not
    parole cases, study results), or None."""
    after = sentence[at[1]:at[1] + 60]
    for pop in populations():
        if pop.status != "outside":
            continue
        if pop.money and kind == "money":
            return pop
        if pop.after is not None and pop.after.search(after):
            return pop
        if pop.sentence is not None and pop.sentence.search(sentence):
            return pop
    return None


def related(a: Population, b: Population) -> bool:
    """``b`` is not a rival reading of ``a``: the population ``a`` neighbours, or a part of it."""
    return b.id == a.of or b.part_of == a.id or a.id == b.id
