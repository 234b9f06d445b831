"""The printed appendix: the request list as an official attachment to a letter.

A province sends the Ministry a letter (*công văn*) with the list of villages attached as
an appendix (*phụ lục*). :func:`write_appendix` lays that appendix out on a worksheet the
way such a page reads: the agency's name on the left and the national motto on the
right, "PHỤ LỤC", the list's title, "(Kèm theo Công văn số …/… ngày … tháng … năm …)",
then only the columns an official reads (no., village, commune of 07/2025 with the former
one in brackets, former district, households, people, class, best 4G RSRP, proposed
solution), a totals row, and the signature block ("Người lập biểu", "Giám đốc").

The page is A4 landscape at 100 % (10 pt text; the widths add up to the printable width),
its header row is repeated on every page, the footer numbers the pages ("Trang 2/5"), and
a page break keeps the totals and signatures together. Numbers carry the Vietnamese
locale in their format (``[$-42A]``), so LibreOffice prints ``1.234`` and ``−121,2``.
Where the letter's number, date or agency are not given, dots are left to fill by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break, RowBreak

from ..io.locale import check_lang
from ..outputs.labels import commune_text, label
from ._cells import _lines as _wrap_lines
from ._cells import _missing, _plain, set_text_safe

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .dossier import Dossier

__all__ = [
    "APPENDIX_COLUMNS",
    "Letter",
    "appendix_table",
    "commune_text",
    "vietnamese_date",
    "write_appendix",
]

#: The printed list's columns: (label key, width in Excel characters, number format).
APPENDIX_COLUMNS: tuple[tuple[str, float, str | None], ...] = (
    ("appendix_no", 4.5, "0"),
    ("appendix_village", 17, None),
    ("appendix_commune", 26, None),
    ("appendix_district", 11, None),
    ("households", 9, "#,##0"),  # "Households" in one word at 10 pt bold
    ("population", 8.5, "#,##0"),
    ("appendix_class", 9.5, None),
    ("appendix_rsrp", 8, "0.0"),
    ("appendix_solution", 30, None),
)
#: Dots left for the writer to fill in by hand.
DOTS = "…"
FONT_NAME = "Times New Roman"
#: Point sizes: the list, the header block, the title.
BODY_PT, HEAD_PT, TITLE_PT = 10, 11, 12
#: Printable height of an A4 landscape page (pt) with the margins of :func:`_page`.
_PAGE_PT = 595.3 - 72 * (0.6 + 0.6) - 12
_LINE_PT = 13.0
_LOCALE = {"vi": "[$-42A]", "en": "[$-409]"}
_THIN = Side(style="thin", color="000000")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WARN_FILL = PatternFill("solid", fgColor="C0392B")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class Letter:
    """The letter the appendix is attached to; what is not given prints as dots.

    Attributes
    ----------
    agency
        The sending agency, one line per level, the superior first, separated by ``/`` or
        newlines (``"UBND TỈNH LAI CHÂU / SỞ KHOA HỌC VÀ CÔNG NGHỆ"``).
    number
        The letter's number and symbol (``"125/SKHCN-BCVT"``).
    date
        The letter's date.
    place
        Where it is signed (the line above the signatures).
    """

    agency: str | None = None
    number: str | None = None
    date: date | None = None
    place: str = "Lai Châu"

    def agency_lines(self) -> list[str]:
        """Return the agency's lines, superior first (empty when no agency is given)."""
        if not self.agency:
            return []
        return [p.strip() for p in self.agency.replace("\n", "/").split("/") if p.strip()]


