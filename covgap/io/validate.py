"""Validation that reports every problem in a file at once.

Each finding is a :class:`~covgap.errors.Problem` with the file, the spreadsheet row
(the header is row 1), the column as the user named it, and a hint. The readers in
:mod:`covgap.io` raise one :class:`~covgap.errors.ValidationError` with all of them;
:func:`validate_file` (``covgap validate FILE...``) returns them instead.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
from pyproj import Transformer

import covgap.io.aliases as _aliases
import covgap.io.readers as io

from ..errors import DataFileError, InputError, Problem
from .notes import LIST_LIMIT
from .rawtables import table_from_grids
from .summary import ATTR, ReadSummary, row_ranges
from .tables import _CLUSTERS, _Report, _row, build_table_summary
from .tables import RANGES as RANGES  # re-exported: covgap.io.validate.RANGES
from .tables import VIETNAM as VIETNAM  # re-exported: covgap.io.validate.VIETNAM
from .terrain import Terrain

__all__ = ["FileCheck", "check_file", "check_within_terrain", "detect_kind", "validate_file"]

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
        One error per point that has no terrain height; more than :data:`LIST_LIMIT` of
        one kind give one error with their count, the first rows and, for points outside
        the DEM, the DEM's extent against the points' extent.
    """
    summary = gdf.attrs.get(ATTR)
    if summary is not None and summary.rows is not None and len(summary.rows) == len(gdf):
        rep = _Report(file, summary.rows, summary.row_sheets)  # rows as the sheet numbers them
    else:
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
        where = np.flatnonzero(ok)
        outside, void = where[~inside], where[inside & np.isnan(height)]
        _terrain_problems(rep, label, column, lon, lat, outside, "is outside the DEM",
                          "use a DEM that covers every village and site (add tiles)",
                          extents=(terrain, lon[ok], lat[ok]))  # fmt: skip
        _terrain_problems(rep, label, column, lon, lat, void, "lies over a DEM void (no height)",
                          "fill the DEM void or use another DEM source")  # fmt: skip
    return rep.problems


def _terrain_problems(
    rep: _Report,
    label: str,
    column: str | None,
    lon: np.ndarray,
    lat: np.ndarray,
    found: np.ndarray,
    what: str,
    hint: str,
    extents: tuple[Terrain, np.ndarray, np.ndarray] | None = None,
) -> None:
    """One problem per point, or one summary when there are more than :data:`LIST_LIMIT`."""
    if len(found) <= LIST_LIMIT:
        for i in found:
            rep.add(f"{label} ({lon[i]:.5f} E, {lat[i]:.5f} N) {what}", row=_row(i),
                    column=column, hint=hint)  # fmt: skip
        return
    if rep.sheets is None:
        first = "rows " + row_ranges([rep.locate(_row(i))[1] for i in found], LIST_LIMIT)
    else:
        first = ", ".join(rep.where(i) for i in found[:LIST_LIMIT]) + ", …"
    if extents is not None:
        terrain, lons, lats = extents
        west, south, east, north = Transformer.from_crs(
            terrain.crs, "EPSG:4326", always_xy=True
        ).transform_bounds(*terrain.bounds)
        hint = (
            f"the DEM covers lon {west:.3f}–{east:.3f}, lat {south:.3f}–{north:.3f}; the "
            f"points span lon {np.min(lons):.3f}–{np.max(lons):.3f}, lat "
            f"{np.min(lats):.3f}–{np.max(lats):.3f}; {hint}"
        )
    plural = "positions" if label == "position" else f"{label} points"
    rep.add(
        f"{len(found)} {plural} {what.replace('is ', 'are ').replace('lies ', 'lie ')} ({first})",
        column=column,
        hint=hint,
    )


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
    return _kind_of(path, list(io.read_raw(path, find_table=True).frame.columns))


def _kind_of(path: Path, columns: list[object]) -> Kind:
    """Villages or sites, by which alias table the headers match better."""
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


@dataclass(frozen=True)
class FileCheck:
    """What :func:`check_file` found: the kind, every problem, and what was read."""

    kind: str
    problems: list[Problem]
    summary: ReadSummary | None = None


def validate_file(
    path: str | PathLike,
    *,
    kind: Kind | None = None,
    crs: object = None,
    terrain: Terrain | None = None,
    layer: str | None = None,
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
    layer
        Sheet of a workbook or layer of a geodata file; ``None`` reads every sheet that
        holds a table of the kind.

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
    found = check_file(path, kind=kind, crs=crs, terrain=terrain, layer=layer)
    return found.kind, found.problems


def check_file(
    path: str | PathLike,
    *,
    kind: Kind | None = None,
    crs: object = None,
    terrain: Terrain | None = None,
    layer: str | None = None,
) -> FileCheck:
    """:func:`validate_file`, with the :class:`~covgap.io.summary.ReadSummary` of a table.

    ``covgap validate`` prints the summary (rows, sheets, columns used and not used, rows
    skipped, CRS) above the problems.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    file = str(path)
    if path.is_file() and path.stat().st_size == 0:
        return FileCheck(kind or "unknown", [Problem(file, "the file is empty")])
    raw = None
    try:
        if kind is None and path.suffix.lower() in (*io.TABLE_SUFFIXES, *io.EXCEL_SUFFIXES):
            # Read the cells once: the kind from the headers, then the table of that kind.
            try:
                grids, info = io.read_grids(path, layer=layer)
            except DataFileError as exc:
                return FileCheck("unknown", [Problem(file, f"unreadable: {exc}")])
            found = table_from_grids(path, grids, None, dict(info))
            kind = _kind_of(path, list(found.frame.columns))
            raw = table_from_grids(path, grids, kind, dict(info))
        kind = kind or detect_kind(path)
    except (InputError, DataFileError) as exc:
        return FileCheck(
            "unknown", [Problem(file, str(exc), hint="pass --kind villages|sites|dem")]
        )
    if kind == "dem":
        return FileCheck(kind, _validate_dem(path))
    try:
        if raw is None:
            raw = io.read_raw(path, kind=kind, layer=layer, find_table=True)
    except DataFileError as exc:
        return FileCheck(kind, [Problem(file, f"unreadable: {exc}")])
    gdf, problems, summary = build_table_summary(raw, kind, crs=crs)
    if terrain is not None and gdf is not None:
        problems += check_within_terrain(gdf, terrain, file=file)
    return FileCheck(kind, problems, summary)


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
