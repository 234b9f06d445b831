"""Languages and number formats: how Vietnamese and English readers write numbers.

covgap writes for people who read Vietnamese (``1.450`` households, ``3,2`` km) or
English (``1,450``, ``3.2``), and people type counts both ways: this module is the one
place that knows both conventions, for writing and for reading (:func:`parse_counts`);
:mod:`covgap.outputs.labels` holds the words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["LANGS", "check_lang", "format_number", "parse_counts"]

#: Languages covgap writes in; the first is the default.
LANGS: tuple[str, ...] = ("vi", "en")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is one of :data:`LANGS`, else raise :class:`InputError`."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def format_number(value: float | None, decimals: int = 0, lang: str = "vi") -> str:
    """Format a number the way a reader of ``lang`` writes it; missing values give ``""``.

    Vietnamese groups thousands with ``.`` and writes the decimal comma
    (``1.450``, ``3,2``); English writes ``1,450`` and ``3.2``. The minus sign is U+2212.

    >>> format_number(1450.0, 0, "vi"), format_number(-3.25, 1, "en")
    ('1.450', '−3.2')
    """
    check_lang(lang)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{float(value):,.{decimals}f}"
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text.replace("-", "\u2212")


# ---------------------------------------------------------------------------- parsing
#: A whole number written with thousands separators: ``1.250``, ``1,250``, ``1 250``.
_GROUPED = re.compile(r"^\d{1,3}(?:([.,\s'])\d{3})(?:\1\d{3})*$")
_PLAIN = re.compile(r"^[-+]?\d+$")
#: A whole number written as a float by a program: ``144.0``, ``144,00``.
_WHOLE_FLOAT = re.compile(r"^\d+[.,]0{1,2}$")
_DECIMAL = re.compile(r"^[-+]?\d*[.,]\d+$")
#: A spreadsheet formula's 1249.9999999 is the count 1250.
_WHOLE_TOLERANCE = 1e-6
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def parse_counts(values: Iterable[object]) -> tuple[np.ndarray, dict[int, str]]:
    """Parse a column of counts (households, people) the way people type them.

    The column is judged as a whole: when one of its values is written with thousands
    separators (``1.250`` Vietnamese, ``1,250`` English, ``1 250``), every ``.``, ``,``
    or space between groups of three digits is a thousands separator. A count with a
    fraction (``1,5``, ``12.75``) is refused: in a column with separators it is ambiguous,
    anywhere it is not a count.

    Parameters
    ----------
    values
        The cells: numbers, text or blanks (``None``, NaN, ``""``).

    Returns
    -------
    numbers
        float array, NaN for blanks and refused cells.
    refused
        Position -> reason, for the cells that could not be read as a count.

    Examples
    --------
    >>> parse_counts(["1.250", "87", "2 040"])[0].tolist()
    [1250.0, 87.0, 2040.0]
    """
    cells = list(values)
    out = np.full(len(cells), np.nan)
    texts: dict[int, str] = {}
    for i, value in enumerate(cells):
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[i] = float(value)
        elif value is not None and value is not pd.NA:
            text = str(value).translate(_SPACES).strip()
            if text:
                texts[i] = text
    grouped = {i for i, t in texts.items() if _GROUPED.match(t)}
    refused: dict[int, str] = {}
    for i, text in texts.items():
        if i in grouped:
            out[i] = float(re.sub(r"\D", "", text))
        elif _PLAIN.match(text) or _WHOLE_FLOAT.match(text):
            out[i] = float(text.replace(",", "."))
        elif _DECIMAL.match(text):
            refused[i] = (
                f"{text!r} is ambiguous: other cells use thousands separators"
                if grouped
                else f"{text!r} is not a whole number"
            )
        else:
            refused[i] = f"not a number: {text!r}"
    fraction = np.isfinite(out) & (np.abs(out - np.round(out)) > _WHOLE_TOLERANCE)
    out = np.where(np.isfinite(out) & ~fraction, np.round(out), out)  # 1249.9999999 -> 1250
    for i in np.flatnonzero(fraction):
        refused.setdefault(int(i), f"{out[i]:g} is not a whole number")
    for i in refused:
        out[i] = np.nan
    return out, refused
