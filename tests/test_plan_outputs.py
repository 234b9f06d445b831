"""Tests of covgap.plan.outputs: a plan's files (CSV, GPKG, workbook, JSON) and its map.

The plan is built by hand on the real analysis of the bundled sample: three gap villages
are made covered by two proposed sites (a new site with a formula-like note and a 4G
upgrade with a hostile ``<script>`` note), with one fibre route and one microwave hop.
"""

from __future__ import annotations

import dataclasses
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import scipy.sparse as sp
from openpyxl import load_workbook
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, Point

from covgap.config import PlanCosts
from covgap.outputs.labels import LABELS, label
from covgap.outputs.labels.plan import LABELS as PLAN_LABELS
from covgap.outputs.maps import coverage_map
from covgap.pipeline import run
from covgap.plan import map as _plan_map
from covgap.plan import outputs as _plan_outputs
from covgap.plan.mclp import Solution
from covgap.plan.outputs import PLAN_FILES, plan_map, write_plan
from covgap.plan.site_plan import PROPOSED_COLUMNS, Plan, before_after

folium = pytest.importorskip("folium")
pytest.importorskip("xstatic.pkg.leaflet", reason="xstatic-leaflet not installed (offline)")

FORMULA_NOTE = '=HYPERLINK("http://evil.example","click")'
HOSTILE_NOTE = "<script>alert(1)</script>"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def before():
    return run()


def _candidates(before, gaps):
    site = before.sites[before.sites["technology"] == "2G"].iloc[0]
    v0 = gaps.geometry.iloc[0]
    rows = [
        ("C0001", "new_site", "C0001", "Viettel", v0.x + 0.01, v0.y + 0.01, "fibre", FORMULA_NOTE),
        ("C0002", "add_4g", site["site_id"], site["carrier"], site.geometry.x, site.geometry.y,
         "microwave", HOSTILE_NOTE),
        ("C0003", "user", "C0003", "Viettel", v0.x - 0.02, v0.y, "satellite", "-2 nhà văn hóa"),
        ("C0004", "new_site", "C0004", "Viettel", v0.x + 0.03, v0.y - 0.01, "fibre", ""),
    ]  # fmt: skip
    table = pd.DataFrame(
        rows,
        columns=["candidate_id", "kind", "site_id", "carrier", "lon", "lat", "backhaul", "note"],
    )
    table["ground_m"] = [1450.0, 1210.0, 980.0, 1333.0]
    table["height_m"] = [30.0, 35.0, 30.0, 30.0]
    table["road_km"] = [1.2, 0.0, 3.4, 2.2]
    table["power_km"] = [0.8, 0.0, 2.0, 1.5]
    table["n_visible"] = [5, 3, 2, 1]
    table["visible_weight"] = [1500.0, 900.0, 400.0, 120.0]
    table["site_usd"] = [100_000.0, 30_000.0, 100_000.0, 100_000.0]
    table["azimuths_deg"] = ["0;120;240", "90", "0;120;240", "0;120;240"]
    table["backhaul_usd"] = [26_900.0, 40_000.0, 60_000.0, 48_900.0]
    table["cost_usd"] = table["site_usd"] + table["backhaul_usd"]
    table["villages_cover"] = [2, 1, 0, 1]
    table["weight_cover"] = [800.0, 300.0, 0.0, 100.0]
    table["chosen"] = [True, True, False, False]
    return gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )


def _after(before, gaps, ids):
    villages = before.villages.copy()
    hit = villages["village_id"].isin(gaps["village_id"])
    villages.loc[hit, "coverage_class"] = "covered"
    villages.loc[hit, "best_site_id"] = [ids[v] for v in villages.loc[hit, "village_id"]]
    rows = before.sites[before.sites["technology"] == "4G"].head(3).copy()
    rows["site_id"] = "C0001"
    rows["sector_id"] = ["C0001-1", "C0001-2", "C0001-3"]
    rows["azimuth_deg"] = [0.0, 120.0, 240.0]
    x, y = gaps.geometry.iloc[0].x + 0.01, gaps.geometry.iloc[0].y + 0.01
    rows["geometry"] = [Point(x, y)] * 3
    sites = gpd.GeoDataFrame(pd.concat([before.sites, rows], ignore_index=True), crs=4326)
    return dataclasses.replace(before, villages=villages, sites=sites)


