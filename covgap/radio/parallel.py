"""Area prediction over many sites: a local process pool, or a dask.distributed cluster.

:func:`predict_area` runs one task per site -- :func:`covgap.radio.area.predict_site` on the
site's window, reduced to the best sector per carrier × technology
(:func:`covgap.radio.rasters.site_layers`) -- and merges each result into the composites
(:class:`covgap.radio.rasters.Composite`) as soon as it arrives. At most two tasks per worker are
in flight, so memory holds the composites and a few windows, never every site's arrays.
The merge's tie rule makes the rasters identical whatever the number of workers and the
order in which sites finish.

Where the tasks run (``scheduler``):

* ``None`` (default): a local process pool with ``workers`` processes (default: every
  core); ``workers=1`` runs in this process;
* ``"local-cluster"``: a :class:`dask.distributed.LocalCluster` with ``workers``
  single-threaded worker processes;
* ``"tcp://HOST:PORT"`` (or ``tls://``): an existing dask.distributed scheduler; the
  workers need covgap installed, and the cache folder, if any, on a shared file system;
* a :class:`dask.distributed.Client`: use it as it is.

Cache (``cache=DIR``): one file per site, named by a SHA-256 key of everything the site's
result depends on: the site's sector rows (every column), the model, radius, resolution
and radio settings, the DEM cells within the radius (their heights, grid and CRS), and the
engine's source code and covgap's version. Editing one site, or the DEM under one site,
recomputes that site only. Files are written atomically (temporary name, then rename), so
several workers may share a folder. A 30 km window at 3" is about 5 MB per technology.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import math
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from affine import Affine
from tqdm import tqdm

from .. import __version__
from ..config import Radio, Thresholds
from ..errors import DataFileError, InputError
from ..io.atomic import atomic_path
from ..io.landcover import ClutterGrid, regrid_clutter
from ..io.terrain import EARTH_RADIUS_KM, Terrain, cell_size_m, sample_heights
from .rasters import (
    ANY_CARRIER,
    AreaRasters,
    Composite,
    SiteLayers,
    layer_name,
    site_layers,
    valid_cells,
)

__all__ = ["MODELS", "predict_area", "resample_terrain", "site_cache_key"]

logger = logging.getLogger(__name__)

#: Propagation models of :func:`covgap.radio.area.predict_site`, with the words put in the files.
MODELS: dict[str, str] = {
    "p1812": "ITU-R P.1812-style: free space + delta-Bullington diffraction over the DEM (k = 4/3)",
    "bullington": "free space + Bullington diffraction over the DEM (ITU-R P.526, k = 4/3)",
    "hata": "Okumura-Hata / COST-231 Hata (no terrain profile)",
    "fspl": "free-space loss (ITU-R P.525)",
}
#: Bump when the cache file layout or the meaning of a cached result changes.
CACHE_VERSION = 1
#: Tasks in flight per worker (bounds the memory held by finished, unmerged windows).
IN_FLIGHT_PER_WORKER = 2
#: Extra DEM cells around the radius that enter the cache key (the engine's interpolation).
_KEY_MARGIN_CELLS = 2
_SITE_COLUMNS_IGNORED = ("geometry",)


@dataclass(frozen=True)
class _Context:
    """What every task needs besides its site: shipped once to each worker."""

    terrain: Terrain
    radius_km: float
    model: str
    radio: Radio
    resolution_m: float | None
    cache_dir: str | None
    rays: str | None = None
    warn_clipped: bool = True
    clutter: ClutterGrid | None = None


@dataclass(frozen=True)
class _Task:
    site_id: str
    sectors: pd.DataFrame


# --------------------------------------------------------------------------- public
def predict_area(
    terrain: Terrain,
    sites: pd.DataFrame,
    *,
    site_ids: list[str] | tuple[str, ...] | None = None,
    radius_km: float = 30.0,
    model: str = "p1812",
    radio: Radio = Radio(),
    thresholds: Thresholds = Thresholds(),
    resolution_m: float | None = None,
    rays: str | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    cache: str | Path | None = None,
    info: Mapping[str, Any] | None = None,
    progress: bool = False,
    warn_clipped: bool = True,
    clutter: ClutterGrid | None = None,
) -> AreaRasters:
    """Predict every sector of every site over its radius and build the best-server rasters.

    Parameters
    ----------
    terrain
        The DEM.
    sites
        Canonical site table (one row per sector, :func:`covgap.io.read_sites`).
    site_ids
        Only these sites (default: all).
    radius_km
        Prediction radius around each site.
    model
        One of :data:`MODELS`.
    radio, thresholds
        Radio settings (receiver height, k, link budget, location variability) and the
        class thresholds.
    resolution_m
        Output cell size; ``None``: the DEM's.
    rays
        The engine's rays (:func:`covgap.radio.area.predict_site`): ``None`` (its default,
        ``"full"``) or ``"branch"`` (faster, less exact).
    scheduler
        ``None`` (local process pool), ``"local-cluster"``, ``"tcp://HOST:PORT"`` or a
        :class:`dask.distributed.Client` (see the module's notes).
    workers
        Processes (pool or local cluster); default: every core available.
    cache
        Folder of the per-site cache; ``None``: no cache.
    info
        Extra facts for the files' metadata (e.g. ``scenario``, ``synthetic``).
    progress
        Show a progress bar.
    warn_clipped
        Warn for every site whose radius reaches beyond the DEM (in the process that
        runs it, worker or not); ``False`` where that is expected.
    clutter
        The land cover on the DEM's grid (:func:`covgap.io.landcover.clutter_grid`), used
        as ``radio.clutter`` says (:func:`covgap.radio.area.predict_site`).

    Returns
    -------
    covgap.radio.rasters.AreaRasters
        Composites per carrier × technology and any carrier, serving sites, 4G classes;
        ``stats`` says how many sites were computed and how many read from the cache.

    Raises
    ------
    InputError
        Unknown model or site, a bad radius or worker count, a site outside the DEM.
    """
    _check_options(model, radius_km, workers, resolution_m, rays)
    sites = _select(sites, site_ids)
    _check_inside(terrain, sites)
    dem = terrain
    terrain = resample_terrain(terrain, resolution_m)
    # the engine gets a DEM already at the output resolution: one lattice for all windows
    if clutter is not None and radio.clutter != "none":  # on the engine's grid
        clutter = regrid_clutter(clutter, dem, terrain)
    else:
        clutter = None
    ctx = _Context(
        terrain, float(radius_km), model, radio, None, _cache_dir(cache), rays, warn_clipped,
        clutter,
    )  # fmt: skip
    # cache keys are computed by the workers (they hash DEM windows): off the main process
    tasks = [_Task(str(sid), group) for sid, group in sites.groupby("site_id", sort=True)]
    n_workers = workers or _cores()
    composite = Composite([t.site_id for t in tasks], terrain.bounds, terrain.crs)
    stats = {"sites": len(tasks), "computed": 0, "cached": 0, "workers": n_workers}
    start = time.perf_counter()
    results = _execute(tasks, ctx, scheduler, n_workers)
    for layers, hit in tqdm(results, total=len(tasks), disable=not progress, unit="site"):
        composite.add(layers)
        stats["cached" if hit else "computed"] += 1
    stats["seconds"] = time.perf_counter() - start
    assert composite.grid is not None  # at least one site (checked by _select)
    facts = area_info(dem, sites, ctx, thresholds, composite.grid) | dict(info or {})
    rasters = composite.finish(
        valid=valid_cells(terrain, composite.grid), thresholds=thresholds, radio=radio, info=facts
    )
    rasters.stats = stats
    logger.info(
        "area prediction: %d sites (%d from the cache) in %.1f s on %s",
        len(tasks),
        stats["cached"],
        stats["seconds"],
        _describe(scheduler, n_workers),
    )
    return rasters


def resample_terrain(terrain: Terrain, resolution_m: float | None) -> Terrain:
    """Return the DEM resampled (bilinear) to cells of about ``resolution_m`` metres.

    The whole DEM is resampled once onto one grid with the same bounds, so that every
    site's window shares its cells (the composites need one lattice). ``None``, or a size
    within 1 % of the DEM's, returns ``terrain`` itself.
    """
    if resolution_m is None:
        return terrain
    from scipy import ndimage

    dx, dy = cell_size_m(terrain)
    if abs(resolution_m / min(dx, dy) - 1) <= 0.01:
        return terrain
    rows, cols = terrain.shape
    out_w = max(round(cols * dx / resolution_m), 2)
    out_h = max(round(rows * dy / resolution_m), 2)
    t = terrain.transform
    a, e = t.a * cols / out_w, t.e * rows / out_h
    cc = (np.arange(out_w) + 0.5) * cols / out_w - 0.5
    src = np.asarray(terrain.heights, dtype=np.float64)
    out = np.empty((out_h, out_w), dtype=np.float32)
    for r0 in range(0, out_h, 512):
        rr = (np.arange(r0, min(out_h, r0 + 512)) + 0.5) * rows / out_h - 0.5
        grid_r, grid_c = np.meshgrid(rr, cc, indexing="ij")
        out[r0 : r0 + len(rr)] = ndimage.map_coordinates(
            src, [grid_r, grid_c], order=1, mode="nearest"
        )
    logger.info("DEM resampled to %d x %d cells of ~%g m", out_w, out_h, resolution_m)
    return Terrain(
        out,
        Affine(a, 0.0, t.c, 0.0, e, t.f),
        terrain.crs,
        f"{terrain.source} resampled to {resolution_m:g} m (bilinear)",
        dict(terrain.meta),
    )


def site_cache_key(
    sectors: pd.DataFrame,
    terrain: Terrain,
    *,
    radius_km: float,
    model: str,
    radio: Radio,
    resolution_m: float | None = None,
    rays: str | None = None,
    clutter: ClutterGrid | None = None,
) -> str:
    """SHA-256 key of everything one site's prediction depends on.

    The site's sector rows (every column but the geometry) and position, the model,
    radius, resolution, radio settings, the DEM cells within the radius (heights, grid,
    CRS) and their clutter (when ``radio.clutter`` uses it), the engine's source code,
    covgap's version and :data:`CACHE_VERSION`.
    """
    rows = _sector_records(sectors)
    window = _dem_window(terrain, sectors, radius_km)
    cells = np.ascontiguousarray(terrain.heights[window])
    payload = {
        "cache_version": CACHE_VERSION,
        "covgap": __version__,
        "engine": _engine_fingerprint(),
        "sectors": rows,
        "position": [repr(v) for v in _position(sectors)],
        "radius_km": float(radius_km),
        "model": model,
        "resolution_m": resolution_m,
        "rays": rays,
        "radio": asdict(radio),
        "dem": {
            "crs": terrain.crs.to_wkt(),
            "transform": list(terrain.transform)[:6],
            "window": [window[0].start, window[0].stop, window[1].start, window[1].stop],
            "heights": hashlib.blake2b(cells.tobytes(), digest_size=20).hexdigest(),
            "dtype": str(cells.dtype),
        },
    }
    if clutter is not None and radio.clutter != "none":
        both = np.stack([clutter.heights_m[window], clutter.category[window]])
        payload["clutter"] = hashlib.blake2b(both.tobytes(), digest_size=20).hexdigest()
    text = json.dumps(payload, sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def area_info(
    terrain: Terrain,
    sites: pd.DataFrame,
    ctx: _Context,
    thresholds: Thresholds,
    grid: Any,
) -> dict[str, Any]:
    """Scenario facts for the rasters' metadata (and per-layer frequencies and heights)."""
    radio = ctx.radio
    res_w, res_h = cell_size_m(terrain)
    out_w = abs(grid.transform.a) / abs(terrain.transform.a) * res_w
    layers: dict[str, dict[str, Any]] = {}
    for (carrier, tech), rows in sites.groupby(["carrier", "technology"], sort=True):
        layers[layer_name(str(carrier), str(tech))] = _layer_facts(rows)
    for tech, rows in sites.groupby("technology", sort=True):
        layers[layer_name(ANY_CARRIER, str(tech))] = _layer_facts(rows)
    return {
        "software": "covgap",
        "covgap_version": __version__,
        "date": date.today().isoformat(),
        "model": ctx.model,
        "model_description": MODELS[ctx.model],
        "radius_km": ctx.radius_km,
        "covered_dbm": thresholds.covered_dbm,
        "low_signal_dbm": thresholds.low_signal_dbm,
        "location_probability": radio.location_probability,
        "shadow_sigma_db": radio.shadow_sigma_db,
        "location_margin_db": round(radio.location_margin_db, 2),
        "thresholds": f"covered >= {thresholds.covered_dbm:g} dBm, low signal >= "
        f"{thresholds.low_signal_dbm:g} dBm (4G RSRP, + {radio.location_margin_db:.1f} dB "
        f"location margin)",
        "rx_height_m": radio.rx_height_m,
        "k_factor": round(radio.earth_k, 4),
        "clutter_loss_db": radio.clutter_loss_db,
        "clutter": radio.clutter if ctx.clutter is not None else "none",
        "land_cover": ctx.clutter.source if ctx.clutter is not None else "",
        "lte_bandwidth_mhz": radio.lte_bandwidth_mhz,
        "cable_loss_db": radio.cable_loss_db,
        "dem_source": terrain.source,
        "dem_crs": terrain.crs.to_string(),
        "dem_resolution_m": f"{res_w:.1f} x {res_h:.1f}",
        "resolution_m": round(out_w, 1),
        "synthetic": False,
        "layers": layers,
    }


def _layer_facts(rows: pd.DataFrame) -> dict[str, Any]:
    heights = pd.to_numeric(rows["height_m"], errors="coerce") if "height_m" in rows else None
    facts: dict[str, Any] = {
        "freq_mhz": sorted({int(f) for f in pd.to_numeric(rows["freq_mhz"]).dropna()}),
        "sites": int(rows["site_id"].nunique()),
        "sectors": len(rows),
    }
    if heights is not None and heights.notna().any():
        facts["antenna_height_m"] = f"{heights.min():g}-{heights.max():g}"
    return facts


# --------------------------------------------------------------------------- inputs
def _check_options(
    model: str,
    radius_km: float,
    workers: int | None,
    resolution_m: float | None,
    rays: str | None = None,
) -> None:
    problems = []
    if rays not in (None, "full", "branch"):
        problems.append(f"rays = {rays!r}: expected 'full' or 'branch'")
    if model not in MODELS:
        problems.append(f"unknown model {model!r}; expected one of {list(MODELS)}")
    if not (isinstance(radius_km, (int, float)) and 0 < radius_km <= 200):
        problems.append(f"radius_km = {radius_km!r} must be between 0 and 200 km")
    if workers is not None and workers < 1:
        problems.append(f"workers = {workers!r} must be at least 1")
    if resolution_m is not None and not 1 <= resolution_m <= 5000:
        problems.append(f"resolution_m = {resolution_m!r} must be between 1 and 5,000 m")
    if problems:
        raise InputError("; ".join(problems))


def _select(sites: pd.DataFrame, site_ids: list[str] | tuple[str, ...] | None) -> pd.DataFrame:
    missing = [c for c in ("site_id", "carrier", "technology", "freq_mhz") if c not in sites]
    if missing:
        raise InputError(f"the site table lacks column(s) {missing}")
    sites = sites.assign(site_id=sites["site_id"].astype(str))
    if "lon" not in sites or "lat" not in sites:
        if "geometry" not in sites:
            raise InputError("the site table needs lon/lat columns or a point geometry")
        sites = sites.assign(lon=sites.geometry.x, lat=sites.geometry.y)
    if site_ids is not None:
        wanted = [str(s) for s in site_ids]
        unknown = sorted(set(wanted) - set(sites["site_id"]))
        if unknown:
            raise InputError(f"unknown site id(s): {', '.join(unknown[:10])}")
        sites = sites[sites["site_id"].isin(wanted)]
    if sites.empty:
        raise InputError("no sector to predict: the site table is empty")
    return sites


def _check_inside(terrain: Terrain, sites: pd.DataFrame) -> None:
    first = sites.drop_duplicates("site_id")
    ground = sample_heights(terrain, first["lon"].to_numpy(float), first["lat"].to_numpy(float))
    bad = first["site_id"].to_numpy()[~np.isfinite(ground)]
    if len(bad):
        shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
        raise InputError(
            f"{len(bad)} site(s) outside the DEM or over nodata: {shown}; extend the DEM "
            "(--dem can be repeated) or leave them out"
        )


def _cache_dir(cache: str | Path | None) -> str | None:
    if cache is None:
        return None
    path = Path(cache)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot create the cache folder: {exc}") from exc
    return str(path)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _key_options(ctx: _Context) -> dict[str, Any]:
    return {
        "radius_km": ctx.radius_km,
        "model": ctx.model,
        "radio": ctx.radio,
        "resolution_m": ctx.resolution_m,
        "rays": ctx.rays,
        "clutter": ctx.clutter,
    }


def _sector_records(sectors: pd.DataFrame) -> list[dict[str, str]]:
    cols = sorted(c for c in sectors.columns if c not in _SITE_COLUMNS_IGNORED)
    frame = sectors[cols].astype(object).where(sectors[cols].notna(), None)
    records = [
        {c: repr(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]
    return sorted(records, key=lambda r: json.dumps(r, sort_keys=True))


def _position(sectors: pd.DataFrame) -> tuple[float, float]:
    """WGS 84 lon, lat of a site (its first sector)."""
    if "lon" in sectors.columns and "lat" in sectors.columns:
        return float(sectors["lon"].iloc[0]), float(sectors["lat"].iloc[0])
    point = sectors.geometry.iloc[0]
    return float(point.x), float(point.y)


def _dem_window(terrain: Terrain, sectors: pd.DataFrame, radius_km: float) -> tuple[slice, slice]:
    """Rows and columns of the DEM within ``radius_km`` of the site (plus a margin)."""
    lon, lat = _position(sectors)
    t = terrain.transform
    if terrain.crs.is_geographic:
        x, y = lon, lat
        deg = math.degrees(radius_km / EARTH_RADIUS_KM)
        half_w = deg / max(math.cos(math.radians(lat)), 1e-6)
        half_h = deg
    else:
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", terrain.crs, always_xy=True).transform(lon, lat)
        half_w = half_h = radius_km * 1000.0
    col, row = (x - t.c) / t.a, (y - t.f) / t.e
    dc, dr = half_w / abs(t.a) + _KEY_MARGIN_CELLS, half_h / abs(t.e) + _KEY_MARGIN_CELLS
    rows, cols = terrain.shape
    r0, r1 = max(0, math.floor(row - dr)), min(rows, math.ceil(row + dr) + 1)
    c0, c1 = max(0, math.floor(col - dc)), min(cols, math.ceil(col + dc) + 1)
    return slice(r0, r1), slice(c0, c1)


_FINGERPRINT: str | None = None


def _engine_files() -> list[Path]:
    """Source files whose change changes the predictions (and so the cache keys)."""
    here = Path(__file__).parent
    files = sorted(here.glob("kernels*.py")) + sorted(here.glob("sweep*.py"))
    return [*files, here / "area.py", here / "models.py", here / "propagation.py"]


def _engine_fingerprint() -> str:
    """Hash of the engine's source: a new engine, a new key."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256()
        for path in _engine_files():
            if path.exists():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


# --------------------------------------------------------------------------- tasks
def _engine() -> Callable[..., Any]:
    """Return the per-site engine (indirect so tests can stand in a small one)."""
    from .area import predict_site

    return predict_site


def _run_task(ctx: _Context, task: _Task) -> tuple[SiteLayers, bool]:
    """One site: from the cache if there, else the engine (and store it)."""
    path = None
    if ctx.cache_dir:
        key = site_cache_key(task.sectors, ctx.terrain, **_key_options(ctx))
        path = Path(ctx.cache_dir) / f"{key}.npz"
    if path is not None:
        cached = _load(path, task.site_id)
        if cached is not None:
            return cached, True
    prediction = _engine()(
        ctx.terrain,
        task.sectors,
        radius_km=ctx.radius_km,
        model=ctx.model,
        radio=ctx.radio,
        resolution_m=ctx.resolution_m,
        rays=ctx.rays,
        warn_clipped=ctx.warn_clipped,
        **({} if ctx.clutter is None else {"clutter": ctx.clutter}),
    )
    layers = site_layers(prediction)
    if path is not None:
        _store(path, layers)
    return layers, False


def _store(path: Path, layers: SiteLayers) -> None:
    meta = {
        "site_id": layers.site_id,
        "transform": list(layers.transform)[:6],
        "shape": list(layers.shape),
        "keys": [list(k) for k in layers.layers],
    }
    arrays = {f"layer_{i}": a for i, a in enumerate(layers.layers.values())}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def _load(path: Path, site_id: str) -> SiteLayers | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            arrays = [npz[f"layer_{i}"] for i in range(len(meta["keys"]))]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:  # a damaged file: recompute
        logger.warning("cache file %s unreadable (%s); recomputing", path, exc)
        return None
    if meta["site_id"] != site_id:
        return None
    layers = {(k[0], k[1]): a for k, a in zip(meta["keys"], arrays, strict=True)}
    return SiteLayers(site_id, Affine(*meta["transform"]), tuple(meta["shape"]), layers)


# --------------------------------------------------------------------------- executors
def _execute(
    tasks: list[_Task], ctx: _Context, scheduler: Any, workers: int
) -> Iterator[tuple[SiteLayers, bool]]:
    if scheduler is None:
        if workers == 1 or len(tasks) == 1:
            return (_run_task(ctx, t) for t in tasks)
        return _run_pool(tasks, ctx, workers)
    return _run_dask(tasks, ctx, scheduler, workers)


_WORKER_CTX: _Context | None = None
#: Seconds a pool worker gets to exit after SIGTERM before it is killed.
_STOP_GRACE_S = 10.0


def _init_worker(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx
    _keep_freed_memory()
    # Ctrl-C reaches the whole process group: the parent alone decides and stops the
    # pool; SIGTERM from it exits through the finally blocks (no temporary cache files)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise SystemExit(128 + signum)


#: glibc's mallopt parameters, and the largest mmap threshold it accepts (64-bit).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX = -1, -3, 32 << 20


def _keep_freed_memory() -> None:
    """Let a pool worker's malloc (glibc) reuse freed blocks instead of new pages.

    A site's arrays (tens of MB at 3") are otherwise mapped afresh and faulted in page
    by page at every site, about a tenth of its time; the worker keeps at most its own
    peak. A no-op where there is no glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
    mallopt(_M_TRIM_THRESHOLD, 4 * _MMAP_THRESHOLD_MAX)


def _pool_task(task: _Task) -> tuple[SiteLayers, bool]:
    assert _WORKER_CTX is not None
    return _run_task(_WORKER_CTX, task)


def _run_pool(tasks: list[_Task], ctx: _Context, workers: int) -> Iterator[tuple[SiteLayers, bool]]:
    limit = IN_FLIGHT_PER_WORKER * workers
    pending = iter(tasks)
    pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(ctx,))
    try:
        running = {pool.submit(_pool_task, t) for t in _take(pending, limit)}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            running |= {pool.submit(_pool_task, t) for t in _take(pending, len(done))}
            for future in done:
                yield future.result()
    except BaseException:
        # Ctrl-C, SIGTERM (the CLI raises), an error, or the caller dropped the results:
        # stop the workers now instead of waiting for the sites in flight
        _stop_pool(pool)
        raise
    pool.shutdown()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers (their SIGTERM cleans up)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(_STOP_GRACE_S)  # a worker inside a numba kernel exits after it
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)


def _take(it: Iterator[_Task], n: int) -> list[_Task]:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


def _dask_task(ctx: _Context, task: _Task) -> tuple[SiteLayers, bool]:
    return _run_task(ctx, task)


def _run_dask(
    tasks: list[_Task], ctx: _Context, scheduler: Any, workers: int
) -> Iterator[tuple[SiteLayers, bool]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise InputError(
            "a dask scheduler needs dask.distributed: pip install 'covgap[dask]'"
        ) from exc
    own = []
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler == "local-cluster":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        own = [client, cluster]
    elif isinstance(scheduler, str) and "://" in scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise InputError(f"cannot reach the dask scheduler {scheduler}: {exc}") from exc
        own = [client]
    else:
        raise InputError(
            f"scheduler {scheduler!r}: expected 'local-cluster', 'tcp://HOST:PORT' or a "
            "dask.distributed Client"
        )
    try:
        yield from _dask_loop(client, tasks, ctx, as_completed)
    finally:
        for obj in own:
            obj.close()


def _dask_loop(client: Any, tasks: list[_Task], ctx: _Context, as_completed: Any) -> Iterator:
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    limit = IN_FLIGHT_PER_WORKER * n_workers
    ctx_future = client.scatter(ctx, broadcast=True, hash=False)
    pending = iter(tasks)

    def submit(task: _Task) -> Any:
        return client.submit(
            _dask_task,
            ctx_future,
            task,
            key=f"covgap-site-{task.site_id}-{uuid.uuid4().hex[:12]}",
            pure=False,
        )

    queue = as_completed([submit(t) for t in _take(pending, limit)])
    for future in queue:
        result = future.result()
        future.release()
        for task in _take(pending, 1):
            queue.add(submit(task))
        yield result


def _describe(scheduler: Any, workers: int) -> str:
    if scheduler is None:
        return f"{workers} local process(es)" if workers > 1 else "this process"
    return f"dask ({scheduler if isinstance(scheduler, str) else 'client'})"
