"""Ingestion as a transaction: kill -9 at each write step, a full or read-only disk, two runs at
once, parallel adds, refusing to destroy, and leftovers cleaned (issue 16, points 1, 2, 8).

Each test states what a reader sees afterwards (the whole old generation or the whole new one,
tables and report from the same run), not only an exit status.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, config
from analysis.ingest import manifest, storage
from analysis.ingest import pipeline as ingest

from .conftest import ROOT, copy_bundled_raw

TABLE_FILES = [f"{t}.parquet" for t in ingest.TABLES] + [ingest.REPORT_NAME]
DROPPED = "published/uscis_processing_times_i131.csv"  # unregistered between generations


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 240):
    """``parole ARGS`` in a separate process (so that it can be killed for real)."""
    full_env = {k: v for k, v in os.environ.items() if k != "PAROLE_FAULT"}
    full_env.update({"PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore", **(env or {})})
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def visible(data: Path) -> dict:
    """What a reader sees through data/processed/<name>: each file's bytes, and proof that all
    of them (tables and report) belong to one generation."""
    processed = data / "processed"
    folders = {(processed / name).resolve().parent for name in TABLE_FILES}
    assert len(folders) == 1, f"tables from several generations: {folders}"
    report = json.loads((processed / ingest.REPORT_NAME).read_text())
    for table, info in report["tables"].items():  # the report describes these very tables
        assert len(pd.read_parquet(processed / f"{table}.parquet")) == info["rows"]
    return {name: (processed / name).read_bytes() for name in TABLE_FILES}


def leftovers(data: Path) -> list[str]:
    processed = data / "processed"
    found = [p.name for p in processed.glob(".*.tmp")]
    gens = processed / storage.GENERATIONS
    found += [p.name for p in gens.iterdir() if p.name.startswith(".")] if gens.is_dir() else []
    found += [p.name for p in gens.rglob(".*.tmp")] if gens.is_dir() else []
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A data folder with one generation (A) ingested; the manifest then drops one file so
    that the next ingest (generation B) differs."""
    data = copy_bundled_raw(tmp_path_factory.mktemp("template"))
    ingest.run(data, progress=False)
    manifest.remove(DROPPED, data_dir=data, keep_file=True)
    return data


