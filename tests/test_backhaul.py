"""Tests of covgap.plan.backhaul: road routing, Fresnel clearance, backhaul costs and plans."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS, Geod

from covgap.config import PlanCosts
from covgap.errors import InputError, ValidationError
from covgap.io.terrain import Terrain
from covgap.plan.backhaul import (
    RoadNetwork,
    fibre_nodes,
    fibre_rollout,
    fresnel_clearance,
    fresnel_clearances,
    fresnel_radius_m,
    plan_backhaul,
    read_fibre_nodes,
    standalone_backhaul,
)

GEOD = Geod(ellps="WGS84")
LON0, LAT0 = 103.4, 22.3
KM_LON = GEOD.inv(LON0, LAT0, LON0 + 1, LAT0)[2] / 1000.0  # km per degree east here
KM_LAT = GEOD.inv(LON0, LAT0, LON0, LAT0 + 1)[2] / 1000.0
DATA = Path(__file__).resolve().parents[1] / "data"
NO_SAT = PlanCosts(satellite_usd=10_000_000.0)  # satellite never wins
FIBRE_ONLY = PlanCosts(satellite_usd=1e7, microwave_link_usd=1e7)
EMPTY = pd.DataFrame({"site_id": [], "lon": [], "lat": [], "height_m": []})


def _xy(x_km: float, y_km: float) -> tuple[float, float]:
    """Lon/lat of a point x km east and y km north of (103.4, 22.3)."""
    return LON0 + x_km / KM_LON, LAT0 + y_km / KM_LAT


def _points(**named: tuple[float, float]) -> pd.DataFrame:
    rows = [(k, *_xy(*xy)) for k, xy in named.items()]
    return pd.DataFrame(rows, columns=["id", "lon", "lat"]).assign(height_m=30.0)


def _nodes(**named: tuple[float, float]) -> pd.DataFrame:
    lonlat = [_xy(*xy) for xy in named.values()]
    return pd.DataFrame(
        {
            "node_id": list(named),
            "kind": "pop",
            "site_id": pd.array([pd.NA] * len(named), dtype="string"),
            "lon": [p[0] for p in lonlat],
            "lat": [p[1] for p in lonlat],
            "height_m": np.nan,
        }
    )


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    """A 20 km west-east trunk (vertices every 5 km), a 6 km branch north from its km 10,
    and a separate 5 km road 30 km north (an island with no fibre)."""
    lines = [
        shapely.LineString([_xy(x, 0) for x in (0, 5, 10, 15, 20)]),
        shapely.LineString([_xy(10, 0), _xy(10, 3), _xy(10, 6)]),
        shapely.LineString([_xy(0, 30), _xy(5, 30)]),
    ]
    return gpd.GeoDataFrame({"road_id": ["trunk", "branch", "island"]}, geometry=lines, crs=4326)


@pytest.fixture
def network(roads) -> RoadNetwork:
    return RoadNetwork.from_roads(roads, densify_m=None)


@pytest.fixture
def pop() -> pd.DataFrame:
    """One point of presence 0.5 km south of the trunk's west end."""
    return _nodes(POP=(0, -0.5))


def _terrain(heights: np.ndarray) -> Terrain:
    """A grid of 0.001° cells whose top-left corner is 0.1° west, 0.4° north of (LON0, LAT0)."""
    transform = Affine(0.001, 0, LON0 - 0.1, 0, -0.001, LAT0 + 0.4)
    return Terrain(heights.astype(np.float32), transform, CRS.from_epsg(4326), "synthetic")


@pytest.fixture
def flat() -> Terrain:
    return _terrain(np.zeros((500, 400)))


def _col(x_km: float) -> int:
    return int((_xy(x_km, 0)[0] - (LON0 - 0.1)) / 0.001)


def _row(y_km: float) -> int:
    return int(((LAT0 + 0.4) - _xy(0, y_km)[1]) / 0.001)


