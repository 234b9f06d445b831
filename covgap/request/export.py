"""The request dossier as files: workbook, CSV, GeoPackage, KML and the printable map.

:func:`write_dossier` writes every file of a :class:`covgap.request.dossier.Dossier` into a
folder, all or nothing (:func:`covgap.io.atomic.atomic_folder`). Each writer also works on
its own and writes through a temporary name.

CSV files are UTF-8 with a byte-order mark, so Excel shows Vietnamese names correctly, and
are *formula-safe*: following OWASP's advice on CSV injection, a text value starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with an apostrophe
(``'=HYPERLINK(...)``). We chose the apostrophe over a leading tab because Excel hides it
when it displays the cell and LibreOffice and Excel both read it as "this is text"; numbers
(a negative RSRP) are written as numbers and never prefixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.atomic import atomic_path
from ..io.locale import check_lang, format_number
from ..outputs.labels import commune_text, label
from .workbook import FORMULA_PREFIXES, display_table, write_workbook

if TYPE_CHECKING:
    from ..analysis.result import Result
    from .appendix import Letter
    from .dossier import Dossier

__all__ = [
    "DOSSIER_FILES",
    "KML_FIELDS",
    "csv_safe",
    "write_csv",
    "write_dossier",
    "write_gpkg",
    "write_kml",
]

logger = logging.getLogger(__name__)

#: Files :func:`write_dossier` writes, by role (the map only when a result is given).
DOSSIER_FILES: dict[str, str] = {
    "workbook": "request_dossier.xlsx",
    "request_csv": "request_list.csv",
    "unpowered_csv": "unpowered_list.csv",
    "sunset_csv": "switch_off_2g_3g.csv",
    "status_csv": "village_status.csv",
    "summary_commune_2025_csv": "summary_by_commune.csv",
    "summary_commune_csv": "summary_by_former_commune.csv",
    "summary_district_csv": "summary_by_former_district.csv",
    "gpkg": "request_list.gpkg",
    "kml": "request_list.kml",
    "map_png": "request_map.png",
    "map_pdf": "request_map.pdf",
}
_KML_COLOURS = {"white": "ff2b2bd6", "low_signal": "ff1a8cff"}  # aabbggrr: red, orange


def csv_safe(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    with atomic_path(path, create=path.suffix != ".gpkg") as tmp:  # GPKG: GDAL creates it
        write(tmp)
    return path


def write_csv(table: pd.DataFrame, path: str | Path, *, lang: str = "vi") -> Path:
    """Write a dossier table as a formula-safe CSV (UTF-8 with BOM), headers in ``lang``.

    Parameters
    ----------
    table
        A dossier table (request list, switch-off list, summary, statuses).
    path
        The CSV file.
    lang
        ``"vi"`` or ``"en"``: headers and coded values (classes, yes/no) in that language.

    Returns
    -------
    pathlib.Path
    """
    data, keys = display_table(table, lang)
    data.columns = [csv_safe(label(k, lang)) for k in keys]
    for col in data.columns:
        if not pd.api.types.is_numeric_dtype(data[col]):
            data[col] = data[col].map(csv_safe)
    return _atomic(Path(path), lambda tmp: data.to_csv(tmp, index=False, encoding="utf-8-sig"))


def _points(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Turn a list into WGS 84 points from its ``lon``/``lat``."""
    return gpd.GeoDataFrame(
        table.copy(), geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )


def write_gpkg(dossier: Dossier, path: str | Path) -> Path:
    """Write the request and unpowered lists as point layers of a GeoPackage.

    Layers ``request_list`` and ``unpowered_list`` keep covgap's column names (stable
    field names for GIS work), WGS 84.

    Parameters
    ----------
    dossier
        From :func:`covgap.request.dossier.build_dossier`.
    path
        The ``.gpkg`` file.

    Returns
    -------
    pathlib.Path
    """

    def write(tmp: Path) -> None:
        for layer, table in (("request_list", dossier.request),
                             ("unpowered_list", dossier.unpowered)):  # fmt: skip
            gdf = _points(table)
            for col in ("grid_power", "especially_difficult"):
                if col in gdf:
                    gdf[col] = gdf[col].astype("boolean")
            gdf.to_file(tmp, layer=layer, driver="GPKG")

    return _atomic(Path(path), write)


