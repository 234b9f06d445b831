"""Static (printable) coverage maps: PNG for reports, PDF for A4 landscape print.

:func:`static_map` draws the classified villages over a shaded relief of the DEM, with
district (and optionally commune) boundaries, district names, BTS sites, highlighted
villages (a request list, labelled by name or rank without overlaps), a legend that
states the thresholds, a scale bar, a north arrow, coordinate ticks and a title block
with the scenario facts. :func:`save_static_map` writes it atomically.

>>> from covgap import pipeline, static_maps
>>> result = pipeline.run()
>>> fig = static_maps.static_map_from_result(result, lang="en")
>>> static_maps.save_static_map(fig, "coverage_map.pdf")

Projection: the map is drawn in WGS 84 longitude/latitude with the axes' aspect set to
the ratio of a degree of latitude to a degree of longitude at the centre latitude
(an equirectangular projection true at that latitude, computed on the WGS 84
ellipsoid). North is up everywhere, the DEM and the tables need no reprojection, and
the ticks are plain degrees. Over Lai Châu's 1.3° of latitude the east-west scale
differs by at most ±0.6 % from the centre, less than a printed scale bar can show; the
scale bar itself is exact at the latitude where it is drawn.

Matplotlib is used through its object-oriented API only (``Figure`` with an Agg canvas);
nothing here touches pyplot's global state, so it is safe in servers and notebooks.
"""

from __future__ import annotations

import io
import logging
import math
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..config import Thresholds
from ..errors import DataFileError, InputError
from ..io.atomic import atomic_path
from ..io.locale import check_lang, format_number
from ..schema import CLASSES, COVERED
from .labels import commune_text, label
from .map_elements import CARRIER_COLOURS, CLASS_COLOURS, OTHER_CARRIER_COLOUR

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..analysis.result import Result
    from ..io.terrain import Terrain

__all__ = ["A4_LANDSCAPE_IN", "save_static_map", "static_map", "static_map_from_result"]

logger = logging.getLogger(__name__)

#: Page size (inches) of an A4 sheet in landscape, the default figure size.
A4_LANDSCAPE_IN: tuple[float, float] = (11.69, 8.27)
#: The relief is decimated to at most this many cells along its longer side.
RELIEF_MAX_CELLS = 1600
#: Boundaries are simplified to this tolerance (degrees, about 50 m) before drawing.
SIMPLIFY_DEG = 0.0005
#: Names longer than this are cut with an ellipsis on the map and in lists.
MAX_NAME_CHARS = 28
#: The scenario facts go under the map when it leaves at least this much room (inches).
FOOTER_MIN_IN = 1.1
#: Marker diameters (points) by class: gaps larger, as on the web map.
CLASS_SIZE_PT: dict[str, float] = {"covered": 3.2, "low_signal": 5.0, "white": 5.6}
FONT = "DejaVu Sans"  # bundled with matplotlib; covers Vietnamese (Latin Extended Additional)
_SAVE_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": FONT}
_HALO = "white"
_INK = "#222222"
_RED = "#B00020"
_NICE = (1.0, 2.0, 5.0)
#: Text styles (matplotlib keyword arguments); text from input files is never mathtext.
_DISTRICT = {"fontsize": 8.5, "fontweight": "bold", "color": "#303030", "zorder": 9}
_LABEL = {"zorder": 10, "color": _INK, "textcoords": "offset points", "parse_math": False}
_SMALL = {"fontsize": 7.2, "va": "top", "linespacing": 1.35, "parse_math": False}
_HEAD = {"fontsize": 8.5, "fontweight": "bold", "va": "top", "parse_math": False}
_NOTICE_BOX = {"boxstyle": "round,pad=0.45", "facecolor": "#FFF0F0", "edgecolor": _RED}
_LEGEND = {
    "loc": "upper left", "alignment": "left", "fontsize": 7.2, "title_fontsize": 8.5,
    "frameon": False, "borderaxespad": 0.0, "borderpad": 0.0, "handletextpad": 0.6,
    "labelspacing": 0.55, "handlelength": 1.6,
}  # fmt: skip


