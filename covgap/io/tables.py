"""Table parsing behind :mod:`covgap.io.validate` and the readers of :mod:`covgap.io` (internal).

:func:`build_table` maps a raw table's headers to canonical names, parses every cell
(numbers with decimal commas, yes/no values, carriers, bands), turns positions (lon/lat,
projected x/y, or a layer's geometry) into WGS 84 with :mod:`covgap.io.positions` and
collects every problem on the way in a :class:`_Report`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

import covgap.io.aliases as _aliases
import covgap.io.notes as _notes

from .. import schema
from ..errors import Problem
from ..schema import (
    DEFAULT_BEAMWIDTH_DEG,
    DEFAULT_GAIN_DBI,
    DEFAULT_OMNI_GAIN_DBI,
    DEFAULT_POWER_DBM,
    DEFAULT_TILT_DEG,
    OMNI_BEAMWIDTH_DEG,
)
from .locale import parse_counts
from .positions import _CLUSTERS as _CLUSTERS  # re-exported for covgap.io.validate
from .positions import VIETNAM as VIETNAM  # re-exported: covgap.io.validate.VIETNAM
from .positions import RawTable as RawTable  # re-exported for covgap.io.readers
from .positions import (
    _as_text,
    _cluster_positions,
    _column_positions,
    _filled,
    _geometry_positions,
    _numbers,
    _parse_crs,
    _Report,
    _row,
)
from .summary import ATTR, ReadSummary

#: Allowed ranges (inclusive) of numeric columns; ``None`` means unbounded.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "households": (0, None),
    "population": (0, None),
    "elevation_m": (-500, 9000),
    "height_m": (1, 200),
    "azimuth_deg": (0, 360),
    "tilt_deg": (-10, 30),
    "tilt_mech_deg": (-10, 30),
    "tilt_elec_deg": (-10, 30),
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
    "sites": (
        "height_m",
        "azimuth_deg",
        "tilt_deg",
        "tilt_mech_deg",
        "tilt_elec_deg",
        "power_dbm",
        "gain_dbi",
        "beamwidth_deg",
        "elevation_m",
    ),
}
#: Counts: thousands separators are read per column (:func:`covgap.io.locale.parse_counts`).
_COUNTS = ("households", "population")
_BOOLEAN = {"villages": ("grid_power", "especially_difficult"), "sites": ("fibre_backhaul",)}
_EXTRAS = {
    "villages": ("commune_code", "district_code", "elevation_m"),
    "sites": ("site_name", "elevation_m", "tilt_mech_deg", "tilt_elec_deg"),
}


# ------------------------------------------------------------------------- cell parsers
def _texts(series: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(pd.Series(series, dtype=object))  # each spelling once
    texts = np.array([_as_text(v) for v in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype="str")


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


def _counts(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    values, refused = parse_counts(series.tolist())
    for i, why in refused.items():
        rep.add(
            f"{why} in a count column",
            row=_row(i),
            column=column,
            hint="write whole numbers such as 1250 or 1.250 (thousands separators . , or "
            "space are read as such when no cell has a fraction)",
        )
    return pd.Series(values, index=series.index)


def _booleans(series: pd.Series, column: str, rep: _Report) -> pd.Series:
    codes, uniques = pd.factorize(pd.Series(series, dtype=object))  # parse each spelling once
    texts = [_as_text(v) for v in uniques]
    keys = {_aliases.normalise(t) for t in texts if t is not None}
    blank_false = keys == {"x"}  # a column ticked with "x": blank means no
    values: list[bool | None] = []
    for k, text in enumerate(texts):
        value = _aliases.parse_bool(text) if text is not None else None
        if text is not None and value is None:
            for i in np.flatnonzero(codes == k):
                rep.add(
                    f"not a yes/no value: {text!r}",
                    row=_row(i),
                    column=column,
                    hint="use yes/no, true/false, 1/0, có/không, or x and blank",
                )
        values.append(False if text is None and blank_false else value)
    blank = False if blank_false else None
    out = [values[c] if c >= 0 else blank for c in codes]
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


# ------------------------------------------------------------------------ table builder
def build_table(
    raw: RawTable, kind: str, *, crs: object = None
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Map, parse and check a raw table; return the canonical table and every problem.

    The table is ``None`` when a required column is missing or the file is empty;
    otherwise it is returned even when some cells have errors (those become NA), with
    its :class:`~covgap.io.summary.ReadSummary` in ``attrs["covgap_read"]``.
    """
    gdf, problems, _ = build_table_summary(raw, kind, crs=crs)
    return gdf, problems


