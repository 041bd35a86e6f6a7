"""`parole chart KIND`: one chart per kind from the ingested bundled data, and clear errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.errors import ParoleError
from analysis.ingest import storage
from analysis.viz.provenance import source_line


def run(*argv: str) -> int:
    """Run `parole chart ...` through the real command line, errors raised (not printed)."""
    args = cli.build_parser().parse_args(["chart", *argv])
    return args.func(args)


def svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()
    parts = ["".join(n.itertext()) for n in root.iter("{http://www.w3.org/2000/svg}text")]
    return re.sub(r"\s+", " ", " ".join(parts))


ORR = ["--category", "uc-released-to-sponsors", "--measure", "released", "--period", "FY2019"]
CASES = {
    "tilemap": ORR,
    "bar": [*ORR, "--top", "3"],
    "trend": ["--series", "humanitarian-parole", "--measure", "received"],
    "stacked": ["--series", "parole-in-place", "--size", "social"],
    "km": ["--synthetic", "--seed", "1", "--cases", "600", "--size", "print"],
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_kind_writes_png_svg_and_alt_text(kind, ingested, tmp_path):
    out = tmp_path / "charts" / f"{kind}.png"
    assert run(kind, *CASES[kind], "--data-dir", str(ingested), "--out", str(out)) == 0
    for suffix in (".png", ".svg", ".alt.txt", ".csv"):
        assert out.with_suffix(suffix).stat().st_size > 0
    data = pd.read_csv(out.with_suffix(".csv"))
    assert {"status", "source_file", "source_locator", "citation"} <= set(data.columns)
    text = svg_text(out.with_suffix(".svg"))
    assert "Source:" in text
    assert ("SYNTHETIC" in text) == (kind == "km")


def test_tilemap_source_line_and_values_come_from_the_data(ingested, tmp_path):
    counts = storage.read_table("counts", ingested)
    shown = counts[(counts["category"] == "uc-released-to-sponsors")
                   & (counts["measure"] == "released") & (counts["period"] == "FY2019")
                   & (counts["geo_level"] == "state")]
    out = tmp_path / "orr.png"
    run("tilemap", *ORR, "--data-dir", str(ingested), "--out", str(out))
    assert source_line(shown) in svg_text(out.with_suffix(".svg"))
    top = shown.sort_values("value", ascending=False).iloc[0]
    alt = out.with_suffix(".alt.txt").read_text()
    assert f"{top['geo_name']} had the most" in alt
    assert f"{top['geo_code']} {top['value']:,.0f}" in alt


def test_bar_top_n_lists_the_largest_shares(ingested, tmp_path):
    counts = storage.read_table("counts", ingested)
    shown = counts[(counts["category"] == "uc-released-to-sponsors")
                   & (counts["measure"] == "released") & (counts["period"] == "FY2019")
                   & (counts["geo_level"] == "state")].sort_values("value", ascending=False)
    out = tmp_path / "bar.png"
    run("bar", *ORR, "--top", "3", "--data-dir", str(ingested), "--out", str(out))
    alt = out.with_suffix(".alt.txt").read_text()
    values = alt.split("Values, largest first: ")[1]
    names = [part.split(" ")[0] for part in values.split("; ")]
    assert len(names) == 3
    expected = [n.split(" ")[0] for n in shown["geo_name"].head(3)]
    assert names == expected
    assert "Wilson interval" in alt


@pytest.mark.parametrize("argv, message", [
    (["pie", "--out", "x.png"], "unknown chart kind 'pie'"),
    (["bar", "--category", "uc-released-to-sponsors", "--out", "x.png"],
     "bar needs --measure and --period"),
    (["tilemap", "--category", "no-such", "--measure", "m", "--period", "FY2019",
      "--out", "x.png"], "no rows of category 'no-such'"),
    (["tilemap", *ORR[:-1], "FY1999", "--out", "x.png"], "no rows with --period 'FY1999'"),
    (["trend", "--series", "no-such", "--out", "x.png"], "unknown series 'no-such'"),
    (["stacked", "--series", "parole-in-place", "--parts", "approved,granted", "--out",
      "x.png"], "no granted figures"),
    (["trend", "--series", "parole-in-place", "--out", "x.jpg"], "ending in .png or .svg"),
    (["trend", "--series", "parole-in-place", "--size", "poster", "--out", "x.png"],
     "unknown size 'poster'"),
    (["trend", "--series", "parole-in-place", "--category", "x", "--out", "x.png"],
     "not both"),
])
def test_user_errors_are_one_line_parole_errors(argv, message, ingested, tmp_path):
    argv = [a if a != "x.png" and a != "x.jpg" else str(tmp_path / a) for a in argv]
    with pytest.raises(ParoleError, match=re.escape(message)) as info:
        run(*argv, "--data-dir", str(ingested))
    assert "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_missing_processed_data_is_a_clear_error(tmp_path):
    with pytest.raises(ParoleError, match="run `parole ingest` first"):
        run("tilemap", *ORR, "--data-dir", str(tmp_path), "--out", str(tmp_path / "x.png"))


def test_trend_leaves_part_year_out_and_names_the_place(ingested, tmp_path):
    out = tmp_path / "ca.png"
    assert run("trend", "--category", "uc-released-to-sponsors", "--measure", "released",
               "--freq", "FY", "--geo", "CA", "--data-dir", str(ingested),
               "--out", str(out)) == 0
    data = pd.read_csv(out.with_suffix(".csv"))
    assert data["period"].tolist() == [f"FY{y}" for y in range(2015, 2026)]
    part = data["period"].isin(["FY2025"])  # the bundled part-year table (FY2021: full year)
    # part years are not described: never a knot of the segments, none drawn after the last
    # full year
    assert (data.loc[part, "direction"] != data.loc[part, "value"]).all()
    assert pd.isna(data.set_index("period").loc["FY2025", "direction"])
    assert data.loc[part, "part_year"].all() and not data.loc[~part, "part_year"].any()
    alt = out.with_suffix(".alt.txt").read_text()
    assert "in California" in alt.split(".")[1]  # the place filter is in the title
    assert "FY2025 left out" in alt
    assert "500 in FY2025 (part year)" in alt


def test_trend_title_and_segments_follow_the_published_turn(ingested, tmp_path):
    """California's releases peaked at 13,730 in FY2022 and fell to 10,819 in FY2024
    (published): one rate over FY2015-FY2024 would hide that. The title says the turn, and
    the dashed segments pass through those published figures."""
    out = tmp_path / "ca.png"
    run("trend", "--category", "uc-released-to-sponsors", "--measure", "released", "--freq",
        "FY", "--geo", "CA", "--data-dir", str(ingested), "--out", str(out))
    alt = out.with_suffix(".alt.txt").read_text()
    assert "peak of 13,730 in FY2022, then fell 21% to 10,819 in FY2024" in alt
    assert "a year" not in alt and "regression" not in alt
    data = pd.read_csv(out.with_suffix(".csv")).set_index("period")
    for period in ("FY2015", "FY2022", "FY2024"):  # the knots: on the published figures
        assert data.loc[period, "direction"] == data.loc[period, "value"]
    # straight between knots: FY2023 lies between the FY2022 and FY2024 figures
    assert 10_819 < data.loc["FY2023", "direction"] < 13_730


def test_share_trend_draws_no_interval_on_complete_counts(ingested, tmp_path):
    out = tmp_path / "ds.png"
    run("trend", "--series", "humanitarian-parole", "--measure", "denial-share",
        "--data-dir", str(ingested), "--out", str(out))
    alt = out.with_suffix(".alt.txt").read_text()
    assert "interval" not in alt.replace("no interval is drawn", "")
    assert not {"lower", "upper"} & set(pd.read_csv(out.with_suffix(".csv")).columns)


def test_flagged_pending_figures_are_marked_and_left_out_of_the_fit(ingested, tmp_path):
    out = tmp_path / "hp.png"
    assert run("trend", "--series", "humanitarian-parole", "--measure", "pending",
               "--data-dir", str(ingested), "--out", str(out)) == 0
    svg = out.with_suffix(".svg").read_text()
    assert 'id="flag-FY2024-Q2"' in svg and 'id="flag-FY2024-Q3"' in svg
    alt = out.with_suffix(".alt.txt").read_text()
    assert "FY2024-Q2, FY2024-Q3 left out" in alt
    data = pd.read_csv(out.with_suffix(".csv"))
    assert data.loc[data["flagged"].notna(), "period"].tolist() == ["FY2024-Q2", "FY2024-Q3"]
    assert data.loc[data["flagged"].notna(), "direction"].notna().all()  # the segment spans


def test_print_size_writes_300_dpi(ingested, tmp_path):
    from PIL import Image

    out = tmp_path / "p.png"
    assert run("stacked", "--series", "parole-in-place", "--size", "print",
               "--data-dir", str(ingested), "--out", str(out)) == 0
    assert Image.open(out).info["dpi"][0] >= 299.5
