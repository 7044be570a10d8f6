"""A planning question defined outside the repository's packages, registered through the
``optimise.problems`` entry-point group (tests/plugin), runs through solve, batch and the
report with no engine change."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import CONSOLE_SCRIPT

PLUGIN = Path(__file__).resolve().parents[1] / "plugin"
INSTANCE = PLUGIN / "instance"


def console(*args: object) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(PLUGIN), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([str(CONSOLE_SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.DEVNULL)


def test_the_plugin_is_listed() -> None:
    run = console("problems")
    assert run.returncode == 0, run.stderr
    assert "project_picks" in run.stdout and "which projects to fund" in run.stdout


def test_solve_with_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = console("solve", INSTANCE, "--json", "--out", out)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert data["objective"] == 13  # P1 and P2 (cost 9 of 10); P2+P3 gives 11, P1+P3 10
    assert sorted(data["funded"]) == ["P1", "P2"]
    assert data["flags"]["counts"]["red"] >= 1  # P2's works take SUB-W out: AREA-W loses supply
    report = (out / "report.md").read_text()
    assert "SUB-W" in report and "works of P2" in report
    assert {"projects.csv", "summary.json", "asset_flags.csv"} <= {p.name for p in out.iterdir()}
    human = console("solve", INSTANCE)
    assert human.returncode == 0 and "funded" in human.stdout and "2 of 4 projects" in human.stdout


def test_batch_of_budgets(tmp_path: Path) -> None:
    variants = tmp_path / "variants.toml"
    variants.write_text("[grid]\nbudget = [7, 10]\n")
    run = console("batch", INSTANCE, variants, "--out", tmp_path / "batch", "--workers", "1", "--json")
    assert run.returncode == 0, run.stderr
    rows = {row["set budget"]: row for row in json.loads(run.stdout)["rows"]}
    assert rows[7]["objective"] == 11 and rows[10]["objective"] == 13
    assert all(row["status"] == "optimal" for row in rows.values())


def test_bad_plugin_parameter_is_a_clean_error() -> None:
    """The engine checks a plugin's parameters as it checks its own (minimum 0: exit 2)."""
    run = console("solve", INSTANCE, "--set", "budget=-1", "--json")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error:") and "budget" in run.stderr and "Traceback" not in run.stderr
