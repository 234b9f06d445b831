"""One call that checks a scenario against measurements: :func:`calibrate`.

It reads the drive tests and the survey, predicts every measurement, fits the offsets
(:mod:`covgap.analysis.calibration`), runs the analysis with and without them, compares
both with the survey and lists the villages to check in the field; the outputs stage
writes the result (:func:`covgap.outputs.calibration_report.write_calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Calibration, Scenario
from ..errors import InputError
from .calibration import (
    apply_calibration,
    calibrated_radio,
    calibration_of,
    confusion,
    error_by_land_cover,
    error_stats,
    field_check,
    fit_land_cover,
    fit_offsets,
    land_cover_at,
    predict_measurements,
    residual_after,
)
from .result import Result

__all__ = ["CalibrationReport", "calibrate", "field_check_of"]


@dataclass
class CalibrationReport:
    """Everything :func:`calibrate` found: errors, offsets, classes against the survey.

    Attributes
    ----------
    measurements
        Every measurement with its prediction, ``error_db`` (before) and
        ``error_after_db`` (with the calibrated offsets), and ``file``.
    stats
        :func:`error_stats` before calibration.
    fit
        :func:`fit_offsets` (bias, offset, σ, held-out RMSE before and after).
    calibration
        The :class:`~covgap.config.Calibration` to apply.
    scenario
        The scenario with the calibration in it (``calibrated_scenario.toml``).
    before, after
        The analysis without and with the calibration.
    survey
        The survey joined to the predicted classes (``predicted_before``,
        ``predicted_after``, ``observed``, ``reason``), or ``None``.
    confusion_before, confusion_after
        :func:`confusion` of the survey (matrix, agreement, kappa), or ``None``.
    field_check
        :func:`field_check` of the calibrated analysis.
    by_land_cover
        :func:`error_by_land_cover` after calibration (empty without a land cover).
    """

    measurements: pd.DataFrame
    stats: pd.DataFrame
    fit: pd.DataFrame
    calibration: Calibration
    scenario: Scenario
    before: Result
    after: Result
    survey: pd.DataFrame | None = None
    confusion_before: tuple[pd.DataFrame, float, float] | None = None
    confusion_after: tuple[pd.DataFrame, float, float] | None = None
    field_check: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_land_cover: pd.DataFrame = field(default_factory=pd.DataFrame)


def calibrate(
    scenario: Scenario,
    measurements: list[str | Path],
    *,
    survey: str | Path | None = None,
    block_km: float = 5.0,
    progress: bool = False,
) -> CalibrationReport:
    """Compare the prediction with measurements, fit offsets, check classes against a survey.

    Parameters
    ----------
    scenario
        The analysis to calibrate (its villages, sites, DEM, model and thresholds).
    measurements
        Drive-test files (:func:`covgap.io.measurements.read_measurements`).
    survey
        A field survey of villages (:func:`covgap.io.measurements.read_survey`).
    block_km
        Block size of the spatial cross-validation.
    progress
        Show progress bars.

    Returns
    -------
    CalibrationReport
    """
    from ..io.measurements import read_measurements, read_survey
    from .inputs import load_inputs
    from .result import analyse

    if not measurements:
        raise InputError("calibrate: give at least one measurement file")
    inputs = load_inputs(scenario)
    frames = []
    for path in measurements:
        table = read_measurements(path)
        table["file"] = Path(path).name
        frames.append(table)
    points = pd.concat(frames, ignore_index=True)
    radio = scenario.radio
    table = predict_measurements(
        points, inputs.sites, inputs.terrain, radio=radio, progress=progress,
        clutter=inputs.clutter,
    )  # fmt: skip
    stats = error_stats(table)
    fit = fit_offsets(table, block_km=block_km)
    files = ", ".join(Path(p).name for p in measurements)
    times = table["time"].dropna().astype(str) if "time" in table else pd.Series(dtype=str)
    span = f", {times.min()} to {times.max()}" if len(times) else ""
    fitted = fit[fit["fitted"]]
    source = (
        f"{len(table)} measurements ({files}{span}); held-out RMSE "
        f"{_weighted(fitted, 'rmse_before_db'):.1f} -> {_weighted(fitted, 'rmse_after_db'):.1f} dB"
        if len(fitted)
        else f"{len(table)} measurements ({files}{span}); no group could be fitted"
    )
    land_cover = None
    if inputs.clutter is not None:
        table["land_cover"] = land_cover_at(table, inputs.terrain, inputs.clutter)
        land_cover = fit_land_cover(table, residual_after(table, fit), block_km=block_km)
    calibration = calibration_of(fit, source=source, land_cover=land_cover)
    corrected = apply_calibration(
        table.rename(columns={"predicted_dbm": "signal_dbm"}), calibration,
        land_cover=table["land_cover"].to_numpy() if land_cover is not None else None,
    )["signal_dbm"]  # fmt: skip
    table["error_after_db"] = table["rsrp_dbm"] - corrected.to_numpy(float)
    if calibration.offsets:  # the spread that is left after every correction
        left = table.loc[table["predicted_dbm"].notna(), "error_after_db"]
        calibration = replace(calibration, sigma_db=round(float(left.std(ddof=1)), 2))
    calibrated = replace(scenario, calibration=calibration)
    before = analyse(inputs, scenario, progress=progress)
    after = analyse(inputs, calibrated, progress=progress)
    report = CalibrationReport(table, stats, fit, calibration, calibrated, before, after)
    report.by_land_cover = error_by_land_cover(table)
    if land_cover is not None and len(report.by_land_cover):
        report.by_land_cover = report.by_land_cover.merge(
            land_cover[["land_cover", "correction_db", "fitted", "note"]],
            on="land_cover",
            how="left",
        )
    if survey is not None:
        observed = read_survey(survey)
        report.survey = _join_survey(observed, before.villages, after.villages, str(survey))
        seen = report.survey["observed"]
        report.confusion_before = confusion(report.survey["predicted_before"], seen)
        report.confusion_after = confusion(report.survey["predicted_after"], seen)
    sigma = calibration.sigma_db or calibrated_radio(radio, calibration).shadow_sigma_db
    report.field_check = field_check(
        after.villages, sigma_db=sigma, thresholds=scenario.thresholds,
        radio=calibrated_radio(radio, calibration),
    )  # fmt: skip
    return report


def _weighted(fit: pd.DataFrame, column: str) -> float:
    w = fit["n"].to_numpy(float)
    return float(np.sqrt(np.sum(w * fit[column].to_numpy(float) ** 2) / np.sum(w)))


def _join_survey(
    observed: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, file: str
) -> pd.DataFrame:
    """Join the survey to each village's predicted class before and after calibration."""
    from ..errors import Problem, ValidationError
    from ..schema import carrier_slug

    key = "village_id" if "village_id" in observed else None
    table = pd.DataFrame(before.drop(columns="geometry", errors="ignore"))
    if key is None:
        index = {
            (str(n), str(c)): v
            for n, c, v in zip(table["name"], table["commune"], table["village_id"], strict=True)
        }
        pairs = zip(observed["name"], observed["commune"], strict=True)
        ids = [index.get((str(n), str(c))) for n, c in pairs]
    else:
        ids = observed["village_id"].astype(str).tolist()
    known = set(table["village_id"].astype(str))
    missing = [
        (row, vid) for row, vid in zip(observed["row"], ids, strict=True) if vid not in known
    ]
    if missing:
        problems = [Problem(file, f"village {v!r} is not in the village table", row=int(r),
                            hint="check the village id (Mã thôn), or the name and commune")
                    for r, v in missing]  # fmt: skip
        raise ValidationError(problems)
    out = observed.copy()
    out["village_id"] = ids
    b = before.set_index(before["village_id"].astype(str))
    a = after.set_index(after["village_id"].astype(str))

    def predicted(frame: pd.DataFrame, carrier: object) -> list[object]:
        cols = [
            f"class_{carrier_slug(c)}" if isinstance(c, str) else "coverage_class" for c in carrier
        ]
        return [frame.at[v, col] for v, col in zip(ids, cols, strict=True)]

    out["predicted_before"] = predicted(b, out["carrier"])
    out["predicted_after"] = predicted(a, out["carrier"])
    out["rsrp_before_dbm"] = [b.at[v, "rsrp_dbm"] for v in ids]
    out["rsrp_after_dbm"] = [a.at[v, "rsrp_dbm"] for v in ids]
    out["reason"] = [a.at[v, "reason"] if "reason" in a else "" for v in ids]
    out["agrees"] = out["predicted_after"] == out["observed"]
    return out


def field_check_of(result: Result) -> pd.DataFrame | None:
    """List the villages to check in the field when the scenario is calibrated (else None).

    With a calibrated spread (``[calibration] sigma_db``, :mod:`covgap.analysis.calibration`)
    every village gets its probability of 4G coverage, and those whose class changes
    within ±1σ come first, most people first (:func:`covgap.analysis.calibration.field_check`).
    """
    calibration = result.scenario.calibration
    if calibration.sigma_db is None:
        return None
    radio = calibrated_radio(result.scenario.radio, calibration)
    return field_check(
        result.villages, sigma_db=calibration.sigma_db, thresholds=result.scenario.thresholds,
        radio=radio,
    )  # fmt: skip
