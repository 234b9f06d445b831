"""Column and value aliases: what users' files call things, mapped to canonical names.

Every header is compared after :func:`normalise` (NFKD, combining marks stripped,
``đ`` -> ``d``, lower case, runs of anything not a letter or digit -> ``_``), so
``"Tên thôn/bản"``, ``"TEN THON BAN"`` and ``"ten_thon_ban"`` are the same header.
The tables below are written the way people type them; add a spelling here (and a test)
when a real file uses one that is missing.

Coverage of the tables:

* villages: ids, names, commune/district names and codes, households, population, grid
  power, "especially difficult" status, elevation and the two optional population
  clusters, in English, Vietnamese (with and without diacritics) and the 10-character
  Shapefile truncations of the canonical names;
* sites: site and sector ids, carrier, technology, band, antenna height, azimuth, tilt,
  power, gain, beamwidth and fibre backhaul, same languages;
* positions: lon/lat in degrees (``Kinh độ``/``Vĩ độ``) and projected x/y
  (``X``/``Y``, ``Tọa độ X``/``Tọa độ Y``, ``Easting``/``Northing``);
* values: carrier names (``Vinaphone``, ``VNPT-VinaPhone``, ``Viettel Telecom``,
  ``Mobifone``...), technologies (``LTE`` -> 4G, ``GSM`` -> 2G, ``UMTS``/``WCDMA`` -> 3G),
  LTE band numbers (``B3`` -> 1800 MHz) and booleans (yes/no, true/false, 1/0, có/không, x).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

__all__ = [
    "BOOLEAN_VALUES",
    "CARRIER_ALIASES",
    "LTE_BANDS_MHZ",
    "POSITION_ALIASES",
    "SITE_ALIASES",
    "TECHNOLOGY_ALIASES",
    "VILLAGE_ALIASES",
    "header_crs",
    "header_keys",
    "is_ordinal",
    "lookup_header",
    "match_columns",
    "normalise",
    "parse_band",
    "parse_bool",
    "parse_carrier",
    "parse_technology",
    "suggest",
]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: object) -> str:
    """Return the comparison key of a header or a value.

    Parameters
    ----------
    text
        Any value; it is turned into a string first.

    Returns
    -------
    str
        Lower-case ascii with words joined by ``_`` (``"Độ cao (m)"`` -> ``"do_cao_m"``).
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    ascii_ish = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_ish = ascii_ish.replace("đ", "d").replace("Đ", "D").lower()
    return _NON_ALNUM.sub("_", ascii_ish).strip("_")


#: Position columns, shared by villages and sites. ``lon``/``lat`` hold degrees; ``x``/``y``
#: hold projected metres (or degrees when no CRS is given) in the CRS the user names.
POSITION_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": (
        "lon",
        "lng",
        "long",
        "longitude",
        "Kinh độ",
        "Kinh do (WGS84)",
        "Kinh độ (độ)",
        "lon_wgs84",
        "longitude_wgs84",
        "Kinh độ Đông",
        "Kinh tuyến",
    ),
    "lat": (
        "lat",
        "latitude",
        "Vĩ độ",
        "Vi do (WGS84)",
        "Vĩ độ (độ)",
        "lat_wgs84",
        "latitude_wgs84",
        "Vĩ độ Bắc",
        "Vĩ tuyến",
    ),
    "x": (
        "x",
        "Tọa độ X",
        "Toạ độ X",
        "X (m)",
        "coord_x",
        "x_vn2000",
        "Easting",
        "east",
        "E",
        "Hoành độ",
    ),
    "y": (
        "y",
        "Tọa độ Y",
        "Toạ độ Y",
        "Y (m)",
        "coord_y",
        "y_vn2000",
        "Northing",
        "north",
        "N",
        "Tung độ",
    ),
}

