"""How far the LP bound alone is from the plans on the seeded city (why 0.1 % needs a tree).

    .venv/bin/python benchmarks/city_lp_gap.py [--demand 20000] [--sites 2000] [--p 50]
                                              [--radius 400] [--seed 7] [--seconds 60]

The city is the one of ``benchmarks/city_scale.py``. For the p-median: the Lagrangian bound
(which approaches the LP bound; ``--seconds`` of subgradient), the best plan of the head
start (vertex substitution from the most frequently chosen sites), their gap, and how many
sites Lagrangian reduced-cost fixing closes at that plan: a site j outside the Lagrangian
plan is closed in every better plan when L + ρ_j − ρ_(p) exceeds the plan's cost. For the
MCLP: the LP bound of the covering model (HiGHS, simplex), the plan of the local search
(greedy, best swaps, ``--seconds`` of iterated search) and their gap. Prints and writes
``benchmarks/results/city_lp_gap.md``.
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

from city_scale import city_arguments, synthetic_city  # noqa: E402
from optimise.solver import SolveOptions, load_model  # noqa: E402
from problems._covering_search import CoverSearch  # noqa: E402
from problems._pmedian_bounds import LagrangianDual, greedy_plan  # noqa: E402
from problems.mclp import MCLP  # noqa: E402
from problems.p_median import PMedian, RadiusCuts  # noqa: E402


def p_median_rows(cost: np.ndarray, p: int, seconds: float) -> list[tuple[str, str]]:
    n, m = cost.shape
    none = np.zeros(m, dtype=bool)
    model = PMedian.from_cost_matrix(cost, p=p).build()
    cuts = RadiusCuts(model, cost, p=p, fixed=none, forbidden=none)
    greedy = greedy_plan(cost, p, none, none, cuts.block)
    dual = LagrangianDual(cost, p, none, none)
    result = dual.solve(float(cost[:, greedy].min(axis=1).sum()), deadline=time.perf_counter() + seconds)
    plan = cuts.interchange(dual.frequent_plan(result.frequency)) > 0.5
    upper = float(cost[:, plan].min(axis=1).sum())
    bound, chosen = dual.value(result.multipliers)
    rho = dual.reduced_costs(result.multipliers)
    pth = np.sort(rho)[p - 1]
    closed = int(((bound + rho - pth > upper) & ~chosen).sum())
    return [("p-median Lagrangian bound", f"{bound:,.0f} ({result.iterations} steps, {result.seconds:.0f} s)"),
            ("p-median best plan of the head start", f"{upper:,.0f}"),
            ("p-median gap plan / Lagrangian bound", f"{(upper - bound) / upper:.3%}"),
            ("p-median sites closed by reduced-cost fixing", f"{closed:,} of {m:,} ({m - closed:,} free)")]


def mclp_rows(dist: np.ndarray, weights: np.ndarray, p: int, radius: float, seconds: float) -> list[tuple[str, str]]:
    problem = MCLP.from_cost_matrix(dist, weights=weights, p=p, service_radius=radius)
    cover, weight = problem.cover_groups()
    none = np.zeros(dist.shape[1], dtype=bool)
    search = CoverSearch(cover, weight, p, none, none)
    plan = search.iterate(search.greedy(), np.random.default_rng(0), time.perf_counter() + seconds)
    found = search.value(plan)
    loaded = load_model(problem.build(), SolveOptions(), relax=True)
    t0 = time.perf_counter()
    loaded.highs.run()
    lp = float(loaded.highs.getInfo().objective_function_value)
    return [("MCLP point groups", f"{cover.shape[0]:,} (from {dist.shape[0]:,} points)"),
            ("MCLP LP bound", f"{lp:,.0f} ({time.perf_counter() - t0:.0f} s)"),
            ("MCLP best plan of the local search", f"{found:,.0f}"),
            ("MCLP gap LP bound / plan", f"{(lp - found) / found:.3%}")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    city_arguments(parser)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "city_lp_gap.md")
    args = parser.parse_args()
    demand, sites, weights = synthetic_city(args.demand, args.sites, args.seed)
    dist = cdist(demand, sites)
    rows = p_median_rows(dist * weights[:, None], args.p, args.seconds)
    rows += mclp_rows(dist, weights, args.p, args.radius, args.seconds)
    for what, value in rows:
        print(f"{what:48s} {value}", flush=True)
    command = " ".join(["benchmarks/city_lp_gap.py", *sys.argv[1:]])
    lines = [f"# LP bounds and plans on the seeded city (seed {args.seed}, {args.demand} x {args.sites}, p {args.p})",
             "", f"{platform.machine()}, Python {platform.python_version()}, command: `.venv/bin/python {command}`",
             "", "| figure | value |", "|---|---|"] + [f"| {what} | {value} |" for what, value in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
