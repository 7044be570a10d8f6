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

With ``formulation = "auto"`` (the default) the radius model is used when demand points
see at most half as many distinct costs as reachable sites, else the assignment model.

Solution: every demand point is served by its nearest open site.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.solver import SolverOutcome
from problems._location import METRIC, LocationProblem, weighted_stats


class PMedian(LocationProblem):
    name: ClassVar[str] = "p_median"
    title: ClassVar[str] = "p-median: p sites, least demand-weighted distance"
    parameters: ClassVar[dict[str, Parameter]] = {
        "p": Parameter("p", "integer", "number of sites to open", required=True, minimum=1),
        "formulation": Parameter("formulation", "text", "model to build", default="auto",
                                 choices=("auto", "radius", "assignment")),
        "metric": METRIC,
    }

    def check(self) -> None:
        super().check()
        self.check_p(self.params["p"])
        self.data.require_reachable()

    def build(self) -> pyo.ConcreteModel:
        choice = self.params["formulation"]
        self.formulation = choose_formulation(self.data.assign_cost) if choice == "auto" else choice
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        if self.formulation == "radius":
            define_radius(model, self.data.assign_cost, self.data.fixed)
        else:
            define_assignment(model, self.data.assign_cost)
        model.count = pyo.Constraint(expr=pyo.quicksum(model.y[j] for j in model.J) == self.params["p"])
        return model

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        d = self.data
        is_open = self.open_mask(model)
        best, dist = self.nearest_open(is_open)
        total = float(d.assign_cost[np.arange(d.n_demand), best].sum())
        stats = weighted_stats(dist, d.weights)
        assignment = pd.DataFrame({"demand": np.arange(d.n_demand), "site": best, "share": 1.0})
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


def choose_formulation(cost: np.ndarray) -> str:
    """The radius model pays off when demand points see few distinct costs (network
    distances, rounded travel times); with all-distinct costs (straight lines) it has as
    many z as the assignment model has x, plus longer rows, so the textbook model is used."""
    sample = cost[:: max(1, cost.shape[0] // 50)]
    distinct = np.mean([len(np.unique(row[np.isfinite(row)])) for row in sample])
    finite = np.mean(np.isfinite(sample).sum(axis=1))
    return "radius" if distinct <= 0.5 * finite else "assignment"


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
