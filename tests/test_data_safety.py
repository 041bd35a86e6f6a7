"""Issue 25, point 1: ingestion touches only what it owns in data/processed, refuses symbolic
links it did not make before removing anything, and a manifest row pasted twice never costs
the file's rows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.ingest import manifest, storage
from analysis.ingest import pipeline as ingest

from .conftest import ROOT

SMALL = ["published/uscis_i131_parole_quarterly.csv", "published/uscis_processing_times_i131.csv"]


@pytest.fixture
def small(tmp_path) -> Path:
    """A data folder holding two small bundled files, registered and ingested once."""
    data = tmp_path / "data"
    entries = [e for e in manifest.read(ROOT / "data") if e.path in SMALL]
    assert len(entries) == len(SMALL)
    for entry in entries:
        dest = data / "raw" / entry.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / "raw" / entry.path, dest)
    manifest.write(data, entries)
    ingest.run(data, progress=False)
    return data


def rows(data: Path) -> int:
    return len(pd.read_parquet(data / "processed" / "counts.parquet"))


def test_user_files_in_processed_are_left_and_reported(small):
    processed = small / "processed"
    (processed / "notes").mkdir()
    (processed / "notes" / "todo.txt").write_text("mine")
    (processed / "summary.json").write_text("{}")
    (processed / "backup.parquet").write_bytes(b"PAR1 backup")
    (processed / storage.GENERATIONS / "my-backup").mkdir()
    for _ in range(4):  # old generations come and go; the user's files stay
        report = ingest.run(small, progress=False)
    assert (processed / "notes" / "todo.txt").read_text() == "mine"
    assert (processed / "summary.json").read_text() == "{}"
    assert (processed / "backup.parquet").read_bytes() == b"PAR1 backup"
    assert (processed / storage.GENERATIONS / "my-backup").is_dir()
    assert report["not_ingestion_files"] == ["backup.parquet", "notes", "summary.json",
                                             "generations/my-backup"]
    assert "left untouched (not written by parole ingest): data/processed/notes" in \
        ingest.summary(report)


def test_generations_as_a_symbolic_link_is_refused_before_anything_is_removed(small, tmp_path,
                                                                             capsys):
    processed = small / "processed"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(processed / storage.GENERATIONS, elsewhere)
    (elsewhere / "precious.txt").write_text("keep me")
    (elsewhere / ".hidden").write_text("keep me too")
    os.symlink(elsewhere, processed / storage.GENERATIONS)
    before = sorted(p.name for p in elsewhere.iterdir())
    assert cli.main(["ingest", "--data-dir", str(small), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "symbolic link" in err and "generations" in err
    assert sorted(p.name for p in elsewhere.iterdir()) == before
    assert (elsewhere / "precious.txt").read_text() == "keep me"


def test_a_foreign_link_in_processed_is_refused(small, tmp_path, capsys):
    target = tmp_path / "t"
    target.mkdir()
    (target / "x.parquet").write_bytes(b"x")
    os.symlink(target, small / "processed" / "archive")
    assert cli.main(["ingest", "--data-dir", str(small), "-q"]) == 2
    assert "archive: a symbolic link ingestion did not make" in capsys.readouterr().err
    assert (target / "x.parquet").read_bytes() == b"x"


def test_a_repeated_manifest_row_costs_no_rows(small, tmp_path, capsys):
    before = rows(small)
    text = (small / "raw" / "manifest.csv").read_text()
    lines = text.splitlines()
    (small / "raw" / "manifest.csv").write_text("\n".join([*lines, lines[1]]) + "\n")
    report = ingest.run(small, progress=False)
    assert rows(small) == before
    assert report["duplicates"] == []
    assert [r["path"] for r in report["repeated_manifest_rows"]] == [lines[1].split(",")[0]]
    assert "manifest row repeated" in ingest.summary(report)
    new = tmp_path / "new.csv"
    new.write_text("a,b\n1,2\n")
    assert cli.main(["add", str(new), "--source", "case-records", "--data-dir", str(small)]) == 2
    assert "appears more than once" in capsys.readouterr().err
    assert not (small / "raw" / "case-records").exists()