def write_kml(dossier: Dossier, path: str | Path, *, lang: str = "vi") -> Path:
    """Write the request and unpowered lists as KML placemarks for Google Earth.

    One folder per list, and in it one folder per class (white, then low signal). Each
    placemark is named "rank. village", describes the village's key facts in words
    (commune of 07/2025 with the former one in brackets, former district, class,
    households, people, grid power, best RSRP, nearest site, reason, proposed solution)
    and carries them as ``ExtendedData`` fields with covgap's column names, so a GIS reads
    them as attributes; every text is XML-escaped.

    Parameters
    ----------
    dossier
        From :func:`covgap.request.dossier.build_dossier`.
    path
        The ``.kml`` file.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    pathlib.Path
    """
    check_lang(lang)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
        f"<name>{escape(label('dossier_title', lang))}</name>",
    ]
    if dossier.info.get("synthetic"):
        parts.append(f"<description>{escape(label('synthetic_notice', lang))}</description>")
    for cls, colour in _KML_COLOURS.items():
        parts.append(
            f'<Style id="{cls}"><IconStyle><color>{colour}</color><scale>1.1</scale>'
            "<Icon><href>http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
            "</href></Icon></IconStyle></Style>"
        )
    for key, table in (("sheet_request", dossier.request),
                       ("sheet_unpowered", dossier.unpowered)):  # fmt: skip
        parts.append(f"<Folder><name>{escape(label(key, lang))} ({len(table)})</name>")
        classes = table["coverage_class"].astype(str) if len(table) else pd.Series(dtype=str)
        for cls in [*_KML_COLOURS, *sorted(set(classes) - set(_KML_COLOURS))]:
            part = table[classes == cls]
            if not len(part):
                continue
            parts.append(f"<Folder><name>{escape(label(cls, lang))} ({len(part)})</name>")
            parts += [_placemark(row, lang) for _, row in part.iterrows()]
            parts.append("</Folder>")
        parts.append("</Folder>")
    parts.append("</Document></kml>")
    text = "\n".join(parts) + "\n"
    return _atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


#: Fields of a placemark's ExtendedData (covgap's column names), when the list has them.
KML_FIELDS: tuple[str, ...] = (
    "rank", "village_id", "name", "commune_2025", "commune", "district", "households",
    "population", "grid_power", "especially_difficult", "coverage_class", "rsrp_dbm",
    "best_carrier", "services", "nearest_site_id", "nearest_site_carrier", "nearest_site_km",
    "solution", "solution_site_id", "lon", "lat",
)  # fmt: skip


def _extended_data(row: pd.Series, lang: str) -> str:
    """``<ExtendedData>`` of a placemark: machine values, headers in ``lang``."""
    fields = []
    for col in KML_FIELDS:
        if col not in row.index:
            continue
        value = row[col]
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            value = ""
        elif col in ("lon", "lat"):
            value = f"{float(value):.6f}"
        elif isinstance(value, float | np.floating):
            value = f"{round(float(value), 2):g}"  # machine figures: "200", "-121.16"
        key = _KML_HEADER_KEYS.get(col, col)
        fields.append(
            f'<Data name="{col}"><displayName>{escape(label(key, lang))}</displayName>'
            f"<value>{escape(str(value))}</value></Data>"
        )
    return "<ExtendedData>" + "".join(fields) + "</ExtendedData>"


_KML_HEADER_KEYS = {"commune": "commune_old", "district": "district_old"}


