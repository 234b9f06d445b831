"""Clutter in the engines: land cover on the DEM grid, P.1812 clutter heights, P.2108, ΔN."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS, Transformer

from covgap.config import Clutter, Radio
from covgap.errors import InputError
from covgap.io.landcover import (
    CATEGORY_CODES,
    NO_CLASS,
    check_land_cover,
    clutter_from_classes,
    clutter_grid,
)
from covgap.io.terrain import Terrain
from covgap.radio.models import p2108_clutter_loss_db
from covgap.radio.point import best_servers, predict_link

RES = 1 / 1200  # 3 arc-seconds
LEFT, TOP = 103.0, 22.3
ROWS, COLS = 160, 240


def make_terrain(heights):
    return Terrain(
        heights.astype("float32"), Affine(RES, 0, LEFT, 0, -RES, TOP), CRS.from_epsg(4326)
    )


@pytest.fixture(scope="module")
def hills():
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    z = 600 + 250 * np.sin(xx / 23.0) * np.cos(yy / 31.0) + rng.normal(0, 8, (ROWS, COLS))
    return make_terrain(z)


@pytest.fixture(scope="module")
def cover(hills):
    """WorldCover-like classes: forest blocks, a built-up patch, open land elsewhere."""
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    classes = np.full((ROWS, COLS), 30, dtype=np.int32)
    classes[(xx // 12 + yy // 12) % 3 == 0] = 10
    classes[60:80, 100:130] = 50
    return clutter_from_classes(classes, source="test")


def site(lon=103.05, lat=22.2, height=30.0):
    return pd.DataFrame(
        {"site_id": "S", "sector_id": ["1", "2"], "carrier": "Viettel", "technology": "4G",
         "freq_mhz": [1800, 900], "height_m": height, "lon": lon, "lat": lat,
         "azimuth_deg": [90.0, 120.0]}
    )  # fmt: skip


def grid_points(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"point_id": np.arange(n), "lon": rng.uniform(103.06, 103.19, n),
         "lat": rng.uniform(22.19, 22.28, n)}
    )  # fmt: skip


# --------------------------------------------------------------------------- the table
def test_worldcover_defaults_follow_p1812_table2():
    table = Clutter().table
    assert table[10] == (15.0, "trees")
    assert table[50] == (10.0, "suburban")
    assert table[80] == (0.0, "water")
    assert all(table[c] == (0.0, "open") for c in (20, 30, 40, 60, 70, 90, 100))
    assert set(table) == {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100}


def test_clutter_table_rejects_bad_rows():
    with pytest.raises(InputError, match="category"):
        Clutter(classes={"1": [10.0, "jungle"]})
    with pytest.raises(InputError, match="height"):
        Clutter(classes={"1": [-3.0, "trees"]})
    assert Clutter(classes={"7": {"height_m": 20, "category": "dense_urban"}}).table == {
        7: (20.0, "dense_urban")
    }


def test_radio_clutter_options():
    # p1812 by default: it changes nothing without a land cover
    assert Radio().clutter == "p1812" and Radio().earth_k == 4.0 / 3.0
    assert Radio(delta_n=45.0).earth_k == pytest.approx(157 / 112)
    with pytest.raises(InputError):
        Radio(clutter="itm")
    with pytest.raises(InputError):
        Radio(delta_n=200.0)


# --------------------------------------------------------------------------- land cover
def test_clutter_grid_reads_any_crs_with_the_majority_class(hills, tmp_path):
    """A 10 m UTM raster lands on the 3" DEM grid with each cell's majority class."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    x0, y0 = to_utm.transform(103.02, 22.29)
    x1, y1 = to_utm.transform(103.12, 22.21)
    w, h = int((x1 - x0) / 10), int((y0 - y1) / 10)
    data = np.full((h, w), 10, dtype=np.uint8)  # forest ...
    data[:, w // 2 :] = 40  # ... and cropland east of the middle
    data[: h // 4, : w // 4] = 7  # a class the table does not know
    path = tmp_path / "ESA_WorldCover_10m_2021_v200_N21E102_Map.tif"
    profile = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32648",
        "transform": Affine(10, 0, x0, 0, -10, y0),
        "nodata": 0,
    }
    with rasterio.open(path, "w", **profile) as dst:  # fmt: skip
        dst.write(data, 1)
    grid = clutter_grid(path, hills)
    assert grid.shape == hills.shape
    to_ll = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)

    def cell(x, y):
        lon, lat = to_ll.transform(x, y)
        return int((TOP - lat) / RES), int((lon - LEFT) / RES)

    west = cell(x0 + 0.4 * (x1 - x0), y0 - 0.6 * (y0 - y1))
    east = cell(x0 + 0.8 * (x1 - x0), y0 - 0.6 * (y0 - y1))
    assert grid.classes[west] == 10 and grid.heights_m[west] == 15.0
    assert grid.category[west] == CATEGORY_CODES["trees"]
    assert grid.classes[east] == 40 and grid.heights_m[east] == 0.0
    assert grid.classes[0, COLS - 1] == NO_CLASS  # outside the raster
    problems = check_land_cover(grid)
    assert any("no class" in p for p in problems)
    assert any("7 (" in p and "[clutter] table" in p for p in problems)
    inside = grid.classes != NO_CLASS
    assert not any("no class" in p for p in check_land_cover(grid, valid=inside))


