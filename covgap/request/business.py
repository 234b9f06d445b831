"""The business case of each requested village's cheapest solution.

The dossier proposes, for every white or low-signal village, a *remote sector* from an
existing site that sees it, or else a *new BTS* at the village
(:func:`covgap.request.dossier.propose_solutions`). :func:`dossier_business_cases` prices
that solution with :func:`covgap.analysis.economics.business_cases`, under these stated
assumptions (each a parameter or a column the caller can override):

- the people served are the village's population (unknown population counts 0 and is
  flagged in ``people_known``);
- a remote sector costs ``costs.add_sector_usd`` and uses the serving site's carrier,
  power and backhaul;
- a new BTS costs ``costs.new_site_usd``, serves every carrier's subscribers (a station of
  the public-utility programme is shared) and needs one microwave hop of
  ``costs.microwave_link_usd`` to the network;
- its power is the village's grid when it has grid power; otherwise off-grid, viable when
  the village is at most ``economics.offgrid_max_road_km`` from a road (``road_km``,
  unknown: viable), else power first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.economics import business_cases, flips, list_summary, sensitivity
from ..config import Economics, PlanCosts
from ..io.atomic import atomic_folder

if TYPE_CHECKING:
    from .dossier import Dossier

__all__ = [
    "BUSINESS_FILES",
    "dossier_business_cases",
    "dossier_sites",
    "write_business_files",
    "write_dossier_business",
]

#: Files :func:`write_business` writes, by role.
BUSINESS_FILES: dict[str, str] = {
    "business_csv": "business_cases.csv",
    "lists_csv": "business_lists.csv",
    "sensitivity_csv": "business_sensitivity.csv",
    "tornado_png": "business_tornado.png",
}
#: Columns of a proposed site's business case in a workbook sheet, in order (those present).
_CASE_SHEET_COLUMNS = (
    "rank", "candidate_id", "kind", "econ_carriers", "people_new", "power", "subscribers",
    "revenue_usd_year", "capex_site_usd", "capex_power_usd", "capex_backhaul_usd", "capex_usd",
    "opex_usd_year", "npv_usd", "npv_vnd", "payback_year", "grant_usd", "support_usd_year",
    "grant_per_person_usd", "economic_list", "list_flips",
)  # fmt: skip
#: Columns of a village's business case in the CSV, in order (those present).
_VILLAGE_TABLE = (
    "village_id", "name", "commune_2025", "commune", "district", "grid_power", "solution",
    "kind", "econ_carriers", "people_new", "people_known", "power", "subscribers",
    "revenue_usd_year", "capex_site_usd", "capex_power_usd", "capex_backhaul_usd", "capex_usd",
    "opex_usd_year", "npv_usd", "npv_vnd", "payback_year", "grant_usd", "support_usd_year",
    "grant_per_person_usd", "economic_list", "list_flips",
)  # fmt: skip


def dossier_sites(
    dossier: Dossier, *, costs: PlanCosts | None = None, road_km: pd.Series | None = None
) -> pd.DataFrame:
    """Return each village's cheapest solution as a site row for the business case.

    Parameters
    ----------
    dossier
        :func:`covgap.request.dossier.build_dossier`.
    costs
        Unit costs (``None``: the defaults).
    road_km
        Distance from each village to the nearest road, indexed by ``village_id``
        (``None``: unknown, off-grid power is taken as viable).

    Returns
    -------
    pandas.DataFrame
        One row per village of the request and unpowered lists with the columns
        :func:`covgap.analysis.economics.business_cases` reads.
    """
    from .dossier import solution_sites

    tables = [d for d in (dossier.request, dossier.unpowered) if len(d)]
    table = pd.concat(tables, ignore_index=True) if tables else dossier.request
    return solution_sites(table, costs=costs, road_km=road_km)


def dossier_business_cases(
    dossier: Dossier,
    *,
    costs: PlanCosts | None = None,
    economics: Economics | None = None,
    road_km: pd.Series | None = None,
) -> pd.DataFrame:
    """Compute the business case of every village of the request and unpowered lists.

    See :func:`dossier_sites` for how each village's solution is priced.

    Parameters
    ----------
    dossier
        :func:`covgap.request.dossier.build_dossier`.
    costs, economics
        Unit costs and business-case parameters (``None``: the defaults).
    road_km
        Distance from each village to the nearest road, indexed by ``village_id``
        (``None``: unknown, off-grid power is taken as viable).

    Returns
    -------
    pandas.DataFrame
        One row per village (request list first) with ``village_id``, ``name``,
        ``commune``, ``district``, ``grid_power``, ``solution``, ``kind``, ``carrier``,
        ``people_new``, ``people_known``, the costs used, the columns of
        :data:`covgap.analysis.economics.CASE_COLUMNS` and ``list_flips``.
    """
    economics = economics or Economics()
    table = dossier_sites(dossier, costs=costs, road_km=road_km)
    cases = business_cases(table, economics)
    cases["list_flips"] = flips(table, economics)
    return cases


def write_dossier_business(
    dossier: Dossier,
    out_dir: str | Path,
    *,
    costs: PlanCosts | None = None,
    economics: Economics | None = None,
    road_km: pd.Series | None = None,
    lang: str = "vi",
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Write every requested village's business case, the lists and the tornado chart.

    Returns
    -------
    tuple
        Role -> path of each file (:data:`BUSINESS_FILES`), and the list summary.
    """
    economics = economics or Economics()
    sites = dossier_sites(dossier, costs=costs, road_km=road_km)
    cases = dossier_business_cases(dossier, costs=costs, economics=economics, road_km=road_km)
    chosen = cases[[c for c in _VILLAGE_TABLE if c in cases]]
    return write_business_files(
        chosen, sensitivity(sites, economics), out_dir, lang=lang, unit="villages"
    )


