"""Formula-safe CSV: text that a spreadsheet would run as a formula is written as text.

A village called ``=HYPERLINK("http://…")`` or ``@SUM(A1)`` in a user's table would run
as a formula when a CSV of covgap's is opened in Excel or LibreOffice (CSV injection,
OWASP). Every CSV covgap writes goes through :func:`write_csv`, which prefixes such
text (cells and headers) with ``'``, the spreadsheet's own "this is text" mark. Numbers
are never changed, so ``-105.2`` stays a number.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .atomic import atomic_path

__all__ = ["FORMULA_PREFIXES", "csv_safe", "formula_safe", "write_csv"]

#: Leading characters that make Excel (or LibreOffice) read a cell as a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``.

    Parameters
    ----------
    value
        Any cell value; only ``str`` values are changed.

    Returns
    -------
    object
        ``"'" + value`` for text starting with one of :data:`FORMULA_PREFIXES`, else
        ``value`` itself.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def formula_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with its headers and text cells made formula-safe.

    Numeric (and boolean) columns are kept as they are. The input is not changed; when
    nothing needs a prefix the same object is returned, so clean tables are written
    exactly as before.
    """
    columns = [csv_safe(c) for c in table.columns]
    text_cols = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    bad = {c: table[c].map(_needs_prefix).astype(bool) for c in text_cols}
    bad = {c: mask for c, mask in bad.items() if mask.any()}
    if not bad and columns == list(table.columns):
        return table
    out = table.copy()
    for col, mask in bad.items():
        values = out[col].astype(object)
        values.loc[mask] = values.loc[mask].map(csv_safe)
        out[col] = values
    out.columns = columns
    return out


def _needs_prefix(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def write_csv(
    table: pd.DataFrame, path: str | os.PathLike[str], *, encoding: str = "utf-8-sig"
) -> Path:
    """Write ``table`` (without its index) as a formula-safe CSV, all-or-nothing.

    Parameters
    ----------
    table
        The table; headers and text cells starting with ``= + - @``, a tab or a carriage
        return get a leading ``'`` (:func:`csv_safe`).
    path
        The CSV file, replaced only by a complete new one.
    encoding
        UTF-8 with a BOM by default, so that Excel shows Vietnamese names correctly.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    safe = formula_safe(table)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, encoding=encoding)
    return path
