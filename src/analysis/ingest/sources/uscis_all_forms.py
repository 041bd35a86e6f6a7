"""Adapter for the USCIS quarterly report "Number of Service-wide Forms By Quarter, Form Status,
and Processing Time" (All USCIS Application and Petition Form Types), CSV and XLSX editions,
FY2017 on. A file that turns out to be the *monthly* report is handed to :mod:`.uscis_monthly`
(its rows carry source ``uscis-monthly``).

Layout families (the vocabulary of each is data: ``uscis_all_forms.yml`` beside this module;
the layout is found by the steps of :mod:`.uscis_all_forms_layout`)
-------------------------------------------------------------------------------------------
* **FY2017 to FY2019 Q2**: all four quarters side by side (``1st Quarter1`` ... ``4th
  Quarter1``, each ``Forms Received2 | Approved3 | Denied4 | Pending5``) and a ``Fiscal Year 2017
  To-Date`` block; no completions, no processing time, no date line (the fiscal year is in the
  To-Date heading or a title line "Fiscal Year 2019", the quarter in which blocks are filled and
  in the file name); form numbers in column B with group names in column A; quarters not yet
  reported printed ``-`` in the TOTAL row and blank elsewhere (those blocks are not read, and
  the result says so); each edition republishes the earlier quarters of its year, revised.
* **FY2021 Q4 to FY2023 Q2**: the quarter and the fiscal year to date, with the header spread
  over two or three rows (``Forms`` over ``Received 1``, ``Completed`` over ``Approved | Denied
  | Total 15``) or one row with ``Total 4``; footnotes after a space in row labels (``I-131
  19``); a title line "Fiscal Year 2021, Quarter 4" or a date range.
* **FY2023 Q3 on** (CSV and XLSX): one header row under a block row whose merged cells spill
  over every column (``3rd Quarter,4th Quarter,1st Quarter,...``): a block is named by the
  heading over its first column. Footnotes glued to form numbers (``I-13122``).

What the adapter does
---------------------
* **Sheet by content**: the sheet with a Forms Received header beside a Description (or Form
  Title) column, whatever its name.
* **Header**: each column's header is stacked from every header row and its footnote marks
  stripped (glued ``Received1``, spaced ``Total 15``, superscript ``Completions¹``), then named
  from the measure synonyms: Forms Received -> ``received``, Approved -> ``approved``, Denied
  -> ``denied``, Total Completions / Total / Completed -> ``completed``, Pending -> ``pending``.
  A header word that names no measure is refused by name.
* **Period of each block** from the title (a date range, or "Fiscal Year 2021, Quarter 4"), the
  To-Date heading, the filled blocks and the file name (``FY17Q3``, ``fy2025_q1``), in that order
  of trust: quarter blocks become ``FY2017-Q1`` ..., the To-Date block ``FY2017-YTD-Q3``. Every
  source that disagrees with the one used is named in the notes (the content decides, never
  the name). ``release`` is the report quarter's last day, so that at ingest a later edition's
  revision of an earlier quarter is kept and the change listed
  (:mod:`analysis.ingest.sources.revisions`).
* **Row labels with footnote numbers** (``I-13122`` is I-131 with note 22, ``I-131 19``,
  ``Legalization6``) are split with the known-forms list, the description and the file's
  References (:func:`analysis.ingest.sources.uscis_forms.resolve_label`); each split is listed.
  Rows naming a group of forms (``Waivers``, ``EOIR Adjustment``) have ``form`` null.
* **Processing Time** goes to ``processing_times`` (months, nation/US), its statistic read from
  the column's footnote (median; "average" -> mean). A time printed ``0`` is not published
  (status ``not_available``, with a note), never a 0-month median.
* **Cells**: ``D`` -> suppressed, ``-`` -> zero, ``N/A`` -> not_available, ``H`` -> withheld,
  thousands separators removed; fractional counts kept and flagged. **Read what can be read**:
  a blank cell in a block that has figures becomes ``not_available`` with its locator (counted
  in the notes); a cell that is neither a number nor a marker becomes ``not_available`` with
  its reason and is listed in ``rejected``; a row whose label is not a form number or row title,
  or that repeats a form and category, is listed in ``rejected`` with its figures. A file is
  refused only when its structure cannot be identified (no header, an unknown header word, no
  period, no key or notes after the table, form rows after it).
* The TOTAL row has ``form`` null and category ``total``; group rows are not output (the group
  is named in each row's note); rows the References leave out of the TOTAL say so.

Categories
----------
Row titles listed in ``analysis/data/uscis_form_titles.csv`` get that table's category, so a
series runs unbroken across USCIS's renamings: I-131 ``reentry-permit-refugee-travel-document``,
``advance-parole``, ``travel-document-all``, ``parole-in-place``, ``humanitarian-parole``,
``initial-parole-outside-us``; I-485 ``family``, ``employment``, ``asylum``, ``refugee``,
``cuban``, ``other``; DS-230 ``immigrant-visas``. Other rows get the slug of their description.
``initial-parole-outside-us`` (FY2026 on) is NOT relabelled as humanitarian parole here.

Reconciliation
--------------
:func:`reconcile_ytd` compares each year-to-date flow with the sum of quarters Q1..Qn and each
year-to-date ``pending`` with quarter n's (the FY2017 editions check themselves: all their
quarters are in the file). :func:`reconcile_total_row` compares the TOTAL row with the sum of
the form rows it covers. Disagreements are reported and both figures kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import InputError
from analysis.ingest.sources import reading
from analysis.ingest.sources import uscis_all_forms_layout as lay
from analysis.ingest.sources import uscis_common as uc
from analysis.ingest.sources import uscis_forms as uf
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    Rejection,
    counts_frame,
    parse_cell,
    table_frame,
)
from analysis.ingest.sources.reading import Grid, column_letter, header_key, slug  # noqa: F401

SOURCE = "uscis-all-forms"
YTD_MEASURES = ("received", "approved", "denied", "completed", "pending")
#: the measures the TOTAL row is checked on
TOTAL_MEASURES = ("received", "approved", "denied", "completed", "pending")
USCIS_MARKERS = uc.USCIS_MARKERS
_FORM = re.compile(rf"^(?P<form>{uf.FORM_NUMBER})(?:\s*(?P<foot>\d{{1,2}}))?$")

looks_like_report = uc.looks_like_report


def check_size(path: Path) -> None:
    """Refuse missing, empty or over-large files (the limits of :mod:`.reading`)."""
    reading.check_size(path)


def read_grid(path: Path) -> Grid:
    """The report's cells from a CSV file, or from the workbook sheet that holds the table
    (chosen by content, not by name)."""
    return reading.read_grid(path, uc.looks_like_report,
                             expected="a sheet with the service-wide forms table (a header "
                                      "row with 'Forms Received')")


def i131_category(title: str) -> str | None:
    """The stable category slug of an I-131 row title, or None when the title is unknown
    (the table is ``analysis/data/uscis_form_titles.csv``)."""
    return uf.title_category("I-131", title)


def name_period(name: str) -> str | None:
    """The period a file name claims (``quarterly_all_forms_fy2025_q1.xlsx`` -> FY2025-Q1,
    ``Quarterly_All_Forms_FY17Q3.csv`` -> FY2017-Q3)."""
    claim = lay.name_claim(name)
    return claim.label() if claim else None


# ---------------------------------------------------------------------------------------------
# the layout


@dataclass
class Layout:
    table: lay.Table
    blocks: list[lay.Block]  # the blocks that are read (each with its period)
    end_row: int
    references: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def desc_col(self) -> int:
        return self.table.desc_col

    @property
    def number_cols(self) -> list[int]:
        return [c.col for b in self.blocks for c in b.columns.values()]

    def quarter_block(self) -> lay.Block | None:
        """The block of the report's own quarter (the one with processing time, if any)."""
        quarters = [b for b in self.blocks if b.kind == "quarter"]
        return max(quarters, key=lambda b: b.period or "") if quarters else None


