"""Area prediction: covgap's per-site engine side by side with SPLAT! and gdal_viewshed.

Run: ``python benchmarks/bench_area.py [--site ID] [--radius-km 30] [--hd] [--province]
[--province-hd] [--province-only] [--accuracy N]`` (needs the Debian packages ``splat``
and ``gdal-bin``; ``--hd`` also ``splat-hd`` and ``srtm2sdf-hd``).

What is measured
----------------
* **One site, one core, like with like** (the site nearest the DEM's centre unless
  ``--site``): SPLAT! computes one antenna at one frequency per run, so covgap gets ONE
  omni 2G sector at ``--freq`` MHz on the site's antenna height, receiver 1.5 m, radius
  ``--radius-km``, no pattern. covgap: :func:`covgap.radio.area.predict_site` in this process
  (after one warm-up call that loads the numba cache), best of ``--repeat`` runs, wall and
  CPU seconds and the peak of numpy allocations (tracemalloc), with the default rays
  (``"full"``) and with ``rays="branch"``, once before and once after the SPLAT! runs
  (the best of both). SPLAT! 1.4.2: ``splat -t tx -L 1.5 -R r -metric -m 1.333 -olditm
  -o map.ppm`` (Longley-Rice ITM path-loss map, its cheapest output), best of
  ``--splat-repeat`` processes, wall and CPU seconds (its children's rusage) and peak RSS
  (the largest child's so far: after ``--province`` the forked pool workers' ~600 MB if
  larger; 474 MB standalone at 3"); one more run with ``-ano`` writes the path-loss
  values for the comparison below (its text dump adds about 0.4 s at 3", reported
  apart). The ratio is SPLAT!'s best seconds over covgap's best seconds: the machine's
  speed drifts (a shared 2-core VM), and best-of-N on both sides compares like with
  like. Terrain for SPLAT! is written as SRTM
  tiles with the functions of ``compare_splat.py`` (cell for cell onto the posts).
* **The whole site**: every sector of the site in the sample (all carriers, technologies
  and bands, with their patterns) in one :func:`~covgap.radio.area.predict_site` call, against
  the SPLAT! runs it would take (one per sector).
* **Path-loss difference** over the cells both predict: covgap's path loss is
  ``P + G - signal`` of the sector (antenna pattern and cable loss set to zero), SPLAT!'s
  is read from its ``-ano`` file; median and 10th/90th percentiles of covgap - SPLAT!,
  and the median and 90th percentile of the absolute difference, then apart where SPLAT!
  sees line of sight and behind terrain. On the bundled sample's site, where the direct
  ray clears the terrain, three quarters of the cells agree within 3 dB (median +0.03
  dB; on the rest ITM adds about 45 dB for the terrain's roughness while covgap stays at
  free space), and behind terrain ITM puts about 50 dB more loss than delta-Bullington
  on this synthetic relief. A report, not a target:
  delta-Bullington and ITM are different models (see ``compare_splat.py``).
* **30 m** (``--hd``): the sample DEM upsampled to 1" (bilinear) around the site; the
  same grid is given to covgap (as a Terrain whose cell centres are the 1" posts) and to
  ``splat-hd`` (as 1" SRTM tiles through ``srtm2sdf-hd``).
* **Whole province** (``--province``: the DEM's 3"; ``--province-hd``: the whole DEM
  upsampled 3 x to 1"): :func:`covgap.radio.parallel.predict_area` on every sector of every
  carrier and technology, radius ``--radius-km``, with ``--workers`` processes; wall
  seconds, CPU seconds of the workers and of this process, peak RSS of this process and
  of the largest worker. It runs first, so that the workers' peak is not SPLAT!'s.
* **Fast against exact** (``--accuracy N``, default 5 sites spread over the sample):
  |signal difference| of ``rays="full"`` and ``rays="branch"`` against ``exact=True`` over
  every cell and sector (median, 99th percentile, maximum, share above 1 dB) and the
  share of cells whose best-sector class (-105 / -115 dBm) agrees.
* **Clutter** (``--clutter N``, default 5 sites; ``--clutter-only`` runs nothing else,
  and needs neither SPLAT! nor GDAL's tools): every sector of N sites spread over the
  sample, 30 km, with the land cover ``--land-cover`` (the sample's synthetic
  WorldCover) read onto the DEM grid once: CPU seconds per site with ``radio.clutter`` =
  "none", "p1812" and "p2108", best of ``--repeat`` with the three alternating in one
  process (so that the machine's drift hits all three alike), their ratios, and
  |fast - exact| with the P.1812 clutter heights.
* **gdal_viewshed**: line of sight only, over the same radius on the DEM reprojected to
  UTM 48N at the DEM's cell size; per-cell cost compared with covgap's per-site cost per
  cell within the radius.

Timings on a shared 2-core machine are noisy; CPU seconds are steadier than wall
seconds. The script prints figures and does not assert.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_splat import (
    DEFAULT_DEM,
    DEFAULT_SITES,
    K_FACTOR,
    _lrp,
    _qth,
    load_terrain,
    post_shift,
    tile_name,
    write_sdf_tiles,
)

from covgap.config import Radio
from covgap.io.terrain import Terrain, distance_km, sample_heights

POWER_DBM, GAIN_DBI = 43.0, 0.0
#: Link budget with no pattern and no cable loss: path loss = P + G - signal.
DEFAULT_LAND_COVER = (
    Path(__file__).resolve().parents[1] / "data" / "landcover" / "laichau_synthetic_landcover.tif"
)
BENCH_RADIO = Radio(cable_loss_db=0.0, vertical_sidelobe_db=0.0, front_to_back_db=0.0)
HD_POSTS = 3601


# --------------------------------------------------------------------------- helpers
def child_rusage() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def run_timed(cmd: list[str], cwd: Path, timeout: float) -> tuple[float, float, int, str]:
    """Run a command: wall seconds, CPU seconds, peak RSS (MB) of children, output."""
    before = child_rusage()
    t0 = time.perf_counter()
    res = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
    )
    wall = time.perf_counter() - t0
    after = child_rusage()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if res.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {res.stdout[-500:]}{res.stderr[-500:]}")
    return wall, cpu, after.ru_maxrss // 1024, res.stdout


def bench_sector(site: pd.Series, freq: float) -> pd.DataFrame:
    """One omni 2G sector (no pattern) at the site, as a canonical site table."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "site_id": [str(site.site_id)],
            "sector_id": ["bench"],
            "carrier": ["Viettel"],
            "technology": ["2G"],
            "freq_mhz": [int(freq)],
            "height_m": [float(site.height_m)],
            "azimuth_deg": [np.nan],
            "tilt_deg": [0.0],
            "power_dbm": [POWER_DBM],
            "gain_dbi": [GAIN_DBI],
            "beamwidth_deg": [360.0],
            "lon": [float(site.lon)],
            "lat": [float(site.lat)],
        },
        geometry=gpd.points_from_xy([site.lon], [site.lat]),
        crs="EPSG:4326",
    )


