"""Shared fixtures: a tiny scenario (DEM with one ridge, six villages, two sites).

The geometry is chosen so the right answer is known without a model run: villages in
the open valley next to the tower are covered, the village behind the 900 m ridge is
shadowed, and the far village is out of range of every 4G sector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

#: Tiny DEM: lon 103.00-103.30, lat 22.00-22.20 at 3 arc-seconds.
CELL = 1 / 1200
WEST, NORTH, COLS, ROWS = 103.0, 22.2, 360, 240
RIDGE_LON = 103.15


def tiny_dem_array() -> np.ndarray:
    lon = WEST + (np.arange(COLS) + 0.5) * CELL
    lat = NORTH - (np.arange(ROWS) + 0.5) * CELL
    lon2, _ = np.meshgrid(lon, lat)
    heights = 300.0 + 900.0 * np.exp(-(((lon2 - RIDGE_LON) / 0.004) ** 2))  # N-S ridge, 1,200 m
    heights[:5, :5] = -32768  # a nodata corner, never a height
    return heights.astype(np.int16)


def write_tiny_scenario(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    dem = folder / "dem.tif"
    profile = {
        "driver": "GTiff",
        "width": COLS,
        "height": ROWS,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": Affine(CELL, 0.0, WEST, 0.0, -CELL, NORTH),
        "nodata": -32768,
    }
    with rasterio.open(dem, "w", **profile) as dst:
        dst.write(tiny_dem_array(), 1)
    villages = pd.DataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4", "V5", "V6"],
            "Tên thôn/bản": [
                "Bản Nậm Cuổi",
                "Thôn Phìn Hồ",
                "Bản Sau Núi",
                "Bản Huổi Lếch",
                "Bản Pắc Ma",
                "Thôn Lùng Thàng",
            ],
            "Xã": ["Xã Nậm Tăm"] * 3 + ["Xã Pa Khóa"] * 3,
            "Huyện": ["Sìn Hồ"] * 6,
            "Số hộ": [120, 45, 60, 80, 30, 75],
            "Nhân khẩu": [600, 230, 310, 400, 140, 380],
            "Điện lưới": ["có", "có", "có", "không", "có", "có"],
            "lon": [103.05, 103.08, 103.25, 103.03, 103.10, 103.12],
            "lat": [22.10, 22.05, 22.10, 22.15, 22.02, 22.17],
        }
    )
    villages.to_csv(folder / "villages.csv", index=False, encoding="utf-8")
    rows = []
    for carrier, site, lon, lat, techs in (
        ("Viettel", "VT001", 103.06, 22.10, ("2G", "4G")),
        ("VNPT", "VN001", 103.09, 22.14, ("2G",)),
    ):
        for tech in techs:
            for i, az in enumerate((0, 120, 240)):
                rows.append(
                    {
                        "site_id": site,
                        "sector_id": f"{tech}-{i + 1}",
                        "carrier": carrier,
                        "lon": lon,
                        "lat": lat,
                        "height_m": 30,
                        "technology": tech,
                        "freq_mhz": 900 if tech == "2G" else 1800,
                        "azimuth_deg": az,
                        "tilt_deg": 2,
                        "power_dbm": 43 if tech == "2G" else 46,
                        "gain_dbi": 17,
                        "beamwidth_deg": 65,
                        "fibre_backhaul": "yes",
                    }
                )
    pd.DataFrame(rows).to_csv(folder / "sites.csv", index=False, encoding="utf-8")
    roads = folder / "roads.gpkg"
    write_tiny_roads(roads)
    return {
        "villages": folder / "villages.csv",
        "sites": folder / "sites.csv",
        "dem": dem,
        "roads": roads,
    }


def write_tiny_roads(path: Path) -> Path:
    """Roads of the tiny scenario: a valley road E-W over the ridge pass and two N-S roads."""
    import geopandas as gpd
    from shapely.geometry import LineString

    lines = [
        LineString([(103.02, 22.10), (103.06, 22.10), (103.15, 22.11), (103.27, 22.10)]),
        LineString([(103.06, 22.10), (103.06, 22.03), (103.10, 22.02)]),
        LineString([(103.06, 22.10), (103.08, 22.14), (103.12, 22.17)]),
        LineString([(103.15, 22.11), (103.15, 22.16)]),  # a track up the ridge
    ]
    gdf = gpd.GeoDataFrame(
        {"road_id": ["R1", "R2", "R3", "R4"],
         "road_class": ["provincial", "commune", "commune", "track"]},
        geometry=lines, crs="EPSG:4326",
    )  # fmt: skip
    gdf.to_file(path, layer="roads", driver="GPKG")
    return path


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> dict[str, Path]:
    """Paths of a tiny scenario written to a temporary folder."""
    return write_tiny_scenario(tmp_path / "tiny")
