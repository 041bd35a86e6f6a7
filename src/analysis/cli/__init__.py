"""The ``parole`` command line: add raw files, ingest them, render reports, check claims.

Every subcommand is registered here, in :mod:`analysis.cli` (one module per group of commands;
the library modules keep plain functions). Start-up stays instant: only the command being run
is fully built, and each command imports the scientific stack inside itself, so ``parole
--help``, ``--version`` and every argument error answer before pandas is imported.

Every user error prints one line starting with ``parole: error:`` and exits non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from analysis import __version__
from analysis.errors import ParoleError, env_flag, one_line

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
  parole cite --category uc-released-to-sponsors --geo CA --period FY2021
"""

#: Every subcommand, in the order ``parole --help`` lists them: the module registering it and
#: the one-line help shown in that list. A module's ``REGISTER`` maps its commands to the
#: functions adding them; modules of other layers' owners (``chart``, ``claims``) expose
#: ``register_cli(subparsers)`` instead. Only the module of the command being run is imported.
COMMANDS: dict[str, tuple[str, str]] = {
    "sources": ("analysis.cli.ingest", "list the sources: publisher, table, address, licence, "
                                       "schedule and caveats"),
    "add": ("analysis.cli.ingest", "copy a raw file into data/raw/<source>/ and register it"),
    "fetch": ("analysis.cli.ingest", "download official files into data/raw/<source>/ and "
                                     "register them"),
    "inspect": ("analysis.cli.ingest", "show what a raw file holds without registering it"),
    "ingest": ("analysis.cli.ingest", "verify, parse and validate raw files into Parquet"),
    "remove": ("analysis.cli.ingest", "unregister a raw file and delete it from data/raw"),
    "report": ("analysis.cli.report", "render a parameterized report notebook to HTML"),
    "chart": ("analysis.cli.chart", "draw one chart from the processed tables (PNG/SVG, with "
                                    "its data as CSV)"),
    "check": ("analysis.cli.claims", "check an article or a claims file against the ingested "
                                     "data"),
    "regions": ("analysis.cli.claims", "list the places a claim can name (states, counties, "
                                       "regions)"),
    "periods": ("analysis.cli.claims", "list the period labels and the periods the ingested "
                                       "data cover"),
    "claims": ("analysis.cli.claims", "work with claims files (extract)"),
    "codebook": ("analysis.cli.docs", "write the codebook (every column of the data contract) "
                                      "from the schemas"),
    "freshness": ("analysis.cli.docs", "per source: latest period, retrieval date, next "
                                       "release due, stale flag"),
    "cite": ("analysis.cli.docs", "print BibTeX or CSL-JSON for a source, a raw file or a "
                                  "figure's table"),
    "init": ("analysis.cli.init", "make a project folder from the bundled notebooks and data"),
}


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"parole-stats {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (also PAROLE_DEBUG=1; may be "
                             "given after the command too)")
    parser.add_argument("--limit", dest="limits", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="raise or lower an input limit for this run, e.g. "
                             "max_rows=5000000 (names: see analysis.limits.Limits; "
                             "also PAROLE_LIMIT_<NAME>)")


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (None when there is none, as in ``parole --help``).

    >>> command_of(["--limit", "max_rows=5", "ingest", "-q"])
    'ingest'
    >>> command_of(["--version"]) is None
    True
    """
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--limit":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _register(sub, module_name: str, names: set[str]) -> None:
    """Add the commands ``names`` of ``module_name`` to the subparsers, fully."""
    module = importlib.import_module(module_name)
    register = getattr(module, "REGISTER", None)
    if register is None:  # a module registering all its commands at once
        module.register_cli(sub)
        return
    for name in COMMANDS:
        if name in names:
            register[name](sub)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``parole`` parser. With ``argv``, only the command it names is built in full (the
    others are listed by name and help, so ``--help`` needs no imports); without, every
    command is built (for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="parole",
        description="Public US parole statistics as traceable numbers, reports and charts.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = command_of(argv) if argv is not None else None
    full = set(COMMANDS) if argv is None else ({chosen} if chosen else set())
    if chosen is not None:  # a module registering several commands builds all of them
        full = {n for n, (m, _) in COMMANDS.items() if m == COMMANDS[chosen][0]}
    done: set[str] = set()
    for name, (module_name, help_text) in COMMANDS.items():
        if name in done:
            continue
        if name in full:
            group = {n for n in full if COMMANDS[n][0] == module_name}
            _register(sub, module_name, group)
            done |= group
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every error ends as one ``parole: error:`` line (``--debug`` adds
    the traceback) and a non-zero exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:  # settings, imports and option values fail in one line too
        debug = env_flag("PAROLE_DEBUG") or debug
        from analysis import limits

        limits.limits_from_env()  # a bad PAROLE_LIMIT_* is one line, whatever the command
        args = build_parser(argv).parse_args(argv)
        if args.limits:
            limits.configure(args.limits)
        return args.func(args)
    except ParoleError as exc:
        _traceback(debug)
        print(f"parole: error: {one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("parole: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        _traceback(debug)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"parole: error: {one_line(where)}{exc.strerror or exc} (nothing was replaced; "
              "run with --debug for details)", file=sys.stderr)
        return 1
    except MemoryError:
        _traceback(debug)
        print("parole: error: out of memory; an input is larger than this machine can read "
              "(lower the limits with --limit, or use a smaller file)", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the user, the traceback with --debug
        _traceback(debug)
        message = one_line(" ".join(str(exc).split())[:300])
        print(f"parole: error: unexpected {type(exc).__name__}: {message} (a bug: please report "
              "it with the output of --debug)", file=sys.stderr)
        return 1


def reconciliation_summary(report: dict, **kw) -> str:
    """:func:`analysis.cli.ingest.reconciliation_summary` (kept here for older callers)."""
    from analysis.cli.ingest import reconciliation_summary as summary

    return summary(report, **kw)


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc()
