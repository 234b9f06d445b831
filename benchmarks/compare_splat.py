"""Compare covgap's point path loss with SPLAT! (Longley-Rice / ITM) on the same links.

Run: ``python benchmarks/compare_splat.py [--dem PATH] [--links N] [--seed S]``
(needs the Debian package ``splat``: the ``splat`` and ``srtm2sdf`` programs).

What is compared
----------------
For ``N`` transmitter -> receiver links (transmitters: unique sites of
``data/bts_sites/sites.csv`` at their antenna height; receivers: village centres of
``data/villages/villages.csv`` at 1.5 m; 2-30 km apart, drawn with a fixed seed evenly
over the distance bands 2-5, 5-10, 10-20 and 20-30 km; random positions on the DEM when
those files are absent), at 1800 MHz:

* covgap: :func:`covgap.radio.point.predict_link` -- free-space loss (ITU-R P.525) plus
  ITU-R P.526 Bullington diffraction over the DEM profile, k = 4/3; and, for speed only,
  the batched :func:`covgap.radio.point.best_servers` on the same sites and villages.
* SPLAT! 1.4.2 point-to-point (``splat -t tx.qth -r rx.qth -metric -m 1.333 -olditm``):
  the Longley-Rice ITM 1.2.2 path loss (or ITWOM 3.0 with ``--splat-model itwom``), its
  free-space loss, its propagation mode and model error number, and whether it reports
  terrain obstructions on the straight line (its own LOS test, earth radius x 4/3).
  ITM parameters: dielectric 15, conductivity 0.005 S/m, N_s 301, vertical polarisation,
  50 % of situations and 50 % of time, radio climate 1 (equatorial; ``--climate``).

How SPLAT! reads the terrain
----------------------------
The DEM (read with :func:`covgap.io.read_dem`) is written as SRTM-3 tiles (1201 x 1201
big-endian int16, ``NnnEeee.hgt`` covers nn..nn+1 N and eee..eee+1 E, row 0 at the north
edge, posts every 3"; posts outside the DEM are 0 m), and ``srtm2sdf -d /dev/null`` (no
USGS void replacement) turns each into SPLAT!'s ``.sdf`` file, named by SPLAT!'s
west-longitude convention (N21E102 -> ``21:22:257:258.sdf``); ``.qth`` files give west
longitudes (360 - lon). SPLAT! looks heights up at the nearest post; covgap interpolates
bilinearly between cell centres. A geographic 3" DEM whose cell centres sit off the post
lattice (the bundled sample's sit half a cell off: its edges are at 102.2 E, 22.9 N) is
written cell for cell onto the posts -- the surface moved by that offset (1.5", ~45 m) --
and the SPLAT! link positions are moved by the same offset, so SPLAT! sees the DEM's own
cells, unsmoothed (interpolating onto the posts would average 2 x 2 cells and shave tens
of metres, on the sample up to ~150 m, off hilltop sites). Other grids are resampled
bilinearly onto the posts. The script prints how far the two tools' ground heights at
the link ends differ; ``--snap-ends`` moves both ends to cell centres so they agree.

Caveats
-------
* ITM and Bullington are different models. ITM blends two-ray, diffraction (a weighted
  mix of double knife-edge and smooth-earth) and troposcatter, using effective antenna
  heights, horizon angles and distances from the profile and the terrain irregularity
  delta-h; Bullington replaces all obstacles by one equivalent knife edge. Over a real or
  realistic mountain DEM, link-by-link differences of 10-20 dB are normal; look at the
  mean (bias), the correlation and the agreement on classes, not single links.
* ITM is outside its calibration on many mountain links: its error number 3 ("close to
  limits") is raised when a horizon elevation angle exceeds 200 mrad (11.5 deg) or a
  horizon distance is outside 0.1-3 times the smooth-earth one -- usual for villages in
  steep valleys -- and there ITM can add 40-70 dB over free space even on a clear line
  of sight (its effective height of a 1.5 m receiver low in a valley is tiny). Error 4
  ("out of range") appears when the surface refractivity scaled to the mean path height
  drops below 250 N-units (301 exp(-z/9460 m): terrain above ~1750 m). Such results are
  still numbers and are included; the summary also shows the error < 3 subset.
* SPLAT! 1.4.2's ITM never returns on a few profiles (busy loop); such a run is killed
  after ``--splat-timeout`` seconds, reported and left out of the statistics.
* The class comparison converts each loss to 4G RSRP with the covgap link budget
  (46 dBm, 18 dBi, 2 dB cable, 50 RB: EIRP 62 dBm - 27.8 dB - loss) at antenna boresight,
  no clutter, median location; thresholds -105 (covered) and -115 dBm (white below).
* SPLAT! time per link is a whole process: start-up, reading the ``.sdf`` tiles (text)
  the path needs, the ITM loss at every profile point (for its plot file) and writing
  its reports; covgap times are in-process.

The script is a benchmark: it prints figures and does not assert. It exits 0 unless a
tool fails (1 when a SPLAT! run failed or none gave a result, 2 when a tool or the DEM
is missing).
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from covgap.config import Radio, Thresholds
from covgap.io.terrain import EARTH_RADIUS_KM, Terrain, distance_km, sample_heights
from covgap.radio.point import best_servers, predict_link
from covgap.radio.propagation import signal_dbm

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEM = ROOT / "data" / "dem" / "laichau_synthetic_dem.tif"
DEFAULT_SITES = ROOT / "data" / "bts_sites" / "sites.csv"
DEFAULT_VILLAGES = ROOT / "data" / "villages" / "villages.csv"
BANDS_KM = (2.0, 5.0, 10.0, 20.0, 30.0)
SRTM3_POSTS = 1201
K_FACTOR = 4.0 / 3.0
# 4G link budget of the class comparison (DOMAIN.md "Radio")
POWER_DBM, GAIN_DBI = 46.0, 18.0


# --------------------------------------------------------------------------- inputs
def load_terrain(path: Path) -> Terrain:
    """Read the DEM with covgap's reader, or with rasterio when that is unavailable."""
    try:
        from covgap.io.readers import read_dem
    except ImportError:  # pragma: no cover - older covgap without io.read_dem
        read_dem = None
    if read_dem is not None:
        return read_dem(path)
    import rasterio

    with rasterio.open(path) as ds:
        heights = ds.read(1, masked=True).astype("float32").filled(np.nan)
        return Terrain(heights, ds.transform, ds.crs, source=str(path))


