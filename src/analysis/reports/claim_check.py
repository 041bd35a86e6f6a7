"""The fact-check sheet of ``notebooks/claim_check.ipynb``: one card and one small chart per
claim, built from :class:`~analysis.claims.checker.Verdict` objects (the notebook stays thin)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.ticker
import pandas as pd

from analysis import config
from analysis.claims.checker import Verdict, fmt
from analysis.errors import ParoleError
from analysis.viz import charts, formatting
from analysis.viz.formatting import MARKS
from analysis.viz.markup import md_code, md_text
from analysis.viz.provenance import source_line

#: Verdict badges: marks that need no emoji font (see analysis.viz.formatting.MARKS).
BADGES = {key: f"{MARKS[key]} {word}" for key, word in (
    ("supported", "Supported"), ("not-supported", "Not supported"),
    ("not-checkable", "Not checkable"), ("needs-input", "Needs input"))}


def resolve_claims_file(claims_file: str) -> Path:
    """``claims_file`` as given, relative paths against the project root; only files inside
    the project or an allowed folder (:func:`analysis.config.allowed_input`) are read."""
    if not str(claims_file).strip():
        raise ParoleError("claims_file is empty; give a claims file such as "
                          "data/claims/seed_article.yml")
    return config.allowed_input(claims_file, "claims file", base=config.project_root())


def _md(text: object) -> str:
    """Plain text made safe for Markdown (no emphasis, link or HTML; see
    :func:`analysis.viz.markup.md_text`), slugs and codes in plain words, "(1 figure)"."""
    words = formatting.plain(text) if text is not None else text
    if isinstance(words, str):
        words = re.sub(r"\b1 figures\b", "1 figure", words)
    return md_text(words)


def header_markdown(path: Path | str, claims) -> str:
    """The sheet's first line: the claims file's name and the title it gives, both inert."""
    title = getattr(claims, "title", None)
    return f"**Claims file:** {md_code(Path(path).name)}" + (f" ({md_text(title)})" if title
                                                               else "")


def summary_markdown(verdicts: list[Verdict]) -> str:
    counts = {name: sum(v.verdict == name for v in verdicts) for name in BADGES}
    text = (f"**{len(verdicts)} claims:** {counts['supported']} supported, "
            f"{counts['not-supported']} not supported, {counts['not-checkable']} not "
            "checkable with public data")
    if counts["needs-input"]:
        text += f", {counts['needs-input']} not yet stated completely (needs input)"
    return text + "."


def evidence_source(verdict: Verdict) -> str:
    if not verdict.evidence:
        return ""
    frame = pd.DataFrame([{"citation": e.citation, "source_file": e.source_file,
                           "period": e.period} for e in verdict.evidence])
    return source_line(frame)


def card_markdown(verdict: Verdict) -> str:
    """One claim as a Markdown card: verdict, claim, numbers, reason, nearest data, sources."""
    v = verdict
    lines = [f"### {BADGES[v.verdict]}: {md_code(v.id)}", "", f"> {_md(v.text)}", "",
             f"**Why:** {_md(v.reason)}", ""]
    if v.computed is not None:
        numbers = (f"**Claimed:** {_md(fmt(v.claimed, v.metric, v.unit))} "
                   f"({_md(v.comparator)}) · **Data:** {_md(fmt(v.computed, v.metric, v.unit))}")
        if v.lower is not None:
            numbers += (f" · **{_md(v.interval_method)} interval:** "
                        f"{_md(fmt(v.lower, v.metric))} to {_md(fmt(v.upper, v.metric))}")
        lines += [numbers, "", f"*Method:* {_md(v.method)}", ""]
    if v.missing:
        lines += [f"**Missing from public data:** {_md(v.missing)}", ""]
    for key in v.needs:
        considered = v.candidates.get(key)
        lines.append(f"- **Give `{key}`**" + (f" (candidates: {_md(', '.join(considered))})"
                                               if considered else ""))
    if v.nearest:
        lines.append("**Closest data that exist:**")
        for near in v.nearest:
            detail = f": {_md(near.detail)}" if near.detail else ""
            lines.append(f"- {_md(near.dataset)}{detail}. *Caveat:* {_md(near.caveat)}")
        lines.append("")
    for note in v.notes:
        lines.append(f"- *Note:* {_md(note)}")
    source = evidence_source(v)
    if source:
        lines += ["", f"<small>{_md(source)}</small>"]
    return "\n".join(lines)


#: How the claim line is labelled, by the claim's comparator (never "claimed (about)").
COMPARATOR_WORDS = {"about": "claimed: about", "at-least": "claimed: at least",
                    "at-most": "claimed: at most", "more-than": "claimed: more than",
                    "less-than": "claimed: less than"}


def chart(verdict: Verdict):
    """A one-line chart: the data's value (with its interval) against the claim (and its
    tolerance band). ``None`` when the data give no value."""
    v = verdict
    if v.computed is None:
        return None
    fig, ax = charts.figure("print")
    fig.set_figheight(3.2)  # room for a source line with the publisher address
    scale = 100.0 if v.metric in ("share", "rate", "change") else 1.0
    colour_data, colour_claim = charts.PALETTE[0], charts.PALETTE[3]
    if v.comparator == "about" and v.tolerance:
        ax.axvspan((v.claimed - v.tolerance) * scale, (v.claimed + v.tolerance) * scale,
                   color=colour_claim, alpha=0.15, lw=0)
    ax.axvline(v.claimed * scale, color=colour_claim, lw=2)
    ax.annotate(COMPARATOR_WORDS.get(v.comparator, "claimed"), (v.claimed * scale, 1.35),
                color=colour_claim,
                ha="center", fontsize=8, annotation_clip=False)
    if v.lower is not None:
        ax.hlines(1, v.lower * scale, v.upper * scale, color=colour_data, lw=3)
    ax.plot([v.computed * scale], [1], "o", color=colour_data, ms=9)
    ax.annotate("data", (v.computed * scale, 0.62), color=colour_data, ha="center", fontsize=8)
    ax.set_ylim(0.4, 1.6)
    ax.set_yticks([])
    if scale == 100:
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(100))
    elif v.unit:
        ax.set_xlabel(v.unit, fontsize=8)
    ax.margins(x=0.25)
    title = f"{BADGES[v.verdict].split(' ', 1)[1]}: data {fmt(v.computed, v.metric, v.unit)}, " \
            f"claimed {fmt(v.claimed, v.metric, v.unit)}"
    subtitle = "What the data give (dot" + (", bar: 95% Wilson interval" if v.lower is not None
                                            else "") + ") against the claim (line" + (
        ", shaded: tolerance" if v.comparator == "about" and v.tolerance else "") + ")"
    charts.finish(fig, ax, title=title, subtitle=subtitle, source=evidence_source(v))
    fig.subplots_adjust(top=0.62, bottom=0.36)
    return fig


def claim_review_html(verdict: Verdict, claims) -> str:
    """The verdict's schema.org ClaimReview as a JSON-LD script element ('' when the claim
    still needs input)."""
    from analysis.claims.claimreview import claim_review, script_tag

    review = claim_review(verdict, article=claims.article, published=claims.published)
    return script_tag(review) if review else ""


def validate_parameters(p: dict) -> Path:
    """The claims file or article named by ``claims_file``, read and checked before a kernel
    starts (found by name by :mod:`analysis.reports.render`)."""
    from analysis.claims import load_input

    try:
        path = resolve_claims_file(p["claims_file"])
        load_input(path)
    except ParoleError as exc:
        raise ValueError(str(exc)) from None
    return path
