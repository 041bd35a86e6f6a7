"""What the data cannot answer, and the closest datasets that do exist.

Two registries, both documented in ``docs/claims.md``:

* :data:`FIGURE_SCOPES`: the category each bundled published figure is about. The
  ``published_figures`` table has no category column (only free-text ``population``), so a
  figure counts as evidence for a claim only when its ``figure_id`` is listed here with the
  claim's category, or when the claim names the figure with ``figure_id``.
* :data:`DATASETS`: the nearest datasets offered when a claim is not checkable, each with its
  caveat. :func:`nearest_for` picks the relevant ones from the claim's wording (basis, age,
  category, geography, the attributed source) and fills in what the ingested data holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.claims.model import Claim, Place
from analysis.contract import series

#: figure_id -> category of the population the figure is about.
FIGURE_SCOPES: dict[str, str] = {
    "gao-2008-hp-adjudicated": "humanitarian-parole",
    "gao-2008-hp-granted-share": "humanitarian-parole",
    "gao-2008-hp-family-or-medical-share": "humanitarian-parole-family-or-medical",
    "gao-2008-hp-minor-grant-rate": "humanitarian-parole-under-18",
    "aic-2023-afghan-hp-received": "humanitarian-parole-afghan",
    "aic-2023-afghan-hp-approved": "humanitarian-parole-afghan",
    "cbs-2022-afghan-hp-approved": "humanitarian-parole-afghan",
    "cbs-2022-afghan-hp-denied": "humanitarian-parole-afghan",
    "crs-program-parole-duration": "program-parole",
    "trac-poe-paroled-fy2019": "port-of-entry-parole",
    "trac-poe-paroled-fy2022": "port-of-entry-parole",
}


@dataclass(frozen=True)
class Dataset:
    key: str
    name: str
    caveat: str
    figure_id: str | None = None
    category: str | None = None


DATASETS: dict[str, Dataset] = {d.key: d for d in [
    Dataset("gao-family-medical",
            "GAO-08-282: share of humanitarian parole requests for family reunification or "
            "medical emergency",
            "national only, FY2002 to mid-2007, family reunification and medical emergency "
            "combined; no separate medical share was published",
            figure_id="gao-2008-hp-family-or-medical-share"),
    Dataset("gao-under-18",
            "GAO-08-282: grant rate of humanitarian parole requests for applicants under 18",
            "national only, FY2002 to mid-2007; a grant rate, not a count of cases",
            figure_id="gao-2008-hp-minor-grant-rate"),
    Dataset("orr-releases",
            "HHS ORR: unaccompanied children released to sponsors, by state and county",
            "a different population: children released from ORR custody to sponsors, not "
            "parole grants; HHS does not decide or publish parole; counties only with 50 or "
            "more releases",
            category="uc-released-to-sponsors"),
    Dataset("uscis-humanitarian-parole",
            "USCIS quarterly all-forms report: I-131 humanitarian parole received, approved, "
            "denied and pending",
            "national only; no basis (medical, family, ...), no age, no state or county",
            category="humanitarian-parole"),
    Dataset("crs-program-duration",
            "CRS R47654: program parole (OAW, U4U, CHNV) generally granted for two years",
            "program parole, not case-by-case humanitarian parole; a typical term, not a "
            "measured distribution",
            figure_id="crs-program-parole-duration"),
]}

_CHILD_WORDS = ("pediatric", "paediatric", "child", "minor", "under-18", "uc-", "unaccompanied")
_MEDICAL_WORDS = ("medical", "family", "health", "treatment")


def _words(claim: Claim) -> str:
    return " ".join(str(v).lower() for v in (claim.category, claim.basis, claim.age,
                                             claim.measure, claim.text) if v)


def relevant(claim: Claim, place: Place | None) -> list[str]:
    """Keys of :data:`DATASETS` worth offering for ``claim``."""
    words = _words(claim)
    keys: list[str] = []
    if any(w in words for w in _MEDICAL_WORDS) or claim.basis:
        keys.append("gao-family-medical")
    hhs = claim.attributed_to and any(
        w in claim.attributed_to.lower() for w in ("hhs", "health and human services", "orr"))
    if any(w in words for w in _CHILD_WORDS) or claim.age or hhs:
        keys += ["gao-under-18", "orr-releases"]
    if "parole" in words:
        keys.append("uscis-humanitarian-parole")
        if place is not None and not place.is_national and "orr-releases" not in keys:
            keys.append("orr-releases")
    if claim.metric == "duration":
        keys.append("crs-program-duration")
    return list(dict.fromkeys(keys))


def describe(key: str, counts: pd.DataFrame, figures: pd.DataFrame) -> dict[str, object]:
    """A nearest-dataset entry with what the ingested data actually holds."""
    item = DATASETS[key]
    entry: dict[str, object] = {"dataset": item.name, "caveat": item.caveat, "detail": None,
                                "source_file": None, "source_locator": None, "citation": None}
    if item.figure_id is not None:
        rows = figures[figures["figure_id"] == item.figure_id]
        if rows.empty:
            entry["detail"] = f"figure {item.figure_id} is not in the ingested data"
        else:
            row = rows.iloc[0]
            entry["detail"] = (f"{row['value']:g} {row['unit']} ({row['geography']}, "
                               f"{row['period_start']:%Y-%m-%d} to {row['period_end']:%Y-%m-%d})")
            entry.update(source_file=row["source_file"], source_locator=row["source_locator"],
                         citation=row["citation"])
    elif item.category is not None:
        if item.category in series.SERIES:
            rows = series.select(counts, item.category)
        else:
            rows = counts[counts["category"] == item.category]
        if rows.empty:
            entry["detail"] = f"category {item.category} is not in the ingested data"
        else:
            ordered = rows.sort_values("period_start")
            levels = ", ".join(sorted(rows["geo_level"].unique()))
            entry["detail"] = (f"{ordered['period'].iloc[0]} to {ordered['period'].iloc[-1]}; "
                               f"geography: {levels}")
            entry.update(source_file="; ".join(sorted(rows["source_file"].unique())),
                         citation=ordered["citation"].iloc[-1])
    return entry


def nearest_for(claim: Claim, place: Place | None, counts: pd.DataFrame,
                figures: pd.DataFrame) -> list[dict[str, object]]:
    return [describe(key, counts, figures) for key in relevant(claim, place)]


def catalogue_nearest(claim: Claim, counts: pd.DataFrame, figures: pd.DataFrame
                      ) -> list[dict[str, object]]:
    """The nearest data the catalogue names for the claim's population (catalogue.yml)."""
    from analysis.claims import catalogue

    pop = catalogue.population(claim.category)
    if pop is None:
        return []
    out = []
    extra = catalogue.datasets()
    for key in pop.nearest:
        if key in DATASETS:
            out.append(describe(key, counts, figures))
        elif key in extra:
            out.append({"dataset": extra[key]["name"], "caveat": extra[key]["caveat"],
                        "detail": None, "source_file": None, "source_locator": None,
                        "citation": None})
    return out
