"""Tests of covgap.plan.candidates: generated, upgrade and user candidate sites."""

from __future__ import annotations

import math
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point

from covgap.config import PlanCosts
from covgap.errors import InputError, ValidationError
from covgap.io.terrain import Terrain, bearing_deg, distance_km
from covgap.plan.candidates import (
    CANDIDATE_COLUMNS,
    add_visibility,
    candidate_sectors,
    check_inside,
    generate_candidates,
    read_candidates,
    upgrade_candidates,
)
from covgap.radio.point import _prepare_sectors, best_servers
from covgap.schema import SITE_COLUMNS

LON0, LAT0 = 103.0, 22.2  # top-left corner of the synthetic grids
CELL_DEG = 0.001
KM_PER_DEG = 111.195
N_CELLS = 121
BASE_M = 200.0


# --------------------------------------------------------------------------- helpers
def lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    """WGS 84 position ``x_km`` east and ``y_km`` south of the grid's top-left corner."""
    lat_c = LAT0 - N_CELLS * CELL_DEG / 2
    return (
        LON0 + x_km / (KM_PER_DEG * math.cos(math.radians(lat_c))),
        LAT0 - y_km / KM_PER_DEG,
    )


def make_terrain(hills: list[tuple[float, float, float, float, float]]) -> Terrain:
    """Flat ground at 200 m plus Gaussian hills (x_km, y_km, height_m, sx_km, sy_km)."""
    cols = np.arange(N_CELLS) + 0.5
    lon = LON0 + cols * CELL_DEG
    lat = LAT0 - cols * CELL_DEG
    lat_c = LAT0 - N_CELLS * CELL_DEG / 2
    x = (lon - LON0) * KM_PER_DEG * math.cos(math.radians(lat_c))
    y = (LAT0 - lat) * KM_PER_DEG
    xx, yy = np.meshgrid(x, y)
    h = np.full(xx.shape, BASE_M)
    for x0, y0, height, sx, sy in hills:
        h += height * np.exp(-(((xx - x0) / sx) ** 2 + ((yy - y0) / sy) ** 2) / 2)
    transform = Affine(CELL_DEG, 0.0, LON0, 0.0, -CELL_DEG, LAT0)
    return Terrain(h.astype(np.float32), transform, CRS.from_epsg(4326), source="synthetic")


def targets_at(*points: tuple[str, float, float, float]) -> pd.DataFrame:
    """Target villages (id, x_km, y_km, weight)."""
    rows = []
    for vid, x, y, w in points:
        lon, lat = lonlat(x, y)
        rows.append({"village_id": vid, "lon": lon, "lat": lat, "weight": w})
    return pd.DataFrame(rows)


def near(frame: pd.DataFrame, x_km: float, y_km: float, within_km: float) -> pd.DataFrame:
    lon, lat = lonlat(x_km, y_km)
    d = distance_km(frame["lon"].to_numpy(), frame["lat"].to_numpy(), lon, lat)
    return frame[d <= within_km]


def site_rows(site_id: str, x_km: float, y_km: float, tech: str, azimuths, **extra):
    lon, lat = lonlat(x_km, y_km)
    freq = {"2G": 900, "4G": 1800}[tech]
    return [
        {
            "site_id": site_id,
            "sector_id": f"{tech}{freq}-{k}",
            "carrier": extra.get("carrier", "Viettel"),
            "technology": tech,
            "freq_mhz": freq,
            "height_m": 30.0,
            "azimuth_deg": az,
            "tilt_deg": 3.0,
            "power_dbm": 43.0 if tech == "2G" else 46.0,
            "gain_dbi": 18.0,
            "beamwidth_deg": 65.0,
            "fibre_backhaul": True,
            "lon": lon,
            "lat": lat,
        }
        for k, az in enumerate(azimuths, start=1)
    ]


