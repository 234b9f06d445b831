"""Read villages, sites, DEMs and administrative units into covgap's canonical tables.

The table readers accept CSV (UTF-8, UTF-8 with BOM, UTF-16 or Windows-1258; ``,`` ``;``
or tab), Excel ``.xlsx`` (report-style sheets too, every sheet holding a table:
:mod:`covgap.io.sheets`), GeoJSON, GeoPackage, Shapefile (also zipped) and KML; headers
may be in English or Vietnamese, with or without diacritics and units
(see :mod:`covgap.io.aliases`). Every
problem in a file is collected first and reported at once in one
:class:`~covgap.errors.ValidationError` (see :mod:`covgap.io.validate`).
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Iterable
from contextlib import ExitStack
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
from pyproj import CRS
from rasterio.errors import RasterioIOError
from rasterio.fill import fillnodata
from rasterio.merge import merge
from rasterio.vrt import WarpedVRT
from rasterio.warp import Resampling
from scipy import ndimage

import covgap.io.aliases as _aliases
import covgap.io.rawtables as _raw

from ..errors import DataFileError, InputError, Problem, ValidationError
from .tables import RawTable, build_table_summary
from .terrain import Terrain

__all__ = ["read_admin", "read_dem", "read_sites", "read_villages"]

logger = logging.getLogger(__name__)

#: SRTM void value (and the usual int16 nodata): never a height.
VOID = -32768
#: Void regions of at most this many cells are filled by interpolation; larger stay NaN.
MAX_FILL_CELLS = 16
#: How far (cells) :func:`rasterio.fill.fillnodata` looks for valid heights.
_FILL_SEARCH_CELLS = 10

TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz", ".fgb", ".gml")
RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".vrt", ".img", ".asc", ".dem", ".bil", ".dt2")
#: Columns LIBKML adds to every placemark; dropped (except a filled-in description).
_KML_BOILERPLATE = frozenset(
    {"id", "description", "timestamp", "begin", "end", "altitudemode", "tessellate"}
    | {"extrude", "visibility", "draworder", "icon", "snippet"}
)


PathOrStr = str | PathLike


def read_villages(
    path: PathOrStr, *, crs: str | CRS | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read a village table into the canonical village GeoDataFrame (EPSG:4326).

    Parameters
    ----------
    path
        CSV, Excel, GeoJSON, GeoPackage, Shapefile (or zipped), or KML file.
    crs
        CRS of projected x/y columns (e.g. ``"EPSG:9205"``, VN-2000 / TM-3 103-00 for
        Lai Châu); ``None`` when positions are lon/lat in WGS 84. Geo formats use their
        layer's CRS; ``crs`` is only used for a layer that has none.
    layer
        Layer of a multi-layer file (GeoPackage, KML) or sheet of a workbook; ``None``
        reads every sheet that holds a village table (below title rows, without STT,
        total and signature rows: :mod:`covgap.io.sheets`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`covgap.schema.VILLAGE_COLUMNS`, then extra input columns, and
        Point geometry of the village centre, one row per data row; what was read (sheets,
        columns used and not used, rows skipped, CRS) is in ``attrs["covgap_read"]``
        (:class:`~covgap.io.summary.ReadSummary`) and in the log.

    Raises
    ------
    ValidationError
        Listing every problem found in the file.
    DataFileError
        The file is missing or cannot be read at all.
    """
    return _read_table(path, "villages", crs=crs, layer=layer)


