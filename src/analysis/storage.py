"""Atomic file writes, processed-data generations, the data-folder lock, and reading tables.

Nothing half-written is ever left at a final path: each write goes to a temporary file in the
same folder, is flushed to disk, then renamed over the target in one step. Files get the usual
permissions (0644 under the common umask 022), never the 0600 of a temporary file.

``data/processed/`` is written as a whole, in *generations*: ``parole ingest`` writes every table
and its report into a new folder ``processed/generations/<id>/`` and then switches the symbolic
link ``processed/current`` to it with one :func:`os.replace`. The familiar names
(``processed/counts.parquet``, ``processed/ingest_report.json``) are symbolic links through
``current``, so a reader sees the whole old generation or the whole new one, never a mix, even
when a run is killed or the disk fills up. Leftovers of a killed run are removed by the next run.

Commands that change ``data/`` (``parole ingest``, ``add``, ``fetch``, ``remove``) hold
:func:`lock`; a second command waits for the first (up to ``PAROLE_LOCK_TIMEOUT`` seconds,
default 600) and then refuses with a clear message.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import config
from .errors import ParoleError

CURRENT = "current"
GENERATIONS = "generations"
INCOMING = ".incoming-"
KEEP_OLD_GENERATIONS = 2  # previous generations kept for readers still reading them
LOCK_NAME = ".parole.lock"
LOCK_TIMEOUT = 600.0


class WriteError(ParoleError, OSError):
    """A write that failed (disk full, read-only folder): names the path; nothing was replaced."""


# ---------------------------------------------------------------------------------------------
# fault injection (used by the test suite to kill or fail a run at a named step)


def fault_point(step: str) -> None:
    """Let tests stop a run at ``step``: ``PAROLE_FAULT=kill:STEP`` sends SIGKILL to this very
    process; ``PAROLE_FAULT=enospc:STEP`` raises "No space left on device" and ``erofs:STEP``
    "Read-only file system". ``STEP`` may end in ``*`` to match every step with that prefix.
    Does nothing when the variable is unset."""
    spec = os.environ.get("PAROLE_FAULT")
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


# ---------------------------------------------------------------------------------------------
# atomic writes


def _file_mode() -> int:
    """0666 minus the process umask (0644 under the usual 022), as ``open()`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        os.chmod(tmp, _file_mode())
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
    return _atomic(Path(path), lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_text(text: str, path: Path | str) -> Path:
    return _atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(obj: object, path: Path | str) -> Path:
    return write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n", path)


def copy_file(src: Path | str, dest: Path | str) -> Path:
    """Copy ``src`` to ``dest`` atomically, in blocks (never the whole file in memory)."""
    return _atomic(Path(dest), lambda tmp: shutil.copyfile(src, tmp))


def _fsync_dir(folder: Path) -> None:
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


# ---------------------------------------------------------------------------------------------
# the data-folder lock


def lock_timeout() -> float:
    value = os.environ.get("PAROLE_LOCK_TIMEOUT")
    if not value:
        return LOCK_TIMEOUT
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ParoleError(f"PAROLE_LOCK_TIMEOUT={value!r}: expected a number of seconds") \
            from None


@contextmanager
def lock(data_dir: Path | str, purpose: str, *, timeout: float | None = None,
         quiet: bool = False) -> Iterator[None]:
    """Hold the lock of ``data_dir`` (one command changing it at a time).

    A second command waits, saying so on stderr, for up to ``timeout`` seconds (default
    :func:`lock_timeout`), then refuses naming the holder.
    """
    from filelock import FileLock, Timeout

    data_dir = Path(data_dir)
    path = data_dir / LOCK_NAME
    info = data_dir / (LOCK_NAME + ".holder")
    wait = lock_timeout() if timeout is None else timeout
    handle = FileLock(str(path), mode=_file_mode())
    try:
        try:
            handle.acquire(timeout=0)
        except Timeout:
            holder = _holder(info)
            if not quiet and wait > 0:
                print(f"parole: waiting for another parole command to finish ({holder}) ...",
                      file=sys.stderr, flush=True)
            try:
                handle.acquire(timeout=wait)
            except Timeout:
                raise ParoleError(
                    f"{data_dir}: another parole command is changing this data folder "
                    f"({_holder(info)}); waited {wait:g} s. Try again when it has finished "
                    "(PAROLE_LOCK_TIMEOUT sets the wait)") from None
    except OSError as exc:
        raise WriteError(f"{path}: cannot take the data-folder lock "
                         f"({exc.strerror or exc})") from exc
    try:
        try:
            info.write_text(f"pid {os.getpid()}: {purpose}", encoding="utf-8")
        except OSError:
            pass
        yield
    finally:
        handle.release()


def _holder(info: Path) -> str:
    try:
        return info.read_text(encoding="utf-8")[:200]
    except OSError:
        return "holder unknown"


# ---------------------------------------------------------------------------------------------
# generations of data/processed


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


def new_generation(data_dir: Path | str) -> Path:
    """An empty folder for a generation being written (invisible to readers until
    :func:`publish`)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = generations_dir(data_dir) / f"{INCOMING}{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise WriteError(f"{folder.parent}: cannot create a folder "
                         f"({exc.strerror or exc})") from exc
    return folder


def publish(data_dir: Path | str, incoming: Path, names: list[str]) -> Path:
    """Make the complete generation in ``incoming`` the one readers see, in one atomic step.

    ``names`` are the files of a generation; each gets a stable link ``processed/<name>`` ->
    ``current/<name>`` (made once).
    """
    processed = config.processed_dir(data_dir)
    final = incoming.with_name(incoming.name.removeprefix(INCOMING))
    try:
        _fsync_dir(incoming)
        fault_point("publish:rename")
        os.rename(incoming, final)
        _fsync_dir(final.parent)
        fault_point("publish:links")
        for name in names:
            _stable_link(processed, name)
        _retire_old_layout(processed, names)
        fault_point("publish:switch")
        pointer = processed / f".{CURRENT}.{secrets.token_hex(4)}.tmp"
        os.symlink(Path(GENERATIONS) / final.name, pointer)
        os.replace(pointer, processed / CURRENT)  # the one step that switches generations
        _fsync_dir(processed)
        fault_point("published")
    except OSError as exc:
        raise WriteError(f"{processed}: cannot switch to the new tables "
                         f"({exc.strerror or exc}); readers still see the previous ones") \
            from exc
    fault_point("published")
    return final


def _retire_old_layout(processed: Path, names: list[str]) -> None:
    """Move tables an older version wrote directly into ``processed/`` (real files and
    folders, not links) out of readers' way; :func:`clean` deletes them later."""
    keep = {CURRENT, GENERATIONS, "README.md", *names}
    for path in processed.iterdir():
        if path.name in keep or path.name.startswith(".") or path.is_symlink():
            continue
        if path.suffix in (".parquet", ".json") or path.is_dir():
            os.rename(path, processed / GENERATIONS / f".old-{path.name}-{secrets.token_hex(3)}")


def _stable_link(processed: Path, name: str) -> None:
    target = Path(CURRENT) / name
    path = processed / name
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    if path.is_dir() and not path.is_symlink():  # a folder written by an older version
        os.rename(path, processed / GENERATIONS / f".old-{name}-{secrets.token_hex(3)}")
    tmp = processed / f".{name}.{secrets.token_hex(4)}.tmp"
    os.symlink(target, tmp)
    os.replace(tmp, path)  # a file left by an older version is replaced in one step


def clean(data_dir: Path | str, *, keep: int = KEEP_OLD_GENERATIONS) -> list[str]:
    """Remove what killed runs left (half-written generations, temporary files) and all but
    the ``keep`` newest previous generations. Call only while holding :func:`lock`."""
    processed = config.processed_dir(data_dir)
    removed: list[str] = []
    if not processed.is_dir():
        return removed
    for tmp in processed.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp.name)
    gens = generations_dir(data_dir)
    if not gens.is_dir():
        return removed
    current = current_generation(data_dir)
    current_name = current.name if current is not None else None
    complete = []
    for folder in gens.iterdir():
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed.append(f"{GENERATIONS}/{folder.name}")
        elif folder.name != current_name:
            complete.append(folder)
    complete.sort(key=lambda f: f.name, reverse=True)
    for folder in complete[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(f"{GENERATIONS}/{folder.name}")
    return removed


# ---------------------------------------------------------------------------------------------
# reading


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
