"""Numba loops on plain arrays: DEM sampling along paths, path geometry, path-loss models.

The public wrappers (:mod:`covgap.io.terrain`, :mod:`covgap.radio.point`, :mod:`covgap.radio.area`)
handle CRS, units and tables; these kernels only see float arrays and fractional grid
indices (column 0.0 is the centre of the first column, see
:func:`covgap.io.terrain.grid_index`).

The geometry of a path does not depend on the frequency: both the line-of-sight
parameter and the Bullington-point parameter of ITU-R P.1812 are
``nu = x / sqrt(wavelength)`` with ``x`` a function of the profile alone, and the
smooth-earth heights of delta-Bullington and Hata's effective height are heights. So
:func:`path_terms` computes them once per (site antenna, point) path and every band of
that antenna is evaluated from them by :func:`path_loss`, the one implementation of the
models' frequency-dependent part that both the point analysis
(:func:`covgap.radio.point.best_servers`) and the rasters (:mod:`covgap.radio.sweep`) call; the
numpy reference is :mod:`covgap.radio.models`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: ``x`` of a path that has no usable intermediate profile point (no edge, no loss).
NO_EDGE = -np.inf
#: Obstacle index of a path without one.
NO_OBSTACLE = -1
#: Shift of a cell look-up (grid cells) that breaks ties on cell edges the same way in
#: every engine (:func:`nearest`).
CELL_TIE = 1e-9
#: The ``clutter`` argument of the kernels for "no clutter" (an empty grid; pass it, the
#: kernels do not read it as a global).
NO_CLUTTER = np.zeros((0, 0))


@njit(nogil=True, cache=True)
def bilinear(heights, col, row):  # pragma: no cover - compiled
    """Return the bilinear height at fractional (col, row); NaN outside or near nodata.

    The same arithmetic as :func:`covgap.io.terrain._bilinear`.
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
def nearest(grid, col, row):  # pragma: no cover - compiled
    """Value of the cell that contains fractional (col, row) (clamped to the grid).

    A sample on a cell edge (common: rays through cell centres at rational steps) goes
    to the right or lower cell by :data:`CELL_TIE`, so that engines whose positions
    differ by a rounding pick the same cell.
    """
    rows, cols = grid.shape
    c = min(max(math.floor(col + 0.5 + CELL_TIE), 0), cols - 1)
    r = min(max(math.floor(row + 0.5 + CELL_TIE), 0), rows - 1)
    return grid[r, c]


@njit(nogil=True, cache=True)
def path_terms(
    heights, c0, r0, c1, r1, n_seg, d, hts, hrs, ce, g_tx, g_rx
):  # pragma: no cover - compiled
    """Frequency-independent terms of one path over the bare DEM (:func:`path_terms_c`).

    Returns the first seven results of :func:`path_terms_c` without clutter.
    """
    x, los, t_obst, h_obst, hte, hre, hb, _ = path_terms_c(
        heights, np.zeros((0, 0)), c0, r0, c1, r1, n_seg, d, hts, hrs, ce, g_tx, g_rx
    )
    return x, los, t_obst, h_obst, hte, hre, hb


