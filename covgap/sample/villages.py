"""Synthetic villages (thôn/bản) for the bundled sample.

Villages go where people live in such terrain: gentle ground (valley floors, benches,
plateaus), denser near the district towns and along the main valleys. Each district gets
its share of the real number of named places, and cells are weighted so the elevation
distribution follows the real villages' (median ~690 m, few above 1,800 m).
"""

from __future__ import annotations

import logging
import unicodedata

import numpy as np
import pandas as pd
from scipy import ndimage

from .common import DISTRICTS, Grid, name_syllables, to_km
from .terrain import SyntheticTerrain

logger = logging.getLogger(__name__)

__all__ = ["make_villages"]

#: Quantiles (0, 5, 10, 25, 50, 75, 90, 95, 99, 100 %) of the real villages' elevation (m).
_ELEV_Q = np.array([0, 5, 10, 25, 50, 75, 90, 95, 99, 100]) / 100.0
_ELEV_M = np.array([165, 286, 351, 520, 688, 1064, 1455, 1556, 1794, 2448.0])
_BINS = np.arange(100.0, 3301.0, 50.0)
_MIN_SPACING_KM = 0.5


def _HIGH_DAMP(h: np.ndarray) -> np.ndarray:
    """Extra push to low ground: spacing rules reject more picks in narrow valleys."""
    return np.exp(-np.clip(h - 450.0, 0.0, None) / 300.0)


def _elevation_weight(h: np.ndarray, base_w: np.ndarray) -> np.ndarray:
    """Per-cell factor that turns the base-weighted elevation histogram into the target."""
    cdf = np.interp(_BINS, _ELEV_M, _ELEV_Q)
    target = np.diff(cdf)
    have, _ = np.histogram(h, bins=_BINS, weights=base_w)
    have = have / max(have.sum(), 1e-12)
    ratio = np.where(have > 0, target / np.maximum(have, 1e-12), 0.0)
    ratio = np.minimum(ratio, 400.0 * np.median(ratio[ratio > 0]))
    idx = np.clip(np.digitize(h, _BINS) - 1, 0, len(ratio) - 1)
    return ratio[idx]


def _pick(rng, cells, weights, n, xy) -> list[int]:
    """Draw n cells by weight with a minimum spacing between picks."""
    chosen: list[int] = []
    p = weights / weights.sum()
    tries = 0
    while len(chosen) < n and tries < 40:
        tries += 1
        draw = rng.choice(len(cells), size=4 * n, p=p)
        for i in draw:
            if len(chosen) >= n:
                break
            if chosen:
                d = np.hypot(*(xy[chosen] - xy[i]).T)
                if d.min() < _MIN_SPACING_KM:
                    continue
            chosen.append(int(i))
    return chosen


def _unique_name(rng, taken: set[str]) -> str:
    for _ in range(50):
        prefix = "Bản" if rng.random() < 0.72 else "Thôn"
        name = f"{prefix} {name_syllables(rng)}"
        if name not in taken:
            return name
    k = 1
    while f"{name} {k}" in taken:
        k += 1
    return f"{name} {k}"


def make_villages(
    terrain: SyntheticTerrain,
    district_cells: np.ndarray,
    communes: pd.DataFrame,
    fraction: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Place villages; ``district_cells`` holds district codes on the terrain grid."""
    grid: Grid = terrain.grid
    h = terrain.heights
    # mean slope over ~0.7 km: the narrow floor of a V-shaped valley is no place for a village
    size = max(3, 2 * round(0.35 / grid.dx_km) + 1)
    slope = ndimage.uniform_filter(terrain.slope_deg(), size=size, mode="nearest")
    xs, ys = grid.centres_km()
    habitable = np.exp(-((slope / 13.0) ** 2)) * (slope < 30)
    valley = 1.0 + 1.5 * np.exp(-terrain.river_dist_km / 3.0)
    rows = []
    for d in DISTRICTS:
        n = max(3, round(d.n_villages * fraction))
        r, c = np.nonzero((district_cells == d.code) & (habitable > 0.05))
        tx, ty = to_km(*d.town)
        xy = np.column_stack([xs[c], ys[r]])
        town = 1.0 + 4.0 * np.exp(-np.hypot(xy[:, 0] - tx, xy[:, 1] - ty) / 6.0)
        base = habitable[r, c] * valley[r, c] * town
        w = base * _elevation_weight(h[r, c], base) * _HIGH_DAMP(h[r, c])
        for i in _pick(rng, r, w, n, xy):
            rows.append(
                {
                    "district_code": d.code,
                    "district": d.name,
                    "row": r[i],
                    "col": c[i],
                    "town_km": float(np.hypot(*(xy[i] - (tx, ty)))),
                }
            )
    frame = pd.DataFrame(rows)
    lon, lat = grid.lonlat(frame["row"].to_numpy(), frame["col"].to_numpy())
    jitter = grid.cell_deg * 0.45
    frame["lon"] = np.round(lon + rng.uniform(-jitter, jitter, len(frame)), 6)
    frame["lat"] = np.round(lat + rng.uniform(-jitter, jitter, len(frame)), 6)
    frame["elevation_m"] = np.round(h[frame["row"], frame["col"]]).astype(int)
    return frame


def add_attributes(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add names, ids, households, population, grid power and difficulty flags.

    ``frame`` must already carry ``commune_code`` and ``commune`` (point in polygon).
    """
    frame = frame.sort_values(
        ["commune_code", "lat", "lon"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    names, ids = [], []
    for code, group in frame.groupby("commune_code", sort=False):
        taken: set[str] = set()
        for k in range(len(group)):
            name = _unique_name(rng, taken)
            taken.add(name)
            names.append(unicodedata.normalize("NFC", name))
            ids.append(f"V{code}{k + 1:03d}")
    frame["village_id"] = ids
    frame["name"] = names
    share = frame["district_code"].map({d.code: d.grid_power_share for d in DISTRICTS})
    remote = np.clip(frame["town_km"] / 35.0, 0, 1)
    high = np.clip((frame["elevation_m"] - 900) / 900.0, 0, 1)
    town = frame["town_km"] < 4
    hh = np.exp(rng.normal(np.log(55), 0.45, len(frame))) * np.where(town, 1.8, 1.0)
    frame["households"] = np.clip(np.round(hh), 12, 260).astype(int)
    frame["population"] = np.round(frame["households"] * rng.uniform(4.0, 6.0, len(frame)))
    frame["population"] = frame["population"].astype(int)
    p_power = np.clip(share + 0.10 - 0.25 * remote - 0.10 * high, 0.3, 0.995)
    frame["grid_power"] = rng.random(len(frame)) < np.where(town, 0.995, p_power)
    p_hard = np.clip(0.1 + 0.6 * remote + 0.3 * high, 0.0, 0.95)
    frame["especially_difficult"] = (rng.random(len(frame)) < p_hard) & ~town
    return frame
