"""Benchmark covgap.predict.best_servers at the size of the bundled Lai Chau sample.

Run: ``python benchmarks/bench_predict.py [--sample-only | --synthetic-only]``.

1. A synthetic 2,280 x 1,560 DEM at 3 arc-seconds (lon 102.2-104.1, lat 21.6-22.9) of
   smooth random terrain, ~2,500 random points and ~700 sites (~5,000 sector rows).
2. The bundled sample in data/ when it exists (CSV files read with pandas, DEM with
   rasterio), its points being the village centres and clusters.

Prints the first call (JIT compile or cache load included), a warm call and pairs/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from covgap.config import Radio
from covgap.predict import best_servers
from covgap.terrain import Terrain, distance_km

ROOT = Path(__file__).resolve().parents[1]
RES = 1 / 1200


def synthetic_terrain(seed: int = 1) -> Terrain:
    rng = np.random.default_rng(seed)
    rows, cols = 1560, 2280
    h = np.zeros((rows, cols))
    for sigma, amp in ((120, 900), (40, 500), (12, 250), (4, 80)):
        field = ndimage.gaussian_filter(rng.normal(size=(rows, cols)), sigma)
        h += amp * field / field.std()
    h = np.clip(h - h.min(), 0, None) * (2900 / np.ptp(h)) + 170
    return Terrain(h.astype("float32"), Affine(RES, 0, 102.2, 0, -RES, 22.9), CRS.from_epsg(4326))


def synthetic_tables(seed: int = 2, n_points: int = 2500, n_sites: int = 700):
    rng = np.random.default_rng(seed)
    pts = pd.DataFrame(
        {
            "point_id": np.arange(n_points),
            "lon": rng.uniform(102.25, 104.05, n_points),
            "lat": rng.uniform(21.65, 22.85, n_points),
        }
    )
    site_lon = rng.uniform(102.25, 104.05, n_sites)
    site_lat = rng.uniform(21.65, 22.85, n_sites)
    carriers = rng.choice(["Viettel", "VNPT", "MobiFone"], n_sites)
    rows = []
    for i in range(n_sites):
        layers = [("4G", 1800)] + [t for t in (("3G", 2100), ("2G", 900)) if rng.random() < 0.6]
        for tech, freq in layers:
            for k, az in enumerate((0.0, 120.0, 240.0)):
                rows.append(
                    dict(site_id=f"S{i:04d}", sector_id=f"{tech}-{k + 1}", carrier=carriers[i],
                         technology=tech, freq_mhz=freq, height_m=35.0, lon=site_lon[i],
                         lat=site_lat[i], azimuth_deg=az + rng.uniform(-20, 20))
                )  # fmt: skip
    return pts, pd.DataFrame(rows)


def sample_inputs():
    dem = ROOT / "data/dem/laichau_synthetic_dem.tif"
    villages = ROOT / "data/villages/villages.csv"
    sites = ROOT / "data/bts_sites/sites.csv"
    if not (dem.exists() and villages.exists() and sites.exists()):
        return None
    import rasterio

    with rasterio.open(dem) as src:
        h = src.read(1).astype("float32")
        if src.nodata is not None:
            h[h == src.nodata] = np.nan
        terrain = Terrain(h, src.transform, CRS.from_user_input(src.crs), source=str(dem))
    v = pd.read_csv(villages)
    parts = [v[["lon", "lat"]]]
    for k in (1, 2):
        c = v[[f"cluster_{k}_lon", f"cluster_{k}_lat"]].dropna()
        parts.append(c.set_axis(["lon", "lat"], axis=1))
    pts = pd.concat(parts, ignore_index=True)
    pts.insert(0, "point_id", np.arange(len(pts)))
    return pts, pd.read_csv(sites, dtype={"site_id": str, "sector_id": str}), terrain


def count_pairs(pts, sites, radio) -> int:
    tx = sites.drop_duplicates(["site_id", "lon", "lat", "height_m"])
    d = distance_km(
        pts.lon.to_numpy()[:, None], pts.lat.to_numpy()[:, None],
        tx.lon.to_numpy()[None, :], tx.lat.to_numpy()[None, :],
    )  # fmt: skip
    return int((d <= radio.max_range_km).sum())


def run(name: str, pts, sites, terrain, radio=Radio()) -> None:
    pairs = count_pairs(pts, sites, radio)
    n_tx = len(sites.drop_duplicates(["site_id", "lon", "lat", "height_m"]))
    print(f"\n== {name}: DEM {terrain.shape}, {len(pts)} points, {n_tx} site antennas, "
          f"{len(sites)} sectors, {pairs:,} (point, antenna) paths in range")  # fmt: skip
    t0 = time.perf_counter()
    out = best_servers(pts, sites, terrain, radio=radio)
    t1 = time.perf_counter()
    best_servers(pts, sites, terrain, radio=radio)
    t2 = time.perf_counter()
    print(f"first call (incl. JIT or cache load): {t1 - t0:7.2f} s")
    print(f"warm call:                            {t2 - t1:7.2f} s")
    print(f"paths/s (warm): {pairs / (t2 - t1):,.0f}; rows out: {len(out):,}")
    print(out.groupby("technology").signal_dbm.describe().round(1).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample-only", action="store_true")
    parser.add_argument("--synthetic-only", action="store_true")
    args = parser.parse_args()
    if not args.sample_only:
        t0 = time.perf_counter()
        terrain = synthetic_terrain()
        pts, sites = synthetic_tables()
        print(f"synthetic inputs built in {time.perf_counter() - t0:.1f} s")
        run("synthetic", pts, sites, terrain)
    if not args.synthetic_only:
        inputs = sample_inputs()
        if inputs is None:
            print("\nbundled sample not found in data/: skipped")
        else:
            run("bundled sample", *inputs)


if __name__ == "__main__":
    main()
