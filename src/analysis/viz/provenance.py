"""Source lines: every chart and table says where its numbers come from, built from the data.

A source line is never typed by hand: it is assembled from the ``citation``, ``source_file``
and ``period`` columns of the rows actually shown. It names the publisher's table and its
address (URL: from the citation, or from the source catalog, :mod:`analysis.contract.catalog`);
the local raw file appears only with ``local=True`` (notebooks, CSV downloads).
"""

from __future__ import annotations

import os
import re

import pandas as pd

from analysis.contract import catalog, periods

SYNTHETIC_LABEL = "SYNTHETIC"


_URL = re.compile(r"https?://\S+")


def _common_prefix(texts: list[str]) -> str:
    prefix = os.path.commonprefix(texts)
    if len(texts) > 1 and prefix not in texts:
        # cut back to a clean boundary so "..., FY2020 Q1" and "..., FY2021 Q3" share "..."
        cut = max(prefix.rfind(", "), prefix.rfind(". "), prefix.rfind(" ("))
        prefix = prefix[:cut] if cut > 0 else prefix
    return prefix.strip(" ,.;(")


def _in_time_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by when each row's period starts (``period_start``, else the parsed
    ``period`` label), so "first to last" and "the latest release" never run backwards."""
    if "period_start" in frame.columns and frame["period_start"].notna().all():
        return frame.sort_values("period_start", kind="stable")
    if "period" not in frame.columns:
        return frame

    def start(label) -> pd.Timestamp:
        try:
            return pd.Timestamp(periods.parse(str(label)).start)
        except Exception:  # noqa: BLE001 - a label that is not a period keeps its place
            return pd.Timestamp.max

    return frame.assign(_when=[start(p) for p in frame["period"]]).sort_values(
        "_when", kind="stable").drop(columns="_when")


def _periods(frame: pd.DataFrame) -> str:
    """The range of periods (or publication dates) of exactly the rows given."""
    if "period" not in frame.columns or frame["period"].dropna().empty:
        if "as_of" in frame.columns and frame["as_of"].notna().any():
            low, high = frame["as_of"].min(), frame["as_of"].max()
            return (f"as published {low:%Y-%m-%d}" if low == high else
                    f"as published {low:%Y-%m-%d} to {high:%Y-%m-%d}")
        return ""
    order = _in_time_order(frame.dropna(subset=["period"]))
    labels = order["period"].astype(str).drop_duplicates().tolist()
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


#: Report numbers whose address follows from the number by the publisher's own scheme:
#: Congressional Research Service reports (R47654) and GAO products (GAO-08-282).
_REPORT_URLS = (
    (re.compile(r"\bCRS (?:Report )?(?P<kind>R|RL|RS|IF|IN|LSB)(?P<num>\d{4,5})\b"),
     lambda m: f"https://crsreports.congress.gov/product/pdf/{m['kind']}/{m['kind']}{m['num']}"),
    (re.compile(r"\bGAO-(?P<yy>\d{2})-(?P<num>\d{1,4}[A-Z]{0,2})\b"),
     lambda m: f"https://www.gao.gov/products/gao-{m['yy']}-{m['num'].lower()}"),
)


def publisher_url(citation: str, source_file: str = "", source: str = "") -> str:
    """The publisher's address for a figure: the URL in its citation, else the address a
    report number in the citation gives by its publisher's scheme (CRS, GAO), else the URL
    of the matching source record (by table title in the citation, or by source id)."""
    found = _URL.search(str(citation or ""))
    if found:
        return found.group(0).rstrip(".,;)")
    for pattern, address in _REPORT_URLS:
        if numbered := pattern.search(str(citation or "")):
            return address(numbered)
    for record in catalog.SOURCES.values():
        title = record.table_title or record.title
        if record.url and ((title and title.lower() in str(citation).lower())
                           or (source and record.id == source)):
            return record.url
    return ""


def _stem(citation: str) -> str:
    """A citation without its address: "USCIS, Table X, FY2020 Q1. https://..." ->
    "USCIS, Table X, FY2020 Q1"."""
    return _URL.sub("", str(citation)).strip().rstrip(" .;,")


def accessed_dates(data_dir=None) -> dict[str, str]:
    """The date each registered raw file was retrieved (``data/raw/manifest.csv``), by its
    path under ``data/raw``: the access date a source line gives. Empty without a manifest."""
    import csv

    from analysis import config

    path = config.manifest_path(data_dir or config.default_data_dir())
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {r.get("path", ""): r.get("retrieved", "") for r in csv.DictReader(handle)}


def _addresses(group: pd.DataFrame) -> str:
    """", URL" of a table's rows in time order: the one address, or the latest release's
    with how many there are."""
    urls: list[str] = []
    for citation, source_file, source in zip(
            group.get("citation", pd.Series("", index=group.index)),
            group["source_file"], group.get("source", pd.Series("", index=group.index)),
            strict=True):
        url = publisher_url(citation, source_file, source)
        if url and url not in urls:
            urls.append(url)
    if len(urls) == 1:
        return f", {urls[0]}"
    if urls:  # one release per period: name the latest, say how many
        return f", {urls[-1]} (latest of {len(urls)} releases)"
    return ""


def _accessed(files, dates: dict[str, str]) -> str:
    found = sorted({dates[str(f)] for f in files if dates.get(str(f))})
    return f", accessed {found[-1]}" if found else ""


def source_line(frame: pd.DataFrame, *, prefix: str = "Source: ", local: bool = False,
                accessed: dict[str, str] | None = None) -> str:
    """One line naming the publishers' tables, the range of periods of exactly the rows of
    ``frame``, and each table's address (URL) where known.

    ``local``: add the raw file each figure was read from (for the notebook and the CSV;
    a reader's page names the publisher, not a path on this machine). Each table's entry
    ends with the date its file was retrieved ("accessed 2026-11-23"; ``accessed`` maps raw
    files to dates, default :func:`accessed_dates` of the project's data).

    >>> source_line(counts[counts.category == "parole-in-place"])  # doctest: +SKIP
    'Source: USCIS, Number of Service-wide Forms ..., FY2020-Q1 to FY2026-Q2, https://...'
    """
    if frame.empty:
        return f"{prefix}no data"
    dates = accessed_dates() if accessed is None else accessed
    data = frame.assign(_stem=frame["citation"].map(_stem) if "citation" in frame.columns
                        else "")
    if "source_file" not in data.columns:
        data["source_file"] = ""
    # one entry per publisher's table: citations of one table differ only by period/address
    data["_title"] = ""
    for _, group in data.groupby("source_file", sort=False, dropna=False):
        stems = sorted({s for s in group["_stem"].dropna() if s})
        title = _common_prefix(stems) or "; ".join(stems)
        data.loc[group.index, "_title"] = title
    parts = []
    for title, group in data.groupby("_title", sort=True):
        span = _periods(group)
        shown = span and span not in title and span.replace("-", " ") not in title
        text = (title or "unnamed source") + (f", {span}" if shown else "")
        text += _addresses(_in_time_order(group)) + _accessed(group["source_file"].dropna(), dates)
        if local:
            files = sorted({str(f) for f in group["source_file"].dropna() if str(f)})
            if files:
                text += " (" + ", ".join(f"data/raw/{f}" for f in files) + ")"
        parts.append(text)
    line = prefix + "; ".join(parts)
    if is_synthetic(frame):
        line = f"{SYNTHETIC_LABEL} DATA, not real cases. " + line
    return line


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when any row of ``frame`` is synthetic (``synthetic`` column or source id)."""
    if "synthetic" in frame.columns and frame["synthetic"].fillna(False).astype(bool).any():
        return True
    return "source" in frame.columns and frame["source"].eq("synthetic").any()
