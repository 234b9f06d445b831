"""Positions and the cell primitives they share with :mod:`covgap.io.tables` (internal).

Turns position columns (lon/lat in decimal degrees, degrees-minutes-seconds or
degrees-decimal-minutes: :mod:`covgap.io.angles`; or projected x/y with a CRS), a layer's
geometry and the cluster columns of villages into WGS 84 lon/lat, and reports rows with
no position, positions outside Vietnam, swapped lon/lat or X/Y, and metres read as degrees.

It also holds the primitives both modules need, so that :mod:`covgap.io.tables` imports
this module and never the reverse: :class:`_Report` (which turns data positions into the
rows of the sheet), :func:`_row`, :func:`_as_text`, :func:`_filled`, :func:`_numbers`,
:func:`_degrees`, :class:`RawTable` and the constants :data:`VIETNAM` and ``_CLUSTERS``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from ..errors import Problem
from .angles import parse_degrees

# Messages keep the logger name they had before this module was split off covgap.io.validate.
logger = logging.getLogger("covgap.io.validate")


@dataclass
class RawTable:
    """A table as read from a file, before columns are mapped (internal).

    ``rows`` holds the sheet (or file line) row of every data row and ``sheets`` its
    sheet, when the table does not start on row 1 of one sheet (``None``: row =
    position + 2); ``info`` records how it was read (sheets, header rows, skipped rows
    and columns, encoding) for the read summary.
    """

    frame: pd.DataFrame
    file: str
    geometry: gpd.GeoSeries | None = None
    crs: CRS | None = None
    rows: np.ndarray | None = None
    sheets: np.ndarray | None = None
    info: dict = field(default_factory=dict)


#: Vietnam's extent in WGS 84 (lon_min, lon_max, lat_min, lat_max) for plausibility checks.
VIETNAM = (102.1, 109.5, 8.1, 23.4)
_CLUSTERS = (("cluster_1_lon", "cluster_1_lat"), ("cluster_2_lon", "cluster_2_lat"))
_CRS_HINT = (
    "pass the CRS of the x/y columns, e.g. crs='EPSG:9205' (covgap --crs EPSG:9205) for "
    "VN-2000 / TM-3 103-00 metres (Lai Châu) or EPSG:32648 for UTM 48N"
)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")


class _Report:
    """Collects problems of one file.

    ``row`` arguments are :func:`_row` of the data row's position; with ``rows`` (and
    ``sheets``) the report turns them into the real sheet row (and names the sheet).
    """

    def __init__(
        self, file: str, rows: np.ndarray | None = None, sheets: np.ndarray | None = None
    ) -> None:
        self.file = file
        self.rows = rows
        self.sheets = sheets
        self.problems: list[Problem] = []

    def locate(self, row: int | None) -> tuple[str, int | None]:
        """Return the file (with its sheet) and the sheet row of a :func:`_row` number."""
        if row is None or self.rows is None or not 0 <= row - 2 < len(self.rows):
            return self.file, row
        file = self.file
        if self.sheets is not None:
            file = f"{file}, sheet {self.sheets[row - 2]!r}"
        return file, int(self.rows[row - 2])

    def where(self, position: int) -> str:
        """``"row 9"`` (``"sheet 'VNPT' row 9"``) for the data row at ``position``."""
        file, row = self.locate(_row(position))
        sheet = file[len(self.file) + 2 :] if file != self.file else ""
        return f"{sheet} row {row}" if sheet else f"row {row}"

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str = "",
        severity: str = "error",
    ) -> None:
        file, row = self.locate(row)
        self.problems.append(Problem(file, message, row, column, hint, severity))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _row(position: int) -> int:
    """Spreadsheet row of the data row at ``position`` (header is row 1)."""
    return int(position) + 2


# ------------------------------------------------------------------------- cell parsers
def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def _filled(series: pd.Series) -> np.ndarray:
    """Vectorised ``_as_text(v) is not None`` of every cell."""
    values = pd.Series(series, dtype=object)
    return (values.notna() & (values.astype(str).str.strip() != "")).to_numpy()


def _plain_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised fast path: the numbers pandas reads as they are, and which cells remain."""
    values = pd.to_numeric(pd.Series(series, dtype=object), errors="coerce").to_numpy(float)
    done = np.isfinite(values) | series.isna().to_numpy()
    return np.where(np.isfinite(values), values, np.nan), done


