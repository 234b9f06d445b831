"""Tables inside report-style sheets: find the header, drop what is not data (internal).

Provincial offices send villages as printed reports: title rows (``UBND TỈNH LAI CHÂU``,
``DANH SÁCH THÔN BẢN…``) above the table, a header merged over two rows (``Tọa độ``
over ``Kinh độ`` and ``Vĩ độ``), a row of column numbers (``(1) (2) (3)``), an ``STT``
column, total rows (``Tổng cộng``) and a signature block below. :func:`extract_table`
takes the raw grid of a sheet or CSV file (no header, one row per file row) and returns
the table in it, the sheet row of every data row, and every row or column it left out
and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import covgap.io.aliases as _aliases

__all__ = ["HEADER_SEARCH_ROWS", "Extracted", "extract_table", "plain_table"]

#: The header is looked for in this many rows from the top of a sheet.
HEADER_SEARCH_ROWS = 30
#: First words (normalised) of a total row.
_TOTAL = re.compile(
    r"^(?:(?:tong_cong|tong_so|tong|cong|total|grand_total|sum|subtotal)"
    r"|(?:tong_cong|cong|total)_(?:toan_tinh|tinh|huyen|xa|chung|all)(?:_.*)?)$"
)
_TOTAL_RAW = re.compile(r"^\s*(?:t[oổ]ng|c[oộ]ng|total|sum|subtotal)", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"^\(?\s*\d{1,2}\s*\)?$")
_NUMBER = re.compile(r"^[-+]?[\d.,\s]+$")
#: Group headings inside a report: "I", "II.", "A", "B)" in the STT column ...
_SECTION_MARK = re.compile(r"^(?:[IVXLC]+|[A-Z])[.)]?$")
#: ... or a lone "I. Huyện Mường Tè", "Xã Bản Hon", "Huyện Tam Đường" cell.
_SECTION_TEXT = re.compile(
    r"^(?:(?:[IVXLC]+|[A-Z])[.)]\s+)?(?:huyện|thành phố|tp\.?|thị xã|xã|phường|thị trấn)\s",
    re.IGNORECASE,
)


@dataclass
class Extracted:
    """A table found in a grid (internal).

    ``rows`` holds the 1-based file/sheet row of every data row; ``skipped`` lists
    ``(rows, reason)`` for rows left out (``samples``: the first cells of the first such
    row, by reason); ``ignored`` lists ``(header, reason)`` for columns left out;
    ``score`` counts the canonical columns the header names.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    header_rows: tuple[int, int]
    score: int
    canonicals: frozenset[str]
    skipped: list[tuple[list[int], str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _blank(grid: pd.DataFrame) -> np.ndarray:
    """Boolean (rows, columns): the cell is empty or only spaces."""
    out = np.empty(grid.shape, dtype=bool)
    for j, col in enumerate(grid.columns):
        s = grid[col]
        out[:, j] = (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()
    return out


def _canonicals(headers: list[str], kinds: tuple[str, ...]) -> frozenset[str]:
    best: frozenset[str] = frozenset()
    for kind in kinds:
        found = frozenset(
            c for c in (_aliases.lookup_header(h, kind) for h in headers if h) if c is not None
        )
        best = max(best, found, key=len)
    return best


def _joined(parent: list[str], child: list[str], kinds: tuple[str, ...]) -> list[str]:
    """Headers of a two-row header: a parent merged over children.

    The first spelling that names a known column wins: "parent child" (``Tọa độ
    VN-2000 X``), "child parent" (``Độ cao (m) Anten``), "child (parent)" (``Kinh độ
    (Tọa độ)``).
    """
    out: list[str] = []
    group = ""
    for top, low in zip(parent, child, strict=True):
        if top:
            group = top if low else ""
        if not low:
            out.append(top)
            continue
        if not group:
            out.append(low)
            continue
        options = (f"{group} {low}", f"{low} {group}", f"{low} ({group})")
        matched = [o for o in options if any(_aliases.lookup_header(o, k) for k in kinds)]
        out.append(matched[0] if matched else options[0])
    return out


def _find_header(
    cells: list[list[str]], kinds: tuple[str, ...]
) -> tuple[int, int, list[str], frozenset[str]]:
    """Return (first row, number of rows, header names, canonicals) of the best header."""
    best = (0, 1, cells[0] if cells else [], frozenset())
    best_key = (-1, 0)
    for r, row in enumerate(cells):
        single = _canonicals(row, kinds)
        if (len(single), -1) > best_key:
            best, best_key = (r, 1, row, single), (len(single), -1)
        if r + 1 < len(cells):
            names = _joined(row, cells[r + 1], kinds)
            double = _canonicals(names, kinds)
            if (len(double), -2) > best_key:
                best, best_key = (r, 2, names, double), (len(double), -2)
    return best


def _unique_names(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for j, name in enumerate(headers):
        name = name or f"column {_letters(j)}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _letters(j: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        out = chr(65 + rem) + out
    return out


def plain_table(grid: pd.DataFrame, kind: str | None, *, first_row: int = 1) -> Extracted:
    """Return the table of a grid whose first non-empty row is its header.

    Only empty lines (no cell at all) are left out: the tables of other readers
    (candidates, fibre nodes) keep rows of blank cells, which they report.
    """
    kinds = (kind,) if kind in ("villages", "sites") else ("villages", "sites")
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    blank = _blank(grid)
    filled = np.flatnonzero(~blank.all(axis=1))
    if not len(filled):
        return Extracted(pd.DataFrame(), np.zeros(0, int), (first_row, first_row), 0, frozenset())
    r0 = int(filled[0])
    headers = [_text(v) for v in grid.iloc[r0]]
    names = _unique_names(headers)
    keep = [j for j in range(len(names)) if headers[j] or not blank[r0 + 1 :, j].all()]
    data = grid.iloc[r0 + 1 :]
    lines = data.isna().all(axis=1).to_numpy()  # no cell at all: an empty line
    frame = data.loc[~lines, keep]
    frame.columns = [names[j] for j in keep]
    canonicals = _canonicals(headers, kinds)
    rows = np.arange(len(data))[~lines] + first_row + r0 + 1
    header = (first_row + r0, first_row + r0)
    return Extracted(frame.reset_index(drop=True), rows, header, len(canonicals), canonicals)


def extract_table(grid: pd.DataFrame, kind: str | None, *, first_row: int = 1) -> Extracted:
    """Find the table in a raw grid and return it with what was left out.

    Parameters
    ----------
    grid
        Cells as read, no header; grid row ``k`` is file row ``first_row + k``.
    kind
        ``"villages"``, ``"sites"``, or ``None`` (either).

    Returns
    -------
    Extracted
    """
    kinds = (kind,) if kind in ("villages", "sites") else ("villages", "sites")
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    top = [[_text(v) for v in row] for row in grid.head(HEADER_SEARCH_ROWS).itertuples(False)]
    if not top:
        return Extracted(pd.DataFrame(), np.zeros(0, int), (first_row, first_row), 0, frozenset())
    r0, n_header, headers, canonicals = _find_header(top, kinds)
    names = _unique_names(headers)
    blank = _blank(grid)
    data = grid.iloc[r0 + n_header :]
    dblank = blank[r0 + n_header :]
    rows = np.arange(len(data)) + first_row + r0 + n_header
    ex = Extracted(
        pd.DataFrame(),
        rows,
        (first_row + r0, first_row + r0 + n_header - 1),
        len(canonicals),
        canonicals,
    )
    if r0:
        titles = [" ".join(t for t in row if t) for row in top[:r0]]
        titles = [t for t in titles if t]
        if titles:
            ex.ignored.append(("", f"title rows above the header: {' / '.join(titles)[:120]}"))
    # Columns: ordinal (STT) columns and empty unnamed columns are left out.
    keep = []
    for j, name in enumerate(names):
        if headers[j] and _aliases.is_ordinal(headers[j]):
            ex.ignored.append((name, "row numbers (STT)"))
        elif not headers[j] and dblank[:, j].all():
            continue
        else:
            keep.append(j)
    matched = [j for j in keep if any(_aliases.lookup_header(names[j], k) for k in kinds)]
    skip = np.zeros(len(data), dtype=bool)
    reasons: dict[str, list[int]] = {}

    def drop(mask: np.ndarray, reason: str) -> None:
        mask = mask & ~skip
        if mask.any():
            k = int(np.flatnonzero(mask)[0])
            texts = [_text(data.iat[k, j]) for j in range(data.shape[1]) if not dblank[k, j]]
            texts = texts[:3]
            reasons[reason] = rows[mask].tolist()
            ex.samples[reason] = ", ".join(map(repr, texts))
            skip[mask] = True

    empty = dblank[:, keep].all(axis=1) if keep else np.ones(len(data), bool)
    skip |= empty
    if len(data):
        first = np.flatnonzero(~empty)
        if len(first):
            k = first[0]
            texts = [_text(data.iat[k, j]) for j in keep if not dblank[k, j]]
            if len(texts) >= 3 and all(_COLUMN_NUMBER.match(t) for t in texts):
                drop(np.arange(len(data)) == k, "column numbers under the header")
        drop(_repeated_header(data, keep, headers), "repeated header row")
        drop(_total_rows(data, list(range(min(6, data.shape[1])))), "total row")
        drop(_section_rows(data, dblank, keep, headers), "section heading")
        if matched:
            need = max(2, -(-len(matched) // 2))
            dense = (~dblank[:, matched]).sum(axis=1) >= need
            for j in (j for j, h in enumerate(headers) if h and _aliases.is_ordinal(h)):
                numbered = data.iloc[:, j].map(lambda v: _text(v).isdigit()).to_numpy(bool)
                dense |= numbered  # a numbered row (STT 3) is data, however sparse
            last = np.flatnonzero(dense & ~skip)
            end = last[-1] + 1 if len(last) else 0
            tail = np.zeros(len(data), bool)
            tail[end:] = True
            drop(tail & ~empty, "below the table (notes or signature block)")
    for reason, where in reasons.items():
        ex.skipped.append((sorted(where), reason))
    if empty.any():
        ex.skipped.append((rows[empty].tolist(), "blank"))
    frame = data.loc[:, [grid.columns[j] for j in keep]]
    frame.columns = [names[j] for j in keep]
    ex.frame = frame[~skip].reset_index(drop=True)
    ex.rows = rows[~skip]
    return ex


def _repeated_header(data: pd.DataFrame, keep: list[int], headers: list[str]) -> np.ndarray:
    """Rows that repeat the header (printed reports repeat it on every page)."""
    named = [j for j in keep if headers[j]][:3]
    if not named or data.empty:
        return np.zeros(len(data), bool)
    mask = np.ones(len(data), bool)
    for j in named:
        mask &= (data.iloc[:, j].astype(str).str.strip() == headers[j]).to_numpy()
    return mask


def _section_rows(
    data: pd.DataFrame, dblank: np.ndarray, keep: list[int], headers: list[str]
) -> np.ndarray:
    """Rows that only head a group: ``I``/``A`` in STT, or one cell ``Huyện Tam Đường``."""
    filled = (~dblank).sum(axis=1)
    mask = np.zeros(len(data), bool)
    ordinal = [j for j, h in enumerate(headers) if h and _aliases.is_ordinal(h)]
    for i in np.flatnonzero((filled >= 1) & (filled <= 2)):
        texts = [_text(data.iat[i, j]) for j in range(data.shape[1]) if not dblank[i, j]]
        if any(_NUMBER.match(t) for t in texts):
            continue
        mark = _text(data.iat[i, ordinal[0]]) if ordinal else ""
        if _SECTION_MARK.match(mark) or any(_SECTION_TEXT.match(t) for t in texts):
            mask[i] = True
    return mask


def _total_rows(data: pd.DataFrame, columns: list[int]) -> np.ndarray:
    """Rows whose first text cells say "Tổng cộng", "Cộng", "Tổng" or "Total"."""
    mask = np.zeros(len(data), bool)
    for j in columns:
        s = data.iloc[:, j]
        text = s.where(s.map(lambda v: isinstance(v, str)), "").astype(str)
        maybe = text.str.contains(_TOTAL_RAW, regex=True).to_numpy()
        for i in np.flatnonzero(maybe):
            if _TOTAL.match(_aliases.normalise(text.iat[i])):
                mask[i] = True
    return mask