# --------------------------------------------------------------------------- routing
def test_nearest_fibre_adds_off_road_legs_to_the_road_path(network, pop):
    pts = _points(A=(20, 0.2), B=(10, 6.1), C=(5, -0.3))
    nf = network.nearest_fibre(pts["lon"], pts["lat"], pop)
    # 0.5 km PoP leg + road + the point's leg
    np.testing.assert_allclose(
        nf["road_km"], [0.5 + 20 + 0.2, 0.5 + 16 + 0.1, 0.5 + 5 + 0.3], rtol=2e-3
    )
    np.testing.assert_allclose(nf["leg_km"], [0.2, 0.1, 0.3], rtol=1e-2)
    assert list(nf["fibre_node_id"]) == ["POP"] * 3
    assert nf["reachable"].all() and not nf["direct"].any()


def test_nearest_fibre_picks_the_nearest_of_several_nodes(network):
    nodes = _nodes(WEST=(0, -0.5), EAST=(20, 1.0))
    pts = _points(A=(6, 0.1), B=(14, 0.1))
    nf = network.nearest_fibre(pts["lon"], pts["lat"], nodes)
    assert list(nf["fibre_node_id"]) == ["WEST", "EAST"]
    leg = np.hypot(1, 0.1)  # both join the trunk at the vertex 1 km away (km 5 and km 15)
    np.testing.assert_allclose(nf["road_km"], [0.5 + 5 + leg, 1 + 5 + leg], rtol=3e-3)


def test_a_fibre_node_nearer_than_the_road_is_joined_straight(network):
    nodes = _nodes(FAR=(3, 6))  # 5.4 km from the nearest road vertex (5, 0)
    pts = _points(P=(3, 5))
    nf = network.nearest_fibre(pts["lon"], pts["lat"], nodes)
    assert nf["direct"].iloc[0]
    assert nf["road_km"].iloc[0] == pytest.approx(1.0, rel=2e-3)
    line = network.path(*_xy(3, 5), *_xy(3, 6))
    assert len(line.coords) == 2


def test_cut_off_points_are_flagged_and_all_cut_off_is_an_error(network, pop, caplog):
    pts = _points(A=(20, 0.2), ISLAND=(2, 30.2))
    with caplog.at_level(logging.WARNING, logger="covgap.plan.backhaul"):
        nf = network.nearest_fibre(pts["lon"], pts["lat"], pop)
    assert list(nf["reachable"]) == [True, False]
    assert np.isnan(nf["road_km"].iloc[1]) and pd.isna(nf["fibre_node_id"].iloc[1])
    assert "1 of 2 point(s) are cut off" in caplog.text
    island = _points(I1=(2, 30.2), I2=(4, 29.9))
    with pytest.raises(InputError, match=r"none of the 2 point\(s\) can reach a fibre node"):
        network.nearest_fibre(island["lon"], island["lat"], pop)


def test_empty_road_layer_and_no_fibre_node_are_errors(roads, network):
    with pytest.raises(InputError, match="road layer is empty"):
        RoadNetwork.from_roads(roads.iloc[:0])
    with pytest.raises(InputError, match="no fibre node"):
        network.nearest_fibre([LON0], [LAT0], _nodes())


def test_path_follows_the_road_vertices_with_the_legs(network):
    a, b = _xy(20, 0.2), _xy(10, 6.1)
    line = network.path(*a, *b)
    coords = np.array(line.coords)
    expected = np.array([a, _xy(20, 0), _xy(15, 0), _xy(10, 0), _xy(10, 3), _xy(10, 6), b])
    np.testing.assert_allclose(coords, expected, atol=1e-6)
    assert GEOD.geometry_length(line) / 1000 == pytest.approx(0.2 + 10 + 6 + 0.1, rel=2e-3)
    with pytest.raises(InputError, match="separate road components"):
        network.path(*a, *_xy(2, 30.2))


def test_densified_roads_join_points_near_their_foot(roads):
    dense = RoadNetwork.from_roads(roads)  # 250 m segments
    snap = dense.snap(*np.array([_xy(12.4, 0.3)]).T)
    assert snap["leg_km"].iloc[0] == pytest.approx(0.3, abs=0.13)


