"""``parole sources | add | fetch | inspect | ingest | remove``: raw files in, processed tables out.

Only argparse and printing live here; the work is done by plain functions of
:mod:`analysis.ingest` (imported inside each command, so ``parole --help`` stays instant).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from analysis import config
from analysis.cli.output import text_table, to_json
from analysis.errors import option_number


def data_dir_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir DIR`` (the data folder holding raw/ and processed/)."""
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="data folder holding raw/ and processed/ (default: ./data of the "
                             "project)")


def _cmd_sources(args: argparse.Namespace) -> int:
    from analysis.contract.catalog import SOURCES, check_source, describe

    chosen = [check_source(args.id)] if args.id else list(SOURCES.values())
    if args.json:
        import dataclasses

        print(to_json([dataclasses.asdict(s) for s in chosen]))
    elif args.brief:
        print(text_table(("id", "title"), [(s.id, s.title) for s in chosen], header_line=False))
    else:
        print("\n\n".join(describe(s) for s in chosen))
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from analysis.ingest import manifest

    source = args.source
    if source is None:  # no --source: judge the file by its content
        from analysis.ingest.sources import detect

        source = detect(args.file)
        print(f"detected source {source} from the file's content (override with --source)")
    entry, changed = manifest.add(args.file, source, data_dir=args.data_dir,
                                  url=args.url or "", citation=args.citation or "",
                                  retrieved=args.retrieved, name=args.name)
    verb = "added" if changed else "already registered, unchanged:"
    print(f"{verb} data/raw/{entry.path} (source {entry.source}, sha256 {entry.sha256[:12]}...)")
    if getattr(args, "mapping", None):  # a column mapping registered beside the case file
        from analysis.ingest.sources import case_records

        name, text = case_records.mapping_side_file(args.mapping, entry)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / name).write_text(text, encoding="utf-8")
            side, _ = manifest.add(Path(tmp) / name, entry.source, data_dir=args.data_dir,
                                   url="", citation=entry.citation, retrieved=None, name=name)
        print(f"column mapping registered as data/raw/{side.path}")
    return 0


def _differences_by_file(report: dict) -> tuple[dict[str, int], list[tuple[str, list[dict]]]]:
    """Checks per file, and the files with differences, largest difference first."""
    checks = {f["path"]: len(f.get("reconciliation") or [])
              for f in report.get("files", []) if f.get("path")}
    by_file: dict[str, list[dict]] = {}
    for d in report.get("reconciliation_differences") or []:
        by_file.setdefault(d["path"], []).append(d)
    ranked = sorted(by_file.items(), key=lambda kv: -max(abs(d["difference"]) for d in kv[1]))
    return checks, ranked


