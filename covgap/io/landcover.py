"""Land cover: categorical rasters turned into representative clutter heights on the DEM grid.

:func:`clutter_grid` reads one or more land-cover rasters in any CRS (ESA WorldCover
tiles such as ``ESA_WorldCover_10m_2021_v200_N21E102_Map.tif``, or any class raster with
a ``[clutter]`` table, :class:`covgap.config.Clutter`), resamples the classes onto the
DEM's grid with the majority (mode) of the classes in each DEM cell, and maps every
class to its representative clutter height and P.1812 category. The result,
:class:`ClutterGrid`, is what the point and area engines take (``clutter=``): its
arrays have the DEM's shape, so a profile sample's clutter is the value of the DEM cell
the sample falls in. :func:`check_land_cover` lists every problem of a land cover for a
study area at once (CRS, coverage, classes without a height).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import CLUTTER_CATEGORIES, Clutter
from ..errors import DataFileError, InputError
from .terrain import Terrain

__all__ = [
    "CATEGORY_CODES",
    "NO_CLASS",
    "ClutterGrid",
    "check_land_cover",
    "clutter_from_classes",
    "clutter_grid",
    "land_cover_problems",
    "regrid_clutter",
]

logger = logging.getLogger(__name__)

#: Class value of cells without a land-cover class (nodata, outside every raster).
NO_CLASS = 0
#: P.1812 category -> the small integer the engines carry (0: no clutter data).
CATEGORY_CODES: dict[str, int] = {name: i + 1 for i, name in enumerate(CLUTTER_CATEGORIES)}
#: Categories in which P.2108 §3.2 applies (a terminal within urban or suburban clutter).
P2108_CATEGORIES: tuple[str, ...] = ("suburban", "urban", "dense_urban")


@dataclass(frozen=True)
class ClutterGrid:
    """Representative clutter heights and categories on a DEM's grid.

    Attributes
    ----------
    heights_m
        float64 array of the DEM's shape: representative clutter height of every cell (m,
        0 where there is no class or the class has no height).
    category
        uint8 array of the DEM's shape: :data:`CATEGORY_CODES` of the cell's category (0:
        no class).
    classes
        The land-cover class of every cell (:data:`NO_CLASS` where there is none).
    source
        Where the classes came from.
    """

    heights_m: np.ndarray
    category: np.ndarray
    classes: np.ndarray
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols), the DEM's."""
        return self.heights_m.shape  # type: ignore[return-value]

    def in_category(self, names: Sequence[str]) -> np.ndarray:
        """Boolean grid of the cells whose category is one of ``names``."""
        return np.isin(self.category, [CATEGORY_CODES[n] for n in names])


def clutter_from_classes(
    classes: np.ndarray, table: Clutter | None = None, *, source: str = ""
) -> ClutterGrid:
    """Map a grid of land-cover classes to clutter heights and categories.

    Parameters
    ----------
    classes
        Integer class of every DEM cell (:data:`NO_CLASS` for none).
    table
        Class -> (height, category); default :class:`covgap.config.Clutter` (WorldCover).
    source
        Description for reports.

    Returns
    -------
    ClutterGrid
    """
    table = table or Clutter()
    classes = np.asarray(classes)
    lut_h = {code: h for code, h, _ in table.classes}
    lut_c = {code: CATEGORY_CODES[c] for code, _, c in table.classes}
    codes, inverse = np.unique(classes, return_inverse=True)
    heights = np.array([lut_h.get(int(c), 0.0) for c in codes], dtype=np.float64)[inverse]
    cats = np.array([lut_c.get(int(c), 0) for c in codes], dtype=np.uint8)[inverse]
    shape = classes.shape
    return ClutterGrid(heights.reshape(shape), cats.reshape(shape), classes, source)


def clutter_grid(
    paths: str | Path | Sequence[str | Path], terrain: Terrain, table: Clutter | None = None
) -> ClutterGrid:
    """Read land-cover rasters onto the DEM's grid and map them to clutter.

    Every raster is warped onto the DEM's grid (its CRS, transform and shape) with the
    majority class of the source pixels in each DEM cell (GDAL's ``mode`` resampling,
    reading only the windows it needs); where rasters overlap, the first one with a
    class wins.

    Parameters
    ----------
    paths
        One raster or several (tiles), any CRS GDAL reads.
    terrain
        The DEM whose grid the clutter takes.
    table
        Class -> (height, category) (:class:`covgap.config.Clutter`; WorldCover by default).

    Returns
    -------
    ClutterGrid

    Raises
    ------
    DataFileError
        A file is missing or not a raster.
    InputError
        A raster has no CRS.
    """
    import rasterio
    from rasterio.warp import Resampling, reproject

    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    out = np.full(terrain.shape, NO_CLASS, dtype=np.int32)
    for path in files:
        try:
            src = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise DataFileError(f"{path}: cannot read the land cover: {exc}") from exc
        with src:
            if src.crs is None:
                raise InputError(f"{path}: the land cover has no CRS; give it one (gdal_edit)")
            dst = np.full(terrain.shape, NO_CLASS, dtype=np.int32)
            reproject(
                source=rasterio.band(src, 1),
                destination=dst,
                src_nodata=src.nodata if src.nodata is not None else NO_CLASS,
                dst_transform=terrain.transform,
                dst_crs=terrain.crs,
                dst_nodata=NO_CLASS,
                resampling=Resampling.mode,
            )
        fill = out == NO_CLASS
        out[fill] = dst[fill]
    source = ", ".join(p.name for p in files)
    logger.info("land cover %s: %d classes on the DEM grid", source, len(np.unique(out)))
    return clutter_from_classes(out, table, source=source)


