"""Leaflet plugins the coverage map uses, and the map's own script, for offline pages.

Each plugin is linked from the jsDelivr CDN in a normal page and copied into the page by
:func:`inline_plugins` when the map is saved with ``inline_assets``: the files under this
folder are the npm packages' own builds (see ``README.md`` here for versions and
licences). CSS images (``url(...)``) become ``data:`` URIs, so the page needs no other
file.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

__all__ = ["OWN_CSS", "OWN_JS", "PLUGIN_CSS", "PLUGIN_JS", "inline_plugins", "read_own"]

HERE = Path(__file__).resolve().parent
_CDN = "https://cdn.jsdelivr.net/npm/"

#: CDN URL -> vendored file (relative to this folder), in load order.
PLUGIN_JS: dict[str, str] = {
    f"{_CDN}leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js": (
        "leaflet.markercluster/dist/leaflet.markercluster.js"
    ),
    f"{_CDN}leaflet-search@4.0.0/dist/leaflet-search.min.js": (
        "leaflet-search/dist/leaflet-search.min.js"
    ),
    f"{_CDN}leaflet.fullscreen@3.0.2/Control.FullScreen.js": (
        "leaflet.fullscreen/Control.FullScreen.js"
    ),
    f"{_CDN}leaflet-minimap@3.6.1/dist/Control.MiniMap.min.js": (
        "leaflet-minimap/dist/Control.MiniMap.min.js"
    ),
}
PLUGIN_CSS: dict[str, str] = {
    f"{_CDN}leaflet.markercluster@1.5.3/dist/MarkerCluster.css": (
        "leaflet.markercluster/dist/MarkerCluster.css"
    ),
    f"{_CDN}leaflet-search@4.0.0/dist/leaflet-search.min.css": (
        "leaflet-search/dist/leaflet-search.min.css"
    ),
    f"{_CDN}leaflet.fullscreen@3.0.2/Control.FullScreen.css": (
        "leaflet.fullscreen/Control.FullScreen.css"
    ),
    f"{_CDN}leaflet-minimap@3.6.1/dist/Control.MiniMap.min.css": (
        "leaflet-minimap/dist/Control.MiniMap.min.css"
    ),
}
#: covgap's own map script and stylesheet: always written into the page.
OWN_JS = "covgap/map.js"
OWN_CSS = "covgap/map.css"

_MIME = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml"}


@functools.cache
def read_own(relpath: str) -> str:
    """Text of a file of this folder (the map's own script or stylesheet)."""
    return (HERE / relpath).read_text(encoding="utf-8")


def script_text(relpath: str) -> str:
    """Return a vendored script, safe to put between ``<script>`` tags."""
    return read_own(relpath).replace("</script", "<\\/script")


def css_text(relpath: str) -> str:
    """Return a vendored stylesheet with its images turned into ``data:`` URIs."""
    folder = (HERE / relpath).parent

    def data_uri(match: re.Match[str]) -> str:
        image = (folder / match.group(2)).resolve()
        mime = _MIME.get(image.suffix)
        if mime is None or not image.is_file() or HERE not in image.parents:
            return match.group(0)
        return f"url(data:{mime};base64,{base64.b64encode(image.read_bytes()).decode()})"

    css = re.sub(r"url\((['\"]?)([\w./-]+)\1\)", data_uri, read_own(relpath))
    return css.replace("</style", "<\\/style")


def inline_plugins(page: str) -> str:
    """Replace the plugins' CDN ``<script>`` and ``<link>`` tags with their vendored text."""
    for url, rel in PLUGIN_JS.items():
        tag = f'<script src="{url}"></script>'
        page = page.replace(tag, f"<script>{script_text(rel)}</script>", 1)
    for url, rel in PLUGIN_CSS.items():
        tag = re.compile(rf'<link rel="stylesheet" href="{re.escape(url)}"\s*/?>')
        page = tag.sub(lambda _, rel=rel: f"<style>{css_text(rel)}</style>", page, count=1)
    return page
