"""Time the cascade checker on the Amsterdam base layer.

    .venv/bin/python benchmarks/impact.py [--repeat 5]

Prints and writes (benchmarks/results/impact.md) the seconds to load the layers, to evaluate
a scenario (cascade, indicators, flags with explanations), and to run N-1 over every asset.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimise.indicators import run_impact, thresholds  # noqa: E402
from optimise.scenarios import read_scenario  # noqa: E402
from optimise.vital import load_vital_systems  # noqa: E402
from optimise.instance import load_instance  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "impact.md")
    args = parser.parse_args()
    folder = ROOT / "instances" / "amsterdam-base"
    t0 = time.perf_counter()
    instance = load_instance(folder)
    vs = load_vital_systems(instance)
    load_s = time.perf_counter() - t0
    scenario = read_scenario(folder / "scenario-hemweg.toml")
    limits = thresholds(instance)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        _, summary, _ = run_impact(vs, scenario, limits, resilience=False)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    _, full, _ = run_impact(vs, scenario, limits, resilience=True)
    n1_s = full["resilience_seconds"]
    rows = [
        ("assets / dependencies", f"{vs.n:,} / {len(vs.dependencies):,}"),
        ("load layers (s)", f"{load_s:.2f}"),
        (f"evaluate scenario, median of {args.repeat} (s)", f"{statistics.median(times):.3f}"),
        ("flags red / orange", f"{summary['flags']['counts']['red']} / {summary['flags']['counts']['orange']}"),
        ("N-1 over every asset (s)", f"{n1_s:.2f}"),
        ("worst single failure", f"{full['resilience']['worst_single_failures'][0]['asset']} "
                                 f"(keeps {full['resilience']['n_minus_1_service_kept_worst']:.1%})"),
    ]
    width = max(len(r[0]) for r in rows)
    text = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Cascade checker on amsterdam-base\n\n{platform.machine()}, Python {platform.python_version()}\n\n"
        "| figure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
