"""optimise.tradeoffs on a problem the engine knows nothing about (the plugin fixture)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from optimise.solver import SolveOptions
from optimise.tradeoffs import alternatives, alternatives_table

# loaded from its file, not put on sys.path: its dist-info there would register it for every
# later test in this process
_spec = importlib.util.spec_from_file_location(
    "project_picks", Path(__file__).resolve().parents[1] / "plugin" / "project_picks" / "__init__.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
ProjectPicks = _module.ProjectPicks

PROJECTS = pd.DataFrame({"id": ["P1", "P2", "P3", "P4"], "value": [6.0, 7.0, 4.0, 3.0], "cost": [5.0, 4.0, 3.0, 4.0],
                         "asset": [None] * 4})


def test_alternatives_differ_stay_within_the_slack_and_say_when_none_is_left() -> None:
    found = alternatives(ProjectPicks(PROJECTS, budget=10.0), 2, 0.20, SolveOptions())
    assert [a.objective for a in found] == [13.0, 11.0]  # {P1, P2}, then {P2, P3}; {P1, P3} = 10 < 10.4
    assert found[1].added == ["P3"] and found[1].removed == ["P1"] and found[1].distance == 2
    assert found.note == "1 of 2 alternatives: no further plan within 20.00% of the optimum"
    table = alternatives_table(found.plans)
    assert list(table["above_optimum"]) == pytest.approx([0.0, 2 / 13])
