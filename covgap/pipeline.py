"""The whole analysis as one call, shared by ``covgap run`` and notebooks.

>>> from covgap import pipeline
>>> from covgap.outputs import result_map, write_outputs
>>> result = pipeline.run()                      # the bundled synthetic sample
>>> result.villages["coverage_class"].value_counts()
>>> write_outputs(result, "maps/")               # map, tables, scenario record
>>> plan = pipeline.run_plan(k=10)               # read, analyse and plan new sites

Each step is also a public function (:func:`load_inputs`, :func:`analyse`,
:func:`covgap.analysis.classify.classify_villages`, ...) so a notebook can run them one by
one. This module sits at the top of the package: it may import every stage, and no stage
imports it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from .analysis.inputs import Inputs, load_inputs
from .analysis.result import Result, analyse
from .config import Scenario
from .errors import InputError

if TYPE_CHECKING:
    from .plan import Plan

__all__ = ["Inputs", "Result", "analyse", "load_inputs", "run", "run_plan"]

logger = logging.getLogger(__name__)


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
        Save the map and tables with :func:`covgap.outputs.write_outputs`.
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


def run_plan(
    scenario: Any = None,
    *,
    progress: bool = False,
    **options: Any,
) -> Plan:
    """Read a scenario, analyse it and plan it (:func:`~covgap.plan.plan_network`'s options).

    Parameters
    ----------
    scenario
        A :class:`~covgap.config.Scenario` with ``roads`` (and optionally
        ``fibre_nodes`` and ``candidates``); ``None``: the bundled sample.
    progress
        Show progress bars.
    **options
        Passed to :func:`~covgap.plan.plan_network` (``k`` or ``budget_usd``, ``carrier``...).

    Returns
    -------
    covgap.plan.Plan
    """
    from .plan import plan_network, read_candidates, read_fibre_nodes, read_roads

    if scenario is None:
        from .sample import sample_scenario

        scenario = sample_scenario()
    if scenario.roads is None:
        raise InputError(
            "planning needs a road layer for the fibre routes: give --roads "
            "(GeoPackage, GeoJSON or Shapefile lines) or `roads` under [inputs]"
        )
    roads = read_roads(scenario.roads)
    result = run(scenario, progress=progress)
    pops = read_fibre_nodes(scenario.fibre_nodes) if scenario.fibre_nodes else None
    user = None
    if scenario.candidates is not None:
        user = read_candidates(
            scenario.candidates, terrain=result.terrain, costs=scenario.costs, crs=scenario.crs
        )
    options.setdefault("costs", scenario.costs)
    return plan_network(
        result, roads=roads, candidates=user, fibre_nodes=pops, progress=progress, **options
    )
