"""Benchmark: the 50-state regional batch (`parole report regional_report --all-states -j 2`),
before and after warm kernels, in one run; prints both times and the speed-up.

Not a test. Run after `parole ingest` (or `make report`):

    .venv/bin/python benchmarks/bench_reports.py            # all 50 states and DC
    .venv/bin/python benchmarks/bench_reports.py --states 6  # a quick look

"before" starts a new kernel for every report through papermill's standard engine (how the
batch ran until warm kernels); "after" is the default: one warm kernel per worker, papermill
running each notebook in it through the `parole-warm` engine. Both use the same workers and
write to temporary folders, so `reports/` is left alone. Target: at least 2x on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

from analysis import config
from analysis.reports import render as reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=51, help="how many states (default all)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--data-dir", default=str(config.default_data_dir()))
    args = parser.parse_args()
    places = reports.batch_places(all_states=True)[: args.states]
    jobs = [("regional_report", {"geo": place}) for place in places]
    load = os.getloadavg()[0]
    print(f"{len(jobs)} regional reports, {args.workers} workers; {os.cpu_count()} cores "
          f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
          f"load average {load:.1f} at start")
    times = {}
    for label, fresh in (("before", True), ("after", False)):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            batch = reports.render_batch(jobs, data_dir=args.data_dir, reports_dir=out,
                                         workers=args.workers, progress=False,
                                         fresh_kernels=fresh)
            times[label] = time.perf_counter() - start
        failed = f", {len(batch.failed)} FAILED" if batch.failed else ""
        how = "a new kernel per report" if fresh else "one warm kernel per worker"
        print(f"{label:>7}: {times[label]:7.1f} s  ({times[label] / len(jobs):.2f} s per report; "
              f"{how}{failed})")
        for job in batch.failed[:3]:
            print(f"         {job[2]}")
    print(f"speed-up: {times['before'] / times['after']:.2f}x (target: at least 2x)")


if __name__ == "__main__":
    main()
