"""parole-stats: public US parole statistics as traceable numbers, reports and charts."""

__version__ = "0.1.0"
