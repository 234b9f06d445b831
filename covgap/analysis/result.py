"""One analysis: predict the signal at every village, classify, summarise (:class:`Result`).

:class:`Result` is data: the classified villages and everything they were computed from.
The outputs that present it are functions of :mod:`covgap.outputs`
(:func:`~covgap.outputs.maps.result_map`, :func:`~covgap.outputs.run_files.write_outputs`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import __version__
from ..config import Scenario
from ..io.terrain import Terrain
from ..radio.models import MODEL_DESCRIPTIONS
from .inputs import Inputs

__all__ = ["Result", "analyse"]

logger = logging.getLogger(__name__)


@dataclass
class Result:
    """Everything one analysis produced.

    Attributes
    ----------
    scenario
        The scenario analysed.
    villages
        Classified villages (see :func:`covgap.analysis.classify.classify_villages`).
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
        Best-server rasters (:class:`covgap.radio.rasters.AreaRasters`) when the area was
        predicted (``area=True``), else ``None``.
    clutter
        The land cover on the DEM grid (:class:`covgap.io.landcover.ClutterGrid`) the
        prediction used, or ``None``.
    zones, zone_summary
        White and low-signal zone polygons, and their villages and people per district and
        commune (:func:`covgap.analysis.zones.area_zones`), with the rasters.
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
    clutter: Any = None

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


def _cell_size_m(terrain: Terrain) -> float:
    from ..io.terrain import cell_size_m

    return float(min(cell_size_m(terrain)))


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
        low-signal zones; :func:`covgap.radio.parallel.predict_area`) with the same model.

    Returns
    -------
    Result
    """
    from ..radio.point import best_servers, nearest_sites
    from .calibration import apply_calibration, calibrated_radio
    from .classify import add_district, classify_villages, summarise, village_points

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
        clutter=inputs.clutter,
    )
    # measured corrections (covgap calibrate): offsets on the signal, their spread as sigma
    land_cover = None
    if inputs.clutter is not None and scenario.calibration.land_cover_db:
        from .calibration import land_cover_at

        at = land_cover_at(points, inputs.terrain, inputs.clutter)
        land_cover = pd.Series(at, index=points["point_id"].to_numpy())
    servers = apply_calibration(servers, scenario.calibration, land_cover=land_cover)
    radio = calibrated_radio(scenario.radio, scenario.calibration)
    nearest = nearest_sites(points, inputs.sites, by=None)
    timings["predict_s"] = time.perf_counter() - start
    start = time.perf_counter()
    classified = classify_villages(
        villages, points, servers, nearest, thresholds=scenario.thresholds, radio=radio
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
        clutter=inputs.clutter,
    )
    if area:
        _add_area(result, inputs, progress=progress)
    return result


def _add_area(result: Result, inputs: Inputs, *, progress: bool) -> None:
    """Predict the rasters and zones of ``result``'s scenario and attach them to it."""
    from ..radio.parallel import predict_area
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
        clutter=inputs.clutter,
    )
    # the measured corrections, as on the villages (offsets, land-cover classes)
    from .calibration import calibrate_rasters, calibrated_radio

    result.rasters = calibrate_rasters(
        result.rasters, scenario.calibration, thresholds=scenario.thresholds,
        radio=calibrated_radio(scenario.radio, scenario.calibration), clutter=inputs.clutter,
    )  # fmt: skip
    result.zones, result.zone_summary = area_zones(
        result.rasters, result.villages, districts=inputs.districts, communes=inputs.communes
    )
    result.timings["area_s"] = time.perf_counter() - start
