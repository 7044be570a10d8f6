"""The Lagrangian bound and greedy plan of large p-median instances
(problems._pmedian_bounds) and the cut loop's head start built on them: the bound must be
valid for any multipliers (also with the K-nearest truncation), approach the LP bound, and
the solve must stay exact when it starts from them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problems import p_median
from optimise.solver import SolveOptions, load_model
from problems._pmedian_bounds import LagrangianDual, SwapSearch, greedy_plan
from problems.p_median import PMedian


def euclidean(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand, sites = rng.random((n, 2)) * 100, rng.random((m, 2)) * 100
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    return cost, rng.integers(1, 5, size=n).astype(float)


def brute_force(cost: np.ndarray, p: int, fixed: np.ndarray, forbidden: np.ndarray) -> float:
    m = cost.shape[1]
    best = np.inf
    for s in itertools.combinations(range(m), p):
        chosen = np.zeros(m, dtype=bool)
        chosen[list(s)] = True
        if (fixed & ~chosen).any() or (forbidden & chosen).any():
            continue
        best = min(best, np.where(chosen[None, :], cost, np.inf).min(axis=1).sum())
    return best


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), nearest=st.integers(1, 8), scale=st.floats(0.0, 3.0))
def test_any_multipliers_give_a_lower_bound(seed: int, nearest: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    n, m, p = 9, 7, int(rng.integers(1, 4))
    cost = rng.integers(1, 50, size=(n, m)).astype(float)
    cost[rng.random((n, m)) < 0.15] = np.inf  # some sites cannot serve some points
    cost[np.arange(n), rng.integers(0, m, size=n)] = rng.integers(1, 50, size=n)  # all reachable
    fixed = np.zeros(m, dtype=bool)
    forbidden = np.zeros(m, dtype=bool)
    if seed % 3 == 0:
        fixed[0] = True
    if seed % 4 == 0:
        forbidden[m - 1] = True
        cost[:, m - 1] = np.inf
        cost[np.isinf(cost).all(axis=1), 0] = 10.0
    dual = LagrangianDual(cost, p, fixed, forbidden, nearest=nearest)
    lam = np.minimum(rng.random(n) * 50 * scale, dual.cap)
    value, chosen = dual.value(lam)
    assert chosen.sum() == p and chosen[fixed].all() and not chosen[forbidden].any()
    assert value <= brute_force(cost, p, fixed, forbidden) + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_subgradient_reaches_the_lp_bound(seed: int) -> None:
    cost, weights = euclidean(seed, 120, 40)
    cost = cost * weights[:, None]
    p = 6
    problem = PMedian.from_cost_matrix(cost, p=p, formulation="radius")
    problem.check()
    loaded = load_model(problem.build(), SolveOptions(), relax=True)
    loaded.highs.setOptionValue("output_flag", False)
    loaded.highs.run()
    lp = loaded.highs.getInfo().objective_function_value
    none = np.zeros(40, dtype=bool)
    plan = greedy_plan(cost, p, none, none, block=50)
    upper = float(np.where(plan[None, :], cost, np.inf).min(axis=1).sum())
    result = LagrangianDual(cost, p, none, none, nearest=15).solve(upper)
    assert result.bound <= lp * (1 + 1e-9)
    assert result.bound >= lp * (1 - 5e-3), (result.bound, lp)
    assert result.plan.sum() == p


def test_greedy_plan_keeps_fixed_and_avoids_forbidden() -> None:
    cost, _ = euclidean(4, 50, 12)
    fixed = np.zeros(12, dtype=bool)
    forbidden = np.zeros(12, dtype=bool)
    fixed[[2, 7]] = True
    forbidden[[0, 1, 3]] = True
    cost[:, forbidden] = np.inf
    plan = greedy_plan(cost, 5, fixed, forbidden, block=7)
    assert plan.sum() == 5 and plan[fixed].all() and not plan[forbidden].any()
    dual = LagrangianDual(cost, 5, fixed, forbidden, nearest=4)
    result = dual.solve(float(np.where(plan[None, :], cost, np.inf).min(axis=1).sum()))
    assert np.all((result.frequency >= 0) & (result.frequency <= 1))
    assert result.frequency[fixed].min() == 1 and result.frequency[forbidden].max() == 0
    frequent = dual.frequent_plan(result.frequency)
    assert frequent.sum() == 5 and frequent[fixed].all() and not frequent[forbidden].any()


@pytest.mark.parametrize("seed", range(4))
def test_solve_from_the_head_start_is_exact(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head start (on from LAGRANGIAN_PAIRS pairs) changes the route, not the answer."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 100, size=(40, 18)).astype(float)
    weights = rng.integers(1, 4, size=40).astype(float)
    fixed = [3] if seed % 2 else None
    forbidden = [5, 6] if seed >= 2 else None
    compact = PMedian.from_cost_matrix(cost, weights=weights, p=4, formulation="radius",
                                       fixed=fixed, forbidden=forbidden).solve()
    monkeypatch.setattr(p_median, "LAGRANGIAN_PAIRS", 0)
    started = PMedian.from_cost_matrix(cost, weights=weights, p=4, fixed=fixed, forbidden=forbidden).solve()
    assert started.status == compact.status == "optimal"
    assert started.objective == pytest.approx(compact.objective, rel=1e-9)
    assert started.size["start_bound"] <= started.objective + 1e-6


def test_a_head_start_within_the_gap_skips_the_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    cost, weights = euclidean(8, 200, 60)
    monkeypatch.setattr(p_median, "LAGRANGIAN_PAIRS", 0)
    result = PMedian.from_cost_matrix(cost, weights=weights, p=8).solve(gap=0.05)
    assert result.size["lp_rounds"] == 0 and result.nodes == 0
    assert result.status in ("optimal", "feasible")
    assert result.gap <= 0.05
    exact = PMedian.from_cost_matrix(cost, weights=weights, p=8).solve()
    assert exact.objective >= result.bound - 1e-6
    assert result.objective <= exact.objective * 1.05 + 1e-6


def plan_cost(cost: np.ndarray, is_open: np.ndarray) -> tuple[int, float]:
    """(points left unserved, cost of the others): a plan that serves more points is better."""
    served = np.where(is_open[None, :], cost, np.inf).min(axis=1)
    return int(np.isinf(served).sum()), float(served[np.isfinite(served)].sum())


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), nearest=st.integers(1, 7))
def test_swap_search_ends_where_no_swap_lowers_the_cost(seed: int, nearest: int) -> None:
    """Also with short site lists (``nearest``), which send points to the full scan, and
    with pairs that cannot be served."""
    rng = np.random.default_rng(seed)
    n, m, p = 12, 7, int(rng.integers(1, 5))
    cost = rng.integers(1, 60, size=(n, m)).astype(float)
    cost[rng.random((n, m)) < 0.2] = np.inf
    fixed = np.zeros(m, dtype=bool)
    forbidden = np.zeros(m, dtype=bool)
    if seed % 3 == 0:
        fixed[0] = True
    if seed % 4 == 0:
        forbidden[m - 1] = True
    order = np.argsort(cost, axis=1, kind="stable")[:, :nearest]
    far = 1.0 + np.where(np.isfinite(cost), cost, 0.0).max(axis=1).sum()
    search = SwapSearch(cost, order, np.take_along_axis(cost, order, axis=1), p, fixed, forbidden, far, block=5)
    start = np.zeros(m, dtype=bool)
    start[fixed] = True
    start[rng.choice(np.flatnonzero(~fixed & ~forbidden), p - int(fixed.sum()), replace=False)] = True
    plan = search.improve(start)
    assert plan.sum() == p and plan[fixed].all() and not plan[forbidden].any()
    assert plan_cost(cost, plan) <= plan_cost(cost, start)
    for r, j in itertools.product(np.flatnonzero(plan & ~fixed), np.flatnonzero(~plan & ~forbidden)):
        swapped = plan.copy()
        swapped[r], swapped[j] = False, True
        assert plan_cost(cost, swapped) >= plan_cost(cost, plan)
