"""covgap: find mobile coverage gaps (white and low-signal zones) over terrain.

covgap joins a village layer and a BTS site layer over a DEM, predicts the signal at
every village with a terrain-aware propagation model, classifies every village as
covered, low-signal or white, and writes interactive maps and tables.

The main entry points are :func:`covgap.pipeline.run` (the whole analysis) and the
readers in :mod:`covgap.io`; ``covgap --help`` lists the command-line tools.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
