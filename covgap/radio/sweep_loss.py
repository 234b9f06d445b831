r"""Fast losses for the fast sweep (:mod:`covgap.radio.sweep_fast`), within 0.01 dB.

The terrain terms (the ray walk, the hulls, ``x``, the smooth-earth heights) are the
exact path's own functions (:mod:`covgap.radio.sweep`); the per-cell losses are cheaper:

Bullington's J(nu)
    :math:`J(\nu)` and :math:`1 - e^{-J/6}` (P.1812 eq. 21) come from tables with
    linear interpolation: every 0.01 on :math:`(-0.78, 16]`, every 0.25 on
    :math:`(16, 520]` (beyond, the formula). :math:`J = 6.9 + 20\log_{10}(\sqrt{v^2+1}+v)`
    has :math:`|J''| \le 3.4` dB and :math:`|J''| < 8.7/\nu^2` past 16, so the error is
    below :math:`10^{-3}` dB (``tests/test_sweep.py``).
Smooth-earth term (P.1812 Att. 1 §5.6)
    Below the smooth-earth horizon the term is 0 when :math:`h_{se} > h_{req}`. Since
    :math:`h_{se} = (h_{te} d_2 + h_{re} d_1)/d - 500 d_1 d_2 / a_e
    \ge \min(h_{te}, h_{re}) - 125 d^2 / a_e` and
    :math:`h_{req} = 17.456\sqrt{d_1 d_2 \lambda / d} \le 17.456\sqrt{d \lambda / 4}`,
    a cell whose bound clears the longest wavelength's skips the closest approach
    altogether (an exact shortcut: 96 % of the cells of a sample site). Otherwise, at the
    modified radius :math:`a_{em}`, :math:`a^{-1/3}` is computed once per cell (one
    cube root) and the band's :math:`f^{\pm 1/3}` and ground constants come from
    :func:`fast_band_table`, instead of three powers per band and cell; :math:`F(X)`
    takes one logarithm and one exponential.
The sweep loop, the losses and the patterns compile with ``fastmath`` minus the NaN and
infinity assumptions (:data:`FASTMATH`): NaN marks nodata and ``-inf`` the absence of an
edge, so those comparisons keep their IEEE meaning. The ray walk's functions
(:func:`covgap.radio.sweep._push`, :func:`covgap.radio.sweep.ray_eval`, the hulls) are compiled
without it. The differences from the exact path are rounding (a sample position may
round differently) and the tables' interpolation: at most 3e-4 dB over every cell and
sector of the bundled sample's sites (``benchmarks/bench_predict.py``); the tests hold
the losses to 0.01 dB and the rasters to 0.05 dB (``tests/test_sweep.py``,
``tests/test_area.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import (
    FSPL,
    HATA_MIN_HEIGHT_M,
    HATA_OPEN,
    HATA_SUBURBAN,
    LAND_CONDUCTIVITY_S_M,
    LAND_PERMITTIVITY,
    MIN_DIST_KM,
    NU_MIN,
    P1812,
    _closest_approach,
    knife_edge,
    smooth_bullington_x,
)
from .sweep import _FS_F, _H_AHM, _H_BASE, _H_CORR, _SQRT_LAM

#: LLVM fast-math flags without ``nnan``/``ninf``: NaN (nodata) and -inf (no edge) stay IEEE.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: Knife-edge tables: nu from NU_MIN every _NU_STEP up to _NU_MID, then every
#: _NU_COARSE up to _NU_MAX (beyond: the formula; |J''| < 8.7 / nu^2 out there).
_NU_STEP = 0.01
_NU_MID = 16.0
_NU_COARSE = 0.25
_NU_MAX = 520.0


def _knife_tables(start, stop, step):
    nu = start + step * np.arange(round((stop - start) / step) + 2)
    j = np.array([knife_edge(v) for v in nu])
    if start == NU_MIN:
        # J is 0 at and below NU_MIN but its formula is 0.0047 just above (a step):
        # node 0 holds the limit from above, and the table interpolates on (NU_MIN, ...]
        v = NU_MIN - 0.1
        j[0] = 6.9 + 20.0 * math.log10(math.sqrt(v * v + 1.0) + v)
    return np.stack([j, 1.0 - np.exp(-j / 6.0)], axis=1)  # rows: J, 1 - exp(-J/6)


_KE_FINE = _knife_tables(NU_MIN, _NU_MID, _NU_STEP)
_KE_COARSE = _knife_tables(_NU_MID, _NU_MAX, _NU_COARSE)
_LN10 = math.log(10.0)

# columns of the fast band table
_C_K, _C_X, _C_Y, _C_GMIN = range(4)


@njit(nogil=True, cache=True)
def fast_band_table(freqs):  # pragma: no cover - compiled
    """Per band, the first term's constants with the radius ``a`` factored out.

    ``k = c_k a^{-1/3}``, ``X = beta c_x a^{-2/3} d``, ``beta Y = beta^2 c_y a^{-1/3}``
    and ``G_min = c_gmin + 20 log10(a^{-1/3})`` (:func:`covgap.radio.kernels.first_term`).
    """
    out = np.empty((freqs.shape[0], 4))
    eps = LAND_PERMITTIVITY
    for b in range(freqs.shape[0]):
        f = freqs[b] / 1000.0
        s18 = 18.0 * LAND_CONDUCTIVITY_S_M / f
        c_k = 0.036 * f ** (-1.0 / 3.0) * ((eps - 1.0) ** 2 + s18 * s18) ** -0.25
        c_k *= math.sqrt(eps * eps + s18 * s18)
        out[b, _C_K] = c_k
        out[b, _C_X] = 21.88 * f ** (1.0 / 3.0)
        out[b, _C_Y] = 0.9575 * f ** (2.0 / 3.0)
        out[b, _C_GMIN] = 2.0 + 20.0 * math.log10(c_k)
    return out


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def bullington_fast(x, d, sqrt_lam):  # pragma: no cover - compiled
    """:func:`covgap.radio.kernels.bullington_db` from the knife-edge tables."""
    nu = x / sqrt_lam
    if not nu > NU_MIN:  # J = 0 (NaN and -inf included)
        return 0.0
    if nu < _NU_MID:
        t = (nu - NU_MIN) * (1.0 / _NU_STEP)
        i = int(t)
        u = t - i
        j = _KE_FINE[i, 0] + u * (_KE_FINE[i + 1, 0] - _KE_FINE[i, 0])
        e = _KE_FINE[i, 1] + u * (_KE_FINE[i + 1, 1] - _KE_FINE[i, 1])
    elif nu < _NU_MAX:
        t = (nu - _NU_MID) * (1.0 / _NU_COARSE)
        i = int(t)
        u = t - i
        j = _KE_COARSE[i, 0] + u * (_KE_COARSE[i + 1, 0] - _KE_COARSE[i, 0])
        e = _KE_COARSE[i, 1] + u * (_KE_COARSE[i + 1, 1] - _KE_COARSE[i, 1])
    else:
        v = nu - 0.1
        j = max(6.9 + 20.0 * math.log10(math.sqrt(v * v + 1.0) + v), 0.0)
        e = 1.0 - math.exp(-j / 6.0)
    return j + e * (10.0 + 0.02 * d)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def _g_fast(b, g_min):  # pragma: no cover - compiled
    if b > 2.0:
        val = 17.6 * math.sqrt(b - 1.1) - 5.0 * math.log10(b - 1.1) - 8.0
    else:
        val = 20.0 * math.log10(b + 0.1 * b * b * b)
    return max(val, g_min)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def first_term_fast(d, hte, hre, a_m13, fb):  # pragma: no cover - compiled
    """:func:`covgap.radio.kernels.first_term` given ``a^{-1/3}`` and the band's row ``fb``."""
    k = fb[_C_K] * a_m13
    k2 = k * k
    beta = (1.0 + 1.6 * k2 + 0.67 * k2 * k2) / (1.0 + 4.5 * k2 + 1.53 * k2 * k2)
    x = beta * fb[_C_X] * a_m13 * a_m13 * d
    by = beta * beta * fb[_C_Y] * a_m13
    if x >= 1.6:
        f_x = 11.0 + 10.0 * math.log10(x) - 17.6 * x
    else:
        lx = math.log(x)
        f_x = -20.0 / _LN10 * lx - 5.6488 * math.exp(1.425 * lx)
    g_min = fb[_C_GMIN] + 20.0 / _LN10 * math.log(a_m13)
    return -f_x - _g_fast(by * hte, g_min) - _g_fast(by * hre, g_min)