def _proposed(candidates, gaps, ids):
    chosen = candidates[candidates["chosen"]].reset_index(drop=True)
    out = chosen.copy()
    groups = {c: gaps[[ids[v] == c for v in gaps["village_id"]]] for c in chosen["candidate_id"]}
    out["villages_new"] = [len(groups[c]) for c in out["candidate_id"]]
    out["households_new"] = [float(groups[c]["households"].sum()) for c in out["candidate_id"]]
    out["people_new"] = [float(groups[c]["population"].sum()) for c in out["candidate_id"]]
    out["village_ids"] = [";".join(groups[c]["village_id"]) for c in out["candidate_id"]]
    out["backhaul_km"] = [1.2, 14.5]
    out["total_usd"] = out["site_usd"] + out["backhaul_usd"]
    out["usd_per_person"] = out["total_usd"] / out["people_new"]
    out["rank"] = [1, 2]
    return gpd.GeoDataFrame(
        out.loc[:, list(PROPOSED_COLUMNS)], geometry=out.geometry.values, crs="EPSG:4326"
    )


def _fibre(after):
    gaps = after.villages[after.villages["coverage_class"] != "covered"].head(5)
    table = pd.DataFrame(
        {
            "village_id": gaps["village_id"].to_numpy(),
            "name": gaps["name"].to_numpy(),
            "commune": gaps["commune"].to_numpy(),
            "district": gaps["district"].to_numpy(),
            "lon": gaps.geometry.x.to_numpy(),
            "lat": gaps.geometry.y.to_numpy(),
            "road_km": [0.5, 1.0, 2.5, 4.0, 7.5],
            "population": gaps["population"].to_numpy(),
            "households": gaps["households"].to_numpy(),
            "class": gaps["coverage_class"].to_numpy(),
            "reachable": [True, True, True, True, False],
            "pop_id": ["POP-1", "POP-1", "POP-2", "POP-2", "POP-3"],
        }
    )
    table["fibre_usd"] = 500 + 22_000 * table["road_km"]
    table["usd_per_person"] = table["fibre_usd"] / table["population"]
    table["rank"] = np.arange(1, 6)
    return table


def _make_plan(before):
    gaps = before.villages[before.villages["coverage_class"] != "covered"].head(3).copy()
    before = dataclasses.replace(before, villages=before.villages.copy())
    # a hostile village name reaches the map through the newly-covered lines
    before.villages.loc[before.villages["village_id"] == gaps["village_id"].iloc[2], "name"] = (
        HOSTILE_NAME
    )
    ids = dict(zip(gaps["village_id"], ["C0001", "C0001", "C0002"], strict=True))
    candidates = _candidates(before, gaps)
    after = _after(before, gaps, ids)
    proposed = _proposed(candidates, gaps, ids)
    c1, c2 = proposed.geometry.iloc[0], proposed.geometry.iloc[1]
    routes = gpd.GeoDataFrame(
        {
            "route_id": ["R1", "R2"],
            "from_id": ["POP-1", proposed["site_id"].iloc[1]],
            "to_id": ["C0001", "FIBRE-SITE"],
            "backhaul": ["fibre", "microwave"],
            "km": [1.2, 14.5],
            "usd": [26_900.0, 40_000.0],
        },
        geometry=[
            LineString([(c1.x - 0.01, c1.y), (c1.x - 0.005, c1.y + 0.004), (c1.x, c1.y)]),
            LineString([(c2.x, c2.y), (c2.x + 0.1, c2.y + 0.05)]),
        ],
        crs="EPSG:4326",
    )
    backhaul = pd.DataFrame({"id": ["C0001", "C0002"], "backhaul": ["fibre", "microwave"],
                             "km": [1.2, 14.5], "usd": [26_900.0, 40_000.0]})  # fmt: skip
    people = float(gaps["population"].sum())
    solution = Solution((0, 1), (0, 1, 2), people, 196_900.0, "Optimal", 0.25, 0.0, "exact")
    greedy = Solution((0, 1), (0, 1), people * 0.9, 196_900.0, "Greedy", 0.01, np.nan, "greedy")
    options = {
        "k": 2, "budget_usd": None, "carrier": None, "weight": "population", "generate": True,
        "upgrades": True, "max_candidates": 600, "radius_km": 10.0, "height_m": 30.0,
        "costs": PlanCosts(),
    }  # fmt: skip
    return Plan(
        before=before,
        after=after,
        candidates=candidates,
        proposed=proposed,
        backhaul=backhaul,
        routes=routes,
        before_after={by: before_after(before, after, by=by) for by in ("district", "commune")},
        fibre=_fibre(after),
        solution=solution,
        greedy=greedy,
        cover=sp.csr_matrix((4, len(before.villages)), dtype=bool),
        options=options,
        timings={"candidates_s": 1.5, "coverage_s": 2.0, "solve_s": 0.25},
    )


