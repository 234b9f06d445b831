"""Area layers of the coverage map: colour-ramped signal overlays and zone polygons.

Private to :mod:`covgap.outputs.maps`. The best-server rasters
(:class:`covgap.radio.rasters.AreaRasters`)
become PNG image overlays on the same path as the hillshade: each layer is averaged onto a
Web Mercator grid whose longer side is at most :data:`SIGNAL_MAX_PX` pixels (so it lines
up with web tiles), cut into the few bands of :data:`RAMP_COLOURS` and written as a
palette PNG whose index 0 is transparent (cells no site reaches). A handful of colours
keeps each overlay around 100–300 kB for a province at 3″.

The ramp is **class-aware**: its two lower breaks are the class thresholds of the class
rasters (``covered_dbm`` and ``low_signal_dbm`` plus the location-variability margin), so
an orange cell is a low-signal cell and a red one belongs to a white zone; two more
breaks 10 and 20 dB above the covered threshold grade the covered area in blues
(ColorBrewer RdBu, readable with the common colour-vision deficiencies).

The white and low-signal zones (:func:`covgap.analysis.zones.area_zones`) are drawn as one GeoJSON
layer per class, simplified (:data:`ZONE_SIMPLIFY_DEG`) with coordinates rounded to 4
decimals, each piece with a popup (class, area, villages, households and people inside,
district and commune), every text HTML-escaped.
"""

from __future__ import annotations

import base64
import io
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..config import Thresholds
from ..io.locale import format_number
from ..schema import CARRIERS, LOW_SIGNAL, WHITE
from .labels import label
from .map_elements import CLASS_COLOURS, _esc, _layer, _num, _present, _row_labels

if TYPE_CHECKING:
    import geopandas as gpd

    from ..radio.rasters import AreaRasters, Grid

logger = logging.getLogger(__name__)

#: Longest side of a signal overlay, pixels (about 150 m per pixel for Lai Châu).
SIGNAL_MAX_PX = 900
#: Opacity of the signal overlays (the hillshade is multiplied over them).
SIGNAL_OPACITY = 0.6
#: Map pane of the signal overlays: above the basemap (200), below the hillshade (250).
SIGNAL_PANE = ("cgSignal", 240)
#: Colours of the bands, strongest first: 3 greens (covered), orange (low signal),
#: vermilion (white zone: a signal too weak to use). Transparent: no site in range.
#: One colour language with the villages: greens where covered (the strongest darkest; no
#: carrier's blue), the villages' orange for low signal and their vermilion for white.
RAMP_COLOURS: tuple[str, ...] = ("#1B7850", "#5FA883", "#B5D8C2", "#E69F00", "#D55E00")
#: Breaks above the covered threshold, dB.
RAMP_STEPS_DB: tuple[float, float] = (20.0, 10.0)
#: Douglas–Peucker tolerance for zone polygons, degrees (about 85 m: one 3″ cell, 2–3
#: pixels at zoom 12; halves the vertices of the sample province's zones).
ZONE_SIMPLIFY_DEG = 0.0008
#: Decimals kept in zone coordinates (1e-4 degree is about 11 m, an eighth of a 3″ cell).
ZONE_COORD_DECIMALS = 4
#: Zone styles: a light fill and a thin, half-transparent outline in the class colours of
#: the villages, so that the villages stay the loudest symbols above the zones.
ZONE_STYLE: dict[str, dict[str, Any]] = {
    WHITE: {"color": CLASS_COLOURS[WHITE], "weight": 0.6, "opacity": 0.55,
            "fillColor": CLASS_COLOURS[WHITE], "fillOpacity": 0.16},
    LOW_SIGNAL: {"color": CLASS_COLOURS[LOW_SIGNAL], "weight": 0.6, "opacity": 0.55,
                 "dashArray": "4 3", "fillColor": CLASS_COLOURS[LOW_SIGNAL],
                 "fillOpacity": 0.12},
}  # fmt: skip
#: Village ids listed in a zone popup before "…".
ZONE_MAX_IDS = 15
# Rows of a zone popup (label keys), in the order of _zone_values.
ZONE_ROWS = ("map_zone_id", "map_zone_class", "map_zone_area", "map_zone_total_area",
             "map_zone_villages", "map_zone_households", "map_zone_people", "district",
             "commune", "map_zone_village_ids")  # fmt: skip
