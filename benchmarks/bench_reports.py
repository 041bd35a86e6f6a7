"""Benchmark: render the 50-state regional batch sequentially and in parallel; print the times.

Not a test. Run after `parole ingest` (or `make report`):

    .venv/bin/python benchmarks/bench_reports.py            # all 50 states and DC
    .venv/bin/python benchmarks/bench_reports.py --states 6  # a quick look

Reports go to a temporary folder, so `reports/` is left alone.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from analysis import config, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=51, help="how many states (default all)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--data-dir", default=str(config.default_data_dir()))
    args = parser.parse_args()
    places = reports.batch_places(all_states=True)[: args.states]
    jobs = [("regional_report", {"geo": place}) for place in places]
    print(f"{len(jobs)} regional reports, {os.cpu_count()} cores, {args.workers} workers")
    times = {}
    for label, workers in (("sequential", 1), ("parallel", args.workers)):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            batch = reports.render_batch(jobs, data_dir=args.data_dir, reports_dir=out,
                                         workers=workers, progress=False)
            times[label] = time.perf_counter() - start
        failed = f", {len(batch.failed)} failed" if batch.failed else ""
        print(f"{label:>10}: {times[label]:7.1f} s  ({times[label] / len(jobs):.2f} s per "
              f"report{failed})")
    print(f"  speed-up: {times['sequential'] / times['parallel']:.2f}x (target 1.7x on 2 cores)")


if __name__ == "__main__":
    main()