@pytest.fixture(scope="module")
def plan(before):
    return _make_plan(before)


@pytest.fixture(scope="module")
def written(plan, tmp_path_factory):
    """The plan written in Vietnamese and in English."""
    out = {}
    for lang in ("vi", "en"):
        folder = tmp_path_factory.mktemp(f"plan_{lang}")
        out[lang] = (folder, write_plan(plan, folder, lang=lang))
    return out


@pytest.fixture(scope="module")
def page(written):
    return written["vi"][1]["map"].read_text(encoding="utf-8")


# --------------------------------------------------------------------------- files
def test_write_plan_writes_every_file(written):
    for lang in ("vi", "en"):
        folder, paths = written[lang]
        assert set(paths) == set(PLAN_FILES)
        assert sorted(p.name for p in folder.iterdir()) == sorted(PLAN_FILES.values())
        for role, path in paths.items():
            assert path == folder / PLAN_FILES[role] and path.stat().st_size > 0


def test_proposed_csv_bom_labels_local_xy_formula_safe(plan, written):
    for lang in ("vi", "en"):
        path = written[lang][1]["proposed_csv"]
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        table = pd.read_csv(path, encoding="utf-8-sig", dtype={label("note", lang): str})
        assert len(table) == len(plan.proposed)
        for key in ("rank", "candidate_id", "people_new", "total_usd", "backhaul", "note"):
            assert label(key, lang) in table.columns
        east, north = label("easting_m", lang), label("northing_m", lang)
        headers = list(table.columns)
        assert headers.index(east) == headers.index(label("lat", lang)) + 1
        to_local = Transformer.from_crs("EPSG:4326", "EPSG:9205", always_xy=True)
        x, y = to_local.transform(plan.proposed["lon"].to_numpy(), plan.proposed["lat"].to_numpy())
        np.testing.assert_allclose(table[east], x, atol=0.06)
        np.testing.assert_allclose(table[north], y, atol=0.06)
        notes = table[label("note", lang)].tolist()
        if lang == "en":  # the generators' own (English) notes, formula-safe
            assert notes[0] == "'" + FORMULA_NOTE and notes[1] == HOSTILE_NOTE
        else:  # rebuilt in Vietnamese from the figures
            assert notes[0].startswith("điểm cao") and "thôn chưa có sóng" in notes[0]
            assert notes[1].startswith("trạm chỉ có 2G: lắp thêm 4G")
        np.testing.assert_allclose(table[label("people_new", lang)], plan.proposed["people_new"])
        kinds = table[label("kind", lang)].tolist()
        assert kinds == [label("plan_kind_new_site", lang), label("plan_kind_add_4g", lang)]
        assert table[label("backhaul", lang)].tolist() == [
            label("plan_backhaul_fibre", lang),
            label("plan_backhaul_microwave", lang),
        ]
        # a shared new site says so; the upgrade keeps its carrier
        carriers = table[label("carrier", lang)].tolist()
        assert carriers == [label("plan_shared", lang), plan.proposed["carrier"].iloc[1]]
    assert "Trạm BTS mới" in pd.read_csv(written["vi"][1]["proposed_csv"]).to_string()


def test_before_after_and_fibre_csv(plan, written):
    path = written["vi"][1]["before_after_district_csv"]
    table = pd.read_csv(path, encoding="utf-8-sig")
    expected = plan.before_after["district"]
    assert len(table) == len(expected)
    assert table.iloc[-1, 0] == label("total", "vi")
    assert table[label("people_new", "vi")].iloc[-1] == expected["people_new"].iloc[-1]
    assert table[label("white_after", "vi")].tolist() == expected["white_after"].tolist()
    commune = pd.read_csv(written["en"][1]["before_after_commune_csv"], encoding="utf-8-sig")
    assert len(commune) == len(plan.before_after["commune"])
    assert (
        commune[label("covered_after", "en")].sum()
        == 2 * (plan.before_after["commune"]["covered_after"].iloc[-1])
    )
    fibre = pd.read_csv(written["en"][1]["fibre_csv"], encoding="utf-8-sig")
    assert fibre["pop_id"].tolist() == plan.fibre["pop_id"].tolist()  # unknown column kept
    np.testing.assert_allclose(fibre[label("fibre_usd", "en")], plan.fibre["fibre_usd"])
    assert label("easting_m", "en") in fibre.columns
    # the roll-out's class and yes/no columns are said in words
    assert set(fibre[label("coverage_class", "en")]) <= {"White zone", "Low signal"}
    assert fibre[label("reachable", "en")].tolist() == ["Yes"] * 4 + ["No"]


