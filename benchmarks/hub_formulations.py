"""The hub model's links: as `hub_siting` writes them, against the class-disaggregated form.

    .venv/bin/python benchmarks/hub_formulations.py [--city-seconds 240]

``hub_siting`` links pair (i, j) to its site by x_ij ≤ Σ_k y_jk and caps the site by
Σ_i q_ij x_ij ≤ Σ_k V_k y_jk. Its LP relaxation can open a site as a mix of classes (half a
small hub, half a large one) that serves some points wholly with the large class's places
at the mix's cost. The class-disaggregated form splits each share by class,

    x_ij = Σ_k x_ijk,   x_ijk ≤ y_jk,   Σ_i q_ij x_ijk ≤ V_k y_jk,

which is the convex hull of one site's choices (Balas's disjunctive form), at the price of a
column and a row per pair and class. Measured here, one HiGHS thread each, on the same
data through the engine's loader: the LP bound, the time to prove Zuidas optimal, the
whole-city run to a 1 % gap, and the whole city's gap after ``--city-seconds``. Prints and
writes benchmarks/results/hub_formulations.md. (An idea measured for issue 23, not adopted:
see the table for why.)
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

import pyomo.core as pyo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, publish  # noqa: E402

from optimise.instance import load_instance  # noqa: E402
from optimise.solver import SolveOptions, load_model, run_highs, solve_model  # noqa: E402
from problems.hub_siting import HubSiting  # noqa: E402
from problems.hub_siting.model import define_class_links  # noqa: E402


def lp_bound(problem: HubSiting, form: str) -> tuple[float, float, int, int]:
    """LP bound, seconds, rows and columns of the form."""
    m = build(problem, form)
    loaded = load_model(m, SolveOptions(threads=1), relax=True)
    loaded.highs.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    run_highs(loaded.highs)
    return (loaded.highs.getInfo().objective_function_value, time.perf_counter() - t0,
            loaded.highs.getNumRow(), loaded.highs.getNumCol())


def build(problem: HubSiting, form: str) -> pyo.ConcreteModel:
    m = problem.build()
    if form == "disaggregated":
        define_class_links(m, problem.data, problem.params)
    return m


def solve(problem: HubSiting, form: str, **options: Any) -> dict[str, Any]:
    m = build(problem, form)
    t0 = time.perf_counter()
    out = solve_model(m, SolveOptions(threads=1, **options))
    return {"status": out.status, "objective": out.objective, "bound": out.bound, "gap": out.gap,
            "seconds": time.perf_counter() - t0, "nodes": out.nodes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city-seconds", type=float, default=240.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hub_formulations.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    forms = ("as written", "disaggregated")
    zuidas = HubSiting.from_instance(load_instance(ROOT / "instances" / "zuidas-hubs"))
    city = HubSiting.from_instance(load_instance(ROOT / "instances" / "amsterdam-hubs"))
    lines = [f"# Hub links: as written against class-disaggregated ({platform.node() or 'this machine'}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, one HiGHS thread)", "",
             "| instance | run | form | rows × columns | status | objective | bound | gap | seconds | nodes |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def row(name: str, run: str, form: str, size: str, r: dict[str, Any]) -> None:
        gap = "" if r.get("gap") is None else f"{r['gap']:.3%}"
        objective = "" if r.get("objective") is None else f"{r['objective']:,.1f}"
        lines.append(f"| {name} | {run} | {form} | {size} | {r['status']} | {objective} | {r['bound']:,.1f} | {gap} | "
                     f"{r['seconds']:.2f} | {r.get('nodes', '')} |")

    for name, problem in (("Zuidas", zuidas), ("whole city", city)):
        for form in forms:
            bound, seconds, rows, cols = lp_bound(problem, form)
            row(name, "LP relaxation", form, f"{rows:,} × {cols:,}", {"status": "LP", "bound": bound, "seconds": seconds})
    for form in forms:  # interleaved: a slow spell of the machine hits both forms
        row("Zuidas", "proven optimal", form, "", solve(zuidas, form))
    for form in forms:
        row("whole city", "gap 1 %", form, "", solve(city, form, gap=0.01))
    for form in forms:
        row("whole city", f"prove optimality, {args.city_seconds:g} s cap", form, "",
            solve(city, form, time_limit=args.city_seconds))
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
