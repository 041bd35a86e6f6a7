"""``parole init DIR``: a new project folder from the bundled data (for an installed package)."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config


def _cmd_init(args: argparse.Namespace) -> int:
    dest = config.init_project(args.folder)
    print(f"copied the bundled notebooks and data into {dest}; next: cd {dest} && parole ingest "
          "&& parole report --default")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("init", help="make a project folder from the bundled notebooks and data",
                       description="Copy the bundled notebooks/ and data/ (raw files with their "
                                   "manifest, claims files, templates) into DIR, so that "
                                   "`parole ingest` and `parole report` run there. For an "
                                   "installed package; a checkout is already a project.")
    p.add_argument("folder", type=Path, nargs="?", default=Path("."), metavar="DIR",
                   help="the project folder (created if absent; default: the current folder)")
    p.set_defaults(func=_cmd_init)
