"""Scenarios, first-order impact indicators and the cascade checker.

A **scenario** is a set of changes to the vital systems, each over a range of periods:
an asset out of service (``outage``), a capacity change (``capacity``, added to the
capacity; negative to reduce it), an added load (``load``, e.g. charging demand at a new
hub). A change may carry effects computed by the problem that made it (e.g. extra
vehicle-km of a detour), summed into the indicators of its system.

The model of function
    Every asset has a function level f in [0, 1] (1: works fully). Directly, an outage
    sets f to 1 − share (share 1 by default), and an overloaded asset (load above capacity)
    delivers only capacity/load of its function. Along a dependency s → t with strength σ
    the target keeps 1 − σ (1 − f_s) of its function; losses from several suppliers combine
    as independent shares:

        f_t = f⁰_t · Π_{s → t} (1 − σ_st (1 − f_s))

    The update is monotone, so iterating it from f⁰ converges to a fixpoint, cycles
    included. The *order* of an effect is the iteration at which the asset first loses
    function: 1 for the assets changed directly, 2 for those that depend on them, and so on.

Effects are measured against the baseline (no changes): an asset already overloaded
today is not counted as a loss caused by the plan, but its flag shows its state.

Flags (defaults; an instance may set its own thresholds)
    red: loss of function ≥ 50 %, or load above capacity;
    orange: loss ≥ 5 %, or load ≥ 90 % of capacity;
    green: otherwise. A system's flag is the worst of its assets'.
Each flag carries its explanation chain, from the change that caused it to the people at
risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimise.errors import InputError
from optimise.vital import VitalSystems

ChangeKind = Literal["outage", "capacity", "load"]
#: "planned": an asset the plan itself takes out of service (a renewal, a cable moved): expected,
#: first order, not a finding. What it knocks on (order 2 and up) is flagged as usual.
PLANNED = "planned"
#: "opportunity": a green flag for what the plan makes possible (a cable moved in the same works).
OPPORTUNITY = "opportunity"
FLAG_ORDER = {"green": 0, PLANNED: 0, OPPORTUNITY: 0, "orange": 1, "red": 2}
#: The "system" of indicators that count every person once over all systems.
ALL_SYSTEMS = "all systems (each person once)"
#: The flag of a system the layers hold no asset of.
NO_DATA = "no data"
TOL = 1e-9


@dataclass(frozen=True)
class Thresholds:
    red_loss: float = 0.5
    orange_loss: float = 0.05
    red_utilisation: float = 1.0
    orange_utilisation: float = 0.9
    co2_g_per_vehicle_km: float = 130.0
    nox_g_per_vehicle_km: float = 0.25

    def __post_init__(self) -> None:
        for name in ("co2_g_per_vehicle_km", "nox_g_per_vehicle_km"):
            if not (0 <= getattr(self, name) <= 1e4):
                raise InputError(f"must be between 0 and 10000, found {getattr(self, name)!r}", field=f"cascade.{name}")
        for name in ("red_loss", "orange_loss", "red_utilisation", "orange_utilisation"):
            value = getattr(self, name)
            if not (0 <= value <= 10):
                raise InputError(f"threshold must be between 0 and 10, found {value!r}", field=f"cascade.{name}")
        if self.orange_loss > self.red_loss or self.orange_utilisation > self.red_utilisation:
            raise InputError("an orange threshold must not exceed the red one", field="cascade")


@dataclass(frozen=True)
class Change:
    asset: Any
    kind: ChangeKind
    value: float = 1.0
    periods: tuple[int, int] | None = None  # inclusive; None: every period
    cause: str = ""
    effects: dict[str, tuple[float, str]] = field(default_factory=dict)  # indicator -> (amount, unit)
    #: The plan's own works (expected): the asset is flagged "planned", not red; its knock-on
    #: effects on other assets are flagged as usual.
    planned: bool = False

    def active(self, period: int) -> bool:
        return self.periods is None or self.periods[0] <= period <= self.periods[1]


@dataclass(frozen=True)
class Effect:
    """A figure of the plan's own effect on the surroundings (space won back, walking,
    hindrance, NOx), reported among the indicators of ``system``; ``period`` None: every one."""

    system: str
    indicator: str
    value: float
    unit: str
    period: int | None = None


@dataclass(frozen=True)
class Opportunity:
    """What the plan makes possible at an asset (a green flag), with why."""

    asset: Any
    text: str
    periods: tuple[int, int] | None = None

    def active(self, period: int) -> bool:
        return self.periods is None or self.periods[0] <= period <= self.periods[1]


@dataclass
class Scenario:
    name: str
    changes: list[Change]
    periods: list[int] = field(default_factory=lambda: [0])
    effects: list[Effect] = field(default_factory=list)  # the plan's own effects, as indicators
    opportunities: list[Opportunity] = field(default_factory=list)  # green flags


@dataclass
class PeriodState:
    """The state of every asset in one period of a scenario."""

    period: int
    function: np.ndarray
    baseline: np.ndarray
    order: np.ndarray  # 0: untouched; k: lost function at iteration k
    capacity: np.ndarray
    load: np.ndarray
    direct: np.ndarray  # bool: changed directly in this period
    causes: dict[int, str]
    planned: np.ndarray | None = None  # bool: changed only by planned works in this period

    # computed once: explaining a city's flags reads them some 20,000 times (the state's
    # arrays are not changed after it is made)
    @cached_property
    def loss(self) -> np.ndarray:
        return np.clip(self.baseline - self.function, 0.0, 1.0)

    @cached_property
    def utilisation(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(np.isfinite(self.capacity) & (self.capacity > 0), self.load / self.capacity, 0.0)
        return np.where((self.capacity == 0) & (self.load > 0), np.inf, u)


def propagate(vs: VitalSystems, own: np.ndarray, matrix: sp.csr_matrix | None = None,
              max_iterations: int | None = None, baseline: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fixpoint of f = own · Π (1 − σ (1 − f_source)); ``own`` may be (n,) or (n, k) for k
    scenarios at once. Returns the function levels and the order of each loss.

    With ``baseline`` (the fixpoint of today's state, whose ``own`` is at least this one) the
    iteration starts from it and the order counts only losses beyond it: an asset already
    overloaded today is not order 1 of a failure elsewhere. (The map is monotone, so starting
    from min(baseline, own) reaches the same fixpoint.)"""
    src, dst, sigma = vs.src, vs.dst, vs.strength
    reference = np.ones_like(own, dtype=float) if baseline is None else (
        np.repeat(baseline[:, None], own.shape[1], axis=1) if own.ndim == 2 and baseline.ndim == 1 else baseline)
    f = np.minimum(own.astype(float), reference)
    order = np.where(f < reference - TOL, 1, 0)
    if len(src) == 0:
        return f, order
    incidence = sp.csr_matrix((np.ones(len(dst)), (dst, np.arange(len(dst)))), shape=(vs.n, len(dst)))
    log_own = np.log(np.maximum(own, 1e-300))
    # A DAG settles in (depth) iterations; a cycle of strong dependencies converges
    # geometrically towards total loss, so allow many cheap iterations.
    limit = max_iterations or max(2000, 4 * vs.n + 50)
    for iteration in range(2, limit + 2):
        keep = 1.0 - (sigma[:, None] if f.ndim == 2 else sigma) * (1.0 - f[src])
        with np.errstate(divide="ignore"):
            log_keep = np.log(np.maximum(keep, 0.0))
        log_keep = np.maximum(log_keep, -800.0)  # a total loss, kept finite for the sum
        new = np.minimum(f, np.exp(log_own + incidence @ log_keep))
        new[new < 1e-12] = 0.0
        newly = (new < reference - TOL) & (order == 0)
        order = np.where(newly, iteration, order)
        if np.max(np.abs(new - f), initial=0.0) <= TOL:
            f = new
            break
        f = new
    return f, order


