"""Render regression: every default report, rendered from the ingested bundled data, read the
way a reader meets it (issue 11 item 6), and opened in a real browser (issue 13 item 8).

The HTML checks read only what a reader sees: text outside <script> and <style>, plus the
alternative text of images. The browser test needs Chromium (`make chromium` installs Debian's
package) and skips, saying so, where it is absent; it saves a screenshot of every page under
reports/screenshots/ (or $PAROLE_SCREENSHOTS_DIR) for review.
"""

from __future__ import annotations

import html
import os
import re
import stat
from pathlib import Path

import pytest

from analysis import config
from analysis.reports import render as reports

from . import browser

pytestmark = pytest.mark.slow

#: Words that mean a missing value leaked into what a reader sees.
MISSING = re.compile(r"(?<![\w-])(nan|NaN|None|NaT|<NA>|null|undefined|inf)(?![\w-])")

def _pages(rendered: Path) -> list[Path]:
    return sorted(p for p in rendered.glob("*/*.html"))


def reader_text(page: str) -> str:
    """The text a reader sees: tags, scripts, styles and the notebook's JSON removed, image
    alternative text kept (a screen reader reads it)."""
    body = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", page)
    alts = " ".join(html.unescape(a) for a in re.findall(r'<img[^>]*\balt="([^"]*)"', body))
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", body))
    return " ".join(f"{text} {alts}".split())


def test_every_default_report_is_rendered(rendered):
    names = sorted({p.parent.name for p in _pages(rendered)})
    assert names == sorted({name for name, _ in reports.DEFAULT_SET})
    assert len(_pages(rendered)) == len(reports.DEFAULT_SET)


def test_pages_show_no_code_and_no_errors(rendered):
    for page in _pages(rendered):
        body = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", page.read_text("utf-8"))
        assert "jp-InputArea-editor" not in body and "jp-CodeMirrorEditor" not in body, page
        assert 'class="highlight' not in body, f"{page}: code listing shown"
        assert "Traceback (most recent call last)" not in body, page
        assert "application/vnd.jupyter.stderr" not in body, f"{page}: stderr output shown"
        assert "Warning:" not in reader_text(body), f"{page}: a warning is shown"
        assert not re.search(r"<script\b[^>]*\bsrc=", body), f"{page}: loads a script"


def test_every_chart_has_alt_text_and_a_source_line(rendered):
    for page in _pages(rendered):
        text = page.read_text("utf-8")
        images = list(re.finditer(r"<img\b[^>]*>", text))
        for i, match in enumerate(images):
            tag = match.group(0)
            alt = re.search(r'\balt="([^"]*)"', tag)
            assert alt and alt.group(1).strip(), f"{page.name}: chart {i + 1} has no alt text"
            # the source line: in the alt text (the chart draws it), or in the text after the
            # chart and before the next one
            end = images[i + 1].start() if i + 1 < len(images) else len(text)
            after = reader_text(text[match.end():end])
            assert "Source:" in html.unescape(alt.group(1)) or "Source:" in after, (
                f"{page.name}: chart {i + 1} has no source line")


@pytest.mark.parametrize("name", sorted({name for name, _ in reports.DEFAULT_SET}))
def test_no_missing_value_words_reach_a_reader(rendered, name):
    for page in sorted((rendered / name).glob("*.html")):
        text = reader_text(page.read_text("utf-8"))
        leaks = [text[max(0, m.start() - 60):m.end() + 30] for m in MISSING.finditer(text)]
        assert not leaks, f"{name}/{page.name}: " + " | ".join(leaks[:5])


def test_each_page_has_its_own_title(rendered):
    titles = {}
    for page in _pages(rendered):
        [title] = re.findall(r"<title>(.*?)</title>", page.read_text("utf-8"), re.S)
        title = html.unescape(title).strip()
        assert title and title != "Notebook", page
        titles[page] = title
    assert len(set(titles.values())) == len(titles), "two reports share a title"
    ca = rendered / "regional_report" / "geo-ca.html"
    years = reports.defaults("regional_report")
    assert titles[ca] == ("Regional report: California (CA); fiscal years "
                          f"{years['fy_start']} to {years['fy_end']}")


