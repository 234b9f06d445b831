"""The whole analysis as one call, shared by ``covgap run`` and notebooks.

>>> from covgap import pipeline
>>> result = pipeline.run()                      # the bundled synthetic sample
>>> result.villages["coverage_class"].value_counts()
>>> result.write("maps/")                        # map, tables, scenario record

Each step is also a public function (:func:`load_inputs`, :func:`analyse`,
:func:`covgap.gaps.classify_villages`, ...) so a notebook can run them one by one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from . import __version__
from .config import Scenario
from .errors import InputError, Problem, ValidationError
from .models import MODEL_DESCRIPTIONS
from .terrain import Terrain

if TYPE_CHECKING:
    import folium

__all__ = ["Inputs", "Result", "analyse", "load_inputs", "run"]

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


@dataclass
class Result:
    """Everything one analysis produced.

    Attributes
    ----------
    scenario
        The scenario analysed.
    villages
        Classified villages (see :func:`covgap.gaps.classify_villages`).
    points
        Village reference points (centres and clusters) with ``point_id``.
    servers
        Best server per point, carrier and technology.
    sites, terrain, districts, communes
        The inputs.
    summary
        Villages, households and people by class per district.
    timings
        Seconds spent in each step.
    rasters
        Best-server rasters (:class:`covgap.rasters.AreaRasters`) when the area was
        predicted (``area=True``), else ``None``.
    zones, zone_summary
        White and low-signal zone polygons, and their villages and people per district and
        commune (:func:`covgap.zones.area_zones`), with the rasters.
    """

    scenario: Scenario
    villages: gpd.GeoDataFrame
    points: pd.DataFrame
    servers: pd.DataFrame
    sites: gpd.GeoDataFrame
    terrain: Terrain
    summary: pd.DataFrame
    districts: gpd.GeoDataFrame | None = None
    communes: gpd.GeoDataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    rasters: Any = None
    zones: gpd.GeoDataFrame | None = None
    zone_summary: pd.DataFrame | None = None

    def info(self) -> dict[str, Any]:
        """Scenario facts to stamp on maps and reports so a result can be defended later."""
        t, r = self.scenario.thresholds, self.scenario.radio
        return {
            "scenario": self.scenario.name,
            "synthetic": self.scenario.synthetic,
            "model": MODEL_DESCRIPTIONS[r.model][0],
            "model_vi": MODEL_DESCRIPTIONS[r.model][1],
            "thresholds": f"covered ≥ {t.covered_dbm:g} dBm, low signal ≥ {t.low_signal_dbm:g} dBm"
            " (4G RSRP)",
            "location_probability": r.location_probability,
            "rx_height_m": r.rx_height_m,
            "max_range_km": r.max_range_km,
            "dem": self.terrain.source,
            "dem_resolution_m": round(_cell_size_m(self.terrain), 1),
            "date": date.today().isoformat(),
            "covgap_version": __version__,
        }

    def request_ids(self) -> list[str]:
        """Village ids of the request list: white or low-signal villages with grid power."""
        from .planning import rank_villages

        return rank_villages(self.villages)["village_id"].tolist()

    def map(self, *, lang: str = "vi", highlight: Any = "request") -> folium.Map:
        """Interactive folium map: villages, sites, boundaries, hillshade, tools.

        Parameters
        ----------
        lang
            ``"vi"`` or ``"en"``.
        highlight
            Village ids to ring on the map; ``"request"`` (default) rings the request
            list (:meth:`request_ids`), ``None`` none.
        """
        from .maps import coverage_map

        if isinstance(highlight, str) and highlight == "request":
            highlight = self.request_ids()
        # the map states the thresholds itself, in the map's language
        info = {k: v for k, v in self.info().items() if k not in ("thresholds", "scenario")}
        return coverage_map(
            self.villages,
            self.sites,
            districts=self.districts,
            communes=self.communes,
            thresholds=self.scenario.thresholds,
            lang=lang,
            title=self.scenario.name,
            info=info,
            terrain=self.terrain,
            highlight=highlight,
            rasters=self.rasters,
            zones=self.zones,
        )

    def static_map(self, *, lang: str = "vi", highlight: Any = None, **options: Any) -> Any:
        """Printable map (matplotlib Figure) with hillshade, classes, legend, scale bar.

        See :func:`covgap.static_maps.static_map` for the options.
        """
        from .static_maps import static_map_from_result

        return static_map_from_result(self, highlight=highlight, lang=lang, **options)

    def write(self, out_dir: str | Path, *, lang: str = "vi") -> dict[str, Path]:
        """Write the map and tables to ``out_dir`` (see :func:`covgap.reports.write_outputs`)."""
        from .reports import write_outputs

        return write_outputs(self, out_dir, lang=lang)


def _cell_size_m(terrain: Terrain) -> float:
    from .terrain import cell_size_m

    return float(min(cell_size_m(terrain)))


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
    from .io import read_admin, read_dem, read_sites, read_villages
    from .validate import check_within_terrain

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


def analyse(
    inputs: Inputs, scenario: Scenario, *, progress: bool = False, area: bool = False
) -> Result:
    """Predict the signal at every village point and classify the villages.

    Parameters
    ----------
    inputs
        Validated inputs (:func:`load_inputs`).
    scenario
        Thresholds and radio settings (its file paths are not used here).
    progress
        Show a progress bar for the prediction.
    area
        Also predict every cell around every site (best-server rasters, white and
        low-signal zones; :func:`covgap.parallel.predict_area`) with the same model.

    Returns
    -------
    Result
    """
    from .gaps import add_district, classify_villages, summarise, village_points
    from .predict import best_servers, nearest_sites

    timings: dict[str, float] = {}
    start = time.perf_counter()
    villages = add_district(inputs.villages, inputs.districts, inputs.communes)
    points = village_points(villages)
    servers = best_servers(
        points,
        inputs.sites,
        inputs.terrain,
        radio=scenario.radio,
        model=scenario.radio.model,
        progress=progress,
    )
    nearest = nearest_sites(points, inputs.sites, by=None)
    timings["predict_s"] = time.perf_counter() - start
    start = time.perf_counter()
    classified = classify_villages(
        villages, points, servers, nearest, thresholds=scenario.thresholds, radio=scenario.radio
    )
    summary = summarise(classified, by="district")
    timings["classify_s"] = time.perf_counter() - start
    result = Result(
        scenario,
        classified,
        points,
        servers,
        inputs.sites,
        inputs.terrain,
        summary,
        inputs.districts,
        inputs.communes,
        timings,
    )
    if area:
        _add_area(result, inputs, progress=progress)
    return result


def _add_area(result: Result, inputs: Inputs, *, progress: bool) -> None:
    """Predict the rasters and zones of ``result``'s scenario and attach them to it."""
    from .parallel import predict_area
    from .zones import area_zones

    start = time.perf_counter()
    scenario = result.scenario
    result.rasters = predict_area(
        inputs.terrain,
        inputs.sites,
        radius_km=scenario.radio.max_range_km,
        model=scenario.radio.model,
        radio=scenario.radio,
        thresholds=scenario.thresholds,
        info={"scenario": scenario.name, "synthetic": scenario.synthetic},
        progress=progress,
    )
    result.zones, result.zone_summary = area_zones(
        result.rasters, result.villages, districts=inputs.districts, communes=inputs.communes
    )
    result.timings["area_s"] = time.perf_counter() - start


def run(scenario: Scenario | None = None, *, progress: bool = False, area: bool = False) -> Result:
    """Run the whole analysis: read and validate, predict, classify, summarise.

    Parameters
    ----------
    scenario
        What to analyse; ``None`` runs the bundled synthetic sample
        (:func:`covgap.sample.sample_scenario`).
    progress
        Show progress bars.
    area
        Also predict the best-server rasters and the white and low-signal zones.

    Returns
    -------
    Result
        Call :meth:`Result.write` to save the map and tables.
    """
    if scenario is None:
        from .sample import sample_scenario

        scenario = sample_scenario()
    start = time.perf_counter()
    inputs = load_inputs(scenario)
    read_s = time.perf_counter() - start
    result = analyse(inputs, scenario, progress=progress, area=area)
    result.timings = {"read_s": read_s, **result.timings}
    logger.info("analysis done in %.1f s", sum(result.timings.values()))
    return result
