"""Report notebooks: ``render`` (papermill, batches, the index) and one module per notebook in
``notebooks/``, named after it (``national_overview``, ``regional_report``, ``processing_times``,
``claim_check``), holding the logic the notebook calls; ``freshness`` writes the freshness page.
"""
