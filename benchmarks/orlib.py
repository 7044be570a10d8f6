"""Solve the published benchmark sets and compare with their proven optima.

    .venv/bin/python benchmarks/orlib.py [--set pmed|cap|holmberg|all] [--only NAME ...]
                                         [--time-limit S] [--data DIR] [--out FILE]

Prints a table (instance, published optimum, our objective, status, seconds, build plus
hand-off seconds and their share of the wall time, peak resident memory of the process
while the instance ran) and writes it as CSV and Markdown (default
``benchmarks/results/orlib.*``). Seconds count reading the file, building, solving and
turning the plan into tables.
Data: ``../shared/benchmarks`` (see its README); one solve per instance, one process.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _memory import PeakRSS  # noqa: E402
from problems.formats import read_holmberg, read_orlib_cap, read_orlib_pmed  # noqa: E402


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def cases(data: Path, which: str) -> list[tuple[str, str, Path, float]]:
    out = []
    if which in ("pmed", "all"):
        folder = data / "orlib-pmed"
        opt = dict(line.split() for line in (folder / "pmedopt.txt").read_text().splitlines()[1:] if line.strip())
        for name in sorted(opt, key=_natural):
            out.append(("pmed", name, folder / f"{name}.txt", float(opt[name])))
    if which in ("cap", "all"):
        folder = data / "orlib-cap"
        opt = dict(line.split() for line in (folder / "capopt.txt").read_text().splitlines()[1:] if line.strip())
        for name in sorted(opt, key=_natural):
            out.append(("cap", name, folder / f"{name}.txt", float(opt[name])))
    if which in ("holmberg", "all"):
        folder = data / "sscflp-holmberg"
        values = [float(v) for v in (folder / "os").read_text().split()]
        for k, value in enumerate(values, start=1):
            out.append(("holmberg", f"p{k}", folder / f"p{k}", value))
    return out


READERS = {"pmed": read_orlib_pmed, "cap": read_orlib_cap, "holmberg": read_holmberg}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="all", choices=["pmed", "cap", "holmberg", "all"])
    parser.add_argument("--only", nargs="*", help="instance names (e.g. pmed35 cap41 p7)")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "orlib")
    args = parser.parse_args()

    rows = []
    started = time.perf_counter()
    for family, name, path, optimum in cases(args.data, args.set):
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        with PeakRSS(0.005) as peak:
            problem = READERS[family](path)
            result = problem.solve(time_limit=args.time_limit)
        seconds = time.perf_counter() - t0
        # the files round to the third decimal at most
        match = result.objective is not None and abs(result.objective - optimum) <= 1e-3 + 1e-9 * abs(optimum)
        row = {
            "instance": name,
            "published": optimum,
            "objective": result.objective,
            "status": result.status,
            "matches": bool(match),
            "seconds": round(seconds, 2),
            "build_s": round(result.build_seconds, 2),
            "build_share": f"{result.build_seconds / seconds:.0%}",
            "solve_s": round(result.solve_seconds, 2),
            "peak_mb": round(peak.mb),
            "gap": result.gap,
            "formulation": result.formulation,
        }
        rows.append(row)
        print(f"{name:>8} {optimum:>14,.3f} {result.objective if result.objective is not None else float('nan'):>14,.3f} "
              f"{result.status:>11} {'ok' if match else 'MISMATCH':>8} {seconds:8.2f}s (build {result.build_seconds:.2f}s) "
              f"{peak.mb:6.0f} MB",
              flush=True)
    total = time.perf_counter() - started
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    slowest = table.sort_values("seconds", ascending=False).head(5)
    lines = [
        f"# OR-Library and Holmberg benchmark ({args.set})",
        "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
        f"total {total:.1f} s for {len(table)} instances; "
        f"{int(table['matches'].sum())} match the published optimum, "
        f"{int((table['status'] == 'optimal').sum())} proven optimal.",
        "",
        table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False),
        "",
        "Slowest: " + ", ".join(f"{r.instance} ({r.seconds:.1f} s)" for r in slowest.itertuples()),
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"\ntotal {total:.1f} s; {int(table['matches'].sum())}/{len(table)} match; "
          f"{int((table['status'] == 'optimal').sum())}/{len(table)} optimal; slowest: "
          + ", ".join(f"{r.instance} {r.seconds:.1f}s" for r in slowest.itertuples()))
    return 0 if bool(table["matches"].all()) and bool((table["status"] == "optimal").all()) else 1


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
