"""Processing times: Kaplan-Meier by hand and against statsmodels, empirical distribution,
log-rank, published series and the backlog measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from analysis.errors import ParoleError
from analysis.stats import timing
from analysis.stats.synthetic import generate_cases

AS_OF = pd.Timestamp("2024-06-30")


def make_cases(decided_days, pending_days=(), group="g", start="2024-01-01"):
    """Cases decided after the given numbers of days, and cases pending for the given days
    at AS_OF."""
    start = pd.Timestamp(start)
    rows = [{"received_date": start, "decided_date": start + pd.Timedelta(days=d),
             "outcome": "approved", "region": group} for d in decided_days]
    rows += [{"received_date": AS_OF - pd.Timedelta(days=d), "decided_date": pd.NaT,
              "outcome": "pending", "region": group} for d in pending_days]
    df = pd.DataFrame(rows)
    df["decided_date"] = pd.to_datetime(df["decided_date"])
    return df


def test_worked_example_by_hand():
    # events at 2, 3, 5, 8 days; pending (censored) at 3 and 6 days
    cases = make_cases([2, 3, 5, 8], pending_days=[3, 6])
    km = timing.kaplan_meier(cases, as_of=AS_OF)
    assert km["days"].tolist() == [2, 3, 5, 8]
    assert km["at_risk"].tolist() == [6, 5, 3, 1]
    expected = [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 0.0]
    assert km["survival"].to_numpy() == pytest.approx(expected)
    # Greenwood: S(t)^2 * sum d / (n (n - d))
    se2 = (5 / 6) * np.sqrt(1 / 30)
    se5 = (4 / 9) * np.sqrt(1 / 30 + 1 / 20 + 1 / 6)
    assert km["se"].iloc[0] == pytest.approx(se2)
    assert km["se"].iloc[2] == pytest.approx(se5)
    q = timing.km_quantiles(cases, as_of=AS_OF, probs=[0.5]).iloc[0]
    assert q["days"] == 5  # first time survival falls below 0.5 (4/9)
    assert q["n"] == 6 and q["events"] == 4 and q["censored"] == 2


def test_matches_survfuncright_on_synthetic_data():
    cases = generate_cases(1500, seed=7)
    d = timing.durations(cases, by="state", as_of="2024-09-30")
    km = timing.kaplan_meier(cases, by="state", as_of="2024-09-30")
    qs = timing.km_quantiles(cases, by="state", as_of="2024-09-30", probs=[0.25, 0.5, 0.75])
    for g in ["FL", "TX", "NY"]:
        part = d[d["group"] == g]
        sf = SurvfuncRight(part["duration"].to_numpy(), part["event"].to_numpy())
        mine = km[km["group"] == g]
        assert mine["days"].to_numpy() == pytest.approx(sf.surv_times)
        assert mine["survival"].to_numpy() == pytest.approx(sf.surv_prob)
        assert np.allclose(mine["se"], sf.surv_prob_se, equal_nan=True)
        for p in (0.25, 0.5, 0.75):
            row = qs[(qs["group"] == g) & (qs["quantile"] == p)].iloc[0]
            # the library's rule: first time with S(t) <= 1 - p (statsmodels uses <)
            first = sf.surv_times[np.flatnonzero(sf.surv_prob <= 1 - p + 1e-10)[0]]
            assert row["days"] == first
            with np.errstate(all="ignore"):
                lo, hi = sf.quantile_ci(p)
            assert row["lower"] == lo
            assert row["upper"] == hi or (np.isinf(hi) and np.isnan(row["upper"]))


def test_no_censoring_equals_empirical_distribution():
    rng = np.random.default_rng(3)
    days = rng.integers(1, 400, size=301)
    cases = make_cases(days, start="2023-01-01")
    km = timing.kaplan_meier(cases, as_of=AS_OF)
    emp = timing.ecdf(cases, as_of=AS_OF)
    assert km["days"].tolist() == emp["days"].tolist()
    assert (1 - km["survival"]).to_numpy() == pytest.approx(emp["ecdf"].to_numpy())
    # with 301 cases n*p is never a whole number for these p, so both rules agree
    kq = timing.km_quantiles(cases, as_of=AS_OF, probs=[0.5, 0.8, 0.9])
    eq = timing.empirical_quantiles(cases, as_of=AS_OF, probs=[0.5, 0.8, 0.9])
    assert kq["days"].tolist() == eq["days"].tolist()
    assert eq["days"].tolist() == [float(np.sort(days)[int(np.ceil(p * 301)) - 1])
                                   for p in (0.5, 0.8, 0.9)]


def test_survival_table_is_small_and_gives_same_curve():
    cases = generate_cases(3000, seed=2)
    table = timing.survival_table(cases, by="basis", as_of="2024-09-30")
    assert list(table.columns) == ["group", "duration", "events", "censored"]
    assert table["events"].sum() + table["censored"].sum() == 3000
    assert table["events"].sum() == int(cases["outcome"].isin(["approved", "denied"]).sum())
    a = timing.kaplan_meier(table)
    b = timing.kaplan_meier(cases, by="basis", as_of="2024-09-30")
    pd.testing.assert_frame_equal(a.drop(columns=["synthetic", "label"]),
                                  b.drop(columns=["synthetic", "label"]))
    assert b["label"].eq("SYNTHETIC").all()


def test_logrank_matches_survdiff():
    cases = generate_cases(2000, seed=5, states=["FL", "TX", "OH"])
    d = timing.durations(cases, by="state", as_of="2024-09-30")
    chisq, p = survdiff(d["duration"].to_numpy(), d["event"].to_numpy(), d["group"].to_numpy())
    out = timing.logrank(cases, by="state", as_of="2024-09-30").iloc[0]
    assert out["chisq"] == pytest.approx(chisq)
    assert out["df"] == 2 and out["status"] == "estimated"
    one = timing.logrank(cases[cases["state"] == "FL"], by="state", as_of="2024-09-30")
    assert one.loc[0, "status"] == "not_estimable"


def test_all_censored_and_unreached_quantiles_are_explained():
    cases = pd.concat([make_cases([], pending_days=[10, 20], group="waiting"),
                       make_cases([5], pending_days=[50, 60, 70], group="slow")])
    q = timing.km_quantiles(cases, by="region", as_of=AS_OF, probs=[0.5]).set_index("group")
    assert q.loc["waiting", "status"] == "not_estimable"
    assert "all 2 cases are pending" in q.loc["waiting", "reason"]
    assert q.loc["slow", "status"] == "not_estimable"
    assert "not reached" in q.loc["slow", "reason"]
    assert q["days"].isna().all()


def test_bad_input_is_refused():
    bad = make_cases([3])
    bad.loc[0, "decided_date"] = bad.loc[0, "received_date"] - pd.Timedelta(days=1)
    with pytest.raises(ParoleError, match="decided before received"):
        timing.kaplan_meier(bad, as_of=AS_OF)
    with pytest.raises(ParoleError, match="after as_of"):
        timing.durations(make_cases([3]), as_of="2023-01-01")
    with pytest.raises(ParoleError, match="no cases"):
        timing.durations(make_cases([3]).iloc[:0])
    with pytest.raises(ParoleError, match="withdrawn"):
        timing.durations(make_cases([3]), withdrawn="maybe")


def test_decisions_after_as_of_are_censored_and_withdrawn_options():
    cases = make_cases([10, 400])  # the second is decided after AS_OF
    cases.loc[len(cases)] = {"received_date": pd.Timestamp("2024-01-01"),
                             "decided_date": pd.Timestamp("2024-01-21"),
                             "outcome": "withdrawn", "region": "g"}
    d = timing.durations(cases, as_of=AS_OF)
    assert d["event"].tolist() == [1, 0, 0]
    assert d["duration"].tolist() == [10, (AS_OF - pd.Timestamp("2024-01-01")).days, 20]
    assert timing.durations(cases, as_of=AS_OF, withdrawn="event")["event"].tolist() == [1, 0, 1]
    assert len(timing.durations(cases, as_of=AS_OF, withdrawn="drop")) == 2


def test_empirical_quantiles_say_what_they_leave_out():
    cases = make_cases([1, 2, 3, 4], pending_days=[100])
    out = timing.empirical_quantiles(cases, as_of=AS_OF, probs=[0.5]).iloc[0]
    assert out["days"] == 2 and out["n_pending"] == 1
    assert "1 pending" in out["note"]


def test_fiscal_year_grouping():
    cases = pd.concat([make_cases([5], start="2023-09-30"), make_cases([7], start="2023-10-01")])
    d = timing.durations(cases, by="fiscal_year", as_of=AS_OF)
    assert sorted(d["group"]) == ["2023", "2024"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=40),
       st.lists(st.integers(0, 300), max_size=20))
def test_quantiles_are_monotone(done, pending):
    cases = make_cases(done, pending_days=pending, start="2023-01-01")
    probs = [0.1, 0.25, 0.5, 0.75, 0.9]
    q = timing.km_quantiles(cases, as_of=AS_OF, probs=probs)
    est = q[q["status"] == "estimated"]
    assert est["days"].is_monotonic_increasing
    # once a quantile is not reached, no higher one is
    reached = (q["status"] == "estimated").tolist()
    assert reached == sorted(reached, reverse=True)
    e = timing.empirical_quantiles(cases, as_of=AS_OF, probs=probs)
    assert e.loc[e["status"] == "estimated", "days"].is_monotonic_increasing
    assert ((est["lower"] <= est["days"]) | est["lower"].isna()).all()


def processing_rows():
    base = {"source": "uscis-processing-times", "form": "I-131", "subtype": "141B-OTH",
            "geo_level": "office", "geo_name": "Office", "period": None, "status": "reported",
            "source_file": "p.csv", "citation": "c", "note": None}
    rows = [
        {**base, "geo_code": "NSC", "as_of": "2024-02-01", "statistic": "p80", "months": 9.5,
         "source_locator": "line 3"},
        {**base, "geo_code": "NSC", "as_of": "2023-08-01", "statistic": "p80", "months": 8.0,
         "source_locator": "line 2"},
        {**base, "geo_code": "NSC", "as_of": "2023-08-01", "statistic": "second-value",
         "months": 3.0, "source_locator": "line 2"},
        {**base, "geo_code": "TSC", "as_of": "2023-09-01", "statistic": "p80", "months": None,
         "status": "not_available", "source_locator": "line 4"},
    ]
    df = pd.DataFrame(rows)
    df["as_of"] = pd.to_datetime(df["as_of"])
    return df


def test_published_series():
    out = timing.published_series(processing_rows())
    assert out["statistic"].eq("p80").all()
    nsc = out[out["geo_code"] == "NSC"]
    assert nsc["months"].tolist() == [8.0, 9.5]
    assert nsc["date"].tolist() == [pd.Timestamp("2023-08-01"), pd.Timestamp("2024-02-01")]
    tsc = out[out["geo_code"] == "TSC"].iloc[0]
    assert tsc["status"] == "not_available" and pd.isna(tsc["months"])


def quarterly(rows):
    from analysis.contract import periods

    out = []
    for period, measure, value, status in rows:
        p = periods.parse(period)
        out.append({"form": "I-131", "category": "hp", "geo_code": "US", "period": period,
                    "period_start": pd.Timestamp(p.start), "measure": measure, "value": value,
                    "status": status})
    return pd.DataFrame(out)


def test_backlog_months_by_hand():
    rows = []
    for i, q in enumerate(["FY2023-Q4", "FY2024-Q1", "FY2024-Q2", "FY2024-Q3", "FY2024-Q4"]):
        rows += [(q, "approved", 100 + 10 * i, "reported"), (q, "denied", 50, "reported"),
                 (q, "pending", 1000 + 100 * i, "reported")]
    out = timing.backlog_months(quarterly(rows), quarters=4).iloc[0]
    # last four quarters: approved 110+120+130+140 = 500, denied 200 -> 700 in 12 months
    assert out["mean_monthly_completions"] == pytest.approx(700 / 12)
    assert out["pending"] == 1400 and out["pending_period"] == "FY2024-Q4"
    assert out["months"] == pytest.approx(1400 / (700 / 12))
    assert out["periods_used"] == "FY2024-Q1, FY2024-Q2, FY2024-Q3, FY2024-Q4"
    assert out["completions_measure"] == "approved+denied"
    short = timing.backlog_months(quarterly(rows), quarters=6).iloc[0]
    assert short["status"] == "not_estimable" and "FY2023-Q3" in short["reason"]
    rows[-3] = ("FY2024-Q4", "approved", None, "suppressed")
    sup = timing.backlog_months(quarterly(rows)).iloc[0]
    assert sup["status"] == "not_estimable" and "suppressed" in sup["reason"]


def test_published_series_on_bundled_i131_file():
    from pathlib import Path

    from analysis.ingest import sources

    path = (Path(__file__).resolve().parents[1] / "data" / "raw" / "published"
            / "uscis_processing_times_i131.csv")
    if not path.is_file():
        pytest.skip("bundled file data/raw/published/uscis_processing_times_i131.csv absent")
    times = sources.read(path, "published", table="processing_times")
    out = timing.published_series(times, form="I-131", office="NSC")
    ap = out[out["subtype"] == "141B-OTH"]
    assert set(ap["statistic"]) == {"p80"}  # the undocumented second value is left out
    # values read from lines 6 and 9 of the file
    assert ap["months"].tolist()[:2] == [8.0, 7.0]
    assert ap["date"].tolist()[:2] == [pd.Timestamp("2023-07-13"), pd.Timestamp("2023-08-23")]


# -- competing risks: time to parole with other endings competing ----------------------------

def _stays(rows, start="2024-01-01"):
    start = pd.Timestamp(start)
    return pd.DataFrame({
        "case_id": [f"S{i}" for i in range(len(rows))],
        "received_date": [start] * len(rows),
        "decided_date": [start + pd.Timedelta(days=d) if o != "pending" else pd.NaT
                         for d, o in rows],
        "outcome": [o for _, o in rows], "area_of_responsibility": "Synthetic AOR",
        "source": "case-records", "synthetic": False})


def test_aalen_johansen_matches_the_hand_computed_cumulative_incidence():
    from analysis.stats import competing

    # five stays: paroled day 2, removed day 3, open (cut date day 4), and on day 5 one
    # paroled and one removed (a tie between the two kinds of ending)
    cases = _stays([(2, "approved"), (3, "removed"), (None, "pending"), (5, "approved"),
                    (5, "removed")])
    curve = competing.cumulative_incidence(cases, as_of="2024-01-06")
    # by hand (Aalen-Johansen): day 2: 5 at risk, S(2-) = 1: CIF = 1/5 = 0.2; S(2) = 4/5.
    # day 3: 4 at risk, a removal: CIF stays 0.2; S(3) = 4/5 * 3/4 = 0.6.
    # the open stay has waited 5 days at the cut date, so it is still at risk on day 5:
    # day 5: 3 at risk (the open stay and the two that end), one parole (the removal the same
    # day competes): CIF = 0.2 + 0.6 * 1/3 = 0.4
    assert curve["days"].tolist() == [2, 3, 5]
    assert curve["cumulative_incidence"].tolist() == pytest.approx([0.2, 0.2, 0.4])
    assert curve["at_risk"].tolist() == [5, 4, 3]
    # 1 - Kaplan-Meier (removals censored) overstates it: 1 - (4/5)(2/3) = 0.4667
    km = timing.kaplan_meier(cases.assign(outcome=cases["outcome"].replace(
        {"removed": "withdrawn"})), as_of="2024-01-06")
    assert 1 - km["survival"].iloc[-1] == pytest.approx(1 - 0.8 * 2 / 3)
    assert (curve["lower"] <= curve["cumulative_incidence"]).all()
    assert (curve["upper"] >= curve["cumulative_incidence"]).all()


def test_open_stay_censored_before_the_tie_and_shares_among_ended():
    from analysis.stats import competing

    # as above, but the cut date falls on day 4 for the open stay
    cases = _stays([(2, "approved"), (3, "removed"), (None, "pending"), (5, "approved"),
                    (5, "removed")])
    cases.loc[2, "received_date"] = pd.Timestamp("2024-01-02")  # open stay waited 4 days
    curve = competing.cumulative_incidence(cases, as_of="2024-01-06")
    # day 5: 2 at risk, one paroled and one removed: CIF = 0.2 + 0.6 * 1/2 = 0.5
    assert curve["cumulative_incidence"].tolist() == pytest.approx([0.2, 0.2, 0.5])
    at = competing.incidence_at(curve, days=[1, 4, 5, 9])
    assert at["cumulative_incidence"].iloc[:3].tolist() == pytest.approx([0.0, 0.2, 0.5])
    assert np.isnan(at["cumulative_incidence"].iloc[3]) and "not observed" in at["note"].iloc[3]
    got = competing.parole_shares(cases, by="area_of_responsibility", as_of="2024-01-06")
    assert got[["ended", "paroled"]].iloc[0].tolist() == [4, 2]
    # Wilson for 2 of 4 by hand: centre 0.5, half-width 1.96 / (1 + 1.96^2 / 4) *
    # sqrt(1/16 + 1.96^2 / 64) = 0.34996
    assert got[["lower", "upper"]].iloc[0].tolist() == pytest.approx([0.15004, 0.84996],
                                                                      abs=1e-5)
    assert got["label"].eq("").all()