#: Village table: canonical column -> accepted headers.
VILLAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "village_id": (
        "village_id",
        "village id",
        "village code",
        "village_code",
        "id",
        "Mã thôn",
        "Mã bản",
        "Mã thôn/bản",
        "Mã thôn bản",
        "Mã số thôn",
        "Mã số",
        "Mã",
        "village_i",
        "geonameid",
    ),
    "name": (
        "name",
        "village",
        "village name",
        "village_name",
        "Tên thôn/bản",
        "Tên thôn",
        "Tên bản",
        "Thôn/bản",
        "Thôn bản",
        "Tên thôn, bản",
        "Tên thôn/bản/tổ dân phố",
        "Thôn/bản/tổ dân phố",
        "Thôn",
        "Bản",
        "Tên",
    ),
    "commune": (
        "commune",
        "commune name",
        "ward",
        "Xã",
        "Tên xã",
        "Xã/phường",
        "Xã/phường/thị trấn",
        "Xã, phường, thị trấn",
        "Tên xã/phường",
        "Phường",
    ),
    "commune_code": ("commune_code", "commune code", "Mã xã", "commune_co"),
    "district": (
        "district",
        "district name",
        "Huyện",
        "Tên huyện",
        "Huyện/thành phố",
        "Huyện/thị xã/thành phố",
        "Huyện, thành phố",
        "Huyện/TP",
    ),
    "district_code": ("district_code", "district code", "Mã huyện", "district_c"),
    "households": (
        "households",
        "household",
        "hh",
        "n_households",
        "Số hộ",
        "Số hộ dân",
        "Số hộ gia đình",
        "Số hộ dân cư",
        "number of households",
        "no of households",
        "household count",
        "Tổng số hộ",
        "Hộ gia đình",
        "Số HGĐ",
        "Hộ",
        "household_",
        "househol",
    ),
    "population": (
        "population",
        "pop",
        "people",
        "Nhân khẩu",
        "Số nhân khẩu",
        "Dân số",
        "Số dân",
        "Số khẩu",
        "Tổng số khẩu",
        "Tổng nhân khẩu",
        "Tổng số nhân khẩu",
        "total population",
        "number of people",
        "inhabitants",
        "Số người",
        "populatio",
    ),
    "grid_power": (
        "grid_power",
        "grid power",
        "electricity",
        "has_power",
        "power_grid",
        "Điện lưới",
        "Có điện lưới",
        "Điện lưới quốc gia",
        "Có điện",
        "Điện lưới QG",
        "Đã có điện lưới",
        "Có điện lưới quốc gia",
        "has grid power",
        "grid connected",
        "grid_powe",
    ),
    "especially_difficult": (
        "especially_difficult",
        "especially difficult",
        "difficult",
        "Đặc biệt khó khăn",
        "Thôn ĐBKK",
        "ĐBKK",
        "Thôn đặc biệt khó khăn",
        "Thôn bản ĐBKK",
        "Thuộc diện ĐBKK",
        "especially",
        "especiall",
        "esp_diff",
    ),
    "elevation_m": (
        "elevation_m",
        "elevation",
        "elev",
        "altitude",
        "Độ cao (m)",
        "Độ cao",
        "Cao độ",
        "Cao độ (m)",
        "elevation_",
    ),
    "cluster_1_lon": ("cluster_1_lon", "cluster1_lon", "c1_lon", "Kinh độ cụm 1"),
    "cluster_1_lat": ("cluster_1_lat", "cluster1_lat", "c1_lat", "Vĩ độ cụm 1"),
    "cluster_2_lon": ("cluster_2_lon", "cluster2_lon", "c2_lon", "Kinh độ cụm 2"),
    "cluster_2_lat": ("cluster_2_lat", "cluster2_lat", "c2_lat", "Vĩ độ cụm 2"),
}