def test_nearest_fibre_matches_networkx_on_the_sample(sample):
    network, nodes = sample["network"], sample["nodes"]
    rng = np.random.default_rng(7)
    v = sample["villages"].iloc[rng.choice(len(sample["villages"]), 12, replace=False)]
    lon, lat = v.geometry.x.to_numpy(), v.geometry.y.to_numpy()
    nf = network.nearest_fibre(lon, lat, nodes)
    fs = network.snap(nodes["lon"], nodes["lat"])
    label = network.node_labels
    sources = {}
    for node, leg in zip(fs["node"], fs["leg_km"], strict=True):
        sources[label[node]] = min(leg, sources.get(label[node], np.inf))
    ps = network.snap(lon, lat)
    for k in range(len(v)):
        if nf["direct"].iloc[k]:
            continue
        dist = nx.single_source_dijkstra_path_length(network.graph, label[ps["node"].iloc[k]])
        best = min(dist[s] + leg for s, leg in sources.items() if s in dist)
        assert nf["road_km"].iloc[k] == pytest.approx(ps["leg_km"].iloc[k] + best, rel=1e-9)


# --------------------------------------------------------------------------- Fresnel
def test_fresnel_radius_hand_value():
    # 7 GHz, 30 km hop, midpoint: sqrt(0.0428 m * 15 km * 15 km / 30 km) = 17.9 m
    assert fresnel_radius_m(15.0, 15.0, 7000.0) == pytest.approx(17.92, abs=0.01)
    assert fresnel_radius_m(1.0, 9.0, 7000.0) == pytest.approx(np.sqrt(0.042827 * 900), rel=1e-4)


def test_fresnel_clearance_over_flat_ground_is_the_midpoint_ratio(flat):
    a, b = _xy(0, 10), _xy(10, 10)
    ratio = fresnel_clearance(flat, *a, 30.0, *b, 30.0, freq_mhz=7000.0)
    d = GEOD.inv(*a, *b)[2]
    bulge = (d / 2) ** 2 / (2 * 4 / 3 * 6_371_000)
    assert ratio == pytest.approx(
        (30 - bulge) / fresnel_radius_m(d / 2000, d / 2000, 7000), rel=1e-3
    )
    assert ratio > 1
    # a smaller k (sub-refraction) raises the bulge and lowers the clearance
    assert fresnel_clearance(flat, *a, 30.0, *b, 30.0, freq_mhz=7000.0, k_factor=0.5) < ratio


def test_a_ridge_blocks_and_a_valley_clears(flat):
    heights = np.zeros((500, 400))
    heights[:, _col(5) - 1 : _col(5) + 2] = 60.0  # a north-south ridge at x = 5 km
    ridge = _terrain(heights)
    a, b = _xy(0, 10), _xy(10, 10)
    assert fresnel_clearance(ridge, *a, 30.0, *b, 30.0, freq_mhz=7000.0) < 0  # no line of sight
    heights[:, _col(5) - 1 : _col(5) + 2] = 25.0  # the ridge grazes the first Fresnel zone
    low = fresnel_clearance(_terrain(heights), *a, 30.0, *b, 30.0, freq_mhz=7000.0)
    assert 0 < low < 1
    valley = np.full((500, 400), 400.0)
    valley[:, _col(1) : _col(9)] = 0.0  # two 400 m hills with a deep valley between
    clear = fresnel_clearance(_terrain(valley), *a, 10.0, *b, 10.0, freq_mhz=7000.0)
    assert clear >= 1
    many = fresnel_clearances(
        ridge, [a[0], a[0]], a[1], 30.0, b[0], b[1], [30.0, 300.0], freq_mhz=7e3
    )
    assert many[0] < 0 < many[1]  # vectorised over links; a 300 m mast clears the ridge


def test_fresnel_clearance_off_the_dem_is_nan(flat):
    assert np.isnan(fresnel_clearance(flat, *_xy(0, 0), 30, 110.0, 22.3, 30, freq_mhz=7000))


