import numpy as np
from affine import Affine
from pyproj import CRS

from covgap.io.terrain import Terrain, hillshade


def _ramp(east: bool) -> Terrain:
    cols = np.arange(50, dtype=np.float32)
    z = np.tile(cols * 30.0 if east else cols[::-1] * 30.0, (40, 1))  # 30 m per 90 m cell
    return Terrain(z, Affine(90.0, 0, 500000, 0, -90.0, 2_500_000), CRS.from_epsg(32648))


def test_slope_facing_the_sun_is_lit():
    west_facing = _ramp(east=True)  # rises to the east: faces west
    lit = hillshade(west_facing, azimuth_deg=270)[5:-5, 5:-5]
    dark = hillshade(west_facing, azimuth_deg=90)[5:-5, 5:-5]
    slope = np.arctan(30 / 90)
    sun = np.radians(45)
    assert np.allclose(lit, np.cos(sun - slope), atol=1e-5)  # 0.894
    assert np.allclose(dark, np.sin(sun - slope), atol=1e-5)  # 0.447


def test_flat_ground_gets_sin_of_sun_altitude():
    flat = Terrain(
        np.full((10, 10), 500, np.float32),
        Affine(1 / 1200, 0, 103, 0, -1 / 1200, 22),
        CRS.from_epsg(4326),
    )
    assert np.allclose(hillshade(flat, altitude_deg=30), 0.5, atol=1e-6)


def test_nodata_stays_nan_and_step_decimates():
    t = _ramp(east=False)
    z = t.heights.copy()
    z[10, 10] = np.nan
    shade = hillshade(Terrain(z, t.transform, t.crs))
    assert np.isnan(shade[10, 10]) and np.isfinite(shade[30, 30])
    assert hillshade(t, step=2).shape == (20, 25)
