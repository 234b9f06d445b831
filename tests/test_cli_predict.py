"""``covgap predict`` on the tiny scenario (DEM with a ridge, two sites, six villages)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner

from covgap.cli.predict import predict_command


def _invoke(args: list[str]):
    return CliRunner().invoke(predict_command, args, catch_exceptions=False)


def _base(tiny: dict[str, Path], out: Path) -> list[str]:
    return ["--sites", str(tiny["sites"]), "--dem", str(tiny["dem"]), "--out", str(out)]


def test_predict_writes_rasters_and_zones(tiny_scenario, tmp_path):
    out = tmp_path / "out"
    args = [*_base(tiny_scenario, out), "--villages", str(tiny_scenario["villages"])]
    result = _invoke([*args, "--radius-km", "15", "--workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "2 sites" in result.output and "white zones" in result.output
    names = {p.name for p in out.iterdir()}
    expected = {"signal_viettel_4g.tif", "site_viettel_4g.tif", "class_viettel_4g.tif"}
    expected |= {"signal_vnpt_2g.tif", "signal_any_4g.tif", "class_any_4g.tif", "site_any_2g.tif"}
    expected |= {"serving_sites.csv", "zones.gpkg", "zones_by_commune.csv"}
    assert expected <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary leftovers
    with rasterio.open(out / "signal_any_4g.tif") as ds:
        tags = ds.tags()
        assert ds.crs == "EPSG:4326" and ds.shape == (240, 360)
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert tags["model"] == "p1812" and tags["radius_km"] == "15"
    assert tags["synthetic"] == "no" and tags["dem_source"] == "dem.tif"
    assert tags["freq_mhz"] == "1800" and tags["antenna_height_m"] == "30-30"
    zones = gpd.read_file(out / "zones.gpkg", layer="zones")
    assert set(zones["zone_class"]) <= {"white", "low_signal"}
    assert (zones["area_km2"] >= 0).all()
    table = pd.read_csv(out / "serving_sites.csv")
    assert table["site_id"].tolist() == ["VN001", "VT001"]


def test_one_site_and_the_cache(tiny_scenario, tmp_path):
    cache = tmp_path / "cache"
    args = [*_base(tiny_scenario, tmp_path / "a"), "--site", "VT001", "--cache", str(cache)]
    first = _invoke([*args, "--radius-km", "10", "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert "1 sites" in first.output and "1 computed" in first.output
    assert not (tmp_path / "a" / "signal_vnpt_2g.tif").exists()
    again = _invoke([*args, "--radius-km", "10", "--workers", "1"])
    assert "1 from the cache" in again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--site", "NOPE"], "unknown site id"),
        (["--radius-km", "-3"], "radius_km"),
        (["--scheduler", "nowhere"], "scheduler"),
        (["--resolution-m", "0.1"], "resolution_m"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tiny_scenario, tmp_path, extra, message):
    out = tmp_path / "out"
    result = _invoke([*_base(tiny_scenario, out), *extra])
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists() or not list(out.iterdir())


def test_a_site_outside_the_dem_is_named(tiny_scenario, tmp_path):
    sites = pd.read_csv(tiny_scenario["sites"])
    sites.loc[sites["site_id"] == "VN001", "lon"] = 104.5
    bad = tmp_path / "sites.csv"
    sites.to_csv(bad, index=False)
    out = tmp_path / "out"
    result = _invoke(["--sites", str(bad), "--dem", str(tiny_scenario["dem"]), "--out", str(out)])
    assert result.exit_code == 1
    assert "VN001" in result.output and "outside the DEM" in result.output


def test_branch_rays_option_stays_close_to_full_rays(tiny_scenario, tmp_path):
    import numpy as np

    signal = {}
    for rays in ("full", "branch"):
        out = tmp_path / rays
        args = [*_base(tiny_scenario, out), "--radius-km", "15", "--workers", "1", "--rays", rays]
        result = _invoke([*args, "--no-progress"])
        assert result.exit_code == 0, result.output
        with rasterio.open(out / "signal_any_4g.tif") as ds:
            signal[rays] = ds.read(1, masked=True).filled(np.nan)
    both = np.isfinite(signal["full"]) & np.isfinite(signal["branch"])
    diff = np.abs(signal["full"] - signal["branch"])[both]
    assert both.sum() > 1000 and np.median(diff) <= 0.15
    bad = _invoke([*_base(tiny_scenario, tmp_path / "x"), "--rays", "diagonal"])
    assert bad.exit_code != 0