def covgap_site(terrain: Terrain, sector: pd.DataFrame, radius_km: float, repeat: int, **options):
    """predict_site: warm-up, then best wall / CPU seconds of ``repeat`` runs and peak MB."""
    from covgap.radio.area import predict_site

    kw = {"radius_km": radius_km, "model": "p1812", "radio": BENCH_RADIO, **options}
    t0 = time.perf_counter()
    pred = predict_site(terrain, sector, **kw)
    first = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        pred = predict_site(terrain, sector, **kw)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    tracemalloc.start()
    predict_site(terrain, sector, **kw)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return pred, {"first_s": first, "wall_s": min(walls), "cpu_s": min(cpus), "peak_mb": peak}


def splat_site(work: Path, sdf: Path, site: pd.Series, shift, args, *, hd: bool) -> dict:
    """SPLAT! path-loss map around the site: best seconds of its runs, peak RSS, -ano points.

    Timed in its cheapest mode (the path-loss map only, ``-o map.ppm``), best of
    ``--splat-repeat`` runs; then once more with ``-ano`` for the path-loss values, whose
    text dump (hundreds of thousands of lines) is timed and reported apart.
    """
    work.mkdir(parents=True, exist_ok=True)
    _qth(work / "tx.qth", "tx", site.lon - shift[0], site.lat - shift[1], float(site.height_m))
    _lrp(work / "tx.lrp", args.freq, 1)
    cmd = ["splat-hd" if hd else "splat", "-t", "tx.qth", "-L", "1.5", "-R", f"{args.radius_km:g}"]
    cmd += ["-metric", "-m", f"{K_FACTOR:.6f}", "-olditm", "-d", str(sdf), "-N", "-ngs"]
    runs = [
        run_timed([*cmd, "-o", "map.ppm"], work, timeout=args.splat_timeout)
        for _ in range(max(1, args.splat_repeat))
    ]
    wall_ano, _, rss, _ = run_timed([*cmd, "-ano", "ano.txt"], work, args.splat_timeout)
    ano = read_ano(work / "ano.txt")
    ano["lon"] = (360.0 - ano["west"]) + shift[0]
    ano["lat"] = ano["lat"] + shift[1]
    return {
        "wall_s": min(r[0] for r in runs),
        "cpu_s": min(r[1] for r in runs),
        "walls": [r[0] for r in runs],
        "wall_ano_s": wall_ano,
        "rss_mb": rss,
        "ano": ano,
    }


