"""The request workbook: an Excel file a province can attach to its letter.

:func:`write_workbook` writes, in Vietnamese (default) or English, first the printed
appendix (:mod:`covgap.request.appendix`: agency and national motto, "Phụ lục … kèm theo
Công văn số …", the short list at 10 pt on A4 landscape, totals, signatures), then a cover
sheet stamped with the scenario's parameters (so the list can be defended later), the
ranked request list with every column, the unpowered list, the 2G/3G switch-off list
and summaries by commune and former district. Every table has a bold frozen header,
column widths, number formats, an autofilter, print titles and an A4 landscape page
set-up fitted to the page width.

Text that comes from input files (village names, ids, scenario names) never becomes a
formula: a string starting with ``=``, ``+``, ``-`` or ``@`` is stored as text with
Excel's quote prefix. The file is written under a temporary name and moved into place,
so a failure never leaves a half-written workbook.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..io.atomic import atomic_path
from ..io.locale import check_lang
from ..outputs.labels import label
from ._cells import FORMULA_PREFIXES, _lines, _missing, _plain, set_text_safe
from .appendix import Letter, write_appendix

if TYPE_CHECKING:
    from .dossier import Dossier

__all__ = ["FORMULA_PREFIXES", "display_table", "write_workbook"]

logger = logging.getLogger(__name__)

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WARN_FONT = Font(bold=True, color="FFFFFF", size=13)
_WARN_FILL = PatternFill("solid", fgColor="C0392B")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_LEFT_WRAP = Alignment(wrap_text=True, vertical="top", horizontal="left")
#: Columns whose values are labels of :data:`covgap.outputs.labels.LABELS`.
_VALUE_LABELS = ("coverage_class", "status", "solution", "sunset", "carrier", "best_carrier")
#: Header key overrides: the old units are named as such.
_HEADER_KEYS = {"commune": "commune_old", "district": "district_old"}
_WIDE_TEXT = ("reason", "reason_vi", "solution_text", "solution_text_vi")
#: Columns of the lists left out of the workbook (in the CSV and GeoPackage, and said in
#: words by ``solution_text``), so that a printed page stays legible.
_THIN = Side(style="thin", color="999999")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TEXT_WIDTH = 30.0
#: Width (Excel characters) a table may take on an A4 landscape page at about 100 %.
PAGE_WIDTH = 140.0
_MAX_WIDTH = 18
_NOT_IN_WORKBOOK = ("solution_site_id", "solution_carrier", "solution_km", "solution_rsrp_dbm")


def _number_format(key: str) -> str | None:
    """Excel number format of a column (``None``: general)."""
    if key == "rank":
        return "0"
    if key == "priority_score":
        return "0.00"
    if key.endswith("_dbm"):
        return "0.0"  # the header says "(dBm)"
    if key.endswith("_km"):
        return "0.0"
    if key in ("lon", "lat"):
        return "0.000000"
    if key in ("easting_m", "northing_m"):
        return "0.0"
    if key.startswith(("villages", "households", "population")):
        return "#,##0"
    return None


def display_table(table: pd.DataFrame, lang: str = "vi") -> tuple[pd.DataFrame, list[str]]:
    """Human-facing version of a dossier table: one language, labels for coded values.

    Parameters
    ----------
    table
        A dossier table (request list, switch-off list, summary).
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    tuple
        The table with translated values and booleans (column names unchanged), and the
        label keys of its headers.
    """
    check_lang(lang)
    other = {"vi": ("reason", "solution_text"), "en": ("reason_vi", "solution_text_vi")}[lang]
    drop = [c for c in (*other, *_NOT_IN_WORKBOOK) if c in table]
    out = table.drop(columns=drop).copy()
    for col in _VALUE_LABELS:
        if col in out:
            out[col] = out[col].map(lambda v: v if pd.isna(v) else label(str(v), lang))
    if "sunset" in table and "no_service_from" in table:  # the date has its own column
        out["sunset"] = table["sunset"].map(
            lambda v: v if pd.isna(v) else label(f"{v}_short", lang)
        )
    for col in ("grid_power", "especially_difficult", "usable", "los"):
        if col in out:
            out[col] = (
                out[col]
                .astype("boolean")
                .map(lambda v: label("unknown" if pd.isna(v) else ("yes" if v else "no"), lang))
            )
    for col in out.columns[:2]:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].replace({"Total": label("total", lang)})
    keys = [_HEADER_KEYS.get(c, c) for c in out.columns]
    if lang == "vi":
        keys = ["reason" if k == "reason_vi" else k for k in keys]
        keys = ["solution_text" if k == "solution_text_vi" else k for k in keys]
    return out, keys


def _width(header: str, values: pd.Series, key: str) -> float:
    """Column width in characters: the longest header word or value, within limits."""
    if key in _WIDE_TEXT:
        return _TEXT_WIDTH
    longest_word = max((len(w) for w in header.split()), default=6)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        fmt = _number_format(key) or "0.0"
        decimals = len(fmt.split(".")[1].split('"')[0]) if "." in fmt else 0
        biggest = float(values.abs().max()) if values.notna().any() else 0.0
        longest_value = len(f"{biggest:,.{decimals}f}") + (5 if "dBm" in fmt else 2)
    else:
        sample = values.dropna().astype(str).head(500)
        longest_value = int(sample.str.len().max()) if len(sample) else 0
    return float(max(longest_word + 1, min(longest_value, _MAX_WIDTH) + 1, 8))


def _write_table(
    ws: Worksheet,
    table: pd.DataFrame,
    lang: str,
    *,
    freeze: str,
    top: int = 1,
    print_titles: bool = True,
) -> None:
    """Write a table with its header on row ``top``, formats, filter and print set-up."""
    data, keys = display_table(table, lang)
    for j, key in enumerate(keys, start=1):
        cell = ws.cell(row=top, column=j)
        set_text_safe(cell, label(key, lang))
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    formats = [_number_format(k) for k in data.columns]
    for i, row in enumerate(data.itertuples(index=False), start=top + 1):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            set_text_safe(cell, None if _missing(value) else _plain(value))
            if formats[j - 1]:
                cell.number_format = formats[j - 1]
            cell.alignment, cell.border = _WRAP_TOP, _GRID
    widths = [_width(label(k, lang), data[c], c) for k, c in zip(keys, data.columns, strict=True)]
    wrapped = [j for j, c in enumerate(data.columns) if not pd.api.types.is_numeric_dtype(data[c])]
    widths = _spread(widths, data, wrapped)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, row in enumerate(data.itertuples(index=False), start=top + 1):
        # readers do not all grow rows for wrapped text: size them
        lines = max((_lines(row[j], widths[j]) for j in wrapped if not _missing(row[j])), default=1)
        if lines > 1:
            ws.row_dimensions[i].height = 14.5 * lines
    header_lines = max(
        _lines(label(k, lang), w, chars_per_unit=0.9) for k, w in zip(keys, widths, strict=True)
    )
    ws.row_dimensions[top].height = 15 * max(header_lines, 2)
    last = f"{get_column_letter(max(len(keys), 1))}{max(len(data) + top, top + 1)}"
    ws.auto_filter.ref = f"A{top}:{last}"
    ws.freeze_panes = freeze
    if print_titles:
        ws.print_title_rows = f"{top}:{top}"


def _spread(widths: list[float], data: pd.DataFrame, wrapped: list[int]) -> list[float]:
    """Give the width a landscape page has to spare to the text columns that wrap.

    A wrapped row is a taller row: widening the columns whose texts are longest, within
    :data:`PAGE_WIDTH`, prints the same table on fewer pages at the same scale.
    """
    spare = PAGE_WIDTH - sum(widths)
    need = {}
    for j in wrapped:
        values = data.iloc[:, j].dropna().astype(str)
        longest = float(values.str.len().quantile(0.9)) + 1 if len(values) else 0.0
        if longest > widths[j]:
            need[j] = min(longest, _TEXT_WIDTH * 2) - widths[j]
    if spare <= 0 or not need:
        return widths
    share = min(1.0, spare / sum(need.values()))
    out = list(widths)
    for j, more in need.items():
        out[j] = round(widths[j] + more * share, 1)
    return out


def _page_setup(ws: Worksheet, title: str, synthetic: bool, lang: str) -> None:
    """A4 landscape fitted to the page width, with a header and page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    flag = f" – {label('synthetic_flag', lang).upper()}" if synthetic else ""
    ws.oddHeader.center.text = _escape_hf(title + flag)
    ws.oddHeader.center.font = "Arial,Bold"
    ws.oddFooter.center.text = label("page_footer", lang)
    ws.oddFooter.right.text = "covgap"


