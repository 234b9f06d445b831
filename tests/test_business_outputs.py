"""``covgap request`` and ``covgap plan`` write the business case of what they propose."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from covgap.analysis.economics import business_cases
from covgap.cli.request import request
from covgap.config import PlanCosts
from covgap.request.business import BUSINESS_FILES, dossier_sites


def test_request_writes_the_villages_business_cases(tiny_scenario, tmp_path):
    out = tmp_path / "dossier"
    args = ["--villages", str(tiny_scenario["villages"]), "--sites", str(tiny_scenario["sites"]),
            "--dem", str(tiny_scenario["dem"]), "--out", str(out), "--lang", "en"]  # fmt: skip
    res = CliRunner().invoke(request, args)
    assert res.exit_code == 0, res.output
    assert all((out / name).is_file() for name in BUSINESS_FILES.values())
    cases = pd.read_csv(out / BUSINESS_FILES["business_csv"], encoding="utf-8-sig")
    request_list = pd.read_csv(out / "request_list.csv", encoding="utf-8-sig")
    unpowered = pd.read_csv(out / "unpowered_list.csv", encoding="utf-8-sig")
    # every village of both lists has its business case, request list first
    assert len(cases) == len(request_list) + len(unpowered)
    assert cases["Village ID"].tolist()[: len(request_list)] == request_list["Village ID"].tolist()
    lists = pd.read_csv(out / BUSINESS_FILES["lists_csv"], encoding="utf-8-sig")
    assert lists["Sites"].sum() == len(cases)
    for name in lists["List"]:
        assert name in res.output  # one line per list on the terminal


def test_dossier_sites_match_the_solutions(tiny_scenario):
    from covgap.config import Scenario
    from covgap.pipeline import run
    from covgap.request import build_dossier

    scenario = Scenario(
        villages=tiny_scenario["villages"],
        sites=tiny_scenario["sites"],
        dem=(tiny_scenario["dem"],),
    )
    dossier = build_dossier(run(scenario))
    sites = dossier_sites(dossier, costs=PlanCosts())
    solutions = pd.concat([dossier.request, dossier.unpowered], ignore_index=True)
    remote = solutions["solution_site_id"].notna().to_numpy()
    expected = ["remote_sector" if r else "new_bts" for r in remote]
    assert sites["kind"].tolist() == expected
    cases = business_cases(sites)
    assert len(cases) == len(solutions) and cases["npv_usd"].notna().all()


def test_the_dossier_prices_every_listed_village(tiny_scenario, tmp_path):
    import openpyxl

    from covgap.config import Scenario
    from covgap.pipeline import run
    from covgap.request import build_dossier
    from covgap.request.workbook import write_workbook

    scenario = Scenario(
        villages=tiny_scenario["villages"],
        sites=tiny_scenario["sites"],
        dem=(tiny_scenario["dem"],),
    )
    dossier = build_dossier(run(scenario))
    listed = pd.concat([dossier.request, dossier.unpowered])
    assert set(dossier.business["village_id"]) == set(listed["village_id"])
    assert listed["economic_list"].isin(["commercial", "public_utility", "power_first"]).all()
    assert listed["npv_usd"].notna().all()
    # the public-utility villages come first, most people per unit of support first
    public = dossier.business[dossier.business["economic_list"] == "public_utility"]
    per_usd = (public["people_new"] / public["grant_usd"]).to_numpy()
    assert (per_usd[:-1] >= per_usd[1:]).all()
    assert sum(dossier.info["lists"].values()) == len(listed)
    path = write_workbook(dossier, tmp_path / "d.xlsx", lang="en")
    wb = openpyxl.load_workbook(path)
    assert "Business case" in wb.sheetnames
    cover = " ".join(str(c.value) for row in wb["Cover"].iter_rows() for c in row if c.value)
    assert "Business-case parameters (covgap's assumptions)" in cover and "ARPU" in cover
