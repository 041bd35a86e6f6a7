"""Reading the processed contract tables that ingestion published.

``data/processed/`` is written in *generations* (see :mod:`analysis.ingest.storage`): the link
``processed/current`` names the generation readers see, and ``processed/<table>.parquet`` are
links through it. Read several tables with the same ``generation`` to get them from one ingest.
"""

from __future__ import annotations

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
    return pd.read_parquet(path, **kwargs)
