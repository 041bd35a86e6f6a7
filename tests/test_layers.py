"""The package's layers import one way: cli -> reports -> claims -> viz -> stats -> contract,
and ingest -> contract; ``config``, ``errors``, ``files`` and ``limits`` serve every layer and
import no layer; nothing imports the command line. The test reads every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"
LAYERS = ("contract", "stats", "ingest", "viz", "claims", "reports", "cli")
#: what each layer may import besides itself and the shared modules (config, errors, ...)
ALLOWED = {
    "base": set(),
    "contract": set(),
    "stats": {"contract"},
    "ingest": {"contract"},
    "viz": {"stats", "contract"},
    "claims": {"viz", "stats", "contract"},
    "reports": {"claims", "viz", "stats", "contract"},
    "cli": set(LAYERS) | {"shim"},
    "shim": {"ingest"},  # analysis.sources: the documented entry point to the adapters
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    if len(parts) > 1 and parts[1] == "sources":
        return "shim"
    return "base"


def imports() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[0] == "analysis":
                names = ([f"analysis.{a.name}" for a in node.names]
                         if node.module == "analysis" else [node.module])
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "analysis"]
            else:
                continue
            found += [(module, name) for name in names]
    return found


def violations(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{a} imports {b}" for a, b in pairs
            if layer_of(b) != layer_of(a) and layer_of(b) != "base"
            and layer_of(b) not in ALLOWED[layer_of(a)]]


def test_layers_import_one_way():
    assert violations(imports()) == []


def test_shared_modules_import_no_layer():
    wrong = [f"{a} imports {b}" for a, b in imports()
             if layer_of(a) == "base" and layer_of(b) != "base"]
    assert wrong == []


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_is_a_folder_with_a_docstring(layer):
    init = SRC / layer / "__init__.py"
    assert init.is_file()
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))


def test_the_checker_catches_wrong_imports():
    pairs = [("analysis.stats.shares", "analysis.reports.render"),
             ("analysis.contract.geo", "analysis.ingest.sources.reading"),
             ("analysis.viz.charts", "analysis.cli"),
             ("analysis.reports.render", "analysis.viz.charts")]
    assert violations(pairs) == [
        "analysis.stats.shares imports analysis.reports.render",
        "analysis.contract.geo imports analysis.ingest.sources.reading",
        "analysis.viz.charts imports analysis.cli"]

