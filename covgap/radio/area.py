"""Per-site signal rasters: every cell within a radius of one physical site.

:func:`predict_site` is the engine the area products (best-server composites, zones,
Cloud-Optimized GeoTIFFs, the process pool and the cache) are built on. It computes the
window's geometry once (:func:`covgap.radio.sweep_fast.branch_geometry`, or
:func:`covgap.radio.sweep.site_geometry` for the exact path), then runs the radial sweep once
per antenna height of the site (the terrain terms do not
depend on the frequency), which writes every band and sector of every cell straight into
the result: the point analysis's model code, every sector's antenna pattern and the link
budget of :func:`covgap.radio.propagation.signal_dbm`. By default the sweep is
:mod:`covgap.radio.sweep_fast` (scratch memory reused from site to site, the ray's state in
registers, tabulated knife-edge loss from :mod:`covgap.radio.sweep_loss`: within 0.05 dB of
the exact values, 0.001 dB at the 99th percentile on the bundled sample);
``rays="branch"`` lets rays branch off one another away from the antenna (5-10 %
faster, a median 0.1 dB and a 99th percentile 5 dB off the exact values: see that
module); ``exact=True`` evaluates :func:`covgap.radio.kernels.path_loss` and
:func:`covgap.radio.kernels.pattern_loss` bit for bit (:func:`covgap.radio.sweep.sweep_sectors`).

A cell's value is the prediction for a receiver at the cell's centre (its ground height,
its great-circle distance) over the profile of its ray; the ray passes within half a
cell (times the cell's distance over the window's half-width) of the centre, so the
profile differs slightly from the straight path that :func:`covgap.radio.point.best_servers`
samples to the same point. On the bundled sample the two agree to a fraction of a dB in
the median (``tests/test_area.py``, ``benchmarks/bench_predict.py``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS, Transformer

import covgap.radio.sweep as _sweep
import covgap.radio.sweep_fast as _sweep_branch

from ..config import Radio
from ..errors import InputError
from ..io.landcover import CATEGORY_CODES, P2108_CATEGORIES, ClutterGrid
from ..io.terrain import (
    EARTH_RADIUS_KM,
    Terrain,
    cell_size_m,
    default_step_m,
    grid_index,
    sample_heights,
)
from ..schema import (
    DEFAULT_BEAMWIDTH_DEG,
    DEFAULT_GAIN_DBI,
    DEFAULT_OMNI_GAIN_DBI,
    DEFAULT_POWER_DBM,
    DEFAULT_TILT_DEG,
    OMNI_BEAMWIDTH_DEG,
)
from .models import DEFAULT_MODEL, model_code, p2108_clutter_loss_db
from .point import _lonlat
from .propagation import signal_dbm, wavelength_m

__all__ = ["SitePrediction", "predict_site"]

logger = logging.getLogger(__name__)

#: Knife-edge parameter below which P.526 gives no loss.
_NU_MIN = -0.78
#: The rays of the fast path when ``rays`` is not given.
DEFAULT_RAYS = "full"
#: Relative difference of cell sizes treated as "the DEM's resolution".
_NATIVE_TOL = 0.01


@dataclass(frozen=True)
class SitePrediction:
    """Signal rasters of the sectors of one site, on a window around it.

    Attributes
    ----------
    site_id
        The site.
    transform
        Affine transform of the window (cell corners; the DEM's grid, or the resampled
        grid when ``resolution_m`` was given).
    crs
        CRS of the window (the DEM's).
    shape
        (rows, cols) of the window.
    window_offset
        (row_off, col_off) of the window in the DEM grid at the native resolution;
        ``None`` for a resampled grid.
    sectors
        One row per sector in the order of ``signal_dbm``: ``sector_id``, ``carrier``,
        ``technology``, ``freq_mhz`` (and ``height_m``, ``azimuth_deg``).
    signal_dbm
        float32 [n_sectors, rows, cols]: RSRP (4G), RSCP (3G) or RxLev (2G) in dBm;
        NaN outside the radius or over nodata.
    model
        The propagation model.
    radius_km
        The radius (possibly clipped by the DEM: see :func:`predict_site`).
    """

    site_id: str
    transform: Affine
    crs: CRS
    shape: tuple[int, int]
    window_offset: tuple[int, int] | None
    sectors: pd.DataFrame
    signal_dbm: np.ndarray
    model: str = DEFAULT_MODEL
    radius_km: float = 30.0


def predict_site(
    terrain: Terrain,
    sectors: pd.DataFrame,
    *,
    radius_km: float = 30.0,
    model: str = DEFAULT_MODEL,
    radio: Radio = Radio(),
    resolution_m: float | None = None,
    exact: bool = False,
    rays: str | None = None,
    warn_clipped: bool = True,
    clutter: ClutterGrid | None = None,
) -> SitePrediction:
    """Predict the signal of every sector of one site on every cell within ``radius_km``.

    Parameters
    ----------
    terrain
        The DEM (geographic or projected in metres).
    sectors
        Canonical site rows of ONE physical site (same ``site_id``, ``lon``/``lat`` or
        point geometry in WGS 84); antenna heights may differ per sector.
    radius_km
        Radius of the window. Where the DEM ends first the window is clipped to it and a
        warning is logged (cells beyond the DEM cannot be predicted).
    model
        ``"p1812"`` (default), ``"bullington"``, ``"hata"`` (``"hata-open"``) or
        ``"fspl"`` (:mod:`covgap.radio.models`).
    radio
        Receiver height, k-factor, profile step, link budget and pattern settings.
    resolution_m
        Cell size of the output; ``None`` (or the DEM's own) keeps the DEM grid. Another
        value resamples the DEM window bilinearly to that size first.
    exact
        ``True``: every cell is bit for bit :func:`covgap.radio.kernels.path_loss` and
        :func:`covgap.radio.kernels.pattern_loss` on its terrain terms
        (:func:`covgap.radio.sweep.sweep_sectors`). ``False`` (default): the same terrain
        terms with tabulated knife-edge and cheaper smooth-earth losses
        (:func:`covgap.radio.sweep_fast.sweep_branch`), within 0.05 dB of the exact result.
    rays
        With ``exact=False``: ``"full"`` (default, :data:`DEFAULT_RAYS`) walks one ray
        per border cell from the antenna, as the exact path does; ``"branch"`` walks a
        tree of rays that branch off one another where the cells need them (1.6 DEM
        samples per cell instead of 2.6, 5-10 % faster; within
        :data:`covgap.radio.sweep_fast.TOL_MEDIAN_DB` in the median,
        :data:`covgap.radio.sweep_fast.TOL_P99_DB` at the 99th percentile and the same
        best-sector class on :data:`covgap.radio.sweep_fast.TOL_CLASS_AGREE` of the cells).
    warn_clipped
        Log a warning when the radius reaches beyond the DEM (the window is clipped to
        it). ``False`` where that is expected, such as candidate sites near the DEM's
        edge in a plan.

    Returns
    -------
    SitePrediction

    Raises
    ------
    InputError
        Empty or mixed sites, the site outside the DEM or over nodata, an unknown model
        or technology, a radius or resolution out of range, a CRS without linear or
        angular units.
    """
    code = model_code(model)
    sec = _check_sectors(sectors)
    site_id = str(sec["site_id"][0])
    if not (0 < radius_km <= 200):
        raise InputError(f"radius_km = {radius_km!r} must be between 0 and 200 km")
    _check_crs(terrain)
    rays = DEFAULT_RAYS if rays is None else rays
    if rays not in ("branch", "full"):
        raise InputError(f"rays = {rays!r}: expected 'branch' or 'full'")
    if resolution_m is not None and not (1 <= resolution_m <= 5000):
        raise InputError(f"resolution_m = {resolution_m!r} must be between 1 and 5000 m")
    lon, lat = float(sec["lon"][0]), float(sec["lat"][0])
    g_tx = float(sample_heights(terrain, lon, lat))
    if math.isnan(g_tx):
        raise InputError(
            f"site {site_id} ({lon:.5f}, {lat:.5f}) is outside the DEM or over nodata; "
            "extend the DEM or drop the site"
        )
    native = min(cell_size_m(terrain))
    if resolution_m is not None and abs(resolution_m / native - 1) > _NATIVE_TOL:
        grid, is_native = _resampled(terrain, lon, lat, radius_km, resolution_m), False
    else:
        grid, is_native = terrain, True
    (row0, col0, h, w), clipped = _window(grid, lon, lat, radius_km)
    if clipped and warn_clipped:
        logger.warning(
            "site %s: the %g km radius reaches beyond the DEM; the window is clipped to it",
            site_id, radius_km,
        )  # fmt: skip
    all_heights = sec["height_m"]
    # the fast sweep writes every cell of the planes it fills (NaN where no value)
    fill = exact or bool(np.isnan(all_heights).any())
    signal = (
        np.full((len(all_heights), h, w), np.nan, dtype=np.float32)
        if fill
        else np.empty((len(all_heights), h, w), dtype=np.float32)
    )
    c0, r0 = (float(v) for v in grid_index(grid, lon, lat))
    clutter_m, cats = _clutter_window(terrain, grid, is_native, clutter, radio, (row0, col0, h, w))
    step_km = default_step_m(grid, radio.profile_step_m) / 1000.0
    heights = np.asarray(grid.heights)
    window = (
        heights, row0, col0, h, w, c0, r0, float(radius_km), step_km, grid.crs.is_geographic,
        grid.transform.a, grid.transform.e, lat,
    )  # fmt: skip
    x_floor = _NU_MIN * math.sqrt(float(wavelength_m(sec["freq_mhz"].min())))
    offsets = _link_offsets(sec, radio)
    ce, ae = 1.0 / (EARTH_RADIUS_KM * radio.earth_k), EARTH_RADIUS_KM * radio.earth_k
    az_shift = _north_shift(grid, lon, lat)
    antennas = []  # per antenna height: its sectors' bands, arrays and antenna tuple
    for height in np.unique(all_heights[~np.isnan(all_heights)]):
        freqs, sectors = _sector_arrays(sec, np.flatnonzero(all_heights == height), offsets)
        antenna = (
            int(row0), int(col0), c0, r0, g_tx + float(height), g_tx, float(radio.rx_height_m),
            ce, ae, x_floor, int(radius_km / step_km) + 8, az_shift,
            float(radio.vertical_beamwidth_deg), float(radio.front_to_back_db),
            float(radio.vertical_sidelobe_db),
        )  # fmt: skip
        bands = _sweep.band_table(freqs, code, antenna[6], antenna[8])
        antennas.append((antenna, bands, sectors))
    if exact:
        geom = _sweep.site_geometry(*window)
        full = None
        if clutter_m is not None:  # the exact sweep reads the whole grid's coordinates
            full = np.zeros(heights.shape)
            full[row0 : row0 + h, col0 : col0 + w] = clutter_m
        for antenna, bands, sectors in antennas:
            _sweep.sweep_sectors(heights, geom, antenna, code, bands, sectors, signal, full)
    else:
        spread = _sweep_branch.SPREAD if rays == "branch" else 0.0
        _sweep_fast(window, antennas, code, signal, spread, clutter_m)
    if cats is not None:
        _subtract_p2108(signal, sec["freq_mhz"], cats, window)
    t = grid.transform
    transform = Affine(t.a, 0.0, t.c + col0 * t.a, 0.0, t.e, t.f + row0 * t.e)
    columns = ["sector_id", "carrier", "technology", "freq_mhz", "height_m", "azimuth_deg"]
    table = pd.DataFrame(
        {name: sec[name] for name in columns} | {"freq_mhz": np.round(sec["freq_mhz"]).astype(int)}
    )
    return SitePrediction(
        site_id=site_id,
        transform=transform,
        crs=grid.crs,
        shape=(h, w),
        window_offset=(row0, col0) if is_native else None,
        sectors=table,
        signal_dbm=signal,
        model=model,
        radius_km=float(radius_km),
    )


# --------------------------------------------------------------------------- helpers
def _sweep_fast(
    window: tuple,
    antennas: list,
    code: int,
    signal: np.ndarray,
    spread: float,
    clutter_m: np.ndarray | None = None,
):
    """Run the fast sweep (:mod:`covgap.radio.sweep_fast`) on a contiguous copy of the window.

    The copy and the working arrays are per-thread scratch space, reused from site to
    site (:func:`covgap.radio.sweep_fast.scratch`); ``clutter_m`` is the window's
    clutter heights (or ``None``).
    """
    heights, row0, col0, h, w, c0, r0 = window[:7]
    scratch = _sweep_branch.scratch
    win = scratch("win", h * w, heights.dtype).reshape(h, w)
    win[:] = heights[row0 : row0 + h, col0 : col0 + w]
    cwin = None
    if clutter_m is not None:
        cwin = scratch("cwin", h * w, heights.dtype).reshape(h, w)
        cwin[:] = clutter_m
    # bearings only for horizontal patterns (pattern_table's 12 / beamwidth^2, 0 for omni)
    directional = any(
        bool(np.any(_sweep_branch.pattern_table(sec, ant[12])[:, 0] > 0.0))
        for ant, _, sec in antennas
    )
    geom = _sweep_branch.branch_geometry(
        win, row0, col0, c0, r0, *window[7:], spread,
        scratch("iscr", 9 * h * w, np.int32), scratch("fscr", 3 * h * w, np.float64),
        directional,
    )  # fmt: skip
    n = len(geom[0])
    terms = scratch("terms", 4 * n, np.float64).reshape(4, n)
    for antenna, bands, sectors in antennas:
        ant = (0, 0, c0 - col0, r0 - row0, *antenna[4:])
        _sweep_branch.sweep_branch(win, geom, ant, code, bands, sectors, signal, terms, cwin)


def _clutter_window(terrain, grid, is_native, clutter, radio, win):
    """Clutter heights (``"p1812"``) or P.2108 cells (``"p2108"``) of the window, or None.

    On a resampled grid every cell takes the clutter of the DEM cell under its centre.
    """
    if clutter is None or radio.clutter == "none":
        return None, None
    if clutter.shape != terrain.shape:
        raise InputError(
            f"the land cover grid {clutter.shape} is not the DEM's {terrain.shape}; build it "
            "with covgap.io.landcover.clutter_grid(paths, terrain)"
        )
    row0, col0, h, w = win
    values = clutter.heights_m if radio.clutter == "p1812" else clutter.category
    if is_native:
        out = values[row0 : row0 + h, col0 : col0 + w]
    else:
        t = grid.transform
        xs = t.c + (col0 + np.arange(w) + 0.5) * t.a
        ys = t.f + (row0 + np.arange(h) + 0.5) * t.e
        inv = ~terrain.transform
        cols = np.floor((xs - terrain.transform.c) * inv.a).astype(np.int64)
        rows = np.floor((ys - terrain.transform.f) * inv.e).astype(np.int64)
        cols = np.clip(cols, 0, terrain.shape[1] - 1)
        rows = np.clip(rows, 0, terrain.shape[0] - 1)
        out = values[np.ix_(rows, cols)]
    if radio.clutter == "p1812":
        return np.ascontiguousarray(out, dtype=np.float64), None
    return None, np.isin(out, [CATEGORY_CODES[c] for c in P2108_CATEGORIES])


def _subtract_p2108(signal, freq_mhz, inside, window) -> None:
    """Subtract the P.2108 §3.2 median loss at the window's cells in built-up clutter."""
    if not inside.any():
        return
    row0, col0, _, _, c0, r0, _, _, geo, ax, ey, lat0 = window[1:]
    rr, cc = np.nonzero(inside)
    dc, dr = col0 + cc - c0, row0 + rr - r0
    m_deg = math.radians(1.0) * 6_371_000.0
    if geo:  # the sweep's own local equirectangular offsets
        lat_c = np.radians(0.5 * (lat0 + dr * ey + lat0))
        east, north = dc * ax * m_deg * np.cos(lat_c), dr * ey * m_deg
    else:
        east, north = dc * ax, dr * ey
    dist = np.hypot(east, north) / 1000.0
    for f in np.unique(np.asarray(freq_mhz, dtype=float)):
        loss = p2108_clutter_loss_db(f, dist).astype(np.float32)
        for s in np.flatnonzero(np.asarray(freq_mhz, dtype=float) == f):
            signal[s, rr, cc] -= loss


def _check_sectors(sectors: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return the canonical sector table of :func:`covgap.radio.point._prepare_sectors`.

    The same columns, defaults and row order (by antenna height, then input order) for
    the rows of one site, as a dict of numpy arrays: a DataFrame and its indexing cost
    several milliseconds a site (as much as a twentieth of a one-sector site's time).
    """
    if len(sectors) == 0:
        raise InputError("predict_site: no sector rows given")
    lon, lat = _lonlat(sectors)
    site_id = sectors["site_id"].astype(str).to_numpy()
    if len(set(zip(site_id.tolist(), lon.tolist(), lat.tolist(), strict=True))) > 1:
        raise InputError(
            "predict_site: the rows must be the sectors of one physical site (one site_id "
            f"and position); got {sorted(set(site_id.tolist()))}"
        )
    n = len(sectors)
    cols = sectors.columns

    def number(name: str, default: float) -> np.ndarray:
        if name not in cols:
            return np.full(n, default)
        values = sectors[name].to_numpy(float)
        return values if math.isnan(default) else np.where(np.isnan(values), default, values)

    tech = sectors["technology"].astype(str).to_numpy()
    azimuth = number("azimuth_deg", np.nan)
    beamwidth = number("beamwidth_deg", DEFAULT_BEAMWIDTH_DEG)
    omni = np.isnan(azimuth) | (beamwidth >= OMNI_BEAMWIDTH_DEG)
    gain = number("gain_dbi", np.nan)
    gain = np.where(np.isnan(gain), np.where(omni, DEFAULT_OMNI_GAIN_DBI, DEFAULT_GAIN_DBI), gain)
    power = number("power_dbm", np.nan)
    default_power = np.array([DEFAULT_POWER_DBM.get(t, np.nan) for t in tech.tolist()])
    height = sectors["height_m"].to_numpy(float)
    sec = {
        "site_id": site_id,
        "sector_id": (
            sectors["sector_id"].astype(str).to_numpy()
            if "sector_id" in cols
            else np.arange(n).astype(str)
        ),
        "carrier": sectors["carrier"].astype(str).to_numpy(),
        "technology": tech,
        "freq_mhz": sectors["freq_mhz"].to_numpy(float),
        "height_m": height,
        "lon": lon,
        "lat": lat,
        "azimuth_deg": azimuth,
        "tilt_deg": number("tilt_deg", DEFAULT_TILT_DEG),
        "beamwidth_deg": beamwidth,
        "gain_dbi": gain,
        "power_dbm": np.where(np.isnan(power), default_power, power),
    }
    order = np.argsort(height, kind="stable")  # _prepare_sectors' "tx" of one site
    return {name: values[order] for name, values in sec.items()}


def _check_crs(terrain: Terrain) -> None:
    crs = terrain.crs
    if crs.is_geographic:
        return
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or not units or not units <= {"metre", "meter", "m"}:
        raise InputError(
            f"the DEM's CRS ({crs.name}) has no metre units; reproject it to a projected "
            "CRS in metres or to EPSG:4326"
        )


def _window(grid: Terrain, lon: float, lat: float, radius_km: float):
    """(row0, col0, rows, cols) of the cells within the radius, clipped to the grid."""
    col, row = (float(v) for v in grid_index(grid, lon, lat))
    dx, dy = cell_size_m(grid)
    if grid.crs.is_geographic:  # cell width at the site's latitude
        dx = abs(grid.transform.a) * math.radians(1) * EARTH_RADIUS_KM * 1000 * math.cos(
            math.radians(lat)
        )  # fmt: skip
    half_c = math.ceil(radius_km * 1000 / dx) + 1
    half_r = math.ceil(radius_km * 1000 / dy) + 1
    rows, cols = grid.shape
    c_lo, c_hi = round(col) - half_c, round(col) + half_c
    r_lo, r_hi = round(row) - half_r, round(row) + half_r
    clipped = c_lo < 0 or r_lo < 0 or c_hi > cols - 1 or r_hi > rows - 1
    c_lo, r_lo = max(c_lo, 0), max(r_lo, 0)
    c_hi, r_hi = min(c_hi, cols - 1), min(r_hi, rows - 1)
    return (r_lo, c_lo, r_hi - r_lo + 1, c_hi - c_lo + 1), clipped


def _resampled(terrain: Terrain, lon: float, lat: float, radius_km: float, res_m: float):
    """Return the DEM around the site resampled bilinearly to cells of ``res_m`` metres."""
    from scipy import ndimage

    (row0, col0, h, w), _ = _window(terrain, lon, lat, radius_km)
    dx, dy = cell_size_m(terrain)
    t = terrain.transform
    fx, fy = dx / res_m, dy / res_m
    out_w, out_h = max(round(w * fx), 2), max(round(h * fy), 2)
    a, e = t.a * w / out_w, t.e * h / out_h
    left, top = t.c + col0 * t.a, t.f + row0 * t.e
    cc = (np.arange(out_w) + 0.5) * a / t.a - 0.5
    rr = (np.arange(out_h) + 0.5) * e / t.e - 0.5
    src = np.asarray(terrain.heights[row0 : row0 + h, col0 : col0 + w], dtype=np.float64)
    grid_r, grid_c = np.meshgrid(rr, cc, indexing="ij")
    heights = ndimage.map_coordinates(src, [grid_r, grid_c], order=1, mode="nearest")
    return Terrain(
        heights.astype(np.float32), Affine(a, 0.0, left, 0.0, e, top), terrain.crs,
        source=f"{terrain.source} resampled to {res_m:g} m",
    )  # fmt: skip


def _link_offsets(sec: dict, radio: Radio) -> np.ndarray:
    """Link budget of every sector without path and pattern loss (dBm)."""
    return np.asarray(
        signal_dbm(
            sec["technology"],
            power_dbm=sec["power_dbm"],
            gain_dbi=sec["gain_dbi"],
            path_loss_db=0.0,
            radio=radio,
        ),
        dtype=float,
    )


def _north_shift(grid: Terrain, lon: float, lat: float) -> float:
    """Degrees to add to a grid bearing for a true bearing at the site (0 for lon/lat)."""
    if grid.crs.is_geographic:
        return 0.0
    to_grid = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    x0, y0 = to_grid.transform(lon, lat)
    x1, y1 = to_grid.transform(lon, lat + 0.01)
    return -math.degrees(math.atan2(x1 - x0, y1 - y0))


def _sector_arrays(sec: dict, rows: np.ndarray, offsets: np.ndarray):
    """Bands of one antenna height and its sectors' arrays for :func:`_sweep.sweep_sectors`."""
    freq = sec["freq_mhz"][rows]
    freqs = np.unique(freq)
    sectors = (
        np.searchsorted(freqs, freq).astype(np.int64), offsets[rows].astype(float),
        sec["azimuth_deg"][rows], sec["beamwidth_deg"][rows], sec["tilt_deg"][rows],
        np.asarray(rows, dtype=np.int64),
    )  # fmt: skip
    return freqs, sectors
