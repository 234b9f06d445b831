"""Benchmark covgap.radio.point.best_servers at the size of the bundled Lai Chau sample.

Run: ``python benchmarks/bench_predict.py [--sample-only | --synthetic-only]``.

1. A synthetic 2,280 x 1,560 DEM at 3 arc-seconds (lon 102.2-104.1, lat 21.6-22.9) of
   smooth random terrain, ~2,500 random points and ~700 sites (~5,000 sector rows).
2. The bundled sample in data/ when it exists (CSV files read with pandas, DEM with
   rasterio), its points being the village centres and clusters.

Prints the first call (JIT compile or cache load included), a warm call and pairs/s.
3. ``--area-only`` (also run at the end): :func:`covgap.radio.area.predict_site` per-site
   seconds at the DEM's 90 m for every model, exact (``exact=True``) and fast (the
   default), with the largest fast-exact difference (wall and CPU time, best of
   ``--repeat`` runs per site: the machine is shared),
   and the agreement of the raster cell containing a village point with the point
   analysis at that point (median/p90 dB and the same-class rate).
4. ``--splat`` (also run at the end when SPLAT! is installed): covgap and SPLAT!
   (Longley-Rice, ``-olditm``) side by side on the same DEM, site, antenna height and
   30 km radius: per-site seconds of both, their ratio, peak memory and the median and
   90th-percentile path-loss difference; ``--hd`` adds 30 m (``splat-hd``). This is the
   per-site part of ``bench_area.py``, which also runs the whole province and
   ``gdal_viewshed``.
5. ``--clutter-only`` (also run after the sample): the bundled sample's villages with its
   synthetic land cover (``data/landcover``): CPU seconds of ``best_servers`` with
   ``radio.clutter`` = "none", "p1812" and "p2108" (best of ``--repeat``, the three
   alternating), the 4G RSRP they take off and the villages whose class changes.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from covgap.config import Radio
from covgap.io.terrain import Terrain, distance_km
from covgap.radio.point import best_servers

ROOT = Path(__file__).resolve().parents[1]
RES = 1 / 1200
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_area, compare_splat


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


def clutter_main(repeat: int = 3) -> None:
    """Point analysis of the sample with and without its land cover's clutter."""
    from covgap.io.landcover import clutter_grid

    inputs = sample_inputs()
    land_cover = ROOT / "data/landcover/laichau_synthetic_landcover.tif"
    if inputs is None or not land_cover.exists():
        print("\nbundled sample or its land cover not found in data/: clutter skipped")
        return
    pts, sites, terrain = inputs
    grid = clutter_grid(land_cover, terrain)
    modes = {m: Radio(clutter=m) for m in ("none", "p1812", "p2108")}
    out = {m: best_servers(pts, sites, terrain, radio=r, clutter=grid) for m, r in modes.items()}
    best = dict.fromkeys(modes, math.inf)
    for _ in range(repeat):
        for mode, radio in modes.items():
            t0 = time.process_time()
            best_servers(pts, sites, terrain, radio=radio, clutter=grid)
            best[mode] = min(best[mode], time.process_time() - t0)
    print(f"\n== clutter, bundled sample ({len(pts)} points), land cover {land_cover.name}")
    base = out["none"].query("technology == '4G'").groupby("point_id").signal_dbm.max()
    for mode in modes:
        rsrp = out[mode].query("technology == '4G'").groupby("point_id").signal_dbm.max()
        drop = (base - rsrp).dropna()
        moved = np.digitize(base, [-115, -105]) != np.digitize(rsrp.reindex(base.index),
                                                               [-115, -105])  # fmt: skip
        print(
            f"clutter={mode:6s}: {best[mode]:.2f} CPU s ({best[mode] / best['none'] - 1:+.1%}); "
            f"best 4G RSRP lower by {drop.median():.1f} dB (median), {drop.quantile(0.9):.1f} "
            f"dB (p90); {int(moved.sum())} of {len(base)} points change class"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample-only", action="store_true")
    parser.add_argument("--synthetic-only", action="store_true")
    parser.add_argument("--area-only", action="store_true")
    parser.add_argument("--clutter-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per site (area)")
    parser.add_argument("--splat", action="store_true", help="only covgap vs SPLAT! per site")
    parser.add_argument("--hd", action="store_true", help="with --splat: also 30 m (splat-hd)")
    args = parser.parse_args()
    if args.splat:
        raise SystemExit(splat_main(args.hd))
    if args.area_only:
        area_main(args.repeat)
        return
    if args.clutter_only:
        clutter_main(args.repeat)
        return
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
            clutter_main(args.repeat)
    area_main(args.repeat)
    if shutil.which("splat"):
        splat_main(hd=False)
    else:
        print("\nSPLAT! not installed (apt install splat gdal-bin): side by side skipped")


def splat_main(hd: bool) -> int:
    """covgap and SPLAT! side by side on one site (``bench_area.py``'s per-site part)."""
    import bench_area

    return bench_area.main(["--accuracy", "0", *(["--hd"] if hd else [])])


# --------------------------------------------------------------------------- area
def run_area(
    terrain, sites, pts=None, *, n_sites: int = 12, radius_km: float = 30.0, repeat: int = 3
) -> None:
    """Per-site seconds of covgap.radio.area.predict_site (one core) and point/raster agreement.

    Each site runs ``repeat`` times and keeps its fastest wall and CPU time (the machine
    is shared: the minimum is the least disturbed run); the figures are the medians over
    the sites, and the province line scales the CPU median to every site on two cores.
    """
    from covgap.radio.area import predict_site

    all_ids = sorted(sites.site_id.unique())
    ids = all_ids[:: max(len(all_ids) // n_sites, 1)][:n_sites]
    predict_site(terrain, sites[sites.site_id == ids[0]], radius_km=radius_km)  # JIT
    for model in ("p1812", "bullington", "hata", "fspl"):
        for exact in (True, False):
            wall, cpu, cells, worst = [], [], 0, 0.0
            for sid in ids:
                one = sites[sites.site_id == sid]
                best_wall = best_cpu = math.inf
                for _ in range(repeat):
                    t0, c0 = time.perf_counter(), time.process_time()
                    pred = predict_site(terrain, one, radius_km=radius_km, model=model,
                                        exact=exact)  # fmt: skip
                    best_wall = min(best_wall, time.perf_counter() - t0)
                    best_cpu = min(best_cpu, time.process_time() - c0)
                wall.append(best_wall)
                cpu.append(best_cpu)
                cells += int(np.isfinite(pred.signal_dbm[0]).sum())
                if not exact:  # the fast path against the exact one, every cell and sector
                    ref = predict_site(terrain, one, radius_km=radius_km, model=model, exact=True)
                    diff = np.abs(pred.signal_dbm.astype(float) - ref.signal_dbm)
                    worst = max(worst, float(np.nanmax(diff)))
            cpu_s = float(np.median(cpu))
            label = f"{model} {'exact' if exact else 'fast'}"
            extra = "" if exact else f"; max |fast - exact| {worst:.4f} dB"
            print(f"area {label:16s} {len(ids)} sites, {radius_km:g} km: median per site "
                  f"{np.median(wall) * 1000:6.0f} ms wall, {cpu_s * 1000:6.0f} ms CPU "
                  f"(best of {repeat}); {cells / len(ids):,.0f} cells/site; all "
                  f"{len(all_ids)} sites on 2 cores ~{cpu_s * len(all_ids) / 2:4.0f} s"
                  f"{extra}")  # fmt: skip
    if pts is None:
        return
    # point vs raster: best 4G of each site's sectors at the points in its window
    agree = total = same_fe = n_fe = 0
    diffs = []
    thresholds = (-105.0, -115.0)
    for sid in ids:
        one = sites[(sites.site_id == sid) & (sites.technology == "4G")]
        if one.empty:
            continue
        pred = predict_site(terrain, one, radius_km=radius_km)
        t = pred.transform
        col = np.floor((pts.lon.to_numpy() - t.c) / t.a).astype(int)
        row = np.floor((pts.lat.to_numpy() - t.f) / t.e).astype(int)
        inside = (row >= 0) & (row < pred.shape[0]) & (col >= 0) & (col < pred.shape[1])
        sel = pts[inside]
        raster = np.fmax.reduce(pred.signal_dbm[:, row[inside], col[inside]], axis=0)
        ref_pred = predict_site(terrain, one, radius_km=radius_km, exact=True)
        raster_x = np.fmax.reduce(ref_pred.signal_dbm[:, row[inside], col[inside]], axis=0)
        ok = np.isfinite(raster)
        same_fe += int((np.digitize(raster[ok], thresholds[::-1])
                        == np.digitize(raster_x[ok], thresholds[::-1])).sum())  # fmt: skip
        n_fe += int(ok.sum())
        ref = best_servers(sel[ok], one, terrain, radio=Radio(max_range_km=radius_km))
        r = pd.Series(raster[ok], index=sel[ok].point_id.to_numpy()).loc[ref.point_id]
        p = ref.signal_dbm.to_numpy()
        diffs.append(r.to_numpy() - p)
        cls_r = np.digitize(r.to_numpy(), thresholds[::-1])
        cls_p = np.digitize(p, thresholds[::-1])
        agree += int((cls_r == cls_p).sum())
        total += len(p)
    d = np.concatenate(diffs)
    print(f"point vs raster (cell containing the point, not its centre), {total} point-site "
          f"pairs: median |diff| {np.median(np.abs(d)):.2f} dB, p90 "
          f"{np.percentile(np.abs(d), 90):.2f} dB; same class {agree / total:.1%}; fast "
          f"vs exact raster at the {n_fe} points: same class {same_fe / n_fe:.2%}")  # fmt: skip


def area_main(repeat: int = 3) -> None:
    inputs = sample_inputs()
    if inputs is None:
        print("bundled sample not found: area benchmark skipped")
        return
    pts, sites, terrain = inputs
    print(f"\n== area engine on the bundled sample (DEM {terrain.shape}, 3 arc-seconds)")
    run_area(terrain, sites, pts, repeat=repeat)


if __name__ == "__main__":
    main()
