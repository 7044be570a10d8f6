"""From a solved model or a schedule to the planner's tables: the schedule, per-period
figures, cables and pipes, layers, and the plan as a scenario for the cascade check.

Every figure is evaluated from the data (``evaluate``), not read from the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo

from optimise.errors import InputError
from optimise.problem import Solution, weighted_sum

from .data import QuayData
from .model import growth as growth_of
from .schema import OBJECTIVES


def evaluate(d: QuayData, params: dict[str, Any], start: np.ndarray, util_mode: list[tuple[str, int]]) -> dict[str, float]:
    """Objective terms of a schedule: start index per work (-1: not in the horizon) and,
    per cable or pipe, ("bundled" | "separate" | "later", period index)."""
    H = d.horizon
    growth = growth_of(d, params)
    works = d.works
    duration = works["duration"].to_numpy(int)
    imp = d.traffic
    risk, cost = works["risk"].to_numpy(), works["cost"].to_numpy()
    total = {"hindrance": 0.0, "air": 0.0, "risk": 0.0, "cost": 0.0}
    for a in range(d.n):
        t = start[a]
        if t < 0:
            total["risk"] += risk[a] * H
            continue
        g = growth[t:t + duration[a]].sum()
        total["hindrance"] += imp.hindrance[a] * g
        total["air"] += imp.air[a] * g
        total["risk"] += risk[a] * t
        total["cost"] += cost[a]
    in_works = active_matrix(d, start)
    inter = arrays(d.interactions)
    for k, (a, b) in enumerate(zip(inter["a"], inter["b"])):
        both = in_works[int(a)] & in_works[int(b)]
        total["hindrance"] += inter["d_hindrance"][k] * growth[both].sum()
        total["air"] += inter["d_air"][k] * growth[both].sum()
    util = arrays(d.utilities)
    for u, (mode, t) in enumerate(util_mode):
        host = int(util["host_index"][u])
        du = int(util["duration"][u])
        if mode == "bundled":
            total["cost"] += util["cost"][u] - util["saving"][u]
            continue
        total["cost"] += util["cost"][u]
        g = growth[t:t + du].sum() if mode == "separate" else du * growth[-1]
        total["hindrance"] += imp.hindrance[host] * g
        total["air"] += imp.air[host] * g
    return total


def arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A table's columns as arrays: the loops over works, cables and interactions read an
    element at a time, and pandas' indexing took 2 s for the 70,000 reads of the whole
    city's plan (the same values, so the same sums)."""
    return {str(c): frame[c].to_numpy() for c in frame.columns}


def active_matrix(d: QuayData, start: np.ndarray) -> np.ndarray:
    """in_works[a, τ]: a is in works in period τ."""
    duration = d.works["duration"].to_numpy(int)
    out = np.zeros((d.n, d.horizon), dtype=bool)
    for a in np.flatnonzero(start >= 0):
        out[a, start[a]:start[a] + duration[a]] = True
    return out


def read_plan(d: QuayData, model: pyo.ConcreteModel) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """The start period of each work (-1: not in the horizon) and each cable's option."""
    maps = model.maps
    start = np.full(d.n, -1)
    for q, (a, t) in enumerate(maps.starts):
        if pyo.value(model.s[q]) > 0.5:
            start[a] = t
    modes: list[tuple[str, int]] = [("later", d.horizon)] * len(d.utilities)
    best = np.full(len(d.utilities), -1.0)
    host = d.utilities["host_index"].to_numpy()
    for r, (u, t, q) in enumerate(maps.bundled):
        value = pyo.value(model.b[r])
        if value > best[u] and start[int(host[u])] == t:
            best[u], modes[u] = value, ("bundled", t)
    for r, (u, t) in enumerate(maps.separate):
        value = pyo.value(model.v[r])
        if value > best[u] + 1e-9:
            best[u], modes[u] = value, ("separate", t)
    for k, u in enumerate(maps.later):
        if pyo.value(model.later[k]) > best[u] + 1e-9:
            best[u], modes[u] = pyo.value(model.later[k]), ("later", d.horizon)
    return start, modes


