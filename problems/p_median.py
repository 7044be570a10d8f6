r"""p-median: open exactly p sites so that the demand-weighted distance to the nearest open
site is smallest (Hakimi 1964; ReVelle and Swain 1970).

Sets and parameters
    I demand points, J candidate sites, p the number of sites to open;
    c_ij = w_i d_ij the cost of serving all of i from j (``inf``: j may not serve i);
    F ⊆ J fixed (open) sites, B ⊆ J forbidden sites.

Radius formulation (Elloumi 2010; García, Labbé and Marín 2011), the default
    For demand point i let D_i^0 < D_i^1 < ... < D_i^{K_i-1} be the distinct finite
    costs c_ij, and S_i^k = {j : c_ij = D_i^k}. Variables y_j ∈ {0,1} (site j open) and
    z_i^k ∈ [0,1], k = 1..K_i-1 (1 if i is served at cost D_i^k or more).

    min   Σ_i D_i^0 + Σ_i Σ_{k≥1} (D_i^k − D_i^{k−1}) z_i^k
    s.t.  z_i^1 + Σ_{j∈S_i^0} y_j ≥ 1                         ∀ i          (radius)
          z_i^k − z_i^{k−1} + Σ_{j∈S_i^{k−1}} y_j ≥ 0          ∀ i, k ≥ 2   (radius)
          Σ_{j: c_ij < ∞} y_j ≥ 1                              ∀ i with unreachable sites (served)
          Σ_j y_j = p                                                       (count)
          y_j = 1 (j ∈ F),  y_j = 0 (j ∈ B)

    The chained form has one nonzero per (i, j) pair plus two per z, instead of one per
    (i, j, k) in Elloumi's covering form; both have the LP bound of the classical model.
    Levels beyond the nearest fixed site are dropped (z is 0 there).

Assignment formulation (``formulation = "assignment"``), the textbook model
    x_ij ∈ [0,1] share of i served by j (only pairs with c_ij < ∞):
    min Σ c_ij x_ij  s.t. Σ_j x_ij = 1 ∀i;  x_ij ≤ y_j ∀i,j;  Σ_j y_j = p.

Benders decomposition of the radius formulation (``formulation = "benders"``, the default
with ``"auto"``; Duran-Mateluna, Ales and Elloumi 2023)
    Project out z: with θ_i ≥ 0 the cost of serving i,

    min   Σ_i θ_i
    s.t.  θ_i ≥ D − Σ_{j: c_ij < D} (D − c_ij) y_j     ∀ i, every level D of i   (radius cuts)
          Σ_{j: c_ij < ∞} y_j ≥ 1                       ∀ i with unreachable sites
          Σ_j y_j = p,  y fixed/forbidden as given,  θ_i ≥ min_j c_ij.

    The cuts are exponentially many in total but each is found in closed form, so they are
    generated as needed by :class:`RadiusCuts` in the engine's cut loop
    (:mod:`optimise.cutloop`): first until the LP relaxation is exact, then at every node
    of the engine's branch and cut (:mod:`optimise.branch_and_cut`), whose incumbents come
    from rounding the node's y to its p largest entries followed by vertex substitution
    (Teitz and Bart 1968, with Whitaker's fast interchange over each point's nearest sites). The master has |I| + |J|
    columns instead of |I|·|J|.

    Large instances (|I|·|J| ≥ ``LAGRANGIAN_PAIRS``) start from the Lagrangian relaxation
    of the assignment constraints (:mod:`problems._pmedian_bounds`): its subgradient
    reaches the LP bound far sooner than the master's LP does at that size, and its
    sites, improved by vertex substitution, are the first incumbent. The reported bound
    is the best of the Lagrangian, the LP and the tree's.

Solution: every demand point is served by its nearest open site.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr import LinearExpression

import scipy.sparse as sp

from optimise.separation import Rows, Separator, Start
from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.solver import SolverOutcome
from problems._location import METRIC, LocationProblem
from problems._pmedian_bounds import LagrangianDual, SwapSearch, greedy_plan


class PMedian(LocationProblem):
    site_count = "p"
    name: ClassVar[str] = "p_median"
    title: ClassVar[str] = "p-median: p sites, least demand-weighted distance"
    parameters: ClassVar[dict[str, Parameter]] = {
        "p": Parameter("p", "integer", "number of sites to open", required=True, minimum=1),
        "formulation": Parameter("formulation", "text", "model to build", default="auto",
                                 choices=("auto", "benders", "radius", "assignment")),
        "metric": METRIC,
    }

    def check(self) -> None:
        super().check()
        self.check_p(self.params["p"])
        self.data.require_reachable()

    @property
    def formulation(self) -> str:  # type: ignore[override]
        """The formulation the parameter asks for ("auto": Benders on the radius formulation)."""
        choice = self.params["formulation"]
        return "benders" if choice == "auto" else choice

    def build(self) -> pyo.ConcreteModel:
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        if self.formulation == "benders":
            define_master(model, self.data.assign_cost)
        elif self.formulation == "radius":
            define_radius(model, self.data.assign_cost, self.data.fixed)
        else:
            define_assignment(model, self.data.assign_cost)
        model.count = pyo.Constraint(expr=pyo.quicksum(model.y[j] for j in model.J) == self.params["p"])
        return model

    def separator(self, model: pyo.ConcreteModel) -> Separator | None:
        if self.formulation != "benders":
            return None
        d = self.data
        return RadiusCuts(model, d.assign_cost, p=self.params["p"], fixed=d.fixed, forbidden=d.forbidden)

    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        d = self.data
        assignment, dist, stats = self.nearest_plan(is_open)
        total = float(np.where(is_open[None, :], d.assign_cost, np.inf).min(axis=1).sum())
        summary = {"total_cost": total, **stats}
        headline = [
            ("sites opened", f"{int(is_open.sum())} of {d.n_sites}"),
            ("total weighted distance", f"{total:,.6g}"),
            ("mean distance", f"{stats['mean_distance']:,.1f} {d.unit}"),
            ("95th percentile distance", f"{stats['p95_distance']:,.1f} {d.unit}"),
            ("largest distance", f"{stats['max_distance']:,.1f} {d.unit}"),
        ]
        return self.location_solution(is_open, assignment, summary=summary, headline=headline,
                                      objective=total)


def define_master(model: pyo.ConcreteModel, cost: np.ndarray) -> None:
    """Benders master: θ_i, the served and count rows; the radius cuts come from
    :class:`RadiusCuts` while solving."""
    n, m = cost.shape
    lowest = np.where(np.isfinite(cost), cost, np.inf).min(axis=1)
    model.I = pyo.RangeSet(0, n - 1)
    model.theta = pyo.Var(model.I, bounds=lambda mod, i: (float(lowest[i]), None))
    sparse = [i for i in range(n) if not np.isfinite(cost[i]).all()]
    y = [model.y[j] for j in range(m)]
    model.served = pyo.Constraint(
        sparse, rule=lambda mod, i: pyo.quicksum(y[j] for j in np.flatnonzero(np.isfinite(cost[i]))) >= 1
    )
    model.cost = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=[1.0] * n, linear_vars=[model.theta[i] for i in range(n)]),
        sense=pyo.minimize,
    )


#: From this many (demand point, site) pairs on, the cut loop starts from the Lagrangian
#: bound and plans (:meth:`RadiusCuts.start`): measured on the synthetic cities of
#: ``benchmarks/city_scale.py``, the master's LP needs minutes per round there.
LAGRANGIAN_PAIRS = 4_000_000
#: Cheapest sites per demand point that vertex substitution scores swaps over (the rest of
#: a point's sites are scanned only when its second-nearest open site lies beyond them).
SWAP_NEAREST = 200
#: Share of the time left that the Lagrangian subgradient may use.
LAGRANGIAN_SHARE = 0.5


class RadiusCuts(Separator):
    """Benders cuts of the radius formulation (Duran-Mateluna, Ales and Elloumi 2023).

    For demand point i and a point (y, θ), let D be the smallest cost level at which the
    open share reaches 1: Σ_{j: c_ij ≤ D} y_j ≥ 1. The subproblem of i is then solved in
    closed form, and its cut θ_i ≥ D − Σ_{j: c_ij < D} (D − c_ij) y_j is added when
    violated. At an integer y, D is the cost to the nearest open site, so the cut is exact.

    Plans for the search: the p sites with the largest y, improved by vertex substitution
    (Teitz and Bart 1968) with the best swap each pass, all pairs scored at once over each
    point's nearest sites (:class:`problems._pmedian_bounds.SwapSearch`).
    """

    def __init__(self, model: pyo.ConcreteModel, cost: np.ndarray, *, p: int,
                 fixed: np.ndarray, forbidden: np.ndarray) -> None:
        self.cost = cost
        n, m = cost.shape
        self.n, self.m, self.p = n, m, p
        self.fixed, self.forbidden = fixed, forbidden
        finite = cost[np.isfinite(cost)]
        self.objective_step = 1.0 if len(finite) and np.all(finite == np.round(finite)) else 0.0
        self.tried: set[bytes] = set()
        self.variables = [model.y[j] for j in range(m)] + [model.theta[i] for i in range(n)]
        self.order = np.argsort(cost, axis=1, kind="stable")
        self.sorted = np.take_along_axis(cost, self.order, axis=1)
        self.block = max(1, int(2e7 // max(m, 1)))  # customers per block: bounded memory
        k = min(m, SWAP_NEAREST)
        self.last_finite = np.isfinite(self.sorted).sum(axis=1) - 1  # position of each point's dearest site
        # "cannot serve" in the swap arithmetic: dearer than every point at its dearest site
        # together, so that serving one more point always wins, yet small enough that sums
        # keep the units of the costs exact
        dearest = self.sorted[np.arange(n), np.maximum(self.last_finite, 0)]
        far = 2.0 * (1.0 + float(np.where(np.isfinite(dearest), dearest, 0.0).sum()))
        self.swaps = SwapSearch(cost, self.order[:, :k], self.sorted[:, :k], p, fixed, forbidden, far, self.block)

    def separate(self, x: np.ndarray) -> Rows:
        y, theta = x[: self.m], x[self.m:]
        lowers, blocks = [], []
        for start in range(0, self.n, self.block):
            stop = min(start + self.block, self.n)
            cost = self.cost[start:stop]
            cum = np.cumsum(y[self.order[start:stop]], axis=1)
            reached = cum >= 1 - 1e-9
            pos = np.where(reached.any(axis=1), reached.argmax(axis=1),
                           self.last_finite[start:stop])
            level = self.sorted[start:stop][np.arange(stop - start), pos]
            coef = np.where(np.isfinite(cost), np.maximum(level[:, None] - cost, 0.0), 0.0)
            value = level - coef @ y
            violated = np.flatnonzero(value > theta[start:stop] + 1e-6 * np.maximum(1.0, np.abs(value)))
            if len(violated) == 0:
                continue
            rows = sp.csr_matrix(coef[violated])
            theta_part = sp.csr_matrix((np.ones(len(violated)), (np.arange(len(violated)), start + violated)),
                                       shape=(len(violated), self.n))
            blocks.append(sp.hstack([rows, theta_part], format="csr"))
            lowers.append(level[violated])
        if not blocks:
            return Rows(np.zeros(0), sp.csr_matrix((0, self.m + self.n)))
        return Rows(np.concatenate(lowers), sp.vstack(blocks, format="csr"))

    def start(self, deadline: float | None) -> Start | None:
        """On large instances: greedy addition, then the Lagrangian bound (see
        :mod:`problems._pmedian_bounds`); vertex substitution from the sites the subgradient
        chose most often, from those chosen at the best multipliers and from the greedy plan."""
        if self.n * self.m < LAGRANGIAN_PAIRS:
            return None
        greedy = greedy_plan(self.cost, self.p, self.fixed, self.forbidden, self.block)
        upper = self._plan_cost(greedy)
        if not np.isfinite(upper):
            return None
        stop = None if deadline is None else time.perf_counter() + LAGRANGIAN_SHARE * (deadline - time.perf_counter())
        lagrangian = LagrangianDual(self.cost, self.p, self.fixed, self.forbidden)
        dual = lagrangian.solve(upper, deadline=stop)
        points = []
        # measured on the 20,000 x 2,000 city: substitution from the most frequent sites
        # ends 0.3% below the one from the best multipliers' sites, 0.8% below greedy's
        for plan in (lagrangian.frequent_plan(dual.frequency), dual.plan, greedy):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            self.tried.add(np.packbits(plan).tobytes())
            points.append(np.concatenate([self.interchange(plan), np.zeros(self.n)]))
        return Start(dual.bound, points)

    def _served(self, is_open: np.ndarray) -> np.ndarray:
        """Each demand point's cost to its nearest open site (inf where none can serve it)."""
        return self.cost[:, is_open].min(axis=1) if is_open.any() else np.full(self.n, np.inf)

    def _plan_cost(self, is_open: np.ndarray) -> float:
        return float(self._served(is_open).sum())

    def heuristic(self, x: np.ndarray) -> np.ndarray | None:
        score = np.where(self.forbidden, -np.inf, x[: self.m])
        score[self.fixed] = np.inf
        is_open = np.zeros(self.m, dtype=bool)
        is_open[np.argsort(-score, kind="stable")[: self.p]] = True
        key = np.packbits(is_open).tobytes()
        if key in self.tried:
            return None
        self.tried.add(key)
        point = x.copy()
        point[: self.m] = self.interchange(is_open)
        return point

    def interchange(self, is_open: np.ndarray) -> np.ndarray:
        """Vertex substitution from ``is_open`` (see :class:`SwapSearch`), as 0/1 floats."""
        return self.swaps.improve(is_open.astype(bool)).astype(float)

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        is_open = x[: self.m] > 0.5
        served = self._served(is_open)
        exact = x.copy()
        exact[self.m:] = served
        return float(served.sum()), exact


