r"""Capacitated facility location, with split demand (CFLP) or single-source (SSCFLP).

Sets and parameters
    I demand points with demand w_i, J candidate sites with capacity s_j and opening cost
    f_j; c_ij the cost of serving all of i from j (``inf``: not allowed);
    F fixed and B forbidden sites.

Variables
    y_j ∈ {0,1} site j open;  x_ij the share of i's demand served by j:
    x_ij ∈ [0,1] (CFLP) or x_ij ∈ {0,1} (SSCFLP: each point served by one site).

    min   Σ_j f_j y_j + Σ_ij c_ij x_ij
    s.t.  Σ_j x_ij = 1                  ∀ i        (assign)
          Σ_i w_i x_ij ≤ s_j y_j        ∀ j        (capacity)
          x_ij ≤ y_j                    ∀ i, j     (link: the strong formulation)
          Σ_j s_j y_j ≥ Σ_i w_i                    (total capacity: a valid cut)
          y_j = 1 (j ∈ F),  y_j = 0 (j ∈ B)

Plans that cannot exist (total capacity below total demand; for SSCFLP a point whose
demand exceeds every reachable site's capacity) are reported before solving.

Large SSCFLP instances (``REDUCE_PAIRS`` pairs and more, integer demands) start from the
Lagrangian relaxation of the assign rows, whose site knapsacks are solved in integers: its
bound, a first plan (restricted models over sites picked by the multipliers and by a
split-demand model), and exact reductions against that plan (sites and
pairs that no cheaper plan can use are fixed for this solve; :mod:`problems._sscflp_bounds`).
The model stays the one above; HiGHS proves the optimum over what the reductions leave,
which is a proof for the whole problem.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pyomo.core as pyo
from pyomo.core.expr import LinearExpression

from optimise.errors import InfeasibleInput, plain
from optimise.parameters import Parameter
from optimise.problem import Solution
from optimise.schema import Column, TableSchema
from optimise.solver import SolverOutcome
from problems._location import COSTS, DEMAND, METRIC, SITES, LocationProblem
from problems._sscflp_bounds import SingleSourceDual

#: From this many site-point pairs on, a single-source solve starts from the Lagrangian
#: reductions (below it HiGHS alone is fast: the Holmberg set, up to 30 x 200, in seconds).
REDUCE_PAIRS = 20_000

SITES_CAPACITATED = TableSchema(
    "sites",
    tuple(
        Column("capacity", "number", "demand the site can serve", unit="demand units", positive=True)
        if c.name == "capacity" else c
        for c in SITES.columns
    ),
    description=SITES.description,
    geometry="optional",
)


class CFLP(LocationProblem):
    name: ClassVar[str] = "cflp"
    title: ClassVar[str] = "capacitated facility location (demand may be split)"
    tables = {"demand": DEMAND, "sites": SITES_CAPACITATED, "costs": COSTS}
    parameters: ClassVar[dict[str, Parameter]] = {"metric": METRIC}
    needs_capacity = True
    single_source: ClassVar[bool] = False
    formulation = "strong"

    def check(self) -> None:
        super().check()
        d = self.data
        self.data.require_reachable()
        capacity = float(d.capacity[~d.forbidden].sum())
        demand = float(d.weights.sum())
        if capacity < demand:
            raise InfeasibleInput(
                f"total demand {demand:,.6g} exceeds the total capacity {capacity:,.6g} of the sites that may open",
                file=d.labels["sites"], field="capacity")
        if self.single_source:
            reach = np.where(np.isfinite(d.distance), d.capacity[None, :], 0.0).max(axis=1)
            too_big = d.weights > reach
            if too_big.any():
                i = int(np.flatnonzero(too_big)[0])
                raise InfeasibleInput(
                    f"demand {d.weights[i]:g} of point {plain(d.demand_ids[i])!r} exceeds the capacity of every site that may serve it",
                    file=d.labels["demand"], field="weight", row=i + 1)

    def opening_costs(self) -> np.ndarray:
        """f_j (zero where the instance gives none)."""
        d = self.data
        return d.opening_cost if d.opening_cost is not None else np.zeros(d.n_sites)

    def build(self) -> pyo.ConcreteModel:
        d = self.data
        cost = d.assign_cost
        pairs = np.argwhere(np.isfinite(cost))
        model = pyo.ConcreteModel(name=self.name)
        self.site_variables(model)
        y = [model.y[j] for j in range(d.n_sites)]
        model.P = pyo.RangeSet(0, len(pairs) - 1)
        model.x = pyo.Var(model.P, domain=pyo.Binary if self.single_source else pyo.UnitInterval)
        x = [model.x[k] for k in range(len(pairs))]
        by_demand = np.split(np.arange(len(pairs)), np.flatnonzero(np.diff(pairs[:, 0])) + 1)
        order = np.argsort(pairs[:, 1], kind="stable")
        by_site = {int(pairs[ks[0], 1]): ks for ks in np.split(order, np.flatnonzero(np.diff(pairs[order, 1])) + 1)}
        model.assign = pyo.Constraint(
            range(len(by_demand)),
            rule=lambda m, i: LinearExpression(constant=0.0, linear_coefs=[1.0] * len(by_demand[i]),
                                               linear_vars=[x[k] for k in by_demand[i]]) == 1,
        )
        model.capacity = pyo.Constraint(
            list(by_site),
            rule=lambda m, j: LinearExpression(
                constant=0.0,
                linear_coefs=d.weights[pairs[by_site[j], 0]].tolist() + [-float(d.capacity[j])],
                linear_vars=[x[k] for k in by_site[j]] + [y[j]]) <= 0,
        )
        model.link = pyo.Constraint(model.P, rule=lambda m, k: m.x[k] <= y[int(pairs[k, 1])])
        model.total_capacity = pyo.Constraint(
            expr=LinearExpression(constant=0.0, linear_coefs=d.capacity.tolist(), linear_vars=y) >= float(d.weights.sum())
        )
        opening = self.opening_costs()
        model.cost = pyo.Objective(
            expr=LinearExpression(constant=0.0,
                                  linear_coefs=opening.tolist() + cost[pairs[:, 0], pairs[:, 1]].tolist(),
                                  linear_vars=y + x),
            sense=pyo.minimize,
        )
        model.maps = {"pairs": pairs}  # x[q] -> (point, site) = pairs[q]
        return model

    assignment_decided = True
    key_figures: ClassVar[tuple[tuple[str, str], ...]] = (
        ("n_open", "sites"), ("opening_cost", "opening cost"), ("assignment_cost", "assignment cost"),
        ("utilisation", "capacity used"), ("split_points", "points split"))

    def model_assignment(self, model: pyo.ConcreteModel) -> pd.DataFrame:
        pairs = model.maps["pairs"]
        share = np.array([pyo.value(model.x[k]) for k in range(len(pairs))])
        used = share > 1e-9
        return pd.DataFrame({"demand": pairs[used, 0], "site": pairs[used, 1], "share": share[used]})

    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        d = self.data
        if assignment is None:
            raise ValueError("a capacitated plan states its assignment")
        opening = self.opening_costs()
        opening_cost = float(opening[is_open].sum())
        transport = float((d.assign_cost[assignment["demand"], assignment["site"]] * assignment["share"]).sum())
        split_points = int((assignment.groupby("demand").size() > 1).sum())
        load = np.bincount(assignment["site"], weights=d.weights[assignment["demand"]] * assignment["share"],
                           minlength=d.n_sites)
        utilisation = float(load[is_open].sum() / d.capacity[is_open].sum()) if is_open.any() else 0.0
        summary = {
            "opening_cost": opening_cost,
            "assignment_cost": transport,
            "split_points": split_points,
            "utilisation": utilisation,
        }
        headline = [
            ("sites opened", f"{int(is_open.sum())} of {d.n_sites}"),
            ("opening cost", f"{opening_cost:,.6g}"),
            ("assignment cost", f"{transport:,.6g}"),
            ("capacity used", f"{utilisation:.1%}"),
            ("points split over sites", f"{split_points}"),
        ]
        return self.location_solution(is_open, assignment, summary=summary, headline=headline,
                                      objective=opening_cost + transport)


class SSCFLP(CFLP):
    __doc__ = CFLP.__doc__
    name: ClassVar[str] = "sscflp"
    title: ClassVar[str] = "single-source capacitated facility location"
    single_source = True
    #: After the head start HiGHS starts from a plan that is, on the twelve capa/capb/capc
    #: instances, the optimum or within 0.04 % of it, on a model the reductions already fixed
    #: by reduced costs. Its root heuristics (RINS, RENS, the root reduced-cost sub-MIP,
    #: feasibility jump) then find nothing better, and its restart after its own reduced-cost
    #: fixing (2.5 % of the columns) repeats the root. HiGHS on the reduced capb2 / capb3:
    #: defaults 287 s / not proven in 300 s, heuristics off 208 s / 186 s, both off 165 s /
    #: 107 s (``benchmarks/results/sscflp_highs_options.md``).
    head_start_highs_options: ClassVar[dict[str, object]] = {
        "mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False, "mip_allow_restart": False,
        "mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_run_feasibility_jump": False}

    def starting_plan(self, model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
        """On large instances (at least ``REDUCE_PAIRS`` pairs): the Lagrangian bound, a first
        plan and the exact reductions against it (:mod:`problems._sscflp_bounds`). The
        reductions fix variables of this solve only (listed in ``model.reduced``)."""
        d = self.data
        cost = d.assign_cost
        if cost.size < REDUCE_PAIRS or not SingleSourceDual.applies(d.weights, d.capacity):
            return None
        opening = self.opening_costs()
        dual = SingleSourceDual(cost, d.weights, d.capacity, opening, d.fixed, d.forbidden)
        found = dual.reduce(deadline, threads=1)
        if found is None:
            return None
        pairs = model.maps["pairs"]
        assigned = found.plan[pairs[:, 0]] == pairs[:, 1]
        is_open = d.fixed.copy()
        is_open[found.plan] = True
        model.reduced = []
        for j in range(d.n_sites):
            model.y[j].set_value(float(is_open[j]))
            if not model.y[j].fixed and (found.must_close[j] or found.must_open[j]):
                model.y[j].fix(0.0 if found.must_close[j] else 1.0)
                model.reduced.append(model.y[j])
        keep = found.keep[pairs[:, 0], pairs[:, 1]]
        for q in range(len(pairs)):
            model.x[q].set_value(float(assigned[q]))
            if not keep[q]:
                model.x[q].fix(0.0)
                model.reduced.append(model.x[q])
        return {"lagrangian_bound": found.bound, "start_objective": found.upper, "lagrangian_steps": found.steps,
                "sites_closed_by_bound": int((found.must_close & ~d.forbidden).sum()),
                "sites_opened_by_bound": int((found.must_open & ~d.fixed).sum()),
                "pairs_kept": int(keep.sum())}

    def check_plan(self, solution: Solution) -> list[str]:
        """The location rules, and each point served by one site alone."""
        assignment = solution.tables["assignment"]
        split = assignment.loc[assignment["share"] < 1 - 1e-6, "demand_id"].unique().tolist()
        return super().check_plan(solution) + [f"point {i} is split over sites" for i in split[:5]]
