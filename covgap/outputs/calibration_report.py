"""What ``covgap calibrate`` writes: the calibrated scenario, the tables, the figures, a report.

:func:`write_calibration` writes, all or nothing (:func:`covgap.io.atomic.atomic_folder`):

- ``calibrated_scenario.toml``: the scenario with its ``[calibration]`` table (offsets per
  carrier × technology × band, σ, and what they were fitted to), which ``covgap run``,
  ``request``, ``predict`` and ``plan`` apply with ``--config``;
- ``calibration.csv``: one row per carrier × technology × band with ``n``, ``bias_db``
  (mean measured − predicted before calibration), ``sigma_db``, ``rmse_before_db``,
  ``rmse_after_db`` (held-out blocks), ``offset_db`` (the correction applied), whether it
  was fitted and why not, and the distance slope (a diagnostic);
- ``measurements_compared.csv``: every measurement with its prediction and errors;
- ``survey_check.csv`` and ``survey_confusion.csv`` (with a survey): each surveyed village,
  its predicted class before and after calibration against what was observed;
- ``field_check.csv``: every village's probability of 4G coverage, the villages to check
  in the field first;
- four figures (PNG) and ``calibration_report.html``, which shows them with the tables.

The figures: predicted against measured signal per carrier, the error histograms before
and after, the error against distance, and a map of the measurements coloured by error.
"""

from __future__ import annotations

import base64
import html
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..io.atomic import atomic_folder
from ..io.locale import check_lang, format_number
from ..io.safe_csv import write_csv as write_safe_csv

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..analysis.calibrate import CalibrationReport

__all__ = ["CALIBRATION_FILES", "calibrated_map", "calibration_figures", "write_calibration"]

#: Files :func:`write_calibration` writes, by role (the survey files only with a survey).
CALIBRATION_FILES: dict[str, str] = {
    "scenario": "calibrated_scenario.toml",
    "calibration_csv": "calibration.csv",
    "measurements_csv": "measurements_compared.csv",
    "survey_csv": "survey_check.csv",
    "confusion_csv": "survey_confusion.csv",
    "field_check_csv": "field_check.csv",
    "land_cover_csv": "calibration_by_land_cover.csv",
    "scatter_png": "calibration_scatter.png",
    "histogram_png": "calibration_errors.png",
    "distance_png": "calibration_distance.png",
    "map_png": "calibration_map.png",
    "report": "calibration_report.html",
    "coverage_map": "calibrated_coverage_map.html",
}
#: Error bins of the measurements layer (dB, measured − predicted after calibration) and
#: their colours: blue where the prediction is pessimistic, red where it is optimistic.
ERROR_BINS: tuple[tuple[float, float, str], ...] = (
    (-np.inf, -6.0, "#B2182B"),
    (-6.0, -2.0, "#EF8A62"),
    (-2.0, 2.0, "#F7F7F7"),
    (2.0, 6.0, "#67A9CF"),
    (6.0, np.inf, "#2166AC"),
)
#: At most this many measurements are drawn on the map (an even sample of them).
MAP_POINTS = 6000
#: Okabe–Ito colours of the carriers (as on the maps' site layers).
_CARRIER_COLOURS = {"Viettel": "#D55E00", "VNPT": "#0072B2", "MobiFone": "#009E73"}


def calibration_figures(report: CalibrationReport) -> dict[str, Figure]:
    """Draw the four figures of a calibration (keys: scatter, histogram, distance, map)."""
    from matplotlib.figure import Figure

    m = report.measurements.dropna(subset=["predicted_dbm"])
    figs: dict[str, Figure] = {}

    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    for carrier, g in m.groupby("carrier"):
        ax.scatter(g["predicted_dbm"], g["rsrp_dbm"], s=3, alpha=0.35,
                   color=_CARRIER_COLOURS.get(carrier, "#666666"), label=carrier)  # fmt: skip
    both = m[["predicted_dbm", "rsrp_dbm"]].to_numpy(float)
    lo, hi = float(both.min()), float(both.max())
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8)
    ax.set_xlabel("predicted (dBm)")
    ax.set_ylabel("measured (dBm)")
    ax.set_title("Measured against predicted signal, before calibration")
    ax.legend(markerscale=4, frameon=False)
    figs["scatter"] = fig

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    bins = np.arange(-30, 30.5, 1.0)
    ax.hist(m["error_db"].clip(-30, 30), bins=bins, alpha=0.55, color="#D55E00", label="before")
    after = m["error_after_db"].clip(-30, 30)
    ax.hist(after, bins=bins, alpha=0.55, color="#0072B2", label="after")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("measured − predicted (dB)")
    ax.set_ylabel("measurements")
    ax.set_title("Prediction errors before and after calibration")
    ax.legend(frameon=False)
    figs["histogram"] = fig

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    ax.scatter(m["dist_km"], m["error_after_db"], s=3, alpha=0.3, color="#555555")
    edges = np.quantile(m["dist_km"], np.linspace(0, 1, 11))
    mids, means = [], []
    for a, b in itertools.pairwise(edges):
        inside = (m["dist_km"] >= a) & (m["dist_km"] <= b)
        if inside.any():
            mids.append(float(m.loc[inside, "dist_km"].median()))
            means.append(float(m.loc[inside, "error_after_db"].mean()))
    ax.plot(mids, means, color="#D55E00", marker="o", label="mean per distance decile")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("distance to the predicted server (km)")
    ax.set_ylabel("error after calibration (dB)")
    ax.set_title("Error against distance")
    ax.legend(frameon=False)
    figs["distance"] = fig

    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    colour = m["error_after_db"].clip(-15, 15)
    points = ax.scatter(m["lon"], m["lat"], c=colour, s=4, cmap="RdBu_r", vmin=-15, vmax=15)
    fig.colorbar(points, ax=ax, label="measured − predicted after calibration (dB)")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_aspect(1 / np.cos(np.radians(float(m["lat"].mean()))))
    ax.set_title("Measurements coloured by their error")
    figs["map"] = fig
    for f in figs.values():
        f.tight_layout()
    return figs


