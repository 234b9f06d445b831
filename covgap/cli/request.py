"""``covgap request``: the dossier for public-utility telecom stations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ._common import EXISTING as _EXISTING
from ._common import PATH as _PATH
from ._common import (
    check_out_dir,
    handle_errors,
    input_options,
    lang_option,
    progress_default,
    progress_option,
    scenario_from_options,
)


@click.command()
@input_options
@click.option(
    "--crosswalk",
    type=_EXISTING,
    help="CSV: pre-2025 commune -> 07/2025 unit. Default: the synthetic sample's own, "
    "or the Lai Châu table shipped with covgap (data/reform/).",
)
@lang_option("Language of the workbook, CSV headers, KML and map.")
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    default=Path("dossier"),
    show_default=True,
    help="Folder for the workbook and the other files.",
)
@click.option("--map/--no-map", "with_map", default=True, help="Also draw the printable map.")
@click.option(
    "--agency",
    default=None,
    help="Sending agency printed at the top left of the appendix, superior first, levels "
    "separated by '/' (e.g. 'UBND TỈNH LAI CHÂU / SỞ KHOA HỌC VÀ CÔNG NGHỆ'). Default: blank.",
)
@click.option(
    "--letter-number",
    default=None,
    help="Number of the letter (công văn) the appendix is attached to, e.g. '125/SKHCN-BCVT'. "
    "Default: dots to fill in by hand.",
)
@click.option(
    "--letter-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of that letter (YYYY-MM-DD). Default: dots to fill in by hand.",
)
@progress_option
@handle_errors
def request(
    villages: Path | None,
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    crosswalk: Path | None,
    lang: str,
    out_dir: Path,
    with_map: bool,
    agency: str | None,
    letter_number: str | None,
    letter_date: object | None,
    progress: bool | None,
) -> None:
    """List white and low-signal villages with grid power, ranked, for the Ministry.

    Writes the Excel workbook (the appendix to print with the letter, a cover sheet with
    the scenario's parameters, ranked request list, unpowered list, 2G/3G switch-off
    impact, summaries by commune and former district), the same lists as CSV, GeoPackage
    and KML, and a printable map. With no input options it uses the bundled synthetic sample.
    """
    from ..analysis.calibrate import field_check_of
    from ..io.manifest import MANIFEST_NAME, run_folder
    from ..io.reform import REAL_CROSSWALK, read_crosswalk
    from ..io.safe_csv import write_csv
    from ..outputs.business import list_lines
    from ..outputs.run_files import FIELD_CHECK_FILE
    from ..pipeline import run as run_pipeline
    from ..request.appendix import Letter
    from ..request.business import write_dossier_business
    from ..request.dossier import build_dossier
    from ..request.export import write_dossier

    check_out_dir(out_dir)
    scenario = scenario_from_options(villages, sites, dem, admin, crs, config_file)
    result = run_pipeline(scenario, progress=progress_default() if progress is None else progress)
    table = None
    crosswalk = crosswalk or scenario.crosswalk
    if crosswalk is not None:
        table = read_crosswalk(crosswalk)
    elif not scenario.synthetic and REAL_CROSSWALK.exists():
        table = read_crosswalk(REAL_CROSSWALK)
    road_km = _road_km(scenario, result)
    dossier = build_dossier(result, crosswalk=table, road_km=road_km)
    letter = Letter(
        agency=agency,
        number=letter_number,
        date=letter_date.date() if letter_date is not None else None,
    )
    with run_folder(out_dir, command="covgap request", extra={"scenario": scenario.name}) as tmp:
        written = write_dossier(
            dossier, tmp, lang=lang, result=result if with_map else None, letter=letter
        )
        business, lists = write_dossier_business(
            dossier, tmp, costs=scenario.costs, economics=scenario.economics,
            road_km=road_km, lang=lang,
        )  # fmt: skip
        check = field_check_of(result)
        if check is not None:  # a calibrated scenario: where to send survey teams
            write_csv(check, tmp / FIELD_CHECK_FILE)
            business["field_check"] = tmp / FIELD_CHECK_FILE
    # the files were written in the temporary folder: name them where they are now
    paths = {role: out_dir / path.name for role, path in (written | business).items()}
    paths["manifest"] = out_dir / MANIFEST_NAME
    _echo_summary(dossier)
    for line in list_lines(lists, usd_vnd=scenario.economics.usd_vnd, unit="villages", lang="en"):
        click.echo(line)
    for role, path in paths.items():
        click.echo(f"  {role:26s} {path}")


def _road_km(scenario: Any, result: Any) -> Any:
    """Each village's distance to a road (for off-grid power), when the scenario has roads."""
    if scenario.roads is None:
        return None
    import pandas as pd

    from ..plan.roads import read_roads, snap_to_roads

    snapped = snap_to_roads(result.villages, read_roads(scenario.roads))
    return pd.Series(snapped["dist_km"].to_numpy(), index=result.villages["village_id"])


def _echo_summary(dossier: object) -> None:
    request, unpowered = dossier.request, dossier.unpowered
    note = " (SYNTHETIC sample)" if dossier.info.get("synthetic") else ""
    households = request["households"].sum() if "households" in request else 0
    click.echo(
        f"{len(request)} villages to request{note} (white or low-signal 4G, grid power; "
        f"{households:,.0f} households); {len(unpowered)} more without grid power"
    )
    sunset = dossier.sunset[dossier.sunset["carrier"] == "any"]
    click.echo(
        f"{(sunset['sunset'] == '2g_only').sum()} villages lose all service at the 2G "
        f"switch-off (09/2026), {(sunset['sunset'] == '2g_3g_only').sum()} at the 3G one "
        "(09/2028)"
    )
    cols = ["rank", "village_id", "name", "commune_2025", "coverage_class", "solution"]
    top = request[[c for c in cols if c in request]].head(5)
    if len(top):
        click.echo(top.to_string(index=False))
