"""Fibre nodes: points of presence read from a file, and fibre-fed sites (internal).

Public through :mod:`covgap.plan.backhaul`.
"""

from __future__ import annotations

import logging
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd

import covgap.io.aliases as _aliases

from ...errors import InputError, ValidationError
from ...io.positions import _as_text, _column_positions, _geometry_positions, _parse_crs, _Report
from ...io.readers import read_raw

__all__ = ["NODE_COLUMNS", "fibre_nodes", "read_fibre_nodes"]

logger = logging.getLogger("covgap.plan.backhaul")

#: Columns of a fibre-node table, in order (then geometry).
NODE_COLUMNS = ("node_id", "kind", "site_id", "lon", "lat", "height_m")
#: Headers (normalised) read as the node id, best first.
_ID_HEADERS = ("node_id", "pop_id", "id", "ma_nut", "ma_pop", "ma_tram", "code", "name", "ten")
_NO_NODE = "no fibre node: mark sites fibre_backhaul=yes or give --fibre-nodes"


def read_fibre_nodes(
    path: str | PathLike, *, layer: str | None = None, crs: object = None
) -> gpd.GeoDataFrame:
    """Read points of presence (fibre nodes) from a table or a point layer.

    Parameters
    ----------
    path
        CSV, Excel, GeoJSON, GeoPackage, Shapefile or KML: lon/lat (Kinh độ/Vĩ độ) or
        projected x/y columns, or point geometry. An id column (``node_id``, ``pop_id``,
        ``id``, ``name``, ...) is kept; without one the nodes are numbered ``POP-1``...
    layer
        Layer of a multi-layer file or sheet of a workbook.
    crs
        CRS of projected x/y columns (e.g. ``"EPSG:9205"``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``node_id`` (str), ``kind`` (``"pop"``), ``site_id`` (NA), ``lon``, ``lat``,
        ``height_m`` (NaN), extra input columns, Point geometry in EPSG:4326.

    Raises
    ------
    ValidationError
        Listing every problem: no rows, no position columns, unreadable or missing
        positions, positions outside Vietnam, duplicate ids.
    DataFileError
        The file is missing or cannot be read.
    """
    raw = read_raw(path, layer=layer)
    rep = _Report(raw.file)
    frame = raw.frame.reset_index(drop=True)
    if len(frame) == 0 and (raw.geometry is None or len(raw.geometry) == 0):
        rep.add("the file has no fibre nodes", hint="one row per point of presence, with lon/lat")
        raise ValidationError(rep.problems)
    names = _aliases.canonical_headers(frame.columns)
    crs_obj = _parse_crs(crs, rep)
    if raw.geometry is not None:
        lon, lat = _geometry_positions(raw, crs_obj, rep)
    else:
        lon, lat = _column_positions(frame, names, crs_obj, rep)
    ids = _node_ids(frame, rep)
    if rep.failed:
        raise ValidationError(rep.problems)
    for p in rep.problems:
        logger.warning("%s", p)
    extras = frame.drop(columns=[c for c in frame.columns if c in names.values()])
    extras = extras.drop(columns=[c for c in extras.columns if c in NODE_COLUMNS])
    out = pd.DataFrame(
        {
            "node_id": ids,
            "kind": "pop",
            "site_id": pd.array([pd.NA] * len(ids), dtype="string"),
            "lon": lon,
            "lat": lat,
            "height_m": np.nan,
        }
    )
    out = pd.concat([out, extras], axis=1)
    logger.info("read %d fibre node(s) from %s", len(out), raw.file)
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _node_ids(frame: pd.DataFrame, rep: _Report) -> pd.Series:
    by_norm = {_aliases.normalise(c): c for c in frame.columns}
    col = next((by_norm[h] for h in _ID_HEADERS if h in by_norm), None)
    generated = pd.Series([f"POP-{i + 1}" for i in range(len(frame))], dtype="string")
    if col is None:
        return generated
    ids = pd.Series([_as_text(v) for v in frame[col]], dtype="string")
    for i in np.flatnonzero(ids.isna()):
        rep.add(
            f"empty node id; named {generated[i]}",
            row=i + 2,
            column=str(col),
            severity="warning",
            hint="give every point of presence an id",
        )
    ids = ids.fillna(generated)
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in first:
            rep.add(
                f"duplicate node id {value!r} (first on row {first[value] + 2})",
                row=i + 2,
                column=str(col),
                hint="every point of presence needs its own id",
            )
        else:
            first[value] = i
    return ids


