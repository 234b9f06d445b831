"""Area prediction over sites: worker-count independence, the cache, dask, errors.

The per-site engine is replaced by a small free-space stand-in (``fake_predict_site``)
so these tests check the orchestration -- merging, ordering, caching, scheduling -- fast
and independently of the propagation model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from pyproj import CRS

from covgap.config import Radio
from covgap.errors import InputError
from covgap.io.readers import read_dem, read_sites
from covgap.io.terrain import EARTH_RADIUS_KM, Terrain, distance_km
from covgap.radio import parallel
from covgap.radio.propagation import fspl_db
from covgap.radio.rasters import ANY_CARRIER


@dataclass(frozen=True)
class FakePrediction:
    site_id: str
    transform: Affine
    crs: CRS
    shape: tuple[int, int]
    window_offset: tuple[int, int]
    sectors: pd.DataFrame
    signal_dbm: np.ndarray


def fake_predict_site(
    terrain: Terrain,
    sectors: pd.DataFrame,
    *,
    radius_km: float = 30.0,
    model: str = "p1812",
    radio: Radio = Radio(),
    resolution_m: float | None = None,
    rays: str | None = None,
    warn_clipped: bool = True,
) -> FakePrediction:
    """Free-space RSRP over the window of cells within ``radius_km`` of the site."""
    lon, lat = float(sectors.geometry.x.iloc[0]), float(sectors.geometry.y.iloc[0])
    t = terrain.transform
    rows, cols = terrain.shape
    col, row = (lon - t.c) / t.a, (lat - t.f) / t.e
    deg = math.degrees(radius_km / EARTH_RADIUS_KM)
    dc, dr = deg / math.cos(math.radians(lat)) / t.a, deg / -t.e
    r0, r1 = max(0, math.floor(row - dr)), min(rows, math.ceil(row + dr) + 1)
    c0, c1 = max(0, math.floor(col - dc)), min(cols, math.ceil(col + dc) + 1)
    x = t.c + (np.arange(c0, c1) + 0.5) * t.a
    y = t.f + (np.arange(r0, r1) + 0.5) * t.e
    d = distance_km(lon, lat, x[None, :], y[:, None])
    ok = (d <= radius_km) & np.isfinite(terrain.heights[r0:r1, c0:c1])
    height = float(sectors["height_m"].iloc[0])
    out = []
    for sec in sectors.itertuples():
        eirp = (sec.power_dbm if np.isfinite(sec.power_dbm) else 46.0) + 18.0 - 2.0
        per_re = 10 * math.log10(12 * 50) if sec.technology == "4G" else 0.0
        loss = fspl_db(np.hypot(d, height / 1000.0), sec.freq_mhz)
        out.append(np.where(ok, eirp - per_re - loss, np.nan))
    table = sectors[["sector_id", "carrier", "technology", "freq_mhz"]].reset_index(drop=True)
    return FakePrediction(
        str(sectors["site_id"].iloc[0]),
        t * Affine.translation(c0, r0),
        terrain.crs,
        (r1 - r0, c1 - c0),
        (r0, c0),
        table,
        np.array(out, dtype=np.float32),
    )


@pytest.fixture
def fake_engine(monkeypatch):
    calls: list[str] = []

    def engine():
        def run(terrain, sectors, **kw):
            calls.append(str(sectors["site_id"].iloc[0]))
            return fake_predict_site(terrain, sectors, **kw)

        return run

    monkeypatch.setattr(parallel, "_engine", engine)
    return calls


@pytest.fixture
def area(tiny_scenario):
    """Terrain and a dozen sites of two carriers, two of them twins (equal signals)."""
    terrain = read_dem(tiny_scenario["dem"])
    base = read_sites(tiny_scenario["sites"])
    rng = np.random.default_rng(7)
    frames = [base]
    for i in range(10):
        lon, lat = 103.02 + 0.26 * rng.random(), 22.02 + 0.16 * rng.random()
        proto = base[base["site_id"] == ("VT001" if i % 2 else "VN001")].copy()
        proto["site_id"] = f"S{i:02d}"
        proto["geometry"] = gpd.points_from_xy([lon] * len(proto), [lat] * len(proto))
        frames.append(proto)
    twin = base[base["site_id"] == "VT001"].copy()
    twin["site_id"] = "VT000"  # same place and sectors: ties everywhere with VT001
    frames.append(twin)
    sites = pd.concat(frames, ignore_index=True)
    return terrain, sites


def _same(a, b):
    assert a.grid == b.grid
    assert a.site_ids == b.site_ids
    assert list(a.signal) == list(b.signal)
    for key in a.signal:
        np.testing.assert_array_equal(a.signal[key], b.signal[key])
        np.testing.assert_array_equal(a.site[key], b.site[key])
    for key in a.classes:
        np.testing.assert_array_equal(a.classes[key], b.classes[key])


def test_one_and_two_workers_give_identical_rasters(area, fake_engine):
    terrain, sites = area
    one = parallel.predict_area(terrain, sites, radius_km=12, workers=1)
    two = parallel.predict_area(terrain, sites, radius_km=12, workers=2)
    _same(one, two)
    assert two.stats["workers"] == 2
    assert one.stats["computed"] == sites["site_id"].nunique()


def test_ties_go_to_the_smaller_site_index_whatever_the_order(area, fake_engine, monkeypatch):
    terrain, sites = area
    forward = parallel.predict_area(terrain, sites, radius_km=12, workers=1)
    # the same sites handed over in the reverse order
    reverse = parallel.predict_area(terrain, sites.iloc[::-1], radius_km=12, workers=1)
    _same(forward, reverse)
    key = ("Viettel", "4G")
    ids = np.array((None, *forward.site_ids), dtype=object)
    served = set(ids[np.unique(forward.site[key])])
    assert "VT000" in served and "VT001" not in served  # twins: the first id wins


def test_composite_cell_is_the_max_over_sites(area, fake_engine):
    terrain, sites = area
    rasters = parallel.predict_area(terrain, sites, radius_km=12, workers=1)
    rows, cols = rasters.grid.shape
    cells = [(rows // 3, cols // 4), (rows // 2, cols // 2), (2 * rows // 3, 3 * cols // 4)]
    for tech in ("2G", "4G"):
        for r, c in cells:
            best = -np.inf
            for _, group in sites.groupby("site_id"):
                pred = fake_predict_site(terrain, group, radius_km=12)
                r0, c0 = pred.window_offset
                if 0 <= r - r0 < pred.shape[0] and 0 <= c - c0 < pred.shape[1]:
                    rows_ = (pred.sectors["technology"] == tech).to_numpy()
                    vals = pred.signal_dbm[rows_, r - r0, c - c0]
                    if np.isfinite(vals).any():
                        best = max(best, float(np.nanmax(vals)))
            got = rasters.signal[(ANY_CARRIER, tech)][r, c]
            assert (np.isnan(got) and best == -np.inf) or got == pytest.approx(best, abs=1e-4)


def test_cache_hits_and_one_edited_site_recomputes_one(area, fake_engine, tmp_path):
    terrain, sites = area
    n = sites["site_id"].nunique()
    first = parallel.predict_area(terrain, sites, radius_km=12, workers=1, cache=tmp_path)
    assert (first.stats["computed"], first.stats["cached"]) == (n, 0)
    fake_engine.clear()
    second = parallel.predict_area(terrain, sites, radius_km=12, workers=2, cache=tmp_path)
    assert (second.stats["computed"], second.stats["cached"]) == (0, n)
    _same(first, second)

    edited = sites.copy()
    edited.loc[edited["site_id"] == "S03", "height_m"] = 45.0
    fake_engine.clear()
    third = parallel.predict_area(terrain, edited, radius_km=12, workers=1, cache=tmp_path)
    assert (third.stats["computed"], third.stats["cached"]) == (1, n - 1)
    assert fake_engine == ["S03"]
    fresh = parallel.predict_area(terrain, edited, radius_km=12, workers=1)
    _same(third, fresh)


def test_cache_key_follows_model_radio_and_dem(area):
    terrain, sites = area
    group = sites[sites["site_id"] == "S01"]
    opts = {"radius_km": 12.0, "model": "p1812", "radio": Radio(), "resolution_m": None}
    key = parallel.site_cache_key(group, terrain, **opts)
    assert key == parallel.site_cache_key(group.iloc[::-1], terrain, **opts)
    assert key != parallel.site_cache_key(group, terrain, **(opts | {"model": "hata"}))
    assert key != parallel.site_cache_key(group, terrain, **(opts | {"rays": "branch"}))
    radio = Radio(rx_height_m=3.0)
    assert key != parallel.site_cache_key(group, terrain, **(opts | {"radio": radio}))
    lon = float(group.geometry.x.iloc[0])
    col = int((lon - terrain.transform.c) / terrain.transform.a)
    row = int((float(group.geometry.y.iloc[0]) - terrain.transform.f) / terrain.transform.e)
    near = terrain.heights.copy()
    near[row, col] += 10.0
    moved = Terrain(near, terrain.transform, terrain.crs, terrain.source)
    assert key != parallel.site_cache_key(group, moved, **opts)


def test_dem_edit_outside_the_radius_keeps_the_key(area):
    terrain, sites = area
    group = sites[sites["site_id"] == "VT001"]  # 103.06 E: the east edge is > 20 km away
    opts = {"radius_km": 5.0, "model": "p1812", "radio": Radio(), "resolution_m": None}
    heights = terrain.heights.copy()
    heights[:, -1] += 10.0
    edited = Terrain(heights, terrain.transform, terrain.crs, terrain.source)
    assert parallel.site_cache_key(group, terrain, **opts) == parallel.site_cache_key(
        group, edited, **opts
    )


def test_dask_local_cluster_gives_the_same_rasters(area, fake_engine):
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (pip install covgap[dask])"
    )
    terrain, sites = area
    serial = parallel.predict_area(terrain, sites, radius_km=12, workers=1)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = parallel.predict_area(terrain, sites, radius_km=12, scheduler=client)
    _same(serial, on_dask)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "itm"}, "unknown model"),
        ({"radius_km": 0}, "radius_km"),
        ({"workers": 0}, "workers"),
        ({"site_ids": ["NOPE"]}, "unknown site id"),
        ({"scheduler": "somewhere"}, "scheduler"),
        ({"rays": "fan"}, "rays"),
    ],
)
def test_bad_options_are_refused(area, fake_engine, kwargs, message):
    terrain, sites = area
    with pytest.raises(InputError, match=message):
        parallel.predict_area(terrain, sites, radius_km=kwargs.pop("radius_km", 12), **kwargs)


def test_a_site_outside_the_dem_is_refused(area, fake_engine):
    terrain, sites = area
    far = sites[sites["site_id"] == "S01"].copy()
    far["site_id"] = "FAR"
    far["geometry"] = far.geometry.translate(1.0, 0.0)
    with pytest.raises(InputError, match=r"outside the DEM.*FAR"):
        parallel.predict_area(terrain, pd.concat([sites, far]), radius_km=12, workers=1)


def test_site_selection_predicts_only_those_sites(area, fake_engine):
    terrain, sites = area
    rasters = parallel.predict_area(terrain, sites, radius_km=12, site_ids=["S01"], workers=1)
    assert rasters.site_ids == ("S01",)
    assert fake_engine == ["S01"]


def test_cache_survives_a_damaged_file(area, fake_engine, tmp_path: Path):
    terrain, sites = area
    one = sites[sites["site_id"] == "S01"]
    parallel.predict_area(terrain, one, radius_km=12, workers=1, cache=tmp_path)
    (file,) = tmp_path.glob("*.npz")
    file.write_bytes(b"not a numpy file")
    again = parallel.predict_area(terrain, one, radius_km=12, workers=1, cache=tmp_path)
    assert again.stats["computed"] == 1


def test_a_chosen_resolution_gives_one_finer_grid(area, fake_engine):
    terrain, sites = area
    native = parallel.predict_area(terrain, sites, radius_km=12, workers=1)
    fine = parallel.predict_area(terrain, sites, radius_km=12, workers=1, resolution_m=45.0)
    rows, cols = native.grid.shape
    assert fine.grid.shape[0] == pytest.approx(rows * 92.6 / 45, abs=2)
    assert fine.grid.shape[1] == pytest.approx(cols * 85.8 / 45, abs=2)
    assert fine.grid.transform.c == terrain.transform.c
    assert fine.info["resolution_m"] == pytest.approx(45, rel=0.03)
    # same signal where both grids have a cell centre at (almost) the same place
    x, y = 103.1, 22.1
    for key in native.signal:
        a, b = native.sample(key, [x], [y])[0], fine.sample(key, [x], [y])[0]
        assert a == pytest.approx(b, abs=1.0)


def test_cache_key_covers_every_engine_source_file():
    from covgap.radio import parallel

    names = {p.name for p in parallel._engine_files()}
    engine = {"sweep.py", "sweep_fast.py", "sweep_loss.py", "kernels.py", "area.py", "models.py"}
    assert engine <= names
    assert all(p.exists() for p in parallel._engine_files())