def as_sites(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def hidden():
    """A valley village (x 1.5 km), a hill (4.5 km), a knoll behind it (6 km), a peak (9.5 km).

    The peak (1,500 m) sees the village over the hill (600 m); the knoll does not.
    """
    terrain = make_terrain(
        [(4.5, 6.0, 400.0, 0.5, 0.5), (6.0, 6.0, 200.0, 0.4, 0.4), (9.5, 6.0, 1300.0, 1.5, 1.5)]
    )
    return terrain, targets_at(("V1", 1.5, 6.0, 100.0))


@pytest.fixture(scope="module")
def ridge():
    """A village west of a level north-south ridge (every crest cell a high point), a knoll
    east of it."""
    terrain = make_terrain([(4.0, 6.0, 600.0, 0.4, 1e9), (7.0, 6.0, 250.0, 0.4, 0.4)])
    return terrain, targets_at(("V1", 1.5, 6.0, 100.0))


@pytest.fixture(scope="module")
def rough():
    """Seeded random hills with four villages on the flat ground between them."""
    rng = np.random.default_rng(7)
    hills = [
        (float(x), float(y), float(h), float(s), float(s))
        for x, y, h, s in zip(
            rng.uniform(0.5, 12, 40),
            rng.uniform(0.5, 12.5, 40),
            rng.uniform(100, 700, 40),
            rng.uniform(0.3, 1.0, 40),
            strict=True,
        )
    ]
    terrain = make_terrain(hills)
    villages = targets_at(
        ("A", 2.0, 2.0, 300.0), ("B", 10.0, 3.0, 100.0), ("C", 6.0, 10.0, 50.0),
        ("D", 3.0, 11.0, 20.0),
    )  # fmt: skip
    return terrain, villages


@pytest.fixture(scope="module")
def toy_sites():
    """S1 2G-only next to V1; S2 with 4G 0/120/240 and V2 at 60° (between beams); S3 with
    V3 inside a beam; S4 2G-only far away."""
    rows = site_rows("S1", 3.0, 3.0, "2G", [10.0, 130.0, 250.0])
    rows += site_rows("S2", 6.0, 6.0, "2G", [0.0, 120.0, 240.0], carrier="VNPT")
    rows += site_rows("S2", 6.0, 6.0, "4G", [0.0, 120.0, 240.0], carrier="VNPT")
    rows += site_rows("S3", 9.0, 9.0, "4G", [0.0, 120.0, 240.0], carrier="MobiFone")
    rows += site_rows("S4", 12.0, 0.5, "2G", [0.0, 120.0, 240.0])
    terrain = make_terrain([(9.0, 2.0, 300.0, 1.0, 1.0)])
    # V2 2 km from S2 on a bearing of 60°; V3 2 km north of S3 (in its 0° beam)
    v2 = (2.0 * math.sin(math.radians(60)), -2.0 * math.cos(math.radians(60)))
    targets = targets_at(
        ("V1", 3.5, 3.5, 10.0), ("V2", 6.0 + v2[0], 6.0 + v2[1], 20.0), ("V3", 9.0, 7.0, 5.0)
    )
    return as_sites(rows), targets, terrain


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cands.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- generate
def test_columns_and_kind(hidden):
    terrain, targets = hidden
    out = generate_candidates(terrain, targets)
    assert tuple(out.columns) == CANDIDATE_COLUMNS
    assert out.crs.to_epsg() == 4326
    assert (out["kind"] == "new_site").all()
    assert (out["site_id"] == out["candidate_id"]).all()
    assert out["candidate_id"].is_unique
    assert out["carrier"].isna().all()
    assert (out["site_usd"] == PlanCosts().new_site_usd).all()
    assert out["road_km"].isna().all() and out["power_km"].isna().all()
    assert (out["n_visible"] >= 1).all()


def test_proposes_the_peak_and_not_the_hidden_knoll(hidden):
    terrain, targets = hidden
    out = generate_candidates(terrain, targets, min_spacing_m=300.0)
    assert len(near(out, 9.5, 6.0, 0.25)) == 1, out[["lon", "lat", "note"]]
    assert len(near(out, 6.0, 6.0, 0.5)) == 0
    peak = near(out, 9.5, 6.0, 0.25).iloc[0]
    assert peak["n_visible"] == 1 and peak["visible_weight"] == 100.0
    assert peak["ground_m"] > 1400
    assert "high point 1," in peak["note"] and "sees 1 uncovered village" in peak["note"]
    # one of the three sectors points at the village (due west, 270°)
    v_lon, v_lat = targets.loc[0, ["lon", "lat"]]
    b = float(bearing_deg(peak["lon"], peak["lat"], v_lon, v_lat))
    azimuths = [float(a) for a in peak["azimuths_deg"].split(";")]
    assert len(azimuths) == 3
    assert min(abs((a - b + 180) % 360 - 180) for a in azimuths) <= 1.0


def test_a_village_with_several_points_counts_once(hidden):
    terrain, targets = hidden
    cluster = targets_at(("V1", 1.2, 6.3, 100.0), ("V1", 6.5, 7.0, 100.0))  # seen, hidden
    out = generate_candidates(terrain, pd.concat([targets, cluster]), min_spacing_m=300.0)
    peak = near(out, 9.5, 6.0, 0.25).iloc[0]
    assert peak["n_visible"] == 1 and peak["visible_weight"] == 100.0
    assert "sees 1 uncovered village," in peak["note"] or peak["note"].endswith("village")
    seen = add_visibility(out, terrain, pd.concat([targets, cluster]))
    assert seen["visible_weight"].max() == 100.0


def test_line_of_sight_drops_a_point_behind_a_ridge(ridge):
    terrain, targets = ridge
    out = generate_candidates(terrain, targets, min_spacing_m=300.0)
    assert len(near(out, 7.0, 6.0, 0.5)) == 0
    assert len(out) >= 1
    assert (np.abs(out["lon"] - lonlat(4.0, 6.0)[0]) < 0.003).all()  # all on the ridge line
    # every cell of the ridge line is a high point: the spacing thins them out
    assert len(out) >= 5
    lat = np.sort(out["lat"].to_numpy())
    assert np.diff(lat).min() * KM_PER_DEG >= 0.3 - 1e-6
    # the same screening for any table: the knoll sees nothing, the ridge top the village
    table = pd.concat([near(out, 4.0, 6.0, 1.0).iloc[:1], out.iloc[:1]], ignore_index=True)
    k_lon, k_lat = lonlat(7.0, 6.0)
    table.loc[1, ["lon", "lat"]] = [k_lon, k_lat]
    seen = add_visibility(table, terrain, targets)
    assert seen["n_visible"].tolist() == [1, 0]
    assert seen.loc[1, "ground_m"] > 400


def test_spacing_cap_and_determinism(rough):
    terrain, targets = rough
    sites = as_sites(site_rows("X1", 6.0, 6.0, "4G", [0.0, 120.0, 240.0]))
    kwargs = {"sites": sites, "min_spacing_m": 700.0, "max_candidates": 12}
    out = generate_candidates(terrain, targets, **kwargs)
    assert 1 <= len(out) <= 12
    lon, lat = out["lon"].to_numpy(), out["lat"].to_numpy()
    d = distance_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    assert d[np.triu_indices(len(out), 1)].min() >= 0.7
    s_lon, s_lat = lonlat(6.0, 6.0)
    assert distance_km(lon, lat, s_lon, s_lat).min() >= 0.7
    again = generate_candidates(terrain, targets, progress=True, **kwargs)
    pd.testing.assert_frame_equal(pd.DataFrame(out), pd.DataFrame(again))
    few = generate_candidates(terrain, targets, min_spacing_m=700.0, max_candidates=2)
    assert len(few) == 2
    assert len(generate_candidates(terrain, targets, max_candidates=0)) == 0


def test_set_cover_keeps_every_seen_target(rough):
    terrain, targets = rough
    everything = generate_candidates(terrain, targets, max_candidates=10_000, min_spacing_m=300.0)
    seen = add_visibility(everything, terrain, targets)
    assert (seen["n_visible"] == everything["n_visible"]).all()
    n_seen = _seen_targets(everything, terrain, targets)
    assert n_seen >= 3
    k = 4
    few = generate_candidates(terrain, targets, max_candidates=k, min_spacing_m=300.0)
    assert _seen_targets(few, terrain, targets) == n_seen
    # the first pick sees the most weight (the set cover starts with the best point)
    assert few["visible_weight"].iloc[0] == everything["visible_weight"].max()


def _seen_targets(frame, terrain, targets) -> int:
    """How many targets at least one candidate of ``frame`` sees (one at a time)."""
    seen = set()
    for vid in targets["village_id"]:
        one = targets[targets["village_id"] == vid]
        if (add_visibility(frame, terrain, one)["n_visible"] > 0).any():
            seen.add(vid)
    return len(seen)


def test_road_preference_between_two_equal_peaks():
    terrain = make_terrain([(3.0, 6.0, 500.0, 0.6, 0.6), (9.0, 6.0, 500.0, 0.6, 0.6)])
    targets = targets_at(("V", 6.0, 6.0, 50.0))
    for road_x in (3.3, 8.7):  # a road next to one peak, then next to the other
        a, b = lonlat(road_x, 0.0), lonlat(road_x, 12.0)
        roads = gpd.GeoDataFrame({"road_id": ["R1"]}, geometry=[LineString([a, b])], crs=4326)
        # both peaks are eligible (max_road_km): the score alone decides
        out = generate_candidates(terrain, targets, roads=roads, max_candidates=1, max_road_km=20)
        assert len(out) == 1
        assert len(near(out, road_x - 0.3 if road_x < 6 else road_x + 0.3, 6.0, 0.2)) == 1
        assert out["road_km"].iloc[0] == pytest.approx(0.3, abs=0.12)
        assert "km from a road" in out["note"].iloc[0]


def test_far_from_roads_only_when_nothing_nearer_sees():
    terrain = make_terrain([(3.0, 6.0, 500.0, 0.6, 0.6), (9.0, 6.0, 500.0, 0.6, 0.6)])
    targets = targets_at(("V", 6.0, 6.0, 50.0))
    a, b = lonlat(0.2, 0.0), lonlat(0.2, 12.0)
    roads = gpd.GeoDataFrame({"road_id": ["R1"]}, geometry=[LineString([a, b])], crs=4326)
    # both peaks are > 2 km from the road: one is still kept (the village needs it) ...
    out = generate_candidates(terrain, targets, roads=roads, max_road_km=2.0, max_candidates=5)
    assert len(out) == 1 and "far from roads" in out["note"].iloc[0]
    assert len(near(out, 3.0, 6.0, 0.2)) == 1  # the nearer peak
    # ... and near the road both are candidates
    out = generate_candidates(terrain, targets, roads=roads, max_road_km=20.0, max_candidates=5)
    assert len(out) == 2


def test_power_distance_and_bad_targets(hidden):
    terrain, targets = hidden
    lon, lat = lonlat(9.0, 6.0)
    villages = gpd.GeoDataFrame(
        {"village_id": ["P", "Q"], "grid_power": pd.array([True, False], dtype="boolean")},
        geometry=[Point(lon, lat), Point(*lonlat(9.5, 6.0))],
        crs=4326,
    )
    out = generate_candidates(terrain, targets, villages=villages)
    peak = near(out, 9.5, 6.0, 0.25).iloc[0]
    assert peak["power_km"] == pytest.approx(0.5, abs=0.12)
    bad = targets.assign(lon=110.0)
    with pytest.raises(InputError, match="outside the DEM"):
        generate_candidates(terrain, bad)
    with pytest.raises(InputError, match="weight"):
        generate_candidates(terrain, targets.assign(weight=-1.0))


# --------------------------------------------------------------------------- upgrades
def test_upgrade_candidates(toy_sites):
    sites, targets, terrain = toy_sites
    out = upgrade_candidates(sites, targets, terrain, max_km=5.0)
    assert tuple(out.columns) == CANDIDATE_COLUMNS
    by_id = out.set_index("candidate_id")
    assert set(by_id.index) == {"U-S1-4G", "U-S2-S"}
    s1 = by_id.loc["U-S1-4G"]
    assert s1["kind"] == "add_4g" and s1["site_id"] == "S1" and s1["carrier"] == "Viettel"
    assert s1["azimuths_deg"] == "10;130;250"
    assert s1["site_usd"] == PlanCosts().add_4g_usd
    assert s1["n_visible"] == 1 and s1["visible_weight"] == 10.0
    s2 = by_id.loc["U-S2-S"]
    assert s2["kind"] == "add_sector" and s2["carrier"] == "VNPT"
    assert s2["site_usd"] == PlanCosts().add_sector_usd
    v2 = targets.set_index("village_id").loc["V2"]
    bearing = float(bearing_deg(s2["lon"], s2["lat"], v2["lon"], v2["lat"]))
    assert abs(float(s2["azimuths_deg"]) - bearing) <= 1.0
    assert abs(bearing - 60.0) < 1.0
    assert "add a sector" in s2["note"]
    # S1 also has V2 within 10 km, but it is 2G-only: only the 4G upgrade
    wide = upgrade_candidates(sites, targets, terrain, max_km=10.0)
    assert (wide["site_id"] == "S1").sum() == 1
    assert len(upgrade_candidates(sites, targets.iloc[:0], terrain)) == 0


def test_add_sector_serves_the_heaviest_group(toy_sites):
    sites, _, terrain = toy_sites

    def at(bearing: float, dist: float) -> tuple[float, float]:
        b = math.radians(bearing)
        return 6.0 + dist * math.sin(b), 6.0 - dist * math.cos(b)

    targets = targets_at(("a", *at(70, 2.0), 10.0), ("b", *at(80, 2.5), 10.0),
                         ("c", *at(190, 2.0), 5.0))  # fmt: skip
    out = upgrade_candidates(sites[sites["site_id"] == "S2"], targets, terrain, max_km=5.0)
    az = float(out["azimuths_deg"].iloc[0])
    assert 70.0 <= az <= 80.0
    assert out["n_visible"].iloc[0] <= 2  # c (190°) is outside the new beam
    assert len(upgrade_candidates(sites, targets, terrain, min_visible=99)) == 0


# --------------------------------------------------------------------------- user files
def test_read_candidates_csv_and_gpkg(hidden, tmp_path):
    terrain, _ = hidden
    (lon1, lat1), (lon2, lat2) = lonlat(9.5, 6.0), lonlat(4.5, 6.0)
    path = write_csv(
        tmp_path,
        "Tên vị trí,Kinh độ,Vĩ độ,height_m,Nhà mạng,cost_usd,azimuths_deg\n"
        f"C1,{lon1},{lat1},40,Vinaphone,80000,0;180\n"
        f"C2,{lon2},{lat2},,,,\n",
    )
    out = read_candidates(path, terrain=terrain)
    assert tuple(out.columns) == CANDIDATE_COLUMNS
    assert out["candidate_id"].tolist() == ["C1", "C2"]
    assert (out["kind"] == "user").all() and (out["site_id"] == out["candidate_id"]).all()
    assert out["carrier"].iloc[0] == "VNPT" and pd.isna(out["carrier"].iloc[1])
    assert out["height_m"].tolist() == [40.0, 30.0]
    assert out["site_usd"].tolist() == [80000.0, PlanCosts().new_site_usd]
    assert out["azimuths_deg"].tolist() == ["0;180", "0;120;240"]
    assert out["ground_m"].iloc[0] > 1400
    gpkg = tmp_path / "cands.gpkg"
    gpd.GeoDataFrame(
        {"candidate_id": ["G1", "G2"], "height_m": [35.0, 25.0]},
        geometry=[Point(lon1, lat1), Point(lon2, lat2)],
        crs="EPSG:4326",
    ).to_file(gpkg, layer="candidates")
    g = read_candidates(gpkg, terrain=terrain)
    assert g["candidate_id"].tolist() == ["G1", "G2"]
    assert g["lon"].iloc[0] == pytest.approx(lon1) and g["height_m"].tolist() == [35.0, 25.0]


def test_read_candidates_vn2000(tmp_path):
    lon, lat = 103.458, 22.396
    x, y = Transformer.from_crs(4326, 9205, always_xy=True).transform(lon, lat)
    path = write_csv(tmp_path, f"id,x,y\nK1,{x:.2f},{y:.2f}\n")
    out = read_candidates(path, crs="EPSG:9205")
    assert out["lon"].iloc[0] == pytest.approx(lon, abs=1e-5)
    assert out["lat"].iloc[0] == pytest.approx(lat, abs=1e-5)
    assert np.isnan(out["ground_m"].iloc[0])


def test_read_candidates_reports_every_problem(hidden, tmp_path):
    terrain, _ = hidden
    lon, lat = lonlat(5.0, 5.0)
    path = write_csv(
        tmp_path,
        "candidate_id,lon,lat,height_m,carrier\n"
        f"C1,{lon},{lat},30,Viettel\n"
        "C7,103.5,22.2,30,\n"
        f"C1,{lon},{lat},500,Foo\n"
        ",,,,\n",
    )
    with pytest.raises(ValidationError) as info:
        read_candidates(path, terrain=terrain)
    text = str(info.value)
    by_row = {p.row: p for p in info.value.problems if "outside" in p.message}
    assert 3 in by_row and by_row[3].column == "lon"
    assert "candidate C7 at (103.50000 E, 22.20000 N) is outside the DEM (lon 103.0000–" in text
    assert "row 3, column 'lon'" in text
    assert "duplicate candidate id 'C1' (first on row 2)" in text
    assert "row 4, column 'height_m'" in text and "unknown carrier 'Foo'" in text
    assert "row 5" in text and "no position" in text and "empty candidate id" in text
    missing = write_csv(tmp_path, "lon,lat\n103.0,22.1\n")
    with pytest.raises(ValidationError, match="'candidate_id' is missing"):
        read_candidates(missing)


def test_check_inside_any_table(hidden):
    terrain, targets = hidden
    out = generate_candidates(terrain, targets)
    check_inside(out, terrain)  # no error
    moved = out.copy()
    moved.loc[0, "lat"] = 23.0
    with pytest.raises(ValidationError, match=r"row 2, column 'lat'.*outside the DEM"):
        check_inside(moved, terrain)
    holes = Terrain(terrain.heights.copy(), terrain.transform, terrain.crs)
    col = int((out["lon"].iloc[0] - LON0) / CELL_DEG)
    row = int((LAT0 - out["lat"].iloc[0]) / CELL_DEG)
    holes.heights[row, col] = np.nan
    with pytest.raises(ValidationError, match="DEM void"):
        check_inside(out, holes)


# --------------------------------------------------------------------------- sectors
def test_candidate_sectors_feed_best_servers(toy_sites, hidden, tmp_path):
    sites, targets, terrain = toy_sites
    sites = pd.concat(
        [sites, as_sites(site_rows("S2", 6.0, 6.0, "4G", [300.0]))], ignore_index=True
    )
    sites.loc[len(sites) - 1, "sector_id"] = "4G1800-U1"  # forces the next id
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=4326)
    new = generate_candidates(terrain, targets, max_candidates=3, min_spacing_m=500.0)
    ups = upgrade_candidates(sites, targets, terrain, max_km=5.0)
    lon, lat = lonlat(5.0, 5.0)
    path = write_csv(tmp_path, f"id,lon,lat,carrier,azimuths_deg\nU1,{lon},{lat},MobiFone,omni\n")
    user = read_candidates(path, terrain=terrain)
    every = pd.concat([new, ups, user], ignore_index=True)
    rows = candidate_sectors(every, carrier="VNPT", sites=sites)
    assert list(rows.columns[:13]) == ["candidate_id", *SITE_COLUMNS]
    assert set(rows["candidate_id"]) == set(every["candidate_id"])
    assert not rows[["site_id", "sector_id"]].duplicated().any()
    clash = rows.merge(sites[["site_id", "sector_id"]], on=["site_id", "sector_id"])
    assert len(clash) == 0
    s2 = rows[rows["candidate_id"] == "U-S2-S"]
    assert s2["sector_id"].tolist() == ["4G1800-U2"] and s2["site_id"].tolist() == ["S2"]
    s1 = rows[rows["candidate_id"] == "U-S1-4G"]
    assert s1["azimuth_deg"].tolist() == [10.0, 130.0, 250.0] and (s1["carrier"] == "Viettel").all()
    first_new = rows[rows["candidate_id"] == new["candidate_id"].iloc[0]]
    assert len(first_new) == 3 and (first_new["carrier"] == "VNPT").all()
    u1 = rows[rows["candidate_id"] == "U1"]
    assert len(u1) == 1 and u1["beamwidth_deg"].iloc[0] == 360.0
    assert u1["carrier"].iloc[0] == "MobiFone" and np.isnan(u1["azimuth_deg"].iloc[0])
    prepared = _prepare_sectors(rows)
    assert len(prepared) == len(rows)
    points = targets.assign(point_id=np.arange(len(targets)))
    servers = best_servers(points, pd.concat([sites, rows], ignore_index=True), terrain)
    assert len(servers) and servers["signal_dbm"].notna().all()
    only_new = best_servers(points, rows, terrain)
    assert set(only_new["site_id"]) <= set(rows["site_id"])
    assert (only_new["technology"] == "4G").all()
    with pytest.raises(InputError, match="unknown carrier"):
        candidate_sectors(new, carrier="Foo")
    with pytest.raises(InputError, match="unknown band"):
        candidate_sectors(new, freq_mhz=1234)


