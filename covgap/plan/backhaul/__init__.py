r"""Backhaul for new sites: fibre along roads, microwave hops, satellite.

The method is the ITU/Giga connectivity planning one (DOMAIN.md, "Fibre and backhaul"):
points join the road graph, fibre follows the shortest road paths, and a minimum spanning
tree lets connected sites relay to their neighbours (:func:`plan_backhaul`). Unit costs
and rules come from :class:`covgap.config.PlanCosts`: a fibre connection over :math:`L` km
of road costs

.. math::

    c_f(L) = c_{point} + c_{km} \, \rho \, L

(USD 500 + USD 20,000 × 1.1 × L by default; :math:`\rho` is the routing factor), a
microwave hop of at most 30 km with the first Fresnel zone clear costs USD 40,000, and
satellite is always feasible at ``satellite_usd``. A site that already has fibre
backhaul (it is a fibre node) costs nothing: its backhaul is ``"existing"``.

Routing (:class:`RoadNetwork`): a point joins the road graph at its nearest graph node
by a straight off-road leg, which counts in the distance. Two points are joined straight
instead when the straight line between them is no longer than the longer of their two
off-road legs (the other end is nearer than the road). Distances are in km along the
roads (geodesic) before the routing factor.

Microwave (:func:`fresnel_clearance`): with :math:`d_1, d_2` the distances of a profile
point from the two ends, :math:`d = d_1 + d_2`, :math:`\lambda` the wavelength, :math:`k`
the effective-earth-radius factor and :math:`a` the earth radius, the clearance ratio is

.. math::

    \nu = \min_{interior} \frac{h_{los}(d_1) - z(d_1) - \frac{d_1 d_2}{2 k a}}
                               {\sqrt{\lambda d_1 d_2 / d}}

where :math:`h_{los}` is the straight line between the antennas (ground + mast at each
end) and :math:`z` the ground. The hop is clear when :math:`\nu \ge` ``fresnel_clearance``
(1.0: the whole first zone is free); :math:`\nu < 0` means the terrain cuts the line of
sight itself.

>>> from covgap.plan.backhaul import RoadNetwork, fibre_nodes  # doctest: +SKIP
>>> network = RoadNetwork.from_roads(read_roads("roads.gpkg"))  # doctest: +SKIP
>>> network.nearest_fibre(lon, lat, fibre_nodes(sites))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ...config import PlanCosts
from ...errors import InputError
from ...io.terrain import Terrain
from .fibre import Search, assemble, root_routes
from .microwave import _first_clear, _hops, fresnel_clearance, fresnel_clearances, fresnel_radius_m
from .network import DENSIFY_M, Closure, RoadNetwork
from .nodes import fibre_nodes, read_fibre_nodes, site_table

__all__ = [
    "BACKHAUL_KINDS",
    "DEFAULT_MAST_M",
    "DENSIFY_M",
    "Closure",
    "RoadNetwork",
    "fibre_nodes",
    "fibre_rollout",
    "fresnel_clearance",
    "fresnel_clearances",
    "fresnel_radius_m",
    "plan_backhaul",
    "read_fibre_nodes",
    "standalone_backhaul",
]

logger = logging.getLogger(__name__)

#: Backhaul kinds, in the order ties are broken (cheapest first, then this order).
BACKHAUL_KINDS = ("existing", "fibre", "microwave", "satellite")
#: Antenna height (m above ground) used for a microwave end whose height is unknown.
DEFAULT_MAST_M = 30.0
#: Nearest fed sites whose hop is checked, per point.
N_CANDIDATES = 8


def _points(points: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("id", "lon", "lat") if c not in points.columns]
    if missing:
        raise InputError(f"points need columns id, lon, lat (and height_m); missing {missing}")
    out = pd.DataFrame(
        {
            "id": points["id"].astype("string"),
            "lon": points["lon"].to_numpy(float),
            "lat": points["lat"].to_numpy(float),
            "height_m": (
                points["height_m"].to_numpy(float) if "height_m" in points.columns else np.nan
            ),
        },
        index=points.index,
    )
    out["height_m"] = out["height_m"].fillna(DEFAULT_MAST_M)
    return out


def _targets(fed_sites: pd.DataFrame) -> pd.DataFrame:
    if len(fed_sites) == 0:
        return pd.DataFrame({"site_id": [], "lon": [], "lat": [], "height_m": []})
    table = site_table(fed_sites)
    table["height_m"] = table["height_m"].astype(float).fillna(DEFAULT_MAST_M)
    return table


# ---------------------------------------------------------------------- standalone
def standalone_backhaul(
    points: pd.DataFrame,
    network: RoadNetwork,
    nodes: pd.DataFrame,
    terrain: Terrain,
    *,
    fed_sites: pd.DataFrame,
    costs: PlanCosts = PlanCosts(),
    candidates: int = N_CANDIDATES,
) -> pd.DataFrame:
    """Cheapest backhaul of every point on its own (no shared trenches).

    Fibre: the road distance to the nearest fibre node (:meth:`RoadNetwork.nearest_fibre`)
    at :math:`c_f`. Microwave: the ``candidates`` nearest fed sites within
    ``costs.microwave_max_km`` are checked and the shortest hop whose Fresnel clearance
    reaches ``costs.fresnel_clearance`` is taken. Satellite: always. A point whose id is
    a fibre-fed site's id already has its backhaul (``"existing"``, USD 0).

    Parameters
    ----------
    points
        ``id``, ``lon``, ``lat``, ``height_m`` (antenna above ground; missing: 30 m).
    network
        The road network.
    nodes
        Fibre nodes (:func:`fibre_nodes`).
    terrain
        DEM for the microwave profiles.
    fed_sites
        Fibre-fed sites a hop may reach: ``site_id``, ``lon``, ``lat``, ``height_m``
        (one row per site or per sector).
    costs
        Unit costs and rules.
    candidates
        Nearest fed sites checked per point.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``road_km``, ``fibre_km`` (road km × routing factor),
        ``fibre_node_id``, ``fibre_usd`` (NaN if unreachable), ``mw_site_id``, ``mw_km``,
        ``mw_clearance``, ``mw_usd`` (NaN without a clear hop in range),
        ``satellite_usd``, ``backhaul`` (``"existing"``, ``"fibre"``, ``"microwave"`` or
        ``"satellite"``: the cheapest feasible) and ``backhaul_usd``.
    """
    pts = _points(points)
    nf = network.nearest_fibre(pts["lon"], pts["lat"], nodes, on_cut_off="warn")
    road = nf["road_km"].to_numpy()
    targets = _targets(fed_sites)
    idx, km, clr = _hops(pts, targets, terrain, network, costs, candidates)
    j, mw_km, mw_clr = _first_clear(idx, km, clr, costs.fresnel_clearance)
    sites = targets["site_id"].astype("string").to_numpy()
    out = pd.DataFrame(
        {
            "road_km": road,
            "fibre_km": road * costs.routing_factor,
            "fibre_node_id": nf["fibre_node_id"].to_numpy(),
            "fibre_usd": costs.fibre_usd(road),
            "mw_site_id": pd.array([sites[x] if x >= 0 else pd.NA for x in j], dtype="string"),
            "mw_km": mw_km,
            "mw_clearance": mw_clr,
            "mw_usd": np.where(j >= 0, costs.microwave_link_usd, np.nan),
            "satellite_usd": float(costs.satellite_usd),
        },
        index=pts.index,
    )
    fed_ids = set(nodes.loc[nodes["kind"] == "site", "node_id"].astype(str))
    existing = pts["id"].isin(fed_ids).to_numpy(bool)
    kind, usd = _cheapest(out, existing)
    out["backhaul"], out["backhaul_usd"] = kind, usd
    logger.info(
        "standalone backhaul of %d point(s): %s",
        len(out),
        ", ".join(f"{k} {v}" for k, v in out["backhaul"].value_counts().items()),
    )
    return out


def _cheapest(table: pd.DataFrame, existing: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    options = np.column_stack(
        [
            np.where(existing, 0.0, np.inf),
            table["fibre_usd"].fillna(np.inf),
            table["mw_usd"].fillna(np.inf),
            table["satellite_usd"].fillna(np.inf),
        ]
    )
    best = np.argmin(options, axis=1)
    kind = pd.Series(np.array(BACKHAUL_KINDS)[best], index=table.index, dtype="string")
    return kind, options[np.arange(len(best)), best]


# ------------------------------------------------------------------------- rollout
def fibre_rollout(
    villages: pd.DataFrame,
    network: RoadNetwork,
    nodes: pd.DataFrame,
    *,
    costs: PlanCosts = PlanCosts(),
    classes: Sequence[str] = ("white", "low_signal"),
    column: str | None = None,
) -> pd.DataFrame:
    """Cost of bringing fibre to every village of the given coverage classes, ranked.

    Each village on its own: road distance from its centre to the nearest fibre node and
    :math:`c_f` of it. Villages are ranked by cost per person (cheapest first), villages
    with no population figure after those (by cost), unreachable villages last.

    Parameters
    ----------
    villages
        Villages with a class column, ``village_id``, ``name``, ``commune``,
        ``district``, ``population``, ``households`` and a position (point geometry or
        ``lon``/``lat``).
    network
        The road network.
    nodes
        Fibre nodes (:func:`fibre_nodes`).
    costs
        Unit costs.
    classes
        Classes to keep.
    column
        The class column; by default ``coverage_class`` when present, else ``class``.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = best value), ``village_id``, ``name``, ``commune``, ``district``,
        ``lon``, ``lat``, ``class``, ``population``, ``households``, ``road_km``,
        ``fibre_km``, ``fibre_node_id``, ``reachable``, ``fibre_usd``,
        ``usd_per_person``, ``usd_per_household``; one row per village kept.
    """
    column = column or ("coverage_class" if "coverage_class" in villages.columns else "class")
    if column not in villages.columns:
        raise InputError(f"villages have no {column!r} column: classify them first")
    v = villages[villages[column].astype("string").isin(list(classes)).fillna(False)]
    lon, lat = _lonlat(v)
    out = pd.DataFrame(
        {c: v[c].to_numpy() if c in v.columns else pd.NA for c in ("village_id", "name")}
    )
    for c in ("commune", "district"):
        out[c] = v[c].to_numpy() if c in v.columns else pd.NA
    out["lon"], out["lat"], out["class"] = lon, lat, v[column].to_numpy()
    for c in ("population", "households"):
        out[c] = v[c].to_numpy(float) if c in v.columns else np.nan
    if len(v):
        nf = network.nearest_fibre(lon, lat, nodes, on_cut_off="warn")
        road = nf["road_km"].to_numpy()
        out["road_km"], out["fibre_km"] = road, road * costs.routing_factor
        out["fibre_node_id"], out["reachable"] = nf["fibre_node_id"], nf["reachable"]
    else:
        for c in ("road_km", "fibre_km", "fibre_node_id", "reachable"):
            out[c] = pd.Series(dtype=float)
    out["fibre_usd"] = costs.fibre_usd(out["road_km"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["usd_per_person"] = out["fibre_usd"] / out["population"].where(out["population"] > 0)
        out["usd_per_household"] = out["fibre_usd"] / out["households"].where(out["households"] > 0)
    out = out.sort_values(
        ["usd_per_person", "fibre_usd", "village_id"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _lonlat(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in frame.columns and "lat" in frame.columns:
        return frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    geom = getattr(frame, "geometry", None)
    if geom is None:
        raise InputError("villages need point geometry or lon/lat columns")
    if frame.crs is not None:
        geom = geom.to_crs(4326)
    return geom.x.to_numpy(), geom.y.to_numpy()


# ---------------------------------------------------------------------------- plan
def plan_backhaul(
    chosen: pd.DataFrame,
    network: RoadNetwork,
    nodes: pd.DataFrame,
    terrain: Terrain,
    *,
    fed_sites: pd.DataFrame,
    costs: PlanCosts = PlanCosts(),
    candidates: int = N_CANDIDATES,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    r"""Joint backhaul of the chosen sites, with shared fibre trenches.

    Let :math:`F` be the chosen sites that can reach the fibre by road, :math:`r` a root
    standing for the whole existing fibre network, :math:`D_{ij}` the road distance
    between sites (off-road legs included; :meth:`RoadNetwork.distances`) and
    :math:`D_{ir}` a site's distance to its nearest fibre node. As in the ITU/Giga
    connectivity planning method, the fibre tree is the minimum spanning tree :math:`T`
    of the complete graph on :math:`F \cup \{r\}` with these weights (the metric
    closure of the road graph), so that connected sites relay to their neighbours.
    Each tree edge :math:`(i, p(i))`, :math:`p(i)` the parent of :math:`i` on the way
    to :math:`r`, is routed along its shortest road path :math:`P_i`, and the routes are
    paid in breadth-first order from the root: with :math:`S_i` the stretches (road
    edges, off-road legs, straight trenches) of :math:`P_i` not on an earlier route,

    .. math::

        c_i = c_{point} + c_{km} \, \rho \sum_{e \in S_i} \ell_e

    so a stretch used by several routes is paid once, and :math:`\sum_i c_i` is the
    cost of the union of the trenches. Each site also has its best alternative

    .. math::

        a_i = \min\left(c_{sat},\; c_{mw} \text{ if a clear hop reaches a fibre-fed
        site or a site of } F\right)

    Sites then leave :math:`F` while that lowers the plan's cost

    .. math::

        J(F) = \sum_{i \in F} c_i + \sum_{i \notin F} a_i

    (the tree recomputed each time): first all the leaves whose own stretches (those no
    other route uses: what removing a leaf saves, since the rest of a minimum spanning
    tree stays minimal) cost more than :math:`a_i`, else one site at a time, the one
    whose cost exceeds its alternative most first. The search starts twice, from every
    site that reaches the fibre and from the sites whose cheapest option alone is fibre,
    and keeps the cheaper plan, which therefore never costs more than every site taking
    its cheapest option alone. The other sites take the shortest clear microwave hop to
    a fibre-fed site or a site of :math:`F` when that is cheaper than satellite, else
    satellite. A chosen site that already has fibre (a fibre node) is ``"existing"`` at
    no cost.

    Parameters
    ----------
    chosen
        The sites to connect: ``id``, ``lon``, ``lat``, ``height_m``.
    network
        The road network.
    nodes
        Fibre nodes (:func:`fibre_nodes`).
    terrain
        DEM for the microwave hops.
    fed_sites
        Existing fibre-fed sites a hop may reach (``site_id``, ``lon``, ``lat``,
        ``height_m``).
    costs
        Unit costs and rules.
    candidates
        Nearest sites whose hop is checked, per site.

    Returns
    -------
    sites : pandas.DataFrame
        Indexed like ``chosen``: ``id``, ``backhaul`` (``"existing"``, ``"fibre"``,
        ``"microwave"``, ``"satellite"``), ``km`` (fibre: new trench km × routing
        factor; microwave: hop length; else 0), ``usd``, ``parent_id`` (fibre: the
        chosen site it relays through, or the fibre node its trench reaches; microwave:
        the site at the other end; NA for satellite), ``parent_kind`` (``"chosen"``,
        ``"site"``, ``"pop"``), ``fibre_node_id`` (the existing fibre node the site
        finally depends on, NA for satellite), ``road_km`` (new trench km before the
        routing factor), ``shared_km`` (km of its route paid by another route),
        ``mw_clearance``, ``standalone_usd`` (cost of the cheapest option alone).
    routes : geopandas.GeoDataFrame
        One line per fibre route (the whole road path of a tree edge, off-road legs
        included) and per microwave hop, EPSG:4326: ``route_id``, ``from_id``, ``to_id``,
        ``backhaul`` (``"fibre"``/``"microwave"``), ``km``, ``usd``, ``shared_km``.
        ``routes.usd.sum()`` equals the sum of ``sites.usd`` over fibre and microwave
        sites (satellite and existing sites have no route).
    """
    pts = _points(chosen)
    alone = standalone_backhaul(
        pts, network, nodes, terrain, fed_sites=fed_sites, costs=costs, candidates=candidates
    )
    lon, lat = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    existing = (alone["backhaul"] == "existing").to_numpy(bool)
    fibre = alone["fibre_usd"].notna().to_numpy(bool) & ~existing
    as_targets = pts.rename(columns={"id": "site_id"})
    hops = _hops(pts, as_targets, terrain, network, costs, candidates)
    roots = root_routes(network, nodes, lon, lat)
    closure = network.distances(lon, lat)
    search = Search(fibre, hops, alone, closure, roots, network, nodes, lon, lat, costs)
    alone_fibre = fibre & (alone["backhaul"] == "fibre").to_numpy(bool)
    runs = [search.run(start) for start in (fibre, alone_fibre)]
    tree = min(runs, key=lambda run: run[2])[1]
    fed = _targets(fed_sites).set_index("site_id")
    return assemble(pts, alone, existing, tree, roots, hops, nodes, fed, costs)
