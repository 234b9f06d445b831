"""Interactive coverage map of the province (folium / Leaflet).

:func:`coverage_map` draws the classified villages (one layer per class; covered villages
clustered at low zoom), the BTS sites (one layer per carrier, one marker per physical site,
sector wedges when zoomed in), district and commune boundaries, a hillshade of the DEM,
the best-server signal overlays and the white and low-signal zones when given,
the request-list villages, and a legend and a title block that state the thresholds and
the scenario. Clicking (or finding with the search box) a village draws a line to its
serving site, a dashed line to its nearest site and the obstacle that blocks the signal.
:func:`save_map` writes the HTML atomically and can inline Leaflet and its plugins for
offline use.

Size and speed: each layer is compact JSON (coordinates rounded to 5 decimals, about
1 m; sectors as ``[azimuth, beamwidth, kind]``; popups as value arrays with one label
array per layer) that the page's script (``covgap/outputs/web/covgap/map.js``) turns into
canvas markers, clusters and wedges; the hillshade is an 8-bit PNG in Web Mercator.
With the area prediction (``rasters=``, ``zones=``; :mod:`covgap.outputs.map_layers`), the
best-server signal layers are colour-ramped palette PNGs on the same path (reprojected to
EPSG:3857, an ``L.imageOverlay`` each, transparent where no site reaches, ~60 kB each for
the sample province) with a dBm ramp in the legend that states the thresholds, and the
white and low-signal zones are simplified GeoJSON polygons with popups.

Safety: every text that comes from an input file is HTML-escaped in Python before it
reaches the page (Leaflet popups, tooltips, the layer control and the search list insert
their content as HTML), and the embedded JSON cannot close its ``<script>`` element.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..config import Thresholds
from ..errors import DataFileError, InputError
from ..io.atomic import atomic_path
from ..io.locale import check_lang
from ..schema import CARRIERS, CLASSES
from .labels import label
from .map_elements import (
    _VILLAGE_ROWS,
    CARRIER_COLOURS,
    CLASS_COLOURS,
    CLASS_RADIUS,
    GAP_PANE,
    GAP_Z,
    LEAFLET_CSS,
    LEAFLET_JS,
    OTHER_CARRIER_COLOUR,
    _element_classes,
    _esc,
    _helpers,
    _html,
    _inline_leaflet,
    _layer,
    _leaflet_dir,
    _legend_html,
    _num,
    _present,
    _row_labels,
    _title_html,
    _tools,
    _village_values,
)
from .map_layers import (
    area_inputs,
    area_legend_html,
    location_margin,
    signal_layers,
    signal_png,
    zone_layers,
)

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from ..analysis.result import Result
    from ..io.terrain import Terrain
    from ..radio.rasters import AreaRasters

__all__ = [
    "CARRIER_COLOURS",
    "CLASS_COLOURS",
    "coverage_map",
    "relief_png",
    "result_map",
    "save_map",
    "signal_png",
]

logger = logging.getLogger(__name__)

#: Decimals kept in coordinates (1e-5 degree is about 1 m).
COORD_DECIMALS = 5
#: Douglas–Peucker tolerance for boundaries, degrees (about 150 m; a few pixels at zoom 12).
SIMPLIFY_DEG = 0.0015
#: Longest side of the hillshade image, pixels (the DEM is decimated to fit).
RELIEF_MAX_PX = 1000
#: Grey levels of the hillshade image.
RELIEF_LEVELS = 16
#: Opacity of the hillshade, blended by multiplication over the basemap.
RELIEF_OPACITY = 0.55
#: Length of the longest (lowest band) and shortest sector wedge, metres.
WEDGE_MAX_M, WEDGE_MIN_M = 600.0, 200.0
#: Ring around the request-list villages.
REQUEST_RING = {"radius": 10, "color": "#7B2CBF", "weight": 2.5, "fill": False,
                "interactive": False, "pane": GAP_PANE, "z": GAP_Z}  # fmt: skip
#: Villages to check in the field (calibrated scenarios): a dashed black ring, wider.
FIELD_CHECK_RING = {"radius": 14, "color": "#000000", "weight": 2, "dashArray": "4 3",
                    "fill": False, "interactive": False, "pane": GAP_PANE, "z": GAP_Z}  # fmt: skip
#: Carto's light basemap (OpenStreetMap data).
LIGHT_TILES = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"
LIGHT_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
    '&copy; <a href="https://carto.com/attributions">CARTO</a>'
)

# Rows of a site popup (label keys); values are built by _site_layers in this order.
_SITE_ROWS = ("site_id", "carrier", "height_m", "technologies", "bands", "sectors")
_TOOL_TEXTS = {
    "search": "map_search", "not_found": "map_search_none", "cancel": "map_cancel",
    "fullscreen": "map_fullscreen", "fullscreen_exit": "map_fullscreen_exit",
    "measure": "map_measure", "minimap_show": "map_minimap_show",
    "minimap_hide": "map_minimap_hide",
}  # fmt: skip


def result_map(
    result: Result,
    *,
    lang: str = "vi",
    highlight: Any = "request",
    extra_layers: Iterable[Any] = (),
) -> folium.Map:
    """Interactive map of one analysis: villages, sites, boundaries, hillshade, tools.

    Parameters
    ----------
    result
        A finished analysis (:func:`covgap.pipeline.run`).
    lang
        ``"vi"`` or ``"en"``.
    highlight
        Village ids to ring on the map; ``"request"`` (default) rings the request list
        (:func:`covgap.analysis.priority.request_ids`), ``None`` none.
    extra_layers
        More layers (e.g. the measurements of a calibration), as for :func:`coverage_map`.

    Returns
    -------
    folium.Map
        Shows inline in Jupyter; save it with :func:`save_map`.
    """
    from ..analysis.priority import request_ids

    if isinstance(highlight, str) and highlight == "request":
        highlight = request_ids(result.villages)
    # the map states the thresholds itself, in the map's language; the title is the map's
    # own (in that language), the scenario's name one of the facts under it
    info = {k: v for k, v in result.info().items() if k != "thresholds"}
    extra_layers = [*_field_check_layers(result, lang), *extra_layers]
    return coverage_map(
        result.villages,
        result.sites,
        districts=result.districts,
        communes=result.communes,
        thresholds=result.scenario.thresholds,
        lang=lang,
        info=info,
        terrain=result.terrain,
        highlight=highlight,
        rasters=result.rasters,
        zones=result.zones,
        extra_layers=extra_layers,
    )


def coverage_map(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    districts: gpd.GeoDataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
    thresholds: Thresholds = Thresholds(),
    lang: str = "vi",
    title: str | None = None,
    info: Mapping[str, Any] | None = None,
    terrain: Terrain | None = None,
    highlight: Iterable[Any] | None = None,
    cluster: Iterable[str] = ("covered",),
    rasters: AreaRasters | None = None,
    zones: gpd.GeoDataFrame | None = None,
    extra_layers: Iterable[Any] = (),
    extra_legend_html: str | None = None,
) -> folium.Map:
    """Draw the classified villages, the BTS sites, the terrain and the boundaries.

    The page has OpenStreetMap and a light basemap (and "no basemap" for offline use),
    switchable layers, popups and tooltips in ``lang``, a village search that ignores
    Vietnamese diacritics, full-screen, an overview map, a distance tool, the legend and
    the title block.

    Parameters
    ----------
    villages
        Classified villages (:func:`covgap.analysis.classify.classify_villages`): points with
        ``coverage_class`` and the explanation columns of the design contract; missing
        optional columns are left out of the popups.
    sites
        Site table, one row per sector; drawn as one marker per ``(carrier, site_id)``
        and, when zoomed in, one wedge per sector (``azimuth_deg`` ±
        ``beamwidth_deg``/2, longer for lower bands; a circle for omni sectors).
    districts, communes
        Boundary polygons with a ``district`` / ``commune`` (or ``name``) column. Communes
        are off when the map opens.
    thresholds
        The thresholds the classes were made with; the legend states them.
    lang
        ``"vi"`` or ``"en"`` for every label.
    title
        Title of the map; default: a title in ``lang``.
    info
        Scenario facts for the title block: ``model``, ``date``, ``data``, ``scenario``,
        ``synthetic`` (bool; a prominent notice when true) and any other key, shown as is.
    terrain
        The DEM; drawn as a hillshade overlay (:func:`relief_png`) so the terrain is
        readable without web tiles.
    highlight
        ``village_id`` values to ring (e.g. a request list); ids not in ``villages`` are
        ignored.
    cluster
        Classes whose villages are grouped into numbered circles at low zoom (none
        below zoom 13). By default only the covered villages, so that every gap stays
        visible at the province scale.
    rasters
        Best-server rasters (:func:`covgap.radio.parallel.predict_area`, or read back from
        COGs): drawn as colour-ramped signal overlays with a dBm ramp in the legend that
        states the thresholds: "any carrier" 4G (on), 4G per carrier, "any carrier" 3G
        and 2G (off). Transparent where no site reaches.
    zones
        White and low-signal zones (:func:`covgap.analysis.zones.area_zones`: its zone pieces, or
        the ``(zones, summary)`` pair): one layer per class with popups (area, villages,
        households and people inside, district and commune).
    extra_layers
        More folium layers (e.g. a plan's proposed sites and backhaul routes,
        :func:`covgap.plan.map.plan_map`), added after the map's own layers so that
        they are listed in the layer control. Their texts must be HTML-escaped already.
    extra_legend_html
        Ready-made (escaped) HTML shown in the legend's compact box after the classes.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        ``lang`` is unknown, ``coverage_class`` is missing or holds an unknown class,
        or ``cluster`` names an unknown class.
    """
    import folium

    check_lang(lang)
    villages = _to_wgs84(villages, "villages")
    sites = _to_wgs84(sites, "sites")
    _check_classes(villages)
    clustered = _check_cluster(cluster)
    ids = _highlight_ids(villages, highlight)
    # a folium.Map that a notebook shows with Leaflet inlined (no CDN), as save_map writes it
    m = _element_classes()["map"](
        tiles=None, prefer_canvas=True, control_scale=True, zoom_snap=0.25
    )
    # The map uses Leaflet and covgap's plugins only: no jQuery, Bootstrap or icon fonts.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    m.add_child(_helpers())
    _base_layers(m, lang)
    relief = _relief_layer(terrain, lang).add_to(m) if terrain is not None else None
    rasters, zones = area_inputs(rasters, zones)
    if rasters is not None:
        for layer in signal_layers(rasters, thresholds, lang):
            layer.add_to(m)
    district_layer = None
    if districts is not None:
        district_layer = _boundary_layer(
            districts, "district", label("layer_districts", lang), True
        )
        district_layer.add_to(m)
    if communes is not None:
        _boundary_layer(communes, "commune", label("layer_communes", lang), False).add_to(m)
    if zones is not None:
        for layer in zone_layers(zones, lang):
            layer.add_to(m)
    kinds, kind_index = _wedge_kinds(sites)
    for layer in _site_layers(sites, lang, kinds, kind_index):
        layer.add_to(m)
    for cls in CLASSES:
        _village_layer(villages, cls, lang, cluster=cls in clustered, highlight=ids).add_to(m)
    if ids:
        _request_layer(villages, ids, lang).add_to(m)
    for layer in extra_layers:
        layer.add_to(m)
    # collapsed (opens on hover or tap): expanded, its ~18 entries cover a laptop screen
    folium.LayerControl(collapsed=True).add_to(m)
    tools = {k: _esc(label(v, lang)) for k, v in _TOOL_TEXTS.items()}
    config: dict[str, Any] = {"text": tools, "decimal": "," if lang == "vi" else "."}
    extents = [villages.total_bounds] if len(villages) else []
    if districts is not None and len(districts):
        extents.append(_to_wgs84(districts, "districts").total_bounds)
    if extents:
        # the opening view: the province (its districts) and every village, clear of the
        # title, legend and controls (the page measures the boxes and picks the padding
        # that keeps the largest zoom)
        box = np.array(extents, dtype=float)
        x0, y0 = np.nanmin(box[:, :2], axis=0)
        x1, y1 = np.nanmax(box[:, 2:], axis=0)
        config["bounds"] = [[float(y0), float(x0)], [float(y1), float(x1)]]
    m.add_child(_tools(config, relief, district_layer))
    area = area_legend_html(
        thresholds, lang, margin=location_margin(rasters),
        signal=rasters is not None and bool(rasters.signal), zones=zones is not None,
    )  # fmt: skip
    legend = _legend_html(
        thresholds, lang, wedge_kinds=kinds, highlight=bool(ids), area=area,
        extra=extra_legend_html or "",
    )  # fmt: skip
    m.add_child(_html(legend))
    m.add_child(_html(_title_html(title, info or {}, thresholds, lang, len(villages))))
    return m


def relief_png(terrain: Terrain, *, max_px: int = RELIEF_MAX_PX) -> tuple[bytes, list[list[float]]]:
    """Hillshade of the DEM as an 8-bit PNG in Web Mercator, for a map overlay.

    The DEM is decimated so that the image's longer side is at most ``max_px``, shaded
    (:func:`covgap.io.terrain.hillshade`), reprojected to EPSG:3857 (so that it lines up
    with web tiles at every latitude) and scaled so that flat and sunlit ground is white
    and shadows are grey: multiplied over a basemap it darkens only the shadows.
    Cells without data are white.

    Parameters
    ----------
    terrain
        The DEM, in any CRS.
    max_px
        Longest side of the decimated grid, pixels.

    Returns
    -------
    png : bytes
        The image.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees, as ``L.imageOverlay`` takes them.
    """
    from PIL import Image
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    from ..io.terrain import hillshade

    rows, cols = terrain.shape
    step = max(1, math.ceil(max(rows, cols) / (2 * max_px)))  # shade at up to 2x the output
    shade = hillshade(terrain, step=step).astype(np.float32)
    src_transform = terrain.transform * terrain.transform.scale(step)
    height, width = shade.shape
    dst_transform, dst_w, dst_h = calculate_default_transform(
        terrain.crs, "EPSG:3857", width, height, *_bounds(src_transform, width, height)
    )
    scale = max(1.0, max(dst_w, dst_h) / max_px)
    dst_w, dst_h = round(dst_w / scale), round(dst_h / scale)
    dst_transform = dst_transform * dst_transform.scale(scale)
    out = np.full((dst_h, dst_w), np.nan, dtype=np.float32)
    reproject(
        shade, out, src_transform=src_transform, src_crs=terrain.crs, src_nodata=np.nan,
        dst_transform=dst_transform, dst_crs="EPSG:3857", dst_nodata=np.nan,
        resampling=Resampling.average,
    )  # fmt: skip
    flat = math.sin(math.radians(45.0))  # light on level ground (the sun at 45 degrees)
    grey = 70.0 + 185.0 * np.clip(out / flat, 0.0, 1.0) ** 1.3
    # a few grey levels compress several times better and look the same under the basemap
    levels = 255.0 / (RELIEF_LEVELS - 1)
    grey = np.where(np.isnan(out), 255.0, np.round(grey / levels) * levels)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), mode="L").save(
        buffer, "PNG", optimize=True
    )
    west, south, east, north = _bounds(dst_transform, dst_w, dst_h)
    to_wgs84 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_wgs84.transform([west, east], [south, north])
    logger.debug("relief %dx%d px, %.0f kB", dst_w, dst_h, buffer.tell() / 1e3)
    return buffer.getvalue(), [[round(lat0, 6), round(lon0, 6)], [round(lat1, 6), round(lon1, 6)]]


def save_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    inline_assets: bool | str | os.PathLike[str] = False,
) -> Path:
    """Write the map's HTML to ``path`` atomically.

    The page is written to a temporary file in the same folder and moved over ``path``
    with :func:`os.replace`, so an existing file is replaced only when the new one is
    complete.

    Parameters
    ----------
    m
        A map from :func:`coverage_map` (or any folium map).
    path
        The HTML file; missing parent folders are created.
    inline_assets
        ``False``: link Leaflet from its CDN (the page needs internet). ``True``: copy
        Leaflet's JavaScript and CSS (with its images as data URIs) into the page from the
        ``xstatic-leaflet`` package, so it works offline. A folder: take ``leaflet.js`` and
        ``leaflet.css`` from it (e.g. ``package/dist`` of ``npm pack leaflet@1.9.3``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataFileError
        The file cannot be written, or the Leaflet files to inline are not found.
    """
    path = Path(path)
    page = m.get_root().render()
    if inline_assets is not False:
        page = _inline_leaflet(page, _leaflet_dir(inline_assets))
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write the map: {exc}") from exc
    logger.info("wrote %s (%.0f kB)", path, len(page.encode()) / 1e3)
    return path


# --- layers -------------------------------------------------------------------------


def _base_layers(m: folium.Map, lang: str) -> None:
    import folium

    folium.TileLayer("OpenStreetMap", name=label("map_base_osm", lang)).add_to(m)
    folium.TileLayer(
        LIGHT_TILES, name=label("map_base_light", lang), attr=LIGHT_ATTRIBUTION,
        subdomains="abcd", max_zoom=20, show=False,
    ).add_to(m)  # fmt: skip
    _layer(None, name=label("map_base_none", lang), kind="blank", overlay=False, show=False).add_to(
        m
    )


def _relief_layer(terrain: Terrain, lang: str) -> Any:
    png, bounds = relief_png(terrain)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return _layer(
        url,
        name=_esc(label("map_layer_relief", lang)),
        kind="relief",
        options={"bounds": bounds, "opacity": RELIEF_OPACITY},
    )


def _village_layer(
    villages: gpd.GeoDataFrame, cls: str, lang: str, *, cluster: bool, highlight: set[str]
) -> Any:
    part = villages[villages["coverage_class"] == cls]
    props = []
    for row in _records(part):
        values = _village_values(row, lang)
        listed = _present(row.get("village_id")) and str(row["village_id"]) in highlight
        values.append(_esc(label("map_in_request_list", lang)) if listed else None)
        p = {"t": _esc(row.get("name", "")), "v": values}
        links = _village_links(row)
        if links is not None:
            p["l"] = links
        props.append(p)
    colour = CLASS_COLOURS[cls]
    gap = cls != "covered"
    style = {
        "radius": CLASS_RADIUS[cls],
        "color": "#1A1A1A" if gap else colour,
        "weight": 1.2 if gap else 0.5,
        "fillColor": colour,
        "fillOpacity": 0.95 if gap else 0.8,
    }
    options = {"style": style, "cluster": cluster, "communeRow": _VILLAGE_ROWS.index("commune")}
    if gap and not cluster:  # above the site markers and the covered villages' clusters
        options.update(pane=GAP_PANE, z=GAP_Z)
    name = label("layer_villages", lang).format(cls=label(cls, lang)) + f" ({len(part)})"
    return _layer(
        _point_collection(part.geometry, props),
        name=_esc(name),
        kind="villages",
        options=options,
        rows=_row_labels(_VILLAGE_ROWS, lang),
    )


def _village_links(row: Mapping[str, Any]) -> list[Any] | None:
    """Return ``[serving site, nearest site, obstacle lat, obstacle lon]`` or None."""

    def key(site: str, carrier: str) -> str | None:
        if not _present(row.get(site)):
            return None
        return f"{_esc(row.get(carrier))}|{_esc(row[site])}"

    def coord(col: str) -> float | None:
        value = row.get(col)
        return round(float(value), COORD_DECIMALS) if _present(value) else None

    links = [
        key("best_site_id", "best_carrier"),
        key("nearest_site_id", "nearest_site_carrier"),
        coord("obstacle_lat"),
        coord("obstacle_lon"),
    ]
    return None if all(v is None for v in links) else links


def _field_check_layers(result: Result, lang: str) -> list[Any]:
    """Ring the villages to check in the field when the scenario is calibrated."""
    from ..analysis.calibrate import field_check_of

    table = field_check_of(result)
    if table is None or not table["field_check"].any():
        return []
    ids = set(table.loc[table["field_check"], "village_id"].astype(str))
    part = result.villages[result.villages["village_id"].astype(str).isin(ids)]
    coords = np.round(np.column_stack([part.geometry.x, part.geometry.y]), COORD_DECIMALS)
    name = f"{label('map_layer_field_check', lang)} ({len(part)})"
    return [_layer(coords.tolist(), name=_esc(name), kind="rings", options=FIELD_CHECK_RING)]


def _request_layer(villages: gpd.GeoDataFrame, ids: set[str], lang: str) -> Any:
    part = villages[villages["village_id"].astype(str).isin(ids)]
    coords = np.round(np.column_stack([part.geometry.x, part.geometry.y]), COORD_DECIMALS)
    name = f"{label('map_layer_request', lang)} ({len(part)})"
    return _layer(coords.tolist(), name=_esc(name), kind="rings", options=REQUEST_RING)


def _wedge_kinds(
    sites: gpd.GeoDataFrame,
) -> tuple[list[tuple[float, str, str | None]], dict[tuple[str, float], int]]:
    """Wedge length and (escaped) label per (technology, band): lower bands get longer ones."""
    if sites.empty or "technology" not in sites:
        return [], {}
    freq = sites["freq_mhz"] if "freq_mhz" in sites else pd.Series(np.nan, index=sites.index)
    pairs = sorted(
        {(str(t), float(f)) for t, f in zip(sites["technology"], freq, strict=True) if _present(t)},
        key=lambda tf: (tf[0], -1.0 if math.isnan(tf[1]) else tf[1]),
    )
    lengths = np.linspace(WEDGE_MAX_M, WEDGE_MIN_M, len(pairs)) if len(pairs) > 1 else [400.0]
    kinds = [
        (round(float(r), -1), _esc(f"{t} {f:g} MHz" if not math.isnan(f) else t), None)
        for (t, f), r in zip(pairs, lengths, strict=True)
    ]
    return kinds, {tf: i for i, tf in enumerate(pairs)}


def _site_layers(
    sites: gpd.GeoDataFrame,
    lang: str,
    kinds: list[tuple[float, str, str | None]],
    kind_index: dict[tuple[str, float], int],
) -> list[Any]:
    if sites.empty:
        return []
    sites = sites.assign(_x=sites.geometry.x, _y=sites.geometry.y)
    for col in ("technology", "freq_mhz", "height_m", "sector_id", "azimuth_deg"):
        if col not in sites:
            sites[col] = np.nan
    if "beamwidth_deg" not in sites:
        sites["beamwidth_deg"] = np.where(sites["azimuth_deg"].isna(), 360.0, 65.0)
    carriers = list(pd.unique(sites["carrier"].astype(str)))
    ordered = [c for c in CARRIERS if c in carriers] + [c for c in carriers if c not in CARRIERS]
    layers = []
    for carrier in ordered:
        part = sites[sites["carrier"].astype(str) == carrier]
        grouped = part.groupby("site_id", sort=True, dropna=False)
        agg = grouped.agg(
            _x=("_x", "first"),
            _y=("_y", "first"),
            height_m=("height_m", "max"),
            n=("site_id", "size"),
        )
        techs = grouped["technology"].agg(_technologies)
        bands = grouped["freq_mhz"].agg(_bands)
        wedges = _sector_wedges(part, kind_index)
        props = [
            {
                "t": _esc(site_id),
                "k": f"{_esc(carrier)}|{_esc(site_id)}",
                "v": [
                    _esc(site_id),
                    _esc(carrier),
                    _num(agg.at[site_id, "height_m"], 0, lang, " m"),
                    _esc(techs[site_id]) or None,
                    _esc(bands[site_id]) or None,
                    str(int(agg.at[site_id, "n"])),
                ],
                "w": wedges.get(site_id, []),
            }
            for site_id in agg.index
        ]
        coords = np.column_stack([agg["_x"].to_numpy(float), agg["_y"].to_numpy(float)])
        colour = CARRIER_COLOURS.get(carrier, OTHER_CARRIER_COLOUR)
        name = label("layer_sites", lang).format(carrier=carrier) + f" ({len(agg)})"
        layers.append(
            _layer(
                _point_collection(coords, props),
                name=_esc(name),
                kind="sites",
                options={"colour": colour, "kinds": kinds},
                rows=_row_labels(_SITE_ROWS, lang),
            )
        )
        logger.debug("%s: %d sites from %d sectors", carrier, len(agg), len(part))
    return layers


def _sector_wedges(
    part: pd.DataFrame, kind_index: dict[tuple[str, float], int]
) -> dict[Any, list[list[Any]]]:
    """``site_id -> [[azimuth or None, beamwidth, kind], ...]``, longest wedges first."""
    wedges: dict[Any, set[tuple[Any, ...]]] = {}
    columns = ["site_id", "technology", "freq_mhz", "azimuth_deg", "beamwidth_deg"]
    for site_id, tech, freq, az, bw in part[columns].itertuples(index=False):
        kind = kind_index.get((str(tech), float(freq) if _present(freq) else math.nan))
        if kind is None:
            kind = next((i for (t, _), i in kind_index.items() if t == str(tech)), None)
        if kind is None:
            continue
        omni = not _present(az) or not _present(bw) or float(bw) >= 360
        entry = (None, 360) if omni else (round(float(az)) % 360, round(float(bw)))
        wedges.setdefault(site_id, set()).add((*entry, kind))
    return {
        site: [list(w) for w in sorted(ws, key=lambda w: (w[2], w[0] if w[0] is not None else -1))]
        for site, ws in wedges.items()
    }


def _boundary_layer(gdf: gpd.GeoDataFrame, column: str, name: str, show: bool) -> Any:
    import shapely

    gdf = _to_wgs84(gdf, name)
    col = column if column in gdf else ("name" if "name" in gdf else None)
    geoms = shapely.simplify(gdf.geometry.to_numpy(), SIMPLIFY_DEG, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    names = gdf[col].tolist() if col else [""] * len(gdf)
    features = [
        {"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {"t": _esc(n)}}
        for g, n in zip(geoms, names, strict=True)
        if g is not None and not g.is_empty
    ]
    major = column == "district"
    style = {
        "color": "#333333" if major else "#777777",
        "weight": 2.5 if major else 1,
        "dashArray": None if major else "4 3",
        "fill": not major,
        "fillOpacity": 0,
        "interactive": not major,
    }
    tooltip = (
        {"permanent": True, "direction": "center", "className": "cg-label"}
        if major
        else {"sticky": True}
    )
    return _layer(
        {"type": "FeatureCollection", "features": features},
        name=_esc(name),
        kind="area",
        options=style,
        tooltip=tooltip,
        show=show,
    )


# --- helpers -------------------------------------------------------------------------


def _technologies(values: pd.Series) -> str:
    return " ".join(sorted(values.dropna().astype(str).unique()))


def _bands(values: pd.Series) -> str:
    bands = sorted({int(v) for v in values if _present(v)})
    return " ".join(str(b) for b in bands)


def _records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    return gdf.drop(columns="geometry").to_dict("records")


def _point_collection(points: Any, props: list[dict[str, Any]]) -> dict[str, Any]:
    if hasattr(points, "x"):
        points = np.column_stack([points.x.to_numpy(float), points.y.to_numpy(float)])
    coords = np.round(np.asarray(points, dtype=float).reshape(-1, 2), COORD_DECIMALS).tolist()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": xy}, "properties": p}
        for xy, p in zip(coords, props, strict=True)
    ]}  # fmt: skip


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        logger.debug("%s: reprojecting from %s to EPSG:4326", what, gdf.crs)
        gdf = gdf.to_crs(4326)
    return gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]


def _check_classes(villages: gpd.GeoDataFrame) -> None:
    if "coverage_class" not in villages:
        raise InputError(
            "villages: no 'coverage_class' column; map the output of "
            "covgap.analysis.classify.classify_villages"
        )
    bad = sorted(set(villages["coverage_class"].dropna().astype(str)) - set(CLASSES))
    if bad or villages["coverage_class"].isna().any():
        raise InputError(
            f"villages: coverage_class must be one of {', '.join(CLASSES)}; "
            f"found {bad or ['missing values']}"
        )


def _check_cluster(cluster: Iterable[str]) -> set[str]:
    chosen = {cluster} if isinstance(cluster, str) else set(cluster)
    bad = sorted(chosen - set(CLASSES))
    if bad:
        raise InputError(f"cluster: unknown class {bad}; use some of {', '.join(CLASSES)}")
    return chosen


def _highlight_ids(villages: gpd.GeoDataFrame, highlight: Iterable[Any] | None) -> set[str]:
    if highlight is None or "village_id" not in villages:
        return set()
    wanted = {highlight} if isinstance(highlight, str) else {str(v) for v in highlight}
    present = wanted & set(villages["village_id"].astype(str))
    if len(present) < len(wanted):
        logger.warning(
            "highlight: %d of %d village ids are not on the map", len(wanted - present), len(wanted)
        )
    return present


def _bounds(transform: Any, width: int, height: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a north-up grid."""
    return (
        transform.c,
        transform.f + height * transform.e,
        transform.c + width * transform.a,
        transform.f,
    )
