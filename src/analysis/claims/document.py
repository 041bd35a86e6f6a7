"""An article read as a document: headline, body sentences with their context, the date.

:func:`read` normalises the text (invisible characters inside numbers, digits of other
scripts), drops boilerplate (navigation, donation appeals, "Loading...", page dates and tag
lists), takes the first line as the headline when it reads like one, and gives every
sentence the sentences before it in its paragraph. A date line ("Checked on November 15,
2025", "Published: 2024-05-01", "December 30, 2021") gives the article's date, used for
relative periods ("last fiscal year") unless ``--date`` is given.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from analysis.claims.extract import sentences
from analysis.errors import ParoleError

#: characters that may sit invisibly inside a number ("5<ZWSP>000") and are removed
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
BOILERPLATE = re.compile(
    r"^(?:loading\.*|goal:|donate|subscribe|sign\s+up|share\s+this|advertisement|read\s+more|"
    r"learn\s+more|related:|want\s+to\s+dive\s+deeper|disclaimer:|key\s+points$|"
    r"keep\s+\w+\s+independent|whether\s+you\s+agree|we\s+don't\s+take\s+money|"
    r"click\s+here|follow\s+us|copyright|©|all\s+rights\s+reserved)", re.I)
DONATION = re.compile(r"\b(?:donat\w+|subscrib\w+|newsletter|supporters?\s+goal)\b", re.I)
DATE_LINE = re.compile(
    r"^(?:(?:published|updated|posted|checked\s+on|date)[:\s]+)?(?:on\s+)?"
    r"(?P<date>(?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4})|(?:\d{1,2}\s+[A-Z][a-z]+\s+\d{4})|"
    r"(?:\d{4}-\d{2}-\d{2}))(?:\s.*)?$", re.I)
DATE_FORMATS = ("%B %d, %Y", "%B %d %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%Y-%m-%d")


@dataclass
class Sentence:
    text: str
    index: int
    previous: list[str] = field(default_factory=list)
    is_title: bool = False


@dataclass
class Document:
    title: str
    sentences: list[Sentence]
    date: date | None
    date_words: str | None = None
    skipped: list[str] = field(default_factory=list)


def normalise(text: str) -> str:
    """Invisible characters removed; digits of other scripts (fullwidth, Arabic-Indic, ...)
    turned into ASCII digits explicitly, so "５,０００" and "5\u200b000" read as 5,000."""
    text = INVISIBLE.sub("", text)
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii()
                   and unicodedata.digit(ch, None) is not None else ch for ch in text)


def parse_date(text: str) -> date | None:
    """A date written in an article ("November 15, 2025", "2025-11-15"), or None."""
    cleaned = re.sub(r"\s+", " ", text.strip().rstrip("."))
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def _is_boilerplate(line: str) -> bool:
    if BOILERPLATE.search(line):
        return True
    if len(line) < 80 and DONATION.search(line):
        return True
    return len(line.split()) <= 2 and not re.search(r"\d", line)


def _date_of(line: str) -> date | None:
    m = DATE_LINE.match(line.strip())
    return parse_date(m["date"]) if m and len(line) < 80 else None


def _looks_like_title(line: str) -> bool:
    return len(line) <= 160 and not line.rstrip().endswith((".", ":")) and \
        len(line.split()) >= 3


def check_size(text: str, limit: int, origin: str) -> None:
    if len(text) > limit:
        raise ParoleError(f"{origin}: article of {len(text):,} characters is over the limit "
                          f"max_article_chars={limit:,} (give --limit max_article_chars=N)")


def read(text: str, *, published: date | None = None) -> Document:
    """The article as a document (see the module docstring)."""
    lines = [ln.strip() for ln in normalise(text).splitlines()]
    found_date, date_words, skipped, body = None, None, [], []
    for line in lines:
        if not line:
            body.append("")
            continue
        when = _date_of(line)
        if when is not None:
            found_date = found_date or when
            date_words = date_words or line
            skipped.append(line)
        elif _is_boilerplate(line):
            skipped.append(line)
        else:
            body.append(line)
    content = [ln for ln in body if ln]
    title = content[0] if content and _looks_like_title(content[0]) else ""
    out: list[Sentence] = []
    paragraph: list[str] = []  # the sentences read so far (context carries across lines)
    seen_title = False
    for line in body:
        if not line:
            continue
        if title and line == title:
            if not seen_title:
                out.append(Sentence(line, len(out), [], is_title=True))
            seen_title = True
            continue
        for s in sentences(line):
            out.append(Sentence(s, len(out), paragraph[-2:]))
            paragraph.append(s)
    return Document(title, out, published or found_date, date_words, skipped)
