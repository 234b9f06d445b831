"""Synthetic BTS sites of the three carriers for the bundled sample.

Each carrier first puts a few sites around every district town, then adds sites one at a
time on hilltops and spurs that see the most not-yet-served households (a line-of-sight
screen over the DEM), until its budget is spent. Villages without grid power count little,
and the far west counts less, which leaves the realistic white and low-signal pockets.
Some remote sites carry only 2G.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import ndimage

import covgap.sample.kernels as K

from .common import DISTRICTS, Grid, to_km
from .terrain import SyntheticTerrain

logger = logging.getLogger(__name__)

__all__ = ["CARRIER_PLAN", "make_sites"]

#: carrier -> (id prefix, sites in the full sample, town sites per town, share of 2G-only
#: remote sites, share of 4G 2600 MHz overlays at town sites)
CARRIER_PLAN = {
    "Viettel": ("VTL", 330, 4, 0.02, 0.5),
    "VNPT": ("VNP", 220, 3, 0.01, 0.0),
    "MobiFone": ("MBF", 170, 2, 0.01, 0.0),
}
_SEEN_KM = 8.0  # a village seen from a mast within this distance counts as served
_NEAR_KM = 2.0  # ... and so does one this close, seen or not
_SPACING_KM = 1.5  # minimum distance between two sites of one carrier
_N_POCKETS = 24  # remote pockets left without a site (full sample)
_SPUR_KM = 2.0  # half of the candidate masts stand on spurs this close to a village
_MAX_DEPRESSION_DEG = 12.0  # villages seen more steeply below the mast count as unserved
_POCKET_KM = 7.0  # no site closer than this to a village of a pocket


def _candidates(
    terrain: SyntheticTerrain, inside: np.ndarray, near_village: np.ndarray, n: int, rng
) -> np.ndarray:
    """Flat indices of hilltop/spur cells (high above their surroundings) in the province.

    Half of them are drawn anywhere, half on the spurs within ~2 km of a village (masts
    above a valley settlement), as built in deeply dissected country.
    """
    h = terrain.heights
    size = max(3, round(1.5 / terrain.grid.dx_km) | 1)
    tpi = h - ndimage.uniform_filter(h, size=size, mode="nearest")
    score = np.where(inside, np.clip(tpi, 0, None), 0).ravel()
    picks = []
    for mask in (np.ones_like(score, dtype=bool), near_village.ravel()):
        s = np.where(mask, score, 0.0)
        pool = np.flatnonzero(s > np.percentile(s[s > 0], 40))
        p = s[pool] / s[pool].sum()
        picks.append(rng.choice(pool, size=min(n // 2, len(pool)), replace=False, p=p))
    return np.unique(np.concatenate(picks))


def _pockets(villages: pd.DataFrame, vxy: np.ndarray, fraction: float, rng) -> np.ndarray:
    """Villages of remote pockets that no carrier builds for (mostly in the far west)."""
    remote = (
        villages["town_km"].to_numpy() > 10
        if "town_km" in villages
        else np.ones(len(villages), dtype=bool)
    )
    west = villages["lon"].to_numpy() < 103.0
    n = max(1, round(_N_POCKETS * fraction))
    p = remote * np.where(west, 6.0, 1.0)
    centres = rng.choice(
        len(villages), size=min(n, int((p > 0).sum())), replace=False, p=p / p.sum()
    )
    d = np.min(np.hypot(*(vxy[:, None, :] - vxy[centres][None]).T), axis=0)
    return d < 2.5


def _served(seen: np.ndarray, dist: np.ndarray) -> np.ndarray:
    return seen | (dist < _NEAR_KM)


def _greedy(gain_w, served_mat, town_mask, budget, xy, taken, rng) -> list[int]:
    """Pick candidates one by one maximising newly served weight (ties broken randomly)."""
    served_f = served_mat.astype(np.float32)
    left = np.ones(served_mat.shape[1], dtype=np.float32) * gain_w.astype(np.float32)
    near = np.full(served_mat.shape[0], np.inf)
    picks = list(taken)
    for i in taken:
        left[served_mat[i]] = 0.0
        near = np.minimum(near, np.hypot(*(xy - xy[i]).T))
    noise = rng.uniform(0.0, 1e-3, served_mat.shape[0])
    capacity = served_f @ gain_w.astype(np.float32) * (0.2 + town_mask) + noise
    for _ in range(budget):
        gain = np.where(near < _SPACING_KM, -1.0, served_f @ left + noise)
        best = int(np.argmax(gain))
        if gain[best] <= 0.5:  # nothing new to serve: a capacity site
            gain = np.where(near < 2 * _SPACING_KM, -1.0, capacity)
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                break
        picks.append(best)
        left[served_mat[best]] = 0.0
        near = np.minimum(near, np.hypot(*(xy - xy[best]).T))
    return picks[len(taken) :]


def make_sites(
    terrain: SyntheticTerrain,
    inside: np.ndarray,
    villages: pd.DataFrame,
    fraction: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Return one row per sector (columns of docs/design.md, sites sample)."""
    grid: Grid = terrain.grid
    n_cand = int(8000 * max(fraction, 0.1))
    vr, vc = grid.rowcol(villages["lon"].to_numpy(), villages["lat"].to_numpy())
    near_village = np.zeros(terrain.heights.shape, dtype=bool)
    near_village[vr, vc] = True
    reach = max(1, round(_SPUR_KM / grid.dx_km))
    near_village = ndimage.binary_dilation(near_village, iterations=reach)
    cand = _candidates(terrain, inside, near_village, n_cand, rng)
    cr, cc = np.divmod(cand, grid.width)
    w = villages["households"].to_numpy(float)
    seen = K.visible_counts(
        terrain.heights, cr, cc, 35.0, vr, vc, w, grid.dx_km, grid.dy_km, _SEEN_KM, 8495.0
    )
    xs, ys = grid.centres_km()
    cxy = np.column_stack([xs[cc], ys[cr]])
    vxy = np.column_stack(to_km(villages["lon"].to_numpy(), villages["lat"].to_numpy()))
    dist = np.hypot(*(cxy[:, None, :] - vxy[None]).T).T
    drop = terrain.heights[cr, cc][:, None] + 35.0 - terrain.heights[vr, vc][None]
    steep = drop / np.maximum(dist, 0.05) / 1000.0 > np.tan(np.radians(_MAX_DEPRESSION_DEG))
    served = _served(seen & ~steep, dist)
    town_km = np.min([np.hypot(*(cxy - to_km(*d.town)).T) for d in DISTRICTS], axis=0)
    town_mask = (town_km < 5).astype(float)
    powered = villages["grid_power"].to_numpy(bool)
    west = np.clip((103.0 - villages["lon"].to_numpy()) / 0.6, 0, 1)
    pocket = _pockets(villages, vxy, fraction, rng)
    capital = np.where(villages["district_code"].to_numpy() == 105, 4.0, 1.0)
    blocked = np.min(np.hypot(*(cxy[:, None, :] - vxy[pocket][None]).T), axis=0) < _POCKET_KM
    served = served & ~blocked[:, None]
    rows = []
    for carrier, (prefix, full, per_town, share_2g, share_2600) in CARRIER_PLAN.items():
        budget = max(4, round(full * fraction))
        gain_w = w * np.where(powered, 1.0, 0.05) * (1.0 - 0.75 * west) * ~pocket * capital
        towns = []
        for d in DISTRICTS:
            near = np.flatnonzero(town_km < 4.0)
            k = per_town * (3 if d.code == 105 else 1)
            dd = np.hypot(*(cxy[near] - to_km(*d.town)).T)
            towns += [int(i) for i in near[np.argsort(dd, kind="stable")][: max(1, k)]]
        towns = list(dict.fromkeys(towns))[: budget // 3]
        picks = towns + _greedy(gain_w, served, town_mask, budget - len(towns), cxy, towns, rng)
        rows += _sectors(carrier, prefix, picks, grid, cr, cc, town_km, share_2g, share_2600, rng)
    return pd.DataFrame(rows)


def _sectors(carrier, prefix, picks, grid, cr, cc, town_km, share_2g, share_2600, rng):
    lon, lat = grid.lonlat(cr[picks], cc[picks])
    order = np.lexsort((lon, -lat))
    rows = []
    for n, k in enumerate(order, start=1):
        i = picks[k]
        remote = town_km[i] > 12
        only_2g = remote and rng.random() < share_2g * 2
        techs = [("2G", 900)] if only_2g else [("2G", 900), ("3G", 2100), ("4G", 1800)]
        if not remote and town_km[i] < 5 and rng.random() < share_2600:
            techs.append(("4G", 2600))
        height = float(rng.choice([25, 30, 35, 40, 45]))
        fibre = bool(town_km[i] < 10 or rng.random() < 0.45)
        gain = float(rng.choice([15.0, 16.0, 17.0, 18.0]))
        turn = rng.uniform(0, 120)
        for tech, freq in techs:
            for s in range(3):
                rows.append(
                    {
                        "site_id": f"{prefix}-LC{n:04d}",
                        "sector_id": f"{tech}{freq}-{s + 1}",
                        "carrier": carrier,
                        "lon": round(float(lon[k]), 6),
                        "lat": round(float(lat[k]), 6),
                        "height_m": height,
                        "technology": tech,
                        "freq_mhz": freq,
                        "azimuth_deg": round((turn + 120 * s + rng.normal(0, 8)) % 360, 0),
                        "tilt_deg": float(rng.integers(2, 7)),
                        "power_dbm": 46.0 if tech == "4G" else 43.0,
                        "gain_dbi": gain,
                        "beamwidth_deg": 65.0,
                        "fibre_backhaul": fibre,
                    }
                )
    return rows
