"""Write a fetched scenario's files: stamped layers and tables, scenario, sources.

``scenario.toml``, ``SOURCES.md`` and ``sources.json`` go beside the layers.

Every file says where its data come from: GeoTIFF tags (written by
:func:`covgap.io.fetch.rasters.mosaic`), GeoPackage layer metadata, a ``source`` column in
tables, and the scenario's header comments, next to the full record of the downloads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ...config import Scenario
from ..atomic import atomic_path
from .area import Area
from .cells import POSITION_NOTE
from .download import Download
from .osm import DRAFT_NOTE
from .sources import SOURCES

__all__ = ["write_csv", "write_layers", "write_scenario"]


def _stamp(layer_sources: list[str]) -> dict[str, str]:
    srcs = [SOURCES[k] for k in layer_sources]
    return {
        "SOURCE": "; ".join(s.title for s in srcs),
        "LICENCE": "; ".join(s.licence for s in srcs),
        "ATTRIBUTION": "; ".join(s.attribution for s in srcs),
        "CREATED": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_layers(
    path: Path, layers: dict[str, gpd.GeoDataFrame], *, source: str | None = "overpass"
) -> Path:
    """Write GeoPackage layers all-or-nothing, stamped with ``source``'s licence."""
    meta = _stamp([source]) if source else {}
    with atomic_path(path, create=False) as tmp:
        for name, gdf in layers.items():
            if gdf.empty:
                gdf = gpd.GeoDataFrame(
                    {"osm_id": pd.Series(dtype=str)}, geometry=[], crs="EPSG:4326"
                )
            pyogrio.write_dataframe(
                gdf,
                tmp,
                layer=name,
                driver="GPKG",
                append=tmp.exists(),
                layer_metadata=meta or None,
            )
    return path


def write_csv(path: Path, table: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV all-or-nothing."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8")
    return path


def write_scenario(
    out: Path,
    area: Area,
    files: dict[str, Path],
    log: list[Download],
    counts: dict[str, int],
    user_files: dict[str, Any],
    margin_km: float,
    origin: dict[str, str],
    admin_meta: dict,
) -> Path:
    """Write ``scenario.toml`` (sources and caveats in its header), SOURCES.md, sources.json.

    ``origin`` maps each written layer to its :data:`~covgap.io.fetch.sources.SOURCES` key.
    """

    def rel(key: str) -> Path | None:
        return files[key].relative_to(out) if key in files else None

    draft = " (DRAFT villages from OpenStreetMap)" if "places" in files else ""
    dems = tuple(Path(p).resolve() for p in user_files["dem"]) or tuple(
        p for p in [rel("dem")] if p
    )
    scenario = Scenario(
        villages=rel("places"),
        sites=rel("cells"),
        dem=dems,
        admin=rel("admin"),
        roads=rel("roads"),
        name=f"{area.name} - open data fetched by covgap{draft}",
        **_landcover_input(rel("landcover")),
    )
    fetched = set(files) - ({"admin"} if not admin_meta else set())
    used = sorted({origin[k] for k in fetched if k in origin})
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    where = (
        area.name
        if area.name.startswith("bbox")
        else f"{area.name}, bbox " + ",".join(f"{v:g}" for v in area.bounds)
    )
    header = [f"# Written by `covgap fetch` on {now} for {where} (+{margin_km:g} km margin)."]
    header += ["# Sources, licences (also in SOURCES.md, sources.json and on every file):"]
    header += [
        f"#   {SOURCES[k].title}: {SOURCES[k].licence}. {SOURCES[k].attribution}" for k in used
    ]
    if "places" in files:
        header.append(f"# villages: {DRAFT_NOTE}.")
    if "cells" in files:
        header.append(f"# sites: {POSITION_NOTE}.")
    if "landcover" in files:
        header.append(
            f'# land cover (clutter): landcover = "{rel("landcover")}"  '
            "(ESA WorldCover classes; give it to the clutter model)"
        )
    if "power" in files:
        header.append(f'# power lines and substations: "{rel("power")}"')
    text = "\n".join(header) + "\n" + scenario.to_toml()
    manifest = {
        "area": {
            "name": area.name,
            "bounds": list(area.bounds),
            "margin_km": margin_km,
            "boundary_file": str(area.boundary_file) if area.boundary_file else None,
        },
        "created": now,
        "files": {k: str(v.relative_to(out)) for k, v in files.items()},
        "user_files": {
            k: [str(p) for p in v] if isinstance(v, tuple) else (str(v) if v else None)
            for k, v in user_files.items()
        },
        "sources": {k: vars(SOURCES[k]) | {"env": None} for k in used},
        "downloads": [
            {
                "name": d.name,
                "url": d.url,
                "sha256": d.sha256,
                "size": d.size,
                "retrieved": d.retrieved,
                "how": d.how,
            }
            for d in log
        ],
        "counts": counts,
        "admin_layers": admin_meta,
        "caveats": {"villages": DRAFT_NOTE, "sites": POSITION_NOTE},
    }
    with atomic_path(out / "sources.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    with atomic_path(out / "SOURCES.md") as tmp:
        tmp.write_text(_sources_md(manifest), encoding="utf-8")
    path = out / "scenario.toml"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _landcover_input(path: Path | None) -> dict[str, Path]:
    """Return the land-cover input of the scenario (``[inputs] land_cover``)."""
    return {"land_cover": path} if path is not None else {}


def _sources_md(manifest: dict) -> str:
    lines = [
        f"# Sources of the data in this folder ({manifest['area']['name']})",
        "",
        f"Fetched by `covgap fetch` on {manifest['created']}.",
        "",
    ]
    for s in manifest["sources"].values():
        lines += [f"- **{s['title']}** ({s['url']}): {s['licence']}. {s['attribution']}"]
    lines += ["", "## Caveats", ""] + [f"- {k}: {v}" for k, v in manifest["caveats"].items()]
    lines += ["", "## Downloads", ""]
    lines += [
        f"- `{d['name']}` <- {d['url']} (SHA-256 {d['sha256'][:12]}…, {d['size']} bytes, "
        f"{d['retrieved'] or 'manual'}, {d['how']})"
        for d in manifest["downloads"]
    ]
    return "\n".join(lines) + "\n"