def test_outputs_follow_the_umask(rendered):
    for path in [*rendered.rglob("*.html"), *rendered.rglob("*.ipynb"), rendered / "index.json"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for folder in [p for p in rendered.rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder


def test_index_groups_reports_with_parameters_in_words(rendered):
    page = (rendered / "index.html").read_text("utf-8")
    headings = re.findall(r"<h2>([^<]+)", page)
    assert [h.strip() for h in headings] == ["National overview", "Regional reports",
                                             "Processing times", "Fact-check sheets"]
    years = reports.defaults("regional_report")
    assert ('<a href="regional_report/geo-ca.html">California (CA); fiscal years '
            f"{years['fy_start']} to {years['fy_end']}") in page
    for companion in ("codebook.html", "freshness.html"):  # written by `parole report`
        assert f'href="{companion}"' in page and (rendered / companion).is_file()
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(not re.match(r"^[a-z]+:|^/", h) for h in hrefs), hrefs
    assert all((rendered / h).is_file() for h in hrefs)


# -- in a real browser ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    executable = browser.find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (run `make chromium`, which installs Debian's "
                    "package; CI does)")
    with browser.Chromium(executable) as running:
        yield running


def _screenshot_dir() -> Path:
    return Path(os.environ.get("PAROLE_SCREENSHOTS_DIR")
                or config.default_reports_dir() / "screenshots")


def test_pages_work_in_a_browser(rendered, chromium):
    """Every page: no console errors, every image loads and has alt text, every relative link
    leads somewhere. A screenshot of each is saved for review."""
    pages = [rendered / "index.html", *sorted(rendered.glob("*.html")), *_pages(rendered)]
    pages = list(dict.fromkeys(pages))
    shots = _screenshot_dir()
    problems = []
    for page in pages:
        rel = page.relative_to(rendered).with_suffix(".png").as_posix().replace("/", "__")
        result = browser.check_page(chromium, page, screenshot=shots / rel)
        assert result.screenshot and result.screenshot.stat().st_size > 1000
        problems += [f"{page.relative_to(rendered)}: {p}" for p in result.problems]
        if page.parent != rendered:
            assert result.images >= 1, f"{page}: no chart shown"
    assert not problems, "\n".join(problems)


def test_browser_check_finds_faults(tmp_path, chromium):
    """The browser check itself: a page with each fault is caught, fault by fault."""
    (tmp_path / "ok.png").write_bytes(_PNG)
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
        '<img src="ok.png" alt="a chart"><img src="ok.png"><img src="missing.png" alt="x">'
        '<a href="nowhere.html">gone</a><a href="ok.png">fine</a><a href="#top">anchor</a>'
        '<a href="file:///etc/passwd">abs</a>'
        '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    result = browser.check_page(chromium, page)
    text = "\n".join(result.problems)
    assert "image without alt text: ok.png" in text
    assert "image did not load: missing.png" in text
    assert "broken link: nowhere.html" in text
    assert "link to a missing anchor: #top" in text
    assert "link is not relative: file:///etc/passwd" in text
    assert "console error: boom" in text
    assert "fine" not in text and "a chart" not in text


# a 1x1 PNG
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


# -- what a reader sees on a phone and on a screen (issue 21) ---------------------------------

#: Regional pages checked besides the default set: a large state, a tiny one, a county region
#: and DC.
REGIONAL = ("TX", "WY", "San Joaquin Valley", "DC")
WIDTHS = (390, 1280)

#: What the page shows: visible text without code listings (commands and identifiers set in
#: <code> are meant to be typed), its tables as rows of cell texts, the trend sentences, and
#: how wide the page is.
_READ = """(() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, pre, script, style').forEach(e => e.remove());
  const tables = [...document.querySelectorAll('table')].map(t =>
      [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim())));
  const trends = [...document.querySelectorAll('strong')].map(s => s.innerText)
      .filter(t => t.startsWith('Children released to sponsors'));
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth,
          text: body.innerText, tables: tables, trends: trends};
})()"""


def read_page(chromium, page: Path, width: int) -> dict:
    """Open ``page`` at ``width`` CSS px (a phone's or a screen's) and read what it shows."""
    target = chromium.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = chromium.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
    try:
        chromium.send("Page.enable", session=session)
        chromium.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": 900, "deviceScaleFactor": 1,
                       "mobile": False}, session=session)
        chromium.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        chromium.wait_for("Page.loadEventFired", session)
        return chromium.send("Runtime.evaluate", {"expression": _READ, "returnByValue": True},
                             session=session)["result"]["value"]
    finally:
        chromium.send("Target.closeTarget", {"targetId": target})


