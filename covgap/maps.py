"""Interactive coverage map of the province (folium / Leaflet).

:func:`coverage_map` draws the classified villages (one layer per class), the BTS sites
(one layer per carrier, one marker per physical site), district and commune boundaries, a
legend that states the thresholds and a title block that states the scenario.
:func:`save_map` writes the HTML atomically and can inline Leaflet for offline use.

Size and speed: each layer is a single ``L.geoJson`` with compact per-feature properties
(coordinates rounded to 5 decimals, about 1 m) drawn on a canvas renderer; popups are
built in the browser from a label array shared by the layer. This is several times smaller
and faster to open than one ``folium.CircleMarker`` per village.

Safety: every text that comes from an input file is HTML-escaped in Python before it
reaches the page (Leaflet popups, tooltips and the layer control insert their content as
HTML), and the embedded JSON cannot close its ``<script>`` element.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._map_elements import (
    _VILLAGE_ROWS,
    CARRIER_COLOURS,
    CLASS_COLOURS,
    CLASS_RADIUS,
    LEAFLET_CSS,
    LEAFLET_JS,
    OTHER_CARRIER_COLOUR,
    _esc,
    _geojson_layer,
    _helpers,
    _html,
    _inline_leaflet,
    _leaflet_dir,
    _legend_html,
    _num,
    _present,
    _row_labels,
    _title_html,
    _village_values,
)
from .config import Thresholds
from .errors import DataFileError, InputError
from .labels import check_lang, label
from .schema import CARRIERS, CLASSES

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = [
    "CARRIER_COLOURS",
    "CLASS_COLOURS",
    "coverage_map",
    "save_map",
]

logger = logging.getLogger(__name__)

#: Decimals kept in coordinates (1e-5 degree is about 1 m).
COORD_DECIMALS = 5
#: Douglas–Peucker tolerance for boundaries, degrees (about 50 m).
SIMPLIFY_DEG = 0.0005

# Rows of a site popup (label keys); values are built by _site_layers in this order.
_SITE_ROWS = ("site_id", "carrier", "height_m", "technologies", "bands", "sectors")


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
) -> folium.Map:
    """Draw the classified villages, the BTS sites and the boundaries on one map.

    Parameters
    ----------
    villages
        Classified villages (:func:`covgap.gaps.classify_villages`): points with
        ``coverage_class`` and the explanation columns of the design contract; missing
        optional columns are left out of the popups.
    sites
        Site table, one row per sector; drawn as one marker per ``(carrier, site_id)``.
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

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        ``lang`` is unknown, ``coverage_class`` is missing or holds an unknown class.
    """
    import folium

    check_lang(lang)
    villages = _to_wgs84(villages, "villages")
    sites = _to_wgs84(sites, "sites")
    _check_classes(villages)
    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=True, zoom_snap=0.25)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    # The map uses Leaflet only: drop folium's jQuery, Bootstrap and icon fonts.
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    m.add_child(_helpers())
    if districts is not None:
        _boundary_layer(districts, "district", label("layer_districts", lang), True).add_to(m)
    if communes is not None:
        _boundary_layer(communes, "commune", label("layer_communes", lang), False).add_to(m)
    for layer in _site_layers(sites, lang):
        layer.add_to(m)
    for cls in CLASSES:
        _village_layer(villages, cls, lang).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(_html(_legend_html(thresholds, lang)))
    m.add_child(_html(_title_html(title, info or {}, thresholds, lang, len(villages))))
    if len(villages):
        x0, y0, x1, y1 = villages.total_bounds
        m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]], padding_top_left=(10, 110))
    return m


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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write the map: {exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataFileError(f"{path}: cannot write the map: {exc}") from exc
        raise
    logger.info("wrote %s (%.0f kB)", path, len(page.encode()) / 1e3)
    return path


# --- layers -------------------------------------------------------------------------


def _village_layer(villages: gpd.GeoDataFrame, cls: str, lang: str) -> Any:
    part = villages[villages["coverage_class"] == cls]
    props = [
        {"t": _esc(row.get("name", "")), "v": _village_values(row, lang)} for row in _records(part)
    ]
    colour = CLASS_COLOURS[cls]
    style = {
        "radius": CLASS_RADIUS[cls],
        "color": "#222222" if cls != "covered" else colour,
        "weight": 1,
        "fillColor": colour,
        "fillOpacity": 0.9,
    }
    name = label("layer_villages", lang).format(cls=label(cls, lang)) + f" ({len(part)})"
    return _geojson_layer(
        _point_collection(part.geometry, props),
        name=_esc(name),
        kind="circle",
        style=style,
        rows=_row_labels(_VILLAGE_ROWS, lang),
    )


def _site_layers(sites: gpd.GeoDataFrame, lang: str) -> list[Any]:
    if sites.empty:
        return []
    sites = sites.assign(_x=sites.geometry.x, _y=sites.geometry.y)
    for col in ("technology", "freq_mhz", "height_m", "sector_id"):
        if col not in sites:
            sites[col] = np.nan
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
        props = [
            {
                "t": _esc(site_id),
                "v": [
                    _esc(site_id),
                    _esc(carrier),
                    _num(agg.at[site_id, "height_m"], 0, lang, " m"),
                    _esc(techs[site_id]) or None,
                    _esc(bands[site_id]) or None,
                    str(int(agg.at[site_id, "n"])),
                ],
            }
            for site_id in agg.index
        ]
        coords = np.column_stack([agg["_x"].to_numpy(float), agg["_y"].to_numpy(float)])
        colour = CARRIER_COLOURS.get(carrier, OTHER_CARRIER_COLOUR)
        name = label("layer_sites", lang).format(carrier=carrier) + f" ({len(agg)})"
        layers.append(
            _geojson_layer(
                _point_collection(coords, props),
                name=_esc(name),
                kind="site",
                style={"colour": colour},
                rows=_row_labels(_SITE_ROWS, lang),
            )
        )
        logger.debug("%s: %d sites from %d sectors", carrier, len(agg), len(part))
    return layers


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
    return _geojson_layer(
        {"type": "FeatureCollection", "features": features},
        name=_esc(name),
        kind="area",
        style=style,
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
            "villages: no 'coverage_class' column; map the output of covgap.gaps.classify_villages"
        )
    bad = sorted(set(villages["coverage_class"].dropna().astype(str)) - set(CLASSES))
    if bad or villages["coverage_class"].isna().any():
        raise InputError(
            f"villages: coverage_class must be one of {', '.join(CLASSES)}; "
            f"found {bad or ['missing values']}"
        )
