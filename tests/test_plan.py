"""Site planning end to end: coverage matrix, MCLP choice, backhaul, after-analysis, CLI.

The tiny scenario (conftest) has a 1,200 m N-S ridge at lon 103.15: V3 (103.25 E) lies
behind it, out of sight of the Viettel site in the west valley, so it is white; a site on
the ridge top sees it. Its roads run along the valley, over the pass and up the ridge.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from covgap.cli import main
from covgap.config import PlanCosts, Scenario
from covgap.errors import InputError
from covgap.pipeline import run, run_plan
from covgap.plan.map import plan_map
from covgap.plan.roads import read_roads
from covgap.plan.site_plan import _target_mask, coverage_matrix, plan_network
from covgap.radio.point import best_servers
from covgap.schema import COVERED


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from conftest import write_tiny_scenario

    return write_tiny_scenario(tmp_path_factory.mktemp("plan") / "tiny")


@pytest.fixture(scope="module")
def scenario(tiny) -> Scenario:
    return Scenario(
        villages=tiny["villages"], sites=tiny["sites"], dem=(tiny["dem"],), roads=tiny["roads"]
    )


@pytest.fixture(scope="module")
def before(scenario):
    return run(scenario)


@pytest.fixture(scope="module")
def roads(tiny):
    return read_roads(tiny["roads"])


def _ridge_candidate(cid: str = "R1", lon: float = 103.15, lat: float = 22.10, **extra):
    row = {
        "candidate_id": cid, "kind": "user", "site_id": cid, "carrier": pd.NA, "lon": lon,
        "lat": lat, "ground_m": np.nan, "height_m": 30.0, "road_km": np.nan,
        "power_km": np.nan, "n_visible": 0, "visible_weight": 0.0, "site_usd": 100_000.0,
        "azimuths_deg": "0;120;240", "note": "test",
    }  # fmt: skip
    row.update(extra)
    return row


def _candidates(*rows) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(list(rows))
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


def test_tiny_baseline_has_a_white_village_behind_the_ridge(before):
    cls = before.villages.set_index("village_id")["coverage_class"]
    assert cls["V3"] != COVERED
    assert cls["V1"] == COVERED


def test_best_servers_by_site_keeps_each_site(before):
    """by="site" gives one row per point, site and technology; its max is by="carrier"."""
    sites = before.sites
    by_site = best_servers(before.points, sites, before.terrain, by="site")
    by_carrier = best_servers(before.points, sites, before.terrain)
    assert set(by_site["site_id"]) == set(sites["site_id"])
    assert not by_site.duplicated(["point_id", "site_id", "technology"]).any()
    top = by_site.groupby(["point_id", "carrier", "technology"])["signal_dbm"].max()
    ref = by_carrier.set_index(["point_id", "carrier", "technology"])["signal_dbm"]
    assert np.allclose(top.reindex(ref.index).to_numpy(), ref.to_numpy())
    with pytest.raises(InputError, match="by must be"):
        best_servers(before.points, sites, before.terrain, by="sector")


def test_coverage_matrix_ridge_site_covers_the_shadowed_village(before):
    from covgap.plan.candidates import candidate_sectors

    cands = _candidates(_ridge_candidate("R1"), _ridge_candidate("FAR", 103.01, 22.19))
    cover, signals = coverage_matrix(before, candidate_sectors(cands))
    col = before.villages["village_id"].tolist().index("V3")
    assert cover.shape == (2, len(before.villages))
    assert cover[0, col]  # the ridge top sees V3
    assert not cover[1, col]  # a corner site far west behind the ridge does not
    # only uncovered villages can be newly covered
    covered = ~_target_mask(before.villages, None)
    assert cover[:, covered].nnz == 0
    assert set(signals["candidate_id"]) <= {"R1", "FAR"}


def test_plan_k1_picks_the_ridge_and_covers_v3(before, roads):
    user = _candidates(_ridge_candidate("R1"), _ridge_candidate("FAR", 103.01, 22.19))
    plan = plan_network(before, roads=roads, k=1, candidates=user, generate=False)
    assert plan.solution.status == "Optimal"
    assert len(plan.proposed) == 1
    top = plan.proposed.iloc[0]
    assert top["candidate_id"] == "R1"
    after = plan.after.villages.set_index("village_id")["coverage_class"]
    assert after["V3"] == COVERED
    assert "V3" in top["village_ids"].split(";")
    # existing sites kept, new one added
    assert set(before.sites["site_id"]) < set(plan.after.sites["site_id"])
    assert "R1" in set(plan.after.sites["site_id"])
    # shared plan: the new site hosts every carrier's 4G
    assert set(plan.after.sites.loc[plan.after.sites["site_id"] == "R1", "carrier"]) == {
        "Viettel", "VNPT", "MobiFone",
    }  # fmt: skip
    # the matrix never over-promises: the re-run analysis covers at least as many people
    stats = plan.stats()
    assert stats["people_new"] >= plan.solution.objective - 1e-6
    assert stats["greedy_objective"] <= stats["objective"] + 1e-9
    # cost = site + its backhaul
    assert top["total_usd"] == pytest.approx(top["site_usd"] + top["backhaul_usd"])
    assert top["backhaul"] in ("fibre", "microwave", "satellite")
    # before/after tables add up
    total = plan.before_after["district"].set_index("district").loc["Total"]
    assert total["covered_after"] - total["covered_before"] == stats["villages_new"]


def test_plan_coverage_rasters_and_map_layer(before, roads):
    """The proposed sites' own rasters: only their sectors, covering V3; drawn on the map."""
    from covgap.outputs.labels import label
    from covgap.radio.rasters import ANY_CARRIER

    user = _candidates(_ridge_candidate("R1"))
    plan = plan_network(before, roads=roads, k=1, candidates=user, generate=False,
                        upgrades=False)  # fmt: skip
    new = plan.new_sectors()
    assert set(new["site_id"]) == {"R1"} and len(new) == 9  # 3 sectors × 3 carriers
    rasters = plan.coverage(radius_km=15)
    assert plan.coverage(radius_km=15) is rasters  # cached
    v3 = before.villages.set_index("village_id").loc["V3"].geometry
    col, row = ~rasters.grid.transform * (v3.x, v3.y)  # the grid is in lon/lat here
    rsrp = rasters.signal[(ANY_CARRIER, "4G")][int(row), int(col)]
    assert rsrp > before.scenario.thresholds.covered_dbm
    html = plan_map(plan, lang="en").get_root().render()
    assert label("plan_layer_coverage", "en") in html


