"""The USCIS field-office adapter: SYNTHETIC fixtures in both layouts, and the real FY2019 Q2
N-400 file as an acceptance test (skipped when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import sources
from analysis.errors import InputError
from analysis.sources import uscis_field_office as fo

FIXTURES = Path(__file__).parent / "fixtures" / "uscis"
NEW = FIXTURES / "n400_field_office_new.csv"
OLD = FIXTURES / "n400_field_office_old.csv"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL = SHARED / "uscis-field-office-n400" / "n400_field_office_fy2019_q2_raw.csv"


def load(path: Path):
    return sources.load(path, "uscis-field-office")


def cell(counts: pd.DataFrame, code: str, category: str, measure: str):
    sel = counts[(counts["geo_code"] == code) & (counts["category"] == category)
                 & (counts["measure"] == measure)]
    assert len(sel) == 1, (code, category, measure, len(sel))
    row = sel.iloc[0]
    return (None if pd.isna(row["value"]) else row["value"]), row["status"]


def test_new_layout_offices_totals_and_markers():
    result = load(NEW)
    counts = result.tables["counts"]
    assert set(counts["period"]) == {"FY2024-Q3"}
    assert set(counts["form"]) == {"N-400"}
    assert set(counts["category"]) == {"naturalization", "naturalization-military", "total"}
    offices = counts[counts["geo_level"] == "office"]
    assert offices["geo_code"].nunique() == 9
    assert cell(counts, "US", "total", "received") == (5064.0, "reported")
    assert cell(counts, "MGA", "naturalization", "received") == (1000.0, "reported")
    assert cell(counts, "MGA", "naturalization-military", "approved") == (None, "suppressed")
    assert cell(counts, "MGA", "naturalization-military", "denied") == (0.0, "zero")
    assert cell(counts, "PHO", "total", "pending") == (5050.0, "reported")
    assert cell(counts, "international", "naturalization", "received") == (None,
                                                                           "not_available")
    assert cell(counts, "international", "total", "pending") == (9.0, "reported")
    assert cell(counts, "london-united-kingdom", "naturalization-military", "approved") == (
        3.0, "reported")


def test_new_layout_geography_and_windows_1252():
    counts = load(NEW).tables["counts"]
    names = counts.drop_duplicates("geo_code").set_index("geo_code")["geo_name"]
    assert names["CDA"] == "Coeur d\u2019Alene, ID"  # 0x92 in the file
    assert names["POM"] == "Portland, ME" and names["POO"] == "Portland, OR"
    assert names["AGA"] == "Agana, GU"
    assert names["mexico-city-mexico"] == "Mexico City, Mexico"
    levels = counts.drop_duplicates("geo_code").set_index("geo_code")["geo_level"]
    assert levels["US"] == "nation" and levels["international"] == "region"
    assert levels["mexico-city-mexico"] == "office"
    states = fo.office_states(counts)
    assert states == {"MGA": "AL", "PHO": "AZ", "TUC": "AZ", "CDA": "ID", "POM": "ME",
                      "POO": "OR", "AGA": "GU"}
    row = counts[(counts["geo_code"] == "TUC") & (counts["category"] == "total")
                 & (counts["measure"] == "received")].iloc[0]
    assert row["source_locator"] == ("line 17, column L (Tucson, AZ, Total / Applications "
                                     "Received2)")


def test_new_layout_reconciliation_reports_mismatches():
    checks = load(NEW).reconciliation
    bad = {c.check: (c.parts_sum, c.published_total) for c in checks if c.difference != 0}
    assert bad == {
        "Tucson, AZ: categories sum to Total, received": (585.0, 584.0),
        "offices sum to Grand Total, naturalization denied": (300.0, 302.0),
        "offices sum to Grand Total, naturalization-military pending": (100.0, 99.0),
    }
    good = {c.check for c in checks if c.difference == 0}
    assert "international offices sum to Grand Total, total received" in good
    assert "offices sum to Grand Total, naturalization-military received" in good
    # Montgomery approved has a suppressed part and known parts below the total: no check
    assert not any(c.startswith("Montgomery, AL: categories sum to Total, approved")
                   for c in good | set(bad))


def test_old_layout_without_codes():
    result = load(OLD)
    counts = result.tables["counts"]
    assert set(counts["period"]) == {"FY2016-Q1"}
    assert set(counts["geo_code"]) == {"US", "portland-or", "portland-me"}
    assert cell(counts, "portland-or", "total", "received") == (205.0, "reported")
    assert cell(counts, "US", "naturalization-military", "approved") == (None, "suppressed")
    note = counts[counts["geo_code"] == "portland-me"]["note"].iloc[0]
    assert "no office code" in note and note.startswith("state ME")
    assert all(c.difference == 0 for c in result.reconciliation)
    assert len(result.reconciliation) > 0


def _lines() -> list[str]:
    return NEW.read_bytes().decode("cp1252").split("\r\r\n")


def _write(tmp_path: Path, lines: list[str], name="mutated.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\r\n".join(lines).encode("cp1252"))
    return path


def test_non_numeric_count_names_line_and_column(tmp_path):
    lines = _lines()
    lines[14] = lines[14].replace(" 10 ,", " l0 ,", 1)
    with pytest.raises(InputError, match=r"mutated.csv, line 16, column I \(Phoenix, AZ, "
                                         r"Naturalization \(Military\) / Approved3\)"):
        load(_write(tmp_path, lines))


def test_unknown_status_header(tmp_path):
    lines = _lines()
    lines[7] = lines[7].replace("Denied4", "Withdrawn4", 1)
    with pytest.raises(InputError, match="header matches no known layout: 'Withdrawn4'"):
        load(_write(tmp_path, lines))


def test_unknown_state_row(tmp_path):
    lines = _lines()
    lines[13] = lines[13].replace("Arizona", "Arizonia")
    with pytest.raises(InputError, match="line 15, column A: 'Arizonia'"):
        load(_write(tmp_path, lines))


def test_truncated_file(tmp_path):
    lines = _lines()[:16]
    with pytest.raises(InputError, match="truncated"):
        load(_write(tmp_path, lines))


def test_figure_in_column_without_header(tmp_path):
    lines = _lines()
    lines[12] = lines[12] + ", 77 "
    with pytest.raises(InputError, match="column without a header"):
        load(_write(tmp_path, lines))


_CACHE: dict[str, pd.DataFrame] = {}


def _original() -> pd.DataFrame:
    if "new" not in _CACHE:
        _CACHE["new"] = load(NEW).tables["counts"]
    return _CACHE["new"]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(8, 41).filter(lambda i: i not in range(30, 36)), pos=st.integers(0, 140),
       text=st.sampled_from(["x", ",", "1,2,3", "D", "", " 9 ", "Q"]))
def test_mutations_parse_exactly_or_raise(tmp_path_factory, line, pos, text):
    lines = _lines()
    original = _original()
    target = lines[line]
    pos = min(pos, len(target))
    lines[line] = target[:pos] + text + target[pos:]
    path = _write(tmp_path_factory.mktemp("fo"), lines)
    try:
        got = load(path).tables["counts"]
    except InputError:
        return
    cols = ["category", "measure", "geo_code", "value", "status"]
    a = original[cols].fillna({"value": -1}).sort_values(cols[:3]).reset_index(drop=True)
    b = got[cols].fillna({"value": -1}).sort_values(cols[:3]).reset_index(drop=True)
    if a.equals(b):
        return
    # A mutation of the figures that still parses (e.g. " 10 " -> " 910 ") must change only the
    # figures of the mutated line, never shift or relabel others
    changed = got.merge(original, how="outer", on=cols, indicator=True)
    changed = changed[changed["_merge"] != "both"]
    lines_hit = set(changed["source_locator_x"].dropna().str.extract(r"line (\d+)")[0]) | set(
        changed["source_locator_y"].dropna().str.extract(r"line (\d+)")[0])
    assert len(lines_hit) <= 1, (line, pos, text, lines_hit)


# --- acceptance: the real FY2019 Q2 N-400 file ------------------------------------------------


@pytest.fixture(scope="module")
def real():
    if not REAL.is_file():
        pytest.skip(f"real sample absent: {REAL}")
    return load(REAL)


@pytest.mark.acceptance
def test_real_n400_counts(real):
    counts = real.tables["counts"]
    assert set(counts["period"]) == {"FY2019-Q2"}
    offices = counts[counts["geo_level"] == "office"]
    coded = offices[offices["geo_code"].str.fullmatch(r"[A-Z]{3}")]
    assert coded["geo_code"].nunique() == 92  # domestic offices with a code (counted by grep)
    assert offices["geo_code"].nunique() == 92 + 24  # plus international offices
    # values read by hand from the file
    assert cell(counts, "US", "total", "received") == (197670.0, "reported")  # line 10
    assert cell(counts, "US", "naturalization", "pending") == (710425.0, "reported")
    assert cell(counts, "MGA", "naturalization", "received") == (1009.0, "reported")  # line 14
    assert cell(counts, "MGA", "naturalization-military", "approved") == (None, "suppressed")
    assert cell(counts, "SEA", "naturalization", "pending") == (22673.0, "reported")  # line 141
    assert cell(counts, "CHS", "total", "pending") == (None, "suppressed")  # line 145
    assert cell(counts, "TUC", "naturalization-military", "received") == (0.0, "zero")
    assert cell(counts, "seoul-south-korea", "total", "received") == (184.0, "reported")
    assert cell(counts, "international", "naturalization-military", "received") == (
        245.0, "reported")  # line 181
    assert fo.office_states(counts)["POO"] == "OR"
    assert fo.office_states(counts)["SAJ"] == "PR"


@pytest.mark.acceptance
def test_real_n400_reconciliation(real):
    bad = {c.check: (c.parts_sum, c.published_total) for c in real.reconciliation
           if c.difference != 0}
    # Seoul's military figures exceed its Total (185 against 184; 84 against 82) in the file
    assert bad["Seoul, South Korea: categories sum to Total, received (known parts exceed the "
               "total; 1 part(s) suppressed or not available)"] == (185.0, 184.0)
    good = {c.check: c for c in real.reconciliation if c.difference == 0}
    assert good["offices sum to Grand Total, total received"].parts_sum == 197670.0
