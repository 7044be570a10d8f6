from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimise.cli import app

# Tests compute derived data afresh (no user cache read or written); tests/engine/test_cache.py
# turns the cache on where it is the subject.
os.environ["OPTIMISE_CACHE"] = "off"

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BENCH = DATA / "benchmarks"
#: The installed console script of the environment running the tests (.venv, .venv-latest, …).
CONSOLE_SCRIPT = Path(sys.executable).parent / "optimise"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON line on stdout, got {self.stdout!r}"
        return json.loads(lines[0])


def run_cli(*args: str) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run_cli


def assert_clean_error(run: Run, *needles: str) -> None:
    """Exit code 2, one plain line on stderr naming what is wrong, no traceback."""
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    text = run.stderr.strip()
    assert "Traceback" not in text and "Traceback" not in run.stdout
    assert text.startswith("error:"), text
    assert len(text.splitlines()) == 1, text
    for needle in needles:
        assert needle in text, (needle, text)


@pytest.fixture
def small_instance(tmp_path: Path) -> Path:
    """A copy of the small test instance in tests/data/small-pmedian (safe to break)."""
    target = tmp_path / "inst"
    shutil.copytree(DATA / "small-pmedian", target)
    return target


def assert_whole_plan_keeps_every_row(model) -> None:
    """Every variable of a Pyomo model has a value and those values keep every active row
    (a first plan set on the model by a problem's heuristic)."""
    import pyomo.core as pyo

    for var in model.component_data_objects(pyo.Var):
        assert var.value is not None, var.name
    for row in model.component_data_objects(pyo.Constraint, active=True):
        value = pyo.value(row.body)
        assert row.lower is None or value >= pyo.value(row.lower) - 1e-6, row.name
        assert row.upper is None or value <= pyo.value(row.upper) + 1e-6, row.name
