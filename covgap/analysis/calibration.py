r"""Check the prediction against what phones measured, calibrate it, and say where it is unsure.

Any propagation model is off on real paths by a bias per carrier and band, and scatters by
6-10 dB. This module closes the loop the way planning tools are tuned to drive tests:

1. :func:`predict_measurements`: the prediction at every measurement, from the best server
   of the same carrier and technology at that point (the scenario's model, link budget and
   antennas; the point engine, one path per sector in range);
2. :func:`error_stats`: per carrier × technology × band, the count, the bias
   :math:`\bar e` (mean of measured − predicted), the standard deviation, the RMSE and the
   correlation;
3. :func:`fit_offsets`: a robust offset per group (Huber's M-estimate of the error, so that
   a few bad samples do not move it), validated by **spatial block cross-validation**: the
   area is cut into square blocks (5 km by default), each block's offset is fitted on the
   *other* blocks and scored on its own, so that nearby, correlated samples never flatter
   the result. A group with too few measurements or blocks is not fitted, and the table
   says why. The distance slope of the error (dB per decade) is reported with its
   standard error as a diagnostic; covgap applies offsets only;
4. :func:`confusion`: against a field survey, the matrix of predicted against observed
   classes, the agreement and Cohen's :math:`\kappa`;
5. :func:`field_check`: with the calibrated :math:`\sigma`, each village's probability of
   being covered, and the villages whose class would change within :math:`\pm 1\sigma`,
   ranked by people: where a survey team decides the answer.

The fitted offsets and :math:`\sigma` are a :class:`covgap.config.Calibration` (a
``[calibration]`` table in a scenario file) that the analysis applies to every predicted
signal (:func:`apply_calibration`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from ..config import Calibration, Radio, Thresholds
from ..errors import InputError
from ..schema import CLASSES, COVERED, LOW_SIGNAL, WHITE

__all__ = [
    "GROUP",
    "apply_calibration",
    "calibrate_rasters",
    "calibrated_radio",
    "calibration_of",
    "confusion",
    "error_by_land_cover",
    "error_stats",
    "field_check",
    "fit_land_cover",
    "fit_offsets",
    "land_cover_at",
    "predict_measurements",
    "residual_after",
    "serving_site_ids",
]

logger = logging.getLogger(__name__)

#: The columns a calibration group is made of.
GROUP: tuple[str, ...] = ("carrier", "technology", "freq_mhz")
#: Fewest measurements, and fewest blocks, a group needs for an offset to be fitted.
MIN_POINTS, MIN_BLOCKS = 30, 4
#: Fewest measurements for a distance slope, and for a land-cover class's correction.
MIN_SLOPE_POINTS, MIN_LAND_COVER_POINTS = 200, 100
_NORMAL = NormalDist()


#: Above this many distinct positions, ``method="auto"`` samples the area rasters.
AREA_ABOVE = 20_000


def predict_measurements(
    measurements: pd.DataFrame,
    sites: pd.DataFrame,
    terrain: object,
    *,
    radio: Radio | None = None,
    method: str = "auto",
    clutter: object = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Predict the signal at every measurement from the best server of its carrier.

    Parameters
    ----------
    measurements
        :func:`covgap.io.measurements.read_measurements` (WGS 84 points with ``carrier``,
        ``technology`` and ``rsrp_dbm``).
    sites, terrain
        The sites and the DEM of the analysis (:class:`~covgap.analysis.inputs.Inputs`).
    radio
        Model, link budget and receiver height (``None``: the defaults).
    clutter
        The land cover on the DEM grid (:func:`covgap.io.landcover.clutter_grid`), used as
        ``radio.clutter`` says; ``None``: bare terrain.
    method
        ``"point"``: one path per sector in range at each distinct position (exact);
        ``"area"``: the best-server rasters of the area engine, sampled at the
        measurements' cells (for millions of measurements; the DEM's resolution);
        ``"auto"``: points up to :data:`AREA_ABOVE` distinct positions, else the area.
    progress
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        The measurements with ``lon``, ``lat``, ``predicted_dbm`` (NaN where no sector of
        that carrier and technology is in range), ``error_db`` (measured − predicted),
        ``dist_km`` and ``server_site_id`` of the predicted server, and ``predicted_from``:
        ``"serving_site"`` when the measurement names its serving site (``site_id`` of the
        site table; the site's best sector is compared, point method) or
        ``"best_server"`` (the best server of its carrier and technology).
    """
    if method not in ("auto", "point", "area"):
        raise InputError(f"predict_measurements: method {method!r}: use auto, point or area")
    from ..radio.point import best_servers

    radio = radio or Radio()
    table = pd.DataFrame(measurements.drop(columns="geometry", errors="ignore"))
    if "geometry" in measurements:
        table["lon"] = measurements.geometry.x.to_numpy()
        table["lat"] = measurements.geometry.y.to_numpy()
    # one prediction per distinct position (drive tests log every carrier at each point)
    keys = table[["lon", "lat"]].round(7)
    unique = keys.drop_duplicates().reset_index(drop=True)
    if method == "area" or (method == "auto" and len(unique) > AREA_ABOVE):
        return _predict_by_area(table, sites, terrain, radio, progress, clutter)
    unique["point_id"] = np.arange(len(unique))
    table = table.merge(
        unique.rename(columns={"lon": "_lon", "lat": "_lat"}),
        left_on=[keys["lon"], keys["lat"]],
        right_on=["_lon", "_lat"],
        how="left",
    ).drop(columns=["key_0", "key_1", "_lon", "_lat"], errors="ignore")
    servers = best_servers(
        unique[["point_id", "lon", "lat"]], sites, terrain, radio=radio, model=radio.model,
        progress=progress, clutter=clutter,
    )  # fmt: skip
    cols = ["point_id", "carrier", "technology", "signal_dbm", "dist_km", "site_id"]
    best = servers[cols].rename(
        columns={"signal_dbm": "predicted_dbm", "site_id": "server_site_id"}
    )
    out = table.merge(best, on=["point_id", "carrier", "technology"], how="left")
    out["predicted_from"] = np.where(out["predicted_dbm"].notna(), "best_server", None)
    # a measurement that names its serving site (or a cell of it) is compared with that
    # site's prediction
    out["site_id"] = serving_site_ids(out, sites)
    if out["site_id"].notna().any():
        known = set(sites["site_id"].astype(str))
        named = (
            out["site_id"].astype(str).isin(known).to_numpy() & out["site_id"].notna().to_numpy()
        )
        if named.any():
            ids = out.loc[named, "point_id"].unique()
            wanted = set(out.loc[named, "site_id"].astype(str))
            own = best_servers(
                unique[unique["point_id"].isin(ids)][["point_id", "lon", "lat"]],
                sites[sites["site_id"].astype(str).isin(wanted)],
                terrain, radio=radio, model=radio.model, by="site", clutter=clutter,
            )  # fmt: skip
            own = own.set_index(["point_id", "site_id", "technology"])
            keys = pd.MultiIndex.from_arrays(
                [
                    out.loc[named, "point_id"],
                    out.loc[named, "site_id"].astype(str),
                    out.loc[named, "technology"],
                ]
            )
            hit = keys.isin(own.index)
            rows = np.flatnonzero(named)[hit]
            values = own.loc[keys[hit]]
            out.loc[out.index[rows], "predicted_dbm"] = values["signal_dbm"].to_numpy()
            out.loc[out.index[rows], "dist_km"] = values["dist_km"].to_numpy()
            out.loc[out.index[rows], "server_site_id"] = keys[hit].get_level_values(1)
            out.loc[out.index[rows], "predicted_from"] = "serving_site"
    out["error_db"] = out["rsrp_dbm"] - out["predicted_dbm"]
    return out.drop(columns="point_id")


