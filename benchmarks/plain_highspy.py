"""The plain model: what a planner would write by hand, directly in highspy, for comparison.

    .venv/bin/python benchmarks/plain_highspy.py INSTANCE [--gap G] [--time-limit S] [--threads 1] [--set NAME=VALUE]

Reads the instance with the engine's loader (the same validated data, walking distances and
detours: the comparison is about the model and its solve, not about reading files), writes
the hub-siting or quay-wall problem of the docstring as matrices the textbook way (one row
per constraint of each family; the products of the interactions linearised with all three
rows; no starting plan, no reductions), solves it with HiGHS's defaults at the gap asked for,
and prints one JSON line: status, objective, bound, gap, seconds. This is the baseline of
``benchmarks/speed.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import highspy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Matrix:
    """Columns and rows gathered in lists, handed to HiGHS in one call each."""

    def __init__(self) -> None:
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n = 0
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def columns(self, n: int, cost: Any, lower: float = 0.0, upper: float = 1.0, integer: bool = False) -> np.ndarray:
        self.lower.append(np.full(n, lower))
        self.upper.append(np.full(n, upper))
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (n,)).copy())
        self.integer.append(np.full(n, 1 if integer else 0, dtype=np.uint8))
        first, self.n = self.n, self.n + n
        return np.arange(first, self.n)

    def row(self, index: Any, value: Any, lower: float = -np.inf, upper: float = np.inf) -> None:
        self.rows.append((np.asarray(index, dtype=np.int32), np.broadcast_to(np.asarray(value, float),
                                                                              (len(index),)).copy()))
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def highs(self, offset: float, args: argparse.Namespace) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(args.verbose))
        h.setOptionValue("threads", args.threads)
        h.setOptionValue("mip_rel_gap", args.gap)
        if args.time_limit:
            h.setOptionValue("time_limit", args.time_limit)
        lower, upper = np.concatenate(self.lower), np.concatenate(self.upper)
        h.addCols(self.n, np.concatenate(self.cost), lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
                  np.zeros(0))
        starts = np.cumsum([0] + [len(i) for i, _ in self.rows])[:-1].astype(np.int32)
        index = np.concatenate([i for i, _ in self.rows]).astype(np.int32)
        value = np.concatenate([v for _, v in self.rows])
        h.addRows(len(self.rows), np.array(self.row_lower), np.array(self.row_upper), len(index), starts, index, value)
        h.changeColsIntegrality(self.n, np.arange(self.n, dtype=np.int32), np.concatenate(self.integer))
        h.changeObjectiveOffset(offset)
        return h


def hub_model(d: Any, p: dict[str, Any]) -> tuple[Matrix, float]:
    """The hub-siting MILP of problems/hub_siting's docstring."""
    m = Matrix()
    slots = np.argwhere(d.allowed)  # (site, class) of each y
    i, j = d.pairs[:, 0], d.pairs[:, 1]
    T = p["unserved_minutes"]
    cars_off = d.cars[i] * d.acceptance
    need = cars_off / p["cars_per_shared_car"] + d.users[i] * p["bikes_per_user"]
    minutes = d.walk_m / p["walk_speed_m_per_min"]
    sizes = d.sizes
    cost = sizes["cost"].to_numpy(float)[slots[:, 1]] * d.cost_factor[slots[:, 0]]
    footprint = sizes["footprint_m2"].to_numpy(float)[slots[:, 1]]
    places = sizes["vehicles"].to_numpy(float)[slots[:, 1]]
    y = m.columns(len(slots), p["weight_space_taken"] * footprint + p["weight_cost"] * cost, integer=True)
    x = m.columns(len(d.pairs), p["weight_walk"] * d.users[i] * (minutes - T)
                  - p["weight_space_won"] * p["m2_per_car"] * cars_off)
    y_of_site = [y[slots[:, 0] == s] for s in range(d.n_sites)]
    for s in range(d.n_sites):  # one class per site
        if len(y_of_site[s]):
            m.row(y_of_site[s], 1.0, 1.0 if d.fixed[s] else -np.inf, 1.0)
    for point in range(d.n_demand):  # serve
        mine = x[i == point]
        if len(mine):
            m.row(mine, 1.0, upper=1.0)
    for q in range(len(d.pairs)):  # link
        m.row(np.r_[x[q], y_of_site[j[q]]], np.r_[1.0, -np.ones(len(y_of_site[j[q]]))], upper=0.0)
    for s in range(d.n_sites):  # vehicles
        mine = np.flatnonzero(j == s)
        if len(mine) and len(y_of_site[s]):
            m.row(np.r_[x[mine], y_of_site[s]], np.r_[need[mine], -places[slots[:, 0] == s]], upper=0.0)
    if p["budget"] is not None:
        m.row(y, cost, upper=p["budget"])
    if p["hubs"] is not None:
        m.row(y, 1.0, p["hubs"], p["hubs"])
    if p["min_served"] > 0:
        m.row(x, d.users[i], lower=p["min_served"] * float(d.users.sum()))
    load = sizes["charging_points"].to_numpy(float)[slots[:, 1]] * p["kw_per_charging_point"] \
        * p["charging_simultaneity"] / 1000.0
    for g in range(len(d.grid_assets)):  # grid headroom
        share = d.grid_share[slots[:, 0], g]
        on = share > 0
        if on.any():
            m.row(y[on], (share * load)[on], upper=float(d.grid_headroom[g]))
    return m, p["weight_walk"] * float(d.users.sum()) * T


