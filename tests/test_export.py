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
