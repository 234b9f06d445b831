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
