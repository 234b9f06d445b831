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

import base64
import functools
import html
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .config import Thresholds
from .errors import DataFileError, InputError
from .labels import check_lang, format_number, label
from .schema import CARRIERS, CLASSES, carrier_slug

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

#: Okabe–Ito colours (safe for the common colour-vision deficiencies); gaps are also
#: drawn larger, so the classes differ by size as well as by hue.
CLASS_COLOURS: dict[str, str] = {"covered": "#009E73", "low_signal": "#E69F00", "white": "#D55E00"}
CLASS_RADIUS: dict[str, int] = {"covered": 4, "low_signal": 6, "white": 7}
CARRIER_COLOURS: dict[str, str] = {"Viettel": "#0072B2", "VNPT": "#56B4E9", "MobiFone": "#CC79A7"}
OTHER_CARRIER_COLOUR = "#555555"
#: Decimals kept in coordinates (1e-5 degree is about 1 m).
COORD_DECIMALS = 5
#: Douglas–Peucker tolerance for boundaries, degrees (about 50 m).
SIMPLIFY_DEG = 0.0005
#: Leaflet build that folium 0.20 links; the only script and stylesheet the map needs.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

# Rows of a village popup (label keys); values are built by _village_values in this order.
_VILLAGE_ROWS = (
    "village_id", "commune", "district", "households", "population", "grid_power",
    "coverage_class", "rsrp_dbm", "min_cluster_rsrp_dbm", "rsrp_by_carrier", "services",
    "best_site_id", "nearest_site_id", "signal_path", "reason",
)  # fmt: skip
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


# --- popup values --------------------------------------------------------------------


def _village_values(row: Mapping[str, Any], lang: str) -> list[str | None]:
    def km(value: Any) -> str:
        return format_number(value, 1, lang)

    rsrp = _num(row.get("rsrp_dbm"), 1, lang, " dBm")
    if rsrp and _present(row.get("best_carrier")):
        rsrp += f" ({_esc(row['best_carrier'])})"
    by_carrier = [
        f"{c} {_num(row.get(f'rsrp_{carrier_slug(c)}_dbm'), 0, lang) or '–'}"
        for c in CARRIERS
        if f"rsrp_{carrier_slug(c)}_dbm" in row
    ]
    serving = nearest = None
    if _present(row.get("best_site_id")):
        serving = _esc(
            label("site_distance", lang).format(
                site=row["best_site_id"], dist=km(row.get("best_site_km"))
            )
        )
    if _present(row.get("nearest_site_id")):
        site = str(row["nearest_site_id"])
        if _present(row.get("nearest_site_carrier")):
            site += f" ({row['nearest_site_carrier']})"
        nearest = _esc(
            label("site_distance", lang).format(site=site, dist=km(row.get("nearest_site_km")))
        )
    reason = row.get("reason_vi") if lang == "vi" and _present(row.get("reason_vi")) else None
    reason = reason if reason is not None else row.get("reason")
    return [
        _esc(row.get("village_id")),
        _esc(row.get("commune")) or None,
        _esc(row.get("district")) or None,
        _num(row.get("households"), 0, lang),
        _num(row.get("population"), 0, lang),
        _yes_no(row.get("grid_power"), lang) if "grid_power" in row else None,
        _esc(label(row["coverage_class"], lang)),
        rsrp or (_esc(label("none_in_range", lang)) if "rsrp_dbm" in row else None),
        _num(row.get("min_cluster_rsrp_dbm"), 1, lang, " dBm"),
        " · ".join(by_carrier) or None,
        _esc(row.get("services")) or None,
        serving,
        nearest,
        _signal_path(row, lang),
        _esc(reason) or None,
    ]


def _signal_path(row: Mapping[str, Any], lang: str) -> str | None:
    los = row.get("los")
    if _present(los) and bool(los):
        return _esc(label("los_clear", lang))
    if _present(row.get("obstacle_height_m")):
        return _esc(
            label("obstacle", lang).format(
                height=format_number(row["obstacle_height_m"], 0, lang),
                dist=format_number(row.get("obstacle_dist_km"), 1, lang),
            )
        )
    return None


def _yes_no(value: Any, lang: str) -> str:
    return _esc(label("unknown" if not _present(value) else ("yes" if value else "no"), lang))


def _num(value: Any, decimals: int, lang: str, unit: str = "") -> str | None:
    if not _present(value):
        return None
    return format_number(float(value), decimals, lang) + unit


def _technologies(values: pd.Series) -> str:
    return " ".join(sorted(values.dropna().astype(str).unique()))


