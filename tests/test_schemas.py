import pandas as pd
import pytest

from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest.sources.base import counts_frame


def _row(**changes):
    row = {"source": "uscis-all-forms", "form": "I-131", "category": "humanitarian-parole",
           "measure": "received", "geo_level": "nation", "geo_code": "US",
           "geo_name": "United States", "period": "FY2023-Q2", "value": 2328.0,
           "status": "reported", "source_file": "x/y.csv", "source_locator": "line 2",
           "citation": "USCIS quarterly report"}
    row.update(changes)
    return row


def test_valid_counts_pass_and_get_period_dates():
    frame = schemas.validate("counts", counts_frame([_row()]))
    assert frame.loc[0, "period_start"] == pd.Timestamp("2023-01-01")
    assert frame.loc[0, "period_end"] == pd.Timestamp("2023-03-31")
    assert frame.loc[0, "fiscal_year"] == 2023


def test_columns_are_the_contract():
    assert schemas.columns("counts")[:17] == [
        "source", "form", "category", "measure", "geo_level", "geo_code", "geo_name", "period",
        "period_start", "period_end", "fiscal_year", "value", "status", "source_file",
        "source_locator", "citation", "note"]
    assert {"case_id", "received_date", "decided_date", "outcome", "synthetic"} <= set(
        schemas.columns("cases"))


@pytest.mark.parametrize("changes", [
    {"status": "guessed"},
    {"status": "suppressed"},  # a suppressed cell cannot carry a value
    {"status": "reported", "value": None},
    {"status": "zero", "value": 3.0},
    {"geo_level": "state", "geo_code": "California"},
    {"geo_level": "county", "geo_code": "6037"},
    {"category": "Humanitarian Parole"},
    {"value": -1.0},
    {"citation": ""},
])
def test_contract_violations_are_named(changes):
    with pytest.raises(InputError, match="does not meet the counts contract"):
        schemas.validate("counts", counts_frame([_row(**changes)]), origin="test.csv")


def test_suppressed_cell_without_value_passes():
    frame = schemas.validate("counts", counts_frame([_row(status="suppressed", value=None)]))
    assert frame["value"].isna().all()


def test_unknown_column_is_refused():
    frame = counts_frame([_row()]).assign(extra=1)
    with pytest.raises(InputError, match="extra"):
        schemas.validate("counts", frame)


def test_duplicate_numbers_from_one_file_are_refused():
    with pytest.raises(InputError):
        schemas.validate("counts", counts_frame([_row(), _row(value=1.0)]))


def _case(**changes):
    row = {"case_id": "1", "source": "case-records", "form": "I-131", "category": None,
           "basis": "medical", "received_date": pd.Timestamp("2023-01-05"),
           "decided_date": pd.Timestamp("2023-03-01"), "outcome": "approved",
           "age_years": 4.0, "state": "CA", "county_fips": "06037", "office": None,
           "synthetic": False}
    row.update(changes)
    return pd.DataFrame([row])


def test_cases_rules():
    schemas.validate("cases", _case())
    schemas.validate("cases", _case(outcome="pending", decided_date=pd.NaT))
    for bad in [{"decided_date": pd.Timestamp("2022-12-31")}, {"outcome": "pending"},
                {"outcome": "granted"}, {"age_years": 140.0}]:
        with pytest.raises(InputError):
            schemas.validate("cases", _case(**bad))


def test_empty_tables_have_contract_columns():
    for table in schemas.SCHEMAS:
        assert list(schemas.empty(table).columns) == schemas.columns(table)
