"""Page elements of the coverage map: styles, popup text, HTML boxes, folium classes.

Private to :mod:`covgap.outputs.maps`, which builds the layers and calls these. Here are the
colours and the stylesheet, the JavaScript that draws markers and popups in the browser
with the escaped popup values it shows, the folium/branca element classes that carry
them, the legend and title boxes, and the helpers that copy Leaflet into a saved page
for offline use.

Safety: :func:`_esc` HTML-escapes every text from an input file before it reaches the
page, and :func:`_to_json` keeps embedded JSON from closing its ``<script>`` element.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..config import Thresholds
from ..errors import DataFileError, InputError
from ..io.locale import format_number
from ..schema import CARRIERS, CLASSES, carrier_slug
from .labels import commune_text, label

#: Gaps first: white (Okabe–Ito vermilion) and low signal (orange) are the loud colours,
#: drawn larger and above everything else; covered villages recede in a muted sage that
#: no carrier's site colour uses, small and without an outline. The classes differ by
#: size as well as by hue (safe for the common colour-vision deficiencies).
CLASS_COLOURS: dict[str, str] = {"covered": "#8DB9A2", "low_signal": "#E69F00", "white": "#D55E00"}
CLASS_RADIUS: dict[str, int] = {"covered": 3, "low_signal": 6, "white": 7}
#: Pane (and its z-index) of the white and low-signal villages and the request rings:
#: above the site markers and the covered villages' cluster icons (Leaflet's marker pane
#: is 600), under the popups (700).
GAP_PANE, GAP_Z = "cgGaps", 650
CARRIER_COLOURS: dict[str, str] = {"Viettel": "#0072B2", "VNPT": "#56B4E9", "MobiFone": "#CC79A7"}
OTHER_CARRIER_COLOUR = "#555555"
#: Leaflet build that folium 0.20 links; the only script and stylesheet the map needs.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

# Rows of a village popup (label keys); values are built by _village_values in this order.
_VILLAGE_ROWS = (
    "village_id", "commune", "district", "households", "population", "grid_power",
    "coverage_class", "rsrp_dbm", "min_cluster_rsrp_dbm", "rsrp_by_carrier", "services",
    "best_site_id", "nearest_site_id", "signal_path", "reason", "map_request_list",
)  # fmt: skip


# --- text ----------------------------------------------------------------------------


def _esc(value: Any) -> str:
    """HTML-escape a value for the page; missing values give ``""``."""
    return "" if not _present(value) else html.escape(str(value), quote=True)


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, (float, np.floating)) and np.isnan(value))


def _to_json(obj: Any) -> str:
    """JSON for a ``<script>``: no NaN, and no ``</`` or ``<!--`` to end the element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


# --- popup values --------------------------------------------------------------------


def _village_values(row: Mapping[str, Any], lang: str) -> list[str | None]:
    def km(value: Any) -> str:
        return format_number(value, 1, lang)

    # the row labels carry the units ("RSRP 4G tốt nhất (dBm)"): the values do not repeat them
    rsrp = _num(row.get("rsrp_dbm"), 1, lang)
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
        _esc(commune_text(row.get("commune_2025"), row.get("commune"))) or None,
        _esc(row.get("district")) or None,
        _num(row.get("households"), 0, lang),
        _num(row.get("population"), 0, lang),
        _yes_no(row.get("grid_power"), lang) if "grid_power" in row else None,
        _esc(label(row["coverage_class"], lang)),
        rsrp or (_esc(label("none_in_range", lang)) if "rsrp_dbm" in row else None),
        _num(row.get("min_cluster_rsrp_dbm"), 1, lang),
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


def _row_labels(keys: Iterable[str], lang: str) -> list[str]:
    return [_esc(label(k, lang)) for k in keys]


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
    """Copy Leaflet (from ``folder``) and the vendored plugins into the page."""
    import covgap.outputs.web as _vendor

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
    page = css_tag.sub(lambda _: f"<style>{css}</style>", page, count=1)
    return _vendor.inline_plugins(page)


# --- folium elements -----------------------------------------------------------------

