"""A fast reader of the cell values of ``.xlsx`` sheets (internal).

openpyxl (which pandas uses) reads about 70,000 cells a second; a 100,000-village
workbook has well over a million cells. Village and site tables need only the values,
so this module reads the sheet XML with regular expressions: shared strings, inline
strings, numbers, booleans and the cached results of formulas. Dates come out as Excel
serial numbers. Whenever the XML does not look as expected (a cell whose reference is
not its first attribute, a count of cells that does not add up), :func:`read_grids`
returns ``None`` and the caller falls back to pandas.
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
import zipfile
from pathlib import Path

import pandas as pd

__all__ = ["HIDDEN", "read_grids"]

#: Key of ``grid.attrs`` that is true for a sheet hidden in Excel.
HIDDEN = "hidden"

logger = logging.getLogger("covgap.io.readers")

_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)/?>")
_SI = re.compile(r"<si>(.*?)</si>", re.S)
_T = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>|<t\s*/>", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_CELL = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"(?: s="\d+")?(?: t="(\w+)")?([^>]*?)(?<!/)>'
    r"(?:<f\b[^>]*?(?:/>|>.*?</f>))?"
    r"(?:<v>([^<]*)</v>|<v\s*/>|<is>(.*?)</is>)?"
    r"</c>",
    re.S,
)
_EMPTY_CELL = re.compile(r"<c\b[^>]*/>")
_TYPE = re.compile(r'\bt="(\w+)"')


def _attrs(text: str) -> dict[str, str]:
    return {k.split(":")[-1] if k.startswith("r:") else k: v for k, v in _ATTR.findall(text)}


def _text(xml: str) -> str:
    if xml.startswith("<t>") and xml.count("<") == 2:  # the common case: one plain run
        text = xml[3:-4]
        return html.unescape(text) if "&" in text else text
    return html.unescape("".join(m or "" for m in _T.findall(_PHONETIC.sub("", xml))))


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, tuple[str, bool]]:
    """Sheet name -> (path of its XML part, hidden), in workbook order."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in _REL.findall(rels):
        a = _attrs(rel)
        target = a.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[a.get("Id")] = posixpath.normpath(target)
    out = {}
    for sheet in _SHEET.findall(book):
        a = _attrs(sheet)
        hidden = a.get("state", "visible") in ("hidden", "veryHidden")
        out[html.unescape(a["name"])] = (targets[a["id"]], hidden)
    return out


def _letters_index(letters: str, cache: dict[str, int]) -> int:
    j = cache.get(letters)
    if j is None:
        j = 0
        for ch in letters:
            j = j * 26 + ord(ch) - 64
        cache[letters] = j = j - 1
    return j


def _number(text: str) -> float | int:
    if text.isdigit():
        return int(text)
    value = float(text)
    if value.is_integer() and "." not in text and "E" not in text.upper():
        return int(value)
    return value


def _grid(xml: str, strings: list[str]) -> pd.DataFrame | None:
    if "<sheetData" not in xml:
        return None  # prefixed tags (<x:c>): not for this reader
    cells = _CELL.findall(xml)
    if len(cells) + len(_EMPTY_CELL.findall(xml)) != xml.count("<c "):
        return None  # cells this reader does not understand
    rows: dict[int, dict[int, object]] = {}
    cache: dict[str, int] = {}
    for letters, row, kind, attrs, value, inline in cells:
        if not kind:
            kind = _TYPE.search(attrs).group(1) if 't="' in attrs else "n"
        if kind == "s":
            cell: object = strings[int(value)]
        elif kind == "inlineStr":
            cell = _text(inline)
        elif value == "":
            continue
        elif kind == "n":
            cell = _number(value)
        elif kind == "b":
            cell = value == "1"
        elif kind in ("str", "e"):
            cell = html.unescape(value)
        else:
            cell = value
        j = cache.get(letters)
        if j is None:
            j = _letters_index(letters, cache)
        rows.setdefault(int(row), {})[j] = cell
    if not rows:
        return pd.DataFrame()
    width = max(max(r) for r in rows.values()) + 1
    height = max(rows)
    data = [[None] * width for _ in range(height)]
    for r, values in rows.items():
        line = data[r - 1]
        for j, v in values.items():
            line[j] = v
    return pd.DataFrame(data, dtype=object)


def read_grids(path: Path, sheet: str | None) -> dict[str, pd.DataFrame] | None:
    """Every sheet (or the one named) as a grid of values, or ``None`` to use pandas.

    Grid row ``k`` is sheet row ``k + 1`` and grid column ``j`` sheet column ``j + 1``;
    ``grid.attrs[HIDDEN]`` tells whether Excel hides the sheet.
    ``None`` also when ``sheet`` is not in the workbook (pandas says so).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            paths = _sheet_paths(zf)
            if sheet is not None and sheet not in paths:
                return None
            strings = []
            if "xl/sharedStrings.xml" in zf.namelist():
                shared = zf.read("xl/sharedStrings.xml").decode("utf-8")
                strings = [_text(si) for si in _SI.findall(shared)]
            out = {}
            for name, (part, hidden) in paths.items():
                if sheet is not None and name != sheet:
                    continue
                grid = _grid(zf.read(part).decode("utf-8"), strings)
                if grid is None:
                    logger.debug("%s: sheet %r needs the full reader", path, name)
                    return None
                grid.attrs[HIDDEN] = hidden
                out[name] = grid
            return out
    except (KeyError, ValueError, IndexError, AttributeError, UnicodeDecodeError) as exc:
        logger.debug("%s: fast xlsx reader gave up (%s)", path, exc)
        return None
