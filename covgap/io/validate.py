"""Validation that reports every problem in a file at once.

Each finding is a :class:`~covgap.errors.Problem` with the file, the spreadsheet row
(the header is row 1), the column as the user named it, and a hint. The readers in
:mod:`covgap.io` raise one :class:`~covgap.errors.ValidationError` with all of them;
:func:`validate_file` (``covgap validate FILE...``) returns them instead.
"""

from __future__ import annotations

import logging
import zipfile
from os import PathLike
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
from pyproj import Transformer

import covgap.io.aliases as _aliases
import covgap.io.readers as io

from ..errors import DataFileError, InputError, Problem
from .tables import _CLUSTERS, _Report, _row, build_table
from .tables import RANGES as RANGES  # re-exported: covgap.io.validate.RANGES
from .tables import VIETNAM as VIETNAM  # re-exported: covgap.io.validate.VIETNAM
from .terrain import Terrain

__all__ = ["check_within_terrain", "detect_kind", "validate_file"]

logger = logging.getLogger(__name__)

Kind = Literal["villages", "sites", "dem"]

_POSITION = ("lon", "lat", "x", "y")


# ------------------------------------------------------------------------- public checks
def check_within_terrain(gdf: gpd.GeoDataFrame, terrain: Terrain, *, file: str) -> list[Problem]:
    """Report points (centres and cluster points) outside the DEM or over its voids.

    Parameters
    ----------
    gdf
        A canonical village or site table as the readers return it (one row per input
        row, so that row ``i`` is spreadsheet row ``i + 2``).
    terrain
        The DEM the analysis will use.
    file
        File name to put in the problems.

    Returns
    -------
    list of Problem
        One error per point that has no terrain height.
    """
    rep = _Report(file)
    valid = gdf.geometry.notna() & ~gdf.geometry.is_empty
    centre_x = np.where(valid, gdf.geometry.x.where(valid), np.nan)
    centre_y = np.where(valid, gdf.geometry.y.where(valid), np.nan)
    sets = [("position", None, centre_x, centre_y)]
    for lon_key, lat_key in _CLUSTERS:
        if lon_key in gdf.columns and lat_key in gdf.columns:
            sets.append(
                (
                    lon_key.rsplit("_", 1)[0].replace("_", " "),
                    lon_key,
                    gdf[lon_key].to_numpy(float),
                    gdf[lat_key].to_numpy(float),
                )
            )
    to_dem = Transformer.from_crs("EPSG:4326", terrain.crs, always_xy=True)
    rows, cols = terrain.shape
    for label, column, lon, lat in sets:
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            continue
        xs, ys = to_dem.transform(lon[ok], lat[ok])
        c, r = ~terrain.transform @ (np.asarray(xs), np.asarray(ys))
        c, r = np.floor(c).astype(int), np.floor(r).astype(int)
        inside = (c >= 0) & (c < cols) & (r >= 0) & (r < rows)
        height = np.full(len(c), np.nan)
        height[inside] = terrain.heights[r[inside], c[inside]]
        for k, i in enumerate(np.flatnonzero(ok)):
            where = f"{label} ({lon[i]:.5f} E, {lat[i]:.5f} N)"
            if not inside[k]:
                rep.add(
                    f"{where} is outside the DEM",
                    row=_row(i),
                    column=column,
                    hint="use a DEM that covers every village and site (add tiles)",
                )
            elif np.isnan(height[k]):
                rep.add(
                    f"{where} lies over a DEM void (no height)",
                    row=_row(i),
                    column=column,
                    hint="fill the DEM void or use another DEM source",
                )
    return rep.problems


def detect_kind(path: str | PathLike) -> Kind:
    """Tell from its contents whether a file holds villages, sites or a DEM.

    Rasters (GeoTIFF, SRTM ``.hgt``/``.hgt.zip``...) are DEMs; tables are villages or
    sites by which of the two alias tables their headers match better.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    {"villages", "sites", "dem"}

    Raises
    ------
    DataFileError
        The file is missing or unreadable.
    InputError
        The headers fit neither a village nor a site table.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in io.RASTER_SUFFIXES or _zip_holds_raster(path):
        return "dem"
    if suffix not in (*io.TABLE_SUFFIXES, *io.EXCEL_SUFFIXES, *io.GEO_SUFFIXES):
        import rasterio
        from rasterio.errors import RasterioIOError

        try:
            with rasterio.open(path):
                return "dem"
        except RasterioIOError as exc:
            raise DataFileError(f"{path}: neither a table nor a raster") from exc
    columns = list(io.read_raw(path).frame.columns)
    scores = {k: _kind_score(columns, k) for k in ("villages", "sites")}
    if max(scores.values()) == 0 or scores["villages"] == scores["sites"]:
        raise InputError(
            f"{path}: cannot tell from its headers whether it holds villages or sites "
            f"(headers: {', '.join(map(str, columns[:12]))})"
        )
    return "villages" if scores["villages"] > scores["sites"] else "sites"


def _zip_holds_raster(path: Path) -> bool:
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.lower().endswith(io.RASTER_SUFFIXES) for n in zf.namelist())


def _kind_score(columns: list[object], kind: str) -> int:
    """Count the headers that only a table of ``kind`` would have."""
    mapping, _ = _aliases.match_columns(columns, kind)
    generic = {"name", "commune", "district", "elevation_m", *_POSITION}
    return sum(1 for c in mapping.values() if c not in generic)


def validate_file(
    path: str | PathLike,
    *,
    kind: Kind | None = None,
    crs: object = None,
    terrain: Terrain | None = None,
) -> tuple[str, list[Problem]]:
    """Check a villages, sites or DEM file and return every problem found.

    This never raises for bad content: an unreadable or empty file is a problem too.

    Parameters
    ----------
    path
        The file to check.
    kind
        ``"villages"``, ``"sites"`` or ``"dem"``; detected from the contents when ``None``.
    crs
        CRS of projected x/y columns (e.g. ``"EPSG:9205"``).
    terrain
        When given, villages and sites are also checked to lie on it.

    Returns
    -------
    kind
        The kind checked (``"unknown"`` when it could not be told).
    problems
        Errors and warnings, in file order.

    Raises
    ------
    DataFileError
        The file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    file = str(path)
    if path.is_file() and path.stat().st_size == 0:
        return kind or "unknown", [Problem(file, "the file is empty")]
    try:
        kind = kind or detect_kind(path)
    except (InputError, DataFileError) as exc:
        return "unknown", [Problem(file, str(exc), hint="pass --kind villages|sites|dem")]
    if kind == "dem":
        return kind, _validate_dem(path)
    try:
        raw = io.read_raw(path, kind=kind)
    except DataFileError as exc:
        return kind, [Problem(file, f"unreadable: {exc}")]
    gdf, problems = build_table(raw, kind, crs=crs)
    if terrain is not None and gdf is not None:
        problems += check_within_terrain(gdf, terrain, file=file)
    return kind, problems


def _validate_dem(path: Path) -> list[Problem]:
    try:
        terrain = io.read_dem(path)
    except DataFileError as exc:
        return [Problem(str(path), f"unreadable DEM: {exc}")]
    problems = []
    voids = int(np.isnan(terrain.heights).sum())
    if voids == terrain.heights.size:
        problems.append(Problem(str(path), "the DEM holds no heights (all cells are nodata)"))
    elif voids:
        share = voids / terrain.heights.size
        problems.append(
            Problem(
                str(path),
                f"{voids} DEM cell(s) ({share:.1%}) have no height after filling small voids",
                hint="points over them cannot be predicted",
                severity="warning",
            )
        )
    return problems
