r"""Synthetic road network of the bundled sample: roads that follow the valleys.

Roads are least-cost paths over the DEM on a grid of ~9" cells (8-connected, the cost
of a step is its length times a grade penalty and a valley-floor preference):

1. **national and provincial roads** link the 8 district towns (and leave the province
   towards Sa Pa, Mù Cang Chải and the northern border), routed one after the other so
   that a later road reuses the earlier ones where that is cheaper;
2. **commune roads** join each commune's centre (its most populous village) to the
   nearest point of that network, and
3. **tracks** join every village that is not on a road yet to the nearest road.

Steps 2 and 3 take one multi-source Dijkstra each (``scipy.sparse.csgraph``): all roads
so far are the sources, so every path runs down the same shortest-path tree and paths
merge where they meet. The cells are then cut into ways between junctions (a way has one
class; a junction is a shared end point of all the ways that meet there) and simplified.

The step cost between neighbouring cells ``a`` and ``b`` at distance ``d`` (km) is

.. math::

    w_{ab} = d \left(1 + (g_{ab} / g_0)^2\right) \frac{m_a + m_b}{2},
    \qquad m = \left(1 + v\, e^{-A / 20\,\mathrm{km^2}}\right) o\, \epsilon

with the grade :math:`g_{ab} = |h_b - h_a| / d`, a class's comfortable grade
:math:`g_0` (8 % for main roads, 11 % for commune roads, 15 % for tracks), the drainage
area :math:`A` of the cell (valley floors have a large one), the valley preference
:math:`v`, :math:`o = 3` outside the province and a small random factor :math:`\epsilon`.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from .common import DISTRICTS, Grid
from .terrain import SyntheticTerrain

logger = logging.getLogger(__name__)

__all__ = ["HIGHWAY", "ROAD_CLASSES", "make_roads"]

#: Road classes, most important first.
ROAD_CLASSES = ("national", "provincial", "commune", "track")
#: OSM ``highway`` value written for each class.
HIGHWAY = {"national": "trunk", "provincial": "secondary", "commune": "tertiary", "track": "track"}
#: Target cell size of the routing grid (arc-seconds).
_ROUTING_ARCSEC = 9
#: Main roads between district codes (or to an exit point lon/lat), in building order.
_MAIN_ROADS: tuple[tuple[str, int, int | tuple[float, float]], ...] = (
    ("national", 105, 106),  # city - Tam Đường
    ("national", 106, 111),  # Tam Đường - Tân Uyên
    ("national", 111, 110),  # Tân Uyên - Than Uyên
    ("national", 105, 109),  # city - Phong Thổ
    ("national", 105, 112),  # city - Nậm Nhùn, down the Nậm Na
    ("national", 112, 107),  # Nậm Nhùn - Mường Tè, up the Đà
    ("national", 106, (104.095, 22.36)),  # towards Sa Pa
    ("national", 110, (104.095, 21.84)),  # towards Mù Cang Chải
    ("provincial", 108, 105),  # Sìn Hồ - city
    ("provincial", 108, 112),  # Sìn Hồ - Nậm Nhùn
    ("provincial", 109, (103.27, 22.895)),  # towards the northern border
)
#: (comfortable grade g0, valley preference v) per class.
_COST = {"main": (0.08, 0.8), "commune": (0.11, 0.5), "track": (0.15, 0.2)}
#: Cost factor of a step along an existing main road (later main roads reuse it).
_REUSE = 0.35
_OUTSIDE = 3.0
_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))
_GEOD = Geod(ellps="WGS84")


class _Router:
    """Cost graphs on a coarse routing grid and the road cells found so far."""

    def __init__(self, terrain: SyntheticTerrain, inside: np.ndarray, rng: np.random.Generator):
        g = terrain.grid
        f = max(1, round(_ROUTING_ARCSEC / (g.cell_deg * 3600)))
        self.grid = Grid(g.cell_deg * f, g.width // f, g.height // f)
        shape = (self.grid.height, self.grid.width)
        self.h = _blocks(terrain.heights, f, shape).mean(axis=(1, 3))
        self.acc = _blocks(terrain.accumulation_km2, f, shape).max(axis=(1, 3))
        self.inside = _blocks(inside, f, shape).any(axis=(1, 3))
        self.noise = np.exp(0.08 * rng.standard_normal(shape))
        self.n = shape[0] * shape[1]
        self.on_road = np.zeros(self.n, dtype=bool)
        self.edges: dict[tuple[int, int], int] = {}
        self._pairs, self._d, self._dh = self._steps()

    def _steps(self):
        rows, cols = self.h.shape
        idx = np.arange(self.n).reshape(rows, cols)
        pairs, dist, dh = [], [], []
        for dr, dc in _OFFSETS:
            r0, r1 = slice(0, rows - dr), slice(dr, rows)
            c0, c1 = (
                (slice(0, cols - dc), slice(dc, cols))
                if dc >= 0
                else (slice(-dc, cols), slice(0, cols + dc))
            )
            a, b = idx[r0, c0].ravel(), idx[r1, c1].ravel()
            pairs.append(np.stack([a, b]))
            dist.append(np.full(a.size, np.hypot(dr * self.grid.dy_km, dc * self.grid.dx_km)))
            dh.append(np.abs(self.h.ravel()[b] - self.h.ravel()[a]))
        return np.concatenate(pairs, axis=1), np.concatenate(dist), np.concatenate(dh)

    def weights(self, kind: str) -> np.ndarray:
        g0, valley = _COST[kind]
        m = (1 + valley * np.exp(-self.acc / 20.0)) * np.where(self.inside, 1.0, _OUTSIDE)
        m = (m * self.noise).ravel()
        a, b = self._pairs
        grade = self._dh / (self._d * 1000.0)
        return self._d * (1 + (grade / g0) ** 2) * 0.5 * (m[a] + m[b])

    def graph(self, w: np.ndarray):
        a, b = self._pairs
        return coo_matrix((w, (a, b)), shape=(self.n, self.n)).tocsr()

    def cell(self, lon: float, lat: float) -> int:
        r, c = self.grid.rowcol(lon, lat)
        return int(r) * self.grid.width + int(c)

    def add_path(self, pred: np.ndarray, start: int, rank: int, stop_on_road: bool) -> None:
        """Trace ``start`` back along ``pred`` to the source, adding its steps as road."""
        node = start
        while True:
            if stop_on_road and self.on_road[node]:
                break
            self.on_road[node] = True
            prev = int(pred[node])
            if prev < 0:
                break
            key = (min(node, prev), max(node, prev))
            self.edges[key] = min(self.edges.get(key, rank), rank)
            node = prev


def _blocks(a: np.ndarray, f: int, shape: tuple[int, int]) -> np.ndarray:
    return a[: shape[0] * f, : shape[1] * f].reshape(shape[0], f, shape[1], f)


def _main_roads(router: _Router) -> None:
    towns = {d.code: d.town for d in DISTRICTS}
    base = router.weights("main")
    on_edge = np.zeros(base.size, dtype=bool)
    for cls, a, b in _MAIN_ROADS:
        src = router.cell(*towns[a])
        dst = router.cell(*(towns[b] if isinstance(b, int) else b))
        w = np.where(on_edge, base * _REUSE, base)
        _, pred = dijkstra(router.graph(w), directed=False, indices=src, return_predecessors=True)
        router.add_path(pred, dst, ROAD_CLASSES.index(cls), stop_on_road=False)
        on_edge = router.on_road[router._pairs[0]] & router.on_road[router._pairs[1]]


def _feeders(router: _Router, kind: str, lonlat: np.ndarray) -> None:
    """Join points to the nearest road cell (one multi-source Dijkstra), nearest first."""
    sources = np.flatnonzero(router.on_road)
    dist, pred, _ = dijkstra(
        router.graph(router.weights(kind)),
        directed=False,
        indices=sources,
        min_only=True,
        return_predecessors=True,
    )
    cells = np.array([router.cell(lon, lat) for lon, lat in lonlat], dtype=np.int64)
    rank = ROAD_CLASSES.index("commune" if kind == "commune" else "track")
    for i in np.argsort(dist[cells], kind="stable"):
        if np.isfinite(dist[cells[i]]):
            router.add_path(pred, int(cells[i]), rank, stop_on_road=True)


def _commune_centres(villages: pd.DataFrame, communes: gpd.GeoDataFrame) -> np.ndarray:
    """Return the most populous village of each commune without a district town."""
    towns = shapely.points([d.town for d in DISTRICTS])
    out = []
    for code, poly in zip(communes["commune_code"], communes.geometry, strict=True):
        if shapely.contains(poly, towns).any():
            continue
        vs = villages[villages["commune_code"] == code]
        if len(vs):
            best = vs.sort_values(["population", "village_id"], ascending=[False, True]).iloc[0]
            out.append((best["lon"], best["lat"]))
    return np.array(out, dtype=float).reshape(-1, 2)


def _ways(edges: dict[tuple[int, int], int]) -> list[tuple[int, list[int]]]:
    """Cut road cells into chains of one class between junctions and ends."""
    adj: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (a, b), rank in sorted(edges.items()):
        adj[a].append((b, rank))
        adj[b].append((a, rank))

    def is_break(node: int) -> bool:
        links = adj[node]
        return len(links) != 2 or links[0][1] != links[1][1]

    seen: set[tuple[int, int]] = set()
    ways = []
    starts = [n for n in sorted(adj) if is_break(n)] + sorted(adj)
    for start in starts:
        for nxt, rank in adj[start]:
            if (min(start, nxt), max(start, nxt)) in seen:
                continue
            chain, prev, node = [start], start, nxt
            seen.add((min(prev, node), max(prev, node)))
            while True:
                chain.append(node)
                if is_break(node) or node == start:
                    break
                step = next((m for m, _ in adj[node] if m != prev), None)
                if step is None or (min(node, step), max(node, step)) in seen:
                    break
                seen.add((min(node, step), max(node, step)))
                prev, node = node, step
            ways.append((rank, chain))
    return ways


def _lines(router: _Router, ways) -> gpd.GeoDataFrame:
    g = router.grid
    rows = []
    for rank, chain in ways:
        lon, lat = g.lonlat(np.array(chain) // g.width, np.array(chain) % g.width)
        line = shapely.linestrings(np.round(lon, 6), np.round(lat, 6))
        line = shapely.simplify(line, 0.45 * g.cell_deg, preserve_topology=False)
        rows.append((rank, line, _GEOD.geometry_length(line) / 1000.0))
    rows.sort(key=lambda r: (r[0], -r[2], r[1].coords[0]))
    classes = [ROAD_CLASSES[r[0]] for r in rows]
    return gpd.GeoDataFrame(
        {
            "road_id": [f"RD{i + 1:05d}" for i in range(len(rows))],
            "road_class": classes,
            "highway": [HIGHWAY[c] for c in classes],
            "length_km": [round(r[2], 3) for r in rows],
        },
        geometry=[r[1] for r in rows],
        crs="EPSG:4326",
    )


def make_roads(
    terrain: SyntheticTerrain,
    inside: np.ndarray,
    villages: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Return the sample's roads: one LineString per way, in EPSG:4326.

    Parameters
    ----------
    terrain
        The sample's terrain (heights and drainage area).
    inside
        Boolean grid of the DEM: True inside the province.
    villages
        Villages with ``lon``, ``lat``, ``commune_code``, ``population``, ``village_id``.
    communes
        Commune polygons with ``commune_code``.
    rng
        Random generator (a small noise on the step costs).

    Returns
    -------
    geopandas.GeoDataFrame
        ``road_id``, ``road_class`` (:data:`ROAD_CLASSES`), ``highway`` (OSM value),
        ``length_km`` and LineString geometry; ways meet at shared end points.
    """
    router = _Router(terrain, inside, rng)
    _main_roads(router)
    _feeders(router, "commune", _commune_centres(villages, communes))
    _feeders(router, "track", villages[["lon", "lat"]].to_numpy(dtype=float))
    roads = _lines(router, _ways(router.edges))
    logger.debug("roads: %d ways, %.0f km", len(roads), roads["length_km"].sum())
    return roads
