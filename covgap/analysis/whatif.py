"""What if: change the sites, re-run the analysis on the same terrain, compare the classes.

>>> from covgap import pipeline, whatif
>>> before = pipeline.run()                                  # the bundled sample
>>> sites = whatif.add_site(before.sites, site_id="NEW-1", carrier="Viettel",
...                         lon=103.25, lat=22.10, height_m=40)
>>> after = whatif.rerun(before, sites=sites)                # same DEM, nothing re-read
>>> whatif.compare(before, after)                            # villages whose class changed
>>> whatif.compare(before, after, by="district")             # people gaining 4G per district

The site editors (:func:`add_site`, :func:`raise_antenna`, :func:`remove_site`) take and
return canonical site tables (one row per sector, as :func:`covgap.io.read_sites` returns
them) and never change their input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

import covgap.io.aliases as _aliases

from ..config import Radio, Thresholds
from ..errors import InputError, ValidationError
from ..io.validate import RANGES, VIETNAM, check_within_terrain
from ..schema import (
    BANDS_MHZ,
    CARRIER_SLUGS,
    CARRIERS,
    CLASSES,
    COVERED,
    DEFAULT_BEAMWIDTH_DEG,
    DEFAULT_GAIN_DBI,
    DEFAULT_OMNI_GAIN_DBI,
    DEFAULT_POWER_DBM,
    DEFAULT_TILT_DEG,
    OMNI_BEAMWIDTH_DEG,
    TECHNOLOGIES,
    WHITE,
)
from .inputs import Inputs
from .result import Result, analyse

__all__ = [
    "DEFAULT_FREQ_MHZ",
    "add_site",
    "compare",
    "raise_antenna",
    "remove_site",
    "rerun",
]

logger = logging.getLogger(__name__)

#: Band of a new sector when none is given (the usual rural macro layer in Vietnam).
DEFAULT_FREQ_MHZ: dict[str, int] = {"2G": 900, "3G": 2100, "4G": 1800}

#: Columns :func:`covgap.analysis.classify.classify_villages` adds; dropped before re-classifying.
_CLASSIFIED = (
    "coverage_class",
    "rsrp_dbm",
    "min_cluster_rsrp_dbm",
    "best_carrier",
    "best_site_id",
    "best_site_km",
    "los",
    "obstacle_lon",
    "obstacle_lat",
    "obstacle_height_m",
    "obstacle_dist_km",
    "nearest_site_id",
    "nearest_site_carrier",
    "nearest_site_km",
    "best_2g_dbm",
    "best_3g_dbm",
    "services",
    "reason",
    "reason_vi",
    *(f"rsrp_{slug}_dbm" for slug in CARRIER_SLUGS.values()),
    *(f"class_{slug}" for slug in CARRIER_SLUGS.values()),
)
#: Class rank: 0 is best (covered), 2 worst (white).
_RANK = {cls: i for i, cls in enumerate(CLASSES)}


# ------------------------------------------------------------------------ site editors
def add_site(
    sites: gpd.GeoDataFrame,
    *,
    site_id: str,
    carrier: str,
    lon: float,
    lat: float,
    height_m: float,
    technologies: Sequence[str] = ("4G",),
    freq_mhz: int | Mapping[str, int] | None = None,
    azimuths_deg: Sequence[float] | None = (0.0, 120.0, 240.0),
    tilt_deg: float = DEFAULT_TILT_DEG,
    beamwidth_deg: float = DEFAULT_BEAMWIDTH_DEG,
    power_dbm: float | None = None,
    gain_dbi: float | None = None,
    fibre_backhaul: bool | None = None,
) -> gpd.GeoDataFrame:
    """Return the site table with a new site: one row per technology and sector.

    The keyword options are the columns of a site table (``docs/design.md``); values left
    out get the defaults the readers give (:mod:`covgap.schema`).

    Parameters
    ----------
    sites
        Canonical site table (:func:`covgap.io.read_sites`, ``Result.sites``).
    site_id
        Id of the new site; must not be in ``sites`` yet.
    carrier
        Carrier, any spelling the readers know (``"Viettel"``, ``"VinaPhone"``, ``"MBF"``).
    lon, lat
        Site position in WGS 84 degrees.
    height_m
        Antenna height above ground.
    technologies
        Technologies the site carries (``"4G"``, ``"LTE"``, ``"2G"``...).
    freq_mhz
        Band of every technology, or a mapping technology -> band; ``None`` uses
        :data:`DEFAULT_FREQ_MHZ` (2G 900, 3G 2100, 4G 1800 MHz).
    azimuths_deg
        Azimuth of each sector (one sector per value); ``None`` or empty for one omni
        antenna per technology.
    tilt_deg
        Downtilt of every sector, degrees, positive down.
    beamwidth_deg
        Horizontal half-power beamwidth of the sectors (ignored for omni).
    power_dbm
        Sector power; ``None``: 43 dBm for 2G/3G, 46 dBm for 4G.
    gain_dbi
        Antenna gain; ``None``: 18 dBi for sectors, 11 dBi for omni.
    fibre_backhaul
        Whether the site has fibre; ``None`` when unknown.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites`` with the new rows at the end.

    Raises
    ------
    InputError
        Listing every bad value (unknown carrier, technology or band, a height or angle
        out of range, a position outside Vietnam, an id already used).
    """
    carrier_name = _aliases.parse_carrier(str(carrier))
    techs = [_aliases.parse_technology(str(t)) for t in technologies]
    omni = azimuths_deg is None or len(azimuths_deg) == 0
    azimuths = [np.nan] if omni else [float(a) for a in azimuths_deg]  # type: ignore[union-attr]
    bands = {t: _band_of(t, freq_mhz) for t in techs if t is not None}
    errors = _site_errors(sites, site_id, carrier, carrier_name, technologies, techs, bands)
    errors += _range_errors(
        height_m=height_m,
        tilt_deg=tilt_deg,
        beamwidth_deg=beamwidth_deg,
        power_dbm=power_dbm,
        gain_dbi=gain_dbi,
        azimuth_deg=[a for a in azimuths if np.isfinite(a)],
    )
    lon0, lon1, lat0, lat1 = VIETNAM
    if not (lon0 <= lon <= lon1 and lat0 <= lat <= lat1):
        errors.append(
            f"position ({lon:g} E, {lat:g} N) is outside Vietnam "
            f"(lon {lon0}–{lon1}, lat {lat0}–{lat1}); give lon/lat in WGS 84 degrees"
        )
    if errors:
        raise InputError(f"add_site {site_id!r}: " + "; ".join(errors))
    beam = OMNI_BEAMWIDTH_DEG if omni else float(beamwidth_deg)
    if gain_dbi is None:
        gain_dbi = DEFAULT_OMNI_GAIN_DBI if omni else DEFAULT_GAIN_DBI
    rows = [
        {
            "site_id": str(site_id),
            "sector_id": f"{tech}{bands[tech]}-{k}",
            "carrier": carrier_name,
            "technology": tech,
            "freq_mhz": bands[tech],
            "height_m": float(height_m),
            "azimuth_deg": az,
            "tilt_deg": float(tilt_deg),
            "power_dbm": DEFAULT_POWER_DBM[tech] if power_dbm is None else float(power_dbm),
            "gain_dbi": float(gain_dbi),
            "beamwidth_deg": beam,
            "fibre_backhaul": fibre_backhaul,
        }
        for tech in bands
        for k, az in enumerate(azimuths, start=1)
    ]
    new = gpd.GeoDataFrame(
        pd.DataFrame(rows), geometry=[Point(lon, lat)] * len(rows), crs="EPSG:4326"
    )
    logger.info("added site %s (%s, %d sector rows)", site_id, carrier_name, len(rows))
    return _append(sites, new)


def _band_of(tech: str, freq_mhz: int | Mapping[str, int] | None) -> int | None:
    """Band of one technology from the ``freq_mhz`` option; ``None`` when unreadable."""
    if isinstance(freq_mhz, Mapping):
        given = {_aliases.parse_technology(str(k)): v for k, v in freq_mhz.items()}
        freq_mhz = given.get(tech)
    if freq_mhz is None:
        return DEFAULT_FREQ_MHZ[tech]
    return _aliases.parse_band(str(freq_mhz))


def _site_errors(
    sites: gpd.GeoDataFrame,
    site_id: str,
    carrier: str,
    carrier_name: str | None,
    technologies: Sequence[str],
    techs: list[str | None],
    bands: dict[str, int | None],
) -> list[str]:
    errors = []
    if not str(site_id).strip():
        errors.append("site_id is empty")
    elif "site_id" in sites and (sites["site_id"].astype(str) == str(site_id)).any():
        errors.append(f"site_id {site_id!r} is already in the table; choose another id")
    if carrier_name is None:
        errors.append(f"unknown carrier {carrier!r} (known: {', '.join(CARRIERS)})")
    if isinstance(technologies, str):
        errors.append(f"technologies must be a list such as ['4G'], not {technologies!r}")
    elif not technologies:
        errors.append("technologies is empty")
    for given, tech in zip(technologies, techs, strict=True):
        if tech is None:
            errors.append(f"unknown technology {given!r} (known: {', '.join(TECHNOLOGIES)})")
    for tech, band in bands.items():
        if band not in BANDS_MHZ:
            errors.append(
                f"unknown {tech} band {band!r} MHz (known: {', '.join(map(str, BANDS_MHZ))})"
            )
    return errors


def _range_errors(**values: float | list[float] | None) -> list[str]:
    errors = []
    for name, value in values.items():
        low, high = RANGES[name]
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            if (
                not np.isfinite(v)
                or (low is not None and v < low)
                or (high is not None and v > high)
            ):
                errors.append(f"{name} = {v:g} is out of range ({low} to {high})")
    return errors


def _append(sites: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Concatenate new sector rows, keeping the column order and dtypes of ``sites``."""
    new = new.to_crs(sites.crs) if sites.crs is not None else new
    for col in sites.columns:
        if col == sites.geometry.name:
            continue
        if col not in new:
            new[col] = pd.Series(pd.NA, index=new.index, dtype=sites[col].dtype)
        elif new[col].dtype != sites[col].dtype:
            with suppress(TypeError, ValueError):  # else keep the new values' own type
                new[col] = new[col].astype(sites[col].dtype)
    if new.geometry.name != sites.geometry.name:
        new = new.rename_geometry(sites.geometry.name)
    extra = [c for c in new.columns if c not in sites.columns]
    out = pd.concat([sites, new[list(sites.columns) + extra]], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry=sites.geometry.name, crs=sites.crs)


