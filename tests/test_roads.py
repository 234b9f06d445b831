"""Tests of covgap.plan.roads: reading road lines, the road graph and snapping points to roads."""

from __future__ import annotations

import warnings
import zipfile

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from covgap.errors import DataFileError, ValidationError
from covgap.plan.roads import HIGHWAY_CLASSES, read_roads, road_graph, snap_to_roads

GEOD = Geod(ellps="WGS84")
KM_LON = 111.32 * np.cos(np.radians(22.3))  # km per degree of longitude near Lai Châu
KM_LAT = 110.75


def _xy(x_km: float, y_km: float) -> tuple[float, float]:
    """Lon/lat of a point x km east and y km north of (103.4, 22.3)."""
    return 103.4 + x_km / KM_LON, 22.3 + y_km / KM_LAT


@pytest.fixture
def network() -> gpd.GeoDataFrame:
    """A 'T' and a spur: a 10 km west-east trunk, a 3 km road north from its middle (its
    end is not a vertex of the trunk) and a 1 km track east of the trunk's east end."""
    lines = [
        shapely.LineString([_xy(0, 0), _xy(4, 0), _xy(10, 0)]),
        shapely.LineString([_xy(5, 3), _xy(5, 0.001)]),  # ends 1 m from the trunk
        shapely.LineString([_xy(10, 0), _xy(11, 0)]),
    ]
    return gpd.GeoDataFrame(
        {
            "road_id": ["a", "b", "c"],
            "name": ["QL 4D", "ĐT 128", "đường mòn"],
            "highway": ["trunk", "secondary", "track"],
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def test_highway_tags_map_to_classes():
    assert HIGHWAY_CLASSES["motorway"] == HIGHWAY_CLASSES["primary"] == "national"
    assert HIGHWAY_CLASSES["secondary"] == "provincial"
    assert HIGHWAY_CLASSES["unclassified"] == HIGHWAY_CLASSES["residential"] == "commune"
    assert HIGHWAY_CLASSES["path"] == "track"


@pytest.mark.parametrize("kind", ["gpkg", "geojson", "shp.zip"])
def test_read_roads_formats(network, tmp_path, kind):
    if kind == "shp.zip":
        folder = tmp_path / "shp"
        folder.mkdir()
        network.to_crs("EPSG:32648").to_file(folder / "roads.shp", engine="pyogrio")
        path = tmp_path / "roads.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(folder.iterdir()):
                zf.write(part, part.name)
    else:
        path = tmp_path / f"roads.{kind}"
        network.to_file(path)
    roads = read_roads(path)
    assert roads.crs.to_epsg() == 4326
    assert list(roads["road_id"]) == ["a", "b", "c"]
    assert list(roads["road_class"]) == ["national", "provincial", "track"]
    assert roads["name"].iloc[2] == "đường mòn"
    np.testing.assert_allclose(roads["length_km"], [10, 2.999, 1], rtol=3e-3)


def test_road_class_column_wins_over_highway(network, tmp_path):
    network["road_class"] = ["provincial", "", None]
    network["highway"] = ["trunk", "tertiary", "footway"]
    network.to_file(tmp_path / "r.gpkg")
    roads = read_roads(tmp_path / "r.gpkg")
    assert roads["road_class"].iloc[0] == "provincial"
    assert roads["road_class"].iloc[1] == "commune"
    assert pd.isna(roads["road_class"].iloc[2])  # footway: no class (a warning)


def test_layer_of_lines_is_chosen(network, tmp_path):
    path = tmp_path / "two.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(_xy(0, 0))], crs=4326).to_file(
        path, layer="nodes"
    )
    network.to_file(path, layer="roads")
    assert len(read_roads(path)) == 3
    with pytest.raises(ValidationError, match="not a line"):
        read_roads(path, layer="nodes")


def test_every_problem_is_reported(tmp_path):
    frame = gpd.GeoDataFrame(
        {"road_class": ["national", "highway", "track", "track"]},
        geometry=[
            shapely.LineString([(500000, 2450000), (501000, 2450000)]),
            shapely.LineString([(500000, 2450000), (500000, 2451000)]),
            shapely.Point(500000, 2450000),
            shapely.LineString([(500000, 2450000), (500000, 2450000)]),  # one point twice
        ],
        crs=None,
    )
    with warnings.catch_warnings():  # a layer without a CRS
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(ValidationError) as err:
        read_roads(tmp_path / "bad.gpkg")
    problems = err.value.problems
    text = str(err.value)
    assert "no CRS" in text and "not degrees" in text
    assert "unknown road class 'highway'" in text
    assert "Point, not a line" in text
    assert "invalid line" in text
    assert sorted(p.row for p in problems if p.row) == [3, 4, 5]


def test_empty_and_missing_files(tmp_path):
    empty = gpd.GeoDataFrame({"highway": []}, geometry=[], crs=4326)
    empty.to_file(tmp_path / "empty.gpkg", layer="roads")
    with pytest.raises(ValidationError, match="no road features"):
        read_roads(tmp_path / "empty.gpkg")
    with pytest.raises(DataFileError, match="not found"):
        read_roads(tmp_path / "nothing.gpkg")
    (tmp_path / "junk.geojson").write_text("not json", encoding="utf-8")
    with pytest.raises(DataFileError):
        read_roads(tmp_path / "junk.geojson")


def test_road_graph_is_connected_with_km_weights(network, tmp_path):
    network.to_file(tmp_path / "r.gpkg")
    graph = road_graph(read_roads(tmp_path / "r.gpkg"))
    assert nx.is_connected(graph)
    # trunk vertices 3 + inserted T-junction 1 + spur top 1 + track end 1
    assert graph.number_of_nodes() == 6
    assert graph.number_of_edges() == 5
    total = sum(w for *_, w in graph.edges(data="weight"))
    assert total == pytest.approx(10 + 3 + 1, rel=3e-3)

    def at(x, y):
        lon, lat = _xy(x, y)
        return min(
            graph, key=lambda n: np.hypot(graph.nodes[n]["lon"] - lon, graph.nodes[n]["lat"] - lat)
        )

    km = nx.shortest_path_length(graph, at(5, 3), at(11, 0), weight="weight")
    assert km == pytest.approx(3 + 5 + 1, rel=3e-3)
    classes = {d["road_class"] for *_, d in graph.edges(data=True)}
    assert classes == {"national", "provincial", "track"}


def test_road_graph_snaps_near_vertices():
    lines = [
        shapely.LineString([_xy(0, 0), _xy(1, 0)]),
        shapely.LineString([_xy(1.002, 0), _xy(2, 0)]),  # 2 m gap: joined
        shapely.LineString([_xy(2.05, 0), _xy(3, 0)]),  # 50 m gap: not joined
    ]
    roads = gpd.GeoDataFrame({"road_id": ["x", "y", "z"]}, geometry=lines, crs=4326)
    graph = road_graph(roads)
    assert nx.number_connected_components(graph) == 2
    assert nx.number_connected_components(road_graph(roads, tolerance_m=60)) == 1


def test_snap_to_roads(network):
    lonlat = [_xy(2, 0.5), _xy(5.2, 2), _xy(12, 0)]
    points = pd.DataFrame({"lon": [p[0] for p in lonlat], "lat": [p[1] for p in lonlat]})
    points.index = ["v1", "v2", "v3"]
    out = snap_to_roads(points, network)
    assert list(out.index) == ["v1", "v2", "v3"]
    assert list(out["road_id"]) == ["a", "b", "c"]
    np.testing.assert_allclose(out["dist_km"], [0.5, 0.2, 1.0], rtol=5e-3)
    assert out["road_lon"].iloc[0] == pytest.approx(_xy(2, 0)[0], abs=1e-5)
    assert out["road_lat"].iloc[0] == pytest.approx(22.3, abs=1e-5)
    gdf = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=4326
    ).to_crs("EPSG:32648")
    np.testing.assert_allclose(snap_to_roads(gdf, network)["dist_km"], out["dist_km"], rtol=1e-6)
