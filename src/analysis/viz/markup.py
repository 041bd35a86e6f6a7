"""Text from data or parameters made inert before it reaches a report's Markdown or HTML.

Every string a report shows that came from a file or a parameter (a claims file's title, a
claim's text, a file name, a citation) goes through one of these: nothing in it can become a
tag, an attribute, a link or a script, whatever it contains.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# Markdown's own punctuation, escaped with a backslash (CommonMark allows it before any ASCII
# punctuation); & < > become HTML entities so that no raw HTML survives.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$^])")


_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)


def _escape(text: str) -> str:
    # quotes stay quotes: Markdown text is never an attribute, and an entity such as
    # &#x27; is escaped a second time by some Markdown renderers ("Children&#x27;s")
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_text(value: object) -> str:
    """``value`` as plain text inside Markdown: one line, no emphasis, no HTML; the only links
    are http(s) addresses written out in it (as autolinks, so ``_`` in them stays intact)."""
    text = " ".join(str(value).split())
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]")
        out.append(_escape(text[last:match.start()]))
        out.append(f"<{url}>" if safe_url(url) else _escape(url))
        last = match.start() + len(url)
    out.append(_escape(text[last:]))
    return "".join(out)


def md_code(value: object) -> str:
    """``value`` as an inline code span whose fence is longer than any run of backticks in it
    (so a backtick cannot close it early); code spans show their content literally."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(value: object) -> str:
    """``value`` as HTML text or attribute value."""
    return html.escape(str(value), quote=True)


def safe_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) address, else None (``javascript:``, ``data:``
    and relative addresses never become links)."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(
            r"[\s<>\"'`]", text):
        return text
    return None


def md_link(label: object, url: object) -> str:
    """A Markdown link when ``url`` is http(s), else the label and address as plain text."""
    safe = safe_url(url)
    if safe is None:
        return md_text(label) + (f" ({md_text(url)})" if str(url).strip() else "")
    return f"[{md_text(label)}](<{safe.replace('>', '%3E')}>)"


def json_for_html(value: object, *, indent: int | None = 2) -> str:
    """``value`` as JSON that stays inert inside an HTML ``<script>`` element (JSON-LD):
    ``<``, ``>``, ``&`` and the line separators U+2028/U+2029 are written as JSON escapes, so
    no text in it (a claim, an author such as ``</script><script>...``) can close the element
    or start another. Still plain JSON: any JSON reader gets the same values back."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text
