"""Human-facing labels in Vietnamese and English: one table for maps, reports and the CLI.

Columns in covgap's tables are snake_case English (``coverage_class``); people read
``Phân loại`` or ``Class``. Every header, class name, legend line and popup text comes from
:data:`LABELS`, so a map and an Excel report of the same run use the same words.

>>> label("coverage_class", "vi")
'Phân loại'
>>> label("white", "en")
'White zone'
>>> label("no_such_key", "en")
'no_such_key'
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...io.locale import LANGS, check_lang, format_number
from . import dossier as _labels_dossier
from . import economics as _labels_economics
from . import map as _labels_map
from . import plan as _labels_plan
from . import static as _labels_static

__all__ = [
    "LABELS",
    "LANGS",
    "check_lang",
    "commune_text",
    "format_number",
    "label",
    "rename_columns",
]


_COLUMNS: dict[str, tuple[str, str]] = {
    # villages (canonical and usual extra columns)
    "village_id": ("Mã thôn", "Village ID"),
    "name": ("Tên thôn/bản", "Village"),
    "commune": ("Xã", "Commune"),
    "commune_code": ("Mã xã", "Commune code"),
    "district": ("Huyện", "District"),
    "district_code": ("Mã huyện", "District code"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
    "elevation_m": ("Độ cao (m)", "Elevation (m)"),
    "households": ("Số hộ", "Households"),
    "population": ("Nhân khẩu", "Population"),
    "grid_power": ("Điện lưới", "Grid power"),
    "especially_difficult": ("Đặc biệt khó khăn", "Especially difficult area"),
    "cluster_1_lon": ("Kinh độ cụm 1", "Cluster 1 longitude"),
    "cluster_1_lat": ("Vĩ độ cụm 1", "Cluster 1 latitude"),
    "cluster_2_lon": ("Kinh độ cụm 2", "Cluster 2 longitude"),
    "cluster_2_lat": ("Vĩ độ cụm 2", "Cluster 2 latitude"),
    # classified villages
    "coverage_class": ("Phân loại", "Class"),
    "rsrp_dbm": ("RSRP 4G tốt nhất (dBm)", "Best 4G RSRP (dBm)"),
    "min_cluster_rsrp_dbm": (
        "RSRP 4G thấp nhất tại các cụm dân cư (dBm)",
        "Lowest 4G RSRP at the clusters (dBm)",
    ),
    "best_carrier": ("Nhà mạng tốt nhất", "Best carrier"),
    "best_site_id": ("Trạm phục vụ", "Serving site"),
    "best_site_km": ("Khoảng cách đến trạm phục vụ (km)", "Distance to the serving site (km)"),
    "los": ("Tầm nhìn thẳng", "Line of sight"),
    "obstacle_lon": ("Kinh độ vật cản", "Obstacle longitude"),
    "obstacle_lat": ("Vĩ độ vật cản", "Obstacle latitude"),
    "obstacle_height_m": ("Độ cao vật cản (m)", "Obstacle height (m)"),
    "obstacle_dist_km": (
        "Khoảng cách từ thôn đến vật cản (km)",
        "Obstacle distance from the village (km)",
    ),
    "nearest_site_id": ("Trạm gần nhất", "Nearest site"),
    "nearest_site_carrier": ("Nhà mạng của trạm gần nhất", "Carrier of the nearest site"),
    "nearest_site_km": ("Khoảng cách đến trạm gần nhất (km)", "Distance to the nearest site (km)"),
    "rsrp_viettel_dbm": ("RSRP 4G Viettel (dBm)", "Viettel 4G RSRP (dBm)"),
    "rsrp_vnpt_dbm": ("RSRP 4G VNPT (dBm)", "VNPT 4G RSRP (dBm)"),
    "rsrp_mobifone_dbm": ("RSRP 4G MobiFone (dBm)", "MobiFone 4G RSRP (dBm)"),
    "class_viettel": ("Phân loại Viettel", "Viettel class"),
    "class_vnpt": ("Phân loại VNPT", "VNPT class"),
    "class_mobifone": ("Phân loại MobiFone", "MobiFone class"),
    "best_2g_dbm": ("Mức thu 2G tốt nhất (dBm)", "Best 2G RxLev (dBm)"),
    "best_3g_dbm": ("RSCP 3G tốt nhất (dBm)", "Best 3G RSCP (dBm)"),
    "services": ("Dịch vụ khả dụng", "Usable services"),
    "reason": ("Lý do", "Reason"),
    "reason_vi": ("Lý do", "Reason (Vietnamese)"),
    # sites
    "site_id": ("Mã trạm", "Site ID"),
    "sector_id": ("Mã cell", "Sector ID"),
    "carrier": ("Nhà mạng", "Carrier"),
    "technology": ("Công nghệ", "Technology"),
    "freq_mhz": ("Băng tần (MHz)", "Band (MHz)"),
    "height_m": ("Độ cao anten (m)", "Antenna height (m)"),
    "azimuth_deg": ("Góc phương vị (°)", "Azimuth (°)"),
    "tilt_deg": ("Góc tilt (°)", "Downtilt (°)"),
    "power_dbm": ("Công suất (dBm)", "Power (dBm)"),
    "gain_dbi": ("Độ lợi anten (dBi)", "Antenna gain (dBi)"),
    "beamwidth_deg": ("Độ rộng búp sóng (°)", "Beamwidth (°)"),
    "fibre_backhaul": ("Truyền dẫn quang", "Fibre backhaul"),
}

_WORDS: dict[str, tuple[str, str]] = {
    # classes
    "covered": ("Có sóng", "Covered"),
    "low_signal": ("Vùng lõm (sóng yếu)", "Low signal"),
    "white": ("Vùng trắng (không có sóng)", "White zone"),
    # values
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "unknown": ("Chưa rõ", "Unknown"),
    "none_in_range": ("Không có trạm trong tầm", "No site in range"),
    "los_clear": ("Có tầm nhìn thẳng đến trạm", "Clear line of sight to the site"),
    "obstacle": (
        "Bị che chắn bởi dãy núi cao {height} m, cách thôn {dist} km",
        "Blocked by a ridge {height} m high {dist} km from the village",
    ),
    "site_distance": ("{site}, cách {dist} km", "{site}, {dist} km away"),
    "sectors": ("Số cell", "Sectors"),
    "technologies": ("Công nghệ", "Technologies"),
    "bands": ("Băng tần (MHz)", "Bands (MHz)"),
    "rsrp_by_carrier": ("RSRP 4G theo nhà mạng (dBm)", "4G RSRP by carrier (dBm)"),
    "signal_path": ("Đường truyền", "Signal path"),
    "bts_site": ("Trạm BTS", "BTS site"),
    # layers
    "layer_villages": ("Thôn/bản: {cls}", "Villages: {cls}"),
    "layer_sites": ("Trạm BTS {carrier}", "{carrier} BTS sites"),
    "layer_districts": ("Ranh giới huyện", "District boundaries"),
    "layer_communes": ("Ranh giới xã", "Commune boundaries"),
    # legend and title
    "legend_title": ("Phân loại thôn theo sóng 4G", "Village classes by 4G signal"),
    "legend_covered": ("RSRP ≥ {covered} dBm", "RSRP ≥ {covered} dBm"),
    "legend_low_signal": (
        "{low} ≤ RSRP < {covered} dBm, hoặc có sóng ở trung tâm nhưng không ở mọi cụm dân cư",
        "{low} ≤ RSRP < {covered} dBm, or covered at the centre but not at every cluster",
    ),
    "legend_white": (
        "RSRP < {low} dBm hoặc không có trạm trong tầm",
        "RSRP < {low} dBm or no site in range",
    ),
    "legend_sites": ("Trạm BTS (theo nhà mạng)", "BTS sites (by carrier)"),
    "legend_note": (
        "RSRP mô phỏng tại trung tâm và các cụm dân cư của thôn",
        "Modelled RSRP at the village centre and population clusters",
    ),
    "map_title": (
        "Vùng lõm, vùng trắng sóng di động – tỉnh Lai Châu",
        "Mobile coverage gaps – Lai Châu province",
    ),
    "synthetic_notice": (
        "DỮ LIỆU GIẢ LẬP – không phải số liệu thật của tỉnh",
        "SYNTHETIC DATA – not real figures for the province",
    ),
    "real_data": ("Dữ liệu thật", "Real data"),
    "model": ("Mô hình truyền sóng", "Propagation model"),
    "thresholds": ("Ngưỡng", "Thresholds"),
    "date": ("Ngày", "Date"),
    "data": ("Dữ liệu", "Data"),
    "scenario": ("Kịch bản", "Scenario"),
    "villages_count": ("Số thôn", "Villages"),
    "location_probability": ("Xác suất vị trí", "Location probability"),
    "rx_height_m": ("Độ cao máy thu (m)", "Receiver height (m)"),
    "max_range_km": ("Bán kính tính toán (km)", "Range evaluated (km)"),
    "dem": ("Mô hình số độ cao (DEM)", "Elevation model (DEM)"),
    "dem_resolution_m": ("Độ phân giải DEM (m)", "DEM resolution (m)"),
    "covgap_version": ("Phiên bản covgap", "covgap version"),
}


def _merge(*tables: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Merge label tables; a key given twice must carry the same texts."""
    merged: dict[str, tuple[str, str]] = {}
    for table in tables:
        for key, texts in table.items():
            if merged.get(key, texts) != texts:
                raise ValueError(f"label {key!r} defined twice: {merged[key]} and {texts}")
            merged[key] = texts
    return {key: dict(zip(LANGS, texts, strict=True)) for key, texts in merged.items()}


