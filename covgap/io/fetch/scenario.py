"""``fetch_scenario``: from an area to the input files of a ready covgap scenario.

Nothing here runs unless asked: :func:`fetch_scenario` is called by ``covgap fetch``
only, never by ``covgap run`` or the pipeline.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd

from ...config import Radio
from ...errors import DataFileError, InputError
from .admin import LEVELS, admin_layers, geoboundaries_api_url
from .area import Area
from .cells import cells_to_sites, read_cells
from .download import Download, Fetcher, OfflineError, mask_secrets
from .osm import overpass_query, parse_overpass, places_table, power_layers
from .osm import roads_layer as _roads_layer
from .osm_file import elements_from_extract
from .rasters import dem_requests, expand_bounds, landcover_requests, mosaic
from .sources import SOURCES, base_url, opencellid_url
from .writers import write_csv, write_layers, write_scenario

__all__ = ["LAYERS", "FetchResult", "fetch_scenario"]

logger = logging.getLogger(__name__)

OSM_LAYERS = ("roads", "power", "places")
#: What ``--what`` may name.
LAYERS = ("dem", "landcover", "roads", "power", "places", "cells", "admin")
TOKEN_ENV = "OPENCELLID_API_KEY"
#: Where each output goes, relative to the output folder.
PATHS = {
    "dem": "dem/dem_{source}.tif",
    "landcover": "landcover/esa_worldcover_2021.tif",
    "roads": "roads/osm_roads.gpkg",
    "power": "power/osm_power.gpkg",
    "places": "villages/villages_draft_osm.csv",
    "cells": "bts_sites/sites_opencellid.csv",
    "admin": "admin/admin_units.gpkg",
}


@dataclass
class FetchResult:
    """What :func:`fetch_scenario` wrote and how it got the data."""

    scenario_file: Path
    files: dict[str, Path]
    downloads: list[Download]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def from_network(self) -> int:
        """How many files came over the network (downloaded or resumed) in this run."""
        return sum(d.how in ("downloaded", "resumed") for d in self.downloads)


@dataclass(frozen=True)
class _Request:
    layer: str
    name: str
    url: str
    data: bytes | None = None


def _requests(
    area: Area,
    what: set[str],
    dem_source: str,
    margin_km: float,
    cells_file: Path | None,
    osm_file: Path | None = None,
) -> list[_Request]:
    wide = expand_bounds(area.bounds, margin_km)
    reqs: list[_Request] = []
    if "dem" in what:
        reqs += [_Request("dem", n, u) for n, u in dem_requests(wide, dem_source)]
    if "landcover" in what:
        reqs += [_Request("landcover", n, u) for n, u in landcover_requests(wide)]
    from urllib.parse import urlencode

    for layer in ("roads", "power", "places"):
        if osm_file is not None:
            break
        if layer in what or (layer == "power" and "places" in what):
            query = overpass_query(layer, wide if layer == "power" else area.bounds)
            reqs.append(
                _Request(
                    layer,
                    f"overpass_{layer}.json",
                    base_url("overpass"),
                    urlencode({"data": query}).encode(),
                )
            )
    if "cells" in what and cells_file is None:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise InputError(
                f"cells: set the OpenCelliD API token in the environment variable {TOKEN_ENV} "
                "(free account at https://opencellid.org), or pass --cells FILE (an "
                "OpenCelliD/MLS CSV export), or leave cells out of --what"
            )
        reqs.append(_Request("cells", "452.csv.gz", opencellid_url(token)))
    return reqs


def _offline_message(fetcher: Fetcher, missing: list[_Request], reason: str) -> str:
    lines = [
        f"{reason}. Nothing was written to the output folder. Download these by hand and "
        "put them in "
        f"{fetcher.manual_dir} under the name given (or pass --dem FILE / --cells "
        "FILE, or leave layers out with --what):"
    ]
    for r in missing:
        how = (
            "POST the Overpass query in " + r.name.replace(".json", ".overpassql")
            if r.data
            else "GET"
        )
        lines.append(f"  {r.name}  <-  {mask_secrets(r.url)}  ({how})")
    if any(r.layer == "admin" for r in missing):
        lines.append(
            "  each geoBoundaries .api.json names a gjDownloadURL: save that GeoJSON there "
            "too, as geoBoundaries-VNM-ADM<n>.geojson"
        )
    return "\n".join(lines)


def _admin_requests(what: set[str]) -> list[_Request]:
    if "admin" not in what:
        return []
    return [
        _Request(
            "admin", f"geoBoundaries-VNM-{level}.api.json", geoboundaries_api_url("VNM", level)
        )
        for level, _ in LEVELS.values()
    ]


def _download_all(
    fetcher: Fetcher, reqs: list[_Request], later: list[_Request]
) -> dict[_Request, Download]:
    missing = [r for r in reqs + later if fetcher.cached(r.url, data=r.data, name=r.name) is None]
    got: dict[_Request, Download] = {}
    try:
        for r in reqs:
            try:
                got[r] = fetcher.get(r.url, name=r.name, data=r.data)
            except DataFileError as exc:
                # no DEM / land-cover tile over open sea: the others still make the mosaic
                if r.layer not in ("dem", "landcover") or "HTTP 404" not in str(exc):
                    raise
                logger.warning("%s: no such tile (HTTP 404), left out", r.name)
    except OfflineError as exc:
        for r in missing:  # queries to run by hand
            if r.data:
                from urllib.parse import parse_qs

                query = parse_qs(r.data.decode())["data"][0]
                (fetcher.manual_dir / r.name.replace(".json", ".overpassql")).write_text(
                    query, encoding="utf-8"
                )
        raise OfflineError(_offline_message(fetcher, missing, str(exc))) from exc
    return got


def fetch_scenario(
    out_dir: str | Path,
    area: Area,
    *,
    what: tuple[str, ...] = LAYERS,
    fetcher: Fetcher | None = None,
    dem_source: str = "copernicus",
    margin_km: float | None = None,
    dem_files: tuple[Path, ...] = (),
    cells_file: Path | None = None,
    osm_file: Path | None = None,
) -> FetchResult:
    """Download (or take from the cache) every open layer of ``area`` and write a scenario.

    Parameters
    ----------
    out_dir
        Folder for the inputs and ``scenario.toml`` (``covgap run --config`` reads it).
    area
        :func:`~covgap.io.fetch.area.resolve_area` result.
    what
        Layers to fetch, some of :data:`LAYERS`.
    fetcher
        Downloader (cache, throttle, progress); a default one in the user's cache if None.
    dem_source
        ``"copernicus"`` (GLO-30) or ``"srtm"`` (SRTM 1″).
    margin_km
        Border around the area for the DEM, land cover, power lines and cells: sites that
        far away still serve the area's villages (default: ``Radio().max_range_km``).
    dem_files
        DEM files of the user's own: used instead of downloading one.
    cells_file
        A local OpenCelliD/MLS CSV export instead of the OpenCelliD download.
    osm_file
        A local OpenStreetMap extract (``.osm.pbf``) instead of the Overpass API.

    Returns
    -------
    FetchResult

    Raises
    ------
    OfflineError
        The network cannot be reached; the message lists what to download by hand.
    """
    unknown = set(what) - set(LAYERS)
    if unknown:
        raise InputError(f"--what: unknown layer(s) {sorted(unknown)}; use some of {LAYERS}")
    want = set(what) - ({"dem"} if dem_files else set())
    fetcher = fetcher or Fetcher()
    margin_km = Radio().max_range_km if margin_km is None else float(margin_km)
    wide = expand_bounds(area.bounds, margin_km)
    reqs = _requests(area, want, dem_source, margin_km, cells_file, osm_file)
    got = _download_all(fetcher, reqs, _admin_requests(want))
    by_layer: dict[str, list[Download]] = {}
    for r, d in got.items():
        by_layer.setdefault(r.layer, []).append(d)
    for layer in {"dem", "landcover"} & {r.layer for r in reqs} - set(by_layer):
        raise DataFileError(f"{layer}: the source has no tile for {area.name} (all HTTP 404)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    counts: dict[str, int] = {}
    if "dem" in by_layer:
        files["dem"] = mosaic(
            by_layer["dem"],
            wide,
            out / PATHS["dem"].format(source=dem_source),
            fetcher=fetcher,
            source=dem_source,
        )
    if "landcover" in by_layer:
        files["landcover"] = mosaic(
            by_layer["landcover"],
            wide,
            out / PATHS["landcover"],
            fetcher=fetcher,
            source="worldcover",
            nodata=0,
        )
    admin_meta: dict = {}
    if "admin" in want:
        units, admin_meta = admin_layers(area, fetcher)
        if area.boundary is None and "province" in units and len(units["province"]) == 1:
            area = replace(area, boundary=units["province"][["geometry"]].assign(name=area.name))
        files["admin"] = write_layers(out / PATHS["admin"], units, source="geoboundaries")
        counts.update({f"admin_{k}": len(v) for k, v in units.items()})
    elif area.boundary is not None:
        files["admin"] = write_layers(
            out / PATHS["admin"], {"province": area.boundary}, source=None
        )
    osm_source = "osm_extract" if osm_file else "overpass"
    osm = _osm_elements(by_layer, osm_file, area, wide, want)
    _write_osm(out, osm, set(what), area, files, counts, osm_source)
    if "cells" in what:
        source = cells_file if cells_file is not None else by_layer["cells"][0].path
        sites, cell_counts = cells_to_sites(read_cells(Path(source)), wide)
        sites["source"] = SOURCES["opencellid"].attribution
        files["cells"] = write_csv(out / PATHS["cells"], sites)
        counts.update(cell_counts)
    origin = {
        "dem": dem_source,
        "landcover": "worldcover",
        "cells": "opencellid",
        "admin": "geoboundaries",
    } | dict.fromkeys(OSM_LAYERS, osm_source)
    user_files = {"dem": tuple(dem_files), "cells": cells_file, "osm": osm_file}
    scenario_file = write_scenario(
        out, area, files, fetcher.log, counts, user_files, margin_km, origin, admin_meta
    )
    return FetchResult(scenario_file, files, list(fetcher.log), counts)


def _osm_elements(
    by_layer: dict[str, list[Download]],
    osm_file: Path | None,
    area: Area,
    wide: tuple[float, float, float, float],
    want: set[str],
) -> dict[str, list[dict]]:
    """Overpass answers, or the extract's objects, per OSM layer (power over the margin)."""
    if osm_file is None:
        return {k: parse_overpass(v[0].path) for k, v in by_layer.items() if k in OSM_LAYERS}
    elements = elements_from_extract(Path(osm_file), wide)
    w, s, e, n = area.bounds

    def inner(el: dict) -> bool:
        points = el.get("geometry") or [el]
        return any(w <= p["lon"] <= e and s <= p["lat"] <= n for p in points)

    out = {k: [el for el in elements if inner(el)] for k in ("roads", "places") if k in want}
    if want & {"power", "places"}:
        out["power"] = elements
    return out


def _write_osm(
    out: Path,
    osm: dict[str, list[dict]],
    what: set[str],
    area: Area,
    files: dict[str, Path],
    counts: dict[str, int],
    source: str,
) -> None:
    """Write the roads, power and draft-village layers (stamped with ``source``)."""
    power = power_layers(osm["power"]) if "power" in osm else None
    if power is not None and "power" in what:
        layers = {"lines": power[0], "substations": power[1]}
        files["power"] = write_layers(out / PATHS["power"], layers, source=source)
        counts["power_lines"], counts["substations"] = len(power[0]), len(power[1])
    if "roads" in osm:
        roads = _roads_layer(osm["roads"])
        files["roads"] = write_layers(out / PATHS["roads"], {"roads": roads}, source=source)
        counts["roads"] = len(roads)
    if "places" in osm:
        places = places_table(osm["places"], power=power)
        if area.boundary is not None and len(places):
            inside = gpd.points_from_xy(places["lon"], places["lat"]).within(
                area.boundary.geometry.iloc[0]
            )
            places = places[inside]
        files["places"] = write_csv(out / PATHS["places"], places)
        counts["villages_draft"] = len(places)
