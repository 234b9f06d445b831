"""The inputs of one analysis: read every file of a scenario and validate them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from ..config import Scenario
from ..errors import InputError, Problem, ValidationError
from ..io.terrain import Terrain

__all__ = ["Inputs", "load_inputs"]

logger = logging.getLogger(__name__)


@dataclass
class Inputs:
    """Validated inputs of one analysis, all in WGS 84 except the terrain's own CRS."""

    villages: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    terrain: Terrain
    districts: gpd.GeoDataFrame | None = None
    communes: gpd.GeoDataFrame | None = None
    warnings: list[Problem] = field(default_factory=list)


def load_inputs(scenario: Scenario) -> Inputs:
    """Read and validate every input of a scenario, reporting all problems at once.

    Parameters
    ----------
    scenario
        Which files to read (and the CRS of x/y columns).

    Returns
    -------
    Inputs

    Raises
    ------
    ValidationError
        Any file has errors; the error lists every problem of every file.
    DataFileError
        A file is missing or unreadable.
    """
    from ..io.readers import read_admin, read_dem, read_sites, read_villages
    from ..io.validate import check_within_terrain

    missing = [k for k in ("villages", "sites") if getattr(scenario, k) is None]
    if missing or not scenario.dem:
        raise InputError(
            "the scenario needs villages, sites and a DEM; missing: "
            + ", ".join(missing + ([] if scenario.dem else ["dem"]))
            + " (give them with --villages/--sites/--dem, or under [inputs] in the "
            "scenario file; with no input at all `covgap run` uses the bundled sample)"
        )
    problems: list[Problem] = []
    tables: dict[str, gpd.GeoDataFrame] = {}
    for kind, reader in (("villages", read_villages), ("sites", read_sites)):
        try:
            tables[kind] = reader(getattr(scenario, kind), crs=scenario.crs)
        except ValidationError as exc:
            problems += exc.problems
    terrain = read_dem(list(scenario.dem))
    for kind, table in tables.items():
        problems += check_within_terrain(table, terrain, file=str(getattr(scenario, kind)))
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    for p in problems:
        logger.warning("%s", p)
    districts = communes = None
    if scenario.admin is not None:
        districts = read_admin(scenario.admin, "districts")
        communes = _optional_layer(read_admin, scenario.admin, "communes")
    return Inputs(tables["villages"], tables["sites"], terrain, districts, communes, problems)


def _optional_layer(reader: Any, path: Path, layer: str) -> gpd.GeoDataFrame | None:
    import pyogrio

    if layer not in {name for name, _ in pyogrio.list_layers(path)}:
        return None
    return reader(path, layer)
