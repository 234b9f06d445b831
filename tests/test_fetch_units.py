"""The pieces of ``covgap fetch`` that need no server: URLs, tiles, areas, cells, places."""

from __future__ import annotations

import gzip

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from covgap.errors import DataFileError, InputError
from covgap.io import read_sites, read_villages
from covgap.io.fetch.admin import geoboundaries_api_url
from covgap.io.fetch.area import resolve_area
from covgap.io.fetch.cells import cells_to_sites, read_cells
from covgap.io.fetch.download import Fetcher, OfflineError, mask_secrets
from covgap.io.fetch.osm import overpass_query, places_table, power_layers
from covgap.io.fetch.rasters import dem_requests, expand_bounds, landcover_requests
from covgap.io.fetch.sources import (
    copernicus_url,
    degree_tiles,
    opencellid_url,
    srtm_url,
    worldcover_tile,
    worldcover_url,
)

LAI_CHAU = (102.32, 21.69, 103.98, 22.81)


@pytest.fixture(autouse=True)
def _public_endpoints(monkeypatch):
    for env in (
        "COVGAP_COPERNICUS_URL",
        "COVGAP_SRTM_URL",
        "COVGAP_WORLDCOVER_URL",
        "COVGAP_OVERPASS_URL",
        "COVGAP_OPENCELLID_URL",
        "COVGAP_GEOBOUNDARIES_URL",
    ):
        monkeypatch.delenv(env, raising=False)


def test_urls_follow_the_documented_patterns():
    assert copernicus_url(22, 103) == (
        "https://copernicus-dem-30m.s3.amazonaws.com/Copernicus_DSM_COG_10_N22_00_E103_00_DEM/"
        "Copernicus_DSM_COG_10_N22_00_E103_00_DEM.tif"
    )
    assert worldcover_url(worldcover_tile(22, 103)) == (
        "https://esa-worldcover.s3.eu-central-1.amazonaws.com/v200/2021/map/"
        "ESA_WorldCover_10m_2021_v200_N21E102_Map.tif"
    )
    assert (
        srtm_url(22, 103)
        == "https://elevation-tiles-prod.s3.amazonaws.com/skadi/N22/N22E103.hgt.gz"
    )
    assert opencellid_url("abc") == (
        "https://opencellid.org/ocid/downloads?token=abc&type=mcc&file=452.csv.gz"
    )
    assert geoboundaries_api_url("VNM", "ADM1") == (
        "https://www.geoboundaries.org/api/current/gbOpen/VNM/ADM1/"
    )
    # southern and western hemispheres
    assert "Copernicus_DSM_COG_10_S08_00_W075_00_DEM" in copernicus_url(-8, -75)
    assert worldcover_tile(-8, -75) == "ESA_WorldCover_10m_2021_v200_S09W075_Map.tif"


def test_base_urls_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("COVGAP_COPERNICUS_URL", "http://127.0.0.1:9/mirror/")
    assert copernicus_url(22, 103).startswith("http://127.0.0.1:9/mirror/Copernicus_DSM")


def test_tiles_of_lai_chau_with_the_prediction_radius():
    wide = expand_bounds(LAI_CHAU, 35.0)
    assert wide[0] == pytest.approx(102.32 - 35 / (111 * np.cos(np.radians(22.81))), abs=1e-9)
    assert wide[1] == pytest.approx(21.69 - 35 / 111)
    names = [n for n, _ in dem_requests(wide)]
    assert len(names) == 12  # N21..N23 x E101..E104
    assert "Copernicus_DSM_COG_10_N23_00_E101_00_DEM.tif" in names
    assert [n for n, _ in landcover_requests(wide)] == [
        "ESA_WorldCover_10m_2021_v200_N21E099_Map.tif",
        "ESA_WorldCover_10m_2021_v200_N21E102_Map.tif",
    ]
    assert degree_tiles((103.0, 22.0, 104.0, 23.0)) == [(22, 103)]  # edges pull in no tile
    assert [n for n, _ in dem_requests((103.2, 22.2, 103.4, 22.4), "srtm")] == ["N22E103.hgt.gz"]
    with pytest.raises(ValueError, match="unknown DEM source"):
        dem_requests(LAI_CHAU, "aster")


def test_resolve_area():
    for name in ("Lai Châu", "lai chau", "Tỉnh Lai Châu", "LAI-CHAU"):
        assert resolve_area(name=name).bounds == LAI_CHAU
    with pytest.raises(InputError, match="unknown area"):
        resolve_area(name="Điện Biên")
    with pytest.raises(InputError, match="W < E"):
        resolve_area(bbox=(104, 22, 103, 23))
    with pytest.raises(InputError, match="exactly one"):
        resolve_area(name="Lai Châu", bbox=LAI_CHAU)