def _escape_hf(text: str) -> str:
    """Escape ``&`` in header/footer text (Excel uses it for codes)."""
    return text.replace("&", "&&")


def write_workbook(
    dossier: Dossier, path: str | Path, *, lang: str = "vi", letter: Letter | None = None
) -> Path:
    """Write the request workbook.

    Parameters
    ----------
    dossier
        From :func:`covgap.request.dossier.build_dossier`.
    path
        The ``.xlsx`` file to write (replaced only once the new one is complete).
    lang
        ``"vi"`` (default) or ``"en"``.
    letter
        The letter the appendix is attached to (:class:`covgap.request.appendix.Letter`:
        agency, number, date); ``None`` leaves dots to fill by hand.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    check_lang(lang)
    path = Path(path)
    synthetic = bool(dossier.info.get("synthetic"))
    wb = Workbook()
    appendix = wb.active
    appendix.title = label("sheet_appendix", lang)
    write_appendix(appendix, dossier, letter=letter or Letter(), lang=lang)
    cover = wb.create_sheet(label("sheet_cover", lang))
    _write_cover(cover, dossier, lang)
    _page_setup(cover, label("dossier_title", lang), synthetic, lang)
    cover.page_setup.orientation = "portrait"
    sheets = [
        ("sheet_request", dossier.request, "E2"),
        ("sheet_unpowered", dossier.unpowered, "E2"),
    ]
    if len(dossier.business):
        sheets.append(("sheet_business", _business_table(dossier.business, lang), "C2"))
    if len(dossier.field_check):
        sheets.append(("sheet_field_check", dossier.field_check, "C2"))
    sheets.append(("sheet_sunset", dossier.sunset, "C2"))
    for by, table in dossier.summaries.items():
        sheets.append((f"sheet_summary_{by}", table, "C2" if by == "commune" else "B2"))
    for key, table, freeze in sheets:
        ws = wb.create_sheet(label(key, lang))
        _write_table(ws, table, lang, freeze=freeze)
        _page_setup(ws, label(key, lang), synthetic, lang)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    logger.info("wrote the request workbook %s (%s)", path, lang)
    return path


#: Columns of the business-case sheet, in order (those present).
_BUSINESS_COLUMNS = (
    "village_id", "name", "commune_2025", "commune", "district", "grid_power", "solution",
    "econ_carriers", "people_new", "power", "subscribers", "revenue_usd_year", "capex_site_usd",
    "capex_power_usd", "capex_backhaul_usd", "capex_usd", "opex_usd_year", "npv_usd", "npv_vnd",
    "payback_year", "grant_usd", "support_usd_year", "grant_per_person_usd", "economic_list",
    "list_flips",
)  # fmt: skip


def _business_table(cases: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Show the business cases for people: money to the dollar, the lists in words."""
    table = cases[[c for c in _BUSINESS_COLUMNS if c in cases]].copy()
    for col in table.columns:
        if col.endswith(("_usd", "_usd_year", "_vnd")):
            table[col] = pd.to_numeric(table[col], errors="coerce").round(0)
    for col, prefix in (("economic_list", "list_"), ("power", "power_")):
        if col in table:
            table[col] = [label(prefix + str(v), lang) for v in table[col]]
    return table


