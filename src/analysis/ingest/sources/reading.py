"""The one reading layer every adapter uses: raw bytes to a grid of cells, within limits.

Publishers ship the same table as CSV (UTF-8, UTF-8 with a byte-order mark, or Windows-1252) and
as XLSX workbooks whose sheet names drift. Adapters should not care which: :func:`read_grid`
returns a :class:`Grid` (rows of cells, plus how to name any place in it: ``sheet X, row 7,
column C`` or ``line 12, column C``) chosen by the file's content, not its name.

Every input is untrusted. :data:`analysis.limits.LIMITS` bounds what is read (compressed and
uncompressed size, rows, columns, cell length, workbook parts, JSON nesting) and each refusal
names the limit and the file; limits are set with ``PAROLE_LIMIT_<NAME>`` or ``parole --limit``.
YAML is read only through :func:`analysis.limits.load_yaml` (safe loading with an alias budget).
Workbooks are read with ``defusedxml`` (entity bombs refused) and with the sheet's real extent,
not the ``<dimension>`` it declares (a workbook that understates it would lose rows).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from analysis import limits
from analysis.errors import InputError
from analysis.limits import limit_error

# ---------------------------------------------------------------------------------------------
# text helpers shared by every adapter


def text(cell: Any) -> str:
    """A cell as single-spaced text ('' for empty); non-breaking spaces count as spaces."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell != cell:  # NaN
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return re.sub(r"\s+", " ", str(cell).replace("\ufeff", "")).strip()


def slug(value: Any) -> str:
    """Lower-case ASCII slug: accents removed, runs of other characters to single ``-``."""
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def header_key(value: Any) -> str:
    """A header cell without glued footnote digits, lower case, single spaces
    (``"Forms Received1"`` -> ``"forms received"``)."""
    plain = text(value)
    plain = re.sub(r"(?<=[A-Za-z.)])\s*\d{1,2}$", "", plain)
    return plain.lower().strip()


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------------------------------------
# the grid


@dataclass
class Grid:
    """The cells of one table (a CSV file or one sheet), and how to name a place in it."""

    path: Path
    rows: list[list[Any]]
    sheet: str | None = None
    lines: list[int] | None = None  # CSV: the line each row starts on
    table: str | None = None  # HTML: which table of the page ("table 1")

    def where(self, row: int, col: int | None = None, header: str | None = None) -> str:
        """Locator of 0-based ``row``/``col``: sheet/row/column for XLSX, line/column for CSV."""
        if self.sheet is not None:
            place = f"sheet {self.sheet}, row {row + 1}"
        elif self.table is not None:
            place = f"{self.table}, row {row + 1}"
        else:
            place = f"line {self.lines[row] if self.lines and row < len(self.lines) else row + 1}"
        if col is not None:
            place += f", column {column_letter(col)}"
            if header:
                place += f" ({header})"
        return place

    def cell(self, row: int, col: int) -> Any:
        """The raw cell at 0-based ``row``/``col`` (None beyond the row's end)."""
        cells = self.rows[row] if row < len(self.rows) else []
        return cells[col] if col < len(cells) else None

    def text(self, row: int, col: int) -> str:
        return text(self.cell(row, col))

    def texts(self, row: int) -> list[str]:
        return [text(c) for c in self.rows[row]] if row < len(self.rows) else []

    def line_text(self, row: int) -> str:
        """The non-empty cells of a row joined by spaces: finds a title or date line that a
        spreadsheet export split across cells."""
        return " ".join(t for t in self.texts(row) if t)

    def is_blank(self, row: int) -> bool:
        return not any(self.texts(row))

    def find(self, pattern: str | re.Pattern[str], *, rows: range | None = None,
             whole_line: bool = True) -> Iterator[tuple[int, re.Match[str]]]:
        """Rows whose text (each cell, then the joined line) matches ``pattern``."""
        regex = re.compile(pattern, re.IGNORECASE) if isinstance(pattern, str) else pattern
        for r in rows or range(len(self.rows)):
            if r >= len(self.rows):
                break
            for t in self.texts(r):
                if t and (m := regex.search(t)):
                    yield r, m
                    break
            else:
                if whole_line and (m := regex.search(self.line_text(r))):
                    yield r, m


