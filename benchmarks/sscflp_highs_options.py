"""HiGHS on what the SSCFLP reductions leave: its defaults against the options the
single-source problem sets after its head start (``SSCFLP.head_start_highs_options``).

    .venv/bin/python benchmarks/sscflp_highs_options.py [--only capb2 capb3 ...] [--time-limit S]

For each instance (default: capb2 and capb3, the two with the most pairs left): the head
start once (Lagrangian bound, first plan, reductions; as a solve with a 300 s limit runs
it), then HiGHS on the same reduced model, started from the same plan, one thread, with
each option set in turn: its defaults; its root heuristics off (RINS, RENS, the root
reduced-cost sub-MIP, feasibility jump); those and its restart off (what the problem uses).
Side by side in one run; writes ``benchmarks/results/sscflp_highs_options.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sscflp_large import DATA, report, write_instance  # noqa: E402
from optimise.problem import HEAD_START_SHARE  # noqa: E402
from optimise.solver import SolveOptions, solve_model  # noqa: E402
from problems.cflp import SSCFLP  # noqa: E402
from problems.formats import read_holmberg  # noqa: E402

HEURISTICS_OFF = {name: value for name, value in SSCFLP.head_start_highs_options.items()
                  if name != "mip_allow_restart"}
VARIANTS = {
    "HiGHS defaults": {},
    "root heuristics off": HEURISTICS_OFF,
    "heuristics and restart off (used)": SSCFLP.head_start_highs_options,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=["capb2", "capb3"])
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sscflp_highs_options")
    args = parser.parse_args()
    optima = pd.read_csv(DATA / "optima.csv")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in optima.itertuples():
            if case.instance not in args.only:
                continue
            problem = read_holmberg(write_instance(Path(tmp), case.instance, case.file, case.capacity))
            model = problem.build()
            t0 = time.perf_counter()
            figures = problem.starting_plan(model, t0 + HEAD_START_SHARE * args.time_limit, 0)
            head_start = time.perf_counter() - t0
            start = {id(v): v.value for v in model.component_data_objects(ctype=pyo.Var)}
            for variant, options in VARIANTS.items():
                for var in model.component_data_objects(ctype=pyo.Var):
                    var.set_value(start[id(var)])  # every variant starts from the head start's plan
                outcome = solve_model(model, SolveOptions(time_limit=args.time_limit, threads=1),
                                      warm_start=True, highs_options=options)
                row = {"instance": case.instance, "highs_options": variant, "pairs_kept": figures["pairs_kept"],
                       "head_start_s": round(head_start, 1), "status": outcome.status,
                       "objective": outcome.objective, "published": case.optimum, "gap": outcome.gap,
                       "highs_s": round(outcome.solve_seconds, 1), "nodes": outcome.nodes}
                rows.append(row)
                print(f"{case.instance:>6} {variant:>34} {outcome.status:>9} {outcome.objective:,.2f} "
                      f"gap {outcome.gap:.4%} {outcome.solve_seconds:7.1f} s, {outcome.nodes} nodes", flush=True)
            for var in getattr(model, "reduced", ()):
                var.unfix()
    report(pd.DataFrame(rows), args.out,
           "HiGHS on the reduced single-source models: defaults against the options used after the head start",
           f"time limit {args.time_limit:g} s per solve. Each instance's head start (bound, first plan, reductions) "
           "ran once; every option set solves the same reduced model from the same plan.",
           "highs_s: HiGHS's own time on the reduced model; head_start_s: the Lagrangian bound, the first plan and "
           "the reductions (once per instance); pairs_kept: of 100,000 site-customer pairs.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
