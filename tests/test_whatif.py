"""What-if API on the tiny scenario: a ridge at lon 103.15 hides V3 (103.25, 22.10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covgap import pipeline
from covgap.analysis import whatif
from covgap.config import Scenario, Thresholds
from covgap.errors import InputError, ValidationError
from covgap.schema import CLASSES

RANK = {cls: i for i, cls in enumerate(CLASSES)}
EAST_OF_RIDGE = {"lon": 103.22, "lat": 22.10}


@pytest.fixture
def before(tiny_scenario) -> pipeline.Result:
    p = tiny_scenario
    return pipeline.run(Scenario(villages=p["villages"], sites=p["sites"], dem=(p["dem"],)))


def _new_4g(sites, **options):
    args = {"site_id": "NEW-1", "carrier": "Viettel", "height_m": 30, **EAST_OF_RIDGE}
    return whatif.add_site(sites, **{**args, **options})


# --------------------------------------------------------------------------- add_site
def test_add_site_builds_canonical_sector_rows(before):
    sites = _new_4g(before.sites)
    new = sites[sites["site_id"] == "NEW-1"]
    assert len(sites) == len(before.sites) + 3
    assert list(sites.columns) == list(before.sites.columns)
    assert sites.dtypes.equals(before.sites.dtypes)
    assert sites.crs == before.sites.crs
    assert list(new["azimuth_deg"]) == [0.0, 120.0, 240.0]
    assert set(new["technology"]) == {"4G"}
    assert set(new["freq_mhz"]) == {1800}
    assert set(new["power_dbm"]) == {46.0} and set(new["gain_dbi"]) == {18.0}
    assert set(new["tilt_deg"]) == {3.0} and set(new["beamwidth_deg"]) == {65.0}
    assert new["sector_id"].is_unique
    assert (new.geometry.x == 103.22).all() and (new.geometry.y == 22.10).all()
    # the input is not changed
    assert "NEW-1" not in set(before.sites["site_id"])


def test_add_site_omni_and_several_technologies(before):
    sites = _new_4g(
        before.sites,
        carrier="vinaphone",
        technologies=["GSM", "LTE"],
        freq_mhz={"4G": 2600},
        azimuths_deg=None,
    )
    new = sites[sites["site_id"] == "NEW-1"].set_index("technology")
    assert set(new["carrier"]) == {"VNPT"}
    assert new.loc["2G", "freq_mhz"] == 900 and new.loc["4G", "freq_mhz"] == 2600
    assert new["azimuth_deg"].isna().all()
    assert (new["beamwidth_deg"] == 360).all() and (new["gain_dbi"] == 11).all()
    assert new.loc["2G", "power_dbm"] == 43 and new.loc["4G", "power_dbm"] == 46


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"carrier": "Vodafone"}, "unknown carrier 'Vodafone'"),
        ({"technologies": ["5G"]}, "unknown technology '5G'"),
        ({"technologies": "4G"}, "must be a list"),
        ({"freq_mhz": 1234}, "unknown 4G band 1234"),
        ({"height_m": 500}, "height_m = 500 is out of range"),
        ({"azimuths_deg": [0, 400]}, "azimuth_deg = 400 is out of range"),
        ({"lon": 22.10, "lat": 103.22}, "outside Vietnam"),
        ({"site_id": "VT001"}, "'VT001' is already in the table"),
    ],
)
def test_add_site_rejects_bad_values(before, options, message):
    with pytest.raises(InputError, match=message):
        _new_4g(before.sites, **options)


def test_add_site_reports_every_problem_at_once(before):
    with pytest.raises(InputError) as info:
        _new_4g(before.sites, carrier="Vodafone", technologies=["5G"], height_m=0)
    text = str(info.value)
    assert "carrier" in text and "technology" in text and "height_m" in text


# ------------------------------------------------------------------ rerun and compare
def test_new_site_east_of_the_ridge_covers_v3(before):
    assert before.villages.set_index("village_id").loc["V3", "coverage_class"] == "white"
    after = whatif.rerun(before, sites=_new_4g(before.sites))
    classes = after.villages.set_index("village_id")["coverage_class"]
    assert classes["V3"] == "covered"
    assert after.villages.set_index("village_id").loc["V3", "best_site_id"] == "NEW-1"
    assert after.terrain is before.terrain
    assert after.timings["read_s"] == 0.0
    assert after.scenario.name.endswith("(what if)")

    changes = whatif.compare(before, after)
    assert list(changes["village_id"]) == ["V3"]
    row = changes.iloc[0]
    assert (row["class_before"], row["class_after"]) == ("white", "covered")
    assert row["households"] == 60 and row["population"] == 310
    assert row["improved"] and row["gains_4g"]
    assert row["rsrp_after_dbm"] > row["rsrp_before_dbm"] + 30

    totals = whatif.compare(before, after, by="district").set_index("district")
    assert list(totals.index) == ["Sìn Hồ", "Total"]
    total = totals.loc["Total"]
    assert total["villages_changed"] == 1 and total["villages_worsened"] == 0
    assert total["households_gaining_4g"] == 60 and total["population_gaining_4g"] == 310
    assert total["population_newly_covered"] == 310 and total["population_losing_4g"] == 0


def test_compare_of_a_result_with_itself_is_empty(before):
    assert whatif.compare(before, before).empty
    totals = whatif.compare(before, before.villages, by="district")
    assert (totals.drop(columns="district").to_numpy() == 0).all()


def test_removing_the_only_4g_site_loses_4g_everywhere(before):
    sites = whatif.remove_site(before.sites, "VT001", technologies=["4G"])
    assert len(sites) == len(before.sites) - 3
    after = whatif.rerun(before, sites=sites)
    assert set(after.villages["coverage_class"]) == {"white"}
    totals = whatif.compare(before, after, by="district").set_index("district")
    assert totals.loc["Total", "villages_losing_4g"] == 5
    assert totals.loc["Total", "population_losing_4g"] == 600 + 230 + 400 + 140 + 380
    # 2G of the site is kept (V3 behind the ridge never had it)
    services = after.villages.set_index("village_id")["services"]
    assert not services.str.contains("4G").any()
    assert (services.drop("V3") == "2G").all()


def test_rerun_with_new_thresholds_and_a_village_subset(before):
    strict = Thresholds(covered_dbm=-80.0, low_signal_dbm=-90.0)
    after = whatif.rerun(before, villages=before.villages.iloc[:3], thresholds=strict)
    assert list(after.villages["village_id"]) == ["V1", "V2", "V3"]
    assert list(after.villages["coverage_class"]) == ["covered", "low_signal", "white"]
    assert after.scenario.thresholds == strict
    assert list(whatif.compare(before, after)["village_id"]) == ["V2"]


def test_rerun_refuses_a_site_outside_the_dem(before):
    sites = _new_4g(before.sites, lon=104.0)
    with pytest.raises(ValidationError, match="outside the DEM"):
        whatif.rerun(before, sites=sites)


# ---------------------------------------------------------------------- raise_antenna
def test_raise_antenna_changes_only_that_site(before):
    sites = whatif.raise_antenna(before.sites, "VT001", height_m=45)
    vt = sites["site_id"] == "VT001"
    assert (sites.loc[vt, "height_m"] == 45).all()
    assert (sites.loc[~vt, "height_m"] == before.sites.loc[~vt, "height_m"]).all()
    assert (before.sites["height_m"] == 30).all()


@pytest.mark.parametrize(
    ("site", "height", "message"),
    [
        ("NOPE", 45, "no site 'NOPE'"),
        ("VT001", 20, "below the current 30 m"),
        ("VT001", 250, "out of range"),
    ],
)
def test_raise_antenna_rejects_bad_values(before, site, height, message):
    with pytest.raises(InputError, match=message):
        whatif.raise_antenna(before.sites, site, height_m=height)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    height=st.floats(min_value=30.0, max_value=150.0),
    covered=st.sampled_from([-105.0, -95.0, -90.0]),
)
def test_raising_an_antenna_never_worsens_a_village(before, height, covered):
    thresholds = Thresholds(covered_dbm=covered, low_signal_dbm=covered - 10.0)
    base = whatif.rerun(before, thresholds=thresholds)
    raised = whatif.rerun(
        before,
        sites=whatif.raise_antenna(before.sites, "VT001", height_m=height),
        thresholds=thresholds,
    )
    old = base.villages["coverage_class"].map(RANK).to_numpy()
    new = raised.villages["coverage_class"].map(RANK).to_numpy()
    assert (new <= old).all()
    assert not (whatif.compare(base, raised)["improved"] == False).any()  # noqa: E712
    # and the shadowed village behind the ridge gains signal (less diffraction)
    v3 = pd.Index(raised.villages["village_id"]).get_loc("V3")
    assert raised.villages["rsrp_dbm"].iloc[v3] >= base.villages["rsrp_dbm"].iloc[v3] - 1e-6
    assert np.isfinite(raised.villages["rsrp_dbm"]).all()
