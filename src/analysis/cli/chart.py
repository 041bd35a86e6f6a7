"""``parole chart KIND``: one briefing chart from the processed tables, from the command line.

This module only parses the options and calls the chart kind of :mod:`analysis.viz.briefing`
(which picks the rows and draws the chart), then writes PNG, SVG, alternative text and CSV.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from analysis.errors import ParoleError
from analysis.viz import briefing, charts
from analysis.viz.charts import SIZES, save

CLI_EPILOG = """\
examples:
  parole chart tilemap --category uc-released-to-sponsors --measure released --period FY2019 \\
      --out reports/charts/orr_fy2019.png
  parole chart bar --category uc-released-to-sponsors --measure released --period FY2019 \\
      --top 10 --out reports/charts/orr_fy2019_shares.png
  parole chart trend --series humanitarian-parole --measure received --out x.png
  parole chart trend --series parole-in-place --measure denial-share --out x.png
  parole chart stacked --series parole-in-place --out y.png
  parole chart stacked --series humanitarian-parole --percent --size social --out y.png
  parole chart km --synthetic --seed 1 --out reports/charts/km_synthetic.png

Each chart is written as FILE.png, FILE.svg, FILE.alt.txt (alternative text) and FILE.csv
(the rows shown, with status, source_file, source_locator, citation and the publisher's
address). The source line names the publisher's table and address for the rows shown;
part-year periods are drawn hollow and left out of trend fits; flagged figures are ringed;
charts of synthetic data carry a SYNTHETIC mark. --size print writes the PNG at 300 dpi.
"""

KINDS = tuple(briefing.KINDS)


def _output_path(out: Path) -> Path:
    if out.suffix.lower() not in ("", ".png", ".svg"):
        raise ParoleError(f"--out {out}: give a name ending in .png or .svg (both are written, "
                          "with .alt.txt beside them)")
    return out if out.suffix else out.with_suffix(".png")


def _cmd_chart(args) -> int:
    if args.kind not in briefing.KINDS:
        raise ParoleError(f"unknown chart kind {args.kind!r}; expected one of "
                          f"{', '.join(KINDS)}")
    if args.size not in SIZES:
        raise ParoleError(f"unknown size {args.size!r}; expected one of {', '.join(SIZES)}")
    if args.top is not None and args.top < 0:
        raise ParoleError("--top must be 0 (all) or more")
    if args.cases <= 0:
        raise ParoleError("--cases must be a positive number")
    out = _output_path(args.out)
    fig = briefing.KINDS[args.kind](**{name: getattr(args, name)
                                       for name in briefing.OPTIONS})
    try:
        written = save(fig, out)
    finally:
        plt.close(fig)
    for path in written:
        print(f"wrote {path}")
    return 0


def register_cli(subparsers) -> None:
    """Add ``parole chart KIND [options] --out FILE`` to the ``parole`` command line."""
    import argparse

    p = subparsers.add_parser(
        "chart", help="draw one briefing chart (PNG + SVG + alt text) from the processed data",
        description="Draw one chart in the house style from data/processed (run `parole "
                    "ingest` first): the title states the finding, the subtitle what is "
                    "measured, the source line is built from the rows shown. KIND is one of: "
                    "bar (shares of a total with intervals), trend (trend line with interval "
                    "band), stacked (outcomes per period), km (Kaplan-Meier waits by group), "
                    "tilemap (US tile-grid map).",
        epilog=CLI_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", metavar="KIND", help=f"chart kind: {', '.join(KINDS)}")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="output file (FILE.png, FILE.svg, FILE.alt.txt and FILE.csv are "
                        "written)")
    p.add_argument("--series", metavar="SLUG",
                   help="a named series (humanitarian-parole, parole-in-place, advance-parole)")
    p.add_argument("--category", metavar="CAT",
                   help="a category of the counts table (e.g. uc-released-to-sponsors)")
    p.add_argument("--measure", metavar="M",
                   help="measure (received, approved, denied, pending, released; for trend "
                        "also denial-share or approval-share)")
    p.add_argument("--period", metavar="P", help="one period for bar and tilemap (FY2019)")
    p.add_argument("--freq", choices=("quarter", "FY"), default="quarter",
                   help="periods of trend and stacked charts (default: quarter)")
    p.add_argument("--geo-level", default="state", metavar="LEVEL",
                   help="places compared in bar (default state); trend and stacked use the "
                        "nation unless --geo is given")
    p.add_argument("--geo", metavar="CODE", help="one place for trend/stacked (geo_code)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="bar: show the N largest shares (0: all; default 10)")
    p.add_argument("--method", default="wilson", choices=("wilson", "clopper-pearson"),
                   help="interval method for shares (default wilson)")
    p.add_argument("--parts", metavar="A,B",
                   help="stacked: measures to stack (default approved,denied)")
    p.add_argument("--percent", action="store_true",
                   help="stacked: show shares of each bar's total")
    p.add_argument("--log", action="store_true", help="tilemap: log colour scale")
    p.add_argument("--by", metavar="COL", help="km: group cases by this column (default basis)")
    p.add_argument("--synthetic", action="store_true",
                   help="km: use seeded synthetic case records (marked SYNTHETIC)")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic records")
    p.add_argument("--cases", type=int, default=5000, metavar="N",
                   help="number of synthetic records (default 5000)")
    p.add_argument("--size", default="slide", metavar="SIZE",
                   help=", ".join(f"{k} ({w}x{h} in, {charts.SAVE_DPI[k]} dpi)"
                                  for k, (w, h) in SIZES.items()))
    p.add_argument("--title", help="replace the computed title (state the finding)")
    p.add_argument("--subtitle", help="replace the computed subtitle (say what is measured)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="data folder holding processed/ (default: ./data of the project)")
    p.set_defaults(func=_cmd_chart)
