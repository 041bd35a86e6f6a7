"""Start-up times of the command line and the package, beside a bare ``python -c pass``.

Issue 22 asks for an instant command line: ``parole --help`` and ``parole --version`` well
under half a second, ``parole check`` on a short article under 2 seconds, and every argument
error before the scientific stack is imported. Each command runs ``--repeat`` times (default
5) in a fresh process; the best and the median wall-clock times are printed.

Usage::

    .venv/bin/python benchmarks/bench_startup.py            # after `parole ingest`
    .venv/bin/python benchmarks/bench_startup.py --repeat 10

This is a script, not a test. ``parole check`` needs the processed tables (``parole ingest``);
the article it checks is written to ``benchmarks/output/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLE = ("Parole in place: USCIS received 14,600 applications in FY2021. California "
           "received 10,770 of the 107,646 children released to sponsors in FY2021.\n")


def parole() -> list[str]:
    """The ``parole`` next to this Python, else ``python -m analysis.cli``."""
    script = Path(sys.executable).with_name("parole")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "analysis.cli"]


def commands(article: Path) -> list[tuple[str, list[str], int]]:
    """(label, argv, expected exit status) of every timed command."""
    cmd = parole()
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], 0),
        ("python -c 'import analysis'", [sys.executable, "-c", "import analysis"], 0),
        ("parole --version", [*cmd, "--version"], 0),
        ("parole --help", [*cmd, "--help"], 0),
        ("parole check --help", [*cmd, "check", "--help"], 0),
        ("parole report: mistyped place", [*cmd, "report", "regional_report", "-p",
                                           "geo=Califrnia"], 2),
        ("parole chart: unknown option", [*cmd, "chart", "--no-such-option"], 2),
        ("parole check ARTICLE (2 sentences)", [*cmd, "check", str(article)], None),
    ]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], expected: int | None,
          repeat: int) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU (user + system) seconds of each run, and the last exit status."""
    times, cpu, status = [], [], 0
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), _cpu()
        done = subprocess.run(argv, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - cpu_start)
        status = done.returncode
        if expected is not None and status != expected:
            raise SystemExit(f"{' '.join(argv)}: exit {status}, expected {expected}\n"
                             f"{done.stderr[-500:]}")
    return times, cpu, status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args(argv)
    out = HERE / "output"
    out.mkdir(exist_ok=True)
    article = out / "short_article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    print(f"{'command':<38} {'best (s)':>9} {'median (s)':>11} {'CPU (s)':>8}  exit")
    for label, command, expected in commands(article):
        times, cpu, status = timed(command, expected, args.repeat)
        print(f"{label:<38} {min(times):>9.3f} {statistics.median(times):>11.3f} "
              f"{statistics.median(cpu):>8.3f}  {status}")
    print("wall-clock times grow with the machine's load; CPU time (user + system, median) "
          "is what the command itself costs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
