"""analysis.ingest.sources.detect: the source of a file from its content, never its name."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from analysis.errors import InputError, ParoleError
from analysis.ingest import sources

FIXTURES = Path(__file__).parent / "fixtures"


def _csv(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _xlsx(tmp_path: Path, name: str, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


# --- traps: content decides, not the name -----------------------------------------------------


def test_name_is_ignored_quarterly_report_named_like_orr(tmp_path):
    path = _csv(tmp_path, "hhs_orr_released_by_state.csv",
                "Number of Service-wide Forms\nBy Quarter, Form Status, and Processing Time\n"
                "\"October 1, 2024 - December 31, 2024\",,1st Quarter\n"
                "Category and Form Number,Description,Forms Received1,Approved2\n"
                "TOTAL,,\"1,000\",900\n")
    assert sources.detect(path) == "uscis-all-forms"


def test_monthly_report_to_congress_with_bom_and_trailing_column(tmp_path):
    path = _csv(tmp_path, "quarterly_all_forms.csv",
                "\ufeffReport to Congress,,\nNumber of Service-Wide Forms,,\n"
                "\"By Month, Form Status, and Processing Time\",,\n"
                "For the Month of February 2026,,\n"
                "Form Number,Description,Forms Received,Approvals,Denials,Pending,"
                "Pending Over 6 Months,Avg. Processing Time,\n"
                "I-130,Petition for Alien Relative,\"50,534\",1,1,1,1,14.8,\n")
    assert sources.detect(path) == "uscis-monthly"


def test_date_line_split_across_cells_does_not_matter(tmp_path):
    # a spreadsheet export split the title over two cells
    path = _csv(tmp_path, "x.csv",
                "Number of Service-wide,Forms\nBy Quarter,\"Form Status, and Processing Time\"\n"
                "Category and Form Number,Description,Forms Received1\n")
    assert sources.detect(path) == "uscis-all-forms"


def test_field_office_csv_without_title_line_windows_1252(tmp_path):
    text = (",,,\nUSCIS Field Office or Service Center Location,,,Petitions by Category\n"
            ",,,Immediate Relative1\n,,,Petitions Received2,Approved3,Denied4,Pending5\n"
            "Total,,,\"163,729\"\nSource: Department of Homeland Security, U.S. Citizenship "
            "and Immigration Services\u2019 PAS, June 2016\n")
    path = _csv(tmp_path, "download.csv", text, encoding="cp1252")
    assert sources.detect(path) == "uscis-field-office"


def test_field_office_multi_year_fy2013_table(tmp_path):
    path = _csv(tmp_path, "t.csv",
                "U.S. Citizenship and Immigration Services Alien Relative Petitions,,,\n"
                ",,,I-130 IMMEDIATE RELATIVE\nFiscal Year,Office,Description,Receipts,"
                "Approvals,Denials\n2011,ABQ,ALBUQUERQUE NM,171,123,6\n")
    assert sources.detect(path) == "uscis-field-office"


def test_field_office_workbook_found_by_sheet_name(tmp_path):
    path = _xlsx(tmp_path, "book.xlsx", {"I485_by_State": [["anything"], ["Total", 1, 2]]})
    assert sources.detect(path) == "uscis-field-office"


def test_orr_workbook_whose_state_table_is_not_the_first_sheet(tmp_path):
    path = _xlsx(tmp_path, "UCP.xlsx", {
        "AGE": [["Age", "FY2024"], ["0-12", 0.2]],
        "Gender": [["Year", "Males", "Females"], ["FY2024", 0.61, 0.38]],
        "State": [["State", "Total Number of UC Released to Sponsors in FY15 (Oct. 2014 \u2014 "
                            "Sep. 2015)"], ["Alabama", 808], ["TOTAL", 808]]})
    assert sources.detect(path) == "hhs-orr-uc"


def test_orr_plain_state_by_fiscal_year_table(tmp_path):
    path = _csv(tmp_path, "t.csv", "State,FY 2020,FY 2021\nTexas,7,8\nTOTAL,7,8\n")
    assert sources.detect(path) == "hhs-orr-uc"


def test_ohss_workbook_by_its_parole_sheets(tmp_path):
    path = _xlsx(tmp_path, "tables.xlsx", {
        "TOC": [["Table of Contents"]],
        "CHNV Paroles": [["Return to Table of Contents."],
                         ["Confirmed CHNV Paroles by Process: Fiscal Years 2023 to 2024 YTD"],
                         ["Fiscal Year", "Month", "Total", "Cuba"]]})
    assert sources.detect(path) == "ohss-monthly"


def test_ohss_parole_sheet_renamed_still_found_by_title(tmp_path):
    path = _xlsx(tmp_path, "tables.xlsx", {
        "Sheet9": [["Return to Table of Contents."],
                   ["Confirmed CHNV Paroles by Process: Fiscal Years 2023 to 2025 YTD"],
                   ["Fiscal Year", "Month", "Total", "Cuba"]]})
    assert sources.detect(path) == "ohss-monthly"


def test_ohss_flat_csv_with_table_measure_columns(tmp_path):
    path = _csv(tmp_path, "ielp.csv",
                "Calendar Year,Fiscal Year,Month,Repatriations:Removals,"
                "Southwest Border Book-outs/OFO:OFO Paroles,Encounters:Unaccompanied Children\n"
                "2013,2014,10,3510,2020,5\n")
    assert sources.detect(path) == "ohss-monthly"


def test_case_log_with_a_field_office_column_is_case_records(tmp_path):
    path = _csv(tmp_path, "log.csv",
                "Receipt Number,Receipt Date,Decision Date,Decision,Field Office\n"
                "A1,2023-01-05,2023-03-01,Approved,LOS\n")
    assert sources.detect(path) == "case-records"


def test_crowdsourced_summary_and_detail(tmp_path):
    summary = _csv(tmp_path, "a.csv", "Country,ReportDate,TotalApproved\nCuba,2023-05-05,3\n")
    detail = _csv(tmp_path, "b.csv", "CaseDate,TotalApproved\n2023-01-05,3\n")
    assert sources.detect(summary) == sources.detect(detail) == "chnv-crowdsourced"


def test_processing_times_page_and_form_offices_json(tmp_path):
    page = tmp_path / "CSC.json"
    page.write_text(json.dumps({"data": {"processing_time": {"form_name": "I-131",
                                                             "subtypes": []}}}))
    offices = tmp_path / "I-131.json"
    offices.write_text(json.dumps({"data": {"form_offices": {"form_name": "I-131",
                                                             "offices": []}}}))
    assert sources.detect(page) == "uscis-processing-times"
    # detected, so that the adapter refuses it with its own clear message
    assert sources.detect(offices) == "uscis-processing-times"


def test_processing_times_ndjson_capture(tmp_path):
    path = _csv(tmp_path, "times.ndjson",
                '["I-131", "141B-OTH", "NSC", "2023-07-13", "8", "14.5"]\n'
                '["I-131", "141A-RT", "NSC", "2023-08-23", "17.5", "21"]\n')
    assert sources.detect(path) == "uscis-processing-times"


def test_compiled_published_file_by_exact_header(tmp_path):
    path = _csv(tmp_path, "renamed.csv",
                "fiscal_year,state_name,released_to_sponsors,period_note,source_title,"
                "publisher\n2020,Texas,10,,T,P\n")
    assert sources.detect(path) == "published"


# --- refusals describe the file -------------------------------------------------------------


def test_unknown_csv_names_its_header_cells(tmp_path):
    path = _csv(tmp_path, "mystery.csv", "alpha,beta,gamma\n1,2,3\n")
    with pytest.raises(ParoleError) as err:
        sources.detect(path)
    message = str(err.value)
    assert "mystery.csv" in message and "a CSV text file" in message
    assert "alpha | beta | gamma" in message and "--source" in message


def test_unknown_workbook_names_its_sheets_and_header_cells(tmp_path):
    path = _xlsx(tmp_path, "book.xlsx", {"Budget": [["Item", "Cost"], ["pens", 3]],
                                        "Notes": [["hello"]]})
    with pytest.raises(ParoleError) as err:
        sources.detect(path)
    message = str(err.value)
    assert "XLSX workbook with sheets 'Budget', 'Notes'" in message
    assert "Item | Cost" in message


def test_unknown_json_names_its_keys(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"weather": {"today": 1}}))
    with pytest.raises(ParoleError, match="JSON object with keys weather"):
        sources.detect(path)


def test_pdf_and_empty_files_are_refused(tmp_path):
    pdf = tmp_path / "report.csv"
    pdf.write_bytes(b"%PDF-1.4 binary")
    with pytest.raises(InputError, match="PDF"):
        sources.detect(pdf)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        sources.detect(empty)


# --- every fixture and every real file ------------------------------------------------------

FIXTURE_SOURCES = {
    "uscis/processing_times_page.json": "uscis-processing-times",
    "uscis/pt_capture/times.ndjson": "uscis-processing-times",
    "uscis/pt_capture/labels.json": "uscis-processing-times",
    "uscis/pt_capture/times.metadata.json": "uscis-processing-times",
    "uscis/quarterly_all_forms_fy2025_q1.csv": "uscis-all-forms",
    "uscis/quarterly_all_forms_fy2018_q3.csv": "uscis-all-forms",
    "uscis/n400_field_office_new.csv": "uscis-field-office",
    "uscis/n400_field_office_old.csv": "uscis-field-office",
    "cases/variant_headers.csv": "case-records",
    "hhs/released_by_state_table.csv": "hhs-orr-uc",
    "hhs/states_wide.csv": "hhs-orr-uc",
    "hhs/county.csv": "hhs-orr-uc",
    "hhs/monthly_long.csv": "hhs-orr-uc",
    "hhs/released_by_state_fy2019.csv": "hhs-orr-uc",
    "chnv/reports/2023-05-06/2023-05-06-SocialMediaDailyReport.csv": "chnv-crowdsourced",
    "chnv/reports/2023-05-06/2023-05-06-SocialMediaDailyReportDetail.csv": "chnv-crowdsourced",
}


@pytest.mark.parametrize(("name", "source"), sorted(FIXTURE_SOURCES.items()))
def test_fixtures(name, source):
    assert sources.detect(FIXTURES / name) == source


def test_bundled_published_files(project_root):
    folder = project_root / "data" / "raw" / "published"
    files = sorted(folder.glob("*.csv"))
    assert files
    assert {f.name: sources.detect(f) for f in files} == {f.name: "published" for f in files}


def _expected_source(rel: str, spec: dict) -> str:
    if "/monthly/" in rel:
        return "uscis-monthly"  # the monthly Report to Congress has its own adapter
    if "ielp-table" in rel:
        return "ohss-monthly"  # the flat CSV OHSS builds from its monthly workbook
    return spec["source"]


@pytest.mark.acceptance
def test_every_real_file(shared_data):
    real = shared_data / "real"
    if not (real / "expected.json").is_file():
        pytest.skip(f"{real}/expected.json is absent")
    expected = json.loads((real / "expected.json").read_text())
    got = {rel: sources.detect(real / rel) for rel in expected}
    assert got == {rel: _expected_source(rel, spec) for rel, spec in expected.items()}


SAMPLES = {
    "orr-uac/states_children.csv": "hhs-orr-uc",
    "orr-uac/county_50_fy21.csv": "hhs-orr-uc",
    "orr-uac/fy2018_fy2021.csv": "hhs-orr-uc",
    "orr-uac/fy2018_fy2021_wide.xlsx": "hhs-orr-uc",
    "uscis-field-office-n400/n400_field_office_fy2019_q2_raw.csv": "uscis-field-office",
    "uscis-processing-times/times.ndjson": "uscis-processing-times",
    "uscis-processing-times/labels.json": "uscis-processing-times",
    "uscis-processing-times/times.metadata.json": "uscis-processing-times",
}


@pytest.mark.acceptance
def test_shared_samples(shared_data):
    present = {n: s for n, s in SAMPLES.items() if (shared_data / n).is_file()}
    if not present:
        pytest.skip("none of the shared samples is present")
    assert {n: sources.detect(shared_data / n) for n in present} == present
    reports = sorted((shared_data / "chnv-crowdsourced").rglob("*.csv"))[:20]
    assert {sources.detect(p) for p in reports} <= {"chnv-crowdsourced"}
