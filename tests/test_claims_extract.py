"""`parole claims extract`: sentences, numbers and the claims-file skeleton.

The expected lists were written by reading the articles, not from the extractor's output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from analysis.claims import validate
from analysis.claims.extract import find_numbers, sentences, skeleton
from analysis.cli.claims import register_cli
from analysis.errors import ParoleError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/claims/short_article.txt"
SEEDS = ROOT.parent / "shared" / "reference" / "seeds"

# (kind, text as written, value) for every number in tests/fixtures/claims/short_article.txt.
SHORT_ARTICLE = [
    ("count", "3,400", 3400), ("age", "9-year-old", 9), ("percent", "45%", 0.45),
    ("date", "last year", None), ("count", "12,500", 12500), ("date", "FY2024", None),
    ("count", "9,800", 9800), ("date", "2023", None), ("money", "$1.2 million", 1_200_000),
    ("duration", "18 months", 18), ("duration", "8 months", 8), ("count", "two", 2),
    ("date", "March 2026", None), ("one-of", "one of 350", 350), ("date", "January 2025", None),
]

# Every numeric claim of the seed article, in reading order (the title line appears twice).
SEED_ARTICLE = [
    ("age", "4-Year-Old", 4), ("age", "4-Year-Old", 4), ("age", "4-year-old", 4),
    ("duration", "14-hour", 14), ("one-of", "one of 127", 127),
    ("date", "this fiscal year", None), ("date", "last April", None), ("count", "43", 43),
    ("count", "89,000", 89000), ("date", "2023", None), ("percent", "22%", 0.22),
    ("count", "18", 18), ("date", "2022", None), ("money", "$12,000", 12000),
    ("count", "three", 3), ("date", "2024", None), ("percent", "68%", 0.68),
    ("duration", "14-hour", 14), ("duration", "72 hours", 72), ("date", "June 2026", None),
]

# The explainer: the site's own appeal ($5, 1,000 supporters), the date and two durations;
# no footnote marks [1], no form numbers (I-134), no section numbers ("1. What ...").
SEED_EXPLAINER = [
    ("money", "$5", 5), ("count", "1,000", 1000), ("date", "November 15, 2025", None),
    ("duration", "one year", 1), ("duration", "one year", 1),
]


def triples(text: str) -> list[tuple[str, str, float | None]]:
    return [(f.kind, f.match, f.value) for f in find_numbers(text)]


def test_short_article_numbers():
    assert triples(FIXTURE.read_text(encoding="utf-8")) == SHORT_ARTICLE


def test_sentences_keep_abbreviations_and_split_bullets():
    found = sentences(FIXTURE.read_text(encoding="utf-8"))
    assert ("About 45% of humanitarian parole requests were denied last year, the U.S. "
            "Department of Homeland Security said.") in found
    assert "One family paid $1.2 million in legal fees over 18 months, per Dr. Lee of the " \
           "clinic." in found
    assert "3,400 applications wait in Vermont" in found
    assert "What the numbers mean" in found  # list number dropped


def test_units_and_glued_sentences():
    found = find_numbers("It ended.Then 14 hours a day, for 3 weeks.")
    assert [(f.kind, f.value, f.unit) for f in found] == [("duration", 14, "hours"),
                                                          ("duration", 3, "weeks")]
    assert found[0].sentence == "Then 14 hours a day, for 3 weeks."


def seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed documents not available ({path} is absent)")
    return path.read_text(encoding="utf-8")


def test_seed_article_every_numeric_claim():
    assert triples(seed("article-sofia-parole.txt")) == SEED_ARTICLE


def test_seed_explainer_every_numeric_claim():
    assert triples(seed("explainer-medical-parole-options.txt")) == SEED_EXPLAINER


def test_skeleton_is_valid_yaml_and_refused_until_filled_in():
    text = skeleton(FIXTURE.read_text(encoding="utf-8"), article="short_article.txt")
    data = yaml.safe_load(text)
    claims = data["claims"]
    # one claim per non-date number; a sentence's dates are hints for its period
    assert len(claims) == sum(kind != "date" for kind, _, _ in SHORT_ARTICLE)
    by_text = {c["text"]: c for c in claims}
    share = by_text["About 45% of humanitarian parole requests were denied last year, the U.S. "
                    "Department of Homeland Security said."]
    assert share["metric"] == "share" and share["value"] == 0.45
    assert share["whole_geo"] == share["geo"] == share["period"] == "FILL_IN"
    money = next(c for c in claims if c["metric"] == "amount")
    assert money["value"] == 1_200_000
    age = next(c for c in claims if c["text"].startswith("9-year-old"))
    assert age["metric"] == age["value"] == "FILL_IN"
    assert '# found in this sentence: "9-year-old" (age)' in text
    assert 'dates in the sentence: "FY2024", "2023"' in text
    loaded = validate(data)
    assert not loaded.claims  # nothing is checked until filled in
    first = loaded.incomplete[0]
    assert first.id == "claim-01"
    assert ("category", "not filled in (FILL_IN left by `parole claims extract`)") in \
        first.problems


def test_skeleton_of_text_without_numbers():
    with pytest.raises(ParoleError, match="no checkable numbers"):
        skeleton("Nothing to count here.")


def test_cli_extract_writes_file(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    out = tmp_path / "claims.yml"
    args = parser.parse_args(["claims", "extract", str(FIXTURE), "-o", str(out)])
    assert args.func(args) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["article"] == "short_article.txt"
    with pytest.raises(ParoleError, match="exists; give --force"):
        args.func(args)
    args = parser.parse_args(["claims", "extract", str(tmp_path / "nope.txt")])
    with pytest.raises(ParoleError, match="no such article"):
        args.func(args)
