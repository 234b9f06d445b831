"""Gaps first on the maps: what the page says (HTML) and what a person sees (Chromium).

The first group reads the rendered page. The second opens the bundled sample's map in
headless Chromium at 1600x1000, 1366x768 and a phone's 390x844 (the benchmark
``benchmarks/screenshot_map.py`` does the work), asks Leaflet where every white and
low-signal village lands on the screen (``latLngToContainerPoint``) and fails if one is
outside the opening view or under the legend, the title or a control. It is skipped, with
the reason, where Chromium is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from covgap.outputs.labels import label
from covgap.outputs.map_elements import (
    CARRIER_COLOURS,
    CLASS_COLOURS,
    CLASS_RADIUS,
    GAP_PANE,
    GAP_Z,
    _fact,
)
from covgap.outputs.map_layers import RAMP_COLOURS
from covgap.outputs.maps import coverage_map, save_map

BENCH = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture
def page():
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2", "V3"], "name": ["Bản A", "Bản B", "Bản C"],
         "coverage_class": ["covered", "white", "low_signal"]},
        geometry=[Point(103.2, 22.3), Point(103.3, 22.4), Point(103.4, 22.35)], crs="EPSG:4326",
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1"], "carrier": ["Viettel"], "technology": ["4G"], "freq_mhz": [1800],
         "height_m": [30.0], "azimuth_deg": [0.0]},
        geometry=[Point(103.25, 22.35)], crs="EPSG:4326",
    )  # fmt: skip
    m = coverage_map(
        villages, sites, highlight=["V2"], lang="vi",
        info={"location_probability": 0.5, "max_range_km": 35.0, "covgap_version": "0.1.0"},
    )  # fmt: skip
    return m.get_root().render()


def _hex(c: str) -> tuple[int, ...]:
    return tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))


def test_one_colour_language():
    covered = _hex(CLASS_COLOURS["covered"])
    # the covered colour is no carrier's, and muted (light, low saturation) next to the gaps
    for colour in CARRIER_COLOURS.values():
        assert sum(abs(a - b) for a, b in zip(covered, _hex(colour), strict=True)) > 120
    assert max(covered) - min(covered) < 60
    for gap in ("white", "low_signal"):
        rgb = _hex(CLASS_COLOURS[gap])
        assert max(rgb) - min(rgb) > 150  # saturated
        assert CLASS_RADIUS[gap] > 2 * CLASS_RADIUS["covered"] - 1
    # zones: the villages' colours, thin and half-transparent (the villages stay loudest)
    from covgap.outputs.map_layers import ZONE_STYLE

    for cls, style in ZONE_STYLE.items():
        assert style["color"] == style["fillColor"] == CLASS_COLOURS[cls]
        assert style["weight"] < 1 and style["opacity"] < 1 and style["fillOpacity"] < 0.2
    # the signal ramp speaks the villages' language: their gap colours, greens when covered
    assert RAMP_COLOURS[-2:] == (CLASS_COLOURS["low_signal"], CLASS_COLOURS["white"])
    for colour in RAMP_COLOURS[:3]:
        r, g, b = _hex(colour)
        assert g > r and g > b, colour


def test_gaps_are_drawn_above_sites_and_clusters(page):
    # white and low-signal villages and the request rings are in their own pane above
    # Leaflet's marker pane (600: site markers, cluster icons)
    assert GAP_Z > 600
    assert page.count(f'"pane":"{GAP_PANE}","z":{GAP_Z}') == 3  # 2 gap classes + rings
    covered = re.search(r'"fillColor":"' + CLASS_COLOURS["covered"] + r'"[^}]*}[^}]*}', page)
    assert covered and GAP_PANE not in covered.group(0) and '"cluster":true' in covered.group(0)


def test_compact_legend_and_title(page):
    legend = page[page.index('<div class="cg-box cg-legend">') :]
    compact, more = legend.split("<details>", 1)
    # the three classes, gaps first, with short thresholds, and the request ring: outside
    keys = re.findall(r'class="sw (\w+)"', compact)
    assert keys == ["white", "low_signal", "covered"]
    assert "&lt; −115 dBm" in compact and "≥ −105 dBm" in compact
    assert label("map_legend_request", "vi") in compact
    # the long rules, clusters, sites behind "more"
    assert label("legend_note", "vi") in more and label("legend_sites", "vi") in more
    title = page[page.index('<div class="cg-box cg-title">') :].split("</details>")[0]
    assert f'<div class="cg-h">{label("map_title", "vi")}</div>' in title
    head, facts = title.split("<details>")
    assert label("model", "vi") not in head
    # Vietnamese decimal commas only: no "0.5" next to "−105,0"
    assert "0,5" in facts and "35" in facts and "0.1.0" in facts
    assert not re.search(r"\b0\.5\b|35\.0", facts)


def test_fact_numbers():
    assert _fact(0.5, "vi") == "0,5" and _fact(85.8, "en") == "85.8"
    assert _fact(35.0, "vi") == "35" and _fact(1101, "vi") == "1.101"
    assert _fact("2026-12-02", "vi") == "2026-12-02" and _fact(True, "vi") == "True"


def test_opening_view_fits_clear_of_the_boxes(page):
    assert re.search(r'"bounds":\[\[22\.3,103\.2\],\[22\.4,103\.4\]\]', page)
    assert "map.fitBounds(bounds, {paddingTopLeft: best.tl" in page
    assert ".fitBounds([[" not in page  # no fixed padding from folium
    assert "@media (max-width:600px)" in page


# --------------------------------------------------------------------------- Chromium
SIZES = ("1600,1000", "1366,768", "390,844")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def sample_map(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("the screen test needs Chromium (apt-get install chromium)")
    from covgap.outputs.maps import result_map
    from covgap.pipeline import run

    result = run()
    gaps = int(result.villages["coverage_class"].isin(["white", "low_signal"]).sum())
    path = tmp_path_factory.mktemp("map") / "coverage_map.html"
    save_map(result_map(result), path, inline_assets=True)
    return path, gaps


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_every_gap_village_is_on_screen_and_unhidden(sample_map, size, tmp_path):
    sys.path.insert(0, str(BENCH))
    from screenshot_map import run_chromium

    path, gaps = sample_map
    shot = run_chromium(path, tmp_path / "shot.png", size=size, budget_ms=5000)
    probe = shot["probe"]
    assert shot["returncode"] == 0 and probe, shot
    assert not shot["js_errors"] and probe["errors"] == 0, shot["js_errors"]
    width, height = (int(v) for v in size.split(","))
    assert probe["size"] == [width, height]
    seen = probe["gaps_seen"]
    assert seen["gaps"] == gaps > 0
    boxes = {b[0] for b in seen["boxes"]}
    assert {"cg-box", "leaflet-control-layers", "leaflet-control-zoom"} <= boxes
    assert seen["gaps_in_view"] == gaps, "the opening view leaves gap villages out"
    assert seen["gaps_hidden"] == [], seen["gaps_hidden"]
    # the view is not shrunk for nothing: the province fills a good part of the map
    assert probe["zoom"] >= (8.0 if width < 500 else 8.75)
    # the signal overlays stay off when the map opens
    assert probe["signal"] == 0
    assert shot["screenshot"] and shot["screenshot"].stat().st_size > 50_000


def test_popups_name_the_commune_once():
    from covgap.outputs.labels import commune_text

    assert commune_text("Xã Kéo Sán", "Xã Pú Chản") == "Xã Kéo Sán (Xã Pú Chản)"
    assert commune_text(float("nan"), "Xã Mô Tà") == "Xã Mô Tà"
    assert commune_text("Xã Mô Tà", "Xã Mô Tà") == "Xã Mô Tà"
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1"], "name": ["Bản A"], "coverage_class": ["white"],
         "commune": ["Xã Pú Chản"], "commune_2025": ["Xã Kéo Sán"]},
        geometry=[Point(103.2, 22.3)], crs="EPSG:4326",
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1"], "carrier": ["Viettel"], "technology": ["4G"], "freq_mhz": [1800],
         "height_m": [30.0]},
        geometry=[Point(103.25, 22.35)], crs="EPSG:4326",
    )  # fmt: skip
    page = coverage_map(villages, sites).get_root().render()
    assert '"Xã Kéo Sán (Xã Pú Chản)"' in page


def test_opening_view_covers_the_province_and_the_villages():
    from shapely.geometry import box

    villages = gpd.GeoDataFrame(
        {"village_id": ["V1"], "name": ["Bản A"], "coverage_class": ["white"]},
        geometry=[Point(103.2, 22.3)], crs="EPSG:4326",
    )  # fmt: skip
    sites = villages.iloc[:0].assign(site_id=[], carrier=[], technology=[], freq_mhz=[],
                                     height_m=[])  # fmt: skip
    districts = gpd.GeoDataFrame(
        {"district": ["Sìn Hồ"]}, geometry=[box(103.0, 22.1, 103.25, 22.5)], crs="EPSG:4326"
    ).to_crs(9205)  # reprojected for the view
    page = coverage_map(villages, sites, districts=districts).get_root().render()
    bounds = re.search(r'"bounds":(\[\[[^]]*\],\[[^]]*\]\])', page).group(1)
    (s, w), (n, e) = json.loads(bounds)
    assert (s, w, n) == pytest.approx((22.1, 103.0, 22.5), abs=1e-6)
    assert e == pytest.approx(103.25, abs=1e-6)  # the district reaches further east
