"""Presentation of an analysis: interactive and printable maps, labels, the run's files.

- :mod:`~covgap.outputs.maps` (with :mod:`~covgap.outputs.map_elements` and
  :mod:`~covgap.outputs.map_layers`): the folium map;
- :mod:`~covgap.outputs.static_maps`: PNG and A4 PDF maps;
- :mod:`~covgap.outputs.labels`: every word people read, in Vietnamese and English;
- :mod:`~covgap.outputs.run_files`: what ``covgap run`` writes.

Import rule: this stage imports :mod:`covgap.analysis` and the stages below it; the
request dossier and the site plan build on it, never the reverse.
"""

from .labels import LABELS, label, rename_columns
from .maps import coverage_map, result_map, save_map
from .run_files import OUTPUT_FILES, map_from_results, write_outputs
from .static_maps import save_static_map, static_map, static_map_from_result

__all__ = [
    "LABELS",
    "OUTPUT_FILES",
    "coverage_map",
    "label",
    "map_from_results",
    "rename_columns",
    "result_map",
    "save_map",
    "save_static_map",
    "static_map",
    "static_map_from_result",
    "write_outputs",
]