def quay_model(d: Any, p: dict[str, Any]) -> tuple[Matrix, float]:
    """The quay-wall MILP of problems/quay_walls's docstring."""
    m = Matrix()
    H, works, util = d.horizon, d.works, d.utilities
    dur = works["duration"].to_numpy(int)
    g = (1.0 + p["traffic_growth"]) ** np.arange(H)
    w = {k: p[f"weight_{k}"] for k in ("hindrance", "air", "risk", "cost")}
    hind, air = d.traffic.hindrance, d.traffic.air
    risk, wcost = works["risk"].to_numpy(float), works["cost"].to_numpy(float)
    starts = [(a, int(t)) for a in range(d.n) for t in d.starts[a]]
    s_cost = [w["hindrance"] * hind[a] * g[t:t + dur[a]].sum() + w["air"] * air[a] * g[t:t + dur[a]].sum()
              - w["risk"] * risk[a] * (H - t) + w["cost"] * wcost[a] for a, t in starts]
    s = m.columns(len(starts), s_cost, integer=True)
    by_work: list[list[int]] = [[] for _ in range(d.n)]
    active: dict[tuple[int, int], list[int]] = {}
    for q, (a, t) in enumerate(starts):
        by_work[a].append(s[q])
        for tau in range(t, t + dur[a]):
            active.setdefault((a, tau), []).append(s[q])
    start_of = {(a, t): s[q] for q, (a, t) in enumerate(starts)}
    # cables and pipes: bundled with the host (b), on their own (v), after the horizon (later)
    n_u = len(util)
    u_cost = util["cost"].to_numpy(float) if n_u else np.zeros(0)
    u_save = util["saving"].to_numpy(float) if n_u else np.zeros(0)
    u_dur = util["duration"].to_numpy(int) if n_u else np.zeros(0, int)
    u_crews = util["crews"].to_numpy(float) if n_u else np.zeros(0)
    host = util["host_index"].to_numpy(int) if n_u else np.zeros(0, int)
    owner = util["operator_index"].to_numpy(int) if n_u else np.zeros(0, int)

    def closed_again(kind: np.ndarray, u: int, t: int) -> float:
        if t < H:
            return float(kind[host[u]] * g[min(t, H - 1):min(t + u_dur[u], H)].sum())
        return float(kind[host[u]] * u_dur[u] * g[-1])

    def again(u: int, t: int) -> float:
        return w["hindrance"] * closed_again(hind, u, t) + w["air"] * closed_again(air, u, t)

    options: list[list[int]] = [[] for _ in range(n_u)]
    works_in: dict[int, list[tuple[int, int, bool]]] = {}  # τ -> (cable, column, on its own)
    for u in range(n_u):
        lo, hi = int(util["window_lo"].iloc[u]), int(util["window_hi"].iloc[u])
        for t in range(lo, min(hi, H - 1) + 1):
            if (host[u], t) in start_of:
                b = int(m.columns(1, w["cost"] * (u_cost[u] - u_save[u]), integer=True)[0])
                m.row([b, start_of[host[u], t]], [1.0, -1.0], upper=0.0)  # bundle
                options[u].append(b)
                for tau in range(t, min(t + u_dur[u], H)):
                    works_in.setdefault(tau, []).append((u, b, False))
        for t in d.separate_starts[u]:
            v = int(m.columns(1, w["cost"] * u_cost[u] + again(u, int(t)), integer=True)[0])
            options[u].append(v)
            for tau in range(int(t), int(t) + u_dur[u]):
                works_in.setdefault(tau, []).append((u, v, True))
        if int(util["window_hi"].iloc[u]) >= H:
            options[u].append(int(m.columns(1, w["cost"] * u_cost[u] + again(u, H), integer=True)[0]))
        m.row(options[u], 1.0, 1.0, 1.0)  # util_once
    for a in range(d.n):  # once
        if by_work[a]:
            m.row(by_work[a], 1.0, 1.0 if d.due[a] or d.fixed[a] else -np.inf, 1.0)
    rate = wcost / dur
    u_bundled = (u_cost - u_save) / np.maximum(u_dur, 1)
    u_alone = u_cost / np.maximum(u_dur, 1)
    for tau in range(H):  # budget and crews of the city, per period
        for weights, limit, cable in ((rate, d.budget, lambda u, own: u_alone[u] if own else u_bundled[u]),
                                      (works["crews"].to_numpy(float), d.crews, lambda u, own: u_crews[u])):
            idx, val = [], []
            for a in range(d.n):
                if weights[a]:
                    idx += active.get((a, tau), [])
                    val += [weights[a]] * len(active.get((a, tau), []))
            for u, col, own in works_in.get(tau, []):
                if owner[u] < 0 and cable(u, own):
                    idx.append(col)
                    val.append(cable(u, own))
            if idx:
                m.row(idx, val, upper=float(limit[tau]))
        for o in range(len(d.operators)):  # the operators' own budgets and crews
            for limit, cable in ((d.operator_budget, lambda u, own: u_alone[u] if own else u_bundled[u]),
                                 (d.operator_crews, lambda u, own: u_crews[u])):
                terms = [(cable(u, own), col) for u, col, own in works_in.get(tau, []) if owner[u] == o]
                terms = [(c, col) for c, col in terms if c]
                if terms:
                    m.row([col for _, col in terms], [c for c, _ in terms], upper=float(limit[o, tau]))
    district = works["district"].astype(str).to_numpy()
    for name, limit in d.district_limit.items():  # closures at once per district
        for tau in range(H):
            idx = [col for a in np.flatnonzero(district == name) for col in active.get((a, tau), [])]
            idx += [col for u, col, own in works_in.get(tau, []) if own and district[host[u]] == name]
            if len(idx) > limit:
                m.row(idx, 1.0, upper=float(limit))
    for a, b in d.precedence:  # b starts after a ends
        for tau in range(H):
            qb = [s[q] for q, (x, t) in enumerate(starts) if x == b and t <= tau]
            qa = [s[q] for q, (x, t) in enumerate(starts) if x == a and t <= tau - dur[a]]
            if qb:
                m.row(qb + qa, [1.0] * len(qb) + [-1.0] * len(qa), upper=0.0)
    under: dict[int, list[int]] = {}
    for u in range(n_u):
        under.setdefault(int(host[u]), []).append(u)

    def closures(a: int, tau: int) -> list[list[int]]:
        out = [active[a, tau]] if active.get((a, tau)) else []
        return out + [[col] for u, col, own in works_in.get(tau, []) if own and u in under.get(a, [])]

    for a, b in d.conflicts:  # never closed together
        for tau in range(H):
            for x in closures(a, tau):
                for y in closures(b, tau):
                    m.row(x + y, 1.0, upper=1.0)
    inter = d.interactions
    for k in range(len(inter)):  # z = w_a w_b, exactly (the textbook linearisation)
        a, b = int(inter["a"].iloc[k]), int(inter["b"].iloc[k])
        for tau in range(H):
            if active.get((a, tau)) and active.get((b, tau)):
                z = int(m.columns(1, g[tau] * (w["hindrance"] * inter["d_hindrance"].iloc[k]
                                               + w["air"] * inter["d_air"].iloc[k]))[0])
                wa, wb = active[a, tau], active[b, tau]
                m.row([z] + wa + wb, [1.0] + [-1.0] * (len(wa) + len(wb)), lower=-1.0)
                m.row([z] + wa, [1.0] + [-1.0] * len(wa), upper=0.0)
                m.row([z] + wb, [1.0] + [-1.0] * len(wb), upper=0.0)
    return m, w["risk"] * float(risk.sum() * H)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instance", type=Path)
    parser.add_argument("--gap", type=float, default=0.0)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE: as optimise solve --set")
    parser.add_argument("--option", action="append", default=[], help="NAME=VALUE: a HiGHS option (experiments)")
    args = parser.parse_args()
    from optimise.run import load_case
    from optimise.variants import parse_setting

    case = load_case(args.instance, overrides=dict(parse_setting(text) for text in args.set))
    problem = case.problem
    build = {"hub_siting": hub_model, "quay_walls": quay_model}[problem.name]
    started = time.perf_counter()
    matrix, offset = build(problem.data, problem.params)
    h = matrix.highs(offset, args)
    for text in args.option:
        name, value = text.split("=", 1)
        current = h.getOptionValue(name)
        current = current[1] if isinstance(current, tuple) else current
        h.setOptionValue(name, (value == "true") if isinstance(current, bool) else type(current)(value))
    built = time.perf_counter()
    h.run()
    solved = time.perf_counter()
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_plan = info.primal_solution_status == 2
    print(json.dumps({"status": status, "objective": info.objective_function_value if has_plan else None,
                      "bound": info.mip_dual_bound, "gap": info.mip_gap if has_plan else None,
                      "build_seconds": built - started, "solve_seconds": solved - built,
                      "columns": h.getNumCol(), "rows": h.getNumRow()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
