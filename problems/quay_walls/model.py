"""The quay-wall MILP, one function per family of the model in the package docstring.

``build_model`` returns the Pyomo model; what the solution reader and the explanations need
(which start, row or cable option each index stands for) travels on it as ``model.maps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.core as pyo

from optimise.errors import InfeasibleInput
from optimise.modelling import linear

from .data import QuayData
from .schema import OBJECTIVES


@dataclass
class QuayMaps:
    """What each index of the model stands for."""

    starts: list[tuple[int, int]]  # s[q] -> (work a, start period t)
    by_work: list[list[int]]  # work a -> its start indices q
    active: dict[tuple[int, int], list[int]]  # (a, τ) -> the q with a in works in τ
    limited: list[tuple[str, int]] = field(default_factory=list)  # district[k] -> (district, τ)
    precedence: list[tuple[int, int, int]] = field(default_factory=list)  # precedence[k] -> (a, b, τ)
    conflicts: list[tuple[int, int, int]] = field(default_factory=list)  # conflict[k] -> (a, b, τ)
    interactions: list[tuple[int, int]] = field(default_factory=list)  # z[r] -> (interaction k, τ)
    bundled: list[tuple[int, int, int]] = field(default_factory=list)  # b[r] -> (cable u, t, host start q)
    separate: list[tuple[int, int]] = field(default_factory=list)  # v[r] -> (cable u, t)
    later: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # later[k] -> cable u
    # τ -> (cable u, its b or v variable, done on its own) for the cable works running in τ
    cable_works: dict[int, list[tuple[int, Any, bool]]] = field(default_factory=dict)
    operator_rows: list[tuple[int, int]] = field(default_factory=list)  # operator_*[k] -> (operator, τ)

    def in_works(self, s: list[Any], a: int, tau: int) -> tuple[list[float], list[Any]]:
        """w_aτ as (coefficients, variables)."""
        qs = self.active.get((a, tau), [])
        return [1.0] * len(qs), [s[q] for q in qs]

    def per_period(self, s: list[Any], weights: np.ndarray, members: Any, tau: int) -> tuple[list[float], list[Any]]:
        """Σ_{a ∈ members} weights_a w_aτ as (coefficients, variables)."""
        coefs, variables = [], []
        for a in members:
            if weights[a] == 0:
                continue
            for q in self.active.get((a, tau), []):
                coefs.append(weights[a])
                variables.append(s[q])
        return coefs, variables


def growth(d: QuayData, params: dict[str, Any]) -> np.ndarray:
    """g_t = (1 + traffic_growth)^(t−1)."""
    return (1.0 + params["traffic_growth"]) ** np.arange(d.horizon)


def build_model(d: QuayData, params: dict[str, Any], name: str) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name=name)
    define_starts(m, d)
    define_utilities(m, d)
    define_once(m, d)
    define_budget(m, d)
    define_crews(m, d)
    define_operators(m, d)
    define_district(m, d)
    define_precedence(m, d)
    define_conflict(m, d)
    define_interactions(m, d)
    define_objective(m, d, params)
    return m


def define_starts(m: pyo.ConcreteModel, d: QuayData) -> None:
    """s_at ∈ {0,1} for t ∈ S_a."""
    duration = d.works["duration"].to_numpy(int)
    starts = [(a, int(t)) for a in range(d.n) for t in d.starts[a]]
    by_work: list[list[int]] = [[] for _ in range(d.n)]
    active: dict[tuple[int, int], list[int]] = {}
    for q, (a, t) in enumerate(starts):
        by_work[a].append(q)
        for tau in range(t, t + duration[a]):
            active.setdefault((a, tau), []).append(q)
    m.maps = QuayMaps(starts, by_work, active)
    m.S = pyo.RangeSet(0, len(starts) - 1)
    m.s = pyo.Var(m.S, domain=pyo.Binary)
    m.s_list = [m.s[q] for q in range(len(starts))]


def define_utilities(m: pyo.ConcreteModel, d: QuayData) -> None:
    """util_once: Σ_t b_ut + Σ_{t ∈ V_u} v_ut + λ_u = 1 (bundled, on its own, or after the
    horizon); bundle: b_ut ≤ s_h(u)t (bundled only in the period its host starts). The options
    are binary: their works count against budgets, crews and closure limits."""
    util, H, starts, by_work = d.utilities, d.horizon, m.maps.starts, m.maps.by_work
    bundled, separate = [], []
    hosts, los, his = (util[c].to_numpy(int) for c in ("host_index", "window_lo", "window_hi")) if len(util) \
        else (np.zeros(0, dtype=int),) * 3
    for u in range(len(util)):
        host, lo, hi = int(hosts[u]), int(los[u]), int(his[u])
        host_starts = {starts[q][1]: q for q in by_work[host]}
        bundled += [(u, t, host_starts[t]) for t in range(lo, min(hi, H - 1) + 1) if t in host_starts]
        separate += [(u, int(t)) for t in d.separate_starts[u]]
    later = np.flatnonzero(util["window_hi"].to_numpy(int) >= H) if len(util) else np.zeros(0, dtype=int)
    m.maps.bundled, m.maps.separate, m.maps.later = bundled, separate, later
    m.B = pyo.RangeSet(0, len(bundled) - 1)
    m.b = pyo.Var(m.B, domain=pyo.Binary)
    m.V = pyo.RangeSet(0, len(separate) - 1)
    m.v = pyo.Var(m.V, domain=pyo.Binary)
    m.L = pyo.RangeSet(0, len(later) - 1)
    m.later = pyo.Var(m.L, domain=pyo.Binary)
    options: list[list[Any]] = [[] for _ in range(len(util))]
    duration = util["duration"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)
    for r, (u, t, _) in enumerate(bundled):
        options[u].append(m.b[r])
        for tau in range(t, min(t + duration[u], H)):
            m.maps.cable_works.setdefault(tau, []).append((u, m.b[r], False))
    for r, (u, t) in enumerate(separate):
        options[u].append(m.v[r])
        for tau in range(t, t + duration[u]):
            m.maps.cable_works.setdefault(tau, []).append((u, m.v[r], True))
    for k, u in enumerate(later):
        options[int(u)].append(m.later[k])
    for u in range(len(util)):
        if not options[u]:
            raise InfeasibleInput(f"{util['id'].iloc[u]!r} has no period in its window to be replaced (blackouts, "
                                  f"the horizon)", file=d.labels["utilities"], field="latest", row=u + 1)
    m.util_once = pyo.Constraint(range(len(util)), rule=lambda m, u: linear([1] * len(options[u]), options[u]) == 1)
    s = m.s_list
    m.bundle = pyo.Constraint(m.B, rule=lambda m, r: m.b[r] <= s[bundled[r][2]])


def define_once(m: pyo.ConcreteModel, d: QuayData) -> None:
    """once: Σ_t s_at = 1 for a work due within the horizon (its safe life) or with a given
    start, ≤ 1 otherwise."""
    by_work, s = m.maps.by_work, m.s_list

    def rule(m: Any, a: int) -> Any:
        if not by_work[a]:
            return pyo.Constraint.Skip
        row = linear([1] * len(by_work[a]), [s[q] for q in by_work[a]])
        return row == 1 if d.due[a] or d.fixed[a] else row <= 1

    m.once = pyo.Constraint(range(d.n), rule=rule)


def cable_cost_rate(d: QuayData) -> tuple[np.ndarray, np.ndarray]:
    """Per cable, its cost per period of its own works: (bundled, on its own)."""
    util = d.utilities
    if not len(util):
        return np.zeros(0), np.zeros(0)
    duration = util["duration"].to_numpy(float)
    cost = util["cost"].to_numpy(float)
    return (cost - util["saving"].to_numpy(float)) / duration, cost / duration


def define_budget(m: pyo.ConcreteModel, d: QuayData) -> None:
    """budget: Σ_a (c_a/δ_a) w_aτ + Σ_{u paid from it} (cost rate) (cable works in τ) ≤ B_τ."""
    rate = d.works["cost"].to_numpy(float) / d.works["duration"].to_numpy(int)
    bundled, alone = cable_cost_rate(d)
    _per_period_limit(m, d, "budget", rate, d.budget, lambda u, own: alone[u] if own else bundled[u])


def define_crews(m: pyo.ConcreteModel, d: QuayData) -> None:
    """crews: Σ_a r_a w_aτ + Σ_{u of the city} r_u (cable works in τ) ≤ K_τ."""
    crews = d.utilities["crews"].to_numpy(float) if len(d.utilities) else np.zeros(0)
    _per_period_limit(m, d, "crews", d.works["crews"].to_numpy(float), d.crews, lambda u, own: crews[u])


def _per_period_limit(m: pyo.ConcreteModel, d: QuayData, family: str, weights: np.ndarray, limit: np.ndarray,
                      cable_weight: Any) -> None:
    s = m.s_list
    city = d.utilities["operator_index"].to_numpy(int) < 0 if len(d.utilities) else np.zeros(0, dtype=bool)

    def rule(m: Any, tau: int) -> Any:
        coefs, variables = m.maps.per_period(s, weights, range(d.n), tau)
        for u, var, own in m.maps.cable_works.get(tau, []):
            if city[u] and cable_weight(u, own):
                coefs.append(cable_weight(u, own))
                variables.append(var)
        return pyo.Constraint.Skip if not variables else linear(coefs, variables) <= float(limit[tau])

    m.add_component(family, pyo.Constraint(range(d.horizon), rule=rule))


def define_operators(m: pyo.ConcreteModel, d: QuayData) -> None:
    """operator_budget, operator_crews: per operator o and period τ, the cost rate and crews
    of its cables' works in τ stay within its own budget and crews."""
    util = d.utilities
    rows = [(o, tau) for o in range(len(d.operators)) for tau in range(d.horizon)]
    m.maps.operator_rows = rows
    if not rows:
        m.operator_budget = pyo.Constraint(range(0))
        m.operator_crews = pyo.Constraint(range(0))
        return
    owner = util["operator_index"].to_numpy(int)
    crews = util["crews"].to_numpy(float)
    bundled, alone = cable_cost_rate(d)

    def limit(values: np.ndarray, weight: Any) -> Any:
        def rule(m: Any, k: int) -> Any:
            o, tau = rows[k]
            terms = [(weight(u, own), var) for u, var, own in m.maps.cable_works.get(tau, []) if owner[u] == o]
            terms = [(c, v) for c, v in terms if c]
            if not terms:
                return pyo.Constraint.Skip
            return linear([c for c, _ in terms], [v for _, v in terms]) <= float(values[o, tau])
        return rule

    m.operator_budget = pyo.Constraint(range(len(rows)), rule=limit(d.operator_budget,
                                                                    lambda u, own: alone[u] if own else bundled[u]))
    m.operator_crews = pyo.Constraint(range(len(rows)), rule=limit(d.operator_crews, lambda u, own: crews[u]))


