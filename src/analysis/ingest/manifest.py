"""The raw-data manifest: every file in ``data/raw/`` with its source, citation and checksum.

``data/raw/manifest.csv`` columns: ``path`` (relative to data/raw), ``source`` (adapter id),
``citation``, ``url`` (original address), ``retrieved`` (date), ``sha256``.
Raw files are immutable: once registered, a file with the same name and other content is refused,
and a registered file whose content changed stops ingestion.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.errors import ChecksumError, InputError, ParoleError
from analysis.ingest import storage

COLUMNS = ["path", "source", "citation", "url", "retrieved", "sha256"]


@dataclass(frozen=True)
class Entry:
    path: str
    source: str
    citation: str
    url: str
    retrieved: str
    sha256: str


def sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read(data_dir: Path | str) -> list[Entry]:
    """The manifest's entries (an empty list when there is no manifest yet).

    A manifest that is not a CSV text file, lacks a column or has a malformed row is refused
    naming the line."""
    from analysis.ingest.sources.reading import read_csv

    path = config.manifest_path(data_dir)
    if not path.is_file():
        return []
    if path.stat().st_size == 0:
        raise InputError(path, "empty file", expected="a CSV header " + ",".join(COLUMNS))
    grid = read_csv(path)
    if not grid.rows:
        raise InputError(path, "no header", expected="a CSV header " + ",".join(COLUMNS))
    header = [c.strip() for c in grid.rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", locator="line 1",
                         expected="columns " + ", ".join(COLUMNS))
    index = {c: header.index(c) for c in COLUMNS}
    entries = []
    for row_number, row in enumerate(grid.rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(row)} cells where the header has {len(header)}",
                             locator=grid.where(row_number),
                             expected="one cell per column: " + ",".join(COLUMNS))
        entry = Entry(**{c: row[index[c]] for c in COLUMNS})
        if not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
            raise InputError(path, "the sha256 cell is not a SHA-256 checksum",
                             locator=grid.where(row_number, index["sha256"], "sha256"),
                             expected="64 hexadecimal digits")
        entries.append(entry)
    return entries


def write(data_dir: Path | str, entries: list[Entry]) -> Path:
    frame = pd.DataFrame([e.__dict__ for e in entries], columns=COLUMNS)
    frame = frame.sort_values("path", kind="stable")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return storage.write_text(buffer.getvalue(), config.manifest_path(data_dir))


def _safe_destination(raw: Path, source: str, name: str) -> Path:
    if not name or name in {".", ".."} or "/" in name or "\\" in name or name.startswith("."):
        raise ParoleError(f"{name!r}: not a plain file name; the file must land inside "
                          f"{raw}/{source}/")
    dest = (raw / source / name).resolve()
    if not dest.is_relative_to(raw.resolve()):
        raise ParoleError(f"{name!r}: would land outside {raw}; refused")
    return dest


def require_data_dir(data_dir: Path | str | None) -> Path:
    """``data_dir`` (default: the project's data folder) if it exists; never created silently,
    so a mistyped ``--data-dir`` stops with a message."""
    folder = Path(data_dir or config.default_data_dir())
    if not folder.is_dir():
        raise ParoleError(f"{folder}: no such data folder (check --data-dir; create the folder "
                          "first to start a new one)")
    return folder


def resolve_registered(data_dir: Path | str, rel: str) -> Path:
    """The file of manifest path ``rel``, refused unless it lies inside data/raw as a regular
    file reached without symbolic links (a manifest row ``../../etc/passwd`` is never read)."""
    raw = config.raw_dir(data_dir)
    where = f"data/raw/{rel}"
    parts = Path(rel).parts
    if not rel or Path(rel).is_absolute() or "\\" in rel or any(p in ("..", ".") for p in parts) \
            or rel.startswith("/"):
        raise InputError(config.manifest_path(data_dir), f"path {rel!r} is not inside data/raw",
                         expected="a path relative to data/raw such as source/file.csv")
    current = raw
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise ParoleError(f"{where}: a symbolic link; raw files must be real files inside "
                              "data/raw (refused)")
    if not current.resolve().is_relative_to(raw.resolve()):
        raise ParoleError(f"{where}: resolves outside data/raw; refused")
    return current


def add(file: Path | str, source: str, *, data_dir: Path | str | None = None,
        url: str = "", citation: str = "", retrieved: str | None = None,
        name: str | None = None) -> tuple[Entry, bool]:
    """Copy ``file`` into ``data/raw/<source>/`` and register it, holding the data lock.

    Returns the entry and whether anything changed. Refuses an unknown source, a symbolic
    link, a name that would land outside ``data/raw``, a different file under a registered
    name, and content already registered under another name.
    """
    from analysis.ingest.sources import check_source, default_citation

    check_source(source)
    data_dir = Path(data_dir or config.default_data_dir())  # a new data folder may start here
    src = Path(file)
    if src.is_symlink():
        raise ParoleError(f"{src}: a symbolic link; give the file itself (links are refused so "
                          "that what is registered is what you named)")
    if not src.is_file():
        raise ParoleError(f"{src}: no such file")
    raw = config.raw_dir(data_dir)
    dest = _safe_destination(raw, source, name or src.name)
    rel = dest.relative_to(raw.resolve()).as_posix()
    digest = sha256(src)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage.WriteError(f"{data_dir}: cannot create the data folder "
                                 f"({exc.strerror or exc})") from exc
    with storage.lock(data_dir, f"parole add {rel}"):
        entries = read(data_dir)
        if not entries and not config.manifest_path(data_dir).exists() and raw.is_dir() \
                and [f for f in unregistered(data_dir) if f != rel]:
            raise ParoleError(f"{config.manifest_path(data_dir)}: no manifest, but data/raw "
                              "holds files; restore the manifest (e.g. from git) before adding")
        _refuse_repeated(data_dir, entries)
        existing = next((e for e in entries if e.path == rel), None)
        if dest.exists() and sha256(dest) != digest:
            raise ParoleError(f"{rel}: a different file of that name is already in data/raw; "
                              "raw files are immutable (give the new one another name)")
        if existing is not None:
            if existing.sha256 != digest:
                raise ParoleError(f"{rel}: already registered with another checksum; refused")
            return existing, False
        twin = next((e for e in entries if e.sha256 == digest), None)
        if twin is not None:
            raise ParoleError(f"{src}: the same content is already registered as "
                              f"data/raw/{twin.path}; registering it twice would count every "
                              "figure twice (refused)")
        copied = not dest.exists()
        if copied:
            storage.copy_file(src, dest)
        storage.fault_point("add:copied")
        entry = Entry(path=rel, source=source, citation=citation or default_citation(source),
                      url=url, retrieved=retrieved or date.today().isoformat(), sha256=digest)
        try:
            write(data_dir, [*entries, entry])
        except BaseException:
            if copied:  # leave data/raw as it was: no unregistered copy behind
                dest.unlink(missing_ok=True)
            raise
    return entry, True


def _refuse_repeated(data_dir: Path | str, entries: list[Entry]) -> None:
    again = repeated(entries)
    if again:
        raise ParoleError(
            f"{config.manifest_path(data_dir)}: the row of data/raw/{again[0].path} appears more "
            f"than once ({len(again)} repeated row(s)); delete the repeated line(s) before "
            "adding (nothing was changed)")


def remove(file: Path | str, *, data_dir: Path | str | None = None,
           keep_file: bool = False) -> Entry:
    """Unregister a raw file (``source/name``, ``data/raw/source/name`` or its full path) and
    delete it from data/raw unless ``keep_file``. The processed tables keep its rows until
    the next ``parole ingest``."""
    data_dir = require_data_dir(data_dir)
    raw = config.raw_dir(data_dir)
    given = str(file)
    candidates = {given.replace("\\", "/").removeprefix("./")}
    for prefix in ("data/raw/", "raw/"):
        candidates |= {c.removeprefix(prefix) for c in set(candidates)}
    path = Path(given)
    if path.is_absolute() or path.exists():
        try:
            candidates.add(path.absolute().relative_to(raw.absolute()).as_posix())
        except ValueError:
            pass
    with storage.lock(data_dir, f"parole remove {given}"):
        entries = read(data_dir)
        entry = next((e for e in entries if e.path in candidates), None)
        if entry is None:
            raise ParoleError(f"{given}: not registered in {config.manifest_path(data_dir)} "
                              "(`parole inspect` or the manifest lists the registered files)")
        target = resolve_registered(data_dir, entry.path)
        write(data_dir, [e for e in entries if e is not entry])
        if not keep_file:
            try:
                target.unlink(missing_ok=True)
            except OSError as exc:
                raise storage.WriteError(f"data/raw/{entry.path}: unregistered, but the file "
                                         f"could not be deleted ({exc.strerror or exc})") from exc
    return entry


def verify(data_dir: Path | str) -> list[Entry]:
    """Check every registered file: inside data/raw, no symbolic link, checksum unchanged;
    raise on the first problem."""
    entries = read(data_dir)
    for entry in entries:
        path = resolve_registered(data_dir, entry.path)
        if not path.is_file():
            raise ChecksumError(f"data/raw/{entry.path}: registered in the manifest but missing")
        actual = sha256(path)
        if actual != entry.sha256:
            raise ChecksumError(
                f"data/raw/{entry.path}: content changed since it was registered "
                f"(manifest sha256 {entry.sha256[:12]}..., file {actual[:12]}...); raw files are "
                "immutable: restore it, or add the new version under another name")
    return entries


def repeated(entries: list[Entry]) -> list[Entry]:
    """Rows that repeat an earlier row's path (a manifest row pasted twice): the file is
    one file, ingested once."""
    seen: set[str] = set()
    found = []
    for entry in entries:
        if entry.path in seen:
            found.append(entry)
        seen.add(entry.path)
    return found


def unique(entries: list[Entry]) -> list[Entry]:
    """``entries`` without :func:`repeated` rows (the first row of each path is kept)."""
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.path not in seen:
            kept.append(entry)
        seen.add(entry.path)
    return kept


def duplicates(entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """(later, first) pairs of entries whose files have the same content; the first is the
    one retrieved first (then by path)."""
    first: dict[str, Entry] = {}
    found = []
    for entry in sorted(unique(entries), key=lambda e: (e.retrieved, e.path)):
        if entry.sha256 in first:
            found.append((entry, first[entry.sha256]))
        else:
            first[entry.sha256] = entry
    return found


def unregistered(data_dir: Path | str) -> list[str]:
    """Files under data/raw that the manifest does not list (they are not ingested)."""
    raw = config.raw_dir(data_dir)
    known = {e.path for e in read(data_dir)} | {config.MANIFEST}
    found = []
    for path in sorted(raw.rglob("*")):
        rel = path.relative_to(raw).as_posix()
        if path.is_file() and rel not in known and not path.name.startswith("."):
            found.append(rel)
    return [f for f in found if not f.endswith("README.md")]
