"""Seeded synthetic case records, and the SYNTHETIC label every result built on them carries.

The generator makes *invented* records in the ``cases`` contract (see
:mod:`analysis.contract.schemas`) for tests, tutorials and benchmarks. Nothing in them is a
real figure. Every record has
``synthetic = True`` and ``source = "synthetic"``.

Labelling mechanism (one, used everywhere)
------------------------------------------
Every table that :mod:`analysis.stats.shares`, :mod:`analysis.stats.timing` and
:mod:`analysis.stats.trends` return carries

* a boolean column ``synthetic`` (True on every row when any input row was synthetic),
* a text column ``label``: ``"SYNTHETIC"`` or ``""``,
* ``df.attrs["label"]`` with the same text.

:func:`is_synthetic` tells whether a frame is synthetic (by its ``synthetic`` column, a
``source`` of ``"synthetic"``, or the ``label`` attribute); :func:`mark` applies the label;
:func:`title` prefixes chart titles with ``SYNTHETIC:``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SOURCE = "synthetic"
LABEL = "SYNTHETIC"

#: Invented relative weights for where synthetic cases live (not real shares).
STATES: dict[str, float] = {
    "FL": 0.22, "TX": 0.14, "CA": 0.12, "NY": 0.10, "NJ": 0.06, "IL": 0.05, "MA": 0.04,
    "GA": 0.04, "PA": 0.04, "WA": 0.03, "AZ": 0.03, "VA": 0.03, "MD": 0.03, "NC": 0.03,
    "OH": 0.02, "CO": 0.02,
}
#: Invented state -> office assignment.
OFFICES: dict[str, str] = {
    "FL": "MIA", "TX": "HOU", "CA": "LOS", "NY": "NYC", "NJ": "NEW", "IL": "CHI", "MA": "BOS",
    "GA": "ATL", "PA": "PHI", "WA": "SEA", "AZ": "PHO", "VA": "WAS", "MD": "BAL", "NC": "CLT",
    "OH": "CLE", "CO": "DEN",
}
#: basis -> (weight, approval probability, median days to decision); invented.
BASES: dict[str, tuple[float, float, float]] = {
    "medical": (0.20, 0.55, 90.0),
    "family-reunification": (0.35, 0.35, 200.0),
    "humanitarian-other": (0.30, 0.25, 240.0),
    "legal-proceedings": (0.10, 0.45, 150.0),
    "public-interest": (0.05, 0.40, 180.0),
}
WITHDRAWN_SHARE = 0.04


def generate_cases(n: int, *, seed: int = 42, start: str = "2020-10-01",
                   as_of: str = "2024-09-30", annual_growth: float = 0.10,
                   duration_sigma: float = 0.9, states: Sequence[str] | None = None,
                   with_ids: bool = True) -> pd.DataFrame:
    """``n`` invented case records in the ``cases`` contract, reproducible from ``seed``.

    Receipts fall between ``start`` and ``as_of`` with an intensity growing by
    ``annual_growth`` per year (log scale: 0.10 is about +10.5% a year), so trend estimates can
    be checked against a known rate. Days to decision are log-normal (right-skewed) with a
    median that depends on the basis and ``duration_sigma`` as the log-scale spread; cases
    whose decision would fall after ``as_of`` are pending (decided_date empty), i.e.
    right-censored. ``states`` limits the states used (weights renormalised).

    >>> cases = generate_cases(100, seed=1)
    >>> len(cases), bool(cases["synthetic"].all())
    (100, True)
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(as_of)
    span = (t1 - t0).days
    if span <= 0:
        raise ValueError("start must be before as_of")
    years = span / 365.25

    # receipts: inverse-CDF sampling from an exponential intensity exp(g * t)
    u = rng.random(n)
    if abs(annual_growth) < 1e-12:
        t_years = u * years
    else:
        g = annual_growth
        t_years = np.log1p(u * np.expm1(g * years)) / g
    received_days = np.minimum(np.floor(t_years * 365.25).astype(np.int64), span)

    names = list(states) if states else list(STATES)
    w = np.array([STATES.get(s, 0.02) for s in names], dtype=float)
    state_idx = rng.choice(len(names), size=n, p=w / w.sum())
    basis_names = list(BASES)
    bw = np.array([BASES[b][0] for b in basis_names])
    basis_idx = rng.choice(len(basis_names), size=n, p=bw / bw.sum())
    approve_p = np.array([BASES[b][1] for b in basis_names])[basis_idx]
    median = np.array([BASES[b][2] for b in basis_names])[basis_idx]
    # a state effect on waits, invented: later states in the list wait longer
    median = median * (1.0 + 0.03 * state_idx)
    duration = np.floor(median * np.exp(duration_sigma * rng.standard_normal(n))).astype(np.int64)
    draw = rng.random(n)
    outcome_idx = np.where(draw < WITHDRAWN_SHARE, 2,
                           np.where(draw < WITHDRAWN_SHARE + (1 - WITHDRAWN_SHARE) * approve_p,
                                    0, 1))
    decided_days = received_days + duration
    pending = decided_days > span
    outcome_idx = np.where(pending, 3, outcome_idx)
    outcomes = np.array(["approved", "denied", "withdrawn", "pending"], dtype=object)

    epoch = t0.to_datetime64().astype("datetime64[D]")
    received = (epoch + received_days.astype("timedelta64[D]")).astype("datetime64[ns]")
    decided = (epoch + decided_days.astype("timedelta64[D]")).astype("datetime64[ns]")
    decided[pending] = np.datetime64("NaT")
    age = np.round(np.clip(rng.gamma(4.0, 9.0, n), 0, 99), 0)
    state_arr = np.array(names, dtype=object)[state_idx]
    office_arr = np.array([OFFICES.get(s, "OTH") for s in names], dtype=object)[state_idx]

    frame = pd.DataFrame({
        "case_id": (pd.Series(np.arange(1, n + 1)).map("SYN-{:08d}".format) if with_ids
                    else pd.Series(np.arange(1, n + 1)).astype(str)),
        "source": SOURCE,
        "form": "I-131",
        "category": "humanitarian-parole",
        "basis": pd.Categorical.from_codes(basis_idx, basis_names),
        "received_date": received,
        "decided_date": decided,
        "outcome": pd.Categorical.from_codes(outcome_idx, list(outcomes)),
        "age_years": age,
        "state": state_arr,
        "county_fips": None,
        "office": office_arr,
        "synthetic": True,
    })
    for col in ("basis", "outcome"):
        frame[col] = frame[col].astype(str)
    frame.attrs["label"] = LABEL
    return frame


