"""Per-capita rates from the bundled Census population, and the population table itself."""

import pandas as pd
import pytest

from analysis.stats import rates


def test_bundled_states_add_up_to_the_published_national_figure():
    # a transcription slip in any state would break the sum the Census table prints
    pop = rates.population()
    for year, part in pop.groupby("year"):
        states = part[part["geo_level"] == "state"]
        nation = part[part["geo_level"] == "nation"]["population"].item()
        assert len(states) == 51, year  # 50 states and DC
        assert states["population"].sum() == nation, year


def test_every_population_row_cites_its_table():
    pop = rates.population()
    assert pop["table_id"].str.len().gt(0).all()
    assert pop["source_url"].str.startswith("https://").all()
    assert pop["locator"].str.contains(r"^row ", regex=True).all()
    # figures as the tables print them (Census Bureau): California 2019 and 2020
    ca = pop[pop["geo_code"] == "CA"].set_index("year")["population"]
    assert ca[2019] == 39_512_223 and ca[2020] == 39_538_223


def orr(rows):
    return pd.DataFrame(rows, columns=["geo_level", "geo_code", "period", "fiscal_year",
                                       "value"])


def test_rate_per_100k_with_the_denominator_year_and_source():
    out = rates.per_capita(orr([("state", "WY", "FY2019", 2019, 5.0),
                                ("nation", "US", "FY2020", 2020, 1000.0)]))
    wy, us = out.iloc[0], out.iloc[1]
    assert wy["value"] == pytest.approx(5.0 / 578_759 * 100_000)
    assert wy["denominator"] == 578_759 and wy["population_year"] == 2019
    assert "NST-EST2019-01" in wy["population_source"]
    assert us["value"] == pytest.approx(1000.0 / 331_449_281 * 100_000)
    assert "2020 Census" in us["population_source"]


def test_a_year_without_population_is_not_estimable_unless_nearest_is_asked():
    rows = orr([("state", "TX", "FY2023", 2023, 100.0)])
    strict = rates.per_capita(rows).iloc[0]
    assert strict["status"] == "not_estimable" and pd.isna(strict["value"])
    assert "no bundled Census population for TX in 2023" in strict["reason"]
    near = rates.per_capita(rows, nearest=True).iloc[0]
    assert near["population_year"] == 2020 and near["denominator"] == 29_145_505
    assert "nearest" in near["note"]