def test_budget_is_respected_and_checked(before, roads):
    user = _candidates(_ridge_candidate("R1"), _ridge_candidate("R2", 103.15, 22.05))
    probe = plan_network(before, roads=roads, k=1, candidates=user, generate=False)
    cheapest = float(probe.candidates["cost_usd"].min())
    plan = plan_network(
        before, roads=roads, budget_usd=cheapest + 1.0, candidates=user, generate=False
    )
    assert plan.candidates.loc[plan.candidates["chosen"], "cost_usd"].sum() <= cheapest + 1.0
    with pytest.raises(InputError, match="below the cheapest candidate"):
        plan_network(before, roads=roads, budget_usd=cheapest / 2, candidates=user,
                     generate=False)  # fmt: skip
    with pytest.raises(InputError, match="exactly one of k"):
        plan_network(before, roads=roads, candidates=user, generate=False)


def test_unit_costs_change_the_price(before, roads):
    user = _candidates(_ridge_candidate("R1"))
    cheap = PlanCosts(new_site_usd=1.0, satellite_usd=1.0, microwave_link_usd=1.0,
                      fibre_per_km_usd=1.0, fibre_per_point_usd=1.0)  # fmt: skip
    plan = plan_network(
        before, roads=roads, k=1, candidates=user, generate=False, upgrades=False, costs=cheap
    )
    c = plan.candidates.iloc[0]
    assert c["cost_usd"] - c["site_usd"] < 100.0  # backhaul at the cheap unit costs
    assert c["site_usd"] == 100_000.0  # the user's own cost for the site


