"""The business case of a plan's proposed sites, and the three lists they fall into.

:func:`plan_business_cases` prices every proposed site of a :class:`~covgap.plan.Plan`
with :func:`covgap.analysis.economics.business_cases`: the people it newly covers, its site
or upgrade cost, the backhaul the plan designed for it, and its power (grid when a village
with grid power is near, else off-grid near a road, else power first). A plan for sites
shared by every carrier earns every carrier's share; a plan for one carrier, its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.economics import business_cases, flips, list_summary, monte_carlo, sensitivity
from ..config import Economics

if TYPE_CHECKING:
    from .site_plan import Plan

__all__ = ["plan_business_cases", "plan_lists", "plan_sensitivity"]


def _economics(plan: Plan, economics: Economics | None) -> Economics:
    return economics or plan.before.scenario.economics


def plan_business_cases(
    plan: Plan, *, economics: Economics | None = None, draws: int = 0, seed: int = 1
) -> pd.DataFrame:
    """Compute the business case of every proposed site, its list and how robust that is.

    Parameters
    ----------
    plan
        A plan (:func:`covgap.plan.plan_network`).
    economics
        The parameters; ``None``: the scenario's ``[economics]``.
    draws
        Monte Carlo draws for ``p_commercial`` (0: none, the column is left out).
    seed
        Seed of the draws.

    Returns
    -------
    pandas.DataFrame
        :attr:`Plan.proposed` with the columns of
        :data:`covgap.analysis.economics.CASE_COLUMNS`, ``list_flips`` (the list changes
        within ± ``economics.sensitivity`` of one parameter) and, with ``draws``,
        ``p_commercial``.
    """
    econ = _economics(plan, economics)
    sites = plan.proposed
    cases = business_cases(sites, econ)
    cases["list_flips"] = flips(sites, econ)
    if draws:
        cases["p_commercial"] = monte_carlo(sites, econ, draws=draws, seed=seed)
    return cases


def plan_lists(cases: pd.DataFrame) -> pd.DataFrame:
    """Sites, people, CAPEX, NPV and grants per list (:func:`plan_business_cases` rows)."""
    return list_summary(cases)


def plan_sensitivity(plan: Plan, *, economics: Economics | None = None) -> pd.DataFrame:
    """Return the tornado data of a plan (:func:`covgap.analysis.economics.sensitivity`)."""
    return sensitivity(plan.proposed, _economics(plan, economics))
