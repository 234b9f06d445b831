"""``covgap request`` on the tiny scenario."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner
from openpyxl import load_workbook

from covgap.cli.request import request
from covgap.outputs.labels import label


def test_request_on_tiny_scenario(tiny_scenario, tmp_path):
    out = tmp_path / "dossier"
    args = ["--villages", str(tiny_scenario["villages"]), "--sites", str(tiny_scenario["sites"]),
            "--dem", str(tiny_scenario["dem"]), "--out", str(out), "--lang", "en",
            "--agency", "LAI CHAU PEOPLE'S COMMITTEE / DEPARTMENT OF SCIENCE AND TECHNOLOGY",
            "--letter-number", "125/SKHCN-BCVT", "--letter-date", "2026-12-02"]  # fmt: skip
    result = CliRunner().invoke(request, args)
    assert result.exit_code == 0, result.output
    assert "1 villages to request" in result.output
    assert "V3" in result.output
    for name in ("request_dossier.xlsx", "request_list.csv", "request_list.gpkg",
                 "request_list.kml", "request_map.png", "request_map.pdf"):  # fmt: skip
        assert (out / name).exists(), name
    wb = load_workbook(out / "request_dossier.xlsx")
    assert wb.sheetnames[:3] == ["Appendix", "Cover", "Request list"]
    texts = [c.value for row in wb["Appendix"].iter_rows() for c in row if c.value]
    assert "DEPARTMENT OF SCIENCE AND TECHNOLOGY" in texts
    assert (
        "(Attached to Official Letter No. 125/SKHCN-BCVT dated 2 December 2026 "
        "of DEPARTMENT OF SCIENCE AND TECHNOLOGY)" in texts
    )
    listed = pd.read_csv(out / "request_list.csv", encoding="utf-8-sig")
    assert listed[label("village_id", "en")].tolist() == ["V3"]
    # by default the shipped Lai Châu crosswalk names the 07/2025 unit of the commune
    assert listed[label("commune_2025", "en")].tolist() == ["Xã Nậm Tăm"]
    summary = pd.read_csv(out / "summary_by_commune.csv", encoding="utf-8-sig")
    # "Xã Pa Khóa" is the GSO's "Xã Pa Khoá": both are merged into Pu Sam Cáp
    assert "Xã Pu Sam Cáp" in set(summary[label("commune_2025", "en")])


def test_request_refuses_bad_input(tiny_scenario, tmp_path):
    bad = tmp_path / "villages.csv"
    bad.write_text("village_id,name,lon,lat\nV1,A,200,22\n", encoding="utf-8")
    args = ["--villages", str(bad), "--sites", str(tiny_scenario["sites"]),
            "--dem", str(tiny_scenario["dem"]), "--out", str(tmp_path / "o"),
            "--no-map"]  # fmt: skip
    result = CliRunner().invoke(request, args)
    assert result.exit_code == 1
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
