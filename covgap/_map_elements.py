"""Page elements of the coverage map: styles, popup text, HTML boxes, folium classes.

Private to :mod:`covgap.maps`, which builds the layers and calls these. Here are the
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
from typing import Any

import numpy as np
import pandas as pd

from .config import Thresholds
from .errors import DataFileError, InputError
from .labels import format_number, label
from .schema import CARRIERS, CLASSES, carrier_slug

#: Okabe–Ito colours (safe for the common colour-vision deficiencies); gaps are also
#: drawn larger, so the classes differ by size as well as by hue.
CLASS_COLOURS: dict[str, str] = {"covered": "#009E73", "low_signal": "#E69F00", "white": "#D55E00"}
CLASS_RADIUS: dict[str, int] = {"covered": 4, "low_signal": 6, "white": 7}
CARRIER_COLOURS: dict[str, str] = {"Viettel": "#0072B2", "VNPT": "#56B4E9", "MobiFone": "#CC79A7"}
OTHER_CARRIER_COLOUR = "#555555"
#: Leaflet build that folium 0.20 links; the only script and stylesheet the map needs.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

# Rows of a village popup (label keys); values are built by _village_values in this order.
_VILLAGE_ROWS = (
    "village_id", "commune", "district", "households", "population", "grid_power",
    "coverage_class", "rsrp_dbm", "min_cluster_rsrp_dbm", "rsrp_by_carrier", "services",
    "best_site_id", "nearest_site_id", "signal_path", "reason",
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
    facts += [
        (label(str(k), lang), str(v)) for k, v in info.items() if k not in known and _present(v)
    ]
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
