"""optimise.network: the one detour rule (shortest path without the closed links)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from optimise.network import detour_path, detours, street_graph

#  A --1-- B --1-- C        link 0: A-B, link 1: B-C, link 2: A-D, link 3: D-C (the long way)
#  |               |        link 4: A-B again, 5 long (a parallel street)
#  +---3-- D --3---+
LINKS = pd.DataFrame({
    "id": ["AB", "BC", "AD", "DC", "AB2"],
    "from_node": ["A", "B", "A", "D", "A"], "to_node": ["B", "C", "D", "C", "B"],
    "length_m": [1.0, 1.0, 3.0, 3.0, 5.0], "load": [100.0, 100.0, 0.0, 0.0, 0.0],
})


def graph() -> nx.MultiGraph:
    g, links = street_graph(LINKS)
    assert list(links) == [0, 1, 2, 3, 4]
    return g


@pytest.mark.parametrize("removed, length, path", [
    (set(), 2.0, [0, 1]),
    ({0}, 6.0, [4, 1]),  # the parallel street
    ({0, 4}, 6.0, [2, 3]),  # round by D
    ({1, 3}, math.inf, []),  # C cut off
])
def test_detour_path(removed: set[int], length: float, path: list[int]) -> None:
    got_length, got_path = detour_path(graph(), "A", "C", removed)
    assert got_length == length and got_path == path


def test_detours_count_extra_vehicle_km_and_trips_cut() -> None:
    loss = np.zeros(5)
    loss[0] = 1.0  # A-B closed: 100 vehicles/h take the parallel street, 5 instead of 1 (m)
    d = detours(LINKS, graph(), np.arange(5), loss)
    assert d.extra_vehicle_km == pytest.approx(100 * 4 / 1000) and d.trips_cut == 0 and d.links_closed == 1
    loss[[1, 3]] = 1.0  # B-C and D-C closed: C cannot be reached from B
    assert detours(LINKS, graph(), np.arange(5), loss).trips_cut == pytest.approx(100)


def test_no_street_graph_without_link_columns() -> None:
    assert street_graph(pd.DataFrame({"id": ["a"]})) is None
