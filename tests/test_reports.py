import json
import re
from pathlib import Path

import pytest

from analysis import cli
from analysis.errors import ReportError
from analysis.reports import render as reports


def test_notebooks_are_stored_without_outputs(project_root):
    for path in (project_root / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), path.name


def test_national_overview_parameters():
    assert reports.available()["national_overview"] == {
        "fy_start": 2022, "fy_end": 2026, "series": ["humanitarian-parole", "parole-in-place"]}


@pytest.mark.parametrize(("name", "params", "message"), [
    ("no_such_report", {}, "unknown report 'no_such_report'; expected one of: "),
    ("../etc", {}, "unknown report"),
    ("national_overview", {"fy_begin": 2020}, "unknown parameter 'fy_begin'; expected one of: "
                                              "fy_start, fy_end, series"),
    ("national_overview", {"fy_start": "soon"}, "fy_start='soon' is a str; expected a int"),
    ("national_overview", {"series": "humanitarian-parole"}, "expected a list"),
    ("national_overview", {"data_dir": "/tmp"}, "unknown parameter 'data_dir'"),
    ("regional_report", {"geo": "Atlantis"}, "geo='Atlantis' is neither a state"),
    ("regional_report", {"geo": "central-california"}, "choose one of central-california-sjv"),
    ("regional_report", {"geo": "CA", "fy_start": 2030, "fy_end": 2031},
     "no data for California (CA) in FY2030 to FY2031 (regional data available: FY2015 to "
     "FY2025)"),
    ("processing_times", {"form": "I-999"}, "no processing times for form 'I-999'"),
    ("claim_check", {"claims_file": "no/such.yml"}, "no such claims file"),
])
def test_bad_report_requests_fail_before_any_kernel_starts(monkeypatch, ingested, name, params,
                                                          message):
    monkeypatch.setattr(reports, "ensure_kernel", lambda: pytest.fail("kernel started"))
    with pytest.raises(ReportError, match=re.escape(message)):
        reports.render(name, params, data_dir=ingested)
    with pytest.raises(ReportError, match=re.escape(message)):
        reports.render_batch([("national_overview", {}), (name, params)], data_dir=ingested)


