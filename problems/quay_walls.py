r"""Quay-wall and bridge renewal scheduling: in which period is each asset renewed?

Every asset (a bridge or a quay segment) must start its renewal by its latest period (its
safe life), within the budget and crews of each period and the closures a district can
bear, while the city suffers the least traffic hindrance and air-quality damage, and the
cables and pipes under the works are moved in the same works where that pays.

Sets
    A works (bridges, quay segments); T = 1..H periods; D districts; U cables and pipes,
    each under a host work h(u); S_a ⊆ T the periods in which a may start: t ≤ L_a (latest
    start, for works due within the horizon), t + δ_a − 1 ≤ H, and no period of the works in
    a blackout of a's district; P precedence pairs (a before b); C pairs that may not be
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
    For u ∈ U: a window [e_u, l_u], cost c_u, duration δ_u, saving σ_u when moved in the
    works on its host (bundled: same start period as the host); done separately it closes
    the host again for δ_u periods.

Variables
    s_at ∈ {0,1} (t ∈ S_a): a starts in t;  w_aτ = Σ_{t ≤ τ < t+δ_a} s_at (in works in τ);
    b_ut, v_ut ∈ [0,1]: u bundled with its host starting in t / done separately starting in
    t; λ_u ∈ [0,1]: u done after the horizon (only when l_u > H); z_abτ ≥ 0 interactions.
    (b, v, λ and z may be continuous: with s fixed, the remaining problem is a choice of the
    cheapest allowed option per cable and an exact linearisation of products, whose optimum
    is integral.)

Objective terms
    hindrance = Σ_at s_at η_a Σ_{τ active} g_τ + Σ_I Δ^η_ab Σ_τ g_τ z_abτ + Σ_u Σ_t v_ut η_h(u) Σ g + λ_u η_h(u) δ_u g_H
    air       = the same with α
    risk      = Σ_a ρ_a (H − Σ_t (H − (t−1)) s_at)
    cost      = Σ_a c_a Σ_t s_at + Σ_u (c_u Σ_t v_ut + (c_u − σ_u) Σ_t b_ut + c_u λ_u)
    min  w_h · hindrance + w_air · air + w_risk · risk + w_cost · cost

Constraints
    Σ_t s_at = 1 (a due: L_a ≤ H),  ≤ 1 otherwise
    Σ_a (c_a/δ_a) w_aτ ≤ B_τ,  Σ_a r_a w_aτ ≤ K_τ,  Σ_{a∈d} w_aτ ≤ M_d        ∀ τ, d
    Σ_{t ≤ τ} s_bt ≤ Σ_{t ≤ τ−δ_a} s_at          ∀ (a,b) ∈ P, τ   (b starts after a ends)
    w_aτ + w_bτ ≤ 1                              ∀ (a,b) ∈ C, τ
    z_abτ ≥ w_aτ + w_bτ − 1,  z_abτ ≤ w_aτ,  z_abτ ≤ w_bτ   ∀ (a,b) ∈ I, τ   (z = w_a w_b)
    Σ_t b_ut + Σ_t v_ut + λ_u = 1,  b_ut ≤ s_h(u)t                          ∀ u, t ∈ [e_u, l_u]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import networkx as nx
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from optimise.errors import InfeasibleInput, InputError
from optimise.instance import Instance
from optimise.network import NOX_G_PER_VKM, CO2_G_PER_VKM, street_graph
from optimise.parameters import Parameter, check_parameters
from optimise.problem import Listing, ObjectiveTerm, Problem, Solution
from optimise.schema import Column, TableSchema, check_references, validate_table
from optimise.solver import SolverOutcome
from optimise.vital import VitalSystems

WORKS = TableSchema(
    "works",
    (
        Column("id", "id", "work id (the asset's id in the assets layer, for the cascade check)", unique=True),
        Column("kind", "text", "bridge or quay (any label; reported per kind)", required=False, default="asset"),
        Column("name", "text", "a readable name", required=False, default=""),
        Column("district", "text", "district (closure limits, blackouts)", required=False, default=""),
        Column("length_m", "number", "length of quay wall renewed", unit="m", required=False, default=0.0, minimum=0,
               blank=0.0),
        Column("latest", "integer", "last period in which the renewal may start (safe life); empty: not due "
               "within the horizon", unit="period", required=False, default=np.nan, blank=np.nan),
        Column("duration", "integer", "periods the works take", unit="periods", required=False, default=1,
               positive=True, blank=1),
        Column("cost", "number", "cost of the renewal", unit="cost units", minimum=0),
        Column("crews", "number", "crews busy while in works", unit="crews", required=False, default=1.0, minimum=0,
               blank=1.0),
        Column("risk", "number", "risk cost per period the renewal waits", unit="cost units/period", required=False,
               default=0.0, minimum=0, blank=0.0),
        Column("link", "text", "street link (in the assets layer) the works close partly", required=False,
               default=None),
        Column("closure_share", "number", "share of the link's traffic that must detour", required=False,
               default=0.5, minimum=0, maximum=1, blank=0.5),
    ),
    description="Works to schedule: bridges and quay segments.",
    geometry="optional",
)

PERIODS = TableSchema(
    "periods",
    (
        Column("period", "integer", "period label (e.g. the year), increasing by row", unique=True),
        Column("budget", "number", "budget for renewal works", unit="cost units", minimum=0),
        Column("crews", "number", "crews available", unit="crews", minimum=0),
    ),
    description="The planning horizon: one row per period.",
)

DISTRICTS = TableSchema(
    "districts",
    (
        Column("id", "text", "district", unique=True),
        Column("max_closures", "integer", "works in a district at once", minimum=0),
    ),
    description="Optional: closures a district can bear at once (default: parameter max_closures).",
)

BLACKOUTS = TableSchema(
    "blackouts",
    (
        Column("period", "integer", "period in which no works may run"),
        Column("district", "text", "district; empty: everywhere", required=False, default=""),
        Column("reason", "text", "why (events, the tourist season …)", required=False, default=""),
    ),
    description="Optional: periods without works.",
)

PRECEDENCE = TableSchema(
    "precedence",
    (
        Column("before", "id", "work that must be finished first"),
        Column("after", "id", "work that may start only after it"),
        Column("reason", "text", "why", required=False, default=""),
    ),
    description="Optional: order between works.",
)

UTILITIES = TableSchema(
    "utilities",
    (
        Column("id", "id", "cable or pipe id", unique=True),
        Column("host", "id", "the work it lies under"),
        Column("system", "text", "energy, digital, water …", required=False, default=""),
        Column("type", "text", "MV cable, data cable, water main …", required=False, default=""),
        Column("earliest", "integer", "first period of its planned replacement window", unit="period"),
        Column("latest", "integer", "last period of its window", unit="period"),
        Column("duration", "integer", "periods its own works take", unit="periods", required=False, default=1,
               positive=True, blank=1),
        Column("cost", "number", "cost of replacing it on its own", unit="cost units", minimum=0),
        Column("saving", "number", "cost saved when moved in the works on its host", unit="cost units",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("asset", "text", "its id in the assets layer (for the cascade check)", required=False, default=None),
    ),
    description="Optional: cables and pipes under the works, with their own replacement windows.",
)

NODES = TableSchema(
    "nodes",
    (
        Column("id", "text", "street node (from_node / to_node of the links)", unique=True),
        Column("people", "number", "inhabitants living at the node", unit="people", minimum=0),
    ),
    description="Optional: inhabitants per street node, to weigh air quality (default: 1,000 each).",
)

PARAMETERS = {
    p.name: p
    for p in (
        Parameter("hours_per_period", "number", "peak-hour equivalents of traffic per period", default=3650.0,
                  positive=True, unit="h"),
        Parameter("speed_kmh", "number", "urban speed on detours", default=30.0, positive=True, unit="km/h"),
        Parameter("traffic_growth", "number", "traffic growth per period", default=0.01, minimum=-0.5),
        Parameter("cut_hours", "number", "vehicle-hours lost per vehicle that has no detour", default=0.5,
                  minimum=0, unit="h"),
        Parameter("nox_g_per_vkm", "number", "NOx emission factor", default=NOX_G_PER_VKM, minimum=0, unit="g/vkm"),
        Parameter("co2_g_per_vkm", "number", "CO2 emission factor (reported)", default=CO2_G_PER_VKM, minimum=0,
                  unit="g/vkm"),
        Parameter("max_closures", "integer", "works in a district at once (where the districts table is silent)",
                  default=1000, minimum=0),
        Parameter("min_interaction", "number", "interactions smaller than this share of the smaller single "
                  "hindrance are left out", default=0.05, minimum=0),
        Parameter("max_interactions", "integer", "interactions kept per work (the largest)", default=6, minimum=0),
        Parameter("weight_hindrance", "number", "objective weight per vehicle-hour of delay", default=15.0, minimum=0,
                  unit="cost units/vh"),
        Parameter("weight_air", "number", "objective weight per g NOx x 1,000 inhabitants", default=0.5,
                  minimum=0),
        Parameter("weight_risk", "number", "objective weight per unit of risk cost", default=1.0, minimum=0),
        Parameter("weight_cost", "number", "objective weight per unit of cost", default=1.0, minimum=0),
    )
}

OBJECTIVES = {
    t.name: t
    for t in (
        ObjectiveTerm("hindrance", "min", "vehicle-hours", "extra travel time of the traffic on detours"),
        ObjectiveTerm("air", "min", "g NOx x 1,000 inhabitants", "extra NOx on detours, weighted by the inhabitants along them"),
        ObjectiveTerm("risk", "min", "cost units", "risk cost of renewals that wait"),
        ObjectiveTerm("cost", "min", "cost units", "renewals plus cable and pipe works, less bundling savings"),
    )
}
WEIGHT_OF = {"hindrance": "weight_hindrance", "air": "weight_air", "risk": "weight_risk", "cost": "weight_cost"}


@dataclass
class Impacts:
    """Per work, per period of closure (before traffic growth): the detour figures."""

    vehicle_hours: np.ndarray
    vehicle_km: np.ndarray
    air: np.ndarray
    cut: np.ndarray  # vehicles/h without a path


@dataclass
class QuayData:
    works: pd.DataFrame
    periods: np.ndarray  # labels
    budget: np.ndarray
    crews: np.ndarray
    latest: np.ndarray  # index 0..H-1, or H+ for not due (may exceed)
    due: np.ndarray
    starts: list[np.ndarray]  # allowed start indices per work
    district_limit: dict[str, int]
    precedence: list[tuple[int, int]]
    impacts: Impacts
    interactions: pd.DataFrame  # a, b, d_hindrance, d_air, d_vkm
    conflicts: list[tuple[int, int]]
    utilities: pd.DataFrame  # with host index, window indices
    blackout: np.ndarray  # (works x periods) bool
    vital: VitalSystems | None
    geometry: Any
    labels: dict[str, str]

    @property
    def n(self) -> int:
        return len(self.works)

    @property
    def horizon(self) -> int:
        return len(self.periods)


class QuayWalls(Problem):
    name: ClassVar[str] = "quay_walls"
    title: ClassVar[str] = "quay-wall and bridge renewal schedule: hindrance, air quality, risk, cost, bundled cables"
    tables: ClassVar[dict[str, TableSchema]] = {
        "works": WORKS, "periods": PERIODS, "districts": DISTRICTS, "blackouts": BLACKOUTS,
        "precedence": PRECEDENCE, "utilities": UTILITIES, "nodes": NODES,
    }
    parameters: ClassVar[dict[str, Parameter]] = PARAMETERS
    objectives: ClassVar[dict[str, ObjectiveTerm]] = OBJECTIVES
    formulation = "time-indexed starts"
    elastic: ClassVar[tuple[str, ...]] = ("once", "budget", "crews", "district", "precedence", "conflict")
    resources: ClassVar[tuple[str, ...]] = ("budget", "crews", "district")
    elastic_weights: ClassVar[dict[str, float]] = {"once": 10.0}  # a safe life is the last rule to give
    listings: ClassVar[tuple[Listing, ...]] = (Listing(
        "periods", (("period", "period"), ("works_active", "works"), ("bridges_started", "bridges"),
                    ("km_renewed", "km quay"), ("budget_used", "budget used"), ("crews_used", "crews"),
                    ("extra_vehicle_hours", "extra veh-h"), ("nox_kg", "NOx kg"), ("past_safe_life", "past life")),
        sort="period", ascending=True),)

    def __init__(self, data: QuayData, **params: Any) -> None:
        self.data = data
        self.params = check_parameters(self.parameters, params, file="parameters")

    @classmethod
    def from_instance(cls, instance: Instance) -> "QuayWalls":
        from optimise.vital import load_vital_systems

        toml = str(instance.toml_file)
        params = check_parameters(cls.parameters, instance.parameters, file=toml)
        tables = {key: instance.table(key, schema) for key, schema in cls.tables.items()
                  if key in ("works", "periods") or instance.has(key)}
        labels = {key: instance.label(key) for key in cls.tables}
        vital = load_vital_systems(instance)
        return cls(build_data(tables, params, vital, labels), **params)

    @classmethod
    def from_tables(cls, works: pd.DataFrame, periods: pd.DataFrame, *, vital: VitalSystems | None = None,
                    **tables_and_params: Any) -> "QuayWalls":
        """Build from DataFrames (columns as in the instance format); other tables by name
        (districts, blackouts, precedence, utilities, nodes); the rest are parameters."""
        given = {"works": works, "periods": periods}
        given.update({k: v for k, v in tables_and_params.items() if k in cls.tables})
        params = {k: v for k, v in tables_and_params.items() if k not in cls.tables}
        tables = {k: validate_table(v, cls.tables[k], file=k) for k, v in given.items() if v is not None}
        checked = check_parameters(cls.parameters, params, file="parameters")
        return cls(build_data(tables, checked, vital, {k: k for k in cls.tables}), **params)

    # --- model ----------------------------------------------------------------------------

    def growth(self) -> np.ndarray:
        return (1.0 + self.params["traffic_growth"]) ** np.arange(self.data.horizon)

    def build(self) -> pyo.ConcreteModel:
        d, p = self.data, self.params
        H = d.horizon
        works = d.works
        duration = works["duration"].to_numpy(int)
        m = pyo.ConcreteModel(name=self.name)
        starts = [(a, int(t)) for a in range(d.n) for t in d.starts[a]]
        self._starts = starts
        m.S = pyo.RangeSet(0, len(starts) - 1)
        m.s = pyo.Var(m.S, domain=pyo.Binary)
        s = [m.s[q] for q in range(len(starts))]
        by_work: list[list[int]] = [[] for _ in range(d.n)]
        active: dict[tuple[int, int], list[int]] = {}
        for q, (a, t) in enumerate(starts):
            by_work[a].append(q)
            for tau in range(t, t + duration[a]):
                active.setdefault((a, tau), []).append(q)

        def lin(coefs: Any, variables: list[Any], constant: float = 0.0) -> LinearExpression:
            return LinearExpression(constant=float(constant), linear_coefs=[float(c) for c in coefs],
                                    linear_vars=variables)

        def w(a: int, tau: int) -> tuple[list[float], list[Any]]:
            qs = active.get((a, tau), [])
            return [1.0] * len(qs), [s[q] for q in qs]

        m.once = pyo.Constraint(range(d.n), rule=lambda m, a: (
            pyo.Constraint.Skip if not by_work[a] else
            (lin([1] * len(by_work[a]), [s[q] for q in by_work[a]]) == 1) if d.due[a]
            else (lin([1] * len(by_work[a]), [s[q] for q in by_work[a]]) <= 1)))
        cost_rate = works["cost"].to_numpy(float) / duration
        crews = works["crews"].to_numpy(float)

        def per_period(weights: np.ndarray, members: np.ndarray | None, tau: int) -> tuple[list[float], list[Any]]:
            coefs, variables = [], []
            for a in (range(d.n) if members is None else members):
                if weights[a] == 0:
                    continue
                for q in active.get((a, tau), []):
                    coefs.append(weights[a])
                    variables.append(s[q])
            return coefs, variables

        def budget_rule(m: Any, tau: int) -> Any:
            coefs, variables = per_period(cost_rate, None, tau)
            return pyo.Constraint.Skip if not variables else lin(coefs, variables) <= float(d.budget[tau])

        def crews_rule(m: Any, tau: int) -> Any:
            coefs, variables = per_period(crews, None, tau)
            return pyo.Constraint.Skip if not variables else lin(coefs, variables) <= float(d.crews[tau])

        m.budget = pyo.Constraint(range(H), rule=budget_rule)
        m.crews = pyo.Constraint(range(H), rule=crews_rule)
        districts = works["district"].astype(str).to_numpy()
        limited = [(dist, tau) for dist in sorted(d.district_limit) for tau in range(H)]
        members = {dist: np.flatnonzero(districts == dist) for dist in d.district_limit}
        ones = np.ones(d.n)

        def district_rule(m: Any, k: int) -> Any:
            dist, tau = limited[k]
            coefs, variables = per_period(ones, members[dist], tau)
            if len(variables) <= d.district_limit[dist]:
                return pyo.Constraint.Skip
            return lin(coefs, variables) <= d.district_limit[dist]

        m.district = pyo.Constraint(range(len(limited)), rule=district_rule)
        self._limited = limited
        # precedence: b has not started by tau unless a started by tau - duration_a
        prec_rows = [(a, b, tau) for a, b in d.precedence for tau in range(H)]

        def precedence_rule(m: Any, k: int) -> Any:
            a, b, tau = prec_rows[k]
            qb = [q for q in by_work[b] if starts[q][1] <= tau]
            qa = [q for q in by_work[a] if starts[q][1] <= tau - duration[a]]
            if not qb:
                return pyo.Constraint.Skip
            return lin([1] * len(qb) + [-1] * len(qa), [s[q] for q in qb] + [s[q] for q in qa]) <= 0

        m.precedence = pyo.Constraint(range(len(prec_rows)), rule=precedence_rule)
        self._prec_rows = prec_rows
        conflict_rows = [(a, b, tau) for a, b in d.conflicts for tau in range(H)
                         if active.get((a, tau)) and active.get((b, tau))]
        self._conflict_rows = conflict_rows
        m.conflict = pyo.Constraint(range(len(conflict_rows)), rule=lambda m, k: lin(
            w(conflict_rows[k][0], conflict_rows[k][2])[0] + w(conflict_rows[k][1], conflict_rows[k][2])[0],
            w(conflict_rows[k][0], conflict_rows[k][2])[1] + w(conflict_rows[k][1], conflict_rows[k][2])[1]) <= 1)
        # interactions
        growth = self.growth()
        inter = d.interactions
        z_rows = [(k, tau) for k, (a, b) in enumerate(zip(inter["a"], inter["b"])) for tau in range(H)
                  if active.get((int(a), tau)) and active.get((int(b), tau))]
        self._z_rows = z_rows
        m.Z = pyo.RangeSet(0, len(z_rows) - 1)
        m.z = pyo.Var(m.Z, domain=pyo.NonNegativeReals, bounds=(0, 1))
        m.inter = pyo.ConstraintList()
        for r, (k, tau) in enumerate(z_rows):
            a, b = int(inter["a"].iloc[k]), int(inter["b"].iloc[k])
            ca, va = w(a, tau)
            cb, vb = w(b, tau)
            # z = w_a · w_b exactly (both sides: the terms may reward or charge the overlap)
            m.inter.add(lin([1.0] + [-c for c in ca] + [-c for c in cb], [m.z[r]] + va + vb) >= -1)
            m.inter.add(lin([1.0] + [-c for c in ca], [m.z[r]] + va) <= 0)
            m.inter.add(lin([1.0] + [-c for c in cb], [m.z[r]] + vb) <= 0)
        # cables and pipes: bundled with the host's start, separately, or after the horizon
        util = d.utilities
        b_index, v_index = [], []
        for u in range(len(util)):
            host = int(util["host_index"].iloc[u])
            lo, hi = int(util["window_lo"].iloc[u]), int(util["window_hi"].iloc[u])
            du = int(util["duration"].iloc[u])
            host_starts = {starts[q][1]: q for q in by_work[host]}
            for t in range(lo, min(hi, H - 1) + 1):
                if t in host_starts:
                    b_index.append((u, t, host_starts[t]))
                if t + du <= H:
                    v_index.append((u, t))
        self._b_index, self._v_index = b_index, v_index
        m.B = pyo.RangeSet(0, len(b_index) - 1)
        m.b = pyo.Var(m.B, bounds=(0, 1))
        m.V = pyo.RangeSet(0, len(v_index) - 1)
        m.v = pyo.Var(m.V, bounds=(0, 1))
        later = np.flatnonzero(util["window_hi"].to_numpy(int) >= H) if len(util) else np.zeros(0, dtype=int)
        self._later = later
        m.L = pyo.RangeSet(0, len(later) - 1)
        m.later = pyo.Var(m.L, bounds=(0, 1))
        later_pos = {int(u): k for k, u in enumerate(later)}
        options: list[list[Any]] = [[] for _ in range(len(util))]
        for r, (u, t, q) in enumerate(b_index):
            options[u].append(m.b[r])
        for r, (u, t) in enumerate(v_index):
            options[u].append(m.v[r])
        for u, k in later_pos.items():
            options[u].append(m.later[k])
        for u in range(len(util)):
            if not options[u]:
                raise InfeasibleInput(f"{util['id'].iloc[u]!r} has no period in its window to be replaced",
                                      file=d.labels["utilities"], field="latest", row=u + 1)
        m.util_once = pyo.Constraint(range(len(util)), rule=lambda m, u: lin([1] * len(options[u]), options[u]) == 1)
        m.bundle = pyo.Constraint(m.B, rule=lambda m, r: m.b[r] <= s[b_index[r][2]])
        # objective terms
        imp = d.impacts
        risk = works["risk"].to_numpy(float)
        coef = {name: np.zeros(len(starts)) for name in OBJECTIVES}
        for q, (a, t) in enumerate(starts):
            g = growth[t:t + duration[a]].sum()
            coef["hindrance"][q] = imp.vehicle_hours[a] * g
            coef["air"][q] = imp.air[a] * g
            coef["risk"][q] = -risk[a] * (H - t)
            coef["cost"][q] = works["cost"].iloc[a]
        z_coef = {"hindrance": [], "air": []}
        for k, tau in z_rows:
            z_coef["hindrance"].append(inter["d_hindrance"].iloc[k] * growth[tau])
            z_coef["air"].append(inter["d_air"].iloc[k] * growth[tau])
        zs = [m.z[r] for r in range(len(z_rows))]
        host_of = util["host_index"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)
        u_dur = util["duration"].to_numpy(int) if len(util) else np.zeros(0, dtype=int)

        def separate(kind: np.ndarray, u: int, t: int) -> float:
            return float(kind[host_of[u]] * growth[min(t, H - 1):min(t + u_dur[u], H)].sum()) if t < H else \
                float(kind[host_of[u]] * u_dur[u] * growth[-1])

        vs_ = [m.v[r] for r in range(len(v_index))]
        bs_ = [m.b[r] for r in range(len(b_index))]
        ls_ = [m.later[k] for k in range(len(later))]
        u_cost = util["cost"].to_numpy(float) if len(util) else np.zeros(0)
        u_save = util["saving"].to_numpy(float) if len(util) else np.zeros(0)
        terms = {
            "hindrance": lin(list(coef["hindrance"]) + z_coef["hindrance"] + [separate(imp.vehicle_hours, u, t) for u, t in v_index]
                             + [separate(imp.vehicle_hours, int(u), H) for u in later], s + zs + vs_ + ls_),
            "air": lin(list(coef["air"]) + z_coef["air"] + [separate(imp.air, u, t) for u, t in v_index]
                       + [separate(imp.air, int(u), H) for u in later], s + zs + vs_ + ls_),
            "risk": lin(coef["risk"], s, constant=float(risk.sum() * H)),
            "cost": lin(list(coef["cost"]) + [u_cost[u] for u, _ in v_index] + [u_cost[u] - u_save[u] for u, _, _ in b_index]
                        + [u_cost[int(u)] for u in later], s + vs_ + bs_ + ls_),
        }
        m.terms = pyo.Expression(list(terms), rule=lambda m, name: terms[name])
        weight = {n: p[WEIGHT_OF[n]] for n in terms}
        m.objective = pyo.Objective(expr=sum(weight[n] * m.terms[n] for n in terms if weight[n]) + 0.0, sense=pyo.minimize)
        return m

    def describe_row(self, family: str, index: Any, amount: float, direction: str) -> str:
        d = self.data
        ids = d.works["id"].astype(str).to_numpy()
        year = lambda t: int(d.periods[int(t)])  # noqa: E731
        if family == "once":
            a = int(index)
            if not d.due[a]:
                return f"{ids[a]} is renewed at most once in the horizon"
            subject = f"{ids[a]} ({d.works['kind'].iloc[a]}) must start by {year(d.latest[a])}, its safe life"
        elif family in ("budget", "crews"):
            have = d.budget[int(index)] if family == "budget" else d.crews[int(index)]
            subject = f"the {family} of {year(index)} ({have:,.0f})"
        elif family == "district":
            dist, tau = self._limited[int(index)]
            subject = f"the closure limit of district {dist} in {year(tau)} ({d.district_limit[dist]})"
        elif family == "precedence":
            a, b, tau = self._prec_rows[int(index)]
            subject = f"{ids[b]} only after {ids[a]} ({year(tau)})"
        elif family == "conflict":
            a, b, tau = self._conflict_rows[int(index)]
            subject = f"{ids[a]} and {ids[b]} not closed together in {year(tau)} (it would cut the street network)"
        else:
            return super().describe_row(family, index, amount, direction)
        if direction == "binds":
            return f"{subject} binds: relaxing it one unit changes the objective by {amount:+,.4g}"
        if direction == "tight":
            return f"{subject} is {amount:.1%} used by the plan"
        if family == "once":
            return f"{subject}, but cannot within the other rules"
        if family in ("budget", "crews"):
            return f"{subject} is {amount:,.0f}{'' if family == 'budget' else ' crews'} short"
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
                for q, (a, t) in enumerate(self._starts)}

    # --- solution ---------------------------------------------------------------------------

    def evaluate(self, start: np.ndarray, util_mode: list[tuple[str, int]]) -> dict[str, float]:
        """Objective terms of a schedule: start index per work (-1: not in the horizon) and,
        per cable or pipe, ("bundled" | "separate" | "later", period index)."""
        d, p = self.data, self.params
        H = d.horizon
        growth = self.growth()
        works = d.works
        duration = works["duration"].to_numpy(int)
        imp = d.impacts
        total = {"hindrance": 0.0, "air": 0.0, "risk": 0.0, "cost": 0.0}
        for a in range(d.n):
            t = start[a]
            if t < 0:
                total["risk"] += works["risk"].iloc[a] * H
                continue
            g = growth[t:t + duration[a]].sum()
            total["hindrance"] += imp.vehicle_hours[a] * g
            total["air"] += imp.air[a] * g
            total["risk"] += works["risk"].iloc[a] * t
            total["cost"] += works["cost"].iloc[a]
        in_works = self.active_matrix(start)
        for k, (a, b) in enumerate(zip(d.interactions["a"], d.interactions["b"])):
            both = in_works[int(a)] & in_works[int(b)]
            total["hindrance"] += d.interactions["d_hindrance"].iloc[k] * growth[both].sum()
            total["air"] += d.interactions["d_air"].iloc[k] * growth[both].sum()
        util = d.utilities
        for u, (mode, t) in enumerate(util_mode):
            host = int(util["host_index"].iloc[u])
            du = int(util["duration"].iloc[u])
            if mode == "bundled":
                total["cost"] += util["cost"].iloc[u] - util["saving"].iloc[u]
                continue
            total["cost"] += util["cost"].iloc[u]
            g = growth[t:t + du].sum() if mode == "separate" else du * growth[-1]
            total["hindrance"] += imp.vehicle_hours[host] * g
            total["air"] += imp.air[host] * g
        return total

    def active_matrix(self, start: np.ndarray) -> np.ndarray:
        d = self.data
        duration = d.works["duration"].to_numpy(int)
        out = np.zeros((d.n, d.horizon), dtype=bool)
        for a in np.flatnonzero(start >= 0):
            out[a, start[a]:start[a] + duration[a]] = True
        return out

    def weighted(self, terms: dict[str, float]) -> float:
        return sum(self.params[WEIGHT_OF[n]] * v for n, v in terms.items())

    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        d = self.data
        start = np.full(d.n, -1)
        for q, (a, t) in enumerate(self._starts):
            if pyo.value(model.s[q]) > 0.5:
                start[a] = t
        modes: list[tuple[str, int]] = [("later", d.horizon)] * len(d.utilities)
        best = np.full(len(d.utilities), -1.0)
        for r, (u, t, q) in enumerate(self._b_index):
            value = pyo.value(model.b[r])
            if value > best[u] and start[int(d.utilities["host_index"].iloc[u])] == t:
                best[u], modes[u] = value, ("bundled", t)
        for r, (u, t) in enumerate(self._v_index):
            value = pyo.value(model.v[r])
            if value > best[u] + 1e-9:
                best[u], modes[u] = value, ("separate", t)
        for k, u in enumerate(self._later):
            if pyo.value(model.later[k]) > best[u] + 1e-9:
                best[u], modes[u] = pyo.value(model.later[k]), ("later", d.horizon)
        return self.schedule_solution(start, modes)

    def schedule_solution(self, start: np.ndarray, modes: list[tuple[str, int]]) -> Solution:
        d, p = self.data, self.params
        H = d.horizon
        labels = d.periods
        works = d.works
        duration = works["duration"].to_numpy(int)
        terms = self.evaluate(start, modes)
        in_works = self.active_matrix(start)
        growth = self.growth()
        imp = d.impacts
        util = d.utilities
        bundled_of: dict[int, list[str]] = {}
        for u, (mode, _) in enumerate(modes):
            if mode == "bundled":
                bundled_of.setdefault(int(util["host_index"].iloc[u]), []).append(str(util["id"].iloc[u]))
        scheduled = start >= 0
        schedule = pd.DataFrame({
            "id": works["id"].to_numpy(), "kind": works["kind"].to_numpy(), "name": works["name"].to_numpy(),
            "district": works["district"].to_numpy(),
            "start": np.where(scheduled, labels[np.maximum(start, 0)], None),
            "end": np.where(scheduled, labels[np.minimum(np.maximum(start, 0) + duration - 1, H - 1)], None),
            "latest": [labels[t] if d.due[a] else None for a, t in enumerate(d.latest)],
            "due": d.due,
            "cost": works["cost"].to_numpy(float), "length_m": works["length_m"].to_numpy(float),
            "vehicle_hours_per_period": imp.vehicle_hours, "cables_bundled": [" ".join(bundled_of.get(a, [])) for a in range(d.n)],
        })
        schedule["slack_periods"] = [int(d.latest[a] - start[a]) if scheduled[a] and d.due[a] else None for a in range(d.n)]
        past = d.due & ~scheduled
        # per period indicators (interactions included in vehicle-hours)
        rows = []
        cost_rate = works["cost"].to_numpy(float) / duration
        length_rate = works["length_m"].to_numpy(float) / duration
        kind = works["kind"].astype(str).to_numpy()
        inter = d.interactions
        for tau in range(H):
            act = in_works[:, tau]
            vh = float((imp.vehicle_hours * act).sum())
            vkm = float((imp.vehicle_km * act).sum())
            air = float((imp.air * act).sum())
            for k, (a, b) in enumerate(zip(inter["a"], inter["b"])):
                if act[int(a)] and act[int(b)]:
                    vh += inter["d_hindrance"].iloc[k]
                    vkm += inter["d_vkm"].iloc[k]
                    air += inter["d_air"].iloc[k]
            for u, (mode, t) in enumerate(modes):
                if mode == "separate" and t <= tau < t + int(util["duration"].iloc[u]):
                    host = int(util["host_index"].iloc[u])
                    vh += imp.vehicle_hours[host]
                    vkm += imp.vehicle_km[host]
                    air += imp.air[host]
            g = growth[tau]
            rows.append({
                "period": int(labels[tau]), "works_active": int(act.sum()),
                "bridges_started": int(((start == tau) & (kind == "bridge")).sum()),
                "quays_started": int(((start == tau) & (kind == "quay")).sum()),
                "km_renewed": float((length_rate * act).sum() / 1000.0),
                "budget_used": float((cost_rate * act).sum()), "budget": float(d.budget[tau]),
                "crews_used": float((works["crews"].to_numpy(float) * act).sum()), "crews": float(d.crews[tau]),
                "extra_vehicle_hours": vh * g, "extra_vehicle_km": vkm * g,
                "nox_kg": vkm * g * p["nox_g_per_vkm"] / 1000.0, "co2_t": vkm * g * p["co2_g_per_vkm"] / 1e6,
                "air_weighted": air * g,
                "cables_bundled": sum(1 for m_, t in modes if m_ == "bundled" and t == tau),
                "cables_separate": sum(1 for m_, t in modes if m_ == "separate" and t == tau),
                "past_safe_life": int((past & (d.latest <= tau)).sum()),
            })
        periods = pd.DataFrame(rows)
        utilities = pd.DataFrame({
            "id": util["id"].to_numpy() if len(util) else [], "host": util["host"].to_numpy() if len(util) else [],
            "system": util["system"].to_numpy() if len(util) else [],
            "mode": [m_ for m_, _ in modes], "period": [labels[t] if t < H else None for _, t in modes],
        })
        n_bundled = sum(1 for m_, _ in modes if m_ == "bundled")
        summary: dict[str, Any] = {
            "objectives": terms,
            "works_scheduled": int(scheduled.sum()), "works_due": int(d.due.sum()),
            "bridges_scheduled": int((scheduled & (kind == "bridge")).sum()),
            "km_renewed": float(works["length_m"].to_numpy(float)[scheduled].sum() / 1000.0),
            "past_safe_life": int(past.sum()),
            "extra_vehicle_hours": float(periods["extra_vehicle_hours"].sum()),
            "nox_kg": float(periods["nox_kg"].sum()), "co2_t": float(periods["co2_t"].sum()),
            "cables_bundled": n_bundled, "cables": len(util),
            "budget_used": float(periods["budget_used"].sum()), "budget": float(d.budget.sum()),
        }
        headline = [
            ("works scheduled", f"{summary['works_scheduled']:,} of {d.n:,} ({summary['bridges_scheduled']} bridges, "
                                f"{summary['km_renewed']:.1f} km of quay); all {summary['works_due']:,} due"),
            ("past safe life", "none" if past.sum() == 0 else f"[bold red]{int(past.sum())} WORKS PAST THEIR SAFE LIFE[/]"),
            ("budget used", f"{summary['budget_used']:,.0f} of {summary['budget']:,.0f}"),
            ("extra vehicle-hours", f"{summary['extra_vehicle_hours']:,.0f} ({summary['nox_kg']:,.0f} kg NOx, "
                                    f"{summary['co2_t']:,.0f} t CO2)"),
            ("cables and pipes", f"{n_bundled:,} of {len(util):,} moved in the same works"),
            ("risk cost", f"{terms['risk']:,.0f}"),
        ]
        tables = {"schedule": schedule, "periods": periods, "utilities": utilities}
        layers = self._layers(schedule, in_works)
        return Solution(tables=tables, layers=layers, summary=summary, headline=headline, objective=self.weighted(terms))

    def _layers(self, schedule: pd.DataFrame, in_works: np.ndarray) -> dict[str, Any]:
        geometry = self.data.geometry
        if geometry is None:
            return {}
        import geopandas as gpd

        layers = {"schedule": gpd.GeoDataFrame(schedule, geometry=geometry, crs=geometry.crs)}
        for tau, label in enumerate(self.data.periods):
            act = in_works[:, tau]
            if act.any():
                layers[f"period_{label}"] = gpd.GeoDataFrame(schedule[act].reset_index(drop=True),
                                                             geometry=geometry[act].reset_index(drop=True), crs=geometry.crs)
        return layers

    def scenario(self, result: Any) -> Any:
        """The schedule per period for the cascade checker: works out while renewed; cables
        and pipes out while replaced (with their host when bundled, on their own otherwise)."""
        from optimise.cascade import Change, Scenario

        d = self.data
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
                                      cause=f"renewal of {row.id} ({row.kind})"))
        util = d.utilities
        end_of = dict(zip(schedule["id"], schedule["end"]))
        for u, row in enumerate(result.tables["utilities"].itertuples(index=False)):
            asset = util["asset"].iloc[u] if "asset" in util.columns else None
            if not isinstance(asset, str) or asset not in known or row.mode == "later":
                continue
            if row.mode == "bundled":
                changes.append(Change(asset, "outage", 1.0, (int(row.period), int(end_of[row.host])),
                                      cause=f"{row.id} moved with the works on {row.host}"))
            else:
                du = int(util["duration"].iloc[u])
                end = labels[min(labels.index(int(row.period)) + du - 1, len(labels) - 1)]
                changes.append(Change(asset, "outage", 1.0, (int(row.period), end),
                                      cause=f"{row.id} replaced on its own (closes {row.host} again)"))
        return Scenario("renewal schedule", changes, labels)

    def figures(self, result: Any, impact: Any = None) -> dict[str, Any]:
        from problems.quay_plots import gantt, period_maps

        return {"gantt": gantt(self.data, result), **period_maps(self.data, result, impact)}


def _link_detours(graph: nx.MultiGraph, assets: pd.DataFrame, link_pos: dict[str, int],
                  used: list[str], extra_removed: dict[str, set[int]] | None = None) -> dict[str, tuple[float, list[int]]]:
    """For each link id in ``used``: (alternative path length without it, path as link
    positions); inf and [] when no path is left."""
    out: dict[str, tuple[float, list[int]]] = {}
    for lid in used:
        k = link_pos[lid]
        removed = {k} | (extra_removed or {}).get(lid, set())
        row = assets.iloc[k]

        def weight(u: Any, v: Any, data: dict, removed: set[int] = removed) -> float | None:
            lengths = [e["length"] for key, e in data.items() if key not in removed]
            return min(lengths) if lengths else None

        try:
            path = nx.shortest_path(graph, row["from_node"], row["to_node"], weight=weight)
        except nx.NetworkXNoPath:
            out[lid] = (math.inf, [])
            continue
        edges, total = [], 0.0
        for u, v in zip(path[:-1], path[1:]):
            key, e = min(((key, e) for key, e in graph.get_edge_data(u, v).items() if key not in removed),
                         key=lambda item: item[1]["length"])
            edges.append(int(key))
            total += e["length"]
        out[lid] = (total, edges)
    return out


def build_data(tables: dict[str, pd.DataFrame], params: dict[str, Any], vital: VitalSystems | None,
               labels: dict[str, str]) -> QuayData:
    """From validated tables to the data of the model (see the module docstring)."""
    works = tables["works"].reset_index(drop=True)
    periods = tables["periods"]
    lab = periods["period"].to_numpy(int)
    if np.any(np.diff(lab) <= 0):
        r = int(np.flatnonzero(np.diff(lab) <= 0)[0]) + 2
        raise InputError("periods must increase from row to row", file=labels["periods"], field="period", row=r)
    H = len(lab)
    index = {int(v): k for k, v in enumerate(lab)}
    latest_label = works["latest"].to_numpy(float)
    due = np.isfinite(latest_label) & (latest_label <= lab[-1])
    early = np.isfinite(latest_label) & (latest_label < lab[0])
    if early.any():
        r = int(np.flatnonzero(early)[0])
        raise InfeasibleInput(f"{works['id'].iloc[r]!r} had to start by {int(latest_label[r])}, before the first period "
                              f"{lab[0]}: it is past its safe life already", file=labels["works"], field="latest", row=r + 1)
    latest = np.array([int(np.searchsorted(lab, v, side="right") - 1) if due[a] else H + 1000
                       for a, v in enumerate(latest_label)])
    duration = works["duration"].to_numpy(int)
    # blackouts
    blackout = np.zeros((len(works), H), dtype=bool)
    if "blackouts" in tables:
        bl = tables["blackouts"]
        districts = works["district"].astype(str).to_numpy()
        for r, row in enumerate(bl.itertuples(index=False)):
            if int(row.period) not in index:
                raise InputError(f"period {int(row.period)} is not in the periods table", file=labels["blackouts"],
                                 field="period", row=r + 1)
            where = np.ones(len(works), dtype=bool) if not row.district else districts == str(row.district)
            blackout[where, index[int(row.period)]] = True
    starts = []
    for a in range(len(works)):
        allowed = [t for t in range(H - duration[a] + 1) if t <= latest[a] and not blackout[a, t:t + duration[a]].any()]
        if due[a] and not allowed:
            raise InfeasibleInput(f"{works['id'].iloc[a]!r} must start by {int(latest_label[a])} but no period allows it "
                                  f"(duration {duration[a]}, blackouts)", file=labels["works"], field="latest", row=a + 1)
        starts.append(np.array(allowed, dtype=int))
    ids = works["id"].astype(str).tolist()
    pos = {v: k for k, v in enumerate(ids)}
    precedence = []
    if "precedence" in tables:
        pr = tables["precedence"]
        check_references(pr["before"].astype(str), ids, file=labels["precedence"], field="before", what="work")
        check_references(pr["after"].astype(str), ids, file=labels["precedence"], field="after", what="work")
        for r, row in enumerate(pr.itertuples(index=False)):
            a, b = pos[str(row.before)], pos[str(row.after)]
            if a == b:
                raise InputError("a work cannot precede itself", file=labels["precedence"], field="after", row=r + 1)
            if due[b] and (len(starts[a]) == 0 or starts[a].min() + duration[a] > latest[b]):
                raise InfeasibleInput(f"{row.after!r} must start by {int(latest_label[b])}, but {row.before!r} must be "
                                      f"finished first and cannot be by then", file=labels["precedence"], field="after", row=r + 1)
            precedence.append((a, b))
    limits = {}
    if "districts" in tables:
        limits = {str(k): int(v) for k, v in zip(tables["districts"]["id"], tables["districts"]["max_closures"])}
    for dist in set(works["district"].astype(str)):
        limits.setdefault(dist, params["max_closures"])
    _check_budget(works, due, latest, lab, periods, labels)
    impacts, interactions, conflicts = _traffic(works, vital, tables.get("nodes"), params, labels, starts, duration)
    util = _utilities(tables.get("utilities"), pos, index, lab, labels)
    geometry = None
    import geopandas as gpd

    if isinstance(works, gpd.GeoDataFrame) and works.geometry.name in works.columns:
        geometry = works.geometry.reset_index(drop=True)
    return QuayData(works=pd.DataFrame(works.drop(columns="geometry", errors="ignore")), periods=lab,
                    budget=periods["budget"].to_numpy(float), crews=periods["crews"].to_numpy(float),
                    latest=latest, due=due, starts=starts, district_limit=limits, precedence=precedence,
                    impacts=impacts, interactions=interactions, conflicts=conflicts, utilities=util,
                    blackout=blackout, vital=vital, geometry=geometry, labels=labels)


def _check_budget(works: pd.DataFrame, due: np.ndarray, latest: np.ndarray, lab: np.ndarray,
                  periods: pd.DataFrame, labels: dict[str, str]) -> None:
    """A necessary condition, named in planning terms: by each period, the budget spent so
    far must cover at least the first period of every work due by then."""
    rate = works["cost"].to_numpy(float) / works["duration"].to_numpy(float)
    budget = np.cumsum(periods["budget"].to_numpy(float))
    crews = np.cumsum(periods["crews"].to_numpy(float))
    for tau in range(len(lab)):
        needed = due & (latest <= tau)
        if rate[needed].sum() > budget[tau] + 1e-6:
            names = ", ".join(works["id"].astype(str)[needed].head(5))
            raise InfeasibleInput(
                f"the budget up to {lab[tau]} ({budget[tau]:,.0f}) cannot cover even the first period of the "
                f"{int(needed.sum())} works past their safe life by then ({rate[needed].sum():,.0f}): {names}"
                f"{' …' if needed.sum() > 5 else ''}", file=labels["periods"], field="budget", row=tau + 1)
        if works["crews"].to_numpy(float)[needed].sum() > crews[tau] + 1e-6:
            raise InfeasibleInput(f"the crews up to {lab[tau]} cannot start the {int(needed.sum())} works due by then",
                                  file=labels["periods"], field="crews", row=tau + 1)


def _traffic(works: pd.DataFrame, vital: VitalSystems | None, nodes: pd.DataFrame | None, params: dict[str, Any],
             labels: dict[str, str], starts: list[np.ndarray], duration: np.ndarray
             ) -> tuple[Impacts, pd.DataFrame, list[tuple[int, int]]]:
    n = len(works)
    zeros = Impacts(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))
    empty = pd.DataFrame({"a": pd.Series(dtype=int), "b": pd.Series(dtype=int), "d_hindrance": pd.Series(dtype=float),
                          "d_air": pd.Series(dtype=float), "d_vkm": pd.Series(dtype=float)})
    link_col = works["link"].to_numpy(dtype=object)
    has_link = np.array([isinstance(v, str) and v != "" for v in link_col])
    if not has_link.any():
        return zeros, empty, []
    if vital is None:
        r = int(np.flatnonzero(has_link)[0]) + 1
        raise InputError("the work names a street link but the instance has no assets layer", file=labels["works"],
                         field="link", row=r)
    built = street_graph(vital.assets)
    if built is None:
        raise InputError("the assets layer has no street links (from_node, to_node, length_m)",
                         file=vital.labels.get("assets", "assets"), field="from_node")
    graph, link_positions = built
    assets = vital.assets
    link_pos = {str(assets["id"].iloc[k]): int(k) for k in link_positions}
    for a in np.flatnonzero(has_link):
        if link_col[a] not in link_pos:
            raise InputError(f"unknown street link {link_col[a]!r}", file=labels["works"], field="link", row=int(a) + 1)
    people = {}
    if nodes is not None:
        people = dict(zip(nodes["id"].astype(str), nodes["people"].astype(float)))

    def exposure(k: int) -> float:
        row = assets.iloc[k]
        return (people.get(str(row["from_node"]), 1000.0) + people.get(str(row["to_node"]), 1000.0)) / 2.0

    hours, speed, ef = params["hours_per_period"], params["speed_kmh"], params["nox_g_per_vkm"]
    used = sorted({str(v) for v in link_col[has_link]})
    single = _link_detours(graph, assets, link_pos, used)
    load = assets["load"].to_numpy(float)
    length = assets["length_m"].to_numpy(float)

    def per_share(lid: str, alt: float, path: list[int]) -> tuple[float, float, float]:
        """(vehicle-hours, vehicle-km, weighted NOx) per period for the whole link's traffic."""
        k = link_pos[lid]
        traffic = load[k] * hours
        if not math.isfinite(alt):
            return traffic * params["cut_hours"], 0.0, 0.0
        extra_km = max(alt - length[k], 0.0) / 1000.0
        weighted = sum(length[e] / 1000.0 * exposure(e) for e in path) - length[k] / 1000.0 * exposure(k)
        return traffic * extra_km / speed, traffic * extra_km, traffic * ef * max(weighted, 0.0) / 1000.0

    unit = {lid: per_share(lid, *single[lid]) for lid in used}
    share = works["closure_share"].to_numpy(float)
    vh, vkm, air, cut = (np.zeros(n) for _ in range(4))
    for a in np.flatnonzero(has_link):
        u = unit[link_col[a]]
        vh[a], vkm[a], air[a] = share[a] * u[0], share[a] * u[1], share[a] * u[2]
        if not math.isfinite(single[link_col[a]][0]):
            cut[a] = share[a] * load[link_pos[link_col[a]]]
    # interactions: works on one link share a closure; works on each other's detours
    on_link: dict[str, list[int]] = {}
    for a in np.flatnonzero(has_link):
        on_link.setdefault(link_col[a], []).append(int(a))
    windows = [set(range(s.min(), s.max() + d)) if len(s) else set() for s, d in zip(starts, duration)]
    rows, conflicts = [], []
    for lid, members in on_link.items():
        u = unit[lid]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if windows[a] & windows[b]:
                    f = share[a] * share[b]
                    rows.append((a, b, -f * u[0], -f * u[2], -f * u[1]))
    path_links = {lid: {str(assets["id"].iloc[e]) for e in single[lid][1]} for lid in used}
    pairs = sorted({tuple(sorted((l1, l2))) for l1 in used for l2 in path_links[l1] if l2 in on_link and l2 != l1})
    for l1, l2 in pairs:
        joint = _link_detours(graph, assets, link_pos, [l1, l2], {l1: {link_pos[l2]}, l2: {link_pos[l1]}})
        u1, u2 = per_share(l1, *joint[l1]), per_share(l2, *joint[l2])
        cut_both = not (math.isfinite(joint[l1][0]) and math.isfinite(joint[l2][0]))
        for a in on_link[l1]:
            for b in on_link[l2]:
                if not (windows[a] & windows[b]):
                    continue
                if cut_both and math.isfinite(single[l1][0]) and math.isfinite(single[l2][0]) and share[a] >= 0.5 \
                        and share[b] >= 0.5:
                    conflicts.append((min(a, b), max(a, b)))
                    continue
                dh = share[a] * (u1[0] - unit[l1][0]) + share[b] * (u2[0] - unit[l2][0])
                dair = share[a] * (u1[2] - unit[l1][2]) + share[b] * (u2[2] - unit[l2][2])
                dkm = share[a] * (u1[1] - unit[l1][1]) + share[b] * (u2[1] - unit[l2][1])
                rows.append((min(a, b), max(a, b), dh, dair, dkm))
    inter = pd.DataFrame(rows, columns=["a", "b", "d_hindrance", "d_air", "d_vkm"]) if rows else empty
    if len(inter):
        smaller = np.minimum(vh[inter["a"].to_numpy()], vh[inter["b"].to_numpy()])
        inter = inter[np.abs(inter["d_hindrance"].to_numpy()) >= params["min_interaction"] * np.maximum(smaller, 1e-9)]
        inter = inter.assign(size=inter["d_hindrance"].abs()).sort_values("size", ascending=False)
        count: dict[int, int] = {}
        keep = []
        for a, b in zip(inter["a"], inter["b"]):
            ok = count.get(a, 0) < params["max_interactions"] and count.get(b, 0) < params["max_interactions"]
            keep.append(ok)
            if ok:
                count[a] = count.get(a, 0) + 1
                count[b] = count.get(b, 0) + 1
        inter = inter[np.array(keep, dtype=bool)].drop(columns="size").sort_values(["a", "b"]).reset_index(drop=True)
    return Impacts(vh, vkm, air, cut), inter, sorted(set(conflicts))