def read_ano(path: Path) -> pd.DataFrame:
    """SPLAT!'s -ano file: lat, west lon, azimuth, elevation, loss (``*``: obstructed)."""
    rows = []
    for line in path.read_text(errors="replace").splitlines()[2:]:
        parts = line.split(";")[0].split(",")
        if len(parts) >= 5:
            loss = parts[4].strip()
            rows.append((*(float(p) for p in parts[:4]), float(loss.rstrip("* ")), "*" in loss))
    return pd.DataFrame(rows, columns=["lat", "west", "az", "elev", "loss", "obstructed"])


def loss_difference(pred, ano: pd.DataFrame) -> dict:
    """covgap - SPLAT! path loss over the cells both predict."""
    loss = POWER_DBM + GAIN_DBI - pred.signal_dbm[0].astype(float)
    t = pred.transform
    col = np.floor((ano["lon"].to_numpy() - t.c) / t.a).astype(int)
    row = np.floor((ano["lat"].to_numpy() - t.f) / t.e).astype(int)
    h, w = pred.shape
    ok = (row >= 0) & (row < h) & (col >= 0) & (col < w)
    cg = np.full(len(ano), np.nan)
    cg[ok] = loss[row[ok], col[ok]]
    sp = ano["loss"].to_numpy(float)
    both = np.isfinite(cg) & np.isfinite(sp) & (sp > 0)
    d = cg[both] - sp[both]
    if not len(d):
        return {"n": 0}
    clear = ~ano["obstructed"].to_numpy(bool)[both]  # SPLAT!'s line of sight
    return {
        "n": int(both.sum()),
        "median": float(np.median(d)),
        "p10": float(np.percentile(d, 10)),
        "p90": float(np.percentile(d, 90)),
        "abs_median": float(np.median(np.abs(d))),
        "abs_p90": float(np.percentile(np.abs(d), 90)),
        "n_los": int(clear.sum()),
        "los_median": float(np.median(d[clear])) if clear.any() else math.nan,
        "los_within_3db": float((np.abs(d[clear]) <= 3.0).mean()) if clear.any() else math.nan,
        "nlos_median": float(np.median(d[~clear])) if (~clear).any() else math.nan,
    }


def full_site(terrain: Terrain, sites: pd.DataFrame, site_id: str, radius_km: float, repeat: int):
    """Every sector of the site (all carriers, technologies, bands) as in the sample."""
    from covgap.radio.area import predict_site

    rows = sites[sites["site_id"] == site_id]
    predict_site(terrain, rows, radius_km=radius_km)
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        predict_site(terrain, rows, radius_km=radius_km)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    bands = rows["freq_mhz"].nunique()
    return {"sectors": len(rows), "bands": bands, "wall_s": min(walls), "cpu_s": min(cpus)}