def test_gpkg_layers_points_and_lines(plan, written):
    paths = written["vi"][1]
    layers = dict(pyogrio.list_layers(paths["proposed_gpkg"]).tolist())
    assert layers == {"proposed_sites": "Point", "candidates": "Point"}
    proposed = gpd.read_file(paths["proposed_gpkg"], layer="proposed_sites")
    assert proposed.crs.to_epsg() == 4326
    at = PROPOSED_COLUMNS.index("lat") + 1
    expected = [*PROPOSED_COLUMNS[:at], "easting_m", "northing_m", *PROPOSED_COLUMNS[at:]]
    assert list(proposed.columns) == [*expected, "geometry"]  # covgap's names for GIS work
    assert proposed["note"].tolist() == [FORMULA_NOTE, HOSTILE_NOTE]  # raw in GIS data
    np.testing.assert_allclose(proposed.geometry.x, plan.proposed["lon"])
    candidates = gpd.read_file(paths["proposed_gpkg"], layer="candidates")
    assert candidates["candidate_id"].tolist() == plan.candidates["candidate_id"].tolist()
    assert candidates["chosen"].tolist() == [True, True, False, False]
    assert dict(pyogrio.list_layers(paths["routes_gpkg"]).tolist()) == {
        "backhaul_routes": "LineString"
    }
    routes = gpd.read_file(paths["routes_gpkg"], layer="backhaul_routes")
    assert routes["backhaul"].tolist() == ["fibre", "microwave"]
    assert len(routes.geometry.iloc[0].coords) == 3


def _cover_values(ws):
    return {r[0]: r[1] for r in ws.iter_rows(min_col=1, max_col=2, values_only=True) if r[0]}


def test_workbook_sheets_headers_and_figures(plan, written):
    stats = plan.stats()
    for lang in ("vi", "en"):
        wb = load_workbook(written[lang][1]["workbook"])
        keys = ["plan_sheet_summary", "plan_sheet_proposed", "plan_sheet_district",
                "plan_sheet_commune", "plan_sheet_fibre", "plan_sheet_candidates",
                "sheet_business"]  # fmt: skip
        assert wb.sheetnames == [label(k, lang) for k in keys]
        cover = _cover_values(wb[label("plan_sheet_summary", lang)])
        assert cover[label("people_new", lang)] == stats["people_new"] > 0
        assert cover[label("plan_sites", lang)] == 2
        assert cover[label("total_usd", lang)] == pytest.approx(stats["total_usd"])
        assert cover[label("greedy_gap", lang)] == pytest.approx(0.1)
        assert cover[label("solver_status", lang)] == "Optimal"
        assert cover[label("plan_cost_new_site_usd", lang)] == 100_000
        assert cover[label("plan_opt_carrier", lang)] == label("plan_shared", lang)
        assert label("synthetic_notice", lang) in cover
        ws = wb[label("plan_sheet_proposed", lang)]
        header = [c.value for c in ws[1]]
        assert header[:3] == [label(k, lang) for k in ("rank", "candidate_id", "kind")]
        people = [r[header.index(label("people_new", lang))] for r in
                  ws.iter_rows(min_row=2, values_only=True)]  # fmt: skip
        assert people == plan.proposed["people_new"].tolist()
        note = ws.cell(row=2, column=header.index(label("note", lang)) + 1)
        if lang == "en":
            assert note.value == FORMULA_NOTE and note.data_type == "s" and note.quotePrefix
        else:
            assert note.value.startswith("điểm cao")
        usd = ws.cell(row=2, column=header.index(label("total_usd", lang)) + 1)
        assert usd.number_format == "#,##0"
        district = wb[label("plan_sheet_district", lang)]
        rows = list(district.iter_rows(values_only=True))
        header = list(rows[0])
        total = rows[-1]
        assert total[0] == label("total", lang)
        expected = plan.before_after["district"].iloc[-1]
        for key in ("covered_after", "white_before", "people_new", "households_new"):
            assert total[header.index(label(key, lang))] == expected[key]
        candidates = wb[label("plan_sheet_candidates", lang)]
        assert candidates.max_row == len(plan.candidates) + 2
        # the candidate list stays out of the print: the print area is the note above it
        assert candidates["A1"].value.startswith(f"{len(plan.candidates)} ")
        assert candidates.print_area.endswith("$1") and not candidates.print_title_rows
        assert candidates["A2"].value == label("candidate_id", lang)
        assert candidates.auto_filter.ref.startswith("A2:") and candidates.freeze_panes == "B3"