def read_sites(
    path: PathOrStr, *, crs: str | CRS | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read a BTS site table (one row per sector) into the canonical site GeoDataFrame.

    Missing optional values get the defaults of ``docs/design.md``: tilt 3°, power 43 dBm
    (2G/3G) or 46 dBm (4G), beamwidth 65° (360° when there is no azimuth: omni), gain
    18 dBi for sectors and 11 dBi for omni antennas, and sector ids numbered per site.

    Parameters
    ----------
    path
        CSV, Excel, GeoJSON, GeoPackage, Shapefile (or zipped), or KML file.
    crs
        CRS of projected x/y columns (e.g. ``"EPSG:9205"``); ``None`` for lon/lat.
    layer
        Layer of a multi-layer file or sheet of a workbook; ``None`` reads every sheet
        that holds a site table (a sheet named after a carrier gives the carrier of a
        table without a carrier column).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`covgap.schema.SITE_COLUMNS`, extra input columns, and Point
        geometry of the site in EPSG:4326; the read summary in ``attrs["covgap_read"]``.

    Raises
    ------
    ValidationError
        Listing every problem found in the file.
    DataFileError
        The file is missing or cannot be read at all.
    """
    return _read_table(path, "sites", crs=crs, layer=layer)


def _read_table(
    path: PathOrStr, kind: str, *, crs: str | CRS | None, layer: str | None
) -> gpd.GeoDataFrame:
    raw = read_raw(path, kind=kind, layer=layer, find_table=True)
    gdf, problems, summary = build_table_summary(raw, kind, crs=crs)
    raise_for_problems(problems)
    assert summary is not None
    logger.info("%s: %s", raw.file, "\n  ".join(summary.lines()))
    return gdf


def raise_for_problems(problems: list[Problem]) -> None:
    """Log the warnings among ``problems`` and raise one ValidationError if any is an error."""
    for p in problems:
        if p.severity != "error":
            logger.warning("%s", p)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)


# --------------------------------------------------------------------------- raw tables
def read_raw(
    path: PathOrStr,
    *,
    kind: str | None = None,
    layer: str | None = None,
    find_table: bool = False,
) -> RawTable:
    """Read a file's table as it is (original headers), for the validators (internal).

    ``kind`` ("villages"/"sites") helps choose among several sheets or layers. With
    ``find_table`` (the village and site readers), the table is looked for below title
    rows, report rows (totals, signatures, STT) are left out and every sheet holding a
    table is read (:mod:`covgap.io.sheets`); without, the first row is the header.
    """
    path = _existing(path)
    suffix = path.suffix.lower()
    if suffix in (*TABLE_SUFFIXES, *EXCEL_SUFFIXES):
        grids, info = read_grids(path, layer=layer, find_table=find_table)
        return _raw.table_from_grids(path, grids, kind, info, find_table=find_table)
    if suffix in GEO_SUFFIXES:
        return _read_geo(path, kind, layer)
    raise DataFileError(
        f"{path}: unknown table format {suffix!r}; use CSV, .xlsx, GeoJSON, GeoPackage, "
        "Shapefile (.shp or zipped) or KML"
    )


def read_grids(
    path: PathOrStr, *, layer: str | None = None, find_table: bool = True
) -> tuple[dict[str | None, pd.DataFrame], dict]:
    """Read the cells of a CSV file or of a workbook's sheets, no header (internal).

    Returns the grids by sheet (``None`` for a CSV file) and what reading found
    (encoding, delimiter), for :func:`covgap.io.rawtables.table_from_grids`.
    """
    path = _existing(path)
    if path.suffix.lower() in TABLE_SUFFIXES:
        grid, info = _raw.csv_grid(path, find_header=find_table)
        return {None: grid}, info
    return dict(_raw.excel_grids(path, layer)), {}


def _existing(path: PathOrStr) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    if path.is_dir():
        raise DataFileError(f"{path}: is a folder, not a file")
    return path


def _score(columns: Iterable[object], kind: str | None) -> int:
    kinds = [kind] if kind in ("villages", "sites") else ["villages", "sites"]
    return max(len(_aliases.match_columns(columns, k)[0]) for k in kinds)


def _read_geo(path: Path, kind: str | None, layer: str | None) -> RawTable:
    try:
        layers: list[str] = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is not None:
            names = [layer]
        elif path.suffix.lower() in (".kml", ".kmz"):
            names = layers  # KML folders: read them all
        else:
            names = [max(layers, key=lambda n: _score(_fields(path, n), kind))] if layers else []
        parts = [gpd.read_file(path, layer=n) for n in names]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable geodata file or layer: {exc}") from exc
    parts = [p for p in parts if len(p)] or parts[:1]
    if not parts:
        return RawTable(pd.DataFrame(), str(path))
    gdf = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if path.suffix.lower() in (".kml", ".kmz"):
        # Placemark attributes LIBKML adds; a filled-in description is kept.
        drop = [
            c
            for c in frame.columns
            if c.lower() in _KML_BOILERPLATE
            and not (c.lower() == "description" and frame[c].notna().any())
        ]
        frame = frame.drop(columns=drop)
    geometry = gdf.geometry if gdf.geometry.notna().any() else None
    return RawTable(frame, str(path), geometry, gdf.crs)


def _fields(path: Path, layer: str) -> list[str]:
    return list(pyogrio.read_info(path, layer=layer)["fields"])


# ---------------------------------------------------------------------------------- DEM
def read_dem(
    paths: PathOrStr | Iterable[PathOrStr], *, max_fill_cells: int = MAX_FILL_CELLS
) -> Terrain:
    """Read one or more DEM files into a :class:`~covgap.io.terrain.Terrain`.

    GeoTIFF in any CRS, SRTM ``.hgt`` and ``.hgt.zip`` tiles and anything else GDAL
    reads. Several files are mosaicked (the first file wins where they overlap) in the
    first file's CRS; files in another CRS are reprojected (bilinear).

    Voids (SRTM -32768) and nodata cells are never heights: they become NaN. Void
    regions of at most ``max_fill_cells`` cells are filled by interpolation
    (:func:`rasterio.fill.fillnodata`); larger holes stay NaN. The number of filled cells
    is logged and recorded in ``Terrain.meta["filled_cells"]``.

    Parameters
    ----------
    paths
        A DEM file or a list of them.
    max_fill_cells
        Largest void (connected cells) that is filled; 0 fills nothing.

    Returns
    -------
    Terrain
        float32 heights in metres, in the (first) file's native CRS.

    Raises
    ------
    DataFileError
        A file is missing, unreadable or has no CRS.
    """
    files = [paths] if isinstance(paths, (str, PathLike)) else list(paths)
    if not files:
        raise InputError("read_dem: no DEM file given")
    files = [_existing(p) for p in files]
    with ExitStack() as stack:
        datasets = [stack.enter_context(_open_raster(p)) for p in files]
        first = datasets[0]
        if len(datasets) == 1:
            heights = first.read(1, masked=True).astype("float32").filled(np.nan)
            transform = first.transform
        else:
            sources = [
                ds
                if ds.crs == first.crs
                else stack.enter_context(
                    WarpedVRT(ds, crs=first.crs, resampling=Resampling.bilinear)
                )
                for ds in datasets
            ]
            with warnings.catch_warnings():  # rasterio.merge still multiplies Affines with *
                warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)
                mosaic, transform = merge(sources, nodata=np.nan, dtype="float32")
            heights = mosaic[0]
        crs = CRS.from_user_input(first.crs)
    heights = np.where(heights <= VOID + 1, np.nan, heights).astype("float32")
    voids = int(np.isnan(heights).sum())
    heights, filled = _fill_small_voids(heights, max_fill_cells)
    if filled:
        logger.info("DEM: filled %d void cell(s) by interpolation", filled)
    remaining = voids - filled
    if remaining:
        logger.info("DEM: %d cell(s) without data stay NaN", remaining)
    meta = {"files": [str(f) for f in files], "filled_cells": filled, "void_cells": remaining}
    try:
        return Terrain(heights, transform, crs, ", ".join(f.name for f in files), meta)
    except ValueError as exc:
        raise DataFileError(f"{files[0]}: unsupported DEM grid: {exc}") from exc


def _open_raster(path: Path) -> rasterio.DatasetReader:
    target = str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(RASTER_SUFFIXES)]
        except zipfile.BadZipFile as exc:
            raise DataFileError(f"{path}: not a readable zip file") from exc
        if not members:
            raise DataFileError(f"{path}: the zip file holds no DEM raster (.hgt, .tif)")
        target = f"/vsizip/{path.resolve()}/{members[0]}"
    try:
        ds = rasterio.open(target)
    except RasterioIOError as exc:
        raise DataFileError(f"{path}: cannot read as a DEM raster: {exc}") from exc
    if ds.crs is None:
        ds.close()
        raise DataFileError(f"{path}: the DEM has no CRS; add one (e.g. gdal_edit -a_srs)")
    return ds


def _fill_small_voids(heights: np.ndarray, max_cells: int) -> tuple[np.ndarray, int]:
    void = np.isnan(heights)
    if max_cells <= 0 or not void.any() or void.all():
        return heights, 0
    labels, _ = ndimage.label(void)
    sizes = np.bincount(labels.ravel())
    small = sizes <= max_cells
    small[0] = False
    to_fill = small[labels]
    if not to_fill.any():
        return heights, 0
    source = np.where(void, 0, heights).astype("float32")
    filled = fillnodata(source, mask=~void, max_search_distance=_FILL_SEARCH_CELLS)
    out = np.where(to_fill, filled, heights).astype("float32")
    done = to_fill & np.isfinite(out)
    out[to_fill & ~done] = np.nan
    return out, int(done.sum())


# -------------------------------------------------------------------------------- admin
def read_admin(path: PathOrStr, layer: str) -> gpd.GeoDataFrame:
    """Read administrative units (district or commune polygons) in EPSG:4326.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile... with the polygons.
    layer
        Layer name, e.g. ``"districts"`` or ``"communes"``.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    DataFileError
        The file or the layer is missing or unreadable.
    ValidationError
        The layer has no CRS and its coordinates are not degrees.
    """
    path = _existing(path)
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer not in layers and len(layers) > 1:
            raise DataFileError(f"{path}: no layer {layer!r}; layers are {layers}")
        gdf = gpd.read_file(path, layer=layer if layer in layers else None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(f"{path}: cannot read layer {layer!r}: {exc}") from exc
    if gdf.crs is None:
        left, bottom, right, top = gdf.total_bounds
        if not (-180 <= left <= right <= 180 and -90 <= bottom <= top <= 90):
            raise ValidationError(
                [
                    Problem(
                        str(path),
                        f"layer {layer!r} has no CRS and its coordinates are not degrees",
                        hint="set the layer's CRS (e.g. ogr2ogr -a_srs EPSG:9205)",
                    )
                ]
            )
        gdf = gdf.set_crs(4326)
    return gdf.to_crs(4326)