def vietnamese_date(day: date | str | None, lang: str = "vi") -> str:
    """Write a date as a Vietnamese document does; ``None`` leaves dots to fill.

    >>> vietnamese_date(date(2026, 12, 2))
    'ngày 2 tháng 12 năm 2026'
    >>> vietnamese_date(None)
    'ngày … tháng … năm …'
    >>> vietnamese_date("2026-12-02", "en")
    '2 December 2026'
    """
    check_lang(lang)
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    if day is None:
        return f"ngày {DOTS} tháng {DOTS} năm {DOTS}" if lang == "vi" else f"{DOTS} {DOTS} {DOTS}"
    if lang == "vi":
        return f"ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def appendix_table(request: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Build the printed list: one row per requested village, the appendix's columns.

    The commune is the 07/2025 unit with the former commune in brackets (the former one
    alone when there is no crosswalk).

    Parameters
    ----------
    request
        The dossier's request list (:attr:`covgap.request.dossier.Dossier.request`).
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Columns named by the label keys of :data:`APPENDIX_COLUMNS`.
    """
    check_lang(lang)
    n = len(request)

    def col(name: str) -> pd.Series:
        return request[name] if name in request else pd.Series([None] * n, index=request.index)

    solution = col("solution_text_vi" if lang == "vi" else "solution_text")
    return pd.DataFrame(
        {
            "appendix_no": range(1, n + 1),
            "appendix_village": col("name").to_numpy(),
            "appendix_commune": [
                commune_text(a, b) for a, b in zip(col("commune_2025"), col("commune"), strict=True)
            ],
            "appendix_district": col("district").to_numpy(),
            "households": pd.to_numeric(col("households"), errors="coerce").to_numpy(),
            "population": pd.to_numeric(col("population"), errors="coerce").to_numpy(),
            "appendix_class": [
                label(f"appendix_{c}", lang) if c in ("white", "low_signal") else c
                for c in col("coverage_class")
            ],
            "appendix_rsrp": pd.to_numeric(col("rsrp_dbm"), errors="coerce").round(1).to_numpy(),
            "appendix_solution": [_sentence(v) for v in solution],
        }
    )


def _sentence(value: object) -> object:
    """Capitalise the first letter of a text (a table cell reads as a sentence)."""
    return value[:1].upper() + value[1:] if isinstance(value, str) else value


def _font(size: float = BODY_PT, **kw: object) -> Font:
    return Font(name=FONT_NAME, size=size, **kw)


def _lines(text: object, width: float) -> int:
    """Lines a text wrapped at spaces takes in a column (Times at 10 pt)."""
    return _wrap_lines(text, width, chars_per_unit=1.3)


def _merged(ws: Worksheet, row: int, first: int, last: int, text: str, font: Font, **kw) -> None:
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first)
    set_text_safe(cell, text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True, **kw)


def _heading(ws: Worksheet, dossier: Dossier, letter: Letter, lang: str) -> int:
    """Agency, motto, title, letter line, note; returns the next free row."""
    n = len(APPENDIX_COLUMNS)
    agency = letter.agency_lines()
    left = (agency[:-1] or [""])[-1] if len(agency) > 1 else ""
    main = agency[-1] if agency else ""
    _merged(ws, 1, 1, 3, left, _font(HEAD_PT))
    _merged(ws, 1, 5, n, label("motto_state", lang), _font(HEAD_PT, bold=True))
    _merged(ws, 2, 1, 3, main, _font(HEAD_PT, bold=True))
    _merged(ws, 2, 5, n, label("motto_words", lang), _font(HEAD_PT + 1, bold=True))
    ws.row_dimensions[1].height = ws.row_dimensions[2].height = 16
    ws.row_dimensions[3].height = 10
    _merged(ws, 4, 1, n, label("appendix_heading", lang), _font(TITLE_PT + 1, bold=True))
    _merged(ws, 5, 1, n, label("appendix_title", lang), _font(TITLE_PT, bold=True))
    ws.row_dimensions[4].height = 18
    ws.row_dimensions[5].height = 32
    by = label("appendix_letter_agency", lang).format(agency=main) if main else ""
    text = label("appendix_letter", lang).format(
        number=letter.number or f"{DOTS}/{DOTS}",
        date=_dated(letter.date, lang),
        agency=by,
    )
    _merged(ws, 6, 1, n, text, _font(italic=True))
    ws.row_dimensions[6].height = 16
    info = dossier.info
    note = label("appendix_note", lang).format(
        covered=_number(info.get("covered_dbm", -105.0), lang),
        low=_number(info.get("low_signal_dbm", -115.0), lang),
    )
    _merged(ws, 7, 1, n, note, _font(italic=True))
    ws.row_dimensions[7].height = 26
    row = 8
    if info.get("synthetic"):
        _merged(ws, row, 1, n, label("synthetic_notice", lang),
                _font(BODY_PT + 1, bold=True, color="FFFFFF"))  # fmt: skip
        ws.cell(row=row, column=1).fill = _WARN_FILL
        ws.row_dimensions[row].height = 18
        row += 1
    ws.row_dimensions[row].height = 6
    return row + 1


def _dated(day: date | None, lang: str) -> str:
    text = vietnamese_date(day, lang)
    return text if lang == "vi" else f"dated {text}"


def _number(value: float, lang: str) -> str:
    from ..io.locale import format_number

    return format_number(value, 0 if float(value).is_integer() else 1, lang)


def _table(ws: Worksheet, table: pd.DataFrame, first: int, lang: str) -> list[float]:
    """Header and rows from ``first``; returns the height of every row written."""
    heights = []
    header_lines = 1
    for j, (key, width, _) in enumerate(APPENDIX_COLUMNS, start=1):
        cell = ws.cell(row=first, column=j)
        set_text_safe(cell, label(key, lang))
        cell.font, cell.border = _font(bold=True), _GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_lines = max(header_lines, _lines(label(key, lang), width * 0.9))
        ws.column_dimensions[get_column_letter(j)].width = width
    heights.append(_LINE_PT * header_lines + 4)
    ws.row_dimensions[first].height = heights[-1]
    numeric = [fmt is not None for _, _, fmt in APPENDIX_COLUMNS]
    for i, row in enumerate(table.itertuples(index=False), start=first + 1):
        lines = 1
        for j, value in enumerate(row, start=1):
            key, width, fmt = APPENDIX_COLUMNS[j - 1]
            cell = ws.cell(row=i, column=j)
            set_text_safe(cell, None if _missing(value) else _plain(value))
            cell.font, cell.border = _font(), _GRID
            if fmt:
                cell.number_format = _LOCALE[lang] + fmt
            horizontal = "right" if numeric[j - 1] else "left"
            if key == "appendix_no":
                horizontal = "center"
            cell.alignment = Alignment(
                horizontal=horizontal, vertical="top", wrap_text=True,
                indent=1 if horizontal == "right" else 0,  # clear of the border
            )  # fmt: skip
            if not numeric[j - 1] and not _missing(value):
                lines = max(lines, _lines(value, width))
        heights.append(_LINE_PT * lines + 2)
        ws.row_dimensions[i].height = heights[-1]
    return heights


def _totals(ws: Worksheet, table: pd.DataFrame, row: int, lang: str) -> None:
    n = len(APPENDIX_COLUMNS)
    text = label("appendix_total", lang).format(n=len(table))
    _merged(ws, row, 1, 4, text, _font(bold=True))
    for col in ("households", "population"):
        j = [k for k, _, _ in APPENDIX_COLUMNS].index(col) + 1
        cell = ws.cell(row=row, column=j, value=float(table[col].sum(min_count=1) or 0.0))
        cell.number_format = _LOCALE[lang] + "#,##0"
        cell.font = _font(bold=True)
        cell.alignment = Alignment(horizontal="right", vertical="center")
    for j in range(1, n + 1):
        ws.cell(row=row, column=j).border = _GRID
    ws.row_dimensions[row].height = _LINE_PT + 4


def _signatures(ws: Worksheet, dossier: Dossier, letter: Letter, row: int, lang: str) -> int:
    """Place and date, "Người lập biểu" and "Giám đốc" with room to sign; next free row."""
    n = len(APPENDIX_COLUMNS)
    when = vietnamese_date(dossier.info.get("date") or date.today(), lang)
    place_date = label("appendix_place_date", lang).format(place=letter.place, date=when)
    _merged(ws, row, 6, n, place_date, _font(italic=True))
    _merged(ws, row + 1, 1, 3, label("appendix_maker", lang), _font(bold=True))
    _merged(ws, row + 1, 6, n, label("appendix_head", lang), _font(bold=True))
    _merged(ws, row + 2, 1, 3, label("appendix_sign", lang), _font(italic=True))
    _merged(ws, row + 2, 6, n, label("appendix_sign", lang), _font(italic=True))
    for r in range(row, row + 3):
        ws.row_dimensions[r].height = 16
    for r in range(row + 3, row + 7):  # room for the signatures
        ws.row_dimensions[r].height = 14
    return row + 7


def _page(ws: Worksheet, header_row: int, last_row: int, synthetic: bool, lang: str) -> None:
    """A4 landscape at 100 %, header row repeated, page numbers, print area."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # 100 % where the default font is Calibri (or Carlito); a wider fallback font widens
    # Excel's width unit, and the page then shrinks to its width (still >= 8 pt text)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    last = get_column_letter(len(APPENDIX_COLUMNS))
    ws.print_area = f"A1:{last}{last_row}"
    ws.oddFooter.center.text = label("page_footer", lang)
    ws.oddFooter.center.size = 9
    if synthetic:
        ws.oddHeader.right.text = label("synthetic_flag", lang).upper()
        ws.oddHeader.right.size = 9
    ws.sheet_view.showGridLines = False


