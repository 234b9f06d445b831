"""``covgap calibrate``: check the prediction against measurements and fit corrections."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import EXISTING as _EXISTING
from ._common import PATH as _PATH
from ._common import (
    check_out_dir,
    handle_errors,
    input_options,
    progress_default,
    progress_option,
    scenario_from_options,
)


@click.command("calibrate")
@click.option(
    "--measurements",
    "measurements",
    type=_EXISTING,
    multiple=True,
    required=True,
    help="Drive-test / scanner / MDT export (CSV, XLSX, GPKG); repeat for several files. "
    "Columns: position, RSRP (or RSCP/RxLev), operator; technology, EARFCN, PCI, time "
    "when known (TEMS, Nemo and G-NetTrack headers are recognised).",
)
@click.option(
    "--survey",
    type=_EXISTING,
    default=None,
    help="Field survey of villages (CSV, XLSX): Mã thôn (or Tên thôn + Xã), Tình trạng "
    "sóng (có sóng / sóng yếu / không có sóng), optionally Nhà mạng and Ngày.",
)
@input_options
@click.option(
    "--block-km",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="Block size of the spatial cross-validation.",
)
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    default=Path("calibration"),
    show_default=True,
    help="Folder for the calibrated scenario, the tables and the report.",
)
@progress_option
@handle_errors
def calibrate_command(
    measurements: tuple[Path, ...],
    survey: Path | None,
    villages: Path | None,
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    block_km: float,
    out_dir: Path,
    progress: bool | None,
) -> None:
    """Compare the prediction with what phones measured, fit offsets, check the classes.

    For every measurement, the prediction of the best server of the same carrier and
    technology at that point; per carrier, technology and band the bias, spread and
    RMSE; a robust offset per group, validated on held-out spatial blocks (a group with
    too few measurements is not fitted, and the table says why). With --survey, the
    villages' predicted classes against the observed ones (confusion matrix, agreement,
    Cohen's kappa) before and after. Writes calibrated_scenario.toml (apply it with
    `covgap run --config`), calibration.csv, the field-check list of villages whose
    class changes within ±1σ, figures and calibration_report.html. With no input
    options it calibrates the bundled synthetic sample.
    """
    from ..analysis.calibrate import calibrate
    from ..io.manifest import MANIFEST_NAME, run_folder
    from ..outputs.calibration_report import write_calibration

    scenario = scenario_from_options(villages, sites, dem, admin, crs, config_file)
    check_out_dir(out_dir)
    report = calibrate(
        scenario,
        list(measurements),
        survey=survey,
        block_km=block_km,
        progress=progress_default() if progress is None else progress,
    )
    with run_folder(out_dir, command="covgap calibrate", extra={"scenario": scenario.name}) as tmp:
        written = write_calibration(report, tmp)
    paths = {role: out_dir / path.name for role, path in written.items()}
    paths["manifest"] = out_dir / MANIFEST_NAME
    note = " (SYNTHETIC sample)" if scenario.synthetic else ""
    click.echo(f"calibrated on {report.calibration.source}{note}")
    cols = ["carrier", "technology", "freq_mhz", "n", "bias_db", "offset_db", "rmse_before_db",
            "rmse_after_db", "note"]  # fmt: skip
    click.echo(report.fit[cols].round(2).to_string(index=False))
    if report.confusion_after is not None:
        for when, (_, agree, kappa) in (
            ("before", report.confusion_before),
            ("after", report.confusion_after),
        ):
            click.echo(f"survey {when} calibration: {agree:.1%} agree, kappa {kappa:.2f}")
    n_check = int(report.field_check["field_check"].sum())
    click.echo(f"{n_check} villages to check in the field (class changes within ±1σ)")
    for role, path in paths.items():
        click.echo(f"  {role:18s} {path}")
