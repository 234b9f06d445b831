"""A plan's files and map: what :meth:`covgap.plan.Plan.write` and ``Plan.map`` produce.

:func:`write_plan` writes, all or nothing (:func:`covgap.reports.atomic_folder`), the
proposed sites (CSV with VN-2000 coordinates, GeoPackage with the candidates), the
backhaul routes (GeoPackage lines), the before/after tables by district and commune, the
fibre roll-out order, a workbook in Vietnamese or English, the plan map, a JSON summary
and the scenario record. :func:`plan_map` draws the after-analysis map with the proposed
sites, their backhaul routes and the villages they newly cover.

The CSV files follow :mod:`covgap.export` (UTF-8 with a byte-order mark, headers and coded
values in ``lang``, formula-safe text); the GeoPackages keep covgap's column names for GIS
work. Every text on the map is HTML-escaped (:func:`covgap._map_elements._esc`): candidate
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

from .labels import LABELS, check_lang, format_number, label
from .schema import COVERED, carrier_slug

if TYPE_CHECKING:
    import folium
    from openpyxl.worksheet.worksheet import Worksheet

    from .plan import Plan

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
_SHARED_KINDS = ("new_site", "user")
#: Proposed-site marker (Okabe–Ito yellow, thick black edge: unlike any village or site).
PROPOSED_STYLE = {"radius": 11, "color": "#000000", "weight": 3, "fillColor": "#F0E442",
                  "fillOpacity": 1.0}  # fmt: skip
#: Ring around the villages the plan newly covers.
NEWLY_RING = {"radius": 12, "color": "#009E73", "weight": 3, "fill": False, "interactive": False}
#: Backhaul routes: fibre solid, microwave dashed.
ROUTE_STYLE = {
    "fibre": {"color": "#6A1B9A", "weight": 4, "opacity": 0.85},
    "microwave": {"color": "#6A1B9A", "weight": 3, "opacity": 0.85, "dashArray": "10 7"},
}
LINK_STYLE = {"color": "#333333", "weight": 1.5, "opacity": 0.8, "dashArray": "2 5",
              "interactive": True}  # fmt: skip
_PROPOSED_ROWS = (
    "candidate_id", "kind", "carrier", "site_id", "height_m", "azimuths_deg", "villages_new",
    "people_new", "households_new", "site_usd", "backhaul", "backhaul_usd", "total_usd",
    "usd_per_person", "note",
)  # fmt: skip
_ROUTE_ROWS = ("route_id", "backhaul", "from_id", "to_id", "km", "usd")


# --------------------------------------------------------------------------- tables
def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` as a plain DataFrame, without geometry columns."""
    geoms = [c for c in table.columns if isinstance(table[c].dtype, gpd.array.GeometryDtype)]
    return pd.DataFrame(table.drop(columns=geoms)).reset_index(drop=True)


