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


def _networkx_reroute(table: pd.DataFrame, mode: str, closed: list[int], share: list[float]) -> tuple[float, float, float]:
    flow_col = {"car": "cars_per_hour", "bike": "bikes_per_hour", "walk": "walkers_per_hour"}[mode]
    extra = cut = exposure = 0.0
    hard = {e for e, s in zip(closed, share) if s >= 0.5}
    for e, s in zip(closed, share):
        row = table.iloc[e]
        flow = row[flow_col] * s
        if flow <= 0 or not row[mode]:
            continue
        graph = nx.MultiGraph()
        graph.add_nodes_from(set(table["u"]) | set(table["v"]))
        for k, r in table.iterrows():
            if r[mode] and k not in hard and k != e and r["u"] != r["v"]:
                graph.add_edge(r["u"], r["v"], key=k, length=r["length_m"], weighted=r["length_m"] * r["exposure"])
        try:
            nodes = nx.shortest_path(graph, row["u"], row["v"], weight=lambda a, b, d: min(x["length"] for x in d.values()))
        except nx.NetworkXNoPath:
            cut += flow
            continue
        legs = [min(graph.get_edge_data(a, b).values(), key=lambda x: x["length"]) for a, b in zip(nodes[:-1], nodes[1:])]
        extra += flow * max(sum(x["length"] for x in legs) - row["length_m"], 0.0) / 1000.0
        exposure += flow * max(sum(x["weighted"] for x in legs) - row["length_m"] * row["exposure"], 0.0) / 1000.0
    return extra, cut, exposure


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["car", "bike"]), st.lists(st.integers(0, 17), min_size=1, max_size=3,
                                                                          unique=True),
       st.lists(st.sampled_from([0.25, 0.5, 1.0]), min_size=3, max_size=3))
def test_reroute_matches_networkx(seed, mode, closed, shares):
    table = _random_streets(seed)
    network = StreetNetwork(table)
    share = shares[:len(closed)]
    got = network.reroute(mode, np.array(closed), np.array(share))
    extra, cut, exposure = _networkx_reroute(table, mode, closed, share)
    assert np.isclose(got.extra_km, extra) and np.isclose(got.cut, cut) and np.isclose(got.exposure_km, exposure)


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
    # half the cars closed: the other half keeps the bridge, the half that moves is cut
    assert network.reroute("car", closed, np.array([0.5])).cut == 300.0
