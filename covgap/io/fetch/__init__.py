"""``covgap fetch``: from a province's name, a bbox or a boundary file to real inputs.

Open sources only: Copernicus GLO-30 (or SRTM 1″) heights, ESA WorldCover land cover,
OpenStreetMap roads, power lines and places (Overpass API, or a local ``.osm.pbf``
extract), OpenCelliD cells and geoBoundaries administrative units. Every download is
cached by content, resumable, checked and throttled (:mod:`covgap.io.fetch.download`);
the sources and licences are written into the scenario and stamped on every file
(:mod:`covgap.io.fetch.writers`). Nothing here runs implicitly: only ``covgap fetch``
calls :func:`fetch_scenario`.
"""

from .area import KNOWN_AREAS, Area, resolve_area
from .download import Fetcher, OfflineError, default_cache
from .scenario import LAYERS, FetchResult, fetch_scenario

__all__ = [
    "KNOWN_AREAS",
    "LAYERS",
    "Area",
    "FetchResult",
    "Fetcher",
    "OfflineError",
    "default_cache",
    "fetch_scenario",
    "resolve_area",
]
