"""What every adapter shares: its result type, cell parsing and the contract's row shape."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.contract import periods, schemas


@dataclass
class Rejection:
    """A row (or cell) that could not be used, with the reason; reported, never dropped silently."""

    locator: str
    reason: str
    value: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"locator": self.locator, "reason": self.reason, "value": self.value}


@dataclass
class Reconciliation:
    """A published total checked against the sum of its published parts."""

    check: str
    period: str
    parts_sum: float
    published_total: float
    locator: str
    parts: int = 0

    @property
    def difference(self) -> float:
        return self.parts_sum - self.published_total

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "period": self.period, "parts": self.parts,
                "parts_sum": self.parts_sum, "published_total": self.published_total,
                "difference": self.difference, "locator": self.locator,
                "matches": self.difference == 0}


@dataclass
class AdapterResult:
    """What an adapter read from one file: contract tables, rejected rows and reconciliations."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    reconciliation: list[Reconciliation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: decisions taken on odd rows and cells (a blank office cell read as not_available, figures
    #: on a heading not read, ...): what -> how many; the notes give examples with locators
    decisions: dict[str, int] = field(default_factory=dict)
    #: the release the file belongs to when the file says (ISO date or ``YYYY-MM``, e.g. OHSS
    #: "(July 2024)" -> ``2024-07``); ingestion uses it to keep the latest of two releases
    release: str | None = None

    def cell(self, raw: object, locator: str, markers: dict[str, str] | None = None
             ) -> tuple[float | None, str] | None:
        """:func:`parse_cell`, recording a cell that is not a number or a known marker as a
        :class:`Rejection` at ``locator`` (and returning None) instead of raising."""
        try:
            return parse_cell(raw, markers)
        except ValueError as exc:
            text = "" if raw is None else str(raw)
            self.rejected.append(Rejection(locator, str(exc), text))
            return None


# Publisher markers and what they mean (USCIS table key; DHS OHSS uses "X" for "not applicable").
MARKERS: dict[str, str] = {
    "D": "suppressed",
    "X": "suppressed",
    "-": "zero",
    "N/A": "not_available",
    "NA": "not_available",
    "H": "withheld",
    "": "not_available",
}

MAX_COUNT = schemas.MAX_COUNT  # the largest count accepted (the contract's bound)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)
_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)


def check_number_text(text: str) -> None:
    """Refuse, naming the character, a number written with digits outside ASCII (fullwidth
    ``１２３``, Arabic-Indic ``١٢٣``) or with an invisible character inside it (a zero-width
    space or joiner, a soft hyphen, a direction mark): Python would read the first silently and
    the second could hide a digit. Raises ``ValueError``."""
    import unicodedata

    for char in text:
        if char.isdigit() and not char.isascii():
            raise ValueError(f"{ascii(text)} has the digit {char!r} (U+{ord(char):04X}, "
                             f"{unicodedata.name(char, 'unnamed')}) outside ASCII; expected the "
                             "digits 0-9")
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
            raise ValueError(f"{ascii(text)} has an invisible character U+{ord(char):04X} "
                             f"({unicodedata.name(char, 'control')}) inside it; expected a "
                             "number of digits 0-9 alone")


def parse_cell(raw: object, markers: dict[str, str] | None = None) -> tuple[float | None, str]:
    """Turn a published cell into ``(value, status)``.

    ``" 1,009 "`` -> ``(1009.0, "reported")``; ``"D"`` -> ``(None, "suppressed")``;
    ``"-"`` -> ``(0.0, "zero")``. Thousands separators must be in the right places
    (``"1,2,3"`` is refused, not read as 123); booleans, dates, negative, non-finite and
    absurdly large numbers are refused. Raises ``ValueError`` naming what was found.
    ``markers`` replaces :data:`MARKERS` for a publisher whose key differs.
    """
    markers = MARKERS if markers is None else markers
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None, "not_available"
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is a true/false value, not a count")
    if isinstance(raw, int | float):
        value = float(raw)
        if not math.isfinite(value) or abs(value) > MAX_COUNT:
            raise ValueError(f"{raw!r} is not a plausible count")
        if value < 0:
            raise ValueError(f"negative count {raw!r}")
        return value, "reported"
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} ({type(raw).__name__}) is not a count")
    text = raw.replace("\u00a0", " ").strip().strip('"').strip()
    check_number_text(text)
    marker = text.upper()
    if marker in markers:
        status = markers[marker]
        return (0.0 if status == "zero" else None), status
    if "," in text and not _GROUPED.match(text):
        raise ValueError(f"{text!r} has misplaced thousands separators "
                         "(expected a number like 1,234,567)")
    plain = text.replace(",", "")
    if _NUMBER.match(plain):
        value = float(plain)
        if abs(value) > MAX_COUNT:
            raise ValueError(f"{text!r} is not a plausible count")
        if value < 0:
            raise ValueError(f"negative count {text!r}")
        return value, "reported"
    shown = ", ".join(repr(m) for m in markers if m)
    raise ValueError(f"{text!r} is not a number or a known marker ({shown})")


def reconcile_totals(frame: pd.DataFrame, *, is_total: pd.Series,
                     check: str) -> list[Reconciliation]:
    """Per period, the published total row (``is_total``) against the sum of the other rows."""
    checks = []
    for period, group in frame.groupby("period", sort=True):
        mask = is_total.loc[group.index]
        total, parts = group[mask], group[~mask]
        if total.empty or parts.empty or total["value"].isna().any():
            continue
        checks.append(Reconciliation(
            check=check, period=period, parts_sum=float(parts["value"].sum()),
            published_total=float(total["value"].iloc[0]), parts=len(parts),
            locator=total["source_locator"].iloc[0]))
    return checks


def counts_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Build a ``counts`` frame from records holding at least the contract's columns except
    ``period_start``, ``period_end`` and ``fiscal_year``, which come from ``period``, and
    ``origin`` (``machine-read`` unless given; :func:`analysis.ingest.sources.load` sets it
    from the source)."""
    if not records:
        return schemas.empty("counts")
    frame = pd.DataFrame.from_records(records)
    if "origin" not in frame:
        frame["origin"] = "machine-read"
    spans = {label: periods.parse(label) for label in frame["period"].unique()}
    frame["period_start"] = pd.to_datetime([spans[p].start for p in frame["period"]])
    frame["period_end"] = pd.to_datetime([spans[p].end for p in frame["period"]])
    frame["fiscal_year"] = [spans[p].fiscal_year for p in frame["period"]]
    return _order(frame, "counts")


def table_frame(table: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    """Build a frame for ``table`` from records (missing optional columns become null)."""
    if not records:
        return schemas.empty(table)
    return _order(pd.DataFrame.from_records(records), table)


def _order(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    cols = schemas.columns(table)
    for col in cols:
        if col not in frame.columns:
            frame[col] = None
    return frame[cols]
