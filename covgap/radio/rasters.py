r"""Best-server rasters: composites per carrier and technology, classes, COG files.

Every site's prediction (:func:`covgap.radio.area.predict_site`, one window around the site) is
first reduced to the best sector of each carrier × technology at the site
(:func:`site_layers`), then merged into the province-wide composites by a
:class:`Composite`, one site at a time, so memory holds the composites plus the windows in
flight, never every site's arrays at once. For a layer :math:`k` (one carrier and one
technology) and a cell :math:`x`:

.. math::

    S_k(x) = \max_{s \in k} S_s(x), \qquad
    \text{site}_k(x) = \min \{\, i(s) : S_s(x) = S_k(x) \,\}

where :math:`S_s` is a sector's RSRP (4G), RSCP (3G) or RxLev (2G) and :math:`i(s)` the
1-based index of the sector's site in :attr:`AreaRasters.site_ids` (sorted site ids). The
tie rule makes the result independent of the order in which sites arrive, hence of the
number of workers. The "any carrier" layer of a technology is the maximum over carriers
with the same rule; the class rasters (4G, per carrier and any carrier) use the scenario's
thresholds plus the location-variability margin, exactly as
:func:`covgap.analysis.classify.classify_points` does for village points.

Files (:func:`write_rasters`) are Cloud-Optimized GeoTIFFs: ``signal_<layer>.tif``
(float32 dBm, nodata :data:`SIGNAL_NODATA`), ``site_<layer>.tif`` (uint16, or uint32
beyond 65,534 sites; 0 = no server; the index of ``serving_sites.csv``) and
``class_<layer>.tif`` (uint8 :data:`CLASS_CODES`, 0 = no DEM), where ``<layer>`` is
``viettel_4g``, ``any_4g``... Each carries the scenario in its metadata tags.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from ..config import Radio, Thresholds
from ..errors import SolverError
from ..io.safe_csv import formula_safe
from ..io.terrain import Terrain
from ..schema import CARRIERS, COVERED, LOW_SIGNAL, TECHNOLOGIES, WHITE, carrier_slug

__all__ = [
    "ANY_CARRIER",
    "CLASS_CODES",
    "CLASS_NODATA",
    "SIGNAL_NODATA",
    "SITE_NODATA",
    "AreaRasters",
    "Composite",
    "Grid",
    "SiteLayers",
    "class_raster",
    "layer_name",
    "site_layers",
    "write_cog",
    "write_rasters",
]

logger = logging.getLogger(__name__)

#: Nodata of the float32 signal rasters (cells out of every sector's radius, or no DEM).
SIGNAL_NODATA = -9999.0
#: Class codes of the uint8 class rasters; 0 is nodata (no DEM height there).
CLASS_CODES: dict[str, int] = {COVERED: 1, LOW_SIGNAL: 2, WHITE: 3}
CLASS_NODATA = 0
#: Serving-site index of a cell no site reaches (indices are 1-based).
SITE_NODATA = 0
#: Carrier name of the composite of all carriers.
ANY_CARRIER = "any"
#: Technology whose layers get class rasters (4G decides a village's class).
CLASS_TECHNOLOGY = "4G"
_ALIGN_TOL = 1e-6  # fraction of a cell


class _Prediction(Protocol):
    site_id: str
    transform: Affine
    crs: CRS
    shape: tuple[int, int]
    sectors: pd.DataFrame
    signal_dbm: np.ndarray


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: transform (cell corners), CRS and (rows, cols)."""

    transform: Affine
    crs: CRS
    shape: tuple[int, int]

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], like: Affine, crs: CRS) -> Grid:
        """Return the smallest grid on the lattice of ``like`` that covers ``bounds``."""
        left, bottom, right, top = bounds
        col0 = math.floor((left - like.c) / like.a + _ALIGN_TOL)
        row0 = math.floor((top - like.f) / like.e + _ALIGN_TOL)
        transform = Affine(like.a, 0.0, like.c + col0 * like.a, 0.0, like.e, like.f + row0 * like.e)
        cols = math.ceil((right - transform.c) / like.a - _ALIGN_TOL)
        rows = math.ceil((bottom - transform.f) / like.e - _ALIGN_TOL)
        return cls(transform, CRS.from_user_input(crs), (max(rows, 1), max(cols, 1)))

    def offset(self, transform: Affine) -> tuple[int, int]:
        """(row, col) of the top-left cell of a window with ``transform`` in this grid.

        Raises
        ------
        SolverError
            The window's cells are not the grid's cells (other size or not aligned).
        """
        t = self.transform
        if not (
            math.isclose(transform.a, t.a, rel_tol=1e-9)
            and math.isclose(transform.e, t.e, rel_tol=1e-9)
        ):
            raise SolverError(
                f"a site window's cell size ({transform.a}, {transform.e}) differs from the "
                f"grid's ({t.a}, {t.e})"
            )
        col = (transform.c - t.c) / t.a
        row = (transform.f - t.f) / t.e
        if abs(col - round(col)) > 1e-4 or abs(row - round(row)) > 1e-4:
            raise SolverError(f"a site window is not aligned on the grid (offset {row}, {col})")
        return round(row), round(col)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the x of every column's centre and the y of every row's centre."""
        rows, cols = self.shape
        t = self.transform
        return t.c + (np.arange(cols) + 0.5) * t.a, t.f + (np.arange(rows) + 0.5) * t.e


@dataclass
class SiteLayers:
    """One site's best sector per carrier × technology over its window.

    Attributes
    ----------
    site_id
        The site.
    transform, shape
        The window's grid (the engine's :class:`~covgap.radio.area.SitePrediction`).
    layers
        ``(carrier, technology)`` -> float32 best signal (dBm), NaN out of range.
    """

    site_id: str
    transform: Affine
    shape: tuple[int, int]
    layers: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(a.nbytes for a in self.layers.values())


def site_layers(prediction: _Prediction) -> SiteLayers:
    """Reduce a site prediction to the best sector of each carrier and technology.

    Parameters
    ----------
    prediction
        The engine's result for one site (``sectors`` in the order of ``signal_dbm``).

    Returns
    -------
    SiteLayers
    """
    sectors = prediction.sectors.reset_index(drop=True)
    signal = np.asarray(prediction.signal_dbm, dtype=np.float32)
    if signal.shape[0] != len(sectors):
        raise SolverError(
            f"site {prediction.site_id}: {signal.shape[0]} signal arrays for {len(sectors)} sectors"
        )
    layers = {}
    for (carrier, tech), rows in sectors.groupby(
        ["carrier", "technology"], sort=True
    ).groups.items():
        idx = np.asarray(rows, dtype=np.int64)
        layers[(str(carrier), str(tech))] = np.fmax.reduce(signal[idx], axis=0)
    return SiteLayers(
        str(prediction.site_id), prediction.transform, tuple(prediction.shape), layers
    )


def layer_name(carrier: str, technology: str) -> str:
    """File-name key of a layer: ``("Viettel", "4G")`` -> ``"viettel_4g"``."""
    return f"{carrier_slug(carrier)}_{technology.lower()}"


def site_index_dtype(n_sites: int) -> np.dtype:
    """uint16 while the 1-based site index fits (0 is nodata), else uint32."""
    return np.dtype(np.uint16 if n_sites < np.iinfo(np.uint16).max else np.uint32)


class Composite:
    """Best-server composites, filled one site at a time (order does not matter).

    Parameters
    ----------
    site_ids
        Every site that may be added; a site's index is its 1-based position in sorted
        order.
    bounds, crs
        Area the composites cover (the DEM's bounds and CRS). The grid's cells are those
        of the first window added (all windows must share them).
    """

    def __init__(
        self, site_ids: list[str] | tuple[str, ...], bounds: tuple[float, ...], crs: CRS
    ) -> None:
        self.site_ids: tuple[str, ...] = tuple(sorted(set(map(str, site_ids))))
        self._index = {s: i + 1 for i, s in enumerate(self.site_ids)}
        self._bounds = bounds
        self._crs = CRS.from_user_input(crs)
        self._dtype = site_index_dtype(len(self.site_ids))
        self.grid: Grid | None = None
        self.signal: dict[tuple[str, str], np.ndarray] = {}
        self.site: dict[tuple[str, str], np.ndarray] = {}
        self.added: set[str] = set()

    def add(self, layers: SiteLayers) -> None:
        """Merge one site's layers into the composites."""
        if layers.site_id not in self._index:
            raise SolverError(f"site {layers.site_id} is not one of the composite's sites")
        if self.grid is None:
            self.grid = Grid.covering(self._bounds, layers.transform, self._crs)  # type: ignore[arg-type]
        r0, c0 = self.grid.offset(layers.transform)
        h, w = layers.shape
        rows, cols = self.grid.shape
        # clip the window to the grid (a window may overhang the DEM's edge)
        gr, gc = slice(max(r0, 0), min(r0 + h, rows)), slice(max(c0, 0), min(c0 + w, cols))
        wr = slice(gr.start - r0, gr.stop - r0)
        wc = slice(gc.start - c0, gc.stop - c0)
        if gr.start >= gr.stop or gc.start >= gc.stop:
            return
        index = self._index[layers.site_id]
        for key, values in layers.layers.items():
            if key not in self.signal:
                self.signal[key] = np.full(self.grid.shape, np.nan, dtype=np.float32)
                self.site[key] = np.zeros(self.grid.shape, dtype=self._dtype)
            _merge(self.signal[key][gr, gc], self.site[key][gr, gc], values[wr, wc], index)
        self.added.add(layers.site_id)

    def finish(
        self,
        *,
        valid: np.ndarray | None = None,
        thresholds: Thresholds = Thresholds(),
        radio: Radio = Radio(),
        info: Mapping[str, Any] | None = None,
    ) -> AreaRasters:
        """Add the "any carrier" layers and the class rasters; return the result.

        Parameters
        ----------
        valid
            Cells with a DEM height (others are nodata in the class rasters); ``None``:
            every cell.
        thresholds, radio
            Class thresholds and the location-variability margin.
        info
            Scenario facts stamped on every file (see :func:`write_rasters`).
        """
        if self.grid is None:
            raise SolverError("no site was added to the composites")
        return _assemble(
            self.grid, self.site_ids, self.signal, self.site, self._dtype,
            thresholds=thresholds, radio=radio, valid=valid, info=info,
        )  # fmt: skip


def _layer_order(key: tuple[str, str]) -> tuple[int, int, str]:
    carrier, tech = key
    c = CARRIERS.index(carrier) if carrier in CARRIERS else len(CARRIERS) + (carrier == ANY_CARRIER)
    t = TECHNOLOGIES.index(tech) if tech in TECHNOLOGIES else len(TECHNOLOGIES)
    return (c, t, carrier)


def _merge(best: np.ndarray, best_site: np.ndarray, new: np.ndarray, index: int) -> None:
    """In place: keep the stronger signal; on a tie the smaller site index."""
    if new.dtype == best.dtype == np.float32 and new.ndim == 2 and new.shape == best.shape:
        _kernels()[0](best, best_site, new, index)
        return
    better = (
        (new > best) | (np.isnan(best) & ~np.isnan(new)) | ((new == best) & (index < best_site))
    )
    best[better] = new[better]
    best_site[better] = index


def _merge_layer(
    best: np.ndarray, best_site: np.ndarray, new: np.ndarray, site: np.ndarray
) -> None:
    if (
        new.dtype == best.dtype == np.float32
        and new.ndim == 2
        and new.shape == best.shape == site.shape
    ):
        _kernels()[1](best, best_site, new, site)
        return
    better = (new > best) | (np.isnan(best) & ~np.isnan(new)) | ((new == best) & (site < best_site))
    best[better] = new[better]
    best_site[better] = site[better]


def _merge_site_cells(best, best_site, new, index):  # pragma: no cover - compiled
    rows, cols = new.shape
    for r in range(rows):
        for c in range(cols):
            v = new[r, c]
            if v != v:
                continue
            b = best[r, c]
            if b != b or v > b or (v == b and index < best_site[r, c]):
                best[r, c] = v
                best_site[r, c] = index


def _merge_layer_cells(best, best_site, new, site):  # pragma: no cover - compiled
    rows, cols = new.shape
    for r in range(rows):
        for c in range(cols):
            v = new[r, c]
            if v != v:
                continue
            b = best[r, c]
            s = site[r, c]
            if b != b or v > b or (v == b and s < best_site[r, c]):
                best[r, c] = v
                best_site[r, c] = s


_KERNELS: tuple[Any, Any] | None = None


def _kernels() -> tuple[Any, Any]:
    """:func:`_merge` and :func:`_merge_layer` compiled with numba (compiled on first use).

    One pass over the window instead of a dozen array operations, cell by cell the same
    rule: a NaN new value never wins; a number wins over NaN, over a smaller value, and
    over an equal value (``==``: 0.0 and -0.0 tie) of a larger site index.
    """
    global _KERNELS
    if _KERNELS is None:
        from numba import njit

        jit = njit(nogil=True, cache=True)
        _KERNELS = (jit(_merge_site_cells), jit(_merge_layer_cells))
    return _KERNELS


def recombine(
    rasters: AreaRasters,
    signal: Mapping[tuple[str, str], np.ndarray],
    *,
    thresholds: Thresholds = Thresholds(),
    radio: Radio = Radio(),
) -> AreaRasters:
    """Rebuild the "any carrier" layers and the classes from new per-carrier signals.

    Used when the per-carrier layers change after the prediction (a calibration's
    offsets): the best carrier of a cell, its serving site and its class follow.

    Parameters
    ----------
    rasters
        The prediction (grid, serving sites, the cells with a DEM height).
    signal
        New per-carrier layers, same keys and shapes as ``rasters.signal`` (without the
        "any carrier" ones).
    thresholds, radio
        Class thresholds and the location-variability margin.

    Returns
    -------
    AreaRasters
        A new result; ``rasters`` is unchanged.
    """
    new_signal = {k: np.asarray(v, dtype=np.float32) for k, v in signal.items()}
    new_site = {k: rasters.site[k] for k in new_signal}
    nodata = next(iter(rasters.classes.values()), None)
    valid = None if nodata is None else nodata != CLASS_NODATA
    dtype = next(iter(new_site.values())).dtype if new_site else np.uint16
    out = _assemble(
        rasters.grid, rasters.site_ids, new_signal, new_site, dtype,
        thresholds=thresholds, radio=radio, valid=valid, info=rasters.info,
    )  # fmt: skip
    out.stats = dict(rasters.stats)
    return out


def _assemble(
    grid: Grid,
    site_ids: tuple[str, ...],
    signal: Mapping[tuple[str, str], np.ndarray],
    site: Mapping[tuple[str, str], np.ndarray],
    dtype: Any,
    *,
    thresholds: Thresholds,
    radio: Radio,
    valid: np.ndarray | None,
    info: Mapping[str, Any] | None,
) -> AreaRasters:
    """Per-carrier layers -> the "any carrier" layers, the 4G classes and the result."""
    signal, site = dict(signal), dict(site)
    for tech in TECHNOLOGIES:
        keys = [k for k in sorted(signal, key=_layer_order) if k[1] == tech]
        if not keys:
            continue
        best = np.full(grid.shape, np.nan, dtype=np.float32)
        best_site = np.zeros(grid.shape, dtype=dtype)
        for key in keys:
            _merge_layer(best, best_site, signal[key], site[key])
        signal[(ANY_CARRIER, tech)], site[(ANY_CARRIER, tech)] = best, best_site
    classes = {
        key: class_raster(values, thresholds=thresholds, radio=radio, valid=valid)
        for key, values in signal.items()
        if key[1] == CLASS_TECHNOLOGY
    }
    order = sorted(signal, key=_layer_order)
    return AreaRasters(
        grid=grid,
        site_ids=site_ids,
        signal={k: signal[k] for k in order},
        site={k: site[k] for k in order},
        classes={k: classes[k] for k in order if k in classes},
        info=dict(info or {}),
    )


def class_raster(
    signal_dbm: np.ndarray,
    *,
    thresholds: Thresholds = Thresholds(),
    radio: Radio = Radio(),
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Class codes (:data:`CLASS_CODES`) of cells from their best 4G RSRP.

    The same rule as :func:`covgap.analysis.classify.classify_points`: covered at or above
    ``covered_dbm + margin``, low signal at or above ``low_signal_dbm + margin``, white
    below or out of range (NaN), with ``margin = radio.location_margin_db``.

    Parameters
    ----------
    signal_dbm
        Best RSRP per cell, NaN where no sector reaches.
    thresholds, radio
        Thresholds and the location-variability margin.
    valid
        Cells with a DEM height; the others get :data:`CLASS_NODATA`.

    Returns
    -------
    numpy.ndarray
        uint8 codes.
    """
    margin = radio.location_margin_db
    out = np.full(signal_dbm.shape, CLASS_CODES[WHITE], dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        out[signal_dbm >= thresholds.low_signal_dbm + margin] = CLASS_CODES[LOW_SIGNAL]
        out[signal_dbm >= thresholds.covered_dbm + margin] = CLASS_CODES[COVERED]
    if valid is not None:
        out[~valid] = CLASS_NODATA
    return out


def valid_cells(terrain: Terrain, grid: Grid) -> np.ndarray:
    """Return True where the DEM has a height under a grid cell's centre (nearest cell)."""
    x, y = grid.cell_centres()
    t = terrain.transform
    rows = np.floor((y - t.f) / t.e).astype(np.int64)
    cols = np.floor((x - t.c) / t.a).astype(np.int64)
    nrows, ncols = terrain.shape
    ok_r, ok_c = (rows >= 0) & (rows < nrows), (cols >= 0) & (cols < ncols)
    has = np.isfinite(terrain.heights)[np.ix_(rows.clip(0, nrows - 1), cols.clip(0, ncols - 1))]
    return has & ok_r[:, None] & ok_c[None, :]


@dataclass
class AreaRasters:
    """Best-server composites of an area, ready to write or to inspect.

    Attributes
    ----------
    grid
        Georeferencing of every array.
    site_ids
        Site of each serving-site index: index ``i`` (1-based) is ``site_ids[i - 1]``.
    signal
        ``(carrier, technology)`` -> float32 best signal in dBm (NaN: no sector in range);
        carrier :data:`ANY_CARRIER` for the composite of all carriers.
    site
        Same keys -> serving-site index (0: none).
    classes
        4G layers -> uint8 class codes (:data:`CLASS_CODES`).
    info
        Scenario facts written as metadata tags (model, thresholds, heights, DEM, ...).
    stats
        How the run went: sites computed and read from the cache, seconds.
    """

    grid: Grid
    site_ids: tuple[str, ...]
    signal: dict[tuple[str, str], np.ndarray]
    site: dict[tuple[str, str], np.ndarray]
    classes: dict[tuple[str, str], np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the cells holding positions ``x``, ``y`` (grid CRS); -1 outside."""
        t = self.grid.transform
        col = np.floor((np.asarray(x, float) - t.c) / t.a).astype(np.int64)
        row = np.floor((np.asarray(y, float) - t.f) / t.e).astype(np.int64)
        rows, cols = self.grid.shape
        out = (row < 0) | (row >= rows) | (col < 0) | (col >= cols)
        return np.where(out, -1, row), np.where(out, -1, col)

    def sample(self, key: tuple[str, str], x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Best signal (dBm) of layer ``key`` at positions ``x``, ``y`` (NaN outside)."""
        row, col = self.cell_of(x, y)
        values = self.signal[key][row.clip(0), col.clip(0)].astype(float)
        return np.where(row < 0, np.nan, values)

    def serving_site(self, key: tuple[str, str], x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the serving site id of layer ``key`` at ``x``, ``y`` (None: no server)."""
        row, col = self.cell_of(x, y)
        idx = self.site[key][row.clip(0), col.clip(0)].astype(np.int64)
        ids = np.array((None, *self.site_ids), dtype=object)
        return np.where(row < 0, None, ids[idx])

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write every layer as a COG (see :func:`write_rasters`)."""
        return write_rasters(self, out_dir)


# --------------------------------------------------------------------------- files
#: GDAL COG creation options (512 px tiles for large rasters would leave small test
#: rasters without overviews; 256 px tiles give overviews from 257 px up).
COG_OPTIONS: dict[str, str] = {
    "BLOCKSIZE": "256",
    "COMPRESS": "DEFLATE",
    "LEVEL": "6",
    "BIGTIFF": "IF_SAFER",
}


def write_cog(
    path: str | Path,
    array: np.ndarray,
    grid: Grid,
    *,
    nodata: float | int,
    tags: Mapping[str, Any] | None = None,
    description: str = "",
    units: str = "",
    resampling: str = "NEAREST",
) -> Path:
    """Write one band as a Cloud-Optimized GeoTIFF with metadata tags.

    Parameters
    ----------
    path
        Output file (written in place: use :func:`covgap.io.atomic.atomic_folder` around it).
    array
        2-D array on ``grid``; NaN in a float array is written as ``nodata``.
    grid
        Georeferencing.
    nodata
        Nodata value.
    tags
        Metadata (values turned into strings).
    description, units
        Band description and units.
    resampling
        GDAL resampling of the overviews (``"NEAREST"`` for codes, ``"AVERAGE"`` for dBm).

    Returns
    -------
    pathlib.Path
    """
    import rasterio

    data = array
    if np.issubdtype(array.dtype, np.floating):
        data = np.where(np.isnan(array), nodata, array).astype(array.dtype)
    rows, cols = grid.shape
    options = dict(COG_OPTIONS)
    options["PREDICTOR"] = "YES"
    options["OVERVIEW_RESAMPLING"] = resampling
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=cols,
        height=rows,
        count=1,
        dtype=data.dtype,
        crs=grid.crs,
        transform=grid.transform,
        nodata=nodata,
        **options,
    ) as dst:
        dst.write(data, 1)
        dst.update_tags(**{k: _tag(v) for k, v in (tags or {}).items()})
        if description:
            dst.set_band_description(1, description)
        if units:
            dst.units = (units,)
    return Path(path)


def _tag(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(_tag, value))
    return str(value)


def write_rasters(rasters: AreaRasters, out_dir: str | Path) -> dict[str, Path]:
    """Write every layer as a COG, plus ``serving_sites.csv`` (index -> site id).

    Files are written to a temporary folder and moved into ``out_dir`` only when all are
    complete (:func:`covgap.io.atomic.atomic_folder`).

    Parameters
    ----------
    rasters
        The composites.
    out_dir
        Destination folder (created if needed).

    Returns
    -------
    dict
        ``"signal_<layer>"``, ``"site_<layer>"``, ``"class_<layer>"`` and
        ``"serving_sites"`` -> path.
    """
    from ..io.atomic import atomic_folder

    out = Path(out_dir)
    names: dict[str, str] = {}
    with atomic_folder(out) as tmp:
        for key, values in rasters.signal.items():
            tags = _layer_tags(rasters, key)
            name = layer_name(*key)
            what = _signal_kind(key[1])
            write_cog(
                tmp / f"signal_{name}.tif",
                values,
                rasters.grid,
                nodata=SIGNAL_NODATA,
                tags=tags | {"layer": f"best {what}", "units": "dBm"},
                description=f"best {what} (dBm), {key[0]} {key[1]}",
                units="dBm",
                resampling="AVERAGE",
            )
            write_cog(
                tmp / f"site_{name}.tif",
                rasters.site[key],
                rasters.grid,
                nodata=SITE_NODATA,
                tags=tags | {"layer": "serving site index (row of serving_sites.csv; 0: none)"},
                description=f"serving site index, {key[0]} {key[1]}",
            )
            names |= {f"signal_{name}": f"signal_{name}.tif", f"site_{name}": f"site_{name}.tif"}
            if key in rasters.classes:
                codes = ", ".join(f"{c}={n}" for n, c in CLASS_CODES.items())
                write_cog(
                    tmp / f"class_{name}.tif",
                    rasters.classes[key],
                    rasters.grid,
                    nodata=CLASS_NODATA,
                    tags=tags | {"layer": "coverage class", "class_codes": f"{codes}, 0=no DEM"},
                    description=f"coverage class, {key[0]} {key[1]}",
                )
                names[f"class_{name}"] = f"class_{name}.tif"
        # formula-safe: site ids come from the user's files
        formula_safe(pd.DataFrame(
            {"site_index": np.arange(1, len(rasters.site_ids) + 1), "site_id": rasters.site_ids}
        )).to_csv(tmp / "serving_sites.csv", index=False, encoding="utf-8")  # fmt: skip
        names["serving_sites"] = "serving_sites.csv"
    logger.info("wrote %d raster files to %s", len(names), out)
    return {role: out / name for role, name in names.items()}


def _signal_kind(technology: str) -> str:
    return {"2G": "RxLev", "3G": "RSCP", "4G": "RSRP"}.get(technology, "signal")


def _layer_tags(rasters: AreaRasters, key: tuple[str, str]) -> dict[str, Any]:
    carrier, tech = key
    per_layer = rasters.info.get("layers", {}).get(layer_name(carrier, tech), {})
    base = {k: v for k, v in rasters.info.items() if k != "layers"}
    return base | {"carrier": carrier, "technology": tech} | per_layer