def wgs84_bounds(terrain: Terrain) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the grid in WGS 84 degrees."""
    left, bottom, right, top = terrain.bounds
    if terrain.crs.to_epsg() == 4326:
        return left, bottom, right, top
    tr = Transformer.from_crs(terrain.crs, "EPSG:4326", always_xy=True)
    return tr.transform_bounds(left, bottom, right, top, densify_pts=21)


def inside(terrain: Terrain, lon, lat) -> np.ndarray:
    """True where a position has a ground height (inside the DEM, not over nodata)."""
    return np.isfinite(sample_heights(terrain, np.asarray(lon), np.asarray(lat)))


def _band_round_robin(d: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` items drawn in turn from each distance band (random within one)."""
    band = np.digitize(d, BANDS_KM)
    queues = [list(rng.permutation(np.flatnonzero(band == b))) for b in range(1, len(BANDS_KM))]
    picked: list[int] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(int(q.pop()))
    return np.array(picked, dtype=np.int64)


def links_from_files(
    terrain: Terrain, sites_csv: Path, villages_csv: Path, n: int, seed: int, tx_height: float
) -> pd.DataFrame:
    """Site -> village-centre links 2-30 km long, spread evenly over the distance bands."""
    sites = pd.read_csv(sites_csv)
    sites = sites.drop_duplicates("site_id").reset_index(drop=True)
    height = sites["height_m"] if "height_m" in sites.columns else tx_height
    sites = sites.assign(height_m=pd.Series(height, index=sites.index).fillna(tx_height))
    villages = pd.read_csv(villages_csv)
    if "village_id" not in villages.columns:
        villages["village_id"] = np.arange(len(villages)).astype(str)
    sites = sites[inside(terrain, sites["lon"], sites["lat"])].reset_index(drop=True)
    villages = villages[inside(terrain, villages["lon"], villages["lat"])].reset_index(drop=True)
    d = distance_km(
        sites["lon"].to_numpy(float)[:, None],
        sites["lat"].to_numpy(float)[:, None],
        villages["lon"].to_numpy(float)[None, :],
        villages["lat"].to_numpy(float)[None, :],
    )
    si, vi = np.nonzero((d >= BANDS_KM[0]) & (d <= BANDS_KM[-1]))
    pick = _band_round_robin(d[si, vi], n, np.random.default_rng(seed))
    si, vi = si[pick], vi[pick]
    return pd.DataFrame(
        {
            "tx_id": sites["site_id"].astype(str).to_numpy()[si],
            "tx_lon": sites["lon"].to_numpy(float)[si],
            "tx_lat": sites["lat"].to_numpy(float)[si],
            "tx_height_m": sites["height_m"].to_numpy(float)[si],
            "rx_id": villages["village_id"].astype(str).to_numpy()[vi],
            "rx_lon": villages["lon"].to_numpy(float)[vi],
            "rx_lat": villages["lat"].to_numpy(float)[vi],
        }
    )


