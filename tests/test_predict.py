import math

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS

from covgap.config import Radio
from covgap.errors import InputError
from covgap.io.terrain import Terrain, distance_km
from covgap.radio.point import SERVER_COLUMNS, best_servers, nearest_sites, predict_link
from covgap.radio.propagation import antenna_pattern_db, signal_dbm

RES = 1 / 1200  # 3 arc-seconds
LEFT, TOP = 103.0, 22.3
ROWS, COLS = 240, 360  # 0.2 x 0.3 degrees


def make_terrain(heights):
    return Terrain(
        heights.astype("float32"), Affine(RES, 0, LEFT, 0, -RES, TOP), CRS.from_epsg(4326)
    )


@pytest.fixture(scope="module")
def flat():
    return make_terrain(np.full((ROWS, COLS), 400.0))


@pytest.fixture(scope="module")
def ridge():
    """Flat valley at 400 m with a north-south ridge 600 m high at lon 103.15."""
    heights = np.full((ROWS, COLS), 400.0)
    col = int((103.15 - LEFT) / RES)
    heights[:, col - 1 : col + 2] = 1000.0
    return make_terrain(heights)


def three_sectors(site_id, lon, lat, *, carrier="Viettel", technology="4G", freq=1800, height=30.0):
    return pd.DataFrame(
        {
            "site_id": site_id,
            "sector_id": ["1", "2", "3"],
            "carrier": carrier,
            "technology": technology,
            "freq_mhz": freq,
            "height_m": height,
            "lon": lon,
            "lat": lat,
            "azimuth_deg": [0.0, 120.0, 240.0],
            "tilt_deg": 3.0,
            "power_dbm": 46.0 if technology == "4G" else 43.0,
            "gain_dbi": 18.0,
            "beamwidth_deg": 65.0,
        }
    )


def points(*lonlat):
    lon, lat = zip(*lonlat, strict=True)
    return pd.DataFrame({"point_id": np.arange(len(lon)) + 100, "lon": lon, "lat": lat})


def test_columns_and_strongest_sector(flat):
    sites = pd.concat(
        [
            three_sectors("A", 103.10, 22.15),
            three_sectors("A", 103.10, 22.15, technology="2G", freq=900),
        ]
    )
    pts = points((103.10, 22.161), (103.108, 22.143))  # 1.2 km north of A; 1.1 km south-east
    out = best_servers(pts, sites, flat)
    assert list(out.columns) == list(SERVER_COLUMNS)
    assert len(out) == 4 and set(out["technology"]) == {"2G", "4G"}
    north = out[(out.point_id == 100) & (out.technology == "4G")].iloc[0]
    assert north.sector_id == "1" and north.n_sectors == 3
    south_east = out[(out.point_id == 101) & (out.technology == "4G")].iloc[0]
    assert south_east.sector_id == "2"
    assert out.freq_mhz.dtype == np.int64 and out.los.dtype == bool
    # flat ground, short range: free space only, no obstacle
    assert (out.diffraction_loss_db == 0).all() and out.obstacle_lon.isna().all()
    assert north.dist_km == pytest.approx(distance_km(103.1, 22.15, 103.1, 22.161))


def test_signal_is_the_link_budget_of_the_reference(ridge):
    sites = three_sectors("A", 103.05, 22.15, height=35.0)
    pts = points((103.25, 22.16))
    row = best_servers(pts, sites, ridge).iloc[0]
    link = predict_link(ridge, 103.05, 22.15, 103.25, 22.16, tx_height_m=35.0, freq_mhz=1800)
    assert row.path_loss_db == pytest.approx(link.path_loss_db, abs=1e-6)
    assert row.diffraction_loss_db == pytest.approx(link.diffraction_loss_db, abs=1e-6)
    assert row.diffraction_loss_db > 20 and not row.los and not link.los
    assert row.obstacle_lon == pytest.approx(103.15, abs=2 * RES)
    assert row.obstacle_height_m == pytest.approx(1000.0)
    assert row.obstacle_dist_km == pytest.approx(link.obstacle_dist_km, abs=1e-9)
    assert row.obstacle_dist_km == pytest.approx(
        distance_km(103.15, 22.155, 103.25, 22.16), abs=0.2
    )
    # the best of the three sectors, its pattern and the link budget by hand
    gains = antenna_pattern_db(
        link.azimuth_deg - np.array([0.0, 120.0, 240.0]), link.depression_deg
    )
    assert row.pattern_loss_db == pytest.approx(-gains.max(), abs=1e-9)
    expected = signal_dbm(
        "4G",
        power_dbm=46,
        gain_dbi=18,
        path_loss_db=link.path_loss_db,
        pattern_loss_db=-gains.max(),
    )
    assert row.signal_dbm == pytest.approx(float(expected), abs=1e-6)