_KIND = {"2G": "RxLev", "3G": "RSCP", "4G": "RSRP"}


# --- signal overlays -------------------------------------------------------------------


def location_margin(rasters: AreaRasters | None) -> float:
    """Return the location-variability margin (dB) of the class rasters (0 if unknown)."""
    if rasters is None:
        return 0.0
    try:
        value = float(rasters.info.get("location_margin_db", 0.0))
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def ramp_breaks(thresholds: Thresholds, margin: float = 0.0) -> tuple[float, ...]:
    """Lower bounds of the ramp's bands, strongest first (the last band is below them all)."""
    covered = thresholds.covered_dbm + margin
    return (*(covered + s for s in RAMP_STEPS_DB), covered, thresholds.low_signal_dbm + margin)


def ramp_index(values: np.ndarray, breaks: tuple[float, ...]) -> np.ndarray:
    """Palette index of each value: 0 for NaN, 1 for the strongest band, ... (uint8)."""
    values = np.asarray(values, dtype=np.float32)
    out = np.ones(values.shape, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        for b in breaks:
            out += values < b
    out[np.isnan(values)] = 0
    return out


def signal_png(
    values: np.ndarray,
    grid: Grid,
    *,
    thresholds: Thresholds = Thresholds(),
    margin: float = 0.0,
    max_px: int = SIGNAL_MAX_PX,
) -> tuple[bytes, list[list[float]]]:
    """Draw a signal raster as a colour-ramped palette PNG in Web Mercator, for an overlay.

    Parameters
    ----------
    values
        Best signal in dBm on ``grid``, NaN where no site reaches (transparent).
    grid
        Georeferencing of ``values`` (any CRS).
    thresholds, margin
        The class thresholds and the location-variability margin: the ramp's breaks
        (:func:`ramp_breaks`).
    max_px
        Longest side of the image, pixels.

    Returns
    -------
    png : bytes
        The image: palette index 0 transparent, then :data:`RAMP_COLOURS`.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees, as ``L.imageOverlay`` takes them.
    """
    from affine import Affine
    from PIL import Image
    from pyproj import Transformer
    from rasterio.warp import (
        Resampling,
        calculate_default_transform,
        reproject,
        transform_bounds,
    )

    src = np.asarray(values, dtype=np.float32)
    rows, cols = src.shape
    t = grid.transform
    bounds = (t.c, t.f + rows * t.e, t.c + cols * t.a, t.f)
    dst_transform, dst_w, dst_h = calculate_default_transform(
        grid.crs, "EPSG:3857", cols, rows, *bounds
    )
    # at most max_px pixels over exactly the grid's extent in Web Mercator
    west, south, east, north = transform_bounds(grid.crs, "EPSG:3857", *bounds, densify_pts=21)
    scale = max(1.0, max(dst_w, dst_h) / max_px)
    dst_w, dst_h = max(1, round(dst_w / scale)), max(1, round(dst_h / scale))
    dst_transform = Affine((east - west) / dst_w, 0.0, west, 0.0, (south - north) / dst_h, north)
    out = np.full((dst_h, dst_w), np.nan, dtype=np.float32)
    reproject(
        src, out, src_transform=t, src_crs=grid.crs, src_nodata=np.nan,
        dst_transform=dst_transform, dst_crs="EPSG:3857", dst_nodata=np.nan,
        resampling=Resampling.average,
    )  # fmt: skip
    image = Image.fromarray(ramp_index(out, ramp_breaks(thresholds, margin)), mode="P")
    palette = [0, 0, 0]
    for colour in RAMP_COLOURS:
        palette += [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, transparency=0)
    to_wgs84 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_wgs84.transform([west, east], [south, north])
    logger.debug("signal overlay %dx%d px, %.0f kB", dst_w, dst_h, buffer.tell() / 1e3)
    return buffer.getvalue(), [[round(lat0, 6), round(lon0, 6)], [round(lat1, 6), round(lon1, 6)]]


def signal_keys(rasters: AreaRasters) -> list[tuple[tuple[str, str], bool]]:
    """Layers to draw and whether each is on when the map opens.

    The "any carrier" 4G layer, 4G per carrier (left out when a single carrier
    has 4G, as it equals the composite) and the "any carrier" 2G and 3G layers (off).
    The other carrier × technology layers are left out to keep the page small. Every
    signal layer is off when the map opens: the villages' classes speak first.
    """
    from ..radio.rasters import ANY_CARRIER

    keys = list(rasters.signal)
    four_g = [k for k in keys if k[1] == "4G" and k[0] != ANY_CARRIER]
    order = sorted(four_g, key=lambda k: (CARRIERS.index(k[0]) if k[0] in CARRIERS else 99, k[0]))
    chosen: list[tuple[tuple[str, str], bool]] = []
    if (ANY_CARRIER, "4G") in rasters.signal:
        chosen.append(((ANY_CARRIER, "4G"), False))
    if len(four_g) > 1 or (ANY_CARRIER, "4G") not in rasters.signal:
        chosen += [(k, False) for k in order]
    chosen += [
        ((ANY_CARRIER, t), False) for t in ("3G", "2G") if (ANY_CARRIER, t) in rasters.signal
    ]
    return chosen


def signal_layers(
    rasters: AreaRasters, thresholds: Thresholds, lang: str, *, max_px: int = SIGNAL_MAX_PX
) -> list[Any]:
    """Image-overlay layers of :func:`signal_keys`, named in ``lang``."""
    from ..radio.rasters import ANY_CARRIER

    layers = []
    for (carrier, tech), show in signal_keys(rasters):
        who = label("map_any_carrier", lang) if carrier == ANY_CARRIER else carrier
        name = label("map_layer_signal", lang).format(
            tech=tech, kind=_KIND.get(tech, "dBm"), carrier=who
        )
        layers.append(
            signal_overlay(rasters, (carrier, tech), thresholds, name, show=show, max_px=max_px)
        )
    return layers


def signal_overlay(
    rasters: AreaRasters,
    key: tuple[str, str],
    thresholds: Thresholds,
    name: str,
    *,
    show: bool = True,
    max_px: int = SIGNAL_MAX_PX,
    floor_dbm: float | None = None,
) -> Any:
    """One colour-ramped image overlay of ``rasters.signal[key]``, named ``name``.

    ``floor_dbm``: draw only where the signal reaches it (transparent below), e.g. the
    area a plan's new sites cover, without the weak fringe around them.
    """
    values = rasters.signal[key]
    if floor_dbm is not None:
        values = np.asarray(values, dtype=np.float32)
        with np.errstate(invalid="ignore"):
            values = np.where(values >= floor_dbm, values, np.nan)
    png, bounds = signal_png(
        values, rasters.grid, thresholds=thresholds,
        margin=location_margin(rasters), max_px=max_px,
    )  # fmt: skip
    logger.debug("%s %s overlay: %.0f kB", *key, len(png) / 1e3)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    options = {"bounds": bounds, "opacity": SIGNAL_OPACITY, "pane": SIGNAL_PANE[0],
               "z": SIGNAL_PANE[1]}  # fmt: skip
    return _layer(url, name=_esc(name), kind="signal", show=show, options=options)


# --- zones -------------------------------------------------------------------------------


def zone_layers(zones: gpd.GeoDataFrame, lang: str) -> list[Any]:
    """One GeoJSON layer per zone class (white, then low signal), on when the map opens."""
    import shapely

    if zones.crs is not None and zones.crs.to_epsg() != 4326:
        zones = zones.to_crs(4326)
    zones = zones[~(zones.geometry.isna() | zones.geometry.is_empty)]
    if "zone_class" not in zones:
        logger.warning("zones: no 'zone_class' column; the zones are not drawn")
        return []
    layers = []
    for cls in (WHITE, LOW_SIGNAL):
        part = zones[zones["zone_class"].astype(str) == cls]
        if part.empty:
            continue
        geoms = shapely.simplify(
            part.geometry.to_numpy(), ZONE_SIMPLIFY_DEG, preserve_topology=True
        )
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, ZONE_COORD_DECIMALS))
        features = [
            {"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
            for g, p in zip(geoms, _zone_props(part, lang), strict=True)
            if g is not None and not g.is_empty
        ]
        n = part["zone_id"].nunique() if "zone_id" in part else len(part)
        name = label(f"map_layer_zone_{cls}", lang).format(n=format_number(n, 0, lang))
        layers.append(
            _layer(
                {"type": "FeatureCollection", "features": features},
                name=_esc(name),
                kind="zones",
                options=ZONE_STYLE[cls],
                rows=_row_labels(ZONE_ROWS, lang),
            )
        )
    return layers


def _zone_props(part: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    props = []
    cls_label = {c: _esc(label(c, lang)) for c in (WHITE, LOW_SIGNAL)}
    for row in part.drop(columns="geometry").to_dict("records"):
        area = _km2(row.get("area_km2"), lang)
        total = _km2(row.get("zone_area_km2"), lang)
        ids = str(row.get("village_ids") or "").split()
        listed = " ".join(ids[:ZONE_MAX_IDS]) + (" …" if len(ids) > ZONE_MAX_IDS else "")
        values = [
            _esc(row.get("zone_id")) or None,
            cls_label.get(str(row.get("zone_class")), _esc(row.get("zone_class"))),
            area,
            total if total != area else None,
            _num(row.get("villages"), 0, lang) if "villages" in row else None,
            _num(row.get("households"), 0, lang),
            _num(row.get("population"), 0, lang),
            _esc(row.get("district")) or None,
            _esc(row.get("commune")) or None,
            _esc(listed) or None,
        ]
        title = cls_label.get(str(row.get("zone_class")), "")
        if _present(row.get("zone_id")):
            title += f" {_esc(row['zone_id'])}"
        props.append({"t": title, "v": values})
    return props


def _km2(value: Any, lang: str) -> str | None:
    if not _present(value):
        return None
    value = float(value)
    return format_number(value, 2 if value < 10 else 1, lang) + " km²"


# --- legend ------------------------------------------------------------------------------


def area_legend_html(
    thresholds: Thresholds, lang: str, *, margin: float = 0.0, signal: bool, zones: bool
) -> str:
    """Legend rows of the signal ramp (a bar that states the thresholds) and of the zones."""
    from ..analysis.zones import MIN_ZONE_AREA_KM2

    if not signal and not zones:
        return ""

    def dbm(value: float) -> str:
        return format_number(value, 1 if round(value, 1) % 1 else 0, lang)

    lines = []
    if signal:
        breaks = ramp_breaks(thresholds, margin)[::-1]  # weakest first, left to right
        n = len(RAMP_COLOURS)
        cells = "".join(
            f'<span style="flex:1;background:{c};opacity:.85"></span>' for c in RAMP_COLOURS[::-1]
        )
        ticks = "".join(
            f'<span style="position:absolute;left:{100 * (i + 1) / n:.0f}%;'
            f'transform:translateX(-50%)">{_esc(dbm(b))}</span>'
            for i, b in enumerate(breaks)
        )
        low, covered = dbm(breaks[0]), dbm(breaks[1])
        lines += [
            f"<div style='margin-top:6px'><b>{_esc(label('map_legend_signal', lang))}</b></div>",
            '<div class="cg-ramp" style="display:flex;height:12px;width:250px;'
            f'border:1px solid #555">{cells}</div>',
            f'<div style="position:relative;height:15px;width:250px;font-size:11px">{ticks}</div>',
            "<div>"
            + _esc(label("map_ramp_classes", lang).format(covered=covered, low=low))
            + "</div>",
        ]
        note = label("map_ramp_note", lang)
        if margin:
            note += " " + label("map_ramp_margin", lang).format(margin=dbm(margin))
        lines.append(f"<div style='color:#555'>{_esc(note)}</div>")
    if zones:
        swatches = []
        for cls in (WHITE, LOW_SIGNAL):
            s = ZONE_STYLE[cls]
            border = "dashed" if s.get("dashArray") else "solid"
            swatches.append(
                f'<span style="margin-right:10px"><span class="sw" style="border-radius:0;'
                f'background:{s["fillColor"]}4D;border:2px {border} {s["color"]}"></span>'
                f"{_esc(label(f'map_legend_zone_{cls}', lang))}</span>"
            )
        minimum = format_number(MIN_ZONE_AREA_KM2, 1, lang)
        lines += [
            f"<div style='margin-top:6px'><b>{_esc(label('map_legend_zones', lang))}</b></div>",
            f"<div>{''.join(swatches)}</div>",
            f"<div style='color:#555'>"
            f"{_esc(label('map_legend_zone_note', lang).format(min=minimum))}</div>",
        ]
    return "\n".join(lines)


# --- results folder ----------------------------------------------------------------------


def find_area_results(folder: Path) -> tuple[Path | None, Path | None]:
    """Find the folder of the ``signal_*.tif`` files and the ``zones.gpkg`` of a results folder.

    Both are looked for in ``folder`` first, then in its direct subfolders (e.g. the
    output of ``covgap predict`` written inside the results).
    """
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] != ".")]
    rasters = next((d for d in candidates if any(d.glob("signal_*.tif"))), None)
    zone_dirs = [rasters] if rasters is not None else []
    zone_dirs += [d for d in candidates if d != rasters]
    zones = next((d / "zones.gpkg" for d in zone_dirs if (d / "zones.gpkg").is_file()), None)
    return rasters, zones


