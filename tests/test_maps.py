"""Tests of covgap.outputs.maps and covgap.outputs.labels: render the HTML and assert on it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from jinja2.utils import htmlsafe_json_dumps
from shapely.geometry import Point, box

from covgap.config import Thresholds
from covgap.errors import DataFileError, InputError
from covgap.io.locale import LANGS, format_number
from covgap.outputs.labels import LABELS, label, rename_columns
from covgap.outputs.maps import CLASS_COLOURS, coverage_map, save_map

folium = pytest.importorskip("folium")

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
REPO = Path(__file__).resolve().parents[1]


def _village(i, cls, name, lon, lat, **extra):
    covered = cls == "covered"
    row = {
        "village_id": f"V{i:03d}",
        "name": name,
        "commune": "Xã Pa Tần" if i % 2 else "Xã Mường Tè",
        "district": "Sìn Hồ" if i % 2 else "Mường Tè",
        "households": 40.0 + i,
        "population": 200.0 + 5 * i,
        "grid_power": i % 3 != 0,
        "especially_difficult": True,
        "cluster_1_lon": np.nan,
        "cluster_1_lat": np.nan,
        "cluster_2_lon": np.nan,
        "cluster_2_lat": np.nan,
        "coverage_class": cls,
        "rsrp_dbm": {"covered": -98.4, "low_signal": -110.2, "white": np.nan}[cls],
        "min_cluster_rsrp_dbm": np.nan,
        "best_carrier": "Viettel" if cls != "white" else None,
        "best_site_id": "VT-0001" if cls != "white" else None,
        "best_site_km": 2.4 if cls != "white" else np.nan,
        "los": covered,
        "obstacle_lon": np.nan if covered else lon + 0.01,
        "obstacle_lat": np.nan if covered else lat + 0.01,
        "obstacle_height_m": np.nan if covered else 1450.0,
        "obstacle_dist_km": np.nan if covered else 3.2,
        "nearest_site_id": "VT-0001",
        "nearest_site_carrier": "Viettel",
        "nearest_site_km": 6.8,
        "rsrp_viettel_dbm": -98.4 if covered else -121.0,
        "class_viettel": cls,
        "rsrp_vnpt_dbm": np.nan,
        "class_vnpt": "white",
        "rsrp_mobifone_dbm": -119.5,
        "class_mobifone": "white",
        "best_2g_dbm": -90.0,
        "best_3g_dbm": np.nan,
        "services": "2G 4G" if covered else "2G",
        "reason": f"reason-en-{i}: blocked by a ridge 1,450 m high 3.2 km from the village",
        "reason_vi": f"ly-do-{i}: bị che chắn bởi dãy núi cao 1.450 m",
        "geometry": Point(lon, lat),
    }
    row.update(extra)
    return row


@pytest.fixture
def villages():
    rows = [
        _village(1, "covered", "Bản Nà Hừ", 103.20, 22.30),
        _village(2, "covered", "Bản Pa Tần", 103.25, 22.32),
        _village(3, "low_signal", "Bản Huổi Luông", 103.30, 22.35),
        _village(4, "low_signal", HOSTILE_IMG, 103.35, 22.36),
        _village(5, "white", HOSTILE_SCRIPT, 103.40, 22.40, reason_vi="<b>x</b> & y"),
        _village(6, "white", "Bản Xà Dề Phìn", 103.45, 22.45, grid_power=pd.NA),
    ]
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf["grid_power"] = gdf["grid_power"].astype("boolean")
    gdf["especially_difficult"] = gdf["especially_difficult"].astype("boolean")
    return gdf


@pytest.fixture
def sites():
    rows = []
    specs = [
        ("VT-0001", "Viettel", 103.22, 22.31, 40.0),
        ("VT-0002", "Viettel", 103.42, 22.42, 35.0),
        ("VNP-001", "VNPT", 103.28, 22.33, 30.0),
        ("MB-001", "MobiFone", 103.33, 22.38, 45.0),
    ]
    for site_id, carrier, lon, lat, height in specs:
        for k, (tech, freq) in enumerate([("4G", 1800), ("4G", 1800), ("2G", 900)]):
            rows.append(
                {
                    "site_id": site_id,
                    "sector_id": f"{site_id}-{k}",
                    "carrier": carrier,
                    "technology": tech,
                    "freq_mhz": freq,
                    "height_m": height,
                    "azimuth_deg": 120.0 * k,
                    "geometry": Point(lon, lat),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


@pytest.fixture
def districts():
    return gpd.GeoDataFrame(
        {"district_code": ["107", "108"], "district": ["Sìn Hồ", "Mường <b>Tè</b>"]},
        geometry=[box(103.1, 22.2, 103.3, 22.5), box(103.3, 22.2, 103.5, 22.5)],
        crs="EPSG:4326",
    )


@pytest.fixture
def communes():
    return gpd.GeoDataFrame(
        {"commune_code": ["1", "2"], "commune": ["Xã Pa Tần", "Xã Mường Tè"]},
        geometry=[box(103.1, 22.2, 103.3, 22.35), box(103.3, 22.35, 103.5, 22.5)],
        crs="EPSG:4326",
    )


@pytest.fixture
def info():
    return {"model": "P.1812-like + COST-231", "date": "2025-07-01", "synthetic": True}


def _js(text):
    """A string as folium's templates write it into the page (Jinja ``tojson``)."""
    return str(htmlsafe_json_dumps(text))


