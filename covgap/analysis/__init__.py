"""The analysis: classify every village, find the zones, rank the gaps, ask what if.

- :mod:`~covgap.analysis.inputs` and :mod:`~covgap.analysis.result`: one analysis, from a
  scenario's files to a :class:`Result` (data only: the outputs stage draws and writes it);
- :mod:`~covgap.analysis.classify`: covered, low-signal or white, and why;
- :mod:`~covgap.analysis.zones`: white and low-signal zone polygons from the rasters;
- :mod:`~covgap.analysis.status`: per carrier and technology, and the 2G/3G switch-off;
- :mod:`~covgap.analysis.priority`: the request list and its priority score;
- :mod:`~covgap.analysis.whatif`: change the sites, re-run, compare.

Import rule: this stage imports :mod:`covgap.radio`, :mod:`covgap.sample`,
:mod:`covgap.io` and the top-level core, nothing above.
"""

from .classify import classify_villages, summarise, village_points
from .inputs import Inputs, load_inputs
from .priority import PriorityWeights, rank_villages, request_ids
from .result import Result, analyse
from .zones import area_zones

__all__ = [
    "Inputs",
    "PriorityWeights",
    "Result",
    "analyse",
    "area_zones",
    "classify_villages",
    "load_inputs",
    "rank_villages",
    "request_ids",
    "summarise",
    "village_points",
]