# ----------------------------------------------------------------------------- costs
def test_standalone_fibre_cost_formula(network, pop, flat):
    pts = _points(A=(20, 0.2))
    out = standalone_backhaul(pts, network, pop, flat, fed_sites=EMPTY, costs=NO_SAT)
    row = out.iloc[0]
    assert row["road_km"] == pytest.approx(20.7, rel=2e-3)
    assert row["fibre_km"] == pytest.approx(1.1 * row["road_km"])
    assert row["fibre_usd"] == pytest.approx(500 + 20_000 * 1.1 * row["road_km"])
    assert row["backhaul"] == "fibre" and row["backhaul_usd"] == row["fibre_usd"]
    assert np.isnan(row["mw_usd"]) and pd.isna(row["mw_site_id"])


def test_microwave_when_cheaper_and_clear_else_satellite(network, pop, flat):
    fed = pd.DataFrame({"site_id": ["FAR", "NEAR"], "lon": [_xy(2, 22)[0], _xy(2, 26)[0]]}).assign(
        lat=[_xy(2, 22)[1], _xy(2, 26)[1]], height_m=30.0
    )
    pts = _points(ISLAND=(2, 30.2), TRUNK=(20, 0.2))
    out = standalone_backhaul(pts, network, pop, flat, fed_sites=fed)
    assert list(out["backhaul"]) == ["microwave", "microwave"]
    assert out["mw_site_id"].iloc[0] == "NEAR"  # the shortest clear hop
    assert out["mw_km"].iloc[0] == pytest.approx(4.2, rel=6e-3)  # great circle, R = 6371 km
    assert out["backhaul_usd"].iloc[0] == 40_000 and out["mw_clearance"].iloc[0] >= 1
    assert np.isnan(out["fibre_usd"].iloc[0])  # the island has no road to the fibre
    # a ridge between the island and NEAR: the hop goes to FAR instead
    heights = np.zeros((500, 400))
    heights[_row(28) - 1 : _row(28) + 2, :] = 80.0
    ridge = _terrain(heights)
    out = standalone_backhaul(pts.iloc[:1], network, pop, ridge, fed_sites=fed.iloc[1:])
    assert out["backhaul"].iloc[0] == "satellite" and np.isnan(out["mw_usd"].iloc[0])
    assert out["backhaul_usd"].iloc[0] == PlanCosts().satellite_usd
    heights[_row(28) - 1 : _row(28) + 2, : _col(1.5)] = 0.0  # the ridge ends at x = 1.5 km
    fed.loc[0, ["lon", "lat"]] = _xy(-3, 22)  # the hop crosses y = 28 km at x = 0.7 km
    out = standalone_backhaul(pts.iloc[:1], network, pop, _terrain(heights), fed_sites=fed)
    assert out["mw_site_id"].iloc[0] == "FAR"


def test_fibre_wins_over_microwave_when_cheaper(network, pop, flat):
    fed = pd.DataFrame({"site_id": ["S"], "lon": [_xy(3, 0)[0]], "lat": [_xy(3, 0)[1]]})
    out = standalone_backhaul(_points(A=(1, 0.1)), network, pop, flat, fed_sites=fed)
    assert out["backhaul"].iloc[0] == "fibre"  # 1.6 km of fibre: about USD 35,700
    assert out["mw_site_id"].iloc[0] == "S" and out["mw_usd"].iloc[0] == 40_000


def test_a_site_with_fibre_already_is_existing(network, flat):
    sites = pd.DataFrame({"site_id": ["S1"], "lon": [_xy(5, 0.1)[0]], "lat": [_xy(5, 0.1)[1]]})
    nodes = fibre_nodes(sites.assign(fibre_backhaul=True, height_m=30.0))
    pts = pd.DataFrame({"id": ["S1"], "lon": sites["lon"], "lat": sites["lat"], "height_m": 30.0})
    out = standalone_backhaul(pts, network, nodes, flat, fed_sites=sites)
    assert out["backhaul"].iloc[0] == "existing" and out["backhaul_usd"].iloc[0] == 0


