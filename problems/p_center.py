r"""p-center: open exactly p sites so that the largest distance from any demand point to
its nearest open site is smallest (Hakimi 1965). Demand weights do not count.

Sets and parameters
    I demand points, J candidate sites, p, distances d_ij (``inf``: not allowed);
    F fixed and B forbidden sites. L^0 < L^1 < ... < L^{K-1} are the distinct distances
    between a lower bound (max_i min_j d_ij, every point needs a site) and an upper bound
    (a greedy plan's radius).

Radius formulation (Elloumi, Labbé and Pochet 2004), with chained coverage
    u^k ∈ {0,1}, k = 1..K-1: 1 if the radius is L^k or more;
    z_i^k ∈ [0,1]: 1 if point i has no open site within L^{k-1};  y_j ∈ {0,1}.

    min   L^0 + Σ_{k≥1} (L^k − L^{k−1}) u^k
    s.t.  z_i^1 + Σ_{j: d_ij ≤ L^0} y_j ≥ 1                      ∀ i
          z_i^k − z_i^{k−1} + Σ_{j: L^{k−2} < d_ij ≤ L^{k−1}} y_j ≥ 0   ∀ i, k ≥ 2
          u^k ≥ z_i^k                                            ∀ i, k
          Σ_{j: d_ij ≤ L^{K−1}} y_j ≥ 1                           ∀ i  (covered within the bound)
          Σ_j y_j = p,  y fixed/forbidden as given.

    The greedy upper bound keeps K small; its plan is always feasible for the model.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr import LinearExpression

from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.solver import SolverOutcome
from problems._location import METRIC, LocationProblem


class PCenter(LocationProblem):
    site_count = "p"
    name: ClassVar[str] = "p_center"
    title: ClassVar[str] = "p-center: p sites, smallest largest distance"
    parameters: ClassVar[dict[str, Parameter]] = {
        "p": Parameter("p", "integer", "number of sites to open", required=True, minimum=1),
        "metric": METRIC,
    }
    formulation = "radius"

    def check(self) -> None:
        super().check()
        self.check_p(self.params["p"])
        self.data.require_reachable()

    def greedy_radius(self) -> float:
        """Radius of a greedy plan (fixed sites, then repeatedly the site that most reduces
        the current radius): an upper bound on the optimum."""
        d = self.data
        is_open = d.fixed.copy()
        current = np.where(is_open[None, :], d.distance, np.inf).min(axis=1)
        allowed = np.flatnonzero(~d.forbidden & ~is_open)
        for _ in range(self.params["p"] - int(is_open.sum())):
            radii = np.minimum(current[:, None], d.distance[:, allowed]).max(axis=0)
            pick = allowed[int(np.argmin(radii))]
            is_open[pick] = True
            current = np.minimum(current, d.distance[:, pick])
            allowed = allowed[allowed != pick]
        return float(current.max())

    def build(self) -> pyo.ConcreteModel:
        d = self.data
        dist = d.distance
        lower = float(dist.min(axis=1).max())
        upper = self.greedy_radius()
        values = np.unique(dist[np.isfinite(dist)])
        levels = values[(values >= lower) & (values <= upper)]
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        y = [model.y[j] for j in range(d.n_sites)]
        K = len(levels)
        model.K = pyo.RangeSet(1, K - 1) if K > 1 else pyo.Set(initialize=[])
        model.u = pyo.Var(model.K, domain=pyo.Binary)
        model.z = pyo.Var(range(d.n_demand), model.K, bounds=(0, 1))
        band = np.searchsorted(levels, dist, side="left")  # level index of each distance (≤ L^band)
        rows: list[tuple[list[float], list[Any], float]] = []
        for i in range(d.n_demand):
            for k in range(1, K):
                sites = np.flatnonzero(band[i] == 0) if k == 1 else np.flatnonzero(band[i] == k - 1)
                terms = [y[j] for j in sites] + [model.z[i, k]]
                coefs = [1.0] * len(terms)
                if k == 1:
                    rows.append((coefs, terms, 1.0))
                else:
                    rows.append((coefs + [-1.0], terms + [model.z[i, k - 1]], 0.0))
        model.radius = pyo.Constraint(
            range(len(rows)),
            rule=lambda m, r: LinearExpression(constant=0.0, linear_coefs=rows[r][0], linear_vars=rows[r][1]) >= rows[r][2],
        )
        model.level = pyo.Constraint(range(d.n_demand), model.K, rule=lambda m, i, k: m.u[k] >= m.z[i, k])
        within = [np.flatnonzero(dist[i] <= upper) for i in range(d.n_demand)]
        model.covered = pyo.Constraint(range(d.n_demand), rule=lambda m, i: pyo.quicksum(y[j] for j in within[i]) >= 1)
        model.monotone = pyo.Constraint(
            [k for k in range(2, K)], rule=lambda m, k: m.u[k] <= m.u[k - 1]
        )
        model.count = pyo.Constraint(expr=pyo.quicksum(y) == self.params["p"])
        steps = np.diff(levels).tolist()
        model.radius_cost = pyo.Objective(
            expr=LinearExpression(constant=float(levels[0]), linear_coefs=steps,
                                  linear_vars=[model.u[k] for k in range(1, K)]),
            sense=pyo.minimize,
        )
        return model

    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        d = self.data
        assignment, dist, stats = self.nearest_plan(is_open)
        radius = float(dist.max())
        headline = [
            ("sites opened", f"{int(is_open.sum())} of {d.n_sites}"),
            ("largest distance (radius)", f"{radius:,.1f} {d.unit}"),
            ("mean distance", f"{stats['mean_distance']:,.1f} {d.unit}"),
        ]
        return self.location_solution(is_open, assignment, summary={"radius": radius, **stats}, headline=headline,
                                      objective=radius)
