"""Helpers shared by the ``covgap`` commands: error handling, paths, progress."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import CovgapError, ValidationError
from ._guard import (
    EXIT_SIGINT,
    EXIT_SIGTERM,
    Terminated,
    check_out_dir,
    check_out_file,
    handle_signals,
    os_error_message,
)

__all__ = [
    "EXISTING",
    "PATH",
    "check_out_dir",
    "check_out_file",
    "echo_problems",
    "handle_errors",
    "input_options",
    "lang_option",
    "progress_default",
    "progress_option",
    "scenario_from_options",
]

PATH = click.Path(path_type=Path)
EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn errors into one clean message and an exit status, never a traceback.

    covgap errors and operating-system errors exit with status 1 (a validation error
    with its full report first); Ctrl-C with 130 and SIGTERM with 143, after the
    writers' ``finally`` blocks have removed their temporary files.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with handle_signals():
                return func(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("covgap: interrupted (Ctrl-C); no output was changed", err=True)
            raise click.exceptions.Exit(EXIT_SIGINT) from None
        except Terminated:
            click.echo("covgap: stopped (SIGTERM); no output was changed", err=True)
            raise click.exceptions.Exit(EXIT_SIGTERM) from None
        except ValidationError as exc:
            echo_problems(exc.problems)
            raise click.ClickException(
                "the input is not valid; nothing was written. Fix the errors above "
                "(`covgap validate FILE...` re-checks a file)."
            ) from exc
        except CovgapError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            raise click.ClickException(os_error_message(exc)) from exc

    return wrapper


def echo_problems(problems: list[Any]) -> None:
    """Print every problem of a report on stderr."""
    for problem in problems:
        click.echo(str(problem), err=True)


def progress_default() -> bool:
    """Show progress bars on an interactive terminal only, never in pipes or CI logs."""
    return sys.stderr.isatty()


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep an option for :func:`scenario_from_options` without widening every command."""
    ctx.meta[f"covgap.{param.name}"] = value
    return value


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the scenario's input options: --villages --sites --dem --admin --crs --config."""
    options = [
        click.option(
            "--villages",
            type=EXISTING,
            help="Village table (CSV, XLSX, GeoJSON, GPKG, SHP, zipped SHP, KML).",
        ),
        click.option(
            "--sites",
            type=EXISTING,
            multiple=True,
            help="BTS site table, one row per sector; repeat for several files (one per "
            "carrier): they are combined, a sector in two files is reported.",
        ),
        click.option(
            "--dem",
            type=EXISTING,
            multiple=True,
            help="DEM file (GeoTIFF, SRTM .hgt/.hgt.zip); repeat for several tiles.",
        ),
        click.option(
            "--admin",
            type=EXISTING,
            help="GeoPackage with 'districts' (and 'communes') polygon layers.",
        ),
        click.option(
            "--crs",
            help="CRS of x/y columns in the tables, e.g. EPSG:9205 (VN-2000 TM-3 103-00, "
            "Lai Châu). Not needed for lon/lat.",
        ),
        click.option(
            "--land-cover",
            type=EXISTING,
            expose_value=False,
            callback=_remember,
            help="Land-cover raster (ESA WorldCover, or classes under [clutter]), any CRS: "
            "clutter in the path loss as [radio] clutter says (p1812 by default).",
        ),
        click.option(
            "--config",
            "config_file",
            type=EXISTING,
            help="Scenario TOML (inputs, thresholds, radio); options given here win.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def scenario_from_options(
    villages: Path | None,
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
) -> Any:
    """Build the scenario of the input options: the bundled sample unless inputs are given."""
    from ..config import Scenario, load_scenario

    if villages or sites or dem or config_file:
        base = Scenario()
    else:
        from ..sample import sample_scenario

        base = sample_scenario()
    scenario = load_scenario(config_file, base=base).with_inputs(
        villages=villages, sites=sites or None, dem=dem or None, admin=admin, crs=crs
    )
    context = click.get_current_context(silent=True)
    land_cover = context.meta.get("covgap.land_cover") if context is not None else None
    return scenario.with_inputs(land_cover=land_cover)


def lang_option(help_text: str = "Language of the map's labels.") -> Callable[..., Any]:
    """Return the ``--lang vi|en`` option (labels come from :mod:`covgap.outputs.labels`)."""
    return click.option(
        "--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help=help_text
    )


#: The ``--progress/--no-progress`` option (default: on a terminal only).
progress_option = click.option(
    "--progress/--no-progress", default=None, help="Progress bars (default: on a terminal only)."
)
