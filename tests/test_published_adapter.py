import pytest

from analysis.errors import InputError
from analysis.ingest import sources
from analysis.viz.provenance import source_line

HEADER = "fiscal_year,state_name,released_to_sponsors,period_note,source_title,publisher\n"


def _write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_state_table_with_total_and_reconciliation(tmp_path):
    path = _write(tmp_path, HEADER + "2020,Texas,10,,T,P\n2020,Calif.,5,,T,P\n"
                                     "2020,TOTAL,16,,T,P\n")
    result = sources.load(path, "published")
    counts = result.tables["counts"]
    assert dict(zip(counts["geo_code"], counts["value"], strict=True)) == {
        "TX": 10, "CA": 5, "US": 16}
    [check] = result.reconciliation
    assert (check.parts_sum, check.published_total, check.difference) == (15, 16, -1)


def test_non_numeric_cell_is_rejected_with_reason(tmp_path):
    path = _write(tmp_path, HEADER + "2020,Texas,ten,,T,P\n2020,Ohio,3,,T,P\n")
    result = sources.load(path, "published")
    assert result.tables["counts"]["geo_code"].tolist() == ["OH"]
    [rejected] = result.rejected
    assert rejected.locator.startswith("line 2, column released_to_sponsors")
    assert "'ten' is not a number" in rejected.reason


def test_unknown_layout_names_the_closest(tmp_path):
    path = _write(tmp_path, "fiscal_year,state,released\n2020,TX,1\n")
    with pytest.raises(InputError, match="header matches no compiled layout"):
        sources.read(path, "published")


def test_short_row_names_the_line(tmp_path):
    path = _write(tmp_path, HEADER + "2020,Texas,10\n")
    with pytest.raises(InputError, match="f.csv, line 2: 3 cells where the header has 6"):
        sources.read(path, "published")


def test_read_returns_contract_frame_and_source_line(ingested):
    path = ingested / "raw" / "published" / "uscis_i131_parole_quarterly.csv"
    counts = sources.read(path, "published")
    pip = counts[counts["category"] == "parole-in-place"]
    line = source_line(pip)
    assert line.startswith("Source: USCIS, Number of Service-wide Forms by Quarter")
    assert "FY2020-Q1 to FY2026-Q2" in line
    times = sources.read(path, "published", table="processing_times")
    assert set(times["statistic"]) == {"median"}


CITED = ("fiscal_year,state_name,released_to_sponsors,period_note,source_title,publisher,"
         "source_url,source_locator\n")


def test_cited_state_rows_carry_the_publisher_address_and_place(tmp_path):
    path = _write(tmp_path, CITED + "2025,Texas,5,partial year,T,P,https://example.gov/t,"
                                    "\"sheet State, row 47 (Texas), column L (FY25)\"\n")
    [row] = sources.read(path, "published").to_dict("records")
    assert row["citation"] == "P, T, FY2025. https://example.gov/t"
    assert row["source_locator"] == ("line 2, column released_to_sponsors (Texas, FY2025); "
                                     "published at sheet State, row 47 (Texas), column L (FY25)")
    assert row["note"] == "partial year"


OHSS = ("period,country,paroled,status,release,note,source_title,publisher,source_url,"
        "source_locator\n")


def test_ohss_rows_keep_rounded_and_not_applicable(tmp_path):
    path = _write(tmp_path, OHSS + "\n".join([
        "2022-12,Total,510,rounded,2024-07,r,T,P,https://x.gov,\"row 7, column C\"",
        "2022-12,Cuba,,not_applicable,2024-07,X,T,P,https://x.gov,\"row 7, column D\"",
        "2022-12,Venezuela,510,rounded,2024-07,r,T,P,https://x.gov,\"row 7, column G\"",
        "2023-01,Total,100,rounded,2024-07,r,T,P,https://x.gov,\"row 8, column C\"",
        "2023-01,Cuba,40,rounded,2024-07,r,T,P,https://x.gov,\"row 8, column D\"",
        "2023-01,Venezuela,50,rounded,2024-07,r,T,P,https://x.gov,\"row 8, column G\"",
        "FY2023,Total,620,rounded,2024-07,r,T,P,https://x.gov,\"row 4, column C\""]) + "\n")
    result = sources.load(path, "published")
    counts = result.tables["counts"].set_index(["period", "category"])
    cuba = counts.loc[("2022-12", "chnv-parole-cuba")]
    assert cuba["status"] == "not_applicable" and cuba["value"] != cuba["value"]  # NaN
    assert counts.loc[("2023-01", "chnv-parole"), "status"] == "rounded"
    assert set(counts["source"]) == {"ohss-monthly"}
    checks = {(c.period, c.check.split(" (")[0]): c.difference for c in result.reconciliation}
    assert checks[("2023-01", "countries sum to the Total column")] == -10
    assert checks[("2022-12", "countries sum to the Total column")] == 0
    assert checks[("FY2023", "months sum to the Total row")] == -10


def test_ohss_status_that_contradicts_the_cell_is_refused(tmp_path):
    path = _write(tmp_path, OHSS + "2023-01,Cuba,40,not_applicable,2024-07,X,T,P,u,l\n")
    with pytest.raises(InputError, match="line 2: status 'not_applicable' does not fit"):
        sources.read(path, "published")


def test_ohss_rows_name_their_release(tmp_path):
    path = _write(tmp_path, OHSS + "2023-01,Cuba,40,rounded,2024-07,r,T,P,u,l\n")
    assert sources.load(path, "published").release == "2024-07"
    mixed = _write(tmp_path, OHSS + "2023-01,Cuba,40,rounded,2024-07,r,T,P,u,l\n"
                                    "2023-02,Cuba,40,rounded,2024-08,r,T,P,u,l\n", "m.csv")
    with pytest.raises(InputError, match="column release holds 2024-07, 2024-08"):
        sources.load(mixed, "published")
