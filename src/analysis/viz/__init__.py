"""What a reader sees: ``formatting`` (every number, period and mark), ``charts`` (the house
style and chart kinds), ``tilemap`` (the state tile grid), ``tables`` and ``provenance`` (source
lines), ``downloads`` (the data behind each chart and table), ``markup`` (escaping).
Imports statistics and the contract, never reports or the command line.
"""