def _render(m):
    return m.get_root().render()


@pytest.fixture
def page(villages, sites, districts, communes, info):
    m = coverage_map(villages, sites, districts=districts, communes=communes, info=info)
    return _render(m)


# --- labels ---------------------------------------------------------------------------


def test_label_languages_and_unknown_key():
    assert label("village_id") == "Mã thôn"
    assert label("village_id", "en") == "Village ID"
    assert label("low_signal", "vi") == "Vùng lõm (sóng yếu)"
    assert label("white", "en") == "White zone"
    assert label("not_a_key", "en") == "not_a_key"
    with pytest.raises(InputError, match="unknown language"):
        label("name", "fr")
    assert all(set(v) == set(LANGS) and all(v.values()) for v in LABELS.values())


def test_labels_cover_every_design_column(villages, sites):
    columns = [c for c in [*villages.columns, *sites.columns] if c != "geometry"]
    missing = [c for c in columns if c not in LABELS]
    assert missing == []


def test_rename_columns(villages):
    out = rename_columns(villages, "en", columns=["village_id", "name", "coverage_class"])
    assert list(out.columns) == ["Village ID", "Village", "Class"]
    assert "Tên thôn/bản" in rename_columns(villages).columns
    assert "geometry" in rename_columns(villages).columns


def test_format_number():
    assert format_number(1450.0, 0, "vi") == "1.450"
    assert format_number(1450.0, 0, "en") == "1,450"
    assert format_number(3.25, 1, "vi") == "3,2"
    assert format_number(-105.0, 0, "en") == "\u2212105"
    assert format_number(np.nan) == ""


# --- map content ------------------------------------------------------------------------


def test_one_layer_per_class_and_carrier(page):
    for cls in ("Có sóng", "Vùng lõm (sóng yếu)", "Vùng trắng (không có sóng)"):
        assert _js(f"Thôn/bản: {cls} (2)") + " : covgap_layer_" in page
    assert _js("Trạm BTS Viettel (2)") + " : covgap_layer_" in page
    assert _js("Trạm BTS VNPT (1)") + " : covgap_layer_" in page
    assert _js("Trạm BTS MobiFone (1)") + " : covgap_layer_" in page
    assert "L.control.layers(" in page
    assert page.count("= covgap.villages(") == 3
    assert page.count("= covgap.sites(") == 3
    assert page.count('= L.geoJson({"type":"FeatureCollection"') == 2  # boundaries


def test_one_marker_per_physical_site(page):
    # 12 sectors on 4 sites: each site_id appears as one feature with 3 sectors
    assert page.count('"t":"VT-0001"') == 1
    assert '"v":["VT-0001","Viettel","40 m","2G 4G","900 1800","3"]' in page


def test_colours_and_legend_with_thresholds(villages, sites):
    page = _render(coverage_map(villages, sites, thresholds=Thresholds(-100.0, -112.5), lang="en"))
    assert "Village classes by 4G signal" in page
    assert "RSRP ≥ \u2212100 dBm" in page
    assert "\u2212112.5 ≤ RSRP &lt; \u2212100 dBm" in page
    assert "RSRP &lt; \u2212112.5 dBm or no site in range" in page
    for colour in CLASS_COLOURS.values():
        assert colour in page