# ---------------------------------------------------------------------------------------------
# sniffing


def kind(path: Path) -> str:
    """What a file is by its first bytes: ``xlsx``, ``xls``, ``pdf``, ``json``, ``html`` or
    ``csv`` (any other text)."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<" and re.match(rb"<(!doctype|html|table|\?xml)", stripped.lower()):
        return "html"
    return "csv"


def check_size(path: Path) -> int:
    """Refuse a missing, empty or over-large file before reading it; returns its size."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise InputError(path, "empty file")
    if size > limits.LIMITS.max_bytes:
        raise limit_error(path, "file size", f"{size:,} bytes", "max_bytes",
                     f"{limits.LIMITS.max_bytes:,}")
    return size


# ---------------------------------------------------------------------------------------------
# CSV


ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def decode(path: Path, raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without a BOM), else Windows-1252 (older USCIS files)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(path, "not text in UTF-8 or Windows-1252")  # pragma: no cover


def read_csv(path: Path) -> Grid:
    """Every row of a CSV file as text cells, with the line each row starts on."""
    path = Path(path)
    check_size(path)
    content = decode(path, path.read_bytes())
    if "\x00" in content:
        raise InputError(path, "binary content in a text file", expected="a CSV text file")
    # "\r\r\n" (a Windows line end written twice over, common in USCIS exports) is one line end
    content = content.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    csv.field_size_limit(limits.LIMITS.max_cell_chars + 2)
    reader = csv.reader(io.StringIO(content, newline=""))
    rows: list[list[Any]] = []
    lines: list[int] = []
    last = 0
    try:
        for row in reader:
            if len(row) > limits.LIMITS.max_cols:
                raise limit_error(path, f"line {last + 1} has {len(row)} cells; that", len(row),
                             "max_cols", limits.LIMITS.max_cols)
            rows.append(row)
            lines.append(last + 1)
            last = reader.line_num
            if len(rows) > limits.LIMITS.max_rows:
                raise limit_error(path, "the number of rows", f"over {limits.LIMITS.max_rows:,}",
                             "max_rows", f"{limits.LIMITS.max_rows:,}")
    except csv.Error as exc:
        where = f"line {last + 1}"
        if "field larger" in str(exc):
            raise InputError(path, f"a cell longer than {limits.LIMITS.max_cell_chars:,} "
                                   "characters "
                                   "(limit max_cell_chars)", locator=where) from None
        raise InputError(path, f"not a readable CSV file ({exc})", locator=where) from None
    if content and not content.endswith("\n") and rows and content.count('"') % 2:
        raise InputError(path, "the file ends inside a quoted cell; it may be truncated",
                         locator=f"line {lines[-1]}")
    return Grid(path, rows, lines=lines)


# ---------------------------------------------------------------------------------------------
# XLSX


