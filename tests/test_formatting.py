"""The shared formatter and axis helper (issue 11 item 4): every trap reproduced by hand."""

from __future__ import annotations

from datetime import date

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.viz import charts, downloads, formatting, tables

matplotlib.use("Agg")


def test_small_shares_keep_significant_digits():
    assert formatting.share(0.0002) == "0.02%"
    assert formatting.share(0.00023) == "0.023%"
    assert formatting.share(0.0123) == "1.2%"
    assert formatting.share(0.25) == "25%"
    assert formatting.share(0) == "0%"
    assert formatting.share(0.0002, digits=1) == "0.02%"  # a coarse digits never gives 0.0%
    assert formatting.share_range(0.0002, 0.0005, " and ") == "0.02% and 0.05%"
    assert formatting.share_range(0.0991, 0.0994) == "9.91% to 9.94%"
    assert formatting.share_interval(0.103, 0.097, 0.111) == "10.3% (9.7% to 11.1%)"


def test_numbers_as_published_and_missing_in_words():
    assert formatting.number(17.5) == "17.5"
    assert formatting.number(18.0) == "18"
    assert formatting.number(1234) == "1,234"
    assert formatting.number(float("nan")) == "no figure"
    assert formatting.number(None, status="suppressed") == "suppressed"
    assert formatting.text(None) == "" and formatting.text(float("nan")) == ""
    assert formatting.text("None") == ""


def test_tick_labels_never_round_the_gridline_away():
    fmt = formatting.TickFormatter()
    ticks = [0.0, 2.5, 5.0, 7.5, 17.5]
    labels = fmt.format_ticks(ticks)
    assert labels == ["0.0", "2.5", "5.0", "7.5", "17.5"]
    assert formatting.TickFormatter().format_ticks([0, 10000, 20000]) == ["0", "10,000",
                                                                        "20,000"]
    assert formatting.TickFormatter(True).format_ticks([0, 0.025, 0.05]) == ["0.0%", "2.5%",
                                                                            "5.0%"]


def test_processing_times_axis_labels_its_half_months():
    table = pd.DataFrame({"date": ["2023-07-13", "2023-09-01", "2024-04-08"],
                          "NSC": [17.5, 16.5, 8.0]})
    fig = charts.line_chart(table, x="date", columns=["NSC"], labels={}, title="t",
                            subtitle="s", source="Source: x", ylabel="Months")
    ax = fig.axes[0]
    fig.canvas.draw()
    for tick, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True):
        if ax.get_ylim()[0] <= tick <= ax.get_ylim()[1] and label.get_text():
            assert float(label.get_text().replace(",", "")) == pytest.approx(tick)
    assert "17.5" in charts.alt_text(fig)  # alt text states the number as published


@pytest.mark.parametrize(("values", "percent"), [
    ([17.5, 17.0, 16.5], False),   # the processing-times chart: 17.5 above the 16 gridline
    ([18.0, 18.5, 7.0], False),
    ([47416.0, 2675.0, 32573.0], False),
    ([0.147, 0.098, 0.13], True),  # a share axis
    ([0.46, 0.11], True)])