@pytest.fixture
def data(template, tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def test_processed_names_are_links_into_one_current_generation(data):
    processed = data / "processed"
    assert os.readlink(processed / "current").startswith(storage.GENERATIONS)
    for name in TABLE_FILES:
        assert (processed / name).is_symlink()
        assert os.readlink(processed / name) == f"current/{name}"
    before = visible(data)
    ingest.run(data, progress=False)
    after = visible(data)
    assert after["processing_times.parquet"] != before["processing_times.parquet"]
    gens = sorted(p.name for p in (processed / storage.GENERATIONS).iterdir())
    assert len(gens) == 2  # the new one and the previous one, kept for readers still reading


KILL_STEPS_OLD = ["generation:created", "generation:counts", "generation:processing_times",
                  "write:cases.parquet", "generation:cases", "generation:published_figures",
                  "generation:report", "publish:rename", "publish:links", "publish:switch"]


@pytest.mark.slow  # fault injection or concurrent subprocesses
@pytest.mark.parametrize("step", KILL_STEPS_OLD + ["published"])
def test_kill_9_at_each_write_step(data, step):
    before = visible(data)
    killed = run_cli("ingest", "--data-dir", str(data), "-q", env={"PAROLE_FAULT": f"kill:{step}"})
    assert killed.returncode == -9, killed.stderr
    seen = visible(data)  # one whole generation, never a mix
    if step in KILL_STEPS_OLD:
        assert seen == before
    else:  # killed after the switch: the whole new generation
        assert seen["processing_times.parquet"] != before["processing_times.parquet"]
    report = ingest.run(data, progress=False)  # the next run cleans up and succeeds
    assert leftovers(data) == []
    assert DROPPED in report["unregistered_files"]
    visible(data)


@pytest.mark.slow  # fault injection or concurrent subprocesses
@pytest.mark.parametrize(("fault", "step", "message"), [
    ("enospc", "generation:cases", "No space left on device"),
    ("enospc", "write:counts.parquet", "No space left on device"),
    ("erofs", "generation:created", "Read-only file system"),
    ("enospc", "publish:switch", "No space left on device"),
])
def test_full_or_read_only_disk_keeps_the_old_generation(data, monkeypatch, capsys, fault, step,
                                                         message):
    before = visible(data)
    monkeypatch.setenv("PAROLE_FAULT", f"{fault}:{step}")
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert "previous" in err
    assert visible(data) == before
    assert not [p for p in (data / "processed" / storage.GENERATIONS).iterdir()
                if p.name.startswith(storage.INCOMING)]
    monkeypatch.delenv("PAROLE_FAULT")
    assert cli.main(["--debug", "ingest", "--data-dir", str(data), "-q"]) == 0
    assert leftovers(data) == []


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_debug_shows_the_traceback(data, monkeypatch, capsys):
    monkeypatch.setenv("PAROLE_FAULT", "enospc:generation:report")
    assert cli.main(["ingest", "--data-dir", str(data), "-q", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("parole: error:")


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_two_ingests_at_once_both_finish_and_leave_one_generation(data):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore"}
    env.pop("PAROLE_FAULT", None)
    cmd = [sys.executable, "-m", "analysis.cli", "ingest", "--data-dir", str(data)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    visible(data)
    assert leftovers(data) == []


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_a_held_lock_is_waited_for_then_refused_naming_the_holder(data, capsys, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from analysis.ingest import storage\n"
         "with storage.lock(sys.argv[1], 'test holder'):\n    print('held', flush=True)\n"
         "    time.sleep(30)", str(data)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = visible(data)
        monkeypatch.setenv("PAROLE_LOCK_TIMEOUT", "0.5")
        assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
        err = capsys.readouterr().err
        assert "another parole command is changing this data folder" in err
        assert "test holder" in err and "waited 0.5 s" in err
        assert visible(data) == before
        raw_file = data / "raw" / "published" / "published_figures.csv"
        assert cli.main(["add", str(raw_file), "--source", "published", "--name", "x.csv",
                         "--data-dir", str(data)]) == 2  # add takes the same lock
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_eight_parallel_adds_all_reach_the_manifest(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    files = []
    for n in range(8):
        path = tmp_path / f"f{n}.csv"
        path.write_text(f"a,b\n{n},{n}\n", encoding="utf-8")
        files.append(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore"}
    env.pop("PAROLE_FAULT", None)
    procs = [subprocess.Popen([sys.executable, "-m", "analysis.cli", "add", str(f), "--source",
                               "case-records", "--data-dir", str(data)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outs
    assert all(out.startswith("added ") for out, _ in outs)
    rows = manifest.read(data)
    assert sorted(e.path for e in rows) == sorted(f"case-records/f{n}.csv" for n in range(8))
    assert {e.sha256 for e in rows} == {manifest.sha256(f) for f in files}


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_kill_during_add_leaves_no_half_registration(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    killed = run_cli("add", str(path), "--source", "case-records", "--data-dir", str(data),
                     env={"PAROLE_FAULT": "kill:write:manifest.csv"})
    assert killed.returncode == -9
    assert manifest.read(data) == []  # the manifest was never half written
    again = run_cli("add", str(path), "--source", "case-records", "--data-dir", str(data))
    assert again.returncode == 0, again.stderr
    assert [e.path for e in manifest.read(data)] == ["case-records/f.csv"]


@pytest.mark.slow  # fault injection or concurrent subprocesses
def test_full_disk_during_add_leaves_data_raw_as_it_was(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.setenv("PAROLE_FAULT", "enospc:write:manifest.csv")
    assert cli.main(["add", str(path), "--source", "case-records", "--data-dir", str(data)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not (data / "raw" / "case-records" / "f.csv").exists()
    assert manifest.read(data) == []


# --------------------------------------------------------------------------- refuse to destroy


def test_missing_manifest_stops_and_keeps_the_tables(data, capsys):
    before = visible(data)
    (data / "raw" / "manifest.csv").unlink()
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    assert "no manifest" in capsys.readouterr().err
    assert visible(data) == before


def test_a_mistyped_data_dir_is_not_created(tmp_path, capsys):
    missing = tmp_path / "dta"
    assert cli.main(["ingest", "--data-dir", str(missing), "-q"]) == 2
    assert "no such data folder" in capsys.readouterr().err
    assert not missing.exists()


def test_emptying_non_empty_tables_needs_allow_empty(data, capsys):
    before = visible(data)
    header = (data / "raw" / "manifest.csv").read_text().splitlines()[0]
    (data / "raw" / "manifest.csv").write_text(header + "\n")
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    err = capsys.readouterr().err
    assert "would replace the non-empty table(s) counts" in err and "--allow-empty" in err
    assert visible(data) == before
    assert cli.main(["ingest", "--data-dir", str(data), "-q", "--allow-empty"]) == 0
    assert len(pd.read_parquet(data / "processed" / "counts.parquet")) == 0


def test_same_content_twice_refused_at_add_and_skipped_at_ingest(data, tmp_path, capsys):
    counts_before = pd.read_parquet(data / "processed" / "counts.parquet")
    twin = tmp_path / "copy_of_state.csv"
    shutil.copy(data / "raw" / "published" / "hhs_orr_uc_released_by_state.csv", twin)
    assert cli.main(["add", str(twin), "--source", "published", "--data-dir", str(data)]) == 2
    assert "same content is already registered as data/raw/published/hhs_orr_uc_released" \
        in capsys.readouterr().err
    # a manifest edited by hand: the copy is ingested once and reported
    shutil.copy(twin, data / "raw" / "published" / "copy_of_state.csv")
    entries = manifest.read(data)
    original = next(e for e in entries if e.path.endswith("hhs_orr_uc_released_by_state.csv"))
    manifest.write(data, [*entries, manifest.Entry(
        "published/copy_of_state.csv", "published", original.citation, "",
        (date.fromisoformat(original.retrieved) + timedelta(days=1)).isoformat(),
        original.sha256)])
    report = ingest.run(data, progress=False)
    assert report["duplicates"] == [{"path": "published/copy_of_state.csv",
                                     "same_content_as": original.path,
                                     "sha256": original.sha256}]
    counts = pd.read_parquet(data / "processed" / "counts.parquet")
    assert len(counts) == len(counts_before)  # not doubled
    assert "same content as data/raw/published/hhs_orr_uc_released_by_state.csv" in \
        ingest.summary(report)


# --------------------------------------------------------------------------- file modes


@pytest.mark.parametrize(("umask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755),
                                                               (0o027, 0o640, 0o750)])
def test_written_files_follow_the_umask(tmp_path, umask, file_mode, dir_mode):
    data = copy_bundled_raw(tmp_path)
    old = os.umask(umask)
    try:
        ingest.run(data, progress=False)
        source = tmp_path / "x.csv"
        source.write_text("a,b\n1,2\n")
        manifest.add(source, "case-records", data_dir=data)
    finally:
        os.umask(old)
    generation = storage.current_generation(data)
    for path in [*generation.iterdir(), data / "raw" / "manifest.csv",
                 data / "raw" / "case-records" / "x.csv"]:
        assert path.stat().st_mode & 0o777 == file_mode, path
    for folder in (generation, data / "raw" / "case-records"):
        assert folder.stat().st_mode & 0o777 == dir_mode, folder


def test_readers_pin_one_generation(data):
    generation = storage.current_generation(data)
    ingest.run(data, progress=False)  # a new generation lands meanwhile
    pinned = storage.read_table("processing_times", data, generation=generation)
    old_rows = json.loads((generation / ingest.REPORT_NAME).read_text())
    assert len(pinned) == old_rows["tables"]["processing_times"]["rows"]
    assert config.processed_dir(data).joinpath("current").resolve() != generation.resolve()


def test_a_folder_of_the_old_layout_is_replaced(tmp_path):
    """Tables written by an older version lie directly in processed/ (files, and a folder of
    partitions): the first generation replaces them with links, and the old folder goes."""
    data = copy_bundled_raw(tmp_path)
    processed = data / "processed"
    (processed / "cases").mkdir(parents=True)
    (processed / "cases" / "part-0.parquet").write_bytes(b"old")
    (processed / "counts.parquet").write_bytes(b"old")
    (processed / "README.md").write_text("kept")
    ingest.run(data, progress=False, allow_empty=True)
    assert (processed / "counts.parquet").is_symlink()
    assert len(pd.read_parquet(processed / "counts.parquet")) > 0
    assert not (processed / "cases").exists()  # stale partitions never read again
    assert (processed / "README.md").read_text() == "kept"
    ingest.run(data, progress=False)
    assert not [p for p in (processed / storage.GENERATIONS).iterdir() if p.name.startswith(".")]