_LAYER_TEMPLATE = """
{% macro script(this, kwargs) %}
{%- set map = this._parent.get_name() %}
{%- if this.kind == "villages" %}
var {{ this.get_name() }} = covgap.villages({{ map }}, {{ this.data_json }},
  {{ this.rows_json }}, {{ this.options_json }});
{%- elif this.kind == "sites" %}
var {{ this.get_name() }} = covgap.sites({{ map }}, {{ this.data_json }},
  {{ this.rows_json }}, {{ this.options_json }});
{%- elif this.kind == "rings" %}
var {{ this.get_name() }} = covgap.rings({{ map }}, {{ this.data_json }},
  {{ this.options_json }});
{%- elif this.kind == "relief" %}
var {{ this.get_name() }} = L.imageOverlay({{ this.data_json }}, {{ this.options.bounds|tojson }},
  {opacity: {{ this.options.opacity }}, interactive: false,
   pane: covgap.pane({{ map }}, "cgRelief", 250, "multiply")});
{%- elif this.kind == "signal" %}
var {{ this.get_name() }} = L.imageOverlay({{ this.data_json }}, {{ this.options.bounds|tojson }},
  {opacity: {{ this.options.opacity }}, interactive: false,
   pane: covgap.pane({{ map }}, {{ this.options.pane|tojson }}, {{ this.options.z }})});
{%- elif this.kind == "zones" %}
var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
  style: function () { return {{ this.options_json }}; },
  onEachFeature: function (f, layer) {
    var p = f.properties, rows = {{ this.rows_json }};
    layer.bindPopup(function () { return covgap.popup(p, rows); }, covgap.POPUP);
    layer.bindTooltip(p.t, {sticky: true});
  }
});
{{ this.get_name() }}.cgKind = "zones";
{{ map }}.on("overlayadd", function (e) {  // under the villages on the shared canvas
  if (e.layer === {{ this.get_name() }}) { e.layer.bringToBack(); }
});
{%- elif this.kind == "blank" %}
var {{ this.get_name() }} = L.layerGroup();
{%- else %}
var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
  style: function () { return {{ this.options_json }}; },
  interactive: {{ this.options.interactive|tojson }},
  onEachFeature: function (f, layer) {
    if (f.properties.t) { layer.bindTooltip(f.properties.t, {{ this.tooltip|tojson }}); }
  }
});
{%- endif %}
{% endmacro %}
"""


