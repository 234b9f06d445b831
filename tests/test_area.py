import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from covgap.config import Radio
from covgap.errors import InputError
from covgap.io.terrain import EARTH_RADIUS_KM, Terrain, distance_km, sample_heights
from covgap.radio.area import SitePrediction, predict_site
from covgap.radio.point import best_servers
from covgap.radio.propagation import bullington_correction_db, fspl_db, knife_edge_loss_db

RES = 1 / 1200
LEFT, TOP = 103.0, 22.3
ROWS, COLS = 160, 200


def make_terrain(heights):
    return Terrain(
        heights.astype("float32"), Affine(RES, 0, LEFT, 0, -RES, TOP), CRS.from_epsg(4326)
    )


@pytest.fixture(scope="module")
def rough():
    rng = np.random.default_rng(4)
    h = ndimage.gaussian_filter(rng.normal(size=(ROWS, COLS)), 5.0)
    return make_terrain(900 + 250 * h / h.std())


def site(lon=103.08, lat=22.235, height=35.0, *, sid="S1", bands=(("4G", 1800),)):
    rows = []
    for tech, freq in bands:
        for k, az in enumerate((10.0, 130.0, 250.0)):
            rows.append(dict(site_id=sid, sector_id=f"{tech}-{k}", carrier="Viettel",
                             technology=tech, freq_mhz=freq, height_m=height, lon=lon,
                             lat=lat, azimuth_deg=az))  # fmt: skip
    return pd.DataFrame(rows)


def cell_points(pred, rng, n=300):
    h, w = pred.shape
    rr, cc = rng.integers(0, h, n), rng.integers(0, w, n)
    keep = np.isfinite(pred.signal_dbm[0, rr, cc])
    rr, cc = rr[keep], cc[keep]
    t = pred.transform
    pts = pd.DataFrame({"point_id": np.arange(len(rr)), "lon": t.c + (cc + 0.5) * t.a,
                        "lat": t.f + (rr + 0.5) * t.e})  # fmt: skip
    return pts, rr, cc


def test_result_shape_and_georeferencing(rough):
    sites = site(bands=(("4G", 1800), ("2G", 900)))
    pred = predict_site(rough, sites, radius_km=5.0)
    assert isinstance(pred, SitePrediction) and pred.site_id == "S1"
    assert pred.signal_dbm.dtype == np.float32
    assert pred.signal_dbm.shape == (6, *pred.shape)
    assert list(pred.sectors.columns[:4]) == ["sector_id", "carrier", "technology", "freq_mhz"]
    row0, col0 = pred.window_offset
    t = rough.transform
    assert pred.transform == Affine(t.a, 0, t.c + col0 * t.a, 0, t.e, t.f + row0 * t.e)
    # NaN exactly outside the radius
    h, w = pred.shape
    rr, cc = np.mgrid[0:h, 0:w]
    lon = pred.transform.c + (cc + 0.5) * RES
    lat = pred.transform.f - (rr + 0.5) * RES
    d = distance_km(103.08, 22.235, lon, lat)
    finite = np.isfinite(pred.signal_dbm[0])
    assert finite[d < 4.95].all() and not finite[d > 5.05].any()


@pytest.mark.parametrize("model", ["p1812", "bullington", "hata", "fspl"])
def test_cell_equals_point_analysis_at_its_centre(rough, model):
    """Raster cell = best_servers at the cell centre, up to the ray discretisation.

    The cell's path follows its ray (within half a cell of the straight path) and the
    ray's samples; the point analysis samples the straight path. Flat-ish statistics:
    median below 0.3 dB, 90 % below 3 dB on this rough terrain.
    """
    sites = site()
    pred = predict_site(rough, sites, radius_km=6.0, model=model)
    pts, rr, cc = cell_points(pred, np.random.default_rng(0))
    for k, sec in pred.sectors.iterrows():
        ref = best_servers(pts, sites[sites.sector_id == sec.sector_id], rough, model=model)
        got = pred.signal_dbm[k, rr, cc][ref.point_id.to_numpy()]
        diff = np.abs(got - ref.signal_dbm.to_numpy())
        if model in ("fspl", "hata"):
            assert np.percentile(diff, 95) < (0.05 if model == "fspl" else 2.0)
        assert np.median(diff) < 0.3 and np.percentile(diff, 90) < 3.0


