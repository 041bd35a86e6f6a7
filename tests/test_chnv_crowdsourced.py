"""Adapter chnv-crowdsourced (self-reported, not official) on SYNTHETIC fixtures and (acceptance)
the real sample."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest import sources
from analysis.ingest.sources import chnv_crowdsourced as chnv

FIXTURES = Path(__file__).parent / "fixtures" / "chnv"
REPORTS = FIXTURES / "reports"
SHARED = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chnv-crowdsourced"
          / "social-media-daily-report")


def summary(day: str, root: Path = REPORTS) -> Path:
    return root / day / f"{day}-SocialMediaDailyReport.csv"


def detail(day: str, root: Path = REPORTS) -> Path:
    return root / day / f"{day}-SocialMediaDailyReportDetail.csv"


def value(frame, measure):
    [v] = frame.loc[frame["measure"] == measure, "value"]
    return v


def test_summary_gives_one_day_of_counts_marked_self_reported():
    result = sources.load(summary("2023-05-06"), "chnv-crowdsourced")
    counts = result.tables["counts"]
    assert set(counts["source"]) == {"chnv-crowdsourced"}
    assert set(counts["category"]) == {"chnv-parole-cuba-self-reported"}
    assert set(counts["period"]) == {"2023-05"}
    assert (value(counts, "approved"), value(counts, "approved-unknown-case-date"),
            value(counts, "denied")) == (10, 2, 1)
    assert set(counts["status"]) == {"reported"}
    assert all("self-reported, not official" in c for c in counts["citation"])
    assert all("self-reported by applicants; not official; biased self-selected sample" in n
               and "2023-05-06 only (one day)" in n for n in counts["note"])


def test_blank_columns_are_not_available():
    counts = sources.load(summary("2023-05-05"), "chnv-crowdsourced").tables["counts"]
    unknown = counts[counts["measure"] == "approved-unknown-case-date"].iloc[0]
    assert unknown["status"] == "not_available" and math.isnan(unknown["value"])


def test_case_dates_plus_unknown_reconcile_with_total_approved():
    [ok] = sources.load(summary("2023-05-05"), "chnv-crowdsourced").reconciliation
    assert (ok.period, ok.parts_sum, ok.published_total, ok.difference) == (
        "2023-05-05", 6, 6, 0)
    result = sources.load(summary("2023-05-06"), "chnv-crowdsourced")
    [off] = result.reconciliation
    assert (off.parts_sum, off.published_total) == (9, 10)  # 4 + 1 + 2 by case date, + 2
    assert any("1 case date(s) appear on more than one line" in n for n in result.notes)


def test_detail_file_alone_gives_no_counts():
    result = sources.load(detail("2023-05-05"), "chnv-crowdsourced")
    assert result.tables == {}
    assert "approval_durations" in result.notes[0]


def test_approval_durations_are_report_minus_case_date():
    frame = chnv.approval_durations(REPORTS, root=REPORTS)
    assert list(frame.columns) == chnv.DURATION_COLUMNS
    got = sorted(zip(frame["report_date"].dt.strftime("%Y-%m-%d"),
                     frame["case_date"].dt.strftime("%Y-%m-%d"), frame["approvals"],
                     frame["days"], strict=True))
    assert got == [
        ("2023-05-05", "2023-01-06", 1, 119), ("2023-05-05", "2023-01-10", 3, 115),
        ("2023-05-05", "2023-05-05", 2, 0), ("2023-05-06", "2023-02-01", 2, 94),
        ("2023-05-06", "2023-02-01", 4, 94), ("2023-05-06", "2023-03-01", 1, 66),
        ("2023-06-01", "2023-04-01", 3, 61)]
    assert set(frame["country"]) == {"Cuba"}
    assert "biased self-selected sample" in frame.attrs["note"]
    assert frame.attrs["rejected"] == []
    assert frame["source_file"].iloc[0].startswith("2023-05-05/")


def test_monthly_counts_sum_report_days():
    result = chnv.monthly_counts(REPORTS, citation="test citation", root=FIXTURES)
    counts = schemas.validate("counts", result.tables["counts"])
    may = counts[counts["period"] == "2023-05"]
    assert value(may, "approved") == 16
    assert value(may, "denied") == 1
    unknown = may[may["measure"] == "approved-unknown-case-date"].iloc[0]
    assert unknown["value"] == 2 and "1 report days left this column blank" in unknown["note"]
    assert "sum of 2 daily reports (2023-05-05 to 2023-05-06) of 31 calendar days" in unknown[
        "note"]
    june = counts[counts["period"] == "2023-06"]
    assert value(june, "approved") == 4
    assert june[june["measure"] == "denied"].iloc[0]["status"] == "not_available"
    assert set(counts["source_file"]) == {"reports"}
    assert len(result.reconciliation) == 3


def test_bad_rows_are_rejected_with_reasons():
    result = sources.load(summary("2023-07-01", FIXTURES / "bad"), "chnv-crowdsourced")
    reasons = [(r.locator, r.reason) for r in result.rejected]
    assert any("TotalApprovedUnknownDate" in loc and "not a number" in why
               for loc, why in reasons)
    assert any("TotalDenied" in loc and "negative" in why for loc, why in reasons)
    assert any(loc == "line 3" and "duplicate row" in why for loc, why in reasons)
    assert any("after the report date" in why for _, why in reasons)
    assert any("CaseDate" in loc and "not a date" in why for loc, why in reasons)
    assert any(loc.startswith("line 5") and "negative" in why for loc, why in reasons)
    assert any(loc.startswith("line 6") and "not a number" in why for loc, why in reasons)
    assert value(result.tables["counts"], "approved") == 4
    [check] = result.reconciliation
    assert (check.parts_sum, check.published_total) == (3, 4)


def test_wrong_header_is_an_input_error(tmp_path):
    path = tmp_path / "2023-05-05-SocialMediaDailyReport.csv"
    path.write_text("Country,Date,Approved\nCuba,2023-05-05,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected Country, ReportDate, TotalApproved"):
        sources.load(path, "chnv-crowdsourced")


# --------------------------------------------------------------------------- acceptance


def real(day: str, kind=summary) -> Path:
    path = kind(day, SHARED)
    if not path.is_file():
        pytest.skip(f"real sample {path} not present")
    return path


@pytest.mark.acceptance
def test_real_daily_files_load():
    result = sources.load(real("2024-08-01"), "chnv-crowdsourced")
    counts = result.tables["counts"]
    assert (value(counts, "approved"), value(counts, "approved-unknown-case-date"),
            value(counts, "denied")) == (119, 9, 1)
    [check] = result.reconciliation
    assert check.parts_sum == 119 and check.difference == 0  # 110 by case date + 9
    first = sources.load(real("2023-05-05"), "chnv-crowdsourced").tables["counts"]
    assert value(first, "approved") == 217


@pytest.mark.acceptance
def test_real_mismatch_day_is_reported():
    [check] = sources.load(real("2023-05-23"), "chnv-crowdsourced").reconciliation
    assert (check.parts_sum, check.published_total) == (58, 57)


@pytest.mark.acceptance
def test_real_durations_of_one_day():
    frame = chnv.approval_durations(real("2023-05-05", detail))
    assert int(frame["approvals"].sum()) == 217
    first = frame.sort_values("case_date").iloc[0]
    assert (first["case_date"], first["approvals"], first["days"]) == (
        pd.Timestamp("2023-01-06"), 1, 119)