def serving_site_ids(measurements: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """Find the serving site each measurement names, matched to the site table.

    In order: its ``site_id``; its ``cell_id`` (ECI or cell identity) as a ``sector_id``
    of the same carrier; its ``pci`` against a ``PCI`` column of the site table (same
    carrier and band when both are known). Where a cell id or a physical cell id is used
    by several sites, the nearest one is taken (codes repeat far apart, never next door).
    ``None`` where nothing matches.
    """
    from ..io.aliases import normalise
    from ..io.terrain import distance_km

    out = pd.Series([None] * len(measurements), index=measurements.index, dtype=object)
    s_lon, s_lat = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    s_site = sites["site_id"].astype(str).to_numpy()
    carriers = sites["carrier"].astype(str).to_numpy()

    def nearest(i: int, hit: np.ndarray) -> str | None:
        if not hit.any():
            return None
        m_lon = np.full(hit.sum(), measurements["lon"].iat[i])
        m_lat = np.full(hit.sum(), measurements["lat"].iat[i])
        d = distance_km(s_lon[hit], s_lat[hit], m_lon, m_lat)
        return str(s_site[hit][int(np.argmin(d))])

    if "site_id" in measurements:
        ids = measurements["site_id"]
        named = ids.notna() & ids.astype(str).isin(set(s_site))
        out[named] = ids[named].astype(str)
    if "cell_id" in measurements and "sector_id" in sites:
        sectors = sites["sector_id"].astype(str).to_numpy()
        todo = out.isna().to_numpy() & measurements["cell_id"].notna().to_numpy()
        for i in np.flatnonzero(todo):
            hit = sectors == str(measurements["cell_id"].iat[i])
            out.iat[i] = nearest(i, hit & (carriers == str(measurements["carrier"].iat[i])))
    pci_col = next((c for c in sites.columns if normalise(c) == "pci"), None)
    if "pci" in measurements and pci_col is not None:
        site_pci = pd.to_numeric(sites[pci_col], errors="coerce").to_numpy()
        bands = sites["freq_mhz"].to_numpy(float) if "freq_mhz" in sites else None
        pcis = pd.to_numeric(measurements["pci"], errors="coerce").to_numpy()
        for i in np.flatnonzero(out.isna().to_numpy() & ~np.isnan(pcis)):
            hit = (site_pci == pcis[i]) & (carriers == str(measurements["carrier"].iat[i]))
            band = measurements["freq_mhz"].iat[i] if "freq_mhz" in measurements else None
            if bands is not None and band is not None and pd.notna(band):
                hit &= bands == float(band)
            out.iat[i] = nearest(i, hit)
    return out


def _predict_by_area(
    table: pd.DataFrame,
    sites: pd.DataFrame,
    terrain: object,
    radio: Radio,
    progress: bool,
    clutter: object = None,
) -> pd.DataFrame:
    """Sample the best-server composites of every carrier × technology at the measurements."""
    from ..io.terrain import distance_km
    from ..radio.parallel import predict_area

    rasters = predict_area(
        terrain, sites, radius_km=radio.max_range_km, model=radio.model, radio=radio,
        progress=progress, warn_clipped=False, clutter=clutter,
    )  # fmt: skip
    to_grid = Transformer.from_crs(4326, rasters.grid.crs, always_xy=True)
    x, y = to_grid.transform(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    out = table.copy()
    out["predicted_dbm"] = np.nan
    out["server_site_id"] = None
    for key in rasters.signal:
        carrier, technology = key
        rows = ((out["carrier"] == carrier) & (out["technology"] == technology)).to_numpy()
        if rows.any():
            out.loc[rows, "predicted_dbm"] = rasters.sample(key, x[rows], y[rows])
            out.loc[rows, "server_site_id"] = rasters.serving_site(key, x[rows], y[rows])
    where = sites.drop_duplicates("site_id").set_index("site_id")
    known = out["server_site_id"].notna().to_numpy()
    ids = out.loc[known, "server_site_id"]
    out["dist_km"] = np.nan
    out.loc[known, "dist_km"] = distance_km(
        where.geometry.x.reindex(ids).to_numpy(), where.geometry.y.reindex(ids).to_numpy(),
        out.loc[known, "lon"].to_numpy(float), out.loc[known, "lat"].to_numpy(float),
    )  # fmt: skip
    out["error_db"] = out["rsrp_dbm"] - out["predicted_dbm"]
    return out


def land_cover_at(table: pd.DataFrame, terrain: object, clutter: object) -> np.ndarray:
    """Return the land-cover class under every measurement (``-1`` where there is none)."""
    from ..io.terrain import grid_index

    col, row = grid_index(terrain, table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    rows, cols = clutter.shape
    r = np.rint(row).astype(np.int64)
    c = np.rint(col).astype(np.int64)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    out = np.full(len(table), -1, dtype=np.int64)
    out[inside] = clutter.classes[r[inside], c[inside]]
    return out


def error_by_land_cover(table: pd.DataFrame, *, error: str = "error_after_db") -> pd.DataFrame:
    """Error per land-cover class (``land_cover`` column): n, mean, σ, RMSE.

    What is left after the offsets, class by class, shows whether the clutter heights of
    the ``[clutter]`` table fit the measurements (a class with a mean error far from 0 has
    the wrong height).
    """
    if "land_cover" not in table:
        return pd.DataFrame(columns=["land_cover", "n", "mean_db", "sigma_db", "rmse_db"])
    rows = []
    for cls, g in table.dropna(subset=[error]).groupby("land_cover", sort=True):
        e = g[error].to_numpy(float)
        rows.append({"land_cover": int(cls), "n": len(e), "mean_db": float(e.mean()),
                     "sigma_db": float(e.std(ddof=1)) if len(e) > 1 else np.nan,
                     "rmse_db": float(np.sqrt(np.mean(e**2)))})  # fmt: skip
    return pd.DataFrame(rows)


def _group_keys(table: pd.DataFrame) -> list[str]:
    return [c for c in GROUP if c in table]


def error_stats(table: pd.DataFrame, *, error: str = "error_db") -> pd.DataFrame:
    """Bias, spread and fit of the prediction per carrier × technology × band.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``bias_db`` (mean measured − predicted), ``sigma_db`` (standard deviation),
        ``rmse_db`` and ``corr`` (measured against predicted) per group; measurements
        with no prediction are counted in ``n_unpredicted``.
    """
    keys = _group_keys(table)
    rows = []
    for key, g in table.groupby(keys, dropna=False, sort=True):
        e = g[error].to_numpy(float)
        ok = ~np.isnan(e)
        m, p = g["rsrp_dbm"].to_numpy(float)[ok], g["predicted_dbm"].to_numpy(float)[ok]
        n = int(ok.sum())
        corr = float(np.corrcoef(m, p)[0, 1]) if n > 2 and m.std() > 0 and p.std() > 0 else np.nan
        rows.append(
            {
                **dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                "n": n,
                "n_unpredicted": int((~ok).sum()),
                "bias_db": float(e[ok].mean()) if n else np.nan,
                "sigma_db": float(e[ok].std(ddof=1)) if n > 1 else np.nan,
                "rmse_db": float(np.sqrt(np.mean(e[ok] ** 2))) if n else np.nan,
                "corr": corr,
            }
        )
    return pd.DataFrame(rows)


def huber_location(values: np.ndarray, *, k: float = 1.345, iterations: int = 50) -> float:
    """Huber's M-estimate of location (scale from the MAD), robust to outliers.

    >>> round(huber_location(np.array([0.0, 1.0, 2.0, 3.0, 100.0])), 2)
    2.0
    """
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan")
    mu = float(np.median(x))
    scale = 1.4826 * float(np.median(np.abs(x - mu))) or float(np.std(x)) or 1.0
    for _ in range(iterations):
        r = (x - mu) / scale
        w = np.minimum(1.0, k / np.maximum(np.abs(r), 1e-12))
        new = float(np.sum(w * x) / np.sum(w))
        if abs(new - mu) < 1e-6:
            return new
        mu = new
    return mu


def blocks(lon: np.ndarray, lat: np.ndarray, *, block_km: float = 5.0) -> np.ndarray:
    """Spatial block of every position: squares of ``block_km`` in UTM 48N (EPSG:32648)."""
    x, y = Transformer.from_crs(4326, 32648, always_xy=True).transform(lon, lat)
    size = block_km * 1000.0
    bx = np.floor(np.asarray(x) / size).astype(np.int64)
    by = np.floor(np.asarray(y) / size).astype(np.int64)
    return bx * 1_000_003 + by


def fit_offsets(
    table: pd.DataFrame,
    *,
    block_km: float = 5.0,
    min_points: int = MIN_POINTS,
    min_blocks: int = MIN_BLOCKS,
) -> pd.DataFrame:
    """Fit a robust offset per group, validated by spatial block cross-validation.

    Parameters
    ----------
    table
        :func:`predict_measurements` output (``lon``, ``lat``, ``error_db`` and the group
        columns).
    block_km
        Side of the square blocks of the cross-validation.
    min_points, min_blocks
        A group with fewer measurements, or fewer blocks, is not fitted.

    Returns
    -------
    pandas.DataFrame
        Per group: ``n``, ``blocks``, ``bias_db``, ``offset_db`` (the correction to add to
        the prediction; 0 when not fitted), ``sigma_db`` (standard deviation of the
        residual after the offset), ``rmse_before_db`` and ``rmse_after_db`` (held-out:
        each block corrected by the offset fitted without it), ``slope_db_per_decade``
        and its ``slope_se_db`` (error against log10 distance, a diagnostic), ``fitted``
        and ``note`` (why a group was not fitted).
    """
    keys = _group_keys(table)
    data = table[~table["error_db"].isna()].copy()
    data["_block"] = blocks(data["lon"].to_numpy(), data["lat"].to_numpy(), block_km=block_km)
    rows = []
    for key, g in data.groupby(keys, dropna=False, sort=True):
        e = g["error_db"].to_numpy(float)
        b = g["_block"].to_numpy()
        n, nb = len(e), len(np.unique(b))
        row = {**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))}
        row |= {"n": n, "blocks": nb, "bias_db": float(e.mean()) if n else np.nan}
        row["rmse_before_db"] = float(np.sqrt(np.mean(e**2))) if n else np.nan
        fitted = n >= min_points and nb >= min_blocks
        slope = _slope(g)
        # a distance slope only where the data support it: many measurements over at least
        # half a decade of distance, and a slope of at least 3 standard errors
        x = np.log10(np.maximum(g["dist_km"].to_numpy(float), 0.01)) if "dist_km" in g else None
        use_slope = (
            fitted
            and x is not None
            and n >= MIN_SLOPE_POINTS
            and np.ptp(x) >= 0.5
            and abs(slope["slope_db_per_decade"]) >= 3 * slope["slope_se_db"]
        )
        if fitted:
            trend = slope["slope_db_per_decade"] * x if use_slope else 0.0
            r = e - trend
            offset = huber_location(r)
            held = r - _held_out_offsets(r, b, offset)
            row |= {
                "offset_db": offset,
                "sigma_db": float(np.std(r - offset, ddof=1)),
                "rmse_after_db": float(np.sqrt(np.mean(held**2))),
                "fitted": True,
                "note": ""
                if use_slope or x is None
                else "no distance slope: not supported by the data",
            }
        else:
            row |= {
                "offset_db": 0.0,
                "sigma_db": float(np.std(e, ddof=1)) if n > 1 else np.nan,
                "rmse_after_db": row["rmse_before_db"],
                "fitted": False,
                "note": f"not fitted: {n} measurements in {nb} blocks "
                f"(needs {min_points} in {min_blocks})",
            }
        row |= slope | {"slope_applied": bool(use_slope)}
        rows.append(row)
    return pd.DataFrame(rows)


def residual_after(table: pd.DataFrame, fit: pd.DataFrame) -> np.ndarray:
    """Each measurement's error after its group's offset (and distance slope, if applied)."""
    keys = _group_keys(table)
    fitted = fit.set_index(keys)
    out = np.full(len(table), np.nan)
    for i, key in enumerate(zip(*(table[k] for k in keys), strict=True)):
        key = key if len(keys) > 1 else key[0]
        if key not in fitted.index or np.isnan(table["error_db"].iat[i]):
            continue
        row = fitted.loc[key]
        trend = 0.0
        if bool(row["slope_applied"]):
            trend = row["slope_db_per_decade"] * np.log10(max(float(table["dist_km"].iat[i]), 0.01))
        out[i] = table["error_db"].iat[i] - row["offset_db"] - trend
    return out


def fit_land_cover(
    table: pd.DataFrame,
    residual: np.ndarray,
    *,
    block_km: float = 5.0,
    min_points: int = MIN_LAND_COVER_POINTS,
    min_blocks: int = MIN_BLOCKS,
) -> pd.DataFrame:
    """Fit a robust correction per land-cover class on what the group offsets leave.

    Parameters
    ----------
    table
        Measurements with ``land_cover``, ``lon`` and ``lat``.
    residual
        :func:`residual_after` of the same rows.
    block_km, min_points, min_blocks
        As for :func:`fit_offsets`; a class with fewer measurements or blocks gets none.

    Returns
    -------
    pandas.DataFrame
        Per class: ``n``, ``blocks``, ``mean_db``, ``correction_db`` (0 when not fitted),
        ``rmse_before_db``, ``rmse_after_db`` (held-out blocks), ``fitted``, ``note``. A
        correction is kept only when the held-out blocks confirm it (their RMSE falls by
        more than 0.05 dB): spatially correlated shadowing alone must not pass for clutter.
    """
    if "land_cover" not in table:
        return pd.DataFrame(columns=["land_cover", "n", "correction_db", "fitted"])
    ok = ~np.isnan(residual)
    lon, lat = table["lon"].to_numpy()[ok], table["lat"].to_numpy()[ok]
    data = pd.DataFrame(
        {"land_cover": table["land_cover"].to_numpy()[ok], "r": residual[ok],
         "block": blocks(lon, lat, block_km=block_km)}
    )  # fmt: skip
    rows = []
    for cls, g in data.groupby("land_cover", sort=True):
        r, b = g["r"].to_numpy(), g["block"].to_numpy()
        n, nb = len(r), len(np.unique(b))
        row = {"land_cover": int(cls), "n": n, "blocks": nb, "mean_db": float(r.mean()),
               "rmse_before_db": float(np.sqrt(np.mean(r**2)))}  # fmt: skip
        held_rmse = np.nan
        if cls >= 0 and n >= min_points and nb >= min_blocks:
            correction = huber_location(r)
            held = r - _held_out_offsets(r, b, correction)
            held_rmse = float(np.sqrt(np.mean(held**2)))
        if held_rmse < row["rmse_before_db"] - 0.05:
            row |= {"correction_db": correction, "rmse_after_db": held_rmse, "fitted": True,
                    "note": ""}  # fmt: skip
        elif not np.isnan(held_rmse):  # the held-out blocks do not confirm it: noise, not clutter
            row |= {"correction_db": 0.0, "rmse_after_db": row["rmse_before_db"], "fitted": False,
                    "note": f"not fitted: held-out RMSE {held_rmse:.2f} dB does not improve on "
                    f"{row['rmse_before_db']:.2f} dB"}  # fmt: skip
        else:
            row |= {"correction_db": 0.0, "rmse_after_db": row["rmse_before_db"], "fitted": False,
                    "note": f"not fitted: {n} measurements in {nb} blocks "
                    f"(needs {min_points} in {min_blocks})"}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def _held_out_offsets(e: np.ndarray, b: np.ndarray, mu: float, k: float = 1.345) -> np.ndarray:
    r"""Huber offset fitted without each measurement's block, for every measurement.

    One Newton step from the estimate on all the data, :math:`\hat\mu`: leaving block
    :math:`B` out, :math:`\hat\mu_{-B} = \hat\mu + s \sum_{i \notin B} \psi(r_i) /
    \sum_{i \notin B} \psi'(r_i)` with :math:`r_i = (e_i - \hat\mu) / s`; since
    :math:`\sum_i \psi(r_i) = 0` this only needs each block's own sums, so all blocks
    cost one pass (the exact refit per block cost minutes for a million measurements; the
    step agrees with it to a few hundredths of a dB, ``tests/test_calibration.py``).
    """
    scale = 1.4826 * float(np.median(np.abs(e - mu))) or float(np.std(e)) or 1.0
    r = (e - mu) / scale
    psi = np.clip(r, -k, k)
    dpsi = (np.abs(r) <= k).astype(float)
    codes, inverse = np.unique(b, return_inverse=True)
    psi_b = np.bincount(inverse, weights=psi, minlength=len(codes))
    dpsi_b = np.bincount(inverse, weights=dpsi, minlength=len(codes))
    rest = np.maximum(dpsi.sum() - dpsi_b, 1.0)
    return (mu - scale * psi_b / rest)[inverse]


def _slope(g: pd.DataFrame) -> dict[str, float]:
    """Least-squares slope of the error against log10 distance, with its standard error."""
    if "dist_km" not in g or len(g) < 10:
        return {"slope_db_per_decade": np.nan, "slope_se_db": np.nan}
    x = np.log10(np.maximum(g["dist_km"].to_numpy(float), 0.01))
    y = g["error_db"].to_numpy(float)
    if np.ptp(x) < 0.3:  # less than half a decade of distances: no slope to speak of
        return {"slope_db_per_decade": np.nan, "slope_se_db": np.nan}
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    se = float(np.sqrt(np.sum(resid**2) / (len(x) - 2) / np.sum((x - x.mean()) ** 2)))
    return {"slope_db_per_decade": float(slope), "slope_se_db": se}


def calibration_of(
    fit: pd.DataFrame, *, source: str = "", land_cover: pd.DataFrame | None = None
) -> Calibration:
    r"""Turn fitted offsets into a :class:`~covgap.config.Calibration` (fitted groups only).

    Offsets are keyed ``"<carrier> <technology> <band MHz>"`` (band ``any`` when the
    measurements had none); :math:`\sigma` is the measurement-weighted residual spread.
    """
    fitted = fit[fit["fitted"]]
    offsets, slopes = {}, {}
    for row in fitted.itertuples(index=False):
        band = getattr(row, "freq_mhz", np.nan)
        band_key = "any" if band is None or pd.isna(band) else f"{float(band):g}"
        key = f"{row.carrier} {row.technology} {band_key}"
        offsets[key] = round(float(row.offset_db), 2)
        if bool(getattr(row, "slope_applied", False)):
            slopes[key] = round(float(row.slope_db_per_decade), 2)
    sigma = None
    if len(fitted):
        w = fitted["n"].to_numpy(float)
        sigma = round(float(np.sqrt(np.sum(w * fitted["sigma_db"] ** 2) / np.sum(w))), 2)
    classes = {}
    if land_cover is not None and len(land_cover):
        for row in land_cover[land_cover["fitted"]].itertuples(index=False):
            classes[str(int(row.land_cover))] = round(float(row.correction_db), 2)
    return Calibration(
        offsets=offsets, sigma_db=sigma, source=source, slopes=slopes, land_cover_db=classes
    )


def apply_calibration(
    servers: pd.DataFrame, calibration: Calibration | None, *, land_cover: Any = None
) -> pd.DataFrame:
    """Add the calibrated corrections to every predicted signal.

    Each row gets its carrier, technology and band's offset (a band-specific offset wins
    over the group's ``any`` band offset), its distance slope times ``log10(dist_km)``
    where one was fitted, and the correction of the land-cover class at its point.

    Parameters
    ----------
    servers
        Rows with ``carrier``, ``technology``, ``signal_dbm`` and, for the slope and the
        land cover, ``freq_mhz``, ``dist_km`` and ``point_id``.
    calibration
        The corrections (``None`` or empty: ``servers`` unchanged).
    land_cover
        Land-cover class per row (array) or per ``point_id`` (Series), for
        ``calibration.land_cover_db``.
    """
    if (
        calibration is None
        or servers.empty
        or not (calibration.offsets or calibration.slopes or calibration.land_cover_db)
    ):
        return servers
    out = servers.copy()
    band = out["freq_mhz"] if "freq_mhz" in out else pd.Series(np.nan, index=out.index)
    exact = [
        calibration.offsets.get(f"{c} {t} {float(f):g}") if pd.notna(f) else None
        for c, t, f in zip(out["carrier"], out["technology"], band, strict=True)
    ]
    generic = [
        calibration.offsets.get(f"{c} {t} any")
        for c, t in zip(out["carrier"], out["technology"], strict=True)
    ]
    offset = np.array(
        [e if e is not None else (g or 0.0) for e, g in zip(exact, generic, strict=True)]
    )
    if calibration.slopes and "dist_km" in out:
        keys = [
            f"{c} {t} {float(f):g}" if pd.notna(f) else f"{c} {t} any"
            for c, t, f in zip(out["carrier"], out["technology"], band, strict=True)
        ]
        slope = np.array([calibration.slopes.get(k, 0.0) for k in keys])
        offset = offset + slope * np.log10(np.maximum(out["dist_km"].to_numpy(float), 0.01))
    if calibration.land_cover_db and land_cover is not None:
        if isinstance(land_cover, pd.Series):
            land_cover = out["point_id"].map(land_cover).to_numpy()
        corrections = {int(k): v for k, v in calibration.land_cover_db.items()}
        offset = offset + np.array(
            [corrections.get(int(c), 0.0) if pd.notna(c) else 0.0 for c in land_cover]
        )
    out["signal_dbm"] = out["signal_dbm"].to_numpy(float) + offset
    return out


def calibrate_rasters(
    rasters: Any,
    calibration: Calibration | None,
    *,
    thresholds: Thresholds | None = None,
    radio: Radio | None = None,
    clutter: Any = None,
) -> Any:
    """Apply a calibration to the area engine's best-server rasters.

    Each carrier × technology layer gets its offset (the mean of its bands' offsets when
    the calibration has several bands: a composite mixes them), and with a land cover on
    the same grid every cell its class's correction; the "any carrier" layers and the
    classes are then rebuilt. Distance slopes are not applied to rasters (a cell's
    distance to its server is not kept): the point analysis applies them.

    Parameters
    ----------
    rasters
        :class:`covgap.radio.rasters.AreaRasters`.
    calibration
        The corrections (``None`` or empty: ``rasters`` unchanged).
    thresholds, radio
        For the classes (``radio`` with the calibrated σ, :func:`calibrated_radio`).
    clutter
        The land cover on the DEM grid, for ``calibration.land_cover_db``.
    """
    from ..radio.rasters import ANY_CARRIER, recombine

    if (
        rasters is None
        or calibration is None
        or not (calibration.offsets or calibration.land_cover_db)
    ):
        return rasters
    cell_db = 0.0
    if calibration.land_cover_db and clutter is not None and clutter.shape == rasters.grid.shape:
        lookup = {int(k): v for k, v in calibration.land_cover_db.items()}
        codes = np.unique(clutter.classes)
        table = {int(c): lookup.get(int(c), 0.0) for c in codes}
        cell_db = np.vectorize(table.get, otypes=[np.float32])(clutter.classes)
    signal = {}
    for (carrier, tech), values in rasters.signal.items():
        if carrier == ANY_CARRIER:
            continue
        offsets = [v for k, v in calibration.offsets.items() if k.split()[:2] == [carrier, tech]]
        offset = float(np.mean(offsets)) if offsets else 0.0
        signal[(carrier, tech)] = values + np.float32(offset) + cell_db
    return recombine(rasters, signal, thresholds=thresholds or Thresholds(), radio=radio or Radio())


def calibrated_radio(radio: Radio, calibration: Calibration | None) -> Radio:
    """``radio`` with the calibrated spread as its shadow-fading sigma (when one was fitted)."""
    if calibration is None or calibration.sigma_db is None:
        return radio
    return replace(radio, shadow_sigma_db=calibration.sigma_db)


def confusion(predicted: pd.Series, observed: pd.Series) -> tuple[pd.DataFrame, float, float]:
    r"""Confusion matrix of predicted against observed classes, agreement and Cohen's kappa.

    Returns
    -------
    tuple
        The 3 × 3 matrix (rows predicted, columns observed, in :data:`CLASSES` order),
        the share of agreement, and :math:`\kappa = (p_o - p_e) / (1 - p_e)`.
    """
    p = pd.Categorical(predicted, categories=CLASSES)
    o = pd.Categorical(observed, categories=CLASSES)
    matrix = pd.crosstab(p, o, dropna=False).reindex(index=CLASSES, columns=CLASSES, fill_value=0)
    matrix.index.name, matrix.columns.name = "predicted", "observed"
    total = matrix.to_numpy().sum()
    if total == 0:
        raise InputError("confusion: no village is both predicted and surveyed")
    agree = np.trace(matrix.to_numpy()) / total
    rows, cols = matrix.sum(axis=1).to_numpy(), matrix.sum(axis=0).to_numpy()
    expected = float((rows * cols).sum()) / total**2
    kappa = (agree - expected) / (1 - expected) if expected < 1 else 1.0
    return matrix, float(agree), float(kappa)


def field_check(
    villages: pd.DataFrame,
    *,
    sigma_db: float,
    thresholds: Thresholds | None = None,
    radio: Radio | None = None,
) -> pd.DataFrame:
    """Each village's probability of 4G coverage, and the villages to check in the field.

    Parameters
    ----------
    villages
        Classified villages (``rsrp_dbm``: best 4G at the centre, any carrier, and
        ``rsrp_<carrier>_dbm``; ``population`` ranks the list).
    sigma_db
        The calibrated spread of the prediction.
    thresholds, radio
        The class thresholds and the location margin (as the classification uses them).

    Returns
    -------
    pandas.DataFrame
        ``village_id``, ``p_covered`` (any carrier's best signal at or above the covered
        threshold), ``p_covered_<carrier>`` per carrier column present, ``class_low`` and
        ``class_high`` (the class at −1σ and +1σ), and ``field_check`` (they differ); sorted
        with the villages to check first, most people first.
    """
    if not sigma_db or sigma_db <= 0:
        raise InputError(f"field check: sigma_db = {sigma_db} must be > 0")
    t, r = thresholds or Thresholds(), radio or Radio()
    margin = r.location_margin_db
    covered, low = t.covered_dbm + margin, t.low_signal_dbm + margin

    def cls(x: np.ndarray) -> np.ndarray:
        out = np.full(x.shape, WHITE, dtype=object)
        out[x >= low] = LOW_SIGNAL
        out[x >= covered] = COVERED
        return out

    rsrp = villages["rsrp_dbm"].to_numpy(float)
    out = pd.DataFrame({"village_id": villages["village_id"].to_numpy()})
    for col in ("name", "commune", "district", "population", "coverage_class"):
        if col in villages:
            out[col] = villages[col].to_numpy()
    out["rsrp_dbm"] = rsrp
    out["p_covered"] = _probability(rsrp, covered, sigma_db)
    carriers = [c for c in villages.columns if c.startswith("rsrp_") and c.endswith("_dbm")]
    for col in [c for c in carriers if c != "rsrp_dbm"]:
        out["p_covered_" + col[5:-4]] = _probability(
            villages[col].to_numpy(float), covered, sigma_db
        )
    filled = np.nan_to_num(rsrp, nan=-999.0)
    out["class_low"], out["class_high"] = cls(filled - sigma_db), cls(filled + sigma_db)
    out["field_check"] = out["class_low"] != out["class_high"]
    people = pd.to_numeric(out.get("population"), errors="coerce")
    out["_people"] = people.fillna(0.0) if people is not None else 0.0
    out = out.sort_values(["field_check", "_people", "village_id"], ascending=[False, False, True])
    return out.drop(columns="_people").reset_index(drop=True)


def _probability(rsrp: np.ndarray, threshold: float, sigma_db: float) -> np.ndarray:
    """P(signal >= threshold) for a normal error of ``sigma_db`` (0 where no server)."""
    z = (np.asarray(rsrp, float) - threshold) / sigma_db
    cdf = np.array([_NORMAL.cdf(v) for v in np.nan_to_num(z)])
    return np.where(np.isnan(z), 0.0, cdf)
