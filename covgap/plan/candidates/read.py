"""User-supplied candidate sites: reading and checking them (behind :mod:`covgap.plan.candidates`).

Every problem of a file is collected and raised at once in one
:class:`~covgap.errors.ValidationError`, each with its file, spreadsheet row (the
header is row 1), column and what to do, as the other readers do (:mod:`covgap.io`).
"""

from __future__ import annotations

import logging
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

import covgap.io.aliases as _aliases

from ...config import PlanCosts
from ...errors import Problem, ValidationError
from ...io.positions import (
    _as_text,
    _column_positions,
    _geometry_positions,
    _numbers,
    _parse_crs,
    _Report,
    _row,
)
from ...io.readers import raise_for_problems, read_raw
from ...io.terrain import Terrain, grid_index, sample_heights
from ...schema import CARRIERS
from .table import _frame

logger = logging.getLogger("covgap.plan.candidates")

#: Antenna height (m above ground) of a user candidate that gives none.
DEFAULT_HEIGHT_M = 30.0
#: Allowed antenna heights (m), as for sites (:data:`covgap.io.validate.RANGES`).
HEIGHT_RANGE_M = (1.0, 200.0)
#: Candidate columns -> accepted headers (compared after :func:`_aliases.normalise`).
CANDIDATE_ALIASES: dict[str, tuple[str, ...]] = {
    "candidate_id": (
        "candidate_id",
        "candidate",
        "id",
        "name",
        "site_id",
        "site",
        "Mã",
        "Mã trạm",
        "Mã vị trí",
        "Tên",
        "Tên vị trí",
        "Vị trí",
    ),
    "height_m": _aliases.SITE_ALIASES["height_m"],
    "carrier": _aliases.SITE_ALIASES["carrier"],
    "cost_usd": ("cost_usd", "cost", "site_usd", "Chi phí", "Chi phí (USD)", "Kinh phí (USD)"),
    "azimuths_deg": (
        "azimuths_deg",
        "azimuths",
        "azimuth",
        "azimuth_deg",
        "sectors",
        "Góc phương vị",
    ),
}
_HINT_INSIDE = "move the candidate onto the DEM, or add DEM tiles that cover it"


