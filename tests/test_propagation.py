import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from scipy import ndimage

from covgap.config import Radio
from covgap.errors import InputError
from covgap.io.terrain import (
    EARTH_RADIUS_KM,
    Terrain,
    distance_km,
    grid_index,
    profile_segments,
    terrain_profile,
)
from covgap.radio import kernels as _kernels
from covgap.radio.propagation import (
    antenna_pattern_db,
    bullington_loss_db,
    fspl_db,
    knife_edge_loss_db,
    signal_dbm,
)

CE = 1.0 / (EARTH_RADIUS_KM * 4.0 / 3.0)


def j_by_hand(nu):
    return 6.9 + 20 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1) + nu - 0.1) if nu > -0.78 else 0.0


def flat_profile(d_km, n, height=0.0):
    return np.linspace(0.0, d_km, n + 1), np.full(n + 1, height)


# ------------------------------------------------------------------ free space, J(nu)
def test_fspl_matches_the_formula():
    d = np.array([0.5, 1.0, 12.3, 35.0])
    f = np.array([700, 900, 1800, 2600])
    expected = 32.45 + 20 * np.log10(d) + 20 * np.log10(f)
    np.testing.assert_allclose(fspl_db(d, f), expected, rtol=1e-12)
    assert fspl_db(1.0, 1000.0) == pytest.approx(92.45)


@pytest.mark.parametrize(("nu", "expected"), [(0.0, 6.03), (2.0, 19.04), (5.0, 26.8)])
def test_knife_edge_reference_values(nu, expected):
    assert knife_edge_loss_db(nu) == pytest.approx(expected, abs=0.02)
    assert knife_edge_loss_db(nu) == pytest.approx(j_by_hand(nu), abs=1e-9)


def test_knife_edge_is_zero_below_minus_078():
    nu = np.array([-np.inf, -10.0, -1.0, -0.78])
    assert (knife_edge_loss_db(nu) == 0.0).all()
    assert knife_edge_loss_db(-0.77) > 0.0
    j = knife_edge_loss_db(np.linspace(-0.78, 10, 200))
    assert (np.diff(j) >= 0).all()


# ------------------------------------------------------------------ Bullington
def test_flat_terrain_short_range_has_no_diffraction_loss():
    dist, heights = flat_profile(3.0, 40, height=250.0)
    assert bullington_loss_db(dist, heights, 250.0 + 30.0, 251.5, 1800.0) == 0.0


def test_single_ridge_is_one_knife_edge():
    d, d1, ridge, n = 10.0, 4.0, 300.0, 100
    dist, heights = flat_profile(d, n, height=100.0)
    heights[40] = 100.0 + ridge  # dist[40] == 4.0 km
    hts, hrs, freq = 100.0 + 30.0, 101.5, 1800.0
    lam = 299_792_458.0 / (freq * 1e6)
    # height of the edge above the straight line, earth bulge included (metres; km for d)
    h = heights[40] + 500 * CE * d1 * (d - d1) - (hts * (d - d1) + hrs * d1) / d
    nu = h * math.sqrt(2 / lam * (1 / (d1 * 1000) + 1 / ((d - d1) * 1000)))
    l_uc = j_by_hand(nu)
    expected = l_uc + (1 - math.exp(-l_uc / 6)) * (10 + 0.02 * d)
    assert nu > 10  # deeply shadowed, so the loss is large
    assert bullington_loss_db(dist, heights, hts, hrs, freq) == pytest.approx(expected, abs=1e-9)


def test_grazing_ridge_in_line_of_sight():
    d, n = 10.0, 100
    dist, heights = flat_profile(d, n)
    hts, hrs = 50.0, 1.5
    line = (hts * (d - 5.0) + hrs * 5.0) / d - 500 * CE * 5.0 * 5.0
    heights[50] = line - 2.0  # 2 m below the line of sight: LOS, but inside the Fresnel zone
    lam = 299_792_458.0 / 900e6
    nu = -2.0 * math.sqrt(2 / lam * (2 / 5000))
    l_uc = j_by_hand(nu)
    expected = l_uc + (1 - math.exp(-l_uc / 6)) * (10 + 0.02 * d)
    assert 0 < expected < 15
    assert bullington_loss_db(dist, heights, hts, hrs, 900.0) == pytest.approx(expected, abs=1e-9)


