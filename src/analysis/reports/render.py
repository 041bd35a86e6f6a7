"""Rendering report notebooks with papermill, and the index of rendered reports.

A report is ``notebooks/<name>.ipynb`` with a cell tagged ``parameters``. Rendering:

1. parameters are checked against that cell (names and types) before any kernel starts;
2. papermill executes the notebook in the project's own Jupyter kernel (``parole-stats``),
   registered for this environment, so a report never runs in another Python;
3. the executed notebook and an HTML copy without code go to ``reports/<name>/<slug>.*``
   (each written atomically, world-readable like any file the umask allows), and
   ``reports/index.html`` lists every rendered report, grouped by kind.

Kernels are kept warm: a batch starts one kernel per worker process (over IPC sockets, so no
plain-text TCP) and papermill runs each notebook in it through the ``parole-warm`` engine,
after clearing the previous report's variables and figures. Imports the notebooks need are
loaded once per kernel. The kernel's own log goes to a file, shown only when it fails.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import importlib
import json
import multiprocessing
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from analysis import config, files
from analysis.errors import InputError, ParoleError, ReportError
from analysis.limits import load_yaml, read_yaml
from analysis.viz import pages

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


def validator(name: str):
    """The check of report ``name``'s values, run in this process before any kernel starts: the
    function ``validate_parameters`` of the module ``analysis.reports.<name>`` (the module named
    after the notebook), the same checks the notebook's first cell runs. None when the report
    has no module (its parameters are checked for names and types only)."""
    try:
        module = importlib.import_module(f"analysis.reports.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"analysis.reports.{name}":
            return None
        raise
    return getattr(module, "validate_parameters", None)


#: Kernel start-up failures worth another try (papermill users report flaky starts under load).
KERNEL_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class Rendered:
    name: str
    parameters: dict[str, Any]
    notebook: Path
    html: Path
    title: str = ""


def notebook_path(name: str) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise ReportError(f"unknown report {name!r}; expected one of: {', '.join(available())}")
    path = config.notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        raise ReportError(f"unknown report {name!r}; expected one of: {', '.join(available())}")
    return path


def defaults(name: str) -> dict[str, Any]:
    """The parameters of report ``name`` with their default values, read from its notebook."""
    path = notebook_path(name)
    return copy.deepcopy(_defaults(str(path), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _defaults(path: str, _mtime: int) -> dict[str, Any]:
    import papermill

    name = Path(path).stem
    found = papermill.inspect_notebook(path)
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
        path = config.allowed_input(yaml_file, "parameter file")
        loaded = read_yaml(path, what="parameter file") or {}
        if not isinstance(loaded, dict):
            raise ReportError(f"{yaml_file}: expected a mapping of parameter names to values")
        params.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReportError(f"parameter {pair!r}: expected KEY=VALUE")
        try:
            params[key.strip()] = load_yaml(value, f"parameter {key.strip()}") \
                if value.strip() else ""
        except InputError as exc:
            if "over the limit" in str(exc):
                raise
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
        check = validator(name)
        if check is not None:
            try:
                check(full)
            except ValueError as exc:
                raise ReportError(f"report {name}: {exc}") from None
    return full


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def slug(params: dict[str, Any]) -> str:
    """A safe, unique file name for a parameter set: letters, digits and hyphens only.

    Readable values (``geo=CA``, ``fy_start=2023``) are spelled out; when spelling out loses
    something (``a_b.yml`` and ``a-b.yml`` both read ``a-b-yml``), a short hash of the exact
    parameters is appended, so two parameter sets never share a file."""
    shown = {k: v for k, v in sorted(params.items()) if k not in _INTERNAL}
    if not shown:
        return "default"

    def plain(value: Any) -> bool:
        if isinstance(value, list | tuple):  # ["a", "b"] and ["a-b"] would read alike
            return len(value) == 1 and plain(value[0])
        return (isinstance(value, str | int) and not isinstance(value, bool)
                and bool(_PLAIN_VALUE.fullmatch(str(value))))

    text = "_".join(f"{k}-{v if not isinstance(v, list | tuple) else '-'.join(map(str, v))}"
                    for k, v in shown.items())
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(text) > 110 or not all(plain(v) for v in shown.values()):
        exact = json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(exact.encode("utf-8")).hexdigest()[:10]
        text = f"{text[:110].strip('-')}-{digest}".strip("-")
    return text or "default"


#: How the index and page titles name each report kind.
KINDS = {
    "national_overview": "National overview",
    "regional_report": "Regional reports",
    "processing_times": "Processing times",
    "claim_check": "Fact-check sheets",
    "tutorial": "Tutorials (synthetic data)",
}


def describe_parameters(name: str, params: dict[str, Any]) -> str:
    """A report's parameters in words, e.g. ``California (CA), fiscal years 2015 to 2021``."""
    shown = {k: v for k, v in params.items() if k not in _INTERNAL}
    words: list[str] = []
    if "geo" in shown:
        geo = shown.pop("geo")
        try:
            from analysis.reports import regional_report as regional

            words.append(regional.resolve(geo)[0])
        except Exception:  # noqa: BLE001 - a name we cannot resolve is shown as given
            words.append(str(geo))
    if "fy_start" in shown and "fy_end" in shown:
        start, end = shown.pop("fy_start"), shown.pop("fy_end")
        words.append(f"fiscal year {start}" if start == end
                     else f"fiscal years {start} to {end}")
    if "series" in shown:
        series = shown.pop("series")
        series = series if isinstance(series, list | tuple) else [series]
        words.append("series: " + ", ".join(str(x).replace("-", " ") for x in series))
    if "form" in shown:
        words.append(f"form {shown.pop('form')}")
    if "offices" in shown:
        offices = shown.pop("offices")
        words.append("offices: " + (", ".join(map(str, offices)) if offices else "all"))
    if "claims_file" in shown:
        words.append(f"claims from {shown.pop('claims_file')}")
    words += [f"{k.replace('_', ' ')}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
              for k, v in shown.items()]
    return "; ".join(words) or "default parameters"


