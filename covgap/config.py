"""Scenario configuration: input files, thresholds and radio defaults, from TOML.

A scenario file has six optional tables; anything left out keeps its default::

    [inputs]
    villages = "data/villages/villages.csv"
    sites = "data/bts_sites/sites.csv"   # or several: ["viettel.csv", "vnpt.xlsx"]
    dem = ["data/dem/laichau_synthetic_dem.tif"]
    admin = "data/admin/laichau_synthetic_admin.gpkg"
    crs = "EPSG:4326"          # CRS of x/y columns in the tables when they are not lon/lat

    [thresholds]
    covered_dbm = -105.0
    low_signal_dbm = -115.0

    [radio]
    rx_height_m = 1.5
    ...

    [costs]
    new_site_usd = 120000
    fibre_per_km_usd = 15850

    [economics]
    arpu_vnd_month = {Viettel = 62000, VNPT = 55000, MobiFone = 55000}
    discount_rate = 0.1

    [calibration]                # written by `covgap calibrate`
    offsets = {"Viettel 4G 1800" = -3.1}
    sigma_db = 7.2

Relative paths in a file are taken relative to the file's folder.
``covgap run --print-config`` prints every key with its default.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from os import PathLike
from pathlib import Path
from typing import Any

from .errors import DataFileError, InputError
from .schema import CARRIERS, MODEL_NAMES

__all__ = [
    "Calibration",
    "Clutter",
    "Economics",
    "PlanCosts",
    "Radio",
    "Scenario",
    "Thresholds",
    "load_scenario",
]


def _not_non_negative(obj: Any, table: str) -> list[str]:
    """List the fields of ``obj`` (or of its per-carrier tables) that are not numbers >= 0."""
    bad = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        values = value.values() if isinstance(value, dict) else [value]
        if any(
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0
            for v in values
        ):
            bad.append(f"{table}.{f.name} = {value!r} must be a finite number >= 0")
    return bad


@dataclass(frozen=True)
class PlanCosts:
    """Unit costs (USD) and backhaul rules used by :mod:`covgap.plan.site_plan`.

    The backhaul figures are DOMAIN.md's "Fibre and backhaul" values (the ITU/Giga
    connectivity planning method): USD 500 per connection point plus USD 20,000 per km of
    fibre along roads with a routing factor of 1.1, and about USD 40,000 a microwave link
    with first-Fresnel-zone clearance up to 30 km. The site and satellite figures are
    covgap's own assumptions for a rural macro site in an emerging market (no figure is
    given in DOMAIN.md): set them from the carrier's or the Ministry's own price lists.
    In a scenario file they go in the ``[costs]`` table.

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
        bad = _not_non_negative(self, "costs")
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


