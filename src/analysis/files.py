"""Atomic file writes: nothing half-written is ever left at a final path.

Each write goes to a temporary file in the same folder, is flushed to disk, then renamed over the
target in one step. Files get the usual permissions (0644 under the common umask 022), never the
0600 of a temporary file. :func:`fault_point` lets the test suite kill or fail a run at a named
step (``PAROLE_FAULT``). Used by every layer that writes: ingestion, reports, charts, docs.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import config
from analysis.errors import ParoleError

if TYPE_CHECKING:  # pandas is imported by the callers that write tables, not at start-up
    import pandas as pd


class WriteError(ParoleError, OSError):
    """A write that failed (disk full, read-only folder): names the path; nothing was replaced."""



# # fault injection (used by the test suite to kill or fail a run at a named step)


def fault_point(step: str) -> None:
    """Let tests stop a run at ``step``: ``PAROLE_FAULT=kill:STEP`` sends SIGKILL to this very
    process; ``PAROLE_FAULT=enospc:STEP`` raises "No space left on device" and ``erofs:STEP``
    "Read-only file system". ``STEP`` may end in ``*`` to match every step with that prefix.
    Does nothing when the variable is unset."""
    spec = config.fault()
    if not spec:
        return
    action, _, pattern = spec.partition(":")
    matched = step.startswith(pattern[:-1]) if pattern.endswith("*") else step == pattern
    if not matched:
        return
    if action == "kill":
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(10)  # pragma: no cover - the signal arrives first
    if action in ("enospc", "erofs"):
        code = errno.ENOSPC if action == "enospc" else errno.EROFS
        raise OSError(code, os.strerror(code))


# # atomic writes


def file_mode() -> int:
    """0666 minus the process umask (0644 under the usual 022), as ``open()`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path``, flush it to disk and rename it
    over ``path`` in one step; a failure leaves the previous file as it was."""
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        os.chmod(tmp, file_mode())
        write(tmp)
        fault_point(f"write:{path.name}")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except WriteError:
        raise
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc}); the previous "
                         "file, if any, is unchanged") from exc
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    return path


def write_parquet(df: pd.DataFrame, path: Path | str) -> Path:
    """Write ``df`` to Parquet at ``path`` atomically."""
    return atomic_write(Path(path), lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_text(text: str, path: Path | str) -> Path:
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(obj: object, path: Path | str) -> Path:
    return write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n", path)


def copy_file(src: Path | str, dest: Path | str) -> Path:
    """Copy ``src`` to ``dest`` atomically, in blocks (never the whole file in memory)."""
    return atomic_write(Path(dest), lambda tmp: shutil.copyfile(src, tmp))


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# the former private names, until ingest.storage and case_records import the public ones
_atomic, _file_mode, _fsync_dir = atomic_write, file_mode, fsync_dir