def define_district(m: pyo.ConcreteModel, d: QuayData) -> None:
    """district: Σ_{a∈d} w_aτ + Σ_{u on a work in d} (u's own works in τ) ≤ M_d: a cable done on
    its own closes its host again (rows that cannot bind are left out)."""
    districts = d.works["district"].astype(str).to_numpy()
    limited = [(dist, tau) for dist in sorted(d.district_limit) for tau in range(d.horizon)]
    members = {dist: np.flatnonzero(districts == dist) for dist in d.district_limit}
    host_district = districts[d.utilities["host_index"].to_numpy(int)] if len(d.utilities) else np.zeros(0, dtype=str)
    ones, s = np.ones(d.n), m.s_list
    m.maps.limited = limited

    def rule(m: Any, k: int) -> Any:
        dist, tau = limited[k]
        coefs, variables = m.maps.per_period(s, ones, members[dist], tau)
        own = [var for u, var, alone in m.maps.cable_works.get(tau, []) if alone and host_district[u] == dist]
        coefs, variables = coefs + [1.0] * len(own), variables + own
        if len(variables) <= d.district_limit[dist]:
            return pyo.Constraint.Skip
        return linear(coefs, variables) <= d.district_limit[dist]

    m.district = pyo.Constraint(range(len(limited)), rule=rule)