def _site_rows(sites: gpd.GeoDataFrame, site_id: str, what: str) -> pd.Series:
    rows = sites["site_id"].astype(str) == str(site_id)
    if not rows.any():
        raise InputError(f"{what}: no site {site_id!r} in the site table")
    return rows


def raise_antenna(sites: gpd.GeoDataFrame, site_id: str, *, height_m: float) -> gpd.GeoDataFrame:
    """Return the site table with every antenna of one site at a new, higher height.

    Parameters
    ----------
    sites
        Canonical site table.
    site_id
        The site whose antennas are raised (all its sectors and technologies).
    height_m
        New antenna height above ground; not below the site's current height.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites``.

    Raises
    ------
    InputError
        The site is unknown, the height is out of range (1–200 m) or below the current one.
    """
    rows = _site_rows(sites, site_id, "raise_antenna")
    errors = _range_errors(height_m=height_m)
    current = float(sites.loc[rows, "height_m"].max())
    if not errors and height_m < current:
        errors.append(
            f"height_m = {height_m:g} is below the current {current:g} m; "
            "to lower an antenna, edit the height_m column"
        )
    if errors:
        raise InputError(f"raise_antenna {site_id!r}: " + "; ".join(errors))
    out = sites.copy()
    out.loc[rows, "height_m"] = float(height_m)
    logger.info("site %s: antennas raised from %g to %g m", site_id, current, height_m)
    return out


