"""Ranking, filtering, VN-2000 coordinates and solutions of the request lists."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from covgap.analysis.priority import PriorityWeights, priority_score, rank_villages
from covgap.config import Scenario
from covgap.errors import InputError
from covgap.io.positions import add_local_xy
from covgap.request import dossier as planning

sys.path.insert(0, str(Path(__file__).parent))
from conftest import write_tiny_scenario


def literal_villages() -> gpd.GeoDataFrame:
    """Six villages whose ranks are worked out by hand in the tests."""
    frame = pd.DataFrame(
        {
            "village_id": ["A", "B", "C", "D", "E", "F"],
            "name": ["Bản A", "Bản B", "Bản C", "Bản D", "Bản E", "Bản F"],
            "commune": ["Xã X"] * 6,
            "district": ["Sìn Hồ"] * 6,
            "households": [100.0, 300.0, 50.0, 200.0, np.nan, 80.0],
            "population": [500.0, 1500.0, 250.0, 1000.0, np.nan, 400.0],
            "grid_power": pd.array([True, True, True, False, True, pd.NA], dtype="boolean"),
            "especially_difficult": pd.array(
                [False, False, True, True, False, False], dtype="boolean"
            ),
            "coverage_class": ["white", "low_signal", "white", "white", "covered", "low_signal"],
            "nearest_site_km": [5.0, 2.0, 40.0, 8.0, 1.0, 3.0],
        }
    )
    geometry = [Point(103.4 + i / 100, 22.3) for i in range(6)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def test_score_by_hand():
    # A: 1 + 0.5 + 0 + 2 + 0.5 = 4.0; B: 3 + 1.5 + 0 + 0 + 0.2 = 4.7
    # C: 0.5 + 0.25 + 1 + 2 + 3.0 (40 km capped at 30) = 6.75
    score = priority_score(literal_villages())
    assert score.tolist()[:3] == pytest.approx([4.0, 4.7, 6.75])


def test_request_list_filters_powered_gaps_and_ranks_white_first():
    ranked = rank_villages(literal_villages())
    # E is covered, D has no power, F's power is unknown: not requested
    assert ranked["village_id"].tolist() == ["C", "A", "B"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked["priority_score"].tolist() == pytest.approx([6.75, 4.0, 4.7])
    assert {"lon", "lat"} <= set(ranked.columns) and "geometry" not in ranked


def test_white_first_off_orders_by_score_only():
    ranked = rank_villages(literal_villages(), weights=PriorityWeights(white_first=False))
    assert ranked["village_id"].tolist() == ["C", "B", "A"]


def test_weights_change_the_order():
    weights = PriorityWeights(per_100_households=10.0, white_first=False)
    assert rank_villages(literal_villages(), weights=weights)["village_id"].tolist()[0] == "B"


def test_unpowered_list_takes_unknown_power_too():
    ranked = rank_villages(literal_villages(), powered=False)
    assert ranked["village_id"].tolist() == ["D", "F"]


def test_weights_are_validated():
    with pytest.raises(InputError):
        PriorityWeights(white=-1.0)


def test_vn2000_worked_example():
    table = pd.DataFrame({"lon": [103.458], "lat": [22.396]})
    out = add_local_xy(table, "EPSG:9205")
    assert out["easting_m"].iloc[0] == pytest.approx(546960.8, abs=0.1)
    assert out["northing_m"].iloc[0] == pytest.approx(2477579.5, abs=0.1)
    assert list(out.columns) == ["lon", "lat", "easting_m", "northing_m"]


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    from covgap import pipeline

    paths = write_tiny_scenario(tmp_path_factory.mktemp("tiny"))
    scenario = Scenario(villages=paths["villages"], sites=paths["sites"], dem=(paths["dem"],))
    return pipeline.run(scenario)


def test_build_dossier_on_tiny_scenario(tiny_result):
    dossier = planning.build_dossier(tiny_result)
    # V3 sits behind the ridge with grid power: the only village to request
    assert dossier.request["village_id"].tolist() == ["V3"]
    row = dossier.request.iloc[0]
    assert row["coverage_class"] == "white"
    assert row["solution"] in ("new_bts", "remote_sector")
    assert "ridge" in row["reason"]
    assert list(dossier.request.columns[:4]) == ["rank", "priority_score", "village_id", "name"]
    assert {"easting_m", "northing_m", "lon", "lat"} <= set(dossier.request.columns)
    assert dossier.info["local_crs"] == "EPSG:9205"


def test_remote_sector_when_a_site_sees_the_village(tiny_result):
    # V2 is in the open valley 3 km from VT001: a remote sector can serve it
    villages = tiny_result.villages
    v2 = villages[villages["village_id"] == "V2"]
    table = pd.DataFrame({"lon": v2.geometry.x, "lat": v2.geometry.y})
    out = planning.propose_solutions(table, tiny_result.sites, tiny_result.terrain)
    assert out["solution"].iloc[0] == "remote_sector"
    assert out["solution_site_id"].iloc[0] in ("VT001", "VN001")
    assert "line of sight" in out["solution_text"].iloc[0]
    power = planning.propose_solutions(
        table, tiny_result.sites, tiny_result.terrain, power_first=True
    )
    assert power["solution"].iloc[0] == "power_first"
    assert power["solution_text"].iloc[0].startswith("power first, then remote sector")