def test_boundary_file_in_another_crs(tmp_path):
    path = tmp_path / "p.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["P"]}, geometry=[box(103.0, 22.0, 103.5, 22.5)], crs=4326)
    gdf.to_crs(32648).to_file(path)
    area = resolve_area(boundary=path)
    assert area.name == "P"
    assert area.bounds == pytest.approx((103.0, 22.0, 103.5, 22.5), abs=1e-6)
    lines = tmp_path / "l.geojson"
    gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkt(["LINESTRING (0 0, 1 1)"]), crs=4326).to_file(
        lines
    )
    with pytest.raises(InputError, match="no polygon"):
        resolve_area(boundary=lines)


def test_overpass_query_and_secrets():
    q = overpass_query("power", (103.0, 22.0, 103.5, 22.5))
    assert q.startswith("[out:json][timeout:180];")
    assert 'way["power"~"^(line|minor_line|cable)$"](22,103,22.5,103.5);' in q  # S,W,N,E
    assert 'nwr["power"="substation"]' in q and q.endswith("out tags geom;")
    assert (
        mask_secrets("https://o.org/d?type=mcc&token=s3cr3t")
        == "https://o.org/d?type=mcc&token=***"
    )
    assert mask_secrets("https://o.org/cell/getInBox?key=pk.abc&BBOX=1") == (
        "https://o.org/cell/getInBox?key=***&BBOX=1"
    )