# --------------------------------------------------------------------- joint plans
def test_plan_shares_trenches_along_the_spanning_tree(network, pop, flat):
    chosen = _points(B=(10, 6.1), C=(15, 0.1))
    sites, routes = plan_backhaul(chosen, network, pop, flat, fed_sites=EMPTY, costs=FIBRE_ONLY)
    sites = sites.set_index("id")
    # MST: root-C 15.6 km, C-B 11.2 km (shorter than root-B, 16.6 km)
    assert sites.loc["C", "parent_id"] == "POP" and sites.loc["C", "parent_kind"] == "pop"
    assert sites.loc["B", "parent_id"] == "C" and sites.loc["B", "parent_kind"] == "chosen"
    assert sites.loc["C", "road_km"] == pytest.approx(15.6, rel=3e-3)
    # B's route runs along C's from km 10 to km 15 (and C's leg): paid once, by C
    assert sites.loc["B", "road_km"] == pytest.approx(6.1, rel=3e-3)
    assert sites.loc["B", "shared_km"] == pytest.approx(5.1, rel=3e-3)
    assert sites.loc["B", "usd"] == pytest.approx(500 + 22_000 * sites.loc["B", "road_km"])
    assert sites.loc["B", "fibre_node_id"] == "POP"
    assert set(sites["backhaul"]) == {"fibre"}
    assert routes.crs.to_epsg() == 4326
    assert list(routes.columns) == [
        "route_id", "from_id", "to_id", "backhaul", "km", "usd", "shared_km", "geometry"
    ]  # fmt: skip
    assert routes["usd"].sum() == pytest.approx(sites["usd"].sum())
    # the union of the trenches: PoP leg, trunk to km 15, C's leg, branch, B's leg
    assert sites["road_km"].sum() == pytest.approx(0.5 + 15 + 0.1 + 6 + 0.1, rel=3e-3)
    assert sites["usd"].sum() < sites["standalone_usd"].sum()
    b_route = routes.set_index("from_id").geometry["B"]
    assert GEOD.geometry_length(b_route) / 1000 == pytest.approx(11.2, rel=3e-3)


@pytest.mark.parametrize(
    ("satellite_usd", "expected"),
    [(300_000.0, "fibre"), (100_000.0, "satellite")],
)
def test_plan_keeps_a_relay_only_when_the_tree_is_cheaper(
    network, pop, flat, satellite_usd, expected
):
    # On fibre: C costs USD 343,700 and B (relaying through C) USD 134,700 = 478,400.
    # Satellite 300k: C alone costs more than satellite, but dropping it would cost 600k.
    costs = PlanCosts(satellite_usd=satellite_usd, microwave_link_usd=1e7)
    chosen = _points(B=(10, 6.1), C=(15, 0.1))
    sites, routes = plan_backhaul(chosen, network, pop, flat, fed_sites=EMPTY, costs=costs)
    assert list(sites["backhaul"]) == [expected, expected]
    assert sites["usd"].sum() <= sites["standalone_usd"].sum() + 1e-6
    assert len(routes) == (2 if expected == "fibre" else 0)


def test_plan_microwave_hop_to_a_chosen_fibre_site(network, pop, flat):
    chosen = _points(C=(15, 0.1), ISLAND=(4, 30.2)).assign(height_m=60.0)  # a 32 km hop
    fed = EMPTY
    costs = PlanCosts(microwave_max_km=40.0, satellite_usd=1e6)
    sites, routes = plan_backhaul(chosen, network, pop, flat, fed_sites=fed, costs=costs)
    sites = sites.set_index("id")
    assert sites.loc["ISLAND", "backhaul"] == "microwave"
    assert sites.loc["ISLAND", "parent_id"] == "C" and sites.loc["ISLAND", "fibre_node_id"] == "POP"
    mw = routes[routes["backhaul"] == "microwave"]
    assert len(mw) == 1 and mw["usd"].iloc[0] == 40_000
    assert routes["usd"].sum() == pytest.approx(sites["usd"].sum())


