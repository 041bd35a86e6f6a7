"""``parole codebook | freshness | cite``: documents about the data, and references for a paper."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from analysis.cli.ingest import data_dir_option
from analysis.cli.output import text_table, to_json
from analysis.errors import ParoleError, option_date


def _cmd_codebook(args: argparse.Namespace) -> int:
    from analysis.contract import codebook

    if args.check:
        out = codebook.stale(args.root)
        for item in out:
            print(f"out of date: {item} (run `parole codebook`)", file=sys.stderr)
        if not out:
            print("docs/codebook.md and README.md are in step with the schemas")
        return 1 if out else 0
    for path in codebook.write(args.root, args.reports_dir):
        print(f"wrote {path}")
    return 0


def freshness_table(items, today: date) -> str:
    """``parole freshness`` as a text table, with what the due dates mean."""
    rows = [(f.source, (f.latest_period or "none") + (" (part year)" if f.part_year else ""),
             f.retrieved.isoformat() if f.retrieved else "-",
             f.next_due.isoformat() if f.next_due else "-",
             f.status.upper() if f.status == "stale" else f.status) for f in items]
    table = text_table(("source", "latest period", "retrieved", "next release due", "status"),
                       rows)
    return (table + f"\nas of {today.isoformat()}; due dates are estimates from each source's "
            "usual publication lag (see `parole sources`), not the publishers' commitments")


def _cmd_freshness(args: argparse.Namespace) -> int:
    from analysis.reports import freshness

    today = date.fromisoformat(args.today) if args.today else date.today()
    items = freshness.freshness(args.data_dir, today=today)
    print(to_json([f.as_dict() for f in items]) if args.json else freshness_table(items, today))
    if args.html:
        print(f"wrote {freshness.render_html(args.data_dir, args.reports_dir, today=today)}")
    return 0


def _cmd_cite(args: argparse.Namespace) -> int:
    from analysis.reports import references

    if args.what is None and not (args.category or args.geo or args.period):
        raise ParoleError("name a source id, a raw file, or a figure (--category, --geo, "
                          "--period); see `parole sources --brief`")
    print(references.cite(args.what, category=args.category, measure=args.measure,
                          geo=args.geo, period=args.period, style=args.style,
                          data_dir=args.data_dir))
    return 0


def _register_codebook(sub) -> None:
    p = sub.add_parser(
        "codebook", help="write docs/codebook.md, README's contract tables and "
                         "reports/codebook.html from the schemas",
        description="Generate the codebook (every column of the data contract with its type, "
                    "unit, allowed values and meaning) from src/analysis/contract/schemas.py: "
                    "docs/codebook.md, the contract section of README.md and "
                    "reports/codebook.html.")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 naming the documents that are out of date")
    p.add_argument("--root", type=Path, default=None, metavar="DIR",
                   help="project folder holding README.md and docs/ (default: this project)")
    p.add_argument("--reports-dir", type=Path, default=None, metavar="DIR",
                   help="where codebook.html goes (default: ./reports of the project)")
    p.set_defaults(func=_cmd_codebook)


def _register_freshness(sub) -> None:
    p = sub.add_parser(
        "freshness", help="per source: latest period ingested, retrieval date, next release "
                          "due, stale flag",
        description="For every source: the latest period in data/processed, when its raw "
                    "files were retrieved (data/raw/manifest.csv), when the publisher's next "
                    "release is due by its schedule (sources.yml), and STALE when that date "
                    "has passed. Run `parole ingest` first.")
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p.add_argument("--html", action="store_true", help="also write reports/freshness.html")
    p.add_argument("--reports-dir", type=Path, default=None, metavar="DIR",
                   help="folder for freshness.html (default: ./reports of the project)")
    p.add_argument("--today", type=option_date("--today"), metavar="YYYY-MM-DD",
                   help="judge staleness as of this date")
    data_dir_option(p)
    p.set_defaults(func=_cmd_freshness)


def _register_cite(sub) -> None:
    p = sub.add_parser(
        "cite", help="print BibTeX or CSL-JSON for a source, a raw file or a figure's table",
        description="Print a reference (BibTeX, CSL-JSON or a source line) for the table a "
                    "figure comes from: its publisher, title, address and the date the file "
                    "was retrieved (the access date, from data/raw/manifest.csv). Name a "
                    "source id, a registered raw file, or select figures of the processed "
                    "counts table with --category/--geo/--period.",
        epilog="examples:\n  parole cite uscis-all-forms\n"
               "  parole cite --category uc-released-to-sponsors --geo CA --period FY2021 "
               "--style csl",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="?", metavar="SOURCE_OR_FILE",
                   help="a source id (see `parole sources --brief`) or a registered raw file")
    p.add_argument("--category", help="figures of this category (e.g. uc-released-to-sponsors)")
    p.add_argument("--measure", help="figures of this measure (e.g. released)")
    p.add_argument("--geo", metavar="CODE", help="figures of this place (US, CA, 06037, ...)")
    p.add_argument("--period", help="figures of this period (FY2021, FY2023-Q2, ...)")
    p.add_argument("--style", choices=("bibtex", "csl", "text"), default="bibtex",
                   help="bibtex (default), csl (CSL-JSON) or text (a source line)")
    data_dir_option(p)
    p.set_defaults(func=_cmd_cite)


REGISTER = {"codebook": _register_codebook, "freshness": _register_freshness,
            "cite": _register_cite}