#: Site table (one row per sector): canonical column -> accepted headers.
SITE_ALIASES: dict[str, tuple[str, ...]] = {
    "site_id": (
        "site_id",
        "site id",
        "site",
        "site code",
        "bts",
        "bts_id",
        "station_id",
        "Mã trạm",
        "Mã trạm BTS",
        "Trạm",
        "Mã BTS",
    ),
    "site_name": ("site_name", "site name", "Tên trạm", "Tên trạm BTS"),
    "sector_id": (
        "sector_id",
        "sector id",
        "sector",
        "cell",
        "cell_id",
        "cell id",
        "Mã cell",
        "Mã sector",
        "Cell",
        "Sector",
        "Mã cell/sector",
        "cell name",
        "sector_i",
    ),
    "carrier": (
        "carrier",
        "operator",
        "network",
        "provider",
        "Nhà mạng",
        "Doanh nghiệp",
        "Nhà cung cấp",
        "Tên nhà mạng",
        "Doanh nghiệp viễn thông",
        "operator name",
        "Mạng",
    ),
    "technology": (
        "technology",
        "tech",
        "rat",
        "generation",
        "system",
        "Công nghệ",
        "Loại công nghệ",
        "technolog",
    ),
    "freq_mhz": (
        "freq_mhz",
        "freq",
        "frequency",
        "frequency_mhz",
        "band",
        "band_mhz",
        "Băng tần",
        "Băng tần (MHz)",
        "Tần số",
        "Tần số (MHz)",
        "Băng tần hoạt động",
        "frequency band",
    ),
    "height_m": (
        "height_m",
        "height",
        "antenna_height",
        "antenna height (m)",
        "ant_height",
        "h_m",
        "Độ cao anten (m)",
        "Độ cao anten",
        "Độ cao ăng ten (m)",
        "Chiều cao anten (m)",
        "Chiều cao anten",
        "Độ cao treo anten (m)",
        "Độ cao treo anten",
        "Độ cao cột",
        "Độ cao cột (m)",
        "Chiều cao cột",
        "Chiều cao cột (m)",
        "Độ cao anten so với mặt đất",
        "tower height",
        "antenna height agl",
        "antenna_height_m",
        "height_agl",
    ),
    # Ground elevation: "Độ cao (m)" alone is the height of the ground, never the antenna's.
    "elevation_m": (
        "elevation_m",
        "elevation",
        "ground elevation",
        "altitude",
        "Độ cao (m)",
        "Độ cao",
        "Cao độ",
        "Cao độ (m)",
        "Độ cao địa hình",
        "Cao độ mặt đất",
        "elevation_",
    ),
    "azimuth_deg": (
        "azimuth_deg",
        "azimuth",
        "azi",
        "bearing",
        "Góc phương vị",
        "Góc phương vị (độ)",
        "Hướng",
        "Hướng anten",
        "Hướng phát sóng",
        "azimuth_de",
    ),
    "tilt_deg": (
        "tilt_deg",
        "tilt",
        "downtilt",
        "down_tilt",
        "total_tilt",
        "Góc ngẩng",
        "Góc tilt",
        "Góc nghiêng",
        "Góc chúc",
        "Tilt (độ)",
        "Tổng tilt",
    ),
    # Mechanical and electrical downtilt, added into tilt_deg when there is no total.
    "tilt_mech_deg": (
        "tilt_mech_deg",
        "mechanical tilt",
        "mechanical downtilt",
        "mech tilt",
        "m_tilt",
        "mtilt",
        "M-tilt",
        "Tilt cơ",
        "Góc tilt cơ",
        "Tilt cơ khí",
        "Góc nghiêng cơ",
        "Góc chúc cơ",
    ),
    "tilt_elec_deg": (
        "tilt_elec_deg",
        "electrical tilt",
        "electrical downtilt",
        "elec tilt",
        "e_tilt",
        "etilt",
        "E-tilt",
        "RET",
        "Tilt điện",
        "Góc tilt điện",
        "Góc nghiêng điện",
        "Góc chúc điện",
    ),
    "power_dbm": (
        "power_dbm",
        "power",
        "tx_power",
        "tx_power_dbm",
        "Công suất (dBm)",
        "Công suất",
        "Công suất phát (dBm)",
    ),
    "gain_dbi": (
        "gain_dbi",
        "gain",
        "antenna_gain",
        "Độ lợi anten (dBi)",
        "Độ lợi anten",
        "Độ lợi (dBi)",
        "Tăng ích anten (dBi)",
    ),
    "beamwidth_deg": (
        "beamwidth_deg",
        "beamwidth",
        "hbw",
        "horizontal_beamwidth",
        "Độ rộng búp sóng",
        "Độ rộng búp sóng (độ)",
        "Độ rộng búp sóng ngang",
        "beamwidth_",
    ),
    "fibre_backhaul": (
        "fibre_backhaul",
        "fiber_backhaul",
        "fibre",
        "fiber",
        "backhaul",
        "Truyền dẫn quang",
        "Cáp quang",
        "Truyền dẫn cáp quang",
        "fibre_back",
        "fiber_back",
    ),
}

#: Carrier spellings (normalised) -> canonical carrier (schema.CARRIERS).
CARRIER_ALIASES: dict[str, str] = {
    normalise(k): v
    for k, v in {
        "Viettel": "Viettel",
        "Viettel Telecom": "Viettel",
        "Viettel Mobile": "Viettel",
        "VTL": "Viettel",
        "VTT": "Viettel",
        "Tập đoàn Viettel": "Viettel",
        "VNPT": "VNPT",
        "VinaPhone": "VNPT",
        "VNPT-VinaPhone": "VNPT",
        "VNPT VinaPhone": "VNPT",
        "VNP": "VNPT",
        "Vina": "VNPT",
        "MobiFone": "MobiFone",
        "Mobi": "MobiFone",
        "MBF": "MobiFone",
        "VMS": "MobiFone",
        "VMS MobiFone": "MobiFone",
    }.items()
}