def _export(tmp_path, rows, header=None, gz=True):
    text = (header + "\n" if header else "") + "\n".join(rows) + "\n"
    path = tmp_path / ("cells.csv.gz" if gz else "cells.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_cells_cluster_into_approximate_sites(tmp_path):
    tail = ",1,1600000000,1760000000,0"
    rows = [
        f"LTE,452,4,1,{100 * 256 + 1},0,103.000,22.300,1000,10{tail}",
        f"LTE,452,4,1,{100 * 256 + 2},0,103.009,22.300,1000,30{tail}",  # ~930 m: same eNodeB
        f"GSM,452,4,1,5000,0,103.0092,22.3003,1000,5{tail}",  # 30 m from the 2nd: joins
        f"LTE,452,4,1,{200 * 256 + 1},0,103.100,22.300,1000,5{tail}",  # another site
        f"UMTS,452,1,1,{3 * 65536 + 7},0,103.050,22.350,1000,5{tail}",
        f"LTE,452,5,1,1,0,103.05,22.35,1000,5{tail}",  # Vietnamobile: out
        f"NR,452,4,1,1,0,103.05,22.35,1000,5{tail}",  # NR: out
        f"LTE,452,4,1,{300 * 256 + 1},0,105.0,22.3,1000,5{tail}",  # outside the bbox
        f"LTE,310,4,1,1,0,103.05,22.35,1000,5{tail}",  # another country
    ]
    cells = read_cells(_export(tmp_path, rows))
    assert len(cells) == 8
    sites, counts = cells_to_sites(cells, (102.9, 22.2, 103.2, 22.4))
    assert counts == {
        "cells_read": 8,
        "cells_in_area": 7,
        "other_carrier": 1,
        "other_radio": 1,
        "cells_used": 5,
        "sites": 3,
    }
    viettel = sites[sites["carrier"] == "Viettel"]
    assert viettel["site_id"].nunique() == 2
    big = viettel[viettel["n_cells"] > 1].iloc[0]
    # samples-weighted centre: (10*103.000 + 30*103.009 + 5*103.0092) / 45
    assert big["lon"] == pytest.approx((10 * 103.0 + 30 * 103.009 + 5 * 103.0092) / 45, abs=1e-6)
    both = viettel[viettel["site_id"] == big["site_id"]]
    assert sorted(zip(both["technology"], both["freq_mhz"], strict=True)) == [
        ("2G", 900),
        ("4G", 1800),
    ]
    assert sites.loc[sites["carrier"] == "MobiFone", "technology"].tolist() == ["3G"]
    assert sites.loc[sites["carrier"] == "MobiFone", "freq_mhz"].tolist() == [2100]
    path = tmp_path / "sites.csv"
    sites.to_csv(path, index=False)
    read = read_sites(path)
    assert len(read) == len(sites) and read["beamwidth_deg"].eq(360).all()  # omni: no azimuth
    assert read["height_m"].eq(30).all()


def test_cells_with_header_and_channels(tmp_path):
    header = "mcc,mnc,lac,cellid,lon,lat,radio,samples,earfcn,uarfcn,arfcn"
    rows = [
        "452,4,1,256,103.0,22.3,LTE,5,1650,,",
        "452,4,1,512,103.2,22.3,LTE,5,3500,,",
        "452,2,1,9,103.4,22.3,UMTS,5,,10700,",
        "452,1,1,9,103.6,22.3,GSM,5,,,600",
        "452,2,1,10,103.8,22.3,LTE,5,99999,,",
    ]
    sites, _ = cells_to_sites(read_cells(_export(tmp_path, rows, header, gz=False)))
    assert sites.sort_values("lon")["freq_mhz"].tolist() == [1800, 900, 2100, 1800, 1800]
    with pytest.raises(DataFileError, match="not a cell export"):
        read_cells(_export(tmp_path, ["a,b", "1,2"], "mcc,lat", gz=False))


def test_draft_places_and_the_grid_power_estimate(tmp_path):
    elements = [
        {
            "type": "node",
            "id": 1,
            "lon": 103.0,
            "lat": 22.3,
            "tags": {"place": "village", "name": "A", "name:vi": "Bản A"},
        },
        {"type": "node", "id": 2, "lon": 103.1, "lat": 22.3, "tags": {"place": "hamlet"}},
        {
            "type": "node",
            "id": 3,
            "lon": 103.0,
            "lat": 22.3,
            "tags": {"place": "town", "name": "T"},
        },
        {
            "type": "way",
            "id": 9,
            "tags": {"power": "minor_line"},
            "geometry": [{"lat": 22.305, "lon": 102.99}, {"lat": 22.305, "lon": 103.01}],
        },
    ]
    power = power_layers(elements)
    assert len(power[0]) == 1 and len(power[1]) == 0
    table = places_table(elements, power=power)
    assert table["village_id"].tolist() == ["osm-node-1", "osm-node-2"]  # a town is no village
    assert table["name"].tolist() == ["Bản A", "(unnamed hamlet)"]
    assert table["power_dist_km"].iloc[0] == pytest.approx(0.553, abs=0.01)  # 0.005° of latitude
    assert bool(table["grid_power"].iloc[0]) and table["grid_power"].isna().iloc[1]
    path = tmp_path / "v.csv"
    table.to_csv(path, index=False)
    villages = read_villages(path)
    assert villages["grid_power"].iloc[0] and pd.isna(villages["grid_power"].iloc[1])
    assert villages["source"].str.startswith("DRAFT").all()


def test_offline_flag_never_touches_the_network(tmp_path):
    fetcher = Fetcher(cache=tmp_path, offline=True)
    with pytest.raises(DataFileError, match="--offline"):
        fetcher.get("http://192.0.2.1/x.tif", name="x.tif")


def test_substation_relations_and_ways_become_points():
    elements = [
        {
            "type": "relation",
            "id": 7,
            "tags": {"power": "substation"},
            "bounds": {"minlat": 22.0, "minlon": 103.0, "maxlat": 22.2, "maxlon": 103.4},
        },
        {
            "type": "way",
            "id": 8,
            "tags": {"power": "substation"},
            "geometry": [
                {"lat": 22.0, "lon": 103.0},
                {"lat": 22.0, "lon": 103.2},
                {"lat": 22.2, "lon": 103.2},
                {"lat": 22.2, "lon": 103.0},
                {"lat": 22.0, "lon": 103.0},
            ],
        },
        {"type": "relation", "id": 9, "tags": {"power": "substation"}},
    ]
    lines, subs = power_layers(elements)
    assert lines.empty and subs["osm_id"].tolist() == ["relation/7", "way/8"]
    assert (subs.geometry.x.round(6).tolist(), subs.geometry.y.round(6).tolist()) == (
        [103.2, 103.1],
        [22.1, 22.1],
    )


def test_fetch_never_runs_implicitly():
    """No library stage imports the fetch package: only the ``covgap fetch`` command does.

    ``cli/`` is left out: registering the command in ``cli/__init__`` does not run it.
    """
    from pathlib import Path

    import covgap

    root = Path(covgap.__file__).parent
    users = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("io/fetch/", "cli/")):
            continue
        text = path.read_text(encoding="utf-8")
        if "io.fetch" in text or "from .fetch" in text or "from ..fetch" in text:
            users.append(rel)
    assert users == []


def test_land_cover_goes_into_the_scenario():
    from pathlib import Path

    import covgap.io.fetch.writers as w
    from covgap.config import Scenario

    assert w._landcover_input(Path("lc.tif")) == {"land_cover": Path("lc.tif")}
    assert w._landcover_input(None) == {}
    assert Scenario(**w._landcover_input(Path("lc.tif"))).land_cover == Path("lc.tif")


def test_a_name_lookup_that_hangs_fails_fast(tmp_path, monkeypatch):
    import socket
    import time

    def slow(*args, **kwargs):
        time.sleep(1.5)
        raise OSError("never answered")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    fetcher = Fetcher(cache=tmp_path, connect_timeout_s=0.2)
    start = time.monotonic()
    with pytest.raises(OfflineError, match=r"no network .*took over 0\.2 s"):
        fetcher.get("http://covgap-offline.invalid/x.tif", name="x.tif")
    assert time.monotonic() - start < 1.0