def notebook_title(nb) -> str | None:
    """The first level-one heading of a notebook (markdown cells), without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
            if match:
                return match[1].strip()
    return None


def page_title(nb, name: str, params: dict[str, Any]) -> str:
    """A report page's ``<title>``: the notebook's own title (its metadata ``title``, else
    its first heading) and the parameters in words."""
    base = (nb.metadata.get("title") or notebook_title(nb)
            or KINDS.get(name) or name.replace("_", " ").capitalize())
    return f"{base}: {describe_parameters(name, params)}"


def publish(path: Path) -> Path:
    """Give a written file the permissions a new file gets under the umask (0644 with the usual
    umask 022): atomic writes go through a private temporary file, which is 0600."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)
    return path


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


#: The page around a report: JupyterLab's HTML template without the scripts it loads from a
#: CDN (require.js, MathJax, mermaid; a report needs none, they fail offline and would read
#: "$" in text as mathematics), with a link back to the index beside the report.
REPORT_TEMPLATE = """\
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
{{ super() }}
<style>{{ resources.parole_css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
<nav class="parole-nav" style="padding:0.5rem 1rem 0;font-family:var(--jp-ui-font-family,\
system-ui,sans-serif);font-size:0.9rem"><a href="../index.html">&larr; All reports</a></nav>
{%- endblock body_header -%}
"""

_EXPORTER = None


def to_html(notebook: Path, title: str | None = None) -> str:
    """HTML of an executed notebook with code cells and prompts hidden, titled ``title``
    (default: the notebook's first heading), for a page in ``reports/<name>/``."""
    global _EXPORTER
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    if _EXPORTER is None:  # building the exporter loads its templates: once per process
        _EXPORTER = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
            extra_loaders=[jinja2.DictLoader({"parole_report.html.j2": REPORT_TEMPLATE})],
            template_file="parole_report.html.j2")
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title or notebook_title(nb) or Path(notebook).stem
    body, _ = _EXPORTER.from_notebook_node(nb, resources={"parole_css": pages.stylesheet()})
    return body


