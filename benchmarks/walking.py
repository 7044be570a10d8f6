"""Walks on the streets against straight line x 1.3: pijp-hubs (every walk on the streets).

    .venv/bin/python benchmarks/walking.py

Loads the instance (walking distances on the real streets), and per band of straight-line
distance prints the pairs and the median ratio street walk / straight line, with the seconds the
street distances took. Prints and writes benchmarks/results/walking.md.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, publish  # noqa: E402


def main() -> int:
    from optimise.loading import load_problem

    start = time.perf_counter()
    problem, *_ = load_problem(ROOT / "instances" / "pijp-hubs", None, {})
    seconds = time.perf_counter() - start
    d = problem.data
    a = np.column_stack([d.demand_points.x, d.demand_points.y])[d.pairs[:, 0]]
    b = np.column_stack([d.site_points.x, d.site_points.y])[d.pairs[:, 1]]
    straight = np.hypot(*(a - b).T)
    ratio = d.walk_m / np.maximum(straight, 1.0)
    lines = [f"# Walks on the streets, pijp-hubs ({platform.node()}, Python {platform.python_version()})", "",
             f"{len(ratio):,} pairs within the longest walk, {int((d.walk_basis == 'streets').sum()):,} measured on the "
             f"streets; instance loaded in {seconds:.1f} s.", "",
             "| straight line | pairs | median street / straight | 10th pct | 90th pct |", "|---|---|---|---|---|"]
    for lo, hi in ((0, 100), (100, 200), (200, 400), (0, 400)):
        m = (straight >= lo) & (straight < hi)
        if m.any():
            lines.append(f"| {lo}–{hi} m | {int(m.sum()):,} | {np.median(ratio[m]):.2f} | {np.percentile(ratio[m], 10):.2f} | "
                         f"{np.percentile(ratio[m], 90):.2f} |")
    publish(lines, ROOT / "benchmarks" / "results" / "walking.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