def write_business_files(
    cases: pd.DataFrame,
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    unit: str = "sites",
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Write business cases, their list summary, the sensitivity table and the tornado chart.

    Parameters
    ----------
    cases
        :func:`covgap.analysis.economics.business_cases` rows (the columns to show).
    table
        :func:`covgap.analysis.economics.sensitivity` of the same sites.
    out_dir
        Folder (created if needed); the files are :data:`BUSINESS_FILES`, written all or
        nothing.
    lang
        Headers, coded values and chart in ``"vi"`` or ``"en"``.
    unit
        ``"sites"`` or ``"villages"``: what the rows are (for the summary's wording).

    Returns
    -------
    tuple
        Role -> path of each file, and the list summary
        (:func:`covgap.analysis.economics.list_summary`).
    """
    from ..outputs.business import tornado_chart
    from ..outputs.static_maps import save_static_map
    from .export import write_csv

    lists = list_summary(cases)
    fig = tornado_chart(table, base_npv_usd=float(cases["npv_usd"].sum()), lang=lang, unit=unit)
    out = Path(out_dir)
    with atomic_folder(out) as tmp:
        write_csv(_for_people(cases, lang), tmp / BUSINESS_FILES["business_csv"], lang=lang)
        write_csv(_for_people(lists, lang), tmp / BUSINESS_FILES["lists_csv"], lang=lang)
        write_csv(_for_people(table, lang), tmp / BUSINESS_FILES["sensitivity_csv"], lang=lang)
        save_static_map(fig, tmp / BUSINESS_FILES["tornado_png"], dpi=150)
    return {role: out / name for role, name in BUSINESS_FILES.items()}, lists


def _for_people(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Money to the dollar (đồng to the đồng), coded values as words in ``lang``."""
    from ..outputs.labels import LABELS, label

    out = table.copy()
    for col in out.columns:
        if col.endswith(("_usd", "_usd_year", "_vnd")):
            out[col] = out[col].round(0)
    prefixes = {"economic_list": "list_", "power": "power_", "kind": "plan_kind_",
                "parameter": "econ_param_", "side": "econ_"}  # fmt: skip
    for col, prefix in prefixes.items():
        if col in out:
            out[col] = [
                label(prefix + str(v), lang) if prefix + str(v) in LABELS else v for v in out[col]
            ]
    return out
