"""Shared pieces of the synthetic Lai Châu generator: grid, geography, random names.

Everything here is invented for the bundled sample (:mod:`covgap.sample`). Positions of the
district towns, rivers and ranges are rough sketches of the real province drawn by hand so
that the sample *behaves* like Lai Châu; none of it is copied from a map or a data set.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
from affine import Affine

__all__ = [
    "DISTRICTS",
    "LAT_MAX",
    "LAT_MIN",
    "LON_MAX",
    "LON_MIN",
    "RANGES",
    "RIVERS",
    "SIZES",
    "District",
    "Grid",
    "River",
    "SizeSpec",
    "make_grid",
    "name_syllables",
]

#: DEM extent (degrees, WGS 84).
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 102.2, 104.1, 21.6, 22.9
#: Kilometres per degree at the middle latitude (local equirectangular frame).
KM_PER_DEG_LAT = 110.6
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(22.25))


@dataclass(frozen=True)
class SizeSpec:
    """How big a generated scenario is.

    Attributes
    ----------
    cell_arcsec
        DEM cell size in arc-seconds (3 for the full sample).
    admin_factor
        Cells of the DEM grid per cell of the grid the boundaries are drawn on.
    fraction
        Share of the full sample's villages and sites.
    lem_factor
        DEM cells per cell of the coarser grid the landscape-evolution model runs on.
    """

    cell_arcsec: int
    admin_factor: int
    fraction: float
    lem_factor: int


#: ``size`` keyword of :func:`covgap.sample.generate_sample`.
SIZES: dict[str, SizeSpec] = {
    "full": SizeSpec(cell_arcsec=3, admin_factor=3, fraction=1.0, lem_factor=3),
    "small": SizeSpec(cell_arcsec=15, admin_factor=1, fraction=0.15, lem_factor=2),
}


@dataclass(frozen=True)
class Grid:
    """A north-up lon/lat grid with the local km frame used by the generator."""

    cell_deg: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        """Affine transform of the cell corners (rasterio convention)."""
        return Affine(self.cell_deg, 0.0, LON_MIN, 0.0, -self.cell_deg, LAT_MAX)

    @property
    def dx_km(self) -> float:
        """East-west cell size in km."""
        return self.cell_deg * KM_PER_DEG_LON

    @property
    def dy_km(self) -> float:
        """North-south cell size in km."""
        return self.cell_deg * KM_PER_DEG_LAT

    def centres_km(self) -> tuple[np.ndarray, np.ndarray]:
        """Return 1-D x (east, km) of the columns and y (north, km) of the rows."""
        x = (np.arange(self.width) + 0.5) * self.dx_km
        y = (LAT_MAX - LAT_MIN) * KM_PER_DEG_LAT - (np.arange(self.height) + 0.5) * self.dy_km
        return x, y

    def rowcol(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the (row, col) of the cells holding lon/lat points (clipped to the grid)."""
        col = np.floor((np.asarray(lon) - LON_MIN) / self.cell_deg).astype(np.int64)
        row = np.floor((LAT_MAX - np.asarray(lat)) / self.cell_deg).astype(np.int64)
        return np.clip(row, 0, self.height - 1), np.clip(col, 0, self.width - 1)

    def lonlat(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return lon/lat of cell centres."""
        lon = LON_MIN + (np.asarray(col) + 0.5) * self.cell_deg
        lat = LAT_MAX - (np.asarray(row) + 0.5) * self.cell_deg
        return lon, lat


def make_grid(cell_arcsec: int) -> Grid:
    """Return the DEM grid for a cell size in arc-seconds."""
    cell = cell_arcsec / 3600.0
    width = round((LON_MAX - LON_MIN) / cell)
    height = round((LAT_MAX - LAT_MIN) / cell)
    return Grid(cell_deg=cell, width=width, height=height)


def to_km(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat to the generator's local km frame (x east, y north of LAT_MIN)."""
    x = (np.asarray(lon, dtype=float) - LON_MIN) * KM_PER_DEG_LON
    y = (np.asarray(lat, dtype=float) - LAT_MIN) * KM_PER_DEG_LAT
    return x, y


@dataclass(frozen=True)
class District:
    """A real district name and code with a hand-placed centroid, town and target area."""

    code: int
    name: str
    lon: float
    lat: float
    area_km2: float
    town: tuple[float, float]
    n_communes: int
    n_villages: int
    grid_power_share: float


#: The 8 districts before 07/2025 (DOMAIN.md). Village counts follow the real number of
#: named places per district (GeoNames), scaled to ~1,100.
DISTRICTS: tuple[District, ...] = (
    District(105, "TP Lai Châu", 103.444, 22.400, 87, (103.455, 22.398), 7, 27, 0.99),
    District(106, "Tam Đường", 103.596, 22.341, 676, (103.610, 22.372), 13, 159, 0.93),
    District(107, "Mường Tè", 102.648, 22.470, 2692, (102.830, 22.378), 14, 111, 0.70),
    District(108, "Sìn Hồ", 103.332, 22.256, 1540, (103.238, 22.360), 22, 168, 0.87),
    District(109, "Phong Thổ", 103.363, 22.595, 1011, (103.345, 22.528), 17, 202, 0.92),
    District(110, "Than Uyên", 103.835, 21.896, 808, (103.888, 21.955), 12, 164, 0.94),
    District(111, "Tân Uyên", 103.730, 22.124, 894, (103.738, 22.178), 10, 196, 0.93),
    District(112, "Nậm Nhùn", 102.999, 22.237, 1385, (102.985, 22.168), 11, 74, 0.82),
)


@dataclass(frozen=True)
class River:
    """A prescribed river: polyline (lon, lat) from source to mouth and bed heights (m)."""

    name: str
    points: tuple[tuple[float, float], ...]
    bed_m: tuple[float, ...]
    floor_km: float
    width_km: float


#: Main rivers, upstream first. Bed heights are given at every vertex and interpolated.
RIVERS: tuple[River, ...] = (
    River(
        "Đà",
        (
            (102.20, 22.53),
            (102.36, 22.50),
            (102.52, 22.47),
            (102.67, 22.43),
            (102.82, 22.37),
            (102.92, 22.27),
            (102.99, 22.17),
            (103.07, 22.10),
            (103.15, 22.05),
            (103.30, 22.02),
            (103.45, 21.97),
            (103.55, 21.91),
            (103.60, 21.80),
            (103.68, 21.60),
        ),
        (480, 450, 420, 385, 340, 305, 280, 255, 235, 215, 200, 188, 178, 168),
        0.35,
        5.0,
    ),
    River(
        "Nậm Na",
        (
            (103.43, 22.90),
            (103.39, 22.72),
            (103.35, 22.55),
            (103.30, 22.45),
            (103.285, 22.33),
            (103.22, 22.20),
            (103.17, 22.10),
            (103.15, 22.05),
        ),
        (760, 620, 500, 430, 360, 300, 255, 235),
        0.2,
        3.5,
    ),
    River(
        "Nậm Mu",
        (
            (103.57, 22.42),
            (103.66, 22.29),
            (103.735, 22.185),
            (103.80, 22.07),
            (103.885, 21.96),
            (103.93, 21.82),
            (103.98, 21.70),
            (104.04, 21.60),
        ),
        (1050, 820, 690, 620, 560, 500, 440, 400),
        0.2,
        3.5,
    ),
)

#: Mountain ranges as crest polylines: ((lon, lat), crest height m), sigma (km).
RANGES: tuple[tuple[tuple[tuple[float, float, float], ...], float], ...] = (
    # Hoàng Liên Sơn-like range along the eastern border, NW-SE.
    (
        (
            (103.40, 22.88, 2300),
            (103.52, 22.66, 2500),
            (103.63, 22.44, 2950),
            (103.76, 22.30, 3050),
            (103.90, 22.12, 2650),
            (104.05, 21.93, 2200),
            (104.12, 21.80, 2000),
        ),
        5.5,
    ),
    # Far-west highlands along the northern border, with a Pu Si Lung-like summit.
    (
        (
            (102.22, 22.66, 2700),
            (102.30, 22.61, 3090),
            (102.45, 22.70, 2600),
            (102.65, 22.72, 2400),
            (102.85, 22.62, 2300),
            (103.05, 22.58, 2000),
            (103.20, 22.72, 1900),
        ),
        6.0,
    ),
    # Ridge between the Đà and the Nậm Na (Sìn Hồ highlands).
    (
        (
            (102.95, 22.52, 1900),
            (103.05, 22.38, 2050),
            (103.10, 22.22, 1850),
            (103.08, 22.12, 1500),
        ),
        5.0,
    ),
    # Ridge between the Nậm Na and the Nậm Mu (Tam Đường, west of the city).
    (
        (
            (103.33, 22.28, 1700),
            (103.45, 22.20, 1900),
            (103.58, 22.10, 2000),
            (103.70, 21.90, 2100),
            (103.78, 21.70, 1900),
        ),
        5.0,
    ),
    # Mountains south-west of the Đà (border with Điện Biên).
    (
        (
            (102.40, 22.30, 1900),
            (102.60, 22.22, 1950),
            (102.80, 22.12, 1800),
            (103.00, 21.95, 1800),
            (103.25, 21.85, 1700),
            (103.45, 21.70, 1600),
        ),
        7.0,
    ),
)

#: Plateaus: (lon, lat, level m, radius km) where the relief is gentle.
PLATEAUS: tuple[tuple[float, float, float, float], ...] = (
    (103.225, 22.365, 1500, 6.0),  # Sìn Hồ-like plateau
    (103.455, 22.398, 950, 5.0),  # city plateau
    (103.610, 22.372, 1000, 4.5),  # Tam Đường-like basin
    (103.345, 22.528, 900, 3.0),
    (102.830, 22.378, 700, 3.0),
)

#: Background ridge level (m) where no range is near.
BACKGROUND_M = 1350.0

#: Syllables of Thái and H'Mông place names as Vietnamese spells them (NFC).
_SYLLABLES = (
    "Nậm",
    "Pa",
    "Mường",
    "Huổi",
    "Pắc",
    "Tà",
    "Sìn",
    "Chăn",
    "Lùng",
    "Phìn",
    "Hồ",
    "Khổng",
    "Xá",
    "Ma",
    "Lìn",
    "Giàng",
    "Sán",
    "Chải",
    "Thàng",
    "Pú",
    "Bum",
    "Cuổi",
    "Mô",
    "Nưa",
    "Hon",
    "Can",
    "Tả",
    "Lao",
    "Chin",
    "Vàng",
    "Pho",
    "Sảng",
    "Phăng",
    "Hua",
    "Cang",
    "Nà",
    "Khoang",
    "Làng",
    "Tủa",
    "Nhiều",
    "Hăn",
    "Sơ",
    "Dền",
    "Củ",
    "Mì",
    "Pan",
    "Khum",
    "Lồng",
    "Xìn",
    "Chản",
    "Ngài",
    "Ló",
    "Phai",
    "Tát",
    "Lả",
    "Sang",
    "Khao",
    "Kéo",
    "Mạ",
    "Bó",
)
_HAN_VIET = (
    "Tân",
    "Đông",
    "Hòa",
    "Thắng",
    "Phong",
    "Hưng",
    "Bình",
    "An",
    "Thịnh",
    "Tiến",
    "Minh",
    "Quang",
    "Trung",
    "Kết",
    "Thành",
    "Lợi",
)


def name_syllables(rng: np.random.Generator, *, n: int | None = None, han: bool = False) -> str:
    """Return a random place name of 2 (sometimes 3) syllables, NFC-normalised."""
    pool = _HAN_VIET if han else _SYLLABLES
    if n is None:
        n = 2 if rng.random() < 0.88 else 3
    picks = rng.choice(len(pool), size=n, replace=False)
    return unicodedata.normalize("NFC", " ".join(pool[i] for i in picks))
