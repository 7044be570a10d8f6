"""The engine's branch and cut (optimise.branch_and_cut) on p-median masters: the tree must
prove the same optimum as the compact formulation solved by HiGHS alone, honour rows the
separator knows nothing of, keep its bound valid when stopped early, and reject a
heuristic's plan that breaks the master's rows."""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

from optimise.solver import SolveOptions
from problems.p_median import PMedian, RadiusCuts


def case(seed: int, n: int = 40, m: int = 20, integral: bool = True):
    """Random (non-metric) costs: their LP relaxations are rarely integral, so the tree
    has to branch (Euclidean cases this small are usually solved at the root)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 100, size=(n, m)).astype(float)
    if not integral:
        cost += rng.random((n, m))
    weights = rng.integers(1, 4, size=n).astype(float)
    return cost, weights, int(rng.integers(3, 7))


@pytest.mark.parametrize("seed", range(6))
def test_tree_proves_the_compact_optimum(seed: int) -> None:
    cost, weights, p = case(seed, integral=seed % 2 == 1)
    compact = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="radius").solve()
    tree = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="benders").solve()
    assert compact.status == tree.status == "optimal"
    assert tree.objective == pytest.approx(compact.objective, rel=1e-9)
    assert tree.bound == pytest.approx(tree.objective, rel=1e-9)


def test_the_cases_branch() -> None:
    """Guard on the cases above: most of them need a tree, not just the root."""
    nodes = [PMedian.from_cost_matrix(*case(seed)[:1], weights=case(seed)[1], p=case(seed)[2]).solve().nodes
             for seed in range(6)]
    assert sum(n > 1 for n in nodes) >= 4, nodes


@pytest.mark.parametrize("seed", range(4))
def test_tree_alone_without_heuristic(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans then come only from integral node LPs: the search itself must be exact."""
    monkeypatch.setattr(RadiusCuts, "heuristic", lambda self, x: None)
    cost, weights, p = case(seed + 10, n=30, m=14)
    compact = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="radius").solve()
    tree = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="benders").solve()
    assert tree.status == "optimal"
    assert tree.objective == pytest.approx(compact.objective, rel=1e-9)
    assert tree.nodes >= 1


def test_rows_unknown_to_the_separator_hold() -> None:
    """A row added to the master (as trade-offs and alternatives do) binds every plan, the
    heuristic's included: here the two sites of the free optimum may not open together."""
    cost, weights, p = case(3, n=30, m=10)
    free = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="benders").solve()
    a, b = sorted(int(s) for s in free.open_sites)[:2]  # ids are the column indices
    problem = PMedian.from_cost_matrix(cost, weights=weights, p=p, formulation="benders")
    model = problem.build()
    model.not_both = pyo.Constraint(expr=model.y[a] + model.y[b] <= 1)
    result = problem.solve_built(model, SolveOptions())
    best = min(
        (weights * cost[:, list(s)].min(axis=1)).sum()
        for s in itertools.combinations(range(cost.shape[1]), p) if not {a, b} <= set(s)
    )
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best, rel=1e-9)
    opened = {int(s) for s in result.open_sites}
    assert not {a, b} <= opened


def test_gap_and_time_limit_keep_an_honest_bound() -> None:
    cost, weights, p = case(5, n=150, m=60)
    exact = PMedian.from_cost_matrix(cost, weights=weights, p=p).solve()
    loose = PMedian.from_cost_matrix(cost, weights=weights, p=p).solve(gap=0.05)
    assert loose.status in ("optimal", "feasible")
    assert loose.bound <= exact.objective * (1 + 1e-9)
    assert loose.objective <= exact.objective * 1.05 + 1e-6
    if loose.status == "feasible":
        assert loose.gap is not None and 0 < loose.gap <= 0.05 + 1e-12
    short = PMedian.from_cost_matrix(cost, weights=weights, p=p).solve(time_limit=0.05)
    assert short.status in ("optimal", "feasible", "no_solution")
    if short.bound is not None:
        assert short.bound <= exact.objective * (1 + 1e-9)
    if short.status != "optimal" and short.objective is not None:
        assert short.objective >= exact.objective * (1 - 1e-9)


def test_the_time_limit_is_used_in_full() -> None:
    """HiGHS's run clock adds up over the many LPs of one search: the engine must give each
    LP the time left, not stop once the LPs' total exceeds it (it stopped at about half)."""
    rng = np.random.default_rng(5)
    cost = rng.integers(1, 100, size=(300, 100)).astype(float) + rng.random((300, 100))
    result = PMedian.from_cost_matrix(cost, p=10).solve(time_limit=3)
    if result.status != "optimal":  # this case needs far longer than 3 s on the machines we know
        assert result.solve_seconds >= 0.9 * 3, result.solve_seconds
