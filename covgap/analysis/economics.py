r"""Would a site pay for itself? The business case that splits commercial sites from the fund's.

The province's instruction asks for two lists: carriers bring mobile broadband to the gap
villages where a site pays, and the Department of ICT asks the Ministry for
public-utility telecom stations where a BTS would run at a loss for years. The business
case of one site (DOMAIN.md "Who pays"), for a horizon of :math:`T` years at a discount
rate :math:`r`:

.. math::

    S = P \, p \sum_c s_c \qquad R = 12 \, P \, p \sum_c s_c \, \frac{A_c}{X}

    \mathrm{NPV} = -C + (R - O) \, a_T \qquad a_T = \frac{1 - (1 + r)^{-T}}{r}

with :math:`P` the people the site newly covers, :math:`p` the penetration (subscribers per
person), :math:`s_c` the market share of each carrier :math:`c` on the site (every
carrier's on a shared site, its own on a carrier's site), :math:`A_c` its ARPU in VND a
month, :math:`X` VND per USD, :math:`C` the CAPEX (site or upgrade, power, backhaul),
:math:`O` the yearly OPEX (energy, rent, maintenance, backhaul) and :math:`a_T` the annuity
factor. The **grant** that makes the NPV zero is :math:`\max(0, -\mathrm{NPV})` paid at the
start; the **yearly support** is the grant spread over the horizon,
:math:`\max(0, -\mathrm{NPV}) / a_T`. The payback year is the first year whose
*discounted* cumulative cash flow is not negative (``NaN`` when it never is).

Power decides the third list: a new site next to the grid (within ``grid_max_km`` of a
village with grid power) pays a grid connection; otherwise it runs off-grid (solar,
batteries, a backup generator) when it is at most ``offgrid_max_road_km`` from a road;
otherwise the village needs **power first**. Upgrades of existing sites use the site's
own power.

Every parameter is :class:`covgap.config.Economics` (``[economics]`` in a scenario file),
so a sheet can show them and any number can be reproduced by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..config import Economics
from ..errors import InputError
from ..schema import CARRIERS

__all__ = [
    "CASE_COLUMNS",
    "LISTS",
    "SENSITIVITY_PARAMETERS",
    "annuity_factor",
    "business_cases",
    "flips",
    "handset_support",
    "list_summary",
    "monte_carlo",
    "sensitivity",
]

#: The three lists, in the order outputs show them.
COMMERCIAL, PUBLIC_UTILITY, POWER_FIRST = "commercial", "public_utility", "power_first"
LISTS: tuple[str, ...] = (COMMERCIAL, PUBLIC_UTILITY, POWER_FIRST)
#: What the sensitivity analysis varies (each by ± ``Economics.sensitivity``).
SENSITIVITY_PARAMETERS: tuple[str, ...] = ("arpu", "penetration", "capex", "opex")
#: Columns :func:`business_cases` adds, in order.
CASE_COLUMNS: tuple[str, ...] = (
    "econ_carriers",
    "power",
    "subscribers",
    "revenue_usd_year",
    "capex_site_usd",
    "capex_power_usd",
    "capex_backhaul_usd",
    "capex_usd",
    "opex_usd_year",
    "npv_usd",
    "npv_vnd",
    "payback_year",
    "grant_usd",
    "support_usd_year",
    "grant_per_person_usd",
    "economic_list",
)
_UPGRADES = ("add_4g", "add_sector", "remote_sector")
_BACKHAUL_OPEX = {
    "fibre": "fibre_lease_usd_year",
    "microwave": "microwave_usd_year",
    "satellite": "satellite_usd_year",
}


def annuity_factor(rate: float, years: int) -> float:
    """Present value of 1 a year for ``years`` years at ``rate`` (``years`` when rate is 0).

    >>> round(annuity_factor(0.10, 10), 4)
    6.1446
    """
    if rate == 0:
        return float(years)
    return (1.0 - (1.0 + rate) ** -years) / rate


def _carriers(value: object) -> tuple[str, ...]:
    """Carriers that use a site: one carrier, a ``;`` list, or every carrier when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return CARRIERS
    names = tuple(c.strip() for c in str(value).replace(",", ";").split(";") if c.strip())
    if not names or names == ("shared",):
        return CARRIERS
    unknown = [n for n in names if n not in CARRIERS]
    if unknown:
        raise InputError(f"business case: unknown carrier(s) {unknown}; use {list(CARRIERS)}")
    return names


