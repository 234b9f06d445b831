r"""Radial sweep: the terrain terms of every cell of a site's window in one pass per ray.

Rays go from the antenna to the centre of every cell on the border of the window; a ray
is sampled every ``step`` (the DEM's cell size by default) with the bilinear heights of
:func:`covgap.radio.kernels.bilinear`. Every window cell within the radius belongs to exactly
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

Per site and per cell
    :func:`site_geometry` runs once per site: every cell's distance, bearing, ground
    height, ray and the number of its ray's samples that precede it (the samples at
    most half a step short of the cell, a closed form checked against the comparison
    itself), and the cells bucketed by (ray, sample count) with two stable counting
    passes instead of a sort by distance. :func:`sweep_sectors` then walks every ray
    once per antenna height, keeping only the running state the model needs (none for
    free space, height sums for Hata), and writes every band and sector of the cell
    straight into the site's output: the frequency-only parts of the models come from
    :func:`band_table`, so a cell pays only for the terms that depend on it. Every
    value is computed with the kernels' own operations in their order, bit for bit the
    result of :func:`covgap.radio.kernels.path_loss` and
    :func:`covgap.radio.kernels.pattern_loss` on the cell's terms.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import (
    BULLINGTON,
    FSPL,
    HATA_FAR_KM,
    HATA_MIN_HEIGHT_M,
    HATA_NEAR_KM,
    HATA_OPEN,
    HATA_SUBURBAN,
    LAND_CONDUCTIVITY_S_M,
    LAND_PERMITTIVITY,
    MIN_DIST_KM,
    NO_EDGE,
    NU_MIN,
    P1812,
    SPEED_OF_LIGHT_M_S,
    _closest_approach,
    _g_height,
    bilinear,
    bullington_db,
    bullington_point_x,
    first_term,
    nearest,
    pattern_loss,
    smooth_bullington_x,
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
    _push(di, h, 0.0, hts, ce, acc, cnt, buf, True, True, True)


@njit(nogil=True, cache=True)
def _push(di, h, r, hts, ce, acc, cnt, buf, bull, smooth, sums):  # pragma: no cover - compiled
    """:func:`ray_push` of the parts a model needs.

    Bullington's (folded hull, stored samples: on the height plus the clutter ``r``,
    P.1812 §3.2), the smooth surface's (raw hull, sums) and Hata's (height sums), both
    on the bare height.
    """
    if math.isnan(h):
        return
    if bull:
        hr = h + r
        g = hr - 500.0 * ce * di * di
        acc[_STIM_F] = max(acc[_STIM_F], (g - hts) / di)
        cnt[_N_F] = hull_push(buf[0], buf[1], cnt[_N_F], di, g)
        k = cnt[_N_S]
        buf[4, k] = di
        buf[5, k] = hr
        cnt[_N_S] = k + 1
    if smooth:
        acc[_STIM_R] = max(acc[_STIM_R], (h - hts) / di)
        cnt[_N_R] = hull_push(buf[2], buf[3], cnt[_N_R], di, h)
        d_prev = acc[_D_LAST]
        h_prev = acc[_H_LAST]
        step = di - d_prev
        acc[_V1] += step * (h + h_prev)
        acc[_V2] += step * (h * (2.0 * di + d_prev) + h_prev * (di + 2.0 * d_prev))
        acc[_D_LAST] = di
        acc[_H_LAST] = h
    if sums:
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
        As :func:`covgap.radio.kernels.path_terms` (``x`` is :data:`NO_EDGE` when a
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
@njit(nogil=True, cache=True, inline="always")
def planar_km(east, north):  # pragma: no cover - compiled
    """Length (km) of an (east, north) offset in metres.

    ``sqrt(e^2 + n^2)``: ``math.hypot`` guards against overflow that metre offsets never
    reach and costs about 20 times as much (it was half of a site's geometry time). The
    exact and fast sweeps share it, so that their rays and sample counts agree bit for
    bit.
    """
    return math.sqrt(east * east + north * north) / 1000.0


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
def site_geometry(
    heights, row0, col0, h, w, c0, r0, radius_km, step_km, geo, ax, ey, lat0
):  # pragma: no cover - compiled
    """Geometry of the window shared by every antenna height, model and sector of a site.

    A cell within the radius (and not over nodata) belongs to one ray and comes after
    ``n_before`` of that ray's profile samples: those at most half a step short of it.
    The cells are bucketed by (ray, ``n_before``) with two stable counting passes, an
    order in which a ray's state only ever grows (no sort by distance).

    Returns
    -------
    dist, bearing : ndarray, float64 (h, w)
        Great-circle distance (km, at least ``MIN_DIST_KM``) and grid bearing (deg);
        NaN outside the radius or over nodata.
    order, n_before : ndarray, int64
        Window cells (``r * w + c``) in sweep order, and their sample counts.
    cells : ndarray, float64 (3, n)
        Distance, bearing and ground height of the cells in sweep order.
    ray_start : ndarray, int64 (n_rays + 1)
        Ray ``j`` owns ``order[ray_start[j]:ray_start[j + 1]]``.
    ray_tc, ray_tr, ray_len : ndarray, float64 (n_rays)
        Grid offset of the ray's border cell from the antenna, and its length in km.
    ray_nseg : ndarray, int64 (n_rays)
        Profile segments of the ray (samples ``1 .. ray_nseg - 1``).
    """
    ids, n_rays = _border_ids(h, w)
    ray_tc = np.empty(n_rays)
    ray_tr = np.empty(n_rays)
    ray_len = np.empty(n_rays)
    ray_nseg = np.empty(n_rays, dtype=np.int64)
    for br in range(h):
        for bc in range(w):
            j = ids[br, bc]
            if j >= 0:
                tc = col0 + bc - c0
                tr = row0 + br - r0
                east, north = _offset_m(tc, tr, geo, ax, ey, lat0)
                length = planar_km(east, north)
                ray_tc[j], ray_tr[j], ray_len[j] = tc, tr, length
                ray_nseg[j] = max(math.ceil(length / step_km - 1e-9), 1)
    dist = np.full((h, w), np.nan)
    bearing = np.full((h, w), np.nan)
    ray = np.full(h * w, -1, dtype=np.int32)
    kk = np.zeros(h * w, dtype=np.int32)
    k_max = 0
    inv = border_inverses(border_offsets(c0, r0, col0, row0, h, w))
    ray_seg = ray_len / ray_nseg
    ray_inv_seg = ray_nseg / ray_len
    half = 0.5 * step_km
    m_deg = math.radians(1.0) * 6_371_000.0
    for r in range(h):
        dr = row0 + r - r0
        north = dr * ey * m_deg if geo else dr * ey
        cos_lat = math.cos(math.radians(0.5 * (lat0 + dr * ey + lat0)))  # as _offset_m
        for c in range(w):
            if math.isnan(heights[row0 + r, col0 + c]):
                continue
            dc = col0 + c - c0
            east = dc * ax * m_deg * cos_lat if geo else dc * ax
            d = planar_km(east, north)
            if d > radius_km:
                continue
            j = _ray_of(dc, dr, inv, c0, r0, col0, row0, h, w, ids)
            d = max(d, MIN_DIST_KM)
            k = _samples_before(d - half, ray_seg[j], ray_inv_seg[j], ray_nseg[j])
            ray[r * w + c] = j
            kk[r * w + c] = k
            k_max = max(k_max, k)
            dist[r, c] = d
            bearing[r, c] = math.degrees(math.atan2(east, north)) % 360.0
    # stable counting sorts: by samples, then by ray
    by_k = _bucket(np.arange(h * w), kk, ray, k_max + 1)
    order = _bucket(by_k, ray, ray, n_rays)
    ray_start = np.zeros(n_rays + 1, dtype=np.int64)
    for p in range(order.shape[0]):
        ray_start[ray[order[p]] + 1] += 1
    ray_start = np.cumsum(ray_start)
    n = order.shape[0]
    n_before = np.empty(n, dtype=np.int64)
    cells = np.empty((3, n))  # distance, bearing, ground height in sweep order
    for p in range(n):
        r, c = order[p] // w, order[p] % w
        n_before[p] = kk[order[p]]
        cells[0, p], cells[1, p] = dist[r, c], bearing[r, c]
        cells[2, p] = heights[row0 + r, col0 + c]
    return (
        dist, bearing, order, n_before, cells, ray_start, ray_tc, ray_tr, ray_len, ray_nseg
    )  # fmt: skip


@njit(nogil=True, cache=True, inline="always")
def border_hit(dc, dr, inv, c0, r0, col0, row0, h, w):  # pragma: no cover - compiled
    """Window cell (br, bc) nearest the central projection of (dc, dr) onto the border.

    ``(dc, dr)`` is a grid offset from the antenna at fractional position ``(c0, r0)``,
    the window starts at ``(col0, row0)``, and ``inv`` holds the reciprocals of the
    border's offsets ``(c_lo, c_hi, r_lo, r_hi)`` (0 for a zero offset): one division
    a cell. ``(-1, -1)`` for the antenna's own offset.
    """
    s = 0.0
    if dc > 0.0:
        s = max(s, dc * inv[1])
    elif dc < 0.0:
        s = max(s, dc * inv[0])
    if dr > 0.0:
        s = max(s, dr * inv[3])
    elif dr < 0.0:
        s = max(s, dr * inv[2])
    if not s > 0.0:
        return -1, -1
    inv_s = 1.0 / s
    bc = min(max(round(c0 + dc * inv_s) - col0, 0), w - 1)
    br = min(max(round(r0 + dr * inv_s) - row0, 0), h - 1)
    return br, bc


@njit(nogil=True, cache=True)
def border_offsets(c0, r0, col0, row0, h, w):  # pragma: no cover - compiled
    """Grid offsets ``(c_lo, c_hi, r_lo, r_hi)`` of a window's border from the antenna."""
    return np.array([col0 - c0, col0 + w - 1 - c0, row0 - r0, row0 + h - 1 - r0])


@njit(nogil=True, cache=True)
def border_inverses(lims):  # pragma: no cover - compiled
    """Return the ``inv`` of :func:`border_hit`: the reciprocals of :func:`border_offsets`."""
    inv = np.zeros(4)
    for q in range(4):
        if lims[q] != 0.0:
            inv[q] = 1.0 / lims[q]
    return inv


@njit(nogil=True, cache=True)
def _ray_of(dc, dr, inv, c0, r0, col0, row0, h, w, ids):  # pragma: no cover - compiled
    """Ray of the cell at grid offset (dc, dr): the border cell nearest its projection."""
    br, bc = border_hit(dc, dr, inv, c0, r0, col0, row0, h, w)
    if br < 0:
        return 0
    j = ids[br, bc]
    if j < 0:  # rounding landed inside: snap to the nearest border side
        j = ids[br, 0 if bc < w // 2 else w - 1]
    return j


@njit(nogil=True, cache=True, inline="always")
def _samples_before(lim, seg, inv_seg, n_seg):  # pragma: no cover - compiled
    """Count of i in 1 .. n_seg - 1 with ``i * seg <= lim`` (``seg``: the ray's step).

    ``inv_seg = 1 / seg`` gives the guess; the comparisons decide (no division).
    """
    k = 0
    if n_seg > 1 and lim > 0.0:
        k = min(max(int(lim * inv_seg), 0), n_seg - 1)
    while k + 1 < n_seg and (k + 1) * seg <= lim:
        k += 1
    while k > 0 and k * seg > lim:
        k -= 1
    return k


@njit(nogil=True, cache=True)
def _bucket(items, key, valid, n_keys):  # pragma: no cover - compiled
    """Stable counting sort of the ``items`` with ``valid[item] >= 0`` by ``key[item]``."""
    counts = np.zeros(n_keys + 1, dtype=np.int64)
    for item in items:
        if valid[item] >= 0:
            counts[key[item] + 1] += 1
    fill = np.cumsum(counts)[:-1]
    out = np.empty(counts.sum(), dtype=np.int64)
    for item in items:
        if valid[item] >= 0:
            out[fill[key[item]]] = item
            fill[key[item]] += 1
    return out


# --------------------------------------------------------------------------- losses
# columns of the band table: the frequency-only parts of path_loss
_F, _FS_F, _LAM, _SQRT_LAM, _H_BASE, _H_AHM, _H_CORR, _FT_CX, _FT_BY, _FT_GMIN = range(10)


@njit(nogil=True, cache=True)
def band_table(freqs, code, hm, ae):  # pragma: no cover - compiled
    """Per band, the terms of :func:`covgap.radio.kernels.path_loss` that depend on it alone.

    Written with the kernels' own expressions so that :func:`_band_losses` gives the
    same bits: free space's ``20 log f``, the wavelength, Hata's frequency terms and the
    first-term loss's constants for the effective radius ``ae``.
    """
    out = np.empty((freqs.shape[0], 10))
    for b in range(freqs.shape[0]):
        f_mhz = freqs[b]
        lf = math.log10(f_mhz)
        lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
        out[b, _F] = f_mhz
        out[b, _FS_F] = 20.0 * math.log10(f_mhz)
        out[b, _LAM] = lam
        out[b, _SQRT_LAM] = math.sqrt(lam)
        out[b, _H_BASE] = 46.3 + 33.9 * lf if f_mhz > 1500.0 else 69.55 + 26.16 * lf
        out[b, _H_AHM] = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
        if code == HATA_OPEN:
            out[b, _H_CORR] = -4.78 * lf * lf + 18.33 * lf - 40.94
        else:
            out[b, _H_CORR] = -2.0 * math.log10(f_mhz / 28.0) ** 2 - 5.4
        # first_term(d, hte, hre, ae, f_mhz) up to its d, hte, hre
        f = f_mhz / 1000.0
        a = ae
        eps = LAND_PERMITTIVITY
        s18 = 18.0 * LAND_CONDUCTIVITY_S_M / f
        k = 0.036 * (a * f) ** (-1.0 / 3.0) * ((eps - 1.0) ** 2 + s18 * s18) ** -0.25
        k *= math.sqrt(eps * eps + s18 * s18)
        k2 = k * k
        beta = (1.0 + 1.6 * k2 + 0.67 * k2 * k2) / (1.0 + 4.5 * k2 + 1.53 * k2 * k2)
        out[b, _FT_CX] = 21.88 * beta * (f / (a * a)) ** (1.0 / 3.0)
        out[b, _FT_BY] = beta * (0.9575 * beta * (f * f / a) ** (1.0 / 3.0))
        out[b, _FT_GMIN] = 2.0 + 20.0 * math.log10(k)
    return out


@njit(nogil=True, cache=True)
def _first_term_ae(d, hte, hre, band):  # pragma: no cover - compiled
    """:func:`covgap.radio.kernels.first_term` at the effective radius, from the band's row."""
    x = band[_FT_CX] * d
    if x >= 1.6:
        f_x = 11.0 + 10.0 * math.log10(x) - 17.6 * x
    else:
        f_x = -20.0 * math.log10(x) - 5.6488 * x**1.425
    g_min = band[_FT_GMIN]
    return -f_x - _g_height(band[_FT_BY] * hte, g_min) - _g_height(band[_FT_BY] * hre, g_min)


@njit(nogil=True, cache=True)
def _band_losses(code, d, x, hte, hre, hb, bands, ae, loss):  # pragma: no cover - compiled
    """``loss[b] = path_loss(code, d, bands[b], x, hte, hre, hb, hm, ae)[0]`` for every band.

    The frequency-independent parts are computed once per cell; every operation is the
    kernels' own, in their order.
    """
    fs_d = 32.45 + 20.0 * math.log10(max(d, MIN_DIST_KM))
    n = bands.shape[0]
    if code == FSPL:
        for b in range(n):
            loss[b] = fs_d + bands[b, _FS_F]
        return
    if code in (HATA_SUBURBAN, HATA_OPEN):
        lhb = math.log10(max(hb, HATA_MIN_HEIGHT_M))
        p = -13.82 * lhb
        q = (44.9 - 6.55 * lhb) * math.log10(max(d, MIN_DIST_KM))
        for b in range(n):
            val = bands[b, _H_BASE]
            val += p - bands[b, _H_AHM] + q
            val += bands[b, _H_CORR]
            loss[b] = max(val, fs_d + bands[b, _FS_F])
        return
    # Bullington, then delta-Bullington's smooth-earth part (delta_terms) for P.1812
    dd = max(d, MIN_DIST_KM)
    far = False
    d1 = d2 = h_se = 0.0
    if code == P1812:
        d_los = math.sqrt(2.0 * ae) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))
        far = dd >= d_los
        if not far:
            d1, d2, h_se = _closest_approach(dd, hte, hre, ae)
    for b in range(n):
        free = fs_d + bands[b, _FS_F]
        lam = bands[b, _LAM]
        excess = 0.0
        if x / bands[b, _SQRT_LAM] > NU_MIN:  # else knife_edge and bullington_db are 0
            excess = bullington_db(x, d, lam)
        if code == P1812:
            excess += _delta(dd, hte, hre, lam, bands[b], far, d1, d2, h_se, ae)
        loss[b] = free + excess


