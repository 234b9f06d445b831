"""Read a road network, turn it into a routable graph, and snap points onto it.

Roads are lines (GeoPackage, GeoJSON, Shapefile or zipped Shapefile, any CRS) with an
optional class: a ``road_class`` column (``national``, ``provincial``, ``commune``,
``track``) or an OpenStreetMap-style ``highway`` tag mapped to one
(:data:`HIGHWAY_CLASSES`). Lengths are geodesic, on the WGS 84 ellipsoid.

>>> from covgap.plan.roads import read_roads, road_graph
>>> roads = read_roads("data/roads/laichau_synthetic_roads.gpkg")  # doctest: +SKIP
>>> graph = road_graph(roads)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..errors import DataFileError, Problem, ValidationError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["HIGHWAY_CLASSES", "ROAD_CLASSES", "read_roads", "road_graph", "snap_to_roads"]

logger = logging.getLogger(__name__)

#: Road classes, most important first.
ROAD_CLASSES = ("national", "provincial", "commune", "track")
#: OSM ``highway`` values and the road class each one maps to.
HIGHWAY_CLASSES: dict[str, str] = {
    **dict.fromkeys(("motorway", "trunk", "primary"), "national"),
    **dict.fromkeys(("motorway_link", "trunk_link", "primary_link"), "national"),
    **dict.fromkeys(("secondary", "secondary_link"), "provincial"),
    **dict.fromkeys(("tertiary", "tertiary_link", "unclassified", "residential"), "commune"),
    **dict.fromkeys(("track", "path"), "track"),
}
#: Distance (m) within which line ends and vertices are taken as the same graph node.
SNAP_TOLERANCE_M = 5.0
_LINES = ("LineString", "MultiLineString")
_CRS_HINT = "set the layer's CRS (e.g. ogr2ogr -a_srs EPSG:9205 out.gpkg in.gpkg)"
_GEOD = Geod(ellps="WGS84")


def read_roads(path: str | PathLike, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read road lines into a GeoDataFrame in EPSG:4326 with a class and a length.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile or zipped Shapefile of LineString or
        MultiLineString features.
    layer
        Layer of a multi-layer file; by default the first layer of lines.

    Returns
    -------
    geopandas.GeoDataFrame
        The input columns plus ``road_id`` (kept if present, else the feature number),
        ``road_class`` (one of :data:`ROAD_CLASSES`, from the ``road_class`` column or
        else the ``highway`` tag; missing when neither gives one) and ``length_km``
        (geodesic), one row per feature.

    Raises
    ------
    ValidationError
        Listing every problem: no features, features that are not lines, invalid
        geometries, projected coordinates without a CRS, unknown road classes.
    DataFileError
        The file is missing or cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    gdf = _read_layer(path, layer)
    problems = _check(gdf, str(path))
    for p in problems:
        if p.severity != "error":
            logger.warning("%s", p)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    gdf = (gdf.set_crs(4326) if gdf.crs is None else gdf.to_crs(4326)).reset_index(drop=True)
    if "road_id" not in gdf.columns:
        gdf.insert(0, "road_id", [str(i + 1) for i in range(len(gdf))])
    gdf["road_class"] = _classes(gdf)
    gdf["length_km"] = [_GEOD.geometry_length(g) / 1000.0 for g in gdf.geometry]
    logger.info("read %d roads (%.0f km) from %s", len(gdf), gdf["length_km"].sum(), path)
    return gdf


def _read_layer(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    try:
        if layer is None:
            names = [str(n) for n, kind in pyogrio.list_layers(path) if "Line" in str(kind)]
            layer = names[0] if names else None
        return gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable road file or layer: {exc}") from exc


def _check(gdf: gpd.GeoDataFrame, file: str) -> list[Problem]:
    if len(gdf) == 0:
        return [Problem(file, "the file has no road features", hint="export the road lines")]
    problems = []
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    for i in np.flatnonzero(missing):
        problems.append(Problem(file, "feature has no geometry", row=i + 2, column="geometry"))
    kinds = geom.geom_type
    for i in np.flatnonzero(~missing & ~kinds.isin(_LINES)):
        problems.append(
            Problem(
                file,
                f"feature is a {kinds.iloc[i]}, not a line",
                row=i + 2,
                column="geometry",
                hint="roads must be LineString or MultiLineString features",
            )
        )
    lines = ~missing & kinds.isin(_LINES)
    for i in np.flatnonzero(lines & ~geom.is_valid):
        reason = shapely.is_valid_reason(geom.iloc[i])
        problems.append(Problem(file, f"invalid line: {reason}", row=i + 2, column="geometry"))
    if gdf.crs is None and lines.any():
        left, bottom, right, top = shapely.total_bounds(geom[lines].to_numpy())
        if not (-180 <= left <= right <= 180 and -90 <= bottom <= top <= 90):
            problems.append(
                Problem(
                    file,
                    "the layer has no CRS and its coordinates are not degrees",
                    column="geometry",
                    hint=_CRS_HINT,
                )
            )
    return problems + _class_problems(gdf, file)


def _class_problems(gdf: gpd.GeoDataFrame, file: str) -> list[Problem]:
    problems = []
    if "road_class" in gdf.columns:
        values = gdf["road_class"].astype("string").str.strip().str.lower()
        bad = values.notna() & (values != "") & ~values.isin(ROAD_CLASSES)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    file,
                    f"unknown road class {gdf['road_class'].iloc[i]!r}",
                    row=i + 2,
                    column="road_class",
                    hint=f"use one of {', '.join(ROAD_CLASSES)} or leave it empty",
                )
            )
    if "highway" in gdf.columns:
        tags = gdf["highway"].astype("string").str.strip().str.lower()
        unknown = sorted(set(tags.dropna()) - set(HIGHWAY_CLASSES) - {""})
        if unknown:
            problems.append(
                Problem(
                    file,
                    f"highway values without a road class: {', '.join(unknown)}",
                    column="highway",
                    hint="those roads get no road_class; set it by hand if they matter",
                    severity="warning",
                )
            )
    return problems


def _classes(gdf: gpd.GeoDataFrame) -> pd.Series:
    out = pd.Series(pd.NA, index=gdf.index, dtype="string")
    if "highway" in gdf.columns:
        tags = gdf["highway"].astype("string").str.strip().str.lower()
        out = tags.map(HIGHWAY_CLASSES).astype("string")
    if "road_class" in gdf.columns:
        given = gdf["road_class"].astype("string").str.strip().str.lower().replace("", pd.NA)
        out = given.fillna(out)
    return out


def road_graph(roads: gpd.GeoDataFrame, *, tolerance_m: float = SNAP_TOLERANCE_M) -> nx.Graph:
    """Build an undirected road graph with edge lengths in km.

    Every vertex of every line becomes a node; vertices closer than ``tolerance_m`` are one
    node, and a line end within ``tolerance_m`` of another line's segment gets a vertex
    there (T-junctions of lines drawn without a shared vertex).

    Parameters
    ----------
    roads
        Road lines, e.g. from :func:`read_roads` (any CRS).
    tolerance_m
        Snapping distance in metres.

    Returns
    -------
    networkx.Graph
        Nodes numbered 0..n-1 with ``lon`` and ``lat``; edges between consecutive
        vertices with ``weight`` (geodesic km), ``road_id`` and ``road_class``. Of two
        parallel edges the shorter is kept.
    """
    import networkx as nx

    metric = roads.estimate_utm_crs() if len(roads) else "EPSG:3857"
    parts = roads.to_crs(metric).reset_index(drop=True).explode(index_parts=False)
    lines = [np.asarray(g.coords) for g in parts.geometry]
    lines = _split_at_ends(lines, tolerance_m)
    xy = np.concatenate(lines) if lines else np.empty((0, 2))
    node = _cluster(xy, tolerance_m)
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=metric).to_crs(4326)
    lon, lat = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    graph = nx.Graph()
    for k in np.unique(node):
        first = int(np.flatnonzero(node == k)[0])
        graph.add_node(int(k), lon=float(lon[first]), lat=float(lat[first]))
    ids = parts["road_id"].to_numpy() if "road_id" in parts else parts.index.to_numpy()
    classes = parts["road_class"].to_numpy() if "road_class" in parts else [None] * len(parts)
    start = 0
    for line, rid, cls in zip(lines, ids, classes, strict=True):
        idx = np.arange(start, start + len(line))
        start += len(line)
        km = _GEOD.inv(lon[idx[:-1]], lat[idx[:-1]], lon[idx[1:]], lat[idx[1:]])[2] / 1000.0
        for a, b, w in zip(node[idx[:-1]], node[idx[1:]], km, strict=True):
            if a == b or (graph.has_edge(a, b) and graph[a][b]["weight"] <= w):
                continue
            graph.add_edge(int(a), int(b), weight=float(w), road_id=rid, road_class=cls)
    return graph


def _cluster(xy: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Label points so that points within ``tolerance_m`` (transitively) share a label."""
    pairs = cKDTree(xy).query_pairs(tolerance_m, output_type="ndarray") if len(xy) else []
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy),) * 2)
    return connected_components(adj, directed=False)[1]