@njit(nogil=True, cache=True)
def path_terms_c(
    heights, clutter, c0, r0, c1, r1, n_seg, d, hts, hrs, ce, g_tx, g_rx
):  # pragma: no cover - compiled
    r"""Frequency-independent terms of one path sampled on the fly from the DEM.

    With clutter (``clutter`` of the DEM's shape, representative heights in m; an empty
    array for none), Bullington's construction runs on the heights plus the clutter of
    the cell every sample falls in (ITU-R P.1812-6 §3.2; the terminals are bare) and the
    smooth-earth surface and Hata's mean on the bare heights.

    Parameters
    ----------
    heights
        2-D DEM (m), NaN for nodata.
    clutter
        Representative clutter heights (m) of the DEM's cells, or an empty 2-D array.
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
    g_tx, g_rx
        Ground heights at the terminals (the first and last profile samples), m.

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
    hte, hre : float
        Antenna heights above the smooth-earth surface of delta-Bullington
        (:func:`covgap.radio.models.smooth_surface_heights`), m.
    hb : float
        Hata's effective base-station height (:func:`covgap.radio.models.hata_effective_height_m`).
    s_hor : float
        Slope (m/km) of the transmitter's horizon, :math:`\max_i (g_i - 500 C_e d_i^2 -
        h_{ts}) / d_i`: ``atan(s_hor / 1000)`` is the horizon elevation angle of P.1812
        eq. 77, the departure angle of the diffracted ray (``-inf`` without samples).
    """
    use_clutter = clutter.shape[0] > 0
    s_hor = -np.inf
    s_tim = -np.inf
    s_rim = -np.inf
    x_max = -np.inf
    i_max = NO_OBSTACLE
    h_max = np.nan
    # smooth surface (no curvature) and Hata sums
    v1 = 0.0
    v2 = 0.0
    d_prev = 0.0
    h_prev = g_tx
    h_obs = -np.inf
    a_obt = -np.inf
    a_obr = -np.inf
    sum_band = 0.0
    n_band = 0
    sum_all = g_tx + g_rx
    n_all = 2
    for i in range(1, n_seg):
        t = i / n_seg
        col = c0 + t * (c1 - c0)
        row = r0 + t * (r1 - r0)
        h = bilinear(heights, col, row)
        if math.isnan(h):
            continue
        di = t * d
        dd = d - di
        g = h
        if use_clutter:
            g = h + nearest(clutter, col, row)
        bulge = g + 500.0 * ce * di * dd
        s_hor = max(s_hor, (g - 500.0 * ce * di * di - hts) / di)
        s_tim = max(s_tim, (bulge - hts) / di)
        s_rim = max(s_rim, (bulge - hrs) / dd)
        x_i = (bulge - (hts * dd + hrs * di) / d) * math.sqrt(0.002 * d / (di * dd))
        if x_i > x_max:
            x_max = x_i
            i_max = i
            h_max = h
        step = di - d_prev
        v1 += step * (h + h_prev)
        v2 += step * (h * (2.0 * di + d_prev) + h_prev * (di + 2.0 * d_prev))
        d_prev = di
        h_prev = h
        big_h = h - (hts * dd + hrs * di) / d
        h_obs = max(h_obs, big_h)
        a_obt = max(a_obt, big_h / di)
        a_obr = max(a_obr, big_h / dd)
        sum_all += h
        n_all += 1
        if di >= HATA_NEAR_KM and di <= HATA_FAR_KM:
            sum_band += h
            n_band += 1
    step = d - d_prev
    v1 += step * (g_rx + h_prev)
    v2 += step * (g_rx * (2.0 * d + d_prev) + h_prev * (d + 2.0 * d_prev))
    hte, hre = smooth_heights(v1, v2, d, h_obs, a_obt, a_obr, hts, hrs, g_tx, g_rx)
    mean = sum_band / n_band if n_band > 0 else sum_all / n_all
    hb = max(hts - mean, HATA_MIN_HEIGHT_M)
    if i_max == NO_OBSTACLE:
        return NO_EDGE, True, np.nan, np.nan, hte, hre, hb, s_hor
    t_obst = i_max / n_seg
    s_tr = (hrs - hts) / d
    if s_tim < s_tr or s_tim + s_rim <= 0.0:
        return x_max, s_tim < s_tr, t_obst, h_max, hte, hre, hb, s_hor
    x_b = bullington_point_x(s_tim, s_rim, d, hts, hrs)
    return x_b, False, t_obst, h_max, hte, hre, hb, s_hor


@njit(nogil=True, cache=True)
def bullington_point_x(s_tim, s_rim, d, hts, hrs):  # pragma: no cover - compiled
    """``x = nu_b * sqrt(wavelength)`` of the Bullington point (P.1812 eqs. 18-20)."""
    d_b = (hrs - hts + s_rim * d) / (s_tim + s_rim)
    h_b = hts + s_tim * d_b - (hts * (d - d_b) + hrs * d_b) / d
    return h_b * math.sqrt(0.002 * d / (d_b * (d - d_b)))