def read_layout(grid: Grid, table: lay.Table, path: Path, source_file: str
                ) -> tuple[Layout, list[str], str]:
    """Header, blocks, end of the table and the period of each block; ``(layout, notes,
    release)``."""
    blocks = lay.split_blocks(lay.assemble_header(grid, table))
    notes = lay.name_blocks(grid, table, blocks)
    notes += lay.check_blocks(grid, blocks)
    end = table_end(grid, table)
    all_cols = [c.col for b in blocks for c in b.columns.values()]
    check_nothing_after(grid, table, end, all_cols)
    lay.mark_filled(grid, blocks, range(table.data_start, end))
    period = lay.read_period(grid, table, blocks, path, source_file)
    notes = period.notes + [f"{source_file}: {n}" for n in
                            notes + lay.attach_periods(blocks, period)]
    layout = Layout(table, [b for b in blocks if b.period], end)
    layout.references, layout.notes = uf.numbered_lines(
        [grid.line_text(r) for r in range(end, len(grid.rows))])
    return layout, notes, period.quarter_period.end.isoformat()


def row_label(grid: Grid, r: int, desc_col: int) -> tuple[str, int]:
    """A row's label: the first text left of the Description (column A holds group names and
    TOTAL, column B the form number in the FY2017-FY2019 editions)."""
    for c in range(desc_col):
        if t := grid.text(r, c):
            return t, c
    return "", 0


