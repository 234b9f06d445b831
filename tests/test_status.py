"""Per-carrier status, the 2G/3G switch-off impact and the summaries."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from covgap.analysis import status
from covgap.config import Scenario

sys.path.insert(0, str(Path(__file__).parent))
from conftest import write_tiny_scenario


def literal_villages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4"],
            "name": ["Only 2G", "2G and 4G", "Only 3G", "Nothing"],
            "commune": ["Xã A", "Xã A", "Xã B", "Xã B"],
            "district": ["Mường Tè"] * 4,
            "households": [10.0, 20.0, 30.0, 40.0],
            "population": [50.0, 100.0, 150.0, 200.0],
            "services": ["2G", "2G 4G", "3G", ""],
        }
    )


def test_sunset_impact_any_carrier():
    impact = status.sunset_impact(literal_villages())
    assert impact["village_id"].tolist() == ["V3", "V1"]  # sorted by category
    by_id = impact.set_index("village_id")
    assert by_id.at["V1", "sunset"] == "2g_only"
    assert by_id.at["V1", "no_service_from"] == "09/2026"
    assert by_id.at["V3", "sunset"] == "2g_3g_only"
    assert by_id.at["V3", "no_service_from"] == "09/2028"
    assert set(impact["carrier"]) == {"any"}
    assert by_id.at["V1", "households"] == 10.0


def test_sunset_impact_per_carrier():
    services = pd.DataFrame(
        {
            "village_id": ["V1", "V1", "V2", "V2"],
            "carrier": ["Viettel", "VNPT", "Viettel", "VNPT"],
            "services": ["2G 3G", "2G 3G 4G", "2G", ""],
        }
    )
    impact = status.sunset_impact(literal_villages(), services)
    got = set(zip(impact["village_id"], impact["carrier"], impact["sunset"], strict=True))
    assert got == {("V1", "Viettel", "2g_3g_only"), ("V2", "Viettel", "2g_only")}


def test_service_table():
    rows = pd.DataFrame(
        {
            "village_id": ["V1"] * 3 + ["V2"] * 3,
            "carrier": ["any"] * 6,
            "technology": ["2G", "3G", "4G"] * 2,
            "usable": [True, False, True, False, False, False],
        }
    )
    table = status.service_table(rows)
    assert table.set_index("village_id")["services"].to_dict() == {"V1": "2G 4G", "V2": ""}


def literal_status() -> pd.DataFrame:
    villages = literal_villages()
    rows = []
    for carrier, classes in (
        ("any", ["white", "covered", "white", "white"]),
        ("Viettel", ["white", "low_signal", "white", "white"]),
    ):
        for v, cls in zip(villages.itertuples(), classes, strict=True):
            rows.append(
                {"village_id": v.village_id, "commune": v.commune, "district": v.district,
                 "households": v.households, "population": v.population,
                 "carrier": carrier, "technology": "4G", "status": cls}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_coverage_summary_counts():
    impact = status.sunset_impact(literal_villages())
    summary = status.coverage_summary(literal_status(), impact, by="commune")
    a_any = summary[(summary["commune"] == "Xã A") & (summary["carrier"] == "any")].iloc[0]
    assert a_any["villages"] == 2 and a_any["villages_covered"] == 1
    assert a_any["villages_white"] == 1 and a_any["households_white"] == 10
    assert a_any["villages_2g_only"] == 1 and a_any["population_2g_only"] == 50
    total = summary[(summary["commune"] == "Total") & (summary["carrier"] == "any")].iloc[0]
    assert total["villages"] == 4 and total["villages_white"] == 3
    assert total["villages_2g_3g_only"] == 1 and total["households_2g_3g_only"] == 30
    viettel = summary[(summary["commune"] == "Total") & (summary["carrier"] == "Viettel")]
    assert viettel["villages_low_signal"].iloc[0] == 1
    # the last rows are the totals, "any" first
    assert summary["commune"].iloc[-2:].tolist() == ["Total", "Total"]
    assert summary["carrier"].iloc[-2:].tolist() == ["any", "Viettel"]
    by_district = status.coverage_summary(literal_status(), impact, by="district")
    assert by_district["district"].tolist() == ["Mường Tè", "Mường Tè", "Total", "Total"]


@pytest.fixture(scope="module")
def tiny_status(tmp_path_factory):
    from covgap import pipeline

    paths = write_tiny_scenario(tmp_path_factory.mktemp("tiny"))
    scenario = Scenario(villages=paths["villages"], sites=paths["sites"], dem=(paths["dem"],))
    return status.village_status(pipeline.run(scenario))


def test_village_status_on_tiny_scenario(tiny_status):
    assert len(tiny_status) == 6 * 4 * 3
    row = tiny_status.set_index(["village_id", "carrier", "technology"])
    # VNPT has no 4G site at all: every village is white for VNPT 4G
    vnpt4 = row.xs(("VNPT", "4G"), level=("carrier", "technology"))
    assert (vnpt4["status"] == "white").all()
    assert vnpt4["reason"].str.startswith("no VNPT 4G site").all()
    assert vnpt4.loc["V1", "reason"].endswith("only 2G")
    # the village behind the ridge: blocked, in both languages
    v3 = row.loc[("V3", "any", "4G")]
    assert v3["status"] == "white" and "ridge" in v3["reason"] and "núi" in v3["reason_vi"]
    v1 = row.loc[("V1", "Viettel", "4G")]
    assert v1["status"] == "covered" and v1["serving_site_id"] == "VT001" and v1["reason"] == ""
    assert row.loc[("V1", "Viettel", "2G"), "nearest_site_id"] == "VT001"
    assert row.loc[("V1", "any", "2G"), "services"] == "2G 4G"
