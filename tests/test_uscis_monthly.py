"""The USCIS monthly Report to Congress adapter on hand-written SYNTHETIC fixtures, and on the
real published files when ../shared is present."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest import sources

FIXTURES = Path(__file__).parent / "fixtures" / "uscis" / "monthly"
MARCH = FIXTURES / "monthly_march_2025.csv"
UNTITLED = FIXTURES / "monthly_july_2024_untitled.csv"


def load(path: Path, source: str = "uscis-monthly"):
    return sources.load(path, source)


def value(counts: pd.DataFrame, form: str, category: str, measure: str):
    sel = counts[(counts["form"] == form) & (counts["category"] == category)
                 & (counts["measure"] == measure)]
    assert len(sel) == 1, (form, category, measure, len(sel))
    return sel.iloc[0]["value"], sel.iloc[0]["status"]


@pytest.fixture(scope="module")
def march():
    return load(MARCH)


def test_registered_source():
    assert "uscis-monthly" in sources.SOURCES
    assert "Report to Congress" in sources.SOURCES["uscis-monthly"].citation


def test_bom_trailing_column_measures_and_month(march):
    counts = march.tables["counts"]
    assert len(counts) == 6 * 5  # six rows, five count measures (no TOTAL row)
    assert set(counts["period"]) == {"2025-03"}
    assert counts["period_start"].iloc[0] == pd.Timestamp("2025-03-01")
    assert counts["period_end"].iloc[0] == pd.Timestamp("2025-03-31")
    assert set(counts["source"]) == {"uscis-monthly"}
    assert set(counts["measure"]) == {"received", "approved", "denied", "pending",
                                      "pending-over-6-months"}
    assert value(counts, "N-400", "application-for-naturalization", "received") == (96900.0,
                                                                                   "reported")
    assert value(counts, "I-130", "petition-for-alien-relative", "pending-over-6-months") == (
        1890000.0, "reported")
    assert value(counts, "I-360", "petition-for-amerasian-widow-er-or-special-immigrant",
                 "denied") == (580.0, "reported")
    loc = counts[(counts["form"] == "N-400") & (counts["measure"] == "received")].iloc[0]
    assert loc["source_locator"] == ("line 11, column C (Forms Received) (row title: N-400 | "
                                     "Application for Naturalization)")
    assert (counts["geo_level"] == "nation").all() and (counts["geo_code"] == "US").all()


def test_i485_categories_from_the_parenthesised_type(march):
    counts = march.tables["counts"]
    assert set(counts[counts["form"] == "I-485"]["category"]) == {"cuban", "family"}
    assert value(counts, "I-485", "cuban", "received") == (26100.0, "reported")


def test_average_processing_time_is_a_mean_not_a_median(march):
    times = march.tables["processing_times"].set_index("form")
    assert set(times["statistic"]) == {"mean"}
    assert times.loc["N-400", "months"] == 6.4 and times.loc["N-400", "period"] == "2025-03"
    note = times.loc["N-400", "note"]
    assert "average (mean)" in note and "not a median" in note and "note 6" in note


def test_processing_time_printed_zero_is_not_published(march):
    times = march.tables["processing_times"].set_index("form")
    assert times.loc["I-360", "status"] == "not_available"
    assert pd.isna(times.loc["I-360", "months"])
    assert "Processing Time printed 0 for a row with 8,280 completions" in times.loc["I-360",
                                                                                    "note"]


def test_chnv_note_attached_to_the_work_permit_row(march):
    counts = march.tables["counts"]
    ead = counts[counts["form"] == "I-765"]["note"]
    assert ead.str.contains("publisher's note 12\\): In March 2025, USCIS issued a Federal").all()
    others = counts[counts["form"] != "I-765"]["note"]
    assert not others.fillna("").str.contains("note 12").any()
    assert any(n.startswith("monthly_march_2025.csv: publisher's note 12) applies to I-765")
               for n in march.notes)


def test_period_from_name_only_when_the_file_has_no_month_line():
    result = load(UNTITLED)
    assert set(result.tables["counts"]["period"]) == {"2024-07"}
    assert any("no line naming the month" in n and "2024-07" in n and "file name" in n
               for n in result.notes)


def test_title_line_wins_over_a_disagreeing_name(tmp_path):
    path = tmp_path / "monthly_april_2025.csv"
    path.write_bytes(MARCH.read_bytes())
    result = load(path)
    assert set(result.tables["counts"]["period"]) == {"2025-03"}
    assert any("file name says 2025-04" in n and "2025-03" in n for n in result.notes)


def test_no_month_anywhere_is_refused(tmp_path):
    path = tmp_path / "report.csv"
    path.write_bytes(UNTITLED.read_bytes())
    with pytest.raises(InputError, match="no line naming the month"):
        load(path)


def test_read_through_the_quarterly_source_id(march):
    via = load(MARCH, "uscis-all-forms")
    pd.testing.assert_frame_equal(via.tables["counts"], march.tables["counts"])
    assert set(via.tables["processing_times"]["statistic"]) == {"mean"}


def _rows() -> list[list[str]]:
    return list(csv.reader(MARCH.read_text(encoding="utf-8-sig").splitlines()))


def _write(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_non_numeric_cell_names_file_line_and_column(tmp_path):
    rows = _rows()
    rows[6][3] = "7,7OO"
    with pytest.raises(InputError) as info:
        load(_write(tmp_path / "monthly_march_2025.csv", rows))
    assert "line 7, column D (Approvals)" in str(info.value) and "'7,7OO'" in str(info.value)


def test_unknown_header_is_refused(tmp_path):
    rows = _rows()
    rows[4][4] = "Rejections"
    with pytest.raises(InputError, match=r"header matches no known layout.*'Rejections'"):
        load(_write(tmp_path / "monthly_march_2025.csv", rows))


def test_shifted_row_is_refused_not_misread(tmp_path):
    rows = _rows()
    rows[5] = rows[5][1:] + [""]  # the I-130 row moved one cell left
    with pytest.raises(InputError):
        load(_write(tmp_path / "monthly_march_2025.csv", rows))


def test_truncated_file_is_refused(tmp_path):
    text = MARCH.read_text(encoding="utf-8-sig")
    path = tmp_path / "monthly_march_2025.csv"
    path.write_text(text[: text.index("Notes")], encoding="utf-8")
    with pytest.raises(InputError, match="truncated"):
        load(path)


def test_xlsx_edition_with_split_month_line(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Sheet1"
    for i, row in enumerate(_rows()):
        cells: list = []
        for cell in row:
            plain = cell.replace(",", "")
            cells.append(float(plain) if plain.replace(".", "", 1).isdigit() else (cell or None))
        if i == 3:
            cells = ["For the Month of", "March 2025"]
        ws.append(cells)
    path = tmp_path / "report.xlsx"
    book.save(path)
    result = load(path)
    assert set(result.tables["counts"]["period"]) == {"2025-03"}
    assert value(result.tables["counts"], "I-485", "cuban", "received") == (26100.0, "reported")


def test_outputs_meet_contract(march):
    schemas.validate("counts", march.tables["counts"])
    schemas.validate("processing_times", march.tables["processing_times"])


# --- acceptance on the real published files (../shared/data/real) ------------------------------


def test_real_monthly_files(shared_data):
    spec = json.loads((shared_data / "real" / "expected.json").read_text(encoding="utf-8"))
    monthly = {k: v for k, v in spec.items() if k.startswith("uscis-all-forms/monthly/")}
    assert len(monthly) == 3
    for rel, entry in monthly.items():
        result = sources.load(shared_data / "real" / rel, entry["source"])
        counts = result.tables["counts"]
        assert len(counts) == 11 * 5, rel  # 11 rows, no TOTAL
        for check in entry["checks"]:
            assert value(counts, check["form"], check["category"], check["measure"])[0] == \
                check["value"], (rel, check)
            assert set(counts["period"]) == {check["period"]}
        times = result.tables["processing_times"]
        assert len(times) == 11 and set(times["statistic"]) == {"mean"}
    feb = sources.load(shared_data / "real" / "uscis-all-forms/monthly/monthly_february_2026.csv",
                       "uscis-monthly")
    times = feb.tables["processing_times"].set_index("subtype")
    assert times.loc["refugee", "months"] == 87.6  # I-485 (Refugee), February 2026
    assert value(feb.tables["counts"], "I-130", "petition-for-alien-relative",
                 "pending-over-6-months")[0] == 2020098.0
    march = sources.load(shared_data / "real" / "uscis-all-forms/monthly/monthly_march_2025.csv",
                         "uscis-monthly")
    ead = march.tables["counts"][march.tables["counts"]["form"] == "I-765"]
    assert ead["note"].str.contains("termination of parole for Cubans").all()