def table_end(grid: Grid, table: lay.Table) -> int:
    """The first row after the table: the key, references, notes or sources (a row without
    figures whose text starts like one)."""
    voc = lay.vocabulary()
    for r in range(table.data_start, len(grid.rows)):
        line = grid.line_text(r)
        if line and not lay.has_figure(grid, r, table.desc_col + 1) and any(
                p.match(line) for p in voc.end_lines):
            return r
    raise InputError(grid.path, "the table has no Table Key, notes or footnotes after it; "
                     "the file may be truncated", locator=grid.where(len(grid.rows) - 1),
                     expected="a 'Table Key' line after the last form row")


def check_nothing_after(grid: Grid, table: lay.Table, end: int, cols: list[int]) -> None:
    """Refuse a file whose form rows continue after the table's end (a misplaced end line)."""
    total = lay.vocabulary().total_label
    for r in range(end + 1, len(grid.rows)):
        label, _ = row_label(grid, r, table.desc_col)
        figures = any(grid.text(r, c) for c in cols)
        if figures and (_FORM.match(label) or total.match(label)):
            raise InputError(grid.path, f"form row {label!r} after the end of the table "
                             f"({grid.where(end)})", locator=grid.where(r),
                             expected="the Table Key and notes after the last form row")


def processing_time_statistic(layout: Layout) -> tuple[str, str]:
    """``(statistic, why)`` of the quarter's Processing Time column, from the reference its
    header names, else any reference or note that defines processing times (USCIS numbers
    them differently from one edition to the next)."""
    block = layout.quarter_block()
    column = block.columns.get("processing-time") if block else None
    if column is None:
        return "median", ""
    glued = re.search(r"(\d{1,2})$", column.header)
    candidates = [layout.references.get(int(glued[1]), "")] if glued else []
    candidates += [*layout.references.values(), *layout.notes.values()]
    for key in candidates:
        low = key.lower()
        if "processing time" not in low:
            continue
        if "median" in low:
            return "median", "the report's key: the months presented are the median"
        if "average" in low or "mean" in low:
            return "mean", "the report's key: the months presented are an average"
    return "median", ("the file does not say which statistic its Processing Time is; USCIS's "
                      "key for this report gives the median")