def is_synthetic(df: pd.DataFrame) -> bool:
    """True when any row of ``df`` is synthetic (column ``synthetic``, ``source`` equal to
    ``"synthetic"``, or the ``label`` attribute set to ``SYNTHETIC``)."""
    if df.attrs.get("label") == LABEL:
        return True
    if "synthetic" in df.columns and len(df) and bool(df["synthetic"].fillna(False).any()):
        return True
    return "source" in df.columns and len(df) > 0 and bool(df["source"].eq(SOURCE).any())


def mark(out: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    """Add the ``synthetic`` and ``label`` columns and the ``label`` attribute to ``out``."""
    out["synthetic"] = bool(synthetic)
    out["label"] = LABEL if synthetic else ""
    out.attrs["label"] = LABEL if synthetic else ""
    return out


def title(text: str, df: pd.DataFrame) -> str:
    """A chart title, prefixed ``SYNTHETIC:`` when ``df`` is synthetic."""
    return f"{LABEL}: {text}" if is_synthetic(df) else text


def write_cases(path, n: int, *, seed: int = 42, chunk: int = 1_000_000,
                columns: Sequence[str] | None = None, progress: bool = False,
                **options) -> None:
    """Write ``n`` synthetic cases to one Parquet file at ``path`` in chunks of ``chunk``
    rows (memory bounded by one chunk; chunk ``i`` uses seed ``seed + i``). Dates are stored as
    microsecond timestamps, which DuckDB, pandas and Spark all read. ``columns`` keeps only
    those columns; ``options`` go to :func:`generate_cases`. The file appears only when
    complete."""
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    writer = None
    done = i = 0
    try:
        while done < n or writer is None:
            size = min(chunk, n - done)
            df = generate_cases(size, seed=seed + i, **options)
            table = pa.Table.from_pandas(df[list(columns)] if columns else df,
                                         preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, coerce_timestamps="us",
                                          allow_truncated_timestamps=True)
            writer.write_table(table)
            done += size
            i += 1
            if progress:
                print(f"\r  generating: {done:,} / {n:,}", end="", flush=True)
        writer.close()
        if progress:
            print()
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


#: Invented areas of responsibility and facility states for synthetic detention stays.
STAY_AREAS: dict[str, tuple[str, float]] = {
    "Synthetic AOR North": ("NY", 0.25), "Synthetic AOR South": ("TX", 0.35),
    "Synthetic AOR West": ("CA", 0.25), "Synthetic AOR East": ("GA", 0.15),
}
#: how a synthetic stay ends: (outcome, basis, weight, median days); invented
STAY_ENDINGS: tuple[tuple[str, str | None, float, float], ...] = (
    ("approved", "paroled", 0.10, 20.0), ("approved", "humanitarian", 0.05, 30.0),
    ("removed", None, 0.40, 45.0), ("bonded-out", None, 0.20, 25.0),
    ("recognizance", None, 0.10, 15.0), ("transferred", None, 0.10, 10.0),
    ("other", None, 0.05, 35.0),
)


def generate_stays(n: int, *, seed: int = 7, start: str = "2022-10-01",
                   as_of: str = "2024-09-30") -> pd.DataFrame:
    """``n`` invented detention stays in the ``cases`` contract (SYNTHETIC), shaped like a
    FOIA stays extract: book-in as ``received_date``, book-out as ``decided_date``, the
    release reason as ``outcome`` (parole subtypes as ``basis``), area of responsibility and
    facility state as places of detention. Stays still open at ``as_of`` are pending."""
    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(as_of)
    span = (t1 - t0).days
    areas = list(STAY_AREAS)
    w = np.array([STAY_AREAS[a][1] for a in areas])
    area_idx = rng.choice(len(areas), size=n, p=w / w.sum())
    ew = np.array([e[2] for e in STAY_ENDINGS])
    end_idx = rng.choice(len(STAY_ENDINGS), size=n, p=ew / ew.sum())
    median = np.array([e[3] for e in STAY_ENDINGS])[end_idx] * (1 + 0.2 * area_idx)
    received = rng.integers(0, span + 1, n)
    length = np.floor(median * np.exp(0.8 * rng.standard_normal(n))).astype(np.int64)
    decided = received + length
    open_ = decided > span
    epoch = t0.to_datetime64().astype("datetime64[D]")
    outcome = np.array([e[0] for e in STAY_ENDINGS], dtype=object)[end_idx]
    basis = np.array([e[1] for e in STAY_ENDINGS], dtype=object)[end_idx]
    outcome[open_] = "pending"
    basis[open_] = None
    dec = (epoch + decided.astype("timedelta64[D]")).astype("datetime64[ns]")
    dec[open_] = np.datetime64("NaT")
    frame = pd.DataFrame({
        "case_id": pd.Series(np.arange(1, n + 1)).map("SYN-STAY-{:08d}".format),
        "source": SOURCE, "form": None, "category": "detention-stay", "basis": basis,
        "received_date": (epoch + received.astype("timedelta64[D]")).astype("datetime64[ns]"),
        "decided_date": dec, "outcome": outcome, "age_years": np.nan, "state": None,
        "county_fips": None, "office": None,
        "area_of_responsibility": np.array(areas, dtype=object)[area_idx],
        "facility_state": np.array([STAY_AREAS[a][0] for a in areas], dtype=object)[area_idx],
        "synthetic": True,
    })
    frame.attrs["label"] = LABEL
    return frame
