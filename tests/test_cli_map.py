"""Tests of `covgap map`: rebuild the map from the outputs of `covgap run`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.cli import main
from covgap.cli.map import map_command

pytest.importorskip("folium")


@pytest.fixture
def results(tiny_scenario: dict[str, Path], tmp_path: Path) -> Path:
    out = tmp_path / "results"
    args = ["run", "--villages", str(tiny_scenario["villages"]), "--sites",
            str(tiny_scenario["sites"]), "--dem", str(tiny_scenario["dem"]), "--out", str(out),
            "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _map(*args: str):
    return CliRunner().invoke(map_command, list(args), catch_exceptions=False)


def test_map_from_results_offline(results: Path, tmp_path: Path):
    out = tmp_path / "maps" / "map_en.html"
    result = _map("--results", str(results), "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    page = out.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" not in page  # Leaflet and plugins inlined
    assert "Village ID" in page and "Bản Nậm Cuổi" in page and "Mã thôn" not in page
    assert 'L.imageOverlay("data:image/png;base64,' in page  # hillshade from the DEM
    assert "covgap.sites(" in page and '"w":[[0,65,' in page  # sector wedges
    assert "RSRP ≥ \u2212105 dBm" in page  # thresholds from scenario.toml
    assert "free-space loss" in page  # the model, from the record's header
    assert "SYNTHETIC DATA" not in page


def test_map_cdn_highlight_and_no_relief(results: Path, tmp_path: Path):
    ids = tmp_path / "request.csv"
    pd.DataFrame({"village_id": ["V3", "V5"], "note": ["a", "b"]}).to_csv(ids, index=False)
    out = tmp_path / "map.html"
    result = _map("--results", str(results), "--out", str(out), "--cdn", "--highlight",
                  str(ids), "--no-relief")  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3" in page
    assert page.count("Có trong danh sách đề nghị") == 2 and "covgap.rings(" in page
    assert 'L.imageOverlay("data:' not in page


def test_highlight_text_file(results: Path, tmp_path: Path):
    ids = tmp_path / "ids.txt"
    ids.write_text("# request list\nV1\n\nV2\n", encoding="utf-8")
    out = tmp_path / "map.html"
    assert (
        _map("--results", str(results), "--out", str(out), "--highlight", str(ids)).exit_code == 0
    )
    assert out.read_text(encoding="utf-8").count("Có trong danh sách đề nghị") == 2


def test_highlight_without_village_id_column(results: Path, tmp_path: Path):
    ids = tmp_path / "ids.csv"
    pd.DataFrame({"id": ["V1"]}).to_csv(ids, index=False)
    out = tmp_path / "m.html"
    result = CliRunner().invoke(
        map_command, ["--results", str(results), "--out", str(out), "--highlight", str(ids)]
    )
    assert result.exit_code == 1 and "no village_id column" in result.output


def test_missing_results_are_reported(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(map_command, ["--results", str(empty), "--out",
                                              str(tmp_path / "m.html")])  # fmt: skip
    assert result.exit_code == 1
    assert "villages.gpkg: not found" in result.output and "covgap run" in result.output
    assert not (tmp_path / "m.html").exists()


def test_missing_dem_draws_without_hillshade(results: Path, tmp_path: Path, caplog, tiny_scenario):
    tiny_scenario["dem"].rename(tiny_scenario["dem"].with_name("gone.tif"))
    out = tmp_path / "m.html"
    with caplog.at_level("WARNING", logger="covgap.outputs.maps"):
        assert _map("--results", str(results), "--out", str(out)).exit_code == 0
    assert "no hillshade" in caplog.text
    assert 'L.imageOverlay("data:' not in out.read_text(encoding="utf-8")


def _write_area(results: Path, folder: Path, tiny_scenario: dict[str, Path]) -> int:
    """Predict the tiny scenario's area and write its COGs and zones.gpkg into ``folder``."""
    import geopandas as gpd

    from covgap.analysis.zones import area_zones, write_zones
    from covgap.io.readers import read_dem
    from covgap.radio.parallel import predict_area

    sites = gpd.read_file(results / "villages.gpkg", layer="sites")
    rasters = predict_area(read_dem(tiny_scenario["dem"]), sites, radius_km=20, workers=1)
    pieces, summary = area_zones(rasters)
    rasters.write(folder)
    write_zones(pieces, folder / "zones.gpkg", summary=summary)
    return int(pieces.loc[pieces["zone_class"] == "white", "zone_id"].nunique())


def _run_area(results: Path, tiny_scenario: dict[str, Path]) -> int:
    """Run `covgap run --area` into ``results``; return its number of white zones."""
    import geopandas as gpd

    args = ["run", "--villages", str(tiny_scenario["villages"]), "--sites",
            str(tiny_scenario["sites"]), "--dem", str(tiny_scenario["dem"]), "--out",
            str(results), "--no-progress", "--area"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    zones = gpd.read_file(results / "zones.gpkg", layer="zones")
    return int(zones.loc[zones["zone_class"] == "white", "zone_id"].nunique())


@pytest.mark.parametrize("sub", ["", "area"])
def test_map_picks_up_rasters_and_zones(results: Path, tmp_path: Path, tiny_scenario, sub):
    import base64
    import io
    import re

    import numpy as np
    from PIL import Image

    if sub:  # e.g. `covgap predict --out RESULTS/area`
        white = _write_area(results, results / sub, tiny_scenario)
    else:  # the run's own area results
        white = _run_area(results, tiny_scenario)
    assert (results / sub / "signal_any_4g.tif").is_file()
    out = tmp_path / "map.html"
    result = _map("--results", str(results), "--out", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '"4G signal (RSRP) \\u2013 any carrier"' in page
    assert '"2G signal (RxLev) \\u2013 any carrier"' in page
    assert "Signal overlay: modelled best-server 4G RSRP (dBm)" in page
    assert f'"White zones: areas ({white})"' in page and "covgap.popup(p, rows)" in page
    uris = re.findall(r'L\.imageOverlay\("data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 3  # the hillshade and two signal overlays
    alpha = np.asarray(Image.open(io.BytesIO(base64.b64decode(uris[1]))).convert("RGBA"))[..., 3]
    assert (alpha == 0).any() and (alpha == 255).any()


def test_map_from_results_without_area(results: Path, tmp_path: Path, tiny_scenario):
    from covgap.outputs.run_files import map_from_results

    _run_area(results, tiny_scenario)
    page = map_from_results(results, area=False).get_root().render()
    assert "cgSignal" not in page and "covgap.popup(p, rows)" not in page
    # without them in the folder, the map is as before
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("villages.gpkg", "scenario.toml"):
        (plain / name).write_bytes((results / name).read_bytes())
    assert "cgSignal" not in map_from_results(plain, relief=False).get_root().render()
