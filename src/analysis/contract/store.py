"""Reading the processed contract tables that ingestion published.

``data/processed/`` is written in *generations* (see :mod:`analysis.ingest.storage`): the link
``processed/current`` names the generation readers see, and ``processed/<table>.parquet`` are
links through it. Read several tables with the same ``generation`` to get them from one ingest.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.errors import ParoleError

CURRENT = "current"
GENERATIONS = "generations"


def generations_dir(data_dir: Path | str) -> Path:
    return config.processed_dir(data_dir) / GENERATIONS


def current_generation(data_dir: Path | str | None = None) -> Path | None:
    """The folder of the generation readers see now (None before the first ingest, or for a
    folder written by an older version, whose tables lie directly in ``processed/``)."""
    link = config.processed_dir(data_dir or config.default_data_dir()) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    return (link.parent / target)


def table_path(data_dir: Path | str, table: str, generation: Path | None = None) -> Path:
    if generation is not None:
        return Path(generation) / f"{table}.parquet"
    return config.processed_dir(data_dir) / f"{table}.parquet"


def read_table(table: str, data_dir: Path | str | None = None, *,
               generation: Path | None = None, **kwargs) -> pd.DataFrame:
    """Read a processed table (``counts``, ``processing_times``, ...); extra arguments go to
    :func:`pandas.read_parquet` (``columns=``, ``filters=``).

    Several tables read with the same ``generation`` (from :func:`current_generation`) come
    from the same ingest even if another finishes meanwhile."""
    data_dir = data_dir or config.default_data_dir()
    if generation is None:
        generation = current_generation(data_dir)
    path = table_path(data_dir, table, generation)
    if not path.is_file():
        raise ParoleError(f"{table_path(data_dir, table)}: no such table; run `parole ingest` "
                          "first")
    return read_parquet_file(path, **kwargs)


def read_parquet_file(path: Path | str, **kwargs) -> pd.DataFrame:
    """``pd.read_parquet``, a damaged file refused in one line naming it."""
    import pyarrow as pa

    from analysis.errors import InputError

    try:
        return pd.read_parquet(path, **kwargs)
    except (OSError, pa.ArrowException) as exc:
        if isinstance(exc, ParoleError):
            raise
        reason = " ".join(str(exc).split())[:120]
        raise InputError(path, f"not a readable Parquet table ({type(exc).__name__}: {reason})",
                         expected="a table written by `parole ingest`; run it again") from None


@functools.lru_cache(maxsize=8)
def _read_once(path: str, mtime_ns: int) -> pd.DataFrame:
    return read_parquet_file(path)


def read_table_once(table: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """:func:`read_table`, read from disk once per published file: a report that needs a table
    in several sections reads it once (the cache is keyed on the generation's file and its
    modification time, so a new ingest is read afresh). Returns a copy: callers may change it."""
    data_dir = data_dir or config.default_data_dir()
    path = table_path(data_dir, table, current_generation(data_dir))
    if not path.is_file():
        return read_table(table, data_dir)  # raises naming the table
    resolved = path.resolve()
    return _read_once(str(resolved), resolved.stat().st_mtime_ns).copy()
