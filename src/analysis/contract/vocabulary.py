"""The column names the analysis functions return, one meaning each, across functions.

The processed tables' columns are described in :mod:`analysis.contract.schemas`; the results of
the statistics (shares, rates, changes, series) reuse those names and add the ones below. The
codebook (``parole codebook``) prints this list after the tables.
"""

from __future__ import annotations

#: column -> its meaning in every result that has it
RESULT_COLUMNS: dict[str, str] = {
    "geo_level": "what kind of place the row is about, as in the counts table",
    "geo_code": "code of the place, as in the counts table (`US`, `CA`, a 5-digit FIPS, ...); "
                "a share's grouping column keeps this name",
    "period": "the period a figure covers (`FY2023`, `FY2023-Q2`), as in the counts table",
    "value": "the figure itself: a published count, or a rate (per_capita: per `per` "
             "residents)",
    "numerator": "what a share or rate counts (e.g. children released to sponsors in the state)",
    "denominator": "what it is divided by (the total of the period, the cases of a group, the "
                   "resident population)",
    "share": "numerator / denominator, a proportion from 0 to 1 (also named `estimate`)",
    "lower": "lower limit of the 95% confidence interval (of a share, a change, a trend)",
    "upper": "upper limit of the 95% confidence interval",
    "method": "how the interval was computed (`wilson`, `clopper-pearson`, `newcomb`, ...)",
    "status": "`estimated`, `bounded` (suppressed inputs: only a range) or `not_estimable`",
    "reason": "why a figure is bounded or not estimable, in words",
    "outcome": "the decision a share is of (`approved`, `denied`)",
    "change": "share_change: share in the last period minus share in the first",
    "as_of": "the day a published figure stands for (a page capture's date, or the end of "
             "its period)",
    "population_year": "per_capita: the year of the resident population used as denominator",
    "population_source": "per_capita: the Census Bureau table, its address and the row used",
    "group": "older name of a share's grouping column (kept as an alias)",
}


def markdown_section(heading: str = "##") -> list[str]:
    """The list as a Markdown table, for the codebook."""
    lines = [f"{heading} Columns of analysis results", "",
             "The statistics (`analysis.shares_over_time`, `share_change`, `per_capita`, "
             "`outcome_shares_from_counts`, `published_series`, ...) return these names, with "
             "one meaning each.", "", "| column | meaning |", "|---|---|"]
    return lines + [f"| `{k}` | {v.replace('|', chr(92) + '|')} |"
                    for k, v in RESULT_COLUMNS.items()]
