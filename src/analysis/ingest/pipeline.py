"""Ingestion: every registered raw file through its adapter into validated Parquet tables.

Ingestion is a transaction (see :mod:`analysis.ingest.storage`). Under the data-folder lock:

1. refuse a data folder or manifest that does not exist (nothing would be left to ingest);
2. clean what an earlier, killed run left behind;
3. verify every manifest path (inside data/raw, no symbolic link) and checksum (a changed raw
   file stops everything); content registered twice is ingested once and reported;
4. run each file's adapter in memory (a malformed file stops everything, naming the file);
   side files an adapter reads (``labels.json``) count only when registered;
5. validate each combined table against the contract, and refuse to replace a non-empty
   table with an empty one (unless ``allow_empty``);
6. write every table and ``ingest_report.json`` into a new generation folder, then switch
   ``data/processed/current`` to it in one step.

Readers see the whole previous generation until that switch and the whole new one after it,
whatever happens in between (a killed run, a full disk, a second ``parole ingest``).
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from analysis import __version__, config, limits
from analysis.contract import schemas
from analysis.errors import ParoleError
from analysis.ingest import manifest, sources, storage
from analysis.ingest.sources import reading, revisions

TABLES = ("counts", "processing_times", "cases", "published_figures")
REPORT_NAME = "ingest_report.json"


class WouldEmptyError(ParoleError):
    """An ingest that would replace non-empty tables with empty ones."""


def run(data_dir: Path | str | None = None, *, progress: bool = True,
        allow_empty: bool = False) -> dict[str, Any]:
    """Ingest every registered raw file under ``data_dir``; return the ingest report."""
    data_dir = manifest.require_data_dir(data_dir)
    with storage.lock(data_dir, "parole ingest", quiet=not progress):
        return _run(data_dir, progress=progress, allow_empty=allow_empty)


def _run(data_dir: Path, *, progress: bool, allow_empty: bool) -> dict[str, Any]:
    manifest_file = config.manifest_path(data_dir)
    if not manifest_file.is_file():
        raise ParoleError(f"{manifest_file}: no manifest, so nothing to ingest; the processed "
                          "tables were left as they are (restore the manifest, or register "
                          "files with `parole add`)")
    cleaned = storage.clean(data_dir)
    entries = manifest.verify(data_dir)
    incoming = storage.new_generation(data_dir)  # adapters writing in chunks write here too
    try:
        return _build(data_dir, entries, incoming, cleaned, progress=progress,
                      allow_empty=allow_empty)
    except BaseException as exc:
        shutil.rmtree(incoming, ignore_errors=True)  # the previous generation stays current
        if isinstance(exc, OSError) and not isinstance(exc, ParoleError):
            raise storage.WriteError(f"{incoming.parent}: cannot write the new tables "
                                     f"({exc.strerror or exc}); readers still see the "
                                     "previous ones") from exc
        raise


def _build(data_dir: Path, entries: list[manifest.Entry], incoming: Path, cleaned: list[str],
           *, progress: bool, allow_empty: bool) -> dict[str, Any]:
    storage.fault_point("generation:created")
    repeated = manifest.repeated(entries)
    entries = manifest.unique(entries)  # a row pasted twice is still one file
    twins = manifest.duplicates(entries)
    skipped = {later.path for later, _ in twins}
    raw = config.raw_dir(data_dir)
    registered = [manifest.resolve_registered(data_dir, e.path) for e in entries]
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    files = []
    with reading.registered_files(registered):
        for entry in tqdm([e for e in entries if e.path not in skipped], desc="ingest",
                          unit="file", disable=not progress):
            path = raw / entry.path
            chunked = _chunked_writer(entry.source, path)
            if chunked is not None:  # a large case file, streamed into the new generation
                files.append({"path": entry.path, "source": entry.source,
                              "sha256": entry.sha256,
                              **chunked(path, incoming / "cases", source_file=entry.path,
                                        citation=entry.citation, progress=progress)})
                continue
            result = sources.load(path, entry.source, source_file=entry.path,
                                  citation=entry.citation)
            for table, frame in result.tables.items():
                parts[table].append(frame)
            notes = list(result.notes)
            truncated = possibly_truncated(path)
            if truncated:
                notes.append(truncated)
            files.append({
                "path": entry.path, "source": entry.source, "sha256": entry.sha256,
                "rows": {t: len(f) for t, f in result.tables.items()},
                "rejected": [r.as_dict() for r in result.rejected],
                "reconciliation": [r.as_dict() for r in result.reconciliation],
                "notes": notes,
                **({"decisions": dict(result.decisions)} if result.decisions else {}),
                "release": revisions.release_of(result, entry.retrieved),
                **({"possibly_truncated": truncated} if truncated else {}),
            })
    tables = {}
    for table in TABLES:
        frames = [f for f in parts[table] if not f.empty]
        combined = pd.concat(frames, ignore_index=True) if frames else schemas.empty(table)
        if table == "counts":  # one figure per series and period: machine-read over
            # transcribed, then the latest release's
            combined, transcriptions = revisions.prefer_machine_read(combined)
            combined, revised = revisions.keep_latest(
                combined, {f["path"]: f.get("release") for f in files})
        tables[table] = schemas.validate(table, combined, origin=f"combined {table} table")
    if not allow_empty:
        _refuse_emptying(data_dir, tables)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parole_stats_version": __version__,
        "data_dir": str(data_dir),
        "tables": {t: {"rows": len(f), "path": f"processed/{t}.parquet"}
                   for t, f in tables.items()} | _partitioned(files, tables["cases"]),
        "files": files,
        "duplicates": [{"path": later.path, "same_content_as": first.path,
                        "sha256": later.sha256} for later, first in twins],
        "repeated_manifest_rows": [{"path": e.path, "sha256": e.sha256} for e in repeated],
        "not_ingestion_files": storage.foreign(data_dir, _own_names()),
        "unregistered_files": manifest.unregistered(data_dir),
        "reconciliation_differences": [
            {"path": f["path"], **check} for f in files for check in f.get("reconciliation", [])
            if not check["matches"]],
        "possibly_truncated": [{"path": f["path"], "reason": f["possibly_truncated"]}
                               for f in files if "possibly_truncated" in f],
        "rows_rejected": sum(f.get("rejected_total", len(f["rejected"])) for f in files),
        "cell_decisions": sum(sum(f.get("decisions", {}).values()) for f in files),
        "revisions": [r.as_dict() for r in revised],
        "transcriptions_superseded": transcriptions,
        "cleaned_leftovers": cleaned,
    }
    _write_generation(data_dir, incoming, tables, report)
    return report


def _own_names() -> list[str]:
    """Names ingestion writes in ``data/processed`` (tables, their folders, the report)."""
    return [*(f"{t}.parquet" for t in TABLES), *TABLES, REPORT_NAME]


def _partitioned(files: list[dict[str, Any]], small: pd.DataFrame) -> dict[str, Any]:
    """The ``cases`` entry when large case files were written as partitions: the true row
    count (both places) and the final paths (``processed/cases/``, the rejects files)."""
    large = [f for f in files if "partitions" in f]
    if not large:
        return {}
    for f in large:  # paths as readers find them once this generation is published
        f["files"] = [f"processed/{p}" for p in f.get("files", [])]
        if f.get("rejects_file"):
            f["rejects_file"] = f"processed/{f['rejects_file']}"
        f.pop("written_to", None)
    rows = sum(f["rows"]["cases"] for f in large)
    return {"cases": {"rows": len(small) + rows, "path": "processed/cases.parquet",
                      "partitioned": {"rows": rows, "path": "processed/cases/"}}}


def _chunked_writer(source: str, path: Path):
    """The adapter's chunked writer when it ingests ``path`` in chunks (a large case-records
    CSV), else None. It writes into the generation being built, so a large file obeys the same
    transaction as every other table."""
    module = sources.adapter(source)
    is_large = getattr(module, "is_large", None)
    writer = getattr(module, "ingest_large", None)
    if is_large is None or writer is None or not is_large(path):
        return None
    size = path.stat().st_size
    if size > limits.LIMITS.max_stream_bytes:
        raise reading.limit_error(path, "file size", f"{size:,} bytes", "max_stream_bytes",
                             f"{limits.LIMITS.max_stream_bytes:,}")
    return writer


def _refuse_emptying(data_dir: Path, tables: dict[str, pd.DataFrame]) -> None:
    previous = previous_rows(data_dir)
    emptied = [f"{t} ({previous[t]:,} rows)" for t, frame in tables.items()
               if frame.empty and previous.get(t, 0) > 0]
    if emptied:
        raise WouldEmptyError(
            f"{config.processed_dir(data_dir)}: this ingest would replace the non-empty "
            f"table(s) {', '.join(emptied)} with empty ones; nothing was written. Check the "
            "manifest and --data-dir, or pass --allow-empty if that is intended")


def previous_rows(data_dir: Path) -> dict[str, int]:
    """Rows of each table readers see now (from the Parquet footers; empty before any
    ingest)."""
    import pyarrow.parquet as pq

    generation = storage.current_generation(data_dir)
    rows = {}
    for table in TABLES:
        path = storage.table_path(data_dir, table, generation)
        try:
            rows[table] = pq.read_metadata(path).num_rows
        except Exception:  # noqa: BLE001 - a missing or unreadable old table is replaced
            continue
    return rows


def _write_generation(data_dir: Path, incoming: Path, tables: dict[str, pd.DataFrame],
                      report: dict[str, Any]) -> Path:
    for table, frame in tables.items():
        storage.write_parquet(frame, incoming / f"{table}.parquet")
        storage.fault_point(f"generation:{table}")
    storage.write_json(report, incoming / REPORT_NAME)
    storage.fault_point("generation:report")
    names = sorted({*(f"{t}.parquet" for t in TABLES), REPORT_NAME,
                    *(p.name for p in incoming.iterdir() if not p.name.startswith("."))})
    final = storage.publish(data_dir, incoming, names, legacy=_own_names())
    try:  # the new generation is current; tidying up is best effort from here on
        storage.clean(data_dir)
    except OSError:
        pass
    return final


def possibly_truncated(path: Path) -> str | None:
    """Why a CSV file looks cut short (its last line lacks the line end and has fewer cells
    than the lines before it), or None. Workbooks and JSON cut short fail to open instead."""
    try:
        if reading.kind(path) != "csv":
            return None
        size = path.stat().st_size
        with open(path, "rb") as handle:
            handle.seek(max(0, size - 65536))
            tail = handle.read()
    except OSError:
        return None
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    lines = tail.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    before = [line for line in lines[1:-1] if line.strip()]
    if not before:
        return None
    last = lines[-1]
    last_cells = last.count(b",")
    usual = max(line.count(b",") for line in before[-20:])
    starts_like_data = re.match(rb'\s*"?[\d$]', last) is not None
    if last_cells < usual and (last_cells > 0 or starts_like_data):
        return (f"the last line has {last_cells + 1} cell(s) where the lines before have "
                f"{usual + 1}, and no line end: the file may be cut short")
    if re.search(rb"\d\s*$", last) and last_cells > 0:
        return ("the last line ends in a figure without a line end: the file may be cut short "
                "inside its last number")
    return None


def summary(report: dict[str, Any]) -> str:
    """A few plain lines for the terminal."""
    lines = [f"{t}: {info['rows']} rows -> {info['path']}"
             + (f" and {info['partitioned']['path']} ({info['partitioned']['rows']} rows)"
                if "partitioned" in info else "") for t, info in report["tables"].items()]
    lines.append(f"files: {len(report['files'])}; rows rejected: {report['rows_rejected']}"
                 + (f"; odd rows and cells decided: {report['cell_decisions']} (per file in the "
                    "report's decisions)" if report.get("cell_decisions") else ""))
    for diff in report["reconciliation_differences"]:
        lines.append(f"reconciliation: {diff['path']} {diff['period']}: {diff['check']}: parts "
                     f"{diff['parts_sum']:,.0f} vs published {diff['published_total']:,.0f} "
                     f"(difference {diff['difference']:+,.0f})")
    for dup in report.get("duplicates", []):
        lines.append(f"not ingested (same content as data/raw/{dup['same_content_as']}): "
                     f"data/raw/{dup['path']}")
    for item in report.get("repeated_manifest_rows", []):
        lines.append(f"manifest row repeated (ingested once; delete the repeated line): "
                     f"data/raw/{item['path']}")
    for name in report.get("not_ingestion_files", []):
        lines.append(f"left untouched (not written by parole ingest): data/processed/{name}")
    for item in report.get("possibly_truncated", []):
        lines.append(f"possibly truncated: data/raw/{item['path']}: {item['reason']}")
    for rel in report["unregistered_files"]:
        lines.append(f"not ingested (not in manifest): data/raw/{rel}")
    return "\n".join(lines)
