"""Source adapters: one per publisher format, each turning a raw file into contract tables.

Use :func:`read` for one file's table as a DataFrame, :func:`load` for everything an adapter
found (all tables, rejected rows, reconciliation checks). ``SOURCES`` lists every source id.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ParoleError, UnknownSourceError
from .base import AdapterResult


@dataclass(frozen=True)
class Source:
    id: str
    module: str
    title: str
    citation: str


SOURCES: dict[str, Source] = {s.id: s for s in [
    Source("published", "analysis.sources.published",
           "Compiled published figures (parole-stats data/raw/published)",
           "Compiled by parole-stats from the published tables named in each row"),
    Source("uscis-all-forms", "analysis.sources.uscis_all_forms",
           "USCIS quarterly All USCIS Application and Petition Form Types",
           "USCIS, Number of Service-wide Forms By Quarter, Form Status, and Processing Time"),
    Source("uscis-monthly", "analysis.sources.uscis_monthly",
           "USCIS monthly Report to Congress: service-wide forms by month",
           "USCIS, Report to Congress: Number of Service-Wide Forms By Month, Form Status, and "
           "Processing Time"),
    Source("uscis-field-office", "analysis.sources.uscis_field_office",
           "USCIS quarterly reports by field office location",
           "USCIS, Number of Forms by USCIS Field Office Location, Quarter, and Form Status"),
    Source("uscis-processing-times", "analysis.sources.uscis_processing_times",
           "USCIS Check Case Processing Times page data",
           "USCIS, Check Case Processing Times (egov.uscis.gov/processing-times)"),
    Source("hhs-orr-uc", "analysis.sources.hhs_orr_uc",
           "HHS ORR unaccompanied children released to sponsors",
           "HHS Administration for Children and Families, Office of Refugee Resettlement, "
           "Unaccompanied Children Released to Sponsors"),
    Source("ohss-monthly", "analysis.sources.ohss_monthly",
           "DHS OHSS Immigration Enforcement and Legal Processes Monthly Tables",
           "DHS Office of Homeland Security Statistics, Immigration Enforcement and Legal "
           "Processes Monthly Tables"),
    Source("chnv-crowdsourced", "analysis.sources.chnv_crowdsourced",
           "Crowdsourced CHNV approvals (self-reported, not official)",
           "Self-reported CHNV parole approvals compiled from social media (not official data)"),
    Source("case-records", "analysis.sources.case_records",
           "Case-level records (FOIA extracts, case logs)",
           "Case-level records supplied by the user"),
]}


def check_source(source: str) -> Source:
    """The registered source ``source``; raises naming the valid ids and close matches."""
    if source in SOURCES:
        return SOURCES[source]
    close = difflib.get_close_matches(source, SOURCES, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UnknownSourceError(f"unknown source {source!r}{hint}; expected one of: "
                             + ", ".join(SOURCES))


def default_citation(source: str) -> str:
    return check_source(source).citation


def adapter(source: str):
    info = check_source(source)
    try:
        return importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        if exc.name == info.module:
            raise ParoleError(f"source {source!r} has no adapter yet ({info.module})") from None
        raise


def load(path: Path | str, source: str, *, source_file: str | None = None,
         citation: str | None = None) -> AdapterResult:
    """Run the adapter for ``source`` on ``path`` and validate every table it returns.

    ``source_file`` is the path recorded in each row (relative to data/raw; defaults to the
    file name); ``citation`` is the manifest's citation for the file.
    """
    from .. import schemas

    module = adapter(source)
    path = Path(path)
    if not path.is_file():
        raise ParoleError(f"{path}: no such file")
    result: AdapterResult = module.parse(path, source_file=source_file or path.name,
                                         citation=citation or default_citation(source))
    for table, frame in list(result.tables.items()):
        result.tables[table] = schemas.validate(table, frame, origin=str(path))
    return result


def read(path: Path | str, source: str, table: str | None = None) -> pd.DataFrame:
    """One table read from ``path`` by the adapter for ``source``, in the contract's schema.

    With ``table`` unset: ``counts`` if the adapter produced it, else its only table.
    """
    result = load(path, source)
    if table is None:
        table = "counts" if "counts" in result.tables else next(iter(result.tables), None)
    if table not in result.tables:
        raise ParoleError(f"{path}: source {source!r} gives no {table!r} table "
                          f"(it gives {', '.join(result.tables) or 'none'})")
    return result.tables[table]
