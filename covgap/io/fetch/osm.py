"""OpenStreetMap layers from the Overpass API: roads, power lines and substations, places.

Why Overpass and not an extract reader (osmium, pyrosm, osmnx): a province is a few
thousand features, one query per layer is small, needs no 100+ MB regional ``.osm.pbf``
and no compiled dependency; the answer (JSON with ``out geom``) is parsed here with the
standard library and shapely. Each answer is cached like any download.

* **roads**: ``highway`` ways (classes :func:`covgap.plan.roads.read_roads` maps to
  national/provincial/commune/track), with ``name``, ``ref`` and ``surface``.
* **power**: ``power=line|minor_line|cable`` ways (``voltage``) and ``power=substation``
  (nodes and the centres of ways), for the grid-power estimate of villages.
* **places**: ``place=village|hamlet|isolated_dwelling`` nodes, a **draft** village layer
  to check against the province's official list.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...errors import DataFileError

__all__ = [
    "HIGHWAYS",
    "PLACES",
    "overpass_query",
    "parse_overpass",
    "places_table",
    "power_layers",
    "roads_layer",
]

logger = logging.getLogger(__name__)

#: ``highway`` values fetched as roads (motor roads and the tracks villages hang on).
HIGHWAYS = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "track",
    "path",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
)
#: ``power`` values of ways taken as power lines.
POWER_LINES = ("line", "minor_line", "cable")
#: ``place`` values taken as (draft) villages.
PLACES = ("village", "hamlet", "isolated_dwelling")
#: A village this close (km) to a mapped power line or substation is marked grid-powered.
POWER_NEAR_KM = 1.0
DRAFT_NOTE = (
    "DRAFT from OpenStreetMap place=village/hamlet/isolated_dwelling: check every row "
    "against the province's official list of villages (thôn/bản)"
)

_FILTERS = {
    "roads": [f'way["highway"~"^({"|".join(HIGHWAYS)})$"]'],
    "power": [f'way["power"~"^({"|".join(POWER_LINES)})$"]', 'nwr["power"="substation"]'],
    "places": [f'node["place"~"^({"|".join(PLACES)})$"]'],
}


def overpass_query(
    layer: str, bounds: tuple[float, float, float, float], *, timeout_s: int = 180
) -> str:
    """Overpass QL for one layer in ``bounds`` (W, S, E, N), answered as JSON with geometry.

    >>> print(overpass_query("places", (102.32, 21.69, 103.98, 22.81)))
    [out:json][timeout:180];
    (node["place"~"^(village|hamlet|isolated_dwelling)$"](21.69,102.32,22.81,103.98););
    out tags geom;
    """
    west, south, east, north = bounds
    bbox = f"({south:.6g},{west:.6g},{north:.6g},{east:.6g})"
    body = "".join(f"{f}{bbox};" for f in _FILTERS[layer])
    return f"[out:json][timeout:{timeout_s}];\n({body});\nout tags geom;"


def parse_overpass(path: Path) -> list[dict]:
    """Return the ``elements`` of an Overpass JSON answer; raise if Overpass reports an error."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: not an Overpass JSON answer ({exc})") from exc
    remark = str(doc.get("remark", ""))
    if "error" in remark.lower() or "runtime" in remark.lower():
        raise DataFileError(f"Overpass answered with an error: {remark}")
    return list(doc.get("elements", []))


def _line(element: dict) -> shapely.LineString | None:
    coords = [(p["lon"], p["lat"]) for p in element.get("geometry") or [] if p]
    return shapely.LineString(coords) if len(coords) >= 2 else None


