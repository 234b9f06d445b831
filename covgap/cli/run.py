"""``covgap run``: the whole analysis, map and tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

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
    "--out",
    "out_dir",
    type=_PATH,
    default=Path("maps"),
    show_default=True,
    help="Folder for the map and tables.",
)
@lang_option()
@progress_option
@click.option(
    "--area/--no-area",
    default=False,
    show_default=True,
    help="Also predict every cell around every site: best-server RSRP rasters (COG) and "
    "white/low-signal zones (GeoPackage), on the map too.",
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print the scenario that would run (all defaults included) and exit.",
)
@handle_errors
def run(
    villages: Path | None,
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    out_dir: Path,
    lang: str,
    progress: bool | None,
    area: bool,
    print_config: bool,
) -> None:
    """Classify every village as covered, low-signal or white, and write map and tables.

    With no input options it analyses the bundled synthetic sample of Lai Châu. With
    --villages, --sites and --dem it analyses your data (lon/lat in WGS 84, or x/y in
    the CRS given by --crs). Invalid input is refused with a report of every problem,
    and nothing is written.
    """
    from ..outputs import write_outputs
    from ..pipeline import run as run_pipeline

    scenario = scenario_from_options(villages, sites, dem, admin, crs, config_file)
    if print_config:
        click.echo(scenario.to_toml(), nl=False)
        return
    check_out_dir(out_dir)
    result = run_pipeline(
        scenario, progress=progress_default() if progress is None else progress, area=area
    )
    command = "covgap run --area" if area else "covgap run"
    paths = write_outputs(result, out_dir, lang=lang, command=command)
    _echo_summary(result)
    for role, path in paths.items():
        click.echo(f"  {role:14s} {path}")


def _echo_summary(result: Any) -> None:
    counts = result.villages["coverage_class"].value_counts()
    total = len(result.villages)
    parts = [
        f"{counts.get(c, 0)} {c.replace('_', '-')}" for c in ("covered", "low_signal", "white")
    ]
    note = " (synthetic sample)" if result.scenario.synthetic else ""
    click.echo(
        f"{total} villages{note}: "
        + ", ".join(parts)
        + f" [4G, {sum(result.timings.values()):.0f} s]"
    )
    cols = ["district", "villages", "villages_covered", "villages_low_signal", "villages_white"]
    click.echo(result.summary[cols].to_string(index=False))
