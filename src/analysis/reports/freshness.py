"""How current each source is: ``parole freshness`` and ``reports/freshness.html``.

Per source: the latest period ingested (from ``data/processed``), when its raw files were
retrieved (``data/raw/manifest.csv``), when the publisher's next release is due by the schedule
in ``sources.yml`` (the period after the latest one, plus the usual publication lag), and a
stale flag when that date has passed. Rows of the bundled compiled file count for the source
they cite (an ORR row of ``published/...`` counts for ``hhs-orr-uc``).

The due date is an estimate from the schedule's usual lag, not the publisher's commitment; the
page says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.contract import periods, store
from analysis.errors import ParoleError
from analysis.viz import pages

_STEP_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


@dataclass(frozen=True)
class Freshness:
    source: str
    title: str
    publisher: str
    url: str
    schedule: str
    latest_period: str | None  # label of the latest period ingested
    latest_period_end: date | None
    part_year: bool  # the latest period's figures are marked part-year
    retrieved: date | None  # latest retrieval of the raw files holding the source's rows
    files: int  # raw files holding the source's rows
    next_due: date | None  # when the release after the latest period is due (estimate)
    stale: bool | None  # None: no schedule or no data
    status: str  # "current", "stale", "no schedule", "no data"

    def as_dict(self) -> dict:
        out = asdict(self)
        for key in ("latest_period_end", "retrieved", "next_due"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _rows(data_dir: Path) -> pd.DataFrame:
    """Source, period label, period end, file and note of every processed row."""
    frames = []
    folder = config.processed_dir(data_dir)
    for table in ("counts", "processing_times"):
        path = folder / f"{table}.parquet"
        if not path.is_file():
            continue
        frame = store.read_parquet_file(path)
        if frame.empty:
            continue
        if table == "counts":
            ends = frame["period_end"]
            labels = frame["period"]
        else:
            spans = {p: periods.parse(p) for p in frame["period"].dropna().unique()}
            ends = pd.to_datetime([spans[p].end if isinstance(p, str) and p in spans else d
                                   for p, d in zip(frame["period"], frame["as_of"],
                                                   strict=True)])
            labels = [p if isinstance(p, str) and p in spans
                      else f"as of {pd.Timestamp(d).date().isoformat()}"
                      for p, d in zip(frame["period"], frame["as_of"], strict=True)]
        frames.append(pd.DataFrame({
            "source": frame["source"].to_numpy(), "label": list(labels),
            "end": pd.to_datetime(ends).to_numpy(), "start": _starts(frame, ends),
            "source_file": frame["source_file"].to_numpy(),
            "note": frame["note"].fillna("").to_numpy() if "note" in frame else ""}))
    if not frames:
        return pd.DataFrame(columns=["source", "label", "end", "start", "source_file", "note"])
    return pd.concat(frames, ignore_index=True)


def _starts(frame: pd.DataFrame, ends) -> list:
    if "period_start" in frame:
        return list(pd.to_datetime(frame["period_start"]))
    return list(pd.to_datetime(ends))


def _manifest(data_dir: Path) -> tuple[dict[str, date], dict[str, set[str]]]:
    """Retrieval date per registered file, and the files registered under each source id."""
    path = config.manifest_path(data_dir)
    if not path.is_file():
        return {}, {}
    manifest = pd.read_csv(path, dtype=str).fillna("")
    dates: dict[str, date] = {}
    by_source: dict[str, set[str]] = {}
    for row in manifest.itertuples():
        by_source.setdefault(row.source, set()).add(row.path)
        try:
            dates[row.path] = date.fromisoformat(row.retrieved)
        except ValueError:
            continue
    return dates, by_source


def next_due(latest_end: date, frequency: str, lag_days: int | None,
             *, snapshot: bool = False, complete: bool = False) -> date | None:
    """When the release after a period ending ``latest_end`` is due: the next period's end
    plus the usual lag. ``snapshot``: ``latest_end`` is the date a page value was seen, and the
    next is due one step later. ``complete``: the latest period is a part year, and the release
    completing it is due at its end plus the lag."""
    months = _STEP_MONTHS.get(frequency)
    if months is None or lag_days is None:
        return None
    if complete:
        return (pd.Timestamp(latest_end) + pd.Timedelta(days=lag_days)).date()
    if snapshot:
        step = pd.Timestamp(latest_end) + pd.DateOffset(months=months)
    else:
        step = pd.Timestamp(latest_end) + pd.offsets.MonthEnd(months)
    return (step + pd.Timedelta(days=lag_days)).date()


def freshness(data_dir: Path | str | None = None, *, today: date | None = None
              ) -> list[Freshness]:
    """One :class:`Freshness` per source (every source in SOURCES, and any other source id
    found in the processed tables)."""
    from analysis.contract.catalog import SOURCES

    data_dir = Path(data_dir) if data_dir else config.default_data_dir()
    today = today or date.today()
    rows = _rows(data_dir)
    retrieved, registered = _manifest(data_dir)
    ids = list(SOURCES) + sorted(set(rows["source"]) - set(SOURCES))
    out = []
    for source_id in ids:
        info = SOURCES.get(source_id)
        mine = rows[rows["source"] == source_id]
        frequency = info.schedule.frequency if info else "irregular"
        lag = info.schedule.lag_days if info else None
        base = {"source": source_id, "title": info.title if info else source_id,
                "publisher": info.publisher if info else "", "url": info.url if info else "",
                "schedule": (info.schedule.text or frequency) if info else "unknown"}
        files = sorted(set(mine["source_file"]) | registered.get(source_id, set()))
        dates = [retrieved[f] for f in files if f in retrieved]
        if mine.empty:
            # e.g. `published`: its files are registered, their rows count for the sources
            # they cite
            scheduled = frequency in _STEP_MONTHS
            out.append(Freshness(**base, latest_period=None, latest_period_end=None,
                                 part_year=False, retrieved=max(dates) if dates else None,
                                 files=len(files), next_due=None, stale=None,
                                 status="no data" if scheduled or not files else "no schedule"))
            continue
        latest_end = mine["end"].max()
        last = mine[mine["end"] == latest_end]
        # the narrowest period ending last (a quarter before its year-to-date block)
        last = last.assign(span=last["end"] - last["start"]).sort_values(["span", "label"])
        label = last["label"].iloc[0]
        part_year = bool(last["note"].fillna("").str.contains(periods.PART_YEAR_NOTE).any())
        if part_year:  # the next release completes the same period
            due = next_due(latest_end.date(), frequency, lag, complete=True)
        else:
            due = next_due(latest_end.date(), frequency, lag,
                           snapshot=label.startswith("as of"))
        stale = None if due is None else today > due
        status = "no schedule" if due is None else ("stale" if stale else "current")
        out.append(Freshness(**base, latest_period=label, latest_period_end=latest_end.date(),
                             part_year=part_year, retrieved=max(dates) if dates else None,
                             files=len(files), next_due=due, stale=stale, status=status))
    return out


def latest_periods_line(*frames: pd.DataFrame) -> str:
    """For a report header: the latest period of each source among the rows of ``frames``
    (``counts`` or ``processing_times`` frames), each source named by its title, e.g.
    ``Latest period: HHS ORR unaccompanied children released to sponsors, FY2025 (part
    year)``. Of several periods ending on the latest day, the narrowest is named (a quarter
    before its year-to-date block)."""
    from analysis.contract.catalog import SOURCES

    found: dict[str, tuple[pd.Timestamp, str]] = {}
    for rows in frames:
        if rows is None or rows.empty or "source" not in rows:
            continue
        for source_id, group in rows.groupby("source", sort=True):
            ends = group["period_end"] if "period_end" in group else group.get("as_of")
            if ends is None or ends.dropna().empty:
                continue
            ends = pd.to_datetime(ends)
            last = group[ends == ends.max()]
            if "period_start" in last and "period_end" in last:
                last = last.assign(_span=pd.to_datetime(last["period_end"])
                                   - pd.to_datetime(last["period_start"])).sort_values(
                    "_span", kind="stable")
            label = last["period"].dropna().iloc[0] if "period" in last and \
                last["period"].notna().any() else f"as of {ends.max():%Y-%m-%d}"
            notes = last["note"].fillna("") if "note" in last else pd.Series([], dtype=str)
            part = " (part year)" if notes.str.contains(periods.PART_YEAR_NOTE).any() else ""
            info = SOURCES.get(source_id)
            if source_id not in found or ends.max() > found[source_id][0]:
                found[source_id] = (ends.max(),
                                    f"{info.title if info else source_id}, {label}{part}")
    parts = [found[k][1] for k in sorted(found)]
    return "Latest period: " + ("; ".join(parts) if parts else "no data")


def latest_periods_of(data_dir: Path | str | None = None) -> str:
    """:func:`latest_periods_line` of every processed table in ``data_dir`` (for a report,
    such as the claim check, that may use any source)."""
    from analysis.contract import store

    frames = []
    for table in ("counts", "processing_times"):
        try:
            frames.append(store.read_table(table, data_dir))
        except ParoleError:  # a table not ingested has no latest period
            continue
    return latest_periods_line(*frames)


def _html_row(f: Freshness) -> dict[str, object]:
    latest = f.latest_period or ("each figure counted under the source it cites"
                                 if f.files else "none ingested")
    return {"source": f.source, "title": f.title, "publisher": f.publisher or f.title,
            "url": f.url, "latest": latest + (" (part year)" if f.part_year else ""),
            "retrieved": f.retrieved.isoformat() if f.retrieved else "\u2013",
            "next_due": f.next_due.isoformat() if f.next_due else "\u2013",
            "schedule": f.schedule, "css": f.status.replace(" ", "-"),
            "stale": f.status == "stale",
            "status": {"current": "Current", "no schedule": "No publishing schedule",
                       "no data": "No data ingested", "stale": "Stale"}[f.status]}


def html_page(items: list[Freshness], today: date) -> str:
    """The freshness page (``reports/freshness.html``), from its template."""
    return pages.render("freshness.html.j2", title="Freshness of each source | parole-stats",
                        today=today.isoformat(), rows=[_html_row(f) for f in items])


def render_html(data_dir: Path | str | None = None, reports_dir: Path | str | None = None,
                *, today: date | None = None) -> Path:
    """Write ``reports/freshness.html`` (atomically) and return its path."""
    from analysis import files

    today = today or date.today()
    folder = Path(reports_dir) if reports_dir else config.default_reports_dir()
    return files.write_text(html_page(freshness(data_dir, today=today), today),
                              folder / "freshness.html")
