"""optimise.solver: honest statuses for every HiGHS outcome, and runs that differ in threads."""

from __future__ import annotations

from types import SimpleNamespace

import highspy
import pyomo.environ as pyo
import pytest

from optimise.solver import STATUSES, SolveOptions, SolverFault, _map_status, solve_model

M = highspy.HighsModelStatus
FAULTS = {M.kLoadError, M.kModelError}


def knapsack() -> pyo.ConcreteModel:
    """max 5a + 4b + 3c with 2a + 3b + c <= 4 (binary): a and c, value 8."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(["a", "b", "c"], domain=pyo.Binary)
    m.obj = pyo.Objective(expr=5 * m.x["a"] + 4 * m.x["b"] + 3 * m.x["c"], sense=pyo.maximize)
    m.cap = pyo.Constraint(expr=2 * m.x["a"] + 3 * m.x["b"] + m.x["c"] <= 4)
    return m


class FakeHighs:
    """What _map_status reads from a Highs object after a run."""

    def __init__(self, has_primal: bool) -> None:
        self.info = SimpleNamespace(primal_solution_status=2 if has_primal else 0, objective_function_value=10.0,
                                    mip_dual_bound=9.0, mip_node_count=3)

    def getInfo(self) -> SimpleNamespace:  # noqa: N802 - highspy's name
        return self.info

    def modelStatusToString(self, status: object) -> str:  # noqa: N802
        return str(status)


@pytest.mark.parametrize("status", list(M.__members__.values()), ids=list(M.__members__))
@pytest.mark.parametrize("has_primal", [True, False])
@pytest.mark.parametrize("is_mip", [True, False])
def test_every_highs_status_maps_to_an_honest_word(status, has_primal: bool, is_mip: bool) -> None:
    if status in FAULTS:
        with pytest.raises(SolverFault):
            _map_status(FakeHighs(has_primal), status, is_mip)
        return
    outcome = _map_status(FakeHighs(has_primal), status, is_mip)
    assert outcome.status in STATUSES
    if outcome.status == "optimal":
        assert status in (M.kOptimal, M.kModelEmpty)
    if outcome.status in ("optimal", "feasible"):
        assert outcome.objective is not None
    if status not in (M.kOptimal, M.kModelEmpty):
        # a plan HiGHS did not prove is never called optimal, and one it did not find is never invented
        assert outcome.status != "optimal"
        if not has_primal:
            assert outcome.objective is None
    if outcome.status == "feasible" and is_mip:
        assert outcome.gap == pytest.approx(0.1)


@pytest.mark.parametrize("threads", [[None, 1, None, 2, 1], [1, 2, 1], [2, 1, None]])
def test_runs_with_different_thread_counts_in_one_process(threads: list) -> None:
    """HiGHS 1.16 refuses a run whose thread count differs from its process-wide scheduler's;
    each solve must still be proven optimal."""
    for count in threads:
        model = knapsack()
        outcome = solve_model(model, SolveOptions(threads=count, seed=7))
        assert outcome.status == "optimal", (count, outcome)
        assert outcome.objective == pytest.approx(8)
        assert [round(model.x[k].value) for k in "abc"] == [1, 0, 1]



@pytest.mark.parametrize("objective, bound, gap, maximize, expected", [
    (100.0, 99.95, 0.001, False, "feasible"),   # within the gap asked for
    (100.0, 100.0, 0.0, False, "optimal"),      # the plan meets its bound: proven
    (100.0, 99.0, 0.001, False, None),          # 1 % apart: HiGHS must search
    (100.0, 99.99, 0.0, False, None),           # a proof was asked for
    (100.0, 100.5, 0.01, False, None),          # a "bound" above a minimum's plan is no bound
    (100.0, 100.05, 0.001, True, "feasible"),   # a maximum's bound lies above its plan
    (100.0, 99.5, 0.01, True, None),
])
def test_a_head_start_settles_a_solve_only_within_the_gap_of_its_own_bound(objective, bound, gap, maximize,
                                                                           expected) -> None:
    from optimise.problem import settled_by_head_start

    figures = {"start_objective": objective, "start_bound": bound}
    outcome = settled_by_head_start(figures, SolveOptions(gap=gap), maximize=maximize)
    if expected is None:
        assert outcome is None
        return
    assert outcome.status == expected and outcome.objective == objective and outcome.bound == bound
    assert outcome.gap == pytest.approx(abs(objective - bound) / abs(objective))
    assert outcome.gap <= gap + 1e-12
    assert settled_by_head_start({"start_objective": objective}, SolveOptions(gap=gap), maximize=maximize) is None