def test_nan_samples_are_skipped():
    dist, heights = flat_profile(8.0, 80, height=200.0)
    heights[30] = 420.0
    with_nan = heights.copy()
    with_nan[[10, 50, 60]] = np.nan
    ref = bullington_loss_db(
        np.delete(dist, [10, 50, 60]), np.delete(heights, [10, 50, 60]), 230, 201.5, 1800
    )
    got = bullington_loss_db(dist, with_nan, 230, 201.5, 1800)
    assert np.isfinite(got) and got == pytest.approx(ref) and got > 10
    all_nan = np.full_like(heights, np.nan)
    assert bullington_loss_db(dist, all_nan, 230, 201.5, 1800) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    d1=st.floats(0.05, 60.0),
    extra=st.floats(0.001, 30.0),
    h_tx=st.floats(5.0, 150.0),
    freq=st.sampled_from([700.0, 900.0, 1800.0, 2100.0, 2600.0, 3700.0]),
)
def test_loss_does_not_fall_with_distance_on_flat_ground(d1, extra, h_tx, freq):
    def total(d):
        dist, heights = flat_profile(d, max(1, math.ceil(d * 1000 / 90)), height=300.0)
        diff = bullington_loss_db(dist, heights, 300.0 + h_tx, 301.5, freq)
        return float(fspl_db(d, freq)) + diff

    assert total(d1 + extra) >= total(d1) - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    heights=st.lists(st.floats(0.0, 800.0), min_size=3, max_size=60),
    d=st.floats(0.5, 35.0),
    h_low=st.floats(2.0, 60.0),
    raise_by=st.floats(0.1, 100.0),
    freq=st.sampled_from([900.0, 1800.0, 2600.0]),
)
def test_higher_antenna_never_lowers_the_signal(heights, d, h_low, raise_by, freq):
    heights = np.asarray(heights)
    dist = np.linspace(0, d, len(heights))

    def signal(h_ant):
        diff = bullington_loss_db(dist, heights, heights[0] + h_ant, heights[-1] + 1.5, freq)
        pl = fspl_db(d, freq) + diff
        return float(signal_dbm("4G", power_dbm=46, gain_dbi=18, path_loss_db=pl))

    assert signal(h_low + raise_by) >= signal(h_low) - 1e-9


# ------------------------------------------------------------------ kernel = reference
@pytest.fixture(scope="module")
def rough():
    rng = np.random.default_rng(7)
    noise = ndimage.gaussian_filter(rng.normal(size=(160, 200)), 6.0)
    heights = (800 + 300 * noise / noise.std()).astype("float32")
    heights[rng.integers(0, 160, 80), rng.integers(0, 200, 80)] = np.nan
    return Terrain(heights, Affine(1 / 400, 0, 103.0, 0, -1 / 400, 22.4), CRS.from_epsg(4326))


def test_kernel_agrees_with_reference_on_random_profiles(rough):
    rng = np.random.default_rng(11)
    n = 60
    lon0, lon1 = rng.uniform(103.01, 103.49, (2, n))
    lat0, lat1 = rng.uniform(22.01, 22.39, (2, n))
    step = 150.0
    d = distance_km(lon0, lat0, lon1, lat1)
    c0, r0 = grid_index(rough, lon0, lat0)
    c1, r1 = grid_index(rough, lon1, lat1)
    hts = rng.uniform(900, 2000, n)
    hrs = rng.uniform(300, 1300, n)
    x, los, _, _ = _kernels.bullington_geometry(
        rough.heights, c0, r0, c1, r1, profile_segments(d, step), d, hts, hrs, CE
    )
    n_los = 0
    for k in range(n):
        dist, prof = terrain_profile(rough, lon0[k], lat0[k], lon1[k], lat1[k], step_m=step)
        for freq in (700.0, 1800.0, 3700.0):
            ref = bullington_loss_db(dist, prof, hts[k], hrs[k], freq)
            lam = 299_792_458.0 / (freq * 1e6)
            l_uc = float(knife_edge_loss_db(x[k] / math.sqrt(lam)))
            got = l_uc + (1 - math.exp(-l_uc / 6)) * (10 + 0.02 * d[k])
            assert got == pytest.approx(ref, abs=1e-6)
        n_los += bool(los[k])
    assert 0 < n_los < n  # both branches exercised