# --------------------------------------------------------------------------- rollout
def test_fibre_rollout_ranks_cheapest_per_person_first(network, pop):
    rows = [
        ("V1", "white", 100.0, (20, 0.2)),
        ("V2", "low_signal", 1000.0, (15, 0.1)),
        ("V3", "covered", 5000.0, (1, 0.1)),
        ("V4", "white", np.nan, (5, 0.1)),
        ("V5", "white", 50.0, (2, 30.2)),
    ]
    villages = gpd.GeoDataFrame(
        {
            "village_id": [r[0] for r in rows],
            "name": [f"Bản {r[0]}" for r in rows],
            "commune": "Xã A",
            "district": "Huyện B",
            "coverage_class": [r[1] for r in rows],
            "population": [r[2] for r in rows],
            "households": [r[2] / 5 for r in rows],
        },
        geometry=[shapely.Point(_xy(*r[3])) for r in rows],
        crs=4326,
    )
    out = fibre_rollout(villages, network, pop)
    assert list(out["village_id"]) == ["V2", "V1", "V4", "V5"]  # V3 is covered
    assert list(out["rank"]) == [1, 2, 3, 4]
    first = out.iloc[0]
    assert first["fibre_usd"] == pytest.approx(500 + 22_000 * 15.6, rel=3e-3)
    assert first["usd_per_person"] == pytest.approx(first["fibre_usd"] / 1000)
    assert first["usd_per_household"] == pytest.approx(first["fibre_usd"] / 200)
    assert not out["reachable"].iloc[3] and np.isnan(out["fibre_usd"].iloc[3])
    only_white = fibre_rollout(villages, network, pop, classes=("white",))
    assert list(only_white["village_id"]) == ["V1", "V4", "V5"]


# ------------------------------------------------------------------------ fibre nodes
def test_read_fibre_nodes_csv_and_generated_ids(tmp_path):
    path = tmp_path / "pops.csv"
    path.write_text("Mã POP,Kinh độ,Vĩ độ,owner\nP1,103.40,22.30,VNPT\nP2,103.5,22.4,Viettel\n")
    nodes = read_fibre_nodes(path)
    assert list(nodes["node_id"]) == ["P1", "P2"]
    assert list(nodes["kind"]) == ["pop", "pop"] and nodes.crs.to_epsg() == 4326
    assert nodes["lon"].tolist() == [103.4, 103.5] and nodes["owner"].tolist()[1] == "Viettel"
    path.write_text("lon,lat\n103.40,22.30\n103.5,22.4\n")
    assert list(read_fibre_nodes(path)["node_id"]) == ["POP-1", "POP-2"]


def test_read_fibre_nodes_geojson_points(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["Tam Đường"]}, geometry=[shapely.Point(103.5, 22.35)], crs=4326
    )
    gdf.to_crs(32648).to_file(tmp_path / "pops.geojson")
    nodes = read_fibre_nodes(tmp_path / "pops.geojson")
    assert nodes["node_id"].iloc[0] == "Tam Đường"
    assert nodes["lon"].iloc[0] == pytest.approx(103.5) and nodes["lat"].iloc[0] == pytest.approx(
        22.35
    )


def test_read_fibre_nodes_reports_every_problem(tmp_path):
    path = tmp_path / "pops.csv"
    path.write_text("id,lon,lat\nP1,103.4,22.3\nP1,103.5,22.4\nP3,103.5,\nP4,22.4,103.5\n")
    with pytest.raises(ValidationError) as info:
        read_fibre_nodes(path)
    found = {(p.row, p.column) for p in info.value.problems if p.severity == "error"}
    assert {(3, "id"), (4, "lon"), (5, "lon")} <= found
    assert "look swapped" in str(info.value)
    path.write_text("id,lon,lat\n")
    with pytest.raises(ValidationError, match="no fibre nodes"):
        read_fibre_nodes(path)


