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


def _select(frame: pd.DataFrame, filters: dict) -> pd.DataFrame:
    """Rows whose columns hold the given values (a value, or a list of values); None: any."""
    for column, wanted in filters.items():
        if wanted is None:
            continue
        if column not in frame.columns:
            raise ParoleError(f"no column {column!r} to filter on; columns: "
                              + ", ".join(frame.columns))
        values = wanted if isinstance(wanted, list | tuple | set | frozenset) else [wanted]
        frame = frame[frame[column].isin(list(values))]
    return frame.reset_index(drop=True)


def load_table(table: str, data_dir: Path | str | None = None, **filters) -> pd.DataFrame:
    """A processed table (``counts``, ``processing_times``, ``cases``, ``published_figures``),
    keeping the rows whose columns hold the values given as keywords (a value or a list).

    >>> load_table("counts", category="chnv-parole", period="FY2023")  # doctest: +SKIP
    """
    return _select(read_table_once(table, data_dir), filters)


def load_counts(*, source=None, category=None, measure=None, geo_level=None, geo_code=None,
                period=None, fiscal_year=None, form=None, status=None,
                data_dir: Path | str | None = None) -> pd.DataFrame:
    """The ``counts`` table (one row per published number, with its provenance), filtered.

    Every filter takes a value or a list of values; left out, it keeps every row. Columns are
    described in ``docs/codebook.md`` (``geo_level``, ``geo_code``, ``period``, ``value``,
    ``status``, ``source_file``, ``source_locator``, ``citation``, ...).

    >>> released = load_counts(category="uc-released-to-sponsors", geo_level="state",
    ...                        period=["FY2020", "FY2021"])           # doctest: +SKIP
    >>> released.groupby("period")["value"].sum()                      # doctest: +SKIP
    """
    return load_table("counts", data_dir, source=source, category=category, measure=measure,
                      geo_level=geo_level, geo_code=geo_code, period=period,
                      fiscal_year=fiscal_year, form=form, status=status)


def load_processing_times(*, form=None, subtype=None, geo_code=None, statistic=None,
                          data_dir: Path | str | None = None) -> pd.DataFrame:
    """The ``processing_times`` table (published medians and 80th percentiles, by office and
    form; ``as_of`` is the publication date of page captures), filtered like
    :func:`load_counts`.

    >>> load_processing_times(form="I-131", statistic="p80")  # doctest: +SKIP
    """
    return load_table("processing_times", data_dir, form=form, subtype=subtype,
                      geo_code=geo_code, statistic=statistic)