def read_candidates(
    path: str | PathLike,
    *,
    terrain: Terrain | None = None,
    costs: PlanCosts = PlanCosts(),
    crs: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate sites the user proposes (CSV, Excel, GeoPackage, GeoJSON...).

    Columns (English or Vietnamese headers, any case): ``candidate_id`` (or ``id``,
    ``name``), a position -- ``lon``/``lat`` in WGS 84, ``x``/``y`` in ``crs`` (e.g.
    VN-2000 ``EPSG:9205``), or a point layer --, and optional ``height_m`` (antenna
    height above ground, default 30 m), ``carrier`` (blank: not tied to a carrier),
    ``cost_usd`` (default ``costs.new_site_usd``) and ``azimuths_deg`` (e.g.
    ``0;120;240``, the default; ``omni`` for one omni antenna).

    Parameters
    ----------
    path
        The file.
    terrain
        The DEM; when given, every candidate must lie on it (:func:`check_inside`) and
        ``ground_m`` is filled in.
    costs
        Default site cost.
    crs
        CRS of x/y columns, as for :func:`covgap.io.read_sites`.
    layer
        Layer or sheet of a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`covgap.plan.candidates.CANDIDATE_COLUMNS`, ``kind`` ``"user"``, one row per
        input row. ``road_km``, ``power_km`` and ``visible_weight`` are NaN and
        ``n_visible`` NA (not computed here).

    Raises
    ------
    ValidationError
        Listing every problem: missing or duplicate ids, missing or bad positions, bad
        heights, costs or azimuths, unknown carriers, points outside the DEM.
    DataFileError
        The file is missing or cannot be read.
    """
    raw = read_raw(path, kind="sites", layer=layer)
    rep = _Report(raw.file)
    frame = raw.frame.reset_index(drop=True)
    if len(frame) == 0:
        rep.add("the file has no candidate rows", hint="one row per candidate site")
        raise ValidationError(rep.problems)
    names = _aliases.canonical_headers(frame.columns, CANDIDATE_ALIASES)
    crs_obj = _parse_crs(crs, rep)
    if raw.geometry is not None:
        lon, lat = _geometry_positions(raw, crs_obj, rep)
    else:
        lon, lat = _column_positions(frame, names, crs_obj, rep)
    ids = _ids(frame, names, rep)
    values = _values(frame, names, costs, rep)
    out = _table(ids, lon, lat, values, terrain)
    if terrain is not None:
        rep.problems += _outside(out, terrain, raw.file)
    raise_for_problems(sorted(rep.problems, key=lambda p: p.row or 0))
    logger.info("read %d candidate sites from %s", len(out), raw.file)
    return out


def _ids(frame: pd.DataFrame, names: dict[str, str], rep: _Report) -> list[str | None]:
    if "candidate_id" not in names:
        rep.add(
            "required column 'candidate_id' is missing",
            hint="accepted headers: " + ", ".join(CANDIDATE_ALIASES["candidate_id"]),
        )
        return [f"row {_row(i)}" for i in range(len(frame))]
    col = names["candidate_id"]
    ids = [_as_text(v) for v in frame[col]]
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value is None:
            rep.add("empty candidate id", row=_row(i), column=col, hint="give every row an id")
        elif value in first:
            rep.add(
                f"duplicate candidate id {value!r} (first on row {_row(first[value])})",
                row=_row(i),
                column=col,
                hint="every candidate id must be unique",
            )
        else:
            first[value] = i
    return ids


def _values(
    frame: pd.DataFrame, names: dict[str, str], costs: PlanCosts, rep: _Report
) -> dict[str, list]:
    n = len(frame)
    out: dict[str, list] = {
        "height_m": [DEFAULT_HEIGHT_M] * n,
        "carrier": [pd.NA] * n,
        "site_usd": [float(costs.new_site_usd)] * n,
        "azimuths_deg": ["0;120;240"] * n,
    }
    if "height_m" in names:
        col = names["height_m"]
        low, high = HEIGHT_RANGE_M
        for i, h in enumerate(_numbers(frame[col], col, rep)):
            if np.isnan(h):
                continue
            if not low <= h <= high:
                rep.add(
                    f"antenna height {h:g} m is out of range ({low:g} to {high:g} m)",
                    row=_row(i),
                    column=col,
                    hint="give the height above ground in metres",
                )
            out["height_m"][i] = h
    if "cost_usd" in names:
        col = names["cost_usd"]
        for i, c in enumerate(_numbers(frame[col], col, rep)):
            if np.isnan(c):
                continue
            if c < 0:
                rep.add(
                    f"cost {c:g} is negative",
                    row=_row(i),
                    column=col,
                    hint="give the site cost in USD",
                )
            out["site_usd"][i] = c
    if "carrier" in names:
        col = names["carrier"]
        for i, value in enumerate(frame[col]):
            text = _as_text(value)
            if text is None:
                continue
            name = _aliases.parse_carrier(text)
            if name is None:
                rep.add(
                    f"unknown carrier {text!r}",
                    row=_row(i),
                    column=col,
                    hint=f"use one of {', '.join(CARRIERS)}, or leave it empty",
                )
            out["carrier"][i] = name if name is not None else pd.NA
    if "azimuths_deg" in names:
        col = names["azimuths_deg"]
        for i, value in enumerate(frame[col]):
            text = _as_text(value)
            if text is not None:
                out["azimuths_deg"][i] = _azimuths(text, _row(i), col, rep)
    return out


def _azimuths(text: str, row: int, col: str, rep: _Report) -> str:
    if text.strip().lower() == "omni":
        return ""
    parts = [p for p in text.replace(",", ";").replace(" ", ";").split(";") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not values or not all(0 <= v <= 360 for v in values):
        rep.add(
            f"azimuths {text!r} are not angles from 0 to 360",
            row=row,
            column=col,
            hint="write them like 0;120;240, or 'omni'",
        )
        return "0;120;240"
    return ";".join(f"{v:g}" for v in values)


def _table(ids, lon, lat, values, terrain) -> gpd.GeoDataFrame:
    n = len(ids)
    ground = sample_heights(terrain, lon, lat) if terrain is not None else np.full(n, np.nan)
    ids = [str(i) if i is not None else "" for i in ids]
    notes = [f"user candidate, mast {h:g} m" for h in values["height_m"]]
    data = {"candidate_id": ids, "kind": "user", "site_id": ids, "lon": lon, "lat": lat}
    data |= {"ground_m": ground, "n_visible": pd.NA, "note": notes} | values
    out = _frame(data, n)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        out.loc[bad, out.geometry.name] = None
    return out


# --------------------------------------------------------------------------- inside
def _dem_extent(terrain: Terrain) -> tuple[float, float, float, float]:
    left, bottom, right, top = terrain.bounds
    if terrain.crs.to_epsg() != 4326:
        to_wgs = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True)
        left, bottom, right, top = to_wgs.transform_bounds(left, bottom, right, top)
    return left, right, bottom, top


def _outside(candidates: pd.DataFrame, terrain: Terrain, file: str) -> list[Problem]:
    lon = candidates["lon"].to_numpy(float)
    lat = candidates["lat"].to_numpy(float)
    ids = candidates["candidate_id"].astype(str).to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    col, row = grid_index(terrain, np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
    rows, cols = terrain.shape
    on_grid = (col >= -0.5) & (col <= cols - 0.5) & (row >= -0.5) & (row <= rows - 0.5)
    ground = sample_heights(terrain, np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
    w, e, s, n = _dem_extent(terrain)
    problems = []
    for i in np.flatnonzero(ok & np.isnan(ground)):
        where = f"candidate {ids[i]} at ({lon[i]:.5f} E, {lat[i]:.5f} N)"
        if not on_grid[i]:
            message = f"{where} is outside the DEM (lon {w:.4f}–{e:.4f}, lat {s:.4f}–{n:.4f})"
        else:
            message = f"{where} lies over a DEM void (no height)"
        column = "lon" if not w <= lon[i] <= e else "lat" if not s <= lat[i] <= n else None
        problems.append(Problem(file, message, row=_row(i), column=column, hint=_HINT_INSIDE))
    return problems


def check_inside(candidates: pd.DataFrame, terrain: Terrain, *, file: str = "candidates") -> None:
    """Raise if any candidate lies outside the DEM or over nodata.

    Parameters
    ----------
    candidates
        Any candidate table (``candidate_id``, ``lon``, ``lat``); row ``i`` is reported
        as spreadsheet row ``i + 2``.
    terrain
        The DEM.
    file
        Name of the table in the messages.

    Raises
    ------
    ValidationError
        One problem per candidate without a terrain height, e.g. "candidate C7 at
        (103.10000 E, 22.20000 N) is outside the DEM (lon 102.2–103.9, lat 21.6–22.9)".
    """
    problems = _outside(candidates.reset_index(drop=True), terrain, file)
    if problems:
        raise ValidationError(problems)
