"""Synthetic Lai Châu-like terrain: ranges, river valleys that drain, tributaries.

Steps (all deterministic for a seed):

1. a trend surface of crest levels: background level, Gaussian ridges along the range
   polylines of :data:`covgap._synth.RANGES`, plateaus pulled to a level;
2. multi-octave spectral noise (power-law spectrum) plus a ridged octave, damped on
   plateaus and valley floors;
3. the main rivers (:data:`covgap._synth.RIVERS`) carved with flat floors at bed heights
   that fall downstream and valley walls rising over a few km;
4. twice: priority-flood (every cell drains to the border), D8 flow accumulation and
   carving of tributary valleys by upstream area (depth ~ area^0.4, walls ~25°);
5. light smoothing and a last flood so the stored heights drain.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from . import _synth_kernels as K
from ._synth import BACKGROUND_M, PLATEAUS, RANGES, RIVERS, Grid, to_km

logger = logging.getLogger(__name__)

__all__ = ["SyntheticTerrain", "make_terrain", "spectral_noise"]


class SyntheticTerrain:
    """Heights (float64, m) on a :class:`~covgap._synth.Grid` with helper fields."""

    def __init__(
        self,
        grid: Grid,
        heights: np.ndarray,
        river_dist_km: np.ndarray,
        accumulation_km2: np.ndarray,
    ) -> None:
        self.grid = grid
        self.heights = heights
        self.river_dist_km = river_dist_km
        self.accumulation_km2 = accumulation_km2

    def slope_deg(self) -> np.ndarray:
        """Slope of the terrain in degrees."""
        gy, gx = np.gradient(self.heights, self.grid.dy_km * 1000, self.grid.dx_km * 1000)
        return np.degrees(np.arctan(np.hypot(gx, gy)))


def _polyline(points_lonlat, values, xs, ys):
    lon = np.array([p[0] for p in points_lonlat])
    lat = np.array([p[1] for p in points_lonlat])
    px, py = to_km(lon, lat)
    return K.polyline_field(xs, ys, px, py, np.asarray(values, dtype=np.float64))


def spectral_noise(
    rng: np.random.Generator, grid: Grid, beta: float, lo_km: float, hi_km: float
) -> np.ndarray:
    """Unit-variance noise with power ~ k^-beta between wavelengths hi_km and lo_km."""
    white = rng.standard_normal((grid.height, grid.width))
    fy = np.fft.fftfreq(grid.height, d=grid.dy_km)[:, None]
    fx = np.fft.rfftfreq(grid.width, d=grid.dx_km)[None, :]
    k = np.hypot(fx, fy)
    k[0, 0] = 1.0
    amp = k ** (-beta / 2.0)
    amp *= 1.0 / (1.0 + (1.0 / (k * lo_km)) ** 4)  # fade wavelengths longer than lo_km
    amp *= np.exp(-((k * hi_km) ** 2))  # fade wavelengths shorter than hi_km
    amp[0, 0] = 0.0
    field = np.fft.irfft2(np.fft.rfft2(white) * amp, s=white.shape)
    return field / field.std()


def _trend(grid: Grid, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crest level of the relief (m) and a 0..1 plateau weight."""
    level = np.full((grid.height, grid.width), BACKGROUND_M)
    for crest, sigma in RANGES:
        dist, top = _polyline([(p[0], p[1]) for p in crest], [p[2] for p in crest], xs, ys)
        ridge = BACKGROUND_M + (top - BACKGROUND_M) * np.exp(-0.5 * (dist / sigma) ** 2)
        level = np.maximum(level, ridge)
    plateau = np.zeros_like(level)
    xx, yy = np.meshgrid(xs, ys)
    for lon, lat, plevel, radius in PLATEAUS:
        px, py = to_km(lon, lat)
        w = np.exp(-((((xx - px) ** 2 + (yy - py) ** 2) / radius**2) ** 2))
        level = level * (1 - w) + plevel * w
        plateau = np.maximum(plateau, w)
    return level, plateau


def _river_fields(xs: np.ndarray, ys: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Distance (km) to each main river and the bed height (m) at its nearest point."""
    return [_polyline(river.points, river.bed_m, xs, ys) for river in RIVERS]


def _main_valleys(h: np.ndarray, fields):
    """Carve the prescribed rivers; return heights, distance to a river, base level."""
    depth = np.zeros_like(h)
    nearest = np.full_like(h, 1e9)
    base = np.full_like(h, 1e9)
    for river, (dist, bed) in zip(RIVERS, fields, strict=False):
        over = np.clip(dist - river.floor_km, 0.0, None) / river.width_km
        keep = 1.0 - np.exp(-(over**1.4))
        depth = np.maximum(depth, (h - bed) * (1.0 - keep))
        nearest = np.minimum(nearest, dist)
        base = np.minimum(base, bed + 25.0 * dist)
    return h - np.clip(depth, 0.0, None), nearest, base


def _carve_tributaries(h, base, grid: Grid, *, k_m: float, min_km2: float, wall: float):
    """Lower channel cells by k_m * area^0.4 and open V-shaped valley walls around them."""
    filled = K.priority_flood(h, 0.05, False)
    order = np.argsort(-filled, axis=None, kind="stable")
    acc = K.flow_accumulation(filled, order, grid.dx_km, grid.dy_km)
    depth = np.where(acc >= min_km2, k_m * acc**0.4, 0.0)
    depth = np.minimum(depth, np.clip(filled - base, 0.0, None))
    drop = wall * min(grid.dx_km, grid.dy_km) * 1000.0
    for _ in range(max(2, round(2.5 / min(grid.dx_km, grid.dy_km)))):
        spread = ndimage.grey_dilation(depth, size=(3, 3)) - drop
        if not (spread > depth).any():
            break
        depth = np.maximum(depth, spread)
    return np.maximum(filled - depth, np.minimum(filled, base)), acc


def make_terrain(grid: Grid, rng: np.random.Generator) -> SyntheticTerrain:
    """Generate the terrain of the sample on ``grid``."""
    xs, ys = grid.centres_km()
    level, plateau = _trend(grid, xs, ys)
    fbm = spectral_noise(rng, grid, beta=2.4, lo_km=9.0, hi_km=0.3)
    ridged = 1.0 - 2.0 * np.abs(spectral_noise(rng, grid, beta=2.0, lo_km=18.0, hi_km=0.8))
    rough = 1.0 - 0.7 * plateau
    h = level + rough * (300.0 * fbm + 150.0 * ridged)
    fields = _river_fields(xs, ys)
    h, river_dist, base = _main_valleys(h, fields)
    logger.debug("trend and main valleys done")
    for k_m in (95.0, 60.0):
        h, acc = _carve_tributaries(h, base, grid, k_m=k_m, min_km2=0.4, wall=0.45)
    sigma = 0.9 * 0.09 / min(grid.dx_km, grid.dy_km)
    h = ndimage.gaussian_filter(h, sigma=max(sigma, 0.4), mode="nearest")
    # keep the main river beds exactly at their prescribed, downstream-falling heights
    for river, (dist, bed) in zip(RIVERS, fields, strict=False):
        h = np.where(dist <= river.floor_km, np.minimum(h, bed), h)
    h = K.priority_flood(h, 0.01, False)
    h = np.clip(h, 100.0, 3150.0)
    return SyntheticTerrain(grid, h, river_dist, acc)
