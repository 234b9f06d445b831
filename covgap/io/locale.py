"""Languages and number formats: how Vietnamese and English readers write numbers.

covgap writes for people who read Vietnamese (``1.450`` households, ``3,2`` km) or
English (``1,450``, ``3.2``). This module is the one place that knows both conventions;
:mod:`covgap.outputs.labels` holds the words.
"""

from __future__ import annotations

import math

import pandas as pd

from ..errors import InputError

__all__ = ["LANGS", "check_lang", "format_number"]

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