#: Technology spellings (normalised) -> "2G" / "3G" / "4G".
TECHNOLOGY_ALIASES: dict[str, str] = {
    normalise(k): v
    for k, v in {
        "2G": "2G",
        "GSM": "2G",
        "GPRS": "2G",
        "EDGE": "2G",
        "BTS": "2G",
        "3G": "3G",
        "UMTS": "3G",
        "WCDMA": "3G",
        "W-CDMA": "3G",
        "HSPA": "3G",
        "HSPA+": "3G",
        "NodeB": "3G",
        "4G": "4G",
        "LTE": "4G",
        "4G LTE": "4G",
        "LTE-A": "4G",
        "LTE Advanced": "4G",
        "eNodeB": "4G",
        "eNB": "4G",
    }.items()
}

#: LTE/UMTS band numbers used in Vietnam -> MHz.
LTE_BANDS_MHZ: dict[int, int] = {1: 2100, 3: 1800, 7: 2600, 8: 900, 28: 700}

#: Boolean spellings (normalised) -> bool. Blank is "unknown" unless the column uses "x".
BOOLEAN_VALUES: dict[str, bool] = {
    normalise(k): v
    for k, v in {
        "yes": True,
        "y": True,
        "true": True,
        "t": True,
        "1": True,
        "1.0": True,
        "x": True,
        "có": True,
        "co": True,
        "c": True,
        "đã có": True,
        "rồi": True,
        "no": False,
        "n": False,
        "false": False,
        "f": False,
        "0": False,
        "0.0": False,
        "không": False,
        "khong": False,
        "k": False,
        "chưa": False,
        "chưa có": False,
    }.items()
}


#: Bracketed parts of a header: units and notes such as ``(người)``, ``(m)``, ``(Có/Không)``.
_BRACKETS = re.compile(r"[(\[{][^)\]}]*[)\]}]")
#: Names of coordinate systems inside a normalised header (``x_vn_2000``, ``easting_utm_48n``).
_CRS_WORDS = re.compile(
    r"(?:^|_)(?:he_)?(?:vn_?2000(?:_tm_?3)?(?:_103(?:_00)?)?|utm(?:_zone)?(?:_?48_?n?)?"
    r"|wgs_?84|tm_?3(?:_103(?:_00)?)?)(?=_|$)"
)
#: Header keys of ordinal columns (``STT``, ``TT``, ``No.``): row numbers, never data.
ORDINAL_HEADERS = frozenset({"", "stt", "tt", "so_tt", "so_thu_tu", "thu_tu", "no", "nr", "n_o"})
#: Coordinate systems a header may name -> CRS (VN-2000: Lai Châu's TM-3 zone, 103°00').
HEADER_CRS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(?:^|_)vn_?2000(?=_|$)"), "EPSG:9205", "VN-2000 / TM-3 103-00"),
    (re.compile(r"(?:^|_)utm(?:_zone)?_?48_?n?(?=_|$)"), "EPSG:32648", "WGS 84 / UTM 48N"),
)


def header_keys(text: object) -> tuple[str, ...]:
    """Return the keys a header is looked up by, most specific first.

    The whole header (:func:`normalise`), then without bracketed units or notes
    (``"Số nhân khẩu (người)"`` -> ``"so_nhan_khau"``), then without the name of a
    coordinate system (``"X (VN-2000)"``, ``"Easting UTM 48N"`` -> ``"x"``, ``"easting"``).
    """
    full = normalise(text)
    stripped = normalise(_BRACKETS.sub(" ", str(text)))
    keys = [full, stripped, _CRS_WORDS.sub("", full).strip("_"), _CRS_WORDS.sub("", stripped)]
    return tuple(dict.fromkeys(k.strip("_") for k in keys if k.strip("_")))


def header_crs(text: object) -> tuple[str, str] | None:
    """Return ``(crs, name)`` when a header names a coordinate system, else ``None``.

    ``"X (VN-2000)"`` -> ``("EPSG:9205", "VN-2000 / TM-3 103-00")``: VN-2000 coordinates
    in Lai Châu are in the province's TM-3 zone (central meridian 103°).
    """
    key = normalise(text)
    for pattern, crs, name in HEADER_CRS:
        if pattern.search(key):
            return crs, name
    return None


def is_ordinal(text: object) -> bool:
    """Tell whether a header names a row-number column (``STT``, ``TT``, ``No.``)."""
    return normalise(text) in ORDINAL_HEADERS


def _tables(kind: str) -> dict[str, tuple[str, ...]]:
    return {**POSITION_ALIASES, **{"villages": VILLAGE_ALIASES, "sites": SITE_ALIASES}[kind]}