def schedule_solution(d: QuayData, params: dict[str, Any], start: np.ndarray, modes: list[tuple[str, int]]) -> Solution:
    """The schedule, per-period figures, cables and layers of a plan, evaluated from the data."""
    H = d.horizon
    labels = d.periods
    works = d.works
    duration = works["duration"].to_numpy(int)
    kind = works["kind"].astype(str).to_numpy()
    terms = evaluate(d, params, start, modes)
    used = resources_used(d, start, modes)
    in_works = used["active"]
    imp = d.traffic
    util = d.utilities
    util_host, util_id = util["host_index"].to_numpy(), util["id"].to_numpy()
    bundled_of: dict[int, list[str]] = {}
    for u, (mode, _) in enumerate(modes):
        if mode == "bundled":
            bundled_of.setdefault(int(util_host[u]), []).append(str(util_id[u]))
    scheduled = start >= 0
    schedule = pd.DataFrame({
        "id": works["id"].to_numpy(), "kind": works["kind"].to_numpy(), "name": works["name"].to_numpy(),
        "district": works["district"].to_numpy(),
        "start": np.where(scheduled, labels[np.maximum(start, 0)], None),
        "end": np.where(scheduled, labels[np.minimum(np.maximum(start, 0) + duration - 1, H - 1)], None),
        "latest": [labels[t] if d.due[a] else None for a, t in enumerate(d.latest)],
        "due": d.due,
        "cost": works["cost"].to_numpy(float), "length_m": works["length_m"].to_numpy(float),
        "vehicle_hours_per_period": imp.vehicle_hours, "bicycle_hours_per_period": imp.bike_hours,
        "pedestrian_hours_per_period": imp.walk_hours, "cables_bundled": [" ".join(bundled_of.get(a, [])) for a in range(d.n)],
    })
    schedule["slack_periods"] = [int(d.latest[a] - start[a]) if scheduled[a] and d.due[a] else None for a in range(d.n)]
    past = d.due & ~scheduled
    periods = _periods_table(d, params, start, modes, in_works, used)
    after = _after_horizon(d, params, modes)
    utilities = pd.DataFrame({
        "id": util["id"].to_numpy() if len(util) else [], "host": util["host"].to_numpy() if len(util) else [],
        "system": util["system"].to_numpy() if len(util) else [],
        "mode": [m_ for m_, _ in modes], "period": [labels[t] if t < H else None for _, t in modes],
        "operator": util["operator"].to_numpy() if len(util) else [],
    })
    n_bundled = sum(1 for m_, _ in modes if m_ == "bundled")
    summary: dict[str, Any] = {
        "objectives": terms,
        "periods": len(d.periods), "works_scheduled": int(scheduled.sum()), "works_due": int(d.due.sum()),
        "bridges_scheduled": int((scheduled & (kind == "bridge")).sum()),
        "km_renewed": float(works["length_m"].to_numpy(float)[scheduled].sum() / 1000.0),
        "past_safe_life": int(past.sum()),
        "extra_vehicle_hours": float(periods["extra_vehicle_hours"].sum()) + after["vehicle_hours"],
        "extra_vehicle_hours_after_horizon": after["vehicle_hours"],
        "extra_bicycle_hours": float(periods["extra_bicycle_hours"].sum()) + after["bicycle_hours"],
        "extra_pedestrian_hours": float(periods["extra_pedestrian_hours"].sum()) + after["pedestrian_hours"],
        "nox_kg": float(periods["nox_kg"].sum()) + after["nox_kg"],
        "co2_t": float(periods["co2_t"].sum()) + after["co2_t"],
        "cables_bundled": n_bundled, "cables": len(util),
        "budget_used": float(periods["budget_used"].sum()), "budget": float(d.budget.sum()),
    }
    headline = [
        ("works scheduled", f"{summary['works_scheduled']:,} of {d.n:,} ({summary['bridges_scheduled']} bridges, "
                            f"{summary['km_renewed']:.1f} km of quay); all {summary['works_due']:,} due"),
        ("past safe life", "none") if past.sum() == 0 else
        ("past safe life", f"{int(past.sum())} WORKS PAST THEIR SAFE LIFE", "bold red"),
        ("budget used", f"{summary['budget_used']:,.0f} of {summary['budget']:,.0f}"),
        ("extra vehicle-hours", f"{summary['extra_vehicle_hours']:,.0f} ({summary['nox_kg']:,.0f} kg NOx, "
                                f"{summary['co2_t']:,.0f} t CO2)"),
        *([("extra cyclist and pedestrian hours", f"{summary['extra_bicycle_hours']:,.0f} cycling, "
                                                  f"{summary['extra_pedestrian_hours']:,.0f} walking")]
          if summary["extra_bicycle_hours"] or summary["extra_pedestrian_hours"] else []),
        ("cables and pipes", f"{n_bundled:,} of {len(util):,} moved in the same works"),
        ("risk cost", f"{terms['risk']:,.0f}"),
    ]
    tables = {"schedule": schedule, "periods": periods, "utilities": utilities}
    if d.operators:
        tables["operators"] = _operators_table(d, used)
        summary["operators"] = {
            name: {"spent": float(group["budget_used"].sum()), "budget": float(group["budget"].sum())}
            for name, group in tables["operators"].groupby("operator", sort=False)}
        headline.insert(3, ("cable operators", "; ".join(f"{name} {v['spent']:,.0f} of {v['budget']:,.0f}"
                                                         for name, v in summary["operators"].items())))
    layers = _layers(d, schedule, in_works)
    return Solution(tables=tables, layers=layers, summary=summary, headline=headline, objective=weighted_sum(OBJECTIVES, params, terms))