@dataclass(frozen=True)
class Economics:
    """Parameters of a site's business case (``[economics]`` in a scenario file).

    Every figure is **covgap's assumption** unless the scenario sets it: ARPU, market
    shares and costs must come from the carriers (DOMAIN.md "Who pays"). Money is in USD
    inside covgap; :attr:`usd_vnd` converts for the Vietnamese outputs (a rate to check
    against the State Bank of Vietnam's central rate of the day). Per-carrier values are
    TOML inline tables, e.g. ``arpu_vnd_month = {Viettel = 62000, VNPT = 55000,
    MobiFone = 55000}``.

    Attributes
    ----------
    horizon_years
        Years of operation in the business case.
    discount_rate
        Yearly discount rate (the carrier's cost of capital; assumption 10 %).
    usd_vnd
        Exchange rate, VND per USD (assumption: 25,400, late 2025).
    arpu_vnd_month
        Average revenue per subscriber and month, per carrier (assumption: rural
        mountain ARPU well below the national average, VND 50,000-60,000).
    market_share
        Each carrier's share of a village's subscribers (assumption: close to the national
        mobile shares, Viettel 55 %, VNPT 25 %, MobiFone 20 %); a shared site earns every
        carrier's share, a carrier's own site only its own.
    penetration
        Subscribers per person covered (assumption: 0.85 active SIMs per person in rural
        mountain villages, children and the elderly included).
    grid_connection_usd, grid_line_per_km_usd, grid_max_km
        Connecting a site to the grid: a fixed cost plus a medium-voltage line to the
        nearest village with grid power, built when that village is at most ``grid_max_km``
        away (assumptions).
    offgrid_power_usd, offgrid_max_road_km
        Solar panels, batteries and a backup generator for a site without grid power, viable
        when the site is at most ``offgrid_max_road_km`` from a road (batteries and fuel
        are carried in); farther from roads and from the grid, the village needs power
        first (assumptions).
    energy_grid_usd_year, energy_offgrid_usd_year
        Yearly energy: grid electricity, or battery replacement, fuel and visits off-grid.
    rent_usd_year, maintenance_usd_year
        Yearly land rent and maintenance of a new site.
    sector_opex_usd_year
        Yearly cost of an added sector or 4G radio on an existing site (power and
        maintenance of the extra equipment).
    fibre_lease_usd_year, microwave_usd_year, satellite_usd_year
        Yearly backhaul costs: fibre upkeep or lease, microwave licence and upkeep, VSAT
        capacity (assumptions).
    sensitivity
        Relative range (±) of ARPU, penetration, CAPEX and OPEX for the sensitivity
        analysis and the Monte Carlo draws.
    legacy_handset_share, handsets_per_household, handset_price_vnd
        The 2G/3G switch-off in people: the share of poor and near-poor households' phones
        that are 2G/3G-only and must be replaced, phones per household, and the price of the
        4G phone a support programme gives (assumptions: 35 %, 1, VND 600,000 for a 4G
        feature phone).
    """

    horizon_years: int = 10
    discount_rate: float = 0.10
    usd_vnd: float = 25_400.0
    arpu_vnd_month: dict[str, float] = field(
        default_factory=lambda: {"Viettel": 60_000.0, "VNPT": 55_000.0, "MobiFone": 55_000.0}
    )
    market_share: dict[str, float] = field(
        default_factory=lambda: {"Viettel": 0.55, "VNPT": 0.25, "MobiFone": 0.20}
    )
    penetration: float = 0.85
    grid_connection_usd: float = 5_000.0
    grid_line_per_km_usd: float = 12_000.0
    grid_max_km: float = 3.0
    offgrid_power_usd: float = 30_000.0
    offgrid_max_road_km: float = 5.0
    energy_grid_usd_year: float = 2_500.0
    energy_offgrid_usd_year: float = 4_000.0
    rent_usd_year: float = 1_000.0
    maintenance_usd_year: float = 2_500.0
    sector_opex_usd_year: float = 800.0
    fibre_lease_usd_year: float = 600.0
    microwave_usd_year: float = 1_200.0
    satellite_usd_year: float = 18_000.0
    sensitivity: float = 0.20
    legacy_handset_share: float = 0.35
    handsets_per_household: float = 1.0
    handset_price_vnd: float = 600_000.0

    def __post_init__(self) -> None:
        bad = _not_non_negative(self, "economics")
        if not bad:
            if int(self.horizon_years) != self.horizon_years or self.horizon_years < 1:
                bad.append(
                    f"economics.horizon_years = {self.horizon_years} must be a whole number >= 1"
                )
            if self.usd_vnd <= 0:
                bad.append("economics.usd_vnd must be > 0")
            if self.penetration > 2:
                bad.append(
                    f"economics.penetration = {self.penetration} is subscribers per person (<= 2)"
                )
            if self.legacy_handset_share > 1:
                bad.append("economics.legacy_handset_share is a share (<= 1)")
            if not 0 <= self.sensitivity < 1:
                bad.append(f"economics.sensitivity = {self.sensitivity} must be in [0, 1)")
            for name in ("arpu_vnd_month", "market_share"):
                unknown = set(getattr(self, name)) - set(CARRIERS)
                if unknown:
                    bad.append(
                        f"economics.{name}: unknown carrier(s) {sorted(unknown)}; "
                        f"use {list(CARRIERS)}"
                    )
            if sum(self.market_share.values()) > 1.0 + 1e-9:
                bad.append("economics.market_share: the shares add up to more than 1")
        if bad:
            raise InputError("; ".join(bad))

    def arpu_usd_year(self, carrier: str) -> float:
        """Yearly revenue per subscriber of ``carrier`` in USD (0 for an unknown carrier)."""
        return 12.0 * self.arpu_vnd_month.get(carrier, 0.0) / self.usd_vnd


