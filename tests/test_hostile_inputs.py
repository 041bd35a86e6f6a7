"""Hostile and careless inputs (issue 16, points 3 to 8): bombs, traversal, symlinks,
unregistered side files, hostile report parameters and claims files, one-line errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, config, ingest, manifest, reports
from analysis.claims import report as claims_report
from analysis.claims.checker import check
from analysis.claims.model import load as load_claims
from analysis.errors import InputError, ParoleError
from analysis.sources import reading

from .conftest import copy_bundled_raw

FIXTURES = Path(__file__).parent / "fixtures"


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("parole: error: "), err
    assert "Traceback" not in err
    return err


def register_by_hand(data: Path, rel: str, source: str = "published") -> None:
    """A manifest row written by hand (bypassing `parole add`), as a careless user might."""
    path = data / "raw" / rel
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "0" * 64
    manifest.write(data, [*manifest.read(data), manifest.Entry(rel, source, "c", "", "", digest)])


# --------------------------------------------------------------------------- YAML bombs

BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def test_yaml_alias_bomb_is_refused_naming_the_limit(tmp_path, capsys):
    assert len(BOMB) < 600  # a few hundred bytes that would expand to 9**9 values
    claims = tmp_path / "bomb.yml"
    claims.write_text("title: t\n" + BOMB + "claims: []\n")
    assert cli.main(["check", str(claims)]) == 2
    err = one_line_error(capsys)
    assert "bomb.yml" in err and "max_yaml_nodes" in err and "PAROLE_LIMIT_MAX_YAML_NODES" in err


def test_yaml_alias_count_and_recursion_and_python_tags(tmp_path):
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * 150) + "]\n"
    with pytest.raises(InputError, match="max_yaml_aliases=100"):
        reading.load_yaml(many, "many.yml")
    with pytest.raises(InputError, match="refers to the value that contains it"):
        reading.load_yaml("a: &a [*a]\n", "loop.yml")
    with pytest.raises(InputError, match="not valid YAML"):
        reading.load_yaml("x: !!python/object/apply:os.system ['echo pwned']\n", "tag.yml")
    assert reading.load_yaml("a: &a [1, 2]\nb: *a\n", "ok.yml") == {"a": [1, 2], "b": [1, 2]}


def test_yaml_limits_are_configurable(monkeypatch):
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * 150) + "]\n"
    monkeypatch.setattr(reading, "LIMITS", reading.limits_from_env(
        {"PAROLE_LIMIT_MAX_YAML_ALIASES": "200"}))
    assert len(reading.load_yaml(many, "many.yml")["b"]) == 150


def test_regions_bomb_and_parameter_bomb(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PAROLE_ALLOWED_DIRS", str(tmp_path))
    regions = tmp_path / "regions.yml"
    regions.write_text(BOMB)
    assert cli.main(["report", "regional_report", "--regions", str(regions)]) == 2
    assert "max_yaml_nodes" in one_line_error(capsys)
    assert cli.main(["report", "national_overview", "-p", "series=" + BOMB.replace("\n", "\n")
                     ]) == 2
    one_line_error(capsys)


# --------------------------------------------------------------------------- compression bombs


def _bomb_workbook(path: Path, megabytes: int = 40) -> Path:
    """A valid workbook whose sheet part is padded to ``megabytes`` of blanks (a few hundred
    kilobytes zipped)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Fiscal Year", "Total"])
    book.active.append([2020, 1])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w",
                                                            zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<sheetData>", b"<sheetData>" + b" " * (
                    megabytes * 1024 * 1024), 1)
            out.writestr(item.filename, content)
    return path


@pytest.mark.parametrize("source", ["uscis-all-forms", "uscis-field-office", "hhs-orr-uc",
                                    "ohss-monthly", "published", "case-records"])
