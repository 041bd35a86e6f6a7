"""Regression test: every report notebook renders with its default parameters, and the HTML a
reader opens has headings, embedded charts, source lines and no code."""

from __future__ import annotations

import json
import re

import pytest

from analysis.reports import render as reports

pytestmark = pytest.mark.slow

NAMES = sorted(reports.available())


@pytest.fixture(scope="module")
def rendered(ingested, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    batch = reports.render_batch([(name, {}) for name in NAMES], data_dir=ingested,
                                 reports_dir=out, workers=2, progress=False)
    assert batch.failed == []
    return out, {item.name: item for item in batch.rendered}


def test_every_notebook_is_rendered_and_indexed(rendered):
    out, items = rendered
    assert sorted(items) == NAMES
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in NAMES:
        assert f'href="{name}/default.html"' in index


@pytest.mark.parametrize("name", NAMES)
def test_rendered_html_reads_without_code(rendered, name):
    page = rendered[1][name].html.read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>", page) and len(re.findall(r"<h[23][^>]*>", page)) >= 3
    images = [tag for tag in re.findall(r"<img[^>]+>", page) if "data:image/png;base64," in tag]
    alts = [re.search(r'alt="([^"]*)"', tag) for tag in images]
    assert images and all(a and len(a.group(1)) > 40 for a in alts)  # every chart has alt text
    code_cells = re.findall(r'class="jp-Cell jp-CodeCell[^"]*"', page)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)  # code hidden
    assert "from analysis import" not in page and "check_parameters(" not in page
    assert "Traceback" not in page


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("tutorial", "case_outcomes")])
def test_real_data_reports_name_their_sources(rendered, name):
    page = rendered[1][name].html.read_text(encoding="utf-8")
    assert re.findall(r'Source: [^<]{20,}', page)
    assert "data/raw/" not in page  # the publisher is named, not a path on this machine
    assert "SYNTHETIC" not in page
    # every chart and table has its data beside the page, linked relatively
    images = len(re.findall(r"<img[^>]+data:image/png", page))
    tables_shown = page.count('class="dataframe parole-table"')
    links = re.findall(r'<a [^>]*href="([^"]+\.csv)"[^>]*>Download the data \(CSV\)</a>',
                       page)
    assert len(links) == images + tables_shown
    folder = rendered[1][name].html.parent
    for href in links:
        assert "/" not in href and (folder / href).is_file()


@pytest.mark.skipif("tutorial" not in NAMES, reason="no tutorial notebook")
def test_tutorial_is_labelled_synthetic(rendered):
    page = rendered[1]["tutorial"].html.read_text(encoding="utf-8")
    assert page.count("SYNTHETIC") >= 3


def test_regional_report_says_no_parole_data_by_place(rendered):
    page = rendered[1]["regional_report"].html.read_text(encoding="utf-8")
    assert "No parole data exists for this place" in page
    assert "different population" in page
    assert "California (CA)" in page


def test_batch_keeps_successes_and_reports_failures(tmp_path, monkeypatch):
    """A notebook that fails for one parameter value: the other report is still rendered."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {
        "name": "parole-stats", "display_name": "parole-stats", "language": "python"}},
        "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
         "execution_count": None, "source": "x = 0\ndata_dir = ''", "id": "p"},
        {"cell_type": "markdown", "metadata": {}, "source": "# Demo", "id": "m"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "assert x != 1, 'x must not be 1'\nprint(x)", "id": "c"}]}
    (root / "notebooks" / "demo.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.setenv("PAROLE_STATS_ROOT", str(root))
    out = tmp_path / "reports"
    batch = reports.render_batch([("demo", {"x": 2}), ("demo", {"x": 1})],
                                 data_dir=tmp_path, reports_dir=out, workers=2, progress=False)
    assert [r.parameters for r in batch.rendered] == [{"x": 2}]
    [(name, params, message)] = batch.failed
    assert (name, params) == ("demo", {"x": 1}) and "x must not be 1" in message
    assert (out / "demo" / "x-2.html").is_file()
    assert (out / "demo" / "x-1.failed.ipynb").is_file()
    assert 'href="demo/x-2.html"' in (out / "index.html").read_text(encoding="utf-8")