# --------------------------------------------------------------------------- sample
def test_sample_gives_500_candidates():
    root = Path(__file__).resolve().parents[1] / "data"
    if not (root / "scenario.toml").exists():
        pytest.skip("bundled sample not present")
    from covgap import config, pipeline
    from covgap.plan.roads import read_roads

    scenario = config.load_scenario(root / "scenario.toml")
    inputs = pipeline.load_inputs(scenario)
    villages = pipeline.analyse(inputs, scenario).villages
    gap = villages[villages["coverage_class"] != "covered"]
    targets = pd.DataFrame(
        {
            "village_id": gap["village_id"],
            "lon": gap.geometry.x,
            "lat": gap.geometry.y,
            "weight": gap["population"],
        }
    )
    roads = read_roads(scenario.roads)
    start = time.perf_counter()
    out = generate_candidates(
        inputs.terrain, targets, sites=inputs.sites, roads=roads, villages=villages,
        max_candidates=600, min_spacing_m=500.0,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    print(f"\nsample: {len(out)} candidates for {len(targets)} targets in {seconds:.2f} s")
    assert len(out) >= 500
    assert out["candidate_id"].is_unique and (out["n_visible"] >= 1).all()
    ups = upgrade_candidates(inputs.sites, targets, inputs.terrain)
    print(f"sample: {len(ups)} upgrades ({(ups['kind'] == 'add_4g').sum()} add_4g)")
    assert (ups["kind"] == "add_4g").sum() >= 1
    assert set(ups["kind"]) <= {"add_4g", "add_sector"}
