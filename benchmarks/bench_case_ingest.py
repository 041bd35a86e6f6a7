"""Benchmark: case-record ingestion and whole-process case statistics against DuckDB (issue 24).

Writes a SYNTHETIC case-records CSV of ``--rows`` rows in the template layout (12 columns, as
``bench_ingest_memory.py``; about 1 in 1,000 rows has a problem and 1 in 2,000 repeats an
earlier case id), then measures, each in a fresh process (wall time including start-up and
imports; peak resident memory from ``getrusage`` of the child):

1. **ingest**: ``case_records.ingest_large`` (the adapter's set-based checks on DuckDB,
   de-duplication, partitions by fiscal year, the rejects file) against one hand-written
   DuckDB script doing the same checks, de-duplication and partitioned write on the same file
   (:data:`DUCK_INGEST`);
2. **statistics**: a process that imports the library and computes the share of medical cases
   by state (Wilson) and Kaplan-Meier medians by state from the ingested partitions, against a
   process that runs the same two hand-written DuckDB queries (``bench_analysis.py``'s SQL).

Targets (issue 24): ingest within 1.5x of DuckDB with peak memory under 1 GB at 10 million
rows; whole-process statistics within 1.3x. Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_case_ingest.py --rows 1000000
    PYTHONPATH=src .venv/bin/python benchmarks/bench_case_ingest.py --rows 10000000

Files go to ``benchmarks/output/`` (git-ignored) unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
AS_OF = "2024-09-30"

GENERATE = """
COPY (
  SELECT 'SYN-' || lpad(CAST(CASE WHEN i % 2000 = 1999 THEN i - 1000 ELSE i END AS VARCHAR),
                        9, '0') AS case_id,
    strftime(DATE '2020-10-01' + CAST(i * 7919 % 1460 AS INTEGER), '%Y-%m-%d') AS received_date,
    CASE WHEN i % 3 = 0 THEN ''
         ELSE strftime(DATE '2020-10-01' + CAST(i * 7919 % 1460 AS INTEGER)
                       + CAST(5 + i * 31 % 400 AS INTEGER), '%Y-%m-%d') END AS decided_date,
    CASE WHEN i % 1000 = 7 THEN 'maybe' WHEN i % 3 = 0 THEN 'pending'
         WHEN i % 3 = 1 THEN 'approved' ELSE 'denied' END AS outcome,
    CASE WHEN i % 5 = 0 THEN 'family-reunification' ELSE 'medical' END AS basis,
    'I-131' AS form, 'humanitarian-parole' AS category,
    CASE WHEN i % 1000 = 11 THEN '130' ELSE CAST(i % 90 AS VARCHAR) END AS age_years,
    ['CA', 'TX', 'FL', 'NY', 'IL', 'AZ', 'NJ', 'WA'][1 + i % 8] AS state,
    '' AS county_fips, 'NSC' AS office, 'true' AS synthetic
  FROM range({rows}) t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""

#: the same checks, de-duplication and partitioned write, hand-written for the template layout
DUCK_INGEST = """
import sys, duckdb
path, out, tmp = sys.argv[1:4]
con = duckdb.connect(tmp + '/b.duckdb', config={{'memory_limit': '500MB',
                     'temp_directory': tmp + '/spill', 'threads': {threads}}})
con.execute('SET enable_progress_bar = false')
con.execute(f'''CREATE TABLE raw AS SELECT row_number() OVER () AS ord, *
  FROM read_csv('{{path}}', header=true, all_varchar=true)''')
con.execute('''CREATE TABLE chk AS SELECT *, NULLIF(concat_ws('; ',
  CASE WHEN case_id IS NULL THEN 'empty case_id' END,
  CASE WHEN received_date IS NOT NULL AND r IS NULL THEN 'received_date not a date' END,
  CASE WHEN decided_date IS NOT NULL AND d IS NULL THEN 'decided_date not a date' END,
  CASE WHEN r IS NULL THEN 'received_date is empty' END,
  CASE WHEN o IS NULL THEN 'unknown outcome' END,
  CASE WHEN d < r THEN 'decided before received' END,
  CASE WHEN o = 'pending' AND d IS NOT NULL THEN 'pending with date' END,
  CASE WHEN o <> 'pending' AND decided_date IS NULL THEN 'no decided_date' END,
  CASE WHEN age_years IS NOT NULL AND a IS NULL THEN 'age not a number'
       WHEN NOT a BETWEEN 0 AND 120 THEN 'impossible age' END,
  CASE WHEN lower(synthetic) NOT IN ('true','1','yes','y','t','false','0','no','n','f')
       THEN 'synthetic not true or false' END), '') AS why
  FROM (SELECT *, CAST(coalesce(try_strptime(received_date, ['%Y-%m-%d', '%m/%d/%Y']),
          NULL) AS DATE) AS r,
        CAST(try_strptime(decided_date, ['%Y-%m-%d', '%m/%d/%Y']) AS DATE) AS d,
        TRY_CAST(age_years AS DOUBLE) AS a,
        CASE lower(coalesce(outcome, '')) WHEN 'approved' THEN 'approved'
          WHEN 'denied' THEN 'denied' WHEN 'pending' THEN 'pending' WHEN '' THEN 'pending'
          WHEN 'withdrawn' THEN 'withdrawn' END AS o FROM raw) t''')
con.execute('''CREATE TABLE dup AS SELECT case_id, min(ord) FILTER (WHERE why IS NULL) AS f
  FROM chk GROUP BY case_id HAVING count(*) > 1''')
con.execute('''CREATE VIEW fin AS SELECT c.*, coalesce(c.why, CASE WHEN d.f < c.ord
  THEN 'repeats line ' || (d.f + 1) END) AS w FROM chk c LEFT JOIN dup d USING (case_id)''')
con.execute(f'''COPY (SELECT case_id, 'synthetic' AS source, form, category, basis,
  CAST(r AS TIMESTAMP) AS received_date, CAST(d AS TIMESTAMP) AS decided_date, o AS outcome,
  a AS age_years, state, NULL::VARCHAR AS county_fips, office, TRUE AS synthetic,
  'bench.csv' AS source_file, 'line ' || (ord + 1) AS source_locator,
  'SYNTHETIC benchmark' AS citation,
  year(r) + CASE WHEN month(r) >= 10 THEN 1 ELSE 0 END AS fiscal_year
  FROM fin WHERE w IS NULL) TO '{{out}}' (FORMAT parquet, PARTITION_BY (fiscal_year))''')
con.execute(f'''COPY (SELECT 'line ' || (ord + 1) AS locator, w AS reason FROM fin
  WHERE w IS NOT NULL ORDER BY ord) TO '{{out}}_rejected.csv' (HEADER)''')
"""

OURS_INGEST = """
import sys
from pathlib import Path
from analysis.ingest.sources import case_records
rep = case_records.ingest_large(Path(sys.argv[1]), Path(sys.argv[2]), source_file='bench.csv',
                                citation='SYNTHETIC benchmark', progress=False)
print('ROWS', rep['rows']['cases'], rep['rejected_total'])
"""

OURS_STATS = """
import sys
from analysis.stats import compact, shares, timing
compact.DUCKDB_CONFIG['threads'] = {threads}
path = sys.argv[1]
s = shares.shares_from_cases(path, by='state', of={{'basis': 'medical'}})
t = timing.survival_table(path, by='state', as_of='{as_of}')
m = timing.km_quantiles(t, probs=[0.5])
print('MEDIANS', ','.join(str(int(x)) for x in m['days']))
"""


def child(code: str, *args: str) -> tuple[float, float, str]:
    """Run ``code`` in a fresh Python; wall seconds, peak resident MB of that child (from
    ``wait4``), its stdout."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"child failed:\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def duck_stats_code(threads: int) -> str:
    sys.path.insert(0, str(HERE))
    from bench_analysis import DUCK_KM, DUCK_SHARES

    glob = "{glob}"
    return (f"import sys, duckdb\ncon = duckdb.connect(config={{'threads': {threads}}})\n"
            f"glob = sys.argv[1]\n"
            f"con.execute('''{DUCK_SHARES}'''.format(path=glob)).df()\n"
            f"m = con.execute('''{DUCK_KM}'''.format(path=glob, as_of='{AS_OF}')).df()\n"
            "print('MEDIANS', ','.join(str(int(x)) for x in m['median_days']))\n"
            ).replace(glob, "{path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=HERE / "output")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ".gitignore").write_text("*\n")
    csv_path = args.out / f"synthetic_case_records_{args.rows}.csv"
    if not csv_path.exists():
        import duckdb

        duckdb.connect().execute(GENERATE.format(rows=args.rows, path=csv_path))
    size = csv_path.stat().st_size / 1e6
    print(f"SYNTHETIC case-records CSV: {args.rows:,} rows, {size:,.0f} MB ({csv_path})")
    work = args.out / f"ingest_{args.rows}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "duck_tmp").mkdir(parents=True)
    t_duck, m_duck, _ = child(DUCK_INGEST.format(threads=args.threads), str(csv_path),
                              str(work / "duck_cases"), str(work / "duck_tmp"))
    t_ours, m_ours, out = child(OURS_INGEST, str(csv_path), str(work / "cases"))
    rows, rejected = (int(x) for x in out.split('ROWS')[-1].split()[:2])
    print(f"  ingest, ours:       {t_ours:8.1f} s  {args.rows / t_ours:12,.0f} rows/s  "
          f"peak {m_ours:7,.0f} MB  ({rows:,} rows kept, {rejected:,} rejected)")
    print(f"  ingest, DuckDB SQL: {t_duck:8.1f} s  {args.rows / t_duck:12,.0f} rows/s  "
          f"peak {m_duck:7,.0f} MB")
    ratio = t_ours / t_duck
    print(f"  ratio {ratio:.2f} (target <= 1.5); peak {m_ours:,.0f} MB (target < 1,024 MB)")
    folder = str(work / "cases")
    glob = str(work / "cases" / "**" / "*.parquet")
    s_duck, _, o_duck = child(duck_stats_code(args.threads), glob)
    s_ours, _, o_ours = child(OURS_STATS.format(threads=args.threads, as_of=AS_OF), folder)
    same = o_duck.strip() == o_ours.strip()
    print(f"  statistics (whole process, start-up included): ours {s_ours:.2f} s, DuckDB SQL "
          f"{s_duck:.2f} s, ratio {s_ours / s_duck:.2f} (target <= 1.3); medians agree: {same}")
    ok = ratio <= 1.5 and m_ours < 1024 and s_ours / s_duck <= 1.3 and same
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
