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


#: rows added to the bundled data since the snapshot, left out of the comparison: the advance
#: parole series of data/raw/published/uscis_i131_parole_quarterly.csv (issue 20; its 12
#: quarters, FY2017 Q1 to FY2026 Q1, are named figure by figure in test_bundled_transcriptions)
I131 = "published/uscis_i131_parole_quarterly.csv"


def _advance_parole(frame):
    key = "category" if "category" in frame.columns else "subtype"
    return (frame["source_file"] == I131) & (frame[key] == "advance-parole")


ADDED = {"counts": _advance_parole, "processing_times": _advance_parole}


@pytest.fixture(scope="module")
def now(before, ingested, rendered) -> dict:
    columns = {name: spec["columns"] for name, spec in before["tables"].items()}
    return snapshot(ingested, rendered, columns, ADDED)


def test_only_the_named_rows_were_added(ingested):
    import pandas as pd

    counts = pd.read_parquet(ingested / "processed" / "counts.parquet")
    times = pd.read_parquet(ingested / "processed" / "processing_times.parquet")
    assert int(_advance_parole(counts).sum()) == 12 * 4
    assert int(_advance_parole(times).sum()) == 12


@pytest.mark.parametrize("table", ["counts", "processing_times", "published_figures"])
def test_processed_tables_are_unchanged(before, now, table):
    assert now["tables"][table] == before["tables"][table]


#: numbers a reader sees that the advance parole rows add (or change), page by page: the
#: processing-times page lists every national median of form I-131, so it gains the seven
#: advance parole medians FY2021 Q4 to FY2026 Q1 (8.7, 7.2, 6.6, 5.6, 4.7, 6.8, 8.4), the FY2024
#: Q1 row's note ("median as displayed: 4.7 (the workbook cell holds 4.668488)"), and its source
#: line counts 25 releases instead of 23 (the FY2017 Q3 and FY2019 Q2 editions)
CHANGED_NUMBERS = {"processing_times/default.html": (
    ["23"], ["8.7", "7.2", "6.6", "5.6", "4.7", "6.8", "8.4", "4.7", "4.668488", "25"])}


def test_numbers_in_every_default_report_are_unchanged(before, now):
    assert sorted(now["reports"]) == sorted(before["reports"])
    for page, numbers in before["reports"].items():
        removed, added = CHANGED_NUMBERS.get(page, ([], []))
        expected = list(numbers)
        for n in removed:
            expected.remove(n)
        assert now["reports"][page] == sorted(expected + added), page


def test_the_snapshot_reads_what_a_reader_sees():
    page = ('<p>Received 2,328 (FY2023-Q2), 46.2% denied; rendered 2026-11-24 10:05</p>'
            '<script>var x = 999;</script><img alt="17.5 months" src="a.png">')
    assert reader_numbers(page) == ["17.5", "2,328", "46.2%"]
    assert reader_numbers(page.replace("2,328", "2,329")) != reader_numbers(page)