def test_plan_for_one_carrier_targets_its_gaps(before, roads):
    """VNPT has no 4G at all in the tiny scenario: every village is its target."""
    user = _candidates(_ridge_candidate("R1"), _ridge_candidate("W1", 103.07, 22.12))
    plan = plan_network(before, roads=roads, k=2, carrier="vinaphone", candidates=user,
                        generate=False)  # fmt: skip
    assert plan.options["carrier"] == "VNPT"
    assert set(plan.proposed["carrier"]) == {"VNPT"}
    after = plan.after.villages
    assert (after["class_vnpt"] == COVERED).sum() > (before.villages["class_vnpt"] == COVERED).sum()
    with pytest.raises(InputError, match="unknown carrier"):
        plan_network(before, roads=roads, k=1, carrier="Orange", candidates=user)


def test_weight_households_or_villages(before, roads):
    """The objective counts what ``weight`` says: households, or one per village."""
    user = _candidates(_ridge_candidate("R1"))
    v3 = before.villages.set_index("village_id").loc["V3"]
    by_hh = plan_network(before, roads=roads, k=1, candidates=user, generate=False,
                         upgrades=False, weight="households")  # fmt: skip
    by_v = plan_network(before, roads=roads, k=1, candidates=user, generate=False,
                        upgrades=False, weight="villages")  # fmt: skip
    assert by_hh.solution.objective == pytest.approx(v3["households"])
    assert by_v.solution.objective == 1.0
    with pytest.raises(InputError, match="weight must be one of"):
        plan_network(before, roads=roads, k=1, candidates=user, weight="area")


def test_greedy_method(before, roads):
    user = _candidates(_ridge_candidate("R1"), _ridge_candidate("R2", 103.15, 22.05))
    plan = plan_network(before, roads=roads, k=1, candidates=user, generate=False,
                        method="greedy")  # fmt: skip
    assert plan.solution.status == "Greedy" and plan.solution is plan.greedy
    assert len(plan.proposed) == 1
    with pytest.raises(InputError, match="method must be"):
        plan_network(before, roads=roads, k=1, candidates=user, method="anneal")


def test_candidates_outside_the_dem_are_refused(before, roads):
    user = _candidates(_ridge_candidate("OUT", 104.5, 22.1))
    with pytest.raises(InputError, match="outside the DEM"):
        plan_network(before, roads=roads, k=1, candidates=user, generate=False)


def test_generated_candidates_and_upgrades_plan(before, roads):
    plan = plan_network(before, roads=roads, k=2, radius_km=15)
    kinds = set(plan.candidates["kind"])
    assert "new_site" in kinds
    assert len(plan.proposed) >= 1
    assert plan.stats()["villages_new"] >= 1
    assert plan.solution.objective >= plan.greedy.objective


def test_run_plan_needs_roads(tiny):
    scenario = Scenario(villages=tiny["villages"], sites=tiny["sites"], dem=(tiny["dem"],))
    with pytest.raises(InputError, match="needs a road layer"):
        run_plan(scenario, k=1)