def _layers(d: QuayData, schedule: pd.DataFrame, in_works: np.ndarray) -> dict[str, Any]:
    geometry = d.geometry
    if geometry is None:
        return {}
    import geopandas as gpd

    layers = {"schedule": gpd.GeoDataFrame(schedule, geometry=geometry, crs=geometry.crs)}
    for tau, label in enumerate(d.periods):
        act = in_works[:, tau]
        if act.any():
            layers[f"period_{label}"] = gpd.GeoDataFrame(schedule[act].reset_index(drop=True),
                                                         geometry=geometry[act].reset_index(drop=True), crs=geometry.crs)
    return layers


def scenario(d: QuayData, result: Any) -> Any:
    """The schedule per period for the cascade checker: works out while renewed; cables
    and pipes out while replaced (with their host when bundled, on their own otherwise). These
    are planned closures (flagged "planned"); what they knock on is flagged as usual."""
    from optimise.cascade import Change, Scenario

    vs = d.vital
    labels = [int(x) for x in d.periods]
    if vs is None:
        return Scenario("renewal schedule", [], labels)
    known = set(vs.assets["id"])
    changes = []
    schedule = result.tables["schedule"]
    for row in schedule.itertuples(index=False):
        if row.start is not None and not pd.isna(row.start) and row.id in known:
            changes.append(Change(row.id, "outage", 1.0, (int(row.start), int(row.end)),
                                  cause=f"renewal of {row.id} ({row.kind})", planned=True))
    util = arrays(d.utilities)
    end_of = dict(zip(schedule["id"], schedule["end"]))
    for u, row in enumerate(result.tables["utilities"].itertuples(index=False)):
        asset = util["asset"][u] if "asset" in util else None
        if not isinstance(asset, str) or asset not in known or row.mode == "later":
            continue
        if row.mode == "bundled":
            changes.append(Change(asset, "outage", 1.0, (int(row.period), int(end_of[row.host])),
                                  cause=f"{row.id} moved with the works on {row.host}", planned=True))
        else:
            du = int(util["duration"][u])
            end = labels[min(labels.index(int(row.period)) + du - 1, len(labels) - 1)]
            changes.append(Change(asset, "outage", 1.0, (int(row.period), end),
                                  cause=f"{row.id} replaced on its own (closes {row.host} again)", planned=True))
    return Scenario("renewal schedule", changes, labels, effects=_effects(result), opportunities=_opportunities(d, result))


def _effects(result: Any) -> list[Any]:
    """The schedule's own effects per period (traffic hindrance, NOx, renewal), as indicators."""
    from optimise.cascade import Effect

    out = []
    for row in result.tables["periods"].itertuples(index=False):
        for column, name, unit in (("extra_vehicle_hours", "works_vehicle_hours", "vehicle-h"),
                                   ("nox_kg", "works_nox", "kg"), ("km_renewed", "quay_renewed", "km")):
            out.append(Effect("mobility", name, float(getattr(row, column)), unit, int(row.period)))
    return out


