"""Tests of the bundled synthetic sample (covgap.sample) and its generator."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

import covgap
from covgap.config import load_scenario
from covgap.plan.roads import HIGHWAY_CLASSES, read_roads, road_graph, snap_to_roads
from covgap.sample.common import DISTRICTS, RIVERS
from covgap.sample.generate import SAMPLE_FILES, generate_sample, sample_scenario
from covgap.schema import BANDS_MHZ

DATA = Path(covgap.__file__).resolve().parents[1] / "data"
needs_data = pytest.mark.skipif(
    not all((DATA / rel).is_file() for rel in SAMPLE_FILES.values()),
    reason="the committed sample is not in data/ (run `covgap sample --out data`)",
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small_a")
    generate_sample(out, size="small")
    return out


def test_same_seed_gives_identical_files(small, tmp_path):
    generate_sample(tmp_path, size="small")
    first, second = _digests(small), _digests(tmp_path)
    assert set(first) == set(SAMPLE_FILES.values())
    assert first == second


def test_other_seed_gives_other_files(small, tmp_path):
    generate_sample(tmp_path, size="small", seed=7)
    first, second = _digests(small), _digests(tmp_path)
    assert all(first[k] != second[k] for k in first if not k.endswith(".toml"))


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="size"):
        generate_sample(tmp_path, size="huge")


def test_xlsx_has_no_current_time(small):
    with zipfile.ZipFile(small / SAMPLE_FILES["villages_xlsx"]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "2025-07-01T00:00:00Z" in core


def test_small_scenario_reads_back(small):
    scenario = load_scenario(small / "scenario.toml")
    assert scenario.synthetic
    assert scenario.villages.is_file() and scenario.sites.is_file()
    assert all(p.is_file() for p in scenario.dem) and scenario.admin.is_file()


def test_sample_scenario_points_at_repo_data():
    scenario = sample_scenario()
    assert scenario.synthetic and "synthetic" in scenario.name
    assert scenario.villages.is_file()


# --- the committed sample -------------------------------------------------------------


@pytest.fixture(scope="module")
def dem():
    with rasterio.open(DATA / SAMPLE_FILES["dem"]) as src:
        return src.read(1), src.profile, src.tags(), src.transform


@needs_data
def test_dem_format(dem):
    _heights, profile, tags, transform = dem
    assert profile["crs"].to_epsg() == 4326
    assert (profile["width"], profile["height"]) == (2280, 1560)
    assert profile["dtype"] == "int16" and profile["nodata"] == -32768
    assert profile["tiled"] and profile["blockxsize"] == profile["blockysize"] == 256
    assert profile["compress"] == "deflate"
    assert transform.a == pytest.approx(3 / 3600) and transform.e == pytest.approx(-3 / 3600)
    assert (transform.c, transform.f) == pytest.approx((102.2, 22.9))
    assert tags["COVGAP_SYNTHETIC"] == "yes" and tags["COVGAP_SEED"] == "20250701"
    assert (DATA / SAMPLE_FILES["dem"]).stat().st_size < 8e6


def _along(river, transform, heights, step_km=0.5):
    line = shapely.LineString(river.points)
    n = int(line.length * 111 / step_km)
    pts = [line.interpolate(i / n, normalized=True) for i in range(n + 1)]
    rows, cols = rasterio.transform.rowcol(transform, [p.x for p in pts], [p.y for p in pts])
    rows = np.clip(rows, 0, heights.shape[0] - 1)
    cols = np.clip(cols, 0, heights.shape[1] - 1)
    return heights[rows, cols].astype(float)


@needs_data
def test_relief_like_lai_chau(dem):
    heights, _, _, transform = dem
    da = _along(RIVERS[0], transform, heights)
    assert da.min() >= 160 and da.max() <= 500
    for river in RIVERS:  # every main river drains downhill
        h = _along(river, transform, heights)
        assert np.all(np.diff(h) <= 3), river.name
    inv = ~transform

    def box(lon0, lon1, lat0, lat1):
        c0, r0 = inv * (lon0, lat1)
        c1, r1 = inv * (lon1, lat0)
        return heights[int(r0) : int(r1), int(c0) : int(c1)]

    assert box(103.55, 103.9, 22.2, 22.5).max() >= 2800  # Hoàng Liên Sơn-like range
    assert box(102.2, 102.45, 22.5, 22.7).max() >= 2800  # Pu Si Lung-like summit
    assert heights.max() <= 3200 and heights.min() >= 100
    assert 1000 <= np.median(heights) <= 1700


@needs_data
def test_admin_layers():
    path = DATA / SAMPLE_FILES["admin"]
    assert {n for n, _ in pyogrio.list_layers(path)} >= {"province", "districts", "communes"}
    prov = pyogrio.read_dataframe(path, layer="province")
    dis = pyogrio.read_dataframe(path, layer="districts")
    com = pyogrio.read_dataframe(path, layer="communes")
    assert list(dis.columns[:3]) == ["district_code", "district", "area_km2"]
    assert {
        "commune_code",
        "commune",
        "commune_type",
        "district_code",
        "district",
        "area_km2",
    } <= set(com.columns)
    assert shapely.is_valid(np.concatenate([prov.geometry, dis.geometry, com.geometry])).all()
    assert 8000 <= prov["area_km2"].iloc[0] <= 10000
    target = {d.code: d.area_km2 for d in DISTRICTS}
    ratio = dis["area_km2"] / dis["district_code"].map(target)
    assert ratio.between(0.75, 1.25).all()
    union = shapely.union_all(dis.geometry.values)
    assert abs(union.area - shapely.area(dis.geometry.values).sum()) < 1e-6 * union.area
    assert union.symmetric_difference(prov.geometry.iloc[0]).area < 1e-6 * union.area
    counts = com.groupby("district_code").size().to_dict()
    assert counts == {d.code: d.n_communes for d in DISTRICTS}
    for _, row in com.iterrows():  # communes nest in their district
        host = dis.loc[dis["district_code"] == row["district_code"], "geometry"].iloc[0]
        assert shapely.area(row.geometry.difference(host)) < 1e-9
    meta = pyogrio.read_info(path, layer="communes")
    assert meta["layer_metadata"]["COVGAP_SYNTHETIC"] == "yes"


@pytest.fixture(scope="module")
def villages() -> pd.DataFrame:
    return pd.read_csv(DATA / SAMPLE_FILES["villages"], dtype={"village_id": str})


@needs_data
def test_villages(villages):
    assert list(villages.columns) == [
        "village_id",
        "name",
        "commune",
        "commune_code",
        "district",
        "district_code",
        "lon",
        "lat",
        "elevation_m",
        "households",
        "population",
        "grid_power",
        "especially_difficult",
        "cluster_1_lon",
        "cluster_1_lat",
        "cluster_2_lon",
        "cluster_2_lat",
    ]
    assert 1000 <= len(villages) <= 1200 and villages["village_id"].is_unique
    assert not villages.duplicated(["commune_code", "name"]).any()
    counts = villages.groupby("district_code").size()
    for d in DISTRICTS:
        assert abs(counts[d.code] - d.n_villages) <= max(3, 0.1 * d.n_villages), d.name
    elev = villages["elevation_m"]
    assert 600 <= elev.median() <= 800 and elev.min() >= 150
    assert (elev > 1800).mean() < 0.03
    assert villages["households"].between(10, 300).all()
    per_hh = villages["population"] / villages["households"]
    assert per_hh.between(3.9, 6.1).all()
    power = villages["grid_power"].eq("yes")
    assert 0.8 <= power.mean() <= 0.95
    assert power[villages["district"] == "Mường Tè"].mean() < power.mean()
    assert set(villages["especially_difficult"]) == {"yes", "no"}


@needs_data
def test_villages_xlsx_and_csvw(villages):
    frame = pd.read_excel(DATA / SAMPLE_FILES["villages_xlsx"], sheet_name=None)
    assert next(iter(frame)) == "Thôn bản" and len(frame) == 2
    sheet = frame["Thôn bản"]
    assert list(sheet.columns[:3]) == ["Mã thôn", "Tên thôn/bản", "Xã"]
    assert len(sheet) == len(villages)
    meta = json.loads((DATA / SAMPLE_FILES["villages_csvw"]).read_text(encoding="utf-8"))
    assert meta["covgap:synthetic"] is True and meta["url"] == "villages.csv"
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == list(villages.columns)


@needs_data
def test_sites():
    sites = pd.read_csv(DATA / SAMPLE_FILES["sites"])
    per = sites.groupby("carrier")["site_id"].nunique()
    assert 600 <= per.sum() <= 800
    assert per.idxmax() == "Viettel" and set(per.index) == {"Viettel", "VNPT", "MobiFone"}
    assert not sites.duplicated(["site_id", "sector_id"]).any()
    assert sites["height_m"].between(25, 45).all()
    assert sites["tilt_deg"].between(2, 6).all()
    assert set(sites["technology"]) == {"2G", "3G", "4G"}
    assert set(sites["freq_mhz"]) <= set(BANDS_MHZ)
    assert (sites.loc[sites["technology"] == "4G", "power_dbm"] == 46).all()
    techs = sites.groupby("site_id")["technology"].agg(set)
    assert 0 < (techs == {"2G"}).sum() < 0.1 * len(techs)  # some remote 2G-only sites
    meta = json.loads((DATA / SAMPLE_FILES["sites_csvw"]).read_text(encoding="utf-8"))
    assert meta["covgap:synthetic"] is True


@needs_data
def test_data_folder_is_small():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 20e6
    assert "SYNTHETIC" in (DATA / "README.md").read_text(encoding="utf-8").upper()


# --- roads (small sample and the committed one) ----------------------------------------


def _check_roads(folder: Path) -> None:
    path = folder / SAMPLE_FILES["roads"]
    assert [name for name, _ in pyogrio.list_layers(path)] == ["roads"]
    info = pyogrio.read_info(path, layer="roads")
    assert info["layer_metadata"]["COVGAP_SYNTHETIC"] == "yes"
    assert "SYNTHETIC" in info["layer_metadata"]["DESCRIPTION"]
    roads = read_roads(path)
    assert list(roads.columns[:4]) == ["road_id", "road_class", "highway", "length_km"]
    assert roads["road_id"].is_unique
    assert set(roads["road_class"]) == {"national", "provincial", "commune", "track"}
    assert (roads["highway"].map(HIGHWAY_CLASSES) == roads["road_class"]).all()
    assert set(roads.geom_type) == {"LineString"} and roads.is_valid.all()
    assert (roads["length_km"] > 0).all()
    graph = road_graph(roads)
    assert nx.number_connected_components(graph) == 1  # one network, all towns on it
    nodes = np.array([(d["lon"], d["lat"]) for _, d in graph.nodes(data=True)])
    for d in DISTRICTS:
        km = np.hypot((nodes[:, 0] - d.town[0]) * 103, (nodes[:, 1] - d.town[1]) * 110.7)
        assert km.min() < 0.5, d.name
    villages = pd.read_csv(folder / SAMPLE_FILES["villages"])
    snapped = snap_to_roads(villages, roads)
    assert snapped["dist_km"].max() < 2.0
    main = roads["road_class"].isin(["national", "provincial"])
    assert roads.loc[main, "length_km"].sum() > 250


def test_small_sample_roads(small):
    _check_roads(small)


@needs_data
def test_committed_roads():
    _check_roads(DATA)


def test_sample_scenario_reads_the_bundled_files_in_a_checkout():
    # not a regenerated copy in the cache: the files next to the package
    from covgap.sample import sample_scenario

    scenario = sample_scenario()
    assert Path(scenario.villages).resolve() == (DATA / "villages" / "villages.csv").resolve()
