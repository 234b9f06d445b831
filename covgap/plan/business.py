"""The business case of a plan's proposed sites, and the three lists they fall into.

:func:`plan_business_cases` prices every proposed site of a :class:`~covgap.plan.Plan`
with :func:`covgap.analysis.economics.business_cases`: the people it newly covers, its site
or upgrade cost, the backhaul the plan designed for it, and its power (grid when a village
with grid power is near, else off-grid near a road, else power first). A plan for sites
shared by every carrier earns every carrier's share; a plan for one carrier, its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.economics import business_cases, flips, list_summary, monte_carlo, sensitivity
from ..config import Economics

if TYPE_CHECKING:
    from .site_plan import Plan

__all__ = [
    "plan_business_cases",
    "plan_lists",
    "plan_sensitivity",
    "write_business",
]

#: Columns of the business-case CSV, in order (those present).
_CASE_TABLE = (
    "rank", "candidate_id", "kind", "site_id", "econ_carriers", "lon", "lat", "people_new",
    "power", "subscribers", "revenue_usd_year", "capex_site_usd", "capex_power_usd",
    "capex_backhaul_usd", "capex_usd", "opex_usd_year", "npv_usd", "npv_vnd", "payback_year",
    "grant_usd", "support_usd_year", "grant_per_person_usd", "economic_list", "list_flips",
    "p_commercial",
)  # fmt: skip


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


def write_business(
    plan: Plan,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    economics: Economics | None = None,
    draws: int = 500,
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Write the plan's business cases, lists, sensitivity and tornado chart, all or nothing.

    Parameters
    ----------
    plan
        A plan (:func:`covgap.plan.plan_network`).
    out_dir
        Folder (created if needed); see :data:`covgap.request.business.BUSINESS_FILES`.
    lang
        Headers and chart in ``"vi"`` or ``"en"``.
    economics
        The parameters; ``None``: the scenario's ``[economics]``.
    draws
        Monte Carlo draws for each site's probability of being commercial.

    Returns
    -------
    tuple
        Role -> path of each file, and the list summary
        (:func:`covgap.analysis.economics.list_summary`).
    """
    from ..request.business import write_business_files

    econ = _economics(plan, economics)
    cases = plan_business_cases(plan, economics=econ, draws=draws)
    chosen = cases[[c for c in _CASE_TABLE if c in cases]]
    return write_business_files(chosen, plan_sensitivity(plan, economics=econ), out_dir, lang=lang)
