"""Write an analysis' outputs: the map, the village table, the summary, the scenario record.

Everything is first written into a temporary folder next to the destination and only
moved into place when every file is complete, so a failure never leaves a half-written
or a mixed set of outputs behind. The folder's ``covgap_manifest.json`` lists the files
of the run (:mod:`covgap.io.manifest`); the files of an earlier run in the same folder
that this one does not write are removed, and :func:`map_from_results` reads only the
files the manifest lists, refusing a folder whose files do not match it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..analysis.calibrate import field_check_of
from ..errors import DataFileError
from ..io.manifest import MANIFEST_NAME, run_folder, verify_manifest
from ..io.safe_csv import write_csv

if TYPE_CHECKING:
    import folium

    from ..analysis.result import Result

__all__ = ["OUTPUT_FILES", "map_from_results", "village_table", "write_outputs"]

logger = logging.getLogger(__name__)

_GPKG_LAYERS = ("villages", "sites", "districts", "communes")
# facts of the scenario record's header the map's title block shows
_RECORD_FACTS = ("model", "model_vi", "location_probability", "rx_height_m", "max_range_km", "dem",
                 "dem_resolution_m", "date", "covgap_version")  # fmt: skip
#: The field-check list, written when the scenario is calibrated.
FIELD_CHECK_FILE = "field_check.csv"
#: Files :func:`write_outputs` writes, by role.
OUTPUT_FILES: dict[str, str] = {
    "map": "coverage_map.html",
    "static_map": "coverage_map.png",
    "villages_csv": "villages.csv",
    "villages_gpkg": "villages.gpkg",
    "summary_csv": "summary_by_district.csv",
    "scenario": "scenario.toml",
}


def village_table(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the classified villages as a flat table, ``lon``/``lat`` for the geometry."""
    table = pd.DataFrame(villages.drop(columns="geometry"))
    table.insert(2, "lon", villages.geometry.x.round(6).to_numpy())
    table.insert(3, "lat", villages.geometry.y.round(6).to_numpy())
    return table


def write_outputs(
    result: Result, out_dir: str | Path, *, lang: str = "vi", command: str = "write_outputs"
) -> dict[str, Path]:
    """Write the map, the village table (CSV, GeoPackage), the summary and the scenario.

    Parameters
    ----------
    result
        A finished analysis (:func:`covgap.pipeline.run`).
    out_dir
        Folder to write into (created if needed).
    lang
        Language of the map's labels, ``"vi"`` or ``"en"``.
    command
        What writes the files, for the folder's manifest (``covgap run`` says so).

    Returns
    -------
    dict
        Role -> path of each file written (keys of :data:`OUTPUT_FILES`), and
        ``"manifest"``.
    """
    from .maps import result_map, save_map
    from .static_maps import save_static_map, static_map_from_result

    out = Path(out_dir)
    facts = {"scenario": result.scenario.name, "lang": lang}
    with run_folder(out, command=command, extra=facts) as tmp:
        # Leaflet inlined: the map draws its layers even without internet (only the
        # web basemap tiles need a connection).
        save_map(result_map(result, lang=lang), tmp / OUTPUT_FILES["map"], inline_assets=True)
        save_static_map(static_map_from_result(result, lang=lang), tmp / OUTPUT_FILES["static_map"])
        # formula-safe, UTF-8 with a BOM so that Excel shows Vietnamese names correctly
        write_csv(village_table(result.villages), tmp / OUTPUT_FILES["villages_csv"])
        gpkg = tmp / OUTPUT_FILES["villages_gpkg"]
        result.villages.to_file(gpkg, layer="villages", driver="GPKG")
        result.sites.to_file(gpkg, layer="sites", driver="GPKG")
        for layer in ("districts", "communes"):
            if getattr(result, layer) is not None:
                getattr(result, layer).to_file(gpkg, layer=layer, driver="GPKG")
        write_csv(result.summary, tmp / OUTPUT_FILES["summary_csv"])
        (tmp / OUTPUT_FILES["scenario"]).write_text(_scenario_record(result), encoding="utf-8")
        check = field_check_of(result)
        if check is not None:
            write_csv(check, tmp / FIELD_CHECK_FILE)
        if result.rasters is not None:
            from ..analysis.zones import write_zones
            from ..radio.rasters import write_rasters

            # COGs at the top level: atomic_folder moves files, not folders
            write_rasters(result.rasters, tmp)
            write_zones(result.zones, tmp / "zones.gpkg", summary=result.zone_summary)
            write_csv(result.zone_summary, tmp / "zones_by_commune.csv")
    paths = {role: out / name for role, name in OUTPUT_FILES.items()}
    if result.rasters is not None:
        paths["zones"] = out / "zones.gpkg"
        paths["zones_csv"] = out / "zones_by_commune.csv"
    if check is not None:
        paths["field_check"] = out / FIELD_CHECK_FILE
    paths["manifest"] = out / MANIFEST_NAME
    logger.info("wrote %d files to %s", len(paths), out)
    return paths


def _scenario_record(result: Result) -> str:
    """Render the scenario as TOML with absolute input paths, headed by the run's facts."""
    s = result.scenario
    absolute = s.with_inputs(
        villages=s.villages and Path(s.villages).resolve(),
        sites=tuple(Path(p).resolve() for p in s.site_files) or None,
        admin=s.admin and Path(s.admin).resolve(),
        dem=tuple(Path(p).resolve() for p in s.dem) or None,
    )
    head = [f"# {key}: {value}" for key, value in result.info().items()]
    return "\n".join(head) + "\n" + absolute.to_toml()


