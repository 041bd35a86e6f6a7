import json

import pandas as pd
import pytest

from analysis import cli
from analysis.errors import ChecksumError, InputError
from analysis.ingest import pipeline as ingest
from analysis.ingest import storage

from .conftest import copy_bundled_raw


def test_humanitarian_parole_fy2023_q2(ingested):
    counts = pd.read_parquet(ingested / "processed" / "counts.parquet")
    hp = counts[(counts["category"] == "humanitarian-parole") & (counts["period"] == "FY2023-Q2")]
    values = dict(zip(hp["measure"], hp["value"], strict=True))
    assert values == {"received": 2328, "approved": 1105, "denied": 947, "pending": 44220}
    assert hp["citation"].str.contains("Number of Service-wide Forms").all()
    assert hp["citation"].str.contains("Quarterly_All_Forms_FY2023").all()
    assert (hp["source_file"] == "published/uscis_i131_parole_quarterly.csv").all()
    assert set(hp["period_start"].astype(str)) == {"2023-01-01"}


def test_orr_state_and_county_rows(ingested):
    counts = pd.read_parquet(ingested / "processed" / "counts.parquet")
    orr = counts[counts["source"] == "hhs-orr-uc"]
    ca = orr[(orr["geo_code"] == "CA") & (orr["period"] == "FY2019")]
    assert ca["value"].tolist() == [8447]  # line "2019,California,8447" of the raw file
    la = orr[orr["geo_code"] == "06037"]
    assert la["value"].tolist() == [325]
    assert la["note"].str.contains("partial year").all()


def test_reconciliation_reports_fy2018_difference(ingested):
    report = json.loads((ingested / "processed" / "ingest_report.json").read_text())
    diffs = report["reconciliation_differences"]
    orr = [(d["period"], d["parts_sum"], d["published_total"], d["difference"])
           for d in diffs if d["check"] == "states sum to published total"]
    # FY2021 (full year), FY2023 and FY2024: the workbook the bundled FY2021 and FY2022-FY2025
    # rows were transcribed from (HHS ORR's states and its TOTAL differ as published)
    assert sorted(orr) == [("FY2018", 34963, 34953, 10), ("FY2021", 107658, 107646, 12),
                           ("FY2023", 113484, 113495, -11), ("FY2024", 99362, 99381, -19)]
    assert {d["check"].split(" (")[0] for d in diffs} == {
        "states sum to published total", "countries sum to the Total column",
        "months sum to the Total row"}
    counts = pd.read_parquet(ingested / "processed" / "counts.parquet")
    total = counts[(counts["geo_code"] == "US") & (counts["period"] == "FY2018")
                   & (counts["source"] == "hhs-orr-uc")]
    assert total["value"].tolist() == [34953]  # the published total is kept, not corrected


def test_report_lists_every_file_with_rows(ingested):
    report = json.loads((ingested / "processed" / "ingest_report.json").read_text())
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path["published/uscis_i131_parole_quarterly.csv"]["rows"] == {
        "counts": 220, "processing_times": 55}  # 55 I-131 rows x 4 counts and 1 time
    assert report["tables"]["cases"]["rows"] == 0
    assert (ingested / "processed" / "cases.parquet").is_file()


def test_humanitarian_parole_has_no_published_processing_time(ingested):
    times = pd.read_parquet(ingested / "processed" / "processing_times.parquet")
    hp = times[times["subtype"] == "humanitarian-parole"]
    assert not hp.empty and hp["months"].isna().all()
    assert set(hp["status"]) == {"not_available"}


@pytest.fixture
def fresh(tmp_path):
    data = copy_bundled_raw(tmp_path)
    ingest.run(data, progress=False)
    return data


def _snapshot(data):
    return {p.name: p.read_bytes() for p in (data / "processed").glob("*.parquet")}


def test_a_malformed_file_leaves_previous_tables_untouched(fresh, tmp_path):
    before = _snapshot(fresh)
    bad = tmp_path / "broken.csv"
    bad.write_text("fiscal_year,state_name,released_to_sponsors,period_note,source_title,"
                   "publisher\n2020,Atlantis,5,,t,p\n", encoding="utf-8")
    cli.main(["add", str(bad), "--source", "published", "--data-dir", str(fresh)])
    with pytest.raises(InputError, match=r"broken.csv, line 2, column state_name: 'Atlantis'"):
        ingest.run(fresh, progress=False)
    assert _snapshot(fresh) == before


def test_a_changed_raw_file_stops_ingestion(fresh, capsys):
    before = _snapshot(fresh)
    target = fresh / "raw" / "published" / "published_figures.csv"
    target.write_text(target.read_text() + "\n")
    with pytest.raises(ChecksumError, match="published/published_figures.csv"):
        ingest.run(fresh, progress=False)
    assert cli.main(["ingest", "--data-dir", str(fresh), "-q"]) != 0
    assert "content changed" in capsys.readouterr().err
    assert _snapshot(fresh) == before


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "t.parquet"
    storage.write_parquet(pd.DataFrame({"a": [1]}), target)
    original = target.read_bytes()

    def explode(self, path, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(OSError, match="disk full"):
        storage.write_parquet(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
