"""The case-outcomes report: time to parole with competing endings, and parole shares.

For a case-level file (a FOIA extract of detention stays read through a mapping, or a case
log): the cumulative incidence of parole by day (Aalen-Johansen; removal, bond, recognizance,
transfer and other endings compete; open stays censored at the cut date) per group, with
intervals, and the share paroled among ended stays per group with Wilson intervals. Groups are
places of *detention* (area of responsibility, facility state) or the fiscal year of book-in,
never residence. With ``cases="synthetic"`` (the default) it runs on SYNTHETIC stays, labelled
as such on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from analysis import config
from analysis.stats import competing, synthetic

GROUPS = {
    "area_of_responsibility": "ICE area of responsibility at book-in (place of detention)",
    "facility_state": "state of the detention facility (place of detention)",
    "fiscal_year": "federal fiscal year of book-in",
}
SYNTHETIC_ROWS = 20_000


class Parameters(BaseModel):
    """The report's parameters once checked (built only by :func:`check_parameters`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    cases: str
    group: str
    as_of: str
    days: tuple[int, ...]
    data_dir: Path


def _cases_path(cases: str, data_dir: Path) -> str:
    if cases in ("synthetic", ""):
        return "synthetic"
    if cases == "processed":
        processed = config.processed_dir(data_dir)
        folder = processed / "cases"
        if folder.is_dir() and any(folder.glob("**/*.parquet")):
            return str(folder)
        return str(processed / "cases.parquet")
    path = Path(cases)
    if not path.exists():
        raise ValueError(f"cases: {cases!r} is neither 'synthetic', 'processed' nor an existing "
                         "Parquet file or folder")
    return str(path)


def check_parameters(cases="synthetic", group="area_of_responsibility", as_of="",
                     days=(30, 90, 180), data_dir="") -> Parameters:
    """Check the parameters: ``cases`` is ``synthetic``, ``processed`` (the ingested cases)
    or a Parquet file or folder; ``group`` one of :data:`GROUPS`; ``as_of`` the cut date
    (``""``: the latest date in the data); ``days`` whole days for the table."""
    folder = Path(data_dir) if data_dir else config.default_data_dir()
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    if as_of:
        try:
            pd.Timestamp(str(as_of))
        except ValueError:
            raise ValueError(f"as_of must be a date (YYYY-MM-DD), not {as_of!r}") from None
    if isinstance(days, int):
        days = [days]
    if not isinstance(days, list | tuple) or not days or not all(
            isinstance(d, int) and d > 0 for d in days):
        raise ValueError(f"days must be a list of whole days above 0, not {days!r}")
    return Parameters(cases=_cases_path(str(cases), folder), group=group,
                      as_of=str(as_of or ""), days=tuple(days), data_dir=folder)


def validate_parameters(p: dict) -> Parameters:
    """The notebook's parameter values, checked before a kernel starts (found by name by
    :mod:`analysis.reports.render`)."""
    return check_parameters(p.get("cases", "synthetic"), p.get("group",
                            "area_of_responsibility"), p.get("as_of", ""),
                            p.get("days", (30, 90, 180)), p.get("data_dir", ""))


def data(params: Parameters) -> Any:
    """The cases: SYNTHETIC stays, or the Parquet path (read by the query engine)."""
    if params.cases == "synthetic":
        return synthetic.generate_stays(SYNTHETIC_ROWS)
    return params.cases


def _as_of(params: Parameters) -> str | None:
    return params.as_of or None


def is_synthetic(params: Parameters, table: pd.DataFrame) -> bool:
    return params.cases == "synthetic" or table.attrs.get("label") == synthetic.LABEL


def incidence(params: Parameters, cases: Any) -> pd.DataFrame:
    """Cumulative incidence of parole per group (see :mod:`analysis.stats.competing`)."""
    return competing.cumulative_incidence(cases, by=params.group, as_of=_as_of(params))


def incidence_table(params: Parameters, curves: pd.DataFrame) -> pd.DataFrame:
    return competing.incidence_at(curves, params.days)


def shares(params: Parameters, cases: Any) -> pd.DataFrame:
    """Share paroled among ended stays per group, Wilson intervals."""
    return competing.parole_shares(cases, by=params.group, as_of=_as_of(params))


def caveats(params: Parameters, cut_date: str | None, synthetic_data: bool) -> str:
    """The caveats shown on the page (Markdown)."""
    lines = [
        f"- **Cut date {cut_date}.** Stays still open then are counted as open (censored), "
        "not as failures to be paroled.",
        "- **A FOIA extract, not an official statistic.** Records released under the Freedom "
        "of Information Act can be incomplete, redacted (redaction markers are read as "
        "missing and counted in the ingest report) and revised between releases.",
        f"- **Groups are {GROUPS[params.group]}**" + (
            ", where the person was held, not where they live." if params.group != "fiscal_year"
            else "."),
        "- **Repeated case ids were removed** at ingestion: the first usable row is kept and "
        "the others are listed, with their lines, in the rejects file and the ingest report.",
        "- Other endings (removal, bond, recognizance, transfer, other) are *competing* "
        "events: 1 - Kaplan-Meier would treat them as 'not paroled yet' and overstate parole.",
    ]
    if synthetic_data:
        lines.insert(0, "- **SYNTHETIC data**: invented stays generated for demonstration; "
                        "no figure on this page describes real people.")
    return "\n".join(lines)


def chart(curves: pd.DataFrame, synthetic_data: bool, group: str):
    """Step chart of the cumulative incidence per group (first 365 days)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, part in curves.groupby("group", sort=False, observed=True):
        part = part[part["days"] <= 365]
        ax.step(part["days"], part["cumulative_incidence"], where="post", label=str(name))
        ax.fill_between(part["days"], part["lower"], part["upper"], step="post", alpha=0.15)
    title = f"Cumulative incidence of parole by days in detention, by {group}"
    ax.set_title(f"{synthetic.LABEL}: {title}" if synthetic_data else title)
    ax.set_xlabel("days since book-in")
    ax.set_ylabel("share paroled (other endings compete)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def formatted(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Shares as percentages with one decimal, for display."""
    out = table[columns].copy()
    for col in ("cumulative_incidence", "share", "lower", "upper"):
        if col in out:
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    return out
