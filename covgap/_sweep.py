r"""Radial sweep: the terrain terms of every cell of a site's window in one pass per ray.

Rays go from the antenna to the centre of every cell on the border of the window; a ray
is sampled every ``step`` (the DEM's cell size by default) with the bilinear heights of
:func:`covgap._kernels.bilinear`. Every window cell within the radius belongs to exactly
one ray (the one aimed at the border cell nearest to the cell's central projection on
the border) and is evaluated once, as the receiver of a path whose profile is its ray's
samples up to half a step before the cell, its own distance (great circle) and its own
ground height. Cells are visited in order of distance, so a ray carries a running state
and a cell costs O(log n), not O(n):

Bullington's slopes (P.1812 eqs. 13, 17)
    Fold the earth curvature into the heights, :math:`g_i = h_i - 500 C_e d_i^2`. Then
    :math:`h_i + 500 C_e d_i (d - d_i) = g_i + 500 C_e d\,d_i` for a receiver at
    :math:`d`, a term linear in :math:`d_i`, and

    .. math::

        S_{tim} = \max_i \frac{g_i - h_{ts}}{d_i} + 500 C_e d, \qquad
        S_{rim} = \max_i \frac{g_i - g_R}{d - d_i} - 500 C_e d, \quad
        g_R = h_{rs} - 500 C_e d^2

    The first maximum does not depend on the receiver: a running maximum. The second is
    the slope of the tangent from :math:`(d, g_R)` to the points already passed; it
    touches their upper convex hull, which Andrew's monotone chain keeps in amortised
    O(1) per sample (points arrive in increasing :math:`d_i`), and the tangent vertex
    is found by binary search (the slope to :math:`(d, g_R)` is unimodal along the hull).
Line of sight and :math:`\nu_{max}` (P.1812 eq. 15)
    The clearance of sample :math:`i` above the ray is
    :math:`c_i = g_i - h_{ts} - m\,d_i` with :math:`m = (g_R - h_{ts})/d`, a linear
    function of the folded point, so :math:`c_{max} = \max_i c_i` is a support query on
    the same hull (binary search again). :math:`\nu_i` weights :math:`c_i` by
    :math:`\sqrt{0.002 d / (\lambda d_i (d - d_i))}`, which is not linear, and its
    maximiser need not be a hull vertex (two grazing edges near the terminals and a
    lower point mid-path: the mid point has the larger :math:`\nu`). But in line of
    sight every :math:`c_i < 0` and the weight is at least
    :math:`\sqrt{0.008 / (\lambda d)}`, so
    :math:`\nu_{max}\sqrt\lambda \le c_{max}\sqrt{0.008/d}`. When that bound is below
    the site's ``x_floor`` (``-0.78 sqrt(lambda_max)``: no loss at any of its bands) the
    cell has no diffraction loss and nothing more is done; otherwise (near-grazing paths,
    a few per cent of the cells) the stored samples are scanned. The result is the exact
    brute-force value either way.
Delta-Bullington's smooth surface (P.1812 Att. 1 §5.6)
    :math:`v_1, v_2` are sums over consecutive samples: running sums plus the last
    segment to the receiver. :math:`\alpha_{obt}` is a running maximum of the raw
    (unfolded) slopes; :math:`\alpha_{obr}` and :math:`h_{obs}` are a tangent and a
    support query on a second hull of the raw heights.
Hata's effective height
    Running sums of the heights 3-15 km out.

The results do not depend on the frequency; :func:`evaluate_sectors` then gives every
band and sector of the site antenna from them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._kernels import (
    BULLINGTON,
    FSPL,
    HATA_FAR_KM,
    HATA_MIN_HEIGHT_M,
    HATA_NEAR_KM,
    HATA_OPEN,
    HATA_SUBURBAN,
    MIN_DIST_KM,
    NO_EDGE,
    P1812,
    bilinear,
    bullington_point_x,
    path_loss,
    pattern_loss,
    smooth_heights,
)

# indices of the running scalars of a ray
_STIM_F, _STIM_R, _V1, _V2, _D_LAST, _H_LAST, _SUM_BAND, _SUM_ALL = range(8)
_N_F, _N_R, _N_S, _N_BAND, _N_ALL = range(5)


# --------------------------------------------------------------------------- hulls
@njit(nogil=True, cache=True)
def hull_push(hx, hy, n, x, y):  # pragma: no cover - compiled
    """Append (x, y), x increasing, to the upper hull of ``n`` vertices; return the new n."""
    while n >= 2:
        cross = (hx[n - 1] - hx[n - 2]) * (y - hy[n - 2]) - (hy[n - 1] - hy[n - 2]) * (
            x - hx[n - 2]
        )
        if cross < 0.0:
            break
        n -= 1
    hx[n] = x
    hy[n] = y
    return n + 1


@njit(nogil=True, cache=True)
def hull_tangent(hx, hy, n, xr, yr):  # pragma: no cover - compiled
    """``max_j (y_j - yr) / (xr - x_j)`` over the hull (``xr`` right of every vertex)."""
    lo = 0
    hi = n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if (hy[mid] - yr) / (xr - hx[mid]) < (hy[mid + 1] - yr) / (xr - hx[mid + 1]):
            lo = mid + 1
        else:
            hi = mid
    return (hy[lo] - yr) / (xr - hx[lo])


@njit(nogil=True, cache=True)
def hull_support(hx, hy, n, m):  # pragma: no cover - compiled
    """``max_j (y_j - m x_j)`` over the hull."""
    lo = 0
    hi = n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if hy[mid] - m * hx[mid] < hy[mid + 1] - m * hx[mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return hy[lo] - m * hx[lo]


# --------------------------------------------------------------------------- ray state
@njit(nogil=True, cache=True)
def ray_reset(acc, cnt, g_tx):  # pragma: no cover - compiled
    """Start a ray at the transmitter (ground height ``g_tx``)."""
    acc[:] = 0.0
    cnt[:] = 0
    acc[_STIM_F] = -np.inf
    acc[_STIM_R] = -np.inf
    acc[_H_LAST] = g_tx


@njit(nogil=True, cache=True)
def ray_push(di, h, hts, ce, acc, cnt, buf):  # pragma: no cover - compiled
    """Add the profile sample (di km, h m) to the ray's state (NaN heights are skipped).

    ``buf`` rows: folded hull x, y; raw hull x, y; stored samples d, h.
    """
    if math.isnan(h):
        return
    g = h - 500.0 * ce * di * di
    acc[_STIM_F] = max(acc[_STIM_F], (g - hts) / di)
    acc[_STIM_R] = max(acc[_STIM_R], (h - hts) / di)
    cnt[_N_F] = hull_push(buf[0], buf[1], cnt[_N_F], di, g)
    cnt[_N_R] = hull_push(buf[2], buf[3], cnt[_N_R], di, h)
    k = cnt[_N_S]
    buf[4, k] = di
    buf[5, k] = h
    cnt[_N_S] = k + 1
    d_prev = acc[_D_LAST]
    h_prev = acc[_H_LAST]
    step = di - d_prev
    acc[_V1] += step * (h + h_prev)
    acc[_V2] += step * (h * (2.0 * di + d_prev) + h_prev * (di + 2.0 * d_prev))
    acc[_D_LAST] = di
    acc[_H_LAST] = h
    acc[_SUM_ALL] += h
    cnt[_N_ALL] += 1
    if di >= HATA_NEAR_KM and di <= HATA_FAR_KM:
        acc[_SUM_BAND] += h
        cnt[_N_BAND] += 1


@njit(nogil=True, cache=True)
def ray_slopes(d, hts, hrs, ce, acc, cnt, buf):  # pragma: no cover - compiled
    """Return (S_tim, S_rim, c_max) of a receiver at ``d`` from the ray's hull.

    ``c_max`` is the largest clearance of a sample above the straight ray between the
    antennas (earth bulge included), m. All three are ``-inf`` without samples.
    """
    if cnt[_N_F] == 0:
        return -np.inf, -np.inf, -np.inf
    g_r = hrs - 500.0 * ce * d * d
    s_tim = acc[_STIM_F] + 500.0 * ce * d
    s_rim = hull_tangent(buf[0], buf[1], cnt[_N_F], d, g_r) - 500.0 * ce * d
    c_max = hull_support(buf[0], buf[1], cnt[_N_F], (g_r - hts) / d) - hts
    return s_tim, s_rim, c_max


@njit(nogil=True, cache=True)
def _scan_x(d, hts, hrs, ce, cnt, buf):  # pragma: no cover - compiled
    """Brute-force ``max_i x_i`` over the stored samples (same arithmetic as path_terms)."""
    x_max = -np.inf
    for k in range(cnt[_N_S]):
        di = buf[4, k]
        dd = d - di
        bulge = buf[5, k] + 500.0 * ce * di * dd
        x_i = (bulge - (hts * dd + hrs * di) / d) * math.sqrt(0.002 * d / (di * dd))
        x_max = max(x_max, x_i)
    return x_max


@njit(nogil=True, cache=True)
def ray_eval(
    d, g_rx, hrs, hts, g_tx, ce, x_floor, acc, cnt, buf, code
):  # pragma: no cover - compiled
    """Terms of a receiver at ``d`` km (ground ``g_rx``, antenna ``hrs``) on this ray.

    Only the terms ``code`` needs are computed (the others are NaN): the Bullington
    ``x`` for P.1812 and Bullington, the smooth-earth heights for P.1812, Hata's
    effective height for Hata.

    Returns
    -------
    x, los, hte, hre, hb
        As :func:`covgap._kernels.path_terms` (``x`` is :data:`NO_EDGE` when a
        line-of-sight path cannot have a loss at any wavelength up to
        ``(x_floor / -0.78)**2``).
    """
    hte = np.nan
    hre = np.nan
    hb = np.nan
    s_tr = (hrs - hts) / d
    if code == P1812:
        step = d - acc[_D_LAST]
        h_prev = acc[_H_LAST]
        d_prev = acc[_D_LAST]
        v1 = acc[_V1] + step * (g_rx + h_prev)
        v2 = acc[_V2] + step * (g_rx * (2.0 * d + d_prev) + h_prev * (d + 2.0 * d_prev))
        h_obs = -np.inf
        a_obt = acc[_STIM_R] - s_tr  # > 0 exactly when some H_i > 0, i.e. h_obs > 0
        a_obr = -np.inf
        if cnt[_N_R] > 0 and a_obt > 0.0:
            h_obs = hull_support(buf[2], buf[3], cnt[_N_R], s_tr) - hts
            a_obr = hull_tangent(buf[2], buf[3], cnt[_N_R], d, hrs) + s_tr
        hte, hre = smooth_heights(v1, v2, d, h_obs, a_obt, a_obr, hts, hrs, g_tx, g_rx)
    if code in (HATA_SUBURBAN, HATA_OPEN):
        if cnt[_N_BAND] > 0:
            mean = acc[_SUM_BAND] / cnt[_N_BAND]
        else:
            mean = (acc[_SUM_ALL] + g_tx + g_rx) / (cnt[_N_ALL] + 2)
        hb = max(hts - mean, HATA_MIN_HEIGHT_M)
    if cnt[_N_F] == 0:
        return NO_EDGE, True, hte, hre, hb
    s_tim = acc[_STIM_F] + 500.0 * ce * d
    g_r = hrs - 500.0 * ce * d * d
    los = s_tim < s_tr
    if code != P1812 and code != BULLINGTON:
        return np.nan, los, hte, hre, hb
    if los:
        c_max = hull_support(buf[0], buf[1], cnt[_N_F], (g_r - hts) / d) - hts
        if c_max * math.sqrt(0.008 / d) <= x_floor:
            return NO_EDGE, True, hte, hre, hb
        return _scan_x(d, hts, hrs, ce, cnt, buf), True, hte, hre, hb
    s_rim = hull_tangent(buf[0], buf[1], cnt[_N_F], d, g_r) - 500.0 * ce * d
    if s_tim + s_rim <= 0.0:
        return _scan_x(d, hts, hrs, ce, cnt, buf), False, hte, hre, hb
    return bullington_point_x(s_tim, s_rim, d, hts, hrs), False, hte, hre, hb


# --------------------------------------------------------------------------- window
@njit(nogil=True, cache=True)
def _offset_m(dc, dr, geo, ax, ey, lat0):  # pragma: no cover - compiled
    """(east, north) metres of a grid offset from the site (local equirectangular)."""
    if geo:
        m_deg = math.radians(1.0) * 6_371_000.0
        lat = lat0 + dr * ey
        return dc * ax * m_deg * math.cos(math.radians(0.5 * (lat + lat0))), dr * ey * m_deg
    return dc * ax, dr * ey


@njit(nogil=True, cache=True)
def _border_ids(h, w):  # pragma: no cover - compiled
    """Ray id of every border cell of an h x w window (-1 inside), and the ray count."""
    ids = np.full((h, w), -1, dtype=np.int64)
    n = 0
    for r in range(h):
        for c in range(w):
            if r == 0 or c == 0 or r == h - 1 or c == w - 1:
                ids[r, c] = n
                n += 1
    return ids, n


@njit(nogil=True, cache=True)
def sweep_window(
    heights, row0, col0, h, w, c0, r0, hts, g_tx, rx_h, ce, radius_km, step_km, x_floor,
    geo, ax, ey, lat0, code,
):  # fmt: skip  # pragma: no cover - compiled
    """Terms of every cell of the window ``heights[row0:row0+h, col0:col0+w]``.

    Parameters
    ----------
    heights
        The whole DEM (m, NaN nodata).
    row0, col0, h, w
        The window in the DEM grid.
    c0, r0
        Fractional grid position of the antenna.
    hts, g_tx
        Antenna height above sea level and ground height under it, m.
    rx_h
        Receiver height above ground, m.
    ce
        Earth curvature 1/(6371 k), 1/km.
    radius_km, step_km
        Cells farther than the radius are left out; profile sample spacing.
    x_floor
        See :func:`ray_eval`.
    geo, ax, ey, lat0
        Geographic grid (degrees, cell size ``ax``, ``ey`` < 0, antenna latitude) or
        projected (metres).
    code
        Model code (:data:`covgap._kernels.P1812` ...): the terms it needs.

    Returns
    -------
    terms : ndarray, float64 (8, h, w)
        Per cell: distance km, x, hte, hre, hb, depression angle (deg, positive down),
        grid bearing (deg from grid north), los (1.0/0.0); NaN outside the radius or
        over nodata.
    """
    out = np.full((8, h, w), np.nan)
    ids, n_rays = _border_ids(h, w)
    ray = np.full((h, w), -1, dtype=np.int64)
    counts = np.zeros(n_rays + 1, dtype=np.int64)
    c_lo, c_hi = col0 - c0, col0 + w - 1 - c0
    r_lo, r_hi = row0 - r0, row0 + h - 1 - r0
    for r in range(h):
        for c in range(w):
            g = heights[row0 + r, col0 + c]
            if math.isnan(g):
                continue
            dc = col0 + c - c0
            dr = row0 + r - r0
            east, north = _offset_m(dc, dr, geo, ax, ey, lat0)
            d = math.hypot(east, north) / 1000.0
            if d > radius_km:
                continue
            s = 0.0
            if dc > 0.0:
                s = max(s, dc / c_hi)
            elif dc < 0.0:
                s = max(s, dc / c_lo)
            if dr > 0.0:
                s = max(s, dr / r_hi)
            elif dr < 0.0:
                s = max(s, dr / r_lo)
            if s > 0.0:
                bc = min(max(round(c0 + dc / s) - col0, 0), w - 1)
                br = min(max(round(r0 + dr / s) - row0, 0), h - 1)
                j = ids[br, bc]
                if j < 0:  # rounding landed inside: snap to the nearest border side
                    j = ids[br, 0 if bc < w // 2 else w - 1]
            else:
                j = 0
            ray[r, c] = j
            counts[j + 1] += 1
            out[0, r, c] = max(d, MIN_DIST_KM)
            out[6, r, c] = math.degrees(math.atan2(east, north)) % 360.0
    starts = np.cumsum(counts)
    fill = starts[:-1].copy()
    cells = np.empty(starts[-1], dtype=np.int64)
    for r in range(h):
        for c in range(w):
            j = ray[r, c]
            if j >= 0:
                cells[fill[j]] = r * w + c
                fill[j] += 1
    max_n = int(radius_km / step_km) + 8
    buf = np.empty((6, max_n))
    acc = np.zeros(8)
    cnt = np.zeros(5, dtype=np.int64)
    need = code != FSPL
    half = 0.5 * step_km
    for br in range(h):
        for bc in range(w):
            j = ids[br, bc]
            if j < 0 or starts[j + 1] == starts[j]:
                continue
            seg = cells[starts[j] : starts[j + 1]]
            dist = np.empty(seg.shape[0])
            for k in range(seg.shape[0]):
                dist[k] = out[0, seg[k] // w, seg[k] % w]
            order = np.argsort(dist)
            tc = col0 + bc - c0
            tr = row0 + br - r0
            east, north = _offset_m(tc, tr, geo, ax, ey, lat0)
            length = math.hypot(east, north) / 1000.0
            n_seg = max(math.ceil(length / step_km - 1e-9), 1)
            ray_reset(acc, cnt, g_tx)
            i = 1
            for k in order:
                cell = seg[k]
                r = cell // w
                c = cell % w
                d = dist[k]
                while need and i < n_seg and cnt[_N_S] < max_n and i * length / n_seg <= d - half:
                    t = i / n_seg
                    hi = bilinear(heights, c0 + t * tc, r0 + t * tr)
                    ray_push(t * length, hi, hts, ce, acc, cnt, buf)
                    i += 1
                g_rx = heights[row0 + r, col0 + c]
                hrs = g_rx + rx_h
                x, los, hte, hre, hb = ray_eval(
                    d, g_rx, hrs, hts, g_tx, ce, x_floor, acc, cnt, buf, code
                )
                d_m = d * 1000.0
                drop = d_m * d_m * ce / 2000.0
                out[1, r, c] = x
                out[2, r, c] = hte
                out[3, r, c] = hre
                out[4, r, c] = hb
                out[5, r, c] = math.degrees(math.atan2(hts - hrs + drop, d_m))
                out[7, r, c] = 1.0 if los else 0.0
    return out


@njit(nogil=True, cache=True)
def evaluate_sectors(
    terms, code, freqs, sector_band, offset_db, azimuth, beamwidth, tilt, az_shift,
    vbw, front_to_back, sla_v, rx_h, ae, out, first,
):  # fmt: skip  # pragma: no cover - compiled
    """Signal (dBm, float32) of every sector of one antenna at every cell of the window.

    ``out[first + s]`` receives sector ``s``: ``offset_db[s] - L(freqs[sector_band[s]])
    - A_s`` where ``offset_db`` is the link budget without path and pattern loss
    (:func:`covgap.propagation.signal_dbm` with zero losses) and ``A_s`` the sector's
    pattern loss towards the cell (grid bearing + ``az_shift`` = true bearing).
    """
    _, h, w = terms.shape
    n_bands = freqs.shape[0]
    n_sec = sector_band.shape[0]
    loss = np.empty(n_bands)
    for r in range(h):
        for c in range(w):
            d = terms[0, r, c]
            if math.isnan(d):
                continue
            for b in range(n_bands):
                loss[b], _ = path_loss(
                    code, d, freqs[b], terms[1, r, c], terms[2, r, c], terms[3, r, c],
                    terms[4, r, c], rx_h, ae,
                )  # fmt: skip
            bearing = terms[6, r, c] + az_shift
            for s in range(n_sec):
                a = pattern_loss(
                    bearing - azimuth[s], terms[5, r, c], beamwidth[s], tilt[s], vbw,
                    front_to_back, sla_v,
                )  # fmt: skip
                out[first + s, r, c] = offset_db[s] - loss[sector_band[s]] - a