def test_popups_hold_facts_and_reasons_vi(page):
    for text in ("Xã Pa Tần", "Sìn Hồ", "Mã thôn", "Số hộ", "Nhân khẩu", "Điện lưới"):
        assert text in page
    assert '"V003","Xã Pa Tần","Sìn Hồ","43","215","Không"' in page  # households, population
    assert '"−110,2 (Viettel)"' in page and "dBm (Viettel)" not in page  # unit in the label
    assert "Bị che chắn bởi dãy núi cao 1.450 m, cách thôn 3,2 km" in page
    assert "VT-0001, cách 2,4 km" in page  # serving site
    assert "VT-0001 (Viettel), cách 6,8 km" in page  # nearest site
    assert "ly-do-3: bị che chắn" in page
    assert "Chưa rõ" in page  # unknown grid power
    assert "Không có trạm trong tầm" in page  # white village without RSRP


def test_popups_english(villages, sites):
    page = _render(coverage_map(villages, sites, lang="en"))
    assert "Village ID" in page and "Households" in page and "Grid power" in page
    assert _js("Villages: White zone (2)") in page
    assert "Blocked by a ridge 1,450 m high 3.2 km from the village" in page
    assert "reason-en-3" in page and "ly-do-3" not in page
    assert "Mã thôn" not in page


