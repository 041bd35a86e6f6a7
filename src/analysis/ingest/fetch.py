"""``parole fetch``: download official files into ``data/raw/<source>/`` through the manifest.

Only sources with known, stable addresses can be fetched; today that is the USCIS quarterly all-
forms report (``uscis-all-forms``). Its address on uscis.gov has varied over the years: folder
``document/data`` or ``document/reports``, lower or mixed case, an optional ``_v1`` suffix, and
the format of the period (CSV for FY2014-FY2018 and FY2021 Q4-FY2023 Q4, XLSX from FY2024;
FY2019-FY2021 Q3 exist only as PDF, which is not read). Every variant is tried in turn; a 404
moves on to the next, while network failures and server errors are retried with exponential
back-off, all within an overall deadline. A download goes to a temporary file, is checked (size
limit; not an HTML page; a workbook must open and a CSV must parse into a table), then
registered with :func:`analysis.ingest.manifest.add` under the publisher's own file name, with
its address and a citation. ``parole remove`` undoes a registration.
"""

from __future__ import annotations

import http.client
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tqdm import tqdm

from analysis.contract import periods
from analysis.errors import ParoleError
from analysis.ingest import manifest

DEFAULT_BASE_URL = "https://www.uscis.gov"
FETCHABLE = ("uscis-all-forms",)
MAX_BYTES = 50 * 1024 * 1024
USER_AGENT = "parole-stats (https://github.com/parole-stats/parole-stats)"
ALL_FORMS_TITLE = ("USCIS, Number of Service-wide Forms By Quarter, Form Status, and "
                   "Processing Time")


class OfflineError(ParoleError):
    """The server could not be reached at all."""


@dataclass
class Fetched:
    source: str
    url: str
    path: str
    changed: bool


def all_forms_format(fy: int, q: int) -> str:
    """The format USCIS published the all-forms report in for FY ``fy`` quarter ``q``."""
    if 2014 <= fy <= 2018 or (fy == 2021 and q == 4) or fy in (2022, 2023):
        return "csv"
    if fy >= 2024:
        return "xlsx"
    if 2019 <= fy <= 2021:
        return "pdf"
    raise ParoleError(f"FY{fy}: the all-forms report is not published before FY2014")


def all_forms_urls(fy: int, q: int, base_url: str = DEFAULT_BASE_URL) -> Iterator[str]:
    """Every known address variant of the all-forms report, most likely first: folder
    ``data``/``reports``, lower/mixed case, optional ``_v1``, the period's usual format and then
    the other one (16 addresses)."""
    ext = all_forms_format(fy, q)
    if ext == "pdf":
        raise ParoleError(f"FY{fy} Q{q}: the all-forms report exists only as PDF, which "
                          "parole-stats does not read; use the published figures instead")
    base = base_url.rstrip("/")
    names = [f"quarterly_all_forms_fy{fy}_q{q}", f"Quarterly_All_Forms_FY{fy}_Q{q}"]
    folders = ["data", "reports"] if ext == "csv" or fy < 2026 else ["reports", "data"]
    other = "csv" if ext == "xlsx" else "xlsx"
    for extension in (ext, other):  # the usual format first, then the other one
        for folder in folders:
            for name in names:
                for suffix in ("", "_v1"):
                    yield (f"{base}/sites/default/files/document/{folder}/{name}{suffix}."
                           f"{extension}")


def latest_quarters(today: date | None = None, count: int = 4) -> list[tuple[int, int]]:
    """The last ``count`` completed fiscal quarters, newest first."""
    day = today or date.today()
    fy = periods.fiscal_year_of(day)
    q = periods.fiscal_quarter_of(day).quarter
    out = []
    for _ in range(count):
        q -= 1
        if q == 0:
            fy, q = fy - 1, 4
        out.append((fy, q))
    return out


def _looks_right(path: Path, url: str) -> bool:
    head = path.read_bytes()[:512]
    if url.endswith(".xlsx"):
        return head.startswith(b"PK")
    return not head.lstrip().lower().startswith((b"<!doctype", b"<html"))


def check_content(path: Path, url: str) -> None:
    """Refuse a download that does not read as the table it should be: a workbook must open
    and hold a non-empty sheet, a CSV must parse into rows of several cells."""
    from analysis.errors import InputError
    from analysis.ingest.sources import reading

    name = url.rsplit("/", 1)[-1]
    try:
        grid = reading.read_grid(path)
    except InputError as exc:
        raise ParoleError(f"{url}: the download is not a readable table ({exc.problem}); "
                          "nothing was registered") from None
    wide = [r for r in range(len(grid.rows)) if sum(1 for t in grid.texts(r) if t) >= 2]
    if len(wide) < 2:
        raise ParoleError(f"{url}: {name} holds no table (fewer than two rows of several "
                          "cells); nothing was registered")


