"""Where things live and how the environment changes it: one module owns every default path
and name, and the environment variables the package reads (the ``PAROLE_*`` settings below,
through :func:`setting`). Still read in their own modules, to move here: ``PAROLE_DEBUG``
(cli), ``PAROLE_LIMIT_<NAME>`` (limits), ``PAROLE_LARGE_CASES_BYTES`` (case_records).

Settings (all optional):

=============================  ==================================================================
``PAROLE_STATS_ROOT``          the project folder (default: the checkout, else the current one)
``PAROLE_ALLOWED_DIRS``        more folders report parameters may name files in (like PATH)
``PAROLE_STATS_REVIEW_AUTHOR`` author named in ClaimReview markup
``PAROLE_DEBUG``               ``1``: show tracebacks (as ``parole --debug``)
``PAROLE_ENGINE``              ``duckdb`` (default) or ``spark`` for case-level statistics
``PAROLE_LOCK_TIMEOUT``        seconds to wait for the data folder's lock
``PAROLE_LARGE_CASES_BYTES``   case files at least this large are ingested in chunks
``PAROLE_LIMIT_<NAME>``        an input limit (see :mod:`analysis.limits`)
``PAROLE_FAULT``               tests only: kill or fail a run at a named step
=============================  ==================================================================
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: The Jupyter kernel that papermill and JupyterLab both use (registered by ``make``).
KERNEL_NAME = "parole-stats"
KERNEL_DISPLAY_NAME = "Python (parole-stats)"

RAW = "raw"
PROCESSED = "processed"
MANIFEST = "manifest.csv"


def project_root() -> Path:
    """The checkout this package runs from, or the current directory when installed elsewhere.

    ``PAROLE_STATS_ROOT`` overrides both.
    """
    env = setting("PAROLE_STATS_ROOT")
    if env:
        return Path(env).resolve()
    return _checkout() or Path.cwd().resolve()


def _checkout() -> Path | None:
    """The source checkout this package runs from (None when installed)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "notebooks").is_dir():
            return parent
    return None


def default_data_dir() -> Path:
    return project_root() / "data"


def default_reports_dir() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    """The project's ``notebooks/``; for an installed package run in a folder without one, the
    bundled notebooks (:func:`bundled_root`)."""
    own = project_root() / "notebooks"
    if own.is_dir():
        return own
    bundled = bundled_root()
    return bundled / "notebooks" if bundled else own


#: where ``pip install`` puts the bundled project (pyproject.toml's data-files), under the prefix
BUNDLE = "share/parole-stats"
#: what :func:`init_project` copies into a new project folder
BUNDLED_PARTS = ("notebooks", "data/raw", "data/claims", "data/templates")


def bundled_root() -> Path | None:
    """The bundled project (notebooks, raw files, claims, templates): the checkout itself, or
    ``<prefix>/share/parole-stats`` of the installed package (found through its file record);
    None when neither holds it."""
    checkout = _checkout()
    if checkout:
        return checkout
    from importlib import metadata

    try:
        dist = metadata.distribution("parole-stats")
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        text = entry.as_posix()
        if f"{BUNDLE}/notebooks/" in text:
            located = Path(dist.locate_file(entry)).resolve()
            return Path(str(located)[: str(located).rindex("/notebooks/")])
    return None


def init_project(folder: Path | str) -> Path:
    """Make ``folder`` a project: copy the bundled notebooks and data (raw files with their
    manifest, claims files, templates) into it. Refuses a folder that already has any of them."""
    from analysis.errors import ParoleError

    dest = Path(folder).resolve()
    source = bundled_root()
    if source is None:
        raise ParoleError("the bundled data is not installed (reinstall parole-stats)")
    present = [part for part in BUNDLED_PARTS if (dest / part).exists()]
    if present:
        raise ParoleError(f"{dest}: already holds {', '.join(present)}; refused (nothing "
                          "was copied)")
    for part in BUNDLED_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, dest / part)
    return dest


def raw_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / RAW


def processed_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / PROCESSED


def manifest_path(data_dir: Path | str) -> Path:
    return raw_dir(data_dir) / MANIFEST


def allow_dir(folder: Path | str) -> None:
    """Allow report parameters to name files under ``folder`` (the command line's
    ``--allow-dir``) in this process and the report kernels it starts."""
    current = setting("PAROLE_ALLOWED_DIRS")
    os.environ["PAROLE_ALLOWED_DIRS"] = os.pathsep.join(
        p for p in (current, str(Path(folder).resolve())) if p)


def allowed_dirs() -> list[Path]:
    """Folders from which report parameters may name files (claims files, ``--regions``,
    ``-y``): the project and every folder of ``PAROLE_ALLOWED_DIRS`` (separated like PATH)."""
    env = [Path(p).resolve() for p in setting("PAROLE_ALLOWED_DIRS").split(os.pathsep)
           if p.strip()]
    return [project_root(), *env]


def allowed_input(path: Path | str, what: str, *, base: Path | None = None) -> Path:
    """``path`` (relative to ``base``, default the current folder) resolved, if it is a file
    inside :func:`allowed_dirs`; otherwise a :class:`ParoleError` that names the path but never
    shows the file's content."""
    from analysis.errors import ParoleError

    given = Path(path)
    resolved = (given if given.is_absolute() else (base or Path.cwd()) / given).resolve()
    if not any(resolved.is_relative_to(folder) for folder in allowed_dirs()):
        raise ParoleError(f"{path}: {what} must be inside the project ({project_root()}) or a "
                          "folder allowed with --allow-dir DIR or PAROLE_ALLOWED_DIRS; refused")
    if not resolved.is_file():
        raise ParoleError(f"{path}: no such {what}")
    return resolved


#: The organisation named as author of published fact-checks (ClaimReview markup).
DEFAULT_REVIEW_AUTHOR = "parole-stats"


def review_author() -> str:
    """Author of ClaimReview markup: ``PAROLE_STATS_REVIEW_AUTHOR``, else the project's name."""
    return setting("PAROLE_STATS_REVIEW_AUTHOR").strip() or DEFAULT_REVIEW_AUTHOR


# # settings from the environment (the one place that reads it)


def setting(name: str, default: str = "") -> str:
    """The environment variable ``name``, or ``default`` when it is unset or empty."""
    return os.environ.get(name) or default


def engine() -> str:
    """``PAROLE_ENGINE`` (lower case), else ``duckdb``."""
    return setting("PAROLE_ENGINE").strip().lower() or "duckdb"


def lock_timeout(default: float) -> float:
    """``PAROLE_LOCK_TIMEOUT`` in seconds (at least 0), else ``default``."""
    from analysis.errors import ParoleError

    value = setting("PAROLE_LOCK_TIMEOUT")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ParoleError(f"PAROLE_LOCK_TIMEOUT={value!r}: expected a number of seconds") \
            from None


def fault() -> str:
    """``PAROLE_FAULT`` (tests only; see :func:`analysis.files.fault_point`)."""
    return setting("PAROLE_FAULT")