def test_compression_bomb_is_refused_whatever_the_adapter(tmp_path, source, capsys):
    bomb = _bomb_workbook(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 300_000
    data = tmp_path / "data"
    assert cli.main(["add", str(bomb), "--source", source, "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    err = one_line_error(capsys)
    assert "bomb.xlsx" in err and "max_compression_ratio=200" in err


# --------------------------------------------------------------------------- confinement


@pytest.fixture
def data(tmp_path) -> Path:
    return copy_bundled_raw(tmp_path / "d")


def test_manifest_rows_outside_data_raw_are_never_read(data, capsys):
    for rel in ("../../../../etc/passwd", "/etc/passwd", "published/../../secret.csv"):
        backup = (data / "raw" / "manifest.csv").read_bytes()
        register_by_hand(data, rel)
        assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
        err = one_line_error(capsys)
        assert "not inside data/raw" in err and "root:" not in err
        (data / "raw" / "manifest.csv").write_bytes(backup)
    assert not (data / "processed").exists() or not list((data / "processed").glob("*.parquet"))


def test_symlinks_are_refused_at_add_and_at_ingest(data, tmp_path, capsys):
    target = tmp_path / "elsewhere.csv"
    shutil.copy(data / "raw" / "published" / "published_figures.csv", target)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert cli.main(["add", str(link), "--source", "published", "--data-dir", str(data)]) == 2
    assert "symbolic link" in one_line_error(capsys)
    assert not (data / "raw" / "published" / "link.csv").exists()
    inside = data / "raw" / "published" / "inside.csv"
    inside.symlink_to(target)
    register_by_hand(data, "published/inside.csv")
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    assert "symbolic link" in one_line_error(capsys)


def _capture_data(tmp_path: Path, register_labels: bool) -> pd.DataFrame:
    data = tmp_path / ("with" if register_labels else "without")
    data.mkdir()
    source = FIXTURES / "uscis" / "pt_capture"
    labels = json.loads((source / "labels.json").read_text(encoding="utf-8"))
    labels["offices"]["NSC"] = "PLANTED NAME"
    planted = tmp_path / "labels.json"
    planted.write_text(json.dumps(labels), encoding="utf-8")
    for path in (source / "times.ndjson", source / "times.metadata.json"):
        manifest.add(path, "uscis-processing-times", data_dir=data)
    if register_labels:
        manifest.add(planted, "uscis-processing-times", data_dir=data)
    else:  # the same file put beside the capture without `parole add`
        shutil.copy(planted, data / "raw" / "uscis-processing-times" / "labels.json")
    report = ingest.run(data, progress=False)
    if not register_labels:
        assert "uscis-processing-times/labels.json" in report["unregistered_files"]
    return pd.read_parquet(data / "processed" / "processing_times.parquet")


def test_an_unregistered_side_file_does_not_change_the_output(tmp_path):
    assert "PLANTED NAME" in set(_capture_data(tmp_path, True)["geo_name"].dropna())
    assert "PLANTED NAME" not in set(_capture_data(tmp_path, False)["geo_name"].dropna())


# --------------------------------------------------------------------------- report parameters


def test_report_parameter_files_only_from_the_project_or_an_allowed_folder(tmp_path,
                                                                           monkeypatch):
    monkeypatch.delenv("PAROLE_ALLOWED_DIRS", raising=False)
    secret = tmp_path / "secret.yml"
    secret.write_text("SECRET-LINE-1\nSECRET-LINE-2\n")
    for call in (lambda: claims_report.resolve_claims_file(str(secret)),
                 lambda: claims_report.resolve_claims_file("../../../../etc/passwd"),
                 lambda: reports.batch_places(regions_file=secret),
                 lambda: reports.parse_parameters([], secret)):
        with pytest.raises(ParoleError, match="must be inside the project") as caught:
            call()
        assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize("content", [
    "root:x:0:0:SECRET:/root:/bin/bash\nSECRET-TWO\n",
    "- SECRET one\n- SECRET two\n",
    "x: !!python/object/apply:os.system ['echo SECRET']\n",
    "key: [unclosed SECRET\n",
    "\x00\x01SECRET binary",
])
def test_errors_never_echo_a_parameter_files_content(tmp_path, monkeypatch, capsys, content):
    monkeypatch.setenv("PAROLE_ALLOWED_DIRS", str(tmp_path))
    path = tmp_path / "regions.txt"
    path.write_text(content)
    assert cli.main(["report", "regional_report", "--regions", str(path)]) == 2
    err = one_line_error(capsys)
    assert "SECRET" not in err and "regions.txt" in err
    assert cli.main(["report", "national_overview", "-y", str(path)]) == 2
    err = one_line_error(capsys)
    assert "SECRET" not in err


def test_allow_dir_opens_one_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PAROLE_ALLOWED_DIRS", raising=False)
    regions = tmp_path / "regions.yml"
    regions.write_text("- CA\n- Texas\n")
    with pytest.raises(ParoleError, match="must be inside the project"):
        reports.batch_places(regions_file=regions)
    config.allow_dir(tmp_path)
    assert reports.batch_places(regions_file=regions) == ["CA", "Texas"]


# --------------------------------------------------------------------------- escaped output

HOSTILE_NAME = "x`<img src=x onerror=alert(1)>.yml"
HOSTILE_CLAIMS = """\
title: "<script>alert(1)</script> and <b onmouseover=alert(2)>bold</b>"
claims:
  - id: hp-received-fy2023-q2
    text: "See [link](javascript:alert(3)) and <img src=x onerror=alert(4)> and `code` *x*"
    metric: count
    value: 2328
    unit: "<script>alert(5)</script>"
    category: humanitarian-parole
    measure: received
    geo: US
    period: FY2023-Q2
"""


class ActiveMarkup(HTMLParser):
    """Collects anything that could run: script elements, on* attributes, javascript: or
    data: addresses, iframes and objects."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
            self._in_script = tag == "script"
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name.lower() in ("href", "src", "action", "formaction") and value and \
                    re.match(r"\s*(javascript|vbscript|data):", value, re.I) and not \
                    value.startswith("data:image/png;base64,"):
                self.found.append(f"{tag} {name}={value}")


def _hostile_claims(tmp_path: Path) -> Path:
    path = tmp_path / HOSTILE_NAME
    path.write_text(HOSTILE_CLAIMS, encoding="utf-8")
    return path


def test_hostile_claims_file_renders_no_active_markup(tmp_path, ingested):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    path = _hostile_claims(tmp_path)
    claims = load_claims(path)
    verdicts = check(claims, data_dir=ingested)
    markdown = "\n\n".join([claims_report.header_markdown(path, claims),
                            *(claims_report.card_markdown(v) for v in verdicts)])
    page = markdown2html_mistune(markdown)  # what nbconvert makes of a Markdown output
    parser = ActiveMarkup()
    parser.feed(page)
    assert parser.found == [], page
    links = re.findall(r'<a [^>]*href="([^"]*)"', page)
    # nbconvert's heading anchors and the publishers' http(s) addresses, written out whole
    assert all(h.startswith(("#", "https://", "http://")) for h in links), links
    assert not any("%5C" in h or "javascript" in h.lower() for h in links), links
    # the hostile text is shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[link](javascript:alert(3))" in re.sub(r"<[^>]+>", "", page).replace("\\", "")
    assert "onerror=alert(1)&gt;.yml" in page


@pytest.mark.slow
def test_hostile_claims_file_rendered_to_html_has_no_active_markup(tmp_path, ingested,
                                                                   monkeypatch):
    monkeypatch.setenv("PAROLE_ALLOWED_DIRS", str(tmp_path))
    path = _hostile_claims(tmp_path)
    rendered = reports.render("claim_check", {"claims_file": str(path)}, data_dir=ingested,
                              reports_dir=tmp_path / "reports")
    page = rendered.html.read_text(encoding="utf-8")
    parser = ActiveMarkup()
    parser.feed(page)
    own = {"<script>"}  # nbconvert's page template carries its own scripts (MathJax, require)
    assert [f for f in parser.found if f not in own] == []
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    for attrs, body in scripts:
        if "application/ld+json" in attrs:  # ClaimReview data: inert, and cannot close early
            assert "<" not in body and json.loads(body)["@type"] == "ClaimReview"
        else:
            assert not any(p in body for p in ("alert(1)", "alert(3)", "alert(4)", "alert(5)"))
    assert 'href="javascript:' not in page.lower()
    index = reports.write_index(tmp_path / "reports").read_text(encoding="utf-8")
    parser = ActiveMarkup()
    parser.feed(index)
    assert parser.found == []


def test_markup_helpers():
    from analysis.markup import md_code, md_link, md_text, safe_url

    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https://www.uscis.gov/x.csv") == "https://www.uscis.gov/x.csv"
    assert md_link("x", "javascript:alert(1)") .startswith("x (javascript:alert")
    assert md_link("x", "https://a.gov/y") == "[x](<https://a.gov/y>)"
    assert md_code("a`b") == "``a`b``" and md_code("`") == "`` ` ``"
    assert md_text("see https://a.gov/x_y.csv.") == "see <https://a.gov/x_y.csv>."
    assert md_text("<https://a.gov/x>") == "&lt;<https://a.gov/x>&gt;"
    assert md_text("javascript:alert(1)") == "javascript:alert\\(1\\)"


# --------------------------------------------------------------------------- one-line errors


def _ingest_one(tmp_path: Path, name: str, content: bytes, source: str) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_bytes(content)
    manifest.add(path, source, data_dir=data)
    return data


@pytest.mark.parametrize(("name", "content", "source", "expected"), [
    ("deep.json", b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "uscis-processing-times",
     r"deep\.json: JSON nesting is deeper than 64, over the limit max_json_depth=64"),
    ("big.json", b'{"data": {"form_info": [], "subtypes": [' + b"1" * 400 + b"]}}",
     "uscis-processing-times", r"big\.json.*an integer of 400 digits.*max_int_digits"),
    ("figures.csv", (FIXTURES.parent.parent / "data" / "raw" / "published" /
                     "published_figures.csv").read_bytes().replace(b"2001-10-01", b"2001-13-45",
                                                                   1),
     "published", r"figures\.csv, line 2, column period_start: '2001-13-45' is not a date "
                  r"\(expected a date YYYY-MM-DD\)"),
])
def test_probes_end_in_one_line_naming_file_and_place(tmp_path, capsys, name, content, source,
                                                      expected):
    data = _ingest_one(tmp_path, name, content, source)
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    assert re.search(expected, one_line_error(capsys))


def test_binary_manifest_is_one_line(data, capsys):
    (data / "raw" / "manifest.csv").write_bytes(bytes(range(256)) * 10)
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    assert "manifest.csv" in one_line_error(capsys)
    (data / "raw" / "manifest.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64)
                                                .replace(b"\x00", b"1"))
    assert cli.main(["ingest", "--data-dir", str(data), "-q"]) == 2
    assert "manifest.csv" in one_line_error(capsys)


def test_limits_are_named_and_configurable_from_the_command_line(data, capsys, monkeypatch):
    monkeypatch.setattr(reading, "LIMITS", reading.LIMITS)  # restored after the test
    assert cli.main(["--limit", "max_rows=5", "ingest", "--data-dir", str(data), "-q"]) == 2
    err = one_line_error(capsys)
    assert "max_rows=5" in err and "--limit max_rows=N" in err
    monkeypatch.setattr(reading, "LIMITS", reading.Limits())
    assert cli.main(["--limit", "max_rowz=5", "ingest", "--data-dir", str(data)]) == 2
    assert "unknown limit 'max_rowz'" in one_line_error(capsys)
    monkeypatch.setenv("PAROLE_LIMIT_MAX_ROWS", "7")
    assert reading.limits_from_env().max_rows == 7


def test_a_truncated_csv_fails_or_is_reported(data, tmp_path):
    # a strict layout: the cut row is refused, naming the line
    text = (data / "raw" / "published" / "published_figures.csv").read_text(encoding="utf-8")
    cut = text[:text.rindex("\n", 0, len(text) - 1) + 1]
    (tmp_path / "cut.csv").write_text(cut + ",".join(text[len(cut):].split(",")[:5]))
    manifest.add(tmp_path / "cut.csv", "published", data_dir=data)
    with pytest.raises(InputError, match=r"cut\.csv, line \d+: 5 cells where the header has 12"):
        ingest.run(data, progress=False)
    manifest.remove("published/cut.csv", data_dir=data)
    # a layout that tolerates short rows: ingested, and the file is reported
    assert ingest.possibly_truncated(data / "raw" / "published" / "published_figures.csv") \
        is None


@pytest.mark.parametrize(("text", "flagged"), [
    ("a,b,c\n1,2,3\n4,5,6\n", False),
    ("a,b,c\n1,2,3\n4,5,6", True),  # no line end after a figure: "6" may have been "60"
    ("a,b,c\n1,2,3\n4,5", True),  # cut inside the row
    ("a,b,c\n1,2,3\n4", True),  # cut after the first figure
    ("a,b,c\n1,2,3\nNote: from the agency", False),  # a footnote without a line end
    ('a,b,c\n1,2,3\n4,"5",1,2', True),
])
def test_possibly_truncated(tmp_path, text, flagged):
    path = tmp_path / "t.csv"
    path.write_text(text)
    assert (ingest.possibly_truncated(path) is not None) == flagged


def test_a_truncated_file_is_reported_at_ingest(tmp_path):
    data = tmp_path / "data"
    records = (FIXTURES.parent.parent / "data" / "templates" / "case_records_template.csv")
    columns = records.read_text(encoding="utf-8").splitlines()[0].split(",")
    columns.remove("age_years")
    header = ",".join([*columns, "age_years"])  # the age last: "35" cut to "3" still parses
    cut = tmp_path / "cases.csv"
    cut.write_text(header + "\n" + "\n".join(_case_rows(header, 4))[:-1])
    manifest.add(cut, "case-records", data_dir=data)
    report = ingest.run(data, progress=False)
    assert [t["path"] for t in report["possibly_truncated"]] == ["case-records/cases.csv"]
    assert "may be cut short" in ingest.summary(report)


def _case_rows(header: str, n: int) -> list[str]:
    values = {"case_id": "C{}", "form": "I-131", "received_date": "2024-01-0{}",
              "decided_date": "2024-03-1{}", "outcome": "approved", "office": "NSC",
              "age_years": "3{}"}
    return [",".join(values.get(col, "").format(i + 1) for col in header.split(","))
            for i in range(n)]


# --------------------------------------------------------------------------- report names


def test_report_names_never_collide_and_the_index_keeps_both(tmp_path):
    a = reports.slug({"claims_file": "data/claims/a_b.yml"})
    b = reports.slug({"claims_file": "data/claims/a-b.yml"})
    assert a != b and re.fullmatch(r"[a-z0-9-]+", a) and re.fullmatch(r"[a-z0-9-]+", b)
    assert reports.slug({"series": ["a", "b"]}) != reports.slug({"series": ["a-b"]})
    assert reports.slug({"geo": "CA"}) == "geo-ca"  # readable names stay readable
    out = tmp_path / "reports"
    for stem, value in ((a, "data/claims/a_b.yml"), (b, "data/claims/a-b.yml")):
        html_path = out / "claim_check" / f"{stem}.html"
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text("<p>x</p>")
        reports._record(out, reports.Rendered("claim_check", {"claims_file": value},
                                              html_path.with_suffix(".ipynb"), html_path))
    index = reports.write_index(out).read_text(encoding="utf-8")
    assert len(re.findall(r'href="claim_check/[^"]+\.html"', index)) == 2
    assert json.loads((out / "index.json").read_text())[0]["html"] != \
        json.loads((out / "index.json").read_text())[1]["html"]


def test_nothing_echoes_file_content_in_a_bytes_probe():
    """Guard: the YAML error text keeps PyYAML's own words but drops quoted content."""
    with pytest.raises(InputError) as caught:
        reading.load_yaml("a: 'SECRET\n", io.StringIO().getvalue() or "f.yml")
    assert "SECRET" not in str(caught.value)
