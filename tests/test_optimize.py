"""The MCLP core: hand-checked optima, constraints, errors, and exact ≥ greedy."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from covgap.errors import InputError, SolverError
from covgap.plan.mclp import Solution, greedy_mclp, solve_mclp


def _cover(m: int, n: int, sets: dict[int, list[int]]) -> np.ndarray:
    cover = np.zeros((m, n), dtype=bool)
    for j, villages in sets.items():
        cover[j, villages] = True
    return cover


# Greedy takes the big middle site 0 (4 villages), then one flank: 5. Optimum: both flanks, 6.
K_COVER = _cover(3, 6, {0: [1, 2, 3, 4], 1: [0, 1, 2], 2: [3, 4, 5]})
K_WEIGHTS = np.ones(6)

# Budget 4: greedy by ratio takes site 0 (10/1 USD), then site 1 (+9 for 2 USD): 19, cost 3;
# best single site 14. Optimum: sites 1 and 2 (cost 4) cover all four villages: 28.
B_COVER = _cover(3, 4, {0: [0, 1], 1: [0, 2], 2: [1, 3]})
B_WEIGHTS = np.array([5.0, 5.0, 9.0, 9.0])
B_COSTS = np.array([1.0, 2.0, 2.0])


def test_k_known_optimum_beats_greedy():
    exact = solve_mclp(K_COVER, K_WEIGHTS, k=2)
    greedy = greedy_mclp(K_COVER, K_WEIGHTS, k=2)
    assert isinstance(exact, Solution)
    assert exact.chosen == (1, 2)
    assert exact.covered == (0, 1, 2, 3, 4, 5)
    assert exact.objective == pytest.approx(6.0)
    assert (exact.status, exact.gap, exact.method) == ("Optimal", 0.0, "exact")
    assert exact.solve_seconds >= 0
    assert np.isnan(exact.total_cost)  # no costs given
    assert greedy.chosen == (0, 1)
    assert greedy.objective == pytest.approx(5.0)
    assert greedy.objective < exact.objective
    assert greedy.status == "Greedy" and np.isnan(greedy.gap)


def test_budget_known_optimum_beats_greedy():
    exact = solve_mclp(B_COVER, B_WEIGHTS, budget=4, costs=B_COSTS)
    greedy = greedy_mclp(B_COVER, B_WEIGHTS, budget=4, costs=B_COSTS)
    assert exact.chosen == (1, 2)
    assert exact.objective == pytest.approx(28.0)
    assert exact.total_cost == pytest.approx(4.0)
    assert greedy.chosen == (0, 1)
    assert greedy.objective == pytest.approx(19.0)
    assert greedy.total_cost == pytest.approx(3.0)


def test_budget_respected_when_tight():
    sol = solve_mclp(B_COVER, B_WEIGHTS, budget=3, costs=B_COSTS)
    assert sol.total_cost <= 3
    assert sol.objective == pytest.approx(19.0)  # site 0 + one of 1/2


def test_k_respected_and_method_greedy_switch():
    one = solve_mclp(K_COVER, K_WEIGHTS, k=1)
    assert one.chosen == (0,) and one.objective == pytest.approx(4.0)
    via = solve_mclp(K_COVER, K_WEIGHTS, k=2, method="greedy")
    direct = greedy_mclp(K_COVER, K_WEIGHTS, k=2)
    assert (via.method, via.chosen, via.objective) == ("greedy", direct.chosen, direct.objective)


def test_must_open_is_kept_and_counts_toward_k():
    exact = solve_mclp(K_COVER, K_WEIGHTS, k=2, must_open=[0])
    assert 0 in exact.chosen and len(exact.chosen) <= 2
    assert exact.objective == pytest.approx(5.0)
    greedy = greedy_mclp(K_COVER, K_WEIGHTS, k=2, must_open=np.array([True, False, False]))
    assert greedy.chosen[0] == 0 and greedy.objective == pytest.approx(5.0)


def test_must_open_kept_even_when_it_adds_nothing():
    cover = _cover(3, 3, {0: [0], 1: [0, 1, 2], 2: []})
    sol = solve_mclp(cover, np.ones(3), k=3, must_open=[2])
    assert sol.chosen == (1, 2)


def test_existing_villages_count_for_nothing():
    # villages 0-2 already covered: the flank 2 (3, 4, 5) is the best single site now
    sol = solve_mclp(K_COVER, K_WEIGHTS, k=1, existing=[0, 1, 2])
    assert sol.chosen == (2,)
    assert sol.covered == (3, 4, 5)
    mask = np.array([True, True, True, False, False, False])
    assert greedy_mclp(K_COVER, K_WEIGHTS, k=1, existing=mask).chosen == (2,)


def test_zero_weight_demands_and_useless_sites_are_not_bought():
    weights = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    sol = solve_mclp(K_COVER, weights, k=3)
    assert sol.chosen == (2,)  # sites adding no weight are dropped
    assert sol.objective == pytest.approx(3.0)
    zero = solve_mclp(K_COVER, np.zeros(6), k=2)
    assert zero.chosen == () and zero.objective == 0.0
    assert greedy_mclp(K_COVER, np.zeros(6), k=2).chosen == ()


def test_sparse_and_integer_cover_accepted():
    dense = solve_mclp(K_COVER.astype(int), K_WEIGHTS, k=2)
    sparse = solve_mclp(sp.csr_matrix(K_COVER), K_WEIGHTS, k=2)
    assert dense.chosen == sparse.chosen == (1, 2)


def test_gap_accepted_is_reported():
    sol = solve_mclp(B_COVER, B_WEIGHTS, budget=4, costs=B_COSTS, gap=0.05)
    assert sol.status == "Optimal" and sol.gap == 0.05
    assert sol.objective >= 0.95 * 28.0


def test_budget_below_cheapest_raises_input_error():
    with pytest.raises(InputError, match="below the cheapest candidate"):
        solve_mclp(B_COVER, B_WEIGHTS, budget=0.5, costs=B_COSTS)
    with pytest.raises(InputError, match="below the cheapest candidate"):
        greedy_mclp(B_COVER, B_WEIGHTS, budget=0.5, costs=B_COSTS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": np.ones(5), "k": 2}, "weights has 5 values but cover has 6"),
        ({"k": 2, "costs": np.ones(2)}, "costs has 2 values but cover has 3"),
        ({"k": 2, "existing": np.ones(4, dtype=bool)}, "existing mask has 4 values"),
        ({"k": 2, "must_open": [7]}, "must_open must be a boolean mask or indices"),
        ({}, "exactly one of k"),
        ({"k": 2, "budget": 5.0, "costs": np.ones(3)}, "exactly one of k"),
        ({"k": 0}, "k must be a positive integer"),
        ({"k": 1.5}, "k must be a positive integer"),
        ({"budget": 5.0}, "a budget needs costs"),
        ({"k": 1, "must_open": [0, 1]}, "exceed k=1"),
        ({"budget": 2.0, "costs": np.ones(3), "must_open": [0, 1, 2]}, "over the budget"),
        ({"k": 2, "weights": -K_WEIGHTS}, "weights must be finite and >= 0"),
        ({"k": 2, "cover": K_COVER * 2}, "cover must be boolean"),
        ({"k": 2, "cover": np.ones(6, dtype=bool)}, "cover must be 2-D"),
        ({"k": 2, "time_limit_s": 0}, "time_limit_s must be positive"),
        ({"k": 2, "gap": 1.0}, "gap must be in"),
    ],
)
def test_invalid_inputs_raise_input_error(kwargs, match):
    kwargs = {"cover": K_COVER, "weights": K_WEIGHTS, **kwargs}
    with pytest.raises(InputError, match=match):
        solve_mclp(kwargs.pop("cover"), kwargs.pop("weights"), **kwargs)


def test_all_problems_reported_at_once():
    with pytest.raises(InputError) as info:
        solve_mclp(K_COVER, np.ones(5), costs=np.ones(2))
    text = str(info.value)
    assert "weights has 5" in text and "costs has 2" in text and "exactly one of k" in text


def test_unknown_method():
    with pytest.raises(InputError, match="method"):
        solve_mclp(K_COVER, K_WEIGHTS, k=2, method="magic")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "sol_status", "name"),
    [
        (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound, "Not Solved"),
        (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible, "Infeasible"),
        # a time limit hit with an incumbent: PuLP says Optimal, but the solution is not
        (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible, "Solution Found"),
    ],
)
def test_non_optimal_status_raises_solver_error(monkeypatch, status, sol_status, name):
    def fake_solve(self, solver=None, **kwargs):
        self.status, self.sol_status = status, sol_status
        return status

    monkeypatch.setattr(pulp.LpProblem, "solve", fake_solve)
    with pytest.raises(SolverError, match=name) as info:
        solve_mclp(K_COVER, K_WEIGHTS, k=2)
    assert "time_limit_s" in str(info.value) and "greedy" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_solver_crash_raises_solver_error(monkeypatch):
    def crash(self, solver=None, **kwargs):
        raise pulp.PulpSolverError("boom")

    monkeypatch.setattr(pulp.LpProblem, "solve", crash)
    with pytest.raises(SolverError, match="boom"):
        solve_mclp(K_COVER, K_WEIGHTS, k=2)


# -- properties ---------------------------------------------------------------------


@st.composite
def instances(draw, max_m=8, max_n=10):
    m = draw(st.integers(1, max_m))
    n = draw(st.integers(1, max_n))
    cells = draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n))
    cover = np.array(cells, dtype=bool).reshape(m, n)
    weights = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), float)
    costs = np.array(draw(st.lists(st.integers(1, 10), min_size=m, max_size=m)), float)
    if draw(st.booleans()):
        limit = {"k": draw(st.integers(1, m))}
    else:
        limit = {"budget": float(draw(st.integers(int(costs.min()), int(costs.sum()))))}
    return cover, weights, costs, limit


def _brute_force(cover, weights, costs, k=None, budget=None) -> float:
    best = 0.0
    m = cover.shape[0]
    for size in range(m + 1):
        for subset in itertools.combinations(range(m), size):
            if (k is not None and size > k) or (
                budget is not None and costs[list(subset)].sum() > budget
            ):
                continue
            best = max(best, float(weights[cover[list(subset)].any(axis=0)].sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(instances())
def test_exact_equals_brute_force_and_beats_greedy(instance):
    cover, weights, costs, limit = instance
    exact = solve_mclp(cover, weights, costs=costs, **limit)
    greedy = greedy_mclp(cover, weights, costs=costs, **limit)
    assert exact.objective == pytest.approx(_brute_force(cover, weights, costs, **limit))
    assert exact.objective >= greedy.objective - 1e-9
    for sol in (exact, greedy):
        assert sol.total_cost <= limit.get("budget", np.inf) + 1e-9
        assert len(sol.chosen) <= limit.get("k", cover.shape[0])
        covered = (
            cover[list(sol.chosen)].any(axis=0) if sol.chosen else np.zeros(len(weights), bool)
        )
        assert sol.covered == tuple(np.flatnonzero(covered))
        assert sol.objective == pytest.approx(weights[covered].sum())


@settings(max_examples=15, deadline=None)
@given(instances(max_m=20, max_n=40))
def test_exact_never_below_greedy_on_larger_instances(instance):
    cover, weights, costs, limit = instance
    exact = solve_mclp(sp.csr_matrix(cover), weights, costs=costs, **limit)
    greedy = greedy_mclp(sp.csr_matrix(cover), weights, costs=costs, **limit)
    assert exact.objective >= greedy.objective - 1e-9
