"""Aggregate first: the compact tables every case-level statistic is computed from.

Shares, Kaplan-Meier curves, quantiles, log-rank tests and counts per period need only small
*sufficient* tables, never the records themselves:

=====================  =========================================================  ============
function               columns (one row per ...)                                  used by
=====================  =========================================================  ============
:func:`group_counts`   ``group, n, k`` (group: cases, cases meeting a condition)  shares
:func:`survival_counts` ``group, duration, events, censored`` (group and day)     timing
:func:`period_counts`  ``group, fiscal_year, quarter, count``                     trends
:func:`outcome_counts` ``group, fiscal_year, quarter, outcome, count``            trends
=====================  =========================================================  ============

A query engine computes them where the data lies, reading only the columns a query names and,
with ``where=``, only the rows (and hive partitions) it needs.

Input (``data``)
----------------
* a pandas DataFrame in memory (handed to DuckDB without a copy, or to Spark);
* a Parquet file, or a folder of Parquet files, optionally hive-partitioned
  (``cases/fiscal_year=2024/part-0.parquet``): see :func:`analysis.ingest.sources.case_records.
  write_partitions`.

Engines
-------
``engine="duckdb"`` (embedded, the default) or ``engine="spark"`` (``pip install
'parole-stats[spark]'``; the session comes from ``SparkSession.builder.getOrCreate()``, so a
cluster configured with ``spark-submit``, ``SPARK_REMOTE`` or ``spark-defaults.conf`` is used
as is). ``PAROLE_ENGINE=spark`` in the environment changes the default. The SQL below is
written once; the engines differ only in the two spellings listed in :data:`DIALECTS`.

Group names follow one rule everywhere: the values of the ``by`` columns as text, several
joined with ``" | "``, a missing value as ``"(missing)"``; groups are sorted by value with
missing last.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.contract import periods
from analysis.errors import ParoleError
from analysis.stats.synthetic import LABEL, SOURCE

ENGINES = ("duckdb", "spark")
MISSING = "(missing)"
#: outcomes that end a wait without being a decision (see :mod:`analysis.stats.timing`)
NOT_DECIDED = ("pending",)

GroupBy = str | Sequence[str] | None
Data = pd.DataFrame | str | os.PathLike


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the two things the shared SQL cannot write in common."""

    name: str
    quote: str
    days_between: str  # format string with {start} and {end}: whole days from start to end

    def ident(self, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ParoleError(f"column name {name!r}: use letters, digits and _ only")
        return f"{self.quote}{name}{self.quote}"

    def days(self, start: str, end: str) -> str:
        return self.days_between.format(start=start, end=end)


DIALECTS = {
    "duckdb": Dialect("duckdb", '"', "date_diff('day', {start}, {end})"),
    "spark": Dialect("spark", "`", "datediff({end}, {start})"),
}


#: settings for every DuckDB connection (e.g. ``{"threads": 2, "memory_limit": "2GB"}``)
DUCKDB_CONFIG: dict[str, Any] = {}


def default_engine() -> str:
    """``PAROLE_ENGINE`` from the environment, else ``duckdb``."""
    from analysis import config

    return config.engine()


def _engine(engine: str | None) -> str:
    name = (engine or default_engine()).lower()
    if name not in ENGINES:
        raise ParoleError(f"engine={name!r}: expected one of {', '.join(ENGINES)}")
    return name


# -- sources --------------------------------------------------------------------------------

@dataclass
class Source:
    """Where the case records are: a DataFrame, or Parquet file(s) at ``path``."""

    frame: pd.DataFrame | None
    path: Path | None
    columns: list[str]
    label: str = ""
    #: True every row synthetic, False none, None mixed or unknown (then the query decides)
    synthetic: bool | None = None
    #: the one ``source`` value of every row, when the file statistics show there is one
    single_source: str | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "the cases frame"


def source(data: Data) -> Source:
    """Resolve ``data`` (DataFrame, Parquet file or folder) and read its column names and,
    for Parquet, the column statistics of ``synthetic`` and ``source`` (from the footers and
    the hive folder names; no rows are read)."""
    if isinstance(data, Source):
        return data
    if isinstance(data, pd.DataFrame):
        label = data.attrs.get("label", "")
        return Source(data, None, [str(c) for c in data.columns], label,
                      True if label == LABEL else _frame_hint(data))
    path = Path(data)
    if not path.exists():
        raise ParoleError(f"{path}: no such file or folder")
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise ParoleError(f"{path}: not readable as Parquet ({exc})") from None
    if path.is_dir() and not dataset.files:
        raise ParoleError(f"{path}: the folder holds no Parquet files")
    columns = list(dataset.schema.names)
    synthetic, single = _parquet_hints(dataset.files, columns)
    return Source(None, path, columns, "", synthetic, single)


def _frame_hint(frame: pd.DataFrame) -> bool | None:
    flags = []
    if "synthetic" in frame.columns:
        flags.append(frame["synthetic"].fillna(False).astype(bool).to_numpy())
    if "source" in frame.columns:
        flags.append((frame["source"] == SOURCE).fillna(False).to_numpy(bool))
    if not flags:
        return False
    hit = np.logical_or.reduce(flags)
    return True if hit.all() else (False if not hit.any() else None)


def _parquet_hints(files: Sequence[str], columns: list[str]) -> tuple[bool | None, str | None]:
    """From row-group statistics: whether every, no or some rows are synthetic (None when
    the statistics cannot tell), and the single ``source`` value if there is one."""
    import pyarrow.parquet as pq

    syn_max, syn_all, src_may, src_vals, known = False, True, False, set(), True
    for name in files:
        meta = pq.ParquetFile(name).metadata
        names = [meta.schema.column(j).name for j in range(meta.num_columns)]
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            if group.num_rows == 0:
                continue
            for col in ("synthetic", "source"):
                if col not in names:
                    known &= col not in columns  # else it comes from a partition folder
                    continue
                st = group.column(names.index(col)).statistics
                if st is None or not st.has_min_max:
                    known = False
                elif col == "synthetic":
                    syn_max |= bool(st.max)
                    syn_all &= bool(st.min) and st.null_count == 0
                else:
                    src_vals.update({st.min, st.max} | ({None} if st.null_count else set()))
                    src_may |= st.min <= SOURCE <= st.max
    if not known:
        return None, None
    single = next(iter(src_vals)) if len(src_vals) == 1 else None
    if ("synthetic" in columns and syn_all) or single == SOURCE:
        return True, single
    if not syn_max and not src_may:
        return False, single
    return None, single


def _parquet_glob(path: Path) -> tuple[str, bool]:
    if path.is_dir():
        return str(path / "**" / "*.parquet"), True
    return str(path), False


# -- running one query on one engine --------------------------------------------------------

def run(sql: str, src: Source, engine: str | None = None) -> pd.DataFrame:
    """Run ``sql`` (which reads the view ``cases``) on ``engine``; the result as pandas."""
    name = _engine(engine)
    if name == "spark":
        return _run_spark(sql, src)
    import duckdb

    con = duckdb.connect(config=dict(DUCKDB_CONFIG))
    try:
        if src.frame is not None:
            con.register("cases", src.frame)
        else:
            glob, hive = _parquet_glob(src.path)
            options = ", hive_partitioning = true, union_by_name = true" if hive else ""
            con.execute(f"CREATE VIEW cases AS SELECT * FROM read_parquet({_literal(glob)}"
                        f"{options})")
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise ParoleError(f"{src.name}: query failed ({exc})") from None
    finally:
        con.close()


def spark_session():
    """The active Spark session, or a new one (``SparkSession.builder.getOrCreate()``, with
    the session time zone UTC so dates do not shift). Raises :class:`ParoleError` naming the
    extra to install when pyspark is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParoleError("engine='spark' needs pyspark: pip install 'parole-stats[spark]'"
                          ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    spark = (SparkSession.builder.appName("parole-stats")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _run_spark(sql: str, src: Source) -> pd.DataFrame:
    spark = spark_session()
    with warnings.catch_warnings():
        # pyspark warns about pandas versions and keywords it has not caught up with; the
        # results are checked against DuckDB's in the tests
        warnings.filterwarnings("ignore", module=r"pyspark(\.|$)")
        if src.frame is not None:
            frame = spark.createDataFrame(src.frame)
        else:
            frame = spark.read.option("mergeSchema", "true").parquet(str(src.path))
        frame.createOrReplaceTempView("cases")
        return spark.sql(sql).toPandas()


# -- SQL pieces -----------------------------------------------------------------------------

def _literal(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "NULL"
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(value.item() if hasattr(value, "item") else value)
    if isinstance(value, pd.Timestamp):
        return f"DATE '{value.date()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _in_list(values: Iterable[Any]) -> str:
    return ", ".join(_literal(v) for v in values)


def _by_list(by: GroupBy) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _key_exprs(src: Source, by: GroupBy, d: Dialect) -> list[str]:
    """SQL for each group key, named ``k0, k1, ...``; ``fiscal_year`` is derived from the
    receipt date when the records have no such column."""
    exprs = []
    for i, col in enumerate(_by_list(by)):
        if col in src.columns:
            exprs.append(f"{d.ident(col)} AS k{i}")
        elif col == "fiscal_year" and "received_date" in src.columns:
            date = f"CAST({d.ident('received_date')} AS DATE)"
            exprs.append(f"{periods.fiscal_year_sql(date)} AS k{i}")
        else:
            raise ParoleError(f"cases have no column {col!r}")
    return exprs or ["'all' AS k0"]


def _where(src: Source, where: Mapping[str, Any] | None, d: Dialect,
           extra: Sequence[str] = ()) -> str:
    """``WHERE`` for ``where`` (column -> value or list of values): row and partition pruning
    done by the engine."""
    parts = list(extra)
    for col, want in (where or {}).items():
        if col not in src.columns:
            raise ParoleError(f"cases have no column {col!r} (in where=)")
        values = want if isinstance(want, list | tuple | set | frozenset) else [want]
        parts.append(f"{d.ident(col)} IN ({_in_list(values)})")
    return ("WHERE " + " AND ".join(parts)) if parts else ""


def _synthetic_expr(src: Source, d: Dialect) -> str:
    if src.synthetic is not None:  # known from the statistics: nothing to compute per row
        return "1" if src.synthetic else "0"
    tests = []
    if "synthetic" in src.columns:
        tests.append(f"COALESCE(CAST({d.ident('synthetic')} AS BOOLEAN), FALSE)")
    if "source" in src.columns:
        tests.append(f"COALESCE({d.ident('source')} = {_literal(SOURCE)}, FALSE)")
    if not tests:
        return "0"
    return f"CASE WHEN {' OR '.join(tests)} THEN 1 ELSE 0 END"


def _condition_sql(src: Source, of: Mapping[str, Any], d: Dialect) -> str:
    parts = []
    for col, want in of.items():
        if col not in src.columns:
            raise ParoleError(f"cases have no column {col!r}")
        values = want if isinstance(want, list | tuple | set | frozenset) else [want]
        parts.append(f"{d.ident(col)} = {_literal(values[0])}" if len(values) == 1
                     else f"{d.ident(col)} IN ({_in_list(values)})")
    return " AND ".join(parts) or "TRUE"


def _names(keys: pd.DataFrame) -> pd.Series:
    """Group names from the key columns ``k0, k1, ...`` (the rule in the module docstring),
    built once per distinct key."""
    cols = [c for c in keys.columns if re.fullmatch(r"k\d+", c)]
    if keys.empty:
        return pd.Series([], dtype=object, index=keys.index)
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys[cols]))
    text = [" | ".join(MISSING if v is None or (not isinstance(v, str) and pd.isna(v))
                       else str(v) for v in u) for u in uniques]
    return pd.Series(np.asarray(text, dtype=object)[codes], index=keys.index)


def _sorted_by_keys(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    cols = [c for c in frame.columns if re.fullmatch(r"k\d+", c)]
    frame = frame.sort_values(cols + list(extra), na_position="last", kind="stable")
    frame = frame.assign(group=_names(frame)).drop(columns=cols)
    return frame.reset_index(drop=True)


def _finish(out: pd.DataFrame, src: Source, syn: pd.Series) -> pd.DataFrame:
    synthetic = (src.label == LABEL or src.synthetic is True
                 or bool(pd.to_numeric(syn, errors="coerce").fillna(0).any()))
    out.attrs["label"] = LABEL if synthetic else ""
    return out


def _frame_condition(src: Source, of: Callable | pd.Series) -> Source:
    """A callable or boolean Series condition is evaluated in pandas (it cannot run in an
    engine) and carried as the column ``_of``."""
    if src.frame is None:
        raise ParoleError("a function or Series condition needs the cases as a DataFrame; "
                          "with Parquet files give a mapping such as {'basis': 'medical'}")
    cases = src.frame
    if isinstance(of, pd.Series):
        mask = of.reindex(cases.index).fillna(False).astype(bool)
    else:
        mask = pd.Series(of(cases), index=cases.index).fillna(False).astype(bool)
    frame = cases.assign(_of=mask.to_numpy())
    return Source(frame, None, src.columns + ["_of"], src.label, src.synthetic)


# -- the compact tables ---------------------------------------------------------------------

def group_counts(data: Data, by: GroupBy = None, *,
                 of: Mapping[str, Any] | Callable | pd.Series | None = None,
                 where: Mapping[str, Any] | None = None,
                 engine: str | None = None) -> pd.DataFrame:
    """Per group: ``n`` cases and ``k`` cases meeting ``of`` (all of them without ``of``).

    ``of`` is a mapping ``{column: value or list}`` (run by the engine), or a boolean Series or
    a function of the frame (DataFrame input only). ``attrs["sources"]`` lists the distinct
    ``source`` values (counted in the same pass).
    """
    src = source(data)
    d = DIALECTS[_engine(engine)]
    if of is not None and not isinstance(of, Mapping):
        src = _frame_condition(src, of)
        cond = d.ident("_of")
    else:
        cond = _condition_sql(src, of or {}, d)
    keys = _key_exprs(src, by, d)
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    per_source = "source" in src.columns and src.single_source is None
    syn = _synthetic_expr(src, d)
    extra_cols = ([f"CAST({d.ident('source')} AS STRING) AS src"] if per_source else [])
    sql = (f"SELECT {names}{', src' if per_source else ''}, count(*) AS n, sum(hit) AS k"
           f"{', max(syn) AS syn' if syn not in ('0', '1') else ''} FROM ("
           f"SELECT {', '.join(keys + extra_cols)}, "
           f"CASE WHEN {cond} THEN 1 ELSE 0 END AS hit"
           f"{f', {syn} AS syn' if syn not in ('0', '1') else ''} "
           f"FROM cases {_where(src, where, d)}) t "
           f"GROUP BY {names}{', src' if per_source else ''}")
    raw = run(sql, src, engine)
    if per_source:
        sources = sorted({str(x) for x in raw["src"]
                          if x is not None and not pd.isna(x) and str(x)})
    else:
        sources = [src.single_source] if src.single_source else []
    if "syn" not in raw.columns:
        raw["syn"] = int(bool(src.synthetic))
    keycols = [f"k{i}" for i in range(len(keys))]
    if per_source:
        raw = (raw.groupby(keycols, dropna=False, sort=False, observed=True)
               .agg(n=("n", "sum"), k=("k", "sum"), syn=("syn", "max")).reset_index())
    out = _sorted_by_keys(raw)
    syn = out.pop("syn")
    out = out[["group", "n", "k"]].astype({"n": "int64", "k": "int64"})
    out.attrs["sources"] = sources
    return _finish(out, src, syn)


def _as_of_default(src: Source, where, engine) -> pd.Timestamp:
    d = DIALECTS[_engine(engine)]
    r, dd = d.ident("received_date"), d.ident("decided_date")
    got = run(f"SELECT count(*) AS n, max(CAST({r} AS DATE)) AS r, "
              f"max(CAST({dd} AS DATE)) AS d FROM cases {_where(src, where, d)}", src, engine)
    row = got.iloc[0]
    latest = [pd.Timestamp(x) for x in (row["r"], row["d"]) if x is not None and pd.notna(x)]
    if int(row["n"]) == 0 or not latest:
        raise ParoleError("no cases: cannot compute durations")
    return max(latest).normalize()


_PROBLEMS = {1: "no_received_date", 2: "received_after_as_of", 3: "decided_before_received"}


def _duration_sql(src: Source, keys: list[str], as_of: pd.Timestamp, withdrawn: str,
                  where, d: Dialect) -> str:
    """One row per case: keys, ``duration``, ``event``, ``problem``, ``syn`` (the rule of
    :func:`analysis.stats.timing.durations`, written once for every engine)."""
    for col in ("received_date", "decided_date", "outcome"):
        if col not in src.columns:
            raise ParoleError(f"cases have no column {col!r}")
    stop = f"DATE '{as_of.date()}'"
    not_event = list(NOT_DECIDED) + (["withdrawn"] if withdrawn == "censor" else [])
    extra = ([f"COALESCE({d.ident('outcome')}, '') <> 'withdrawn'"]
             if withdrawn == "drop" else [])
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    decided = f"(d_ IS NOT NULL AND d_ <= {stop})"
    return (
        f"SELECT {names}, "
        f"CASE WHEN {decided} THEN {d.days('r_', 'd_')} ELSE {d.days('r_', stop)} END "
        "AS duration, "
        f"CASE WHEN {decided} AND (o_ IS NULL OR o_ NOT IN ({_in_list(not_event)})) "
        "THEN 1 ELSE 0 END AS event, "
        f"CASE WHEN r_ IS NULL THEN 1 WHEN r_ > {stop} THEN 2 WHEN d_ < r_ THEN 3 ELSE 0 END "
        "AS problem, syn "
        f"FROM (SELECT {', '.join(keys)}, CAST({d.ident('received_date')} AS DATE) AS r_, "
        f"CAST({d.ident('decided_date')} AS DATE) AS d_, "
        f"{d.ident('outcome')} AS o_, {_synthetic_expr(src, d)} AS syn "
        f"FROM cases {_where(src, where, d, extra)}) t")


def _check_problems(counts: pd.Series, as_of: pd.Timestamp, src: Source) -> None:
    """``counts``: number of cases per problem code (0 = none)."""
    if counts.get(1, 0):
        raise ParoleError(f"{int(counts[1])} case(s) have no received_date")
    if counts.get(2, 0):
        raise ParoleError(f"{int(counts[2])} case(s) received after as_of {as_of.date()}: "
                          "choose a later as_of or filter them out")
    if counts.get(3, 0):
        first = ""
        if src.frame is not None:
            rec = pd.to_datetime(src.frame["received_date"]).dt.normalize()
            dec = pd.to_datetime(src.frame["decided_date"]).dt.normalize()
            bad = src.frame.index[(dec < rec).to_numpy()]
            if len(bad):
                first = f", first at row {bad[0]}"
        raise ParoleError(f"{int(counts[3])} case(s) decided before received (negative "
                          f"duration){first}")


def survival_counts(data: Data, by: GroupBy = None, *, as_of: object = None,
                    withdrawn: str = "censor", where: Mapping[str, Any] | None = None,
                    engine: str | None = None) -> pd.DataFrame:
    """Per group and whole-day duration: ``events`` (decisions) and ``censored`` (pending at
    ``as_of``, withdrawn when ``withdrawn="censor"``, or decided after ``as_of``).

    ``as_of`` defaults to the latest receipt or decision date (``attrs["as_of"]``). Raises
    :class:`ParoleError` for a case with no receipt date, a receipt after ``as_of`` or a
    decision before receipt.
    """
    if withdrawn not in ("censor", "event", "drop"):
        raise ParoleError(f"withdrawn={withdrawn!r}: expected censor, event or drop")
    src = source(data)
    name = _engine(engine)
    d = DIALECTS[name]
    stop = (pd.Timestamp(as_of).normalize() if as_of is not None
            else _as_of_default(src, where, name))
    keys = _key_exprs(src, by, d)
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    sql = (f"SELECT {names}, problem, duration, sum(event) AS events, "
           f"count(*) - sum(event) AS censored, max(syn) AS syn FROM "
           f"({_duration_sql(src, keys, stop, withdrawn, where, d)}) t "
           f"GROUP BY {names}, problem, duration")
    raw = run(sql, src, name)
    _check_problems(raw.groupby("problem")["censored"].sum()
                    + raw.groupby("problem")["events"].sum(), stop, src)
    out = _sorted_by_keys(raw.drop(columns="problem"), ["duration"])
    syn = out.pop("syn")
    out = out[["group", "duration", "events", "censored"]].astype(
        {"duration": "int64", "events": "int64", "censored": "int64"})
    out.attrs["as_of"] = str(stop.date())
    return _finish(out, src, syn)


def durations(data: Data, by: GroupBy = None, *, as_of: object = None,
              withdrawn: str = "censor", where: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per case (DuckDB, in input order): ``group, duration, event`` by the same SQL
    as :func:`survival_counts`. Meant for checks and small data; statistics use the compact
    table."""
    if withdrawn not in ("censor", "event", "drop"):
        raise ParoleError(f"withdrawn={withdrawn!r}: expected censor, event or drop")
    src = source(data)
    d = DIALECTS["duckdb"]
    stop = (pd.Timestamp(as_of).normalize() if as_of is not None
            else _as_of_default(src, where, "duckdb"))
    keys = _key_exprs(src, by, d)
    raw = run(_duration_sql(src, keys, stop, withdrawn, where, d), src, "duckdb")
    _check_problems(raw["problem"].value_counts(), stop, src)
    names = _names(raw)
    order = sorted(set(names), key=lambda n: _order_key(raw, names, n))
    out = pd.DataFrame({"group": pd.Categorical(names, categories=order),
                        "duration": raw["duration"].astype("int64").to_numpy(),
                        "event": raw["event"].astype("int8").to_numpy()})
    if src.frame is not None:
        frame = src.frame
        if withdrawn == "drop":
            frame = frame[frame["outcome"].fillna("").astype(str) != "withdrawn"]
        out.index = frame.index
    out.attrs["as_of"] = str(stop.date())
    return _finish(out, src, raw["syn"])


def _order_key(raw: pd.DataFrame, names: pd.Series, name: str):
    row = raw.loc[names.eq(name).idxmax()]
    return tuple((pd.isna(row[c]) if not isinstance(row[c], str) else False, row[c])
                 for c in raw.columns if re.fullmatch(r"k\d+", c))


def period_counts(data: Data, by: GroupBy = None, *, date_col: str = "received_date",
                  as_of: object = None, where: Mapping[str, Any] | None = None,
                  engine: str | None = None) -> pd.DataFrame:
    """Cases per group, fiscal year and fiscal quarter of ``date_col`` (rows with no date are
    left out). ``attrs``: ``last_date`` (latest date) and ``late`` (dates after ``as_of``)."""
    src = source(data)
    name = _engine(engine)
    d = DIALECTS[name]
    if date_col not in src.columns:
        raise ParoleError(f"cases have no column {date_col!r}")
    date = f"CAST({d.ident(date_col)} AS DATE)"
    keys = _key_exprs(src, by, d)
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    stop = f"DATE '{pd.Timestamp(as_of).date()}'" if as_of is not None else "NULL"
    sql = (f"SELECT {names}, fiscal_year, quarter, count(*) AS n, max(dt) AS last_date, "
           f"sum(CASE WHEN dt > {stop} THEN 1 ELSE 0 END) AS late, max(syn) AS syn FROM ("
           f"SELECT {', '.join(keys)}, {date} AS dt, {periods.fiscal_year_sql(date)} AS "
           f"fiscal_year, {periods.fiscal_quarter_sql(date)} AS quarter, "
           f"{_synthetic_expr(src, d)} AS syn FROM cases "
           f"{_where(src, where, d, [f'{d.ident(date_col)} IS NOT NULL'])}) t "
           f"GROUP BY {names}, fiscal_year, quarter")
    raw = run(sql, src, name)
    out = _sorted_by_keys(raw, ["fiscal_year", "quarter"])
    syn = out.pop("syn")
    last = pd.to_datetime(out["last_date"]).max() if len(out) else pd.NaT
    late = int(pd.to_numeric(out["late"]).fillna(0).sum()) if len(out) else 0
    out = out[["group", "fiscal_year", "quarter", "n"]].rename(columns={"n": "count"}).astype(
        {"fiscal_year": "int64", "quarter": "int64", "count": "int64"})
    out.attrs.update(last_date=last, late=late)
    return _finish(out, src, syn)


def outcome_counts(data: Data, by: GroupBy = None, *,
                   outcomes: Sequence[str] = ("approved", "denied", "withdrawn"),
                   where: Mapping[str, Any] | None = None,
                   engine: str | None = None) -> pd.DataFrame:
    """Decided cases per group, fiscal year and quarter of the decision, and outcome."""
    src = source(data)
    name = _engine(engine)
    d = DIALECTS[name]
    for col in ("decided_date", "outcome"):
        if col not in src.columns:
            raise ParoleError(f"cases have no column {col!r}")
    date = f"CAST({d.ident('decided_date')} AS DATE)"
    keys = _key_exprs(src, by, d)
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    cond = [f"{d.ident('decided_date')} IS NOT NULL",
            f"CAST({d.ident('outcome')} AS STRING) IN ({_in_list(outcomes)})"]
    sql = (f"SELECT {names}, fiscal_year, quarter, outcome, count(*) AS n, max(syn) AS syn "
           f"FROM (SELECT {', '.join(keys)}, {periods.fiscal_year_sql(date)} AS fiscal_year, "
           f"{periods.fiscal_quarter_sql(date)} AS quarter, "
           f"CAST({d.ident('outcome')} AS STRING) AS outcome, "
           f"{_synthetic_expr(src, d)} AS syn FROM cases {_where(src, where, d, cond)}) t "
           f"GROUP BY {names}, fiscal_year, quarter, outcome")
    raw = run(sql, src, name)
    out = _sorted_by_keys(raw, ["fiscal_year", "quarter", "outcome"])
    syn = out.pop("syn")
    out = out[["group", "fiscal_year", "quarter", "outcome", "n"]].rename(
        columns={"n": "count"}).astype({"fiscal_year": "int64", "quarter": "int64",
                                        "count": "int64"})
    return _finish(out, src, syn)


#: the outcome that is the event of interest in :func:`ending_counts` (parole granted)
PAROLED = "approved"


def _ending_sql(src: Source, keys: list[str], as_of: pd.Timestamp, where, d: Dialect) -> str:
    """One row per case: keys, ``duration``, ``ending`` (0 open at ``as_of``, 1 paroled,
    2 ended otherwise), ``problem``, ``syn``."""
    for col in ("received_date", "decided_date", "outcome"):
        if col not in src.columns:
            raise ParoleError(f"cases have no column {col!r}")
    stop = f"DATE '{as_of.date()}'"
    ended = f"(d_ IS NOT NULL AND d_ <= {stop} AND o_ NOT IN ({_in_list(NOT_DECIDED)}))"
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    return (
        f"SELECT {names}, "
        f"CASE WHEN {ended} THEN {d.days('r_', 'd_')} ELSE {d.days('r_', stop)} END "
        "AS duration, "
        f"CASE WHEN NOT {ended} THEN 0 WHEN o_ = {_literal(PAROLED)} THEN 1 ELSE 2 END "
        "AS ending, "
        f"CASE WHEN r_ IS NULL THEN 1 WHEN r_ > {stop} THEN 2 WHEN d_ < r_ THEN 3 ELSE 0 END "
        "AS problem, syn "
        f"FROM (SELECT {', '.join(keys)}, CAST({d.ident('received_date')} AS DATE) AS r_, "
        f"CAST({d.ident('decided_date')} AS DATE) AS d_, "
        f"COALESCE(CAST({d.ident('outcome')} AS STRING), 'pending') AS o_, "
        f"{_synthetic_expr(src, d)} AS syn FROM cases {_where(src, where, d)}) t")


def ending_counts(data: Data, by: GroupBy = None, *, as_of: object = None,
                  where: Mapping[str, Any] | None = None,
                  engine: str | None = None) -> pd.DataFrame:
    """Per group and whole-day duration: ``paroled`` (outcome approved), ``other`` (ended any
    other way: removed, bonded out, recognizance, transferred, denied, withdrawn, other) and
    ``censored`` (open at ``as_of``, or ended after it): the compact table of competing risks
    (:mod:`analysis.stats.competing`). ``as_of`` defaults to the latest date in the data (the
    cut date; ``attrs["as_of"]``)."""
    src = source(data)
    name = _engine(engine)
    d = DIALECTS[name]
    stop = (pd.Timestamp(as_of).normalize() if as_of is not None
            else _as_of_default(src, where, name))
    keys = _key_exprs(src, by, d)
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    sql = (f"SELECT {names}, problem, duration, "
           "sum(CASE WHEN ending = 1 THEN 1 ELSE 0 END) AS paroled, "
           "sum(CASE WHEN ending = 2 THEN 1 ELSE 0 END) AS other, "
           "sum(CASE WHEN ending = 0 THEN 1 ELSE 0 END) AS censored, max(syn) AS syn FROM "
           f"({_ending_sql(src, keys, stop, where, d)}) t GROUP BY {names}, problem, duration")
    raw = run(sql, src, name)
    _check_problems(raw.groupby("problem")[["paroled", "other", "censored"]].sum().sum(axis=1),
                    stop, src)
    out = _sorted_by_keys(raw.drop(columns="problem"), ["duration"])
    syn = out.pop("syn")
    cols = ["duration", "paroled", "other", "censored"]
    out = out[["group", *cols]].astype(dict.fromkeys(cols, "int64"))
    out.attrs["as_of"] = str(stop.date())
    return _finish(out, src, syn)