@functools.cache
def _element_classes() -> dict[str, type]:
    """Build the folium element classes on first use (folium is imported lazily)."""
    import folium
    from branca.element import MacroElement
    from folium.elements import JSCSSMixin
    from folium.map import Layer
    from jinja2 import Template

    import covgap.outputs.web as _vendor

    class CovgapLayer(Layer):
        """A layer the page's ``covgap`` script draws from compact JSON data."""

        _template = Template(_LAYER_TEMPLATE)

        def __init__(
            self,
            data: Any,
            *,
            name: str,
            kind: str,
            options: dict[str, Any] | None = None,
            rows: list[str] | None = None,
            tooltip: dict[str, Any] | None = None,
            show: bool = True,
            overlay: bool = True,
        ) -> None:
            super().__init__(name=name, overlay=overlay, control=True, show=show)
            self._name = "CovgapLayer"
            self.data_json = _to_json(data)
            self.kind, self.options, self.rows = kind, options or {}, rows or []
            self.options_json = _to_json(self.options)
            self.rows_json = _to_json(self.rows)
            self.tooltip = tooltip or {"direction": "top"}

    class Helpers(JSCSSMixin):
        """Plugin links, covgap's stylesheet and script: the page's header."""

        default_js: ClassVar = [(url.rsplit("/", 1)[-1], url) for url in _vendor.PLUGIN_JS]
        default_css: ClassVar = [(url.rsplit("/", 1)[-1], url) for url in _vendor.PLUGIN_CSS]
        _template = Template(
            "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>\n"
            "<script>{{ this.js }}</script>{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "CovgapHelpers"
            self.css = _vendor.read_own(_vendor.OWN_CSS)
            self.js = _vendor.script_text(_vendor.OWN_JS)

    class Tools(MacroElement):
        """Search, fullscreen, measure and minimap, made after every layer exists."""

        _template = Template("""
{% macro script(this, kwargs) %}
covgap.tools({{ this._parent.get_name() }}, {{ this.config_json }}, {
  relief: {{ this.relief or "null" }}, districts: {{ this.districts or "null" }}});
{% endmacro %}
""")

        def __init__(self, config: dict[str, Any], relief: Any, districts: Any) -> None:
            super().__init__()
            self._name = "CovgapTools"
            self.config_json = _to_json(config)
            self.relief = relief.get_name() if relief is not None else None
            self.districts = districts.get_name() if districts is not None else None

    class Html(MacroElement):
        """A fixed box of ready-made (already escaped) HTML: the legend or the title."""

        _template = Template("{% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}")

        def __init__(self, content: str) -> None:
            super().__init__()
            self.content = content

    class OfflineMap(folium.Map):
        """A folium map that shows itself in a notebook with Leaflet copied in (offline).

        The page a notebook displays is the page :func:`covgap.outputs.maps.save_map`
        writes with ``inline_assets=True``: no ``<script src>`` or stylesheet from a CDN.
        """

        def _repr_html_(self, **kwargs: Any) -> str:
            from html import escape

            page = inline_page(self.get_root().render(**kwargs))
            return (
                '<div style="width:100%;"><div style="position:relative;width:100%;height:0;'
                'padding-bottom:60%;"><iframe srcdoc="' + escape(page) + '" style="position:'
                'absolute;width:100%;height:100%;left:0;top:0;border:none !important;" '
                "allowfullscreen></iframe></div></div>"
            )

    return {
        "layer": CovgapLayer,
        "helpers": Helpers,
        "tools": Tools,
        "html": Html,
        "map": OfflineMap,
    }


def inline_page(page: str) -> str:
    """Return the page with Leaflet and covgap's plugins copied in from the installed packages."""
    return _inline_leaflet(page, _leaflet_dir(True))


def _layer(data: Any, **options: Any) -> Any:
    return _element_classes()["layer"](data, **options)


def _helpers() -> Any:
    return _element_classes()["helpers"]()


def _tools(config: dict[str, Any], relief: Any, districts: Any) -> Any:
    return _element_classes()["tools"](config, relief, districts)


def _html(content: str) -> Any:
    return _element_classes()["html"](content)


def _threshold_text(thresholds: Thresholds, cls: str, lang: str) -> str:
    """Short threshold of a class for the compact legend ("< −115 dBm")."""

    def num(v: float) -> str:
        return format_number(v, 1 if v % 1 else 0, lang)

    cov, low = num(thresholds.covered_dbm), num(thresholds.low_signal_dbm)
    return {"covered": f"≥ {cov} dBm", "low_signal": f"{low} … {cov} dBm", "white": f"< {low} dBm"}[
        cls
    ]


def _legend_html(
    thresholds: Thresholds,
    lang: str,
    *,
    wedge_kinds: Iterable[tuple[float, str, str | None]] = (),
    highlight: bool = False,
    area: str = "",
    extra: str = "",
) -> str:
    """Return the legend: a compact box of the classes, the rest behind "more".

    The box shows the three classes (gaps first) with their short thresholds and the
    request ring; the full class rules, the clusters, ``area`` (ready-made, escaped HTML
    of the signal ramp and the zones), the sites, wedges and lines open on a click.
    ``extra`` (ready-made, escaped HTML, e.g. a plan's layers) stays in the compact box.
    """
    cov = format_number(thresholds.covered_dbm, 1 if thresholds.covered_dbm % 1 else 0, lang)
    low = format_number(thresholds.low_signal_dbm, 1 if thresholds.low_signal_dbm % 1 else 0, lang)
    lines = [f'<div class="cg-box cg-legend"><b>{_esc(label("legend_title", lang))}</b>']
    for cls in reversed(CLASSES):
        lines.append(
            f'<div class="cg-key"><span class="sw {cls}" style="background:{CLASS_COLOURS[cls]}">'
            f"</span><b>{_esc(label(cls, lang))}</b> "
            f'<span class="cg-th">{_esc(_threshold_text(thresholds, cls, lang))}</span></div>'
        )
    if highlight:
        lines.append(
            f'<div class="cg-key"><span class="ring"></span>'
            f"{_esc(label('map_legend_request', lang))}</div>"
        )
    if extra:
        lines.append(extra)
    lines.append(f"<details><summary>{_esc(label('map_legend_more', lang))}</summary>")
    for cls in reversed(CLASSES):
        text = label(f"legend_{cls}", lang).format(covered=cov, low=low)
        lines.append(f"<div><b>{_esc(label(cls, lang))}</b>: {_esc(text)}</div>")
    lines.append(f"<div style='color:#555'>{_esc(label('legend_note', lang))}</div>")
    lines.append(f"<div style='color:#555'>{_esc(label('map_legend_clusters', lang))}</div>")
    if area:
        lines.append(area)
    lines.append(f"<div style='margin-top:4px'><b>{_esc(label('legend_sites', lang))}</b></div>")
    lines.append(
        "<div>"
        + "".join(
            f'<span style="display:inline-block;margin-right:8px">'
            f'<span class="cg-site" style="--c:{colour};display:inline-block;'
            f'margin-right:4px"></span>{_esc(carrier)}</span>'
            for carrier, colour in CARRIER_COLOURS.items()
        )
        + "</div>"
    )
    kinds = [f"{text} {format_number(r, 0, lang)} m" for r, text, _ in wedge_kinds]  # escaped
    if kinds:
        lines.append(
            f"<div style='color:#555'>{_esc(label('map_legend_wedges', lang))} "
            + " · ".join(kinds)
            + "</div>"
        )
    lines.append(
        '<div style="margin-top:4px"><span class="ln"></span>'
        f"{_esc(label('map_legend_serving', lang))}"
        f'<br><span class="ln dash"></span>{_esc(label("map_legend_nearest", lang))}'
        f"<br>✖ {_esc(label('map_legend_obstacle', lang))}</div></details></div>"
    )
    return "\n".join(lines)


def _fact(value: Any, lang: str) -> str:
    """Return a fact of the title box as text, numbers with the decimal mark of ``lang``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    value = float(value)
    text = f"{value:.6g}"
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return format_number(value, decimals, lang)


def _title_html(
    title: str | None, info: Mapping[str, Any], thresholds: Thresholds, lang: str, n: int
) -> str:
    title = title if title is not None else label("map_title", lang)
    facts = [(label("villages_count", lang), format_number(n, 0, lang))]
    info = dict(info)
    if lang == "vi" and _present(info.get("model_vi")):
        info["model"] = info["model_vi"]
    for key in ("scenario", "model", "data", "date"):
        if _present(info.get(key)):
            facts.append((label(key, lang), str(info[key])))
    cov = format_number(thresholds.covered_dbm, 1, lang)
    low = format_number(thresholds.low_signal_dbm, 1, lang)
    limits = f"{label('covered', lang)} ≥ {cov} dBm; {label('white', lang)} < {low} dBm"
    facts.append((label("thresholds", lang), str(info.get("thresholds") or limits)))
    known = {"scenario", "model", "model_vi", "data", "date", "synthetic", "thresholds"}
    facts += [
        (label(str(k), lang), _fact(v, lang))
        for k, v in info.items()
        if k not in known and _present(v)
    ]
    body = " · ".join(f"<b>{_esc(k)}</b>: {_esc(v)}" for k, v in facts)
    notice = (
        f'<div class="cg-synthetic">⚠ {_esc(label("synthetic_notice", lang))}</div>'
        if info.get("synthetic")
        else ""
    )
    return (
        f'<div class="cg-box cg-title">'
        f'<div class="cg-h">{_esc(title)}</div>{notice}'
        f"<details><summary>{_esc(label('map_details', lang))}</summary>"
        f"<div>{body}</div></details></div>"
    )
