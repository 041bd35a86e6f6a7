"""The case-records adapter: column variants, strict validation with reasons, XLSX, template."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError, ParoleError
from analysis.ingest import sources
from analysis.ingest.sources import case_records

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "cases" / "variant_headers.csv"
TEMPLATE = ROOT / "data" / "templates" / "case_records_template.csv"


def test_variant_headers_and_rejections():
    result = sources.load(FIXTURE, "case-records")
    cases = result.tables["cases"]
    assert cases["case_id"].tolist() == ["A1", "A2", "A6"]
    a1 = cases.set_index("case_id").loc["A1"]
    assert a1["received_date"] == pd.Timestamp("2023-01-05")
    assert a1["outcome"] == "approved" and a1["state"] == "CA"
    assert a1["county_fips"] == "06029"  # Kern County, CA
    assert a1["basis"] == "medical" and a1["age_years"] == 34 and a1["office"] == "LOS"
    a2 = cases.set_index("case_id").loc["A2"]
    assert a2["received_date"] == pd.Timestamp("2023-01-15") and pd.isna(a2["decided_date"])
    assert cases.set_index("case_id").loc["A6", "outcome"] == "approved"  # "Granted"
    assert cases["source"].eq("case-records").all() and not cases["synthetic"].any()
    reasons = {r.locator.split(", ")[1]: r.reason for r in result.rejected}
    assert "before received" in reasons["line 4"]
    assert "unknown outcome 'maybe'" in reasons["line 5"]
    assert "impossible age 130" in reasons["line 6"]
    assert "repeats line 2" in reasons["line 8"]
    assert "not a date" in reasons["line 9"]
    assert "decided_date is empty" in reasons["line 10"]
    assert "pending but a decided_date" in reasons["line 11"]
    assert "impossible age -1" in reasons["line 12"] and "Atlantis" in reasons["line 12"]
    assert len(result.rejected) == 8
    assert any("Notes" in n for n in result.notes)


def test_xlsx_with_date_cells(tmp_path):
    path = tmp_path / "log.xlsx"
    pd.DataFrame({"Case Number": ["X1", "X2"],
                  "Date Received": [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")],
                  "Completion Date": [pd.Timestamp("2024-04-01"), None],
                  "Result": ["denied", "open"], "synthetic": ["yes", "no"]}).to_excel(
        path, index=False, sheet_name="Log")
    result = sources.load(path, "case-records")
    cases = result.tables["cases"].set_index("case_id")
    assert cases.loc["X1", "decided_date"] == pd.Timestamp("2024-04-01")
    assert cases.loc["X2", "outcome"] == "pending"
    assert cases.loc["X1", "source"] == "synthetic" and cases.loc["X1", "synthetic"]
    assert cases.loc["X2", "source"] == "case-records"


def test_missing_and_doubled_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,Receipt Date,outcome\n1,2024-01-01,pending\n")
    with pytest.raises(InputError, match="decided_date"):
        sources.load(bad, "case-records")
    two = tmp_path / "two.csv"
    two.write_text("id,Receipt Date,Date Filed,decided_date,outcome\n")
    with pytest.raises(InputError, match="both give received_date"):
        sources.load(two, "case-records")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,received_date,decided_date,outcome\n1,2024-01-01\n")
    with pytest.raises(InputError, match="line 2"):
        sources.load(ragged, "case-records")


def test_template_is_blank_and_loads():
    header = TEMPLATE.read_text().splitlines()
    assert len(header) == 1
    result = sources.load(TEMPLATE, "case-records")
    assert result.tables["cases"].empty and not result.rejected
    mapping, ignored = case_records.map_columns(TEMPLATE, header[0].split(","))
    assert not ignored and set(case_records.REQUIRED) <= set(mapping)


def test_parse_date_forms():
    assert case_records.parse_date("2024-02-03") == pd.Timestamp("2024-02-03")
    assert case_records.parse_date("2/3/2024") == pd.Timestamp("2024-02-03")
    assert case_records.parse_date(" ") is None
    with pytest.raises(ValueError):
        case_records.parse_date("13/02/2024")


# -- layouts as researchers receive them (SYNTHETIC fixtures in the DDP layouts) -------------

STAYS = ROOT / "tests" / "fixtures" / "cases" / "ddp_stays_synthetic.csv"
STINTS = ROOT / "tests" / "fixtures" / "cases" / "ddp_stints_synthetic.csv"


def test_ddp_stays_layout_is_read_with_its_builtin_mapping():
    result = sources.load(STAYS, "case-records")
    cases = result.tables["cases"].set_index("case_id")
    # parole subtypes: outcome approved (paroled), the subtype kept as the basis
    assert cases.loc[["S1", "S2", "S3", "S4"], "basis"].tolist() == [
        "paroled", "humanitarian", "public-benefit", "fear-found"]
    assert cases.loc[["S1", "S2", "S3", "S4"], "outcome"].eq("approved").all()
    # other release reasons are their own outcomes; an unlisted one is "other" (noted)
    assert cases.loc[["S5", "S6", "S7", "S8", "S9"], "outcome"].tolist() == [
        "removed", "bonded-out", "recognizance", "transferred", "other"]
    assert any("'Voluntary Departure' 1" in n for n in result.notes)
    # an open stay is pending; a redacted reason on an ended stay is "other"
    assert cases.loc["S10", "outcome"] == "pending" and pd.isna(cases.loc["S10", "decided_date"])
    assert cases.loc["S11", "outcome"] == "other"
    # timestamps: times dropped to the day; an offset is turned into the day in UTC
    assert cases.loc["S1", "received_date"] == pd.Timestamp("2023-10-02")
    assert cases.loc["S2", "received_date"] == pd.Timestamp("2023-10-04")  # 23:30 -05:00
    assert cases.loc["S3", "received_date"] == pd.Timestamp("2023-10-05")  # ...Z
    # redaction markers read as missing and counted per column
    assert pd.isna(cases.loc["S2", "birth_year"]) and pd.isna(cases.loc["S6", "birth_year"])
    assert any("redaction markers read as missing: stay_release_reason 1, birth_year 3" in n
               for n in result.notes)
    # place of detention and area of responsibility kept as such, never as residence
    assert cases.loc["S1", "facility_code"] == "SYNFACTX"
    assert cases.loc["S5", "area_of_responsibility"] == "Synthetic AOR West"
    assert cases["state"].isna().all() and cases["county_fips"].isna().all()
    assert cases.loc["S1", "person_id"] == "P1" and cases.loc["S1", "citizenship"] == (
        "SYNTHETICLAND")
    reasons = {r.locator.split(", ")[1]: r.reason for r in result.rejected}
    assert reasons == {"line 13": "case_id 'S1' repeats line 2",
                       "line 14": "decided 2023-10-01 before received 2023-10-20"}
    assert len(cases) == 11


def test_ddp_stints_layout_and_a_mapping_given_by_name():
    result = sources.load(STINTS, "case-records")
    cases = result.tables["cases"].set_index("case_id")
    assert cases["outcome"].tolist() == ["transferred", "approved", "pending"]
    assert "mapping ddp-stints" in result.notes[0]
    same = case_records.parse(STINTS, source_file="s.csv", citation="c", mapping="ddp-stints")
    assert same.tables["cases"]["case_id"].tolist() == ["T1", "T2", "T3"]


def test_user_mapping_file_beside_the_case_file(tmp_path):
    data = tmp_path / "log.csv"
    data.write_text("Ref,Opened,Closed,Result,Where held\n"
                    "K1,2024-01-02,2024-02-01,Released on parole,Synthetic Center\n"
                    "K2,2024-01-03,2024-01-09,Deported,Synthetic Center\n"
                    "K3,2024-01-04,2024-01-10,Mystery,Synthetic Center\n")
    (tmp_path / "log.csv.mapping.yml").write_text(
        "name: my-log\ncolumns:\n  case_id: Ref\n  received_date: Opened\n"
        "  decided_date: Closed\n  outcome: Result\n  facility: Where held\n"
        "outcomes:\n  released on parole: {outcome: approved, basis: parole}\n"
        "  deported: removed\n")
    result = sources.load(data, "case-records")
    cases = result.tables["cases"].set_index("case_id")
    assert cases.loc["K1", ["outcome", "basis"]].tolist() == ["approved", "parole"]
    assert cases.loc["K2", "outcome"] == "removed"
    assert cases.loc["K1", "facility"] == "Synthetic Center"
    # no "unlisted" rule in this mapping: an unknown value is rejected, naming the choices
    assert [r.reason for r in result.rejected] == [
        "unknown outcome 'Mystery' (expected approved or removed)"]
    bad = tmp_path / "bad.yml"
    bad.write_text("columns:\n  case_id: Ref\n  home_town: X\n")
    with pytest.raises(ParoleError, match="unknown contract column"):
        case_records.load_mapping(bad)


def test_parquet_input_and_workbook_split_into_sheets(tmp_path):
    frame = pd.DataFrame({"case_id": ["Q1", "Q2", "Q2"],
                          "received_date": pd.to_datetime(["2024-01-01", "2024-01-02",
                                                           "2024-01-03"]),
                          "decided_date": [pd.Timestamp("2024-02-01"), pd.NaT, pd.NaT],
                          "outcome": ["approved", "pending", "pending"]})
    pq_path = tmp_path / "cases.parquet"
    frame.to_parquet(pq_path)
    result = sources.load(pq_path, "case-records")
    assert result.tables["cases"]["case_id"].tolist() == ["Q1", "Q2"]
    assert [(r.locator, r.reason) for r in result.rejected] == [
        ("cases.parquet, row 3", "case_id 'Q2' repeats row 2")]
    book = tmp_path / "split.xlsx"
    with pd.ExcelWriter(book) as writer:
        frame.iloc[:2].to_excel(writer, sheet_name="Sheet1", index=False)
        frame.iloc[2:].assign(case_id="Q3").to_excel(writer, sheet_name="Sheet2", index=False)
    cases = sources.load(book, "case-records").tables["cases"]
    assert cases["case_id"].tolist() == ["Q1", "Q2", "Q3"]
    assert cases["source_locator"].tolist() == ["sheet Sheet1, row 2", "sheet Sheet1, row 3",
                                                "sheet Sheet2, row 2"]


def test_line_numbers_with_blank_lines_and_cells_over_two_lines(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text('case_id,received_date,decided_date,outcome,basis\n'
                    'B1,2024-01-01,,pending,"two\nlines"\n'
                    '\n'
                    ',,,,\n'
                    'B2,2024-01-01,,maybe,x\n')
    result = sources.load(path, "case-records")
    assert [r.locator for r in result.rejected] == ["odd.csv, line 6"]
    assert result.tables["cases"]["source_locator"].tolist() == ["line 3"]
    assert case_records.parse(path, source_file="o", citation="c").notes  # same path


@pytest.mark.parametrize("marker", ["b(6), b(7)c", "B(6), B(7)C", "(b)(6), (b)(7)(C)",
                                    "b(6)", " b(7)(c) ", "b(6);b(7)(c)"])
def test_redaction_markers_are_missing_but_ids_like_b1_are_not(tmp_path, marker):
    path = tmp_path / "r.csv"
    path.write_text(f'case_id,received_date,decided_date,outcome,basis\n'
                    f'B1,2024-01-01,,pending,"{marker}"\n')
    result = sources.load(path, "case-records")
    cases = result.tables["cases"]
    assert cases["case_id"].tolist() == ["B1"] and cases["basis"].isna().all()
    assert any("redaction markers read as missing: basis 1" in n for n in result.notes)


def test_add_with_a_mapping_then_a_partitioned_ingest_reports_true_rows_and_paths(
        tmp_path, monkeypatch):
    from analysis import cli

    monkeypatch.setattr(case_records, "LARGE_BYTES", 0)  # every case file is "large"
    data = tmp_path / "data"
    data.mkdir()
    stays = tmp_path / "extract.csv"
    stays.write_text(STAYS.read_text().replace("stay_ID", "Stay Number"))  # not detected
    mapping = tmp_path / "map.yml"
    mapping.write_text((case_records.MAPPINGS_DIR / "ddp_stays.yml").read_text().replace(
        "case_id: stay_ID", "case_id: Stay Number").replace(
        "outcomes: ddp_release_reasons.yml", "outcomes:\n  paroled: approved\n"
        "  removed: removed").replace("layout: [stay_ID, ", "layout: ["))
    assert cli.main(["add", str(stays), "--source", "case-records", "--mapping", str(mapping),
                     "--data-dir", str(data)]) == 0
    assert (data / "raw" / "case-records" / "extract.csv.mapping.yml").is_file()
    assert cli.main(["ingest", "-q", "--data-dir", str(data)]) == 0
    report = json.loads((data / "processed" / "ingest_report.json").read_text())
    assert report["tables"]["cases"]["rows"] == 11
    assert report["tables"]["cases"]["partitioned"] == {"rows": 11, "path": "processed/cases/"}
    record = next(f for f in report["files"] if f["path"] == "case-records/extract.csv")
    assert record["partitions"] == {"2024": 11}
    assert all((data / p).is_file() for p in [*record["files"], record["rejects_file"]])
    rejects = (data / record["rejects_file"]).read_text().splitlines()
    assert len(rejects) == 3 and "line 13" in rejects[1] and "repeats line 2" in rejects[1]
    assert record["repeats_removed"] == 1