def _bands(values: pd.Series) -> str:
    bands = sorted({int(v) for v in values if _present(v)})
    return " ".join(str(b) for b in bands)


def _row_labels(keys: Iterable[str], lang: str) -> list[str]:
    return [_esc(label(k, lang)) for k in keys]


# --- helpers -------------------------------------------------------------------------


def _esc(value: Any) -> str:
    """HTML-escape a value for the page; missing values give ``""``."""
    return "" if not _present(value) else html.escape(str(value), quote=True)


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, (float, np.floating)) and np.isnan(value))


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


def _to_json(obj: Any) -> str:
    """JSON for a ``<script>``: no NaN, and no ``</`` or ``<!--`` to end the element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


# --- offline assets ------------------------------------------------------------------


def _leaflet_dir(source: Any) -> Path:
    if source is True:
        try:
            from xstatic.pkg import leaflet as xleaflet
        except ImportError as exc:
            raise DataFileError(
                "inline_assets=True needs the xstatic-leaflet package (pip install "
                "xstatic-leaflet), or pass a folder holding leaflet.js and leaflet.css"
            ) from exc
        return Path(xleaflet.BASE_DIR)
    folder = Path(source)
    for candidate in (folder, folder / "dist", folder / "package" / "dist"):
        if (candidate / "leaflet.js").is_file() and (candidate / "leaflet.css").is_file():
            return candidate
    raise DataFileError(
        f"{folder}: no leaflet.js and leaflet.css found to inline "
        "(try the package/dist folder of `npm pack leaflet@1.9.3`)"
    )


def _inline_leaflet(page: str, folder: Path) -> str:
    js = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = folder / match.group(1)
        if not image.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    js_tag = re.compile(r'<script src="[^"]*/leaflet(?:-src)?(?:\.min)?\.js"></script>')
    css_tag = re.compile(r'<link rel="stylesheet" href="[^"]*/leaflet(?:\.min)?\.css"\s*/?>')
    if not js_tag.search(page):
        raise InputError("the page does not link leaflet.js; nothing to inline")
    page = js_tag.sub(lambda _: f"<script>{js}</script>", page, count=1)
    return css_tag.sub(lambda _: f"<style>{css}</style>", page, count=1)


# --- folium elements -----------------------------------------------------------------


@functools.cache
def _element_classes() -> tuple[type, type, type]:
    """Build the folium element classes on first use (folium is imported lazily)."""
    from branca.element import MacroElement
    from folium.map import Layer
    from jinja2 import Template

    class GeoJsonLayer(Layer):
        """One ``L.geoJson`` layer whose popups are built from ``properties.v``."""

        _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }}_rows = {{ this.rows_json }};
var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
  {%- if this.kind == "circle" %}
  pointToLayer: function (f, ll) { return L.circleMarker(ll, {{ this.style|tojson }}); },
  {%- elif this.kind == "site" %}
  pointToLayer: function (f, ll) { return covgapSite(ll, {{ this.style.colour|tojson }}); },
  {%- else %}
  style: function () { return {{ this.style|tojson }}; },
  interactive: {{ this.style.interactive|tojson }},
  {%- endif %}
  onEachFeature: function (f, layer) {
    {%- if this.rows %}
    layer.bindPopup(function () { return covgapPopup(f.properties, {{ this.get_name() }}_rows); },
                    {maxWidth: 380});
    {%- endif %}
    if (f.properties.t) { layer.bindTooltip(f.properties.t, {{ this.tooltip|tojson }}); }
  }
});
{% endmacro %}
""")

        def __init__(
            self,
            data: dict[str, Any],
            *,
            name: str,
            kind: str,
            style: dict[str, Any],
            rows: list[str] | None = None,
            tooltip: dict[str, Any] | None = None,
            show: bool = True,
        ) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "CovgapLayer"
            self.data_json = _to_json(data)
            self.kind, self.style, self.rows = kind, style, rows or []
            self.rows_json = _to_json(self.rows)
            self.tooltip = tooltip or {"direction": "top"}

    class Helpers(MacroElement):
        """Stylesheet and the two JavaScript helpers shared by every layer."""

        _template = Template("""
{% macro header(this, kwargs) %}
<style>
.cg-pop table{border-collapse:collapse;font-size:12px}
.cg-pop th{text-align:left;padding:1px 6px 1px 0;color:#444;font-weight:600;vertical-align:top}
.cg-pop td{padding:1px 0}
.cg-pop b{font-size:14px}
.cg-label{background:transparent;border:0;box-shadow:none;font-weight:700;color:#333;
  text-shadow:0 0 3px #fff,0 0 3px #fff}
.cg-site{width:0;height:0;border-left:5px solid transparent;border-right:5px solid transparent;
  border-bottom:9px solid var(--c);filter:drop-shadow(0 0 1px #000)}
.cg-box{position:fixed;z-index:9999;background:rgba(255,255,255,.93);padding:8px 10px;
  border-radius:4px;box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.4 sans-serif}
.cg-box .sw{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:6px;
  vertical-align:middle;border:1px solid #222}
.cg-title{top:10px;left:60px;max-width:min(640px,calc(100% - 480px))}
.cg-synthetic{background:#b00020;color:#fff;font-weight:700;padding:3px 6px;margin-top:4px;
  border-radius:3px;text-align:center}
</style>
<script>
function covgapPopup(p, rows) {
  var h = '<div class="cg-pop"><b>' + p.t + '</b><table>';
  for (var i = 0; i < rows.length; i++) {
    if (p.v[i] !== null && p.v[i] !== '') {
      h += '<tr><th>' + rows[i] + '</th><td>' + p.v[i] + '</td></tr>';
    }
  }
  return h + '</table></div>';
}
function covgapSite(ll, colour) {
  return L.marker(ll, {icon: L.divIcon({className: '', iconSize: [10, 9],
    html: '<div class="cg-site" style="--c:' + colour + '"></div>'})});
}
</script>
{% endmacro %}
""")

    class Html(MacroElement):
        """A fixed box of ready-made (already escaped) HTML: the legend or the title."""

        _template = Template("{% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}")

        def __init__(self, content: str) -> None:
            super().__init__()
            self.content = content

    return GeoJsonLayer, Helpers, Html


