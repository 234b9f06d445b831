"""Tests of report-style sheets, workbooks, text encodings and the read summary."""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import json
import pickle
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from affine import Affine
from click.testing import CliRunner
from pyproj import CRS

from covgap.cli import main
from covgap.errors import DataFileError, ValidationError
from covgap.io import read_sites, read_villages
from covgap.io.sheets import extract_table
from covgap.io.terrain import Terrain
from covgap.io.validate import check_file, check_within_terrain, validate_file
from covgap.io.xlsx import read_grids

ROOT = Path(__file__).resolve().parents[1]

ROWS = [
    ["V1", "Bản Nà Khum", 103.1, 22.1, "1.250"],
    ["V2", "Tổng Khò", 103.2, 22.2, "30"],  # a village whose name starts like a total
    ["V3", "Pa Vây Sử", 103.3, 22.3, "40"],
]


def report_grid() -> pd.DataFrame:
    blank = [None] * 6
    return pd.DataFrame(
        [
            ["UBND TỈNH LAI CHÂU", *blank[1:]],
            ["DANH SÁCH THÔN BẢN", *blank[1:]],
            blank,
            ["STT", "Mã thôn", "Tên thôn/bản", "Tọa độ", None, "Số hộ"],
            [None, None, None, "Kinh độ", "Vĩ độ", None],
            ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
            [1, *ROWS[0]],
            [2, *ROWS[1]],
            blank,
            [3, *ROWS[2]],
            [None, None, "Tổng cộng", None, None, "1.320"],
            blank,
            [None, None, "Người lập biểu", None, "Chủ tịch", None],
            [None, None, "(Ký, ghi rõ họ tên)", None, None, None],
        ],
        dtype=object,
    )


# ------------------------------------------------------------------------------ sheets
def test_extract_report_table():
    ex = extract_table(report_grid(), "villages")
    assert ex.header_rows == (4, 5)
    assert list(ex.frame.columns) == [
        "Mã thôn", "Tên thôn/bản", "Kinh độ (Tọa độ)", "Vĩ độ (Tọa độ)", "Số hộ",
    ]  # fmt: skip
    assert ex.frame["Tên thôn/bản"].tolist() == ["Bản Nà Khum", "Tổng Khò", "Pa Vây Sử"]
    assert ex.rows.tolist() == [7, 8, 10]
    assert {why: rows for rows, why in ex.skipped} == {
        "column numbers under the header": [6],
        "total row": [11],
        "below the table (notes or signature block)": [13, 14],
        "blank": [9, 12],
    }
    assert ("STT", "row numbers (STT)") in ex.ignored
    assert any("UBND TỈNH LAI CHÂU" in why for _, why in ex.ignored)
    assert "Tổng cộng" in ex.samples["total row"]


def test_plain_table_is_unchanged():
    grid = pd.DataFrame([["Mã thôn", "Tên thôn/bản", "Kinh độ", "Vĩ độ", "Số hộ"], *ROWS])
    ex = extract_table(grid, "villages")
    assert ex.header_rows == (1, 1) and ex.rows.tolist() == [2, 3, 4]
    assert ex.skipped == [] and ex.ignored == []
    assert len(ex.frame) == 3


def test_blank_header_with_data_is_named_by_its_letter():
    grid = pd.DataFrame([["Mã thôn", "Tên thôn/bản", "Kinh độ", "Vĩ độ", None], *ROWS])
    assert extract_table(grid, "villages").frame.columns[-1] == "column E"


def write_report(path, sheets: dict[str, pd.DataFrame], merge: str | None = None) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, grid in sheets.items():
        ws = wb.create_sheet(name)
        for row in grid.itertuples(index=False):
            ws.append([None if pd.isna(v) else v for v in row])
    if merge:
        wb.worksheets[0].merge_cells(merge)  # "Tọa độ" over Kinh độ / Vĩ độ
    wb.save(path)


