"""Freshness: latest period per source, retrieval date, next release due, stale flag."""

from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser

import pandas as pd
import pytest

from analysis import cli
from analysis.reports import freshness


def test_next_due_per_schedule():
    # monthly, 100 days' lag: July 2024 -> August 2024 ends 31 Aug, + 100 days
    assert freshness.next_due(date(2024, 7, 31), "monthly", 100) == date(2024, 12, 9)
    # quarterly: FY2025 Q1 ends 31 Dec 2024 -> Q2 ends 31 Mar 2025, + 120 days
    assert freshness.next_due(date(2024, 12, 31), "quarterly", 120) == date(2025, 7, 29)
    # annual: FY2024 ends 30 Sep 2024 -> FY2025 ends 30 Sep 2025, + 120 days
    assert freshness.next_due(date(2024, 9, 30), "annual", 120) == date(2026, 1, 28)
    # a part year is completed by the release after its own end
    assert freshness.next_due(date(2025, 9, 30), "annual", 120, complete=True) == \
        date(2026, 1, 28)
    # a page value seen on 8 April: the next monthly update a month later
    assert freshness.next_due(date(2024, 4, 8), "monthly", 0, snapshot=True) == date(2024, 5, 8)
    assert freshness.next_due(date(2024, 4, 8), "irregular", None) is None


def _by_source(items):
    return {f.source: f for f in items}


def test_bundled_data(ingested):
    items = _by_source(freshness.freshness(ingested, today=date(2025, 1, 1)))
    orr = items["hhs-orr-uc"]
    assert (orr.latest_period, orr.part_year) == ("FY2025", True)
    assert orr.next_due == date(2026, 1, 28) and orr.stale is False and orr.status == "current"
    ohss = items["ohss-monthly"]
    assert ohss.latest_period == "2024-07" and ohss.next_due == date(2024, 12, 9)
    assert ohss.stale is True and ohss.status == "stale"
    uscis = items["uscis-all-forms"]
    assert uscis.latest_period == "FY2026-Q2"  # the quarter, not a year-to-date block
    times = items["uscis-processing-times"]
    assert times.latest_period.startswith("as of ")
    manifest = pd.read_csv(ingested / "raw" / "manifest.csv", dtype=str)
    assert orr.retrieved == date.fromisoformat(manifest["retrieved"].max())
    assert items["published"].status == "no schedule" and items["published"].files == len(
        manifest[manifest["source"] == "published"])
    assert items["case-records"].status == "no data" and items["case-records"].stale is None


def test_stale_flag_turns_the_day_after_the_due_date(ingested):
    due = _by_source(freshness.freshness(ingested, today=date(2024, 12, 9)))["ohss-monthly"]
    after = _by_source(freshness.freshness(ingested, today=date(2024, 12, 10)))["ohss-monthly"]
    assert (due.stale, after.stale) == (False, True)


def test_no_processed_tables(tmp_path):
    (tmp_path / "raw").mkdir()
    items = freshness.freshness(tmp_path, today=date(2025, 1, 1))
    assert {f.status for f in items} == {"no data"}


def test_cli_text_json_and_html(ingested, tmp_path, capsys):
    assert cli.main(["freshness", "--data-dir", str(ingested), "--today", "2025-01-01"]) == 0
    out = capsys.readouterr().out
    line = next(r for r in out.splitlines() if r.startswith("ohss-monthly"))
    assert "2024-07" in line and "2024-12-09" in line and "STALE" in line
    assert "estimates" in out
    assert cli.main(["freshness", "--data-dir", str(ingested), "--today", "2025-01-01",
                     "--json", "--html", "--reports-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    records = json.loads(out[:out.rindex("]") + 1])
    orr = next(r for r in records if r["source"] == "hhs-orr-uc")
    assert orr["next_due"] == "2026-01-28" and orr["stale"] is False
    page = (tmp_path / "freshness.html").read_text(encoding="utf-8")
    assert "<strong>Stale</strong>: the next release was due 2024-12-09" in page
    assert "FY2025 (part year)" in page
    assert 'href="https://www.acf.hhs.gov/orr/' in page

    class Checker(HTMLParser):
        stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "br"):
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack.pop() == tag

    checker = Checker()
    checker.feed(page)
    assert checker.stack == []
    assert "None" not in page and "nan" not in page.lower().split()


ORR_TITLE = "HHS ORR unaccompanied children released to sponsors"
OHSS_TITLE = "DHS OHSS Immigration Enforcement and Legal Processes Monthly Tables"


@pytest.mark.parametrize(("note", "expected"), [
    ("partial year (published part-way)", f"{ORR_TITLE}, FY2025 (part year)"),
    (None, f"{ORR_TITLE}, FY2025")])
def test_latest_periods_line(note, expected):
    rows = pd.DataFrame({
        "source": ["hhs-orr-uc", "hhs-orr-uc", "ohss-monthly", "no-such-source"],
        "period": ["FY2024", "FY2025", "2024-07", "FY2020"],
        "period_end": pd.to_datetime(["2024-09-30", "2025-09-30", "2024-07-31", "2020-09-30"]),
        "note": [None, note, None, None]})
    assert freshness.latest_periods_line(rows) == (
        f"Latest period: {expected}; no-such-source, FY2020; {OHSS_TITLE}, 2024-07")


def test_latest_periods_line_names_the_quarter_not_its_year_to_date_block():
    rows = pd.DataFrame({
        "source": ["uscis-all-forms"] * 2, "period": ["FY2026-YTD-Q2", "FY2026-Q2"],
        "period_start": pd.to_datetime(["2025-10-01", "2026-01-01"]),
        "period_end": pd.to_datetime(["2026-03-31", "2026-03-31"]), "note": [None, None]})
    assert freshness.latest_periods_line(rows).endswith(", FY2026-Q2")