@dataclass(frozen=True)
class Calibration:
    """Corrections fitted to measurements (``[calibration]``, :mod:`covgap.analysis.calibration`).

    Attributes
    ----------
    offsets
        ``"<carrier> <technology> <band MHz>"`` (band ``any`` for all bands) -> dB added to
        every predicted signal of that group, e.g. ``{"Viettel 4G 1800" = -3.1}``.
    sigma_db
        The prediction's spread after calibration (dB); when given it replaces
        ``radio.shadow_sigma_db`` for the location margin and the coverage probabilities.
    source
        What the corrections were fitted to (files, dates, figures): the record that makes
        a calibrated result defensible.
    slopes
        Same keys as ``offsets`` -> dB per decade of distance, added as
        ``slope * log10(distance_km)`` where the measurements supported a distance slope.
    land_cover_db
        Land-cover class (as text, e.g. ``"10"``) -> dB added at points of that class,
        fitted on what the offsets left.
    """

    offsets: dict[str, float] = field(default_factory=dict)
    sigma_db: float | None = None
    source: str = ""
    slopes: dict[str, float] = field(default_factory=dict)
    land_cover_db: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = []
        for key, value in self.offsets.items():
            parts = str(key).split()
            if len(parts) != 3 or parts[0] not in CARRIERS or parts[1] not in ("2G", "3G", "4G"):
                bad.append(f"calibration.offsets: {key!r} is not '<carrier> <2G|3G|4G> <MHz|any>'")
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or abs(value) > 40
            ):
                bad.append(
                    f"calibration.offsets[{key!r}] = {value!r} must be a number of dB within ±40"
                )
        for table in ("slopes", "land_cover_db"):
            for key, value in getattr(self, table).items():
                if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 40:
                    bad.append(f"calibration.{table}[{key!r}] = {value!r}: dB within ±40")
        if self.sigma_db is not None and not (0 < self.sigma_db <= 30):
            bad.append(f"calibration.sigma_db = {self.sigma_db!r} must be in (0, 30] dB")
        if bad:
            raise InputError("; ".join(bad))


@dataclass(frozen=True)
class Thresholds:
    """Village class thresholds on 4G RSRP (dBm), DOMAIN.md "Village classes".

    Attributes
    ----------
    covered_dbm
        A point is covered at or above this RSRP (Ofcom outdoor 4G threshold).
    low_signal_dbm
        Between this and ``covered_dbm`` a point has low signal; below it, none (white).
    min_2g_dbm, min_3g_dbm
        Lowest 2G RxLev / 3G RSCP counted as a usable service (the "very poor" bin of
        VNPT drive tests starts below -105 dBm). 2G and 3G are reported for information
        and for the switch-off impact; they never decide a village's class.
    """

    covered_dbm: float = -105.0
    low_signal_dbm: float = -115.0
    min_2g_dbm: float = -105.0
    min_3g_dbm: float = -105.0

    def __post_init__(self) -> None:
        if not self.low_signal_dbm < self.covered_dbm:
            raise InputError(
                f"thresholds: low_signal_dbm ({self.low_signal_dbm}) must be below "
                f"covered_dbm ({self.covered_dbm})"
            )


#: Clutter categories of ITU-R P.1812-6 Table 2 -> their default representative height (m).
CLUTTER_CATEGORIES: dict[str, float] = {
    "water": 0.0, "open": 0.0, "suburban": 10.0, "urban": 15.0, "trees": 15.0,
    "dense_urban": 20.0,
}  # fmt: skip
#: ESA WorldCover classes -> P.1812 category (DOMAIN.md "Clutter and land cover").
WORLDCOVER_CATEGORIES: dict[int, str] = {
    10: "trees", 20: "open", 30: "open", 40: "open", 50: "suburban", 60: "open",
    70: "open", 80: "water", 90: "open", 95: "trees", 100: "open",
}  # fmt: skip
#: Ways of putting clutter in the path loss (``Radio.clutter``).
CLUTTER_METHODS: tuple[str, ...] = ("none", "p1812", "p2108")


