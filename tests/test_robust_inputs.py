"""Several site files are combined; sites far from every village are left out, not fatal."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.analysis.inputs import combine_sites, far_from_villages, load_inputs
from covgap.cli import main
from covgap.config import Radio, Scenario
from covgap.errors import InputError, ValidationError
from covgap.io.readers import read_sites, read_villages


def _scenario(tiny: dict[str, Path], *sites: Path, **radio) -> Scenario:
    dem = (tiny["dem"],)
    return Scenario(villages=tiny["villages"], sites=sites, dem=dem, radio=Radio(**radio))


def _split(tiny: dict[str, Path], folder: Path) -> tuple[Path, Path]:
    table = pd.read_csv(tiny["sites"])
    paths = []
    for carrier in ("Viettel", "VNPT"):
        path = folder / f"{carrier.lower()}.csv"
        table[table["carrier"] == carrier].to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def _far_rows(tiny: dict[str, Path], n: int, lon: float = 105.5) -> pd.DataFrame:
    row = pd.read_csv(tiny["sites"]).iloc[:1]
    rows = pd.concat([row] * n, ignore_index=True)
    rows["site_id"] = [f"FAR{i}" for i in range(n)]
    rows["lon"] = lon
    return rows


# --------------------------------------------------------------------------- combining
def test_two_site_files_give_the_result_of_one(tiny_scenario, tmp_path):
    viettel, vnpt = _split(tiny_scenario, tmp_path)
    one = load_inputs(_scenario(tiny_scenario, tiny_scenario["sites"]))
    two = load_inputs(_scenario(tiny_scenario, viettel, vnpt))
    assert len(two.sites) == len(one.sites) == 9
    cols = ["site_id", "sector_id", "carrier", "technology", "height_m"]
    pd.testing.assert_frame_equal(two.sites[cols], one.sites[cols])
    assert two.warnings == []


def test_cli_combines_repeated_sites(tiny_scenario, tmp_path):
    viettel, vnpt = _split(tiny_scenario, tmp_path)
    outs = {}
    for name, files in (("one", [tiny_scenario["sites"]]), ("two", [viettel, vnpt])):
        outs[name] = tmp_path / name
        args = ["run", "--villages", str(tiny_scenario["villages"]), "--dem",
                str(tiny_scenario["dem"]), "--out", str(outs[name]), "--no-progress"]  # fmt: skip
        for f in files:
            args += ["--sites", str(f)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    a = (outs["one"] / "villages.csv").read_bytes()
    assert a == (outs["two"] / "villages.csv").read_bytes()
    record = (outs["two"] / "scenario.toml").read_text(encoding="utf-8")
    assert "viettel.csv" in record and "vnpt.csv" in record  # both files recorded
    # VNPT's 2G sectors are in the result: dropping the file would lose them
    sites = gpd.read_file(outs["two"] / "villages.gpkg", layer="sites")
    assert set(sites["carrier"]) == {"Viettel", "VNPT"}


def test_identical_sector_in_two_files_is_kept_once_with_a_warning(tiny_scenario, tmp_path,
                                                                   caplog):  # fmt: skip
    viettel, _ = _split(tiny_scenario, tmp_path)
    with caplog.at_level(logging.WARNING, logger="covgap.analysis.inputs"):
        inputs = load_inputs(_scenario(tiny_scenario, tiny_scenario["sites"], viettel))
    assert len(inputs.sites) == 9
    warnings = [w for w in inputs.warnings if w.severity == "warning"]
    assert len(warnings) == 6  # Viettel's six sectors
    assert "same values; kept once" in warnings[0].message
    assert warnings[0].file == str(viettel) and str(tiny_scenario["sites"]) in warnings[0].message
    assert "kept once" in caplog.text


def test_conflicting_sector_in_two_files_is_an_error_naming_both(tiny_scenario, tmp_path):
    viettel, vnpt = _split(tiny_scenario, tmp_path)
    other = pd.read_csv(viettel)
    other.loc[0, "height_m"] = 45
    changed = tmp_path / "viettel_new.csv"
    other.iloc[:1].to_csv(changed, index=False)
    with pytest.raises(ValidationError) as info:
        load_inputs(_scenario(tiny_scenario, viettel, vnpt, changed))
    text = str(info.value)
    assert "VT001" in text and str(viettel) in text and str(changed) in text
    assert "other values" in text


def test_combine_sites_of_one_file_is_that_file(tiny_scenario):
    table = read_sites(tiny_scenario["sites"])
    combined, problems = combine_sites({"a.csv": table})
    assert combined is table and problems == []


# --------------------------------------------------------------------------- far sites
def test_far_sites_are_left_out_with_one_warning(tiny_scenario, tmp_path, caplog):
    sites = pd.concat([_far_rows(tiny_scenario, 7), pd.read_csv(tiny_scenario["sites"])])
    path = tmp_path / "national.csv"
    sites.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="covgap.analysis.inputs"):
        inputs = load_inputs(_scenario(tiny_scenario, path))
    assert len(inputs.sites) == 9 and not inputs.sites["site_id"].str.startswith("FAR").any()
    lines = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith(f"WARNING: {path}: 7 site(s) (7 sector rows) are more than 35 km")
    assert [w.severity for w in inputs.warnings] == ["warning"]  # a notebook sees it too
    assert "FAR0, FAR1, FAR2, FAR3, FAR4 and 2 more" in lines[0]


def test_a_near_site_outside_the_dem_is_still_an_error_with_its_row(tiny_scenario, tmp_path):
    near = _far_rows(tiny_scenario, 1, lon=103.35)  # 10 km east of V3, beyond the DEM
    near["site_id"] = "EDGE"
    sites = pd.concat([_far_rows(tiny_scenario, 1), near, pd.read_csv(tiny_scenario["sites"])])
    path = tmp_path / "sites.csv"
    sites.to_csv(path, index=False)
    with pytest.raises(ValidationError) as info:
        load_inputs(_scenario(tiny_scenario, path))
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].row == 3 and "outside the DEM" in errors[0].message


def test_a_village_outside_the_dem_stays_an_error(tiny_scenario, tmp_path):
    villages = pd.read_csv(tiny_scenario["villages"])
    villages.loc[0, "lon"] = 105.5
    path = tmp_path / "villages.csv"
    villages.to_csv(path, index=False)
    scenario = _scenario(tiny_scenario, tiny_scenario["sites"]).with_inputs(villages=path)
    with pytest.raises(ValidationError, match="outside the DEM"):
        load_inputs(scenario)


def test_no_site_in_range_of_any_village_is_an_input_error(tiny_scenario, tmp_path):
    path = tmp_path / "far.csv"
    _far_rows(tiny_scenario, 2).to_csv(path, index=False)
    with pytest.raises(InputError, match="no site is within"):
        load_inputs(_scenario(tiny_scenario, path))


def test_far_from_villages_counts_cluster_points(tiny_scenario):
    villages = read_villages(tiny_scenario["villages"])
    sites = read_sites(tiny_scenario["sites"])
    assert not far_from_villages(sites, villages, 35.0).any()
    assert far_from_villages(sites, villages, 0.5).all()  # no village within 500 m
    villages["cluster_1_lon"] = float("nan")
    villages["cluster_1_lat"] = float("nan")
    villages.loc[0, ["cluster_1_lon", "cluster_1_lat"]] = [103.0601, 22.1001]
    far = far_from_villages(sites, villages, 0.5)
    assert not far[sites["site_id"] == "VT001"].any() and far[sites["site_id"] == "VN001"].all()


def test_predict_combines_repeated_sites(tiny_scenario, tmp_path):
    viettel, vnpt = _split(tiny_scenario, tmp_path)
    out = tmp_path / "out"
    args = ["predict", "--sites", str(viettel), "--sites", str(vnpt), "--dem",
            str(tiny_scenario["dem"]), "--radius-km", "20", "--workers", "1",
            "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 sites" in result.output
    clash = pd.read_csv(viettel)
    clash["height_m"] = 50
    other = tmp_path / "clash.csv"
    clash.to_csv(other, index=False)
    result = CliRunner().invoke(main, [*args[:5], "--sites", str(other), *args[5:]])
    assert result.exit_code == 1 and "other values" in result.output


def test_run_with_a_national_export_is_not_blocked(tiny_scenario, tmp_path):
    sites = pd.concat([pd.read_csv(tiny_scenario["sites"]), _far_rows(tiny_scenario, 40)])
    path = tmp_path / "national.csv"
    sites.to_csv(path, index=False)
    args = ["run", "--villages", str(tiny_scenario["villages"]), "--sites", str(path),
            "--dem", str(tiny_scenario["dem"]), "--out", str(tmp_path / "out"),
            "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "left out" in line]
    assert len(lines) == 1 and "40 site(s)" in lines[0] and "and 35 more" in lines[0]
    assert "outside the DEM" not in result.output
