"""Cells of the request workbooks: text that never becomes a formula, missing values, wrapping.

Shared by :mod:`covgap.request.workbook`, :mod:`covgap.request.appendix` and the plan's
workbook.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "set_text_safe"]

#: Leading characters that make Excel (or LibreOffice) read a cell as a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def set_text_safe(cell: Any, value: object) -> None:
    """Write ``value``; a string is always stored as text, never as a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True


def _lines(text: object, width: float, *, chars_per_unit: float = 1.1) -> int:
    """Lines a text wrapped at spaces takes in a column of ``width`` characters."""
    capacity = max(int(width * chars_per_unit) - 1, 1)
    lines, used = 1, 0
    for word in str(text).split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= capacity:
            used = need
        else:
            lines += 1 + (len(word) - 1) // capacity if used else (len(word) - 1) // capacity
            used = len(word) % capacity or capacity
    return lines


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _plain(value: object) -> object:
    """Numpy scalars to Python numbers for openpyxl."""
    return value.item() if hasattr(value, "item") else value
