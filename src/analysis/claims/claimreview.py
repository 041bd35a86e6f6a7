"""Verdicts as schema.org ``ClaimReview`` JSON-LD, the markup fact-checkers publish.

One ``ClaimReview`` per checked claim (``needs-input`` claims are not reviews and are left out):
``claimReviewed`` is the claim's text, ``reviewRating`` carries the verdict in words
(``alternateName``: "Supported", "Not supported", "Not checkable with public data") and, for
supported and not-supported claims, a number on a 1 (not supported) to 3 (supported) scale;
``itemReviewed`` is the ``Claim`` with its ``appearance`` (the article) and ``datePublished``
when the claims file gives them; ``author`` is the reviewing organisation, from
:func:`analysis.config.review_author` (``PAROLE_STATS_REVIEW_AUTHOR``) or ``--author``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from analysis import config
from analysis.claims.checker import Verdict

RATINGS = {"supported": (3, "Supported"), "not-supported": (1, "Not supported"),
           "not-checkable": (None, "Not checkable with public data")}


def claim_review(verdict: Verdict, *, article: str | None = None,
                 published: str | None = None, author: str | None = None,
                 reviewed_on: date | None = None) -> dict[str, Any] | None:
    """The ``ClaimReview`` of one verdict (None for a claim that still needs input)."""
    if verdict.verdict not in RATINGS:
        return None
    value, words = RATINGS[verdict.verdict]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": words}
    if value is not None:
        rating |= {"ratingValue": value, "bestRating": 3, "worstRating": 1}
    item: dict[str, Any] = {"@type": "Claim"}
    if article:
        work: dict[str, Any] = {"@type": "CreativeWork"}
        if article.startswith(("http://", "https://")):
            work["url"] = article
        else:
            work["name"] = article
        item["appearance"] = [work]
    if published:
        item["datePublished"] = published
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": verdict.text,
        "reviewRating": rating,
        "itemReviewed": item,
        "author": {"@type": "Organization", "name": author or config.review_author()},
        "datePublished": (reviewed_on or date.today()).isoformat(),
        "reviewBody": verdict.reason,
    }


def claim_reviews(verdicts: list[Verdict], **kwargs: Any) -> list[dict[str, Any]]:
    return [r for v in verdicts if (r := claim_review(v, **kwargs)) is not None]


def script_tag(review: dict[str, Any]) -> str:
    """The review as an HTML ``<script type="application/ld+json">`` element; ``<``, ``>`` and
    ``&`` are written as JSON escapes so no text in a claim can close the element."""
    text = json.dumps(review, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>'