def check_workbook(path: Path) -> None:
    """Refuse a workbook whose zip is broken, has too many parts, or unzips too large."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(path, f"not a readable XLSX workbook ({exc}); the file may be "
                               "truncated", expected="an .xlsx file") from None
    if len(members) > limits.LIMITS.max_parts:
        raise limit_error(path, "the number of workbook parts", len(members), "max_parts",
                     limits.LIMITS.max_parts)
    total = sum(m.file_size for m in members)
    if total > limits.LIMITS.max_uncompressed_bytes:
        raise limit_error(path, "the unzipped size", f"{total:,} bytes", "max_uncompressed_bytes",
                     f"{limits.LIMITS.max_uncompressed_bytes:,}")
    for m in members:
        if m.file_size > 1_000_000 and m.compress_size and \
                m.file_size / m.compress_size > limits.LIMITS.max_compression_ratio:
            raise limit_error(path, f"part {m.filename}'s compression ratio",
                         round(m.file_size / m.compress_size), "max_compression_ratio",
                         limits.LIMITS.max_compression_ratio)
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise InputError(path, "a zip file without xl/workbook.xml is not an XLSX workbook",
                         expected="an .xlsx file")


def _open(path: Path):
    import openpyxl

    check_size(path)
    check_workbook(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(path, f"not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
                               "the file may be truncated", expected="an .xlsx file") from None
    except Exception as exc:  # defusedxml refusals and other parser errors
        raise InputError(path, f"workbook refused ({type(exc).__name__}: {exc})") from None


def _sheet_rows(path: Path, sheet: Any, name: str) -> list[list[Any]]:
    sheet.reset_dimensions()  # read the real extent, never the declared <dimension>
    rows: list[list[Any]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if len(cells) > limits.LIMITS.max_cols:
            raise limit_error(path, f"sheet {name}, row {number} has {len(cells)} cells; that",
                         len(cells), "max_cols", limits.LIMITS.max_cols)
        for c, value in enumerate(cells):
            if isinstance(value, str) and len(value) > limits.LIMITS.max_cell_chars:
                raise InputError(path, f"a cell longer than {limits.LIMITS.max_cell_chars:,} "
                                       "characters (limit max_cell_chars)",
                                 locator=f"sheet {name}, row {number}, column {column_letter(c)}")
        rows.append(cells)
        if len(rows) > limits.LIMITS.max_rows:
            raise limit_error(path, f"the number of rows of sheet {name}",
                         f"over {limits.LIMITS.max_rows:,}",
                         "max_rows", f"{limits.LIMITS.max_rows:,}")
    while rows and not rows[-1]:
        rows.pop()
    return rows


SheetChoice = str | re.Pattern[str] | Callable[["Grid"], bool] | None


def read_workbook(path: Path, sheets: SheetChoice = None) -> dict[str, Grid]:
    """The sheets of a workbook as grids, in workbook order.

    ``sheets``: None for all; a regular expression (string or compiled) matched against sheet
    names; or a function of a :class:`Grid` that says whether to keep it (choose by content).
    """
    path = Path(path)
    book = _open(path)
    try:
        out: dict[str, Grid] = {}
        for name in book.sheetnames:
            if isinstance(sheets, str | re.Pattern) and not re.search(
                    sheets, name, flags=0 if isinstance(sheets, re.Pattern) else re.IGNORECASE):
                continue
            try:
                grid = Grid(path, _sheet_rows(path, book[name], name), sheet=name)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(path, f"sheet {name} could not be read ({type(exc).__name__}: "
                                       f"{exc}); the file may be truncated") from None
            if callable(sheets) and not isinstance(sheets, re.Pattern) and not sheets(grid):
                continue
            out[name] = grid
        return out
    finally:
        book.close()


def sheet_names(path: Path) -> list[str]:
    book = _open(Path(path))
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_grid(path: Path, sheet: SheetChoice = None, *, expected: str = "") -> Grid:
    """One table from a CSV or XLSX file (chosen by content, not name).

    For a workbook, ``sheet`` chooses the sheet (see :func:`read_workbook`); the first match is
    returned, and a workbook with no match is refused naming its sheets and ``expected``.
    """
    path = Path(path)
    found = kind(path)
    if found == "xlsx":
        grids = read_workbook(path, sheet)
        if not grids:
            raise InputError(path, f"no sheet holds the table: sheets are "
                                   f"{', '.join(sheet_names(path))}",
                             expected=expected or "a sheet with the table")
        return next(iter(grids.values()))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InputError(path, "not an XLSX workbook (no zip signature); the file may be "
                               "truncated or an HTML error page", expected="an .xlsx file")
    if found == "xls":
        raise InputError(path, "old Excel .xls files are not read",
                         expected="the .xlsx or CSV edition (or save the file as .xlsx)")
    if found == "pdf":
        raise InputError(path, "PDF reports are not read", expected="the CSV or XLSX edition")
    return read_csv(path)


# ---------------------------------------------------------------------------------------------
# JSON


def read_json(path: Path) -> Any:
    """A JSON document, refusing nesting deeper than ``max_json_depth`` and huge integers."""
    path = Path(path)
    check_size(path)
    return loads_json(path, decode(path, path.read_bytes()))


def loads_json(path: Path | str, content: str, *, locator: str | None = None) -> Any:
    """JSON text read from ``path`` (``locator``: where in the file, e.g. ``line 7`` of an
    NDJSON file) within the limits: nesting ``max_json_depth``, integers of at most
    ``max_int_digits`` digits, no ``NaN``/``Infinity``."""
    _check_depth(path, content, locator)

    def _int(token: str) -> int:
        if len(token.lstrip("-")) > limits.LIMITS.max_int_digits:
            raise ValueError(f"an integer of {len(token.lstrip('-'))} digits, over the limit "
                             f"max_int_digits={limits.LIMITS.max_int_digits}")
        return int(token)

    def _constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(content, parse_int=_int, parse_float=_json_float,
                          parse_constant=_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if locator:  # one line of an NDJSON file
            where = f"{locator}, column {exc.colno}" if exc.lineno == 1 else f"{locator}, {where}"
        raise InputError(path, f"not valid JSON ({exc.msg}); the file may be truncated",
                         locator=where) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(path, f"not usable JSON ({exc})", locator=locator,
                         expected="counts and months as ordinary numbers") from None


def _check_depth(path: Path | str, content: str, locator: str | None) -> None:
    """Refuse JSON nested deeper than ``max_json_depth`` before parsing it."""
    depth = 0
    in_string = escaped = False
    for ch in content:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limits.LIMITS.max_json_depth:
                raise limit_error(path, "JSON nesting" + (f" at {locator}" if locator else ""),
                             f"deeper than {limits.LIMITS.max_json_depth}", "max_json_depth",
                             limits.LIMITS.max_json_depth)
        elif ch in "]}":
            depth -= 1


def _json_float(token: str) -> float:
    """A JSON number with a fraction or exponent: finite, and with no more digits before the
    point than ``max_int_digits`` allows an integer (``1e999`` and ``1.2e29`` are refused)."""
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token} is not a finite number")
    if abs(value) >= 10.0 ** limits.LIMITS.max_int_digits:
        raise ValueError(f"{token} has more than {limits.LIMITS.max_int_digits} digits before "
                         f"the point, over the limit max_int_digits="
                         f"{limits.LIMITS.max_int_digits}")
    return value


# ---------------------------------------------------------------------------------------------
# HTML tables (a publisher's page saved from the browser), within the same limits


#: HTML's own ceilings on spans (the HTML standard clamps colspan to 1000, rowspan to 65534)
HTML_MAX_COLSPAN = 1000
HTML_MAX_ROWSPAN = 65534


def read_html(path: Path) -> Grid:
    """The first table of an HTML page as a grid, ``rowspan``/``colspan`` expanded the way a
    browser lays them out (a spanned cell's text in every place it covers). Bounded like any
    other reader: file size, ``max_rows``, ``max_cols`` (counted after spans) and
    ``max_cell_chars``; a span running past the table's last row ends there, so a tiny file
    with ``rowspan="50000000"`` costs nothing. Locators read ``table 1, row 3, column B``."""
    path = Path(path)
    check_size(path)
    content = decode(path, path.read_bytes())
    if "\x00" in content:
        raise InputError(path, "binary content in a text file", expected="an HTML page")
    parser = _TableParser(path)
    parser.feed(content)
    parser.close()
    if not parser.rows:
        raise InputError(path, "no HTML table found", expected="a page with a <table>")
    return Grid(path, _expand_spans(path, parser.rows), table="table 1")


def _span(value: str | None, ceiling: int) -> int:
    digits = re.match(r"\s*(\d+)", value or "")
    return min(max(int(digits.group(1)[:6]), 1), ceiling) if digits else 1


class _TableParser:
    """Rows of the first ``<table>`` of a page: each cell's text and spans (nested tables'
    text stays inside the cell that holds them)."""

    def __init__(self, path: Path) -> None:
        from html.parser import HTMLParser

        self.path = path
        self.rows: list[list[tuple[str, int, int]]] = []
        self._cell: list[str] | None = None
        self._spans = (1, 1)
        self._depth = 0  # <table> nesting
        self._done = False
        self._chars = 0
        parser = HTMLParser(convert_charrefs=True)
        parser.handle_starttag = self._start
        parser.handle_endtag = self._end
        parser.handle_data = self._data
        self._parser = parser

    def feed(self, content: str) -> None:
        self._parser.feed(content)

    def close(self) -> None:
        self._parser.close()
        self._close_cell()

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if tag == "table":
            self._depth += 1
        elif self._depth == 1 and tag == "tr":
            self._close_cell()
            self.rows.append([])
            if len(self.rows) > limits.LIMITS.max_rows:
                raise limit_error(self.path, "the number of table rows",
                             f"over {limits.LIMITS.max_rows:,}", "max_rows",
                             f"{limits.LIMITS.max_rows:,}")
        elif self._depth == 1 and tag in ("td", "th"):
            self._close_cell()
            if not self.rows:
                self.rows.append([])
            found = dict(attrs)
            self._spans = (_span(found.get("rowspan"), HTML_MAX_ROWSPAN),
                           _span(found.get("colspan"), HTML_MAX_COLSPAN))
            self._cell, self._chars = [], 0
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def _end(self, tag: str) -> None:
        if self._done or tag != "table":
            if self._depth == 1 and tag in ("td", "th", "tr"):
                self._close_cell()
            return
        self._depth -= 1
        if self._depth == 0:
            self._close_cell()
            self._done = bool(self.rows)  # the first table with rows is the one

    def _data(self, data: str) -> None:
        if self._cell is None or self._done:
            return
        self._chars += len(data)
        if self._chars > limits.LIMITS.max_cell_chars:
            raise InputError(self.path, f"a cell longer than {limits.LIMITS.max_cell_chars:,} "
                                        "characters (limit max_cell_chars)",
                             locator=f"table 1, row {len(self.rows)}")
        self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self.rows:
            self.rows[-1].append((text("".join(self._cell)), *self._spans))
        self._cell = None


def _expand_spans(path: Path, rows: list[list[tuple[str, int, int]]]) -> list[list[Any]]:
    """Lay out cells with spans on a grid; refuse a row wider than ``max_cols``."""
    grid: list[list[Any]] = []
    below: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
    for number, cells in enumerate(rows, start=1):
        out: list[Any] = []
        queue = list(cells)
        while queue or any(c >= len(out) for c in below):
            col = len(out)
            if col in below:
                value, left = below.pop(col)
                out.append(value)
                if left > 1:
                    below[col] = (value, left - 1)
                continue
            if not queue:
                out.append(None)  # a gap before a cell spanned from above
                continue
            value, rowspan, colspan = queue.pop(0)
            if col + colspan > limits.LIMITS.max_cols:
                most = limits.LIMITS.max_cols
                raise limit_error(path, f"table 1, row {number} has over {most:,} cells (spans "
                                  "counted); that", col + colspan, "max_cols", most)
            for offset in range(colspan):
                out.append(value)
                if rowspan > 1:
                    below[col + offset] = (value, rowspan - 1)
        grid.append(out)
    return grid


# ---------------------------------------------------------------------------------------------
# side files (a file an adapter reads beside the registered one, e.g. labels.json)


_REGISTERED: ContextVar[frozenset[Path] | None] = ContextVar("parole_registered", default=None)


@contextmanager
def registered_files(paths: Iterator[Path] | list[Path]) -> Iterator[None]:
    """While active, :func:`side_file` returns only files among ``paths`` (ingestion sets it
    to the manifest's files, so an unregistered file never changes the output)."""
    token = _REGISTERED.set(frozenset(Path(p).resolve() for p in paths))
    try:
        yield
    finally:
        _REGISTERED.reset(token)


def side_file(path: Path | str) -> Path | None:
    """``path`` if it may be read as a side file: a regular file (not a symbolic link) that,
    during ingestion, is registered in the manifest; else None."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return None
    allowed = _REGISTERED.get()
    if allowed is not None and path.resolve() not in allowed:
        return None
    return path


def is_date(cell: Any) -> bool:
    return isinstance(cell, date | datetime)


def workbook_saved(path: Path) -> datetime | None:
    """When a workbook was last saved (``dcterms:modified`` in ``docProps/core.xml``), or None
    when it does not say. Tells whether a period had ended when the file was made."""
    from defusedxml import ElementTree

    path = Path(path)
    check_workbook(path)
    try:
        with zipfile.ZipFile(path) as archive:
            if "docProps/core.xml" not in archive.namelist():
                return None
            root = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except Exception:  # a broken properties part only loses this hint
        return None
    node = root.find("{http://purl.org/dc/terms/}modified")
    if node is None or not (node.text or "").strip():
        return None
    try:
        return datetime.fromisoformat(node.text.strip().replace("Z", "+00:00")).replace(
            tzinfo=None)
    except ValueError:
        return None
