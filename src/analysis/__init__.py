"""parole-stats: public US parole statistics as traceable numbers, reports and charts."""

import warnings

__version__ = "0.1.0"

# pandera imports pyspark.pandas whenever pyspark is installed (the optional [spark] extra),
# and pyspark warns about the pandas version on import. That warning says nothing about this
# project's results, and it would otherwise reach every report and command's output.
warnings.filterwarnings("ignore", message=r"PySpark does not yet fully support pandas",
                        category=FutureWarning)
