"""A synthetic drive test and field survey of the sample, made from a documented "truth".

Calibration (:mod:`covgap.analysis.calibration`) needs measurements to learn from. These
are made by taking covgap's own 4G prediction along the sample's roads and at its villages
and adding what covgap does not know, the :data:`TRUTH`:

- a **bias per carrier** (Viettel +2.0 dB, VNPT −4.0 dB, MobiFone −1.5 dB): what a
  calibration must recover;
- **spatially correlated shadowing** (σ 5 dB, correlation length about 1 km: a Gaussian
  random field, the same for every carrier, as a ridge or a forest would be);
- **measurement noise** (σ 2.5 dB, independent per sample);
- the receiver's floor: a phone reports nothing below −140 dBm.

The drive test (``drive_test.csv``) has the headers of a drive-test tool (``Timestamp``,
``Latitude``, ``Longitude``, ``Operator``, ``NetworkTech``, ``EARFCN``, ``PCI``, ``RSRP``);
the survey (``field_survey.xlsx``) is what a Department's teams write: ``Mã thôn``,
``Tên thôn``, ``Xã``, ``Tình trạng sóng`` (có sóng / sóng yếu / không có sóng, for the best
carrier) and ``Ngày khảo sát``. Both are byte-reproducible from the seed.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from ..io.landcover import clutter_grid
from ..io.readers import read_dem, read_sites, read_villages
from ..radio.point import best_servers
from ..schema import COVERED, LOW_SIGNAL, WHITE
from .generate import sample_scenario
from .writers import FIXED_DATE, _fixed_zip

__all__ = ["MEASUREMENT_FILES", "TRUTH", "generate_measurements"]

#: What the synthetic measurements add to covgap's prediction (see the module docstring).
TRUTH: dict[str, object] = {
    "bias_db": {"Viettel": 2.0, "VNPT": -4.0, "MobiFone": -1.5},
    "shadow_sigma_db": 5.0,
    "shadow_corr_km": 1.0,
    "noise_db": 2.5,
    "floor_dbm": -140.0,
}
#: Files :func:`generate_measurements` writes.
MEASUREMENT_FILES = {"drive_test": "drive_test.csv", "survey": "field_survey.xlsx"}
_OPERATOR = {"Viettel": "Viettel", "VNPT": "Vinaphone", "MobiFone": "Mobifone"}
_EARFCN = {1800: 1650, 2600: 3100, 900: 3600, 2100: 300, 700: 9460}
_STATUS_VI = {COVERED: "có sóng", LOW_SIGNAL: "sóng yếu", WHITE: "không có sóng"}


def _shadow_field(bounds: tuple[float, float, float, float], rng: np.random.Generator):
    """Make a smooth Gaussian random field (dB) over ``bounds``; return its sampler."""
    west, south, east, north = bounds
    cell_deg = 0.0025  # ~270 m
    shape = (int((north - south) / cell_deg) + 3, int((east - west) / cell_deg) + 3)
    sigma_cells = float(TRUTH["shadow_corr_km"]) / 0.27 / 2.0
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_cells, mode="wrap")
    field *= float(TRUTH["shadow_sigma_db"]) / field.std()

    def sample(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        rows = (np.asarray(lat) - south) / cell_deg
        cols = (np.asarray(lon) - west) / cell_deg
        return ndimage.map_coordinates(field, [rows, cols], order=1, mode="nearest")

    return sample


def _road_points(roads: gpd.GeoDataFrame, spacing_m: float, limit: int, rng) -> pd.DataFrame:
    """Points every ``spacing_m`` along the roads (a random ``limit`` of them, in road order)."""
    metric = roads.to_crs(roads.estimate_utm_crs())
    pts = []
    for line in metric.geometry:
        if line is None or line.is_empty:
            continue
        distances = np.arange(spacing_m / 2, line.length, spacing_m)
        pts.extend(shapely.line_interpolate_point(line, distances))
    lonlat = gpd.GeoSeries(pts, crs=metric.crs).to_crs(4326)
    if len(lonlat) > limit:
        keep = np.sort(rng.choice(len(lonlat), size=limit, replace=False))
        lonlat = lonlat.iloc[keep]
    return pd.DataFrame({"lon": lonlat.x.to_numpy(), "lat": lonlat.y.to_numpy()})


def generate_measurements(
    out_dir: str | Path | None = None,
    *,
    seed: int = 20251015,
    spacing_m: float = 300.0,
    max_points: int = 3000,
    survey_villages: int = 150,
) -> dict[str, object]:
    """Make the synthetic drive test and field survey of the bundled sample.

    Parameters
    ----------
    out_dir
        Folder to write :data:`MEASUREMENT_FILES` into; ``None`` writes nothing.
    seed
        Seed of the shadowing, the noise and the choices.
    spacing_m, max_points
        Drive-test positions every ``spacing_m`` along the roads, at most ``max_points``.
    survey_villages
        Villages in the field survey.

    Returns
    -------
    dict
        ``"drive_test"`` and ``"survey"`` (the tables as written) and, when written,
        their paths under ``"paths"``.
    """
    rng = np.random.default_rng(seed)
    scenario = sample_scenario()
    sites = read_sites(scenario.sites)
    villages = read_villages(scenario.villages)
    terrain = read_dem(list(scenario.dem))
    radio = scenario.radio
    # the analysis' own model: the sample's land cover too, so calibration finds the truth
    clutter = (
        clutter_grid(scenario.land_cover, terrain, scenario.clutter)
        if scenario.land_cover is not None
        else None
    )
    shadow = _shadow_field(tuple(terrain.bounds), rng)
    bias = TRUTH["bias_db"]

    route = _road_points(gpd.read_file(scenario.roads), spacing_m, max_points, rng)
    route["point_id"] = np.arange(len(route))
    servers = best_servers(route, sites, terrain, radio=radio, model=radio.model, clutter=clutter)
    servers = servers[servers["technology"] == "4G"].merge(route, on="point_id")
    lon, lat = servers["lon"].to_numpy(), servers["lat"].to_numpy()
    truth = (
        servers["signal_dbm"].to_numpy()
        + servers["carrier"].map(bias).to_numpy(float)
        + shadow(lon, lat)
        + rng.normal(0.0, float(TRUTH["noise_db"]), len(servers))
    )
    keep = truth >= float(TRUTH["floor_dbm"])
    servers, truth = servers[keep], truth[keep]
    start = pd.Timestamp("2025-10-15 08:00:00")
    drive = pd.DataFrame(
        {
            "Timestamp": (
                start + pd.to_timedelta(servers["point_id"].to_numpy() * 12, unit="s")
            ).strftime("%Y-%m-%d %H:%M:%S"),
            "Latitude": servers["lat"].round(6).to_numpy(),
            "Longitude": servers["lon"].round(6).to_numpy(),
            "Operator": servers["carrier"].map(_OPERATOR).to_numpy(),
            "NetworkTech": "LTE",
            "EARFCN": servers["freq_mhz"].map(_EARFCN).to_numpy(),
            # a stable stand-in for the cell's physical id
            "PCI": [
                zlib.crc32(s.encode()) % 504
                for s in servers["site_id"] + "/" + servers["sector_id"]
            ],
            "RSRP": np.round(truth, 1),
        }
    ).sort_values(["Timestamp", "Operator"], kind="stable", ignore_index=True)

    centres = pd.DataFrame({"lon": villages.geometry.x, "lat": villages.geometry.y})
    centres["point_id"] = np.arange(len(centres))
    at_village = best_servers(
        centres, sites, terrain, radio=radio, model=radio.model, clutter=clutter
    )
    at_village = at_village[at_village["technology"] == "4G"]
    true_v = (
        at_village["signal_dbm"].to_numpy()
        + at_village["carrier"].map(bias).to_numpy(float)
        + shadow(
            centres["lon"].to_numpy()[at_village["point_id"].to_numpy()],
            centres["lat"].to_numpy()[at_village["point_id"].to_numpy()],
        )
    )
    best = pd.Series(true_v).groupby(at_village["point_id"].to_numpy()).max()
    signal = np.full(len(centres), -999.0)
    signal[best.index.to_numpy()] = best.to_numpy()
    t = scenario.thresholds
    status = np.where(
        signal >= t.covered_dbm, COVERED, np.where(signal >= t.low_signal_dbm, LOW_SIGNAL, WHITE)
    )
    # the teams visit the villages the model flags, and some it calls covered
    model_best = at_village.groupby("point_id")["signal_dbm"].max()
    model = np.full(len(centres), -999.0)
    model[model_best.index.to_numpy()] = model_best.to_numpy()
    flagged = np.flatnonzero(model < t.covered_dbm)
    others = np.setdiff1d(np.arange(len(centres)), flagged)
    n_flagged = min(len(flagged), survey_villages // 2)
    chosen = np.sort(
        np.concatenate(
            [
                rng.choice(flagged, size=n_flagged, replace=False),
                rng.choice(
                    others, size=min(len(others), survey_villages - n_flagged), replace=False
                ),
            ]
        )
    )
    survey = pd.DataFrame(
        {
            "Mã thôn": villages["village_id"].to_numpy()[chosen],
            "Tên thôn": villages["name"].to_numpy()[chosen],
            "Xã": villages["commune"].to_numpy()[chosen],
            "Tình trạng sóng": [_STATUS_VI[s] for s in status[chosen]],
            "Ngày khảo sát": "15/10/2025",
        }
    )
    out: dict[str, object] = {"drive_test": drive, "survey": survey}
    if out_dir is not None:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {k: folder / name for k, name in MEASUREMENT_FILES.items()}
        paths["drive_test"].write_text(
            drive.to_csv(index=False, lineterminator="\n"), encoding="utf-8"
        )
        paths["survey"].write_bytes(_survey_xlsx(survey))
        out["paths"] = paths
    return out


def _survey_xlsx(survey: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Khảo sát"
    ws.append(list(survey.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in survey.itertuples(index=False):
        ws.append(list(row))
    wb.properties.creator = "covgap"
    wb.properties.title = "Khảo sát sóng di động tại thôn (dữ liệu tổng hợp / synthetic)"
    wb.properties.created = wb.properties.modified = FIXED_DATE
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue())