# ------------------------------------------------------------------ antenna pattern
def test_pattern_boresight_half_beamwidth_and_cap():
    assert antenna_pattern_db(0.0, 3.0, beamwidth_deg=65, tilt_deg=3) == pytest.approx(0.0)
    assert antenna_pattern_db(32.5, 3.0, beamwidth_deg=65, tilt_deg=3) == pytest.approx(-3.0)
    assert antenna_pattern_db(-32.5, 3.0) == pytest.approx(-3.0)
    assert antenna_pattern_db(0.0, 8.0, tilt_deg=3.0) == pytest.approx(-3.0)  # 10 deg vertical
    assert antenna_pattern_db(180.0, 3.0) == pytest.approx(-25.0)
    assert antenna_pattern_db(180.0, 60.0, front_to_back_db=30.0) == pytest.approx(-30.0)
    assert antenna_pattern_db(0.0, 60.0) == pytest.approx(-20.0)  # SLA_v
    # angles wrap: 350 deg off boresight is 10 deg
    assert antenna_pattern_db(350.0, 3.0) == pytest.approx(antenna_pattern_db(-10.0, 3.0))
    phi = np.linspace(-180, 180, 361)
    gains = antenna_pattern_db(phi, 3.0)
    assert (gains <= 0).all() and (gains >= -25).all()


def test_omni_pattern_has_no_horizontal_term():
    phi = np.array([0.0, 45.0, 170.0, -120.0])
    np.testing.assert_allclose(antenna_pattern_db(phi, 3.0, beamwidth_deg=360.0), 0.0)
    np.testing.assert_allclose(antenna_pattern_db(np.full(4, np.nan), 3.0), 0.0)
    assert antenna_pattern_db(np.nan, 13.0) == pytest.approx(-12.0)


# ------------------------------------------------------------------ link budget
def test_rsrp_link_budget():
    pl = np.array([100.0, 130.0])
    rsrp = signal_dbm("4G", power_dbm=46, gain_dbi=18, path_loss_db=pl)
    np.testing.assert_allclose(rsrp, 62 - 27.78 - pl, atol=0.01)
    assert 10 * math.log10(12 * 50) == pytest.approx(27.78, abs=0.01)


def test_rscp_rxlev_pattern_and_clutter():
    radio = Radio(clutter_loss_db=5.0, cable_loss_db=3.0, cpich_offset_db=-10.0)
    rscp = signal_dbm(
        "3G", power_dbm=43, gain_dbi=18, path_loss_db=120, pattern_loss_db=4, radio=radio
    )
    assert rscp == pytest.approx(43 - 10 + 18 - 3 - 120 - 4 - 5)
    rxlev = signal_dbm(["2G", "4G"], power_dbm=43, gain_dbi=11, path_loss_db=110, radio=radio)
    assert rxlev[0] == pytest.approx(43 + 11 - 3 - 110 - 5)
    wide = signal_dbm(
        "4G", power_dbm=46, gain_dbi=18, path_loss_db=0, radio=Radio(lte_bandwidth_mhz=20.0)
    )
    assert wide == pytest.approx(46 - 10 * math.log10(1200) + 18 - 2)


def test_unknown_technology_is_refused():
    with pytest.raises(InputError, match="5G"):
        signal_dbm(["4G", "5G"], power_dbm=46, gain_dbi=18, path_loss_db=100)
