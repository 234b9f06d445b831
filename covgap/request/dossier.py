r"""The request dossier: villages to propose for public-utility telecom stations.

The programme (Decision 2269/QĐ-TTg, Circular 14/2022/TT-BTTTT) funds stations for
villages that **have grid power**; unpowered villages go to the power utility first. The
ranked lists come from :func:`covgap.analysis.priority.rank_villages`.

:func:`propose_solutions` then suggests a *remote sector* from an existing site within
``max_remote_km`` that sees the village (line of sight, or at most
``max_diffraction_db`` of diffraction loss, and a predicted RSRP at or above the covered
threshold from a sector aimed at it), else a *new BTS*; unpowered villages need *power
first*. :func:`build_dossier` assembles everything the workbook and exports need.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..analysis.priority import PriorityWeights, rank_villages
from ..config import PlanCosts, Radio, Thresholds
from ..errors import InputError
from ..io.positions import add_local_xy

if TYPE_CHECKING:
    from ..analysis.result import Result
    from ..io.terrain import Terrain

__all__ = [
    "REQUEST_COLUMNS",
    "Dossier",
    "build_dossier",
    "propose_solutions",
]

logger = logging.getLogger(__name__)

#: Columns of the request and unpowered lists, in order (absent ones are skipped).
REQUEST_COLUMNS: tuple[str, ...] = (
    "rank",
    "priority_score",
    "village_id",
    "name",
    "commune_2025",
    "commune",
    "district",
    "lon",
    "lat",
    "easting_m",
    "northing_m",
    "households",
    "population",
    "grid_power",
    "especially_difficult",
    "coverage_class",
    "rsrp_dbm",
    "best_carrier",
    "services",
    "nearest_site_id",
    "nearest_site_carrier",
    "nearest_site_km",
    "reason",
    "reason_vi",
    "solution",
    "solution_site_id",
    "solution_carrier",
    "solution_km",
    "solution_text",
    "solution_text_vi",
    "capex_usd",
    "npv_usd",
    "grant_usd",
    "support_usd_year",
    "grant_per_person_usd",
    "economic_list",
    "list_flips",
)
#: Frequency and sector budget assumed for a remote sector (DOMAIN.md "Radio").
REMOTE_FREQ_MHZ = 1800.0
REMOTE_POWER_DBM = 46.0
REMOTE_GAIN_DBI = 18.0
#: Nearest candidate sites examined per village for a remote sector.
REMOTE_CANDIDATES = 5


def propose_solutions(
    table: pd.DataFrame,
    sites: pd.DataFrame,
    terrain: Terrain,
    *,
    radio: Radio = Radio(),
    thresholds: Thresholds = Thresholds(),
    max_remote_km: float = 10.0,
    max_diffraction_db: float = 6.0,
    power_first: bool = False,
) -> pd.DataFrame:
    """Propose how to serve every listed village: remote sector, new BTS, power first.

    A remote sector is proposed from the nearest existing site (any carrier) within
    ``max_remote_km`` whose path to the village centre is in line of sight or loses at
    most ``max_diffraction_db`` to diffraction, and from which a 1800 MHz sector aimed at
    the village (46 dBm, 18 dBi) would give at least the covered RSRP threshold (with the
    location-variability margin). Otherwise a new BTS is proposed.

    Parameters
    ----------
    table
        Villages with ``lon``/``lat`` (from :func:`rank_villages`).
    sites
        Site table (``site_id``, ``carrier``, ``height_m``, position).
    terrain
        The DEM used for the analysis.
    radio, thresholds
        Radio settings and class thresholds.
    max_remote_km, max_diffraction_db
        Limits of a remote sector.
    power_first
        The villages lack grid power: the solution is "power first", then the radio one.

    Returns
    -------
    pandas.DataFrame
        A copy with ``solution`` (``"remote_sector"``, ``"new_bts"`` or
        ``"power_first"``), ``solution_site_id``, ``solution_carrier``, ``solution_km``,
        ``solution_rsrp_dbm`` and the plain-words ``solution_text`` /
        ``solution_text_vi``.
    """
    from ..radio.links import predict_link
    from ..radio.point import _lonlat

    out = table.copy()
    s_lon, s_lat = _lonlat(sites)
    towers = (
        pd.DataFrame({"site_id": sites["site_id"].astype(str).to_numpy(),
                      "carrier": sites["carrier"].astype(str).to_numpy(),
                      "height_m": pd.to_numeric(sites["height_m"], errors="coerce").to_numpy(),
                      "lon": s_lon, "lat": s_lat})
        .groupby("site_id", sort=True)
        .agg({"carrier": "first", "height_m": "max", "lon": "first", "lat": "first"})
    )  # fmt: skip
    floor = thresholds.covered_dbm + radio.location_margin_db
    budget = (
        REMOTE_POWER_DBM - 10 * math.log10(12 * radio.resource_blocks) + REMOTE_GAIN_DBI
        - radio.cable_loss_db - radio.clutter_loss_db
    )  # fmt: skip
    found = []
    for row in out.itertuples(index=False):
        found.append(
            _remote(row.lon, row.lat, towers, terrain, predict_link, radio,
                    budget, floor, max_remote_km, max_diffraction_db)
        )  # fmt: skip
    for col in ("solution_site_id", "solution_carrier", "solution_km", "solution_rsrp_dbm"):
        out[col] = [f.get(col) if f else None for f in found]
    out["solution_km"] = pd.to_numeric(out["solution_km"], errors="coerce")
    out["solution_rsrp_dbm"] = pd.to_numeric(out["solution_rsrp_dbm"], errors="coerce")
    radio_choice = ["remote_sector" if f else "new_bts" for f in found]
    out["solution"] = "power_first" if power_first else radio_choice
    texts = [_solution_text(c, f, power_first) for c, f in zip(radio_choice, found, strict=True)]
    out["solution_text"] = [t[0] for t in texts]
    out["solution_text_vi"] = [t[1] for t in texts]
    return out


def _remote(lon, lat, towers, terrain, predict_link, radio, budget, floor, max_km, max_diff):
    """Find the nearest site that can serve the village with a remote sector, or None."""
    from ..io.terrain import distance_km

    dist = distance_km(towers["lon"].to_numpy(), towers["lat"].to_numpy(), lon, lat)
    order = np.argsort(dist, kind="stable")
    for i in order[:REMOTE_CANDIDATES]:
        if dist[i] > max_km:
            break
        tower = towers.iloc[i]
        try:
            link = predict_link(
                terrain, tower["lon"], tower["lat"], lon, lat,
                tx_height_m=float(tower["height_m"]), freq_mhz=REMOTE_FREQ_MHZ, radio=radio,
            )  # fmt: skip
        except InputError:
            continue
        rsrp = budget - link.path_loss_db
        if (link.los or link.diffraction_loss_db <= max_diff) and rsrp >= floor:
            return {
                "solution_site_id": towers.index[i],
                "solution_carrier": tower["carrier"],
                "solution_km": round(float(dist[i]), 2),
                "solution_rsrp_dbm": round(float(rsrp), 1),
                "los": bool(link.los),
                "diffraction_db": float(link.diffraction_loss_db),
            }
    return None


def _solution_text(choice: str, found: dict | None, power_first: bool) -> tuple[str, str]:
    """Plain-words solution (English, Vietnamese)."""
    if choice == "remote_sector":
        km = found["solution_km"]
        km_vi = f"{km:.1f}".replace(".", ",")
        if found["los"]:
            how_en, how_vi = "line of sight", "nhìn thẳng"
        else:
            d = found["diffraction_db"]
            how_en = f"{d:.1f} dB diffraction"
            how_vi = f"suy hao nhiễu xạ {d:.1f} dB".replace(".", ",")
        site = found["solution_site_id"]
        en = f"remote sector from site {site} ({how_en}, {km:.1f} km)"
        vi = f"lắp sector từ xa (remote) từ trạm {site} ({how_vi}, {km_vi} km)"
    else:
        en, vi = "new BTS", "xây trạm BTS mới"
    if power_first:
        return f"power first, then {en}", f"cần có điện lưới trước, sau đó {vi}"
    return en, vi


@dataclass
class Dossier:
    """Everything the request workbook and exports contain (see :func:`build_dossier`).

    Attributes
    ----------
    request
        Ranked white/low-signal villages with grid power.
    unpowered
        Ranked white/low-signal villages without grid power (or unknown).
    status
        :func:`covgap.analysis.status.status_table`.
    sunset
        :func:`covgap.analysis.status.sunset_impact` for every carrier and any carrier.
    summaries
        ``"commune_2025"``, ``"commune"``, ``"district"`` ->
        :func:`covgap.analysis.status.coverage_summary`.
    info
        Scenario facts (:meth:`covgap.pipeline.Result.info`) plus ``local_crs``,
        ``local_crs_name``, the priority weights and the business-case parameters.
    business
        Every listed village's business case (:mod:`covgap.request.business`): the
        public-utility villages first, most people per unit of support first, then the
        commercial ones, then those that need power first.
    field_check
        With a calibrated scenario, the villages whose class changes within ±1σ
        (:func:`covgap.analysis.calibrate.field_check_of`); empty otherwise.
    """

    request: pd.DataFrame
    unpowered: pd.DataFrame
    status: pd.DataFrame
    sunset: pd.DataFrame
    summaries: dict[str, pd.DataFrame]
    info: dict[str, Any] = field(default_factory=dict)
    business: pd.DataFrame = field(default_factory=pd.DataFrame)
    field_check: pd.DataFrame = field(default_factory=pd.DataFrame)


def solution_sites(
    table: pd.DataFrame, *, costs: PlanCosts | None = None, road_km: pd.Series | None = None
) -> pd.DataFrame:
    """Return each village's cheapest solution as a site row for its business case.

    Parameters
    ----------
    table
        Villages with their solution (:func:`propose_solutions`).
    costs
        Unit costs (``None``: the defaults).
    road_km
        Distance from each village to the nearest road, indexed by ``village_id``
        (``None``: unknown, off-grid power is taken as viable).

    Returns
    -------
    pandas.DataFrame
        ``table`` with the columns :func:`covgap.analysis.economics.business_cases` reads
        (see :mod:`covgap.request.business` for the assumptions).
    """
    table = table.copy()
    costs = costs or PlanCosts()
    remote = table.get("solution_site_id", pd.Series(np.nan, index=table.index)).notna()
    remote = remote.to_numpy(bool)
    people = pd.to_numeric(table.get("population"), errors="coerce")
    table["kind"] = np.where(remote, "remote_sector", "new_bts")
    carrier = table.get("solution_carrier", pd.Series(np.nan, index=table.index))
    table["carrier"] = np.where(remote, carrier.astype(object), None)
    table["people_new"] = people.fillna(0.0).to_numpy(float)
    table["people_known"] = people.notna().to_numpy(bool)
    table["site_usd"] = np.where(remote, costs.add_sector_usd, costs.new_site_usd)
    table["backhaul"] = np.where(remote, "existing", "microwave")
    table["backhaul_usd"] = np.where(remote, 0.0, costs.microwave_link_usd)
    powered = table["grid_power"].astype("boolean").fillna(False).to_numpy(bool)
    table["power_km"] = np.where(powered, 0.0, np.nan)
    table["road_km"] = (
        table["village_id"].map(road_km).to_numpy(float) if road_km is not None else np.nan
    )
    return table


def build_dossier(
    result: Result,
    *,
    weights: PriorityWeights = PriorityWeights(),
    crosswalk: pd.DataFrame | None = None,
    max_remote_km: float = 10.0,
    max_diffraction_db: float = 6.0,
    road_km: pd.Series | None = None,
) -> Dossier:
    """Build the request lists, statuses, switch-off impact and summaries of an analysis.

    Parameters
    ----------
    result
        A finished analysis (:func:`covgap.pipeline.run`).
    weights
        Priority weights.
    crosswalk
        Old commune -> 07/2025 unit (:func:`covgap.io.reform.read_crosswalk`). ``None``: for
        a synthetic scenario with communes, :func:`covgap.io.reform.synthetic_crosswalk`;
        otherwise no new units are named.
    max_remote_km, max_diffraction_db
        Limits of a remote-sector proposal (:func:`propose_solutions`).
    road_km
        Each village's distance to a road (indexed by ``village_id``), for the off-grid
        power of its business case; ``None``: unknown.

    Returns
    -------
    Dossier
    """
    from ..analysis.status import coverage_summary, service_table, status_table, sunset_impact
    from ..io.reform import apply_crosswalk, synthetic_crosswalk

    scenario = result.scenario
    if crosswalk is None and scenario.synthetic and result.communes is not None:
        crosswalk = synthetic_crosswalk(result.communes)
    villages = result.villages
    if crosswalk is not None:
        villages = apply_crosswalk(villages, crosswalk)
    status = status_table(
        villages, result.points, result.servers, result.sites,
        thresholds=scenario.thresholds, radio=scenario.radio,
    )  # fmt: skip
    sunset = sunset_impact(villages, service_table(status))
    lists = {}
    for powered in (True, False):
        ranked = add_local_xy(rank_villages(villages, weights=weights, powered=powered),
                              scenario.local_crs)  # fmt: skip
        ranked = propose_solutions(
            ranked, result.sites, result.terrain, radio=scenario.radio,
            thresholds=scenario.thresholds, max_remote_km=max_remote_km,
            max_diffraction_db=max_diffraction_db, power_first=not powered,
        )  # fmt: skip
        lists[powered] = ranked
    business = _business(lists, scenario, road_km)
    lists = {k: v[[c for c in REQUEST_COLUMNS if c in v]] for k, v in lists.items()}
    summaries = {
        by: coverage_summary(status, sunset, by=by)
        for by in ("commune_2025", "commune", "district")
        if by in status
    }
    info = {
        **result.info(),
        "covered_dbm": scenario.thresholds.covered_dbm,
        "low_signal_dbm": scenario.thresholds.low_signal_dbm,
        "local_crs": scenario.local_crs,
        "local_crs_name": CRS.from_user_input(scenario.local_crs).name,
        "weights": asdict(weights),
        "max_remote_km": max_remote_km,
        "max_diffraction_db": max_diffraction_db,
        "villages_analysed": len(villages),
        "economics": asdict(scenario.economics),
        "lists": business["economic_list"].value_counts().to_dict() if len(business) else {},
    }
    logger.info(
        "dossier: %d villages to request, %d without grid power, %d lose service at a sunset",
        len(lists[True]), len(lists[False]), int((sunset["carrier"] == "any").sum()),
    )  # fmt: skip
    from ..analysis.calibrate import field_check_of

    check = field_check_of(result)
    if check is not None:
        check = check[check["field_check"]].reset_index(drop=True)
    else:
        check = pd.DataFrame()
    return Dossier(lists[True], lists[False], status, sunset, summaries, info, business, check)


def _business(
    lists: dict[bool, pd.DataFrame], scenario: Any, road_km: pd.Series | None
) -> pd.DataFrame:
    """Price every listed village's solution; add the business columns to both lists."""
    from ..analysis.economics import business_cases, flips

    tables = [t for t in (lists[True], lists[False]) if len(t)]
    if not tables:
        return pd.DataFrame(columns=["village_id", "economic_list"])
    sites = solution_sites(
        pd.concat(tables, ignore_index=True), costs=scenario.costs, road_km=road_km
    )
    cases = business_cases(sites, scenario.economics)
    cases["list_flips"] = flips(sites, scenario.economics)
    cols = ["capex_usd", "npv_usd", "grant_usd", "support_usd_year", "grant_per_person_usd",
            "economic_list", "list_flips"]  # fmt: skip
    by_id = cases.set_index("village_id")[cols]
    for key, table in lists.items():
        extra = by_id.reindex(table["village_id"].to_numpy())
        lists[key] = pd.concat([table.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
    order = {"public_utility": 0, "commercial": 1, "power_first": 2}
    cases["_list"] = cases["economic_list"].map(order)
    people_per_usd = cases["people_new"] / cases["grant_usd"].where(cases["grant_usd"] > 0)
    cases["_per_usd"] = people_per_usd.fillna(0.0)
    cases = cases.sort_values(["_list", "_per_usd", "village_id"], ascending=[True, False, True])
    return cases.drop(columns=["_list", "_per_usd"]).reset_index(drop=True)
