"""The inputs of one analysis: read every file of a scenario and validate them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import Scenario
from ..errors import InputError, Problem, ValidationError
from ..io.landcover import ClutterGrid
from ..io.terrain import Terrain
from ..schema import SITE_COLUMNS

__all__ = ["Inputs", "combine_sites", "far_from_villages", "load_inputs"]

logger = logging.getLogger(__name__)


@dataclass
class Inputs:
    """Validated inputs of one analysis, all in WGS 84 except the terrain's own CRS."""

    villages: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    terrain: Terrain
    districts: gpd.GeoDataFrame | None = None
    communes: gpd.GeoDataFrame | None = None
    warnings: list[Problem] = field(default_factory=list)
    clutter: ClutterGrid | None = None


def load_inputs(scenario: Scenario) -> Inputs:
    """Read and validate every input of a scenario, reporting all problems at once.

    Several site files (``scenario.sites`` a tuple) are combined with
    :func:`combine_sites`. Sites farther than ``radio.max_range_km`` from every village
    (another province of a national export) are left out with one warning
    (:func:`drop_far_sites`) before the sites are checked against the DEM; a village
    outside the DEM stays an error.

    Parameters
    ----------
    scenario
        Which files to read (and the CRS of x/y columns).

    Returns
    -------
    Inputs

    Raises
    ------
    ValidationError
        Any file has errors, or two site files disagree; the error lists every problem
        of every file.
    DataFileError
        A file is missing or unreadable.
    """
    from ..io.readers import read_admin, read_dem, read_sites, read_villages
    from ..io.validate import check_within_terrain

    missing = [k for k in ("villages", "sites") if getattr(scenario, k) is None]
    if missing or not scenario.dem:
        raise InputError(
            "the scenario needs villages, sites and a DEM; missing: "
            + ", ".join(missing + ([] if scenario.dem else ["dem"]))
            + " (give them with --villages/--sites/--dem, or under [inputs] in the "
            "scenario file; with no input at all `covgap run` uses the bundled sample)"
        )
    problems: list[Problem] = []
    villages = None
    try:
        villages = read_villages(scenario.villages, crs=scenario.crs)
    except ValidationError as exc:
        problems += exc.problems
    site_tables: dict[str, gpd.GeoDataFrame] = {}
    for path in scenario.site_files:
        try:
            site_tables[str(path)] = read_sites(path, crs=scenario.crs)
        except ValidationError as exc:
            problems += exc.problems
    terrain = read_dem(list(scenario.dem))
    if villages is not None:
        problems += check_within_terrain(villages, terrain, file=str(scenario.villages))
    far: dict[str, np.ndarray] = {}
    for file, table in site_tables.items():
        far[file] = (
            far_from_villages(table, villages, scenario.radio.max_range_km)
            if villages is not None
            else np.zeros(len(table), bool)
        )
        # far sites are not checked: the positions of the others keep their row numbers
        near_only = table.set_geometry(table.geometry.where(~far[file], None))
        problems += check_within_terrain(near_only, terrain, file=file)
    sites = None
    if site_tables:
        kept = {f: t.loc[~far[f]] for f, t in site_tables.items()}
        problems += _far_sites_warning(site_tables, far, scenario.radio.max_range_km)
        sites, clashes = combine_sites(kept)
        problems += clashes
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    assert villages is not None and sites is not None
    if sites.empty:
        raise InputError(
            f"no site is within radio.max_range_km = {scenario.radio.max_range_km:g} km of "
            "any village: are the site and village files of the same area?"
        )
    for p in problems:
        logger.warning("%s", p)
    districts = communes = None
    if scenario.admin is not None:
        districts = read_admin(scenario.admin, "districts")
        communes = _optional_layer(read_admin, scenario.admin, "communes")
    clutter = None
    if scenario.land_cover is not None:
        from ..io.landcover import check_land_cover, clutter_grid

        clutter = clutter_grid(scenario.land_cover, terrain, scenario.clutter)
        for message in check_land_cover(clutter, scenario.clutter):
            problems.append(Problem(str(scenario.land_cover), message, severity="warning"))
            logger.warning("%s", problems[-1])
    return Inputs(villages, sites, terrain, districts, communes, problems, clutter)


