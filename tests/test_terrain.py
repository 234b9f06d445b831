import math

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS, Transformer

from covgap.io.terrain import (
    Terrain,
    _bilinear,
    bearing_deg,
    cell_size_m,
    distance_km,
    grid_index,
    sample_heights,
    terrain_profile,
)
from covgap.radio import kernels as _kernels

RES = 0.01  # degrees per cell
LEFT, TOP = 103.0, 22.5


def ramp_height(lon, lat):
    """The plane the ramp DEM samples: 2 m per column eastwards, 3 m per row southwards."""
    col = (np.asarray(lon) - LEFT) / RES - 0.5
    row = (TOP - np.asarray(lat)) / RES - 0.5
    return 100.0 + 2.0 * col + 3.0 * row


@pytest.fixture
def ramp():
    rows, cols = np.mgrid[0:40, 0:50]
    heights = (100.0 + 2.0 * cols + 3.0 * rows).astype("float32")
    return Terrain(heights, Affine(RES, 0, LEFT, 0, -RES, TOP), CRS.from_epsg(4326))


def test_bilinear_is_exact_on_a_ramp(ramp):
    rng = np.random.default_rng(1)
    lon = rng.uniform(LEFT + 0.005, LEFT + 0.495, 200)
    lat = rng.uniform(TOP - 0.395, TOP - 0.005, 200)
    np.testing.assert_allclose(sample_heights(ramp, lon, lat), ramp_height(lon, lat), atol=1e-6)


def test_sample_outside_is_nan_and_edges_are_clamped(ramp):
    outside = sample_heights(
        ramp, [LEFT - 0.001, LEFT + 0.2, LEFT + 0.51], [TOP - 0.1, TOP + 0.01, TOP - 0.1]
    )
    assert np.isnan(outside).all()
    # within half a cell of the left edge: the first column's value
    edge = sample_heights(ramp, LEFT + 0.001, TOP - 0.105)
    assert edge == pytest.approx(ramp_height(LEFT + RES / 2, TOP - 0.105), abs=1e-6)


def test_nodata_cells_give_nan_never_a_height(ramp):
    heights = ramp.heights.copy()
    heights[10, 20] = np.nan
    holed = Terrain(heights, ramp.transform, ramp.crs)
    lon_c, lat_c = LEFT + 20.5 * RES, TOP - 10.5 * RES
    near = sample_heights(holed, [lon_c, lon_c + 0.6 * RES, lon_c - 0.3 * RES], [lat_c] * 3)
    assert np.isnan(near).all()
    far = sample_heights(holed, lon_c + 3 * RES, lat_c)
    assert far == pytest.approx(ramp_height(lon_c + 3 * RES, lat_c), abs=1e-6)


def test_profile_on_ramp(ramp):
    lon0, lat0, lon1, lat1 = 103.05, 22.45, 103.42, 22.17
    dist, heights = terrain_profile(ramp, lon0, lat0, lon1, lat1, step_m=250.0)
    d = float(distance_km(lon0, lat0, lon1, lat1))
    assert dist[0] == 0.0 and dist[-1] == pytest.approx(d)
    assert len(dist) == math.ceil(d * 1000 / 250.0) + 1
    t = dist / d
    expected = ramp_height(lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0))
    np.testing.assert_allclose(heights, expected, atol=1e-6)


def test_profile_default_step_is_the_cell_size(ramp):
    dist, _ = terrain_profile(ramp, 103.05, 22.45, 103.45, 22.45)
    step = np.diff(dist) * 1000
    assert step.max() <= min(cell_size_m(ramp)) + 1e-6
    assert step.max() > 0.9 * min(cell_size_m(ramp))


def test_profile_marks_nodata_as_nan(ramp):
    heights = ramp.heights.copy()
    heights[:, 25] = np.nan
    holed = Terrain(heights, ramp.transform, ramp.crs)
    _, prof = terrain_profile(holed, 103.05, 22.3, 103.45, 22.3, step_m=200.0)
    assert np.isnan(prof).any() and np.isfinite(prof).sum() > len(prof) // 2


def test_cell_size_of_3_arc_seconds_at_22n():
    t = Terrain(
        np.zeros((10, 10), "float32"),
        Affine(1 / 1200, 0, 103, 0, -1 / 1200, 22.0 + 5 / 1200),
        CRS.from_epsg(4326),
    )
    width, height = cell_size_m(t)
    assert height == pytest.approx(92.66, abs=0.05)
    assert width == pytest.approx(92.66 * math.cos(math.radians(22.0)), abs=0.05)


def test_projected_grid_is_sampled_in_its_own_crs():
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    x0, y0 = to_utm.transform(103.2, 22.4)
    rows, cols = np.mgrid[0:100, 0:100]
    heights = (500.0 + 1.0 * cols - 0.5 * rows).astype("float32")
    t = Terrain(heights, Affine(90, 0, x0, 0, -90, y0), CRS.from_epsg(32648))
    assert cell_size_m(t) == (90.0, 90.0)
    lon, lat = 103.25, 22.35
    x, y = to_utm.transform(lon, lat)
    col, row = (x - x0) / 90 - 0.5, (y0 - y) / 90 - 0.5
    assert sample_heights(t, lon, lat) == pytest.approx(500.0 + col - 0.5 * row, abs=1e-4)
    c, r = grid_index(t, lon, lat)
    assert (c, r) == pytest.approx((col, row))


def test_distance_and_bearing():
    assert distance_km(103, 22, 103, 23) == pytest.approx(111.195, abs=1e-3)
    assert bearing_deg(103, 22, 103, 23) == pytest.approx(0.0)
    assert bearing_deg(103, 22, 103.1, 22) == pytest.approx(90.0, abs=0.05)
    assert bearing_deg(103, 22, 103, 21.9) == pytest.approx(180.0)
    assert bearing_deg(103, 22, 102.9, 22) == pytest.approx(270.0, abs=0.05)


def test_kernel_bilinear_matches_numpy(ramp):
    rng = np.random.default_rng(3)
    heights = ramp.heights.copy()
    heights[rng.integers(0, 40, 30), rng.integers(0, 50, 30)] = np.nan
    col = rng.uniform(-2, 52, 500)
    row = rng.uniform(-2, 42, 500)
    ref = _bilinear(heights, col, row)
    got = np.array([_kernels.bilinear(heights, c, r) for c, r in zip(col, row, strict=True)])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9, equal_nan=True)
    assert np.isnan(ref).any() and np.isfinite(ref).any()
