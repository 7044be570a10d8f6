"""The maximal-covering heuristics (problems._covering_search) and the MCLP's starting plan:
plans must be feasible (p sites, fixed open, forbidden closed), the best-swap search must end
where no single swap covers more, the point groups must be an exact reduction, and a solve
that starts from the heuristic plan must still reach the proven optimum."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from problems._covering_search import CoverSearch
from problems.mclp import MCLP


def instance(seed: int, groups: int = 14, m: int = 8) -> tuple[sp.csr_matrix, np.ndarray, int, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cover = sp.csr_matrix(rng.random((groups, m)) < 0.3)
    weight = rng.integers(1, 20, size=groups).astype(float)
    p = int(rng.integers(1, 4))
    fixed = np.zeros(m, dtype=bool)
    forbidden = np.zeros(m, dtype=bool)
    if seed % 3 == 0:
        fixed[int(rng.integers(0, m))] = True
    if seed % 2 == 0:
        forbidden[np.flatnonzero(~fixed)[:2]] = True
    return cover, weight, p, fixed, forbidden


def feasible(plan: np.ndarray, p: int, fixed: np.ndarray, forbidden: np.ndarray) -> bool:
    return int(plan.sum()) == p and bool(plan[fixed].all()) and not plan[forbidden].any()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_best_swap_search_ends_at_a_swap_optimum(seed: int) -> None:
    cover, weight, p, fixed, forbidden = instance(seed)
    search = CoverSearch(cover, weight, p, fixed, forbidden)
    start = search.greedy()
    assert feasible(start, p, fixed, forbidden)
    plan = search.improve(start)
    assert feasible(plan, p, fixed, forbidden)
    assert search.value(plan) >= search.value(start)
    for r, j in itertools.product(np.flatnonzero(plan & ~fixed), np.flatnonzero(~plan & ~forbidden)):
        swapped = plan.copy()
        swapped[r], swapped[j] = False, True
        assert search.value(swapped) <= search.value(plan) + 1e-9


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_iterated_search_is_feasible_and_never_worse(seed: int) -> None:
    cover, weight, p, fixed, forbidden = instance(seed)
    search = CoverSearch(cover, weight, p, fixed, forbidden)
    greedy = search.greedy()
    plan = search.iterate(greedy, np.random.default_rng(seed), None)
    assert feasible(plan, p, fixed, forbidden)
    assert search.value(plan) >= search.value(search.improve(greedy))
    best = max(search.value(np.isin(np.arange(len(fixed)), s)) for s in itertools.combinations(range(len(fixed)), p)
               if feasible(np.isin(np.arange(len(fixed)), s), p, fixed, forbidden))
    assert search.value(plan) <= best + 1e-9


def test_a_passed_deadline_still_gives_the_swap_optimum() -> None:
    cover, weight, p, fixed, forbidden = instance(5, groups=40, m=20)
    search = CoverSearch(cover, weight, p, fixed, forbidden)
    greedy = search.greedy()
    plan = search.iterate(greedy, np.random.default_rng(0), deadline=0.0)
    assert np.array_equal(plan, search.improve(greedy))


def city(seed: int, n: int = 300, m: int = 25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = np.round(rng.random((n, 2)) * 10, 1)  # rounded: some points share cover sets
    sites = rng.random((m, 2)) * 10
    return np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)), rng.integers(0, 5, size=n).astype(float)


def test_point_groups_are_an_exact_reduction() -> None:
    dist, weights = city(3)
    problem = MCLP.from_cost_matrix(dist, weights=weights, p=3, service_radius=1.5)
    cover, weight = problem.cover_groups()
    within = dist <= 1.5
    counted = within.any(axis=1) & (weights > 0)
    assert weight.sum() == weights[counted].sum()
    assert cover.shape[0] == len({tuple(row) for row in within[counted]}) < counted.sum()
    rows = {tuple(row): w for row, w in zip(cover.toarray(), weight)}
    for row in rows:
        assert rows[row] == weights[counted & (within == np.array(row)).all(axis=1)].sum()


def test_solve_from_the_heuristic_plan_is_proven_optimal() -> None:
    dist, weights = city(11, n=120, m=12)
    fixed, forbidden = [0], [1, 2]
    result = MCLP.from_cost_matrix(dist, weights=weights, p=4, service_radius=2.0, fixed=fixed,
                                   forbidden=forbidden).solve()
    plans = [np.isin(np.arange(12), s) for s in itertools.combinations(range(12), 4)]
    best = max(weights[(dist[:, plan] <= 2.0).any(axis=1)].sum() for plan in plans if plan[0] and not plan[1:3].any())
    assert result.status == "optimal"
    assert result.objective == best
    assert result.size["greedy_objective"] <= result.size["start_objective"] <= best
    assert result.size["start_seconds"] >= 0


def test_the_starting_plan_time_comes_off_the_solver_time_limit(monkeypatch) -> None:
    import time

    from optimise.solver import SolveOptions

    dist, weights = city(2, n=40, m=6)
    problem = MCLP.from_cost_matrix(dist, weights=weights, p=2, service_radius=2.0)
    seen = {}

    def slow_plan(model, deadline, seed):
        seen["deadline"] = deadline - time.perf_counter()
        time.sleep(0.2)
        return {"start_objective": 0.0}

    monkeypatch.setattr(problem, "starting_plan", slow_plan)
    figures, options = problem._head_start(problem.build(), SolveOptions(time_limit=10.0))
    assert 1.0 < seen["deadline"] <= 1.5  # its share: 15 % of 10 s
    assert figures["start_seconds"] >= 0.2
    assert 9.0 < options.time_limit <= 9.8


def test_a_changed_model_gets_no_starting_plan() -> None:
    """Trade-off rows may cut the heuristic plan off: only a model as built is started."""
    from optimise.solver import SolveOptions

    dist, weights = city(4, n=60, m=8)
    problem = MCLP.from_cost_matrix(dist, weights=weights, p=2, service_radius=2.0)
    model = problem.build()
    assert "start_objective" not in problem.solve_built(model, SolveOptions()).size
    assert "start_objective" in problem.solve_built(problem.build(), SolveOptions(), as_built=True).size
