r"""Propagation models: the numpy reference of every path-loss model covgap offers.

Four models, chosen by name wherever covgap predicts a signal
(:func:`covgap.radio.point.best_servers`, :func:`covgap.radio.point.predict_link`,
:func:`covgap.radio.area.predict_site`):

``"p1812"`` (the default)
    Free-space loss plus the **delta-Bullington** diffraction loss of ITU-R P.1812 §4.3
    (the same as P.452 §4.2) over the DEM profile with an effective earth radius
    :math:`a_e = 6371\,k` km:

    .. math::

        L = L_{bf}(d, f) + L_d, \qquad
        L_d = L_{bulla} + \max\left(L_{dsph} - L_{bulls},\ 0\right)

    :math:`L_{bulla}` is the Bullington loss of the real profile
    (:func:`covgap.radio.propagation.bullington_loss_db`); :math:`L_{bulls}` the Bullington
    loss of a smooth path (all heights zero) with the antenna heights taken above the
    least-squares smooth-earth surface (:func:`smooth_surface_heights`); :math:`L_{dsph}`
    the spherical-earth diffraction loss for those heights (:func:`spherical_earth_loss_db`).
    P.1812-6 eq. 39 keeps the ``max(.., 0)`` (older texts write
    :math:`L_{bulla} - L_{bulls} + L_{dsph}`); covgap follows the current text, so the
    smooth-earth correction never lowers the loss below the Bullington loss.
    :math:`L_{bulls}` is computed in closed form (P.1812-6 Attachment 4,
    :func:`smooth_bullington_loss_db`): the heights of a smooth path are zero, so the
    profile analysis reduces to the horizon and clearance of a sphere. Ground constants:
    land (:math:`\varepsilon_r = 22`, :math:`\sigma = 0.003` S/m), vertical polarisation,
    no path over sea. With a land cover and ``Radio.clutter = "p1812"`` the profile carries
    P.1812-6's representative clutter heights (§3.2, :func:`clutter_heights`: Bullington
    on :math:`h_i + R_i`, the smooth-earth surface on the bare terrain, the terminals
    bare); ``"p2108"`` adds instead the P.2108 §3.2 median loss at a receiver in urban or
    suburban clutter (:func:`p2108_clutter_loss_db`); ``Radio.delta_n`` sets
    :math:`k = 157 / (157 - \Delta N)` (:func:`k_factor_from_delta_n`). On the ITU-R SG3
    validation profiles (land paths) the median diffraction loss :math:`L_{d50}` equals
    the ITU reference implementation's to 0.0004 dB (``tests/test_clutter_p1812.py``).
    Not modelled: the time variability (:math:`p < 50\,\%`: the prediction is the
    median in time), troposcatter, ducting, gaseous absorption, sea paths, the slant
    distance in free space and P.1812's location variability and building entry loss;
    ``Radio.clutter_loss_db`` stays a flat extra loss; the **location variability** is a
    log-normal with ``Radio.shadow_sigma_db`` (:func:`coverage_probability`).
``"bullington"``
    Free space plus the P.1812 Bullington loss alone (:math:`L_{bulla}`): covgap's model
    before P.1812, kept for comparison.
``"hata"``
    Okumura-Hata (150-1500 MHz) or COST-231 Hata (1500-2000 MHz, extrapolated above),
    with the suburban correction (``"hata-open"``: the open-area correction), the base
    station's effective height above the mean terrain 3-15 km away along the path
    (:func:`hata_effective_height_m`), and never less than free space
    (:func:`hata_loss_db`).
``"fspl"``
    Free space only (ITU-R P.525).

The bulk engines (:mod:`covgap.radio.kernels`, :mod:`covgap.radio.sweep`) evaluate the same
formulas with numba; the tests check that both agree.
"""

from __future__ import annotations

import logging
import math
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from ..io.terrain import EARTH_RADIUS_KM
from .propagation import (
    bullington_correction_db,
    bullington_loss_db,
    fspl_db,
    knife_edge_loss_db,
    wavelength_m,
)

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "MODEL_DESCRIPTIONS",
    "clutter_heights",
    "coverage_probability",
    "delta_bullington_loss_db",
    "first_term_loss_db",
    "hata_effective_height_m",
    "hata_loss_db",
    "k_factor_from_delta_n",
    "model_code",
    "p2108_clutter_loss_db",
    "profile_path_loss_db",
    "smooth_bullington_loss_db",
    "smooth_surface_heights",
    "spherical_earth_loss_db",
]