@njit(nogil=True, cache=True)
def _delta(d, hte, hre, lam, band, far, d1, d2, h_se, ae):  # pragma: no cover - compiled
    """:func:`~.kernels.delta_terms` given its line-of-sight branch and closest approach."""
    if far:
        l_dsph = max(_first_term_ae(d, hte, hre, band), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = smooth_bullington_x(d, hte, hre, ae)
    else:
        h_req = 17.456 * math.sqrt(d1 * d2 * lam / d)
        if h_se > h_req:
            return 0.0  # L_dsph = 0 <= L_bulls
        aem = 500.0 * (d / (math.sqrt(hte) + math.sqrt(hre))) ** 2
        l_dsph = (1.0 - h_se / h_req) * max(first_term(d, hte, hre, aem, band[_F]), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = -h_se * math.sqrt(0.002 * d / (d1 * d2))
    return max(l_dsph - bullington_db(x_s, d, lam), 0.0)


# --------------------------------------------------------------------------- sweep
@njit(nogil=True, cache=True)
def sweep_sectors(
    heights, geom, ant, code, bands, sec, out, clutter=None
):  # pragma: no cover - compiled
    """Signal (dBm) of the sectors of one antenna height at every cell of the window.

    Parameters
    ----------
    heights
        The whole DEM (m, NaN nodata).
    clutter
        Representative clutter heights (m) of the DEM's cells, or ``None``: a sample's
        clutter is its cell's (:func:`covgap.radio.kernels.nearest`), on Bullington's
        profile only (:func:`covgap.radio.kernels.path_terms_c`).
    geom
        :func:`site_geometry`'s results.
    ant
        ``(row0, col0, c0, r0, hts, g_tx, rx_h, ce, ae, x_floor, max_n, az_shift,
        vbw, front_to_back, sla_v)``: the window, the antenna's fractional grid position,
        height and ground (m above sea level), the receiver height, the earth curvature
        ``1 / (6371 k)`` and effective radius, ``x_floor`` (see :func:`ray_eval`), the
        profile buffer length, the grid-to-true bearing shift and the vertical pattern.
    code
        Model code (:data:`covgap.radio.kernels.P1812` ...).
    bands
        :func:`band_table` of the antenna's frequencies.
    sec
        ``(band, offset_db, azimuth, beamwidth, tilt, plane)`` per sector: band row,
        link budget without path and pattern loss, pattern, and the plane of ``out``.
    out
        float32 (n, h, w), C-contiguous: ``out[plane[s]]`` receives
        ``offset_db[s] - L - A_s``.
    """
    dist, bearing, order, n_before, cells, ray_start, ray_tc, ray_tr, ray_len, ray_nseg = geom
    row0, col0, c0, r0, hts, g_tx, rx_h, ce, _, x_floor, max_n = ant[:11]
    h, w = dist.shape
    flat = out.reshape(out.shape[0], h * w)
    loss = np.empty(bands.shape[0])
    if code == FSPL:  # no profile: raster order
        for r in range(h):
            for c in range(w):
                if not math.isnan(dist[r, c]):
                    g_rx = heights[row0 + r, col0 + c]
                    _cell(flat, r * w + c, dist[r, c], bearing[r, c], g_rx,
                          np.nan, np.nan, np.nan, np.nan, ant, code, bands, sec, loss,
                          np.nan)  # fmt: skip
        return
    bull = code in (P1812, BULLINGTON)
    smooth = code == P1812
    sums = code in (HATA_SUBURBAN, HATA_OPEN)
    n_count = _N_S if bull else _N_ALL
    buf = np.empty((6, max_n))
    acc = np.zeros(8)
    cnt = np.zeros(5, dtype=np.int64)
    for j in range(ray_start.shape[0] - 1):
        tc, tr, length, n_seg = ray_tc[j], ray_tr[j], ray_len[j], ray_nseg[j]
        ray_reset(acc, cnt, g_tx)
        i = 1
        for p in range(ray_start[j], ray_start[j + 1]):
            while i <= n_before[p] and cnt[n_count] < max_n:
                t = i / n_seg
                col = c0 + t * tc
                row = r0 + t * tr
                hi = bilinear(heights, col, row)
                ri = 0.0
                if clutter is not None:
                    ri = nearest(clutter, col, row)
                _push(t * length, hi, ri, hts, ce, acc, cnt, buf, bull, smooth, sums)
                i += 1
            d, g_rx = cells[0, p], cells[2, p]
            x, los, hte, hre, hb = ray_eval(
                d, g_rx, g_rx + rx_h, hts, g_tx, ce, x_floor, acc, cnt, buf, code
            )
            s_dep = np.nan if (los or not bull) else acc[_STIM_F]  # obstructed: departure
            _cell(flat, order[p], d, cells[1, p], g_rx, x, hte, hre, hb, ant, code, bands, sec,
                  loss, s_dep)  # fmt: skip


@njit(nogil=True, cache=True, inline="always")
def _cell(
    flat, cell, d, bearing, g_rx, x, hte, hre, hb, ant, code, bands, sec, loss, s_dep
):  # pragma: no cover
    """Write every sector's signal at ``cell`` (``r * w + c``) from its terrain terms.

    ``s_dep``: the departure slope (m/km, the transmitter's horizon) of an obstructed
    path, whose angle the vertical pattern then reads; NaN for the direct ray.
    """
    hts, rx_h, ce, ae = ant[4], ant[6], ant[7], ant[8]
    az_shift, vbw, front_to_back, sla_v = ant[11], ant[12], ant[13], ant[14]
    band, offset_db, azimuth, beamwidth, tilt, plane = sec
    _band_losses(code, d, x, hte, hre, hb, bands, ae, loss)
    d_m = d * 1000.0
    drop = d_m * d_m * ce / 2000.0
    theta = math.degrees(math.atan2(hts - (g_rx + rx_h) + drop, d_m))
    if not math.isnan(s_dep):
        theta = math.degrees(math.atan2(-s_dep, 1000.0))
    bearing = bearing + az_shift
    for s in range(band.shape[0]):
        a = pattern_loss(
            bearing - azimuth[s], theta, beamwidth[s], tilt[s], vbw, front_to_back, sla_v
        )
        flat[plane[s], cell] = offset_db[s] - loss[band[s]] - a
