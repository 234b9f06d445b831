"""Terrain: a DEM held in memory as heights on a regular grid, and what to read from it.

:class:`Terrain` is the one type every step passes around; :func:`covgap.io.read_dem`
makes it from files. The helpers here take WGS 84 longitudes and latitudes, whatever the
grid's CRS: :func:`sample_heights` (bilinear), :func:`terrain_profile` (heights along a
path), :func:`cell_size_m`, and the spherical-earth :func:`distance_km` and
:func:`bearing_deg`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

__all__ = [
    "EARTH_RADIUS_KM",
    "Terrain",
    "bearing_deg",
    "cell_size_m",
    "default_step_m",
    "distance_km",
    "grid_index",
    "hillshade",
    "profile_segments",
    "sample_heights",
    "terrain_profile",
]

logger = logging.getLogger(__name__)

#: Mean earth radius (km) used for distances and, times k, for the effective earth radius.
EARTH_RADIUS_KM = 6371.0


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


def _is_wgs84(crs: CRS) -> bool:
    return crs.to_epsg() == 4326


@lru_cache(maxsize=8)
def _transformer(crs_wkt: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", CRS.from_wkt(crs_wkt), always_xy=True)


def grid_index(terrain: Terrain, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (column, row) of WGS 84 positions, measured between cell centres.

    Column 0.0 is the centre of the first column; -0.5 and ``cols - 0.5`` are the grid's
    left and right edges (rows likewise, from the top).

    Parameters
    ----------
    terrain
        The grid.
    lon, lat
        WGS 84 degrees; transformed to ``terrain.crs`` (``always_xy``) when it differs.

    Returns
    -------
    col, row
        Float arrays of the shape of the broadcast inputs.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    if not _is_wgs84(terrain.crs):
        x, y = _transformer(terrain.crs.to_wkt()).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    t = terrain.transform
    return (x - t.c) / t.a - 0.5, (y - t.f) / t.e - 0.5


def _bilinear(heights: np.ndarray, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Bilinear interpolation at fractional (col, row); NaN outside or next to nodata.

    :func:`covgap.radio.kernels.bilinear` is the same arithmetic, one position at a time.
    """
    rows, cols = heights.shape
    col, row = np.broadcast_arrays(np.asarray(col, float), np.asarray(row, float))
    inside = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    c = np.clip(np.nan_to_num(col), 0.0, cols - 1.0)
    r = np.clip(np.nan_to_num(row), 0.0, rows - 1.0)
    c0 = np.minimum(np.floor(c).astype(np.intp), max(cols - 2, 0))
    r0 = np.minimum(np.floor(r).astype(np.intp), max(rows - 2, 0))
    c1 = np.minimum(c0 + 1, cols - 1)
    r1 = np.minimum(r0 + 1, rows - 1)
    fc, fr = c - c0, r - r0
    h = heights
    top = (1.0 - fc) * h[r0, c0] + fc * h[r0, c1]
    bottom = (1.0 - fc) * h[r1, c0] + fc * h[r1, c1]
    out = (1.0 - fr) * top + fr * bottom
    return np.where(inside, out, np.nan)