#: key -> {"vi": ..., "en": ...}; column headers, classes, values, legend and popup texts.
#: Output modules keep their own entries in ``covgap/_labels_<module>.py``.
LABELS: dict[str, dict[str, str]] = _merge(
    _COLUMNS,
    _WORDS,
    _labels_dossier.LABELS,
    _labels_map.LABELS,
    _labels_static.LABELS,
    _labels_plan.LABELS,
    _labels_economics.LABELS,
)


def commune_text(new: object, old: object) -> str:
    """Name a commune once: the 07/2025 unit, the former commune in brackets.

    >>> commune_text("Xã Kéo Sán", "Xã Pú Chản")
    'Xã Kéo Sán (Xã Pú Chản)'
    >>> commune_text(None, "Xã Mô Tà")
    'Xã Mô Tà'
    """
    new = "" if new is None or pd.isna(new) else str(new)
    old = "" if old is None or pd.isna(old) else str(old)
    if new and old and new != old:
        return f"{new} ({old})"
    return new or old


def label(key: str, lang: str = "vi") -> str:
    """Return the label of ``key`` in ``lang``.

    Parameters
    ----------
    key
        A column name (``"households"``), a class (``"white"``) or a text key of
        :data:`LABELS`. Unknown keys are returned unchanged, so extra input columns keep
        their own names.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    str

    Raises
    ------
    InputError
        ``lang`` is not one of :data:`LANGS`.
    """
    check_lang(lang)
    entry = LABELS.get(key)
    return key if entry is None else entry[lang]


def rename_columns(
    df: pd.DataFrame, lang: str = "vi", *, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """Return a copy of ``df`` with human-facing column headers in ``lang``.

    Parameters
    ----------
    df
        A covgap table (villages, classified villages, sites).
    lang
        ``"vi"`` or ``"en"``.
    columns
        Keep only these columns, in this order, before renaming (``None``: all).

    Returns
    -------
    pandas.DataFrame
        The ``geometry`` column, if any, keeps its name.
    """
    check_lang(lang)
    if columns is not None:
        df = df[list(columns)]
    mapping = {c: label(c, lang) for c in df.columns if c != "geometry" and c in LABELS}
    return df.rename(columns=mapping)