def _numbers(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    """Parse numbers (decimal comma and spaces allowed); report the cells that are not."""
    out, done = _plain_numbers(series)
    for i in np.flatnonzero(~done):
        value = series.iloc[i]
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[i] = float(value)
            continue
        text = _as_text(value)
        if text is None:
            continue
        text = re.sub(r"[\s\u00a0\u202f]", "", text)
        if _DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        try:
            out[i] = float(text)
        except ValueError:
            rep.add(
                f"not a number: {value!r}",
                row=_row(i),
                column=column,
                hint="write a plain number such as 12.5",
            )
    return pd.Series(out, index=series.index)


def _degrees(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    """Parse angles: decimal degrees, DMS or DDM (:func:`covgap.io.angles.parse_degrees`).

    Cells that are no angle (``"546 960.8"``: minutes over 60) are read as plain numbers,
    so that metres in a degree column are still found and reported as such.
    """
    out, done = _plain_numbers(series)
    rest: dict[int, object] = {}
    for i in np.flatnonzero(~done):
        value = series.iloc[i]
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[i] = float(value)
            continue
        text = _as_text(value)
        if text is None:
            continue
        angle = parse_degrees(text)
        if angle is None:
            rest[i] = value
        else:
            out[i] = angle
    if rest:
        numbers = _numbers(pd.Series(list(rest.values()), dtype=object), column, _Report(""))
        for (i, value), number in zip(rest.items(), numbers, strict=True):
            if np.isnan(number):
                rep.add(
                    f"not a position: {value!r}",
                    row=_row(i),
                    column=column,
                    hint="write decimal degrees (22.3961) or degrees-minutes-seconds "
                    "(22°23'45.6\"N)",
                )
            out[i] = number
    return pd.Series(out, index=series.index)


# ---------------------------------------------------------------------------- positions
def _in_vietnam(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon0, lon1, lat0, lat1 = VIETNAM
    return (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)


@lru_cache(maxsize=32)
def _transformer(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), "EPSG:4326", always_xy=True)


def _to_wgs84(xs: np.ndarray, ys: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinates to lon/lat (WGS 84); NaN stays NaN."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if crs.equals(CRS.from_epsg(4326)):
        return xs.copy(), ys.copy()
    lon, lat = np.full(xs.shape, np.nan), np.full(xs.shape, np.nan)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if ok.any():
        lon[ok], lat[ok] = _transformer(crs.to_wkt()).transform(xs[ok], ys[ok])
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad], lat[bad] = np.nan, np.nan
    return lon, lat


def _parse_crs(crs: object, rep: _Report) -> CRS | None:
    if crs is None:
        return None
    try:
        return CRS.from_user_input(crs)
    except CRSError:
        rep.add(f"unknown CRS {crs!r}", hint="give an EPSG code such as EPSG:9205")
        return None


def _check_lonlat(
    lon: np.ndarray,
    lat: np.ndarray,
    cols: tuple[str, str],
    degrees: bool,
    given: np.ndarray,
    rep: _Report,
) -> None:
    """Report rows with no position, outside Vietnam, or with lat/lon swapped."""
    inside = _in_vietnam(lon, lat)
    swapped = _in_vietnam(lat, lon)
    lon0, lon1, lat0, lat1 = VIETNAM
    for i in np.flatnonzero(~inside):
        if not given[i]:
            rep.add("no position", row=_row(i), column=cols[0], hint="fill in both coordinates")
        elif np.isnan(lon[i]) or np.isnan(lat[i]):
            continue  # the cell was already reported as not a number
        elif degrees and swapped[i]:
            rep.add(
                f"longitude {lon[i]:.5f} and latitude {lat[i]:.5f} look swapped",
                row=_row(i),
                column=cols[0],
                hint="longitude (Kinh độ) is 102–110 °E and latitude (Vĩ độ) 8–23 °N "
                "in Vietnam; swap the two values or columns",
            )
        else:
            col = cols[0] if not lon0 <= lon[i] <= lon1 else cols[1]
            rep.add(
                f"position ({lon[i]:.5f} E, {lat[i]:.5f} N) is outside Vietnam",
                row=_row(i),
                column=col,
                hint=f"Vietnam spans lon {lon0}–{lon1}, lat {lat0}–{lat1}; check the "
                "value, or the CRS of projected coordinates",
            )


def _column_positions(
    frame: pd.DataFrame, names: dict[str, str], crs: CRS | None, rep: _Report
) -> tuple[np.ndarray, np.ndarray]:
    n = len(frame)
    has_ll = "lon" in names and "lat" in names
    has_xy = "x" in names and "y" in names
    if not (has_ll or has_xy):
        rep.add(
            "no position columns",
            hint="give lon/lat (Kinh độ/Vĩ độ) in degrees, or x/y (Tọa độ X/Y, "
            "Easting/Northing) with their CRS",
        )
        return np.full(n, np.nan), np.full(n, np.nan)
    xkey, ykey = ("x", "y") if has_xy and (crs is not None or not has_ll) else ("lon", "lat")
    xcol, ycol = names[xkey], names[ykey]
    parse = _degrees if xkey == "lon" or crs is None or crs.is_geographic else _numbers
    xs = parse(frame[xcol], xcol, rep).to_numpy(copy=True)
    ys = parse(frame[ycol], ycol, rep).to_numpy(copy=True)
    given = _filled(frame[xcol]) & _filled(frame[ycol])
    largest = np.nanmax(np.abs(np.r_[xs, ys, 0.0]))
    if xkey == "lon" and crs is not None and not crs.is_geographic and largest <= 360:
        crs = None  # lon/lat columns in degrees are WGS 84; ``crs`` is for x/y columns
    if crs is None or crs.is_geographic:
        metres = (np.abs(xs) > 180) | (np.abs(ys) > 180)
        if metres.sum() and metres.sum() * 2 >= np.isfinite(xs).sum():
            rep.add(
                f"columns {xcol!r}/{ycol!r} hold metres, not degrees", column=xcol, hint=_CRS_HINT
            )
            return np.full(n, np.nan), np.full(n, np.nan)
        for i in np.flatnonzero(metres):
            rep.add(
                f"coordinates ({xs[i]:g}, {ys[i]:g}) look like metres, not degrees",
                row=_row(i),
                column=xcol,
                hint=_CRS_HINT,
            )
        xs[metres], ys[metres] = np.nan, np.nan
        lon, lat = _to_wgs84(xs, ys, crs) if crs is not None else (xs, ys)
        _check_lonlat(lon, lat, (xcol, ycol), True, given, rep)
        return lon, lat
    if largest <= 360:
        rep.add(
            f"columns {xcol!r}/{ycol!r} hold degrees, but the CRS {crs.name} is in metres",
            column=xcol,
            hint="drop the crs option for lon/lat in WGS 84",
        )
        return np.full(n, np.nan), np.full(n, np.nan)
    xs, ys = _maybe_swap_xy(xs, ys, (xcol, ycol), crs, rep)
    lon, lat = _to_wgs84(xs, ys, crs)
    _check_lonlat(lon, lat, (xcol, ycol), False, given, rep)
    return lon, lat


def _maybe_swap_xy(
    xs: np.ndarray, ys: np.ndarray, cols: tuple[str, str], crs: CRS, rep: _Report
) -> tuple[np.ndarray, np.ndarray]:
    """Read X as northing and Y as easting when only that order lands in Vietnam.

    Vietnamese surveys follow the geodetic convention: X is the northing, Y the easting.
    """
    if not np.isfinite(xs).any() or not np.isfinite(ys).any():
        return xs, ys
    mx, my = np.nanmedian(xs), np.nanmedian(ys)
    as_given = _in_vietnam(*_to_wgs84(np.array([mx]), np.array([my]), crs))[0]
    swapped = _in_vietnam(*_to_wgs84(np.array([my]), np.array([mx]), crs))[0]
    if as_given or not swapped:
        return xs, ys
    rep.add(
        f"column {cols[0]!r} holds northings (about {mx:,.0f} m) and {cols[1]!r} "
        f"eastings (about {my:,.0f} m), the VN-2000 survey convention (X = northing); "
        "they were read that way",
        column=cols[0],
        severity="warning",
        hint="name the columns Northing/Easting to silence this warning",
    )
    return ys, xs


def _geometry_positions(
    raw: RawTable, crs: CRS | None, rep: _Report
) -> tuple[np.ndarray, np.ndarray]:
    geom = raw.geometry
    assert geom is not None
    n = len(geom)
    src = CRS.from_user_input(raw.crs) if raw.crs is not None else crs
    if src is None:
        left, bottom, right, top = geom.total_bounds
        if not (-180 <= left <= right <= 180 and -90 <= bottom <= top <= 90):
            rep.add(
                "the layer has no CRS and its coordinates are not degrees",
                column="geometry",
                hint=_CRS_HINT,
            )
            return np.full(n, np.nan), np.full(n, np.nan)
        logger.info("%s: layer without CRS read as WGS 84 degrees", rep.file)
        src = CRS.from_epsg(4326)
    empty = geom.isna() | geom.is_empty
    not_point = ~empty & (geom.geom_type != "Point")
    if not_point.any():
        rep.add(
            f"{int(not_point.sum())} feature(s) are not points; their representative point is used",
            column="geometry",
            severity="warning",
        )
    points = geom.where(~not_point, geom.representative_point())
    xs = np.where(empty, np.nan, points.x.where(~empty))
    ys = np.where(empty, np.nan, points.y.where(~empty))
    lon, lat = _to_wgs84(xs, ys, src)
    _check_lonlat(lon, lat, ("geometry", "geometry"), src.is_geographic, ~empty.to_numpy(), rep)
    return lon, lat


def _cluster_positions(
    frame: pd.DataFrame, names: dict[str, str], crs: CRS | None, rep: _Report
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for lon_key, lat_key in _CLUSTERS:
        n = len(frame)
        lon, lat = np.full(n, np.nan), np.full(n, np.nan)
        if lon_key in names or lat_key in names:
            if not (lon_key in names and lat_key in names):
                present = names.get(lon_key) or names[lat_key]
                rep.add(
                    f"{lon_key.rsplit('_', 1)[0]} needs both a longitude and a latitude column",
                    column=present,
                )
            else:
                xcol, ycol = names[lon_key], names[lat_key]
                xs = _degrees(frame[xcol], xcol, rep).to_numpy(copy=True)
                ys = _degrees(frame[ycol], ycol, rep).to_numpy(copy=True)
                half = np.isfinite(xs) != np.isfinite(ys)
                for i in np.flatnonzero(half):
                    rep.add("cluster point has only one coordinate", row=_row(i), column=xcol)
                metres = np.nanmax(np.abs(np.r_[xs, 0.0])) > 360
                src = crs if (metres and crs is not None and not crs.is_geographic) else None
                lon, lat = _to_wgs84(xs, ys, src) if src is not None else (xs, ys)
                both = np.isfinite(lon) & np.isfinite(lat)
                bad = both & ~_in_vietnam(lon, lat)
                for i in np.flatnonzero(bad):
                    rep.add(
                        f"cluster point ({xs[i]:g}, {ys[i]:g}) is not a position in Vietnam",
                        row=_row(i),
                        column=xcol,
                        hint="cluster columns hold lon/lat degrees in WGS 84",
                    )
                lon, lat = np.where(both & ~bad, lon, np.nan), np.where(both & ~bad, lat, np.nan)
        out[lon_key], out[lat_key] = lon, lat
    return out


def add_local_xy(table: pd.DataFrame, local_crs: str = "EPSG:9205") -> pd.DataFrame:
    """Add the national-grid coordinates ``easting_m`` and ``northing_m`` from lon/lat.

    VN-2000 TM-3 (EPSG:9205 for Lai Châu) is the grid of official documents; PROJ applies
    the datum shift from WGS 84 (≈ 223 m at Lai Châu city). Note that Vietnamese survey
    practice calls the northing *X* and the easting *Y*.

    Parameters
    ----------
    table
        With ``lon`` and ``lat`` in WGS 84.
    local_crs
        Target CRS (any projected CRS pyproj knows).

    Returns
    -------
    pandas.DataFrame
        A copy with ``easting_m`` and ``northing_m`` (rounded to 0.1 m) after ``lat``.
    """
    out = table.copy()
    to_local = Transformer.from_crs("EPSG:4326", CRS.from_user_input(local_crs), always_xy=True)
    x, y = to_local.transform(out["lon"].to_numpy(dtype=float), out["lat"].to_numpy(dtype=float))
    at = list(out.columns).index("lat") + 1
    for offset, (col, values) in enumerate((("easting_m", x), ("northing_m", y))):
        if col in out:
            out = out.drop(columns=col)
        out.insert(at + offset, col, np.round(np.asarray(values, dtype=float), 1))
    return out