def accuracy(terrain: Terrain, sites: pd.DataFrame, n_sites: int, radius_km: float) -> dict:
    """Fast paths against ``exact=True`` over every cell and sector of ``n_sites`` sites.

    |difference| of the signal (dB): median, 99th percentile, maximum, share above 1 dB,
    and the share of cells whose best-sector class (4G thresholds -105 / -115 dBm) agrees.
    """
    from covgap.radio.area import predict_site

    ids = sorted(sites["site_id"].unique())
    picked = [ids[i] for i in np.linspace(0, len(ids) - 1, n_sites).round().astype(int)]
    out = {}
    for rays in ("full", "branch"):
        diffs, agree = [], []
        for sid in picked:
            rows = sites[sites["site_id"] == sid]
            exact = predict_site(terrain, rows, radius_km=radius_km, exact=True).signal_dbm
            fast = predict_site(terrain, rows, radius_km=radius_km, rays=rays).signal_dbm
            ok = np.isfinite(exact)
            diffs.append(np.abs(fast[ok].astype(float) - exact[ok]))
            be, bf = np.fmax.reduce(exact, axis=0), np.fmax.reduce(fast, axis=0)
            cells = np.isfinite(be)
            thresholds = (-115.0, -105.0)
            same = np.digitize(bf[cells], thresholds) == np.digitize(be[cells], thresholds)
            agree.append(same.mean())
        d = np.concatenate(diffs)
        out[rays] = {
            "n": len(d),
            "median": float(np.median(d)),
            "p99": float(np.percentile(d, 99)),
            "max": float(d.max()),
            "above_1db": float((d > 1.0).mean()),
            "class_agree": float(np.mean(agree)),
        }
    return out


def clutter_speed(
    terrain: Terrain, sites: pd.DataFrame, n_sites: int, radius_km: float, repeat: int,
    land_cover: Path,
) -> dict:  # fmt: skip
    """Seconds per site without and with clutter (alternating), and fast-vs-exact with it."""
    from covgap.io.landcover import clutter_grid
    from covgap.radio.area import predict_site

    t0 = time.perf_counter()
    grid = clutter_grid(land_cover, terrain)
    read_s = time.perf_counter() - t0
    ids = sorted(sites["site_id"].unique())
    picked = [ids[i] for i in np.linspace(0, len(ids) - 1, n_sites).round().astype(int)]
    modes = {m: Radio(clutter=m) for m in ("none", "p1812", "p2108")}
    total = dict.fromkeys(modes, 0.0)
    diffs = []
    for sid in picked:
        rows = sites[sites["site_id"] == sid]
        kw = {"radius_km": radius_km, "clutter": grid}
        for radio in modes.values():  # warm-up
            predict_site(terrain, rows, radio=radio, **kw)
        best = dict.fromkeys(modes, math.inf)
        for _ in range(repeat):
            for mode, radio in modes.items():
                t0 = time.process_time()  # CPU seconds: steadier on a shared machine
                predict_site(terrain, rows, radio=radio, **kw)
                best[mode] = min(best[mode], time.process_time() - t0)
        for mode in modes:
            total[mode] += best[mode]
        fast = predict_site(terrain, rows, radio=modes["p1812"], **kw).signal_dbm
        exact = predict_site(terrain, rows, radio=modes["p1812"], exact=True, **kw).signal_dbm
        ok = np.isfinite(exact)
        diffs.append(np.abs(fast[ok].astype(float) - exact[ok]))
    d = np.concatenate(diffs)
    per_site = {m: t / len(picked) for m, t in total.items()}
    return {"sites": len(picked), "read_s": read_s, "per_site": per_site, "median": float(
        np.median(d)), "p99": float(np.percentile(d, 99)), "max": float(d.max())}  # fmt: skip


def print_clutter(cl: dict, land_cover: Path, radius_km: float) -> None:
    ps = cl["per_site"]
    print(
        f"\n== clutter ({land_cover.name}, read onto the DEM grid in {cl['read_s']:.2f} s): "
        f"{cl['sites']} sites, every sector, {radius_km:g} km, default rays, best per site, "
        "the three alternating"
    )
    for mode, sec in ps.items():
        print(f"clutter={mode:6s}: {sec:.4f} CPU s per site ({sec / ps['none'] - 1:+.1%} vs none)")
    print(
        f"|fast - exact| with P.1812 clutter heights: median {cl['median']:.4f} dB, "
        f"p99 {cl['p99']:.4f} dB, max {cl['max']:.3f} dB"
    )


