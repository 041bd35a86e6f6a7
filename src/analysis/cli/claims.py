"""Command line: ``parole check CLAIMS.yml`` and ``parole claims extract ARTICLE.txt``.

Wired into :mod:`analysis.cli` by calling :func:`register_cli` with its subparsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.errors import ParoleError, option_date


def format_text(verdicts) -> str:
    """Plain-text fact-check sheet: one block per claim."""
    from analysis.claims.checker import fmt

    blocks = []
    for v in verdicts:
        lines = [f"[{v.verdict.upper()}] {v.id}: {v.text}", f"  {v.reason}"]
        if v.verdict == "needs-input":
            for key in v.needs:
                considered = v.candidates.get(key)
                lines.append(f"  needs {key}" + (f" (candidates: {', '.join(considered)})"
                                                 if considered else ""))
        for key, words in v.inferred.items():
            if key not in ("text", "notes"):
                lines.append(f"  inferred {key} = {v.claim.get(key) if v.claim else '?'} "
                             f"from: {words}")
        if v.inferred.get("notes"):
            lines.append(f"  inference notes: {v.inferred['notes']}")
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
    from analysis.claims.checker import check, to_json
    from analysis.claims.claimreview import claim_reviews
    from analysis.claims.infer import load_input, to_yaml

    claims, inferred = load_input(args.claims, published=_article_date(args.date))
    if args.save is not None:
        from analysis.ingest.storage import write_text

        if args.save.exists() and not args.force:
            raise ParoleError(f"{args.save} exists; give --force to overwrite it")
        write_text(to_yaml(claims, inferred), args.save)
        print(f"wrote {args.save} ({len(claims.claims)} complete, {len(claims.incomplete)} "
              "needing input)", file=sys.stderr)
    verdicts = check(claims, data_dir=args.data_dir, inferred=inferred)
    if args.claimreview:
        reviews = claim_reviews(verdicts, article=claims.article,
                                published=args.published or claims.published,
                                author=args.author)
        from analysis.viz.markup import json_for_html

        print(json_for_html(reviews))  # inert when pasted into a <script> element
    elif args.json:
        json.dump(to_json(verdicts, claims_file=str(args.claims), outside=claims.outside),
                  sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(format_text(verdicts))
        if claims.outside:
            print("\n" + format_outside(claims.outside))
    return 0


def format_outside(outside: list[dict[str, str]]) -> str:
    """The figures of an article that are not parole or release statistics, listed once."""
    lines = [f"Outside what the data cover ({len(outside)} figures, not checked):"]
    lines += [f"  {o['figure']}: {o['reason']} ({o['text'][:70]})" for o in outside]
    return "\n".join(lines)


def _article_date(text: str | None):
    """--date YYYY-MM-DD, the article's date for relative periods ("last fiscal year")."""
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParoleError(f"--date {text!r}: expected YYYY-MM-DD, e.g. 2024-05-01") from None


def _cmd_extract(args: argparse.Namespace) -> int:
    from analysis.claims.extract import extract_file
    from analysis.ingest.storage import write_text

    text = extract_file(args.article)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.output.exists() and not args.force:
        raise ParoleError(f"{args.output} exists; give --force to overwrite it")
    write_text(text, args.output)
    print(f"wrote {args.output}")
    return 0


def _cmd_regions(args: argparse.Namespace) -> int:
    from analysis.contract import geo

    print("Places a claim can name (key geo, whole_geo, compare_geo):")
    print("  US (also: nationwide, the United States)")
    print("  a state by name or USPS code (California, CA)")
    print("  a county as 'Name County, State' or its 5-digit FIPS (Harris County, Texas; 48201)")
    print("  a USCIS office code (CSC, NSC, TSC, VSC, ...)")
    print("\nNamed regions (use the name; the title is for reading):")
    for region in sorted(geo.regions(), key=lambda r: r.name):
        print(f"  {region.name:<44} {region.level:<7} {len(region.members):>3} members  "
              f"{region.title}")
    ambiguous = geo.ambiguous_regions()
    if ambiguous:
        print("\nNames with several definitions (choose one):")
        for name, choices in sorted(ambiguous.items()):
            print(f"  {name}: {', '.join(choices)}")
    return 0


