"""Synthetic province, district and commune polygons for the bundled sample.

The outline is a hand-drawn sketch of the province, roughened with noise and scaled to the
real area. Districts are a power diagram of their real centroids on domain-warped
coordinates (irregular borders), with weights tuned to the real areas; communes are
k-means cells inside each district. Labels are drawn on a raster, polygonised and
simplified as one coverage, so districts tile the province and communes nest in them.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from scipy import ndimage

from .common import DISTRICTS, Grid, name_syllables, to_km
from .terrain import spectral_noise

logger = logging.getLogger(__name__)

__all__ = ["PROVINCE_AREA_KM2", "make_admin"]

PROVINCE_AREA_KM2 = 9069.0

#: A rough, hand-drawn outline of the province (lon, lat), clockwise from the far west.
_OUTLINE = (
    (102.33, 22.55),
    (102.41, 22.69),
    (102.55, 22.79),
    (102.74, 22.67),
    (102.98, 22.51),
    (103.14, 22.60),
    (103.29, 22.78),
    (103.43, 22.75),
    (103.55, 22.60),
    (103.57, 22.47),
    (103.76, 22.39),
    (103.87, 22.22),
    (103.97, 22.00),
    (103.92, 21.82),
    (103.86, 21.70),
    (103.71, 21.81),
    (103.64, 21.98),
    (103.50, 21.99),
    (103.38, 22.12),
    (103.26, 22.05),
    (103.10, 22.10),
    (102.96, 22.04),
    (102.81, 22.09),
    (102.72, 22.22),
    (102.60, 22.21),
    (102.49, 22.30),
)


def _cell_km2(grid: Grid) -> float:
    return grid.dx_km * grid.dy_km


def _province_mask(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Rasterised outline with a noisy border, scaled to the province's area."""
    poly = shapely.Polygon(_OUTLINE)
    inside = features.rasterize(
        [poly], out_shape=(grid.height, grid.width), transform=grid.transform, dtype="uint8"
    ).astype(bool)
    cell = np.sqrt(_cell_km2(grid))
    signed = ndimage.distance_transform_edt(inside) - ndimage.distance_transform_edt(~inside)
    signed = signed * cell + 3.0 * spectral_noise(rng, grid, beta=2.2, lo_km=25.0, hi_km=0.5)
    lo, hi = -10.0, 10.0
    for _ in range(40):  # bisection on the offset that gives the target area
        mid = 0.5 * (lo + hi)
        area = (signed > mid).sum() * _cell_km2(grid)
        lo, hi = (mid, hi) if area > PROVINCE_AREA_KM2 else (lo, mid)
    mask = _largest(signed > 0.5 * (lo + hi))
    return ndimage.binary_fill_holes(mask)


def _largest(mask: np.ndarray) -> np.ndarray:
    lab, n = ndimage.label(mask)
    if n <= 1:
        return mask
    sizes = ndimage.sum_labels(mask, lab, index=np.arange(1, n + 1))
    return lab == (1 + int(np.argmax(sizes)))


