"""Traffic under the works: detours per mode on the street network, the hours they cost, NOx
exposure, and the interactions between works closed at the same time.

Two sources of streets, one rule. With a ``streets`` and a ``closures`` table each work closes
the street edges the closures table names, for each mode the share given (cars, cyclists,
pedestrians). Without them, a work closes ``closure_share`` of the motor traffic of its
``link`` in the assets layer (cars only). Either way the share of each closed edge's flow
takes the shortest path between the edge's ends over the edges still open to its mode
(``optimise.streets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimise.errors import InputError
from optimise.parallel import fork_map
from optimise.schema import check_references
from optimise.streets import MODES, Reroute, StreetNetwork
from optimise.vital import VitalSystems

#: measures of a closure, per period: the columns of an interaction's Δ
MEASURES = ("hindrance", "air", "vkm", "car_hours", "bike_hours", "walk_hours")


@dataclass
class ClosureTraffic:
    """Per work, per period of closure (before traffic growth): the detour figures."""

    vehicle_hours: np.ndarray  # motor vehicles
    vehicle_km: np.ndarray
    air: np.ndarray  # g NOx × inhabitants per km along the detours / 1,000
    cut: np.ndarray  # vehicles/h without a path
    bike_hours: np.ndarray
    walk_hours: np.ndarray
    hindrance: np.ndarray  # vehicle-hours + the weighted hours of cyclists and pedestrians


@dataclass
class Closures:
    """The street network and, per work, the edges it closes with each mode's share."""

    network: StreetNetwork
    edges: list[np.ndarray]
    shares: list[np.ndarray]  # (edges x modes)

    def of(self, works: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The edges several works close together; an edge closed by more than one keeps
        1 − Π(1 − share) of each mode's flow off it."""
        keep: dict[int, np.ndarray] = {}
        for a in works:
            for e, s in zip(self.edges[a], self.shares[a]):
                keep[int(e)] = 1.0 - (1.0 - keep.get(int(e), np.zeros(len(MODES)))) * (1.0 - s)
        edges = np.array(sorted(keep), dtype=int)
        return edges, np.array([keep[e] for e in edges]).reshape(len(edges), len(MODES))


def _from_tables(works: pd.DataFrame, tables: dict[str, pd.DataFrame], labels: dict[str, str]) -> Closures:
    if "streets" not in tables:
        raise InputError("a closures table needs a streets table (streets.parquet, .gpkg or .csv)",
                         file=labels["closures"], field="street")
    network = StreetNetwork(tables["streets"])
    cl = tables["closures"]
    ids = works["id"].astype(str).tolist()
    check_references(cl["work"].astype(str), ids, file=labels["closures"], field="work", what="work")
    check_references(cl["street"].astype(str), list(network.ids), file=labels["closures"], field="street",
                     what="street edge")
    pos = {v: k for k, v in enumerate(ids)}
    edges: list[list[int]] = [[] for _ in ids]
    shares: list[list[np.ndarray]] = [[] for _ in ids]
    mode_shares = cl[list(MODES)].to_numpy(float)
    for w, s, share in zip(cl["work"].astype(str), cl["street"].astype(str), mode_shares):
        edges[pos[w]].append(network.position[s])
        shares[pos[w]].append(share)
    return Closures(network, [np.array(e, int) for e in edges],
                    [np.array(s, float).reshape(len(s), len(MODES)) for s in shares])


def _from_links(works: pd.DataFrame, vital: VitalSystems | None, nodes: pd.DataFrame | None,
                labels: dict[str, str]) -> Closures | None:
    link_col = works["link"].to_numpy(dtype=object)
    has_link = np.array([isinstance(v, str) and v != "" for v in link_col])
    if not has_link.any():
        return None
    if vital is None:
        raise InputError("the work names a street link but the instance has no assets layer", file=labels["works"],
                         field="link", row=int(np.flatnonzero(has_link)[0]) + 1)
    people = dict(zip(nodes["id"].astype(str), nodes["people"].astype(float))) if nodes is not None else {}
    network = StreetNetwork.from_assets(vital.assets, people)
    if network is None:
        raise InputError("the assets layer has no street links (from_node, to_node, length_m)",
                         file=vital.labels.get("assets", "assets"), field="from_node")
    for a in np.flatnonzero(has_link):
        if link_col[a] not in network.position:
            raise InputError(f"unknown street link {link_col[a]!r}", file=labels["works"], field="link", row=int(a) + 1)
    share = works["closure_share"].to_numpy(float)
    edges = [np.array([network.position[link_col[a]]] if has_link[a] else [], int) for a in range(len(works))]
    shares = [np.array([[share[a], 0.0, 0.0]] if has_link[a] else np.zeros((0, 3)), float) for a in range(len(works))]
    return Closures(network, edges, shares)


def _figures(reroutes: dict[str, Reroute], params: dict[str, Any]) -> np.ndarray:
    """The measures (MEASURES) of one closure per period, from its reroutes per mode."""
    h = params["hours_per_period"]
    car, bike, walk = reroutes["car"], reroutes["bike"], reroutes["walk"]
    car_hours = h * (car.hours(params["speed_kmh"]) + car.cut * params["cut_hours"])
    bike_hours = h * (bike.hours(params["bike_speed_kmh"]) + bike.cut * params["cut_hours"])
    walk_hours = h * (walk.hours(params["walk_speed_kmh"]) + walk.cut * params["cut_hours"])
    hindrance = car_hours + params["weight_bike_hour"] * bike_hours + params["weight_walk_hour"] * walk_hours
    air = h * params["nox_g_per_vkm"] * car.exposure_km / 1000.0
    return np.array([hindrance, air, h * car.extra_km, car_hours, bike_hours, walk_hours])


def _reroute_all(closures: Closures, edges: np.ndarray, shares: np.ndarray, with_paths: bool = False) -> dict[str, Reroute]:
    return {m: closures.network.reroute(m, edges, shares[:, k], with_paths) for k, m in enumerate(MODES)}


#: The parameters the traffic figures depend on (and nothing else: the cache key has these).
TRAFFIC_PARAMETERS = ("hours_per_period", "speed_kmh", "bike_speed_kmh", "walk_speed_kmh", "cut_hours",
                      "weight_bike_hour", "weight_walk_hour", "nox_g_per_vkm", "min_interaction", "max_interactions")
#: The tables they read.
TRAFFIC_TABLES = ("streets", "closures", "nodes")


def traffic_figures(works: pd.DataFrame, vital: VitalSystems | None, tables: dict[str, pd.DataFrame],
                    params: dict[str, Any], labels: dict[str, str], starts: list[np.ndarray], duration: np.ndarray
                    ) -> tuple[ClosureTraffic, pd.DataFrame, list[tuple[int, int]], pd.DataFrame]:
    """η, α (and vehicle-km, trips cut, hours per mode) of each work per period of closure;
    the interactions the model keeps; the pairs whose joint closure cuts the network; every
    interaction. Computed once per distinct input (``optimise.cache``): the detours of a
    city's works take seconds, and a what-if on budgets or weights does not change them."""
    from optimise import cache, streets

    params = {name: params[name] for name in TRAFFIC_PARAMETERS}  # a name missing here fails at once
    used = {name: tables[name] for name in TRAFFIC_TABLES if name in tables}
    columns = [c for c in ("id", "link", "closure_share") if c in works.columns]
    assets = vital.assets if vital is not None and "closures" not in used else None
    entry = cache.key(pd.DataFrame(works[columns]), used, assets, params, list(starts), np.asarray(duration),
                      code=(_traffic_figures, _from_tables, _from_links, _figures, _interactions, _shortlist, streets))

    def compute() -> dict[str, np.ndarray]:
        traffic, kept, conflicts, every = _traffic_figures(works, vital, tables, params, labels, starts, duration)
        return {**{f"traffic/{k}": v for k, v in vars(traffic).items()}, **cache.frame_arrays("kept", kept),
                **cache.frame_arrays("every", every), "conflicts": np.array(conflicts, dtype=int).reshape(-1, 2)}

    stored = cache.remembered("quay-traffic", entry, compute)
    traffic = ClosureTraffic(**{k.split("/", 1)[1]: v for k, v in stored.items() if k.startswith("traffic/")})
    conflicts = [(int(a), int(b)) for a, b in stored["conflicts"]]
    return traffic, cache.arrays_frame("kept", stored), conflicts, cache.arrays_frame("every", stored)


def _traffic_figures(works: pd.DataFrame, vital: VitalSystems | None, tables: dict[str, pd.DataFrame],
                     params: dict[str, Any], labels: dict[str, str], starts: list[np.ndarray], duration: np.ndarray
                     ) -> tuple[ClosureTraffic, pd.DataFrame, list[tuple[int, int]], pd.DataFrame]:
    n = len(works)
    if "closures" in tables:
        closures = _from_tables(works, tables, labels)
    else:
        closures = _from_links(works, vital, tables.get("nodes"), labels)
    zeros = [np.zeros(n) for _ in range(7)]
    if closures is None:
        return ClosureTraffic(*zeros), _no_interactions(), [], _no_interactions()

    def alone(a: int) -> tuple[np.ndarray, float, set[int]]:
        rer = _reroute_all(closures, closures.edges[a], closures.shares[a], with_paths=True)
        return _figures(rer, params), rer["car"].cut, {e for r in rer.values() for p in r.paths.values() for e in p}

    # a shortest path per closure and mode: independent pieces, spread over the cores
    each = fork_map(alone, n)
    single = np.array([figures for figures, _, _ in each]).reshape(n, len(MEASURES))
    cut = np.array([c for _, c, _ in each], dtype=float)
    paths = [p for _, _, p in each]
    traffic = ClosureTraffic(vehicle_hours=single[:, 3], vehicle_km=single[:, 2], air=single[:, 1], cut=cut,
                             bike_hours=single[:, 4], walk_hours=single[:, 5], hindrance=single[:, 0])
    rows, conflicts = _interactions(closures, single, cut, paths, starts, duration, params)
    columns = ["a", "b", *(f"d_{m}" for m in MEASURES)]
    inter = pd.DataFrame(rows, columns=columns) if rows else _no_interactions()
    every = inter.sort_values(["a", "b"], kind="stable").reset_index(drop=True)
    return traffic, _shortlist(every, single[:, 0], params), sorted(set(conflicts)), every


def _no_interactions() -> pd.DataFrame:
    return pd.DataFrame({"a": pd.Series(dtype=int), "b": pd.Series(dtype=int),
                         **{f"d_{m}": pd.Series(dtype=float) for m in MEASURES}})


def _interactions(closures: Closures, single: np.ndarray, cut: np.ndarray, paths: list[set[int]],
                  starts: list[np.ndarray], duration: np.ndarray, params: dict[str, Any]
                  ) -> tuple[list[tuple], list[tuple[int, int]]]:
    """Δ of every pair of works whose windows overlap and that touch each other's closures:
    they close the same edges (a saving: the edge closes once) or one closes edges on the
    other's detours (a cost: the detours grow). Δ = joint closure − the two alone. A pair
    whose joint closure cuts motor traffic that neither cuts alone, while both close more than
    half of some edge's motor traffic, is a conflict instead."""
    n = len(closures.edges)
    closing: dict[int, list[int]] = {}
    for a in range(n):
        for e in closures.edges[a]:
            closing.setdefault(int(e), []).append(a)
    windows = [set(range(s.min(), s.max() + d)) if len(s) else set() for s, d in zip(starts, duration)]
    hard_car = np.array([bool((s[:, 0] > 0.5).any()) if len(s) else False for s in closures.shares])
    pairs: set[tuple[int, int]] = set()
    for a in range(n):
        for e in set(int(x) for x in closures.edges[a]) | paths[a]:
            for b in closing.get(e, []):
                if b != a and windows[a] & windows[b]:
                    pairs.add((min(a, b), max(a, b)))
    ordered = sorted(pairs)

    def together(k: int) -> tuple[float, np.ndarray]:
        rer = _reroute_all(closures, *closures.of(list(ordered[k])))
        return rer["car"].cut, _figures(rer, params)

    rows, conflicts = [], []
    for (a, b), (joint_cut, joint) in zip(ordered, fork_map(together, len(ordered))):
        if joint_cut > cut[a] + cut[b] + 1e-9 and cut[a] + cut[b] <= 1e-9 and hard_car[a] and hard_car[b]:
            conflicts.append((a, b))
            continue
        rows.append((a, b, *(joint - single[a] - single[b])))
    return rows, conflicts


def _shortlist(inter: pd.DataFrame, hindrance: np.ndarray, params: dict[str, Any]) -> pd.DataFrame:
    """Interactions below ``min_interaction`` of the smaller single hindrance are left out;
    each work keeps its ``max_interactions`` largest, the larger first and, among equal ones,
    the pair of the earlier works (a stable order: the same instance keeps the same pairs)."""
    if not len(inter):
        return inter
    smaller = np.minimum(hindrance[inter["a"].to_numpy()], hindrance[inter["b"].to_numpy()])
    inter = inter[np.abs(inter["d_hindrance"].to_numpy()) >= params["min_interaction"] * np.maximum(smaller, 1e-9)]
    inter = inter.assign(size=inter["d_hindrance"].abs()).sort_values(["size", "a", "b"], ascending=[False, True, True],
                                                                      kind="stable")
    count: dict[int, int] = {}
    keep = []
    for a, b in zip(inter["a"], inter["b"]):
        ok = count.get(a, 0) < params["max_interactions"] and count.get(b, 0) < params["max_interactions"]
        keep.append(ok)
        if ok:
            count[a] = count.get(a, 0) + 1
            count[b] = count.get(b, 0) + 1
    return inter[np.array(keep, dtype=bool)].drop(columns="size").sort_values(["a", "b"]).reset_index(drop=True)
