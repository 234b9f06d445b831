"""Unit costs for planning new sites and their backhaul (all configurable).

The backhaul figures are DOMAIN.md's "Fibre and backhaul" values (the ITU/Giga
connectivity planning method): USD 500 per connection point plus USD 20,000 per km of
fibre along roads with a routing factor of 1.1, and about USD 40,000 a microwave link
with first-Fresnel-zone clearance up to 30 km. The site and satellite figures are
covgap's own assumptions for a rural macro site in an emerging market (no figure is
given in DOMAIN.md): set them from the carrier's or the Ministry's own price lists.

In a scenario file they go in a ``[costs]`` table::

    [costs]
    new_site_usd = 120000
    fibre_per_km_usd = 15850
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from .errors import InputError

__all__ = ["PlanCosts"]


@dataclass(frozen=True)
class PlanCosts:
    """Unit costs (USD) and backhaul rules used by :mod:`covgap.plan`.

    Attributes
    ----------
    new_site_usd
        A new macro site: tower, power, shelter and a 3-sector 4G radio (assumption).
    add_4g_usd
        Adding 4G radios to an existing 2G-only site (assumption).
    add_sector_usd
        Adding one sector (antenna and radio) to an existing site (assumption).
    fibre_per_km_usd
        Fibre laid along roads, per km of route (DOMAIN.md: USD 20,000; rural fibre in
        emerging markets is about USD 15,850, Analysys Mason 2011).
    fibre_per_point_usd
        Connecting one point (a site or a village) to the fibre (DOMAIN.md: USD 500).
    routing_factor
        Fibre length over the road-path length: slack, poles, detours (DOMAIN.md: 1.1).
    microwave_link_usd
        One microwave link, both ends (DOMAIN.md: about USD 40,000).
    microwave_max_km
        Longest microwave hop considered (DOMAIN.md: 30 km).
    microwave_freq_mhz
        Microwave band used for the Fresnel-zone check (7 GHz: long rural hops).
    fresnel_clearance
        Fraction of the first Fresnel zone that must be clear of the terrain (1.0: the
        whole zone, with earth curvature at k = 4/3).
    satellite_usd
        A satellite (VSAT) backhaul terminal: always feasible, costly per Mb/s
        (assumption; capital cost only).
    """

    new_site_usd: float = 100_000.0
    add_4g_usd: float = 30_000.0
    add_sector_usd: float = 15_000.0
    fibre_per_km_usd: float = 20_000.0
    fibre_per_point_usd: float = 500.0
    routing_factor: float = 1.1
    microwave_link_usd: float = 40_000.0
    microwave_max_km: float = 30.0
    microwave_freq_mhz: float = 7_000.0
    fresnel_clearance: float = 1.0
    satellite_usd: float = 60_000.0

    def __post_init__(self) -> None:
        bad = []
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                bad.append(f"costs.{f.name} = {value!r} must be a finite number >= 0")
        if not bad and self.routing_factor < 1.0:
            bad.append(f"costs.routing_factor = {self.routing_factor} must be >= 1")
        if not bad and not 0 < self.fresnel_clearance <= 1.0:
            bad.append(f"costs.fresnel_clearance = {self.fresnel_clearance} must be in (0, 1]")
        if not bad and not 100 <= self.microwave_freq_mhz <= 100_000:
            bad.append(f"costs.microwave_freq_mhz = {self.microwave_freq_mhz} is not a band")
        if bad:
            raise InputError("; ".join(bad))

    def fibre_usd(self, road_km: float) -> float:
        """Cost of a fibre connection over ``road_km`` km of road (one point)."""
        return self.fibre_per_point_usd + self.fibre_per_km_usd * self.routing_factor * road_km