def test_clutter_grid_reports_missing_files(hills, tmp_path):
    from covgap.errors import DataFileError

    with pytest.raises(DataFileError):
        clutter_grid(tmp_path / "nope.tif", hills)


# --------------------------------------------------------------------------- point engine
def test_clutter_none_is_bit_for_bit(hills, cover):
    pts, sec = grid_points(), site()
    bare = best_servers(pts, sec, hills)
    off = best_servers(pts, sec, hills, clutter=cover, radio=Radio(clutter="none"))
    pd.testing.assert_frame_equal(bare, off)
    flat = clutter_from_classes(np.full(hills.shape, 30))  # open land: 0 m everywhere
    zero = best_servers(pts, sec, hills, clutter=flat, radio=Radio(clutter="p1812"))
    pd.testing.assert_frame_equal(bare, zero)


def test_point_engine_with_clutter_equals_the_reference(hills, cover):
    radio = Radio(clutter="p1812")
    pts, sec = grid_points(), site()
    got = best_servers(pts, sec, hills, clutter=cover, radio=radio, by="site")
    bare = best_servers(pts, sec, hills, by="site")
    assert (got["path_loss_db"].to_numpy() >= bare["path_loss_db"].to_numpy() - 1e-9).all()
    assert (got["path_loss_db"] - bare["path_loss_db"]).max() > 3.0
    row = got.set_index("point_id")
    for pid in range(0, 40, 4):
        best = row.loc[pid]
        link = predict_link(
            hills, 103.05, 22.2, pts.lon[pid], pts.lat[pid], tx_height_m=30.0,
            freq_mhz=float(best["freq_mhz"]), radio=radio, clutter=cover,
        )  # fmt: skip
        assert best["path_loss_db"] == pytest.approx(link.path_loss_db, abs=1e-6)
        assert link.clutter_m.max() > 0


def test_link_profile_carries_no_clutter_at_the_terminals(hills, cover):
    """P.1812 §3.2: the terminals' own samples are bare; the clutter is in between."""
    link = predict_link(hills, 103.05, 22.2, 103.17, 22.25, tx_height_m=30.0, freq_mhz=1800.0,
                        radio=Radio(clutter="p1812"), clutter=cover)  # fmt: skip
    assert link.clutter_m.max() == 15.0
    bare = predict_link(hills, 103.05, 22.2, 103.17, 22.25, tx_height_m=30.0, freq_mhz=1800.0)
    assert link.path_loss_db > bare.path_loss_db
    assert link.rx_amsl_m == bare.rx_amsl_m and link.tx_amsl_m == bare.tx_amsl_m