def static_map(
    villages: gpd.GeoDataFrame,
    *,
    terrain: Terrain | None = None,
    districts: gpd.GeoDataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    highlight: Iterable[str] | None = None,
    label_highlight: Literal["name", "rank", "none"] = "name",
    max_labels: int = 25,
    highlight_title: str | None = None,
    thresholds: Thresholds = Thresholds(),
    title: str | None = None,
    info: Mapping[str, Any] | None = None,
    lang: str = "vi",
    tint: bool = False,
    extent: Sequence[float] | None = None,
    figsize: tuple[float, float] = A4_LANDSCAPE_IN,
) -> Figure:
    """Draw a printable map of classified villages.

    A map composition has many independent parts, hence the many keyword options; every
    one has a default that gives a complete map.

    Parameters
    ----------
    villages
        Classified villages (:func:`covgap.analysis.classify.classify_villages`): points with
        ``village_id``, ``name`` and ``coverage_class``; any CRS (drawn in WGS 84).
    terrain
        DEM for the shaded relief (decimated to :data:`RELIEF_MAX_CELLS`); ``None``: no relief.
    districts, communes
        Administrative polygons; districts are drawn with their names (column
        ``district``), communes as thin lines.
    sites
        BTS sectors; one small marker per site, coloured by carrier.
    highlight
        ``village_id`` values to draw prominently, in priority order (a request list).
    label_highlight
        Label highlighted villages with their ``"name"``, their ``"rank"`` in
        ``highlight`` (also listed by name beside the map), or not at all.
    max_labels
        At most this many labels, in ``highlight`` order; labels that would overlap
        another label or leave the map are dropped.
    highlight_title
        Legend text of the highlighted villages (default: "Highlighted villages").
    thresholds
        Stated in the legend.
    title
        Map title (default: the coverage-gap title of :mod:`covgap.outputs.labels`).
    info
        Scenario facts for the title block (:meth:`covgap.pipeline.Result.info`);
        ``synthetic=True`` adds a prominent notice and a watermark. Its ``thresholds``
        entry is ignored: the legend states ``thresholds`` in ``lang``.
    lang
        ``"vi"`` or ``"en"``.
    tint
        Tint the relief by elevation (else grey).
    extent
        ``(west, south, east, north)`` in degrees; default: the districts, else the villages.
    figsize
        Inches; default A4 landscape.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_static_map`.

    Raises
    ------
    InputError
        ``lang`` is unknown, a required column is missing or ``extent`` is empty.
    """
    from matplotlib import rc_context

    check_lang(lang)
    _check_villages(villages)
    info = dict(info or {})
    villages = _to_wgs84(villages)
    districts = _to_wgs84(districts) if districts is not None else None
    communes = _to_wgs84(communes) if communes is not None else None
    bounds = _extent(extent, villages, districts)
    with rc_context({"font.family": FONT}):
        fig, ax, panel_box, footer = _layout(bounds, figsize)
        if terrain is not None:
            _draw_relief(ax, terrain, bounds, tint=tint)
        _draw_boundaries(ax, districts, communes, bounds)
        if sites is not None and len(sites):
            _draw_sites(ax, _to_wgs84(sites))
        _draw_villages(ax, villages)
        ranked = _highlighted(villages, highlight)
        _draw_highlight(ax, ranked)
        obstacles = _district_labels(ax, districts) if districts is not None else []
        n_labelled = _label_highlight(ax, ranked, label_highlight, max_labels, obstacles)
        _scale_bar(ax, lang)
        _north_arrow(ax)
        _graticule(ax)
        _title_block(fig, ax, title, info, lang)
        layers = {
            "districts": districts is not None,
            "communes": communes is not None,
            "sites": sites is not None and len(sites) > 0,
            "relief": terrain is not None,
            "tint": terrain is not None and tint,
        }
        text = _PanelText(thresholds, info, lang, label_highlight, highlight_title, n_labelled)
        _panel(fig, panel_box, footer, villages, ranked, layers, text)
    return fig


def static_map_from_result(
    result: Result,
    *,
    highlight: Iterable[str] | None = None,
    lang: str = "vi",
    **options: Any,
) -> Figure:
    """Draw :func:`static_map` of an analysis result (villages, relief, boundaries, sites).

    Parameters
    ----------
    result
        :func:`covgap.pipeline.run` output.
    highlight
        ``village_id`` values to highlight, in priority order.
    lang
        ``"vi"`` or ``"en"``.
    **options
        Passed to :func:`static_map` (``label_highlight``, ``tint``, ``communes``, ...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    options.setdefault("communes", result.communes)
    return static_map(
        result.villages,
        terrain=result.terrain,
        districts=result.districts,
        sites=result.sites,
        highlight=highlight,
        thresholds=result.scenario.thresholds,
        info=result.info(),
        lang=lang,
        **options,
    )


def save_static_map(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Write a static map as PNG or PDF (by the suffix), atomically.

    The file is written to a temporary name in the destination folder and moved into
    place (:func:`os.replace`), so a failure leaves an existing file untouched and no
    partial file behind.

    Parameters
    ----------
    fig
        From :func:`static_map`.
    path
        Destination ending in ``.png`` or ``.pdf``.
    dpi
        Resolution of the PNG and of the relief image embedded in the PDF.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        The suffix is neither ``.png`` nor ``.pdf``.
    DataFileError
        The folder does not exist or cannot be written.
    """
    from matplotlib import rc_context

    from .. import __version__

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise InputError(f"{path}: a static map is written as .png or .pdf, not {path.suffix!r}")
    if not path.parent.is_dir():
        raise DataFileError(f"{path.parent}: folder does not exist; create it first")
    title = fig.get_label() or "covgap map"
    metadata = (
        {"Software": f"covgap {__version__}", "Title": title}
        if fmt == "png"
        else {"Creator": f"covgap {__version__}", "Title": title, "CreationDate": None}
    )
    try:
        with (
            atomic_path(path) as tmp,
            rc_context(_SAVE_RC),
            _native_relief(fig, fmt == "pdf"),
        ):
            _write(fig, tmp, fmt, dpi, metadata)
    except OSError as exc:
        raise DataFileError(f"{path}: could not write the map ({exc})") from exc
    logger.info("wrote %s (%.0f kB)", path, path.stat().st_size / 1e3)
    return path


