"""``covgap map``: rebuild the interactive map from the outputs of ``covgap run``."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import EXISTING as _EXISTING
from ._common import PATH as _PATH
from ._common import check_out_file, handle_errors, lang_option


@click.command(name="map")
@click.option(
    "--results",
    "results",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder written by `covgap run` (villages.gpkg, scenario.toml).",
)
@click.option("--out", "out", type=_PATH, required=True, help="The HTML file to write.")
@lang_option()
@click.option(
    "--highlight",
    type=_EXISTING,
    help="Villages to ring: a CSV/XLSX with a village_id column, or a text file with one "
    "village_id per line (e.g. the request list).",
)
@click.option(
    "--cdn",
    is_flag=True,
    help="Link Leaflet and its plugins from their CDN (smaller file, needs internet) "
    "instead of copying them into the page.",
)
@click.option("--no-relief", is_flag=True, help="Leave out the DEM hillshade.")
@handle_errors
def map_command(
    results: Path, out: Path, lang: str, highlight: Path | None, cdn: bool, no_relief: bool
) -> None:
    """Rebuild the interactive coverage map from a run's outputs, e.g. in another language.

    The map reads the classified villages, the sites and the boundaries from
    RESULTS/villages.gpkg, and the thresholds, the title and the DEM (for the
    hillshade) from RESULTS/scenario.toml. By default the page carries Leaflet and its
    plugins, so it works without internet (only the web basemaps need a connection).
    """
    from ..outputs.maps import save_map
    from ..outputs.run_files import map_from_results

    check_out_file(out)
    ids = _read_ids(highlight) if highlight is not None else None
    m = map_from_results(results, lang=lang, highlight=ids, relief=not no_relief)
    path = save_map(m, out, inline_assets=not cdn)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _read_ids(path: Path) -> list[str]:
    """Return the village ids of a CSV/XLSX (``village_id`` column) or a text file."""
    import pandas as pd

    from ..errors import DataFileError, InputError

    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".xlsx", ".xls"):
            table = (
                pd.read_csv(path, dtype=str, encoding="utf-8-sig")
                if suffix == ".csv"
                else pd.read_excel(path, dtype=str)
            )
            if "village_id" not in table:
                raise InputError(f"{path}: no village_id column; found {list(table.columns)}")
            return table["village_id"].dropna().str.strip().tolist()
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise DataFileError(f"{path}: cannot read the village ids: {exc}") from exc
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
