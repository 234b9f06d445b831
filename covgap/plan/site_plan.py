r"""Plan the fixes: new sites that newly cover the most people, and their backhaul.

:func:`plan_network` takes an analysis of the existing network (a
:class:`~covgap.pipeline.Result`) and

1. lists candidate sites: high points of the DEM that see uncovered villages
   (:func:`covgap.plan.candidates.generate_candidates`), the user's own candidates, and
   upgrades of existing sites (4G on a 2G-only site, a sector towards a shadowed village);
2. builds the **coverage matrix** (:func:`coverage_matrix`): candidate :math:`j` covers
   village :math:`i` when, with :math:`j` added to the existing sites, every reference
   point of :math:`i` (its centre and clusters) reaches the *covered* class -- the same
   propagation model, link budget, thresholds and location-variability margin as the
   analysis. A village that would need two candidates together (one per cluster) is not
   counted, so the matrix never over-promises; the after-analysis re-runs the whole
   prediction with the chosen sites and reports what they really give;
3. prices each candidate: its site cost plus its cheapest stand-alone backhaul (fibre
   along roads, a microwave hop with first-Fresnel-zone clearance, or satellite;
   :func:`covgap.plan.backhaul.standalone_backhaul`);
4. solves the maximal covering location problem (:func:`covgap.plan.mclp.solve_mclp`,
   math there) for ``k`` sites or a budget, exactly with CBC, and with the greedy
   heuristic as a check (its gap to the optimum is reported);
5. designs the backhaul of the chosen sites together, with shared trenches
   (:func:`covgap.plan.backhaul.plan_backhaul`), re-runs the analysis with the new sites
   (before/after by district and commune), and ranks every white and low-signal village
   by the cost of bringing fibre to it (:func:`covgap.plan.backhaul.fibre_rollout`).

Existing sites are always kept. With ``carrier=None`` the plan is for sites shared by
the three carriers (a public-utility station hosting each carrier's 4G): a village is a
target when no carrier covers it. With a carrier, the plan is that carrier's: a village
is a target when that carrier does not cover it, and only its sites are upgraded.

>>> import covgap
>>> from covgap.plan.site_plan import plan_network
>>> result = covgap.run()  # doctest: +SKIP
>>> p = plan_network(result, roads=roads, k=10)  # doctest: +SKIP
>>> p.proposed[["candidate_id", "people_new", "total_usd"]]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..config import PlanCosts
from ..errors import InputError
from ..schema import CARRIERS, COVERED, LOW_SIGNAL, WHITE, carrier_slug

if TYPE_CHECKING:
    from ..analysis.result import Result
    from .mclp import Solution

__all__ = ["Plan", "coverage_matrix", "plan_network"]

logger = logging.getLogger(__name__)

#: Weights a plan can maximise.
WEIGHTS = ("population", "households", "villages")
#: Columns of :attr:`Plan.proposed`, in order.
PROPOSED_COLUMNS = (
    "rank",
    "candidate_id",
    "kind",
    "site_id",
    "carrier",
    "lon",
    "lat",
    "ground_m",
    "height_m",
    "azimuths_deg",
    "villages_new",
    "households_new",
    "people_new",
    "village_ids",
    "site_usd",
    "backhaul",
    "backhaul_km",
    "backhaul_usd",
    "total_usd",
    "usd_per_person",
    "road_km",
    "power_km",
    "n_visible",
    "note",
)


@dataclass
class Plan:
    """A site plan: what to build, what it covers, what it costs.

    Attributes
    ----------
    before, after
        The analysis of the existing network and the analysis with the proposed sites.
    candidates
        Every candidate considered (:data:`covgap.plan.candidates.CANDIDATE_COLUMNS`) with
        its stand-alone backhaul, ``cost_usd`` (site + backhaul), ``villages_cover`` and
        ``weight_cover`` (what it newly covers alone) and ``chosen``.
    proposed
        The chosen sites (:data:`PROPOSED_COLUMNS`), best first, with the villages,
        households and people each newly covers (from the after-analysis) and its
        cost with the backhaul of the joint design.
    backhaul
        Backhaul of the chosen sites from :func:`covgap.plan.backhaul.plan_backhaul`.
    routes
        Backhaul routes (fibre along roads, microwave hops) as lines.
    before_after
        Villages, households and people by class before and after, per ``"district"``
        and ``"commune"``.
    fibre
        White and low-signal villages ranked by the cost of fibre to them.
    solution, greedy
        The exact MCLP solution and the greedy one (a check).
    cover
        The coverage matrix (candidates × villages, CSR) the solver used.
    options
        The planning options (k or budget, carrier, weight, costs).
    timings
        Seconds per step.
    """

    before: Result
    after: Result
    candidates: gpd.GeoDataFrame
    proposed: gpd.GeoDataFrame
    backhaul: pd.DataFrame
    routes: gpd.GeoDataFrame
    before_after: dict[str, pd.DataFrame]
    fibre: pd.DataFrame
    solution: Solution
    greedy: Solution
    cover: sp.csr_matrix
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def stats(self) -> dict[str, Any]:
        """Headline figures: sites, cost, people newly covered, greedy gap."""
        weight_new = _newly(self.before.villages, self.after.villages, self.options["carrier"])
        people = float(self.before.villages.loc[weight_new, "population"].fillna(0).sum())
        cost = float(self.proposed["total_usd"].sum())
        exact, greedy = self.solution.objective, self.greedy.objective
        return {
            "sites": len(self.proposed),
            "candidates": len(self.candidates),
            "villages_new": int(weight_new.sum()),
            "people_new": people,
            "households_new": float(
                self.before.villages.loc[weight_new, "households"].fillna(0).sum()
            ),
            "total_usd": cost,
            "people_per_million_usd": people / cost * 1e6 if cost > 0 else float("nan"),
            "objective": exact,
            "greedy_objective": greedy,
            # no optimum to compare with when the greedy answer is the plan
            "greedy_gap": float("nan")
            if self.solution.method == "greedy"
            else ((exact - greedy) / exact if exact > 0 else 0.0),
            "solver_status": self.solution.status,
            "solve_s": self.solution.solve_seconds,
        }

    def new_sectors(self) -> gpd.GeoDataFrame:
        """Sector rows the plan adds to the network (new sites and upgrades)."""
        keys = ["site_id", "sector_id", "carrier"]
        old = self.before.sites[keys].astype(str).drop_duplicates()
        rows = self.after.sites.merge(old, on=keys, how="left", indicator=True)
        return self.after.sites.loc[(rows["_merge"] == "left_only").to_numpy()]

    def coverage(self, *, radius_km: float = 20.0, progress: bool = False) -> Any:
        """Best-server rasters of the proposed sites alone (cached after the first call).

        The area engine (:func:`covgap.radio.parallel.predict_area`) over ``radius_km`` around
        each new site and upgrade, with the scenario's model and radio settings; the
        plan's map draws its 4G layer as the predicted coverage of the proposed sites.
        """
        key = ("coverage", radius_km)
        if key not in self._cache:
            sectors = self.new_sectors()
            self._cache[key] = self._predict(sectors, radius_km, progress) if len(sectors) else None
        return self._cache[key]

    def _predict(self, sectors: pd.DataFrame, radius_km: float, progress: bool) -> Any:
        from ..analysis.calibration import calibrate_rasters, calibrated_radio
        from ..radio.parallel import predict_area

        scenario = self.before.scenario
        info = {"scenario": scenario.name, "synthetic": scenario.synthetic}
        rasters = predict_area(
            self.before.terrain, sectors, radius_km=radius_km, model=scenario.radio.model,
            radio=scenario.radio, thresholds=scenario.thresholds,
            info=info | {"layer": "proposed sites"}, progress=progress,
            warn_clipped=False,  # a proposed site near the DEM's edge: expected
            clutter=self.before.clutter,
        )  # fmt: skip
        return calibrate_rasters(
            rasters, scenario.calibration, thresholds=scenario.thresholds,
            radio=calibrated_radio(scenario.radio, scenario.calibration),
            clutter=self.before.clutter,
        )  # fmt: skip


# --------------------------------------------------------------------------- matrix
def _floor(result: Result) -> float:
    return result.scenario.thresholds.covered_dbm + result.scenario.radio.location_margin_db


def _base_signal(result: Result, carrier: str | None) -> pd.Series:
    """Best existing 4G RSRP per point (of one carrier, or of any); NaN when none."""
    servers = result.servers[result.servers["technology"] == "4G"]
    if carrier is not None:
        servers = servers[servers["carrier"] == carrier]
    best = servers.groupby("point_id")["signal_dbm"].max()
    return result.points["point_id"].map(best).astype(float)


def _target_mask(villages: pd.DataFrame, carrier: str | None) -> np.ndarray:
    column = "coverage_class" if carrier is None else f"class_{carrier_slug(carrier)}"
    return (villages[column] != COVERED).to_numpy()


def coverage_matrix(
    result: Result,
    sectors: pd.DataFrame,
    *,
    carrier: str | None = None,
    progress: bool = False,
    chunk: int = 64,
) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Which candidate alone newly covers which village.

    Parameters
    ----------
    result
        The analysis of the existing network.
    sectors
        Candidate sector rows (:func:`covgap.plan.candidates.candidate_sectors`), with a
        ``candidate_id`` column.
    carrier
        Plan for one carrier (its existing signal is the baseline) or, with ``None``,
        for all (the best existing signal of any carrier).
    progress
        Show a progress bar.
    chunk
        Candidates per batch (bounds memory).

    Returns
    -------
    cover : scipy.sparse.csr_matrix
        Boolean, candidates (in order of first appearance in ``sectors``) × villages (in
        ``result.villages`` order).
    signals : pandas.DataFrame
        ``candidate_id``, ``point_id``, ``village_id``, ``signal_dbm``: the candidate's
        best 4G RSRP at every failing point of a target village in range.
    """
    from tqdm import tqdm

    from ..radio.point import best_servers

    villages, points = result.villages, result.points
    floor = _floor(result)
    base = _base_signal(result, carrier).to_numpy()
    targets = _target_mask(villages, carrier)
    target_ids = set(villages.loc[targets, "village_id"])
    failing = points[points["village_id"].isin(target_ids) & ~(base >= floor)]
    need = failing.groupby("village_id").size()
    cand_ids = pd.unique(sectors["candidate_id"]).tolist()
    frames = []
    for start in tqdm(range(0, len(cand_ids), chunk), disable=not progress, desc="coverage"):
        batch = sectors[sectors["candidate_id"].isin(cand_ids[start : start + chunk])]
        rows = best_servers(
            failing,
            batch.assign(site_id=batch["candidate_id"].astype(str)),
            result.terrain,
            radio=result.scenario.radio,
            model=result.scenario.radio.model,
            by="site",
            clutter=result.clutter,
        )
        rows = rows[rows["technology"] == "4G"]
        frames.append(rows[["site_id", "point_id", "signal_dbm"]])
    sig = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({"site_id": [], "point_id": [], "signal_dbm": []})
    )
    sig = sig.rename(columns={"site_id": "candidate_id"})
    sig["village_id"] = sig["point_id"].map(points.set_index("point_id")["village_id"])
    ok = sig[sig["signal_dbm"] >= floor]
    fixed = ok.groupby(["candidate_id", "village_id"]).size().reset_index(name="n")
    fixed = fixed[fixed["n"].to_numpy() == fixed["village_id"].map(need).to_numpy()]
    row = pd.Series(np.arange(len(cand_ids)), index=[str(c) for c in cand_ids])
    col = pd.Series(np.arange(len(villages)), index=villages["village_id"].to_numpy())
    cover = sp.csr_matrix(
        (
            np.ones(len(fixed), dtype=bool),
            (row[fixed["candidate_id"]].to_numpy(), col[fixed["village_id"]].to_numpy()),
        ),
        shape=(len(cand_ids), len(villages)),
    )
    logger.info(
        "coverage matrix: %d candidates × %d villages (%d target points), %d cover pairs",
        len(cand_ids), len(villages), len(failing), cover.nnz,
    )  # fmt: skip
    return cover, sig


