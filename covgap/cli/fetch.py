"""``covgap fetch``: download open data for an area and write a ready scenario."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import EXISTING, PATH, handle_errors, progress_default, progress_option

#: The layers of :data:`covgap.io.fetch.LAYERS` (literal: `covgap --help` imports no geopandas).
LAYER_NAMES = ("dem", "landcover", "roads", "power", "places", "cells", "admin")


def _what(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    layers = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = sorted(set(layers) - set(LAYER_NAMES))
    if unknown or not layers:
        raise click.BadParameter(f"{unknown or value!r}: use some of {','.join(LAYER_NAMES)}")
    return layers


@click.command("fetch")
@click.option("--area", "area_name", help='A province covgap knows by name, e.g. "Lai Châu".')
@click.option("--bbox", nargs=4, type=float, metavar="W S E N", help="Bounding box (degrees).")
@click.option("--boundary", type=EXISTING, help="Polygon file of the area (any CRS).")
@click.option("--out", "out_dir", type=PATH, required=True, help="Folder for the scenario.")
@click.option(
    "--what",
    default=",".join(LAYER_NAMES),
    show_default=True,
    callback=_what,
    help="Layers to fetch, comma-separated.",
)
@click.option(
    "--cache",
    "cache_dir",
    type=PATH,
    help="Download cache (default $COVGAP_CACHE or ~/.cache/covgap); files put in its "
    "manual/ folder under the names `covgap fetch` prints are used without a download.",
)
@click.option(
    "--dem-source",
    type=click.Choice(["copernicus", "srtm"]),
    default="copernicus",
    show_default=True,
    help="Copernicus GLO-30 or SRTM 1 arc-second.",
)
@click.option("--dem", "dem_files", type=EXISTING, multiple=True, help="Use this DEM instead.")
@click.option("--cells", "cells_file", type=EXISTING, help="A local OpenCelliD/MLS CSV export.")
@click.option(
    "--osm",
    "osm_file",
    type=EXISTING,
    help="A local OpenStreetMap extract (.osm.pbf) instead of the Overpass API.",
)
@click.option(
    "--margin-km",
    type=click.FloatRange(0, 200),
    help="Border around the area for heights, land cover, power and cells "
    "[default: the prediction radius, radio.max_range_km = 35].",
)
@click.option("--offline", is_flag=True, help="Use only the cache and its manual/ folder.")
@click.option(
    "--throttle",
    type=click.FloatRange(0, 60),
    default=1.0,
    show_default=True,
    help="Least seconds between two requests to one server.",
)
@progress_option
@handle_errors
def fetch_command(
    area_name: str | None,
    bbox: tuple[float, float, float, float] | None,
    boundary: Path | None,
    out_dir: Path,
    what: tuple[str, ...],
    cache_dir: Path | None,
    dem_source: str,
    dem_files: tuple[Path, ...],
    cells_file: Path | None,
    osm_file: Path | None,
    margin_km: float | None,
    offline: bool,
    throttle: float,
    progress: bool | None,
) -> None:
    """Download heights, land cover, OSM roads/power/places, cells, admin units; write a scenario.

    Sources: Copernicus GLO-30 (or SRTM), ESA WorldCover, OpenStreetMap (Overpass API),
    OpenCelliD (token in OPENCELLID_API_KEY) and geoBoundaries. Every download is cached
    and resumable; sources and licences go into scenario.toml, SOURCES.md and every file.
    The villages are a DRAFT from OSM places: check them against the province's list. Then run
    `covgap run --config OUT/scenario.toml`.
    """
    from ..io.fetch import Fetcher, default_cache, fetch_scenario, resolve_area

    area = resolve_area(name=area_name, bbox=bbox or None, boundary=boundary)
    fetcher = Fetcher(
        cache=cache_dir or default_cache(),
        progress=progress_default() if progress is None else progress,
        min_interval_s=throttle,
        offline=offline,
    )
    result = fetch_scenario(
        out_dir,
        area,
        what=what,
        fetcher=fetcher,
        dem_source=dem_source,
        margin_km=margin_km,
        dem_files=dem_files,
        cells_file=cells_file,
        osm_file=osm_file,
    )
    hows = [d.how for d in result.downloads]
    click.echo(
        f"{area.name}: {len(hows)} file(s), {result.from_network} over the network, "
        f"{hows.count('cache')} from the cache, {hows.count('manual')} placed by hand"
    )
    for key, path in result.files.items():
        click.echo(f"  {key:10s} {path}")
    for key, value in result.counts.items():
        click.echo(f"  {key:18s} {value}")
    click.echo(f"scenario: {result.scenario_file}  (covgap run --config {result.scenario_file})")