class _Deadline:
    """The time left of an overall download deadline (not per read)."""

    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds
        self.seconds = seconds

    def left(self, url: str, *, expired: bool = False) -> float | None:
        if self.end is None and not expired:
            return None
        left = 0.0 if expired else self.end - time.monotonic()
        if left <= 0:
            raise ParoleError(f"{url}: the download did not finish within the deadline of "
                              f"{self.seconds:g} s (--deadline); nothing was registered")
        return left


def download(url: str, dest: Path, *, timeout: float = 30.0, retries: int = 3,
             backoff: float = 1.0, progress: bool = True,
             deadline: float | None = 600.0) -> bool:
    """Download ``url`` to ``dest``; False on 404/410 (not there), True when saved.

    ``timeout`` bounds each wait for the server; ``deadline`` bounds the whole download,
    retries included, so a server trickling one byte at a time (in its headers or its body)
    cannot hold it forever: when the deadline passes, the connection is shut from a watchdog.
    Raises :class:`OfflineError` when the server cannot be reached after ``retries`` attempts
    with exponential back-off (``backoff``, ``2*backoff``, ...), and :class:`ParoleError` for
    other HTTP errors, a file over :data:`MAX_BYTES` or a missed deadline.
    """
    clock = deadline if isinstance(deadline, _Deadline) else _Deadline(deadline)
    last: Exception | None = None
    for attempt in range(retries):
        if attempt:
            left = clock.left(url)
            pause = backoff * 2 ** (attempt - 1)
            time.sleep(pause if left is None else min(pause, left))
        try:
            _attempt(url, dest, clock, timeout=timeout, progress=progress)
            return True
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return False
            if exc.code < 500 and exc.code != 429:
                raise ParoleError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            last = exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if isinstance(exc, ParoleError):
                raise
            clock.left(url)  # a read cut short by the deadline is reported as such
            last = exc
    raise _gave_up(url, retries, last)


def _gave_up(url: str, retries: int, last: Exception | None) -> ParoleError:
    if isinstance(last, urllib.error.HTTPError):
        return ParoleError(f"{url}: server error HTTP {last.code} after {retries} attempts")
    reason = getattr(last, "reason", last)
    host = urllib.request.urlparse(url).netloc
    return OfflineError(f"cannot reach {host} ({reason}) after {retries} attempts: are you "
                        "offline? Download the file in a browser and register it with "
                        "`parole add`")


def _attempt(url: str, dest: Path, clock: _Deadline, *, timeout: float,
             progress: bool) -> None:
    """One request of ``url`` into ``dest``, shut down by a watchdog at the deadline."""
    watch = _Watchdog()
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    left = clock.left(url)
    timer = None
    if left is not None:
        timer = threading.Timer(left, watch.fire)
        timer.daemon = True
        timer.start()
    try:
        wait = timeout if left is None else min(timeout, left)
        with watch.opener().open(request, timeout=wait) as response:
            _save(url, response, dest, clock, timeout=timeout, progress=progress)
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        if watch.fired:
            clock.left(url, expired=True)
        raise
    finally:
        if timer is not None:
            timer.cancel()
        watch.close()


def _save(url: str, response, dest: Path, clock: _Deadline, *, timeout: float,
          progress: bool) -> None:
    size = int(response.headers.get("Content-Length") or 0) or None
    if size and size > MAX_BYTES:
        raise ParoleError(f"{url}: {size / 1e6:.0f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit")
    written = 0
    with open(dest, "wb") as out, tqdm(total=size, unit="B", unit_scale=True,
                                       desc=url.rsplit("/", 1)[-1], disable=not progress,
                                       leave=False) as bar:
        while True:
            left = clock.left(url)
            _set_read_timeout(response, timeout if left is None else min(timeout, left))
            block = response.read1(1 << 16)  # returns what has arrived
            if not block:
                break
            written += len(block)
            if written > MAX_BYTES:
                raise ParoleError(f"{url}: over the {MAX_BYTES / 1e6:.0f} MB limit; download "
                                  "stopped")
            out.write(block)
            bar.update(len(block))
    if size is not None and written != size:
        raise ConnectionError(f"got {written} of {size} bytes")


