"""``analysis.sources``: the documented entry point to the adapters, which live in
:mod:`analysis.ingest.sources` (``read``, ``load``, ``detect``, ``SOURCES``)."""

from analysis.ingest.sources import (  # noqa: F401
    SOURCES,
    Source,
    adapter,
    check_source,
    default_citation,
    detect,
    load,
    read,
)
