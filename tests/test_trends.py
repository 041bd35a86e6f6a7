"""Trends: counts per period, the count regression recovering known rates, labels only when
the interval supports them, and outcome shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ParoleError
from analysis.stats import trends
from analysis.stats.synthetic import generate_cases


def dated(dates, outcomes=None, decided=None):
    df = pd.DataFrame({"received_date": pd.to_datetime(dates)})
    df["outcome"] = outcomes or ["pending"] * len(df)
    df["decided_date"] = pd.to_datetime(decided or [None] * len(df))
    df["source"] = "case-records"
    df["synthetic"] = False
    return df


def test_counts_by_period_fills_zero_years_and_exposure():
    df = dated(["2021-10-05", "2022-09-30", "2023-10-01", "2024-01-15"])
    out = trends.counts_by_period(df, as_of="2024-03-31")
    assert out["period"].tolist() == ["FY2022", "FY2023", "FY2024"]
    assert out["count"].tolist() == [2, 0, 2]
    assert out["complete"].tolist() == [True, True, False]
    # FY2024 covered 1 Oct 2023 to 31 Mar 2024: 183 of 366 days
    assert out["exposure"].iloc[-1] == pytest.approx(183 / 366)
    q = trends.counts_by_period(df, freq="quarter", as_of="2024-03-31")
    assert q["period"].iloc[0] == "FY2022-Q1" and q["period"].iloc[-1] == "FY2024-Q2"
    assert len(q) == 10 and q["count"].sum() == 4


def table(values, start=2015):
    return pd.DataFrame({"period": [f"FY{start + i}" for i in range(len(values))],
                         "count": values})


def test_trend_recovers_exact_rate():
    t = np.arange(8)
    out = trends.trend(table(np.round(2000 * np.exp(0.1 * t))), family="poisson").iloc[0]
    assert out["pct_change_per_year"] == pytest.approx(100 * np.expm1(0.1), abs=0.05)
    assert out["direction"] == "rising" and out["lower"] > 0


@pytest.mark.parametrize("family", ["quasi-poisson", "negative-binomial"])
def test_trend_recovers_rate_from_generated_cases(family):
    cases = generate_cases(40000, seed=11, annual_growth=-0.15, start="2014-10-01",
                           as_of="2024-09-30")
    out = trends.trend(trends.counts_by_period(cases), family=family).iloc[0]
    truth = 100 * np.expm1(-0.15)  # -13.9% a year
    assert out["lower"] <= truth <= out["upper"]
    assert out["direction"] == "falling"
    assert out["label"] == "SYNTHETIC"


def test_partial_year_is_not_read_as_a_drop():
    # steady 1000 a year; the last year is half covered and has 500
    df = table([1000, 1000, 1000, 1000, 500]).assign(exposure=[1, 1, 1, 1, 0.5])
    out = trends.trend(df).iloc[0]
    assert out["pct_change_per_year"] == pytest.approx(0, abs=1e-6)
    assert out["direction"] == "no clear trend"


def test_no_clear_trend_when_interval_spans_zero():
    out = trends.trend(table([100, 130, 90, 120, 95, 125])).iloc[0]
    assert out["lower"] < 0 < out["upper"]
    assert out["direction"] == "no clear trend"


def test_not_estimable_rows_and_errors():
    short = trends.trend(table([5, 6])).iloc[0]
    assert short["status"] == "not_estimable" and "at least 3" in short["reason"]
    assert short["direction"] is None
    sup = pd.DataFrame({"period": ["FY2020", "FY2021", "FY2022"], "value": [10.0, None, 12.0],
                        "status": ["reported", "suppressed", "reported"]})
    row = trends.trend(sup).iloc[0]
    assert row["status"] == "not_estimable" and "FY2021" in row["reason"]
    zeros = trends.trend(table([0, 0, 0])).iloc[0]
    assert zeros["status"] == "not_estimable"
    with pytest.raises(ParoleError, match="mix period kinds"):
        trends.trend(pd.DataFrame({"period": ["FY2020", "FY2020-Q2", "FY2021"],
                                   "count": [1, 2, 3]}))
    with pytest.raises(ParoleError, match="family"):
        trends.trend(table([1, 2, 3]), family="linear")


def test_outcome_shares_by_hand():
    df = dated(["2023-01-01"] * 5,
               outcomes=["approved", "approved", "approved", "denied", "withdrawn"],
               decided=["2023-03-01"] * 5)
    df = pd.concat([df, dated(["2023-02-01"])])  # a pending case does not count
    out = trends.outcome_shares(df).set_index("outcome")
    assert out.loc["approved", "estimate"] == pytest.approx(3 / 5)
    assert out.loc["denied", "denominator"] == 5
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(3, 5, method="wilson")
    assert (out.loc["approved", "lower"], out.loc["approved", "upper"]) == pytest.approx((lo, hi))
    assert set(out["period"]) == {"FY2023"}


def test_outcome_shares_from_counts_with_suppression():
    from analysis.contract import periods

    rows = []
    for period, app, den, status in [("FY2023-Q1", 90, 10, "reported"),
                                     ("FY2023-Q2", 40, None, "suppressed")]:
        p = periods.parse(period)
        for m, v, s in [("approved", app, "reported"), ("denied", den, status)]:
            rows.append({"period": period, "measure": m, "value": v, "status": s,
                         "geo_code": "US", "period_start": p.start})
    out = trends.outcome_shares_from_counts(pd.DataFrame(rows), threshold=10)
    q1 = out[(out["period"] == "FY2023-Q1") & (out["group"] == "approved")].iloc[0]
    assert q1["estimate"] == pytest.approx(0.9)
    q2 = out[(out["period"] == "FY2023-Q2") & (out["group"] == "approved")].iloc[0]
    assert q2["status"] == "bounded"
    assert (q2["estimate_low"], q2["estimate_high"]) == pytest.approx((40 / 50, 1.0))


# -- the trend rule: shape -------------------------------------------------------------------

def _fy(n, start=2015):
    return [f"FY{start + i}" for i in range(n)]


def test_shape_finds_a_rise_then_a_fall_and_names_the_peak():
    found = trends.shape(_fy(6), [5000, 8000, 13000, 13730, 12000, 10819])
    assert [(s.start, s.end, s.direction) for s in found.segments] == [
        ("FY2015", "FY2018", "rose"), ("FY2018", "FY2020", "fell")]
    assert found.segments[1].pct == pytest.approx(100 * (10819 - 13730) / 13730)
    assert found.knots == ["FY2018"]


def test_shape_keeps_one_segment_for_a_noisy_steady_fall():
    found = trends.shape(_fy(5), [100, 90, 95, 80, 70])
    assert [s.direction for s in found.segments] == ["fell"]
    assert found.segments[0].pct == pytest.approx(-30)


def test_shape_states_no_rate_on_small_counts():
    found = trends.shape(_fy(6), [1, 3, 2, 5, 9, 17])
    assert [s.direction for s in found.segments] == ["rose"]
    assert found.segments[0].pct is None


def test_shape_last_three_years_are_never_contradicted():
    # a peak early, then three years rising: the last segment must rise
    found = trends.shape(_fy(6), [100, 900, 200, 150, 160, 400])
    assert found.last_direction == "rose"


def test_shape_calls_small_changes_little_change_and_refuses_gaps():
    assert trends.shape(_fy(4), [100, 101, 99, 102]).last_direction == "little change"
    assert trends.shape(_fy(3), [100, float("nan"), 99]).status == "not_described"
    assert trends.shape(_fy(1), [100]).status == "not_described"
