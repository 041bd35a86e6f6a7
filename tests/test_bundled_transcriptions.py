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


# --- the national I-131 series: advance parole from FY2017 (issue 20, point 4) --------------

I131 = "uscis_i131_parole_quarterly.csv"
#: advance parole (received, approved, denied, pending), read by hand from the USCIS editions
#: (the FY2017 Q1-Q3 figures from the FY2017 Q3 edition, which republishes the year's earlier
#: quarters; FY2019 Q1-Q2 from the FY2019 Q2 edition; then each quarter's own edition)
ADVANCE_PAROLE = {
    (2017, 1): (133098, 78379, 7235, 125258), (2017, 2): (94910, 117115, 7892, 96447),
    (2017, 3): (101722, 84465, 7329, 107976), (2019, 1): (100530, 71162, 12304, 148840),
    (2019, 2): (97971, 74665, 16395, 156963), (2021, 4): (140142, 110770, 28386, 364644),
    (2022, 1): (201697, 82523, 39523, 411473), (2022, 3): (128338, 68243, 53215, 418538),
    (2023, 3): (140556, 77129, 71712, 394051),
    (2024, 1): (142929, 59172.344, 36886.656, 446014),  # fractional as published
    (2025, 1): (113196, 109963, 46915, 276778), (2026, 1): (90819, 17376, 15237, 324141),
}
#: the real editions in ../shared/data/real that the bundled rows were transcribed from
EDITIONS = {
    "Quarterly_All_Forms_FY17Q3.csv": "uscis-all-forms/csv/Quarterly_All_Forms_FY17Q3.csv",
    "Quarterly_All_Forms_FY19Q2.csv": "uscis-all-forms/csv/Quarterly_All_Forms_FY19Q2.csv",
    "Quarterly_All_Forms_FY2021Q4.csv": "uscis-all-forms/csv/Quarterly_All_Forms_FY2021Q4.csv",
    "Quarterly_All_Forms_FY2022_Q1.csv": "uscis-all-forms/csv/Quarterly_All_Forms_FY2022_Q1.csv",
    "Quarterly_All_Forms_FY2022_Q3.csv": "uscis-all-forms/csv/Quarterly_All_Forms_FY2022_Q3.csv",
    "quarterly_all_forms_fy2023_q3.csv": "uscis-all-forms/csv/quarterly_all_forms_fy2023_q3.csv",
    "quarterly_all_forms_fy2024_q1.xlsx": "uscis-all-forms/quarterly_all_forms_fy2024_q1.xlsx",
    "quarterly_all_forms_fy2025_q1.xlsx": "uscis-all-forms/quarterly_all_forms_fy2025_q1.xlsx",
    "quarterly_all_forms_fy2026_q1_v1.xlsx":
        "uscis-all-forms/quarterly_all_forms_fy2026_q1_v1.xlsx",
}


def test_advance_parole_runs_from_fy2017_citing_each_edition(project_root):
    rows = [r for r in _rows(project_root, I131) if r["series"] == "advance-parole"]
    got = {(int(r["fiscal_year"]), int(r["fiscal_quarter"])):
           tuple(float(r[m]) for m in ("received", "approved", "denied", "pending"))
           for r in rows}
    assert got == {k: tuple(float(x) for x in v) for k, v in ADVANCE_PAROLE.items()}
    for r in rows:
        edition = r["source_url"].rsplit("/", 1)[-1]
        assert edition in EDITIONS, r
        assert r["source_title"].startswith("USCIS, Number"), r
    early = [r for r in rows if int(r["fiscal_year"]) < 2021]
    assert all(r["median_processing_months"] == "" for r in early)  # no times before FY2020
    # parole in place from FY2020 Q1 (PDF editions; its first CSV edition is FY2021 Q4),
    # humanitarian parole from FY2022 Q2, the quarter its row first appears
    first = {}
    for r in _rows(project_root, I131):
        quarter = (int(r["fiscal_year"]), int(r["fiscal_quarter"]))
        first[r["series"]] = min(first.get(r["series"], quarter), quarter)
    assert first == {"advance-parole": (2017, 1), "parole-in-place": (2020, 1),
                     "humanitarian-parole": (2022, 2), "initial-parole-outside-us": (2026, 1)}


@pytest.mark.acceptance
def test_i131_rows_match_the_editions_they_cite(shared_data, project_root):
    """Every bundled row whose edition is in the development set equals what the adapter reads
    from that edition (and, where expected.json has a hand-read figure, that figure)."""
    import json

    expected = json.loads((shared_data / "real" / "expected.json").read_text(encoding="utf-8"))
    loaded: dict = {}
    checked = hand_read = 0
    for r in _rows(project_root, I131):
        rel = EDITIONS.get(r["source_url"].rsplit("/", 1)[-1])
        if rel is None:
            continue
        if rel not in loaded:
            loaded[rel] = sources.load(_real(shared_data, rel), "uscis-all-forms")
        counts = loaded[rel].tables["counts"]
        period = f"FY{r['fiscal_year']}-Q{r['fiscal_quarter']}"
        sel = counts[(counts["form"] == "I-131") & (counts["category"] == r["series"])
                     & (counts["period"] == period)]
        for measure in ("received", "approved", "denied", "pending"):
            assert sel[sel["measure"] == measure]["value"].tolist() == [float(r[measure])], (
                r, measure)
            for chk in expected[rel].get("checks", []):
                same = (chk.get("form"), chk["measure"], chk["period"]) == (
                    "I-131", measure, period)
                if same and r["series"].replace("-", " ") in chk["locator"].lower().replace(
                        "-", " "):
                    assert chk["value"] == float(r[measure]), (r, chk)
                    hand_read += 1
        checked += 1
    assert checked == 24  # 12 advance parole, 7 parole in place, 5 humanitarian/initial parole
    assert hand_read == 17  # hand-read I-131 figures of expected.json whose locator names the row
    # FY2017 Q1 is cited from the Q3 edition (the latest); the Q1 edition gives the same figures
    q1 = sources.load(_real(shared_data, "uscis-all-forms/csv/ECN_1893_-_Quarterly_-_All_Forms_"
                                         "FY17Q1_Final.csv"), "uscis-all-forms").tables["counts"]
    ap = q1[(q1["category"] == "advance-parole") & (q1["period"] == "FY2017-Q1")]
    assert tuple(ap.set_index("measure").loc[["received", "approved", "denied", "pending"],
                                             "value"]) == ADVANCE_PAROLE[(2017, 1)]
