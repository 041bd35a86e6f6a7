"""Adapter ohss-monthly on SYNTHETIC workbooks and CSVs built here in the published layouts
(the July 2024 workbook: link and title lines, header on row 3, the Total row first in each
block, "2024 YTD", an "X Not applicable." key, rounding notes; the older layout with the Total
row closing a block; the book-outs sheet with a group row; the flat ielp CSV), and (acceptance)
the real workbook and CSV in ../shared/data/real."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from analysis.errors import InputError
from analysis.ingest import sources

HEADER = ["Fiscal Year", "Month", "Total", "Cuba", "Haiti", "Nicaragua", "Venezuela"]
ROUNDING = ("Notes: To protect privacy, table cells are rounded to the nearest ten. The totals "
            "may not sum due to rounding. SYNTHETIC TEST DATA.")
# SYNTHETIC figures in the 2024 layout: Total row first, fiscal year on it, "2024 YTD".
ROWS_2024 = [
    [2023, "Total", 1260, 300, 320, 150, 490],       # row 4: FY2023 (12 months below)
    [None, "October", 20, "X", "X", "X", 20],         # row 5: X = not applicable
    [None, "November", 30, "X", "X", "X", 30],
    [None, "December", 40, "X", "X", "X", 40],
    [None, "January", 100, 30, 30, 10, 30],
    [None, "February", 110, 30, 30, 20, 30],
    [None, "March", 120, 30, 30, 20, 40],
    [None, "April", 130, 30, 40, 20, 40],
    [None, "May", 140, 40, 40, 20, 40],
    [None, "June", 140, 40, 40, 20, 40],              # row 13
    [None, "July", 150, 40, 40, 20, 50],
    [None, "August", 140, 30, 40, 10, 60],
    [None, "September", 150, 30, 30, 10, 70],        # row 16: countries 140 vs 150 (within 25)
    ["SYNTHETIC text row between blocks"],            # row 17: must not hide the next block
    ["2024 YTD", "Total", 420, 100, 110, 90, 120],    # row 18: FY2024 to date through November
    [None, "October", 200, 50, 50, 40, 60],
    [None, "November", 220, 50, 60, 50, 60],          # row 20
    ["X Not applicable."],
    [ROUNDING],
    ["Source: SYNTHETIC fixture."],
]


def workbook(tmp_path: Path, rows=ROWS_2024, *, sheet="CHNV Paroles", titles=None,
             extra=None, name="ohss_tables_SYNTHETIC-november-2024.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.active.title = "TOC"
    book.active.append(["Table of Contents (SYNTHETIC)"])
    ws = book.create_sheet(sheet)
    for line in titles if titles is not None else [
            ["Return to Table of Contents."],
            ["Confirmed CHNV Paroles by Process: Fiscal Years 2023 to 2024 YTD (November 2024)"]]:
        ws.append(line)
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    for title, sheet_rows in (extra or {}).items():
        other = book.create_sheet(title)
        for r in sheet_rows:
            other.append(r)
    path = tmp_path / name
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


def test_months_countries_and_fiscal_year_on_the_total_row(result):
    counts = result.tables["counts"]
    jan = row(counts, category="chnv-parole-haiti", period="2023-01")
    assert (jan["value"], jan["fiscal_year"], jan["measure"]) == (30, 2023, "paroled")
    assert jan["source_locator"] == "sheet CHNV Paroles, row 8, column E (Haiti)"
    assert row(counts, category="chnv-parole", period="2022-10")["value"] == 20
    assert row(counts, category="chnv-parole-venezuela", period="2023-11")["value"] == 60
    assert set(counts["geo_code"]) == {"US"}
    assert result.release == "2024-11"


def test_x_is_not_applicable_per_the_key(result):
    cell = row(result.tables["counts"], category="chnv-parole-cuba", period="2022-10")
    assert cell["status"] == "not_applicable" and math.isnan(cell["value"])
    assert "X: Not applicable (the sheet's key)" in cell["note"]


def test_x_with_a_suppression_key_is_suppressed(tmp_path):
    rows = [*ROWS_2024[:-3], ["X = data withheld to protect privacy (SYNTHETIC)."]]
    cell = row(sources.load(workbook(tmp_path, rows), "ohss-monthly").tables["counts"],
               category="chnv-parole-cuba", period="2022-10")
    assert cell["status"] == "suppressed"


def test_rounded_status_from_the_sheet_notes(result, tmp_path):
    cell = row(result.tables["counts"], category="chnv-parole", period="2022-10")
    assert cell["status"] == "rounded"
    assert "rounded to the nearest ten" in cell["note"]
    unrounded = sources.load(workbook(tmp_path, ROWS_2024[:-2]), "ohss-monthly")
    assert set(unrounded.tables["counts"]["status"]) == {"reported", "not_applicable"}


def test_fiscal_year_and_year_to_date_totals(result):
    counts = result.tables["counts"]
    fy = row(counts, category="chnv-parole", period="FY2023")
    assert (fy["value"], fy["source_locator"]) == (
        1260, "sheet CHNV Paroles, row 4, column C (Total)")
    ytd = row(counts, category="chnv-parole", period="FY2024-YTD-2023-11")
    assert ytd["value"] == 420 and "published as '2024 YTD'" in ytd["note"]
    assert str(ytd["period_end"].date()) == "2023-11-30"


def test_text_row_between_blocks_does_not_hide_later_blocks(result):
    counts = result.tables["counts"]
    assert row(counts, category="chnv-parole-haiti", period="2023-11")["value"] == 60
    assert any("SYNTHETIC text row between blocks" in n for n in result.notes)


def test_reconciliation_with_rounding_tolerance(result):
    [sep] = [c for c in result.reconciliation
             if c.period == "2023-09" and "countries" in c.check]
    assert sep.difference == -10 and "within rounding tolerance of 25" in sep.check
    [oct22] = [c for c in result.reconciliation
               if c.period == "2022-10" and "countries" in c.check]
    assert "3 part(s) without a number" in oct22.check and oct22.parts == 1
    [fy] = [c for c in result.reconciliation if c.period == "FY2023"
            and c.check.startswith("CHNV Paroles: months sum") and "(chnv-parole)" in c.check]
    assert (fy.parts_sum, fy.published_total) == (1270, 1260)


def test_older_layout_total_row_closing_the_block(tmp_path):
    rows = [[2023, "October", 10, "X", "X", "X", 10], [None, "November", 20, "X", "X", "X", 20],
            [None, "December", 30, "X", "X", "X", 30], [None, "Total", 60, "X", "X", "X", 60],
            ["FY 2024", "October", 5, 1, 1, 1, 2], [None, "Total", 5, 1, 1, 1, 2],
            ["Total", None, 65, 1, 1, 1, 62]]
    result = sources.load(workbook(tmp_path, rows), "ohss-monthly")
    counts = result.tables["counts"]
    assert row(counts, category="chnv-parole", period="FY2023-YTD-Q1")["value"] == 60
    assert row(counts, category="chnv-parole", period="FY2024-YTD-2023-10")["value"] == 5
    assert any("grand Total row" in n for n in result.notes)
    cell = row(counts, category="chnv-parole-cuba", period="2022-10")
    assert cell["status"] == "not_applicable" and "no key" in cell["note"]


def test_total_over_months_with_gaps_is_only_reconciled(tmp_path):
    rows = [[2023, "Total", 30, 10, 10, 5, 5], [None, "October", 10, 5, 5, 0, 0],
            [None, "December", 20, 5, 5, 5, 5]]
    result = sources.load(workbook(tmp_path, rows), "ohss-monthly")
    assert not result.tables["counts"]["period"].str.startswith("FY").any()
    assert any("gaps" in n for n in result.notes)


def test_bad_cells_and_duplicate_months_are_rejected(tmp_path):
    rows = [[2022, "Total", 20, 10, 10, 0, 0],
            [None, "October", 10, 5, 5, "abc", 0],
            [None, "October", 10, 5, 5, 0, 0],
            [None, "November", 10, -5, 5, 0, 0],
            [None, "Smarch", 1, 1, 0, 0, 0]]
    result = sources.load(workbook(tmp_path, rows), "ohss-monthly")
    reasons = {r.locator: r.reason for r in result.rejected}
    assert any("not a number" in v and "row 5, column F" in k for k, v in reasons.items())
    assert any("duplicate row" in v and "row 6" in k for k, v in reasons.items())
    assert any("negative" in v and "row 7, column D" in k for k, v in reasons.items())
    assert any("not a month" in v for v in reasons.values())


BOOK_OUTS = [
    ["Return to Table of Contents."],
    ["CBP SW Border Encounters Book-Outs by Agency: Fiscal Years 2023 to 2024 YTD (November "
     "2024)"],
    [None, None, "Total CBP", None, None, "OFO"],
    ["Fiscal Year", "Month", "Total Encounters", "OFO Paroles7", "Other outcomes8",
     "Total Encounters", "OFO Paroles7"],
    ["2024 YTD", "Total", 1000, 410, 20, 500, 400],
    [None, "October", 500, 200, 10, 250, 200],
    [None, "November", 500, 200, 10, 250, 200],
    ["7Includes individuals released at a POE with a disposition of parole (SYNTHETIC)."],
    [ROUNDING],
]


def test_book_outs_ofo_paroles_column_under_the_ofo_group(tmp_path):
    path = workbook(tmp_path, extra={"CBP SWB Book-Outs by Agency": BOOK_OUTS})
    result = sources.load(path, "ohss-monthly")
    counts = result.tables["counts"]
    ofo = row(counts, category="swb-book-outs-ofo", period="FY2024-YTD-2023-11")
    assert (ofo["value"], ofo["measure"], ofo["status"]) == (400, "ofo-paroles", "rounded")
    assert "column G" in ofo["source_locator"]
    assert "released at a POE with a disposition of parole" in ofo["note"]
    [check] = [c for c in result.reconciliation if "under Total CBP" in c.check
               and c.period == "FY2024-YTD-2023-11"]
    assert (check.parts_sum, check.published_total) == (410, 400)
    assert "ICE" not in " ".join(result.notes)


def test_workbook_without_parole_tables_is_refused(tmp_path):
    with pytest.raises(InputError, match="no OHSS parole table found.*Other"):
        sources.load(workbook(tmp_path, sheet="Other", titles=[["Removals"]]), "ohss-monthly")


CSV = ("Calendar Year,Fiscal Year,Month,Repatriations:Total,"
       "Southwest Border Book-outs/OFO:OFO Paroles,Southwest Border Book-outs/CBP:OFO Paroles\r\n"
       "2022,2023,0,500,30,30\r\n2022,2023,10,100,10,10\r\n2022,2023,11,100,20,20\r\n"
       "2023,2024,0,900,40,50\r\n2023,2024,10,400,40,50\r\n")


def test_flat_csv_reads_parole_columns_into_workbook_categories(tmp_path):
    path = tmp_path / "ielp-table-202310.csv"
    path.write_bytes(CSV.encode())
    result = sources.load(path, "ohss-monthly")
    counts = result.tables["counts"]
    assert row(counts, period="2022-11")["value"] == 20
    total = row(counts, period="FY2023-YTD-2022-11")
    assert (total["category"], total["measure"], total["value"]) == (
        "swb-book-outs-ofo", "ofo-paroles", 30)
    assert total["status"] == "rounded" and "multiple of ten" in total["note"]
    assert total["source_locator"] == ("line 2, column E (Southwest Border Book-outs/OFO:OFO "
                                       "Paroles)")
    assert result.release == "2023-10"
    assert any("Repatriations:Total" in n and "not read" in n for n in result.notes)
    [diff] = [c for c in result.reconciliation if c.period == "2023-10" and "cbp" in c.check]
    assert (diff.parts_sum, diff.published_total) == (50, 40)


def test_flat_csv_not_all_tens_is_reported(tmp_path):
    path = tmp_path / "ielp-table-202310.csv"
    path.write_text(CSV.replace("2022,2023,11,100,20,20", "2022,2023,11,100,23,23"))
    counts = sources.load(path, "ohss-monthly").tables["counts"]
    assert set(counts["status"]) == {"reported"}


def test_other_csv_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not the OHSS flat monthly table"):
        sources.load(path, "ohss-monthly")


@pytest.mark.acceptance
def test_real_july_2024_workbook(shared_data):
    [path] = (shared_data / "real" / "ohss-monthly").glob("*july-2024.xlsx")
    result = sources.load(path, "ohss-monthly")
    counts = result.tables["counts"]
    fy23 = row(counts, category="chnv-parole", period="FY2023")
    assert (fy23["value"], fy23["status"]) == (233500, "rounded")
    assert row(counts, category="chnv-parole", period="2024-07")["value"] == 25280
    assert row(counts, category="chnv-parole-haiti", period="2024-03")["value"] == 2680
    assert row(counts, category="chnv-parole", period="FY2024-YTD-2024-07")["value"] == 275020
    cuba = row(counts, category="chnv-parole-cuba", period="2022-10")
    assert cuba["status"] == "not_applicable"
    # sheet CHNV I-134, row 4 (2023 Total): 311610; CHNV Travel Authorization row 27 (July): 6610
    assert row(counts, category="chnv-i134-beneficiary", period="FY2023")["value"] == 311610
    assert row(counts, category="chnv-travel-authorization", period="2024-07")["value"] == 6610
    # CBP SWB Book-Outs by Agency, row 145 (July 2024), column Z (OFO Paroles): 43030
    assert row(counts, category="swb-book-outs-ofo", period="2024-07")["value"] == 43030
    assert result.release == "2024-07" and not result.rejected


@pytest.mark.acceptance
def test_real_ielp_csv(shared_data):
    path = shared_data / "real" / "other" / "ohss-derived" / "ielp-table-202408.csv"
    if not path.is_file():
        pytest.skip(f"real sample absent: {path}")
    result = sources.load(path, "ohss-monthly")
    counts = result.tables["counts"]
    # line 141 (2024, 2024, 7), column J: 43020 (the July workbook said 43030: a revision)
    assert row(counts, period="2024-07")["value"] == 43020
    assert row(counts, period="FY2024-YTD-2024-08")["value"] == 504250
    assert row(counts, period="FY2014")["value"] == 25500
    assert result.release == "2024-08"
