"""Read what phones measured: drive tests, scanner and MDT exports, and village field surveys.

**Measurements** (:func:`read_measurements`): one row per measurement with a position
(``lon``/``lat`` in degrees), the signal (``rsrp_dbm`` for 4G; a 3G RSCP or a 2G RxLev goes
in the same column with its ``technology``), the ``carrier``, and when known the
``technology`` (default 4G), the band (``freq_mhz``, or an ``earfcn`` it is derived from),
the serving cell (``site_id`` + ``sector_id``, ``pci``, ``cell_id``) and the ``time``. The
usual headers of drive-test tools are recognised (TEMS, Nemo, G-NetTrack style names:
``Latitude``, ``Lon``, ``RSRP``, ``Level``, ``Operatorname``, ``NetworkTech``, ``EARFCN``,
``PCI``, ``CellID``, ``Timestamp``; Vietnamese ``Kinh độ``, ``Vĩ độ``, ``Nhà mạng``...), and
a PLMN code (``45204``, ``452-02``) gives the carrier (MCC 452: 01 MobiFone, 02 VNPT
VinaPhone, 04 Viettel).

**Field surveys** (:func:`read_survey`): one row per village (and carrier, when given) with
``village_id`` (or ``name`` + ``commune``), the observed ``status`` (``có sóng`` / ``sóng
yếu`` / ``không có sóng``, or covered / low_signal / white), and optionally the ``date`` and
a measured ``level_dbm``.

CSV (any of the encodings :mod:`covgap.io.readers` reads), Excel and GeoPackage/GeoJSON
(point geometry for the position) are read. Every problem of a file is reported at once in
one :class:`~covgap.errors.ValidationError`; rows that cannot be used are never dropped
without a message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataFileError, Problem, ValidationError
from ..schema import CARRIERS, CLASSES, COVERED, LOW_SIGNAL, WHITE
from .aliases import normalise, parse_carrier, parse_technology

__all__ = [
    "MEASUREMENT_ALIASES",
    "SURVEY_ALIASES",
    "band_of_earfcn",
    "read_measurements",
    "read_survey",
]

logger = logging.getLogger(__name__)

#: Canonical measurement column -> accepted headers (compared after :func:`normalise`).
MEASUREMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "long", "longitude", "kinh do", "x", "gps longitude", "lon deg"),
    "lat": ("lat", "latitude", "vi do", "y", "gps latitude", "lat deg"),
    "rsrp_dbm": (
        "rsrp_dbm", "rsrp", "rsrp dbm", "serving rsrp", "lte rsrp", "rsrp serving",
        "signal_dbm", "level", "level dbm", "rscp", "rscp dbm", "rxlev", "rxlev dbm",
        "cuong do tin hieu", "muc thu", "signal strength",
    ),
    "carrier": ("carrier", "operator", "operatorname", "operator name", "network", "nha mang",
                "plmn", "mcc mnc", "mccmnc", "network operator"),
    "technology": ("technology", "tech", "networktech", "network tech", "rat", "network type",
                   "cong nghe", "system"),
    "freq_mhz": ("freq_mhz", "band mhz", "frequency", "frequency mhz", "bang tan", "band"),
    "earfcn": ("earfcn", "dl earfcn", "arfcn", "uarfcn", "dl arfcn", "channel"),
    "site_id": ("site_id", "site", "site id", "ma tram", "enodeb", "enodeb id", "enb"),
    "sector_id": ("sector_id", "sector", "sector id", "cell", "ma cell"),
    "pci": ("pci", "serving pci", "psc", "bsic"),
    "cell_id": ("cell_id", "cellid", "cell id", "eci", "ecgi", "ci", "cell identity", "lcid"),
    "time": ("time", "timestamp", "date time", "datetime", "thoi gian", "ngay gio", "date"),
}  # fmt: skip
#: Canonical survey column -> accepted headers.
SURVEY_ALIASES: dict[str, tuple[str, ...]] = {
    "village_id": ("village_id", "ma thon", "ma thon ban", "village id", "id"),
    "name": ("name", "ten thon", "ten thon ban", "thon ban", "village", "ten"),
    "commune": ("commune", "xa", "ten xa", "xa phuong"),
    "carrier": ("carrier", "nha mang", "operator", "network"),
    "status": ("status", "observed", "observed status", "tinh trang song", "hien trang",
               "hien trang song", "ket qua", "song", "coverage"),
    "date": ("date", "ngay", "ngay khao sat", "survey date", "thoi gian"),
    "level_dbm": ("level_dbm", "level", "rsrp", "rsrp dbm", "muc thu", "cuong do"),
}  # fmt: skip
#: Observed statuses people write -> covgap's classes.
STATUS_VALUES: dict[str, str] = {
    normalise(k): v
    for k, v in {
        "covered": COVERED, "có sóng": COVERED, "co song": COVERED, "sóng tốt": COVERED,
        "tốt": COVERED, "good": COVERED, "yes": COVERED, "có": COVERED,
        "low_signal": LOW_SIGNAL, "low signal": LOW_SIGNAL, "sóng yếu": LOW_SIGNAL,
        "yếu": LOW_SIGNAL, "weak": LOW_SIGNAL, "chập chờn": LOW_SIGNAL,
        "white": WHITE, "không có sóng": WHITE, "khong co song": WHITE, "mất sóng": WHITE,
        "không": WHITE, "no signal": WHITE, "none": WHITE, "vùng lõm": WHITE, "vùng trắng": WHITE,
    }.items()
}  # fmt: skip
#: PLMN (MCC 452) -> carrier.
PLMN_CARRIERS: dict[str, str] = {"45201": "MobiFone", "45202": "VNPT", "45204": "Viettel"}
#: LTE downlink EARFCN ranges (3GPP TS 36.101) of the bands used in Vietnam -> MHz.
_EARFCN_BANDS: tuple[tuple[int, int, int], ...] = (
    (0, 599, 2100),  # B1
    (1200, 1949, 1800),  # B3
    (2750, 3449, 2600),  # B7
    (3450, 3799, 900),  # B8
    (9210, 9659, 700),  # B28
    (37750, 38249, 2600),  # B38
    (38650, 39649, 2300),  # B40
)


def band_of_earfcn(earfcn: Iterable[float]) -> np.ndarray:
    """Band (MHz) of LTE downlink EARFCNs; NaN for a channel outside the known bands.

    >>> band_of_earfcn([1650, 3500, 100]).tolist()
    [1800.0, 900.0, 2100.0]
    """
    values = np.asarray(list(earfcn), dtype=float)
    out = np.full(values.shape, np.nan)
    for lo, hi, mhz in _EARFCN_BANDS:
        out[(values >= lo) & (values <= hi)] = mhz
    return out


def _read_any(path: Path, sheet: str | None) -> tuple[pd.DataFrame, gpd.GeoSeries | None]:
    """Read the file as a DataFrame of text cells (and its point geometry, for GIS files)."""
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            raw = path.read_bytes()
            for encoding in ("utf-8-sig", "utf-16", "cp1258"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeError:
                    continue
            else:  # pragma: no cover - cp1258 decodes nearly anything
                raise DataFileError(f"{path}: cannot decode the text (UTF-8, UTF-16, cp1258)")
            first = text.splitlines()[0] if text else ""
            sep = max(("\t", ";", ","), key=first.count)
            from io import StringIO

            return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False), None
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=str).fillna(""), None
        frame = gpd.read_file(path, layer=sheet) if sheet else gpd.read_file(path)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read the file: {exc}") from exc
    geometry = frame.geometry if frame.geometry is not None and len(frame) else None
    if geometry is not None and frame.crs is not None:
        geometry = geometry.to_crs(4326)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(str)
    return table, geometry


def _match(columns: Iterable[object], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Canonical name -> the file's column, the first column that matches each."""
    lookup = {normalise(a): canonical for canonical, names in aliases.items() for a in names}
    found: dict[str, str] = {}
    for column in columns:
        key = normalise(column)
        key = re.sub(r"_?(dbm|mhz|deg)$", "", key) if key not in lookup else key
        canonical = lookup.get(key)
        if canonical is not None and canonical not in found:
            found[canonical] = str(column)
    return found


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers from text cells: decimal commas, a Unicode minus, blanks as NaN."""
    fast = pd.to_numeric(values, errors="coerce")
    if fast.notna().sum() == (values.astype(str).str.strip() != "").sum():
        return fast  # plain numbers: no text handling needed (a million rows in 0.1 s)
    text = values.astype(str).str.strip().str.replace("\u2212", "-", regex=False)
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != "", None), errors="coerce")


def _by_value(values: pd.Series, parse) -> pd.Series:
    """Apply ``parse`` once per distinct value (a drive test repeats a few names)."""
    lookup = {v: parse(v) for v in values.unique()}
    return values.map(lookup)


def _report_rows(
    problems: list[Problem],
    file: str,
    rows: np.ndarray,
    message: str,
    column: str | None,
    hint: str,
    severity: str = "error",
) -> None:
    """One problem for a whole set of rows: the count and the first rows."""
    if len(rows) == 0:
        return
    first = ", ".join(str(int(r) + 2) for r in rows[:5]) + (", …" if len(rows) > 5 else "")
    problems.append(
        Problem(
            file,
            f"{len(rows)} row(s) {message} (rows {first})",
            column=column,
            hint=hint,
            severity=severity,
        )
    )


def read_measurements(
    path: str | PathLike[str], *, sheet: str | None = None, carrier: str | None = None
) -> gpd.GeoDataFrame:
    """Read a drive-test, scanner or MDT export into covgap's measurement table.

    Parameters
    ----------
    path
        CSV, XLSX, GeoPackage or GeoJSON.
    sheet
        Sheet (Excel) or layer (GIS files) to read; the first by default.
    carrier
        The carrier of every row, for a file without a carrier column.

    Returns
    -------
    geopandas.GeoDataFrame
        WGS 84 points with ``rsrp_dbm``, ``carrier``, ``technology``, ``freq_mhz`` (NaN when
        unknown) and, when the file has them, ``earfcn``, ``site_id``, ``sector_id``,
        ``pci``, ``cell_id``, ``time``; ``row`` is the spreadsheet row of each measurement.
        Rows without a usable position or signal are left out with a warning that counts
        and lists them.

    Raises
    ------
    ValidationError
        The file lacks a position, a signal or a carrier, or holds unusable values.
    DataFileError
        The file is missing or unreadable.
    """
    path = Path(path)
    file = str(path)
    table, geometry = _read_any(path, sheet)
    cols = _match(table.columns, MEASUREMENT_ALIASES)
    problems: list[Problem] = []
    n = len(table)
    if geometry is not None and not {"lon", "lat"} <= set(cols):
        lon, lat = geometry.x.to_numpy(float), geometry.y.to_numpy(float)
    elif {"lon", "lat"} <= set(cols):
        lon = _numbers(table[cols["lon"]]).to_numpy(float)
        lat = _numbers(table[cols["lat"]]).to_numpy(float)
    else:
        problems.append(
            Problem(
                file,
                "no position columns",
                hint="name them Longitude and Latitude (degrees, WGS 84)",
            )
        )
        lon = lat = np.full(n, np.nan)
    if "rsrp_dbm" not in cols:
        problems.append(
            Problem(
                file, "no signal column", hint="name it RSRP (dBm), or RSCP / RxLev for 3G / 2G"
            )
        )
    if "carrier" not in cols and carrier is None:
        problems.append(
            Problem(
                file,
                "no carrier column",
                hint="add an Operator column, or give the carrier (--carrier)",
            )
        )
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)

    signal = _numbers(table[cols["rsrp_dbm"]]).to_numpy(float)
    if carrier is not None:
        carriers = pd.Series(carrier, index=table.index)
        if carrier not in CARRIERS:
            raise ValidationError(
                [
                    Problem(
                        file,
                        f"unknown carrier {carrier!r}",
                        hint=f"use one of {', '.join(CARRIERS)}",
                    )
                ]
            )
    else:
        raw = table[cols["carrier"]].astype(str).str.strip()
        carriers = _by_value(
            raw,
            lambda v: (
                PLMN_CARRIERS.get(re.sub(r"[^0-9]", "", v)) or (parse_carrier(v) if v else None)
            ),
        )
        bad = np.flatnonzero(carriers.isna().to_numpy() & (raw != "").to_numpy())
        _report_rows(
            problems,
            file,
            bad,
            "name an unknown carrier",
            cols["carrier"],
            f"use {', '.join(CARRIERS)}, or a PLMN such as 45204",
        )
    if "technology" in cols:
        raw_tech = table[cols["technology"]].astype(str).str.strip()
        tech = _by_value(raw_tech, lambda v: parse_technology(v) if v else "4G")
        bad = np.flatnonzero(tech.isna().to_numpy())
        _report_rows(
            problems,
            file,
            bad,
            "name an unknown technology",
            cols["technology"],
            "use 2G, 3G or 4G (GSM, UMTS/WCDMA, LTE)",
        )
    else:
        tech = pd.Series("4G", index=table.index)
    freq = (
        _numbers(table[cols["freq_mhz"]]).to_numpy(float)
        if "freq_mhz" in cols
        else np.full(n, np.nan)
    )
    out = {
        "rsrp_dbm": signal,
        "carrier": carriers.to_numpy(object),
        "technology": tech.to_numpy(object),
    }
    if "earfcn" in cols:
        earfcn = _numbers(table[cols["earfcn"]]).to_numpy(float)
        lte = (tech == "4G").to_numpy()
        freq = np.where(np.isnan(freq) & lte, band_of_earfcn(earfcn), freq)
        out["earfcn"] = earfcn
    out["freq_mhz"] = freq
    for name in ("site_id", "sector_id", "pci", "cell_id", "time"):
        if name in cols:
            out[name] = table[cols[name]].astype(str).str.strip().replace("", None).to_numpy(object)
    if problems and any(p.severity == "error" for p in problems):
        raise ValidationError(problems)

    in_range = (signal >= -150) & (signal <= -20)
    nosig = np.flatnonzero(np.isnan(signal))
    odd = np.flatnonzero(~np.isnan(signal) & ~in_range)
    nopos = np.flatnonzero(np.isnan(lon) | np.isnan(lat))
    outside = np.flatnonzero(
        ~np.isnan(lon) & ~np.isnan(lat) & ~((lon >= 100) & (lon <= 111) & (lat >= 7) & (lat <= 24))
    )
    skipped: list[Problem] = []
    _report_rows(skipped, file, nopos, "have no position and were left out", None, "", "warning")
    _report_rows(
        skipped,
        file,
        outside,
        "lie outside Vietnam and were left out",
        cols.get("lon"),
        "check lon/lat are degrees, not swapped",
        "warning",
    )
    _report_rows(
        skipped,
        file,
        nosig,
        "have no signal value and were left out",
        cols["rsrp_dbm"],
        "",
        "warning",
    )
    _report_rows(
        skipped,
        file,
        odd,
        "have a signal outside -150..-20 dBm and were left out",
        cols["rsrp_dbm"],
        "check the unit is dBm",
        "warning",
    )
    for p in skipped:
        logger.warning("%s", p)
    keep = np.ones(n, dtype=bool)
    for rows in (nopos, outside, nosig, odd):
        keep[rows] = False
    frame = pd.DataFrame(out)
    frame.insert(0, "row", np.arange(n) + 2)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    points = points[keep].reset_index(drop=True)
    points.attrs["covgap_read"] = {
        "file": file,
        "rows": n,
        "used": int(keep.sum()),
        "columns": cols,
        "skipped": [str(p) for p in skipped],
    }
    logger.info("%s: %d of %d measurements read (columns %s)", file, keep.sum(), n, cols)
    return points


def read_survey(path: str | PathLike[str], *, sheet: str | None = None) -> pd.DataFrame:
    """Read a field survey of villages: the coverage people observed there.

    Parameters
    ----------
    path
        CSV or XLSX.
    sheet
        Excel sheet to read; the first by default.

    Returns
    -------
    pandas.DataFrame
        ``row``, ``village_id`` (or ``name`` and ``commune``), ``carrier`` (NA: any),
        ``observed`` (one of covgap's classes) and, when present, ``date`` and
        ``level_dbm``.

    Raises
    ------
    ValidationError
        No village key or status column, or statuses that cannot be read (all listed).
    """
    path = Path(path)
    file = str(path)
    table, _ = _read_any(path, sheet)
    cols = _match(table.columns, SURVEY_ALIASES)
    problems: list[Problem] = []
    if "village_id" not in cols and not {"name", "commune"} <= set(cols):
        problems.append(
            Problem(file, "no village column", hint="add Mã thôn (village_id), or Tên thôn and Xã")
        )
    if "status" not in cols:
        problems.append(
            Problem(
                file,
                "no status column",
                hint="add Tình trạng sóng: có sóng / sóng yếu / không có sóng",
            )
        )
    if problems:
        raise ValidationError(problems)
    raw = table[cols["status"]].astype(str).str.strip()
    observed = raw.map(lambda v: STATUS_VALUES.get(normalise(v)))
    for i in np.flatnonzero(observed.isna().to_numpy()):
        problems.append(
            Problem(
                file,
                f"unknown status {raw.iloc[i]!r}",
                row=int(i) + 2,
                column=cols["status"],
                hint="write có sóng, sóng yếu or không có sóng (covered, low_signal, white)",
            )
        )
    out = pd.DataFrame({"row": np.arange(len(table)) + 2})
    for name in ("village_id", "name", "commune"):
        if name in cols:
            out[name] = table[cols[name]].astype(str).str.strip().to_numpy()
    if "carrier" in cols:
        raw_c = table[cols["carrier"]].astype(str).str.strip()
        parsed = raw_c.map(lambda v: parse_carrier(v) if v else None)
        for i in np.flatnonzero(parsed.isna().to_numpy() & (raw_c != "").to_numpy()):
            problems.append(
                Problem(
                    file,
                    f"unknown carrier {raw_c.iloc[i]!r}",
                    row=int(i) + 2,
                    column=cols["carrier"],
                    hint=f"use {', '.join(CARRIERS)}, or leave it empty for any carrier",
                )
            )
        out["carrier"] = pd.Series(
            [c if isinstance(c, str) else None for c in parsed], dtype=object
        )
    else:
        out["carrier"] = pd.Series([None] * len(out), dtype=object)
    out["observed"] = observed.to_numpy(object)
    if "date" in cols:
        out["date"] = table[cols["date"]].astype(str).str.strip().to_numpy()
    if "level_dbm" in cols:
        out["level_dbm"] = _numbers(table[cols["level_dbm"]]).to_numpy(float)
    if problems:
        raise ValidationError(problems)
    assert set(out["observed"]) <= set(CLASSES)
    return out
