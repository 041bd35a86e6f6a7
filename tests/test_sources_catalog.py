"""Source metadata as data: sources.yml loaded into SOURCES, printed by `parole sources`."""

from __future__ import annotations

import json

import pytest

from analysis import cli
from analysis.errors import ParoleError
from analysis.ingest import sources

GOVERNMENT = ("uscis-all-forms", "uscis-monthly", "uscis-field-office", "uscis-processing-times",
              "hhs-orr-uc", "ohss-monthly")


def test_every_source_has_a_full_record():
    for source in sources.SOURCES.values():
        assert source.module == "analysis.ingest.sources." + source.id.replace("-", "_"), source.id
        for field in ("title", "citation", "publisher", "table_title", "licence"):
            assert getattr(source, field).strip(), (source.id, field)
        assert source.caveats, source.id
        assert source.schedule.frequency in sources.FREQUENCIES


@pytest.mark.parametrize("source_id", GOVERNMENT)
def test_government_sources_point_to_the_publisher_and_are_public_domain(source_id):
    source = sources.SOURCES[source_id]
    assert source.url.startswith("https://") and source.url.split("/")[2].endswith(".gov")
    assert "public domain" in source.licence.lower()
    assert source.schedule.frequency in ("monthly", "quarterly", "annual")
    assert isinstance(source.schedule.lag_days, int)


def test_crowdsourced_is_labelled_not_official():
    source = sources.SOURCES["chnv-crowdsourced"]
    assert "not official" in source.title.lower()
    assert any("NOT official" in c for c in source.caveats)


GOOD = """
- id: a-source
  module: analysis.ingest.sources.a_source
  title: T
  citation: C
  publisher: P
  table_title: TT
  url: ""
  licence: L
  schedule: {frequency: monthly, lag_days: 30, text: monthly}
  caveats: [one]
"""


def test_catalog_loads_a_record():
    [record] = sources.load_catalog(GOOD, origin="x.yml").values()
    assert record.schedule.lag_days == 30 and record.caveats == ("one",)


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("  licence: L\n", ""), "record 1 \\(a-source\\): missing licence"),
    (GOOD.replace("title: T", "title: T\n  colour: red"), "unknown colour"),
    (GOOD.replace("frequency: monthly", "frequency: weekly"), "'weekly' is not one of"),
    (GOOD.replace("lag_days: 30", "lag_days: soon"), "lag_days must be a whole number"),
    (GOOD + GOOD.replace("- id", "- id", 1), "record 2 \\(a-source\\): id 'a-source' appears"),
    ("just text", "expected a list"),
])
def test_catalog_refuses_bad_records(text, message):
    with pytest.raises(ParoleError, match=message):
        sources.load_catalog(text, origin="x.yml")


def test_sources_command_prints_each_record(capsys):
    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    for source in sources.SOURCES.values():
        assert f"{source.id}: {source.title}" in out
    assert "https://www.acf.hhs.gov/orr/" in out and "17 U.S.C. 105" in out


def test_sources_command_one_source_and_json(capsys):
    assert cli.main(["sources", "ohss-monthly"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ohss-monthly: ") and "rounded to tens" in out
    assert "hhs-orr-uc" not in out
    assert cli.main(["sources", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == list(sources.SOURCES)
    assert records[0]["schedule"]["frequency"] == "irregular"


def test_sources_command_unknown_id(capsys):
    assert cli.main(["sources", "ohss-montly"]) == 2
    assert "did you mean ohss-monthly" in capsys.readouterr().err