def test_p2108_adds_the_median_loss_in_built_up_clutter(hills, cover):
    pts, sec = grid_points(), site()
    radio = Radio(clutter="p2108")
    got = best_servers(pts, sec, hills, clutter=cover, radio=radio, by="site")
    bare = best_servers(pts, sec, hills, by="site")
    r = ((TOP - pts.lat) / RES + 0.5).astype(int)
    c = ((pts.lon - LEFT) / RES + 0.5).astype(int)
    built = cover.classes[r, c] == 50
    extra = (got["path_loss_db"] - bare["path_loss_db"]).to_numpy()
    want = np.where(
        built[got["point_id"]], p2108_clutter_loss_db(got["freq_mhz"], got["dist_km"]), 0.0
    )
    np.testing.assert_allclose(extra, want, atol=1e-9)
    assert built.any() and (~built).any()
    np.testing.assert_allclose(got["signal_dbm"] - bare["signal_dbm"], -want, atol=1e-9)


def test_land_cover_must_be_on_the_dem_grid(hills):
    small = clutter_from_classes(np.full((10, 10), 10))
    with pytest.raises(InputError, match="DEM"):
        best_servers(grid_points(3), site(), hills, clutter=small, radio=Radio(clutter="p1812"))


def test_delta_n_sets_the_earth_radius(hills):
    pts, sec = grid_points(20), site()
    a = best_servers(pts, sec, hills, radio=Radio(delta_n=45.0), by="site")
    b = best_servers(pts, sec, hills, radio=Radio(k_factor=157 / 112), by="site")
    pd.testing.assert_frame_equal(a, b)
    c = best_servers(pts, sec, hills, by="site")
    assert not np.allclose(a["path_loss_db"], c["path_loss_db"])


# --------------------------------------------------------------------------- P.2108
def test_p2108_values():
    # f = 2 GHz, d = 1 km, by hand from P.2108-1 eqs. 3-6 (median)
    ll = -2 * math.log10(10 ** (-5 * math.log10(2) - 12.5) + 10**-16.5)
    ls = 32.98 + 3 * math.log10(2)
    want = -5 * math.log10(10 ** (-0.2 * ll) + 10 ** (-0.2 * ls))
    assert float(p2108_clutter_loss_db(2000.0, 1.0)) == pytest.approx(want, abs=1e-9)
    assert want == pytest.approx(27.87, abs=0.01)
    d = np.array([0.1, 0.25, 1.0, 2.0, 5.0, 30.0])
    loss = p2108_clutter_loss_db(1800.0, d)
    assert loss[0] == loss[1]  # shorter than 0.25 km: 0.25 km
    assert np.all(np.diff(loss[1:4]) > 0) and loss[4] == loss[3] == loss[5]  # capped at 2 km
    assert p2108_clutter_loss_db(3700.0, 5.0) > p2108_clutter_loss_db(700.0, 5.0)
    assert p2108_clutter_loss_db(1800.0, 5.0, location_pct=90) > loss[4]


# --------------------------------------------------------------------------- area engine
def area(terrain, *, clutter=None, method="none", exact=False, rays=None, resolution_m=None):
    from covgap.radio.area import predict_site

    return predict_site(
        terrain, site(lon=103.1, lat=22.23), radius_km=5.0, radio=Radio(clutter=method),
        clutter=clutter, exact=exact, rays=rays, resolution_m=resolution_m,
    ).signal_dbm  # fmt: skip


@pytest.mark.parametrize("exact", [False, True])
def test_area_clutter_none_is_bit_for_bit(hills, cover, exact):
    bare = area(hills, exact=exact)
    np.testing.assert_array_equal(bare, area(hills, clutter=cover, exact=exact))
    open_land = clutter_from_classes(np.full(hills.shape, 30))
    np.testing.assert_array_equal(bare, area(hills, clutter=open_land, method="p1812", exact=exact))


def test_area_with_clutter_fast_equals_exact(hills, cover):
    exact = area(hills, clutter=cover, method="p1812", exact=True)
    fast = area(hills, clutter=cover, method="p1812")
    ok = np.isfinite(exact)
    assert np.array_equal(ok, np.isfinite(fast))
    assert np.nanmax(np.abs(fast - exact)) < 0.05
    bare = area(hills, exact=True)
    extra = bare[ok] - exact[ok]
    assert extra.min() > -1e-3 and np.percentile(extra, 90) > 3.0  # clutter only adds loss