def test_flat_earth_raster_is_free_space_and_smooth_earth_only():
    flat = make_terrain(np.full((ROWS, COLS), 400.0))
    sites = site(lon=103.02, lat=22.28)
    pred = predict_site(flat, sites, radius_km=15.0)
    pts, rr, cc = cell_points(pred, np.random.default_rng(1), 400)
    ref = best_servers(pts, sites, flat, radio=Radio(max_range_km=20))
    got = np.nanmax(pred.signal_dbm[:, rr, cc], axis=0)[ref.point_id.to_numpy()]
    np.testing.assert_allclose(got, ref.signal_dbm.to_numpy(), atol=0.1)
    assert not ref.los.eq(False).any()


def test_knife_edge_ridge_against_p526():
    heights = np.full((ROWS, COLS), 400.0)
    ridge_col = 100
    heights[:, ridge_col - 1 : ridge_col + 2] = 900.0
    terrain = make_terrain(heights)
    sites = site(lon=103.05, lat=22.2, height=30.0)
    pred = predict_site(terrain, sites, radius_km=12.0, model="bullington")
    # a cell due east behind the ridge
    row = round((TOP - 22.2) / RES - 0.5)
    col = ridge_col + 40
    lon = LEFT + (col + 0.5) * RES
    lat = TOP - (row + 0.5) * RES
    d = float(distance_km(103.05, 22.2, lon, lat))
    ridge_lon = LEFT + (ridge_col + 0.5) * RES
    d1 = float(distance_km(103.05, 22.2, ridge_lon, lat))
    ce = 1 / (EARTH_RADIUS_KM * 4 / 3)
    hts, hrs = 430.0, 401.5
    h = 900.0 + 500 * ce * d1 * (d - d1) - (hts * (d - d1) + hrs * d1) / d
    lam = 299_792_458.0 / 1800e6
    nu = h * math.sqrt(2 / lam * (1 / (d1 * 1000) + 1 / ((d - d1) * 1000)))
    expected_loss = float(fspl_db(d, 1800) + bullington_correction_db(knife_edge_loss_db(nu), d))
    k = 0  # sector at azimuth 10: read the path loss back through the link budget
    ref = best_servers(
        pd.DataFrame({"point_id": [0], "lon": [lon], "lat": [lat]}), sites.iloc[[k]], terrain,
        model="bullington",
    )  # fmt: skip
    assert ref.path_loss_db.iloc[0] == pytest.approx(expected_loss, abs=0.5)
    assert pred.signal_dbm[k, row - pred.window_offset[0], col - pred.window_offset[1]] == (
        pytest.approx(ref.signal_dbm.iloc[0], abs=0.5)
    )


@pytest.mark.parametrize("model", ["p1812", "bullington", "hata", "fspl"])
def test_fast_path_is_within_five_hundredths_of_a_db_of_exact(rough, model):
    """The default (tabulated losses) against ``exact=True`` (bit for bit the kernels)."""
    sites = site(bands=(("4G", 1800), ("2G", 900), ("3G", 2100)))
    fast = predict_site(rough, sites, radius_km=6.0, model=model)
    exact = predict_site(rough, sites, radius_km=6.0, model=model, exact=True)
    np.testing.assert_array_equal(np.isnan(fast.signal_dbm), np.isnan(exact.signal_dbm))
    diff = np.abs(fast.signal_dbm.astype(float) - exact.signal_dbm)
    assert np.nanmax(diff) < 0.05
    thresholds = (-115.0, -105.0)
    best_f = np.fmax.reduce(fast.signal_dbm, axis=0)
    best_e = np.fmax.reduce(exact.signal_dbm, axis=0)
    ok = np.isfinite(best_e)
    same = np.digitize(best_f[ok], thresholds) == np.digitize(best_e[ok], thresholds)
    assert same.mean() >= 0.995


def test_bearings_only_where_a_sector_is_directional(rough):
    """All-omni sites skip the cells' bearings; one directional sector brings them back."""
    for azimuths in ([np.nan] * 3, [np.nan, 130.0, 250.0]):
        sites = site().assign(azimuth_deg=azimuths)
        fast = predict_site(rough, sites, radius_km=6.0)
        exact = predict_site(rough, sites, radius_km=6.0, exact=True)
        assert np.nanmax(np.abs(fast.signal_dbm.astype(float) - exact.signal_dbm)) < 0.05


