"""Table parsing behind :mod:`covgap.validate` and the readers of :mod:`covgap.io` (internal).

:func:`build_table` maps a raw table's headers to canonical names, parses every cell
(numbers with decimal commas, yes/no values, carriers, bands), turns positions (lon/lat,
projected x/y, or a layer's geometry) into WGS 84 and collects every problem on the way
in a :class:`_Report`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from . import _aliases, schema
from .errors import Problem

# Messages keep the logger name they had before this module was split off covgap.validate.
logger = logging.getLogger("covgap.validate")


@dataclass
class RawTable:
    """A table as read from a file, before columns are mapped (internal)."""

    frame: pd.DataFrame
    file: str
    geometry: gpd.GeoSeries | None = None
    crs: CRS | None = None


#: Vietnam's extent in WGS 84 (lon_min, lon_max, lat_min, lat_max) for plausibility checks.
VIETNAM = (102.1, 109.5, 8.1, 23.4)
#: Allowed ranges (inclusive) of numeric columns; ``None`` means unbounded.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "households": (0, None),
    "population": (0, None),
    "elevation_m": (-500, 9000),
    "height_m": (1, 200),
    "azimuth_deg": (0, 360),
    "tilt_deg": (-10, 30),
    "power_dbm": (0, 70),
    "gain_dbi": (0, 30),
    "beamwidth_deg": (1, 360),
}
_TEXT = {
    "villages": ("village_id", "name", "commune", "district", "commune_code", "district_code"),
    "sites": ("site_id", "sector_id", "site_name"),
}
_NUMERIC = {
    "villages": ("households", "population", "elevation_m"),
    "sites": ("height_m", "azimuth_deg", "tilt_deg", "power_dbm", "gain_dbi", "beamwidth_deg"),
}
_BOOLEAN = {"villages": ("grid_power", "especially_difficult"), "sites": ("fibre_backhaul",)}
_EXTRAS = {
    "villages": ("commune_code", "district_code", "elevation_m"),
    "sites": ("site_name",),
}
_CLUSTERS = (("cluster_1_lon", "cluster_1_lat"), ("cluster_2_lon", "cluster_2_lat"))
_CRS_HINT = (
    "pass the CRS of the x/y columns, e.g. crs='EPSG:9205' (covgap --crs EPSG:9205) for "
    "VN-2000 / TM-3 103-00 metres (Lai Châu) or EPSG:32648 for UTM 48N"
)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")


class _Report:
    """Collects problems of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str = "",
        severity: str = "error",
    ) -> None:
        self.problems.append(Problem(self.file, message, row, column, hint, severity))

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


def _texts(series: pd.Series) -> pd.Series:
    return pd.Series([_as_text(v) for v in series], index=series.index, dtype="str")