def sample_heights(terrain: Terrain, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Ground height (m above sea level) at WGS 84 positions, interpolated bilinearly.

    Parameters
    ----------
    terrain
        The DEM.
    lon, lat
        WGS 84 degrees (scalars or arrays that broadcast together).

    Returns
    -------
    numpy.ndarray
        Heights as float64; ``NaN`` outside the grid and where any of the four cells
        around a position is nodata.
    """
    col, row = grid_index(terrain, lon, lat)
    return _bilinear(terrain.heights, col, row)


def cell_size_m(terrain: Terrain) -> tuple[float, float]:
    """Approximate (width, height) in metres of one grid cell.

    For a geographic grid the width is taken at the latitude of the grid's centre;
    a projected grid is assumed to be in metres.

    Parameters
    ----------
    terrain
        The DEM.

    Returns
    -------
    tuple of float
        Cell width (east-west) and height (north-south) in metres.
    """
    a, e = abs(terrain.transform.a), abs(terrain.transform.e)
    if not terrain.crs.is_geographic:
        return float(a), float(e)
    _, bottom, _, top = terrain.bounds
    metres_per_degree = math.radians(1.0) * EARTH_RADIUS_KM * 1000.0
    lat_c = math.radians((bottom + top) / 2.0)
    return a * metres_per_degree * math.cos(lat_c), e * metres_per_degree


def distance_km(
    lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray
) -> np.ndarray:
    r"""Return the great-circle distance on a sphere of radius :data:`EARTH_RADIUS_KM` (haversine).

    .. math::

        d = 2R \arcsin \sqrt{\sin^2\frac{\varphi_1-\varphi_0}{2}
            + \cos\varphi_0 \cos\varphi_1 \sin^2\frac{\lambda_1-\lambda_0}{2}}

    Parameters
    ----------
    lon0, lat0, lon1, lat1
        WGS 84 degrees.

    Returns
    -------
    numpy.ndarray
        Distance in km.
    """
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dlon = np.radians(np.asarray(lon1, float) - np.asarray(lon0, float))
    s = np.sin((p1 - p0) / 2.0) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dlon / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0)))


def bearing_deg(
    lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray
) -> np.ndarray:
    """Return the initial bearing from the first to the second position (deg from north).

    Parameters
    ----------
    lon0, lat0, lon1, lat1
        WGS 84 degrees.

    Returns
    -------
    numpy.ndarray
        Bearing in [0, 360).
    """
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dlon = np.radians(np.asarray(lon1, float) - np.asarray(lon0, float))
    y = np.sin(dlon) * np.cos(p1)
    x = np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dlon)
    return np.degrees(np.arctan2(y, x)) % 360.0


def profile_segments(dist_km: np.ndarray, step_m: float) -> np.ndarray:
    """Return the number of profile segments for paths of ``dist_km`` sampled every ``step_m``.

    Parameters
    ----------
    dist_km
        Path lengths.
    step_m
        Wanted spacing of the samples.

    Returns
    -------
    numpy.ndarray
        int64, at least 1 (a path always has its two end points).
    """
    n = np.ceil(np.asarray(dist_km, float) * 1000.0 / step_m - 1e-9)
    return np.maximum(n, 1).astype(np.int64)


def default_step_m(terrain: Terrain, step_m: float | None = None) -> float:
    """Return the profile spacing: ``step_m`` when given, else the smaller side of a DEM cell."""
    return float(step_m) if step_m is not None else float(min(cell_size_m(terrain)))


def terrain_profile(
    terrain: Terrain,
    lon0: float,
    lat0: float,
    lon1: float,
    lat1: float,
    *,
    step_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground heights along the straight path between two positions.

    The path is a straight line in the grid's coordinates, cut into
    ``n = ceil(d / step_m)`` equal segments (``d`` the great-circle length); the
    ``n + 1`` samples include both end points.

    Parameters
    ----------
    terrain
        The DEM.
    lon0, lat0
        Start (the transmitter), WGS 84 degrees.
    lon1, lat1
        End (the receiver), WGS 84 degrees.
    step_m
        Spacing of the samples; ``None`` uses the DEM's cell size (:func:`cell_size_m`).

    Returns
    -------
    dist_km
        Distance of every sample from the start, km.
    heights_m
        Ground height of every sample (bilinear); ``NaN`` outside the grid or over nodata.
    """
    d = float(distance_km(lon0, lat0, lon1, lat1))
    n = int(profile_segments(d, default_step_m(terrain, step_m)))
    t = np.linspace(0.0, 1.0, n + 1)
    (c0, c1), (r0, r1) = grid_index(terrain, np.array([lon0, lon1]), np.array([lat0, lat1]))
    heights = _bilinear(terrain.heights, c0 + t * (c1 - c0), r0 + t * (r1 - r0))
    return t * d, heights


def hillshade(
    terrain: Terrain,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
    step: int = 1,
) -> np.ndarray:
    r"""Shaded relief of the DEM, 0 (dark) to 1 (lit), for maps.

    .. math::

        I = \sin a \cos s + \cos a \sin s \cos(\phi - \alpha)

    with the sun at altitude :math:`a` and azimuth :math:`\phi`, and the slope :math:`s`
    and aspect :math:`\alpha` of each cell from central differences in metres (cells of
    geographic grids are scaled by :func:`cell_size_m`).

    Parameters
    ----------
    terrain
        The DEM.
    azimuth_deg, altitude_deg
        Direction of the light (clockwise from north) and its height above the horizon.
    z_factor
        Vertical exaggeration.
    step
        Take every ``step``-th cell in both directions first (a lighter overlay).

    Returns
    -------
    numpy.ndarray
        float32 array of the (decimated) grid's shape; NaN where the DEM has no data.
    """
    z = terrain.heights[::step, ::step].astype(np.float64) * z_factor
    dx_m, dy_m = cell_size_m(terrain)
    dz_dy, dz_dx = np.gradient(z, dy_m * step, dx_m * step)
    # rows run south, so the northward gradient is -dz_dy
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    aspect = np.arctan2(-dz_dx, dz_dy)  # direction of steepest descent, clockwise from north
    sun_alt, sun_az = math.radians(altitude_deg), math.radians(azimuth_deg)
    shade = np.sin(sun_alt) * np.cos(slope) + np.cos(sun_alt) * np.sin(slope) * np.cos(
        sun_az - aspect
    )
    shade[np.isnan(z)] = np.nan
    return np.clip(shade, 0.0, 1.0).astype(np.float32)