def test_fast_path_on_sample_sites():
    """Two sites of the bundled sample, 30 km, P.1812: within 0.05 dB of exact."""
    terrain, sites = sample_terrain_and_sites()
    ids = sorted(sites.site_id.unique())
    for sid in (ids[0], ids[len(ids) // 2]):
        one = sites[sites.site_id == sid]
        fast = predict_site(terrain, one, radius_km=30.0)
        exact = predict_site(terrain, one, radius_km=30.0, exact=True)
        np.testing.assert_array_equal(np.isnan(fast.signal_dbm), np.isnan(exact.signal_dbm))
        assert np.nanmax(np.abs(fast.signal_dbm.astype(float) - exact.signal_dbm)) < 0.05


def test_heights_differ_per_sector(rough):
    sites = site()
    sites.loc[0, "height_m"] = 60.0
    pred = predict_site(rough, sites, radius_km=4.0)
    same = predict_site(rough, site().iloc[[0]].assign(height_m=60.0), radius_km=4.0)
    np.testing.assert_array_equal(pred.signal_dbm[list(pred.sectors.sector_id).index("4G-0")],
                                  same.signal_dbm[0])  # fmt: skip


def test_resampled_resolution(rough):
    pred = predict_site(rough, site(), radius_km=3.0, resolution_m=45.0)
    assert pred.window_offset is None
    metres = abs(pred.transform.e) * math.radians(1) * EARTH_RADIUS_KM * 1000
    assert metres == pytest.approx(45.0, rel=0.05)
    native = predict_site(rough, site(), radius_km=3.0)
    assert np.nanmedian(pred.signal_dbm) == pytest.approx(np.nanmedian(native.signal_dbm), abs=1.5)


def test_errors_and_clipping(rough, caplog):
    with pytest.raises(InputError, match="OUTSIDE"):
        predict_site(rough, site(lon=104.5, sid="OUTSIDE"))
    with pytest.raises(InputError, match="one physical site"):
        predict_site(rough, pd.concat([site(), site(sid="S2", lon=103.1)]))
    with pytest.raises(InputError, match="model"):
        predict_site(rough, site(), model="itm")
    with pytest.raises(InputError, match="radius"):
        predict_site(rough, site(), radius_km=0)
    feet = Terrain(rough.heights, Affine(300, 0, 6_000_000, 0, -300, 2_100_000),
                   CRS.from_epsg(2227))  # fmt: skip
    with pytest.raises(InputError, match="metre"):
        predict_site(feet, site())
    with caplog.at_level(logging.WARNING, logger="covgap.radio.area"):
        pred = predict_site(rough, site(lon=103.01, lat=22.29), radius_km=10.0)
    assert "clipped" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="covgap.radio.area"):
        quiet = predict_site(rough, site(lon=103.01, lat=22.29), radius_km=10.0,
                             warn_clipped=False)  # fmt: skip
    assert "clipped" not in caplog.text
    np.testing.assert_array_equal(quiet.signal_dbm, pred.signal_dbm)
    assert pred.window_offset == (0, 0)
    assert np.isfinite(pred.signal_dbm).any()
    g = sample_heights(rough, 103.01, 22.29)
    assert np.isfinite(g)


def sample_terrain_and_sites():
    from pathlib import Path

    from covgap.io.readers import read_dem

    root = Path(__file__).resolve().parents[1] / "data"
    dem, table = root / "dem/laichau_synthetic_dem.tif", root / "bts_sites/sites.csv"
    if not (dem.exists() and table.exists()):
        pytest.skip("bundled sample not found")
    return read_dem(dem), pd.read_csv(table, dtype={"site_id": str, "sector_id": str})


def test_branch_rays_stay_within_their_documented_tolerance():
    """``rays="branch"`` against exact: median, 99th percentile, class agreement.

    Two sample sites at 30 km (every sector) and the rough fixture: the bounds of
    :mod:`covgap.radio.sweep_fast`, and the default ``rays="full"`` far inside them.
    """
    from covgap.radio import sweep_fast as sb

    terrain, sites = sample_terrain_and_sites()
    ids = sorted(sites.site_id.unique())
    cases = [(terrain, sites[sites.site_id == sid], 30.0) for sid in (ids[0], ids[400])]
    for case_terrain, rows, radius in cases:
        exact = predict_site(case_terrain, rows, radius_km=radius, exact=True).signal_dbm
        branch = predict_site(case_terrain, rows, radius_km=radius, rays="branch").signal_dbm
        full = predict_site(case_terrain, rows, radius_km=radius, rays="full").signal_dbm
        ok = np.isfinite(exact)
        np.testing.assert_array_equal(np.isfinite(branch), ok)
        diff = np.abs(branch[ok].astype(float) - exact[ok])
        assert np.median(diff) <= sb.TOL_MEDIAN_DB
        assert np.percentile(diff, 99) <= sb.TOL_P99_DB
        assert np.median(diff) > 0.0  # the approximation is real: not the full sweep
        best_e, best_b = np.fmax.reduce(exact, axis=0), np.fmax.reduce(branch, axis=0)
        cells = np.isfinite(best_e)
        same = np.digitize(best_b[cells], (-115, -105)) == np.digitize(best_e[cells], (-115, -105))
        assert same.mean() >= sb.TOL_CLASS_AGREE
        assert np.percentile(np.abs(full[ok].astype(float) - exact[ok]), 99) < 0.01


def test_rays_option(rough):
    with pytest.raises(InputError, match="rays"):
        predict_site(rough, site(), rays="fan")
    branch = predict_site(rough, site(), radius_km=4.0, rays="branch")
    full = predict_site(rough, site(), radius_km=4.0)
    assert branch.shape == full.shape
    np.testing.assert_array_equal(np.isnan(branch.signal_dbm), np.isnan(full.signal_dbm))


def test_sector_table_matches_the_point_analysis_defaults():
    """area's numpy sector table = predict._prepare_sectors (defaults, order, types)."""
    from covgap.radio.area import _check_sectors
    from covgap.radio.point import _prepare_sectors

    rows = site(bands=(("4G", 1800), ("2G", 900), ("3G", 2100)))
    rows.loc[1, "height_m"] = 20.0
    rows.loc[4, "height_m"] = 50.0
    rows["tilt_deg"] = [np.nan, 4.0, 2.0, np.nan, 6.0, 3.0, 1.0, np.nan, 5.0]
    rows["beamwidth_deg"] = [65.0, np.nan, 360.0, 90.0, 65.0, np.nan, 65.0, 65.0, 65.0]
    rows["gain_dbi"] = [np.nan, 15.0, np.nan, 17.0, np.nan, np.nan, 16.0, 18.0, np.nan]
    rows["power_dbm"] = [np.nan, 40.0, 43.0, np.nan, 44.0, np.nan, np.nan, 45.0, 46.0]
    rows.loc[7, "azimuth_deg"] = np.nan
    for frame in (rows, rows.drop(columns=["tilt_deg", "beamwidth_deg", "gain_dbi"])):
        got = pd.DataFrame(_check_sectors(frame))
        ref = _prepare_sectors(frame).drop(columns="tx")
        pd.testing.assert_frame_equal(got[list(ref.columns)], ref)


def test_predict_area_passes_warn_clipped_to_the_engine(rough, caplog):
    """A site whose radius leaves the DEM: warned by default, quiet when expected."""
    from covgap.radio.parallel import predict_area

    edge = gpd.GeoDataFrame(
        site(lon=103.01, lat=22.29).assign(power_dbm=46.0, gain_dbi=18.0, tilt_deg=2.0,
                                           beamwidth_deg=65.0),
        geometry=gpd.points_from_xy([103.01] * 3, [22.29] * 3), crs="EPSG:4326",
    )  # fmt: skip
    for warn in (True, False):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="covgap.radio.area"):
            predict_area(rough, edge, radius_km=10.0, workers=1, warn_clipped=warn)
        assert ("clipped" in caplog.text) is warn


