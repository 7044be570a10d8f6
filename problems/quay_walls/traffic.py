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


def traffic_figures(works: pd.DataFrame, vital: VitalSystems | None, nodes: pd.DataFrame | None, params: dict[str, Any],
             labels: dict[str, str], starts: list[np.ndarray], duration: np.ndarray
             ) -> tuple[ClosureTraffic, pd.DataFrame, list[tuple[int, int]]]:
    n = len(works)
    zeros = ClosureTraffic(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))
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
    single = link_detours(graph, assets, link_pos, used)
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
        joint = link_detours(graph, assets, link_pos, [l1, l2], {l1: {link_pos[l2]}, l2: {link_pos[l1]}})
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
    return ClosureTraffic(vh, vkm, air, cut), inter, sorted(set(conflicts))

