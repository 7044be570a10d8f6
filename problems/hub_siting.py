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
    d_ij  walking distance (``walking`` table, or straight line · detour_factor), metres
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

Constraints
    Σ_k y_jk ≤ 1                      ∀ j   (one class per site; = 1 for existing hubs)
    y_jk = 0                           k ∉ K_j, or j forbidden
    Σ_j x_ij ≤ 1                      ∀ i   (a point may stay unserved, at time T)
    x_ij ≤ Σ_k y_jk                   ∀ (i,j) ∈ P   (served only by an open hub)
    Σ_i q_ij x_ij ≤ Σ_k V_k y_jk      ∀ j   (vehicle places)
    Σ_jk φ_j c_k y_jk ≤ B                   (budget)
    Σ_jk y_jk = H                           (number of hubs)
    Σ_(i,j)∈P U_i x_ij ≥ s_min Σ_i U_i      (share served)
    Σ_jk σ_ja L_k y_jk ≤ u_max cap_a − load_a   ∀ a ∈ A   (grid headroom)

A point may be split over hubs (x is a share): demand points are aggregates, and capacity
can make a split the best plan. Any two objective terms can be traded off with
``optimise pareto``; ``--alternatives`` finds different plans within a slack of the optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression
from shapely import linestrings

from optimise.errors import InfeasibleInput, InputError, plain
from optimise.geo import as_points, project
from optimise.instance import Instance
from optimise.parameters import Parameter, check_parameters
from optimise.problem import Listing, ObjectiveTerm, Problem, Solution
from optimise.schema import Column, TableSchema, check_references, validate_table
from optimise.solver import SolverOutcome
from optimise.vital import VitalSystems, load_shares
from problems._location import weighted_stats

DEMAND = TableSchema(
    "demand",
    (
        Column("id", "id", "demand point id (building block or neighbourhood)", unique=True),
        Column("residents", "number", "inhabitants", unit="people", minimum=0),
        Column("jobs", "number", "workplaces", unit="jobs", required=False, default=0.0, minimum=0, blank=0.0),
        Column("cars", "number", "private cars owned by the residents; empty: residents x cars_per_resident",
               unit="cars", required=False, default=np.nan, minimum=0, blank=np.nan),
    ),
    description="Demand points: residents, jobs and private cars per building block or neighbourhood.",
    geometry="required",
)

SITES = TableSchema(
    "sites",
    (
        Column("id", "id", "candidate site id", unique=True),
        Column("name", "text", "a readable name", required=False, default=""),
        Column("space_m2", "number", "space available at the site; empty: no limit", unit="m2",
               required=False, default=np.inf, positive=True, blank=np.inf),
        Column("cost_factor", "number", "multiplies the cost of a hub here (land, ground works)",
               required=False, default=1.0, positive=True, blank=1.0),
        Column("asset", "text", "grid asset that feeds the site (feeder or substation in the assets layer)",
               required=False, default=None),
        Column("fixed", "bool", "an existing hub that stays (in some size)", required=False, default=False),
        Column("forbidden", "bool", "a site that may not be used", required=False, default=False),
    ),
    description="Candidate hub sites.",
    geometry="required",
)

SIZES = TableSchema(
    "sizes",
    (
        Column("id", "id", "size class, e.g. small, medium, large", unique=True),
        Column("footprint_m2", "number", "space the hub takes, parking included", unit="m2", positive=True),
        Column("vehicles", "number", "places for shared vehicles", unit="vehicles", positive=True),
        Column("charging_points", "number", "charging points", unit="points", minimum=0),
        Column("cost", "number", "cost of building the hub", unit="cost units", minimum=0),
    ),
    description="Hub size classes.",
)

CONFLICTS = TableSchema(
    "conflicts",
    (
        Column("id", "id", "claim id", unique=True),
        Column("system", "text", "the system that claims the space (energy, water, mobility …)", required=False, default=""),
        Column("claim", "text", "what the space is reserved for (heat-network trench, tram line …)", required=False, default=""),
    ),
    description="Optional: areas (polygons) claimed by other systems; no hub footprint may touch them.",
    geometry="required",
)

WALKING = TableSchema(
    "walking",
    (
        Column("demand_id", "id", "demand point id"),
        Column("site_id", "id", "site id"),
        Column("metres", "number", "walking distance over the street network", unit="m", minimum=0),
    ),
    description="Optional: walking distances; when present they replace straight line x detour_factor, "
                "and a pair that is absent is out of walking reach.",
)

ACCEPTANCE = TableSchema(
    "acceptance",
    (
        Column("distance_m", "number", "walking distance to the hub", unit="m", minimum=0),
        Column("share", "number", "share of car owners who give up their car at that distance", minimum=0, maximum=1),
    ),
    description="Optional: the acceptance curve, piecewise linear through these points, flat beyond the ends. "
                "Default: 0.30 up to 100 m, 0.20 at 150 m, 0.10 at 250 m, 0 from 400 m.",
)