def _opportunities(d: QuayData, result: Any) -> list[Any]:
    """Green flags: each cable or pipe moved in the same works as its host saves money and a
    second closure of the host."""
    from optimise.cascade import Opportunity

    util, out = arrays(d.utilities), []
    schedule = result.tables["schedule"].set_index("id")
    for u, row in enumerate(result.tables["utilities"].itertuples(index=False)):
        asset = util["asset"][u] if "asset" in util else None
        if row.mode != "bundled" or not isinstance(asset, str):
            continue
        end = schedule.loc[row.host, "end"]
        out.append(Opportunity(asset, f"{row.id} moved in the works on {row.host}: saves "
                               f"{float(util['saving'][u]):,.0f} and a second closure of {row.host}",
                               (int(row.period), int(end))))
    return out


def _periods_table(d: QuayData, params: dict[str, Any], start: np.ndarray, modes: list[tuple[str, int]],
                   in_works: np.ndarray, used: dict[str, Any]) -> pd.DataFrame:
    """Per period: works, renewals, budget and crews used (cables paid from them included),
    closures by cables done on their own, extra traffic (interactions and
    separate cable works included), NOx and CO2, cables, works past their safe life."""
    p, H, labels, works, util, imp = params, d.horizon, d.periods, d.works, arrays(d.utilities), d.traffic
    duration = works["duration"].to_numpy(int)
    growth = growth_of(d, params)
    past = d.due & ~(start >= 0)
    rows = []
    length_rate = works["length_m"].to_numpy(float) / duration
    kind = works["kind"].astype(str).to_numpy()
    inter = arrays(d.interactions)
    for tau in range(H):
        act = in_works[:, tau]
        closed = act.astype(float)
        for u, (mode, t) in enumerate(modes):  # a cable done on its own closes its host again
            if mode == "separate" and t <= tau < t + int(util["duration"][u]):
                closed[int(util["host_index"][u])] += 1.0
        vh, vkm, air = (float((x * closed).sum()) for x in (imp.vehicle_hours, imp.vehicle_km, imp.air))
        bike, walk = float((imp.bike_hours * closed).sum()), float((imp.walk_hours * closed).sum())
        for k, (a, b) in enumerate(zip(inter["a"], inter["b"])):
            if act[int(a)] and act[int(b)]:
                vh += inter["d_car_hours"][k]
                vkm += inter["d_vkm"][k]
                air += inter["d_air"][k]
                bike += inter["d_bike_hours"][k]
                walk += inter["d_walk_hours"][k]
        g = growth[tau]
        rows.append({
            "period": int(labels[tau]), "works_active": int(act.sum()),
            "bridges_started": int(((start == tau) & (kind == "bridge")).sum()),
            "quays_started": int(((start == tau) & (kind == "quay")).sum()),
            "km_renewed": float((length_rate * act).sum() / 1000.0),
            "budget_used": float(used["budget"][tau]), "budget": float(d.budget[tau]),
            "crews_used": float(used["crews"][tau]), "crews": float(d.crews[tau]),
            "cable_closures": int(used["cables_alone"][:, tau].sum()),
            "extra_vehicle_hours": vh * g, "extra_bicycle_hours": bike * g, "extra_pedestrian_hours": walk * g,
            "extra_vehicle_km": vkm * g,
            "nox_kg": vkm * g * p["nox_g_per_vkm"] / 1000.0, "co2_t": vkm * g * p["co2_g_per_vkm"] / 1e6,
            "air_weighted": air * g,
            "cables_bundled": sum(1 for m_, t in modes if m_ == "bundled" and t == tau),
            "cables_separate": sum(1 for m_, t in modes if m_ == "separate" and t == tau),
            "past_safe_life": int((past & (d.latest <= tau)).sum()),
        })
    return pd.DataFrame(rows)


