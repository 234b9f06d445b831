"""``covgap sample``: regenerate the synthetic sample scenario."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import PATH as _PATH
from ._common import handle_errors, progress_default


@click.command()
@click.option("--out", "out_dir", type=_PATH, required=True, help="Folder to write into.")
@click.option("--seed", type=int, default=None, help="Random seed (default: the bundled one).")
@handle_errors
def sample(out_dir: Path, seed: int | None) -> None:
    """Generate the synthetic Lai Châu sample scenario (same seed, identical files)."""
    from ..sample import generate_sample

    kwargs = {} if seed is None else {"seed": seed}
    paths = generate_sample(out_dir, progress=progress_default(), **kwargs)
    for role, path in paths.items():
        click.echo(f"  {role:14s} {path}")
