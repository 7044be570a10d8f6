"""The street network per mode (car, bicycle, on foot) and the detours closures force.

A street table has one row per edge: ``id``, ``u``, ``v`` (node ids), ``length_m``, whether
each mode may use it (``car``, ``bike``, ``walk``: true/false) and the flow of each mode on it
(``cars_per_hour``, ``bikes_per_hour``, ``walkers_per_hour``, peak-hour equivalents), and an
``exposure`` (inhabitants per km along it, for exposure-weighted emissions).

When edges close (a share of each mode's flow per edge), an edge closed for more than half of a
mode's flow is out of that mode's network. Closed edges that touch form a stretch (a closed
quay street, a bridge deck); the flow along a stretch detours between its two ends, the flow
of an edge closed for half or less round that edge, which stays open to other detours at a
higher cost (``StreetNetwork.reroute``). Shortest
paths run on sparse matrices (scipy.sparse.csgraph): the whole network is one CSR matrix per
mode, a closure marks its edges as absent (infinite length) in a copy, and one Dijkstra run,
bounded by ``LIMIT_M`` and repeated unbounded only for the ends it did not reach, gives every
detour of the closure at once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimise.schema import Column, TableSchema

if TYPE_CHECKING:
    import scipy.sparse as sp

# scipy.sparse and its graph searches are imported where used: a hub instance without streets
# never needs them, and they take a tenth of a second to import.

STREETS = TableSchema(
    "streets",
    (
        Column("id", "id", "street edge id", unique=True),
        Column("u", "text", "node at one end"),
        Column("v", "text", "node at the other end"),
        Column("length_m", "number", "length", unit="m", minimum=0),
        Column("car", "bool", "open to motor traffic", required=False, default=True),
        Column("bike", "bool", "open to cycling", required=False, default=True),
        Column("walk", "bool", "open to walking", required=False, default=True),
        Column("cars_per_hour", "number", "motor vehicles (peak-hour equivalents)", unit="vehicles/h",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("bikes_per_hour", "number", "cyclists (peak-hour equivalents)", unit="cyclists/h", required=False,
               default=0.0, minimum=0, blank=0.0),
        Column("walkers_per_hour", "number", "pedestrians (peak-hour equivalents)", unit="pedestrians/h",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("exposure", "number", "inhabitants per km along the edge (weighs NOx)", unit="people/km",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("name", "text", "street name", required=False, default=""),
        Column("highway", "text", "street class (OpenStreetMap highway type)", required=False, default=""),
        Column("bridge", "bool", "the edge is on a bridge", required=False, default=False),
        Column("tunnel", "bool", "the edge is in a tunnel", required=False, default=False),
        Column("source", "text", "where the edge comes from (e.g. OpenStreetMap, generated)", required=False,
               default=""),
    ),
    description="Optional: the street network per mode (lines, or u/v node ids alone). Quay walls: with a "
                "closures table, detours run on it for cars, bicycles and pedestrians. Hubs: walking distances run "
                "on it where both ends lie near it.",
    geometry="optional",
)


MODES = ("car", "bike", "walk")
FLOW = {"car": "cars_per_hour", "bike": "bikes_per_hour", "walk": "walkers_per_hour"}
LIMIT_M = 4000.0


@dataclass
class Reroute:
    """The detour figures of one closure for one mode, per hour of traffic."""

    extra_km: float = 0.0  # flow × extra distance (vehicle- or person-km per hour)
    extra_cost_km: float = 0.0  # the same in time-equivalent km: a half-closed street costs double
    cut: float = 0.0  # flow with no path left (per hour)
    exposure_km: float = 0.0  # flow × (exposure-weighted km of the detour − of the closed edge)⁺
    paths: dict[int, list[int]] = field(default_factory=dict)  # closed edge -> its detour's edges

    def hours(self, speed_kmh: float) -> float:
        """Extra hours per hour of traffic: the detours' time-equivalent km at ``speed_kmh``."""
        return self.extra_cost_km / speed_kmh


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
        import scipy.sparse as sp

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

    def without(self, mode: str, removed: np.ndarray, slower: dict[int, float] | None = None) -> sp.csr_matrix:
        """The mode's matrix with the edges in ``removed`` (positions) taken out and the edges
        in ``slower`` (position: share closed, at most half) costing length / (1 − share):
        half the lanes closed, twice the time to pass."""
        matrix = self._matrix[mode].copy()
        slower = slower or {}
        gone = set(int(e) for e in removed)
        for e in gone | set(slower):
            a, b = int(self.u[e]), int(self.v[e])
            if a == b or not self.open[mode][e]:
                continue
            value = self._cost(mode, a, b, gone, slower)[1]
            for k in self._entries(matrix, a, b):
                matrix.data[k] = value
        return matrix

    def _cost(self, mode: str, a: int, b: int, gone: set[int], slower: dict[int, float]) -> tuple[int, float]:
        """The cheapest edge still open between nodes a and b, and its cost (-1, inf: none)."""
        n = len(self.nodes)
        best = (-1, np.inf)
        for x in self._parallel[mode].get(min(a, b) * n + max(a, b), []):
            if x not in gone:
                cost = self.length[x] / (1.0 - slower.get(x, 0.0))
                if cost < best[1]:
                    best = (x, cost)
        return best

    def reroute(self, mode: str, closed: np.ndarray, share: np.ndarray, with_paths: bool = False) -> Reroute:
        """The detours of the flow of ``mode`` when edge ``closed[i]`` closes for ``share[i]``.

        Edges closed for more than half leave the mode's network. They form stretches (connected
        groups of closed edges, such as a closed quay street or a bridge deck): the flow of a
        stretch (its busiest edge's share that moves) runs between the stretch's two ends
        farthest apart along it, among its nodes still joined to open streets, and detours
        between them; a stretch with one such end or none (a dead end), or whose ends are no
        longer joined, cuts its flow. An edge closed for half or less (share s) stays open at
        length / (1 − s) (half the lanes: twice the time) and sends its moving share round
        itself where there is a way round; where there is none, that share stays on the lanes
        still open (no detour, nothing cut). Paths are chosen by that cost; ``extra_km`` counts
        their real length, ``extra_cost_km`` (and so ``hours``) their cost."""
        closed = np.asarray(closed, int)
        share = np.asarray(share, float)
        flow = self.flow[mode][closed] * share
        usable = self.open[mode][closed] & (self.u[closed] != self.v[closed])
        hard_mask = usable & (share > 0.5)
        soft_mask = usable & ~hard_mask & (share > 0)
        hard = np.unique(closed[hard_mask])
        gone = set(int(e) for e in hard)
        slower = {int(e): float(s) for e, s in zip(closed[soft_mask], share[soft_mask])}
        base = self.without(mode, hard, slower)
        # one unit per stretch and per softly closed edge: (key, source, target, flow, along)
        units = self._stretches(base, closed[hard_mask], flow[hard_mask]) if len(hard) else []
        for i in np.flatnonzero(soft_mask & (flow > 0)):
            e = int(closed[i])
            units.append(((e,), int(self.u[e]), int(self.v[e]), float(flow[i]), [e]))
        out = Reroute()
        groups: dict[tuple[int, ...], list[tuple]] = {}
        for unit in units:
            groups.setdefault(unit[0], []).append(unit)
        for extra, members in groups.items():
            removed = gone | set(extra)
            others = {e: s for e, s in slower.items() if e not in extra}
            matrix = base if not extra else self.without(mode, np.array(sorted(removed), int), others)
            found = self._search(matrix, [(m[1], m[2]) for m in members if m[1] >= 0])
            for _, source, target, f, along in members:
                d = found[source][0][target] if source >= 0 else np.inf
                if not np.isfinite(d):
                    # a stretch with no way round cuts its flow; a street closed for half or
                    # less with none keeps its traffic on the lanes still open
                    out.cut += f if not extra else 0.0
                    continue
                along_m = float(self.length[along].sum())
                path = self._path(mode, found[source][1], source, target, removed, others)
                out.extra_km += f * max(float(self.length[path].sum()) - along_m, 0.0) / 1000.0
                out.extra_cost_km += f * max(d - along_m, 0.0) / 1000.0
                weighted = float((self.length[path] * self.exposure[path]).sum()
                                 - (self.length[along] * self.exposure[along]).sum())
                out.exposure_km += f * max(weighted, 0.0) / 1000.0
                if with_paths:
                    out.paths[along[0]] = path
        return out

    def _search(self, matrix: sp.csr_matrix, pairs: list[tuple[int, int]]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Distances and predecessors from each pair's source, for its target: a search
        bounded by LIMIT_M reaches every detour but the longest; the sources whose target lies
        beyond it (or has no path) are searched again without the bound."""
        from scipy.sparse.csgraph import dijkstra

        sources = np.unique([a for a, _ in pairs])
        if not len(sources):
            return {}
        dist, pred = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True, limit=LIMIT_M)
        row = {int(a): r for r, a in enumerate(sources)}
        far = np.unique([a for a, b in pairs if not np.isfinite(dist[row[a], b])])
        if len(far):
            rows = [row[int(a)] for a in far]
            dist[rows], pred[rows] = dijkstra(matrix, directed=True, indices=far, return_predecessors=True)
        return {int(a): (dist[r], pred[r]) for a, r in row.items()}

    def _stretches(self, base: sp.csr_matrix, edges: np.ndarray, flow: np.ndarray) -> list[tuple]:
        """The stretches of the hard-closed ``edges`` (see ``reroute``) as units: key (), the
        two ends as node positions (-1, -1 for a dead end), the flow that moves (the busiest
        edge's), the edges along the stretch between the ends. Stretches are a handful of
        edges: plain Python on them is faster than building matrices."""
        moving: dict[int, float] = {}
        for e, f in zip(edges.tolist(), flow.tolist()):
            moving[e] = max(moving.get(e, 0.0), f)
        parent: dict[int, int] = {}

        def root(x: int) -> int:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e in moving:
            parent[root(int(self.u[e]))] = root(int(self.v[e]))
        groups: dict[int, list[int]] = {}
        for e in moving:
            groups.setdefault(root(int(self.u[e])), []).append(e)
        units = []
        for stretch in groups.values():
            most = max(moving[e] for e in stretch)
            if most <= 0:
                continue
            nodes = {int(self.u[e]) for e in stretch} | {int(self.v[e]) for e in stretch}
            # an end: a node of the stretch still joined to an open street of the mode
            ends = [x for x in nodes if np.isfinite(base.data[base.indptr[x]:base.indptr[x + 1]]).any()]
            if len(ends) < 2:
                units.append(((), -1, -1, most, stretch))
                continue
            a, b, along = self._farthest_ends(stretch, ends)
            units.append(((), a, b, most, along))
        return units

    def _farthest_ends(self, stretch: list[int], ends: list[int]) -> tuple[int, int, list[int]]:
        """The two ends farthest apart along the stretch, and the edges between them."""
        if len(stretch) == 1:
            e = stretch[0]
            return int(self.u[e]), int(self.v[e]), [e]
        adjacent: dict[int, list[tuple[int, int]]] = {}
        for e in stretch:
            adjacent.setdefault(int(self.u[e]), []).append((int(self.v[e]), e))
            adjacent.setdefault(int(self.v[e]), []).append((int(self.u[e]), e))
        best = (-1.0, ends[0], ends[1], [])
        for a in ends:
            dist, via = {a: 0.0}, {}
            queue = [(0.0, a)]
            while queue:
                d, x = heapq.heappop(queue)
                if d > dist[x]:
                    continue
                for y, e in adjacent[x]:
                    if d + self.length[e] < dist.get(y, np.inf):
                        dist[y], via[y] = d + self.length[e], (x, e)
                        heapq.heappush(queue, (dist[y], y))
            b = max((x for x in ends if x != a and x in dist), key=lambda x: dist[x], default=None)
            if b is not None and dist[b] > best[0]:
                along, x = [], b
                while x != a:
                    x, e = via[x]
                    along.append(e)
                best = (dist[b], a, b, along[::-1])
        return best[1], best[2], best[3]

    def _path(self, mode: str, pred: np.ndarray, source: int, target: int, gone: set[int],
              slower: dict[int, float]) -> list[int]:
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return [self._cost(mode, a, b, gone, slower)[0] for a, b in zip(nodes[:-1], nodes[1:])]

    def distances(self, mode: str, sources: np.ndarray, limit: float = np.inf) -> np.ndarray:
        """Shortest distances (m) from each source node (positions in ``nodes``) to every node
        on the mode's network; inf beyond ``limit`` or without a path."""
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(self._matrix[mode], directed=True, indices=np.asarray(sources, int), limit=limit)


def walking_metres(streets: pd.DataFrame, a_xy: np.ndarray, b_xy: np.ndarray, pi: np.ndarray, pj: np.ndarray,
                   snap_m: float, limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Walking distances of the pairs (a[pi], b[pj]) over the streets open to walking, where
    both ends lie within ``snap_m`` of such a street that is not generated: each end joins its
    nearest street at the foot of the perpendicular, walks along it to either end node, and the
    shortest path joins the nodes (two ends on one street: along it); never less than the
    straight line; NaN beyond ``limit_m`` or without a path. The second array says which
    pairs the network covers (both ends near it)."""
    import shapely

    network = StreetNetwork(pd.DataFrame(streets.drop(columns=streets.geometry.name)))
    real = network.open["walk"] & (network.u != network.v)
    if "source" in streets:
        real &= ~streets["source"].astype(str).str.startswith("generated").to_numpy()
    usable = np.flatnonzero(real)
    lines = streets.geometry.to_numpy()[usable]
    tree = shapely.STRtree(lines)

    def attach(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        points = shapely.points(xy)
        k = tree.nearest(points)
        edge = usable[k]
        gap = shapely.distance(points, lines[k])
        # metres along the street from its u end, scaled to its length_m
        along = shapely.line_locate_point(lines[k], points) / np.maximum(shapely.length(lines[k]), 1e-9)
        return edge, gap, along * network.length[edge]

    edge_a, gap_a, at_a = attach(a_xy)
    edge_b, gap_b, at_b = attach(b_xy)
    covered = (gap_a[pi] <= snap_m) & (gap_b[pj] <= snap_m)
    metres = np.full(len(pi), np.inf)
    take = np.flatnonzero(covered)
    ea, eb = edge_a[pi[take]], edge_b[pj[take]]
    # to each end node: (node, metres) for a's two ends and b's two ends
    a_ends = [(network.u[ea], at_a[pi[take]]), (network.v[ea], network.length[ea] - at_a[pi[take]])]
    b_ends = [(network.u[eb], at_b[pj[take]]), (network.v[eb], network.length[eb] - at_b[pj[take]])]
    sources = np.unique(np.concatenate([network.u[eb], network.v[eb]]))
    row = pd.Series(np.arange(len(sources)), index=sources)
    best = np.where(ea == eb, np.abs(at_a[pi[take]] - at_b[pj[take]]), np.inf)
    for start in range(0, len(sources), 200):  # bounded searches from the sites' nodes, in blocks
        chunk = sources[start:start + 200]
        dist = network.distances("walk", chunk, limit_m)
        for node_b, off_b in b_ends:
            mine = np.isin(node_b, chunk)
            r = row.reindex(node_b[mine]).to_numpy() - start
            for node_a, off_a in a_ends:
                through = dist[r, node_a[mine]] + off_a[mine] + off_b[mine]
                best[mine] = np.minimum(best[mine], through)
    metres[take] = best + gap_a[pi[take]] + gap_b[pj[take]]
    straight = np.hypot(*(a_xy[pi] - b_xy[pj]).T)
    metres = np.where(np.isfinite(metres), np.maximum(metres, straight), np.nan)
    return metres, covered


def street_lines(streets: Any) -> Any:
    """A streets table's lines for a map's background (the streets cyclists or cars use; the
    footpaths left out as clutter); None without geometry."""
    import geopandas as gpd

    if not isinstance(streets, gpd.GeoDataFrame) or streets.geometry.name not in streets.columns:
        return None
    keep = streets["bike"].astype(bool) | streets["car"].astype(bool) if {"bike", "car"} <= set(streets.columns) \
        else pd.Series(True, index=streets.index)
    return streets.geometry[keep.to_numpy()].reset_index(drop=True)
