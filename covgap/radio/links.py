"""One transmitter-to-receiver path explained with the numpy reference.

:func:`predict_link` computes the profile and every loss term of a single path with the
reference formulas of :mod:`covgap.radio.propagation`; it explains a village's result and checks
the bulk engine of :func:`covgap.radio.point.best_servers` in the tests. Both names are also
importable from :mod:`covgap.radio.point`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..config import Radio
from ..errors import InputError
from ..io.landcover import P2108_CATEGORIES, ClutterGrid
from ..io.terrain import (
    EARTH_RADIUS_KM,
    Terrain,
    bearing_deg,
    default_step_m,
    distance_km,
    grid_index,
    profile_segments,
    terrain_profile,
)
from .kernels import CELL_TIE
from .models import DEFAULT_MODEL, clutter_heights, p2108_clutter_loss_db, profile_path_loss_db
from .propagation import bullington_loss_db, fspl_db

__all__ = ["Link", "predict_link"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    """One transmitter-to-receiver path explained (result of :func:`predict_link`).

    Attributes
    ----------
    dist_km
        Great-circle length of the path.
    profile_km, profile_m
        Distance from the transmitter and ground height of every profile sample.
    tx_amsl_m, rx_amsl_m
        Antenna heights above sea level.
    freq_mhz
        Frequency.
    fspl_db, diffraction_loss_db, path_loss_db
        Free-space loss, the model's loss above it (diffraction for the terrain models)
        and their sum.
    los
        The straight line between the antennas clears the terrain.
    obstacle_lon, obstacle_lat, obstacle_height_m, obstacle_dist_km
        The profile point with the largest knife-edge parameter (distance from the
        receiver); NaN when the path has no diffraction loss.
    azimuth_deg
        Bearing from the transmitter to the receiver.
    depression_deg
        Angle below the transmitter's horizontal at which the antenna pattern is read:
        the direct ray's (earth curvature included) on line of sight; on an obstructed
        path of a terrain model (``"p1812"``, ``"bullington"``) the diffracted ray's
        departure, the transmitter's horizon elevation angle of P.1812 eq. 77 (negated).
    clutter_m
        Representative clutter height of every profile sample (``radio.clutter =
        "p1812"``; zeros otherwise).
    clutter_loss_db
        P.2108 §3.2 loss at the receiver (``radio.clutter = "p2108"``), included in
        ``path_loss_db``.
    """

    dist_km: float
    profile_km: np.ndarray
    profile_m: np.ndarray
    tx_amsl_m: float
    rx_amsl_m: float
    freq_mhz: float
    fspl_db: float
    diffraction_loss_db: float
    path_loss_db: float
    los: bool
    obstacle_lon: float
    obstacle_lat: float
    obstacle_height_m: float
    obstacle_dist_km: float
    azimuth_deg: float
    depression_deg: float
    clutter_m: np.ndarray | None = None
    clutter_loss_db: float = 0.0


def predict_link(
    terrain: Terrain,
    tx_lon: float,
    tx_lat: float,
    rx_lon: float,
    rx_lat: float,
    *,
    tx_height_m: float,
    freq_mhz: float,
    radio: Radio = Radio(),
    model: str = DEFAULT_MODEL,
    clutter: ClutterGrid | None = None,
) -> Link:
    """Predict the path loss of one path with the numpy reference, profile included.

    Parameters
    ----------
    terrain
        The DEM.
    tx_lon, tx_lat
        Site position, WGS 84.
    rx_lon, rx_lat
        Receiver position, WGS 84.
    tx_height_m
        Antenna height above ground.
    freq_mhz
        Frequency.
    radio
        Receiver height, k-factor and profile step.
    model
        Propagation model (:mod:`covgap.radio.models`); the same as
        :func:`covgap.radio.point.best_servers` and :func:`covgap.radio.area.predict_site`.
    clutter
        The land cover on the DEM grid, used as ``radio.clutter`` says (as
        :func:`covgap.radio.point.best_servers`).

    Returns
    -------
    Link

    Raises
    ------
    InputError
        An end of the path is outside the DEM or over nodata.
    """
    dist, heights = terrain_profile(
        terrain, tx_lon, tx_lat, rx_lon, rx_lat, step_m=radio.profile_step_m
    )
    ground = np.array([heights[0], heights[-1]])
    if np.isnan(ground).any():
        raise InputError("predict_link: transmitter or receiver outside the DEM or over nodata")
    hts, hrs = ground[0] + tx_height_m, ground[1] + radio.rx_height_m
    d = float(dist[-1])
    k = radio.earth_k
    use = clutter is not None and radio.clutter != "none"
    if use and clutter.shape != terrain.shape:
        raise InputError("predict_link: the land cover grid is not on the DEM's grid")
    cells = _profile_cells(terrain, tx_lon, tx_lat, rx_lon, rx_lat, radio) if use else None
    r_m = clutter.heights_m[cells] if use and radio.clutter == "p1812" else None
    _, diffraction = profile_path_loss_db(
        model, dist, heights, hts, hrs, freq_mhz,
        rx_height_m=radio.rx_height_m, k_factor=k, clutter_m=r_m,
    )  # fmt: skip
    g = clutter_heights(heights, r_m)
    i_obst, los = _obstacle(dist, g, hts, hrs, k)
    edge = model in ("p1812", "bullington") and (
        bullington_loss_db(dist, g, hts, hrs, freq_mhz, k_factor=k) > 0.0
    )
    t = dist[i_obst] / d if (i_obst is not None and edge) else np.nan
    d_m = d * 1000.0
    drop_m = d_m * d_m / (2000.0 * EARTH_RADIUS_KM * k)
    fspl = float(fspl_db(d, freq_mhz))
    l_clutter = 0.0
    if use and radio.clutter == "p2108":
        end = (cells[0][-1], cells[1][-1])
        if clutter.in_category(P2108_CATEGORIES)[end]:
            l_clutter = float(p2108_clutter_loss_db(freq_mhz, d))
    return Link(
        dist_km=d,
        profile_km=dist,
        profile_m=heights,
        tx_amsl_m=float(hts),
        rx_amsl_m=float(hrs),
        freq_mhz=float(freq_mhz),
        fspl_db=fspl,
        diffraction_loss_db=diffraction,
        path_loss_db=fspl + diffraction + l_clutter,
        los=los,
        obstacle_lon=float(tx_lon + t * (rx_lon - tx_lon)),
        obstacle_lat=float(tx_lat + t * (rx_lat - tx_lat)),
        obstacle_height_m=float(heights[i_obst]) if np.isfinite(t) else np.nan,
        obstacle_dist_km=float((1.0 - t) * d),
        azimuth_deg=float(bearing_deg(tx_lon, tx_lat, rx_lon, rx_lat)),
        depression_deg=_departure_deg(dist, g, hts, hrs, drop_m, k, model, los),
        clutter_m=np.zeros_like(heights) if r_m is None else r_m,
        clutter_loss_db=l_clutter,
    )


def _departure_deg(dist, g, hts, hrs, drop_m, k_factor, model, los) -> float:
    """Depression of the direct ray (line of sight) or of the transmitter's horizon."""
    d_m = dist[-1] * 1000.0
    if los or model not in ("p1812", "bullington"):
        return float(np.degrees(np.arctan2(hts - hrs + drop_m, d_m)))
    di, gi = dist[1:-1], g[1:-1]
    ok = np.isfinite(gi)
    s_hor = np.max((gi[ok] - 500.0 * di[ok] ** 2 / (EARTH_RADIUS_KM * k_factor) - hts) / di[ok])
    return float(np.degrees(np.arctan2(-s_hor, 1000.0)))