def define_precedence(m: pyo.ConcreteModel, d: QuayData) -> None:
    """precedence: Σ_{t ≤ τ} s_bt ≤ Σ_{t ≤ τ−δ_a} s_at: b has not started by τ unless a had
    started by τ − δ_a (the strong, disaggregated form: one row per period)."""
    duration = d.works["duration"].to_numpy(int)
    rows = [(a, b, tau) for a, b in d.precedence for tau in range(d.horizon)]
    starts, by_work, s = m.maps.starts, m.maps.by_work, m.s_list
    m.maps.precedence = rows

    def rule(m: Any, k: int) -> Any:
        a, b, tau = rows[k]
        qb = [q for q in by_work[b] if starts[q][1] <= tau]
        qa = [q for q in by_work[a] if starts[q][1] <= tau - duration[a]]
        if not qb:
            return pyo.Constraint.Skip
        return linear([1] * len(qb) + [-1] * len(qa), [s[q] for q in qb] + [s[q] for q in qa]) <= 0

    m.precedence = pyo.Constraint(range(len(rows)), rule=rule)


def define_conflict(m: pyo.ConcreteModel, d: QuayData) -> None:
    """conflict: x + y ≤ 1 for every closure x of a (its renewal w_aτ, or the own works of a cable
    under it) and every closure y of b, for pairs whose joint closure cuts the street network."""
    s = m.s_list
    under: dict[int, list[int]] = {}
    for u, h in enumerate(d.utilities["host_index"].to_numpy(int) if len(d.utilities) else []):
        under.setdefault(int(h), []).append(u)

    def closures(a: int, tau: int) -> list[tuple[list[float], list[Any]]]:
        out = [m.maps.in_works(s, a, tau)] if m.maps.active.get((a, tau)) else []
        cables = set(under.get(a, []))
        return out + [([1.0], [var]) for u, var, alone in m.maps.cable_works.get(tau, []) if alone and u in cables]

    rows = []
    for a, b in d.conflicts:
        for tau in range(d.horizon):
            for x in closures(a, tau):
                rows += [(a, b, tau, x, y) for y in closures(b, tau)]
    m.maps.conflicts = [(a, b, tau) for a, b, tau, _, _ in rows]
    m.conflict = pyo.Constraint(range(len(rows)), rule=lambda m, k: linear(rows[k][3][0] + rows[k][4][0],
                                                                         rows[k][3][1] + rows[k][4][1]) <= 1)