def upsample_province(terrain: Terrain, factor: int = 3) -> Terrain:
    """The whole DEM upsampled ``factor`` times (bilinear; 3" -> 1" for the sample).

    Cell centres of the new grid at ``(i + 0.5) / factor - 0.5`` of the old one, as
    :func:`covgap.radio.parallel.resample_terrain` does, on a lattice exactly ``factor`` times
    finer.
    """
    from scipy import ndimage

    rows, cols = terrain.shape
    src = np.asarray(terrain.heights, dtype=np.float64)
    cc = (np.arange(cols * factor) + 0.5) / factor - 0.5
    out = np.empty((rows * factor, cols * factor), dtype=np.float32)
    for r0 in range(0, rows * factor, 600):
        rr = (np.arange(r0, min(rows * factor, r0 + 600)) + 0.5) / factor - 0.5
        grid_r, grid_c = np.meshgrid(rr, cc, indexing="ij")
        out[r0 : r0 + len(rr)] = ndimage.map_coordinates(
            src, [grid_r, grid_c], order=1, mode="nearest"
        )
    t = terrain.transform
    transform = Affine(t.a / factor, 0.0, t.c, 0.0, t.e / factor, t.f)
    return Terrain(out, transform, terrain.crs, f"{terrain.source} ({factor}x bilinear)")


# --------------------------------------------------------------------------- 1" terrain
def upsample_1s(terrain: Terrain, lon: float, lat: float, radius_km: float) -> Terrain:
    """1" bilinear upsampling of the DEM over whole 1° tiles around a position.

    Cell centres sit on the 1" SRTM posts, so the SRTM-1 tiles written from it hold the
    very same heights.
    """
    deg = math.degrees(radius_km / 6371.0) * 1.1
    west, east = (
        math.floor(lon - deg / math.cos(math.radians(lat))),
        math.ceil(lon + deg / math.cos(math.radians(lat))),
    )
    south, north = math.floor(lat - deg), math.ceil(lat + deg)
    step = 1.0 / 3600.0
    cols = round((east - west) * 3600) + 1
    rows = round((north - south) * 3600) + 1
    lons = west + np.arange(cols) * step
    heights = np.empty((rows, cols), dtype=np.float32)
    for r0 in range(0, rows, 600):
        lats = north - np.arange(r0, min(rows, r0 + 600)) * step
        lo, la = np.meshgrid(lons, lats)
        heights[r0 : r0 + len(lats)] = sample_heights(terrain, lo, la)
    transform = Affine(step, 0.0, west - step / 2, 0.0, -step, north + step / 2)
    return Terrain(heights, transform, terrain.crs, f'{terrain.source} (1" bilinear)')