def _profile_cells(terrain, lon0, lat0, lon1, lat1, radio) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the DEM cells the samples of :func:`terrain_profile` fall in."""
    d = float(distance_km(lon0, lat0, lon1, lat1))
    n = int(profile_segments(d, default_step_m(terrain, radio.profile_step_m)))
    t = np.arange(n + 1) / n
    (c0, c1), (r0, r1) = grid_index(terrain, np.array([lon0, lon1]), np.array([lat0, lat1]))
    rows, cols = terrain.shape
    tie = 0.5 + CELL_TIE  # as kernels.nearest
    col = np.clip(np.floor(c0 + t * (c1 - c0) + tie).astype(np.int64), 0, cols - 1)
    row = np.clip(np.floor(r0 + t * (r1 - r0) + tie).astype(np.int64), 0, rows - 1)
    return row, col


def _obstacle(dist, heights, hts, hrs, k_factor) -> tuple[int | None, bool]:
    """Index of the largest knife-edge parameter and the line-of-sight test (numpy)."""
    d = dist[-1]
    di, hi = dist[1:-1], heights[1:-1]
    ok = np.isfinite(hi)
    if not ok.any():
        return None, True
    ce = 1.0 / (EARTH_RADIUS_KM * k_factor)
    bulge = np.where(ok, hi + 500.0 * ce * di * (d - di), -np.inf)
    x = (bulge - (hts * (d - di) + hrs * di) / d) * np.sqrt(0.002 * d / (di * (d - di)))
    s_tim = np.max((bulge - hts) / di)
    return int(np.argmax(x)) + 1, bool(s_tim < (hrs - hts) / d)
