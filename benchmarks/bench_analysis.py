"""Benchmark: our analysis functions against DuckDB on the same Parquet file, in one run.

Writes N synthetic case records (default 10 million; all SYNTHETIC) to Parquet, then times

1. reading the needed columns with pandas,
2. the share of medical cases by state with Wilson intervals (``analysis.shares``),
3. Kaplan-Meier by state: curve and median with its interval (``analysis.timing``),

and the same aggregations done by DuckDB on the Parquet file. Prints each time, the ratio
(ours / DuckDB) and the peak resident memory of the process (``resource.getrusage``).
Target from issue 5: ours within 1.5x of DuckDB, under 8 GB peak.

Each step runs ``--repeat`` times (default 2) and the best time is kept, for both engines.
Text columns are read dictionary-encoded (``read_dictionary``), as pandas categoricals.

Usage::

    .venv/bin/python benchmarks/bench_analysis.py --rows 1000000
    .venv/bin/python benchmarks/bench_analysis.py            # 10 million rows

This is a script, not a test. Output goes to ``benchmarks/output/`` (git-ignored by its own
``.gitignore``) unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from analysis import shares, synthetic, timing  # noqa: E402

COLUMNS = ["state", "basis", "received_date", "decided_date", "outcome", "source", "synthetic"]
AS_OF = "2024-09-30"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def write(path: Path, rows: int, seed: int, chunk: int = 1_000_000) -> float:
    t = time.perf_counter()
    writer = None
    done = 0
    i = 0
    while done < rows:
        n = min(chunk, rows - done)
        df = synthetic.generate_cases(n, seed=seed + i, as_of=AS_OF, with_ids=False)[COLUMNS]
        table = pa.Table.from_pandas(df, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        done += n
        i += 1
    if writer is not None:
        writer.close()
    return time.perf_counter() - t


REPEAT = 2


def timed(label: str, fn):
    """Run ``fn`` REPEAT times; return its result and the best time (first runs pay for
    imports and caches, for both engines alike)."""
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


DUCK_SHARES = """
WITH g AS (
  SELECT state, count(*)::DOUBLE AS n,
         sum(CASE WHEN basis = 'medical' THEN 1 ELSE 0 END)::DOUBLE AS k
  FROM read_parquet('{path}') GROUP BY state)
SELECT state, k, n, k / n AS estimate,
  ((k / n) + 1.959963984540054^2 / (2 * n)) / (1 + 1.959963984540054^2 / n)
    - 1.959963984540054 / (1 + 1.959963984540054^2 / n)
      * sqrt((k / n) * (1 - k / n) / n + 1.959963984540054^2 / (4 * n * n)) AS lower,
  ((k / n) + 1.959963984540054^2 / (2 * n)) / (1 + 1.959963984540054^2 / n)
    + 1.959963984540054 / (1 + 1.959963984540054^2 / n)
      * sqrt((k / n) * (1 - k / n) / n + 1.959963984540054^2 / (4 * n * n)) AS upper
FROM g ORDER BY state
"""

DUCK_KM = """
WITH d AS (
  SELECT state,
    CASE WHEN decided_date IS NOT NULL AND decided_date <= DATE '{as_of}'
         THEN date_diff('day', received_date, decided_date)
         ELSE date_diff('day', received_date, DATE '{as_of}') END AS duration,
    CASE WHEN decided_date IS NOT NULL AND decided_date <= DATE '{as_of}'
         AND outcome IN ('approved', 'denied') THEN 1 ELSE 0 END AS event
  FROM read_parquet('{path}')),
t AS (SELECT state, duration, sum(event) AS events, count(*) AS total
      FROM d GROUP BY state, duration),
r AS (SELECT state, duration, events,
        sum(total) OVER (PARTITION BY state ORDER BY duration DESC
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS at_risk
      FROM t),
s AS (SELECT state, duration, events, at_risk,
        exp(sum(CASE WHEN events > 0 THEN ln(1 - events / at_risk) ELSE 0 END)
            OVER (PARTITION BY state ORDER BY duration
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS survival
      FROM r WHERE events > 0)
SELECT state, min(duration) FILTER (WHERE survival < 0.5) AS median_days, count(*) AS event_times
FROM s GROUP BY state ORDER BY state
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="number of synthetic cases")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=HERE / "output", help="folder for the Parquet")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per step; the best is kept")
    args = ap.parse_args(argv)
    global REPEAT
    REPEAT = max(1, args.repeat)

    import duckdb
    import pandas as pd

    args.out.mkdir(parents=True, exist_ok=True)
    ignore = args.out / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = args.out / f"synthetic_cases_{args.rows}.parquet"
    print(f"SYNTHETIC benchmark: {args.rows:,} synthetic case records -> {path}")
    if not path.exists():
        print(f"  generate and write Parquet: {write(path, args.rows, args.seed):.2f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")

    results = []
    # only the needed columns; text columns stay dictionary-encoded (pandas categoricals)
    df, t_read = timed("read", lambda: pd.read_parquet(
        path, columns=COLUMNS, read_dictionary=["state", "basis", "outcome", "source"]))
    print(f"  pandas read ({len(df):,} rows, {len(COLUMNS)} columns): {t_read:.2f} s, "
          f"peak {peak_mb():,.0f} MB")

    ours, t_ours = timed("shares", lambda: shares.shares_from_cases(
        df, by="state", of={"basis": "medical"}))
    duck, t_duck = timed("duck shares", lambda: con.execute(
        DUCK_SHARES.format(path=path)).df())
    assert np.allclose(ours.set_index("group").loc[duck["state"], "numerator"], duck["k"])
    assert np.allclose(ours.set_index("group").loc[duck["state"], "lower"], duck["lower"])
    results.append(("medical share by state, Wilson", t_ours, t_duck))

    def km():
        table = timing.survival_table(df, by="state", as_of=AS_OF)
        curve = timing.kaplan_meier(table)
        med = timing.km_quantiles(table, probs=[0.5])
        return curve, med

    (curve, med), t_km = timed("km", km)
    duck_km, t_dkm = timed("duck km", lambda: con.execute(
        DUCK_KM.format(path=path, as_of=AS_OF)).df())
    mine = med.set_index("group").loc[duck_km["state"], "days"].to_numpy()
    assert np.array_equal(mine, duck_km["median_days"].to_numpy(float)), (mine, duck_km)
    results.append(("Kaplan-Meier by state + median CI", t_km, t_dkm))

    print(f"\n  {'work':38s} {'ours (s)':>9s} {'DuckDB (s)':>11s} {'ratio':>7s}")
    for name, a, b in results:
        print(f"  {name:38s} {a:9.2f} {b:11.2f} {a / b:7.2f}")
    total_ours = sum(a for _, a, _ in results)
    total_duck = sum(b for _, _, b in results)
    print(f"  {'both, after the read':38s} {total_ours:9.2f} {total_duck:11.2f} "
          f"{total_ours / total_duck:7.2f}")
    print(f"  {'both, including the pandas read':38s} {total_ours + t_read:9.2f} "
          f"{total_duck:11.2f} {(total_ours + t_read) / total_duck:7.2f}")
    print(f"  peak resident memory: {peak_mb():,.0f} MB (SYNTHETIC data)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