def _connect(labels: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Keep one 4-connected piece per label; give stray cells to the nearest other label.

    Only labels inside ``within`` are touched and strays only go to labels inside it.
    """
    out = np.where(within, labels, 0)
    for _ in range(10):
        stray = False
        for lab in np.unique(out[out > 0]):
            pieces, n = ndimage.label(out == lab)
            if n > 1:
                sizes = ndimage.sum_labels(np.ones_like(pieces), pieces, np.arange(1, n + 1))
                out[(pieces > 0) & (pieces != 1 + int(np.argmax(sizes)))] = 0
                stray = True
        hole = within & (out == 0)
        if not stray and not hole.any():
            break
        _, (ri, ci) = ndimage.distance_transform_edt(out == 0, return_indices=True)
        out[hole] = out[ri[hole], ci[hole]]
    return np.where(within, out, labels)


def _warped_xy(grid: Grid, rng: np.random.Generator, amp_km: float):
    xs, ys = grid.centres_km()
    xx, yy = np.meshgrid(xs, ys)
    wx = spectral_noise(rng, grid, beta=2.8, lo_km=30.0, hi_km=0.4)
    wy = spectral_noise(rng, grid, beta=2.8, lo_km=30.0, hi_km=0.4)
    return xx + amp_km * wx, yy + amp_km * wy


def _districts(grid: Grid, mask: np.ndarray, wx: np.ndarray, wy: np.ndarray) -> np.ndarray:
    """Power diagram of the district centroids tuned to the target areas."""
    cx, cy = to_km(np.array([d.lon for d in DISTRICTS]), np.array([d.lat for d in DISTRICTS]))
    target = (
        np.array([d.area_km2 for d in DISTRICTS])
        * mask.sum()
        * _cell_km2(grid)
        / sum(d.area_km2 for d in DISTRICTS)
    )
    px, py = wx[mask], wy[mask]
    d2 = (px[:, None] - cx[None, :]) ** 2 + (py[:, None] - cy[None, :]) ** 2
    weight = np.zeros(len(DISTRICTS))
    for _ in range(300):
        lab = np.argmin(d2 - weight[None, :], axis=1)
        area = np.bincount(lab, minlength=len(DISTRICTS)) * _cell_km2(grid)
        weight += 0.2 * (target - area) * (1.0 + 3.0 * (target < 300))
    labels = np.zeros(mask.shape, dtype=np.int32)
    labels[mask] = np.array([d.code for d in DISTRICTS])[lab]
    return _connect(labels, mask)


def _communes(grid: Grid, districts: np.ndarray, wx, wy, rng: np.random.Generator):
    """k-means commune cells per district; the commune nearest the town is the town."""
    labels = np.zeros(districts.shape, dtype=np.int32)
    rows = []
    used: set[str] = set()
    for d in DISTRICTS:
        inside = districts == d.code
        px, py = wx[inside], wy[inside]
        pts = np.column_stack([px, py])
        centres = pts[rng.choice(len(pts), size=d.n_communes, replace=False)]
        for _ in range(12):
            lab = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
            for k in range(d.n_communes):
                if (lab == k).any():
                    centres[k] = pts[lab == k].mean(axis=0)
        tx, ty = to_km(*d.town)
        order = np.argsort(np.hypot(centres[:, 0] - tx, centres[:, 1] - ty), kind="stable")
        n_town = 5 if d.code == 105 else 1
        codes = np.zeros(d.n_communes, dtype=np.int32)
        for rank, k in enumerate(order):
            codes[k] = d.code * 100 + rank + 1
            ctype = ("Phường" if d.code == 105 else "Thị trấn") if rank < n_town else "Xã"
            if ctype == "Thị trấn":
                name = d.name
            else:
                name = name_syllables(rng, han=ctype == "Phường")
                while name in used:
                    name = name_syllables(rng, han=ctype == "Phường")
            used.add(name)
            rows.append(
                {
                    "commune_code": int(codes[k]),
                    "commune": f"{ctype} {name}",
                    "commune_type": ctype,
                    "district_code": d.code,
                    "district": d.name,
                }
            )
        labels[inside] = codes[lab]
        labels = _connect(labels, inside)
    return labels, pd.DataFrame(rows)


def _polygonise(labels: np.ndarray, grid: Grid, tolerance: float) -> dict[int, shapely.Geometry]:
    parts: dict[int, list] = {}
    for geom, value in features.shapes(
        labels, mask=labels > 0, transform=grid.transform, connectivity=4
    ):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    codes = sorted(parts)
    geoms = [shapely.union_all(parts[c]) for c in codes]
    simple = shapely.coverage_simplify(np.array(geoms, dtype=object), tolerance)
    return {c: shapely.make_valid(g) for c, g in zip(codes, simple, strict=False)}


def make_admin(grid: Grid, rng: np.random.Generator):
    """Return (province, districts, communes) GeoDataFrames and the commune label raster."""
    mask = _province_mask(grid, rng)
    wx, wy = _warped_xy(grid, rng, amp_km=2.5)
    districts = _districts(grid, mask, wx, wy)
    communes, table = _communes(grid, districts, wx, wy, rng)
    polys = _polygonise(communes, grid, tolerance=0.6 * grid.cell_deg)
    table = table.sort_values("commune_code", kind="stable").reset_index(drop=True)
    com = gpd.GeoDataFrame(
        table, geometry=[polys[c] for c in table["commune_code"]], crs="EPSG:4326"
    )
    dis = com.dissolve(by="district_code", as_index=False, sort=True)[
        ["district_code", "district", "geometry"]
    ]
    prov = gpd.GeoDataFrame(
        {"name": ["Lai Châu (synthetic)"]},
        geometry=[shapely.union_all(dis.geometry.values)],
        crs="EPSG:4326",
    )
    for frame in (com, dis, prov):
        frame["area_km2"] = (frame.to_crs("EPSG:32648").area / 1e6).round(1)
    com = com[
        [
            "commune_code",
            "commune",
            "commune_type",
            "district_code",
            "district",
            "area_km2",
            "geometry",
        ]
    ]
    dis = dis[["district_code", "district", "area_km2", "geometry"]]
    return prov, dis, com, communes
