"""The processing-times report: published waits by form and office, and the backlog measure.

Published figures only: USCIS's 80th-percentile times from its processing-times page (by form,
subtype and office) and the median from its quarterly report (national). USCIS publishes no
processing time for humanitarian parole; the backlog measure (pending divided by recent monthly
completions) is the nearest indicator public data allows, and it is not a wait a new applicant
will see.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from analysis import config
from analysis.contract import series, store
from analysis.errors import ParoleError
from analysis.reports import freshness
from analysis.stats import timing
from analysis.viz import formatting, tables


class Parameters(BaseModel):
    """The report's parameters once checked (built only by :func:`check_parameters`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    form: str
    offices: tuple[str, ...]
    data_dir: Path


def _table(name: str, data_dir: Path) -> pd.DataFrame:
    try:
        return store.read_table_once(name, data_dir)
    except ParoleError as exc:
        raise ValueError(str(exc)) from None


def check_parameters(form, offices, data_dir="") -> Parameters:
    """Validate the form and office codes against the processing times actually ingested."""
    folder = Path(data_dir) if data_dir else config.default_data_dir()
    if not isinstance(form, str) or not form.strip():
        raise ValueError(f"form must be a form number such as 'I-131', not {form!r}")
    if isinstance(offices, str):
        offices = [o.strip() for o in offices.split(",") if o.strip()]
    if not isinstance(offices, list | tuple) or not all(isinstance(o, str) for o in offices):
        raise ValueError(f"offices must be a list of office codes, not {offices!r}")
    times = _table("processing_times", folder)
    forms = sorted(times["form"].dropna().unique())
    if form not in forms:
        raise ValueError(f"no processing times for form {form!r}; forms with data: "
                         + ", ".join(forms))
    known = sorted(times[times["form"] == form]["geo_code"].unique())
    unknown = [o for o in offices if o not in known]
    if unknown:
        raise ValueError(f"no {form} processing times for office(s) {', '.join(unknown)}; "
                         f"offices with data: {', '.join(known)}")
    return Parameters(form=form, offices=tuple(offices), data_dir=folder)


def validate_parameters(p: dict) -> Parameters:
    """The notebook's parameter values, checked before a kernel starts (found by name by
    :mod:`analysis.reports.render`)."""
    return check_parameters(p["form"], p["offices"], p.get("data_dir", ""))


def office_series(params: Parameters) -> pd.DataFrame:
    """The published 80th-percentile series by office and subtype (as published, no filling)."""
    times = _table("processing_times", params.data_dir)
    table = timing.published_series(times, statistics=("p80",), form=params.form)
    if params.offices:
        table = table[table["geo_code"].isin(params.offices)]
    return table


def national_medians(params: Parameters) -> pd.DataFrame:
    """The quarterly report's national median by subtype, status kept (N/A stays N/A)."""
    times = _table("processing_times", params.data_dir)
    table = timing.published_series(times, statistics=("median",), form=params.form)
    return table[table["geo_level"] == "nation"]


