"""Write the corpus of messy village and site files that ``tests/test_io_messy.py`` reads.

Each file is made the way a provincial office or a carrier writes it (title rows, merged
two-row headers, STT columns, total rows, signature blocks, one sheet per carrier,
Windows-1258, UTF-16, semicolons with decimal commas, DMS positions, VN-2000 metres,
thousands separators...), from rows of the bundled sample, so that the reading each must
give is known: ``truth_villages.csv`` and ``truth_sites.csv`` hold those rows in
canonical form, and ``EXPECTED.toml`` says, file by file, what covgap must read (or
refuse, and where).

Run from the repository root: ``python tests/data/messy/make_messy.py``. The output is
deterministic (fixed rows, no randomness, fixed workbook timestamps).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from pyproj import Transformer

from covgap.sample.writers import _fixed_zip

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXED_TIME = dt.datetime(2025, 6, 1, 8, 0, 0)

V_COLS = ["village_id", "name", "commune", "district", "lon", "lat", "elevation_m",
          "households", "population", "grid_power", "especially_difficult"]  # fmt: skip
S_COLS = ["site_id", "sector_id", "carrier", "lon", "lat", "height_m", "technology",
          "freq_mhz", "azimuth_deg", "tilt_deg"]  # fmt: skip
VI = {
    "village_id": "Mã thôn",
    "name": "Tên thôn/bản",
    "commune": "Xã",
    "district": "Huyện",
    "lon": "Kinh độ",
    "lat": "Vĩ độ",
    "elevation_m": "Độ cao (m)",
    "households": "Số hộ",
    "population": "Nhân khẩu",
    "grid_power": "Điện lưới",
    "especially_difficult": "Đặc biệt khó khăn",
}
SITE_VI = {
    "site_id": "Mã trạm",
    "sector_id": "Mã cell",
    "carrier": "Nhà mạng",
    "lon": "Kinh độ",
    "lat": "Vĩ độ",
    "height_m": "Độ cao anten (m)",
    "technology": "Công nghệ",
    "freq_mhz": "Băng tần (MHz)",
    "azimuth_deg": "Góc phương vị",
    "tilt_deg": "Tilt (độ)",
}


# -------------------------------------------------------------------------------- truth
def truth_villages() -> pd.DataFrame:
    """100 sample villages: the 17 with 1,000 people or more and the first 83 others."""
    v = pd.read_csv(ROOT / "data/villages/villages.csv", dtype={"village_id": str})
    big = v.index[v["population"] >= 1000]
    rest = v.index[v["population"] < 1000][: 100 - len(big)]
    return v.loc[sorted([*big, *rest]), V_COLS].reset_index(drop=True)


def truth_sites() -> pd.DataFrame:
    """Every sector of the first 6 sites of each carrier, carrier by carrier."""
    s = pd.read_csv(ROOT / "data/bts_sites/sites.csv")
    parts = []
    for carrier in ("Viettel", "VNPT", "MobiFone"):
        mine = s[s["carrier"] == carrier]
        parts.append(mine[mine["site_id"].isin(mine["site_id"].unique()[:6])])
    return pd.concat(parts)[S_COLS].reset_index(drop=True)


# ------------------------------------------------------------------------------ helpers
def vi_thousands(n: float) -> str:
    return f"{int(n):,}".replace(",", ".")


def dms(value: float, pos: str, neg: str, style: str) -> str:
    hemi = pos if value >= 0 else neg
    value = abs(value)
    d = int(value)
    m_float = (value - d) * 60
    m = int(m_float)
    s = round((m_float - m) * 60, 2)
    if s >= 60:
        m, s = m + 1, s - 60
    if style == "symbols":
        return f"{d}°{m:02d}'{s:05.2f}\"{hemi}"
    if style == "primes":
        return f"{d}°{m:02d}′{s:05.2f}″"
    if style == "spaces":
        return f"{d} {m:02d} {s:05.2f}"
    if style == "ddm":
        return f"{hemi} {d}°{m_float:07.4f}'"
    raise ValueError(style)


def cp1258_form(text: str) -> str:
    """Text as Windows-1258 stores it: base letters + combining tone marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


def yes_no(values: pd.Series, yes: str = "Có", no: str = "Không") -> pd.Series:
    return values.map({"yes": yes, "no": no})


