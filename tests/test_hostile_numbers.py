"""Issue 25, points 2 and 3: every limit on every reading path (HTML tables with spans, the
published CSVs), and every number finite and within the contract's bounds whatever the reader
(JSON, CSV cells); digits outside ASCII and invisible characters refused explicitly.
All fixtures are SYNTHETIC."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analysis import limits
from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest import sources
from analysis.ingest.sources import base, reading

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "uscis" / "processing_times_page.json"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_limits(monkeypatch):
    """Restore the process's limits after a test lowers them."""
    monkeypatch.setattr(limits, "LIMITS", limits.LIMITS)
    return limits.set_limits


# --------------------------------------------------------------------------- HTML spans


def test_a_huge_rowspan_costs_nothing(tmp_path):
    page = tmp_path / "orr.html"
    page.write_text('<table><tr><th>State</th><th>FY 2019</th></tr><tr><td>Texas</td>'
                    '<td rowspan="50000000">1,234</td></tr><tr><td>Total</td></tr></table>')
    assert page.stat().st_size < 200
    started = time.monotonic()
    counts = sources.load(page, "hhs-orr-uc").tables["counts"]
    assert time.monotonic() - started < 5
    # the span fills the rows that exist, as a browser lays it out, and ends with the table
    assert dict(zip(counts["geo_code"], counts["value"], strict=True)) == {"TX": 1234,
                                                                          "US": 1234}
    assert counts["source_locator"].iloc[0].startswith("table 1, row 2, column B")


def test_spans_are_laid_out_like_a_browser(tmp_path):
    page = tmp_path / "t.html"
    page.write_text("<table><tr><td rowspan=2 colspan=2>A</td><td>B</td></tr>"
                    "<tr><td>C&amp;D<br>E</td></tr><tr><td>F</td><td>G</td></tr></table>"
                    "<table><tr><td>second table</td></tr></table>")
    assert reading.read_html(page).rows == [["A", "A", "B"], ["A", "A", "C&D E"], ["F", "G"]]


@pytest.mark.parametrize(("html", "limit", "value", "message"), [
    ("<table><tr><td colspan=1000>x</td><td colspan=1000>y</td><td colspan=9>z</td></tr>"
     "</table>", "max_cols", 2000, r"row 1 has over 2,000 cells \(spans counted\).*max_cols"),
    ("<table>" + "<tr><td>1</td></tr>" * 6 + "</table>", "max_rows", 5, "max_rows=5"),
    ("<table><tr><td>" + "x" * 50 + "</td></tr></table>", "max_cell_chars", 40,
     r"table 1, row 1: a cell longer than 40 characters \(limit max_cell_chars\)"),
])
def test_html_tables_obey_every_limit(tmp_path, small_limits, html, limit, value, message):
    small_limits(**{limit: value})
    page = tmp_path / "t.html"
    page.write_text(html)
    with pytest.raises(InputError, match=message):
        reading.read_html(page)


# --------------------------------------------------------------------------- published CSVs


@pytest.mark.parametrize(("limit", "value", "message"), [
    ("max_rows", 3, "max_rows=3"),
    ("max_cols", 5, "max_cols=5"),
    ("max_cell_chars", 60, "a cell longer than 60 characters"),
])
def test_the_published_csv_adapter_obeys_every_limit(small_limits, limit, value, message):
    small_limits(**{limit: value})
    with pytest.raises(InputError, match=message):
        sources.load(ROOT / "data" / "raw" / "published" / "published_figures.csv", "published")


# --------------------------------------------------------------------------- JSON numbers


@pytest.mark.parametrize(("value", "message"), [
    ("1e999", "1e999 is not a finite number"),
    ("1e308", r"1e308 has more than 18 digits before the point.*max_int_digits"),
    ("1.2e29", r"1.2e29 has more than 18 digits.*max_int_digits"),
    ("-1e999", "is not a finite number"),
    ("100000000", r"100000000 months is not a plausible processing time.*0 to 600 months"),
])
def test_processing_times_json_numbers_are_finite_and_bounded(tmp_path, value, message):
    page = tmp_path / "page.json"
    page.write_text(PAGE.read_text().replace('{"unit": "Months", "value": 8, "unit_en"',
                                             f'{{"unit": "Months", "value": {value}, "unit_en"'))
    with pytest.raises(InputError, match=message):
        sources.load(page, "uscis-processing-times")


def test_capture_months_are_bounded(tmp_path):
    capture = tmp_path / "times.ndjson"
    capture.write_text('["I-131", "141B-OTH", "NSC", "2023-07-13", "900000", "14.5"]\n')
    with pytest.raises(InputError, match=r"line 1, column .*not a plausible processing time"):
        sources.load(capture, "uscis-processing-times")


def test_the_contract_refuses_non_finite_and_absurd_numbers():
    frame = sources.load(PAGE, "uscis-processing-times").tables["processing_times"]
    for bad in (float("inf"), 1e308, schemas.MAX_MONTHS + 1):
        broken = frame.copy()
        broken.loc[0, "months"] = bad
        with pytest.raises(InputError):
            schemas.validate("processing_times", broken, origin="test")


# --------------------------------------------------------------------------- digits and marks


@pytest.mark.parametrize(("cell", "message"), [
    ("１２３", r"digit '１' \(U\+FF11, FULLWIDTH DIGIT ONE\) outside ASCII"),
    ("١٢٣", r"U\+0661, ARABIC-INDIC DIGIT ONE\) outside ASCII"),
    ("1\u200b234", r"invisible character U\+200B \(ZERO WIDTH SPACE\)"),
    ("5\u2060000", r"invisible character U\+2060"),
    ("1\u00ad000", r"invisible character U\+00AD"),
    ("12\u202e3", r"invisible character U\+202E"),
])
def test_non_ascii_digits_and_invisible_characters_are_refused_naming_them(cell, message):
    with pytest.raises(ValueError, match=message):
        base.parse_cell(cell)
    assert base.parse_cell("1,234") == (1234.0, "reported")  # the ordinary case still reads


def test_published_whole_numbers_and_figures_refuse_other_digits(tmp_path):
    text = (ROOT / "data" / "raw" / "published" / "published_figures.csv").read_text()
    figures = tmp_path / "figures.csv"
    figures.write_text(text.replace(",8748,", ",８７４８,", 1))
    result = sources.load(figures, "published")
    assert [r.locator for r in result.rejected] == ["line 2 (gao-2008-hp-adjudicated)"]
    assert "outside ASCII" in result.rejected[0].reason
    quarterly = (ROOT / "data" / "raw" / "published" / "uscis_i131_parole_quarterly.csv")
    lines = quarterly.read_text().splitlines()
    lines[1] = "٢٠٢٣" + lines[1][4:]
    bad = tmp_path / "q.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"q\.csv, line 2: .* is not a whole number"):
        sources.load(bad, "published")