def _write(fig: Figure, path: Path, fmt: str, dpi: int, metadata: dict[str, Any]) -> None:
    """Save; a PNG is re-encoded as opaque RGB (smaller, and no alpha for office software)."""
    if fmt == "pdf":
        fig.savefig(path, format="pdf", dpi=dpi, metadata=metadata, facecolor="white")
        return
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    with Image.open(buffer) as image:
        image.convert("RGB").save(path, format="png", pnginfo=info, dpi=(dpi, dpi))


@contextmanager
def _native_relief(fig: Figure, native: bool) -> Iterator[None]:
    """In a PDF, embed the relief at its own resolution (the viewer scales it): 2x smaller."""
    images = [im for ax in fig.axes for im in ax.get_images()] if native else []
    before = [im.get_interpolation() for im in images]
    for im in images:
        im.set_interpolation("none")
    try:
        yield
    finally:
        for im, interpolation in zip(images, before, strict=True):
            im.set_interpolation(interpolation)


# --- inputs ---------------------------------------------------------------------------


def _check_villages(villages: gpd.GeoDataFrame) -> None:
    missing = [c for c in ("village_id", "name", "coverage_class") if c not in villages]
    if missing:
        raise InputError(
            "static_map needs classified villages; missing column(s) "
            + ", ".join(missing)
            + " (run covgap.analysis.classify.classify_villages first)"
        )
    unknown = set(villages["coverage_class"].dropna()) - set(CLASSES)
    if unknown:
        raise InputError(f"unknown coverage_class value(s): {sorted(map(str, unknown))}")


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None or gdf.crs.to_epsg() == 4326:
        return gdf
    return gdf.to_crs("EPSG:4326")


def _extent(
    extent: Sequence[float] | None,
    villages: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None,
) -> tuple[float, float, float, float]:
    if extent is None:
        source = districts if districts is not None and len(districts) else villages
        west, south, east, north = (float(v) for v in source.total_bounds)
        pad = 0.02 * max(east - west, north - south, 0.05)
        west, south, east, north = west - pad, south - pad, east + pad, north + pad
    else:
        west, south, east, north = (float(v) for v in extent)
    if not (east > west and north > south and all(map(math.isfinite, (west, south, east, north)))):
        raise InputError(f"map extent must be (west, south, east, north), got {extent!r}")
    return west, south, east, north


def _plain(value: Any, limit: int = MAX_NAME_CHARS) -> str:
    """Text from an input file made safe to draw: NFC, one line, no control chars, cut."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- geometry of the page ---------------------------------------------------------------


def _aspect(lat: float) -> float:
    """Length of a degree of latitude over that of longitude at ``lat`` (WGS 84)."""
    return _metres_per_degree(lat, "lat") / _metres_per_degree(lat, "lon")


def _metres_per_degree(lat: float, along: Literal["lon", "lat"]) -> float:
    a, e2 = 6378137.0, 0.00669437999014  # WGS 84 semi-major axis and first eccentricity²
    s2 = math.sin(math.radians(lat)) ** 2
    if along == "lon":  # radius of the parallel
        return math.radians(1.0) * a * math.cos(math.radians(lat)) / math.sqrt(1.0 - e2 * s2)
    return math.radians(1.0) * a * (1.0 - e2) / (1.0 - e2 * s2) ** 1.5  # meridian


def _layout(
    bounds: tuple[float, float, float, float], figsize: tuple[float, float]
) -> tuple[Figure, Axes, tuple[float, float, float, float], tuple[float, float, float] | None]:
    """Make the figure and the map axes, sized to the data's shape.

    Returns the figure, the map axes, the side panel's box and, when the map leaves room
    under it, a footer (x, top, width) for the scenario facts (figure fractions).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, facecolor="white")
    FigureCanvasAgg(fig)
    fw, fh = figsize
    left, right, bottom, top, gap = 0.55, 0.3, 0.35, 1.05, 0.3  # inches
    panel_w = max(2.9, 0.27 * fw)
    west, south, east, north = bounds
    aspect = _aspect((south + north) / 2.0)
    ratio = (north - south) * aspect / (east - west)  # map height / width
    avail_w, avail_h = fw - left - right - gap - panel_w, fh - bottom - top
    w = min(avail_w, avail_h / ratio)
    h = w * ratio
    footer = None
    if avail_h - h >= FOOTER_MIN_IN:  # room under the map: facts go there
        footer = (left / fw, (fh - top - h - 0.4) / fh, w / fw)
    y0 = fh - top - h
    ax = fig.add_axes((left / fw, y0 / fh, w / fw, h / fh))
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(aspect, adjustable="box")
    ax.set_facecolor("#f4f4f2")
    ax.set_gid("map")
    px = left + w + gap
    panel = (px / fw, bottom / fh, (fw - right - px) / fw, (fh - top - bottom) / fh)
    return fig, ax, panel, footer


# --- layers -------------------------------------------------------------------------------


