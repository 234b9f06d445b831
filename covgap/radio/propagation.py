r"""Path loss, diffraction, antenna patterns and link budgets: the numpy reference.

These functions are the readable form of the model; :mod:`covgap.radio.point` evaluates the
same formulas in bulk (the terrain part in :mod:`covgap.radio.kernels`) and the tests check
that both agree.

The path loss between a sector and a receiver is free-space loss plus Bullington
diffraction over the terrain profile, as ITU-R P.1812 / P.452 write it
(``docs``: DOMAIN.md, "Radio"):

.. math::

    L = L_{bf}(d, f) + L_{bull}, \qquad
    L_{bull} = L_{uc} + \left[1 - e^{-L_{uc}/6}\right](10 + 0.02\,d)

where :math:`L_{uc} = J(\nu)` is the ITU-R P.526 knife-edge loss of the single edge that
Bullington's construction puts in place of the whole profile.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike

from ..config import Radio
from ..errors import InputError
from ..io.terrain import EARTH_RADIUS_KM

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "antenna_pattern_db",
    "bullington_correction_db",
    "bullington_loss_db",
    "fspl_db",
    "knife_edge_loss_db",
    "signal_dbm",
    "wavelength_m",
]

logger = logging.getLogger(__name__)

SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Below this knife-edge parameter P.526 gives no diffraction loss.
NU_MIN = -0.78
#: Shortest distance (km) used in the free-space loss, so a point at a site stays finite.
MIN_DIST_KM = 0.01


def wavelength_m(freq_mhz: ArrayLike) -> np.ndarray:
    r"""Return the wavelength in metres, :math:`\lambda = c / f`.

    Parameters
    ----------
    freq_mhz
        Frequency, MHz.

    Returns
    -------
    numpy.ndarray
    """
    return SPEED_OF_LIGHT_M_S / (np.asarray(freq_mhz, dtype=float) * 1e6)


def fspl_db(dist_km: ArrayLike, freq_mhz: ArrayLike) -> np.ndarray:
    r"""Free-space basic transmission loss (ITU-R P.525).

    .. math::

        L_{bf} = 32.45 + 20 \log_{10} d_{km} + 20 \log_{10} f_{MHz}

    Parameters
    ----------
    dist_km
        Path length (the great-circle distance, as P.452 uses it); distances below
        :data:`MIN_DIST_KM` are raised to it.
    freq_mhz
        Frequency.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    d = np.maximum(np.asarray(dist_km, dtype=float), MIN_DIST_KM)
    return 32.45 + 20.0 * np.log10(d) + 20.0 * np.log10(np.asarray(freq_mhz, dtype=float))


def knife_edge_loss_db(nu: ArrayLike) -> np.ndarray:
    r"""Single knife-edge diffraction loss :math:`J(\nu)` (ITU-R P.526 eq. 31).

    .. math::

        J(\nu) = 6.9 + 20 \log_{10}\left(\sqrt{(\nu - 0.1)^2 + 1} + \nu - 0.1\right)
        \quad (\nu > -0.78), \qquad J(\nu) = 0 \text{ otherwise}

    Parameters
    ----------
    nu
        Diffraction parameter (``-inf`` allowed: no edge at all).

    Returns
    -------
    numpy.ndarray
        Loss in dB, >= 0.
    """
    nu = np.asarray(nu, dtype=float)
    v = np.maximum(nu, NU_MIN) - 0.1
    j = 6.9 + 20.0 * np.log10(np.sqrt(v * v + 1.0) + v)
    return np.where(nu > NU_MIN, np.maximum(j, 0.0), 0.0)


