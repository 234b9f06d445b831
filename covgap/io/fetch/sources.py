"""The open sources ``covgap fetch`` uses: tile names, URLs, licences.

Every base URL can be replaced by an environment variable (a mirror, a local copy, or a
test server on 127.0.0.1): :func:`base_url` reads ``COVGAP_<SOURCE>_URL``.

Real endpoints (no account needed except OpenCelliD):

=================  ==========================================================================
Copernicus GLO-30  ``https://copernicus-dem-30m.s3.amazonaws.com/<name>/<name>.tif``,
                   ``<name> = Copernicus_DSM_COG_10_N22_00_E103_00_DEM`` (1°x1°, SW corner)
SRTM 1″ (skadi)    ``https://elevation-tiles-prod.s3.amazonaws.com/skadi/N22/N22E103.hgt.gz``
ESA WorldCover     ``https://esa-worldcover.s3.eu-central-1.amazonaws.com/v200/2021/map/
                   ESA_WorldCover_10m_2021_v200_N21E102_Map.tif`` (3°x3°, SW corner)
Overpass API       ``https://overpass-api.de/api/interpreter`` (POST ``data=<query>``)
geoBoundaries      ``https://www.geoboundaries.org/api/current/gbOpen/VNM/ADM1/`` (JSON; its
                   ``gjDownloadURL`` is the GeoJSON), also ``ADM2`` and ``ADM3``
OpenCelliD         ``https://opencellid.org/ocid/downloads?token=<key>&type=mcc&file=452.csv.gz``
                   (the whole of MCC 452; the token comes from ``OPENCELLID_API_KEY``)
=================  ==========================================================================
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = [
    "SOURCES",
    "Source",
    "base_url",
    "copernicus_tile",
    "copernicus_url",
    "degree_tiles",
    "opencellid_url",
    "srtm_tile",
    "srtm_url",
    "worldcover_tile",
    "worldcover_tiles",
    "worldcover_url",
]


@dataclass(frozen=True)
class Source:
    """One open source: where it is, who made it and under which licence."""

    key: str
    title: str
    url: str
    licence: str
    attribution: str
    env: str


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "copernicus",
            "Copernicus DEM GLO-30 (DSM, 1 arc-second)",
            "https://copernicus-dem-30m.s3.amazonaws.com",
            "Copernicus DEM licence (free of charge, worldwide, with attribution)",
            "© DLR e.V. 2010-2014 and © Airbus Defence and Space GmbH 2014-2018, provided "
            "under COPERNICUS by the European Union and ESA; all rights reserved",
            "COVGAP_COPERNICUS_URL",
        ),
        Source(
            "srtm",
            "SRTM 1 arc-second via the AWS Terrain Tiles (skadi)",
            "https://elevation-tiles-prod.s3.amazonaws.com",
            "public domain (NASA/USGS SRTM)",
            "SRTM: NASA/NGA/USGS; Terrain Tiles on AWS (Mapzen/Linux Foundation)",
            "COVGAP_SRTM_URL",
        ),
        Source(
            "worldcover",
            "ESA WorldCover 10 m 2021 v200",
            "https://esa-worldcover.s3.eu-central-1.amazonaws.com",
            "CC BY 4.0",
            "© ESA WorldCover project 2021 / Contains modified Copernicus Sentinel data "
            "(2021) processed by ESA WorldCover consortium",
            "COVGAP_WORLDCOVER_URL",
        ),
        Source(
            "overpass",
            "OpenStreetMap via the Overpass API",
            "https://overpass-api.de/api/interpreter",
            "ODbL 1.0",
            "© OpenStreetMap contributors, ODbL",
            "COVGAP_OVERPASS_URL",
        ),
        Source(
            "osm_extract",
            "OpenStreetMap extract read locally (pyosmium)",
            "the user's .osm.pbf file",
            "ODbL 1.0",
            "© OpenStreetMap contributors, ODbL",
            "",
        ),
        Source(
            "geoboundaries",
            "geoBoundaries gbOpen administrative units",
            "https://www.geoboundaries.org",
            "CC BY 4.0 (gbOpen; each layer's own licence is in sources.json)",
            "geoBoundaries (Runfola et al. 2020, PLoS ONE 15(4): e0231866), www.geoboundaries.org",
            "COVGAP_GEOBOUNDARIES_URL",
        ),
        Source(
            "opencellid",
            "OpenCelliD cell export, MCC 452",
            "https://opencellid.org/ocid/downloads",
            "CC BY-SA 4.0",
            "© OpenCelliD contributors (Unwired Labs), CC BY-SA 4.0; crowdsourced cell "
            "positions are estimates, not the masts' surveyed positions",
            "COVGAP_OPENCELLID_URL",
        ),
    )
}


def base_url(key: str) -> str:
    """Return a source's base URL: ``$COVGAP_<KEY>_URL`` if set, else the public one."""
    source = SOURCES[key]
    return os.environ.get(source.env, "").strip().rstrip("/") or source.url


