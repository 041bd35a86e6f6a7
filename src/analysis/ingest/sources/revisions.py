"""Revisions between releases: one figure per series and period, from the latest release.

Publishers revise figures from one release to the next (DHS OHSS: "future reporting may include
updates to previous reports' data"; the July 2024 workbook gives FY2023 CHNV paroles as 233,500,
the August 2024 release 233,490). When two files of the same source give a figure for the same
series and period, ingestion keeps the one from the latest release and lists every revision:
the old and new value and status, and both files.

A series is ``source, form, category, measure, geo_level, geo_code`` (and ``period``). Files of
different sources never revise each other (a field-office national total is not a revision of
the all-forms report).

A file's release is, in order of preference, what the file itself says (its title or release
line, e.g. OHSS "(July 2024)"; adapters put it in :attr:`AdapterResult.release`) or the date the
file was retrieved (the manifest's ``retrieved``). Releases are compared as dates (``2024-07`` is
read as 1 July 2024). Two files of the same release that disagree are listed too (``same_release``
true), and the file later in path order is kept: the report says so, so that it can be checked.

Before that, one rule decides between a transcribed and a machine-read copy of the same figure
(:func:`prefer_machine_read`): the compiled files in ``data/raw/published`` are transcriptions
of published tables, so where an adapter read the same figure from the publisher's own file,
that machine-read row is kept; every disagreement is listed. The ``origin`` column of ``counts``
says which a row is. Reports, charts and claims carry no rule of their own.

Everything here is pure: frames in, frames and lists out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

SERIES = ["source", "form", "category", "measure", "geo_level", "geo_code", "period"]


@dataclass(frozen=True)
class Revision:
    """A figure published by two releases: the one dropped (old) and the one kept (new)."""

    series: dict[str, Any]
    old_value: float | None
    old_status: str
    old_file: str
    old_release: str
    old_locator: str
    new_value: float | None
    new_status: str
    new_file: str
    new_release: str
    new_locator: str
    same_release: bool = False

    @property
    def difference(self) -> float | None:
        if self.old_value is None or self.new_value is None:
            return None
        return self.new_value - self.old_value

    def as_dict(self) -> dict[str, Any]:
        return {**self.series, "old_value": self.old_value, "old_status": self.old_status,
                "old_file": self.old_file, "old_release": self.old_release,
                "old_locator": self.old_locator, "new_value": self.new_value,
                "new_status": self.new_status, "new_file": self.new_file,
                "new_release": self.new_release, "new_locator": self.new_locator,
                "difference": self.difference, "same_release": self.same_release}


def release_of(result: Any, retrieved: str | None = None) -> str:
    """A file's release: what the adapter read from the file, else the retrieved date ('' when
    neither is known)."""
    return str(getattr(result, "release", None) or retrieved or "")


def _when(release: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(release) if release else pd.NaT
    except (ValueError, TypeError):
        stamp = pd.NaT
    return pd.Timestamp.min if pd.isna(stamp) else stamp


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def keep_latest(counts: pd.DataFrame, releases: dict[str, str]
                ) -> tuple[pd.DataFrame, list[Revision]]:
    """``counts`` with one row per series and period, from the latest release, and the revisions.

    ``releases`` maps each ``source_file`` to its release (an ISO date or ``YYYY-MM``; a file
    missing from it, or with an unreadable release, counts as the oldest). Rows that agree
    (same value and status) are dropped from older releases without being listed; rows that
    differ are listed as :class:`Revision`. The frame's columns and order are kept.
    """
    if counts.empty:
        return counts, []
    keys = [c for c in SERIES if c in counts.columns]
    frame = counts.copy()
    frame["_release"] = frame["source_file"].map(lambda f: str(releases.get(f, "") or ""))
    frame["_when"] = frame["_release"].map(_when)
    frame["_row"] = range(len(frame))
    key_frame = frame[keys].astype(object).where(frame[keys].notna(), "\0")
    frame["_series"] = list(map(tuple, key_frame.to_numpy()))
    repeated = frame["_series"].duplicated(keep=False)
    if not repeated.any():
        return counts, []
    revisions: list[Revision] = []
    drop: list[int] = []
    multi = frame[repeated].sort_values(["_when", "source_file", "_row"], kind="stable")
    for _, group in multi.groupby("_series", sort=False):
        if group["source_file"].nunique() < 2:
            continue  # one file giving a series twice is refused by the contract, not revised
        newest = group.iloc[-1]
        for _, old in group.iloc[:-1].iterrows():
            if old["source_file"] == newest["source_file"]:
                continue
            drop.append(int(old["_row"]))
            same = (_number(old["value"]) == _number(newest["value"])
                    and old["status"] == newest["status"])
            if same:
                continue
            revisions.append(Revision(
                series={k: (None if newest[k] is None or (not isinstance(newest[k], str)
                                                         and pd.isna(newest[k]))
                            else newest[k]) for k in keys},
                old_value=_number(old["value"]), old_status=str(old["status"]),
                old_file=str(old["source_file"]), old_release=str(old["_release"]),
                old_locator=str(old["source_locator"]),
                new_value=_number(newest["value"]), new_status=str(newest["status"]),
                new_file=str(newest["source_file"]), new_release=str(newest["_release"]),
                new_locator=str(newest["source_locator"]),
                same_release=bool(old["_when"] == newest["_when"])))
    dropped = set(drop)
    kept = counts.iloc[[i for i in range(len(counts)) if i not in dropped]]
    return kept.reset_index(drop=True), revisions


def prefer_machine_read(counts: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Drop transcribed rows of series that a machine-read row also gives; list each pair whose
    value or status differ (the transcription and the publisher's file disagree)."""
    if counts.empty or "origin" not in counts.columns:
        return counts, []
    keys = [c for c in SERIES if c in counts.columns]
    frame = counts.reset_index(drop=True)
    key_frame = frame[keys].astype(object).where(frame[keys].notna(), "\0")
    series = pd.Series(list(map(tuple, key_frame.to_numpy())), index=frame.index)
    machine = frame["origin"].eq("machine-read")
    read = dict(zip(series[machine], frame.index[machine], strict=False))
    drop, disagreements = [], []
    for i in frame.index[~machine]:
        j = read.get(series[i])
        if j is None:
            continue
        drop.append(i)
        old, new = frame.loc[i], frame.loc[j]
        if _number(old["value"]) != _number(new["value"]) or old["status"] != new["status"]:
            disagreements.append({
                **{k: (None if not isinstance(new[k], str) and pd.isna(new[k]) else new[k])
                   for k in keys},
                "transcribed_value": _number(old["value"]), "transcribed_status": old["status"],
                "transcribed_file": old["source_file"],
                "transcribed_locator": old["source_locator"],
                "machine_read_value": _number(new["value"]), "machine_read_status": new["status"],
                "machine_read_file": new["source_file"],
                "machine_read_locator": new["source_locator"]})
    return frame.drop(index=drop).reset_index(drop=True), disagreements