def backlog(params: Parameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Months to clear the pending queue for each I-131 parole series, inputs shown; returns
    the table and the counts rows it used."""
    counts = _table("counts", params.data_dir)
    frames, used = [], []
    for slug in ("humanitarian-parole", "parole-in-place"):
        rows = series.select(counts, slug)
        rows = rows[(rows["form"] == params.form) & (rows["geo_level"] == "nation")]
        if rows.empty:
            continue
        result = timing.backlog_months(rows.assign(category=slug), quarters=4)
        frames.append(result.assign(series=slug))
        periods = set(", ".join(result["periods_used"].dropna()).split(", "))
        used.append(rows[rows["period"].isin(periods)])
    if not frames:
        return pd.DataFrame(), counts.iloc[0:0]
    return pd.concat(frames, ignore_index=True), pd.concat(used, ignore_index=True)


def latest_line(params: Parameters) -> str:
    """The header's freshness line: the latest period of the processing-time figures of the
    form and of the counts behind the backlog measure."""
    times = _table("processing_times", params.data_dir)
    counts = _table("counts", params.data_dir)
    parole = pd.concat([series.select(counts, s) for s in ("humanitarian-parole",
                                                            "parole-in-place")])
    return freshness.latest_periods_line(times[times["form"] == params.form],
                                         parole[parole["form"] == params.form])


def office_wide(part: pd.DataFrame) -> pd.DataFrame:
    """One column per office, one row per published date; a value is carried forward only
    within the change log's own meaning (it stands until the next change)."""
    wide = (part.pivot_table(index="date", columns="geo_code", values="months", aggfunc="first")
            .sort_index().ffill())
    wide.columns.name = None
    wide = wide.reset_index()
    wide["date"] = wide["date"].dt.strftime("%Y-%m-%d")
    return wide


def office_labels(part: pd.DataFrame) -> dict[str, str]:
    """Line labels of the office chart: office names, not codes ("California Service
    Center", not "CSC")."""
    return dict(zip(part["geo_code"].astype(str), part["geo_name"].astype(str), strict=True))


def subtype_name(subtype: str) -> str:
    """A form subtype in words with its code: "advance parole document (all other
    applicants; 141B-OTH)"."""
    name = formatting.label(subtype, "subtypes")
    return f"{name[:1].upper()}{name[1:]} ({subtype})" if name != subtype else subtype


def office_finding(part: pd.DataFrame, subtype: str) -> str:
    subtype = subtype_name(subtype)
    latest = part.sort_values("date").groupby("geo_code").tail(1).dropna(subset=["months"])
    if latest.empty:
        return f"{subtype}: no published values"
    slow, fast = latest.loc[latest["months"].idxmax()], latest.loc[latest["months"].idxmin()]
    if slow["geo_code"] == fast["geo_code"]:
        return (f"{subtype}: 80% of cases completed within {formatting.months(slow['months'])} "
                f"months at {slow['geo_name']} (last published {slow['date']:%Y-%m-%d})")
    return (f"{subtype}: latest published times range from "
            f"{formatting.months(fast['months'])} months ({fast['geo_name']}) to "
            f"{formatting.months(slow['months'])} months ({slow['geo_name']})")


SERIES_COLUMNS = {"date": "Published on", "geo_code": "Office", "geo_name": "Office name",
                  "months": "80% completed within (months)", "status": "Status"}
def _status(value) -> str:
    return formatting.label(value, "statuses")


def _series(value) -> str:
    return formatting.label(value)


SERIES_FORMATS = {"months": tables.months, "status": _status}
MEDIAN_COLUMNS = {"period": "Quarter", "subtype": "Series", "months": "Median (months)",
                  "status": "Status", "note": "Notes"}
MEDIAN_FORMATS = {"months": tables.months, "status": _status, "subtype": _series}
BACKLOG_COLUMNS = {
    "series": "Series", "months": "Months to clear", "pending": "Pending",
    "pending_period": "Pending at end of", "mean_monthly_completions":
    "Mean monthly completions", "completions_measure": "Completions counted as",
    "completions": "Completions by quarter", "status": "Status", "reason": "Why not"}
BACKLOG_FORMATS = {"months": tables.months, "pending": tables.count,
                   "mean_monthly_completions": tables.count, "series": _series,
                   "status": _status}


def display_series(part: pd.DataFrame) -> str:
    shown = part.assign(date=part["date"].dt.strftime("%Y-%m-%d"))
    return tables.to_html(shown, part, columns=SERIES_COLUMNS, formats=SERIES_FORMATS)


def display_medians(medians: pd.DataFrame) -> str:
    if medians.empty:
        return "<p>No national medians published for this form.</p>"
    return tables.to_html(medians, medians, columns=MEDIAN_COLUMNS, formats=MEDIAN_FORMATS)


def display_backlog(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    if table.empty:
        return "<p>No pending and completion counts for this form.</p>"
    return tables.to_html(table, rows, columns=BACKLOG_COLUMNS, formats=BACKLOG_FORMATS)