logger = logging.getLogger(__name__)

#: Model names -> integer codes used by the numba kernels.
MODELS: dict[str, int] = {
    "fspl": 0,
    "bullington": 1,
    "p1812": 2,
    "hata": 3,  # suburban correction
    "hata-suburban": 3,
    "hata-open": 4,
}
DEFAULT_MODEL = "p1812"
_BULL = "Bullington diffraction over the DEM (ITU-R P.526, k = 4/3)"
#: Model names -> (English, Vietnamese) descriptions stamped on maps, rasters and reports.
MODEL_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "fspl": ("free-space loss (ITU-R P.525)", "suy hao không gian tự do (ITU-R P.525)"),
    "bullington": (
        f"free-space loss + {_BULL}",
        "suy hao không gian tự do + nhiễu xạ Bullington trên DEM (ITU-R P.526, k = 4/3)",
    ),
    "p1812": (
        "ITU-R P.1812-style: free-space loss + delta-Bullington diffraction over the DEM (k = 4/3)",
        "theo ITU-R P.1812: suy hao không gian tự do + nhiễu xạ delta-Bullington trên DEM "
        "(k = 4/3)",
    ),
    "hata": (
        "Okumura-Hata / COST-231 Hata, suburban (no terrain profile)",
        "Okumura-Hata / COST-231 Hata, ngoại ô (không dùng mặt cắt địa hình)",
    ),
    "hata-suburban": (
        "Okumura-Hata / COST-231 Hata, suburban (no terrain profile)",
        "Okumura-Hata / COST-231 Hata, ngoại ô (không dùng mặt cắt địa hình)",
    ),
    "hata-open": (
        "Okumura-Hata / COST-231 Hata, open area (no terrain profile)",
        "Okumura-Hata / COST-231 Hata, vùng trống (không dùng mặt cắt địa hình)",
    ),
}
#: Ground constants of the first-term spherical-earth loss: land (P.1812 §4.3.3).
LAND_PERMITTIVITY = 22.0
LAND_CONDUCTIVITY_S_M = 0.003
#: Okumura's effective base-station height: mean terrain between these distances (km).
HATA_TERRAIN_KM = (3.0, 15.0)
#: Lowest effective base-station height used in Hata (a site below the mean terrain).
HATA_MIN_HEIGHT_M = 1.0
#: Lowest frequency of Okumura-Hata.
HATA_MIN_FREQ_MHZ = 150.0
#: Shortest path of P.2108 §3.2 (shorter paths use it).
P2108_MIN_DIST_KM = 0.25


def model_code(model: str) -> int:
    """Return the kernel code of a model name; raise :class:`InputError` if unknown."""
    try:
        return MODELS[model]
    except (KeyError, TypeError):
        raise InputError(
            f"unknown propagation model {model!r}; expected one of {sorted(MODELS)}"
        ) from None


