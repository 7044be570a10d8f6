"""The street network per mode (car, bicycle, on foot) and the detours closures force.

A street table has one row per edge: ``id``, ``u``, ``v`` (node ids), ``length_m``, whether
each mode may use it (``car``, ``bike``, ``walk``: true/false) and the flow of each mode on it
(``cars_per_hour``, ``bikes_per_hour``, ``walkers_per_hour``, peak-hour equivalents), and an
``exposure`` (inhabitants per km along it, for exposure-weighted emissions).

When edges close (a share of each mode's flow per edge), that share of the flow of each closed
edge takes the shortest path between the edge's ends over the edges still open to its mode;
an edge closed for half or more of a mode's flow is out of that mode's network. Shortest paths
run on sparse matrices (scipy.sparse.csgraph): the whole network is one CSR matrix per mode,
a closure marks its edges as absent (infinite length) in a copy, and one Dijkstra run from the
closed edges' ends gives every detour at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

MODES = ("car", "bike", "walk")
FLOW = {"car": "cars_per_hour", "bike": "bikes_per_hour", "walk": "walkers_per_hour"}


@dataclass
class Reroute:
    """The detour figures of one closure for one mode, per hour of traffic."""

    extra_km: float = 0.0  # flow × extra distance (vehicle- or person-km per hour)
    cut: float = 0.0  # flow with no path left (per hour)
    exposure_km: float = 0.0  # flow × (exposure-weighted km of the detour − of the closed edge)⁺
    paths: dict[int, list[int]] = field(default_factory=dict)  # closed edge -> its detour's edges

    def hours(self, speed_kmh: float) -> float:
        return self.extra_km / speed_kmh


class StreetNetwork:
    """Edges as arrays, one symmetric CSR matrix per mode (parallel edges: the shortest)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table.reset_index(drop=True)
        self.ids = self.table["id"].astype(str).to_numpy()
        self.position = {e: k for k, e in enumerate(self.ids)}
        nodes = pd.Index(pd.unique(pd.concat([self.table["u"], self.table["v"]], ignore_index=True).astype(str)))
        self.nodes = nodes
        self.u = nodes.get_indexer(self.table["u"].astype(str))
        self.v = nodes.get_indexer(self.table["v"].astype(str))
        self.length = self.table["length_m"].to_numpy(float)
        self.exposure = self.table["exposure"].to_numpy(float) if "exposure" in self.table else np.zeros(len(self.table))
        self.open = {m: self.table[m].to_numpy(bool) if m in self.table else np.ones(len(self.table), bool) for m in MODES}
        self.flow = {m: self.table[FLOW[m]].to_numpy(float) if FLOW[m] in self.table else np.zeros(len(self.table))
                     for m in MODES}
        self._parallel: dict[str, dict[int, list[int]]] = {}
        self._matrix = {m: self._build(m) for m in MODES}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_assets(cls, assets: pd.DataFrame, people: dict[str, float] | None = None) -> StreetNetwork | None:
        """The street links of a vital-systems assets table (``from_node``, ``to_node``,
        ``length_m``, ``load`` in vehicles/h) as a car network; the exposure of a link is the
        mean of its end nodes' inhabitants (``people``; 1,000 where silent). None without links."""
        if not {"from_node", "to_node", "length_m"} <= set(assets.columns):
            return None
        is_link = (assets["from_node"].notna() & assets["to_node"].notna() & assets["length_m"].notna()).to_numpy()
        if not is_link.any():
            return None
        links = assets[is_link]
        people = people or {}
        ends = [(people.get(str(a), 1000.0) + people.get(str(b), 1000.0)) / 2.0
                for a, b in zip(links["from_node"], links["to_node"])]
        load = links["load"].fillna(0.0).to_numpy(float) if "load" in links else np.zeros(len(links))
        table = pd.DataFrame({"id": links["id"].astype(str).to_numpy(), "u": links["from_node"].astype(str).to_numpy(),
                              "v": links["to_node"].astype(str).to_numpy(), "length_m": links["length_m"].to_numpy(float),
                              "car": True, "bike": False, "walk": False, "cars_per_hour": load, "exposure": ends})
        return cls(table)

    def _build(self, mode: str) -> sp.csr_matrix:
        """The mode's matrix (each node pair at its shortest open edge), and the pair's
        parallel edges shortest first, so that a closure can fall back on the next one."""
        n = len(self.nodes)
        ok = np.flatnonzero(self.open[mode] & (self.u != self.v))
        order = ok[np.lexsort((self.length[ok], np.maximum(self.u[ok], self.v[ok]), np.minimum(self.u[ok], self.v[ok])))]
        lo, hi = np.minimum(self.u[order], self.v[order]), np.maximum(self.u[order], self.v[order])
        first = np.ones(len(order), bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        best = order[first]
        rows = np.concatenate([self.u[best], self.v[best]])
        cols = np.concatenate([self.v[best], self.u[best]])
        matrix = sp.csr_matrix((np.concatenate([self.length[best]] * 2), (rows, cols)), shape=(n, n))
        matrix.sort_indices()
        pair_key = lo * n + hi
        groups: dict[int, list[int]] = {}
        for key, e in zip(pair_key, order):
            groups.setdefault(int(key), []).append(int(e))
        self._parallel[mode] = groups
        return matrix

    def _entries(self, matrix: sp.csr_matrix, a: int, b: int) -> list[int]:
        out = []
        for r, c in ((a, b), (b, a)):
            lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
            k = lo + int(np.searchsorted(matrix.indices[lo:hi], c))
            if k < hi and matrix.indices[k] == c:
                out.append(k)
        return out

    def without(self, mode: str, removed: np.ndarray) -> sp.csr_matrix:
        """The mode's matrix with the edges in ``removed`` (positions) taken out."""
        base = self._matrix[mode]
        matrix = base.copy()
        n = len(self.nodes)
        gone = set(int(e) for e in removed)
        for e in gone:
            a, b = int(self.u[e]), int(self.v[e])
            if a == b or not self.open[mode][e]:
                continue
            rest = [x for x in self._parallel[mode].get(min(a, b) * n + max(a, b), []) if x not in gone]
            value = self.length[rest[0]] if rest else np.inf
            for k in self._entries(matrix, a, b):
                matrix.data[k] = value
        return matrix

    def _edge_between(self, mode: str, a: int, b: int, gone: set[int]) -> int:
        n = len(self.nodes)
        return next(x for x in self._parallel[mode][min(a, b) * n + max(a, b)] if x not in gone)

    def reroute(self, mode: str, closed: np.ndarray, share: np.ndarray, with_paths: bool = False) -> Reroute:
        """The share ``share[i]`` of the flow of edge ``closed[i]`` takes the shortest path
        between the edge's ends over the edges open to ``mode``, without every closed edge
        whose share is half or more and without the edge itself."""
        closed = np.asarray(closed, int)
        share = np.asarray(share, float)
        flow = self.flow[mode][closed] * share
        moving = np.flatnonzero((flow > 0) & self.open[mode][closed])
        out = Reroute()
        if not len(moving):
            return out
        hard = closed[share >= 0.5]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in moving:  # an edge closed for less than half still avoids itself
            key = () if share[i] >= 0.5 else (int(closed[i]),)
            groups.setdefault(key, []).append(int(i))
        for extra, members in groups.items():
            gone = set(int(e) for e in hard) | set(extra)
            matrix = self.without(mode, np.array(sorted(gone), int))
            sources = np.unique(self.u[closed[members]])
            dist, pred = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True)
            row_of = {int(s): r for r, s in enumerate(sources)}
            for i in members:
                e = int(closed[i])
                r = row_of[int(self.u[e])]
                d = dist[r, self.v[e]]
                if not np.isfinite(d):
                    out.cut += flow[i]
                    continue
                out.extra_km += flow[i] * max(d - self.length[e], 0.0) / 1000.0
                path = self._path(mode, pred[r], int(self.u[e]), int(self.v[e]), gone)
                weighted = float((self.length[path] * self.exposure[path]).sum()) - self.length[e] * self.exposure[e]
                out.exposure_km += flow[i] * max(weighted, 0.0) / 1000.0
                if with_paths:
                    out.paths[e] = path
        return out

    def _path(self, mode: str, pred: np.ndarray, source: int, target: int, gone: set[int]) -> list[int]:
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return [self._edge_between(mode, a, b, gone) for a, b in zip(nodes[:-1], nodes[1:])]

    def distances(self, mode: str, sources: np.ndarray, targets: np.ndarray, limit: float = np.inf) -> np.ndarray:
        """Shortest distances (m) from each source node to each target node (positions in
        ``nodes``) on the mode's network; inf beyond ``limit`` or without a path."""
        dist = dijkstra(self._matrix[mode], directed=True, indices=np.asarray(sources, int), limit=limit)
        return dist[:, np.asarray(targets, int)]