def far_from_villages(
    sites: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, max_range_km: float
) -> np.ndarray:
    """Return which sector rows stand farther than ``max_range_km`` from every village.

    Village centres and their population-cluster points count; the distance is the
    great circle (:func:`covgap.io.terrain.distance_km`). Rows without a position are
    never "far" (their own validation reports them).

    Parameters
    ----------
    sites
        Canonical site table (WGS 84).
    villages
        Canonical village table (WGS 84).
    max_range_km
        The prediction range (``radio.max_range_km``).

    Returns
    -------
    numpy.ndarray
        Boolean, one value per row of ``sites``.
    """
    from ..io.terrain import distance_km

    lon, lat = _village_points(villages)
    valid = sites.geometry.notna() & ~sites.geometry.is_empty
    far = np.zeros(len(sites), bool)
    if not valid.any():
        return far
    if len(lon) == 0:
        far[valid.to_numpy()] = True
        return far
    slon = sites.geometry.x.where(valid).to_numpy(float)
    slat = sites.geometry.y.where(valid).to_numpy(float)
    idx = np.flatnonzero(valid.to_numpy() & np.isfinite(slon) & np.isfinite(slat))
    # one distance row per site position, not per sector
    points, inverse = np.unique(np.c_[slon[idx], slat[idx]], axis=0, return_inverse=True)
    far_point = np.zeros(len(points), bool)
    for chunk in np.array_split(np.arange(len(points)), len(points) // _CHUNK + 1):
        if len(chunk) == 0:
            continue
        p_lon, p_lat = points[chunk, :1], points[chunk, 1:]
        d = distance_km(p_lon, p_lat, lon[None, :], lat[None, :])
        far_point[chunk] = d.min(axis=1) > max_range_km
    far[idx] = far_point[inverse.ravel()]
    return far


#: Sites per block of the site x village distance matrix (bounds its memory).
_CHUNK = 512
#: Site ids a warning names before "and N more".
_FIRST_IDS = 5


def _village_points(villages: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of every village centre and cluster point."""
    valid = villages.geometry.notna() & ~villages.geometry.is_empty
    lons = [villages.geometry.x.where(valid).to_numpy(float)]
    lats = [villages.geometry.y.where(valid).to_numpy(float)]
    for k in (1, 2):
        if f"cluster_{k}_lon" in villages and f"cluster_{k}_lat" in villages:
            lons.append(villages[f"cluster_{k}_lon"].to_numpy(float))
            lats.append(villages[f"cluster_{k}_lat"].to_numpy(float))
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return lon[ok], lat[ok]


def _far_sites_warning(
    tables: dict[str, gpd.GeoDataFrame], far: dict[str, np.ndarray], max_range_km: float
) -> list[Problem]:
    """Return one warning that counts and names (the first few) sites left out as far."""
    ids = list(
        dict.fromkeys(
            str(sid) for f, t in tables.items() for sid in t.loc[far[f], "site_id"].tolist()
        )
    )
    if not ids:
        return []
    rows = sum(int(m.sum()) for m in far.values())
    more = f" and {len(ids) - _FIRST_IDS} more" if len(ids) > _FIRST_IDS else ""
    files = ", ".join(f for f, m in far.items() if m.any())
    message = (
        f"{len(ids)} site(s) ({rows} sector rows) are more than {max_range_km:g} km "
        f"(radio.max_range_km) from every village and are left out: "
        f"{', '.join(ids[:_FIRST_IDS])}{more}"
    )
    hint = "another area's sites; they cannot serve these villages"
    return [Problem(files, message, hint=hint, severity="warning")]


def combine_sites(tables: dict[str, gpd.GeoDataFrame]) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Combine the site tables of several files into one; report sectors given twice.

    A sector (``site_id`` + ``sector_id``) found in two files is kept once, with a
    warning, when both rows are the same (every canonical column and the position);
    when they differ it is an error that names both files, since covgap cannot tell
    which is right.

    Parameters
    ----------
    tables
        File name -> canonical site table (:func:`covgap.io.read_sites`), in the order
        given.

    Returns
    -------
    geopandas.GeoDataFrame
        The sectors of every file, in file order, index ``0..n-1``.
    list of Problem
        One per sector given in more than one file.
    """
    frames = list(tables.values())
    if len(frames) == 1:
        return frames[0], []
    files = np.concatenate([np.full(len(t), f, dtype=object) for f, t in tables.items()])
    combined = pd.concat(frames, ignore_index=True)
    combined = gpd.GeoDataFrame(combined, geometry="geometry", crs=frames[0].crs)
    keys = combined["site_id"].astype(str) + "\x1f" + combined["sector_id"].astype(str)
    dup = keys.duplicated(keep=False).to_numpy()
    if not dup.any():
        return combined, []
    columns = [c for c in SITE_COLUMNS if c in combined.columns]
    problems: list[Problem] = []
    drop: list[int] = []
    for key in dict.fromkeys(keys[dup]):
        rows = np.flatnonzero((keys == key).to_numpy())
        first = rows[0]
        site_id, sector_id = key.split("\x1f")
        for other in rows[1:]:
            same = _same_row(combined, first, other, columns)
            where = f"site {site_id!r} sector {sector_id!r}"
            if same:
                drop.append(int(other))
                problems.append(
                    Problem(files[other], f"{where} is also in {files[first]} with the "
                            "same values; kept once", severity="warning")
                )  # fmt: skip
            else:
                problems.append(
                    Problem(files[other], f"{where} is also in {files[first]} with other "
                            "values", hint="keep each sector in one file only, or give "
                            "it another site_id/sector_id")
                )  # fmt: skip
    kept = combined.drop(index=drop).reset_index(drop=True)
    return kept, problems


def _same_row(table: pd.DataFrame, a: int, b: int, columns: list[str]) -> bool:
    """Tell whether rows ``a`` and ``b`` agree on ``columns`` (NA equals NA) and position."""
    for col in columns:
        x, y = table[col].iloc[a], table[col].iloc[b]
        if pd.isna(x) and pd.isna(y):
            continue
        if pd.isna(x) or pd.isna(y) or x != y:
            return False
    return bool(table.geometry.iloc[a].equals_exact(table.geometry.iloc[b], 1e-7))


def _optional_layer(reader: Any, path: Path, layer: str) -> gpd.GeoDataFrame | None:
    import pyogrio

    if layer not in {name for name, _ in pyogrio.list_layers(path)}:
        return None
    return reader(path, layer)
