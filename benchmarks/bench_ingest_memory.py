"""Peak memory of `parole ingest` on a large case-records CSV (issue 16: under 1 GB for 200 MB).

Writes a SYNTHETIC case-records CSV of about ``--megabytes`` MB into a temporary data folder,
registers it, and runs ``parole ingest`` in a child process whose peak resident memory is read
from the operating system (``getrusage``). The child's address space is capped (``--cap-gb``)
so a reader that loads everything fails fast instead of exhausting the machine.

    PYTHONPATH=src python benchmarks/bench_ingest_memory.py --megabytes 200
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("case_id,received_date,decided_date,outcome,basis,form,category,age_years,state,"
          "county_fips,office,synthetic\n")


def write_cases(path: Path, megabytes: float) -> int:
    """SYNTHETIC rows until the file reaches ``megabytes``; returns the number of rows."""
    rng = random.Random(16)
    target = int(megabytes * 1024 * 1024)
    states = ["CA", "TX", "FL", "NY", "IL", "AZ", "NJ", "WA"]
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        size = len(HEADER)
        block = []
        while size < target:
            rows += 1
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            outcome = rng.choice(["approved", "denied", "pending"])
            decided = "" if outcome == "pending" else f"2024-{month:02d}-{day:02d}"
            line = (f"SYN-{rows:09d},2023-{month:02d}-{day:02d},{decided},{outcome},medical,"
                    f"I-131,humanitarian-parole,{rng.randint(0, 90)},{rng.choice(states)},,"
                    f"NSC,true\n")
            block.append(line)
            size += len(line)
            if len(block) == 10_000:
                out.write("".join(block))
                block = []
        out.write("".join(block))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=200)
    parser.add_argument("--cap-gb", type=float, default=4.0,
                        help="address-space cap of the ingest process (default 4 GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parole-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        csv_path = Path(tmp) / "cases_synthetic.csv"
        rows = write_cases(csv_path, args.megabytes)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "ignore",
               "PAROLE_LIMIT_MAX_BYTES": str(2 * csv_path.stat().st_size),
               "PAROLE_LIMIT_MAX_ROWS": str(2 * rows)}
        subprocess.run([sys.executable, "-m", "analysis.cli", "add", str(csv_path),
                        "--source", "case-records", "--data-dir", str(data)], env=env,
                       check=True, capture_output=True)
        cap = int(args.cap_gb * 1024 ** 3)

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "analysis.cli", "ingest", "-q",
                               "--data-dir", str(data)], env=env, preexec_fn=limit,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"case CSV: {size_mb:,.0f} MB, {rows:,} rows (SYNTHETIC)")
        print(f"parole ingest: exit {done.returncode} in {seconds:,.1f} s; peak resident "
              f"memory {peak_mb:,.0f} MB (target: under 1,024 MB; cap {args.cap_gb:g} GB)")
        if done.returncode:
            print("stderr:", done.stderr.strip().splitlines()[-1:] or "")
        return 0 if done.returncode == 0 and peak_mb < 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
