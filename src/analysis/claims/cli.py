"""Command line: ``parole check CLAIMS.yml`` and ``parole claims extract ARTICLE.txt``.

Wired into :mod:`analysis.cli` by calling :func:`register_cli` with its subparsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ParoleError


def format_text(verdicts) -> str:
    """Plain-text fact-check sheet: one block per claim."""
    from .checker import fmt

    blocks = []
    for v in verdicts:
        lines = [f"[{v.verdict.upper()}] {v.id}: {v.text}", f"  {v.reason}"]
        if v.computed is not None:
            shown = f"  claimed {fmt(v.claimed, v.metric, v.unit)} ({v.comparator}); " \
                    f"data {fmt(v.computed, v.metric, v.unit)}"
            if v.lower is not None:
                shown += f" ({v.interval_method} interval {fmt(v.lower, v.metric)} to " \
                         f"{fmt(v.upper, v.metric)})"
            lines += [shown, f"  method: {v.method}"]
        for near in v.nearest:
            detail = f": {near.detail}" if near.detail else ""
            lines.append(f"  nearest: {near.dataset}{detail} (caveat: {near.caveat})")
        sources = sorted({f"{e.citation} (data/raw/{e.source_file})" for e in v.evidence})
        lines += [f"  source: {s}" for s in sources]
        lines += [f"  note: {n}" for n in v.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _cmd_check(args: argparse.Namespace) -> int:
    from .checker import check, to_json
    from .model import load

    claims = load(args.claims)
    verdicts = check(claims, data_dir=args.data_dir)
    if args.json:
        json.dump(to_json(verdicts, claims_file=str(args.claims)), sys.stdout, indent=2,
                  ensure_ascii=False)
        print()
    else:
        print(format_text(verdicts))
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from ..storage import write_text
    from .extract import extract_file

    text = extract_file(args.article)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.output.exists() and not args.force:
        raise ParoleError(f"{args.output} exists; give --force to overwrite it")
    write_text(text, args.output)
    print(f"wrote {args.output}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``check`` and ``claims extract`` to the ``parole`` command line."""
    p = subparsers.add_parser(
        "check", help="check a claims file against the ingested data",
        description="Check each claim of CLAIMS.yml against the ingested tables and print a "
                    "verdict (supported, not-supported, not-checkable) with the computed "
                    "value, interval, evidence and a one-sentence reason. The whole file is "
                    "validated first; any problem stops the check (see docs/claims.md).")
    p.add_argument("claims", type=Path, metavar="CLAIMS.yml", help="the claims file (YAML)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (schema_version 1, documented in docs/claims.md)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data folder holding processed/ (default: ./data of the project)")
    p.set_defaults(func=_cmd_check)

    group = subparsers.add_parser("claims", help="work with claims files (extract)",
                                  description="Tools for claims files.")
    sub = group.add_subparsers(dest="claims_command", metavar="SUBCOMMAND", required=True)
    e = sub.add_parser(
        "extract", help="write a claims-file skeleton from an article's numbers",
        description="Find the sentences of ARTICLE.txt that carry checkable numbers "
                    "(percentages, counts, money, durations, dates) and write a claims-file "
                    "skeleton: the sentence as text, the number as value, a guessed metric "
                    "and FILL_IN for every key you must decide.")
    e.add_argument("article", type=Path, metavar="ARTICLE.txt", help="the article (UTF-8 text)")
    e.add_argument("-o", "--output", type=Path, default=None, metavar="OUT.yml",
                   help="write the skeleton here (default: print it)")
    e.add_argument("--force", action="store_true", help="overwrite OUT.yml if it exists")
    e.set_defaults(func=_cmd_extract)
