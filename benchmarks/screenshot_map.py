"""Render a covgap map in headless Chromium: screenshot, JavaScript errors, size and speed.

Usage::

    python benchmarks/screenshot_map.py                    # synthetic 1,100 villages + 700 sites
    python benchmarks/screenshot_map.py maps/coverage.html --out shot.png
    python benchmarks/screenshot_map.py --compare          # also time one folium marker per village

How the check works (one Chromium run, no internet needed):

* Without a path, a map is built from the real village points and district polygons in
  ``../shared/data`` when present (random points otherwise) with synthetic classes and
  sites, and saved with ``inline_assets=True`` (Leaflet copied into the page from the
  ``xstatic-leaflet`` package): folium links Leaflet from a CDN, and offline the page
  then stops at ``Uncaught ReferenceError: L is not defined`` and stays blank.
* A copy of the page gets a probe script at the top of ``<head>``: it counts uncaught
  errors (``window.onerror``) and, after load, logs one ``COVGAP_PROBE {...}`` line with
  whether Leaflet loaded and how many canvases, site markers, layer-control entries,
  signal overlays and white / low-signal zone pieces exist (``--zone`` opens the popup
  of the first zone piece and reports its text).
* Chromium runs with ``--enable-logging=stderr --v=0``, which writes every console
  message to stderr as ``INFO:CONSOLE(...)] "message", source: ...``; the script scans it
  for ``Uncaught`` / console errors and for the probe line, and takes the screenshot with
  ``--screenshot`` in the same run (``--virtual-time-budget`` lets the page settle).

Exit status 1 if Chromium is missing or fails, a JavaScript error is logged, or the probe
finds no map. Figures are printed; this is a benchmark and a smoke check, not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "whosonfirst_vn"
DISTRICTS_VI = {
    "Lai Chau": "TP Lai Châu", "Muong Te": "Mường Tè", "Nam Nhun": "Nậm Nhùn",
    "Phong Tho": "Phong Thổ", "Sin Ho": "Sìn Hồ", "Tam Duong": "Tam Đường",
    "Tan Uyen": "Tân Uyên", "Than Uyen": "Than Uyên",
}  # fmt: skip
PROBE = """<script>
window.__cgErrors = 0;
window.addEventListener('error', function () { window.__cgErrors += 1; });
window.addEventListener('load', function () {
  var q = function (s) { return document.querySelectorAll(s).length; };
  var map = null;
  for (var k in window) {
    try { if (/^map_/.test(k) && window[k] instanceof L.Map) { map = window[k]; } } catch (e) {}
  }
  var steps = (window.__cgActions || []).slice();
  function next() {
    var a = steps.shift();
    if (!a) { return setTimeout(report, 600); }
    if (a.view) { map.setView([a.view[0], a.view[1]], a.view[2], {animate: false}); }
    if (a.search) {  // type into the search box, then pick the first suggestion
      var st = map._cg.search;
      st.expand();
      st.searchText(a.search);
      setTimeout(function () {
        var tip = document.querySelector('.search-tip');
        if (tip) { tip.click(); }
      }, 700);
    }
    if (a.measure) {  // click through points with the measuring tool
      var m = map._cg.measure;
      m._start();
      a.measure.forEach(function (ll) { map.fire('click', {latlng: L.latLng(ll)}); });
      m._stop();
    }
    if (a.zone) {  // open the popup of the first zone piece of the first zone layer shown
      map.eachLayer(function (l) {
        if (!a.done && l.cgKind === 'zones' && l.getLayers().length) {
          var piece = l.getLayers()[0];
          map.fitBounds(piece.getBounds(), {animate: false, maxZoom: 13});
          piece.openPopup(piece.getBounds().getCenter());
          a.done = true;
        }
      });
    }
    setTimeout(next, a.wait || 1200);
  }
  function gapsSeen() {  // white and low-signal villages: in the view, and under a box
    var cg = map && map._cg, size = map.getSize(), out = {gaps: 0, gaps_in_view: 0,
      gaps_hidden: [], boxes: []};
    if (!cg || !window.covgap) { return out; }
    var boxes = covgap.boxes(map);
    out.boxes = boxes.map(function (b) {
      return [b.el.className.split(' ')[0], Math.round(b.l), Math.round(b.t), Math.round(b.r),
        Math.round(b.b)];
    });
    cg.front.forEach(function (layer) {
      if (!map.hasLayer(layer) || !(layer instanceof L.GeoJSON)) { return; }  // not rings
      layer.eachLayer(function (m) {
        var p = map.latLngToContainerPoint(m.getLatLng()), r = m.options.radius || 0;
        out.gaps += 1;
        if (p.x < 0 || p.y < 0 || p.x > size.x || p.y > size.y) { return; }
        out.gaps_in_view += 1;
        boxes.forEach(function (b) {
          if (p.x + r > b.l && p.x - r < b.r && p.y + r > b.t && p.y - r < b.b) {
            out.gaps_hidden.push([m.getTooltip() ? m.getTooltip().getContent() : '',
              b.el.className.split(' ')[0]]);
          }
        });
      });
    });
    return out;
  }
  function report() {
    var cg = map && map._cg, wedges = 0, zones = 0, pieces = 0;
    if (map) {
      map.eachLayer(function (l) {
        if (cg && cg.renderers.cgWedges && l.options.renderer === cg.renderers.cgWedges) {
          wedges += 1;
        }
        if (l.cgKind === 'zones') { zones += 1; pieces += l.getLayers().length; }
      });
    }
    console.log('COVGAP_PROBE ' + JSON.stringify({
      leaflet: typeof L !== 'undefined', errors: window.__cgErrors, zoom: map && map.getZoom(),
      canvas: q('.leaflet-overlay-pane canvas'), site_markers: q('.leaflet-marker-pane .cg-site'),
      layer_entries: q('.leaflet-control-layers-overlays label'), tooltips: q('.leaflet-tooltip'),
      clusters: q('.cg-cluster'), relief: q('.leaflet-image-layer'), wedges: wedges,
      signal: q('.leaflet-cgSignal-pane .leaflet-image-layer'), zone_layers: zones,
      zone_pieces: pieces,
      search: q('.leaflet-control-search'), fullscreen: q('.fullscreen-icon'),
      minimap: q('.leaflet-control-minimap'), measure: q('.cg-measure'),
      popup: q('.leaflet-popup'), links: cg ? cg.links.getLayers().length : 0,
      search_index: cg ? cg.index.length : 0,
      popup_text: (document.querySelector('.leaflet-popup-content') || {}).textContent || null,
      measured_m: cg && cg.measure ? Math.round(cg.measure.distance || 0) : null,
      size: map && [map.getSize().x, map.getSize().y], fit: cg && cg.fit ? cg.fit : null,
      gaps_seen: map ? gapsSeen() : null
    }));
  }
  setTimeout(next, 300);
});
</script>"""
#: Headless Chromium's narrowest window, and the height its viewport lacks at load time.
MIN_WINDOW_WIDTH, WINDOW_CHROME_PX = 500, 200
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] \"(.*)\", source: (.*)$")


def synthetic_inputs(n_villages=1100, n_sites=700, seed=1):
    """Villages with classes and explanations, sites with 3 sectors each, districts."""
    rng = np.random.default_rng(seed)
    districts = None
    if (SHARED / "laichau_province_and_districts.geojson").exists():
        admin = gpd.read_file(SHARED / "laichau_province_and_districts.geojson")
        districts = admin[admin["wof_placetype"] == "county"].copy()
        districts["district"] = districts["wof_name"].map(DISTRICTS_VI)
        pts = gpd.read_file(SHARED / "villages_geonames_via_wof_laichau.geojson")
        names, lon, lat = pts["name"].tolist(), pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        dist_names = pts["district_pip_vi"].tolist()
        extra = n_villages - len(pts)
        if extra > 0:  # jitter existing points to reach the size asked for
            idx = rng.integers(0, len(pts), extra)
            names += [f"{names[i]} {k}" for k, i in enumerate(idx)]
            lon = np.concatenate([lon, lon[idx] + rng.normal(0, 0.01, extra)])
            lat = np.concatenate([lat, lat[idx] + rng.normal(0, 0.01, extra)])
            dist_names += [dist_names[i] for i in idx]
        names, lon, lat = names[:n_villages], lon[:n_villages], lat[:n_villages]
        dist_names = dist_names[:n_villages]
    else:
        lon = rng.uniform(102.35, 103.95, n_villages)
        lat = rng.uniform(21.7, 22.8, n_villages)
        names = [f"Bản Thử {i}" for i in range(n_villages)]
        dist_names = ["Sìn Hồ"] * n_villages
    n = len(names)
    cls = rng.choice(["covered", "low_signal", "white"], n, p=[0.8, 0.12, 0.08])
    rsrp = np.where(
        cls == "covered",
        rng.uniform(-100, -70, n),
        np.where(cls == "low_signal", rng.uniform(-115, -105, n), np.nan),
    )
    blocked = cls != "covered"
    villages = gpd.GeoDataFrame({
        "village_id": [f"LC{i:05d}" for i in range(n)], "name": names,
        "commune": [f"Xã {k % 106 + 1}" for k in range(n)], "district": dist_names,
        "households": rng.integers(15, 150, n).astype(float),
        "population": rng.integers(80, 800, n).astype(float),
        "grid_power": pd.array(rng.random(n) > 0.15, dtype="boolean"),
        "especially_difficult": pd.array(rng.random(n) > 0.5, dtype="boolean"),
        "coverage_class": cls, "rsrp_dbm": rsrp, "min_cluster_rsrp_dbm": np.nan,
        "best_carrier": np.where(np.isnan(rsrp), None, "Viettel"),
        "best_site_id": [f"VT{i % n_sites:04d}" for i in range(n)],
        "best_site_km": rng.uniform(0.5, 12, n).round(2), "los": ~blocked,
        "obstacle_height_m": np.where(blocked, rng.uniform(600, 2500, n), np.nan),
        "obstacle_dist_km": np.where(blocked, rng.uniform(0.3, 5, n), np.nan),
        "nearest_site_id": [f"VT{i % n_sites:04d}" for i in range(n)],
        "nearest_site_carrier": "Viettel", "nearest_site_km": rng.uniform(0.5, 9, n).round(2),
        "rsrp_viettel_dbm": rsrp, "rsrp_vnpt_dbm": rsrp - 4, "rsrp_mobifone_dbm": rsrp - 7,
        "services": np.where(blocked, "2G", "2G 3G 4G"),
        "reason": np.where(blocked, "blocked by a ridge 3.2 km from the village", "covered"),
        "reason_vi": np.where(blocked, "bị núi che khuất, cách thôn 3,2 km", "có sóng"),
    }, geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)], crs=4326)  # fmt: skip
    pick = rng.integers(0, n, n_sites)
    carriers = rng.choice(["Viettel", "VNPT", "MobiFone"], n_sites, p=[0.5, 0.3, 0.2])
    rows = [
        {"site_id": f"{c[:2].upper()}{k:04d}", "sector_id": f"{k}-{s}", "carrier": c,
         "technology": t, "freq_mhz": f, "height_m": 30.0 + k % 15,
         "geometry": Point(lon[i] + 0.01, lat[i] + 0.01)}
        for k, (i, c) in enumerate(zip(pick, carriers, strict=True))
        for s, (t, f) in enumerate([("4G", 1800), ("4G", 1800), ("2G", 900)])
    ]  # fmt: skip
    return villages, gpd.GeoDataFrame(rows, crs=4326), districts


def folium_marker_map(villages, sites):
    """The naive alternative: one folium CircleMarker (with its own popup) per village."""
    import folium

    m = folium.Map(prefer_canvas=True)
    for row in villages.itertuples():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=5, color="#222", fill=True,
            popup=folium.Popup(f"<b>{row.name}</b><br>{row.commune}<br>{row.reason}"),
            tooltip=row.name,
        ).add_to(m)  # fmt: skip
    for row in sites.drop_duplicates("site_id").itertuples():
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=3).add_to(m)
    return m


def run_chromium(
    html_path: Path, out: Path, *, size: str, budget_ms: int, actions: list | None = None
) -> dict:
    """Screenshot ``html_path`` (with the probe) and return what the console said."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="covgap-shot-") as tmp:
        page = html_path.read_text(encoding="utf-8")
        probed = Path(tmp) / "page.html"
        script = f"<script>window.__cgActions = {json.dumps(actions or [])};</script>\n"
        probed.write_text(page.replace("<head>", "<head>\n" + script + PROBE, 1), encoding="utf-8")
        # The page is shown in an iframe of exactly the size asked for: headless Chromium
        # keeps windows >= 500 px wide and loads the page in a viewport shorter than the
        # window (it grows to the window's size only for the screenshot), so the view the
        # map opens with would not be the one on the screenshot.
        width, height = (int(v) for v in size.split(","))
        window = f"{max(width, MIN_WINDOW_WIDTH)},{height + WINDOW_CHROME_PX}"
        target = Path(tmp) / "frame.html"
        target.write_text(
            '<!DOCTYPE html><html style="overflow:hidden"><body style="margin:0">'
            f'<iframe src="page.html" style="display:block;width:{width}px;'
            f'height:{height}px;border:0">'
            "</iframe></body></html>",
            encoding="utf-8",
        )
        cmd = [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--screenshot={out.resolve()}", f"--window-size={window}",
            f"--virtual-time-budget={budget_ms}", "--enable-logging=stderr", "--v=0",
            target.as_uri(),
        ]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        seconds = time.perf_counter() - t0
        if out.exists():  # keep the iframe: the size asked for
            from PIL import Image

            with Image.open(out) as image:
                image.crop((0, 0, width, height)).save(out)
    messages = [m.group(1) for m in map(CONSOLE.search, proc.stderr.splitlines()) if m]
    probe = next((json.loads(m[13:]) for m in messages if m.startswith("COVGAP_PROBE ")), None)
    errors = [m for m in messages if not m.startswith("COVGAP_PROBE ")]
    errors = [m for m in errors if "Uncaught" in m or "Error" in m]
    errors += [ln for ln in proc.stderr.splitlines() if "ERROR:CONSOLE" in ln]
    return {"returncode": proc.returncode, "seconds": seconds, "probe": probe,
            "js_errors": errors, "screenshot": out if out.exists() else None}  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("html", nargs="?", type=Path, help="a saved map; default: build one")
    p.add_argument("--out", type=Path, default=Path("covgap_map.png"))
    p.add_argument("--villages", type=int, default=1100)
    p.add_argument("--sites", type=int, default=700)
    p.add_argument("--lang", default="vi", choices=["vi", "en"])
    p.add_argument("--cdn", action="store_true", help="keep the CDN links (needs internet)")
    p.add_argument("--compare", action="store_true", help="also time one marker per village")
    p.add_argument("--window-size", default="1400,900")
    p.add_argument("--budget-ms", type=int, default=5000)
    p.add_argument("--view", help="LAT,LON,ZOOM to show before the screenshot")
    p.add_argument("--search", help="type this into the village search and pick the first hit")
    p.add_argument("--measure", help="LAT,LON;LAT,LON;... points to measure between")
    p.add_argument("--zone", action="store_true", help="open the first zone's popup")
    args = p.parse_args(argv)

    html_path = args.html
    if html_path is None:
        from covgap.outputs.maps import coverage_map, save_map

        villages, sites, districts = synthetic_inputs(args.villages, args.sites)
        t0 = time.perf_counter()
        m = coverage_map(villages, sites, districts=districts, lang=args.lang, info={
            "model": "benchmark (no propagation run)", "date": "2025-07-01", "synthetic": True,
            "data": "GeoNames/WOF village points, synthetic classes and sites"})  # fmt: skip
        build = time.perf_counter() - t0
        html_path = args.out.with_suffix(".html")
        t0 = time.perf_counter()
        save_map(m, html_path, inline_assets=not args.cdn)
        render = time.perf_counter() - t0
        print(f"covgap map: {len(villages)} villages, {sites['site_id'].nunique()} sites "
              f"({len(sites)} sectors); build {build:.2f} s, render+save {render:.2f} s, "
              f"{html_path.stat().st_size / 1e6:.2f} MB -> {html_path}")  # fmt: skip
        if args.compare:
            t0 = time.perf_counter()
            naive = folium_marker_map(villages, sites).get_root().render()
            print(f"one folium CircleMarker per village: build+render "
                  f"{time.perf_counter() - t0:.2f} s, {len(naive.encode()) / 1e6:.2f} MB "
                  "(CDN links, popups without the village facts)")  # fmt: skip
            naive_path = args.out.with_name(args.out.stem + "_markers.html")
            naive_path.write_text(naive, encoding="utf-8")
            if not args.cdn:
                from covgap.outputs.maps import _inline_leaflet, _leaflet_dir

                naive_path.write_text(_inline_leaflet(naive, _leaflet_dir(True)), "utf-8")
            shot = run_chromium(naive_path, args.out.with_name(args.out.stem + "_markers.png"),
                                size=args.window_size, budget_ms=args.budget_ms)  # fmt: skip
            print(f"  chromium: {shot['seconds']:.1f} s wall, probe {shot['probe']}")

    elif not args.cdn and 'leaflet.js"></script>' in html_path.read_text(encoding="utf-8"):
        # a saved page that links Leaflet from its CDN: test an inlined copy (offline here)
        from covgap.outputs.maps import _inline_leaflet, _leaflet_dir

        inlined = args.out.with_suffix(".html")
        page = html_path.read_text(encoding="utf-8")
        inlined.write_text(_inline_leaflet(page, _leaflet_dir(True)), encoding="utf-8")
        html_path = inlined

    actions = []
    if args.view:
        actions.append({"view": [float(v) for v in args.view.split(",")]})
    if args.search:
        actions.append({"search": args.search, "wait": 2000})
    if args.measure:
        points = [[float(v) for v in p.split(",")] for p in args.measure.split(";")]
        actions.append({"measure": points})
    if args.zone:
        actions.append({"zone": True, "wait": 1500})
    result = run_chromium(
        html_path, args.out, size=args.window_size, budget_ms=args.budget_ms, actions=actions
    )
    print(
        f"chromium: exit {result['returncode']}, {result['seconds']:.1f} s wall, "
        f"screenshot {result['screenshot']}"
    )
    print(f"probe: {result['probe']}")
    for err in result["js_errors"]:
        print(f"JS ERROR: {err}")
    ok = (
        result["returncode"] == 0
        and not result["js_errors"]
        and result["screenshot"]
        and result["probe"]
        and result["probe"]["leaflet"]
        and not result["probe"]["errors"]
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