def _with_local_xy(table: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    from .planning import add_local_xy

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


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


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
        From :func:`covgap.plan.plan_network`.
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
    from . import maps
    from .export import write_csv
    from .reports import atomic_folder

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

    from .workbook import _page_setup, _write_table

    synthetic = bool(plan.before.scenario.synthetic)
    wb = Workbook()
    ws = wb.active
    ws.title = label("plan_sheet_summary", lang)
    _write_summary(ws, plan, tables, lang)
    _page_setup(ws, label("plan_title", lang), synthetic, lang)
    ws.page_setup.orientation = "portrait"
    for sheet_key, page_key, role, freeze in _SHEETS:
        ws = wb.create_sheet(label(sheet_key, lang))
        _write_table(ws, tables[role], lang, freeze=freeze)
        _money_formats(ws, tables[role], lang)
        _page_setup(ws, label(page_key, lang), synthetic, lang)
    wb.save(path)


def _extra_format(column: str) -> str | None:
    """Return the number format :mod:`covgap.workbook` does not set (money, people)."""
    if column == "greedy_gap":
        return "0.0%"
    if column.endswith("_usd") or column in ("usd", "usd_per_person"):
        return "#,##0"
    if column.startswith("people") or column.endswith(("_before", "_after")):
        return "#,##0"
    if column in ("weight_cover", "visible_weight"):
        return "#,##0"
    return None


def _money_formats(ws: Worksheet, table: pd.DataFrame, lang: str) -> None:
    from .workbook import display_table

    data, _ = display_table(table, lang)
    for j, col in enumerate(data.columns, start=1):
        fmt = _extra_format(str(col))
        if fmt is None or not pd.api.types.is_numeric_dtype(data[col]):
            continue
        for i in range(2, len(data) + 2):
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

    from .workbook import _WARN_FILL, _WARN_FONT, _missing, _plain, set_text_safe

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


# --------------------------------------------------------------------------- map
def plan_map(plan: Plan, *, lang: str = "vi") -> folium.Map:
    """Map of the network after the plan, with the proposed sites and their backhaul.

    The after-analysis map (:func:`covgap.maps.coverage_map`: villages by their new
    class, existing and new sites, boundaries, hillshade) with four more layers in the
    layer control: the proposed sites (yellow circles with a thick black edge; popup with
    the kind, villages, households and people newly covered, costs, backhaul and note),
    the villages newly covered (green rings), the backhaul routes (fibre solid, microwave
    dashed; popup with length and cost) and lines from each proposed site to the villages
    it newly covers (off when the map opens); the legend explains them.

    Parameters
    ----------
    plan
        From :func:`covgap.plan.plan_network`.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    from .maps import coverage_map

    check_lang(lang)
    after = plan.after
    stats = plan.stats()
    info = {k: v for k, v in after.info().items() if k not in ("thresholds", "scenario")}
    info["plan_sites"] = format_number(stats["sites"], 0, lang)
    info["people_new"] = format_number(stats["people_new"], 0, lang)
    info["total_usd"] = format_number(stats["total_usd"], 0, lang)
    layers, legend = _plan_layers(plan, lang)
    return coverage_map(
        after.villages, after.sites, districts=after.districts, communes=after.communes,
        thresholds=after.scenario.thresholds, lang=lang,
        title=label("plan_map_title", lang).format(scenario=after.scenario.name), info=info,
        terrain=after.terrain, highlight=None, rasters=after.rasters, zones=after.zones,
        extra_layers=layers, extra_legend_html=legend,
    )  # fmt: skip


def _newly_ids(plan: Plan) -> set[str]:
    carrier = plan.options.get("carrier")
    column = "coverage_class" if carrier is None else f"class_{carrier_slug(carrier)}"
    before, after = plan.before.villages, plan.after.villages
    new = (before[column] != COVERED).to_numpy() & (after[column] == COVERED).to_numpy()
    return set(after.loc[new, "village_id"].astype(str))


def _plan_layers(plan: Plan, lang: str) -> tuple[list[Any], str]:
    """Build the plan's map layers (rings, links, routes, sites) and their legend."""
    from ._map_elements import _esc, _layer

    villages = plan.after.villages
    villages = villages if villages.crs is None or villages.crs.to_epsg() == 4326 else (
        villages.to_crs(4326)
    )  # fmt: skip
    newly = _newly_ids(plan)
    part = villages[villages["village_id"].astype(str).isin(newly)]
    coords = np.round(np.column_stack([part.geometry.x, part.geometry.y]), 5).tolist()
    name = label("plan_layer_newly", lang).format(n=format_number(len(part), 0, lang))
    layers = [_layer(coords, name=_esc(name), kind="rings", options=NEWLY_RING)]
    layers.append(_link_layer(plan.proposed, villages, lang))
    routes = plan.routes
    if len(routes) and routes.crs is not None and routes.crs.to_epsg() != 4326:
        routes = routes.to_crs(4326)
    kinds = [k for k in ROUTE_STYLE if (routes["backhaul"].astype(str) == k).any()]
    for kind in kinds:
        layers.append(_route_layer(routes[routes["backhaul"].astype(str) == kind], kind, lang))
    layers.append(_proposed_layer(plan, lang))
    return layers, _legend_html(kinds, lang)


def _usd(value: Any, lang: str) -> str | None:
    from ._map_elements import _num

    return _num(value, 0, lang, " USD")


def _proposed_values(row: Mapping[str, Any], lang: str, shared: bool) -> list[str | None]:
    from ._map_elements import _esc, _num, _present

    kind = str(row.get("kind"))
    carrier = row.get("carrier")
    if shared and kind in _SHARED_KINDS:
        carrier = label("plan_shared", lang)
    backhaul = _esc(_coded(row.get("backhaul"), "plan_backhaul_", lang)) or None
    if backhaul and _present(row.get("backhaul_km")):
        backhaul += f" ({_num(row['backhaul_km'], 1, lang, ' km')})"
    azimuths = _esc(str(row.get("azimuths_deg") or "").replace(";", ", "))
    return [
        _esc(row.get("candidate_id")) or None,
        _esc(_coded(kind, "plan_kind_", lang)) or None,
        _esc(carrier) or None,
        _esc(row.get("site_id")) or None,
        _num(row.get("height_m"), 0, lang, " m"),
        azimuths or None,
        _num(row.get("villages_new"), 0, lang),
        _num(row.get("people_new"), 0, lang),
        _num(row.get("households_new"), 0, lang),
        _usd(row.get("site_usd"), lang),
        backhaul,
        _usd(row.get("backhaul_usd"), lang),
        _usd(row.get("total_usd"), lang),
        _usd(row.get("usd_per_person"), lang),
        _esc(note_text(row, lang)) or None,
    ]


def _proposed_layer(plan: Plan, lang: str) -> Any:
    from ._map_elements import _esc, _layer, _row_labels
    from .maps import _point_collection

    table = _flat(plan.proposed)
    shared = plan.options.get("carrier") is None
    site = label("plan_proposed_site", lang)
    props = [
        {
            "t": _esc(f"{site} {row.get('rank', '')}: {row.get('candidate_id', '')}"),
            "v": _proposed_values(row, lang, shared),
        }
        for row in table.to_dict("records")
    ]
    coords = np.column_stack([table["lon"].to_numpy(float), table["lat"].to_numpy(float)])
    name = label("plan_layer_proposed", lang).format(n=format_number(len(table), 0, lang))
    return _layer(
        _point_collection(coords, props),
        name=_esc(name),
        kind="villages",
        # own SVG pane above the cluster icons: visible at the province scale
        options={
            "style": PROPOSED_STYLE,
            "cluster": False,
            "communeRow": -1,
            "pane": "cgPlan",
            "z": 640,
        },
        rows=_row_labels(_PROPOSED_ROWS, lang),
    )


def _link_layer(proposed: pd.DataFrame, villages: gpd.GeoDataFrame, lang: str) -> Any:
    """Lines from each proposed site to the villages it newly covers (off at first)."""
    from ._map_elements import _esc, _layer

    where = {
        str(vid): (round(float(g.x), 5), round(float(g.y), 5), name)
        for vid, g, name in zip(
            villages["village_id"], villages.geometry, villages["name"], strict=True
        )
    }
    features = []
    for row in _flat(proposed).to_dict("records"):
        start = [round(float(row["lon"]), 5), round(float(row["lat"]), 5)]
        for vid in str(row.get("village_ids") or "").split(";"):
            if vid.strip() not in where:
                continue
            x, y, name = where[vid.strip()]
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [start, [x, y]]},
                "properties": {"t": _esc(f"{row.get('candidate_id')} → {name}")},
            })  # fmt: skip
    return _layer(
        {"type": "FeatureCollection", "features": features},
        name=_esc(label("plan_layer_links", lang)),
        kind="lines",
        options=LINK_STYLE,
        tooltip={"sticky": True},
        show=False,
    )


