"""From the validated tables to the data of the model: demand points, sites and the size
classes that fit each, walking distances and acceptance per pair, and the grid headroom
along the supply dependencies."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimise.errors import InputError
from optimise.geo import as_points, project
from optimise.schema import check_references
from optimise.streets import street_lines, walking_metres
from optimise.vital import VitalSystems, load_shares

from .schema import DEFAULT_ACCEPTANCE

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
    walk_basis: np.ndarray  # per pair: how d_ij was measured (WALK_BASIS)
    acceptance: np.ndarray  # a_ij per pair
    grid_assets: list[int]  # positions in the vital systems of the constrained assets
    grid_share: np.ndarray  # (sites x grid assets) σ_ja
    grid_headroom: np.ndarray  # max(u_max cap_a − load_a, 0) per grid asset: what the hubs may add
    grid_over_today: np.ndarray  # bool per grid asset: above u_max cap_a already today
    demand_points: gpd.GeoSeries
    site_points: gpd.GeoSeries
    conflicts: gpd.GeoDataFrame | None
    vital: VitalSystems | None
    labels: dict[str, str]
    streets: Any = None  # the streets table's lines (GeoSeries), for the map's background

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
    conflicts = _conflicts(tables, labels, target_crs, d_points.crs)
    residents = demand["residents"].to_numpy(float)
    cars = demand["cars"].to_numpy(float)
    pairs, metres, basis = _walking_pairs(tables, labels, params, d_points, s_points)
    xs, ys = _acceptance_curve(tables.get("acceptance"), labels.get("acceptance", "acceptance"))
    assets = sites["asset"].to_numpy(dtype=object)
    named = np.array([a is not None and not (isinstance(a, float) and math.isnan(a)) and a != "" for a in assets])
    grid_assets, grid_share, headroom = _grid(assets, named, vital, params, labels["sites"])
    names = sites["name"].fillna("").astype(str).to_numpy() if "name" in sites.columns else np.full(len(sites), "")
    return HubData(
        demand_ids=demand["id"].to_numpy(), users=residents + params["job_weight"] * demand["jobs"].to_numpy(float),
        cars=np.where(np.isnan(cars), residents * params["cars_per_resident"], cars),
        site_ids=sites["id"].to_numpy(), site_names=names,
        fixed=sites["fixed"].to_numpy(bool), cost_factor=sites["cost_factor"].to_numpy(float),
        site_asset=np.where(named, assets, None), sizes=sizes,
        allowed=_allowed_classes(sites, s_points.reset_index(drop=True), sizes, conflicts),
        pairs=pairs, walk_m=metres, walk_basis=basis, acceptance=np.interp(metres, xs, ys),
        grid_assets=grid_assets, grid_share=grid_share, grid_headroom=np.maximum(headroom, 0.0), grid_over_today=headroom < -1e-9,
        demand_points=d_points.reset_index(drop=True), site_points=s_points.reset_index(drop=True),
        conflicts=conflicts, vital=vital, labels=labels, streets=street_lines(tables.get("streets")),
    )


def _conflicts(tables: dict[str, pd.DataFrame], labels: dict[str, str], target_crs: Any,
               crs: Any) -> gpd.GeoDataFrame | None:
    """The areas other systems claim, valid and in the demand points' CRS."""
    if "conflicts" not in tables:
        return None
    c = tables["conflicts"]
    geom = c.geometry if c.geometry.crs is not None else c.geometry.set_crs(target_crs)
    bad = (~geom.is_valid).to_numpy() | geom.is_empty.to_numpy()
    if bad.any():
        r = int(np.flatnonzero(bad)[0]) + 1
        raise InputError("invalid or empty geometry", file=labels["conflicts"], field="geometry", row=r)
    return gpd.GeoDataFrame(c.drop(columns=c.geometry.name), geometry=geom.to_crs(crs).to_numpy(), crs=crs)


#: How a pair's walking distance was measured.
WALK_BASIS = ("walking table", "streets", "straight line x detour factor")


