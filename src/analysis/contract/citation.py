"""References for a figure's source, as CSL-JSON and BibTeX.

A reference is built from what the project already records about a figure: the publisher's
table title, the publisher, the address (URL) and the date the file was retrieved (the access
date, from ``data/raw/manifest.csv``). ``parole cite`` prints them; a paper's reference manager
reads either form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Reference:
    """One cited work: a published table (a dataset, in CSL's vocabulary).

    >>> r = Reference("orr", "UC Released by State", "HHS ORR",
    ...               url="https://acf.gov/orr", accessed="2026-11-23", year="2021")
    >>> r.source_line()
    'HHS ORR, UC Released by State (2021), https://acf.gov/orr, accessed 2026-11-23'
    """

    id: str
    title: str
    publisher: str
    url: str = ""
    accessed: str = ""  # YYYY-MM-DD: when the file was retrieved
    year: str = ""  # the year the figures are about or were issued
    note: str = ""

    def source_line(self) -> str:
        """The reference as one line for a chart or table's source note."""
        parts = [f"{self.publisher}, {self.title}" if self.publisher else self.title]
        if self.year:
            parts[0] += f" ({self.year})"
        if self.url:
            parts.append(self.url)
        if self.accessed:
            parts.append(f"accessed {self.accessed}")
        return ", ".join(parts)


def csl(ref: Reference) -> dict:
    """The reference as a CSL-JSON item (the format Zotero, Pandoc and citeproc read).

    >>> csl(Reference("x", "T", "P", accessed="2026-11-23"))["accessed"]
    {'date-parts': [[2026, 11, 23]]}
    """
    item: dict = {"id": ref.id, "type": "dataset", "title": ref.title,
                  "author": [{"literal": ref.publisher}] if ref.publisher else [],
                  "publisher": ref.publisher}
    if ref.url:
        item["URL"] = ref.url
    if ref.year:
        item["issued"] = {"date-parts": [[int(ref.year)]]}
    if ref.accessed:
        day = date.fromisoformat(ref.accessed)
        item["accessed"] = {"date-parts": [[day.year, day.month, day.day]]}
    if ref.note:
        item["note"] = ref.note
    return item


def _bib_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def bibtex(ref: Reference) -> str:
    """The reference as a BibTeX ``@misc`` entry (biblatex reads ``urldate``).

    >>> print(bibtex(Reference("a_b", "T & U", "P", year="2021")))
    @misc{a_b,
      title = {T \\& U},
      author = {{P}},
      publisher = {P},
      year = {2021}
    }
    """
    key = re.sub(r"[^A-Za-z0-9_:-]+", "-", ref.id)
    fields = [("title", _bib_escape(ref.title)),
              ("author", "{" + _bib_escape(ref.publisher) + "}" if ref.publisher else ""),
              ("publisher", _bib_escape(ref.publisher)), ("year", ref.year),
              ("howpublished", f"\\url{{{ref.url}}}" if ref.url else ""),
              ("url", ref.url), ("urldate", ref.accessed),
              ("note", _bib_escape(ref.note))]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{key},\n{body}\n}}"


def render(refs: list[Reference], style: str = "bibtex") -> str:
    """Several references as BibTeX entries, CSL-JSON (a list) or source lines (``text``)."""
    if style == "csl":
        return json.dumps([csl(r) for r in refs], indent=2, ensure_ascii=False)
    if style == "text":
        return "\n".join(r.source_line() for r in refs)
    return "\n\n".join(bibtex(r) for r in refs)
