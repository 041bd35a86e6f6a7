import subprocess
import sys

import pytest

from analysis import cli


@pytest.mark.parametrize("command", [[], ["add"], ["ingest"], ["report"], ["sources"], ["fetch"],
                                     ["chart"]])
def test_help_describes_each_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: parole" in capsys.readouterr().out


def test_sources_lists_ids(capsys):
    assert cli.main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "uscis-all-forms" in out and "hhs-orr-uc" in out


@pytest.mark.slow  # a new Python process importing the package
def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "analysis.cli", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "parole-stats" in result.stdout


def test_missing_file(tmp_path, capsys):
    assert cli.main(["add", str(tmp_path / "nope.csv"), "--source", "published",
                     "--data-dir", str(tmp_path)]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err


def _diff(path, period, difference, total=1000.0):
    return {"path": path, "check": "parts sum to the total", "period": period,
            "parts_sum": total + difference, "published_total": total,
            "difference": difference, "locator": "line 9", "matches": False}


def test_ingest_prints_a_reconciliation_summary_not_every_difference():
    # 40 rounding differences in one file and one large one in another: a few lines, the
    # largest first, and a pointer to the JSON report that keeps every difference
    ohss = [_diff("ohss.xlsx", f"2024-{m:02d}", 10.0 if m % 2 else -10.0) for m in range(1, 41)]
    orr = [_diff("orr.csv", "FY2024", -19.0)]
    report = {"files": [{"path": "ohss.xlsx", "reconciliation": [{}] * 60},
                        {"path": "orr.csv", "reconciliation": [{}] * 4},
                        {"path": "quiet.csv", "reconciliation": [{}] * 3}],
              "reconciliation_differences": ohss + orr}
    text = cli.reconciliation_summary(report)
    lines = text.splitlines()
    assert lines[0] == ("reconciliation: 67 published totals checked against the sum of "
                        "their parts; 41 differ")
    assert lines[1] == "  orr.csv: 1 of 4 differ, by at most 19"
    assert lines[2] == "  ohss.xlsx: 40 of 60 differ, by at most 10"
    assert "orr.csv FY2024, parts sum to the total: parts 981 vs published 1,000 (-19)" \
        in lines[4]
    assert len(lines) == 8  # header, 2 files, heading, 3 largest, pointer
    assert "reconciliation_differences" in lines[-1]
    clean = cli.reconciliation_summary({"files": report["files"],
                                        "reconciliation_differences": []})
    assert clean == ("reconciliation: 67 published totals checked against the sum of their "
                     "parts; all match")