#: Default acceptance curve. Car sharers in the Netherlands own on average 30 % fewer cars
#: than before (KiM 2015, "Carsharing in the Netherlands"); a walk of about 100-150 m is
#: acceptable for a shared car, beyond that acceptance falls off (planning guidance).
DEFAULT_ACCEPTANCE = ((0.0, 0.30), (100.0, 0.30), (150.0, 0.20), (250.0, 0.10), (400.0, 0.0))

PARAMETERS = {
    p.name: p
    for p in (
        Parameter("max_walk_m", "number", "longest walk to a hub; farther pairs are not allowed", default=400.0,
                  positive=True, unit="m"),
        Parameter("detour_factor", "number", "walking route over straight line (without a walking table)",
                  default=1.3, minimum=1.0),
        Parameter("walk_speed_m_per_min", "number", "walking speed", default=75.0, positive=True, unit="m/min"),
        Parameter("unserved_minutes", "number", "time charged in the walk objective for a user without a hub",
                  default=15.0, minimum=0, unit="min"),
        Parameter("job_weight", "number", "hub users per job (residents count 1)", default=0.5, minimum=0),
        Parameter("cars_per_resident", "number", "car ownership where the cars column is empty", default=0.25,
                  minimum=0),
        Parameter("m2_per_car", "number", "street space of one parked car, manoeuvring included", default=12.0,
                  positive=True, unit="m2"),
        Parameter("cars_per_shared_car", "number", "private cars given up per shared car needed", default=5.0,
                  positive=True),
        Parameter("bikes_per_user", "number", "shared bikes needed per hub user", default=0.01, minimum=0),
        Parameter("kw_per_charging_point", "number", "charging power per point", default=11.0, minimum=0, unit="kW"),
        Parameter("charging_simultaneity", "number", "share of points charging at the peak", default=0.5,
                  minimum=0),
        Parameter("max_utilisation", "number", "utilisation the grid assets may reach with the hubs", default=1.0,
                  positive=True),
        Parameter("budget", "number", "total cost of the hubs at most", minimum=0, unit="cost units"),
        Parameter("hubs", "integer", "exact number of hubs", minimum=0),
        Parameter("min_served", "number", "share of users that must have a hub in reach", default=0.0, minimum=0),
        Parameter("weight_walk", "number", "objective weight per person-minute walked", default=1.0, minimum=0),
        Parameter("weight_space_taken", "number", "objective weight per m2 taken by hubs", default=1.0, minimum=0),
        Parameter("weight_space_won", "number", "objective weight per m2 of street won back", default=5.0, minimum=0),
        Parameter("weight_cost", "number", "objective weight per cost unit", default=0.0, minimum=0),
    )
}

OBJECTIVES = {
    t.name: t
    for t in (
        ObjectiveTerm("walk", "min", "person-minutes", "walking time of all users to their hub (unserved: unserved_minutes)"),
        ObjectiveTerm("space_taken", "min", "m2", "space taken by the hubs"),
        ObjectiveTerm("space_won", "max", "m2", "street parking space won back by cars given up"),
        ObjectiveTerm("cost", "min", "cost units", "cost of the hubs"),
    )
}
WEIGHT_OF = {"walk": "weight_walk", "space_taken": "weight_space_taken", "space_won": "weight_space_won",
             "cost": "weight_cost"}


@dataclass
class HubData:
    """Validated and pre-computed data of a hub-siting instance."""

    demand_ids: np.ndarray
    users: np.ndarray  # U_i
    cars: np.ndarray  # C_i
    site_ids: np.ndarray
    site_names: np.ndarray
    fixed: np.ndarray
    cost_factor: np.ndarray
    site_asset: np.ndarray  # asset id or None per site
    sizes: pd.DataFrame
    allowed: np.ndarray  # (sites x classes) bool: K_j
    pairs: np.ndarray  # (n_pairs, 2) demand, site
    walk_m: np.ndarray  # d_ij per pair
    acceptance: np.ndarray  # a_ij per pair
    grid_assets: list[int]  # positions in the vital systems of the constrained assets
    grid_share: np.ndarray  # (sites x grid assets) σ_ja
    grid_headroom: np.ndarray  # u_max cap_a - load_a per grid asset
    demand_points: gpd.GeoSeries
    site_points: gpd.GeoSeries
    conflicts: gpd.GeoDataFrame | None
    vital: VitalSystems | None
    labels: dict[str, str]

    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    @property
    def n_sizes(self) -> int:
        return len(self.sizes)


def _acceptance_curve(table: pd.DataFrame | None, label: str) -> tuple[np.ndarray, np.ndarray]:
    if table is None:
        xs, ys = zip(*DEFAULT_ACCEPTANCE)
        return np.array(xs), np.array(ys)
    if len(table) == 0:
        raise InputError("the acceptance curve has no points", file=label, field="distance_m")
    dup = table["distance_m"].duplicated().to_numpy()
    if dup.any():
        raise InputError("this distance appears twice", file=label, field="distance_m", row=int(np.flatnonzero(dup)[0]) + 1)
    t = table.sort_values("distance_m")
    return t["distance_m"].to_numpy(float), t["share"].to_numpy(float)


