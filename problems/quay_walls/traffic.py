"""Traffic under the works: detours on the street network, vehicle-hours, NOx exposure and
the interactions between works closed at the same time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from optimise.errors import InputError
from optimise.network import detour_path, street_graph
from optimise.vital import VitalSystems


@dataclass
class ClosureTraffic:
    """Per work, per period of closure (before traffic growth): the detour figures."""

    vehicle_hours: np.ndarray
    vehicle_km: np.ndarray
    air: np.ndarray
    cut: np.ndarray  # vehicles/h without a path


def link_detours(graph: nx.MultiGraph, assets: pd.DataFrame, link_pos: dict[str, int],
                 used: list[str], extra_removed: dict[str, set[int]] | None = None) -> dict[str, tuple[float, list[int]]]:
    """For each link id in ``used``: (alternative path length without it, path as link
    positions); inf and [] when no path is left."""
    out: dict[str, tuple[float, list[int]]] = {}
    for lid in used:
        k = link_pos[lid]
        row = assets.iloc[k]
        out[lid] = detour_path(graph, row["from_node"], row["to_node"], {k} | (extra_removed or {}).get(lid, set()))
    return out


@dataclass
class _Streets:
    """The street network under the works and what a closure of one link costs per period."""

    graph: nx.MultiGraph
    assets: pd.DataFrame
    link_pos: dict[str, int]
    people: dict[str, float]
    params: dict[str, Any]
    load: np.ndarray  # vehicles/h per asset
    length: np.ndarray  # m per asset

    def exposure(self, k: int) -> float:
        """Mean inhabitants of link k's two end nodes (1,000 where the nodes table is silent)."""
        row = self.assets.iloc[k]
        return (self.people.get(str(row["from_node"]), 1000.0) + self.people.get(str(row["to_node"]), 1000.0)) / 2.0

    def per_share(self, lid: str, alt: float, path: list[int]) -> tuple[float, float, float]:
        """(vehicle-hours, vehicle-km, weighted NOx) per period for the whole link's traffic
        on the detour ``path`` of length ``alt`` (inf: no path left)."""
        p = self.params
        k = self.link_pos[lid]
        length = self.length
        traffic = self.load[k] * p["hours_per_period"]
        if not math.isfinite(alt):
            return traffic * p["cut_hours"], 0.0, 0.0
        extra_km = max(alt - length[k], 0.0) / 1000.0
        weighted = sum(length[e] / 1000.0 * self.exposure(e) for e in path) - length[k] / 1000.0 * self.exposure(k)
        return (traffic * extra_km / p["speed_kmh"], traffic * extra_km,
                traffic * p["nox_g_per_vkm"] * max(weighted, 0.0) / 1000.0)


def _streets(link_col: np.ndarray, has_link: np.ndarray, vital: VitalSystems | None, nodes: pd.DataFrame | None,
             params: dict[str, Any], labels: dict[str, str]) -> _Streets:
    """The street graph of the assets layer; every link a work names must be in it."""
    if vital is None:
        r = int(np.flatnonzero(has_link)[0]) + 1
        raise InputError("the work names a street link but the instance has no assets layer", file=labels["works"],
                         field="link", row=r)
    built = street_graph(vital.assets)
    if built is None:
        raise InputError("the assets layer has no street links (from_node, to_node, length_m)",
                         file=vital.labels.get("assets", "assets"), field="from_node")
    graph, link_positions = built
    link_pos = {str(vital.assets["id"].iloc[k]): int(k) for k in link_positions}
    for a in np.flatnonzero(has_link):
        if link_col[a] not in link_pos:
            raise InputError(f"unknown street link {link_col[a]!r}", file=labels["works"], field="link", row=int(a) + 1)
    people = dict(zip(nodes["id"].astype(str), nodes["people"].astype(float))) if nodes is not None else {}
    return _Streets(graph, vital.assets, link_pos, people, params, vital.assets["load"].to_numpy(float),
                    vital.assets["length_m"].to_numpy(float))