def measurement_layers(measurements: pd.DataFrame, *, lang: str = "vi") -> list[Any]:
    """Map layers of the measurements, one per error bin, off at opening.

    Parameters
    ----------
    measurements
        :attr:`CalibrationReport.measurements` (``lon``, ``lat``, ``carrier``,
        ``rsrp_dbm``, ``predicted_dbm``, ``error_after_db``).
    lang
        ``"vi"`` or ``"en"``.

    Returns
    -------
    list
        Layers for :func:`covgap.outputs.maps.coverage_map`'s ``extra_layers``.
    """
    from .map_elements import _esc, _layer
    from .maps import _point_collection

    m = measurements.dropna(subset=["error_after_db"])
    if len(m) > MAP_POINTS:
        m = m.iloc[np.linspace(0, len(m) - 1, MAP_POINTS).astype(int)]
    layers = []
    for lo, hi, colour in ERROR_BINS:
        part = m[(m["error_after_db"] >= lo) & (m["error_after_db"] < hi)]
        if part.empty:
            continue
        lo_t = "" if np.isinf(lo) else format_number(lo, 0, lang)
        hi_t = "" if np.isinf(hi) else format_number(hi, 0, lang)
        span = f"< {hi_t}" if not lo_t else (f"≥ {lo_t}" if not hi_t else f"{lo_t} … {hi_t}")
        word = "Đo − dự báo" if lang == "vi" else "Measured − predicted"
        props = [
            {
                "t": _esc(f"{c}: {format_number(r, 1, lang)} dBm"),
                "v": [_esc(format_number(e, 1, lang))],
            }
            for c, r, e in zip(
                part["carrier"], part["rsrp_dbm"], part["error_after_db"], strict=True
            )
        ]
        coords = np.column_stack([part["lon"].to_numpy(float), part["lat"].to_numpy(float)])
        layers.append(
            _layer(
                _point_collection(coords, props),
                name=_esc(f"{word} {span} dB ({format_number(len(part), 0, lang)})"),
                kind="villages",
                options={
                    "style": {
                        "radius": 3,
                        "color": "#333333",
                        "weight": 0.5,
                        "fillColor": colour,
                        "fillOpacity": 0.9,
                    },
                    "cluster": False,
                    "communeRow": -1,
                },
                rows=[_esc(f"{word} (dB)")],
                show=False,
            )
        )
    return layers


def calibrated_map(report: CalibrationReport, *, lang: str = "vi") -> Any:
    """Draw the calibrated analysis' coverage map with the measurements (off at opening)."""
    from .maps import result_map

    return result_map(
        report.after, lang=lang, extra_layers=measurement_layers(report.measurements, lang=lang)
    )


def write_calibration(
    report: CalibrationReport, out_dir: str | Path, *, lang: str = "en"
) -> dict[str, Path]:
    """Write the calibrated scenario, the tables, the figures and the HTML report.

    Parameters
    ----------
    report
        :func:`covgap.analysis.calibrate.calibrate`.
    out_dir
        Folder (created if needed).
    lang
        ``"vi"`` or ``"en"``: number format of the report's tables.

    Returns
    -------
    dict
        Role -> path of each file written (keys of :data:`CALIBRATION_FILES`).
    """
    from .maps import save_map
    from .static_maps import save_static_map

    check_lang(lang)
    out = Path(out_dir)
    files = dict(CALIBRATION_FILES)
    if report.survey is None:
        files.pop("survey_csv")
        files.pop("confusion_csv")
    if report.by_land_cover.empty:
        files.pop("land_cover_csv")
    figs = calibration_figures(report)
    with atomic_folder(out) as tmp:
        (tmp / files["scenario"]).write_text(_scenario_toml(report), encoding="utf-8")
        write_safe_csv(report.fit, tmp / files["calibration_csv"])
        keep = [c for c in report.measurements.columns if c != "geometry"]
        write_safe_csv(report.measurements[keep], tmp / files["measurements_csv"])
        if report.survey is not None:
            write_safe_csv(report.survey, tmp / files["survey_csv"])
            write_safe_csv(_confusions(report), tmp / files["confusion_csv"])
        write_safe_csv(report.field_check, tmp / files["field_check_csv"])
        if "land_cover_csv" in files:
            write_safe_csv(report.by_land_cover, tmp / files["land_cover_csv"])
        for key, fig in figs.items():
            save_static_map(fig, tmp / files[f"{key}_png"], dpi=110)
        (tmp / files["report"]).write_text(_report_html(report, tmp, files, lang), encoding="utf-8")
        save_map(calibrated_map(report, lang=lang), tmp / files["coverage_map"], inline_assets=True)
    return {role: out / name for role, name in files.items()}


