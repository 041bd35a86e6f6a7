"""Every named region of regions.yml works end to end in the regional report (issue 11
item 5): state regions by their states, county regions by their counties' figures with the
coverage stated, and a clear statement where no county has a figure."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.contract import geo
from analysis.reports import regional_report as regional

REGIONS = [r.name for r in geo.regions()]


@pytest.mark.parametrize("name", REGIONS)
def test_every_named_region_loads_and_builds_its_tables(name, ingested):
    params = regional.check_parameters(name, 2015, 2021, str(ingested))
    counts = regional.load(params)
    table, rows = regional.yearly(counts, params)
    columns = regional.display_columns(table)
    page = regional.display_table(table, rows)
    assert "None" not in page and ">nan<" not in page
    if params.level == "state":
        assert len(table) == 7 and set(columns) >= {"estimate", "states_total"}
        assert rows["geo_code"].isin([*params.members, "US"]).all()
    else:
        text = regional.coverage_markdown(regional.county_coverage(counts, params), params)
        assert "FY2021 (part year)" in text
        assert set(table.columns) >= {"counties_listed", "upper_bound"}


def test_southern_california_counts_los_angeles_and_bounds_the_rest(ingested):
    params = regional.check_parameters("Southern California", 2015, 2021, str(ingested))
    counts = regional.load(params)
    (cov,) = regional.county_coverage(counts, params)
    assert cov.listed["geo_code"].tolist() == ["06037"]
    assert cov.total_listed == 325  # Los Angeles County, FY2021, as published
    assert len(cov.unlisted) == 9 and cov.threshold == 50
    # nine unlisted counties below 50 each could hold 9 x 49 = 441; California's FY2021 total
    # is now the full-year 10,770 (the part-year 705 that matched the county table's window was
    # revised by the full-year table), which leaves 10,770 - 325 - 53 and so bounds nothing
    assert cov.upper_bound == 325 + 9 * 49
    text = regional.coverage_markdown([cov], params)
    assert "1 of the 10 counties has a published figure" in text
    assert "Kern County" in text and "at most 766" in text


def test_san_joaquin_valley_is_rendered_with_a_clear_statement(ingested):
    params = regional.check_parameters("San Joaquin Valley", 2015, 2021, str(ingested))
    counts = regional.load(params)
    table, rows = regional.yearly(counts, params)
    # no county listed: the figure is not published, never 0, in the table and its CSV
    assert table["value"].isna().all() and table["status"].tolist() == ["not published"]
    page = regional.display_table(table, rows)
    assert "not published" in page and ">0<" not in page
    # the table comes from the HHS county table (which lists none of these counties) and
    # the state total bounding them: its source line names both, never "no data"
    assert set(rows["geo_level"]) == {"county", "state"}
    assert "Released to Sponsors by County" in page and "no data" not in page
    text = regional.coverage_markdown(regional.county_coverage(counts, params), params)
    assert "none of the 8 counties of San Joaquin Valley (8 counties) is listed" in text
    assert "fewer than 50" in text
    # 8 x 49 = 392 by the threshold (the full-year state total leaves 10,392: no tighter)
    assert "at most 392" in text


def test_county_region_outside_the_county_years_says_none_exist(ingested):
    params = regional.check_parameters("scag-region", 2015, 2019, str(ingested))
    counts = regional.load(params)
    assert regional.county_coverage(counts, params) == []
    text = regional.coverage_markdown([], params)
    assert text.startswith("**No county figures exist for SCAG region (6 counties)")
    assert "California (CA)" in text
    # the years county figures exist are read from the data, not typed
    available = regional.load(params, all_years=True)
    text = regional.coverage_markdown([], params, available)
    assert "by county only for FY2021, part year;" in text
    no_fy2021 = available[available["period"] != "FY2021"]
    assert "for no year in the data" in regional.coverage_markdown([], params, no_fy2021)


def test_nearest_series_years_come_from_the_data(ingested):
    params = regional.check_parameters("CA", 2015, 2025, str(ingested))
    available = regional.load(params, all_years=True)
    text = regional.nearest_series_markdown(available)
    # bundled: state tables FY2015 to FY2025 (FY2021 full year, FY2025 a part year); county
    # FY2021 (part year)
    assert ("by state and fiscal year (FY2015 to FY2025; FY2025 part year) and "
            "by county (FY2021, part year, only counties with 50 or more releases)") in text
    older = available[available["fiscal_year"] <= 2020]
    assert "(FY2015 to FY2020) (no county figures)" in regional.nearest_series_markdown(older)
    assert "FY2021 (part year)" not in regional.no_counties_markdown(older, params)


def test_share_title_ranges_over_full_years_only():
    table = pd.DataFrame({"period": ["FY2019", "FY2020", "FY2021"],
                          "estimate": [0.12, 0.13, 0.05],
                          "notes": [None, None, "partial year (published part-way)"]})
    title = regional.share_finding(table, "Texas (TX)")
    assert title == ("Texas (TX) received between 12% and 13% of the children released to "
                     "sponsors each full year, FY2019 to FY2020")


def test_regional_trend_leaves_out_the_part_year(ingested):
    # bundled: FY2021 is the full-year table; FY2025 is a part year
    params = regional.check_parameters("CA", 2015, 2025, str(ingested))
    table, _ = regional.yearly(regional.load(params), params)
    assert regional.part_year(table).tolist() == [False] * 10 + [True]
    found, text = regional.trend(table, params.label)
    assert found.periods[-1] == "FY2024" and "FY2025" not in found.periods
    assert "Part-year FY2025 left out" in text


def test_regional_trend_states_the_turn_not_one_rate(ingested):
    """California rose to FY2022 and then fell to FY2024 (13,730 -> 10,819 published): the
    sentence must say both, and the fall between the published figures."""
    params = regional.check_parameters("CA", 2015, 2025, str(ingested))
    table, _ = regional.yearly(regional.load(params), params)
    _, text = regional.trend(table, params.label)
    assert "peak of 13,730 in FY2022, then fell 21% to 10,819 in FY2024" in text
    assert "a year" not in text and "regression" not in text.split("<small>")[0]


@pytest.mark.slow
def test_southern_california_report_renders_with_data_downloads(ingested, tmp_path):
    from analysis.reports import render as reports

    done = reports.render("regional_report", {"geo": "Southern California"},
                          data_dir=ingested, reports_dir=tmp_path)
    page = done.html.read_text(encoding="utf-8")
    assert "Los Angeles County" in page and "at most 766" in page
    links = [part.split('"')[0] for part in page.split('href="')[1:]
             if part.split('"')[0].endswith(".csv")]
    assert links and all("/" not in href for href in links)  # relative, beside the HTML
    for href in links:
        frame = pd.read_csv(done.html.parent / href, dtype=str)
        assert {"status", "source_file", "source_locator", "citation"} <= set(frame.columns)
