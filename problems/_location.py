"""What the classic location problems share: demand points, candidate sites, a cost (or
distance) matrix, fixed and forbidden sites, and the tables and layers of a solution.

Not a problem itself (it is not registered); ``p_median``, ``p_center``, ``mclp``,
``lscp`` and ``cflp`` build on it.

Conventions
- ``distance[i, j]`` is the distance, travel time or cost per unit of demand between demand
  point i and site j; ``inf`` means j may not serve i (sparse cost tables).
- ``weights[i]`` is the demand of point i (people, households, trips).
- ``assign_cost[i, j]`` is the cost of serving all of i from j: ``weights[i] *
  distance[i, j]`` unless given directly (the OR-Library files give it directly).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.core as pyo
from shapely import linestrings

from optimise.errors import InfeasibleInput, InputError, plain
from optimise.geo import Metric, as_points, distance_matrix, project
from optimise.instance import Instance
from optimise.parameters import Parameter
from optimise.problem import Listing, Problem, Solution
from optimise.plans import truth_values
from optimise.solver import SolverOutcome
from optimise.schema import Column, TableSchema, check_references, validate_table

DEMAND = TableSchema(
    "demand",
    (
        Column("id", "id", "demand point id", unique=True),
        Column("weight", "number", "demand at this point (people, households, trips)", unit="demand units",
               required=False, default=1.0, minimum=0),
    ),
    description="Demand points: one row per point (or area, which stands for its centroid).",
    geometry="optional",
)

SITES = TableSchema(
    "sites",
    (
        Column("id", "id", "candidate site id", unique=True),
        Column("fixed", "bool", "an existing site that stays open", required=False, default=False),
        Column("forbidden", "bool", "a site that may not be opened", required=False, default=False),
        Column("capacity", "number", "demand the site can serve (capacitated problems)", unit="demand units",
               required=False, default=None, positive=True),
        Column("cost", "number", "cost of opening the site", unit="cost units", required=False, default=0.0,
               minimum=0),
        Column("asset", "id", "vital-systems asset the site loads when open (e.g. its substation)",
               required=False, default=None),
        Column("added_load", "number", "load an open site adds to that asset; empty: 0", unit="as the asset",
               required=False, default=0.0, minimum=0, blank=0.0),
    ),
    description="Candidate sites: one row per site.",
    geometry="optional",
)

COSTS = TableSchema(
    "costs",
    (
        Column("demand_id", "id", "demand point id (from the demand table)"),
        Column("site_id", "id", "site id (from the sites table)"),
        Column("cost", "number", "distance, travel time or cost per unit of demand", unit="as the instance", minimum=0),
    ),
    description=(
        "Optional cost table (e.g. network travel times). When present it replaces the straight-line "
        "distances; a demand/site pair that is absent may not be assigned."
    ),
)

METRIC = Parameter("metric", "text", "distance between geometries", default="euclidean",
                   choices=("euclidean", "manhattan"))


@dataclass
class LocationData:
    """Validated data of a location problem (see the module docstring for conventions)."""

    distance: np.ndarray
    weights: np.ndarray
    demand_ids: np.ndarray
    site_ids: np.ndarray
    fixed: np.ndarray
    forbidden: np.ndarray
    capacity: np.ndarray | None = None
    opening_cost: np.ndarray | None = None
    assign_cost: np.ndarray | None = None
    demand_table: pd.DataFrame | None = None
    sites_table: pd.DataFrame | None = None
    demand_points: gpd.GeoSeries | None = None
    site_points: gpd.GeoSeries | None = None
    unit: str = "cost units"
    labels: dict[str, str] = field(default_factory=lambda: {"demand": "demand", "sites": "sites"})

    def __post_init__(self) -> None:
        if self.assign_cost is None:
            with np.errstate(invalid="ignore"):
                cost = self.weights[:, None] * self.distance
            # weight 0 x inf is "nothing to serve", not "cannot be served"
            self.assign_cost = np.where(np.isinf(self.distance), np.inf, np.nan_to_num(cost))
        # a forbidden site serves nobody
        if self.forbidden.any():
            self.distance = self.distance.copy()
            self.distance[:, self.forbidden] = np.inf
            self.assign_cost = self.assign_cost.copy()
            self.assign_cost[:, self.forbidden] = np.inf

    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    def check_common(self) -> None:
        both = self.fixed & self.forbidden
        if both.any():
            j = int(np.flatnonzero(both)[0])
            raise InputError(f"site {plain(self.site_ids[j])!r} is both fixed and forbidden",
                             file=self.labels["sites"], field="forbidden", row=j + 1)

    def require_reachable(self, within: float | None = None, what: str = "") -> None:
        """Every demand point must have at least one allowed site (within ``within``)."""
        reach = self.distance <= within if within is not None else np.isfinite(self.distance)
        lost = ~reach.any(axis=1)
        if lost.any():
            i = int(np.flatnonzero(lost)[0])
            extra = f" within {what} {within:g}" if within is not None else ""
            raise InfeasibleInput(
                f"demand point {plain(self.demand_ids[i])!r} has no allowed site{extra}; "
                f"{int(lost.sum())} point(s) in all cannot be served",
                file=self.labels["demand"], row=i + 1)


def _vector(values: Any, n: int, name: str, *, default: Any, dtype: Any) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(values, dtype=dtype)
    if arr.shape != (n,):
        raise InputError(f"expected {n} values, found shape {arr.shape}", field=name)
    if np.issubdtype(arr.dtype, np.floating):
        if np.isnan(arr).any():
            raise InputError("value is missing (NaN)", field=name, row=int(np.flatnonzero(np.isnan(arr))[0]) + 1)
        if (arr < 0).any():
            raise InputError("must not be negative", field=name, row=int(np.flatnonzero(arr < 0)[0]) + 1)
    return arr


def _mask(ids: Sequence[Any] | None, site_ids: np.ndarray, name: str) -> np.ndarray:
    mask = np.zeros(len(site_ids), dtype=bool)
    if ids is None:
        return mask
    index = {v: k for k, v in enumerate(site_ids.tolist())}
    for value in ids:
        if value not in index:
            raise InputError(f"unknown site id {value!r}", field=name)
        mask[index[value]] = True
    return mask


def data_from_cost_matrix(
    cost: Any,
    *,
    weights: Sequence[float] | None = None,
    demand_ids: Sequence[Any] | None = None,
    site_ids: Sequence[Any] | None = None,
    fixed: Sequence[Any] | None = None,
    forbidden: Sequence[Any] | None = None,
    capacity: Sequence[float] | None = None,
    opening_cost: Sequence[float] | None = None,
    assign_cost: Any = None,
) -> LocationData:
    """Location data from an (n demand x m sites) matrix; ``inf`` marks pairs not allowed.

    ``fixed`` and ``forbidden`` are lists of site ids (by default ids are 0..m-1).
    """
    distance = np.array(cost, dtype=float)
    if distance.ndim != 2 or 0 in distance.shape:
        raise InputError(f"cost matrix must be 2-D and non-empty, found shape {distance.shape}", field="cost")
    if np.isnan(distance).any():
        i, j = np.argwhere(np.isnan(distance))[0]
        raise InputError(f"cost is missing (NaN) at column {j + 1}", field="cost", row=int(i) + 1)
    if (distance < 0).any():
        i, j = np.argwhere(distance < 0)[0]
        raise InputError(f"cost {distance[i, j]:g} is negative at column {j + 1}", field="cost", row=int(i) + 1)
    n, m = distance.shape
    d_ids = np.asarray(demand_ids if demand_ids is not None else np.arange(n))
    s_ids = np.asarray(site_ids if site_ids is not None else np.arange(m))
    if d_ids.shape != (n,) or s_ids.shape != (m,):
        raise InputError("the number of ids does not match the cost matrix", field="ids")
    for ids, name in ((d_ids, "demand_ids"), (s_ids, "site_ids")):
        if len(set(ids.tolist())) != len(ids):
            raise InputError("ids are not unique", field=name)
    total = None
    if assign_cost is not None:
        total = np.array(assign_cost, dtype=float)
        if total.shape != distance.shape or np.isnan(total).any() or (total < 0).any():
            raise InputError("assignment cost must match the cost matrix and be >= 0", field="assign_cost")
    data = LocationData(
        distance=distance,
        weights=_vector(weights, n, "weights", default=1.0, dtype=float),
        demand_ids=d_ids,
        site_ids=s_ids,
        fixed=_mask(fixed, s_ids, "fixed"),
        forbidden=_mask(forbidden, s_ids, "forbidden"),
        capacity=None if capacity is None else _vector(capacity, m, "capacity", default=0.0, dtype=float),
        opening_cost=None if opening_cost is None else _vector(opening_cost, m, "opening_cost", default=0.0, dtype=float),
        assign_cost=total,
    )
    data.check_common()
    return data


def cost_table_matrix(
    costs: pd.DataFrame, demand_ids: np.ndarray, site_ids: np.ndarray, *, file: str
) -> np.ndarray:
    """Dense matrix from a long (demand_id, site_id, cost) table; absent pairs are ``inf``."""
    check_references(costs["demand_id"], demand_ids.tolist(), file=file, field="demand_id", what="demand id")
    check_references(costs["site_id"], site_ids.tolist(), file=file, field="site_id", what="site id")
    dup = costs.duplicated(["demand_id", "site_id"]).to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0]) + 1
        raise InputError("this demand/site pair appears twice", file=file, field="site_id", row=r)
    rows = pd.Index(demand_ids).get_indexer(costs["demand_id"])
    cols = pd.Index(site_ids).get_indexer(costs["site_id"])
    matrix = np.full((len(demand_ids), len(site_ids)), np.inf)
    matrix[rows, cols] = costs["cost"].to_numpy(dtype=float)
    return matrix


def data_from_tables(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    costs: pd.DataFrame | None = None,
    crs: str | None = None,
    metric: Metric = "euclidean",
    labels: dict[str, str] | None = None,
    toml_file: str = "instance.toml",
) -> LocationData:
    """Location data from validated demand and site tables (with geometry or x/y), and an
    optional cost table that overrides the distances."""
    labels = labels or {"demand": "demand", "sites": "sites", "costs": "costs"}
    demand_ids = demand["id"].to_numpy()
    site_ids = sites["id"].to_numpy()
    d_points = s_points = None
    has_geo = _has_geometry(demand) and _has_geometry(sites)
    if has_geo or costs is None:
        d_points = as_points(demand, file=labels["demand"], crs=crs, toml_file=toml_file)
        s_points = as_points(sites, file=labels["sites"], crs=crs, toml_file=toml_file)
        d_points = project(d_points, crs, file=labels["demand"], toml_file=toml_file)
        s_points = project(s_points, crs or (d_points.crs.to_string() if d_points.crs else None),
                           file=labels["sites"], toml_file=toml_file)
    if costs is not None:
        distance = cost_table_matrix(costs, demand_ids, site_ids, file=labels.get("costs", "costs"))
        unit = "cost units"
    else:
        distance = distance_matrix(d_points, s_points, metric)
        unit = "m"
    capacity = sites["capacity"].to_numpy(dtype=float) if sites["capacity"].notna().all() else None
    data = LocationData(
        distance=distance,
        weights=demand["weight"].to_numpy(dtype=float),
        demand_ids=demand_ids,
        site_ids=site_ids,
        fixed=sites["fixed"].to_numpy(dtype=bool),
        forbidden=sites["forbidden"].to_numpy(dtype=bool),
        capacity=capacity,
        opening_cost=sites["cost"].to_numpy(dtype=float),
        demand_table=pd.DataFrame(demand.drop(columns="geometry", errors="ignore")),
        sites_table=pd.DataFrame(sites.drop(columns="geometry", errors="ignore")),
        demand_points=d_points,
        site_points=s_points,
        unit=unit,
        labels=labels,
    )
    data.check_common()
    return data


def _has_geometry(table: pd.DataFrame) -> bool:
    return (isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table.columns) or (
        "x" in table.columns and "y" in table.columns
    )


class LocationProblem(Problem):
    """Shared constructors and outputs of the classic location problems."""

    tables: ClassVar[dict[str, TableSchema]] = {"demand": DEMAND, "sites": SITES, "costs": COSTS}
    needs_capacity: ClassVar[bool] = False
    listings: ClassVar[tuple[Listing, ...]] = (Listing(
        "sites", (("id", "id"), ("name", "name"), ("fixed", "fixed"), ("demand_served", "demand"),
                  ("points_served", "points"), ("utilisation", "utilisation")),
        sort="demand_served", title="open sites", percent=("utilisation",)),)

    data: LocationData

    def size_text(self) -> str:
        return f"{self.data.n_demand} demand points, {self.data.n_sites} sites"

    #: How many sites a plan opens: "p" (exactly the parameter p), "at most p", or "" (free).
    site_count: ClassVar[str] = ""
    #: Every demand point is served in full (False: a point may stay unserved).
    serves_all: ClassVar[bool] = True
    #: Served only within the parameter ``service_radius``.
    within_radius: ClassVar[bool] = False

    key_figures: ClassVar[tuple[tuple[str, str], ...]] = (
        ("n_open", "sites"), ("mean_distance", "mean distance"), ("p95_distance", "95th pct distance"),
        ("max_distance", "largest distance"))
    plan_tables: ClassVar[dict[str, tuple[str, ...]]] = {"sites": ("id", "open"),
                                                          "assignment": ("demand_id", "site_id", "share")}

    def plan_table_needed(self, name: str) -> bool:
        return name == "sites" or self.assignment_decided

    def check_plan(self, solution: Solution) -> list[str]:
        """The location rules, from the data and the plan's sites and assignment tables:
        forbidden sites closed, existing sites open, the number of sites, service only from
        open sites (within the radius where there is one), every point served in full where
        the problem says so, capacities, one site per point where single-sourced."""
        d, tol = self.data, 1e-6
        sites, assignment = solution.tables["sites"], solution.tables["assignment"]
        is_open = sites["open"].to_numpy(bool)
        ids = d.site_ids
        breaks = [f"site {ids[j]} is forbidden but open" for j in np.flatnonzero(is_open & d.forbidden)]
        breaks += [f"existing site {ids[j]} is closed" for j in np.flatnonzero(~is_open & d.fixed)]
        n_open, p = int(is_open.sum()), self.params.get("p")
        if self.site_count == "p" and n_open != p or self.site_count == "at most p" and n_open > p:
            breaks.append(f"{n_open} sites open where p = {p}")
        demand = pd.Index(d.demand_ids).get_indexer(assignment["demand_id"])
        site = pd.Index(ids).get_indexer(assignment["site_id"])
        share = assignment["share"].to_numpy(float)
        breaks += [f"point {d.demand_ids[i]} is served by closed site {ids[j]}"
                   for i, j in zip(demand, site) if not is_open[j]][:5]
        if self.within_radius:
            far = d.distance[demand, site] > self.params["service_radius"] * (1 + tol)
            breaks += [f"point {d.demand_ids[i]} is served by {ids[j]} beyond the service radius"
                       for i, j in zip(demand[far], site[far])][:5]
        served = np.bincount(demand, share, minlength=d.n_demand)
        over = served > 1 + tol
        short = served < 1 - tol if self.serves_all else np.zeros(d.n_demand, dtype=bool)
        breaks += [f"point {d.demand_ids[i]} is served {served[i]:.4g} times" for i in np.flatnonzero(over | short)][:5]
        if self.needs_capacity and d.capacity is not None:
            load = np.bincount(site, d.weights[demand] * share, minlength=d.n_sites)
            full = load > d.capacity * (1 + tol) + tol
            breaks += [f"site {ids[j]} serves {load[j]:,.6g} over its capacity {d.capacity[j]:,.6g}"
                       for j in np.flatnonzero(full)][:5]
        return breaks

    # --- constructors (spopt-style) -----------------------------------------------------

    @classmethod
    def from_cost_matrix(cls, cost: Any, **kwargs: Any) -> "LocationProblem":
        """Build from a demand x site cost matrix. Data keywords: ``weights``,
        ``demand_ids``, ``site_ids``, ``fixed``, ``forbidden``, ``capacity``,
        ``opening_cost``, ``assign_cost``; every other keyword is a problem parameter."""
        data_keys = {"weights", "demand_ids", "site_ids", "fixed", "forbidden", "capacity",
                     "opening_cost", "assign_cost"}
        data = data_from_cost_matrix(cost, **{k: v for k, v in kwargs.items() if k in data_keys})
        return cls(data, **{k: v for k, v in kwargs.items() if k not in data_keys})

    @classmethod
    def from_geodataframe(
        cls,
        demand: gpd.GeoDataFrame,
        sites: gpd.GeoDataFrame,
        *,
        demand_id: str | None = None,
        site_id: str | None = None,
        weight: str | None = None,
        fixed: str | None = None,
        forbidden: str | None = None,
        capacity: str | None = None,
        opening_cost: str | None = None,
        costs: pd.DataFrame | None = None,
        crs: str | None = None,
        **params: Any,
    ) -> "LocationProblem":
        """Build from GeoDataFrames of demand points (or areas) and candidate sites.

        Column keywords name the user's columns; distances are computed in ``crs`` (or the
        layers' projected CRS, or their UTM zone). ``costs`` (demand_id, site_id, cost)
        overrides the distances, e.g. with network travel times.
        """
        d = _rename(demand, {demand_id: "id", weight: "weight"})
        s = _rename(sites, {site_id: "id", fixed: "fixed", forbidden: "forbidden",
                            capacity: "capacity", opening_cost: "cost"})
        if "id" not in d.columns:
            d = d.assign(id=np.arange(len(d)))
        if "id" not in s.columns:
            s = s.assign(id=np.arange(len(s)))
        d = validate_table(d, DEMAND, file="demand")
        s = validate_table(s, cls.tables["sites"], file="sites")
        c = validate_table(costs, COSTS, file="costs") if costs is not None else None
        metric = params.get("metric", "euclidean")
        data = data_from_tables(d, s, costs=c, crs=crs, metric=metric)
        return cls(data, **params)

    @classmethod
    def from_instance(cls, instance: Instance) -> "LocationProblem":
        toml = str(instance.toml_file)
        params, tables, labels = cls.read_instance(instance, ("demand", "sites"))
        data = data_from_tables(tables["demand"], tables["sites"], costs=tables.get("costs"), crs=instance.crs,
                                metric=params.get("metric") or "euclidean", labels=labels, toml_file=toml)
        try:
            return cls(data, **params)
        except InputError as exc:
            if exc.field and exc.field in cls.parameters and exc.file == "parameters":
                exc.file, exc.field = toml, f"parameters.{exc.field}"
            raise

    # --- checks and shared model parts --------------------------------------------------

    def check(self) -> None:
        """Catch data that cannot have a plan before handing it to the solver."""
        if self.needs_capacity and self.data.capacity is None:
            raise InputError("every site needs a capacity for this problem",
                             file=self.data.labels["sites"], field="capacity")

    def check_p(self, p: int) -> None:
        d = self.data
        allowed = int((~d.forbidden).sum())
        if p > allowed:
            raise InfeasibleInput(f"p = {p} but only {allowed} site(s) may be opened", field="parameters.p")
        if int(d.fixed.sum()) > p:
            raise InfeasibleInput(f"{int(d.fixed.sum())} fixed sites already exceed p = {p}", field="parameters.p")

    def site_variables(self, model: pyo.ConcreteModel) -> None:
        """y[j] = 1 if site j is open; fixed sites are fixed to 1, forbidden ones to 0."""
        d = self.data
        model.J = pyo.RangeSet(0, d.n_sites - 1)
        model.y = pyo.Var(model.J, domain=pyo.Binary)
        for j in np.flatnonzero(d.fixed):
            model.y[int(j)].fix(1)
        for j in np.flatnonzero(d.forbidden):
            model.y[int(j)].fix(0)

    def open_mask(self, model: pyo.ConcreteModel) -> np.ndarray:
        return np.array([pyo.value(model.y[j]) > 0.5 for j in range(self.data.n_sites)])

    # --- solution -----------------------------------------------------------------------

    def nearest_open(self, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each demand point, its nearest open site (index) and the distance to it."""
        dist = np.where(is_open[None, :], self.data.distance, np.inf)
        best = dist.argmin(axis=1)
        return best, dist[np.arange(len(best)), best]

    def nearest_plan(self, is_open: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, dict[str, float]]:
        """Every point assigned to its nearest open site; the distances and their
        demand-weighted statistics."""
        best, dist = self.nearest_open(is_open)
        assignment = pd.DataFrame({"demand": np.arange(self.data.n_demand), "site": best, "share": 1.0})
        return assignment, dist, weighted_stats(dist, self.data.weights)

    #: Whether the assignment is a decision of the model (capacitated problems) or follows from
    #: the open sites (every point to its nearest open site).
    assignment_decided: ClassVar[bool] = False

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        return self.solution_of(self.open_mask(model), self.model_assignment(model) if self.assignment_decided else None)

    def model_assignment(self, model: pyo.ConcreteModel) -> pd.DataFrame:
        """The solved model's assignment: columns demand, site (indices), share."""
        raise NotImplementedError

    @abstractmethod
    def solution_of(self, is_open: np.ndarray, assignment: pd.DataFrame | None = None) -> Solution:
        """The tables, figures and objective of a plan (open sites and, where it is a decision,
        the assignment), evaluated from the data."""

    def plan_solution(self, tables: dict[str, pd.DataFrame], files: dict[str, str]) -> Solution:
        """A plan given as a sites table (id, open) and, where the assignment is a decision, an
        assignment table (demand_id, site_id, share), evaluated from the data."""
        d = self.data
        sites = tables["sites"]
        site_ids = pd.Index([str(i) for i in d.site_ids])
        check_references(sites["id"].astype(str), site_ids.tolist(), file=files["sites"], field="id", what="site")
        is_open = np.zeros(d.n_sites, dtype=bool)
        is_open[site_ids.get_indexer(sites["id"].astype(str))] = truth_values(sites["open"], files["sites"], "open")
        if not self.assignment_decided:
            return self.solution_of(is_open)
        given = tables["assignment"]
        demand_ids = pd.Index([str(i) for i in d.demand_ids])
        check_references(given["demand_id"].astype(str), demand_ids.tolist(), file=files["assignment"],
                         field="demand_id", what="demand point")
        check_references(given["site_id"].astype(str), site_ids.tolist(), file=files["assignment"], field="site_id",
                         what="site")
        assignment = pd.DataFrame({
            "demand": demand_ids.get_indexer(given["demand_id"].astype(str)),
            "site": site_ids.get_indexer(given["site_id"].astype(str)),
            "share": pd.to_numeric(given["share"], errors="coerce").fillna(0.0).to_numpy(float)})
        return self.solution_of(is_open, assignment[assignment["share"] > 0].reset_index(drop=True))

    def cover_sets(self, radius: float) -> list[list[int]]:
        """For each demand point, the sites within ``radius`` of it."""
        within = self.data.distance <= radius
        return [np.flatnonzero(row).tolist() for row in within]

    def scenario(self, result: Any) -> Any:
        """Open sites with an ``asset`` and an ``added_load`` load that asset (e.g. the
        charging points of a hub on its substation); closed sites change nothing."""
        from optimise.cascade import Change, Scenario

        table = self.data.sites_table
        open_ids = set(result.solution.summary.get("open_sites", []))
        changes = []
        if table is not None and "asset" in table.columns and "added_load" in table.columns:
            chosen = table[table["id"].isin(open_ids) & table["asset"].notna() & (table["added_load"] > 0)]
            for asset, group in chosen.groupby("asset", sort=True):
                ids = ", ".join(str(i) for i in group["id"])
                changes.append(Change(asset, "load", float(group["added_load"].sum()),
                                      cause=f"load of open site{'s' if len(group) > 1 else ''} {ids}"))
        return Scenario(f"{self.name} plan", changes)

    def location_solution(
        self,
        is_open: np.ndarray,
        assignment: pd.DataFrame,
        *,
        summary: dict[str, Any],
        headline: list[tuple[str, str]],
        objective: float | None = None,
    ) -> Solution:
        """Tables and layers shared by every location problem.

        ``assignment`` has columns demand (index), site (index), share (of the demand).
        """
        d = self.data
        a = assignment.copy()
        a["demand_id"] = d.demand_ids[a["demand"].to_numpy()]
        a["site_id"] = d.site_ids[a["site"].to_numpy()]
        a["distance"] = d.distance[a["demand"].to_numpy(), a["site"].to_numpy()]
        a["weight"] = d.weights[a["demand"].to_numpy()] * a["share"]
        a["cost"] = d.assign_cost[a["demand"].to_numpy(), a["site"].to_numpy()] * a["share"]
        served = a.groupby("site").agg(demand_served=("weight", "sum"), points=("demand", "nunique"))
        sites = pd.DataFrame({"id": d.site_ids, "open": is_open, "fixed": d.fixed, "forbidden": d.forbidden})
        sites["demand_served"] = served["demand_served"].reindex(range(d.n_sites)).fillna(0.0).to_numpy()
        sites["points_served"] = served["points"].reindex(range(d.n_sites)).fillna(0).astype(int).to_numpy()
        if self.needs_capacity and d.capacity is not None:
            sites["capacity"] = d.capacity
            sites["utilisation"] = np.where(d.capacity > 0, sites["demand_served"] / d.capacity, 0.0)
        if d.sites_table is not None:
            extra = d.sites_table.drop(columns=[c for c in sites.columns if c in d.sites_table.columns and c != "id"])
            if not self.needs_capacity:
                # an uncapacitated model ignores capacities: do not suggest it kept them
                extra = extra.rename(columns={"capacity": "capacity_input"})
            sites = sites.merge(extra, on="id", how="left")
        assignment_table = a[["demand_id", "site_id", "share", "weight", "distance", "cost"]].reset_index(drop=True)
        tables = {"sites": sites, "assignment": assignment_table}
        layers: dict[str, Any] = {}
        if d.demand_points is not None and d.site_points is not None:
            layers["sites"] = gpd.GeoDataFrame(sites, geometry=d.site_points.reset_index(drop=True), crs=d.site_points.crs)
            dp = d.demand_points.reset_index(drop=True)
            sp = d.site_points.reset_index(drop=True).to_crs(dp.crs)
            idx_d, idx_s = a["demand"].to_numpy(), a["site"].to_numpy()
            coords = np.stack([
                np.column_stack([dp.x.to_numpy()[idx_d], dp.y.to_numpy()[idx_d]]),
                np.column_stack([sp.x.to_numpy()[idx_s], sp.y.to_numpy()[idx_s]]),
            ], axis=1)
            layers["assignment"] = gpd.GeoDataFrame(assignment_table, geometry=linestrings(coords), crs=dp.crs)
            demand_layer = pd.DataFrame({"id": d.demand_ids, "weight": d.weights})
            first = a.sort_values("share", ascending=False).drop_duplicates("demand")
            site_of = pd.Series(first["site_id"].to_numpy(), index=first["demand"].to_numpy())
            demand_layer["site_id"] = site_of.reindex(range(d.n_demand)).to_numpy()
            layers["demand"] = gpd.GeoDataFrame(demand_layer, geometry=dp, crs=dp.crs)
        open_ids = d.site_ids[is_open].tolist()
        summary = {"open_sites": open_ids, "n_open": len(open_ids), "distance_unit": d.unit, **summary}
        return Solution(tables=tables, layers=layers, summary=summary, headline=headline, objective=objective)


def _rename(frame: pd.DataFrame, mapping: dict[str | None, str]) -> pd.DataFrame:
    renames = {k: v for k, v in mapping.items() if k is not None and k != v}
    for source in renames:
        if source not in frame.columns:
            raise InputError("column not found", field=source)
    return frame.rename(columns=renames)


def weighted_stats(distance: np.ndarray, weight: np.ndarray) -> dict[str, float]:
    """Mean, 95th percentile and maximum distance, weighted by demand."""
    finite = np.isfinite(distance)
    if not finite.any() or weight[finite].sum() <= 0:
        return {"mean_distance": float("nan"), "p95_distance": float("nan"), "max_distance": float("nan")}
    dist, w = distance[finite], weight[finite]
    order = np.argsort(dist)
    cum = np.cumsum(w[order]) / w.sum()
    p95 = float(dist[order][np.searchsorted(cum, 0.95)])
    return {
        "mean_distance": float(np.average(dist, weights=w)),
        "p95_distance": p95,
        "max_distance": float(dist.max()),
    }
