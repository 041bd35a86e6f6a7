import re
from datetime import date

import pytest

from analysis.contract import periods


def test_fiscal_quarter_one_starts_in_october_of_previous_year():
    q1 = periods.parse("FY2023-Q1")
    assert (q1.start, q1.end, q1.fiscal_year) == (date(2022, 10, 1), date(2022, 12, 31), 2023)


def test_fiscal_quarter_two():
    q2 = periods.parse("FY2023-Q2")
    assert (q2.start, q2.end) == (date(2023, 1, 1), date(2023, 3, 31))


def test_fiscal_year_and_year_to_date():
    fy = periods.parse("FY2023")
    assert (fy.start, fy.end) == (date(2022, 10, 1), date(2023, 9, 30))
    ytd = periods.parse("FY2025-YTD-Q3")
    assert (ytd.start, ytd.end, ytd.fiscal_year) == (date(2024, 10, 1), date(2025, 6, 30), 2025)


@pytest.mark.parametrize(("label", "fy"), [("2023-09", 2023), ("2023-10", 2024), ("2024-02", 2024)])
def test_month_fiscal_year(label, fy):
    assert periods.parse(label).fiscal_year == fy


def test_fiscal_year_of_a_date():
    assert periods.fiscal_year_of("2022-09-30") == 2022
    assert periods.fiscal_year_of("2022-10-01") == 2023


@pytest.mark.parametrize("bad", ["2023", "FY23", "FY2023-Q5", "2023-13", "Q2 2023"])
def test_unknown_period_is_refused_with_accepted_forms(bad):
    with pytest.raises(ValueError, match="expected FY2023, FY2023-Q2"):
        periods.parse(bad)


def test_fiscal_year_to_date_through_a_month():
    ytd = periods.parse("FY2024-YTD-2024-07")
    assert (ytd.start, ytd.end, ytd.fiscal_year) == (date(2023, 10, 1), date(2024, 7, 31), 2024)
    assert periods.fiscal_ytd_month(2024, 2024, 6).label == "FY2024-YTD-Q3"
    assert periods.fiscal_ytd_month(2024, 2023, 11).label == "FY2024-YTD-2023-11"
    with pytest.raises(ValueError, match="write FY2024-YTD-Q3"):
        periods.parse("FY2024-YTD-2024-06")
    with pytest.raises(ValueError, match="not in fiscal year FY2024"):
        periods.parse("FY2024-YTD-2024-10")


@pytest.mark.parametrize(("day", "label"), [
    ("2022-10-01", "FY2023-Q1"), ("2022-12-31", "FY2023-Q1"), ("2023-01-01", "FY2023-Q2"),
    ("2023-09-30", "FY2023-Q4")])
def test_fiscal_quarter_of_a_date(day, label):
    q = periods.fiscal_quarter_of(day)
    assert q.label == label and q.quarter == int(label[-1])
    assert periods.parse("FY2023").quarter is None


@pytest.mark.parametrize(("day", "label"), [
    ("2024-06-30", "FY2024-Q3"), ("2024-06-29", "FY2024-Q2"), ("2024-10-31", "FY2024-Q4"),
    ("2024-01-15", "FY2024-Q1")])
def test_quarter_ended_by_a_date(day, label):
    assert periods.quarter_ended_by(day).label == label


@pytest.mark.parametrize(("fy", "month", "label"), [(2024, 10, "2023-10"), (2024, 12, "2023-12"),
                                                    (2024, 1, "2024-01"), (2024, 9, "2024-09")])
def test_calendar_month_of_a_fiscal_year(fy, month, label):
    assert periods.fiscal_month(fy, month).label == label
    assert periods.fiscal_month(fy, month).fiscal_year == fy


def test_part_year_is_one_rule_for_charts_claims_and_freshness():
    from analysis.viz import formatting

    assert formatting.part_year is periods.part_year
    assert periods.part_year("FY2021", "partial year (published part-way through FY2021)")
    assert periods.part_year("FY2024", "fiscal year to date through July 2024")
    assert periods.part_year("FY2024-YTD-Q2")
    assert periods.part_year("FY2030", as_of=date(2026, 11, 24))  # not ended yet
    assert not periods.part_year("FY2019", "published total", as_of=date(2026, 11, 24))


@pytest.mark.parametrize(("text", "year", "expected"), [
    ("October 1, 2023", None, date(2023, 10, 1)),
    ("Oct. 1 2023", None, date(2023, 10, 1)),
    ("Sept. 30, 2023", None, date(2023, 9, 30)),
    ("1st October 2023", None, date(2023, 10, 1)),
    ("2023-10-01", None, date(2023, 10, 1)),
    ("10/1/2023", None, date(2023, 10, 1)),  # month first, as US publishers write it
    ("October 1", 2022, date(2022, 10, 1)),
])
def test_dates_in_words(text, year, expected):
    assert periods.parse_date(text, year) == expected


@pytest.mark.parametrize("text", ["February 30, 2023", "October 1", "hello", ""])
def test_what_is_not_a_whole_possible_date_is_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        periods.parse_date(text)


def test_month_names_and_date_ranges():
    assert [periods.month_of_name(n) for n in ("Sept.", "october", "MAY", "Foo")] == \
        [9, 10, 5, None]
    start, end, _ = periods.date_range("Data for October 1 - December 31, 2023 (Q1)")
    assert (start, end) == (date(2023, 10, 1), date(2023, 12, 31))
    assert periods.date_range("no dates here") is None
    assert re.fullmatch(periods.MONTH_PATTERN, "sept", re.I)
