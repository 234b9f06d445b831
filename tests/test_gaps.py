import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from covgap.analysis.classify import (
    add_district,
    classify_points,
    classify_villages,
    summarise,
    village_points,
)
from covgap.config import Radio


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4", "V5"],
            "name": ["Bản Nậm Cuổi", "Thôn Phìn Hồ", "Bản Huổi Lếch", "Bản Pắc Ma", "Bản Xa"],
            "commune": ["Xã A", "Xã A", "Xã B", "Xã B", None],
            "district": ["Sìn Hồ", "Sìn Hồ", "Mường Tè", "Mường Tè", None],
            "households": [100.0, 50.0, 30.0, 80.0, 10.0],
            "population": [500.0, 250.0, 150.0, 400.0, 50.0],
            "cluster_1_lon": [np.nan, 103.01, np.nan, np.nan, np.nan],
            "cluster_1_lat": [np.nan, 22.01, np.nan, np.nan, np.nan],
        },
        geometry=[
            Point(103.0, 22.0),
            Point(103.0, 22.02),
            Point(102.5, 22.5),
            Point(102.6, 22.5),
            Point(103.5, 21.9),
        ],
        crs="EPSG:4326",
    )


def _server(pid, carrier, tech, sig, site="S1", los=True, obst=np.nan, obst_d=np.nan):
    return {
        "point_id": pid,
        "carrier": carrier,
        "technology": tech,
        "signal_dbm": sig,
        "site_id": site,
        "sector_id": "1",
        "freq_mhz": 1800,
        "dist_km": 3.5,
        "path_loss_db": 120.0,
        "diffraction_loss_db": 0.0,
        "pattern_loss_db": 0.0,
        "los": los,
        "obstacle_lon": np.nan,
        "obstacle_lat": np.nan,
        "obstacle_height_m": obst,
        "obstacle_dist_km": obst_d,
        "n_sectors": 3,
    }


@pytest.fixture
def servers() -> pd.DataFrame:
    # points: 0..4 centres of V1..V5, 5 = cluster of V2
    rows = [
        _server(0, "Viettel", "4G", -90.0),
        _server(0, "VNPT", "4G", -110.0, site="N1"),
        _server(1, "Viettel", "4G", -100.0),
        _server(5, "Viettel", "4G", -108.0),
        _server(2, "MobiFone", "4G", -112.0, site="M7", los=False, obst=1450.0, obst_d=3.2),
        _server(2, "Viettel", "2G", -95.0, site="S9"),
        _server(3, "Viettel", "2G", -90.0, site="S9"),
        _server(3, "Viettel", "4G", -130.0, site="S9", los=False, obst=1800.0, obst_d=1.0),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def nearest() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point_id": [0, 1, 2, 3, 4, 5],
            "site_id": ["S1"] * 6,
            "carrier": ["Viettel"] * 6,
            "dist_km": [1.0, 2.0, 9.0, 8.0, 40.0, 2.5],
        }
    )


def test_village_points_lists_centres_then_clusters(villages):
    pts = village_points(villages)
    assert list(pts["point_id"]) == list(range(6))
    assert list(pts["role"]) == ["centre"] * 5 + ["cluster_1"]
    assert pts.loc[5, "village_id"] == "V2"
    assert pts.loc[5, ["lon", "lat"]].tolist() == [103.01, 22.01]


def test_classify_points_thresholds_and_margin():
    got = classify_points(np.array([-90, -105, -105.01, -115, -115.01, np.nan]))
    assert list(got) == ["covered", "covered", "low_signal", "low_signal", "white", "white"]
    # 90 % location probability with sigma 8 dB needs ~10.3 dB more
    got90 = classify_points(np.array([-95.0, -94.0]), radio=Radio(location_probability=0.9))
    assert list(got90) == ["low_signal", "covered"]


def test_classify_villages(villages, servers, nearest):
    pts = village_points(villages)
    out = classify_villages(villages, pts, servers, nearest)
    by = out.set_index("village_id")
    assert by.loc["V1", "coverage_class"] == "covered"
    assert by.loc["V1", "rsrp_dbm"] == -90.0 and by.loc["V1", "best_carrier"] == "Viettel"
    assert by.loc["V1", "rsrp_vnpt_dbm"] == -110.0 and by.loc["V1", "class_vnpt"] == "low_signal"
    assert by.loc["V1", "class_mobifone"] == "white" and np.isnan(by.loc["V1", "rsrp_mobifone_dbm"])
    # centre covered but its cluster is not -> low signal, and says why
    assert by.loc["V2", "coverage_class"] == "low_signal"
    assert by.loc["V2", "min_cluster_rsrp_dbm"] == -108.0
    assert "cluster" in by.loc["V2", "reason"]
    # blocked by a ridge
    assert by.loc["V3", "coverage_class"] == "low_signal"
    assert by.loc["V3", "reason"].startswith("blocked by a ridge 1,450 m high 3.2 km")
    assert "1.450 m" in by.loc["V3", "reason_vi"] and "3,2 km" in by.loc["V3", "reason_vi"]
    assert by.loc["V3", "services"] == "2G 4G"
    # only 2G
    assert by.loc["V4", "coverage_class"] == "white"
    assert by.loc["V4", "services"] == "2G" and by.loc["V4", "reason"].endswith("only 2G")
    # nothing in range
    assert by.loc["V5", "coverage_class"] == "white"
    assert by.loc["V5", "reason"] == "no 4G site within 35 km"
    assert by.loc["V5", "nearest_site_km"] == 40.0
    assert by.loc["V1", "reason"] == ""


def test_summary_counts_and_total(villages, servers, nearest):
    out = classify_villages(villages, village_points(villages), servers, nearest)
    summary = summarise(out).set_index("district")
    assert summary.loc["Sìn Hồ", "villages"] == 2
    assert summary.loc["Sìn Hồ", "villages_covered"] == 1
    assert summary.loc["Mường Tè", "households_white"] == 80
    assert summary.loc["Total", "villages"] == 5
    assert summary.loc["Total", "population_covered"] == 500
    assert summary.loc["Total", "pct_villages_covered"] == 20.0
    assert summary.loc["Total", "villages_covered_viettel"] == 1
    assert (
        summary["villages_covered"] + summary["villages_low_signal"] + summary["villages_white"]
        == summary["villages"]
    ).all()


def test_add_district_fills_only_missing(villages):
    districts = gpd.GeoDataFrame(
        {"district": ["Than Uyên", "Elsewhere"]},
        geometry=[box(103.4, 21.8, 103.6, 22.0), box(102, 22, 103.2, 23)],
        crs="EPSG:4326",
    ).to_crs("EPSG:32648")
    out = add_district(villages, districts)
    assert out.loc[4, "district"] == "Than Uyên"
    assert out.loc[0, "district"] == "Sìn Hồ"  # kept
