"""The declared dependencies, the lock file and environment.yml agree.

pyproject.toml says what the project needs (lower bounds); requirements.lock pins the exact,
tested version of every package with its hashes (`make lock`); environment.yml lists the same
packages for conda. These tests fail when any of the three drifts from the others.
"""

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCK = "requirements.lock"


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-"), version.replace(" ", "")


def _project(project_root) -> dict:
    return tomllib.loads((project_root / "pyproject.toml").read_text())


def _declared(project_root) -> list[Requirement]:
    data = _project(project_root)
    specs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        specs += extra
    specs += data["build-system"]["requires"]
    return [Requirement(s) for s in specs]


def parse_lock(text: str) -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, [sha256, ...])}`` from a hashed requirements file.

    Raises AssertionError on any requirement that is not pinned with ``==`` or has no hash.
    """
    entries: dict[str, tuple[str, list[str]]] = {}
    logical = re.sub(r"\\\n", " ", text)  # join continuation lines
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("--hash") else line
        if not line or line.startswith("#"):
            continue
        head, *options = line.split(" --")
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._\-]*)==([^\s;]+)", head.strip())
        assert match, f"{LOCK}: {head.strip()!r} is not pinned as NAME==VERSION"
        hashes = [o.split(":", 1)[1].strip() for o in options if o.startswith("hash=sha256:")]
        assert hashes, f"{LOCK}: {head.strip()} has no sha256 hash"
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), \
            f"{LOCK}: {head.strip()} has a malformed sha256 hash"
        entries[canonicalize_name(match[1])] = (match[2], hashes)
    return entries


def test_environment_yml_matches_pyproject(project_root):
    project = _project(project_root)["project"]
    wanted = dict(_split(d) for d in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_split(d) for d in extra)
    env = yaml.safe_load((project_root / "environment.yml").read_text())
    listed = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed.update(_split(d) for d in dep["pip"] if not d.startswith("-"))
        else:
            listed.update([_split(dep)])
    python = listed.pop("python")
    listed.pop("pip")
    assert python == project["requires-python"]
    assert listed == wanted


def test_lock_pins_every_declared_dependency_with_hashes(project_root):
    locked = parse_lock((project_root / LOCK).read_text(encoding="utf-8"))
    for req in _declared(project_root):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is declared in pyproject.toml but not in {LOCK}; " \
                               "run `make lock`"
        version, _ = locked[name]
        assert req.specifier.contains(Version(version), prereleases=True), (
            f"{LOCK} pins {req.name}=={version}, outside pyproject.toml's {req}; run `make lock`")


def test_lock_versions_satisfy_environment_yml(project_root):
    locked = parse_lock((project_root / LOCK).read_text(encoding="utf-8"))
    env = yaml.safe_load((project_root / "environment.yml").read_text())
    specs = [d for d in env["dependencies"] if isinstance(d, str)]
    specs += [d for dep in env["dependencies"] if isinstance(dep, dict)
              for d in dep["pip"] if not d.startswith("-")]
    for spec in specs:
        name, bound = _split(spec)
        if name in {"python", "pip"}:
            continue
        req = Requirement(f"{name}{bound}")
        version, _ = locked[canonicalize_name(name)]
        assert req.specifier.contains(Version(version), prereleases=True), (spec, version)


@pytest.mark.parametrize(("text", "message"), [
    ("numpy>=2\n", "not pinned"),
    ("numpy==2.0.0\n", "no sha256 hash"),
    ("numpy==2.0.0 \\\n    --hash=sha256:abc\n", "malformed sha256 hash"),
])
def test_lock_parser_refuses_loose_entries(text, message):
    with pytest.raises(AssertionError, match=message):
        parse_lock(text)


def test_lock_parser_reads_hashes_across_lines():
    text = ("# header\nnumpy==2.0.0 \\\n    --hash=sha256:" + "a" * 64 + " \\\n"
            "    --hash=sha256:" + "b" * 64 + "\n    # via pandas\n")
    assert parse_lock(text) == {"numpy": ("2.0.0", ["a" * 64, "b" * 64])}


def test_installs_come_from_the_lock(project_root):
    makefile = (project_root / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile and f"LOCK   := {LOCK}" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    # every target that runs project code depends on the locked install
    for target in ("test", "lint", "ingest", "lab", "bench"):
        assert re.search(rf"^{target}: [^\n]*\$\(STAMP\)", makefile, re.M), target
    assert "make test" in (project_root / ".ci" / "run").read_text(encoding="utf-8")
