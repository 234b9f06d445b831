"""How a plan's values read to people: coded values with labels, candidate notes, flat tables.

Shared by the plan's files (:mod:`covgap.plan.outputs`) and its map (:mod:`covgap.plan.map`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.locale import format_number
from ..outputs.labels import LABELS, label
from ..request.workbook import _missing

#: Candidate kinds that are new sites shared by every carrier.
_SHARED_KINDS = ("new_site", "user")


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` as a plain DataFrame, without geometry columns."""
    geoms = [c for c in table.columns if isinstance(table[c].dtype, gpd.array.GeometryDtype)]
    return pd.DataFrame(table.drop(columns=geoms)).reset_index(drop=True)


def _coded(value: Any, prefix: str, lang: str) -> Any:
    if isinstance(value, str) and prefix + value in LABELS:
        return label(prefix + value, lang)
    return value


def note_text(row: Any, lang: str) -> str | None:
    """Return the candidate's note in ``lang`` (rebuilt from its figures in Vietnamese).

    The candidate generators write English notes; the Vietnamese one says the same from
    the row's ``kind``, ``ground_m``, ``n_visible``, ``road_km``, ``power_km``,
    ``azimuths_deg`` and ``height_m``.
    """
    note = row.get("note")
    if lang != "vi":
        return None if _missing(note) else str(note)
    kind = row.get("kind")

    def num(key: str, decimals: int) -> str | None:
        value = row.get(key)
        if _missing(value) or not np.isfinite(float(value)):
            return None
        return format_number(float(value), decimals, "vi")

    seen = num("n_visible", 0)
    sees = f"nhìn thẳng tới {seen} thôn chưa có sóng" if seen is not None else None
    if kind == "new_site":
        parts = [f"điểm cao {num('ground_m', 0)} m" if num("ground_m", 0) else None, sees]
    elif kind == "add_4g":
        parts = ["trạm chỉ có 2G: lắp thêm 4G", sees]
    elif kind == "add_sector":
        parts = [f"thêm 1 sector hướng {row.get('azimuths_deg')}°", sees]
    elif kind == "user":
        parts = [f"vị trí do người dùng đề xuất, cột anten {num('height_m', 0)} m"]
    else:
        return None if _missing(note) else str(note)
    if num("road_km", 1) is not None:
        parts.append(f"cách đường {num('road_km', 1)} km")
    if num("power_km", 1) is not None:
        parts.append(f"cách thôn có điện lưới {num('power_km', 1)} km")
    return ", ".join(p for p in parts if p)
