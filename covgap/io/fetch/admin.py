"""Administrative units from geoBoundaries (gbOpen): the province, its districts, communes.

The geoBoundaries API (``https://www.geoboundaries.org/api/current/gbOpen/VNM/ADM1/``)
answers a small JSON document per country and level; its ``gjDownloadURL`` is the
GeoJSON of every unit, and ``boundaryLicense``, ``boundarySource`` and
``boundaryYearRepresented`` say whose it is, under which licence and of which year. Both
are downloads of the :class:`~covgap.io.fetch.download.Fetcher` (cached, resumable).

geoBoundaries' Vietnamese units predate the 07/2025 reform (districts abolished): the
layers carry the year they represent, and a user's own boundary file wins.
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import pandas as pd

from ...errors import DataFileError
from .area import Area, area_key
from .download import Fetcher
from .sources import base_url

__all__ = ["LEVELS", "admin_layers", "geoboundaries_api_url"]

logger = logging.getLogger(__name__)

#: Layer of covgap's admin GeoPackage -> geoBoundaries level and the name column written.
LEVELS = {
    "province": ("ADM1", "province"),
    "districts": ("ADM2", "district"),
    "communes": ("ADM3", "commune"),
}


def geoboundaries_api_url(iso: str = "VNM", level: str = "ADM1") -> str:
    """URL of the geoBoundaries API answer for one country and level (gbOpen release).

    >>> geoboundaries_api_url("VNM", "ADM2")
    'https://www.geoboundaries.org/api/current/gbOpen/VNM/ADM2/'
    """
    return f"{base_url('geoboundaries')}/api/current/gbOpen/{iso}/{level}/"


def _level(fetcher: Fetcher, iso: str, level: str) -> tuple[gpd.GeoDataFrame, dict] | None:
    api = geoboundaries_api_url(iso, level)
    try:
        meta_file = fetcher.get(api, name=f"geoBoundaries-{iso}-{level}.api.json")
    except DataFileError as exc:
        if "HTTP 404" in str(exc):
            logger.warning("geoBoundaries has no %s %s layer", iso, level)
            return None
        raise
    meta = json.loads(meta_file.path.read_text(encoding="utf-8"))
    if isinstance(meta, list):
        meta = meta[0]
    url = meta.get("gjDownloadURL")
    if not url:
        raise DataFileError(f"{api}: the answer has no gjDownloadURL")
    data = fetcher.get(url, name=f"geoBoundaries-{iso}-{level}.geojson")
    try:
        gdf = gpd.read_file(data.path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        fetcher.forget(url)
        raise DataFileError(f"{url}: not a readable GeoJSON ({exc})") from exc
    return (gdf.set_crs(4326) if gdf.crs is None else gdf.to_crs(4326)), meta


def admin_layers(area: Area, fetcher: Fetcher, *, iso: str = "VNM") -> tuple[dict, dict]:
    """Return the province, district and commune polygons of ``area``, and their sources.

    The province is the ADM1 unit named like the area (``--area``), or the user's boundary
    (``--boundary``), or every ADM1 unit meeting the bbox. Districts and communes are the
    units whose representative point lies in the province, or (bbox only) that meet the
    bbox.

    Returns
    -------
    layers, sources
        ``{"province"|"districts"|"communes": GeoDataFrame}`` with a ``province`` /
        ``district`` / ``commune`` name column, and per layer the API's metadata
        (licence, source, year represented).
    """
    layers: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, dict] = {}
    outline = area.boundary.geometry.iloc[0] if area.boundary is not None else None
    for layer, (level, column) in LEVELS.items():
        if layer == "province" and area.boundary is not None:
            layers[layer] = area.boundary.rename(columns={"name": column})
            continue
        got = _level(fetcher, iso, level)
        if got is None:
            continue
        gdf, meta = got
        if layer == "province" and area.boundary is None:
            keys = gdf["shapeName"].astype(str).map(area_key)
            match = gdf[keys == area_key(area.name)]
            gdf = match if len(match) else gdf[gdf.intersects(_box(area.bounds))]
            if len(match):
                outline = match.geometry.union_all()
        else:
            if outline is not None:  # the units of the province
                gdf = gdf[gdf.representative_point().within(outline)]
            else:  # every unit the bbox meets
                gdf = gdf[gdf.intersects(_box(area.bounds))]
        gdf = gdf.rename(columns={"shapeName": column})
        keep = [c for c in (column, "shapeISO", "shapeID") if c in gdf]
        gdf = gpd.GeoDataFrame(gdf[keep], geometry=gdf.geometry.to_numpy(), crs=4326)
        gdf["source"] = f"geoBoundaries gbOpen {iso} {level} ({meta.get('boundaryLicense', '')})"
        gdf["year_represented"] = str(meta.get("boundaryYearRepresented", ""))
        layers[layer] = gdf.reset_index(drop=True)
        sources[layer] = {
            k: meta.get(k)
            for k in ("boundaryLicense", "boundarySource", "boundaryYearRepresented", "buildDate")
        }
    if "districts" in layers and "communes" in layers:
        layers["communes"] = _with_district(layers["communes"], layers["districts"])
    return layers, sources


def _box(bounds: tuple[float, float, float, float]):
    from shapely.geometry import box

    return box(*bounds)


def _with_district(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    points = gpd.GeoDataFrame(geometry=communes.representative_point(), crs=4326)
    joined = gpd.sjoin(points, districts[["district", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated()]
    out = communes.copy()
    out["district"] = pd.Series(joined["district"]).reindex(out.index)
    return out
