"""The area to fetch: a known province's name, a bounding box, or a boundary file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from ...errors import DataFileError, InputError

__all__ = ["KNOWN_AREAS", "Area", "area_key", "resolve_area"]

#: Built-in bounding boxes (W, S, E, N, WGS 84) of provinces covgap knows by name.
KNOWN_AREAS: dict[str, tuple[str, tuple[float, float, float, float]]] = {
    "lai chau": ("Lai Châu", (102.32, 21.69, 103.98, 22.81)),
}


@dataclass(frozen=True)
class Area:
    """What ``covgap fetch`` covers: a name, a bounding box and, if known, the boundary."""

    name: str
    bounds: tuple[float, float, float, float]
    boundary: gpd.GeoDataFrame | None = None
    boundary_file: Path | None = None


def area_key(text: str) -> str:
    """Normalise a place name for matching: no diacritics, no "tỉnh", lower case.

    >>> area_key("Tỉnh Lai Châu")
    'lai chau'
    """
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    for prefix in ("tinh ", "province of ", "province "):
        text = text.removeprefix(prefix)
    return " ".join(text.replace("-", " ").replace("_", " ").split())


def resolve_area(
    *,
    name: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: str | Path | None = None,
) -> Area:
    """Turn exactly one of a name, a bbox (W, S, E, N) or a boundary file into an :class:`Area`.

    >>> resolve_area(name="Lai Chau").bounds
    (102.32, 21.69, 103.98, 22.81)
    """
    given = [v is not None for v in (name, bbox, boundary)]
    if sum(given) != 1:
        raise InputError("give exactly one of --area NAME, --bbox W S E N or --boundary FILE")
    if name is not None:
        key = area_key(name)
        if key not in KNOWN_AREAS:
            raise InputError(
                f"unknown area {name!r}: covgap knows {[v[0] for v in KNOWN_AREAS.values()]}; "
                "give --bbox W S E N or --boundary FILE (a province polygon) instead"
            )
        label, bounds = KNOWN_AREAS[key]
        return Area(label, bounds)
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InputError(f"--bbox {bbox}: expected W S E N in degrees with W < E and S < N")
        return Area(f"bbox {west:g},{south:g},{east:g},{north:g}", (west, south, east, north))
    path = Path(boundary)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataFileError(f"{path}: cannot read the boundary file ({exc})") from exc
    if gdf.empty or not gdf.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        raise InputError(f"{path}: the boundary file holds no polygon")
    if gdf.crs is None:
        raise InputError(f"{path}: the boundary has no CRS (set one, e.g. ogr2ogr -a_srs)")
    gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(4326)
    union = shapely.union_all(gdf.geometry.to_numpy())
    name_col = next((c for c in ("name", "NAME", "shapeName", "ten") if c in gdf), None)
    label = str(gdf[name_col].iloc[0]) if name_col and len(gdf) == 1 else path.stem
    bounds = tuple(round(float(v), 6) for v in union.bounds)
    outline = gpd.GeoDataFrame({"name": [label]}, geometry=[union], crs="EPSG:4326")
    return Area(label, bounds, outline, path)  # type: ignore[arg-type]
