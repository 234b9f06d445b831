r"""The fast sweep: one walk of every ray, its state in registers, optional branch rays.

:func:`branch_geometry` and :func:`sweep_branch` compute what
:func:`covgap.radio.sweep.site_geometry` and :func:`covgap.radio.sweep.sweep_sectors` do (same
rays, samples, hulls, line-of-sight test and scans; the losses of
:mod:`covgap.radio.sweep_loss`), organised for speed:

* the window is a contiguous copy, and every working array is per-thread scratch space
  reused from site to site (:func:`scratch`): no fresh pages to fault in;
* the geometry packs the cells as rows and sorts the rows themselves (two counting
  sorts), so that no pass gathers from scattered memory; a cell's ray takes one
  division (:func:`covgap.radio.sweep.border_hit`), its sample count none;
* the walk (:func:`_walk`) keeps the running state of a ray (slopes, sums, counts) in
  local variables and writes it to memory only when a ray branches (or, for Hata, a
  cell needs :func:`covgap.radio.sweep.ray_eval` itself); it leaves each cell's terrain
  terms (Bullington's ``x``, P.1812's smooth-earth heights where that term may be
  positive) in an array, and a second loop (:func:`_losses`) turns them into every
  sector's signal: apart from the walk, the loss loop keeps its constants in registers
  and runs about three times as fast;
* bearings (only for directional sectors) and elevation angles come from
  :func:`atan2_deg` (7e-4 degrees), antenna patterns from :func:`pattern_table`
  (products instead of quotients), hull tangents from :func:`_tangent` (a few steps
  back from the hull's end, then a binary search).

With ``spread = 0`` (``rays="full"``, the default of :func:`covgap.radio.area.predict_site`)
the rays are the full sweep's: one per border cell from the antenna, ``n_seg`` equal
segments each. On the bundled sample's sites (30 km, 3", every sector) the signal
differs from ``exact=True`` by 0.000 dB in the median, 0.001 dB at the 99th percentile
and below 0.05 dB everywhere (rounding: a cell's distance, a sample's position, the
tables of :mod:`covgap.radio.sweep_loss`).

Branch rays (``spread > 0``, ``rays="branch"``)
    Near the antenna dozens of the full sweep's rays cross each cell: a 30 km window
    at 3" has ~2,700 rays and ~2.6 samples per cell. Branch rays form a binary tree in
    the order of the border (clockwise from the top-left corner): ray 0 starts at the
    antenna; ray ``j = m 2^t`` (``m`` odd) branches off its parent ``j - 2^t`` at
    :math:`2 s L_j / 2^{t+1}` (``s`` the spread, ``L_j`` its length), takes over the
    parent's state (hulls, sums, stored samples) and samples its own line from there
    on. Before that distance the rays of spacing ``2^{t+1}`` are at most ``2 s`` cells
    apart, so every cell is within ``s`` cells of a ray: a cell belongs to the nearest
    ray at the finest spacing that has already branched at the cell's distance. Every
    ray samples every ``step_km``, so the inherited samples keep their distances.
    At ``s = 0.5`` the samples drop from 2.6 to 1.6 per cell, 5-10 % of a site's
    time. The price: a branch ray's profile before its branch point is its parent's,
    up to half a cell beside it, and cells near the antenna sit up to half a cell off
    their ray (the full sweep: half a cell times their distance over the ray's length).
    Diffraction over a ridge is that sensitive: on the bundled sample (5 sites, every
    sector, 30 km; ``benchmarks/bench_area.py --accuracy 5``) branch rays differ from
    the exact path by 0.11 dB in the median, 5.6 dB at the 99th percentile (11 % of the
    14 M cell-sectors above 1 dB, up to 50 dB; a branch ray's inherited horizon also
    moves the departure angle at which obstructed cells read the vertical pattern) and
    the best-sector class (-105 / -115 dBm) agrees on 98.7 % of the cells; against
    the point analysis's straight path the 99th percentile grows from 4.9 dB (full
    sweep) to 8.0 dB. :data:`TOL_MEDIAN_DB`, :data:`TOL_P99_DB` and
    :data:`TOL_CLASS_AGREE` are the documented bounds (``tests/test_area.py``).
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit

from .kernels import (
    BULLINGTON,
    CELL_TIE,
    FSPL,
    HATA_FAR_KM,
    HATA_NEAR_KM,
    HATA_OPEN,
    HATA_SUBURBAN,
    MIN_DIST_KM,
    NO_EDGE,
    P1812,
    bullington_point_x,
    smooth_heights,
)
from .sweep import (
    _D_LAST,
    _FS_F,
    _H_LAST,
    _N_ALL,
    _N_BAND,
    _N_F,
    _N_R,
    _N_S,
    _SQRT_LAM,
    _STIM_F,
    _STIM_R,
    _SUM_ALL,
    _SUM_BAND,
    _V1,
    _V2,
    _samples_before,
    _scan_x,
    border_hit,
    border_inverses,
    border_offsets,
    hull_push,
    hull_support,
    planar_km,
    ray_eval,
    ray_reset,
)
from .sweep_loss import FASTMATH, band_losses_fast, bullington_fast, fast_band_table

#: Documented tolerance of the branch rays against the exact sweep, over all the cells
#: and sectors of a site: median and 99th percentile of |difference| (dB), and the
#: share of cells whose best-sector class agrees.
TOL_MEDIAN_DB = 0.15
TOL_P99_DB = 10.0
TOL_CLASS_AGREE = 0.97
#: Largest lateral offset (cells) of a ray from the cells and samples it stands for.
SPREAD = 0.5
#: Nearest-cell rounding of :func:`covgap.radio.kernels.nearest` (0.5 + its tie shift).
_TIE = 0.5 + CELL_TIE
#: 20 / ln(10): decibels of a natural logarithm of a distance ratio.
_DB_LN = 20.0 / math.log(10.0)


_SCRATCH = threading.local()


def scratch(name: str, size: int, dtype: type) -> np.ndarray:
    """Return a 1-D array of ``size`` reused by later calls in this thread (grown as needed).

    Big fresh arrays come from new pages that the kernel faults in one by one (about a
    tenth of a site's time at 3"); the site's working arrays live here instead.
    """
    arr = getattr(_SCRATCH, name, None)
    if arr is None or arr.size < size or arr.dtype != dtype:
        arr = np.empty(size, dtype=dtype)
        setattr(_SCRATCH, name, arr)
    return arr[:size]


# --------------------------------------------------------------------------- geometry
@njit(nogil=True, cache=True)
def _perimeter_cell(j, h, w):  # pragma: no cover - compiled
    """(row, col) of the border cell ``j``, clockwise from the top-left corner."""
    if j < w:
        return 0, j
    if j < w + h - 1:
        return j - w + 1, w - 1
    if j < 2 * w + h - 2:
        return h - 1, w - 1 - (j - (w + h - 2))
    return h - 1 - (j - (2 * w + h - 3)), 0


@njit(nogil=True, cache=True)
def _trailing_zeros(j):  # pragma: no cover - compiled
    t = 0
    while j % 2 == 0:
        j //= 2
        t += 1
    return t


@njit(nogil=True, cache=True, inline="always")
def atan2_deg(y, x):  # pragma: no cover - compiled
    """``degrees(atan2(y, x))`` within 7e-4 degrees (Abramowitz & Stegun 4.4.49).

    A ninth-order odd polynomial of the ratio of the smaller to the larger magnitude
    (error about 1e-5 rad), then the octant. An antenna pattern moves at most
    3 dB per degree, so the signal moves by less than 2.1e-3 dB.
    """
    ay, ax = abs(y), abs(x)
    if ay == 0.0 and ax == 0.0:
        return 0.0
    swap = ay > ax
    z = ax / ay if swap else ay / ax
    z2 = z * z
    a = z * (0.9998660 + z2 * (-0.3302995 + z2 * (0.1801410 + z2 * (-0.0851330 + z2 * 0.0208351))))
    if swap:
        a = 0.5 * math.pi - a
    if x < 0.0:
        a = math.pi - a
    if y < 0.0:
        a = -a
    return a * (180.0 / math.pi)


@njit(nogil=True, cache=True)
def branch_geometry(
    win,
    row0,
    col0,
    c0,
    r0,
    radius_km,
    step_km,
    geo,
    ax,
    ey,
    lat0,
    spread,
    iscr,
    fscr,
    bearings=True,
):  # pragma: no cover - compiled
    """Rays, their branch points and the cells of each ray in sweep order.

    Parameters
    ----------
    win
        The window of the DEM (m, NaN nodata), C-contiguous.
    row0, col0
        The window's offset in the DEM.
    c0, r0
        Fractional grid position of the antenna in the DEM (the arithmetic of
        :func:`covgap.radio.sweep.site_geometry`, so that ``spread = 0`` gives its very rays,
        ties included, and sample counts).
    radius_km, step_km
        Radius and profile step.
    geo, ax, ey, lat0
        Geographic grid or not, the cell sizes (degrees or metres) and the latitude.
    spread
        Largest lateral offset (cells) between a ray and the cell or profile sample it
        stands for (0.5: as the full sweep's cells at the border).
    iscr, fscr
        Scratch space reused from call to call (no fresh pages to fault in): int32 of at
        least ``9 h w``, float64 of at least ``3 h w``; ``order``, ``n_before`` and
        ``cells`` are views of it.
    bearings
        Compute the cells' bearings (False: 0, for sites whose sectors are all omni).

    Returns
    -------
    order : ndarray, int32 (n)
        Window cells (``r * w + c``) in sweep order: by ray, then by ``n_before``.
    n_before : ndarray, int32 (n)
        Samples of the cell's ray at most half a step short of it.
    cells : ndarray, float64 (3, n)
        Distance (km, at least ``MIN_DIST_KM``), grid bearing (deg, :func:`atan2_deg`)
        and ground height.
    ray_start : ndarray, int64 (P + 1)
        Ray ``j`` owns ``order[ray_start[j]:ray_start[j + 1]]``.
    ray_tc, ray_tr, ray_len : ndarray, float64 (P)
        Grid offset of the ray's border cell from the antenna, and its length (km).
    ray_div : ndarray, float64 (P)
        Sample ``i`` of the ray is at ``t = i / ray_div`` of its length.
    ray_nmax, ray_branch : ndarray, int64 (P)
        Last sample of the ray, and the sample after which it leaves its parent.
    """
    h, w = win.shape
    n_rays = 2 * (h + w) - 4 if h > 1 and w > 1 else h * w
    ray_tc = np.empty(n_rays)
    ray_tr = np.empty(n_rays)
    ray_len = np.empty(n_rays)
    ray_nmax = np.empty(n_rays, dtype=np.int64)
    ray_div = np.empty(n_rays)
    m_deg = math.radians(1.0) * 6_371_000.0
    for j in range(n_rays):
        br, bc = _perimeter_cell(j, h, w)
        tc = col0 + bc - c0
        tr = row0 + br - r0
        if geo:
            lat = lat0 + tr * ey
            east = tc * ax * m_deg * math.cos(math.radians(0.5 * (lat + lat0)))
            north = tr * ey * m_deg
        else:
            east, north = tc * ax, tr * ey
        length = max(planar_km(east, north), 1e-9)
        ray_tc[j], ray_tr[j], ray_len[j] = tc, tr, length
        # sample i at t = i / div of the ray: every step_km (branch rays share their
        # samples' distances), or the full sweep's n_seg equal segments (spread 0)
        div = length / step_km
        if spread <= 0.0:
            div = float(max(math.ceil(div - 1e-9), 1))
        ray_div[j] = div
        ray_nmax[j] = max(math.ceil(div - 1e-9) - 1, 0)
    ray_branch = _branch_points(ray_len, ray_nmax, step_km, spread)
    # pass 1: the cells within the radius in raster order: rows of (r, c, ray, k)
    n_win = h * w
    pk = iscr[: 4 * n_win].reshape(n_win, 4)
    north = np.empty(h)
    cos_lat = np.empty(h)
    for r in range(h):
        dr = row0 + r - r0
        north[r] = dr * ey * m_deg if geo else dr * ey
        cos_lat[r] = math.cos(math.radians(0.5 * (lat0 + dr * ey + lat0)))
    lims = border_offsets(c0, r0, col0, row0, h, w)
    inv = border_inverses(lims)
    ray_seg = ray_len / ray_div  # (spread 0: the sweep's n_seg equal segments)
    ray_inv_seg = ray_div / ray_len
    half = 0.5 * step_km
    k_max = 0
    n = 0
    for r in range(h):
        dr = row0 + r - r0
        for c in range(w):
            if math.isnan(win[r, c]):
                continue
            dc = col0 + c - c0
            east = dc * ax * m_deg * cos_lat[r] if geo else dc * ax
            d = planar_km(east, north[r])
            if d > radius_km:
                continue
            if spread <= 0.0:  # the full sweep's ray and sample count, bit for bit
                j = _ray_of_cw(dc, dr, inv, c0, r0, col0, row0, h, w)
                d = max(d, MIN_DIST_KM)
                k = _samples_before(d - half, ray_seg[j], ray_inv_seg[j], round(ray_div[j]))
            else:
                d = max(d, MIN_DIST_KM)
                k = int((d - half) / step_km) if d > half else 0
                u = _perimeter_pos(dc, dr, lims, inv, h, w)
                m = 1
                while True:
                    j = math.floor(u / m + 0.5) * m
                    if j >= n_rays:
                        j = 0
                    if k >= ray_branch[j]:
                        break
                    m *= 2
                k = _samples_upto(d - half, ray_len[j], ray_div[j], ray_nmax[j])
                k = max(k, ray_branch[j])  # (a rounding apart from the test above)
            pk[n, 0], pk[n, 1], pk[n, 2], pk[n, 3] = r, c, j, k
            k_max = max(k_max, k)
            n += 1
    # passes 2 and 3: stable counting sorts of the rows, by samples then by ray (the
    # rows move, so every pass reads in order and the last one needs no gather)
    tmp = iscr[4 * n_win : 8 * n_win].reshape(n_win, 4)
    _counting_sort_rows(pk, tmp, n, 3, k_max + 1)
    _counting_sort_rows(tmp, pk, n, 2, n_rays)
    order = iscr[8 * n_win : 8 * n_win + n]
    n_before = iscr[4 * n_win : 4 * n_win + n]  # (tmp is free again)
    cells = fscr[: 3 * n].reshape(3, n)
    ray_start = np.zeros(n_rays + 1, dtype=np.int64)
    for p in range(n):
        r, c = pk[p, 0], pk[p, 1]
        dc = col0 + c - c0
        east = dc * ax * m_deg * cos_lat[r] if geo else dc * ax
        bearing = atan2_deg(east, north[r]) if bearings else 0.0
        order[p] = r * w + c
        n_before[p] = pk[p, 3]
        cells[0, p] = max(planar_km(east, north[r]), MIN_DIST_KM)
        cells[1, p] = bearing + 360.0 if bearing < 0.0 else bearing
        cells[2, p] = win[r, c]
        ray_start[pk[p, 2] + 1] += 1
    for j in range(n_rays):
        ray_start[j + 1] += ray_start[j]
    return (
        order, n_before, cells, ray_start, ray_tc, ray_tr, ray_len, ray_div, ray_nmax, ray_branch
    )  # fmt: skip


@njit(nogil=True, cache=True, inline="always")
def _border_id(br, bc, h, w):  # pragma: no cover - compiled
    """Clockwise id of the border cell (br, bc) (:func:`_perimeter_cell`'s inverse), or -1."""
    if br == 0:
        return bc
    if bc == w - 1:
        return w - 1 + br
    if br == h - 1:
        return (w + h - 2) + (w - 1 - bc)
    if bc == 0:
        return (2 * w + h - 3) + (h - 1 - br)
    return -1


@njit(nogil=True, cache=True, inline="always")
def _ray_of_cw(dc, dr, inv, c0, r0, col0, row0, h, w):  # pragma: no cover - compiled
    """:func:`covgap.radio.sweep._ray_of` with clockwise ids and no table (same projection)."""
    br, bc = border_hit(dc, dr, inv, c0, r0, col0, row0, h, w)
    if br < 0:
        return 0
    j = _border_id(br, bc, h, w)
    if j < 0:  # rounding landed inside: snap to the nearest border side
        j = _border_id(br, 0 if bc < w // 2 else w - 1, h, w)
    return j


@njit(nogil=True, cache=True, inline="always")
def _samples_upto(lim, length, div, nmax):  # pragma: no cover - compiled
    """Count of samples ``i`` in 1 .. nmax at ``i (1 / div) length <= lim`` (as the sweep)."""
    k = 0
    if nmax > 0 and lim > 0.0:  # a guess, then the comparison itself decides
        k = min(max(int(lim * (div / length)), 0), nmax)
    inv_div = 1.0 / div
    while k < nmax and (k + 1) * inv_div * length <= lim:
        k += 1
    while k > 0 and k * inv_div * length > lim:
        k -= 1
    return k


@njit(nogil=True, cache=True)
def _branch_points(ray_len, ray_nmax, step_km, spread):  # pragma: no cover - compiled
    """Sample after which each ray leaves its parent (0 for ray 0).

    Ray ``m 2^t`` (``m`` odd) branches at ``2 spread L / 2^(t+1)``, but never before its
    parent nor before its elder sibling (the sweep's depth-first walk needs both).
    """
    n_rays = ray_len.shape[0]
    ray_branch = np.zeros(n_rays, dtype=np.int64)
    top = 0
    while (1 << (top + 1)) < n_rays:
        top += 1
    for t in range(top, -1, -1):
        for j in range(1 << t, n_rays, 1 << (t + 1)):
            parent = j - (1 << t)
            b = int(ray_len[j] * spread / (1 << t) / step_km)
            b = max(b, ray_branch[parent])
            elder = parent + (1 << (t + 1))
            if (parent == 0 or _trailing_zeros(parent) > t + 1) and elder < n_rays:
                b = max(b, ray_branch[elder])
            ray_branch[j] = min(b, ray_nmax[j])
    return ray_branch


@njit(nogil=True, cache=True)
def _counting_sort_rows(src, dst, n, col, n_keys):  # pragma: no cover - compiled
    """Copy the rows ``src[:n]`` to ``dst`` stably sorted by column ``col`` (a counting sort)."""
    counts = np.zeros(n_keys + 1, dtype=np.int64)
    for q in range(n):
        counts[src[q, col] + 1] += 1
    for k in range(n_keys):
        counts[k + 1] += counts[k]
    for q in range(n):
        k = src[q, col]
        pos = counts[k]
        dst[pos, 0], dst[pos, 1], dst[pos, 2], dst[pos, 3] = (
            src[q, 0], src[q, 1], src[q, 2], src[q, 3]
        )  # fmt: skip
        counts[k] = pos + 1


@njit(nogil=True, cache=True, inline="always")
def _perimeter_pos(dc, dr, lims, inv, h, w):  # pragma: no cover - compiled
    """Border position (0 .. P, clockwise from the top-left) of the cell's central projection.

    ``lims`` = (c_lo, c_hi, r_lo, r_hi), the border's grid offsets from the antenna, and
    ``inv`` their reciprocals.
    """
    s = 0.0
    side = 0
    if dr < 0.0 and dr * inv[2] > s:
        s, side = dr * inv[2], 0
    if dc > 0.0 and dc * inv[1] > s:
        s, side = dc * inv[1], 1
    if dr > 0.0 and dr * inv[3] > s:
        s, side = dr * inv[3], 2
    if dc < 0.0 and dc * inv[0] > s:
        s, side = dc * inv[0], 3
    if not s > 0.0:
        return 0.0
    inv_s = 1.0 / s
    if side == 0:
        return dc * inv_s - lims[0]
    if side == 1:
        return (w - 1) + (dr * inv_s - lims[2])
    if side == 2:
        return (w + h - 2) + (w - 1 - (dc * inv_s - lims[0]))
    return (2 * w + h - 3) + (h - 1 - (dr * inv_s - lims[2]))


# --------------------------------------------------------------------------- sweep
@njit(nogil=True, cache=True, inline="always")
def _tangent(hx, hy, n, xr, yr):  # pragma: no cover - compiled
    """:func:`covgap.radio.sweep.hull_tangent` comparing cross products (one division).

    The slope from the receiver is unimodal along the hull and peaks at the last vertex
    or one or two before it on most cells (the nearest ridge): a few steps back from the
    end, then a binary search over what is left.
    """
    q = n - 1
    for _ in range(4):
        if q > 0 and (hy[q - 1] - yr) * (xr - hx[q]) >= (hy[q] - yr) * (xr - hx[q - 1]):
            q -= 1
        else:
            return (hy[q] - yr) / (xr - hx[q])
    lo = 0
    hi = q
    while lo < hi:
        mid = (lo + hi) // 2
        if (hy[mid] - yr) * (xr - hx[mid + 1]) < (hy[mid + 1] - yr) * (xr - hx[mid]):
            lo = mid + 1
        else:
            hi = mid
    return (hy[lo] - yr) / (xr - hx[lo])


@njit(nogil=True, cache=True, inline="always")
def _bilinear_in(win, col, row):  # pragma: no cover - compiled
    """:func:`covgap.radio.kernels.bilinear` at a point known to lie inside the window.

    A ray's samples lie between the antenna and a border cell's centre, so the bounds
    test and the clamps reduce to keeping the 2 x 2 block inside.
    """
    rows, cols = win.shape
    c0 = min(int(col), cols - 2) if cols > 1 else 0
    r0 = min(int(row), rows - 2) if rows > 1 else 0
    c1 = min(c0 + 1, cols - 1)
    r1 = min(r0 + 1, rows - 1)
    fc = col - c0
    fr = row - r0
    top = (1.0 - fc) * win[r0, c0] + fc * win[r0, c1]
    bottom = (1.0 - fc) * win[r1, c0] + fc * win[r1, c1]
    return (1.0 - fr) * top + fr * bottom


@njit(nogil=True, cache=True, inline="always")
def _clear_of_smooth(d, hte, hre, ae, sqrt_lam_max):  # pragma: no cover - compiled
    """:func:`covgap.radio.sweep_loss._no_smooth_excess`, squared where that saves a root.

    ``b > c sqrt(d)`` as ``b > 0`` and ``b^2 > c^2 d``; ``d < sqrt(2 a_e)(sqrt(0.001 h_te)
    + sqrt(0.001 h_re))`` first by ``d^2 < 0.002 a_e (h_te + h_re)``, a sufficient
    condition (the roots only when it fails).
    """
    bound = min(hte, hre) - 125.0 * d * d / ae
    c = 17.456 * 0.5 * sqrt_lam_max
    if not (bound > 0.0 and bound * bound > c * c * d):
        return False
    if d * d < 0.002 * ae * (hte + hre):
        return True
    return d < math.sqrt(2.0 * ae) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))


@njit(nogil=True, cache=True)
def pattern_table(sec, vbw):  # pragma: no cover - compiled
    """Per sector: ``12 / beamwidth^2`` (0 for omni), azimuth, tilt, ``12 / vbw^2``.

    :func:`covgap.radio.kernels.pattern_loss` as products instead of quotients (a rounding
    apart: 1e-13 dB).
    """
    _, _, azimuth, beamwidth, tilt, _ = sec
    out = np.empty((azimuth.shape[0], 4))
    for s in range(azimuth.shape[0]):
        omni = math.isnan(azimuth[s]) or beamwidth[s] >= 360.0
        out[s, 0] = 0.0 if omni else 12.0 / (beamwidth[s] * beamwidth[s])
        out[s, 1] = 0.0 if omni else azimuth[s]
        out[s, 2] = tilt[s]
        out[s, 3] = 12.0 / (vbw * vbw)
    return out


@njit(nogil=True, cache=True)
def _copy_state(acc, cnt, buf, src, dst):  # pragma: no cover - compiled
    """Copy a ray's running state from depth ``src`` to depth ``dst``."""
    acc[dst, :] = acc[src, :]
    cnt[dst, :] = cnt[src, :]
    for q in range(6):
        n = cnt[src, _N_F] if q < 2 else (cnt[src, _N_R] if q < 4 else cnt[src, _N_S])
        buf[dst, q, :n] = buf[src, q, :n]


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def sweep_branch(
    win, geom, ant, code, bands, sec, out, terms, cwin=None
):  # pragma: no cover - compiled
    """Signal of the sectors of one antenna height: the branch-ray walk, then the losses.

    The arguments of :func:`covgap.radio.sweep.sweep_sectors`, with ``win`` the window
    (``ant``'s window offset 0, 0 and antenna position in it), ``geom`` from
    :func:`branch_geometry` and ``terms`` float64 scratch of shape (4, at least
    ``len(order)``). Two passes: :func:`_walk` follows the rays and leaves each cell's
    terrain terms in ``terms`` (Bullington's ``x``; P.1812's smooth-earth heights where
    the smooth-earth term may not be 0, else NaN; Hata's effective height), then
    :func:`_losses` turns them into every sector's signal. Every cell of the sectors'
    planes of ``out`` is written (NaN where there is no value). ``cwin``: the
    representative clutter heights (m) of the window's cells, or ``None`` (P.1812 §3.2:
    on Bullington's profile only, as :func:`covgap.radio.sweep.sweep_sectors`).
    """
    order = geom[0]
    sqrt_lam_max = 0.0
    for b in range(bands.shape[0]):
        sqrt_lam_max = max(sqrt_lam_max, bands[b, _SQRT_LAM])
    terms = terms[:, : order.shape[0]]
    if code != FSPL:
        _walk(win, geom, ant, code, terms, sqrt_lam_max, cwin)
    _losses(out, geom, terms, ant, code, bands, sec)


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def _losses(out, geom, terms, ant, code, bands, sec):  # pragma: no cover - compiled
    """Every sector's signal from the cells' terrain terms (:func:`sweep_branch`'s 2nd pass).

    :func:`covgap.radio.sweep_loss.band_losses_fast` and the antenna patterns (from
    :func:`pattern_table`, bearings and elevation angles from :func:`atan2_deg`), with
    the common case written out: a cell without smooth-earth term has free space plus
    Bullington at every band. Kept apart from the walk, the loop holds its few constants
    in registers (it ran at a third of the speed inside the walk).
    """
    order, cells = geom[0], geom[2]
    hts, rx_h, ce, ae = ant[4], ant[6], ant[7], ant[8]
    az_shift, front_to_back, sla_v = ant[11], ant[13], ant[14]
    band, offset_db, plane = sec[0], sec[1], sec[5]
    n_bands, n_sec = bands.shape[0], band.shape[0]
    fbands = fast_band_table(bands[:, 0])
    pat = pattern_table(sec, ant[12])
    fs_f = bands[:, _FS_F].copy()
    sqrt_lam = bands[:, _SQRT_LAM].copy()
    p_h, p_az, p_tilt, p_v = pat[:, 0].copy(), pat[:, 1].copy(), pat[:, 2].copy(), pat[:, 3].copy()
    loss = np.empty(n_bands)
    bull = code in (P1812, BULLINGTON)
    flat = out.reshape(out.shape[0], out.shape[1] * out.shape[2])
    for s in range(n_sec):
        flat[plane[s], :] = np.nan
    nan = np.nan
    s_prev = nan
    th_dep = 0.0
    for p in range(order.shape[0]):
        d, g_rx = cells[0, p], cells[2, p]  # d >= MIN_DIST_KM
        if not bull:  # free space, Hata (terms[2]: the effective height)
            band_losses_fast(code, d, nan, nan, nan, terms[2, p], bands, fbands, ae, loss)
        elif math.isnan(terms[1, p]):  # no smooth-earth term
            x = terms[0, p]
            fs_d = 32.45 + _DB_LN * math.log(d)  # 20 log10(d), half the cost
            for b in range(n_bands):
                loss[b] = fs_d + fs_f[b] + bullington_fast(x, d, sqrt_lam[b])
        else:
            band_losses_fast(code, d, terms[0, p], terms[1, p], terms[2, p], nan, bands,
                             fbands, ae, loss)  # fmt: skip
        d_m = d * 1000.0
        theta = atan2_deg(hts - (g_rx + rx_h) + d_m * d_m * ce / 2000.0, d_m)
        if bull and not math.isnan(terms[3, p]):  # obstructed: the diffracted ray's departure
            if terms[3, p] != s_prev:  # (a running maximum: often the previous cell's)
                s_prev = terms[3, p]
                th_dep = math.degrees(math.atan2(-s_prev, 1000.0))
            theta = th_dep
        bearing = cells[1, p] + az_shift
        cell = order[p]
        for s in range(n_sec):
            a_h = 0.0
            if p_h[s] > 0.0:
                q = bearing - p_az[s]
                while q > 180.0:
                    q -= 360.0
                while q < -180.0:
                    q += 360.0
                a_h = min(p_h[s] * q * q, front_to_back)
            v = theta - p_tilt[s]
            a = min(a_h + min(p_v[s] * v * v, sla_v), front_to_back)
            flat[plane[s], cell] = offset_db[s] - loss[band[s]] - a


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def _walk(win, geom, ant, code, terms, sqrt_lam_max, cwin):  # pragma: no cover - compiled
    """Walk the ray tree depth first for :func:`sweep_branch`: every cell's terrain terms.

    :func:`covgap.radio.sweep._push` and :func:`covgap.radio.sweep.ray_eval`, written out on local
    variables (the same operations in the same order, :func:`_tangent` for the hull
    tangents); the state goes to ``acc``/``cnt`` only when a ray branches or, for Hata,
    when a cell needs :func:`covgap.radio.sweep.ray_eval` itself. ``terms[:, p]`` gets the
    cell's ``x``, then P.1812's smooth-earth heights ``hte``, ``hre`` where the
    smooth-earth term may be positive (NaN elsewhere: most cells clear the bound of
    :func:`_clear_of_smooth` either on the profile sums alone or once the obstacle's
    share lifts the heights), or Hata's effective height in ``terms[2]``; ``terms[3]``
    the departure slope of an obstructed path (the transmitter's horizon, m/km, whose
    angle the vertical pattern reads; NaN on line of sight).
    """
    _, n_before, cells, ray_start, ray_tc, ray_tr, ray_len, ray_div, ray_nmax, ray_branch = geom
    c0, r0, hts, g_tx, rx_h, ce, ae, x_floor = ant[2:10]
    bull = code in (P1812, BULLINGTON)
    smooth = code == P1812
    sums = code in (HATA_SUBURBAN, HATA_OPEN)
    n_rays = ray_start.shape[0] - 1
    max_n = 2
    for j in range(n_rays):
        max_n = max(max_n, ray_nmax[j] + 2)
    top = 0
    while (1 << (top + 1)) < n_rays:
        top += 1
    depth_max = top + 3
    acc = np.zeros((depth_max, 8))
    cnt = np.zeros((depth_max, 5), dtype=np.int64)
    buf = np.empty((depth_max, 6, max_n))
    st_ray = np.zeros(depth_max, dtype=np.int64)
    st_i = np.zeros(depth_max, dtype=np.int64)  # next sample to push
    st_p = np.zeros(depth_max, dtype=np.int64)  # next cell
    st_t = np.zeros(depth_max, dtype=np.int64)  # exponent of the next child
    ray_reset(acc[0], cnt[0], g_tx)
    st_ray[0], st_i[0], st_p[0], st_t[0] = 0, 1, ray_start[0], top
    c500 = 500.0 * ce
    dp = 0
    while dp >= 0:
        j = st_ray[dp]
        a, k_, bf = acc[dp], cnt[dp], buf[dp]
        stim_f, stim_r, v1, v2 = a[_STIM_F], a[_STIM_R], a[_V1], a[_V2]
        d_last, h_last, sum_band, sum_all = a[_D_LAST], a[_H_LAST], a[_SUM_BAND], a[_SUM_ALL]
        n_f, n_r, n_s, n_band, n_all = k_[_N_F], k_[_N_R], k_[_N_S], k_[_N_BAND], k_[_N_ALL]
        tc, tr, length, inv_div = ray_tc[j], ray_tr[j], ray_len[j], 1.0 / ray_div[j]
        t = st_t[dp]
        while t >= 0 and j + (1 << t) >= n_rays:
            t -= 1
        child = j + (1 << t) if t >= 0 else -1
        stop = ray_branch[child] if child >= 0 else ray_nmax[j] + 1
        p = st_p[dp]
        i = st_i[dp]
        end = ray_start[j + 1]
        while True:
            last = n_before[p] if p < end and n_before[p] < stop else -1
            # samples up to the next cell, or up to the next branch point
            i_to = last if last >= 0 else (min(stop, ray_nmax[j]) if child >= 0 else -1)
            while i <= i_to:
                f = i * inv_div
                di = f * length
                col = c0 + f * tc
                row = r0 + f * tr
                hi = _bilinear_in(win, col, row)
                i += 1
                if math.isnan(hi):
                    continue
                inv_di = 1.0 / di
                if bull:
                    hr = hi
                    if cwin is not None:  # the sample's cell (col, row >= 0 in the window)
                        hr = hi + cwin[int(row + _TIE), int(col + _TIE)]
                    g = hr - c500 * di * di
                    stim_f = max(stim_f, (g - hts) * inv_di)
                    n_f = hull_push(bf[0], bf[1], n_f, di, g)
                    bf[4, n_s] = di
                    bf[5, n_s] = hr
                    n_s += 1
                if smooth:
                    stim_r = max(stim_r, (hi - hts) * inv_di)
                    n_r = hull_push(bf[2], bf[3], n_r, di, hi)
                    step = di - d_last
                    v1 += step * (hi + h_last)
                    v2 += step * (hi * (2.0 * di + d_last) + h_last * (di + 2.0 * d_last))
                    d_last = di
                    h_last = hi
                if sums:
                    sum_all += hi
                    n_all += 1
                    if di >= HATA_NEAR_KM and di <= HATA_FAR_KM:
                        sum_band += hi
                        n_band += 1
            if last < 0:
                break
            # the cell at sweep position p
            d, g_rx = cells[0, p], cells[2, p]
            hrs = g_rx + rx_h
            x = NO_EDGE
            hte = hre = np.nan
            if smooth:  # lower bounds of the smooth-earth heights: any excess at all?
                step = d - d_last
                v1c = v1 + step * (g_rx + h_last)
                v2c = v2 + step * (g_rx * (2.0 * d + d_last) + h_last * (d + 2.0 * d_last))
                inv_d2 = 1.0 / (d * d)
                lo_te = hts - min((2.0 * v1c * d - v2c) * inv_d2, g_tx)
                lo_re = hrs - min((v2c - v1c * d) * inv_d2, g_rx)
                if not _clear_of_smooth(d, lo_te, lo_re, ae, sqrt_lam_max):
                    # ray_eval's smooth-earth heights (the obstacle's share lifts them)
                    s_tr = (hrs - hts) / d
                    h_obs = -np.inf
                    a_obt = stim_r - s_tr  # > 0 exactly when some H_i > 0
                    a_obr = -np.inf
                    if n_r > 0 and a_obt > 0.0:
                        h_obs = hull_support(bf[2], bf[3], n_r, s_tr) - hts
                        a_obr = _tangent(bf[2], bf[3], n_r, d, hrs) + s_tr
                    hte, hre = smooth_heights(v1c, v2c, d, h_obs, a_obt, a_obr, hts, hrs,
                                              g_tx, g_rx)  # fmt: skip
                    if _clear_of_smooth(d, hte, hre, ae, sqrt_lam_max):
                        hte = hre = np.nan  # no excess at any band after all (most cells)
            s_dep = np.nan  # NaN: the pattern reads the direct ray's angle
            if sums:  # Hata: covgap.radio.sweep.ray_eval on the state written back
                a[_STIM_F], a[_STIM_R], a[_V1], a[_V2] = stim_f, stim_r, v1, v2
                a[_D_LAST], a[_H_LAST], a[_SUM_BAND], a[_SUM_ALL] = (
                    d_last,
                    h_last,
                    sum_band,
                    sum_all,
                )
                k_[_N_F], k_[_N_R], k_[_N_S], k_[_N_BAND], k_[_N_ALL] = n_f, n_r, n_s, n_band, n_all
                x, _, _, _, hre = ray_eval(d, g_rx, hrs, hts, g_tx, ce, x_floor, a, k_, bf, code)
            elif n_f > 0:
                s_tim = stim_f + c500 * d
                g_r = hrs - c500 * d * d
                if s_tim < (hrs - hts) / d:  # line of sight: ray_eval's bound, then a scan
                    c_max = hull_support(bf[0], bf[1], n_f, (g_r - hts) / d) - hts
                    # c_max sqrt(0.008 / d) > x_floor (< 0), without the root
                    if c_max >= 0.0 or c_max * c_max * 0.008 < x_floor * x_floor * d:
                        k_[_N_S] = n_s
                        x = _scan_x(d, hts, hrs, ce, k_, bf)
                else:
                    s_dep = stim_f  # obstructed: the departure (horizon) slope
                    s_rim = _tangent(bf[0], bf[1], n_f, d, g_r) - c500 * d
                    if s_tim + s_rim <= 0.0:
                        k_[_N_S] = n_s
                        x = _scan_x(d, hts, hrs, ce, k_, bf)
                    else:
                        x = bullington_point_x(s_tim, s_rim, d, hts, hrs)
            terms[0, p] = x
            terms[1, p] = hte
            terms[2, p] = hre
            terms[3, p] = s_dep
            p += 1
        if child < 0:
            dp -= 1  # the ray and its subtree are done
            continue
        a[_STIM_F], a[_STIM_R], a[_V1], a[_V2] = stim_f, stim_r, v1, v2
        a[_D_LAST], a[_H_LAST], a[_SUM_BAND], a[_SUM_ALL] = d_last, h_last, sum_band, sum_all
        k_[_N_F], k_[_N_R], k_[_N_S], k_[_N_BAND], k_[_N_ALL] = n_f, n_r, n_s, n_band, n_all
        st_p[dp], st_i[dp], st_t[dp] = p, i, t - 1
        _copy_state(acc, cnt, buf, dp, dp + 1)
        dp += 1
        st_ray[dp], st_i[dp], st_p[dp] = child, stop + 1, ray_start[child]
        st_t[dp] = _trailing_zeros(child) - 1
