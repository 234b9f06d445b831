"""Upgrades of existing sites and the sector rows of any candidate (internal).

:func:`upgrade_candidates` and :func:`candidate_sectors` are public through
:mod:`covgap.plan.candidates`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points as shapely_points

import covgap.io.aliases as _aliases
import covgap.plan.candidates.los as los_

from ...config import PlanCosts
from ...errors import InputError
from ...io.terrain import Terrain, bearing_deg, sample_heights
from ...schema import (
    BANDS_MHZ,
    CARRIERS,
    DEFAULT_BEAMWIDTH_DEG,
    DEFAULT_GAIN_DBI,
    DEFAULT_OMNI_GAIN_DBI,
    DEFAULT_POWER_DBM,
    DEFAULT_TILT_DEG,
    OMNI_BEAMWIDTH_DEG,
    SITE_COLUMNS,
    TECHNOLOGIES,
)
from .table import CANDIDATE_COLUMNS, _azimuth_text, _frame, _parse_azimuths, _road_km, _targets


# --------------------------------------------------------------------------- upgrades
def upgrade_candidates(
    sites: pd.DataFrame,
    targets: pd.DataFrame,
    terrain: Terrain,
    *,
    max_km: float = 10.0,
    costs: PlanCosts = PlanCosts(),
    roads: gpd.GeoDataFrame | None = None,
    villages: pd.DataFrame | None = None,
    rx_height_m: float = 1.5,
    k_factor: float = 4 / 3,
    min_visible: int = 0,
) -> gpd.GeoDataFrame:
    """Propose upgrades of existing sites near the target villages.

    * ``add_4g``: a site whose sectors are all 2G, with a target within ``max_km``, gets
      4G sectors on the azimuths of its 2G sectors (one omni antenna when they have none).
    * ``add_sector``: a site with directional 4G sectors and targets within ``max_km``
      outside every 4G half-power beam (``|bearing - azimuth| > beamwidth / 2``) gets one
      new sector. Its azimuth serves the heaviest group of those targets: among the
      windows of the default beamwidth (65°) centred on each such target, the one holding
      the most weight (ties: the nearer target), and the azimuth is the weighted circular
      mean of the bearings inside it -- a lone target gets a sector pointing straight at
      it.

    Parameters
    ----------
    sites
        Canonical site table, one row per sector.
    targets
        As for :func:`~covgap.plan.candidates.generate_candidates`: one row per point,
        ``village_id``, ``lon``, ``lat`` (or a point geometry), ``weight``; a village with
        several points counts once in ``n_visible``, ``visible_weight`` and the note.
    terrain
        The DEM (ground heights and the line of sight behind ``n_visible``).
    max_km
        Farthest target an upgrade is proposed for.
    costs
        ``site_usd`` is ``costs.add_4g_usd`` or ``costs.add_sector_usd``.
    roads, villages
        As for :func:`generate_candidates`: give ``road_km`` and ``power_km``.
    rx_height_m, k_factor
        Receiver height and earth-radius factor of the line of sight.
    min_visible
        Drop upgrades with fewer targets in line of sight (``n_visible``); the default 0
        keeps every upgrade and leaves the judgement to the prediction.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`CANDIDATE_COLUMNS`; ``candidate_id`` ``U-<site_id>-4G`` or
        ``U-<site_id>-S``, ``site_id`` the existing site, ``carrier`` its carrier,
        ``height_m`` its highest antenna. ``n_visible`` and ``visible_weight`` count the
        target villages within ``max_km`` in line of sight of that antenna (for ``add_sector``
        only those inside the new sector's beam), sorted by site id.
    """
    tg = _targets(targets, terrain)
    table = _site_table(sites)
    p, t, d = los_.pairs_within(
        table["lon"].to_numpy(), table["lat"].to_numpy(), tg["lon"], tg["lat"], max_km
    )
    ground = sample_heights(terrain, table["lon"].to_numpy(), table["lat"].to_numpy())
    off = np.isnan(ground)
    if off.any():
        names = ", ".join(table["site_id"].to_numpy()[off][:10])
        raise InputError(f"{int(off.sum())} site(s) outside the DEM or over nodata: {names}")
    seen = los_.line_of_sight(
        terrain,
        (table["lon"].to_numpy()[p], table["lat"].to_numpy()[p], ground[p]),
        (tg["lon"][t], tg["lat"][t], tg["ground"][t]),
        d,
        tx_height_m=table["height_m"].to_numpy()[p],
        rx_height_m=rx_height_m,
        k_factor=k_factor,
    )
    bearing = bearing_deg(
        table["lon"].to_numpy()[p], table["lat"].to_numpy()[p], tg["lon"][t], tg["lat"][t]
    )
    bounds = np.searchsorted(p, np.arange(len(table) + 1))  # pairs are grouped by site
    rows = []
    for i, site in enumerate(table.itertuples(index=False)):
        mine = np.arange(bounds[i], bounds[i + 1])
        row = _site_upgrade(site, mine, t, d, bearing, seen, tg, costs) if len(mine) else None
        if row is not None and row["n_visible"] >= min_visible:
            rows.append(row)
    return _upgrade_frame(rows, table, ground, roads, villages)


def _site_upgrade(site, mine, t, d, bearing, seen, tg, costs) -> dict | None:
    """Return the upgrade of one site from its pairs ``mine`` (indices of the pair arrays)."""
    if site.only_2g:
        n_near = len(np.unique(tg["village"][t[mine]]))
        return _upgrade_row(site, "add_4g", site.azimuths_2g, mine, seen, t, tg, costs, n_near)
    if not site.beams:
        return None
    out = mine[np.array([_outside(bearing[k], site.beams) for k in mine], dtype=bool)]
    if len(out) == 0:
        return None
    az, inside = _sector_towards(bearing[out], d[out], tg["weight"][t[out]])
    azimuths = _azimuth_text([az])
    n_near = len(np.unique(tg["village"][t[out]]))
    return _upgrade_row(site, "add_sector", azimuths, out[inside], seen, t, tg, costs, n_near)


def _site_table(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per site: position, carrier, highest antenna, 2G azimuths, 4G beams."""
    if "lon" in sites.columns and "lat" in sites.columns:
        lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
    else:
        lon, lat = sites.geometry.x.to_numpy(float), sites.geometry.y.to_numpy(float)
    sec = pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "carrier": sites["carrier"].astype(str).to_numpy(),
            "technology": sites["technology"].astype(str).to_numpy(),
            "height_m": sites["height_m"].to_numpy(float),
            "azimuth_deg": sites["azimuth_deg"].to_numpy(float)
            if "azimuth_deg" in sites.columns
            else np.nan,
            "beamwidth_deg": sites["beamwidth_deg"].to_numpy(float)
            if "beamwidth_deg" in sites.columns
            else DEFAULT_BEAMWIDTH_DEG,
            "lon": lon,
            "lat": lat,
        }
    )
    sec["beamwidth_deg"] = sec["beamwidth_deg"].fillna(DEFAULT_BEAMWIDTH_DEG)
    out = []
    for site_id, g in sec.groupby("site_id", sort=True):
        techs = set(g["technology"])
        g4 = g[g["technology"] == "4G"]
        omni4 = (g4["azimuth_deg"].isna() | (g4["beamwidth_deg"] >= OMNI_BEAMWIDTH_DEG)).any()
        beams = [] if omni4 else list(zip(g4["azimuth_deg"], g4["beamwidth_deg"], strict=True))
        az2 = sorted(set(g.loc[g["technology"] == "2G", "azimuth_deg"].dropna().round(1)))
        out.append(
            {
                "site_id": site_id,
                "carrier": g["carrier"].iloc[0],
                "lon": g["lon"].iloc[0],
                "lat": g["lat"].iloc[0],
                "height_m": g["height_m"].max(),
                "only_2g": techs == {"2G"},
                "azimuths_2g": _azimuth_text(az2),
                "beams": beams,
            }
        )
    return pd.DataFrame(
        out,
        columns=["site_id", "carrier", "lon", "lat", "height_m", "only_2g", "azimuths_2g", "beams"],
    )


