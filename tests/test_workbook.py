"""The request workbook read back with openpyxl: sheets, headers, formats, safety."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from covgap.analysis import status
from covgap.analysis.priority import rank_villages
from covgap.io.positions import add_local_xy
from covgap.outputs.labels import label
from covgap.request.dossier import Dossier
from covgap.request.workbook import write_workbook

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1:A2)"]


def literal_dossier(synthetic: bool = True) -> Dossier:
    villages = pd.DataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4", "-5"],
            "name": [*HOSTILE[:3], "Bản Nậm Cuổi", HOSTILE[3]],
            "commune": ["Xã A"] * 5,
            "commune_2025": ["Xã Mới"] * 5,
            "district": ["Sìn Hồ"] * 5,
            "lon": [103.40, 103.41, 103.42, 103.43, 103.44],
            "lat": [22.30] * 5,
            "households": [100.0, 300.0, 50.0, 20.0, 70.0],
            "population": [500.0, 1500.0, 250.0, 90.0, 300.0],
            "grid_power": pd.array([True, True, True, False, True], dtype="boolean"),
            "especially_difficult": pd.array([False, True, True, False, pd.NA], dtype="boolean"),
            "coverage_class": ["white", "low_signal", "white", "white", "low_signal"],
            "rsrp_dbm": [-130.5, -110.25, float("nan"), -140.0, -108.0],
            "best_carrier": ["Viettel", "VNPT", None, "VNPT", "MobiFone"],
            "services": ["2G", "2G 3G 4G", "", "2G", "2G 4G"],
            "nearest_site_id": ["=S1", "S2", "S3", "S4", "S5"],
            "nearest_site_km": [5.0, 2.0, 40.0, 8.0, 3.0],
            "reason": ["blocked by a ridge"] * 5,
            "reason_vi": ["bị che khuất bởi dãy núi"] * 5,
        }
    )
    lists = {}
    for powered in (True, False):
        ranked = add_local_xy(rank_villages(villages, powered=powered))
        ranked["solution"] = "new_bts" if powered else "power_first"
        ranked["solution_text"] = "new BTS"
        ranked["solution_text_vi"] = "xây trạm BTS mới"
        lists[powered] = ranked
    impact = status.sunset_impact(villages)
    four = villages.assign(carrier="any", technology="4G", status=villages["coverage_class"])
    summaries = {
        by: status.coverage_summary(four, impact, by=by)
        for by in ("commune_2025", "commune", "district")
    }
    info = {
        "scenario": "=cmd|' /C calc'!A0", "synthetic": synthetic, "model": "test model",
        "thresholds": "covered ≥ -105 dBm", "covered_dbm": -105.0, "low_signal_dbm": -115.0,
        "location_probability": 0.5, "rx_height_m": 1.5, "max_range_km": 35.0,
        "dem": "dem.tif", "dem_resolution_m": 90.0, "date": "2026-01-01",
        "covgap_version": "0.1.0", "local_crs": "EPSG:9205",
        "local_crs_name": "VN-2000 / TM-3 103-00",
        "weights": {"per_100_households": 1.0, "per_1000_people": 1.0,
                    "especially_difficult": 1.0, "white": 2.0, "per_10_km": 1.0,
                    "max_km": 30.0, "white_first": True},
        "max_remote_km": 10.0, "max_diffraction_db": 6.0, "villages_analysed": 5,
    }  # fmt: skip
    return Dossier(lists[True], lists[False], four, impact, summaries, info)


@pytest.fixture(params=["vi", "en"])
def book(request, tmp_path):
    path = write_workbook(literal_dossier(), tmp_path / "dossier.xlsx", lang=request.param)
    return request.param, load_workbook(path)


def test_sheets_and_headers(book):
    lang, wb = book
    keys = ("appendix", "cover", "request", "unpowered", "sunset", "summary_commune_2025",
            "summary_commune", "summary_district")  # fmt: skip
    names = [label(f"sheet_{k}", lang) for k in keys]
    assert wb.sheetnames == names
    ws = wb[label("sheet_request", lang)]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == [label(k, lang) for k in ("rank", "priority_score", "village_id", "name")]
    assert label("commune_old", lang) in headers and label("commune_2025", lang) in headers
    assert label("easting_m", lang) in headers and label("northing_m", lang) in headers
    expected = {
        "vi": ("Thứ tự ưu tiên", "Tọa độ X – hướng Bắc (m)"),
        "en": ("Rank", "Northing (m)"),
    }
    assert expected[lang][0] in headers and expected[lang][1] in headers
    # one language only: the reason column appears once
    assert headers.count(label("reason", lang)) == 1
    assert all(c.font.bold for c in ws[1])


def test_layout_formats_and_print_setup(book):
    lang, wb = book
    ws = wb[label("sheet_request", lang)]
    assert ws.freeze_panes == "E2"
    last = ws.cell(row=1, column=ws.max_column).column_letter
    assert ws.auto_filter.ref == f"A1:{last}{len(literal_dossier().request) + 1}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    col = {c.value: c.column_letter for c in ws[1]}
    assert ws[f"{col[label('households', lang)]}2"].number_format == "#,##0"
    # the header says "(dBm)": the cells do not say it again
    assert ws[f"{col[label('rsrp_dbm', lang)]}2"].number_format == "0.0"
    assert ws[f"{col[label('nearest_site_km', lang)]}2"].number_format == "0.0"
    assert ws[f"{col[label('rank', lang)]}2"].value == 1
    assert ws[f"{col[label('coverage_class', lang)]}2"].value == label("white", lang)
    assert ws[f"{col[label('grid_power', lang)]}2"].value == label("yes", lang)
    summary = wb[label("sheet_summary_district", lang)]
    assert summary["A2"].value == "Sìn Hồ"
    assert summary[f"A{summary.max_row}"].value == label("total", lang)


def test_no_formula_from_user_text(book):
    _, wb = book
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    texts.append(cell.value)
    assert set(HOSTILE) <= set(texts)
    assert "=cmd|' /C calc'!A0" in texts and "=S1" in texts


def test_cover_stamps_parameters_and_synthetic_flag(book):
    lang, wb = book
    ws = wb[label("sheet_cover", lang)]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert label("synthetic_notice", lang) in values
    assert "VN-2000 / TM-3 103-00 (EPSG:9205)" in values
    assert "dem.tif" in values and "0.1.0" in values and 1.5 in values
    assert any(str(v).startswith(label("priority_formula_text", lang)[:5]) for v in values)


def test_real_data_has_no_synthetic_banner(tmp_path):
    path = write_workbook(literal_dossier(synthetic=False), tmp_path / "d.xlsx", lang="en")
    values = [c.value for row in load_workbook(path).worksheets[0].iter_rows() for c in row]
    assert label("synthetic_notice", "en") not in values


def test_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "dossier.xlsx"
    path.write_bytes(b"old")
    from openpyxl import Workbook

    def boom(self, filename):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", boom)
    with pytest.raises(OSError):
        write_workbook(literal_dossier(), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["dossier.xlsx"]


def test_spare_page_width_goes_to_wrapped_text(tmp_path):
    from openpyxl import Workbook

    from covgap.request.workbook import PAGE_WIDTH, _write_table

    long = "bị che khuất bởi dãy núi cao 1.164 m cách thôn 0,1 km (cách trạm VTL-LC0246 4,9 km)"
    table = pd.DataFrame({"village_id": ["V1", "V2"], "reason_vi": [long, "ngắn"]})
    ws = Workbook().active
    _write_table(ws, table, "vi", freeze="B2")
    widths = [ws.column_dimensions[c].width for c in "AB"]
    assert widths[1] > 30.0  # wider than the usual text column: one line fewer
    assert sum(widths) <= PAGE_WIDTH
    assert ws.row_dimensions[2].height == 14.5 * 2  # the long reason takes 2 lines, not 3


def test_sunset_sheet_says_the_date_once(book):
    lang, wb = book
    ws = wb[label("sheet_sunset", lang)]
    header = [c.value for c in ws[1]]
    sunset = [r[header.index(label("sunset", lang))] for r in ws.iter_rows(min_row=2,
              values_only=True)]  # fmt: skip
    dates = [r[header.index(label("no_service_from", lang))] for r in ws.iter_rows(min_row=2,
             values_only=True)]  # fmt: skip
    assert sunset and set(sunset) <= {label("2g_only_short", lang), label("2g_3g_only_short", lang)}
    assert set(dates) <= {"09/2026", "09/2028"}
