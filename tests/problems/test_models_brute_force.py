"""Each location model against brute-force enumeration on small random cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from problems.cflp import CFLP, SSCFLP
from problems.lscp import LSCP
from problems.mclp import MCLP
from problems.p_center import PCenter
from problems.p_median import PMedian

SEEDS = range(12)


def random_case(seed: int, sparse: bool = False):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(4, 9)), int(rng.integers(3, 7))
    cost = rng.integers(1, 30, size=(n, m)).astype(float)
    weights = rng.integers(0, 6, size=n).astype(float)
    if sparse:
        cost[rng.random((n, m)) < 0.3] = np.inf
        cost[:, 0] = rng.integers(1, 30, size=n)
    return rng, cost, weights


def subsets(m: int, p: int, fixed=(), forbidden=()):
    for s in itertools.combinations(range(m), p):
        if set(fixed) <= set(s) and not set(forbidden) & set(s):
            yield list(s)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("formulation", ["benders", "radius", "assignment"])
def test_p_median(seed: int, formulation: str) -> None:
    rng, cost, w = random_case(seed, sparse=seed % 3 == 0)
    m = cost.shape[1]
    p = int(rng.integers(1, m))
    fixed = [0] if seed % 4 == 0 else []
    forbidden = [m - 1] if seed % 5 == 1 and p < m - 1 else []
    best = min(
        (w * cost[:, s].min(axis=1)).sum() if np.isfinite(cost[:, s].min(axis=1)).all() else np.inf
        for s in subsets(m, p, fixed, forbidden)
    )
    res = PMedian.from_cost_matrix(cost, weights=w, p=p, fixed=fixed, forbidden=forbidden,
                                   formulation=formulation).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert len(res.open_sites) == p
    assert set(fixed) <= set(res.open_sites) and not set(forbidden) & set(res.open_sites)
    assert res.total_cost == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_center(seed: int) -> None:
    rng, cost, _ = random_case(seed, sparse=seed % 3 == 0)
    m = cost.shape[1]
    p = int(rng.integers(1, m))
    fixed = [0] if seed % 4 == 0 else []
    best = min(cost[:, s].min(axis=1).max() for s in subsets(m, p, fixed))
    res = PCenter.from_cost_matrix(cost, p=p, fixed=fixed).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert res.radius == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp(seed: int) -> None:
    rng, cost, w = random_case(seed)
    m = cost.shape[1]
    p = int(rng.integers(1, m))
    radius = float(rng.integers(5, 20))
    best = max(w[(cost[:, s] <= radius).any(axis=1)].sum() for s in subsets(m, p))
    res = MCLP.from_cost_matrix(cost, weights=w, p=p, service_radius=radius).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert res.covered_demand == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp(seed: int) -> None:
    rng, cost, _ = random_case(seed)
    n, m = cost.shape
    radius = float(np.sort(cost, axis=1)[:, 1].max())  # every point has at least two sites in reach
    f = rng.integers(1, 10, size=m).astype(float)
    best = min(f[list(s)].sum() for k in range(1, m + 1) for s in itertools.combinations(range(m), k)
               if (cost[:, list(s)] <= radius).any(axis=1).all())
    res = LSCP.from_cost_matrix(cost, service_radius=radius, opening_cost=f, use_site_cost=True).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    fewest = min(k for k in range(1, m + 1) for s in itertools.combinations(range(m), k)
                 if (cost[:, list(s)] <= radius).any(axis=1).all())
    assert LSCP.from_cost_matrix(cost, service_radius=radius).solve().objective == pytest.approx(fewest)


def _transport_cost(total: np.ndarray, demand: np.ndarray, cap: np.ndarray, sites: list[int]) -> float:
    """Least cost of splitting demand over the open ``sites`` (an LP, solved by scipy)."""
    n, k = total.shape[0], len(sites)
    c = total[:, sites].ravel()
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.zeros((k, n * k))
    for j in range(k):
        a_ub[j, j::k] = demand
    res = linprog(c, A_ub=a_ub, b_ub=cap[sites], A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1), method="highs")
    return res.fun if res.status == 0 else np.inf


def capacitated_case(seed: int):
    rng = np.random.default_rng(100 + seed)
    n, m = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    demand = rng.integers(1, 10, size=n).astype(float)
    cap = rng.integers(8, 25, size=m).astype(float)
    if cap.sum() < demand.sum():
        cap *= demand.sum() / cap.sum() + 0.5
    per_unit = rng.integers(1, 20, size=(n, m)).astype(float)
    f = rng.integers(5, 40, size=m).astype(float)
    return demand, cap, per_unit, f


@pytest.mark.parametrize("seed", SEEDS)
def test_cflp(seed: int) -> None:
    demand, cap, per_unit, f = capacitated_case(seed)
    m = len(cap)
    total = per_unit * demand[:, None]
    best = min(f[list(s)].sum() + _transport_cost(total, demand, cap, list(s))
               for k in range(1, m + 1) for s in itertools.combinations(range(m), k))
    res = CFLP.from_cost_matrix(per_unit, weights=demand, capacity=cap, opening_cost=f).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, rel=1e-7)
    served = res.tables["sites"].set_index("id")["demand_served"]
    assert (served.to_numpy() <= cap + 1e-6).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_sscflp(seed: int) -> None:
    demand, cap, per_unit, f = capacitated_case(seed)
    n, m = per_unit.shape
    total = per_unit * demand[:, None]
    best = np.inf
    for assign in itertools.product(range(m), repeat=n):
        load = np.bincount(assign, weights=demand, minlength=m)
        if (load <= cap).all():
            used = sorted(set(assign))
            best = min(best, f[used].sum() + total[np.arange(n), assign].sum())
    if not np.isfinite(best):
        pytest.skip("no single-source plan for this draw")
    res = SSCFLP.from_cost_matrix(per_unit, weights=demand, capacity=cap, opening_cost=f).solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert res.split_points == 0
