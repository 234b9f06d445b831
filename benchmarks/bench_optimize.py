"""Benchmark of the MCLP core on a random-but-realistic Lai Châu-sized instance.

Villages are clustered along valleys of a 100 × 90 km province, people per village are
lognormal (median ~300), about half the villages are already covered; candidates sit
near uncovered villages and each covers the villages within a terrain-limited radius
(a few to ~40 villages). Each candidate's cost is a site (tower, power, equipment) plus
its backhaul (fibre along roads, microwave or satellite). Solves k = 20 and a budget,
exactly (CBC, proven optimum) and greedily, and prints the solve time, the greedy's
optimality gap and the people newly covered per million USD.

Issue 6's benchmark will later feed the real coverage matrix of the sample province.

    python benchmarks/bench_optimize.py [--candidates 600] [--villages 1100] [--seed 6]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from covgap.plan.mclp import greedy_mclp, solve_mclp

TARGET_S = 60.0


def make_instance(n_candidates: int, n_villages: int, seed: int):
    """Coverage (sparse), people, costs (USD) and the already-covered mask."""
    rng = np.random.default_rng(seed)
    # villages: clusters along 25 valley lines across a 100 x 90 km province
    valleys = rng.uniform([0, 0], [100, 90], size=(25, 2))
    heading = rng.uniform(0, np.pi, 25)
    v = rng.integers(0, 25, n_villages)
    along = rng.normal(0, 12, n_villages)
    xy = valleys[v] + np.c_[np.cos(heading[v]), np.sin(heading[v])] * along[:, None]
    xy += rng.normal(0, 1.5, (n_villages, 2))
    people = np.round(rng.lognormal(np.log(300), 0.6, n_villages))
    existing = rng.random(n_villages) < 0.5
    # candidates: high points 0.5-3 km from uncovered villages
    anchors = rng.choice(np.flatnonzero(~existing), n_candidates)
    cand = xy[anchors] + rng.normal(0, 1.5, (n_candidates, 2))
    dist = np.hypot(*(cand[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    reach = rng.uniform(2.0, 7.0, n_candidates)[:, None]  # terrain-limited radius, km
    visible = rng.random(dist.shape) < 0.7  # line-of-sight screen
    cover = (dist <= reach) & visible
    cover[np.arange(n_candidates), anchors] = True
    for j in np.flatnonzero(cover.sum(axis=1) > 40):  # no site covers more than ~40
        keep = np.flatnonzero(cover[j])[np.argsort(dist[j, cover[j]])[:40]]
        cover[j] = False
        cover[j, keep] = True
    # costs: site 45-90 kUSD; backhaul: fibre 9 kUSD/km (0-15 km), microwave 20 k, sat 30 k
    site = rng.uniform(45_000, 90_000, n_candidates)
    fibre = 9_000 * rng.exponential(4.0, n_candidates)
    backhaul = np.minimum(fibre, np.where(rng.random(n_candidates) < 0.6, 20_000, 30_000))
    return sp.csr_matrix(cover), people, np.round(site + backhaul, -2), existing


def run(label: str, cover, people, existing, **limit) -> None:
    """Solve one variant exactly and greedily; print the figures."""
    start = time.perf_counter()
    exact = solve_mclp(cover, people, existing=existing, **limit)
    exact_s = time.perf_counter() - start
    greedy = greedy_mclp(cover, people, existing=existing, **limit)
    gap = (exact.objective - greedy.objective) / exact.objective if exact.objective else 0.0
    per_musd = exact.objective / exact.total_cost * 1e6
    print(f"\n[{label}]")
    print(f"  exact : {len(exact.chosen):3d} sites, {exact.objective:9,.0f} people newly covered,")
    print(f"          {exact.total_cost / 1e6:6.2f} M USD, status {exact.status}, gap {exact.gap}")
    print(f"  solve time to proven optimality : {exact_s:6.2f} s (target < {TARGET_S:.0f} s)")
    print(f"  greedy: {len(greedy.chosen):3d} sites, {greedy.objective:9,.0f} people,")
    print(f"          {greedy.total_cost / 1e6:6.2f} M USD, {greedy.solve_seconds:.3f} s")
    print(f"  greedy optimality gap           : {100 * gap:6.2f} %")
    print(f"  people newly covered per M USD  : {per_musd:9,.0f} (exact)")
    g_per = greedy.objective / greedy.total_cost * 1e6 if greedy.total_cost else 0.0
    print(f"                                    {g_per:9,.0f} (greedy)")


def main() -> None:
    """Build the instance and run k = 20 and the budget variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=600)
    parser.add_argument("--villages", type=int, default=1100)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--budget-usd", type=float, default=2_000_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    cover, people, costs, existing = make_instance(args.candidates, args.villages, args.seed)
    per_site = np.asarray(cover.sum(axis=1)).ravel()
    print(
        f"instance: {cover.shape[0]} candidates x {cover.shape[1]} villages, "
        f"{cover.nnz} coverage pairs, {per_site.min()}-{per_site.max()} villages per "
        f"candidate (median {np.median(per_site):.0f}); {existing.sum()} villages already "
        f"covered; {people[~existing].sum():,.0f} people uncovered; "
        f"costs {costs.min() / 1e3:.0f}-{costs.max() / 1e3:.0f} kUSD"
    )
    run(f"k = {args.k}", cover, people, existing, k=args.k, costs=costs)
    run(f"budget = {args.budget_usd / 1e6:.1f} M USD", cover, people, existing,
        budget=args.budget_usd, costs=costs)  # fmt: skip


if __name__ == "__main__":
    main()
