"""``covgap fetch`` end to end against a local HTTP server (127.0.0.1 only).

The server serves the committed fixtures of ``tests/data/fetch/server`` (made by
``make_fixtures.py``) under the public endpoints' paths, answers Overpass POSTs and the
OpenCelliD export, supports ``Range``/``If-Range``, and can cut a transfer or answer 503
once to test resuming and retries. It stops with the test.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner

from covgap.cli.fetch import fetch_command
from covgap.config import load_scenario
from covgap.errors import DataFileError
from covgap.io import read_dem, read_sites, read_villages
from covgap.io.fetch import Fetcher, fetch_scenario, resolve_area

SERVER_ROOT = Path(__file__).parent / "data" / "fetch" / "server"
BBOX = (102.95, 22.30, 103.10, 22.40)
TOKEN = "test-token-5f1c9a"
WC_NAME = "ESA_WorldCover_10m_2021_v200_N21E102_Map.tif"
WC_PATH = f"/v200/2021/map/{WC_NAME}"


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # a stuck client never holds the server

    def log_message(self, *args) -> None:  # quiet
        pass

    def _record(self, body: str = "") -> None:
        self.server.log.append(
            {
                "method": self.command,
                "path": urlsplit(self.path).path,
                "query": urlsplit(self.path).query,
                "range": self.headers.get("Range"),
                "if_range": self.headers.get("If-Range"),
                "body": body,
                "agent": self.headers.get("User-Agent"),
                "t": time.monotonic(),
            }
        )

    def _send(self, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = urlsplit(self.path).path
        if path in self.server.fail_once:
            self.server.fail_once.discard(path)
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        # S3 style: the ETag of a single-part upload is the content's MD5
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
        if path in self.server.corrupt:
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        start, status = 0, 200
        rng = None if self.server.ignore_range else self.headers.get("Range")
        if rng and self.headers.get("If-Range", etag) == etag:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data) - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        cut = self.server.cut.pop(path, None)
        if cut is not None:  # send part of the body, then drop the connection
            self.wfile.write(data[start : start + cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    def do_GET(self) -> None:
        self._record()
        parts = urlsplit(self.path)
        if parts.path.startswith("/api/current/gbOpen/VNM/"):
            level = parts.path.rstrip("/").rsplit("/", 1)[-1]
            file = SERVER_ROOT / "gb" / f"api-{level}.json"
            if level in self.server.missing_levels or not file.is_file():
                self.send_error(404)
                return
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            self._send(file.read_text().replace("{base}", base).encode(), "application/json")
            return
        if parts.path == "/ocid/downloads":
            query = parse_qs(parts.query)
            if query.get("token") != [TOKEN] or query.get("type") != ["mcc"]:
                self.send_error(403)
                return
            file = SERVER_ROOT / "ocid" / query["file"][0]
        else:
            file = SERVER_ROOT / parts.path.lstrip("/")
        if not file.is_file() or ".." in parts.path:
            self.send_error(404)
            return
        self._send(file.read_bytes())

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self._record(body)
        query = parse_qs(body).get("data", [""])[0]
        layer = "places" if '"place"' in query else "power" if '"power"' in query else "roads"
        if self.server.overpass_error:
            doc = {"elements": [], "remark": 'runtime error: Query timed out in "query"'}
            self._send(json.dumps(doc).encode(), "application/json")
            return
        self._send((SERVER_ROOT / "overpass" / f"{layer}.json").read_bytes(), "application/json")


@pytest.fixture
def server(monkeypatch):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.log, httpd.cut, httpd.fail_once, httpd.overpass_error = [], {}, set(), False
    httpd.missing_levels, httpd.ignore_range, httpd.corrupt = set(), False, set()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    for key, value in {
        "COVGAP_COPERNICUS_URL": f"{base}/copernicus",
        "COVGAP_SRTM_URL": base,
        "COVGAP_WORLDCOVER_URL": base,
        "COVGAP_OVERPASS_URL": f"{base}/api/interpreter",
        "COVGAP_OPENCELLID_URL": f"{base}/ocid/downloads",
        "COVGAP_GEOBOUNDARIES_URL": base,
        "OPENCELLID_API_KEY": TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _fetch(tmp_path: Path, **kwargs):
    fetcher = Fetcher(
        cache=tmp_path / "cache", min_interval_s=0.0, retries=kwargs.pop("retries", 3)
    )
    area = resolve_area(bbox=BBOX)
    return fetch_scenario(tmp_path / "out", area, fetcher=fetcher, margin_km=5.0, **kwargs)


def test_fetch_bbox_writes_a_scenario_that_covgap_reads(server, tmp_path):
    result = _fetch(tmp_path)
    paths = [e["path"] for e in server.log]
    # the real layouts: 2 Copernicus tiles (W edge 102.9 crosses 103°E), 1 WorldCover tile
    assert sorted(p for p in paths if p.startswith("/copernicus")) == [
        "/copernicus/Copernicus_DSM_COG_10_N22_00_E102_00_DEM/Copernicus_DSM_COG_10_N22_00_E102_00_DEM.tif",
        "/copernicus/Copernicus_DSM_COG_10_N22_00_E103_00_DEM/Copernicus_DSM_COG_10_N22_00_E103_00_DEM.tif",
    ]
    assert WC_PATH in paths
    assert [e["method"] for e in server.log].count("POST") == 3
    assert all(e["agent"].startswith("covgap/") for e in server.log)
    scenario = load_scenario(result.scenario_file)
    assert "DRAFT" in scenario.name
    villages = read_villages(scenario.villages)
    assert len(villages) == 5 and villages["source"].str.contains("DRAFT").all()
    assert villages.loc[villages["village_id"] == "osm-node-401", "name"].item() == "Bản Nậm Tăm"
    sites = read_sites(scenario.site_files[0])
    assert set(sites["carrier"]) == {"Viettel", "VNPT", "MobiFone"}
    assert sites["position_note"].str.contains("crowdsourced").all()
    terrain = read_dem(scenario.dem)
    west, south, east, north = rasterio.transform.array_bounds(
        *terrain.heights.shape, terrain.transform
    )
    # cropped to the bbox plus the 5 km margin (0.045° lat, ~0.049° lon)
    assert west == pytest.approx(102.9014, abs=0.01) and east == pytest.approx(103.1486, abs=0.01)
    assert south == pytest.approx(22.255, abs=0.01) and north == pytest.approx(22.445, abs=0.01)
    assert terrain.heights.max() > 1000  # the ridge at 103.02°E across the tile seam
    assert terrain.meta["void_cells"] == 0
    # on the tiles' own pixel grid (30" here): no half-pixel resampling shift
    assert (terrain.transform.c * 120) == pytest.approx(round(terrain.transform.c * 120), abs=1e-6)
    assert (terrain.transform.f * 120) == pytest.approx(round(terrain.transform.f * 120), abs=1e-6)
    with rasterio.open(result.files["landcover"]) as ds:
        assert set(ds.read(1).ravel()) <= {10, 20, 30, 40, 50, 80}
    from covgap.plan.roads import read_roads

    roads = read_roads(scenario.roads)
    assert dict(zip(roads["highway"], roads["road_class"], strict=True)) == {
        "primary": "national",
        "tertiary": "commune",
        "track": "track",
    }


def test_covgap_run_on_the_fetched_scenario(server, tmp_path):
    from covgap.cli.run import run

    result = _fetch(tmp_path)
    out = tmp_path / "maps"
    cli = CliRunner().invoke(run, ["--config", str(result.scenario_file), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "5 villages" in cli.output
    # districts from geoBoundaries: every village has one (Bát Xát is Lào Cai's, in the bbox)
    assert "Sìn Hồ" in cli.output and "Tam Đường" in cli.output and "Bát Xát" in cli.output
    assert " ? " not in cli.output
    assert any(out.iterdir())


def test_second_call_hits_the_cache_only(server, tmp_path):
    first = _fetch(tmp_path)
    assert first.from_network == 13  # 2 DEM, 1 WorldCover, 3 Overpass, 1 cells, 6 admin
    n = len(server.log)
    second = _fetch(tmp_path)
    assert len(server.log) == n  # not one request
    assert second.from_network == 0 and {d.how for d in second.downloads} == {"cache"}
    assert second.files.keys() == first.files.keys()
    # content-addressed: one object per distinct content
    objects = list((tmp_path / "cache" / "objects").rglob("*"))
    assert sum(p.is_file() for p in objects) == 13


def test_interrupted_download_resumes_with_range(server, tmp_path):
    size = (SERVER_ROOT / WC_PATH.lstrip("/")).stat().st_size
    server.cut[WC_PATH] = 4000
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0, retries=0)
    url = f"http://127.0.0.1:{server.server_address[1]}{WC_PATH}"
    with pytest.raises(DataFileError, match="run the same command again to resume"):
        fetcher.get(url, name=WC_NAME)
    parts = list((tmp_path / "cache" / "partial").glob("*.part"))
    assert [p.stat().st_size for p in parts] == [4000]
    got = fetcher.get(url, name=WC_NAME)
    assert got.how == "resumed"
    last = server.log[-1]
    assert last["range"] == "bytes=4000-" and last["if_range"].startswith('"')
    assert got.size == size
    assert (
        got.sha256 == hashlib.sha256((SERVER_ROOT / WC_PATH.lstrip("/")).read_bytes()).hexdigest()
    )
    assert not list((tmp_path / "cache" / "partial").glob("*.part"))


@pytest.mark.parametrize("how", ["server ignores Range", "file changed (If-Range)"])
def test_a_resume_the_server_cannot_honour_starts_over(server, tmp_path, how):
    server.cut[WC_PATH] = 4000
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0, retries=0)
    url = f"http://127.0.0.1:{server.server_address[1]}{WC_PATH}"
    with pytest.raises(DataFileError):
        fetcher.get(url, name=WC_NAME)
    if how == "server ignores Range":
        server.ignore_range = True
    else:
        next((tmp_path / "cache" / "partial").glob("*.etag")).write_text('"stale"')
    fetcher.progress = True  # the progress bar on the way (tqdm on stderr)
    got = fetcher.get(url, name=WC_NAME)
    assert got.how == "downloaded"
    assert (
        got.sha256 == hashlib.sha256((SERVER_ROOT / WC_PATH.lstrip("/")).read_bytes()).hexdigest()
    )


def test_a_broken_transfer_resumes_within_one_call(server, tmp_path):
    server.cut[WC_PATH] = 3000
    result = _fetch(tmp_path, what=("landcover",))
    assert [d.how for d in result.downloads] == ["resumed"]
    ranges = [e["range"] for e in server.log if e["path"] == WC_PATH]
    assert ranges == [None, "bytes=3000-"]


def test_two_runs_sharing_a_cache_download_once(server, tmp_path):
    url = f"http://127.0.0.1:{server.server_address[1]}{WC_PATH}"
    results = []

    def one() -> None:
        fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
        results.append(fetcher.get(url, name=WC_NAME))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.how for r in results) == ["cache", "cache", "downloaded"]
    assert [e["path"] for e in server.log].count(WC_PATH) == 1
    assert len({r.sha256 for r in results}) == 1


def test_retry_after_a_503(server, tmp_path):
    server.fail_once.add(WC_PATH)
    result = _fetch(tmp_path, what=("landcover",))
    assert [e["path"] for e in server.log].count(WC_PATH) == 2
    assert result.downloads[0].how == "downloaded"


def test_throttle_spaces_requests_to_one_host(server, tmp_path):
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.3)
    fetch_scenario(
        tmp_path / "out",
        resolve_area(bbox=BBOX),
        what=("dem", "landcover"),
        fetcher=fetcher,
        margin_km=5.0,
    )
    times = [e["t"] for e in server.log]
    assert len(times) == 3
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.28


def test_a_corrupted_transfer_fails_the_md5_etag_check(server, tmp_path):
    server.corrupt.add(WC_PATH)  # right length, one byte flipped
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    url = f"http://127.0.0.1:{server.server_address[1]}{WC_PATH}"
    with pytest.raises(DataFileError, match="does not match the server's MD5"):
        fetcher.get(url, name=WC_NAME)
    assert not list((tmp_path / "cache" / "objects").rglob("*.tif"))
    server.corrupt.clear()
    assert fetcher.get(url, name=WC_NAME).how == "downloaded"


def test_checksum_mismatch_and_http_errors(server, tmp_path):
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    url = f"http://127.0.0.1:{server.server_address[1]}{WC_PATH}"
    with pytest.raises(DataFileError, match="checksum mismatch"):
        fetcher.get(url, name=WC_NAME, sha256="0" * 64)
    with pytest.raises(DataFileError, match="HTTP 404"):
        fetcher.get(url.replace("N21E102", "N99E102"), name="missing.tif")
    server.overpass_error = True
    with pytest.raises(DataFileError, match="Overpass answered with an error"):
        _fetch(tmp_path, what=("roads",))


def test_a_tile_the_source_lacks_is_left_out(server, tmp_path, caplog):
    # a bbox reaching north of 23°N, into tiles the fixtures lack (as over open sea)
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    area = resolve_area(bbox=(102.95, 22.90, 103.10, 23.05))
    result = fetch_scenario(tmp_path / "out", area, what=("dem",), fetcher=fetcher, margin_km=1)
    assert "Copernicus_DSM_COG_10_N23_00_E103_00_DEM.tif: no such tile" in caplog.text
    assert len(result.downloads) == 2  # N22E102, N22E103
    with pytest.raises(DataFileError, match="no tile"):
        fetch_scenario(
            tmp_path / "out2",
            resolve_area(bbox=(50.1, 10.1, 50.2, 10.2)),
            what=("dem",),
            fetcher=fetcher,
            margin_km=1,
        )


def test_srtm_alternative(server, tmp_path):
    result = _fetch(tmp_path, what=("dem",), dem_source="srtm")
    assert [e["path"] for e in server.log] == [
        "/skadi/N22/N22E102.hgt.gz",
        "/skadi/N22/N22E103.hgt.gz",
    ]
    terrain = read_dem(result.files["dem"])
    assert result.files["dem"].name == "dem_srtm.tif"
    assert float(terrain.heights.min()) > 50 and float(terrain.heights.max()) > 1000


def test_sources_and_licences_are_stamped_everywhere(server, tmp_path):
    result = _fetch(tmp_path)
    out = tmp_path / "out"
    toml = result.scenario_file.read_text(encoding="utf-8")
    for text in ("ODbL", "CC BY 4.0", "CC BY-SA 4.0", "Copernicus DEM licence", "landcover ="):
        assert text in toml
    with rasterio.open(result.files["dem"]) as ds:
        assert "COPERNICUS" in ds.tags()["ATTRIBUTION"] and ds.tags()["RETRIEVED"]
    with rasterio.open(result.files["landcover"]) as ds:
        assert ds.tags()["LICENCE"] == "CC BY 4.0"
    meta = pyogrio.read_info(result.files["roads"], layer="roads")["layer_metadata"]
    assert "ODbL" in meta["LICENCE"]
    assert "OpenCelliD" in read_sites(result.files["cells"])["source"].iloc[0]
    manifest = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert manifest["admin_layers"]["districts"]["boundaryLicense"] == "Public Domain"
    assert len(manifest["downloads"]) == 13 and manifest["counts"]["villages_draft"] == 5
    assert "OpenStreetMap contributors" in (out / "SOURCES.md").read_text(encoding="utf-8")
    # the API token is never written, in the outputs nor in the cache
    for path in [*out.rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_boundary_clips_places_and_becomes_admin(server, tmp_path):
    from shapely.geometry import box

    boundary = tmp_path / "province.geojson"
    gpd.GeoDataFrame(
        {"name": ["Test"]}, geometry=[box(102.95, 22.30, 103.04, 22.40)], crs=4326
    ).to_file(boundary)
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    result = fetch_scenario(
        tmp_path / "out",
        resolve_area(boundary=boundary),
        what=("places",),
        fetcher=fetcher,
        margin_km=1.0,
    )
    villages = read_villages(result.files["places"])
    assert sorted(villages["village_id"]) == ["osm-node-401", "osm-node-402", "osm-node-404"]
    assert gpd.read_file(result.files["admin"], layer="province")["name"].item() == "Test"


def test_offline_fails_fast_and_says_what_to_download(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for env in (
        "COVGAP_COPERNICUS_URL",
        "COVGAP_WORLDCOVER_URL",
        "COVGAP_OVERPASS_URL",
        "COVGAP_OPENCELLID_URL",
    ):
        monkeypatch.setenv(env, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OPENCELLID_API_KEY", TOKEN)
    args = [
        "--bbox",
        *map(str, BBOX),
        "--out",
        str(tmp_path / "out"),
        "--cache",
        str(tmp_path / "cache"),
        "--margin-km",
        "5",
    ]
    start = time.monotonic()
    cli = CliRunner().invoke(fetch_command, args)
    assert time.monotonic() - start < 2.0
    assert cli.exit_code == 1
    msg = cli.output
    assert "no network" in msg and "--dem FILE" in msg and str(tmp_path / "cache" / "manual") in msg
    assert "Copernicus_DSM_COG_10_N22_00_E103_00_DEM.tif" in msg and WC_NAME in msg
    assert "452.csv.gz" in msg and TOKEN not in msg
    assert "geoBoundaries-VNM-ADM3.api.json" in msg
    assert (tmp_path / "cache" / "manual" / "overpass_roads.overpassql").is_file()
    assert not (tmp_path / "out" / "scenario.toml").exists()


def test_files_placed_by_hand_are_used_offline(tmp_path):
    manual = tmp_path / "cache" / "manual"
    manual.mkdir(parents=True)
    for p in (SERVER_ROOT / "copernicus").rglob("*N22_00_E10[23]*.tif"):
        (manual / p.name).write_bytes(p.read_bytes())
    (manual / WC_NAME).write_bytes((SERVER_ROOT / WC_PATH.lstrip("/")).read_bytes())
    args = [
        "--bbox",
        *map(str, BBOX),
        "--out",
        str(tmp_path / "out"),
        "--cache",
        str(tmp_path / "cache"),
        "--margin-km",
        "5",
        "--offline",
        "--what",
        "dem,landcover",
    ]
    cli = CliRunner().invoke(fetch_command, args)
    assert cli.exit_code == 0, cli.output
    assert "0 over the network" in cli.output and "3 placed by hand" in cli.output
    assert (tmp_path / "out" / "dem" / "dem_copernicus.tif").is_file()


def test_a_local_osm_extract_gives_the_same_layers_as_overpass(server, tmp_path):
    extract = SERVER_ROOT / "extract" / "test_area.osm.pbf"
    args = [
        "--bbox",
        *map(str, BBOX),
        "--out",
        str(tmp_path / "pbf"),
        "--cache",
        str(tmp_path / "cache"),
        "--margin-km",
        "5",
        "--what",
        "roads,power,places",
        "--osm",
        str(extract),
    ]
    cli = CliRunner().invoke(fetch_command, args)
    assert cli.exit_code == 0, cli.output
    assert server.log == []  # nothing asked of Overpass
    from_api = _fetch(tmp_path / "api", what=("roads", "power", "places"))
    out = tmp_path / "pbf"
    pbf = {
        "roads": out / "roads" / "osm_roads.gpkg",
        "places": out / "villages" / "villages_draft_osm.csv",
        "power": out / "power" / "osm_power.gpkg",
    }
    # a footway, a town, a tower and a village 150 km away are left out, as Overpass does
    assert sorted(gpd.read_file(pbf["roads"])["osm_id"]) == sorted(
        gpd.read_file(from_api.files["roads"])["osm_id"]
    )
    a, b = read_villages(pbf["places"]), read_villages(from_api.files["places"])
    assert a["village_id"].tolist() == b["village_id"].tolist()
    assert a["grid_power"].tolist() == b["grid_power"].tolist()
    for layer in ("lines", "substations"):
        assert len(gpd.read_file(pbf["power"], layer=layer)) == len(
            gpd.read_file(from_api.files["power"], layer=layer)
        )
    meta = pyogrio.read_info(pbf["roads"], layer="roads")["layer_metadata"]
    assert "extract" in meta["SOURCE"] and "ODbL" in meta["LICENCE"]
    manifest = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert manifest["user_files"]["osm"] == str(extract) and "osm_extract" in manifest["sources"]


def test_a_broken_osm_extract_is_a_clear_error(tmp_path):
    from covgap.io.fetch.osm_file import elements_from_extract

    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(DataFileError, match="cannot read as an OSM extract"):
        elements_from_extract(bad, BBOX)


def test_user_dem_and_cell_export_replace_downloads(server, tmp_path):
    dem = tmp_path / "mine.tif"
    dem.write_bytes(next((SERVER_ROOT / "copernicus").rglob("*N22_00_E103*.tif")).read_bytes())
    cells = tmp_path / "cells.csv"
    cells.write_text(
        "mcc,mnc,lac,cellid,lon,lat,radio,samples,earfcn\n"
        "452,4,1,6553601,103.02,22.36,LTE,5,3500\n",
        encoding="utf-8",
    )
    result = _fetch(tmp_path, what=("dem", "cells"), dem_files=(dem,), cells_file=cells)
    assert server.log == []
    scenario = load_scenario(result.scenario_file)
    assert scenario.dem == (dem.resolve(),)
    sites = read_sites(scenario.site_files[0])
    assert sites["freq_mhz"].tolist() == [900]  # from the EARFCN (band 8)


def test_cli_layers_match_the_library():
    from covgap.cli.fetch import LAYER_NAMES
    from covgap.io.fetch import LAYERS

    assert LAYER_NAMES == LAYERS


def test_cli_requires_exactly_one_area_and_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENCELLID_API_KEY", raising=False)
    runner = CliRunner()
    cli = runner.invoke(fetch_command, ["--out", str(tmp_path)])
    assert cli.exit_code == 1 and "exactly one of" in cli.output
    cli = runner.invoke(fetch_command, ["--area", "Hà Giang", "--out", str(tmp_path)])
    assert cli.exit_code == 1 and "unknown area" in cli.output
    cli = runner.invoke(
        fetch_command,
        [
            "--area",
            "Lai Châu",
            "--out",
            str(tmp_path),
            "--cache",
            str(tmp_path / "c"),
            "--what",
            "cells",
        ],
    )
    assert cli.exit_code == 1 and "OPENCELLID_API_KEY" in cli.output
    cli = runner.invoke(fetch_command, ["--area", "x", "--out", str(tmp_path), "--what", "dem,foo"])
    assert cli.exit_code == 2 and "foo" in cli.output


def test_area_name_takes_the_province_from_geoboundaries(server, tmp_path):
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    result = fetch_scenario(
        tmp_path / "out",
        resolve_area(name="tỉnh Lai Châu"),
        what=("admin", "places"),
        fetcher=fetcher,
        margin_km=0.0,
    )
    admin = result.files["admin"]
    assert sorted(pyogrio.list_layers(admin)[:, 0]) == ["communes", "districts", "province"]
    assert gpd.read_file(admin, layer="province")["province"].tolist() == ["Lai Châu"]
    districts = gpd.read_file(admin, layer="districts")
    assert sorted(districts["district"]) == ["Sìn Hồ", "Tam Đường"]  # not Lào Cai's Bát Xát
    communes = gpd.read_file(admin, layer="communes").set_index("commune")
    assert communes.loc["Nậm Tăm", "district"] == "Sìn Hồ"
    assert communes.loc["Bản Bo", "district"] == "Tam Đường"
    # the draft villages are cut to the province's polygon
    villages = read_villages(result.files["places"])
    assert sorted(villages["village_id"]) == ["osm-node-401", "osm-node-402", "osm-node-404"]
    meta = pyogrio.read_info(admin, layer="districts")["layer_metadata"]
    assert "geoBoundaries" in meta["ATTRIBUTION"]


def test_a_missing_admin_level_is_skipped(server, tmp_path, caplog):
    server.missing_levels.add("ADM3")
    fetcher = Fetcher(cache=tmp_path / "cache", min_interval_s=0.0)
    result = fetch_scenario(
        tmp_path / "out", resolve_area(bbox=BBOX), what=("admin",), fetcher=fetcher, margin_km=0.0
    )
    assert sorted(pyogrio.list_layers(result.files["admin"])[:, 0]) == ["districts", "province"]
    assert "no VNM ADM3 layer" in caplog.text