def _allowed_classes(sites: pd.DataFrame, points: gpd.GeoSeries, sizes: pd.DataFrame,
                     conflicts: gpd.GeoDataFrame | None) -> np.ndarray:
    """K_j: the classes whose footprint fits the site's space and touches no claimed area."""
    footprint = sizes["footprint_m2"].to_numpy(float)
    allowed = footprint[None, :] <= sites["space_m2"].to_numpy(float)[:, None]
    allowed &= ~sites["forbidden"].to_numpy(bool)[:, None]
    if conflicts is not None and len(conflicts):
        tree = conflicts.sindex
        for k, area in enumerate(footprint):
            radius = math.sqrt(area / math.pi)
            hit, _ = tree.query(points.to_numpy(), predicate="dwithin", distance=radius)
            allowed[np.unique(hit), k] = False
    return allowed


class HubSiting(Problem):
    name: ClassVar[str] = "hub_siting"
    title: ClassVar[str] = "mobility hubs: sites and sizes, weighing walking, space, cost and grid capacity"
    tables: ClassVar[dict[str, TableSchema]] = {
        "demand": DEMAND, "sites": SITES, "sizes": SIZES, "conflicts": CONFLICTS,
        "walking": WALKING, "acceptance": ACCEPTANCE,
    }
    parameters: ClassVar[dict[str, Parameter]] = PARAMETERS
    objectives: ClassVar[dict[str, ObjectiveTerm]] = OBJECTIVES
    formulation = "assignment (strong links)"
    elastic: ClassVar[tuple[str, ...]] = ("budget", "hub_count", "min_served", "grid", "vehicles", "one_class")
    resources: ClassVar[tuple[str, ...]] = ("budget", "grid", "vehicles")
    listings: ClassVar[tuple[Listing, ...]] = (
        Listing("hubs", (("id", "id"), ("size", "size"), ("users", "users"), ("vehicles_needed", "vehicles"),
                         ("vehicle_places", "places"), ("cars_given_up", "cars off"), ("space_won_m2", "m² won"),
                         ("asset", "asset")), sort="users"),
        # the load the plan puts on each grid asset, fullest first, with its cascade flag
        Listing("grid", (("asset", "asset"), ("capacity", "capacity"), ("load_before", "load before"),
                         ("added", "added"), ("utilisation_before", "utilisation before"),
                         ("utilisation_after", "after")),
                sort="utilisation_after", title="grid load", percent=("utilisation_before", "utilisation_after"),
                flag_by="asset", limit=15),
    )

    def size_text(self) -> str:
        return f"{self.data.n_demand} demand points, {self.data.n_sites} sites"

    def __init__(self, data: HubData, **params: Any) -> None:
        self.data = data
        self.params = check_parameters(self.parameters, params, file="parameters")
        self.check()

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def from_instance(cls, instance: Instance) -> "HubSiting":
        from optimise.vital import load_vital_systems

        toml = str(instance.toml_file)
        params = check_parameters(cls.parameters, instance.parameters, file=toml)
        tables = {key: instance.table(key, schema) for key, schema in cls.tables.items()
                  if key in ("demand", "sites", "sizes") or instance.has(key)}
        labels = {key: instance.label(key) for key in cls.tables}
        vital = load_vital_systems(instance)
        data = build_data(tables, params, crs=instance.crs, vital=vital, labels=labels, toml_file=toml)
        return cls(data, **params)

    @classmethod
    def from_geodataframe(cls, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, sizes: pd.DataFrame, *,
                          conflicts: gpd.GeoDataFrame | None = None, walking: pd.DataFrame | None = None,
                          acceptance: pd.DataFrame | None = None, vital: VitalSystems | None = None,
                          crs: str | None = None, **params: Any) -> "HubSiting":
        """Build from GeoDataFrames (columns as in the instance format)."""
        given = {"demand": demand, "sites": sites, "sizes": sizes, "conflicts": conflicts,
                 "walking": walking, "acceptance": acceptance}
        tables = {k: validate_table(v, cls.tables[k], file=k) for k, v in given.items() if v is not None}
        checked = check_parameters(cls.parameters, params, file="parameters")
        data = build_data(tables, checked, crs=crs, vital=vital, labels={k: k for k in given},
                          toml_file="parameters")
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
            lightest = np.where(d.allowed, self.class_load()[None, :], np.inf).min(axis=1)
            needed = np.where(d.fixed, lightest, 0.0) @ d.grid_share
            over = needed > d.grid_headroom + 1e-9
            if over.any():
                g = int(np.flatnonzero(over)[0])
                asset = d.vital.assets["id"].iloc[d.grid_assets[g]]
                names = ", ".join(str(s) for s in d.site_ids[d.fixed & (d.grid_share[:, g] > 0)])
                raise InfeasibleInput(
                    f"the existing hubs {names} need at least {needed[g]:.3g} MW on {asset!r}, which has "
                    f"{max(d.grid_headroom[g], 0):.3g} MW left (max_utilisation {self.params['max_utilisation']:g})",
                    file=d.labels["sites"], field="fixed")

    # --- model --------------------------------------------------------------------------

    def class_load(self) -> np.ndarray:
        """L_k: charging load of a hub of each class, MW."""
        p = self.params
        return (self.data.sizes["charging_points"].to_numpy(float) * p["kw_per_charging_point"]
                * p["charging_simultaneity"] / 1000.0)

    def pair_vehicles(self) -> np.ndarray:
        """q_ij per pair: shared vehicles point i needs at hub j."""
        d, p = self.data, self.params
        i = d.pairs[:, 0]
        return d.cars[i] * d.acceptance / p["cars_per_shared_car"] + d.users[i] * p["bikes_per_user"]

    def walk_minutes(self) -> np.ndarray:
        return self.data.walk_m / self.params["walk_speed_m_per_min"]

    def build(self) -> pyo.ConcreteModel:
        d, p = self.data, self.params
        m = pyo.ConcreteModel(name=self.name)
        slots = np.argwhere(d.allowed)  # (j, k) pairs that may be built
        m.Y = pyo.RangeSet(0, len(slots) - 1)
        m.y = pyo.Var(m.Y, domain=pyo.Binary)
        m.X = pyo.RangeSet(0, len(d.pairs) - 1)
        m.x = pyo.Var(m.X, domain=pyo.UnitInterval)
        y = [m.y[s] for s in range(len(slots))]
        x = [m.x[q] for q in range(len(d.pairs))]
        self._slots = slots
        by_site = _groups(slots[:, 0], d.n_sites)
        pairs_of_site = _groups(d.pairs[:, 1], d.n_sites)
        pairs_of_point = _groups(d.pairs[:, 0], d.n_demand)
        sizes = d.sizes
        footprint = sizes["footprint_m2"].to_numpy(float)
        vehicles = sizes["vehicles"].to_numpy(float)
        cost = sizes["cost"].to_numpy(float)[slots[:, 1]] * d.cost_factor[slots[:, 0]]
        load = self.class_load()[slots[:, 1]]

        def lin(coefs: Any, variables: list[Any], constant: float = 0.0) -> LinearExpression:
            return LinearExpression(constant=float(constant), linear_coefs=[float(c) for c in coefs],
                                    linear_vars=variables)

        # one class per site (exactly one at an existing hub)
        open_sites = [j for j in range(d.n_sites) if len(by_site[j])]
        m.one_class = pyo.Constraint(open_sites, rule=lambda m, j: (
            lin([1] * len(by_site[j]), [y[s] for s in by_site[j]]) == 1 if d.fixed[j]
            else lin([1] * len(by_site[j]), [y[s] for s in by_site[j]]) <= 1))
        # a point is served at most once
        served_points = [i for i in range(d.n_demand) if len(pairs_of_point[i])]
        m.serve = pyo.Constraint(served_points, rule=lambda m, i: lin(
            [1] * len(pairs_of_point[i]), [x[q] for q in pairs_of_point[i]]) <= 1)
        # served only by an open hub (strong link: one row per pair)
        site_open = {j: [y[s] for s in by_site[j]] for j in range(d.n_sites)}
        m.link = pyo.Constraint(m.X, rule=lambda m, q: lin(
            [1] + [-1] * len(site_open[int(d.pairs[q, 1])]), [x[q]] + site_open[int(d.pairs[q, 1])]) <= 0)
        # vehicle places
        need = self.pair_vehicles()
        m.vehicles = pyo.Constraint([j for j in open_sites if len(pairs_of_site[j])], rule=lambda m, j: lin(
            list(need[pairs_of_site[j]]) + list(-vehicles[slots[by_site[j], 1]]),
            [x[q] for q in pairs_of_site[j]] + [y[s] for s in by_site[j]]) <= 0)
        if p["budget"] is not None:
            m.budget = pyo.Constraint(expr=lin(cost, y) <= p["budget"])
        if p["hubs"] is not None:
            m.hub_count = pyo.Constraint(expr=lin([1] * len(y), y) == p["hubs"])
        if p["min_served"] > 0:
            users = d.users[d.pairs[:, 0]]
            m.min_served = pyo.Constraint(expr=lin(users, x) >= p["min_served"] * float(d.users.sum()))
        # grid headroom on every asset the hubs' load reaches
        if d.grid_assets:
            share = d.grid_share[slots[:, 0], :]  # (slots x assets)
            rows = [g for g in range(len(d.grid_assets)) if (share[:, g] > 0).any()]
            m.grid = pyo.Constraint(rows, rule=lambda m, g: lin(
                (share[:, g] * load)[share[:, g] > 0], [y[s] for s in np.flatnonzero(share[:, g] > 0)])
                <= float(d.grid_headroom[g]))
        # objective terms
        i = d.pairs[:, 0]
        big_t = p["unserved_minutes"]
        terms = {
            "walk": lin(d.users[i] * (self.walk_minutes() - big_t), x, constant=float(d.users.sum() * big_t)),
            "space_taken": lin(footprint[slots[:, 1]], y),
            "space_won": lin(p["m2_per_car"] * d.cars[i] * d.acceptance, x),
            "cost": lin(cost, y),
        }
        m.terms = pyo.Expression(list(terms), rule=lambda m, name: terms[name])
        sign = {name: (-1.0 if OBJECTIVES[name].maximize else 1.0) * p[WEIGHT_OF[name]] for name in terms}
        m.objective = pyo.Objective(expr=sum(sign[n] * m.terms[n] for n in terms if sign[n] != 0) + 0.0,
                                    sense=pyo.minimize)
        return m

    def describe_row(self, family: str, index: Any, amount: float, direction: str) -> str:
        d, p = self.data, self.params
        if direction in ("binds", "tight"):
            gain = (f"relaxing it one unit changes the objective by {amount:+,.4g}" if direction == "binds"
                    else f"{amount:.1%} used by the plan")
            if family == "grid":
                return f"the headroom of {self._grid_name(index)} binds ({gain})"
            if family == "vehicles":
                return f"the vehicle places at hub {self._site(index)} bind ({gain})"
            if family == "one_class":
                return f"keeping existing hub {self._site(index)} binds ({gain})"
            what = {"budget": "the budget", "hub_count": "the number of hubs", "min_served": "the share to serve"}
            return f"{what.get(family, family)} binds ({gain})"
        if family == "budget":
            return f"the budget of {p['budget']:,.0f} is {amount:,.0f} short"
        if family == "hub_count":
            return f"exactly {p['hubs']} hubs cannot be placed (off by {amount:g})"
        if family == "min_served":
            return f"serving {p['min_served']:.0%} of the users falls {amount:,.0f} users short"
        if family == "grid":
            return f"{self._grid_name(index)} would need {amount:.3g} MW more headroom for the hubs' charging"
        if family == "vehicles":
            return f"hub {self._site(index)} would need {amount:,.1f} more vehicle places"
        if family == "one_class":
            return f"existing hub {self._site(index)} cannot be kept"
        return super().describe_row(family, index, amount, direction)

    def _site(self, j: Any) -> str:
        return str(self.data.site_ids[int(j)])

    def _grid_name(self, g: Any) -> str:
        d = self.data
        row = d.vital.assets.iloc[d.grid_assets[int(g)]]
        return f"{row['type'] or 'asset'} {row['id']}".strip()

    def plan_indicators(self, model: pyo.ConcreteModel) -> dict[str, Any]:
        slots = self._slots
        out: dict[str, Any] = {}
        for s, (j, _) in enumerate(slots):
            name = str(self.data.site_ids[j])
            out[name] = out[name] + model.y[s] if name in out else model.y[s]
        return out

    # --- solution ----------------------------------------------------------------------

    def evaluate(self, size_of: np.ndarray, share: np.ndarray) -> dict[str, float]:
        """The four objective terms of a plan: size class per site (-1: none), share per pair."""
        d, p = self.data, self.params
        i = d.pairs[:, 0]
        built = size_of >= 0
        sizes = d.sizes
        walk = float((d.users * p["unserved_minutes"]).sum() + (d.users[i] * (self.walk_minutes() - p["unserved_minutes"]) * share).sum())
        return {
            "walk": walk,
            "space_taken": float(sizes["footprint_m2"].to_numpy(float)[size_of[built]].sum()),
            "space_won": float((p["m2_per_car"] * d.cars[i] * d.acceptance * share).sum()),
            "cost": float((sizes["cost"].to_numpy(float)[size_of[built]] * d.cost_factor[built]).sum()),
        }

    def weighted(self, terms: dict[str, float]) -> float:
        return sum((-1.0 if OBJECTIVES[n].maximize else 1.0) * self.params[WEIGHT_OF[n]] * v for n, v in terms.items())

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        d, p = self.data, self.params
        slots = self._slots
        chosen = np.array([pyo.value(model.y[s]) > 0.5 for s in range(len(slots))], dtype=bool)
        size_of = np.full(d.n_sites, -1)
        size_of[slots[chosen, 0]] = slots[chosen, 1]
        share = np.clip(np.array([pyo.value(model.x[q]) for q in range(len(d.pairs))]), 0.0, 1.0)
        share[size_of[d.pairs[:, 1]] < 0] = 0.0  # round-off on closed sites
        terms = self.evaluate(size_of, share)
        return self._solution(size_of, share, terms)

    def _solution(self, size_of: np.ndarray, share: np.ndarray, terms: dict[str, float]) -> Solution:
        d, p = self.data, self.params
        sizes = d.sizes
        i, j = d.pairs[:, 0], d.pairs[:, 1]
        used = share > 1e-9
        users_assigned = d.users[i] * share
        given_up = d.cars[i] * d.acceptance * share
        need = self.pair_vehicles() * share
        built = size_of >= 0
        class_load = self.class_load()
        hubs = pd.DataFrame({
            "id": d.site_ids, "name": d.site_names, "open": built,
            "size": np.where(built, sizes["id"].to_numpy()[np.maximum(size_of, 0)].astype(str), ""),
            "fixed": d.fixed,
        })
        take = lambda col: np.where(built, sizes[col].to_numpy(float)[np.maximum(size_of, 0)], 0.0)  # noqa: E731
        hubs["footprint_m2"] = take("footprint_m2")
        hubs["vehicle_places"] = take("vehicles")
        hubs["charging_points"] = take("charging_points")
        hubs["cost"] = take("cost") * d.cost_factor
        hubs["charging_load_mw"] = np.where(built, class_load[np.maximum(size_of, 0)], 0.0)
        hubs["users"] = np.bincount(j, users_assigned, minlength=d.n_sites)
        hubs["vehicles_needed"] = np.bincount(j, need, minlength=d.n_sites)
        hubs["utilisation"] = np.where(hubs["vehicle_places"] > 0, hubs["vehicles_needed"] / hubs["vehicle_places"].replace(0, np.nan), 0.0)
        hubs["cars_given_up"] = np.bincount(j, given_up, minlength=d.n_sites)
        hubs["space_won_m2"] = hubs["cars_given_up"] * p["m2_per_car"]
        hubs["asset"] = [a if isinstance(a, str) else "" for a in d.site_asset]
        walk_minutes = self.walk_minutes()
        assignment = pd.DataFrame({
            "demand_id": d.demand_ids[i[used]], "site_id": d.site_ids[j[used]], "share": share[used],
            "users": users_assigned[used], "walk_m": d.walk_m[used], "walk_min": walk_minutes[used],
            "acceptance": d.acceptance[used], "cars_given_up": given_up[used],
        })
        served_share = np.bincount(i, share, minlength=d.n_demand)
        demand = pd.DataFrame({"id": d.demand_ids, "users": d.users, "cars": d.cars, "served": served_share,
                               "cars_given_up": np.bincount(i, given_up, minlength=d.n_demand)})
        first = assignment.sort_values("share", ascending=False).drop_duplicates("demand_id").set_index("demand_id")
        demand["hub"] = first["site_id"].reindex(d.demand_ids).to_numpy()
        demand["walk_m"] = first["walk_m"].reindex(d.demand_ids).to_numpy(dtype=float)
        grid = self._grid_table(size_of)
        total_users = float(d.users.sum())
        served_users = float(users_assigned.sum())
        stats = weighted_stats(walk_minutes[used], users_assigned[used]) if used.any() else weighted_stats(np.array([]), np.array([]))
        n_open = int(built.sum())
        by_size = hubs[hubs["open"]].groupby("size").size().reindex(sizes["id"].astype(str)).fillna(0).astype(int)
        summary: dict[str, Any] = {
            "open_sites": d.site_ids[built].tolist(),
            "n_open": n_open,
            "hubs_by_size": {str(k): int(v) for k, v in by_size.items()},
            "objectives": terms,
            "space_won_m2": terms["space_won"],
            "space_taken_m2": terms["space_taken"],
            "net_space_m2": terms["space_won"] - terms["space_taken"],
            "cars_given_up": float(given_up.sum()),
            "cost": terms["cost"],
            "share_served": served_users / total_users if total_users > 0 else 1.0,
            "users": total_users,
            "mean_walk_min": stats["mean_distance"],
            "p95_walk_min": stats["p95_distance"],
            "max_walk_min": stats["max_distance"],
            "charging_load_mw": float(hubs["charging_load_mw"].sum()),
        }
        if len(grid):
            summary["grid_max_utilisation"] = float(grid["utilisation_after"].max())
        sizes_text = ", ".join(f"{v} {k}" for k, v in summary["hubs_by_size"].items() if v)
        budget = p["budget"]
        headline = [
            ("hubs", f"{n_open} ({sizes_text or 'none'})"),
            ("space won back", f"{terms['space_won']:,.0f} m² ({summary['cars_given_up']:,.0f} cars given up)"),
            ("space taken by hubs", f"{terms['space_taken']:,.0f} m² (net {summary['net_space_m2']:+,.0f} m²)"),
            ("walking time", f"mean {_minutes(stats['mean_distance'])}, 95th percentile {_minutes(stats['p95_distance'])}"),
            ("users served", f"{summary['share_served']:.1%} of {total_users:,.0f}"),
            ("cost", f"{terms['cost']:,.0f}" + (f" of budget {budget:,.0f}" if budget is not None else "")),
            ("charging load", f"{summary['charging_load_mw']:.2f} MW"),
        ]
        tables = {"hubs": hubs, "assignment": assignment, "demand": demand}
        if len(grid):
            tables["grid"] = grid
        layers = self._layers(hubs, assignment, demand)
        return Solution(tables=tables, layers=layers, summary=summary, headline=headline,
                        objective=self.weighted(terms))

    def _grid_table(self, size_of: np.ndarray) -> pd.DataFrame:
        d, p = self.data, self.params
        if not d.grid_assets or d.vital is None:
            return pd.DataFrame()
        built = size_of >= 0
        site_load = np.where(built, self.class_load()[np.maximum(size_of, 0)], 0.0)
        added = site_load @ d.grid_share
        a = d.vital.assets.iloc[d.grid_assets]
        cap = a["capacity"].to_numpy(float)
        base = a["load"].to_numpy(float)
        table = pd.DataFrame({
            "asset": a["id"].to_numpy(), "type": a["type"].to_numpy(), "name": a.get("name", pd.Series([""] * len(a))).to_numpy(),
            "capacity": cap, "load_before": base, "added": added, "load_after": base + added,
            "utilisation_before": base / cap, "utilisation_after": (base + added) / cap,
            "limit": p["max_utilisation"] * cap,
        })
        return table[table["added"] > 0].sort_values("utilisation_after", ascending=False).reset_index(drop=True)

    def _layers(self, hubs: pd.DataFrame, assignment: pd.DataFrame, demand: pd.DataFrame) -> dict[str, Any]:
        d = self.data
        crs = d.site_points.crs
        layers: dict[str, Any] = {
            "hubs": gpd.GeoDataFrame(hubs, geometry=d.site_points.reset_index(drop=True), crs=crs),
            "demand": gpd.GeoDataFrame(demand, geometry=d.demand_points.reset_index(drop=True), crs=crs),
        }
        if len(assignment):
            dp = d.demand_points.reset_index(drop=True)
            sp = d.site_points.reset_index(drop=True)
            a_i = pd.Index(d.demand_ids).get_indexer(assignment["demand_id"])
            a_j = pd.Index(d.site_ids).get_indexer(assignment["site_id"])
            coords = np.stack([np.column_stack([dp.x.to_numpy()[a_i], dp.y.to_numpy()[a_i]]),
                               np.column_stack([sp.x.to_numpy()[a_j], sp.y.to_numpy()[a_j]])], axis=1)
            layers["assignment"] = gpd.GeoDataFrame(assignment, geometry=linestrings(coords), crs=crs)
        return layers

    # --- cascade and figures --------------------------------------------------------------

    def scenario(self, result: Any) -> Any:
        """The plan for the cascade checker: each hub's charging load on its asset and on
        the suppliers upstream (the shares the grid constraint uses)."""
        from optimise.cascade import Change, Scenario

        d = self.data
        hubs = result.tables.get("hubs")
        if hubs is None or d.vital is None or not d.grid_assets:
            return Scenario("hub plan", [])
        load = hubs["charging_load_mw"].to_numpy(float)
        added = load @ d.grid_share
        changes = []
        for g, a in enumerate(d.grid_assets):
            if added[g] <= 0:
                continue
            feeding = hubs[(d.grid_share[:, g] > 0) & (load > 0)]
            names = ", ".join(f"{r.id} ({r.size})" for r in feeding.itertuples())
            changes.append(Change(d.vital.assets["id"].iloc[a], "load", float(added[g]),
                                  cause=f"charging of hub{'s' if len(feeding) > 1 else ''} {names}"))
        return Scenario("hub plan: charging load", changes)

    def figures(self, result: Any, impact: Any = None) -> dict[str, Any]:
        from problems.hub_plots import hub_map

        return {"map": hub_map(self.data, result, impact)}


