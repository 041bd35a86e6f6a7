"""The source catalog: one record per source (its adapter module, publisher, table title,
address, licence, publishing schedule and caveats), kept as data in
``analysis/ingest/sources/sources.yml`` beside the adapters and read here, so that every layer
(reports, charts, freshness) can name a source's publisher without importing the adapters.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources

from analysis.errors import ParoleError, UnknownSourceError

#: the catalog file, inside the package
CATALOG = "ingest/sources/sources.yml"


@dataclass(frozen=True)
class Schedule:
    """How often a source publishes (``monthly``, ``quarterly``, ``annual``, ``irregular`` or
    ``none``) and the usual days from a period's end to its release (an estimate)."""

    frequency: str = "irregular"
    lag_days: int | None = None
    text: str = ""


@dataclass(frozen=True)
class Source:
    """One source: its adapter and what a reader needs to know about the publication."""

    id: str
    module: str
    title: str
    citation: str
    publisher: str = ""
    table_title: str = ""
    url: str = ""
    licence: str = ""
    schedule: Schedule = field(default_factory=Schedule)
    caveats: tuple[str, ...] = ()


FREQUENCIES = ("monthly", "quarterly", "annual", "irregular", "none")
_KEYS = ("id", "module", "title", "citation", "publisher", "table_title", "url", "licence",
         "schedule", "caveats")


def load_catalog(text: str | None = None, *, origin: str = "sources.yml") -> dict[str, Source]:
    """The source records of ``sources.yml`` beside the adapters (or of ``text``), checked:
    every key present, no unknown key, a known frequency, unique ids."""
    import yaml

    if text is None:
        text = resources.files("analysis").joinpath(CATALOG).read_text(encoding="utf-8")
    records = yaml.safe_load(text)
    if not isinstance(records, list):
        raise ParoleError(f"{origin}: expected a list of source records")
    out: dict[str, Source] = {}
    for i, rec in enumerate(records, start=1):
        where = f"{origin}, record {i} ({rec.get('id', '?') if isinstance(rec, dict) else '?'})"
        if not isinstance(rec, dict):
            raise ParoleError(f"{where}: not a mapping")
        missing = [k for k in _KEYS if k not in rec]
        unknown = [k for k in rec if k not in _KEYS]
        if missing or unknown:
            raise ParoleError(f"{where}: missing {', '.join(missing) or 'nothing'}; unknown "
                              f"{', '.join(unknown) or 'nothing'}")
        sched = rec["schedule"] or {}
        if sched.get("frequency") not in FREQUENCIES:
            raise ParoleError(f"{where}: schedule.frequency {sched.get('frequency')!r} is not "
                              f"one of {', '.join(FREQUENCIES)}")
        lag = sched.get("lag_days")
        if sched["frequency"] in ("monthly", "quarterly", "annual") and not isinstance(lag, int):
            raise ParoleError(f"{where}: schedule.lag_days must be a whole number of days")
        if rec["id"] in out:
            raise ParoleError(f"{where}: id {rec['id']!r} appears twice")
        out[rec["id"]] = Source(
            id=rec["id"], module=rec["module"], title=rec["title"], citation=rec["citation"],
            publisher=rec["publisher"], table_title=rec["table_title"], url=rec["url"] or "",
            licence=rec["licence"], caveats=tuple(rec["caveats"] or ()),
            schedule=Schedule(sched["frequency"], lag, sched.get("text", "")))
    return out


#: every source, from sources.yml (one record per source)
SOURCES: dict[str, Source] = load_catalog()


def describe(source: Source) -> str:
    """A source's record as lines of text (what `parole sources` prints)."""
    lines = [f"{source.id}: {source.title}",
             f"  publisher:  {source.publisher}",
             f"  table:      {source.table_title}",
             f"  address:    {source.url or '(none)'}",
             f"  licence:    {source.licence}",
             f"  schedule:   {source.schedule.text or source.schedule.frequency}"]
    lines += [f"  caveat:     {c}" for c in source.caveats]
    return "\n".join(lines)


def check_source(source: str) -> Source:
    """The registered source ``source``; raises naming the valid ids and close matches."""
    if source in SOURCES:
        return SOURCES[source]
    close = difflib.get_close_matches(source, SOURCES, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UnknownSourceError(f"unknown source {source!r}{hint}; expected one of: "
                             + ", ".join(SOURCES))


def default_citation(source: str) -> str:
    return check_source(source).citation


def source_catalog():
    """The source catalog as a table: one row per source with its publisher, table title,
    address (``url``), licence, publishing frequency and caveats.

    >>> cat = source_catalog()
    >>> cat.set_index("id").loc["hhs-orr-uc", "publisher"]  # doctest: +ELLIPSIS
    'HHS ...'
    """
    import pandas as pd

    return pd.DataFrame([{"id": s.id, "title": s.title, "publisher": s.publisher,
                          "table_title": s.table_title, "url": s.url, "licence": s.licence,
                          "frequency": s.schedule.frequency, "caveats": " | ".join(s.caveats)}
                         for s in SOURCES.values()])
