"""The sparse-matrix street network against networkx on small random networks."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from optimise.streets import StreetNetwork


def _random_streets(seed: int, n_nodes: int = 9, n_edges: int = 18) -> pd.DataFrame:
    rng = np.random.default_rng(seed)  # lengths drawn from a continuum: one shortest path
    u = rng.integers(0, n_nodes, n_edges)
    v = rng.integers(0, n_nodes, n_edges)
    return pd.DataFrame({
        "id": [f"S{k}" for k in range(n_edges)], "u": [f"n{x}" for x in u], "v": [f"n{x}" for x in v],
        "length_m": rng.uniform(50, 500, n_edges), "car": rng.random(n_edges) < 0.7, "bike": True,
        "walk": True, "cars_per_hour": rng.integers(0, 300, n_edges).astype(float),
        "bikes_per_hour": rng.integers(0, 300, n_edges).astype(float), "walkers_per_hour": 10.0,
        "exposure": rng.integers(0, 5000, n_edges).astype(float)})


def _networkx_reroute(table: pd.DataFrame, mode: str, closed: list[int],
                      share: list[float]) -> tuple[float, float, float, float]:
    """The rule of StreetNetwork.reroute, written with networkx: stretches of hard-closed
    edges detour between their farthest ends still joined to open streets; softly closed
    edges round themselves, and cost length / (1 - share) to the other detours. Returns the
    extra km, the extra time-equivalent km, the flow cut and the exposure km."""
    flow_col = {"car": "cars_per_hour", "bike": "bikes_per_hour", "walk": "walkers_per_hour"}[mode]
    usable = [e for e in closed if table.iloc[e][mode] and table.iloc[e]["u"] != table.iloc[e]["v"]]
    moving = {e: table.iloc[e][flow_col] * s for e, s in zip(closed, share) if e in usable}
    hard = {e for e, s in zip(closed, share) if e in usable and s > 0.5}
    slower = {e: s for e, s in zip(closed, share) if e in usable and 0 < s <= 0.5}

    def network(without: set[int]) -> nx.MultiGraph:
        graph = nx.MultiGraph()
        graph.add_nodes_from(set(table["u"]) | set(table["v"]))
        for k, r in table.iterrows():
            if r[mode] and k not in without and r["u"] != r["v"]:
                cost = r["length_m"] / (1.0 - (slower.get(k, 0.0) if k not in without else 0.0))
                graph.add_edge(r["u"], r["v"], key=k, length=r["length_m"], cost=cost,
                               weighted=r["length_m"] * r["exposure"])
        return graph

    def legs(graph: nx.MultiGraph, nodes: list[str]) -> list[dict]:
        return [min(graph.get_edge_data(a, b).values(), key=lambda x: x.get("cost", x["length"]))
                for a, b in zip(nodes[:-1], nodes[1:])]

    def shortest(graph: nx.MultiGraph, a: str, b: str) -> list[str]:
        return nx.shortest_path(graph, a, b, weight=lambda x, y, d: min(v.get("cost", v["length"]) for v in d.values()))

    units = []  # (graph, ends, flow, along legs, closed for half or less)
    rest = network(hard)
    closed_graph = nx.MultiGraph()
    for e in hard:
        r = table.iloc[e]
        closed_graph.add_edge(r["u"], r["v"], key=e, length=r["length_m"], weighted=r["length_m"] * r["exposure"])
    for part in nx.connected_components(closed_graph):
        stretch = closed_graph.subgraph(part)
        flow = max(moving[k] for _, _, k in stretch.edges(keys=True))
        if flow <= 0:
            continue
        ends = [x for x in part if rest.degree(x) > 0]
        if len(ends) < 2:
            units.append((None, None, flow, [], False))
            continue
        a, b = max(((a, b) for a in ends for b in ends if a != b),
                   key=lambda p: nx.shortest_path_length(stretch, p[0], p[1], weight="length"))
        units.append((rest, (a, b), flow, legs(stretch, shortest(stretch, a, b)), False))
    for e in usable:
        if e not in hard and moving[e] > 0:
            r = table.iloc[e]
            units.append((network(hard | {e}), (r["u"], r["v"]), moving[e],
                          [{"length": r["length_m"], "weighted": r["length_m"] * r["exposure"]}], True))
    extra = cost = cut = exposure = 0.0
    for graph, ends, flow, along, soft in units:
        try:
            path = legs(graph, shortest(graph, *ends)) if graph is not None else None
        except nx.NetworkXNoPath:
            path = None
        if path is None:
            cut += 0.0 if soft else flow  # a street half open with no way round keeps its traffic
            continue
        extra += flow * max(sum(x["length"] for x in path) - sum(x["length"] for x in along), 0.0) / 1000.0
        cost += flow * max(sum(x["cost"] for x in path) - sum(x["length"] for x in along), 0.0) / 1000.0
        exposure += flow * max(sum(x["weighted"] for x in path) - sum(x["weighted"] for x in along), 0.0) / 1000.0
    return extra, cost, cut, exposure


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["car", "bike"]), st.lists(st.integers(0, 17), min_size=1, max_size=5,
                                                                          unique=True),
       st.lists(st.sampled_from([0.25, 0.5, 1.0]), min_size=5, max_size=5))
def test_reroute_matches_networkx(seed, mode, closed, shares):
    table = _random_streets(seed)
    network = StreetNetwork(table)
    share = shares[:len(closed)]
    got = network.reroute(mode, np.array(closed), np.array(share))
    extra, cost, cut, exposure = _networkx_reroute(table, mode, closed, share)
    assert np.isclose(got.extra_km, extra) and np.isclose(got.extra_cost_km, cost)
    assert np.isclose(got.cut, cut) and np.isclose(got.exposure_km, exposure)


def test_a_closed_bridge_sends_each_mode_round_its_own_network():
    # a square a-b-c-d with a bridge a-b; cars may not use the footpath d-a
    table = pd.DataFrame({
        "id": ["bridge", "bc", "cd", "da"], "u": ["a", "b", "c", "d"], "v": ["b", "c", "d", "a"],
        "length_m": [100.0, 300.0, 100.0, 300.0], "car": [True, True, True, False], "bike": True, "walk": True,
        "cars_per_hour": [600.0, 0, 0, 0], "bikes_per_hour": [900.0, 0, 0, 0], "walkers_per_hour": [100.0, 0, 0, 0]})
    network = StreetNetwork(table)
    closed = np.array([0])
    car = network.reroute("car", closed, np.array([1.0]), with_paths=True)
    bike = network.reroute("bike", closed, np.array([1.0]), with_paths=True)
    assert car.cut == 600.0 and car.extra_km == 0.0  # no road round the bridge
    assert np.isclose(bike.extra_km, 900 * 0.6) and bike.paths[0] == [3, 2, 1]
    assert np.isclose(bike.hours(15.0), 900 * 0.6 / 15.0)
    # half the lanes closed and no way round: the traffic stays on the half still open
    half = network.reroute("car", closed, np.array([0.5]))
    assert half.cut == 0.0 and half.extra_km == 0.0


def test_a_closed_quay_street_detours_once_between_its_ends():
    # quay street a-b-c-d along the water, a parallel street e-f-g-h joined at a-e and d-h, a
    # dead-end alley b-x; closing the quay street sends its 500 cars an hour round e-h once
    ids = ["ab", "bc", "cd", "ef", "fg", "gh", "ae", "dh", "bx"]
    ends = ["ab", "bc", "cd", "ef", "fg", "gh", "ae", "dh", "bx"]
    table = pd.DataFrame({
        "id": ids, "u": [e[0] for e in ends], "v": [e[1] for e in ends], "length_m": 100.0, "car": True,
        "bike": True, "walk": True, "cars_per_hour": [500.0, 500.0, 400.0, 100, 100, 100, 50, 50, 10],
        "bikes_per_hour": 0.0, "walkers_per_hour": 0.0})
    network = StreetNetwork(table)
    quay = network.reroute("car", np.arange(3), np.ones(3), with_paths=True)
    assert quay.cut == 0.0 and np.isclose(quay.extra_km, 500 * 0.2)
    assert [network.ids[e] for e in next(iter(quay.paths.values()))] in (["ae", "ef", "fg", "gh", "dh"], ["dh", "gh", "fg", "ef", "ae"])
    # with the rung d-h closed too, the stretch runs a-b-c-d-h and the detour a-e-f-g-h is as long
    assert network.reroute("car", np.array([0, 1, 2, 7]), np.ones(4)).extra_km == 0.0
    # with f-g closed too, neither stretch has a way round: both flows are cut
    assert network.reroute("car", np.array([0, 1, 2, 4]), np.ones(4)).cut == 600.0


def test_walks_join_the_nearest_street_and_go_round_the_block():
    import geopandas as gpd
    from shapely import LineString

    from optimise.streets import walking_metres

    corners = {"a": (0, 0), "b": (100, 0), "c": (100, 100), "d": (0, 100)}
    sides = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]
    streets = gpd.GeoDataFrame({
        "id": [u + v for u, v in sides], "u": [u for u, _ in sides], "v": [v for _, v in sides],
        "length_m": 100.0, "walk": True, "source": "OpenStreetMap"},
        geometry=[LineString([corners[u], corners[v]]) for u, v in sides])
    a = np.array([[50.0, -10.0], [20.0, -5.0], [500.0, 500.0]])
    b = np.array([[50.0, 110.0], [70.0, -5.0]])
    metres, covered = walking_metres(streets, a, b, np.array([0, 1, 2]), np.array([0, 1, 0]), snap_m=50, limit_m=1000)
    # out 10 m, 50 m to a corner, 100 m up, 50 m along, 10 m in; on one street: 5 + 50 + 5
    assert np.allclose(metres[:2], [220.0, 60.0]) and covered.tolist() == [True, True, False]
    assert np.isnan(metres[2])