@dataclass(frozen=True)
class Clutter:
    """Land-cover classes -> representative clutter height and category (``[clutter]``).

    The default is ESA WorldCover (10 m, CC BY 4.0) mapped to the categories of ITU-R
    P.1812-6 Table 2 with their default heights: tree cover (10) and mangroves (95) are
    trees/forest, 15 m; built-up (50) is suburban, 10 m (Lai Châu's towns and village
    cores are low-rise: use ``"urban"``, 15 m, for a city centre); water (80) is
    water/sea, 0 m; shrubland, grassland, cropland, bare, snow, wetland and moss (20,
    30, 40, 60, 70, 90, 100) are open/rural, 0 m. Any other raster works with its own
    table; in a scenario file::

        [clutter]
        classes = { 1 = [15.0, "trees"], 2 = [0.0, "open"], 3 = [10.0, "suburban"] }

    Attributes
    ----------
    classes
        ``(code, height_m, category)`` per class; ``category`` is one of
        :data:`CLUTTER_CATEGORIES`. Cells of a class not listed (or nodata) get no clutter
        and are reported by ``covgap validate``.
    """

    classes: tuple[tuple[int, float, str], ...] = tuple(
        (code, CLUTTER_CATEGORIES[cat], cat) for code, cat in WORLDCOVER_CATEGORIES.items()
    )

    def __post_init__(self) -> None:
        rows, bad = [], []
        items = self.classes.items() if isinstance(self.classes, dict) else self.classes
        for item in items:
            code, spec = (item[0], item[1:]) if not isinstance(self.classes, dict) else item
            spec = list(spec.values()) if isinstance(spec, dict) else list(spec)
            try:
                code, height, cat = int(code), float(spec[0]), str(spec[1])
            except (TypeError, ValueError, IndexError):
                bad.append(f"clutter class {code!r}: expected [height_m, category], got {spec!r}")
                continue
            if cat not in CLUTTER_CATEGORIES or not 0 <= height <= 100:
                bad.append(
                    f"clutter class {code}: height {height} m must be 0-100 and category "
                    f"{cat!r} one of {sorted(CLUTTER_CATEGORIES)}"
                )
            rows.append((code, height, cat))
        if bad:
            raise InputError("; ".join(bad))
        object.__setattr__(self, "classes", tuple(sorted(rows)))

    @property
    def table(self) -> dict[int, tuple[float, str]]:
        """Class code -> (representative height in m, category)."""
        return {code: (height, cat) for code, height, cat in self.classes}


