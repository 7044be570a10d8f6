"""Mobility-hub siting: what a planner waits for, on the Zuidas and whole-city instances.

    .venv/bin/python benchmarks/hubs.py [--points 7] [--alternatives 3] [--within 2]

Each case runs the command line in its own process (so its peak memory is its own) and
reads its JSON answer: the Zuidas solve (`make demo`), a Pareto front walk vs space won back,
alternatives within a slack, and the whole city (6,000 demand points, 600 sites) to the 1 %
gap its instance asks for. Prints and writes benchmarks/results/hubs.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIMISE = ROOT / ".venv" / "bin" / "optimise"


def run(args: list[str]) -> tuple[dict, float, float]:
    """Run ``optimise ARGS --json``: (answer, wall seconds, peak memory of that process in MB)."""
    return measure([str(OPTIMISE), *args, "--json"])


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[dict, float, float]:
    """Run ``command`` in ``cwd`` (exit 0 or 1): (its last JSON line, wall seconds, peak memory
    of the process in MB)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # reap it ourselves to read its own rusage
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        answer, log = out.read().decode(), err.read().decode()
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({code}): {log[-800:]}")
    return json.loads(answer.strip().splitlines()[-1]), seconds, usage.ru_maxrss / 1024


def byte_compile(code: Path = ROOT) -> None:
    """Byte-compile the project in ``code`` as `make install` does: where Python may not write
    bytecode (PYTHONDONTWRITEBYTECODE), a module edited since would be compiled again on
    every run, and the timings would include it."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "compileall", "-q", "optimise", "problems"],
                   cwd=code, check=True)


def publish(lines: list[str], out: Path) -> None:
    """Print the table and write it to ``out``."""
    text = "\n".join(lines) + "\n"
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=7)
    parser.add_argument("--alternatives", type=int, default=3)
    parser.add_argument("--within", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hubs.md")
    args = parser.parse_args()
    zuidas, city = "instances/zuidas-hubs", "instances/amsterdam-hubs"
    rows = []

    s, wall, peak = run(["solve", zuidas])
    rows.append(("Zuidas: solve (make demo)", s["status"], s["gap"], s["seconds"], s["build_seconds"], wall, peak,
                 f"{s['n_open']} hubs {s['hubs_by_size']}, {s['space_won_m2']:,.0f} m² won, "
                 f"mean walk {s['mean_walk_min']:.1f} min, {s['share_served']:.1%} served"))
    s, wall, peak = run(["pareto", zuidas, "--x", "walk", "--y", "space_won", "--points", str(args.points)])
    statuses = sorted({p["status"] for p in s["points"]})
    rows.append((f"Zuidas: Pareto walk vs space_won, {args.points} solves", "/".join(statuses),
                 max((p["gap"] or 0) for p in s["points"]), s["seconds"], None, wall, peak,
                 f"{len(s['points'])} non-dominated points, {s['dominated_dropped']} dropped"))
    s, wall, peak = run(["solve", zuidas, "--alternatives", str(args.alternatives), "--within", str(args.within)])
    alts = s.get("alternatives", [])[1:]
    rows.append((f"Zuidas: {args.alternatives} alternatives within {args.within:g} %", s["status"], s["gap"], None, None,
                 wall, peak, f"{len(alts)} found; sites changed {[a['decisions_changed'] for a in alts]}, above optimum "
                 f"{[round(100 * a['above_optimum'], 2) for a in alts]} %"))
    s, wall, peak = run(["solve", city])
    rows.append(("Amsterdam: whole city, gap 1 %", s["status"], s["gap"], s["seconds"], s["build_seconds"], wall, peak,
                 f"{s['model_size']['columns']:,} columns, {s['model_size']['rows']:,} rows; {s['n_open']} hubs, "
                 f"{s['share_served']:.1%} served"))
    s, wall, peak = run(["solve", city, "--gap", "0", "--time-limit", "600"])
    rows.append(("Amsterdam: whole city, prove optimality (600 s cap)", s["status"], s["gap"], s["seconds"],
                 s["build_seconds"], wall, peak, f"{s['n_open']} hubs, {s['nodes']:,} nodes"))

    def fmt(v, spec):
        return "-" if v is None else format(v, spec)

    lines = [f"# Mobility hubs ({platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()})", "",
             "| case | status | gap | solve s | build s | wall s (process) | peak MB | plan |", "|---|---|---|---|---|---|---|---|"]
    for case, status, gap, secs, build, wall, peak, plan in rows:
        lines.append(f"| {case} | {status} | {fmt(gap, '.4%') if gap is not None else '-'} | {fmt(secs, '.1f')} | "
                     f"{fmt(build, '.2f')} | {wall:.1f} | {peak:,.0f} | {plan} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
