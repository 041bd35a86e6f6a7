"""Each report's parameters are declared by its module's pydantic ``Parameters`` model; the
notebook's cell tagged ``parameters`` must agree with it: every public parameter of the cell is
a field of the model, and the cell's defaults pass the report's own check into a model that
holds them."""

from __future__ import annotations

import importlib
import importlib.util

import pytest
from pydantic import BaseModel

from analysis.reports import render


def _reports_with_models() -> list[str]:
    found = []
    for name in render.available():
        if importlib.util.find_spec(f"analysis.reports.{name}") is None:
            continue
        model = getattr(importlib.import_module(f"analysis.reports.{name}"), "Parameters", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            found.append(name)
    return found


def test_the_reports_with_parameters_have_models():
    assert {"national_overview", "processing_times", "regional_report"} <= \
        set(_reports_with_models())


@pytest.mark.parametrize("name", _reports_with_models())
def test_notebook_parameters_are_fields_of_the_model(name):
    model = importlib.import_module(f"analysis.reports.{name}").Parameters
    cell = set(render.available()[name]) | {"data_dir"}
    assert cell - set(model.model_fields) == set(), f"notebooks/{name}.ipynb"


@pytest.mark.parametrize("name", _reports_with_models())
def test_notebook_defaults_pass_the_models_check(name, ingested):
    module = importlib.import_module(f"analysis.reports.{name}")
    defaults = {**render.defaults(name), "data_dir": str(ingested)}
    checked = module.validate_parameters(defaults)
    assert isinstance(checked, module.Parameters)
    for key, value in render.available()[name].items():
        got = getattr(checked, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key
