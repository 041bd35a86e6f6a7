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


#: The organisation named as author of published fact-checks (ClaimReview markup).
DEFAULT_REVIEW_AUTHOR = "parole-stats"


def review_author() -> str:
    """Author of ClaimReview markup: ``PAROLE_STATS_REVIEW_AUTHOR``, else the project's name."""
    return os.environ.get("PAROLE_STATS_REVIEW_AUTHOR", "").strip() or DEFAULT_REVIEW_AUTHOR
