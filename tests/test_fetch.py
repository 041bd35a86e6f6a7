"""``parole fetch`` against a local HTTP server started by the tests (never the internet)."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from datetime import date
from pathlib import Path

import pytest

from analysis.errors import ParoleError
from analysis.ingest import fetch, manifest

FIXTURES = Path(__file__).parent / "fixtures" / "uscis"


class Handler(http.server.SimpleHTTPRequestHandler):
    fail_first: dict[str, int] = {}
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Handler.seen.append(self.path)
        left = Handler.fail_first.get(self.path, 0)
        if left:
            Handler.fail_first[self.path] = left - 1
            self.send_error(503, "busy")
            return
        super().do_GET()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "site"
    Handler.fail_first = {}
    Handler.seen = []
    handler = functools.partial(Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def publish(root: Path, rel: str, source: Path) -> None:
    dest = root / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest)


def publish_workbook(root: Path, rel: str, source: Path) -> None:
    """A real (small) workbook holding the rows of CSV ``source``."""
    import csv

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    with open(source, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    dest = root / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(dest)


def test_url_variants_and_formats():
    site = "https://x.test/sites/default/files/document"
    urls = list(fetch.all_forms_urls(2022, 2, "https://x.test"))
    assert urls[0] == f"{site}/data/quarterly_all_forms_fy2022_q2.csv"
    assert f"{site}/data/Quarterly_All_Forms_FY2022_Q2.csv" in urls
    assert f"{site}/reports/quarterly_all_forms_fy2022_q2_v1.csv" in urls
    assert len(urls) == 16 and all(u.endswith(".csv") for u in urls[:8])
    assert all(u.endswith(".xlsx") for u in list(fetch.all_forms_urls(2025, 1))[:8])
    with pytest.raises(ParoleError, match="only as PDF"):
        list(fetch.all_forms_urls(2020, 1))


def test_latest_quarters():
    assert fetch.latest_quarters(date(2025, 2, 10), 3) == [(2025, 1), (2024, 4), (2024, 3)]
    assert fetch.latest_quarters(date(2024, 11, 1), 1) == [(2024, 4)]


def test_fetch_finds_variant_and_registers(server, tmp_path):
    root, base = server
    rel = "sites/default/files/document/reports/Quarterly_All_Forms_FY2025_Q1_v1.csv"
    publish(root, rel, FIXTURES / "quarterly_all_forms_fy2025_q1.csv")
    data_dir = tmp_path / "data"
    got = fetch.run(["uscis-all-forms"], fiscal_year=2025, quarter=1, data_dir=data_dir,
                    base_url=base, timeout=5, retries=2, backoff=0.01, progress=False)
    assert [g.path for g in got] == ["uscis-all-forms/Quarterly_All_Forms_FY2025_Q1_v1.csv"]
    saved = data_dir / "raw" / got[0].path
    assert saved.read_bytes() == (FIXTURES / "quarterly_all_forms_fy2025_q1.csv").read_bytes()
    entry = manifest.read(data_dir)[0]
    assert entry.url == f"{base}/{rel}" and "FY2025 Q1" in entry.citation
    assert entry.sha256 == manifest.sha256(saved)
    # a second run finds the same file and changes nothing
    again = fetch.run([], fiscal_year=2025, quarter=1, data_dir=data_dir, base_url=base,
                      timeout=5, retries=1, backoff=0.01, progress=False)
    assert again[0].changed is False


def test_retries_server_errors_with_backoff(server, tmp_path):
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.xlsx"
    publish_workbook(root, rel, FIXTURES / "quarterly_all_forms_fy2025_q1.csv")
    Handler.fail_first = {"/" + rel: 2}
    got = fetch.run(["uscis-all-forms"], fiscal_year=2025, quarter=1, data_dir=tmp_path / "d",
                    base_url=base, timeout=5, retries=3, backoff=0.01, progress=False)
    assert got[0].url.endswith(rel)
    assert Handler.seen.count("/" + rel) == 3


def test_html_error_page_is_not_registered(server, tmp_path):
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.xlsx"
    (root / rel).parent.mkdir(parents=True)
    (root / rel).write_text("<!DOCTYPE html><html>Page not found</html>")
    with pytest.raises(ParoleError, match="no all-forms report found for FY2025 Q1"):
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=tmp_path / "d", base_url=base,
                  timeout=5, retries=1, backoff=0.01, progress=False)
    assert manifest.read(tmp_path / "d") == []


def test_newest_quarter_when_none_given(server, tmp_path):
    root, base = server
    publish_workbook(root, "sites/default/files/document/data/quarterly_all_forms_fy2024_q4.xlsx",
                     FIXTURES / "quarterly_all_forms_fy2025_q1.csv")
    got = fetch.run([], data_dir=tmp_path / "d", base_url=base, timeout=5, retries=1,
                    backoff=0.01, progress=False, today=date(2025, 2, 1))
    assert got[0].path.endswith("quarterly_all_forms_fy2024_q4.xlsx")


def test_offline_gives_one_clean_message(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(fetch.OfflineError) as info:
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=tmp_path / "d",
                  base_url=f"http://127.0.0.1:{port}", timeout=1, retries=2, backoff=0.01,
                  progress=False)
    message = str(info.value)
    assert "\n" not in message and "are you offline?" in message
    assert f"127.0.0.1:{port}" in message and "parole add" in message


def test_unknown_or_unfetchable_source(tmp_path):
    with pytest.raises(ParoleError, match="cannot be fetched"):
        fetch.run(["hhs-orr-uc"], fiscal_year=2025, quarter=1, data_dir=tmp_path)


def test_cli_registration(server, tmp_path, capsys):
    import argparse

    root, base = server
    publish_workbook(root, "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.xlsx",
                     FIXTURES / "quarterly_all_forms_fy2025_q1.csv")
    parser = argparse.ArgumentParser()
    from analysis.cli.ingest import REGISTER

    REGISTER["fetch"](parser.add_subparsers())
    args = parser.parse_args(["fetch", "uscis-all-forms", "--fiscal-year", "2025", "--quarter",
                              "1", "--base-url", base, "--data-dir", str(tmp_path / "d"),
                              "--retries", "1", "-q"])
    assert args.func(args) == 0
    assert "fetched data/raw/uscis-all-forms/quarterly_all_forms_fy2025_q1.xlsx" in (
        capsys.readouterr().out)


def test_garbage_after_a_zip_signature_is_not_registered(server, tmp_path):
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.xlsx"
    (root / rel).parent.mkdir(parents=True)
    (root / rel).write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    data_dir = tmp_path / "d"
    with pytest.raises(ParoleError, match="not a readable table.*nothing was registered"):
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=data_dir, base_url=base,
                  timeout=5, retries=1, backoff=0.01, progress=False)
    assert manifest.read(data_dir) == []
    assert not (data_dir / "raw" / "uscis-all-forms").exists()


def test_a_csv_that_is_not_a_table_is_not_registered(server, tmp_path):
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.csv"
    (root / rel).parent.mkdir(parents=True)
    (root / rel).write_text("just one line of text\n")
    with pytest.raises(ParoleError, match="holds no table"):
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=tmp_path / "d", base_url=base,
                  timeout=5, retries=1, backoff=0.01, progress=False)
    assert manifest.read(tmp_path / "d") == []


@pytest.fixture
def trickle():
    """A server sending its body one byte every 0.3 s (never idle long enough for a per-read
    timeout)."""
    import time

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_overall_deadline_stops_a_trickling_server(trickle, tmp_path):
    import time

    started = time.monotonic()
    with pytest.raises(ParoleError, match="within the deadline of 1.5 s"):
        fetch.download(f"{trickle}/slow.csv", tmp_path / "slow.csv", timeout=5, retries=2,
                       backoff=0.01, progress=False, deadline=1.5)
    assert time.monotonic() - started < 4  # per-read timeout (5 s) never fired


def test_remove_undoes_a_fetch(server, tmp_path, capsys):
    from analysis import cli

    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.csv"
    publish(root, rel, FIXTURES / "quarterly_all_forms_fy2025_q1.csv")
    data_dir = tmp_path / "d"
    got = fetch.run([], fiscal_year=2025, quarter=1, data_dir=data_dir, base_url=base,
                    timeout=5, retries=1, backoff=0.01, progress=False)
    stored = data_dir / "raw" / got[0].path
    assert stored.is_file()
    assert cli.main(["remove", f"data/raw/{got[0].path}", "--data-dir", str(data_dir)]) == 0
    assert "unregistered data/raw/uscis-all-forms/" in capsys.readouterr().out
    assert manifest.read(data_dir) == [] and not stored.exists()
    assert cli.main(["remove", got[0].path, "--data-dir", str(data_dir)]) == 2
    assert "not registered" in capsys.readouterr().err


@pytest.fixture
def header_trickle():
    """A server that trickles its *headers*, one byte every 0.2 s, forever (a per-read timeout
    never fires; only the overall deadline can stop it)."""
    import socketserver
    import time

    class Slow(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                self.request.recv(4096)
                self.request.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(3000):
                    self.request.sendall(b"X")
                    time.sleep(0.2)
            except OSError:
                pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_overall_deadline_holds_while_a_server_trickles_headers(header_trickle, tmp_path,
                                                                 capsys):
    import time

    from analysis import cli

    started = time.monotonic()
    code = cli.main(["fetch", "--fiscal-year", "2025", "--quarter", "1", "--base-url",
                     header_trickle, "--timeout", "5", "--deadline", "2", "--retries", "2",
                     "--data-dir", str(tmp_path), "-q"])
    assert time.monotonic() - started < 6
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "within the deadline of 2 s" in err and "unexpected" not in err
    assert manifest.read(tmp_path) == []


def test_a_download_the_adapter_cannot_read_is_not_registered(server, tmp_path):
    """A two-line CSV passes the table check but is no all-forms report: registering it would
    break every later ingest."""
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.csv"
    (root / rel).parent.mkdir(parents=True)
    (root / rel).write_text("a,b,c\n1,2,3\n4,5,6\n")
    data_dir = tmp_path / "d"
    with pytest.raises(ParoleError, match=r"does not look like the uscis-all-forms table.*"
                                          r"nothing was registered"):
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=data_dir, base_url=base,
                  timeout=5, retries=1, backoff=0.01, progress=False)
    assert manifest.read(data_dir) == []
    assert not (data_dir / "raw" / "uscis-all-forms").exists()


def test_a_look_alike_the_adapter_refuses_is_not_registered(server, tmp_path):
    """Detected as the all-forms report by its header, but its rows do not read."""
    root, base = server
    rel = "sites/default/files/document/data/quarterly_all_forms_fy2025_q1.csv"
    lines = (FIXTURES / "quarterly_all_forms_fy2025_q1.csv").read_text(
        encoding="utf-8-sig").splitlines()
    header_end = next(i for i, line in enumerate(lines) if "I-131" in line)
    (root / rel).parent.mkdir(parents=True)
    (root / rel).write_text("\n".join(lines[:header_end]) + "\n")
    data_dir = tmp_path / "d"
    with pytest.raises(ParoleError, match="nothing was registered"):
        fetch.run([], fiscal_year=2025, quarter=1, data_dir=data_dir, base_url=base,
                  timeout=5, retries=1, backoff=0.01, progress=False)
    assert manifest.read(data_dir) == []
