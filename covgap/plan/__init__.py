"""The site plan: new sites that newly cover the most people, and their backhaul.

- :mod:`~covgap.plan.candidates`: high points, the user's own sites, upgrades of old ones;
- :mod:`~covgap.plan.site_plan`: the coverage matrix and the :class:`Plan`;
- :mod:`~covgap.plan.mclp`: the maximal covering location problem, exact and greedy;
- :mod:`~covgap.plan.backhaul`: fibre along roads (:mod:`~covgap.plan.roads`), microwave
  hops, satellite;
- :mod:`~covgap.plan.outputs` and :mod:`~covgap.plan.map`: the plan's files and map.

Import rule: this stage is the highest below the pipeline: it may import every other
stage (:mod:`covgap.request` for its table writers) and only the pipeline and the CLI
import it.
"""

from .backhaul import plan_backhaul, read_fibre_nodes
from .candidates import generate_candidates, read_candidates
from .map import plan_map
from .mclp import Solution, greedy_mclp, solve_mclp
from .outputs import PLAN_FILES, write_plan
from .roads import read_roads
from .site_plan import Plan, coverage_matrix, plan_network

__all__ = [
    "PLAN_FILES",
    "Plan",
    "Solution",
    "coverage_matrix",
    "generate_candidates",
    "greedy_mclp",
    "plan_backhaul",
    "plan_map",
    "plan_network",
    "read_candidates",
    "read_fibre_nodes",
    "read_roads",
    "solve_mclp",
    "write_plan",
]