@cache
def _lookup(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, aliases in _tables(kind).items():
        for alias in (canonical, *aliases):
            out.setdefault(normalise(alias), canonical)
    for canonical, aliases in _tables(kind).items():  # then the aliases without their units
        for alias in aliases:
            out.setdefault(normalise(_BRACKETS.sub(" ", alias)), canonical)
    out.pop("", None)
    return out


def lookup_header(column: object, kind: str) -> str | None:
    """Return the canonical name a header means in a table of ``kind``, or ``None``."""
    table = _lookup(kind)
    for key in header_keys(column):
        if key in table:
            return table[key]
    return None


def accepted(kind: str, canonical: str) -> list[str]:
    """Return the headers accepted for a canonical column (for error hints)."""
    return [canonical, *(a for a in _tables(kind)[canonical] if a != canonical)]


def match_columns(columns: Iterable[object], kind: str) -> tuple[dict[str, str], list[str]]:
    """Map a file's headers to canonical names.

    Parameters
    ----------
    columns
        Headers as they appear in the file.
    kind
        ``"villages"`` or ``"sites"``.

    Returns
    -------
    mapping
        Original header -> canonical name, for the headers that matched (the first
        header wins when two mean the same thing).
    duplicates
        Headers that were ignored because an earlier header has the same meaning.
    """
    mapping: dict[str, str] = {}
    duplicates: list[str] = []
    for col in columns:
        canonical = lookup_header(col, kind)
        if canonical is None:
            continue
        if canonical in mapping.values():
            duplicates.append(str(col))
        else:
            mapping[str(col)] = canonical
    return mapping, duplicates


def suggest(column: object, kind: str, *, taken: Iterable[str] = ()) -> tuple[str, str] | None:
    """Return ``(canonical, accepted header)`` closest to an unmatched header, or ``None``.

    A known header that starts the unmatched one wins (``"Số hộ gđ"`` -> households,
    ``"Số hộ"``); otherwise the closest normalised name by :mod:`difflib`; canonical
    names already in ``taken`` are not suggested.
    """
    taken = set(taken)
    spelled: dict[str, tuple[str, str]] = {}
    for canonical, aliases in _tables(kind).items():
        if canonical in taken:
            continue
        for alias in (*aliases, canonical):
            spelled.setdefault(normalise(_BRACKETS.sub(" ", alias)), (canonical, alias))
    spelled.pop("", None)
    for key in header_keys(column):
        starts = [k for k in spelled if len(k) >= 4 and key.startswith(k + "_")]
        if starts:
            return spelled[max(starts, key=len)]
        close = difflib.get_close_matches(key, list(spelled), n=1, cutoff=0.75)
        if close:
            return spelled[close[0]]
    return None


def canonical_headers(
    columns: Iterable[object], *tables: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    """Map canonical names to the first header meaning them (positions and ``tables``).

    For the smaller readers (fibre nodes, candidates): :data:`POSITION_ALIASES` plus the
    reader's own alias tables; headers are compared normalised (:func:`normalise`).
    """
    lookup: dict[str, str] = {}
    for table in (POSITION_ALIASES, *tables):
        for canonical, aliases in table.items():
            for alias in (canonical, *aliases):
                lookup.setdefault(normalise(alias), canonical)
    names: dict[str, str] = {}
    for col in columns:
        key = lookup.get(normalise(col))
        if key is not None and key not in names:
            names[key] = str(col)
    return names


def parse_carrier(value: str) -> str | None:
    """Return the canonical carrier of a spelling, or ``None`` when unknown."""
    return CARRIER_ALIASES.get(normalise(value))


def parse_technology(value: str) -> str | None:
    """Return "2G", "3G" or "4G" for a spelling, or ``None`` when unknown."""
    return TECHNOLOGY_ALIASES.get(normalise(value))


def parse_bool(value: str) -> bool | None:
    """Return the boolean of a spelling, or ``None`` when unknown."""
    return BOOLEAN_VALUES.get(normalise(value))


_BAND = re.compile(r"^(?:b|band|lte|lte_b|lte_band)_?(\d{1,2})$")
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")


def parse_band(value: str) -> int | None:
    """Return the frequency in MHz of a band spelling (``"1800"``, ``"1800 MHz"``, ``"B3"``).

    Returns ``None`` when no number can be read; the caller checks the value against
    :data:`covgap.schema.BANDS_MHZ`.
    """
    key = normalise(value)
    band = _BAND.match(key)
    if band:
        return LTE_BANDS_MHZ.get(int(band.group(1)))
    number = _NUMBER.search(str(value))
    if number is None:
        return None
    mhz = float(number.group(1).replace(",", "."))
    if "ghz" in key:
        mhz *= 1000
    return round(mhz)
