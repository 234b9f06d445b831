"""Tests of covgap.maps and covgap.labels: render the HTML and assert on it."""

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
from covgap.labels import LABELS, LANGS, format_number, label, rename_columns
from covgap.maps import CLASS_COLOURS, coverage_map, save_map

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
    assert "−110,2 dBm (Viettel)" in page
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
    assert "fitBounds" in page
    assert "[[22.3, 103.2], [22.45, 103.45]]" in page
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

    from covgap.io import read_dem

    return read_dem(write_tiny_scenario(tmp_path / "tiny")["dem"])


def test_base_layers(page):
    assert "tile.openstreetmap.org" in page
    assert "basemaps.cartocdn.com/light_all" in page
    assert _js("Bản đồ nền sáng (CARTO Positron)") + " : tile_layer_" in page
    assert _js("Không có bản đồ nền (ngoại tuyến)") + " : covgap_layer_" in page


def test_hillshade_overlay(villages, sites, terrain):
    page = _render(coverage_map(villages, sites, terrain=terrain, lang="en"))
    assert 'L.imageOverlay("data:image/png;base64,' in page
    assert "covgap.pane(" in page and '"cgRelief", 250, "multiply"' in page
    assert _js("Terrain (DEM hillshade)") in page
    assert 'L.imageOverlay("data:' not in _render(coverage_map(villages, sites))


def test_relief_png(terrain):
    import io

    from PIL import Image

    from covgap.maps import relief_png

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
    from covgap import _vendor

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
