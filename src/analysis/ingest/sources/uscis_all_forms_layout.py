"""The layout of a USCIS quarterly all-forms table, found step by step from its cells.

The vocabulary (header synonyms, block headings, title patterns, row labels, the table key) is
data: ``uscis_all_forms.yml`` beside this module. The steps, each small enough to test on a few
lines:

1. :func:`locate_table`: the header band (the rows above the first row of figures, from the
   block headings down to the lowest header row), the Description column, the first data row.
2. :func:`assemble_header`: each column's header stacked from every band row ("Forms" over
   "Received 1", "Completed" over "Approved"), footnote marks stripped, named by the longest
   tail found among the measure synonyms.
3. :func:`split_blocks`: columns into blocks (a measure seen again starts a new block), each
   named by the block heading above its first column, else the first heading within it (a
   merged cell spilled over every column names only the block it starts).
4. :func:`read_period`: the report's fiscal year and quarter from the title, the To-Date
   heading, the filled blocks and the file name, in that order of trust; every source that
   disagrees is reported.
5. :func:`attach_periods`: each block's period (``FY2017-Q2``, ``FY2017-YTD-Q3``), or why it is
   not read (a quarter not yet reported, printed ``-`` or left blank).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from analysis import limits
from analysis.contract import periods
from analysis.errors import InputError
from analysis.ingest.sources import uscis_forms as uf
from analysis.ingest.sources.reading import Grid, column_letter
from analysis.ingest.sources.uscis_common import NUMERIC, header_anchor, header_key

LAYOUT_FILE = "uscis_all_forms.yml"


@dataclass(frozen=True)
class Vocabulary:
    """``uscis_all_forms.yml`` compiled."""

    measures: dict[str, str]
    description_headers: tuple[str, ...]
    quarter_label: re.Pattern[str]
    ytd_label: re.Pattern[str]
    quarter_numbers: dict[str, int]
    required_measures: tuple[str, ...]
    unlabelled_blocks: tuple[str, ...]
    quarter_only_measures: tuple[str, ...]
    title_periods: tuple[re.Pattern[str], ...]
    name_period: re.Pattern[str]
    total_label: re.Pattern[str]
    group_rows: frozenset[str]
    outside_total_groups: frozenset[str]
    end_lines: tuple[re.Pattern[str], ...]
    markers: dict[str, str]


@functools.cache
def vocabulary() -> Vocabulary:
    raw = resources.files("analysis.ingest.sources").joinpath(LAYOUT_FILE).read_text("utf-8")
    data = limits.load_yaml(raw, LAYOUT_FILE)
    measures = {synonym: measure for measure, words in data["measures"].items()
                for synonym in words}
    labels = data["block_labels"]
    return Vocabulary(
        measures=measures,
        description_headers=tuple(data["description_headers"]),
        quarter_label=re.compile(labels["quarter"], re.IGNORECASE),
        ytd_label=re.compile(labels["ytd"], re.IGNORECASE),
        quarter_numbers={str(k): int(v) for k, v in data["quarter_numbers"].items()},
        required_measures=tuple(data["required_measures"]),
        unlabelled_blocks=tuple(data["unlabelled_blocks"]),
        quarter_only_measures=tuple(data["quarter_only_measures"]),
        title_periods=tuple(re.compile(p, re.IGNORECASE) for p in data["title_periods"]),
        name_period=re.compile(data["name_period"]),
        total_label=re.compile(data["total_label"]),
        group_rows=frozenset(data["group_rows"]),
        outside_total_groups=frozenset(data["outside_total_groups"]),
        end_lines=tuple(re.compile(p) for p in data["end_lines"]),
        markers={str(k): str(v) for k, v in data["markers"].items()})


# ---------------------------------------------------------------------------------------------
# 1. locate the table


@dataclass
class Table:
    band: range  # the header rows
    desc_col: int
    data_start: int


def has_figure(grid: Grid, r: int, first_col: int) -> bool:
    return any(NUMERIC.match(t) and any(ch.isdigit() for ch in t)
               for t in grid.texts(r)[first_col:])


def _is_block_row(grid: Grid, r: int, desc_col: int) -> bool:
    voc = vocabulary()
    cells = [t for t in grid.texts(r)[desc_col + 1:] if t]
    return bool(cells) and any(voc.quarter_label.search(t) or voc.ytd_label.search(t)
                               for t in cells)


def locate_table(grid: Grid) -> Table:
    """The header band, the Description column and the first data row."""
    anchor = header_anchor(grid)
    if anchor is None:
        raise InputError(grid.path, "no header row with 'Forms Received' beside a "
                         "'Description' or 'Form Title' column in the first 60 rows",
                         expected="the USCIS all-forms layout (Category and Form Number | "
                                  "Description | Forms Received | Approved | ...)")
    received_row, desc_row, desc_col = anchor
    top = min(received_row, desc_row)
    while top > 0 and _is_block_row(grid, top - 1, desc_col):
        top -= 1
    start = max(received_row, desc_row) + 1
    label = vocabulary().total_label
    while start < len(grid.rows) and not (
            has_figure(grid, start, desc_col + 1)
            or any(label.match(t) for t in grid.texts(start)[:desc_col])):
        start += 1
    return Table(range(top, start), desc_col, start)


# ---------------------------------------------------------------------------------------------
# 2. assemble the header


@dataclass(frozen=True)
class Column:
    col: int
    measure: str
    header: str  # as published, the band's fragments joined ("Forms Received 1")


def _fragments(grid: Grid, table: Table, c: int) -> list[str]:
    voc = vocabulary()
    out = []
    for r in table.band:
        t = grid.text(r, c)
        if t and not (voc.quarter_label.search(t) or voc.ytd_label.search(t)):
            out.append(t)
    return out


def measure_of(fragments: list[str]) -> str | None:
    """The measure named by a column's stacked header: the longest tail of the stack that is a
    synonym (``["Completed", "Approved"]`` -> approved, ``["Forms", "Received 1"]`` ->
    received)."""
    keys = [header_key(f) for f in fragments]
    for i in range(len(keys)):
        found = vocabulary().measures.get(" ".join(k for k in keys[i:] if k))
        if found:
            return found
    return None


def assemble_header(grid: Grid, table: Table) -> list[Column]:
    """Every measure column right of the Description; an unknown header is refused by name."""
    width = max((len(grid.rows[r]) for r in table.band), default=0)
    columns: list[Column] = []
    for c in range(table.desc_col + 1, width):
        fragments = _fragments(grid, table, c)
        if not fragments:
            continue
        measure = measure_of(fragments)
        if measure is None:
            raise InputError(grid.path, "header matches no known layout: unknown column "
                             f"{' '.join(fragments)!r}",
                             locator=grid.where(table.band[-1], c),
                             expected="Forms Received, Approved, Denied, Total Completions, "
                                      "Pending, Processing Time")
        columns.append(Column(c, measure, " ".join(fragments)))
    if not columns:
        raise InputError(grid.path, "header matches no known layout: no measure columns",
                         locator=grid.where(table.band[-1]))
    return columns


# ---------------------------------------------------------------------------------------------
# 3. blocks


@dataclass
class Block:
    columns: dict[str, Column]
    first: int
    last: int
    heading: str = ""
    heading_where: str = ""
    kind: str = ""  # "quarter" or "ytd"
    quarter: int | None = None  # the ordinal of a quarter heading
    fiscal_year: int | None = None  # the year of a To-Date heading
    filled: bool = False
    period: str | None = None
    skipped: str = ""  # why the block is not read


def split_blocks(columns: list[Column]) -> list[Block]:
    """Columns into blocks: a measure already in the current block starts the next one."""
    blocks: list[Block] = []
    for column in columns:
        if not blocks or column.measure in blocks[-1].columns:
            blocks.append(Block({}, column.col, column.col))
        blocks[-1].columns[column.measure] = column
        blocks[-1].last = column.col
    for block, after in zip(blocks, blocks[1:], strict=False):
        block.last = after.first - 1
    return blocks


def _headings(grid: Grid, table: Table) -> dict[int, tuple[str, str]]:
    """Block headings in the band: column -> (text, locator); the lowest row wins."""
    voc = vocabulary()
    found: dict[int, tuple[str, str]] = {}
    for r in table.band:
        for c, t in enumerate(grid.texts(r)):
            if c > table.desc_col and t and (voc.quarter_label.search(t)
                                             or voc.ytd_label.search(t)):
                found[c] = (t, grid.where(r, c))
    return found


def _name(block: Block, text: str, where: str) -> None:
    voc = vocabulary()
    block.heading, block.heading_where = text, where
    if m := voc.quarter_label.search(text):
        block.kind, block.quarter = "quarter", voc.quarter_numbers[m["q"].lower()]
    elif m := voc.ytd_label.search(text):
        block.kind = "ytd"
        block.fiscal_year = int(m["fy"]) if m["fy"] else None


def _kinds_make_sense(blocks: list[Block]) -> bool:
    """Quarter blocks, then at most one To-Date block, last."""
    kinds = [b.kind for b in blocks]
    return "" not in kinds and "ytd" not in kinds[:-1] and "quarter" in kinds


def name_blocks(grid: Grid, table: Table, blocks: list[Block]) -> list[str]:
    """Each block's kind from the heading above its first column, else the first heading
    within its columns; without usable headings (none, or headings that do not line up with
    the columns), the shape of ``unlabelled_blocks`` when the block count fits it."""
    headings = _headings(grid, table)
    for block in blocks:
        if block.first in headings:
            _name(block, *headings[block.first])
            continue
        inside = sorted(c for c in headings if block.first <= c <= block.last)
        if inside:
            _name(block, *headings[inside[0]])
    if _kinds_make_sense(blocks):
        return []
    shape = vocabulary().unlabelled_blocks
    if len(blocks) != len(shape):
        raise InputError(grid.path, f"header matches no known layout: {len(blocks)} column "
                         "block(s) that the block headings do not name",
                         locator=grid.where(table.band[-1]),
                         expected="quarter blocks and a fiscal-year-to-date block")
    named = any(b.kind for b in blocks)
    for block, kind in zip(blocks, shape, strict=True):
        block.kind, block.quarter, block.fiscal_year = kind, None, None
    return ["the block headings do not line up with the columns; the blocks are read as "
            + " and ".join(shape)] if named else []


def check_blocks(grid: Grid, blocks: list[Block]) -> list[str]:
    """Refuse blocks that cannot be told apart; list those that lack measures (read as they
    are: the FY2017 Q3 CSV cuts its To-Date block after Approved)."""
    voc = vocabulary()
    notes: list[str] = []
    quarter_measures: set[str] = set()
    for block in blocks:
        missing = [m for m in voc.required_measures if m not in block.columns]
        if missing:
            raise InputError(grid.path, "header matches no known layout: the block at column "
                             f"{column_letter(block.first)} lacks {', '.join(missing)}")
        if block.kind == "quarter":
            quarter_measures |= set(block.columns)
    for block in blocks:
        if block.kind != "ytd":
            continue
        extra = [m for m in block.columns if m in voc.quarter_only_measures
                 or m not in quarter_measures]
        if extra:
            raise InputError(grid.path, f"header matches no known layout: {extra[0]} in the "
                             "fiscal-year-to-date block but not in the quarter's")
        lacking = sorted(quarter_measures - set(block.columns)
                         - set(voc.quarter_only_measures))
        if lacking:
            notes.append(f"the fiscal-year-to-date block has no {', '.join(lacking)} column "
                         "(the file's columns end there); those figures are not read")
    return notes


# ---------------------------------------------------------------------------------------------
# 4. the period


@dataclass(frozen=True)
class Claim:
    """One source's say on the report's period."""

    source: str  # "date line", "title line", "To-Date heading", ...
    fiscal_year: int | None
    quarter: int | None
    where: str = ""

    def label(self) -> str:
        if self.quarter is None:
            return f"FY{self.fiscal_year}"
        return f"FY{self.fiscal_year}-Q{self.quarter}" if self.fiscal_year else \
            f"quarter {self.quarter}"


@dataclass
class ReportPeriod:
    fiscal_year: int
    quarter: int
    notes: list[str] = field(default_factory=list)

    @property
    def quarter_period(self) -> periods.Period:
        return periods.fiscal_quarter(self.fiscal_year, self.quarter)


def name_claim(name: str) -> Claim | None:
    """The period a file name claims (``Quarterly_All_Forms_FY17Q3.csv`` -> FY2017 Q3)."""
    m = vocabulary().name_period.search(name)
    if not m:
        return None
    fy = int(m["fy"])
    return Claim("file name", fy + 2000 if fy < 100 else fy, int(m["q"]), name)


def _date_line(grid: Grid, stop: int) -> Claim | None:
    if stop <= 0:
        return None
    for r, match in grid.find(uf.DATE_RANGE, rows=range(min(stop, len(grid.rows)))):
        try:
            found = uf.date_range(grid.line_text(r)) or uf.date_range(match.group(0))
        except ValueError as exc:
            raise InputError(grid.path, f"{match.group(0)!r} is not a valid date range ({exc})",
                             locator=grid.where(r)) from None
        assert found is not None
        start, end, _ = found
        quarter = periods.fiscal_quarter_of(start)
        if quarter.start != start or quarter.end != end:
            raise InputError(grid.path, f"date range {start} to {end} is not one fiscal quarter",
                             locator=grid.where(r),
                             expected="a range such as October 1 - December 31")
        return Claim("date line", quarter.fiscal_year, quarter.quarter, grid.where(r))
    return None


def _title_line(grid: Grid, stop: int) -> Claim | None:
    if stop <= 0:  # no rows above the header (Grid.find would search them all)
        return None
    for pattern in vocabulary().title_periods:
        for r, m in grid.find(pattern, rows=range(min(stop, len(grid.rows)))):
            return Claim("title line", int(m["fy"]), int(m["q"]) if m["q"] else None,
                         grid.where(r))
    return None


def _block_claims(blocks: list[Block]) -> list[Claim]:
    claims = []
    ytd = next((b for b in blocks if b.kind == "ytd" and b.fiscal_year), None)
    if ytd is not None:
        claims.append(Claim(f"To-Date heading {ytd.heading!r}", ytd.fiscal_year, None,
                            ytd.heading_where))
    quarters = [b for b in blocks if b.kind == "quarter" and b.quarter]
    filled = [b.quarter for b in quarters if b.filled]
    if len(quarters) > 1 and filled:
        claims.append(Claim("filled quarter blocks", None, max(filled)))
    elif len(quarters) == 1:
        q = quarters[0]
        claims.append(Claim(f"block heading {q.heading!r}", None, q.quarter, q.heading_where))
    return claims


def _choose(claims: list[Claim], attr: str) -> Claim | None:
    return next((c for c in claims if getattr(c, attr) is not None), None)


def _disagreements(claims: list[Claim], fy: Claim, q: Claim, source_file: str) -> list[str]:
    notes = []
    chosen = f"FY{fy.fiscal_year}-Q{q.quarter}"
    used = fy.source if fy is q else f"{fy.source} and the {q.source}"
    for c in claims:
        if (c.fiscal_year not in (None, fy.fiscal_year)) or (c.quarter not in (None, q.quarter)):
            where = f" ({c.where})" if c.where and c.source != "file name" else ""
            notes.append(f"{source_file}: the {c.source}{where} says {c.label()} but the "
                         f"{used} say(s) {chosen}; the content is used")
    return notes


def read_period(grid: Grid, table: Table, blocks: list[Block], path: Path,
                source_file: str) -> ReportPeriod:
    """The report's fiscal year and quarter, from the title, the To-Date heading, the filled
    blocks and the file name, in that order of trust."""
    claims = [c for c in (_date_line(grid, table.data_start), _title_line(grid, table.band[0]))
              if c is not None]
    claims += _block_claims(blocks)
    claims += [c for c in (name_claim(Path(source_file).name), name_claim(path.name))
               if c is not None][:1]
    fy, q = _choose(claims, "fiscal_year"), _choose(claims, "quarter")
    if fy is None or q is None:
        raise InputError(grid.path, "no date-range line above the header, and no fiscal "
                         "year and quarter in a title line, the block headings or the file "
                         "name", expected='a line such as "July 1, 2024 - September 30, 2024"')
    result = ReportPeriod(fy.fiscal_year, q.quarter)
    result.notes = _disagreements(claims, fy, q, source_file)
    if fy.source == "file name" or q.source == "file name":
        result.notes.append(f"{source_file}: no date line above the header; the period "
                            f"FY{fy.fiscal_year}-Q{q.quarter} is taken from the file name")
    elif fy.source != "date line":
        result.notes.append(f"{source_file}: no date line; the fiscal year is read from the "
                            f"{fy.source}, the quarter from the {q.source}")
    return result


# ---------------------------------------------------------------------------------------------
# 5. periods of the blocks


def mark_filled(grid: Grid, blocks: list[Block], rows: range) -> None:
    """A block is filled when one of its cells in ``rows`` holds a number ('-' alone, as the
    FY2017 editions print for quarters not yet reported, is not a figure)."""
    for block in blocks:
        cols = [c.col for c in block.columns.values()]
        block.filled = any(_number(grid.cell(r, c)) for r in rows for c in cols)


def _number(cell: Any) -> bool:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return True
    return isinstance(cell, str) and bool(NUMERIC.match(cell.strip().strip('"').strip())) \
        and any(ch.isdigit() for ch in cell)


def attach_periods(blocks: list[Block], period: ReportPeriod) -> list[str]:
    """Each block's period label, or why it is not read; notes for the result."""
    fy, q = period.fiscal_year, period.quarter
    quarter_blocks = [b for b in blocks if b.kind == "quarter"]
    notes = []
    for block in blocks:
        if block.kind == "ytd":
            block.period = periods.fiscal_ytd(fy, q).label
        elif len(quarter_blocks) == 1:
            block.period = periods.fiscal_quarter(fy, q).label
        elif block.quarter is None:
            block.skipped = "a quarter block without its quarter's name"
        elif block.quarter > q:
            block.skipped = (f"quarter {block.quarter} is after the report's quarter {q}"
                             + (" (it has figures)" if block.filled else
                                " (not yet reported: blank or '-')"))
        elif not block.filled:
            block.skipped = f"quarter {block.quarter} has no figures"
        else:
            block.period = periods.fiscal_quarter(fy, block.quarter).label
    earlier = [b.period for b in quarter_blocks if b.period and b.quarter and b.quarter < q]
    if earlier:
        notes.append(f"this edition republishes {', '.join(earlier)} (each edition may revise "
                     "the earlier quarters of its year; at ingest the latest edition's figure "
                     "is kept and every change is listed)")
    skipped = [f"{b.heading or b.kind} ({b.skipped})" for b in blocks if b.skipped]
    if skipped:
        notes.append("column blocks not read: " + "; ".join(skipped))
    return notes
