"""One palette: each measure keeps its colour on every chart and page.

Colours are from Okabe and Ito's colour-blind-safe set, the blue darkened (#1F4E9C for
#0072B2) so received and approved stay apart under tritanopia too. Measures that are drawn together
(received, approved, denied, pending; a trend and the figures it summarises) are chosen so
they stay apart under protanopia, deuteranopia and tritanopia (tests/test_charts.py checks this
by simulation, with Machado et al.'s 2009 matrices). Flagged figures are marked in black by
shape (a ring and a gap in the line), never by a colour a measure uses.
"""

from __future__ import annotations

BLUE, GREEN, VERMILLION, PURPLE = "#1F4E9C", "#009E73", "#D55E00", "#CC79A7"
SKY, ORANGE, YELLOW, BLACK = "#56B4E9", "#E69F00", "#F0E442", "#000000"

#: Measure -> colour, the same on every chart (shares take the colour of their numerator).
MEASURE_COLOURS = {
    "received": BLUE, "released": BLUE, "value": BLUE, "estimate": BLUE,
    "approved": GREEN, "approval_share": GREEN, "approval-share": GREEN,
    "denied": VERMILLION, "denial_share": VERMILLION, "denial-share": VERMILLION,
    "pending": PURPLE,
}
#: Colours for series that are not measures (offices, groups), in order; none of them is
#: a measure's colour reused for something else on the same chart.
SERIES = [BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, BLACK]
#: The shape a trend rule found (segments): dark grey, drawn dashed over the figures.
SHAPE = "#444444"
#: Flagged figures: a black ring and a gap in the line.
FLAG = BLACK

#: Pairs drawn together that a reader must tell apart (checked by simulation): the measures
#: of one chart (received, approved, denied), and each measure against the trend segments.
PAIRS = [("received", "approved"), ("received", "denied"), ("approved", "denied"),
         ("received", "shape"), ("approved", "shape"), ("denied", "shape"),
         ("pending", "shape")]


def colour(key: str | None, index: int = 0) -> str:
    """The colour of measure ``key`` (``shape``: the trend segments); for other series, the
    ``index``-th of :data:`SERIES`."""
    if key == "shape":
        return SHAPE
    if key is not None and str(key).lower() in MEASURE_COLOURS:
        return MEASURE_COLOURS[str(key).lower()]
    return SERIES[index % len(SERIES)]
