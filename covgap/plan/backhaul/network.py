"""Road routing for backhaul: :class:`RoadNetwork` (internal; public via covgap.plan.backhaul).

A point joins the road graph at its nearest graph node by a straight off-road leg. The
distance between two points is the shorter of

* leg + shortest road path + leg, and
* the straight line between them, allowed only when it is no longer than the longer of
  the two off-road legs (the other end is nearer than the road: a trench straight to it
  is no more cross-country than the leg to the road would be).

Distances are in km: geodesic edge lengths from :func:`covgap.plan.roads.road_graph`,
geodesic legs too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from ...errors import InputError
from ..roads import SNAP_TOLERANCE_M, road_graph

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DENSIFY_M", "Closure", "RoadNetwork"]

logger = logging.getLogger("covgap.plan.backhaul")

#: Default longest road segment (m): longer segments get extra vertices, so that a point
#: beside a long straight road joins it near its foot rather than at a far vertex.
DENSIFY_M = 250.0
#: Weight given to zero-length edges (scipy's sparse graphs drop explicit zeros).
_TINY_KM = 1e-9
#: Fibre nodes looked at per point for a direct (off-road) connection.
_DIRECT_K = 8
_GEOD = Geod(ellps="WGS84")


def distance_km(lon0: object, lat0: object, lon1: object, lat1: object) -> np.ndarray:
    """Geodesic km on the WGS 84 ellipsoid (as the road edges), broadcasting."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lon0, lat0, lon1, lat1)))
    shape = arrays[0].shape
    flat = [a.ravel() for a in arrays]
    return (_GEOD.inv(*flat)[2] / 1000.0).reshape(shape)


@dataclass(frozen=True)
class _Snap:
    """Where points join the network: graph node index and off-road leg (km)."""

    node: np.ndarray
    leg_km: np.ndarray


@dataclass(frozen=True)
class _Field:
    """Shortest road distance from the fibre network to every graph node."""

    key: tuple
    dist: np.ndarray  # km from the nearest fibre node (its leg included), inf if cut off
    pred: np.ndarray  # predecessor graph node, -1 at a node joined straight from fibre
    origin: np.ndarray  # index (row of the nodes table) of the fibre node reached
    snap: _Snap  # where the fibre nodes join the graph
    xy: np.ndarray  # fibre nodes in the metric CRS
    lonlat: np.ndarray
    ids: np.ndarray


@dataclass(frozen=True)
class Closure:
    """Road distances among a set of points (see :meth:`RoadNetwork.distances`).

    Attributes
    ----------
    km
        (n, n) km: off-road legs + road path, or the straight line; inf between points
        on road components that do not meet.
    direct
        (n, n) bool: the pair is joined by a straight line.
    pred
        Dijkstra predecessors, one row per distinct join node (``rows[i]`` for point i).
    rows
        Row of ``pred`` of every point.
    snap
        Where the points join the graph.
    """

    km: np.ndarray
    direct: np.ndarray
    pred: np.ndarray
    rows: np.ndarray
    snap: _Snap

    def road_nodes(self, i: int, j: int) -> list[int]:
        """Graph nodes (positions) of the road path from point ``i`` to point ``j``."""
        return _walk(self.pred[self.rows[i]], int(self.snap.node[j]))


def _walk(pred_row: np.ndarray, target: int) -> list[int]:
    """Nodes from a Dijkstra source to ``target`` (source first), from predecessors."""
    out = [int(target)]
    while pred_row[out[-1]] >= 0:
        out.append(int(pred_row[out[-1]]))
    return out[::-1]