def _scenario_toml(report: CalibrationReport) -> str:
    head = [
        "# written by `covgap calibrate`: the scenario with the corrections fitted to",
        f"# {report.calibration.source}",
        "# apply with: covgap run --config calibrated_scenario.toml",
    ]
    return "\n".join(head) + "\n" + report.scenario.to_toml()


def _confusions(report: CalibrationReport) -> pd.DataFrame:
    rows = []
    for when, (matrix, agree, kappa) in (
        ("before", report.confusion_before),
        ("after", report.confusion_after),
    ):
        for predicted, counts in matrix.iterrows():
            rows.append({"calibration": when, "predicted": predicted, **counts.to_dict(),
                         "agreement": agree, "kappa": kappa})  # fmt: skip
    return pd.DataFrame(rows)


def _table_html(frame: pd.DataFrame, lang: str, decimals: int = 2) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else format_number(float(v), decimals, lang)
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _report_html(report: CalibrationReport, folder: Path, files: dict[str, str], lang: str) -> str:
    def img(role: str) -> str:
        data = base64.b64encode((folder / files[role]).read_bytes()).decode("ascii")
        return f'<img alt="{role}" src="data:image/png;base64,{data}">'

    fit_cols = ["carrier", "technology", "freq_mhz", "n", "blocks", "bias_db", "sigma_db",
                "rmse_before_db", "rmse_after_db", "offset_db", "fitted", "note"]  # fmt: skip
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        "<title>covgap calibration report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;"
        "font-size:13px;text-align:right}th{background:#eee}img{max-width:100%;margin:.5em 0}"
        "</style>",
        "<h1>Calibration of the prediction against measurements</h1>",
        f"<p>{html.escape(report.calibration.source)}.</p>",
    ]
    if report.scenario.synthetic:
        parts.append("<p><b>SYNTHETIC sample data: not real measurements.</b></p>")
    parts += [
        "<h2>Bias and offsets per carrier, technology and band</h2>",
        _table_html(report.fit[[c for c in fit_cols if c in report.fit]], lang),
        f"<p>σ after calibration: {format_number(report.calibration.sigma_db, 2, lang)} dB. "
        "RMSE after is measured on held-out blocks (each block corrected by offsets fitted "
        "without it).</p>",
        img("scatter_png"),
        img("histogram_png"),
    ]
    if not report.by_land_cover.empty:
        parts += [
            "<h2>Error after calibration by land-cover class</h2>",
            _table_html(report.by_land_cover, lang),
            "<p>A class whose mean error is far from 0 dB has the wrong clutter height in "
            "the <code>[clutter]</code> table.</p>",
        ]
    parts += [
        img("distance_png"),
        img("map_png"),
    ]
    if report.survey is not None:
        for when, (matrix, agree, kappa) in (
            ("before", report.confusion_before),
            ("after", report.confusion_after),
        ):
            parts += [
                f"<h2>Survey: predicted (rows) against observed classes, {when} calibration</h2>",
                _table_html(matrix.reset_index(), lang, 0),
                f"<p>Agreement {format_number(100 * agree, 1, lang)} %, Cohen's κ "
                f"{format_number(kappa, 2, lang)}.</p>",
            ]
        wrong = report.survey[~report.survey["agrees"]]
        cols = ["village_id", "name", "commune", "observed", "predicted_after",
                "rsrp_after_dbm", "reason"]  # fmt: skip
        parts += ["<h2>Villages where prediction and survey disagree</h2>",
                  _table_html(wrong[[c for c in cols if c in wrong]], lang, 1)]  # fmt: skip
    check = report.field_check[report.field_check["field_check"]]
    cols = [
        "village_id",
        "name",
        "commune",
        "population",
        "coverage_class",
        "rsrp_dbm",
        "p_covered",
    ]
    parts += [
        f"<h2>Field check: {len(check)} villages whose class changes within ±1σ</h2>",
        _table_html(check[[c for c in cols if c in check]].head(100), lang),
        "</html>",
    ]
    return "\n".join(parts)
