"""The bundled sample's synthetic land cover (``data/landcover``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from covgap.config import Clutter
from covgap.io.landcover import CATEGORY_CODES, check_land_cover, clutter_grid
from covgap.io.readers import read_dem
from covgap.sample.landcover import LAND_COVER_FILE, write_sample_land_cover

DATA = Path(__file__).parent.parent / "data"
LAND_COVER = DATA / LAND_COVER_FILE


def test_sample_land_cover_is_regenerated_byte_for_byte(tmp_path):
    for sub in ("dem", "villages"):
        shutil.copytree(DATA / sub, tmp_path / sub)
    path = write_sample_land_cover(tmp_path)
    assert path.read_bytes() == LAND_COVER.read_bytes()


@pytest.fixture(scope="module")
def sample_grid():
    terrain = read_dem([DATA / "dem" / "laichau_synthetic_dem.tif"])
    return terrain, clutter_grid(LAND_COVER, terrain)


def test_sample_land_cover_uses_worldcover_classes(sample_grid):
    terrain, grid = sample_grid
    assert grid.shape == terrain.shape
    assert set(np.unique(grid.classes).tolist()) <= {10, 20, 30, 40, 50, 60, 80}
    assert check_land_cover(grid, Clutter()) == []
    shares = np.bincount(grid.classes.ravel(), minlength=81) / grid.classes.size
    assert 0.6 < shares[10] < 0.9  # mostly forest on the slopes
    assert shares[50] > 0.001 and shares[80] > 0.001 and shares[40] > 0.03


def test_village_cores_are_built_up(sample_grid):
    terrain, grid = sample_grid
    villages = pd.read_csv(DATA / "villages" / "villages.csv")
    t = terrain.transform
    col = np.floor((villages["lon"] - t.c) / t.a).astype(int)
    row = np.floor((villages["lat"] - t.f) / t.e).astype(int)
    assert np.all(grid.classes[row, col] == 50)
    assert np.all(grid.category[row, col] == CATEGORY_CODES["suburban"])
    with rasterio.open(LAND_COVER) as src:
        assert src.tags()["licence"] == "CC0-1.0"
