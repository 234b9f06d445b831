"""Synthetic Lai Châu-like terrain: ranges dissected by a branching valley network.

Steps (all deterministic for a seed):

1. on a coarse grid (9" for the full sample), a trend surface of crest levels: background
   level, Gaussian ridges along the range polylines of :data:`covgap.sample.common.RANGES`,
   plateaus pulled to a level, plus noise stretched along NW-SE (long ridges);
2. broad troughs along the main rivers (:data:`covgap.sample.common.RIVERS`) whose beds, at
   heights falling downstream, are fixed base levels together with the south and east
   borders of the grid;
3. a landscape-evolution model (:mod:`covgap.sample.landscape`: implicit stream-power erosion
   and hillslope diffusion) cuts a dendritic network of V-shaped valleys into that block,
   slowly on the resistant plateaus;
4. cubic-spline upsampling to the DEM grid, fine relief scaled by the local slope (none
   on valley floors), the main river beds pressed to their heights, and a last
   priority-flood with a small gradient so every cell drains and no large flats remain.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

import covgap.sample.kernels as K

from .common import BACKGROUND_M, PLATEAUS, RANGES, RIVERS, Grid, to_km
from .landscape import ErosionParams, erode

logger = logging.getLogger(__name__)

__all__ = ["SyntheticTerrain", "make_terrain", "spectral_noise"]

#: Erosion run of the full sample (9" cells).
EROSION = ErosionParams(steps=80, kdt=0.3, m=0.6, diffusion=0.07, eps=0.05, jitter=8.0)
#: Base levels (m) of the grid's east and south borders (Red River side, lower Đà).
_BORDER_BASE_M = 650.0
#: Base level (m) of the north and west borders (rivers leaving into China or Laos).
_BORDER_HIGH_M = 1000.0
#: Heights above this are compressed (summits near 3,000-3,100 m, no clipped flats).
_SUMMIT_M = 2900.0
#: Uplift per step (m) per 1,000 m of crest level above 300 m.
UPLIFT = 15.0


class SyntheticTerrain:
    """Heights (float64, m) on a :class:`~covgap.sample.common.Grid` with helper fields."""

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
    rng: np.random.Generator,
    grid: Grid,
    beta: float,
    lo_km: float,
    hi_km: float,
    *,
    stretch: float = 1.0,
    azimuth_deg: float = 135.0,
) -> np.ndarray:
    """Unit-variance noise with power ~ k^-beta between wavelengths hi_km and lo_km.

    ``stretch`` > 1 elongates the features along ``azimuth_deg`` (clockwise from north).
    """
    white = rng.standard_normal((grid.height, grid.width))
    fy = np.fft.fftfreq(grid.height, d=grid.dy_km)[:, None]
    fx = np.fft.rfftfreq(grid.width, d=grid.dx_km)[None, :]
    if stretch != 1.0:
        a = np.radians(azimuth_deg)
        along = fx * np.sin(a) - fy * np.cos(a)  # fy counts rows, i.e. southwards
        across = fx * np.cos(a) + fy * np.sin(a)
        k = np.hypot(along * stretch, across)
    else:
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


def _troughs(h: np.ndarray, fields) -> tuple[np.ndarray, np.ndarray]:
    """Open broad valleys along the main rivers; return heights and a 0..1 trough factor."""
    depth = np.zeros_like(h)
    keep_min = np.ones_like(h)
    for river, (dist, bed) in zip(RIVERS, fields, strict=True):
        over = np.clip(dist - river.floor_km, 0.0, None) / river.width_km
        keep = 1.0 - np.exp(-(over**1.4))
        depth = np.maximum(depth, (h - bed) * (1.0 - keep))
        keep_min = np.minimum(keep_min, keep)
    return h - np.clip(depth, 0.0, None), keep_min


def _outlets(grid: Grid, fields, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base-level cells: the main river beds and the east and south borders of the grid."""
    outlet = np.zeros(h.shape, dtype=bool)
    h = h.copy()
    reach = 0.75 * max(grid.dx_km, grid.dy_km)
    for river, (dist, bed) in zip(RIVERS, fields, strict=True):
        on = dist <= max(river.floor_km, reach)
        h = np.where(on, np.minimum(h, bed), h)
        outlet |= on
    border = np.ones_like(outlet)
    border[1:-1, 1:-1] = False
    low = np.zeros_like(outlet)
    low[-1, :] = True
    low[:, -1] = True
    base = np.where(low, _BORDER_BASE_M, _BORDER_HIGH_M)
    h = np.where(border & ~outlet, np.minimum(h, base), h)
    return outlet | border, h


