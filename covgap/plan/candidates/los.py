"""Geometry behind :mod:`covgap.plan.candidates` (internal): high points, line of sight, selection.

* :func:`local_peaks`: DEM cells that are the highest of their k×k window and stand above
  the window's mean height (peaks and ridge tops; flat ground has none).
* :func:`visible_pairs`: which (mast, target) pairs within a radius are in line of sight,
  with the engine's own profile kernel (:func:`covgap.radio.kernels.paths_terms`).
* :func:`select`: greedy set cover, then best score, with a minimum spacing.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import Transformer
from scipy import ndimage
from scipy.spatial import cKDTree
from tqdm import tqdm

import covgap.radio.kernels as _kernels

from ...io.terrain import (
    EARTH_RADIUS_KM,
    Terrain,
    cell_size_m,
    default_step_m,
    distance_km,
    grid_index,
    profile_segments,
)

logger = logging.getLogger("covgap.plan.candidates")

#: Paths screened per kernel call (bounds memory; one progress step each).
PATHS_PER_CHUNK = 200_000


def unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit-sphere vectors of WGS 84 positions (for exact range searches with cKDTree)."""
    lo, la = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord(dist_km: float) -> float:
    """Unit-sphere chord of a great-circle distance (a little over, for ``<=`` searches)."""
    return 2.0 * math.sin(min(dist_km / EARTH_RADIUS_KM, math.pi) / 2.0) * (1.0 + 1e-9)


def window_cells(terrain: Terrain, window_m: float) -> int:
    """Odd window size (cells, at least 3) spanning about ``window_m`` metres."""
    cell = min(cell_size_m(terrain))
    k = max(3, round(window_m / cell))
    return k if k % 2 else k + 1