def test_read_report_xlsx_rows_are_sheet_rows(tmp_path, caplog):
    path = tmp_path / "report.xlsx"
    grid = report_grid()
    grid.iat[9, 5] = "bốn mươi"  # sheet row 10
    write_report(path, {"Danh sách": grid}, "D4:E4")
    with pytest.raises(ValidationError) as info:
        read_villages(path)
    (error,) = [p for p in info.value.problems if p.severity == "error"]
    assert (error.row, error.column) == (10, "Số hộ") and "bốn mươi" in error.message
    write_report(path, {"Danh sách": report_grid()}, "D4:E4")
    with caplog.at_level("INFO", logger="covgap.io"):
        got = read_villages(path)
    assert got["households"].tolist() == [1250, 30, 40]
    assert "header row 4–5" in caplog.text and "total row" in caplog.text
    summary = got.attrs["covgap_read"]
    assert summary.rows == [7, 8, 10] and summary.sheets == ("Danh sách",)


def site_sheet(carrier_column: bool, carrier: str = "Viettel") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Mã trạm": [f"{carrier[:3]}1", f"{carrier[:3]}1", f"{carrier[:3]}2"],
            "Mã cell": ["1", "2", "1"],
            "Kinh độ": [103.4, 103.4, 103.5],
            "Vĩ độ": [22.3, 22.3, 22.4],
            "Độ cao anten (m)": [30, 30, 40],
            "Công nghệ": ["4G", "4G", "3G"],
            "Băng tần": ["1800", "1800", "2100"],
        }
    )
    if carrier_column:
        frame.insert(2, "Nhà mạng", carrier)
    return pd.DataFrame([list(frame.columns), *frame.to_numpy().tolist()], dtype=object)


def test_every_sheet_with_a_table_and_carrier_from_sheet_name(tmp_path):
    path = tmp_path / "sites.xlsx"
    notes = pd.DataFrame([["Ghi chú: số liệu tháng 5"]], dtype=object)
    write_report(
        path,
        {
            "Ghi chú": notes,
            "VIETTEL": site_sheet(False),
            "Vinaphone": site_sheet(False, "VNPT"),
            "Mobi": site_sheet(True, "MobiFone"),
        },
    )
    got = read_sites(path)
    assert got["carrier"].tolist() == ["Viettel"] * 3 + ["VNPT"] * 3 + ["MobiFone"] * 3
    summary = got.attrs["covgap_read"]
    assert summary.sheets == ("VIETTEL", "Vinaphone", "Mobi")
    assert [s for s, _ in summary.sheets_skipped] == ["Ghi chú"]
    # a problem names its sheet and its row there
    bad = site_sheet(False, "VNPT")
    bad.iat[2, 4] = 500
    write_report(path, {"VIETTEL": site_sheet(False), "VNPT": bad})
    (error,) = [p for p in validate_file(path, kind="sites")[1] if p.severity == "error"]
    assert error.file.endswith("sheet 'VNPT'") and (error.row, error.column) == (
        3,
        "Độ cao anten (m)",
    )
    # the sheet option reads one sheet only
    only = read_sites(path, layer="VIETTEL")
    assert len(only) == 3 and only.attrs["covgap_read"].sheets == ("VIETTEL",)
    with pytest.raises(DataFileError, match="Mobi"):
        read_sites(path, layer="Mobi")


# -------------------------------------------------------------------------------- xlsx
def test_fast_xlsx_reader_matches_pandas(tmp_path):
    path = tmp_path / "types.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "A & B"
    ws.append(["Mã thôn", "Tên <thôn>", "n", "x", "b", "f", "d"])
    ws.append(["V1", 'Bản "Nà" & Khum', 12, 1.5, True, "=C2*2", dt.datetime(2025, 1, 2)])
    ws.append([None, "", -3, 1e-7, False, '=C3&"x"', None])
    ws["B5"] = "after a gap"
    wb.save(path)
    fast = read_grids(path, None)["A & B"]
    slow = pd.read_excel(path, header=None, dtype=object)
    assert fast.shape == slow.shape
    assert fast.iloc[:, :5].fillna("").to_numpy().tolist() == (
        slow.iloc[:, :5].fillna("").to_numpy().tolist()
    )
    assert fast.iat[1, 1] == 'Bản "Nà" & Khum' and fast.iat[4, 1] == "after a gap"
    assert read_grids(path, "missing") is None