def _angle_diff(a, b):
    """Smallest absolute difference of two bearings, degrees (0-180)."""
    return np.abs((np.asarray(a, float) - np.asarray(b, float) + 180.0) % 360.0 - 180.0)


def _outside(bearing: float, beams: list[tuple[float, float]]) -> bool:
    return all(_angle_diff(bearing, az) > bw / 2.0 for az, bw in beams)


def _sector_towards(bearings, dists, weights) -> tuple[float, np.ndarray]:
    """Azimuth of one new sector for the heaviest group of bearings; who is in its beam."""
    half = DEFAULT_BEAMWIDTH_DEG / 2.0
    within = _angle_diff(bearings[:, None], bearings[None, :]) <= half
    load = within.astype(float) @ np.maximum(weights, 1e-9)
    best = np.lexsort((dists, -load))[0]  # heaviest window, then the nearest centre
    group = within[best]
    w = np.maximum(weights[group], 1e-9)
    rad = np.radians(bearings[group])
    az = np.degrees(np.arctan2((w * np.sin(rad)).sum(), (w * np.cos(rad)).sum())) % 360.0
    az = round(float(az), 1) % 360.0
    return az, _angle_diff(bearings, az) <= half


def _upgrade_row(site, kind, azimuths, pairs, seen, t, tg, costs, n_near) -> dict:
    visible = np.unique(tg["village"][t[pairs][seen[pairs]]])  # villages, once each
    return {
        "candidate_id": f"U-{site.site_id}-{'4G' if kind == 'add_4g' else 'S'}",
        "kind": kind,
        "site_id": site.site_id,
        "carrier": site.carrier,
        "height_m": site.height_m,
        "n_visible": len(visible),
        "visible_weight": float(tg["v_weight"][visible].sum()),
        "site_usd": float(costs.add_4g_usd if kind == "add_4g" else costs.add_sector_usd),
        "azimuths_deg": azimuths,
        "n_near": n_near,
    }


