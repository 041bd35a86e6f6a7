"""Issue 25, points 4 and 5: every error is one line naming the file, the place and what was
expected (bad environment variables, damaged processed files, bad option values), and a
message cannot be broken into several lines by what it quotes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import cli, errors
from analysis.errors import ParoleError
from analysis.reports import render as reports

from .conftest import ROOT


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("parole: error: "), err
    assert "Traceback" not in err and "a bug" not in err
    return err


def run_parole(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PAROLE_")}
    full.update({"PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore", **env})
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], env=full,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("env", "expected"), [
    ({"PAROLE_LIMIT_MAX_ROWS": "abc"}, "PAROLE_LIMIT_MAX_ROWS: limit max_rows='abc' is not a "
                                       "whole number"),
    ({"PAROLE_DEBUG": "maybe"}, "PAROLE_DEBUG='maybe': expected one of"),
])
def test_a_bad_environment_variable_is_one_line(env, expected):
    done = run_parole("--version", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


def test_parole_debug_false_means_off(monkeypatch, capsys):
    for word in ("false", "FALSE", "0", "no", "off", ""):
        assert errors.env_flag("X", {"X": word}) is False
    for word in ("1", "true", "Yes", "on"):
        assert errors.env_flag("X", {"X": word}) is True
    monkeypatch.setenv("PAROLE_DEBUG", "false")
    assert cli.main(["freshness", "--today", "9999-99-99"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("PAROLE_DEBUG", "true")
    assert cli.main(["freshness", "--today", "9999-99-99"]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "expected"), [
    (["freshness", "--today", "9999-99-99"], "--today '9999-99-99': not a date; expected "
                                             "YYYY-MM-DD"),
    (["freshness", "--today", "2025-1-5"], "--today '2025-1-5': not a date"),
    (["fetch", "--timeout", "-1"], "--timeout '-1': expected a number over 0"),
    (["fetch", "--timeout", "inf"], "--timeout 'inf': expected a number over 0"),
    (["fetch", "--deadline", "0"], "--deadline '0': expected a number over 0"),
    (["fetch", "--retries", "0"], "--retries '0': expected a whole number at least 1"),
    (["check", "x.yml", "--claimreview", "--published", "yesterday<script>"],
     "--published 'yesterday<script>': not a date"),
])
def test_bad_option_values_are_one_line(argv, expected, capsys):
    assert cli.main(argv) == 2
    assert expected in one_line_error(capsys)


def test_control_characters_and_newlines_cannot_forge_a_line(tmp_path, capsys):
    name = "a\nparole: error: everything is fine\x1b[2J\u202e.csv"
    assert cli.main(["add", str(tmp_path / name), "--source", "published",
                     "--data-dir", str(tmp_path)]) == 2
    err = one_line_error(capsys)
    assert "\x1b" not in err and "\u202e" not in err
    assert "a\\nparole: error: everything is fine\\x1b[2J\\u202e.csv" in err
    assert errors.one_line("tab\there\r\x00\u2028") == "tab\\there\\r\\x00\\u2028"


def test_a_damaged_parquet_table_is_one_line(ingested, tmp_path, capsys):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ingested, data, symlinks=True)
    target = (data / "processed" / "counts.parquet").resolve()
    target.write_bytes(b"PAR1 not really")
    assert cli.main(["freshness", "--data-dir", str(data)]) == 2
    err = one_line_error(capsys)
    assert "counts.parquet: not a readable Parquet table" in err
    assert "run it again" in err


@pytest.mark.parametrize(("content", "where"), [
    ("[{", "line 1, column 3"),
    ('{"a": 1}', "a JSON dict"),
    ('[{"name": "x"}]', "entry 1: a malformed entry"),
    ("[1, 2]", "entry 1"),
])
def test_a_damaged_index_json_is_one_line(tmp_path, content, where):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.json").write_text(content)
    with pytest.raises(ParoleError) as caught:
        reports.write_index(out)
    message = str(caught.value)
    assert "index.json" in message and where in message and "\n" not in message
    assert (out / "index.json").read_text() == content  # never emptied silently


@pytest.mark.slow
def test_two_records_at_once_keep_both(tmp_path):
    """Renders finishing together: the index keeps every entry (a lock around the update)."""
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "reports"

    def record(i: int) -> None:
        page = out / "r" / f"p{i}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<p>x</p>")
        reports._record(out, reports.Rendered("r", {"i": i}, page.with_suffix(".ipynb"), page))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(record, range(8)))
    assert len(json.loads((out / "index.json").read_text())) == 8


def test_a_render_uses_its_own_temporary_notebook_and_keeps_nothing_partial(tmp_path,
                                                                         monkeypatch):
    """Two renders of the same report write different temporary notebooks; a full disk while
    writing leaves neither a page nor a notebook, and the error names the report's files."""
    import papermill

    seen: list[str] = []

    def fake_execute(source, output, **kwargs):
        seen.append(Path(output).name)
        Path(output).write_text(Path(source).read_text())

    class Kernel:
        kernel_name = "fake"

        def ready(self):
            return self

        def engine(self):
            return "nbclient", {}

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    monkeypatch.setattr(reports, "to_html", lambda nb, title=None: "<html>page</html>")
    out = tmp_path / "reports"
    for _ in range(2):
        reports.render("national_overview", {}, reports_dir=out, kernel=Kernel(),
                       validate=False, record=False)
    assert len(set(seen)) == 2 and all(n.startswith(".") for n in seen)
    monkeypatch.setenv("PAROLE_FAULT", "enospc:write:*")
    out2 = tmp_path / "reports2"
    with pytest.raises(ParoleError, match=r"national_overview/.*\.ipynb/\.html: cannot write "
                                          r"the rendered report \(No space left on device\)"):
        reports.render("national_overview", {}, reports_dir=out2, kernel=Kernel(),
                       validate=False, record=False)
    assert [p.name for p in (out2 / "national_overview").iterdir()] == []


def test_a_claims_key_with_ansi_escapes_is_one_escaped_line(tmp_path, capsys):
    claims = tmp_path / "c.yml"
    claims.write_text('title: t\nclaims:\n  - text: x\n'
                      '    "\\e[31mmetric\\nparole: error: forged": 1\n')
    assert cli.main(["check", str(claims)]) == 2
    err = one_line_error(capsys)
    assert "\x1b" not in err and "\\x1b[31mmetric\\nparole: error: forged" in err


def test_a_sheet_name_with_a_newline_is_one_escaped_line(tmp_path, capsys):
    import openpyxl

    from analysis.ingest import manifest

    book = openpyxl.Workbook()
    book.active.title = "Sheet\nparole - forged"
    book.active.append(["nothing", "here"])
    path = tmp_path / "odd.xlsx"
    book.save(path)
    data = tmp_path / "data"
    data.mkdir()
    manifest.add(path, "uscis-all-forms", data_dir=data)
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    err = one_line_error(capsys)
    assert "Sheet\\nparole - forged" in err