def _economics_rows(info: dict[str, Any], lang: str) -> list[tuple[str, object]]:
    """List the business-case parameters and the three lists' counts for the cover sheet."""
    from ..io.locale import format_number

    e = info.get("economics")
    if not e:
        return []
    arpu = ", ".join(f"{c} {format_number(v, 0, lang)}" for c, v in e["arpu_vnd_month"].items())
    share = ", ".join(
        f"{c} {format_number(100 * v, 0, lang)} %" for c, v in e["market_share"].items()
    )
    counts = info.get("lists", {})
    lists = "; ".join(
        f"{label('list_' + k, lang)}: {format_number(counts.get(k, 0), 0, lang)}"
        for k in ("commercial", "public_utility", "power_first")
    )
    return [
        (label("econ_cover_lists", lang), lists),
        (label("econ_cover_params", lang), label("econ_cover_params_text", lang).format(
            years=e["horizon_years"], rate=format_number(100 * e["discount_rate"], 1, lang),
            penetration=format_number(100 * e["penetration"], 0, lang), arpu=arpu, share=share,
            usd_vnd=format_number(e["usd_vnd"], 0, lang),
        )),
    ]  # fmt: skip


def _write_cover(ws: Worksheet, dossier: Dossier, lang: str) -> None:
    """Title, synthetic warning, parameters, results and contents."""
    info = dossier.info
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 95
    set_text_safe(ws["A1"], label("dossier_title", lang))
    ws["A1"].font = Font(bold=True, size=15)
    ws.merge_cells("A1:B1")
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 42
    set_text_safe(ws["A2"], label("dossier_subtitle", lang))
    ws["A2"].font = Font(italic=True)
    ws.merge_cells("A2:B2")
    row = 3
    if info.get("synthetic"):
        set_text_safe(ws.cell(row=row, column=1), label("synthetic_notice", lang))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = ws.cell(row=row, column=1)
        cell.font, cell.fill = _WARN_FONT, _WARN_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[row].height = 30
        row += 1
    row += 1
    for title, pairs in (
        ("cover_parameters", _parameters(info, lang) + _economics_rows(info, lang)),
        ("cover_counts", _counts(dossier, lang)),
        ("cover_contents", _contents(dossier, lang)),
    ):
        set_text_safe(ws.cell(row=row, column=1), label(title, lang))
        ws.cell(row=row, column=1).font = Font(bold=True, size=12)
        row += 1
        for key_text, value in pairs:
            set_text_safe(ws.cell(row=row, column=1), key_text)
            ws.cell(row=row, column=1).font = _BOLD
            set_text_safe(ws.cell(row=row, column=2), value)
            for col in (1, 2):
                ws.cell(row=row, column=col).alignment = _LEFT_WRAP
            # rows do not grow by themselves in every reader: size them for the text
            lines = max(-(-len(str(value)) // 90), -(-len(key_text) // 40), 1)
            ws.row_dimensions[row].height = 15 * lines
            row += 1
        row += 1


def _parameters(info: dict[str, Any], lang: str) -> list[tuple[str, object]]:
    """Scenario parameters as (label, value) rows."""
    model = info.get("model_vi" if lang == "vi" else "model") or info.get("model", "")
    thresholds = info.get("thresholds", "")
    if "covered_dbm" in info and lang == "vi":
        c, lo = info["covered_dbm"], info["low_signal_dbm"]
        thresholds = (
            f"có sóng: RSRP 4G ≥ {c:g} dBm; vùng lõm: {lo:g} ≤ RSRP < {c:g} dBm; "
            f"vùng trắng: RSRP < {lo:g} dBm hoặc không có trạm trong tầm"
        )
    yes_no = label("yes" if info.get("synthetic") else "no", lang)
    weights = info.get("weights", {})
    formula = label("priority_formula_text", lang).format(
        **weights,
        white_first_text=label("white_first_text", lang) if weights.get("white_first") else "",
    )
    rows = [
        (label("scenario", lang), info.get("scenario", "")),
        (label("synthetic_flag", lang), yes_no),
        (label("model", lang), model),
        (label("thresholds", lang), thresholds),
        (label("location_probability", lang), info.get("location_probability")),
        (label("rx_height_m", lang), info.get("rx_height_m")),
        (label("max_range_km", lang), info.get("max_range_km")),
        (label("dem", lang), info.get("dem", "")),
        (label("dem_resolution_m", lang), info.get("dem_resolution_m")),
        (
            label("local_crs", lang),
            f"{info.get('local_crs_name', '')} ({info.get('local_crs', '')})",
        ),
        (label("priority_formula", lang), formula),
        (label("remote_rule", lang), label("remote_rule_text", lang).format(**info)),
        (label("date", lang), info.get("date", "")),
        (label("covgap_version", lang), info.get("covgap_version", "")),
    ]
    return [(k, v) for k, v in rows if v is not None]


def _counts(dossier: Dossier, lang: str) -> list[tuple[str, object]]:
    from ..io.locale import format_number

    any_sunset = dossier.sunset[dossier.sunset["carrier"] == "any"]

    def total(table: pd.DataFrame, col: str) -> str:
        values = pd.to_numeric(table[col], errors="coerce") if col in table else pd.Series()
        return format_number(float(values.sum()), 0, lang)

    return [
        (label("villages_analysed", lang), dossier.info.get("villages_analysed")),
        (label("request_count", lang), len(dossier.request)),
        (label("request_households", lang), total(dossier.request, "households")),
        (label("request_population", lang), total(dossier.request, "population")),
        (label("unpowered_count", lang), len(dossier.unpowered)),
        (label("unpowered_households", lang), total(dossier.unpowered, "households")),
        (label("unpowered_population", lang), total(dossier.unpowered, "population")),
        (label("sunset_count", lang), len(any_sunset)),
    ]


def _contents(dossier: Dossier, lang: str) -> list[tuple[str, object]]:
    rows = [
        (label("sheet_appendix", lang), label("contents_appendix", lang)),
        (label("sheet_request", lang), label("contents_request", lang)),
        (label("sheet_unpowered", lang), label("contents_unpowered", lang)),
        (label("sheet_business", lang), label("contents_business", lang)),
        *(
            [(label("sheet_field_check", lang), label("contents_field_check", lang))]
            if len(dossier.field_check)
            else []
        ),
        (label("sheet_sunset", lang), label("contents_sunset", lang)),
    ]
    rows += [(label(f"sheet_summary_{by}", lang), label("contents_summary", lang))
             for by in dossier.summaries]  # fmt: skip
    return rows
