"""Measurements in, offsets out: readers, robust fit, block cross-validation, survey, CLI."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.analysis.calibration import (
    apply_calibration,
    blocks,
    calibration_of,
    confusion,
    error_stats,
    field_check,
    fit_offsets,
    huber_location,
)
from covgap.config import Calibration, Radio, Scenario, Thresholds, load_scenario
from covgap.errors import InputError, ValidationError
from covgap.io.measurements import band_of_earfcn, read_measurements, read_survey

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- readers
def test_read_measurements_tool_headers_plmn_and_earfcn(tmp_path, caplog):
    path = tmp_path / "tems.csv"
    path.write_text(
        "Timestamp;Latitude;Longitude;PLMN;NetworkTech;EARFCN;PCI;RSRP (dBm)\n"
        "2025-10-15 08:00:00;22,10;103,05;45204;LTE;1650;12;-95,5\n"
        "2025-10-15 08:00:01;22,11;103,06;452-02;LTE;3500;7;-101\n"
        "2025-10-15 08:00:02;;103,06;45201;LTE;1650;7;-99\n"
        "2025-10-15 08:00:03;22,12;103,07;45201;WCDMA;10700;7;-88\n"
        "2025-10-15 08:00:04;22,12;103,07;45201;LTE;1650;7;\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        m = read_measurements(path)
    assert m["carrier"].tolist() == ["Viettel", "VNPT", "MobiFone"]
    assert m["technology"].tolist() == ["4G", "4G", "3G"]
    assert m["rsrp_dbm"].tolist() == [-95.5, -101.0, -88.0]
    # EARFCN 1650 is band 3 (1800 MHz), 3500 band 8 (900); no LTE band for a UMTS channel
    assert m["freq_mhz"].iloc[:2].tolist() == [1800.0, 900.0] and math.isnan(m["freq_mhz"].iloc[2])
    assert m.geometry.x.tolist() == [103.05, 103.06, 103.07]
    assert m["row"].tolist() == [2, 3, 5]
    # the rows left out are said, with their rows
    text = caplog.text
    assert "1 row(s) have no position" in text and "(rows 4)" in text
    assert "1 row(s) have no signal" in text and "(rows 6)" in text
    assert m.attrs["covgap_read"]["used"] == 3 and m.attrs["covgap_read"]["rows"] == 5


def test_read_measurements_refuses_what_it_cannot_use(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("lat,lon,level\n22.1,103.05,-90\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no carrier column"):
        read_measurements(path)
    assert read_measurements(path, carrier="Viettel")["carrier"].tolist() == ["Viettel"]
    path.write_text("lat,lon,Operator,RSRP\n22.1,103.05,Gmobile,-90\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"unknown carrier.*rows 2"):
        read_measurements(path)
    path.write_text("Operator,RSRP\nViettel,-90\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no position columns"):
        read_measurements(path)


def test_band_of_earfcn():
    assert band_of_earfcn([1650, 3500, 100, 9460, 5000]).tolist()[:4] == [1800, 900, 2100, 700]
    assert math.isnan(band_of_earfcn([5000])[0])


def test_read_survey_vietnamese(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "Mã thôn,Nhà mạng,Tình trạng sóng,Ngày khảo sát\n"
        "V1,,có sóng,15/10/2025\nV2,Viettel,Sóng yếu,15/10/2025\nV3,VNPT,không có sóng,\n",
        encoding="utf-8",
    )
    s = read_survey(path)
    assert s["observed"].tolist() == ["covered", "low_signal", "white"]
    assert s["carrier"].tolist() == [None, "Viettel", "VNPT"]
    path.write_text("Mã thôn,Tình trạng sóng\nV1,có sóng\nV2,tạm được\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"row 3.*unknown status 'tạm được'"):
        read_survey(path)


# ------------------------------------------------------------------------ statistics
def test_huber_is_robust_and_blocks_are_squares():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(3.0, 1.0, 500), np.full(20, 60.0)])  # 4 % gross outliers
    assert abs(huber_location(x) - 3.0) < 0.3 and x.mean() > 5
    b = blocks(np.array([103.0, 103.001, 103.2]), np.array([22.0, 22.0, 22.0]), block_km=5)
    assert b[0] == b[1] != b[2]


def _synthetic(n_blocks=8, per_block=40, offsets=None, seed=2):
    """Measurements with known offsets per carrier, spread over blocks 5 km apart."""
    offsets = offsets or {"Viettel": 3.0, "VNPT": -2.0}
    rng = np.random.default_rng(seed)
    rows = []
    for carrier, off in offsets.items():
        for b in range(n_blocks):
            lon = 103.02 + 0.06 * b + rng.uniform(0, 0.002, per_block)
            lat = 22.02 + rng.uniform(0, 0.002, per_block)
            pred = rng.uniform(-115, -80, per_block)
            meas = pred + off + rng.normal(0, 4.0, per_block)
            dist = rng.uniform(0.3, 20, per_block)
            rows.append(pd.DataFrame({"carrier": carrier, "technology": "4G", "freq_mhz": 1800.0,
                                      "lon": lon, "lat": lat, "predicted_dbm": pred,
                                      "rsrp_dbm": meas, "dist_km": dist}))  # fmt: skip
    table = pd.concat(rows, ignore_index=True)
    table["error_db"] = table["rsrp_dbm"] - table["predicted_dbm"]
    return table


def test_fit_recovers_offsets_and_validates_on_held_out_blocks():
    table = _synthetic()
    stats = error_stats(table).set_index("carrier")
    assert stats.loc["Viettel", "bias_db"] == pytest.approx(3.0, abs=0.6)
    fit = fit_offsets(table).set_index("carrier")
    assert fit.loc["Viettel", "offset_db"] == pytest.approx(3.0, abs=0.6)
    assert fit.loc["VNPT", "offset_db"] == pytest.approx(-2.0, abs=0.6)
    assert fit.loc["Viettel", "blocks"] == 8 and fit["fitted"].all()
    # held out: the offset removes the bias, the spread stays (σ 4 dB)
    assert fit.loc["Viettel", "rmse_before_db"] > 4.7
    assert fit.loc["Viettel", "rmse_after_db"] == pytest.approx(4.0, abs=0.5)
    assert fit.loc["Viettel", "sigma_db"] == pytest.approx(4.0, abs=0.5)
    cal = calibration_of(fit.reset_index(), source="test")
    assert set(cal.offsets) == {"Viettel 4G 1800", "VNPT 4G 1800"}
    assert cal.sigma_db == pytest.approx(4.0, abs=0.5)


def test_held_out_offsets_match_exact_refits():
    from covgap.analysis.calibration import _held_out_offsets

    rng = np.random.default_rng(4)
    b = np.repeat(np.arange(12), 50)
    e = rng.normal(2.0, 5.0, len(b)) + np.repeat(rng.normal(0, 2.0, 12), 50)  # block effects
    e[:10] += 40  # outliers in block 0
    mu = huber_location(e)
    fast = _held_out_offsets(e, b, mu)
    for block in range(12):
        exact = huber_location(e[b != block])
        assert fast[b == block][0] == pytest.approx(exact, abs=0.05)


def test_fit_refuses_groups_the_data_cannot_support():
    fit = fit_offsets(_synthetic(n_blocks=3, per_block=40)).set_index("carrier")
    assert not fit["fitted"].any() and (fit["offset_db"] == 0).all()
    assert "in 3 blocks (needs 30 in 4)" in fit.loc["Viettel", "note"]
    fit = fit_offsets(_synthetic(n_blocks=8, per_block=3))
    assert not fit["fitted"].any() and "24 measurements" in fit["note"].iloc[0]
    assert calibration_of(fit).offsets == {}


def test_apply_calibration_band_first_then_any():
    servers = pd.DataFrame({"carrier": ["Viettel", "Viettel", "VNPT", "MobiFone"],
                            "technology": ["4G", "4G", "4G", "4G"],
                            "freq_mhz": [1800, 2600, 1800, 1800],
                            "signal_dbm": [-100.0] * 4})  # fmt: skip
    cal = Calibration(offsets={"Viettel 4G 1800": 2.0, "Viettel 4G any": -1.0, "VNPT 4G any": 3.0})
    out = apply_calibration(servers, cal)
    assert out["signal_dbm"].tolist() == [-98.0, -101.0, -97.0, -100.0]
    assert apply_calibration(servers, Calibration()) is servers


def test_calibration_table_validates_and_round_trips(tmp_path):
    with pytest.raises(InputError, match="not '<carrier>"):
        Calibration(offsets={"Viettel 1800": 1.0})
    with pytest.raises(InputError, match="within ±40"):
        Calibration(offsets={"Viettel 4G 1800": 99.0})
    with pytest.raises(InputError, match="sigma_db"):
        Calibration(sigma_db=0.0)
    cal = Calibration(offsets={"Viettel 4G 1800": -3.1, "VNPT 4G any": 1.5}, sigma_db=6.2,
                      source='5 files, "drive" 2025')  # fmt: skip
    path = tmp_path / "s.toml"
    path.write_text(Scenario(calibration=cal).to_toml(), encoding="utf-8")
    assert load_scenario(path).calibration == cal


def test_confusion_and_kappa_by_hand():
    predicted = ["covered"] * 6 + ["white"] * 4
    observed = ["covered"] * 5 + ["white"] + ["white"] * 3 + ["covered"]
    matrix, agree, kappa = confusion(pd.Series(predicted), pd.Series(observed))
    assert matrix.loc["covered", "covered"] == 5 and matrix.loc["white", "covered"] == 1
    assert agree == 0.8
    # p_e = 0.6*0.6 + 0.4*0.4 = 0.52; kappa = (0.8 - 0.52) / 0.48
    assert kappa == pytest.approx(0.28 / 0.48)
    with pytest.raises(InputError):
        confusion(pd.Series([], dtype=object), pd.Series([], dtype=object))


def test_field_check_probabilities_by_hand():
    villages = pd.DataFrame({"village_id": ["A", "B", "C", "D"],
                             "population": [100, 900, 50, 10],
                             "rsrp_dbm": [-105.0, -100.0, -80.0, np.nan],
                             "rsrp_viettel_dbm": [-105.0, np.nan, -80.0, np.nan]})  # fmt: skip
    out = field_check(villages, sigma_db=6.0, thresholds=Thresholds(), radio=Radio())
    by = out.set_index("village_id")
    assert by.loc["A", "p_covered"] == pytest.approx(0.5)
    assert by.loc["B", "p_covered"] == pytest.approx(0.7977, abs=1e-4)  # z = 5/6
    assert by.loc["D", "p_covered"] == 0.0 and by.loc["B", "p_covered_viettel"] == 0.0
    # B at -100 ± 6 spans low signal and covered (-106, -94): to check; C does not
    assert (
        by.loc["B", "field_check"] and by.loc["A", "field_check"] and not by.loc["C", "field_check"]
    )
    assert out["village_id"].tolist()[:2] == ["B", "A"]  # to check first, most people first
    with pytest.raises(InputError, match="sigma_db"):
        field_check(villages, sigma_db=0.0)


# ------------------------------------------------------------------------ end to end
def _tiny_measurements(tiny, path: Path, offset: float) -> None:
    """Drive-test rows along the tiny scenario's valley: covgap's prediction + offset."""
    from covgap.io.readers import read_dem, read_sites
    from covgap.radio.point import best_servers

    rng = np.random.default_rng(5)
    lon = rng.uniform(103.02, 103.26, 400)
    lat = rng.uniform(22.02, 22.17, 400)
    points = pd.DataFrame({"point_id": np.arange(400), "lon": lon, "lat": lat})
    servers = best_servers(points, read_sites(tiny["sites"]), read_dem([tiny["dem"]]))
    lte = servers[(servers["technology"] == "4G") & (servers["signal_dbm"] > -125)]
    lte = lte.merge(points, on="point_id")
    meas = lte["signal_dbm"] + offset + rng.normal(0, 3.0, len(lte))
    table = pd.DataFrame({"Latitude": lte["lat"], "Longitude": lte["lon"], "Operator": "Viettel",
                          "NetworkTech": "LTE", "EARFCN": 1650, "RSRP": meas.round(1)})  # fmt: skip
    table.to_csv(path, index=False)


def test_area_method_agrees_with_the_point_engine(tiny_scenario, tmp_path):
    from covgap.analysis.calibration import predict_measurements
    from covgap.io.readers import read_dem, read_sites

    drive = tmp_path / "drive.csv"
    _tiny_measurements(tiny_scenario, drive, offset=0.0)
    m = read_measurements(drive)
    sites, dem = read_sites(tiny_scenario["sites"]), read_dem([tiny_scenario["dem"]])
    area = predict_measurements(m, sites, dem, method="area")
    point = predict_measurements(m, sites, dem, method="point")
    diff = (area["predicted_dbm"] - point["predicted_dbm"]).to_numpy()
    assert np.isfinite(diff).mean() > 0.95
    assert abs(np.nanmedian(diff)) < 0.5 and np.nanpercentile(np.abs(diff), 75) < 3.0
    assert (area["server_site_id"].dropna() == "VT001").all()
    assert area["dist_km"].notna().mean() > 0.95
    with pytest.raises(InputError, match="method"):
        predict_measurements(m, sites, dem, method="raster")


def test_a_named_serving_site_is_compared_with_its_own_prediction(tiny_scenario, tmp_path):
    from covgap.analysis.calibration import predict_measurements
    from covgap.io.readers import read_dem, read_sites

    sites = read_sites(tiny_scenario["sites"])
    far = sites[sites["site_id"] == "VT001"].copy()
    far["site_id"] = "VT002"
    far["geometry"] = far.geometry.translate(0.15, 0.0)  # 15 km east
    both = pd.concat([sites, far], ignore_index=True)
    path = tmp_path / "m.csv"
    path.write_text("Latitude,Longitude,Operator,NetworkTech,Site,RSRP\n"
                    "22.10,103.05,Viettel,LTE,VT002,-110\n22.10,103.05,Viettel,LTE,,-90\n"
                    "22.10,103.05,Viettel,LTE,XX9,-90\n", encoding="utf-8")  # fmt: skip
    m = read_measurements(path)
    out = predict_measurements(m, both, read_dem([tiny_scenario["dem"]]), method="point")
    assert out["predicted_from"].tolist() == ["serving_site", "best_server", "best_server"]
    assert out["server_site_id"].tolist() == ["VT002", "VT001", "VT001"]
    # the named far site predicts less than the best server at the same point
    assert out["predicted_dbm"].iloc[0] < out["predicted_dbm"].iloc[1]
    assert out["dist_km"].iloc[0] > out["dist_km"].iloc[1] + 10


def test_measurement_layers_one_per_error_bin_off_at_opening():
    from covgap.outputs.calibration_report import measurement_layers

    m = pd.DataFrame({"lon": [103.0, 103.1, 103.2, 103.3], "lat": [22.0] * 4,
                      "carrier": ["Viettel"] * 4, "rsrp_dbm": [-90.0] * 4,
                      "error_after_db": [-10.0, 0.5, 1.0, 7.5]})  # fmt: skip
    layers = measurement_layers(m, lang="en")
    names = [layer.layer_name for layer in layers]
    assert names == ["Measured − predicted &lt; −6 dB (1)", "Measured − predicted −2 … 2 dB (2)",
                     "Measured − predicted ≥ 6 dB (1)"]  # fmt: skip
    assert all(layer.show is False for layer in layers)


def test_calibrate_command_on_the_tiny_scenario(tiny_scenario, tmp_path):
    from covgap.cli import main

    drive = tmp_path / "drive.csv"
    _tiny_measurements(tiny_scenario, drive, offset=-4.0)
    survey = tmp_path / "survey.csv"
    survey.write_text("Mã thôn,Tình trạng sóng\nV1,có sóng\nV3,không có sóng\nV2,sóng yếu\n",
                      encoding="utf-8")  # fmt: skip
    out = tmp_path / "cal"
    args = ["calibrate", "--measurements", str(drive), "--survey", str(survey), "--villages",
            str(tiny_scenario["villages"]), "--sites", str(tiny_scenario["sites"]), "--dem",
            str(tiny_scenario["dem"]), "--block-km", "2", "--out", str(out)]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "calibration.csv", encoding="utf-8-sig")
    row = table[table["carrier"] == "Viettel"].iloc[0]
    assert row["fitted"] and row["offset_db"] == pytest.approx(-4.0, abs=0.7)
    assert row["rmse_after_db"] < row["rmse_before_db"]
    scenario = load_scenario(out / "calibrated_scenario.toml")
    assert scenario.calibration.offsets["Viettel 4G 1800"] == pytest.approx(-4.0, abs=0.7)
    assert "measurements (drive.csv" in scenario.calibration.source
    confusion_table = pd.read_csv(out / "survey_confusion.csv", encoding="utf-8-sig")
    assert set(confusion_table["calibration"]) == {"before", "after"}
    html = (out / "calibration_report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4 and "Cohen" in html
    # the calibrated map carries the measurements, one layer per error bin, off at opening
    page = (out / "calibrated_coverage_map.html").read_text(encoding="utf-8")
    assert page.count("Measured") >= 1 and "predicted" in page  # the layers' names
    assert "survey after calibration" in res.output
    # the calibrated scenario runs, with its offsets applied
    res = CliRunner().invoke(main, ["run", "--config", str(out / "calibrated_scenario.toml"),
                                    "--out", str(tmp_path / "run")])  # fmt: skip
    assert res.exit_code == 0, res.output
    # ... and lists the villages to check in the field, as the dossier does
    check = pd.read_csv(tmp_path / "run" / "field_check.csv", encoding="utf-8-sig")
    assert set(check["village_id"]) == {"V1", "V2", "V3", "V4", "V5", "V6"}
    assert check["p_covered"].between(0, 1).all()
    res = CliRunner().invoke(main, ["request", "--config", str(out / "calibrated_scenario.toml"),
                                    "--out", str(tmp_path / "dossier")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dossier" / "field_check.csv").is_file()


def test_calibration_lowers_the_prediction_where_it_was_optimistic(tiny_scenario):
    from covgap.pipeline import run

    scenario = Scenario(villages=tiny_scenario["villages"], sites=tiny_scenario["sites"],
                        dem=(tiny_scenario["dem"],))  # fmt: skip
    before = run(scenario).villages.set_index("village_id")["rsrp_viettel_dbm"]
    cal = Calibration(offsets={"Viettel 4G 1800": -6.0})
    after = run(Scenario(**{**scenario.__dict__, "calibration": cal})).villages
    after = after.set_index("village_id")["rsrp_viettel_dbm"]
    served = before.notna()
    assert np.allclose(after[served], before[served] - 6.0)


@pytest.mark.slow
def test_the_sample_calibration_recovers_the_generated_truth():
    from covgap.analysis.calibrate import calibrate
    from covgap.sample import sample_scenario
    from covgap.sample.measurements import TRUTH

    folder = REPO / "data" / "measurements"
    report = calibrate(sample_scenario(), [folder / "drive_test.csv"],
                       survey=folder / "field_survey.xlsx")  # fmt: skip
    fit = report.fit[report.fit["fitted"]].set_index("carrier")
    for carrier, bias in TRUTH["bias_db"].items():
        assert fit.loc[carrier, "offset_db"] == pytest.approx(bias, abs=1.0)
    truth_sigma = math.hypot(TRUTH["shadow_sigma_db"], TRUTH["noise_db"])
    assert report.calibration.sigma_db == pytest.approx(truth_sigma, abs=1.0)
    assert (fit["rmse_after_db"] < fit["rmse_before_db"]).all()
    kappa_before = report.confusion_before[2]
    _, agree_after, kappa_after = report.confusion_after
    assert kappa_after >= kappa_before - 0.02 and agree_after > 0.85
    assert report.field_check["field_check"].sum() > 0
    # the sample has a land cover: the error is also reported class by class
    assert set(report.by_land_cover["land_cover"]) >= {10, 40}


@pytest.mark.slow
def test_the_bundled_measurements_are_what_the_generator_makes(tmp_path):
    from covgap.sample.measurements import MEASUREMENT_FILES, generate_measurements

    generate_measurements(tmp_path)
    for name in MEASUREMENT_FILES.values():
        assert (tmp_path / name).read_bytes() == (
            REPO / "data" / "measurements" / name
        ).read_bytes()


def test_no_field_check_without_a_calibration(tiny_scenario):
    from covgap.analysis.calibrate import field_check_of
    from covgap.pipeline import run

    scenario = Scenario(villages=tiny_scenario["villages"], sites=tiny_scenario["sites"],
                        dem=(tiny_scenario["dem"],))  # fmt: skip
    result = run(scenario)
    assert field_check_of(result) is None
    calibrated = run(Scenario(**{**scenario.__dict__, "calibration": Calibration(sigma_db=6.0)}))
    table = field_check_of(calibrated)
    assert len(table) == 6 and table["field_check"].dtype == bool
    # the map rings them and the dossier lists them, only when calibrated
    from covgap.outputs.maps import result_map
    from covgap.request import build_dossier

    n = int(table["field_check"].sum())
    assert n > 0
    page = result_map(calibrated, lang="en").get_root().render()
    assert f"To check in the field (class changes within \\u00b11\\u03c3) ({n})" in page
    assert "To check in the field" not in result_map(result, lang="en").get_root().render()
    assert len(build_dossier(calibrated).field_check) == n
    assert build_dossier(result).field_check.empty


def test_error_by_land_cover_class():
    from covgap.analysis.calibration import error_by_land_cover

    table = pd.DataFrame({"land_cover": [10, 10, 10, 50, 50],
                          "error_after_db": [-6.0, -4.0, -5.0, 1.0, -1.0]})  # fmt: skip
    out = error_by_land_cover(table).set_index("land_cover")
    assert out.loc[10, "n"] == 3 and out.loc[10, "mean_db"] == pytest.approx(-5.0)
    assert out.loc[50, "rmse_db"] == pytest.approx(1.0)
    assert error_by_land_cover(table.drop(columns="land_cover")).empty


def test_land_cover_under_each_measurement(tiny_scenario):
    from covgap.analysis.calibration import land_cover_at
    from covgap.io.landcover import clutter_from_classes
    from covgap.io.readers import read_dem

    terrain = read_dem([tiny_scenario["dem"]])
    classes = np.full(terrain.shape, 30, dtype=np.int32)
    classes[:, : terrain.shape[1] // 2] = 10  # forest in the west half
    grid = clutter_from_classes(classes)
    west, east = terrain.bounds[0], terrain.bounds[2]
    table = pd.DataFrame({"lon": [west + 0.01, east - 0.01, 200.0], "lat": [22.1, 22.1, 22.1]})
    assert land_cover_at(table, terrain, grid).tolist() == [10, 30, -1]


def test_a_distance_slope_only_where_the_data_support_it():
    rng = np.random.default_rng(7)
    n = 600
    dist = 10 ** rng.uniform(-0.5, 1.3, n)  # 0.3-20 km
    lon = 103.0 + rng.uniform(0, 0.5, n)
    lat = 22.0 + rng.uniform(0, 0.3, n)
    pred = rng.uniform(-115, -80, n)
    base = {"carrier": "Viettel", "technology": "4G", "freq_mhz": 1800.0, "lon": lon, "lat": lat,
            "predicted_dbm": pred, "dist_km": dist}  # fmt: skip
    # error = 2 dB - 4 dB per decade of distance + noise: the slope is real
    sloped = pd.DataFrame(base | {"error_db": 2 - 4 * np.log10(dist) + rng.normal(0, 2, n)})
    fit = fit_offsets(sloped).iloc[0]
    assert fit["slope_applied"] and fit["slope_db_per_decade"] == pytest.approx(-4, abs=0.5)
    assert fit["offset_db"] == pytest.approx(2, abs=0.4)
    cal = calibration_of(fit_offsets(sloped))
    assert cal.slopes["Viettel 4G 1800"] == pytest.approx(-4, abs=0.5)
    rows = pd.DataFrame({"carrier": ["Viettel"] * 2, "technology": ["4G"] * 2,
                         "freq_mhz": [1800, 1800], "dist_km": [1.0, 10.0],
                         "signal_dbm": [-100.0, -100.0]})  # fmt: skip
    out = apply_calibration(rows, cal)["signal_dbm"].to_numpy()
    assert out[0] - out[1] == pytest.approx(-cal.slopes["Viettel 4G 1800"], abs=1e-9)
    # without a slope in the data, none is applied
    flat = pd.DataFrame(base | {"error_db": 2 + rng.normal(0, 2, n)})
    fit = fit_offsets(flat).iloc[0]
    assert not fit["slope_applied"] and "not supported" in fit["note"]
    assert calibration_of(fit_offsets(flat)).slopes == {}


def test_land_cover_corrections_on_what_the_offsets_leave():
    from covgap.analysis.calibration import fit_land_cover, residual_after

    table = _synthetic(n_blocks=8, per_block=60, offsets={"Viettel": 3.0})
    forest = np.arange(len(table)) % 2 == 0
    table.loc[forest, "error_db"] -= 6.0  # forest costs 6 dB more than the model says
    table["land_cover"] = np.where(forest, 10, 40)
    fit = fit_offsets(table)
    lc = fit_land_cover(table, residual_after(table, fit)).set_index("land_cover")
    assert lc.loc[10, "fitted"] and lc.loc[40, "fitted"]
    assert lc.loc[10, "correction_db"] - lc.loc[40, "correction_db"] == pytest.approx(-6, abs=0.8)
    assert lc.loc[10, "rmse_after_db"] < lc.loc[10, "rmse_before_db"]
    cal = calibration_of(fit, land_cover=lc.reset_index())
    assert set(cal.land_cover_db) == {"10", "40"}
    rows = pd.DataFrame({"carrier": ["Viettel"] * 2, "technology": ["4G"] * 2,
                         "freq_mhz": [1800, 1800], "signal_dbm": [-100.0, -100.0],
                         "point_id": [1, 2]})  # fmt: skip
    out = apply_calibration(rows, cal, land_cover=pd.Series({1: 10, 2: 40}))["signal_dbm"]
    assert out.iloc[0] - out.iloc[1] == pytest.approx(
        cal.land_cover_db["10"] - cal.land_cover_db["40"]
    )
    # a class with too few measurements gets no correction
    few = fit_land_cover(table.iloc[:50], residual_after(table.iloc[:50], fit))
    assert not few["fitted"].any()
    # and the table round-trips through a scenario file
    assert Calibration(land_cover_db=cal.land_cover_db, slopes={"VNPT 4G any": -2.0})


def test_calibration_applies_to_the_area_rasters(tiny_scenario):
    from covgap.analysis.calibration import calibrate_rasters
    from covgap.io.readers import read_dem, read_sites
    from covgap.radio.parallel import predict_area
    from covgap.radio.rasters import ANY_CARRIER, CLASS_CODES

    terrain = read_dem([tiny_scenario["dem"]])
    rasters = predict_area(terrain, read_sites(tiny_scenario["sites"]), radius_km=15, workers=1)
    cal = Calibration(offsets={"Viettel 4G 1800": -20.0})
    out = calibrate_rasters(rasters, cal)
    key = ("Viettel", "4G")
    before, after = rasters.signal[key], out.signal[key]
    served = ~np.isnan(before)
    assert np.allclose(after[served], before[served] - 20.0)
    # the any-carrier layer and the classes follow (Viettel is the only 4G carrier here)
    assert np.allclose(out.signal[(ANY_CARRIER, "4G")][served], after[served])
    covered = CLASS_CODES["covered"]
    assert (out.classes[key] == covered).sum() < (rasters.classes[key] == covered).sum()
    assert calibrate_rasters(rasters, Calibration()) is rasters


def test_serving_sites_from_site_cell_or_pci(tiny_scenario):
    from covgap.analysis.calibration import serving_site_ids
    from covgap.io.readers import read_sites

    sites = read_sites(tiny_scenario["sites"])
    far = sites[sites["site_id"] == "VT001"].copy()
    far["site_id"] = "VT009"
    far["geometry"] = far.geometry.translate(0.5, 0.0)  # 50 km east: reuses the PCIs
    both = pd.concat([sites, far], ignore_index=True)
    both["PCI"] = np.where(both["technology"] == "4G", 101, 7)
    m = pd.DataFrame({
        "carrier": ["Viettel", "Viettel", "Viettel", "Viettel", "VNPT"],
        "lon": [103.05, 103.05, 103.55, 103.05, 103.05], "lat": [22.1] * 5,
        "site_id": ["VT009", None, None, None, None],
        "cell_id": [None, "4G-2", None, None, None],
        "pci": [None, None, 101, 55, None],
        "freq_mhz": [np.nan, np.nan, 1800.0, 1800.0, np.nan],
    })  # fmt: skip
    out = serving_site_ids(m, both)
    # a named site, a cell id that is a sector id, a PCI matched to the nearest site that
    # uses it; an unknown PCI and a measurement naming nothing stay unknown
    assert out.tolist() == ["VT009", "VT001", "VT009", None, None]
