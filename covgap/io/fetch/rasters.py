"""DEM and land-cover tiles: which ones an area needs, and one cropped mosaic of them.

The tiles are mosaicked and cropped to the area plus a margin (the prediction radius:
a site that far outside the area still serves its villages) and written as a tiled,
compressed GeoTIFF, stamped with the source, its licence and the retrieval date.
"""

from __future__ import annotations

import gzip
import logging
import math
import shutil
import warnings
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.merge import merge

from ...errors import DataFileError
from .download import Download, Fetcher
from .sources import (
    SOURCES,
    copernicus_tile,
    copernicus_url,
    degree_tiles,
    srtm_tile,
    srtm_url,
    worldcover_tiles,
    worldcover_url,
)

__all__ = ["dem_requests", "expand_bounds", "landcover_requests", "mosaic"]

logger = logging.getLogger(__name__)

Bounds = tuple[float, float, float, float]
#: Nodata of a DEM mosaic whose tiles declare none (Copernicus COGs): never a height.
DEM_NODATA = -32768.0


def expand_bounds(bounds: Bounds, margin_km: float) -> Bounds:
    """``bounds`` (W, S, E, N in degrees) grown by ``margin_km`` on every side.

    >>> [round(v, 3) for v in expand_bounds((103.0, 22.0, 103.5, 22.5), 11.1)]
    [102.892, 21.9, 103.608, 22.6]
    """
    west, south, east, north = bounds
    dlat = margin_km / 111.0
    dlon = margin_km / (111.0 * math.cos(math.radians(max(abs(south), abs(north)))))
    return (
        max(west - dlon, -180.0),
        max(south - dlat, -90.0),
        min(east + dlon, 180.0),
        min(north + dlat, 90.0),
    )


def dem_requests(bounds: Bounds, source: str = "copernicus") -> list[tuple[str, str]]:
    """``(file name, URL)`` of every DEM tile covering ``bounds``."""
    tiles = degree_tiles(bounds)
    if source == "copernicus":
        return [(copernicus_tile(la, lo) + ".tif", copernicus_url(la, lo)) for la, lo in tiles]
    if source == "srtm":
        return [(srtm_tile(la, lo) + ".hgt.gz", srtm_url(la, lo)) for la, lo in tiles]
    raise ValueError(f"unknown DEM source {source!r}; use 'copernicus' or 'srtm'")


def landcover_requests(bounds: Bounds) -> list[tuple[str, str]]:
    """``(file name, URL)`` of every ESA WorldCover tile covering ``bounds``."""
    return [(name, worldcover_url(name)) for name in worldcover_tiles(bounds)]


def _readable(download: Download, fetcher: Fetcher, workdir: Path) -> Path:
    """Return a path GDAL can open (gunzipped SRTM tiles get their ``.hgt`` name)."""
    path = download.path
    if download.name.endswith(".gz"):
        target = workdir / download.name[:-3]
        with gzip.open(path, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        path = target
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise DataFileError(f"{download.name}: the tile has no CRS")
    except (RasterioIOError, gzip.BadGzipFile, EOFError) as exc:
        fetcher.forget(download.url)
        raise DataFileError(
            f"{download.name}: not a readable raster ({exc}); it was dropped from the "
            "cache, run again to download it anew"
        ) from exc
    return path


def _snap(bounds: Bounds, transform: rasterio.Affine) -> Bounds:
    """Grow ``bounds`` outwards onto the tiles' own pixel grid (no resampling shift).

    >>> from rasterio.transform import from_origin
    >>> _snap((103.01, 22.01, 103.02, 22.02), from_origin(102.995, 23.005, 0.01, 0.01))
    (103.005, 22.005, 103.025, 22.025)
    """
    res_x, res_y = transform.a, -transform.e
    x0, y0 = transform.c, transform.f
    west = x0 + math.floor(round((bounds[0] - x0) / res_x, 9)) * res_x
    east = x0 + math.ceil(round((bounds[2] - x0) / res_x, 9)) * res_x
    north = y0 - math.floor(round((y0 - bounds[3]) / res_y, 9)) * res_y
    south = y0 - math.ceil(round((y0 - bounds[1]) / res_y, 9)) * res_y
    return tuple(round(v, 12) for v in (west, south, east, north))  # type: ignore[return-value]


def mosaic(
    downloads: Iterable[Download],
    bounds: Bounds,
    out: Path,
    *,
    fetcher: Fetcher,
    source: str,
    nodata: float | None = None,
) -> Path:
    """Mosaic the tiles, crop them to ``bounds`` and write a stamped, tiled GeoTIFF.

    Parameters
    ----------
    downloads
        The tiles (:meth:`Fetcher.get` results).
    bounds
        W, S, E, N in degrees (the tiles are in EPSG:4326).
    out
        The GeoTIFF to write.
    fetcher
        Its cache receives the unpacked tiles; unreadable tiles are dropped from it.
    source
        Key of :data:`~covgap.io.fetch.sources.SOURCES`, for the stamp.
    nodata
        Nodata value of the output (default: the tiles').
    """
    downloads = list(downloads)
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = fetcher.cache / "unpacked"
    workdir.mkdir(exist_ok=True)
    paths = [_readable(d, fetcher, workdir) for d in downloads]
    tmp = out.with_name(f".{out.stem}.tmp.tif")
    with ExitStack() as stack:
        datasets = [stack.enter_context(rasterio.open(p)) for p in paths]
        first = datasets[0]
        nodata = first.nodata if nodata is None else nodata
        if nodata is None:
            nodata = 0 if source == "worldcover" else DEM_NODATA
        profile = {
            "driver": "GTiff",
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "compress": "deflate",
            "BIGTIFF": "IF_SAFER",
        }
        with warnings.catch_warnings():  # rasterio.merge still multiplies Affines with *
            warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)
            merge(
                datasets,
                bounds=_snap(bounds, first.transform),
                nodata=nodata,
                dst_path=tmp,
                dst_kwds=profile,
            )
    src = SOURCES[source]
    with rasterio.open(tmp, "r+") as ds:
        ds.update_tags(
            SOURCE=src.title,
            LICENCE=src.licence,
            ATTRIBUTION=src.attribution,
            TILES=", ".join(d.name for d in downloads),
            RETRIEVED=", ".join(sorted({d.retrieved for d in downloads if d.retrieved})),
            CREATED_BY="covgap fetch",
        )
        logger.info("%s: %d x %d cells from %d tile(s)", out.name, ds.width, ds.height, len(paths))
    tmp.replace(out)
    return out
