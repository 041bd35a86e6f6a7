"""Revisions between releases (analysis.ingest.sources.revisions) on SYNTHETIC counts frames,
and the ingest report listing them."""

from __future__ import annotations

import pandas as pd

from analysis.ingest.sources import base, revisions


def rows(source_file: str, values: dict[str, float | None], *, source="ohss-monthly",
         status="rounded") -> list[dict]:
    return [{"source": source, "form": None, "category": "chnv-parole", "measure": "paroled",
             "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
             "period": period, "value": value, "status": status if value is not None
             else "not_applicable", "source_file": source_file,
             "source_locator": f"{source_file} {period}", "citation": "SYNTHETIC", "note": None}
            for period, value in values.items()]


def frame(*parts: list[dict]) -> pd.DataFrame:
    return base.counts_frame([r for part in parts for r in part])


def test_latest_release_kept_and_revisions_listed():
    counts = frame(rows("aug.csv", {"FY2023": 233490, "2023-10": 10}),
                   rows("jul.xlsx", {"FY2023": 233500, "2023-10": 10, "2023-09": 5}))
    kept, revised = revisions.keep_latest(counts, {"jul.xlsx": "2024-07", "aug.csv": "2024-08"})
    assert sorted(zip(kept["period"], kept["source_file"], strict=True)) == [
        ("2023-09", "jul.xlsx"), ("2023-10", "aug.csv"), ("FY2023", "aug.csv")]
    [rev] = revised
    assert (rev.old_value, rev.new_value, rev.difference) == (233500, 233490, -10)
    assert (rev.old_file, rev.new_file) == ("jul.xlsx", "aug.csv")
    assert (rev.old_release, rev.new_release) == ("2024-07", "2024-08")
    assert rev.series["period"] == "FY2023" and not rev.same_release
    assert rev.as_dict()["old_locator"] == "jul.xlsx FY2023"
    assert list(kept.columns) == list(counts.columns)


def test_status_change_is_a_revision_and_dates_compare_with_months():
    counts = frame(rows("a.xlsx", {"2023-01": None}), rows("b.xlsx", {"2023-01": 40}))
    kept, [rev] = revisions.keep_latest(counts, {"a.xlsx": "2024-07-15", "b.xlsx": "2024-07"})
    assert kept["source_file"].tolist() == ["a.xlsx"]  # 15 July is after July (read as 1 July)
    assert (rev.old_status, rev.new_status, rev.new_value) == ("rounded", "not_applicable", None)


def test_other_sources_and_unknown_releases():
    counts = frame(rows("a.xlsx", {"FY2023": 1}), rows("b.xlsx", {"FY2023": 2},
                                                       source="published"))
    kept, revised = revisions.keep_latest(counts, {})
    assert len(kept) == 2 and revised == []  # different sources never revise each other
    counts = frame(rows("a.xlsx", {"FY2023": 1}), rows("b.xlsx", {"FY2023": 2}))
    kept, [rev] = revisions.keep_latest(counts, {})
    assert rev.same_release and kept["source_file"].tolist() == ["b.xlsx"]


def test_no_overlap_returns_the_frame_unchanged():
    counts = frame(rows("a.xlsx", {"FY2023": 1}), rows("b.xlsx", {"FY2024": 2}))
    kept, revised = revisions.keep_latest(counts, {"a.xlsx": "2024-01"})
    assert kept is counts and revised == []


def test_release_of_prefers_the_file():
    result = base.AdapterResult(release="2024-07")
    assert revisions.release_of(result, "2025-01-02") == "2024-07"
    assert revisions.release_of(base.AdapterResult(), "2025-01-02") == "2025-01-02"


def test_ingest_keeps_the_latest_release_and_reports_revisions(tmp_path):
    import json

    from analysis.ingest import manifest
    from analysis.ingest import pipeline as ingest

    from .conftest import copy_bundled_raw

    data = copy_bundled_raw(tmp_path / "data")
    header = ("Calendar Year,Fiscal Year,Month,Southwest Border Book-outs/OFO:OFO Paroles\n")
    older = tmp_path / "ielp-table-202310.csv"
    older.write_text(header + "2023,2024,10,40\n2022,2023,0,500\n")  # SYNTHETIC
    newer = tmp_path / "ielp-table-202311.csv"
    newer.write_text(header + "2023,2024,10,50\n2023,2024,11,60\n")  # SYNTHETIC
    for path in (newer, older):
        manifest.add(path, "ohss-monthly", data_dir=data, citation="SYNTHETIC",
                     retrieved="2024-01-01")
    report = ingest.run(data, progress=False)
    # the bundled full-year FY2021 ORR table revises the part-year one: not this test's concern
    [rev] = [r for r in report["revisions"] if r["source"] == "ohss-monthly"]
    assert (rev["period"], rev["old_value"], rev["new_value"]) == ("2023-10", 40, 50)
    assert rev["old_file"].endswith("ielp-table-202310.csv")
    assert rev["new_release"] == "2023-11"
    counts = pd.read_parquet(data / "processed" / "counts.parquet")
    ofo = counts[(counts["source"] == "ohss-monthly")  # not the bundled CHNV figures
                 & ~counts["source_file"].str.startswith("published/")]
    ofo = ofo.set_index("period")["value"]
    assert ofo.to_dict() == {"2023-10": 50, "FY2023": 500, "2023-11": 60}
    saved = json.loads((data / "processed" / "ingest_report.json").read_text())
    assert saved["revisions"] == report["revisions"]
