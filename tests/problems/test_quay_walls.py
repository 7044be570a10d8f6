"""Quay-wall and bridge renewal: the MILP against brute force on a hand-made street
network, with bundling, shared closures, interacting and conflicting detours, precedence,
blackouts and district limits; the instance and the command line."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimise.errors import InputError
from optimise.problem import Solution
from optimise.vital import VitalSystems
from problems.quay_walls import QuayWalls
from tests.conftest import ROOT, assert_clean_error, assert_whole_plan_keeps_every_row, run_cli

SMALL = ROOT / "instances" / "amsterdam-quays-small"


def street_network() -> VitalSystems:
    """N1-N2 direct (L1, 1 km) with detours over N3 (L2, L3) or N4 (L5, L4); N2-N5 by two
    parallel links (L7, L8): closing both cuts N5 off."""
    links = [("L1", "N1", "N2", 1000, 1000), ("L2", "N1", "N3", 800, 600), ("L3", "N3", "N2", 800, 600),
             ("L4", "N2", "N4", 500, 400), ("L5", "N1", "N4", 1500, 300), ("L6", "N3", "N4", 900, 200),
             ("L7", "N2", "N5", 400, 500), ("L8", "N2", "N5", 450, 500)]
    assets = pd.DataFrame([{"id": i, "system": "mobility", "type": "link", "capacity": 2000.0, "load": float(q),
                            "unit": "vehicles/h", "from_node": a, "to_node": b, "length_m": float(length)}
                           for i, a, b, length, q in links])
    works = ["W1", "W2", "W3", "W4", "W5", "W6"]
    assets = pd.concat([assets, pd.DataFrame({"id": works, "system": "mobility", "type": "bridge"})], ignore_index=True)
    deps = pd.DataFrame({"source": works, "target": ["L1", "L1", "L2", "L4", "L7", "L8"], "kind": "access",
                         "strength": [0.5, 0.5, 0.5, 0.25, 1.0, 1.0]})
    return VitalSystems.from_tables(assets, deps)


def tiny(starts: dict[str, int] | None = None, **params) -> QuayWalls:
    works = pd.DataFrame({
        "id": ["W1", "W2", "W3", "W4", "W5", "W6"], "kind": ["bridge", "bridge", "bridge", "quay", "bridge", "bridge"],
        "district": ["D1", "D1", "D2", "D2", "D3", "D3"], "length_m": [0, 0, 0, 300, 0, 0],
        "latest": [2028, np.nan, 2029, np.nan, 2029, np.nan], "duration": [1, 1, 1, 2, 1, 1],
        "cost": [4.0, 3.0, 3.0, 5.0, 2.0, 2.0], "crews": [1, 1, 1, 1, 1, 1],
        "risk": [1.0, 2.5, 0.5, 3.0, 0.8, 2.0],
        "link": ["L1", "L1", "L2", "L4", "L7", "L8"], "closure_share": [0.5, 0.5, 0.5, 0.25, 1.0, 1.0],
    })
    if starts:
        works["start"] = works["id"].map(starts).astype(float)
    periods = pd.DataFrame({"period": [2027, 2028, 2029], "budget": [7.0, 6.0, 7.0], "crews": [2, 2, 3]})
    utilities = pd.DataFrame({"id": ["U1", "U2", "U3", "U4"], "host": ["W1", "W4", "W3", "W6"],
                              "earliest": [2027, 2029, 2027, 2027], "latest": [2028, 2031, 2029, 2028],
                              "cost": [2.0, 1.5, 0.8, 0.5], "saving": [1.0, 0.9, 0.3, 0.1],
                              "operator": ["", "Net", "Net", ""]})
    operators = pd.DataFrame({"operator": "Net", "period": [2027, 2028, 2029], "budget": [1.0, 1.0, 1.2],
                              "crews": [1, 1, 1]})
    tables = {"districts": pd.DataFrame({"id": ["D1"], "max_closures": [1]}), "operators": operators,
              "blackouts": pd.DataFrame({"period": [2028], "district": ["D2"], "reason": ["event"]}),
              "precedence": pd.DataFrame({"before": ["W3"], "after": ["W4"]}),
              "utilities": utilities}
    defaults = {"hours_per_period": 10.0, "weight_hindrance": 1.0, "weight_air": 0.01, "traffic_growth": 0.1}
    defaults.update(params)
    return QuayWalls.from_tables(works, periods, vital=street_network(), **tables, **defaults)


def rules_checker(problem: QuayWalls):
    """The renewal rules written once more from the tables, for brute force: a cable done on
    its own closes its host (blackouts, districts, conflicts); cable works cost and take crews
    from their operator, or from the renewal budget and crews."""
    d = problem.data
    H, works, util = d.horizon, d.works, d.utilities
    host = util["host_index"].to_numpy(int)
    u_dur, u_cost, u_save = (util[c].to_numpy(float) for c in ("duration", "cost", "saving"))
    u_crews = util["crews"].to_numpy(float)
    payer = util["operator"].astype(str).to_numpy()
    w_rate = (works["cost"] / works["duration"]).to_numpy(float)
    w_crews = works["crews"].to_numpy(float)
    district = works["district"].to_numpy()
    payers = [("", d.budget, d.crews), *[(o, d.operator_budget[k], d.operator_crews[k]) for k, o in enumerate(d.operators)]]

    def rules_hold(start: np.ndarray, modes: list[tuple[str, int]]) -> bool:
        act = problem.active_matrix(start)
        running = np.zeros((len(util), H), dtype=bool)
        alone = np.zeros((len(util), H), dtype=bool)
        spend = np.zeros(len(util))
        for u, (mode, t) in enumerate(modes):
            if mode != "later":
                running[u, t:t + int(u_dur[u])] = True
                alone[u] = running[u] if mode == "separate" else False
                spend[u] = (u_cost[u] - (u_save[u] if mode == "bundled" else 0)) / u_dur[u]
        if (alone & d.blackout[host]).any():
            return False
        for who, budget, crews in payers:
            mine = payer == who
            base_spend, base_crews = (w_rate @ act, w_crews @ act) if who == "" else (0.0, 0.0)
            if (base_spend + spend[mine] @ running[mine] > budget + 1e-9).any():
                return False
            if (base_crews + u_crews[mine] @ running[mine] > crews + 1e-9).any():
                return False
        for dist, limit in d.district_limit.items():
            if (act[district == dist].sum(axis=0) + alone[district[host] == dist].sum(axis=0) > limit).any():
                return False
        closed = act.copy()
        for u in range(len(util)):
            closed[host[u]] |= alone[u]
        return not any((closed[a] & closed[b]).any() for a, b in d.conflicts)

    return rules_hold


def brute_force(problem: QuayWalls) -> float:
    """Every start period (or none) for each work and every option for each cable, the rules
    checked by ``rules_hold``; the least weighted objective."""
    d = problem.data
    H = d.horizon
    works = d.works
    dur = works["duration"].to_numpy(int)
    options = [[-1] + list(range(H)) for _ in range(d.n)]
    best = np.inf
    rules_hold = rules_checker(problem)
    for combo in itertools.product(*options):
        start = np.array(combo)
        act = problem.active_matrix(start)
        if any(start[a] >= 0 and start[a] + dur[a] > H for a in range(d.n)):
            continue
        if any(d.due[a] and not (0 <= start[a] <= d.latest[a]) for a in range(d.n)):
            continue
        if (act & d.blackout).any():
            continue
        if any(start[b] >= 0 and (start[a] < 0 or start[b] < start[a] + dur[a]) for a, b in d.precedence):
            continue
        util = d.utilities
        choices = []
        for u in range(len(util)):
            host = int(util["host_index"].iloc[u])
            lo, hi, du = int(util["window_lo"].iloc[u]), int(util["window_hi"].iloc[u]), int(util["duration"].iloc[u])
            modes = [("separate", t) for t in range(lo, min(hi, H - 1) + 1) if t + du <= H]
            modes += [("bundled", t) for t in range(lo, min(hi, H - 1) + 1) if start[host] == t]
            if hi >= H:
                modes.append(("later", H))
            choices.append(modes)
        for modes in itertools.product(*choices):
            if rules_hold(start, list(modes)):
                best = min(best, problem.weighted(problem.evaluate(start, list(modes))))
    return best


def test_detours_shared_closures_and_conflicts() -> None:
    p = tiny()
    d = p.data
    # L1 closed: its traffic goes N1-N3-N2 (1,600 m instead of 1,000 m)
    assert d.traffic.vehicle_km[0] == pytest.approx(0.5 * 1000 * 10 * 0.6)
    inter = d.interactions.set_index(["a", "b"])
    # W1 and W2 close the same link: together they cost less than apart
    assert inter.loc[(0, 1), "d_hindrance"] < 0
    # W3 closes L2, on W1's detour: together the detours grow
    assert inter.loc[(0, 2), "d_hindrance"] > 0
    # W5 and W6 close the two links to N5: together they cut it off, so never at once
    assert (4, 5) in d.conflicts


@pytest.mark.parametrize("params", [{}, {"weight_hindrance": 0.0}, {"weight_risk": 0.0, "weight_cost": 0.1},
                                    {"traffic_growth": -0.3, "weight_hindrance": 5.0}])
def test_optimum_matches_brute_force(params: dict) -> None:
    p = tiny(**params)
    result = p.solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force(p), rel=1e-7, abs=1e-7)


def test_lp_and_fix_leaves_a_whole_plan_that_keeps_every_row_within_its_bound() -> None:
    import pyomo.core as pyo

    from problems.quay_walls.heuristic import lp_and_fix

    for params in ({}, {"weight_hindrance": 0.0}, {"traffic_growth": -0.3, "weight_hindrance": 5.0}):
        p = tiny(**params)
        model = p.build()
        figures = lp_and_fix(model, None, 0)
        assert figures is not None
        assert_whole_plan_keeps_every_row(model)
        assert pyo.value(model.objective) == pytest.approx(figures["start_objective"], rel=1e-9, abs=1e-9)
        best = brute_force(p)
        assert figures["start_bound"] <= best + 1e-7 <= figures["start_objective"] + 2e-7
    # a start the model fixed has no column of its own: decided already, kept as it is
    model = tiny().build()
    q = model.maps.by_work[1][0]
    model.s[q].fix(0)
    assert lp_and_fix(model, None, 0) is not None and model.s[q].value == 0


def test_a_head_start_within_the_gap_settles_the_solve_and_a_proof_still_runs_highs(monkeypatch) -> None:
    import problems.quay_walls.heuristic as heuristic

    p = tiny()
    best = brute_force(p)
    loose = p.solve(gap=0.5)
    assert loose.size["start_seconds"] > 0 and loose.solve_seconds == 0.0  # HiGHS was not run
    assert "the starting plan" in loose.termination
    assert loose.status in ("feasible", "optimal") and loose.gap <= 0.5
    assert loose.bound <= best + 1e-7 <= loose.objective + 1e-7
    proof = p.solve(gap=0.0)
    assert proof.status == "optimal" and proof.objective == pytest.approx(best, rel=1e-7, abs=1e-7)
    # a what-if's given plan: the head start still runs first; where it does not settle the
    # solve (here: its bound made too weak to), HiGHS starts from the given plan and proves
    plan = ({"schedule": proof.tables["schedule"], "utilities": proof.tables["utilities"]}, {})
    lp_and_fix = heuristic.lp_and_fix

    def weak_bound(*args):
        figures = lp_and_fix(*args)
        return {**figures, "start_bound": figures["start_bound"] - 1e6}

    monkeypatch.setattr(heuristic, "lp_and_fix", weak_bound)
    again = tiny(weight_hindrance=5.0)
    result = again.solve(gap=0.0, plan=plan)
    assert "start_seconds" in result.size and result.size.get("start_values", 0) > 0
    assert result.status == "optimal" and result.solve_seconds > 0
    assert result.objective == pytest.approx(brute_force(again), rel=1e-7, abs=1e-7)


def test_schedule_keeps_every_rule_and_bundles_where_it_pays() -> None:
    p = tiny()
    result = p.solve()
    sched = result.tables["schedule"].set_index("id")
    assert sched.loc["W1", "start"] <= 2028 and sched.loc["W3", "start"] <= 2029
    if not pd.isna(sched.loc["W4", "start"]):
        assert sched.loc["W4", "start"] > sched.loc["W3", "end"]
        assert not (sched.loc["W4", "start"] <= 2028 <= sched.loc["W4", "end"])  # blackout in D2
    assert not (sched.loc["W5", "start"] == sched.loc["W6", "start"])
    util = result.tables["utilities"].set_index("id")
    assert util.loc["U1", "mode"] == "bundled" and util.loc["U1", "period"] == sched.loc["W1", "start"]
    assert result.solution.summary["past_safe_life"] == 0


def broken(result, table: str, row_id: str, **values) -> Solution:
    """The plan with one row of one table changed, as a planner might edit it."""
    tables = {name: frame.copy() for name, frame in result.tables.items()}
    where = tables[table]["id"] == row_id
    for column, value in values.items():
        tables[table].loc[where, column] = value
    return Solution(tables=tables)


def test_cable_works_on_their_own_are_closures_and_paid_by_their_operator() -> None:
    """Issue 19 item 1: each broken plan fails with the rule named; the optimum keeps them all."""
    p = tiny()
    result = p.solve()
    assert p.check_plan(result.solution) == []
    sched = result.tables["schedule"].set_index("id")
    # U3 on its own in 2028 closes W3 in D2's blackout
    assert any("U3 is replaced on its own in 2028, closing W3 in a blackout" in b
               for b in p.check_plan(broken(result, "utilities", "U3", mode="separate", period=2028)))
    # U1 on its own while W2 (same district D1, one closure at a time) is in works
    w2 = sched.loc["W2", "start"]
    if not pd.isna(w2):
        breaks = p.check_plan(broken(result, "utilities", "U1", mode="separate", period=int(w2)))
        assert any(b.startswith(f"district D1 has 2 closures at once in {int(w2)}") for b in breaks), breaks
    # U2 on its own costs Net 1.5 in 2029, more than its budget of 1.2
    breaks = p.check_plan(broken(result, "utilities", "U2", mode="separate", period=2029))
    assert any("the budget of Net in 2029 is exceeded" in b for b in breaks), breaks
    # a cable done on its own under W5 while W6 is closed cuts N5 off
    breaks = p.check_plan(broken(result, "utilities", "U1", mode="bundled", period=2029))
    assert "U1 is bundled in 2029 but its host W1 does not start then" in breaks
    assert "U1 is replaced in 2029, outside its window" in breaks
    with pytest.raises(InputError, match="2030 is not a period of the instance") as err:
        p.check_plan(broken(result, "utilities", "U1", mode="bundled", period=2030))
    assert (err.value.field, err.value.row) == ("period", 1)
    w5 = int(sched.loc["W5", "start"])
    assert any(f"W5 and W6 are closed together in {w5}" in b
               for b in p.check_plan(broken(result, "schedule", "W6", start=w5, end=w5)))
    # U4 on its own closes W6 again: not while W5 is closed
    plan = broken(broken(result, "schedule", "W5", start=2027, end=2027), "utilities", "U4", mode="separate", period=2027)
    assert any("W5 and W6 are closed together in 2027" in b for b in p.check_plan(plan)), p.check_plan(plan)


def test_a_given_start_is_kept_and_checked() -> None:
    """A work whose start is given (a decision taken, or a what-if from the app) starts then,
    even one not due; the plan check names a plan that moves it; an impossible one is refused."""
    free = tiny().solve()
    w2 = free.tables["schedule"].set_index("id").loc["W2", "start"]
    year = 2029 if w2 != 2029 else 2027
    p = tiny(starts={"W2": year})
    result = p.solve()
    assert result.status == "optimal"
    assert result.tables["schedule"].set_index("id").loc["W2", "start"] == year
    assert p.check_plan(result.solution) == []
    other = 2027 if year != 2027 else 2028
    breaks = p.check_plan(broken(result, "schedule", "W2", start=other, end=other))
    assert f"W2 is to start in {year} but starts in {other}" in breaks, breaks
    # fixing a start can only cost: the free optimum is at least as good
    assert free.objective <= result.objective + 1e-9
    with pytest.raises(InputError, match="W4.* is to start in 2028, but it may not start then"):
        tiny(starts={"W4": 2028})  # D2's blackout in 2028


def test_an_operator_without_a_budget_is_named() -> None:
    p = tiny()
    with pytest.raises(InputError, match="operator 'Grid' has no budget") as err:
        QuayWalls.from_tables(p.data.works, pd.DataFrame({"period": [2027, 2028, 2029], "budget": [7.0, 6.0, 7.0],
                                                          "crews": [2, 2, 3]}), vital=street_network(),
                              utilities=pd.DataFrame({"id": ["U1"], "host": ["W1"], "earliest": [2027], "latest": [2028],
                                                      "cost": [2.0], "operator": ["Grid"]}))
    assert err.value.field == "operator" and err.value.row == 1


def test_budget_shortfall_is_named_before_solving() -> None:
    p_ok = tiny()
    assert p_ok.data.n == 6
    works = p_ok.data.works.copy()
    works.loc[works["id"] == "W3", "latest"] = 2027
    works.loc[works["id"] == "W1", "latest"] = 2027
    from optimise.errors import InfeasibleInput

    with pytest.raises(InfeasibleInput, match="budget up to 2027"):
        QuayWalls.from_tables(works.assign(cost=[4.0, 3.0, 4.0, 5.0, 2.0, 2.0]),
                              pd.DataFrame({"period": [2027, 2028], "budget": [7.0, 7.0], "crews": [3, 3]}),
                              vital=street_network())


def test_small_instance_cli(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = run_cli("solve", SMALL, "--out", out, "--json", "--gap", "0.001")
    assert run.code == 0, run.stderr
    s = run.json()
    assert s["status"] in ("optimal", "feasible") and s["gap"] <= 0.001
    assert s["past_safe_life"] == 0 and s["works_scheduled"] >= s["works_due"]
    periods = pd.read_csv(out / "periods.csv")
    assert len(periods) == 8 and (periods["budget_used"] <= periods["budget"] + 1e-6).all()
    assert {"gantt.png", "map_2027.png", "schedule.csv", "utilities.csv", "layers.gpkg"} <= {f.name for f in out.iterdir()}
    assert len(s["flags"]["systems"]) == 8 * len({f["system"] for f in s["flags"]["systems"]})


def test_pareto_between_hindrance_and_risk_on_tiny() -> None:
    from optimise.solver import SolveOptions
    from optimise.tradeoffs import pareto_front

    front = pareto_front(tiny(), "hindrance", "risk", 4, SolveOptions())
    t = front.table
    assert np.all(np.diff(t["hindrance"]) >= -1e-9) and np.all(np.diff(t["risk"]) <= 1e-9)


@pytest.mark.parametrize("old, new, needles", [
    ("period,budget,crews\n2027,", "period,budget,crews\n2027,-", ("periods.csv", "budget", "row 1")),
    ("BR-", "XX-", ("precedence.csv",)),
])
def test_bad_quay_input(tmp_path: Path, old: str, new: str, needles) -> None:
    import shutil

    inst = tmp_path / "inst"
    shutil.copytree(SMALL, inst)
    target = inst / ("periods.csv" if "period" in old else "precedence.csv")
    target.write_text(target.read_text().replace(old, new, 1))
    assert_clean_error(run_cli("solve", inst), *needles)


@pytest.mark.parametrize("folder", ["small-quays"])
def test_reported_vehicle_hours_are_the_hindrance_the_objective_counts(folder: str) -> None:
    """Issue 19 item 3: cables left until after the horizon close their host again; their
    vehicle-hours count in the objective and so in the reported extra vehicle-hours."""
    from optimise.run import load_case
    from tests.conftest import DATA

    result = load_case(DATA / folder).problem.solve()
    s = result.solution.summary
    assert s["extra_vehicle_hours_after_horizon"] > 0  # the instance leaves a cable until after 2029
    assert s["extra_vehicle_hours"] == pytest.approx(s["objectives"]["hindrance"], rel=1e-9)
    periods = result.tables["periods"]
    assert s["extra_vehicle_hours"] == pytest.approx(periods["extra_vehicle_hours"].sum()
                                                     + s["extra_vehicle_hours_after_horizon"], rel=1e-12)


def test_the_interaction_shortlist_does_not_depend_on_row_order() -> None:
    """Issue 19 item 2: many interactions tie; which survive the per-work cap must not be an
    accident of an unstable sort."""
    from problems.quay_walls.traffic import _shortlist

    n = 30
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    rows = pd.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs],
                         "d_hindrance": [5.0 if (a + b) % 3 else 7.0 for a, b in pairs], "d_air": 0.0, "d_vkm": 0.0})
    params = {"min_interaction": 0.0, "max_interactions": 2}
    vh = np.ones(n)
    kept = {tuple(r) for r in _shortlist(rows, vh, params)[["a", "b"]].to_numpy()}
    for seed in range(5):
        shuffled = rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        assert {tuple(r) for r in _shortlist(shuffled, vh, params)[["a", "b"]].to_numpy()} == kept
    assert (0, 3) in kept and (0, 6) in kept  # the largest first, the earlier works' pairs first among equals


def test_plans_are_also_judged_with_every_interaction() -> None:
    """Issue 19 item 2: with interactions left out, the plan's hindrance with all of them is
    reported, and the bound given for the full model is valid (below its optimum)."""
    reduced, full = tiny(max_interactions=0), tiny(max_interactions=100, min_interaction=0.0)
    assert len(full.data.interactions) > 0 and len(reduced.data.interactions) == 0
    plan = reduced.solve()
    figures = plan.solution.summary["full_model"]
    start = np.full(reduced.data.n, -1)
    labels = list(reduced.data.periods)
    for a, value in enumerate(plan.tables["schedule"]["start"]):
        if value is not None and not pd.isna(value):
            start[a] = labels.index(int(value))
    modes = [(m, labels.index(int(t)) if t is not None and not pd.isna(t) else reduced.data.horizon)
             for m, t in zip(plan.tables["utilities"]["mode"], plan.tables["utilities"]["period"])]
    assert figures["hindrance_all_interactions"] == pytest.approx(full.evaluate(start, modes)["hindrance"], rel=1e-9)
    best_full = full.solve()
    assert best_full.status == "optimal"
    assert figures["bound_all_interactions"] <= best_full.objective + 1e-6 * abs(best_full.objective)
    assert figures["objective_all_interactions"] >= best_full.objective - 1e-6 * abs(best_full.objective)


def test_detours_computed_in_forked_workers_are_the_ones_computed_here(monkeypatch) -> None:
    import optimise.parallel as parallel
    from optimise.run import load_case

    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)  # every detour here, in order
    here = load_case(SMALL).problem.data
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    forked = load_case(SMALL).problem.data
    for name, value in vars(here.traffic).items():
        np.testing.assert_array_equal(getattr(forked.traffic, name), value, err_msg=name)
    pd.testing.assert_frame_equal(forked.interactions, here.interactions)
    pd.testing.assert_frame_equal(forked.all_interactions, here.all_interactions)
    assert forked.conflicts == here.conflicts and len(here.all_interactions) > 64