def test_cli_plan_on_the_tiny_scenario(tiny, tmp_path):
    out = tmp_path / "plan"
    args = ["plan", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--roads", str(tiny["roads"]), "--sites-budget", "1",
            "--radius-km", "15", "--lang", "en", "--out", str(out)]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "1 sites proposed" in res.output
    table = pd.read_csv(out / "proposed_sites.csv", encoding="utf-8-sig")
    assert len(table) == 1
    summary = json.loads((out / "plan_summary.json").read_text(encoding="utf-8"))
    assert summary["stats"]["sites"] == 1
    assert (out / "plan.xlsx").exists() and (out / "plan_map.html").exists()
    assert (out / "backhaul_routes.gpkg").exists()
    # the business case: one line per list, its files
    assert "sites, " in res.output and (
        "Commercial" in res.output or "Public-utility" in res.output
    )
    cases = pd.read_csv(out / "business_cases.csv", encoding="utf-8-sig")
    assert len(cases) == 1 and "NPV (USD)" in cases.columns
    assert cases["List"].iloc[0] in ("Commercial (carrier's own rollout)", "Public-utility request")
    lists = pd.read_csv(out / "business_lists.csv", encoding="utf-8-sig")
    assert lists["Sites"].sum() == 1
    assert len(pd.read_csv(out / "business_sensitivity.csv", encoding="utf-8-sig")) == 8
    assert (out / "business_tornado.png").stat().st_size > 10_000
    # the proposed site's popup states its business case
    page = (out / "plan_map.html").read_text(encoding="utf-8")
    assert "NPV VND" in page and "over 10 years" in page
    # ... and the plan workbook has the business case, with the parameters above it
    import openpyxl

    wb = openpyxl.load_workbook(out / "plan.xlsx")
    assert "Business case" in wb.sheetnames
    sheet = wb["Business case"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "ARPU" in text and "NPV (USD)" in text


def test_cli_plan_errors(tiny, tmp_path):
    base = ["plan", "--villages", str(tiny["villages"]), "--sites", str(tiny["sites"]),
            "--dem", str(tiny["dem"]), "--out", str(tmp_path / "p")]  # fmt: skip
    res = CliRunner().invoke(main, [*base, "--sites-budget", "1"])
    assert res.exit_code != 0 and "road layer" in res.output
    res = CliRunner().invoke(
        main, [*base, "--roads", str(tiny["roads"]), "--sites-budget", "1", "--budget-usd", "5"]
    )
    assert res.exit_code != 0 and "not both" in res.output
    res = CliRunner().invoke(
        main, [*base, "--roads", str(tiny["roads"]), "--radius-km", "15", "--budget-usd", "5"]
    )
    assert res.exit_code != 0 and "cheapest" in res.output
    assert not (tmp_path / "p" / "proposed_sites.csv").exists()


@pytest.fixture(scope="module")
def sample_plan():

    return run_plan(k=10)


def test_sample_plan_is_consistent(sample_plan):
    """On the bundled sample: 10 sites, proven optimal, every gain attributed to a site."""
    plan, stats = sample_plan, sample_plan.stats()
    assert stats["sites"] == 10 and stats["solver_status"] == "Optimal"
    assert len(plan.candidates) >= 500
    assert stats["greedy_objective"] <= stats["objective"] + 1e-9
    assert stats["people_new"] >= stats["objective"] - 1e-6 > 0
    assert plan.proposed["people_new"].sum() == pytest.approx(stats["people_new"])
    assert (plan.proposed["villages_new"] >= 1).all()
    ids = [v for text in plan.proposed["village_ids"] for v in text.split(";") if v]
    assert len(ids) == len(set(ids)) == stats["villages_new"]
    # costs: every proposed site's total is its site cost plus its (joint) backhaul
    assert np.allclose(
        plan.proposed["total_usd"], plan.proposed["site_usd"] + plan.proposed["backhaul_usd"]
    )
    # before/after by commune adds up to the district totals
    dist = plan.before_after["district"].set_index("district").loc["Total"]
    comm = plan.before_after["commune"].set_index("district").loc["Total"]
    assert dist["people_new"] == comm["people_new"] == pytest.approx(stats["people_new"])
    # the fibre rollout list covers every white and low-signal village after the plan
    gaps = (plan.after.villages["coverage_class"] != COVERED).sum()
    assert len(plan.fibre) == gaps
