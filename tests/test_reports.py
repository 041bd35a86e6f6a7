import json
import re

import pytest

from analysis import cli, reports
from analysis.errors import ReportError


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


def test_parameters_are_read_as_yaml(tmp_path):
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