# ---------------------------------------------------------------------------------------------
# parse


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read one quarterly all-forms report (CSV or XLSX) into ``counts`` and
    ``processing_times``; a monthly report is handed to :mod:`.uscis_monthly`."""
    path = Path(path)
    grid = read_grid(path)
    anchor = uc.header_anchor(grid)
    if anchor is not None and uc.is_monthly(grid, min(anchor[:2])):
        return _monthly(grid, source_file, citation)
    table = lay.locate_table(grid)
    result = AdapterResult()
    layout, notes, result.release = read_layout(grid, table, path, source_file)
    result.notes.extend(notes)
    reader = RowReader(grid, layout, source_file, citation, result)
    reader.read()
    if not reader.counts:
        raise InputError(path, "no form rows below the header", locator=grid.where(
            table.data_start), expected="a TOTAL row and one row per form")
    frame = counts_frame(reader.counts)
    result.tables["counts"] = frame
    result.tables["processing_times"] = table_frame("processing_times", reader.times)
    result.reconciliation = reconcile_ytd(frame) + reconcile_total_row(frame, reader.excluded)
    return result


def _monthly(grid: Grid, source_file: str, citation: str) -> AdapterResult:
    from analysis.ingest.sources import SOURCES, uscis_monthly

    if citation == SOURCES[SOURCE].citation:  # the default: cite the monthly report instead
        citation = SOURCES[uscis_monthly.SOURCE].citation
    return uscis_monthly.parse_grid(grid, source_file=source_file, citation=citation)


# ---------------------------------------------------------------------------------------------
# the rows


@dataclass
class Row:
    """One form (or TOTAL) row as identified: its label, form, category and notes."""

    r: int
    form: str | None
    category: str
    title: str  # "row title: I-131 19 | Application for Travel Document (...)"
    notes: list[str]
    carried: str = ""


class RowReader:
    """Reads the rows between the header and the table's end, one small step per row."""

    def __init__(self, grid: Grid, layout: Layout, source_file: str, citation: str,
                 result: AdapterResult) -> None:
        self.grid, self.layout, self.result = grid, layout, result
        self.source_file, self.citation = source_file, citation
        self.statistic, self.statistic_why = processing_time_statistic(layout)
        self.counts: list[dict[str, Any]] = []
        self.times: list[dict[str, Any]] = []
        self.excluded: set[tuple[str | None, str]] = set()
        self.seen: dict[tuple[str | None, str], int] = {}
        self.group = ""
        self.previous: tuple[uf.Label, int] | None = None
        self.splits: list[str] = []
        self.fractional: list[str] = []
        self.unmapped: list[str] = []
        self.blanks: list[str] = []
        self.shifted = 0

    def read(self) -> None:
        if self.statistic_why.startswith("the file does not say"):
            self.result.notes.append(f"{self.source_file}: {self.statistic_why}")
        for r in range(self.layout.table.data_start, self.layout.end_row):
            row = self.identify(r)
            if row is not None:
                self.emit(row)
        if self.shifted and self.shifted * 2 >= self.shifted + len(self.seen):
            raise InputError(self.grid.path, "header matches no known layout: the header does "
                             f"not line up with the rows ({self.shifted} row(s) have figures "
                             "or form numbers where the description belongs)",
                             locator=self.grid.where(self.layout.table.band[-1]))
        self.summarise()

    # -- identify ------------------------------------------------------------------------

    def identify(self, r: int) -> Row | None:
        grid, desc_col = self.grid, self.layout.desc_col
        raw_label, _ = row_label(grid, r, desc_col)
        desc = grid.text(r, desc_col)
        has_numbers = any(grid.text(r, c) for c in self.layout.number_cols)
        if not raw_label and not desc and not has_numbers:
            return None
        if self._shifted(r, desc):
            self._reject(r, "the row's cells are out of line with the header (a form number "
                            "or a figure where the description belongs, or a title where "
                            "figures belong); the row is not read")
            return None
        if lay.vocabulary().total_label.match(raw_label):
            return Row(r, None, "total", self._title(raw_label, desc), [])
        if raw_label and not desc and not has_numbers and not _FORM.match(raw_label):
            self.group = raw_label
            return None
        return self.form_row(r, raw_label, desc)

    def form_row(self, r: int, raw_label: str, desc: str) -> Row | None:
        label, carried = self._label(r, raw_label, desc)
        if label is None:
            self._reject(r, f"{raw_label or desc!r} is not a form number or a row title")
            return None
        form = label.form
        category, listed = uf.category_of(form, desc, label.name)
        if form == "I-131" and not listed:
            self.unmapped.append(desc)
        if label.footnote is not None and not carried:
            self.splits.append(f"{label.published!r} -> {label.name} + note {label.footnote}"
                               + (f" ({label.evidence})" if label.evidence.startswith("weak")
                                  else ""))
        key = (form, category)
        if key in self.seen:
            self._reject(r, f"form {form} has two rows with category {category} (also "
                            f"{self.grid.where(self.seen[key])}); the second is not read")
            return None
        self.seen[key] = r
        notes = self._row_notes(label, form, desc)
        if self._outside_total(label):
            self.excluded.add(key)
            notes.append("not included in the TOTAL row"
                         + (f" (note {label.footnote})" if label.footnote else ""))
        return Row(r, form, category, self._title(raw_label, desc), notes, carried)

    def _label(self, r: int, raw_label: str, desc: str) -> tuple[uf.Label | None, str]:
        if not raw_label and self.previous is not None:
            label, at = self.previous
            return label, f", form number carried down from {self.grid.where(at)}"
        label = uf.resolve_label(raw_label, desc, self.layout.references)
        if label is None:
            return None, ""
        self.previous = (label, r)
        return label, ""

    def _shifted(self, r: int, desc: str) -> bool:
        if _FORM.match(desc) or (desc and (uc.NUMERIC.match(desc)
                                           or desc.upper() in uc.USCIS_MARKERS)):
            self.shifted += 1
            return True
        if any(len(re.findall(r"[A-Za-z]{2,}", self.grid.text(r, c))) >= 2
               for c in self.layout.number_cols):
            self.shifted += 1
            return True
        return False

    @staticmethod
    def _title(raw_label: str, desc: str) -> str:
        return f"row title: {raw_label}{' | ' if raw_label and desc else ''}{desc}"

    def _row_notes(self, label: uf.Label, form: str | None, desc: str) -> list[str]:
        notes = [f"category group: {self.group}"] if self.group else []
        if label.footnote is not None:
            ref = self.layout.references.get(label.footnote)
            notes.append(f"note {label.footnote}: {ref}" if ref else
                         f"note {label.footnote} (its text is not in the file)")
        if form is None:
            notes.append(f"{label.name} is a group of forms, not one form number")
        for n, note in self.layout.notes.items():
            if uf.note_applies(note, form, desc):
                notes.append(f"publisher's note {n}): {note}")
        return notes

    def _outside_total(self, label: uf.Label) -> bool:
        if header_key(self.group) in lay.vocabulary().outside_total_groups:
            return True
        ref = self.layout.references.get(label.footnote) if label.footnote is not None else None
        return bool(ref and re.search(r"not included in the .{0,20}total", ref, re.IGNORECASE))

    def _reject(self, r: int, reason: str) -> None:
        figures = " | ".join(t for t in self.grid.texts(r) if t)
        self.result.rejected.append(Rejection(self.grid.where(r), reason, figures))

    # -- emit ----------------------------------------------------------------------------

    def emit(self, row: Row) -> None:
        base = {"source": SOURCE, "form": row.form, "category": row.category,
                "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
                "source_file": self.source_file, "citation": self.citation}
        for block in self.layout.blocks:
            completed = None
            if "completed" in block.columns:
                completed = self.cell(row, block.columns["completed"])[0]
            for measure, column in block.columns.items():
                value, status, notes = self.cell(row, column)
                locator = (f"{self.grid.where(row.r, column.col, column.header)} "
                           f"({row.title}{row.carried})")
                if measure == "processing-time":
                    self.time(row, block, value, status, notes, completed, locator)
                    continue
                if status == "reported" and value is not None and not float(value).is_integer():
                    notes.append("fractional count kept as published (USCIS apportions some "
                                 "approvals and denials between rows)")
                    self.fractional.append(self.grid.where(row.r, column.col))
                self.counts.append({**base, "measure": measure, "period": block.period,
                                    "value": value, "status": status, "source_locator": locator,
                                    "note": uc.join_notes(notes)})

    def cell(self, row: Row, column: lay.Column) -> tuple[float | None, str, list[str]]:
        """A cell as ``(value, status, notes)``: never refused, an unreadable cell becomes
        not_available with its reason (and is listed in ``rejected``)."""
        raw = self.grid.cell(row.r, column.col)
        notes = list(row.notes)
        problem = uc.cell_problem(raw)
        if problem is not None:
            where = self.grid.where(row.r, column.col, column.header)
            if not any(r.locator == where for r in self.result.rejected):
                self.result.rejected.append(Rejection(where, problem, str(raw)))
            return None, "not_available", [*notes, f"cell not read: {problem}"]
        value, status = parse_cell(raw, lay.vocabulary().markers)
        if status == "not_available" and not reading.text(raw):
            notes.append("blank cell: no figure published")
            self.blanks.append(self.grid.where(row.r, column.col))
        return value, status, notes

    def time(self, row: Row, block: lay.Block, value: float | None, status: str,
             notes: list[str], completed: float | None, locator: str) -> None:
        value, status, extra = uc.processing_time_cell(value, status, completed)
        notes = notes + extra
        if self.statistic_why and status in ("reported", "zero"):
            notes.append(self.statistic_why)
        self.times.append({"source": SOURCE, "form": row.form, "subtype": row.category,
                           "geo_level": "nation", "geo_code": "US",
                           "geo_name": "United States", "as_of": None, "period": block.period,
                           "statistic": self.statistic, "months": value, "status": status,
                           "source_file": self.source_file, "source_locator": locator,
                           "citation": self.citation, "note": uc.join_notes(notes)})

    def summarise(self) -> None:
        notes, name = self.result.notes, self.source_file
        if self.splits:
            notes.append(f"{name}: footnote numbers glued to row labels were separated: "
                         + "; ".join(dict.fromkeys(self.splits)))
        if self.fractional:
            notes.append(f"{name}: {len(self.fractional)} fractional count(s) kept as "
                         f"published, e.g. at {self.fractional[0]}")
        if self.unmapped:
            notes.append("I-131 row title(s) not in the title table, given the description "
                         "slug as category: " + "; ".join(self.unmapped))
        blanks = sorted(set(self.blanks), key=self.blanks.index)
        if blanks:
            notes.append(f"{name}: {len(blanks)} blank cell(s) in blocks that have figures "
                         f"read as not_available, e.g. at {blanks[0]}")
        unread = [r for r in self.result.rejected if r.reason]
        if unread:
            notes.append(f"{name}: {len(unread)} cell(s) or row(s) not read (listed as "
                         f"rejected), e.g. at {unread[0].locator}: {unread[0].reason}")