def _geojson_layer(data: dict[str, Any], **options: Any) -> Any:
    return _element_classes()[0](data, **options)


def _helpers() -> Any:
    return _element_classes()[1]()


def _html(content: str) -> Any:
    return _element_classes()[2](content)


def _legend_html(thresholds: Thresholds, lang: str) -> str:
    cov = format_number(thresholds.covered_dbm, 1 if thresholds.covered_dbm % 1 else 0, lang)
    low = format_number(thresholds.low_signal_dbm, 1 if thresholds.low_signal_dbm % 1 else 0, lang)
    lines = [
        f'<div class="cg-box cg-legend" style="bottom:24px;right:10px;max-width:330px">'
        f"<b>{_esc(label('legend_title', lang))}</b>"
    ]
    for cls in CLASSES:
        text = label(f"legend_{cls}", lang).format(covered=cov, low=low)
        lines.append(
            f'<div><span class="sw" style="background:{CLASS_COLOURS[cls]}"></span>'
            f"<b>{_esc(label(cls, lang))}</b>: {_esc(text)}</div>"
        )
    lines.append(f"<div style='margin-top:4px'><b>{_esc(label('legend_sites', lang))}</b></div>")
    for carrier, colour in CARRIER_COLOURS.items():
        lines.append(
            f'<span style="display:inline-block;margin-right:8px">'
            f'<span class="cg-site" style="--c:{colour};display:inline-block;'
            f'margin-right:4px"></span>{_esc(carrier)}</span>'
        )
    lines.append(
        f"<div style='color:#555;margin-top:4px'>{_esc(label('legend_note', lang))}</div></div>"
    )
    return "\n".join(lines)


def _title_html(
    title: str | None, info: Mapping[str, Any], thresholds: Thresholds, lang: str, n: int
) -> str:
    title = title if title is not None else label("map_title", lang)
    facts = [(label("villages_count", lang), format_number(n, 0, lang))]
    for key in ("scenario", "model", "data", "date"):
        if _present(info.get(key)):
            facts.append((label(key, lang), str(info[key])))
    cov = format_number(thresholds.covered_dbm, 1, lang)
    low = format_number(thresholds.low_signal_dbm, 1, lang)
    limits = f"{label('covered', lang)} ≥ {cov} dBm; {label('white', lang)} < {low} dBm"
    facts.append((label("thresholds", lang), str(info.get("thresholds") or limits)))
    known = {"scenario", "model", "data", "date", "synthetic", "thresholds"}
    facts += [(str(k), str(v)) for k, v in info.items() if k not in known and _present(v)]
    body = " · ".join(f"<b>{_esc(k)}</b>: {_esc(v)}" for k, v in facts)
    notice = (
        f'<div class="cg-synthetic">⚠ {_esc(label("synthetic_notice", lang))}</div>'
        if info.get("synthetic")
        else ""
    )
    return (
        f'<div class="cg-box cg-title">'
        f'<div style="font-size:16px;font-weight:700">{_esc(title)}</div>'
        f"<div>{body}</div>{notice}</div>"
    )