def regrid_clutter(grid: ClutterGrid, src: Terrain, dst: Terrain) -> ClutterGrid:
    """Return the clutter of ``src``'s grid on ``dst``'s (same CRS).

    Every cell takes the clutter of the ``src`` cell under its centre, so a DEM resampled
    to another resolution keeps its land cover.
    """
    if dst.shape == src.shape and dst.transform == src.transform:
        return grid
    t, inv = dst.transform, ~src.transform
    rows, cols = dst.shape
    xs = t.c + (np.arange(cols) + 0.5) * t.a
    ys = t.f + (np.arange(rows) + 0.5) * t.e
    c = np.clip(np.floor((xs - src.transform.c) * inv.a).astype(np.int64), 0, src.shape[1] - 1)
    r = np.clip(np.floor((ys - src.transform.f) * inv.e).astype(np.int64), 0, src.shape[0] - 1)
    ix = np.ix_(r, c)
    return ClutterGrid(grid.heights_m[ix], grid.category[ix], grid.classes[ix], grid.source)


def check_land_cover(
    grid: ClutterGrid, table: Clutter | None = None, *, valid: np.ndarray | None = None
) -> list[str]:
    """Every problem of a land cover for a study area, as messages (empty: none).

    Parameters
    ----------
    grid
        The land cover on the DEM grid (:func:`clutter_grid`).
    table
        The class table the scenario uses.
    valid
        Boolean grid of the study area (default: every DEM cell).

    Returns
    -------
    list of str
        Uncovered share of the study area, and the classes that have no entry in the
        ``[clutter]`` table (with their share of the area).
    """
    table = table or Clutter()
    area = np.ones(grid.shape, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    n = int(area.sum())
    problems = []
    if n == 0:
        return problems
    classes = grid.classes[area]
    missing = float(np.mean(classes == NO_CLASS))
    if missing > 0:
        problems.append(
            f"land cover {grid.source}: {missing:.1%} of the study area has no class "
            "(outside the raster(s) or nodata); those cells get no clutter: add the "
            "missing tiles"
        )
    known = {code for code, _, _ in table.classes}
    codes, counts = np.unique(classes[classes != NO_CLASS], return_counts=True)
    unknown = [(int(c), k / n) for c, k in zip(codes, counts, strict=True) if int(c) not in known]
    if unknown:
        unknown.sort(key=lambda item: -item[1])  # the largest first; at most ten named
        shown = ", ".join(f"{c} ({share:.1%})" for c, share in unknown[:10])
        if len(unknown) > 10:
            rest = sum(share for _, share in unknown[10:])
            shown += f" and {len(unknown) - 10} more ({rest:.1%}; is this a land cover?)"
        problems.append(
            f"land cover {grid.source}: class(es) {shown} are not in the [clutter] table; "
            "add them with a height and category"
        )
    return problems


def land_cover_problems(
    paths: str | Path | Sequence[str | Path],
    terrain: Terrain,
    table: Clutter | None = None,
    *,
    valid: np.ndarray | None = None,
) -> list[str]:
    """Every problem of land-cover files for a study area, for ``covgap validate``.

    Unreadable files and rasters without a CRS, then :func:`check_land_cover`'s coverage
    and unknown classes, all at once.

    Parameters
    ----------
    paths
        The land-cover raster(s).
    terrain
        The DEM of the study area.
    table
        The scenario's ``[clutter]`` table.
    valid
        Boolean grid of the study area on the DEM (default: the whole DEM).

    Returns
    -------
    list of str
        Empty when the land cover is usable as it is.
    """
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    problems = []
    for path in files:
        try:
            clutter_grid(path, terrain, table)
        except (DataFileError, InputError) as exc:
            problems.append(str(exc))
    if problems:
        return problems
    return check_land_cover(clutter_grid(files, terrain, table), table, valid=valid)