def _column(sites: pd.DataFrame, name: str, default: object) -> pd.Series:
    if name in sites:
        return sites[name]
    return pd.Series(default, index=sites.index)


def business_cases(
    sites: pd.DataFrame,
    economics: Economics | None = None,
    *,
    scale: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Compute the business case of every site, and the list it belongs on.

    Parameters
    ----------
    sites
        One row per proposed site (or per village's cheapest solution) with
        ``people_new`` (people newly covered), ``site_usd`` (CAPEX of the site or the
        upgrade), ``kind`` (``new_site``, ``user``, ``add_4g``, ``add_sector``,
        ``remote_sector``, ``new_bts``), and when known ``carrier`` (one carrier, a ``;``
        list, or missing for a site shared by every carrier), ``backhaul`` (``fibre``,
        ``microwave``, ``satellite``, ``existing``) with ``backhaul_usd``, ``power_km``
        (distance to the nearest village with grid power), ``grid_power`` (the village's
        own grid power, for a site at the village) and ``road_km``.
    economics
        The parameters (``None``: the defaults).
    scale
        Multipliers of ``arpu``, ``penetration``, ``capex`` and ``opex`` (the sensitivity
        analysis); ``None``: all 1.

    Returns
    -------
    pandas.DataFrame
        ``sites`` with :data:`CASE_COLUMNS` added (USD unless the name says VND;
        ``economic_list`` one of :data:`LISTS`).
    """
    unknown = set(scale or {}) - set(SENSITIVITY_PARAMETERS)
    if unknown:
        raise InputError(f"business case: unknown scale(s) {sorted(unknown)}")
    scale = {k: 1.0 for k in SENSITIVITY_PARAMETERS} | (scale or {})
    e = economics = economics or Economics()
    out = sites.copy()
    n = len(out)
    people = pd.to_numeric(_column(out, "people_new", 0.0), errors="coerce").fillna(0.0)
    people = people.to_numpy(float)
    kinds = _column(out, "kind", "new_site").astype(str).to_numpy()
    upgrade = np.isin(kinds, _UPGRADES)
    carriers = [_carriers(v) for v in _column(out, "carrier", None)]
    share = np.array([sum(e.market_share.get(c, 0.0) for c in cs) for cs in carriers])
    arpu_year = np.array(
        [
            sum(e.market_share.get(c, 0.0) * e.arpu_usd_year(c) for c in cs) / s if s else 0.0
            for cs, s in zip(carriers, share, strict=True)
        ]
    )
    subscribers = people * e.penetration * scale["penetration"] * share
    revenue = subscribers * arpu_year * scale["arpu"]

    # power: upgrades use the site's own; a new site joins the grid or runs off-grid
    power_km = pd.to_numeric(_column(out, "power_km", np.nan), errors="coerce").to_numpy(float)
    road_km = pd.to_numeric(_column(out, "road_km", np.nan), errors="coerce").to_numpy(float)
    own_grid = _column(out, "grid_power", pd.NA).astype("boolean").fillna(False).to_numpy(bool)
    near_grid = own_grid | (np.nan_to_num(power_km, nan=np.inf) <= e.grid_max_km)
    reachable = np.isnan(road_km) | (road_km <= e.offgrid_max_road_km)
    power = np.where(
        upgrade, "existing", np.where(near_grid, "grid", np.where(reachable, "offgrid", "none"))
    )
    line_km = np.where(own_grid, 0.0, np.nan_to_num(power_km, nan=0.0))
    capex_power = np.select(
        [power == "grid", power == "offgrid"],
        [e.grid_connection_usd + e.grid_line_per_km_usd * line_km, e.offgrid_power_usd],
        0.0,
    )
    capex_site = pd.to_numeric(_column(out, "site_usd", 0.0), errors="coerce").fillna(0.0)
    capex_site = capex_site.to_numpy(float)
    backhaul = _column(out, "backhaul", "existing").astype("string").fillna("existing")
    capex_backhaul = pd.to_numeric(_column(out, "backhaul_usd", 0.0), errors="coerce")
    capex_backhaul = capex_backhaul.fillna(0.0).to_numpy(float)
    capex = (capex_site + capex_power + capex_backhaul) * scale["capex"]

    energy = np.select(
        [power == "grid", power == "offgrid"],
        [e.energy_grid_usd_year, e.energy_offgrid_usd_year],
        0.0,
    )
    site_opex = np.where(upgrade, e.sector_opex_usd_year, e.rent_usd_year + e.maintenance_usd_year)
    haul_opex = np.array(
        [getattr(e, _BACKHAUL_OPEX[b]) if b in _BACKHAUL_OPEX else 0.0 for b in backhaul]
    )
    opex = (energy + site_opex + haul_opex) * scale["opex"]

    a = annuity_factor(e.discount_rate, int(e.horizon_years))
    npv = -capex + (revenue - opex) * a
    grant = np.maximum(0.0, -npv)
    years = np.arange(1, int(e.horizon_years) + 1)
    discount = (1.0 + e.discount_rate) ** -years
    cumulative = -capex[:, None] + np.cumsum((revenue - opex)[:, None] * discount[None, :], axis=1)
    paid = cumulative >= -1e-9
    payback = (
        np.where(paid.any(axis=1), years[np.argmax(paid, axis=1)], np.nan) if n else np.array([])
    )

    lists = np.where(npv >= 0, COMMERCIAL, np.where(power == "none", POWER_FIRST, PUBLIC_UTILITY))
    columns = {
        "econ_carriers": [";".join(cs) for cs in carriers],
        "power": power,
        "subscribers": np.round(subscribers, 1),
        "revenue_usd_year": revenue,
        "capex_site_usd": capex_site * scale["capex"],
        "capex_power_usd": capex_power * scale["capex"],
        "capex_backhaul_usd": capex_backhaul * scale["capex"],
        "capex_usd": capex,
        "opex_usd_year": opex,
        "npv_usd": npv,
        "npv_vnd": npv * e.usd_vnd,
        "payback_year": payback,
        "grant_usd": grant,
        "support_usd_year": grant / a,
        "grant_per_person_usd": np.where(people > 0, grant / np.maximum(people, 1e-9), np.nan),
        "economic_list": lists,
    }
    for name in CASE_COLUMNS:
        out[name] = columns[name]
    return out


def sensitivity(sites: pd.DataFrame, economics: Economics | None = None) -> pd.DataFrame:
    """One-at-a-time sensitivity of the split: each parameter at ± ``economics.sensitivity``.

    Parameters
    ----------
    sites
        As for :func:`business_cases`.
    economics
        The parameters (their ``sensitivity`` is the range).

    Returns
    -------
    pandas.DataFrame
        One row per parameter and side (``low``, ``high``) with the factor, the sites on
        each list, the total NPV and grant (USD), and ``moved``: how many sites change
        list against the base case. The data of a tornado chart.
    """
    economics = economics or Economics()
    base = business_cases(sites, economics)
    rows = []
    for parameter in SENSITIVITY_PARAMETERS:
        for side, factor in (
            ("low", 1 - economics.sensitivity),
            ("high", 1 + economics.sensitivity),
        ):
            case = business_cases(sites, economics, scale={parameter: factor})
            counts = case["economic_list"].value_counts()
            rows.append(
                {
                    "parameter": parameter,
                    "side": side,
                    "factor": factor,
                    **{f"n_{name}": int(counts.get(name, 0)) for name in LISTS},
                    "npv_usd": float(case["npv_usd"].sum()),
                    "grant_usd": float(case["grant_usd"].sum()),
                    "moved": int((case["economic_list"] != base["economic_list"]).sum()),
                }
            )
    return pd.DataFrame(rows)


def flips(sites: pd.DataFrame, economics: Economics | None = None) -> np.ndarray:
    """Whether each site's list changes within the sensitivity range (any one parameter)."""
    economics = economics or Economics()
    base = business_cases(sites, economics)["economic_list"].to_numpy()
    moved = np.zeros(len(sites), dtype=bool)
    for parameter in SENSITIVITY_PARAMETERS:
        for factor in (1 - economics.sensitivity, 1 + economics.sensitivity):
            case = business_cases(sites, economics, scale={parameter: factor})
            moved |= case["economic_list"].to_numpy() != base
    return moved


def monte_carlo(
    sites: pd.DataFrame,
    economics: Economics | None = None,
    *,
    draws: int = 1000,
    seed: int = 1,
) -> np.ndarray:
    """Probability that each site is commercial when the parameters vary.

    ARPU, penetration, CAPEX and OPEX are each multiplied by a factor drawn uniformly
    within ± ``economics.sensitivity``, independently, the same draw for every site (one
    draw is one possible world).

    Returns
    -------
    numpy.ndarray
        Share of the draws in which each site's NPV is not negative.
    """
    economics = economics or Economics()
    if draws < 1:
        raise InputError(f"monte_carlo: draws = {draws} must be at least 1")
    rng = np.random.default_rng(seed)
    s = economics.sensitivity
    hits = np.zeros(len(sites))
    for _ in range(draws):
        scale = {p: float(rng.uniform(1 - s, 1 + s)) for p in SENSITIVITY_PARAMETERS}
        hits += business_cases(sites, economics, scale=scale)["npv_usd"].to_numpy() >= 0
    return hits / draws


def list_summary(cases: pd.DataFrame, *, by: Iterable[str] = ()) -> pd.DataFrame:
    """Sites, people, CAPEX, NPV and grants per list (and per ``by`` columns)."""
    keys = [*by, "economic_list"]
    grouped = cases.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        sites=("npv_usd", "size"),
        people_new=("people_new", "sum"),
        capex_usd=("capex_usd", "sum"),
        npv_usd=("npv_usd", "sum"),
        grant_usd=("grant_usd", "sum"),
    ).reset_index()
    order = {name: i for i, name in enumerate(LISTS)}
    return out.sort_values(keys, key=lambda s: s.map(order) if s.name == "economic_list" else s)


def handset_support(
    villages: pd.DataFrame, economics: Economics | None = None, *, by: str = "commune"
) -> pd.DataFrame:
    """Phones to replace at the 2G/3G switch-off, and the support budget, per unit.

    The instruction asks carriers to fund smartphones or 4G feature phones for poor and
    near-poor households. Where the village table has ``poor_households`` and
    ``near_poor_households`` (optional columns), the phones to replace are
    ``(poor + near-poor) × handsets_per_household × legacy_handset_share`` and the budget
    is that times ``handset_price_vnd``.

    Parameters
    ----------
    villages
        Village table (canonical columns); rows without either count are left out and
        counted in ``villages_without_counts``.
    economics
        The parameters (``None``: the defaults).
    by
        Column to group by (``commune``, ``commune_2025``, ``district``).

    Returns
    -------
    pandas.DataFrame
        Per unit: ``villages``, ``villages_without_counts``, ``poor_households``,
        ``near_poor_households``, ``handsets``, ``budget_vnd`` and ``budget_usd``; empty
        when the table has neither column.
    """
    e = economics or Economics()
    cols = [c for c in ("poor_households", "near_poor_households") if c in villages]
    if not cols:
        return pd.DataFrame(columns=[by, "villages", "villages_without_counts", "handsets"])
    if by not in villages:
        raise InputError(f"handset support: the villages have no {by!r} column")
    table = pd.DataFrame({by: villages[by]})
    for c in ("poor_households", "near_poor_households"):
        table[c] = pd.to_numeric(villages[c], errors="coerce") if c in villages else np.nan
    counted = table[["poor_households", "near_poor_households"]].notna().any(axis=1)
    table["counted"] = counted.astype(int)
    out = table.groupby(by, sort=True, dropna=False).agg(
        villages=(by, "size"),
        counted=("counted", "sum"),
        poor_households=("poor_households", "sum"),
        near_poor_households=("near_poor_households", "sum"),
    )
    out["villages_without_counts"] = out["villages"] - out.pop("counted")
    households = out["poor_households"] + out["near_poor_households"]
    out["handsets"] = np.round(households * e.handsets_per_household * e.legacy_handset_share)
    out["budget_vnd"] = out["handsets"] * e.handset_price_vnd
    out["budget_usd"] = out["budget_vnd"] / e.usd_vnd
    return out.reset_index()