def write_hd_tiles(fine: Terrain, hgt_dir: Path, sdf_dir: Path) -> list[str]:
    """Write a 1" Terrain (centres on the posts) as SRTM-1 tiles, then ``srtm2sdf-hd``."""
    hgt_dir.mkdir(parents=True, exist_ok=True)
    sdf_dir.mkdir(parents=True, exist_ok=True)
    t = fine.transform
    west = round(t.c + t.a / 2)
    north = round(t.f + t.e / 2)
    rows, cols = fine.shape
    names = []
    for lat in range(north - 1, north - (rows - 1) // 3600 - 1, -1):
        for lon in range(west, west + (cols - 1) // 3600):
            r0, c0 = (north - 1 - lat) * 3600, (lon - west) * 3600
            h = fine.heights[r0 : r0 + HD_POSTS, c0 : c0 + HD_POSTS]
            h = np.where(np.isfinite(h), np.rint(h), 0.0).clip(-32767, 32767)
            hgt = hgt_dir / f"{tile_name(lat, lon)}.hgt"
            h.astype(">i2").tofile(hgt)
            res = subprocess.run(
                ["srtm2sdf-hd", "-d", "/dev/null", str(hgt)],
                cwd=sdf_dir,
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode != 0:
                raise RuntimeError(f"srtm2sdf-hd failed on {hgt.name}: {res.stdout}{res.stderr}")
            names.append(hgt.stem)
    return names


# --------------------------------------------------------------------------- viewshed
def viewshed(terrain: Terrain, site: pd.Series, radius_km: float, work: Path) -> dict:
    """gdal_viewshed over the radius on a UTM copy of the DEM: seconds per cell."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    from covgap.io.terrain import cell_size_m

    res = min(cell_size_m(terrain))
    dst_crs = "EPSG:32648"
    left, bottom, right, top = terrain.bounds
    rows, cols = terrain.shape
    transform, width, height = calculate_default_transform(
        terrain.crs, dst_crs, cols, rows, left, bottom, right, top, resolution=res
    )
    out = np.full((height, width), np.nan, dtype=np.float32)
    reproject(
        terrain.heights,
        out,
        src_transform=terrain.transform,
        src_crs=terrain.crs,
        dst_transform=transform,
        dst_crs=dst_crs,
        resampling=Resampling.bilinear,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    src = work / "dem_utm.tif"
    with rasterio.open(
        src,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=dst_crs,
        transform=transform,
        nodata=-32768.0,
    ) as ds:
        ds.write(np.where(np.isnan(out), -32768.0, out), 1)
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", dst_crs, always_xy=True).transform(site.lon, site.lat)
    cmd = ["gdal_viewshed", "-q", "-ox", f"{x:.1f}", "-oy", f"{y:.1f}", "-oz"]
    cmd += [f"{float(site.height_m):g}", "-tz", "1.5", "-md", f"{radius_km * 1000:.0f}"]
    cmd += ["-cc", f"{1 - 1 / K_FACTOR:.6f}", str(src), str(work / "vs.tif")]
    best = math.inf
    for _ in range(3):
        wall, _cpu, _, _ = run_timed(cmd, work, timeout=300)
        best = min(best, wall)
    cells = math.pi * (radius_km * 1000 / res) ** 2
    return {"wall_s": best, "cells": cells, "s_per_cell": best / cells}


# --------------------------------------------------------------------------- province
def province(
    terrain: Terrain, sites: pd.DataFrame, radius_km: float, workers: int, rays: str = "full"
) -> dict:
    from covgap.radio.parallel import predict_area

    t0, c0, k0 = time.perf_counter(), time.process_time(), child_rusage()
    rasters = predict_area(terrain, sites, radius_km=radius_km, workers=workers, rays=rays)
    wall = time.perf_counter() - t0
    k1 = child_rusage()
    workers_cpu = (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = child_rusage().ru_maxrss / 1024
    return {
        "wall_s": wall,
        "main_cpu_s": time.process_time() - c0,
        "workers_cpu_s": workers_cpu,
        "sites": rasters.stats["sites"],
        "sectors": len(sites),
        "grid": rasters.grid.shape,
        "self_peak_mb": self_mb,
        "worker_peak_mb": child_mb,
    }


# --------------------------------------------------------------------------- main
def pick_site(terrain: Terrain, sites: pd.DataFrame, site_id: str | None) -> pd.Series:
    first = sites.drop_duplicates("site_id").reset_index(drop=True)
    if site_id is not None:
        return first[first["site_id"] == site_id].iloc[0]
    w, s, e, n = terrain.bounds
    d = distance_km(first["lon"], first["lat"], (w + e) / 2, (s + n) / 2)
    return first.iloc[int(np.argmin(d))]


def print_pair(title: str, cg: dict, sp: dict, diff: dict, cells: float) -> None:
    print(f"\n== {title}")
    print(
        f"covgap  : {cg['wall_s']:.3f} s wall, {cg['cpu_s']:.3f} s CPU (first call "
        f"{cg['first_s']:.2f} s), peak numpy {cg['peak_mb']:.0f} MB, "
        f"{cg['wall_s'] / cells * 1e9:.0f} ns per cell"
    )
    print(
        f"SPLAT!  : {sp['wall_s']:.2f} s wall, {sp['cpu_s']:.2f} s CPU (best of "
        f"{', '.join(f'{w:.2f}' for w in sp['walls'])} s, path-loss map only; "
        f"{sp['wall_ano_s']:.2f} s with the -ano text dump), peak RSS {sp['rss_mb']} MB"
    )
    print(
        f"ratio   : SPLAT!/covgap = {sp['wall_s'] / cg['wall_s']:.0f}x wall, "
        f"{sp['cpu_s'] / max(cg['cpu_s'], 1e-9):.0f}x CPU"
    )
    if diff.get("n"):
        print(
            f"path loss covgap - SPLAT! over {diff['n']} common points: median "
            f"{diff['median']:+.1f} dB (P10 {diff['p10']:+.1f}, P90 {diff['p90']:+.1f}); "
            f"|diff| median {diff['abs_median']:.1f}, P90 {diff['abs_p90']:.1f} dB"
        )
        print(
            f"  where SPLAT! sees line of sight ({diff['n_los']} points): median "
            f"{diff['los_median']:+.2f} dB, {diff['los_within_3db']:.0%} within 3 dB; behind "
            f"terrain: median {diff['nlos_median']:+.1f} dB (ITM's extra loss over ridges, "
            "compare_splat.py)"
        )


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dem", type=Path, default=DEFAULT_DEM)
    p.add_argument("--sites", type=Path, default=DEFAULT_SITES)
    p.add_argument("--site", default=None, help="site id (default: nearest the DEM's centre)")
    p.add_argument("--radius-km", type=float, default=30.0)
    p.add_argument("--freq", type=float, default=1800.0)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--hd", action="store_true", help='also 30 m (1" upsampling, splat-hd)')
    p.add_argument("--province", action="store_true", help="also the whole province run")
    p.add_argument(
        "--province-hd", action="store_true", help='the whole province on a 1" upsampling'
    )
    p.add_argument("--province-only", action="store_true", help="only the province run(s)")
    p.add_argument(
        "--rays", choices=("full", "branch"), default="full", help="rays of the province run(s)"
    )
    p.add_argument(
        "--accuracy", type=int, default=5, help="sites for the fast-vs-exact figures (0: none)"
    )
    p.add_argument("--clutter", type=int, default=5, help="sites for the clutter figures (0: none)")
    p.add_argument("--clutter-only", action="store_true", help="only the clutter figures")
    p.add_argument("--land-cover", type=Path, default=DEFAULT_LAND_COVER)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--splat-timeout", type=float, default=1800.0)
    p.add_argument(
        "--splat-repeat", type=int, default=3, help="SPLAT! runs per resolution (best counts)"
    )
    p.add_argument("--keep", type=Path, default=None, help="keep SPLAT! files here")
    return p.parse_args(argv)


def print_province(title: str, pr: dict, workers: int) -> None:
    print(
        f"\n== {title}: {pr['sites']} sites, {pr['sectors']} sectors, grid {pr['grid'][1]} x "
        f"{pr['grid'][0]}, {workers} workers: {pr['wall_s']:.1f} s wall (CPU: workers "
        f"{pr['workers_cpu_s']:.1f} s, main {pr['main_cpu_s']:.1f} s); peak RSS "
        f"{pr['self_peak_mb']:.0f} MB (main), {pr['worker_peak_mb']:.0f} MB (largest worker)"
    )


def print_accuracy(title: str, acc: dict) -> None:
    print(f"\n== {title}")
    for rays, a in acc.items():
        print(
            f"rays={rays:6s}: |fast - exact| over {a['n']} cell-sectors: median "
            f"{a['median']:.4f} dB, p99 {a['p99']:.4f} dB, max {a['max']:.4f} dB, "
            f"{a['above_1db']:.2%} above 1 dB; best-sector class agrees on "
            f"{a['class_agree']:.2%} of cells"
        )


def _best(a: dict, b: dict) -> dict:
    """The faster of two covgap timings (wall and CPU seconds each at their best)."""
    return {**a, "wall_s": min(a["wall_s"], b["wall_s"]), "cpu_s": min(a["cpu_s"], b["cpu_s"])}


def one_site(args, terrain, sites, site, sector, work: Path, *, hd: bool) -> None:
    """One site, one core: covgap's fast paths and the full site against one SPLAT! run."""
    label = '30 m (1" bilinear upsampling)' if hd else '90 m (3")'
    if hd:
        grid = upsample_1s(terrain, float(site.lon), float(site.lat), args.radius_km)
        write_hd_tiles(grid, work / "hgt_hd", work / "sdf_hd")
        sdf, shift, repeat = work / "sdf_hd", (0.0, 0.0), max(1, args.repeat - 1)
    else:
        grid = terrain
        shift = post_shift(terrain)
        write_sdf_tiles(terrain, work / "hgt", work / "sdf", shift)
        sdf, repeat = work / "sdf", args.repeat
    # covgap before and after SPLAT!, the best of both: both tools see the same machine
    pred, cg = covgap_site(grid, sector, args.radius_km, repeat)
    _, cg_b = covgap_site(grid, sector, args.radius_km, repeat, rays="branch")
    sp = splat_site(work / ("splat30" if hd else "splat90"), sdf, site, shift, args, hd=hd)
    cg = _best(cg, covgap_site(grid, sector, args.radius_km, repeat)[1])
    cg_b = _best(cg_b, covgap_site(grid, sector, args.radius_km, repeat, rays="branch")[1])
    cells = float(np.isfinite(pred.signal_dbm[0]).sum())
    title = f"{label}, one site, one core: ONE omni sector at {args.freq:g} MHz, as one SPLAT! run"
    print_pair(title + " (default rays='full')", cg, sp, loss_difference(pred, sp["ano"]), cells)
    print(
        f"rays='branch': {cg_b['wall_s']:.3f} s wall, {cg_b['cpu_s']:.3f} s CPU = SPLAT!/covgap "
        f"{sp['wall_s'] / cg_b['wall_s']:.0f}x wall, {sp['cpu_s'] / cg_b['cpu_s']:.0f}x CPU"
    )
    fs = full_site(grid, sites, str(site.site_id), args.radius_km, repeat)
    print(
        f"the whole site ({fs['sectors']} sectors, {fs['bands']} bands, patterns, default "
        f"rays): {fs['wall_s']:.3f} s wall, {fs['cpu_s']:.3f} s CPU; SPLAT! needs one run per "
        f"sector and band: {fs['sectors']} x {sp['wall_s']:.2f} s = "
        f"{fs['sectors'] * sp['wall_s']:.0f} s ({fs['sectors'] * sp['wall_s'] / fs['wall_s']:.0f}x)"
    )
    if not hd:
        vs = viewshed(terrain, site, args.radius_km, work)
        per_cell = cg["wall_s"] / cells
        print(
            f"gdal_viewshed (line of sight only): {vs['wall_s']:.3f} s for ~{vs['cells']:.0f} "
            f"cells = {vs['s_per_cell'] * 1e9:.0f} ns per cell; covgap "
            f"{per_cell * 1e9:.0f} ns per cell = {per_cell / vs['s_per_cell']:.1f}x viewshed"
        )


def main(argv=None) -> int:
    args = parse_args(argv)
    needed = ["splat", "srtm2sdf", "gdal_viewshed"] + (
        ["splat-hd", "srtm2sdf-hd"] if args.hd else []
    )
    missing = [t for t in needed if shutil.which(t) is None]
    if missing and not (args.province_only or args.clutter_only):
        print(
            f"error: {', '.join(missing)} not found (apt install splat gdal-bin)", file=sys.stderr
        )
        return 2
    from covgap.io.readers import read_sites

    terrain = load_terrain(args.dem)
    sites = read_sites(args.sites)
    sites = sites.assign(lon=sites.geometry.x, lat=sites.geometry.y)
    if args.clutter_only:
        cl = clutter_speed(terrain, sites, args.clutter, args.radius_km, args.repeat,
                           args.land_cover)  # fmt: skip
        print_clutter(cl, args.land_cover, args.radius_km)
        return 0
    # the province first: its workers' peak RSS is then not SPLAT!'s
    if args.province or args.province_hd:
        grid = upsample_province(terrain) if args.province_hd else terrain
        pr = province(grid, sites, args.radius_km, args.workers, args.rays)
        title = 'at 30 m (1" upsampling)' if args.province_hd else "at 90 m"
        title += f", rays={args.rays!r}"
        print_province(f"whole province {title}", pr, args.workers)
        del grid
    if args.province_only:
        return 0
    site = pick_site(terrain, sites, args.site)
    sector = bench_sector(site, args.freq)
    print(
        f"\nDEM {args.dem.name} {terrain.shape[1]} x {terrain.shape[0]}; site {site.site_id} "
        f"({site.lon:.4f}, {site.lat:.4f}), antenna {site.height_m:g} m, rx 1.5 m, "
        f"{args.freq:g} MHz, radius {args.radius_km:g} km; covgap p1812, SPLAT! ITM (-olditm)"
    )
    with tempfile.TemporaryDirectory(prefix="covgap_bench_area_") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        one_site(args, terrain, sites, site, sector, work, hd=False)
        if args.hd:
            one_site(args, terrain, sites, site, sector, work, hd=True)
    if args.accuracy:
        acc = accuracy(terrain, sites, args.accuracy, args.radius_km)
        print_accuracy(
            f"fast paths against exact=True: {args.accuracy} sites, every sector, "
            f"{args.radius_km:g} km, 90 m",
            acc,
        )
    if args.clutter:
        cl = clutter_speed(terrain, sites, args.clutter, args.radius_km, args.repeat,
                           args.land_cover)  # fmt: skip
        print_clutter(cl, args.land_cover, args.radius_km)
    return 0


if __name__ == "__main__":
    sys.exit(main())
