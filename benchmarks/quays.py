"""Quay-wall and bridge renewal: the full Amsterdam instance and the small one.

    .venv/bin/python benchmarks/quays.py [--time-limit 600]

Each case runs the command line in its own process and reads its JSON answer: status, gap
reached, seconds (build and solve), peak memory, model size, and the plan's figures. The
full instance (850 traffic bridges, 821 quay segments over 203 km, 20 periods, 2,117 cables
and pipes) asks for a proven 1 % gap within 10 minutes. Prints and writes
benchmarks/results/quays.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, publish, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "quays.md")
    args = parser.parse_args()
    cases = [
        ("small (180 works, 8 periods), gap 0", ["solve", "instances/amsterdam-quays-small", "--gap", "0"]),
        ("Amsterdam (1,671 works, 20 periods), gap 1 %", ["solve", "instances/amsterdam-quays", "--gap", "0.01",
                                                          "--time-limit", str(args.time_limit)]),
    ]
    lines = [f"# Quay walls and bridges ({platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()})", "",
             "| case | status | gap | solve s | build s | wall s (process) | peak MB | model | plan |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, command in cases:
        s, wall, peak = run(command)
        size = s["model_size"]
        lines.append(
            f"| {label} | {s['status']} | {s['gap']:.3%} | {s['solve_seconds']:.1f} | {s['build_seconds']:.1f} | "
            f"{wall:.1f} | {peak:,.0f} | {size['columns']:,} columns ({size['integer_columns']:,} binary), "
            f"{size['rows']:,} rows | {s['works_scheduled']:,} works ({s['works_due']:,} due), {s['km_renewed']:.0f} km "
            f"quay, {s['past_safe_life']} past safe life, {s['cables_bundled']:,}/{s['cables']:,} cables bundled, "
            f"{s['extra_vehicle_hours']:,.0f} extra vehicle-hours |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
