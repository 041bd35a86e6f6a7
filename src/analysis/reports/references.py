"""References for a paper: which publisher's table a source, a raw file or a figure comes from,
with its address and access date (the day the raw file was retrieved, from the manifest).

>>> refs = for_source_or_file("uscis-all-forms")  # doctest: +SKIP
>>> print(citation.render(refs, "bibtex"))        # doctest: +SKIP
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from analysis import config
from analysis.contract import catalog, citation, store
from analysis.errors import ParoleError
from analysis.viz.provenance import publisher_url

_URL = re.compile(r"\s*https?://\S+")
_YEAR = re.compile(r"\b(?:FY)?((?:19|20)\d{2})\b")


def manifest_rows(data_dir: Path | str | None = None) -> list[dict[str, str]]:
    """The rows of ``data/raw/manifest.csv`` as dicts (path, source, citation, url, retrieved).

    >>> manifest_rows()[0]["path"]  # doctest: +SKIP
    'published/hhs_orr_uc_released_by_county_fy2021.csv'
    """
    path = config.manifest_path(data_dir or config.default_data_dir())
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _source_ref(source: catalog.Source, accessed: str = "") -> citation.Reference:
    return citation.Reference(id=source.id, title=source.table_title or source.title,
                              publisher=source.publisher, url=source.url, accessed=accessed)


def for_source_or_file(what: str, *, data_dir=None) -> list[citation.Reference]:
    """The reference of a source id, or of a registered raw file (its own citation, address and
    retrieval date).

    >>> for_source_or_file("uscis-all-forms")[0].publisher  # doctest: +ELLIPSIS
    'U.S. Citizenship and Immigration Services (USCIS)...'
    """
    rows = manifest_rows(data_dir)
    if what in catalog.SOURCES:
        dates = sorted(r["retrieved"] for r in rows if r["source"] == what and r["retrieved"])
        return [_source_ref(catalog.SOURCES[what], dates[-1] if dates else "")]
    wanted = what.removeprefix("data/raw/")
    for row in rows:
        if row["path"] == wanted or Path(row["path"]).name == wanted:
            source = catalog.check_source(row["source"])
            title = _URL.sub("", row["citation"]).strip(" .;,") or source.table_title
            return [citation.Reference(id=Path(row["path"]).stem, title=title,
                                       publisher=source.publisher,
                                       url=row["url"] or publisher_url(row["citation"],
                                                                       source=row["source"]),
                                       accessed=row["retrieved"])]
    raise ParoleError(f"{what!r} is neither a source id (see `parole sources --brief`) nor a "
                      "file registered in data/raw/manifest.csv")


def _matching(counts, *, category, measure, geo, period):
    chosen = counts
    for column, value in (("category", category), ("measure", measure),
                          ("geo_code", geo), ("period", period)):
        if value:
            chosen = chosen[chosen[column].astype(str).str.upper() == str(value).upper()]
    return chosen


def for_figures(*, category=None, measure=None, geo=None, period=None,
                data_dir=None) -> list[citation.Reference]:
    """One reference per distinct table (citation) behind the selected figures of the
    processed ``counts`` table, with the address and the access date of the raw file.

    >>> for_figures(category="uc-released-to-sponsors", geo="CA", period="FY2021")  # doctest: +SKIP
    """
    counts = store.read_table_once("counts", data_dir)
    chosen = _matching(counts, category=category, measure=measure, geo=geo, period=period)
    if chosen.empty:
        raise ParoleError("no figure in the counts table matches "
                          f"category={category} measure={measure} geo={geo} period={period}")
    retrieved = {r["path"]: r["retrieved"] for r in manifest_rows(data_dir)}
    refs: dict[str, citation.Reference] = {}
    for row in chosen.drop_duplicates(["citation", "source_file"]).itertuples():
        source = catalog.SOURCES.get(row.source)
        year = _YEAR.search(str(row.period))
        refs.setdefault(row.citation, citation.Reference(
            id=f"{row.source}-{Path(row.source_file).stem}-{row.period}",
            title=_URL.sub("", row.citation).strip(" .;,"),
            publisher=source.publisher if source else "",
            url=publisher_url(row.citation, row.source_file, row.source),
            accessed=retrieved.get(row.source_file, ""), year=year.group(1) if year else "",
            note=f"{row.source_file}, {row.source_locator}"))
    return list(refs.values())


def cite(what: str | None = None, *, category=None, measure=None, geo=None, period=None,
         style: str = "bibtex", data_dir=None) -> str:
    """A reference for a source id, a registered raw file, or the table behind selected
    figures, as ``bibtex``, ``csl`` (CSL-JSON) or ``text`` (a source line with the access
    date). The same as ``parole cite``.

    >>> print(cite("hhs-orr-uc", style="text"))  # doctest: +SKIP
    HHS Administration for Children and Families, ..., accessed 2026-11-23
    """
    if what is not None:
        refs = for_source_or_file(what, data_dir=data_dir)
    else:
        refs = for_figures(category=category, measure=measure, geo=geo, period=period,
                           data_dir=data_dir)
    return citation.render(refs, style)