def _bounds_centre(element: dict) -> shapely.Point | None:
    if "center" in element:
        return shapely.Point(element["center"]["lon"], element["center"]["lat"])
    b = element.get("bounds")
    if not b:
        return None
    return shapely.Point((b["minlon"] + b["maxlon"]) / 2, (b["minlat"] + b["maxlat"]) / 2)


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def roads_layer(elements: list[dict]) -> gpd.GeoDataFrame:
    """Road lines with ``osm_id``, ``highway``, ``name``, ``ref``, ``surface``."""
    rows, geoms = [], []
    for el in elements:
        tags = el.get("tags", {})
        line = _line(el) if el.get("type") == "way" else None
        if line is None or tags.get("highway") not in HIGHWAYS:
            continue
        rows.append(
            {
                "osm_id": f"way/{el['id']}",
                "highway": tags["highway"],
                "name": tags.get("name", ""),
                "ref": tags.get("ref", ""),
                "surface": tags.get("surface", ""),
            }
        )
        geoms.append(line)
    return _frame(rows, geoms)


def power_layers(elements: list[dict]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Power lines (``osm_id``, ``power``, ``voltage``) and substations (points)."""
    lines, line_geoms, subs, sub_geoms = [], [], [], []
    for el in elements:
        tags = el.get("tags", {})
        row = {
            "osm_id": f"{el.get('type')}/{el.get('id')}",
            "power": tags.get("power", ""),
            "voltage": tags.get("voltage", ""),
            "name": tags.get("name", ""),
        }
        if tags.get("power") == "substation":
            if el.get("type") == "node":
                point = shapely.Point(el["lon"], el["lat"])
            else:  # a way (its outline) or a relation (the centre of its bounds)
                geom = _line(el) or _bounds_centre(el)
                if geom is None:
                    continue
                point = geom.centroid
            subs.append(row)
            sub_geoms.append(point)
        elif (
            el.get("type") == "way"
            and tags.get("power") in POWER_LINES
            and (line := _line(el)) is not None
        ):
            lines.append(row)
            line_geoms.append(line)
    return _frame(lines, line_geoms), _frame(subs, sub_geoms)


def places_table(
    elements: list[dict],
    *,
    power: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
    near_km: float = POWER_NEAR_KM,
) -> pd.DataFrame:
    """Build the draft village table that :func:`covgap.io.read_villages` reads.

    Columns ``village_id`` (``osm-node-<id>``), ``name`` (Vietnamese name when tagged),
    ``lon``, ``lat``, ``place``, ``source`` (the draft note). With the power layers,
    ``grid_power`` is ``True`` for a village within ``near_km`` of a mapped power line or
    substation and left unknown otherwise (OSM's power network is incomplete: no line
    mapped is not evidence of no power); ``power_dist_km`` gives the distance.
    """
    rows = []
    for el in elements:
        tags = el.get("tags", {})
        if el.get("type") != "node" or tags.get("place") not in PLACES:
            continue
        name = tags.get("name:vi") or tags.get("name") or f"(unnamed {tags['place']})"
        rows.append(
            {
                "village_id": f"osm-node-{el['id']}",
                "name": name,
                "lon": float(el["lon"]),
                "lat": float(el["lat"]),
                "place": tags["place"],
                "source": DRAFT_NOTE,
            }
        )
    table = pd.DataFrame(rows, columns=["village_id", "name", "lon", "lat", "place", "source"])
    if power is not None and len(table):
        dist = _power_distance_km(table, power)
        table["power_dist_km"] = np.round(dist, 3)
        table["grid_power"] = pd.array(
            [True if d <= near_km else pd.NA for d in dist], dtype="boolean"
        )
        table["grid_power_source"] = (
            f"estimate: OSM power line or substation within {near_km:g} km, else unknown"
        )
    return table


def _power_distance_km(
    table: pd.DataFrame, power: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
) -> np.ndarray:
    geoms = [g for layer in power for g in layer.geometry if g is not None]
    if not geoms:
        return np.full(len(table), np.inf)
    lat0 = float(table["lat"].mean())
    utm = 32600 + int((float(table["lon"].mean()) + 180) // 6) + 1
    if lat0 < 0:
        utm += 100
    network = gpd.GeoSeries(geoms, crs=4326).to_crs(utm).union_all()
    points = gpd.GeoSeries(gpd.points_from_xy(table["lon"], table["lat"]), crs=4326).to_crs(utm)
    return points.distance(network).to_numpy() / 1000.0
