"""Moving the package into layers (issue 14) changed no figure.

``fixtures/refactor/before_layers.json`` was written by :func:`tests.snapshot.snapshot` from the
code as it stood before the move (its ``generated_from`` names the commit): each processed
table's row count and a digest of its rows, and the numbers a reader sees in each default
report. The same snapshot of the current code must match, column for column (a column added
since, such as ``counts.origin``, is left out of the comparison; a column removed fails).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .snapshot import reader_numbers, snapshot

BEFORE = Path(__file__).parent / "fixtures" / "refactor" / "before_layers.json"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def before() -> dict:
    return json.loads(BEFORE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now(before, ingested, rendered) -> dict:
    columns = {name: spec["columns"] for name, spec in before["tables"].items()}
    return snapshot(ingested, rendered, columns)


@pytest.mark.parametrize("table", ["counts", "processing_times", "published_figures"])
def test_processed_tables_are_unchanged(before, now, table):
    assert now["tables"][table] == before["tables"][table]


def test_numbers_in_every_default_report_are_unchanged(before, now):
    assert sorted(now["reports"]) == sorted(before["reports"])
    for page, numbers in before["reports"].items():
        assert now["reports"][page] == numbers, page


def test_the_snapshot_reads_what_a_reader_sees():
    page = ('<p>Received 2,328 (FY2023-Q2), 46.2% denied; rendered 2026-11-24 10:05</p>'
            '<script>var x = 999;</script><img alt="17.5 months" src="a.png">')
    assert reader_numbers(page) == ["17.5", "2,328", "46.2%"]
    assert reader_numbers(page.replace("2,328", "2,329")) != reader_numbers(page)