def vi_villages(v: pd.DataFrame) -> pd.DataFrame:
    out = v.rename(columns=VI).copy()
    out["Điện lưới"] = yes_no(v["grid_power"])
    out["Đặc biệt khó khăn"] = yes_no(v["especially_difficult"])
    return out


def to_grid(v: pd.DataFrame, crs: str) -> tuple[np.ndarray, np.ndarray]:
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = fwd.transform(v["lon"].to_numpy(), v["lat"].to_numpy())
    return np.round(x, 2), np.round(y, 2)


def save(wb: openpyxl.Workbook, name: str) -> None:
    """Save byte for byte the same on every run (fixed zip entry times and properties)."""
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    (HERE / name).write_bytes(_fixed_zip(buffer.getvalue()))


def csv(frame: pd.DataFrame, name: str, **kw) -> None:
    frame.to_csv(HERE / name, index=False, lineterminator="\n", **kw)


def report_sheet(
    ws,
    frame: pd.DataFrame,
    groups: dict[str, list[str]],
    *,
    title: str,
    total: dict[str, object] | None = None,
    numbers_row: bool = True,
) -> int:
    """Write a provincial report: titles, STT, a 2-row merged header, totals, signatures.

    ``groups`` maps a parent header to the child columns merged under it. Returns the
    sheet row of the first data row.
    """
    width = len(frame.columns) + 1
    last = openpyxl.utils.get_column_letter(width)
    titles = ["UBND TỈNH LAI CHÂU", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "", title]
    for r, text in enumerate([*titles, "(Kèm theo báo cáo số 125/BC-STTTT)"], start=1):
        if text:
            ws.cell(r, 1, text).font = Font(bold=r in (1, 4))
            ws.merge_cells(f"A{r}:{last}{r}")
            ws.cell(r, 1).alignment = Alignment(horizontal="center")
    top, low = 6, 7
    ws.cell(top, 1, "STT")
    ws.merge_cells(start_row=top, start_column=1, end_row=low, end_column=1)
    child_of = {c: p for p, cs in groups.items() for c in cs}
    col = 2
    columns = list(frame.columns)
    while col - 2 < len(columns):
        name = columns[col - 2]
        if name in child_of:
            parent = child_of[name]
            span = len(groups[parent])
            ws.cell(top, col, parent)
            ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
            for k, child in enumerate(groups[parent]):
                ws.cell(low, col + k, child)
            col += span
        else:
            ws.cell(top, col, name)
            ws.merge_cells(start_row=top, start_column=col, end_row=low, end_column=col)
            col += 1
    row = low + 1
    if numbers_row:
        for j in range(width):
            ws.cell(row, j + 1, f"({j + 1})")
        row += 1
    first = row
    for i, values in enumerate(frame.itertuples(index=False), start=1):
        ws.cell(row, 1, i)
        for j, value in enumerate(values):
            if not (isinstance(value, float) and np.isnan(value)):
                ws.cell(row, j + 2, value.item() if hasattr(value, "item") else value)
        row += 1
    if total is not None:
        for name, value in total.items():
            ws.cell(row, columns.index(name) + 2, value)
        row += 1
    row += 1
    ws.cell(row, 2, "Người lập biểu")
    ws.cell(row, width - 1, "TM. ỦY BAN NHÂN DÂN")
    ws.cell(row + 1, 2, "(Ký, ghi rõ họ tên)")
    ws.cell(row + 1, width - 1, "KT. CHỦ TỊCH")
    ws.cell(row + 4, 2, "Nguyễn Văn A")
    return first


