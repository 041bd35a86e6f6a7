"""Issue 25, point 4: what is written into JSON-LD, CSV downloads and terminal messages is
escaped for where it lands."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from analysis import cli
from analysis.viz import downloads, markup

from .conftest import ROOT

HOSTILE = "</script><script>alert(1)</script>&\u2028x"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_claimreview_output_never_closes_a_script_element(ingested, capsys, monkeypatch, how):
    args = ["check", str(ROOT / "data" / "claims" / "seed_article.yml"), "--claimreview",
            "--data-dir", str(ingested), "--published", "2025-01-31"]
    if how == "option":
        args += ["--author", HOSTILE]
    else:
        monkeypatch.setenv("PAROLE_STATS_REVIEW_AUTHOR", HOSTILE)
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    reviews = json.loads(out)  # still plain JSON with the same values
    assert reviews and {r["author"]["name"] for r in reviews} == {HOSTILE}
    assert {r["itemReviewed"]["datePublished"] for r in reviews} == {"2025-01-31"}


def test_json_for_html():
    assert markup.json_for_html({"a": "</script>"}, indent=None) == '{"a": "\\u003c/script\\u003e"}'
    assert json.loads(markup.json_for_html([HOSTILE])) == [HOSTILE]


def test_csv_downloads_neutralise_formulas(tmp_path):
    frame = pd.DataFrame({
        "place": ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0",
                  "-2+3", "@SUM(A1:A9)", "\tx", "Texas"],
        "value": [-5.0, 1.0, 2.0, 3.0, 4.0, -1234.5],
        "shown": ["-5", "+3.2%", "1,234", "-", "=1", "plain"],
    })
    path = downloads.write_csv(frame, tmp_path / "d.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [r["place"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example","click")', "'+1+cmd|' /C calc'!A0", "'-2+3",
        "'@SUM(A1:A9)", "'\tx", "Texas"]
    assert [r["value"] for r in rows] == ["-5.0", "1.0", "2.0", "3.0", "4.0", "-1234.5"]
    assert [r["shown"] for r in rows] == ["-5", "+3.2%", "1,234", "'-", "'=1", "plain"]
