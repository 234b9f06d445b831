"""Byte-reproducible writers of the bundled sample (GeoTIFF, GeoPackage, CSV, XLSX, CSVW).

Nothing written here carries the current time: GDAL is told a fixed "current date" for
the GeoPackage, the XLSX zip entries and document properties get a fixed timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio

from .common import Grid

__all__ = [
    "FIXED_DATE",
    "SITE_COLUMNS",
    "VILLAGE_COLUMNS",
    "VILLAGE_HEADERS_VI",
    "write_csv",
    "write_dem",
    "write_gpkg",
    "write_xlsx",
]

#: The date every generated file claims (the default seed's date).
FIXED_DATE = dt.datetime(2025, 7, 1, 0, 0, 0)
LICENCE = "CC0-1.0"
LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
NOTICE = (
    "SYNTHETIC DATA modelled on Lai Châu (Vietnam) for the covgap toolkit: terrain, "
    "boundaries, village and site names and positions are invented, not real."
)

VILLAGE_COLUMNS = (
    "village_id",
    "name",
    "commune",
    "commune_code",
    "district",
    "district_code",
    "lon",
    "lat",
    "elevation_m",
    "households",
    "population",
    "grid_power",
    "especially_difficult",
    "cluster_1_lon",
    "cluster_1_lat",
    "cluster_2_lon",
    "cluster_2_lat",
)
SITE_COLUMNS = (
    "site_id",
    "sector_id",
    "carrier",
    "lon",
    "lat",
    "height_m",
    "technology",
    "freq_mhz",
    "azimuth_deg",
    "tilt_deg",
    "power_dbm",
    "gain_dbi",
    "beamwidth_deg",
    "fibre_backhaul",
)
#: Vietnamese headers of villages.xlsx (docs/design.md).
VILLAGE_HEADERS_VI = {
    "village_id": "Mã thôn",
    "name": "Tên thôn/bản",
    "commune": "Xã",
    "commune_code": "Mã xã",
    "district": "Huyện",
    "district_code": "Mã huyện",
    "lon": "Kinh độ",
    "lat": "Vĩ độ",
    "elevation_m": "Độ cao (m)",
    "households": "Số hộ",
    "population": "Nhân khẩu",
    "grid_power": "Điện lưới",
    "especially_difficult": "Đặc biệt khó khăn",
    "cluster_1_lon": "Kinh độ cụm 1",
    "cluster_1_lat": "Vĩ độ cụm 1",
    "cluster_2_lon": "Kinh độ cụm 2",
    "cluster_2_lat": "Vĩ độ cụm 2",
}
_DATATYPES = {"int": "integer", "float": "decimal", "bool": "boolean", "str": "string"}


def provenance(seed: int, version: str, size: str) -> dict[str, str]:
    """Key/value tags every file carries."""
    return {
        "COVGAP_SYNTHETIC": "yes",
        "COVGAP_GENERATOR": "covgap.sample.generate_sample",
        "COVGAP_VERSION": version,
        "COVGAP_SEED": str(seed),
        "COVGAP_SIZE": size,
        "COVGAP_LICENSE": LICENCE,
        "COVGAP_NOTICE": NOTICE,
    }


def write_dem(path: Path, heights: np.ndarray, grid: Grid, tags: dict[str, str]) -> None:
    """Write int16 heights as a tiled, DEFLATE-compressed GeoTIFF with synthetic tags."""
    data = np.round(heights).astype(np.int16)
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": grid.transform,
        "nodata": -32768,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
        "interleave": "band",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(TIFFTAG_IMAGEDESCRIPTION=NOTICE, TIFFTAG_SOFTWARE="covgap", **tags)
        dst.set_band_description(1, "elevation_m (synthetic)")
        dst.units = ("metre",)


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame], tags: dict[str, str]) -> None:
    """Write the admin layers with a fixed OGR "current date" and layer descriptions."""
    if path.exists():
        path.unlink()
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        for name, frame in layers.items():
            pyogrio.write_dataframe(
                frame,
                path,
                layer=name,
                driver="GPKG",
                append=path.exists(),
                layer_options={"DESCRIPTION": f"{NOTICE} Layer: {name}."},
                metadata=tags,
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _csv_text(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = np.where(out[col], "yes", "no")
    return out.to_csv(index=False, lineterminator="\n", na_rep="")


def write_csv(
    path: Path,
    frame: pd.DataFrame,
    *,
    title: str,
    tags: dict[str, str],
    descriptions: dict[str, str],
) -> Path:
    """Write a UTF-8 CSV and its W3C CSV on the Web metadata sidecar; return the sidecar."""
    path.write_text(_csv_text(frame), encoding="utf-8", newline="")
    columns = []
    for col in frame.columns:
        kind = frame[col].dtype.kind
        dtype = {"i": "int", "f": "float", "b": "bool"}.get(kind, "str")
        spec = {"name": col, "titles": col, "datatype": _DATATYPES[dtype]}
        if dtype == "bool":
            spec["datatype"] = {"base": "boolean", "format": "yes|no"}
        if col in descriptions:
            spec["dc:description"] = descriptions[col]
        columns.append(spec)
    meta = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": path.name,
        "dc:title": title,
        "dc:description": NOTICE,
        "dc:license": {"@id": LICENCE_URL},
        "dc:creator": "covgap developers",
        "dc:created": {"@value": FIXED_DATE.date().isoformat(), "@type": "xsd:date"},
        "prov:wasGeneratedBy": {
            "@type": "prov:Activity",
            "rdfs:label": tags["COVGAP_GENERATOR"],
            "covgap:seed": int(tags["COVGAP_SEED"]),
            "covgap:version": tags["COVGAP_VERSION"],
            "covgap:size": tags["COVGAP_SIZE"],
        },
        "covgap:synthetic": True,
        "dialect": {"encoding": "utf-8", "header": True},
        "tableSchema": {"columns": columns},
    }
    sidecar = path.with_name(path.name + "-metadata.json")
    sidecar.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return sidecar


def write_xlsx(path: Path, frame: pd.DataFrame, notes: list[str], tags: dict[str, str]) -> None:
    """Write villages with Vietnamese headers (sheet "Thôn bản") and a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Thôn bản"
    ws.append([VILLAGE_HEADERS_VI.get(c, c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([_xlsx_value(v) for v in row])
    ws.freeze_panes = "A2"
    notes_ws = wb.create_sheet("Ghi chú")
    for line in notes:
        notes_ws.append([line])
    props = wb.properties
    props.title = "Thôn bản – Lai Châu (dữ liệu tổng hợp / synthetic)"
    props.subject = NOTICE
    props.creator = "covgap"
    props.lastModifiedBy = "covgap"
    props.keywords = "synthetic; covgap; Lai Châu; " + "; ".join(
        f"{k}={v}" for k, v in tags.items() if k != "COVGAP_NOTICE"
    )
    props.description = NOTICE
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _xlsx_value(value):
    if isinstance(value, (bool, np.bool_)):
        return "có" if value else "không"
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times and a fixed dcterms:modified."""
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\2", text)
                text = re.sub(r"(<dcterms:created[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\2", text)
                body = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body)
    return out.getvalue()