class _Watchdog:
    """The sockets of one request, shut down at once when the overall deadline passes (a
    per-read timeout never fires against a server that trickles its headers)."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            if self.fired:
                _shut(sock)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self.sockets:
                _shut(sock)

    def close(self) -> None:
        with self._lock:
            self.sockets.clear()

    def opener(self) -> urllib.request.OpenerDirector:
        watch = self

        class Connection(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                watch.add(self.sock)

        class SecureConnection(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                watch.add(self.sock)

        class Handler(urllib.request.HTTPHandler):
            def http_open(self, req):  # noqa: ANN001 - urllib's signature
                return self.do_open(Connection, req)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, req):  # noqa: ANN001 - urllib's signature
                return self.do_open(SecureConnection, req, context=self._context)

        return urllib.request.build_opener(Handler, SecureHandler)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _set_read_timeout(response, seconds: float) -> None:
    """Shorten the socket's timeout to what is left of the deadline (best effort)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(0.01, seconds))
        except OSError:
            pass


def check_adapter_reads(path: Path, url: str, source: str, citation: str) -> None:
    """Refuse a download that the content detection does not take for ``source``, or that
    ``source``'s adapter cannot read into rows: registering it would break every later
    ``parole ingest``."""
    from analysis.ingest import sources

    name = url.rsplit("/", 1)[-1]
    try:
        detected = sources.detect(path)
    except ParoleError:
        detected = None
    if detected != source:
        raise ParoleError(f"{url}: {name} does not look like the {source} table (its content "
                          f"reads as {detected or 'no known source'}); nothing was registered")
    try:
        result = sources.load(path, source, source_file=name, citation=citation)
    except ParoleError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParoleError(f"{url}: the {source} adapter cannot read {name} ({problem}); "
                          "nothing was registered") from None
    if not any(len(frame) for frame in result.tables.values()):
        raise ParoleError(f"{url}: the {source} adapter finds no rows in {name}; nothing was "
                          "registered")


def fetch_all_forms(fy: int, q: int, *, data_dir: Path | str | None = None,
                    base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0, retries: int = 3,
                    backoff: float = 1.0, progress: bool = True,
                    deadline: float | None = 600.0) -> Fetched | None:
    """Find, download, check and register the all-forms report of FY ``fy`` Q ``q``; None
    if absent. ``deadline`` bounds the whole search and download."""
    clock = _Deadline(deadline)
    with tempfile.TemporaryDirectory(prefix="parole-fetch-") as tmp:
        for url in all_forms_urls(fy, q, base_url):
            name = url.rsplit("/", 1)[-1]
            part = Path(tmp) / name
            if not download(url, part, timeout=timeout, retries=retries, backoff=backoff,
                            progress=progress, deadline=clock):
                continue
            if not _looks_right(part, url):
                continue  # an HTML error page served with status 200
            check_content(part, url)
            citation = f"{ALL_FORMS_TITLE}, FY{fy} Q{q}. {url}"
            check_adapter_reads(part, url, "uscis-all-forms", citation)
            entry, changed = manifest.add(part, "uscis-all-forms", data_dir=data_dir, url=url,
                                          citation=citation, name=name)
            return Fetched("uscis-all-forms", url, entry.path, changed)
    return None


def run(sources: list[str], *, fiscal_year: int | None = None, quarter: int | None = None,
        data_dir: Path | str | None = None, base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
        progress: bool = True, today: date | None = None,
        deadline: float | None = 600.0) -> list[Fetched]:
    """Fetch each source for the given quarter (or the newest quarter found)."""
    for source in sources:
        if source not in FETCHABLE:
            raise ParoleError(f"{source!r} cannot be fetched (no stable address is known); "
                              f"fetchable: {', '.join(FETCHABLE)}. Download it by hand and "
                              "use `parole add`")
    if quarter is not None and fiscal_year is None:
        raise ParoleError("--quarter needs --fiscal-year")
    if quarter is not None and not 1 <= quarter <= 4:
        raise ParoleError(f"--quarter {quarter}: expected 1 to 4")
    if fiscal_year is not None:
        wanted = [(fiscal_year, quarter)] if quarter else [(fiscal_year, n) for n in (1, 2, 3, 4)]
        newest_only = False
    else:
        wanted = latest_quarters(today)
        newest_only = True
    fetched: list[Fetched] = []
    kw = {"data_dir": data_dir, "base_url": base_url, "timeout": timeout, "retries": retries,
          "backoff": backoff, "progress": progress, "deadline": deadline}
    for fy, q in wanted:
        got = fetch_all_forms(fy, q, **kw)
        if got:
            fetched.append(got)
            if newest_only:
                break
        elif not newest_only:
            print(f"FY{fy} Q{q}: not found at any known address")
    if not fetched:
        shown = ", ".join(f"FY{fy} Q{q}" for fy, q in wanted)
        raise ParoleError(f"no all-forms report found for {shown} under {base_url}")
    return fetched
