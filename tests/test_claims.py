"""Claims checking: verdicts, tolerances, comparators, intervals, evidence and bad input.

Expected numbers were read by hand from data/raw/published/:
hhs_orr_uc_released_by_state.csv line 34 (California FY2019: 8,447), line 377 (TOTAL FY2019:
72,837), line 33 (California FY2018: 4,675), lines 13, 34, 83, 265, 342 (Pacific division FY2019:
4 + 8,447 + 16 + 318 + 723 = 9,508), line 314 (Texas FY2019: 9,900);
uscis_i131_parole_quarterly.csv lines 18, 20, 22, 24 (humanitarian parole received FY2023 Q1-Q4:
3,185 + 2,328 + 2,297 + 2,302 = 10,112) and line 20 (FY2023 Q2: approved 1,105, denied 947).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from analysis.claims import check_claim, load, to_json, validate
from analysis.claims import checker as check_mod
from analysis.claims.checker import check, load_tables
from analysis.cli.claims import register_cli
from analysis.errors import ParoleError

CA_SHARE = 8447 / 72837
DENIAL_RATE = 947 / (1105 + 947)


@pytest.fixture(scope="module")
def tables(ingested):
    return load_tables(ingested)


def one(tables, **claim):
    base = {"id": "c", "text": "a claim", "metric": "count", "category": "humanitarian-parole",
            "measure": "received", "geo": "US", "period": "FY2023-Q2"}
    loaded = validate({"claims": [{**base, **claim}]})
    return check_claim(loaded.claims[0], tables)


# --------------------------------------------------------------------------- seed and examples


def test_seed_claims_are_not_checkable_except_program_parole_duration(project_root, ingested):
    verdicts = {v.id: v for v in check(project_root / "data/claims/seed_article.yml", ingested)}
    assert verdicts["program-parole-two-years"].verdict == "supported"
    assert verdicts["program-parole-two-years"].computed == pytest.approx(2.0)
    # the default duration tolerance is one month, said so (not "0.0833 years")
    assert verdicts["program-parole-two-years"].reason == (
        "The data give 2 years, within the tolerance of 1 month of the claimed 2 years.")
    crs = verdicts["program-parole-two-years"].evidence[0]
    assert "R47654" in crs.citation and crs.source_file.endswith("published_figures.csv")
    others = [v for k, v in verdicts.items() if k != "program-parole-two-years"]
    assert len(others) == 9
    for v in others:
        assert v.verdict == "not-checkable", v.id
        assert v.reason.startswith("Not checkable: ") and v.missing, v.id
        assert v.computed is None and not v.evidence
    share = verdicts["central-california-medical-share"]
    assert "no public dataset reports parole by medical basis below national level" \
        in share.missing
    gao = [n for n in share.nearest if "GAO-08-282" in n.dataset]
    assert gao and gao[0].detail.startswith("0.64 ") and "combined" in gao[0].caveat
    pediatric = verdicts["pediatric-medical-parole-ca"]
    assert "age" in pediatric.missing
    assert any("HHS does not decide or publish parole" in n for n in pediatric.notes)
    assert any("different population" in n.caveat for n in pediatric.nearest)
    assert "national only" in next(n.caveat for n in pediatric.nearest
                                   if n.dataset.startswith("USCIS"))
    assert "not parole data" in verdicts["daily-iv-hours"].reason
    assert "petition" in verdicts["petition-signatures"].missing \
        or "public parole data" in verdicts["petition-signatures"].missing
    one_year = verdicts["humanitarian-parole-one-year"]
    assert any(n.dataset.startswith("CRS R47654") for n in one_year.nearest)


def test_bundled_examples(project_root, ingested):
    verdicts = {v.id: v for v in check(project_root / "data/claims/bundled_examples.yml",
                                       ingested)}
    share = verdicts["ca-share-fy2019"]
    assert share.verdict == "supported"
    assert share.computed == pytest.approx(CA_SHARE)
    assert share.lower < CA_SHARE < share.upper
    assert share.interval_method == "wilson 95%"
    locators = [e.source_locator for e in share.evidence]
    assert any(loc.startswith("line 34,") for loc in locators)
    assert any(loc.startswith("line 377,") for loc in locators)
    assert all(e.citation and e.source_file for e in share.evidence)
    assert verdicts["hp-received-fy2023-q2"].computed == 2328
    assert verdicts["hp-denial-rate-fy2023-q2"].computed == pytest.approx(DENIAL_RATE)
    assert verdicts["tx-more-than-ca-fy2019"].computed == pytest.approx(9900 / 8447)
    by_state = verdicts["hp-by-state"]
    assert by_state.verdict == "not-checkable"
    assert "national geography only" in by_state.missing


# --------------------------------------------------------------------------- tolerance


@pytest.mark.parametrize(("value", "tolerance", "verdict"), [
    (2300, 28, "supported"),        # |2328 - 2300| = 28: on the boundary, inside
    (2300, 27.9, "not-supported"),  # just outside
    (2356, 28, "supported"),
    (2356.5, 28, "not-supported"),
])
def test_count_tolerance_boundary(tables, value, tolerance, verdict):
    assert one(tables, value=value, tolerance=tolerance).verdict == verdict


@pytest.mark.parametrize(("value", "verdict"), [
    (2282.4, "supported"),   # default 2% of 2,282.4 = 45.648 >= 45.6
    (2282, "not-supported"),  # 2% of 2,282 = 45.64 < 46
])
def test_count_default_tolerance_is_two_percent_of_the_claim(tables, value, verdict):
    result = one(tables, value=value)
    assert result.verdict == verdict
    assert result.tolerance == pytest.approx(0.02 * value)


@pytest.mark.parametrize(("tolerance", "verdict"), [(0.00403, "supported"),
                                                     (0.00402, "not-supported")])
def test_share_tolerance_boundary(tables, tolerance, verdict):
    # |0.12 - 8447/72837| = 0.0040287
    result = one(tables, metric="share", value=0.12, tolerance=tolerance,
                 category="uc-released-to-sponsors", measure="released", geo="CA",
                 whole_geo="US", period="FY2019")
    assert result.verdict == verdict
    assert result.interval_straddles_claim is False


def test_share_default_tolerance_is_one_point(tables):
    kwargs = dict(metric="share", category="uc-released-to-sponsors", measure="released",
                  geo="California", whole_geo="US", period="FY2019")
    assert one(tables, value=0.125, **kwargs).verdict == "supported"   # 0.90 points off
    assert one(tables, value=0.127, **kwargs).verdict == "not-supported"  # 1.10 points off


# --------------------------------------------------------------------------- comparators


@pytest.mark.parametrize(("comparator", "value", "verdict"), [
    ("more-than", 2327, "supported"), ("more-than", 2328, "not-supported"),
    ("less-than", 2329, "supported"), ("less-than", 2328, "not-supported"),
    ("at-least", 2328, "supported"), ("at-least", 2329, "not-supported"),
    ("at-most", 2328, "supported"), ("at-most", 2327, "not-supported"),
    ("about", 2328, "supported"), ("about", 2400, "not-supported"),
])
def test_every_comparator(tables, comparator, value, verdict):
    result = one(tables, value=value, comparator=comparator)
    assert result.verdict == verdict
    assert result.computed == 2328


# --------------------------------------------------------------------------- intervals


def test_share_whose_interval_straddles_the_claim(tables):
    result = one(tables, metric="share", value=0.1175, tolerance=0.001,
                 category="uc-released-to-sponsors", measure="released", geo="CA",
                 whole_geo="US", period="FY2019")
    assert result.verdict == "not-supported"
    assert result.lower < 0.1175 < result.upper
    assert result.interval_straddles_claim is True
    assert "straddles the claim" in result.reason and "point estimate" in result.reason


def test_rate_whose_interval_straddles_the_claim(tables):
    result = one(tables, metric="rate", value=0.48, measure="denied", over=["approved", "denied"])
    assert result.computed == pytest.approx(DENIAL_RATE)
    assert result.verdict == "not-supported"
    assert result.interval_straddles_claim is True
    assert "straddles" in result.reason
    assert [e.role for e in result.evidence] == ["numerator", "denominator", "denominator"]


def test_directional_claim_inside_the_interval_is_flagged(tables):
    result = one(tables, metric="rate", value=0.47, comparator="less-than", measure="denied",
                 over=["approved", "denied"])
    assert result.verdict == "supported"
    assert result.interval_straddles_claim is True
    assert "direction is not certain" in result.reason


# --------------------------------------------------------------------------- aggregation


def test_quarters_add_up_to_the_fiscal_year(tables):
    result = one(tables, value=10112, period="FY2023", tolerance=0)
    assert result.verdict == "supported"
    assert sorted(e.period for e in result.evidence) == [f"FY2023-Q{q}" for q in range(1, 5)]


def test_pending_for_a_year_is_the_level_at_its_end_not_a_sum(tables):
    # bundled USCIS I-131 rows: humanitarian parole pending FY2023 Q4 = 43,104 (Q1-Q3 differ)
    result = one(tables, value=43104, tolerance=0, measure="pending", period="FY2023")
    assert result.verdict == "supported"
    assert [e.period for e in result.evidence] == ["FY2023-Q4"]
    assert any("read from FY2023-Q4" in n for n in result.notes)


def test_pending_at_the_end_of_a_month_reads_the_quarter_ending_then(tables):
    # "pending at the end of March 2023": FY2023 Q2 ends 31 March 2023, pending 44,220
    result = one(tables, value=44220, tolerance=0, measure="pending", period="2023-03")
    assert result.verdict == "supported"
    assert [e.period for e in result.evidence] == ["FY2023-Q2"]
    dated = one(tables, value=44220, tolerance=0, measure="pending", period="2023-04-15")
    assert dated.verdict == "supported"
    assert any("15 days before" in n for n in dated.notes)


def test_pending_long_after_the_last_published_level_is_not_checkable(tables):
    result = one(tables, value=44220, measure="pending", period="2030-06")
    assert result.verdict == "not-checkable"
    assert "level at the end of a period" in result.missing


def test_state_region_sums_its_members(tables):
    result = one(tables, value=9508, tolerance=0, category="uc-released-to-sponsors",
                 measure="released", geo="census-division-pacific", period="FY2019")
    assert result.verdict == "supported"
    assert any("census-division-pacific" in n for n in result.notes)


def test_county_region_with_unpublished_counties_is_a_lower_bound(tables):
    result = one(tables, value=1000, category="uc-released-to-sponsors", measure="released",
                 geo="scag-region", period="FY2021")
    assert result.verdict == "not-checkable"
    assert "lower bound" in result.missing and "5 of 6 members" in result.missing


def test_change_between_years(tables):
    result = one(tables, metric="change", value=0.81, direction="rise",
                 category="uc-released-to-sponsors", measure="released", geo="CA",
                 period="FY2019", period_from="FY2018")
    assert result.computed == pytest.approx((8447 - 4675) / 4675)
    assert result.verdict == "supported"


UC_CA = {"metric": "change", "category": "uc-released-to-sponsors", "measure": "released",
         "geo": "CA", "period_from": "FY2019", "period": "FY2020"}


def test_a_fall_is_checked_as_a_fall(tables):
    # ORR, California: 8,447 released in FY2019, 2,225 in FY2020: a fall of 73.7%
    fell = one(tables, value=0.5, comparator="more-than", direction="fall", **UC_CA)
    assert fell.verdict == "supported"
    assert fell.computed == pytest.approx((8447 - 2225) / 8447)
    rose = one(tables, value=0.5, comparator="more-than", direction="rise", **UC_CA)
    assert rose.verdict == "not-supported"
    assert any("the data show a fall of 73.7%" in n for n in rose.notes)
    signed = one(tables, value=-0.74, tolerance=0.01, **UC_CA)  # a negative value is a fall
    assert signed.verdict == "supported"


def test_a_change_needs_its_direction(tables):
    loaded = validate({"claims": [{"id": "c", "text": "t", "value": 0.5, **UC_CA}]})
    assert not loaded.claims
    assert loaded.incomplete[0].problems[0][0] == "direction"


def test_rank_among_states_names_the_runner_up(tables):
    # ORR FY2019 by state: Texas 9,900, California 8,447, Florida 7,408
    base = {"metric": "rank", "category": "uc-released-to-sponsors", "measure": "released",
            "period": "FY2019", "comparator": "about"}
    first = one(tables, value=1, geo="TX", **base)
    assert first.verdict == "supported" and first.computed == 1
    runner = [e for e in first.evidence if e.role == "runner-up"]
    assert runner and runner[0].geo == "CA" and runner[0].value == 8447
    second = one(tables, value=1, geo="CA", **base)
    assert second.verdict == "not-supported" and second.computed == 2
    assert [e.geo for e in second.evidence if e.role == "first"] == ["TX"]


def test_share_of_itself_and_unknown_terms(tables):
    same = validate({"claims": [{"id": "s", "text": "t", "metric": "share", "value": 0.2,
                                 "category": "uc-released-to-sponsors", "measure": "released",
                                 "geo": "CA", "whole_geo": "California", "period": "FY2019"}]})
    assert same.incomplete[0].problems[0][0] == "whole_geo"
    assert "share of itself" in same.incomplete[0].problems[0][1]
    typo = one(tables, value=2328, category="humanitarian-parol")
    assert typo.verdict == "needs-input"
    assert typo.needs == ["category"]
    assert "humanitarian-parole" in typo.candidates["category"]
    assert "did you mean humanitarian-parole" in typo.reason


def test_period_outside_the_data(tables):
    result = one(tables, value=10, period="FY2015")
    assert result.verdict == "not-checkable"
    assert "available: FY2022-Q2 to" in result.missing


def test_fy2026_joins_the_renamed_row_and_says_so(tables):
    counts = tables.counts
    rows = counts[(counts.category == "initial-parole-outside-us") & (counts.measure == "received")
                  & (counts.period == "FY2026-Q1")]
    assert len(rows) == 1
    result = one(tables, value=float(rows["value"].iloc[0]), period="FY2026-Q1")
    assert result.verdict == "supported"
    assert any("assumption" in n for n in result.notes)


# --------------------------------------------------------------------------- output


def test_json_output_is_stable(tables, capsys, project_root, ingested):
    import argparse

    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", str(project_root / "data/claims/bundled_examples.yml"),
                              "--json", "--data-dir", str(ingested)])
    assert args.func(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == "2"
    assert doc["summary"] == {"supported": 4, "not-supported": 0, "not-checkable": 1,
                              "needs-input": 0}
    keys = {"id", "text", "metric", "verdict", "claimed", "comparator", "tolerance", "unit",
            "computed", "lower", "upper", "interval_method", "interval_straddles_claim",
            "method", "reason", "missing", "nearest", "evidence", "notes", "needs",
            "candidates", "claim", "inferred", "readings"}
    for verdict in doc["verdicts"]:
        assert set(verdict) == keys
        for item in verdict["evidence"]:
            assert {"source_file", "source_locator", "citation"} <= set(item)
    assert to_json([])["summary"] == {"supported": 0, "not-supported": 0, "not-checkable": 0,
                                      "needs-input": 0}


def test_text_output(capsys, project_root, ingested):
    import argparse

    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", str(project_root / "data/claims/seed_article.yml"),
                              "--data-dir", str(ingested)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "[SUPPORTED] program-parole-two-years" in out
    assert out.count("[NOT-CHECKABLE]") == 9


# --------------------------------------------------------------------------- bad input


def test_unknown_keys_refuse_the_file_other_problems_only_their_claim(project_root, tmp_path):
    path = project_root / "tests/fixtures/claims/bad_claims.yml"
    with pytest.raises(ParoleError) as info:
        check(path, data_dir=tmp_path / "no-data")  # fails before any table is read
    message = str(info.value)
    assert "1 problem; nothing was checked" in message
    assert re.search(r"claim unknown-key, key source_page: unknown key \(allowed keys: id, "
                     r"text, ", message)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["claims"] = [c for c in data["claims"] if c["id"] != "unknown-key"]
    loaded = validate(data)
    assert len(loaded.incomplete) == 5
    message = "\n".join(f"claim {i.id}, key {k}: {t}" for i in loaded.incomplete
                        for k, t in i.problems)
    expected = [
        r"claim missing-key, key measure: required key is missing",
        r"claim unknown-region, key geo: unknown region 'atlantis'",
        r"claim ambiguous-region, key geo: region 'central-california' has no single "
        r"definition: choose one of central-california-sjv, ",
        r"claim unknown-period, key period: unknown period 'FY2023-Q5'",
        r"claim wrong-type, key value: input should be a valid number, got str 'about ten'",
    ]
    for pattern in expected:
        assert re.search(pattern, message), pattern


def test_metric_specific_keys_and_placeholders(tmp_path):
    data = {"claims": [
        {"id": "s", "text": "t", "metric": "share", "value": 22, "category": "x",
         "measure": "m", "geo": "US", "period": "FY2020"},
        {"id": "r", "text": "t", "metric": "rate", "value": 0.5, "category": "x",
         "measure": "m", "geo": "US", "period": "FY2020"},
        {"id": "f", "text": "t", "metric": "count", "value": "FILL_IN", "category": "FILL_IN",
         "measure": "m", "geo": "US", "period": "FY2020"},
        {"id": "g", "text": "t", "metric": "count", "value": 1, "category": "x",
         "measure": "m", "geo": 6029, "period": "2023/2021"},
    ]}
    loaded = validate(data)
    assert not loaded.claims
    message = "\n".join(f"claim {i.id}, key {k}: {t}" for i in loaded.incomplete
                        for k, t in i.problems)
    for line in ["claim s, key whole_geo: required for metric share",
                 "claim s, key value: 22 is not a fraction between 0 and 1",
                 "claim r, key over: required for metric rate",
                 "claim f, key value: not filled in",
                 "claim f, key category: not filled in",
                 "claim g, key geo: input should be a valid string, got int 6029",
                 "claim g, key period: range '2023/2021' ends before it starts"]:
        assert line in message, line
    assert "key value: input should be" not in message  # FILL_IN reported once, as such
    data["claims"].append(dict(data["claims"][0]))
    with pytest.raises(ParoleError, match="claim s, key id: duplicate id"):
        validate(data)


def test_unreadable_files(tmp_path):
    with pytest.raises(ParoleError, match="no such claims file"):
        load(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("claims: [\n", encoding="utf-8")
    with pytest.raises(ParoleError, match="not valid YAML"):
        load(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ParoleError, match="'claims' list at the top"):
        load(bad)


def test_decide_rejects_unknown_comparator():
    with pytest.raises(ValueError):
        check_mod.decide(1, 1, "roughly", 0)


def test_report_cards_and_charts(tables):
    import matplotlib.pyplot as plt

    from analysis.reports import claim_check as report

    checked = one(tables, value=2300, tolerance=28)
    card = report.card_markdown(checked)
    assert card.startswith("### \u2713 Supported: `c`")  # no emoji-font glyph
    assert "**Claimed:** 2,300 (about) · **Data:** 2,328" in card
    assert "Source: USCIS, Number of Service-wide Forms" in card
    fig = report.chart(checked)
    assert fig is not None
    plt.close(fig)
    gap = one(tables, value=1, geo="CA", text="costs $5 and $6")
    assert report.chart(gap) is None
    card = report.card_markdown(gap)
    assert "**Missing from public data:**" in card and "\\$5" in card
    assert report.resolve_claims_file("data/claims/seed_article.yml").is_file()
    with pytest.raises(ParoleError, match="claims_file is empty"):
        report.resolve_claims_file(" ")


def test_claim_intervals_use_the_library_wilson_rule_exact_at_the_edges():
    # statsmodels' Wilson gives 0.9999999999999999 for 7 of 7 and 2.8e-17 for 0 of 7; the
    # library's one interval (analysis.stats.shares.interval) is exact at the edges, and claims
    # use it
    from statsmodels.stats.proportion import proportion_confint

    from analysis.stats import shares

    assert proportion_confint(7, 7, method="wilson")[1] < 1.0  # the trap is present
    assert check_mod._wilson(7, 7)[1] == 1.0
    assert check_mod._wilson(0, 7)[0] == 0.0
    low, high = shares.interval(947, 1105 + 947, method="wilson", alpha=0.05)
    assert check_mod._wilson(947, 1105 + 947) == (float(low), float(high))


def test_a_metric_is_one_registered_class(tables, monkeypatch):
    from analysis.claims import checker

    assert set(checker.METRICS) == {"count", "share", "rate", "change", "comparison", "rank",
                                    "duration", "amount"}
    bad = validate({"claims": [{"id": "m", "text": "t", "metric": "cuont", "value": 1,
                                "category": "humanitarian-parole", "measure": "received",
                                "geo": "US", "period": "FY2023-Q2"}]})
    assert bad.incomplete[0].problems[0][0] == "metric"
    assert "did you mean count" in bad.incomplete[0].problems[0][1]

    class Doubled(checker.Metric):  # a new metric: twice the count (for this test only)
        name = "doubled-count"

        def compute(self, claim, tables, place, span):
            a = checker.amount(tables, claim.category, claim.measure, place, span)
            return 2 * a.value, None, None, "twice the sum", a.evidence, [], None

    monkeypatch.setitem(checker.METRICS, "doubled-count", Doubled())
    # USCIS humanitarian parole received FY2023 Q2: 2,328
    result = one(tables, metric="doubled-count", value=4656, tolerance=0)
    assert result.verdict == "supported" and result.computed == 4656
