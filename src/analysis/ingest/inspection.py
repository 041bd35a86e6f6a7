"""``parole inspect FILE``: what a raw file holds, without registering anything.

:func:`inspect_file` detects the source from the file's content (or takes ``source``), runs the
adapter and validation exactly as ``parole ingest`` would, and summarises the result: source,
periods, tables with row counts, rejected rows with their reasons, reconciliation checks with
their differences, and the adapter's notes. Nothing is copied or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract import periods as periods_mod


def _period_order(label: str) -> tuple:
    try:
        span = periods_mod.parse(label)
        return (span.start, span.end, label)
    except ValueError:
        return (pd.Timestamp.max.date(), pd.Timestamp.max.date(), label)


def _periods(frame: pd.DataFrame) -> list[str]:
    labels: set[str] = set()
    if "period" in frame:
        labels |= {str(p) for p in frame["period"].dropna().unique()}
    if "as_of" in frame:
        labels |= {f"as of {pd.Timestamp(d).date().isoformat()}"
                   for d in frame["as_of"].dropna().unique()}
    if "period_start" in frame and "period" not in frame and not frame.empty:
        labels.add(f"{frame['period_start'].min().date()} to {frame['period_end'].max().date()}")
    return sorted(labels, key=_period_order)


def inspect_file(path: Path | str, source: str | None = None) -> dict[str, Any]:
    """Run the adapter on ``path`` (source detected when not given) and summarise what it found.

    Raises :class:`~analysis.errors.ParoleError` when the source cannot be told or the file is
    refused by its adapter, exactly as ``parole ingest`` would.
    """
    from analysis.ingest.sources import check_source, detect, load

    path = Path(path)
    detected = source is None
    if source is None:
        source = detect(path)
    check_source(source)
    result = load(path, source)
    tables = {}
    for name, frame in result.tables.items():
        tables[name] = {"rows": len(frame), "periods": _periods(frame)}
        if "status" in frame and len(frame):
            tables[name]["statuses"] = {str(k): int(v) for k, v in
                                        frame["status"].value_counts().sort_index().items()}
    all_periods = sorted({p for t in tables.values() for p in t["periods"]}, key=_period_order)
    return {
        "file": str(path),
        "source": source,
        "detected": detected,
        "periods": all_periods,
        "tables": tables,
        "rejected": [r.as_dict() for r in result.rejected],
        "reconciliation": [c.as_dict() for c in result.reconciliation],
        "notes": list(result.notes),
        "decisions": dict(result.decisions),
    }


def _span(labels: list[str], limit: int = 12) -> str:
    if not labels:
        return "none"
    if len(labels) <= limit:
        return ", ".join(labels)
    return f"{labels[0]} to {labels[-1]} ({len(labels)} periods)"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _signed(value: float) -> str:
    return f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.2f}"


def format_text(summary: dict[str, Any], *, limit: int = 20) -> str:
    """The summary as lines for a terminal (first ``limit`` rejected rows and checks)."""
    how = "detected from the content" if summary["detected"] else "given with --source"
    lines = [f"file:    {summary['file']}",
             f"source:  {summary['source']} ({how})",
             f"periods: {_span(summary['periods'])}",
             "tables:"]
    for name, info in summary["tables"].items():
        statuses = ", ".join(f"{k} {v}" for k, v in info.get("statuses", {}).items())
        lines.append(f"  {name}: {info['rows']:,} rows" + (f" ({statuses})" if statuses else "")
                     + f"; periods {_span(info['periods'], 6)}")
    if not summary["tables"]:
        lines.append("  (none)")
    rejected = summary["rejected"]
    lines.append(f"rejected rows: {len(rejected)}")
    for item in rejected[:limit]:
        value = f" [{item['value']}]" if item.get("value") else ""
        lines.append(f"  {item['locator']}: {item['reason']}{value}")
    if len(rejected) > limit:
        lines.append(f"  ... and {len(rejected) - limit} more (use --json for all)")
    checks = summary["reconciliation"]
    differing = [c for c in checks if not c["matches"]]
    lines.append(f"reconciliation: {len(checks)} checks, {len(differing)} with a difference")
    for c in differing[:limit]:
        lines.append(f"  {c['check']}, {c['period']}: parts {_number(c['parts_sum'])} vs "
                     f"published {_number(c['published_total'])} "
                     f"(difference {_signed(c['difference'])}) at {c['locator']}")
    if len(differing) > limit:
        lines.append(f"  ... and {len(differing) - limit} more (use --json for all)")
    decisions = summary.get("decisions") or {}
    if decisions:
        lines.append(f"odd rows and cells decided: {sum(decisions.values())}")
        lines.extend(f"  {n} {what}" for what, n in decisions.items())
    if summary["notes"]:
        lines.append("notes:")
        lines.extend(f"  {note}" for note in summary["notes"])
    lines.append("nothing was registered; `parole add FILE` registers it")
    return "\n".join(lines)
