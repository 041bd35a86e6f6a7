"""Headless Chromium driven through the DevTools protocol over a pipe (no extra package).

Chromium reads protocol messages (JSON, each ending in a NUL byte) from file descriptor 3 and
writes replies and events to descriptor 4 when started with ``--remote-debugging-pipe``.
:func:`check_page` opens one page and returns what a reader's browser would show wrong:
console errors and uncaught exceptions, failed loads, images that did not load or have no
alternative text, and relative links that point to nothing.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: The flags the project runs Chromium with: no GPU, no sandbox (root in CI), nothing fetched
#: from the network on its own, a fresh profile every time.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium with a fresh ``--user-data-dir``; use as a context manager."""

    def __init__(self, executable: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="parole-chromium-")
        self.log = open(Path(self.profile) / "chromium.log", "wb")  # noqa: SIM115
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb() -> None:  # in the child: the protocol's descriptors 3 and 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=plumb, close_fds=False)  # noqa: PLW1509 - only dup2 runs in the child
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    # -- protocol ---------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer from chromium in {self.timeout:.0f} s"
                                   f"{self._log_tail()}")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError(f"chromium closed the pipe{self._log_tail()}")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict:
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)

    def _log_tail(self) -> str:
        self.log.flush()
        text = (Path(self.profile) / "chromium.log").read_text(errors="replace").strip()
        return f"; chromium log: {text[-1500:]}" if text else ""

    def close(self) -> None:
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class PageCheck:
    url: str
    title: str = ""
    problems: list[str] = field(default_factory=list)
    images: int = 0
    links: int = 0
    screenshot: Path | None = None


_INSPECT = """(() => {
  const imgs = [...document.images].map(i => ({src: i.getAttribute('src') || '',
      alt: i.getAttribute('alt'), ok: i.complete && i.naturalWidth > 0}));
  const links = [...document.querySelectorAll('a[href]')].map(a => ({
      href: a.getAttribute('href'), url: a.href}));
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
      .concat([...document.querySelectorAll('a[name]')].map(e => e.getAttribute('name')));
  return {title: document.title, imgs, links, ids,
          height: Math.max(document.documentElement.scrollHeight,
          document.body ? document.body.scrollHeight : 0, 600)};
})()"""


def _short(src: str) -> str:
    return src if len(src) < 80 else src[:60] + "..."


def check_page(browser: Chromium, page: Path, screenshot: Path | None = None,
               width: int = 1200) -> PageCheck:
    """Open ``page`` (a local HTML file) and list every problem a reader would meet."""
    url = page.resolve().as_uri()
    result = PageCheck(url)
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        nav = browser.send("Page.navigate", {"url": url}, session=session)
        if nav.get("errorText"):
            result.problems.append(f"page did not load: {nav['errorText']}")
            return result
        browser.wait_for("Page.loadEventFired", session)
        found = browser.send("Runtime.evaluate", {"expression": _INSPECT, "returnByValue": True},
                             session=session)["result"]["value"]
        result.title, result.images, result.links = (found["title"], len(found["imgs"]),
                                                      len(found["links"]))
        for img in found["imgs"]:
            if not img["ok"]:
                result.problems.append(f"image did not load: {_short(img['src'])}")
            if not (img["alt"] or "").strip():
                result.problems.append(f"image without alt text: {_short(img['src'])}")
        for link in found["links"]:
            result.problems += _link_problems(page, link["href"], link["url"], found["ids"])
        for event in list(browser.events):
            if event.get("sessionId") != session:
                continue
            result.problems += _event_problems(event)
        if screenshot is not None:
            height = min(int(found["height"]), 16000)
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": height, "deviceScaleFactor": 1,
                          "mobile": False}, session=session)
            shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            result.screenshot = screenshot
    finally:
        browser.send("Target.closeTarget", {"targetId": target})
        browser.events = [e for e in browser.events if e.get("sessionId") != session]
    return result


def _event_problems(event: dict) -> list[str]:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        text = details.get("exception", {}).get("description") or details.get("text")
        return [f"uncaught exception: {text}"]
    if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
        return [f"console error: {args}"]
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return [f"console error: {entry.get('text')} {entry.get('url', '')}".strip()]
    if method == "Network.loadingFailed" and not params.get("canceled"):
        return [f"failed to load a resource: {params.get('errorText')}"]
    return []


def _link_problems(page: Path, href: str, url: str, ids: list[str]) -> list[str]:
    """A link that is not relative, or a relative link whose file or anchor does not exist."""
    parts = urlsplit(href)
    if href.startswith("#"):
        anchor = href[1:]  # browsers try the fragment as written, then percent-decoded
        found = not anchor or anchor in ids or unquote(anchor) in ids
        return [] if found else [f"link to a missing anchor: {href}"]
    if parts.scheme in {"http", "https", "mailto"}:
        return []  # a link to the publisher; not followed (no network in tests)
    if parts.scheme or href.startswith("/"):
        return [f"link is not relative: {href}"]
    target = Path(unquote(urlsplit(url).path))
    if not target.exists():
        return [f"broken link: {href} (no {target.name} beside {page.name})"]
    return []
