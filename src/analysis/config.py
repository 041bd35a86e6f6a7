"""Where things live. One module owns every default path and name."""

from __future__ import annotations

import os
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
    env = os.environ.get("PAROLE_STATS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "notebooks").is_dir():
            return parent
    return Path.cwd().resolve()


def default_data_dir() -> Path:
    return project_root() / "data"


def default_reports_dir() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def raw_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / RAW


def processed_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / PROCESSED


def manifest_path(data_dir: Path | str) -> Path:
    return raw_dir(data_dir) / MANIFEST


def allow_dir(folder: Path | str) -> None:
    """Allow report parameters to name files under ``folder`` (the command line's
    ``--allow-dir``) in this process and the report kernels it starts."""
    current = os.environ.get("PAROLE_ALLOWED_DIRS", "")
    os.environ["PAROLE_ALLOWED_DIRS"] = os.pathsep.join(
        p for p in (current, str(Path(folder).resolve())) if p)


def allowed_dirs() -> list[Path]:
    """Folders from which report parameters may name files (claims files, ``--regions``,
    ``-y``): the project and every folder of ``PAROLE_ALLOWED_DIRS`` (separated like PATH)."""
    env = [Path(p).resolve() for p in os.environ.get("PAROLE_ALLOWED_DIRS", "").split(os.pathsep)
           if p.strip()]
    return [project_root(), *env]


def allowed_input(path: Path | str, what: str, *, base: Path | None = None) -> Path:
    """``path`` (relative to ``base``, default the current folder) resolved, if it is a file
    inside :func:`allowed_dirs`; otherwise a :class:`ParoleError` that names the path but never
    shows the file's content."""
    from .errors import ParoleError

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
    return os.environ.get("PAROLE_STATS_REVIEW_AUTHOR", "").strip() or DEFAULT_REVIEW_AUTHOR
