"""The ``covgap`` command: thin wrappers around the library (see ``covgap --help``).

One module per command (``covgap/cli/<command>.py``); each turns options into one library
call, writes the outputs and turns a :class:`~covgap.errors.CovgapError` into a clean
message and a non-zero exit status (:mod:`covgap.cli._common`). Heavy imports happen
inside the commands so that ``covgap --help`` is instant.
"""

from __future__ import annotations

import click

from .. import __version__
from ._logging import configure_logging
from .calibrate import calibrate_command
from .fetch import fetch_command
from .map import map_command
from .plan import plan_command
from .predict import predict_command
from .request import request
from .run import run
from .sample import sample
from .validate import validate

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="covgap")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More messages, and every warning (default: one line per kind of warning, "
    "with a count); -vv for debug.",
)
@click.option("-q", "--quiet", count=True, help="Only errors.")
def main(verbose: int, quiet: int) -> None:
    """Find villages in white and low-signal mobile coverage zones over terrain.

    Start with `covgap run`, which analyses the bundled synthetic Lai Châu sample and
    writes an interactive map and tables to ./maps.
    """
    ctx = click.get_current_context()
    ctx.call_on_close(configure_logging(verbose, quiet))


for _command in (
    run,
    request,
    plan_command,
    map_command,
    predict_command,
    calibrate_command,
    fetch_command,
    validate,
    sample,
):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