def read_signal_rasters(folder: Path, *, max_px: int = SIGNAL_MAX_PX) -> AreaRasters | None:
    """Read the signal COGs of a folder (:func:`covgap.radio.rasters.write_rasters`) for the map.

    Only the layers :func:`signal_keys` draws are read, decimated on reading (from the
    COG overviews) to at most twice ``max_px`` on the longer side. Class and serving-site
    rasters are not read.
    """
    import rasterio
    from rasterio.enums import Resampling

    from ..radio.rasters import AreaRasters, Grid

    signal: dict[tuple[str, str], np.ndarray] = {}
    files: dict[tuple[str, str], Path] = {}
    info: dict[str, Any] = {}
    for path in sorted(folder.glob("signal_*.tif")):
        try:
            with rasterio.open(path) as ds:
                tags = ds.tags()
        except rasterio.errors.RasterioIOError as exc:
            logger.warning("%s: not drawn (%s)", path, exc)
            continue
        if "carrier" in tags and "technology" in tags:
            files[(tags["carrier"], tags["technology"])] = path
            if tags["carrier"] == "any" and tags["technology"] == "4G":
                info = dict(tags)
    if not files:
        return None
    stub = AreaRasters(None, (), dict.fromkeys(files), {}, {})  # type: ignore[arg-type]
    grid = None
    for key, _ in signal_keys(stub):
        with rasterio.open(files[key]) as ds:
            step = max(1, math.ceil(max(ds.height, ds.width) / (2 * max_px)))
            shape = (math.ceil(ds.height / step), math.ceil(ds.width / step))
            data = ds.read(1, out_shape=shape, masked=True, resampling=Resampling.average)
            transform = ds.transform * ds.transform.scale(ds.width / shape[1], ds.height / shape[0])
            layer_grid = Grid(transform, ds.crs, shape)
        if grid is None:
            grid = layer_grid
        elif layer_grid != grid:
            logger.warning("%s: grid differs from the other layers; not drawn", files[key])
            continue
        signal[key] = np.ma.filled(data.astype(np.float32), np.nan)
    if grid is None:
        return None
    return AreaRasters(grid, (), signal, {}, {}, info=info)


def read_zones(path: Path) -> gpd.GeoDataFrame | None:
    """Read the ``zones`` layer of a GeoPackage (:func:`covgap.analysis.zones.write_zones`)."""
    import geopandas as gpd
    import pyogrio

    try:
        return gpd.read_file(path, layer="zones")
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as exc:
        logger.warning("%s: zones not drawn (%s)", path, exc)
        return None


def area_inputs(
    rasters: AreaRasters | None, zones: Any
) -> tuple[AreaRasters | None, gpd.GeoDataFrame | None]:
    """Check the ``rasters`` and ``zones`` arguments of :func:`covgap.outputs.maps.coverage_map`."""
    from ..errors import InputError

    if rasters is not None and not hasattr(rasters, "signal"):
        raise InputError(
            "rasters: expected covgap.radio.rasters.AreaRasters (predict_area's result)"
        )
    if isinstance(zones, tuple):  # area_zones' (zones, summary)
        zones = zones[0]
    if zones is not None and not hasattr(zones, "geometry"):
        raise InputError("zones: expected a GeoDataFrame (covgap.analysis.zones.area_zones)")
    return rasters, zones
