r"""Mobility-hub siting: where to place hubs (shared cars and bikes, parking) and of what size.

A hub is a place where residents and workers find shared cars and bikes; car owners near a
good hub give up their own car, and the street parking they used is won back. Hubs take
space themselves, cost money, and their charging points load the electricity grid.

Sets
    I demand points (building blocks, neighbourhoods), J candidate sites, K size classes;
    P ⊆ I × J the pairs within walking reach (walking distance d_ij ≤ D);
    A the grid assets a hub's charging load reaches (its own asset and, upstream along
    ``supply`` dependencies, every supplier with a capacity in the same unit).

Parameters
    U_i = residents_i + job_weight · jobs_i   potential hub users at point i
    C_i   private cars at i (``cars``, or residents_i · cars_per_resident)
    d_ij  walking distance, metres: the ``walking`` table; else over the ``streets`` open to
          walking where both ends lie within street_snap_m of a street (to its nearest street
          at the foot of the perpendicular, along it to a node, the shortest path on, never
          less than the straight line); else straight line · detour_factor
    t_ij = d_ij / walk_speed                 walking time, minutes
    T     unserved_minutes: the time charged for a user without a hub in reach
    g(d)  acceptance curve: share of car owners who give up their car when their hub is d
          metres away (piecewise linear through the instance's points; a_ij = g(d_ij) is
          data for every pair, so the curve enters the model as exact coefficients)
    q_ij = C_i a_ij / cars_per_shared_car + U_i · bikes_per_user   shared vehicles that
          point i needs at hub j
    F_k footprint (m²), V_k vehicle places, E_k charging points, c_k cost of class k;
    φ_j cost factor of site j; S_j space available at site j; K_j ⊆ K the classes that fit
          (F_k ≤ S_j and the footprint, a disc of area F_k around the site, touches no area
          claimed by another system in the conflicts layer)
    L_k = E_k · kw_per_charging_point · charging_simultaneity / 1000   charging load (MW)
    σ_ja  share of site j's load that reaches asset a; cap_a, load_a the asset's
          capacity and present load; u_max the utilisation the grid may reach
    B budget, H number of hubs, s_min share of users to serve (all optional)

Variables
    y_jk ∈ {0,1}  a hub of class k at site j;   x_ij ∈ [0,1]  share of point i served by j.

Objective terms
    walk        = Σ_i U_i T + Σ_(i,j)∈P U_i (t_ij − T) x_ij       person-minutes  (min)
    space_taken = Σ_jk F_k y_jk                                  m²              (min)
    space_won   = m2_per_car · Σ_(i,j)∈P C_i a_ij x_ij            m²              (max)
    cost        = Σ_jk φ_j c_k y_jk                               cost units      (min)

    min  w_walk·walk + w_taken·space_taken − w_won·space_won + w_cost·cost

Constraints (the model's families, by name; model.py has one function for each)
    one_class   Σ_k y_jk ≤ 1                      ∀ j   (one class per site; = 1 for existing hubs)
    (domain)    y_jk exists only for k ∈ K_j and j not forbidden
    serve       Σ_j x_ij ≤ 1                      ∀ i   (a point may stay unserved, at time T)
    link        x_ij ≤ Σ_k y_jk                   ∀ (i,j) ∈ P   (served only by an open hub)
    vehicles    Σ_i q_ij x_ij ≤ Σ_k V_k y_jk      ∀ j   (vehicle places)
    budget      Σ_jk φ_j c_k y_jk ≤ B                   (when B is given)
    hub_count   Σ_jk y_jk = H                           (when H is given)
    min_served  Σ_(i,j)∈P U_i x_ij ≥ s_min Σ_i U_i      (when s_min > 0)
    grid        Σ_jk σ_ja L_k y_jk ≤ max(u_max cap_a − load_a, 0)   ∀ a ∈ A   (grid headroom:
                the plan's added load; an asset above u_max today takes no more, and is
                reported as a finding of its own, not as a fault of the plan)

A point may be split over hubs (x is a share): demand points are aggregates, and capacity
can make a split the best plan. Any two objective terms can be traded off with
``optimise pareto``; ``--alternatives`` finds different plans within a slack of the optimum.

First plan (models with at least 500 size choices): LP-and-fix on the class-disaggregated
form (x_ijk ≤ y_jk, Σ_i q_ij x_ijk ≤ V_k y_jk; ``model.define_class_links``), whose LP is
nearly integral in y and bounds every plan; HiGHS then solves the model above from it.

Modules: schema (instance format), data (tables to model data), model (the MILP), heuristic
(the first plan), solution (tables, layers, scenario), plots (the map).
"""

