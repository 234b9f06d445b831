"""The ``covgap`` command: thin wrappers around the library (see ``covgap --help``).

Each command turns options into one library call, writes the outputs and turns a
:class:`~covgap.errors.CovgapError` into a clean message and a non-zero exit status.
Heavy imports happen inside the commands so that ``covgap --help`` is instant.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import CovgapError, ValidationError

logger = logging.getLogger(__name__)

_PATH = click.Path(path_type=Path)
_EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


def _handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn covgap errors into click errors (exit status 1) with the full report."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            _echo_problems(exc.problems)
            raise click.ClickException(
                "the input is not valid; nothing was written. Fix the errors above "
                "(`covgap validate FILE...` re-checks a file)."
            ) from exc
        except CovgapError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _echo_problems(problems: list[Any]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _progress_default() -> bool:
    """Progress bars on an interactive terminal only, never in pipes or CI logs."""
    return sys.stderr.isatty()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="covgap")
@click.option("-v", "--verbose", count=True, help="More messages (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Only errors.")
def main(verbose: int, quiet: int) -> None:
    """Find villages in white and low-signal mobile coverage zones over terrain.

    Start with `covgap run`, which analyses the bundled synthetic Lai Châu sample and
    writes an interactive map and tables to ./maps.
    """
    level = logging.WARNING - 10 * verbose + 10 * quiet
    logging.basicConfig(
        level=max(logging.DEBUG, min(level, logging.CRITICAL)),
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option(
    "--villages",
    type=_EXISTING,
    help="Village table (CSV, XLSX, GeoJSON, GPKG, SHP, zipped SHP, KML).",
)
@click.option("--sites", type=_EXISTING, help="BTS site table, one row per sector.")
@click.option(
    "--dem",
    type=_EXISTING,
    multiple=True,
    help="DEM file (GeoTIFF, SRTM .hgt/.hgt.zip); repeat for several tiles.",
)
@click.option(
    "--admin", type=_EXISTING, help="GeoPackage with 'districts' (and 'communes') polygon layers."
)
@click.option(
    "--crs",
    help="CRS of x/y columns in the tables, e.g. EPSG:9205 (VN-2000 TM-3 "
    "103-00, Lai Châu). Not needed for lon/lat.",
)
@click.option(
    "--config",
    "config_file",
    type=_EXISTING,
    help="Scenario TOML (inputs, thresholds, radio); options given here win.",
)
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    default=Path("maps"),
    show_default=True,
    help="Folder for the map and tables.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of the map's labels.",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bars (default: on a terminal only)."
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print the scenario that would run (all defaults included) and exit.",
)
@_handle_errors
def run(
    villages: Path | None,
    sites: Path | None,
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    out_dir: Path,
    lang: str,
    progress: bool | None,
    print_config: bool,
) -> None:
    """Classify every village as covered, low-signal or white, and write map and tables.

    With no input options it analyses the bundled synthetic sample of Lai Châu. With
    --villages, --sites and --dem it analyses your data (lon/lat in WGS 84, or x/y in
    the CRS given by --crs). Invalid input is refused with a report of every problem,
    and nothing is written.
    """
    from .config import Scenario, load_scenario
    from .pipeline import run as run_pipeline

    given = villages or sites or dem or config_file
    if given:
        base = Scenario()
    else:
        from .sample import sample_scenario

        base = sample_scenario()
    scenario = load_scenario(config_file, base=base).with_inputs(
        villages=villages, sites=sites, dem=dem or None, admin=admin, crs=crs
    )
    if print_config:
        click.echo(scenario.to_toml(), nl=False)
        return
    result = run_pipeline(scenario, progress=_progress_default() if progress is None else progress)
    paths = result.write(out_dir, lang=lang)
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=_EXISTING)
@click.option(
    "--kind",
    type=click.Choice(["villages", "sites", "dem"]),
    help="What the files hold (default: recognised from their contents).",
)
@click.option("--crs", help="CRS of x/y columns, e.g. EPSG:9205.")
@click.option(
    "--dem", type=_EXISTING, multiple=True, help="Also check that every point lies on this DEM."
)
@_handle_errors
def validate(
    files: tuple[Path, ...], kind: str | None, crs: str | None, dem: tuple[Path, ...]
) -> None:
    """Check village, site and DEM files and report every problem found.

    Exits with status 1 when any file has errors (warnings alone pass).
    """
    from .io import read_dem
    from .validate import validate_file

    terrain = read_dem(list(dem)) if dem else None
    n_errors = n_warnings = 0
    for path in files:
        found_kind, problems = validate_file(path, kind=kind, crs=crs, terrain=terrain)
        errors = sum(p.severity == "error" for p in problems)
        n_errors += errors
        n_warnings += len(problems) - errors
        status = "OK" if not errors else f"{errors} error(s)"
        click.echo(f"{path} [{found_kind}]: {status}")
        for problem in problems:
            click.echo(f"  {problem}")
    click.echo(f"{len(files)} file(s): {n_errors} error(s), {n_warnings} warning(s)")
    if n_errors:
        sys.exit(1)


@main.command()
@click.option("--out", "out_dir", type=_PATH, required=True, help="Folder to write into.")
@click.option("--seed", type=int, default=None, help="Random seed (default: the bundled one).")
@_handle_errors
def sample(out_dir: Path, seed: int | None) -> None:
    """Generate the synthetic Lai Châu sample scenario (same seed, identical files)."""
    from .sample import generate_sample

    kwargs = {} if seed is None else {"seed": seed}
    paths = generate_sample(out_dir, progress=_progress_default(), **kwargs)
    for role, path in paths.items():
        click.echo(f"  {role:14s} {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
