"""Cell sites from crowdsourced cell exports (OpenCelliD, Mozilla Location Service style).

Crowdsourced positions are **estimates**: the centroid of where phones heard a cell, often
hundreds of metres to kilometres from the mast, towards the people. The site table written
here says so in every row (``position_note``) and in the scenario.

From cells to approximate sites:

1. keep MCC 452 cells of a known carrier (MNC 01 MobiFone, 02 VNPT/VinaPhone, 04 Viettel;
   others, e.g. 05 Vietnamobile, are counted and left out) and of a radio covgap models
   (GSM 2G, UMTS 3G, LTE 4G; NR is left out: Vietnam's 5G is anchored on LTE cells,
   which are in the export);
2. LTE cells of one eNodeB (``cell // 256``) are one site;
3. cells of one carrier closer than ``join_m`` to each other are one site (single
   linkage), the site at the samples-weighted mean of its cells;
4. one row per site, technology and band: an omni "approximate sector" (the export has no
   azimuths), ``freq_mhz`` from the cell's channel when the file has one, else the
   technology's usual band in Vietnam (:data:`DEFAULT_FREQ_MHZ`), ``height_m`` 30 m.
"""

from __future__ import annotations

import gzip
import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ...errors import DataFileError
from ...schema import BANDS_MHZ
from ..measurements import PLMN_CARRIERS, band_of_earfcn

__all__ = ["DEFAULT_FREQ_MHZ", "RADIO_TECH", "cells_to_sites", "read_cells"]

logger = logging.getLogger(__name__)

#: Columns of OpenCelliD's and MLS's exports (the OpenCelliD country export has no header).
EXPORT_COLUMNS = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)
#: Radio of the export -> covgap technology.
RADIO_TECH = {"GSM": "2G", "UMTS": "3G", "LTE": "4G"}
#: Band assumed when the export gives no channel: the band each technology mostly uses in
#: Vietnam (DOMAIN.md "Radio": 2G 900 MHz, 3G 2100 MHz, 4G 1800 MHz for all carriers).
DEFAULT_FREQ_MHZ = {"2G": 900, "3G": 2100, "4G": 1800}
DEFAULT_HEIGHT_M = 30.0
JOIN_M = 500.0
POSITION_NOTE = (
    "approximate: site position estimated from crowdsourced cell positions (OpenCelliD), "
    "which can be off by several hundred metres; azimuths unknown (omni)"
)
_RENAME = {
    "mnc": "net",
    "lac": "area",
    "tac": "area",
    "cellid": "cell",
    "cid": "cell",
    "averagesignalstrength": "averageSignal",
}


