"""White and low-signal zones: polygons from the class rasters, their area and people.

:func:`zone_polygons` vectorises the cells of one class of a class raster
(:func:`covgap.radio.rasters.class_raster`) into polygons (:func:`rasterio.features.shapes`,
cells joined by their edges, 4-connectivity) and removes **slivers**: zones smaller than
``min_area_km2``, by default :data:`MIN_ZONE_AREA_KM2` = 0.1 km² (10 ha: about 13 cells
of a 3″ DEM, 110 cells of a 1″ DEM). A zone that small is below what a 90 m terrain model
resolves, usually a single shadowed gully or a ring of cells at a threshold, and a planner
cannot act on it. Areas are geodesic (WGS 84 ellipsoid) on a geographic grid and planar on
a projected one.

:func:`zone_statistics` cuts the zones by commune (or district) and counts the villages
(by their centre point), households and people inside each piece, and sums them per
district and commune.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from ..errors import InputError
from ..io.atomic import atomic_path
from ..radio.rasters import ANY_CARRIER, CLASS_CODES, CLASS_TECHNOLOGY, AreaRasters, Grid
from ..schema import LOW_SIGNAL, WHITE

__all__ = [
    "MIN_ZONE_AREA_KM2",
    "ZONE_COLUMNS",
    "area_km2",
    "area_zones",
    "write_zones",
    "zone_polygons",
    "zone_statistics",
]

logger = logging.getLogger(__name__)

#: Zones smaller than this (km²) are slivers and removed (see the module's notes).
MIN_ZONE_AREA_KM2 = 0.1
#: Columns of :func:`zone_statistics`' zone pieces, besides ``geometry``.
ZONE_COLUMNS: tuple[str, ...] = (
    "zone_id",
    "zone_class",
    "district",
    "commune",
    "area_km2",
    "zone_area_km2",
    "villages",
    "households",
    "population",
    "village_ids",
)
_PREFIX = {WHITE: "W", LOW_SIGNAL: "L"}
_GEOD = Geod(ellps="WGS84")


def area_km2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Area of each geometry in km²: geodesic on a geographic CRS, planar otherwise.

    Parameters
    ----------
    geoms
        Polygons with a CRS.

    Returns
    -------
    numpy.ndarray
    """
    if geoms.crs is None:
        raise InputError("zones: the geometries have no CRS; their area is unknown")
    crs = CRS.from_user_input(geoms.crs)
    if crs.is_geographic:
        if crs.to_epsg() != 4326:
            geoms = geoms.to_crs("EPSG:4326")
        return np.array(
            [abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 if g else 0.0 for g in geoms]
        )
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return geoms.area.to_numpy() * factor**2 / 1e6


def zone_polygons(
    classes: np.ndarray,
    grid: Grid,
    *,
    zone_classes: tuple[str, ...] = (WHITE, LOW_SIGNAL),
    min_area_km2: float = MIN_ZONE_AREA_KM2,
) -> gpd.GeoDataFrame:
    """Vectorise the white and low-signal cells of a class raster into zone polygons.

    Parameters
    ----------
    classes
        uint8 class codes (:data:`covgap.radio.rasters.CLASS_CODES`) on ``grid``.
    grid
        Georeferencing of ``classes``.
    zone_classes
        Classes to vectorise.
    min_area_km2
        Zones smaller than this are removed as slivers (0 keeps every zone).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id`` (``W0001``..., ``L0001``...), ``zone_class``, ``area_km2``, ``cells``
        and the polygon, in EPSG:4326; largest zones first within a class.
    """
    from rasterio.features import shapes

    if classes.shape != grid.shape:
        raise InputError(f"zones: class raster {classes.shape} does not match grid {grid.shape}")
    if min_area_km2 < 0:
        raise InputError(f"zones: min_area_km2 = {min_area_km2} must be >= 0")
    cell_area = abs(grid.transform.a * grid.transform.e)
    frames = []
    for cls in zone_classes:
        mask = classes == CLASS_CODES[cls]
        if not mask.any():
            continue
        polys = [
            shapely.geometry.shape(geom)
            for geom, _ in shapes(mask.view(np.uint8), mask=mask, transform=grid.transform)
        ]
        gdf = gpd.GeoDataFrame({"zone_class": [cls] * len(polys)}, geometry=polys, crs=grid.crs)
        gdf["area_km2"] = area_km2(gdf.geometry)
        gdf["cells"] = np.rint(shapely.area(gdf.geometry.to_numpy()) / cell_area).astype(np.int64)
        kept = gdf[gdf["area_km2"] >= min_area_km2]
        logger.info(
            "%s zones: %d polygons, %d slivers below %g km² removed",
            cls,
            len(gdf),
            len(gdf) - len(kept),
            min_area_km2,
        )
        kept = kept.sort_values("area_km2", ascending=False, kind="stable")
        kept.insert(0, "zone_id", [f"{_PREFIX.get(cls, 'Z')}{i + 1:04d}" for i in range(len(kept))])
        frames.append(kept)
    if not frames:
        return _empty_zones(["zone_id", "zone_class", "area_km2", "cells"])
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=grid.crs).to_crs("EPSG:4326")


