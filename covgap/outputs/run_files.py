"""Write an analysis' outputs: the map, the village table, the summary, the scenario record.

Everything is first written into a temporary folder next to the destination and only
moved into place when every file is complete, so a failure never leaves a half-written
or a mixed set of outputs behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from .pipeline import Result

__all__ = ["OUTPUT_FILES", "atomic_folder", "village_table", "write_outputs"]

logger = logging.getLogger(__name__)

#: Files :func:`write_outputs` writes, by role.
OUTPUT_FILES: dict[str, str] = {
    "map": "coverage_map.html",
    "static_map": "coverage_map.png",
    "villages_csv": "villages.csv",
    "villages_gpkg": "villages.gpkg",
    "summary_csv": "summary_by_district.csv",
    "scenario": "scenario.toml",
}


@contextmanager
def atomic_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder whose files are moved into ``out_dir`` on success.

    Parameters
    ----------
    out_dir
        Destination folder, created if needed. Files already there that the block does
        not write are left alone; those it writes are replaced only if the whole block
        succeeds.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into (same file system as ``out_dir``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".covgap-tmp-", dir=out))
    try:
        yield tmp
        for item in sorted(tmp.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def village_table(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the classified villages as a flat table, ``lon``/``lat`` for the geometry."""
    table = pd.DataFrame(villages.drop(columns="geometry"))
    table.insert(2, "lon", villages.geometry.x.round(6).to_numpy())
    table.insert(3, "lat", villages.geometry.y.round(6).to_numpy())
    return table


def write_outputs(result: Result, out_dir: str | Path, *, lang: str = "vi") -> dict[str, Path]:
    """Write the map, the village table (CSV, GeoPackage), the summary and the scenario.

    Parameters
    ----------
    result
        A finished analysis (:func:`covgap.pipeline.run`).
    out_dir
        Folder to write into (created if needed).
    lang
        Language of the map's labels, ``"vi"`` or ``"en"``.

    Returns
    -------
    dict
        Role -> path of each file written (keys of :data:`OUTPUT_FILES`).
    """
    from .maps import save_map
    from .static_maps import save_static_map

    out = Path(out_dir)
    with atomic_folder(out) as tmp:
        # Leaflet inlined: the map draws its layers even without internet (only the
        # web basemap tiles need a connection).
        save_map(result.map(lang=lang), tmp / OUTPUT_FILES["map"], inline_assets=True)
        save_static_map(result.static_map(lang=lang), tmp / OUTPUT_FILES["static_map"])
        # UTF-8 with a BOM so that Excel shows Vietnamese names correctly.
        village_table(result.villages).to_csv(
            tmp / OUTPUT_FILES["villages_csv"], index=False, encoding="utf-8-sig"
        )
        gpkg = tmp / OUTPUT_FILES["villages_gpkg"]
        result.villages.to_file(gpkg, layer="villages", driver="GPKG")
        result.sites.to_file(gpkg, layer="sites", driver="GPKG")
        for layer in ("districts", "communes"):
            if getattr(result, layer) is not None:
                getattr(result, layer).to_file(gpkg, layer=layer, driver="GPKG")
        result.summary.to_csv(tmp / OUTPUT_FILES["summary_csv"], index=False, encoding="utf-8-sig")
        (tmp / OUTPUT_FILES["scenario"]).write_text(_scenario_record(result), encoding="utf-8")
        if result.rasters is not None:
            from .rasters import write_rasters
            from .zones import write_zones

            # COGs at the top level: atomic_folder moves files, not folders
            write_rasters(result.rasters, tmp)
            write_zones(result.zones, tmp / "zones.gpkg", summary=result.zone_summary)
            result.zone_summary.to_csv(
                tmp / "zones_by_commune.csv", index=False, encoding="utf-8-sig"
            )
    paths = {role: out / name for role, name in OUTPUT_FILES.items()}
    if result.rasters is not None:
        paths["zones"] = out / "zones.gpkg"
        paths["zones_csv"] = out / "zones_by_commune.csv"
    logger.info("wrote %d files to %s", len(paths), out)
    return paths


def _scenario_record(result: Result) -> str:
    """Render the scenario as TOML with absolute input paths, headed by the run's facts."""
    s = result.scenario
    absolute = s.with_inputs(
        villages=s.villages and Path(s.villages).resolve(),
        sites=s.sites and Path(s.sites).resolve(),
        admin=s.admin and Path(s.admin).resolve(),
        dem=tuple(Path(p).resolve() for p in s.dem) or None,
    )
    head = [f"# {key}: {value}" for key, value in result.info().items()]
    return "\n".join(head) + "\n" + absolute.to_toml()