def test_fast_xlsx_reader_gives_up_on_unknown_cells(tmp_path):
    path = tmp_path / "odd.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Mã thôn", "Tên thôn/bản", "Kinh độ", "Vĩ độ"])
    wb.active.append(["V1", "Bản A", 103.1, 22.1])
    wb.save(path)
    import zipfile

    odd = tmp_path / "odd2.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(odd, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<c r="A2"', b'<c s="0" r="A2"')  # reference not first
            dst.writestr(item, data)
    assert read_grids(odd, None) is None
    assert read_villages(odd)["village_id"].tolist() == ["V1"]  # pandas reads it


# -------------------------------------------------------------------------------- text
@pytest.mark.parametrize("bom", [True, False])
def test_utf16_text(tmp_path, bom):
    text = "Mã thôn\tTên thôn/bản\tKinh độ\tVĩ độ\r\nV1\tBản Nà Khum\t103,1\t22,1\r\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes((codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le"))
    got = read_villages(path)
    assert got["name"].tolist() == ["Bản Nà Khum"]
    assert got.geometry.x.iloc[0] == pytest.approx(103.1)
    assert "UTF-16" in got.attrs["covgap_read"].encoding


def test_summary_survives_pandas_operations(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Mã thôn,Tên thôn/bản,Kinh độ,Vĩ độ\nV1,A,103.1,22.1\nV2,B,103.2,22.2\n")
    got = read_villages(path)
    summary = got.attrs["covgap_read"]
    assert copy.deepcopy(got).attrs["covgap_read"] is summary
    both = pd.concat([got, got.iloc[:1]])  # attrs compared by identity, never element-wise
    assert both.attrs["covgap_read"] is summary
    assert json.loads(json.dumps(got.attrs))["covgap_read"]["rows"] == [2, 3]  # to_parquet
    with pytest.raises(TypeError):
        summary["rows"] = []
    again = pickle.loads(pickle.dumps(got)).attrs["covgap_read"]  # process pools pickle
    assert isinstance(again, type(summary)) and dict(again) == dict(summary)


# ------------------------------------------------------------------------------ terrain
def test_dem_covering_half_the_villages_is_one_problem(tmp_path):
    n = 40
    lon = np.linspace(103.05, 103.95, n)
    frame = pd.DataFrame(
        {
            "Mã thôn": [f"V{i}" for i in range(n)],
            "Tên thôn/bản": "Bản",
            "Kinh độ": lon,
            "Vĩ độ": 22.5,
        }
    )
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False)
    gdf = read_villages(path)
    terrain = Terrain(
        np.ones((10, 5), "float32"), Affine(0.1, 0, 103.0, 0, -0.1, 23.0), CRS.from_epsg(4326)
    )
    (problem,) = check_within_terrain(gdf, terrain, file=str(path))
    outside = int((lon > 103.5).sum())
    assert problem.message.startswith(f"{outside} positions are outside the DEM")
    rows = np.flatnonzero(lon > 103.5) + 2
    assert f"(rows {rows[0]}–{rows[-1]})" in problem.message
    assert "DEM covers lon 103.000–103.500" in problem.hint
    assert "points span lon 103.050–103.950" in problem.hint