@njit(nogil=True, cache=True)
def smooth_heights(
    v1, v2, d, h_obs, a_obt, a_obr, hts, hrs, g_tx, g_rx
):  # pragma: no cover - compiled
    """Antenna heights above the smooth surface from the profile sums (P.1812 Att. 1 §5.6).

    ``h_obs = -inf`` means the profile had no intermediate sample.
    """
    h_st = (2.0 * v1 * d - v2) / (d * d)
    h_sr = (v2 - v1 * d) / (d * d)
    if h_obs > 0.0:
        h_st -= h_obs * a_obt / (a_obt + a_obr)
        h_sr -= h_obs * a_obr / (a_obt + a_obr)
    return hts - min(h_st, g_tx), hrs - min(h_sr, g_rx)


@njit(nogil=True, cache=True)
def path_geometry(heights, c0, r0, c1, r1, n_seg, d, hts, hrs, ce):  # pragma: no cover
    """Bullington geometry of one path: the first four results of :func:`path_terms`."""
    g = np.nan
    x, los, t_obst, h_obst, _, _, _ = path_terms(
        heights, c0, r0, c1, r1, n_seg, d, hts, hrs, ce, g, g
    )
    return x, los, t_obst, h_obst


@njit(nogil=True, cache=True, parallel=True)
def paths_terms(
    heights, c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce, g_tx, g_rx
):  # pragma: no cover - compiled
    """Run :func:`path_terms` over many paths in parallel (one array entry per path).

    Returns
    -------
    x, los, t_obst, h_obst, hte, hre, hb
        Arrays of :func:`path_terms`' results.
    """
    x, los, t_obst, h_obst, hte, hre, hb, _ = paths_terms_c(
        heights, np.zeros((0, 0)), c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce, g_tx, g_rx
    )
    return x, los, t_obst, h_obst, hte, hre, hb


@njit(nogil=True, cache=True, parallel=True)
def paths_terms_c(
    heights, clutter, c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce, g_tx, g_rx
):  # pragma: no cover - compiled
    """Run :func:`path_terms_c` over many paths in parallel (one array entry per path).

    Returns
    -------
    x, los, t_obst, h_obst, hte, hre, hb, s_hor
        Arrays of :func:`path_terms_c`' results.
    """
    n = dist_km.shape[0]
    x = np.empty(n)
    los = np.empty(n, dtype=np.bool_)
    t_obst = np.empty(n)
    h_obst = np.empty(n)
    hte = np.empty(n)
    hre = np.empty(n)
    hb = np.empty(n)
    s_hor = np.empty(n)
    for k in prange(n):
        x[k], los[k], t_obst[k], h_obst[k], hte[k], hre[k], hb[k], s_hor[k] = path_terms_c(
            heights, clutter, c0[k], r0[k], c1[k], r1[k], n_seg[k], dist_km[k], hts[k],
            hrs[k], ce, g_tx[k], g_rx[k],
        )  # fmt: skip
    return x, los, t_obst, h_obst, hte, hre, hb, s_hor


@njit(nogil=True, cache=True)
def bullington_geometry(
    heights, c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce
):  # pragma: no cover - compiled
    """Bullington geometry of many paths (the first four arrays of :func:`paths_terms`)."""
    nan = np.full(dist_km.shape[0], np.nan)
    x, los, t_obst, h_obst, _, _, _ = paths_terms(
        heights, c0, r0, c1, r1, n_seg, dist_km, hts, hrs, ce, nan, nan
    )
    return x, los, t_obst, h_obst


# --------------------------------------------------------------------------- models
#: Model codes (the keys are :data:`covgap.radio.models.MODELS`).
FSPL, BULLINGTON, P1812, HATA_SUBURBAN, HATA_OPEN = 0, 1, 2, 3, 4
SPEED_OF_LIGHT_M_S = 299_792_458.0
MIN_DIST_KM = 0.01
NU_MIN = -0.78
HATA_NEAR_KM = 3.0
HATA_FAR_KM = 15.0
HATA_MIN_HEIGHT_M = 1.0
LAND_PERMITTIVITY = 22.0
LAND_CONDUCTIVITY_S_M = 0.003


@njit(nogil=True, cache=True)
def knife_edge(nu):  # pragma: no cover - compiled
    """J(nu) of ITU-R P.526 (0 at or below -0.78)."""
    if not nu > NU_MIN:
        return 0.0
    v = nu - 0.1
    return max(6.9 + 20.0 * math.log10(math.sqrt(v * v + 1.0) + v), 0.0)