def _keep_together(ws: Worksheet, heights: list[float], header_row: int, block: float) -> None:
    """Break the page before the totals when they and the signatures would be split."""
    used = sum(ws.row_dimensions[r].height or 15 for r in range(1, header_row))
    for h in heights:
        if used + h > _PAGE_PT:
            used = heights[0]  # the repeated header row
        used += h
    if used + block > _PAGE_PT:
        last_data = header_row + len(heights) - 1
        ws.row_breaks.append(Break(id=last_data - 1))


def write_appendix(
    ws: Worksheet, dossier: Dossier, *, letter: Letter = Letter(), lang: str = "vi"
) -> int:
    """Lay the printed appendix out on ``ws``.

    Parameters
    ----------
    ws
        An empty worksheet.
    dossier
        From :func:`covgap.request.dossier.build_dossier`.
    letter
        The letter it is attached to (number, date, agency); dots where not given.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    int
        The number of villages listed.
    """
    check_lang(lang)
    table = appendix_table(dossier.request, lang)
    header_row = _heading(ws, dossier, letter, lang)
    heights = _table(ws, table, header_row, lang)
    total_row = header_row + len(heights)
    _totals(ws, table, total_row, lang)
    end = _signatures(ws, dossier, letter, total_row + 2, lang)
    if ws.row_breaks is None:
        ws.row_breaks = RowBreak()
    _keep_together(ws, heights, header_row, block=_LINE_PT + 4 + 3 * 16 + 4 * 14 + 15)
    _page(ws, header_row, end - 1, bool(dossier.info.get("synthetic")), lang)
    return len(table)
