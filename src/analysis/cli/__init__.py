"""The ``parole`` command line: add raw files, ingest them, render reports.

Every user error prints one line starting with ``parole: error:`` and exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from analysis import __version__, config
from analysis.errors import ParoleError

EPILOG = """\
examples:
  parole add ~/Downloads/quarterly_all_forms_fy2025_q1.xlsx --source uscis-all-forms \\
      --url https://www.uscis.gov/sites/default/files/document/data/quarterly_all_forms_fy2025_q1.xlsx
  parole fetch uscis-all-forms --fiscal-year 2025 --quarter 1
  parole ingest
  parole remove uscis-all-forms/quarterly_all_forms_fy2025_q1.xlsx
  parole report national_overview -p fy_start=2023 -p fy_end=2025
  parole report --default
  parole check data/claims/seed_article.yml
  parole claims extract article.txt -o claims.yml
  parole report regional_report --all-states -j 2
  parole chart tilemap --category uc-released-to-sponsors --measure released --period FY2019 \
      --out reports/charts/orr_fy2019.png
"""


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="data folder holding raw/ and processed/ (default: ./data of the "
                             "project)")


def _cmd_sources(args: argparse.Namespace) -> int:
    from analysis.ingest.sources import SOURCES, check_source, describe

    chosen = [check_source(args.id)] if args.id else list(SOURCES.values())
    if args.json:
        import dataclasses
        import json

        print(json.dumps([dataclasses.asdict(s) for s in chosen], indent=2, ensure_ascii=False))
    elif args.brief:
        width = max(len(s.id) for s in chosen)
        for source in chosen:
            print(f"{source.id:<{width}}  {source.title}")
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
    return 0


def reconciliation_summary(report: dict, *, largest: int = 3, most_files: int = 10) -> str:
    """The reconciliation checks of an ingest report in a few lines: how many totals were
    checked against their parts, how many differ (per file, with the largest difference),
    and the ``largest`` differences in full. Every difference stays in the JSON report."""
    checks: dict[str, int] = {}
    for f in report.get("files", []):
        if f.get("path"):
            checks[f["path"]] = len(f.get("reconciliation") or [])
    diffs = list(report.get("reconciliation_differences") or [])
    total = sum(checks.values())
    head = (f"reconciliation: {total:,} published total{'s' if total != 1 else ''} checked "
            f"against the sum of {'their' if total != 1 else 'its'} parts; ")
    if not diffs:
        return head + "all match"
    lines = [head + f"{len(diffs):,} differ"]
    by_file: dict[str, list[dict]] = {}
    for d in diffs:
        by_file.setdefault(d["path"], []).append(d)
    ranked = sorted(by_file.items(), key=lambda kv: -max(abs(d["difference"]) for d in kv[1]))
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


def _cmd_report(args: argparse.Namespace) -> int:
    from analysis.reports import render as reports

    for folder in args.allow_dirs or []:
        config.allow_dir(folder)
    if args.list:
        for name, params in reports.available().items():
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            print(f"{name}: {shown}")
        return 0
    params = reports.parse_parameters(args.parameters or [], args.yaml)
    if args.default:
        if args.name or params or args.all_states or args.regions:
            raise ParoleError("--default renders the default set; give no report name, "
                              "parameters, --all-states or --regions with it")
        jobs = reports.DEFAULT_SET
    elif not args.name:
        raise ParoleError("name a report (see `parole report --list`) or use --default")
    elif args.all_states or args.regions:
        places = reports.batch_places(all_states=args.all_states, regions_file=args.regions)
        if "geo" in params:
            raise ParoleError("-p geo=... cannot be combined with --all-states or --regions")
        jobs = [(args.name, {**params, "geo": place}) for place in places]
    else:
        jobs = [(args.name, params)]
    batch = reports.render_batch(jobs, data_dir=args.data_dir, reports_dir=args.reports_dir,
                                 workers=args.workers, progress=not args.quiet)
    for item in batch.rendered:
        print(f"rendered {item.html}")
    reports.write_companion_pages(args.data_dir, args.reports_dir)  # codebook, freshness, index
    for name, job_params, message in batch.failed:
        print(f"parole: failed: {name} {job_params}: {message}", file=sys.stderr)
    index = Path(args.reports_dir or config.default_reports_dir()).resolve() / "index.html"
    print(f"index: {index}")
    if batch.failed:
        print(f"parole: error: {len(batch.failed)} of {len(jobs)} reports failed",
              file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parole",
        description="Public US parole statistics as traceable numbers, reports and charts.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"parole-stats {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (also PAROLE_DEBUG=1; may be "
                             "given after the command too)")
    parser.add_argument("--limit", dest="limits", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="raise or lower an input limit for this run, e.g. "
                             "max_rows=5000000 (names: see analysis.limits.Limits; "
                             "also PAROLE_LIMIT_<NAME>)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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
    p.add_argument("--name", help="file name inside data/raw/<source>/ (default: FILE's name)")
    _data_dir_option(p)
    p.set_defaults(func=_cmd_add)

    p = sub.add_parser("ingest", help="verify, parse and validate raw files into Parquet",
                       description="Verify every checksum in data/raw/manifest.csv, run each "
                                   "file's adapter, validate against the data contract and "
                                   "write data/processed/*.parquet and ingest_report.json.")
    _data_dir_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--allow-empty", action="store_true",
                   help="allow replacing non-empty tables with empty ones (refused otherwise)")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("remove", help="unregister a raw file and delete it from data/raw",
                       description="Remove FILE's row from data/raw/manifest.csv and delete the "
                                   "file from data/raw (use it to undo a wrong `parole add` or "
                                   "`parole fetch`). Its rows leave the processed tables at "
                                   "the next `parole ingest`.")
    p.add_argument("file", metavar="FILE",
                   help="the registered file: source/name, data/raw/source/name or its path")
    p.add_argument("--keep-file", action="store_true",
                   help="only unregister; leave the file in data/raw")
    _data_dir_option(p)
    p.set_defaults(func=_cmd_remove)

    p = sub.add_parser("report", help="render a parameterized report notebook to HTML",
                       description="Render notebooks/NAME.ipynb with papermill into "
                                   "reports/NAME/<slug>.ipynb and .html (code hidden), and "
                                   "update reports/index.html.")
    p.add_argument("name", nargs="?", help="report name (see --list)")
    p.add_argument("-p", "--parameter", dest="parameters", action="append", metavar="KEY=VALUE",
                   help="set a parameter; VALUE is read as YAML (-p series='[parole-in-place]')")
    p.add_argument("-y", "--yaml", metavar="FILE", type=Path,
                   help="YAML file of parameters (for lists and dicts)")
    p.add_argument("--default", action="store_true", help="render the default report set")
    p.add_argument("--list", action="store_true", help="list reports and their parameters")
    p.add_argument("--all-states", action="store_true",
                   help="render the report once per state (50 states and DC), as geo=<code>")
    p.add_argument("--regions", type=Path, metavar="FILE",
                   help="render the report once per region named in FILE (YAML list, or "
                        "one name per line), as geo=<name>")
    p.add_argument("-j", "--workers", type=int, default=2, metavar="N",
                   help="worker processes for several reports (default 2)")
    p.add_argument("--reports-dir", type=Path, default=None, metavar="DIR",
                   help="output folder (default: ./reports of the project)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-dir", dest="allow_dirs", action="append", type=Path, metavar="DIR",
                   help="also read files named in parameters (claims_file, -y, --regions) "
                        "from DIR; by default only files inside the project are read")
    _data_dir_option(p)
    p.set_defaults(func=_cmd_report)

    from analysis.cli import chart as chart_cli
    from analysis.cli.claims import register_cli as register_claims_cli
    from analysis.cli.init import register_cli as register_init_cli
    from analysis.contract import codebook
    from analysis.ingest import fetch, inspection
    from analysis.reports import freshness

    fetch.register_cli(sub)
    chart_cli.register_cli(sub)
    register_claims_cli(sub)  # `parole check` and `parole claims extract`
    register_init_cli(sub)  # `parole init`
    inspection.register_cli(sub)  # `parole inspect`
    codebook.register_cli(sub)  # `parole codebook`
    freshness.register_cli(sub)  # `parole freshness`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every error ends as one ``parole: error:`` line (``--debug`` adds
    the traceback) and a non-zero exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("PAROLE_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.limits:
            from analysis import limits

            limits.configure(args.limits)
        return args.func(args)
    except ParoleError as exc:
        _traceback(debug)
        print(f"parole: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("parole: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        _traceback(debug)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"parole: error: {where}{exc.strerror or exc} (nothing was replaced; run with "
              "--debug for details)", file=sys.stderr)
        return 1
    except MemoryError:
        _traceback(debug)
        print("parole: error: out of memory; an input is larger than this machine can read "
              "(lower the limits with --limit, or use a smaller file)", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the user, the traceback with --debug
        _traceback(debug)
        message = " ".join(str(exc).split())[:300]
        print(f"parole: error: unexpected {type(exc).__name__}: {message} (a bug: please report "
              "it with the output of --debug)", file=sys.stderr)
        return 1


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()
