"""The bundled sample: a synthetic scenario modelled on Lai Châu (Vietnam).

No open DEM or BTS list of Lai Châu may be redistributed, so covgap ships a deterministic
generator of a look-alike: a 3" DEM with the province's rivers and ranges, synthetic
province/district/commune polygons under the real district names, ~1,100 villages and
~720 BTS sites of three carriers. **Names and positions are invented.**

>>> from covgap.sample import sample_scenario
>>> scenario = sample_scenario()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import __version__
from ..config import Scenario, load_scenario
from ..io.reform import synthetic_crosswalk
from .admin import make_admin
from .common import DISTRICTS, SIZES, make_grid
from .landcover import write_sample_land_cover
from .roads import ROAD_CLASSES, make_roads
from .sites import make_sites
from .terrain import make_terrain
from .villages import add_attributes, make_villages
from .writers import (
    LICENCE,
    NOTICE,
    SITE_COLUMNS,
    VILLAGE_COLUMNS,
    provenance,
    write_csv,
    write_dem,
    write_gpkg,
    write_xlsx,
)

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_SEED", "SAMPLE_FILES", "generate_sample", "sample_scenario"]

DEFAULT_SEED = 20250701
SAMPLE_NAME = "Lai Châu (synthetic sample)"
#: Files of the sample, relative to its folder (keys of :func:`generate_sample`'s result).
SAMPLE_FILES: dict[str, str] = {
    "readme": "README.md",
    "scenario": "scenario.toml",
    "dem": "dem/laichau_synthetic_dem.tif",
    "admin": "admin/laichau_synthetic_admin.gpkg",
    "crosswalk": "admin/laichau_synthetic_crosswalk_2025.csv",
    "villages": "villages/villages.csv",
    "villages_csvw": "villages/villages.csv-metadata.json",
    "villages_xlsx": "villages/villages.xlsx",
    "sites": "bts_sites/sites.csv",
    "sites_csvw": "bts_sites/sites.csv-metadata.json",
    "roads": "roads/laichau_synthetic_roads.gpkg",
    "land_cover": "landcover/laichau_synthetic_landcover.tif",
}


def generate_sample(
    out_dir: str | os.PathLike,
    *,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
    size: str = "full",
) -> dict[str, Path]:
    """Generate the synthetic Lai Châu scenario into a folder.

    The same ``seed`` and ``size`` give byte-identical files.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed; existing sample files are replaced).
    seed
        Seed of the random generator.
    progress
        Log each step at INFO level (the generation takes about a minute).
    size
        ``"full"`` (the bundled sample: 3" DEM, ~1,100 villages, ~720 sites) or
        ``"small"`` (15" DEM and ~15 % of the villages and sites, a few seconds; for tests).

    Returns
    -------
    dict of str to Path
        The written files by key (see :data:`SAMPLE_FILES`).
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    spec = SIZES[size]
    out = Path(out_dir)
    paths = {key: out / rel for key, rel in SAMPLE_FILES.items()}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    say = logger.info if progress else logger.debug
    grid = make_grid(spec.cell_arcsec)
    say("terrain: %d x %d cells", grid.width, grid.height)
    terrain = make_terrain(grid, np.random.default_rng([seed, 1]), lem_factor=spec.lem_factor)
    say("boundaries")
    admin_grid = make_grid(spec.cell_arcsec * spec.admin_factor)
    province, districts, communes, labels = make_admin(admin_grid, np.random.default_rng([seed, 2]))
    commune_cells = np.kron(labels, np.ones((spec.admin_factor,) * 2, dtype=labels.dtype))
    say("villages")
    villages = _villages(terrain, commune_cells, communes, spec.fraction, seed)
    say("sites")
    sites = make_sites(
        terrain, commune_cells > 0, villages, spec.fraction, np.random.default_rng([seed, 5])
    )
    say("roads")
    roads = make_roads(
        terrain, commune_cells > 0, villages, communes, np.random.default_rng([seed, 7])
    )
    tags = provenance(seed, __version__, size)
    say("writing %s", out)
    write_dem(paths["dem"], terrain.heights, grid, tags)
    write_gpkg(
        paths["admin"], {"province": province, "districts": districts, "communes": communes}, tags
    )
    _write_tables(paths, villages, sites, tags)
    write_gpkg(paths["roads"], {"roads": roads}, tags)
    synthetic_crosswalk(communes).to_csv(
        paths["crosswalk"], index=False, encoding="utf-8", lineterminator="\n"
    )
    say("land cover")
    write_sample_land_cover(out, seed=seed)
    paths["scenario"].write_text(_scenario_toml(seed), encoding="utf-8")
    paths["readme"].write_text(
        _readme(seed, size, villages, sites, districts, roads), encoding="utf-8"
    )
    return paths


def _villages(terrain, commune_cells, communes, fraction, seed) -> pd.DataFrame:
    frame = make_villages(
        terrain, commune_cells // 100, communes, fraction, np.random.default_rng([seed, 3])
    )
    points = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )
    joined = gpd.sjoin(
        points,
        communes[["commune_code", "commune", "district_code", "district", "geometry"]],
        predicate="within",
        how="inner",
        lsuffix="v",
        rsuffix="c",
    )
    joined = joined.sort_index(kind="stable")
    frame = pd.DataFrame(
        {
            "lon": joined["lon"],
            "lat": joined["lat"],
            "elevation_m": joined["elevation_m"],
            "town_km": joined["town_km"],
            "commune_code": joined["commune_code"],
            "commune": joined["commune"],
            "district_code": joined["district_code_c"],
            "district": joined["district_c"],
        }
    ).reset_index(drop=True)
    rng = np.random.default_rng([seed, 4])
    frame = add_attributes(frame, rng)
    return _add_clusters(frame, terrain, communes, rng)


def _add_clusters(frame, terrain, communes, rng) -> pd.DataFrame:
    """Up to two extra population clusters 0.3-2 km away, on habitable ground, same commune."""
    grid = terrain.grid
    slope = terrain.slope_deg()
    shapes = dict(zip(communes["commune_code"], communes.geometry, strict=False))
    out = {f"cluster_{k}_{a}": np.full(len(frame), np.nan) for k in (1, 2) for a in ("lon", "lat")}
    n_clusters = rng.choice([0, 1, 2], size=len(frame), p=[0.45, 0.35, 0.20])
    for i, row in enumerate(frame.itertuples(index=False)):
        poly = shapes[row.commune_code]
        k = 0
        for _ in range(30):
            if k >= n_clusters[i]:
                break
            dist, az = rng.uniform(0.3, 2.0), rng.uniform(0, 2 * np.pi)
            lon = row.lon + dist * np.sin(az) / (111.32 * np.cos(np.radians(row.lat)))
            lat = row.lat + dist * np.cos(az) / 110.6
            r, c = grid.rowcol(lon, lat)
            if slope[r, c] > 22 or not shapely.contains_xy(poly, lon, lat):
                continue
            k += 1
            out[f"cluster_{k}_lon"][i] = round(float(lon), 6)
            out[f"cluster_{k}_lat"][i] = round(float(lat), 6)
    for key, values in out.items():
        frame[key] = values
    return frame


def _write_tables(paths, villages, sites, tags) -> None:
    villages = villages[list(VILLAGE_COLUMNS)]
    vdesc = {
        "grid_power": "village connected to the national grid (yes/no)",
        "especially_difficult": "in an especially difficult area (yes/no)",
        "elevation_m": "ground height of the centre on the synthetic DEM (m)",
    }
    write_csv(
        paths["villages"],
        villages,
        title="Villages (synthetic, Lai Châu-like)",
        tags=tags,
        descriptions=vdesc,
    )
    notes = [
        "DỮ LIỆU TỔNG HỢP (SYNTHETIC) – không phải thôn bản thật.",
        NOTICE,
        "Tên, vị trí, số hộ, nhân khẩu đều do máy tạo ra (covgap.sample.generate_sample).",
        f"Seed: {tags['COVGAP_SEED']} · covgap {tags['COVGAP_VERSION']} · "
        f"size {tags['COVGAP_SIZE']}",
        f"Giấy phép / licence: {LICENCE} (public domain dedication).",
        "Điện lưới / Đặc biệt khó khăn: có = yes, không = no.",
    ]
    write_xlsx(paths["villages_xlsx"], villages, notes, tags)
    write_csv(
        paths["sites"],
        sites[list(SITE_COLUMNS)],
        title="BTS sectors (synthetic, Lai Châu-like)",
        tags=tags,
        descriptions={
            "height_m": "antenna height above ground (m)",
            "tilt_deg": "downtilt, degrees, positive down",
        },
    )


def _scenario_toml(seed: int) -> str:
    return "\n".join(
        [
            f"# {SAMPLE_NAME}: SYNTHETIC data, not real villages or sites.",
            f"# Made by covgap.sample.generate_sample(seed={seed}); paths relative to this file.",
            "[inputs]",
            f'name = "{SAMPLE_NAME}"',
            "synthetic = true",
            f'villages = "{SAMPLE_FILES["villages"]}"',
            f'sites = "{SAMPLE_FILES["sites"]}"',
            f'dem = ["{SAMPLE_FILES["dem"]}"]',
            f'admin = "{SAMPLE_FILES["admin"]}"',
            f'crosswalk = "{SAMPLE_FILES["crosswalk"]}"',
            f'roads = "{SAMPLE_FILES["roads"]}"',
            f'land_cover = "{SAMPLE_FILES["land_cover"]}"',
            "",
        ]
    )


def _readme(seed, size, villages, sites, districts, roads) -> str:
    road_km = roads.groupby("road_class")["length_km"].sum()
    road_text = ", ".join(f"{c} {road_km.get(c, 0.0):,.0f}" for c in ROAD_CLASSES)
    n_sites = sites.groupby("carrier")["site_id"].nunique()
    n_total = int(n_sites.sum())
    per_district = villages.groupby("district")["village_id"].size()
    table = "\n".join(f"| {d.name} | {d.code} | {per_district.get(d.name, 0)} |" for d in DISTRICTS)
    return f"""# covgap bundled sample — SYNTHETIC data modelled on Lai Châu

> **Synthetic.** Everything in this folder was generated by a program. The terrain, the
> province/district/commune boundaries, the villages (names, positions, households), the
> BTS sites and the roads are **invented**: they are not real villages, not real sites, not
> real roads, not real borders.
> Only the 8 district names and codes are real, placed roughly where the real districts are.
> Do not use these files for planning or reporting anything about the real province.

Generated by `covgap.sample.generate_sample(out_dir, seed={seed}, size="{size}")`
(`covgap sample --out DIR`); the same seed gives byte-identical files.

| file | content |
|---|---|
| `scenario.toml` | the scenario (`covgap.config.load_scenario`) |
| `dem/laichau_synthetic_dem.tif` | DEM, EPSG:4326, 3" cells, int16 m, nodata −32768 |
| `admin/laichau_synthetic_admin.gpkg` | layers `province`, `districts`, `communes` |
| `admin/laichau_synthetic_crosswalk_2025.csv` | commune → 07/2025 unit crosswalk (38 units) |
| `villages/villages.csv` (+ `-metadata.json`, CSVW) | {len(villages)} villages, English headers |
| `villages/villages.xlsx` | same villages, Vietnamese headers, sheet "Thôn bản" + notes |
| `bts_sites/sites.csv` (+ `-metadata.json`, CSVW) | {len(sites)} sectors of {n_total} sites |
| `roads/laichau_synthetic_roads.gpkg` | layer `roads`: {len(roads)} ways, `road_class`, `highway` |

Sites per carrier: {", ".join(f"{c} {n_sites.get(c, 0)}" for c in ("Viettel", "VNPT", "MobiFone"))}.
Road length by `road_class` (km): {road_text}.

| district | code | villages |
|---|---|---|
{table}

## How it was made
1. **Terrain**: crest levels along hand-drawn ranges (a Hoàng Liên Sơn-like range on the
   eastern border, a Pu Si Lung-like summit in the far west), plateaus (Sìn Hồ-like,
   Tam Đường/city basin) and NW-SE-stretched noise, with broad troughs along three
   prescribed rivers (Đà-, Nậm Na- and Nậm Mu-like) whose beds fall downstream. A
   landscape-evolution model then runs on a 9" grid: 80 implicit stream-power steps
   (Braun & Willett 2013: priority-flood, D8 receivers, stack order,
   h ← (h + U·dt + F·h_r)/(1 + F), F = K·dt·A^0.6/Δx) with hillslope diffusion, the river
   beds and the grid's south/east borders as base levels, and an uplift steered so the
   ridges reach the crest levels; it cuts a branching network of V-shaped valleys. The
   result is upsampled (cubic spline) to 3", given fine relief scaled by the local slope,
   the river beds pressed to their heights, and priority-flooded with a small gradient
   so every cell drains (no large flats).
2. **Boundaries**: a hand-drawn, noise-roughened outline scaled to 9,069 km²; districts as a
   power diagram of their real centroids tuned to the real areas; communes as k-means cells.
   Commune names are random Thái/H'Mông-style syllables.
3. **Villages**: on gentle ground (mean slope over ~0.7 km), denser near district towns
   and main valleys, with the elevation distribution of the real villages (GeoNames
   heights, median ≈ 690 m) and the real number of named places per district.
   Households, population, grid power and "especially difficult" flags are random with
   plausible rates.
4. **Sites**: per carrier, a few sites around each town, then hilltops and spurs above
   villages chosen greedily by line of sight (within 8 km, not steeply below the mast) to
   not-yet-served households; some remote sites carry only 2G.
5. **Roads**: least-cost paths on a ~9" grid, the cost of a step its length times
   1 + (grade / g0)² (g0 = 8 % for main roads, 11 % commune roads, 15 % tracks) times a
   preference for valley floors (large drainage area). National and provincial roads link
   the 8 district towns one after the other (reusing earlier roads) and leave towards Sa Pa,
   Mù Cang Chải and the northern border; commune roads join each commune's most populous
   village, and tracks every other village, to the nearest road (one multi-source
   Dijkstra each, so paths merge). Ways are cut at junctions and simplified.

Every file says it is synthetic: GeoTIFF tags (`COVGAP_SYNTHETIC=yes`, seed, version),
GeoPackage layer descriptions and metadata (admin and roads), XLSX document properties and
notes sheet, and the CSVW sidecars of the CSV files.

## Licence
The sample is dedicated to the public domain under **CC0 1.0**
({"https://creativecommons.org/publicdomain/zero/1.0/"}); the generator is MIT like the rest of
covgap. No third-party data is included.
"""


def sample_scenario() -> Scenario:
    """Return the bundled sample scenario.

    It points at the repository's ``data/`` folder when covgap runs from a source checkout;
    otherwise the sample is generated once into a user cache folder
    (``$COVGAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/covgap`` or ``~/.cache/covgap``).

    Returns
    -------
    Scenario
        With ``synthetic=True``.
    """
    repo = Path(__file__).resolve().parents[2] / "data" / SAMPLE_FILES["scenario"]
    folder = repo.parent if _complete(repo.parent) else _cached_sample()
    scenario = load_scenario(folder / SAMPLE_FILES["scenario"])
    return replace(scenario, synthetic=True, name=SAMPLE_NAME)


def _complete(folder: Path) -> bool:
    return all((folder / rel).is_file() for rel in SAMPLE_FILES.values())


def _cached_sample() -> Path:
    root = os.environ.get("COVGAP_CACHE_DIR")
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "covgap"
    folder = Path(root) / f"sample-{__version__}-{DEFAULT_SEED}"
    if not _complete(folder):
        folder.parent.mkdir(parents=True, exist_ok=True)
        logger.info("generating the bundled sample into %s (about a minute, once)", folder)
        tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=folder.parent))
        try:
            generate_sample(tmp)
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
