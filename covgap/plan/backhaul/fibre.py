"""Shared-trench fibre tree and the plan of :func:`covgap.plan.backhaul.plan_backhaul` (internal).

The method is in :func:`covgap.plan.backhaul.plan_backhaul`'s docstring. The tree is a minimum
spanning tree of the metric closure (road distances) among the member sites plus one
root standing for the whole existing fibre network; its edges are routed along the
shortest road paths, and every stretch (a road edge, an off-road leg, a straight trench)
is paid by the first route that uses it, parents before children. :class:`Search` drops
sites from the tree while the plan gets cheaper; :func:`assemble` builds the tables.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from ...config import PlanCosts
from .microwave import _first_clear
from .network import Closure, RoadNetwork, _walk

logger = logging.getLogger("covgap.plan.backhaul")

#: Added to every closure distance: scipy drops explicit zeros from sparse graphs.
_TINY_KM = 1e-9
#: Costs closer than this (USD) are equal when comparing fibre with its alternative.
_USD_EPS = 0.01
_ROUTE_COLUMNS = ("from_id", "to_id", "backhaul", "km", "usd", "shared_km")


@dataclass(frozen=True)
class RootRoute:
    """How one site reaches the existing fibre on its own."""

    km: float  # legs + road, before the routing factor
    leg_km: float  # the site's off-road leg
    fibre_node: int  # row of the nodes table
    fibre_leg_km: float  # the fibre node's off-road leg
    direct: bool
    path: list[int]  # graph nodes from the site's join node to the fibre's


@dataclass(frozen=True)
class Tree:
    """A fibre tree over member sites (positions in the closure's point list).

    ``parent`` is a member position or -1 for the existing fibre (then ``fibre_node``
    says where); ``paid_km`` counts only stretches no earlier route paid for.
    """

    members: np.ndarray
    order: np.ndarray  # members in the order routes were paid (parents first)
    parent: dict[int, int]
    paid_km: dict[int, float]
    full_km: dict[int, float]
    own_km: dict[int, float]  # stretches no other route uses: what removing a leaf saves
    lines: dict[int, shapely.LineString]
    leaf: dict[int, bool]


def root_routes(
    network: RoadNetwork, nodes: pd.DataFrame, lon: np.ndarray, lat: np.ndarray
) -> list[RootRoute | None]:
    """Route of every point to its nearest fibre node (None when unreachable)."""
    nf = network.nearest_fibre(lon, lat, nodes, on_cut_off="ignore")
    field = network._fibre_field(nodes)
    start = network._snap(lon, lat).node
    where = {node_id: j for j, node_id in enumerate(field.ids)}
    out: list[RootRoute | None] = []
    for k, row in enumerate(nf.itertuples(index=False)):
        if not row.reachable:
            out.append(None)
            continue
        j = where[row.fibre_node_id]
        path = [] if row.direct else _walk(field.pred, int(start[k]))[::-1]
        leg = float(field.snap.leg_km[j])
        out.append(RootRoute(float(row.road_km), float(row.leg_km), j, leg, bool(row.direct), path))
    return out


def fibre_tree(
    members: np.ndarray,
    closure: Closure,
    roots: list[RootRoute | None],
    network: RoadNetwork,
    nodes: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    cache: dict | None = None,
) -> Tree:
    """Minimum spanning tree over ``members`` + root, routed with shared stretches paid once.

    ``closure``, ``roots``, ``lon`` and ``lat`` are indexed by point position; every
    member must reach the fibre (its root route is not None). ``cache`` keeps the routes
    of tree edges between calls.
    """
    cache = {} if cache is None else cache
    m = len(members)
    sub = closure.km[np.ix_(members, members)]
    root_km = np.array([roots[i].km for i in members])  # type: ignore[union-attr]
    full = np.full((m + 1, m + 1), np.inf)
    full[0, 1:] = root_km
    full[1:, 1:] = sub
    rows, cols = np.nonzero(np.isfinite(full) & np.triu(np.ones_like(full, bool), 1))
    graph = coo_matrix((full[rows, cols] + _TINY_KM, (rows, cols)), shape=full.shape)
    mst = minimum_spanning_tree(graph.tocsr())
    order, pred = breadth_first_order(mst, 0, directed=False, return_predecessors=True)
    up = np.r_[-1, members]  # tree vertex -> point position (-1: the root)
    parent = {int(up[v]): int(up[pred[v]]) if pred[v] > 0 else -1 for v in order[1:]}
    children = {p for p in parent.values() if p >= 0}
    claimed: set[tuple] = set()
    paid, whole, lines, segments = {}, {}, {}, {}
    seq = [int(up[v]) for v in order[1:]]
    for i in seq:
        p = parent[i]
        if (i, p) not in cache:
            cache[i, p] = (
                _root_segments(i, roots[i], network, nodes, lon, lat)  # type: ignore[arg-type]
                if p < 0
                else _pair_segments(i, p, closure, network, lon, lat)
            )
        segs, coords = cache[i, p]
        segments[i] = segs
        whole[i] = sum(km for _, km in segs)
        paid[i] = sum(km for key, km in segs if key not in claimed)
        claimed.update(key for key, _ in segs)
        lines[i] = shapely.LineString(coords)
    uses = Counter(key for segs in segments.values() for key in dict(segs))
    own = {
        i: sum(km for key, km in dict(segs).items() if uses[key] == 1)
        for i, segs in segments.items()
    }
    return Tree(
        np.asarray(members),
        np.array(seq, dtype=np.int64),
        parent,
        paid,
        whole,
        own,
        lines,
        {i: i not in children for i in seq},
    )


def _road_segments(network: RoadNetwork, path: list[int]) -> list[tuple[tuple, float]]:
    return [(("road", min(a, b), max(a, b)), network.edge_km(a, b)) for a, b in pairwise(path)]


def _root_segments(
    i: int,
    route: RootRoute,
    network: RoadNetwork,
    nodes: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[list[tuple[tuple, float]], list[tuple[float, float]]]:
    j = route.fibre_node
    end = (float(nodes["lon"].iloc[j]), float(nodes["lat"].iloc[j]))
    start = (float(lon[i]), float(lat[i]))
    if route.direct:
        return [(("direct", i, "fibre", j), route.km)], [start, end]
    segs = [(("leg", i), route.leg_km), *_road_segments(network, route.path)]
    segs.append((("fibre_leg", j), route.fibre_leg_km))
    return segs, [start, *map(tuple, network.node_lonlat(route.path)), end]


def _pair_segments(
    i: int, p: int, closure: Closure, network: RoadNetwork, lon: np.ndarray, lat: np.ndarray
) -> tuple[list[tuple[tuple, float]], list[tuple[float, float]]]:
    start, end = (float(lon[i]), float(lat[i])), (float(lon[p]), float(lat[p]))
    if closure.direct[i, p]:
        return [(("direct", min(i, p), max(i, p)), float(closure.km[i, p]))], [start, end]
    path = closure.road_nodes(i, p)
    legs = closure.snap.leg_km
    segs = [(("leg", i), float(legs[i])), *_road_segments(network, path)]
    segs.append((("leg", p), float(legs[p])))
    return segs, [start, *map(tuple, network.node_lonlat(path)), end]


def _alternatives(
    in_fibre: np.ndarray, hops: tuple, alone: pd.DataFrame, costs: PlanCosts
) -> np.ndarray:
    j = _first_clear(*hops, costs.fresnel_clearance, allowed=in_fibre)[0]
    mw = np.where((j >= 0) | alone["mw_usd"].notna().to_numpy(), costs.microwave_link_usd, np.inf)
    return np.minimum(mw, costs.satellite_usd)


class Search:
    """Local search over the set of fibre sites (see :func:`plan_backhaul`)."""

    def __init__(self, fibre, hops, alone, closure, roots, network, nodes, lon, lat, costs):
        self.candidates = fibre
        self.hops, self.alone, self.costs = hops, alone, costs
        self.tree_args = (closure, roots, network, nodes, lon, lat, {})

    def state(self, fibre: np.ndarray) -> tuple[np.ndarray, Tree | None, float, np.ndarray]:
        """Return the tree of ``fibre``, the plan's cost and every site's alternative."""
        members = np.flatnonzero(fibre)
        tree = fibre_tree(members, *self.tree_args) if len(members) else None
        alt = _alternatives(fibre, self.hops, self.alone, self.costs)
        cost = float(alt[self.candidates & ~fibre].sum())
        if tree is not None:
            cost += sum(self.costs.fibre_usd(km) for km in tree.paid_km.values())
        return fibre, tree, cost, alt

    def run(self, fibre: np.ndarray) -> tuple[np.ndarray, Tree | None, float]:
        """Improve the set of fibre sites from ``fibre`` until no move lowers the cost."""
        fibre, tree, cost, alt = self.state(fibre.copy())
        rounds = 0
        while tree is not None:
            rounds += 1
            better = self._drop_leaves(fibre, tree, cost, alt) or self._drop_one(
                fibre, tree, cost, alt
            )
            if better is None:
                break
            fibre, tree, cost, alt = better
        logger.debug("fibre search: %d site(s), USD %.0f, %d round(s)", fibre.sum(), cost, rounds)
        return fibre, tree, cost

    def _excess(self, tree: Tree, alt: np.ndarray) -> dict[int, float]:
        """Fibre cost over the alternative: a leaf's own stretches, a relay's share."""
        fibre_usd = self.costs.fibre_usd
        return {
            i: fibre_usd(tree.own_km[i] if tree.leaf[i] else tree.paid_km[i]) - alt[i]
            for i in tree.order
        }

    def _drop_leaves(self, fibre, tree, cost, alt):
        """Drop every leaf that costs more than its alternative, if the plan gets cheaper."""
        excess = self._excess(tree, alt)
        leaves = [i for i in tree.order if tree.leaf[i] and excess[i] > _USD_EPS]
        if not leaves:
            return None
        trial = fibre.copy()
        trial[leaves] = False
        state = self.state(trial)
        return state if state[2] < cost - _USD_EPS else None

    def _drop_one(self, fibre, tree, cost, alt):
        """Drop the costliest site (over its alternative) whose removal lowers the cost."""
        excess = self._excess(tree, alt)
        for i in sorted((i for i in excess if excess[i] > _USD_EPS), key=excess.get, reverse=True):
            trial = fibre.copy()
            trial[i] = False
            state = self.state(trial)
            if state[2] < cost - _USD_EPS:
                return state
        return None


def assemble(
    pts: pd.DataFrame,
    alone: pd.DataFrame,
    existing: np.ndarray,
    tree: Tree | None,
    roots: list,
    hops: tuple,
    nodes: pd.DataFrame,
    fed: pd.DataFrame,
    costs: PlanCosts,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Return the per-site backhaul table and the route lines of a finished search."""
    n, ids = len(pts), pts["id"].astype(str).to_numpy()
    node_ids, node_kind = nodes["node_id"].astype(str).to_numpy(), nodes["kind"].to_numpy()
    rows = {
        "backhaul": np.full(n, "satellite", dtype=object),
        "km": np.zeros(n),
        "usd": np.full(n, float(costs.satellite_usd)),
        "parent_id": np.full(n, None, dtype=object),
        "parent_kind": np.full(n, None, dtype=object),
        "fibre_node_id": np.full(n, None, dtype=object),
        "road_km": np.zeros(n),
        "shared_km": np.zeros(n),
        "mw_clearance": np.full(n, np.nan),
    }
    routes: list[dict] = []
    for k in np.flatnonzero(existing):
        rows["backhaul"][k], rows["usd"][k] = "existing", 0.0
        rows["parent_id"][k] = rows["fibre_node_id"][k] = ids[k]
        rows["parent_kind"][k] = "site"
    in_fibre = np.zeros(n, bool)
    if tree is not None:
        in_fibre[tree.members] = True
        for i in tree.order:
            p, paid = tree.parent[i], tree.paid_km[i]
            usd = costs.fibre_usd(paid)
            if p < 0:
                j = roots[i].fibre_node
                parent, kind, top = node_ids[j], node_kind[j], node_ids[j]
            else:
                parent, kind, top = ids[p], "chosen", rows["fibre_node_id"][p]
            rows["backhaul"][i], rows["usd"][i] = "fibre", usd
            rows["km"][i], rows["road_km"][i] = paid * costs.routing_factor, paid
            rows["shared_km"][i] = tree.full_km[i] - paid
            rows["parent_id"][i], rows["parent_kind"][i], rows["fibre_node_id"][i] = (
                parent,
                kind,
                top,
            )
            routes.append(_route(ids[i], parent, "fibre", rows, i, tree.lines[i]))
    j_chosen, km_chosen, clr_chosen = _first_clear(*hops, costs.fresnel_clearance, allowed=in_fibre)
    fed_km = alone["mw_km"].to_numpy(float)
    for k in np.flatnonzero(~existing & ~in_fibre):
        use_chosen = j_chosen[k] >= 0 and not fed_km[k] <= km_chosen[k]
        feasible = use_chosen or np.isfinite(fed_km[k])
        if not feasible or costs.microwave_link_usd > costs.satellite_usd:
            continue
        if use_chosen:
            c = j_chosen[k]
            parent, kind, top = ids[c], "chosen", rows["fibre_node_id"][c]
            km, clr = km_chosen[k], clr_chosen[k]
            end = (pts["lon"].iloc[c], pts["lat"].iloc[c])
        else:
            parent = str(alone["mw_site_id"].iloc[k])
            kind, top = "site", parent if parent in set(node_ids) else None
            km, clr = fed_km[k], alone["mw_clearance"].iloc[k]
            end = (fed.at[parent, "lon"], fed.at[parent, "lat"])
        rows["backhaul"][k], rows["usd"][k] = "microwave", costs.microwave_link_usd
        rows["km"][k] = km
        rows["parent_id"][k], rows["parent_kind"][k], rows["fibre_node_id"][k] = parent, kind, top
        rows["mw_clearance"][k] = clr
        line = shapely.LineString([(pts["lon"].iloc[k], pts["lat"].iloc[k]), end])
        routes.append(_route(ids[k], parent, "microwave", rows, k, line))
    sites = pd.DataFrame({"id": pts["id"], **rows}, index=pts.index)
    for c in ("backhaul", "parent_id", "parent_kind", "fibre_node_id"):
        sites[c] = sites[c].astype("string")
    sites["standalone_usd"] = alone["backhaul_usd"]
    lines = gpd.GeoDataFrame(
        pd.DataFrame(routes, columns=[*_ROUTE_COLUMNS, "geometry"]),
        geometry="geometry",
        crs="EPSG:4326",
    )
    lines.insert(0, "route_id", [f"R{k + 1}" for k in range(len(lines))])
    logger.info(
        "backhaul plan: %s; USD %.0f",
        ", ".join(f"{k} {v}" for k, v in sites["backhaul"].value_counts().items()),
        sites["usd"].sum(),
    )
    return sites, lines


def _route(
    from_id: str, to_id: str, kind: str, rows: dict, k: int, line: shapely.LineString
) -> dict:
    return {
        "from_id": from_id,
        "to_id": to_id,
        "backhaul": kind,
        "km": rows["km"][k],
        "usd": rows["usd"][k],
        "shared_km": rows["shared_km"][k],
        "geometry": line,
    }