def local_peaks(terrain: Terrain, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of cells that are the maximum of their k×k window.

    A cell must also stand above the mean of the valid heights of its window, so flat
    ground and plateaus of equal height yield nothing; nodata cells are never peaks.
    """
    h = np.asarray(terrain.heights, dtype=np.float64)
    valid = np.isfinite(h)
    filled = np.where(valid, h, -np.inf)
    top = ndimage.maximum_filter(filled, size=k, mode="nearest")
    total = ndimage.uniform_filter(np.where(valid, h, 0.0), size=k, mode="nearest")
    count = ndimage.uniform_filter(valid.astype(np.float64), size=k, mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    peak = valid & (filled >= top) & (h > mean + 1e-6)
    rows, cols = np.nonzero(peak)
    return rows, cols


def cell_lonlat(terrain: Terrain, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """WGS 84 lon/lat of cell centres."""
    t = terrain.transform
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    if terrain.crs.to_epsg() == 4326:
        return x.astype(float), y.astype(float)
    lon, lat = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def pairs_within(
    lon: np.ndarray, lat: np.ndarray, t_lon: np.ndarray, t_lat: np.ndarray, radius_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (point, target) index pairs within ``radius_km`` (great circle), with distances."""
    if len(lon) == 0 or len(t_lon) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    tree = cKDTree(unit_xyz(t_lon, t_lat))
    hits = tree.query_ball_point(unit_xyz(lon, lat), chord(radius_km))
    n_hits = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    p = np.repeat(np.arange(len(lon), dtype=np.int64), n_hits)
    t = np.fromiter((j for h in hits for j in sorted(h)), dtype=np.int64, count=int(n_hits.sum()))
    d = distance_km(lon[p], lat[p], t_lon[t], t_lat[t])
    keep = d <= radius_km
    return p[keep], t[keep], d[keep]


def line_of_sight(
    terrain: Terrain,
    tx: tuple[np.ndarray, np.ndarray, np.ndarray],
    rx: tuple[np.ndarray, np.ndarray, np.ndarray],
    dist: np.ndarray,
    *,
    tx_height_m: float | np.ndarray,
    rx_height_m: float,
    k_factor: float,
    progress: bool = False,
) -> np.ndarray:
    """Whether the straight line between two antennas clears the terrain, per path.

    ``tx`` and ``rx`` are (lon, lat, ground) arrays, one entry per path; the antennas
    stand ``tx_height_m`` and ``rx_height_m`` above the ground; earth curvature uses the
    effective radius ``6371 k`` km. The profile is sampled every DEM cell, as
    :func:`covgap.radio.point.best_servers` samples it.
    """
    n = len(dist)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    heights = np.asarray(terrain.heights)
    ce = 1.0 / (EARTH_RADIUS_KM * k_factor)
    step = default_step_m(terrain)
    c0, r0 = grid_index(terrain, tx[0], tx[1])
    c1, r1 = grid_index(terrain, rx[0], rx[1])
    hts = tx[2] + np.broadcast_to(np.asarray(tx_height_m, float), (n,))
    hrs = rx[2] + rx_height_m
    starts = range(0, n, PATHS_PER_CHUNK)
    for start in tqdm(starts, disable=not progress, desc="line of sight", unit="chunk"):
        s = slice(start, min(start + PATHS_PER_CHUNK, n))
        d = np.ascontiguousarray(dist[s], dtype=float)
        _, los, *_ = _kernels.paths_terms(
            heights,
            c0[s],
            r0[s],
            c1[s],
            r1[s],
            profile_segments(d, step),
            d,
            hts[s],
            hrs[s],
            ce,
            tx[2][s].astype(float),
            rx[2][s].astype(float),
        )
        out[s] = los
    return out


def visibility_matrix(p: np.ndarray, t: np.ndarray, los: np.ndarray, shape) -> sp.csr_matrix:
    """Boolean sparse matrix points × targets of the pairs in line of sight."""
    data = np.ones(int(los.sum()), dtype=np.float64)
    return sp.csr_matrix((data, (p[los], t[los])), shape=shape)


def by_village(vis: sp.csr_matrix, village: np.ndarray, n_villages: int) -> sp.csr_matrix:
    """Turn a points × target-points 0/1 matrix into points × villages (seen if any point is)."""
    n = len(village)
    member = sp.csr_matrix((np.ones(n), (np.arange(n), village)), shape=(n, n_villages))
    out = (vis @ member).tocsr()
    out.data[:] = 1.0
    return out


def select(
    vis: sp.csr_matrix,
    weight: np.ndarray,
    access: np.ndarray,
    xyz: np.ndarray,
    *,
    eligible: np.ndarray,
    blocked: np.ndarray,
    spacing_km: float,
    max_n: int,
) -> np.ndarray:
    """Pick points: greedy set cover of the targets, then the best scores, ``spacing_km`` apart.

    Points are assumed sorted by score (best first), so every tie goes to the better
    score. Phase 1 repeatedly takes the point with the largest newly seen weight times
    its ``access`` factor, first among ``eligible`` points and then among the others
    (off-road points only for targets no eligible point sees); phase 2 fills up to
    ``max_n`` with the best-scoring ``eligible`` points. Every pick removes the points
    within ``spacing_km`` of it; ``blocked`` points (near existing sites) are never taken.
    """
    alive = ~blocked.copy()
    tree = cKDTree(xyz) if len(xyz) else None
    radius = chord(spacing_km) if spacing_km > 0 else 0.0
    picks: list[int] = []
    left = np.asarray(weight, dtype=np.float64).copy()
    left[left <= 0] = 1e-9  # zero-weight targets still count as seen
    unseen = np.ones(len(left), dtype=bool)

    def take(i: int) -> None:
        picks.append(i)
        alive[i] = False
        if tree is not None and radius > 0:
            alive[tree.query_ball_point(xyz[i], radius)] = False
        seen = vis.indices[vis.indptr[i] : vis.indptr[i + 1]]
        unseen[seen] = False

    for pool in (eligible, ~eligible):
        while len(picks) < max_n:
            gain = (vis @ np.where(unseen, left, 0.0)) * access
            gain[~(alive & pool)] = 0.0
            best = int(np.argmax(gain)) if len(gain) else 0
            if len(gain) == 0 or gain[best] <= 0.0:
                break
            take(best)
    cover_n = len(picks)
    for i in np.flatnonzero(eligible):
        if len(picks) >= max_n:
            break
        if alive[i]:
            take(int(i))
    logger.debug("selected %d points (%d by set cover)", len(picks), cover_n)
    return np.asarray(picks, dtype=np.int64)


def power_km(lon: np.ndarray, lat: np.ndarray, villages: pd.DataFrame | None) -> np.ndarray:
    """Distance (km) to the nearest village with ``grid_power`` true; NaN when unknown."""
    out = np.full(len(lon), np.nan)
    if villages is None or "grid_power" not in villages.columns or len(lon) == 0:
        return out
    powered = villages["grid_power"].astype("boolean").fillna(False).to_numpy(bool)
    if not powered.any():
        return out
    geom = villages.geometry if "geometry" in villages.columns else None
    v_lon = villages["lon"].to_numpy(float) if "lon" in villages.columns else geom.x.to_numpy()
    v_lat = villages["lat"].to_numpy(float) if "lat" in villages.columns else geom.y.to_numpy()
    v_lon, v_lat = v_lon[powered], v_lat[powered]
    _, j = cKDTree(unit_xyz(v_lon, v_lat)).query(unit_xyz(lon, lat))
    return distance_km(lon, lat, v_lon[j], v_lat[j])
