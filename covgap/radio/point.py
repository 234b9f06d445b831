"""Point analysis: the signal of every sector in range at every village point.

:func:`best_servers` is the bulk computation the pipeline runs; :func:`predict_link`
explains one path with the numpy reference of :mod:`covgap.radio.propagation` (it lives in
:mod:`covgap.radio.links` and is re-exported here with :class:`Link`);
:func:`nearest_sites` finds the closest site per point.

The terrain geometry of a path does not depend on the frequency (see
:mod:`covgap.radio.kernels`), so it is computed once per (site antenna, point) pair, where a
site antenna is a site position and antenna height shared by any number of sectors and
bands, and every sector is then evaluated from it with vectorised numpy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from tqdm import tqdm

import covgap.radio.kernels as _kernels

from ..config import Radio
from ..errors import InputError
from ..io.landcover import P2108_CATEGORIES, ClutterGrid
from ..io.terrain import (
    EARTH_RADIUS_KM,
    Terrain,
    bearing_deg,
    default_step_m,
    distance_km,
    grid_index,
    profile_segments,
    sample_heights,
)
from ..schema import (
    DEFAULT_BEAMWIDTH_DEG,
    DEFAULT_GAIN_DBI,
    DEFAULT_OMNI_GAIN_DBI,
    DEFAULT_POWER_DBM,
    DEFAULT_TILT_DEG,
    OMNI_BEAMWIDTH_DEG,
)
from .links import Link, predict_link
from .models import DEFAULT_MODEL, model_code, p2108_clutter_loss_db
from .propagation import antenna_pattern_db, knife_edge_loss_db, signal_dbm, wavelength_m

__all__ = ["SERVER_COLUMNS", "Link", "best_servers", "nearest_sites", "predict_link"]

logger = logging.getLogger(__name__)

#: Columns of :func:`best_servers`' result, in order.
SERVER_COLUMNS: tuple[str, ...] = (
    "point_id",
    "carrier",
    "technology",
    "signal_dbm",
    "site_id",
    "sector_id",
    "freq_mhz",
    "dist_km",
    "path_loss_db",
    "diffraction_loss_db",
    "pattern_loss_db",
    "los",
    "obstacle_lon",
    "obstacle_lat",
    "obstacle_height_m",
    "obstacle_dist_km",
    "n_sectors",
)
#: Points handled per batch (bounds memory; one progress step each).
POINTS_PER_CHUNK = 256


# --------------------------------------------------------------------------- inputs
def _lonlat(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in frame.columns and "lat" in frame.columns:
        return frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    if "geometry" in frame.columns:
        geom = frame.geometry
        return geom.x.to_numpy(float), geom.y.to_numpy(float)
    raise InputError("table needs lon/lat columns or a point geometry")


def _prepare_sectors(sites: pd.DataFrame) -> pd.DataFrame:
    """Canonical sector table with defaults filled, sorted by site antenna (``tx``)."""
    lon, lat = _lonlat(sites)
    sec = pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy(),
            "sector_id": (
                sites["sector_id"].astype(str).to_numpy()
                if "sector_id" in sites.columns
                else np.arange(len(sites)).astype(str)
            ),
            "carrier": sites["carrier"].astype(str).to_numpy(),
            "technology": sites["technology"].astype(str).to_numpy(),
            "freq_mhz": sites["freq_mhz"].to_numpy(float),
            "height_m": sites["height_m"].to_numpy(float),
            "lon": lon,
            "lat": lat,
        }
    )
    for col, default in (("azimuth_deg", np.nan), ("tilt_deg", DEFAULT_TILT_DEG)):
        sec[col] = sites[col].to_numpy(float) if col in sites.columns else default
    sec["tilt_deg"] = sec["tilt_deg"].fillna(DEFAULT_TILT_DEG)
    bw = sites["beamwidth_deg"].to_numpy(float) if "beamwidth_deg" in sites.columns else None
    sec["beamwidth_deg"] = DEFAULT_BEAMWIDTH_DEG if bw is None else bw
    sec["beamwidth_deg"] = sec["beamwidth_deg"].fillna(DEFAULT_BEAMWIDTH_DEG)
    omni = sec["azimuth_deg"].isna() | (sec["beamwidth_deg"] >= OMNI_BEAMWIDTH_DEG)
    gain = sites["gain_dbi"].to_numpy(float) if "gain_dbi" in sites.columns else np.nan
    sec["gain_dbi"] = gain
    sec["gain_dbi"] = sec["gain_dbi"].fillna(
        pd.Series(np.where(omni, DEFAULT_OMNI_GAIN_DBI, DEFAULT_GAIN_DBI), index=sec.index)
    )
    power = sites["power_dbm"].to_numpy(float) if "power_dbm" in sites.columns else np.nan
    sec["power_dbm"] = power
    sec["power_dbm"] = sec["power_dbm"].fillna(sec["technology"].map(DEFAULT_POWER_DBM))
    sec["tx"] = sec.groupby(["site_id", "lon", "lat", "height_m"], sort=True).ngroup()
    return sec.sort_values(["tx"], kind="stable").reset_index(drop=True)


def _check_inside(terrain: Terrain, lon, lat, ids, what: str) -> np.ndarray:
    ground = sample_heights(terrain, lon, lat)
    bad = np.isnan(ground)
    if bad.any():
        names = pd.unique(np.asarray(ids)[bad]).tolist()
        shown = ", ".join(map(str, names[:10])) + (" ..." if len(names) > 10 else "")
        raise InputError(
            f"{len(names)} {what} outside the DEM or over nodata: {shown}; "
            "extend the DEM or drop them"
        )
    return ground


def _unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _chord(dist_km: float) -> float:
    """Chord on the unit sphere of a great-circle distance (monotonic: exact range search)."""
    return 2.0 * np.sin(min(dist_km / EARTH_RADIUS_KM, np.pi) / 2.0) * (1.0 + 1e-9)


# --------------------------------------------------------------------------- public
def best_servers(
    points: pd.DataFrame,
    sites: pd.DataFrame,
    terrain: Terrain,
    *,
    radio: Radio = Radio(),
    model: str = DEFAULT_MODEL,
    progress: bool = False,
    by: str = "carrier",
    clutter: ClutterGrid | None = None,
) -> pd.DataFrame:
    """Return the strongest sector of every carrier and technology at every point.

    Every sector whose site is within ``radio.max_range_km`` of a point is evaluated:
    the path loss of ``model`` over the DEM profile from the antenna (ground +
    ``height_m``) to the receiver (ground + ``radio.rx_height_m``) -- by default
    free-space loss plus P.1812 delta-Bullington diffraction (:mod:`covgap.radio.models`) --,
    the sector's antenna pattern and the link budget of its technology
    (:func:`covgap.radio.propagation.signal_dbm`). The rasters of
    :func:`covgap.radio.area.predict_site` use the same model code
    (:func:`covgap.radio.kernels.path_loss`).

    Parameters
    ----------
    points
        ``point_id`` (int), ``lon``, ``lat`` (WGS 84).
    sites
        Canonical site table, one row per sector (``lon``/``lat`` columns or a point
        geometry in WGS 84); empty optional columns take the documented defaults.
    terrain
        The DEM covering every point and site.
    radio
        Radio and propagation settings.
    model
        ``"p1812"``, ``"bullington"``, ``"hata"`` (``"hata-open"``) or ``"fspl"``.
    progress
        Show a progress bar.
    by
        ``"carrier"``: the strongest sector per point, carrier and technology (what the
        village classes use); ``"site"``: per point, site and technology (what one
        site alone would give, e.g. a planning candidate's coverage).
    clutter
        The land cover on the DEM's grid (:func:`covgap.io.landcover.clutter_grid`),
        used as ``radio.clutter`` says: ``"p1812"`` puts its representative heights on
        every profile (the terrain models), ``"p2108"`` adds the P.2108 §3.2 median
        clutter loss at points in urban or suburban clutter, ``"none"`` (or no grid)
        ignores it and gives the bare-DEM losses bit for bit.

    Returns
    -------
    pandas.DataFrame
        One row per point, carrier (or site) and technology with at least one sector in
        range, with
        the columns of :data:`SERVER_COLUMNS`: ``signal_dbm`` is RSRP (4G), RSCP (3G) or
        RxLev (2G); ``path_loss_db`` is the model's path loss (with the land cover's
        clutter, without antenna pattern and ``radio.clutter_loss_db``) and
        ``diffraction_loss_db`` its part above free space (P.2108's loss is not in it); ``los`` is
        true when the straight line between the antennas
        clears the terrain; the obstacle is the profile point with the largest knife-edge
        parameter (NaN when the path has no diffraction loss), its distance measured from
        the point; ``n_sectors`` counts the sectors of that carrier and technology in range.

    Raises
    ------
    InputError
        A point or site lies outside the DEM (or over nodata), or a technology is unknown.
    """
    code = model_code(model)
    if by not in ("carrier", "site"):
        raise InputError(f"best_servers: by must be 'carrier' or 'site', not {by!r}")
    sec = _prepare_sectors(sites)
    p_lon, p_lat = _lonlat(points)
    p_ids = points["point_id"].to_numpy()
    if len(sec) == 0 or len(p_ids) == 0:
        return _empty_servers()
    p_ground = _check_inside(terrain, p_lon, p_lat, p_ids, "point(s)")
    tx = sec.drop_duplicates("tx")
    tx_ground = _check_inside(terrain, tx["lon"], tx["lat"], tx["site_id"], "site(s)")
    ctx = _Context.build(terrain, radio, sec, tx, tx_ground, p_lon, p_lat, p_ground, code, by)
    ctx.clutter_m, ctx.p2108 = _clutter_inputs(terrain, radio, clutter, ctx.p_col, ctx.p_row)
    tree = cKDTree(_unit_xyz(ctx.tx_lon, ctx.tx_lat))
    p_xyz = _unit_xyz(p_lon, p_lat)
    frames = []
    starts = range(0, len(p_ids), POINTS_PER_CHUNK)
    for start in tqdm(starts, disable=not progress, desc="best servers", unit="chunk"):
        idx = np.arange(start, min(start + POINTS_PER_CHUNK, len(p_ids)))
        hits = tree.query_ball_point(p_xyz[idx], _chord(radio.max_range_km))
        frames.append(ctx.evaluate(idx, hits))
    out = pd.concat(frames, ignore_index=True) if frames else _empty_servers()
    out["point_id"] = p_ids[out.pop("_point").to_numpy(np.int64)]
    logger.info("best servers: %d rows for %d points", len(out), len(p_ids))
    return out.loc[:, list(SERVER_COLUMNS)]


def _clutter_inputs(terrain, radio, clutter, p_col, p_row):
    """Return the kernels' clutter grid (or ``NO_CLUTTER``) and the points in P.2108 clutter."""
    none = (_kernels.NO_CLUTTER, None)
    if clutter is None or radio.clutter == "none":
        return none
    if clutter.shape != terrain.shape:
        raise InputError(
            f"the land cover grid {clutter.shape} is not the DEM's {terrain.shape}; build it "
            "with covgap.io.landcover.clutter_grid(paths, terrain)"
        )
    if radio.clutter == "p1812":
        return np.ascontiguousarray(clutter.heights_m, dtype=np.float64), None
    cols = np.clip(np.floor(p_col + 0.5).astype(np.int64), 0, terrain.shape[1] - 1)
    rows = np.clip(np.floor(p_row + 0.5).astype(np.int64), 0, terrain.shape[0] - 1)
    return _kernels.NO_CLUTTER, clutter.in_category(P2108_CATEGORIES)[rows, cols]


def _empty_servers() -> pd.DataFrame:
    dtypes = {"point_id": "int64", "carrier": "str", "technology": "str", "site_id": "str"}
    dtypes |= {"sector_id": "str", "los": "bool", "n_sectors": "int64", "freq_mhz": "int64"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in SERVER_COLUMNS})


