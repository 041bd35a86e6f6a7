"""Shared fixtures: the project's paths and an ingested copy of the bundled data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs property tests with a fixed seed (reproducible); locally they explore new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


def pytest_collection_modifyitems(items):
    """Tests on the real sample files (the ``shared_data`` fixture) read whole publisher
    workbooks: they are ``slow`` (run by `make test` and CI, left out of `make check`)."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real sample files beside the repository; tests skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not available ({SHARED_DATA} is absent)")
    return SHARED_DATA


def copy_bundled_raw(dest: Path) -> Path:
    """A copy of the bundled data/raw (manifest included) under ``dest/raw``."""
    shutil.copytree(ROOT / "data" / "raw", dest / "raw")
    return dest


@pytest.fixture(scope="session")
def ingested(tmp_path_factory) -> Path:
    """A data folder holding the bundled raw files, ingested once for the session."""
    from analysis.ingest import pipeline as ingest

    data_dir = copy_bundled_raw(tmp_path_factory.mktemp("data"))
    ingest.run(data_dir, progress=False)
    return data_dir


@pytest.fixture(scope="session")
def rendered(ingested, tmp_path_factory) -> Path:
    """`parole report --default` on the ingested bundled data, under the usual umask 022."""
    from analysis import cli

    out = tmp_path_factory.mktemp("rendered") / "reports"
    previous = os.umask(0o022)
    try:
        code = cli.main(["report", "--default", "--data-dir", str(ingested),
                         "--reports-dir", str(out), "-q"])
    finally:
        os.umask(previous)
    assert code == 0
    return out
