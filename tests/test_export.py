"""CSV (BOM, formula-safe), GeoPackage, KML and the whole dossier folder."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from covgap.outputs.labels import label
from covgap.request import export

sys.path.insert(0, str(Path(__file__).parent))
from test_workbook import HOSTILE, literal_dossier

KML = "{http://www.opengis.net/kml/2.2}"


def test_csv_starts_with_bom_rereads_and_is_formula_safe(tmp_path):
    dossier = literal_dossier()
    path = export.write_csv(dossier.request, tmp_path / "request.csv", lang="vi")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert back.columns[0] == "Thứ tự ưu tiên"
    names = back[label("name", "vi")].tolist()
    assert "'" + HOSTILE[0] in names and "'+1" in names
    assert all(not n.startswith(("=", "+", "-", "@")) for n in names)
    rsrp = pd.to_numeric(back[label("rsrp_dbm", "vi")])
    assert (rsrp.dropna() < 0).all()  # numbers stay numbers, negative ones too
    assert len(back) == len(dossier.request)


def test_csv_safe():
    assert export.csv_safe("=1+1") == "'=1+1"
    assert export.csv_safe("@x") == "'@x"
    assert export.csv_safe("\tx") == "'\tx"
    assert export.csv_safe("Bản A") == "Bản A"
    assert export.csv_safe(-105.0) == -105.0


def test_gpkg_layers(tmp_path):
    dossier = literal_dossier()
    path = export.write_gpkg(dossier, tmp_path / "lists.gpkg")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["request_list", "unpowered_list"]
    import geopandas as gpd

    layer = gpd.read_file(path, layer="request_list")
    assert layer.crs.to_epsg() == 4326 and len(layer) == len(dossier.request)
    assert layer.geometry.x.iloc[0] == pytest.approx(dossier.request["lon"].iloc[0])


def test_kml_is_valid_and_escaped(tmp_path):
    dossier = literal_dossier()
    path = export.write_kml(dossier, tmp_path / "lists.kml", lang="en")
    root = ET.parse(path).getroot()
    marks = root.findall(f".//{KML}Placemark")
    assert len(marks) == len(dossier.request) + len(dossier.unpowered)
    names = [m.find(f"{KML}name").text for m in marks]
    assert f"1. {dossier.request['name'].iloc[0]}" in names
    description = marks[0].find(f"{KML}description").text
    assert "Households: 50" in description and "<br/>" in description
    assert root.find(f".//{KML}Document/{KML}description").text == label("synthetic_notice", "en")


def test_write_dossier_writes_every_file_or_none(tmp_path, monkeypatch):
    dossier = literal_dossier()
    paths = export.write_dossier(dossier, tmp_path / "out", lang="en")
    assert {p.name for p in paths.values()} == {
        name for role, name in export.DOSSIER_FILES.items() if not role.startswith("map")
    }
    assert all(p.exists() for p in paths.values())
    # a failure half-way leaves nothing new behind
    monkeypatch.setattr(export, "write_kml", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        export.write_dossier(dossier, tmp_path / "fail", lang="en")
    assert list((tmp_path / "fail").iterdir()) == []


def test_kml_folders_per_class_and_extended_data(tmp_path):
    dossier = literal_dossier()
    root = ET.parse(export.write_kml(dossier, tmp_path / "l.kml", lang="vi")).getroot()
    lists = root.findall(f"{KML}Document/{KML}Folder")
    assert [f.find(f"{KML}name").text for f in lists] == [
        f"{label('sheet_request', 'vi')} ({len(dossier.request)})",
        f"{label('sheet_unpowered', 'vi')} ({len(dossier.unpowered)})",
    ]
    request = lists[0].findall(f"{KML}Folder")
    counts = dossier.request["coverage_class"].value_counts()
    assert [f.find(f"{KML}name").text for f in request] == [
        f"{label('white', 'vi')} ({counts['white']})",
        f"{label('low_signal', 'vi')} ({counts['low_signal']})",
    ]
    marks = root.findall(f".//{KML}Placemark")
    assert len(marks) == len(dossier.request) + len(dossier.unpowered)
    for mark in marks:  # every placemark carries its attributes for a GIS
        data = {d.get("name"): d.find(f"{KML}value").text or "" for d in
                mark.findall(f"{KML}ExtendedData/{KML}Data")}  # fmt: skip
        assert {"village_id", "coverage_class", "households", "rsrp_dbm", "lon"} <= set(data)
        cls = data["coverage_class"]
        assert mark.find(f"{KML}styleUrl").text == f"#{cls}"
    first = {d.get("name"): d for d in marks[0].findall(f"{KML}ExtendedData/{KML}Data")}
    assert first["households"].find(f"{KML}displayName").text == "Số hộ"
    assert first["commune"].find(f"{KML}displayName").text == label("commune_old", "vi")
    row = dossier.request[dossier.request["coverage_class"] == "white"].iloc[0]
    assert first["village_id"].find(f"{KML}value").text == row["village_id"]
    rsrp = "" if pd.isna(row["rsrp_dbm"]) else f"{round(row['rsrp_dbm'], 2):g}"
    assert (first["rsrp_dbm"].find(f"{KML}value").text or "") == rsrp
    values = [d.find(f"{KML}value").text for m in marks for d in m.iter(f"{KML}Data")
              if d.get("name") == "rsrp_dbm"]  # fmt: skip
    assert "-130.5" in values and "-110.25" in values and "nan" not in values
    # one naming of communes: the 07/2025 unit, the former one in brackets
    assert "Xã Mới (Xã A)" in marks[0].find(f"{KML}description").text