# ---------------------------------------------------------------------------------- CLI
def test_cli_validate_prints_what_was_read(tmp_path):
    path = tmp_path / "report.xlsx"
    write_report(path, {"Danh sách": report_grid()}, "D4:E4")
    result = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "read 3 villages from sheet(s) 'Danh sách' (header row 4–5)" in out
    assert "columns used (5)" in out and "'Số hộ'→households" in out
    assert "rows skipped:" in out and "total row: 11" in out
    assert "positions: 'Kinh độ (Tọa độ)'/'Vĩ độ (Tọa độ)' in degrees, WGS 84" in out
    assert "WARNING" in out and "no population, grid_power column" in out
    found = check_file(path)
    assert found.kind == "villages" and found.summary.n_rows == 3


def test_sample_sites_one_sheet_per_carrier_are_all_read(tmp_path):
    # Issue 11: only the first sheet was read (3,003 of 6,501 sectors) and validate said OK.
    sites = pd.read_csv(ROOT / "data/bts_sites/sites.csv")
    path = tmp_path / "sites_by_carrier.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    for carrier, sheet in (("Viettel", "Viettel"), ("VNPT", "VNPT"), ("MobiFone", "MobiFone")):
        ws = wb.create_sheet(sheet)
        part = sites[sites["carrier"] == carrier].drop(columns="carrier")
        ws.append(list(part.columns))
        for row in part.itertuples(index=False):
            ws.append([v.item() if hasattr(v, "item") else v for v in row])
    wb.save(path)
    got = read_sites(path)
    assert len(got) == len(sites) == 6501
    assert got["carrier"].value_counts().to_dict() == {
        "Viettel": 3003,
        "VNPT": 1980,
        "MobiFone": 1518,
    }
    assert got.attrs["covgap_read"].sheets == ("Viettel", "VNPT", "MobiFone")


def test_many_problems_of_one_kind_are_summed_up(tmp_path):
    n = 300
    frame = pd.DataFrame(
        {
            "Mã thôn": [f"V{i}" for i in range(n)],
            "Tên thôn/bản": "Bản",
            "Kinh độ": 103.5,
            "Vĩ độ": 22.4,
            "Số hộ": ["nhiều"] * (n - 1) + ["12"],
        }
    )
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False)
    errors = [p for p in validate_file(path)[1] if p.severity == "error"]
    assert len(errors) == 11  # the first ten, then one line for the rest
    assert [p.row for p in errors[:10]] == list(range(2, 12))
    last = errors[-1]
    assert last.row is None and last.column == "Số hộ"
    assert last.message.startswith(f"{n - 11} more problem(s) like the above: not a number: …")
    assert f"(rows 12–{n})" in last.message


EXCEL_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:E4"/><sheetData>'
    '<row r="1" spans="1:5"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="1" t="s"><v>1</v></c>'
    '<c r="C1" s="1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c>'
    '<c r="E1" t="s"><v>4</v></c></row>'
    '<row r="3" spans="1:5"><c r="A3" t="s"><v>5</v></c><c r="B3" s="2" t="s"><v>6</v></c>'
    '<c r="C3" s="3"><v>103.12345</v></c><c r="D3" s="3"><v>2.2123449999999998E1</v></c>'
    '<c r="E3" t="b"><v>1</v></c></row>'
    '<row r="4"><c r="A4" t="str"><f>"V"&amp;2</f><v>V2</v></c><c r="B4" t="e"><v>#N/A</v></c>'
    '<c r="C4" s="3"/><c r="D4"><f>D3+1</f><v>23.12345</v></c></row>'
    "</sheetData></worksheet>"
)
EXCEL_STRINGS = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" '
    'uniqueCount="7"><si><t>Mã thôn</t></si><si><t>Tên thôn/bản</t></si><si><t>Kinh độ</t></si>'
    "<si><t>Vĩ độ</t></si><si><t>Điện lưới</t></si><si><t>V1</t></si>"
    '<si><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">Bản </t></r>'
    '<r><t>Nà &amp; Khum</t></r><rPh sb="0" eb="1"><t>ナ</t></rPh></si></sst>'
)
EXCEL_BOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Thôn &amp; bản" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
EXCEL_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def test_fast_xlsx_reader_shared_strings_as_excel_writes_them(tmp_path):
    import zipfile

    path = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", EXCEL_BOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", EXCEL_RELS)
        zf.writestr("xl/sharedStrings.xml", EXCEL_STRINGS)
        zf.writestr("xl/worksheets/sheet1.xml", EXCEL_SHEET)
    (grid,) = read_grids(path, None).values()
    assert list(read_grids(path, None)) == ["Thôn & bản"]
    assert grid.shape == (4, 5)
    assert grid.iloc[0].tolist() == ["Mã thôn", "Tên thôn/bản", "Kinh độ", "Vĩ độ", "Điện lưới"]
    assert grid.iloc[1].isna().all()  # row 2 is absent from the XML: blank
    assert grid.iloc[2].tolist() == ["V1", "Bản Nà & Khum", 103.12345, 22.123449999999998, True]
    assert grid.iat[3, 0] == "V2" and grid.iat[3, 1] == "#N/A" and grid.iat[3, 3] == 23.12345
    assert grid.iat[3, 2] is None


