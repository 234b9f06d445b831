import math

import numpy as np
import pytest
from scipy import ndimage

from covgap.config import Radio
from covgap.errors import InputError
from covgap.io.terrain import EARTH_RADIUS_KM
from covgap.radio import kernels as _kernels
from covgap.radio.models import (
    MODELS,
    coverage_probability,
    delta_bullington_loss_db,
    hata_effective_height_m,
    hata_loss_db,
    model_code,
    profile_path_loss_db,
    smooth_bullington_loss_db,
    smooth_surface_heights,
    spherical_earth_loss_db,
)
from covgap.radio.propagation import bullington_loss_db, fspl_db

AE = EARTH_RADIUS_KM * 4 / 3


# ------------------------------------------------------------------ Hata
def test_okumura_hata_published_values():
    # urban, small/medium city, 900 MHz, h_b 30 m, h_m 1.5 m: 126.4 dB at 1 km, 35.2 dB/decade
    at_1 = float(hata_loss_db(1.0, 900, 30, 1.5, environment="urban"))
    at_10 = float(hata_loss_db(10.0, 900, 30, 1.5, environment="urban"))
    assert at_1 == pytest.approx(126.4, abs=0.05)
    assert at_10 - at_1 == pytest.approx(44.9 - 6.55 * math.log10(30), abs=1e-9)


def test_cost231_published_values():
    # COST-231 Hata, 1800 MHz, h_b 30 m, h_m 1.5 m, medium city: 136.2 + 35.2 log d
    assert float(hata_loss_db(1.0, 1800, 30, 1.5, environment="urban")) == pytest.approx(
        136.2, abs=0.05
    )


def test_suburban_and_open_corrections():
    lf = math.log10(900)
    urban = float(hata_loss_db(5.0, 900, 40, 1.5, environment="urban"))
    sub = float(hata_loss_db(5.0, 900, 40, 1.5, environment="suburban"))
    opn = float(hata_loss_db(5.0, 900, 40, 1.5, environment="open"))
    assert urban - sub == pytest.approx(2 * math.log10(900 / 28) ** 2 + 5.4)
    assert urban - opn == pytest.approx(4.78 * lf**2 - 18.33 * lf + 40.94)
    assert opn < sub < urban
    # never below free space (very short or very high)
    assert float(hata_loss_db(0.05, 900, 300, 1.5, environment="open")) >= float(fspl_db(0.05, 900))
    with pytest.raises(InputError):
        hata_loss_db(1.0, 100, 30)
    with pytest.raises(InputError):
        hata_loss_db(1.0, 900, 30, environment="rural")


def test_hata_effective_height():
    dist = np.linspace(0, 20, 201)
    h = np.where((dist >= 3) & (dist <= 15), 500.0, 100.0)
    assert hata_effective_height_m(dist, h, 700.0) == pytest.approx(200.0)
    assert hata_effective_height_m(dist, h, 450.0) == 1.0  # below the mean terrain
    short = np.linspace(0, 2, 21)
    assert hata_effective_height_m(short, np.full(21, 300.0), 330.0) == pytest.approx(30.0)


def test_hata_kernel_equals_reference():
    rng = np.random.default_rng(3)
    for _ in range(50):
        d, f = rng.uniform(0.02, 40), rng.choice([700.0, 900.0, 1800.0, 2100.0, 2600.0])
        hb, hm = rng.uniform(0.5, 400), rng.uniform(1, 5)
        for env, code in (("suburban", _kernels.HATA_SUBURBAN), ("open", _kernels.HATA_OPEN)):
            ref = float(hata_loss_db(d, f, hb, hm, environment=env))
            assert _kernels.hata(d, f, hb, hm, code) == pytest.approx(ref, abs=1e-9)


# ------------------------------------------------------------------ P.1812 pieces
def test_smooth_surface_of_flat_and_sloping_ground():
    dist = np.linspace(0, 10, 101)
    assert smooth_surface_heights(dist, np.full(101, 250.0), 280.0, 251.5) == pytest.approx(
        (250.0, 250.0)
    )
    ramp = 100.0 + 20.0 * dist  # the least-squares line of a line is itself
    h_st, h_sr = smooth_surface_heights(dist, ramp, 130.0, 301.5)
    assert (h_st, h_sr) == pytest.approx((100.0, 300.0))


def test_smooth_surface_is_lowered_under_an_obstruction():
    dist = np.linspace(0, 10, 101)
    h = np.full(101, 100.0)
    h[50] = 400.0
    h_st, h_sr = smooth_surface_heights(dist, h, 130.0, 101.5)
    assert h_st < 100.0 and h_sr < 100.0


def test_spherical_earth_loss_behaviour():
    # short path, high antennas: the ray clears the sphere, no loss
    assert spherical_earth_loss_db(2.0, 30.0, 1.5, 1800) == 0.0
    # beyond the radio horizon the loss grows with distance
    d_los = math.sqrt(2 * AE) * (math.sqrt(0.03) + math.sqrt(0.0015))
    losses = [spherical_earth_loss_db(d, 30.0, 1.5, 900) for d in (d_los, 40, 60, 80)]
    assert losses[0] > 0 and np.all(np.diff(losses) > 0)
    # continuous at the horizon (the two branches meet)
    below = spherical_earth_loss_db(d_los * 0.9999, 30.0, 1.5, 900)
    assert below == pytest.approx(losses[0], abs=0.3)


