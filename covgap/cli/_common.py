"""Helpers shared by the ``covgap`` commands: error handling, paths, progress."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import CovgapError, ValidationError

PATH = click.Path(path_type=Path)
EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn covgap errors into click errors (exit status 1) with the full report."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            echo_problems(exc.problems)
            raise click.ClickException(
                "the input is not valid; nothing was written. Fix the errors above "
                "(`covgap validate FILE...` re-checks a file)."
            ) from exc
        except CovgapError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def echo_problems(problems: list[Any]) -> None:
    """Print every problem of a report on stderr."""
    for problem in problems:
        click.echo(str(problem), err=True)


def progress_default() -> bool:
    """Show progress bars on an interactive terminal only, never in pipes or CI logs."""
    return sys.stderr.isatty()