# --- warm kernels --------------------------------------------------------------------------

#: Run before each report in a warm kernel: clear the previous report's variables, outputs
#: and figures and restore the clean state (no ``%reset``: its garbage collection is slow).
_RESET = '__import__("sys").modules["_parole_warm"].reset()'


def _warm_up_code(cwd: str) -> str:
    """Code run once in a new kernel: import what the report notebooks import, then remember
    the clean state (matplotlib settings, warning filters) to restore before each report."""
    modules = sorted(notebook_imports())
    return f"""\
import importlib as _il, sys as _sys, types as _types, warnings as _warnings
_m = None
for _m in {modules!r}:
    try:
        _il.import_module(_m)
    except Exception:
        pass
_w = _types.ModuleType("_parole_warm")
_w.cwd = {cwd!r}
_w.filters = list(_warnings.filters)
_w.rc = _sys.modules["matplotlib"].rcParams.copy() if "matplotlib" in _sys.modules else None

def _reset(w=_w):
    import os, sys, warnings
    shell = get_ipython()
    ns = shell.user_ns
    ns.get("Out", {{}}).clear()
    for key in list(ns):
        if key not in shell.user_ns_hidden and not (key.startswith("__") and key.endswith("__")):
            del ns[key]
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if w.rc is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["matplotlib"].rcParams.update(w.rc)
    warnings.filters[:] = w.filters
    os.chdir(w.cwd)
    shell.execution_count = 1

_w.reset = _reset
_sys.modules["_parole_warm"] = _w
del _il, _sys, _types, _warnings, _w, _m, _reset
"""


def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def notebook_imports() -> set[str]:
    """Modules imported by the code cells of every report notebook."""
    import nbformat

    found: set[str] = set()
    for path in config.notebooks_dir().glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
                    if node.module.split(".")[0] == "analysis":  # a name may be a module
                        found.update(f"{node.module}.{a.name}" for a in node.names
                                     if _is_module(f"{node.module}.{a.name}"))
    return found


