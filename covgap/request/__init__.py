"""The request dossier: the villages to propose for public-utility telecom stations.

- :mod:`~covgap.request.dossier`: the ranked lists, a solution per village, the summaries;
- :mod:`~covgap.request.workbook`: the Excel workbook a province attaches to its letter;
- :mod:`~covgap.request.appendix`: its first sheet, the printed appendix (*phụ lục*);
- :mod:`~covgap.request.export`: the same lists as CSV, GeoPackage and KML, and the map.

Import rule: this stage imports :mod:`covgap.outputs` and the stages below it; only the
site plan, the pipeline and the CLI import it.
"""

from .appendix import Letter, write_appendix
from .dossier import Dossier, build_dossier, propose_solutions
from .export import write_dossier
from .workbook import write_workbook

__all__ = [
    "Dossier",
    "Letter",
    "build_dossier",
    "propose_solutions",
    "write_appendix",
    "write_dossier",
    "write_workbook",
]