# --------------------------------------------------------------------------- Hata
def hata_loss_db(
    dist_km: ArrayLike,
    freq_mhz: ArrayLike,
    h_base_m: ArrayLike,
    h_mobile_m: ArrayLike = 1.5,
    *,
    environment: str = "suburban",
) -> np.ndarray:
    r"""Okumura-Hata / COST-231 Hata median path loss, never below free space.

    Urban loss (small and medium city mobile-height correction :math:`a(h_m)`):

    .. math::

        a(h_m) = (1.1 \log f - 0.7) h_m - (1.56 \log f - 0.8)

        L_u = A + B \log f - 13.82 \log h_b - a(h_m) + (44.9 - 6.55 \log h_b) \log d

    with :math:`A = 69.55, B = 26.16` (Okumura-Hata, :math:`f \le 1500` MHz) or
    :math:`A = 46.3, B = 33.9` (COST-231, medium city, :math:`C_m = 0`). Then

    .. math::

        L_{suburban} = L_u - 2 [\log(f/28)]^2 - 5.4, \qquad
        L_{open} = L_u - 4.78 (\log f)^2 + 18.33 \log f - 40.94

    (the Okumura-Hata corrections, applied to COST-231 too) and
    :math:`L = \max(L, L_{bf})`. Valid for 150-2000 MHz, :math:`h_b` 30-200 m,
    :math:`h_m` 1-10 m, 1-20 km; outside it the formulas are extrapolated.

    Parameters
    ----------
    dist_km
        Distance (raised to 0.01 km).
    freq_mhz
        Frequency, >= 150 MHz.
    h_base_m
        Effective base-station height (raised to :data:`HATA_MIN_HEIGHT_M`).
    h_mobile_m
        Mobile antenna height above ground.
    environment
        ``"suburban"``, ``"open"`` or ``"urban"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    if environment not in ("suburban", "open", "urban"):
        raise InputError(f"hata: environment must be suburban, open or urban, not {environment!r}")
    f = np.asarray(freq_mhz, dtype=float)
    if np.any(f < HATA_MIN_FREQ_MHZ):
        raise InputError(f"hata: frequencies below {HATA_MIN_FREQ_MHZ:g} MHz are not modelled")
    d = np.maximum(np.asarray(dist_km, dtype=float), 0.01)
    hb = np.maximum(np.asarray(h_base_m, dtype=float), HATA_MIN_HEIGHT_M)
    hm = np.asarray(h_mobile_m, dtype=float)
    lf, lhb = np.log10(f), np.log10(hb)
    a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
    cost = f > 1500.0
    a, b = np.where(cost, 46.3, 69.55), np.where(cost, 33.9, 26.16)
    urban = a + b * lf - 13.82 * lhb - a_hm + (44.9 - 6.55 * lhb) * np.log10(d)
    if environment == "suburban":
        loss = urban - 2.0 * np.log10(f / 28.0) ** 2 - 5.4
    elif environment == "open":
        loss = urban - 4.78 * lf**2 + 18.33 * lf - 40.94
    else:
        loss = urban
    return np.maximum(loss, fspl_db(d, f))


def hata_effective_height_m(
    dist_km_profile: ArrayLike, heights_m: ArrayLike, h_tx_amsl: float
) -> float:
    r"""Base-station height above the mean terrain 3-15 km along the path (Okumura).

    .. math::

        h_b = \max\left(h_{ts} - \overline{h_i}\,,\ 1\right), \quad
        \overline{h_i} = \operatorname{mean}\{h_i : 3 \le d_i \le 15 \text{ km}\}

    over the intermediate profile samples; a path with no sample in that range (shorter
    than about 3 km) uses the mean of all its samples, both terminals included. NaN
    samples are skipped.

    Parameters
    ----------
    dist_km_profile, heights_m
        The profile, terminals first and last (as for
        :func:`covgap.radio.propagation.bullington_loss_db`).
    h_tx_amsl
        Antenna height above sea level.

    Returns
    -------
    float
    """
    dist = np.asarray(dist_km_profile, dtype=float)
    h = np.asarray(heights_m, dtype=float)
    inner_d, inner_h = dist[1:-1], h[1:-1]
    lo, hi = HATA_TERRAIN_KM
    sel = (inner_d >= lo) & (inner_d <= hi) & np.isfinite(inner_h)
    mean = inner_h[sel].mean() if sel.any() else h[np.isfinite(h)].mean()
    return float(max(h_tx_amsl - mean, HATA_MIN_HEIGHT_M))


# --------------------------------------------------------------------------- P.1812
def smooth_surface_heights(
    dist_km_profile: ArrayLike, heights_m: ArrayLike, h_tx_amsl: float, h_rx_amsl: float
) -> tuple[float, float]:
    r"""Smooth-earth surface heights at the terminals for the diffraction model.

    P.1812-6 Attachment 1 §5.6 (P.452 Attachment 2 §5.1.6): the least-squares straight
    surface through the profile (:math:`i = 1..n`, terminals included, no curvature)

    .. math::

        v_1 = \sum_{i=2}^{n} (d_i - d_{i-1})(h_i + h_{i-1}), \quad
        v_2 = \sum_{i=2}^{n} (d_i - d_{i-1})
            \left[h_i (2 d_i + d_{i-1}) + h_{i-1} (d_i + 2 d_{i-1})\right]

        h_{st} = \frac{2 v_1 d - v_2}{d^2}, \qquad h_{sr} = \frac{v_2 - v_1 d}{d^2}

    lowered below the highest obstruction: with
    :math:`H_i = h_i - [h_{ts}(d - d_i) + h_{rs} d_i]/d` over the intermediate points,
    :math:`h_{obs} = \max H_i`, :math:`\alpha_{obt} = \max H_i/d_i`,
    :math:`\alpha_{obr} = \max H_i/(d - d_i)`,

    .. math::

        h_{stp} = h_{st} - h_{obs} g_t, \quad h_{srp} = h_{sr} - h_{obs} g_r \quad
        (h_{obs} > 0), \qquad g_t = \frac{\alpha_{obt}}{\alpha_{obt} + \alpha_{obr}},
        \ g_r = \frac{\alpha_{obr}}{\alpha_{obt} + \alpha_{obr}}

    and :math:`h_{std} = \min(h_{stp}, h_1)`, :math:`h_{srd} = \min(h_{srp}, h_n)`.
    NaN samples are skipped.

    Parameters
    ----------
    dist_km_profile, heights_m
        The profile (terminals first and last; their heights are the ground heights).
    h_tx_amsl, h_rx_amsl
        Antenna heights above sea level.

    Returns
    -------
    h_std, h_srd : float
        Smooth-surface heights at the transmitter and receiver, m above sea level.
    """
    dist = np.asarray(dist_km_profile, dtype=float)
    h = np.asarray(heights_m, dtype=float)
    keep = np.isfinite(h)
    keep[0] = keep[-1] = True
    dist, h = dist[keep], h[keep]
    d = dist[-1]
    dd = np.diff(dist)
    v1 = np.sum(dd * (h[1:] + h[:-1]))
    v2 = np.sum(dd * (h[1:] * (2 * dist[1:] + dist[:-1]) + h[:-1] * (dist[1:] + 2 * dist[:-1])))
    h_st = (2.0 * v1 * d - v2) / d**2
    h_sr = (v2 - v1 * d) / d**2
    di, hi = dist[1:-1], h[1:-1]
    if di.size:
        big_h = hi - (h_tx_amsl * (d - di) + h_rx_amsl * di) / d
        h_obs = big_h.max()
        if h_obs > 0.0:
            a_t = np.max(big_h / di)
            a_r = np.max(big_h / (d - di))
            h_st -= h_obs * a_t / (a_t + a_r)
            h_sr -= h_obs * a_r / (a_t + a_r)
    return float(min(h_st, h[0])), float(min(h_sr, h[-1]))


def first_term_loss_db(
    dist_km: float,
    hte_m: float,
    hre_m: float,
    radius_km: float,
    freq_mhz: float,
    *,
    polarization: str = "vertical",
) -> float:
    r"""First-term spherical-earth diffraction loss over land, vertical polarisation.

    P.1812-6 §4.3.3 (P.452 §4.2.2.2), with :math:`f` in GHz, :math:`a` in km:

    .. math::

        K = 0.036 (a f)^{-1/3} \left[(\varepsilon_r - 1)^2 + (18\sigma/f)^2\right]^{-1/4}
            \left[\varepsilon_r^2 + (18\sigma/f)^2\right]^{1/2}

        \beta = \frac{1 + 1.6 K^2 + 0.67 K^4}{1 + 4.5 K^2 + 1.53 K^4}, \quad
        X = 21.88 \beta (f / a^2)^{1/3} d, \quad
        Y = 0.9575 \beta (f^2 / a)^{1/3}

        F(X) = \begin{cases} 11 + 10 \log X - 17.6 X & X \ge 1.6 \\
            -20 \log X - 5.6488 X^{1.425} & X < 1.6 \end{cases}

        G(B) = \begin{cases} 17.6 (B - 1.1)^{1/2} - 5 \log(B - 1.1) - 8 & B > 2 \\
            20 \log(B + 0.1 B^3) & B \le 2 \end{cases}, \quad B = \beta Y h,
            \quad G \ge 2 + 20 \log K

        L_{dft} = -F(X) - G(B_t) - G(B_r)

    (the :math:`K` above is vertical polarisation's; ``polarization="horizontal"`` drops
    its last factor, for the ITU validation profiles: covgap's engines use vertical).

    Returns
    -------
    float
        Loss in dB (may be negative; callers clip).
    """
    f = freq_mhz / 1000.0
    eps, sigma = LAND_PERMITTIVITY, LAND_CONDUCTIVITY_S_M
    k_h = (
        0.036 * (radius_km * f) ** (-1.0 / 3.0) * ((eps - 1) ** 2 + (18 * sigma / f) ** 2) ** -0.25
    )
    if polarization not in ("vertical", "horizontal"):
        raise InputError(f"polarization must be vertical or horizontal, not {polarization!r}")
    k = k_h * math.sqrt(eps**2 + (18 * sigma / f) ** 2) if polarization == "vertical" else k_h
    beta = (1 + 1.6 * k**2 + 0.67 * k**4) / (1 + 4.5 * k**2 + 1.53 * k**4)
    x = 21.88 * beta * (f / radius_km**2) ** (1.0 / 3.0) * dist_km
    y = 0.9575 * beta * (f**2 / radius_km) ** (1.0 / 3.0)
    if x >= 1.6:
        f_x = 11 + 10 * math.log10(x) - 17.6 * x
    else:
        f_x = -20 * math.log10(x) - 5.6488 * x**1.425
    g_min = 2 + 20 * math.log10(k)

    def g(h: float) -> float:
        b = beta * y * h
        val = (
            17.6 * math.sqrt(b - 1.1) - 5 * math.log10(b - 1.1) - 8
            if b > 2
            else 20 * math.log10(b + 0.1 * b**3)
        )
        return max(val, g_min)

    return -f_x - g(hte_m) - g(hre_m)


def spherical_earth_loss_db(
    dist_km: float,
    hte_m: float,
    hre_m: float,
    freq_mhz: float,
    *,
    k_factor: float = 4.0 / 3.0,
    polarization: str = "vertical",
) -> float:
    r"""Spherical-earth diffraction loss :math:`L_{dsph}` (P.1812-6 §4.3.2, P.452 §4.2.2.1).

    .. math::

        d_{los} = \sqrt{2 a_e}\left(\sqrt{0.001 h_{te}} + \sqrt{0.001 h_{re}}\right)

    Beyond :math:`d_{los}`, :math:`L_{dsph} = L_{dft}(a_e)`. Otherwise the smallest
    clearance :math:`h_{se}` between the ray and the sphere,

    .. math::

        c = \frac{h_{te} - h_{re}}{h_{te} + h_{re}}, \quad
        m = \frac{250 d^2}{a_e (h_{te} + h_{re})}, \quad
        b = 2\sqrt{\frac{m+1}{3m}} \cos\left[\frac{\pi}{3} + \frac{1}{3}
            \arccos\left(\frac{3c}{2}\sqrt{\frac{3m}{(m+1)^3}}\right)\right]

        d_{se1} = \tfrac{d}{2}(1 + b), \ d_{se2} = d - d_{se1}, \quad
        h_{se} = \frac{(h_{te} - 500 d_{se1}^2/a_e) d_{se2}
            + (h_{re} - 500 d_{se2}^2/a_e) d_{se1}}{d}

    is compared with :math:`h_{req} = 17.456 \sqrt{d_{se1} d_{se2} \lambda / d}`: no loss
    when :math:`h_{se} > h_{req}`, else
    :math:`L_{dsph} = (1 - h_{se}/h_{req}) \max(L_{dft}(a_{em}), 0)` with
    :math:`a_{em} = 500 [d / (\sqrt{h_{te}} + \sqrt{h_{re}})]^2`.

    Parameters
    ----------
    dist_km
        Path length.
    hte_m, hre_m
        Antenna heights above the smooth surface (> 0).
    freq_mhz
        Frequency.
    k_factor
        Effective earth radius factor.
    polarization
        ``"vertical"`` (covgap's engines) or ``"horizontal"``.

    Returns
    -------
    float
        Loss in dB, >= 0.
    """
    ae = EARTH_RADIUS_KM * k_factor
    d = float(dist_km)
    pol = {"polarization": polarization}
    d_los = math.sqrt(2 * ae) * (math.sqrt(0.001 * hte_m) + math.sqrt(0.001 * hre_m))
    if d >= d_los:
        return max(first_term_loss_db(d, hte_m, hre_m, ae, freq_mhz, **pol), 0.0)
    d1, d2 = _closest_approach(d, hte_m, hre_m, ae)
    h_se = ((hte_m - 500 * d1 * d1 / ae) * d2 + (hre_m - 500 * d2 * d2 / ae) * d1) / d
    lam = float(wavelength_m(freq_mhz))
    h_req = 17.456 * math.sqrt(d1 * d2 * lam / d)
    if h_se > h_req:
        return 0.0
    aem = 500 * (d / (math.sqrt(hte_m) + math.sqrt(hre_m))) ** 2
    return (1 - h_se / h_req) * max(first_term_loss_db(d, hte_m, hre_m, aem, freq_mhz, **pol), 0.0)


def _closest_approach(d: float, hte: float, hre: float, ae: float) -> tuple[float, float]:
    """Distances of the smallest ray-sphere clearance from both ends (P.1812 eq. 24)."""
    c = (hte - hre) / (hte + hre)
    m = 250 * d * d / (ae * (hte + hre))
    arg = min(max(1.5 * c * math.sqrt(3 * m / (m + 1) ** 3), -1.0), 1.0)
    b = 2 * math.sqrt((m + 1) / (3 * m)) * math.cos(math.pi / 3 + math.acos(arg) / 3)
    d1 = d / 2 * (1 + b)
    return d1, d - d1


def smooth_bullington_loss_db(
    dist_km: float, hte_m: float, hre_m: float, freq_mhz: float, *, k_factor: float = 4.0 / 3.0
) -> float:
    r"""Bullington loss of a smooth path, :math:`L_{bulls}` (P.1812-6 Attachment 4).

    The heights of the smooth path are zero, so the profile analysis of
    :func:`covgap.radio.propagation.bullington_loss_db` has a closed form. Line of sight
    (:math:`d < d_{los}`): :math:`\nu = -h_{se}\sqrt{0.002 d / (\lambda d_{se1} d_{se2})}`
    at the point of smallest clearance (:func:`spherical_earth_loss_db`). Beyond it:

    .. math::

        S_{tm} = 500 C_e d - 2\sqrt{500 C_e h_{te}}, \quad
        S_{rm} = 500 C_e d - 2\sqrt{500 C_e h_{re}}, \quad
        d_s = \frac{h_{re} - h_{te} + S_{rm} d}{S_{tm} + S_{rm}}

        \nu_s = \left[h_{te} + S_{tm} d_s - \frac{h_{te}(d - d_s) + h_{re} d_s}{d}\right]
            \sqrt{\frac{0.002 d}{\lambda d_s (d - d_s)}}

    and :math:`L_{bulls} = J(\nu) + [1 - e^{-J/6}](10 + 0.02 d)`.

    Returns
    -------
    float
        Loss in dB.
    """
    ae = EARTH_RADIUS_KM * k_factor
    d = float(dist_km)
    lam = float(wavelength_m(freq_mhz))
    d_los = math.sqrt(2 * ae) * (math.sqrt(0.001 * hte_m) + math.sqrt(0.001 * hre_m))
    if d < d_los:
        d1, d2 = _closest_approach(d, hte_m, hre_m, ae)
        h_se = ((hte_m - 500 * d1 * d1 / ae) * d2 + (hre_m - 500 * d2 * d2 / ae) * d1) / d
        nu = -h_se * math.sqrt(0.002 * d / (lam * d1 * d2))
    else:
        ce = 1.0 / ae
        s_tm = 500 * ce * d - 2 * math.sqrt(500 * ce * hte_m)
        s_rm = 500 * ce * d - 2 * math.sqrt(500 * ce * hre_m)
        d_s = (hre_m - hte_m + s_rm * d) / (s_tm + s_rm)
        h_s = hte_m + s_tm * d_s - (hte_m * (d - d_s) + hre_m * d_s) / d
        nu = h_s * math.sqrt(0.002 * d / (lam * d_s * (d - d_s)))
    return float(bullington_correction_db(knife_edge_loss_db(nu), d))


def delta_bullington_loss_db(
    dist_km_profile: ArrayLike,
    heights_m: ArrayLike,
    h_tx_amsl: float,
    h_rx_amsl: float,
    freq_mhz: float,
    *,
    k_factor: float = 4.0 / 3.0,
    clutter_m: ArrayLike | None = None,
    polarization: str = "vertical",
) -> float:
    r"""Delta-Bullington diffraction loss of one profile (P.1812-6 §4.3.4).

    .. math::

        L_d = L_{bulla} + \max\left(L_{dsph} - L_{bulls},\ 0\right), \quad
        h_{te} = h_{ts} - h_{std}, \ h_{re} = h_{rs} - h_{srd}

    With clutter (P.1812-6 §3.2), :math:`L_{bulla}` is the Bullington loss of the
    heights :math:`g_i = h_i + R_i` (:math:`R_i` the representative clutter height of
    the sample; none at the two terminals), while the smooth-earth surface
    (:func:`smooth_surface_heights`) stays on the bare terrain :math:`h_i`. A terminal
    below the clutter around it meets that clutter as the first obstacle of the
    profile (the samples next to it), which is how P.1812-6 accounts for it.

    Parameters
    ----------
    dist_km_profile, heights_m
        The profile, terminals first and last (ground heights; NaN samples skipped).
    h_tx_amsl, h_rx_amsl
        Antenna heights above sea level.
    freq_mhz
        Frequency.
    k_factor
        Effective earth radius factor.
    clutter_m
        Representative clutter height of every sample (m; NaN counts as 0), or ``None``.
    polarization
        ``"vertical"`` (covgap's engines) or ``"horizontal"``.

    Returns
    -------
    float
        :math:`L_d`, dB.
    """
    g = clutter_heights(heights_m, clutter_m)
    l_bulla = bullington_loss_db(dist_km_profile, g, h_tx_amsl, h_rx_amsl, freq_mhz,
                                 k_factor=k_factor)  # fmt: skip
    d = float(np.asarray(dist_km_profile, dtype=float)[-1])
    h_std, h_srd = smooth_surface_heights(dist_km_profile, heights_m, h_tx_amsl, h_rx_amsl)
    hte, hre = h_tx_amsl - h_std, h_rx_amsl - h_srd
    l_dsph = spherical_earth_loss_db(
        d, hte, hre, freq_mhz, k_factor=k_factor, polarization=polarization
    )
    l_bulls = smooth_bullington_loss_db(d, hte, hre, freq_mhz, k_factor=k_factor)
    return l_bulla + max(l_dsph - l_bulls, 0.0)


def clutter_heights(heights_m: ArrayLike, clutter_m: ArrayLike | None) -> np.ndarray:
    r"""Profile heights with clutter, :math:`g_i = h_i + R_i`, the terminals bare (P.1812 §3.2).

    Parameters
    ----------
    heights_m
        Ground heights of the profile, terminals first and last.
    clutter_m
        Representative clutter heights of the samples (NaN counts as 0), or ``None``.

    Returns
    -------
    numpy.ndarray
        The heights themselves when ``clutter_m`` is ``None``.
    """
    h = np.asarray(heights_m, dtype=float)
    if clutter_m is None:
        return h
    r = np.nan_to_num(np.asarray(clutter_m, dtype=float), nan=0.0)
    g = h + r
    g[0], g[-1] = h[0], h[-1]
    return g


def k_factor_from_delta_n(delta_n: float) -> float:
    r"""Median effective earth radius factor from the refractivity lapse rate (P.1812 eq. 6).

    .. math::

        k_{50} = \frac{157}{157 - \Delta N}

    :math:`\Delta N = 39.25` gives 4/3; 45, the ITU validation profiles' value,
    gives 1.40.
    """
    return 157.0 / (157.0 - float(delta_n))


def p2108_clutter_loss_db(
    freq_mhz: ArrayLike, dist_km: ArrayLike, *, location_pct: float = 50.0
) -> np.ndarray:
    r"""Statistical clutter loss of a terrestrial terminal in clutter (ITU-R P.2108-1 §3.2).

    With :math:`f` in GHz and :math:`d` in km:

    .. math::

        L_l = -2 \log_{10}\left(10^{-5 \log_{10} f - 12.5} + 10^{-16.5}\right), \quad
        L_s = 32.98 + 23.9 \log_{10} d + 3 \log_{10} f

        \sigma_{cb} = \sqrt{\frac{4^2\, 10^{-0.2 L_l} + 6^2\, 10^{-0.2 L_s}}
            {10^{-0.2 L_l} + 10^{-0.2 L_s}}}

        L_{ctt}(d) = -5 \log_{10}\left(10^{-0.2 L_l} + 10^{-0.2 L_s}\right)
            - \sigma_{cb}\, Q^{-1}(p / 100), \qquad L = \min(L_{ctt}(d), L_{ctt}(2))

    The median (``location_pct = 50``, :math:`Q^{-1} = 0`) is covgap's: the location
    variability is ``Radio.shadow_sigma_db``. Valid for 0.5-67 GHz and
    :math:`d \ge 0.25` km (shorter paths use 0.25 km; 700 MHz is inside the range).

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    f = np.asarray(freq_mhz, dtype=float) / 1000.0
    d = np.maximum(np.asarray(dist_km, dtype=float), P2108_MIN_DIST_KM)
    z = NormalDist().inv_cdf(1.0 - location_pct / 100.0)
    return np.minimum(_p2108_ctt(f, d, z), _p2108_ctt(f, np.full_like(d, 2.0), z))


def _p2108_ctt(f: np.ndarray, d: np.ndarray, z: float) -> np.ndarray:
    t_l = 10.0 ** (-0.2 * (-2.0 * np.log10(10.0 ** (-5.0 * np.log10(f) - 12.5) + 10.0**-16.5)))
    t_s = 10.0 ** (-0.2 * (32.98 + 23.9 * np.log10(d) + 3.0 * np.log10(f)))
    sigma = np.sqrt((16.0 * t_l + 36.0 * t_s) / (t_l + t_s))
    return -5.0 * np.log10(t_l + t_s) - sigma * z


def profile_path_loss_db(
    model: str,
    dist_km_profile: ArrayLike,
    heights_m: ArrayLike,
    h_tx_amsl: float,
    h_rx_amsl: float,
    freq_mhz: float,
    *,
    rx_height_m: float = 1.5,
    k_factor: float = 4.0 / 3.0,
    clutter_m: ArrayLike | None = None,
) -> tuple[float, float]:
    """Path loss of one profile with a named model (the reference of the engines).

    Parameters
    ----------
    model
        One of :data:`MODELS`.
    dist_km_profile, heights_m
        The profile, terminals first and last.
    h_tx_amsl, h_rx_amsl
        Antenna heights above sea level.
    freq_mhz
        Frequency.
    rx_height_m
        Receiver height above ground (Hata's :math:`h_m`).
    k_factor
        Effective earth radius factor.
    clutter_m
        Representative clutter heights of the samples (:func:`clutter_heights`), used by
        the profile models (``"p1812"``, ``"bullington"``); ``None``: bare terrain.

    Returns
    -------
    path_loss_db, excess_db : float
        The total loss and its part above free space (diffraction for the profile models;
        Hata minus free space for Hata).
    """
    code = model_code(model)
    d = float(np.asarray(dist_km_profile, dtype=float)[-1])
    free = float(fspl_db(d, freq_mhz))
    if code == MODELS["fspl"]:
        excess = 0.0
    elif code == MODELS["bullington"]:
        g = clutter_heights(heights_m, clutter_m)
        excess = bullington_loss_db(
            dist_km_profile, g, h_tx_amsl, h_rx_amsl, freq_mhz, k_factor=k_factor
        )
    elif code == MODELS["p1812"]:
        excess = delta_bullington_loss_db(
            dist_km_profile, heights_m, h_tx_amsl, h_rx_amsl, freq_mhz, k_factor=k_factor,
            clutter_m=clutter_m,
        )  # fmt: skip
    else:
        hb = hata_effective_height_m(dist_km_profile, heights_m, h_tx_amsl)
        env = "open" if code == MODELS["hata-open"] else "suburban"
        excess = float(hata_loss_db(d, freq_mhz, hb, rx_height_m, environment=env)) - free
    return free + excess, excess


# --------------------------------------------------------------------------- variability
def coverage_probability(
    signal_dbm: ArrayLike, threshold_dbm: ArrayLike, sigma_db: float
) -> np.ndarray:
    r"""Probability that the signal at a location reaches a threshold (log-normal shadowing).

    .. math::

        P = \Phi\left(\frac{S_{50} - T}{\sigma_L}\right)

    with :math:`S_{50}` the median prediction and :math:`\sigma_L` the location
    variability (``Radio.shadow_sigma_db``; P.1812 §4.8 uses the same normal law). The
    inverse is ``Radio.location_margin_db``: a median of
    :math:`T + z_p \sigma_L` gives probability :math:`p`.

    Parameters
    ----------
    signal_dbm
        Median signal.
    threshold_dbm
        Threshold.
    sigma_db
        Standard deviation of the location variability (0: a step function).

    Returns
    -------
    numpy.ndarray
        Probability in [0, 1] (NaN where the signal is NaN).
    """
    s = np.asarray(signal_dbm, dtype=float) - np.asarray(threshold_dbm, dtype=float)
    if sigma_db <= 0:
        return np.where(np.isnan(s), np.nan, (s >= 0).astype(float))
    from scipy.special import ndtr

    return ndtr(s / sigma_db)


def location_quantile_db(probability: float, sigma_db: float) -> float:
    """Return the margin ``z_p * sigma`` for a location probability (as Radio does)."""
    return NormalDist().inv_cdf(probability) * sigma_db