@njit(nogil=True, cache=True)
def bullington_db(x, d, lam):  # pragma: no cover - compiled
    """Bullington loss from ``x = nu sqrt(lambda)`` (P.1812 eq. 21)."""
    l_uc = knife_edge(x / math.sqrt(lam))
    return l_uc + (1.0 - math.exp(-l_uc / 6.0)) * (10.0 + 0.02 * d)


@njit(nogil=True, cache=True)
def fspl(d, f_mhz):  # pragma: no cover - compiled
    """Free-space loss, dB (P.525)."""
    return 32.45 + 20.0 * math.log10(max(d, MIN_DIST_KM)) + 20.0 * math.log10(f_mhz)


@njit(nogil=True, cache=True)
def _g_height(b, g_min):  # pragma: no cover - compiled
    if b > 2.0:
        val = 17.6 * math.sqrt(b - 1.1) - 5.0 * math.log10(b - 1.1) - 8.0
    else:
        val = 20.0 * math.log10(b + 0.1 * b * b * b)
    return max(val, g_min)


@njit(nogil=True, cache=True)
def first_term(d, hte, hre, a, f_mhz):  # pragma: no cover - compiled
    """First-term spherical-earth loss, land, vertical polarisation (P.1812 §4.3.3)."""
    f = f_mhz / 1000.0
    eps = LAND_PERMITTIVITY
    s18 = 18.0 * LAND_CONDUCTIVITY_S_M / f
    k = 0.036 * (a * f) ** (-1.0 / 3.0) * ((eps - 1.0) ** 2 + s18 * s18) ** -0.25
    k *= math.sqrt(eps * eps + s18 * s18)
    k2 = k * k
    beta = (1.0 + 1.6 * k2 + 0.67 * k2 * k2) / (1.0 + 4.5 * k2 + 1.53 * k2 * k2)
    x = 21.88 * beta * (f / (a * a)) ** (1.0 / 3.0) * d
    y = 0.9575 * beta * (f * f / a) ** (1.0 / 3.0)
    if x >= 1.6:
        f_x = 11.0 + 10.0 * math.log10(x) - 17.6 * x
    else:
        f_x = -20.0 * math.log10(x) - 5.6488 * x**1.425
    g_min = 2.0 + 20.0 * math.log10(k)
    return -f_x - _g_height(beta * y * hte, g_min) - _g_height(beta * y * hre, g_min)


@njit(nogil=True, cache=True, inline="always")
def smooth_bullington_x(d, hte, hre, ae):  # pragma: no cover - compiled
    r"""Bullington ``x`` (:math:`\nu \sqrt{\lambda}`) of the smooth profile beyond its horizon.

    P.1812 §4.5 on the zero-height profile with the effective heights ``hte``, ``hre``:
    the two horizon slopes, the Bullington point and its height above the direct line.
    Inlined, so that every caller keeps its own floating-point flags.
    """
    ce = 1.0 / ae
    s_tm = 500.0 * ce * d - 2.0 * math.sqrt(500.0 * ce * hte)
    s_rm = 500.0 * ce * d - 2.0 * math.sqrt(500.0 * ce * hre)
    d_s = (hre - hte + s_rm * d) / (s_tm + s_rm)
    return (hte + s_tm * d_s - (hte * (d - d_s) + hre * d_s) / d) * math.sqrt(
        0.002 * d / (d_s * (d - d_s))
    )


@njit(nogil=True, cache=True, inline="always")
def _closest_approach(d, hte, hre, ae):  # pragma: no cover - compiled
    c = (hte - hre) / (hte + hre)
    m = 250.0 * d * d / (ae * (hte + hre))
    arg = min(max(1.5 * c * math.sqrt(3.0 * m / (m + 1.0) ** 3), -1.0), 1.0)
    b = 2.0 * math.sqrt((m + 1.0) / (3.0 * m)) * math.cos(math.pi / 3.0 + math.acos(arg) / 3.0)
    d1 = d / 2.0 * (1.0 + b)
    h_se = ((hte - 500.0 * d1 * d1 / ae) * (d - d1) + (hre - 500.0 * (d - d1) ** 2 / ae) * d1) / d
    return d1, d - d1, h_se