def _draw_relief(
    ax: Axes, terrain: Terrain, bounds: tuple[float, float, float, float], *, tint: bool
) -> None:
    from ..io.terrain import hillshade

    step = max(1, math.ceil(max(terrain.shape) / RELIEF_MAX_CELLS))
    shade = hillshade(terrain, step=step).astype(np.float64)
    heights = terrain.heights[::step, ::step].astype(np.float64)
    left, bottom, right, top = terrain.bounds
    if terrain.crs.to_epsg() != 4326:
        shade, heights, (left, bottom, right, top) = _warp_to_wgs84(terrain, shade, heights, step)
    grey = 0.42 + 0.58 * np.nan_to_num(shade, nan=1.0)  # lightened: markers stay readable
    rgb = np.repeat(grey[..., None], 3, axis=2)
    if tint:
        rgb *= _elevation_tint(heights)
    alpha = np.where(np.isnan(heights), 0.0, 1.0)
    image = np.dstack([np.clip(rgb, 0.0, 1.0), alpha])
    extent = (left, right, bottom, top)
    ax.imshow(image, extent=extent, interpolation="bilinear", zorder=0, aspect=ax.get_aspect())
    ax.images[-1].set_gid("relief")
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])


def _warp_to_wgs84(
    terrain: Terrain, shade: np.ndarray, heights: np.ndarray, step: int
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]:
    """Reproject the decimated relief of a projected DEM to WGS 84 for drawing."""
    from affine import Affine
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_t = terrain.transform @ Affine.scale(step)
    rows, cols = shade.shape
    left, bottom, right, top = terrain.bounds
    dst_t, w, h = calculate_default_transform(
        terrain.crs, "EPSG:4326", cols, rows, left, bottom, right, top
    )
    out = []
    for band in (shade, heights):
        dst = np.full((h, w), np.nan)
        crs = {"src_crs": terrain.crs, "dst_crs": "EPSG:4326", "src_nodata": np.nan}
        reproject(band, dst, src_transform=src_t, dst_transform=dst_t, **crs,
                  resampling=Resampling.bilinear)  # fmt: skip
        out.append(dst)
    return out[0], out[1], (dst_t.c, dst_t.f + h * dst_t.e, dst_t.c + w * dst_t.a, dst_t.f)