def _weights(villages: pd.DataFrame, weight: str) -> np.ndarray:
    """Village weights; a missing population falls back to households × median size."""
    if weight == "villages":
        return np.ones(len(villages))
    people = pd.to_numeric(villages.get("population"), errors="coerce")
    households = pd.to_numeric(villages.get("households"), errors="coerce")
    size = (people / households).median()  # people per household
    if not (np.isfinite(size) and size > 0):
        size = np.nan  # no estimate: a missing figure counts 0
    if weight == "households":
        filled = households.fillna(people / size)
    else:
        filled = people.fillna(households * size)
    return filled.fillna(0).to_numpy(float)


# --------------------------------------------------------------------------- plan
def plan_network(
    result: Result,
    *,
    roads: gpd.GeoDataFrame,
    k: int | None = None,
    budget_usd: float | None = None,
    carrier: str | None = None,
    weight: Literal["population", "households", "villages"] = "population",
    candidates: gpd.GeoDataFrame | None = None,
    generate: bool = True,
    upgrades: bool = True,
    max_candidates: int = 600,
    radius_km: float = 10.0,
    height_m: float = 30.0,
    fibre_nodes: gpd.GeoDataFrame | None = None,
    costs: PlanCosts | None = None,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float | None = None,
    progress: bool = False,
) -> Plan:
    """Choose new sites and upgrades that newly cover the most people, with backhaul.

    Parameters
    ----------
    result
        The analysis of the existing network (:func:`covgap.pipeline.run`).
    roads
        Road lines (:func:`covgap.plan.roads.read_roads`): fibre runs along them.
    k
        Number of sites (new sites and upgrades) to choose.
    budget_usd
        Or: the budget for sites plus their backhaul. Give exactly one of ``k`` and
        ``budget_usd``.
    carrier
        Plan for one carrier (``"Viettel"``, ``"VNPT"``, ``"MobiFone"``, any spelling
        the readers know), or ``None`` for sites shared by every carrier.
    weight
        What a newly covered village is worth: its ``"population"`` (default; a missing
        figure is estimated from households), ``"households"`` or one per village.
    candidates
        The user's own candidates (:func:`covgap.plan.candidates.read_candidates`).
    generate
        Also generate candidates from the DEM's high points near uncovered villages.
    upgrades
        Also consider upgrades of existing sites.
    max_candidates
        Most candidates generated from the DEM.
    radius_km
        How far from an uncovered village a generated candidate may be.
    height_m
        Antenna height of generated candidates.
    fibre_nodes
        Extra fibre points of presence (:func:`covgap.plan.backhaul.read_fibre_nodes`);
        existing sites marked ``fibre_backhaul`` always count.
    costs
        Unit costs; default: the scenario's (:class:`covgap.config.PlanCosts`).
    method
        ``"exact"`` (default): the proven optimum (CBC), with the greedy solution as a
        check; ``"greedy"``: the greedy heuristic only (a fast fallback, no proof).
    time_limit_s
        Time limit of the exact solve.
    progress
        Show progress bars.

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        Neither or both of ``k`` and ``budget_usd``; a budget below the cheapest
        candidate; an unknown carrier or weight; no candidate at all; roads that reach
        no fibre node; candidates outside the DEM.
    SolverError
        CBC does not prove the optimum (within ``time_limit_s``).
    """
    import covgap.io.aliases as _aliases
    import covgap.plan.backhaul as backhaul
    import covgap.plan.candidates as cands

    from .mclp import greedy_mclp, solve_mclp

    costs = costs or getattr(result.scenario, "costs", None) or PlanCosts()
    _check_options(k, budget_usd, weight, method)
    if carrier is not None:
        name = _aliases.parse_carrier(str(carrier))
        if name is None:
            raise InputError(f"unknown carrier {carrier!r}; use one of {', '.join(CARRIERS)}")
        carrier = name
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    villages = result.villages
    targets = _target_mask(villages, carrier)
    weights = _weights(villages, weight)
    if not targets.any():
        raise InputError(
            "every village is already covered"
            + (f" by {carrier}" if carrier else "")
            + ": there is nothing to plan"
        )
    network = backhaul.RoadNetwork.from_roads(roads)
    nodes = backhaul.fibre_nodes(result.sites, fibre_nodes)
    timings["network_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    target_pts = _target_points(result, targets, weights)
    own_sites = (
        result.sites if carrier is None else result.sites[result.sites["carrier"] == carrier]
    )
    parts = []
    if generate:
        parts.append(
            cands.generate_candidates(
                result.terrain,
                target_pts,
                sites=result.sites,
                roads=roads,
                villages=villages,
                radius_km=radius_km,
                height_m=height_m,
                rx_height_m=result.scenario.radio.rx_height_m,
                k_factor=result.scenario.radio.earth_k,  # k from delta N when given
                max_candidates=max_candidates,
                costs=costs,
                progress=progress,
            )
        )
    if upgrades and len(own_sites):
        parts.append(
            cands.upgrade_candidates(
                own_sites,
                target_pts,
                result.terrain,
                costs=costs,
                roads=roads,
                villages=villages,
                min_visible=1,
            )
        )
    if candidates is not None and len(candidates):
        cands.check_inside(candidates, result.terrain)
        parts.append(candidates)
    parts = [p for p in parts if len(p)]
    if not parts:
        raise InputError(
            "no candidate site: no high point near the uncovered villages sees them and "
            "no candidates were given; give candidates (--candidates) or raise --radius-km"
        )
    pool = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    pool = _unique_ids(pool, result.sites)
    if carrier is not None:
        pool["carrier"] = pool["carrier"].fillna(carrier)
    sectors = cands.candidate_sectors(pool, carrier=carrier or CARRIERS[0], sites=result.sites)
    timings["candidates_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    cover, signals = coverage_matrix(result, sectors, carrier=carrier, progress=progress)
    order = pd.unique(sectors["candidate_id"].astype(str))
    pool = pool.set_index(pool["candidate_id"].astype(str)).loc[order].reset_index(drop=True)
    timings["coverage_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    fed = nodes.loc[nodes["kind"] == "site", ["site_id", "lon", "lat", "height_m"]]
    alone = backhaul.standalone_backhaul(
        _backhaul_points(pool), network, nodes, result.terrain, fed_sites=fed, costs=costs
    )
    alone.index = pool.index
    pool = _price(pool, alone, set(fed["site_id"].astype(str)))
    timings["backhaul_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    existing = ~targets
    limit = {"k": k} if k is not None else {"budget": budget_usd}
    limit["costs"] = pool["cost_usd"]
    greedy = greedy_mclp(cover, weights, existing=existing, **limit)
    if method == "greedy":
        solution = greedy
    else:
        solution = solve_mclp(cover, weights, existing=existing, time_limit_s=time_limit_s, **limit)
    timings["solve_s"] = time.perf_counter() - clock
    pool["villages_cover"] = np.asarray(cover[:, ~existing].sum(axis=1)).ravel()
    pool["weight_cover"] = cover.astype(float) @ np.where(existing, 0.0, weights)
    pool["chosen"] = False
    pool.loc[list(solution.chosen), "chosen"] = True
    chosen = pool.iloc[list(solution.chosen)].reset_index(drop=True)

    clock = time.perf_counter()
    hauls, routes = backhaul.plan_backhaul(
        _backhaul_points(chosen[chosen["backhaul_needed"]]), network, nodes, result.terrain,
        fed_sites=fed, costs=costs,
    )  # fmt: skip
    timings["backhaul_plan_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    after = _after(result, chosen, sectors, carrier)
    timings["after_s"] = time.perf_counter() - clock
    proposed = _proposed(chosen, hauls, result, after, carrier, signals)
    fibre = backhaul.fibre_rollout(
        after.villages.assign(**{"class": after.villages["coverage_class"]}),
        network, nodes, costs=costs,
    )  # fmt: skip
    options = {
        "k": k, "budget_usd": budget_usd, "carrier": carrier, "weight": weight,
        "generate": generate, "upgrades": upgrades, "max_candidates": max_candidates,
        "radius_km": radius_km, "height_m": height_m, "costs": costs, "method": method,
    }  # fmt: skip
    plan = Plan(
        before=result,
        after=after,
        candidates=pool,
        proposed=proposed,
        backhaul=hauls,
        routes=routes,
        before_after={by: before_after(result, after, by=by) for by in ("district", "commune")},
        fibre=fibre,
        solution=solution,
        greedy=greedy,
        cover=cover,
        options=options,
        timings=timings,
    )
    logger.info("plan: %s", plan.stats())
    return plan


def _check_options(k, budget_usd, weight, method) -> None:
    problems = []
    if method not in ("exact", "greedy"):
        problems.append(f"method must be 'exact' or 'greedy', not {method!r}")
    if (k is None) == (budget_usd is None):
        problems.append("give exactly one of k (--sites-budget) and budget_usd (--budget-usd)")
    if weight not in WEIGHTS:
        problems.append(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    if problems:
        raise InputError("; ".join(problems))


def _target_points(result: Result, targets: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Points (centres and clusters) of the target villages with their village's weight."""
    ids = result.villages["village_id"]
    w = pd.Series(weights, index=ids.to_numpy())
    pts = result.points[result.points["village_id"].isin(set(ids[targets]))]
    return pd.DataFrame(
        {
            "village_id": pts["village_id"].to_numpy(),
            "lon": pts["lon"].to_numpy(float),
            "lat": pts["lat"].to_numpy(float),
            "weight": pts["village_id"].map(w).to_numpy(float),
        }
    )


def _unique_ids(pool: gpd.GeoDataFrame, sites: pd.DataFrame) -> gpd.GeoDataFrame:
    """Candidate ids must be unique; new sites must not reuse an existing site id."""
    ids = pool["candidate_id"].astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise InputError(
            f"candidate ids used twice: {', '.join(dup[:10])}; give the user's candidates "
            "ids that differ from the generated ones (N-0001..., U-<site>-4G/-S) and from "
            "each other"
        )
    clash = pool["kind"].isin(["new_site", "user"]) & pool["site_id"].astype(str).isin(
        set(sites["site_id"].astype(str))
    )
    if clash.any():
        raise InputError(
            "candidate ids equal existing site ids: "
            + ", ".join(pool.loc[clash, "candidate_id"].astype(str).tolist()[:10])
            + "; rename the candidates"
        )
    return pool


def _backhaul_points(pool: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pool["candidate_id"].astype(str).to_numpy(),
            "lon": pool["lon"].to_numpy(float),
            "lat": pool["lat"].to_numpy(float),
            "height_m": pool["height_m"].to_numpy(float),
        }
    )


def _price(pool: gpd.GeoDataFrame, alone: pd.DataFrame, fibre_sites: set[str]) -> gpd.GeoDataFrame:
    """Add the stand-alone backhaul and the total cost; upgrades of fibre sites need none."""
    upgrade = pool["kind"].isin(["add_4g", "add_sector"]).to_numpy()
    has_fibre = pool["site_id"].astype(str).isin(fibre_sites).to_numpy()
    needed = ~(upgrade & has_fibre)
    pool = pool.copy()
    pool["backhaul_needed"] = needed
    pool["backhaul"] = np.where(needed, alone["backhaul"].to_numpy(), "existing")
    pool["backhaul_usd"] = np.where(needed, alone["backhaul_usd"].to_numpy(float), 0.0)
    for col in ("fibre_km", "fibre_usd", "mw_site_id", "mw_km", "mw_usd", "satellite_usd"):
        if col in alone:
            pool[col] = alone[col].to_numpy()
    pool["cost_usd"] = pool["site_usd"].to_numpy(float) + pool["backhaul_usd"].to_numpy(float)
    return pool


def _after(result: Result, chosen: pd.DataFrame, sectors: pd.DataFrame, carrier) -> Result:
    """Re-run the analysis with the chosen candidates' sectors added to the sites."""
    from ..analysis.inputs import Inputs
    from ..analysis.result import analyse

    rows = sectors[sectors["candidate_id"].astype(str).isin(set(chosen["candidate_id"]))]
    if carrier is None:
        # a shared site hosts every carrier's 4G
        new = rows[chosen.set_index("candidate_id").loc[rows["candidate_id"], "kind"]
                   .isin(["new_site", "user"]).to_numpy()]  # fmt: skip
        shared = [new.assign(carrier=c) for c in CARRIERS if c != CARRIERS[0]]
        rows = pd.concat([rows, *shared], ignore_index=True)
    rows = rows.drop(columns=[c for c in rows.columns if c not in result.sites.columns])
    sites = pd.concat([result.sites, rows], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=result.sites.crs)
    keep = [c for c in result.villages.columns if c in _VILLAGE_INPUT or c.startswith("cluster_")]
    inputs = Inputs(
        result.villages[keep], sites, result.terrain, result.districts, result.communes,
        clutter=result.clutter,
    )  # fmt: skip
    return analyse(inputs, result.scenario)


#: Village columns that come from the input (the rest is recomputed by the analysis).
_VILLAGE_INPUT = (
    "village_id", "name", "commune", "commune_code", "district", "district_code",
    "households", "population", "grid_power", "especially_difficult", "elevation_m",
    "geometry",
)  # fmt: skip


def _newly(before: pd.DataFrame, after: pd.DataFrame, carrier: str | None) -> np.ndarray:
    column = "coverage_class" if carrier is None else f"class_{carrier_slug(carrier)}"
    return ((before[column] != COVERED) & (after[column].to_numpy() == COVERED)).to_numpy()


def _proposed(chosen, hauls, before: Result, after: Result, carrier, signals) -> gpd.GeoDataFrame:
    """Add what each chosen site newly covers and its cost.

    A newly covered village goes to the chosen candidate with the strongest signal at its
    weakest target point (from the coverage matrix); failing that, to the chosen site
    that serves its centre after the plan.
    """
    new = _newly(before.villages, after.villages, carrier)
    gained = after.villages.loc[new]
    site_to_cand = {}
    for row in chosen.itertuples():
        site_to_cand.setdefault(str(row.site_id), str(row.candidate_id))
    serving = gained["best_site_id"].astype(str).map(site_to_cand)
    sig = signals[signals["candidate_id"].astype(str).isin(set(chosen["candidate_id"]))]
    if len(sig):
        weakest = sig.groupby(["village_id", "candidate_id"])["signal_dbm"].min().reset_index()
        weakest = weakest.sort_values(["village_id", "signal_dbm"], ascending=[True, False])
        best = weakest.drop_duplicates("village_id").set_index("village_id")["candidate_id"]
        serving = gained["village_id"].map(best).fillna(serving)
    out = chosen.copy()
    ids = out["candidate_id"].astype(str)
    groups = {c: g for c, g in gained.groupby(serving.to_numpy(), sort=False)}
    out["villages_new"] = [len(groups[c]) if c in groups else 0 for c in ids]
    for col, src in (("households_new", "households"), ("people_new", "population")):
        out[col] = [float(groups[c][src].fillna(0).sum()) if c in groups else 0.0 for c in ids]
    out["village_ids"] = [
        ";".join(groups[c]["village_id"].astype(str)) if c in groups else "" for c in ids
    ]
    haul = hauls.set_index(hauls["id"].astype(str))
    joint = ids.isin(haul.index).to_numpy()
    out["backhaul"] = np.where(joint, ids.map(haul["backhaul"]), out["backhaul"])
    out["backhaul_km"] = ids.map(haul["km"]).to_numpy(float)
    out["backhaul_usd"] = np.where(
        joint, ids.map(haul["usd"]).to_numpy(float), out["backhaul_usd"].to_numpy(float)
    )
    out["total_usd"] = out["site_usd"].to_numpy(float) + out["backhaul_usd"].to_numpy(float)
    people = out["people_new"].to_numpy(float)
    out["usd_per_person"] = np.where(people > 0, out["total_usd"] / np.maximum(people, 1), np.nan)
    out = out.sort_values(["people_new", "total_usd"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out = out.reset_index(drop=True)
    return gpd.GeoDataFrame(out.loc[:, list(PROPOSED_COLUMNS)], geometry=out.geometry.values,
                            crs="EPSG:4326")  # fmt: skip


def before_after(before: Result, after: Result, *, by: str = "district") -> pd.DataFrame:
    """Villages, households and people by class before and after, per district or commune.

    Parameters
    ----------
    before, after
        Analyses of the same villages without and with the planned sites.
    by
        ``"district"`` or ``"commune"`` (communes keep their district).

    Returns
    -------
    pandas.DataFrame
        One row per unit and a ``Total`` row: ``villages``, then for each class
        ``<class>_before`` and ``<class>_after`` (villages), and ``people_covered_before``
        / ``_after``, ``people_new``, ``households_new``.
    """
    if by not in ("district", "commune"):
        raise InputError(f"before_after: by must be 'district' or 'commune', not {by!r}")
    keys = ["district", "commune"] if by == "commune" else ["district"]
    b, a = before.villages, after.villages
    frame = b[[*keys, "households", "population"]].copy()
    frame[keys] = frame[keys].fillna("?")
    frame["before"] = b["coverage_class"].to_numpy()
    frame["after"] = a["coverage_class"].to_numpy()
    rows = []
    for key, g in frame.groupby(keys, sort=True):
        rows.append(_counts(g, dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                        strict=True))))  # fmt: skip
    total = _counts(frame, dict.fromkeys(keys, ""))
    total[keys[0]] = "Total"
    return pd.DataFrame([*rows, total])


def _counts(g: pd.DataFrame, head: dict[str, Any]) -> dict[str, Any]:
    out = dict(head)
    out["villages"] = len(g)
    for cls in (COVERED, LOW_SIGNAL, WHITE):
        out[f"{cls}_before"] = int((g["before"] == cls).sum())
        out[f"{cls}_after"] = int((g["after"] == cls).sum())
    people = g["population"].fillna(0)
    out["people_covered_before"] = float(people[g["before"] == COVERED].sum())
    out["people_covered_after"] = float(people[g["after"] == COVERED].sum())
    new = (g["before"] != COVERED) & (g["after"] == COVERED)
    out["people_new"] = float(people[new].sum())
    out["households_new"] = float(g["households"].fillna(0)[new].sum())
    return out