# ---------------------------------------------------------------------------------------------
# reconciliation

def reconcile_ytd(counts: pd.DataFrame, measures: Iterable[str] = YTD_MEASURES
                  ) -> list[Reconciliation]:
    """Compare each fiscal-year-to-date figure with its quarters.

    Flows (received, approved, denied, completed): the year-to-date figure against the sum of
    quarters Q1..Qn. ``pending`` is a count on one day, so the year-to-date pending is compared
    with the pending of quarter n alone. ``counts`` may hold one file or several (any number of
    quarters of any years). A check is made only where every quarter needed is present and
    every figure has a value; suppressed or missing parts make the check impossible, and it is
    skipped rather than guessed.
    """
    if counts.empty:
        return []
    frame = counts[counts["measure"].isin(list(measures))].copy()
    frame["form_key"] = frame["form"].fillna("")
    labels = frame["period"].astype(str)
    is_q = labels.str.fullmatch(r"FY\d{4}-Q[1-4]")
    is_ytd = labels.str.fullmatch(r"FY\d{4}-YTD-Q[1-4]")
    quarters = {
        (row.source, row.form_key, row.category, row.measure, row.geo_code, row.period): row
        for row in frame[is_q].itertuples(index=False)}
    checks: list[Reconciliation] = []
    for row in frame[is_ytd].sort_values(["period", "form_key", "category", "measure"]
                                         ).itertuples(index=False):
        if pd.isna(row.value):
            continue
        fy, q = int(row.period[2:6]), int(row.period[-1])
        stock = row.measure == "pending"
        wanted = [q] if stock else range(1, q + 1)
        parts = [quarters.get((row.source, row.form_key, row.category, row.measure,
                               row.geo_code, f"FY{fy}-Q{i}")) for i in wanted]
        if any(p is None or pd.isna(p.value) for p in parts):
            continue
        what = f"{row.form_key or 'all forms'} {row.category} {row.measure}"
        check = (f"fiscal year to date equals the quarter's figure (both at the quarter's end): "
                 f"{what}" if stock else
                 f"fiscal year to date equals the sum of quarters: {what}")
        checks.append(Reconciliation(
            check=check, period=row.period,
            parts_sum=round(float(sum(p.value for p in parts)), 6),
            published_total=round(float(row.value), 6),
            locator=f"{row.source_file}: {row.source_locator}", parts=len(parts)))
    return checks


