"""From a solved model or a plan to the planner's tables: hubs, assignment, demand, the grid
load, layers, and the plan as a scenario for the cascade check.

Every figure is evaluated from the data (``evaluate``), not read from the model."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.core as pyo
from shapely import linestrings

from optimise.errors import InputError
from optimise.schema import check_references
from optimise.problem import Solution, weighted_sum
from problems._location import weighted_stats

from .data import HubData
from .model import class_load, pair_vehicles, walk_minutes
from .schema import OBJECTIVES


def evaluate(d: HubData, params: dict[str, Any], size_of: np.ndarray, share: np.ndarray) -> dict[str, float]:
    """The four objective terms of a plan: size class per site (-1: none), share per pair."""
    p = params
    i = d.pairs[:, 0]
    built = size_of >= 0
    sizes = d.sizes
    walk = float((d.users * p["unserved_minutes"]).sum() + (d.users[i] * (walk_minutes(d, params) - p["unserved_minutes"]) * share).sum())
    return {
        "walk": walk,
        "space_taken": float(sizes["footprint_m2"].to_numpy(float)[size_of[built]].sum()),
        "space_won": float((p["m2_per_car"] * d.cars[i] * d.acceptance * share).sum()),
        "cost": float((sizes["cost"].to_numpy(float)[size_of[built]] * d.cost_factor[built]).sum()),
    }


def read_plan(d: HubData, model: pyo.ConcreteModel) -> tuple[np.ndarray, np.ndarray]:
    """The size class built at each site (-1: none) and the share of each pair served."""
    slots = model.maps.slots
    chosen = np.array([pyo.value(model.y[s]) > 0.5 for s in range(len(slots))], dtype=bool)
    size_of = np.full(d.n_sites, -1)
    size_of[slots[chosen, 0]] = slots[chosen, 1]
    share = np.clip(np.array([pyo.value(model.x[q]) for q in range(len(d.pairs))]), 0.0, 1.0)
    share[size_of[d.pairs[:, 1]] < 0] = 0.0  # round-off on closed sites
    return size_of, share


def hub_solution(d: HubData, params: dict[str, Any], size_of: np.ndarray, share: np.ndarray) -> Solution:
    """The hubs, assignment, demand and grid tables and layers of a plan, evaluated from the data."""
    terms = evaluate(d, params, size_of, share)
    p = params
    sizes = d.sizes
    i, j = d.pairs[:, 0], d.pairs[:, 1]
    used = share > 1e-9
    users_assigned = d.users[i] * share
    given_up = d.cars[i] * d.acceptance * share
    need = pair_vehicles(d, params) * share
    built = size_of >= 0
    load_of_class = class_load(d, params)
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
    hubs["charging_load_mw"] = np.where(built, load_of_class[np.maximum(size_of, 0)], 0.0)
    hubs["users"] = np.bincount(j, users_assigned, minlength=d.n_sites)
    hubs["vehicles_needed"] = np.bincount(j, need, minlength=d.n_sites)
    hubs["utilisation"] = np.where(hubs["vehicle_places"] > 0, hubs["vehicles_needed"] / hubs["vehicle_places"].replace(0, np.nan), 0.0)
    hubs["cars_given_up"] = np.bincount(j, given_up, minlength=d.n_sites)
    hubs["space_won_m2"] = hubs["cars_given_up"] * p["m2_per_car"]
    hubs["asset"] = [a if isinstance(a, str) else "" for a in d.site_asset]
    minutes = walk_minutes(d, params)
    assignment = pd.DataFrame({
        "demand_id": d.demand_ids[i[used]], "site_id": d.site_ids[j[used]], "share": share[used],
        "users": users_assigned[used], "walk_m": d.walk_m[used], "walk_min": minutes[used],
        "walk_basis": d.walk_basis[used], "acceptance": d.acceptance[used], "cars_given_up": given_up[used],
    })
    served_share = np.bincount(i, share, minlength=d.n_demand)
    demand = pd.DataFrame({"id": d.demand_ids, "users": d.users, "cars": d.cars, "served": served_share,
                           "cars_given_up": np.bincount(i, given_up, minlength=d.n_demand)})
    first = assignment.sort_values("share", ascending=False).drop_duplicates("demand_id").set_index("demand_id")
    demand["hub"] = first["site_id"].reindex(d.demand_ids).to_numpy()
    demand["walk_m"] = first["walk_m"].reindex(d.demand_ids).to_numpy(dtype=float)
    grid = _grid_table(d, params, size_of)
    total_users = float(d.users.sum())
    served_users = float(users_assigned.sum())
    stats = weighted_stats(minutes[used], users_assigned[used]) if used.any() else weighted_stats(np.array([]), np.array([]))
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
        "walks_on_streets": (float(users_assigned[used][d.walk_basis[used] == "streets"].sum() / served_users)
                             if served_users > 0 else 0.0),
        "charging_load_mw": float(hubs["charging_load_mw"].sum()),
    }
    if len(grid):
        summary["grid_max_utilisation"] = _finite_or_none(grid["utilisation_after"].max())
        over = grid[grid["above_limit_today"]]
        summary["grid_above_limit_today"] = [
            {"asset": r.asset, "name": r.name, "utilisation_today": _finite_or_none(r.utilisation_before), "added": float(r.added)}
            for r in over.itertuples(index=False)]
    sizes_text = ", ".join(f"{v} {k}" for k, v in summary["hubs_by_size"].items() if v)
    budget = p["budget"]
    headline = [
        ("hubs", f"{n_open} ({sizes_text or 'none'})"),
        ("space won back", f"{terms['space_won']:,.0f} m² ({summary['cars_given_up']:,.0f} cars given up)"),
        ("space taken by hubs", f"{terms['space_taken']:,.0f} m² (net {summary['net_space_m2']:+,.0f} m²)"),
        ("walking time", f"mean {_minutes(stats['mean_distance'])}, 95th percentile {_minutes(stats['p95_distance'])}"
                         + _walk_basis_note(d, used, users_assigned)),
        ("users served", f"{summary['share_served']:.1%} of {total_users:,.0f}"),
        ("cost", f"{terms['cost']:,.0f}" + (f" of budget {budget:,.0f}" if budget is not None else "")),
        ("charging load", f"{summary['charging_load_mw']:.2f} MW"),
    ]
    if summary.get("grid_above_limit_today"):
        over = summary["grid_above_limit_today"]
        listed = ", ".join(f"{r['asset']}{' ' + r['name'] if r['name'] else ''} "
                           f"({'no capacity' if r['utilisation_today'] is None else format(r['utilisation_today'], '.0%')})"
                           for r in over[:3]) + (f" and {len(over) - 3} more" if len(over) > 3 else "")
        headline.append(("above the grid limit today",
                         f"{listed}: limit {p['max_utilisation']:.0%}; the plan adds no load there", "bold yellow"))
    tables = {"hubs": hubs, "assignment": assignment, "demand": demand}
    if len(grid):
        tables["grid"] = grid
    layers = _layers(d, hubs, assignment, demand)
    return Solution(tables=tables, layers=layers, summary=summary, headline=headline,
                    objective=weighted_sum(OBJECTIVES, params, terms))


def _grid_table(d: HubData, params: dict[str, Any], size_of: np.ndarray) -> pd.DataFrame:
    p = params
    if not d.grid_assets or d.vital is None:
        return pd.DataFrame()
    built = size_of >= 0
    site_load = np.where(built, class_load(d, params)[np.maximum(size_of, 0)], 0.0)
    added = site_load @ d.grid_share
    a = d.vital.assets.iloc[d.grid_assets]
    cap = a["capacity"].to_numpy(float)
    base = a["load"].to_numpy(float)
    table = pd.DataFrame({
        "asset": a["id"].to_numpy(), "type": a["type"].to_numpy(), "name": a.get("name", pd.Series([""] * len(a))).to_numpy(),
        "capacity": cap, "load_before": base, "added": added, "load_after": base + added,
        "utilisation_before": _share_of(base, cap), "utilisation_after": _share_of(base + added, cap),
        "limit": p["max_utilisation"] * cap, "above_limit_today": d.grid_over_today,
    })
    keep = (table["added"] > 0) | table["above_limit_today"]
    return table[keep].sort_values("utilisation_after", ascending=False).reset_index(drop=True)


def _finite_or_none(value: Any) -> float | None:
    """A figure for the JSON summary: None where it is undefined (NaN) or infinite."""
    return float(value) if np.isfinite(value) else None


def _share_of(load: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """load / capacity; undefined (NaN) for an asset of capacity 0 (a feeder area with no
    capacity takes no hub: its headroom is 0)."""
    return np.divide(load, capacity, out=np.full(len(load), np.nan), where=capacity > 0)


def _layers(d: HubData, hubs: pd.DataFrame, assignment: pd.DataFrame, demand: pd.DataFrame) -> dict[str, Any]:
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


def scenario(d: HubData, params: dict[str, Any], result: Any) -> Any:
    """The plan for the cascade checker: each hub's charging load on its asset and on
    the suppliers upstream (the shares the grid constraint uses)."""
    from optimise.cascade import Change, Effect, Scenario

    summary = result.solution.summary
    # the plan's own effects on the street: reported next to the grid's indicators
    effects = [Effect("mobility", name, float(summary[key]), unit) for key, name, unit in (
        ("space_won_m2", "space_won_back", "m²"), ("net_space_m2", "net_space_won", "m²"),
        ("cars_given_up", "cars_given_up", "cars"), ("share_served", "users_served", "share"),
        ("mean_walk_min", "walk_to_hub_mean", "min"), ("p95_walk_min", "walk_to_hub_p95", "min"))
        if isinstance(summary.get(key), (int, float)) and np.isfinite(summary[key])]
    hubs = result.tables.get("hubs")
    if hubs is None or d.vital is None or not d.grid_assets:
        return Scenario("hub plan", [], effects=effects)
    load = hubs["charging_load_mw"].to_numpy(float)
    added = load @ d.grid_share
    # each hub named once (not a row tuple per asset: the city has hundreds of assets)
    label = np.array([f"{i} ({k})" for i, k in zip(hubs["id"].to_numpy(), hubs["size"].to_numpy())], dtype=object)
    changes = []
    for g, a in enumerate(d.grid_assets):
        if added[g] <= 0:
            continue
        feeding = label[(d.grid_share[:, g] > 0) & (load > 0)]
        changes.append(Change(d.vital.assets["id"].iloc[a], "load", float(added[g]),
                              cause=f"charging of hub{'s' if len(feeding) > 1 else ''} {', '.join(feeding)}"))
    return Scenario("hub plan: charging load", changes, effects=effects)


def _walk_basis_note(d: HubData, used: np.ndarray, users: np.ndarray) -> str:
    """How the walks were measured, when some were on the streets."""
    on = d.walk_basis[used] == "streets"
    if not on.any():
        return ""
    share = users[used][on].sum() / max(users[used].sum(), 1e-9)
    if on.all():
        return " (every walk measured on the streets)"
    return f" ({share:.0%} of users' walks measured on the streets, the rest straight line x detour factor)"


def _minutes(value: float) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.1f} min"


def plan_solution(d: HubData, params: dict[str, Any], tables: dict[str, pd.DataFrame], files: dict[str, str]) -> Solution:
    """A plan given as a hubs table (id, open, size) and an assignment table (demand_id,
    site_id, share), evaluated from the data. A point sent to a hub it cannot walk to is kept
    in the assignment table for the rule check to name (it counts in no figure)."""
    from optimise.plans import truth_values

    hubs, given = tables["hubs"], tables["assignment"]
    site_ids = [str(i) for i in d.site_ids]
    check_references(hubs["id"].astype(str), site_ids, file=files["hubs"], field="id", what="site")
    is_open = truth_values(hubs["open"], files["hubs"], "open")
    size_ids = d.sizes["id"].astype(str).tolist()
    size_of = np.full(d.n_sites, -1)
    position = pd.Index(site_ids).get_indexer(hubs["id"].astype(str))
    for r, (j, built, size) in enumerate(zip(position, is_open, hubs["size"])):
        if not built:
            continue
        if str(size) not in size_ids:
            raise InputError(f"size {size!r} is not a hub size of the instance ({', '.join(size_ids)})",
                             file=files["hubs"], field="size", row=r + 1)
        size_of[j] = size_ids.index(str(size))
    check_references(given["demand_id"].astype(str), [str(i) for i in d.demand_ids], file=files["assignment"],
                     field="demand_id", what="demand point")
    check_references(given["site_id"].astype(str), site_ids, file=files["assignment"], field="site_id", what="site")
    i = pd.Index([str(x) for x in d.demand_ids]).get_indexer(given["demand_id"].astype(str))
    j = pd.Index(site_ids).get_indexer(given["site_id"].astype(str))
    amount = pd.to_numeric(given["share"], errors="coerce")
    if amount.isna().any():
        r = int(np.flatnonzero(amount.isna().to_numpy())[0]) + 1
        raise InputError("the share is not a number", file=files["assignment"], field="share", row=r)
    pair_of = {(int(a), int(b)): q for q, (a, b) in enumerate(d.pairs)}
    q = np.array([pair_of.get((int(a), int(b)), -1) for a, b in zip(i, j)], dtype=int)
    share = np.zeros(len(d.pairs))
    np.add.at(share, q[q >= 0], amount.to_numpy(float)[q >= 0])
    plan = hub_solution(d, params, size_of, share)
    unreachable = given[q < 0][["demand_id", "site_id", "share"]]
    if len(unreachable):
        plan.tables["assignment"] = pd.concat([plan.tables["assignment"], unreachable], ignore_index=True)
    return plan


def check_plan(d: HubData, params: dict[str, Any], plan: Solution) -> list[str]:
    """The hub rules, from the data and the plan's hubs and assignment tables (not the model):
    sizes that fit their site, existing hubs kept, budget, number of hubs, service within the
    walk and only by open hubs, each point at most once, vehicle places, share served, grid
    headroom on every asset the hubs' charging reaches."""
    tol = 1e-6
    hubs, assignment = plan.tables["hubs"], plan.tables["assignment"]
    sizes = d.sizes.reset_index(drop=True)
    size_of = np.full(d.n_sites, -1)
    site_pos = pd.Index(d.site_ids).get_indexer(hubs["id"])
    built = hubs["open"].to_numpy(bool)
    size_of[site_pos[built]] = pd.Index(sizes["id"].astype(str)).get_indexer(hubs["size"][built].astype(str))
    breaks: list[str] = []
    for j in np.flatnonzero(size_of >= 0):
        if not d.allowed[j, size_of[j]]:
            breaks.append(f"a {sizes['id'].iloc[size_of[j]]} hub does not fit at {d.site_ids[j]} "
                          "(its space, a claimed area, or the site is forbidden)")
    breaks += [f"existing hub {d.site_ids[j]} is closed" for j in np.flatnonzero(d.fixed & (size_of < 0))]
    cost = float((sizes["cost"].to_numpy(float)[size_of[size_of >= 0]] * d.cost_factor[size_of >= 0]).sum())
    if params["budget"] is not None and cost > params["budget"] * (1 + tol):
        breaks.append(f"the hubs cost {cost:,.0f}, over the budget of {params['budget']:,.0f}")
    if params["hubs"] is not None and int((size_of >= 0).sum()) != params["hubs"]:
        breaks.append(f"{int((size_of >= 0).sum())} hubs where {params['hubs']} are asked for")
    pair_of = {(int(i), int(j)): q for q, (i, j) in enumerate(d.pairs)}
    i = pd.Index(d.demand_ids).get_indexer(assignment["demand_id"])
    j = pd.Index(d.site_ids).get_indexer(assignment["site_id"])
    share = assignment["share"].to_numpy(float)
    q = np.array([pair_of.get((int(a), int(b)), -1) for a, b in zip(i, j)], dtype=int)
    breaks += [f"point {d.demand_ids[a]} walks to {d.site_ids[b]}, beyond {params['max_walk_m']:g} m or to a "
               "forbidden site" for a, b in zip(i[q < 0], j[q < 0])][:5]
    breaks += [f"point {d.demand_ids[a]} is served by {d.site_ids[b]}, where no hub is open"
               for a, b in zip(i, j) if size_of[b] < 0][:5]
    served = np.bincount(i, share, minlength=d.n_demand)
    breaks += [f"point {d.demand_ids[a]} is served {served[a]:.4g} times" for a in np.flatnonzero(served > 1 + tol)][:5]
    ok = q >= 0
    need = np.zeros(len(q))
    need[ok] = pair_vehicles(d, params)[q[ok]] * share[ok]
    per_hub = np.bincount(j, need, minlength=d.n_sites)
    places = np.where(size_of >= 0, sizes["vehicles"].to_numpy(float)[np.maximum(size_of, 0)], 0.0)
    breaks += [f"hub {d.site_ids[b]} needs {per_hub[b]:,.1f} vehicle places and has {places[b]:,.0f}"
               for b in np.flatnonzero(per_hub > places * (1 + tol) + tol)][:5]
    users = float((d.users[i] * share).sum())
    if params["min_served"] > 0 and users < params["min_served"] * float(d.users.sum()) * (1 - tol):
        breaks.append(f"{users / d.users.sum():.1%} of users served, less than {params['min_served']:.0%}")
    if d.grid_assets:
        load = np.where(size_of >= 0, class_load(d, params)[np.maximum(size_of, 0)], 0.0) @ d.grid_share
        over = load > d.grid_headroom + tol * np.maximum(1.0, np.abs(d.grid_headroom))
        breaks += [f"the hubs' charging adds {load[g]:.3g} MW to {d.vital.label(d.grid_assets[g])}, "
                   + ("which is above the limit already today" if d.grid_over_today[g]
                      else f"which has {d.grid_headroom[g]:.3g} MW left") for g in np.flatnonzero(over)][:5]
    return breaks