def test_kernel_delta_terms_equal_reference():
    rng = np.random.default_rng(5)
    for _ in range(200):
        d = rng.uniform(0.05, 80)
        hte, hre = rng.uniform(2, 600), rng.uniform(1, 300)
        f = rng.choice([700.0, 900.0, 1800.0, 2600.0, 3700.0])
        lam = 299_792_458.0 / (f * 1e6)
        ref = max(
            spherical_earth_loss_db(d, hte, hre, f) - smooth_bullington_loss_db(d, hte, hre, f),
            0.0,
        )
        assert _kernels.delta_terms(d, hte, hre, lam, f, AE) == pytest.approx(ref, abs=1e-9)


def test_closed_form_smooth_bullington_matches_a_dense_zero_profile():
    for d, hte, hre in ((8.0, 40.0, 1.5), (45.0, 35.0, 1.5), (25.0, 300.0, 10.0)):
        dist = np.linspace(0, d, 20001)
        dense = bullington_loss_db(dist, np.zeros_like(dist), hte, hre, 1800.0)
        assert smooth_bullington_loss_db(d, hte, hre, 1800.0) == pytest.approx(dense, abs=0.05)


def test_flat_smooth_earth_is_free_space_plus_smooth_earth_diffraction():
    for d in (2.0, 10.0, 30.0, 45.0, 60.0):
        dist = np.linspace(0, d, max(int(d * 1000 / 90), 2) + 1)
        heights = np.full_like(dist, 300.0)
        hts, hrs = 330.0, 301.5
        total, excess = profile_path_loss_db("p1812", dist, heights, hts, hrs, 900.0)
        l_dsph = spherical_earth_loss_db(d, 30.0, 1.5, 900.0)
        l_bulla = bullington_loss_db(dist, heights, hts, hrs, 900.0)
        l_bulls = smooth_bullington_loss_db(d, 30.0, 1.5, 900.0)
        assert l_bulla == pytest.approx(l_bulls, abs=0.1)  # no terrain: both smooth paths
        assert excess == pytest.approx(max(l_dsph, l_bulla), abs=0.1)
        assert total == pytest.approx(float(fspl_db(d, 900.0)) + excess)
    assert profile_path_loss_db("p1812", np.linspace(0, 1, 12), np.full(12, 300.0), 330, 301.5,
                                900.0)[1] == 0.0  # fmt: skip


def test_single_knife_edge_is_p526():
    d, d1, n = 10.0, 4.0, 100
    dist = np.linspace(0, d, n + 1)
    heights = np.full(n + 1, 100.0)
    heights[40] = 400.0
    hts, hrs, freq = 130.0, 101.5, 900.0
    lam = 299_792_458.0 / (freq * 1e6)
    ce = 1 / AE
    h = heights[40] + 500 * ce * d1 * (d - d1) - (hts * (d - d1) + hrs * d1) / d
    nu = h * math.sqrt(2 / lam * (1 / (d1 * 1000) + 1 / ((d - d1) * 1000)))
    j = 6.9 + 20 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1) + nu - 0.1)
    l_bulla = bullington_loss_db(dist, heights, hts, hrs, freq)
    assert l_bulla - (1 - math.exp(-j / 6)) * (10 + 0.02 * d) == pytest.approx(j, abs=0.5)
    assert delta_bullington_loss_db(dist, heights, hts, hrs, freq) >= l_bulla


# ------------------------------------------------------------------ kernels = reference
@pytest.mark.parametrize("model", ["fspl", "bullington", "p1812", "hata", "hata-open"])
def test_kernel_path_loss_equals_reference_on_random_profiles(model):
    rng = np.random.default_rng(17)
    heights2d = ndimage.gaussian_filter(rng.normal(size=(200, 200)), 5.0)
    heights2d = 800 + 300 * heights2d / heights2d.std()
    code = model_code(model)
    for _ in range(25):
        n = int(rng.integers(2, 300))
        c0, r0, c1, r1 = rng.uniform(1, 198, 4)
        d = rng.uniform(0.3, 35.0)
        g_tx = _kernels.bilinear(heights2d, c0, r0)
        g_rx = _kernels.bilinear(heights2d, c1, r1)
        hts, hrs = g_tx + rng.uniform(10, 60), g_rx + 1.5
        x, _, _, _, hte, hre, hb = _kernels.path_terms(
            heights2d, c0, r0, c1, r1, n, d, hts, hrs, 1 / AE, g_tx, g_rx
        )
        prof = _kernels.sample_path(heights2d, c0, r0, c1, r1, n)
        dist = np.linspace(0, d, n + 1)
        for f in (700.0, 1800.0, 2600.0):
            ref = profile_path_loss_db(model, dist, prof, hts, hrs, f)
            got = _kernels.path_loss(code, d, f, x, hte, hre, hb, 1.5, AE)
            assert got[0] == pytest.approx(ref[0], abs=1e-6)
            assert got[1] == pytest.approx(ref[1], abs=1e-6)


def test_unknown_model():
    assert set(MODELS) >= {"p1812", "bullington", "hata", "fspl"}
    with pytest.raises(InputError, match="itm"):
        model_code("itm")


def test_coverage_probability_matches_the_location_margin():
    radio = Radio(location_probability=0.9, shadow_sigma_db=8.0)
    p = coverage_probability(-105.0 + radio.location_margin_db, -105.0, 8.0)
    assert float(p) == pytest.approx(0.9, abs=1e-9)
    assert float(coverage_probability(-105.0, -105.0, 8.0)) == pytest.approx(0.5)
    step = coverage_probability([-104.0, -106.0, np.nan], -105.0, 0.0)
    assert list(step[:2]) == [1.0, 0.0] and np.isnan(step[2])
