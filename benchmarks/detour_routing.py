"""One shortest detour against K shortest paths (de Weert et al. 2024) on the real streets.

    .venv/bin/python benchmarks/detour_routing.py [--instance instances/amsterdam-quays-small] [--k 3]

De Weert et al. route the traffic of a closure over the K shortest paths round it; the quay
problem sends each closed stretch's flow along its one shortest detour (optimise.streets). This
script measures how far apart the two are on the instance's closures, per mode: for every work,
each hard-closed stretch (the rule of ``StreetNetwork.reroute``) between its two farthest ends,
the K shortest loopless paths (Yen's algorithm, networkx) on the mode's streets without the
closed edges. It reports the flow-weighted extra km of the one shortest path, of an equal split
over the K paths that are at most 1.5 × the shortest (a common "reasonable route" filter), and
of a logit split over all K (θ = 1 per km of difference), with the seconds each took. Without
observed route choices neither can be called right; the table says how much the choice moves
the hindrance figures. Prints and writes benchmarks/results/detour_routing.md.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, publish  # noqa: E402

from optimise.files import read_table  # noqa: E402
from optimise.streets import MODES, StreetNetwork  # noqa: E402

REASONABLE = 1.5  # a path longer than this × the shortest is not taken in the equal split
THETA_PER_KM = 1.0  # logit sensitivity to the difference in length


def k_paths(graph: nx.Graph, source: int, target: int, k: int) -> list[float]:
    """Lengths (m) of up to ``k`` shortest loopless paths from source to target."""
    try:
        paths = itertools.islice(nx.shortest_simple_paths(graph, source, target, weight="weight"), k)
        return [float(nx.path_weight(graph, p, "weight")) for p in paths]
    except nx.NetworkXNoPath:
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", type=Path, default=ROOT / "instances" / "amsterdam-quays-small")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "detour_routing.md")
    args = parser.parse_args()
    streets = pd.DataFrame(read_table(args.instance / "streets.parquet"))
    closures = pd.read_csv(args.instance / "closures.csv")
    network = StreetNetwork(streets.drop(columns="geometry", errors="ignore"))
    lines = [f"# One shortest detour against {args.k} shortest paths ({args.instance.name}, {platform.node()}, "
             f"Python {platform.python_version()})", "",
             "Flow-weighted extra km per hour of traffic, summed over every work's hard-closed stretches.", "",
             "| mode | stretches | one shortest path | equal split within 1.5× | logit split | "
             "equal / shortest | logit / shortest | seconds, shortest | seconds, K paths |",
             "|---|---|---|---|---|---|---|---|---|"]
    for mode in MODES:
        stretches, one, equal, logit, t_one, t_k = 0, 0.0, 0.0, 0.0, 0.0, 0.0
        for _, mine in closures.groupby("work"):
            closed = np.array([network.position[e] for e in mine["street"].astype(str)])
            share = mine[mode].to_numpy(float)
            hard = np.unique(closed[(share > 0.5) & network.open[mode][closed]])
            if not len(hard):
                continue
            flow = network.flow[mode][closed] * share
            start = time.perf_counter()
            base = network.without(mode, hard)
            units = [u for u in network._stretches(base, closed[share > 0.5], flow[share > 0.5]) if u[1] >= 0]
            found = network._search(base, [(u[1], u[2]) for u in units])
            t_one += time.perf_counter() - start
            start = time.perf_counter()
            graph = nx.from_scipy_sparse_array(base)
            graph.remove_edges_from([(a, b) for a, b, w in graph.edges(data="weight") if not np.isfinite(w)])
            for _, a, b, f, along in units:
                d = found[a][0][b]
                if not np.isfinite(d):
                    continue
                along_m = float(network.length[along].sum())
                lengths = np.array(k_paths(graph, a, b, args.k))
                stretches += 1
                one += f * max(d - along_m, 0.0) / 1000
                near = lengths[lengths <= REASONABLE * lengths[0]]
                equal += f * max(near.mean() - along_m, 0.0) / 1000
                weight = np.exp(-THETA_PER_KM * (lengths - lengths[0]) / 1000)
                logit += f * max(float((weight * lengths).sum() / weight.sum()) - along_m, 0.0) / 1000
            t_k += time.perf_counter() - start
        lines.append(f"| {mode} | {stretches:,} | {one:,.0f} | {equal:,.0f} | {logit:,.0f} | "
                     f"{equal / one if one else float('nan'):.2f} | {logit / one if one else float('nan'):.2f} | "
                     f"{t_one:.1f} | {t_k:.1f} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