@dataclass
class _Context:
    """Everything :func:`best_servers` needs per batch of points, as flat arrays."""

    terrain: Terrain
    radio: Radio
    sec: pd.DataFrame
    tx_ptr: np.ndarray
    tx_lon: np.ndarray
    tx_lat: np.ndarray
    tx_col: np.ndarray
    tx_row: np.ndarray
    tx_amsl: np.ndarray
    p_lon: np.ndarray
    p_lat: np.ndarray
    p_col: np.ndarray
    p_row: np.ndarray
    p_amsl: np.ndarray
    group: np.ndarray
    n_groups: int
    step_m: float
    tx_ground: np.ndarray
    p_ground: np.ndarray
    code: int
    clutter_m: np.ndarray | None = None
    p2108: np.ndarray | None = None

    @classmethod
    def build(
        cls, terrain, radio, sec, tx, tx_ground, p_lon, p_lat, p_ground, code, by="carrier"
    ) -> _Context:
        tx_lon, tx_lat = tx["lon"].to_numpy(float), tx["lat"].to_numpy(float)
        tx_col, tx_row = grid_index(terrain, tx_lon, tx_lat)
        p_col, p_row = grid_index(terrain, p_lon, p_lat)
        counts = np.bincount(sec["tx"].to_numpy(), minlength=len(tx))
        keys = ["carrier", "technology"] if by == "carrier" else ["site_id", "technology"]
        group = sec.groupby(keys, sort=True).ngroup().to_numpy()
        return cls(
            terrain=terrain,
            radio=radio,
            sec=sec,
            tx_ptr=np.concatenate([[0], np.cumsum(counts)]),
            tx_lon=tx_lon,
            tx_lat=tx_lat,
            tx_col=tx_col,
            tx_row=tx_row,
            tx_amsl=tx_ground + tx["height_m"].to_numpy(float),
            p_lon=p_lon,
            p_lat=p_lat,
            p_col=p_col,
            p_row=p_row,
            p_amsl=p_ground + radio.rx_height_m,
            group=group,
            n_groups=int(group.max()) + 1,
            step_m=default_step_m(terrain, radio.profile_step_m),
            tx_ground=np.asarray(tx_ground, dtype=float),
            p_ground=np.asarray(p_ground, dtype=float),
            code=code,
        )

    def evaluate(self, idx: np.ndarray, hits: list) -> pd.DataFrame:
        """Geometry of every (point, antenna) pair in range, then every sector of it."""
        n_hits = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        pair_p = np.repeat(idx, n_hits)
        pair_t = np.fromiter((t for h in hits for t in h), dtype=np.int64, count=n_hits.sum())
        d = distance_km(self.tx_lon[pair_t], self.tx_lat[pair_t], self.p_lon[pair_p],
                        self.p_lat[pair_p])  # fmt: skip
        keep = d <= self.radio.max_range_km
        pair_p, pair_t, d = pair_p[keep], pair_t[keep], d[keep]
        geo = self._geometry(pair_p, pair_t, d)
        # expand pairs to sectors: sectors of one antenna are contiguous in ``sec``
        n_sec = self.tx_ptr[pair_t + 1] - self.tx_ptr[pair_t]
        rep = np.repeat(np.arange(len(pair_t)), n_sec)
        first = np.repeat(self.tx_ptr[pair_t] - np.cumsum(n_sec) + n_sec, n_sec)
        s = first + np.arange(len(rep))
        rows = self._sector_rows(s, {k: v[rep] for k, v in geo.items()}, pair_p[rep])
        return self._reduce(rows, pair_p[rep], s)

    def _geometry(self, pair_p, pair_t, d) -> dict[str, np.ndarray]:
        hts, hrs = self.tx_amsl[pair_t], self.p_amsl[pair_p]
        ce = 1.0 / (EARTH_RADIUS_KM * self.radio.earth_k)
        x, los, t_obst, h_obst, hte, hre, hb, s_hor = _kernels.paths_terms_c(
            np.asarray(self.terrain.heights),
            _kernels.NO_CLUTTER if self.clutter_m is None else self.clutter_m,
            self.tx_col[pair_t],
            self.tx_row[pair_t],
            self.p_col[pair_p],
            self.p_row[pair_p],
            profile_segments(d, self.step_m),
            d,
            hts,
            hrs,
            ce,
            self.tx_ground[pair_t],
            self.p_ground[pair_p],
        )
        d_m = d * 1000.0
        drop_m = d_m * d_m * ce / 2000.0  # earth bulge below the antenna's horizon, m
        elevation = np.degrees(np.arctan2(hts - hrs + drop_m, d_m))
        if self.code in (_kernels.P1812, _kernels.BULLINGTON):  # obstructed: the departure
            elevation = np.where(los, elevation, np.degrees(np.arctan2(-s_hor, 1000.0)))
        o_lon = self.tx_lon[pair_t] + t_obst * (self.p_lon[pair_p] - self.tx_lon[pair_t])
        o_lat = self.tx_lat[pair_t] + t_obst * (self.p_lat[pair_p] - self.tx_lat[pair_t])
        return {
            "dist_km": d,
            "point": pair_p,
            "x": x,
            "hte": hte,
            "hre": hre,
            "hb": hb,
            "los": los,
            "obstacle_lon": o_lon,
            "obstacle_lat": o_lat,
            "obstacle_height_m": h_obst,
            "obstacle_dist_km": (1.0 - t_obst) * d,
            "depression_deg": elevation,
            "azimuth_deg": bearing_deg(
                self.tx_lon[pair_t], self.tx_lat[pair_t], self.p_lon[pair_p], self.p_lat[pair_p]
            ),
        }

    def _sector_rows(self, s, geo, point) -> dict[str, np.ndarray]:
        sec, radio = self.sec, self.radio
        freq = sec["freq_mhz"].to_numpy(float)[s]
        tech = sec["technology"].to_numpy()[s]
        l_uc = knife_edge_loss_db(geo["x"] / np.sqrt(wavelength_m(freq)))
        path_loss, diffraction = _kernels.path_losses(
            self.code, geo["dist_km"], freq, geo["x"], geo["hte"], geo["hre"], geo["hb"],
            radio.rx_height_m, EARTH_RADIUS_KM * radio.earth_k,
        )  # fmt: skip
        if self.p2108 is not None:
            inside = self.p2108[geo["point"]]
            path_loss = path_loss + np.where(
                inside, p2108_clutter_loss_db(freq, geo["dist_km"]), 0.0
            )
        pattern = -antenna_pattern_db(
            geo["azimuth_deg"] - sec["azimuth_deg"].to_numpy(float)[s],
            geo["depression_deg"],
            beamwidth_deg=sec["beamwidth_deg"].to_numpy(float)[s],
            tilt_deg=sec["tilt_deg"].to_numpy(float)[s],
            vertical_beamwidth_deg=radio.vertical_beamwidth_deg,
            front_to_back_db=radio.front_to_back_db,
            vertical_sidelobe_db=radio.vertical_sidelobe_db,
        )
        signal = signal_dbm(
            tech,
            power_dbm=sec["power_dbm"].to_numpy(float)[s],
            gain_dbi=sec["gain_dbi"].to_numpy(float)[s],
            path_loss_db=path_loss,
            pattern_loss_db=pattern,
            radio=radio,
        )
        no_loss = (l_uc <= 0.0) | (self.code in (_kernels.FSPL, _kernels.HATA_SUBURBAN,
                                                  _kernels.HATA_OPEN))  # fmt: skip
        rows = {"signal_dbm": signal, "path_loss_db": path_loss}
        rows |= {"diffraction_loss_db": diffraction, "pattern_loss_db": pattern}
        rows |= {"dist_km": geo["dist_km"], "los": geo["los"]}
        for key in ("obstacle_lon", "obstacle_lat", "obstacle_height_m", "obstacle_dist_km"):
            rows[key] = np.where(no_loss, np.nan, geo[key])
        return rows

    def _reduce(self, rows, point, s) -> pd.DataFrame:
        """Keep the strongest sector per (point, carrier, technology); count the sectors."""
        if len(s) == 0:
            return _empty_servers().drop(columns="point_id").assign(_point=np.int64(0))
        key = point * self.n_groups + self.group[s]
        order = np.lexsort((s, -rows["signal_dbm"], key))
        key_sorted = key[order]
        first = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
        n_sectors = np.diff(np.r_[first, len(key_sorted)])
        best = order[first]
        sec = self.sec.iloc[s[best]]
        out = pd.DataFrame(
            {
                "_point": point[best],
                "carrier": sec["carrier"].to_numpy(),
                "technology": sec["technology"].to_numpy(),
                "site_id": sec["site_id"].to_numpy(),
                "sector_id": sec["sector_id"].to_numpy(),
                "freq_mhz": sec["freq_mhz"].to_numpy().round().astype(np.int64),
                "n_sectors": n_sectors.astype(np.int64),
            }
        )
        for name, values in rows.items():
            out[name] = values[best]
        return out


