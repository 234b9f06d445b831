"""``covgap plan``: new sites that newly cover the most people, and their backhaul."""

from __future__ import annotations

from pathlib import Path

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


@click.command("plan")
@input_options
@click.option("--roads", type=_EXISTING, help="Road lines (GPKG, GeoJSON, SHP) for the fibre.")
@click.option(
    "--fibre-nodes",
    type=_EXISTING,
    help="Fibre points of presence (points), besides the sites marked fibre_backhaul.",
)
@click.option(
    "--candidates",
    type=_EXISTING,
    help="Your own candidate sites (CSV, XLSX, GPKG...: candidate_id, lon/lat or x/y, "
    "optional height_m, carrier, cost_usd, azimuths_deg).",
)
@click.option(
    "--sites-budget",
    "k",
    type=click.IntRange(min=1),
    help="Number of sites (new sites and upgrades) to choose.  [default: 10 without --budget-usd]",
)
@click.option(
    "--budget-usd",
    type=click.FloatRange(min=0),
    help="Or: the money for sites plus backhaul (USD); the unit costs are under [costs] "
    "in the scenario file.",
)
@click.option(
    "--carrier",
    help="Plan one carrier's network (Viettel, VNPT, MobiFone); default: sites shared by "
    "all carriers, for the villages no carrier covers.",
)
@click.option(
    "--weight",
    type=click.Choice(["population", "households", "villages"]),
    default="population",
    show_default=True,
    help="What a newly covered village is worth.",
)
@click.option(
    "--max-candidates",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Most candidates generated from the DEM's high points.",
)
@click.option(
    "--radius-km",
    type=click.FloatRange(min=0.5, max=35),
    default=10.0,
    show_default=True,
    help="How far from an uncovered village a generated candidate may be.",
)
@click.option(
    "--height-m",
    type=click.FloatRange(min=5, max=150),
    default=30.0,
    show_default=True,
    help="Antenna height of generated candidates.",
)
@click.option("--generate/--no-generate", default=True, help="Generate candidates from the DEM.")
@click.option("--upgrades/--no-upgrades", default=True, help="Consider upgrading existing sites.")
@click.option(
    "--solver",
    "method",
    type=click.Choice(["exact", "greedy"]),
    default="exact",
    show_default=True,
    help="exact: the proven optimum (CBC), checked against the greedy solution; greedy: "
    "the greedy heuristic only (fast, no proof).",
)
@click.option(
    "--time-limit-s",
    type=click.FloatRange(min=1),
    help="Time limit of the exact solve; without a proof by then, the command fails.",
)
@lang_option("Language of the workbook and the map.")
@click.option(
    "--out",
    "out_dir",
    type=_PATH,
    default=Path("plan"),
    show_default=True,
    help="Folder for the plan's files.",
)
@progress_option
@handle_errors
def plan_command(
    villages: Path | None,
    sites: tuple[Path, ...],
    dem: tuple[Path, ...],
    admin: Path | None,
    crs: str | None,
    config_file: Path | None,
    roads: Path | None,
    fibre_nodes: Path | None,
    candidates: Path | None,
    k: int | None,
    budget_usd: float | None,
    carrier: str | None,
    weight: str,
    max_candidates: int,
    radius_km: float,
    height_m: float,
    generate: bool,
    upgrades: bool,
    method: str,
    time_limit_s: float | None,
    lang: str,
    out_dir: Path,
    progress: bool | None,
) -> None:
    """Choose new BTS sites and upgrades that newly cover the most people, with backhaul.

    Candidates are the DEM's high points that see uncovered villages (near roads and
    grid power), your own candidates, and upgrades of existing sites. The coverage of
    each uses the analysis' own model and thresholds; the maximal covering location
    problem is solved to a proven optimum with CBC (and checked against a greedy
    solution) for --sites-budget sites or --budget-usd, site and backhaul costs included.
    Backhaul is fibre along the roads (shared trenches), a microwave hop with Fresnel
    clearance, or satellite, whichever is cheapest. Writes the proposed sites (CSV,
    GeoPackage, Excel), the routes, before/after tables by district and commune, the
    fibre rollout list of white and low-signal villages, and a map. With no input
    options it plans the bundled synthetic sample.
    """
    from ..io.manifest import MANIFEST_NAME, run_folder
    from ..outputs.business import list_lines
    from ..pipeline import run_plan
    from ..plan import write_plan
    from ..plan.business import write_business

    if k is not None and budget_usd is not None:
        raise click.UsageError("give --sites-budget or --budget-usd, not both")
    if k is None and budget_usd is None:
        k = 10
    check_out_dir(out_dir)
    scenario = scenario_from_options(villages, sites, dem, admin, crs, config_file)
    scenario = scenario.with_inputs(roads=roads, fibre_nodes=fibre_nodes, candidates=candidates)
    plan = run_plan(
        scenario,
        progress=progress_default() if progress is None else progress,
        k=k,
        budget_usd=budget_usd,
        carrier=carrier,
        weight=weight,
        max_candidates=max_candidates,
        radius_km=radius_km,
        height_m=height_m,
        generate=generate,
        upgrades=upgrades,
        method=method,
        time_limit_s=time_limit_s,
    )
    with run_folder(out_dir, command="covgap plan", extra={"scenario": scenario.name}) as tmp:
        written = write_plan(plan, tmp, lang=lang)
        business, lists = write_business(plan, tmp, lang=lang)
    # the files were written in the temporary folder: name them where they are now
    paths = {role: out_dir / path.name for role, path in (written | business).items()}
    paths["manifest"] = out_dir / MANIFEST_NAME
    _echo_summary(plan)
    for line in list_lines(lists, usd_vnd=plan.before.scenario.economics.usd_vnd, lang="en"):
        click.echo(line)
    for role, path in paths.items():
        click.echo(f"  {role:26s} {path}")


def _echo_summary(plan: object) -> None:
    s = plan.stats()
    note = " (SYNTHETIC sample)" if plan.before.scenario.synthetic else ""
    who = plan.options["carrier"] or "shared by all carriers"
    click.echo(
        f"{s['sites']} sites proposed{note}, {who}, from {s['candidates']} candidates: "
        f"{s['villages_new']} villages and {s['people_new']:,.0f} people newly covered "
        f"for {s['total_usd']:,.0f} USD ({s['people_per_million_usd']:,.0f} people per "
        "million USD)"
    )
    if plan.options.get("method") == "greedy":
        click.echo("solver: greedy heuristic (no proof of optimality)")
    else:
        click.echo(
            f"solver: {s['solver_status']} in {s['solve_s']:.1f} s; greedy reaches "
            f"{100 * (1 - s['greedy_gap']):.1f} % of the optimum"
        )
    cols = ["rank", "candidate_id", "kind", "people_new", "backhaul", "total_usd"]
    click.echo(plan.proposed[cols].head(10).to_string(index=False))
