"""The US tile grid: each state (and DC, Puerto Rico, the US Virgin Islands) as one square on a
fixed grid, for state maps without a shapefile.

The layout is data (``analysis/data/us_tilegrid.csv``: ``code, row, col, kind`` with ``kind``
``state``, ``district`` or ``territory``); row 0 is the top of the map. State names come from
the ``us`` package through :mod:`analysis.contract.geo`.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

import pandas as pd

from analysis.errors import ParoleError

#: Kinds of tile: the 50 states and DC always appear; territories only when asked for.
CORE_KINDS = ("state", "district")


@functools.cache
def _layout() -> pd.DataFrame:
    text = resources.files("analysis").joinpath("data/us_tilegrid.csv").read_text("utf-8")
    grid = pd.read_csv(io.StringIO(text), dtype={"code": str, "kind": str})
    if grid["code"].duplicated().any() or grid[["row", "col"]].duplicated().any():
        raise ParoleError("us_tilegrid.csv places a code twice or two codes on one tile")
    return grid


def layout(territories: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Tiles of the 50 states and DC, plus the ``territories`` asked for (``PR``, ``VI``).

    Columns ``code, row, col, kind``; a copy the caller may change.
    """
    grid = _layout()
    known = set(grid.loc[grid["kind"] == "territory", "code"])
    unknown = sorted(set(territories) - known)
    if unknown:
        raise ParoleError(f"no tile for {', '.join(unknown)}; the grid has territories "
                          f"{', '.join(sorted(known))}")
    keep = grid["kind"].isin(CORE_KINDS) | grid["code"].isin(list(territories))
    return grid[keep].reset_index(drop=True).copy()


def territory_codes() -> list[str]:
    """Codes of the territories that have a tile."""
    grid = _layout()
    return grid.loc[grid["kind"] == "territory", "code"].tolist()
