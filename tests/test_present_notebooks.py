"""Maps shown in notebooks work offline: Leaflet is copied into the page, as in the CLI's.

A notebook displays a map through ``_repr_html_`` (an iframe whose ``srcdoc`` is the
page); folium's own version links Leaflet, jQuery and Bootstrap from CDNs, which a
province office without internet (or a notebook opened later) cannot load.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from covgap.outputs.maps import coverage_map, save_map

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
#: A script or stylesheet loaded from the network.
CDN = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*["']?(?:https?:)?//""", re.I)


def _small_map():
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"], "name": ["Bản A", "Bản B"],
         "coverage_class": ["covered", "white"]},
        geometry=[Point(103.2, 22.3), Point(103.3, 22.4)], crs="EPSG:4326",
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1"], "carrier": ["Viettel"], "technology": ["4G"], "freq_mhz": [1800],
         "height_m": [30.0], "azimuth_deg": [0.0]},
        geometry=[Point(103.25, 22.35)], crs="EPSG:4326",
    )  # fmt: skip
    return coverage_map(villages, sites, lang="en")


def _pages(notebook_html: str) -> list[str]:
    """The pages inside the iframes' ``srcdoc`` of a notebook output."""
    return [html.unescape(p) for p in re.findall(r'srcdoc="([^"]*)"', notebook_html)]


def test_cdn_pattern_catches_folium_default():
    folium_page = _small_map().get_root().render()  # what folium shows without covgap's help
    assert CDN.search(folium_page)
    assert not CDN.search("<script>var x = 1;</script><style>a{}</style>")


def test_notebook_display_inlines_leaflet(tmp_path):
    shown = _small_map()._repr_html_()
    pages = _pages(shown)
    assert len(pages) == 1
    page = pages[0]
    assert not CDN.search(page), CDN.search(page).group(0)
    assert "Leaflet 1.9" in page and "covgap.villages(" in page
    # the same page the CLI writes with inline_assets=True (ids aside)
    saved = save_map(_small_map(), tmp_path / "m.html", inline_assets=True).read_text("utf-8")
    ids = re.compile(r"[0-9a-f]{32}")
    assert ids.sub("ID", saved) == ids.sub("ID", page)


def test_notebooks_draw_maps_with_covgap_only():
    """No notebook builds a folium map itself (it would link the CDN)."""
    assert NOTEBOOKS
    maps = 0
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "folium.Map(" not in code and ".explore(" not in code, path.name
        maps += len(re.findall(r"\b(?:result_map|plan_map|coverage_map)\(", code))
    assert maps >= 3


@pytest.mark.slow
def test_quickstart_notebook_map_output_is_offline():
    """Run the quickstart notebook and read the map it shows."""
    nbformat = pytest.importorskip("nbformat", reason="running a notebook needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running a notebook needs nbclient")
    path = next(p for p in NOTEBOOKS if p.name.startswith("01_"))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    shown = [
        o["data"]["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "srcdoc" in o.get("data", {}).get("text/html", "")
    ]
    assert shown, "the quickstart shows no map"
    for output in shown:
        for page in _pages(output):
            assert "Leaflet 1.9" in page
            assert not CDN.search(page), CDN.search(page).group(0)
