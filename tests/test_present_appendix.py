"""The printed appendix: the request list as an official attachment to a letter.

The first group reads the workbook back with openpyxl; the second prints the bundled
sample's workbook with LibreOffice and reads the PDF (``pdftotext``), as a person would
see it. The second group is skipped, with the reason, where LibreOffice or poppler is
not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from covgap.outputs.labels import label
from covgap.request.appendix import (
    APPENDIX_COLUMNS,
    Letter,
    appendix_table,
    vietnamese_date,
)
from covgap.request.workbook import write_workbook

sys.path.insert(0, str(Path(__file__).parent))
from test_workbook import literal_dossier


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def _header_row(ws) -> int:
    for row in ws.iter_rows():
        if row[0].value == label("appendix_no", "vi"):
            return row[0].row
    raise AssertionError("no header row")


@pytest.fixture
def appendix(tmp_path):
    path = write_workbook(literal_dossier(), tmp_path / "d.xlsx", lang="vi")
    return load_workbook(path).worksheets[0]


def test_vietnamese_date():
    assert vietnamese_date(date(2026, 12, 2)) == "ngày 2 tháng 12 năm 2026"
    assert vietnamese_date("2026-01-09T10:00:00") == "ngày 9 tháng 1 năm 2026"
    assert vietnamese_date(None) == "ngày … tháng … năm …"
    assert vietnamese_date(date(2026, 12, 2), "en") == "2 December 2026"


def test_first_sheet_reads_as_an_official_appendix(appendix):
    ws = appendix
    assert ws.title == "Phụ lục"
    texts = _texts(ws)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert "PHỤ LỤC" in texts
    # nothing given: dots to fill in by hand, no agency
    assert "(Kèm theo Công văn số …/… ngày … tháng … năm …)" in texts
    assert ws["A1"].value is None and ws["A2"].value is None
    assert label("synthetic_notice", "vi") in texts
    # signatures, with the dossier's date in words
    for text in ("NGƯỜI LẬP BIỂU", "GIÁM ĐỐC", "Lai Châu, ngày 1 tháng 1 năm 2026"):
        assert text in texts
    assert texts.count("(Ký, ghi rõ họ tên)") == 2


def test_letter_number_date_and_agency(tmp_path):
    letter = Letter(
        agency="UBND TỈNH LAI CHÂU / SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        number="125/SKHCN-BCVT",
        date=date(2026, 12, 2),
    )
    path = write_workbook(literal_dossier(), tmp_path / "d.xlsx", letter=letter)
    ws = load_workbook(path).worksheets[0]
    assert ws["A1"].value == "UBND TỈNH LAI CHÂU"
    assert ws["A2"].value == "SỞ KHOA HỌC VÀ CÔNG NGHỆ" and ws["A2"].font.b
    assert (
        "(Kèm theo Công văn số 125/SKHCN-BCVT ngày 2 tháng 12 năm 2026 "
        "của SỞ KHOA HỌC VÀ CÔNG NGHỆ)" in _texts(ws)
    )


def test_list_columns_totals_and_formats(appendix):
    ws = appendix
    head = _header_row(ws)
    headers = [c.value for c in ws[head]][: len(APPENDIX_COLUMNS)]
    assert headers == [label(k, "vi") for k, _, _ in APPENDIX_COLUMNS]
    request = literal_dossier().request
    rows = list(ws.iter_rows(min_row=head + 1, max_row=head + len(request), values_only=True))
    assert [r[0] for r in rows] == list(range(1, len(request) + 1))
    assert [r[1] for r in rows] == request["name"].tolist()
    # the 07/2025 unit, the former commune in brackets
    assert rows[0][2] == "Xã Mới (Xã A)"
    assert {r[6] for r in rows} <= {"Vùng trắng", "Vùng lõm"}
    assert rows[0][8] == "Xây trạm BTS mới"  # a cell reads as a sentence
    total = [c.value for c in ws[head + len(request) + 1]]
    assert total[0] == f"Tổng cộng: {len(request)} thôn, bản"
    assert total[4] == request["households"].sum() and total[5] == request["population"].sum()
    # Vietnamese number formats (LibreOffice: 1.234 and -121,2); no unit twice
    cell = ws.cell(row=head + 1, column=5)
    assert cell.number_format == "[$-42A]#,##0"
    assert ws.cell(row=head + 1, column=8).number_format == "[$-42A]0.0"
    # every text of the list at 8 pt or more, repeated header row, A4 landscape, page numbers
    for row in ws.iter_rows(min_row=head):
        for c in row:
            if c.value is not None:
                assert c.font.sz >= 8, c.coordinate
    assert ws.print_title_rows == f"${head}:${head}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.oddFooter.center.text == "Trang &P/&N"
    sign = max(c.row for row in ws.iter_rows() for c in row if c.value == "(Ký, ghi rõ họ tên)")
    last = int(ws.print_area.rsplit("$", 1)[1])
    assert ws.print_area.startswith("'Phụ lục'!$A$1:$I$") and last >= sign + 3  # room to sign


def test_english_appendix(tmp_path):
    path = write_workbook(literal_dossier(), tmp_path / "d.xlsx", lang="en")
    ws = load_workbook(path).worksheets[0]
    texts = _texts(ws)
    assert ws.title == "Appendix" and "SOCIALIST REPUBLIC OF VIETNAM" in texts
    assert "Lai Châu, 1 January 2026" in texts
    assert ws.cell(row=_header_row_en(ws) + 1, column=5).number_format == "[$-409]#,##0"


def _header_row_en(ws) -> int:
    return next(r[0].row for r in ws.iter_rows() if r[0].value == label("appendix_no", "en"))


def test_commune_without_crosswalk_is_the_former_one():
    request = literal_dossier().request.drop(columns="commune_2025")
    assert appendix_table(request)["appendix_commune"].eq("Xã A").all()


def test_cover_gives_households_and_people(tmp_path):
    path = write_workbook(literal_dossier(), tmp_path / "d.xlsx", lang="vi")
    cover = load_workbook(path)[label("sheet_cover", "vi")]
    pairs = {r[0]: r[1] for r in cover.iter_rows(values_only=True) if r[0]}
    request = literal_dossier().request
    households = f"{request['households'].sum():,.0f}".replace(",", ".")
    assert pairs[label("request_households", "vi")] == households
    assert pairs[label("request_population", "vi")] == "2.550"


# --------------------------------------------------------------------------- printed
_MISSING = [t for t in ("libreoffice", "pdftotext", "pdfinfo") if shutil.which(t) is None]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The sample's dossier workbook printed to PDF by LibreOffice: (pages' texts, pdf)."""
    if _MISSING:
        pytest.skip(f"printing needs LibreOffice and poppler-utils; missing: {_MISSING}")
    from covgap.pipeline import run
    from covgap.request.dossier import build_dossier

    folder = tmp_path_factory.mktemp("printed")
    dossier = build_dossier(run())
    xlsx = write_workbook(dossier, folder / "request_dossier.xlsx", lang="vi")
    profile = (folder / "lo_profile").as_uri()
    subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation={profile}",
         "--convert-to", "pdf", "--outdir", str(folder), str(xlsx)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = folder / "request_dossier.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    texts = [
        subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                       capture_output=True, text=True, check=True).stdout
        for i in range(1, pages + 1)
    ]  # fmt: skip
    return dossier, texts, pdf