def define_interactions(m: pyo.ConcreteModel, d: QuayData) -> None:
    """inter: z_abτ ∈ [0, 1] takes the value w_aτ · w_bτ wherever it counts: z ≥ w_a + w_b − 1
    for a pair whose Δ (hindrance and air) are costs, z ≤ w_a and z ≤ w_b for one whose Δ are
    savings, all three where they differ in sign. Every term is minimised or bounded above
    (the objective, a Pareto front's ε rows, an alternative's objective row) and the weights
    are never negative, so a charged z is pushed down onto the product and a rewarded one up
    onto it: the side left out never binds. (All three rows for every pair made z implied
    integers for HiGHS's presolve, which then took 25 s on the city's 28,000 of them.)"""
    inter, active, s = d.interactions, m.maps.active, m.s_list
    first, second = inter["a"].to_numpy(int), inter["b"].to_numpy(int)  # arrays: a pandas lookup per row took 7 s
    rows = [(k, tau) for k, (a, b) in enumerate(zip(first, second)) for tau in range(d.horizon)
            if active.get((int(a), tau)) and active.get((int(b), tau))]
    m.maps.interactions = rows
    m.Z = pyo.RangeSet(0, len(rows) - 1)
    m.z = pyo.Var(m.Z, domain=pyo.NonNegativeReals, bounds=(0, 1))
    m.inter = pyo.ConstraintList()
    cost = (inter["d_hindrance"].to_numpy(float) >= 0) & (inter["d_air"].to_numpy(float) >= 0)
    saving = (inter["d_hindrance"].to_numpy(float) <= 0) & (inter["d_air"].to_numpy(float) <= 0)
    for r, (k, tau) in enumerate(rows):
        ca, va = m.maps.in_works(s, int(first[k]), tau)
        cb, vb = m.maps.in_works(s, int(second[k]), tau)
        if not saving[k]:
            m.inter.add(linear([1.0] + [-c for c in ca] + [-c for c in cb], [m.z[r]] + va + vb) >= -1)
        if not cost[k]:
            m.inter.add(linear([1.0] + [-c for c in ca], [m.z[r]] + va) <= 0)
            m.inter.add(linear([1.0] + [-c for c in cb], [m.z[r]] + vb) <= 0)