def _utilities(util: pd.DataFrame | None, pos: dict[str, int], index: dict[int, int], lab: np.ndarray,
               labels: dict[str, str]) -> pd.DataFrame:
    columns = ["id", "host", "system", "type", "duration", "cost", "saving", "asset", "host_index", "window_lo", "window_hi"]
    if util is None:
        return pd.DataFrame(columns=columns)
    label = labels["utilities"]
    check_references(util["host"].astype(str), list(pos), file=label, field="host", what="work")
    bad = (util["latest"] < util["earliest"]).to_numpy()
    if bad.any():
        r = int(np.flatnonzero(bad)[0]) + 1
        raise InputError("latest is before earliest", file=label, field="latest", row=r)
    over = (util["saving"] > util["cost"]).to_numpy()
    if over.any():
        r = int(np.flatnonzero(over)[0]) + 1
        raise InputError("the saving exceeds the cost", file=label, field="saving", row=r)
    late = (util["latest"] < lab[0]).to_numpy()
    if late.any():
        r = int(np.flatnonzero(late)[0]) + 1
        raise InfeasibleInput(f"{util['id'].iloc[r - 1]!r} had to be replaced by {int(util['latest'].iloc[r - 1])}, "
                              f"before the first period", file=label, field="latest", row=r)
    out = util.copy()
    out["host_index"] = [pos[str(h)] for h in util["host"]]
    out["window_lo"] = [int(np.searchsorted(lab, max(e, lab[0]))) for e in util["earliest"]]
    out["window_hi"] = [int(np.searchsorted(lab, l, side="right") - 1) if l <= lab[-1] else len(lab) for l in util["latest"]]
    keep = (util["earliest"] <= lab[-1]).to_numpy()  # windows after the horizon are not planned here
    return out[keep].reset_index(drop=True)
