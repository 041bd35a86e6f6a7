"""Source adapters: one per publisher format, each turning a raw file into contract tables.

Use :func:`read` for one file's table as a DataFrame, :func:`load` for everything an adapter
found (all tables, rejected rows, reconciliation checks). ``SOURCES`` lists every source id.
:func:`detect` tells a file's source from its content.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

from analysis.contract.catalog import (  # noqa: F401 (the catalog, re-exported here)
    FREQUENCIES,
    SOURCES,
    Schedule,
    Source,
    check_source,
    default_citation,
    describe,
    load_catalog,
)
from analysis.errors import ParoleError
from analysis.ingest.sources.base import AdapterResult


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
    from analysis.contract import schemas

    module = adapter(source)
    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such file")
    _check_limits(path)
    result: AdapterResult = module.parse(path, source_file=source_file or path.name,
                                         citation=citation or default_citation(source))
    if "counts" in result.tables:  # the one place a number's origin is decided
        result.tables["counts"] = result.tables["counts"].assign(
            origin="transcribed" if source == "published" else "machine-read")
    for table, frame in list(result.tables.items()):
        result.tables[table] = schemas.validate(table, frame, origin=str(path))
    return result


def _check_limits(path: Path) -> None:
    """The reading layer's size limits, applied before any adapter opens the file (so no
    adapter can be handed a compression bomb or an over-large file, whatever it reads with)."""
    from analysis.ingest.sources import reading

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
# ``analysis.ingest.sources.detect`` to the function for good.
from analysis.ingest.sources.detect import detect as detect  # noqa: E402
