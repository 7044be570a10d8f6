"""The second statement of every problem's rules (Problem.check_plan): the optimal plans keep
them (every solve in the suite runs the check), deliberately broken plans are caught with the
rule named, and the engine treats a broken plan from the solver as a fault (exit 3)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from optimise.problem import Solution
from optimise.run import load_case
from optimise.solver import SolverFault
from problems.formats import read_holmberg, read_orlib_cap
from problems.p_median import PMedian
from tests.conftest import BENCH, DATA, run_cli


def broken(solution: Solution, table: str, change) -> Solution:
    """A copy of ``solution`` with ``change`` applied to one of its tables."""
    out = copy.deepcopy(solution)
    out.tables[table] = change(out.tables[table].copy())
    return out


def solved(path, **overrides):
    case = load_case(path, overrides=overrides)
    result = case.problem.solve()
    assert result.status == "optimal" and case.problem.check_plan(result.solution) == []
    return case.problem, result.solution


def test_location_rules() -> None:
    problem, plan = solved(DATA / "small-pmedian")
    closed = plan.tables["sites"].index[~plan.tables["sites"]["open"]][0]

    def open_one_more(t):
        t.loc[closed, "open"] = True
        return t

    assert any("sites open where p = 2" in b for b in problem.check_plan(broken(plan, "sites", open_one_more)))
    site = plan.tables["sites"]["id"].iloc[closed]

    def serve_from_closed(t):
        t.loc[0, "site_id"] = site
        return t

    assert any("closed site" in b for b in problem.check_plan(broken(plan, "assignment", serve_from_closed)))

    def drop_a_point(t):
        return t.iloc[1:]

    assert any("served 0 times" in b for b in problem.check_plan(broken(plan, "assignment", drop_a_point)))


def test_capacity_and_single_source_rules() -> None:
    cflp = read_orlib_cap(BENCH / "orlib-cap" / "cap41.txt")
    plan = cflp.solve().solution
    assert cflp.check_plan(plan) == []
    full = plan.tables["sites"].sort_values("utilisation", ascending=False)["id"].iloc[0]

    def crowd(t):
        t["site_id"] = full  # every point to the fullest site
        return t

    assert any("over its capacity" in b for b in cflp.check_plan(broken(plan, "assignment", crowd)))
    sscflp = read_holmberg(BENCH / "sscflp-holmberg" / sorted(p.name for p in (BENCH / "sscflp-holmberg").glob("p*"))[0])
    single = sscflp.solve(time_limit=60).solution

    def split(t):
        row = t.iloc[[0]].copy()
        t.loc[t.index[0], "share"] = 0.5
        row["share"] = 0.5
        row["site_id"] = [s for s in sscflp.data.site_ids if s != row["site_id"].iloc[0]][0]
        return __import__("pandas").concat([t, row], ignore_index=True)

    assert any("split over sites" in b for b in sscflp.check_plan(broken(single, "assignment", split)))


def test_hub_rules() -> None:
    problem, plan = solved(DATA / "small-hubs")

    def all_large(t):
        t["open"], t["size"] = True, "large"
        return t

    breaks = problem.check_plan(broken(plan, "hubs", all_large))
    assert any("does not fit" in b for b in breaks) and any("over the budget" in b for b in breaks)

    def overfill(t):
        t["share"] = 1.0
        t["site_id"] = t["site_id"].iloc[0]
        return t

    breaks = problem.check_plan(broken(plan, "assignment", overfill))
    assert any("vehicle places" in b or "beyond" in b for b in breaks)

    def close_all(t):
        t["open"], t["size"] = False, ""
        return t

    assert any("where no hub is open" in b for b in problem.check_plan(broken(plan, "hubs", close_all)))


def test_quay_rules() -> None:
    problem, plan = solved(DATA / "small-quays")
    schedule = plan.tables["schedule"]
    due = schedule.index[schedule["due"].astype(bool)][0]

    def too_late(t):
        t.loc[due, "start"] = None
        return t

    assert any("safe life" in b for b in problem.check_plan(broken(plan, "schedule", too_late)))
    first = int(problem.data.periods[0])

    def all_at_once(t):
        t["start"] = first
        return t

    breaks = problem.check_plan(broken(plan, "schedule", all_at_once))
    assert any("budget of" in b or "crews of" in b or "district" in b for b in breaks)


def test_a_broken_plan_from_the_solver_is_a_fault(monkeypatch, small_instance) -> None:
    monkeypatch.setattr(PMedian, "check_plan", lambda self, solution: ["site S9 is forbidden but open"])
    problem = load_case(small_instance).problem
    with pytest.raises(SolverFault, match="S9 is forbidden but open"):
        problem.solve()
    run = run_cli("solve", small_instance, "--json")
    assert run.code == 3 and run.stdout == "" and "breaks a rule" in run.stderr


@pytest.mark.parametrize("seed", range(5))
def test_random_location_plans_keep_their_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 100, size=(15, 6))
    forbidden = int(rng.integers(6))
    fixed = (forbidden + 1 + int(rng.integers(5))) % 6
    problem = PMedian.from_cost_matrix(cost, p=3, fixed=[fixed], forbidden=[forbidden])
    plan = problem.solve().solution  # solve_built ran the check: no SolverFault
    sites = plan.tables["sites"]
    assert not (sites["open"] & sites["forbidden"]).any() and (sites["open"] | ~sites["fixed"]).all()