def test_cli_validate_one_sheet(tmp_path):
    path = tmp_path / "sites.xlsx"
    write_report(path, {"VIETTEL": site_sheet(False), "VNPT": site_sheet(False, "VNPT")})
    run = CliRunner().invoke(main, ["validate", "--sheet", "VNPT", str(path)])
    assert run.exit_code == 0, run.output
    assert "read 3 sectors from sheet(s) 'VNPT' (header row 1)" in run.output
    assert "'carrier (sheet name)'→carrier" in run.output
    missing = CliRunner().invoke(main, ["validate", "--layer", "Mobi", str(path)])
    assert missing.exit_code == 1 and "unreadable" in missing.output and "Mobi" in missing.output


def test_columns_not_used_are_in_the_log(caplog):
    path = ROOT / "tests/data/messy/v17_unused_columns.csv"
    with caplog.at_level("INFO", logger="covgap.io"):
        read_villages(path)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("'Số hộ gđ' was not used; did you mean households (Số hộ)?" in w for w in warnings)
    assert any("not used, kept as extra columns: 'Ghi chú'" in w for w in warnings)
    assert any("no households column" in w for w in warnings)
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "INFO")
    assert "columns not used (2): 'Số hộ gđ' (did you mean households (Số hộ)?), 'Ghi chú'" in info


def test_hidden_sheet_is_not_read_but_said(tmp_path):
    path = tmp_path / "sites.xlsx"
    write_report(path, {"VIETTEL": site_sheet(False), "VIETTEL (cũ)": site_sheet(True)})
    wb = openpyxl.load_workbook(path)
    wb["VIETTEL (cũ)"].sheet_state = "hidden"
    wb.save(path)
    kind, problems = validate_file(path)
    assert kind == "sites" and not [p for p in problems if p.severity == "error"]
    assert any("hidden sheet 'VIETTEL (cũ)' holds a table too" in p.message for p in problems)
    got = read_sites(path)
    assert len(got) == 3 and got.attrs["covgap_read"].sheets_skipped == (
        ("VIETTEL (cũ)", "hidden sheet"),
    )
    assert len(read_sites(path, layer="VIETTEL (cũ)")) == 3


def test_validate_without_kind_reads_the_cells_once(tmp_path, monkeypatch):
    import covgap.io.rawtables as raw

    path = tmp_path / "report.xlsx"
    write_report(path, {"Danh sách": report_grid()}, "D4:E4")
    calls = []
    real = raw.excel_grids
    monkeypatch.setattr(raw, "excel_grids", lambda *a: calls.append(a) or real(*a))
    found = check_file(path)
    assert found.kind == "villages" and found.summary.n_rows == 3 and len(calls) == 1
