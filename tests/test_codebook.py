"""The codebook is generated from the schemas, and the documents cannot drift from them."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pandera.pandas as pa
import pytest

from analysis import cli
from analysis.contract import codebook, schemas


def test_docs_and_readme_are_in_step_with_the_schemas(project_root):
    assert codebook.stale(project_root) == [], "run `parole codebook` and commit the result"


@pytest.mark.parametrize("table", codebook.TABLES)
def test_every_column_is_described(table):
    for name, col in schemas.SCHEMAS[table].columns.items():
        assert col.description and len(col.description) > 10, f"{table}.{name}"


def _isin_values(col: pa.Column) -> set[str] | None:
    for check in col.checks:
        if check.name == "isin":
            return set(check.statistics["allowed_values"])
    return None


@pytest.mark.parametrize("table", codebook.TABLES)
def test_listed_values_are_exactly_what_validation_accepts(table):
    for name, col in schemas.SCHEMAS[table].columns.items():
        accepted = _isin_values(col)
        allowed = (col.metadata or {}).get("allowed")
        if accepted is not None:
            assert isinstance(allowed, dict) and set(allowed) == accepted, f"{table}.{name}"
        elif isinstance(allowed, dict):
            pytest.fail(f"{table}.{name} lists values but validation does not check them")


def _copy_docs(project_root, tmp_path):
    (tmp_path / "docs").mkdir()
    shutil.copy(project_root / "README.md", tmp_path / "README.md")
    shutil.copy(project_root / "docs" / "codebook.md", tmp_path / "docs" / "codebook.md")
    return tmp_path


def test_a_changed_description_makes_both_documents_stale(project_root, tmp_path,
                                                          monkeypatch):
    root = _copy_docs(project_root, tmp_path)
    assert codebook.stale(root) == []
    col = schemas.COUNTS.columns["measure"]
    monkeypatch.setattr(col, "description", "what was done (CHANGED)")
    assert codebook.stale(root) == ["docs/codebook.md", "README.md"]
    before = (root / "README.md").read_text()
    codebook.write(root, tmp_path / "reports")
    assert codebook.stale(root) == []
    after = (root / "README.md").read_text()
    assert "what was done (CHANGED)" in after and "what was done (CHANGED)" not in before
    # only the generated block changed
    head = before.split(codebook.README_START)[0]
    tail = before.split(codebook.README_END)[1]
    assert after.startswith(head) and after.endswith(tail)


def test_check_command_exits_1_when_stale(project_root, tmp_path, capsys):
    root = _copy_docs(project_root, tmp_path)
    (root / "docs" / "codebook.md").write_text("# old\n")
    assert cli.main(["codebook", "--check", "--root", str(root)]) == 1
    assert "out of date: docs/codebook.md" in capsys.readouterr().err
    assert (root / "docs" / "codebook.md").read_text() == "# old\n"
    assert cli.main(["codebook", "--root", str(root), "--reports-dir",
                     str(tmp_path / "r")]) == 0
    assert cli.main(["codebook", "--check", "--root", str(root)]) == 0


def test_readme_without_markers_is_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "codebook.md").write_text(codebook.markdown())
    (tmp_path / "README.md").write_text("# project\n")
    assert codebook.stale(tmp_path) == ["README.md (no contract markers)"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.codes, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br"):
            self.stack.append(tag)
        self.ids |= {v for k, v in attrs if k == "id"}
        self.hrefs = getattr(self, "hrefs", []) + [v for k, v in attrs if k == "href"]

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "code":
            self.codes.append(data)


def test_html_page_lists_every_column_and_status(tmp_path):
    path = codebook.render_html(tmp_path)
    assert path == tmp_path / "codebook.html"
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.stack == []  # every element closed in order
    for table in codebook.TABLES:
        assert set(schemas.SCHEMAS[table].columns) <= set(parser.codes)
    assert set(schemas.STATUSES) <= set(parser.codes)
    # in-page links resolve
    assert {h[1:] for h in parser.hrefs if h.startswith("#")} <= parser.ids
    text = path.read_text(encoding="utf-8")
    assert "published as <code>X</code> by DHS OHSS" in text
    assert "None" not in text and "nan" not in text.split("<body>")[1].lower().split()
