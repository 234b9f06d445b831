from pathlib import Path

import pytest

from covgap.config import Radio, Scenario, Thresholds, load_scenario
from covgap.errors import DataFileError, InputError


def test_defaults_follow_domain():
    t, r = Thresholds(), Radio()
    assert (t.covered_dbm, t.low_signal_dbm) == (-105.0, -115.0)
    assert r.rx_height_m == 1.5
    assert r.k_factor == pytest.approx(4 / 3)
    assert r.resource_blocks == 50
    assert r.location_margin_db == pytest.approx(0.0, abs=1e-12)


def test_location_margin_at_90_percent():
    assert Radio(location_probability=0.9, shadow_sigma_db=8).location_margin_db == pytest.approx(
        1.2816 * 8, abs=0.01
    )


def test_thresholds_must_be_ordered():
    with pytest.raises(InputError, match="low_signal_dbm"):
        Thresholds(covered_dbm=-120, low_signal_dbm=-110)


def test_radio_reports_every_bad_value():
    with pytest.raises(InputError) as info:
        Radio(rx_height_m=-1, lte_bandwidth_mhz=7)
    assert "rx_height_m" in str(info.value) and "lte_bandwidth_mhz" in str(info.value)


def test_toml_round_trip(tmp_path: Path):
    scenario = Scenario(
        villages=Path("v.csv"),
        sites=Path("s.csv"),
        dem=(Path("d.tif"),),
        crs="EPSG:9205",
        name='Thôn "test"',
        thresholds=Thresholds(covered_dbm=-100.0),
        radio=Radio(location_probability=0.9),
    )
    path = tmp_path / "scenario.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    back = load_scenario(path)
    assert back.thresholds == scenario.thresholds
    assert back.radio == scenario.radio
    assert back.name == scenario.name and back.crs == "EPSG:9205"
    # relative paths are taken relative to the file's folder
    assert back.villages == tmp_path / "v.csv"
    assert back.dem == (tmp_path / "d.tif",)


def test_partial_file_keeps_base_values(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text("[thresholds]\ncovered_dbm = -100.0\n", encoding="utf-8")
    base = Scenario(villages=Path("/x/v.csv"), radio=Radio(rx_height_m=2.0))
    got = load_scenario(path, base=base)
    assert got.thresholds.covered_dbm == -100.0
    assert got.thresholds.low_signal_dbm == -115.0
    assert got.radio.rx_height_m == 2.0 and got.villages == Path("/x/v.csv")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[radio]\nrx_hieght_m = 2\n", "rx_hieght_m"),
        ("[radios]\n", "unknown table"),
        ("[inputs]\nvilage = 'a.csv'\n", "vilage"),
        ("[radio]\nrx_height_m = 500\n", "rx_height_m"),
    ],
)
def test_bad_keys_and_values_are_named(tmp_path: Path, text: str, match: str):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        load_scenario(path)


def test_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(DataFileError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("[radio\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="TOML"):
        load_scenario(bad)


def test_with_inputs_ignores_none_and_wraps_dem():
    s = Scenario().with_inputs(villages="a.csv", sites=None, dem="d.tif")
    assert s.villages == Path("a.csv") and s.sites is None and s.dem == (Path("d.tif"),)


def test_sites_one_file_or_several_round_trip(tmp_path: Path):
    one = Scenario(sites=Path("s.csv"))
    assert one.sites == Path("s.csv") and one.site_files == (Path("s.csv"),)
    several = Scenario().with_inputs(sites=("viettel.csv", Path("vnpt.xlsx"), "viettel.csv"))
    assert several.sites == (Path("viettel.csv"), Path("vnpt.xlsx"))  # twice counts once
    assert several.site_files == several.sites
    assert Scenario().with_inputs(sites=["only.csv"]).sites == Path("only.csv")
    assert Scenario().site_files == ()
    path = tmp_path / "scenario.toml"
    path.write_text(several.to_toml(), encoding="utf-8")
    assert 'sites = ["viettel.csv", "vnpt.xlsx"]' in several.to_toml()
    back = load_scenario(path)
    assert back.sites == (tmp_path / "viettel.csv", tmp_path / "vnpt.xlsx")
    path.write_text(one.to_toml(), encoding="utf-8")
    assert 'sites = "s.csv"' in one.to_toml()
    assert load_scenario(path).sites == tmp_path / "s.csv"


def test_sites_list_in_toml_must_hold_file_names(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text("[inputs]\nsites = [1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match="list of file names"):
        load_scenario(path)
