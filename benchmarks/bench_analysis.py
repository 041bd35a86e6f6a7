"""Benchmark: the library's case-level statistics against hand-written DuckDB SQL, same file.

For each size (default 10 million and 100 million synthetic case records, all SYNTHETIC) the
script writes the records to one Parquet file in chunks of 1 million (in a child process, so
generation does not count towards memory), then times, each from the Parquet file (all reading
included):

1. the share of medical cases by state with Wilson intervals
   (``analysis.stats.shares.shares_from_cases(path, ...)``),
2. Kaplan-Meier by state, pending cases censored at ``as_of``: the compact table, the curves
   and the median with its interval (``analysis.stats.timing``),

against the same results from hand-written DuckDB SQL (Wilson limits and the Kaplan-Meier
median in SQL). It checks the two agree, prints each time, the ratio (ours / hand-written)
and the peak resident memory of the process that ran both (``resource.getrusage``), and says
whether the targets of issue 15 hold: ratio at most 1.2; peak under 1 GB at 10 million and
under 3 GB at 100 million rows.

Each step runs ``--repeat`` times (default 2); the best time is kept, for both sides.

Usage::

    .venv/bin/python benchmarks/bench_analysis.py                       # 10M and 100M rows
    .venv/bin/python benchmarks/bench_analysis.py --rows 1000000        # a quick look

This is a script, not a test. Files go to ``benchmarks/output/`` (git-ignored by its own
``.gitignore``) unless ``--out`` says otherwise; a file already there is reused.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

AS_OF = "2024-09-30"
COLUMNS = ["state", "basis", "received_date", "decided_date", "outcome", "source", "synthetic"]
TARGET_RATIO = 1.2
TARGET_MB = {10_000_000: 1024, 100_000_000: 3 * 1024}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def generate(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` synthetic cases to ``path`` in chunks of 1 million (bounded memory)."""
    from analysis.stats import synthetic

    synthetic.write_cases(path, rows, seed=seed, columns=COLUMNS, progress=True, as_of=AS_OF,
                          with_ids=False)


def timed(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


Z = "1.959963984540054"
DUCK_SHARES = f"""
WITH g AS (
  SELECT state, count(*)::DOUBLE AS n,
         sum(CASE WHEN basis = 'medical' THEN 1 ELSE 0 END)::DOUBLE AS k
  FROM read_parquet('{{path}}') GROUP BY state)
SELECT state, k, n, k / n AS estimate,
  ((k / n) + {Z}^2 / (2 * n)) / (1 + {Z}^2 / n)
    - {Z} / (1 + {Z}^2 / n) * sqrt((k / n) * (1 - k / n) / n + {Z}^2 / (4 * n * n)) AS lower,
  ((k / n) + {Z}^2 / (2 * n)) / (1 + {Z}^2 / n)
    + {Z} / (1 + {Z}^2 / n) * sqrt((k / n) * (1 - k / n) / n + {Z}^2 / (4 * n * n)) AS upper
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
SELECT state, min(duration) FILTER (WHERE survival <= 0.5 + 1e-10) AS median_days,
       count(*) AS event_times
FROM s GROUP BY state ORDER BY state
"""


def measure(path: Path, repeat: int, threads: int) -> dict:
    import duckdb
    import numpy as np

    from analysis.stats import compact, shares, timing

    compact.DUCKDB_CONFIG["threads"] = threads
    con = duckdb.connect(config={"threads": threads})
    results = []

    ours, t_ours = timed(lambda: shares.shares_from_cases(
        path, by="state", of={"basis": "medical"}), repeat)
    duck, t_duck = timed(lambda: con.execute(DUCK_SHARES.format(path=path)).df(), repeat)
    mine = ours.set_index("group").loc[duck["state"]]
    assert np.allclose(mine["numerator"], duck["k"]) and np.allclose(mine["lower"],
                                                                     duck["lower"])
    assert ours["label"].eq("SYNTHETIC").all()
    results.append(("medical share by state, Wilson", t_ours, t_duck))

    def km():
        table = timing.survival_table(path, by="state", as_of=AS_OF)
        return timing.kaplan_meier(table), timing.km_quantiles(table, probs=[0.5])

    (curve, med), t_km = timed(km, repeat)
    duck_km, t_dkm = timed(lambda: con.execute(DUCK_KM.format(path=path, as_of=AS_OF)).df(),
                           repeat)
    got = med.set_index("group").loc[duck_km["state"], "days"].to_numpy()
    assert np.array_equal(got, duck_km["median_days"].to_numpy(float)), (got, duck_km)
    results.append(("Kaplan-Meier by state + median CI", t_km, t_dkm))
    return {"results": results, "peak_mb": peak_mb()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 100_000_000],
                    help="numbers of synthetic cases (default: 10 million and 100 million)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=HERE / "output", help="folder for the Parquet")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads, both sides")
    ap.add_argument("--repeat", type=int, default=2, help="runs per step; the best is kept")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    ignore = args.out / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    if args.generate_only or args.measure_only:
        path = args.out / f"synthetic_cases_{args.rows[0]}.parquet"
        if args.generate_only:
            generate(path, args.rows[0], args.seed)
            return 0
        res = measure(path, max(1, args.repeat), args.threads)
        for name, a, b in res["results"]:
            print(f"RESULT\t{name}\t{a}\t{b}")
        print(f"PEAK\t{res['peak_mb']}")
        return 0

    ok = True
    for rows in args.rows:
        path = args.out / f"synthetic_cases_{rows}.parquet"
        print(f"SYNTHETIC benchmark: {rows:,} synthetic case records -> {path}")
        if not path.exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--generate-only", "--rows", str(rows),
                            "--seed", str(args.seed), "--out", str(args.out)], check=True)
            print(f"  generated in {time.perf_counter() - t:.0f} s "
                  f"({path.stat().st_size / 1e6:,.0f} MB)")
        # a fresh process, so the peak memory is that of the measured work alone
        proc = subprocess.run([sys.executable, __file__, "--measure-only", "--rows", str(rows),
                               "--out", str(args.out), "--threads", str(args.threads),
                               "--repeat", str(args.repeat)], check=True, capture_output=True,
                              text=True)
        results, peak = [], 0.0
        for line in proc.stdout.splitlines():
            parts = line.split("\t")
            if parts[0] == "RESULT":
                results.append((parts[1], float(parts[2]), float(parts[3])))
            elif parts[0] == "PEAK":
                peak = float(parts[1])
        print(f"\n  {'work (all reading included)':38s} {'ours (s)':>9s} {'DuckDB SQL (s)':>15s} "
              f"{'ratio':>7s}")
        for name, a, b in results:
            print(f"  {name:38s} {a:9.2f} {b:15.2f} {a / b:7.2f}")
        total_ours = sum(a for _, a, _ in results)
        total_duck = sum(b for _, _, b in results)
        ratio = total_ours / total_duck
        print(f"  {'both':38s} {total_ours:9.2f} {total_duck:15.2f} {ratio:7.2f}")
        limit = TARGET_MB.get(rows)
        print(f"  peak resident memory (ours and the SQL, one process): {peak:,.0f} MB"
              + (f" (target under {limit:,} MB)" if limit else ""))
        met = ratio <= TARGET_RATIO and (limit is None or peak < limit)
        ok &= met
        print(f"  targets (ratio <= {TARGET_RATIO}"
              + (f", peak < {limit:,} MB" if limit else "") + f"): {'met' if met else 'NOT met'}"
              "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
