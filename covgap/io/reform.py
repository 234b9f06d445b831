"""The 07/2025 administrative reform: old communes and districts to the new units.

On 01/07/2025 Vietnam abolished its districts and merged communes; in Lai Châu the
106 communes became 38 units (36 xã, 2 phường; Resolution 1670/NQ-UBTVQH15). Documents
from 2024 name the old units, letters written now name the new ones, so every covgap
output carries both. A *crosswalk* is a table with one row per old commune::

    old_commune_code,old_commune,old_district_code,old_district,new_unit_code,new_unit,new_unit_type
    03386,Phường Quyết Thắng,105,Thành phố Lai Châu,,Phường Đoàn Kết,phường

:func:`read_crosswalk` reads it, :func:`apply_crosswalk` adds ``commune_2025`` (and
``commune_2025_code``) to a village table, and :func:`synthetic_crosswalk` makes one for
the synthetic sample by merging neighbouring communes. The real Lai Châu table ships as
``data/reform/laichau_2025_crosswalk.csv`` (see the README beside it for its sources).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, InputError

__all__ = [
    "CROSSWALK_COLUMNS",
    "REAL_CROSSWALK",
    "apply_crosswalk",
    "read_crosswalk",
    "synthetic_crosswalk",
]

logger = logging.getLogger(__name__)

#: Columns of a crosswalk table, in order (``new_unit_code`` may be empty).
CROSSWALK_COLUMNS: tuple[str, ...] = (
    "old_commune_code",
    "old_commune",
    "old_district_code",
    "old_district",
    "new_unit_code",
    "new_unit",
    "new_unit_type",
)
_REQUIRED = ("old_commune", "new_unit")
#: The Lai Châu crosswalk of Resolution 1670/NQ-UBTVQH15 shipped with covgap (unofficial
#: transcription; see ``covgap/io/_data/reform/README.md`` for its sources).
REAL_CROSSWALK = Path(__file__).resolve().parent / "_data" / "reform" / "laichau_2025_crosswalk.csv"
_PREFIX = re.compile(
    r"^(xã|xa|phường|phuong|thị trấn|thi tran|tt\.?|huyện|huyen|thành phố|thanh pho|tp\.?)\s+",
    re.IGNORECASE,
)


#: Old-style tone placement -> the GSO's ("Khóa" and "Khoá" are the same name).
_TONE_STYLE = {
    unicodedata.normalize("NFC", f"{v}{mark}{w}"): unicodedata.normalize("NFC", f"{v}{w}{mark}")
    for v, w in (("o", "a"), ("o", "e"), ("u", "y"))
    for mark in ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
}


def _code(values: pd.Series) -> pd.Series:
    """Codes as text without spaces or a trailing ``.0``; empty -> NA."""
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    return text.mask(text == "")


def _name_key(values: pd.Series, *, strip: bool = True) -> pd.Series:
    """Make unit names comparable: NFC, case-folded, one tone style, no unit prefix."""

    def one(value: object) -> object:
        if pd.isna(value):
            return pd.NA
        text = " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold()
        for old, new in _TONE_STYLE.items():
            text = text.replace(old, new)
        return _PREFIX.sub("", text) if strip else text

    return values.map(one).astype("string")


def _name_tiers(out: pd.DataFrame, cw: pd.DataFrame):
    """Village and crosswalk keys, most specific first: full name (+ district), bare name."""
    if "commune" not in out:
        return
    full, bare = _name_key(out["commune"], strip=False), _name_key(out["commune"])
    cw_full, cw_bare = _name_key(cw["old_commune"], strip=False), _name_key(cw["old_commune"])
    if "district" in out and cw["old_district"].notna().any():
        d, cw_d = _name_key(out["district"]), _name_key(cw["old_district"])
        yield full + "|" + d, cw_full + "|" + cw_d
        yield bare + "|" + d, cw_bare + "|" + cw_d
    yield full, cw_full
    yield bare, cw_bare


def read_crosswalk(path: str | Path) -> pd.DataFrame:
    """Read a crosswalk CSV (old commune -> 07/2025 unit).

    Parameters
    ----------
    path
        CSV in UTF-8 (with or without BOM) with the columns of :data:`CROSSWALK_COLUMNS`;
        ``old_commune`` and ``new_unit`` are required, codes are read as text so leading
        zeros survive.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`CROSSWALK_COLUMNS` (missing optional ones are NA).

    Raises
    ------
    DataFileError
        The file cannot be read.
    InputError
        A required column is missing, or an old commune code appears twice.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(f"{path}: cannot read the crosswalk: {exc}") from exc
    missing = [c for c in _REQUIRED if c not in table]
    if missing:
        raise InputError(
            f"{path}: the crosswalk lacks column(s) {missing}; expected {list(CROSSWALK_COLUMNS)}"
        )
    return _tidy(table, str(path))