def test_fibre_nodes_from_fed_sites_and_pops():
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S1", "S2", "S3"],
            "height_m": [30.0, 40.0, 25.0, 30.0],
            "fibre_backhaul": pd.array([True, True, False, pd.NA], dtype="boolean"),
        },
        geometry=[shapely.Point(103.4, 22.3)] * 2 + [shapely.Point(103.5, 22.4)] * 2,
        crs=4326,
    )
    nodes = fibre_nodes(sites, _nodes(POP=(0, 0)))
    assert list(nodes["node_id"]) == ["S1", "POP"]
    assert list(nodes["kind"]) == ["site", "pop"]
    assert nodes["height_m"].iloc[0] == 40.0 and nodes["site_id"].iloc[0] == "S1"
    with pytest.raises(InputError, match="no fibre node: mark sites fibre_backhaul=yes"):
        fibre_nodes(sites.iloc[2:])
    with pytest.raises(InputError, match="also site ids"):
        fibre_nodes(sites, _nodes(S1=(0, 0)))


# ------------------------------------------------------------------------ sample data
@pytest.fixture(scope="module")
def sample() -> dict:
    from covgap.io.readers import read_dem, read_sites, read_villages
    from covgap.plan.roads import read_roads

    if not (DATA / "roads" / "laichau_synthetic_roads.gpkg").exists():
        pytest.skip("no bundled sample data")
    sites = read_sites(DATA / "bts_sites" / "sites.csv")
    started = time.perf_counter()
    network = RoadNetwork.from_roads(read_roads(DATA / "roads" / "laichau_synthetic_roads.gpkg"))
    print(f"\nroad network: {len(network.lon)} nodes in {time.perf_counter() - started:.2f} s")
    return {
        "sites": sites,
        "villages": read_villages(DATA / "villages" / "villages.csv"),
        "terrain": read_dem([DATA / "dem" / "laichau_synthetic_dem.tif"]),
        "network": network,
        "nodes": fibre_nodes(sites),
        "fed": sites[sites["fibre_backhaul"].fillna(False).to_numpy(bool)],
    }


def test_sample_every_village_reaches_the_fibre(sample):
    v = sample["villages"]
    nf = sample["network"].nearest_fibre(v.geometry.x, v.geometry.y, sample["nodes"])
    assert len(sample["nodes"]) == 515
    assert nf["reachable"].all()
    assert 0.5 < nf["road_km"].median() < 15 and nf["road_km"].max() < 60
    assert (nf["leg_km"] < 5).all()
    km = nf["road_km"]
    print(f"village road km to fibre: median {km.median():.2f}, max {km.max():.1f}")


def test_sample_standalone_and_plan_are_sane(sample):
    v = sample["villages"]
    rng = np.random.default_rng(3)
    k = rng.choice(len(v), 600, replace=False)
    pts = pd.DataFrame(
        {
            "id": [f"N{i}" for i in range(600)],
            "lon": v.geometry.x.to_numpy()[k] + 0.003,
            "lat": v.geometry.y.to_numpy()[k],
            "height_m": 30.0,
        }
    )
    args = (sample["network"], sample["nodes"], sample["terrain"])
    started = time.perf_counter()
    alone = standalone_backhaul(pts, *args, fed_sites=sample["fed"])
    seconds = time.perf_counter() - started
    mix = alone["backhaul"].value_counts().to_dict()
    print(f"standalone_backhaul, 600 points: {seconds:.2f} s; {mix}")
    assert set(mix) <= {"fibre", "microwave", "satellite"}
    assert alone["fibre_usd"].notna().all()
    assert (alone["backhaul_usd"] <= PlanCosts().satellite_usd).all()
    assert (alone.loc[alone["mw_usd"].notna(), "mw_km"] <= 30).all()
    assert (alone["mw_clearance"].dropna() >= 1).all()
    started = time.perf_counter()
    sites, routes = plan_backhaul(pts.iloc[:80], *args, fed_sites=sample["fed"])
    seconds = time.perf_counter() - started
    print(f"plan_backhaul, 80 sites: {seconds:.2f} s; {sites['backhaul'].value_counts().to_dict()}")
    paid = sites["backhaul"].isin(["fibre", "microwave"])
    assert routes["usd"].sum() == pytest.approx(sites.loc[paid, "usd"].sum())
    assert sites["usd"].sum() <= sites["standalone_usd"].sum() + 1e-6
    assert routes.geometry.is_valid.all() and routes.crs.to_epsg() == 4326
