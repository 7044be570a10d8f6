"""Result folders drawn side by side: the same files as one after the other, and a job that
fails (or ends oddly) is a fault, never a silently missing file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimise import outputs
from optimise.run import load_case, solve_case

QUAYS = Path(__file__).resolve().parents[1] / "data" / "small-quays"


def _stop() -> list[str]:
    raise StopIteration("palette")


@pytest.mark.parametrize("parallel", [False, True])
def test_a_job_that_fails_or_returns_nothing_is_a_fault(parallel: bool) -> None:
    for job in (_stop, lambda: None):
        with pytest.raises(RuntimeError, match="output job"):
            outputs.run_jobs([lambda: ["a.png"], job], lambda: ["own.csv"], parallel=parallel)
    assert outputs.run_jobs([lambda: ["a.png"], lambda: ["b.png"]], lambda: ["own.csv"], parallel=parallel) == \
        ["own.csv", "a.png", "b.png"]


def _note(folder: Path, name: str) -> list[str]:
    with open(folder / "ran.txt", "a", encoding="utf-8") as out:  # appends from any process
        out.write(name + "\n")
    return [name]


@pytest.mark.parametrize("parallel", [False, True])
def test_every_job_runs_once_and_names_come_in_the_jobs_order(tmp_path: Path, parallel: bool) -> None:
    """The workers take jobs from the front, this process from the back: each job runs
    exactly once, whoever takes it, and the names are listed in the jobs' order."""
    jobs = [lambda k=k: _note(tmp_path, f"job{k}.png") for k in range(7)]
    written = outputs.run_jobs(jobs, lambda: _note(tmp_path, "own.csv"), parallel=parallel)
    assert written == ["own.csv"] + [f"job{k}.png" for k in range(7)]
    assert sorted((tmp_path / "ran.txt").read_text().split()) == sorted(written)


def test_the_warm_up_imports_when_told_even_if_highs_never_runs() -> None:
    """The imports wait for HiGHS; a run that never starts it (no plan to look for) still
    gets them, at finish(), and finish() returns."""
    import sys

    warm = outputs.warm_up(None, drawing=False)
    warm.finish()
    assert all(name in sys.modules for name in outputs.CASCADE_MODULES)


def test_parallel_and_serial_folders_hold_the_same_files(tmp_path: Path) -> None:
    case = load_case(QUAYS)
    run = solve_case(case, case.options(threads=1))
    run.write(tmp_path / "serial")
    run.write(tmp_path / "parallel", parallel=True)
    serial = sorted(p.name for p in (tmp_path / "serial").iterdir())
    parallel = sorted(p.name for p in (tmp_path / "parallel").iterdir())
    assert serial == parallel
    assert {"gantt.png", "report.html", "report.md"} <= set(parallel)
    listed = json.loads((tmp_path / "parallel" / "summary.json").read_text())["files"]
    assert sorted(listed) == parallel
