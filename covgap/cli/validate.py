"""``covgap validate``: check input files and report every problem."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._common import EXISTING as _EXISTING
from ._common import handle_errors


@click.command()
@click.argument("files", nargs=-1, required=True, type=_EXISTING)
@click.option(
    "--kind",
    type=click.Choice(["villages", "sites", "dem", "landcover"]),
    help="What the files hold (default: recognised from their contents; a land cover must "
    "be named, and is checked against --dem: CRS, coverage of the study area, classes the "
    "[clutter] table does not know).",
)
@click.option("--crs", help="CRS of x/y columns, e.g. EPSG:9205.")
@click.option(
    "--sheet",
    "--layer",
    "layer",
    help="Sheet of a workbook (layer of a geodata file) to check; default: every sheet "
    "that holds a table.",
)
@click.option(
    "--dem", type=_EXISTING, multiple=True, help="Also check that every point lies on this DEM."
)
@handle_errors
def validate(
    files: tuple[Path, ...],
    kind: str | None,
    crs: str | None,
    layer: str | None,
    dem: tuple[Path, ...],
) -> None:
    """Check village, site and DEM files and report every problem found.

    For each table it says what was read: rows, sheets, columns used and not used, rows
    skipped and the CRS of the positions. Exits with status 1 when any file has errors
    (warnings alone pass).
    """
    from ..io.readers import read_dem
    from ..io.validate import check_file

    terrain = read_dem(list(dem)) if dem else None
    if kind == "landcover":
        _validate_land_cover(files, terrain)
        return
    n_errors = n_warnings = 0
    for path in files:
        found = check_file(path, kind=kind, crs=crs, terrain=terrain, layer=layer)
        found_kind, problems = found.kind, found.problems
        errors = sum(p.severity == "error" for p in problems)
        n_errors += errors
        n_warnings += len(problems) - errors
        status = "OK" if not errors else f"{errors} error(s)"
        click.echo(f"{path} [{found_kind}]: {status}")
        for line in found.summary.lines() if found.summary is not None else ():
            click.echo(f"  {line}")
        for problem in problems:
            click.echo(f"  {problem}")
    click.echo(f"{len(files)} file(s): {n_errors} error(s), {n_warnings} warning(s)")
    if n_errors:
        sys.exit(1)


def _validate_land_cover(files: tuple[Path, ...], terrain: object) -> None:
    """Check land-cover rasters for the study area of ``--dem``; exit 1 on a problem."""
    from ..io.landcover import land_cover_problems

    if terrain is None:
        raise click.UsageError("--kind landcover needs --dem: the study area to check it for")
    problems = land_cover_problems(list(files), terrain)
    for path in files:
        click.echo(f"{path} [landcover]: {'OK' if not problems else 'problems'}")
    for message in problems:
        click.echo(f"  {message}")
    click.echo(f"{len(files)} file(s): {len(problems)} problem(s)")
    if problems:
        sys.exit(1)
