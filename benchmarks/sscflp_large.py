"""Single-source capacitated facility location at scale: OR-Library's capa, capb and capc
(100 sites x 1,000 customers, four capacities each) against their published optima.

    .venv/bin/python benchmarks/sscflp_large.py [--only capa1 ...] [--time-limit S]
                                                [--plain NAME ...] [--out FILE]

For each instance: our solve (the Lagrangian bound, first plan and exact reductions of
``problems/_sscflp_bounds.py``, then HiGHS on what is left), one HiGHS thread, time limit
300 s by default, seconds from reading the file to the checked plan. ``--plain NAME``
also solves those instances with HiGHS alone on the same strong formulation (no
reductions), same thread count and limit, in the same run, for the side-by-side figure.
Writes ``benchmarks/results/sscflp_large.md`` (and ``.csv``). Data:
``benchmarks/data/orlib-capabc`` (see its README).
"""

from __future__ import annotations

import argparse
import lzma
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _memory import PeakRSS  # noqa: E402
import problems.cflp as cflp  # noqa: E402
from problems.formats import read_holmberg  # noqa: E402
from hubs import publish  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "orlib-capabc"


def write_instance(folder: Path, name: str, file: str, capacity: float) -> Path:
    """The instance as a Holmberg-layout file with every site's capacity set to ``capacity``."""
    lines = lzma.decompress((DATA / file).read_bytes()).decode().split("\n")
    sites = int(lines[0].split()[0])
    lines[1] = " ".join([f"{capacity:g}"] * sites)
    path = folder / name
    path.write_text("\n".join(lines))
    return path


def solve(path: Path, time_limit: float, reduce: bool) -> dict:
    saved = cflp.REDUCE_PAIRS
    if not reduce:
        cflp.REDUCE_PAIRS = float("inf")
    try:
        t0 = time.perf_counter()
        with PeakRSS(0.01) as peak:
            result = read_holmberg(path).solve(time_limit=time_limit, threads=1)
        seconds = time.perf_counter() - t0
    finally:
        cflp.REDUCE_PAIRS = saved
    size = result.size
    return {
        "status": result.status,
        "objective": result.objective,
        "gap": result.gap,
        "seconds": round(seconds, 1),
        "lagrangian_s": round(size.get("start_seconds", 0.0), 1),
        "highs_s": round(result.solve_seconds, 1),
        "lagrangian_bound": size.get("lagrangian_bound"),
        "first_plan": size.get("start_objective"),
        "sites_closed": size.get("sites_closed_by_bound"),
        "sites_opened": size.get("sites_opened_by_bound"),
        "pairs_kept": size.get("pairs_kept"),
        "peak_mb": round(peak.mb),
    }


#: How each column is shown (the rest as they are).
FORMATS = {"published": "{:,.2f}", "objective": "{:,.2f}", "lagrangian_bound": "{:,.2f}", "first_plan": "{:,.2f}",
           "gap": "{:.4%}", "seconds": "{:.1f}", "lagrangian_s": "{:.1f}", "highs_s": "{:.1f}",
           "sites_closed": "{:.0f}", "sites_opened": "{:.0f}", "pairs_kept": "{:,.0f}", "peak_mb": "{:,.0f}"}


def markdown(table: pd.DataFrame) -> list[str]:
    def cell(column: str, value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return FORMATS[column].format(value) if column in FORMATS else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(c, v) for c, v in zip(table.columns, row)) + " |"
              for row in table.itertuples(index=False)]
    return lines


def report(table: pd.DataFrame, out: Path, title: str, summary: str, legend: str) -> None:
    """Write ``table`` to ``out``.csv and, as markdown under ``title`` with the machine and
    ``summary`` above it and ``legend`` below, to ``out``.md (printed too)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    machine = f"Machine: {platform.machine()}, Python {platform.python_version()}, one HiGHS thread, "
    publish([f"# {title}", "", machine + summary, "", *markdown(table), "", legend], out.with_suffix(".md"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="instance names (capa1 … capc4)")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--plain", nargs="*", default=[], help="instances to solve with HiGHS alone as well")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sscflp_large")
    args = parser.parse_args()
    optima = pd.read_csv(DATA / "optima.csv")
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for case in optima.itertuples():
            if args.only and case.instance not in args.only:
                continue
            path = write_instance(Path(tmp), case.instance, case.file, case.capacity)
            runs = [("ours", True)] + ([("HiGHS alone", False)] if case.instance in args.plain else [])
            for solver, reduce in runs:
                row = {"instance": case.instance, "solver": solver, "published": case.optimum,
                       **solve(path, args.time_limit, reduce)}
                # the published values are rounded to cents
                row["matches"] = row["objective"] is not None and abs(row["objective"] - case.optimum) <= 0.006
                rows.append(row)
                print(f"{case.instance:>6} {solver:>12} {row['status']:>9} {row['objective'] or float('nan'):>16,.2f} "
                      f"(published {case.optimum:,.2f}) gap {row['gap'] if row['gap'] is not None else float('nan'):.4%} "
                      f"{row['seconds']:7.1f} s, pairs kept {row['pairs_kept']}, {row['peak_mb']} MB", flush=True)
    total = time.perf_counter() - started
    table = pd.DataFrame(rows)
    ours = table[table["solver"] == "ours"]
    report(table, args.out, "Single-source capacitated facility location, 100 sites x 1,000 customers (capa, capb, capc)",
           f"time limit {args.time_limit:g} s per solve; total {total:.0f} s. "
           f"Ours: {int((ours['status'] == 'optimal').sum())} of {len(ours)} proven optimal, "
           f"{int(ours['matches'].sum())} equal to the published optimum; slowest {ours['seconds'].max():.0f} s.",
           "seconds: the whole solve from reading the file to the checked plan; lagrangian_s: the bound, the "
           "first plan and the reductions; highs_s: HiGHS on what the reductions leave; pairs_kept: of "
           "100,000 site-customer pairs; peak_mb: the largest resident set of the process during the solve.")
    return 0 if bool(ours["matches"].all()) and bool((ours["status"] == "optimal").all()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
