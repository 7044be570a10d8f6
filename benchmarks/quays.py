"""Quay-wall and bridge renewal: the full Amsterdam instance and the small one, before and
after the real streets (issue 21).

    .venv/bin/python benchmarks/quays.py [--time-limit 600] [--no-before]

Each case runs the command line in its own process (with an empty cache: the detours are
computed) and reads its JSON answer: status, gap reached, seconds (build; solve, with the
LP-and-fix first plan), peak memory, model size, and the plan's figures (km of quay and
bridges renewed a year, extra hours per mode, NOx, CO2). The full instance (800 traffic
bridges, 821 quay segments over 203 km, 20 periods, 2,023 cables and pipes) asks for a proven
1 % gap within 10 minutes. "before" is the full instance as it was on the generated arterial
network (git commit BEFORE, taken from the repository's history with ``git archive``) solved
by today's code. A second table times the detours (all closures and interaction pairs, every
mode) of each instance, in this process. Prints and writes benchmarks/results/quays.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import OPTIMISE, ROOT, measure, publish  # noqa: E402

#: The last commit whose quay instance ran on the generated arterial street network.
BEFORE = "37eb39f"


def before_instance(folder: Path) -> Path | None:
    """The full quay instance at BEFORE, unpacked into ``folder``; None outside a git clone."""
    try:
        tar = subprocess.run(["git", "archive", BEFORE, "instances/amsterdam-quays"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(folder, filter="data")
    return folder / "instances" / "amsterdam-quays"


def detour_seconds(instance: Path) -> tuple[float, int, int]:
    """Seconds to compute every detour of the instance (traffic_figures), its closures and the
    interaction pairs it measured."""
    import problems.quay_walls.data as data
    from optimise.loading import load_problem

    measured: dict[str, float] = {}
    original = data.traffic_figures

    def timed(*args, **kwargs):
        start = time.perf_counter()
        out = original(*args, **kwargs)
        measured["seconds"] = time.perf_counter() - start
        measured["pairs"] = len(out[3])
        return out

    data.traffic_figures = timed
    try:
        problem, *_ = load_problem(instance, None, {})
    finally:
        data.traffic_figures = original
    return measured["seconds"], problem.data.n, int(measured["pairs"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--no-before", action="store_true", help="skip the instance as it was before the real streets")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "quays.md")
    args = parser.parse_args()
    full = ["--gap", "0.01", "--time-limit", str(args.time_limit)]
    # each solve with a cache of its own, empty (a planner's first run: the detours are
    # computed), and the detours timed below with no cache at all
    os.environ["OPTIMISE_CACHE"] = "off"
    with tempfile.TemporaryDirectory() as tmp:
        before = None if args.no_before else before_instance(Path(tmp))
        cases = [("small (8 periods), gap 0", "instances/amsterdam-quays-small", ["--gap", "0"]),
                 ("Amsterdam on real streets (20 periods), gap 1 %", "instances/amsterdam-quays", full)]
        if before is not None:
            cases.append((f"Amsterdam before, generated streets (git {BEFORE}), gap 1 %", str(before), full))
        lines = [f"# Quay walls and bridges ({platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()})",
                 "", "| case | status | gap | solve s | build s | wall s (process) | peak MB | model | km quay a year | "
                 "bridges a year | extra vehicle-h | extra bicycle-h | extra pedestrian-h | NOx kg | CO2 t | plan |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        timings = ["", "Detours (every closure and interaction pair, every mode), measured in this process:", "",
                   "| instance | works | pairs measured | seconds |", "|---|---|---|---|"]
        for k, (label, instance, options) in enumerate(cases):
            s, wall, peak = measure([str(OPTIMISE), "solve", instance, *options, "--json"],
                                    {**os.environ, "OPTIMISE_CACHE": str(Path(tmp) / f"cache-{k}")})
            size = s["model_size"]
            years = s["periods"]
            solve = s["solve_seconds"] + size.get("start_seconds", 0.0)  # with the first plan (LP-and-fix)
            lines.append(
                f"| {label} | {s['status']} | {s['gap']:.3%} | {solve:.1f} | {s['build_seconds']:.1f} | "
                f"{wall:.1f} | {peak:,.0f} | {size['columns']:,} columns ({size['integer_columns']:,} binary), "
                f"{size['rows']:,} rows | {s['km_renewed'] / years:.2f} | {s['bridges_scheduled'] / years:.1f} | "
                f"{s['extra_vehicle_hours']:,.0f} | {s['extra_bicycle_hours']:,.0f} | {s['extra_pedestrian_hours']:,.0f} | "
                f"{s['nox_kg']:,.0f} | {s['co2_t']:,.0f} | {s['works_scheduled']:,} works ({s['works_due']:,} due), "
                f"{s['past_safe_life']} past safe life, {s['cables_bundled']:,}/{s['cables']:,} cables bundled |")
            seconds, works, pairs = detour_seconds(Path(instance) if Path(instance).is_absolute() else ROOT / instance)
            timings.append(f"| {label.split(',')[0]} | {works:,} | {pairs:,} | {seconds:.1f} |")
    publish(lines + timings, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