def test_area_with_clutter_agrees_with_the_point_engine(hills, cover):
    """The rasters agree with best_servers at the cells' centres as well as without clutter.

    (A ray passes up to half a cell beside a cell's straight path: on this rough
    terrain the bare engines differ by 0.46 dB in the median, 0.61 dB with clutter.)
    """
    from covgap.radio.area import predict_site

    sec = site(lon=103.1, lat=22.23)
    medians = {}
    for method in ("none", "p1812"):
        radio = Radio(clutter=method)
        pred = predict_site(hills, sec, radius_km=5.0, radio=radio, clutter=cover, exact=True)
        rows, cols = pred.shape
        rr, cc = np.mgrid[2 : rows - 2 : 3, 2 : cols - 2 : 3]
        r, c = rr.ravel(), cc.ravel()
        t = pred.transform
        pts = pd.DataFrame({"point_id": np.arange(len(r)), "lon": t.c + (c + 0.5) * t.a,
                            "lat": t.f + (r + 0.5) * t.e})  # fmt: skip
        got = pred.signal_dbm[0, r, c]
        pt = best_servers(pts, sec.iloc[[0]], hills, radio=radio, clutter=cover, by="site")
        pt = pt.set_index("point_id").reindex(np.arange(len(r)))["signal_dbm"].to_numpy()
        keep = np.isfinite(got) & np.isfinite(pt)
        assert keep.sum() > 1000
        medians[method] = np.median(np.abs(got[keep] - pt[keep]))
    assert medians["p1812"] < 1.0
    assert medians["p1812"] < medians["none"] + 0.3


def test_area_p2108_subtracts_the_loss_in_built_up_cells(hills, cover):
    from covgap.radio.area import predict_site

    sec = site(lon=103.1, lat=22.23)
    bare = predict_site(hills, sec, radius_km=5.0)
    got = predict_site(hills, sec, radius_km=5.0, radio=Radio(clutter="p2108"), clutter=cover)
    r0, c0 = bare.window_offset
    rows, cols = bare.shape
    built = cover.classes[r0 : r0 + rows, c0 : c0 + cols] == 50
    extra = bare.signal_dbm - got.signal_dbm
    ok = np.isfinite(extra)
    assert (built & ok).sum() > 100
    assert np.all(extra[~built & ok] == 0.0)
    # the cells' distances from the site, as the sweep measures them (equirectangular)
    rr, cc = np.nonzero(built & ok[0])
    lat = TOP - (r0 + rr + 0.5) * RES
    dy = (lat - 22.23) * 111_194.9
    dx = (LEFT + (c0 + cc + 0.5) * RES - 103.1) * 111_194.9 * np.cos(np.radians((lat + 22.23) / 2))
    want = p2108_clutter_loss_db(1800.0, np.hypot(dx, dy) / 1000.0)
    np.testing.assert_allclose(extra[0, rr, cc], want, atol=2e-3)


def test_area_clutter_on_a_resampled_grid(hills, cover):
    bare = area(hills, resolution_m=150.0)
    got = area(hills, clutter=cover, method="p1812", resolution_m=150.0)
    assert got.shape == bare.shape
    ok = np.isfinite(bare)
    assert np.nanmedian(bare[ok] - got[ok]) > 1.0


def test_fast_and_exact_pick_the_same_clutter_cells_on_cell_edges():
    """An antenna on a cell edge puts many samples exactly on edges: every engine breaks
    those ties alike (kernels.CELL_TIE), so 1-cell stripes of forest still agree."""
    terrain = make_terrain(np.full((ROWS, COLS), 500.0))
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    for stripes in (xx % 2, yy % 2, (xx + yy) % 2):
        grid = clutter_from_classes(np.where(stripes == 0, 10, 30))
        exact = area(terrain, clutter=grid, method="p1812", exact=True)  # site at a cell edge
        fast = area(terrain, clutter=grid, method="p1812")
        assert np.nanmax(np.abs(fast - exact)) < 0.05
        assert np.nanmax(area(terrain, exact=True) - exact) > 10.0


