"""Rendering report notebooks with papermill, and the index of rendered reports.

A report is ``notebooks/<name>.ipynb`` with a cell tagged ``parameters``. Rendering:

1. parameters are checked against that cell (names and types) before any kernel starts;
2. papermill executes the notebook in the project's own Jupyter kernel (``parole-stats``),
   registered for this environment, so a report never runs in another Python;
3. the executed notebook and an HTML copy without code go to ``reports/<name>/<slug>.*``
   (each written atomically), and ``reports/index.html`` lists every rendered report.
"""

from __future__ import annotations

import ast
import html
import json
import multiprocessing
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from tqdm.auto import tqdm

from . import config, storage
from .errors import ParoleError, ReportError

#: The reports ``parole report --default`` renders, with their parameters.
DEFAULT_SET: list[tuple[str, dict[str, Any]]] = [
    ("national_overview", {}),
    ("claim_check", {"claims_file": "data/claims/seed_article.yml"}),
    ("regional_report", {"geo": "CA"}),
    ("regional_report", {"geo": "TX"}),
    ("processing_times", {}),
]

#: Parameters the command line fills in itself: the data folder, and where the report's
#: files go (``output_dir``, ``output_name``: the CSV downloads beside the HTML).
_INTERNAL = {"data_dir", "output_dir", "output_name"}


def _check_national_overview(p: dict[str, Any]) -> None:
    from . import overview

    overview.check_parameters(p["fy_start"], p["fy_end"], p["series"], p["data_dir"])


def _check_regional_report(p: dict[str, Any]) -> None:
    from . import regional

    regional.check_parameters(p["geo"], p["fy_start"], p["fy_end"], p["data_dir"])


def _check_processing_times(p: dict[str, Any]) -> None:
    from . import processing_report

    processing_report.check_parameters(p["form"], p["offices"], p["data_dir"])


def _check_claim_check(p: dict[str, Any]) -> None:
    from .claims import load_input
    from .claims.report import resolve_claims_file

    try:
        load_input(resolve_claims_file(p["claims_file"]))
    except ParoleError as exc:
        raise ValueError(str(exc)) from None


#: Checks run on a report's values (in this process, before any kernel starts); each is the
#: same function the notebook's first cell calls, so both refuse the same values.
VALIDATORS = {
    "national_overview": _check_national_overview,
    "regional_report": _check_regional_report,
    "processing_times": _check_processing_times,
    "claim_check": _check_claim_check,
}

#: Kernel start-up failures worth another try (papermill users report flaky starts under load).
KERNEL_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class Rendered:
    name: str
    parameters: dict[str, Any]
    notebook: Path
    html: Path


def notebook_path(name: str) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ReportError(f"unknown report {name!r}; expected one of: {', '.join(available())}")
    path = config.notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        raise ReportError(f"unknown report {name!r}; expected one of: {', '.join(available())}")
    return path


def defaults(name: str) -> dict[str, Any]:
    """The parameters of report ``name`` with their default values, read from its notebook."""
    import papermill

    found = papermill.inspect_notebook(str(notebook_path(name)))
    if not found:
        raise ReportError(f"notebooks/{name}.ipynb has no cell tagged 'parameters'")
    values = {}
    for key, info in found.items():
        try:
            values[key] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            values[key] = info["default"]
    return values


def available() -> dict[str, dict[str, Any]]:
    """Every report notebook and its public parameters with defaults."""
    out = {}
    for path in sorted(config.notebooks_dir().glob("*.ipynb")):
        params = defaults(path.stem)
        out[path.stem] = {k: v for k, v in params.items() if k not in _INTERNAL}
    return out