def _minutes(value: float) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.1f} min"


def _groups(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key value 0..n-1, the positions where it occurs."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n)]


def build_data(tables: dict[str, pd.DataFrame], params: dict[str, Any], *, crs: str | None,
               vital: VitalSystems | None, labels: dict[str, str], toml_file: str) -> HubData:
    """From validated tables to the pre-computed data of the model (see the docstring)."""
    demand, sites, sizes = tables["demand"], tables["sites"], tables["sizes"].reset_index(drop=True)
    for key, table in (("demand", demand), ("sites", sites), ("sizes", sizes)):
        if len(table) == 0:
            raise InputError("the table is empty", file=labels[key])
    d_points = project(as_points(demand, file=labels["demand"], crs=crs, toml_file=toml_file), crs,
                       file=labels["demand"], toml_file=toml_file)
    target_crs = crs or (d_points.crs.to_string() if d_points.crs else None)
    s_points = project(as_points(sites, file=labels["sites"], crs=crs, toml_file=toml_file), target_crs,
                       file=labels["sites"], toml_file=toml_file)
    both = sites["fixed"].to_numpy(bool) & sites["forbidden"].to_numpy(bool)
    if both.any():
        r = int(np.flatnonzero(both)[0]) + 1
        raise InputError("a site cannot be both fixed and forbidden", file=labels["sites"], field="forbidden", row=r)
    conflicts = None
    if "conflicts" in tables:
        c = tables["conflicts"]
        geom = c.geometry if c.geometry.crs is not None else c.geometry.set_crs(target_crs)
        bad = (~geom.is_valid).to_numpy() | geom.is_empty.to_numpy()
        if bad.any():
            r = int(np.flatnonzero(bad)[0]) + 1
            raise InputError("invalid or empty geometry", file=labels["conflicts"], field="geometry", row=r)
        conflicts = gpd.GeoDataFrame(c.drop(columns=c.geometry.name), geometry=geom.to_crs(d_points.crs).to_numpy(),
                                     crs=d_points.crs)
    demand_ids = demand["id"].to_numpy()
    site_ids = sites["id"].to_numpy()
    residents = demand["residents"].to_numpy(float)
    users = residents + params["job_weight"] * demand["jobs"].to_numpy(float)
    cars = demand["cars"].to_numpy(float)
    cars = np.where(np.isnan(cars), residents * params["cars_per_resident"], cars)
    # walking distances: the walking table, or straight line x detour factor within reach
    max_walk = params["max_walk_m"]
    if "walking" in tables:
        w = tables["walking"]
        label = labels["walking"]
        check_references(w["demand_id"], demand_ids.tolist(), file=label, field="demand_id", what="demand id")
        check_references(w["site_id"], site_ids.tolist(), file=label, field="site_id", what="site id")
        dup = w.duplicated(["demand_id", "site_id"]).to_numpy()
        if dup.any():
            raise InputError("this demand/site pair appears twice", file=label, field="site_id",
                             row=int(np.flatnonzero(dup)[0]) + 1)
        pi = pd.Index(demand_ids).get_indexer(w["demand_id"])
        pj = pd.Index(site_ids).get_indexer(w["site_id"])
        metres = w["metres"].to_numpy(float)
    else:
        from scipy.spatial import cKDTree

        a = np.column_stack([d_points.x.to_numpy(), d_points.y.to_numpy()])
        b = np.column_stack([s_points.x.to_numpy(), s_points.y.to_numpy()])
        near = cKDTree(b).query_ball_point(a, r=max_walk / params["detour_factor"])
        pi = np.repeat(np.arange(len(a)), [len(n) for n in near])
        pj = np.concatenate([np.asarray(n, dtype=int) for n in near]) if len(pi) else np.zeros(0, dtype=int)
        metres = np.hypot(*(a[pi] - b[pj]).T) * params["detour_factor"]
    forbidden = sites["forbidden"].to_numpy(bool)
    keep = (metres <= max_walk + 1e-9) & ~forbidden[pj]
    order = np.lexsort((pj[keep], pi[keep]))
    pairs = np.column_stack([pi[keep], pj[keep]])[order].astype(int)
    metres = metres[keep][order]
    xs, ys = _acceptance_curve(tables.get("acceptance"), labels.get("acceptance", "acceptance"))
    acceptance = np.interp(metres, xs, ys)
    allowed = _allowed_classes(sites, s_points.reset_index(drop=True), sizes, conflicts)
    # grid: the assets a site's load reaches, and their headroom
    assets = sites["asset"].to_numpy(dtype=object)
    named = np.array([a is not None and not (isinstance(a, float) and math.isnan(a)) and a != "" for a in assets])
    grid_assets: list[int] = []
    share_rows: list[dict[int, float]] = [{} for _ in range(len(sites))]
    if named.any():
        if vital is None:
            r = int(np.flatnonzero(named)[0]) + 1
            raise InputError("the site names a grid asset but the instance has no assets layer "
                             "(add assets = \"FILE\" under [data])", file=labels["sites"], field="asset", row=r)
        by_asset: dict[str, dict[int, float]] = {}  # sites often share a feeder: trace each once
        for j in np.flatnonzero(named):
            if assets[j] not in by_asset:
                by_asset[assets[j]] = load_shares(vital, assets[j], file=labels["sites"], field="asset", row=int(j) + 1)
            share_rows[j] = by_asset[assets[j]]
        cap = vital.assets["capacity"].to_numpy(float)
        reached = sorted({a for row in share_rows for a in row if np.isfinite(cap[a])})
        units = vital.assets["unit"].fillna("").astype(str).to_numpy()
        for a in reached:
            if units[a] not in ("MW", ""):
                j = next(j for j, row in enumerate(share_rows) if a in row)
                raise InputError(f"asset {vital.assets['id'].iloc[a]!r} has its capacity in {units[a]!r}; "
                                 "hub charging load is in MW", file=labels["sites"], field="asset", row=j + 1)
        grid_assets = reached
    grid_share = np.zeros((len(sites), len(grid_assets)))
    column = {a: g for g, a in enumerate(grid_assets)}
    for j, row in enumerate(share_rows):
        for a, s in row.items():
            if a in column:
                grid_share[j, column[a]] = s
    if grid_assets:
        va = vital.assets.iloc[grid_assets]
        headroom = params["max_utilisation"] * va["capacity"].to_numpy(float) - va["load"].to_numpy(float)
    else:
        headroom = np.zeros(0)
    names = sites["name"].fillna("").astype(str).to_numpy() if "name" in sites.columns else np.full(len(sites), "")
    return HubData(
        demand_ids=demand_ids, users=users, cars=cars, site_ids=site_ids, site_names=names,
        fixed=sites["fixed"].to_numpy(bool), cost_factor=sites["cost_factor"].to_numpy(float),
        site_asset=np.where(named, assets, None), sizes=sizes, allowed=allowed, pairs=pairs, walk_m=metres,
        acceptance=acceptance, grid_assets=grid_assets, grid_share=grid_share, grid_headroom=headroom,
        demand_points=d_points.reset_index(drop=True), site_points=s_points.reset_index(drop=True),
        conflicts=conflicts, vital=vital, labels=labels,
    )
