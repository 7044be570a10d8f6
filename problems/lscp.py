r"""Location set covering (LSCP): open the cheapest set of sites such that every demand
point lies within the service radius of an open site (Toregas et al. 1971).

Sets and parameters
    I demand points, J candidate sites with opening cost f_j (default 1: fewest sites),
    service radius S; N_i = {j : d_ij ≤ S}; F fixed and B forbidden sites.

    min   Σ_j f_j y_j
    s.t.  Σ_{j∈N_i} y_j ≥ 1          ∀ i      (cover)
          y_j ∈ {0,1},  y_j = 1 (j ∈ F),  y_j = 0 (j ∈ B)

A point with no allowed site within S makes the plan impossible; this is reported before
solving, naming the point.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr import LinearExpression

from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.solver import SolverOutcome
from problems._location import METRIC, LocationProblem


class LSCP(LocationProblem):
    within_radius = True
    name: ClassVar[str] = "lscp"
    title: ClassVar[str] = "set covering: fewest (cheapest) sites that cover every point"
    parameters: ClassVar[dict[str, Parameter]] = {
        "service_radius": Parameter("service_radius", "number", "a point is covered within this distance",
                                    required=True, minimum=0, unit="as the distances"),
        "use_site_cost": Parameter("use_site_cost", "bool",
                                   "minimise the sites' opening cost instead of their number", default=False),
        "metric": METRIC,
    }
    formulation = "covering"

    def check(self) -> None:
        super().check()
        self.data.require_reachable(self.params["service_radius"], what="service radius")

    def site_costs(self) -> np.ndarray:
        d = self.data
        if self.params["use_site_cost"] and d.opening_cost is not None:
            return d.opening_cost
        return np.ones(d.n_sites)

    def build(self) -> pyo.ConcreteModel:
        d = self.data
        radius = self.params["service_radius"]
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        y = [model.y[j] for j in range(d.n_sites)]
        # identical cover rows are one constraint (an exact reduction)
        cover = [list(key) for key in dict.fromkeys(tuple(c) for c in self.cover_sets(radius))]
        model.cover = pyo.Constraint(
            range(len(cover)),
            rule=lambda m, i: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(cover[i]),
                                               linear_vars=[y[j] for j in cover[i]]) >= 1,
        )
        model.cost = pyo.Objective(
            expr=LinearExpression(constant=0.0, linear_coefs=self.site_costs().tolist(), linear_vars=y),
            sense=pyo.minimize,
        )
        return model

    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        d = self.data
        assignment, dist, stats = self.nearest_plan(is_open)
        cost = float(self.site_costs()[is_open].sum())
        headline = [
            ("sites opened", f"{int(is_open.sum())} of {d.n_sites}"),
            ("opening cost" if self.params["use_site_cost"] else "sites needed", f"{cost:,.6g}"),
            ("largest distance", f"{stats['max_distance']:,.1f} {d.unit}"),
        ]
        return self.location_solution(is_open, assignment, summary={"site_cost": cost, **stats}, headline=headline,
                                      objective=cost)
