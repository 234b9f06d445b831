"""Inputs: read and validate every file covgap takes, into its canonical tables.

Villages, BTS sites, DEMs (:class:`~covgap.io.terrain.Terrain`), administrative units and
the 07/2025 reform's crosswalk are read here, with every problem of a file reported at
once (:mod:`covgap.io.validate`) and what was read said in a
:class:`~covgap.io.summary.ReadSummary` (report-style sheets, every sheet holding a
table, columns used and not used, rows skipped, CRS: :mod:`covgap.io.sheets`). The
helpers every stage uses to write files all-or-nothing (:mod:`covgap.io.atomic`) and to
write (and read) numbers the way Vietnamese and English readers do
(:mod:`covgap.io.locale`) live here too.

Import rule: this stage imports only :mod:`covgap.errors`, :mod:`covgap.schema` and
:mod:`covgap.config`; every other stage may import it.
"""

from .atomic import atomic_folder, atomic_path
from .readers import read_admin, read_dem, read_sites, read_villages
from .reform import apply_crosswalk, read_crosswalk
from .summary import ReadSummary
from .terrain import Terrain
from .validate import check_file, validate_file

__all__ = [
    "ReadSummary",
    "Terrain",
    "apply_crosswalk",
    "atomic_folder",
    "atomic_path",
    "check_file",
    "read_admin",
    "read_crosswalk",
    "read_dem",
    "read_sites",
    "read_villages",
    "validate_file",
]
