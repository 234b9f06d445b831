r"""Candidate sites for planning: new masts on high ground, user sites, upgrades of old ones.

:func:`generate_candidates` proposes new sites on local high points of the DEM that
see uncovered villages, :func:`read_candidates` reads the user's own candidates,
:func:`upgrade_candidates` proposes upgrades of existing sites (4G on a 2G-only site, a
new sector towards villages outside every 4G beam), and :func:`candidate_sectors` turns
any of them into the canonical sector rows that :func:`covgap.radio.point.best_servers`
evaluates; :func:`add_visibility` fills in the line-of-sight and access figures of any
candidate table (e.g. the user's). All of them return a GeoDataFrame with the columns of
:data:`CANDIDATE_COLUMNS` (WGS 84), which :mod:`covgap.plan.site_plan` scores with the engine and
chooses among with :func:`covgap.plan.mclp.solve_mclp`.

>>> from covgap import candidates
>>> new = candidates.generate_candidates(terrain, targets, sites=sites, roads=roads,
...                                      villages=villages)  # doctest: +SKIP
>>> rows = candidates.candidate_sectors(new)  # doctest: +SKIP

The score of a generated candidate :math:`j` is its visible weight times an access
factor that halves at :data:`ROAD_SCALE_KM` from a road and at :data:`POWER_SCALE_KM`
from a village with grid power (a factor is 1 when its distance is unknown):

.. math::

    s_j = \Big(\sum_{i \in V_j} w_i\Big)
          \cdot \frac{1}{1 + r_j / r_0} \cdot \frac{1}{1 + p_j / p_0}

with :math:`V_j` the targets in line of sight of the mast within the radius, :math:`r_j`
the distance to the nearest road and :math:`p_j` to the nearest powered village.
"""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ...config import PlanCosts
from ...io.terrain import Terrain, bearing_deg, sample_heights
from . import los as los_
from .read import check_inside, read_candidates
from .table import (
    CANDIDATE_COLUMNS,
    KINDS,
    PEAK_WINDOW_M,
    POWER_SCALE_KM,
    ROAD_SCALE_KM,
    THREE_SECTORS_DEG,
    _access,
    _frame,
    _note,
    _road_km,
    _site_positions,
    _targets,
    _turned_sectors,
)
from .upgrade import candidate_sectors, upgrade_candidates