def parse_parameters(pairs: list[str], yaml_file: Path | None = None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (VALUE read as YAML) and an optional YAML file, as a dict."""
    params: dict[str, Any] = {}
    if yaml_file is not None:
        try:
            loaded = yaml.safe_load(Path(yaml_file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ReportError(f"{yaml_file}: cannot read parameters ({exc})") from None
        if not isinstance(loaded, dict):
            raise ReportError(f"{yaml_file}: expected a mapping of parameter names to values")
        params.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReportError(f"parameter {pair!r}: expected KEY=VALUE")
        try:
            params[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            params[key.strip()] = value
    return params


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_parameters(name: str, params: dict[str, Any],
                     data_dir: Path | str | None = None) -> dict[str, Any]:
    """Check names and types of ``params`` against the notebook's parameter cell.

    With ``data_dir``, also runs the report's own validator (values, data available).
    Returns the full parameter set (defaults filled in). Raises :class:`ReportError` naming
    the parameter and what was expected.
    """
    known = defaults(name)
    public = {k: v for k, v in known.items() if k not in _INTERNAL}
    for key, value in params.items():
        if key not in public:
            raise ReportError(f"report {name}: unknown parameter {key!r}; expected one of: "
                              + ", ".join(public))
        default = public[key]
        ok = (isinstance(value, type(default)) and not
              (isinstance(value, bool) and not isinstance(default, bool)))
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if default is None:
            ok = True
        if not ok:
            raise ReportError(f"report {name}: parameter {key}={value!r} is a "
                              f"{_type_name(value)}; expected a {_type_name(default)} "
                              f"like {default!r}")
    full = {**known, **params}
    if data_dir is not None:
        full["data_dir"] = str(data_dir)
        validator = VALIDATORS.get(name)
        if validator is not None:
            try:
                validator(full)
            except ValueError as exc:
                raise ReportError(f"report {name}: {exc}") from None
    return full


def slug(params: dict[str, Any]) -> str:
    """A safe file name for a parameter set: letters, digits and hyphens only."""
    shown = {k: v for k, v in sorted(params.items()) if k not in _INTERNAL}
    if not shown:
        return "default"
    text = "_".join(f"{k}-{v if not isinstance(v, list | tuple) else '-'.join(map(str, v))}"
                    for k, v in shown.items())
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:120] or "default"


def ensure_kernel() -> str:
    """Make sure the ``parole-stats`` kernel exists and runs this very Python.

    Registers it in this environment (``sys.prefix``) when missing; refuses a kernel of that
    name that points at another Python, since the report would run elsewhere.
    """
    from ipykernel.kernelspec import install
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec(config.KERNEL_NAME)
    except NoSuchKernel:
        install(kernel_name=config.KERNEL_NAME, display_name=config.KERNEL_DISPLAY_NAME,
                prefix=sys.prefix)
        spec = KernelSpecManager().get_kernel_spec(config.KERNEL_NAME)
    python = Path(spec.argv[0])
    if python.resolve() != Path(sys.executable).resolve():
        raise ReportError(
            f"Jupyter kernel {config.KERNEL_NAME!r} ({spec.resource_dir}) runs {python}, not this "
            f"environment's {sys.executable}; remove it with `jupyter kernelspec remove "
            f"{config.KERNEL_NAME}` and run `make kernel`")
    return config.KERNEL_NAME


def to_html(notebook: Path) -> str:
    """HTML of an executed notebook with code cells and prompts hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def render(name: str, params: dict[str, Any] | None = None, *,
           data_dir: Path | str | None = None, reports_dir: Path | str | None = None,
           retries: int = 2, record: bool = True) -> Rendered:
    """Render report ``name`` with ``params``; return where the notebook and HTML went.

    A kernel that fails to start is tried again up to ``retries`` times; an error inside the
    notebook is not retried (the executed notebook is kept as ``<slug>.failed.ipynb``).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    params = dict(params or {})
    data_dir = Path(data_dir or config.default_data_dir()).resolve()
    full = check_parameters(name, params, data_dir)
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    out_dir = reports_dir / name
    stem = slug(params)
    target_nb, target_html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    if not target_nb.resolve().is_relative_to(reports_dir):
        raise ReportError(f"report output {target_nb} would land outside {reports_dir}")
    kernel = ensure_kernel()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{stem}.running.ipynb"
    for attempt in range(retries + 1):
        try:
            outputs = {"output_dir": str(out_dir), "output_name": stem}
            given = {**full, **{k: v for k, v in outputs.items() if k in full}}
            papermill.execute_notebook(str(notebook_path(name)), str(tmp), parameters=given,
                                       kernel_name=kernel, cwd=str(config.project_root()),
                                       progress_bar=False, log_output=False)
            break
        except PapermillExecutionError as exc:
            failed = out_dir / f"{stem}.failed.ipynb"
            tmp.replace(failed)
            raise ReportError(f"report {name} failed in cell {exc.exec_count}: {exc.ename}: "
                              f"{exc.evalue} (executed notebook kept at {failed})") from None
        except KERNEL_START_ERRORS as exc:
            tmp.unlink(missing_ok=True)
            if attempt == retries:
                raise ReportError(f"report {name}: the kernel failed to start {retries + 1} "
                                  f"times ({type(exc).__name__}: {exc})") from None
            time.sleep(1 + attempt)
    try:
        storage.write_text(to_html(tmp), target_html)
        tmp.replace(target_nb)
    finally:
        tmp.unlink(missing_ok=True)
    rendered = Rendered(name, {k: v for k, v in full.items() if k not in _INTERNAL},
                        target_nb, target_html)
    if record:
        _record(reports_dir, rendered)
    return rendered


@dataclass
class Batch:
    """What a batch render did: the reports rendered and the ones that failed, with why."""

    rendered: list[Rendered]
    failed: list[tuple[str, dict[str, Any], str]]


def _render_job(job: tuple[str, dict[str, Any], str, str, int]) -> tuple[str, object]:
    name, params, data_dir, reports_dir, retries = job
    try:
        return "ok", render(name, params, data_dir=data_dir, reports_dir=reports_dir,
                            retries=retries, record=False)
    except ReportError as exc:
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - a worker reports every failure, never loses it
        return "error", f"report {name}: {type(exc).__name__}: {exc}"


def render_batch(jobs: list[tuple[str, dict[str, Any]]], *, data_dir=None, reports_dir=None,
                 workers: int = 2, retries: int = 2, progress: bool = True) -> Batch:
    """Render many reports in ``workers`` processes, with a progress bar.

    Every job's parameters are checked first (so a bad value stops the batch before any kernel
    starts); failures while rendering are collected and returned, never lose the successes,
    and the index is updated with every report rendered.
    """
    data_dir = Path(data_dir or config.default_data_dir()).resolve()
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    for name, params in jobs:
        check_parameters(name, params, data_dir)
    ensure_kernel()
    work = [(name, params, str(data_dir), str(reports_dir), retries) for name, params in jobs]
    batch = Batch([], [])
    bar = tqdm(total=len(work), desc="reports", unit="report", disable=not progress)
    if workers <= 1 or len(work) <= 1:
        outcomes = map(_render_job, work)
        for job, (kind, value) in zip(work, outcomes, strict=True):
            _collect(batch, reports_dir, job, kind, value)
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_render_job, job): job for job in work}
            for future in as_completed(futures):
                kind, value = future.result()
                _collect(batch, reports_dir, futures[future], kind, value)
                bar.update()
    bar.close()
    write_index(reports_dir)
    return batch


def _collect(batch: Batch, reports_dir: Path, job, kind: str, value) -> None:
    if kind == "ok":
        batch.rendered.append(value)
        _record(reports_dir, value)
    else:
        batch.failed.append((job[0], job[1], value))


def render_default(*, data_dir=None, reports_dir=None, progress: bool = True,
                   workers: int = 2) -> Batch:
    """Render :data:`DEFAULT_SET` (in parallel) and write the index."""
    return render_batch(DEFAULT_SET, data_dir=data_dir, reports_dir=reports_dir,
                        workers=workers, progress=progress)


def batch_places(*, all_states: bool = False, regions_file: Path | None = None) -> list[str]:
    """Places for a batch: every state and DC, and/or the regions named in a file."""
    import us

    places: list[str] = []
    if all_states:
        places += sorted(s.abbr for s in [*us.states.STATES, us.states.DC])
    if regions_file is not None:
        try:
            text = Path(regions_file).read_text(encoding="utf-8")
            loaded = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as exc:
            raise ReportError(f"{regions_file}: cannot read regions ({exc})") from None
        if isinstance(loaded, dict) and "regions" in loaded:
            loaded = loaded["regions"]
        if isinstance(loaded, str):
            loaded = [line.strip() for line in text.splitlines() if line.strip()]
        if not isinstance(loaded, list) or not all(isinstance(x, str) for x in loaded):
            raise ReportError(f"{regions_file}: expected a list of region names")
        places += loaded
    return places


def _registry_path(reports_dir: Path) -> Path:
    return reports_dir / "index.json"


def _load_registry(reports_dir: Path) -> list[dict[str, Any]]:
    path = _registry_path(reports_dir)
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return []


def _record(reports_dir: Path, rendered: Rendered) -> None:
    entries = [e for e in _load_registry(reports_dir)
               if e["html"] != rendered.html.relative_to(reports_dir).as_posix()]
    entries.append({
        "name": rendered.name, "parameters": rendered.parameters,
        "html": rendered.html.relative_to(reports_dir).as_posix(),
        "notebook": rendered.notebook.relative_to(reports_dir).as_posix(),
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    storage.write_json(entries, _registry_path(reports_dir))


def write_index(reports_dir: Path | str | None = None) -> Path:
    """Write ``reports/index.html`` listing every rendered report with parameters and date."""
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    entries = sorted(_load_registry(reports_dir), key=lambda e: (e["name"], e["html"]))
    rows = []
    for e in entries:
        if not (reports_dir / e["html"]).is_file():
            continue
        params = ", ".join(f"{k}={v}" for k, v in e["parameters"].items()) or "defaults"
        rows.append(
            f"<tr><td><a href=\"{html.escape(e['html'])}\">{html.escape(e['name'])}</a></td>"
            f"<td>{html.escape(params)}</td><td>{html.escape(e['rendered_at'])}</td>"
            f"<td><a href=\"{html.escape(e['notebook'])}\">notebook</a></td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>parole-stats reports</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left}}</style></head><body>
<h1>parole-stats reports</h1>
<p>Every figure in these reports comes from a published source named under its chart or table.
No public dataset reports parole by medical basis or by state, county or region.</p>
<table><thead><tr><th>Report</th><th>Parameters</th><th>Rendered (UTC)</th><th>Executed
notebook</th></tr></thead><tbody>
{chr(10).join(rows) or '<tr><td colspan="4">No reports rendered yet.</td></tr>'}
</tbody></table></body></html>
"""
    return storage.write_text(page, reports_dir / "index.html")