def define_objective(m: pyo.ConcreteModel, d: QuayData, params: dict[str, Any]) -> None:
    """The terms hindrance, air, risk and cost (``m.terms``), and their weighted sum."""
    maps, H, works, imp, inter, util = m.maps, d.horizon, d.works, d.traffic, d.interactions, d.utilities
    g = growth(d, params)
    duration = works["duration"].to_numpy(int)
    risk = works["risk"].to_numpy(float)
    cost = works["cost"].to_numpy(float)
    coef = {name: np.zeros(len(maps.starts)) for name in OBJECTIVES}
    for q, (a, t) in enumerate(maps.starts):
        active_growth = g[t:t + duration[a]].sum()
        coef["hindrance"][q] = imp.hindrance[a] * active_growth
        coef["air"][q] = imp.air[a] * active_growth
        coef["risk"][q] = -risk[a] * (H - t)
        coef["cost"][q] = cost[a]
    pairs, periods = (np.array(side, dtype=int) for side in zip(*maps.interactions)) if maps.interactions \
        else (np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    z_coef = {kind: (inter[f"d_{kind}"].to_numpy(float)[pairs] * g[periods]).tolist() for kind in ("hindrance", "air")}
    host_of = util["host_index"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)
    u_dur = util["duration"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)

    def separately(per_period: np.ndarray, u: int, t: int) -> float:
        """A cable done on its own closes its host again (after the horizon: at the last growth)."""
        if t < H:
            return float(per_period[host_of[u]] * g[min(t, H - 1):min(t + u_dur[u], H)].sum())
        return float(per_period[host_of[u]] * u_dur[u] * g[-1])

    s, zs = m.s_list, [m.z[r] for r in range(len(maps.interactions))]
    vs = [m.v[r] for r in range(len(maps.separate))]
    bs = [m.b[r] for r in range(len(maps.bundled))]
    ls = [m.later[k] for k in range(len(maps.later))]
    u_cost = util["cost"].to_numpy(float) if len(util) else np.zeros(0)
    u_save = util["saving"].to_numpy(float) if len(util) else np.zeros(0)

    def closures(kind: str, per_period: np.ndarray) -> Any:
        return linear(list(coef[kind]) + z_coef[kind] + [separately(per_period, u, t) for u, t in maps.separate]
                      + [separately(per_period, int(u), H) for u in maps.later], s + zs + vs + ls)

    terms = {
        "hindrance": closures("hindrance", imp.hindrance),
        "air": closures("air", imp.air),
        "risk": linear(coef["risk"], s, constant=float(risk.sum() * H)),
        "cost": linear(list(coef["cost"]) + [u_cost[u] for u, _ in maps.separate]
                       + [u_cost[u] - u_save[u] for u, _, _ in maps.bundled] + [u_cost[int(u)] for u in maps.later],
                       s + vs + bs + ls),
    }
    m.terms = pyo.Expression(list(terms), rule=lambda m, name: terms[name])
    weight = {n: params[OBJECTIVES[n].weight] for n in terms}
    m.objective = pyo.Objective(expr=sum(weight[n] * m.terms[n] for n in terms if weight[n]) + 0.0, sense=pyo.minimize)
