"""Batch throughput: 64 variants of the Zuidas hub instance on 1 and on 2 Dask workers.

    .venv/bin/python benchmarks/batch.py [--gap 0.01]

The variants are a grid of 8 budgets x 4 weights on space won back x 2 weights on space
taken; each is solved to the given gap or for at most --time-limit seconds. Each worker count runs the whole batch from an
empty folder through the command line (cluster start-up included). Prints and writes
benchmarks/results/batch.md: wall seconds, variants per minute, speed-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import OPTIMISE, ROOT, publish  # noqa: E402

GRID = """[grid]
budget = [2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000, 4_500_000, 5_000_000, 5_500_000]
weight_space_won = [1.0, 3.0, 5.0, 8.0]
weight_space_taken = [0.5, 1.0]
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "batch.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        variants = Path(tmp) / "variants.toml"
        variants.write_text(GRID)
        for workers in (1, 2):
            out = Path(tmp) / f"w{workers}"
            start = time.perf_counter()
            subprocess.run([str(OPTIMISE), "batch", "instances/zuidas-hubs", str(variants), "--out", str(out),
                            "--workers", str(workers), "--gap", str(args.gap),
                            "--time-limit", str(args.time_limit)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            table = pd.read_csv(out / "results.csv")
            rows.append((workers, len(table), int(table["status"].isin(["optimal", "feasible"]).sum()), wall,
                         table["variant_seconds"].sum()))
            shutil.rmtree(out)
    base = rows[0][3]
    lines = [f"# Batch: 64 Zuidas hub variants ({platform.node()}, {os.cpu_count()} cores, gap {args.gap:g}, "
             f"at most {args.time_limit:g} s each)", "",
             "| workers | variants | with a plan | wall s | variants per minute | speed-up | solver s summed |",
             "|---|---|---|---|---|---|---|"]
    for workers, n, solved, wall, busy in rows:
        lines.append(f"| {workers} | {n} | {solved} | {wall:.1f} | {60 * n / wall:.1f} | {base / wall:.2f} | {busy:.1f} |")
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