@pytest.mark.slow
def test_printed_first_page_is_the_official_appendix(printed):
    _, texts, _ = printed
    first = " ".join(texts[0].split())
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "PHỤ LỤC", "Kèm theo Công văn số …/… ngày … tháng … năm …",
                 "STT", "Thôn, bản", "Giải pháp đề xuất", "Trang 1/"):  # fmt: skip
        assert text in first, text


@pytest.mark.slow
def test_printed_list_fits_six_pages_with_totals_and_signatures(printed):
    dossier, texts, _ = printed
    last = next(i for i, t in enumerate(texts) if "(Ký, ghi rõ họ tên)" in t)
    assert last + 1 <= 6, f"the appendix prints on {last + 1} pages"
    # every page of the list repeats the header row and is numbered
    for i in range(last + 1):
        assert "STT" in texts[i] and f"Trang {i + 1}/{len(texts)}" in texts[i]
    end = " ".join(texts[last].split())
    n = len(dossier.request)
    households = f"{dossier.request['households'].sum():,.0f}".replace(",", ".")
    assert f"Tổng cộng: {n} thôn, bản {households}" in end
    assert "NGƯỜI LẬP BIỂU" in end and "GIÁM ĐỐC" in end
    # the totals and the signatures are on the same page
    assert "Tổng cộng" in texts[last]
    # every village is printed once, in order
    names = dossier.request["name"].tolist()
    body = "\n".join(texts[: last + 1])
    positions = [body.find(f" {name} ") for name in names]
    assert -1 not in positions, [n for n, p in zip(names, positions, strict=True) if p < 0]


@pytest.mark.slow
def test_printed_list_is_at_least_8_pt(printed):
    """Word heights in the PDF: Liberation Serif/Times draws 8 pt text 10.4 pt high."""
    _, texts, pdf = printed
    last = next(i for i, t in enumerate(texts) if "(Ký, ghi rõ họ tên)" in t)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", str(last + 1), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)<', bbox)
    villages = set(" ".join(printed[0].request["name"]).split())
    heights = [float(b) - float(a) for a, b, w in words if w in villages]
    assert len(heights) > 100
    assert min(heights) >= 8 * 1.29, min(heights)


@pytest.mark.slow
def test_printed_numbers_are_vietnamese(printed):
    dossier, texts, _ = printed
    body = "\n".join(texts[:6])
    first = dossier.request.iloc[0]
    rsrp = f"{first['rsrp_dbm']:.1f}".replace(".", ",")
    assert rsrp in body
    assert not re.search(r"\d\.\d dBm", body)
