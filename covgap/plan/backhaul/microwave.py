"""First-Fresnel-zone clearance of microwave hops, and the hop search (internal).

Public through :mod:`covgap.plan.backhaul` (the formula is in its module notes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ...config import PlanCosts
from ...io.terrain import EARTH_RADIUS_KM, Terrain, default_step_m, distance_km, sample_heights
from .network import RoadNetwork

__all__ = ["fresnel_clearance", "fresnel_clearances", "fresnel_radius_m"]

_C_M_PER_US = 299.792458  # speed of light: wavelength (m) = 299.79 / f (MHz)


def fresnel_radius_m(d1_km: np.ndarray, d2_km: np.ndarray, freq_mhz: float) -> np.ndarray:
    r"""Radius (m) of the first Fresnel zone, :math:`\sqrt{\lambda d_1 d_2 / (d_1 + d_2)}`.

    Parameters
    ----------
    d1_km, d2_km
        Distances from the two ends.
    freq_mhz
        Frequency; :math:`\lambda = c / f`.

    Returns
    -------
    numpy.ndarray
        Radius in metres (7 GHz, 15 km + 15 km: 17.9 m).
    """
    d1, d2 = np.asarray(d1_km, float) * 1000.0, np.asarray(d2_km, float) * 1000.0
    lam = _C_M_PER_US / freq_mhz
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(lam * d1 * d2 / (d1 + d2))


def fresnel_clearances(
    terrain: Terrain,
    lon0: np.ndarray,
    lat0: np.ndarray,
    h0_m: np.ndarray,
    lon1: np.ndarray,
    lat1: np.ndarray,
    h1_m: np.ndarray,
    *,
    freq_mhz: float,
    k_factor: float = 4.0 / 3.0,
    step_m: float | None = None,
) -> np.ndarray:
    """First-Fresnel-zone clearance ratio of many links at once (see :func:`fresnel_clearance`).

    Parameters
    ----------
    terrain
        The DEM.
    lon0, lat0, h0_m, lon1, lat1, h1_m
        Ends (WGS 84 degrees) and antenna heights above ground (m); arrays that
        broadcast together.
    freq_mhz
        Link frequency.
    k_factor
        Effective earth radius factor.
    step_m
        Profile spacing; ``None`` uses the DEM cell size.

    Returns
    -------
    numpy.ndarray
        Clearance ratio per link; NaN when any profile sample is off the DEM or over
        nodata; ``inf`` for a link too short to have an interior sample.
    """
    lon0, lat0, h0, lon1, lat1, h1 = (
        np.atleast_1d(a).astype(float)
        for a in np.broadcast_arrays(lon0, lat0, h0_m, lon1, lat1, h1_m)
    )
    if len(lon0) == 0:
        return np.zeros(0)
    d_km = distance_km(lon0, lat0, lon1, lat1)
    n = np.maximum(np.ceil(d_km * 1000.0 / default_step_m(terrain, step_m)), 2).astype(np.int64)
    n = np.where(d_km > 0, n, 1)
    starts = np.r_[0, np.cumsum(n + 1)[:-1]]
    link = np.repeat(np.arange(len(n)), n + 1)
    i = np.arange(len(link)) - starts[link]
    t = i / n[link]
    ground = sample_heights(
        terrain, lon0[link] + t * (lon1 - lon0)[link], lat0[link] + t * (lat1 - lat0)[link]
    )
    z0, z1 = ground[starts], ground[starts + n]
    d = d_km[link] * 1000.0
    d1 = t * d
    d2 = d - d1
    los = (z0 + h0)[link] + t * ((z1 + h1) - (z0 + h0))[link]
    bulge = d1 * d2 / (2.0 * k_factor * EARTH_RADIUS_KM * 1000.0)
    r1 = fresnel_radius_m(d1 / 1000.0, d2 / 1000.0, freq_mhz)
    interior = (i > 0) & (i < n[link])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(interior, (los - ground - bulge) / r1, np.inf)
    ratio = np.where(np.isnan(ground), np.nan, ratio)
    return np.minimum.reduceat(ratio, starts)


def fresnel_clearance(
    terrain: Terrain,
    lon0: float,
    lat0: float,
    h0_m: float,
    lon1: float,
    lat1: float,
    h1_m: float,
    *,
    freq_mhz: float,
    k_factor: float = 4.0 / 3.0,
    step_m: float | None = None,
) -> float:
    """Clearance of the first Fresnel zone of one link, as a fraction of its radius.

    The minimum over the profile's interior of (line-of-sight height − ground − earth
    bulge) / first Fresnel radius (formula in the module notes). At least 1.0 (the
    default ``PlanCosts.fresnel_clearance``) means the whole first zone is clear; below 0
    the terrain blocks the line of sight.

    Parameters
    ----------
    terrain
        The DEM.
    lon0, lat0, lon1, lat1
        Ends of the link, WGS 84 degrees.
    h0_m, h1_m
        Antenna heights above the ground at each end.
    freq_mhz
        Link frequency (7,000 for a 7 GHz hop).
    k_factor
        Effective earth radius factor (4/3: standard atmosphere).
    step_m
        Profile spacing; ``None`` uses the DEM cell size.

    Returns
    -------
    float
        The clearance ratio; NaN when the path leaves the DEM or crosses nodata.
    """
    return float(
        fresnel_clearances(
            terrain,
            lon0,
            lat0,
            h0_m,
            lon1,
            lat1,
            h1_m,
            freq_mhz=freq_mhz,
            k_factor=k_factor,
            step_m=step_m,
        )[0]
    )


# ------------------------------------------------------------------------ microwave
def _hops(
    points: pd.DataFrame,
    targets: pd.DataFrame,
    terrain: Terrain,
    network: RoadNetwork,
    costs: PlanCosts,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the ``k`` nearest targets in range of every point, with their clearance.

    Returns (target index, km, clearance) arrays of shape (n, k), nearest first; the
    index is -1 (km inf, clearance NaN) where there is no further target in range.
    """
    n, k = len(points), max(min(k, len(targets)), 1)
    idx, km, clr = np.full((n, k), -1), np.full((n, k), np.inf), np.full((n, k), np.nan)
    if n == 0 or len(targets) == 0:
        return idx, km, clr
    txy = network.metric(targets["lon"], targets["lat"])
    radius = costs.microwave_max_km * 1000.0 * 1.01 + 1.0
    found = (
        cKDTree(txy)
        .query(network.metric(points["lon"], points["lat"]), k=k + 1, distance_upper_bound=radius)[
            1
        ]
        .reshape(n, k + 1)
    )
    same = np.zeros(found.shape, bool)
    ok = found < len(targets)
    safe = np.where(ok, found, 0)
    pid = points["id"].astype(str).to_numpy()
    same[ok] = (
        targets["site_id"].astype(str).to_numpy()[safe[ok]] == np.repeat(pid, k + 1)[ok.ravel()]
    )
    ok &= ~same
    # keep the first k valid targets per row, in distance order
    order = np.argsort(~ok, axis=1, kind="stable")[:, :k]
    found, ok = np.take_along_axis(found, order, 1), np.take_along_axis(ok, order, 1)
    rows, cols = np.nonzero(ok)
    j = found[rows, cols]
    d = distance_km(
        points["lon"].to_numpy()[rows],
        points["lat"].to_numpy()[rows],
        targets["lon"].to_numpy()[j],
        targets["lat"].to_numpy()[j],
    )
    keep = d <= costs.microwave_max_km
    rows, cols, j, d = rows[keep], cols[keep], j[keep], d[keep]
    idx[rows, cols], km[rows, cols] = j, d
    clr[rows, cols] = fresnel_clearances(
        terrain,
        points["lon"].to_numpy()[rows],
        points["lat"].to_numpy()[rows],
        points["height_m"].to_numpy()[rows],
        targets["lon"].to_numpy()[j],
        targets["lat"].to_numpy()[j],
        targets["height_m"].to_numpy()[j],
        freq_mhz=costs.microwave_freq_mhz,
    )
    return idx, km, clr


def _first_clear(
    idx: np.ndarray,
    km: np.ndarray,
    clr: np.ndarray,
    threshold: float,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest clear hop per row: (target index or -1, km, clearance)."""
    clear = (idx >= 0) & (np.nan_to_num(clr, nan=-np.inf) >= threshold)
    if allowed is not None:
        clear &= allowed[np.maximum(idx, 0)]
    km = np.where(clear, km, np.inf)
    col = np.argmin(km, axis=1)
    rows = np.arange(len(idx))
    has = clear[rows, col]
    return (
        np.where(has, idx[rows, col], -1),
        np.where(has, km[rows, col], np.nan),
        np.where(has, clr[rows, col], np.nan),
    )