def test_cli_reports_bad_parameter_in_one_line(capsys):
    assert cli.main(["report", "national_overview", "-p", "fy_start=soon"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fy_start" in err


def test_parameters_are_read_as_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("PAROLE_ALLOWED_DIRS", str(tmp_path))
    params_file = tmp_path / "p.yml"
    params_file.write_text("series: [parole-in-place]\n")
    assert reports.parse_parameters(["fy_start=2023", "label=x"], params_file) == {
        "series": ["parole-in-place"], "fy_start": 2023, "label": "x"}
    with pytest.raises(ReportError, match="KEY=VALUE"):
        reports.parse_parameters(["fy_start"])


@pytest.mark.parametrize("params", [{"x": "../../etc/passwd"}, {"a": "<script>"}, {}])
def test_slugs_are_safe_file_names(params):
    assert re.fullmatch(r"[a-z0-9-]+", reports.slug(params))


@pytest.mark.slow
def test_render_national_overview(ingested, tmp_path):
    out = tmp_path / "reports"
    rendered = reports.render("national_overview", {"fy_start": 2023, "fy_end": 2024},
                              data_dir=ingested, reports_dir=out)
    assert rendered.html == out / "national_overview" / "fy-end-2024-fy-start-2023.html"
    page = rendered.html.read_text(encoding="utf-8")
    for heading in ("National overview", "What this data can and cannot say",
                    "Humanitarian parole (I-131, outside the US)", "Parole in place (I-131)"):
        assert heading in page
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) >= 6
    sources = re.findall(r'class="source-line"><em>Source: ([^<]+)', page)
    assert len(sources) == 2 and all("Number of Service-wide Forms" in s for s in sources)
    assert "FY2023-Q1 to FY2024-Q4" in sources[0]
    assert "2,328" in page and "44,220" in page  # FY2023 Q2 received and pending
    assert "pending figure is far below adjacent quarters" in page  # compiler's flag is shown
    assert "check_parameters" not in page and "import " not in page  # no code cells
    assert rendered.notebook.is_file()
    index = reports.write_index(out).read_text(encoding="utf-8")
    assert 'href="national_overview/fy-end-2024-fy-start-2023.html"' in index


@pytest.mark.slow
def test_failed_render_names_the_problem(ingested, tmp_path):
    with pytest.raises(ReportError, match="fy_start \\(2025\\) is after fy_end \\(2023\\)"):
        reports.render("national_overview", {"fy_start": 2025, "fy_end": 2023},
                       data_dir=ingested, reports_dir=tmp_path)


@pytest.mark.parametrize(("name", "params", "words"), [
    ("regional_report", {"geo": "TX", "fy_start": 2016, "fy_end": 2019},
     "Texas (TX); fiscal years 2016 to 2019"),
    ("regional_report", {"geo": "Atlantis", "fy_start": 2020, "fy_end": 2020},
     "Atlantis; fiscal year 2020"),
    ("national_overview", {"fy_start": 2022, "fy_end": 2026,
                           "series": ["humanitarian-parole", "parole-in-place"]},
     "fiscal years 2022 to 2026; series: humanitarian parole, parole in place"),
    ("processing_times", {"form": "I-131", "offices": []}, "form I-131; offices: all"),
    ("processing_times", {"form": "I-131", "offices": ["NSC", "CSC"]},
     "form I-131; offices: NSC, CSC"),
    ("claim_check", {"claims_file": "data/claims/x.yml"}, "claims from data/claims/x.yml"),
    ("tutorial", {"n_cases": 10, "as_of": "2024-09-30", "data_dir": "/tmp"},
     "n cases: 10; as of: 2024-09-30"),
    ("national_overview", {}, "default parameters"),
])
def test_parameters_in_words(name, params, words):
    assert reports.describe_parameters(name, params) == words


def test_page_title_comes_from_the_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("Intro text\n\n# Regional report  \nmore"),
        nbformat.v4.new_markdown_cell("# Second heading")])
    assert reports.notebook_title(nb) == "Regional report"
    assert reports.page_title(nb, "regional_report", {"geo": "CA", "fy_start": 2015,
                                                      "fy_end": 2021}) \
        == "Regional report: California (CA); fiscal years 2015 to 2021"
    nb.metadata["title"] = "From metadata"
    assert reports.page_title(nb, "x", {}) == "From metadata: default parameters"
    assert reports.page_title(nbformat.v4.new_notebook(), "claim_check", {}) \
        == "Fact-check sheets: default parameters"