def define_radius(model: pyo.ConcreteModel, cost: np.ndarray, fixed: np.ndarray) -> None:
    """Radius variables z, the chained radius constraints, the served constraints and the
    objective (see the module docstring)."""
    y = [model.y[j] for j in range(cost.shape[1])]
    z_cost: list[float] = []
    rows: list[tuple[list[float], list[Any], float]] = []  # (coefs, vars, lower bound)
    served: list[list[int]] = []
    constant = 0.0
    pending: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    for i in range(cost.shape[0]):
        row = cost[i]
        finite = np.flatnonzero(np.isfinite(row))
        levels, level_of = np.unique(row[finite], return_inverse=True)
        if fixed.any():
            # Beyond the nearest fixed (always open) site the radius variables are 0.
            fixed_costs = row[fixed & np.isfinite(row)]
            if len(fixed_costs):
                levels = levels[: int(np.searchsorted(levels, fixed_costs.min())) + 1]
        constant += float(levels[0])
        pending.append((len(z_cost), levels, finite, level_of))
        z_cost.extend(np.diff(levels).tolist())
        if len(finite) < len(row):
            served.append(finite.tolist())
    model.Z = pyo.RangeSet(0, len(z_cost) - 1) if z_cost else pyo.Set(initialize=[])
    model.z = pyo.Var(model.Z, bounds=(0, 1))
    z = [model.z[k] for k in range(len(z_cost))]
    for first, levels, finite, level_of in pending:
        order = np.argsort(level_of, kind="stable")
        bounds = np.searchsorted(level_of[order], np.arange(len(levels) + 1))
        for k in range(1, len(levels)):
            sites = finite[order[bounds[k - 1]: bounds[k]]].tolist()
            coefs = [1.0] * (len(sites) + 1)
            terms = [y[j] for j in sites] + [z[first + k - 1]]
            if k == 1:
                rows.append((coefs, terms, 1.0))
            else:
                rows.append((coefs + [-1.0], terms + [z[first + k - 2]], 0.0))
    model.radius = pyo.Constraint(
        range(len(rows)),
        rule=lambda m, r: LinearExpression(constant=0.0, linear_coefs=rows[r][0], linear_vars=rows[r][1]) >= rows[r][2],
    )
    model.served = pyo.Constraint(
        range(len(served)), rule=lambda m, r: pyo.quicksum(y[j] for j in served[r]) >= 1
    )
    model.cost = pyo.Objective(
        expr=LinearExpression(constant=constant, linear_coefs=z_cost, linear_vars=z), sense=pyo.minimize
    )


def define_assignment(model: pyo.ConcreteModel, cost: np.ndarray) -> None:
    """Assignment variables x, the assignment and linking constraints and the objective."""
    pairs = np.argwhere(np.isfinite(cost))
    model.P = pyo.RangeSet(0, len(pairs) - 1)
    model.x = pyo.Var(model.P, bounds=(0, 1))
    x = [model.x[k] for k in range(len(pairs))]
    by_demand = np.split(np.arange(len(pairs)), np.flatnonzero(np.diff(pairs[:, 0])) + 1)
    model.assign = pyo.Constraint(
        range(len(by_demand)),
        rule=lambda m, i: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(by_demand[i]),
                                           linear_vars=[x[k] for k in by_demand[i]]) == 1,
    )
    model.link = pyo.Constraint(model.P, rule=lambda m, k: m.x[k] <= m.y[int(pairs[k, 1])])
    model.cost = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=cost[pairs[:, 0], pairs[:, 1]].tolist(), linear_vars=x),
        sense=pyo.minimize,
    )