from __future__ import annotations

from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.core as pyo

from optimise.errors import InfeasibleInput, InputError, plain
from optimise.instance import Instance
from optimise.parameters import Parameter
from optimise.plans import truth_values
from optimise.problem import Listing, ObjectiveTerm, Problem, Solution
from optimise.schema import TableSchema
from optimise.solver import SolverOutcome
from optimise.vital import VitalSystems, labelled

from . import solution
from .solution import check_plan as solution_rules
from .data import HubData, build_data
from .model import build_model, class_load, pair_vehicles, walk_minutes
from .schema import OBJECTIVES, PARAMETERS, REQUIRED, TABLES

__all__ = ["HubSiting", "HubData"]


class HubSiting(Problem):
    name: ClassVar[str] = "hub_siting"
    title: ClassVar[str] = "mobility hubs: sites and sizes, weighing walking, space, cost and grid capacity"
    tables: ClassVar[dict[str, TableSchema]] = TABLES
    parameters: ClassVar[dict[str, Parameter]] = PARAMETERS
    objectives: ClassVar[dict[str, ObjectiveTerm]] = OBJECTIVES
    formulation = "assignment (strong links)"
    key_figures: ClassVar[tuple[tuple[str, str], ...]] = (
        ("space_won_m2", "m² won back"), ("net_space_m2", "net m²"), ("share_served", "share served"),
        ("mean_walk_min", "walk min (mean)"), ("p95_walk_min", "walk min (95th pct)"), ("cost", "cost"),
        ("n_open", "hubs"))
    elastic: ClassVar[tuple[str, ...]] = ("budget", "hub_count", "min_served", "grid", "vehicles", "one_class")
    resources: ClassVar[tuple[str, ...]] = ("budget", "grid", "vehicles")
    listings: ClassVar[tuple[Listing, ...]] = (
        Listing("hubs", (("id", "id"), ("size", "size"), ("users", "users"), ("vehicles_needed", "vehicles"),
                         ("vehicle_places", "places"), ("cars_given_up", "cars off"), ("space_won_m2", "m² won"),
                         ("asset", "asset")), sort="users"),
        # the load the plan puts on each grid asset, fullest first, with its cascade flag
        Listing("grid", (("asset", "asset"), ("capacity", "capacity"), ("load_before", "load before"),
                         ("added", "added"), ("utilisation_before", "use before"),
                         ("utilisation_after", "use after")),
                sort="utilisation_after", title="grid load", percent=("utilisation_before", "utilisation_after"),
                flag_by="asset", limit=15),
    )

    data: HubData

    def size_text(self) -> str:
        return f"{self.data.n_demand} demand points, {self.data.n_sites} sites"

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def from_instance(cls, instance: Instance) -> "HubSiting":
        from optimise.vital import load_vital_systems

        params, tables, labels = cls.read_instance(instance, REQUIRED)
        data = build_data(tables, params, crs=instance.crs, vital=load_vital_systems(instance), labels=labels,
                          toml_file=str(instance.toml_file))
        return cls(data, **params)

    @classmethod
    def from_geodataframe(cls, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, sizes: pd.DataFrame, *,
                          conflicts: gpd.GeoDataFrame | None = None, walking: pd.DataFrame | None = None,
                          acceptance: pd.DataFrame | None = None, streets: gpd.GeoDataFrame | None = None,
                          vital: VitalSystems | None = None,
                          crs: str | None = None, **params: Any) -> "HubSiting":
        """Build from GeoDataFrames (columns as in the instance format)."""
        given = {"demand": demand, "sites": sites, "sizes": sizes, "conflicts": conflicts,
                 "walking": walking, "acceptance": acceptance, "streets": streets}
        checked, tables, labels = cls.read_frames(given, params)
        data = build_data(tables, checked, crs=crs, vital=vital, labels=labels, toml_file="parameters")
        return cls(data, **params)

    # --- checks -----------------------------------------------------------------------------

    def check(self) -> None:
        d, p = self.data, self.params
        fixed_without_class = d.fixed & ~d.allowed.any(axis=1)
        if fixed_without_class.any():
            j = int(np.flatnonzero(fixed_without_class)[0])
            raise InfeasibleInput(f"existing hub {plain(d.site_ids[j])!r} fits no size class (space or a conflicting claim)",
                                  file=d.labels["sites"], field="fixed", row=j + 1)
        if p["hubs"] is not None:
            if p["hubs"] > int(d.allowed.any(axis=1).sum()):
                raise InfeasibleInput(f"hubs = {p['hubs']} but only {int(d.allowed.any(axis=1).sum())} site(s) can take a hub",
                                      field="parameters.hubs")
            if int(d.fixed.sum()) > p["hubs"]:
                raise InfeasibleInput(f"{int(d.fixed.sum())} existing hubs already exceed hubs = {p['hubs']}",
                                      field="parameters.hubs")
        if p["budget"] is not None:
            cheapest = np.where(d.allowed, d.sizes["cost"].to_numpy(float)[None, :], np.inf).min(axis=1) * d.cost_factor
            needed = float(cheapest[d.fixed].sum())
            if needed > p["budget"] + 1e-9:
                raise InfeasibleInput(f"the existing hubs cost at least {needed:,.6g}, more than the budget {p['budget']:,.6g}",
                                      field="parameters.budget")
            if p["hubs"] is not None and p["hubs"] > d.fixed.sum():
                others = np.sort(cheapest[~d.fixed & np.isfinite(cheapest)])[: p["hubs"] - int(d.fixed.sum())]
                if needed + others.sum() > p["budget"] + 1e-9:
                    raise InfeasibleInput(f"{p['hubs']} hubs cost at least {needed + others.sum():,.6g}, more than the "
                                          f"budget {p['budget']:,.6g}", field="parameters.budget")
        if p["min_served"] > 1:
            raise InputError(f"must be a share between 0 and 1, found {p['min_served']:g}", field="parameters.min_served")
        if p["min_served"] > 0:
            reach = np.zeros(d.n_demand, dtype=bool)
            reach[d.pairs[:, 0]] = True
            share = d.users[reach].sum() / d.users.sum() if d.users.sum() > 0 else 1.0
            if share < p["min_served"] - 1e-12:
                raise InfeasibleInput(f"only {share:.1%} of users have a candidate site within {p['max_walk_m']:g} m, "
                                      f"less than min_served = {p['min_served']:.1%}", field="parameters.min_served")
        if d.grid_assets and d.fixed.any():
            # existing hubs in their lightest class that fits must already fit on the grid
            lightest = np.where(d.allowed, class_load(d, p)[None, :], np.inf).min(axis=1)
            needed = np.where(d.fixed, lightest, 0.0) @ d.grid_share
            over = needed > d.grid_headroom + 1e-9
            if over.any():
                g = int(np.flatnonzero(over)[0])
                asset = d.vital.assets["id"].iloc[d.grid_assets[g]]
                names = ", ".join(str(s) for s in d.site_ids[d.fixed & (d.grid_share[:, g] > 0)])
                left = (f": {self._above_today(g)} and takes no added load" if d.grid_over_today[g]
                        else f", which has {d.grid_headroom[g]:.3g} MW left (max_utilisation {self.params['max_utilisation']:g})")
                raise InfeasibleInput(f"the existing hubs {names} need at least {needed[g]:.3g} MW on {asset!r}{left}",
                                      file=d.labels["sites"], field="fixed")

    # --- model --------------------------------------------------------------------------

    def class_load(self) -> np.ndarray:
        """L_k: charging load of a hub of each class, MW."""
        return class_load(self.data, self.params)

    def pair_vehicles(self) -> np.ndarray:
        """q_ij per pair: shared vehicles point i needs at hub j."""
        return pair_vehicles(self.data, self.params)

    def walk_minutes(self) -> np.ndarray:
        return walk_minutes(self.data, self.params)

    def build(self) -> pyo.ConcreteModel:
        return build_model(self.data, self.params, self.name)

    def starting_plan(self, model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
        """LP-and-fix on the class-disaggregated LP (:mod:`.heuristic`), for large models."""
        from .heuristic import lp_and_fix

        return lp_and_fix(self.data, self.params, model, deadline, seed)

    def describe_row(self, family: str, index: Any, amount: float, direction: str,
                     model: pyo.ConcreteModel | None = None) -> str:
        p = self.params
        if direction in ("binds", "tight"):
            gain = (f"relaxing it one unit changes the objective by {amount:+,.4g}" if direction == "binds"
                    else f"{amount:.1%} used by the plan")
            if family == "grid":
                if self.data.grid_over_today[int(index)]:
                    return f"{self._above_today(index)}: no hub may add load to it ({gain})"
                return f"the headroom of {self._grid_name(index)} binds ({gain})"
            if family == "vehicles":
                return f"the vehicle places at hub {self._site(index)} bind ({gain})"
            if family == "one_class":
                return f"keeping existing hub {self._site(index)} binds ({gain})"
            what = {"budget": f"the budget of {p['budget']:,.0f}" if p["budget"] is not None else "the budget",
                    "hub_count": "the number of hubs", "min_served": "the share to serve"}
            if direction == "tight":
                return f"{what.get(family, family)} is {amount:.1%} used by the plan"
            return f"{what.get(family, family)} binds ({gain})"
        if family == "budget":
            return f"the budget of {p['budget']:,.0f} is {amount:,.0f} short"
        if family == "hub_count":
            return f"exactly {p['hubs']} hubs cannot be placed (off by {amount:g})"
        if family == "min_served":
            return f"serving {p['min_served']:.0%} of the users falls {amount:,.0f} users short"
        if family == "grid":
            if self.data.grid_over_today[int(index)]:
                return (f"{self._above_today(index)}: the hubs that must go there would add {amount:.3g} MW "
                        f"(raise max_utilisation or reinforce the grid)")
            return f"{self._grid_name(index)} would need {amount:.3g} MW more headroom for the hubs' charging"
        if family == "vehicles":
            return f"hub {self._site(index)} would need {amount:,.1f} more vehicle places"
        if family == "one_class":
            return f"existing hub {self._site(index)} cannot be kept"
        return super().describe_row(family, index, amount, direction, model)

    def _above_today(self, g: Any) -> str:
        d = self.data
        row = d.vital.assets.iloc[d.grid_assets[int(g)]]
        return (f"{self._grid_name(g)} is above the limit today ({row['load'] / row['capacity']:.0%} of its capacity, "
                f"limit {self.params['max_utilisation']:.0%})")

    def _site(self, j: Any) -> str:
        return labelled(self.data.site_ids[int(j)], self.data.site_names[int(j)])

    def _grid_name(self, g: Any) -> str:
        d = self.data
        k = d.grid_assets[int(g)]
        return f"{d.vital.assets['type'].iloc[k] or 'asset'} {d.vital.label(k)}".strip()

    def plan_indicators(self, model: pyo.ConcreteModel) -> dict[str, Any]:
        slots = model.maps.slots
        out: dict[str, Any] = {}
        for s, (j, _) in enumerate(slots):
            name = str(self.data.site_ids[j])
            out[name] = out[name] + model.y[s] if name in out else model.y[s]
        return out

    # --- solution ----------------------------------------------------------------------

    def evaluate(self, size_of: np.ndarray, share: np.ndarray) -> dict[str, float]:
        """The four objective terms of a plan: size class per site (-1: none), share per pair."""
        return solution.evaluate(self.data, self.params, size_of, share)

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        size_of, share = solution.read_plan(self.data, model)
        return solution.hub_solution(self.data, self.params, size_of, share)

    def check_plan(self, solution: Solution) -> list[str]:
        return solution_rules(self.data, self.params, solution)

    drawn_areas: ClassVar[str] = "conflicts"  # an area drawn in `optimise app`: claimed, no hub in it
    plan_tables: ClassVar[dict[str, tuple[str, ...]]] = {"hubs": ("id", "open", "size"),
                                                          "assignment": ("demand_id", "site_id", "share")}

    def plan_solution(self, tables: dict[str, pd.DataFrame], files: dict[str, str]) -> Solution:
        return solution.plan_solution(self.data, self.params, tables, files)

    def plan_values(self, model: pyo.ConcreteModel, tables: dict[str, pd.DataFrame],
                    files: dict[str, str]) -> list[tuple[Any, float]]:
        """y of the plan's open hubs (by site id and size) 1, every other y 0; a hub whose site
        or size the question no longer allows is left closed. HiGHS finds the assignment."""
        slot = {(int(j), int(k)): s for s, (j, k) in enumerate(model.maps.slots)}
        site = {str(v): j for j, v in enumerate(self.data.site_ids)}
        size = {str(v): k for k, v in enumerate(self.data.sizes["id"])}
        values = np.zeros(len(model.y_list))
        hubs = tables["hubs"]
        opened = truth_values(hubs["open"], files.get("hubs", "hubs"), "open")
        for sid, is_open, kind in zip(hubs["id"].astype(str), opened, hubs["size"].astype(str)):
            if is_open and (site.get(sid), size.get(kind)) in slot:
                values[slot[site[sid], size[kind]]] = 1.0
        return list(zip(model.y_list, values.tolist()))

    def scenario(self, result: Any) -> Any:
        """The plan for the cascade checker: each hub's charging load on its asset and on
        the suppliers upstream (the shares the grid constraint uses)."""
        return solution.scenario(self.data, self.params, result)


    def figures(self, result: Any, impact: Any = None) -> dict[str, Any]:
        from .plots import hub_map

        return {"map": hub_map(self.data, result, impact)}

    def map_layers(self, result: Any) -> list[Any]:
        from .plots import web_layers

        return web_layers(self.data, result)
