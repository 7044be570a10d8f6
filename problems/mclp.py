r"""Maximal covering location (MCLP): open p sites so that the demand within the service
radius of an open site is largest (Church and ReVelle 1974).

Sets and parameters
    I demand points with weights w_i, J candidate sites, p, service radius S;
    N_i = {j : d_ij ≤ S} the sites that cover i; F fixed and B forbidden sites.

Points with identical N_i are merged (weights summed) before the model is built: an exact
reduction. Points of weight 0 or with empty N_i are left out (they add a constant).

Variables
    y_j ∈ {0,1} site j open;  z_i ∈ [0,1] point i covered (integral at the optimum: with
    y integral, z_i = min(1, Σ_{N_i} y_j)).

    max   Σ_i w_i z_i
    s.t.  z_i ≤ Σ_{j∈N_i} y_j        ∀ i      (cover)
          Σ_j y_j = p                         (count)
          y_j = 1 (j ∈ F),  y_j = 0 (j ∈ B)

HiGHS starts from a plan of greedy addition, best swaps and iterated local search
(:mod:`problems._covering_search`), set as its first incumbent.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pyomo.core as pyo
import scipy.sparse as sp
from pyomo.core.expr import LinearExpression

from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.solver import SolverOutcome
from problems._covering_search import CoverSearch
from problems._location import METRIC, LocationProblem, weighted_stats


class MCLP(LocationProblem):
    site_count = "p"
    serves_all = False  # a point beyond the radius of every open site stays uncovered
    within_radius = True
    key_figures: ClassVar[tuple[tuple[str, str], ...]] = (
        ("n_open", "sites"), ("coverage", "share covered"), ("covered_demand", "demand covered"),
        ("points_uncovered", "points not covered"))
    name: ClassVar[str] = "mclp"
    title: ClassVar[str] = "maximal covering: p sites, most demand within the service radius"
    parameters: ClassVar[dict[str, Parameter]] = {
        "p": Parameter("p", "integer", "number of sites to open", required=True, minimum=1),
        "service_radius": Parameter("service_radius", "number", "a point is covered within this distance",
                                    required=True, minimum=0, unit="as the distances"),
        "metric": METRIC,
    }
    formulation = "covering"

    def check(self) -> None:
        super().check()
        self.check_p(self.params["p"])

    def cover_groups(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """The cover matrix A (groups × sites) and the group weights: demand points with the
        same cover set are one group with their summed weight, an exact reduction that
        shrinks dense city instances (neighbours see the same sites). Points that no site
        covers, and points of weight 0, are left out: no plan changes what they add."""
        d = self.data
        radius = self.params["service_radius"]
        # build and starting_plan both need it: made once per radius and data tables
        key = (radius, id(d.distance), id(d.weights))
        cache = self.__dict__.setdefault("_cover_groups", {})
        if cache.get("key") != key:
            within = (d.distance <= radius) & (d.weights > 0)[:, None]
            keep = within.any(axis=1)
            rows, group = np.unique(np.packbits(within[keep], axis=1), axis=0, return_inverse=True)
            weight = np.bincount(group.ravel(), d.weights[keep], minlength=len(rows))
            cover = sp.csr_matrix(np.unpackbits(rows, axis=1, count=d.n_sites).astype(bool))
            cache.update(key=key, value=(cover, weight))
        return cache["value"]

    def build(self) -> pyo.ConcreteModel:
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        y = [model.y[j] for j in range(self.data.n_sites)]
        cover, weight = self.cover_groups()
        groups = range(cover.shape[0])
        model.I = pyo.RangeSet(0, len(groups) - 1) if len(groups) else pyo.Set(initialize=[])
        model.z = pyo.Var(model.I, bounds=(0, 1))
        sites = np.split(cover.indices, cover.indptr[1:-1])
        model.cover = pyo.Constraint(
            model.I,
            rule=lambda m, g: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(sites[g]) + [-1.0],
                                               linear_vars=[y[j] for j in sites[g]] + [m.z[g]]) >= 0,
        )
        model.count = pyo.Constraint(expr=pyo.quicksum(y) == self.params["p"])
        model.covered = pyo.Objective(
            expr=LinearExpression(constant=0.0, linear_coefs=weight.tolist(), linear_vars=[model.z[g] for g in groups]),
            sense=pyo.maximize,
        )
        return model

    def starting_plan(self, model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
        """Greedy addition, best swaps and iterated local search
        (:mod:`problems._covering_search`): HiGHS's own heuristics find far weaker plans at
        city scale, and a good first plan lets it prune from the root."""
        d = self.data
        cover, weight = self.cover_groups()
        search = CoverSearch(cover, weight, self.params["p"], d.fixed, d.forbidden)
        greedy = search.greedy()
        plan = search.iterate(greedy, np.random.default_rng(seed), deadline)
        for j in range(d.n_sites):
            model.y[j].set_value(float(plan[j]))
        covered = np.minimum(cover @ plan.astype(float), 1.0)
        for g in range(cover.shape[0]):
            model.z[g].set_value(float(covered[g]))
        return {"start_objective": search.value(plan), "greedy_objective": search.value(greedy)}

    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        d = self.data
        radius = self.params["service_radius"]
        best, dist = self.nearest_open(is_open)
        covered = dist <= radius
        covered_weight = float(d.weights[covered].sum())
        total = float(d.weights.sum())
        assignment = pd.DataFrame({"demand": np.flatnonzero(covered), "site": best[covered], "share": 1.0})
        stats = weighted_stats(np.where(covered, dist, np.inf), d.weights)
        summary = {
            "covered_demand": covered_weight,
            "total_demand": total,
            "coverage": covered_weight / total if total > 0 else 1.0,
            "points_covered": int(covered.sum()),
            "points_uncovered": int((~covered).sum()),
            **{f"covered_{k}": v for k, v in stats.items()},
        }
        headline = [
            ("sites opened", f"{int(is_open.sum())} of {d.n_sites}"),
            ("demand covered", f"{covered_weight:,.6g} of {total:,.6g} ({summary['coverage']:.1%})"),
            ("points not covered", f"{summary['points_uncovered']}"),
        ]
        return self.location_solution(is_open, assignment, summary=summary, headline=headline,
                                      objective=covered_weight)
