"""The data contract: the tables ingestion writes and what every column means.

``schemas`` (pandera schemas with each column's description, unit and allowed values),
``statuses`` (what a figure's status means and which statuses carry a number), ``periods``
(fiscal years, quarters, months: all fiscal arithmetic), ``geo`` (states, counties, offices,
named regions), ``series`` (series that continue across a publisher's renaming), ``codebook``
(the documentation generated from the schemas). It imports nothing else of the package but
``analysis.config`` and ``analysis.errors``.
"""
