"""Printing for the command line: plain-text tables and JSON, written once for every command."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any


def text_table(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
               header_line: bool = True) -> str:
    """Left-aligned columns separated by two spaces, header first (unless ``header_line`` is
    false: the header then only sets the number of columns), no trailing blanks.

    >>> print(text_table(("source", "rows"), [("ohss", 3), ("uscis-all-forms", 12)]))
    source           rows
    ohss             3
    uscis-all-forms  12
    """
    body = [tuple("" if c is None else str(c) for c in row) for row in rows]
    head = tuple(str(c) for c in header)
    widths = [max((len(r[i]) for r in ([head] if header_line else []) + body), default=0)
              for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in ([head] if header_line else []) + body)


def to_json(value: Any) -> str:
    """Indented JSON keeping non-ASCII characters; dates and paths as strings.

    >>> to_json({"a": 1})
    '{\\n  "a": 1\\n}'
    """
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