def test_summary_json(plan, written):
    doc = json.loads(written["en"][1]["summary_json"].read_text(encoding="utf-8"))
    assert set(doc) == {"stats", "options", "timings", "scenario"}
    assert doc["stats"]["sites"] == 2 and doc["stats"]["solver_status"] == "Optimal"
    assert doc["stats"]["people_new"] == pytest.approx(plan.stats()["people_new"])
    assert doc["options"]["costs"] == dataclasses.asdict(PlanCosts())
    assert doc["options"]["budget_usd"] is None and doc["options"]["k"] == 2
    assert doc["timings"] == plan.timings and doc["scenario"]["synthetic"] is True
    toml = written["en"][1]["scenario"].read_text(encoding="utf-8")
    assert toml == plan.before.scenario.to_toml()


def test_failure_leaves_folder_as_it_was(plan, tmp_path, monkeypatch):
    (tmp_path / PLAN_FILES["proposed_csv"]).write_text("old\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # the map comes after the tables, GeoPackages and workbook: they are in the temporary
    # folder when it fails
    monkeypatch.setattr(_plan_outputs, "plan_map", broken)
    with pytest.raises(OSError, match="disk full"):
        write_plan(plan, tmp_path, lang="vi")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "proposed_sites.csv"]
    assert (tmp_path / PLAN_FILES["proposed_csv"]).read_text(encoding="utf-8") == "old\n"


def test_empty_plan_and_mixed_routes(plan, tmp_path, monkeypatch):
    """No site chosen: every file is still written; a layer of lines stays a line layer."""
    routes = plan.routes.copy()
    routes.loc[0, "geometry"] = MultiLineString([[(103.0, 22.0), (103.01, 22.01)],
                                                 [(103.02, 22.0), (103.03, 22.02)]])  # fmt: skip
    mixed = dataclasses.replace(plan, routes=routes)
    _plan_outputs._write_routes(mixed.routes, tmp_path / "mixed.gpkg")
    assert pyogrio.list_layers(tmp_path / "mixed.gpkg").tolist() == [
        ["backhaul_routes", "MultiLineString"]
    ]
    empty = dataclasses.replace(
        plan,
        proposed=plan.proposed.iloc[0:0],
        routes=plan.routes.iloc[0:0],
        candidates=plan.candidates.assign(chosen=False),
        fibre=plan.fibre.iloc[0:0],
    )
    layers, legend = _plan_map._plan_layers(empty, "vi")
    assert [layer.layer_name for layer in layers][-1] == label("plan_layer_proposed", "vi").format(
        n=0
    )
    assert label("plan_legend_fibre", "vi") not in legend
    monkeypatch.setattr(_plan_outputs, "plan_map", lambda p, *, lang: folium.Map(tiles=None))
    paths = write_plan(empty, tmp_path / "out", lang="en")
    assert all(path.is_file() for path in paths.values())
    assert pd.read_csv(paths["proposed_csv"], encoding="utf-8-sig").empty
    assert pyogrio.list_layers(paths["routes_gpkg"]).tolist() == [["backhaul_routes", "LineString"]]
    doc = json.loads(paths["summary_json"].read_text(encoding="utf-8"))
    assert doc["stats"]["sites"] == 0 and doc["stats"]["people_per_million_usd"] is None


def test_bad_lang(plan, tmp_path):
    from covgap.errors import InputError

    with pytest.raises(InputError):
        write_plan(plan, tmp_path, lang="fr")
    with pytest.raises(InputError):
        plan_map(plan, lang="fr")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- map
def _var_of(page, name):
    """The JS variable of the overlay named ``name`` (escaped JSON) in the layer control."""
    return re.search(re.escape(json.dumps(name)) + r" : (\w+)", page).group(1)


