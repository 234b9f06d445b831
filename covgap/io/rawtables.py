"""CSV and Excel files into raw tables: encodings, delimiters, sheets (internal).

CSV and text files are decoded from UTF-8 (with or without BOM), UTF-16 (what Excel's
"Unicode text" writes, found by its BOM) or Windows-1258, with ``,`` ``;`` or tab
between fields. Every sheet of a workbook (or the one named) is searched for a table
(:func:`covgap.io.sheets.extract_table`); all sheets that hold a table of the right kind
are read and stacked (a hidden sheet only when no visible one holds a table), and a sheet
named after a carrier gives the carrier of a site table that has no carrier column.
"""

from __future__ import annotations

import codecs
import csv
import logging
import unicodedata
import zipfile
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

import covgap.io.aliases as _aliases
import covgap.io.xlsx as _xlsx

from .. import schema
from ..errors import DataFileError
from .positions import RawTable
from .sheets import HEADER_SEARCH_ROWS, Extracted, extract_table, plain_table

logger = logging.getLogger("covgap.io.readers")

_DELIMITERS = (",", ";", "\t")
#: Header of the carrier column added from sheet names.
SHEET_CARRIER = "carrier (sheet name)"


# ------------------------------------------------------------------------------- text
def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Return the text of a CSV file and the encoding it was read with."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    head = data[:2000]
    if head and head.count(0) * 3 > len(head):  # UTF-16 without a BOM
        order = "utf-16-le" if head[1::2].count(0) > head[::2].count(0) else "utf-16-be"
        try:
            return data.decode(order), order.upper()
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1258 text often carries decomposed tone marks: compose them (NFC).
        return unicodedata.normalize("NFC", data.decode("cp1258")), "Windows-1258"
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: text is neither UTF-8, UTF-16 nor Windows-1258; save it as UTF-8 CSV"
        ) from exc


def _delimiter(lines: list[str], find_header: bool) -> str:
    """Return the delimiter of a CSV file from its top lines.

    With ``find_header``, the one whose split of some top line names the most canonical
    columns (a title line may come first); otherwise, or when no header is known, the
    most frequent one on the first line.
    """
    first = lines[0] if lines else ""

    def known(sep: str) -> int:
        best = 0
        for line in lines:
            cells = next(csv.reader([line], delimiter=sep), [])
            found = {
                c
                for kind in ("villages", "sites")
                for c in (_aliases.lookup_header(cell, kind) for cell in cells)
                if c
            }
            best = max(best, len(found))
        return best

    if find_header:
        scores = {sep: known(sep) for sep in _DELIMITERS}
        if max(scores.values()) > 0:
            return max(_DELIMITERS, key=lambda sep: (scores[sep], first.count(sep)))
    return max(_DELIMITERS, key=first.count)


def csv_grid(path: Path, *, find_header: bool = True) -> tuple[pd.DataFrame, dict]:
    """Read a CSV/text file as a grid of strings, one grid row per line, no header."""
    data = path.read_bytes()
    text, encoding = decode(path, data)
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        return pd.DataFrame(), {"encoding": encoding}
    lines = text.splitlines()
    sep = _delimiter([ln for ln in lines[:HEADER_SEARCH_ROWS] if ln.strip()], find_header)
    width = max(line.count(sep) for line in lines) + 1
    try:
        grid = pd.read_csv(
            StringIO(text),
            sep=sep,
            header=None,
            names=range(width),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable CSV table: {exc}") from exc
    name = {",": "comma", ";": "semicolon", "\t": "tab"}[sep]
    logger.debug("%s: encoding %s, delimiter %s", path, encoding, name)
    return grid, {"encoding": encoding, "delimiter": name}


def excel_grids(path: Path, sheet: str | None) -> dict[str, pd.DataFrame]:
    """Every sheet (or the one named) of a workbook as a grid, no header.

    The values are read by :func:`covgap.io.xlsx.read_grids` (fast), or by pandas and
    openpyxl when that reader cannot.
    """
    if zipfile.is_zipfile(path):
        fast = _xlsx.read_grids(path, sheet)
        if fast is not None:
            return fast
    try:
        grids = pd.read_excel(path, sheet_name=sheet if sheet else None, header=None, dtype=object)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path}: not a readable Excel workbook: {exc}") from exc
    if isinstance(grids, pd.DataFrame):
        return {str(sheet): grids}
    return {str(name): grid for name, grid in grids.items()}


