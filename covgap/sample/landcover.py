"""A synthetic land cover for the bundled sample, in ESA WorldCover's classes.

Derived deterministically from the sample's DEM and villages (no real land cover of Lai
Châu is used or redistributed): permanent water (80) on the lowest valley floors (the
Đà-like reservoirs), built-up (50) at the village cores (larger for big villages),
cropland (40) on slopes under 30° within 1.2 km of a village (terraces) and on the
valley floors, tree cover (10) on most slopes, patches of shrubland (20) and grassland
(30) from a smooth random field, grassland above 2,600 m and bare/sparse (60) above
2,900 m. The raster is written on the DEM's grid (EPSG:4326, 3"), uint8, nodata 0, CC0
like the rest of the sample.

>>> from covgap.sample.landcover import write_sample_land_cover
>>> write_sample_land_cover("data")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine

from .writers import NOTICE

__all__ = ["LAND_COVER_FILE", "make_land_cover", "write_sample_land_cover"]

logger = logging.getLogger(__name__)

#: The sample's land cover, relative to the sample folder.
LAND_COVER_FILE = "landcover/laichau_synthetic_landcover.tif"
#: WorldCover classes used.
TREES, SHRUB, GRASS, CROP, BUILT, BARE, WATER = 10, 20, 30, 40, 50, 60, 80
#: Seed of the land cover's random patches.
DEFAULT_SEED = 20250701


def make_land_cover(
    heights: np.ndarray,
    transform: Affine,
    village_lon: np.ndarray,
    village_lat: np.ndarray,
    village_households: np.ndarray | None = None,
    *,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """Return WorldCover classes (uint8, 0 for nodata) on a DEM's geographic grid.

    Parameters
    ----------
    heights
        The DEM (m, NaN nodata), EPSG:4326 grid.
    transform
        Its transform.
    village_lon, village_lat
        Village centres (WGS 84).
    village_households
        Households per village (a village above 150 gets a larger built-up core).
    seed
        Seed of the shrub and grass patches.

    Returns
    -------
    numpy.ndarray
    """
    from scipy import ndimage

    h = np.where(np.isfinite(heights), heights, np.nan).astype(np.float64)
    valid = np.isfinite(h)
    filled = np.where(valid, h, np.nanmax(h))
    lat0 = transform.f + transform.e * h.shape[0] / 2
    dx = abs(transform.a) * 111_320.0 * np.cos(np.radians(lat0))
    dy = abs(transform.e) * 110_574.0
    gy, gx = np.gradient(filled, dy, dx)
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    relief = filled - ndimage.minimum_filter(filled, size=15)
    floor = (relief < 40.0) & (slope < 8.0)
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(h.shape), 6.0)
    noise /= noise.std()
    out = np.full(h.shape, TREES, dtype=np.uint8)
    out[noise > 1.0] = SHRUB
    out[noise > 1.6] = GRASS
    out[filled > 2600.0] = GRASS
    out[filled > 2900.0] = BARE
    near = _near_villages(h.shape, transform, village_lon, village_lat, 14)  # ~1.2 km
    out[(near & (slope < 30.0)) | (floor & (filled < 1800.0))] = CROP
    low = np.nanpercentile(h, 1.5)
    out[floor & (filled <= low) & (slope < 4.0)] = WATER
    big = (
        np.zeros(len(village_lon), dtype=bool)
        if village_households is None
        else np.nan_to_num(np.asarray(village_households, dtype=float)) > 150
    )
    for radius, sel in ((1, ~big), (2, big)):
        core = _near_villages(h.shape, transform, village_lon[sel], village_lat[sel], radius)
        out[core] = BUILT
    out[~valid] = 0
    return out


def _near_villages(shape, transform, lon, lat, radius: int) -> np.ndarray:
    """Cells within ``radius`` cells (a disc) of any village centre."""
    mask = np.zeros(shape, dtype=bool)
    if len(lon) == 0:
        return mask
    col = np.floor((np.asarray(lon) - transform.c) / transform.a).astype(int)
    row = np.floor((np.asarray(lat) - transform.f) / transform.e).astype(int)
    inside = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    mask[row[inside], col[inside]] = True
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    from scipy import ndimage

    return ndimage.binary_dilation(mask, structure=(yy * yy + xx * xx) <= radius * radius)


def write_sample_land_cover(folder: str | os.PathLike, *, seed: int = DEFAULT_SEED) -> Path:
    """Write the sample's land cover next to its DEM and villages (byte for byte the same).

    Parameters
    ----------
    folder
        The sample folder (``dem/laichau_synthetic_dem.tif`` and
        ``villages/villages.csv`` inside).
    seed
        Seed of the random patches.

    Returns
    -------
    pathlib.Path
        The GeoTIFF (:data:`LAND_COVER_FILE` in ``folder``).
    """
    import rasterio

    folder = Path(folder)
    with rasterio.open(folder / "dem" / "laichau_synthetic_dem.tif") as src:
        dem = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        transform = src.transform
    villages = pd.read_csv(folder / "villages" / "villages.csv")
    classes = make_land_cover(
        dem, transform, villages["lon"].to_numpy(float), villages["lat"].to_numpy(float),
        villages.get("households"), seed=seed,
    )  # fmt: skip
    path = folder / LAND_COVER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff", "width": dem.shape[1], "height": dem.shape[0], "count": 1,
        "dtype": "uint8", "crs": "EPSG:4326", "transform": transform, "nodata": 0,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
        "zlevel": 9, "interleave": "band",
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(classes, 1)
        dst.update_tags(
            TIFFTAG_IMAGEDESCRIPTION=NOTICE, TIFFTAG_SOFTWARE="covgap", licence="CC0-1.0",
            classes="ESA WorldCover codes: 10 tree cover, 20 shrubland, 30 grassland, "
            "40 cropland, 50 built-up, 60 bare/sparse vegetation, 80 permanent water",
            seed=str(seed),
        )  # fmt: skip
        dst.set_band_description(1, "land cover class (synthetic, ESA WorldCover codes)")
    counts = np.bincount(classes.ravel(), minlength=101)
    logger.info("land cover: %s", {c: int(counts[c]) for c in np.flatnonzero(counts)})
    return path
