"""Numba loops on plain arrays: DEM sampling along paths and Bullington geometry.

The public wrappers (:mod:`covgap.terrain`, :mod:`covgap.predict`) handle CRS, units and
tables; these kernels only see float arrays and fractional grid indices (column 0.0 is
the centre of the first column, see :func:`covgap.terrain.grid_index`).

The Bullington geometry of a path does not depend on the frequency: both the
line-of-sight parameter and the Bullington-point parameter of ITU-R P.1812 are
``nu = x / sqrt(wavelength)`` with ``x`` a function of the profile alone. So
:func:`bullington_geometry` computes ``x`` once per (site antenna, point) path and every
band of that antenna is evaluated from it (:mod:`covgap.propagation`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: ``x`` of a path that has no usable intermediate profile point (no edge, no loss).
NO_EDGE = -np.inf
#: Obstacle index of a path without one.
NO_OBSTACLE = -1


@njit(nogil=True, cache=True)
def bilinear(heights, col, row):  # pragma: no cover - compiled
    """Return the bilinear height at fractional (col, row); NaN outside or near nodata.

    The same arithmetic as :func:`covgap.terrain._bilinear`.
    """
    rows, cols = heights.shape
    if not (col >= -0.5 and col <= cols - 0.5 and row >= -0.5 and row <= rows - 0.5):
        return np.nan
    c = min(max(col, 0.0), cols - 1.0)
    r = min(max(row, 0.0), rows - 1.0)
    c0 = min(math.floor(c), max(cols - 2, 0))
    r0 = min(math.floor(r), max(rows - 2, 0))
    c1 = min(c0 + 1, cols - 1)
    r1 = min(r0 + 1, rows - 1)
    fc = c - c0
    fr = r - r0
    top = (1.0 - fc) * heights[r0, c0] + fc * heights[r0, c1]
    bottom = (1.0 - fc) * heights[r1, c0] + fc * heights[r1, c1]
    return (1.0 - fr) * top + fr * bottom


@njit(nogil=True, cache=True)
def path_geometry(heights, c0, r0, c1, r1, n_seg, d, hts, hrs, ce):  # pragma: no cover
    """Bullington geometry of one path sampled on the fly from the DEM.

    Parameters
    ----------
    heights
        2-D DEM (m), NaN for nodata.
    c0, r0, c1, r1
        Fractional grid indices of the transmitter and the receiver.
    n_seg
        Number of profile segments (samples ``1 .. n_seg - 1`` are intermediate).
    d
        Path length, km.
    hts, hrs
        Antenna heights above sea level, m.
    ce
        Earth curvature ``1 / (6371 k)``, 1/km.

    Returns
    -------
    x : float
        ``nu * sqrt(wavelength)`` of the Bullington construction (:data:`NO_EDGE` when
        the profile has no intermediate point).
    los : bool
        ``S_tim < S_tr``: the straight line between the antennas clears the terrain.
    t_obst : float
        Position (fraction of the path from the transmitter) of the sample with the
        largest individual knife-edge parameter; NaN without one.
    h_obst : float
        Its ground height, m above sea level.
    """
    s_tim = -np.inf
    s_rim = -np.inf
    x_max = -np.inf
    i_max = NO_OBSTACLE
    h_max = np.nan
    for i in range(1, n_seg):
        t = i / n_seg
        h = bilinear(heights, c0 + t * (c1 - c0), r0 + t * (r1 - r0))
        if math.isnan(h):
            continue
        di = t * d
        dd = d - di
        bulge = h + 500.0 * ce * di * dd
        s_tim = max(s_tim, (bulge - hts) / di)
        s_rim = max(s_rim, (bulge - hrs) / dd)
        x_i = (bulge - (hts * dd + hrs * di) / d) * math.sqrt(0.002 * d / (di * dd))
        if x_i > x_max:
            x_max = x_i
            i_max = i
            h_max = h
    if i_max == NO_OBSTACLE:
        return NO_EDGE, True, np.nan, np.nan
    t_obst = i_max / n_seg
    s_tr = (hrs - hts) / d
    if s_tim < s_tr or s_tim + s_rim <= 0.0:
        return x_max, s_tim < s_tr, t_obst, h_max
    d_b = (hrs - hts + s_rim * d) / (s_tim + s_rim)
    h_b = hts + s_tim * d_b - (hts * (d - d_b) + hrs * d_b) / d
    x_b = h_b * math.sqrt(0.002 * d / (d_b * (d - d_b)))
    return x_b, False, t_obst, h_max


@njit(nogil=True, cache=True, parallel=True)
def bullington_geometry(
    heights, c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce
):  # pragma: no cover - compiled
    """Run :func:`path_geometry` over many paths in parallel (one array entry per path).

    Returns
    -------
    x, los, t_obst, h_obst
        Arrays of :func:`path_geometry`'s results.
    """
    n = dist_km.shape[0]
    x = np.empty(n)
    los = np.empty(n, dtype=np.bool_)
    t_obst = np.empty(n)
    h_obst = np.empty(n)
    for k in prange(n):
        x[k], los[k], t_obst[k], h_obst[k] = path_geometry(
            heights, c0[k], r0[k], c1[k], r1[k], n_seg[k], dist_km[k], hts[k], hrs[k], ce
        )
    return x, los, t_obst, h_obst


@njit(nogil=True, cache=True)
def sample_path(heights, c0, r0, c1, r1, n_seg):  # pragma: no cover - compiled
    """Return the ``n_seg + 1`` bilinear heights along a path (tests and explanations)."""
    out = np.empty(n_seg + 1)
    for i in range(n_seg + 1):
        t = i / n_seg
        out[i] = bilinear(heights, c0 + t * (c1 - c0), r0 + t * (r1 - r0))
    return out