def test_ridge_costs_signal_compared_with_flat(flat, ridge):
    sites = three_sectors("A", 103.05, 22.15)
    pts = points((103.25, 22.15))
    on_flat = best_servers(pts, sites, flat).iloc[0]
    behind = best_servers(pts, sites, ridge).iloc[0]
    assert on_flat.los and not behind.los
    assert behind.signal_dbm < on_flat.signal_dbm - 20


def test_max_range_is_respected(flat):
    sites = pd.concat(
        [three_sectors("NEAR", 103.10, 22.15), three_sectors("FAR", 103.28, 22.15, carrier="VNPT")]
    )
    pts = points((103.12, 22.15))  # 2 km from NEAR, 16.5 km from FAR
    out = best_servers(pts, sites, flat, radio=Radio(max_range_km=10.0))
    assert list(out.carrier) == ["Viettel"]
    out = best_servers(pts, sites, flat, radio=Radio(max_range_km=20.0))
    assert sorted(out.carrier) == ["VNPT", "Viettel"]
    none = best_servers(
        points((103.29, 22.11)),
        three_sectors("A", 103.01, 22.29),
        flat,
        radio=Radio(max_range_km=5),
    )
    assert none.empty and list(none.columns) == list(SERVER_COLUMNS)


def test_omni_and_defaults(flat):
    sites = pd.DataFrame(
        {"site_id": ["O"], "carrier": ["MobiFone"], "technology": ["3G"], "freq_mhz": [2100],
         "height_m": [25.0], "lon": [103.1], "lat": [22.15]}
    )  # fmt: skip
    pts = points((103.1, 22.18), (103.07, 22.15))
    out = best_servers(pts, sites, flat)
    assert out.pattern_loss_db.iloc[0] == pytest.approx(out.pattern_loss_db.iloc[1], abs=0.5)
    expected = 43 - 10 + 11 - 2 - out.path_loss_db - out.pattern_loss_db  # omni gain 11 dBi
    np.testing.assert_allclose(out.signal_dbm, expected, atol=1e-9)


def test_nan_dem_samples_are_never_heights(ridge):
    holed = ridge.heights.copy()
    col = int((103.15 - LEFT) / RES)
    holed[:, col - 3 : col + 4] = np.nan  # the ridge is gone, replaced by nodata
    sites = three_sectors("A", 103.05, 22.15)
    pts = points((103.25, 22.15))
    out = best_servers(pts, sites, make_terrain(holed)).iloc[0]
    flat_like = best_servers(pts, sites, make_terrain(np.full((ROWS, COLS), 400.0))).iloc[0]
    assert np.isfinite(out.signal_dbm) and out.los
    assert out.path_loss_db == pytest.approx(flat_like.path_loss_db, abs=0.5)


def test_points_outside_the_dem_are_named(flat):
    pts = points((103.1, 22.15), (104.5, 22.1))
    with pytest.raises(InputError, match="101"):
        best_servers(pts, three_sectors("A", 103.1, 22.2), flat)
    with pytest.raises(InputError, match="OUT"):
        best_servers(points((103.1, 22.15)), three_sectors("OUT", 102.0, 22.2), flat)


def test_projected_dem_gives_the_same_answer(flat):
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    x0, y0 = to_utm.transform(102.99, 22.31)
    utm = Terrain(
        np.full((300, 400), 400.0, "float32"), Affine(90, 0, x0, 0, -90, y0), CRS.from_epsg(32648)
    )
    sites = three_sectors("A", 103.1, 22.15)
    pts = points((103.12, 22.2))
    a = best_servers(pts, sites, flat).iloc[0]
    b = best_servers(pts, sites, utm).iloc[0]
    assert a.signal_dbm == pytest.approx(b.signal_dbm, abs=0.05)


