"""Mobility-hub siting: the MILP against brute force, the grid and conflict rules, the
Pareto front against every plan, alternatives, and the command line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from optimise.solver import SolveOptions
from optimise.tradeoffs import alternatives, pareto_front
from optimise.vital import VitalSystems
from problems.hub_siting import HubSiting
from tests.conftest import DATA, assert_clean_error, assert_whole_plan_keeps_every_row, run_cli

SMALL = DATA / "small-hubs"
RD = "EPSG:28992"


def random_problem(seed: int, **params) -> HubSiting:
    """A random instance small enough to enumerate: 7 points, 4 sites, 2 classes, a grid."""
    rng = np.random.default_rng(seed)
    n, m = 7, 4
    demand = gpd.GeoDataFrame({
        "id": [f"d{i}" for i in range(n)], "residents": rng.integers(50, 500, n).astype(float),
        "jobs": rng.integers(0, 300, n).astype(float), "cars": rng.integers(10, 150, n).astype(float),
    }, geometry=gpd.points_from_xy(rng.uniform(0, 500, n), rng.uniform(0, 500, n)), crs=RD)
    sites = gpd.GeoDataFrame({
        "id": [f"s{j}" for j in range(m)], "space_m2": rng.choice([200.0, 2000.0], m),
        "cost_factor": rng.uniform(0.8, 1.3, m).round(2), "asset": rng.choice(["F1", "F2"], m),
    }, geometry=gpd.points_from_xy(rng.uniform(0, 500, m), rng.uniform(0, 500, m)), crs=RD)
    sizes = pd.DataFrame({"id": ["small", "large"], "footprint_m2": [150.0, 900.0], "vehicles": [8.0, 40.0],
                          "charging_points": [4.0, 20.0], "cost": [200_000.0, 500_000.0]})
    assets = pd.DataFrame({"id": ["SUB", "F1", "F2"], "system": "energy", "capacity": [10.0, 1.0, 1.0],
                           "load": [9.9, 0.9, rng.uniform(0.8, 0.95)], "unit": "MW"})
    deps = pd.DataFrame({"source": ["SUB", "SUB"], "target": ["F1", "F2"], "kind": "supply", "strength": 1.0})
    vital = VitalSystems.from_tables(assets, deps)
    defaults = {"budget": float(rng.choice([600_000, 900_000])), "max_walk_m": 450.0, "weight_space_won": 5.0}
    defaults.update(params)
    return HubSiting.from_geodataframe(demand, sites, sizes, vital=vital, **defaults)


def plan_lp(problem: HubSiting, size_of: np.ndarray, c_pair: np.ndarray, extra: list | None = None):
    """For a fixed choice of hubs (class per site, -1 none): the best assignment by LP
    (scipy's linprog), minimising c_pair @ x; ``extra`` adds (row, rhs) <= rows."""
    d, p = problem.data, problem.params
    open_pair = size_of[d.pairs[:, 1]] >= 0
    q = len(d.pairs)
    rows, rhs = [], []
    for i in range(d.n_demand):
        rows.append((d.pairs[:, 0] == i).astype(float))
        rhs.append(1.0)
    need = problem.pair_vehicles()
    vehicles = d.sizes["vehicles"].to_numpy(float)
    for j in np.flatnonzero(size_of >= 0):
        rows.append(np.where(d.pairs[:, 1] == j, need, 0.0))
        rhs.append(vehicles[size_of[j]])
    if p["min_served"] > 0:
        rows.append(-d.users[d.pairs[:, 0]])
        rhs.append(-p["min_served"] * d.users.sum())
    for row, value in extra or []:
        rows.append(row)
        rhs.append(value)
    bounds = [(0.0, 1.0 if open_pair[k] else 0.0) for k in range(q)]
    res = linprog(c_pair, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    return res


def feasible_choices(problem: HubSiting):
    """Every choice of a class (or none) per site that meets one-class, space, conflicts,
    budget, hub count and grid headroom: the integer part, enumerated."""
    d, p = problem.data, problem.params
    cost = d.sizes["cost"].to_numpy(float)
    load = problem.class_load()
    options = [[-1] + list(np.flatnonzero(d.allowed[j])) for j in range(d.n_sites)]
    for combo in itertools.product(*options):
        size_of = np.array(combo)
        built = size_of >= 0
        if (d.fixed & ~built).any():
            continue
        if p["budget"] is not None and (cost[size_of[built]] * d.cost_factor[built]).sum() > p["budget"] + 1e-6:
            continue
        if p["hubs"] is not None and built.sum() != p["hubs"]:
            continue
        site_load = np.where(built, load[np.maximum(size_of, 0)], 0.0)
        if len(d.grid_assets) and ((site_load @ d.grid_share) > d.grid_headroom + 1e-9).any():
            continue
        yield size_of


def weighted_pair_costs(problem: HubSiting) -> np.ndarray:
    d, p = problem.data, problem.params
    i = d.pairs[:, 0]
    walk = d.users[i] * (problem.walk_minutes() - p["unserved_minutes"])
    won = p["m2_per_car"] * d.cars[i] * d.acceptance
    return p["weight_walk"] * walk - p["weight_space_won"] * won


def brute_force(problem: HubSiting) -> float:
    d, p = problem.data, problem.params
    c = weighted_pair_costs(problem)
    foot = d.sizes["footprint_m2"].to_numpy(float)
    cost = d.sizes["cost"].to_numpy(float)
    best = np.inf
    for size_of in feasible_choices(problem):
        built = size_of >= 0
        res = plan_lp(problem, size_of, c)
        if res.status != 0:
            continue
        fixed = (p["weight_walk"] * (d.users * p["unserved_minutes"]).sum()
                 + p["weight_space_taken"] * foot[size_of[built]].sum()
                 + p["weight_cost"] * (cost[size_of[built]] * d.cost_factor[built]).sum())
        best = min(best, fixed + res.fun)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_optimum_matches_brute_force(seed: int) -> None:
    problem = random_problem(seed)
    result = problem.solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force(problem), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("params", [{"hubs": 2}, {"min_served": 0.6}, {"weight_cost": 0.001, "budget": None},
                                    {"weight_space_won": 0.0, "unserved_minutes": 30.0}])
def test_optimum_matches_brute_force_with_options(params: dict) -> None:
    problem = random_problem(11, **params)
    result = problem.solve()
    if result.status == "infeasible":
        assert brute_force(problem) == np.inf
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force(problem), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed, params", [(0, {}), (3, {}), (11, {"hubs": 2}), (11, {"min_served": 0.6})])
def test_lp_and_fix_leaves_a_whole_plan_within_its_bound(seed: int, params: dict, monkeypatch) -> None:
    import pyomo.core as pyo

    import problems.hub_siting.heuristic as heuristic

    monkeypatch.setattr(heuristic, "MIN_CHOICES", 0)  # these instances are far below the size it is for
    problem = random_problem(seed, **params)
    best = brute_force(problem)
    model = problem.build()
    figures = heuristic.lp_and_fix(problem.data, problem.params, model, None, 0)
    if best == np.inf:
        assert figures is None
        return
    assert figures is not None
    assert_whole_plan_keeps_every_row(model)
    assert pyo.value(model.objective) == pytest.approx(figures["start_objective"], rel=1e-9, abs=1e-6)
    assert figures["start_bound"] <= best + 1e-6 <= figures["start_objective"] + 2e-6
    # from it, a proof finds the same optimum; a loose gap ends at the plan
    assert problem.solve().objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    loose = problem.solve(gap=0.99)
    assert "start_seconds" in loose.size and loose.gap <= 0.99 and loose.objective >= best - 1e-6


@pytest.mark.parametrize("seed, params", [(0, {}), (5, {}), (11, {"hubs": 2}), (11, {"min_served": 0.6})])
def test_class_hull_lp_in_arrays_is_the_lp_of_define_class_links(seed: int, params: dict) -> None:
    """The first plan's LP, assembled in arrays from the loaded model, has the value of the
    documented class-disaggregated model built in Pyomo, and as many rows and columns."""
    import highspy

    import problems.hub_siting.heuristic as heuristic
    from optimise.solver import SolveOptions, load_model, run_highs
    from problems.hub_siting.model import build_model, define_class_links

    problem = random_problem(seed, **params)
    model = problem.build()
    arrays, y_col = heuristic.class_hull_lp(problem.data, problem.params, model,
                                            load_model(model, SolveOptions(threads=1)), None, 0)
    run_highs(arrays)
    hull = build_model(problem.data, problem.params, "hull")
    define_class_links(hull, problem.data, problem.params)
    pyomo_lp = load_model(hull, SolveOptions(threads=1), relax=True)
    run_highs(pyomo_lp.highs)
    status = pyomo_lp.highs.getModelStatus()
    assert arrays.getModelStatus() == status
    if status != highspy.HighsModelStatus.kOptimal:
        return
    assert arrays.getInfo().objective_function_value == pytest.approx(
        pyomo_lp.highs.getInfo().objective_function_value, rel=1e-9, abs=1e-7)
    assert arrays.getNumRow() == pyomo_lp.highs.getNumRow() and arrays.getNumCol() == pyomo_lp.highs.getNumCol()


def test_small_models_get_no_first_plan() -> None:
    import problems.hub_siting.heuristic as heuristic

    problem = random_problem(0)
    assert heuristic.lp_and_fix(problem.data, problem.params, problem.build(), None, 0) is None
    assert "start_seconds" not in problem.solve().size


def test_plan_respects_grid_headroom_and_conflicts() -> None:
    problem = HubSiting_from_small()
    result = problem.solve()
    hubs = result.tables["hubs"].set_index("id")
    # S3 lies 10 m from the claimed trench: a large hub's footprint (r = 16.9 m) touches it
    assert not problem.data.allowed[list(problem.data.site_ids).index("S3"), 1]
    assert problem.data.allowed[list(problem.data.site_ids).index("S3"), 0]
    # FEED-E has 0.05 MW left: a large hub (20 points x 11 kW x 0.5 = 0.11 MW) cannot go there
    assert hubs.loc["S3", "size"] != "large" and hubs.loc["S4", "size"] != "large"
    grid = result.tables["grid"].set_index("asset")
    assert (grid["load_after"] <= grid["limit"] + 1e-9).all()
    # the substation carries the load of both feeders
    assert grid.loc["SUB", "added"] == pytest.approx(grid.loc["FEED-W", "added"] + grid.loc["FEED-E", "added"])


def HubSiting_from_small(**overrides) -> HubSiting:
    from optimise.instance import load_instance

    instance = load_instance(SMALL)
    instance.parameters.update(overrides)
    return HubSiting.from_instance(instance)


def test_scenario_carries_the_charging_load_upstream() -> None:
    problem = HubSiting_from_small()
    result = problem.solve()
    changes = {c.asset: c.value for c in problem.scenario(result).changes}
    hubs = result.tables["hubs"]
    west = hubs[hubs["asset"] == "FEED-W"]["charging_load_mw"].sum()
    east = hubs[hubs["asset"] == "FEED-E"]["charging_load_mw"].sum()
    assert changes["SUB"] == pytest.approx(west + east)
    if west:
        assert changes["FEED-W"] == pytest.approx(west)


def test_acceptance_curve_is_exact_per_pair() -> None:
    problem = random_problem(3)
    d = problem.data
    expected = np.interp(d.walk_m, [0, 100, 150, 250, 400], [0.3, 0.3, 0.2, 0.1, 0.0])
    assert np.allclose(d.acceptance, expected)
    assert (d.walk_m <= problem.params["max_walk_m"] + 1e-9).all()


def test_pareto_front_is_monotone_and_non_dominated() -> None:
    problem = random_problem(4, budget=900_000.0)
    front = pareto_front(problem, "walk", "space_won", 6, SolveOptions())
    t = front.table
    assert len(t) >= 2 and front.dropped == 0
    assert (t["status"] == "optimal").all()
    # sorted by walk (better = lower): space won (better = higher) never falls behind
    assert np.all(np.diff(t["walk"]) >= -1e-6)
    assert np.all(np.diff(t["space_won"]) >= -1e-6)
    # no plan at all does better on both: check every choice of hubs with an LP
    d, p = problem.data, problem.params
    i = d.pairs[:, 0]
    walk_c = d.users[i] * (problem.walk_minutes() - p["unserved_minutes"])
    walk_0 = float((d.users * p["unserved_minutes"]).sum())
    won_c = p["m2_per_car"] * d.cars[i] * d.acceptance
    for row in t.itertuples():
        for size_of in feasible_choices(problem):
            # the least walking among plans with these hubs that win at least as much space
            res = plan_lp(problem, size_of, walk_c, extra=[(-won_c, -(row.space_won - 1e-6))])
            if res.status == 0:
                assert walk_0 + res.fun >= row.walk - 1e-6 * max(1, row.walk), (row, size_of)


def test_alternatives_differ_and_stay_within_the_slack() -> None:
    problem = random_problem(5, budget=1_200_000.0)
    found = alternatives(problem, 3, 0.10, SolveOptions())
    best = found[0].objective
    assert found[0].result.status == "optimal"
    plans = [frozenset(a.result.solution.summary["open_sites"]) | frozenset(
        f"{r.id}:{r.size}" for r in a.result.tables["hubs"].itertuples() if r.open) for a in found]
    assert len(set(plans)) == len(plans)
    for a in found[1:]:
        assert a.objective <= best + 0.10 * abs(best) + 1e-6
        assert a.distance >= 1
        assert a.objective == pytest.approx(
            problem.weighted(problem.evaluate(_sizes(problem, a), _shares(problem, a))), rel=1e-9)


def _sizes(problem: HubSiting, a) -> np.ndarray:
    hubs = a.result.tables["hubs"]
    names = list(problem.data.sizes["id"].astype(str))
    return np.array([names.index(s) if o else -1 for s, o in zip(hubs["size"], hubs["open"])])


def _shares(problem: HubSiting, a) -> np.ndarray:
    d = problem.data
    table = a.result.tables["assignment"]
    key = {(di, sj): s for di, sj, s in zip(table["demand_id"], table["site_id"], table["share"])}
    return np.array([key.get((d.demand_ids[i], d.site_ids[j]), 0.0) for i, j in d.pairs])


def test_cli_solve_writes_plan_map_and_flags(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = run_cli("solve", SMALL, "--out", out, "--json")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert summary["status"] == "optimal"
    assert {"indicators", "flags", "space_won_m2", "mean_walk_min", "p95_walk_min", "share_served"} <= set(summary)
    for name in ("map.png", "hubs.csv", "assignment.csv", "grid.csv", "layers.gpkg", "summary.json", "report.md"):
        assert (out / name).exists(), name
    layers = set(gpd.list_layers(out / "layers.gpkg")["name"])
    assert {"hubs", "demand", "assignment"} <= layers


def test_cli_pareto_writes_table_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "front"
    run = run_cli("pareto", SMALL, "--x", "walk", "--y", "space_won", "--points", "4", "--out", out, "--json")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert len(summary["points"]) >= 2
    assert (out / "pareto.csv").exists() and (out / "pareto.png").exists()
    assert json.loads((out / "summary.json").read_text())["x"] == "walk"
    assert "flag" in pd.read_csv(out / "pareto.csv").columns


def test_cli_alternatives(tmp_path: Path) -> None:
    run = run_cli("solve", SMALL, "--alternatives", "2", "--within", "20", "--json")
    assert run.code == 0, run.stderr
    alts = run.json()["alternatives"]
    assert alts[0]["alternative"] == 0 and len(alts) >= 2
    assert all(a["above_optimum"] <= 0.20 + 1e-9 for a in alts)


@pytest.mark.parametrize("args, needles", [
    (("pareto", SMALL, "--x", "walk", "--y", "beauty"), ("beauty", "--y")),
    (("pareto", SMALL, "--x", "walk", "--y", "walk"), ("--y",)),
    (("pareto", SMALL, "--x", "walk", "--y", "cost", "--points", "1"), ("--points",)),
    (("solve", SMALL, "--alternatives", "0"), ("--alternatives",)),
])
def test_cli_tradeoff_mistakes(args, needles) -> None:
    assert_clean_error(run_cli(*args), *needles)


def _copy_small(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "inst"
    shutil.copytree(SMALL, target)
    return target


@pytest.mark.parametrize("file, old, new, needles", [
    ("sizes.csv", "small,150,12,4,200000", "small,-150,12,4,200000", ("sizes.csv", "footprint_m2", "row 1")),
    ("sizes.csv", "small,150", "large,150", ("sizes.csv", "id", "duplicate")),
    ("sites.csv", "S1,corner,300,1.0,FEED-W", "S1,corner,300,1.0,FEED-X", ("sites.csv", "asset", "row 1", "FEED-X")),
    ("demand.csv", "b1,400,50,120", "b1,many,50,120", ("demand.csv", "residents", "row 1")),
    ("sites.csv", "S2,square,,1.2", "S2,square,,-1", ("sites.csv", "cost_factor", "row 2")),
    ("instance.toml", "budget = 700000", "budget = 500000\nhubs = 3", ("parameters.budget", "3 hubs cost at least")),
    ("instance.toml", "max_walk_m = 400", "max_walk_m = 400\nmin_served = 1.5", ("min_served",)),
    ("instance.toml", "max_walk_m = 400", "max_walk_m = 400\nwalking_speed = 3", ("walking_speed",)),
])
def test_bad_hub_input_is_one_clean_line(tmp_path: Path, file: str, old: str, new: str, needles) -> None:
    inst = _copy_small(tmp_path)
    path = inst / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    assert_clean_error(run_cli("solve", inst), *needles)


def test_fixed_hub_on_a_full_feeder_is_explained(tmp_path: Path) -> None:
    inst = _copy_small(tmp_path)
    sites = inst / "sites.csv"
    sites.write_text(sites.read_text().replace("id,name,space_m2,cost_factor,asset,x,y", "id,name,space_m2,cost_factor,asset,x,y,fixed")
                     .replace("\n", ",false\n").replace("id,name,space_m2,cost_factor,asset,x,y,fixed,false", "id,name,space_m2,cost_factor,asset,x,y,fixed")
                     .replace("S3,garage,2000,0.9,FEED-E,120600,486980,false", "S3,garage,2000,0.9,FEED-E,120600,486980,true")
                     .replace("S4,plot,800,1.0,FEED-E,120750,487050,false", "S4,plot,800,1.0,FEED-E,120750,487050,true")
                     .replace("S1,corner,300,1.0,FEED-W,120050,487020,false", "S1,corner,300,1.0,FEED-W,120050,487020,true"))
    assets = inst / "assets.csv"
    assets.write_text(assets.read_text().replace("FEED-E,energy,MV feeder area,1.2,1.15", "FEED-E,energy,MV feeder area,1.2,1.18"))
    run = run_cli("solve", inst)
    assert_clean_error(run, "S3", "S4", "FEED-E", "MW")


def test_zuidas_demo_instance_solves_to_a_proven_optimum() -> None:
    from tests.conftest import ROOT

    run = run_cli("solve", ROOT / "instances" / "zuidas-hubs", "--json")
    assert run.code == 0, run.stderr
    s = run.json()
    assert s["status"] == "optimal" and s["gap"] == 0
    assert s["n_open"] > 0 and 0 < s["share_served"] <= 1 and s["cost"] <= 6_000_000 + 1e-6
    assert s["flags"]["systems"] and all(f["flag"] in ("green", "orange", "red", "no data") for f in s["flags"]["systems"])


def test_city_instance_is_valid_and_large_enough() -> None:
    from tests.conftest import ROOT

    run = run_cli("validate", ROOT / "instances" / "amsterdam-hubs")
    assert run.code == 0, run.stderr
    demand = pd.read_csv(ROOT / "instances" / "amsterdam-hubs" / "demand.csv")
    sites = pd.read_csv(ROOT / "instances" / "amsterdam-hubs" / "sites.csv")
    assert len(demand) >= 5000 and len(sites) >= 500


def test_an_asset_above_the_limit_today_is_a_finding_not_an_infeasible_plan() -> None:
    """Issue 19 item 10: with max_utilisation 0.85, FEED-E (96 % today) takes no added load; the
    plan is still found and the overload is reported as today's."""
    problem = HubSiting_from_small(max_utilisation=0.85)
    d = problem.data
    over = [d.vital.assets["id"].iloc[a] for a, o in zip(d.grid_assets, d.grid_over_today) if o]
    assert "FEED-E" in over
    result = problem.solve()
    assert result.status == "optimal"
    hubs = result.tables["hubs"].set_index("id")
    assert not hubs.loc[["S3", "S4"], "open"].any()  # the sites on FEED-E
    grid = result.tables["grid"].set_index("asset")
    assert grid.loc["FEED-E", "above_limit_today"] and grid.loc["FEED-E", "added"] == 0
    assert any(row[0] == "above the grid limit today" and "FEED-E" in row[1] for row in result.solution.headline)
    assert result.solution.summary["grid_above_limit_today"][0]["asset"] == "FEED-E"


@pytest.mark.parametrize("load", ["0", "0.3"])
def test_a_feeder_without_capacity_takes_no_hub_and_has_no_utilisation(tmp_path: Path, load: str) -> None:
    """A feeder area of capacity 0 (the whole city has five, with no load): no hub goes there,
    its utilisation is undefined (no 0/0 warning, no NaN in the JSON summary), and with a load
    today it is reported as above the limit with "no capacity"."""
    import warnings

    inst = _copy_small(tmp_path)
    assets = inst / "assets.csv"
    assets.write_text(assets.read_text().replace("FEED-E,energy,MV feeder area,1.2,1.15",
                                                 f"FEED-E,energy,MV feeder area,0,{load}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        from optimise.instance import load_instance

        problem = HubSiting.from_instance(load_instance(inst))
        result = problem.solve()
    assert result.status == "optimal"
    hubs = result.tables["hubs"].set_index("id")
    assert not hubs.loc[["S3", "S4"], "open"].any()  # the sites on FEED-E
    grid = result.tables["grid"].set_index("asset")
    summary = result.solution.summary
    if load == "0":
        assert "FEED-E" not in grid.index and not summary.get("grid_above_limit_today")
    else:
        assert grid.loc["FEED-E", "above_limit_today"] and np.isnan(grid.loc["FEED-E", "utilisation_after"])
        assert summary["grid_above_limit_today"][0] == {"asset": "FEED-E", "name": "", "utilisation_today": None,
                                                        "added": 0.0}
        assert any("FEED-E" in row[1] and "no capacity" in row[1] for row in result.solution.headline)
    run = run_cli("solve", inst, "--json")
    assert run.code == 0, run.stderr
    json.loads(run.stdout)  # strict JSON: no NaN
    table = run_cli("solve", inst)
    assert table.code == 0 and "nan" not in table.stdout.lower()


def test_a_hub_that_must_go_on_an_overloaded_feeder_is_explained_as_today_s_overload(tmp_path: Path) -> None:
    inst = _copy_small(tmp_path)
    sites = inst / "sites.csv"
    text = sites.read_text()
    sites.write_text(text.replace("id,name,space_m2,cost_factor,asset,x,y", "id,name,space_m2,cost_factor,asset,x,y,fixed")
                     .replace("\n", ",false\n").replace("id,name,space_m2,cost_factor,asset,x,y,fixed,false",
                                                         "id,name,space_m2,cost_factor,asset,x,y,fixed")
                     .replace("S3,garage,2000,0.9,FEED-E,120600,486980,false", "S3,garage,2000,0.9,FEED-E,120600,486980,true"))
    run = run_cli("solve", inst, "--set", "max_utilisation=0.85")
    assert run.code in (1, 2), run.stdout
    assert "above the limit" in run.stdout + run.stderr


def test_the_hub_plan_s_own_effects_are_indicators() -> None:
    """Issue 19 item 15: space won back and walking are reported next to the grid's indicators."""
    from optimise.cascade import evaluate

    problem = HubSiting_from_small()
    result = problem.solve()
    impact = evaluate(problem.data.vital, problem.scenario(result))
    ind = impact.indicators().set_index(["system", "indicator"])
    assert ind.loc[("mobility", "space_won_back"), "value"] == pytest.approx(result.solution.summary["space_won_m2"])
    assert ind.loc[("mobility", "walk_to_hub_mean"), "unit"] == "min"


def test_walks_run_on_the_streets_where_they_cover_both_ends() -> None:
    from shapely import LineString

    # one street along y = 0 from x = 0 to 400 and a street up at x = 400; a point far from both
    streets = gpd.GeoDataFrame({
        "id": ["A", "B"], "u": ["n0", "n1"], "v": ["n1", "n2"], "length_m": [400.0, 400.0],
        "source": "OpenStreetMap"}, geometry=[LineString([(0, 0), (400, 0)]), LineString([(400, 0), (400, 400)])],
        crs=RD)
    demand = gpd.GeoDataFrame({"id": ["near", "far"], "residents": [100.0, 100.0]},
                              geometry=gpd.points_from_xy([100.0, 900.0], [-20.0, 900.0]), crs=RD)
    sites = gpd.GeoDataFrame({"id": ["up", "far-site"]}, geometry=gpd.points_from_xy([410.0, 1000.0], [200.0, 900.0]),
                             crs=RD)
    sizes = pd.DataFrame({"id": ["small"], "footprint_m2": [100.0], "vehicles": [10.0], "charging_points": [2.0],
                          "cost": [1.0]})
    problem = HubSiting.from_geodataframe(demand, sites, sizes, streets=streets, max_walk_m=600.0, street_snap_m=50.0)
    d = problem.data
    walks = {(d.demand_ids[i], d.site_ids[j]): (m, b) for (i, j), m, b in zip(d.pairs, d.walk_m, d.walk_basis)}
    # 20 m to the street, 300 m along it, 200 m up the other, 10 m across: on the streets
    assert walks[("near", "up")] == (pytest.approx(530.0), "streets")
    # 100 m apart, 150 m from any street: straight line x 1.3
    assert walks[("far", "far-site")] == (pytest.approx(130.0), "straight line x detour factor")
    result = problem.solve()
    assert set(result.tables["assignment"]["walk_basis"]) <= {"streets", "straight line x detour factor"}


@pytest.mark.parametrize("seed", range(6))
def test_the_pairs_within_reach_are_every_pair_the_straight_line_allows(seed: int) -> None:
    """Sites within reach come from a spatial index: the same pairs, sorted by point then
    site, as measuring every pair."""
    problem = random_problem(seed, max_walk_m=float(np.random.default_rng(seed).uniform(150, 500)))
    d, p = problem.data, problem.params
    a = np.column_stack([d.demand_points.x, d.demand_points.y])
    b = np.column_stack([d.site_points.x, d.site_points.y])
    metres = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) * p["detour_factor"]
    expected = sorted(zip(*np.nonzero(metres <= p["max_walk_m"])))
    assert [tuple(pair) for pair in d.pairs.tolist()] == [(int(i), int(j)) for i, j in expected]
    assert np.allclose(d.walk_m, [metres[i, j] for i, j in expected])
