"""Speed of the two headline planning questions: this project against a plain highspy model.

    .venv/bin/python benchmarks/speed.py [--cases zuidas,centre,city,quays,city-proof]

For each instance, one run side by side on this machine, one HiGHS thread each, whole
process wall time (start-up, loading, building, solving, and for this project the cascade
check and the result folder with --out):

* this project: ``optimise solve INSTANCE --threads 1 --gap G --out TMP --json``;
* the plain model: ``benchmarks/plain_highspy.py INSTANCE --threads 1 --gap G``, the model of
  the problem's docstring written directly in highspy (same data through the engine's
  loader, HiGHS defaults, no cache: ``OPTIMISE_CACHE=off``).

This project runs twice where the instance has derived data it caches (the quays' detours):
first with an empty cache, then again (a planner's second run). Then a what-if (Zuidas: the
busiest hub of the plan forbidden; full quays: air quality weighted twice) solved by this
project from the first plan (``--start``) and by the plain model from scratch. The runs alternate (plain,
ours, plain, …) so that a slow spell of the machine hits both. Prints and writes
benchmarks/results/speed.md: walls, solve seconds, statuses and gaps, both objectives, the
ratio, peak memory, and the geometric mean of the ratios.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import OPTIMISE, ROOT, byte_compile, measure, publish  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"

#: name -> (label, instance, gap, time limit)
CASES = {
    "zuidas": ("Zuidas hubs, proven optimal", "instances/zuidas-hubs", 0.0, 600),
    "centre": ("centre quays, proven optimal", "instances/amsterdam-quays-small", 0.0, 600),
    "city": ("whole-city hubs, gap 1 %", "instances/amsterdam-hubs", 0.01, 600),
    "city-proof": ("whole-city hubs, proven optimal (cap 600 s)", "instances/amsterdam-hubs", 0.0, 600),
    "quays": ("full quays, gap 0.25 % (cap 600 s)", "instances/amsterdam-quays", 0.0025, 600),
}
CACHED = {"centre", "quays"}  # instances whose detours are cached between runs


def busiest_hub(hubs: Any) -> str:
    """The id of the open hub with the most users in a plan's hubs table."""
    return str(hubs[hubs["open"].astype(bool)].sort_values("users").iloc[-1]["id"])


def busiest_hub_forbidden(folder: Path) -> str:
    import pandas as pd

    return f"sites.forbidden={{{busiest_hub(pd.read_csv(folder / 'hubs.csv'))}=true}}"


#: name -> (label, the what-if as --set, read from the first plan's folder)
WHAT_IFS = {
    "zuidas": ("Zuidas what-if: the busiest hub forbidden", busiest_hub_forbidden),
    "quays": ("full quays what-if: air quality weighted twice", lambda folder: "weight_air=2"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="zuidas,centre,city,quays")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "speed.md")
    args = parser.parse_args()
    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    byte_compile()
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as folders:
        ours_env = {**os.environ, "OPTIMISE_CACHE": cache}
        plain_env = {**os.environ, "OPTIMISE_CACHE": "off"}
        for name in names:
            label, instance, gap, limit = CASES[name]
            plain, plain_wall, plain_mb = measure(
                [str(PYTHON), "benchmarks/plain_highspy.py", instance, "--threads", "1", "--gap", str(gap),
                 "--time-limit", str(limit)], plain_env)
            runs = []
            for attempt in range(2 if name in CACHED else 1):
                out = Path(folders) / f"{name}-{attempt}"
                ours, wall, mb = measure([str(OPTIMISE), "solve", instance, "--threads", "1", "--gap", str(gap),
                                          "--time-limit", str(limit), "--out", str(out), "--json"], ours_env)
                runs.append((ours, wall, mb, "cold cache" if name in CACHED and attempt == 0 else
                             "cached detours" if name in CACHED else ""))
            for ours, wall, mb, note in runs:
                rows.append((label + (f" ({note})" if note else ""), ours, wall, mb, plain, plain_wall, plain_mb))
                print(f"{rows[-1][0]}: ours {wall:.1f} s, plain {plain_wall:.1f} s", flush=True)
            if name in WHAT_IFS:
                what, setting = WHAT_IFS[name]
                first = Path(folders) / f"{name}-{len(runs) - 1}"
                change = setting(first)
                plain, plain_wall, plain_mb = measure(
                    [str(PYTHON), "benchmarks/plain_highspy.py", instance, "--threads", "1", "--gap", str(gap),
                     "--time-limit", str(limit), "--set", change], plain_env)
                ours, wall, mb = measure([str(OPTIMISE), "solve", instance, "--threads", "1", "--gap", str(gap),
                                          "--time-limit", str(limit), "--set", change, "--start", str(first),
                                          "--out", str(Path(folders) / f"{name}-what-if"), "--json"], ours_env)
                rows.append((f"{what} (from the first plan)", ours, wall, mb, plain, plain_wall, plain_mb))
                print(f"{rows[-1][0]}: ours {wall:.1f} s, plain {plain_wall:.1f} s", flush=True)

    def solve_time(ours: dict) -> float:
        """HiGHS's run and the problem's own head start before it (a first plan, its bound)."""
        return ours["solve_seconds"] + (ours.get("model_size") or {}).get("start_seconds", 0.0)

    def objective_text(value: float | None) -> str:
        return "-" if value is None else f"{value:,.2f}"

    lines = [f"# Speed: this project against a plain highspy model ({platform.node()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, one HiGHS thread each)", "",
             "| case | ours: status, gap | ours: solve s | ours: wall s | ours: peak MB | plain: status, gap | "
             "plain: solve s | plain: wall s | plain: peak MB | ratio (wall) | objective ours | objective plain |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    for label, ours, wall, mb, plain, plain_wall, plain_mb in rows:
        ratio = plain_wall / wall
        ratios.append(ratio)
        ours_gap = "-" if ours.get("gap") is None else f"{ours['gap']:.4%}"
        plain_gap = "-" if plain.get("gap") is None else f"{plain['gap']:.4%}"
        lines.append(f"| {label} | {ours['status']}, {ours_gap} | {solve_time(ours):.2f} | {wall:.2f} | {mb:,.0f} "
                     f"| {plain['status']}, {plain_gap} | {plain['solve_seconds']:.2f} | {plain_wall:.2f} | "
                     f"{plain_mb:,.0f} | {ratio:.2f}× | {objective_text(ours.get('objective'))} | "
                     f"{objective_text(plain.get('objective'))} |")
    if ratios:
        mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        lines += ["", f"Geometric mean of the wall-time ratios (plain / ours): {mean:.2f}×."]
    lines += ["", "Solve s: HiGHS's own run (ours: with the problem's own head start before it, if any: the quays' "
              "LP-and-fix plan, which ends the solve when it is within the gap asked for of the LP bound; the "
              "whole city's hubs: LP-and-fix on the class-disaggregated LP). "
              "Wall s: the whole process, from start to exit. Peak MB: the largest resident set of the process "
              "(ru_maxrss)."]
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
