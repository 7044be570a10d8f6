"""Side by side with spopt: OR-Library p-median instances solved by this project, by spopt
with PuLP's CBC, and by spopt with HiGHS through PuLP, in one run on one machine.

    .venv/bin/pip install -e ".[peers]"                 # spopt and PuLP (not project dependencies)
    .venv/bin/python benchmarks/spopt_compare.py [--instances pmed1 ... ] [--cap 300]

Each solver gets the same cost matrix (shortest-path distances of the instance) and p. The
time is wall time from the cost matrix to the solved model (spopt: ``from_cost_matrix`` +
``solve``; ours: ``from_cost_matrix`` + ``solve``). A peer that reaches the cap is stopped
and reported as "capped", with its time counted as the cap (so its ratio is a lower bound).
Prints and writes benchmarks/results/spopt_compare.md: per instance the seconds, the
objective against the published optimum, the ratio peer/ours, and the geometric means.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubs import publish  # noqa: E402
from problems.formats import read_orlib_pmed  # noqa: E402

DATA = ROOT / "tests" / "data" / "benchmarks" / "orlib-pmed"


def ours(path: Path) -> tuple[float, float, str]:
    start = time.perf_counter()
    problem = read_orlib_pmed(path)
    result = problem.solve()
    return time.perf_counter() - start, float(result.objective), result.status


def peer(path: Path, solver: str, cap: float) -> tuple[float, float, str]:
    import numpy as np
    import pulp
    from spopt.locate import PMedian as SpoptPMedian

    data = read_orlib_pmed(path).data  # the same cost matrix (reading is not timed for anyone)
    p = int(read_orlib_pmed(path).params["p"])
    cost = np.asarray(data.distance, dtype=float)
    start = time.perf_counter()
    model = SpoptPMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p, name=path.stem)
    backend = pulp.PULP_CBC_CMD(msg=False, timeLimit=cap) if solver == "cbc" else pulp.HiGHS(msg=False, timeLimit=cap)
    model.solve(backend)
    seconds = time.perf_counter() - start
    status = pulp.LpStatus[model.problem.status]
    value = pulp.value(model.problem.objective)
    capped = seconds >= cap * 0.98
    return (cap if capped else seconds), float(value) if value is not None else math.nan, "capped" if capped else status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", nargs="*", default=[f"pmed{k}" for k in range(1, 11)])
    parser.add_argument("--cap", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "spopt_compare.md")
    args = parser.parse_args()
    try:
        import pulp  # noqa: F401
        import spopt  # noqa: F401
    except ImportError:
        print('the peers are not installed: .venv/bin/pip install "spopt>=0.7" "pulp>=2.8"', file=sys.stderr)
        return 2
    import pulp as _pulp
    import spopt as _spopt

    optimum = dict(line.split() for line in (DATA / "pmedopt.txt").read_text().splitlines()[1:] if line.strip())
    lines = [f"# This project vs spopt {_spopt.__version__} (PuLP {_pulp.__version__}) on OR-Library p-median "
             f"({platform.node()}, {os.cpu_count()} cores; peers capped at {args.cap:g} s)", "",
             "| instance | optimum | ours s | ours | spopt+CBC s | CBC | spopt+HiGHS s | HiGHS | CBC/ours | HiGHS/ours |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = {"cbc": [], "highs": []}
    for name in args.instances:
        path = DATA / f"{name}.txt"
        t_ours, z_ours, s_ours = ours(path)
        t_cbc, z_cbc, s_cbc = peer(path, "cbc", args.cap)
        t_highs, z_highs, s_highs = peer(path, "highs", args.cap)
        ratios["cbc"].append(t_cbc / t_ours)
        ratios["highs"].append(t_highs / t_ours)
        lines.append(f"| {name} | {optimum.get(name, '-')} | {t_ours:.2f} | {z_ours:g} {s_ours} | {t_cbc:.2f} | "
                     f"{z_cbc:g} {s_cbc} | {t_highs:.2f} | {z_highs:g} {s_highs} | {t_cbc / t_ours:.1f} | "
                     f"{t_highs / t_ours:.1f} |")
        print(lines[-1], flush=True)

    def geomean(values: list[float]) -> float:
        return math.exp(sum(math.log(v) for v in values) / len(values))

    lines += ["", f"Geometric mean of peer/ours over {len(args.instances)} instances: spopt+CBC "
              f"{geomean(ratios['cbc']):.1f}x, spopt+HiGHS {geomean(ratios['highs']):.1f}x (capped peers count "
              "as the cap: a lower bound)."]
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