def _cmd_periods(args: argparse.Namespace) -> int:
    from analysis.ingest import sources as sources_mod
    from analysis.ingest.storage import read_table

    if args.source:
        sources_mod.check_source(args.source)
    print("Period labels: FY2023 (Oct 2022-Sep 2023), FY2023-Q2 (Jan-Mar 2023), FY2023-YTD-Q2,")
    print("2023-05 (a month), a calendar year 2023, a date 2023-03-31 (for levels such as")
    print("pending: the published period ending on or just before it), or a range A/B.\n")
    counts = read_table("counts", args.data_dir)
    if args.source:
        counts = counts[counts["source"] == args.source]
    if counts.empty:
        print("no ingested figures" + (f" from {args.source}" if args.source else "")
              + "; run `parole ingest` first")
        return 0
    counts = counts.sort_values("period_start")
    print("Periods in the ingested data:")
    for (source, category, measure), rows in counts.groupby(["source", "category", "measure"],
                                                            sort=True):
        labels = list(dict.fromkeys(rows["period"]))
        shown = ", ".join(labels) if len(labels) <= 6 else \
            f"{labels[0]}, {labels[1]}, ... {labels[-1]} ({len(labels)} periods)"
        print(f"  {source:<20} {category:<28} {measure:<10} {shown}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``check`` and ``claims extract`` to the ``parole`` command line."""
    p = subparsers.add_parser(
        "check", help="check an article or a claims file against the ingested data",
        description="Check claims against the ingested tables and print a verdict for each "
                    "(supported, not-supported, not-checkable, or needs-input naming the keys "
                    "to give) with the computed value, interval, evidence and a one-sentence "
                    "reason. INPUT is an article (plain text or Markdown: every sentence with "
                    "a number is read and its claim inferred, each key with the words it came "
                    "from) or a claims file (.yml, or the .json of --json). A claims file is "
                    "refused whole only for YAML syntax errors or unknown keys; incomplete "
                    "claims are listed as needs-input (see docs/claims.md).")
    p.add_argument("claims", type=Path, metavar="INPUT",
                   help="ARTICLE.txt / ARTICLE.md, or CLAIMS.yml / verdicts .json")
    p.add_argument("--json", action="store_true",
                   help="print JSON (schema_version 2, documented in docs/claims.md), with "
                        "each claim as inferred")
    p.add_argument("--claimreview", action="store_true",
                   help="print schema.org ClaimReview JSON-LD, one per checked claim")
    p.add_argument("--author", default=None,
                   help="ClaimReview author (default: $PAROLE_STATS_REVIEW_AUTHOR or "
                        "parole-stats)")
    p.add_argument("--published", type=option_date("--published"), default=None,
                   metavar="YYYY-MM-DD",
                   help="the article's publication date, for ClaimReview")
    p.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                   help="the article's date, for relative periods such as 'last fiscal "
                        "year' (default: a date line in the article)")
    p.add_argument("-o", "--save", type=Path, default=None, metavar="CLAIMS.yml",
                   help="also write the claims (as inferred) to a claims file to correct "
                        "and re-run")
    p.add_argument("--force", action="store_true", help="overwrite the --save file")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data folder holding processed/ (default: ./data of the project)")
    p.set_defaults(func=_cmd_check)

    r = subparsers.add_parser(
        "regions", help="list the places a claim can name (states, counties, regions)",
        description="List the places `parole check` understands: the nation, states, counties "
                    "(by name or FIPS), USCIS offices and the named regions of regions.yml.")
    r.set_defaults(func=_cmd_regions)
    q = subparsers.add_parser(
        "periods", help="list the period labels and the periods the ingested data cover",
        description="Explain the period labels a claim can use and list, per source, "
                    "category and measure, the periods present in the ingested data.")
    q.add_argument("source", nargs="?", default=None, help="only this source id")
    q.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data folder holding processed/ (default: ./data of the project)")
    q.set_defaults(func=_cmd_periods)

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
