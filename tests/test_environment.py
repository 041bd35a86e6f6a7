"""environment.yml (conda) must list the same dependencies as pyproject.toml (pip)."""

import re
import tomllib

import yaml


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-"), version.replace(" ", "")


def test_environment_yml_matches_pyproject(project_root):
    project = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
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
