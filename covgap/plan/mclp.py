r"""Site selection: the maximal covering location problem (MCLP), exact and greedy.

Given which candidate sites would cover which villages, choose new sites that cover the
most uncovered weight (people, or households: the caller passes the weights). With
:math:`I` the demand points (villages), :math:`J` the candidate sites, :math:`N_i \subseteq
J` the candidates that cover village :math:`i`, :math:`w_i` its weight, :math:`c_j` the
cost of candidate :math:`j` (site and backhaul), :math:`x_j = 1` when :math:`j` is built
and :math:`y_i = 1` when :math:`i` is covered, :func:`solve_mclp` solves

.. math::

    \max \sum_{i \in I} w_i y_i

    \text{s.t.} \quad y_i \le \sum_{j \in N_i} x_j \qquad \forall i \in I

    \sum_{j \in J} x_j \le k \quad \text{or} \quad \sum_{j \in J} c_j x_j \le B

    x_j = 1 \qquad \forall j \in M \quad \text{(sites that must open)}

    x_j \in \{0, 1\} \quad \forall j \in J, \qquad y_i \in \{0, 1\} \quad \forall i \in I

(Church and ReVelle 1974). Villages already covered (``existing``) and villages of zero
weight cannot change the objective and are left out of the model; :math:`y` is relaxed
to :math:`0 \le y_i \le 1`, which has the same optimum because :math:`x` is binary.
The model is solved with PuLP and the CBC solver bundled with it, and the solver status
is checked: anything short of a proven optimum (within ``gap``) raises
:class:`~covgap.errors.SolverError`. :func:`greedy_mclp` is the classic greedy heuristic,
a fast fallback and a check on the exact answer.

Inputs are plain arrays (a dense or ``scipy.sparse`` coverage matrix, weights, costs),
independent of how the coverage was computed; results are positional indices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from ..errors import InputError, SolverError

__all__ = ["Solution", "greedy_mclp", "solve_mclp"]

logger = logging.getLogger(__name__)

#: Status of a greedy solution (no optimality proof).
GREEDY_STATUS = "Greedy"

IndexLike = Sequence[int] | np.ndarray | None


@dataclass(frozen=True)
class Solution:
    """A chosen set of sites and what it covers.

    Attributes
    ----------
    chosen
        Indices (rows of ``cover``) of the candidates to build, ascending; includes
        ``must_open``.
    covered
        Indices (columns of ``cover``) of the demand points newly covered by the chosen
        sites, ascending; villages in ``existing`` are never listed.
    objective
        Weight newly covered (sum of ``weights`` over ``covered``).
    total_cost
        Sum of ``costs`` over ``chosen``; NaN when no costs were given.
    status
        ``"Optimal"`` for a proven optimum (within ``gap``), ``"Greedy"`` for the
        heuristic.
    solve_seconds
        Wall time of the solve (model building included).
    gap
        Relative optimality gap the solver proved (0.0 for a proven optimum, the
        requested ``gap`` when one was allowed); NaN for the greedy heuristic.
    method
        ``"exact"`` or ``"greedy"``.
    """

    chosen: tuple[int, ...]
    covered: tuple[int, ...]
    objective: float
    total_cost: float
    status: str
    solve_seconds: float
    gap: float
    method: str


@dataclass(frozen=True)
class _Instance:
    """Validated inputs: CSR and CSC coverage, weights of the active demands, limits."""

    csr: sp.csr_matrix
    csc: sp.csc_matrix
    weights: np.ndarray  # 0 for existing villages
    active: np.ndarray  # bool per demand: not existing
    costs: np.ndarray | None
    k: int | None
    budget: float | None
    must_open: np.ndarray


def solve_mclp(
    cover: Any,
    weights: Any,
    *,
    k: int | None = None,
    budget: float | None = None,
    costs: Any = None,
    existing: IndexLike = None,
    must_open: IndexLike = None,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float | None = None,
    gap: float = 0.0,
) -> Solution:
    """Choose up to ``k`` sites, or sites within ``budget``, covering the most weight.

    Solves the maximal covering location problem of the module docstring exactly with
    PuLP and CBC (``method="exact"``), or with :func:`greedy_mclp` (``"greedy"``).
    Sites that add no weight beyond the others are dropped from an exact answer, so no
    money is spent on a tower that covers nobody new.

    Parameters
    ----------
    cover
        Boolean coverage matrix, candidates × demand points (numpy array, DataFrame or
        ``scipy.sparse``): ``cover[j, i]`` is true when candidate ``j`` covers village
        ``i``.
    weights
        Weight of each demand point (people or households), non-negative.
    k
        Maximum number of sites to choose, ``must_open`` included.
    budget
        Maximum total cost (USD) of the chosen sites, ``must_open`` included; needs
        ``costs``. Give exactly one of ``k`` and ``budget``.
    costs
        Cost of each candidate in USD (site plus its backhaul), non-negative.
    existing
        Villages already covered (by existing sites): a boolean mask over the demand
        points or their indices. They count for nothing.
    must_open
        Candidates that must be built (committed sites, upgrades): mask or indices.
    method
        ``"exact"`` (MILP with CBC) or ``"greedy"``.
    time_limit_s
        Time limit of the CBC solve; hitting it before a proof raises ``SolverError``.
    gap
        Relative optimality gap accepted (0.0: prove the optimum).

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        Inconsistent shapes, invalid values, neither or both of ``k`` and ``budget``, a
        budget below the cheapest candidate, ``must_open`` beyond ``k`` or ``budget``.
    SolverError
        CBC is missing, fails, or stops without a proven optimum within ``gap``.
    """
    if method not in ("exact", "greedy"):
        raise InputError(f"method must be 'exact' or 'greedy', not {method!r}")
    if method == "greedy":
        return greedy_mclp(
            cover, weights, k=k, budget=budget, costs=costs, existing=existing,
            must_open=must_open,
        )  # fmt: skip
    problems = []
    if time_limit_s is not None and not time_limit_s > 0:
        problems.append(f"time_limit_s must be positive, got {time_limit_s}")
    if not 0.0 <= gap < 1.0:
        problems.append(f"gap must be in [0, 1), got {gap}")
    inst = _validate(cover, weights, k, budget, costs, existing, must_open, problems)
    start = time.perf_counter()
    x = _solve_exact(inst, time_limit_s, gap)
    chosen = _prune(inst, np.flatnonzero(x))
    return _assemble(inst, chosen, "Optimal", time.perf_counter() - start, gap, "exact")


def greedy_mclp(
    cover: Any,
    weights: Any,
    *,
    k: int | None = None,
    budget: float | None = None,
    costs: Any = None,
    existing: IndexLike = None,
    must_open: IndexLike = None,
) -> Solution:
    r"""Choose sites greedily by marginal covered weight (per USD under a budget).

    Starting from ``must_open``, adds at each step the candidate that newly covers the
    most weight (with ``k``), or the most weight per USD among those still affordable
    (with ``budget``), until the limit is reached or no candidate adds weight. Ties go
    to the cheaper candidate, then the lower index (larger gain, then lower index under
    a budget), so the result is deterministic. Under a budget the answer is the better
    of the ratio greedy and the best single affordable site, which guarantees at least
    :math:`1 - 1/\sqrt{e}` of the optimum (Khuller, Moss and Naor 1999); with ``k``
    the greedy reaches at least :math:`1 - 1/e` of it.

    Parameters
    ----------
    cover, weights, k, budget, costs, existing, must_open
        As for :func:`solve_mclp`.

    Returns
    -------
    Solution
        With status ``"Greedy"`` and a NaN gap (no proof of optimality).
    """
    inst = _validate(cover, weights, k, budget, costs, existing, must_open, [])
    start = time.perf_counter()
    chosen = _greedy(inst, ratio=inst.budget is not None)
    if inst.budget is not None:
        single = _best_single(inst)
        if single is not None and _weight(inst, single) > _weight(inst, chosen):
            chosen = single
    chosen = _prune(inst, chosen)
    return _assemble(inst, chosen, GREEDY_STATUS, time.perf_counter() - start, np.nan, "greedy")


# -- validation ---------------------------------------------------------------------


def _validate(cover, weights, k, budget, costs, existing, must_open, problems) -> _Instance:
    """Check every input, collect all problems, raise one InputError listing them."""
    csr = _as_sparse(cover, problems)
    m, n = csr.shape
    w = _vector(weights, n, "weights", "demand points (columns of cover)", problems)
    c = None if costs is None else _vector(costs, m, "costs", "candidates (rows)", problems)
    active = ~_mask(existing, n, "existing", problems)
    opened = np.flatnonzero(_mask(must_open, m, "must_open", problems))
    if (k is None) == (budget is None):
        problems.append("give exactly one of k (number of sites) and budget (USD)")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        problems.append(f"k must be a positive integer, got {k!r}")
    elif k is not None and len(opened) > k:
        problems.append(f"{len(opened)} must_open sites exceed k={k}; raise k")
    if budget is not None:
        _check_budget(budget, c, m, opened, problems)
    if problems:
        raise InputError("invalid MCLP input:\n" + "\n".join(f"  - {p}" for p in problems))
    return _Instance(
        csr=csr, csc=csr.tocsc(), weights=np.where(active, w, 0.0), active=active, costs=c,
        k=None if k is None else int(k), budget=None if budget is None else float(budget),
        must_open=opened,
    )  # fmt: skip


def _check_budget(budget, costs, m, opened, problems) -> None:
    """Budget checks: costs given, budget finite, not below the cheapest candidate."""
    if costs is None or len(costs) != m or not np.isfinite(costs).all():
        if costs is None:
            problems.append("a budget needs costs (USD per candidate)")
        return
    if not np.isfinite(budget) or budget < 0:
        problems.append(f"budget must be a finite non-negative number, got {budget}")
    elif m and budget < costs.min():
        cheapest = int(np.argmin(costs))
        problems.append(
            f"budget {budget:,.0f} USD is below the cheapest candidate "
            f"(#{cheapest}, {costs[cheapest]:,.0f} USD): no site can be built; "
            "raise the budget or add cheaper candidates"
        )
    elif len(opened) and costs[opened].sum() > budget:
        problems.append(
            f"must_open sites cost {costs[opened].sum():,.0f} USD, over the budget "
            f"{budget:,.0f} USD; raise the budget or open fewer sites"
        )


def _as_sparse(cover, problems) -> sp.csr_matrix:
    """Coverage as a boolean CSR matrix; records a problem when it is not 2-D 0/1."""
    if sp.issparse(cover):
        mat = sp.csr_matrix(cover)
        values = mat.data
    else:
        arr = np.asarray(cover)
        if arr.ndim != 2:
            problems.append(f"cover must be 2-D (candidates × demand points), got {arr.shape}")
            return sp.csr_matrix((0, 0), dtype=bool)
        mat, values = sp.csr_matrix(arr), arr.ravel()
    if values.dtype != bool and not (np.isin(values, (0, 1)).all()):
        problems.append("cover must be boolean (or 0/1): cover[j, i] = candidate j covers i")
    mat = mat.astype(bool)
    mat.eliminate_zeros()
    return mat


def _vector(values, size, name, what, problems) -> np.ndarray:
    """Return a 1-D float array of the given size, finite and non-negative."""
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        problems.append(f"{name} must be numbers")
        return np.zeros(size)
    if len(arr) != size:
        problems.append(f"{name} has {len(arr)} values but cover has {size} {what}")
        return np.zeros(size)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if len(bad):
        problems.append(f"{name} must be finite and >= 0; bad at positions {bad[:10].tolist()}")
    return arr


def _mask(values, size, name, problems) -> np.ndarray:
    """Return a boolean mask from a mask or a list of indices (None: all False)."""
    if values is None:
        return np.zeros(size, dtype=bool)
    arr = np.asarray(values).ravel()
    if arr.dtype == bool:
        if len(arr) != size:
            problems.append(f"{name} mask has {len(arr)} values, expected {size}")
            return np.zeros(size, dtype=bool)
        return arr.copy()
    if len(arr) and (
        not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= size
    ):
        problems.append(f"{name} must be a boolean mask or indices in [0, {size})")
        return np.zeros(size, dtype=bool)
    mask = np.zeros(size, dtype=bool)
    mask[arr.astype(int)] = True
    return mask


# -- solvers ------------------------------------------------------------------------


def _solve_exact(inst: _Instance, time_limit_s: float | None, gap: float) -> np.ndarray:
    """Build the MILP, solve it with CBC, verify the status; return x as 0/1 array."""
    import pulp

    m = inst.csr.shape[0]
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    new_var = getattr(prob, "add_variable", pulp.LpVariable)  # PuLP >= 3.3 API, else 2.x
    x = [new_var(f"x{j}", 0, 1, pulp.LpBinary) for j in range(m)]
    for j in inst.must_open:
        x[j].lowBound = 1
    terms = []
    for i in np.flatnonzero(inst.weights > 0):
        sites = inst.csc.indices[inst.csc.indptr[i] : inst.csc.indptr[i + 1]]
        if len(sites):
            y = new_var(f"y{i}", 0, 1, pulp.LpContinuous)
            terms.append((y, float(inst.weights[i])))
            row = pulp.LpAffineExpression([(y, 1.0)] + [(x[j], -1.0) for j in sites])
            prob.addConstraint(row <= 0, f"cover{i}")
    prob.setObjective(pulp.LpAffineExpression(terms))
    if inst.k is not None:
        prob.addConstraint(pulp.LpAffineExpression([(v, 1.0) for v in x]) <= inst.k, "k")
    else:
        spend = pulp.LpAffineExpression([(v, float(c)) for v, c in zip(x, inst.costs, strict=True)])
        prob.addConstraint(spend <= inst.budget, "budget")
    logger.debug("MCLP: %d candidates, %d demand rows", m, len(terms))
    try:
        prob.solve(_cbc(time_limit_s, gap))
    except pulp.PulpSolverError as exc:
        raise SolverError(f"CBC failed to run: {exc}; check that PuLP's CBC works") from exc
    _check_status(prob.status, getattr(prob, "sol_status", pulp.LpSolutionOptimal))
    return np.array([(v.varValue or 0.0) > 0.5 for v in x], dtype=bool)


def _cbc(time_limit_s: float | None, gap: float):
    """CBC as a PuLP solver: the binary bundled with PuLP, else ``cbc`` on the PATH."""
    import os

    from pulp.apis import coin_api

    bundled = getattr(coin_api, "pulp_cbc_path", None)
    path = bundled if bundled and os.path.exists(bundled) else None
    solver = coin_api.COIN_CMD(
        path=path, msg=False, timeLimit=time_limit_s, gapRel=gap if gap > 0 else None
    )
    if not solver.available():
        raise SolverError(
            "the CBC solver is not available; install PuLP with its bundled CBC "
            "(pip install 'pulp<4') or CBC itself (pip install 'pulp[cbc]'), "
            "or use method='greedy'"
        )
    return solver


def _check_status(status: int, sol_status: int) -> None:
    """Raise SolverError unless CBC proved an optimum (within the gap asked for)."""
    import pulp

    if status == pulp.LpStatusOptimal and sol_status == pulp.LpSolutionOptimal:
        return
    name = pulp.LpStatus.get(status, str(status))
    sol = pulp.LpSolution.get(sol_status, str(sol_status))
    why = (
        " (time limit hit before the proof)" if sol_status == pulp.LpSolutionIntegerFeasible else ""
    )
    raise SolverError(
        f"CBC did not prove an optimal site selection: PuLP status {name!r}, solution "
        f"status {sol!r}{why}; raise time_limit_s, accept a gap (e.g. gap=0.01), or use "
        "method='greedy'"
    )


def _greedy(inst: _Instance, *, ratio: bool) -> np.ndarray:
    """Classic greedy from must_open; by gain with k, by gain per USD with a budget."""
    m = inst.csr.shape[0]
    costs = inst.costs if inst.costs is not None else np.zeros(m)
    chosen = list(inst.must_open)
    free = np.ones(m, dtype=bool)
    free[chosen] = False
    left = inst.weights.copy()
    left[_covered_mask(inst, chosen)] = 0.0
    spare = np.inf if inst.budget is None else inst.budget - costs[chosen].sum()
    while inst.k is None or len(chosen) < inst.k:
        gain = inst.csr @ left
        ok = free & (gain > 0) & (costs <= spare + 1e-9)
        if not ok.any():
            break
        if ratio:
            score = np.where(costs > 0, gain / np.where(costs > 0, costs, 1.0), np.inf)
            order = np.lexsort((np.arange(m), -gain, -score))  # last key is primary
        else:
            order = np.lexsort((np.arange(m), costs, -gain))
        j = int(order[ok[order]][0])
        chosen.append(j)
        free[j] = False
        spare -= costs[j]
        left[inst.csr[j].indices] = 0.0
    return np.array(sorted(chosen), dtype=int)


def _best_single(inst: _Instance) -> np.ndarray | None:
    """must_open plus the one affordable candidate that adds the most weight."""
    left = inst.weights.copy()
    left[_covered_mask(inst, inst.must_open)] = 0.0
    gain = inst.csr @ left
    spare = inst.budget - inst.costs[inst.must_open].sum()
    ok = (inst.costs <= spare + 1e-9) & (gain > 0)
    ok[inst.must_open] = False
    if not ok.any():
        return None
    j = int(np.flatnonzero(ok)[np.argmax(gain[ok])])
    return np.array(sorted([*inst.must_open, j]), dtype=int)


def _prune(inst: _Instance, chosen: np.ndarray) -> np.ndarray:
    """Drop chosen sites (most expensive first) whose removal loses no weight."""
    keep = list(map(int, chosen))
    costs = inst.costs if inst.costs is not None else np.zeros(inst.csr.shape[0])
    total = _weight(inst, keep)
    for j in sorted(set(keep) - set(inst.must_open.tolist()), key=lambda j: (-costs[j], -j)):
        rest = [s for s in keep if s != j]
        if _weight(inst, rest) >= total - 1e-9 * max(1.0, total):
            keep = rest
    return np.array(sorted(keep), dtype=int)


# -- assembly -----------------------------------------------------------------------


def _covered_mask(inst: _Instance, chosen) -> np.ndarray:
    """Demand points covered by any chosen site (existing ones included)."""
    hits = np.asarray(inst.csr[np.asarray(chosen, dtype=int)].sum(axis=0)).ravel()
    return hits > 0


def _weight(inst: _Instance, chosen) -> float:
    """Weight newly covered by the chosen sites."""
    return float(inst.weights[_covered_mask(inst, chosen)].sum())


def _assemble(inst, chosen, status, seconds, gap, method) -> Solution:
    """Build the Solution of a chosen set."""
    covered = np.flatnonzero(_covered_mask(inst, chosen) & inst.active)
    cost = float(inst.costs[chosen].sum()) if inst.costs is not None else float("nan")
    objective = float(inst.weights[covered].sum())
    logger.info("MCLP %s: %d sites, weight %.1f, %.2f s", method, len(chosen), objective, seconds)
    return Solution(
        chosen=tuple(int(j) for j in chosen),
        covered=tuple(int(i) for i in covered),
        objective=objective,
        total_cost=cost,
        status=status,
        solve_seconds=float(seconds),
        gap=float(gap),
        method=method,
    )
