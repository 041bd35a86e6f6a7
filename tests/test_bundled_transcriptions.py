"""The bundled figures transcribed from real published files match those files cell by cell.

Each row of data/raw/published/hhs_orr_uc_released_by_state_fy2022_fy2025.csv and
ohss_chnv_paroles_monthly.csv names the sheet, row and column it was copied from; these tests
open the real file (in ../shared/data/real, skipped when absent) and compare every number.
"""

from __future__ import annotations

import csv
import re

import pytest

from analysis.ingest import sources
from analysis.ingest.sources.reading import read_workbook

ORR = "hhs-orr-uc/UCP_ORR_datasets.xlsx"
OHSS = ("ohss-monthly/2024_1108_ohss_immigration-enforcement-and-legal-processes-tables-"
        "july-2024.xlsx")
LOCATOR = re.compile(r"sheet (?P<sheet>[^,]+), row (?P<row>\d+) \([^)]*\)+, column (?P<col>[A-Z]+)")


def _rows(project_root, name):
    with open(project_root / "data" / "raw" / "published" / name, newline="",
              encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _cell(grid, locator):
    m = LOCATOR.match(locator)
    assert m, locator
    col = ord(m["col"]) - ord("A")
    return grid.cell(int(m["row"]) - 1, col)


def _real(shared_data, rel):
    path = shared_data / "real" / rel
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.mark.acceptance
def test_orr_fy2022_fy2025_match_the_workbook(shared_data, project_root):
    grid = read_workbook(_real(shared_data, ORR), "^State$")["State"]
    rows = _rows(project_root, "hhs_orr_uc_released_by_state_fy2022_fy2025.csv")
    assert len(rows) == 4 * 54
    for row in rows:
        assert _cell(grid, row["source_locator"]) == int(row["released_to_sponsors"]), row


@pytest.mark.acceptance
def test_ohss_chnv_match_the_workbook(shared_data, project_root):
    grid = read_workbook(_real(shared_data, OHSS), "^CHNV Paroles$")["CHNV Paroles"]
    rows = _rows(project_root, "ohss_chnv_paroles_monthly.csv")
    assert len(rows) == 24 * 5  # 22 months, the FY2023 Total row and the FY2024 YTD row
    for row in rows:
        cell = _cell(grid, row["source_locator"])
        expected = "X" if row["status"] == "not_applicable" else int(row["paroled"])
        assert cell == expected, row


def test_orr_published_totals_and_part_year(project_root):
    path = project_root / "data" / "raw" / "published" / \
        "hhs_orr_uc_released_by_state_fy2022_fy2025.csv"
    result = sources.load(path, "published")
    counts = result.tables["counts"]
    us = counts[counts["geo_code"] == "US"].set_index("period")
    # published TOTAL row, read by hand from sheet State row 56 (expected.json: FY2023, FY2024)
    assert us["value"].to_dict() == {"FY2022": 127447, "FY2023": 113495, "FY2024": 99381,
                                     "FY2025": 4152}
    assert us.loc["FY2025", "note"].startswith("partial year (the workbook was saved on "
                                               "2024-12-29")
    assert not any(str(n).startswith("partial year") for n in
                   counts[counts["period"] != "FY2025"]["note"])
    ca = counts[(counts["geo_code"] == "CA") & (counts["period"] == "FY2024")]
    assert ca["value"].tolist() == [10819]
    assert ca["citation"].iloc[0].endswith(
        "https://www.acf.hhs.gov/orr/grant-funding/"
        "unaccompanied-alien-children-released-sponsors-state")
    diffs = {c.period: c.difference for c in result.reconciliation}
    # with the Montana row read shifted (see its note), FY2022 and FY2025 add up exactly
    assert diffs == {"FY2022": 0, "FY2023": -11, "FY2024": -19, "FY2025": 0}


def test_ohss_published_figures(project_root):
    path = project_root / "data" / "raw" / "published" / "ohss_chnv_paroles_monthly.csv"
    counts = sources.read(path, "published").set_index(["period", "category"])
    # read by hand from the July 2024 release (expected.json)
    assert counts.loc[("FY2023", "chnv-parole"), "value"] == 233500
    assert counts.loc[("2024-07", "chnv-parole"), "value"] == 25280
    assert counts.loc[("2024-03", "chnv-parole-haiti"), "value"] == 2680
    assert counts.loc[("2023-01", "chnv-parole-cuba"), "value"] == 3960
    assert counts.loc[("FY2024-YTD-2024-07", "chnv-parole"), "value"] == 275020
    assert counts.loc[("2022-12", "chnv-parole-haiti"), "status"] == "not_applicable"
    assert set(counts["status"]) == {"rounded", "not_applicable"}