def _upgrade_frame(rows, table, ground, roads, villages) -> gpd.GeoDataFrame:
    if not rows:
        return _frame({}, 0)
    data = pd.DataFrame(rows)
    where = table.set_index("site_id")
    lon = where.loc[data["site_id"], "lon"].to_numpy(float)
    lat = where.loc[data["site_id"], "lat"].to_numpy(float)
    g = pd.Series(ground, index=table["site_id"]).loc[data["site_id"]].to_numpy()
    road = _road_km(lon, lat, roads)
    power = los_.power_km(lon, lat, villages)
    notes = []
    for k, row in enumerate(data.itertuples(index=False)):
        if row.kind == "add_4g":
            what = f"2G-only site, add 4G: {row.n_near} uncovered village(s) within reach"
        else:
            what = (
                f"add a sector at {row.azimuths_deg}°: {row.n_near} uncovered "
                "village(s) within reach outside the 4G beams"
            )
        notes.append(
            f"{what}, {row.n_visible} in line of sight"
            + (f", {road[k]:.1f} km from a road" if np.isfinite(road[k]) else "")
        )
    cols = {c: data[c].to_numpy() for c in data.columns if c in CANDIDATE_COLUMNS}
    cols |= {"lon": lon, "lat": lat, "ground_m": g, "road_km": road, "power_km": power}
    return _frame(cols | {"note": notes}, len(data))


