"""The USCIS quarterly all-forms adapter on hand-written SYNTHETIC fixtures (CSV and XLSX)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import limits
from analysis.contract import schemas
from analysis.errors import InputError
from analysis.ingest import sources
from analysis.ingest.sources import uscis_all_forms as af

FIXTURES = Path(__file__).parent / "fixtures" / "uscis"
Q1_CSV = FIXTURES / "quarterly_all_forms_fy2025_q1.csv"
OLD_CSV = FIXTURES / "quarterly_all_forms_fy2018_q3.csv"

HEADER = ["Category and Form Number", "Description", "Forms Received1", "Approved2", "Denied3",
          "Total Completions4", "Pending5", "Processing Time6", "Forms Received", "Approved",
          "Denied", "Total Completions", "Pending"]

# FY2025 Q2, SYNTHETIC. Year-to-date = Q1 (CSV fixture) + Q2 except the Advance Parole approved
# figure (165,010 published against 80,000 + 85,000 = 165,000).
Q2_ROWS = [
    ["TOTAL", None, 1000000, 900000, 90000, 1000000, 9100000, "N/A",
     2234567, 1900000, 190000, 2150000, 9100000],
    ["Humanitarian", None] + [None] * 11,
    ["I-131 22", "Application for Travel Document (Advance Parole)", 90000, 85000, 4000, 91000,
     140000, 4.5, 190000, 165010, 9000, 181000, 140000],
    ["I-131 22", "Application for Travel Document (Parole-in-Place)", 300, 20, "-", 20.5, 1200,
     "N/A", 550, "D", "-", 33, 1200],
    ["I-131 22", "Application for Travel Document (Humanitarian Parole)", 15000, 2000, 2500, 4700,
     70000, None, 35000, 3500, 5500, 9300, 70000],
]

FY26_ROWS = [
    ["TOTAL", None, 10, 9, 1, 10, 100, "N/A", 10, 9, 1, 10, 100],
    ["Humanitarian", None] + [None] * 11,
    ["I-131 5", "Application for Travel Documents, Parole Documents, and Arrival/Departure "
     "Records", 8, 7, 1, 8, 50, 3, 8, 7, 1, 8, 50],
    ["I-131 5", "Application for Advance Parole Document for Aliens Inside the United States",
     4, 3, "-", 3, 20, 2.25, 4, 3, "-", 3, 20],
    ["I-131 5", "Application for Advance Parole Document for Aliens Inside the United States "
     "(Parole in Place)", 2, "D", "-", "D", 10, "N/A", 2, "D", "-", "D", 10],
    ["I-131 5", "Application for Initial Parole Document for Aliens Outside the United States",
     "1,500", 700, 300, "1,000", 9000, "N/A", "1,500", 700, 300, "1,000", 9000],
]


def write_xlsx(path: Path, date_line: str, rows: list[list], *, sheet: str = "FY25Q2_All_Forms",
               quarter_label: str = "2nd Quarter") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Cover"
    ws["A1"] = "SYNTHETIC test workbook"
    data = book.create_sheet(sheet)
    data.append(["Number of Service-wide Forms"])
    data.append(["By Quarter, Form Status, and Processing Time"])
    data.append([date_line, None, quarter_label, None, None, None, None, None,
                 "Fiscal Year - To Date"])
    data.append(HEADER)
    for row in rows:
        data.append(row)
    data.append(["Table Key"])
    data.append(["D Data withheld (SYNTHETIC)"])
    book.save(path)
    return path


@pytest.fixture
def q2_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "quarterly_all_forms_fy2025_q2.xlsx",
                      "January 1, 2025 - March 31, 2025", Q2_ROWS)


def load(path: Path):
    return sources.load(path, "uscis-all-forms")


def value(frame: pd.DataFrame, category: str, measure: str, period: str, form="I-131"):
    sel = frame[(frame["category"] == category) & (frame["measure"] == measure)
                & (frame["period"] == period)]
    if form is None:
        sel = sel[sel["form"].isna()]
    else:
        sel = sel[sel["form"] == form]
    assert len(sel) == 1, (category, measure, period, len(sel))
    row = sel.iloc[0]
    return (None if pd.isna(row["value"]) else row["value"]), row["status"]


def test_csv_quarter_and_ytd_blocks_exact():
    result = load(Q1_CSV)
    counts = result.tables["counts"]
    # 8 form rows + TOTAL, 5 measures, 2 blocks
    assert len(counts) == 9 * 5 * 2
    assert set(counts["period"]) == {"FY2025-Q1", "FY2025-YTD-Q1"}
    assert value(counts, "total", "received", "FY2025-Q1", form=None) == (1234567.0, "reported")
    assert value(counts, "advance-parole", "approved", "FY2025-Q1") == (80000.0, "reported")
    assert value(counts, "parole-in-place", "approved", "FY2025-Q1") == (None, "suppressed")
    assert value(counts, "parole-in-place", "denied", "FY2025-YTD-Q1") == (0.0, "zero")
    assert value(counts, "parole-in-place", "completed", "FY2025-Q1") == (12.5, "reported")
    assert value(counts, "humanitarian-parole", "received", "FY2025-YTD-Q1") == (20001.0,
                                                                                 "reported")
    assert value(counts, "travel-document-all", "pending", "FY2025-Q1") == (400000.0, "reported")
    dac = counts[counts["form"] == "I-821D"]
    assert value(dac, "consideration-of-deferred-action-for-childhood-arrivals", "received",
                 "FY2025-Q1", form="I-821D") == (None, "withheld")
    # footnote digits stripped from form numbers, accents from slugs
    assert set(counts["form"].dropna()) == {"I-129F", "I-130", "I-131", "I-821D", "N-400"}
    assert "petition-for-alien-fiance-e" in set(counts["category"])
    q = counts[counts["period"] == "FY2025-Q1"]
    assert q["period_start"].iloc[0] == pd.Timestamp("2024-10-01")
    assert q["period_end"].iloc[0] == pd.Timestamp("2024-12-31")


def test_csv_locator_keeps_row_title_and_note_keeps_group():
    counts = load(Q1_CSV).tables["counts"]
    row = counts[(counts["category"] == "humanitarian-parole") & (counts["measure"] == "denied")
                 & (counts["period"] == "FY2025-Q1")].iloc[0]
    assert row["source_locator"] == ("line 13, column E (Denied3) (row title: I-131 22 | "
                                     "Application for Travel Document (Humanitarian Parole))")
    # the fixture's glued note 22 has no text in the file: the note says so
    assert row["note"] == "category group: Humanitarian; note 22 (its text is not in the file)"
    assert row["geo_level"] == "nation" and row["geo_code"] == "US"


def test_processing_time_column_to_median():
    times = load(Q1_CSV).tables["processing_times"]
    assert len(times) == 9
    assert set(times["statistic"]) == {"median"}
    assert set(times["period"]) == {"FY2025-Q1"}
    ap = times[times["subtype"] == "advance-parole"].iloc[0]
    assert ap["months"] == pytest.approx(4.9972548) and ap["status"] == "reported"
    hp = times[times["subtype"] == "humanitarian-parole"].iloc[0]
    assert pd.isna(hp["months"]) and hp["status"] == "not_available"
    assert times[times["form"] == "N-400"].iloc[0]["months"] == 6.0


def test_single_q1_file_reconciles_ytd_with_its_quarter():
    result = load(Q1_CSV)
    ytd = [c for c in result.reconciliation if c.check.startswith("fiscal year to date")]
    checks = {(c.check, c.period): c for c in ytd}
    bad = [c for c in ytd if c.difference != 0]
    assert len(bad) == 1
    assert bad[0].check.endswith("I-131 humanitarian-parole received")
    assert (bad[0].parts_sum, bad[0].published_total) == (20000.0, 20001.0)
    # suppressed parts are skipped, not guessed
    assert not any("parole-in-place approved" in k[0] for k in checks)


def test_xlsx_parses_numbers_markers_and_period(q2_xlsx):
    result = load(q2_xlsx)
    counts = result.tables["counts"]
    assert len(counts) == 4 * 5 * 2
    assert value(counts, "advance-parole", "approved", "FY2025-YTD-Q2") == (165010.0, "reported")
    assert value(counts, "parole-in-place", "completed", "FY2025-Q2") == (20.5, "reported")
    assert value(counts, "parole-in-place", "approved", "FY2025-YTD-Q2") == (None, "suppressed")
    assert value(counts, "humanitarian-parole", "received", "FY2025-Q2") == (15000.0, "reported")
    loc = counts[(counts["category"] == "advance-parole") & (counts["measure"] == "received")
                 & (counts["period"] == "FY2025-Q2")].iloc[0]["source_locator"]
    assert loc.startswith("sheet FY25Q2_All_Forms, row 7, column C (Forms Received1)")
    times = result.tables["processing_times"]
    hp = times[times["subtype"] == "humanitarian-parole"].iloc[0]
    assert hp["status"] == "not_available"  # empty cell
    # the fixture has no References, so the statistic of its Processing Time is not stated
    assert any("does not say which statistic" in n for n in result.notes)
    assert any("1 fractional count(s) kept as published, e.g. at sheet FY25Q2_All_Forms, "
               "row 8, column F" in n for n in result.notes)  # completed 20.5
    assert "glued" in " ".join(result.notes)  # 'I-131 22' -> I-131 + note 22
    # a Q2 file alone cannot check its flows against quarters, only its pending (a stock)
    ytd = [c for c in result.reconciliation if c.check.startswith("fiscal year to date")]
    assert ytd and all(c.check.endswith(" pending") for c in ytd)
    assert all(c.difference == 0 and c.parts == 1 for c in ytd)


def test_ytd_equals_sum_of_quarters_across_files(q2_xlsx):
    frames = [load(Q1_CSV).tables["counts"], load(q2_xlsx).tables["counts"]]
    checks = af.reconcile_ytd(pd.concat(frames, ignore_index=True))
    q2 = {c.check.split(": ", 1)[1]: c for c in checks if c.period == "FY2025-YTD-Q2"}
    assert q2["I-131 humanitarian-parole received"].difference == 0
    assert q2["I-131 humanitarian-parole received"].parts == 2
    assert q2["I-131 parole-in-place completed"].parts_sum == 33.0
    assert q2["I-131 parole-in-place completed"].difference == 0
    mismatch = q2["I-131 advance-parole approved"]
    assert (mismatch.parts_sum, mismatch.published_total) == (165000.0, 165010.0)
    assert "I-131 parole-in-place approved" not in q2  # YTD suppressed
    assert [k for k, c in q2.items() if c.difference != 0] == ["I-131 advance-parole approved"]
    # pending is a count on the quarter's last day: compared with Q2 alone, never summed
    assert q2["I-131 humanitarian-parole pending"].parts == 1
    assert q2["I-131 humanitarian-parole pending"].parts_sum == 70000.0


def test_fy2026_i131_titles_map_to_stable_slugs(tmp_path):
    path = write_xlsx(tmp_path / "quarterly_all_forms_fy2026_q1_v1.xlsx",
                      "October 1, 2025 - December 31, 2025", FY26_ROWS,
                      sheet="FY26Q1_All_Forms", quarter_label="1st Quarter")
    counts = load(path).tables["counts"]
    cats = set(counts[counts["form"] == "I-131"]["category"])
    assert cats == {"travel-document-all", "advance-parole", "parole-in-place",
                    "initial-parole-outside-us"}
    assert value(counts, "initial-parole-outside-us", "received", "FY2026-Q1") == (1500.0,
                                                                                  "reported")
    loc = counts[counts["category"] == "initial-parole-outside-us"].iloc[0]["source_locator"]
    assert "Application for Initial Parole Document for Aliens Outside the United States" in loc


def test_old_layout_titles_and_name_date_disagreement():
    result = load(OLD_CSV)
    counts = result.tables["counts"]
    assert set(counts["period"]) == {"FY2018-Q4", "FY2018-YTD-Q4"}
    assert value(counts, "reentry-permit-refugee-travel-document", "received",
                 "FY2018-Q4") == (12345.0, "reported")
    assert value(counts, "advance-parole", "completed", "FY2018-YTD-Q4") == (115500.0,
                                                                            "reported")
    disagreement = [n for n in result.notes if "file name says" in n]
    assert len(disagreement) == 1
    assert "FY2018-Q3" in disagreement[0] and "FY2018-Q4" in disagreement[0]


@pytest.mark.parametrize("label, expected", [
    ("Reentry Permit/Refugee Travel Document", "reentry-permit-refugee-travel-document"),
    ("Advance Parole", "advance-parole"),
    ("Application for Travel Document", "travel-document-all"),
    ("Application for Travel Document (Advance Parole)", "advance-parole"),
    ("Application for Travel Document (Parole-in-Place)", "parole-in-place"),
    ("Application for Travel Document  (Humanitarian Parole) 23", "humanitarian-parole"),
    ("Application for Travel Documents, Parole Documents, and Arrival/Departure Records",
     "travel-document-all"),
    ("Application for Advance Parole Document for Aliens Inside the United States",
     "advance-parole"),
    ("Application for Advance Parole Document for Aliens Inside the United States "
     "(Parole in Place)", "parole-in-place"),
    ("Application for Initial Parole Document for Aliens Outside the United States",
     "initial-parole-outside-us"),
    ("Something new", None),
])
def test_i131_title_table(label, expected):
    assert af.i131_category(label) == expected


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _fixture_rows() -> list[list[str]]:
    return list(csv.reader(Q1_CSV.read_text(encoding="utf-8").splitlines()))


def test_non_numeric_cell_costs_only_that_cell(tmp_path):
    """Read what can be read: an odd cell becomes not_available with its reason and locator,
    listed in ``rejected``; the rest of its row and of the file is read."""
    rows = _fixture_rows()
    rows[10][3] = "80,00O"  # letter O
    path = tmp_path / "bad.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    result = load(path)
    [rejected] = result.rejected
    assert rejected.locator == "line 11, column D (Approved2)"
    assert "'80,00O'" in rejected.reason and rejected.value == "80,00O"
    counts = result.tables["counts"]
    assert value(counts, "advance-parole", "approved", "FY2025-Q1") == (None, "not_available")
    row = counts[(counts["category"] == "advance-parole") & (counts["measure"] == "approved")
                 & (counts["period"] == "FY2025-Q1")].iloc[0]
    assert "cell not read: '80,00O'" in row["note"]
    assert value(counts, "advance-parole", "received", "FY2025-Q1")[1] == "reported"
    assert len(counts) == 9 * 5 * 2
    assert any("1 cell(s) or row(s) not read" in n for n in result.notes)


def test_unknown_header_is_refused(tmp_path):
    rows = _fixture_rows()
    rows[3][4] = "Rejected3"
    path = tmp_path / "bad_header.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"header matches no known layout.*'Rejected3'"):
        load(path)


def test_missing_date_line_is_refused(tmp_path):
    rows = _fixture_rows()
    rows[2][0] = "First quarter"
    path = tmp_path / "nodate.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    with pytest.raises(InputError, match="no date-range line"):
        load(path)


def test_date_line_not_a_quarter_is_refused(tmp_path):
    rows = _fixture_rows()
    rows[2][0] = "October 1, 2024 - November 30, 2024"
    path = tmp_path / "twomonths.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    with pytest.raises(InputError, match="not one fiscal quarter"):
        load(path)


def test_sheet_found_by_content_not_name(tmp_path, q2_xlsx):
    book = openpyxl.load_workbook(q2_xlsx)
    book["FY25Q2_All_Forms"].title = "Data"
    path = tmp_path / "renamed.xlsx"
    book.save(path)
    counts = load(path).tables["counts"]
    assert value(counts, "advance-parole", "approved", "FY2025-YTD-Q2") == (165010.0, "reported")
    assert counts["source_locator"].str.startswith("sheet Data, ").all()


def test_workbook_without_the_table(tmp_path, q2_xlsx):
    book = openpyxl.load_workbook(q2_xlsx)
    del book["FY25Q2_All_Forms"]
    book.create_sheet("Data")["A1"] = "nothing here (SYNTHETIC)"
    path = tmp_path / "notable.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"no sheet holds the table: sheets are Cover, Data"):
        load(path)


def test_truncated_workbook(tmp_path, q2_xlsx):
    data = q2_xlsx.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        load(path)


def test_truncated_csv_gives_no_partial_output(tmp_path):
    text = Q1_CSV.read_text(encoding="utf-8")
    path = tmp_path / "cut.csv"
    path.write_text(text[: text.index("I-129F") + 40], encoding="utf-8")
    with pytest.raises(InputError):
        load(path)


def test_size_limit(tmp_path, monkeypatch):

    monkeypatch.setattr(limits, "LIMITS", limits.Limits(max_bytes=100))
    with pytest.raises(InputError, match="over the limit max_bytes=100"):
        load(Q1_CSV)


def test_xml_bomb_is_refused(tmp_path, q2_xlsx):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
            '</sheetData></worksheet>')
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(q2_xlsx) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = bomb.encode()
            dst.writestr(item, data)
    with pytest.raises(InputError):
        load(path)


def test_outputs_meet_contract():
    result = load(Q1_CSV)
    schemas.validate("counts", result.tables["counts"])
    schemas.validate("processing_times", result.tables["processing_times"])


# --- property-based: mutated layouts parse exactly or fail with InputError -------------------

_EXPECTED = None


def _expected() -> pd.DataFrame:
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = load(Q1_CSV).tables["counts"]
    return _EXPECTED


def _key(frame: pd.DataFrame) -> set:
    return {(r.form if isinstance(r.form, str) else None, r.category, r.measure, r.period,
             None if pd.isna(r.value) else r.value, r.status)
            for r in frame.itertuples(index=False)}


mutations = st.one_of(
    st.tuples(st.just("drop_col"), st.integers(0, 12)),
    st.tuples(st.just("insert_col"), st.integers(0, 12)),
    # column B (description) only names the row, so garbling it renames the category: skip it
    st.tuples(st.just("garble"), st.tuples(st.integers(3, 15),
                                           st.integers(0, 12).filter(lambda c: c != 1),
                                           st.sampled_from(["x", "1.2.3", "n.a.", "--", "DD",
                                                            "12a", "", "-5", "1,2,3"]))),
    st.tuples(st.just("shift_header"), st.sampled_from([-1, 1])),
    st.tuples(st.just("shift_row"), st.tuples(st.integers(4, 15), st.sampled_from([-1, 1]))),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations)
def test_mutated_layout_parses_exactly_or_raises(tmp_path_factory, mutation):
    kind, arg = mutation
    rows = _fixture_rows()
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    changed_cell = None
    if kind == "drop_col":
        rows = [r[:arg] + r[arg + 1:] for r in rows]
    elif kind == "insert_col":
        rows = [r[:arg] + ["7"] + r[arg:] for r in rows]
    elif kind == "garble":
        r, c, text = arg
        changed_cell = (r, c, rows[r][c], text)
        rows[r][c] = text
    elif kind == "shift_header":
        rows[3] = [""] + rows[3] if arg == 1 else rows[3][1:] + [""]
    else:
        r, step = arg
        rows[r] = [""] + rows[r] if step == 1 else rows[r][1:] + [""]
    path = tmp_path_factory.mktemp("mut") / "quarterly_all_forms_fy2025_q1.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    try:
        result = load(path)
    except InputError:
        return
    got = _key(result.tables["counts"])
    expected = _key(_expected())
    if got == expected:
        return
    _difference_is_reported(kind, changed_cell, result, expected - got, got - expected, mutation)


def _difference_is_reported(kind, changed_cell, result, missing, extra, mutation):
    """The only accepted differences, each reported: a garbled cell read as its marker (empty
    or '-') or, when it is neither a number nor a marker, as not_available and listed in
    ``rejected``; a garbled row label making its row unreadable, listed in ``rejected``; a
    dropped year-to-date column whose figures are missing, said in the notes."""
    wrong = f"silently wrong numbers after {mutation}: {missing ^ extra}"
    if kind == "drop_col":
        assert not extra, wrong
        measures = {k[2] for k in missing}
        assert len(measures) == 1 and all("-YTD-" in k[3] for k in missing), wrong
        assert any(f"has no {measures.pop()} column" in n for n in result.notes), wrong
        return
    if kind == "shift_row":  # the shifted row is rejected whole, and listed
        r, _step = mutation[1]
        assert not extra and len({k[:2] for k in missing}) == 1, wrong
        assert [x.locator for x in result.rejected] == [f"line {r + 1}"], wrong
        return
    assert changed_cell is not None, wrong
    r, c, old, new = changed_cell
    if new.strip() in ("", "-"):
        return
    assert result.rejected, wrong
    if c == 0:  # the row label: the row is rejected whole
        assert not extra and len({k[:2] for k in missing}) == 1, wrong
        assert result.rejected[0].locator == f"line {r + 1}", wrong
        return
    assert len(missing) == 1 and len(extra) == 1, wrong
    [was], [now] = missing, extra
    assert now[:4] == was[:4] and now[4:] == (None, "not_available"), wrong
    assert result.rejected[0].locator.startswith(f"line {r + 1}, column "), wrong


# --- the traps of the real editions (SYNTHETIC fixture quarterly_all_forms_fy2026_q1_traps.csv) --

TRAPS_CSV = FIXTURES / "quarterly_all_forms_fy2026_q1_traps.csv"


def _traps_rows() -> list[list]:
    """The traps fixture as spreadsheet cells: numbers as numbers (fractions as floats)."""
    out = []
    for row in csv.reader(TRAPS_CSV.read_text(encoding="utf-8").splitlines()):
        cells: list = []
        for cell in row:
            plain = cell.replace(",", "")
            if plain.replace(".", "", 1).isdigit():
                cells.append(float(plain) if "." in plain else int(plain))
            else:
                cells.append(cell or None)
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    return out


def traps_xlsx(path: Path, sheet: str, *, title_header: str = "Form Title",
               date_cells: list | None = None) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "SYNTHETIC cover sheet"
    ws = book.create_sheet(sheet)
    for i, row in enumerate(_traps_rows()):
        if i == 2 and date_cells is not None:
            row = date_cells + row[2:]
        if i == 3:
            row = [row[0], title_header, *row[2:]]
        ws.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def traps():
    return load(TRAPS_CSV)


def test_glued_footnotes_resolved_to_known_forms(traps):
    counts = traps.tables["counts"]
    q = counts[(counts["period"] == "FY2026-Q1") & (counts["measure"] == "received")]
    forms = dict(zip(q["category"], q["form"], strict=True))
    assert forms["petition-to-classify-orphan-as-an-immediate-relative"] == "I-600"  # I-6007
    assert forms["immigrant-petition-by-alien-investor-legacy"] == "I-526"  # I-5269
    assert forms["immigrant-petition-by-standalone-investor"] == "I-526"  # plain I-526
    assert forms[("application-for-regional-center-designation-under-the-immigrant-"
                  "investor-program")] == "I-924"  # I-92410, not I-9241 + 0
    assert forms["application-for-naturalization"] == "N-400"  # N-40019
    assert forms["initial-parole-outside-us"] == "I-131"  # I-13120
    assert forms["advance-parole"] == "I-131"
    assert value(counts, "initial-parole-outside-us", "received", "FY2026-Q1") == (760.0,
                                                                                  "reported")
    row = q[q["category"] == "initial-parole-outside-us"].iloc[0]
    assert "note 20: This report reflects data for requests filed for individuals outside" in \
        row["note"]
    assert "publisher's note 8)" in row["note"]  # the Notes item naming this I-131 row
    assert "publisher's note 8)" not in q[q["category"] == "advance-parole"].iloc[0]["note"]
    assert "row title: I-13120 | Application for Initial Parole" in row["source_locator"]
    summary = " ".join(traps.notes)
    assert "'I-92410' -> I-924 + note 10" in summary and "'N-40019' -> N-400 + note 19" in summary


def test_word_rows_with_glued_notes(traps):
    counts = traps.tables["counts"]
    q = counts[(counts["period"] == "FY2026-Q1") & (counts["measure"] == "received")]
    by_cat = {r.category: r for r in q.itertuples(index=False)}
    for category, received in (("legalization-saw", 3.0), ("waivers", 43455.0),
                               ("eoir-adjustment", 2244.0)):
        row = by_cat[category]
        assert pd.isna(row.form) and row.value == received
        assert "is a group of forms, not one form number" in row.note
    assert by_cat["waivers"].note.startswith("category group: Other; note 21: Includes the "
                                             "following applications filed to waive")
    assert by_cat["immigrant-visas"].form == "DS-230"  # 'DS-230 (IV)22'
    assert by_cat["immigrant-visas"].value == 120453.0
    assert "not included in the TOTAL row (note 22)" in by_cat["eoir-adjustment"].note


def test_supplemental_processing_left_out_of_total_reconciliation(traps):
    total = {c.check.split(": ", 1)[1].split(" ")[0]: c for c in traps.reconciliation
             if c.period == "FY2026-YTD-Q1" and c.check.startswith("TOTAL row")}
    # the fixture's TOTAL is the sum of the rows above Supplemental Processing
    assert total["received"].published_total == 387718.0
    assert total["received"].difference == 0
    assert total["approved"].difference == 0 and total["approved"].parts_sum == 172481.75
    assert "2 row(s) the report leaves out of its total" in total["received"].check


def test_quarter_and_ytd_blocks_that_disagree_are_both_kept_and_reported(traps):
    counts = traps.tables["counts"]
    assert value(counts, "total", "pending", "FY2026-Q1", form=None) == (1455269.0, "reported")
    assert value(counts, "total", "pending", "FY2026-YTD-Q1", form=None) == (1474327.0,
                                                                             "reported")
    bad = [c for c in traps.reconciliation if c.difference != 0]
    ytd = [c for c in bad if c.check.startswith("fiscal year to date")]
    assert len(ytd) == 1 and ytd[0].check.endswith("all forms total pending")
    assert (ytd[0].parts_sum, ytd[0].published_total) == (1455269.0, 1474327.0)
    quarter_total = [c for c in bad if c.check.startswith("TOTAL row") and c.period == "FY2026-Q1"]
    assert [c.check.split(": ")[1].split(" ")[0] for c in quarter_total] == ["pending"]
    assert quarter_total[0].difference == 1474327.0 - 1455269.0


def test_fractional_counts_kept_and_flagged(traps):
    counts = traps.tables["counts"]
    assert value(counts, "immigrant-petition-by-alien-investor-legacy", "approved", "FY2026-Q1",
                 form="I-526") == (28.75, "reported")
    assert value(counts, "total", "denied", "FY2026-YTD-Q1", form=None) == (37729.25, "reported")
    row = counts[(counts["category"] == "immigrant-petition-by-alien-investor-legacy")
                 & (counts["measure"] == "approved")].iloc[0]
    assert "fractional count kept as published" in row["note"]
    whole = counts[(counts["category"] == "immigrant-petition-by-alien-investor-legacy")
                   & (counts["measure"] == "completed")].iloc[0]
    assert "fractional" not in (whole["note"] or "")
    # I-526 legacy and TOTAL approved and denied, in both blocks
    assert any("8 fractional count(s) kept as published" in n for n in traps.notes)


def test_processing_time_printed_zero_is_not_published(traps):
    times = traps.tables["processing_times"].set_index("subtype")
    assert set(times["statistic"]) == {"median"}  # reference 6: "the median"
    for subtype in ("initial-parole-outside-us", "legalization-saw",
                    "regional-center-annual-statement"):
        assert times.loc[subtype, "status"] == "not_available", subtype
        assert pd.isna(times.loc[subtype, "months"])
    assert "Processing Time printed 0 for a row with 778 completions" in \
        times.loc["initial-parole-outside-us", "note"]
    assert "no completions in the quarter" in times.loc["regional-center-annual-statement", "note"]
    assert (times.loc["application-for-entrepreneur-parole", ["months", "status"]].tolist()
            == [0.0, "zero"])  # '-' is the key's true zero
    assert times.loc["advance-parole", "months"] == 8.4
    assert "the months presented are the median" in times.loc["advance-parole", "note"]
    # no processing time in the table is a 0-month median
    assert not ((times["months"] == 0) & (times["status"] == "reported")).any()


def test_processing_time_statistic_follows_the_key(tmp_path):
    text = TRAPS_CSV.read_text(encoding="utf-8").replace(
        "The number of months presented is the median which is the time it took to complete "
        "50% of all the cases processed in the quarter.",
        "The number of months presented is the average of all cases completed in the quarter.")
    path = tmp_path / "quarterly_all_forms_fy2026_q1.csv"
    path.write_text(text, encoding="utf-8")
    times = load(path).tables["processing_times"]
    assert set(times["statistic"]) == {"mean"}


@pytest.mark.parametrize("sheet", ["FY24Q1AllForms", "FY25Q1 All-Forms", "FY26Q1_All_Forms",
                                   "Sheet1"])
@pytest.mark.parametrize("title_header", ["Description", "Form Title"])
def test_xlsx_sheet_and_header_drift(tmp_path, traps, sheet, title_header):
    path = traps_xlsx(tmp_path / "q.xlsx", sheet, title_header=title_header)
    result = load(path)
    assert _key(result.tables["counts"]) == _key(traps.tables["counts"])
    assert result.tables["counts"]["source_locator"].str.startswith(f"sheet {sheet}, row").all()


@pytest.mark.parametrize("date_cells", [
    ["October 1, 2025 -", "December 31, 2025"],  # split by an export
    ["October 1,", "2025 - December 31, 2025"],
    [pd.Timestamp("2025-10-01").to_pydatetime(), "-", pd.Timestamp("2025-12-31").to_pydatetime()],
    ["Oct. 1, 2025 \u2013 Dec. 31, 2025"],
])
def test_date_line_split_or_typed_is_found(tmp_path, date_cells):
    path = traps_xlsx(tmp_path / "undated_name.xlsx", "FY26Q1_All_Forms",
                      date_cells=date_cells)
    counts = load(path).tables["counts"]
    assert set(counts["period"]) == {"FY2026-Q1", "FY2026-YTD-Q1"}


def test_no_date_line_takes_period_from_name_and_says_so(tmp_path):
    rows = _fixture_rows()
    rows[2] = [""] * len(rows[2])
    path = tmp_path / "quarterly_all_forms_fy2025_q1.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    result = load(path)
    assert set(result.tables["counts"]["period"]) == {"FY2025-Q1", "FY2025-YTD-Q1"}
    assert any("taken from the file name" in n for n in result.notes)


def test_quarter_word_disagreeing_with_date_line_is_noted(tmp_path):
    rows = _fixture_rows()
    rows[2][2] = "2nd Quarter"
    path = tmp_path / "x.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    result = load(path)
    assert set(result.tables["counts"]["period"]) == {"FY2025-Q1", "FY2025-YTD-Q1"}
    assert any("'2nd Quarter'" in n and "FY2025-Q1" in n for n in result.notes)


@pytest.mark.parametrize("label, description, references, expected", [
    ("I-13122", "Application for Travel Document (Humanitarian Parole)", {22: "parole"},
     ("I-131", 22)),
    ("I-92410", "Application For Regional Center Designation Under the Immigrant Investor "
     "Program", {10: "Form I-924 has been decommissioned."}, ("I-924", 10)),
    ("N-40020", "Application for Naturalization", {20: "for all N-400"}, ("N-400", 20)),
    ("I-6007", "Petition to Classify Orphan as an Immediate Relative", {7: "Includes I-600A"},
     ("I-600", 7)),
    ("I-5269", "Immigrant Petition by Alien Investor (Legacy)", {9: "all I-526 editions"},
     ("I-526", 9)),
    ("I-129", "Petition for a Nonimmigrant Worker", {9: "x"}, ("I-129", None)),  # not I-12 + 9
    ("I-130", "Petition for Alien Relative", {}, ("I-130", None)),
    ("I-956F", "Application for Approval of Investment in a Commercial Enterprise", {},
     ("I-956F", None)),
    ("I-131 22", "Application for Travel Document", {}, ("I-131", 22)),
    ("DS-23022", "Application for Immigrant Visa and Alien Registration (IV)", {22: "not in"},
     ("DS-230", 22)),
    ("DS-230 (IV)24", "Immigrant Visas", {}, ("DS-230", 24)),
    ("Legalization13", "Legalization/SAW", {}, (None, 13)),
    ("EOIR Adjustment22", "EOIR Adjustment", {}, (None, 22)),
    ("Waivers", "Waivers", {}, (None, None)),
    ("x", "Petition for Alien Relative", {}, None),  # a stray word is not a row title
    ("DD", "", {}, None),
])
def test_resolve_label(label, description, references, expected):
    from analysis.ingest.sources import uscis_forms

    found = uscis_forms.resolve_label(label, description, references)
    assert (found if found is None else (found.form, found.footnote)) == expected


def test_unknown_form_with_glued_note_is_split_on_weak_evidence():
    from analysis.ingest.sources import uscis_forms

    found = uscis_forms.resolve_label("I-99912", "A form not in the list",
                                      {2: "Approved", 12: "Includes I-999A"})
    assert (found.form, found.footnote) == ("I-999", 12)
    assert found.evidence.startswith("weak evidence")


def test_title_table_is_data_beside_the_code():
    from importlib import resources

    from analysis.ingest.sources import uscis_forms

    raw = resources.files("analysis").joinpath("data/uscis_form_titles.csv").read_text("utf-8")
    assert "Application for Initial Parole Document for Aliens Outside the United States," \
           "initial-parole-outside-us" in raw
    assert uscis_forms.title_category("I-485", "Application to Register Permanent Residence or "
                                               "Adjust Status (Cuban)") == "cuban"
    assert uscis_forms.title_category("DS-230", "Immigrant Visas") == "immigrant-visas"
    assert uscis_forms.title_category("I-130", "Petition for Alien Relative") is None


def test_monthly_file_is_handed_to_the_monthly_adapter():
    result = load(FIXTURES / "monthly" / "monthly_march_2025.csv")
    counts = result.tables["counts"]
    assert set(counts["source"]) == {"uscis-monthly"}
    assert set(counts["period"]) == {"2025-03"}


# --- acceptance on the real published files (../shared/data/real) ------------------------------


def _expected_real(shared_data: Path, prefix: str) -> dict:
    import json

    spec = json.loads((shared_data / "real" / "expected.json").read_text(encoding="utf-8"))
    return {k: v for k, v in spec.items() if k.startswith(prefix)}


def test_real_files_give_the_hand_read_figures(shared_data):
    expected = _expected_real(shared_data, "uscis-all-forms/")
    assert len(expected) == 13  # 3 XLSX, 7 CSV (FY2017-FY2023), 3 monthly
    for rel, spec in expected.items():
        counts = sources.load(shared_data / "real" / rel, spec["source"]).tables["counts"]
        for check in spec["checks"]:
            sel = counts[(counts["measure"] == check["measure"])
                         & (counts["period"] == check["period"])
                         & (counts["geo_code"] == check["geo_code"])]
            sel = sel[sel["form"].isna()] if check["form"] is None else \
                sel[sel["form"] == check["form"]]
            if "category" in check:
                sel = sel[sel["category"] == check["category"]]
            assert check["value"] in sel["value"].tolist(), (rel, check)


@pytest.fixture(scope="module")
def real_quarterly(shared_data):
    root = shared_data / "real" / "uscis-all-forms"
    return {fy: load(root / name) for fy, name in (
        (2024, "quarterly_all_forms_fy2024_q1.xlsx"), (2025, "quarterly_all_forms_fy2025_q1.xlsx"),
        (2026, "quarterly_all_forms_fy2026_q1_v1.xlsx"))}


def test_real_quarterly_traps(real_quarterly):
    # FY2024 Q1 (sheet FY24Q1AllForms): fractional TOTAL approvals kept as published
    c24 = real_quarterly[2024].tables["counts"]
    assert value(c24, "total", "approved", "FY2024-Q1", form=None) == (2475577.752151262,
                                                                       "reported")
    # glued notes: I-92410 -> I-924 received 0; N-40020 -> N-400; Waivers23 a group row
    assert value(c24, ("application-for-regional-center-designation-under-the-immigrant-"
                       "investor-program"), "received", "FY2024-Q1", form="I-924") == (0.0,
                                                                                      "reported")
    assert value(c24, "application-for-naturalization", "received", "FY2024-Q1",
                 form="N-400") == (191731.0, "reported")
    assert value(c24, "waivers", "received", "FY2024-Q1", form=None) == (26011.0, "reported")
    assert value(c24, "legalization-saw", "pending", "FY2024-Q1", form=None) == (370.0,
                                                                                 "reported")
    assert value(c24, "immigrant-visas", "received", "FY2024-Q1", form="DS-230") == (118093.0,
                                                                                    "reported")
    # FY2025 Q1 (sheet 'FY25Q1 All-Forms'): humanitarian parole time printed 0 -> not published
    t25 = real_quarterly[2025].tables["processing_times"]
    hp = t25[t25["subtype"] == "humanitarian-parole"].iloc[0]
    assert hp["status"] == "not_available" and pd.isna(hp["months"])
    assert "1,637 completions" in hp["note"]
    assert set(t25["statistic"]) == {"median"}  # reference 6 of the file: "the median"
    assert t25[t25["subtype"] == "advance-parole"].iloc[0]["months"] == 6.8
    # FY2026 Q1 ('Form Title'): TOTAL pending differs between the blocks; both kept, reported
    r26 = real_quarterly[2026]
    c26 = r26.tables["counts"]
    assert value(c26, "total", "pending", "FY2026-Q1", form=None) == (11331331.0, "reported")
    assert value(c26, "total", "pending", "FY2026-YTD-Q1", form=None) == (11350389.0, "reported")
    pending = [c for c in r26.reconciliation if c.check.endswith("all forms total pending")]
    assert [(c.parts_sum, c.published_total) for c in pending] == [(11331331.0, 11350389.0)]
    t26 = r26.tables["processing_times"]
    ip = t26[t26["subtype"] == "initial-parole-outside-us"].iloc[0]
    assert ip["status"] == "not_available" and "778 completions" in ip["note"]
    assert not ((t26["months"] == 0) & (t26["status"] == "reported")).any()


# --- the three CSV layout families, FY2017 to FY2023 (SYNTHETIC fixtures all_forms_family_*) ----

FAMILY_A = FIXTURES / "all_forms_family_a_FY17Q3.csv"  # content: FY2017 Q2; its name says Q3
FAMILY_A_Q1 = FIXTURES / "all_forms_family_a_FY17Q1.csv"
FAMILY_B = FIXTURES / "all_forms_family_b_fy2022_q1.csv"
FAMILY_C = FIXTURES / "all_forms_family_c_fy2023_q3.csv"


def test_family_a_quarters_side_by_side_and_to_date_block():
    result = load(FAMILY_A)
    counts = result.tables["counts"]
    # blocks 3rd/4th Quarter are not yet reported ('-' in TOTAL, blank elsewhere): not read
    assert set(counts["period"]) == {"FY2017-Q1", "FY2017-Q2", "FY2017-YTD-Q2"}
    assert value(counts, "advance-parole", "received", "FY2017-Q1") == (500.0, "reported")
    assert value(counts, "advance-parole", "pending", "FY2017-Q2") == (2630.0, "reported")
    assert value(counts, "advance-parole", "approved", "FY2017-YTD-Q2") == (970.0, "reported")
    assert value(counts, "total", "received", "FY2017-Q2", form=None) == (1100.0, "reported")
    # form number in column B, Windows-1252 accent, D suppressed
    assert value(counts, "fiancee-petitions", "denied", "FY2017-Q1", form="I-129F") == (
        None, "suppressed")
    # the To-Date block stops after Approved (the file's columns end): no guessed figures
    ytd = counts[counts["period"] == "FY2017-YTD-Q2"]
    assert set(ytd["measure"]) == {"received", "approved"}
    assert any("has no denied, pending column" in n for n in result.notes)
    assert any("not yet reported" in n and "3rd Quarter1" in n for n in result.notes)
    assert result.tables["processing_times"].empty


def test_family_a_period_from_content_not_name():
    result = load(FAMILY_A)
    [said] = [n for n in result.notes if "file name says" in n]
    assert "FY2017-Q3" in said and "FY2017-Q2" in said and "the content is used" in said
    assert any("fiscal year is read from the To-Date heading 'Fiscal Year 2017 To-Date'" in n
               for n in result.notes)
    assert result.release == "2017-03-31"


def test_family_a_revised_quarter_kept_from_the_later_edition():
    from analysis.ingest.sources import revisions

    q1, q2 = load(FAMILY_A_Q1), load(FAMILY_A)
    assert any("republishes FY2017-Q1" in n for n in q2.notes)
    both = pd.concat([q1.tables["counts"].assign(source_file="q1.csv"),
                      q2.tables["counts"].assign(source_file="q2.csv")], ignore_index=True)
    kept, changes = revisions.keep_latest(both, {"q1.csv": q1.release, "q2.csv": q2.release})
    assert value(kept, "advance-parole", "received", "FY2017-Q1") == (500.0, "reported")
    listed = {(c.series["category"], c.series["measure"], c.series["period"], c.old_value,
               c.new_value) for c in changes}
    assert ("advance-parole", "received", "FY2017-Q1", 490.0, 500.0) in listed
    assert ("total", "received", "FY2017-Q1", 990.0, 1000.0) in listed


def test_family_b_header_over_three_rows_and_spaced_footnotes():
    result = load(FAMILY_B)
    counts = result.tables["counts"]
    # "Fiscal Year 2022, Quarter 1" (no date range); "Forms" over "Received 1"; "Completed"
    # over "Approved 2 | Denied 3 | Total 15"; YTD "Forms Received" one row higher
    assert set(counts["period"]) == {"FY2022-Q1", "FY2022-YTD-Q1"}
    assert value(counts, "advance-parole", "received", "FY2022-Q1") == (1200.0, "reported")
    assert value(counts, "advance-parole", "completed", "FY2022-Q1") == (1000.0, "reported")
    assert value(counts, "advance-parole", "received", "FY2022-YTD-Q1") == (1200.0, "reported")
    assert value(counts, "parole-in-place", "pending", "FY2022-YTD-Q1") == (60.0, "reported")
    pip = counts[(counts["category"] == "parole-in-place") & (counts["measure"] == "received")]
    assert "note 19: A footnote on parole in place" in pip["note"].iloc[0]
    times = result.tables["processing_times"]
    assert times[times["subtype"] == "parole-in-place"]["months"].tolist() == [4.1]
    assert set(times["statistic"]) == {"median"}  # reference 6, named by 'Time 6'


def test_family_b_one_odd_cell_and_one_blank_cost_only_themselves():
    result = load(FAMILY_B)
    counts = result.tables["counts"]
    # a stray 'om' in a number cell: not_available, listed with its locator
    assert value(counts, "parole-in-place", "denied", "FY2022-YTD-Q1") == (None, "not_available")
    assert [r.locator for r in result.rejected] == ["line 12, column K (Completed Denied)"]
    # a blank Processing Time: not_available, with its locator and counted
    times = result.tables["processing_times"]
    n400 = times[times["form"] == "N-400"].iloc[0]
    assert n400["status"] == "not_available" and n400["source_locator"].startswith(
        "line 13, column H")
    assert any("1 blank cell(s)" in n for n in result.notes)
    assert value(counts, "application-for-naturalization", "received", "FY2022-Q1",
                 form="N-400") == (1760.0, "reported")


def test_family_c_spilled_block_row_glued_and_superscript_footnotes():
    result = load(FAMILY_C)
    counts = result.tables["counts"]
    # the block row spills '3rd Quarter,4th Quarter,1st Quarter,...': only the heading over a
    # block's first column names it
    assert set(counts["period"]) == {"FY2023-Q3", "FY2023-YTD-Q3"}
    assert value(counts, "humanitarian-parole", "received", "FY2023-Q3") == (2500.0, "reported")
    assert value(counts, "humanitarian-parole", "completed", "FY2023-Q3") == (2400.0,
                                                                             "reported")
    assert value(counts, "humanitarian-parole", "received", "FY2023-YTD-Q3") == (7500.0,
                                                                                "reported")
    assert any("'I-13122' -> I-131 + note 22" in n for n in result.notes)


@pytest.mark.parametrize("fragments, measure", [
    (["Forms ", "Received 1"], "received"),
    (["Completed", "Approved"], "approved"),
    (["Completed", "Denied 3"], "denied"),
    (["Total 15"], "completed"),
    (["Total Completions\u2074"], "completed"),
    (["Forms by Status and Period", "Forms Received2"], "received"),
    (["Processing ", "Time 6"], "processing-time"),
    (["Rejected3"], None),
])
def test_measure_of_a_stacked_header(fragments, measure):
    from analysis.ingest.sources import uscis_all_forms_layout

    assert uscis_all_forms_layout.measure_of(fragments) == measure


def test_layout_vocabulary_is_data_beside_the_adapter():
    from importlib import resources

    raw = resources.files("analysis.ingest.sources").joinpath("uscis_all_forms.yml").read_text(
        "utf-8")
    assert "total completions" in raw and "unlabelled_blocks" in raw


def test_name_period_two_digit_year():
    assert af.name_period("Quarterly_All_Forms_FY17Q3.csv") == "FY2017-Q3"
    assert af.name_period("quarterly_all_forms_fy2025_q1.xlsx") == "FY2025-Q1"