# ------------------------------------------------------------------------------ villages
def villages(v: pd.DataFrame) -> None:
    vi = vi_villages(v)
    units = vi.rename(
        columns={
            "Kinh độ": "Kinh độ (°)",
            "Vĩ độ": "Vĩ độ (°)",
            "Số hộ": "Số hộ gia đình",
            "Nhân khẩu": "Số nhân khẩu (người)",
            "Điện lưới": "Điện lưới (Có/Không)",
            "Đặc biệt khó khăn": "Thôn ĐBKK (x)",
        }
    )
    units["Thôn ĐBKK (x)"] = v["especially_difficult"].map({"yes": "x", "no": ""})
    csv(units, "v01_vi_headers_units.csv")

    t = vi.copy()
    t["Nhân khẩu"] = v["population"].map(vi_thousands)
    csv(t, "v02_thousands_vi.csv")
    t["Nhân khẩu"] = v["population"].map(lambda n: f"{int(n):,}")
    csv(t, "v03_thousands_en.csv")
    t["Nhân khẩu"] = [f"{int(n):,}".replace(",", " " if i % 2 else "\u00a0") for i, n in
                      enumerate(v["population"])]  # fmt: skip
    csv(t, "v04_thousands_space.csv")
    t = vi.copy().astype({"Nhân khẩu": object})
    t["Nhân khẩu"] = v["population"].map(vi_thousands)
    t.loc[4, "Nhân khẩu"] = "317,5"
    t.loc[9, "Nhân khẩu"] = "12.75"
    csv(t, "v05_ambiguous_counts.csv")

    text = vi.to_csv(index=False, lineterminator="\r\n")
    (HERE / "v06_cp1258.csv").write_bytes(cp1258_form(text).encode("cp1258"))
    csv(vi, "v07_semicolon_decimal_comma.csv", sep=";", decimal=",")
    text = vi.to_csv(index=False, sep="\t", lineterminator="\r\n")
    (HERE / "v08_utf16_tab.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    report = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    report.insert(4, "Kinh độ", vi["Kinh độ"])
    report.insert(5, "Vĩ độ", vi["Vĩ độ"])
    report_sheet(
        ws,
        report,
        {"Tọa độ": ["Kinh độ", "Vĩ độ"], "Dân số": ["Số hộ", "Nhân khẩu"]},
        title="DANH SÁCH THÔN BẢN CHƯA CÓ SÓNG DI ĐỘNG",
        total={
            "Tên thôn/bản": "Tổng cộng",
            "Số hộ": int(v["households"].sum()),
            "Nhân khẩu": int(v["population"].sum()),
        },
    )
    save(wb, "v09_report.xlsx")

    wb = openpyxl.Workbook()
    wb.active.title = "Ghi chú"
    wb.active["A1"] = "Số liệu do các huyện báo cáo, tháng 5/2025"
    for district, part in vi.groupby("Huyện", sort=False):
        ws = wb.create_sheet(district[:31])
        report_sheet(
            ws,
            part.drop(columns="Huyện"),
            {"Tọa độ": ["Kinh độ", "Vĩ độ"]},
            title=f"DANH SÁCH THÔN BẢN HUYỆN {district.upper()}",
            total={"Tên thôn/bản": "Cộng", "Số hộ": int(part["Số hộ"].sum())},
            numbers_row=False,
        )
    ws = wb.create_sheet("Tổng hợp")
    ws.append(["Huyện", "Số thôn"])
    for district, part in vi.groupby("Huyện", sort=False):
        ws.append([district, len(part)])
    save(wb, "v10_district_sheets.xlsx")

    for name, style in (("v11_dms_symbols.csv", "symbols"), ("v12_dms_spaces.csv", "spaces"),
                        ("v13_ddm_primes.csv", "ddm")):  # fmt: skip
        t = vi.copy()
        t["Kinh độ"] = [dms(x, "E", "W", style) for x in v["lon"]]
        t["Vĩ độ"] = [dms(y, "N", "S", "primes" if style == "ddm" else style) for y in v["lat"]]
        csv(t, name)

    x, y = to_grid(v, "EPSG:9205")
    t = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    t.insert(4, "X (VN-2000)", y)  # Vietnamese survey habit: X is the northing
    t.insert(5, "Y (VN-2000)", x)
    csv(t, "v14_vn2000_headers.csv")
    t = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    t.insert(4, "Tọa độ X (m)", x)
    t.insert(5, "Tọa độ Y (m)", y)
    csv(t, "v15_toa_do_m.csv")
    ux, uy = to_grid(v, "EPSG:32648")
    t = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    t.insert(4, "Easting (UTM 48N)", ux)
    t.insert(5, "Northing (UTM 48N)", uy)
    csv(t, "v16_utm48n.csv")

    t = vi.rename(columns={"Số hộ": "Số hộ gđ"})
    t["Ghi chú"] = ["Chưa có sóng" if i % 3 == 0 else "" for i in range(len(t))]
    csv(t, "v17_unused_columns.csv")
    csv(vi[["Mã thôn", "Tên thôn/bản", "Kinh độ", "Vĩ độ"]], "v18_missing_optional.csv")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Thôn bản"
    ws.append(list(vi.columns))
    for i, row in enumerate(vi.itertuples(index=False)):
        values = [x.item() if hasattr(x, "item") else x for x in row]
        pop = int(v["population"].iloc[i])
        values[list(vi.columns).index("Nhân khẩu")] = vi_thousands(pop) if pop >= 1000 else pop
        ws.append(values)
    save(wb, "v19_counts_text_and_numbers.xlsx")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    bad = report.astype({"Số hộ": object})
    bad.loc[3, "Số hộ"] = "mười"
    first = report_sheet(ws, bad, {"Tọa độ": ["Kinh độ", "Vĩ độ"]}, title="DANH SÁCH THÔN BẢN")
    assert first + 3 == 12  # the bad cell sits on sheet row 12 (EXPECTED.toml)
    save(wb, "v20_report_bad_cell.xlsx")

    lines = ["UBND TỈNH LAI CHÂU" + "," * 10, "DANH SÁCH THÔN BẢN" + "," * 10, ""]
    body = vi.to_csv(index=False, lineterminator="\n").splitlines()
    total = ["", "Tổng cộng", "", "", "", "", "", str(int(v["households"].sum())), "", "", ""]
    footer = ["", "Người lập biểu", "", "", "", "", "", "", "Giám đốc", "", ""]
    text = "\n".join([*lines, *body, ",".join(total), "", ",".join(footer)]) + "\n"
    (HERE / "v21_report.csv").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "In"
    ws.append(["DANH SÁCH THÔN BẢN (bản in)"])
    ws.append([])
    for k, start in enumerate(range(0, len(vi), 40)):
        if k:
            ws.append([])
        ws.append(list(vi.columns))
        for row in vi.iloc[start : start + 40].itertuples(index=False):
            ws.append([x.item() if hasattr(x, "item") else x for x in row])
    save(wb, "v22_repeated_headers.xlsx")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    report_sheet(ws, report.drop(columns="Mã thôn"), {"Tọa độ": ["Kinh độ", "Vĩ độ"]},
                 title="DANH SÁCH THÔN BẢN")  # fmt: skip
    save(wb, "v23_report_without_id.xlsx")

    gx, gy = Transformer.from_crs("EPSG:4326", "EPSG:4756", always_xy=True).transform(
        v["lon"].to_numpy(), v["lat"].to_numpy()
    )
    t = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    t.insert(4, "Kinh độ (VN-2000)", np.round(gx, 7))
    t.insert(5, "Vĩ độ (VN-2000)", np.round(gy, 7))
    csv(t, "v24_vn2000_degrees.csv")

    sections(vi)

    t = vi.copy()
    t["Kinh độ"], t["Vĩ độ"] = vi["Vĩ độ"], vi["Kinh độ"]
    t = t.rename(columns={"Kinh độ": "Vĩ độ", "Vĩ độ": "Kinh độ"})
    csv(t, "v25_lat_before_lon.csv")


def sections(vi: pd.DataFrame) -> None:
    """Report grouped by district (I, II... in STT) and commune (a lone "Xã ..." cell)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Theo huyện"
    ws.append(["BÁO CÁO THÔN BẢN VÙNG LÕM SÓNG"])
    ws.merge_cells("A1:K1")
    ws.append([])
    columns = [c for c in vi.columns if c not in ("Huyện", "Xã")]
    ws.append(["STT", *columns])
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    n = 0
    for k, (district, part) in enumerate(vi.groupby("Huyện", sort=False)):
        ws.append([roman[k], f"Huyện {district}"])
        for commune, rows in part.groupby("Xã", sort=False):
            ws.append([None, None, commune if commune.startswith(("Xã", "Phường", "Thị trấn"))
                       else f"Xã {commune}"])  # fmt: skip
            for row in rows[columns].itertuples(index=False):
                n += 1
                ws.append([n, *(x.item() if hasattr(x, "item") else x for x in row)])
    ws.append(["Tổng cộng", None, None, None, None, None, int(vi["Số hộ"].sum())])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=3)
    save(wb, "v26_sections.xlsx")


# --------------------------------------------------------------------------------- sites
def vi_sites(s: pd.DataFrame) -> pd.DataFrame:
    return s.rename(columns=SITE_VI)


def sites(s: pd.DataFrame) -> None:
    vi = vi_sites(s)
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active["A1"] = "Mỗi nhà mạng một trang"
    for carrier, sheet in (("Viettel", "VIETTEL"), ("VNPT", "Vinaphone"), ("MobiFone", "Mobifone")):
        ws = wb.create_sheet(sheet)
        part = vi[s["carrier"] == carrier].drop(columns="Nhà mạng")
        ws.append(list(part.columns))
        for row in part.itertuples(index=False):
            ws.append([x.item() if hasattr(x, "item") else x for x in row])
    save(wb, "s01_sheet_per_carrier.xlsx")

    t = vi.copy()
    ground = (800 + (np.arange(len(s)) * 37) % 1500).astype(float)
    t.insert(5, "Độ cao (m)", ground)
    csv(t, "s02_ground_elevation_first.csv")

    t = vi.drop(columns="Tilt (độ)")
    elec = np.minimum(2.0, s["tilt_deg"].to_numpy())
    t["Tilt cơ (độ)"] = s["tilt_deg"].to_numpy() - elec
    t["Tilt điện (độ)"] = elec
    csv(t, "s03_tilt_split.csv")

    t = vi.copy().astype({"Nhà mạng": object, "Công nghệ": object, "Băng tần (MHz)": object})
    t["Nhà mạng"] = s["carrier"].map(
        {"Viettel": "VIETTEL", "VNPT": "Vinaphone", "MobiFone": "Mobifone"}
    )
    tech = {"2G": ["GSM", "2G"], "3G": ["WCDMA", "UMTS"], "4G": ["LTE", "4G LTE"]}
    t["Công nghệ"] = [tech[x][i % 2] for i, x in enumerate(s["technology"])]
    band = {900: ["900 MHz", "GSM900"], 1800: ["B3", "LTE1800"], 2100: ["2100MHz", "B1"],
            2600: ["B7", "2600 MHz"]}  # fmt: skip
    t["Băng tần (MHz)"] = [band[f][i % 2] if f != 1800 or i % 3 else "1800MHz"
                           for i, f in enumerate(s["freq_mhz"])]  # fmt: skip
    csv(t, "s04_spellings.csv")

    t = vi.copy()
    t["Kinh độ"] = [dms(x, "E", "W", "symbols") for x in s["lon"]]
    t["Vĩ độ"] = [dms(y, "N", "S", "symbols") for y in s["lat"]]
    csv(t, "s05_dms.csv")

    x, y = to_grid(s, "EPSG:9205")
    t = vi.drop(columns=["Kinh độ", "Vĩ độ"])
    t.insert(3, "X", y)
    t.insert(4, "Y", x)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Trạm BTS"
    report_sheet(ws, t, {"Tọa độ VN-2000": ["X", "Y"]}, title="DANH SÁCH TRẠM BTS",
                 numbers_row=False)  # fmt: skip
    save(wb, "s06_vn2000_report.xlsx")

    t = vi.rename(columns={"Độ cao anten (m)": "Độ cao (m)"})
    csv(t, "s07_only_ground_elevation.csv")

    t = vi.rename(columns={"Độ cao anten (m)": "Độ cao (m)", "Tilt (độ)": "Tilt"})
    t = t[[c for c in t.columns if c not in ("Độ cao (m)", "Góc phương vị", "Tilt")]
          + ["Độ cao (m)", "Góc phương vị", "Tilt"]]  # fmt: skip
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cell"
    report_sheet(ws, t, {"Anten": ["Độ cao (m)", "Góc phương vị", "Tilt"]},
                 title="THỐNG KÊ TRẠM BTS", numbers_row=False)  # fmt: skip
    save(wb, "s08_report_antenna_group.xlsx")

    t = vi.rename(columns={"Độ cao anten (m)": "Chiều cao anten"})
    t.insert(5, "Cao độ", (600 + np.arange(len(s)) * 11.0))
    text = t.to_csv(index=False, sep="\t", lineterminator="\r\n")
    (HERE / "s09_utf16_tab.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


def main() -> None:
    v, s = truth_villages(), truth_sites()
    csv(v, "truth_villages.csv")
    csv(s, "truth_sites.csv")
    villages(v)
    sites(s)


if __name__ == "__main__":
    main()
