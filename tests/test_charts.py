"""Chart module: files written, source lines and SYNTHETIC marks in the SVG, the tile grid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import us

from analysis.errors import ParoleError
from analysis.viz import charts
from analysis.viz import tilemap as tilegrid
from analysis.viz.provenance import source_line

matplotlib.use("Agg")

SVG_NS = "{http://www.w3.org/2000/svg}"
STATES_AND_DC = {s.abbr for s in us.states.STATES} | {"DC"}


def svg_text(path: Path) -> str:
    """All text drawn in an SVG, lines joined by spaces (wrapped lines come back whole)."""
    root = ET.parse(path).getroot()
    parts = ["".join(node.itertext()) for node in root.iter(f"{SVG_NS}text")]
    return re.sub(r"\s+", " ", " ".join(parts))


def svg_ids(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return [node.get("id") for node in root.iter() if node.get("id")]


def rows(citation: str = "Test Agency, Table 7, FY2020", synthetic: bool = False):
    frame = pd.DataFrame({
        "period": ["FY2020", "FY2020"], "period_start": pd.to_datetime(["2019-10-01"] * 2),
        "citation": [citation] * 2, "source_file": ["published/table7.csv"] * 2,
    })
    if synthetic:
        frame["synthetic"] = True
    return frame


def test_tilegrid_has_every_state_and_dc_once_on_distinct_tiles():
    grid = tilegrid.layout()
    assert set(grid["code"]) == STATES_AND_DC
    assert len(grid) == 51
    assert not grid[["row", "col"]].duplicated().any()
    with_pr = tilegrid.layout(("PR",))
    assert set(with_pr["code"]) == STATES_AND_DC | {"PR"}
    with pytest.raises(ParoleError, match="GU"):
        tilegrid.layout(("GU",))


def test_tile_map_places_every_state_once_and_flags_missing(tmp_path):
    values = {code: float(i + 1) for i, code in enumerate(sorted(STATES_AND_DC - {"VT", "WY"}))}
    values["GU"] = 5.0  # no tile for Guam: must be said, not dropped silently
    fig = charts.tile_map(values, title="Most in AK", subtitle="Test counts by state",
                          source=rows(), missing_reason={"WY": "suppressed"})
    written = charts.save(fig, tmp_path / "map.png")
    svg = written[1]
    tiles = [i.removeprefix("tile-") for i in svg_ids(svg) if i.startswith("tile-")]
    assert sorted(tiles) == sorted(STATES_AND_DC)  # each exactly once, nothing else
    codes = [i.removeprefix("code-") for i in svg_ids(svg) if i.startswith("code-")]
    assert sorted(codes) == sorted(STATES_AND_DC)
    text = svg_text(svg)
    assert "Hatched: no figure for VT, WY (suppressed)." in text
    assert "Not on the map: GU 5." in text
    alt = written[2].read_text()
    assert "49 of 51 places have a figure" in alt
    assert "no figure for VT, WY (suppressed)" in alt


def test_tile_map_rejects_duplicates_and_empty():
    frame = pd.DataFrame({"geo_code": ["CA", "CA"], "value": [1.0, 2.0]})
    with pytest.raises(ParoleError, match="several rows for CA"):
        charts.tile_map(frame, title="t", subtitle="s", source="Source: x")
    with pytest.raises(ParoleError, match="no state has a value"):
        charts.tile_map({"CA": float("nan")}, title="t", subtitle="s", source="Source: x")


def test_save_writes_png_svg_and_alt_text_with_the_numbers(tmp_path):
    table = pd.DataFrame({"group": ["Texas", "Ohio"], "estimate": [0.40, 0.10],
                          "lower": [0.35, 0.08], "upper": [0.45, 0.12]})
    fig = charts.bar_intervals(table, title="Texas had 40% of releases",
                               subtitle="Share of releases", source=rows())
    written = charts.save(fig, tmp_path / "out" / "bar.png")
    assert [p.name for p in written] == ["bar.png", "bar.svg", "bar.alt.txt", "bar.csv"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert written[1].read_text().lstrip().startswith("<?xml")
    alt = written[2].read_text()
    assert alt.startswith("Horizontal bar chart with interval whiskers. Texas had 40% of")
    assert "Texas 40% (35% to 45%)" in alt
    assert "Ohio 10% (8% to 12%)" in alt  # one decimal count per interval
    assert source_line(rows()) in alt
    data = pd.read_csv(written[3])
    assert data["group"].tolist() == ["Texas", "Ohio"]
    assert data["estimate"].tolist() == [0.40, 0.10]
    assert {"status", "source_file", "source_locator", "citation"} <= set(data.columns)
    assert (data["source_file"] == "published/table7.csv").all()


def test_source_line_from_rows_is_searchable_text_in_svg(tmp_path):
    long_citation = ("Office of Examples, Very Long Table Title That Has To Wrap Across More "
                     "Than One Line In The Footer Of A Small Print Chart, FY2020")
    frame = rows(long_citation)
    table = pd.DataFrame({"p": ["A", "B", "C"], "y": [1.0, 2.0, 3.0]})
    fig = charts.line_chart(table, x="p", columns=["y"], labels={"y": "Y"}, title="Up",
                            subtitle="Count", source=frame, size="print")
    svg = charts.save(fig, tmp_path / "line.png", alt_text="Line rises from 1 to 3")[1]
    assert source_line(frame) in svg_text(svg)
    assert "SYNTHETIC" not in svg_text(svg)
    assert (tmp_path / "line.alt.txt").read_text() == "Line rises from 1 to 3\n"


def test_synthetic_rows_carry_a_visible_mark(tmp_path):
    curves = pd.DataFrame({"group": ["a"] * 3 + ["b"] * 3, "days": [10, 20, 30] * 2,
                           "survival": [0.8, 0.5, 0.2, 0.9, 0.7, 0.6],
                           "synthetic": True})
    fig = charts.km_curves(curves, title="a cases were decided faster",
                           subtitle="Share still waiting", source=rows(synthetic=True))
    written = charts.save(fig, tmp_path / "km.png")
    text = svg_text(written[1])
    assert "SYNTHETIC DATA" in text  # corner tag
    assert text.count("SYNTHETIC") >= 3  # tag, watermark, source line
    alt = written[2].read_text()
    assert alt.startswith("SYNTHETIC DATA, not real figures.")
    assert "a: half decided by day 20" in alt
    assert "b: more than half still waiting at day 30" in alt


def test_km_chart_median_is_the_library_rule_where_float_error_would_move_it(tmp_path):
    # 24 cases decided on days 1..24: the curve after day 12 is 0.5000000000000001 in floating
    # point, so "first day with survival <= 0.5" would say 13; the one rule says 12
    from analysis.stats import timing

    start = pd.Timestamp("2024-01-01")
    cases = pd.DataFrame({"received_date": [start] * 24,
                          "decided_date": [start + pd.Timedelta(days=d) for d in range(1, 25)],
                          "outcome": "approved", "source": "case-records", "synthetic": False})
    km = timing.kaplan_meier(cases, as_of="2024-12-31")
    after_12 = km.loc[km["days"] == 12, "survival"].iloc[0]
    assert after_12 > 0.5 and after_12 == pytest.approx(0.5)  # the trap is present
    assert timing.km_quantiles(cases, as_of="2024-12-31", probs=[0.5])["days"].iloc[0] == 12
    assert charts.median_time(km["days"].to_numpy(), km["survival"].to_numpy()) == 12
    fig = charts.km_curves(km, title="Half were decided within 12 days",
                           subtitle="Share still waiting", source=rows())
    alt = charts.save(fig, tmp_path / "km.png")[2].read_text()
    assert "half decided by day 12" in alt


def test_layout_keeps_header_plot_and_footer_apart():
    table = pd.DataFrame({"p": [f"FY20{y}-Q1" for y in range(10, 30)],
                          "a": np.arange(20.0), "b": np.arange(20.0) + 0.2})
    title = "A long finding that states what the chart shows and needs a second line " * 2
    fig = charts.line_chart(table, x="p", columns=["a", "b"],
                            labels={"a": "Approved", "b": "Also approved"}, title=title,
                            subtitle="What is measured", source="Source: somewhere",
                            size="social")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    plot = ax.get_tightbbox(renderer)
    texts = {t.get_text().split("\n")[0][:20]: t.get_window_extent(renderer) for t in fig.texts}
    assert texts["What is measured"].y0 > plot.y1
    assert texts["Source: somewhere"].y1 < plot.y0
    for box in (plot, *texts.values()):
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width + 0.5
    # the two end labels (values 19 and 19.2) are pushed apart instead of overlapping
    labels = [t for t in ax.texts if t.get_text() in ("Approved", "Also approved")]
    a, b = (t.get_window_extent(renderer) for t in labels)
    assert not a.overlaps(b)
    charts.plt.close(fig)


def test_spread_keeps_order_gap_and_bounds():
    out = charts._spread([0.5, 0.5, 0.95], gap=0.1, lo=0.0, hi=1.0)
    assert out[2] <= 1.0
    ordered = sorted(out)
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(ordered, ordered[1:], strict=False))


def test_stacked_and_trend_alt_text_state_key_numbers(tmp_path):
    table = pd.DataFrame({"period": ["FY2020", "FY2021"], "approved": [30.0, 10.0],
                          "denied": [10.0, 30.0], "synthetic": False})
    fig = charts.stacked_outcomes(table, x="period", parts=["approved", "denied"],
                                  labels={"approved": "Approved", "denied": "Denied"},
                                  title="Denials tripled", subtitle="Decisions",
                                  source=rows())
    alt = charts.alt_text(fig)
    assert "FY2020: Approved 30 (75%), Denied 10 (25%), total 40." in alt
    assert "FY2021: Approved 10 (25%), Denied 30 (75%), total 40." in alt
    charts.plt.close(fig)
    band = pd.DataFrame({"p": ["Q1", "Q2", "Q3"], "y": [0.2, 0.3, 0.4], "lo": [0.1, 0.2, 0.3],
                         "hi": [0.3, 0.4, 0.5], "synthetic": True})
    fig = charts.trend_band(band, x="p", y="y", lower="lo", upper="hi", label="Denials",
                            title="Denials rose", subtitle="Share", source="Source: t",
                            percent=True)
    alt = charts.alt_text(fig)
    assert alt.startswith("SYNTHETIC DATA")  # detected from the rows
    assert "Denials: 20% in Q1 (95% interval 10% to 30%), 40% in Q3" in alt
    svg = charts.save(fig, tmp_path / "band.svg")[1]
    assert "SYNTHETIC" in svg_text(svg)


def test_bad_inputs_raise_parole_error():
    with pytest.raises(ParoleError, match="unknown size"):
        charts.figure("poster")
    with pytest.raises(ParoleError, match="no column 'upper'"):
        charts.bar_intervals(pd.DataFrame({"group": ["a"], "estimate": [0.1], "lower": [0]}),
                             title="t", subtitle="s", source="Source: x")
    with pytest.raises(ParoleError, match="no column 'days'"):
        charts.km_curves(pd.DataFrame({"group": ["a"], "survival": [1.0]}), title="t",
                         subtitle="s", source="Source: x")
    fig, _ = charts.figure("print")
    with pytest.raises(ValueError, match="no alternative text"):
        charts.alt_text(fig)
    charts.plt.close(fig)


def test_chart_drawn_by_hand_gets_alt_text_in_sentences_without_the_footer():
    import matplotlib.pyplot as plt

    fig, ax = charts.figure("print")
    ax.plot([1, 2], [1, 2])
    ax.set_xlabel("years")
    charts.finish(fig, ax, title="Supported: data 2 years, claimed 2 years",
                  subtitle="What the data give (dot) against the claim (line)",
                  source="Source: Congressional Research Service, CRS R47654")
    alt = charts._fallback_alt(fig)
    plt.close(fig)
    assert alt == ("Chart. Supported: data 2 years, claimed 2 years. What the data give (dot) "
                   "against the claim (line). Source: Congressional Research Service, CRS "
                   "R47654. Horizontal axis: years.")


def test_report_numbers_give_the_publisher_address():
    from analysis.viz.provenance import publisher_url

    assert publisher_url("Congressional Research Service, CRS R47654, Immigration Parole "
                         "(2023)") == "https://crsreports.congress.gov/product/pdf/R/R47654"
    assert publisher_url("U.S. Government Accountability Office, GAO-08-282, Humanitarian "
                         "Parole") == "https://www.gao.gov/products/gao-08-282"
    # an address in the citation wins; no number, no made-up address
    assert publisher_url("GAO-08-282. https://example.gov/x") == "https://example.gov/x"
    assert publisher_url("A table with no number") == ""


# -- one palette, told apart under colour-vision deficiencies --------------------------------

#: Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _linear(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear-RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(linear, 0, 1)
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _distance(a: str, b: str, kind: str | None) -> float:
    m = np.eye(3) if kind is None else np.array(MACHADO[kind])
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def test_measures_keep_one_colour_on_every_chart():
    from analysis.viz import palette

    assert palette.colour("approved") == palette.colour("approval_share")
    assert palette.colour("denied") == palette.colour("denial-share")
    measures = ["received", "approved", "denied", "pending"]
    assert len({palette.colour(m) for m in measures}) == 4
    assert palette.FLAG not in {palette.colour(m) for m in measures}
    # the same measure drawn by two chart kinds gets the same colour
    table = pd.DataFrame({"period": ["FY2023-Q1", "FY2023-Q2", "FY2023-Q3"],
                          "approved": [10, 12, 11], "denied": [5, 6, 7]})
    line = charts.line_chart(table, x="period", columns=["denied", "approved"], labels={},
                             title="t", subtitle="s", source="Source: test")
    stacked = charts.stacked_outcomes(table, x="period", parts=["approved", "denied"],
                                      title="t", subtitle="s", source="Source: test")
    line_colours = [matplotlib.colors.to_hex(ln.get_color()).upper()
                    for ln in line.axes[0].lines[:2]]
    bar_colours = {matplotlib.colors.to_hex(p.get_facecolor()).upper()
                   for p in stacked.axes[0].patches}
    assert line_colours == [palette.colour("denied"), palette.colour("approved")]
    assert {palette.colour("approved"), palette.colour("denied")} <= bar_colours


@pytest.mark.parametrize("kind", [None, *MACHADO])
def test_pairs_drawn_together_stay_apart_under_colour_blindness(kind):
    """Measures drawn on one chart stay at least 20 CIELAB (1976) units apart as seen with
    each common deficiency (simulated); the old orange-on-vermillion pair (about 18 units
    apart with deuteranopia) would fail."""
    from analysis.viz import palette

    for a, b in palette.PAIRS:
        assert _distance(palette.colour(a), palette.colour(b), kind) >= 20, (a, b, kind)
    assert _distance("#E69F00", "#D55E00", "deuteranopia") < 20  # the check can fail
