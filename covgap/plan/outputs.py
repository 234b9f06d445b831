"""A plan's files: what :func:`write_plan` writes, and the map among them.

:func:`write_plan` writes, all or nothing (:func:`covgap.io.atomic.atomic_folder`), the
proposed sites (CSV with VN-2000 coordinates, GeoPackage with the candidates), the
backhaul routes (GeoPackage lines), the before/after tables by district and commune, the
fibre roll-out order, a workbook in Vietnamese or English, the plan map, a JSON summary
and the scenario record. :func:`~covgap.plan.map.plan_map` draws the after-analysis map with
the proposed sites, their backhaul routes and the villages they newly cover.

The CSV files follow :mod:`covgap.request.export` (UTF-8 with a byte-order mark, headers and coded
values in ``lang``, formula-safe text); the GeoPackages keep covgap's column names for GIS
work. Every text on the map is HTML-escaped (:func:`covgap.outputs.map_elements._esc`): candidate
notes and village names come from input files.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.locale import check_lang, format_number
from ..outputs.labels import LABELS, label
from ..request.workbook import _missing
from .display import _SHARED_KINDS, _coded, _flat, note_text
from .map import plan_map

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .site_plan import Plan

__all__ = ["PLAN_FILES", "plan_map", "write_plan"]

logger = logging.getLogger(__name__)

#: Files :func:`write_plan` writes, by role.
PLAN_FILES: dict[str, str] = {
    "proposed_csv": "proposed_sites.csv",
    "proposed_gpkg": "proposed_sites.gpkg",
    "routes_gpkg": "backhaul_routes.gpkg",
    "before_after_district_csv": "before_after_by_district.csv",
    "before_after_commune_csv": "before_after_by_commune.csv",
    "fibre_csv": "fibre_rollout.csv",
    "workbook": "plan.xlsx",
    "map": "plan_map.html",
    "summary_json": "plan_summary.json",
    "scenario": "scenario.toml",
}
#: Coded columns shown with labels: column -> label-key prefix of its values.
_CODED = {"kind": "plan_kind_", "backhaul": "plan_backhaul_"}
_BOOLEAN = ("chosen", "backhaul_needed", "reachable")


# --------------------------------------------------------------------------- tables
def _with_local_xy(table: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    from ..io.positions import add_local_xy

    if not {"lon", "lat"} <= set(table.columns):
        return table
    return add_local_xy(table, plan.before.scenario.local_crs)


def _tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """Machine tables (covgap's column names) by role."""
    return {
        "proposed": _with_local_xy(_flat(plan.proposed), plan),
        "district": _flat(plan.before_after["district"]),
        "commune": _flat(plan.before_after["commune"]),
        "fibre": _with_local_xy(_flat(plan.fibre), plan),
        "candidates": _with_local_xy(_flat(plan.candidates), plan),
    }


def _human(table: pd.DataFrame, lang: str, *, shared: bool) -> pd.DataFrame:
    """Coded values (kind, backhaul, yes/no) in ``lang``; shared new sites said so."""
    out = table.copy()
    if "note" in out and "kind" in out:
        out["note"] = [note_text(row, lang) for row in table.to_dict("records")]
    if "class" in out and "coverage_class" not in out:  # the fibre roll-out's class
        out = out.rename(columns={"class": "coverage_class"})
    if shared and {"carrier", "kind"} <= set(out.columns):
        new = out["kind"].isin(_SHARED_KINDS).to_numpy()
        out["carrier"] = out["carrier"].astype(object)
        out.loc[new, "carrier"] = label("plan_shared", lang)
    for col in out.columns:  # figures as people read them: km to 10 m, USD to the dollar
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col.endswith("_km") or col == "km":
            out[col] = out[col].round(2)
        elif col.startswith("usd_per") or col in ("mw_clearance", "visible_weight"):
            out[col] = out[col].round(1)
        elif col.endswith("_usd") or col == "usd" or col.endswith("_new"):
            out[col] = out[col].round(0)
    for col, prefix in _CODED.items():
        if col in out:
            out[col] = out[col].map(lambda v, p=prefix: _coded(v, p, lang)).astype(object)
    for col in _BOOLEAN:
        if col in out:
            out[col] = (
                out[col]
                .astype("boolean")
                .map(lambda v: label("unknown" if pd.isna(v) else ("yes" if v else "no"), lang))
            )
    return out


# --------------------------------------------------------------------------- files
def write_plan(plan: Plan, out_dir: str | Path, *, lang: str = "vi") -> dict[str, Path]:
    """Write every file of a plan into a folder, all or nothing.

    Parameters
    ----------
    plan
        From :func:`covgap.plan.site_plan.plan_network`.
    out_dir
        Folder to write into (created if needed). Files of an earlier run are replaced
        only when every new file is complete; on any failure the folder is left as it was.
    lang
        ``"vi"`` or ``"en"``: headers, coded values, sheet names and the map's texts.

    Returns
    -------
    dict
        Role -> path of each file written (keys of :data:`PLAN_FILES`).
    """
    import covgap.outputs.maps as maps

    from ..io.atomic import atomic_folder
    from ..request.export import write_csv

    check_lang(lang)
    out = Path(out_dir)
    tables = _tables(plan)
    shared = plan.options.get("carrier") is None
    human = {k: _human(t, lang, shared=shared) for k, t in tables.items()}
    csvs = {"proposed_csv": "proposed", "before_after_district_csv": "district",
            "before_after_commune_csv": "commune", "fibre_csv": "fibre"}  # fmt: skip
    with atomic_folder(out) as tmp:
        for role, key in csvs.items():
            write_csv(human[key], tmp / PLAN_FILES[role], lang=lang)
        _write_points(
            tmp / PLAN_FILES["proposed_gpkg"],
            {"proposed_sites": tables["proposed"], "candidates": tables["candidates"]},
        )
        _write_routes(plan.routes, tmp / PLAN_FILES["routes_gpkg"])
        _write_workbook(plan, human, tmp / PLAN_FILES["workbook"], lang)
        maps.save_map(plan_map(plan, lang=lang), tmp / PLAN_FILES["map"], inline_assets=True)
        (tmp / PLAN_FILES["summary_json"]).write_text(_summary_json(plan), encoding="utf-8")
        (tmp / PLAN_FILES["scenario"]).write_text(plan.before.scenario.to_toml(), encoding="utf-8")
    logger.info("wrote %d plan files to %s", len(PLAN_FILES), out)
    return {role: out / name for role, name in PLAN_FILES.items()}


def _write_points(path: Path, layers: Mapping[str, pd.DataFrame]) -> None:
    """Point layers from ``lon``/``lat`` (WGS 84), covgap's column names."""
    for layer, table in layers.items():
        gdf = gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
        )
        gdf.to_file(path, layer=layer, driver="GPKG", geometry_type="Point")


