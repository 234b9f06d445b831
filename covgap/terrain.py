"""Terrain: a DEM held in memory as heights on a regular grid.

:class:`Terrain` is the one type every step passes around; :func:`covgap.io.read_dem`
makes it from files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from pyproj import CRS

__all__ = ["Terrain"]


@dataclass(frozen=True)
class Terrain:
    """Ground heights (metres above sea level) on a north-up grid.

    Attributes
    ----------
    heights
        2-D float32 array, row 0 at the top (north); ``NaN`` where the DEM has no data.
    transform
        Affine transform from (col, row) to (x, y) in ``crs`` (rasterio convention,
        cell corners). It must be north-up: no rotation, negative ``e``.
    crs
        CRS of the grid (EPSG:4326 for SRTM and the bundled sample).
    source
        Human-readable description of where the heights came from (file names).
    """

    heights: np.ndarray
    transform: Affine
    crs: CRS
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.heights.ndim != 2:
            raise ValueError("Terrain.heights must be a 2-D array")
        if self.transform.b != 0 or self.transform.d != 0 or self.transform.e >= 0:
            raise ValueError("Terrain.transform must be north-up (no rotation, negative e)")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        return self.heights.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in ``crs``."""
        rows, cols = self.shape
        left, top = self.transform.c, self.transform.f
        return (left, top + rows * self.transform.e, left + cols * self.transform.a, top)