def test_nearest_sites_by_carrier_and_overall():
    sites = pd.concat(
        [
            three_sectors("V1", 103.10, 22.10),
            three_sectors("V2", 103.20, 22.10),
            three_sectors("N1", 103.30, 22.10, carrier="VNPT"),
        ]
    )
    pts = points((103.19, 22.10), (103.11, 22.10))
    by_carrier = nearest_sites(pts, sites)
    assert len(by_carrier) == 4
    row = by_carrier[(by_carrier.point_id == 100) & (by_carrier.carrier == "Viettel")].iloc[0]
    assert row.site_id == "V2" and row.dist_km == pytest.approx(
        distance_km(103.19, 22.1, 103.2, 22.1)
    )
    overall = nearest_sites(pts, sites, by=None)
    assert list(overall.site_id) == ["V2", "V1"] and list(overall.carrier) == ["Viettel", "Viettel"]


def test_geodataframe_sites_and_progress(flat, capsys):
    import geopandas as gpd

    table = three_sectors("A", 103.10, 22.15)
    gdf = gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(table.lon, table.lat),
        crs="EPSG:4326",
    )
    pts = points((103.10, 22.161))
    a = best_servers(pts, gdf, flat, progress=True)
    b = best_servers(pts, table, flat)
    pd.testing.assert_frame_equal(a, b)
    assert "best servers" in capsys.readouterr().err
    assert nearest_sites(pts, gdf.iloc[:0]).empty


def test_obstructed_paths_read_the_pattern_at_the_departure_angle(ridge):
    """Behind the ridge the vertical pattern is read at the diffracted ray's departure
    (the transmitter's horizon, P.1812 eq. 77); in line of sight at the direct ray."""
    from covgap.io.terrain import EARTH_RADIUS_KM

    sites = three_sectors("A", 103.13, 22.15, height=30.0)  # 2 km west of the ridge
    pts = points((103.25, 22.15), (103.14, 22.15))  # behind the ridge; in front of it
    rows = best_servers(pts, sites, ridge).set_index("point_id")
    behind, front = rows.loc[100], rows.loc[101]
    assert not behind.los and front.los
    link = predict_link(ridge, 103.13, 22.15, 103.25, 22.15, tx_height_m=30.0, freq_mhz=1800)
    # by hand: the steepest horizon slope over the profile, earth curvature folded in
    d, h = link.profile_km[1:-1], link.profile_m[1:-1]
    ae = EARTH_RADIUS_KM * 4 / 3
    s_hor = np.max((h - 500 * d**2 / ae - link.tx_amsl_m) / d)
    departure = -math.degrees(math.atan(s_hor / 1000))
    assert link.depression_deg == pytest.approx(departure, abs=1e-9)
    assert departure < -10  # the ridge rises 600 m 2 km away
    d_m = link.dist_km * 1000
    direct = math.degrees(
        math.atan2(link.tx_amsl_m - link.rx_amsl_m + d_m * d_m / (2000 * ae), d_m)
    )
    az = link.azimuth_deg - np.array([0.0, 120.0, 240.0])
    by_departure = -antenna_pattern_db(az, departure).max()
    by_direct = -antenna_pattern_db(az, direct).max()
    assert by_departure > by_direct + 5  # the two angles give different patterns here
    assert behind.pattern_loss_db == pytest.approx(by_departure, abs=1e-9)
    # line of sight: the direct ray
    near = predict_link(ridge, 103.13, 22.15, 103.14, 22.15, tx_height_m=30.0, freq_mhz=1800)
    d_m = near.dist_km * 1000
    assert near.depression_deg == pytest.approx(
        math.degrees(math.atan2(near.tx_amsl_m - near.rx_amsl_m + d_m * d_m / (2000 * ae), d_m))
    )
    # free space and Hata keep the direct ray
    hata = best_servers(pts, sites, ridge, model="hata").set_index("point_id").loc[100]
    assert hata.pattern_loss_db == pytest.approx(by_direct, abs=1e-6)