@njit(nogil=True, cache=True, inline="always")
def _no_smooth_excess(d, hte, hre, ae, sqrt_lam_max):  # pragma: no cover - compiled
    """Tell whether the smooth-earth term is 0 at every band (module docstring).

    For any heights above the smooth surface of at least ``hte`` and ``hre``.
    """
    d_los = math.sqrt(2.0 * ae) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))
    bound = min(hte, hre) - 125.0 * d * d / ae
    return d < d_los and bound > 17.456 * math.sqrt(0.25 * d) * sqrt_lam_max


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def band_losses_fast(code, d, x, hte, hre, hb, bands, fbands, ae, loss):  # pragma: no cover
    """:func:`covgap.radio.sweep._band_losses` from the tables (within 0.01 dB)."""
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
            val = bands[b, _H_BASE] + p - bands[b, _H_AHM] + q + bands[b, _H_CORR]
            loss[b] = max(val, fs_d + bands[b, _FS_F])
        return
    dd = max(d, MIN_DIST_KM)
    smooth = code == P1812
    sqrt_lam_max = 0.0
    for b in range(n):
        sqrt_lam_max = max(sqrt_lam_max, bands[b, _SQRT_LAM])
    far = False
    d1 = d2 = h_se = 0.0
    a_m13 = 0.0
    if smooth and math.isnan(hte):  # ray_eval_fast: no excess at any band
        smooth = False
    if smooth:
        sq_t = math.sqrt(hte)
        sq_r = math.sqrt(hre)
        d_los = math.sqrt(2.0 * ae) * math.sqrt(0.001) * (sq_t + sq_r)
        far = dd >= d_los
        if far:
            a_m13 = ae ** (-1.0 / 3.0)
        elif _no_smooth_excess(dd, hte, hre, ae, sqrt_lam_max):
            smooth = False
        else:
            d1, d2, h_se = _closest_approach(dd, hte, hre, ae)
            aem = 500.0 * (dd / (sq_t + sq_r)) ** 2
            a_m13 = aem ** (-1.0 / 3.0)
    for b in range(n):
        excess = bullington_fast(x, d, bands[b, _SQRT_LAM])
        if smooth:
            excess += _delta_fast(dd, hte, hre, bands[b], fbands[b], far, d1, d2, h_se, ae, a_m13)
        loss[b] = fs_d + bands[b, _FS_F] + excess


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def _delta_fast(d, hte, hre, band, fb, far, d1, d2, h_se, ae, a_m13):  # pragma: no cover
    """:func:`~.sweep._delta` with :func:`first_term_fast` and :func:`bullington_fast`."""
    if far:
        l_dsph = max(first_term_fast(d, hte, hre, a_m13, fb), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = smooth_bullington_x(d, hte, hre, ae)
    else:
        h_req = 17.456 * math.sqrt(d1 * d2 / d) * band[_SQRT_LAM]
        if h_se > h_req:
            return 0.0
        l_dsph = (1.0 - h_se / h_req) * max(first_term_fast(d, hte, hre, a_m13, fb), 0.0)
        if l_dsph <= 0.0:
            return 0.0
        x_s = -h_se * math.sqrt(0.002 * d / (d1 * d2))
    return max(l_dsph - bullington_fast(x_s, d, band[_SQRT_LAM]), 0.0)
