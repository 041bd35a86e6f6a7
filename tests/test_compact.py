"""Aggregate first: compact tables from DuckDB on DataFrames, Parquet files and hive folders;
one quantile rule; trend fit with band and fallbacks; the same tables on Spark."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from analysis.errors import ParoleError
from analysis.ingest.sources import case_records
from analysis.stats import compact, shares, timing, trends
from analysis.stats.synthetic import generate_cases, write_cases

AS_OF = "2024-09-30"


def write(df: pd.DataFrame, path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path,
                   coerce_timestamps="us", allow_truncated_timestamps=True)


def decided_on(days, start="2024-01-01"):
    start = pd.Timestamp(start)
    return pd.DataFrame({"received_date": [start] * len(days),
                         "decided_date": [start + pd.Timedelta(days=d) for d in days],
                         "outcome": "approved", "source": "case-records", "synthetic": False})


# -- one median rule ----------------------------------------------------------------------

def test_one_median_rule_where_the_rules_differ():
    cases = decided_on([10, 20, 30, 40])
    km = timing.kaplan_meier(cases, as_of=AS_OF)
    # survival after day 20 is exactly 0.5: two of four decided by day 20
    assert km["survival"].tolist() == pytest.approx([0.75, 0.5, 0.25, 0.0])
    # the rules that would disagree: statsmodels' strict inequality says 30, R's midpoint 25
    sf = SurvfuncRight(np.array([10, 20, 30, 40]), np.ones(4))
    assert sf.quantile(0.5) == 30 and np.median([10, 20, 30, 40]) == 25
    # the library's one rule: the first day by which half were decided
    assert timing.km_quantiles(cases, as_of=AS_OF, probs=[0.5])["days"].iloc[0] == 20
    assert timing.empirical_quantiles(cases, as_of=AS_OF, probs=[0.5])["days"].iloc[0] == 20
    assert timing.median_days(km["days"], km["survival"]) == 20
    assert timing.quantile_days(km["days"], km["survival"], 0.75) == 30
    assert np.isnan(timing.median_days([5, 9], [0.9, 0.6]))
    with pytest.raises(ParoleError, match="outside"):
        timing.quantile_days([1], [0.5], 1.0)


def test_quantile_rule_survives_rounding_of_the_product():
    # 1 - 1/4 then 1 - 1/3: 0.75 * 0.666... is 0.5 up to floating-point error
    cases = decided_on([1, 2, 3, 4, 5, 6])
    cases.loc[len(cases)] = [pd.Timestamp("2024-01-01"), pd.NaT, "pending", "case-records",
                             False]
    cases.loc[len(cases)] = [pd.Timestamp("2024-01-01"), pd.NaT, "pending", "case-records",
                             False]
    cases = cases.iloc[[0, 1, 6, 7, 2, 3, 4, 5]].reset_index(drop=True)
    q = timing.km_quantiles(cases, as_of="2024-01-07", probs=[0.25, 0.5])
    km = timing.kaplan_meier(cases, as_of="2024-01-07")
    s = km["survival"].to_numpy()
    # by hand: 8 at risk, one decided each day 1..6, two pending censored at day 6
    assert s[:4] == pytest.approx([7 / 8, 6 / 8, 5 / 8, 4 / 8])
    assert q["days"].tolist() == [2.0, 4.0]


# -- compact tables from every kind of input -------------------------------------------------

@pytest.fixture(scope="module")
def cases():
    return generate_cases(6000, seed=3)


@pytest.fixture(scope="module")
def files(cases, tmp_path_factory):
    base = tmp_path_factory.mktemp("cases")
    single = base / "cases.parquet"
    write(cases, single)
    folder = base / "cases"
    for i, start in enumerate(range(0, len(cases), 2000)):
        part = cases.iloc[start:start + 2000]
        case_records.write_partitions(part, folder, name=f"part-{i}")
    return single, folder


def test_file_folder_and_frame_give_identical_results(cases, files):
    single, folder = files
    assert sorted(p.name for p in folder.iterdir()) == [
        "fiscal_year=2021", "fiscal_year=2022", "fiscal_year=2023", "fiscal_year=2024"]
    tables = [timing.survival_table(x, by="state", as_of=AS_OF) for x in (cases, single, folder)]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
        assert other.attrs["label"] == "SYNTHETIC"
    shares_ = [shares.shares_from_cases(x, by="basis", of={"outcome": "approved"})
               for x in (cases, single, folder)]
    for other in shares_[1:]:
        pd.testing.assert_frame_equal(shares_[0], other)
    # the partition column is a real grouping column, and where= prunes partitions
    by_fy = compact.group_counts(folder, "fiscal_year")
    assert by_fy["group"].tolist() == ["2021", "2022", "2023", "2024"]
    fy = pd.Series(cases["received_date"]).dt.year + (cases["received_date"].dt.month >= 10)
    assert by_fy["n"].tolist() == fy.value_counts().sort_index().tolist()
    only = timing.survival_table(folder, by="state", as_of=AS_OF, where={"fiscal_year": 2023})
    mask = (fy == 2023).to_numpy()
    assert only["events"].sum() + only["censored"].sum() == mask.sum()
    pd.testing.assert_frame_equal(
        only, timing.survival_table(cases[mask], by="state", as_of=AS_OF))


def test_compact_counts_match_counting_by_hand(cases):
    table = compact.group_counts(cases, ["state", "basis"], of={"outcome": ["approved"]})
    hand = cases.groupby(["state", "basis"]).agg(
        n=("outcome", "size"), k=("outcome", lambda s: int((s == "approved").sum())))
    assert table["group"].tolist() == [f"{a} | {b}" for a, b in hand.index]
    assert table["n"].tolist() == hand["n"].tolist() and table["k"].tolist() == hand["k"].tolist()
    per = compact.period_counts(cases, None)
    assert per["count"].sum() == len(cases)
    assert set(per["quarter"]) == {1, 2, 3, 4}


def test_missing_group_values_and_labels(tmp_path):
    df = decided_on([3, 4, 5])
    df["state"] = ["CA", None, "CA"]
    out = compact.group_counts(df, "state")
    assert out["group"].tolist() == ["CA", "(missing)"] and out["n"].tolist() == [2, 1]
    assert out.attrs["label"] == "" and out.attrs["sources"] == ["case-records"]
    # mixed real and synthetic rows in one file: the statistics cannot tell, the query does
    mixed = pd.concat([df, decided_on([7]).assign(state="TX", synthetic=True,
                                                  source="synthetic")], ignore_index=True)
    write(mixed, tmp_path / "mixed.parquet")
    assert compact.source(tmp_path / "mixed.parquet").synthetic is None
    assert compact.group_counts(tmp_path / "mixed.parquet", "state").attrs["label"] == (
        "SYNTHETIC")
    write(df, tmp_path / "real.parquet")
    assert compact.source(tmp_path / "real.parquet").synthetic is False
    assert shares.shares_from_cases(tmp_path / "real.parquet", by="state")["label"].eq("").all()


def test_bad_records_are_named_from_files_too(tmp_path):
    bad = decided_on([3, 4])
    bad.loc[1, "decided_date"] = bad.loc[1, "received_date"] - pd.Timedelta(days=2)
    write(bad, tmp_path / "bad.parquet")
    with pytest.raises(ParoleError, match="1 case.s. decided before received"):
        timing.survival_table(tmp_path / "bad.parquet", as_of=AS_OF)
    with pytest.raises(ParoleError, match="first at row 1"):
        timing.survival_table(bad, as_of=AS_OF)
    with pytest.raises(ParoleError, match="no such file"):
        timing.survival_table(tmp_path / "absent.parquet")
    with pytest.raises(ParoleError, match="engine"):
        compact.group_counts(bad, engine="oracle")
    with pytest.raises(ParoleError, match="no column"):
        compact.group_counts(bad, 'state"; DROP TABLE cases; --')
    odd = bad.assign(**{'x"; DROP TABLE cases; --': 1})
    with pytest.raises(ParoleError, match="letters, digits"):
        compact.group_counts(odd, 'x"; DROP TABLE cases; --')
    with pytest.raises(ParoleError, match="needs the cases as a DataFrame"):
        shares.shares_from_cases(tmp_path / "bad.parquet", by="outcome",
                                 of=lambda df: df["outcome"] == "approved")


# -- trends: one fit for the numbers and the band; fallbacks; part-years ----------------------

def test_trend_fit_band_comes_from_the_same_fit():
    values = [1000, 1100, 1210, 1331, 1464]
    table = pd.DataFrame({"period": [f"FY{2019 + i}" for i in range(5)], "count": values})
    fit = trends.trend_fit(table, family="poisson")
    assert fit.summary["pct_change_per_year"] == pytest.approx(10, abs=0.05)
    band = fit.band
    assert band["used"].all() and (band["lower"] < band["fitted"]).all()
    growth = band["fitted"].iloc[1] / band["fitted"].iloc[0] - 1
    # the band's slope is the summary's, up to the days in a leap year
    assert 100 * growth == pytest.approx(fit.summary["pct_change_per_year"], rel=2e-3)
    assert trends.trend(table, family="poisson").iloc[0]["pct_change_per_year"] == (
        fit.summary["pct_change_per_year"])
    # the band at periods left out of the fit (a gap, the year after)
    at = trends.trend_fit(table.iloc[[0, 1, 3, 4]], family="poisson",
                          at=["FY2019", "FY2020", "FY2021", "FY2022", "FY2023", "FY2024"]).band
    assert at["used"].tolist() == [True, True, False, True, True, False]
    assert np.isnan(at["observed"].iloc[2]) and np.isfinite(at["fitted"]).all()
    assert at["fitted"].is_monotonic_increasing


def test_part_years_are_left_out_with_the_reason():
    table = pd.DataFrame({"period": ["FY2020", "FY2021", "FY2022", "FY2023", "FY2024"],
                          "count": [1000, 1000, 1000, 1000, 200],
                          "exposure": [1, 1, 1, 1, 0.25],
                          "complete": [True, True, True, True, False]})
    row = trends.trend(table).iloc[0]
    assert row["n_periods"] == 4 and row["last_period"] == "FY2023"
    assert "part-year" in row["note"] and "FY2024" in row["note"]
    fit = trends.trend_fit(table)
    assert fit.band.set_index("period").loc["FY2024", "used"] == False  # noqa: E712
    offset = trends.trend(table, part_years="offset").iloc[0]
    # with the exposure offset a quarter-year of 200 reads as a fall (250 would be steady)
    assert offset["n_periods"] == 5 and offset["pct_change_per_year"] < 0


def test_negative_binomial_falls_back_with_a_reason_never_nan():
    # Poisson-like counts: the negative binomial's dispersion goes to 0 and it cannot converge
    table = pd.DataFrame({"period": [f"FY{2015 + i}" for i in range(9)],
                          "count": [7225, 6256, 5315, 4501, 3906, 3445, 2874, 2492, 2112]})
    row = trends.trend(table, family="negative-binomial").iloc[0]
    assert row["status"] == "estimated"
    assert np.isfinite([row["pct_change_per_year"], row["lower"], row["upper"]]).all()
    if row["family"] != "negative-binomial":
        assert row["family"] == "quasi-poisson"
        assert re.search(r"fell back to quasi-Poisson: the fit", row["note"])
    # over-dispersed counts: the negative binomial converges and is used
    noisy = table.assign(count=[7225, 5256, 6315, 3501, 4906, 2445, 3874, 1492, 2812])
    used = trends.trend(noisy, family="negative-binomial").iloc[0]
    assert used["family"] == "negative-binomial" and used["dispersion"] > 0.001
    assert np.isfinite([used["lower"], used["upper"]]).all()


# -- chunked ingestion --------------------------------------------------------------------

def test_large_csv_ingests_in_chunks_into_partitions(tmp_path):
    lines = ["Receipt Number,Receipt Date,Decision Date,Decision,State"]
    for i in range(2500):
        fy = 2021 + i % 3
        lines.append(f"R{i},{fy}-01-{1 + i % 28:02d},{f'{fy}-03-01' if i % 3 else ''},"
                     f"{'approved' if i % 3 else 'pending'},{'CA' if i % 2 else 'TX'}")
    lines.append("R7,2022-01-01,,pending,CA")  # repeats line 9, in another chunk
    lines.append("R9999,not a date,,pending,CA")
    path = tmp_path / "extract.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "processed" / "cases"
    rep = case_records.ingest_large(path, out, source_file="extract.csv", citation="test",
                                    chunk_rows=1000, progress=False)
    assert rep["rows"]["cases"] == 2500 and rep["rejected_total"] == 2
    reasons = {r["locator"]: r["reason"] for r in rep["rejected"]}
    assert reasons["extract.csv, line 2502"] == "case_id 'R7' repeats line 9"
    assert "not a date" in reasons["extract.csv, line 2503"]
    assert rep["partitions"] == {"2021": 834, "2022": 833, "2023": 833}
    table = compact.group_counts(out, "fiscal_year")
    assert table["n"].tolist() == [834, 833, 833]
    # ingesting again replaces the earlier files of the same extract
    case_records.ingest_large(path, out, source_file="extract.csv", citation="test",
                              chunk_rows=1000, progress=False)
    assert compact.group_counts(out, None)["n"].tolist() == [2500]


# -- the same statistics on Spark ---------------------------------------------------------

def _has_jvm() -> bool:
    java_home = os.environ.get("JAVA_HOME", "")
    return shutil.which("java") is not None or (
        bool(java_home) and (Path(java_home) / "bin" / "java").is_file())


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                    reason="pyspark is not installed (pip install 'parole-stats[spark]')")
@pytest.mark.skipif(not _has_jvm(), reason="no Java runtime (JVM): Spark cannot start; "
                                           "install a JDK or set JAVA_HOME")
def test_duckdb_and_spark_give_identical_tables_and_statistics(tmp_path):
    path = tmp_path / "cases_1m.parquet"
    write_cases(path, 1_000_000, seed=100, chunk=250_000, with_ids=False)
    got = {}
    for engine in ("duckdb", "spark"):
        surv = timing.survival_table(path, by="state", as_of=AS_OF, engine=engine)
        got[engine] = {
            "survival": surv,
            "groups": compact.group_counts(path, ["state", "fiscal_year"],
                                           of={"basis": "medical"}, engine=engine),
            "periods": compact.period_counts(path, "basis", engine=engine),
            "outcomes": compact.outcome_counts(path, None, engine=engine),
            "km": timing.km_quantiles(surv, probs=[0.5, 0.8]),
            "logrank": timing.logrank(surv),
            "shares": shares.shares_from_cases(path, by="state", of={"basis": "medical"},
                                               engine=engine),
            "trend": trends.trend(trends.counts_by_period(path, engine=engine)),
        }
    assert len(got["duckdb"]["survival"]) > 10_000
    assert got["duckdb"]["survival"][["events", "censored"]].to_numpy().sum() == 1_000_000
    for name, frame in got["duckdb"].items():
        pd.testing.assert_frame_equal(frame, got["spark"][name], check_dtype=False,
                                      obj=name)
