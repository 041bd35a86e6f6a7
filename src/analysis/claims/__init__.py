"""Fact-checking claims: structured claims checked against the ingested data.

``check(claims_or_path, data_dir=None) -> list[Verdict]`` reads a claims file (YAML, validated
by :mod:`analysis.claims.model`), checks each claim (:mod:`analysis.claims.checker`) and returns
one :class:`Verdict` per claim: ``supported``, ``not-supported``, ``not-checkable`` or
``needs-input``. ``parole check ARTICLE.txt|CLAIMS.yml [--json|--claimreview]`` prints the same,
inferring the claims of an article first (:mod:`analysis.claims.infer`); ``parole claims
extract ARTICLE.txt`` writes a claims-file skeleton (:mod:`analysis.claims.extract`).
Users' guide: ``docs/claims.md``.

JSON output (``parole check --json``), schema_version "2" (adds needs-input, ``needs``,
``candidates``, ``claim`` and ``inferred``; see docs/claims.md)
---------------------------------------------------------
Keys are only ever added within a schema version; renaming or removing one bumps it::

    {
      "schema_version": "2",
      "claims_file": "data/claims/seed_article.yml",   # as given on the command line
      "summary": {"supported": 1, "not-supported": 0, "not-checkable": 10},
      "verdicts": [
        {
          "id": "ca-share-fy2019",            # the claim's id
          "text": "...",                      # the claim's text
          "metric": "share",                  # count|share|rate|change|comparison|duration|amount
          "verdict": "supported",             # supported|not-supported|not-checkable
          "claimed": 0.12,                    # the claim's value (shares/rates as fractions)
          "comparator": "about",              # about|more-than|less-than|at-least|at-most
          "tolerance": 0.01,                  # used tolerance (absolute, units of claimed);
                                              # null for directional comparators without one
          "unit": null,                       # duration/amount unit, when given
          "computed": 0.1160,                 # estimate from the data; null if not checkable
          "lower": 0.1137, "upper": 0.1183,   # 95% Wilson interval (shares, rates) or null
          "interval_method": "wilson 95%",    # or null
          "interval_straddles_claim": false,  # claimed value inside [lower, upper]; null
                                              # when there is no interval
          "method": "share = ...",            # how computed was obtained ("none" if not)
          "reason": "The data give ...",      # one plain-English sentence
          "missing": null,                    # not-checkable: what the data lack
          "nearest": [                        # not-checkable: closest datasets that exist
            {"dataset": "...", "caveat": "...", "detail": "...", "source_file": "...",
             "source_locator": "...", "citation": "..."}
          ],
          "evidence": [                       # every row used, in order
            {"role": "numerator", "value": 8447.0, "period": "FY2019", "geo": "CA",
             "status": "reported", "source_file": "published/...csv",
             "source_locator": "line 34, column ...", "citation": "...", "note": null}
          ],
          "notes": ["..."]                    # caveats: regions, renamed series, flags
        }
      ]
    }
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded lazily so that `parole --help` (which imports .cli to register the commands) does not
# pay for pandas, statsmodels and pydantic.
_EXPORTS = {
    "SCHEMA_VERSION": "checker", "Evidence": "checker", "Nearest": "checker",
    "Verdict": "checker", "check": "checker", "check_claim": "checker", "to_json": "checker",
    "Claim": "model", "ClaimsFile": "model", "load": "model",
    "resolve_period": "model", "resolve_place": "model", "validate": "model",
    "load_input": "infer", "claims_from_text": "infer", "infer_text": "infer",
    "claim_reviews": "claimreview",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