def _elevation_tint(heights: np.ndarray) -> np.ndarray:
    """Muted hypsometric colours (valleys pale green, ridges pale brown, peaks near white)."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "covgap_relief", ["#dfe8d2", "#eee6c8", "#e2cfae", "#cdb79a", "#f3f0ea"]
    )
    valid = heights[np.isfinite(heights)]
    lo, hi = np.percentile(valid, [1, 99.5]) if valid.size else (0.0, 1.0)
    norm = np.clip((np.nan_to_num(heights, nan=lo) - lo) / max(hi - lo, 1.0), 0.0, 1.0)
    return cmap(norm)[..., :3]


def _lines(geoms: Any) -> list[np.ndarray]:
    """Boundary rings of polygons as coordinate arrays (simplified)."""
    import shapely

    geoms = shapely.simplify(np.asarray(geoms), SIMPLIFY_DEG, preserve_topology=True)
    parts = shapely.get_parts(shapely.boundary(geoms[~shapely.is_empty(geoms)]))
    parts = shapely.get_parts(parts)
    return [shapely.get_coordinates(p) for p in parts]


def _draw_boundaries(
    ax: Axes,
    districts: gpd.GeoDataFrame | None,
    communes: gpd.GeoDataFrame | None,
    bounds: tuple[float, float, float, float],
) -> None:
    from matplotlib.collections import LineCollection

    if communes is not None and len(communes):
        lc = LineCollection(_lines(communes.geometry), colors="#6b6b6b", linewidths=0.3)
        lc.set(linestyle=(0, (3, 2)), zorder=2, gid="communes", alpha=0.8)
        ax.add_collection(lc)
    if districts is None or not len(districts):
        return
    province = districts.geometry.union_all()
    _mask_outside(ax, province, bounds)
    lc = LineCollection(_lines(districts.geometry), colors="#3a3a3a", linewidths=0.8, zorder=3)
    lc.set_gid("districts")
    ax.add_collection(lc)
    outline = LineCollection(_lines([province]), colors=_INK, linewidths=1.8, zorder=3.1)
    outline.set_gid("province")
    ax.add_collection(outline)


def _mask_outside(ax: Axes, province: Any, bounds: tuple[float, float, float, float]) -> None:
    """Veil everything outside the province so it stands out."""
    import shapely
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    west, south, east, north = bounds
    d = max(east - west, north - south)
    frame = shapely.box(west - d, south - d, east + d, north + d)
    outside = shapely.orient_polygons(frame.difference(province))
    paths = []
    for poly in shapely.get_parts(outside):
        for ring in (poly.exterior, *poly.interiors):
            paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
    if paths:
        patch = PathPatch(MplPath.make_compound_path(*paths), facecolor="white", alpha=0.55)
        patch.set(edgecolor="none", zorder=1, gid="outside")
        ax.add_patch(patch)


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame) -> None:
    first = sites.drop_duplicates(["site_id", "carrier"]) if "carrier" in sites else sites
    for carrier, group in first.groupby(first.get("carrier", "site_id"), sort=True):
        colour = CARRIER_COLOURS.get(str(carrier), OTHER_CARRIER_COLOUR)
        style = {"marker": "^", "edgecolors": "white", "linewidths": 0.25, "zorder": 4}
        ax.scatter(group.geometry.x, group.geometry.y, s=9, c=colour, **style)
        ax.collections[-1].set_gid(f"sites_{carrier}")


def _draw_villages(ax: Axes, villages: gpd.GeoDataFrame) -> None:
    for cls in CLASSES:  # covered first: the gaps are drawn on top
        part = villages[villages["coverage_class"] == cls]
        if not len(part):
            continue
        covered = cls == COVERED
        style = {"linewidths": 0.2, "alpha": 0.85} if covered else {"linewidths": 0.45}
        ax.scatter(part.geometry.x, part.geometry.y, s=CLASS_SIZE_PT[cls] ** 2,
                   c=CLASS_COLOURS[cls], edgecolors="#1a1a1a", zorder=5 + CLASSES.index(cls),
                   **style)  # fmt: skip
        ax.collections[-1].set_gid(f"villages_{cls}")


def _highlighted(villages: gpd.GeoDataFrame, highlight: Iterable[str] | None) -> gpd.GeoDataFrame:
    """Highlighted villages in the given order, with their 1-based ``_rank``."""
    if highlight is None:
        return villages.iloc[:0].assign(_rank=np.array([], dtype=int))
    ids = list(dict.fromkeys(str(v) for v in highlight))
    order = {vid: i + 1 for i, vid in enumerate(ids)}
    keys = villages["village_id"].astype(str)
    chosen = villages[keys.isin(order)]
    chosen = chosen.assign(_rank=keys[keys.isin(order)].map(order).astype(int))
    missing = len(ids) - chosen["village_id"].nunique()
    if missing:
        logger.warning("%d highlighted village_id(s) are not in the village table", missing)
    return chosen.sort_values("_rank", kind="stable")


def _draw_highlight(ax: Axes, ranked: gpd.GeoDataFrame) -> None:
    if not len(ranked):
        return
    x, y = ranked.geometry.x, ranked.geometry.y
    ax.scatter(x, y, s=11.5**2, facecolors="none", edgecolors="white", linewidths=2.6, zorder=8)
    ax.scatter(x, y, s=11.5**2, facecolors="none", edgecolors=_INK, linewidths=1.2, zorder=8.1)
    ax.collections[-1].set_gid("highlight")
    colours = [CLASS_COLOURS.get(c, "#888888") for c in ranked["coverage_class"]]
    ax.scatter(x, y, s=6.5**2, c=colours, edgecolors=_INK, linewidths=0.6, zorder=8.2)


# --- text on the map --------------------------------------------------------------------


def _halo(width: float = 2.2) -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground=_HALO)]


def _district_labels(ax: Axes, districts: gpd.GeoDataFrame) -> list[Any]:
    """Write district names inside their polygons; return their boxes (pixels)."""
    import shapely

    if "district" not in districts:
        return []
    renderer = ax.figure.canvas.get_renderer()
    boxes = []
    for name, geom in zip(districts["district"], districts.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        poly = max(shapely.get_parts(geom), key=lambda p: p.area)
        at = shapely.ops.polylabel(poly, tolerance=0.005) if poly.is_valid else poly.centroid
        text = ax.text(at.x, at.y, _plain(name).upper(), ha="center", va="center",
                       path_effects=_halo(2.6), parse_math=False, **_DISTRICT)  # fmt: skip
        text.set_gid("district_label")
        boxes.append(text.get_window_extent(renderer))
    return boxes


#: Where a label goes relative to its village (points), tried in this order.
_OFFSETS: tuple[tuple[float, float, str, str], ...] = (
    (6, 3, "left", "bottom"), (-6, 3, "right", "bottom"), (6, -3, "left", "top"),
    (-6, -3, "right", "top"), (8, 0, "left", "center"), (-8, 0, "right", "center"),
    (0, 8, "center", "bottom"), (0, -8, "center", "top"),
)  # fmt: skip


def _label_highlight(
    ax: Axes, ranked: gpd.GeoDataFrame, how: str, max_labels: int, obstacles: list[Any]
) -> int:
    """Label the first ``max_labels`` highlighted villages; return how many got a label.

    Each label tries eight positions around its village and takes the first that stays
    inside the map and overlaps no earlier label, district name or highlighted village.
    A name with no room is left out; a rank number is always placed (the list beside
    the map refers to it).
    """
    if how == "none" or not len(ranked) or max_labels <= 0:
        return 0
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    xy = np.column_stack([ranked.geometry.x, ranked.geometry.y])
    points = ax.transData.transform(xy)
    style = {"fontsize": 7.0, "fontweight": "bold"} if how == "rank" else {"fontsize": 6.5}
    taken, placed = [*obstacles], 0
    for (_, row), at in zip(ranked.head(max_labels).iterrows(), xy, strict=False):
        text = str(row["_rank"]) if how == "rank" else _plain(row["name"])
        for i, (dx, dy, ha, va) in enumerate(_OFFSETS):
            ann = ax.annotate(text, tuple(at), xytext=(dx, dy), ha=ha, va=va,
                              path_effects=_halo(), **_LABEL, **style)  # fmt: skip
            ann.set_gid("highlight_label")
            box = ann.get_window_extent(renderer).expanded(1.08, 1.15)
            free = (
                frame.contains(box.x0, box.y0)
                and frame.contains(box.x1, box.y1)
                and not any(box.contains(px, py) for px, py in points)
                and not any(box.overlaps(b) for b in taken)
            )
            last = i == len(_OFFSETS) - 1
            if free or (last and how == "rank"):
                taken.append(box)
                placed += 1
                break
            ann.remove()
    return placed


def _nice_km(target_km: float) -> float:
    exp = 10 ** math.floor(math.log10(target_km))
    return max(n * exp for n in _NICE if n * exp <= target_km)


def _scale_bar(ax: Axes, lang: str) -> None:
    """Alternating black/white bar of a round length, exact along its own parallel."""
    from matplotlib.patches import Rectangle

    (west, east), (south, north) = ax.get_xlim(), ax.get_ylim()
    y, h = 0.045, 0.009  # axes fraction
    m_per_deg = _metres_per_degree(south + (y + h / 2) * (north - south), "lon")
    length_km = _nice_km(0.22 * (east - west) * m_per_deg / 1000.0)
    first_digit = round(length_km / 10 ** math.floor(math.log10(length_km)))
    n_seg = 5 if first_digit in (1, 5) else 4
    seg = length_km * 1000.0 / m_per_deg / n_seg
    x0, pad = west + 0.04 * (east - west), 0.02 * (east - west)
    trans = ax.get_xaxis_transform()  # x in degrees, y in axes fraction
    ax.add_patch(Rectangle((x0 - pad, y - 0.018), n_seg * seg + 3.2 * pad, 0.062, alpha=0.8,
                           transform=trans, color="white", zorder=10))  # fmt: skip
    for i in range(n_seg):
        colour = _INK if i % 2 == 0 else "white"
        bar = Rectangle((x0 + i * seg, y), seg, h, transform=trans, facecolor=colour,
                        edgecolor=_INK, linewidth=0.6, zorder=11, gid="scale_bar")  # fmt: skip
        ax.add_patch(bar)
    for i in sorted({0, n_seg // 2 if n_seg % 2 == 0 else 0, n_seg}):
        km = length_km * i / n_seg
        text = format_number(km, 0 if km % 1 == 0 else 1, lang) + (" km" if i == n_seg else "")
        ax.text(x0 + i * seg, y + h + 0.006, text, transform=trans, va="bottom", fontsize=7,
                ha="left" if i == n_seg else "center", zorder=11,
                gid="scale_bar_label" if i == n_seg else "scale_bar_tick")  # fmt: skip


def _north_arrow(ax: Axes) -> None:
    from matplotlib.patches import Polygon

    cx, base, tip, half = 0.955, 0.865, 0.945, 0.016
    trans = ax.transAxes
    left = Polygon([(cx, tip), (cx - half, base), (cx, base + 0.022)], closed=True)
    right = Polygon([(cx, tip), (cx + half, base), (cx, base + 0.022)], closed=True)
    left.set(facecolor=_INK, edgecolor=_INK, linewidth=0.8, transform=trans, zorder=11)
    right.set(facecolor="white", edgecolor=_INK, linewidth=0.8, transform=trans, zorder=11)
    for patch in (left, right):
        patch.set_gid("north_arrow")
        ax.add_patch(patch)
    ax.text(
        cx,
        tip + 0.006,
        "N",
        transform=trans,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        zorder=11,
        path_effects=_halo(2.5),
        gid="north_arrow_label",
    )


def _graticule(ax: Axes) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter

    (west, east), (south, north) = ax.get_xlim(), ax.get_ylim()
    span = max(east - west, north - south)
    step = next((s for s in (1 / 12, 1 / 6, 0.25, 0.5, 1.0, 2.0, 5.0) if span / s <= 8), 10.0)
    for axis, lo, hi, hemi in ((ax.xaxis, west, east, "EW"), (ax.yaxis, south, north, "NS")):
        ticks = np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step
        axis.set_major_locator(FixedLocator(ticks))
        axis.set_major_formatter(FuncFormatter(lambda v, _pos, h=hemi: _dms(v, h)))
    ax.tick_params(direction="in", length=4, labelsize=7, top=True, right=True, colors="#333333")
    ax.grid(True, color="#555555", linewidth=0.3, alpha=0.35, linestyle=(0, (4, 4)))
    ax.set_axisbelow(False)
    for spine in ax.spines.values():
        spine.set(linewidth=1.0, color=_INK)


def _dms(value: float, hemi: str) -> str:
    minutes = round(abs(value) * 60)
    deg, minute = divmod(minutes, 60)
    suffix = hemi[0] if value >= 0 else hemi[1]
    return f"{deg}°{minute:02d}′{suffix}" if minute else f"{deg}°{suffix}"


# --- title and side panel ------------------------------------------------------------------


def _title_block(
    fig: Figure, ax: Axes, title: str | None, info: Mapping[str, Any], lang: str
) -> None:
    """Title, scenario and date above the map; the synthetic-data notice and watermark."""
    title = _plain(title if title is not None else label("map_title", lang), 120)
    fig.set_label(title)
    fw, fh = fig.get_size_inches()
    x, width = ax.get_position().x0, ax.get_position().width
    size = max(9.0, min(16.0, 16.0 * width * fw * 72 / (9.6 * len(title))))
    fig.text(x, 1 - 0.3 / fh, title, **{**_HEAD, "fontsize": size}, color=_INK, gid="title")
    sub = [_plain(info.get("scenario"), 80)]
    if info.get("date"):
        sub.append(f"{label('date', lang)}: {_plain(info['date'], 20)}")
    if any(sub):
        text = " · ".join(s for s in sub if s)
        fig.text(x, 1 - 0.68 / fh, text, **{**_SMALL, "fontsize": 9}, color="#444", gid="subtitle")
    if info.get("synthetic"):
        notice = "⚠ " + label("synthetic_notice", lang)
        fig.text(
            1 - 0.3 / fw,
            1 - 0.3 / fh,
            notice,
            ha="right",
            va="top",
            fontsize=10.5,
            fontweight="bold",
            color=_RED,
            bbox=_NOTICE_BOX,
            gid="synthetic_notice",
        )
        mark = label("synthetic_notice", lang).split("–")[0].strip()
        ax.text(0.5, 0.5, mark, transform=ax.transAxes, rotation=28, ha="center", va="center",
                fontsize=40, fontweight="bold", color=_RED, alpha=0.10, zorder=12,
                gid="synthetic_watermark")  # fmt: skip


@dataclass(frozen=True)
class _PanelText:
    """What the side panel states besides the layers drawn."""

    thresholds: Thresholds
    info: Mapping[str, Any]
    lang: str
    how: str  # label_highlight
    highlight_title: str | None
    n_labelled: int


def _panel(
    fig: Figure,
    box: tuple[float, float, float, float],
    footer: tuple[float, float, float] | None,
    villages: gpd.GeoDataFrame,
    ranked: gpd.GeoDataFrame,
    layers: Mapping[str, bool],
    text: _PanelText,
) -> None:
    """Legend, notes, scenario facts and the ranked list, stacked top-down right of the map.

    The facts go under the map when ``footer`` has room, else into the panel before the
    ranked list (which takes whatever height is left).
    """
    x0, y0, width, height = box
    fw = fig.get_size_inches()[0]
    chars = int(width * fw * 72 / (7.2 * 0.55))  # wrap width at 7.2 pt
    lang = text.lang
    entries = _class_entries(villages, ranked, text)
    y = _legend(fig, x0, y0 + height, entries, chars, label("legend_title", lang), "legend")
    other = _layer_entries(layers, lang)
    if other:
        y = _legend(fig, x0, y, other, chars, "", "legend_other")
    notes = [label("legend_note", lang)]
    if layers["relief"]:
        notes.append(label("static_relief_tint" if layers["tint"] else "static_relief", lang))
    if text.how == "name" and len(ranked) > text.n_labelled:
        more = len(ranked) - text.n_labelled
        notes.append(label("static_more_unlabelled", lang).format(n=more))
    y = _text_block(fig, x0, y, None, notes, chars, "notes", color="#444444")
    rows = _fact_rows(text.info, text.thresholds, sum(fig.axes[0].get_ylim()) / 2.0, lang)
    if footer is None:
        y = _facts(fig, (x0, y, width), rows, lang, columns=1)
    else:
        _facts(fig, footer, rows, lang, columns=2)
    if text.how == "rank" and len(ranked):
        _ranked_list(fig, x0, y, y0, ranked, text.n_labelled, chars, lang)


def _legend(
    fig: Figure, x: float, y: float, entries: list[tuple[Any, str]], chars: int, title: str,
    gid: str,
) -> float:  # fmt: skip
    """Draw a legend hanging from (x, y) in figure fractions; return the y below it."""
    handles, texts = [h for h, _ in entries], [_wrap(t, chars - 4) for _, t in entries]
    leg = fig.legend(handles, texts, bbox_to_anchor=(x, y), title=title, **_LEGEND)
    leg.set_gid(gid)
    leg.get_title().set_fontweight("bold")
    for t in leg.get_texts():
        t.set_parse_math(False)
    height = leg.get_window_extent(fig.canvas.get_renderer()).height
    fh = fig.get_size_inches()[1]
    return y - height / (fh * fig.dpi) - 0.18 / fh


def _class_entries(
    villages: gpd.GeoDataFrame, ranked: gpd.GeoDataFrame, text: _PanelText
) -> list[tuple[Any, str]]:
    from matplotlib.lines import Line2D

    lang, t = text.lang, text.thresholds
    cov, low = _dbm(t.covered_dbm, lang), _dbm(t.low_signal_dbm, lang)
    counts = villages["coverage_class"].value_counts()
    entries = []
    for cls in CLASSES:
        n = format_number(int(counts.get(cls, 0)), 0, lang)
        words = f"{label(cls, lang)} ({label('static_villages_n', lang).format(n=n)}): "
        words += label(f"legend_{cls}", lang).format(covered=cov, low=low)
        size, colour = CLASS_SIZE_PT[cls] * 1.3, CLASS_COLOURS[cls]
        marker = Line2D([], [], ls="", marker="o", ms=size, mfc=colour, mec="#1a1a1a", mew=0.45)
        entries.append((marker, words))
    if len(ranked):
        ring = Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec=_INK, mew=1.2)
        name = _plain(text.highlight_title, 80) or label("static_highlight", lang)
        entries.append((ring, f"{name} ({format_number(len(ranked), 0, lang)})"))
    return entries


def _layer_entries(layers: Mapping[str, bool], lang: str) -> list[tuple[Any, str]]:
    from matplotlib.lines import Line2D

    entries = []
    if layers["sites"]:
        for carrier, colour in CARRIER_COLOURS.items():
            marker = Line2D([], [], ls="", marker="^", ms=5, mfc=colour, mec="white", mew=0.3)
            entries.append((marker, f"{label('bts_site', lang)} {carrier}"))
    lines = {
        "static_province_boundary": (layers["districts"], {"color": _INK, "lw": 1.8}),
        "static_district_boundary": (layers["districts"], {"color": "#3a3a3a", "lw": 0.8}),
        "static_commune_boundary": (layers["communes"], {"color": "#6b6b6b", "lw": 0.5,
                                                         "ls": (0, (3, 2))}),
    }  # fmt: skip
    for key, (shown, style) in lines.items():
        if shown:
            entries.append((Line2D([], [], **style), label(key, lang)))
    return entries


def _ranked_list(
    fig: Figure, x: float, y: float, bottom: float, ranked: gpd.GeoDataFrame, n: int,
    chars: int, lang: str,
) -> float:  # fmt: skip
    """Numbered list of the labelled villages, as many as fit above ``bottom``."""
    line = 7.2 * 1.35 / 72 / fig.get_size_inches()[1]  # one line, figure fraction
    room = max(int((y - bottom) / line) - 3, 1)  # title and the "more" line
    shown = min(n, room)
    rows = []
    for _, row in ranked.head(shown).iterrows():
        # one naming of communes: the 07/2025 unit, the former one in brackets
        commune = _plain(commune_text(row.get("commune_2025"), row.get("commune")), 40)
        where = f" – {commune}" if commune else ""
        rows.append(f"{row['_rank']:>3}. {_plain(row['name'])}{where}")
    if len(ranked) > shown:
        rows.append(label("static_more", lang).format(n=len(ranked) - shown))
    return _text_block(fig, x, y, label("static_rank_note", lang), rows, chars, "ranked_list")


def _fact_rows(info: Mapping[str, Any], thresholds: Thresholds, lat: float, lang: str) -> list[str]:
    """Scenario facts, one line each, numbers written the ``lang`` way."""
    from .. import __version__

    rows = []
    for key in ("model", "dem", "dem_resolution_m", "rx_height_m", "location_probability"):
        value = info.get(key)
        if key == "model" and lang == "vi":
            value = info.get("model_vi") or value
        if value is None or value == "":
            continue
        if key == "location_probability" and isinstance(value, (int, float)):
            value = format_number(100 * value, 0, lang) + " %"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = format_number(value, 0 if float(value).is_integer() else 1, lang)
        rows.append(f"{label(key, lang)}: {_plain(value, 140)}")
    limits = (
        f"{label(COVERED, lang)} ≥ {_dbm(thresholds.covered_dbm, lang)} dBm · "
        f"{label('white', lang)} < {_dbm(thresholds.low_signal_dbm, lang)} dBm (4G RSRP)"
    )
    rows.insert(1 if rows else 0, f"{label('thresholds', lang)}: {limits}")
    rows.append(label("static_projection", lang).format(lat=format_number(lat, 2, lang)))
    version = info.get("covgap_version", __version__)
    rows.append(label("static_made_with", lang).format(version=_plain(version, 20)))
    return rows


def _facts(
    fig: Figure, where: tuple[float, float, float], rows: list[str], lang: str, *, columns: int
) -> float:
    """Scenario facts at (x, top, width) in figure fractions, in 1 or 2 columns."""
    x, y, width = where
    fw, fh = fig.get_size_inches()
    col_w = width / columns
    chars = int(col_w * fw * 72 / (7.2 * 0.55)) - 2
    per_col = math.ceil(len(rows) / columns)
    y = _text_block(fig, x, y, label("static_scenario_facts", lang), [], chars, "facts_title")
    y += 0.2 / fh  # no gap between the title and its columns
    parts = [rows[i * per_col : (i + 1) * per_col] for i in range(columns)]
    return min(_text_block(fig, x + i * col_w, y, None, part, chars, "facts", color="#333")
               for i, part in enumerate(parts))  # fmt: skip


def _text_block(
    fig: Figure, x: float, y: float, title: str | None, rows: list[str], chars: int, gid: str,
    *, color: str = _INK,
) -> float:  # fmt: skip
    """Write an optional bold title and wrapped rows from (x, y) down; return the y below."""
    renderer = fig.canvas.get_renderer()
    fh = fig.get_size_inches()[1]
    if title:
        t = fig.text(x, y, title, **_HEAD, gid=f"{gid}_title" if rows else gid)
        y -= t.get_window_extent(renderer).height / (fh * fig.dpi) + 0.05 / fh
    if rows:
        body = "\n".join(_wrap(r, chars) for r in rows)
        t = fig.text(x, y, body, **_SMALL, color=color, gid=gid)
        y -= t.get_window_extent(renderer).height / (fh * fig.dpi)
    return y - 0.2 / fh


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, max(width, 12), break_long_words=True)) or text


def _dbm(value: float, lang: str) -> str:
    return format_number(value, 1 if value % 1 else 0, lang)