def _placemark(row: pd.Series, lang: str) -> str:
    """One KML placemark with an escaped description of the village's key facts."""
    reason = row.get("reason_vi" if lang == "vi" else "reason", "")
    solution = row.get("solution_text_vi" if lang == "vi" else "solution_text", "")
    power = row.get("grid_power")
    facts = [
        ("village_id", row.get("village_id")),
        ("appendix_commune", commune_text(row.get("commune_2025"), row.get("commune"))),
        ("district_old", row.get("district")),
        ("coverage_class", label(str(row.get("coverage_class")), lang)),
        ("households", format_number(row.get("households"), 0, lang)),
        ("population", format_number(row.get("population"), 0, lang)),
        ("grid_power", label("unknown" if pd.isna(power) else ("yes" if power else "no"), lang)),
        ("rsrp_dbm", format_number(row.get("rsrp_dbm"), 1, lang)),
        ("nearest_site_id", row.get("nearest_site_id")),
        ("nearest_site_km", format_number(row.get("nearest_site_km"), 1, lang)),
        ("reason", reason),
        ("solution_text", solution),
    ]
    lines = [
        f"{escape(label(k, lang))}: {escape(str(v))}"
        for k, v in facts
        if v is not None
        and not (isinstance(v, float) and pd.isna(v))
        and v is not pd.NA
        and v != ""
    ]
    name = f"{row.get('rank')}. {row.get('name')}"
    cls = row.get("coverage_class")
    return (
        f"<Placemark><name>{escape(name)}</name>"
        f"<description>{'&lt;br/&gt;'.join(lines)}</description>"
        f"<styleUrl>#{escape(str(cls))}</styleUrl>"
        f"{_extended_data(row, lang)}"
        f"<Point><coordinates>{float(row['lon']):.6f},{float(row['lat']):.6f}</coordinates>"
        "</Point></Placemark>"
    )


def write_dossier(
    dossier: Dossier,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    result: Result | None = None,
    letter: Letter | None = None,
) -> dict[str, Path]:
    """Write the workbook, the CSVs, the GeoPackage, the KML (and the map), all or nothing.

    Parameters
    ----------
    dossier
        From :func:`covgap.request.dossier.build_dossier`.
    out_dir
        Folder to write into (created if needed).
    lang
        ``"vi"`` or ``"en"``.
    result
        The analysis the dossier came from; when given, the printable map of the listed
        villages (PNG and PDF, :mod:`covgap.outputs.static_maps`) is written too.
    letter
        The letter the workbook's appendix is attached to (agency, number, date);
        ``None`` leaves dots to fill by hand.

    Returns
    -------
    dict
        Role -> path of each file written (keys of :data:`DOSSIER_FILES`).
    """
    from ..io.atomic import atomic_folder

    check_lang(lang)
    out = Path(out_dir)
    written: dict[str, Path] = {}
    tables = {
        "request_csv": dossier.request,
        "unpowered_csv": dossier.unpowered,
        "sunset_csv": dossier.sunset,
        "status_csv": dossier.status,
        **{f"summary_{by}_csv": table for by, table in dossier.summaries.items()},
    }
    with atomic_folder(out) as tmp:
        write_workbook(dossier, tmp / DOSSIER_FILES["workbook"], lang=lang, letter=letter)
        written["workbook"] = out / DOSSIER_FILES["workbook"]
        for role, table in tables.items():
            write_csv(table, tmp / DOSSIER_FILES[role], lang=lang)
            written[role] = out / DOSSIER_FILES[role]
        write_gpkg(dossier, tmp / DOSSIER_FILES["gpkg"])
        write_kml(dossier, tmp / DOSSIER_FILES["kml"], lang=lang)
        written["gpkg"], written["kml"] = out / DOSSIER_FILES["gpkg"], out / DOSSIER_FILES["kml"]
        if result is not None:
            written.update(_write_map(dossier, result, tmp, out, lang))
    logger.info("wrote %d dossier files to %s", len(written), out)
    return written


def _write_map(
    dossier: Dossier, result: Result, tmp: Path, out: Path, lang: str
) -> dict[str, Path]:
    """Draw the printable map of the request-list villages, labelled by rank."""
    import dataclasses

    from ..outputs.static_maps import save_static_map, static_map_from_result

    status = dossier.status
    if "commune_2025" in status and "commune_2025" not in result.villages:
        # the rank list names communes as the workbook does: 07/2025 unit (former)
        new = status.drop_duplicates("village_id").set_index("village_id")["commune_2025"]
        villages = result.villages.copy()
        villages["commune_2025"] = villages["village_id"].map(new)
        result = dataclasses.replace(result, villages=villages)
    fig = static_map_from_result(
        result,
        highlight=list(dossier.request["village_id"]),
        lang=lang,
        label_highlight="rank",
        highlight_title=label("sheet_request", lang),
    )
    paths = {}
    for role in ("map_png", "map_pdf"):
        save_static_map(fig, tmp / DOSSIER_FILES[role])
        paths[role] = out / DOSSIER_FILES[role]
    return paths
