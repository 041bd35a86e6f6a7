"""The USCIS processing-times adapter: page JSON and change-log captures (SYNTHETIC fixtures),
and the real capture as an acceptance test (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import sources
from analysis.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "uscis"
PAGE = FIXTURES / "processing_times_page.json"
CAPTURE = FIXTURES / "pt_capture" / "times.ndjson"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uscis-processing-times"


def load(path: Path):
    return sources.load(path, "uscis-processing-times")


def pick(frame: pd.DataFrame, **where) -> pd.Series:
    sel = frame
    for column, wanted in where.items():
        sel = sel[sel[column] == wanted]
    assert len(sel) == 1, (where, len(sel))
    return sel.iloc[0]


def test_page_json_p80_and_second_value():
    times = load(PAGE).tables["processing_times"]
    assert len(times) == 3
    p80 = pick(times, subtype="141B-OTH", statistic="p80")
    assert p80["months"] == 8.0 and p80["status"] == "reported"
    assert p80["as_of"] == pd.Timestamp("2023-07-13")
    assert p80["geo_level"] == "office" and p80["geo_code"] == "NSC"
    assert p80["geo_name"] == "Nebraska Service Center"
    assert p80["note"].startswith("service center")
    assert p80["source_locator"] == "document, data.processing_time.subtypes[0].range[1]"
    second = pick(times, subtype="141B-OTH", statistic="second-value")
    assert second["months"] == 14.5 and "do not read it as a percentile" in second["note"]
    weeks = pick(times, subtype="141A-RT", statistic="p80")
    assert weeks["months"] == pytest.approx(6 * 7 / (365.25 / 12))
    assert "converted from 6 weeks" in weeks["note"]


def test_capture_with_labels_and_metadata():
    result = load(CAPTURE)
    times = result.tables["processing_times"]
    assert len(times) == 10
    row = pick(times, geo_code="SSC", statistic="p80")
    assert row["months"] == 18.0 and row["geo_name"] == "Texas Service Center"
    assert row["as_of"] == pd.Timestamp("2023-07-13") and pd.isna(row["period"])
    assert row["source_locator"].startswith("line 2, column months_80p")
    mga = pick(times, geo_code="MGA", statistic="p80")
    assert mga["geo_name"] == "Montgomery AL" and mga["note"].startswith("field office")
    missing = pick(times, geo_code="ZZZ", statistic="p80")
    assert pd.isna(missing["months"]) and missing["status"] == "not_available"
    assert pd.isna(missing["geo_name"])
    assert result.notes == ["times.ndjson: office codes without a name: ZZZ"]
    second = pick(times, geo_code="NSC", subtype="141B-OTH", statistic="second-value")
    assert second["months"] == 14.5
    assert "subtype: Advance parole, all other applicants (SYNTHETIC)" in second["note"]


def test_capture_without_labels_uses_service_center_table(tmp_path):
    shutil.copy(CAPTURE, tmp_path / "times.ndjson")
    times = load(tmp_path / "times.ndjson").tables["processing_times"]
    assert pick(times, geo_code="NSC", subtype="141B-OTH", statistic="p80")["geo_name"] == (
        "Nebraska Service Center")
    assert pd.isna(pick(times, geo_code="MGA", statistic="p80")["geo_name"])


def test_companion_files_give_no_rows():
    result = load(CAPTURE.with_name("labels.json"))
    assert result.tables["processing_times"].empty
    assert "lookup file" in result.notes[0]


def test_metadata_with_other_columns_is_refused(tmp_path):
    shutil.copy(CAPTURE, tmp_path / "times.ndjson")
    (tmp_path / "times.metadata.json").write_text(json.dumps(
        {"columns": ["form", "office", "subform", "reported_date", "a", "b"]}))
    with pytest.raises(InputError, match="match no known capture layout"):
        load(tmp_path / "times.ndjson")


@pytest.mark.parametrize("line, message", [
    ('["I-131", "141B-OTH", "NSC", "2023-07-13", "8"]', "line 2: .*not a 6-value array"),
    ('["I-131", "141B-OTH", "NSC", "13/07/2023", "8", "9"]', "line 2, column reported_date"),
    ('["I-131", "141B-OTH", "NSC", "2023-07-13", "eight", "9"]', "line 2, column months_80p"),
    ('["I-131", "141B-OTH", "NSC", "2023-07-1', r"line 2, column \d+: not valid JSON"),
])
def test_bad_capture_lines(tmp_path, line, message):
    lines = CAPTURE.read_text().splitlines()
    lines[1] = line
    path = tmp_path / "times.ndjson"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=message):
        load(path)


def test_page_json_bad_shapes(tmp_path):
    path = tmp_path / "page.json"
    path.write_text('{"data": {"something": 1}}')
    with pytest.raises(InputError, match="not processing times: another endpoint.*something"):
        load(path)
    data = json.loads(PAGE.read_text())
    data["data"]["processing_time"]["subtypes"][0]["range"][1]["unit"] = "Fortnights"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"subtypes\[0\]\.range\[1\]: unknown unit"):
        load(path)
    path.write_text(PAGE.read_text()[:200])
    with pytest.raises(InputError, match="truncated"):
        load(path)


@pytest.mark.acceptance
def test_real_capture():
    path = REAL / "times.ndjson"
    if not path.is_file():
        pytest.skip(f"real sample absent: {path}")
    result = load(path)
    times = result.tables["processing_times"]
    assert len(times) == 2 * 2397  # two statistics per line; 2397 lines (wc -l)
    # line 63: ["I-131", "141B-OTH", "NSC", "2023-07-13", "8", "14.5"]
    row = pick(times, source_locator="line 63, column months_80p (I-131 141B-OTH NSC 2023-07-13)")
    assert row["months"] == 8.0 and row["statistic"] == "p80"
    assert row["geo_name"] == "Nebraska Service Center" and row["note"].startswith("service")
    # last line: ["N-600K", "161B", "YAK", "2024-06-25", "10.5", "11"]
    last = times[times["source_locator"].str.startswith("line 2397, column months_80p")].iloc[0]
    assert (last["form"], last["geo_code"], last["months"]) == ("N-600K", "YAK", 10.5)
    assert last["as_of"] == pd.Timestamp("2024-06-25")
    assert last["geo_name"] == "Yakima WA"
    assert result.notes == []  # every office code resolves through labels.json


def page_2018(tmp_path: Path, form: str, published: str) -> Path:
    """A SYNTHETIC response in the 2018 page format (range = [upper, lower])."""
    data = {"data": {"processing_time": {
        "form_name": form, "office_code": "CSC", "range": None,
        "subtypes": [{"form_type": "SYNTHETIC-SUB", "publication_date": published,
                      "range": [{"unit": "Months", "value": 5},
                                {"unit": "Months", "value": 1.5}],
                      "service_request_date": "January 10, 2018",
                      "subtype_info_en": "SYNTHETIC subtype"}]}},
        "message": "SYNTHETIC fixture"}
    path = tmp_path / f"{form}.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("form, published, lower, upper", [
    ("N-400", "May 31, 2018", "p50", "p93"),             # 2018 pilot form
    ("I-751", "March 3, 2021", "p50", "p93"),
    ("I-131", "May 31, 2018", "cycle-time-lower", "cycle-time-upper"),  # not a pilot form
    ("I-131", "June 23, 2021", "range-lower", "range-upper"),  # method not stated from 2019
])
def test_2018_range_format_is_two_labelled_figures_never_p80(tmp_path, form, published,
                                                              lower, upper):
    times = load(page_2018(tmp_path, form, published)).tables["processing_times"]
    assert set(times["statistic"]) == {lower, upper}
    low, high = pick(times, statistic=lower), pick(times, statistic=upper)
    assert (low["months"], high["months"]) == (1.5, 5.0)
    assert low["source_locator"].endswith("range[1]") and high["source_locator"].endswith(
        "range[0]")
    assert "not an 80th percentile" in low["note"] or "50% of cases" in low["note"] or (
        "cycle-time" in low["note"])
    assert "p80" not in set(times["statistic"])


def test_current_format_keeps_p80(tmp_path):
    times = load(page_2018(tmp_path, "I-131", "July 13, 2023")).tables["processing_times"]
    assert pick(times, statistic="p80")["months"] == 1.5
    assert pick(times, statistic="second-value")["months"] == 5.0


def test_other_endpoint_is_refused(tmp_path):
    path = tmp_path / "I-131.json"
    path.write_text(json.dumps({"data": {"form_offices": {"form_name": "I-131", "offices": [
        {"office_code": "CSC", "office_description": "California Service Center"}]}},
        "message": "SYNTHETIC"}))
    with pytest.raises(InputError, match="not processing times: the list of offices for form "
                                         "I-131"):
        load(path)


@pytest.mark.acceptance
def test_real_2018_capture_and_form_offices(shared_data):
    base = shared_data / "real" / "uscis-processing-times" / "arielsvn"
    times = load(base / "processingtime" / "I-131" / "CSC.json").tables["processing_times"]
    # range [5, 1.5] months, published May 31, 2018; I-131 was not a 2018 pilot form
    assert pick(times, statistic="cycle-time-upper")["months"] == 5
    assert pick(times, statistic="cycle-time-lower")["months"] == 1.5
    assert pick(times, statistic="cycle-time-lower")["as_of"] == pd.Timestamp("2018-05-31")
    with pytest.raises(InputError, match="form_offices"):
        load(base / "formoffices" / "I-131.json")