class WarmKernel:
    """One running ``parole-stats`` kernel that executes report after report.

    The kernel talks over IPC sockets (no network port, no plain-text TCP); its stdout and
    stderr go to a temporary log file, quoted in the error when the kernel fails.
    """

    def __init__(self, kernel_name: str | None = None, cwd: Path | str | None = None) -> None:
        self.kernel_name = kernel_name or config.KERNEL_NAME
        self.cwd = str(cwd or config.project_root())
        self.km = None
        self.client = None
        self._log = None
        self._sockets: str | None = None

    def start(self, timeout: float = 60) -> None:
        from jupyter_client import KernelManager

        self.shutdown()
        self._log = tempfile.TemporaryFile(prefix="parole-kernel-", suffix=".log")
        # IPC sockets live in a private folder: jupyter's default ("kernel-ipc" in the current
        # folder) would let two workers' kernels collide and litter the project
        self._sockets = tempfile.mkdtemp(prefix="parole-kernel-")
        km = KernelManager(kernel_name=self.kernel_name, transport="ipc",
                           ip=os.path.join(self._sockets, "kernel"))
        km.client_class = "jupyter_client.asynchronous.AsyncKernelClient"
        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        km.start_kernel(cwd=self.cwd, env=env, stdout=self._log, stderr=self._log,
                        extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.km = km
        try:
            self.client = km.blocking_client()
            self.client.start_channels()
            self.client.wait_for_ready(timeout=timeout)
            self._run(_warm_up_code(self.cwd), timeout=timeout)
        except Exception as exc:
            log = self.log_tail()
            self.shutdown()
            raise RuntimeError(f"kernel start-up failed: {exc}{log}") from None

    def log_tail(self, chars: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return f"; kernel log: {text[-chars:]}" if text else ""

    def _run(self, code: str, timeout: float = 60) -> None:
        """Run ``code`` silently in the kernel; raise RuntimeError when it fails."""
        reply = self.client.execute_interactive(code, silent=True, store_history=False,
                                                timeout=timeout, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def ready(self) -> WarmKernel:
        """Start the kernel if it is not running, and clear the previous report's state."""
        if not self.alive():
            self.start()
        else:
            self._run(_RESET)
        return self

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
                self.km.cleanup_resources()
            except Exception:  # noqa: BLE001, S110 - a kernel already gone is fine
                pass
            self.km = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def engine(self) -> tuple[str, dict[str, Any]]:
        """The papermill engine name and arguments that run a notebook in this kernel."""
        return _register_engine(), {"km": self.km}

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


class FreshKernels:
    """papermill's standard engine, starting a new kernel for every report: slower (each report
    pays for start-up and imports), the behaviour before warm kernels; kept to compare with them
    (``benchmarks/bench_reports.py``) and to run a report in complete isolation."""

    km = None

    def __init__(self, kernel_name: str | None = None) -> None:
        self.kernel_name = kernel_name or config.KERNEL_NAME

    def ready(self) -> FreshKernels:
        return self

    def engine(self) -> tuple[str, dict[str, Any]]:
        return "nbclient", {"extra_arguments": ["--IPKernelApp.log_level=CRITICAL"],
                            "cwd": str(config.project_root())}

    def log_tail(self) -> str:
        return ""

    def shutdown(self) -> None:
        pass


def _register_engine() -> str:
    """Register papermill's ``parole-warm`` engine: nbclient with a kernel already running."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            client = PapermillNotebookClient(
                nb_man, km=kwargs["km"], kernel_name=kernel_name, log=logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                startup_timeout=start_timeout, timeout=execution_timeout)
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    if "parole-warm" not in papermill_engines._engines:
        papermill_engines.register("parole-warm", WarmEngine)
    return "parole-warm"


def render(name: str, params: dict[str, Any] | None = None, *,
           data_dir: Path | str | None = None, reports_dir: Path | str | None = None,
           retries: int = 2, record: bool = True,
           kernel: WarmKernel | FreshKernels | None = None, validate: bool = True) -> Rendered:
    """Render report ``name`` with ``params``; return where the notebook and HTML went.

    ``kernel`` is a running :class:`WarmKernel` to reuse (a batch passes one per worker);
    without it a kernel is started for this report and shut down after. ``validate=False``
    skips the report's own value checks (a batch has run them already, before any kernel).
    A kernel that fails to start is tried again up to ``retries`` times; an error inside the
    notebook is not retried (the executed notebook is kept as ``<slug>.failed.ipynb``).
    """
    if kernel is None:
        if validate:  # refuse bad values before any kernel starts
            check_parameters(name, dict(params or {}),
                             Path(data_dir or config.default_data_dir()).resolve())
        with WarmKernel(ensure_kernel()) as own:
            return render(name, params, data_dir=data_dir, reports_dir=reports_dir,
                          retries=retries, record=record, kernel=own, validate=False)
    params = dict(params or {})
    data_dir = Path(data_dir or config.default_data_dir()).resolve()
    if validate:
        full = check_parameters(name, params, data_dir)
    else:
        full = {**check_parameters(name, params), "data_dir": str(data_dir)}
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    out_dir = reports_dir / name
    stem = slug(params)
    target_nb, target_html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    if not target_nb.resolve().is_relative_to(reports_dir):
        raise ReportError(f"report output {target_nb} would land outside {reports_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    # one temporary notebook per render: two renders of the same report never share it
    tmp = out_dir / f".{stem}.{os.getpid()}-{secrets.token_hex(4)}.running.ipynb"
    try:
        _execute(name, full, kernel, tmp, out_dir, stem, retries)
        public = {k: v for k, v in full.items() if k not in _INTERNAL}
        title = _write_outputs(name, public, tmp, target_nb, target_html)
    except OSError as exc:  # a full disk: name the report's files, keep none of them
        cause = exc.__cause__ if isinstance(exc, ParoleError) else exc
        reason = getattr(cause, "strerror", None) or cause or exc
        raise files.WriteError(f"{out_dir / stem}.ipynb/.html: cannot write the rendered "
                               f"report ({reason}); nothing of it was kept, the previous "
                               "version (if any) is unchanged") from exc
    finally:
        tmp.unlink(missing_ok=True)
    rendered = Rendered(name, public, target_nb, target_html, title)
    if record:
        _record(reports_dir, rendered)
    return rendered


def _execute(name: str, full: dict[str, Any], kernel, tmp: Path, out_dir: Path, stem: str,
             retries: int) -> None:
    """Run the notebook into ``tmp``; a kernel that fails to start is tried again."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    for attempt in range(retries + 1):
        try:
            engine, engine_args = kernel.ready().engine()
            outputs = {"output_dir": str(out_dir), "output_name": stem}
            given = {**full, **{k: v for k, v in outputs.items() if k in full}}
            papermill.execute_notebook(str(notebook_path(name)), str(tmp), parameters=given,
                                       kernel_name=kernel.kernel_name, engine_name=engine,
                                       progress_bar=False, log_output=False,
                                       request_save_on_cell_execute=False, **engine_args)
            return
        except PapermillExecutionError as exc:
            failed = out_dir / f"{stem}.failed.ipynb"
            tmp.replace(failed)
            raise ReportError(f"report {name} failed in cell {exc.exec_count}: {exc.ename}: "
                              f"{exc.evalue} (executed notebook kept at {failed})") from None
        except KERNEL_START_ERRORS as exc:
            tmp.unlink(missing_ok=True)
            if attempt == retries:
                raise ReportError(f"report {name}: the kernel failed {retries + 1} times "
                                  f"({type(exc).__name__}: {exc}){kernel.log_tail()}") from None
            kernel.shutdown()  # the next attempt starts a fresh kernel
            time.sleep(1 + attempt)


def _write_outputs(name: str, public: dict[str, Any], tmp: Path, target_nb: Path,
                   target_html: Path) -> str:
    """The page and the executed notebook, both or neither: the page is written beside the
    temporary notebook, and only when both are whole are they renamed to their final names.
    Returns the page title."""
    import nbformat

    title = page_title(nbformat.read(tmp, as_version=4), name, public)
    page = tmp.with_name(tmp.name.removesuffix(".ipynb") + ".html")
    try:
        files.write_text(to_html(tmp, title), page)
        files.fault_point(f"write:{target_nb.name}")
        tmp.replace(target_nb)
        page.replace(target_html)
    finally:
        page.unlink(missing_ok=True)
    publish(target_html)
    publish(target_nb)
    return title


@dataclass
class Batch:
    """What a batch render did: the reports rendered and the ones that failed, with why."""

    rendered: list[Rendered]
    failed: list[tuple[str, dict[str, Any], str]]


_WORKER_KERNEL: WarmKernel | None = None


def _worker_kernel() -> WarmKernel:
    """This worker process's warm kernel, started on first use and shut down at exit."""
    global _WORKER_KERNEL
    if _WORKER_KERNEL is None:
        from multiprocessing import util

        _WORKER_KERNEL = WarmKernel(config.KERNEL_NAME)
        # workers leave through multiprocessing's exit path, which runs these (not atexit)
        util.Finalize(_WORKER_KERNEL, _WORKER_KERNEL.shutdown, exitpriority=10)
    return _WORKER_KERNEL


def _render_job(job: tuple[str, dict[str, Any], str, str, int, bool]) -> tuple[str, object]:
    name, params, data_dir, reports_dir, retries, fresh = job
    kernel = FreshKernels() if fresh else _worker_kernel()
    try:
        return "ok", render(name, params, data_dir=data_dir, reports_dir=reports_dir,
                            retries=retries, record=False, kernel=kernel, validate=False)
    except ReportError as exc:
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - a worker reports every failure, never loses it
        return "error", f"report {name}: {type(exc).__name__}: {exc}"


def render_batch(jobs: list[tuple[str, dict[str, Any]]], *, data_dir=None, reports_dir=None,
                 workers: int = 2, retries: int = 2, progress: bool = True,
                 fresh_kernels: bool = False) -> Batch:
    """Render many reports in ``workers`` processes, with a progress bar.

    Each worker keeps one warm kernel for all its reports; ``fresh_kernels=True`` starts a new
    kernel for every report instead (see :class:`FreshKernels`).

    Every job's parameters are checked first (so a bad value stops the batch before any kernel
    starts); failures while rendering are collected and returned, never lose the successes,
    and the index is updated with every report rendered.
    """
    data_dir = Path(data_dir or config.default_data_dir()).resolve()
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    for name, params in jobs:
        check_parameters(name, params, data_dir)
    ensure_kernel()
    work = [(name, params, str(data_dir), str(reports_dir), retries, fresh_kernels)
            for name, params in jobs]
    batch = Batch([], [])
    bar = tqdm(total=len(work), desc="reports", unit="report", disable=not progress)
    if workers <= 1 or len(work) <= 1:
        try:
            for job in work:
                kind, value = _render_job(job)
                _collect(batch, reports_dir, job, kind, value)
                bar.update()
        finally:
            _shutdown_worker_kernel()
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


def _shutdown_worker_kernel() -> None:
    global _WORKER_KERNEL
    if _WORKER_KERNEL is not None:
        _WORKER_KERNEL.shutdown()
        _WORKER_KERNEL = None


def _collect(batch: Batch, reports_dir: Path, job, kind: str, value) -> None:
    if kind == "ok":
        batch.rendered.append(value)
        _record(reports_dir, value)
    else:
        batch.failed.append((job[0], job[1], value))


def render_default(*, data_dir=None, reports_dir=None, progress: bool = True,
                   workers: int = 2) -> Batch:
    """Render :data:`DEFAULT_SET` (in parallel), the codebook and freshness pages, and the
    index linking them."""
    batch = render_batch(DEFAULT_SET, data_dir=data_dir, reports_dir=reports_dir,
                         workers=workers, progress=progress)
    write_companion_pages(data_dir, reports_dir)
    return batch


def write_companion_pages(data_dir=None, reports_dir=None) -> list[Path]:
    """Write ``codebook.html`` and ``freshness.html`` beside the reports (their own modules
    make them), world-readable, and refresh the index that links them."""
    from analysis.contract import codebook
    from analysis.reports import freshness

    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    data_dir = Path(data_dir or config.default_data_dir()).resolve()
    written = [publish(codebook.render_html(reports_dir)),
               publish(freshness.render_html(data_dir, reports_dir))]
    write_index(reports_dir)
    return written


def batch_places(*, all_states: bool = False, regions_file: Path | None = None) -> list[str]:
    """Places for a batch: every state and DC, and/or the regions named in a file."""
    import us

    places: list[str] = []
    if all_states:
        places += sorted(s.abbr for s in [*us.states.STATES, us.states.DC])
    if regions_file is not None:
        from analysis.reports.regional_report import resolve

        path = config.allowed_input(regions_file, "regions file")
        loaded = read_yaml(path, what="regions file")
        if isinstance(loaded, dict) and "regions" in loaded:
            loaded = loaded["regions"]
        if isinstance(loaded, str):
            loaded = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip()]
        if not isinstance(loaded, list) or not all(isinstance(x, str) for x in loaded):
            raise ReportError(f"{regions_file}: expected a list of region names")
        for number, place in enumerate(loaded, start=1):
            try:
                resolve(place)
            except ValueError:  # never echo the file's content: it may be any readable file
                raise ReportError(f"{regions_file}, entry {number}: not a state or a named "
                                  "region (expected a state code or name, or a region from "
                                  "analysis/data/regions.yml)") from None
        places += loaded
    return places


def _registry_path(reports_dir: Path) -> Path:
    return reports_dir / "index.json"


REGISTRY_KEYS = ("name", "parameters", "html", "notebook", "rendered_at")


def _load_registry(reports_dir: Path) -> list[dict[str, Any]]:
    """The rendered reports listed in ``reports/index.json``; a damaged file is refused in one
    line naming it and the place (never silently emptied: the index would lose every report)."""
    path = _registry_path(reports_dir)
    if not path.is_file():
        return []
    expected = ("the list of rendered reports that `parole report` writes (delete the file "
                "and render again to start a new one)")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text", expected=expected) from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc.msg})",
                         locator=f"line {exc.lineno}, column {exc.colno}",
                         expected=expected) from None
    if not isinstance(entries, list):
        raise InputError(path, f"a JSON {type(entries).__name__}", expected=expected)
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not all(k in entry for k in REGISTRY_KEYS) or \
                not all(isinstance(entry[k], str) for k in REGISTRY_KEYS if k != "parameters") \
                or not isinstance(entry["parameters"], dict):
            raise InputError(path, "a malformed entry", locator=f"entry {number}",
                             expected="an object with text " + ", ".join(
                                 k for k in REGISTRY_KEYS if k != "parameters")
                             + " and an object parameters")
    return entries


def _record(reports_dir: Path, rendered: Rendered) -> None:
    from filelock import FileLock

    with FileLock(str(reports_dir / ".index.lock")):  # renders at once: no entry lost
        entries = [e for e in _load_registry(reports_dir)
                   if e["html"] != rendered.html.relative_to(reports_dir).as_posix()]
        entries.append({
            "name": rendered.name, "parameters": rendered.parameters,
            "title": rendered.title,
            "html": rendered.html.relative_to(reports_dir).as_posix(),
            "notebook": rendered.notebook.relative_to(reports_dir).as_posix(),
            "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        publish(files.write_json(entries, _registry_path(reports_dir)))
        write_index(reports_dir)


#: Pages another part of the project writes into ``reports/``; the index links them when present.
COMPANION_PAGES = [
    ("codebook.html", "Codebook", "what every column means, its unit and allowed values"),
    ("freshness.html", "Freshness", "the latest period of each source and when the next is due"),
]


def _relative(link: str) -> str:
    """``link`` if it is a relative path inside the reports folder; refuses anything else."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", link, re.I) or link.startswith(("/", "\\")) \
            or ".." in Path(link).parts:
        raise ReportError(f"index link {link!r} is not a relative path inside reports/")
    return link  # escaped once, by the template


def _index_row(kind: str, entry: dict[str, Any]) -> dict[str, str]:
    words = describe_parameters(kind, entry["parameters"])
    return {"html": _relative(entry["html"]), "notebook": _relative(entry["notebook"]),
            "words": words[:1].upper() + words[1:],
            "rendered": entry["rendered_at"].replace("T", " ").replace("+00:00", "")}


def write_index(reports_dir: Path | str | None = None) -> Path:
    """Write ``reports/index.html``: every rendered report grouped by kind, parameters in
    words, links to the codebook and freshness pages when present. Relative links only, so
    the folder works opened from disk and from any static web server."""
    reports_dir = Path(reports_dir or config.default_reports_dir()).resolve()
    entries = [e for e in _load_registry(reports_dir) if (reports_dir / e["html"]).is_file()]
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(entries, key=lambda e: (e["name"], describe_parameters(e["name"],
                                                                          e["parameters"]))):
        groups.setdefault(e["name"], []).append(e)
    order = [k for k in KINDS if k in groups] + sorted(k for k in groups if k not in KINDS)
    sections = [{"kind": kind, "heading": KINDS.get(kind, kind.replace("_", " ").capitalize()),
                 "rows": [_index_row(kind, e) for e in groups[kind]]} for kind in order]
    companions = [{"href": _relative(page), "label": label, "what": what}
                  for page, label, what in COMPANION_PAGES if (reports_dir / page).is_file()]
    page = pages.render("index.html.j2", title="parole-stats reports", sections=sections,
                        companions=companions)
    return publish(files.write_text(page, reports_dir / "index.html"))
