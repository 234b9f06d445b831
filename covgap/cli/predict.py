"""``covgap predict``: best-server rasters and white / low-signal zones over an area."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import EXISTING as _EXISTING
from ._common import PATH as _PATH
from ._common import check_out_dir, handle_errors, progress_default

_MODELS = ("p1812", "bullington", "hata", "fspl")


@click.command("predict")
@click.option(
    "--sites",
    type=_EXISTING,
    required=True,
    multiple=True,
    help="BTS site table, one row per sector; repeat for several files (combined).",
)
@click.option(
    "--dem",
    type=_EXISTING,
    multiple=True,
    required=True,
    help="DEM file (GeoTIFF, SRTM .hgt/.hgt.zip); repeat for several tiles.",
)
@click.option("--site", "site_ids", multiple=True, help="Only this site id; repeat for several.")
@click.option(
    "--radius-km", type=float, default=30.0, show_default=True, help="Radius around each site."
)
@click.option(
    "--model",
    type=click.Choice(_MODELS),
    default="p1812",
    show_default=True,
    help="p1812: free space + delta-Bullington diffraction over the DEM; bullington: "
    "P.526 Bullington; hata: Okumura-Hata / COST-231; fspl: free space.",
)
@click.option(
    "--resolution-m", type=float, default=None, help="Output cell size (default: the DEM's)."
)
@click.option(
    "--scheduler",
    default=None,
    help="Run the sites on dask.distributed: 'local-cluster' or tcp://HOST:PORT "
    "(default: a local process pool).",
)
@click.option("--workers", type=int, default=None, help="Processes (default: every core).")
@click.option(
    "--rays",
    type=click.Choice(["full", "branch"]),
    default="full",
    show_default=True,
    help="full: a ray to every border cell (within 0.003 dB of the exact path); branch: "
    "rays branch off near the antenna (5-10 % faster, p99 5 dB off the exact path).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=_PATH,
    default=None,
    help="Per-site cache folder: a rerun recomputes only the sites (or DEM cells) that changed.",
)
@click.option(
    "--villages", type=_EXISTING, help="Village table: count villages and people in each zone."
)
@click.option(
    "--admin", type=_EXISTING, help="GeoPackage with 'districts' / 'communes' to cut zones by."
)
@click.option("--crs", help="CRS of x/y columns in the tables (e.g. EPSG:9205).")
@click.option(
    "--config",
    "config_file",
    type=_EXISTING,
    help="Scenario TOML: thresholds and radio settings (its input files are not used).",
)
@click.option(
    "--min-zone-km2",
    type=float,
    default=None,
    help="Zones smaller than this are removed as slivers [default: 0.1].",
)
@click.option("--out", "out_dir", type=_PATH, required=True, help="Folder for the outputs.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal only)."
)
@handle_errors
def predict_command(
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    site_ids: tuple[str, ...],
    radius_km: float,
    model: str,
    resolution_m: float | None,
    scheduler: str | None,
    workers: int | None,
    rays: str,
    cache_dir: Path | None,
    villages: Path | None,
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    min_zone_km2: float | None,
    out_dir: Path,
    progress: bool | None,
) -> None:
    """Predict the signal of every sector over the terrain and map the coverage gaps.

    Writes Cloud-Optimized GeoTIFFs of the best signal and serving site per carrier and
    technology and for any carrier (signal_*.tif, site_*.tif, serving_sites.csv), the 4G
    classes (class_*.tif), and the white and low-signal zones (zones.gpkg,
    zones_by_commune.csv). Every file is complete or absent: nothing is half-written.
    """
    from ..analysis.calibration import calibrate_rasters, calibrated_radio
    from ..analysis.zones import MIN_ZONE_AREA_KM2, area_zones, write_zones
    from ..config import load_scenario
    from ..io.manifest import run_folder
    from ..io.readers import read_admin, read_dem, read_sites, read_villages
    from ..io.safe_csv import write_csv
    from ..radio.parallel import predict_area

    check_out_dir(out_dir)
    scenario = load_scenario(config_file)
    crs = crs or scenario.crs
    site_table = _read_site_files(sites, crs, read_sites)
    terrain = read_dem(list(dem))
    info = {"scenario": scenario.name, "synthetic": scenario.synthetic or _synthetic(dem)}
    clutter = None
    if scenario.land_cover is not None:  # the scenario's land cover (--config)
        from ..io.landcover import clutter_grid

        clutter = clutter_grid(scenario.land_cover, terrain, scenario.clutter)
    rasters = predict_area(
        terrain,
        site_table,
        site_ids=list(site_ids) or None,
        radius_km=radius_km,
        model=model,
        radio=scenario.radio,
        thresholds=scenario.thresholds,
        resolution_m=resolution_m,
        scheduler=scheduler,
        workers=workers,
        rays=rays,
        cache=cache_dir,
        info=info,
        progress=progress_default() if progress is None else progress,
        clutter=clutter,
    )
    # a calibrated scenario's corrections (covgap calibrate), as covgap run applies them
    rasters = calibrate_rasters(
        rasters, scenario.calibration, thresholds=scenario.thresholds,
        radio=calibrated_radio(scenario.radio, scenario.calibration), clutter=clutter,
    )  # fmt: skip
    village_table = read_villages(villages, crs=crs) if villages else None
    districts = read_admin(admin, "districts") if admin else None
    communes = _communes(admin, read_admin) if admin else None
    pieces, summary = area_zones(
        rasters,
        village_table,
        districts=districts,
        communes=communes,
        min_area_km2=MIN_ZONE_AREA_KM2 if min_zone_km2 is None else min_zone_km2,
    )
    with run_folder(out_dir, command="covgap predict", extra={"scenario": scenario.name}) as tmp:
        paths = rasters.write(tmp)
        write_zones(pieces, tmp / "zones.gpkg", summary=summary)
        write_csv(summary, tmp / "zones_by_commune.csv")
    _echo(rasters, pieces, len(paths) + 3, out_dir)


def _read_site_files(paths: tuple[Path, ...], crs: str | None, reader) -> object:
    """Read and combine the site files (a sector in two files: see ``combine_sites``)."""
    import logging

    from ..analysis.inputs import combine_sites
    from ..errors import ValidationError

    tables, problems = {}, []
    for path in dict.fromkeys(paths):
        try:
            tables[str(path)] = reader(path, crs=crs)
        except ValidationError as exc:
            problems += exc.problems
    if not problems:
        combined, problems = combine_sites(tables)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    for problem in problems:
        logging.getLogger(__name__).warning("%s", problem)
    return combined


def _synthetic(dems: tuple[Path, ...]) -> bool:
    """Return True when a DEM says it is synthetic (the bundled sample's tag)."""
    import rasterio

    for path in dems:
        try:
            with rasterio.open(path) as ds:
                if ds.tags().get("COVGAP_SYNTHETIC", "").lower() in ("yes", "true", "1"):
                    return True
        except rasterio.errors.RasterioIOError:
            continue
    return False


def _communes(admin: Path, reader) -> object:
    import pyogrio

    if "communes" not in {name for name, _ in pyogrio.list_layers(admin)}:
        return None
    return reader(admin, "communes")


def _echo(rasters, pieces, n_files: int, out_dir: Path) -> None:
    stats = rasters.stats
    note = " (synthetic)" if rasters.info.get("synthetic") else ""
    click.echo(
        f"{stats['sites']} sites{note}: {stats['computed']} computed, {stats['cached']} from "
        f"the cache, {stats['seconds']:.1f} s; grid {rasters.grid.shape[1]} x "
        f"{rasters.grid.shape[0]} cells"
    )
    for cls in ("white", "low_signal"):
        part = pieces[pieces["zone_class"] == cls]
        click.echo(
            f"  {cls.replace('_', '-')} zones: {part['zone_id'].nunique()}, "
            f"{part['area_km2'].sum():.1f} km², {int(part['villages'].sum())} villages"
        )
    click.echo(f"  {n_files} files in {out_dir}")
