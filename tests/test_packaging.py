"""What the wheel carries: every data file the code reads beside it (package data) and the
bundled project (notebooks, raw files, claims, templates) that `parole init` copies. The full
check (build, install outside the checkout, ingest, render) is `make wheel-check`, run by CI."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import pytest

from analysis import config
from analysis.errors import ParoleError

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_data_file_beside_the_code_is_package_data():
    package = ROOT / "src" / "analysis"
    data = {p for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert package / "ingest" / "sources" / "sources.yml" in data
    shipped = {p for pattern in SETUPTOOLS["package-data"]["analysis"]
               for p in package.glob(pattern)}
    assert sorted(str(p.relative_to(package)) for p in data - shipped) == []


def test_the_bundled_project_is_installed_as_data_files():
    installed = {f"{folder}/{Path(pattern).name}"
                 for folder, patterns in SETUPTOOLS["data-files"].items() for pattern in patterns}
    bundled = [p.relative_to(ROOT) for part in config.BUNDLED_PARTS
               for p in (ROOT / part).rglob("*") if p.is_file()]
    assert bundled
    for path in bundled:
        target = PurePosixPath(config.BUNDLE) / path.parent.as_posix()
        assert any(PurePosixPath(i).parent == target and PurePosixPath(path.name).match(
            PurePosixPath(i).name) for i in installed), path


def test_init_copies_the_bundled_project(tmp_path):
    dest = config.init_project(tmp_path / "new")
    assert (dest / "data" / "raw" / "manifest.csv").is_file()
    assert (dest / "notebooks" / "national_overview.ipynb").is_file()
    assert (dest / "data" / "claims" / "seed_article.yml").is_file()
    with pytest.raises(ParoleError, match="already holds notebooks"):
        config.init_project(dest)


def test_notebooks_fall_back_to_the_bundled_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("PAROLE_STATS_ROOT", str(tmp_path))
    assert config.notebooks_dir() == ROOT / "notebooks"
    (tmp_path / "notebooks").mkdir()
    assert config.notebooks_dir() == tmp_path / "notebooks"