def evaluate(vs: VitalSystems, scenario: Scenario, thresholds: Thresholds | None = None) -> "Impact":
    """Run the cascade for every period of ``scenario``."""
    thresholds = thresholds or Thresholds()
    baseline_own = _own_function(vs.assets["capacity"].to_numpy(float), vs.assets["load"].to_numpy(float),
                                 np.ones(vs.n))
    baseline, _ = propagate(vs, baseline_own)
    positions = {id(c): vs.position(c.asset, field="scenario.asset") for c in scenario.changes}
    states = []
    for period in scenario.periods:
        capacity = vs.assets["capacity"].to_numpy(float).copy()
        load = vs.assets["load"].to_numpy(float).copy()
        outage = np.ones(vs.n)
        direct = np.zeros(vs.n, dtype=bool)
        unplanned = np.zeros(vs.n, dtype=bool)
        causes: dict[int, list[str]] = {}
        for change in scenario.changes:
            if not change.active(period):
                continue
            k = positions[id(change)]
            direct[k] = True
            unplanned[k] |= not change.planned
            if change.kind == "outage":
                outage[k] = min(outage[k], 1.0 - float(np.clip(change.value, 0.0, 1.0)))
            elif change.kind == "capacity":
                capacity[k] = max(0.0, capacity[k] + change.value)
            elif change.kind == "load":
                load[k] = max(0.0, load[k] + change.value)
            else:
                raise InputError(f"unknown change kind {change.kind!r} (outage, capacity, load)", field="scenario.kind")
            causes.setdefault(k, []).append(change.cause or _describe_change(vs, k, change))
        own = _own_function(capacity, load, outage)
        # against today: an added load or capacity may also relieve an asset (own above base)
        function, order = propagate(vs, own, baseline=baseline) if np.all(own <= baseline_own + TOL) \
            else propagate(vs, own)
        states.append(PeriodState(period, function, baseline, order, capacity, load, direct,
                                  {k: "; ".join(v) for k, v in causes.items()}, direct & ~unplanned))
    return Impact(vs, scenario, thresholds, states)