def _route_layer(routes: gpd.GeoDataFrame, kind: str, lang: str) -> Any:
    import shapely

    from ._map_elements import _esc, _layer, _num, _row_labels

    geoms = shapely.transform(routes.geometry.to_numpy(), lambda xy: np.round(xy, 5))
    kind_text = label(f"plan_backhaul_{kind}", lang)
    features = []
    for geom, row in zip(geoms, _flat(routes).to_dict("records"), strict=True):
        if geom is None or geom.is_empty:
            continue
        values = [
            _esc(row.get("route_id")) or None,
            _esc(kind_text),
            _esc(row.get("from_id")) or None,
            _esc(row.get("to_id")) or None,
            _num(row.get("km"), 1, lang, " km"),
            _usd(row.get("usd"), lang),
        ]
        title = _esc(f"{kind_text}: {row.get('from_id', '')} → {row.get('to_id', '')}")
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                         "properties": {"t": title, "v": values}})  # fmt: skip
    name = label(f"plan_layer_{kind}", lang).format(n=format_number(len(features), 0, lang))
    return _layer(
        {"type": "FeatureCollection", "features": features},
        name=_esc(name),
        kind="zones",
        options=ROUTE_STYLE[kind],
        rows=_row_labels(_ROUTE_ROWS, lang),
    )


def _legend_html(route_kinds: list[str], lang: str) -> str:
    """Legend rows of the plan layers (escaped HTML)."""
    from ._map_elements import _esc

    s, r = PROPOSED_STYLE, NEWLY_RING
    rows = [
        f"<div style='margin-top:4px'><b>{_esc(label('plan_legend_title', lang))}</b></div>",
        f'<div><span class="sw" style="background:{s["fillColor"]};border:{s["weight"]}px '
        f'solid {s["color"]};box-sizing:border-box"></span>'
        f"{_esc(label('plan_legend_proposed', lang))}</div>",
        f'<div><span class="ring" style="border-color:{r["color"]}"></span>'
        f"{_esc(label('plan_legend_newly', lang))}</div>",
    ]
    for kind in route_kinds:
        style = ROUTE_STYLE[kind]
        line = "dashed" if style.get("dashArray") else "solid"
        rows.append(
            f'<div><span class="ln" style="border-top:{style["weight"]}px {line} '
            f'{style["color"]}"></span>{_esc(label(f"plan_legend_{kind}", lang))}</div>'
        )
    rows.append(
        f'<div><span class="ln" style="border-top:2px dotted {LINK_STYLE["color"]}"></span>'
        f"{_esc(label('plan_legend_links', lang))}</div>"
    )
    return "\n".join(rows)
