"""USCIS form numbers, row titles and table notes, shared by the service-wide report adapters
(quarterly :mod:`.uscis_all_forms` and monthly :mod:`.uscis_monthly`).

Two tables are data beside the code, in ``analysis/data/``:

* ``uscis_forms.csv`` (``form,title``): USCIS form numbers known to appear in the reports, with
  their titles (a form may have several). It is how a footnote number glued to a form number is
  told apart from the form number: ``I-13122`` is I-131 with note 22, ``I-92410`` is I-924 with
  note 10, ``I-6007`` is I-600 with note 7 (see :func:`resolve_label`).
* ``uscis_form_titles.csv`` (``form,match,title,category,comment``): row titles that map to a
  stable category slug, so a series runs unbroken across USCIS's renamings. ``match`` is
  ``title`` (the whole row title, case and spacing ignored) or ``suffix`` (the title ends with
  it, e.g. ``(Humanitarian Parole)``). A whole-title match wins over a suffix match. Rows not in
  the table get the slug of their title.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

from analysis.contract.periods import (  # noqa: F401 (used by the USCIS adapters as uf.*)
    DATE_RANGE,
    MONTH_PATTERN,
    date_range,
    month_of_name,
    parse_date,
)
from analysis.ingest.sources.reading import slug, text

#: a USCIS (or DOS) form number: I-131, I-129F, N-400, DS-230, G-325A, I-129CW
FORM_NUMBER = r"[A-Z]{1,4}-\d{1,4}[A-Z]{0,3}(?:/[A-Z0-9]+)?"
_FORM_ONLY = re.compile(rf"^{FORM_NUMBER}$")
_FORM_SPACED = re.compile(rf"^(?P<form>{FORM_NUMBER})\s+(?P<foot>\d{{1,2}})$")
_FORM_QUALIFIED = re.compile(rf"^(?P<form>{FORM_NUMBER})\s*(?P<qual>\([^()]*\))\s*"
                             r"(?P<foot>\d{1,2})?$")
_WORD_ROW = re.compile(r"^(?P<word>[A-Za-z][A-Za-z /&'.,()-]*?[A-Za-z.)])\s*(?P<foot>\d{1,2})?$")
_STOP = {"for", "of", "the", "a", "an", "to", "and", "or", "by", "on", "in", "under"}


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().lower()


def _tokens(value: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", value.lower()) if t not in _STOP}


@functools.cache
def known_forms() -> dict[str, tuple[str, ...]]:
    """Form number -> its known titles (``analysis/data/uscis_forms.csv``)."""
    raw = resources.files("analysis").joinpath("data/uscis_forms.csv").read_text("utf-8")
    found: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        found.setdefault(row["form"].strip(), []).append(row["title"].strip())
    return {form: tuple(titles) for form, titles in found.items()}


@dataclass(frozen=True)
class TitleRule:
    form: str
    match: str  # "title" or "suffix"
    title: str
    category: str


@functools.cache
def title_rules() -> tuple[TitleRule, ...]:
    """The row-title -> category table (``analysis/data/uscis_form_titles.csv``)."""
    raw = resources.files("analysis").joinpath("data/uscis_form_titles.csv").read_text("utf-8")
    rules = []
    for number, row in enumerate(csv.DictReader(io.StringIO(raw)), start=2):
        rule = TitleRule(row["form"].strip(), row["match"].strip(), _norm(row["title"]),
                         row["category"].strip())
        if rule.match not in ("title", "suffix") or slug(rule.category) != rule.category:
            raise ValueError(f"uscis_form_titles.csv line {number}: match must be title or "
                             f"suffix and category a slug, got {rule.match!r}, {rule.category!r}")
        rules.append(rule)
    return tuple(rules)


def strip_trailing_note(title: str) -> str:
    """A row title without a footnote number separated by a space ("... Parole) 23")."""
    return re.sub(r"\s+\d{1,2}$", "", text(title)).strip()


def title_category(form: str | None, title: str) -> str | None:
    """The stable category of a row title from the title table, or None when not listed."""
    key = _norm(strip_trailing_note(title))
    rules = [r for r in title_rules() if r.form == form]
    for rule in rules:
        if rule.match == "title" and key == rule.title:
            return rule.category
    for rule in rules:
        if rule.match == "suffix" and key.endswith(rule.title):
            return rule.category
    return None


def category_of(form: str | None, title: str, fallback: str = "") -> tuple[str, bool]:
    """``(category, from_table)``: the table's slug, else the slug of the title (or of
    ``fallback`` when the title is empty)."""
    found = title_category(form, title)
    if found is not None:
        return found, True
    return slug(strip_trailing_note(title)) or slug(fallback), False


# ---------------------------------------------------------------------------------------------
# row labels with glued footnote numbers


@dataclass(frozen=True)
class Label:
    """A row label as read: the form number (None for a row that names a group of forms, such
    as ``Waivers``), the footnote number glued to it, and how sure the split is."""

    published: str
    form: str | None
    footnote: int | None
    name: str  # the label without its footnote ("Waivers", "DS-230 (IV)", "I-131")
    evidence: str  # why the split was chosen ("" when nothing had to be decided)


def _title_matches(form: str, description: str) -> bool:
    words = _tokens(re.sub(r"\([^)]*\)", " ", description))
    if not words:
        return False
    for title in known_forms().get(form, ()):
        known = _tokens(re.sub(r"\([^)]*\)", " ", title))
        if known and len(words & known) / len(known) >= 0.6:
            return True
    return False


def _mentions_form(note: str, form: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9-]){re.escape(form)}(?![A-Za-z0-9])", note) is not None


def _score(form: str, foot: int | None, description: str,
           footnotes: dict[int, str]) -> tuple[int, list[str]]:
    score, why = 0, []
    if form in known_forms():
        score += 4
        why.append(f"{form} is a known form")
        if _title_matches(form, description):
            score += 2
            why.append("its title matches the description")
    elif len(re.sub(r"\D", "", form)) > 3:
        score -= 2  # USCIS benefit forms have at most three digits
    if foot is None:
        score += 1
    elif footnotes:
        if foot not in footnotes:
            score -= 3
        elif _mentions_form(footnotes[foot], form):
            score += 3
            why.append(f"note {foot} names {form}")
        else:
            score += 1
            why.append(f"note {foot} exists")
    return score, why


def resolve_label(label: str, description: str = "",
                  footnotes: dict[int, str] | None = None) -> Label | None:
    """Split a row label into form number and glued footnote number; None if it is neither a
    form number nor a word row.

    ``I-131 22`` is unambiguous. ``I-13122`` could be I-13122, I-1312 + note 2 or I-131 + note
    22: each reading is scored with the known-forms list (is the form known, does its title
    match the row's ``description``), the file's own ``footnotes`` (does note N exist, does it
    name the form) and the fact that USCIS form numbers have at most three digits; the best
    reading wins, and a reading taken on weak evidence says so in ``evidence``. Word rows
    (``Legalization13``, ``Waivers23``, ``EOIR Adjustment22``) have no form number and must
    share a word with their description (else None: a stray word is not a row title);
    ``DS-230 (IV)24`` is form DS-230 with note 24.
    """
    footnotes = footnotes or {}
    raw = text(label)
    if not raw:
        return None
    if m := _FORM_SPACED.match(raw):
        return Label(raw, m["form"], int(m["foot"]), m["form"], "")
    if _FORM_ONLY.match(raw) or re.match(rf"^{FORM_NUMBER}\d{{1,2}}$", raw):
        candidates: list[tuple[str, int | None]] = []
        for k in (0, 1, 2):
            base, tail = (raw, "") if k == 0 else (raw[:-k], raw[-k:])
            if k and (not tail.isdigit() or tail.startswith("0")):
                continue
            if _FORM_ONLY.match(base):
                candidates.append((base, int(tail) if tail else None))
        if candidates:
            scored = [(*_score(f, n, description, footnotes), f, n) for f, n in candidates]
            scored.sort(key=lambda s: (-s[0], s[3] is not None))
            best, why, form, foot = scored[0]
            if len(candidates) == 1:
                return Label(raw, form, foot, form, "")
            strong = form in known_forms() and (foot is None or foot in footnotes
                                                or not footnotes)
            evidence = "; ".join(why) if strong else (
                "weak evidence: " + ("; ".join(why) or f"{form} is not in the known-forms list"))
            return Label(raw, form, foot, form, evidence)
    if m := _FORM_QUALIFIED.match(raw):
        foot = int(m["foot"]) if m["foot"] else None
        return Label(raw, m["form"], foot, f"{m['form']} {m['qual']}", "")
    if (m := _WORD_ROW.match(raw)) and not re.search(r"\d", m["word"]):
        # a word row must be echoed by its description ("Waivers23" | "Waivers",
        # "Legalization13" | "Legalization/SAW"): a stray word beside figures is not a row title
        words = {w for w in _tokens(m["word"]) if len(w) >= 4}
        if words & _tokens(description):
            foot = int(m["foot"]) if m["foot"] else None
            return Label(raw, None, foot, m["word"].strip(), "")
    return None


# ---------------------------------------------------------------------------------------------
# the notes under a table

_REFERENCE = re.compile(r"^(?P<n>\d{1,2})\s+(?P<text>[A-Za-z\"'\u201c(].*)$")
_NOTE = re.compile(r"^(?P<n>\d{1,2})\)\s*(?P<text>\S.*)$")
_HEADING = re.compile(r"^[A-Za-z][A-Za-z ]{2,30}:$")
_HEADINGS = {"notes", "note", "source", "sources", "references", "table key", "footnotes"}


def numbered_lines(lines: list[str]) -> tuple[dict[int, str], dict[int, str]]:
    """``(references, notes)`` under a USCIS table: references are ``"22 This report ..."``
    (the numbers glued to headers and row labels), notes are ``"8) For the I-131 ..."``.
    A line that starts with neither continues the previous item; a heading ends it."""
    references: dict[int, str] = {}
    notes: dict[int, str] = {}
    current: tuple[dict[int, str], int] | None = None
    for line in lines:
        line = text(line)
        if not line:
            continue
        if m := _NOTE.match(line):
            current = (notes, int(m["n"]))
            notes[current[1]] = m["text"].strip()
        elif m := _REFERENCE.match(line):
            current = (references, int(m["n"]))
            references[current[1]] = m["text"].strip()
        elif _HEADING.match(line) or _norm(line) in _HEADINGS:
            current = None
        elif current is not None:
            book, n = current
            book[n] = f"{book[n]} {line}"
    return references, notes


def _qualifier(after: str) -> str:
    after = after.lstrip()
    if after.startswith("("):
        return after[1:].split(")", 1)[0]
    if after.startswith(","):
        return after[1:].split(",", 1)[0]
    return ""


def note_applies(note: str, form: str | None, description: str) -> bool:
    """Whether a publisher's note names this row: its form number (and, when the note
    qualifies the number, "I-131 (humanitarian parole)", the row whose title carries that
    qualifier), its full title, or, for a title without a parenthesised type, its core words
    ("Employment Authorization" for "Application for Employment Authorization")."""
    low, desc = _norm(note), _norm(description)
    if desc and len(desc) >= 20 and desc in low:
        return True
    if form:
        for m in re.finditer(rf"(?<![A-Za-z0-9-]){re.escape(form)}(?![A-Za-z0-9])", note):
            qual = _norm(_qualifier(note[m.end():]))
            if not qual or qual in desc or (desc and desc in qual):
                return True
    if desc and "(" not in desc:
        core = re.sub(r"^(application|petition|request|notice|registration)\s+(for|to|of)\s+",
                      "", desc)
        if len(core.split()) >= 2 and re.search(rf"\b{re.escape(core)}\b", low):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# dates written in title lines

# The one definition is contract.periods; these names are kept for the USCIS adapters.
MONTH_RE = MONTH_PATTERN
month_number = month_of_name

