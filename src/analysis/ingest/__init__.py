"""The ingest layer: raw files in ``data/raw`` to contract tables in ``data/processed``.

``sources/`` holds one adapter per publisher format (and the shared reading layer),
``manifest`` the register of raw files with their checksums, ``fetch`` downloads, ``storage``
the transactional generations of processed tables, ``pipeline`` the run that ties them
together (:func:`run`), ``inspection`` what ``parole inspect`` shows. This layer imports only
the contract (``analysis.contract``), ``analysis.config`` and ``analysis.errors``.
"""

from analysis.ingest.pipeline import possibly_truncated, run, summary

__all__ = ["possibly_truncated", "run", "summary"]