def _tidy(table: pd.DataFrame, where: str) -> pd.DataFrame:
    out = pd.DataFrame(index=table.index)
    for col in CROSSWALK_COLUMNS:
        values = table[col] if col in table else pd.Series(pd.NA, index=table.index)
        values = values.astype("string").str.strip()
        out[col] = values.mask(values == "")
    for col in ("old_commune_code", "old_district_code", "new_unit_code"):
        out[col] = _code(out[col])
    codes = out["old_commune_code"].dropna()
    dupes = sorted(set(codes[codes.duplicated()]))
    if dupes:
        raise InputError(f"{where}: old commune code(s) listed twice in the crosswalk: {dupes}")
    empty = out["new_unit"].isna() | out["old_commune"].isna()
    if empty.any():
        rows = [int(i) + 2 for i in np.flatnonzero(empty.to_numpy())]
        raise InputError(f"{where}: rows {rows} lack old_commune or new_unit")
    return out.reset_index(drop=True)


def apply_crosswalk(villages: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Add the 07/2025 unit of every village: ``commune_2025`` and ``commune_2025_code``.

    Villages are matched on ``commune_code`` when both sides have codes, else on the
    commune name (without "Xã"/"Phường"/"Thị trấn", any case) and, where both have it,
    the district name.

    Parameters
    ----------
    villages
        A village table with ``commune`` (and ideally ``commune_code``, ``district``).
    crosswalk
        From :func:`read_crosswalk` or :func:`synthetic_crosswalk`.

    Returns
    -------
    pandas.DataFrame
        A copy (same type as ``villages``) with ``commune_2025`` and ``commune_2025_code``
        inserted after ``commune``; NA where the commune is not in the crosswalk (logged).
    """
    out = villages.copy()
    cw = _tidy(crosswalk, "crosswalk")
    new_name = pd.Series(pd.NA, index=out.index, dtype="string")
    new_code = pd.Series(pd.NA, index=out.index, dtype="string")
    if "commune_code" in out and cw["old_commune_code"].notna().any():
        by_code = cw.dropna(subset=["old_commune_code"]).set_index("old_commune_code")
        codes = _code(out["commune_code"])
        new_name = codes.map(by_code["new_unit"]).astype("string")
        new_code = codes.map(by_code["new_unit_code"]).astype("string")
    for keys, cw_keys in _name_tiers(out, cw):
        todo = new_name.isna().to_numpy()
        if not todo.any():
            break
        unique = cw_keys.notna() & ~cw_keys.duplicated(keep=False)
        lookup = cw[unique.to_numpy()].set_index(cw_keys[unique])
        hit = keys[todo].map(lookup["new_unit"])
        new_name[todo] = hit.astype("string").to_numpy()
        new_code[todo] = keys[todo].map(lookup["new_unit_code"]).astype("string").to_numpy()
    missing = new_name.isna()
    if missing.any():
        names = sorted(out.loc[missing, "commune"].astype(str).unique()) if "commune" in out else []
        logger.warning(
            "%d villages in communes not in the crosswalk: %s", int(missing.sum()), names[:10]
        )
    at = list(out.columns).index("commune") + 1 if "commune" in out else len(out.columns)
    for col in ("commune_2025", "commune_2025_code"):
        if col in out:
            out = out.drop(columns=col)
    out.insert(min(at, len(out.columns)), "commune_2025", new_name.to_numpy())
    out.insert(min(at + 1, len(out.columns)), "commune_2025_code", new_code.to_numpy())
    return out


def synthetic_crosswalk(communes: gpd.GeoDataFrame, *, n_units: int = 38) -> pd.DataFrame:
    """Merge neighbouring synthetic communes into ``n_units`` plausible 07/2025 units.

    Deterministic: the units are shared out between districts in proportion to their
    communes (at least one each, largest remainders first), then inside each district the
    smallest unit is merged with its smallest touching neighbour until the district has its
    share. A unit is named after its largest member ("Xã Pú Hăn"), is a phường if any
    member was one, and takes that member's code, as the reform usually did.

    Parameters
    ----------
    communes
        Commune polygons with ``commune_code``, ``commune``, ``district_code``,
        ``district`` and optionally ``commune_type`` and ``area_km2``.
    n_units
        Number of units to form (38 in Lai Châu).

    Returns
    -------
    pandas.DataFrame
        A crosswalk with the columns of :data:`CROSSWALK_COLUMNS`.

    Raises
    ------
    InputError
        ``n_units`` is below the number of districts or above the number of communes.
    """
    cm = communes.reset_index(drop=True).copy()
    cm["commune_code"] = _code(cm["commune_code"])
    cm = cm.sort_values(["district_code", "commune_code"], kind="stable", ignore_index=True)
    counts = cm.groupby("district_code", sort=True).size()
    if not len(counts) <= n_units <= len(cm):
        raise InputError(
            f"synthetic_crosswalk: n_units={n_units} must be between the number of districts "
            f"({len(counts)}) and of communes ({len(cm)})"
        )
    share = _apportion(counts, n_units)
    if "area_km2" not in cm:
        cm["area_km2"] = cm.to_crs(cm.estimate_utm_crs()).area / 1e6
    rows = []
    for district_code, group in cm.groupby("district_code", sort=True):
        for members in _merge_district(group, int(share[district_code])):
            rows += _unit_rows(cm.loc[members])
    out = pd.DataFrame(rows, columns=list(CROSSWALK_COLUMNS))
    return out.sort_values("old_commune_code", kind="stable", ignore_index=True)


def _apportion(counts: pd.Series, n_units: int) -> pd.Series:
    """Units per district: one each, the rest by largest remainder of the commune share."""
    extra = n_units - len(counts)
    quota = (counts - 1) / max(int((counts - 1).sum()), 1) * extra
    share = np.floor(quota).astype(int)
    order = (quota - share).sort_values(ascending=False, kind="stable").index
    for key in order[: extra - int(share.sum())]:
        share[key] += 1
    return (share + 1).clip(upper=counts)


def _merge_district(group: gpd.GeoDataFrame, k: int) -> list[list[int]]:
    """Agglomerate touching communes of one district into ``k`` groups of row labels."""
    units = {int(i): [int(i)] for i in group.index}
    area = {int(i): float(group.at[i, "area_km2"]) for i in group.index}
    geoms = group.geometry.to_numpy()
    touching = {
        int(i): {int(j) for j in group.index[shapely.dwithin(geoms, g, 1e-6)] if j != i}
        for i, g in zip(group.index, geoms, strict=True)
    }
    centre = {int(i): group.geometry[i].representative_point() for i in group.index}
    while len(units) > k:
        small = min(units, key=lambda u: (area[u], u))
        neigh = {u for u in units if u != small and any(m in touching[small] for m in units[u])}
        if not neigh:  # an island: merge with the nearest unit
            neigh = {min((u for u in units if u != small),
                         key=lambda u: centre[u].distance(centre[small]))}  # fmt: skip
        other = min(neigh, key=lambda u: (area[u], u))
        keep, drop = min(small, other), max(small, other)
        units[keep] = sorted(units[keep] + units.pop(drop))
        area[keep] += area.pop(drop)
        touching[keep] |= touching.pop(drop)
        centre.pop(drop)
    return [units[u] for u in sorted(units)]


def _unit_rows(members: pd.DataFrame) -> list[dict[str, object]]:
    """Crosswalk rows of one merged unit, named after its largest member."""
    head = members.sort_values(["area_km2", "commune_code"], ascending=[False, True]).iloc[0]
    kind = str(head.get("commune_type", "")).casefold()
    ward = "phường" in kind or "phuong" in kind
    base = _PREFIX.sub("", str(head["commune"]).strip())
    name = ("Phường " if ward else "Xã ") + base
    return [
        {
            "old_commune_code": row["commune_code"],
            "old_commune": row["commune"],
            "old_district_code": str(row["district_code"]),
            "old_district": row["district"],
            "new_unit_code": head["commune_code"],
            "new_unit": name,
            "new_unit_type": "phường" if ward else "xã",
        }
        for _, row in members.iterrows()
    ]
