"""The hub-siting MILP, one function per family of the model in the package docstring.

``build_model`` returns the Pyomo model; which site and class each y stands for, and the
pairs of each site and point, travel on it as ``model.maps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.core as pyo

from optimise.modelling import linear, positions_by_key

from .data import HubData
from .schema import OBJECTIVES


@dataclass
class HubMaps:
    slots: np.ndarray  # y[s] -> (site j, class k)
    by_site: list[np.ndarray]  # site j -> its slots s
    pairs_of_site: list[np.ndarray]  # site j -> its pairs q (x[q] -> d.pairs[q] = (point i, site j))
    pairs_of_point: list[np.ndarray]  # point i -> its pairs q


def class_load(d: HubData, params: dict[str, Any]) -> np.ndarray:
    """L_k: charging load of a hub of each class, MW."""
    return (d.sizes["charging_points"].to_numpy(float) * params["kw_per_charging_point"]
            * params["charging_simultaneity"] / 1000.0)


def pair_vehicles(d: HubData, params: dict[str, Any]) -> np.ndarray:
    """q_ij per pair: shared vehicles point i needs at hub j."""
    i = d.pairs[:, 0]
    return d.cars[i] * d.acceptance / params["cars_per_shared_car"] + d.users[i] * params["bikes_per_user"]


def walk_minutes(d: HubData, params: dict[str, Any]) -> np.ndarray:
    """t_ij per pair."""
    return d.walk_m / params["walk_speed_m_per_min"]


def build_model(d: HubData, params: dict[str, Any], name: str) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name=name)
    define_choices(m, d)
    define_one_class(m, d)
    define_serve(m, d)
    define_link(m, d)
    define_vehicles(m, d, params)
    if params["budget"] is not None:
        define_budget(m, d, params)
    if params["hubs"] is not None:
        define_hub_count(m, params)
    if params["min_served"] > 0:
        define_min_served(m, d, params)
    if d.grid_assets:
        define_grid(m, d, params)
    define_objective(m, d, params)
    return m


def define_choices(m: pyo.ConcreteModel, d: HubData) -> None:
    """y_jk ∈ {0,1} for k ∈ K_j; x_ij ∈ [0,1] for (i,j) ∈ P."""
    slots = np.argwhere(d.allowed)
    m.maps = HubMaps(slots, positions_by_key(slots[:, 0], d.n_sites), positions_by_key(d.pairs[:, 1], d.n_sites),
                     positions_by_key(d.pairs[:, 0], d.n_demand))
    m.Y = pyo.RangeSet(0, len(slots) - 1)
    m.y = pyo.Var(m.Y, domain=pyo.Binary)
    m.X = pyo.RangeSet(0, len(d.pairs) - 1)
    m.x = pyo.Var(m.X, domain=pyo.UnitInterval)
    m.y_list = [m.y[s] for s in range(len(slots))]
    m.x_list = [m.x[q] for q in range(len(d.pairs))]


def _open_sites(m: pyo.ConcreteModel, d: HubData) -> list[int]:
    return [j for j in range(d.n_sites) if len(m.maps.by_site[j])]


def define_one_class(m: pyo.ConcreteModel, d: HubData) -> None:
    """one_class: Σ_k y_jk ≤ 1 (= 1 at an existing hub)."""
    by_site, y = m.maps.by_site, m.y_list

    def rule(m: Any, j: int) -> Any:
        row = linear([1] * len(by_site[j]), [y[s] for s in by_site[j]])
        return row == 1 if d.fixed[j] else row <= 1

    m.one_class = pyo.Constraint(_open_sites(m, d), rule=rule)


def define_serve(m: pyo.ConcreteModel, d: HubData) -> None:
    """serve: Σ_j x_ij ≤ 1 (a point may stay unserved, at time T)."""
    pairs_of_point, x = m.maps.pairs_of_point, m.x_list
    points = [i for i in range(d.n_demand) if len(pairs_of_point[i])]
    m.serve = pyo.Constraint(points, rule=lambda m, i: linear([1] * len(pairs_of_point[i]),
                                                              [x[q] for q in pairs_of_point[i]]) <= 1)


def define_link(m: pyo.ConcreteModel, d: HubData) -> None:
    """link: x_ij ≤ Σ_k y_jk, one row per pair (the strong form)."""
    by_site, x, y = m.maps.by_site, m.x_list, m.y_list
    site_open = {j: [y[s] for s in by_site[j]] for j in range(d.n_sites)}
    m.link = pyo.Constraint(m.X, rule=lambda m, q: linear(
        [1] + [-1] * len(site_open[int(d.pairs[q, 1])]), [x[q]] + site_open[int(d.pairs[q, 1])]) <= 0)


def define_vehicles(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """vehicles: Σ_i q_ij x_ij ≤ Σ_k V_k y_jk."""
    maps, x, y = m.maps, m.x_list, m.y_list
    need = pair_vehicles(d, params)
    places = d.sizes["vehicles"].to_numpy(float)
    sites = [j for j in _open_sites(m, d) if len(maps.pairs_of_site[j])]
    m.vehicles = pyo.Constraint(sites, rule=lambda m, j: linear(
        list(need[maps.pairs_of_site[j]]) + list(-places[maps.slots[maps.by_site[j], 1]]),
        [x[q] for q in maps.pairs_of_site[j]] + [y[s] for s in maps.by_site[j]]) <= 0)


def define_class_links(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """The class-disaggregated form of link and vehicles, in their place: x_ij = Σ_k x_ijk,
    x_ijk ≤ y_jk, Σ_i q_ij x_ijk ≤ V_k y_jk (the convex hull of one site's choices, Balas's
    disjunctive form; a column and a row per pair and class). Not the model HiGHS solves (its
    larger LP slows every node: benchmarks/results/hub_formulations.md); its LP, far nearer
    integral in y, guides the first plan (:mod:`.heuristic`, which assembles the same LP in
    arrays from the loaded model: tested equal)."""
    slots, by_site = m.maps.slots, m.maps.by_site
    need, places = pair_vehicles(d, params), d.sizes["vehicles"].to_numpy(float)
    triples = [(q, s) for q in range(len(d.pairs)) for s in by_site[int(d.pairs[q, 1])]]
    of_pair = positions_by_key(np.array([q for q, _ in triples], dtype=int), len(d.pairs))
    of_slot = positions_by_key(np.array([s for _, s in triples], dtype=int), len(slots))
    m.del_component(m.link)
    m.del_component(m.vehicles)
    m.T = pyo.RangeSet(0, len(triples) - 1)
    m.xk = pyo.Var(m.T, domain=pyo.UnitInterval)
    x, y, xk = m.x_list, m.y_list, [m.xk[t] for t in range(len(triples))]
    m.link_k = pyo.Constraint(m.T, rule=lambda m, t: linear([1, -1], [xk[t], y[triples[t][1]]]) <= 0)
    m.split = pyo.Constraint(m.X, rule=lambda m, q: linear([1] + [-1] * len(of_pair[q]),
                                                            [x[q]] + [xk[t] for t in of_pair[q]]) == 0)
    used = [s for s in range(len(slots)) if len(of_slot[s])]
    m.vehicles_k = pyo.Constraint(used, rule=lambda m, s: linear(
        [need[triples[t][0]] for t in of_slot[s]] + [-places[slots[s, 1]]], [xk[t] for t in of_slot[s]] + [y[s]]) <= 0)


def slot_cost(m: pyo.ConcreteModel, d: HubData) -> np.ndarray:
    """φ_j c_k per slot."""
    slots = m.maps.slots
    return d.sizes["cost"].to_numpy(float)[slots[:, 1]] * d.cost_factor[slots[:, 0]]


def define_budget(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """budget: Σ_jk φ_j c_k y_jk ≤ B."""
    m.budget = pyo.Constraint(expr=linear(slot_cost(m, d), m.y_list) <= params["budget"])


def define_hub_count(m: pyo.ConcreteModel, params: dict[str, Any]) -> None:
    """hub_count: Σ_jk y_jk = H."""
    m.hub_count = pyo.Constraint(expr=linear([1] * len(m.y_list), m.y_list) == params["hubs"])


def define_min_served(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """min_served: Σ_(i,j)∈P U_i x_ij ≥ s_min Σ_i U_i."""
    users = d.users[d.pairs[:, 0]]
    m.min_served = pyo.Constraint(expr=linear(users, m.x_list) >= params["min_served"] * float(d.users.sum()))


def define_grid(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """grid: Σ_jk σ_ja L_k y_jk ≤ max(u_max cap_a − load_a, 0) on every asset the hubs' load
    reaches: the limit is on the load the plan adds (an asset above it today takes none)."""
    slots, y = m.maps.slots, m.y_list
    load = class_load(d, params)[slots[:, 1]]
    share = d.grid_share[slots[:, 0], :]  # (slots x assets)
    rows = [g for g in range(len(d.grid_assets)) if (share[:, g] > 0).any()]
    m.grid = pyo.Constraint(rows, rule=lambda m, g: linear(
        (share[:, g] * load)[share[:, g] > 0], [y[s] for s in np.flatnonzero(share[:, g] > 0)])
        <= float(d.grid_headroom[g]))


def define_objective(m: pyo.ConcreteModel, d: HubData, params: dict[str, Any]) -> None:
    """The terms walk, space_taken, space_won and cost (``m.terms``), and their weighted sum."""
    slots, x, y = m.maps.slots, m.x_list, m.y_list
    i = d.pairs[:, 0]
    big_t = params["unserved_minutes"]
    footprint = d.sizes["footprint_m2"].to_numpy(float)
    terms = {
        "walk": linear(d.users[i] * (walk_minutes(d, params) - big_t), x, constant=float(d.users.sum() * big_t)),
        "space_taken": linear(footprint[slots[:, 1]], y),
        "space_won": linear(params["m2_per_car"] * d.cars[i] * d.acceptance, x),
        "cost": linear(slot_cost(m, d), y),
    }
    m.terms = pyo.Expression(list(terms), rule=lambda m, name: terms[name])
    sign = {name: (-1.0 if OBJECTIVES[name].maximize else 1.0) * params[OBJECTIVES[name].weight] for name in terms}
    m.objective = pyo.Objective(expr=sum(sign[n] * m.terms[n] for n in terms if sign[n] != 0) + 0.0,
                                sense=pyo.minimize)
