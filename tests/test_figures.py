"""The figures a reader is shown, each named with the raw row it comes from.

Each expected value below was read by hand from the bundled file and line it names (open the
file: the line number counts the header as line 1), not from the code's output. The test reads
that line itself too, so a changed raw file fails with the line that moved, and a changed
adapter or report fails with the figure it broke. When a bundled file is legitimately revised,
re-read the line and change the figure here.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"

# (table, the row's keys, value column, figure, raw file under data/raw, line, raw column)
FIGURES = [
    ("counts", {"category": "humanitarian-parole", "measure": "received", "period": "FY2023-Q2"},
     "value", 2328, "published/uscis_i131_parole_quarterly.csv", None, "received"),
    ("counts", {"category": "parole-in-place", "measure": "received", "period": "FY2020-Q1"},
     "value", 2517, "published/uscis_i131_parole_quarterly.csv", 2, "received"),
    ("counts", {"category": "parole-in-place", "measure": "pending", "period": "FY2020-Q1"},
     "value", 2228, "published/uscis_i131_parole_quarterly.csv", 2, "pending"),
    ("counts", {"source": "hhs-orr-uc", "geo_code": "AL", "period": "FY2015"},
     "value", 808, "published/hhs_orr_uc_released_by_state.csv", 2, "released_to_sponsors"),
    ("counts", {"source": "hhs-orr-uc", "geo_code": "AL", "period": "FY2022"},
     "value", 2378, "published/hhs_orr_uc_released_by_state_fy2022_fy2025.csv", 2,
     "released_to_sponsors"),
    ("counts", {"source": "hhs-orr-uc", "geo_code": "06037", "period": "FY2021"},
     "value", 325, "published/hhs_orr_uc_released_by_county_fy2021.csv", 3,
     "released_to_sponsors"),
    ("counts", {"category": "chnv-parole-cuba", "measure": "paroled", "period": "FY2023"},
     "value", 49190, "published/ohss_chnv_paroles_monthly.csv", 3, "paroled"),
    ("processing_times", {"subtype": "141A-RT", "geo_code": "NSC", "statistic": "p80",
                          "as_of": pd.Timestamp("2023-07-13")},
     "months", 17.5, "published/uscis_processing_times_i131.csv", 2, "months_80th_percentile"),
    ("published_figures", {"figure_id": "gao-2008-hp-adjudicated"},
     "value", 8748, "published/published_figures.csv", 2, "value"),
]


def _raw_line(path: str, line: int) -> dict[str, str]:
    with open(RAW / path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[line - 2]


def _one_row(frame: pd.DataFrame, keys: dict) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column].eq(value)
    assert mask.sum() == 1, f"{keys}: {mask.sum()} rows"
    return frame[mask].iloc[0]


@pytest.mark.parametrize(("table", "keys", "column", "figure", "raw", "line", "raw_column"),
                         FIGURES, ids=[f"{f[4].split('/')[-1]}:{f[5]}:{f[3]}" for f in FIGURES])
def test_figure_and_its_source_row(ingested, table, keys, column, figure, raw, line, raw_column):
    row = _one_row(pd.read_parquet(ingested / "processed" / f"{table}.parquet"), keys)
    assert row[column] == figure
    assert row["source_file"] == raw
    if line is not None:
        assert re.match(rf"line {line}\b", row["source_locator"])
        assert float(_raw_line(raw, line)[raw_column]) == figure


def test_the_fy2023_q2_row_is_found_by_its_line(ingested):
    counts = pd.read_parquet(ingested / "processed" / "counts.parquet")
    row = _one_row(counts, FIGURES[0][1])
    line = int(row["source_locator"].split(",")[0].removeprefix("line "))
    raw = _raw_line(FIGURES[0][4], line)
    assert (raw["fiscal_year"], raw["fiscal_quarter"], raw["series"]) == \
        ("2023", "2", "humanitarian-parole")
    assert (raw["received"], raw["approved"], raw["denied"], raw["pending"]) == \
        ("2328", "1105", "947", "44220")


@pytest.mark.slow
def test_national_overview_shows_the_fy2023_q2_row(rendered):
    """The quarter's row as a reader sees it: 947 / (1,105 + 947) = 46.1% denied, shown as 46%."""
    import html

    page = (rendered / "national_overview" / "default.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"(?s)<[^>]+>", " ", page)).split())
    assert "FY2023-Q2 2,328 1,105 947 44,220 46%" in text
