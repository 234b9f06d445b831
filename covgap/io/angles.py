"""Angles as people write them: decimal degrees, degrees-minutes-seconds, degrees-minutes.

Survey sheets and carrier exports write a latitude as ``22.396``, ``22,396``,
``22°23'45.6"``, ``22°23′45.6″N``, ``N 22 23 45.6``, ``22d23m45.6s`` or ``22°23.76'``;
:func:`parse_degrees` reads all of them. Hemisphere letters N/E (and the Vietnamese
B = Bắc, Đ = Đông) are accepted; S/W make the angle negative.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["parse_degrees"]

_DECIMAL = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: What may stand between the numbers of a DMS angle: degree, minute and second marks.
_MARKS = re.compile(r"(?:°|º|˚|\*|′|’|‘|'|″|”|“|\"|deg|độ|phút|giây|d|m|s|\s|:)+", re.IGNORECASE)
_HEMISPHERE = re.compile(r"^([NSEWBĐ])\s*(?=\d)|(?<=[\d°'′″\"\s])([NSEWBĐ])$", re.IGNORECASE)
_HEMISPHERES = {"N": 1, "E": 1, "B": 1, "Đ": 1, "S": -1, "W": -1}


def parse_degrees(text: str) -> float | None:
    r"""Return the decimal degrees of an angle, or ``None`` when ``text`` is not one.

    Parameters
    ----------
    text
        ``"103.1866"``, ``"103,1866"``, ``"103°11'11.6\""``, ``"103 11 11.6"``,
        ``"103°11.193'E"``, ``"N 22°23′45.6″"``...

    Returns
    -------
    float or None
        Degrees; minutes and seconds must be below 60 and only the last part may have
        decimals.

    Examples
    --------
    >>> round(parse_degrees("22°23'45.6\"N"), 6)
    22.396
    >>> round(parse_degrees("103 11 11.6"), 6)
    103.186556
    """
    text = unicodedata.normalize("NFC", str(text)).strip()
    if _DECIMAL.match(text):
        return float(text.replace(",", "."))
    sign = 1
    hemisphere = _HEMISPHERE.search(text)
    if hemisphere and hemisphere.group(2) in ("s", "S") and re.search(r"\d\s*[dm]", text, re.I):
        hemisphere = None  # 22d23m45.6s: the s marks seconds
    if hemisphere:
        sign = _HEMISPHERES[(hemisphere.group(1) or hemisphere.group(2)).upper()]
        text = (text[: hemisphere.start()] + text[hemisphere.end() :]).strip()
    if text.startswith(("-", "−")):
        sign, text = -sign, text[1:].lstrip()
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    numbers = _NUMBER.findall(text)
    if not 1 <= len(numbers) <= 3 or _MARKS.sub("", _NUMBER.sub("", text)):
        return None
    parts = [float(n) for n in numbers]
    if any(not p.is_integer() for p in parts[:-1]) or any(p >= 60 for p in parts[1:]):
        return None
    value = sum(p / 60**k for k, p in enumerate(parts))
    return sign * value
