"""``parole report``: render parameterized report notebooks to HTML.

A place named in ``-p geo=...`` is checked against the geography vocabulary before the report
machinery (papermill, pandas, the kernels) is imported, so a mistyped place fails at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import config
from analysis.cli.ingest import data_dir_option
from analysis.errors import ParoleError


def check_place(params: dict) -> None:
    """Refuse a ``geo`` parameter that is neither a state nor a named region, quickly (only the
    geography vocabulary is read). The report's own validation still runs afterwards.

    >>> check_place({"geo": "CA"})
    >>> check_place({})
    """
    place = params.get("geo")
    if not isinstance(place, str) or not place.strip():
        return
    from analysis.contract import geo

    try:
        geo.state_code(place)
    except geo.GeographyError as state_error:
        try:
            geo.region(place)
        except geo.GeographyError as region_error:
            raise ParoleError(f"geo={place!r} is neither a state ({state_error}) nor a named "
                              f"region ({region_error})") from None


def _jobs(args: argparse.Namespace, params: dict, reports) -> list[tuple[str, dict]]:
    """The (report, parameters) pairs the arguments ask for."""
    if args.default:
        if args.name or params or args.all_states or args.regions:
            raise ParoleError("--default renders the default set; give no report name, "
                              "parameters, --all-states or --regions with it")
        return reports.DEFAULT_SET
    if not args.name:
        raise ParoleError("name a report (see `parole report --list`) or use --default")
    if args.all_states or args.regions:
        if "geo" in params:
            raise ParoleError("-p geo=... cannot be combined with --all-states or --regions")
        places = reports.batch_places(all_states=args.all_states, regions_file=args.regions)
        return [(args.name, {**params, "geo": place}) for place in places]
    return [(args.name, params)]


def _print_list(reports) -> int:
    for name, params in reports.available().items():
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        print(f"{name}: {shown}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    for folder in args.allow_dirs or []:
        config.allow_dir(folder)
    from analysis.reports import render as reports

    if args.list:
        return _print_list(reports)
    params = reports.parse_parameters(args.parameters or [], args.yaml)
    check_place(params)
    jobs = _jobs(args, params, reports)
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


def _register_report(sub) -> None:
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
    data_dir_option(p)
    p.set_defaults(func=_cmd_report)


REGISTER = {"report": _register_report}
