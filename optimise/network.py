"""Detours on the street network of the vital-systems data.

Mobility assets with ``from_node``, ``to_node`` and ``length_m`` form an undirected street
graph. When links lose function, the traffic they carried (``load``, vehicles/h, times the
share lost) takes the shortest path between the link's ends over the links still open:
the extra distance gives extra vehicle-km, and with an emission factor extra emissions.
Traffic with no path left is counted as trips cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

#: Default emission factors per vehicle-km (a mixed Dutch urban fleet, order of magnitude).
CO2_G_PER_VKM = 130.0
NOX_G_PER_VKM = 0.25


@dataclass
class Detours:
    extra_vehicle_km: float  # per hour
    extra_vehicle_hours: float  # per hour, at the urban speed
    trips_cut: float  # vehicles/h with no path left
    links_closed: int


def street_graph(assets: pd.DataFrame) -> tuple[nx.Graph, np.ndarray] | None:
    """The street graph, and the positions of the assets that are links; None without one."""
    needed = {"from_node", "to_node", "length_m"}
    if not needed <= set(assets.columns):
        return None
    is_link = assets["from_node"].notna() & assets["to_node"].notna() & assets["length_m"].notna()
    links = np.flatnonzero(is_link.to_numpy())
    if len(links) == 0:
        return None
    graph = nx.MultiGraph()
    for k in links:
        row = assets.iloc[k]
        graph.add_edge(row["from_node"], row["to_node"], key=int(k), length=float(row["length_m"]))
    return graph, links


def detour_path(graph: nx.MultiGraph, source: object, target: object, removed: set[int]) -> tuple[float, list[int]]:
    """The shortest path from ``source`` to ``target`` over the links not in ``removed``
    (asset positions, the graph's edge keys): its length and its links; (inf, []) when no
    path is left. The one detour rule of the engine and of the problems that close streets."""

    def weight(u: object, v: object, data: dict) -> float | None:
        lengths = [e["length"] for key, e in data.items() if key not in removed]
        return min(lengths) if lengths else None

    try:
        path = nx.shortest_path(graph, source, target, weight=weight)
    except nx.NetworkXNoPath:
        return np.inf, []
    edges, total = [], 0.0
    for u, v in zip(path[:-1], path[1:]):
        key, e = min(((key, e) for key, e in graph.get_edge_data(u, v).items() if key not in removed),
                     key=lambda item: item[1]["length"])
        edges.append(int(key))
        total += e["length"]
    return total, edges


def detours(assets: pd.DataFrame, graph: nx.MultiGraph, links: np.ndarray, loss: np.ndarray,
            speed_kmh: float = 30.0) -> Detours:
    """Extra travel when the links in ``links`` lose ``loss`` of their function."""
    closed = [int(k) for k in links if loss[k] > 1e-9]
    if not closed:
        return Detours(0.0, 0.0, 0.0, 0)
    # links that lost half or more of their function are out of the detour network
    out = {int(k) for k in closed if loss[k] >= 0.5}
    extra_km = cut = 0.0
    lengths: dict[tuple, float] = {}
    for k in closed:
        row = assets.iloc[k]
        traffic = float(row.get("load", 0.0) or 0.0) * float(loss[k])
        if traffic <= 0:
            continue
        ends = (row["from_node"], row["to_node"])
        if ends not in lengths:
            lengths[ends] = detour_path(graph, *ends, out)[0]
        alternative = lengths[ends]
        if np.isfinite(alternative):
            extra_km += traffic * max(alternative - float(row["length_m"]), 0.0) / 1000.0
        else:
            cut += traffic
    return Detours(extra_km, extra_km / speed_kmh, cut, len(closed))