def _split_at_ends(lines: list[np.ndarray], tolerance_m: float) -> list[np.ndarray]:
    """Insert a vertex into lines passed within ``tolerance_m`` by another line's end."""
    geoms = np.array([shapely.LineString(line) for line in lines], dtype=object)
    tree = shapely.STRtree(geoms)
    ends = [line[j] for line in lines for j in (0, -1)]
    inserts: dict[int, list[float]] = {}
    for p in shapely.points(ends) if ends else []:
        for k in tree.query(p, predicate="dwithin", distance=tolerance_m):
            line = lines[k]
            if np.hypot(*(line - [p.x, p.y]).T).min() > tolerance_m:
                inserts.setdefault(int(k), []).append(shapely.line_locate_point(geoms[k], p))
    out = list(lines)
    for k, dists in inserts.items():
        line = lines[k]
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
        new = shapely.get_coordinates(shapely.line_interpolate_point(geoms[k], dists))
        merged = np.concatenate([along, dists])
        order = np.argsort(merged, kind="stable")
        out[k] = np.concatenate([line, new])[order]
    return out


def snap_to_roads(points: gpd.GeoDataFrame | pd.DataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Find the nearest point of the nearest road for each point.

    Parameters
    ----------
    points
        A GeoDataFrame of points (any CRS), or a DataFrame with ``lon`` and ``lat``.
    roads
        Road lines (any CRS), e.g. from :func:`read_roads`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``road_id`` and ``road_class`` of the nearest road,
        ``road_lon`` and ``road_lat`` of the nearest point on it, and ``dist_km``
        (geodesic) from the point to it.
    """
    if not isinstance(points, gpd.GeoDataFrame):
        points = gpd.GeoDataFrame(
            points, geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=4326
        )
    metric = roads.estimate_utm_crs()
    lines = roads.to_crs(metric).geometry.to_numpy()
    pts = points.to_crs(metric).geometry.to_numpy()
    which = shapely.STRtree(lines).query_nearest(pts, all_matches=False)[1]
    ends = shapely.get_point(shapely.shortest_line(pts, lines[which]), 1)
    snapped = gpd.GeoSeries(ends, crs=metric).to_crs(4326)
    src = points.to_crs(4326).geometry
    dist = _GEOD.inv(src.x.to_numpy(), src.y.to_numpy(), snapped.x.to_numpy(), snapped.y.to_numpy())
    ids = roads["road_id"].to_numpy() if "road_id" in roads else roads.index.to_numpy()
    classes = roads["road_class"] if "road_class" in roads else pd.Series(pd.NA, roads.index)
    return pd.DataFrame(
        {
            "road_id": ids[which],
            "road_class": classes.to_numpy()[which],
            "road_lon": snapped.x.to_numpy(),
            "road_lat": snapped.y.to_numpy(),
            "dist_km": dist[2] / 1000.0,
        },
        index=points.index,
    )