@pytest.mark.parametrize("exact", [True, False])
def test_obstructed_cells_read_the_pattern_at_the_departure_angle(exact):
    """Behind a ridge the rasters read the vertical pattern at the departure angle, as
    the point analysis does (the direct angle would give several dB less loss)."""
    heights = np.full((ROWS, COLS), 400.0)
    heights[:, 99:102] = 1000.0
    terrain = make_terrain(heights)
    lon0 = LEFT + 85.5 * RES  # 14 cells west of the ridge
    sites = site(lon=lon0, lat=22.2, height=30.0)
    pred = predict_site(terrain, sites, radius_km=6.0, exact=exact)
    row = round((TOP - 22.2) / RES - 0.5)
    cols = np.arange(110, 140, 3)  # behind the ridge, due east
    pts = pd.DataFrame({"point_id": np.arange(len(cols)), "lon": LEFT + (cols + 0.5) * RES,
                        "lat": TOP - (row + 0.5) * RES})  # fmt: skip
    ref = best_servers(pts, sites.iloc[[0]], terrain, by="site")
    assert not ref.los.any() and (ref.pattern_loss_db > 5).all()
    got = pred.signal_dbm[0, row - pred.window_offset[0], cols - pred.window_offset[1]]
    np.testing.assert_allclose(got, ref.signal_dbm.to_numpy(), atol=0.1)