def random_links(terrain: Terrain, n: int, seed: int, tx_height: float) -> pd.DataFrame:
    """Random links on the DEM (when the site and village tables are absent)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = wgs84_bounds(terrain)
    rows = []
    attempts = 0
    while len(rows) < n and attempts < 100 * n:
        attempts += 1
        band = len(rows) % (len(BANDS_KM) - 1)
        d = rng.uniform(BANDS_KM[band], BANDS_KM[band + 1])
        tx_lon, tx_lat = rng.uniform(west, east), rng.uniform(south, north)
        az = rng.uniform(0.0, 2.0 * np.pi)
        dlat = np.degrees(d * np.cos(az) / EARTH_RADIUS_KM)
        dlon = np.degrees(d * np.sin(az) / EARTH_RADIUS_KM) / np.cos(np.radians(tx_lat))
        rx_lon, rx_lat = tx_lon + dlon, tx_lat + dlat
        if inside(terrain, [tx_lon, rx_lon], [tx_lat, rx_lat]).all():
            i = len(rows)
            rows.append((f"T{i:03d}", tx_lon, tx_lat, tx_height, f"R{i:03d}", rx_lon, rx_lat))
    cols = ["tx_id", "tx_lon", "tx_lat", "tx_height_m", "rx_id", "rx_lon", "rx_lat"]
    return pd.DataFrame(rows, columns=cols)


def snap_to_cells(terrain: Terrain, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Move positions to the centre of their DEM cell (a geographic DEM)."""
    t = terrain.transform
    col = np.floor((np.asarray(lon, float) - t.c) / t.a)
    row = np.floor((np.asarray(lat, float) - t.f) / t.e)
    return t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e


# --------------------------------------------------------------------------- terrain
def tile_name(lat: int, lon: int) -> str:
    """SRTM tile name of the 1 x 1 degree cell whose south-west corner is (lat, lon)."""
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return f"{ns}{abs(lat):02d}{ew}{abs(lon):03d}"


def post_shift(terrain: Terrain) -> tuple[float, float]:
    """(lon, lat) offset, degrees, of the DEM's cell centres from the SRTM-3 post lattice.

    A geographic 3" DEM whose cells are not centred on the posts (the bundled sample's
    cells are centred half a cell off them) is written cell for cell onto the posts, the
    whole surface moved by this offset, and SPLAT! is given link positions moved by the
    same offset: its nearest-post look-up is then the DEM's nearest cell, unsmoothed.
    Any other grid is resampled bilinearly onto the posts (offset 0).
    """
    t = terrain.transform
    if not terrain.crs.is_geographic or terrain.crs.to_epsg() != 4326:
        return 0.0, 0.0
    res = 1.0 / (SRTM3_POSTS - 1)
    if not (math.isclose(t.a, res, rel_tol=1e-6) and math.isclose(-t.e, res, rel_tol=1e-6)):
        return 0.0, 0.0
    lon0, lat0 = (t.c + t.a / 2.0) / res, (t.f + t.e / 2.0) / res  # first centre, in posts
    return (lon0 - round(lon0)) * res, (lat0 - round(lat0)) * res


