"""Processed-data generations and the data-folder lock (atomic writes: :mod:`analysis.files`;
reading tables: :mod:`analysis.contract.store`).

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

import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from analysis import config
from analysis.contract.store import (  # noqa: F401 (readers' functions, used here too)
    CURRENT,
    GENERATIONS,
    current_generation,
    generations_dir,
    read_table,
    table_path,
)
from analysis.errors import ParoleError
from analysis.files import (  # noqa: F401 (ingestion writes through these)
    WriteError,
    atomic_write,
    copy_file,
    fault_point,
    file_mode,
    fsync_dir,
    write_json,
    write_parquet,
    write_text,
)

INCOMING = ".incoming-"
KEEP_OLD_GENERATIONS = 2  # previous generations kept for readers still reading them
LOCK_NAME = ".parole.lock"
LOCK_TIMEOUT = 600.0


# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# the data-folder lock


def lock_timeout() -> float:
    return config.lock_timeout(LOCK_TIMEOUT)


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
    handle = FileLock(str(path), mode=file_mode())
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


def publish(data_dir: Path | str, incoming: Path, names: list[str], *,
            legacy: list[str] | tuple[str, ...] = ()) -> Path:
    """Make the complete generation in ``incoming`` the one readers see, in one atomic step.

    ``names`` are the files of a generation; each gets a stable link ``processed/<name>`` ->
    ``current/<name>`` (made once). ``legacy`` names tables an older version wrote directly
    into ``processed/`` (``cases/``); those real files and folders are moved out of readers'
    way. Nothing else in ``processed/`` is moved.
    """
    processed = config.processed_dir(data_dir)
    final = incoming.with_name(incoming.name.removeprefix(INCOMING))
    try:
        fsync_dir(incoming)
        fault_point("publish:rename")
        os.rename(incoming, final)
        fsync_dir(final.parent)
        fault_point("publish:links")
        for name in names:
            _stable_link(processed, name)
        _retire_old_layout(processed, [n for n in legacy if n not in names])
        fault_point("publish:switch")
        pointer = processed / f".{CURRENT}.{secrets.token_hex(4)}.tmp"
        os.symlink(Path(GENERATIONS) / final.name, pointer)
        os.replace(pointer, processed / CURRENT)  # the one step that switches generations
        fsync_dir(processed)
        fault_point("published")
    except OSError as exc:
        raise WriteError(f"{processed}: cannot switch to the new tables "
                         f"({exc.strerror or exc}); readers still see the previous ones") \
            from exc
    fault_point("published")
    return final


def _retire_old_layout(processed: Path, legacy: list[str]) -> None:
    """Move tables an older version wrote directly into ``processed/`` under ingestion's own
    names (real files and folders, not links) out of readers' way; :func:`clean` deletes them
    later."""
    for name in legacy:
        path = processed / name
        if path.exists() and not path.is_symlink():
            os.rename(path, processed / GENERATIONS / f".old-{name}-{secrets.token_hex(3)}")


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


#: Names of what ingestion writes, and so may replace, move or delete (anything else in
#: ``data/processed`` is the user's and is left where it is).
GENERATION_NAME = re.compile(r"\d{8}T\d{6}-\d+-[0-9a-f]{6}")
LEFTOVER_NAME = re.compile(rf"{re.escape(INCOMING)}{GENERATION_NAME.pattern}|"
                           r"\.old-.+-[0-9a-f]{6}")
TMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


def check_layout(data_dir: Path | str) -> None:
    """Refuse, before anything is moved or removed, a ``data/processed`` holding symbolic links
    that ingestion did not make: a ``generations`` folder that is a link (its target's files
    would be deleted as old generations), a ``current`` that points outside ``generations/``,
    or any other link beside the tables' own links."""
    processed = config.processed_dir(data_dir)
    if not processed.is_dir():
        return
    for path in sorted(processed.iterdir()):
        if path.is_symlink() and not _own_link(path):
            raise ParoleError(
                f"{path}: a symbolic link ingestion did not make (-> {os.readlink(path)!r}); "
                "parole ingest writes, moves and deletes only its own files in data/processed, "
                "so it refuses to go on (nothing was changed). Move the link away, or give "
                "--data-dir a folder of its own")
    gens = generations_dir(data_dir)
    if gens.is_dir():
        for path in sorted(gens.iterdir()):
            if path.is_symlink():
                raise ParoleError(f"{path}: a symbolic link inside data/processed/"
                                  f"{GENERATIONS}; refused before anything is removed "
                                  "(nothing was changed)")


def _own_link(path: Path) -> bool:
    """Whether ``path`` is one of the links ingestion makes: ``current`` ->
    ``generations/<id>``, or ``<name>`` -> ``current/<name>``."""
    target = os.readlink(path)
    if path.name == CURRENT:
        parts = Path(target).parts
        return len(parts) == 2 and parts[0] == GENERATIONS and \
            GENERATION_NAME.fullmatch(parts[1]) is not None
    if path.name == GENERATIONS:
        return False
    return target == f"{CURRENT}/{path.name}" or TMP_NAME.fullmatch(path.name) is not None


def foreign(data_dir: Path | str, names: list[str] | tuple[str, ...]) -> list[str]:
    """Entries of ``data/processed`` (and of its ``generations/``) that ingestion did not write
    and so never touches: reported, left where they are."""
    processed = config.processed_dir(data_dir)
    found: list[str] = []
    if not processed.is_dir():
        return found
    own = {CURRENT, GENERATIONS, "README.md", LOCK_NAME, LOCK_NAME + ".holder", *names}
    for path in sorted(processed.iterdir()):
        if path.name not in own and TMP_NAME.fullmatch(path.name) is None:
            found.append(path.name)
    gens = generations_dir(data_dir)
    if gens.is_dir() and not gens.is_symlink():
        for path in sorted(gens.iterdir()):
            if not (GENERATION_NAME.fullmatch(path.name) or LEFTOVER_NAME.fullmatch(path.name)):
                found.append(f"{GENERATIONS}/{path.name}")
    return found


def clean(data_dir: Path | str, *, keep: int = KEEP_OLD_GENERATIONS) -> list[str]:
    """Remove what killed runs left (half-written generations, temporary files) and all but
    the ``keep`` newest previous generations. Only names ingestion writes are touched; a
    symbolic link it did not make stops everything before anything is removed
    (:func:`check_layout`). Call only while holding :func:`lock`."""
    check_layout(data_dir)
    processed = config.processed_dir(data_dir)
    removed: list[str] = []
    if not processed.is_dir():
        return removed
    for tmp in processed.glob(".*.tmp"):
        if TMP_NAME.fullmatch(tmp.name) and (tmp.is_symlink() or tmp.is_file()):
            tmp.unlink(missing_ok=True)
            removed.append(tmp.name)
    gens = generations_dir(data_dir)
    if not gens.is_dir():
        return removed
    current = current_generation(data_dir)
    current_name = current.name if current is not None else None
    complete = []
    for folder in gens.iterdir():
        if LEFTOVER_NAME.fullmatch(folder.name):
            _remove(folder)
            removed.append(f"{GENERATIONS}/{folder.name}")
        elif GENERATION_NAME.fullmatch(folder.name) and folder.name != current_name \
                and folder.is_dir():
            complete.append(folder)
    complete.sort(key=lambda f: f.name, reverse=True)
    for folder in complete[keep:]:
        _remove(folder)
        removed.append(f"{GENERATIONS}/{folder.name}")
    return removed


def _remove(path: Path) -> None:
    """Delete one of ingestion's own leftovers (a link is unlinked, never followed)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