def _coarse_relief(grid: Grid, rng: np.random.Generator, params: ErosionParams):
    """Eroded heights and drainage area on the coarse grid."""
    xs, ys = grid.centres_km()
    level, plateau = _trend(grid, xs, ys)
    ridges = spectral_noise(rng, grid, beta=2.6, lo_km=25.0, hi_km=1.5, stretch=2.5)
    bumps = spectral_noise(rng, grid, beta=2.0, lo_km=6.0, hi_km=0.6)
    calm = 1.0 - 0.75 * plateau
    h = level + calm * (220.0 * ridges + 60.0 * bumps)
    fields = _river_fields(xs, ys)
    h, keep = _troughs(h, fields)
    outlet, h = _outlets(grid, fields, h)
    h = np.where(outlet, h, K.priority_flood(h, 0.05, True))
    erodibility = 1.0 - 0.85 * plateau
    uplift = UPLIFT * np.clip(level - 300.0, 0.0, None) / 1000.0 * (1.0 - plateau)
    uplift *= 0.3 + 0.7 * keep
    crest = level + calm * 150.0
    return erode(
        h, outlet, erodibility, uplift, grid.dx_km, grid.dy_km, params, crest=crest, rng=rng
    )


def _upsample(h: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    if factor == 1:
        return h.copy()
    fine = ndimage.zoom(h, factor, order=3, mode="nearest", grid_mode=True)
    return fine[: shape[0], : shape[1]]


def make_terrain(grid: Grid, rng: np.random.Generator, *, lem_factor: int = 3) -> SyntheticTerrain:
    """Generate the terrain of the sample on ``grid`` (erosion on a grid lem_factor coarser)."""
    coarse = Grid(grid.cell_deg * lem_factor, grid.width // lem_factor, grid.height // lem_factor)
    assert coarse.width * lem_factor == grid.width and coarse.height * lem_factor == grid.height
    params = EROSION
    h_c, acc_c = _coarse_relief(coarse, rng, params)
    logger.debug("erosion done on %d x %d cells", coarse.width, coarse.height)
    h = _upsample(h_c, lem_factor, (grid.height, grid.width))
    acc = np.kron(acc_c, np.ones((lem_factor, lem_factor)))
    xs, ys = grid.centres_km()
    fields = _river_fields(xs, ys)
    river_dist = np.min([dist for dist, _ in fields], axis=0)
    tmp = SyntheticTerrain(grid, h, river_dist, acc)
    slope = np.clip(tmp.slope_deg() / 30.0, 0.0, 1.2)
    fine = spectral_noise(rng, grid, beta=2.2, lo_km=1.5, hi_km=0.12)
    h = h + 22.0 * slope * fine
    for river, (dist, bed) in zip(RIVERS, fields, strict=True):
        # exactly the bed: no spline undershoot may leave a step up along the river
        h = np.where(dist <= river.floor_km, bed, h)
    h = np.where(h > _SUMMIT_M, _SUMMIT_M + 0.4 * (h - _SUMMIT_M), h)
    h = K.priority_flood(np.clip(h, 100.0, None), 0.01, False)
    return SyntheticTerrain(grid, h, river_dist, acc)