def _ns(lat: int) -> str:
    return f"N{lat:02d}" if lat >= 0 else f"S{-lat:02d}"


def _ew(lon: int) -> str:
    return f"E{lon:03d}" if lon >= 0 else f"W{-lon:03d}"


def degree_tiles(bounds: tuple[float, float, float, float], step: int = 1) -> list[tuple[int, int]]:
    """South-west corners ``(lat, lon)`` of the ``step``° tiles that cover ``bounds``.

    >>> degree_tiles((102.32, 21.69, 103.98, 22.81))
    [(21, 102), (21, 103), (22, 102), (22, 103)]
    >>> degree_tiles((102.32, 21.69, 103.98, 22.81), step=3)
    [(21, 102)]
    """
    west, south, east, north = bounds
    lats = range(
        math.floor(south / step) * step, math.ceil(north / step) * step, step
    )  # a bound on a tile edge does not pull in the next tile
    lons = range(math.floor(west / step) * step, math.ceil(east / step) * step, step)
    return [(lat, lon) for lat in lats for lon in lons]


def copernicus_tile(lat: int, lon: int) -> str:
    """Copernicus GLO-30 tile name of the 1° tile with SW corner ``(lat, lon)``.

    >>> copernicus_tile(22, 103)
    'Copernicus_DSM_COG_10_N22_00_E103_00_DEM'
    """
    return f"Copernicus_DSM_COG_10_{_ns(lat)}_00_{_ew(lon)}_00_DEM"


def copernicus_url(lat: int, lon: int) -> str:
    """URL of a Copernicus GLO-30 COG tile (a folder per tile on the public bucket)."""
    name = copernicus_tile(lat, lon)
    return f"{base_url('copernicus')}/{name}/{name}.tif"


def srtm_tile(lat: int, lon: int) -> str:
    """SRTM tile name (``N22E103``)."""
    return f"{_ns(lat)}{_ew(lon)}"


def srtm_url(lat: int, lon: int) -> str:
    """URL of a gzipped SRTM 1″ ``.hgt`` tile of the AWS Terrain Tiles (skadi layout)."""
    name = srtm_tile(lat, lon)
    return f"{base_url('srtm')}/skadi/{name[:3]}/{name}.hgt.gz"


def worldcover_tile(lat: int, lon: int) -> str:
    """ESA WorldCover 2021 tile name of the 3° tile that holds ``(lat, lon)``.

    >>> worldcover_tile(22, 103)
    'ESA_WorldCover_10m_2021_v200_N21E102_Map.tif'
    """
    lat3, lon3 = math.floor(lat / 3) * 3, math.floor(lon / 3) * 3
    return f"ESA_WorldCover_10m_2021_v200_{_ns(lat3)}{_ew(lon3)}_Map.tif"


def worldcover_tiles(bounds: tuple[float, float, float, float]) -> list[str]:
    """WorldCover tile names covering ``bounds`` (W, S, E, N)."""
    return [worldcover_tile(lat, lon) for lat, lon in degree_tiles(bounds, step=3)]


def worldcover_url(name: str) -> str:
    """URL of a WorldCover 2021 map tile."""
    return f"{base_url('worldcover')}/v200/2021/map/{name}"


def opencellid_url(token: str, mcc: int = 452) -> str:
    """URL of OpenCelliD's export of one country's cells (gzipped CSV, no header).

    The ``getInBox`` API answers at most a few km² per request, far less than a province,
    so covgap downloads the country's export once (cached) and cuts the area out of it.
    """
    query = urlencode({"token": token, "type": "mcc", "file": f"{mcc}.csv.gz"})
    return f"{base_url('opencellid')}?{query}"
