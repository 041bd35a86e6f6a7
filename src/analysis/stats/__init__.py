"""Statistics on contract tables: ``shares`` (with Wilson intervals), ``timing`` (Kaplan-Meier
with pending cases censored, one median rule), ``trends`` (one fit for numbers and chart bands),
``compact`` (the sufficient tables, from DuckDB or Spark), ``synthetic`` (SYNTHETIC cases for
tutorials and tests). Imports only the contract.
"""