def test_value_axis_ends_at_a_labelled_gridline_above_the_highest_point(values, percent):
    table = pd.DataFrame({"period": [f"FY20{20 + i}" for i in range(len(values))],
                          "v": values})
    fig = charts.line_chart(table, x="period", columns=["v"], labels={"v": "V"}, title="t",
                            subtitle="s", source="Source: x", percent=percent)
    ax = fig.axes[0]
    fig.canvas.draw()
    bottom, top = ax.get_ylim()
    assert bottom == 0 and top >= max(values) * (1 + charts.HEADROOM) - 1e-9
    labelled = {round(t, 9): lab.get_text() for t, lab in
                zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    assert labelled.get(round(top, 9)), "the top of the axis is a labelled gridline"
    matplotlib.pyplot.close(fig)


def test_tick_labels_turn_only_when_they_would_collide():
    years = pd.DataFrame({"period": [f"FY{y}" for y in range(2015, 2026)],
                          "v": np.arange(11.0) + 1})
    fig = charts.line_chart(years, x="period", columns=["v"], labels={"v": "V"}, title="t",
                            subtitle="s", source="Source: x")
    assert all(t.get_rotation() == 0 for t in fig.axes[0].get_xticklabels())
    wide = pd.DataFrame({"group": [f"A rather long category name {i}" for i in range(9)],
                         "v": np.arange(9.0) + 1})
    fig2 = charts.line_chart(wide, x="group", columns=["v"], labels={"v": "V"}, title="t",
                             subtitle="s", source="Source: x")
    assert all(t.get_rotation() == 45 for t in fig2.axes[0].get_xticklabels())
    matplotlib.pyplot.close("all")


def test_table_columns_keep_one_decimal_count():
    data = rows(["FY2020", "FY2021", "FY2022"], [17.5, 17.0, 16.5], [None, None, None])
    table = pd.DataFrame({"period": ["FY2020", "FY2021", "FY2022"], "months": [17.5, 17.0, None],
                          "estimate": [0.1300, 0.0978, 0.0002], "lower": [0.126, 0.091, 0.0001],
                          "upper": [0.134, 0.105, 0.0004]})
    page = tables.to_html(table, data, columns={"period": "Year", "months": "Months",
                                                "estimate": "Share", "lower": "Low",
                                                "upper": "High"},
                          formats={"months": tables.months, "estimate": tables.percent,
                                   "lower": tables.percent, "upper": tables.percent})
    cells = pd.read_html(__import__("io").StringIO(page))[0].astype(str)
    assert cells["Months"].tolist() == ["17.5", "17.0", "not published"]
    # one decimal count for the share and its limits, with which every row's limits differ
    # and the smallest share keeps its significant digits
    assert cells.loc[0, ["Share", "Low", "High"]].tolist() == ["13.00%", "12.60%", "13.40%"]
    assert cells.loc[2, ["Share", "Low", "High"]].tolist() == ["0.02%", "0.01%", "0.04%"]
    assert formatting.numbers([17.5, 17, None]) == ["17.5", "17.0", "no figure"]


def test_periods_sit_on_a_time_axis():
    xs = formatting.time_values(["FY2019", "FY2020", "FY2023"])
    gaps = np.diff(xs.values).astype("timedelta64[D]").astype(int)
    assert gaps[1] == pytest.approx(3 * gaps[0], rel=0.01)  # a missing year keeps its room
    assert formatting.time_values(["Texas", "Ohio"]) is None


def test_part_year_rules():
    assert formatting.part_year("FY2021", "partial year (published part-way through FY2021)")
    assert formatting.part_year("FY2023-YTD-Q2")
    assert formatting.part_year("FY2027", as_of=date(2026, 11, 23))  # the current year
    assert not formatting.part_year("FY2026", as_of=date(2026, 11, 23))
    assert formatting.period("FY2021", True) == "FY2021 (part year)"


def test_flag_applies_to_the_measure_the_note_names():
    note = "pending figure is far below adjacent quarters; verify against the workbook"
    assert formatting.flag_reason("reported", note, "pending") == note
    assert formatting.flag_reason("reported", note, "received") == ""
    assert formatting.flag_reason("flagged", None, "received") == "flagged in the data"
    assert formatting.flag_reason("reported", "partial year", "pending") == ""


def test_trend_titles_are_plain_sentences():
    row = {"status": "estimated", "pct_change_per_year": -31.4, "lower": -40.0, "upper": -20.0,
           "direction": "falling", "first_period": "FY2022-Q2", "last_period": "FY2026-Q2",
           "family": "quasi-poisson"}
    assert formatting.trend_title("Requests", row) == \
        "Requests fell about 30% a year since FY2022"
    assert formatting.trend_title("Requests", row, "Texas").startswith("Requests in Texas fell")
    flat = {**row, "direction": "no clear trend", "pct_change_per_year": 3.0}
    assert "no clear rise or fall" in formatting.trend_title("Requests", flat)
    assert "-31% a year (95% interval -40% to -20%)" in formatting.trend_detail(row)


def rows(periods, values, notes=None, measure="received"):
    n = len(periods)
    return pd.DataFrame({
        "period": periods, "period_start": pd.to_datetime([f"{p[2:6]}-01-01" for p in periods]),
        "measure": [measure] * n, "value": values, "status": ["reported"] * n,
        "note": notes or [None] * n, "source_file": ["published/t.csv"] * n,
        "source_locator": [f"line {i + 2}" for i in range(n)],
        "citation": ["Agency, Table 1. https://example.gov/t1.csv"] * n})


def test_part_year_is_hollow_and_flagged_figure_is_ringed(tmp_path):
    data = rows(["FY2019", "FY2020", "FY2021"], [100.0, 120.0, 30.0],
                [None, "received figure looks wrong; verify", "partial year"])
    table = data[["period", "value"]].rename(columns={"value": "received"})
    fig = charts.line_chart(table, x="period", columns=["received"], labels={}, title="t",
                            subtitle="s", source=data)
    line = fig.axes[0].get_lines()[0]
    assert np.isnan(line.get_ydata()[-1])  # the part year is not joined to the line
    alt = charts.alt_text(fig)
    assert "30 in FY2021 (part year)" in alt and "Part year: FY2021" in alt
    assert "Ringed: flagged figure" in alt and "FY2020" in alt
    written = charts.save(fig, tmp_path / "c.png")
    svg = written[1].read_text()
    assert 'id="flag-FY2020"' in svg
    assert "parole-stats" in svg and "<text" in svg  # footer, text kept as text
    assert "Source: Agency, Table 1, FY2019 to FY2021, https://example.gov/t1.csv" in svg
    assert "data/raw" not in svg  # the publisher, not a local path
    csv = pd.read_csv(written[3])
    assert csv["source_locator"].tolist() == ["line 2", "line 3", "line 4"]
    assert csv["part_year"].tolist() == [False, False, True]
    assert csv["flagged"].fillna("").astype(bool).tolist() == [False, True, False]


def test_print_size_is_300_dpi(tmp_path):
    from PIL import Image

    table = pd.DataFrame({"p": ["A", "B"], "y": [1.0, 2.0]})
    fig = charts.line_chart(table, x="p", columns=["y"], labels={}, title="t", subtitle="s",
                            source="Source: x", size="print")
    png = charts.save(fig, tmp_path / "p.png", alt_text="x")[0]
    assert Image.open(png).info["dpi"][0] == pytest.approx(300, abs=0.5)


def test_tables_have_no_none_cells_and_drop_empty_columns():
    data = rows(["FY2020", "FY2021"], [5.0, 6.0], [None, "partial year"])
    table = pd.DataFrame({"period": ["FY2020", "FY2021"], "value": [5.0, 6.0],
                          "reason": [None, None], "note": [None, "partial year"]})
    page = tables.to_html(table, data, columns={"period": "Year", "value": "Value",
                                                "reason": "Why not", "note": "Notes"},
                          formats={"value": tables.count})
    assert "None" not in page and "nan" not in page
    assert "Why not" not in page
    assert "FY2021 (part year)" in page


def test_outputs_write_csv_beside_the_html_with_a_relative_link(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    out = downloads.Outputs(tmp_path, "geo-ca")
    data = rows(["FY2020", "FY2021"], [5.0, 6.0])
    out.table(data, data, "yearly", columns={"period": "Year", "value": "Value"})
    csv = tmp_path / "geo-ca_yearly.csv"
    assert 'href="geo-ca_yearly.csv"' in shown[-1] and "Download the data (CSV)" in shown[-1]
    frame = pd.read_csv(csv, dtype=str)
    assert frame["value"].tolist() == ["5", "6"]  # as published, not 5.0
    assert frame["citation"].str.startswith("Agency, Table 1").all()
    assert set(downloads.PROVENANCE) <= set(frame.columns)
    hand = downloads.Outputs("", "x")
    hand.table(data, data, "yearly", columns={"period": "Year"})
    assert "Download" not in shown[-1]  # run by hand: no file, no link


def test_shape_sentence_says_the_turn_and_rounds_like_the_table():
    from analysis.stats import trends

    found = trends.shape(["FY2020", "FY2021", "FY2022", "FY2023", "FY2024"],
                         [8000, 11000, 13730, 11121, 10819])
    text = formatting.shape_sentence("Children released", found, "California")
    assert text == ("Children released in California rose 72% from 8,000 in FY2020 to a peak "
                    "of 13,730 in FY2022, then fell 21% to 10,819 in FY2024")
    small = trends.shape(["FY2020", "FY2021", "FY2022"], [1, 4, 17])
    assert formatting.shape_sentence("Releases", small).endswith(
        "rose from 1 in FY2020 to 17 in FY2022 (numbers too small to state a rate of change)")
    assert "%" not in formatting.shape_sentence("Releases", small)
    assert "regression" not in formatting.shape_method(found)


def test_tiny_shares_are_written_in_words():
    assert formatting.share_words(0.00021) == "about 2 in 10,000"
    assert formatting.share_words(0.0000021) == "about 2 in 1,000,000"
    assert formatting.share_words(0.02) == "2.0%"
    assert formatting.share_range_words(0.00021, 0.00048) == "about 2 and 5 in 10,000"
    assert formatting.share_range_words(0.0, 0.000171) == "0 and about 2 in 10,000"
    assert "%" not in formatting.share_range_words(0.0000021, 0.0000049)


def test_a_quarter_far_below_both_neighbours_is_flagged():
    table = rows(["FY2024-Q1", "FY2024-Q2", "FY2024-Q3", "FY2024-Q4"],
                 [2051, 339, 1963, 1055], measure="approved")
    assert formatting.flagged_figures(table)["period"].tolist() == ["FY2024-Q2"]
    # a real fall that stays down, and small counts, are not flagged
    assert formatting.flagged_figures(rows(
        ["FY2024-Q1", "FY2024-Q2", "FY2024-Q3", "FY2024-Q4"], [2000, 300, 250, 260])).empty
    assert formatting.flagged_figures(rows(
        ["FY2024-Q1", "FY2024-Q2", "FY2024-Q3"], [60, 5, 70])).empty
    # yearly figures are left alone (FY2020's fall in releases was real)
    assert formatting.flagged_figures(rows(["FY2019", "FY2020", "FY2022"],
                                           [8447, 2225, 13730])).empty
