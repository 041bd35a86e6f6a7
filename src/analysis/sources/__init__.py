"""Source adapters: one per publisher format, each turning a raw file into contract tables.

Use :func:`read` for one file's table as a DataFrame, :func:`load` for everything an adapter
found (all tables, rejected rows, reconciliation checks). ``SOURCES`` lists every source id.
:func:`detect` tells a file's source from its content.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import ParoleError, UnknownSourceError
from .base import AdapterResult


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
    """The source records of ``sources.yml`` beside this module (or of ``text``), checked:
    every key present, no unknown key, a known frequency, unique ids."""
    import yaml

    if text is None:
        text = (resources.files(__package__) / "sources.yml").read_text(encoding="utf-8")
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


def adapter(source: str):
    info = check_source(source)
    try:
        return importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        if exc.name == info.module:
            raise ParoleError(f"source {source!r} has no adapter yet ({info.module})") from None
        raise


def load(path: Path | str, source: str, *, source_file: str | None = None,
         citation: str | None = None) -> AdapterResult:
    """Run the adapter for ``source`` on ``path`` and validate every table it returns.

    ``source_file`` is the path recorded in each row (relative to data/raw; defaults to the
    file name); ``citation`` is the manifest's citation for the file.
    """
    from .. import schemas

    module = adapter(source)
    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such file")
    _check_limits(path)
    result: AdapterResult = module.parse(path, source_file=source_file or path.name,
                                         citation=citation or default_citation(source))
    for table, frame in list(result.tables.items()):
        result.tables[table] = schemas.validate(table, frame, origin=str(path))
    return result


def _check_limits(path: Path) -> None:
    """The reading layer's size limits, applied before any adapter opens the file (so no
    adapter can be handed a compression bomb or an over-large file, whatever it reads with)."""
    from . import reading

    reading.check_size(path)
    if reading.kind(path) == "xlsx":
        reading.check_workbook(path)


def read(path: Path | str, source: str, table: str | None = None) -> pd.DataFrame:
    """One table read from ``path`` by the adapter for ``source``, in the contract's schema.

    With ``table`` unset: ``counts`` if the adapter produced it, else its only table.
    """
    result = load(path, source)
    if table is None:
        table = "counts" if "counts" in result.tables else next(iter(result.tables), None)
    if table not in result.tables:
        raise ParoleError(f"{path}: source {source!r} gives no {table!r} table "
                          f"(it gives {', '.join(result.tables) or 'none'})")
    return result.tables[table]



# The function, not the module of the same name: importing the submodule here, once, binds
# ``analysis.sources.detect`` to the function for good.
from .detect import detect as detect  # noqa: E402
