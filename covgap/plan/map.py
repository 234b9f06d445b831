"""The plan's interactive map: the network after the plan, proposed sites, routes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io.locale import check_lang, format_number
from ..outputs.labels import label
from ..schema import COVERED, carrier_slug
from .display import _SHARED_KINDS, _coded, _flat, note_text

if TYPE_CHECKING:
    import folium

    from .site_plan import Plan

__all__ = ["plan_map"]

logger = logging.getLogger(__name__)

#: Proposed-site marker (Okabe–Ito yellow, thick black edge: unlike any village or site).
PROPOSED_STYLE = {"radius": 11, "color": "#000000", "weight": 3, "fillColor": "#F0E442",
                  "fillOpacity": 1.0}  # fmt: skip
#: Ring around the villages the plan newly covers (the darkest green of the signal ramp:
#: green is "covered" everywhere on the maps), in the gaps' pane, above the sites.
NEWLY_RING = {"radius": 12, "color": "#1B7850", "weight": 3, "fill": False,
              "interactive": False, "pane": "cgGaps", "z": 650}  # fmt: skip
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
    "usd_per_person", "plan_business", "note",
)  # fmt: skip
_ROUTE_ROWS = ("route_id", "backhaul", "from_id", "to_id", "km", "usd")


# --------------------------------------------------------------------------- map
def plan_map(plan: Plan, *, lang: str = "vi") -> folium.Map:
    """Map of the network after the plan, with the proposed sites and their backhaul.

    The after-analysis map (:func:`covgap.outputs.maps.coverage_map`: villages by their new
    class, existing and new sites, boundaries, hillshade) with four more layers in the
    layer control: the proposed sites (yellow circles with a thick black edge; popup with
    the kind, villages, households and people newly covered, costs, backhaul and note),
    the villages newly covered (green rings), the backhaul routes (fibre solid, microwave
    dashed; popup with length and cost) and lines from each proposed site to the villages
    it newly covers (off when the map opens); the legend explains them.

    Parameters
    ----------
    plan
        From :func:`covgap.plan.site_plan.plan_network`.
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    folium.Map
    """
    from ..outputs.maps import coverage_map

    check_lang(lang)
    after = plan.after
    stats = plan.stats()
    info = {k: v for k, v in after.info().items() if k != "thresholds"}
    info["plan_sites"] = format_number(stats["sites"], 0, lang)
    info["people_new"] = format_number(stats["people_new"], 0, lang)
    info["total_usd"] = format_number(stats["total_usd"], 0, lang)
    layers, legend = _plan_layers(plan, lang)
    return coverage_map(
        after.villages, after.sites, districts=after.districts, communes=after.communes,
        thresholds=after.scenario.thresholds, lang=lang,
        title=label("plan_map_title", lang), info=info,
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
    from ..outputs.map_elements import _esc, _layer

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
    coverage, ramp = _coverage_layer(plan, lang)
    if coverage is not None:
        layers.insert(0, coverage)
    return layers, _legend_html(kinds, lang) + ramp


def _coverage_layer(plan: Plan, lang: str) -> tuple[Any, str]:
    """Return the area the proposed sites cover (4G RSRP overlay) and its legend row.

    Only where their signal reaches the covered threshold (with the location margin): what
    the sites add, not the weak fringe around them (which drew a disc round every site).
    """
    from ..outputs.map_elements import _esc
    from ..outputs.map_layers import RAMP_COLOURS, location_margin, signal_overlay
    from ..radio.rasters import ANY_CARRIER

    rasters = plan.coverage()
    if rasters is None or (ANY_CARRIER, "4G") not in rasters.signal:
        return None, ""
    thresholds = plan.before.scenario.thresholds
    floor = thresholds.covered_dbm + location_margin(rasters)
    name = label("plan_layer_coverage", lang)
    layer = signal_overlay(rasters, (ANY_CARRIER, "4G"), thresholds, name, floor_dbm=floor)
    text = label("plan_legend_coverage", lang).format(
        dbm=format_number(floor, 1 if floor % 1 else 0, lang)
    )
    row = (
        f'<div><span class="sw" style="background:{RAMP_COLOURS[1]};border-radius:2px">'
        f"</span>{_esc(text)}</div>"
    )
    return layer, row


def _usd(value: Any, lang: str) -> str | None:
    from ..outputs.map_elements import _num

    return _num(value, 0, lang, " USD")


def _proposed_values(row: Mapping[str, Any], lang: str, shared: bool) -> list[str | None]:
    from ..outputs.map_elements import _esc, _num, _present

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
        _esc(business_text(row, lang)) or None,
        _esc(note_text(row, lang)) or None,
    ]


def business_text(row: Mapping[str, Any], lang: str) -> str | None:
    """One line of a site's business case: its NPV over the horizon and the support it needs.

    >>> business_text({"npv_vnd": -1.2e9, "grant_vnd": 0.9e9, "horizon_years": 10}, "en")
    'NPV VND −1.2 billion over 10 years; break-even needs VND 0.9 billion of support'
    """
    npv = row.get("npv_vnd")
    if npv is None or pd.isna(npv):
        return None
    years = int(row.get("horizon_years") or 10)
    text = label("plan_business_npv", lang).format(
        npv=format_number(npv / 1e9, 1, lang), years=years
    )
    grant = row.get("grant_vnd")
    if grant is not None and pd.notna(grant) and grant > 0:
        text += "; " + label("plan_business_grant", lang).format(
            grant=format_number(grant / 1e9, 1, lang)
        )
    return text


def _proposed_layer(plan: Plan, lang: str) -> Any:
    from ..outputs.map_elements import _esc, _layer, _row_labels
    from ..outputs.maps import _point_collection
    from .business import plan_business_cases

    table = _flat(plan.proposed)
    economics = plan.before.scenario.economics
    cases = plan_business_cases(plan)
    table["npv_vnd"] = cases["npv_vnd"].to_numpy(float)
    table["grant_vnd"] = cases["grant_usd"].to_numpy(float) * economics.usd_vnd
    table["horizon_years"] = economics.horizon_years
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
    from ..outputs.map_elements import _esc, _layer

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

    from ..outputs.map_elements import _esc, _layer, _num, _row_labels

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
            _num(row.get("km"), 1, lang),  # the row label says "(km)"
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
    from ..outputs.map_elements import _esc

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
