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


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "analysis.cli", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "parole-stats" in result.stdout


def test_missing_file(tmp_path, capsys):
    assert cli.main(["add", str(tmp_path / "nope.csv"), "--source", "published",
                     "--data-dir", str(tmp_path)]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err