def nearest_sites(
    points: pd.DataFrame, sites: pd.DataFrame, *, by: str | None = "carrier"
) -> pd.DataFrame:
    """Return the nearest site of every point, per carrier or overall.

    Parameters
    ----------
    points
        ``point_id``, ``lon``, ``lat`` (WGS 84).
    sites
        Site table (one row per sector; ``lon``/``lat`` or a point geometry).
    by
        ``"carrier"``: one row per point and carrier that has sites; ``None``: one row
        per point, the nearest site of any carrier.

    Returns
    -------
    pandas.DataFrame
        ``point_id``, ``carrier``, ``site_id``, ``dist_km`` (great-circle distance).
    """
    if by not in ("carrier", None):
        raise InputError(f"nearest_sites: by must be 'carrier' or None, not {by!r}")
    s_lon, s_lat = _lonlat(sites)
    table = pd.DataFrame(
        {"site_id": sites["site_id"].astype(str).to_numpy(),
         "carrier": sites["carrier"].astype(str).to_numpy(), "lon": s_lon, "lat": s_lat}
    ).drop_duplicates(["site_id", "carrier", "lon", "lat"])  # fmt: skip
    p_lon, p_lat = _lonlat(points)
    p_ids = points["point_id"].to_numpy()
    columns = ["point_id", "carrier", "site_id", "dist_km"]
    if len(table) == 0 or len(p_ids) == 0:
        dtypes = {"point_id": "int64", "carrier": "str", "site_id": "str", "dist_km": "float64"}
        return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in columns})
    groups = table.groupby("carrier", sort=True) if by == "carrier" else [(None, table)]
    frames = []
    for _, group in groups:
        tree = cKDTree(_unit_xyz(group["lon"].to_numpy(), group["lat"].to_numpy()))
        _, j = tree.query(_unit_xyz(p_lon, p_lat))
        near = group.iloc[j]
        dist = distance_km(near["lon"].to_numpy(), near["lat"].to_numpy(), p_lon, p_lat)
        frames.append(
            pd.DataFrame({"point_id": p_ids, "carrier": near["carrier"].to_numpy(),
                          "site_id": near["site_id"].to_numpy(), "dist_km": dist})
        )  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["point_id", "carrier"], kind="stable", ignore_index=True)
