"""Shares with intervals: cross-checks against statsmodels and hand arithmetic, bounds for
suppressed cells, pairwise tests, custom regions, and property tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta, norm
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from analysis.errors import ParoleError
from analysis.stats import shares


def counts(rows, *, period="FY2023", measure="approved"):
    """A minimal counts-like frame: (geo_code, value, status)."""
    return pd.DataFrame([{"geo_level": "state", "geo_code": g, "value": v, "status": s,
                          "measure": measure, "period": period, "source_file": "f.csv",
                          "citation": "Test table"} for g, v, s in rows])


def wilson_by_hand(k, n, alpha=0.05):
    z = norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(8, 20), (1, 50), (49, 50), (300, 1000)])
def test_wilson_matches_formula_and_statsmodels(k, n):
    lo, hi = shares.interval(k, n, method="wilson")
    hand = wilson_by_hand(k, n)
    sm = proportion_confint(k, n, method="wilson")
    assert lo == pytest.approx(hand[0], abs=1e-12) and hi == pytest.approx(hand[1], abs=1e-12)
    assert lo == pytest.approx(sm[0]) and hi == pytest.approx(sm[1])


@pytest.mark.parametrize("k,n", [(8, 20), (0, 30), (30, 30), (3, 7)])
def test_clopper_pearson_matches_beta_quantiles(k, n):
    lo, hi = shares.interval(k, n, method="clopper-pearson")
    exp_lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    exp_hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert lo == pytest.approx(exp_lo, abs=1e-10) and hi == pytest.approx(exp_hi, abs=1e-10)
    sm = proportion_confint(k, n, method="beta")
    assert lo == pytest.approx(np.nan_to_num(sm[0], nan=0.0), abs=1e-10)


def test_unknown_method_is_refused():
    with pytest.raises(ParoleError, match="wilson or clopper-pearson"):
        shares.interval(1, 2, method="normal")


def test_shares_from_counts_plain():
    out = shares.shares_from_counts(counts([("CA", 30, "reported"), ("TX", 70, "reported")]))
    ca = out.set_index("group").loc["CA"]
    assert ca["numerator"] == 30 and ca["denominator"] == 100 and ca["estimate"] == 0.3
    assert ca["status"] == "estimated" and ca["method"] == "wilson"
    assert (ca["lower"], ca["upper"]) == pytest.approx(wilson_by_hand(30, 100))
    assert ca["sources"] == "Test table; f.csv"
    assert out["estimate"].sum() == pytest.approx(1.0)
    cp = shares.shares_from_counts(counts([("CA", 30, "reported"), ("TX", 70, "reported")]),
                                   method="clopper-pearson")
    assert set(cp["method"]) == {"clopper-pearson"}


def test_suppressed_cell_gives_bounds():
    out = shares.shares_from_counts(
        counts([("CA", 30, "reported"), ("NV", None, "suppressed"), ("TX", 60, "reported")]),
        threshold=10).set_index("group")
    ca = out.loc["CA"]
    assert ca["status"] == "bounded" and np.isnan(ca["estimate"])
    assert "suppressed" in ca["reason"]
    assert ca["estimate_low"] == pytest.approx(30 / 100)   # NV holds 10
    assert ca["estimate_high"] == pytest.approx(30 / 90)   # NV holds 0
    assert ca["lower"] == pytest.approx(wilson_by_hand(30, 100)[0])
    assert ca["upper"] == pytest.approx(wilson_by_hand(30, 90)[1])
    nv = out.loc["NV"]
    assert nv["estimate_low"] == 0.0 and nv["estimate_high"] == pytest.approx(10 / 100)
    assert nv["lower"] == 0.0


def test_cell_without_value_makes_shares_not_estimable():
    out = shares.shares_from_counts(
        counts([("CA", 30, "reported"), ("NV", None, "not_available")])).set_index("group")
    assert out.loc["NV", "status"] == "not_estimable"
    assert "no value" in out.loc["NV", "reason"]
    assert out.loc["CA", "status"] == "not_estimable"
    assert "NV" in out.loc["CA", "reason"]


def test_zero_denominator_is_explained():
    out = shares.shares_from_counts(counts([("CA", 0, "zero"), ("TX", 0, "reported")]))
    assert set(out["status"]) == {"not_estimable"}
    assert out["reason"].str.contains("zero denominator").all()


def test_total_and_bad_input():
    out = shares.shares_from_counts(counts([("CA", 30, "reported")]), total=120)
    assert out.loc[0, "estimate"] == pytest.approx(0.25) and out.loc[0, "denominator"] == 120
    mixed = pd.concat([counts([("CA", 1, "reported")]),
                       counts([("CA", 2, "reported")], period="FY2024")])
    with pytest.raises(ParoleError, match="period"):
        shares.shares_from_counts(mixed)
    with pytest.raises(ParoleError, match="no rows"):
        shares.shares_from_counts(counts([("CA", 1, "reported")]).iloc[:0])


def cases_frame():
    return pd.DataFrame({
        "state": ["CA"] * 4 + ["TX"] * 6 + [None],
        "basis": ["medical", "medical", "other", "other", "medical"] + ["other"] * 5 + ["x"],
        "source": "case-records", "synthetic": False})


def test_shares_from_cases_partition_and_within():
    part = shares.shares_from_cases(cases_frame(), by="state").set_index("group")
    assert part.loc["CA", "estimate"] == pytest.approx(4 / 11)
    assert part.loc["(missing)", "numerator"] == 1
    assert part["estimate"].sum() == pytest.approx(1)
    within = shares.shares_from_cases(cases_frame(), by="state", of={"basis": "medical"},
                                      groups=["NY"]).set_index("group")
    assert within.loc["CA", "estimate"] == 0.5 and within.loc["CA", "denominator"] == 4
    assert within.loc["TX", "estimate"] == pytest.approx(1 / 6)
    assert within.loc["NY", "status"] == "not_estimable"
    assert "empty group" in within.loc["NY", "reason"]
    assert within.attrs["kind"] == "within"


def test_compare_pairs_against_statsmodels_and_holm_by_hand():
    df = pd.DataFrame({"region": ["A"] * 100 + ["B"] * 100 + ["C"] * 100,
                       "hit": [1] * 20 + [0] * 80 + [1] * 35 + [0] * 65 + [1] * 22 + [0] * 78})
    within = shares.shares_from_cases(df, by="region", of=df["hit"] == 1)
    out = shares.compare_pairs(within).set_index(["group_a", "group_b"])
    z, p = proportions_ztest([20, 35], [100, 100])
    assert out.loc[("A", "B"), "z"] == pytest.approx(z)
    assert out.loc[("A", "B"), "p_value"] == pytest.approx(p)
    raw = out["p_value"].to_numpy()
    order = np.argsort(raw)
    holm = np.minimum(1, np.maximum.accumulate(raw[order] * (3 - np.arange(3))))
    expected = np.empty(3)
    expected[order] = holm
    assert out["p_adjusted"].to_numpy() == pytest.approx(expected)
    assert out["note"].isna().all()


def test_compare_pairs_skips_bounded():
    out = shares.shares_from_counts(
        counts([("CA", 30, "reported"), ("NV", None, "suppressed"), ("TX", 60, "reported")]))
    pairs = shares.compare_pairs(out)
    assert set(pairs["status"]) == {"not_estimable"}
    assert pairs["reason"].str.contains("not a single estimate").all()


@dataclass(frozen=True)
class Region:
    name: str
    level: str
    members: tuple[str, ...]
    citation: str = "test region"
    note: str = ""


def test_region_shares_with_region_objects():
    data = counts([("CA", 30, "reported"), ("TX", 50, "reported"), ("FL", 20, "reported"),
                   ("NY", None, "suppressed")])
    west = Region("West", "state", ("CA", "NV"))
    south = Region("South", "state", ("TX", "FL"))
    out = shares.region_shares(data, [west, south], threshold=5).set_index("group")
    assert out.loc["South", "estimate_low"] == pytest.approx(70 / 105)
    assert out.loc["South", "estimate_high"] == pytest.approx(70 / 100)
    assert out.loc["West", "estimate_low"] == pytest.approx(30 / 105)
    assert "NV" in out.loc["West", "note"]
    assert "test region" in out.loc["West", "sources"]
    known = shares.region_shares(data[data.geo_code != "NY"], [south]).set_index("group")
    assert known.loc["South", "estimate"] == pytest.approx(0.7)


def test_region_by_name_uses_geo_region(monkeypatch):
    from analysis.contract import geo

    monkeypatch.setattr(geo, "region", lambda name: Region(name, "state", ("CA",)),
                        raising=False)
    out = shares.region_shares(counts([("CA", 1, "reported"), ("TX", 3, "reported")]), ["pac"])
    assert out.loc[0, "group"] == "pac" and out.loc[0, "estimate"] == 0.25


def test_synthetic_input_is_labelled():
    df = cases_frame().assign(synthetic=True, source="synthetic")
    out = shares.shares_from_cases(df, by="state")
    assert out["synthetic"].all() and set(out["label"]) == {"SYNTHETIC"}
    plain = shares.shares_from_cases(cases_frame(), by="state")
    assert not plain["synthetic"].any() and set(plain["label"]) == {""}


values = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(values, st.sampled_from(["wilson", "clopper-pearson"]))
def test_partition_sums_to_one_and_intervals_contain_estimate(vals, method):
    if sum(vals) == 0:
        vals = [*vals, 1]
    data = counts([(f"G{i}", v, "reported") for i, v in enumerate(vals)])
    out = shares.shares_from_counts(data, method=method)
    assert out["estimate"].sum() == pytest.approx(1.0)
    assert ((out["lower"] <= out["estimate"] + 1e-12)
            & (out["estimate"] <= out["upper"] + 1e-12)).all()
    assert ((out["lower"] >= 0) & (out["upper"] <= 1)).all()


@settings(max_examples=40, deadline=None)
@given(values, st.integers(min_value=1, max_value=20),
       st.sampled_from(["wilson", "clopper-pearson"]))
def test_adding_a_suppressed_cell_never_narrows(vals, threshold, method):
    if sum(vals) == 0:
        vals = [*vals, 1]
    rows = [(f"G{i}", v, "reported") for i, v in enumerate(vals)]
    before = shares.shares_from_counts(counts(rows), method=method).set_index("group")
    after = shares.shares_from_counts(counts([*rows, ("ZZ", None, "suppressed")]),
                                      method=method, threshold=threshold).set_index("group")
    for g in before.index:
        assert after.loc[g, "lower"] <= before.loc[g, "lower"] + 1e-12
        assert after.loc[g, "upper"] >= before.loc[g, "upper"] - 1e-12
        assert after.loc[g, "estimate_low"] <= before.loc[g, "estimate"] + 1e-12
        assert after.loc[g, "estimate_high"] >= before.loc[g, "estimate"] - 1e-12
        assert 0 <= after.loc[g, "lower"] <= after.loc[g, "upper"] <= 1


def years(rows):
    """Counts rows (geo_code, period, value) with status reported."""
    return pd.DataFrame([{"geo_code": g, "period": p, "value": v, "status": "reported",
                          "geo_level": "state", "measure": "released"} for g, p, v in rows])


def test_shares_over_time_keeps_the_counts_vocabulary():
    out = shares.shares_over_time(years([("TX", "FY2021", 40), ("CA", "FY2020", 30),
                                         ("TX", "FY2020", 70), ("CA", "FY2021", 60)]))
    assert list(out.columns[:4]) == ["geo_code", "geo_level", "period", "measure"]
    assert list(zip(out["period"], out["geo_code"], out["share"], strict=True)) == [
        ("FY2020", "CA", 0.3), ("FY2020", "TX", 0.7), ("FY2021", "CA", 0.6),
        ("FY2021", "TX", 0.4)]
    assert (out["group"] == out["geo_code"]).all()  # the old name still works


def test_share_change_matches_the_wald_interval_by_hand():
    data = years([("CA", "FY2020", 300), ("TX", "FY2020", 700),
                  ("CA", "FY2021", 600), ("TX", "FY2021", 400)])
    ch = shares.share_change(shares.shares_over_time(data), "FY2020", "FY2021",
                             method="wald").set_index("geo_code")
    p1, p2, n = 0.3, 0.6, 1000
    half = 1.959963984540054 * np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n)
    assert ch.loc["CA", "change"] == pytest.approx(0.3)
    assert (ch.loc["CA", "lower"], ch.loc["CA", "upper"]) == pytest.approx(
        (0.3 - half, 0.3 + half))
    newcomb = shares.share_change(shares.shares_over_time(data), "FY2020", "FY2021")
    assert set(newcomb["method"]) == {"newcomb"}


def test_share_change_of_a_suppressed_share_is_not_estimable():
    data = pd.concat([years([("CA", "FY2020", 30), ("TX", "FY2020", 70),
                             ("CA", "FY2021", 60)]),
                      pd.DataFrame([{"geo_code": "TX", "period": "FY2021", "value": None,
                                     "status": "suppressed", "geo_level": "state",
                                     "measure": "released"}])])
    ch = shares.share_change(shares.shares_over_time(data), "FY2020", "FY2021")
    assert set(ch["status"]) == {"not_estimable"}
    assert ch["reason"].str.contains("last period").all()