def _write_routes(routes: gpd.GeoDataFrame, path: Path) -> None:
    gdf = routes if routes.crs is None or routes.crs.to_epsg() == 4326 else routes.to_crs(4326)
    kinds = set(gdf.geom_type.dropna()) if len(gdf) else {"LineString"}
    multi = kinds == {"LineString", "MultiLineString"}
    geometry_type = "MultiLineString" if multi else (kinds.pop() if len(kinds) == 1 else "Unknown")
    gdf.to_file(path, layer="backhaul_routes", driver="GPKG", geometry_type=geometry_type,
                promote_to_multi=multi)  # fmt: skip


def _jsonable(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN to null, dataclasses to dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _summary_json(plan: Plan) -> str:
    doc = {
        "stats": plan.stats(),
        "options": plan.options,
        "timings": plan.timings,
        "scenario": plan.before.info(),
    }
    return json.dumps(_jsonable(doc), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- workbook
#: Sheets after the summary: (sheet label key, page-header key, table, frozen cell).
_SHEETS = (
    ("plan_sheet_proposed", "plan_sheet_proposed", "proposed", "C2"),
    ("plan_sheet_district", "plan_page_district", "district", "B2"),
    ("plan_sheet_commune", "plan_page_commune", "commune", "C2"),
    ("plan_sheet_fibre", "plan_sheet_fibre", "fibre", "C2"),
    ("plan_sheet_candidates", "plan_sheet_candidates", "candidates", "B2"),
)
_CONTENTS = {
    "proposed": "plan_contents_proposed",
    "district": "plan_contents_before_after",
    "commune": "plan_contents_before_after",
    "fibre": "plan_contents_fibre",
    "candidates": "plan_contents_candidates",
}


def _write_workbook(plan: Plan, tables: Mapping[str, pd.DataFrame], path: Path, lang: str) -> None:
    from openpyxl import Workbook

    from ..request.workbook import _page_setup, _write_table

    synthetic = bool(plan.before.scenario.synthetic)
    wb = Workbook()
    ws = wb.active
    ws.title = label("plan_sheet_summary", lang)
    _write_summary(ws, plan, tables, lang)
    _page_setup(ws, label("plan_title", lang), synthetic, lang)
    ws.page_setup.orientation = "portrait"
    for sheet_key, page_key, role, freeze in _SHEETS:
        ws = wb.create_sheet(label(sheet_key, lang))
        top = 2 if role == "candidates" else 1
        if role == "candidates":
            freeze = f"{freeze[0]}{int(freeze[1:]) + 1}"
        _write_table(ws, tables[role], lang, freeze=freeze, top=top, print_titles=top == 1)
        _money_formats(ws, tables[role], lang, top=top)
        _page_setup(ws, label(page_key, lang), synthetic, lang)
        if role == "candidates":
            _not_printed(ws, len(tables[role]), lang)
    _business_sheet(wb, plan, lang, synthetic)
    wb.save(path)


def _business_sheet(wb: Any, plan: Plan, lang: str, synthetic: bool) -> None:
    """Add the proposed sites' business cases, with the parameters to check them by hand."""
    from ..request.business import _CASE_SHEET_COLUMNS, _for_people
    from ..request.workbook import _economics_rows, _page_setup, _write_table, set_text_safe
    from .business import plan_business_cases

    if plan.proposed.empty:
        return
    cases = plan_business_cases(plan)
    table = _for_people(cases[[c for c in _CASE_SHEET_COLUMNS if c in cases]], lang)
    ws = wb.create_sheet(label("sheet_business", lang))
    economics = plan.before.scenario.economics
    info = {"economics": dataclasses.asdict(economics),
            "lists": cases["economic_list"].value_counts().to_dict()}  # fmt: skip
    rows = _economics_rows(info, lang)
    for i, (key, value) in enumerate(rows, start=1):
        set_text_safe(ws.cell(row=i, column=1), f"{key}: {value}")
    _write_table(ws, table, lang, freeze=f"C{len(rows) + 2}", top=len(rows) + 1, print_titles=True)
    _page_setup(ws, label("sheet_business", lang), synthetic, lang)


def _not_printed(ws: Worksheet, n: int, lang: str) -> None:
    """Keep the candidate list out of the print: the print area is one line that says so.

    Hundreds of candidates are for looking up on screen or in GIS, not for the printed
    plan (they made it 58 pages).
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from ..request.workbook import set_text_safe

    last = get_column_letter(max(ws.max_column, 1))
    ws.merge_cells(f"A1:{last}1")
    set_text_safe(ws["A1"], label("plan_candidates_not_printed", lang).format(n=n))
    ws["A1"].font = Font(italic=True, bold=True)
    ws["A1"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 30
    ws.print_area = f"A1:{last}1"


def _extra_format(column: str) -> str | None:
    """Return the number format :mod:`covgap.request.workbook` does not set (money, people)."""
    if column == "greedy_gap":
        return "0.0%"
    if column.endswith("_usd") or column in ("usd", "usd_per_person"):
        return "#,##0"
    if column.startswith("people") or column.endswith(("_before", "_after")):
        return "#,##0"
    if column in ("weight_cover", "visible_weight"):
        return "#,##0"
    return None


def _money_formats(ws: Worksheet, table: pd.DataFrame, lang: str, *, top: int = 1) -> None:
    from ..request.workbook import display_table

    data, _ = display_table(table, lang)
    for j, col in enumerate(data.columns, start=1):
        fmt = _extra_format(str(col))
        if fmt is None or not pd.api.types.is_numeric_dtype(data[col]):
            continue
        for i in range(top + 1, len(data) + top + 1):
            ws.cell(row=i, column=j).number_format = fmt


def _option_rows(options: Mapping[str, Any], lang: str) -> list[tuple[str, Any, str | None]]:
    rows = []
    for key, value in options.items():
        if key == "costs" or (value is None and key != "carrier"):
            continue
        if key == "carrier":
            value = label("plan_shared", lang) if value is None else str(value)
        elif key == "weight":
            value = label(str(value), lang)
        elif isinstance(value, bool):
            value = label("yes" if value else "no", lang)
        name = f"plan_opt_{key}"
        rows.append((label(name, lang) if name in LABELS else key, value, None))
    return rows


def _cost_rows(costs: Any, lang: str) -> list[tuple[str, Any, str | None]]:
    if costs is None:
        return []
    values = dataclasses.asdict(costs) if dataclasses.is_dataclass(costs) else dict(costs)
    rows = []
    for key, value in values.items():
        name = f"plan_cost_{key}"
        fmt = "#,##0" if key.endswith("_usd") else None
        rows.append((label(name, lang) if name in LABELS else key, value, fmt))
    return rows


def _class_counts(table: pd.DataFrame, when: str) -> str:
    total = table[table.iloc[:, 0].astype(str) == "Total"]
    row = total.iloc[0] if len(total) else table.sum(numeric_only=True)
    return " / ".join(str(int(row[f"{c}_{when}"])) for c in ("covered", "low_signal", "white"))


def _summary_sections(plan: Plan, lang: str) -> list[tuple[str, list[tuple[str, Any, str | None]]]]:
    """Sections of the summary sheet: (title key, [(label, value, number format)])."""
    stats = plan.stats()
    district = plan.before_after["district"]
    headline = [
        (label("plan_sites", lang), stats["sites"], "0"),
        (label("plan_candidates", lang), stats["candidates"], "#,##0"),
        (label("villages_new", lang), stats["villages_new"], "#,##0"),
        (label("people_new", lang), stats["people_new"], "#,##0"),
        (label("households_new", lang), stats["households_new"], "#,##0"),
        (label("total_usd", lang), stats["total_usd"], "#,##0"),
        (label("people_per_million_usd", lang), stats["people_per_million_usd"], "#,##0"),
        (
            label("plan_before_after_villages", lang),
            f"{_class_counts(district, 'before')} → {_class_counts(district, 'after')}",
            None,
        ),
    ]
    solver = [
        (label("solver_status", lang), str(stats["solver_status"]), None),
        (label("objective", lang), stats["objective"], "#,##0"),
        (label("greedy_objective", lang), stats["greedy_objective"], "#,##0"),
        (label("greedy_gap", lang), stats["greedy_gap"], "0.0%"),
        (label("solve_s", lang), stats["solve_s"], "0.0"),
        (label("plan_run_s", lang), float(sum(plan.timings.values())), "0.0"),
    ]
    info = plan.before.info()
    t = plan.before.scenario.thresholds
    analysis = [
        (label("scenario", lang), info.get("scenario"), None),
        (label("model", lang), info.get("model_vi" if lang == "vi" else "model"), None),
        (
            label("thresholds", lang),
            f"{label('covered', lang)}: RSRP 4G ≥ {format_number(t.covered_dbm, 1, lang)} dBm; "
            f"{label('white', lang)}: < {format_number(t.low_signal_dbm, 1, lang)} dBm",
            None,
        ),
        (label("location_probability", lang), info.get("location_probability"), None),
        (label("dem", lang), info.get("dem"), None),
        (label("local_crs", lang), plan.before.scenario.local_crs, None),
        (label("date", lang), info.get("date"), None),
        (label("covgap_version", lang), info.get("covgap_version"), None),
    ]
    contents = [
        (label(sheet, lang), label(_CONTENTS[role], lang), None) for sheet, _, role, _ in _SHEETS
    ]
    return [
        ("plan_headline", headline),
        ("plan_options", _option_rows(plan.options, lang)),
        ("plan_costs", _cost_rows(plan.options.get("costs"), lang)),
        ("plan_solver", solver),
        ("plan_analysis", analysis),
        ("plan_contents", contents),
    ]


def _write_summary(
    ws: Worksheet, plan: Plan, tables: Mapping[str, pd.DataFrame], lang: str
) -> None:
    """Title, synthetic notice, headline figures, options, unit costs, solver, contents."""
    from openpyxl.styles import Alignment, Font

    from ..request.workbook import _WARN_FILL, _WARN_FONT, _plain, set_text_safe

    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 70
    set_text_safe(ws["A1"], label("plan_title", lang))
    ws["A1"].font = Font(bold=True, size=15)
    set_text_safe(ws["A2"], label("plan_subtitle", lang))
    ws["A2"].font = Font(italic=True)
    ws.merge_cells("A2:B2")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 32
    row = 3
    if plan.before.scenario.synthetic:
        cell = ws.cell(row=row, column=1)
        set_text_safe(cell, label("synthetic_notice", lang))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell.font, cell.fill = _WARN_FONT, _WARN_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[row].height = 30
        row += 1
    for title, pairs in _summary_sections(plan, lang):
        row += 1
        set_text_safe(ws.cell(row=row, column=1), label(title, lang))
        ws.cell(row=row, column=1).font = Font(bold=True, size=12)
        for text, value, fmt in pairs:
            row += 1
            set_text_safe(ws.cell(row=row, column=1), text)
            ws.cell(row=row, column=1).font = Font(bold=True)
            cell = ws.cell(row=row, column=2)
            set_text_safe(cell, None if _missing(value) else _plain(value))
            if fmt:
                cell.number_format = fmt
            for col in (1, 2):
                ws.cell(row=row, column=col).alignment = Alignment(
                    wrap_text=True, vertical="top", horizontal="left"
                )
            lines = max(-(-len(str(value)) // 65), -(-len(text) // 44), 1)
            ws.row_dimensions[row].height = 15 * lines
        row += 1