# --------------------------------------------------------------------------- sectors
def candidate_sectors(
    candidates: pd.DataFrame,
    *,
    carrier: str = "Viettel",
    technology: str = "4G",
    freq_mhz: int = 1800,
    sites: pd.DataFrame | None = None,
    tilt_deg: float = DEFAULT_TILT_DEG,
    beamwidth_deg: float = DEFAULT_BEAMWIDTH_DEG,
) -> gpd.GeoDataFrame:
    """Return the sector rows each candidate would add to the site table.

    New and user sites get one sector per azimuth of ``azimuths_deg`` (one omni antenna
    when it is empty) with ``site_id`` the candidate id and sector ids like
    ``4G1800-1``; upgrades get rows on the existing ``site_id`` with sector ids like
    ``4G1800-U1``, numbered past any id of that site in ``sites`` or in earlier rows.
    Values not given take the readers' defaults (:mod:`covgap.schema`): 46 dBm for 4G,
    43 dBm for 2G/3G, 18 dBi (11 dBi omni).

    Parameters
    ----------
    candidates
        A candidate table (:data:`CANDIDATE_COLUMNS`).
    carrier
        Carrier of the candidates whose ``carrier`` is NA (not tied to one).
    technology, freq_mhz
        Technology and band of the new sectors.
    sites
        The existing site table, to keep upgrade sector ids unique; optional.
    tilt_deg, beamwidth_deg
        Downtilt and horizontal beamwidth of the new sectors.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` and the canonical site columns (:data:`covgap.schema.SITE_COLUMNS`)
        with Point geometry (EPSG:4326), ready for :func:`covgap.radio.point.best_servers`.

    Raises
    ------
    InputError
        Unknown carrier, technology or band, or an unreadable ``azimuths_deg``.
    """
    tech, default_carrier = _aliases.parse_technology(str(technology)), None
    if carrier is not None:
        default_carrier = _aliases.parse_carrier(str(carrier))
    errors = []
    if tech is None:
        errors.append(f"unknown technology {technology!r} (known: {', '.join(TECHNOLOGIES)})")
    if int(freq_mhz) not in BANDS_MHZ:
        errors.append(f"unknown band {freq_mhz!r} MHz (known: {', '.join(map(str, BANDS_MHZ))})")
    if default_carrier is None:
        errors.append(f"unknown carrier {carrier!r} (known: {', '.join(CARRIERS)})")
    if errors:
        raise InputError("candidate_sectors: " + "; ".join(errors))
    used = _used_sector_ids(sites)
    rows, geoms = [], []
    for cand in candidates.itertuples(index=False):
        try:
            azimuths = _parse_azimuths(cand.azimuths_deg)
        except ValueError as exc:
            raise InputError(
                f"candidate {cand.candidate_id}: azimuths_deg {cand.azimuths_deg!r} is not a "
                "list of angles such as '0;120;240'"
            ) from exc
        name = default_carrier if pd.isna(cand.carrier) else _aliases.parse_carrier(cand.carrier)
        if name is None:
            raise InputError(f"candidate {cand.candidate_id}: unknown carrier {cand.carrier!r}")
        upgrade = cand.kind in ("add_4g", "add_sector")
        site_id = str(cand.site_id if upgrade else cand.candidate_id)
        for az in azimuths or [np.nan]:
            sector = _next_sector_id(
                used.setdefault(site_id, set()), tech, int(freq_mhz), "U" if upgrade else ""
            )
            omni = not np.isfinite(az)
            rows.append(
                {
                    "candidate_id": str(cand.candidate_id),
                    "site_id": site_id,
                    "sector_id": sector,
                    "carrier": name,
                    "technology": tech,
                    "freq_mhz": int(freq_mhz),
                    "height_m": float(cand.height_m),
                    "azimuth_deg": float(az),
                    "tilt_deg": float(tilt_deg),
                    "power_dbm": DEFAULT_POWER_DBM[tech],
                    "gain_dbi": DEFAULT_OMNI_GAIN_DBI if omni else DEFAULT_GAIN_DBI,
                    "beamwidth_deg": OMNI_BEAMWIDTH_DEG if omni else float(beamwidth_deg),
                    "fibre_backhaul": pd.NA,
                }
            )
            geoms.append((float(cand.lon), float(cand.lat)))
    columns = ["candidate_id", *SITE_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    frame["freq_mhz"] = frame["freq_mhz"].astype("int64")
    frame["fibre_backhaul"] = frame["fibre_backhaul"].astype("boolean")
    for name in ("candidate_id", "site_id", "sector_id", "carrier", "technology"):
        frame[name] = frame[name].astype("str")
    xy = np.asarray(geoms, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(frame, geometry=list(shapely_points(xy)), crs="EPSG:4326")


def _used_sector_ids(sites: pd.DataFrame | None) -> dict[str, set[str]]:
    if sites is None or "sector_id" not in sites.columns:
        return {}
    pairs = zip(sites["site_id"].astype(str), sites["sector_id"].astype(str), strict=True)
    used: dict[str, set[str]] = {}
    for site_id, sector_id in pairs:
        used.setdefault(site_id, set()).add(sector_id)
    return used


def _next_sector_id(used: set[str], tech: str, freq: int, tag: str) -> str:
    k = 1
    while f"{tech}{freq}-{tag}{k}" in used:
        k += 1
    name = f"{tech}{freq}-{tag}{k}"
    used.add(name)
    return name
