"""The Lagrangian bound, first plan and exact reductions of large single-source instances
(problems._sscflp_bounds): the knapsacks must be solved exactly, the bound must be valid
for any multipliers, and a solve that starts from the reductions must end at the same
optimum as HiGHS alone — with the model whole again afterwards."""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from optimise.solver import SolveOptions
from problems import cflp
from problems import _sscflp_bounds
from problems._sscflp_bounds import SingleSourceDual, knapsack_min
from problems.cflp import CFLP, SSCFLP


ONE_THREAD = SolveOptions(threads=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-40, 30), st.integers(1, 12)), min_size=0, max_size=9),
       st.integers(0, 40))
def test_knapsack_is_exact(items: list[tuple[int, int]], capacity: int) -> None:
    values = np.array([v for v, _ in items], dtype=float)
    weights = np.array([w for _, w in items], dtype=float)
    best = 0.0
    for chosen in itertools.product((0, 1), repeat=len(items)):
        z = np.array(chosen, dtype=float)
        if z @ weights <= capacity:
            best = min(best, float(z @ values))
    value, mask = knapsack_min(values, weights, capacity)
    assert value == pytest.approx(best)
    assert weights[mask].sum() <= capacity
    assert values[mask].sum() == pytest.approx(value)


@pytest.mark.parametrize("share", [0.3, 0.8])
def test_knapsack_both_tables(share: float) -> None:
    """Capacity a small share of the negative items' weight (the table over the capacity)
    and a large one (the table over the weight left out): both exact."""
    rng = np.random.default_rng(int(share * 10))
    for _ in range(40):
        values = rng.integers(-50, 10, size=11).astype(float)
        weights = rng.integers(1, 30, size=11).astype(float)
        capacity = int(share * weights[values < 0].sum())
        z = np.array(list(itertools.product((0, 1), repeat=11)), dtype=float)
        fits = z @ weights <= capacity
        value, mask = knapsack_min(values, weights, capacity)
        assert value == pytest.approx(min(0.0, float((z[fits] @ values).min())))
        assert weights[mask].sum() <= capacity
        assert values[mask].sum() == pytest.approx(value)


def instance(seed: int, n: int = 60, m: int = 12, tight: float = 1.3):
    rng = np.random.default_rng(seed)
    points, sites = rng.random((n, 2)) * 100, rng.random((m, 2)) * 100
    per_unit = np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    demand = rng.integers(1, 20, size=n).astype(float)
    capacity = np.full(m, np.ceil(tight * demand.sum() / 4))
    opening = rng.integers(200, 600, size=m).astype(float)
    return per_unit, demand, capacity, opening


@pytest.mark.parametrize("seed", range(4))
def test_bound_is_valid_for_any_multipliers(seed: int) -> None:
    per_unit, demand, capacity, opening = instance(seed, n=30, m=6)
    optimum = SSCFLP.from_cost_matrix(per_unit, weights=demand, capacity=capacity, opening_cost=opening).solve()
    cost = per_unit * demand[:, None]
    dual = SingleSourceDual(cost, demand, capacity, opening, np.zeros(6, bool), np.zeros(6, bool))
    rng = np.random.default_rng(seed)
    for _ in range(10):
        lam = rng.random(30) * cost.max()
        assert dual.evaluate(lam).bound <= optimum.objective + 1e-6
    assert dual.maximise(None).bound <= optimum.objective + 1e-6


@pytest.mark.parametrize("seed, fixed, forbidden", [(0, [], []), (1, [3], [5]), (2, [], [0, 1]), (3, [7], [])])
def test_reductions_keep_the_optimum(monkeypatch: pytest.MonkeyPatch, seed: int, fixed: list[int],
                                     forbidden: list[int]) -> None:
    per_unit, demand, capacity, opening = instance(seed)
    kwargs = dict(weights=demand, capacity=capacity, opening_cost=opening, fixed=fixed, forbidden=forbidden)
    alone = SSCFLP.from_cost_matrix(per_unit, **kwargs).solve()
    monkeypatch.setattr(cflp, "REDUCE_PAIRS", 0)
    problem = SSCFLP.from_cost_matrix(per_unit, **kwargs)
    model = problem.build()
    was_fixed = {v.name for v in model.component_data_objects(pyo.Var) if v.fixed}
    reduced = problem.solve_built(model, ONE_THREAD, as_built=True)
    assert alone.status == reduced.status == "optimal"
    assert reduced.objective == pytest.approx(alone.objective, rel=1e-9)
    size = reduced.size
    assert size["lagrangian_bound"] <= alone.objective + 1e-6
    assert size["start_objective"] >= alone.objective - 1e-6
    assert size["pairs_kept"] < len(model.maps["pairs"])  # the reductions removed something
    # this solve's fixings are undone: the model is whole again for a later solve
    assert {v.name for v in model.component_data_objects(pyo.Var) if v.fixed} == was_fixed
    assert list(model.reduced) == []


def split_cost(cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray, opening: np.ndarray,
               sites: np.ndarray) -> float:
    """Opening costs of ``sites`` plus the least cost of serving every point from them with
    split demand (an LP, written here from the instance arrays)."""
    n, k = len(demand), len(sites)
    assign = np.kron(np.eye(n), np.ones(k))  # Σ_j x_ij = 1, x ordered point-major
    load = np.kron(np.ones(n), np.eye(k)) * np.repeat(demand, k)  # Σ_i w_i x_ij ≤ s_j
    lp = linprog(cost[:, sites].ravel(), A_ub=load, b_ub=capacity[sites], A_eq=assign, b_eq=np.ones(n),
                 bounds=(0, 1), method="highs")
    assert lp.status == 0
    return float(opening[sites].sum() + lp.fun)


