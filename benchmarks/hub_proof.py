"""What proving a hub plan optimal costs, and how far each known bound is from the optimum.

    .venv/bin/python benchmarks/hub_proof.py [--city-seconds 60] [--no-city]

Issue 23 asks for Zuidas's hubs proven optimal in under 2 s and a one-site what-if in under
1 s. This benchmark separates the two halves of a proof, finding the optimum and closing the
bound, on the same model (``hub_siting`` as written, one HiGHS thread):

- the bounds: the LP relaxation as written, the class-disaggregated LP
  (``model.define_class_links``, the convex hull of each site's choices) and HiGHS's root
  bound after its cuts (a run stopped after the root node, restarts included: ``mip_max_nodes = 1``);
- HiGHS with its defaults, then from the plan that run ended with (``setSolution`` on every y;
  the optimum where the run proved it), then from that plan with its sub-MIP heuristics
  (RINS, RENS, root reduced-cost, feasibility jump) and its restart off: the last is the time
  of the proof alone, as if a heuristic of ours had handed HiGHS the optimum at no cost.

Cases: Zuidas, the Zuidas what-if of ``benchmarks/speed.py`` (the busiest hub of the plan
forbidden), and the whole city with a time cap (no run proves it). Prints and writes
benchmarks/results/hub_proof.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hub_formulations import lp_bound  # noqa: E402
from hubs import ROOT, publish  # noqa: E402
from speed import busiest_hub  # noqa: E402

from optimise.cli import _overrides  # noqa: E402
from optimise.loading import load_problem  # noqa: E402
from optimise.solver import SolveOptions, load_model, run_highs, solve_model  # noqa: E402
from problems.cflp import SSCFLP  # noqa: E402
from problems.hub_siting import HubSiting  # noqa: E402

#: HiGHS's sub-MIP heuristics and restart: what it spends on finding plans once it has one
#: (the set the single-source problem turns off after its head start).
SEARCH_OFF = SSCFLP.head_start_highs_options


def root_bound(problem: HubSiting) -> tuple[float, float]:
    """HiGHS's dual bound when it stops after the root node (cuts, no branching)."""
    loaded = load_model(problem.build(), SolveOptions(threads=1))
    loaded.highs.setOptionValue("mip_max_nodes", 1)
    t0 = time.perf_counter()
    run_highs(loaded.highs)
    return loaded.highs.getInfo().mip_dual_bound, time.perf_counter() - t0


def solve(problem: HubSiting, seconds: float, start: np.ndarray | None = None,
          highs_options: dict[str, Any] | None = None) -> tuple[dict[str, Any], np.ndarray, str]:
    """One HiGHS run (from ``start``, a 0/1 value per y, if given): its figures, its y and the
    id of its busiest hub (most users, as ``benchmarks/speed.py``'s what-if picks it)."""
    m = problem.build()
    pairs = list(zip(m.y_list, start.tolist())) if start is not None else None
    t0 = time.perf_counter()
    out = solve_model(m, SolveOptions(threads=1, gap=0.0, time_limit=seconds), start=pairs, highs_options=highs_options)
    figures = {"status": out.status, "objective": out.objective, "bound": out.bound, "gap": out.gap,
               "nodes": out.nodes, "seconds": time.perf_counter() - t0}
    busiest = busiest_hub(problem.extract(m, out).tables["hubs"])
    return figures, np.array([round(v.value or 0.0) for v in m.y_list], dtype=float), busiest


def case_rows(label: str, problem: HubSiting, seconds: float) -> tuple[list[str], str]:
    """The table rows of one case, and the busiest hub of its plan."""
    bounds = [("LP relaxation as written", *lp_bound(problem, "as written")[:2]),
              ("LP relaxation, class-disaggregated", *lp_bound(problem, "disaggregated")[:2]),
              ("HiGHS root (cuts, no branching)", *root_bound(problem))]
    first, y, busiest = solve(problem, seconds)
    runs = [("HiGHS defaults", first),
            ("HiGHS from that plan", solve(problem, seconds, y)[0]),
            ("HiGHS from that plan, sub-MIP heuristics and restart off", solve(problem, seconds, y, SEARCH_OFF)[0])]
    best = first["objective"]
    rows = [f"| {label} | {name} | bound |  | {value:,.1f} | {(best - value) / abs(best):.3%} below the best plan |  "
            f"| {secs:.2f} |" for name, value, secs in bounds]
    rows += [f"| {label} | {name} | {f['status']} | {f['objective']:,.2f} | {f['bound']:,.1f} | {f['gap']:.4%} | "
             f"{f['nodes']:,} | {f['seconds']:.2f} |" for name, f in runs]
    return rows, busiest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="cap on each Zuidas run")
    parser.add_argument("--city-seconds", type=float, default=60.0, help="cap on each whole-city run")
    parser.add_argument("--no-city", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hub_proof.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    zuidas = ROOT / "instances" / "zuidas-hubs"
    lines = [f"# Proving hub plans optimal: bounds and proof time ({platform.node() or 'this machine'}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, one HiGHS thread)", "",
             "| case | run | status | objective | bound | gap | nodes | seconds |", "|---|---|---|---|---|---|---|---|"]
    problem = load_problem(zuidas, None, {})[0]
    rows, forbidden = case_rows("Zuidas", problem, args.seconds)
    lines += rows
    what_if = load_problem(zuidas, None, _overrides([f"sites.forbidden={{{forbidden}=true}}"]))[0]
    lines += case_rows(f"Zuidas, {forbidden} forbidden", what_if, args.seconds)[0]
    if not args.no_city:
        city = load_problem(ROOT / "instances" / "amsterdam-hubs", None, {})[0]
        lines += case_rows("whole city", city, args.city_seconds)[0]
    lines += ["", "Bound rows: the gap column is how far the bound lies below the best plan of the case's "
              "HiGHS-defaults run (the optimum where that run proved it). \"From that plan\": HiGHS is "
              "handed the defaults run's plan (every y) and must only prove it (or close the gap). Seconds: HiGHS's run (bound rows: "
              "the LP or the root alone), not the process."]
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