# --------------------------------------------------------------------------- many sites
def test_predict_area_passes_the_clutter_to_the_engine(hills, cover, tmp_path):
    from covgap.radio import parallel
    from covgap.radio.area import predict_site
    from covgap.radio.rasters import site_layers

    sec = site(lon=103.1, lat=22.23)
    radio = Radio(clutter="p1812")
    kw = {"radius_km": 5.0, "workers": 1, "cache": tmp_path}
    got = parallel.predict_area(hills, sec, radio=radio, clutter=cover, **kw)
    bare = parallel.predict_area(hills, sec, **kw)
    one = site_layers(predict_site(hills, sec, radius_km=5.0, radio=radio, clutter=cover))
    key = ("Viettel", "4G")
    best = got.signal[key]
    assert np.nanmax(best) == pytest.approx(np.nanmax(one.layers[key]), abs=1e-4)
    assert np.nanmedian(bare.signal[key] - best) > 1.0  # the clutter counts
    assert got.info["clutter"] == "p1812" and bare.info["clutter"] == "none"
    # the cache tells runs with and without clutter (and different land covers) apart
    keys = {
        parallel.site_cache_key(sec, hills, radius_km=5.0, model="p1812", radio=radio, clutter=c)
        for c in (None, cover, clutter_from_classes(np.full(hills.shape, 10)))
    }
    assert len(keys) == 3
    again = parallel.predict_area(hills, sec, radio=radio, clutter=cover, **kw)
    assert again.stats["cached"] == 1
    np.testing.assert_array_equal(again.signal[key], best)


def test_land_cover_problems_are_reported_together(hills, tmp_path):
    from covgap.io.landcover import land_cover_problems

    bare = tmp_path / "no_crs.tif"
    profile = {"driver": "GTiff", "width": 20, "height": 10, "count": 1, "dtype": "uint8",
               "transform": Affine(RES, 0, LEFT, 0, -RES, TOP)}  # fmt: skip
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(np.full((10, 20), 10, dtype=np.uint8), 1)
    problems = land_cover_problems([bare, tmp_path / "missing.tif"], hills)
    assert len(problems) == 2
    assert "no CRS" in problems[0] and "missing.tif" in problems[1]
    good = tmp_path / "good.tif"
    with rasterio.open(good, "w", crs="EPSG:4326", **profile) as dst:
        dst.write(np.full((10, 20), 12, dtype=np.uint8), 1)
    problems = land_cover_problems(good, hills)
    assert any("no class" in p for p in problems)  # covers a corner only
    assert any("12 (" in p for p in problems)  # not a WorldCover class
    assert land_cover_problems(good, hills, Clutter(classes={"12": [0.0, "open"]}),
                               valid=np.zeros(hills.shape, bool)) == []  # fmt: skip


def test_validate_a_land_cover_against_the_dem(tmp_path):
    from click.testing import CliRunner

    from covgap.cli import main

    repo = Path(__file__).resolve().parents[1] / "data"
    dem = repo / "dem" / "laichau_synthetic_dem.tif"
    good = repo / "landcover" / "laichau_synthetic_landcover.tif"
    res = CliRunner().invoke(
        main, ["validate", "--kind", "landcover", str(good), "--dem", str(dem)]
    )
    assert res.exit_code == 0, res.output
    assert "[landcover]: OK" in res.output
    # a DEM passed as a land cover: thousands of unknown classes, named ten at most
    res = CliRunner().invoke(main, ["validate", "--kind", "landcover", str(dem), "--dem", str(dem)])
    assert res.exit_code == 1
    assert "more (" in res.output and len(res.output) < 2000
    res = CliRunner().invoke(main, ["validate", "--kind", "landcover", str(good)])
    assert res.exit_code != 0 and "needs --dem" in res.output
