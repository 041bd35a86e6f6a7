"""What a figure's ``status`` means, and which statuses carry a number.

The one list of statuses: the schemas validate against it, the codebook documents it, and every
statistic, chart and claim asks :data:`VALUED_STATUSES` whether a figure has a value.
"""

from __future__ import annotations

#: status -> what it means; the contract's one list of statuses
STATUS_MEANINGS: dict[str, str] = {
    "reported": "a number as published",
    "zero": "published as `-`: zero, or rounds to zero (value 0)",
    "suppressed": "published as `D` (or `X` where it marks suppression): withheld under "
                  "disclosure rules; no value",
    "not_available": "published as `N/A`, left empty, or printed where the publisher gives no "
                     "figure; no value",
    "not_applicable": "published as `X` by DHS OHSS: the measure did not exist then (a process "
                      "not yet started); no value",
    "withheld": "published as `H`: withheld so that a suppressed cell cannot be derived; no value",
    "rounded": "a number published after rounding (DHS OHSS rounds to tens since 2023)",
    "estimated": "an estimate by the publisher",
}
STATUSES = tuple(STATUS_MEANINGS)
#: statuses whose value is a number; the others have no value
VALUED_STATUSES = ("reported", "zero", "rounded", "estimated")
