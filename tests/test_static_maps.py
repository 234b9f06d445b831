"""Static maps: the artists a reader needs, true scale, atomic PNG/PDF writing."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, box

from covgap.errors import DataFileError, InputError
from covgap.io.terrain import Terrain
from covgap.outputs import static_maps
from covgap.outputs.labels import label
from covgap.schema import CLASSES

HOSTILE = "Bản $\\frac{1}{0}$ <script>alert(1)</script>\nNậm Xe Phìn Hồ rất rất dài"
INFO = {
    "scenario": "test",
    "synthetic": True,
    "model": "free space + P.526",
    "date": "2025-07-01",
    "dem": "ridge.tif",
    "dem_resolution_m": 510.0,
    "rx_height_m": 1.5,
    "location_probability": 0.5,
}


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    rows, cols = 60, 80
    x = np.linspace(0.0, 1.0, cols)
    y = np.linspace(0.0, 1.0, rows)[:, None]
    heights = 400.0 + 1500.0 * np.exp(-((x - 0.5) ** 2) / 0.01) + 200.0 * y
    heights = heights.astype(np.float32)
    heights[0, :5] = np.nan  # a nodata corner
    return Terrain(heights, Affine(0.005, 0, 103.0, 0, -0.005, 22.3), CRS.from_epsg(4326), "t")


@pytest.fixture(scope="module")
def villages() -> gpd.GeoDataFrame:
    rows = [
        ("V1", "Bản Mường Tè", "covered", 103.05, 22.05),
        ("V2", "Thôn Sìn Hồ", "covered", 103.10, 22.25),
        ("V3", "Bản Nậm Nhùn", "low_signal", 103.20, 22.10),
        ("V4", "Bản Phong Thổ", "low_signal", 103.30, 22.20),
        ("V5", HOSTILE, "white", 103.25, 22.15),
        ("V6", "Bản Tà Tổng", "white", 103.35, 22.05),
    ]
    return gpd.GeoDataFrame(
        {
            "village_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "commune": ["Xã Pa Vệ Sủ"] * len(rows),
            "coverage_class": [r[2] for r in rows],
        },
        geometry=[Point(r[3], r[4]) for r in rows],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district": ["Phong Thổ", "Sìn Hồ"]},
        geometry=[box(103.0, 22.0, 103.2, 22.3), box(103.2, 22.0, 103.4, 22.3)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S1", "S2", "S3"],
            "carrier": ["Viettel", "Viettel", "VNPT", "MobiFone"],
        },
        geometry=[Point(103.1, 22.1), Point(103.1, 22.1), Point(103.3, 22.1), Point(103.2, 22.2)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def fig(villages, terrain, districts, sites):
    return static_maps.static_map(
        villages, terrain=terrain, districts=districts, communes=districts, sites=sites,
        highlight=["V5", "V3"], info=INFO, lang="vi",
    )  # fmt: skip


def _by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def _legend_texts(fig, lang_fig=None):
    leg = next(leg for leg in fig.legends if leg.get_gid() == "legend")
    return [t.get_text().replace("\n", " ") for t in leg.get_texts()]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_legend_has_one_entry_per_class_in_the_language(villages, lang):
    fig = static_maps.static_map(villages, lang=lang)
    texts = _legend_texts(fig)
    for cls in CLASSES:
        assert sum(t.startswith(label(cls, lang)) for t in texts) == 1
    other = "en" if lang == "vi" else "vi"
    assert not any(label("white", other) in t for t in texts)
    joined = " ".join(texts)
    assert "−115" in joined and "−105" in joined  # the thresholds are stated
    assert label("legend_title", lang) == fig.legends[0].get_title().get_text()


def test_scale_bar_is_round_and_true_to_one_percent(fig):
    ax = fig.axes[0]
    bars = _by_gid(fig, "scale_bar")
    assert len(bars) >= 4
    x0 = min(b.get_x() for b in bars)
    x1 = max(b.get_x() + b.get_width() for b in bars)
    lat = ax.get_ylim()[0] + bars[0].get_y() * np.diff(ax.get_ylim())[0]  # axes-fraction y
    (text,) = (t.get_text() for t in _by_gid(fig, "scale_bar_label"))
    match = re.fullmatch(r"(\d+) km", text)
    assert match, text
    km = int(match.group(1))
    assert km / 10 ** np.floor(np.log10(km)) in (1, 2, 5)
    _, _, metres = Geod(ellps="WGS84").inv(x0, lat, x1, lat)
    assert metres / 1000.0 == pytest.approx(km, rel=0.01)


def test_map_aspect_is_true_at_the_centre_latitude(fig):
    ax = fig.axes[0]
    lat = np.mean(ax.get_ylim())
    geod = Geod(ellps="WGS84")
    ew = geod.inv(103.0, lat, 103.01, lat)[2]
    ns = geod.inv(103.0, lat - 0.005, 103.0, lat + 0.005)[2]
    assert ax.get_aspect() == pytest.approx(ns / ew, rel=1e-3)


def test_north_arrow_title_and_synthetic_notice(fig, villages):
    assert [t.get_text() for t in _by_gid(fig, "north_arrow_label")] == ["N"]
    assert len(_by_gid(fig, "north_arrow")) == 2
    assert _by_gid(fig, "title")[0].get_text() == label("map_title", "vi")
    notice = _by_gid(fig, "synthetic_notice")
    assert notice and label("synthetic_notice", "vi") in notice[0].get_text()
    real = static_maps.static_map(villages, info={**INFO, "synthetic": False})
    assert not _by_gid(real, "synthetic_notice") and not _by_gid(real, "synthetic_watermark")


def test_layers_are_drawn(fig):
    assert _by_gid(fig, "relief") and _by_gid(fig, "districts") and _by_gid(fig, "communes")
    assert {t.get_text() for t in _by_gid(fig, "district_label")} == {"PHONG THỔ", "SÌN HỒ"}
    for cls in CLASSES:
        assert len(_by_gid(fig, f"villages_{cls}")[0].get_offsets()) == 2
    # one marker per site and carrier, not per sector
    assert len(_by_gid(fig, "sites_Viettel")[0].get_offsets()) == 1
    facts = " ".join(t.get_text() for t in _by_gid(fig, "facts"))
    assert "1,5" in facts and "50 %" in facts  # Vietnamese decimal comma


def test_highlight_adds_markers_and_labels(villages, fig):
    plain = static_maps.static_map(villages)
    assert not _by_gid(plain, "highlight") and not _by_gid(plain, "highlight_label")
    (rings,) = _by_gid(fig, "highlight")
    assert len(rings.get_offsets()) == 2
    names = [t.get_text() for t in _by_gid(fig, "highlight_label")]
    assert "Bản Nậm Nhùn" in names
    assert all(len(n) <= static_maps.MAX_NAME_CHARS and "\n" not in n for n in names)


def test_rank_labels_and_list(villages):
    fig = static_maps.static_map(
        villages, highlight=["V6", "V5", "V4", "nope"], label_highlight="rank", max_labels=2
    )
    assert sorted(t.get_text() for t in _by_gid(fig, "highlight_label")) == ["1", "2"]
    (listing,) = _by_gid(fig, "ranked_list")
    assert listing.get_text().splitlines()[0].strip() == "1. Bản Tà Tổng – Xã Pa Vệ Sủ"
    assert len(_by_gid(fig, "highlight")[0].get_offsets()) == 3  # unknown id ignored
    # with the 07/2025 unit known: named as the appendix names it, the former in brackets
    fig = static_maps.static_map(
        villages.assign(commune_2025="Xã Bum Tở"), highlight=["V6"], label_highlight="rank"
    )
    (listing,) = _by_gid(fig, "ranked_list")
    assert listing.get_text().splitlines()[0].strip() == "1. Bản Tà Tổng – Xã Bum Tở (Xã Pa Vệ Sủ)"


def test_hostile_name_is_plain_text(villages, tmp_path):
    fig = static_maps.static_map(villages, highlight=["V5"], max_labels=5)
    (text,) = _by_gid(fig, "highlight_label")
    assert not text.get_parse_math()
    assert text.get_text().startswith("Bản $\\frac{1}{0}$ <script>")
    static_maps.save_static_map(fig, tmp_path / "hostile.png", dpi=50)  # no mathtext error


def test_png_and_pdf_are_written_with_sane_sizes(fig, tmp_path):
    png = static_maps.save_static_map(fig, tmp_path / "map.png", dpi=100)
    pdf = static_maps.save_static_map(fig, tmp_path / "map.PDF")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for path in (png, pdf):
        assert 10_000 < path.stat().st_size < 3_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.PDF", "map.png"]


def test_vietnamese_letters_have_glyphs(tmp_path):
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    path = font_manager.findfont(font_manager.FontProperties(family=static_maps.FONT))
    assert path.endswith("DejaVuSans.ttf")
    fig = Figure(figsize=(4, 1))
    fig.text(
        0.01, 0.5, "ăâđêôơư ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ ĐƠƯ", family="DejaVu Sans"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        static_maps.save_static_map(fig, tmp_path / "glyphs.png", dpi=60)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(fig, tmp_path, monkeypatch):
    target = tmp_path / "map.png"
    target.write_bytes(b"old map")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(DataFileError, match="disk full"):
        static_maps.save_static_map(fig, target)
    monkeypatch.setattr(fig, "savefig", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        static_maps.save_static_map(fig, target)
    assert target.read_bytes() == b"old map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_bad_arguments_are_reported(villages, fig, tmp_path):
    with pytest.raises(InputError, match=r"\.png or \.pdf"):
        static_maps.save_static_map(fig, tmp_path / "map.jpg")
    with pytest.raises(DataFileError, match="does not exist"):
        static_maps.save_static_map(fig, tmp_path / "missing" / "map.png")
    with pytest.raises(InputError, match="coverage_class"):
        static_maps.static_map(villages.drop(columns="coverage_class"))
    with pytest.raises(InputError, match="extent"):
        static_maps.static_map(villages, extent=(104, 22, 103, 23))
    with pytest.raises(InputError, match="language"):
        static_maps.static_map(villages, lang="fr")


def test_projected_terrain_is_drawn_in_degrees(villages, terrain):
    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    x0, y0 = to_utm.transform(103.0, 22.3)
    utm = Terrain(terrain.heights, Affine(500.0, 0, x0, 0, -500.0, y0), CRS.from_epsg(32648))
    fig = static_maps.static_map(villages, terrain=utm, tint=True)
    (image,) = _by_gid(fig, "relief")
    west, east, south, north = image.get_extent()
    assert 102.9 < west < 103.1 and 22.0 < south < north < 22.4 and east > 103.3


def test_no_pyplot_figures_are_left_open(villages):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    static_maps.static_map(villages)
    assert plt.get_fignums() == before
