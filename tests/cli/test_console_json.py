"""`--json` means exactly one JSON object on stdout, for the installed console script.

The other CLI tests run the command line in-process, where what a C library writes to file
descriptor 1 (HiGHS's banner and log) is never seen. These run the real console script as a
subprocess and parse its whole stdout with ``json.loads``: anything else on stdout fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BENCH, CONSOLE_SCRIPT, DATA

HUBS = DATA / "small-hubs"
VITAL = DATA / "small-vital"
QUAYS = DATA / "small-quays"
PMED = BENCH / "orlib-pmed" / "pmed1.txt"


def console(*args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPTIMISE_DEBUG"}
    return subprocess.run([str(CONSOLE_SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def one_object(run: subprocess.CompletedProcess[str]) -> dict:
    """The whole of stdout is one JSON object on one line, and nothing else."""
    assert run.stdout.endswith("\n") and run.stdout.count("\n") == 1, run.stdout[:500]
    data = json.loads(run.stdout)
    assert isinstance(data, dict)
    return data


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.exists(), CONSOLE_SCRIPT


@pytest.mark.parametrize("args", [
    (HUBS,),
    (QUAYS,),
    (PMED, "--format", "orlib-pmed", "--p", "3", "--gap", "0", "--threads", "1"),
    (HUBS, "--verbose"),  # HiGHS's whole log goes to stderr, never stdout
])
def test_solve_json_is_all_of_stdout(args: tuple) -> None:
    run = console("solve", *args, "--json")
    assert run.returncode == 0, run.stderr
    data = one_object(run)
    assert data["status"] == "optimal"


def test_solve_json_with_out_folder(tmp_path: Path) -> None:
    run = console("solve", HUBS, "--json", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert one_object(run)["status"] == "optimal"
    assert (tmp_path / "out" / "summary.json").exists()


def test_pareto_json() -> None:
    run = console("pareto", HUBS, "--x", "walk", "--y", "space_won", "--points", "3", "--json")
    assert run.returncode == 0, run.stderr
    assert len(one_object(run)["points"]) >= 2


def test_impact_json(tmp_path: Path) -> None:
    vital = tmp_path / "vital"
    shutil.copytree(VITAL, vital)
    run = console("impact", vital, "--scenario", vital / "scenario.toml", "--json")
    assert run.returncode == 0, run.stderr
    assert one_object(run)["periods"] == [2026, 2027, 2028]


def test_validate_json() -> None:
    run = console("validate", HUBS, "--json")
    assert run.returncode == 0, run.stderr
    data = one_object(run)
    assert data["valid"] is True and data["problem"] == "hub_siting"


def test_batch_json_with_its_workers(tmp_path: Path) -> None:
    variants = tmp_path / "variants.toml"
    variants.write_text("[grid]\nbudget = [500000, 700000]\n")
    run = console("batch", HUBS, variants, "--out", tmp_path / "batch", "--workers", "2", "--json")
    assert run.returncode == 0, run.stderr
    data = one_object(run)
    assert data["variants"] == 2 and data["failed"] == 0
    assert {row["status"] for row in data["rows"]} <= {"optimal", "feasible", "infeasible"}


def test_bad_input_with_json_leaves_stdout_empty(tmp_path: Path) -> None:
    run = console("solve", tmp_path / "missing", "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("error:") and "Traceback" not in run.stderr


LEAVE = """
import atexit, sys, threading, time
from pathlib import Path
from optimise.cli import _leave
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("exit handlers ran"))
if sys.argv[3] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done", flush=True))).start()
print("result", end="")
_leave(eval(sys.argv[2]))
"""


@pytest.mark.parametrize(("code", "status", "said"), [("None", 0, ""), ("2", 2, ""), ("'stopped'", 1, "stopped")])
@pytest.mark.parametrize("thread", ["none", "thread"])
def test_the_quick_exit_keeps_the_exit_status_output_and_exit_handlers(tmp_path: Path, code: str, status: int,
                                                                       said: str, thread: str) -> None:
    """The CLI ends without tearing the interpreter down: the status is the command's, what it
    printed is all there (unflushed too), exit handlers have run, and a running thread is
    waited for (the normal exit)."""
    marker = tmp_path / "marker"
    done = subprocess.run([sys.executable, "-c", LEAVE, str(marker), code, thread],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == status
    assert done.stdout == ("result" + ("thread done\n" if thread == "thread" else ""))
    assert done.stderr.strip() == said
    assert marker.read_text() == "exit handlers ran"