def read_cells(path: Path, *, mcc: int = 452) -> pd.DataFrame:
    """Read an OpenCelliD/MLS export (``.csv`` or ``.csv.gz``, with or without header).

    Returns the rows of ``mcc`` with columns ``radio``, ``mcc``, ``net``, ``area``,
    ``cell``, ``lon``, ``lat``, ``samples`` and, when present, ``earfcn``/``uarfcn``/``arfcn``.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataFileError(f"{path}: broken gzip file ({exc})") from exc
    text = raw.decode("utf-8", errors="replace")
    first = text.split("\n", 1)[0].lower()
    if "lat" in first and ("radio" in first or "mcc" in first):
        table = pd.read_csv(io.StringIO(text), dtype=str)
        table.columns = [c.strip() for c in table.columns]
        table = table.rename(columns={c: _RENAME.get(c.lower(), c.lower()) for c in table})
    else:
        table = pd.read_csv(io.StringIO(text), header=None, dtype=str)
        table = table.iloc[:, : len(EXPORT_COLUMNS)]
        table.columns = list(EXPORT_COLUMNS[: table.shape[1]])
    missing = {"radio", "mcc", "net", "cell", "lon", "lat"} - set(table.columns)
    if missing:
        raise DataFileError(f"{path}: not a cell export: no column(s) {sorted(missing)}")
    for col in ("mcc", "net", "area", "cell", "lon", "lat", "samples"):
        if col in table:
            table[col] = pd.to_numeric(table[col], errors="coerce")
    if "samples" not in table:
        table["samples"] = 1
    table["radio"] = table["radio"].str.strip().str.upper()
    table = table[(table["mcc"] == mcc) & table["lon"].notna() & table["lat"].notna()]
    return table.reset_index(drop=True)


def _freq(cells: pd.DataFrame) -> np.ndarray:
    tech = cells["technology"].to_numpy()
    freq = np.array([DEFAULT_FREQ_MHZ[t] for t in tech], dtype=float)
    if "earfcn" in cells:
        band = band_of_earfcn(pd.to_numeric(cells["earfcn"], errors="coerce"))
        freq = np.where((tech == "4G") & np.isin(band, BANDS_MHZ), band, freq)
    if "uarfcn" in cells:
        ch = pd.to_numeric(cells["uarfcn"], errors="coerce").to_numpy(float)
        band = np.where(
            (ch >= 10562) & (ch <= 10838), 2100, np.where((ch >= 2937) & (ch <= 3088), 900, np.nan)
        )
        freq = np.where((tech == "3G") & np.isfinite(band), band, freq)
    if "arfcn" in cells:
        ch = pd.to_numeric(cells["arfcn"], errors="coerce").to_numpy(float)
        band = np.where(
            (ch >= 512) & (ch <= 885), 1800, np.where((ch <= 124) | (ch >= 975), 900, np.nan)
        )
        freq = np.where((tech == "2G") & np.isfinite(band), band, freq)
    return freq.astype(int)


def _clusters(cells: pd.DataFrame, join_m: float) -> np.ndarray:
    """Site number of each cell: same eNodeB, or closer than ``join_m`` (single linkage)."""
    n = len(cells)
    lat0 = np.radians(cells["lat"].mean())
    xy = np.column_stack([cells["lon"] * 111_320.0 * np.cos(lat0), cells["lat"] * 110_540.0])
    pairs = [cKDTree(xy).query_pairs(join_m, output_type="ndarray")]
    lte = np.flatnonzero(cells["technology"].to_numpy() == "4G")
    if len(lte):
        enb = (cells["cell"].to_numpy()[lte] // 256).astype(np.int64)
        order = np.argsort(enb, kind="stable")
        same = np.flatnonzero(enb[order][1:] == enb[order][:-1])
        pairs.append(np.column_stack([lte[order][same], lte[order][same + 1]]))
    edges = np.concatenate([p.reshape(-1, 2) for p in pairs]).astype(np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def cells_to_sites(
    cells: pd.DataFrame,
    bounds: tuple[float, float, float, float] | None = None,
    *,
    join_m: float = JOIN_M,
    height_m: float = DEFAULT_HEIGHT_M,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Group cells into approximate sites, one row per site, technology and band.

    Parameters
    ----------
    cells
        :func:`read_cells` output.
    bounds
        Keep cells in W, S, E, N (degrees); ``None`` keeps all.
    join_m
        Cells of one carrier closer than this are one site.
    height_m
        Antenna height given to every site (the export has none).

    Returns
    -------
    sites, counts
        The site table (columns read by :func:`covgap.io.read_sites`, plus ``n_cells``,
        ``spread_m`` (largest distance of a cell from its site) and ``position_note``),
        and how many cells were kept and left out and why.
    """
    counts = {"cells_read": len(cells)}
    if bounds is not None:
        w, s, e, n = bounds
        cells = cells[cells["lon"].between(w, e) & cells["lat"].between(s, n)]
    counts["cells_in_area"] = len(cells)
    plmn = "452" + cells["net"].fillna(-1).astype(int).map("{:02d}".format)
    cells = cells.assign(carrier=plmn.map(PLMN_CARRIERS), technology=cells["radio"].map(RADIO_TECH))
    counts["other_carrier"] = int(cells["carrier"].isna().sum())
    counts["other_radio"] = int((cells["carrier"].notna() & cells["technology"].isna()).sum())
    cells = cells.dropna(subset=["carrier", "technology"]).reset_index(drop=True)
    counts["cells_used"] = len(cells)
    columns = [
        "site_id",
        "sector_id",
        "carrier",
        "technology",
        "freq_mhz",
        "height_m",
        "lon",
        "lat",
        "n_cells",
        "spread_m",
        "position_note",
    ]
    if cells.empty:
        return pd.DataFrame(columns=columns), counts
    cells["freq_mhz"] = _freq(cells)
    parts = []
    for carrier, group in cells.groupby("carrier", sort=True):
        group = group.reset_index(drop=True)
        group["site"] = _clusters(group, join_m)
        parts.append(_site_rows(group, carrier, height_m))
    sites = pd.concat(parts, ignore_index=True)[columns]
    counts["sites"] = int(sites["site_id"].nunique())
    return sites, counts


def _site_rows(group: pd.DataFrame, carrier: str, height_m: float) -> pd.DataFrame:
    w = group["samples"].fillna(1).clip(lower=1).astype(float)
    group = group.assign(wlon=group["lon"] * w, wlat=group["lat"] * w, w=w)
    centre = group.groupby("site")[["wlon", "wlat", "w"]].sum()
    centre["lon"] = centre["wlon"] / centre["w"]
    centre["lat"] = centre["wlat"] / centre["w"]
    centre = centre.sort_values(["lat", "lon"], ascending=[False, True])
    slug = carrier.lower()
    centre["site_id"] = [f"ocid-{slug}-{i + 1:04d}" for i in range(len(centre))]
    group = group.join(centre[["site_id"]], on="site")
    lat0 = np.radians(group["lat"].mean())
    dx = (group["lon"] - group["site"].map(centre["lon"])) * 111_320.0 * np.cos(lat0)
    dy = (group["lat"] - group["site"].map(centre["lat"])) * 110_540.0
    group["dist_m"] = np.hypot(dx, dy)
    rows = group.groupby(["site_id", "technology", "freq_mhz"], sort=True).agg(
        n_cells=("cell", "size"), spread_m=("dist_m", "max")
    )
    rows = rows.reset_index()
    rows["sector_id"] = rows["technology"] + "-" + rows["freq_mhz"].astype(str)
    rows["carrier"] = carrier
    rows["height_m"] = height_m
    rows["lon"] = rows["site_id"].map(centre.set_index("site_id")["lon"]).round(6)
    rows["lat"] = rows["site_id"].map(centre.set_index("site_id")["lat"]).round(6)
    rows["spread_m"] = rows["spread_m"].round(0)
    rows["position_note"] = POSITION_NOTE
    return rows
