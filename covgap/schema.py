"""Canonical names shared by every module: columns, carriers, technologies, classes.

Readers turn whatever a user's file calls things into these names; every later step
relies on them.
"""

from __future__ import annotations

__all__ = [
    "BANDS_MHZ",
    "CARRIERS",
    "CARRIER_SLUGS",
    "CLASSES",
    "COVERED",
    "DEFAULT_BEAMWIDTH_DEG",
    "DEFAULT_GAIN_DBI",
    "DEFAULT_OMNI_GAIN_DBI",
    "DEFAULT_POWER_DBM",
    "DEFAULT_TILT_DEG",
    "LOW_SIGNAL",
    "OMNI_BEAMWIDTH_DEG",
    "SITE_COLUMNS",
    "SITE_REQUIRED",
    "TECHNOLOGIES",
    "VILLAGE_COLUMNS",
    "VILLAGE_REQUIRED",
    "WHITE",
    "carrier_slug",
]

#: Carriers as displayed; the canonical value of the ``carrier`` column.
CARRIERS: tuple[str, ...] = ("Viettel", "VNPT", "MobiFone")
#: Lower-case ascii slugs used in column names (``rsrp_viettel_dbm``).
CARRIER_SLUGS: dict[str, str] = {"Viettel": "viettel", "VNPT": "vnpt", "MobiFone": "mobifone"}

TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G")
#: Bands (MHz) that covgap knows a carrier may use in Vietnam (DOMAIN.md, Radio).
BANDS_MHZ: tuple[int, ...] = (700, 900, 1800, 2100, 2600, 3700, 3800, 3900)

COVERED, LOW_SIGNAL, WHITE = "covered", "low_signal", "white"
#: Village classes, best first.
CLASSES: tuple[str, ...] = (COVERED, LOW_SIGNAL, WHITE)

#: Propagation model names a scenario may choose (:data:`covgap.radio.models.MODELS`
#: gives each its kernel code).
MODEL_NAMES: tuple[str, ...] = ("fspl", "bullington", "p1812", "hata", "hata-suburban", "hata-open")

#: Columns of a canonical village table (after reading), besides ``geometry`` (WGS 84 Point
#: of the village centre). ``cluster_*`` are the optional extra population-cluster points.
VILLAGE_COLUMNS: tuple[str, ...] = (
    "village_id",
    "name",
    "commune",
    "district",
    "households",
    "population",
    "grid_power",
    "especially_difficult",
    "cluster_1_lon",
    "cluster_1_lat",
    "cluster_2_lon",
    "cluster_2_lat",
)
VILLAGE_REQUIRED: tuple[str, ...] = ("village_id", "name")

#: Columns of a canonical site table, one row per sector, besides ``geometry``.
SITE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "sector_id",
    "carrier",
    "technology",
    "freq_mhz",
    "height_m",
    "azimuth_deg",
    "tilt_deg",
    "power_dbm",
    "gain_dbi",
    "beamwidth_deg",
    "fibre_backhaul",
)
SITE_REQUIRED: tuple[str, ...] = ("site_id", "carrier", "technology", "freq_mhz", "height_m")

#: Defaults for optional sector values (DOMAIN.md "Radio": rural macro link budget).
DEFAULT_TILT_DEG = 3.0
DEFAULT_BEAMWIDTH_DEG = 65.0
#: A sector with this beamwidth (or without an azimuth) radiates all around.
OMNI_BEAMWIDTH_DEG = 360.0
DEFAULT_GAIN_DBI, DEFAULT_OMNI_GAIN_DBI = 18.0, 11.0
DEFAULT_POWER_DBM: dict[str, float] = {"2G": 43.0, "3G": 43.0, "4G": 46.0}


def carrier_slug(carrier: str) -> str:
    """Return the ascii slug of a canonical carrier name (``"MobiFone"`` -> ``"mobifone"``)."""
    return CARRIER_SLUGS.get(carrier, carrier.lower())
