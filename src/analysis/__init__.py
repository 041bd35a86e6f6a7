"""parole-stats: public US parole statistics as traceable numbers, reports and charts.

Every number keeps its source: the row of the publisher's table it was read from
(``source_file``, ``source_locator``) and the table's citation (``citation``). Run
``parole ingest`` once (or ``make ingest``), then, in Python or a notebook::

    import analysis as ps

    counts = ps.load_counts(category="uc-released-to-sponsors", geo_level="state")
    shares = ps.shares_over_time(counts)                  # each state's share, every year
    ps.share_change(shares, "FY2019", "FY2021")            # change of share, with its interval
    ps.per_capita(counts[counts.period == "FY2019"])       # per 100,000 residents (Census)
    ps.cite(category="uc-released-to-sponsors", geo="CA", period="FY2021")  # BibTeX

Entry points (``help(ps.NAME)`` shows each one's arguments, columns and an example)
-----------------------------------------------------------------------------------
Loading the processed tables
    ``load_counts(source=, category=, measure=, geo_level=, geo_code=, period=, fiscal_year=)``,
    ``load_processing_times(form=, subtype=, geo_code=, statistic=)``,
    ``load_table(name, **filters)``, ``source_catalog()`` (publisher, table, address, licence)
Shares
    ``shares_from_counts`` (one period), ``shares_over_time`` (every period),
    ``share_change`` (change between two periods, statsmodels ``confint_proportions_2indep``),
    ``region_shares``, ``shares_from_cases``, ``compare_pairs``, ``proportion_interval``
Rates per resident
    ``per_capita`` and ``population`` (bundled Census Bureau resident population, cited)
Survival and quantiles (case-level records)
    ``kaplan_meier``, ``km_quantiles``, ``survival_table``, ``empirical_quantiles``,
    ``logrank``, ``published_series`` (published medians and 80th percentiles)
Trends
    ``trend``, ``trend_fit``, ``counts_by_period``, ``outcome_shares``,
    ``outcome_shares_from_counts``
Claims
    ``check_claims`` (a claims file or an article's text, checked against the data),
    ``claims_from_text``
Charts
    ``line_chart``, ``bar_intervals``, ``trend_band``, ``stacked_outcomes``, ``km_curves``,
    ``tile_map``, ``save_chart``
Citations
    ``cite`` (BibTeX, CSL-JSON or a source line for a figure's table)
Synthetic data (only where case-level data is needed; every row labelled SYNTHETIC)
    ``generate_cases``

One vocabulary of columns
-------------------------
``geo_level`` (nation, state, county, office, region) and ``geo_code`` (``US``, ``CA``, a
5-digit FIPS, ...) name the place; ``period`` (``FY2023``, ``FY2023-Q2``) the time; ``value``
the published number; ``share`` (also ``estimate``) a proportion with ``lower``/``upper``
its confidence limits, ``numerator``/``denominator`` what it divides; ``as_of`` the day a
published figure stands for. ``docs/codebook.md`` describes every column.

The scientific stack (pandas, statsmodels, matplotlib) is imported on first use of an entry
point, so ``import analysis`` and the ``parole`` command start instantly.
"""

import importlib
import warnings
from typing import Any

__version__ = "0.1.0"

# pandera imports pyspark.pandas whenever pyspark is installed (the optional [spark] extra),
# and pyspark warns about the pandas version on import. That warning says nothing about this
# project's results, and it would otherwise reach every report and command's output.
warnings.filterwarnings("ignore", message=r"PySpark does not yet fully support pandas",
                        category=FutureWarning)

#: public name -> "module:attribute" it is loaded from on first use
_EXPORTS: dict[str, str] = {
    # loading
    "load_counts": "analysis.contract.store:load_counts",
    "load_processing_times": "analysis.contract.store:load_processing_times",
    "load_table": "analysis.contract.store:load_table",
    "source_catalog": "analysis.contract.catalog:source_catalog",
    # shares
    "shares_from_counts": "analysis.stats.shares:shares_from_counts",
    "shares_over_time": "analysis.stats.shares:shares_over_time",
    "share_change": "analysis.stats.shares:share_change",
    "region_shares": "analysis.stats.shares:region_shares",
    "shares_from_cases": "analysis.stats.shares:shares_from_cases",
    "compare_pairs": "analysis.stats.shares:compare_pairs",
    "proportion_interval": "analysis.stats.shares:interval",
    # rates
    "per_capita": "analysis.stats.rates:per_capita",
    "population": "analysis.stats.rates:population",
    # survival and quantiles
    "kaplan_meier": "analysis.stats.timing:kaplan_meier",
    "km_quantiles": "analysis.stats.timing:km_quantiles",
    "survival_table": "analysis.stats.timing:survival_table",
    "empirical_quantiles": "analysis.stats.timing:empirical_quantiles",
    "logrank": "analysis.stats.timing:logrank",
    "published_series": "analysis.stats.timing:published_series",
    # trends
    "trend": "analysis.stats.trends:trend",
    "trend_fit": "analysis.stats.trends:trend_fit",
    "counts_by_period": "analysis.stats.trends:counts_by_period",
    "outcome_shares": "analysis.stats.trends:outcome_shares",
    "outcome_shares_from_counts": "analysis.stats.trends:outcome_shares_from_counts",
    # claims
    "check_claims": "analysis.claims:check",
    "claims_from_text": "analysis.claims:claims_from_text",
    # charts
    "line_chart": "analysis.viz.charts:line_chart",
    "bar_intervals": "analysis.viz.charts:bar_intervals",
    "trend_band": "analysis.viz.charts:trend_band",
    "stacked_outcomes": "analysis.viz.charts:stacked_outcomes",
    "km_curves": "analysis.viz.charts:km_curves",
    "tile_map": "analysis.viz.charts:tile_map",
    "save_chart": "analysis.viz.charts:save",
    # citations
    "cite": "analysis.reports.references:cite",
    # synthetic case records
    "generate_cases": "analysis.stats.synthetic:generate_cases",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load an entry point (and the modules it needs) on first use."""
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