def zone_statistics(
    zones: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame | None = None,
    *,
    districts: gpd.GeoDataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Cut the zones by commune (or district) and count villages and people inside.

    Parameters
    ----------
    zones
        From :func:`zone_polygons`.
    villages
        Canonical villages (centre points; ``households`` and ``population`` when known).
    districts, communes
        Admin polygons (``district``; ``commune`` and ``district``). Communes win.

    Returns
    -------
    tuple
        The zone pieces (:data:`ZONE_COLUMNS`, one row per zone and commune; a zone with
        no admin layer is one piece with empty names) and the summary per district,
        commune and class: ``zones``, ``area_km2``, ``villages``, ``households``,
        ``population``.
    """
    pieces = _cut(zones, communes if communes is not None else districts)
    pieces["area_km2"] = area_km2(pieces.geometry)
    # a zone's area within the study area (the sum of its pieces)
    pieces["zone_area_km2"] = pieces.groupby("zone_id")["area_km2"].transform("sum")
    counts = _village_counts(pieces, villages)
    pieces = pieces.join(counts)
    pieces["villages"] = pieces["villages"].fillna(0).astype(np.int64)
    pieces["village_ids"] = pieces["village_ids"].fillna("")
    pieces = pieces.reset_index(drop=True)
    pieces = gpd.GeoDataFrame(
        pieces[[*ZONE_COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326"
    )
    summary = (
        pieces.groupby(["district", "commune", "zone_class"], dropna=False, sort=True)
        .agg(
            zones=("zone_id", "nunique"),
            area_km2=("area_km2", "sum"),
            villages=("villages", "sum"),
            households=("households", lambda s: s.sum(min_count=1)),
            population=("population", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    return pieces, summary


def area_zones(
    rasters: AreaRasters,
    villages: gpd.GeoDataFrame | None = None,
    *,
    districts: gpd.GeoDataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
    min_area_km2: float = MIN_ZONE_AREA_KM2,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """White and low-signal zones of the "any carrier" 4G class raster, with their people.

    :func:`zone_polygons` then :func:`zone_statistics` (4G decides the class; the best
    carrier counts, as for villages).

    Parameters
    ----------
    rasters
        From :func:`covgap.radio.parallel.predict_area`.
    villages, districts, communes
        As for :func:`zone_statistics`.
    min_area_km2
        Sliver threshold.

    Returns
    -------
    tuple
        Zone pieces and the summary per district and commune.
    """
    key = (ANY_CARRIER, CLASS_TECHNOLOGY)
    if key not in rasters.classes:
        logger.warning("no 4G sector: no white or low-signal zone can be drawn")
        zones = _empty_zones(["zone_id", "zone_class", "area_km2", "cells"])
    else:
        zones = zone_polygons(rasters.classes[key], rasters.grid, min_area_km2=min_area_km2)
    return zone_statistics(zones, villages, districts=districts, communes=communes)


def _cut(zones: gpd.GeoDataFrame, admin: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    base = zones[["zone_id", "zone_class", "geometry"]]
    if admin is None or len(zones) == 0:
        out = base.copy()
        out["district"] = None
        out["commune"] = None
        return out
    cols = [c for c in ("district", "commune") if c in admin.columns]
    if not cols:
        raise InputError("admin polygons need a 'district' or 'commune' column")
    admin = admin[[*cols, "geometry"]].to_crs(zones.crs)
    out = gpd.overlay(base, admin, how="intersection", keep_geom_type=True)
    for col in ("district", "commune"):
        if col not in out:
            out[col] = None
    # with admin polygons the study area is their union: parts of zones beyond it (the
    # neighbouring provinces inside the DEM) are dropped
    return out.sort_values(["zone_class", "zone_id", "district", "commune"], kind="stable")


def _village_counts(pieces: gpd.GeoDataFrame, villages: gpd.GeoDataFrame | None) -> pd.DataFrame:
    cols = ["villages", "households", "population", "village_ids"]
    if villages is None or len(villages) == 0 or len(pieces) == 0:
        return pd.DataFrame(
            {"villages": 0, "households": np.nan, "population": np.nan, "village_ids": ""},
            index=pieces.index,
        )[cols]
    v = gpd.GeoDataFrame(
        {
            "village_id": villages["village_id"].astype(str).to_numpy(),
            "households": _numeric(villages, "households"),
            "population": _numeric(villages, "population"),
        },
        geometry=villages.geometry.to_numpy(),
        crs=villages.crs,
    ).to_crs(pieces.crs)
    joined = gpd.sjoin(v, pieces[["geometry"]], predicate="within", how="inner")
    grouped = joined.groupby("index_right", sort=True)
    return pd.DataFrame(
        {
            "villages": grouped.size(),
            "households": grouped["households"].sum(min_count=1),
            "population": grouped["population"].sum(min_count=1),
            "village_ids": grouped["village_id"].agg(lambda s: " ".join(sorted(s))),
        }
    ).reindex(pieces.index)[cols]


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(float)


def _empty_zones(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str" if c in ("zone_id", "zone_class") else float) for c in columns},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def write_zones(
    zones: gpd.GeoDataFrame, path: str | Path, *, summary: pd.DataFrame | None = None
) -> Path:
    """Write the zones as a GeoPackage (layer ``zones``), atomically.

    Parameters
    ----------
    zones
        Zone polygons or pieces (:func:`zone_polygons`, :func:`zone_statistics`).
    path
        ``.gpkg`` file; replaced only once the new file is complete.
    summary
        Optional table per district and commune, written as the attribute-only layer
        ``zones_by_commune``.

    Returns
    -------
    pathlib.Path
    """
    import pyogrio

    path = Path(path)
    with atomic_path(path, create=False) as tmp:  # GDAL creates the GeoPackage itself
        pyogrio.write_dataframe(
            zones,
            tmp,
            layer="zones",
            driver="GPKG",
            geometry_type="Polygon" if len(zones) == 0 else None,
            promote_to_multi=True,
        )
        if summary is not None:
            pyogrio.write_dataframe(
                summary, tmp, layer="zones_by_commune", driver="GPKG", append=True
            )
    return path