def test_hostile_names_are_escaped(page, villages, sites):
    for raw in (HOSTILE_SCRIPT, HOSTILE_IMG, "<script>alert", "<img src=x onerror", "<b>x</b>"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in page
    assert "Mường &lt;b&gt;Tè&lt;/b&gt;" in page  # district name from a boundary file
    # a hostile carrier name reaches the layer control and the popups escaped
    bad = sites.assign(carrier=HOSTILE_IMG)
    page = _render(coverage_map(villages, bad, lang="en"))
    assert HOSTILE_IMG not in page
    assert _js("&lt;img src=x onerror=alert(1)&gt; BTS sites (4)") in page


def test_boundaries_and_synthetic_notice(page):
    assert _js("Ranh giới huyện") in page and _js("Ranh giới xã") in page
    assert '"t":"Sìn Hồ"' in page
    assert "DỮ LIỆU GIẢ LẬP" in page
    assert "P.1812-like + COST-231" in page and "2025-07-01" in page


def test_no_synthetic_notice_for_real_data(villages, sites):
    page = _render(coverage_map(villages, sites, info={"synthetic": False}, title="T <1>"))
    assert "DỮ LIỆU GIẢ LẬP" not in page
    assert "T &lt;1&gt;" in page


def test_communes_off_by_default(villages, sites, communes):
    m = coverage_map(villages, sites, communes=communes)
    layers = {
        c.layer_name: c
        for c in m._children.values()
        if hasattr(c, "layer_name") and getattr(c, "overlay", True)
    }
    assert layers["Ranh giới xã"].show is False
    assert all(v.show for k, v in layers.items() if k != "Ranh giới xã")


def test_fit_bounds_and_leaflet_only(page):
    # the page fits the villages itself, once it has measured the title and legend boxes
    assert "fitBounds" in page and "C.fitClear = function" in page
    # villages (22.3-22.45 N, 103.2-103.45 E) and districts (22.2-22.5 N, 103.1-103.5 E)
    assert '"bounds":[[22.2,103.1],[22.5,103.5]]' in page
    assert "leaflet@1.9.3/dist/leaflet.js" in page
    assert "jquery" not in page and "bootstrap" not in page


def test_projected_input_is_reprojected(villages, sites):
    page = _render(coverage_map(villages.to_crs(9205), sites.to_crs(9205)))
    assert "[103.2,22.3]" in page


def test_coordinates_rounded(villages, sites):
    villages = villages.copy()
    villages.loc[0, "geometry"] = Point(103.123456789, 22.987654321)
    assert "[103.12346,22.98765]" in _render(coverage_map(villages, sites))


def test_bad_class_and_lang(villages, sites):
    with pytest.raises(InputError, match="coverage_class"):
        coverage_map(villages.assign(coverage_class="grey"), sites)
    with pytest.raises(InputError, match="coverage_class"):
        coverage_map(villages.drop(columns="coverage_class"), sites)
    with pytest.raises(InputError, match="language"):
        coverage_map(villages, sites, lang="fr")


def test_minimal_columns(sites):
    gdf = gpd.GeoDataFrame(
        {"village_id": ["A"], "name": ["Bản A"], "coverage_class": ["white"]},
        geometry=[Point(103.3, 22.3)],
        crs="EPSG:4326",
    )
    page = _render(coverage_map(gdf, sites.iloc[:0]))
    assert '"t":"Bản A","v":["A",null,null,null,null,null,"Vùng trắng (không có sóng)"' in page


# --- save_map ---------------------------------------------------------------------------


def test_save_map_atomic(tmp_path, villages, sites):
    m = coverage_map(villages, sites)
    target = tmp_path / "maps" / "coverage.html"
    assert save_map(m, target) == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Mã thôn" in text
    assert os.listdir(target.parent) == ["coverage.html"]
    # replaced on success
    save_map(coverage_map(villages, sites, lang="en"), target)
    assert "Village ID" in target.read_text(encoding="utf-8")


def test_save_map_keeps_old_file_on_failure(tmp_path, villages, sites, monkeypatch):
    target = tmp_path / "coverage.html"
    target.write_text("old", encoding="utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(DataFileError, match="disk full"):
        save_map(coverage_map(villages, sites), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["coverage.html"]


def test_save_map_inline_assets(tmp_path, villages, sites):
    pytest.importorskip("xstatic.pkg.leaflet", reason="xstatic-leaflet not installed")
    target = save_map(coverage_map(villages, sites), tmp_path / "m.html", inline_assets=True)
    text = target.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/leaflet" not in text
    assert "Leaflet 1.9.3" in text  # leaflet.js banner
    assert ".leaflet-control-layers-toggle" in text and "data:image/png;base64," in text


def test_save_map_inline_assets_missing_folder(tmp_path, villages, sites):
    with pytest.raises(DataFileError, match=r"leaflet\.js"):
        save_map(coverage_map(villages, sites), tmp_path / "m.html", inline_assets=tmp_path)
    assert not (tmp_path / "m.html").exists()


# --- issue 5: basemaps, hillshade, clusters, wedges, links, highlight, tools -----------


@pytest.fixture
def terrain(tmp_path):
    from conftest import write_tiny_scenario

    from covgap.io.readers import read_dem

    return read_dem(write_tiny_scenario(tmp_path / "tiny")["dem"])


def test_base_layers(page):
    assert "tile.openstreetmap.org" in page
    assert "basemaps.cartocdn.com/light_all" in page
    assert _js("Bản đồ nền sáng (CARTO Positron)") + " : tile_layer_" in page
    assert _js("Không có bản đồ nền (ngoại tuyến)") + " : covgap_layer_" in page
    # the layer control opens on hover: expanded it would cover a laptop screen
    assert '"collapsed": true' in page


def test_hillshade_overlay(villages, sites, terrain):
    page = _render(coverage_map(villages, sites, terrain=terrain, lang="en"))
    assert 'L.imageOverlay("data:image/png;base64,' in page
    assert "covgap.pane(" in page and '"cgRelief", 250, "multiply"' in page
    assert _js("Terrain (DEM hillshade)") in page
    assert 'L.imageOverlay("data:' not in _render(coverage_map(villages, sites))


def test_relief_png(terrain):
    import io

    from PIL import Image

    from covgap.outputs.maps import relief_png

    png, bounds = relief_png(terrain, max_px=200)
    image = np.asarray(Image.open(io.BytesIO(png)))
    assert png.startswith(b"\x89PNG") and max(image.shape) == 200
    (south, west), (north, east) = bounds
    assert south == pytest.approx(22.0, abs=1e-3) and north == pytest.approx(22.2, abs=1e-3)
    assert west == pytest.approx(103.0, abs=1e-3) and east == pytest.approx(103.3, abs=1e-3)
    assert image[0, 0] == 255  # the nodata corner is white (neutral when multiplied)
    ridge = image[:, int(image.shape[1] * 0.5) : int(image.shape[1] * 0.55)]
    assert ridge.min() < 200 and np.median(image) >= 240  # shadows on the ridge only
    assert len(np.unique(image)) <= 16


def test_clustering(villages, sites, page):
    assert 'leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js"></script>' in page
    assert page.count('"cluster":true') == 1 and page.count('"cluster":false') == 2
    every = _render(coverage_map(villages, sites, cluster=("covered", "low_signal", "white")))
    assert every.count('"cluster":true') == 3
    assert _render(coverage_map(villages, sites, cluster=())).count('"cluster":true') == 0
    with pytest.raises(InputError, match="cluster"):
        coverage_map(villages, sites, cluster=("grey",))


def test_sector_wedges(villages, sites):
    sites = sites.copy()
    sites.loc[sites["sector_id"] == "MB-001-2", "azimuth_deg"] = np.nan  # omni 2G sector
    page = _render(coverage_map(villages, sites, lang="en"))
    # lower band, longer wedge; one entry per distinct (azimuth, beamwidth, kind)
    assert '"kinds":[[600.0,"2G 900 MHz",null],[200.0,"4G 1800 MHz",null]]' in page
    assert '"w":[[240,65,0],[0,65,1],[120,65,1]]' in page
    assert '"w":[[null,360,0],[0,65,1],[120,65,1]]' in page
    assert "2G 900 MHz 600 m · 4G 1800 MHz 200 m" in page  # legend


def test_village_links(page):
    # serving site, nearest site (carrier|site_id keys, as the site layers register them)
    assert '"l":["Viettel|VT-0001","Viettel|VT-0001",22.36,103.31]' in page
    assert '"k":"Viettel|VT-0001"' in page
    assert '"l":[null,"Viettel|VT-0001",22.41,103.41]' in page  # white: no serving site


def test_highlight(villages, sites):
    page = _render(coverage_map(villages, sites, highlight=["V005", "V006", "nope"], lang="en"))
    assert _js("Request-list villages (2)") + " : covgap_layer_" in page
    assert "covgap.rings(" in page and "[[103.4,22.4],[103.45,22.45]]" in page
    assert page.count("In the request list") == 2
    assert 'class="ring"' in page  # legend
    plain = _render(coverage_map(villages, sites, lang="en"))
    assert "covgap.rings(" not in plain and "In the request list" not in plain


def test_search_and_tools(page):
    assert "covgap.tools(" in page
    assert '"search":"Tìm thôn/bản…"' in page and '"decimal":","' in page
    for url in (
        "leaflet-search@4.0.0/dist/leaflet-search.min.js",
        "leaflet.fullscreen@3.0.2/Control.FullScreen.js",
        "leaflet-minimap@3.6.1/dist/Control.MiniMap.min.js",
    ):
        assert url in page
    assert "C.fold = function" in page  # diacritic-free search
    assert "C.Measure = L.Control.extend" in page


def test_hostile_site_and_commune_names(villages, sites):
    villages = villages.assign(commune=HOSTILE_SCRIPT, best_site_id=HOSTILE_IMG)
    sites = sites.assign(site_id=HOSTILE_IMG + "-" + sites["site_id"])
    page = _render(coverage_map(villages, sites, highlight=[HOSTILE_SCRIPT], lang="en"))
    for raw in (HOSTILE_SCRIPT, HOSTILE_IMG, "<img src=x onerror", "<script>alert"):
        assert raw not in page
    assert '"k":"Viettel|&lt;img src=x onerror=alert(1)&gt;-VT-0001"' in page


def test_vendored_plugins_and_licences():
    from covgap.outputs import web as _vendor

    folder = Path(_vendor.__file__).parent
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for rel in [*_vendor.PLUGIN_JS.values(), *_vendor.PLUGIN_CSS.values()]:
        assert (folder / rel).is_file(), rel
        package = rel.split("/")[0]
        assert package in readme
        assert any("lic" in f.name.lower() for f in (folder / package).iterdir()), package
    assert (folder / _vendor.OWN_JS).is_file() and (folder / _vendor.OWN_CSS).is_file()


def test_save_map_inlines_plugins(tmp_path, villages, sites):
    pytest.importorskip("xstatic.pkg.leaflet", reason="xstatic-leaflet not installed")
    target = save_map(coverage_map(villages, sites), tmp_path / "m.html", inline_assets=True)
    text = target.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in text and "cdnjs" not in text
    assert "MarkerClusterGroup" in text and "L.Control.Search" in text
    assert "MiniMap" in text and "toggleFullScreen" in text
    assert "url(data:image/svg+xml;base64," in text  # fullscreen and minimap icons
    assert "url(data:image/gif;base64," in text  # search spinner


# --- browser ------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_chromium_renders_without_js_errors(tmp_path, villages, sites, districts, communes, info):
    pytest.importorskip("xstatic.pkg.leaflet", reason="xstatic-leaflet not installed (offline)")
    m = coverage_map(villages, sites, districts=districts, communes=communes, info=info)
    html_path = save_map(m, tmp_path / "map.html", inline_assets=True)
    out = tmp_path / "map.png"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "screenshot_map.py"), str(html_path),
         "--out", str(out), "--budget-ms", "8000", "--search", "alert"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.stat().st_size > 10_000
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("probe: "))
    probe = ast.literal_eval(line[len("probe: ") :])
    assert probe["errors"] == 0 and probe["search"] == probe["fullscreen"] == 1
    assert probe["minimap"] == probe["measure"] == 1 and probe["search_index"] == 6
    assert probe["site_markers"] == 4 and probe["zoom"] >= 14
    # the search found a hostile name; its popup shows the markup as text
    assert probe["popup"] == 1 and probe["links"] >= 1
    assert probe["popup_text"].startswith(HOSTILE_SCRIPT) or probe["popup_text"].startswith(
        HOSTILE_IMG
    )


# --- issue 3: signal overlays and white / low-signal zones --------------------------------

AREA_CELL = 1 / 200  # 0.005 degree


@pytest.fixture
def area_rasters():
    """Synthetic best-server rasters over the test villages: a site in the middle."""
    from affine import Affine
    from pyproj import CRS

    from covgap.radio.rasters import AreaRasters, Grid

    rows, cols = 60, 80  # 103.1-103.5, 22.2-22.5
    grid = Grid(Affine(AREA_CELL, 0, 103.1, 0, -AREA_CELL, 22.5), CRS.from_epsg(4326), (rows, cols))
    yy, xx = np.mgrid[0:rows, 0:cols]
    dist = np.hypot(yy - 30, xx - 40)
    best = (-70.0 - 1.5 * dist).astype(np.float32)  # -70 at the site, -115 at 30 cells
    best[dist > 36] = np.nan  # out of every sector's radius: transparent
    signal = {
        ("Viettel", "4G"): best,
        ("VNPT", "4G"): best - 6,
        ("Viettel", "2G"): best + 5,
        ("any", "4G"): best,
        ("any", "2G"): best + 5,
    }
    site = {k: np.where(np.isnan(v), 0, 1).astype(np.uint16) for k, v in signal.items()}
    return AreaRasters(grid, ("VT-0001",), signal, site, {}, info={"location_margin_db": 0.0})


@pytest.fixture
def zones():
    return gpd.GeoDataFrame(
        {
            "zone_id": ["W0001", "W0001", "L0001"],
            "zone_class": ["white", "white", "low_signal"],
            "district": [HOSTILE_SCRIPT, "Sìn Hồ", "Mường Tè"],
            "commune": [HOSTILE_IMG, "Xã Pa Tần", "Xã Mường Tè"],
            "area_km2": [12.3456, 3.2, 0.75],
            "zone_area_km2": [15.5456, 15.5456, 0.75],
            "villages": [2, 0, 1],
            "households": [85.0, np.nan, 43.0],
            "population": [1210.0, np.nan, 215.0],
            "village_ids": ["V005 V006", "", "V003"],
        },
        geometry=[
            box(103.40, 22.38, 103.48, 22.48),
            box(103.30, 22.38, 103.40, 22.40),
            box(103.291234567, 22.341234567, 103.31, 22.36),
        ],
        crs="EPSG:4326",
    )


def _overlays(page):
    """Decoded RGBA arrays of every image overlay's PNG data URI."""
    import base64
    import io
    import re

    from PIL import Image

    found = re.findall(r'L\.imageOverlay\("data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(u))).convert("RGBA")) for u in found]


def _var_of(page, name_json):
    """The JS variable of the layer named ``name_json`` in the layer control."""
    import re

    return re.search(re.escape(name_json) + r" : (covgap_layer_\w+)", page).group(1)


def test_signal_overlays_layers_and_legend(villages, sites, area_rasters):
    for lang, any4g, per_carrier, two_g, legend in (
        ("vi", "Sóng 4G (RSRP) – mọi nhà mạng", "Sóng 4G (RSRP) – VNPT",
         "Sóng 2G (RxLev) – mọi nhà mạng",
         ["Lớp phủ sóng: RSRP 4G mô phỏng của trạm mạnh nhất (dBm)",
          "Xanh lá: có sóng (≥ −105 dBm) · cam: vùng lõm (−115 đến −105 dBm) · đỏ: vùng trắng "
          "(&lt; −115 dBm) · trong suốt: không trạm nào trong tầm", ">−85</span>"]),
        ("en", "4G signal (RSRP) – any carrier", "4G signal (RSRP) – VNPT",
         "2G signal (RxLev) – any carrier",
         ["Signal overlay: modelled best-server 4G RSRP (dBm)",
          "Green: covered (≥ −105 dBm) · orange: low signal (−115 to −105 dBm) · red: white zone "
          "(&lt; −115 dBm) · transparent: no site in range", ">−115</span>"]),
    ):  # fmt: skip
        page = _render(coverage_map(villages, sites, rasters=area_rasters, lang=lang))
        # any-carrier 4G, Viettel 4G, VNPT 4G, any-carrier 2G; not Viettel 2G (size)
        assert page.count('L.imageOverlay("data:') == 4 and '"cgSignal", 240' in page
        assert _js("Sóng 2G (RxLev) – Viettel") not in page
        assert "2G signal (RxLev) – Viettel" not in page
        for name in (any4g, per_carrier, two_g):
            assert _js(name) in page
        # no signal overlay is on when the map opens: the villages' classes speak first
        assert f"{_var_of(page, _js(any4g))}.addTo(" not in page
        assert f"{_var_of(page, _js(per_carrier))}.addTo(" not in page
        assert f"{_var_of(page, _js(two_g))}.addTo(" not in page
        for text in legend:
            assert text in page, text
    assert 'L.imageOverlay("data:' not in _render(coverage_map(villages, sites))


def test_signal_overlay_transparent_where_nan(villages, sites, area_rasters):
    from covgap.outputs.map_layers import RAMP_COLOURS

    page = _render(coverage_map(villages, sites, rasters=area_rasters))
    image = _overlays(page)[0]  # the any-carrier 4G layer
    alpha = image[..., 3]
    h, w = alpha.shape
    assert max(h, w) <= 900 and alpha[0, 0] == 0 and alpha[-1, -1] == 0  # NaN corners
    assert alpha[h // 2, w // 2] == 255  # the site
    rgb = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in RAMP_COLOURS}
    shown = {tuple(px) for px in image[alpha > 0][:, :3]}
    assert shown <= rgb and len(shown) == 5  # every band, and only the ramp's colours
    centre = tuple(image[h // 2, w // 2, :3])
    assert centre == tuple(int(RAMP_COLOURS[0][i : i + 2], 16) for i in (1, 3, 5))
    assert set(np.unique(alpha)) == {0, 255}
    assert 0.1 < (alpha == 0).mean() < 0.5


def test_signal_png_bounds_and_breaks(area_rasters):
    from covgap.outputs.map_layers import ramp_breaks, ramp_index, signal_png

    png, bounds = signal_png(area_rasters.signal[("any", "4G")], area_rasters.grid, max_px=100)
    (south, west), (north, east) = bounds
    assert (south, west, north, east) == pytest.approx((22.2, 103.1, 22.5, 103.5), abs=1e-6)
    assert png.startswith(b"\x89PNG") and len(png) < 5_000
    breaks = ramp_breaks(Thresholds(covered_dbm=-100, low_signal_dbm=-110), margin=2.0)
    assert breaks == (-78.0, -88.0, -98.0, -108.0)
    values = np.array([np.nan, -70, -80, -90, -98, -98.1, -108, -108.1, -150], dtype=np.float32)
    assert ramp_index(values, breaks).tolist() == [0, 1, 2, 3, 3, 4, 4, 5, 5]


def test_signal_legend_states_margin(villages, sites, area_rasters):
    area_rasters.info["location_margin_db"] = 10.3
    page = _render(coverage_map(villages, sites, rasters=area_rasters, lang="en"))
    assert "Green: covered (≥ −94.7 dBm) · orange: low signal (−104.7 to −94.7 dBm)" in page
    assert ">−74.7</span>" in page and ">−104.7</span>" in page  # the ramp's ticks
    assert "Thresholds include a 10.3 dB location-variability margin." in page
    assert "Green: covered" not in _render(coverage_map(villages, sites, lang="en"))


def test_zone_layers_popups_and_names(villages, sites, zones):
    page = _render(coverage_map(villages, sites, zones=zones, lang="en"))
    assert page.count("covgap.popup(p, rows)") == 2 and '"cgKind"' not in page
    assert _js("White zones: areas (1)") in page and _js("Low-signal zones: areas (1)") in page
    assert "White and low-signal zones (areas)" in page and "zones under 0.1 km² left out" in page
    assert "Green: covered" not in page  # no ramp without rasters
    assert '"Area (part in this commune)"' in page and '"People inside"' in page
    assert '"12.3 km²"' in page and '"15.5 km²"' in page and '"1,210"' in page
    assert '"V005 V006"' in page and '"t":"White zone W0001"' in page
    # the whole zone's area is shown only when the piece is a part of it
    assert page.count('"0.75 km²",null') == 1
    assert "[103.2912,22.3412]" in page and "103.29123" not in page  # rounded coordinates
    vi = _render(coverage_map(villages, sites, zones=zones))
    assert _js("Vùng trắng: khu vực (1)") in vi and _js("Vùng lõm: khu vực (1)") in vi
    assert '"Số dân bên trong"' in vi and '"12,3 km²"' in vi and '"1.210"' in vi
    assert "Khu vực vùng trắng, vùng lõm" in vi


def test_zone_popups_escape_hostile_names(villages, sites, zones):
    page = _render(coverage_map(villages, sites, zones=zones))
    assert HOSTILE_SCRIPT not in page and HOSTILE_IMG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_zones_pair_and_bad_inputs(villages, sites, zones, area_rasters):
    from covgap.outputs.maps import coverage_map as cm

    summary = pd.DataFrame({"district": ["x"]})
    page = _render(cm(villages, sites, zones=(zones, summary), lang="en"))
    assert _js("White zones: areas (1)") in page
    with pytest.raises(InputError, match="rasters"):
        cm(villages, sites, rasters=zones)
    with pytest.raises(InputError, match="zones"):
        cm(villages, sites, zones=summary)
    empty = zones.iloc[0:0]
    page = _render(cm(villages, sites, zones=empty, rasters=area_rasters, lang="en"))
    assert "White zones" not in page and "White and low-signal zones (areas)" in page


def test_area_layers_size(villages, sites, area_rasters, zones):
    base = len(_render(coverage_map(villages, sites)).encode())
    page = _render(coverage_map(villages, sites, rasters=area_rasters, zones=zones))
    assert len(page.encode()) - base < 40_000  # 4 small overlays and 3 zone pieces


def test_area_layers_from_predict_area(tiny_scenario, tmp_path):
    """The real engine's rasters and zones on the tiny scenario, drawn and read back."""
    from covgap.analysis.zones import area_zones
    from covgap.io.readers import read_dem
    from covgap.radio.parallel import predict_area

    terrain = read_dem(tiny_scenario["dem"])
    sites = pd.read_csv(tiny_scenario["sites"])
    sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites.lon, sites.lat), crs=4326)
    rasters = predict_area(terrain, sites, radius_km=20, workers=1)
    pieces, _ = area_zones(rasters)
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1"], "name": ["Bản Nậm Cuổi"], "coverage_class": ["covered"]},
        geometry=[Point(103.05, 22.10)], crs=4326,
    )  # fmt: skip
    page = _render(coverage_map(villages, sites, rasters=rasters, zones=pieces, lang="en"))
    images = _overlays(page)
    assert len(images) == 2  # any-carrier 4G and 2G (a single carrier has 4G)
    assert _js("4G signal (RSRP) – any carrier") in page
    assert _js("2G signal (RxLev) – any carrier") in page
    assert (images[0][..., 3] == 0).any() and (images[0][..., 3] == 255).any()
    white = pieces.loc[pieces["zone_class"] == "white", "zone_id"].nunique()
    assert white and _js(f"White zones: areas ({white})") in page


def test_signal_overlay_with_a_floor_draws_only_the_covered_area(area_rasters):
    """A plan's new sites: the area they cover, no weak fringe (no disc round each site)."""
    import folium

    from covgap.outputs.map_layers import RAMP_COLOURS, signal_overlay
    from covgap.radio.rasters import ANY_CARRIER

    def colours(layer):
        m = folium.Map()
        layer.add_to(m)
        image = _overlays(m.get_root().render())[0]
        rgb = image[image[..., 3] > 0][:, :3]
        return {"#" + "".join(f"{int(v):02X}" for v in px) for px in rgb}

    key, t = (ANY_CARRIER, "4G"), Thresholds()
    full = colours(signal_overlay(area_rasters, key, t, "all"))
    floored = colours(signal_overlay(area_rasters, key, t, "covered", floor_dbm=t.covered_dbm))
    assert set(RAMP_COLOURS[3:]) <= full  # low signal and white bands drawn without a floor
    assert floored and floored <= set(RAMP_COLOURS[:3])  # only the covered greens with one