def fibre_nodes(
    sites: gpd.GeoDataFrame | pd.DataFrame, pops: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """Fibre nodes: every existing site with fibre backhaul, plus points of presence.

    Parameters
    ----------
    sites
        Canonical sites (one row per sector; see :func:`covgap.io.read_sites`) with
        ``fibre_backhaul``; positions from the geometry, or ``lon``/``lat`` columns.
    pops
        Points of presence from :func:`read_fibre_nodes`, or ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per node: ``node_id`` (the site id for sites), ``kind`` (``"site"`` or
        ``"pop"``), ``site_id`` (NA for PoPs), ``lon``, ``lat``, ``height_m`` (highest
        antenna of the site; NaN for PoPs), Point geometry (EPSG:4326).

    Raises
    ------
    InputError
        There is no fibre node at all, or a PoP id equals a site id.
    """
    fed = _fed_sites(sites)
    nodes = pd.DataFrame(
        {
            "node_id": fed["site_id"].astype("string"),
            "kind": "site",
            "site_id": fed["site_id"].astype("string"),
            "lon": fed["lon"],
            "lat": fed["lat"],
            "height_m": fed["height_m"],
        }
    )
    if pops is not None and len(pops):
        clash = sorted(set(pops["node_id"]) & set(nodes["node_id"]))
        if clash:
            raise InputError(
                f"fibre node id(s) {', '.join(clash[:5])} are also site ids; rename the "
                "points of presence"
            )
        nodes = pd.concat([nodes, pd.DataFrame(pops)[list(NODE_COLUMNS)]], ignore_index=True)
    if len(nodes) == 0:
        raise InputError(_NO_NODE)
    nodes = nodes.reset_index(drop=True)
    logger.info(
        "%d fibre node(s): %d fibre-fed site(s), %d point(s) of presence",
        len(nodes),
        len(fed),
        len(nodes) - len(fed),
    )
    geometry = gpd.points_from_xy(nodes["lon"], nodes["lat"])
    return gpd.GeoDataFrame(nodes, geometry=geometry, crs="EPSG:4326")


def site_table(sites: gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    """One row per site: ``site_id``, ``lon``, ``lat``, ``height_m`` (tallest sector)."""
    if "lon" in sites.columns and "lat" in sites.columns:
        lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    elif isinstance(sites, gpd.GeoDataFrame):
        geom = sites.geometry.to_crs(4326) if sites.crs is not None else sites.geometry
        lon, lat = geom.x.to_numpy(), geom.y.to_numpy()
    else:
        raise InputError("sites need lon/lat columns or point geometry")
    height = sites["height_m"] if "height_m" in sites.columns else np.nan
    table = pd.DataFrame(
        {"site_id": sites["site_id"].astype("string"), "lon": lon, "lat": lat, "height_m": height}
    )
    if "fibre_backhaul" in sites.columns:
        table["fibre_backhaul"] = sites["fibre_backhaul"].astype("boolean").fillna(False)
    grouped = table.groupby("site_id", sort=False)
    out = grouped.first()
    out["height_m"] = grouped["height_m"].max()
    if "fibre_backhaul" in out.columns:
        out["fibre_backhaul"] = grouped["fibre_backhaul"].any()
    return out.reset_index()


def _fed_sites(sites: gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    if "fibre_backhaul" not in sites.columns or len(sites) == 0:
        return pd.DataFrame(columns=["site_id", "lon", "lat", "height_m"])
    table = site_table(sites)
    return table[table["fibre_backhaul"].to_numpy(bool)].reset_index(drop=True)