@pytest.mark.parametrize("seed", range(3))
def test_split_sites_are_those_of_the_split_demand_optimum(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """With every site a candidate and every pair allowed, the split-demand model's sites
    cost what the CFLP optimum costs, from any first plan: the start guides, it does not bind."""
    per_unit, demand, capacity, opening = instance(seed, n=40, m=8)
    optimum = CFLP.from_cost_matrix(per_unit, weights=demand, capacity=capacity, opening_cost=opening).solve()
    assert optimum.status == "optimal"
    monkeypatch.setattr(_sscflp_bounds, "SPLIT_SITES_PER_POINT", 8)
    cost = per_unit * demand[:, None]
    dual = SingleSourceDual(cost, demand, capacity, opening, np.zeros(8, bool), np.zeros(8, bool))
    state = dual.maximise(None)
    everything = np.arange(8)
    for start in (everything, np.flatnonzero(state.is_open)):
        sites = dual.split_sites(state, everything, start, 60.0, 1)
        assert sites is not None
        assert split_cost(cost, demand, capacity, opening, sites) == pytest.approx(optimum.objective, rel=1e-4)  # HiGHS stops within 0.01 %


@pytest.mark.parametrize("seed, fixed, forbidden", [(1, [3], [5]), (3, [7, 2], [])])
def test_first_plan_through_the_split_demand_model_keeps_the_rules(monkeypatch: pytest.MonkeyPatch, seed: int,
                                                                  fixed: list[int], forbidden: list[int]) -> None:
    """Forced through the split-demand step (small instances never need it), the first plan
    is still single-source, within capacity, off the forbidden sites, never below the bound,
    and the split model starts from and keeps the fixed sites."""
    per_unit, demand, capacity, opening = instance(seed)
    is_fixed, is_forbidden = np.zeros(12, bool), np.zeros(12, bool)
    is_fixed[fixed], is_forbidden[forbidden] = True, True
    dual = SingleSourceDual(per_unit * demand[:, None], demand, capacity, opening, is_fixed, is_forbidden)
    state = dual.maximise(None)
    seen = []
    split_sites = SingleSourceDual.split_sites

    def spy(self, state, candidates, start, *args):  # type: ignore[no-untyped-def]
        sites = split_sites(self, state, candidates, start, *args)
        seen.append((set(start.tolist()), None if sites is None else set(sites.tolist())))
        return sites

    monkeypatch.setattr(SingleSourceDual, "split_sites", spy)
    monkeypatch.setattr(_sscflp_bounds, "SPLIT_ABOVE_BOUND", -1.0)
    cost, plan = dual.first_plan(state, 10.0, 1)
    assert len(seen) == 1 and set(fixed) <= seen[0][0] and set(fixed) <= seen[0][1]
    assert not is_forbidden[plan].any()
    assert np.isfinite(dual.cost[np.arange(60), plan]).all()
    load = np.bincount(plan, weights=demand, minlength=12)
    assert (load <= capacity + 1e-9).all()
    is_open = is_fixed.copy()
    is_open[plan] = True
    assert cost == pytest.approx(opening[is_open].sum() + dual.cost[np.arange(60), plan].sum())
    assert cost >= state.bound - 1e-6


def test_a_later_solve_sees_the_whole_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later solve of the same model with a row added (as trade-offs do) may need a pair
    the reductions removed for the first solve: it must be free again."""
    per_unit, demand, capacity, opening = instance(5, n=40, m=8)
    monkeypatch.setattr(cflp, "REDUCE_PAIRS", 0)
    problem = SSCFLP.from_cost_matrix(per_unit, weights=demand, capacity=capacity, opening_cost=opening)
    model = problem.build()
    first = problem.solve_built(model, ONE_THREAD, as_built=True)
    assert first.status == "optimal" and first.size["pairs_kept"] < 40 * 8
    pairs = model.maps["pairs"]
    cost = (per_unit * demand[:, None])[pairs[:, 0], pairs[:, 1]]
    dearest = int(np.argmax(cost))
    probe = problem.build()  # the reductions of a first solve do remove this pair
    problem.starting_plan(probe, None, 0)
    assert any(var is probe.x[dearest] for var in probe.reduced)
    model.force = pyo.Constraint(expr=model.x[dearest] == 1)
    second = problem.solve_built(model, ONE_THREAD, own_objective=False)
    assert second.status == "optimal"
    assert pyo.value(model.x[dearest]) == pytest.approx(1.0)
    assert second.objective > first.objective


def test_highs_options_after_the_head_start_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS runs with the problem's head-start options when it starts from the head start's
    plan, and with its defaults when a solve starts from a plan the user gave."""
    from optimise import problem as engine

    seen = []
    solve_model = engine.solve_model

    def spy(*args, highs_options=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(dict(highs_options or {}))
        return solve_model(*args, highs_options=highs_options, **kwargs)

    monkeypatch.setattr(engine, "solve_model", spy)
    monkeypatch.setattr(cflp, "REDUCE_PAIRS", 0)
    per_unit, demand, capacity, opening = instance(2, n=40, m=8)
    problem = SSCFLP.from_cost_matrix(per_unit, weights=demand, capacity=capacity, opening_cost=opening)
    solved = problem.build()
    first = problem.solve_built(solved, ONE_THREAD, as_built=True)
    assert "lagrangian_bound" in first.size
    model = problem.build()
    given = [(model.y[j], round(pyo.value(solved.y[j]))) for j in range(8)]  # the first plan's sites
    second = problem.solve_built(model, ONE_THREAD, as_built=True, start=given)
    assert seen == [SSCFLP.head_start_highs_options, {}]
    assert second.objective == pytest.approx(first.objective)
