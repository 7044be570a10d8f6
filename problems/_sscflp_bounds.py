r"""A Lagrangian bound, a first plan and exact reductions for large single-source
capacitated facility location (SSCFLP) instances.

Relax the assignment rows Σ_j x_ij = 1 with multipliers λ_i. What is left splits by site:

    L(λ) = Σ_i λ_i + min { Σ_j ρ_j(λ) y_j : y ∈ {0,1}, Σ_j y_j ≥ k_min, y_j = 1 (fixed) },
    ρ_j(λ) = f_j + min { Σ_i (c_ij − λ_i) x_ij : Σ_i w_i x_ij ≤ s_j, x ∈ {0,1} }

(a 0-1 knapsack per site, solved exactly by dynamic programming over integer demands;
k_min is the fewest sites whose capacities can hold the total demand). For every λ, L(λ) is
a lower bound on the optimum, and its best value is at least the LP bound of the strong
formulation: the knapsacks are solved in integers (Geoffrion 1974; for the SSCFLP, e.g.
Holmberg, Rönnqvist and Yuan 1999). It is maximised by deflected subgradient steps with
Polyak's step length towards a target a little above the best bound (the plans found early
are poor, and a step aimed at them overshoots).

A first plan: the better of up to two restricted models, each letting a point go to its ten
sites of smallest c_ij − λ_i among a few sites — the sites the best multipliers open and the
next by ρ_j until they hold 1.3 times the demand; and, when that plan is still more than
0.15 % above the bound, the sites of the best split-demand plan (CFLP: y binary, x
continuous) over the candidate sites (those whose ρ_j is near the k_min-th smallest), each
point allowed its twelve cheapest of them by c_ij − λ_i, started from the first plan's
sites. When the ρ_j of many sites are nearly equal, which of them the multipliers open is a
matter of chance (capa3: 2.6 % above the optimum); the CFLP changes several sites at once
(on capb3 four of eight). An earlier version ran a swap search (one or two sites moved at a
time, each set scored by the split assignment's LP) between the two: on all twelve of capa,
capb and capc it changed no first plan once the CFLP step was there, and cost up to 20 s.
Each model is small enough for HiGHS to solve in seconds.

Exact reductions against the first plan's cost U (reduced-cost fixing on the Lagrangian):
with S_j the best choice of the other sites when j is open, Z_j when it is closed,

    y_j = 1 costs at least   Σ λ + S_j + ρ_j           → y_j = 0 when that exceeds U;
    y_j = 0 costs at least   Σ λ + Z_j                 → y_j = 1 when that exceeds U;
    x_ij = 1 costs at least  Σ λ + S_j + ρ_j + c_ij − λ_i  → x_ij = 0 when that exceeds U

(forcing i into j's knapsack leaves a knapsack over fewer items and less capacity, whose
value is at least the free knapsack's). A plan that breaks a reduction costs more than U,
so the best plan keeps them all: a proof of optimality over what is left is one for the
whole problem, and so is the bound. Why it is here: on OR-Library's capa, capb and capc
(100 sites, 1,000 customers) the LP alone takes HiGHS about 90 s on one thread and is about
2 % below the optimum (HiGHS 1.16 alone: capb1 in 220 s to over 300 s); after the reductions
a tenth to a third of the pairs are left and HiGHS proves capb1 in under a second, all twelve
within 230 s in all (``benchmarks/results/sscflp_large.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from optimise.solver import run_highs

#: Polyak's target: this far above the best bound so far (relative).
TARGET_ABOVE = 0.005
#: Stop when the best bound gained less than this (relative) over the last WINDOW steps.
MIN_GAIN = 1e-4
WINDOW = 100
#: Steps without a better bound before the step factor is halved.
PATIENCE = 20
#: Deflection: the step direction keeps this share of the previous one.
DEFLECTION = 0.5
#: The first plan: sites until their capacity holds this multiple of the demand, and each
#: point's cheapest sites among them by reduced cost.
CAPACITY_MARGIN = 1.3
SITES_PER_POINT = 10
#: Seconds HiGHS may take for the first plan (the restricted models together).
PLAN_SECONDS = 20.0
#: The split-demand model over the candidates: run when the best plan so far is this far
#: above the bound (relative; below it the reductions already leave little), each point's
#: cheapest candidates, and its seconds.
SPLIT_ABOVE_BOUND = 0.0015
SPLIT_SITES_PER_POINT = 12
SPLIT_SECONDS = 40.0
#: The split-demand model's candidate sites: those whose forced opening keeps the bound
#: within this share of it (at least k_min + MIN_CANDIDATES, at most MAX_CANDIDATES).
CANDIDATE_GAP = 0.005
MIN_CANDIDATES = 5
MAX_CANDIDATES = 40
#: The dynamic programme keeps a table of items × capacity booleans; above this many
#: cells per site the reductions are not attempted.
MAX_TABLE = 50_000_000


def knapsack_min(values: np.ndarray, weights: np.ndarray, capacity: int) -> tuple[float, np.ndarray]:
    """min Σ v_k z_k subject to Σ w_k z_k ≤ capacity, z ∈ {0,1} (integer weights): only the
    items of negative value can help. Returns the value and the items chosen (a mask).

    The dynamic programme runs over the smaller of two tables: which items to take within
    the capacity, or which of the negative items to leave out so that what is left fits —
    a covering knapsack over the excess weight Σ w − capacity, which is usually a fraction
    of the capacity (the bound evaluates a hundred of these per step)."""
    chosen = np.zeros(len(values), dtype=bool)
    items = np.flatnonzero(values < 0)
    excess = int(weights[items].sum()) - capacity
    if excess <= 0:
        chosen[items] = True
        return float(values[items].sum()), chosen
    if excess < capacity:
        left_out, loss = _cover_min(-values[items], weights[items], excess)
        chosen[items[~left_out]] = True
        return float(values[items].sum() + loss), chosen
    best = np.zeros(capacity + 1)  # best[c]: least value within capacity c
    took = np.zeros((len(items), capacity + 1), dtype=bool)
    candidate = np.empty(capacity + 1)
    for k, i in enumerate(items):
        w = int(weights[i])
        if w > capacity:
            continue
        np.add(best[: capacity + 1 - w], values[i], out=candidate[w:])
        np.less(candidate[w:], best[w:], out=took[k, w:])
        np.minimum(candidate[w:], best[w:], out=best[w:])
    c = capacity
    for k in range(len(items) - 1, -1, -1):
        if took[k, c]:
            chosen[items[k]] = True
            c -= int(weights[items[k]])
    return float(best[capacity]), chosen


def _cover_min(losses: np.ndarray, weights: np.ndarray, need: int) -> tuple[np.ndarray, float]:
    """min Σ a_k z_k subject to Σ w_k z_k ≥ need, z ∈ {0,1} (a_k ≥ 0, integer weights, the
    items together weigh at least ``need``): the items picked (a mask) and their total."""
    least = np.full(need + 1, np.inf)  # least[c]: least total of items weighing c or more
    least[0] = 0.0
    took = np.zeros((len(losses), need + 1), dtype=bool)
    candidate = np.empty(need + 1)
    for k in range(len(losses)):
        # reaching c with item k: c − w or more from the others (0 or more when w ≥ c)
        w = min(int(weights[k]), need + 1)
        candidate[:w] = losses[k]
        np.add(least[: need + 1 - w], losses[k], out=candidate[w:])
        np.less(candidate, least, out=took[k])
        np.minimum(candidate, least, out=least)
    picked = np.zeros(len(losses), dtype=bool)
    c = need
    for k in range(len(losses) - 1, -1, -1):
        if took[k, c]:
            picked[k] = True
            c = max(c - int(weights[k]), 0)
    return picked, float(least[need])


@dataclass
class LagrangianState:
    bound: float
    lam: np.ndarray
    rho: np.ndarray  # ρ_j(λ)
    is_open: np.ndarray  # the sites of the relaxation's optimum
    assigned: np.ndarray  # (n, m) bool: x of the relaxation's optimum
    steps: int = 0  # subgradient steps taken to reach it


@dataclass
class Reductions:
    upper: float  # the first plan's cost U
    bound: float  # the Lagrangian bound
    plan: np.ndarray  # the first plan: site of each point
    must_close: np.ndarray  # (m,) bool
    must_open: np.ndarray  # (m,) bool
    keep: np.ndarray  # (n, m) bool: pairs that may still be used
    steps: int
    seconds: float


class SingleSourceDual:
    """The Lagrangian dual of the assignment rows (see the module docstring)."""

    def __init__(self, cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray, opening: np.ndarray,
                 fixed: np.ndarray, forbidden: np.ndarray) -> None:
        self.cost, self.demand, self.opening = cost, demand, opening
        self.capacity = np.floor(capacity + 1e-9).astype(int)  # integer demands: floor is exact
        self.fixed, self.forbidden = fixed, forbidden
        self.n, self.m = cost.shape
        allowed = np.sort(self.capacity[~forbidden])[::-1]
        self.k_min = int(np.searchsorted(np.cumsum(allowed), demand.sum() - 1e-9) + 1)

    @staticmethod
    def applies(demand: np.ndarray, capacity: np.ndarray) -> bool:
        """Integer demands and a knapsack table of bounded size."""
        return bool(np.all(demand == np.round(demand)) and len(demand) * (float(capacity.max()) + 1) <= MAX_TABLE)

    def evaluate(self, lam: np.ndarray) -> LagrangianState:
        reduced = self.cost - lam[:, None]
        rho = np.full(self.m, np.inf)
        assigned = np.zeros((self.n, self.m), dtype=bool)
        for j in np.flatnonzero(~self.forbidden):
            value, chosen = knapsack_min(reduced[:, j], self.demand, int(self.capacity[j]))
            rho[j] = self.opening[j] + value
            assigned[chosen, j] = True
        is_open = self._choose(rho, self.k_min, self.fixed)
        assigned[:, ~is_open] = False
        return LagrangianState(float(lam.sum() + rho[is_open].sum()), lam, rho, is_open, assigned)

    def _choose(self, rho: np.ndarray, need: int, fixed: np.ndarray) -> np.ndarray:
        """The cheapest sites by ρ: the fixed ones, every one of negative ρ, and the next
        cheapest until there are ``need``."""
        is_open = fixed | (rho < 0)
        missing = need - int(is_open.sum())
        if missing > 0:
            order = np.argsort(np.where(is_open, np.inf, rho), kind="stable")
            is_open[order[:missing]] = True
        return is_open & np.isfinite(rho)

    def _choice_cost(self, rho: np.ndarray, need: int, fixed: np.ndarray) -> float:
        chosen = self._choose(rho, need, fixed)
        return float(rho[chosen].sum()) if chosen.sum() >= need else np.inf

    def maximise(self, deadline: float | None) -> LagrangianState:
        # start: each point at its cheapest site, its opening cost shared by demand
        lam = np.min(self.cost + (self.opening / np.maximum(self.capacity, 1))[None, :] * self.demand[:, None], axis=1)
        state = self.evaluate(lam)
        best, history = state, [state.bound]
        step, stall, direction = 1.0, 0, np.zeros(self.n)
        while deadline is None or time.perf_counter() < deadline:
            gradient = 1.0 - state.assigned.sum(axis=1)
            direction = gradient + DEFLECTION * direction
            norm = float(direction @ direction)
            if norm == 0:  # the relaxation's plan assigns every point once: it is optimal
                break
            target = best.bound + TARGET_ABOVE * abs(best.bound)
            state = self.evaluate(state.lam + step * (target - state.bound) / norm * direction)
            if state.bound > best.bound:
                best, stall = state, 0
            else:
                stall += 1
                if stall >= PATIENCE:
                    step, stall = step / 2, 0
            history.append(best.bound)
            if len(history) > WINDOW and history[-1] - history[-1 - WINDOW] < MIN_GAIN * abs(history[-1]):
                break
        best.steps = len(history) - 1
        return best

    def first_plan(self, state: LagrangianState, seconds: float, threads: int | None,
                   split_seconds: float = SPLIT_SECONDS) -> tuple[float, np.ndarray] | None:
        """The better of the restricted models (see the module docstring): over the sites the
        multipliers open (and the next by ρ_j) and, when that plan is still more than
        SPLIT_ABOVE_BOUND above the bound, over the sites of the split-demand plan started
        from its sites. Its cost and the site of each point, or None when HiGHS finds none in
        time."""
        rho = np.where(self.forbidden, np.inf, state.rho)
        sites = list(np.flatnonzero(state.is_open))
        for j in np.argsort(rho, kind="stable"):
            if self.capacity[sites].sum() >= CAPACITY_MARGIN * self.demand.sum() or not np.isfinite(rho[j]):
                break
            if j not in sites:
                sites.append(int(j))
        best = self._restricted(np.array(sorted(sites)), state, seconds / 2, threads)
        if split_seconds > 0 and (best is None or best[0] > state.bound + SPLIT_ABOVE_BOUND * abs(state.bound)):
            start = np.flatnonzero(state.is_open) if best is None else np.union1d(best[1], np.flatnonzero(self.fixed))
            split = self.split_sites(state, self.candidates(state), start, split_seconds, threads)
            if split is not None and set(split.tolist()) != set(start.tolist()):
                found = self._restricted(split, state, seconds / 2, threads)
                if found is not None and (best is None or found[0] < best[0]):
                    best = found
        return best

    def split_sites(self, state: LagrangianState, candidates: np.ndarray, start: np.ndarray, seconds: float,
                    threads: int | None) -> np.ndarray | None:
        """The sites of the best split-demand plan (CFLP) over ``candidates``, each point
        allowed its SPLIT_SITES_PER_POINT cheapest of them by c_ij − λ_i, HiGHS started
        from the sites ``start``; None when it finds no plan in time."""
        points, pair_sites = self._cheapest_pairs(candidates, state, SPLIT_SITES_PER_POINT)
        h = restricted_model(self, candidates, points, pair_sites, seconds, threads,
                             split=True, start=np.isin(candidates, start))
        if h.getInfo().primal_solution_status != 2:
            return None
        return candidates[np.asarray(h.getSolution().col_value)[: len(candidates)] > 0.5]

    def _restricted(self, sites: np.ndarray, state: LagrangianState, seconds: float,
                    threads: int | None) -> tuple[float, np.ndarray] | None:
        points, pair_sites = self._cheapest_pairs(sites, state, SITES_PER_POINT)
        return solve_restricted(self, sites, points, pair_sites, seconds, threads)

    def _cheapest_pairs(self, sites: np.ndarray, state: LagrangianState, per_point: int) -> tuple[np.ndarray, np.ndarray]:
        """(point, site) pairs: each point with its ``per_point`` allowed sites among ``sites``
        of smallest c_ij − λ_i."""
        k = min(per_point, len(sites))
        nearest = np.argsort(self.cost[:, sites] - state.lam[:, None], axis=1, kind="stable")[:, :k]
        points = np.repeat(np.arange(self.n), k)
        pair_sites = sites[nearest.ravel()]
        finite = np.isfinite(self.cost[points, pair_sites])
        return points[finite], pair_sites[finite]

    def candidates(self, state: LagrangianState) -> np.ndarray:
        """The sites whose forced opening keeps the bound within CANDIDATE_GAP of it (at
        least k_min + MIN_CANDIDATES by ρ_j, at most MAX_CANDIDATES more), and the fixed ones."""
        rho = np.where(self.forbidden, np.inf, state.rho)
        order = np.argsort(rho, kind="stable")
        kth = rho[order[min(self.k_min, self.m) - 1]]
        near = order[np.isfinite(rho[order]) & (rho[order] - kth <= CANDIDATE_GAP * abs(state.bound))]
        candidates = np.union1d(order[: self.k_min + MIN_CANDIDATES], near[:MAX_CANDIDATES])
        return np.union1d(candidates[np.isfinite(rho[candidates])], np.flatnonzero(self.fixed))

    def reductions(self, state: LagrangianState, upper: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(must_close, must_open, keep) against a plan of cost ``upper`` (module docstring)."""
        rho, base = state.rho, float(state.lam.sum())
        slack = upper + 1e-9 * max(1.0, abs(upper))
        open_cost = np.full(self.m, np.inf)  # S_j + ρ_j
        closed_cost = np.full(self.m, np.inf)  # Z_j
        for j in range(self.m):
            others = rho.copy()
            others[j] = np.inf
            fixed = self.fixed.copy()
            fixed[j] = False
            if np.isfinite(rho[j]):
                open_cost[j] = rho[j] + self._choice_cost(others, self.k_min - 1, fixed)
            if not self.fixed[j]:
                closed_cost[j] = self._choice_cost(others, self.k_min, fixed)
        must_close = base + open_cost > slack
        must_open = base + closed_cost > slack
        keep = (base + open_cost[None, :] + (self.cost - state.lam[:, None]) <= slack) & np.isfinite(self.cost)
        keep[:, must_close] = False
        return must_close, must_open, keep

    def reduce(self, deadline: float | None, threads: int | None) -> Reductions | None:
        """The bound until ``deadline``; then the split-demand model and the restricted models
        get their own seconds on top, each at most half the bound's time (the split-demand
        model: at most the bound's time; a short time limit stays short): without a good plan
        the reductions remove nothing."""
        t0 = time.perf_counter()
        state = self.maximise(deadline)
        half = np.inf if deadline is None else max(deadline - t0, 0.0) / 2
        found = self.first_plan(state, min(PLAN_SECONDS, half), threads, split_seconds=min(SPLIT_SECONDS, 2 * half))
        if found is None:
            return None
        upper, plan = found
        must_close, must_open, keep = self.reductions(state, upper)
        keep[np.arange(self.n), plan] = True  # (already so: the plan costs U, not more)
        return Reductions(upper, state.bound, plan, must_close, must_open, keep, state.steps,
                          time.perf_counter() - t0)


