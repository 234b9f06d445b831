"""White and low-signal zones: polygons, areas, slivers, villages and people inside."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from affine import Affine
from pyproj import CRS, Geod
from shapely.geometry import Point, box

from covgap.analysis.zones import MIN_ZONE_AREA_KM2, write_zones, zone_polygons, zone_statistics
from covgap.errors import InputError
from covgap.radio.rasters import CLASS_CODES, Grid

W, L, C = CLASS_CODES["white"], CLASS_CODES["low_signal"], CLASS_CODES["covered"]
UTM = CRS.from_epsg(32648)
#: 100 m cells in UTM 48N, 200 x 300 cells, top-left corner at E 500 000, N 2 480 000
UTM_GRID = Grid(Affine(100.0, 0.0, 500_000.0, 0.0, -100.0, 2_480_000.0), UTM, (200, 300))
CELL = 1 / 1200
GEO_GRID = Grid(Affine(CELL, 0.0, 103.0, 0.0, -CELL, 22.2), CRS.from_epsg(4326), (240, 360))


def _classes(grid: Grid) -> np.ndarray:
    classes = np.full(grid.shape, C, dtype=np.uint8)
    classes[20:40, 30:60] = W  # 20 x 30 cells
    classes[100:150, 100:120] = L  # 50 x 20 cells
    classes[180:182, 5] = W  # a 2-cell sliver
    return classes


def test_white_rectangle_becomes_a_polygon_of_the_right_area_projected():
    zones = zone_polygons(_classes(UTM_GRID), UTM_GRID)
    assert zones.crs == "EPSG:4326"
    white = zones[zones["zone_class"] == "white"]
    low = zones[zones["zone_class"] == "low_signal"]
    assert len(white) == 1 and len(low) == 1  # the sliver is gone
    assert white["area_km2"].iloc[0] == pytest.approx(20 * 30 * 0.01)
    assert low["area_km2"].iloc[0] == pytest.approx(50 * 20 * 0.01)
    assert white["cells"].iloc[0] == 600 and white["zone_id"].iloc[0] == "W0001"
    # the polygon sits where the cells are
    back = white.to_crs(UTM).geometry.iloc[0]
    assert back.symmetric_difference(box(503_000, 2_476_000, 506_000, 2_478_000)).area < 1.0


def test_geographic_grid_areas_are_geodesic():
    zones = zone_polygons(_classes(GEO_GRID), GEO_GRID)
    white = zones[zones["zone_class"] == "white"].iloc[0]
    west, north = 103.0 + 30 * CELL, 22.2 - 20 * CELL
    rect = box(west, north - 20 * CELL, west + 30 * CELL, north)
    expected = abs(Geod(ellps="WGS84").geometry_area_perimeter(rect)[0]) / 1e6
    assert white["area_km2"] == pytest.approx(expected, rel=1e-9)
    assert white["area_km2"] == pytest.approx(600 * 0.0858 * 0.0926, rel=0.01)


def test_slivers_below_the_minimum_area_are_removed():
    assert MIN_ZONE_AREA_KM2 == 0.1
    kept_all = zone_polygons(_classes(UTM_GRID), UTM_GRID, min_area_km2=0)
    assert sorted(kept_all["cells"]) == [2, 600, 1000]
    bigger = zone_polygons(_classes(UTM_GRID), UTM_GRID, min_area_km2=7.0)
    assert list(bigger["zone_class"]) == ["low_signal"]
    with pytest.raises(InputError, match="min_area_km2"):
        zone_polygons(_classes(UTM_GRID), UTM_GRID, min_area_km2=-1)
    with pytest.raises(InputError, match="does not match"):
        zone_polygons(np.zeros((3, 3), np.uint8), UTM_GRID)


def test_no_zone_gives_an_empty_layer(tmp_path: Path):
    zones = zone_polygons(np.full(UTM_GRID.shape, C, np.uint8), UTM_GRID)
    assert len(zones) == 0
    pieces, summary = zone_statistics(zones, None)
    assert len(pieces) == 0 and len(summary) == 0
    path = write_zones(pieces, tmp_path / "zones.gpkg", summary=summary)
    assert len(gpd.read_file(path, layer="zones")) == 0


@pytest.fixture
def admin_and_villages():
    """Two communes split the white rectangle in the middle; villages in and out."""
    west = box(490_000, 2_460_000, 504_500, 2_490_000)  # the white zone spans 503-506 km E
    east = box(504_500, 2_460_000, 540_000, 2_490_000)
    communes = gpd.GeoDataFrame(
        {"commune": ["Xã Tây", "Xã Đông"], "district": ["Huyện A", "Huyện A"]},
        geometry=[west, east],
        crs=UTM,
    ).to_crs("EPSG:4326")
    points = [
        Point(503_500, 2_477_000),  # white, west commune
        Point(505_500, 2_477_500),  # white, east commune
        Point(505_900, 2_476_100),  # white, east commune
        Point(511_000, 2_467_000),  # low signal (cols 100-120, rows 100-150)
        Point(520_000, 2_470_000),  # covered
    ]
    villages = gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4", "V5"],
            "households": [10.0, 20.0, np.nan, 40.0, 50.0],
            "population": [50.0, 100.0, 15.0, 200.0, 250.0],
        },
        geometry=gpd.GeoSeries(points, crs=UTM).to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )
    return communes, villages


def test_villages_households_and_people_per_zone_and_commune(admin_and_villages, tmp_path):
    communes, villages = admin_and_villages
    zones = zone_polygons(_classes(UTM_GRID), UTM_GRID)
    pieces, summary = zone_statistics(zones, villages, communes=communes)
    white = pieces[pieces["zone_class"] == "white"].set_index("commune")
    assert set(white.index) == {"Xã Tây", "Xã Đông"}
    assert white.loc["Xã Tây", "area_km2"] == pytest.approx(1.5 * 2.0, rel=1e-3)
    assert white.loc["Xã Đông", "area_km2"] == pytest.approx(1.5 * 2.0, rel=1e-3)
    assert white["zone_area_km2"].tolist() == pytest.approx([6.0, 6.0], rel=1e-3)
    assert white.loc["Xã Tây", "villages"] == 1 and white.loc["Xã Tây", "village_ids"] == "V1"
    assert white.loc["Xã Đông", "villages"] == 2
    assert white.loc["Xã Đông", "village_ids"] == "V2 V3"
    assert white.loc["Xã Đông", "households"] == 20.0  # unknown households are not zeros
    assert white.loc["Xã Đông", "population"] == 115.0
    low = pieces[pieces["zone_class"] == "low_signal"]
    assert low["villages"].tolist() == [1] and low["population"].tolist() == [200.0]
    by = summary.set_index(["commune", "zone_class"])
    assert by.loc[("Xã Đông", "white"), "villages"] == 2
    assert by.loc[("Xã Đông", "white"), "zones"] == 1
    assert summary["area_km2"].sum() == pytest.approx(6.0 + 10.0, rel=1e-3)

    path = write_zones(pieces, tmp_path / "out" / "zones.gpkg", summary=summary)
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"zones", "zones_by_commune"}
    back = gpd.read_file(path, layer="zones")
    assert len(back) == len(pieces) and back.crs == "EPSG:4326"
    table = pyogrio.read_dataframe(path, layer="zones_by_commune")
    assert isinstance(table, pd.DataFrame) and len(table) == len(summary)
    assert [p.name for p in path.parent.iterdir()] == ["zones.gpkg"]  # no temp file left


def test_zones_are_clipped_to_the_admin_area(admin_and_villages):
    """Only the west commune is the study area: the zone's part beyond it is dropped and
    the zone's area is the part inside (the rest of the DEM is a neighbouring province)."""
    communes, villages = admin_and_villages
    zones = zone_polygons(_classes(UTM_GRID), UTM_GRID)
    pieces, _ = zone_statistics(zones, villages, communes=communes.iloc[:1])
    assert set(pieces["commune"]) == {"Xã Tây"}
    white = pieces[pieces["zone_class"] == "white"]
    assert white["zone_area_km2"].tolist() == pytest.approx([1.5 * 2.0], rel=1e-3)
    assert white["village_ids"].tolist() == ["V1"]


def test_zones_without_admin_layers_are_whole(admin_and_villages):
    _, villages = admin_and_villages
    zones = zone_polygons(_classes(UTM_GRID), UTM_GRID)
    pieces, summary = zone_statistics(zones, villages)
    assert len(pieces) == 2 and pieces["commune"].isna().all()
    assert pieces.set_index("zone_id").loc["W0001", "villages"] == 3
    assert summary["villages"].sum() == 4