def remove_site(
    sites: gpd.GeoDataFrame, site_id: str, *, technologies: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Return the site table without one site, or without some of its technologies.

    Parameters
    ----------
    sites
        Canonical site table.
    site_id
        The site to remove.
    technologies
        Only remove these technologies (e.g. ``["2G"]`` for a switch-off); ``None``
        removes the whole site.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``sites`` without those rows.

    Raises
    ------
    InputError
        The site or a technology is unknown.
    """
    rows = _site_rows(sites, site_id, "remove_site")
    if technologies is not None:
        techs = [_aliases.parse_technology(str(t)) for t in technologies]
        unknown = [t for t, p in zip(technologies, techs, strict=True) if p is None]
        if unknown:
            raise InputError(
                f"remove_site {site_id!r}: unknown technology {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(TECHNOLOGIES)})"
            )
        rows &= sites["technology"].isin(techs)
    return sites.loc[~rows].reset_index(drop=True)


# ------------------------------------------------------------------------------ re-run
def rerun(
    result: Result,
    *,
    sites: gpd.GeoDataFrame | None = None,
    villages: gpd.GeoDataFrame | None = None,
    thresholds: Thresholds | None = None,
    radio: Radio | None = None,
    name: str | None = None,
    progress: bool = False,
) -> Result:
    """Re-analyse a result with changed inputs on the same terrain, reading no file.

    Parameters
    ----------
    result
        The result to start from (:func:`covgap.pipeline.run`).
    sites, villages
        Changed site or village tables; ``None`` keeps the result's. Classified
        villages (``result.villages``) are accepted: their class columns are recomputed.
    thresholds, radio
        Changed class thresholds or radio settings; ``None`` keeps the scenario's.
    name
        Title of the new scenario on maps; default: the old title + " (what if)".
    progress
        Show a progress bar for the prediction.

    Returns
    -------
    Result
        With ``timings["read_s"] == 0``; its scenario still names the original files.

    Raises
    ------
    ValidationError
        A new site or village lies outside the result's DEM or over a void.
    """
    sites = result.sites if sites is None else sites
    villages = result.villages if villages is None else villages
    villages = villages.drop(columns=[c for c in _CLASSIFIED if c in villages.columns])
    problems = check_within_terrain(sites.reset_index(drop=True), result.terrain, file="sites")
    problems += check_within_terrain(
        villages.reset_index(drop=True), result.terrain, file="villages"
    )
    if problems:
        raise ValidationError(problems)
    scenario = replace(
        result.scenario,
        thresholds=thresholds or result.scenario.thresholds,
        radio=radio or result.scenario.radio,
        name=name if name is not None else f"{result.scenario.name} (what if)",
    )
    inputs = Inputs(
        villages.reset_index(drop=True),
        sites.reset_index(drop=True),
        result.terrain,
        result.districts,
        result.communes,
        clutter=result.clutter,
    )
    new = analyse(inputs, scenario, progress=progress)
    new.timings = {"read_s": 0.0, **new.timings}
    return new


# ----------------------------------------------------------------------------- compare
def _classified(obj: Result | gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    table = obj.villages if isinstance(obj, Result) else obj
    if "coverage_class" not in table or "village_id" not in table:
        raise InputError("compare: give Results or classified villages (with coverage_class)")
    return pd.DataFrame(table).set_index("village_id")


_FACTS = ("name", "commune", "district", "households", "population")


def compare(
    before: Result | gpd.GeoDataFrame,
    after: Result | gpd.GeoDataFrame,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """Villages whose class changed between two analyses, or the totals per district.

    A village *gains 4G* when it goes from white (no usable 4G) to low-signal or covered,
    *loses 4G* the other way; it is *newly covered* when it becomes covered.

    Parameters
    ----------
    before, after
        Two results (or their classified villages) of the same villages.
    by
        ``None``: one row per changed village. ``"district"`` or ``"commune"``: one row
        per district (commune) plus a ``Total`` row.

    Returns
    -------
    pandas.DataFrame
        Per village: ``village_id``, name, commune, district, households, population,
        ``class_before``, ``class_after``, ``rsrp_before_dbm``, ``rsrp_after_dbm``,
        ``best_site_before``, ``best_site_after``, ``improved`` (bool), ``gains_4g``
        (bool); the best gain first. Per district: ``villages_changed``,
        ``villages_improved``, ``villages_worsened``, then villages, households and
        population ``_gaining_4g``, ``_newly_covered`` and ``_losing_4g``.

    Raises
    ------
    InputError
        An argument is not classified, or ``by`` is not a column of the villages.
    """
    old, new = _classified(before), _classified(after)
    common = new.index.intersection(old.index)
    only_one = len(old) + len(new) - 2 * len(common)
    if only_one:
        logger.warning("compare: %d village(s) are in only one of the two", only_one)
    facts = [c for c in _FACTS if c in new]
    table = new.loc[common, facts].copy()
    table["class_before"] = old.loc[common, "coverage_class"]
    table["class_after"] = new.loc[common, "coverage_class"]
    for before_col, after_col, src in (
        ("rsrp_before_dbm", "rsrp_after_dbm", "rsrp_dbm"),
        ("best_site_before", "best_site_after", "best_site_id"),
    ):
        table[before_col] = old.loc[common].get(src)
        table[after_col] = new.loc[common].get(src)
    rank_old = table["class_before"].map(_RANK)
    rank_new = table["class_after"].map(_RANK)
    table["improved"] = rank_new < rank_old
    table["gains_4g"] = (table["class_before"] == WHITE) & (table["class_after"] != WHITE)
    if by is not None:
        return _totals(table, rank_old, rank_new, by)
    changed = table[rank_old != rank_new].copy()
    changed["_gain"] = (rank_old - rank_new)[changed.index]
    changed = changed.sort_values(["_gain", "population"], ascending=False, kind="stable")
    return changed.drop(columns="_gain").reset_index(names="village_id")


def _totals(table: pd.DataFrame, rank_old: pd.Series, rank_new: pd.Series, by: str) -> pd.DataFrame:
    if by not in table:
        raise InputError(f"compare: the villages have no {by!r} column to group by")
    group = table[by].fillna("?")
    flags = {
        "changed": rank_old != rank_new,
        "improved": rank_new < rank_old,
        "worsened": rank_new > rank_old,
    }
    events = {
        "gaining_4g": table["gains_4g"],
        "newly_covered": (table["class_after"] == COVERED) & (table["class_before"] != COVERED),
        "losing_4g": (table["class_before"] != WHITE) & (table["class_after"] == WHITE),
    }
    out = pd.DataFrame(index=pd.Index(sorted(group.unique()), name=by))
    for key, hit in flags.items():
        out[f"villages_{key}"] = hit.groupby(group).sum()
    for key, hit in events.items():
        out[f"villages_{key}"] = hit.groupby(group).sum()
        for measure in ("households", "population"):
            if measure not in table:
                out[f"{measure}_{key}"] = 0.0
                continue
            values = pd.to_numeric(table[measure], errors="coerce").where(hit, 0.0)
            out[f"{measure}_{key}"] = values.fillna(0.0).groupby(group).sum()
    out.loc["Total"] = out.sum()
    counts = [c for c in out.columns if c.startswith("villages_")]
    out[counts] = out[counts].astype("int64")
    return out.reset_index()
