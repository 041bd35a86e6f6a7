"""Adapter ``chnv-crowdsourced``: daily SELF-REPORTED CHNV parole approvals (not official).

Applicants report approvals in social-media groups; a volunteer project tallies them per day.
Everything built on these files is a biased, self-selected sample: every row says so (status
``reported`` as the compilers reported it, with the note :data:`SELF_REPORTED`, and a citation
ending "self-reported, not official").

Layout (sources.md section 6), one folder per report date::

    2023-05-05/2023-05-05-SocialMediaDailyReport.csv        Country, ReportDate, TotalApproved,
                                                            TotalApprovedUnknownDate, TotalDenied
    2023-05-05/2023-05-05-SocialMediaDailyReportDetail.csv  CaseDate, TotalApproved

The detail file counts the approvals reported that day by the date each case was filed; the
summary's TotalApproved is (in nearly every file) the detail's sum plus the approvals whose
case date is unknown. That identity is checked (``reconciliation``) for every report day.

What goes where (a documented choice: the contract's ``period`` has no daily label)
---------------------------------------------------------------------------------
* :func:`parse` on a **summary** file gives ``counts`` for that report day with period = the
  report date's month (``2023-05``), category ``chnv-parole-<country>-self-reported`` and
  measures ``approved``, ``approved-unknown-case-date``, ``denied``. Each row is ONE day's
  reports, an additive part of the month: add the rows of a month's files for the month (the
  note names the report date). It also reads the sibling detail file to reconcile.
  A blank TotalApprovedUnknownDate / TotalDenied (early files) is ``not_available``.
* :func:`parse` on a **detail** file gives no contract table (its approvals are already in the
  summary's TotalApproved); use :func:`approval_durations`.
* :func:`approval_durations` reads detail files (or a folder of report folders) into a table of
  its own: ``country, case_date, report_date, approvals, days, source_file, source_locator``
  where ``days = report_date - case_date``: durations of APPROVED cases only, usable as
  weighted durations by timing functions (pending and denied cases are not in it).
* :func:`monthly_counts` aggregates a folder of summary files into monthly ``counts``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.ingest.sources.base import (
    AdapterResult,
    Reconciliation,
    Rejection,
    counts_frame,
    parse_cell,
)

SOURCE = "chnv-crowdsourced"
SELF_REPORTED = "self-reported by applicants; not official; biased self-selected sample"
CITATION_MARK = "self-reported, not official"
SUMMARY_COLUMNS = ("Country", "ReportDate", "TotalApproved", "TotalApprovedUnknownDate",
                   "TotalDenied")
DETAIL_COLUMNS = ("CaseDate", "TotalApproved")
MEASURES = {"TotalApproved": "approved", "TotalApprovedUnknownDate": "approved-unknown-case-date",
            "TotalDenied": "denied"}
DURATION_COLUMNS = ["country", "case_date", "report_date", "approvals", "days", "source_file",
                    "source_locator"]
#: Some detail files give a case date on two lines; the summary's TotalApproved counts both
#: (e.g. 2024-01-29: 62 by case date, one date twice, + 19 unknown = 81), so they are separate
#: entries, kept as they are, not duplicates.
REPEATS = ("{name}: {n} case date(s) appear on more than one line; kept as separate entries "
           "(the summary's TotalApproved counts every line)")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _cite(citation: str) -> str:
    return citation if CITATION_MARK in citation.lower() else f"{citation} ({CITATION_MARK})"


def _rows(path: Path, expected: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = tuple(h.strip() for h in next(reader, []))
            if header != expected:
                raise InputError(path, f"header {', '.join(header) or '(none)'}",
                                 locator="line 1", expected=", ".join(expected))
            rows = []
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise InputError(path, f"{len(row)} cells where the header has {len(header)}",
                                     locator=f"line {reader.line_num}")
                rows.append((reader.line_num, dict(zip(header, (c.strip() for c in row),
                                                       strict=True))))
    except UnicodeDecodeError as exc:
        raise InputError(path, "not UTF-8 text", expected="a UTF-8 CSV file") from exc
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from exc
    return rows


def _date(text: str) -> pd.Timestamp | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        return None


def _is_detail(path: Path) -> bool:
    return path.stem.lower().endswith("detail")


def _sibling(path: Path) -> Path:
    """The detail file for a summary file and the other way round (same folder)."""
    if _is_detail(path):
        return path.with_name(path.name.replace("ReportDetail", "Report"))
    return path.with_name(path.stem + "Detail" + path.suffix)


def parse(path: Path, *, source_file: str, citation: str) -> AdapterResult:
    """Read a daily summary file (counts) or a detail file (no table; see module docstring)."""
    result = AdapterResult()
    if _is_detail(path):
        detail, rejected = _detail(path, source_file, country=None)
        result.rejected.extend(rejected)
        result.notes.append(
            f"detail file: {int(detail['approvals'].sum())} approvals by case date; these are "
            "already counted in the summary file's TotalApproved, so no counts rows are made. "
            f"Use chnv_crowdsourced.approval_durations() for durations ({SELF_REPORTED})")
        return result
    rows = _rows(path, SUMMARY_COLUMNS)
    records = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        report = _date(row["ReportDate"])
        if report is None:
            result.rejected.append(Rejection(f"line {line}, column ReportDate",
                                             "not a date (expected YYYY-MM-DD)", row["ReportDate"]))
            continue
        named = _DATE.search(path.name)
        if named and named[1] != row["ReportDate"]:
            result.notes.append(f"line {line}: ReportDate {row['ReportDate']} differs from the "
                                f"file name's date {named[1]}; the ReportDate is used")
        country = row["Country"]
        key = (country.lower(), row["ReportDate"])
        if key in seen:
            result.rejected.append(Rejection(
                f"line {line}", f"duplicate row: {country} {row['ReportDate']} already given on "
                f"line {seen[key]}", ",".join(row.values())))
            continue
        seen[key] = line
        category = f"chnv-parole-{re.sub(r'[^a-z0-9]+', '-', country.lower()).strip('-')}" \
                   "-self-reported"
        for column, measure in MEASURES.items():
            locator = f"line {line}, column {column} ({country}, report date {row['ReportDate']})"
            parsed = result.cell(row[column], locator)
            if parsed is None:
                continue
            value, status = parsed
            note = f"approvals reported on {row['ReportDate']} only (one day); {SELF_REPORTED}"
            if measure == "denied":
                note = f"denials reported on {row['ReportDate']} only (one day); {SELF_REPORTED}"
            if status == "not_available":
                note = f"column left blank in this report; {note}"
            records.append({
                "source": SOURCE, "form": None, "category": category, "measure": measure,
                "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
                "period": f"{report.year}-{report.month:02d}", "value": value, "status": status,
                "source_file": source_file, "source_locator": locator,
                "citation": _cite(citation), "note": note})
    result.tables["counts"] = counts_frame(records)
    detail_path = _sibling(path)
    if detail_path.is_file() and records:
        detail, rejected = _detail(detail_path, detail_path.name, country=None)
        result.rejected.extend(rejected)
        _reconcile(result, result.tables["counts"], detail, detail_path.name)
        if detail.attrs["repeated_case_dates"]:
            result.notes.append(REPEATS.format(n=detail.attrs["repeated_case_dates"],
                                               name=detail_path.name))
    else:
        result.notes.append(f"no detail file {detail_path.name} beside the summary: "
                            "case-date totals not reconciled")
    return result


def _reconcile(result: AdapterResult, counts: pd.DataFrame, detail: pd.DataFrame,
               detail_name: str) -> None:
    by_measure = counts.set_index("measure")
    approved = by_measure.loc["approved"] if "approved" in by_measure.index else None
    if approved is None or pd.isna(approved["value"]):
        return
    unknown = by_measure["value"].get("approved-unknown-case-date")
    unknown = 0.0 if unknown is None or pd.isna(unknown) else float(unknown)
    report_date = str(approved["source_locator"]).rsplit("report date ", 1)[-1].rstrip(")")
    result.reconciliation.append(Reconciliation(
        check=f"approvals by case date ({detail_name}) plus approvals with unknown case date "
              "sum to TotalApproved",
        period=report_date, parts_sum=float(detail["approvals"].sum()) + unknown,
        published_total=float(approved["value"]), parts=len(detail) + 1,
        locator=str(approved["source_locator"])))


def _detail(path: Path, source_file: str, country: str | None
            ) -> tuple[pd.DataFrame, list[Rejection]]:
    rows = _rows(path, DETAIL_COLUMNS)
    named = _DATE.search(path.name)
    report = _date(named[1]) if named else None
    if report is None:
        raise InputError(path, "no report date in the file name",
                         expected="a name such as 2023-05-05-SocialMediaDailyReportDetail.csv")
    rejected: list[Rejection] = []
    records = []
    seen: dict[str, int] = {}  # case date -> lines giving it
    for line, row in rows:
        locator = f"line {line}"
        case = _date(row["CaseDate"])
        if case is None:
            rejected.append(Rejection(f"{locator}, column CaseDate",
                                      "not a date (expected YYYY-MM-DD)", row["CaseDate"]))
            continue
        seen[row["CaseDate"]] = seen.get(row["CaseDate"], 0) + 1
        try:
            value, status = parse_cell(row["TotalApproved"])
        except ValueError as exc:
            rejected.append(Rejection(f"{locator}, column TotalApproved", str(exc),
                                      row["TotalApproved"]))
            continue
        if value is None or value != int(value):
            rejected.append(Rejection(f"{locator}, column TotalApproved",
                                      f"not a whole count ({status})", row["TotalApproved"]))
            continue
        if case > report:
            rejected.append(Rejection(locator, f"case date {row['CaseDate']} is after the report "
                                      f"date {report.date()}", row["CaseDate"]))
            continue
        records.append({"country": country, "case_date": case, "report_date": report,
                        "approvals": int(value), "days": int((report - case).days),
                        "source_file": source_file, "source_locator": f"{locator}, column "
                                                                      "TotalApproved"})
    frame = pd.DataFrame.from_records(records, columns=DURATION_COLUMNS)
    frame.attrs["repeated_case_dates"] = sum(1 for n in seen.values() if n > 1)
    return frame, rejected


def _files(paths: Path | str | Iterable[Path | str], detail: bool) -> list[Path]:
    items = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    found: list[Path] = []
    for item in items:
        if item.is_dir():
            found.extend(sorted(p for p in item.rglob("*.csv") if _is_detail(p) == detail))
        elif item.is_file():
            found.append(item)
        else:
            raise InputError(item, "no such file or folder")
    return found


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return f"{path.parent.name}/{path.name}"


def approval_durations(paths: Path | str | Iterable[Path | str], *,
                       root: Path | None = None) -> pd.DataFrame:
    """Approvals by case date and report date from detail files (or folders of them).

    Returns ``country, case_date, report_date, approvals, days, source_file, source_locator``,
    one row per (report date, case date) with ``days = report_date - case_date``. These are
    durations of APPROVED cases only, self-reported: a biased, self-selected sample (the frame's
    ``attrs["note"]`` says so; ``attrs["rejected"]`` holds rows that could not be used).
    ``country`` comes from the sibling summary file when present. A case date given on two
    lines of one file stays two rows (see :data:`REPEATS`).
    """
    frames, rejected, repeats = [], [], 0
    for path in _files(paths, detail=True):
        if not _is_detail(path):
            raise InputError(path, "not a detail file",
                             expected="a ...SocialMediaDailyReportDetail.csv file")
        country = None
        summary = _sibling(path)
        if summary.is_file():
            countries = {row["Country"] for _, row in _rows(summary, SUMMARY_COLUMNS)}
            country = countries.pop() if len(countries) == 1 else None
        name = _relative(path, root)
        frame, bad = _detail(path, name, country)
        repeats += frame.attrs["repeated_case_dates"]
        frames.append(frame)
        rejected.extend(Rejection(f"{name}, {r.locator}", r.reason, r.value) for r in bad)
    frames = [f for f in frames if not f.empty]
    result = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=DURATION_COLUMNS))
    result.attrs["note"] = f"approval durations of approved cases only; {SELF_REPORTED}"
    if repeats:
        result.attrs["note"] += "; " + REPEATS.format(n=repeats, name="detail files")
    result.attrs["rejected"] = rejected
    return result


def monthly_counts(paths: Path | str | Iterable[Path | str], *, citation: str,
                   root: Path | None = None) -> AdapterResult:
    """Monthly ``counts`` from a folder (or list) of daily summary files.

    Each month's value is the sum of its report days' values; the note says how many report
    days the month has (a day without a file is missing, not zero). Months whose days have a
    blank (not available) cell get that measure only as the sum of the days that have it, and
    the note says how many days were blank.
    """
    result = AdapterResult()
    days = []
    for path in _files(paths, detail=False):
        name = _relative(path, root)
        one = parse(path, source_file=name, citation=citation)
        result.rejected.extend(Rejection(f"{name}, {r.locator}", r.reason, r.value)
                               for r in one.rejected)
        result.reconciliation.extend(one.reconciliation)
        days.append(one.tables["counts"])
    days = [d for d in days if not d.empty]
    if not days:
        result.tables["counts"] = counts_frame([])
        return result
    frame = pd.concat(days, ignore_index=True)
    folder = _relative(Path(paths), root) if isinstance(paths, str | Path) else "(files)"
    records = []
    for (category, measure, period), group in frame.groupby(["category", "measure", "period"]):
        valued = group[group["value"].notna()]
        report_days = group["source_locator"].str.extract(r"report date (\S+)\)")[0]
        span = periods_span(period)
        note = (f"sum of {len(group)} daily reports ({report_days.min()} to {report_days.max()}"
                f") of {span} calendar days")
        if len(valued) < len(group):
            note += f"; {len(group) - len(valued)} report days left this column blank"
        if valued.empty:
            value, status = None, "not_available"
        else:
            value, status = float(valued["value"].sum()), "reported"
        records.append({
            "source": SOURCE, "form": None, "category": category, "measure": measure,
            "geo_level": "nation", "geo_code": "US", "geo_name": "United States",
            "period": period, "value": value, "status": status, "source_file": folder,
            "source_locator": f"{len(group)} summary files, report dates {report_days.min()} "
                              f"to {report_days.max()}",
            "citation": _cite(citation), "note": f"{note}; {SELF_REPORTED}"})
    result.tables["counts"] = counts_frame(records)
    return result


def periods_span(period: str) -> int:
    """Number of calendar days in a month label ("2023-05" -> 31)."""
    return pd.Period(period, freq="M").days_in_month