def map_from_results(
    results: str | os.PathLike[str],
    *,
    lang: str = "vi",
    highlight: Iterable[Any] | None = None,
    relief: bool = True,
    area: bool = True,
) -> folium.Map:
    """Rebuild the coverage map from the outputs of ``covgap run``.

    Reads ``villages.gpkg`` (layers ``villages``, ``sites`` and, when present,
    ``districts`` and ``communes``) and ``scenario.toml`` (thresholds, title, whether the
    data are synthetic, the run's facts in its header comments, and the DEM for the
    hillshade) from the folder, and, when present, the best-server rasters
    (``signal_<layer>.tif`` of :func:`covgap.radio.rasters.write_rasters`) and ``zones.gpkg``
    (:func:`covgap.analysis.zones.write_zones`), in the folder or one of its subfolders.

    Parameters
    ----------
    results
        Folder written by ``covgap run`` (or :func:`covgap.outputs.run_files.write_outputs`).
    lang
        ``"vi"`` or ``"en"``.
    highlight
        ``village_id`` values to ring (see :func:`~covgap.outputs.maps.coverage_map`).
    relief
        Draw the hillshade when the scenario's DEM files exist (a warning names the
        missing files otherwise).
    area
        Draw the signal overlays and the zones when the folder holds them.

    Returns
    -------
    folium.Map

    Raises
    ------
    DataFileError
        A results file is missing or unreadable.
    """
    import geopandas as gpd
    import pyogrio

    from ..config import load_scenario
    from ..io.readers import read_dem
    from .map_layers import find_area_results, read_signal_rasters, read_zones
    from .maps import coverage_map

    folder = Path(results)
    gpkg, record = folder / OUTPUT_FILES["villages_gpkg"], folder / OUTPUT_FILES["scenario"]
    manifest = verify_manifest(folder)
    listed = None if manifest is None else set(manifest["files"])
    for path in (gpkg, record):
        if not path.is_file() or (listed is not None and path.name not in listed):
            raise DataFileError(f"{path}: not found; is {folder} a folder written by covgap run?")
    if manifest is None:
        logger.warning(
            "%s has no %s (written by an older covgap?): its files cannot be checked",
            folder,
            MANIFEST_NAME,
        )
    scenario = load_scenario(record)
    try:
        names = {name for name, _ in pyogrio.list_layers(gpkg)}
        frames = {k: gpd.read_file(gpkg, layer=k) if k in names else None for k in _GPKG_LAYERS}
    except (OSError, pyogrio.errors.DataSourceError) as exc:
        raise DataFileError(f"{gpkg}: cannot read the results: {exc}") from exc
    missing = [k for k in ("villages", "sites") if frames[k] is None]
    if missing:
        raise DataFileError(f"{gpkg}: no layer(s) {', '.join(missing)}")
    terrain = None
    dems = [Path(p) for p in scenario.dem]
    if relief and dems and all(p.is_file() for p in dems):
        terrain = read_dem(dems)
    elif relief and dems:
        logger.warning("no hillshade: DEM file(s) not found: %s", [str(p) for p in dems])
    info = _record_facts(record)
    info["synthetic"] = scenario.synthetic
    rasters = zones = None
    if area:
        raster_dir, zones_path = _area_results(folder, listed, find_area_results)
        rasters = read_signal_rasters(raster_dir) if raster_dir is not None else None
        zones = read_zones(zones_path) if zones_path is not None else None
    return coverage_map(
        frames["villages"], frames["sites"], districts=frames["districts"],
        communes=frames["communes"], thresholds=scenario.thresholds, lang=lang,
        title=scenario.name, info=info, terrain=terrain, highlight=highlight,
        rasters=rasters, zones=zones,
    )  # fmt: skip


def _area_results(
    folder: Path, listed: set[str] | None, find: Any
) -> tuple[Path | None, Path | None]:
    """Folder of the signal rasters and the zones file of a run, from its manifest.

    In a folder with a manifest only listed files count, and a ``signal_*.tif`` or
    ``zones.gpkg`` that is not listed (left by another run or copied in) is refused. A
    subfolder (``covgap predict --out RESULTS/area``) is checked against its own manifest.
    Folders without a manifest are searched as before (:func:`find_area_results`).
    """
    dirs = [folder, *sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] != ".")]
    names = {folder: listed}
    for sub in dirs[1:]:
        doc = verify_manifest(sub) if _has_area_files(sub) else None
        names[sub] = None if doc is None else set(doc["files"])
    for d in dirs:
        if names[d] is None:
            continue
        foreign = [p.name for p in _area_files(d) if p.name not in names[d]]
        if foreign:
            raise DataFileError(
                f"{d}: {', '.join(foreign)} not from the run of its {MANIFEST_NAME} (an "
                "earlier run, or copied in): move it away, or write area results with "
                "`covgap run --area` or `covgap predict --out` into their own folder"
            )
    if all(v is None for v in names.values()):
        return find(folder)
    rasters = next((d for d in dirs if any(d.glob("signal_*.tif"))), None)
    zone_dirs = ([rasters] if rasters is not None else []) + [d for d in dirs if d != rasters]
    zones = next((d / "zones.gpkg" for d in zone_dirs if (d / "zones.gpkg").is_file()), None)
    return rasters, zones


def _area_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("signal_*.tif"), *folder.glob("zones.gpkg")])


def _has_area_files(folder: Path) -> bool:
    return bool(_area_files(folder))


def _record_facts(path: Path) -> dict[str, Any]:
    """Return the ``# key: value`` header facts of a scenario record that the title shows."""
    facts: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, sep, value = line[2:].partition(": ")
        if sep and key in _RECORD_FACTS:
            facts[key] = value
    return facts
