"""`parole add` without --source (detected from content) and `parole inspect`."""

from __future__ import annotations

import csv
import json

from analysis import cli

STATE_HEADER = "fiscal_year,state_name,released_to_sponsors,period_note,source_title,publisher\n"


def _state_file(tmp_path):
    path = tmp_path / "download (3).csv"
    path.write_text(STATE_HEADER + "2020,Texas,10,,T,P\n2020,Ohio,many,,T,P\n"
                    "2020,TOTAL,16,,T,P\n2021,Texas,4,,T,P\n2021,TOTAL,4,,T,P\n",
                    encoding="utf-8")
    return path


def test_add_without_source_uses_the_detected_one(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    path = tmp_path / "states.csv"
    path.write_text("State,FY 2020\nTexas,7\nTOTAL,7\n", encoding="utf-8")
    assert cli.main(["add", str(path), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "detected source hhs-orr-uc" in out
    with open(data / "raw" / "manifest.csv", newline="") as handle:
        [entry] = list(csv.DictReader(handle))
    assert entry["source"] == "hhs-orr-uc"
    assert (data / "raw" / entry["path"]).read_bytes() == path.read_bytes()


def test_add_with_source_override_skips_detection(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    path = tmp_path / "mystery.csv"
    path.write_text("alpha,beta\n1,2\n", encoding="utf-8")
    assert cli.main(["add", str(path), "--source", "case-records",
                     "--data-dir", str(data)]) == 0
    assert "detected" not in capsys.readouterr().out


def test_add_of_an_unrecognised_file_says_what_it_looked_like(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    path = tmp_path / "mystery.csv"
    path.write_text("alpha,beta\n1,2\n", encoding="utf-8")
    assert cli.main(["add", str(path), "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("parole: error: ") and "alpha | beta" in err and "--source" in err
    assert not (data / "raw" / "manifest.csv").exists()


def test_inspect_prints_tables_rejections_and_reconciliation(tmp_path, capsys):
    path = _state_file(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert cli.main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "source:  published (detected from the content)" in out
    assert "periods: FY2020, FY2021" in out
    assert "counts: 4 rows (reported 4)" in out
    assert "rejected rows: 1" in out
    assert "line 3, column released_to_sponsors (Ohio, FY2020)" in out
    assert "'many' is not a number" in out
    assert "reconciliation: 2 checks, 1 with a difference" in out
    assert "FY2020: parts 10 vs published 16 (difference -6)" in out
    assert "nothing was registered" in out
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_inspect_json(tmp_path, capsys):
    path = _state_file(tmp_path)
    assert cli.main(["inspect", str(path), "--source", "published", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == "published" and summary["detected"] is False
    assert summary["tables"]["counts"]["rows"] == 4
    assert summary["tables"]["counts"]["periods"] == ["FY2020", "FY2021"]
    [rejected] = summary["rejected"]
    assert rejected["value"] == "many"
    diffs = {c["period"]: c["difference"] for c in summary["reconciliation"]}
    assert diffs == {"FY2020": -6.0, "FY2021": 0.0}


def test_inspect_refused_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text(STATE_HEADER + "2020,Kalifornia,1,,T,P\n", encoding="utf-8")
    assert cli.main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Kalifornia" in err


def test_inspect_unknown_source(tmp_path, capsys):
    path = _state_file(tmp_path)
    assert cli.main(["inspect", str(path), "--source", "publishd"]) == 2
    assert "did you mean published" in capsys.readouterr().err


def test_inspect_help(capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["inspect", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: parole inspect" in out and "--source" in out and "--json" in out
