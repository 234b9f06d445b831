import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.cli import main


def _run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_commands():
    result = _run("--help")
    assert result.exit_code == 0
    for command in ("run", "validate", "sample"):
        assert command in result.output


def test_run_on_tiny_scenario(tiny_scenario: dict[str, Path], tmp_path: Path):
    out = tmp_path / "out"
    result = _run(
        "run",
        "--villages",
        str(tiny_scenario["villages"]),
        "--sites",
        str(tiny_scenario["sites"]),
        "--dem",
        str(tiny_scenario["dem"]),
        "--out",
        str(out),
        "--lang",
        "en",
    )
    assert result.exit_code == 0, result.output
    assert "6 villages" in result.output
    for name in (
        "coverage_map.html",
        "villages.csv",
        "villages.gpkg",
        "summary_by_district.csv",
        "scenario.toml",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".covgap-tmp-*"))
    table = pd.read_csv(out / "villages.csv", encoding="utf-8-sig").set_index("village_id")
    assert len(table) == 6
    # open valley next to the Viettel tower: covered; behind the 1,200 m ridge: white
    assert table.loc["V1", "coverage_class"] == "covered"
    assert table.loc["V1", "best_carrier"] == "Viettel"
    assert table.loc["V3", "coverage_class"] == "white"
    assert table.loc["V3", "reason"].startswith("blocked by a ridge")
    assert 1000 < table.loc["V3", "obstacle_height_m"] <= 1200
    assert table.loc["V3", "obstacle_dist_km"] == pytest.approx(10.3, abs=0.7)
    assert table.loc["V1", "name"] == "Bản Nậm Cuổi"
    html = (out / "coverage_map.html").read_text(encoding="utf-8")
    assert "Bản Nậm Cuổi" in html or "B\\u1ea3n N\\u1eadm Cu\\u1ed5i" in html
    # Leaflet is inlined so the map's layers draw without internet
    assert "leaflet@1.9.3/dist/leaflet.js" not in html and "L.map(" in html
    record = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
    assert record["thresholds"]["covered_dbm"] == -105.0
    summary = pd.read_csv(out / "summary_by_district.csv", encoding="utf-8-sig")
    assert summary.iloc[-1]["villages"] == 6


def test_config_file_changes_range(tiny_scenario: dict[str, Path], tmp_path: Path):
    config = tmp_path / "scenario.toml"
    config.write_text("[radio]\nmax_range_km = 10.0\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _run(
        "run",
        "--villages",
        str(tiny_scenario["villages"]),
        "--sites",
        str(tiny_scenario["sites"]),
        "--dem",
        str(tiny_scenario["dem"]),
        "--config",
        str(config),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "villages.csv", encoding="utf-8-sig").set_index("village_id")
    assert table.loc["V3", "reason"] == "no 4G site within 10 km"
    assert table.loc["V3", "reason_vi"] == "không có trạm 4G trong bán kính 10 km"


def test_invalid_input_is_refused_and_nothing_written(
    tiny_scenario: dict[str, Path], tmp_path: Path
):
    bad = pd.read_csv(tiny_scenario["villages"], dtype=str)
    bad.loc[1, "lat"] = "abc"
    bad.loc[3, "village_id"] = "V1"
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--villages",
            str(bad_path),
            "--sites",
            str(tiny_scenario["sites"]),
            "--dem",
            str(tiny_scenario["dem"]),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    text = result.output
    assert "row 3" in text and "'lat'" in text  # spreadsheet row of the bad latitude
    assert "V1" in text  # the duplicate id
    assert "nothing was written" in text
    assert not out.exists() or not any(out.iterdir())


def test_print_config_is_valid_toml_with_defaults():
    result = _run("run", "--print-config")
    assert result.exit_code == 0
    doc = tomllib.loads(result.output)
    assert doc["thresholds"] == {
        "covered_dbm": -105.0,
        "low_signal_dbm": -115.0,
        "min_2g_dbm": -105.0,
        "min_3g_dbm": -105.0,
    }
    assert doc["radio"]["rx_height_m"] == 1.5
    assert doc["inputs"]["synthetic"] is True


def test_validate_command(tiny_scenario: dict[str, Path], tmp_path: Path):
    ok = _run(
        "validate",
        str(tiny_scenario["villages"]),
        str(tiny_scenario["sites"]),
        str(tiny_scenario["dem"]),
    )
    assert ok.exit_code == 0, ok.output
    assert "[villages]" in ok.output and "[sites]" in ok.output and "[dem]" in ok.output
    bad = pd.read_csv(tiny_scenario["sites"])
    bad.loc[0, "carrier"] = "Vodafone"
    path = tmp_path / "bad_sites.csv"
    bad.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Vodafone" in result.output and "row 2" in result.output


def test_sample_command_calls_generator(monkeypatch, tmp_path: Path):
    calls = {}

    def fake_generate(out_dir, *, seed=1, progress=False):
        calls.update(out_dir=out_dir, seed=seed)
        return {"dem": Path(out_dir) / "dem.tif"}

    monkeypatch.setattr("covgap.sample.generate_sample", fake_generate)
    result = _run("sample", "--out", str(tmp_path / "s"), "--seed", "7")
    assert result.exit_code == 0, result.output
    assert calls == {"out_dir": tmp_path / "s", "seed": 7}
    assert "dem.tif" in result.output
