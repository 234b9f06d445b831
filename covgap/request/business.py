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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.economics import business_cases, flips
from ..config import Economics, PlanCosts

if TYPE_CHECKING:
    from .dossier import Dossier

__all__ = ["dossier_business_cases"]


def dossier_business_cases(
    dossier: Dossier,
    *,
    costs: PlanCosts | None = None,
    economics: Economics | None = None,
    road_km: pd.Series | None = None,
) -> pd.DataFrame:
    """Compute the business case of every village of the request and unpowered lists.

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
    costs = costs or PlanCosts()
    economics = economics or Economics()
    keep = ["village_id", "name", "commune", "commune_2025", "district", "grid_power", "population"]
    keep += ["solution", "solution_site_id", "solution_carrier"]
    frames = [d[[c for c in keep if c in d]] for d in (dossier.request, dossier.unpowered)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return business_cases(pd.DataFrame(columns=["people_new"]), economics)
    table = pd.concat(frames, ignore_index=True)
    remote = table.get("solution_site_id", pd.Series(np.nan, index=table.index)).notna()
    remote = remote.to_numpy(bool)
    people = pd.to_numeric(table.get("population"), errors="coerce")
    table["kind"] = np.where(remote, "remote_sector", "new_bts")
    carrier = table.get("solution_carrier", pd.Series(np.nan, index=table.index))
    table["carrier"] = np.where(remote, carrier.astype(object), None)
    table["people_new"] = people.fillna(0.0).to_numpy(float)
    table["people_known"] = people.notna().to_numpy(bool)
    table["site_usd"] = np.where(remote, costs.add_sector_usd, costs.new_site_usd)
    table["backhaul"] = np.where(remote, "existing", "microwave")
    table["backhaul_usd"] = np.where(remote, 0.0, costs.microwave_link_usd)
    powered = table["grid_power"].astype("boolean").fillna(False).to_numpy(bool)
    table["power_km"] = np.where(powered, 0.0, np.nan)
    table["road_km"] = (
        table["village_id"].map(road_km).to_numpy(float) if road_km is not None else np.nan
    )
    cases = business_cases(table, economics)
    cases["list_flips"] = flips(table, economics)
    return cases
