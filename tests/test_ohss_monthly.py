"""Adapter ohss-monthly on SYNTHETIC workbooks built here in the published layout
(sources.md section 5: title rows, header on row 3, fiscal year only on a block's first row,
X for suppressed, Total rows, footnotes). No real sample exists."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from analysis import sources
from analysis.errors import InputError

HEADER = ["Fiscal Year", "Month", "Total", "Cuba", "Haiti", "Nicaragua", "Venezuela"]
# SYNTHETIC figures.
ROWS = [
    [2023, "October", 100, 40, 30, 20, 10],        # row 4: exact
    [None, "November", 200, 50, 60, 40, 50],       # row 5: fiscal year carried down
    [None, "December", 150, "X", 60, 40, 50],      # row 6: suppressed Cuba
    [None, "January", 1000, 310, 290, 200, 210],   # row 7: rounded, parts 1010 (within 25)
    [None, "February", 1000, 400, 400, 100, 0],    # row 8: rounded, parts 900 (outside)
    [None, "March", 500, 200, 100, 100, 100],      # row 9
    [None, "Total", 2950, 1000, 940, 500, 420],    # row 10: FY2023 through March
    ["FY 2024", "October", 300, 100, 100, 50, 50],  # row 11
    [None, "November", 300, 100, 100, 50, 50],     # row 12
    [None, "Total", 600, 200, 200, 100, 100],      # row 13: two months: no period label
    ["Total", None, 3550, 1200, 1140, 600, 520],   # row 14: grand total
    [None] * 7,
    ["Note: X = data suppressed or not applicable. SYNTHETIC TEST DATA."],
    ["Source: SYNTHETIC fixture"],
]


def workbook(tmp_path: Path, rows=ROWS, *, sheet="CHNV Paroles", titles=2) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for i in range(titles):
        ws.append([f"SYNTHETIC title line {i + 1}"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    book.create_sheet("Contents")
    path = tmp_path / "ohss_SYNTHETIC.xlsx"
    book.save(path)
    return path


def row(frame, **where):
    hit = frame
    for column, value in where.items():
        hit = hit[hit[column] == value]
    assert len(hit) == 1, f"{len(hit)} rows for {where}"
    return hit.iloc[0]


@pytest.fixture
def result(tmp_path):
    return sources.load(workbook(tmp_path), "ohss-monthly")


def test_months_countries_and_carried_fiscal_year(result):
    counts = result.tables["counts"]
    oct22 = row(counts, category="chnv-parole-cuba", period="2022-10")
    assert (oct22["value"], oct22["status"], oct22["fiscal_year"]) == (40, "reported", 2023)
    assert "cell D4" in oct22["source_locator"]
    nov = row(counts, category="chnv-parole", period="2022-11")
    assert nov["value"] == 200 and nov["fiscal_year"] == 2023
    assert row(counts, category="chnv-parole-venezuela", period="2023-11")["value"] == 50
    assert set(counts["category"]) == {"chnv-parole", "chnv-parole-cuba", "chnv-parole-haiti",
                                       "chnv-parole-nicaragua", "chnv-parole-venezuela"}
    assert set(counts["measure"]) == {"paroled"} and set(counts["geo_code"]) == {"US"}


def test_x_is_suppressed(result):
    dec = row(result.tables["counts"], category="chnv-parole-cuba", period="2022-12")
    assert dec["status"] == "suppressed" and math.isnan(dec["value"])


def test_rounding_status_from_2023(result):
    counts = result.tables["counts"]
    assert row(counts, category="chnv-parole-haiti", period="2022-12")["status"] == "reported"
    jan = row(counts, category="chnv-parole-haiti", period="2023-01")
    assert jan["status"] == "rounded" and jan["value"] == 290
    assert "0-4 to 0, 5-14 to 10, otherwise nearest ten" in jan["note"]
    # Venezuela Feb 2023 published 0: rounded, stays a number
    assert row(counts, category="chnv-parole-venezuela", period="2023-02")["value"] == 0


def test_block_total_rows(result):
    counts = result.tables["counts"]
    total = row(counts, category="chnv-parole", period="FY2023-YTD-Q2")
    assert total["value"] == 2950 and total["status"] == "rounded"
    assert not counts["period"].isin(["FY2024", "FY2024-YTD-Q1"]).any()
    assert any("FY2024 Total row (row 13)" in n for n in result.notes)
    assert any("grand Total row (row 14)" in n for n in result.notes)
    assert any("SYNTHETIC TEST DATA" in n for n in result.notes if n.startswith("footnotes"))


def checks(result, period):
    return [c for c in result.reconciliation
            if c.period == period and c.check.startswith("countries")]


def test_row_reconciliation_and_rounding_tolerance(result):
    [oct22] = checks(result, "2022-10")
    assert oct22.difference == 0 and "rounding" not in oct22.check
    [dec] = checks(result, "2022-12")
    assert "1 suppressed part(s) left out" in dec.check and dec.parts == 3
    [jan] = checks(result, "2023-01")
    assert jan.difference == 10 and "within rounding tolerance of 25" in jan.check
    [feb] = checks(result, "2023-02")
    assert feb.difference == -100 and "OUTSIDE rounding tolerance" in feb.check


def test_total_rows_reconciled_against_months(result):
    totals = [c for c in result.reconciliation if c.check.startswith("months sum")]
    assert len(totals) == 10  # five columns for each of the two blocks
    haiti = [c for c in totals if "(chnv-parole-haiti" in c.check
             and c.period == "FY2023-YTD-Q2"][0]
    assert (haiti.parts_sum, haiti.published_total) == (940, 940)
    cuba = [c for c in result.reconciliation if "(chnv-parole-cuba" in c.check
            and c.period == "FY2023-YTD-Q2"][0]
    assert cuba.parts_sum == 1000 and "1 suppressed part(s) left out" in cuba.check
    fy24 = [c for c in result.reconciliation if "FY2024 Total row (chnv-parole)" in c.check]
    assert fy24 and fy24[0].parts_sum == 600 and fy24[0].difference == 0


def test_bad_cells_and_duplicate_months_are_rejected(tmp_path):
    rows = [
        [2022, "October", 10, 5, 5, "abc", 0],
        [None, "October", 10, 5, 5, 0, 0],
        [None, "November", 10, -5, 5, 0, 0],
        [None, "Smarch", 1, 1, 0, 0, 0],
    ]
    result = sources.load(workbook(tmp_path, rows), "ohss-monthly")
    reasons = {r.locator: r.reason for r in result.rejected}
    assert any("not a number" in v and "F4" in k for k, v in reasons.items())
    assert any("duplicate row" in v and "row 5" in k for k, v in reasons.items())
    assert any("negative" in v and "D6" in k for k, v in reasons.items())
    assert any("not a month" in v for v in reasons.values())
    assert row(result.tables["counts"], category="chnv-parole", period="2021-10")["value"] == 10


def test_header_elsewhere_is_found_and_noted(tmp_path):
    result = sources.load(workbook(tmp_path, ROWS[:3], titles=4), "ohss-monthly")
    assert any("header found on row 5" in n for n in result.notes)
    assert len(result.tables["counts"]) == 15


def test_missing_sheet_or_header_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no sheet 'CHNV Paroles'"):
        sources.load(workbook(tmp_path, sheet="Other"), "ohss-monthly")
    book = openpyxl.Workbook()
    book.active.title = "CHNV Paroles"
    book.active.append(["nothing here"])
    path = tmp_path / "empty.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="no header row"):
        sources.load(path, "ohss-monthly")
