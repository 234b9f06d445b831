"""Site business cases: hand-computed NPVs, grants, power rules, the three lists."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from covgap.analysis.economics import (
    CASE_COLUMNS,
    LISTS,
    annuity_factor,
    business_cases,
    flips,
    list_summary,
    monte_carlo,
    sensitivity,
)
from covgap.config import Economics, Scenario, load_scenario
from covgap.errors import InputError

#: Round numbers so that every case can be checked by hand.
SIMPLE = Economics(
    horizon_years=10,
    discount_rate=0.10,
    usd_vnd=25_000.0,
    arpu_vnd_month={"Viettel": 50_000.0, "VNPT": 50_000.0, "MobiFone": 50_000.0},
    market_share={"Viettel": 0.5, "VNPT": 0.3, "MobiFone": 0.2},
    penetration=1.0,
    grid_connection_usd=5_000.0,
    grid_line_per_km_usd=10_000.0,
    grid_max_km=3.0,
    offgrid_power_usd=30_000.0,
    offgrid_max_road_km=5.0,
    energy_grid_usd_year=2_000.0,
    energy_offgrid_usd_year=4_000.0,
    rent_usd_year=1_000.0,
    maintenance_usd_year=2_000.0,
    sector_opex_usd_year=500.0,
    fibre_lease_usd_year=600.0,
    microwave_usd_year=1_000.0,
    satellite_usd_year=18_000.0,
)
A10 = (1 - 1.1**-10) / 0.1  # 6.14457...


def site(**kw):
    row = {
        "people_new": 1000.0,
        "kind": "new_site",
        "carrier": "Viettel",
        "site_usd": 100_000.0,
        "backhaul": "fibre",
        "backhaul_usd": 20_000.0,
        "power_km": 1.0,
        "road_km": 0.5,
    }
    row.update(kw)
    return row


def test_annuity_factor_closed_form():
    assert annuity_factor(0.10, 10) == pytest.approx(A10)
    assert annuity_factor(0.0, 7) == 7.0


def test_one_site_by_hand():
    case = business_cases(pd.DataFrame([site()]), SIMPLE).iloc[0]
    # 1000 people x 1.0 penetration x 0.5 share = 500 subscribers
    assert case["subscribers"] == 500
    # 500 x 50,000 VND x 12 / 25,000 = USD 12,000 a year
    assert case["revenue_usd_year"] == pytest.approx(12_000.0)
    # site 100,000 + grid 5,000 + 1 km x 10,000 + fibre 20,000
    assert case["power"] == "grid"
    assert case["capex_power_usd"] == pytest.approx(15_000.0)
    assert case["capex_usd"] == pytest.approx(135_000.0)
    # energy 2,000 + rent 1,000 + maintenance 2,000 + fibre 600
    assert case["opex_usd_year"] == pytest.approx(5_600.0)
    npv = -135_000.0 + (12_000.0 - 5_600.0) * A10
    assert case["npv_usd"] == pytest.approx(npv)
    assert case["npv_vnd"] == pytest.approx(npv * 25_000.0)
    assert case["grant_usd"] == pytest.approx(-npv)
    assert case["support_usd_year"] == pytest.approx(-npv / A10)
    assert case["grant_per_person_usd"] == pytest.approx(-npv / 1000)
    assert case["economic_list"] == "public_utility"
    assert math.isnan(case["payback_year"])


def test_the_grant_makes_the_npv_exactly_zero():
    sites = pd.DataFrame([site(), site(people_new=300.0, backhaul="satellite", backhaul_usd=60e3)])
    cases = business_cases(sites, SIMPLE)
    granted = sites.assign(site_usd=sites["site_usd"] - cases["grant_usd"])
    after = business_cases(granted, SIMPLE)
    assert np.allclose(after["npv_usd"], 0.0, atol=1e-6)
    # and the yearly support does the same from the revenue side
    net = cases["revenue_usd_year"] + cases["support_usd_year"] - cases["opex_usd_year"]
    assert np.allclose(-cases["capex_usd"] + net * A10, 0.0, atol=1e-6)


def test_a_paying_site_is_commercial_with_its_payback_year():
    cases = business_cases(pd.DataFrame([site(people_new=6000.0)]), SIMPLE).iloc[0]
    # 3000 subscribers: USD 72,000 a year, 66,400 net
    assert cases["npv_usd"] == pytest.approx(-135_000 + 66_400 * A10)
    assert cases["economic_list"] == "commercial" and cases["grant_usd"] == 0
    # discounted: 66,400/1.1 + 66,400/1.21 = 115,240 < 135,000 <= + 66,400/1.331 = 165,127
    assert cases["payback_year"] == 3


def test_shared_site_earns_every_carrier_and_one_carrier_only_its_share():
    shared = business_cases(pd.DataFrame([site(carrier=None)]), SIMPLE).iloc[0]
    vnpt = business_cases(pd.DataFrame([site(carrier="VNPT")]), SIMPLE).iloc[0]
    two = business_cases(pd.DataFrame([site(carrier="VNPT;MobiFone")]), SIMPLE).iloc[0]
    assert shared["subscribers"] == 1000 and shared["econ_carriers"] == "Viettel;VNPT;MobiFone"
    assert vnpt["subscribers"] == 300 and two["subscribers"] == 500


def test_per_carrier_arpu_is_weighted_by_share():
    econ = Economics(
        usd_vnd=25_000.0,
        penetration=1.0,
        arpu_vnd_month={"Viettel": 100_000.0, "VNPT": 50_000.0, "MobiFone": 25_000.0},
        market_share={"Viettel": 0.5, "VNPT": 0.3, "MobiFone": 0.2},
    )
    case = business_cases(pd.DataFrame([site(carrier=None)]), econ).iloc[0]
    # 12/25,000 x 1000 x (0.5 x 100,000 + 0.3 x 50,000 + 0.2 x 25,000)
    assert case["revenue_usd_year"] == pytest.approx(12 / 25_000 * 1000 * 70_000)


@pytest.mark.parametrize(
    ("power_km", "road_km", "grid_power", "power", "capex_power", "energy"),
    [
        (2.0, 1.0, None, "grid", 25_000.0, 2_000.0),  # 5,000 + 2 km x 10,000
        (8.0, 1.0, None, "offgrid", 30_000.0, 4_000.0),  # grid too far, road near
        (float("nan"), float("nan"), True, "grid", 5_000.0, 2_000.0),  # at a powered village
        (8.0, 12.0, None, "none", 0.0, 0.0),  # neither: power first
    ],
)
def test_power_rules(power_km, road_km, grid_power, power, capex_power, energy):
    row = site(power_km=power_km, road_km=road_km, grid_power=grid_power, people_new=10.0)
    case = business_cases(pd.DataFrame([row]), SIMPLE).iloc[0]
    assert case["power"] == power
    assert case["capex_power_usd"] == pytest.approx(capex_power)
    assert case["opex_usd_year"] == pytest.approx(energy + 3_000.0 + 600.0)
    assert case["economic_list"] == ("power_first" if power == "none" else "public_utility")


def test_upgrades_use_the_sites_power_and_sector_opex():
    row = site(kind="add_sector", site_usd=15_000.0, backhaul="existing", backhaul_usd=0.0)
    case = business_cases(pd.DataFrame([row]), SIMPLE).iloc[0]
    assert case["power"] == "existing" and case["capex_usd"] == pytest.approx(15_000.0)
    assert case["opex_usd_year"] == pytest.approx(500.0)
    # 500 subscribers bring 12,000 a year: an upgrade pays
    assert case["economic_list"] == "commercial"


def test_sensitivity_moves_sites_the_way_the_tornado_says():
    # a site just commercial: less ARPU (or more CAPEX) makes it public-utility
    # 2500 people: 1250 subscribers, USD 30,000 a year, NPV = -135,000 + 24,400 a = +14,928
    base = site(people_new=2500.0)
    sites = pd.DataFrame([base, site(people_new=10.0), site(people_new=50_000.0)])
    assert business_cases(sites, SIMPLE)["economic_list"].tolist() == [
        "commercial",
        "public_utility",
        "commercial",
    ]
    table = sensitivity(sites, SIMPLE).set_index(["parameter", "side"])
    assert table.loc[("arpu", "low"), "moved"] == 1
    assert table.loc[("arpu", "high"), "moved"] == 0
    assert table.loc[("capex", "high"), "moved"] == 1
    assert table.loc[("arpu", "high"), "npv_usd"] > table.loc[("arpu", "low"), "npv_usd"]
    # changing the parameter itself moves the site, as the table predicts
    cheaper = dataclasses.replace(
        SIMPLE, arpu_vnd_month={c: 40_000.0 for c in SIMPLE.arpu_vnd_month}
    )
    assert business_cases(sites, cheaper)["economic_list"].iloc[0] == "public_utility"
    assert flips(sites, SIMPLE).tolist() == [True, False, False]


def test_monte_carlo_probabilities():
    sites = pd.DataFrame(
        [site(people_new=3300.0), site(people_new=10.0), site(people_new=50_000.0)]
    )
    p = monte_carlo(sites, SIMPLE, draws=200, seed=3)
    assert p[1] == 0.0 and p[2] == 1.0 and 0.0 < p[0] < 1.0
    assert np.array_equal(p, monte_carlo(sites, SIMPLE, draws=200, seed=3))
    with pytest.raises(InputError, match="draws"):
        monte_carlo(sites, SIMPLE, draws=0)


def test_list_summary_and_columns():
    sites = pd.DataFrame([site(people_new=6000.0), site(), site(power_km=9.0, road_km=20.0)])
    cases = business_cases(sites, SIMPLE)
    assert list(cases.columns[-len(CASE_COLUMNS) :]) == list(CASE_COLUMNS)
    summary = list_summary(cases)
    assert summary["economic_list"].tolist() == list(LISTS)
    assert summary["people_new"].tolist() == [6000.0, 1000.0, 1000.0]
    assert business_cases(sites.iloc[:0], SIMPLE).empty


def test_errors_are_clear():
    with pytest.raises(InputError, match="unknown carrier"):
        business_cases(pd.DataFrame([site(carrier="Vietnamobile")]), SIMPLE)
    with pytest.raises(InputError, match="unknown scale"):
        business_cases(pd.DataFrame([site()]), SIMPLE, scale={"rent": 2.0})
    with pytest.raises(InputError, match="market_share"):
        Economics(market_share={"Viettel": 0.8, "VNPT": 0.3})
    with pytest.raises(InputError, match="unknown carrier"):
        Economics(arpu_vnd_month={"Gmobile": 1.0})
    with pytest.raises(InputError, match="horizon_years"):
        Economics(horizon_years=0)
    with pytest.raises(InputError, match="discount_rate"):
        Economics(discount_rate=-0.1)


def test_economics_table_in_a_scenario_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        "[economics]\narpu_vnd_month = {Viettel = 70000}\ndiscount_rate = 0.08\n", encoding="utf-8"
    )
    econ = load_scenario(path).economics
    # a per-carrier table given in part keeps the other carriers' defaults
    assert econ.arpu_vnd_month == {"Viettel": 70000, "VNPT": 55_000.0, "MobiFone": 55_000.0}
    assert econ.discount_rate == 0.08
    # written back and read again: the same
    again = tmp_path / "again.toml"
    again.write_text(Scenario(economics=econ).to_toml(), encoding="utf-8")
    assert load_scenario(again).economics == econ
    path.write_text("[economics]\nwacc = 0.1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        load_scenario(path)


def _plan(rows, economics=SIMPLE):
    from types import SimpleNamespace

    scenario = SimpleNamespace(economics=economics)
    return SimpleNamespace(proposed=pd.DataFrame(rows), before=SimpleNamespace(scenario=scenario))


def test_plan_business_cases_use_the_scenarios_parameters():
    from covgap.plan.business import plan_business_cases, plan_lists, plan_sensitivity

    plan = _plan([site(people_new=6000.0, carrier=pd.NA), site(people_new=2500.0), site()])
    cases = plan_business_cases(plan, draws=50)
    assert cases["economic_list"].tolist() == ["commercial", "commercial", "public_utility"]
    assert cases["subscribers"].tolist() == [6000.0, 1250.0, 500.0]  # shared: every share
    assert cases["list_flips"].tolist() == [False, True, False]
    assert cases["p_commercial"].iloc[0] == 1.0 and cases["p_commercial"].iloc[2] == 0.0
    assert plan_lists(cases)["sites"].tolist() == [2, 1]
    assert len(plan_sensitivity(plan)) == 8
    # other parameters than the scenario's
    poor = dataclasses.replace(SIMPLE, penetration=0.1)
    assert set(plan_business_cases(plan, economics=poor)["economic_list"]) == {"public_utility"}


def test_dossier_business_cases_price_each_solution():
    from types import SimpleNamespace

    from covgap.config import PlanCosts
    from covgap.request.business import dossier_business_cases

    request = pd.DataFrame(
        {
            "village_id": ["A", "B"],
            "name": ["a", "b"],
            "grid_power": [True, True],
            "population": [400.0, np.nan],
            "solution": ["remote_sector", "new_bts"],
            "solution_site_id": ["S1", None],
            "solution_carrier": ["VNPT", None],
        }
    )
    unpowered = pd.DataFrame(
        {"village_id": ["C", "D"], "name": ["c", "d"], "grid_power": [False, pd.NA],
         "population": [300.0, 300.0], "solution": ["power_first"] * 2,
         "solution_site_id": [None, None], "solution_carrier": [None, None]}
    )  # fmt: skip
    dossier = SimpleNamespace(request=request, unpowered=unpowered)
    costs = PlanCosts()
    roads = pd.Series({"C": 1.0, "D": 40.0})
    cases = dossier_business_cases(dossier, costs=costs, economics=SIMPLE, road_km=roads)
    a, b, c, d = (cases.iloc[i] for i in range(4))
    assert a["kind"] == "remote_sector" and a["capex_usd"] == costs.add_sector_usd
    assert a["subscribers"] == 400 * 0.3 and a["power"] == "existing"
    assert b["kind"] == "new_bts" and not b["people_known"] and b["people_new"] == 0
    assert b["capex_usd"] == costs.new_site_usd + costs.microwave_link_usd + 5_000.0
    assert b["power"] == "grid" and b["economic_list"] == "public_utility"
    assert c["power"] == "offgrid" and c["economic_list"] == "public_utility"
    assert d["power"] == "none" and d["economic_list"] == "power_first"


def test_tornado_chart(tmp_path):
    from covgap.outputs.business import tornado_chart
    from covgap.outputs.static_maps import save_static_map

    sites = pd.DataFrame([site(people_new=2500.0), site(), site(people_new=50_000.0)])
    table = sensitivity(sites, SIMPLE)
    base = float(business_cases(sites, SIMPLE)["npv_usd"].sum())
    fig = tornado_chart(table, base_npv_usd=base, lang="en")
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    # widest on top: ARPU and penetration change revenue alike, OPEX least
    assert ticks[0] == "OPEX" and set(ticks[2:]) == {"ARPU", "Penetration"}
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    arpu = table.set_index(["parameter", "side"])["npv_usd"]
    assert round((arpu[("arpu", "high")] - base) / 1e6, 6) in widths
    texts = [t.get_text() for t in ax.texts]
    assert "1 sites change list" in texts
    assert save_static_map(fig, tmp_path / "t.png").stat().st_size > 10_000
    with pytest.raises(InputError, match="tornado"):
        tornado_chart(table.iloc[:0], base_npv_usd=0.0)


def test_handset_support_by_commune():
    from covgap.analysis.economics import handset_support

    villages = pd.DataFrame(
        {
            "commune": ["X", "X", "Y", "Y"],
            "poor_households": [10, 20, np.nan, 4],
            "near_poor_households": [5, np.nan, np.nan, 6],
        }
    )
    econ = dataclasses.replace(SIMPLE, legacy_handset_share=0.5, handset_price_vnd=500_000.0)
    out = handset_support(villages, econ).set_index("commune")
    # X: (10 + 5 + 20) x 1 x 0.5 = 17.5 -> 18 phones; Y: (4 + 6) x 0.5 = 5
    assert out.loc["X", "handsets"] == 18 and out.loc["Y", "handsets"] == 5
    assert out.loc["Y", "villages_without_counts"] == 1
    assert out.loc["X", "budget_vnd"] == 18 * 500_000
    assert out.loc["X", "budget_usd"] == pytest.approx(18 * 500_000 / 25_000)
    assert handset_support(villages.drop(columns=["poor_households", "near_poor_households"])).empty
    with pytest.raises(InputError, match="district"):
        handset_support(villages, by="district")


def test_list_lines_say_count_people_and_money():
    from covgap.outputs.business import list_lines

    sites = pd.DataFrame([site(people_new=6000.0), site(), site(power_km=9.0, road_km=20.0)])
    summary = list_summary(business_cases(sites, SIMPLE))
    vi = list_lines(summary, usd_vnd=25_000.0, lang="vi")
    en = list_lines(summary, usd_vnd=25_000.0, unit="villages", lang="en")
    assert len(vi) == len(en) == 3
    assert en[0].startswith("Commercial (carrier's own rollout): 1 villages, 6,000 people")
    assert "CAPEX USD 0.14 million (VND 3.4 billion)" in en[0]  # 135,000 x 25,000
    grant = business_cases(sites, SIMPLE)["grant_usd"].iloc[1]
    assert f"needs USD {grant / 1e6:.2f} million" in en[1]
    assert vi[1].startswith("Đề nghị hỗ trợ viễn thông công ích: 1 vị trí, 1.000 người")
    assert en[2].startswith("Power first")


def test_business_text_in_both_languages():
    from covgap.plan.map import business_text

    row = {"npv_vnd": -1.2e9, "grant_vnd": 0.9e9, "horizon_years": 10}
    assert business_text(row, "en") == (
        "NPV VND −1.2 billion over 10 years; break-even needs VND 0.9 billion of support"
    )
    assert (
        business_text(row, "vi")
        == "NPV −1,2 tỷ đồng trong 10 năm; cần hỗ trợ 0,9 tỷ đồng để hòa vốn"
    )
    assert business_text({**row, "npv_vnd": 2e9, "grant_vnd": 0.0}, "en") == (
        "NPV VND 2.0 billion over 10 years"
    )
    assert business_text({"npv_vnd": float("nan")}, "en") is None