def bullington_correction_db(l_uc: ArrayLike, dist_km: ArrayLike) -> np.ndarray:
    r"""Bullington loss from the knife-edge loss of the Bullington point (P.1812 eq. 36).

    .. math::

        L_{bull} = L_{uc} + \left[1 - e^{-L_{uc}/6}\right](10 + 0.02\,d)

    Parameters
    ----------
    l_uc
        Knife-edge loss :math:`J(\nu)` of the Bullington point, dB.
    dist_km
        Path length.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    l_uc = np.asarray(l_uc, dtype=float)
    return l_uc + (1.0 - np.exp(-l_uc / 6.0)) * (10.0 + 0.02 * np.asarray(dist_km, dtype=float))


def bullington_loss_db(
    dist_km_profile: ArrayLike,
    heights_m: ArrayLike,
    h_tx_amsl: float,
    h_rx_amsl: float,
    freq_mhz: float,
    *,
    k_factor: float = 4.0 / 3.0,
) -> float:
    r"""Bullington diffraction loss over one terrain profile (ITU-R P.1812 §4.3.1).

    With :math:`C_e = 1/a_e`, :math:`a_e = 6371\,k` km, profile points :math:`i`
    strictly between the terminals at distance :math:`d_i` (km) from the transmitter and
    ground height :math:`h_i` (m), and :math:`h_{ts}, h_{rs}` the antenna heights above
    sea level:

    .. math::

        S_{tim} = \max_i \frac{h_i + 500 C_e d_i (d - d_i) - h_{ts}}{d_i}, \qquad
        S_{tr} = \frac{h_{rs} - h_{ts}}{d}

    Line of sight (:math:`S_{tim} < S_{tr}`):

    .. math::

        \nu_{max} = \max_i \left[h_i + 500 C_e d_i (d - d_i)
            - \frac{h_{ts}(d - d_i) + h_{rs} d_i}{d}\right]
            \sqrt{\frac{0.002\,d}{\lambda d_i (d - d_i)}}, \qquad L_{uc} = J(\nu_{max})

    Otherwise, with the Bullington point at :math:`d_b`:

    .. math::

        S_{rim} = \max_i \frac{h_i + 500 C_e d_i (d - d_i) - h_{rs}}{d - d_i}, \qquad
        d_b = \frac{h_{rs} - h_{ts} + S_{rim} d}{S_{tim} + S_{rim}}

        \nu_b = \left[h_{ts} + S_{tim} d_b - \frac{h_{ts}(d - d_b) + h_{rs} d_b}{d}\right]
            \sqrt{\frac{0.002\,d}{\lambda d_b (d - d_b)}}, \qquad L_{uc} = J(\nu_b)

    and :math:`L_{bull} = L_{uc} + [1 - e^{-L_{uc}/6}](10 + 0.02\,d)`.

    Parameters
    ----------
    dist_km_profile
        Distance of every profile sample from the transmitter, km, increasing; the first
        and last samples are the terminals.
    heights_m
        Ground height of every sample, m above sea level. ``NaN`` samples (nodata) are
        skipped; the terminal samples are not used (their heights are in ``h_*_amsl``).
    h_tx_amsl, h_rx_amsl
        Transmitting and receiving antenna heights above sea level, m.
    freq_mhz
        Frequency.
    k_factor
        Effective earth radius factor.

    Returns
    -------
    float
        :math:`L_{bull}` in dB (0 when the profile has no intermediate point).
    """
    dist = np.asarray(dist_km_profile, dtype=float)
    heights = np.asarray(heights_m, dtype=float)
    d = dist[-1]
    di, hi = dist[1:-1], heights[1:-1]
    keep = np.isfinite(hi) & (di > 0) & (di < d)
    di, hi = di[keep], hi[keep]
    if di.size == 0:
        return 0.0
    lam = float(wavelength_m(freq_mhz))
    ce = 1.0 / (EARTH_RADIUS_KM * k_factor)
    hts, hrs = float(h_tx_amsl), float(h_rx_amsl)
    bulge = hi + 500.0 * ce * di * (d - di)
    s_tim = np.max((bulge - hts) / di)
    s_tr = (hrs - hts) / d
    s_rim = np.max((bulge - hrs) / (d - di))
    if s_tim < s_tr or s_tim + s_rim <= 0.0:  # the second test: exactly grazing
        clearance = bulge - (hts * (d - di) + hrs * di) / d
        nu = np.max(clearance * np.sqrt(0.002 * d / (lam * di * (d - di))))
    else:
        d_b = (hrs - hts + s_rim * d) / (s_tim + s_rim)
        h_b = hts + s_tim * d_b - (hts * (d - d_b) + hrs * d_b) / d
        nu = h_b * np.sqrt(0.002 * d / (lam * d_b * (d - d_b)))
    return float(bullington_correction_db(knife_edge_loss_db(nu), d))


def antenna_pattern_db(
    phi_deg: ArrayLike,
    theta_deg: ArrayLike,
    *,
    beamwidth_deg: ArrayLike = 65.0,
    tilt_deg: ArrayLike = 3.0,
    vertical_beamwidth_deg: float = 10.0,
    front_to_back_db: float = 25.0,
    vertical_sidelobe_db: float = 20.0,
) -> np.ndarray:
    r"""Relative gain of a sector antenna (3GPP TR 36.814 table A.2.1.1-2 form).

    .. math::

        A_H(\varphi) = -\min\left[12 (\varphi / \varphi_{3dB})^2, A_m\right], \qquad
        A_V(\theta) = -\min\left[12 ((\theta - \theta_{tilt}) / \theta_{3dB})^2,
            SLA_v\right]

        A(\varphi, \theta) = -\min\left[-(A_H + A_V), A_m\right]

    An omni antenna (``beamwidth_deg >= 360`` or ``phi_deg`` NaN, i.e. no azimuth) has
    no horizontal term.

    Parameters
    ----------
    phi_deg
        Horizontal angle between the sector's azimuth and the receiver, degrees; any
        value is wrapped to [-180, 180].
    theta_deg
        Angle of the receiver below the horizontal at the antenna, degrees (positive
        down, like the tilt).
    beamwidth_deg
        Horizontal half-power beamwidth :math:`\varphi_{3dB}`.
    tilt_deg
        Downtilt :math:`\theta_{tilt}`, degrees, positive down.
    vertical_beamwidth_deg
        Vertical half-power beamwidth :math:`\theta_{3dB}`.
    front_to_back_db
        :math:`A_m`, the largest attenuation of the pattern.
    vertical_sidelobe_db
        :math:`SLA_v`, the largest attenuation of the vertical pattern.

    Returns
    -------
    numpy.ndarray
        Gain relative to boresight, dB (<= 0).
    """
    phi = np.asarray(phi_deg, dtype=float)
    beamwidth = np.asarray(beamwidth_deg, dtype=float)
    omni = np.isnan(phi) | (beamwidth >= 360.0)
    phi = (np.nan_to_num(phi) + 180.0) % 360.0 - 180.0
    bw = np.where(omni, 360.0, beamwidth)
    a_h = np.where(omni, 0.0, -np.minimum(12.0 * (phi / bw) ** 2, front_to_back_db))
    off = np.asarray(theta_deg, dtype=float) - np.asarray(tilt_deg, dtype=float)
    a_v = -np.minimum(12.0 * (off / vertical_beamwidth_deg) ** 2, vertical_sidelobe_db)
    return -np.minimum(-(a_h + a_v), front_to_back_db)


def signal_dbm(
    technology: ArrayLike,
    *,
    power_dbm: ArrayLike,
    gain_dbi: ArrayLike,
    path_loss_db: ArrayLike,
    pattern_loss_db: ArrayLike = 0.0,
    radio: Radio | None = None,
) -> np.ndarray:
    r"""Received signal from the link budget: 4G RSRP, 3G RSCP or 2G RxLev.

    .. math::

        RSRP &= P - 10 \log_{10}(12 N_{RB}) + G - L_{cable} - L - A - L_{clutter}

        RSCP &= P + \Delta_{CPICH} + G - L_{cable} - L - A - L_{clutter}

        RxLev &= P + G - L_{cable} - L - A - L_{clutter}

    with :math:`L` the path loss and :math:`A` the antenna pattern loss.

    Parameters
    ----------
    technology
        "2G", "3G" or "4G" (scalar or array).
    power_dbm
        Sector transmit power :math:`P` (total carrier power).
    gain_dbi
        Antenna gain :math:`G`.
    path_loss_db
        Path loss :math:`L` (free space plus diffraction).
    pattern_loss_db
        Antenna pattern loss :math:`A` towards the receiver (>= 0).
    radio
        Cable loss, LTE bandwidth, CPICH offset and clutter loss; defaults to
        :class:`~covgap.config.Radio`.

    Returns
    -------
    numpy.ndarray
        Signal in dBm.

    Raises
    ------
    InputError
        A technology is not one of 2G, 3G, 4G.
    """
    radio = radio or Radio()
    tech = np.asarray(technology, dtype=object)
    known = np.isin(tech, ["2G", "3G", "4G"])
    if not np.all(known):
        bad = sorted({str(t) for t in np.atleast_1d(tech[~known])})
        raise InputError(f"unknown technology {bad}; expected 2G, 3G or 4G")
    rsrp_offset = -10.0 * np.log10(12.0 * radio.resource_blocks)
    offset = np.where(tech == "4G", rsrp_offset, np.where(tech == "3G", radio.cpich_offset_db, 0))
    return (
        np.asarray(power_dbm, dtype=float)
        + offset.astype(float)
        + np.asarray(gain_dbi, dtype=float)
        - radio.cable_loss_db
        - np.asarray(path_loss_db, dtype=float)
        - np.asarray(pattern_loss_db, dtype=float)
        - radio.clutter_loss_db
    )
