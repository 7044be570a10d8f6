r"""Quay-wall and bridge renewal scheduling: in which period is each asset renewed?

Every asset (a bridge or a quay segment) must start its renewal by its latest period (its
safe life), within the budget and crews of each period and the closures a district can
bear, while the city suffers the least traffic hindrance and air-quality damage, and the
cables and pipes under the works are moved in the same works where that pays.

Sets
    A works (bridges, quay segments); T = 1..H periods; D districts; U cables and pipes,
    each under a host work h(u); S_a ⊆ T the periods in which a may start: t ≤ L_a (latest
    start, for works due within the horizon), t + δ_a − 1 ≤ H, and no period of the works in
    a blackout of a's district; S_a = {F_a} for a work whose start F_a is given (F ⊆ A: a
    decision already taken, or a what-if); P precedence pairs (a before b); C pairs that may not be
    closed together; I pairs whose closures interact.

Parameters
    δ_a duration (periods), c_a cost (spread evenly over the duration), r_a crews while in
    works, ρ_a risk cost per period the renewal waits (a work not started in the horizon
    waits H periods); B_t budget and K_t crews in period t; M_d closures at once in
    district d; g_t = (1 + traffic_growth)^(t−1).
    Hindrance and air (from the street network, per period of closure): a work closes the
    share κ_a of the traffic of its street link ℓ (load_ℓ vehicles/h × hours_per_period);
    that traffic takes the shortest path between ℓ's ends without ℓ:
      η_a = κ_a · load_ℓ · hours · (detour − length_ℓ) / speed        vehicle-hours
      α_a = κ_a · load_ℓ · hours · EF_NOx · (Σ_{ℓ'∈detour} len_ℓ' p_ℓ' − len_ℓ p_ℓ)⁺ / 1000
    with p_ℓ the mean inhabitants of ℓ's two end nodes: NOx (g) weighted by the thousands of
    inhabitants along the route. Traffic with no path left counts cut_hours per vehicle.
    Interactions (pairs in I, per period both are closed): works on the same link share one
    closure: Δ_ab = −κ_a κ_b (η, α per unit share) (a saving); works whose detours run over
    each other's links make each other's detours longer: Δ_ab = joint − single detours (a
    cost); when closing both leaves no path at all, the pair is in C instead. Interactions
    smaller than ``min_interaction`` of the smaller single hindrance are left out, and each
    work keeps its ``max_interactions`` largest (documented approximations; the tables
    report what the plan costs under the model).
    For u ∈ U: a window [e_u, l_u], cost c_u, duration δ_u, crews r_u, saving σ_u when moved
    in the works on its host (bundled: its works start with the host's); done on its own it
    closes the host again for δ_u periods, starting in V_u ⊆ [e_u, l_u] (finished within the
    horizon, no period in a blackout of the host's district). Its works cost
    π_u = (c_u − σ_u)/δ_u (bundled) or c_u/δ_u (on its own) per period and take r_u crews, from
    its operator o(u)'s budget B^o_τ and crews K^o_τ, or from B_τ, K_τ without an operator.
    Write c_uτ for u's works running in τ (Σ of its b_ut, v_ut with t ≤ τ < t + δ_u) and
    o_uτ for the part done on its own (the v_ut only): o_uτ is a closure of h(u).

Variables
    s_at ∈ {0,1} (t ∈ S_a): a starts in t;  w_aτ = Σ_{t ≤ τ < t+δ_a} s_at (in works in τ);
    b_ut, v_ut ∈ {0,1}: u bundled with its host starting in t / done on its own starting in
    t ∈ V_u; λ_u ∈ {0,1}: u done after the horizon (only when l_u > H); z_abτ ∈ [0,1]
    interactions (continuous: an exact linearisation of products of binaries).

Objective terms
    hindrance = Σ_at s_at η_a Σ_{τ active} g_τ + Σ_I Δ^η_ab Σ_τ g_τ z_abτ + Σ_u Σ_t v_ut η_h(u) Σ g + λ_u η_h(u) δ_u g_H
    air       = the same with α
    risk      = Σ_a ρ_a (H − Σ_t (H − (t−1)) s_at)
    cost      = Σ_a c_a Σ_t s_at + Σ_u (c_u Σ_t v_ut + (c_u − σ_u) Σ_t b_ut + c_u λ_u)
    min  w_h · hindrance + w_air · air + w_risk · risk + w_cost · cost

Constraints (the model's families, by name; model.py has one function for each)
    once        Σ_t s_at = 1 (a due: L_a ≤ H, or a ∈ F),  ≤ 1 otherwise
    budget      Σ_a (c_a/δ_a) w_aτ + Σ_{u: no operator} π_u c_uτ ≤ B_τ      ∀ τ
    crews       Σ_a r_a w_aτ + Σ_{u: no operator} r_u c_uτ ≤ K_τ             ∀ τ
    operator_budget  Σ_{u: o(u)=o} π_u c_uτ ≤ B^o_τ                          ∀ o, τ
    operator_crews   Σ_{u: o(u)=o} r_u c_uτ ≤ K^o_τ                          ∀ o, τ
    district    Σ_{a∈d} w_aτ + Σ_{u: h(u)∈d} o_uτ ≤ M_d                      ∀ d, τ
    precedence  Σ_{t ≤ τ} s_bt ≤ Σ_{t ≤ τ−δ_a} s_at       ∀ (a,b) ∈ P, τ   (b starts after a ends)
    conflict    x + y ≤ 1  for x ∈ {w_aτ} ∪ {o_uτ: h(u)=a}, y ∈ {w_bτ} ∪ {o_uτ: h(u)=b}
                                                          ∀ (a,b) ∈ C, τ
    inter       z_abτ ≥ w_aτ + w_bτ − 1  where Δ_ab are costs;  z_abτ ≤ w_aτ, z_abτ ≤ w_bτ where
                they are savings; all three where hindrance and air differ in sign   ∀ (a,b) ∈ I, τ
                (z = w_a w_b wherever it counts: terms are only minimised or bounded above)
    util_once   Σ_t b_ut + Σ_{t∈V_u} v_ut + λ_u = 1                     ∀ u
    bundle      b_ut ≤ s_h(u)t                                          ∀ u, t ∈ [e_u, l_u]

First plan: LP-and-fix (heuristic): the works whose start the LP relaxation decides in
integers keep it, HiGHS plans the rest; with the LP optimum as its bound, a plan within the
gap asked for ends the solve there.

Modules: schema (instance format), data (tables to model data), traffic (detours and
interactions on the street network), model (the MILP), heuristic (the first plan), solution
(tables, layers, scenario), plots (Gantt chart, maps).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyomo.core as pyo

from optimise.instance import Instance
from optimise.parameters import Parameter
from optimise.problem import Listing, ObjectiveTerm, Problem, Solution
from optimise.schema import TableSchema
from optimise.solver import SolverOutcome
from optimise.vital import VitalSystems

from . import solution
from .solution import check_plan as schedule_rules
from .data import QuayData, build_data
from .model import build_model, growth
from .schema import OBJECTIVES, PARAMETERS, REQUIRED, TABLES

__all__ = ["QuayWalls", "QuayData"]


class QuayWalls(Problem):
    name: ClassVar[str] = "quay_walls"
    title: ClassVar[str] = "quay-wall and bridge renewal schedule: hindrance, air quality, risk, cost, bundled cables"
    tables: ClassVar[dict[str, TableSchema]] = TABLES
    parameters: ClassVar[dict[str, Parameter]] = PARAMETERS
    objectives: ClassVar[dict[str, ObjectiveTerm]] = OBJECTIVES
    formulation = "time-indexed starts"
    # HiGHS's presolve removes a tenth of the rows of this model and takes 20 s on the city's
    # (then the root LP is within 0.02 % of the optimum anyway): without it the full instance
    # reached its 0.25 % gap in 31 s against 56 s, the centre proved its optimum in 0.75 s
    # against 1.5 s (one thread; benchmarks/speed.py). Sub-MIPs still presolve.
    highs_options: ClassVar[dict[str, Any]] = {"presolve": "off"}
    head_start_settles = True  # LP-and-fix bounds its plan by the LP optimum (see .heuristic)
    #: In `optimise app` a click on a work closes it (starts its renewal) in the chosen year.
    given_period: ClassVar[tuple[str, str, str]] = ("works", "start", "periods")
    key_figures: ClassVar[tuple[tuple[str, str], ...]] = (
        ("extra_vehicle_hours", "vehicle-hours"), ("nox_kg", "NOx kg"), ("km_renewed", "km renewed"),
        ("budget_used", "budget used"), ("cables_bundled", "cables bundled"), ("past_safe_life", "past safe life"))
    elastic: ClassVar[tuple[str, ...]] = ("once", "budget", "crews", "operator_budget", "operator_crews", "district",
                                          "precedence", "conflict")
    resources: ClassVar[tuple[str, ...]] = ("budget", "crews", "operator_budget", "operator_crews", "district")
    elastic_weights: ClassVar[dict[str, float]] = {"once": 10.0}  # a safe life is the last rule to give
    listings: ClassVar[tuple[Listing, ...]] = (Listing(
        "periods", (("period", "period"), ("works_active", "works"), ("bridges_started", "bridges"),
                    ("km_renewed", "km quay"), ("budget_used", "budget used"), ("crews_used", "crews"),
                    ("extra_vehicle_hours", "extra veh-h"), ("nox_kg", "NOx kg"), ("past_safe_life", "past life")),
        sort="period", ascending=True),)

    data: QuayData

    @classmethod
    def from_instance(cls, instance: Instance) -> "QuayWalls":
        from optimise.vital import load_vital_systems

        params, tables, labels = cls.read_instance(instance, REQUIRED)
        return cls(build_data(tables, params, load_vital_systems(instance), labels), **params)

    @classmethod
    def from_tables(cls, works: pd.DataFrame, periods: pd.DataFrame, *, vital: VitalSystems | None = None,
                    **tables_and_params: Any) -> "QuayWalls":
        """Build from DataFrames (columns as in the instance format); other tables by name
        (districts, blackouts, precedence, utilities, nodes); the rest are parameters."""
        given = {"works": works, "periods": periods, **{k: v for k, v in tables_and_params.items() if k in cls.tables}}
        params = {k: v for k, v in tables_and_params.items() if k not in cls.tables}
        checked, tables, labels = cls.read_frames(given, params)
        return cls(build_data(tables, checked, vital, labels), **params)

    # --- model ----------------------------------------------------------------------------

    def growth(self) -> np.ndarray:
        return growth(self.data, self.params)

    def build(self) -> pyo.ConcreteModel:
        return build_model(self.data, self.params, self.name)

    def starting_plan(self, model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
        """LP-and-fix (:mod:`.heuristic`): the works the LP relaxation starts in integers
        keep that start, HiGHS plans the rest."""
        from .heuristic import lp_and_fix

        return lp_and_fix(model, deadline, seed)

    def describe_row(self, family: str, index: Any, amount: float, direction: str,
                     model: pyo.ConcreteModel | None = None) -> str:
        d = self.data
        maps = model.maps if model is not None else None
        ids = d.work_labels
        year = lambda t: int(d.periods[int(t)])  # noqa: E731
        if family == "once":
            a = int(index)
            if not d.due[a]:
                return f"{ids[a]} is renewed at most once in the horizon"
            subject = f"{ids[a]} ({d.works['kind'].iloc[a]}) must start by {year(d.latest[a])}, its safe life"
        elif family in ("budget", "crews"):
            have = d.budget[int(index)] if family == "budget" else d.crews[int(index)]
            subject = f"the {family} of {year(index)} ({have:,.0f})"
        elif family in ("operator_budget", "operator_crews"):
            o, tau = maps.operator_rows[int(index)]
            what = family.split("_")[1]
            have = (d.operator_budget if what == "budget" else d.operator_crews)[o, tau]
            subject = f"the {what} of {d.operators[o]} in {year(tau)} ({have:,.0f})"
        elif family == "district":
            dist, tau = maps.limited[int(index)]
            subject = f"the closure limit of district {dist} in {year(tau)} ({d.district_limit[dist]})"
        elif family == "precedence":
            a, b, tau = maps.precedence[int(index)]
            subject = f"{ids[b]} only after {ids[a]} ({year(tau)})"
        elif family == "conflict":
            a, b, tau = maps.conflicts[int(index)]
            subject = f"{ids[a]} and {ids[b]} not closed together in {year(tau)} (it would cut the street network)"
        else:
            return super().describe_row(family, index, amount, direction, model)
        if direction == "binds":
            return f"{subject} binds: relaxing it one unit changes the objective by {amount:+,.4g}"
        if direction == "tight":
            return f"{subject} is {amount:.1%} used by the plan"
        if family == "once":
            return f"{subject}, but cannot within the other rules"
        if family in ("budget", "crews", "operator_budget", "operator_crews"):
            return f"{subject} is {amount:,.0f}{' crews' if family.endswith('crews') else ''} short"
        if family == "district":
            return f"{subject} would need {amount:g} more closures at once"
        if family == "precedence":
            return f"{subject} cannot hold: the later work would have to start first"
        return f"{subject} cannot hold"

    def size_text(self) -> str:
        d = self.data
        return f"{d.n} works ({int(d.due.sum())} due), {d.horizon} periods, {len(d.utilities)} cables and pipes"

    def plan_indicators(self, model: pyo.ConcreteModel) -> dict[str, Any]:
        return {f"{self.data.works['id'].iloc[a]}@{self.data.periods[t]}": model.s[q]
                for q, (a, t) in enumerate(model.maps.starts)}

    # --- solution ---------------------------------------------------------------------------

    def evaluate(self, start: np.ndarray, util_mode: list[tuple[str, int]]) -> dict[str, float]:
        """Objective terms of a schedule: start index per work (-1: not in the horizon) and,
        per cable or pipe, ("bundled" | "separate" | "later", period index)."""
        return solution.evaluate(self.data, self.params, start, util_mode)

    def active_matrix(self, start: np.ndarray) -> np.ndarray:
        return solution.active_matrix(self.data, start)

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        start, modes = solution.read_plan(self.data, model)
        plan = self.schedule_solution(start, modes)
        full = solution.full_model_figures(self.data, self.params, start, plan.summary["objectives"], outcome.bound)
        plan.summary["full_model"] = full
        if full["interactions_all"] > full["interactions_kept"]:
            within = "" if full["gap_all_interactions"] is None else \
                f"; the full model's optimum is at most {full['gap_all_interactions']:.2%} better"
            plan.headline.append(("with every interaction", f"{full['hindrance_all_interactions']:,.0f} vehicle-hours "
                                  f"({full['interactions_kept']:,} of {full['interactions_all']:,} interactions "
                                  f"modelled{within})"))
        return plan

    def schedule_solution(self, start: np.ndarray, modes: list[tuple[str, int]]) -> Solution:
        return solution.schedule_solution(self.data, self.params, start, modes)

    def check_plan(self, solution: Solution) -> list[str]:
        return schedule_rules(self.data, solution)

    plan_tables: ClassVar[dict[str, tuple[str, ...]]] = {"schedule": ("id", "start"),
                                                          "utilities": ("id", "mode", "period")}

    def plan_table_needed(self, name: str) -> bool:
        return name == "schedule" or len(self.data.utilities) > 0

    def plan_solution(self, tables: dict[str, pd.DataFrame], files: dict[str, str]) -> Solution:
        start, modes = solution.plan_of(self.data, tables, files)
        return self.schedule_solution(start, modes)

    def plan_values(self, model: pyo.ConcreteModel, tables: dict[str, pd.DataFrame],
                    files: dict[str, str]) -> list[tuple[Any, float]]:
        """Per work, its start variables (1 at the planned start, 0 elsewhere) and per cable its
        options, as planned. A work whose planned start the question no longer allows (its
        start now given, a blackout), and the cables under it, are left out: HiGHS chooses
        them (a sub-MIP over what is left out) and completes the interactions."""
        start, modes = solution.plan_of(self.data, tables, files)
        maps = model.maps
        kept = {a for a, t in enumerate(start)
                if (t < 0 and not self.data.due[a]) or any(maps.starts[q][1] == t for q in maps.by_work[a])}
        host = self.data.utilities["host_index"].to_numpy(int) if len(self.data.utilities) else []
        return ([(model.s_list[q], float(t == start[a])) for q, (a, t) in enumerate(maps.starts) if a in kept]
                + [(model.b[r], float(modes[u] == ("bundled", t))) for r, (u, t, _) in enumerate(maps.bundled)
                   if host[u] in kept]
                + [(model.v[r], float(modes[u] == ("separate", t))) for r, (u, t) in enumerate(maps.separate)
                   if host[u] in kept]
                + [(model.later[k], float(modes[int(u)][0] == "later")) for k, u in enumerate(maps.later)
                   if host[int(u)] in kept])

    def scenario(self, result: Any) -> Any:
        """The schedule per period for the cascade checker: works out while renewed; cables
        and pipes out while replaced (with their host when bundled, on their own otherwise)."""
        return solution.scenario(self.data, result)

    def figures(self, result: Any, impact: Any = None) -> dict[str, Any]:
        from .plots import gantt, period_maps

        return {"gantt": gantt(self.data, result), **period_maps(self.data, result, impact)}

    def figure_parts(self, result: Any, impact: Any = None) -> list[Any]:
        """The Gantt chart, and each period's map, drawn apart."""
        from .plots import gantt, period_maps

        return [lambda: {"gantt": gantt(self.data, result)}] + [
            lambda period=period: period_maps(self.data, result, impact, [period]) for period in self.data.periods]

    def map_layers(self, result: Any) -> list[Any]:
        from .plots import web_layers

        return web_layers(self.data, result)

    def charts(self, result: Any) -> dict[str, Any]:
        from .plots import gantt_chart

        return {"Schedule (Gantt)": gantt_chart(result)}