def cable_works(d: QuayData, modes: list[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(running, alone): cable u's works run in τ (bundled: from its host's start; on its own:
    from its own start), and whether they run on their own (closing the host again)."""
    H = d.horizon
    duration = d.utilities["duration"].to_numpy()
    running = np.zeros((len(duration), H), dtype=bool)
    alone = np.zeros((len(duration), H), dtype=bool)
    for u, (mode, t) in enumerate(modes):
        if mode in ("bundled", "separate") and 0 <= t < H:
            running[u, t:t + int(duration[u])] = True
            if mode == "separate":
                alone[u] = running[u]
    return running, alone


def resources_used(d: QuayData, start: np.ndarray, modes: list[tuple[str, int]]) -> dict[str, np.ndarray]:
    """Per period, what the plan uses of each limited resource, from the instance tables: the
    renewal budget and crews (works, and cables without an operator), each operator's budget
    and crews (operators x periods), and the closures per district (works and cables done on
    their own)."""
    works, util = d.works, d.utilities
    active = active_matrix(d, start)
    running, alone = cable_works(d, modes)
    rate = np.array([(c - (sv if m == "bundled" else 0.0)) / du for (m, _), c, sv, du in
                     zip(modes, util["cost"], util["saving"], util["duration"])]) if len(util) else np.zeros(0)
    crews = util["crews"].to_numpy(float) if len(util) else np.zeros(0)
    owner = util["operator_index"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)
    city = owner < 0
    budget = works["cost"].to_numpy(float) / works["duration"].to_numpy(int) @ active + rate[city] @ running[city]
    crew = works["crews"].to_numpy(float) @ active + crews[city] @ running[city]
    op_budget = np.array([rate[owner == o] @ running[owner == o] for o in range(len(d.operators))]).reshape(-1, d.horizon)
    op_crews = np.array([crews[owner == o] @ running[owner == o] for o in range(len(d.operators))]).reshape(-1, d.horizon)
    districts = works["district"].astype(str).to_numpy()
    host_district = districts[util["host_index"].to_numpy(int)] if len(util) else np.zeros(0, dtype=str)
    closures = {dist: active[districts == dist].sum(axis=0) + alone[host_district == dist].sum(axis=0)
                for dist in d.district_limit}
    return {"budget": budget, "crews": crew, "operator_budget": op_budget, "operator_crews": op_crews,
            "closures": closures, "active": active, "cables_running": running, "cables_alone": alone}


def plan_of(d: QuayData, tables: dict[str, pd.DataFrame],
            files: dict[str, str] | None = None) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """The start index of each work (-1: not in the horizon) and the option of each cable, from
    a plan's schedule (id, start) and utilities (id, mode, period) tables, periods by label.
    A work the schedule leaves out is not renewed, a cable the utilities table leaves out is
    replaced after the horizon. What cannot be read is an InputError naming file, field, row."""
    from optimise.schema import check_references

    files = files or {}
    index = {int(label): t for t, label in enumerate(d.periods)}
    schedule = tables["schedule"]
    where = files.get("schedule", "schedule")
    ids = d.works["id"].astype(str).tolist()
    check_references(schedule["id"].astype(str), ids, file=where, field="id", what="work")
    start = np.full(d.n, -1)
    position = {work: a for a, work in enumerate(ids)}
    for r, (work, value) in enumerate(zip(schedule["id"].astype(str), schedule["start"])):
        if value is None or pd.isna(value) or str(value).strip() == "":
            continue
        label = _period(value, index, where, "start", r)
        start[position[work]] = label
    modes: list[tuple[str, int]] = [("later", d.horizon)] * len(d.utilities)
    table = tables.get("utilities")
    if table is not None and len(d.utilities):
        where = files.get("utilities", "utilities")
        cables = d.utilities["id"].astype(str).tolist()
        check_references(table["id"].astype(str), cables, file=where, field="id", what="cable or pipe")
        position = {cable: u for u, cable in enumerate(cables)}
        for r, (cable, mode, value) in enumerate(zip(table["id"].astype(str), table["mode"], table["period"])):
            mode = str(mode).strip().lower()
            if mode not in ("bundled", "separate", "later"):
                raise InputError(f"mode {mode!r} is not bundled, separate or later", file=where, field="mode", row=r + 1)
            if mode != "later":
                modes[position[cable]] = (mode, _period(value, index, where, "period", r))
    return start, modes


def _period(value: Any, index: dict[int, int], file: str, field: str, row: int) -> int:
    try:
        label = int(float(value))
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a period", file=file, field=field, row=row + 1) from None
    if label not in index:
        raise InputError(f"{label} is not a period of the instance ({min(index)}–{max(index)})", file=file,
                         field=field, row=row + 1)
    return index[label]


def _operators_table(d: QuayData, used: dict[str, Any]) -> pd.DataFrame:
    """Per operator and period: its budget and crews, and what the plan's cable works use of them
    (``used``: :func:`resources_used`)."""
    return pd.DataFrame([{"operator": name, "period": int(d.periods[t]),
                          "budget_used": float(used["operator_budget"][o, t]), "budget": float(d.operator_budget[o, t]),
                          "crews_used": float(used["operator_crews"][o, t]), "crews": float(d.operator_crews[o, t])}
                         for o, name in enumerate(d.operators) for t in range(d.horizon)])


def check_plan(d: QuayData, plan: Solution) -> list[str]:
    """The renewal rules, from the instance tables and the plan's schedule and utilities tables
    (not the model): works due start by their safe life; no works in a blackout or past the
    horizon; the budget and crews of every period (works, and cable works paid from them); each
    operator's budget and crews; the closures a district bears at once; precedence; pairs that
    may not be closed together. A cable or pipe done on its own closes its host again: for
    blackouts, district limits and conflicts it is a closure like a renewal."""
    start, modes = plan_of(d, plan.tables)
    breaks: list[str] = []
    ids = d.work_labels
    duration = d.works["duration"].to_numpy(int)
    year = lambda t: int(d.periods[t])  # noqa: E731
    breaks += _capped([f"{ids[a]} is not renewed by {year(d.latest[a])}, its safe life" for a in range(d.n)
                       if d.due[a] and not 0 <= start[a] <= d.latest[a]])
    given = d.works["start"].to_numpy(float) if "start" in d.works.columns else np.full(d.n, np.nan)
    breaks += _capped([f"{ids[a]} is to start in {int(given[a])} but starts "
                       + (f"in {year(start[a])}" if start[a] >= 0 else "not at all")
                       for a in np.flatnonzero(np.isfinite(given)) if start[a] < 0 or year(start[a]) != int(given[a])])
    breaks += _capped([f"{ids[a]} runs past the last period" for a in range(d.n) if start[a] >= 0
                       and start[a] + duration[a] > d.horizon])
    breaks += _cable_rules(d, start, modes)
    used = resources_used(d, np.where(start + duration > d.horizon, -1, start), modes)
    active, alone = used["active"], used["cables_alone"]
    breaks += _capped([f"{ids[a]} is in works in {year(t)}, a blackout" for a, t in zip(*np.nonzero(active & d.blackout))])
    util = d.utilities
    hosts = util["host_index"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)
    util_id = util["id"].to_numpy()
    breaks += _capped([f"{util_id[u]} is replaced on its own in {year(t)}, closing {ids[hosts[u]]} in a blackout"
                       for u, t in zip(*np.nonzero(alone & d.blackout[hosts]))])
    for label, limit, verb in (("budget", d.budget, "is"), ("crews", d.crews, "are")):
        breaks += [f"the {label} of {year(t)} {verb} exceeded: {used[label][t]:,.0f} of {limit[t]:,.0f}"
                   for t in np.flatnonzero(used[label] > limit * (1 + 1e-9) + 1e-6)]
    for o, name in enumerate(d.operators):
        for label, limit, verb in (("budget", d.operator_budget[o], "is"), ("crews", d.operator_crews[o], "are")):
            have = used[f"operator_{label}"][o]
            breaks += [f"the {label} of {name} in {year(t)} {verb} exceeded: {have[t]:,.0f} of {limit[t]:,.0f}"
                       for t in np.flatnonzero(have > limit * (1 + 1e-9) + 1e-6)]
    for dist, cap in d.district_limit.items():
        at_once = used["closures"][dist]
        breaks += [f"district {dist} has {at_once[t]} closures at once in {year(t)} (works and cables on their own), "
                   f"more than {cap}" for t in np.flatnonzero(at_once > cap)]
    for a, b in d.precedence:
        if start[b] >= 0 and (start[a] < 0 or start[b] < start[a] + duration[a]):
            breaks.append(f"{ids[b]} starts before {ids[a]} is finished")
    closed = active.copy()
    for u in np.flatnonzero(alone.any(axis=1)):
        closed[hosts[u]] |= alone[u]
    for a, b in d.conflicts:
        both = np.flatnonzero(closed[a] & closed[b])
        if len(both):
            breaks.append(f"{ids[a]} and {ids[b]} are closed together in {year(both[0])} (it cuts the street network)")
    return breaks


def _capped(lines: list[str], shown: int = 5) -> list[str]:
    """The first ``shown`` breaks of one rule, and how many more there are."""
    if len(lines) <= shown:
        return lines
    return lines[:shown] + [f"… and {len(lines) - shown} more like the one above"]


def _cable_rules(d: QuayData, start: np.ndarray, modes: list[tuple[str, int]]) -> list[str]:
    """Each cable in its window: bundled only when its host starts then; on its own finished
    within the horizon; after the horizon only when its window reaches past it."""
    util, H, breaks = arrays(d.utilities), d.horizon, []
    for u, (mode, t) in enumerate(modes):
        cable, host = str(util["id"][u]), int(util["host_index"][u])
        lo, hi, du = int(util["window_lo"][u]), int(util["window_hi"][u]), int(util["duration"][u])
        if mode == "later":
            if hi < H:
                breaks.append(f"{cable} must be replaced by {int(d.periods[hi])}, not after the horizon")
            continue
        if not lo <= t <= hi:
            breaks.append(f"{cable} is replaced in {int(d.periods[t])}, outside its window")
        if mode == "bundled" and start[host] != t:
            breaks.append(f"{cable} is bundled in {int(d.periods[t])} but its host {util['host'][u]} does not "
                          f"start then")
        if mode == "separate" and t + du > H:
            breaks.append(f"{cable} runs past the last period")
    return breaks


def _after_horizon(d: QuayData, params: dict[str, Any], modes: list[tuple[str, int]]) -> dict[str, float]:
    """The traffic of cables and pipes left until after the horizon: each closes its host
    again for its duration, at the last period's traffic (as the objective counts it)."""
    util, imp = arrays(d.utilities), d.traffic
    g_last = growth_of(d, params)[-1]
    closed = np.zeros(d.n)
    for u, (mode, _) in enumerate(modes):
        if mode == "later":
            closed[int(util["host_index"][u])] += int(util["duration"][u]) * g_last
    vkm = float((imp.vehicle_km * closed).sum())
    return {"vehicle_hours": float((imp.vehicle_hours * closed).sum()),
            "bicycle_hours": float((imp.bike_hours * closed).sum()),
            "pedestrian_hours": float((imp.walk_hours * closed).sum()), "nox_kg": vkm * params["nox_g_per_vkm"] / 1000.0,
            "co2_t": vkm * params["co2_g_per_vkm"] / 1e6}


def full_model_figures(d: QuayData, params: dict[str, Any], start: np.ndarray, terms: dict[str, float],
                       bound: float | None) -> dict[str, Any]:
    """The plan judged with every interaction, not only those the model keeps (the
    ``min_interaction`` and ``max_interactions`` shortlist), and a bound on the full model's
    optimum: the dropped interactions that are savings could at most lower it by their sum
    over every period, so ``bound`` minus that is valid for the full model."""
    kept = d.interactions[["a", "b", "d_hindrance", "d_air"]]
    every = d.all_interactions[["a", "b", "d_hindrance", "d_air"]]
    merged = every.merge(kept.assign(kept=True), on=["a", "b", "d_hindrance", "d_air"], how="left")
    dropped = merged[merged["kept"].isna()]
    growth = growth_of(d, params)
    in_works = active_matrix(d, start)
    extra = {"hindrance": 0.0, "air": 0.0}
    for row in dropped.itertuples(index=False):
        both = in_works[int(row.a)] & in_works[int(row.b)]
        extra["hindrance"] += row.d_hindrance * growth[both].sum()
        extra["air"] += row.d_air * growth[both].sum()
    w_h, w_air = params[OBJECTIVES["hindrance"].weight], params[OBJECTIVES["air"].weight]
    objective = weighted_sum(OBJECTIVES, params, terms) + w_h * extra["hindrance"] + w_air * extra["air"]
    # two works overlap in at most min(δ_a, δ_b) periods: a dropped saving is worth at most that
    # many of the largest growth factors
    duration = d.works["duration"].to_numpy(int)
    top = np.concatenate([[0.0], np.cumsum(np.sort(growth)[::-1])])
    overlap = np.minimum(duration[dropped["a"].to_numpy(int)], duration[dropped["b"].to_numpy(int)])
    savings = ((np.maximum(0.0, -dropped["d_hindrance"].to_numpy(float)) * w_h
                + np.maximum(0.0, -dropped["d_air"].to_numpy(float)) * w_air) * top[np.minimum(overlap, len(growth))]).sum()
    full_bound = None if bound is None else bound - float(savings)
    gap = None if full_bound is None else max(objective - full_bound, 0.0) / max(abs(objective), 1e-12)
    return {"interactions_kept": len(kept), "interactions_all": len(every),
            "hindrance_all_interactions": terms["hindrance"] + extra["hindrance"],
            "air_all_interactions": terms["air"] + extra["air"],
            "objective_all_interactions": objective, "bound_all_interactions": full_bound, "gap_all_interactions": gap}