def reconciliation_summary(report: dict, *, largest: int = 3, most_files: int = 10) -> str:
    """The reconciliation checks of an ingest report in a few lines: how many totals were
    checked against their parts, how many differ (per file, with the largest difference),
    and the ``largest`` differences in full. Every difference stays in the JSON report.

    >>> reconciliation_summary({"files": [{"path": "a.csv", "reconciliation": [{}]}]})
    'reconciliation: 1 published total checked against the sum of its parts; all match'
    """
    checks, ranked = _differences_by_file(report)
    diffs = list(report.get("reconciliation_differences") or [])
    total = sum(checks.values())
    head = (f"reconciliation: {total:,} published total{'s' if total != 1 else ''} checked "
            f"against the sum of {'their' if total != 1 else 'its'} parts; ")
    if not diffs:
        return head + "all match"
    lines = [head + f"{len(diffs):,} differ"]
    for path, found in ranked[:most_files]:
        biggest = max(abs(d["difference"]) for d in found)
        lines.append(f"  {path}: {len(found)} of {checks.get(path, len(found))} differ, by at "
                     f"most {biggest:,.0f}")
    if len(ranked) > most_files:
        lines.append(f"  ... and {len(ranked) - most_files} more files")
    lines.append(f"  largest difference{'s' if min(largest, len(diffs)) > 1 else ''}:")
    for d in sorted(diffs, key=lambda d: -abs(d["difference"]))[:largest]:
        lines.append(f"    {d['path']} {d['period']}, {d['check']}: parts {d['parts_sum']:,.0f} "
                     f"vs published {d['published_total']:,.0f} ({d['difference']:+,.0f})")
    lines.append('  every difference, with its cell, is in the ingest report below '
                 '("reconciliation_differences")')
    return "\n".join(lines)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from analysis.ingest import pipeline as ingest

    report = ingest.run(args.data_dir, progress=not args.quiet, allow_empty=args.allow_empty)
    if not args.quiet:
        # the reconciliation differences are summarised here; all are in the JSON report
        print(ingest.summary({**report, "reconciliation_differences": []}))
        print(reconciliation_summary(report))
    data_dir = args.data_dir or config.default_data_dir()
    print(f"ingest report: {config.processed_dir(data_dir) / ingest.REPORT_NAME}")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from analysis.ingest import manifest

    entry = manifest.remove(args.file, data_dir=args.data_dir, keep_file=args.keep_file)
    kept = " (file kept)" if args.keep_file else " and deleted the file"
    print(f"unregistered data/raw/{entry.path}{kept}; run `parole ingest` to drop its rows "
          "from the processed tables")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from analysis.ingest import fetch

    results = fetch.run(args.sources or list(fetch.FETCHABLE), fiscal_year=args.fiscal_year,
                        quarter=args.quarter, data_dir=args.data_dir,
                        base_url=args.base_url or fetch.DEFAULT_BASE_URL,
                        timeout=args.timeout, retries=args.retries, progress=not args.quiet,
                        deadline=args.deadline)
    for item in results:
        verb = "fetched" if item.changed else "already registered, unchanged:"
        print(f"{verb} data/raw/{item.path} from {item.url}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from analysis.ingest.inspection import format_text, inspect_file

    summary = inspect_file(args.file, args.source)
    print(to_json(summary) if args.json else format_text(summary))
    return 0


def _register_sources(sub) -> None:
    p = sub.add_parser("sources", help="list the sources: publisher, table, address, licence, "
                                       "schedule and caveats",
                       description="Print one record per source (from "
                                   "src/analysis/ingest/sources/sources.yml): publisher, table "
                                   "title, address, licence or public-domain status, publishing "
                                   "schedule and known caveats.")
    p.add_argument("id", nargs="?", help="only this source")
    p.add_argument("--brief", action="store_true", help="one line per source: id and title")
    p.add_argument("--json", action="store_true", help="the records as JSON")
    p.set_defaults(func=_cmd_sources)


def _register_add(sub) -> None:
    p = sub.add_parser("add", help="copy a raw file into data/raw/<source>/ and register it",
                       description="Copy FILE into data/raw/<source>/ and register it in "
                                   "data/raw/manifest.csv with its checksum and citation. "
                                   "Refuses to overwrite a different file of the same name.")
    p.add_argument("file", type=Path, metavar="FILE", help="the file as downloaded")
    p.add_argument("--source", metavar="ID",
                   help="source id (see `parole sources`); default: detected from the file's "
                        "content (see `parole inspect`)")
    p.add_argument("--url", help="address the file was downloaded from")
    p.add_argument("--citation", help="citation for the file (default: the source's own)")
    p.add_argument("--retrieved", metavar="YYYY-MM-DD", help="retrieval date (default: today)")
    p.add_argument("--mapping", metavar="YAML_OR_NAME",
                   help="case records: a column mapping (YAML file, or a built-in: ddp-stays, "
                        "ddp-stints) registered beside FILE and used by `parole ingest`")
    p.add_argument("--name", help="file name inside data/raw/<source>/ (default: FILE's name)")
    data_dir_option(p)
    p.set_defaults(func=_cmd_add)


def _register_fetch(sub) -> None:
    p = sub.add_parser(
        "fetch", help="download official files into data/raw/<source>/ and register them",
        description="Download official files (today: the USCIS quarterly all-forms report) "
                    "into data/raw/<source>/ and register them like `parole add`. Known "
                    "address variants are tried in turn; without --fiscal-year the newest "
                    "published quarter is fetched.")
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="source ids to fetch (default: every source that can be fetched)")
    p.add_argument("--fiscal-year", type=int, metavar="Y", help="federal fiscal year, e.g. 2025")
    p.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), metavar="Q",
                   help="fiscal quarter 1-4 (default: every quarter of --fiscal-year)")
    p.add_argument("--base-url", default=None, metavar="URL",
                   help="server to download from (default: the publisher's own; for mirrors)")
    p.add_argument("--timeout", type=option_number("--timeout"), default=30.0, metavar="SECONDS",
                   help="longest wait for the server at any moment (default 30)")
    p.add_argument("--deadline", type=option_number("--deadline"), default=600.0, metavar="SECONDS",
                   help="longest time for the whole download of one file, retries included "
                        "(default 600)")
    p.add_argument("--retries", type=option_number("--retries", minimum=1, whole=True,
                                                   above=False), default=3, metavar="N",
                   help="attempts per address on network errors (default 3)")
    data_dir_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_fetch)


def _register_inspect(sub) -> None:
    p = sub.add_parser(
        "inspect", help="show what a raw file holds (source, periods, tables, rejected rows, "
                        "reconciliation) without registering it",
        description="Detect FILE's source from its content (or use --source), run its adapter "
                    "and the contract's validation as `parole ingest` would, and print the "
                    "source, periods, tables with row counts, rejected rows with reasons, "
                    "reconciliation differences and notes. Nothing is copied or registered.")
    p.add_argument("file", type=Path, metavar="FILE", help="the file as downloaded")
    p.add_argument("--source", metavar="ID", help="source id (default: detected from content)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_cmd_inspect)


def _register_ingest(sub) -> None:
    p = sub.add_parser("ingest", help="verify, parse and validate raw files into Parquet",
                       description="Verify every checksum in data/raw/manifest.csv, run each "
                                   "file's adapter, validate against the data contract and "
                                   "write data/processed/*.parquet and ingest_report.json.")
    data_dir_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--allow-empty", action="store_true",
                   help="allow replacing non-empty tables with empty ones (refused otherwise)")
    p.set_defaults(func=_cmd_ingest)


def _register_remove(sub) -> None:
    p = sub.add_parser("remove", help="unregister a raw file and delete it from data/raw",
                       description="Remove FILE's row from data/raw/manifest.csv and delete the "
                                   "file from data/raw (use it to undo a wrong `parole add` or "
                                   "`parole fetch`). Its rows leave the processed tables at "
                                   "the next `parole ingest`.")
    p.add_argument("file", metavar="FILE",
                   help="the registered file: source/name, data/raw/source/name or its path")
    p.add_argument("--keep-file", action="store_true",
                   help="only unregister; leave the file in data/raw")
    data_dir_option(p)
    p.set_defaults(func=_cmd_remove)


#: command name -> the function adding it to the subparsers
REGISTER = {"sources": _register_sources, "add": _register_add, "fetch": _register_fetch,
            "inspect": _register_inspect, "ingest": _register_ingest,
            "remove": _register_remove}
