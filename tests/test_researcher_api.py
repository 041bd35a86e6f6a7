"""The researcher's toolkit: the package's entry points, the full-year ORR FY2021 table with its
citations, and references for a figure's source."""

import csv
import json
import subprocess
import sys

import pytest

import analysis
from analysis import cli
from analysis.contract import citation

FY2021 = "data/raw/published/hhs_orr_uc_released_by_state_fy2021.csv"


def test_import_analysis_loads_no_scientific_stack():
    code = ("import sys, analysis; heavy = [m for m in ('pandas', 'scipy', 'statsmodels', "
            "'seaborn', 'pandera', 'matplotlib') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_help_and_version_load_no_scientific_stack():
    code = ("import sys, contextlib, io\nfrom analysis import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: cli.main(['--help'])\n    except SystemExit: pass\n"
            "print([m for m in ('pandas', 'matplotlib', 'statsmodels') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_every_export_resolves_and_has_a_docstring():
    assert analysis.__all__ == sorted(analysis.__all__)
    for name in analysis.__all__:
        value = getattr(analysis, name)
        assert callable(value), name
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    with pytest.raises(AttributeError):
        analysis.no_such_entry_point  # noqa: B018


def test_entry_points_of_the_library_layers_show_an_example():
    # the statistics, loaders and citations; charts and claims document their own examples
    mine = [n for n in analysis.__all__ if getattr(analysis, n).__module__.split(".")[1]
            in ("stats", "contract", "reports")]
    assert len(mine) > 20
    assert [n for n in mine if ">>>" not in getattr(analysis, n).__doc__] == []


def test_every_subcommand_is_registered_in_cli():
    parser = cli.build_parser()  # every command built in full
    names = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert names == set(cli.COMMANDS)


def test_place_error_comes_before_the_report_machinery(capsys):
    code = ("import sys\nfrom analysis import cli\n"
            "rc = cli.main(['report', 'regional_report', '-p', 'geo=Califrnia'])\n"
            "print(rc, [m for m in ('pandas', 'papermill') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "2 []" or done.stdout.strip().endswith("[]"), done.stdout
    assert "parole: error: geo='Califrnia' is neither a state" in done.stderr


def test_fy2021_full_year_cites_each_cell(project_root):
    with open(project_root / FY2021, newline="", encoding="utf-8") as handle:
        rows = {r["state_name"]: r for r in csv.DictReader(handle)}
    # HHS ORR's FY2021 state table: California 10,770 and Texas 15,338 of 107,646
    assert rows["California"]["released_to_sponsors"] == "10770"
    assert rows["Texas"]["released_to_sponsors"] == "15338"
    assert rows["TOTAL"]["released_to_sponsors"] == "107646"
    assert len(rows) == 54  # 50 states, DC, Puerto Rico, the Virgin Islands and the total
    assert rows["California"]["source_locator"] == (
        "sheet State, row 7 (California), column H (FY21)")
    assert all(r["source_url"].startswith("https://www.acf.hhs.gov/") for r in rows.values())
    assert not any("part" in r["period_note"].split(";")[0] for r in rows.values())


def test_fy2021_matches_the_development_workbook(shared_data, project_root):
    openpyxl = pytest.importorskip("openpyxl")
    book = shared_data / "real" / "hhs-orr-uc" / "UCP_ORR_datasets.xlsx"
    if not book.is_file():
        pytest.skip(f"{book} is absent")
    sheet = openpyxl.load_workbook(book, read_only=True, data_only=True)["State"]
    cells = {r[0]: r[7] for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
    with open(project_root / FY2021, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["source_locator"].split("(")[1].split(")")[0]
            assert int(row["released_to_sponsors"]) == cells[name], name


def test_full_year_fy2021_revises_the_part_year_table(ingested):
    counts = analysis.load_counts(category="uc-released-to-sponsors", period="FY2021",
                                  geo_level=["state", "nation"], data_dir=ingested)
    by_place = counts.set_index("geo_code")
    assert by_place.loc["CA", "value"] == 10770 and by_place.loc["US", "value"] == 107646
    assert set(counts["source_file"]) == {"published/hhs_orr_uc_released_by_state_fy2021.csv"}
    report = json.loads((ingested / "processed" / "ingest_report.json").read_text())
    old = [r for r in report["revisions"] if r["geo_code"] == "CA" and r["period"] == "FY2021"]
    assert old[0]["old_value"] == 705  # the part-year table, still in data/raw
    assert old[0]["old_file"] == "published/hhs_orr_uc_released_by_state.csv"


def test_cite_prints_bibtex_and_csl_with_the_access_date(ingested, capsys):
    assert cli.main(["cite", "--category", "uc-released-to-sponsors", "--geo", "CA",
                     "--period", "FY2021", "--data-dir", str(ingested)]) == 0
    bib = capsys.readouterr().out
    assert bib.startswith("@misc{") and "urldate = {2026-12-02}" in bib
    assert "https://www.acf.hhs.gov/orr/grant-funding/" in bib
    assert cli.main(["cite", "uscis-all-forms", "--style", "csl"]) == 0
    item = json.loads(capsys.readouterr().out)[0]
    assert item["type"] == "dataset" and item["URL"].startswith("https://www.uscis.gov/")


def test_bibtex_escapes_and_csl_dates():
    ref = citation.Reference("a b", "50% of T_1", "P & Q", url="https://x.gov/t",
                             accessed="2026-01-31", year="2021")
    assert "title = {50\\% of T\\_1}" in citation.bibtex(ref)
    assert citation.bibtex(ref).startswith("@misc{a-b,")
    assert citation.csl(ref)["accessed"] == {"date-parts": [[2026, 1, 31]]}
    assert ref.source_line().endswith("https://x.gov/t, accessed 2026-01-31")


def test_exported_rows_carry_their_own_url_and_locator():
    import pandas as pd

    from analysis.viz.downloads import csv_frame

    rows = pd.DataFrame({
        "period": ["FY2019", "FY2019"], "geo_code": ["CA", "TX"], "value": [8447.0, 9900.0],
        "status": "reported", "source": "hhs-orr-uc",
        "source_file": "published/hhs_orr_uc_released_by_state.csv",
        "source_locator": ["line 34 (California)", "line 300 (Texas)"],
        "citation": "HHS ORR, Unaccompanied Children Released to Sponsors by State, FY2019"})
    out = csv_frame(rows[["period", "geo_code", "value"]], rows)
    assert out["source_locator"].tolist() == ["line 34 (California)", "line 300 (Texas)"]
    # no URL in the citation: the address comes from the source's catalog record
    assert out["source_url"].str.startswith("https://www.acf.hhs.gov/").all()


def test_source_lines_carry_the_access_date():
    import pandas as pd

    from analysis.viz.provenance import source_line

    rows = pd.DataFrame({"period": ["FY2019"], "source_file": ["published/t.csv"],
                         "citation": ["Agency, Table 1, FY2019. https://example.gov/t1.csv"]})
    line = source_line(rows, accessed={"published/t.csv": "2026-11-23"})
    assert line == ("Source: Agency, Table 1, FY2019, https://example.gov/t1.csv, "
                    "accessed 2026-11-23")
    assert "accessed" not in source_line(rows, accessed={})
