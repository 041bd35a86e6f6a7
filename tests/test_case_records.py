"""The case-records adapter: column variants, strict validation with reasons, XLSX, template."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
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
