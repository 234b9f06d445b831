"""OpenStreetMap layers from a regional extract (``.osm.pbf``, ``.osm``) read locally.

The offline alternative to the Overpass API: a country or region extract (e.g. the
Vietnam extract that OSM mirrors publish daily, about 250 MB) read with pyosmium, the
OSM community's own library (libosmium, binary wheels, streaming: the file is never held
in memory). The objects are turned into the same element dicts as an Overpass ``out geom``
answer, so :mod:`covgap.io.fetch.osm` builds the same layers from either source.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ...errors import DataFileError

__all__ = ["elements_from_extract"]

logger = logging.getLogger(__name__)

#: Tag keys of the objects kept (roads, power, places).
KEYS = ("highway", "power", "place")


def _inside(lon: float, lat: float, bounds: tuple[float, float, float, float]) -> bool:
    return bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]


def elements_from_extract(path: Path, bounds: tuple[float, float, float, float]) -> list[dict]:
    """Read the road, power and place objects of an OSM extract that meet ``bounds``.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm`` or ``.osm.bz2``/``.osm.gz`` file.
    bounds
        W, S, E, N in degrees: nodes inside it, and ways with a node inside it, are kept.

    Returns
    -------
    list of dict
        Overpass-style elements: nodes with ``lon``/``lat``, ways with ``geometry``, both
        with their ``tags``. Relations are left out.
    """
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - a dependency of covgap
        raise DataFileError("reading an OSM extract needs pyosmium: pip install osmium") from exc
    if not Path(path).is_file():
        raise DataFileError(f"{path}: OSM extract not found")
    elements: list[dict] = []
    try:
        objects = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter(*KEYS))
        )
        for obj in objects:
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node():
                loc = obj.location
                if loc.valid() and _inside(loc.lon, loc.lat, bounds):
                    elements.append(
                        {"type": "node", "id": obj.id, "lon": loc.lon, "lat": loc.lat, "tags": tags}
                    )
            elif obj.is_way():
                coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if any(_inside(lon, lat, bounds) for lon, lat in coords):
                    geometry = [{"lat": lat, "lon": lon} for lon, lat in coords]
                    elements.append(
                        {"type": "way", "id": obj.id, "geometry": geometry, "tags": tags}
                    )
    except RuntimeError as exc:  # libosmium's errors (bad format, truncated file)
        raise DataFileError(f"{path}: cannot read as an OSM extract ({exc})") from exc
    logger.info("%s: %d road/power/place objects in the area", Path(path).name, len(elements))
    return elements
