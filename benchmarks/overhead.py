"""Time around the solve: start-up, loading, checks and outputs of a Zuidas run.

    .venv/bin/python benchmarks/overhead.py [--runs 5] [--ref COMMIT]

Runs ``optimise solve instances/zuidas-hubs --threads 1 --time-limit 1 --json``, without and
with ``--out`` (HiGHS stops after its second, so the solve is the same length every time),
and with ``--out`` and ``--time-limit 0.1`` (a solve too short for the imports done while
HiGHS runs, see ``optimise.outputs.warm_up``), ``--runs`` times each, interleaved. *Around the solve* is the process's wall time less the
seconds HiGHS itself ran (``solve_seconds`` of the JSON answer): start-up and imports,
reading and checking the instance, building the model, the plan's checks and cascade check,
the console table, the result folder, and the exit. Also timed: the interpreter alone and
importing the CLI with the hub problem.

``--ref COMMIT`` times another commit's code the same way, interleaved with this checkout's
(a git worktree of it, run from there with this ``.venv`` and ``PYTHONPATH`` pointing at it;
checked: each version imports its own ``optimise``): a before/after comparison in one run.
Prints the medians (and the fastest run) and writes benchmarks/results/overhead.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubs import ROOT, byte_compile, measure, publish  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
INSTANCE = "instances/zuidas-hubs"


def cases(code: Path, folder: Path) -> dict[str, list[str]]:
    """What is timed, as commands running ``code``'s optimise."""
    solve = [str(PYTHON), "-m", "optimise.cli", "solve", INSTANCE, "--threads", "1", "--time-limit", "1", "--json"]
    brief = solve[:-2] + ["0.1", "--json"]
    return {
        # these two print an empty JSON object: hubs.measure reads the last line as one
        "interpreter alone": [str(PYTHON), "-c", "print('{}')"],
        "import the CLI and the hub problem": [str(PYTHON), "-c", "import optimise.cli, problems.hub_siting; print('{}')"],
        "solve, no --out": solve,
        "solve --out": solve + ["--out", str(folder / "out")],
        # too short a solve to import the drawing modules while HiGHS runs: they are paid after it
        "solve --out, HiGHS stopped after 0.1 s": brief + ["--out", str(folder / "out")],
    }


def environment(code: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code)
    return env


def check_imports_own_code(code: Path) -> None:
    """``python -m`` puts the working folder first on the path: make sure it is ``code``'s."""
    found = subprocess.run([str(PYTHON), "-c", "import optimise; print(optimise.__file__)"], cwd=code,
                           env=environment(code), capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"{code} runs optimise from {found}, not its own")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ref", help="another commit to time the same way, interleaved (before/after)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "overhead.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overhead-") as tmp:
        tmp_path = Path(tmp)
        versions = {"this checkout": ROOT}
        if args.ref:
            tree = tmp_path / "ref"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.ref], cwd=ROOT, check=True,
                           capture_output=True)
            versions[f"commit {args.ref}"] = tree
        try:
            for code in versions.values():
                check_imports_own_code(code)
                byte_compile(code)  # as `make install` leaves a checkout: both compared alike
            samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for _ in range(args.runs):
                for version, code in versions.items():
                    for name, command in cases(code, tmp_path / version.replace(" ", "-")).items():
                        out = tmp_path / version.replace(" ", "-") / "out"
                        shutil.rmtree(out, ignore_errors=True)
                        answer, wall, _ = measure(command, environment(code), cwd=code)
                        samples.setdefault((version, name), []).append((wall, float(answer.get("solve_seconds", 0.0))))
        finally:
            if args.ref:
                subprocess.run(["git", "worktree", "remove", "--force", str(tmp_path / "ref")], cwd=ROOT,
                               capture_output=True)
    lines = [f"# Around the solve: Zuidas hubs ({platform.node() or 'this machine'}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, {args.runs} runs each, interleaved)", "",
             "| code | what | wall s (median) | HiGHS s (median) | around the solve s (median) | fastest run: around s |",
             "|---|---|---|---|---|---|"]
    for (version, name), runs in samples.items():
        around = [wall - solve for wall, solve in runs]
        lines.append(f"| {version} | {name} | {statistics.median(w for w, _ in runs):.2f} | "
                     f"{statistics.median(s for _, s in runs):.2f} | {statistics.median(around):.2f} | {min(around):.2f} |")
    lines += ["", "Around the solve: the process's wall time less HiGHS's own seconds (`solve_seconds`); "
              "HiGHS stops after 1 s (`--time-limit 1`; 0.1 s where named), one thread. The drawing modules "
              "are imported on a thread while HiGHS runs: a solve shorter than that import (about 0.5 s) "
              "pays the rest after it."]
    publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
