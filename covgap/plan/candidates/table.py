"""Candidate tables and the helpers every candidate source shares (internal).

The public names are re-exported by :mod:`covgap.plan.candidates`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points as shapely_points

from ...errors import InputError
from ...io.terrain import Terrain, sample_heights

#: Columns of every candidate table, in order (besides them: nothing).
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "kind",
    "site_id",
    "carrier",
    "lon",
    "lat",
    "ground_m",
    "height_m",
    "road_km",
    "power_km",
    "n_visible",
    "visible_weight",
    "site_usd",
    "azimuths_deg",
    "note",
    "geometry",
)
#: Values of the ``kind`` column.
KINDS: tuple[str, ...] = ("new_site", "user", "add_4g", "add_sector")
#: Distance to a road (km) at which the access factor of the score halves.
ROAD_SCALE_KM = 2.0
#: Distance to a village with grid power (km) at which the access factor halves.
POWER_SCALE_KM = 5.0
#: Sector azimuths of a new 3-sector site before it is turned towards its villages.
THREE_SECTORS_DEG = (0.0, 120.0, 240.0)
#: Window (m) within which a DEM cell must be the highest to count as a high point.
PEAK_WINDOW_M = 250.0


# --------------------------------------------------------------------------- targets
def _targets(targets: pd.DataFrame, terrain: Terrain) -> dict[str, np.ndarray]:
    """Ids, positions, weights and ground heights of the target points, and their villages.

    A village may come with several points (its centre and population clusters, each
    carrying the village's weight): ``village`` numbers the village of every point, and
    ``v_id``, ``v_lon``, ``v_lat``, ``v_weight`` describe each village once (by its first
    point), so that a village is counted, and weighted, once however many of its points
    a mast sees.
    """
    missing = [c for c in ("village_id",) if c not in targets.columns]
    if missing:
        raise InputError("targets need a village_id column (and lon/lat or a point geometry)")
    if "lon" in targets.columns and "lat" in targets.columns:
        lon, lat = targets["lon"].to_numpy(float), targets["lat"].to_numpy(float)
    elif "geometry" in targets.columns:
        lon, lat = targets.geometry.x.to_numpy(float), targets.geometry.y.to_numpy(float)
    else:
        raise InputError("targets need lon/lat columns or a point geometry")
    ids = targets["village_id"].astype(str).to_numpy()
    weight = targets["weight"].to_numpy(float) if "weight" in targets.columns else None
    weight = np.ones(len(ids)) if weight is None else weight
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        raise InputError(
            f"targets: weight must be a number >= 0; not for {', '.join(ids[bad][:10])}"
        )
    ground = sample_heights(terrain, lon, lat)
    off = np.isnan(ground)
    if off.any():
        raise InputError(
            f"{int(off.sum())} target(s) outside the DEM or over nodata: "
            f"{', '.join(ids[off][:10])}; extend the DEM or drop them"
        )
    village, v_id = pd.factorize(pd.Series(ids), sort=False)
    first = np.unique(village, return_index=True)[1]
    return {
        "id": ids,
        "lon": lon,
        "lat": lat,
        "weight": weight,
        "ground": ground,
        "village": village.astype(np.int64),
        "v_id": np.asarray(v_id, dtype=str),
        "v_lon": lon[first],
        "v_lat": lat[first],
        "v_weight": weight[first],
    }


def _site_positions(sites: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    if sites is None or len(sites) == 0:
        return np.empty(0), np.empty(0)
    if "lon" in sites.columns and "lat" in sites.columns:
        lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    else:
        lon, lat = sites.geometry.x.to_numpy(float), sites.geometry.y.to_numpy(float)
    xy = np.unique(np.column_stack([lon, lat]), axis=0)
    return xy[:, 0], xy[:, 1]


def _road_km(lon: np.ndarray, lat: np.ndarray, roads: gpd.GeoDataFrame | None) -> np.ndarray:
    if roads is None or len(roads) == 0 or len(lon) == 0:
        return np.full(len(lon), np.nan)
    from ..roads import snap_to_roads

    return snap_to_roads(pd.DataFrame({"lon": lon, "lat": lat}), roads)["dist_km"].to_numpy()


def _access(road_km: np.ndarray, power_km: np.ndarray) -> np.ndarray:
    """Access factor of the score: 1 at a road and at grid power (or when unknown)."""
    road = 1.0 / (1.0 + np.nan_to_num(road_km, nan=0.0) / ROAD_SCALE_KM)
    power = 1.0 / (1.0 + np.nan_to_num(power_km, nan=0.0) / POWER_SCALE_KM)
    return road * power


def _turned_sectors(bearings: np.ndarray, weights: np.ndarray) -> str:
    """Three sectors 120° apart, turned so that they point at the villages.

    The turn is the weighted circular mean of three times the bearings (divided by
    three): the rotation of a 3-sector pattern that best centres the villages in their
    sectors. Without villages the sectors are at 0, 120 and 240°.
    """
    if len(bearings) == 0 or weights.sum() <= 0:
        turn = 0.0
    else:
        b = np.radians(3.0 * bearings)
        turn = np.degrees(np.arctan2((weights * np.sin(b)).sum(), (weights * np.cos(b)).sum()))
        turn = (turn / 3.0) % 120.0
    return _azimuth_text([(round(turn) + a) % 360 for a in THREE_SECTORS_DEG])


def _azimuth_text(azimuths) -> str:
    return ";".join(f"{float(a):g}" for a in azimuths)


def _parse_azimuths(text: object) -> list[float]:
    """Azimuths of an ``azimuths_deg`` cell; an empty list means one omni antenna."""
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return []
    parts = str(text).replace(",", ";").replace(" ", ";").replace("/", ";").split(";")
    return [float(p) for p in parts if p.strip() and p.strip().lower() != "omni"]


def _frame(data: dict[str, object], n: int) -> gpd.GeoDataFrame:
    """Assemble a candidate table with the columns and dtypes of :data:`CANDIDATE_COLUMNS`."""
    cols = {name: data.get(name, np.nan) for name in CANDIDATE_COLUMNS[:-1]}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(n))  # scalars are broadcast
    for name in ("candidate_id", "kind", "site_id", "azimuths_deg", "note"):
        frame[name] = frame[name].astype("str")
    frame["carrier"] = frame["carrier"].astype("string")
    for name in ("lon", "lat", "ground_m", "height_m", "road_km", "power_km"):
        frame[name] = frame[name].astype("float64")
    for name in ("visible_weight", "site_usd"):
        frame[name] = frame[name].astype("float64")
    frame["n_visible"] = frame["n_visible"].astype("Int64")
    geometry = shapely_points(frame["lon"].to_numpy(), frame["lat"].to_numpy()) if n else []
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs="EPSG:4326")


def _note(ground: float, n: int, road: float, power: float, *, lead: str = "high point") -> str:
    text = f"{lead} {ground:,.0f} m, sees {n} uncovered village{'s' if n != 1 else ''}"
    if np.isfinite(road):
        text += f", {road:.1f} km from a road"
    if np.isfinite(power):
        text += f", {power:.1f} km from grid power"
    return text