def test_published_files_follow_the_umask(tmp_path):
    import os
    import stat

    from analysis.ingest import storage

    previous = os.umask(0o027)
    try:
        path = reports.publish(storage.write_text("x", tmp_path / "a.html"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_index_groups_by_kind_and_links_companion_pages(tmp_path):
    for rel in ("regional_report/geo-tx.html", "regional_report/geo-ca.html",
                "national_overview/default.html", "codebook.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    for rel, name, params in [
            ("regional_report/geo-tx.html", "regional_report", {"geo": "TX", "fy_start": 2015,
                                                                "fy_end": 2021}),
            ("regional_report/geo-ca.html", "regional_report", {"geo": "CA", "fy_start": 2015,
                                                                "fy_end": 2021}),
            ("national_overview/default.html", "national_overview", {"fy_start": 2022,
                                                                     "fy_end": 2026}),
            ("regional_report/geo-gone.html", "regional_report", {"geo": "NY"})]:
        path = tmp_path / rel
        reports._record(tmp_path, reports.Rendered(name, params, path.with_suffix(".ipynb"),
                                                   path, "t"))
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<h2>([^<]+)", page) == ["National overview ", "Regional reports "]
    assert page.index("California (CA)") < page.index("Texas (TX)")
    assert "New York" not in page  # a registry entry whose page is gone is not listed
    assert '<a href="codebook.html">Codebook</a>' in page
    assert "freshness.html" not in page  # not written yet, so not linked
    assert all(not re.match(r"[a-z]+:|/", h) for h in re.findall(r'href="([^"]+)"', page))


@pytest.mark.parametrize("link", ["/etc/passwd", "file:///x", "https://x.org/a", "../up.html",
                                  "javascript:alert(1)"])
def test_index_refuses_non_relative_links(link):
    with pytest.raises(ReportError, match="not a relative path"):
        reports._relative(link)


def test_notebook_imports_are_found():
    found = reports.notebook_imports()
    assert {"analysis.reports.regional_report", "analysis.viz.charts", "IPython.display"} <= found


def _notebook(source: str, title: str) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {
        "name": "parole-stats", "display_name": "parole-stats", "language": "python"}},
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
             "execution_count": None, "source": "x = 0\ndata_dir = ''", "id": "p"},
            {"cell_type": "markdown", "metadata": {}, "source": f"# {title}", "id": "m"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": source, "id": "c"}]}


@pytest.mark.slow
def test_a_warm_kernel_starts_each_report_clean(tmp_path, monkeypatch):
    """Two reports in one warm kernel: the second sees none of the first's variables,
    figures or settings, and its cells are numbered from 1."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    dirty = ("import matplotlib; import matplotlib.pyplot as plt\n"
             "leak = 1; plt.figure(); matplotlib.rcParams['lines.linewidth'] = 9\n"
             "import os; os.chdir('/')")
    clean = ("import os, matplotlib; import matplotlib.pyplot as plt\n"
             "assert 'leak' not in globals(), 'variable leaked'\n"
             "assert not plt.get_fignums(), 'figure leaked'\n"
             "assert matplotlib.rcParams['lines.linewidth'] != 9, 'setting leaked'\n"
             f"assert os.getcwd() == {str(root)!r}, os.getcwd()\n"
             "print('clean', x)")
    (root / "notebooks" / "dirty.ipynb").write_text(json.dumps(_notebook(dirty, "Dirty")))
    (root / "notebooks" / "clean.ipynb").write_text(json.dumps(_notebook(clean, "Clean")))
    monkeypatch.setenv("PAROLE_STATS_ROOT", str(root))
    out = tmp_path / "reports"
    with reports.WarmKernel() as kernel:
        reports.render("dirty", {"x": 1}, data_dir=tmp_path, reports_dir=out, kernel=kernel)
        pid = kernel.km.provisioner.process.pid
        rendered = reports.render("clean", {"x": 2}, data_dir=tmp_path, reports_dir=out,
                                  kernel=kernel)
        assert kernel.km.provisioner.process.pid == pid  # the same kernel ran both
    nb = json.loads(rendered.notebook.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    assert "clean 2" in "".join(code[-1]["outputs"][0]["text"])
    page = rendered.html.read_text(encoding="utf-8")
    assert "<title>Clean: x: 2</title>" in page
    assert not list(root.glob("kernel-ipc*")) and not list(Path.cwd().glob("kernel-ipc*"))


def test_a_report_reads_each_table_once_per_ingest(ingested, monkeypatch):
    from analysis.contract import store
    from analysis.reports import processing_times

    reads = []
    real = store.pd.read_parquet
    monkeypatch.setattr(store.pd, "read_parquet", lambda p, **kw: reads.append(p) or real(p))
    store._read_once.cache_clear()
    params = processing_times.check_parameters("I-131", [], str(ingested))
    processing_times.office_series(params)
    processing_times.national_medians(params)
    processing_times.backlog(params)
    processing_times.latest_line(params)
    assert sorted(str(p).rsplit("/", 1)[-1] for p in reads) == [
        "counts.parquet", "processing_times.parquet"]