@njit(nogil=True, cache=True)
def delta_terms(d, hte, hre, lam, f_mhz, ae):  # pragma: no cover - compiled
    """``max(L_dsph - L_bulls, 0)`` of delta-Bullington for the smooth-earth heights."""
    d_los = math.sqrt(2.0 * ae) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))
    if d >= d_los:
        l_dsph = max(first_term(d, hte, hre, ae, f_mhz), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = smooth_bullington_x(d, hte, hre, ae)
    else:
        d1, d2, h_se = _closest_approach(d, hte, hre, ae)
        h_req = 17.456 * math.sqrt(d1 * d2 * lam / d)
        if h_se > h_req:
            return 0.0  # L_dsph = 0 <= L_bulls
        aem = 500.0 * (d / (math.sqrt(hte) + math.sqrt(hre))) ** 2
        l_dsph = (1.0 - h_se / h_req) * max(first_term(d, hte, hre, aem, f_mhz), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = -h_se * math.sqrt(0.002 * d / (d1 * d2))
    return max(l_dsph - bullington_db(x_s, d, lam), 0.0)


@njit(nogil=True, cache=True)
def hata(d, f, hb, hm, code):  # pragma: no cover - compiled
    """Okumura-Hata / COST-231 Hata with the suburban or open correction, >= free space."""
    d = max(d, MIN_DIST_KM)
    hb = max(hb, HATA_MIN_HEIGHT_M)
    lf = math.log10(f)
    lhb = math.log10(hb)
    a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
    loss = 46.3 + 33.9 * lf if f > 1500.0 else 69.55 + 26.16 * lf
    loss += -13.82 * lhb - a_hm + (44.9 - 6.55 * lhb) * math.log10(d)
    if code == HATA_OPEN:
        loss += -4.78 * lf * lf + 18.33 * lf - 40.94
    else:
        loss += -2.0 * math.log10(f / 28.0) ** 2 - 5.4
    return max(loss, fspl(d, f))


@njit(nogil=True, cache=True)
def path_loss(code, d, f_mhz, x, hte, hre, hb, hm, ae):  # pragma: no cover - compiled
    """Path loss of one path for one frequency from its frequency-independent terms.

    Returns
    -------
    total, excess : float
        Path loss and its part above free space, dB.
    """
    free = fspl(d, f_mhz)
    if code == FSPL:
        return free, 0.0
    if code in (HATA_SUBURBAN, HATA_OPEN):
        loss = hata(d, f_mhz, hb, hm, code)
        return loss, loss - free
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    excess = bullington_db(x, d, lam)
    if code == P1812:
        excess += delta_terms(max(d, MIN_DIST_KM), hte, hre, lam, f_mhz, ae)
    return free + excess, excess


@njit(nogil=True, cache=True)
def path_losses(code, d, f_mhz, x, hte, hre, hb, hm, ae):  # pragma: no cover - compiled
    """:func:`path_loss` over arrays (one entry per path and frequency)."""
    n = d.shape[0]
    total = np.empty(n)
    excess = np.empty(n)
    for k in range(n):
        total[k], excess[k] = path_loss(code, d[k], f_mhz[k], x[k], hte[k], hre[k], hb[k], hm, ae)
    return total, excess


@njit(nogil=True, cache=True)
def pattern_loss(phi, theta, beamwidth, tilt, vbw, front_to_back, sla_v):  # pragma: no cover
    """Loss (>= 0) of the 3GPP TR 36.814 pattern (:func:`~.propagation.antenna_pattern_db`)."""
    a_h = 0.0
    if not (math.isnan(phi) or beamwidth >= 360.0):
        p = phi
        while p > 180.0:
            p -= 360.0
        while p < -180.0:
            p += 360.0
        a_h = min(12.0 * (p / beamwidth) ** 2, front_to_back)
    a_v = min(12.0 * ((theta - tilt) / vbw) ** 2, sla_v)
    return min(a_h + a_v, front_to_back)


@njit(nogil=True, cache=True)
def sample_path(heights, c0, r0, c1, r1, n_seg):  # pragma: no cover - compiled
    """Return the ``n_seg + 1`` bilinear heights along a path (tests and explanations)."""
    out = np.empty(n_seg + 1)
    for i in range(n_seg + 1):
        t = i / n_seg
        out[i] = bilinear(heights, c0 + t * (c1 - c0), r0 + t * (r1 - r0))
    return out