def reconcile_total_row(counts: pd.DataFrame, excluded: Iterable[tuple[str | None, str]] = ()
                        ) -> list[Reconciliation]:
    """The TOTAL row against the sum of the form rows it covers, per period and measure.

    Rows in ``excluded`` (``(form, category)``: those the report leaves out of its total) are
    not summed. Parts without a value (suppressed, withheld, not available) cannot be summed;
    the check is still made and its name says how many parts were missing, so a difference can
    be read for what it is.
    """
    if counts.empty:
        return []
    skip = {(form or "", category) for form, category in excluded}
    frame = counts[counts["measure"].isin(TOTAL_MEASURES)]
    checks: list[Reconciliation] = []
    for (period, measure), group in frame.groupby(["period", "measure"], sort=True):
        is_total = group["category"].eq("total") & group["form"].isna()
        total = group[is_total]
        keys = list(zip(group["form"].fillna(""), group["category"], strict=True))
        parts = group[~is_total & ~pd.Series([k in skip for k in keys], index=group.index)]
        if total.empty or parts.empty or total["value"].isna().any():
            continue
        missing = int(parts["value"].isna().sum())
        name = f"TOTAL row equals the sum of the form rows: {measure}"
        if skip:
            name += f" ({len(skip)} row(s) the report leaves out of its total not summed)"
        if missing:
            name += f" ({missing} part(s) without a value: suppressed, withheld or not available)"
        checks.append(Reconciliation(
            check=name, period=str(period), parts_sum=round(float(parts["value"].sum()), 6),
            published_total=round(float(total["value"].iloc[0]), 6), parts=len(parts),
            locator=f"{total['source_file'].iloc[0]}: {total['source_locator'].iloc[0]}"))
    return checks
