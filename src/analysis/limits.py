"""Bounds on untrusted input, and the one YAML loader that respects them.

:data:`LIMITS` bounds what any reader takes in (compressed and uncompressed size, rows, columns,
cell length, workbook parts, JSON nesting, YAML size, aliases and nesting); each refusal names
the limit and the file. Limits are set with ``PAROLE_LIMIT_<NAME>`` or ``parole --limit
NAME=N``. Every YAML file the project reads (claims files, regions, report parameters) goes
through :func:`load_yaml` / :func:`read_yaml`: safe loading with an alias budget.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analysis.errors import InputError


@dataclass(frozen=True)
class Limits:
    """Bounds on what an input file may hold.

    Change them for one process with :func:`set_limits`, from the environment with
    ``PAROLE_LIMIT_<NAME>`` (``PAROLE_LIMIT_MAX_ROWS=5000000``), or on the command line with
    ``parole --limit max_rows=5000000 ...``. Every refusal names the limit it hit.
    """

    max_bytes: int = 100 * 1024 * 1024  # file size on disk
    max_stream_bytes: int = 20 * 1024 ** 3  # a file read in chunks (large case records)
    max_uncompressed_bytes: int = 400 * 1024 * 1024  # all parts of a workbook, unzipped
    max_compression_ratio: int = 200  # one part's unzipped size over its zipped size
    max_parts: int = 2_000  # members of a workbook's zip
    max_rows: int = 2_000_000  # rows of one sheet or CSV
    max_cols: int = 2_000  # cells in one row
    max_cell_chars: int = 32_767  # characters in one cell (Excel's own limit)
    max_json_depth: int = 64  # nesting of JSON arrays and objects
    max_int_digits: int = 18  # digits of one integer in JSON or YAML
    max_yaml_bytes: int = 5 * 1024 * 1024  # size of a YAML file (claims, regions, parameters)
    max_article_chars: int = 500_000  # characters of an article read by `parole check`
    max_yaml_aliases: int = 100  # alias references (*name) in one YAML document
    max_yaml_nodes: int = 200_000  # values in a YAML document once every alias is expanded
    max_yaml_depth: int = 64  # nesting of YAML lists and mappings


LIMIT_NAMES = tuple(Limits.__dataclass_fields__)


def _parse_limit(name: str, value: object, origin: str) -> int:
    from analysis.errors import ParoleError

    if name not in LIMIT_NAMES:
        raise ParoleError(f"{origin}: unknown limit {name!r}; expected one of: "
                          + ", ".join(LIMIT_NAMES))
    try:
        number = int(str(value).replace("_", "").replace(",", ""))
    except ValueError:
        raise ParoleError(f"{origin}: limit {name}={value!r} is not a whole number") from None
    if number <= 0:
        raise ParoleError(f"{origin}: limit {name}={value!r} must be positive")
    return number


def limits_from_env(environ: dict[str, str] | None = None, base: Limits | None = None) -> Limits:
    """``base`` (default: the built-in limits) with every ``PAROLE_LIMIT_<NAME>`` applied."""

    environ = os.environ if environ is None else environ
    changes = {}
    for name in LIMIT_NAMES:
        key = f"PAROLE_LIMIT_{name.upper()}"
        if environ.get(key):
            changes[name] = _parse_limit(name, environ[key], key)
    return replace(base or Limits(), **changes)


def configure(pairs: list[str]) -> Limits:
    """Apply ``NAME=VALUE`` pairs (the command line's ``--limit``) to this process's limits."""
    changes = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            from analysis.errors import ParoleError

            raise ParoleError(f"--limit {pair!r}: expected NAME=VALUE, e.g. max_rows=5000000")
        changes[name.strip()] = _parse_limit(name.strip(), value.strip(), f"--limit {pair}")
    return set_limits(**changes)


LIMITS = limits_from_env()


def set_limits(**changes: int) -> Limits:
    """Change limits for this process (for example ``set_limits(max_rows=10_000_000)``)."""
    global LIMITS
    LIMITS = replace(LIMITS, **changes)
    return LIMITS


def limit_error(path: Path | str, what: str, found: object, name: str, limit: object) -> InputError:
    return InputError(path, f"{what} is {found}, over the limit {name}={limit} (raise it with "
                            f"PAROLE_LIMIT_{name.upper()} or `parole --limit {name}=N`)")


# ---------------------------------------------------------------------------------------------
# YAML: safe loading with a budget (claims files, regions, report parameters)


def _yaml_loader():
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """PyYAML's safe loader (no Python tags) counting alias references as it composes."""

        aliases = 0

        def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > LIMITS.max_yaml_aliases:
                    mark = self.peek_event().start_mark
                    raise _YamlLimit("alias references", f"over {LIMITS.max_yaml_aliases}",
                                     "max_yaml_aliases", LIMITS.max_yaml_aliases, mark)
            return super().compose_node(parent, index)

    return BoundedLoader


class _YamlLimit(Exception):
    def __init__(self, what, found, name, limit, mark=None):
        super().__init__(what)
        self.args_ = (what, found, name, limit)
        self.mark = mark


def _yaml_size(node, origin) -> None:
    """Refuse a document whose values, with every alias expanded, exceed ``max_yaml_nodes``
    (the "billion laughs"), or that nests deeper than ``max_yaml_depth`` or refers to itself."""
    import yaml

    sizes: dict[int, int] = {}
    # iterative post-order walk with memoised sizes: linear in the distinct nodes
    stack: list[tuple[Any, int, bool]] = [(node, 1, False)]
    active: set[int] = set()
    while stack:
        current, depth, done = stack.pop()
        key = id(current)
        if done:
            active.discard(key)
            children = _yaml_children(current, yaml)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > LIMITS.max_yaml_nodes:
                raise _YamlLimit("the number of values with aliases expanded",
                                 f"over {LIMITS.max_yaml_nodes:,}", "max_yaml_nodes",
                                 f"{LIMITS.max_yaml_nodes:,}", current.start_mark)
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in active:
            raise InputError(origin, "a YAML alias refers to the value that contains it",
                             locator=_yaml_where(current.start_mark),
                             expected="a document without recursive aliases")
        if depth > LIMITS.max_yaml_depth:
            raise _YamlLimit("YAML nesting", f"deeper than {LIMITS.max_yaml_depth}",
                             "max_yaml_depth", LIMITS.max_yaml_depth, current.start_mark)
        active.add(key)
        stack.append((current, depth, True))
        for child in _yaml_children(current, yaml):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _yaml_children(node, yaml) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _yaml_where(mark) -> str | None:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None


def load_yaml(text: str | bytes, origin: str | Path) -> Any:
    """Parse YAML safely (plain data only: no Python tags) within the YAML limits.

    The one YAML reader of the project. Errors name ``origin`` and the line and column but
    never echo the document's content (a parameter file may be any file the user can read).
    """
    import yaml

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(origin, "not UTF-8 text", expected="a YAML text file") from None
    if len(text) > LIMITS.max_yaml_bytes:
        raise limit_error(origin, "the YAML document's size", f"{len(text):,} characters",
                     "max_yaml_bytes", f"{LIMITS.max_yaml_bytes:,}")
    if "\x00" in text:
        raise InputError(origin, "binary content", expected="a YAML text file")
    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _yaml_size(node, origin)
        return loader.construct_document(node)
    except _YamlLimit as exc:
        what, found, name, limit = exc.args_
        error = limit_error(origin, what, found, name, limit)
        where = _yaml_where(exc.mark)
        raise InputError(origin, error.problem, locator=where) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = re.sub(r"'(?!<)[^']*'|\"[^\"]*\"", "(...)", exc.problem or exc.context or "")
        raise InputError(origin, f"not valid YAML ({problem or 'syntax error'})",
                         locator=_yaml_where(mark)) from None
    except yaml.YAMLError:
        raise InputError(origin, "not valid YAML") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        kind_ = type(exc).__name__
        raise InputError(origin, f"a value that cannot be read ({kind_})",
                         expected="plain numbers, text, lists and mappings") from None
    finally:
        loader.dispose()


def read_yaml(path: Path | str, *, what: str = "YAML file") -> Any:
    """A YAML file read with :func:`load_yaml` (size checked before reading)."""
    path = Path(path)
    try:
        if not path.is_file():
            raise InputError(path, f"no such {what}")
        size = path.stat().st_size
        if size > LIMITS.max_yaml_bytes:
            raise limit_error(path, "file size", f"{size:,} bytes", "max_yaml_bytes",
                         f"{LIMITS.max_yaml_bytes:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or type(exc).__name__})") \
            from None
    return load_yaml(raw, path)