def run_arrays(cost: np.ndarray, col_lower: np.ndarray, matrix: sp.csr_matrix, row_lower: np.ndarray,
               row_upper: np.ndarray, *, integer_columns: int, options: dict[str, object],
               start: tuple[np.ndarray, np.ndarray] | None = None) -> highspy.Highs:
    """Columns in [col_lower, 1] with ``cost`` (the first ``integer_columns`` of them
    integer), rows ``row_lower ≤ matrix x ≤ row_upper``, handed straight to HiGHS (quiet,
    with ``options``) and run; ``start``: (columns, values) of a partial first plan, which
    HiGHS completes and starts from when it keeps every row."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    n = len(cost)
    h.addCols(n, cost, col_lower, np.ones(n), 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
    h.addRows(len(row_lower), row_lower, row_upper, matrix.nnz, matrix.indptr.astype(np.int32),
              matrix.indices.astype(np.int32), matrix.data.astype(float))
    if integer_columns:
        h.changeColsIntegrality(integer_columns, np.arange(integer_columns, dtype=np.int32),
                                np.ones(integer_columns, dtype=np.uint8))
    if start is not None:
        columns, values = start
        h.setSolution(len(columns), columns.astype(np.int32), values.astype(float))
    run_highs(h)
    return h


def restricted_model(dual: SingleSourceDual, sites: np.ndarray, points: np.ndarray, pair_sites: np.ndarray,
                     seconds: float, threads: int | None, *, split: bool = False,
                     start: np.ndarray | None = None) -> highspy.Highs:
    """The strong formulation over the given sites and pairs, straight to HiGHS and run:
    columns y (one per site, in the order of ``sites``), then x (one per pair); x binary, or
    continuous when ``split``. ``start``: which sites a first plan opens."""
    n, ms, npairs = dual.n, len(sites), len(points)
    column_of_site = np.full(dual.m, -1)
    column_of_site[sites] = np.arange(ms)
    site_col = column_of_site[pair_sites]
    q = np.arange(npairs)
    ncols = ms + npairs
    assign = sp.csr_matrix((np.ones(npairs), (points, ms + q)), shape=(n, ncols))
    capacity = sp.csr_matrix(
        (np.concatenate([dual.demand[points], -dual.capacity[sites].astype(float)]),
         (np.concatenate([site_col, np.arange(ms)]), np.concatenate([ms + q, np.arange(ms)]))), shape=(ms, ncols))
    link = sp.csr_matrix((np.concatenate([np.ones(npairs), -np.ones(npairs)]),
                          (np.concatenate([q, q]), np.concatenate([ms + q, site_col]))), shape=(npairs, ncols))
    # the total capacity row is implied, yet it guides HiGHS's heuristics: without it the
    # first plan on capb1 is 21 % dearer after the same 20 s
    total = sp.csr_matrix((dual.capacity[sites].astype(float), (np.zeros(ms, dtype=int), np.arange(ms))),
                          shape=(1, ncols))
    matrix = sp.vstack([assign, capacity, link, total], format="csr")
    inf = highspy.kHighsInf
    lower = np.concatenate([np.ones(n), np.full(ms + npairs, -inf), [dual.demand.sum()]])
    upper = np.concatenate([np.ones(n), np.zeros(ms + npairs), [inf]])
    col_lower = np.zeros(ncols)
    col_lower[column_of_site[sites[dual.fixed[sites]]]] = 1.0
    options: dict[str, object] = {"time_limit": float(seconds), "mip_rel_gap": 1e-4}
    if threads is not None:
        options["threads"] = int(threads)
    first = None if start is None else (np.arange(ms), start.astype(float))
    return run_arrays(np.concatenate([dual.opening[sites], dual.cost[points, pair_sites]]), col_lower, matrix,
                      lower, upper, integer_columns=ms if split else ncols, options=options, start=first)


def solve_restricted(dual: SingleSourceDual, sites: np.ndarray, points: np.ndarray, pair_sites: np.ndarray,
                     seconds: float, threads: int | None) -> tuple[float, np.ndarray] | None:
    """The single-source plan of :func:`restricted_model`: its cost and the site of each point."""
    h = restricted_model(dual, sites, points, pair_sites, seconds, threads)
    if h.getInfo().primal_solution_status != 2:
        return None
    x = np.asarray(h.getSolution().col_value)[len(sites):] > 0.5
    plan = np.full(dual.n, -1)
    plan[points[x]] = pair_sites[x]
    if (plan < 0).any():
        return None
    is_open = dual.fixed.copy()
    is_open[plan] = True
    return float(dual.opening[is_open].sum() + dual.cost[np.arange(dual.n), plan].sum()), plan