# ----------------------------------------------------------------------------- tables
def _has_required(found: frozenset[str], kind: str, sheet: str | None) -> bool:
    if kind == "villages":
        required = set(schema.VILLAGE_REQUIRED)
    else:
        required = set(schema.SITE_REQUIRED)
        if sheet is not None and _aliases.parse_carrier(sheet):
            required.discard("carrier")
    positioned = {"lon", "lat"} <= found or {"x", "y"} <= found
    return required <= found and positioned


def table_from_grids(
    path: Path,
    grids: dict[str | None, pd.DataFrame],
    kind: str | None,
    info: dict,
    *,
    find_table: bool = True,
) -> RawTable:
    """Extract the table of each grid, choose the sheets to read and stack them.

    With ``find_table=False`` the first row of the best-matching sheet is its header and
    nothing but empty lines is left out (the readers of other tables need that).
    """
    if not grids or all(g.empty for g in grids.values()):
        return RawTable(pd.DataFrame(), str(path), info=info)
    extract = extract_table if find_table else plain_table
    found = {name: extract(g, kind) for name, g in grids.items()}
    kinds = [kind] if kind in ("villages", "sites") else ["villages", "sites"]
    complete = [
        name
        for name, ex in found.items()
        if find_table and any(_has_required(ex.canonicals, k, name) for k in kinds)
    ]
    hidden = {n for n, g in grids.items() if g.attrs.get(_xlsx.HIDDEN)}
    chosen = [n for n in complete if n not in hidden] or complete  # hidden: old copies
    if not chosen:  # no complete table: the best one, whose problems will be reported
        chosen = [max(found, key=lambda n: (found[n].score, -list(found).index(n)))]
    named = [n for n in found if n is not None]
    info["sheets"] = [n for n in chosen if n is not None]
    info["sheets_skipped"] = [
        (n, "hidden sheet" if n in complete else _why_not(found[n], kind))
        for n in named
        if n not in chosen and not grids[n].empty
    ]
    carrier_header = _carrier_header([found[n] for n in chosen], kind)
    frames, rows, sheets = [], [], []
    info["header_rows"], info["skipped"], info["ignored"] = {}, [], []
    for name in chosen:
        ex = found[name]
        frame = ex.frame
        if carrier_header and name is not None and carrier_header not in frame.columns:
            carrier = _aliases.parse_carrier(name)
            if carrier:
                frame = frame.assign(**{carrier_header: name})
                info.setdefault("carrier_from_sheet", []).append(name)
        frames.append(frame)
        rows.append(ex.rows)
        sheets.append(np.full(len(ex.rows), name if name is not None else "", dtype=object))
        info["header_rows"][name] = ex.header_rows
        info["skipped"] += [(name, where, why) for where, why in ex.skipped]
        info.setdefault("samples", {}).update({(name, w): t for w, t in ex.samples.items()})
        info["ignored"] += [(name, header, why) for header, why in ex.ignored]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return RawTable(
        frame,
        str(path),
        rows=np.concatenate(rows),
        sheets=np.concatenate(sheets) if len(chosen) > 1 else None,
        info=info,
    )


def _carrier_header(tables: list[Extracted], kind: str | None) -> str | None:
    """Return the carrier column's header, or :data:`SHEET_CARRIER` when a sheet lacks one."""
    if kind != "sites":
        return None
    headers = [
        h
        for ex in tables
        for h in ex.frame.columns
        if _aliases.lookup_header(h, "sites") == "carrier"
    ]
    if headers and all(
        any(_aliases.lookup_header(h, "sites") == "carrier" for h in ex.frame.columns)
        for ex in tables
    ):
        return None
    return headers[0] if headers else SHEET_CARRIER


def _why_not(ex: Extracted, kind: str | None) -> str:
    if not ex.canonicals:
        return "no table of known columns"
    what = kind or "villages or sites"
    return f"not a complete {what} table (found {', '.join(sorted(ex.canonicals))})"