def traffic_figures(works: pd.DataFrame, vital: VitalSystems | None, nodes: pd.DataFrame | None, params: dict[str, Any],
                    labels: dict[str, str], starts: list[np.ndarray], duration: np.ndarray
                    ) -> tuple[ClosureTraffic, pd.DataFrame, list[tuple[int, int]], pd.DataFrame]:
    """η, α (and vehicle-km, trips cut) of each work per period of closure; the interactions
    the model keeps; the pairs whose joint closure cuts the network; every interaction."""
    n = len(works)
    link_col = works["link"].to_numpy(dtype=object)
    has_link = np.array([isinstance(v, str) and v != "" for v in link_col])
    if not has_link.any():
        return ClosureTraffic(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)), _no_interactions(), [], \
            _no_interactions()
    streets = _streets(link_col, has_link, vital, nodes, params, labels)
    used = sorted({str(v) for v in link_col[has_link]})
    single = link_detours(streets.graph, streets.assets, streets.link_pos, used)
    unit = {lid: streets.per_share(lid, *single[lid]) for lid in used}
    share = works["closure_share"].to_numpy(float)
    load = streets.load
    vh, vkm, air, cut = (np.zeros(n) for _ in range(4))
    for a in np.flatnonzero(has_link):
        u = unit[link_col[a]]
        vh[a], vkm[a], air[a] = share[a] * u[0], share[a] * u[1], share[a] * u[2]
        if not math.isfinite(single[link_col[a]][0]):
            cut[a] = share[a] * load[streets.link_pos[link_col[a]]]
    rows, conflicts = _interactions(streets, link_col, has_link, share, single, unit, starts, duration)
    inter = pd.DataFrame(rows, columns=["a", "b", "d_hindrance", "d_air", "d_vkm"]) if rows else _no_interactions()
    every = inter.sort_values(["a", "b"], kind="stable").reset_index(drop=True)
    return ClosureTraffic(vh, vkm, air, cut), _shortlist(every, vh, params), sorted(set(conflicts)), every


def _no_interactions() -> pd.DataFrame:
    return pd.DataFrame({"a": pd.Series(dtype=int), "b": pd.Series(dtype=int), "d_hindrance": pd.Series(dtype=float),
                         "d_air": pd.Series(dtype=float), "d_vkm": pd.Series(dtype=float)})


def _interactions(streets: _Streets, link_col: np.ndarray, has_link: np.ndarray, share: np.ndarray,
                  single: dict[str, tuple[float, list[int]]], unit: dict[str, tuple[float, float, float]],
                  starts: list[np.ndarray], duration: np.ndarray) -> tuple[list[tuple], list[tuple[int, int]]]:
    """Δ of every pair of works whose windows overlap: works on one link share a closure (a
    saving); works on each other's detours lengthen them (a cost); a pair whose joint
    closure leaves no path (both closing at least half their link) is a conflict instead."""
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
    ids = streets.assets["id"]
    path_links = {lid: {str(ids.iloc[e]) for e in single[lid][1]} for lid in unit}
    pairs = sorted({tuple(sorted((l1, l2))) for l1 in unit for l2 in path_links[l1] if l2 in on_link and l2 != l1})
    link_pos = streets.link_pos
    for l1, l2 in pairs:
        joint = link_detours(streets.graph, streets.assets, link_pos, [l1, l2], {l1: {link_pos[l2]}, l2: {link_pos[l1]}})
        u1, u2 = streets.per_share(l1, *joint[l1]), streets.per_share(l2, *joint[l2])
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
    return rows, conflicts


def _shortlist(inter: pd.DataFrame, vh: np.ndarray, params: dict[str, Any]) -> pd.DataFrame:
    """Interactions below ``min_interaction`` of the smaller single hindrance are left out;
    each work keeps its ``max_interactions`` largest, the larger first and, among equal ones,
    the pair of the earlier works (a stable order: the same instance keeps the same pairs)."""
    if not len(inter):
        return inter
    smaller = np.minimum(vh[inter["a"].to_numpy()], vh[inter["b"].to_numpy()])
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
