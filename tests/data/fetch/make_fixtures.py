"""Write the small files the fetch tests serve on 127.0.0.1, in the real sources' formats.

Run from the repository root: ``python tests/data/fetch/make_fixtures.py``. The layout under
``server/`` mirrors the public endpoints' paths, so only the base URLs change in tests:

* ``copernicus/<name>/<name>.tif``: Copernicus GLO-30 COG tiles (1°, EPSG:4326, float32),
  here at 30″ instead of 1″ to stay small, named and placed as on the public bucket;
* ``skadi/N22/N22E10[23].hgt.gz``: SRTM 3″ ``.hgt`` tiles (1201 x 1201 big-endian int16),
  gzipped as the AWS Terrain Tiles serve them;
* ``v200/2021/map/ESA_WorldCover_10m_2021_v200_N21E102_Map.tif``: a WorldCover COG tile
  (3°, uint8 classes), at 36″;
* ``overpass/{roads,power,places}.json``: Overpass API JSON answers (``out tags geom``);
* ``gb/api-ADM{1,2,3}.json`` and ``gb/geoBoundaries-VNM-ADM{1,2,3}.geojson``: geoBoundaries
  API answers (``{base}`` is replaced by the test server's address) and the GeoJSON they
  point to;
* ``extract/test_area.osm.pbf``: an OSM extract (PBF, written with pyosmium) holding the
  Overpass fixtures' features plus some that must be left out (a footway, a town, a power
  tower, a village far away);
* ``ocid/452.csv.gz``: an excerpt in the layout of OpenCelliD's country export (no header).

The heights are a smooth synthetic relief (a ridge between valleys), the land cover a
pattern of WorldCover classes; OSM features and cells are invented around Lai Châu.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parent / "server"


def _height(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    ridge = 900.0 * np.exp(-(((lon - 103.02) / 0.03) ** 2))
    return (400.0 + 300.0 * np.sin(lat * 20.0) + ridge).astype("float32")


def _cog(path: Path, data: np.ndarray, west: float, north: float, res: float, nodata) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "COG",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": "EPSG:4326",
        "nodata": nodata,
        "transform": from_origin(west, north, res, res),
        "compress": "deflate",
        "blocksize": 128,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)


def copernicus() -> None:
    n, res = 120, 1.0 / 120
    for lat, lon in [(21, 102), (21, 103), (22, 102), (22, 103)]:
        name = f"Copernicus_DSM_COG_10_N{lat:02d}_00_E{lon:03d}_00_DEM"
        x = lon + (np.arange(n) + 0.5) * res
        y = lat + 1 - (np.arange(n) + 0.5) * res
        lons, lats = np.meshgrid(x, y)
        _cog(
            ROOT / "copernicus" / name / f"{name}.tif", _height(lons, lats), lon, lat + 1, res, None
        )


def srtm() -> None:
    n = 1201
    for lon in (102, 103):
        x = lon + np.arange(n) / 1200.0
        y = 23 - np.arange(n) / 1200.0
        lons, lats = np.meshgrid(x, y)
        heights = (np.round(_height(lons, lats) / 50.0) * 50.0).astype(">i2")
        out = ROOT / "skadi" / "N22" / f"N22E{lon:03d}.hgt.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(gzip.compress(heights.tobytes(), compresslevel=9, mtime=0))


def worldcover() -> None:
    n, res = 300, 3.0 / 300
    rows, cols = np.mgrid[0:n, 0:n]
    classes = np.array([10, 10, 20, 30, 40, 10, 50, 80], dtype="uint8")
    data = classes[(rows // 7 + cols // 11) % len(classes)]
    name = "ESA_WorldCover_10m_2021_v200_N21E102_Map.tif"
    _cog(ROOT / "v200" / "2021" / "map" / name, data, 102.0, 24.0, res, 0)


def _answer(elements: list[dict]) -> dict:
    return {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.1 084b4234",
        "osm3s": {
            "timestamp_osm_base": "2026-11-30T10:00:00Z",
            "copyright": "The data included in this document is from "
            "www.openstreetmap.org. The data is made available under ODbL.",
        },
        "elements": elements,
    }


def _way(wid: int, tags: dict, coords: list[tuple[float, float]]) -> dict:
    lats, lons = [c[1] for c in coords], [c[0] for c in coords]
    return {
        "type": "way",
        "id": wid,
        "bounds": {
            "minlat": min(lats),
            "minlon": min(lons),
            "maxlat": max(lats),
            "maxlon": max(lons),
        },
        "nodes": list(range(wid * 10, wid * 10 + len(coords))),
        "geometry": [{"lat": la, "lon": lo} for lo, la in coords],
        "tags": tags,
    }


def _osm_features():
    roads = [
        _way(
            101,
            {"highway": "primary", "ref": "QL4D", "name": "Quốc lộ 4D"},
            [(102.95, 22.33), (103.00, 22.34), (103.05, 22.36), (103.10, 22.37)],
        ),
        _way(
            102,
            {"highway": "tertiary", "name": "Đường Sìn Hồ"},
            [(103.00, 22.34), (103.01, 22.37), (103.02, 22.39)],
        ),
        _way(
            103,
            {"highway": "track", "surface": "dirt"},
            [(103.05, 22.36), (103.06, 22.38), (103.07, 22.39)],
        ),
    ]
    power = [
        _way(
            201,
            {"power": "line", "voltage": "35000"},
            [(102.95, 22.32), (103.05, 22.35), (103.12, 22.36)],
        ),
        _way(202, {"power": "minor_line"}, [(103.00, 22.34), (103.01, 22.36)]),
        {
            "type": "node",
            "id": 301,
            "lat": 22.345,
            "lon": 103.01,
            "tags": {"power": "substation", "name": "TBA Nậm Tăm", "voltage": "35000"},
        },
    ]
    places = [
        (401, 103.005, 22.355, "village", {"name": "Bản Nậm Tăm", "name:vi": "Bản Nậm Tăm"}),
        (402, 103.030, 22.380, "hamlet", {"name": "Bản Pu Sam Cáp"}),
        (403, 103.080, 22.395, "isolated_dwelling", {}),
        (404, 102.970, 22.310, "village", {"name": "Bản Phìn Hồ"}),
        (405, 103.070, 22.320, "village", {"name": "Bản Tả Phìn"}),
    ]
    place_elements = [
        {"type": "node", "id": i, "lat": la, "lon": lo, "tags": {"place": p, **t}}
        for i, lo, la, p, t in places
    ]
    return roads, power, place_elements


def overpass() -> None:
    out = ROOT / "overpass"
    out.mkdir(parents=True, exist_ok=True)
    roads, power, place_elements = _osm_features()
    for name, elements in (("roads", roads), ("power", power), ("places", place_elements)):
        text = json.dumps(_answer(elements), ensure_ascii=False, indent=1)
        (out / f"{name}.json").write_text(text, encoding="utf-8")


def extract() -> None:
    import osmium
    from osmium.osm.mutable import Node, Way

    roads, power, places = _osm_features()
    extra = [
        _way(104, {"highway": "footway"}, [(103.00, 22.35), (103.01, 22.35)]),
        {
            "type": "node",
            "id": 406,
            "lat": 22.36,
            "lon": 103.04,
            "tags": {"place": "town", "name": "Thị trấn"},
        },
        {
            "type": "node",
            "id": 407,
            "lat": 21.0,
            "lon": 105.0,
            "tags": {"place": "village", "name": "Far away"},
        },
        {"type": "node", "id": 302, "lat": 22.33, "lon": 103.0, "tags": {"power": "tower"}},
    ]
    elements = roads + power + places + extra
    nodes, ways = [], []
    for el in elements:
        if el["type"] == "node":
            nodes.append(Node(id=el["id"], location=(el["lon"], el["lat"]), tags=el["tags"]))
        else:
            ids = el["nodes"]
            for nid, p in zip(ids, el["geometry"], strict=True):
                nodes.append(Node(id=nid, location=(p["lon"], p["lat"]), tags={}))
            ways.append(Way(id=el["id"], nodes=ids, tags=el["tags"]))
    out = ROOT / "extract" / "test_area.osm.pbf"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(out))
    try:
        for node in sorted(nodes, key=lambda n: n.id):
            writer.add_node(node)
        for way in sorted(ways, key=lambda w: w.id):
            writer.add_way(way)
    finally:
        writer.close()


def opencellid() -> None:
    # radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal
    rows = [
        ("LTE", 452, 4, 10501, 25600 * 256 + 1, 0, 103.0200, 22.3620, 1500, 40),
        ("LTE", 452, 4, 10501, 25600 * 256 + 2, 0, 103.0230, 22.3650, 1500, 25),
        ("LTE", 452, 4, 10501, 25600 * 256 + 3, 0, 103.0170, 22.3670, 1500, 10),
        ("GSM", 452, 4, 10501, 31001, 0, 103.0201, 22.3625, 3000, 12),
        ("LTE", 452, 2, 20301, 41000 * 256 + 11, 0, 103.0600, 22.3300, 2000, 30),
        ("GSM", 452, 2, 20301, 5501, 0, 103.0604, 22.3302, 4000, 8),
        ("UMTS", 452, 1, 30001, 2 * 65536 + 77, 0, 102.9800, 22.3800, 2500, 15),
        ("LTE", 452, 5, 40001, 999 * 256 + 1, 0, 103.0000, 22.3500, 1000, 5),
        ("NR", 452, 4, 10501, 123456789, 0, 103.0210, 22.3630, 500, 3),
        ("LTE", 452, 4, 10777, 26000 * 256 + 1, 0, 104.5000, 21.0000, 1500, 9),
    ]
    lines = [",".join(map(str, r)) + ",1,1600000000,1760000000,0" for r in rows]
    out = ROOT / "ocid" / "452.csv.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))


def geoboundaries() -> None:
    from shapely.geometry import box, mapping

    units = {
        "ADM1": [
            ("Lai Châu", "VN-01", (102.93, 22.28, 103.06, 22.42)),
            ("Lào Cai", "VN-02", (103.06, 22.28, 103.20, 22.42)),
        ],
        "ADM2": [
            ("Sìn Hồ", None, (102.93, 22.28, 103.00, 22.42)),
            ("Tam Đường", None, (103.00, 22.28, 103.06, 22.42)),
            ("Bát Xát", None, (103.06, 22.28, 103.20, 22.42)),
        ],
        "ADM3": [
            ("Nậm Tăm", None, (102.93, 22.34, 103.00, 22.42)),
            ("Phìn Hồ", None, (102.93, 22.28, 103.00, 22.34)),
            ("Bản Bo", None, (103.00, 22.28, 103.06, 22.42)),
        ],
    }
    out = ROOT / "gb"
    out.mkdir(parents=True, exist_ok=True)
    for level, rows in units.items():
        features = [
            {
                "type": "Feature",
                "geometry": mapping(box(*b)),
                "properties": {
                    "shapeName": n,
                    "shapeISO": iso or "",
                    "shapeID": f"VNM-{level}-{i}",
                    "shapeGroup": "VNM",
                    "shapeType": level,
                },
            }
            for i, (n, iso, b) in enumerate(rows)
        ]
        doc = {"type": "FeatureCollection", "features": features}
        name = f"geoBoundaries-VNM-{level}.geojson"
        (out / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        api = {
            "boundaryID": f"VNM-{level}-fixture",
            "boundaryName": "Vietnam",
            "boundaryISO": "VNM",
            "boundaryYearRepresented": "2008",
            "boundaryType": level,
            "boundarySource": "Wikipedia, OCHA ROAP",
            "boundaryLicense": "Public Domain",
            "licenseDetail": "",
            "buildDate": "Dec 12, 2023",
            "gjDownloadURL": "{base}/gb/" + name,
            "simplifiedGeometryGeoJSON": "{base}/gb/" + name,
        }
        (out / f"api-{level}.json").write_text(json.dumps(api), encoding="utf-8")


if __name__ == "__main__":
    geoboundaries()
    copernicus()
    srtm()
    worldcover()
    overpass()
    extract()
    opencellid()
    print("fixtures written to", ROOT)
