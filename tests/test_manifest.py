import pandas as pd
import pytest

from analysis import cli
from analysis.errors import ChecksumError, ParoleError, UnknownSourceError
from analysis.ingest import manifest


@pytest.fixture
def raw_file(tmp_path):
    path = tmp_path / "download" / "quarterly.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    return path


def test_add_copies_and_registers(tmp_path, raw_file):
    data = tmp_path / "data"
    entry, changed = manifest.add(raw_file, "uscis-all-forms", data_dir=data,
                                  url="https://example.org/q.csv", retrieved="2025-01-02")
    assert changed
    stored = data / "raw" / "uscis-all-forms" / "quarterly.csv"
    assert stored.read_bytes() == raw_file.read_bytes()
    rows = pd.read_csv(data / "raw" / "manifest.csv", dtype=str)
    assert rows.to_dict("records") == [{
        "path": "uscis-all-forms/quarterly.csv", "source": "uscis-all-forms",
        "citation": entry.citation, "url": "https://example.org/q.csv",
        "retrieved": "2025-01-02", "sha256": manifest.sha256(raw_file)}]
    assert "USCIS" in entry.citation


def test_adding_the_same_file_twice_changes_nothing(tmp_path, raw_file):
    manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    _, changed = manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    assert not changed
    assert len(manifest.read(tmp_path)) == 1


def test_a_different_file_of_the_same_name_is_refused(tmp_path, raw_file):
    manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    raw_file.write_text("a,b\n1,3\n", encoding="utf-8")
    with pytest.raises(ParoleError, match="immutable"):
        manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    stored = tmp_path / "raw" / "uscis-all-forms" / "quarterly.csv"
    assert stored.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_unknown_source_is_refused_with_choices(tmp_path, raw_file):
    with pytest.raises(UnknownSourceError, match="did you mean uscis-all-forms"):
        manifest.add(raw_file, "uscis-allforms", data_dir=tmp_path)


@pytest.mark.parametrize("name", ["../evil.csv", "../../x.csv", "/etc/passwd", "a/b.csv", ".."])
def test_names_outside_data_raw_are_refused(tmp_path, raw_file, name):
    with pytest.raises(ParoleError):
        manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path, name=name)
    assert not (tmp_path / "evil.csv").exists()


def test_verify_detects_a_changed_file(tmp_path, raw_file):
    manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    (tmp_path / "raw" / "uscis-all-forms" / "quarterly.csv").write_text("changed\n")
    with pytest.raises(ChecksumError, match="uscis-all-forms/quarterly.csv"):
        manifest.verify(tmp_path)


def test_unregistered_files_are_listed(tmp_path, raw_file):
    manifest.add(raw_file, "uscis-all-forms", data_dir=tmp_path)
    (tmp_path / "raw" / "uscis-all-forms" / "stray.csv").write_text("x\n")
    assert manifest.unregistered(tmp_path) == ["uscis-all-forms/stray.csv"]


def test_cli_add_reports_one_clear_line(tmp_path, raw_file, capsys):
    code = cli.main(["add", str(raw_file), "--source", "nope", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert err.startswith("parole: error: unknown source 'nope'") and "\n" not in err


def test_bundled_manifest_matches_bundled_files(project_root):
    entries = manifest.verify(project_root / "data")
    assert {e.path for e in entries} >= {
        "published/uscis_i131_parole_quarterly.csv", "published/hhs_orr_uc_released_by_state.csv"}
    assert all(e.citation for e in entries)
    assert manifest.unregistered(project_root / "data") == []