def write_sdf_tiles(
    terrain: Terrain, hgt_dir: Path, sdf_dir: Path, shift: tuple[float, float]
) -> list[str]:
    """Write the DEM as SRTM-3 ``.hgt`` tiles (moved by ``shift``) and run ``srtm2sdf``."""
    west, south, east, north = wgs84_bounds(terrain)
    west, east = west - shift[0], east - shift[0]
    south, north = south - shift[1], north - shift[1]
    hgt_dir.mkdir(parents=True, exist_ok=True)
    sdf_dir.mkdir(parents=True, exist_ok=True)
    steps = np.arange(SRTM3_POSTS) / (SRTM3_POSTS - 1)
    names = []
    for lat in range(math.floor(south), math.ceil(north)):
        for lon in range(math.floor(west), math.ceil(east)):
            lon_grid, lat_grid = np.meshgrid(lon + steps, lat + 1.0 - steps)
            h = sample_heights(terrain, lon_grid + shift[0], lat_grid + shift[1])
            h = np.where(np.isfinite(h), np.rint(h), 0.0).clip(-32767, 32767)
            hgt = hgt_dir / f"{tile_name(lat, lon)}.hgt"
            h.astype(">i2").tofile(hgt)
            res = subprocess.run(
                ["srtm2sdf", "-d", "/dev/null", str(hgt)],
                cwd=sdf_dir,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
            if res.returncode != 0:
                raise RuntimeError(f"srtm2sdf failed on {hgt.name}: {res.stdout}{res.stderr}")
            names.append(hgt.stem)
    return names


# --------------------------------------------------------------------------- SPLAT!
@dataclass
class SplatResult:
    """What the SPLAT! path report says about one link."""

    loss_db: float = np.nan
    fspl_db: float = np.nan
    obstructed: bool | None = None
    mode: str = ""
    error: int = -1
    tx_ground_m: float = np.nan
    rx_ground_m: float = np.nan
    dist_km: float = np.nan
    seconds: float = np.nan
    failure: str = ""
    timed_out: bool = False


def _qth(path: Path, name: str, lon: float, lat: float, height_m: float) -> None:
    west = (-lon) % 360.0  # SPLAT!: degrees west, 0-360
    path.write_text(f"{name}\n{lat:.6f}\n{west:.6f}\n{height_m:.2f}m\n")


def _lrp(path: Path, freq_mhz: float, climate: int) -> None:
    path.write_text(
        "15.000 ; Earth Dielectric Constant (Relative permittivity)\n"
        "0.005 ; Earth Conductivity (Siemens per meter)\n"
        "301.000 ; Atmospheric Bending Constant (N-units)\n"
        f"{freq_mhz:.3f} ; Frequency in MHz (20 MHz to 20 GHz)\n"
        f"{climate} ; Radio Climate\n"
        "1 ; Polarization (0 = Horizontal, 1 = Vertical)\n"
        "0.50 ; Fraction of situations\n"
        "0.50 ; Fraction of time\n"
        "0.0 ; ERP in Watts (0: path loss only)\n"
    )


_NUM = r"(-?\d+(?:\.\d+)?)"


def parse_report(text: str) -> SplatResult:
    """Read losses, mode, error number, ground heights and obstructions from a report."""
    out = SplatResult()
    if m := re.search(rf"Free space path loss:\s*{_NUM}\s*dB", text):
        out.fspl_db = float(m.group(1))
    if m := re.search(rf"(?:Longley-Rice|ITWOM Version [\d.]+) path loss:\s*{_NUM}\s*dB", text):
        out.loss_db = float(m.group(1))
    if m := re.search(r"Mode of propagation:\s*(.+)", text):
        out.mode = m.group(1).strip()
    if m := re.search(r"(?:Longley-Rice model|ITWOM) error number:\s*(\d+)", text):
        out.error = int(m.group(1))
    grounds = re.findall(rf"Ground elevation:\s*{_NUM}\s*meters", text)
    if len(grounds) >= 2:
        out.tx_ground_m, out.rx_ground_m = float(grounds[0]), float(grounds[1])
    if m := re.search(rf"Distance to \S+:\s*{_NUM}\s*kilometers", text):
        out.dist_km = float(m.group(1))
    if "detected obstructions at" in text:
        out.obstructed = True
    elif re.search(r"No obstructions to LOS path", text):
        out.obstructed = False
    return out


def short_mode(mode: str) -> str:
    """Abbreviate SPLAT!'s mode of propagation: LOS, 1H/2H (horizons) -d(iffr.)/-t(ropo)."""
    low = mode.lower()
    if not low:
        return "?"
    if "line" in low or "l-o-s" in low:
        base = "LOS"
    elif "single" in low:
        base = "1H"
    elif "double" in low:
        base = "2H"
    else:
        base = mode[:6]
    if "diffraction" in low:
        base += "-d"
    elif "tropo" in low:
        base += "-t"
    return base


def run_splat(
    work: Path,
    sdf_dir: Path,
    link: pd.Series,
    *,
    shift: tuple[float, float],
    rx_height: float,
    freq: float,
    args,
) -> SplatResult:
    """One SPLAT! point-to-point run in its own folder; the report parsed."""
    work.mkdir(parents=True, exist_ok=True)
    dx, dy = shift
    _qth(work / "tx.qth", "tx", link.tx_lon - dx, link.tx_lat - dy, link.tx_height_m)
    _qth(work / "rx.qth", "rx", link.rx_lon - dx, link.rx_lat - dy, rx_height)
    _lrp(work / "tx.lrp", freq, args.climate)
    cmd = ["splat", "-t", "tx.qth", "-r", "rx.qth", "-d", str(sdf_dir), "-metric"]
    cmd += ["-m", f"{K_FACTOR:.6f}"]
    if args.splat_model == "itm":
        cmd.append("-olditm")
    t0 = time.perf_counter()
    try:
        res = subprocess.run(
            cmd,
            cwd=work,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=args.splat_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # the child is killed by subprocess.run
        return SplatResult(timed_out=True, failure=f"no result after {args.splat_timeout:g} s")
    seconds = time.perf_counter() - t0
    report = work / "tx-to-rx.txt"
    if res.returncode != 0 or not report.exists():
        tail = (res.stdout + res.stderr).strip().splitlines()[-3:]
        return SplatResult(seconds=seconds, failure=f"rc={res.returncode}: {' | '.join(tail)}")
    out = parse_report(report.read_text(errors="replace"))
    out.seconds = seconds
    if not np.isfinite(out.loss_db):
        out.failure = "no path loss in the report"
    return out


# --------------------------------------------------------------------------- covgap
def run_covgap(terrain: Terrain, links: pd.DataFrame, radio: Radio, freq: float):
    """predict_link on every link (one warm-up call first); links and seconds per link."""
    first = links.iloc[0]
    predict_link(
        terrain,
        first.tx_lon,
        first.tx_lat,
        first.rx_lon,
        first.rx_lat,
        tx_height_m=first.tx_height_m,
        freq_mhz=freq,
        radio=radio,
    )
    results, seconds = [], []
    for link in links.itertuples():
        t0 = time.perf_counter()
        res = predict_link(
            terrain,
            link.tx_lon,
            link.tx_lat,
            link.rx_lon,
            link.rx_lat,
            tx_height_m=link.tx_height_m,
            freq_mhz=freq,
            radio=radio,
        )
        seconds.append(time.perf_counter() - t0)
        results.append(res)
    return results, np.array(seconds)


def run_batched(terrain: Terrain, links: pd.DataFrame, radio: Radio, freq: float) -> dict:
    """best_servers on the links' sites and villages: speed, and its loss on every link.

    Every site is one omni 4G sector whose "carrier" is its own id, so the result holds
    one row per (village, site) pair in range: the pairs evaluated and their losses.
    """
    tx = links.drop_duplicates("tx_id")
    sites = pd.DataFrame(
        {
            "site_id": tx["tx_id"].to_numpy(),
            "sector_id": "1",
            "carrier": tx["tx_id"].to_numpy(),
            "technology": "4G",
            "freq_mhz": freq,
            "height_m": tx["tx_height_m"].to_numpy(),
            "lon": tx["tx_lon"].to_numpy(),
            "lat": tx["tx_lat"].to_numpy(),
            "azimuth_deg": np.nan,
            "beamwidth_deg": 360.0,
        }
    )
    rx = links.drop_duplicates("rx_id").reset_index(drop=True)
    points = pd.DataFrame(
        {"point_id": np.arange(len(rx)), "lon": rx["rx_lon"], "lat": rx["rx_lat"]}
    )
    t0 = time.perf_counter()
    best_servers(points, sites, terrain, radio=radio)  # JIT compile or cache load
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = best_servers(points, sites, terrain, radio=radio)
    warm_s = time.perf_counter() - t0
    key = dict(zip(rx["rx_id"], points["point_id"], strict=True))
    table = out.set_index(["point_id", "carrier"])["path_loss_db"]
    loss = [
        table.get((key[r], t), np.nan) for r, t in zip(links["rx_id"], links["tx_id"], strict=True)
    ]
    return {"pairs": len(out), "first_s": first_s, "warm_s": warm_s, "loss": np.array(loss)}


# --------------------------------------------------------------------------- report
def rsrp_dbm(loss_db: np.ndarray, radio: Radio) -> np.ndarray:
    """4G RSRP at boresight for a path loss (covgap link budget)."""
    return signal_dbm(
        "4G", power_dbm=POWER_DBM, gain_dbi=GAIN_DBI, path_loss_db=loss_db, radio=radio
    )


def classify(rsrp: np.ndarray, th: Thresholds) -> np.ndarray:
    """covered / low / white from RSRP."""
    return np.where(
        rsrp >= th.covered_dbm, "covered", np.where(rsrp >= th.low_signal_dbm, "low", "white")
    )


def describe(diff: np.ndarray) -> str:
    """Mean, median, standard deviation, MAE, RMSE and 5-95 % range of differences."""
    d = diff[np.isfinite(diff)]
    if d.size == 0:
        return "n=0"
    p5, p95 = np.percentile(d, [5, 95])
    return (
        f"n={d.size:3d}  mean {d.mean():+6.1f}  median {np.median(d):+6.1f}  "
        f"std {d.std(ddof=1) if d.size > 1 else 0.0:5.1f}  MAE {np.abs(d).mean():5.1f}  "
        f"RMSE {np.sqrt((d**2).mean()):5.1f}  5-95% [{p5:+.1f}, {p95:+.1f}] dB"
    )


def print_report(table: pd.DataFrame, timing: dict, meta: dict, th: Thresholds) -> None:
    """Per-link table, then summary statistics and timings."""
    pd.set_option("display.width", 200)
    shown = table[
        [
            "tx_id",
            "rx_id",
            "d_km",
            "cg_fspl",
            "cg_diffr",
            "cg_total",
            "cg_los",
            "sp_fspl",
            "sp_loss",
            "sp_obstr",
            "sp_mode",
            "sp_err",
            "diff",
        ]
    ]
    print("\nPer link (losses in dB; diff = SPLAT! - covgap total):")
    print(shown.to_string(float_format=lambda v: f"{v:.1f}", na_rep="-"))

    ok = table["sp_loss"].notna()
    t = table[ok]
    diff = t["diff"].to_numpy(float)
    print(f"\nSummary over {len(t)} links with a SPLAT! result ({meta['model']}):")
    print(f"  all links          {describe(diff)}")
    valid = t["sp_err"] < 3
    print(f"  ITM error < 3      {describe(diff[valid.to_numpy()])}")
    errs = t["sp_err"].value_counts().sort_index()
    print("  SPLAT! error numbers: " + ", ".join(f"{k}: {v}" for k, v in errs.items()))
    for name, sel in (("covgap LOS", t["cg_los"]), ("covgap NLOS", ~t["cg_los"])):
        print(f"  {name:<18} {describe(diff[sel.to_numpy(bool)])}")
    band = pd.cut(t["d_km"], BANDS_KM)
    for interval, sub in t.groupby(band, observed=True):
        label = f"{interval.left:g}-{interval.right:g} km"
        print(f"  {label:<18} {describe(sub['diff'].to_numpy(float))}")
    if len(t) > 2:
        pearson = np.corrcoef(t["cg_total"], t["sp_loss"])[0, 1]
        spearman = t["cg_total"].rank().corr(t["sp_loss"].rank())
        print(
            f"  correlation covgap total vs SPLAT! loss: Pearson {pearson:.3f}, "
            f"Spearman {spearman:.3f}"
        )
        pd_ = np.corrcoef(t["cg_diffr"], t["sp_loss"] - t["sp_fspl"])[0, 1]
        print(f"  correlation covgap diffraction vs SPLAT! excess loss (ITM - FSPL): {pd_:.3f}")
    fs = (t["sp_fspl"] - t["cg_fspl"]).abs()
    print(f"  free-space loss |SPLAT! - covgap|: max {fs.max():.2f} dB (distance and formula)")
    dd = (t["sp_dist"] - t["d_km"]).abs()
    print(f"  distance |SPLAT! - covgap|: max {dd.max():.3f} km")
    dz = pd.concat([t["sp_tx_ground"] - t["cg_tx_ground"], t["sp_rx_ground"] - t["cg_rx_ground"]])
    print(
        f"  ground height at the link ends, SPLAT! - covgap: mean {dz.mean():+.1f} m, "
        f"max |.| {dz.abs().max():.1f} m (nearest post vs bilinear)"
    )

    flags = t.dropna(subset=["sp_obstr"])
    if len(flags):
        clear = ~flags["sp_obstr"].astype(bool)
        cg = flags["cg_los"].astype(bool)
        agree = (clear == cg).mean()
        print(
            f"\nLine of sight (covgap LOS vs SPLAT! no obstruction): agree on {agree:.0%} "
            f"of {len(flags)} links"
        )
        print(
            f"  both LOS {int((cg & clear).sum())}, both obstructed {int((~cg & ~clear).sum())}"
            f", covgap LOS only {int((cg & ~clear).sum())}, "
            f"SPLAT! clear only {int((~cg & clear).sum())}"
        )

    print(
        f"\nClasses (4G RSRP = {POWER_DBM:g} dBm + {GAIN_DBI:g} dBi - 2 dB cable - 27.8 dB "
        f"- loss; covered >= {th.covered_dbm:g}, white < {th.low_signal_dbm:g} dBm):"
    )
    same_side = (t["cg_rsrp"] >= th.covered_dbm) == (t["sp_rsrp"] >= th.covered_dbm)
    print(
        f"  same side of {th.covered_dbm:g} dBm: {same_side.mean():.0%} "
        f"({int(same_side.sum())}/{len(t)})"
    )
    same_class = t["cg_class"] == t["sp_class"]
    print(
        f"  same class (covered/low/white): {same_class.mean():.0%} "
        f"({int(same_class.sum())}/{len(t)})"
    )
    print(
        pd.crosstab(
            t["cg_class"], t["sp_class"], rownames=["covgap"], colnames=["SPLAT!"]
        ).to_string()
    )

    n = timing["n_links"]
    cg_ms = 1000.0 * timing["predict_link_s"].mean()
    sp = table["sp_seconds"].to_numpy(float)
    sp_ms = 1000.0 * np.nanmean(sp)
    print("\nTiming:")
    print(
        f"  DEM read {timing['dem_s']:.1f} s; DEM -> {meta['n_tiles']} .hgt -> .sdf tiles "
        f"{timing['tiles_s']:.1f} s (once)"
    )
    print(
        f"  covgap predict_link: {cg_ms:.2f} ms/link mean "
        f"(median {1000 * np.median(timing['predict_link_s']):.2f}) over {n} links"
    )
    b = timing.get("batched")
    if b:
        per_pair = 1e6 * b["warm_s"] / max(b["pairs"], 1)
        print(
            f"  covgap best_servers: {b['pairs']} (village, site) pairs in "
            f"{b['warm_s']:.3f} s warm = {per_pair:.0f} us/pair "
            f"(first call {b['first_s']:.2f} s incl. JIT/cache load)"
        )
        match = np.abs(b["loss"] - table["cg_total"].to_numpy(float))
        print(
            f"  best_servers vs predict_link loss on the links: max |diff| "
            f"{np.nanmax(match):.2f} dB"
        )
    print(
        f"  SPLAT! point-to-point: {sp_ms:.1f} ms/link mean (median "
        f"{1000 * np.nanmedian(sp):.1f}; one process each, .sdf loading included)"
    )
    print(f"  ratio SPLAT! / predict_link: {sp_ms / cg_ms:.0f}x")
    if b:
        print(f"  ratio SPLAT! / best_servers per pair: {sp_ms / (per_pair / 1000.0):.0f}x")


# --------------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dem", type=Path, default=DEFAULT_DEM, help="DEM file (GeoTIFF, .hgt...)")
    p.add_argument("--sites", type=Path, default=DEFAULT_SITES, help="sites CSV (lon, lat)")
    p.add_argument("--villages", type=Path, default=DEFAULT_VILLAGES, help="villages CSV")
    p.add_argument("--links", type=int, default=60, help="number of links (default 60)")
    p.add_argument("--seed", type=int, default=20250701, help="random seed of the link draw")
    p.add_argument("--freq", type=float, default=1800.0, help="frequency, MHz")
    p.add_argument("--rx-height", type=float, default=1.5, help="receiver height, m")
    p.add_argument(
        "--tx-height",
        type=float,
        default=30.0,
        help="antenna height for random links or sites without one, m",
    )
    p.add_argument(
        "--climate",
        type=int,
        default=1,
        choices=range(1, 8),
        help="ITM radio climate (1 equatorial, 5 continental temperate)",
    )
    p.add_argument(
        "--splat-model",
        choices=("itm", "itwom"),
        default="itm",
        help="itm: Longley-Rice (-olditm); itwom: SPLAT!'s default ITWOM 3.0",
    )
    p.add_argument(
        "--splat-timeout",
        type=float,
        default=15.0,
        help="seconds before a SPLAT! run is killed (a normal link takes ~0.1 s)",
    )
    p.add_argument(
        "--snap-ends",
        action="store_true",
        help="move both link ends to DEM cell centres, so both tools see the same ground "
        "height there (isolates the models from nearest-post vs bilinear look-ups)",
    )
    p.add_argument("--no-batch", action="store_true", help="skip the best_servers timing")
    p.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="work in this folder and keep tiles and reports (default: temp)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    for tool in ("splat", "srtm2sdf"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found (Debian/Ubuntu: apt install splat)", file=sys.stderr)
            return 2
    if not args.dem.exists():
        print(f"error: DEM {args.dem} not found (use --dem PATH)", file=sys.stderr)
        return 2
    radio = Radio(rx_height_m=args.rx_height, k_factor=K_FACTOR)
    th = Thresholds()

    t0 = time.perf_counter()
    terrain = load_terrain(args.dem)
    dem_s = time.perf_counter() - t0
    if args.sites.exists() and args.villages.exists():
        links = links_from_files(
            terrain, args.sites, args.villages, args.links, args.seed, args.tx_height
        )
        origin = f"sites {args.sites.name} -> villages {args.villages.name}"
    else:
        links = random_links(terrain, args.links, args.seed, args.tx_height)
        origin = "random positions on the DEM (site/village tables absent)"
    if links.empty:
        print("error: no link 2-30 km long inside the DEM", file=sys.stderr)
        return 2
    if args.snap_ends:
        if terrain.crs.to_epsg() != 4326:
            print("error: --snap-ends needs a DEM in EPSG:4326", file=sys.stderr)
            return 2
        for end in ("tx", "rx"):
            lon, lat = snap_to_cells(terrain, links[f"{end}_lon"], links[f"{end}_lat"])
            links[f"{end}_lon"], links[f"{end}_lat"] = lon, lat
        origin += ", ends moved to DEM cell centres"
    print(
        f"DEM {args.dem} ({terrain.shape[1]} x {terrain.shape[0]} cells); {len(links)} links "
        f"from {origin}; {args.freq:g} MHz, rx {args.rx_height:g} m, seed {args.seed}"
    )

    with tempfile.TemporaryDirectory(prefix="covgap_splat_") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        sdf_dir = work / "sdf"
        t0 = time.perf_counter()
        shift = post_shift(terrain)
        tiles = write_sdf_tiles(terrain, work / "hgt", sdf_dir, shift)
        tiles_s = time.perf_counter() - t0
        print(
            f"SPLAT! terrain: {len(tiles)} tiles ({', '.join(tiles)}) -> {sdf_dir}; "
            f'DEM cells moved by ({shift[0] * 3600:+.2f}", {shift[1] * 3600:+.2f}") '
            "onto the posts, SPLAT! positions likewise"
        )

        cg, cg_s = run_covgap(terrain, links, radio, args.freq)
        batched = None if args.no_batch else run_batched(terrain, links, radio, args.freq)
        sp = [
            run_splat(
                work / f"link_{i:03d}",
                sdf_dir,
                link,
                shift=shift,
                rx_height=args.rx_height,
                freq=args.freq,
                args=args,
            )
            for i, link in enumerate(links.itertuples())
        ]

    table = links[["tx_id", "rx_id"]].copy()
    table["d_km"] = [r.dist_km for r in cg]
    table["cg_fspl"] = [r.fspl_db for r in cg]
    table["cg_diffr"] = [r.diffraction_loss_db for r in cg]
    table["cg_total"] = [r.path_loss_db for r in cg]
    table["cg_los"] = [r.los for r in cg]
    table["cg_tx_ground"] = [r.tx_amsl_m - h for r, h in zip(cg, links["tx_height_m"], strict=True)]
    table["cg_rx_ground"] = [r.rx_amsl_m - args.rx_height for r in cg]
    table["sp_fspl"] = [r.fspl_db for r in sp]
    table["sp_loss"] = [r.loss_db for r in sp]
    table["sp_obstr"] = pd.array([r.obstructed for r in sp], dtype="boolean")
    table["sp_mode"] = [short_mode(r.mode) for r in sp]
    table["sp_err"] = [r.error for r in sp]
    table["sp_dist"] = [r.dist_km for r in sp]
    table["sp_tx_ground"] = [r.tx_ground_m for r in sp]
    table["sp_rx_ground"] = [r.rx_ground_m for r in sp]
    table["sp_seconds"] = [r.seconds for r in sp]
    table["diff"] = table["sp_loss"] - table["cg_total"]
    table["cg_rsrp"] = rsrp_dbm(table["cg_total"].to_numpy(float), radio)
    table["sp_rsrp"] = rsrp_dbm(table["sp_loss"].to_numpy(float), radio)
    table["cg_class"] = classify(table["cg_rsrp"].to_numpy(float), th)
    table["sp_class"] = classify(table["sp_rsrp"].to_numpy(float), th)

    model = "Longley-Rice ITM (-olditm)" if args.splat_model == "itm" else "ITWOM 3.0"
    timing = {
        "n_links": len(links),
        "predict_link_s": cg_s,
        "batched": batched,
        "dem_s": dem_s,
        "tiles_s": tiles_s,
    }
    print_report(table, timing, {"model": model, "n_tiles": len(tiles)}, th)

    hung = [i for i, r in enumerate(sp) if r.timed_out]
    if hung:
        print(
            f"\nSPLAT! gave no result on {len(hung)} link(s) (killed after "
            f"{args.splat_timeout:g} s; its ITM loops forever on some profiles): "
            + ", ".join(map(str, hung))
        )
    failed = [(i, r.failure) for i, r in enumerate(sp) if r.failure and not r.timed_out]
    for i, why in failed:
        print(f"SPLAT! failed on link {i}: {why}", file=sys.stderr)
    return 1 if failed or len(hung) == len(sp) else 0


if __name__ == "__main__":
    sys.exit(main())