@dataclass(frozen=True)
class Radio:
    """Radio and propagation defaults (DOMAIN.md "Radio"); all can be set per scenario.

    Attributes
    ----------
    rx_height_m
        Receiver (handset) height above ground.
    k_factor
        Effective earth radius factor (4/3 for a standard atmosphere).
    max_range_km
        Sectors farther than this from a point are not evaluated.
    lte_bandwidth_mhz
        4G carrier bandwidth; RSRP is per resource element, so the sector power is spread
        over ``12 * N_RB`` subcarriers (10 MHz = 50 RB: -27.8 dB).
    cable_loss_db
        Feeder and connector loss at the site.
    vertical_beamwidth_deg
        Vertical half-power beamwidth of the sector antennas (3GPP TR 36.814 pattern).
    front_to_back_db
        Maximum attenuation of the combined antenna pattern (A_m).
    vertical_sidelobe_db
        Maximum attenuation of the vertical pattern (SLA_v).
    cpich_offset_db
        3G pilot (CPICH) power relative to the sector's total power; RSCP uses it.
    clutter_loss_db
        Extra loss at the receiver for houses and trees around it (0: open terrain median).
    shadow_sigma_db
        Location-variability (shadow fading) standard deviation.
    location_probability
        Probability that a point reaches the threshold; 0.5 is the median prediction, 0.9
        adds ``1.28 * shadow_sigma_db`` of margin (FCC BDC uses 90 % at the cell edge).
    profile_step_m
        Spacing of terrain profile samples; ``None`` uses the DEM's cell size.
    model
        Propagation model (:data:`covgap.radio.models.MODELS`): ``"p1812"`` (free space +
        delta-Bullington over the DEM, the default), ``"bullington"`` (free space + P.526
        Bullington), ``"hata"`` / ``"hata-open"`` (Okumura-Hata / COST-231, no terrain
        profile) or ``"fspl"``. Points and rasters use the same model code.
    clutter
        How the land cover (``Scenario.land_cover``) enters the path loss: ``"p1812"``
        (representative clutter heights on the profile, ITU-R P.1812-6 §3.2; the default,
        which changes nothing without a land cover), ``"p2108"``
        (P.2108 §3.2 statistical loss at a receiver in urban or suburban clutter) or
        ``"none"`` (bare DEM; also without a land cover).
    delta_n
        Refractivity lapse rate ΔN (N-units/km); when given,
        k = 157 / (157 - ΔN) (P.1812 eq. 6) replaces ``k_factor``.
    """

    rx_height_m: float = 1.5
    k_factor: float = 4.0 / 3.0
    max_range_km: float = 35.0
    lte_bandwidth_mhz: float = 10.0
    cable_loss_db: float = 2.0
    vertical_beamwidth_deg: float = 10.0
    front_to_back_db: float = 25.0
    vertical_sidelobe_db: float = 20.0
    cpich_offset_db: float = -10.0
    clutter_loss_db: float = 0.0
    shadow_sigma_db: float = 8.0
    location_probability: float = 0.5
    profile_step_m: float | None = None
    model: str = "p1812"
    clutter: str = "p1812"
    delta_n: float | None = None

    def __post_init__(self) -> None:
        if self.clutter not in CLUTTER_METHODS:
            raise InputError(f"radio.clutter = {self.clutter!r}: use one of {CLUTTER_METHODS}")
        if self.delta_n is not None and not 0 < self.delta_n < 150:
            raise InputError(f"radio.delta_n = {self.delta_n!r} must be between 0 and 150")
        if self.model not in MODEL_NAMES:
            raise InputError(
                f"radio.model = {self.model!r} is not a known model; use one of "
                f"{sorted(MODEL_NAMES)}"
            )
        checks = [
            ("rx_height_m", 0 < self.rx_height_m <= 100, "between 0 and 100 m"),
            ("k_factor", 0.5 <= self.k_factor <= 10, "between 0.5 and 10"),
            ("max_range_km", 0 < self.max_range_km <= 200, "between 0 and 200 km"),
            (
                "lte_bandwidth_mhz",
                self.lte_bandwidth_mhz in LTE_RESOURCE_BLOCKS,
                f"one of {sorted(LTE_RESOURCE_BLOCKS)}",
            ),
            (
                "location_probability",
                0.01 <= self.location_probability <= 0.99,
                "between 0.01 and 0.99",
            ),
            ("shadow_sigma_db", 0 <= self.shadow_sigma_db <= 20, "between 0 and 20 dB"),
            (
                "vertical_beamwidth_deg",
                0 < self.vertical_beamwidth_deg <= 180,
                "between 0 and 180 degrees",
            ),
        ]
        if self.profile_step_m is not None:
            checks.append(
                ("profile_step_m", 1 <= self.profile_step_m <= 1000, "between 1 and 1000 m")
            )
        bad = [
            f"radio.{name} = {getattr(self, name)!r} must be {rule}"
            for name, ok, rule in checks
            if not ok
        ]
        if bad:
            raise InputError("; ".join(bad))

    @property
    def earth_k(self) -> float:
        """Effective earth radius factor: from ``delta_n`` when given, else ``k_factor``."""
        return self.k_factor if self.delta_n is None else 157.0 / (157.0 - self.delta_n)

    @property
    def resource_blocks(self) -> int:
        """Number of LTE resource blocks of ``lte_bandwidth_mhz``."""
        return LTE_RESOURCE_BLOCKS[self.lte_bandwidth_mhz]

    @property
    def location_margin_db(self) -> float:
        """Margin added to the thresholds for ``location_probability`` (z * sigma)."""
        from statistics import NormalDist

        return NormalDist().inv_cdf(self.location_probability) * self.shadow_sigma_db


#: Scenario inputs that are one file each (relative to the scenario file in TOML).
_FILE_INPUTS: tuple[str, ...] = (
    "villages", "admin", "crosswalk", "roads", "fibre_nodes", "candidates", "land_cover"
)  # fmt: skip

#: LTE channel bandwidth (MHz) -> resource blocks (3GPP TS 36.101 table 5.6-1).
LTE_RESOURCE_BLOCKS: dict[float, int] = {1.4: 6, 3.0: 15, 5.0: 25, 10.0: 50, 15.0: 75, 20.0: 100}