def build_table_summary(
    raw: RawTable, kind: str, *, crs: object = None
) -> tuple[gpd.GeoDataFrame | None, list[Problem], ReadSummary | None]:
    """:func:`build_table`, and the read summary (``None`` for an empty file)."""
    rep = _Report(raw.file, raw.rows, raw.sheets)
    frame = raw.frame.reset_index(drop=True)
    _notes.reading_notes(raw, rep)
    if len(frame) == 0:
        rep.add(
            "the file is empty" if len(frame.columns) == 0 else "the file has no data rows",
            hint=f"a {kind} table needs a header row and one row per "
            f"{'village' if kind == 'villages' else 'sector'}",
        )
        return None, rep.problems, None
    mapping, duplicates = _aliases.match_columns(frame.columns, kind)
    for col in duplicates:
        rep.add(
            f"column {col!r} means the same as an earlier column and is ignored",
            column=col,
            severity="warning",
        )
    names = {canonical: original for original, canonical in mapping.items()}
    unused = _notes.column_notes(list(map(str, frame.columns)), mapping, duplicates, kind, rep)
    required = schema.VILLAGE_REQUIRED if kind == "villages" else schema.SITE_REQUIRED
    for canonical in required:
        if canonical not in names:
            hint = "accepted headers: " + ", ".join(_aliases.accepted(kind, canonical))
            if canonical == "height_m" and "elevation_m" in names:
                hint = (
                    f"{names['elevation_m']!r} is read as the ground elevation, never the "
                    "antenna height; if it holds the antenna height above ground, name it "
                    "'Độ cao anten (m)' (" + hint + ")"
                )
            rep.add(f"required column {canonical!r} is missing{_header_at(raw)}", hint=hint)
    crs_obj = _parse_crs(crs, rep)
    if crs_obj is None and crs is None and raw.geometry is None:
        crs_obj = _notes.header_crs(names, rep)
    if raw.geometry is not None:
        lon, lat = _geometry_positions(raw, crs_obj, rep)
    else:
        lon, lat = _column_positions(frame, names, crs_obj, rep)
    summary = _notes.make_summary(
        raw,
        kind,
        len(frame),
        mapping,
        unused,
        _notes.positions_text(raw, names, crs_obj),
        duplicates,
    )
    if any(c not in names for c in required):
        return None, _in_file_order(rep), summary
    data: dict[str, pd.Series] = {}
    for canonical in _TEXT[kind]:
        if canonical in names:
            data[canonical] = _texts(frame[names[canonical]])
    for canonical in _NUMERIC[kind]:
        if canonical in names:
            col = names[canonical]
            parse = _counts if canonical in _COUNTS else _numbers
            data[canonical] = parse(frame[col], col, rep)
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
    gdf = gpd.GeoDataFrame(out, geometry=points, crs="EPSG:4326")
    gdf.attrs[ATTR] = summary
    return gdf, _in_file_order(rep), summary


def _header_at(raw: RawTable) -> str:
    """`` (header read on row 6–7 of sheet 'X')`` when the header is not row 1."""
    spans = [
        f"row {a}{f'–{b}' if b != a else ''}" + (f" of sheet {s!r}" if s else "")
        for s, (a, b) in raw.info.get("header_rows", {}).items()
        if (a, b) != (1, 1)
    ]
    return f" (header read on {', '.join(spans)})" if spans else ""


def _in_file_order(rep: _Report) -> list[Problem]:
    ordered = sorted(rep.problems, key=lambda p: (p.file, p.row or 0))
    return _notes.collapse(ordered)


def _require_values(frame: pd.DataFrame, canonical: str, column: str, rep: _Report) -> None:
    """Report blank cells of a column every row must fill."""
    for i in np.flatnonzero(~_filled(frame[column])):
        rep.add(f"empty {canonical}", row=_row(i), column=column)


def _duplicates(keys: pd.Series, label: str, column: str, rep: _Report) -> None:
    first: dict[object, int] = {}
    for i, key in enumerate(keys):
        parts = key if isinstance(key, tuple) else (key,)
        if any(pd.isna(part) for part in parts):
            continue  # blank ids are reported on their own
        if key in first:
            rep.add(
                f"duplicate {label} {key!r} (first on {rep.where(first[key])})",
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
    beam = beam.where(~azimuth.isna(), OMNI_BEAMWIDTH_DEG).fillna(DEFAULT_BEAMWIDTH_DEG)
    default_power = techs.map(DEFAULT_POWER_DBM).astype(float)
    freq = bands.astype("int64") if bands.notna().all() else bands
    return {
        "site_id": site_id,
        "sector_id": sector,
        "carrier": carriers.astype("str"),
        "technology": techs.astype("str"),
        "freq_mhz": freq,
        "height_m": data["height_m"],
        "azimuth_deg": azimuth,
        "tilt_deg": _tilt(data, n),
        "power_dbm": data.get("power_dbm", pd.Series(np.full(n, np.nan))).fillna(default_power),
        "gain_dbi": data.get("gain_dbi", pd.Series(np.full(n, np.nan))).fillna(
            pd.Series(np.where(beam >= OMNI_BEAMWIDTH_DEG, DEFAULT_OMNI_GAIN_DBI, DEFAULT_GAIN_DBI))
        ),
        "beamwidth_deg": beam,
        "fibre_backhaul": data.get("fibre_backhaul", pd.Series([None] * n, dtype="boolean")),
    }


def _tilt(data: dict[str, pd.Series], n: int) -> pd.Series:
    """Total downtilt: the tilt column, else mechanical + electrical, else the default."""
    tilt = data.get("tilt_deg", pd.Series(np.full(n, np.nan)))
    mech = data.get("tilt_mech_deg", pd.Series(np.full(n, np.nan)))
    elec = data.get("tilt_elec_deg", pd.Series(np.full(n, np.nan)))
    split = (mech.fillna(0) + elec.fillna(0)).where(mech.notna() | elec.notna())
    return tilt.fillna(split).fillna(DEFAULT_TILT_DEG)


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
            rows = ", ".join(rep.where(i) for i in group.index)
            rep.add(
                f"site {site!r} has different coordinates on {rows}",
                row=_row(group.index[1]),
                column=column,
                severity="warning",
                hint="all sectors of a site should share its position; the row's own "
                "position is used",
            )
