r"""Fast bounds and plans for large p-median instances: greedy addition and the Lagrangian
relaxation of the assignment constraints (Cornuéjols, Fisher and Nemhauser 1977; Beasley
1993).

With costs c_ij (``inf``: j cannot serve i), relax Σ_j x_ij = 1 with multipliers λ_i:

    L(λ) = Σ_i λ_i + min { Σ_j ρ_j(λ) y_j : Σ_j y_j = p, y fixed/forbidden as given },
    ρ_j(λ) = Σ_i min(0, c_ij − λ_i).

For every λ, L(λ) is a lower bound on the optimum; its maximum equals the LP bound of the
classical (and of the radius) formulation. It is maximised by deflected subgradient steps
(Camerini, Fratta and Maffioli 1975) with Polyak's step length towards the best known plan,
halving the step when the bound stalls. Each step costs O(|I|·K): only the K cheapest sites
of each demand point are kept, and λ_i is capped at the (K+1)-th cheapest cost of i, so
every dropped pair has c_ij − λ_i ≥ 0 and contributes nothing — the bound stays valid.

Why it is here: on a 20,000 × 2,000 city the LP of the Benders master takes many minutes
to re-solve to its bound (the rows are long and many); the subgradient reaches the same
bound to within a few hundredths of a percent in well under a minute, and the sites it
picks at the best λ are a much better start for vertex substitution than greedy addition
(see ``benchmarks/results/city_scale.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

#: Sites kept per demand point in the subgradient (the cap keeps the bound valid).
NEAREST = 200
#: Stop when the step factor falls below this, or the bound stalls.
MIN_STEP = 1e-4
#: Steps without a better bound before the step factor is halved.
PATIENCE = 30
#: Deflection: the step direction keeps this share of the previous one.
DEFLECTION = 0.7


def greedy_plan(cost: np.ndarray, p: int, fixed: np.ndarray, forbidden: np.ndarray,
                block: int) -> np.ndarray:
    """Open the fixed sites, then one site at a time the one that lowers the total most
    (Kuehn and Hamburger 1963). Demand points are processed in blocks of ``block`` rows so
    that memory stays bounded."""
    n, m = cost.shape
    is_open = fixed.copy()
    served = cost[:, is_open].min(axis=1) if is_open.any() else np.full(n, np.inf)
    # a demand point nobody serves yet counts at its dearest finite cost, so that the first
    # sites chosen are those that reach many points cheaply
    dearest = np.where(np.isfinite(cost), cost, -np.inf).max(axis=1)
    for _ in range(p - int(is_open.sum())):
        current = np.where(np.isfinite(served), served, dearest)
        saving = np.zeros(m)
        for start in range(0, n, block):
            part = cost[start:start + block]
            saving += np.maximum(current[start:start + block, None] - part, 0.0).sum(axis=0)
        saving[is_open | forbidden] = -np.inf
        j = int(np.argmax(saving))
        is_open[j] = True
        served = np.minimum(served, cost[:, j])
    return is_open


@dataclass
class LagrangianResult:
    bound: float
    multipliers: np.ndarray
    plan: np.ndarray  # the sites chosen at the best multipliers (bool per site)
    frequency: np.ndarray  # share of the steps at which each site was chosen
    iterations: int
    seconds: float


class LagrangianDual:
    """The subgradient over λ described in the module docstring."""

    def __init__(self, cost: np.ndarray, p: int, fixed: np.ndarray, forbidden: np.ndarray,
                 nearest: int = NEAREST) -> None:
        n, m = cost.shape
        self.n, self.m, self.p = n, m, p
        self.fixed, self.forbidden = fixed, forbidden
        self.free_slots = p - int(fixed.sum())
        k = min(nearest, m)
        if k < m:
            part = np.argpartition(cost, k, axis=1)[:, : k + 1]
        else:
            part = np.broadcast_to(np.arange(m), (n, m))
        values = np.take_along_axis(cost, part, axis=1)
        order = np.argsort(values, axis=1, kind="stable")
        part = np.take_along_axis(part, order, axis=1)
        values = np.take_along_axis(values, order, axis=1)
        # λ_i above the first dropped cost would make dropped pairs count: cap it there
        self.cap = values[:, k] if k < m else np.full(n, np.inf)
        self.sites = np.ascontiguousarray(part[:, :k])
        self.cost = np.ascontiguousarray(values[:, :k])
        self.floor = self.cost[:, 0]
        self.flat_sites = self.sites.ravel()

    def reduced_costs(self, lam: np.ndarray) -> np.ndarray:
        """ρ_j(λ) of every site."""
        return np.bincount(self.flat_sites, np.minimum(self.cost - lam[:, None], 0.0).ravel(), minlength=self.m)

    def value(self, lam: np.ndarray) -> tuple[float, np.ndarray]:
        """L(λ) and the sites that attain it."""
        rho = self.reduced_costs(lam)
        chosen = self.fixed.copy()
        if self.free_slots > 0:
            score = np.where(self.fixed | self.forbidden, np.inf, rho)
            chosen[np.argpartition(score, self.free_slots - 1)[: self.free_slots]] = True
        return float(lam.sum() + rho[chosen].sum()), chosen

    def solve(self, upper: float, *, deadline: float | None = None, target_gap: float = 0.0) -> LagrangianResult:
        """Maximise L(λ) from λ_i = the second-cheapest cost of i, towards ``upper``."""
        start = time.perf_counter()
        col = min(1, self.cost.shape[1] - 1)
        lam = np.minimum(self.cost[:, col], self.cap)
        best, best_lam, best_plan = -np.inf, lam, np.zeros(self.m, dtype=bool)
        step, stall, direction = 2.0, 0, None
        iterations = 0
        chosen_count = np.zeros(self.m)
        while step >= MIN_STEP:
            if deadline is not None and time.perf_counter() >= deadline:
                break
            iterations += 1
            bound, chosen = self.value(lam)
            chosen_count[chosen] += 1
            if bound > best + 1e-12 * abs(bound):
                best, best_lam, best_plan, stall = bound, lam, chosen, 0
            else:
                stall += 1
                if stall >= PATIENCE:
                    step, stall = step / 2, 0
            if upper - best <= target_gap * abs(upper):
                break
            covered = ((self.cost < lam[:, None]) & chosen[self.sites]).sum(axis=1)
            g = 1.0 - covered
            direction = g if direction is None else g + DEFLECTION * direction
            norm = float(direction @ direction)
            if norm == 0.0:  # λ is optimal: every demand point covered exactly once
                break
            lam = np.clip(lam + step * max(upper - bound, 0.0) / norm * direction, self.floor, self.cap)
        frequency = chosen_count / max(iterations, 1)
        return LagrangianResult(best, best_lam, best_plan, frequency, iterations, time.perf_counter() - start)

    def frequent_plan(self, frequency: np.ndarray) -> np.ndarray:
        """The fixed sites and the sites chosen most often along the way: a rounding of the
        averaged Lagrangian solutions, which approach an optimal LP solution."""
        plan = self.fixed.copy()
        if self.free_slots > 0:
            score = np.where(self.fixed | self.forbidden, -np.inf, frequency)
            plan[np.argsort(-score, kind="stable")[: self.free_slots]] = True
        return plan


class SwapSearch:
    r"""Vertex substitution (Teitz and Bart 1968): swap an open site for a closed one while
    the best swap lowers the total cost, with every swap scored at once.

    For an open set S let d1_i, d2_i be the costs of i to its nearest and second-nearest
    open sites, and φ_i its nearest. Opening j and closing r changes the total by

        Δ(j, r) = −gain_j + loss_r − extra_jr,
        gain_j   = Σ_i max(0, d1_i − c_ij)                      (i moves to j),
        loss_r   = Σ_{i: φ_i = r} (d2_i − d1_i)                 (i falls back to d2),
        extra_jr = Σ_{i: φ_i = r, c_ij < d2_i} (d2_i − max(c_ij, d1_i))

    (Whitaker 1983; Resende and Werneck 2007). Only pairs with c_ij < d2_i contribute, so
    for a demand point whose K cheapest sites reach past d2_i the sums run over those K
    sites alone (``nearest``: the K cheapest sites and costs of every point, sorted); the
    few points whose d2_i lies beyond them are summed over all sites. The scores are exact.
    Costs ``inf`` (cannot serve) count as ``far``, which must exceed any plan's total finite
    cost: a plan that leaves fewer points unserved is then always better, and the sums stay
    exact in the units of the costs (a far of 1e18 would swallow them).
    """

    def __init__(self, cost: np.ndarray, nearest_sites: np.ndarray, nearest_cost: np.ndarray, p: int,
                 fixed: np.ndarray, forbidden: np.ndarray, far: float, block: int) -> None:
        n, m = cost.shape
        k = nearest_sites.shape[1]
        self.cost, self.m, self.p, self.far, self.block = cost, m, p, far, block
        self.fixed, self.forbidden = fixed, forbidden
        self.sites = nearest_sites
        self.near_cost = np.where(np.isfinite(nearest_cost), nearest_cost, far)
        # beyond this cost a point's list may miss sites: its sums then run over all sites
        self.reach = np.full(n, np.inf) if k >= m else nearest_cost[:, -1]

    def _open_costs(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """d1, d2 and φ (as a position in ``open_sites``) of every demand point."""
        near = self.cost[:, open_sites]
        near = np.where(np.isfinite(near), near, self.far)
        if len(open_sites) == 1:
            return near[:, 0], np.full(len(near), self.far), np.zeros(len(near), dtype=int)
        two = np.argpartition(near, 1, axis=1)[:, :2]
        d = np.take_along_axis(near, two, axis=1)
        first = np.argmin(d, axis=1)
        return d.min(axis=1), d.max(axis=1), two[np.arange(len(d)), first]

    def _scores(self, open_sites: np.ndarray) -> tuple[np.ndarray, float]:
        """Δ(j, r) for every site j and every position r in ``open_sites``; the plan's cost."""
        s = len(open_sites)
        d1, d2, phi = self._open_costs(open_sites)
        # the list holds every site with c_ij < d2_i; points with one possible open site
        # (d2 far) are scored apart, so that no far − far difference loses the small terms
        listed = (d2 < self.reach) & (d2 < self.far)
        rows = np.flatnonzero(listed)
        vals, sites = self.near_cost[rows], self.sites[rows]
        # (bincount of nothing is an integer array: astype keeps the sums below float)
        gain = np.bincount(sites.ravel(), np.maximum(d1[rows, None] - vals, 0.0).ravel(),
                           minlength=self.m).astype(float)
        loss = np.bincount(phi[rows], d2[rows] - d1[rows], minlength=s).astype(float)
        ii, kk = np.nonzero(vals < d2[rows, None])
        pick = rows[ii]
        extra = np.bincount(sites[ii, kk] * s + phi[pick], d2[pick] - np.maximum(vals[ii, kk], d1[pick]),
                            minlength=self.m * s).astype(float).reshape(self.m, s)
        delta = -gain[:, None] + loss[None, :] - extra
        others = np.flatnonzero(~listed)
        for start in range(0, len(others), self.block):
            part = others[start:start + self.block]
            cost = self.cost[part]
            cost = np.where(np.isfinite(cost), cost, self.far)
            with_j = np.minimum(cost, d1[part, None])
            owner = np.zeros((len(part), s))
            owner[np.arange(len(part)), phi[part]] = 1.0
            # the change of each point: min(c_ij, d1_i) − d1_i, or min(c_ij, d2_i) − d1_i when r = φ_i
            delta += (with_j - d1[part, None]).sum(axis=0)[:, None]
            delta += (np.minimum(cost, d2[part, None]) - with_j).T @ owner
        return delta, float(d1[d1 < self.far].sum())

    def improve(self, is_open: np.ndarray, max_swaps: int = 1000) -> np.ndarray:
        """The best swap while it lowers the cost; returns the open mask."""
        is_open = is_open.copy()
        for _ in range(max_swaps):
            open_sites = np.flatnonzero(is_open)
            delta, total = self._scores(open_sites)
            delta[is_open | self.forbidden, :] = np.inf
            delta[:, self.fixed[open_sites]] = np.inf
            j, r = np.unravel_index(int(np.argmin(delta)), delta.shape)
            if not delta[j, r] < -1e-9 * max(1.0, total):
                break
            is_open[open_sites[r]] = False
            is_open[j] = True
        return is_open
