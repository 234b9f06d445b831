"""Best-server composites, class rasters and their Cloud-Optimized GeoTIFFs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from covgap.analysis.classify import classify_points
from covgap.config import Radio, Thresholds
from covgap.errors import SolverError
from covgap.radio import rasters
from covgap.radio.rasters import (
    ANY_CARRIER,
    CLASS_CODES,
    CLASS_NODATA,
    SIGNAL_NODATA,
    Composite,
    class_raster,
    site_index_dtype,
    site_layers,
    write_rasters,
)

CELL = 1 / 1200
GRID = Affine(CELL, 0.0, 103.0, 0.0, -CELL, 22.2)
WGS84 = CRS.from_epsg(4326)
BOUNDS = (103.0, 22.2 - 300 * CELL, 103.0 + 400 * CELL, 22.2)  # 300 rows x 400 cols


@dataclass(frozen=True)
class Pred:
    site_id: str
    transform: Affine
    crs: CRS
    shape: tuple[int, int]
    sectors: pd.DataFrame
    signal_dbm: np.ndarray


def pred(site_id, row0, col0, arrays, carriers, techs=None):
    arrays = np.asarray(arrays, dtype=np.float32)
    n = arrays.shape[0]
    sectors = pd.DataFrame(
        {
            "sector_id": [f"{site_id}-{i}" for i in range(n)],
            "carrier": carriers,
            "technology": techs or ["4G"] * n,
            "freq_mhz": [1800] * n,
        }
    )
    transform = GRID * Affine.translation(col0, row0)
    return Pred(site_id, transform, WGS84, arrays.shape[1:], sectors, arrays)


def test_site_layers_keep_the_best_sector_per_carrier_and_technology():
    a = np.full((2, 2), -100.0)
    b = np.array([[-90.0, np.nan], [-110.0, np.nan]])
    c = np.full((2, 2), -80.0)
    layers = site_layers(
        pred("A", 0, 0, [a, b, c], ["Viettel", "Viettel", "Viettel"], ["4G", "4G", "2G"])
    )
    np.testing.assert_array_equal(layers.layers[("Viettel", "4G")], [[-90, -100], [-100, -100]])
    np.testing.assert_array_equal(layers.layers[("Viettel", "2G")], c)


def test_composite_is_the_max_over_sites_with_the_serving_site():
    comp = Composite(["B", "A", "C"], BOUNDS, WGS84)
    comp.add(site_layers(pred("A", 10, 10, [np.full((20, 20), -100.0)], ["Viettel"])))
    ramp = np.linspace(-120, -80, 400).reshape(20, 20)
    comp.add(site_layers(pred("B", 20, 20, [ramp], ["Viettel"])))
    # C overhangs the grid's top-left corner: only its part inside counts
    comp.add(site_layers(pred("C", -5, -5, [np.full((10, 10), -70.0)], ["VNPT"])))
    out = comp.finish()
    sig, site = out.signal[("Viettel", "4G")], out.site[("Viettel", "4G")]
    assert out.site_ids == ("A", "B", "C")
    assert sig.shape == (300, 400) and out.grid.transform == GRID
    for r, c in [(15, 15), (25, 25), (29, 29), (35, 35), (5, 5), (100, 100)]:
        cands = []
        if 10 <= r < 30 and 10 <= c < 30:
            cands.append((-100.0, 1))
        if 20 <= r < 40 and 20 <= c < 40:
            cands.append((float(np.float32(ramp[r - 20, c - 20])), 2))
        if not cands:
            assert np.isnan(sig[r, c]) and site[r, c] == 0
            continue
        best = max(v for v, _ in cands)
        assert sig[r, c] == pytest.approx(best)
        assert site[r, c] == min(i for v, i in cands if np.float32(v) == np.float32(best))
    any4 = out.signal[(ANY_CARRIER, "4G")]
    assert any4[0, 0] == -70.0 and out.site[(ANY_CARRIER, "4G")][0, 0] == 3
    assert any4[15, 15] == -100.0 and np.isnan(out.signal[("VNPT", "4G")][15, 15])
    assert (
        out.serving_site((ANY_CARRIER, "4G"), [103.0 + 15.5 * CELL], [22.2 - 15.5 * CELL])[0] == "A"
    )
    assert np.isnan(out.sample(("Viettel", "4G"), [102.0], [22.1])[0])  # west of the grid


def test_merge_order_does_not_matter():
    rng = np.random.default_rng(3)
    preds = [
        pred(
            f"S{i}",
            int(rng.integers(0, 250)),
            int(rng.integers(0, 350)),
            [np.round(rng.uniform(-120, -80, (40, 40)))],
            ["MobiFone"],
        )
        for i in range(12)
    ]
    results = []
    for order in (preds, preds[::-1], preds[3:] + preds[:3]):
        comp = Composite([p.site_id for p in preds], BOUNDS, WGS84)
        for p in order:
            comp.add(site_layers(p))
        results.append(comp.finish())
    for other in results[1:]:
        np.testing.assert_array_equal(
            results[0].signal[("MobiFone", "4G")], other.signal[("MobiFone", "4G")]
        )
        np.testing.assert_array_equal(
            results[0].site[("MobiFone", "4G")], other.site[("MobiFone", "4G")]
        )


def test_a_window_off_the_grid_lattice_is_refused():
    comp = Composite(["A", "B"], BOUNDS, WGS84)
    comp.add(site_layers(pred("A", 0, 0, [np.zeros((3, 3))], ["Viettel"])))
    shifted = pred("B", 0, 0, [np.zeros((3, 3))], ["Viettel"])
    shifted = Pred(
        "B",
        shifted.transform * Affine.translation(0.5, 0),
        WGS84,
        (3, 3),
        shifted.sectors,
        shifted.signal_dbm,
    )
    with pytest.raises(SolverError, match="not aligned"):
        comp.add(site_layers(shifted))


@pytest.mark.parametrize("probability", [0.5, 0.9])
def test_class_raster_agrees_with_the_point_classes(probability):
    radio = Radio(location_probability=probability)
    th = Thresholds()
    values = np.concatenate([np.linspace(-130, -80, 501), [np.nan, -105.0, -115.0]])
    codes = class_raster(values.astype(np.float32), thresholds=th, radio=radio)
    names = {v: k for k, v in CLASS_CODES.items()}
    expected = classify_points(values.astype(np.float32), thresholds=th, radio=radio)
    assert [names[c] for c in codes] == list(expected)
    valid = np.ones(values.shape, bool)
    valid[0] = False
    assert class_raster(values, valid=valid)[0] == CLASS_NODATA


def test_site_index_type_grows_with_the_number_of_sites():
    assert site_index_dtype(720) == np.uint16
    assert site_index_dtype(70_000) == np.uint32


def _two_site_rasters():
    comp = Composite(["A", "B"], BOUNDS, WGS84)
    comp.add(
        site_layers(
            pred("A", 0, 0, [np.linspace(-125, -85, 300 * 200).reshape(300, 200)], ["Viettel"])
        )
    )
    comp.add(
        site_layers(
            pred(
                "B",
                100,
                150,
                [np.full((100, 100), -100.0), np.full((100, 100), -60.0)],
                ["VNPT", "VNPT"],
                ["4G", "2G"],
            )
        )
    )
    valid = np.ones((300, 400), bool)
    valid[:3, :3] = False
    info = {
        "model": "p1812",
        "covered_dbm": -105.0,
        "rx_height_m": 1.5,
        "dem_source": "dem.tif",
        "dem_resolution_m": "85.8 x 92.6",
        "date": "2026-01-01",
        "covgap_version": "0.1.0",
        "synthetic": True,
        "layers": {"viettel_4g": {"freq_mhz": [1800], "antenna_height_m": "30-30"}},
    }
    return comp.finish(valid=valid, info=info)


def test_rasters_are_written_as_georeferenced_cogs_with_tags(tmp_path: Path):
    out = _two_site_rasters()
    paths = write_rasters(out, tmp_path / "rasters")
    assert {
        "signal_viettel_4g",
        "site_viettel_4g",
        "class_viettel_4g",
        "signal_vnpt_2g",
        "signal_any_4g",
        "class_any_4g",
        "site_any_2g",
        "serving_sites",
    } <= set(paths)
    assert "class_vnpt_2g" not in paths
    with rasterio.open(paths["signal_viettel_4g"]) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.transform == GRID and ds.crs == WGS84
        assert ds.dtypes[0] == "float32" and ds.nodata == SIGNAL_NODATA
        assert ds.overviews(1)
        tags = ds.tags()
        band = ds.read(1)
    assert tags["model"] == "p1812" and tags["synthetic"] == "yes" and tags["freq_mhz"] == "1800"
    assert {
        "covered_dbm",
        "rx_height_m",
        "dem_source",
        "dem_resolution_m",
        "date",
        "covgap_version",
        "antenna_height_m",
        "carrier",
        "technology",
    } <= set(tags)
    expected = out.signal[("Viettel", "4G")]
    np.testing.assert_array_equal(band[:, :200], expected[:, :200])
    assert (band[:, 200:] == SIGNAL_NODATA).all()
    with rasterio.open(paths["site_any_4g"]) as ds:
        assert ds.dtypes[0] == "uint16" and ds.nodata == 0
        site = ds.read(1)
    table = pd.read_csv(paths["serving_sites"])
    assert dict(zip(table["site_index"], table["site_id"], strict=True)) == {1: "A", 2: "B"}
    assert site[150, 160] == 2 and site[10, 10] == 1 and site[10, 300] == 0
    with rasterio.open(paths["class_any_4g"]) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == CLASS_NODATA
        codes = ds.read(1)
        assert "1=covered" in ds.tags()["class_codes"]
    assert codes[0, 0] == CLASS_NODATA and codes[10, 300] == CLASS_CODES["white"]
    assert codes[150, 160] == CLASS_CODES["covered"]


def test_an_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch):
    out = _two_site_rasters()
    calls = []
    real = rasters.write_cog

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(rasters, "write_cog", failing)
    dest = tmp_path / "rasters"
    with pytest.raises(OSError, match="disk full"):
        write_rasters(out, dest)
    assert list(dest.iterdir()) == []


def test_compiled_merges_follow_the_array_rule_bit_for_bit():
    """NaN never wins, a number beats NaN, ties (0.0 == -0.0 too) go to the smaller index."""
    rng = np.random.default_rng(3)
    values = np.array([np.nan, 0.0, -0.0, -80.0, -80.5, -100.0], dtype=np.float32)
    for _ in range(20):
        best = rng.choice(values, (12, 14)).astype(np.float32)
        best_site = rng.integers(0, 6, best.shape).astype(np.uint16)
        new = rng.choice(values, (8, 9)).astype(np.float32)
        site = rng.integers(0, 6, new.shape).astype(np.uint16)
        index = int(rng.integers(1, 6))
        win = (slice(2, 10), slice(3, 12))  # a strided view, as in Composite.add
        for merge, other in ((rasters._merge, index), (rasters._merge_layer, site)):
            b1, s1 = best.copy(), best_site.copy()
            better = (
                (new > b1[win])
                | (np.isnan(b1[win]) & ~np.isnan(new))
                | ((new == b1[win]) & (other < s1[win]))
            )
            b1[win][better] = new[better]
            s1[win][better] = other if np.isscalar(other) else other[better]
            b2, s2 = best.copy(), best_site.copy()
            merge(b2[win], s2[win], new, other)
            assert b1.tobytes() == b2.tobytes()
            np.testing.assert_array_equal(s1, s2)


def test_serving_sites_csv_is_formula_safe(tmp_path: Path):
    import dataclasses

    out = _two_site_rasters()
    hostile = dataclasses.replace(out, site_ids=("=HYPERLINK(1)", *out.site_ids[1:]))
    paths = write_rasters(hostile, tmp_path / "r")
    text = paths["serving_sites"].read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text
    # clean ids are written as they were
    clean = write_rasters(out, tmp_path / "c")["serving_sites"].read_text(encoding="utf-8")
    assert clean.splitlines()[1].endswith(out.site_ids[0])
