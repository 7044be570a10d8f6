"""City-scale location problems: a seeded synthetic city, solved to a proven gap.

    .venv/bin/python benchmarks/city_scale.py [--demand 20000] [--sites 2000] [--p 50]
                                              [--radius 400] [--gap 0.001] [--seed 7]
                                              [--time-limit 300] [--only p_median|mclp]

Demand points are drawn around 12 centres (a dense core and lighter outer districts) in a
10 x 10 km square with lognormal weights; candidate sites are a random subset of street-like
grid points. Prints and writes (benchmarks/results/city_scale.md) seconds, build seconds,
peak memory (resident set sampled while each problem runs), status, objective, bound and
gap for p-median and MCLP. The time limit (default 300 s, the issue's floor) applies to the
solver; the seconds reported count everything from the cost matrix to the extracted plan.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _memory import PeakRSS  # noqa: E402
from problems.mclp import MCLP  # noqa: E402
from problems.p_median import PMedian  # noqa: E402


def synthetic_city(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(1500, 8500, size=(12, 2))
    spread = rng.uniform(400, 1500, size=12)
    share = rng.dirichlet(np.ones(12) * 2)
    which = rng.choice(12, size=n, p=share)
    demand = np.clip(centres[which] + rng.normal(size=(n, 2)) * spread[which, None], 0, 10000)
    weights = np.round(rng.lognormal(3.0, 0.6, size=n))
    grid = np.stack(np.meshgrid(np.arange(50, 10000, 100), np.arange(50, 10000, 100)), axis=-1).reshape(-1, 2)
    sites = grid[rng.choice(len(grid), size=m, replace=False)].astype(float)
    return demand, sites, weights


def city_arguments(parser: argparse.ArgumentParser) -> None:
    """The seeded city's size, p, service radius and seed (shared by the city benchmarks)."""
    parser.add_argument("--demand", type=int, default=20000)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--p", type=int, default=50)
    parser.add_argument("--radius", type=float, default=400.0)
    parser.add_argument("--seed", type=int, default=7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    city_arguments(parser)
    parser.add_argument("--gap", type=float, default=0.001)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--only", choices=["p_median", "mclp"], default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "city_scale.md")
    args = parser.parse_args()
    demand, sites, weights = synthetic_city(args.demand, args.sites, args.seed)
    rows = []
    for name, cls, params in (("p_median", PMedian, {"p": args.p}),
                              ("mclp", MCLP, {"p": args.p, "service_radius": args.radius})):
        if args.only and name != args.only:
            continue
        t0 = time.perf_counter()
        with PeakRSS(0.01) as peak:
            dist = cdist(demand, sites)
            result = cls.from_cost_matrix(dist, weights=weights, **params).solve(gap=args.gap,
                                                                                 time_limit=args.time_limit)
            del dist
        seconds = time.perf_counter() - t0
        how = result.formulation
        if "start_bound" in result.size:
            how += " + Lagrangian start"
        if "start_objective" in result.size:
            how += (f" + local-search start ({result.size['start_objective']:,.0f} "
                    f"in {result.size['start_seconds']:.0f} s)")
        rows.append((name, f"{args.demand} x {args.sites}", args.p, result.status,
                     "-" if result.objective is None else f"{result.objective:,.0f}",
                     "-" if result.bound is None else f"{result.bound:,.0f}",
                     "-" if result.gap is None else f"{result.gap:.3%}", f"{seconds:.1f}",
                     f"{result.build_seconds:.1f}", f"{peak.mb:,.0f}", how))
        print(" | ".join(str(c) for c in rows[-1]), flush=True)
    header = ("| problem | size | p | status | objective | bound | gap | seconds | build s "
              "| peak MB | formulation |")
    title = (f"# City-scale location problems (seed {args.seed}, gap target {args.gap:.2%}, "
             f"time limit {args.time_limit:.0f} s)")
    machine = (f"{platform.machine()}, Python {platform.python_version()}, command: "
               f"`{' '.join(['.venv/bin/python benchmarks/city_scale.py', *sys.argv[1:]])}`")
    lines = [title, "", machine, "", header,
             "|" + "---|" * 11] + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