__all__ = [
    "CANDIDATE_COLUMNS",
    "KINDS",
    "PEAK_WINDOW_M",
    "POWER_SCALE_KM",
    "ROAD_SCALE_KM",
    "THREE_SECTORS_DEG",
    "add_visibility",
    "candidate_sectors",
    "check_inside",
    "generate_candidates",
    "read_candidates",
    "upgrade_candidates",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- generate
def generate_candidates(
    terrain: Terrain,
    targets: pd.DataFrame,
    *,
    sites: pd.DataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    villages: pd.DataFrame | None = None,
    radius_km: float = 10.0,
    height_m: float = 30.0,
    rx_height_m: float = 1.5,
    k_factor: float = 4 / 3,
    max_candidates: int = 600,
    min_spacing_m: float = 800.0,
    max_road_km: float = 3.0,
    costs: PlanCosts = PlanCosts(),
    peak_window_m: float = PEAK_WINDOW_M,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    r"""Propose new sites on high ground that see the target villages.

    1. **High points**: DEM cells that are the highest of their window of about
       ``peak_window_m`` (an odd number of cells, at least 3) and stand above the
       window's mean height -- peaks and ridge tops -- within ``radius_km`` of a target.
    2. **Line of sight**: from a mast ``height_m`` above the high point to every target
       within ``radius_km`` (receiver ``rx_height_m`` above the ground, earth radius
       times ``k_factor``), with the engine's profile kernel
       (:func:`covgap.radio.kernels.paths_terms`). High points that see no target are dropped.
    3. **Score**: visible weight times the access factor of the module docstring (roads
       and grid power). When ``roads`` are given, high points farther than
       ``max_road_km`` from a road are only used for targets no nearer point sees.
    4. **Selection**: greedy set cover of the seen targets (largest newly seen weight
       times access first), then the best scores, up to ``max_candidates``; each pick
       removes the high points within ``min_spacing_m``, and none is taken within
       ``min_spacing_m`` of an existing site. Ties go to the better score, then to the
       northern-, western-most cell: the result is deterministic.

    Parameters
    ----------
    terrain
        The DEM.
    targets
        The villages to serve, one row per point: ``village_id``, ``lon``, ``lat`` (or a
        point geometry) and ``weight`` (e.g. population; 1 each when absent). A village
        may have several points (centre, clusters) under one id, each with the village's
        weight: it is seen when any of them is, and counts once.
    sites
        Existing sites (canonical site table, one row per sector) to keep away from.
    roads
        Road lines (:func:`covgap.plan.roads.read_roads`); ``road_km`` is NaN without them.
    villages
        Canonical villages; those with ``grid_power`` true give ``power_km``.
    radius_km
        Largest mast-to-village distance considered.
    height_m
        Mast (antenna) height above the ground.
    rx_height_m
        Receiver height above the ground.
    k_factor
        Effective earth-radius factor.
    max_candidates
        Most candidates returned.
    min_spacing_m
        Least distance between two candidates and from a candidate to an existing site.
    max_road_km
        Farthest a candidate normally is from a road (when ``roads`` are given).
    costs
        ``site_usd`` is ``costs.new_site_usd``.
    peak_window_m
        Size of the window of the high-point test; smaller finds more, lower points.
    progress
        Show a progress bar for the line-of-sight screening.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`CANDIDATE_COLUMNS`, ``kind`` ``"new_site"``, ids ``N-0001``... in the
        order of selection (set-cover picks first); ``carrier`` is NA (not tied to one)
        and ``azimuths_deg`` three sectors turned towards the visible villages.
    """
    start = time.perf_counter()
    tg = _targets(targets, terrain)
    vis, lon, lat, ground = _screened_peaks(
        terrain, tg, radius_km, height_m, rx_height_m, k_factor, peak_window_m, progress
    )
    vis = los_.by_village(vis, tg["village"], len(tg["v_id"]))
    weight = vis @ tg["v_weight"]
    road = _road_km(lon, lat, roads)
    power = los_.power_km(lon, lat, villages)
    access = _access(road, power)
    order = np.lexsort((-weight, -(weight * access)))  # stable: ties keep the grid order
    vis, lon, lat, ground = vis[order], lon[order], lat[order], ground[order]
    road, power, access = road[order], power[order], access[order]
    picks = los_.select(
        vis,
        tg["v_weight"],
        access,
        los_.unit_xyz(lon, lat),
        eligible=~(road > max_road_km),  # NaN (no roads) is eligible
        blocked=_near_sites(lon, lat, sites, min_spacing_m / 1000.0),
        spacing_km=min_spacing_m / 1000.0,
        max_n=max(int(max_candidates), 0),
    )
    out = _new_site_table(
        picks, vis, tg, lon, lat, ground, road, power, height_m, max_road_km, costs
    )
    n_seen = int((vis.getnnz(axis=0) > 0).sum())
    n_kept = int((vis[picks].getnnz(axis=0) > 0).sum()) if len(picks) else 0
    logger.info(
        "candidates: %d high points see %d of %d targets; kept %d seeing %d (%.1f s)",
        len(lon),
        n_seen,
        len(tg["v_id"]),
        len(out),
        n_kept,
        time.perf_counter() - start,
    )
    return out


def _screened_peaks(terrain, tg, radius_km, height_m, rx_height_m, k_factor, window_m, progress):
    """High points within ``radius_km`` of a target that see one: visibility matrix, position."""
    rows, cols = los_.local_peaks(terrain, los_.window_cells(terrain, window_m))
    lon, lat = los_.cell_lonlat(terrain, rows, cols)
    p, t, d = los_.pairs_within(lon, lat, tg["lon"], tg["lat"], radius_km)
    near = np.unique(p)
    rows, cols, lon, lat = rows[near], cols[near], lon[near], lat[near]
    p = np.searchsorted(near, p)
    ground = np.asarray(terrain.heights, dtype=float)[rows, cols]
    seen = los_.line_of_sight(
        terrain,
        (lon[p], lat[p], ground[p]),
        (tg["lon"][t], tg["lat"][t], tg["ground"][t]),
        d,
        tx_height_m=height_m,
        rx_height_m=rx_height_m,
        k_factor=k_factor,
        progress=progress,
    )
    vis = los_.visibility_matrix(p, t, seen, (len(lon), len(tg["id"])))
    keep = np.flatnonzero(vis.getnnz(axis=1) > 0)
    return vis[keep], lon[keep], lat[keep], ground[keep]


def _near_sites(lon, lat, sites, spacing_km) -> np.ndarray:
    """Whether each position is within ``spacing_km`` of an existing site."""
    s_lon, s_lat = _site_positions(sites)
    if len(s_lon) == 0 or len(lon) == 0:
        return np.zeros(len(lon), dtype=bool)
    dist, _ = cKDTree(los_.unit_xyz(s_lon, s_lat)).query(los_.unit_xyz(lon, lat))
    return dist <= los_.chord(spacing_km)


def _new_site_table(picks, vis, tg, lon, lat, ground, road, power, height_m, max_road_km, costs):
    ids = [f"N-{k:04d}" for k in range(1, len(picks) + 1)]
    azimuths, notes, n_vis = [], [], []
    for j in picks:
        seen = vis.indices[vis.indptr[j] : vis.indptr[j + 1]]
        b = bearing_deg(lon[j], lat[j], tg["v_lon"][seen], tg["v_lat"][seen])
        azimuths.append(_turned_sectors(np.atleast_1d(b), tg["v_weight"][seen]))
        n_vis.append(len(seen))
        note = _note(ground[j], len(seen), road[j], power[j])
        if road[j] > max_road_km:
            note += " (far from roads, kept for villages no nearer point sees)"
        notes.append(note)
    return _frame(
        {
            "candidate_id": ids,
            "kind": "new_site",
            "site_id": ids,
            "carrier": pd.NA,
            "lon": lon[picks],
            "lat": lat[picks],
            "ground_m": ground[picks],
            "height_m": float(height_m),
            "road_km": road[picks],
            "power_km": power[picks],
            "n_visible": n_vis,
            "visible_weight": (vis @ tg["v_weight"])[picks],
            "site_usd": float(costs.new_site_usd),
            "azimuths_deg": azimuths,
            "note": notes,
        },
        len(picks),
    )


def add_visibility(
    candidates: gpd.GeoDataFrame,
    terrain: Terrain,
    targets: pd.DataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    villages: pd.DataFrame | None = None,
    radius_km: float = 10.0,
    rx_height_m: float = 1.5,
    k_factor: float = 4 / 3,
) -> gpd.GeoDataFrame:
    """Fill in ``ground_m``, ``road_km``, ``power_km``, ``n_visible`` and ``visible_weight``.

    For candidates whose figures are unknown, e.g. from :func:`read_candidates`: the
    targets within ``radius_km`` in line of sight of a mast ``height_m`` above the
    ground, as :func:`generate_candidates` counts them (all around, whatever the
    sectors), and the distances to the nearest road and powered village.

    Parameters
    ----------
    candidates
        A candidate table (:data:`CANDIDATE_COLUMNS`).
    terrain
        The DEM; every candidate must lie on it (:func:`check_inside`).
    targets
        As for :func:`generate_candidates` (villages count once).
    roads, villages, radius_km, rx_height_m, k_factor
        As for :func:`generate_candidates`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``candidates`` with those columns recomputed.
    """
    check_inside(candidates, terrain)
    tg = _targets(targets, terrain)
    out = candidates.copy()
    lon, lat = out["lon"].to_numpy(float), out["lat"].to_numpy(float)
    ground = sample_heights(terrain, lon, lat)
    p, t, d = los_.pairs_within(lon, lat, tg["lon"], tg["lat"], radius_km)
    seen = los_.line_of_sight(
        terrain,
        (lon[p], lat[p], ground[p]),
        (tg["lon"][t], tg["lat"][t], tg["ground"][t]),
        d,
        tx_height_m=out["height_m"].to_numpy(float)[p],
        rx_height_m=rx_height_m,
        k_factor=k_factor,
    )
    vis = los_.visibility_matrix(p, t, seen, (len(out), len(tg["id"])))
    vis = los_.by_village(vis, tg["village"], len(tg["v_id"]))
    out["ground_m"] = ground
    out["road_km"] = _road_km(lon, lat, roads)
    out["power_km"] = los_.power_km(lon, lat, villages)
    out["n_visible"] = pd.array(vis.getnnz(axis=1), dtype="Int64")
    out["visible_weight"] = vis @ tg["v_weight"]
    return out