@dataclass(frozen=True)
class Scenario:
    """What to analyse and how: input files plus thresholds and radio settings.

    Attributes
    ----------
    villages
        Village table (any format :func:`covgap.io.read_villages` reads).
    sites
        Site table, or a tuple of several (one file per carrier is how carriers
        deliver them): they are combined (:func:`covgap.analysis.inputs.combine_sites`).
        One file is kept as a single ``Path``; :attr:`site_files` is always a tuple.
    dem
        One or more DEM files (GeoTIFF, SRTM ``.hgt``/``.hgt.zip``), mosaicked.
    admin
        Optional GeoPackage with ``districts`` (and ``communes``) polygon layers.
    crosswalk
        Optional CSV mapping pre-2025 communes to the units of 07/2025
        (:func:`covgap.io.reform.read_crosswalk`).
    roads
        Optional road lines (:func:`covgap.plan.roads.read_roads`), for backhaul planning.
    fibre_nodes
        Optional fibre points of presence (:func:`covgap.plan.backhaul.read_fibre_nodes`),
        besides the sites marked ``fibre_backhaul``.
    candidates
        Optional candidate sites for planning (:func:`covgap.plan.candidates.read_candidates`).
    land_cover
        Optional categorical land-cover raster (ESA WorldCover or any class raster with a
        ``[clutter]`` table), any CRS (:func:`covgap.io.landcover.read_land_cover`).
    crs
        CRS of projected x/y columns in the tables; ``None`` for lon/lat in WGS 84.
    local_crs
        The official national grid for coordinates in outputs: VN-2000 TM-3 of the
        province (EPSG:9205, central meridian 103°, for Lai Châu).
    name
        A short title for maps and reports.
    synthetic
        True for the bundled synthetic sample: maps and tables say so.
    thresholds, radio, costs, economics, calibration
        Class thresholds, radio settings, planning unit costs
        (:class:`covgap.config.PlanCosts`), the business-case parameters
        (:class:`covgap.config.Economics`) and the corrections fitted to measurements
        (:class:`covgap.config.Calibration`).
    clutter
        Land-cover classes -> clutter heights and categories (:class:`Clutter`).
    """

    villages: Path | None = None
    sites: Path | tuple[Path, ...] | None = None
    dem: tuple[Path, ...] = ()
    admin: Path | None = None
    crosswalk: Path | None = None
    roads: Path | None = None
    fibre_nodes: Path | None = None
    candidates: Path | None = None
    land_cover: Path | None = None
    crs: str | None = None
    local_crs: str = "EPSG:9205"
    name: str = "covgap scenario"
    synthetic: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    radio: Radio = field(default_factory=Radio)
    costs: PlanCosts = field(default_factory=PlanCosts)
    economics: Economics = field(default_factory=Economics)
    calibration: Calibration = field(default_factory=Calibration)
    clutter: Clutter = field(default_factory=Clutter)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sites", _site_paths(self.sites))

    @property
    def site_files(self) -> tuple[Path, ...]:
        """The site tables, always as a tuple (empty when there are none)."""
        if self.sites is None:
            return ()
        return self.sites if isinstance(self.sites, tuple) else (self.sites,)

    def with_inputs(self, **changes: Any) -> Scenario:
        """Return a copy with some inputs replaced (``None`` values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "dem" in changes and isinstance(changes["dem"], (str, Path)):
            changes["dem"] = (changes["dem"],)
        for key in _FILE_INPUTS:
            if key in changes:
                changes[key] = Path(changes[key])
        if "dem" in changes:
            changes["dem"] = tuple(Path(p) for p in changes["dem"])
        return replace(self, **changes)

    def to_toml(self) -> str:
        """Render the scenario as a TOML document that :func:`load_scenario` reads back."""
        inputs = {
            "villages": self.villages,
            "sites": self.sites,
            "dem": list(self.dem),
            "admin": self.admin,
            "crosswalk": self.crosswalk,
            "roads": self.roads,
            "fibre_nodes": self.fibre_nodes,
            "candidates": self.candidates,
            "land_cover": self.land_cover,
            "crs": self.crs,
            "local_crs": self.local_crs,
            "name": self.name,
            "synthetic": self.synthetic,
        }
        lines = ["# covgap scenario (see `covgap run --help`)", "[inputs]"]
        lines += [_toml_line(k, v) for k, v in inputs.items() if v is not None]
        tables = (
            ("thresholds", self.thresholds),
            ("radio", self.radio),
            ("costs", self.costs),
            ("economics", self.economics),
            ("calibration", self.calibration),
        )
        for title, obj in tables:
            lines += ["", f"[{title}]"]
            lines += [_toml_line(k, v) for k, v in asdict(obj).items() if v is not None]
        rows = ", ".join(f"{c} = [{h!r}, {_toml_value(k)}]" for c, h, k in self.clutter.classes)
        lines += ["", "[clutter]", f"classes = {{ {rows} }}"]
        return "\n".join(lines) + "\n"


def _site_paths(value: Any) -> Path | tuple[Path, ...] | None:
    """Normalise site inputs: one file as a ``Path``, several as a tuple, none as ``None``."""
    if value is None:
        return None
    if isinstance(value, (str, PathLike)):
        return Path(value)
    paths = tuple(dict.fromkeys(Path(v) for v in value))  # a file given twice counts once
    if not paths:
        return None
    return paths[0] if len(paths) == 1 else paths


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = [
            k if re.fullmatch(r"[A-Za-z0-9_-]+", str(k)) else _toml_value(str(k)) for k in value
        ]
        return (
            "{"
            + ", ".join(
                f"{k} = {_toml_value(v)}" for k, v in zip(keys, value.values(), strict=True)
            )
            + "}"
        )
    text = str(value).replace("\\", "/") if isinstance(value, Path) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_line(key: str, value: Any) -> str:
    return f"{key} = {_toml_value(value)}"


def load_scenario(path: str | Path | None = None, *, base: Scenario | None = None) -> Scenario:
    """Read a scenario TOML file; keys left out keep the values of ``base``.

    Parameters
    ----------
    path
        The TOML file. ``None`` returns ``base`` (or the defaults) unchanged.
    base
        Scenario whose values are the defaults (the bundled sample, for instance).

    Returns
    -------
    Scenario

    Raises
    ------
    DataFileError
        The file does not exist or is not valid TOML.
    InputError
        A table or key is unknown, or a value is out of range.
    """
    scenario = base or Scenario()
    if path is None:
        return scenario
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: scenario file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: not a valid TOML file: {exc}") from exc
    tables = ("inputs", "thresholds", "radio", "costs", "economics", "calibration", "clutter")
    unknown = set(doc) - set(tables)
    if unknown:
        raise InputError(
            f"{path}: unknown table(s) {sorted(unknown)}; expected some of "
            + ", ".join(f"[{t}]" for t in tables)
        )
    thresholds = _update(scenario.thresholds, doc.get("thresholds", {}), path, "thresholds")
    radio = _update(scenario.radio, doc.get("radio", {}), path, "radio")
    costs = _update(scenario.costs, doc.get("costs", {}), path, "costs")
    economics = _update(scenario.economics, doc.get("economics", {}), path, "economics")
    calibration = _update(scenario.calibration, doc.get("calibration", {}), path, "calibration")
    clutter = _update(scenario.clutter, doc.get("clutter", {}), path, "clutter")
    inputs = dict(doc.get("inputs", {}))
    allowed = {f.name for f in fields(Scenario)} - set(tables)
    if set(inputs) - allowed:
        raise InputError(
            f"{path}: unknown key(s) in [inputs]: {sorted(set(inputs) - allowed)}; "
            f"expected some of {sorted(allowed)}"
        )
    for key in _FILE_INPUTS:
        if key in inputs:
            inputs[key] = path.parent / inputs[key]
    if "dem" in inputs:
        dems = inputs["dem"] if isinstance(inputs["dem"], list) else [inputs["dem"]]
        inputs["dem"] = tuple(path.parent / d for d in dems)
    if "sites" in inputs:
        sites = inputs["sites"] if isinstance(inputs["sites"], list) else [inputs["sites"]]
        if not sites or not all(isinstance(f, str) for f in sites):
            raise InputError(
                f"{path}: [inputs] sites must be a file name or a list of file names, "
                f"not {inputs['sites']!r}"
            )
        inputs["sites"] = tuple(path.parent / f for f in sites)
    return replace(
        scenario, thresholds=thresholds, radio=radio, costs=costs, economics=economics,
        calibration=calibration, clutter=clutter, **inputs,
    )  # fmt: skip


def _update(obj: Any, values: dict[str, Any], path: Path, table: str) -> Any:
    names = {f.name for f in fields(obj)}
    unknown = set(values) - names
    if unknown:
        raise InputError(
            f"{path}: unknown key(s) in [{table}]: {sorted(unknown)}; "
            f"known keys are {sorted(names)}"
        )
    # a per-carrier table given in part keeps the other carriers' values
    values = {
        k: {**getattr(obj, k), **v}
        if isinstance(getattr(obj, k), dict) and isinstance(v, dict)
        else v
        for k, v in values.items()
    }
    try:
        return replace(obj, **values)
    except TypeError as exc:
        raise InputError(f"{path}: [{table}]: {exc}") from exc
