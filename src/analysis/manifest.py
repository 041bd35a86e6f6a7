"""The raw-data manifest: every file in ``data/raw/`` with its source, citation and checksum.

``data/raw/manifest.csv`` columns: ``path`` (relative to data/raw), ``source`` (adapter id),
``citation``, ``url`` (original address), ``retrieved`` (date), ``sha256``.
Raw files are immutable: once registered, a file with the same name and other content is refused,
and a registered file whose content changed stops ingestion.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from . import config, storage
from .errors import ChecksumError, InputError, ParoleError

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
    """The manifest's entries (an empty list when there is no manifest yet)."""
    path = config.manifest_path(data_dir)
    if not path.is_file():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}",
                         expected="columns " + ", ".join(COLUMNS))
    return [Entry(**{c: row[c] for c in COLUMNS}) for _, row in frame.iterrows()]


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


def add(file: Path | str, source: str, *, data_dir: Path | str | None = None,
        url: str = "", citation: str = "", retrieved: str | None = None,
        name: str | None = None) -> tuple[Entry, bool]:
    """Copy ``file`` into ``data/raw/<source>/`` and register it.

    Returns the entry and whether anything changed. Refuses an unknown source, a name that
    would land outside ``data/raw``, and a different file under a registered name.
    """
    from .sources import check_source, default_citation

    check_source(source)
    data_dir = Path(data_dir or config.default_data_dir())
    src = Path(file)
    if not src.is_file():
        raise ParoleError(f"{src}: no such file")
    raw = config.raw_dir(data_dir)
    dest = _safe_destination(raw, source, name or src.name)
    rel = dest.relative_to(raw.resolve()).as_posix()
    digest = sha256(src)
    entries = read(data_dir)
    existing = next((e for e in entries if e.path == rel), None)
    if dest.exists() and sha256(dest) != digest:
        raise ParoleError(f"{rel}: a different file of that name is already in data/raw; "
                          "raw files are immutable (give the new one another name)")
    if existing is not None:
        if existing.sha256 != digest:
            raise ParoleError(f"{rel}: already registered with another checksum; refused")
        return existing, False
    if not dest.exists():
        storage.copy_file(src, dest)
    entry = Entry(path=rel, source=source, citation=citation or default_citation(source),
                  url=url, retrieved=retrieved or date.today().isoformat(), sha256=digest)
    write(data_dir, [*entries, entry])
    return entry, True


def verify(data_dir: Path | str) -> list[Entry]:
    """Check every registered file against its checksum; raise on the first mismatch."""
    raw = config.raw_dir(data_dir)
    entries = read(data_dir)
    for entry in entries:
        path = raw / entry.path
        if not path.is_file():
            raise ChecksumError(f"data/raw/{entry.path}: registered in the manifest but missing")
        actual = sha256(path)
        if actual != entry.sha256:
            raise ChecksumError(
                f"data/raw/{entry.path}: content changed since it was registered "
                f"(manifest sha256 {entry.sha256[:12]}..., file {actual[:12]}...); raw files are "
                "immutable: restore it, or add the new version under another name")
    return entries


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
