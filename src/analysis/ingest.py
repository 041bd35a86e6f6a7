"""Ingestion: every registered raw file through its adapter into validated Parquet tables.

Order of work, so that a failure never leaves a half-updated ``data/processed/``:

1. verify every checksum in ``data/raw/manifest.csv`` (a changed raw file stops everything);
2. run each file's adapter in memory (a malformed file stops everything, naming the file);
3. validate each combined table against the contract;
4. write each table atomically, then ``processed/ingest_report.json``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from . import __version__, config, manifest, schemas, sources, storage
from .sources import revisions

TABLES = ("counts", "processing_times", "cases", "published_figures")
REPORT_NAME = "ingest_report.json"


def run(data_dir: Path | str | None = None, *, progress: bool = True) -> dict[str, Any]:
    """Ingest every registered raw file under ``data_dir``; return the ingest report."""
    data_dir = Path(data_dir or config.default_data_dir())
    entries = manifest.verify(data_dir)
    raw = config.raw_dir(data_dir)
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    files = []
    for entry in tqdm(entries, desc="ingest", unit="file", disable=not progress):
        result = sources.load(raw / entry.path, entry.source, source_file=entry.path,
                              citation=entry.citation)
        for table, frame in result.tables.items():
            parts[table].append(frame)
        files.append({
            "path": entry.path, "source": entry.source, "sha256": entry.sha256,
            "rows": {t: len(f) for t, f in result.tables.items()},
            "rejected": [r.as_dict() for r in result.rejected],
            "reconciliation": [r.as_dict() for r in result.reconciliation],
            "notes": result.notes,
            "release": revisions.release_of(result, entry.retrieved),
        })
    tables = {}
    for table in TABLES:
        frames = [f for f in parts[table] if not f.empty]
        combined = pd.concat(frames, ignore_index=True) if frames else schemas.empty(table)
        if table == "counts":  # one figure per series and period: the latest release's
            combined, revised = revisions.keep_latest(
                combined, {f["path"]: f["release"] for f in files})
        tables[table] = schemas.validate(table, combined, origin=f"combined {table} table")
    out = config.processed_dir(data_dir)
    for table, frame in tables.items():
        storage.write_parquet(frame, out / f"{table}.parquet")
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parole_stats_version": __version__,
        "data_dir": str(data_dir),
        "tables": {t: {"rows": len(f), "path": f"processed/{t}.parquet"}
                   for t, f in tables.items()},
        "files": files,
        "unregistered_files": manifest.unregistered(data_dir),
        "reconciliation_differences": [
            {"path": f["path"], **check} for f in files for check in f["reconciliation"]
            if not check["matches"]],
        "rows_rejected": sum(len(f["rejected"]) for f in files),
        "revisions": [r.as_dict() for r in revised],
    }
    storage.write_json(report, out / REPORT_NAME)
    return report


def summary(report: dict[str, Any]) -> str:
    """A few plain lines for the terminal."""
    lines = [f"{t}: {info['rows']} rows -> {info['path']}" for t, info in report["tables"].items()]
    lines.append(f"files: {len(report['files'])}; rows rejected: {report['rows_rejected']}")
    for diff in report["reconciliation_differences"]:
        lines.append(f"reconciliation: {diff['path']} {diff['period']}: {diff['check']}: parts "
                     f"{diff['parts_sum']:,.0f} vs published {diff['published_total']:,.0f} "
                     f"(difference {diff['difference']:+,.0f})")
    for rel in report["unregistered_files"]:
        lines.append(f"not ingested (not in manifest): data/raw/{rel}")
    return "\n".join(lines)