def _walking_pairs(tables: dict[str, pd.DataFrame], labels: dict[str, str], params: dict[str, Any],
                   d_points: gpd.GeoSeries, s_points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P, d_ij and how each d_ij was measured: the (point, site) pairs within the maximum
    walk, from the walking table, else on the streets where they cover both ends, else as
    the straight line x detour factor; sorted by point then site."""
    demand_ids, sites = tables["demand"]["id"].to_numpy(), tables["sites"]
    site_ids = sites["id"].to_numpy()
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
        basis = np.zeros(len(pi), int)
    else:
        a = np.column_stack([d_points.x.to_numpy(), d_points.y.to_numpy()])
        b = np.column_stack([s_points.x.to_numpy(), s_points.y.to_numpy()])
        streets = _streets(tables, labels, d_points.crs)
        # on streets a walk is at least the straight line; without, straight x detour factor
        reach = max_walk if streets is not None else max_walk / params["detour_factor"]
        # the pairs within reach, from a spatial index of the sites (shapely's: scipy's would
        # cost a tenth of a second to import)
        pi, pj = shapely.STRtree(shapely.points(b)).query(shapely.points(a), predicate="dwithin", distance=reach)
        metres = np.hypot(*(a[pi] - b[pj]).T) * params["detour_factor"]
        basis = np.full(len(pi), 2)
        if streets is not None and len(pi):
            on_street, covered = walking_metres(streets, a, b, pi, pj, params["street_snap_m"], max_walk)
            metres = np.where(covered, np.nan_to_num(on_street, nan=np.inf), metres)
            basis[covered] = 1
    keep = (metres <= max_walk + 1e-9) & ~sites["forbidden"].to_numpy(bool)[pj]
    order = np.lexsort((pj[keep], pi[keep]))
    pairs = np.column_stack([pi[keep], pj[keep]])[order].astype(int)
    return pairs, metres[keep][order], np.array(WALK_BASIS, dtype=object)[basis[keep][order]]


def _streets(tables: dict[str, pd.DataFrame], labels: dict[str, str], crs: Any) -> gpd.GeoDataFrame | None:
    """The streets table as lines in the demand points' CRS, or None without one."""
    if "streets" not in tables:
        return None
    streets = tables["streets"]
    label = labels.get("streets", "streets")
    if not isinstance(streets, gpd.GeoDataFrame) or streets.geometry.isna().all():
        raise InputError("walking on streets needs the street lines (a geometry column)", file=label, field="geometry")
    if streets.crs is None:
        streets = streets.set_crs(crs)
    streets = streets.to_crs(crs) if crs is not None else streets
    bad = (streets.geometry.isna() | (streets.geom_type != "LineString")).to_numpy()
    if bad.any():
        raise InputError("a street must be a line", file=label, field="geometry", row=int(np.flatnonzero(bad)[0]) + 1)
    return streets.reset_index(drop=True)


def _grid(assets: np.ndarray, named: np.ndarray, vital: VitalSystems | None, params: dict[str, Any],
          label: str) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The capacity-limited assets the sites' load reaches (σ_ja along the supply
    dependencies) and their headroom u_max cap_a − load_a (negative: above the limit today)."""
    grid_assets: list[int] = []
    share_rows: list[dict[int, float]] = [{} for _ in range(len(assets))]
    if named.any():
        if vital is None:
            r = int(np.flatnonzero(named)[0]) + 1
            raise InputError("the site names a grid asset but the instance has no assets layer "
                             "(add assets = \"FILE\" under [data])", file=label, field="asset", row=r)
        by_asset: dict[str, dict[int, float]] = {}  # sites often share a feeder: trace each once
        for j in np.flatnonzero(named):
            if assets[j] not in by_asset:
                by_asset[assets[j]] = load_shares(vital, assets[j], file=label, field="asset", row=int(j) + 1)
            share_rows[j] = by_asset[assets[j]]
        cap = vital.assets["capacity"].to_numpy(float)
        reached = sorted({a for row in share_rows for a in row if np.isfinite(cap[a])})
        units = vital.assets["unit"].fillna("").astype(str).to_numpy()
        for a in reached:
            if units[a] not in ("MW", ""):
                j = next(j for j, row in enumerate(share_rows) if a in row)
                raise InputError(f"asset {vital.assets['id'].iloc[a]!r} has its capacity in {units[a]!r}; "
                                 "hub charging load is in MW", file=label, field="asset", row=j + 1)
        grid_assets = reached
    grid_share = np.zeros((len(assets), len(grid_assets)))
    column = {a: g for g, a in enumerate(grid_assets)}
    for j, row in enumerate(share_rows):
        for a, s in row.items():
            if a in column:
                grid_share[j, column[a]] = s
    if not grid_assets:
        return grid_assets, grid_share, np.zeros(0)
    va = vital.assets.iloc[grid_assets]
    return grid_assets, grid_share, params["max_utilisation"] * va["capacity"].to_numpy(float) - va["load"].to_numpy(float)
