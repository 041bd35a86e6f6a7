"""From a reporter's sentence to a claim: inference rules and `parole check ARTICLE`.

Expected values are the bundled published figures, read by hand from data/raw/published/:
USCIS I-131 humanitarian parole FY2023 Q2 received 2,328, approved 1,105, denied 947, pending
44,220 (quarter ending 31 March 2023); FY2025 Q3 denied 6,259 of 6,742 decisions (92.8%);
parole in place received FY2021 14,600, FY2023 23,616 (+61.8%); ORR releases FY2019: Texas
9,900, California 8,447 of 72,837; California FY2020 2,225.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from analysis.claims import checker
from analysis.claims.claimreview import claim_review, script_tag
from analysis.claims.infer import claims_from_text, find_periods, find_places, infer_sentence
from analysis.cli.claims import register_cli

ARTICLE = Path(__file__).parent / "fixtures" / "claims" / "reporter_article.md"


def only(sentence: str) -> dict:
    drafts = infer_sentence(sentence)
    assert len(drafts) == 1, [d.values for d in drafts]
    return drafts[0]


@pytest.mark.parametrize("text, label", [
    ("in the third quarter of fiscal 2025", "FY2025-Q3"),
    ("in FY2025 Q3", "FY2025-Q3"),
    ("in Q3 of fiscal year 2025", "FY2025-Q3"),
    ("in fiscal 2019", "FY2019"),
    ("in FY 2019", "FY2019"),
    ("at the end of March 2023", "2023-03-31"),
    ("as of April 15, 2023", "2023-04-15"),
    ("in March 2023", "2023-03"),
    ("in calendar year 2022", "2022"),
])
def test_periods_a_reporter_writes(text, label):
    assert [h.label for h in find_periods(f"Requests were counted {text}.")] == [label]


@pytest.mark.parametrize("text, code", [
    ("Harris County, Texas", "48201"),
    ("Los Angeles County", "06037"),
    ("California", "CA"),
    ("the San Joaquin Valley", "san-joaquin-valley"),
    ("nationwide", "US"),
])
def test_places_a_reporter_writes(text, code):
    assert [p.code for p in find_places(f"Figures for {text} rose.")] == [code]


def test_each_key_records_the_words_it_came_from():
    d = only("Fewer than 3,000 humanitarian parole requests were approved in fiscal 2024.")
    assert d.values["comparator"] == "less-than" and d.words["comparator"] == "Fewer than"
    assert d.values["measure"] == "approved" and d.words["measure"] == "approved"
    assert d.values["category"] == "humanitarian-parole"
    assert d.values["period"] == "FY2024" and d.words["period"] == "fiscal 2024"
    assert d.words["geo"].startswith("default:")


def test_two_figures_in_one_sentence_get_their_own_measures():
    drafts = infer_sentence("USCIS approved 1,105 humanitarian parole requests and denied 947 "
                            "in FY2023 Q2.")
    assert [(d.values["measure"], d.values["value"]) for d in drafts] == [
        ("approved", 1105), ("denied", 947)]


@pytest.mark.parametrize("sentence, keys", [
    ("Parole-in-place filings doubled between fiscal 2021 and fiscal 2023.",
     {"metric": "comparison", "value": 2.0, "compare_period": "FY2021", "period": "FY2023"}),
    ("Releases of unaccompanied children fell by more than half from fiscal 2019 to fiscal 2020.",
     {"metric": "change", "direction": "fall", "value": 0.5, "comparator": "more-than"}),
    ("Humanitarian parole requests rose 30% from fiscal 2022 to fiscal 2023.",
     {"metric": "change", "direction": "rise", "value": 0.3}),
    ("Florida had the second-largest number of unaccompanied children released in fiscal 2019.",
     {"metric": "rank", "value": 2, "geo": "FL", "among": "state"}),
    ("Nine in ten humanitarian parole decisions were denials in fiscal 2024.",
     {"metric": "rate", "value": 0.9, "measure": "denied", "over": ["approved", "denied"]}),
    ("Texas took in 14% of the nation's unaccompanied children in fiscal 2019.",
     {"metric": "share", "value": 0.14, "geo": "TX", "whole_geo": "US"}),
    ("At least 6,000 parole in place requests were received in fiscal 2023.",
     {"metric": "count", "comparator": "at-least", "category": "parole-in-place"}),
])
def test_domain_phrasing(sentence, keys):
    d = only(sentence)
    for key, value in keys.items():
        assert d.values.get(key) == value, (key, d.values)


def test_what_cannot_be_inferred_is_named_with_candidates():
    d = only("About 45% of parole requests were denied.")
    assert "category" in d.missing
    assert "humanitarian-parole" in d.candidates["category"]
    assert "period" in d.missing


def test_article_verdicts(ingested):
    loaded, inferred = claims_from_text(ARTICLE.read_text(encoding="utf-8"),
                                        article=ARTICLE.name)
    verdicts = checker.check(loaded, data_dir=ingested, inferred=inferred)
    by_text = {}
    for v in verdicts:
        by_text.setdefault(v.text, []).append(v)
    got = [(v.text.split()[0], v.verdict) for v in verdicts]
    assert got == [
        ("USCIS", "supported"),  # 2,328
        ("It", "supported"), ("It", "supported"),  # 1,105 and 947
        ("Nearly", "supported"),  # 46.2% is nearly half (verbal fraction, +-5 points)
        ("More", "supported"),  # 44,220 pending at 31 March 2023
        ("Texas", "supported"),  # rank 1 (9,900; runner-up California 8,447)
        ("California", "supported"),  # 11.6%
        ("Releases", "supported"),  # California 8,447 -> 2,225: -73.7%
        ("Nine", "supported"),  # 92.8%
        ("Parole", "not-supported"),  # +61.8%, not doubled
        ("About", "needs-input"),  # which parole? which period?
    ]
    pending = next(v for v in verdicts if v.text.startswith("More"))
    assert pending.computed == 44220
    assert pending.inferred["period"] == "at the end of March 2023"
    needs = verdicts[-1]
    assert set(needs.needs) >= {"category", "period"}
    assert "humanitarian-parole" in needs.candidates["category"]


def run(argv, capsys):
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr()


def test_check_article_json_saves_and_reruns(ingested, tmp_path, capsys):
    out = run(["check", str(ARTICLE), "--json", "--data-dir", str(ingested)], capsys).out
    doc = json.loads(out)
    assert doc["summary"]["supported"] == 9 and doc["summary"]["needs-input"] == 1
    first = doc["verdicts"][0]
    assert first["claim"]["category"] == "humanitarian-parole"
    assert first["inferred"]["category"] == "humanitarian parole"
    # the JSON is itself a claims file: correct the incomplete claim and re-run it
    for v in doc["verdicts"]:
        if v["verdict"] == "needs-input":
            v["claim"].update(category="humanitarian-parole", period="FY2023-Q2",
                              comparator="about")
    saved = tmp_path / "verdicts.json"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    again = json.loads(run(["check", str(saved), "--json", "--data-dir", str(ingested)],
                           capsys).out)
    assert again["summary"]["needs-input"] == 0
    # 947 / 2,052 = 46.2%, not about 45% within one point? |46.2 - 45| = 1.2 > 1
    assert again["verdicts"][-1]["verdict"] == "not-supported"


def test_check_article_save_writes_a_claims_file(ingested, tmp_path, capsys):
    target = tmp_path / "claims.yml"
    run(["check", str(ARTICLE), "-o", str(target), "--data-dir", str(ingested)], capsys)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert len(data["claims"]) == 11
    text = target.read_text(encoding="utf-8")
    assert "# from: at the end of March 2023" in text
    assert "# NEEDED category" in text


def test_claimreview_json_ld(ingested, capsys):
    out = run(["check", str(ARTICLE), "--claimreview", "--author", "Test Desk",
               "--published", "2026-11-01", "--data-dir", str(ingested)], capsys).out
    reviews = json.loads(out)
    assert len(reviews) == 10  # the needs-input claim is not a review
    first = reviews[0]
    assert first["@type"] == "ClaimReview"
    assert first["claimReviewed"].startswith("USCIS received 2,328")
    assert first["reviewRating"]["alternateName"] == "Supported"
    assert first["reviewRating"]["ratingValue"] == 3
    assert first["itemReviewed"] == {"@type": "Claim", "datePublished": "2026-11-01",
                                     "appearance": [{"@type": "CreativeWork",
                                                     "name": ARTICLE.name}]}
    assert first["author"] == {"@type": "Organization", "name": "Test Desk"}
    not_supported = [r for r in reviews if r["reviewRating"]["alternateName"] == "Not supported"]
    assert not_supported and not_supported[0]["reviewRating"]["ratingValue"] == 1


def test_claimreview_script_cannot_be_closed_by_claim_text():
    verdict = checker.needs_input("x", "</script><script>alert(1)</script>", [], {}, "p", None)
    verdict = verdict.model_copy(update={"verdict": "not-checkable"})
    tag = script_tag(claim_review(verdict, author="a"))
    assert tag.count("</script>") == 1 and "<script>alert" not in tag


def test_regions_and_periods_commands(ingested, capsys):
    out = run(["regions"], capsys).out
    assert "san-joaquin-valley" in out and "Harris County, Texas" in out
    out = run(["periods", "hhs-orr-uc", "--data-dir", str(ingested)], capsys).out
    assert "uc-released-to-sponsors" in out and "FY2015" in out
    assert "humanitarian-parole" not in out


def test_more_phrasing_checked_against_the_bundled_data(ingested):
    # Texas 9,900 and California 8,447 in FY2019: together 18,347, ratio 1.17 (1.2 rounded);
    # humanitarian parole approvals FY2023 Q2 1,105 -> Q3 1,266: +14.6%
    text = ("Texas and California together received more than 18,000 unaccompanied children "
            "in fiscal 2019.\n"
            "Texas received 1.2 times as many unaccompanied children as California in fiscal "
            "2019.\n"
            "Humanitarian parole approvals rose by about 15% from the second to the third "
            "quarter of fiscal 2023.\n")
    loaded, inferred = claims_from_text(text, article="t.txt")
    verdicts = checker.check(loaded, data_dir=ingested, inferred=inferred)
    assert [v.verdict for v in verdicts] == ["supported"] * 3
    assert verdicts[0].claim["geo"] == "TX+CA" and verdicts[0].computed == 18347
    assert verdicts[1].claim["compare_geo"] == "CA"
    assert verdicts[2].claim["period_from"] == "FY2023-Q2"
    assert verdicts[2].claim["period"] == "FY2023-Q3"