def _own_function(capacity: np.ndarray, load: np.ndarray, outage: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        delivered = np.where(load > capacity, capacity / load, 1.0)
    return np.minimum(outage, np.nan_to_num(delivered, nan=1.0))


def _describe_change(vs: VitalSystems, k: int, change: Change) -> str:
    unit = vs.assets["unit"].iloc[k]
    if change.kind == "outage":
        return "out of service" if change.value >= 1 else f"{change.value:.0%} out of service"
    if change.kind == "capacity":
        return f"capacity {change.value:+,.4g} {unit}".strip()
    return f"added load {change.value:+,.4g} {unit}".strip()


@dataclass
class Impact:
    """The result of a scenario: per period, asset states, indicators, flags and reasons."""

    vs: VitalSystems
    scenario: Scenario
    thresholds: Thresholds
    states: list[PeriodState]
    _flags: pd.DataFrame | None = field(default=None, repr=False)
    _systems: pd.DataFrame | None = field(default=None, repr=False)
    _indicators: pd.DataFrame | None = field(default=None, repr=False)

    def knock_ons(self, flags: pd.DataFrame) -> pd.Series:
        """Per row of ``flags`` (an asset_flags table): True for a knock-on effect (orange,
        red) on an asset the scenario does not take out itself. The plan's works and a
        scenario's closures are its own changes, shown apart; an asset given more load (a
        hub's charging) is flagged as usual."""
        own = {c.asset for c in self.scenario.changes if c.planned or c.kind == "outage"}
        return flags["flag"].isin(["orange", "red"]) & ~flags["asset"].isin(own)

    def worst_flags(self) -> dict[Any, str]:
        """The worst flag of each flagged asset over all periods (absent: green)."""
        worst: dict[Any, str] = {}
        for asset, flag in zip(self.asset_flags()["asset"], self.asset_flags()["flag"]):
            if FLAG_ORDER[flag] >= FLAG_ORDER[worst.get(asset, "green")]:
                worst[asset] = flag
        return worst

    def asset_flags(self) -> pd.DataFrame:
        """One row per asset and period that the scenario touches (or, for a scenario
        without changes, every asset not green today): loss, utilisation, order, flag and
        its explanation. Computed once."""
        return self._once("_flags", self._asset_flags)

    def _once(self, name: str, compute: Any) -> pd.DataFrame:
        """The table kept as ``name`` (computed on first use), as a copy the caller may change:
        the summary, the flag files, the report and the web page each read the same tables
        (and a forked output worker inherits them)."""
        if getattr(self, name, None) is None:
            setattr(self, name, compute())
        return getattr(self, name).copy()

    def _asset_flags(self) -> pd.DataFrame:
        rows = []
        vs = self.vs
        a = vs.assets
        t = self.thresholds
        for st in self.states:
            loss, util = st.loss, st.utilisation
            exposed = self.exposure(st)
            red = (loss >= t.red_loss - TOL) | (util > t.red_utilisation + TOL)
            orange = (loss >= t.orange_loss - TOL) | (util >= t.orange_utilisation - TOL)
            flag = np.where(red, "red", np.where(orange, "orange", "green"))
            if self.scenario.changes:
                # only what the scenario changes is flagged: today's bottlenecks are the
                # subject of the scenario without changes
                touched = (loss > TOL) | st.direct | (st.load != a["load"].to_numpy(float)) | (
                    st.capacity != a["capacity"].to_numpy(float))
                flag = np.where(touched, flag, "green")
            if st.planned is not None:
                flag = np.where(st.planned, PLANNED, flag)
            for k in np.flatnonzero((flag != "green") | (loss > TOL) | st.direct):
                rows.append({
                    "period": st.period,
                    "asset": vs.values("id")[k],
                    "name": vs.values("name")[k] if "name" in a.columns else "",
                    "system": vs.values("system")[k],
                    "type": vs.values("type")[k],
                    "flag": str(flag[k]),
                    "loss": float(loss[k]),
                    "utilisation": float(util[k]) if np.isfinite(util[k]) else None,
                    "order": int(st.order[k]),
                    "people_lost": float(vs.values("people")[k] * loss[k]),
                    "households_lost": float(vs.values("households")[k] * loss[k]),
                    "households_at_risk": float(exposed[k]),
                    "explanation": self.explain(st, k, exposed),
                })
        rows = self._with_opportunities(rows)
        columns = ["period", "asset", "name", "system", "type", "flag", "loss", "utilisation", "order",
                   "people_lost", "households_lost", "households_at_risk", "explanation"]
        return pd.DataFrame(rows, columns=columns)

    def _with_opportunities(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Green flags for what the plan makes possible: an asset only planned or untouched
        becomes an opportunity; a warning keeps its flag and names the opportunity too."""
        a = self.vs.assets
        at = {(r["period"], r["asset"]): r for r in rows}
        for opp in self.scenario.opportunities:
            k = self.vs.index.get_indexer([opp.asset])[0]
            if k < 0:
                continue
            for st in self.states:
                if not opp.active(st.period):
                    continue
                row = at.get((st.period, opp.asset))
                if row is None:
                    row = {"period": st.period, "asset": opp.asset, "name": a["name"].iloc[k] if "name" in a.columns else "",
                           "system": a["system"].iloc[k], "type": a["type"].iloc[k], "flag": OPPORTUNITY,
                           "loss": 0.0, "utilisation": None, "order": 0, "people_lost": 0.0, "households_lost": 0.0,
                           "households_at_risk": 0.0, "explanation": f"opportunity: {opp.text}"}
                    rows.append(row)
                    at[(st.period, opp.asset)] = row
                elif row["flag"] in (PLANNED, "green"):
                    row["flag"], row["explanation"] = OPPORTUNITY, f"opportunity: {opp.text} ({row['explanation']})"
                else:
                    row["explanation"] += f" (opportunity: {opp.text})"
        return rows

    def system_flags(self) -> pd.DataFrame:
        """The worst flag per system and period; a system without a single asset in the layers
        is "no data", not green: nothing was checked there. Planned works are counted apart
        (``planned``): they are the plan, not its knock-on effects. Computed once."""
        return self._once("_systems", self._system_flags)

    def _system_flags(self) -> pd.DataFrame:
        flags = self.asset_flags()
        present = set(self.vs.assets["system"].astype(str))
        rows = []
        for st in self.states:
            for system in self.vs.systems["id"]:
                sub = flags[(flags["period"] == st.period) & (flags["system"] == system)]
                found = sub["flag"][~sub["flag"].isin([PLANNED, OPPORTUNITY])]
                worst = max(found, key=FLAG_ORDER.get, default="green") if str(system) in present else NO_DATA
                rows.append({
                    "period": st.period, "system": system, "flag": worst,
                    "red": int((sub["flag"] == "red").sum()), "orange": int((sub["flag"] == "orange").sum()),
                    PLANNED: int((sub["flag"] == PLANNED).sum()),
                    OPPORTUNITY: int((sub["flag"] == OPPORTUNITY).sum()),
                })
        return pd.DataFrame(rows, columns=["period", "system", "flag", "red", "orange", PLANNED, OPPORTUNITY])

    def indicators(self) -> pd.DataFrame:
        """First-order and cascade indicators per system and period, each with its unit.
        Computed once."""
        return self._once("_indicators", self._indicators_table)

    def _indicators_table(self) -> pd.DataFrame:
        from optimise.network import detours, street_graph

        a = self.vs.assets
        rows = []
        streets = street_graph(a)
        # detours are reported under the system that holds the street links (mobility in the
        # shipped layers; whatever a municipality calls it in its own)
        street_systems = set(a["system"].iloc[streets[1]]) if streets is not None else set()
        base_load = a["load"].to_numpy(float)
        spare = np.maximum(a["capacity"].to_numpy(float) - base_load, 0.0)
        for st in self.states:
            loss = st.loss
            added = np.maximum(st.load - base_load, 0.0)
            for system in self.vs.systems["id"]:
                mask = (a["system"] == system).to_numpy()
                values = {
                    ("service_lost_people", "people"): float((a["people"].to_numpy() * loss)[mask].sum()),
                    ("service_lost_households", "households"): float((a["households"].to_numpy() * loss)[mask].sum()),
                    ("assets_out", "assets"): int(((loss >= 1 - 1e-6) & mask).sum()),
                    ("assets_degraded", "assets"): int(((loss > TOL) & mask).sum()),
                    ("assets_overloaded", "assets"): int(((st.utilisation > 1 + TOL) & mask).sum()),
                }
                units = a.loc[mask & (loss > TOL), "unit"]
                for unit in sorted(set(units)):
                    if unit:
                        unit_mask = mask & (a["unit"] == unit).to_numpy()
                        values[("load_not_served", unit)] = float((base_load * loss)[unit_mask].sum())
                if streets is not None and system in street_systems:
                    graph, link_positions = streets
                    d = detours(a, graph, link_positions, loss)
                    if d.links_closed:
                        values[("extra_vehicle_km", "vehicle-km/h")] = d.extra_vehicle_km
                        values[("extra_vehicle_hours", "vehicle-h/h")] = d.extra_vehicle_hours
                        values[("trips_cut", "vehicles/h")] = d.trips_cut
                        values[("extra_co2", "kg/h")] = d.extra_vehicle_km * self.thresholds.co2_g_per_vehicle_km / 1000
                        values[("extra_nox", "g/h")] = d.extra_vehicle_km * self.thresholds.nox_g_per_vehicle_km
                # per level (asset type): the same MW reaches the feeder, the 150 kV and the 380 kV
                # substation, and a sum over levels would count it three times
                with_added = mask & (added > 0)
                for level in sorted(set(a.loc[with_added, "type"].astype(str))):
                    finite = with_added & np.isfinite(spare) & (a["type"].astype(str) == level).to_numpy()
                    denom = spare[finite].sum()
                    if finite.any():
                        values[(f"spare_capacity_used ({level})", "share")] = \
                            float(added[finite].sum() / denom) if denom > 0 else float("inf")
                for change in self.scenario.changes:
                    if change.active(st.period) and change.effects:
                        k = self.vs.position(change.asset)
                        if mask[k]:
                            for name, (amount, unit) in change.effects.items():
                                values[(name, unit)] = values.get((name, unit), 0.0) + float(amount)
                for (name, unit), value in values.items():
                    rows.append({"period": st.period, "system": system, "indicator": name, "value": value, "unit": unit})
            for effect in self.scenario.effects:
                if effect.period is None or effect.period == st.period:
                    rows.append({"period": st.period, "system": effect.system, "indicator": effect.indicator,
                                 "value": float(effect.value), "unit": effect.unit})
            # every person and household once, at the worst loss over the systems serving them
            for name, column, unit in (("service_lost_people", "people", "people"),
                                       ("service_lost_households", "households", "households")):
                rows.append({"period": st.period, "system": ALL_SYSTEMS, "indicator": name,
                             "value": self.vs.once(column, loss), "unit": unit})
        return pd.DataFrame(rows, columns=["period", "system", "indicator", "value", "unit"])

    def chain(self, st: PeriodState, k: int) -> list[int]:
        """Asset k and its strongest causes, back to an asset that was changed directly
        (or that is overloaded by the plan itself)."""
        nodes = [k]
        while nodes[-1] not in st.causes:
            # inside a dependency cycle the strongest supplier may be one already on the chain:
            # take the strongest of the others, so that the chain leaves the cycle for its cause
            supplier = self._strongest_supplier(st, nodes[-1], exclude=set(nodes))
            if supplier is None:
                break
            nodes.append(supplier)
        return nodes

    def exposure(self, st: PeriodState) -> np.ndarray:
        """Households exposed through each asset: those of every asset that loses function
        and whose cause chain passes through it, each household once (an area's feeder, water
        district and digital access serve the same households)."""
        households = self.vs.assets["households"].to_numpy(float)
        reached: list[dict[int, float]] = [{} for _ in range(self.vs.n)]  # node -> {area: households}
        for k in np.flatnonzero(st.loss > TOL):
            if households[k] > 0:
                area = int(self.vs.area_of[k])
                for node in self.chain(st, k):
                    reached[node][area] = max(reached[node].get(area, 0.0), households[k])
        return np.array([sum(r.values()) for r in reached])

    def _state(self, st: PeriodState, node: int) -> str:
        if st.utilisation[node] > 1 + TOL:
            unit = self.vs.values("unit")[node]
            return f"over capacity ({st.load[node]:,.4g} of {st.capacity[node]:,.4g}{' ' + unit if unit else ''})"
        if st.function[node] <= TOL:
            return "out of service"
        if st.loss[node] <= TOL and st.utilisation[node] >= self.thresholds.orange_utilisation - TOL:
            unit = self.vs.values("unit")[node]
            return (f"at {st.utilisation[node]:.0%} of capacity ({st.load[node]:,.4g} of "
                    f"{st.capacity[node]:,.4g}{' ' + unit if unit else ''})")
        return f"loses {st.loss[node]:.0%}"

    def explain(self, st: PeriodState, k: int, exposed: np.ndarray | None = None) -> str:
        """Why asset k is flagged: "substation S over capacity (11 of 10 MW) ← added load of
        hubs H1, H2 → 1,200 households at risk"."""
        a = self.vs.assets
        parts = []
        for node in self.chain(st, k):
            text = f"{self.vs.label(node)} {self._state(st, node)}"
            if node in st.causes:
                text += f" ← {st.causes[node]}"
            parts.append(text)
        chain = " ← ".join(parts)
        exposed_here = (exposed if exposed is not None else self.exposure(st))[k]
        if exposed_here >= 0.5:
            chain += f" → {exposed_here:,.0f} households at risk"
        return chain

    def _strongest_supplier(self, st: PeriodState, node: int, exclude: set[int] = frozenset()) -> int | None:
        edges = self.vs.incoming[node]
        if exclude:
            edges = edges[[int(source) not in exclude for source in self.vs.src[edges].tolist()]]
        if len(edges) == 0:
            return None
        lost = self.vs.strength[edges] * (1 - st.function[self.vs.src[edges]])
        best = int(np.argmax(lost))
        return int(self.vs.src[edges[best]]) if lost[best] > TOL else None


def n_minus_one(vs: VitalSystems, assets: Iterable[Any] | None = None, block: int = 256) -> pd.DataFrame:
    """Every single-asset failure: the share of the inhabitants who keep service, the people and
    households who lose it (each once, at the worst loss over the systems serving them; per
    system in ``people_lost_<system>``), the assets hit and the depth of the cascade (1: the
    failed asset alone).

    Sorted worst first; the first row is the single failure that hurts most.
    """
    base_own = _own_function(vs.assets["capacity"].to_numpy(float), vs.assets["load"].to_numpy(float), np.ones(vs.n))
    baseline, _ = propagate(vs, base_own)
    total = vs.once("people", np.ones(vs.n))
    systems = sorted(set(vs.assets["system"].astype(str)))
    in_system = {name: (vs.assets["system"].astype(str) == name).to_numpy() for name in systems}
    candidates = np.arange(vs.n) if assets is None else np.array([vs.position(x) for x in assets], dtype=int)
    rows = []
    for start in range(0, len(candidates), block):
        chunk = candidates[start: start + block]
        own = np.repeat(base_own[:, None], len(chunk), axis=1)
        own[chunk, np.arange(len(chunk))] = 0.0
        f, order = propagate(vs, own, baseline=baseline)
        loss = np.clip(baseline[:, None] - f, 0.0, 1.0)
        people_lost = vs.once("people", loss)
        households_lost = vs.once("households", loss)
        per_system = {name: vs.once("people", loss, mask) for name, mask in in_system.items()}
        for c, k in enumerate(chunk):
            lost_people = float(people_lost[c])
            rows.append({
                "asset": vs.assets["id"].iloc[k],
                "system": vs.assets["system"].iloc[k],
                "service_kept": 1.0 - lost_people / total if total > 0 else 1.0,
                "people_lost": lost_people,
                "households_lost": float(households_lost[c]),
                "assets_hit": int((loss[:, c] > TOL).sum()),
                "cascade_depth": int(order[:, c].max()),  # 1: the failed asset alone
                "criticality": float(vs.assets["criticality"].iloc[k]),
                **{f"people_lost_{name}": float(per_system[name][c]) for name in systems},
            })
    table = pd.DataFrame(rows)
    table["risk"] = table["people_lost"] * table["criticality"]
    return table.sort_values(["service_kept", "assets_hit"], ascending=[True, False]).reset_index(drop=True)


def resilience_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Headline resilience figures from an N-1 table (see :func:`n_minus_one`)."""
    worst = table.iloc[0]
    deepest = table.sort_values("cascade_depth", ascending=False).iloc[0]
    return {
        # N-1 is computed on the layers as they are today, not on a scenario's state
        "of": "the base network (today's state, without the scenario's changes)",
        "n_minus_1_service_kept_worst": float(worst["service_kept"]),
        "n_minus_1_service_kept_mean": float(table["service_kept"].mean()),
        "worst_single_failure": worst["asset"],
        "worst_single_failures": table.head(5)[["asset", "system", "service_kept", "people_lost"]].to_dict(orient="records"),
        "deepest_cascade": int(deepest["cascade_depth"]),
        "deepest_cascade_from": deepest["asset"],
        "most_critical_assets": table.sort_values("risk", ascending=False)["asset"].head(10).tolist(),
    }


def resilience(vs: VitalSystems) -> dict[str, Any]:
    """Headline resilience figures from the N-1 analysis of ``vs``."""
    return resilience_summary(n_minus_one(vs))