def _numbers(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    """Parse numbers (decimal comma and spaces allowed); report the cells that are not."""
    out = np.full(len(series), np.nan)
    for i, value in enumerate(series):
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


def _check_range(values: pd.Series, canonical: str, column: str, rep: _Report) -> None:
    lo, hi = RANGES[canonical]
    bad = values.notna() & (
        (values < lo if lo is not None else False) | (values > hi if hi is not None else False)
    )
    rule = f"at least {lo:g}" if hi is None else f"between {lo:g} and {hi:g}"
    for i in np.flatnonzero(bad.to_numpy()):
        rep.add(
            f"{canonical} = {values.iloc[i]:g} is out of range; it must be {rule}",
            row=_row(i),
            column=column,
        )


def _booleans(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    texts = [_as_text(v) for v in series]
    keys = {_aliases.normalise(t) for t in texts if t is not None}
    blank_false = keys == {"x"}  # a column ticked with "x": blank means no
    out: list[bool | None] = []
    for i, text in enumerate(texts):
        if text is None:
            out.append(False if blank_false else None)
            continue
        value = _aliases.parse_bool(text)
        if value is None:
            rep.add(
                f"not a yes/no value: {text!r}",
                row=_row(i),
                column=column,
                hint="use yes/no, true/false, 1/0, có/không, or x and blank",
            )
        out.append(value)
    return pd.Series(out, index=series.index, dtype="boolean")


def _categories(
    series: pd.Series, column: str, what: str, parse, known: list[str], rep: _Report
) -> pd.Series:
    out: list[object] = []
    for i, value in enumerate(series):
        text = _as_text(value)
        parsed = parse(text) if text is not None else None
        if parsed is None:
            rep.add(
                f"empty {what}" if text is None else f"unknown {what} {text!r}",
                row=_row(i),
                column=column,
                hint=f"known values: {', '.join(map(str, known))}",
            )
        out.append(parsed)
    return pd.Series(out, index=series.index, dtype=object)


def _band(text: str) -> int | None:
    mhz = _aliases.parse_band(text)
    return mhz if mhz in schema.BANDS_MHZ else None


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
    xs = _numbers(frame[xcol], xcol, rep).to_numpy(copy=True)
    ys = _numbers(frame[ycol], ycol, rep).to_numpy(copy=True)
    given = np.array(
        [
            _as_text(a) is not None and _as_text(b) is not None
            for a, b in zip(frame[xcol], frame[ycol], strict=True)
        ]
    )
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
                xs = _numbers(frame[xcol], xcol, rep).to_numpy(copy=True)
                ys = _numbers(frame[ycol], ycol, rep).to_numpy(copy=True)
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


# ------------------------------------------------------------------------ table builder
def build_table(
    raw: RawTable, kind: str, *, crs: object = None
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Map, parse and check a raw table; return the canonical table and every problem.

    The table is ``None`` when a required column is missing or the file is empty;
    otherwise it is returned even when some cells have errors (those become NA).
    """
    rep = _Report(raw.file)
    frame = raw.frame.reset_index(drop=True)
    if len(frame) == 0:
        rep.add(
            "the file is empty" if len(frame.columns) == 0 else "the file has no data rows",
            hint=f"a {kind} table needs a header row and one row per "
            f"{'village' if kind == 'villages' else 'sector'}",
        )
        return None, rep.problems
    mapping, duplicates = _aliases.match_columns(frame.columns, kind)
    for col in duplicates:
        rep.add(
            f"column {col!r} means the same as an earlier column and is ignored",
            column=col,
            severity="warning",
        )
    names = {canonical: original for original, canonical in mapping.items()}
    required = schema.VILLAGE_REQUIRED if kind == "villages" else schema.SITE_REQUIRED
    for canonical in required:
        if canonical not in names:
            rep.add(
                f"required column {canonical!r} is missing",
                hint="accepted headers: " + ", ".join(_aliases.accepted(kind, canonical)),
            )
    crs_obj = _parse_crs(crs, rep)
    if raw.geometry is not None:
        lon, lat = _geometry_positions(raw, crs_obj, rep)
    else:
        lon, lat = _column_positions(frame, names, crs_obj, rep)
    if any(c not in names for c in required):
        return None, rep.problems
    data: dict[str, pd.Series] = {}
    for canonical in _TEXT[kind]:
        if canonical in names:
            data[canonical] = _texts(frame[names[canonical]])
    for canonical in _NUMERIC[kind]:
        if canonical in names:
            col = names[canonical]
            data[canonical] = _numbers(frame[col], col, rep)
            _check_range(data[canonical], canonical, col, rep)
    for canonical in _BOOLEAN[kind]:
        if canonical in names:
            data[canonical] = _booleans(frame[names[canonical]], names[canonical], rep)
    if kind == "villages":
        columns = _villages(frame, data, names, crs_obj, rep)
    else:
        columns = _sites(frame, data, names, lon, lat, rep)
    used = set(names.values()) | set(duplicates)
    extras = [c for c in _EXTRAS[kind] if c in data]
    extras += [c for c in frame.columns if c not in used]
    out = pd.DataFrame({c: columns[c] for c in columns})
    for col in extras:
        out[col] = data[col] if col in data else frame[col]
    points = gpd.points_from_xy(lon, lat)
    points[~(np.isfinite(lon) & np.isfinite(lat))] = None
    problems = sorted(rep.problems, key=lambda p: p.row or 0)  # file order
    return gpd.GeoDataFrame(out, geometry=points, crs="EPSG:4326"), problems


def _require_values(frame: pd.DataFrame, canonical: str, column: str, rep: _Report) -> None:
    """Report blank cells of a column every row must fill."""
    for i, value in enumerate(frame[column]):
        if _as_text(value) is None:
            rep.add(f"empty {canonical}", row=_row(i), column=column)


def _duplicates(keys: pd.Series, label: str, column: str, rep: _Report) -> None:
    first: dict[object, int] = {}
    for i, key in enumerate(keys):
        parts = key if isinstance(key, tuple) else (key,)
        if any(pd.isna(part) for part in parts):
            continue  # blank ids are reported on their own
        if key in first:
            rep.add(
                f"duplicate {label} {key!r} (first on row {_row(first[key])})",
                row=_row(i),
                column=column,
                hint=f"every {label} must be unique",
            )
        else:
            first[key] = i


def _villages(
    frame: pd.DataFrame,
    data: dict[str, pd.Series],
    names: dict[str, str],
    crs: CRS | None,
    rep: _Report,
) -> dict[str, pd.Series]:
    n = len(frame)
    _require_values(frame, "village_id", names["village_id"], rep)
    _require_values(frame, "name", names["name"], rep)
    _duplicates(data["village_id"], "village_id", names["village_id"], rep)
    clusters = _cluster_positions(frame, names, crs, rep)
    out: dict[str, pd.Series] = {}
    for col in schema.VILLAGE_COLUMNS:
        if col in data:
            out[col] = data[col]
        elif col in clusters:
            out[col] = pd.Series(clusters[col])
        elif col in ("households", "population"):
            out[col] = pd.Series(np.full(n, np.nan))
        elif col in _BOOLEAN["villages"]:
            out[col] = pd.Series([None] * n, dtype="boolean")
        else:
            out[col] = pd.Series([None] * n, dtype="str")
    return out


def _sites(
    frame: pd.DataFrame,
    data: dict[str, pd.Series],
    names: dict[str, str],
    lon: np.ndarray,
    lat: np.ndarray,
    rep: _Report,
) -> dict[str, pd.Series]:
    n = len(frame)
    site_id = data["site_id"]
    _require_values(frame, "site_id", names["site_id"], rep)
    carriers, techs, bands = (
        _categories(frame[names[key]], names[key], what, parse, list(known), rep)
        for key, what, parse, known in (
            ("carrier", "carrier", _aliases.parse_carrier, schema.CARRIERS),
            ("technology", "technology", _aliases.parse_technology, schema.TECHNOLOGIES),
            ("freq_mhz", "band (MHz)", _band, schema.BANDS_MHZ),
        )
    )
    _require_values(frame, "height_m", names["height_m"], rep)
    sector = data.get("sector_id", pd.Series([None] * n, dtype="str"))
    numbering = site_id.groupby(site_id.fillna("")).cumcount() + 1
    if "sector_id" in names:
        for i in np.flatnonzero(sector.isna().to_numpy()):
            rep.add(
                "empty sector_id; numbered by its order within the site",
                row=_row(i),
                column=names["sector_id"],
                severity="warning",
            )
    sector = sector.fillna(numbering.astype(str)).astype("str")
    _duplicates(
        pd.Series(list(zip(site_id, sector, strict=True))),
        "site_id+sector_id",
        names.get("sector_id", names["site_id"]),
        rep,
    )
    _inconsistent_sites(site_id, lon, lat, names["site_id"], rep)
    azimuth = data.get("azimuth_deg", pd.Series(np.full(n, np.nan)))
    beam = data.get("beamwidth_deg", pd.Series(np.full(n, np.nan)))
    narrow = azimuth.isna() & beam.notna() & (beam < 360)
    for i in np.flatnonzero(narrow.to_numpy()):
        rep.add(
            "directional sector without azimuth; read as omni (beamwidth 360)",
            row=_row(i),
            column=names.get("azimuth_deg"),
            severity="warning",
        )
    beam = beam.where(~azimuth.isna(), 360.0).fillna(65.0)
    default_power = techs.map({"2G": 43.0, "3G": 43.0, "4G": 46.0}).astype(float)
    freq = bands.astype("int64") if bands.notna().all() else bands
    return {
        "site_id": site_id,
        "sector_id": sector,
        "carrier": carriers.astype("str"),
        "technology": techs.astype("str"),
        "freq_mhz": freq,
        "height_m": data["height_m"],
        "azimuth_deg": azimuth,
        "tilt_deg": data.get("tilt_deg", pd.Series(np.full(n, np.nan))).fillna(3.0),
        "power_dbm": data.get("power_dbm", pd.Series(np.full(n, np.nan))).fillna(default_power),
        "gain_dbi": data.get("gain_dbi", pd.Series(np.full(n, np.nan))).fillna(
            pd.Series(np.where(beam >= 360, 11.0, 18.0))
        ),
        "beamwidth_deg": beam,
        "fibre_backhaul": data.get("fibre_backhaul", pd.Series([None] * n, dtype="boolean")),
    }


def _inconsistent_sites(
    site_id: pd.Series, lon: np.ndarray, lat: np.ndarray, column: str, rep: _Report
) -> None:
    """Warn when rows of one site do not share its position (more than ~10 m apart)."""
    pos = pd.DataFrame({"site": site_id, "lon": lon, "lat": lat}).dropna()
    for site, group in pos.groupby("site", sort=False):
        if len(group) < 2:
            continue
        spread = max(np.ptp(group["lon"]), np.ptp(group["lat"]))
        if spread > 1e-4:
            rows = ", ".join(str(_row(i)) for i in group.index)
            rep.add(
                f"site {site!r} has different coordinates on rows {rows}",
                row=_row(group.index[1]),
                column=column,
                severity="warning",
                hint="all sectors of a site should share its position; the row's own "
                "position is used",
            )
