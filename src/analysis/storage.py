"""Atomic file writes and reading processed tables.

Nothing half-written is ever left at a final path: each write goes to a temporary file in the
same folder, is flushed to disk, then renamed over the target in one step.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import config
from .errors import ParoleError


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_parquet(df: pd.DataFrame, path: Path | str) -> Path:
    """Write ``df`` to Parquet at ``path`` atomically."""
    return _atomic(Path(path), lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_text(text: str, path: Path | str) -> Path:
    return _atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(obj: object, path: Path | str) -> Path:
    return write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n", path)


def copy_file(src: Path | str, dest: Path | str) -> Path:
    data = Path(src).read_bytes()
    return _atomic(Path(dest), lambda tmp: tmp.write_bytes(data))


def table_path(data_dir: Path | str, table: str) -> Path:
    return config.processed_dir(data_dir) / f"{table}.parquet"


def read_table(table: str, data_dir: Path | str | None = None, **kwargs) -> pd.DataFrame:
    """Read a processed table (``counts``, ``processing_times``, ...); extra arguments go to
    :func:`pandas.read_parquet` (``columns=``, ``filters=``)."""
    path = table_path(data_dir or config.default_data_dir(), table)
    if not path.is_file():
        raise ParoleError(f"{path}: no such table; run `parole ingest` first")
    return pd.read_parquet(path, **kwargs)