def raw_slugs(data_dir: Path) -> set[str]:
    """Labels a reader must never meet: the counts categories and named series as slugs."""
    from analysis.contract import series, store

    counts = store.read_table("counts", data_dir)
    slugs = {str(c) for c in counts["category"].dropna().unique() if "-" in str(c)}
    return slugs | {s for s in series.SERIES if "-" in s}


_NUMBER = re.compile(r"^\d[\d,]*$")


def trend_problems(found: dict) -> list[str]:
    """A trend sentence whose last direction disagrees with the last three full years of
    the yearly table shown ("rose" while they fell, or the reverse)."""
    table = next((t for t in found["tables"] if t and t[0][:2] == ["Fiscal year",
                                                                    "Released to sponsors"]),
                 None)
    if table is None or not found["trends"]:
        return []
    full = [int(r[1].replace(",", "")) for r in table[1:]
            if "part year" not in r[0] and _NUMBER.match(r[1])]
    if len(full) < 3:
        return []
    a, b, c = full[-3:]
    moving = "rose" if a < b < c else "fell" if a > b > c else None
    words = re.findall(r"\b(rose|fell|held about level|changed little)\b", found["trends"][0])
    if moving and words and words[-1] != moving:
        return [f"trend says {words[-1]!r} but the last three full years {a}, {b}, {c} "
                f"{moving}: {found['trends'][0]}"]
    return []


def unpublished_zero_problems(found: dict) -> list[str]:
    """A county-region row with no county listed ("0 of 8") must say "not published"."""
    out = []
    for table in found["tables"]:
        for row in table[1:]:
            if any(re.match(r"^0 of \d+$", cell) for cell in row) and \
                    "not published" not in row:
                out.append(f"unpublished county region shown as a number: {row}")
    return out


@pytest.fixture(scope="module")
def regional_pages(ingested, tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("regional") / "reports"
    batch = reports.render_batch([("regional_report", {"geo": g}) for g in REGIONAL],
                                 data_dir=ingested, reports_dir=out, progress=False)
    assert not batch.failed, batch.failed
    return sorted((out / "regional_report").glob("*.html"))


def test_pages_fit_a_phone_and_say_what_the_data_says(rendered, regional_pages, ingested,
                                                      chromium):
    """Every default page and the regional set at 390 px and 1280 px: no page wider than
    the screen, no raw slug in what a reader sees, no 0 for an unpublished county region,
    and no trend sentence whose direction disagrees with the last three full years."""
    pages = [rendered / "index.html", *sorted(rendered.glob("*.html")), *_pages(rendered),
             *regional_pages]
    assert len(regional_pages) == len(REGIONAL)
    slugs = raw_slugs(ingested)
    problems = []
    for page in dict.fromkeys(pages):
        for width in WIDTHS:
            found = read_page(chromium, page, width)
            where = f"{page.parent.name}/{page.name} at {width} px"
            if found["width"] > width:
                problems.append(f"{where}: page is {found['width']} px wide")
            problems += [f"{where}: raw label {s!r} shown" for s in sorted(slugs)
                         if re.search(rf"(?<![\w/.-]){re.escape(s)}(?![\w-])", found["text"])]
            problems += [f"{where}: {p}" for p in trend_problems(found)
                         + unpublished_zero_problems(found)]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_page_checks_catch_each_fault():
    """The checks themselves, on pages built to hold each fault."""
    table = [["Fiscal year", "Released to sponsors"], ["FY2022", "13,730"], ["FY2023", "11,121"],
             ["FY2024", "10,819"], ["FY2025 (part year)", "500"]]
    wrong = {"tables": [table], "trends": ["Children released to sponsors rose about 11% a "
                                           "year since FY2015"]}
    assert trend_problems(wrong)
    right = {"tables": [table], "trends": ["Children released to sponsors rose 278% from "
                                           "3,629 in FY2015 to a peak of 13,730 in FY2022, "
                                           "then fell 21% to 10,819 in FY2024"]}
    assert not trend_problems(right)
    county = [["Fiscal year", "Released", "Counties listed"], ["FY2021", "0", "0 of 8"]]
    assert unpublished_zero_problems({"tables": [county]})
    county[1][1] = "not published"
    assert not unpublished_zero_problems({"tables": [county]})