def test_plan_map_layers_in_layer_control(plan, page):
    n = {"proposed": 2, "fibre": 1, "microwave": 1, "newly": 3}
    names = {k: label(f"plan_layer_{k}", "vi").format(n=v) for k, v in n.items()}
    names["links"] = label("plan_layer_links", "vi")
    for name in names.values():
        var = _var_of(page, name)
        assert f"var {var} = " in page
    # the links are off when the map opens, the others on
    assert f"{_var_of(page, names['links'])}.addTo(" not in page
    for key in ("proposed", "fibre", "microwave", "newly"):
        assert f"{_var_of(page, names[key])}.addTo(" in page
    # fibre solid, microwave dashed; popups with length and cost
    assert '"dashArray":"10 7"' in page
    assert "14,5 km" in page and "40.000 USD" in page and "26.900 USD" in page
    # the popup of a proposed site: kind, people newly covered, cost, backhaul, note
    people = plan.proposed["people_new"].iloc[0]
    assert f'"{int(people):,}"'.replace(",", ".") in page or f'"{int(people)}"' in page
    assert label("plan_kind_add_4g", "vi") in page and "Viba (14,5 km)" in page
    assert label("plan_legend_title", "vi") in page and label("plan_legend_fibre", "vi") in page
    # offline: no new external script or stylesheet
    assert len(re.findall(r"<script src=", page)) == 0
    assert "cdn.jsdelivr" not in page


def test_plan_map_escapes_hostile_texts(page, written):
    assert HOSTILE_NOTE not in page and HOSTILE_NAME not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # the English map shows the generators' notes as they are: escaped
    page_en = written["en"][1]["map"].read_text(encoding="utf-8")
    assert HOSTILE_NOTE not in page_en and HOSTILE_NAME not in page_en
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_en


def test_plan_map_english(written):
    html = written["en"][1]["map"].read_text(encoding="utf-8")
    assert json.dumps(label("plan_layer_proposed", "en").format(n=2)) in html
    assert "Microwave (14.5 km)" in html and "40,000 USD" in html


def _sample_map(**extra):
    villages = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"], "name": ["Bản A", "Bản B"],
         "coverage_class": ["covered", "white"]},
        geometry=[Point(103.2, 22.3), Point(103.3, 22.4)], crs="EPSG:4326",
    )  # fmt: skip
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1"], "carrier": ["Viettel"], "technology": ["4G"], "freq_mhz": [1800],
         "height_m": [30.0], "azimuth_deg": [0.0]},
        geometry=[Point(103.25, 22.35)], crs="EPSG:4326",
    )  # fmt: skip
    html = coverage_map(villages, sites, **extra).get_root().render()
    return re.sub(r"[0-9a-f]{32}", "ID", html)


def test_coverage_map_without_extra_layers_unchanged():
    assert _sample_map() == _sample_map(extra_layers=(), extra_legend_html=None)
    from covgap.outputs.map_elements import _layer

    extra = _layer([[103.2, 22.3]], name="Extra layer", kind="rings", options={})
    html = _sample_map(extra_layers=[extra], extra_legend_html="<div>plan legend</div>")
    control = html.index("layer_control_ID_layers = {")
    assert '"Extra layer" : covgap_layer_ID' in html[control:]
    assert html.index("covgap.rings(") < control
    assert "<div>plan legend</div>" in html


# --------------------------------------------------------------------------- labels
def test_plan_labels_merged_and_vietnamese_terms():
    for key, (vi, en) in PLAN_LABELS.items():
        assert LABELS[key] == {"vi": vi, "en": en} and vi and en
    texts = " | ".join(vi.lower() for vi, _ in PLAN_LABELS.values())
    for term in ("trạm bts đề xuất", "truyền dẫn cáp quang", "viba", "vệ tinh",
                 "số dân được phủ sóng mới", "chi phí (usd)", "trước / sau"):  # fmt: skip
        assert term in texts
    for lang in ("vi", "en"):
        for key in PLAN_LABELS:
            if key.startswith("plan_sheet_"):
                name = label(key, lang)
                assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_plan_legend_stays_in_the_compact_box():
    html = _sample_map(extra_legend_html="<div>plan legend</div>")
    legend = html[html.index('<div class="cg-box cg-legend">') :]
    assert legend.index("<div>plan legend</div>") < legend.index("<details>")
