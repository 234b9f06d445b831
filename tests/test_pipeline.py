from pathlib import Path

import pandas as pd
import pytest

from covgap import pipeline
from covgap.config import Scenario, Thresholds
from covgap.errors import InputError, ValidationError
from covgap.outputs.run_files import OUTPUT_FILES, write_outputs


def _scenario(paths: dict[str, Path], **kw) -> Scenario:
    return Scenario(villages=paths["villages"], sites=paths["sites"], dem=(paths["dem"],), **kw)


def test_run_returns_classified_villages(tiny_scenario):
    result = pipeline.run(_scenario(tiny_scenario))
    v = result.villages.set_index("village_id")
    assert len(v) == 6
    assert set(v["coverage_class"]) <= {"covered", "low_signal", "white"}
    assert v.loc["V1", "coverage_class"] == "covered"
    assert v.loc["V3", "coverage_class"] == "white"
    assert v.loc["V1", "services"] == "2G 4G"
    assert v.loc["V3", "los"] is False or not bool(v.loc["V3", "los"])
    assert v.loc["V1", "nearest_site_id"] == "VT001"
    assert v.loc["V1", "nearest_site_km"] == pytest.approx(1.03, abs=0.05)
    assert set(result.servers["technology"]) == {"2G", "4G"}
    assert result.summary.iloc[-1]["villages"] == 6
    info = result.info()
    assert info["synthetic"] is False and "Bullington" in info["model"]
    assert 80 < info["dem_resolution_m"] < 100


def test_stricter_threshold_never_improves_a_class(tiny_scenario):
    rank = {"covered": 0, "low_signal": 1, "white": 2}
    base = pipeline.run(_scenario(tiny_scenario)).villages
    strict = pipeline.run(
        _scenario(tiny_scenario, thresholds=Thresholds(covered_dbm=-80, low_signal_dbm=-90))
    ).villages
    assert (strict["coverage_class"].map(rank) >= base["coverage_class"].map(rank)).all()
    assert (strict["coverage_class"].map(rank) > base["coverage_class"].map(rank)).any()


def test_problems_of_every_file_are_reported_together(tiny_scenario, tmp_path):
    villages = pd.read_csv(tiny_scenario["villages"])
    villages.loc[0, "lon"] = 150.0  # outside Vietnam
    sites = pd.read_csv(tiny_scenario["sites"])
    sites.loc[2, "technology"] = "6G"
    v_path, s_path = tmp_path / "v.csv", tmp_path / "s.csv"
    villages.to_csv(v_path, index=False)
    sites.to_csv(s_path, index=False)
    with pytest.raises(ValidationError) as info:
        pipeline.run(Scenario(villages=v_path, sites=s_path, dem=(tiny_scenario["dem"],)))
    files = {p.file for p in info.value.problems if p.severity == "error"}
    assert any(f.endswith("v.csv") for f in files) and any(f.endswith("s.csv") for f in files)


def test_scenario_without_inputs_is_refused():
    with pytest.raises(InputError, match="villages, sites and a DEM"):
        pipeline.load_inputs(Scenario())


def test_write_is_all_or_nothing(tiny_scenario, tmp_path, monkeypatch):
    result = pipeline.run(_scenario(tiny_scenario))
    out = tmp_path / "out"
    out.mkdir()
    (out / "villages.csv").write_text("previous run", encoding="utf-8")

    def broken_map(*args, **kwargs):
        raise RuntimeError("map failed")

    monkeypatch.setattr("covgap.outputs.maps.coverage_map", broken_map)
    with pytest.raises(RuntimeError, match="map failed"):
        write_outputs(result, out)
    assert (out / "villages.csv").read_text(encoding="utf-8") == "previous run"
    assert sorted(p.name for p in out.iterdir()) == ["villages.csv"]
    monkeypatch.undo()
    paths = write_outputs(result, out, lang="en")
    assert set(paths) == {*OUTPUT_FILES, "manifest"}
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert (out / "villages.csv").read_text(encoding="utf-8-sig").startswith("village_id,")


def test_area_rasters_agree_with_the_point_analysis(tiny_scenario, tmp_path):
    """With area=True the rasters, zones and the village classes come from the same model:
    the class of each village centre's raster cell matches its point class."""
    from covgap.analysis.classify import classify_points
    from covgap.radio.rasters import ANY_CARRIER

    result = pipeline.run(_scenario(tiny_scenario), area=True)
    assert result.rasters is not None and "area_s" in result.timings
    v = result.villages
    rsrp = result.rasters.sample((ANY_CARRIER, "4G"), v.geometry.x, v.geometry.y)
    from_cells = classify_points(rsrp)
    # clusters can make a covered centre low-signal; compare centres only
    centre_class = classify_points(v["rsrp_dbm"])
    assert (from_cells == centre_class).mean() >= 5 / 6
    zones = result.zones
    assert set(zones["zone_class"]) <= {"white", "low_signal"} and (zones["area_km2"] > 0).all()
    # the white village behind the ridge lies in a white zone
    behind = v[v["village_id"] == "V3"].geometry.iloc[0]
    white = zones[zones["zone_class"] == "white"].to_crs(4326)
    assert white.contains(behind).any()
    paths = write_outputs(result, tmp_path / "out")
    assert paths["zones"].exists() and paths["zones_csv"].exists()
    cogs = sorted(p.name for p in (tmp_path / "out").glob("*.tif"))
    assert any(name.startswith("signal_") for name in cogs), cogs
    assert any(name.startswith("class_") for name in cogs), cogs