class RoadNetwork:
    """A routable road graph with a spatial index of its nodes.

    Build it with :meth:`from_roads`. Points (WGS 84 lon/lat arrays) join the graph at
    the nearest graph node by a straight off-road leg, which counts in the distance; two
    points whose straight distance is no longer than the longer of their two legs are
    joined straight (see the module notes of :mod:`covgap.plan.backhaul`).

    Parameters
    ----------
    graph
        Undirected graph as made by :func:`covgap.plan.roads.road_graph`: nodes with ``lon``
        and ``lat``, edges with ``weight`` (km).

    Attributes
    ----------
    graph
        The road graph.
    crs
        Metric CRS (UTM) of the node index.
    lon, lat
        Node positions, in the order of the graph's node list.
    component
        Connected-component label of every node.
    """

    def __init__(self, graph: nx.Graph) -> None:
        if graph.number_of_nodes() == 0:
            raise InputError("the road layer is empty: give a road file with lines (--roads)")
        self.graph = graph
        self._ids = np.array(list(graph.nodes))
        index = {n: i for i, n in enumerate(self._ids)}
        self.lon = np.array([graph.nodes[n]["lon"] for n in self._ids], dtype=float)
        self.lat = np.array([graph.nodes[n]["lat"] for n in self._ids], dtype=float)
        self.crs = _utm_crs(self.lon, self.lat)
        self._to_metric = Transformer.from_crs(4326, self.crs, always_xy=True)
        self._xy = self.metric(self.lon, self.lat)
        self._tree = cKDTree(self._xy)
        n = len(self._ids)
        rows, cols, km = [], [], []
        for a, b, w in graph.edges(data="weight"):
            rows.append(index[a])
            cols.append(index[b])
            km.append(max(float(w), _TINY_KM))
        rows_a, cols_a = (
            np.array(rows + cols, dtype=np.int64),
            np.array(cols + rows, dtype=np.int64),
        )
        self._matrix = csr_matrix((np.array(km + km), (rows_a, cols_a)), shape=(n, n))
        self.component = connected_components(self._matrix, directed=False)[1]
        self._field: _Field | None = None
        logger.info(
            "road network: %d nodes, %d edges, %d component(s)",
            n,
            graph.number_of_edges(),
            self.component.max() + 1,
        )

    @classmethod
    def from_roads(
        cls,
        roads: gpd.GeoDataFrame,
        *,
        tolerance_m: float = SNAP_TOLERANCE_M,
        densify_m: float | None = DENSIFY_M,
    ) -> RoadNetwork:
        """Build the network from road lines.

        Parameters
        ----------
        roads
            Road lines (any CRS), e.g. from :func:`covgap.plan.roads.read_roads`.
        tolerance_m
            Snapping distance of :func:`covgap.plan.roads.road_graph`.
        densify_m
            Longest segment kept: longer segments are cut (in a metric CRS) so that points
            join a road near their foot on it; ``None`` keeps the drawn vertices.

        Returns
        -------
        RoadNetwork

        Raises
        ------
        InputError
            The road layer has no lines.
        """
        if len(roads) == 0 or roads.geometry.is_empty.all():
            raise InputError("the road layer is empty: give a road file with lines (--roads)")
        if densify_m is not None:
            metric = roads.estimate_utm_crs()
            roads = roads.to_crs(metric)
            roads = roads.set_geometry(shapely.segmentize(roads.geometry.to_numpy(), densify_m))
        return cls(road_graph(roads, tolerance_m=tolerance_m))

    # ------------------------------------------------------------------ snapping
    def metric(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Positions (n, 2) in the network's metric CRS."""
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def snap(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        """Nearest graph node of every point and the off-road leg to it.

        Parameters
        ----------
        lon, lat
            WGS 84 degrees.

        Returns
        -------
        pandas.DataFrame
            ``node`` (position in the graph's node list), ``node_lon``, ``node_lat``,
            ``leg_km`` (geodesic km), ``component``.
        """
        s = self._snap(lon, lat)
        return pd.DataFrame(
            {
                "node": s.node,
                "node_lon": self.lon[s.node],
                "node_lat": self.lat[s.node],
                "leg_km": s.leg_km,
                "component": self.component[s.node],
            }
        )

    def _snap(self, lon: np.ndarray, lat: np.ndarray) -> _Snap:
        lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise InputError(f"{int((~np.isfinite(lon + lat)).sum())} point(s) have no position")
        node = self._tree.query(self.metric(lon, lat))[1] if len(lon) else np.zeros(0, int)
        node = np.asarray(node, dtype=np.int64)
        return _Snap(node, distance_km(lon, lat, self.lon[node], self.lat[node]))

    # --------------------------------------------------------------- fibre field
    def _fibre_field(self, nodes: pd.DataFrame) -> _Field:
        """Multi-source Dijkstra from every fibre node at once (cached per node set)."""
        lonlat = nodes[["lon", "lat"]].to_numpy(dtype=float)
        ids = nodes["node_id"].astype(str).to_numpy()
        key = (tuple(ids), lonlat.tobytes())
        if self._field is not None and self._field.key == key:
            return self._field
        if len(nodes) == 0:
            raise InputError("no fibre node: mark sites fibre_backhaul=yes or give --fibre-nodes")
        snap = self._snap(lonlat[:, 0], lonlat[:, 1])
        n = len(self._ids)
        # The best fibre node at each graph node, then a super source joined to those.
        order = np.lexsort((snap.leg_km, snap.node))
        first = order[np.r_[True, np.diff(snap.node[order]) != 0]]
        best = np.full(n, -1, dtype=np.int64)
        best[snap.node[first]] = first
        roads = self._matrix.tocoo()
        rows = np.r_[roads.row, np.full(len(first), n)]
        cols = np.r_[roads.col, snap.node[first]]
        vals = np.r_[roads.data, np.maximum(snap.leg_km[first], _TINY_KM)]
        matrix = coo_matrix((vals, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
        dist, pred = dijkstra(matrix, directed=True, indices=n, return_predecessors=True)
        dist, pred = dist[:n], pred[:n].astype(np.int64)
        pred[pred == n] = -1
        origin = np.full(n, -1, dtype=np.int64)
        for v in np.argsort(dist, kind="stable"):
            if not np.isfinite(dist[v]):
                break
            origin[v] = best[v] if pred[v] < 0 else origin[pred[v]]
        xy = self.metric(lonlat[:, 0], lonlat[:, 1])
        self._field = _Field(key, dist, pred, origin, snap, xy, lonlat, ids)
        logger.debug(
            "fibre field: %d fibre node(s), %d of %d graph nodes reached",
            len(ids),
            int(np.isfinite(dist).sum()),
            n,
        )
        return self._field

    def nearest_fibre(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        nodes: pd.DataFrame,
        *,
        on_cut_off: str = "raise",
    ) -> pd.DataFrame:
        """Road distance from every point to its nearest fibre node.

        One multi-source Dijkstra from all fibre nodes (through a virtual source joined to
        each by its off-road leg) gives every graph node its distance to the fibre; a
        point adds its own leg. A fibre node nearer than the road is joined straight.

        Parameters
        ----------
        lon, lat
            WGS 84 degrees of the points.
        nodes
            Fibre nodes with ``node_id``, ``lon``, ``lat`` (see
            :func:`covgap.plan.backhaul.fibre_nodes`).
        on_cut_off
            ``"raise"``: raise :class:`~covgap.errors.InputError` when none of the points
            reaches a fibre node (a warning when only some are cut off); ``"warn"``:
            only log a warning; ``"ignore"``: neither.

        Returns
        -------
        pandas.DataFrame
            One row per point, in order: ``road_km`` (off-road legs + road path, before
            the routing factor; NaN when unreachable), ``fibre_node_id`` (NA when
            unreachable), ``reachable`` (False when the point's road component has no
            fibre node), ``leg_km`` (the point's off-road leg), ``direct`` (joined by a
            straight line to the fibre node), ``component``.

        Raises
        ------
        InputError
            There is no fibre node, or (``on_cut_off="raise"``) none of the points can
            reach one.
        """
        field = self._fibre_field(nodes)
        s = self._snap(lon, lat)
        lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
        road = s.leg_km + field.dist[s.node]
        origin = field.origin[s.node]
        straight, which = self._direct_to_fibre(lon, lat, s.leg_km, field)
        direct = straight < road
        road = np.where(direct, straight, road)
        origin = np.where(direct, which, origin)
        reachable = np.isfinite(road)
        ids = pd.array([field.ids[o] if o >= 0 else pd.NA for o in origin], dtype="string")
        if on_cut_off != "ignore":
            _check_reachable(reachable, len(field.ids), raise_all=on_cut_off == "raise")
        return pd.DataFrame(
            {
                "road_km": np.where(reachable, road, np.nan),
                "fibre_node_id": ids,
                "reachable": reachable,
                "leg_km": s.leg_km,
                "direct": direct,
                "component": self.component[s.node],
            }
        )

    def _direct_to_fibre(
        self, lon: np.ndarray, lat: np.ndarray, leg: np.ndarray, field: _Field
    ) -> tuple[np.ndarray, np.ndarray]:
        """Straight distance to the nearest fibre node that may be joined straight."""
        k = min(_DIRECT_K, len(field.ids))
        tree = cKDTree(field.xy)
        cand = tree.query(self.metric(lon, lat), k=k)[1].reshape(len(lon), k)
        d = distance_km(lon[:, None], lat[:, None], *field.lonlat[cand].transpose(2, 0, 1))
        ok = d <= np.maximum(leg[:, None], field.snap.leg_km[cand])
        d = np.where(ok, d, np.inf)
        j = np.argmin(d, axis=1) if k else np.zeros(len(lon), int)
        rows = np.arange(len(lon))
        return d[rows, j], cand[rows, j]

    # -------------------------------------------------------------- routes
    def distances(self, lon: np.ndarray, lat: np.ndarray) -> Closure:
        """Road distance between every pair of points (metric closure), with the paths.

        Parameters
        ----------
        lon, lat
            WGS 84 degrees of the points.

        Returns
        -------
        Closure
            Distances, which pairs are joined straight, and the Dijkstra predecessors
            from which :meth:`Closure.road_nodes` rebuilds every road path.
        """
        lon, lat = np.atleast_1d(np.asarray(lon, float)), np.atleast_1d(np.asarray(lat, float))
        s = self._snap(lon, lat)
        sources, rows = np.unique(s.node, return_inverse=True)
        dist, pred = dijkstra(
            self._matrix, directed=False, indices=sources, return_predecessors=True
        )
        road = dist[rows][:, s.node]
        np.fill_diagonal(road, 0.0)
        km = s.leg_km[:, None] + road + s.leg_km[None, :]
        straight = distance_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        direct = (straight <= np.maximum(s.leg_km[:, None], s.leg_km[None, :])) & (straight < km)
        np.fill_diagonal(direct, False)
        km = np.where(direct, straight, km)
        np.fill_diagonal(km, 0.0)
        return Closure(km, direct, pred.astype(np.int64), rows, s)

    def node_lonlat(self, path: list[int]) -> np.ndarray:
        """(n, 2) lon/lat of graph nodes given by position."""
        idx = np.asarray(path, dtype=np.int64)
        return np.column_stack([self.lon[idx], self.lat[idx]])

    def path(self, lon0: float, lat0: float, lon1: float, lat1: float) -> shapely.LineString:
        """Route between two points: off-road leg, road vertices, off-road leg.

        Parameters
        ----------
        lon0, lat0, lon1, lat1
            WGS 84 degrees of the two ends.

        Returns
        -------
        shapely.LineString
            In WGS 84; a straight line when the two points are joined straight.

        Raises
        ------
        InputError
            The two points are on road components that do not meet.
        """
        c = self.distances([lon0, lon1], [lat0, lat1])
        if not np.isfinite(c.km[0, 1]):
            raise InputError(
                f"no road joins ({lon0:.5f}, {lat0:.5f}) and ({lon1:.5f}, {lat1:.5f}): "
                "they are on separate road components"
            )
        if c.direct[0, 1]:
            return shapely.LineString([(lon0, lat0), (lon1, lat1)])
        nodes = c.road_nodes(0, 1)
        return shapely.LineString(
            [(lon0, lat0), *map(tuple, self.node_lonlat(nodes)), (lon1, lat1)]
        )

    def edge_km(self, a: int, b: int) -> float:
        """Length (km) of the road edge between graph nodes at positions ``a`` and ``b``."""
        return float(self.graph.edges[self._ids[a], self._ids[b]]["weight"])

    @property
    def node_labels(self) -> np.ndarray:
        """Graph node label of every node position."""
        return self._ids


def _check_reachable(reachable: np.ndarray, n_fibre: int, *, raise_all: bool) -> None:
    cut = int((~reachable).sum())
    if raise_all and len(reachable) and cut == len(reachable):
        raise InputError(
            f"none of the {cut} point(s) can reach a fibre node by road: the {n_fibre} fibre "
            "node(s) are all on other road components (add the missing roads, or give "
            "points of presence on the points' roads with --fibre-nodes)"
        )
    if cut:
        logger.warning(
            "%d of %d point(s) are cut off from the fibre: no fibre node on their road component",
            cut,
            len(reachable),
        )


def _utm_crs(lon: np.ndarray, lat: np.ndarray) -> CRS:
    zone = int((np.nanmean(lon) + 180.0) // 6.0) + 1
    south = np.nanmean(lat) < 0
    return CRS.from_epsg((32700 if south else 32600) + zone)
