"""The spopt-style Python API: GeoDataFrames in, plans out; registry; solver statuses."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from shapely.geometry import Point, box

from optimise.errors import InputError
from optimise.registry import get_problem, problem_names
from optimise.solver import SolveOptions, solve_model
from problems.mclp import MCLP
from problems.p_median import PMedian


def grid_layers(crs: str = "EPSG:28992"):
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 2000, size=(30, 2)) + [120000, 480000]
    demand = gpd.GeoDataFrame({"code": [f"d{i}" for i in range(30)], "people": rng.integers(1, 50, 30)},
                              geometry=[Point(x, y) for x, y in pts], crs=crs)
    sites = gpd.GeoDataFrame({"name": list("ABCDEFGH")},
                             geometry=[Point(120000 + 250 * k, 480000 + 240 * k) for k in range(8)], crs=crs)
    return demand, sites


def test_geodataframe_matches_cost_matrix() -> None:
    demand, sites = grid_layers()
    geo = PMedian.from_geodataframe(demand, sites, demand_id="code", site_id="name", weight="people", p=3).solve()
    dist = np.hypot(
        demand.geometry.x.to_numpy()[:, None] - sites.geometry.x.to_numpy()[None, :],
        demand.geometry.y.to_numpy()[:, None] - sites.geometry.y.to_numpy()[None, :],
    )
    mat = PMedian.from_cost_matrix(dist, weights=demand["people"], site_ids=list("ABCDEFGH"), p=3).solve()
    assert geo.status == mat.status == "optimal"
    assert geo.objective == pytest.approx(mat.objective)
    assert sorted(geo.open_sites) == sorted(mat.open_sites)
    assert set(geo.layers) == {"sites", "assignment", "demand"}
    assert geo.layers["assignment"].crs.to_epsg() == 28992


def test_geographic_layers_are_projected() -> None:
    demand, sites = grid_layers()
    a = PMedian.from_geodataframe(demand, sites, weight="people", p=2).solve()
    b = PMedian.from_geodataframe(demand.to_crs(4326), sites.to_crs(4326), weight="people", p=2,
                                  crs="EPSG:28992").solve()
    assert a.objective == pytest.approx(b.objective, rel=1e-6)


def test_polygons_stand_for_their_centroid() -> None:
    demand, sites = grid_layers()
    areas = demand.copy()
    areas["geometry"] = [box(p.x - 50, p.y - 50, p.x + 50, p.y + 50) for p in demand.geometry]
    a = PMedian.from_geodataframe(demand, sites, weight="people", p=2).solve()
    b = PMedian.from_geodataframe(areas, sites, weight="people", p=2).solve()
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_cost_table_overrides_distances() -> None:
    demand, sites = grid_layers()
    demand = demand.assign(id=demand["code"])
    sites = sites.assign(id=sites["name"])
    # a network where only site H is near anybody
    costs = pd.DataFrame([(d, s, 1.0 if s == "H" else 100.0) for d in demand["id"] for s in sites["id"]],
                         columns=["demand_id", "site_id", "cost"])
    res = PMedian.from_geodataframe(demand, sites, costs=costs, p=1).solve()
    assert res.open_sites == ["H"] and res.objective == pytest.approx(30.0)


def test_mclp_with_fixed_and_forbidden_sites() -> None:
    demand, sites = grid_layers()
    sites = sites.assign(existing=[True] + [False] * 7, blocked=[False] * 7 + [True])
    res = MCLP.from_geodataframe(demand, sites, site_id="name", weight="people", fixed="existing",
                                 forbidden="blocked", p=3, service_radius=600).solve()
    assert "A" in res.open_sites and "H" not in res.open_sites
    assert 0 < res.coverage <= 1


def test_api_errors_are_input_errors() -> None:
    with pytest.raises(InputError, match="negative"):
        PMedian.from_cost_matrix([[1.0, -2.0]], p=1)
    with pytest.raises(InputError, match="unknown parameter"):
        PMedian.from_cost_matrix([[1.0, 2.0]], p=1, q=2)
    with pytest.raises(InputError, match="unknown site id"):
        PMedian.from_cost_matrix([[1.0, 2.0]], p=1, fixed=[5])
    demand, sites = grid_layers()
    with pytest.raises(InputError, match="no CRS"):
        PMedian.from_geodataframe(demand.set_crs(None, allow_override=True), sites, p=1)


def test_registry_finds_every_problem() -> None:
    assert {"p_median", "p_center", "mclp", "lscp", "cflp", "sscflp"} <= set(problem_names())
    assert get_problem("p_median") is PMedian
    with pytest.raises(InputError, match="unknown problem"):
        get_problem("nope")


def test_solver_statuses() -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.Binary)
    m.c = pyo.Constraint(expr=m.x >= 2)
    m.o = pyo.Objective(expr=m.x)
    assert solve_model(m).status == "infeasible"
    u = pyo.ConcreteModel()
    u.x = pyo.Var(domain=pyo.Integers)
    u.c = pyo.Constraint(expr=u.x <= 3)
    u.o = pyo.Objective(expr=u.x)
    assert solve_model(u).status == "unbounded"
    lp = pyo.ConcreteModel()
    lp.x = pyo.Var(bounds=(0, 4))
    lp.o = pyo.Objective(expr=2 * lp.x + 1, sense=pyo.maximize)
    out = solve_model(lp)
    assert out.status == "optimal" and out.objective == pytest.approx(9) and out.gap == 0


def test_gap_stop_is_not_called_optimal() -> None:
    rng = np.random.default_rng(3)
    cost = rng.uniform(0, 100, size=(120, 60))
    res = PMedian.from_cost_matrix(cost, p=4).solve(gap=0.5)
    assert res.status in ("optimal", "feasible")
    if res.status == "feasible":
        assert res.gap is not None and 0 < res.gap <= 0.5
    if res.status == "optimal":
        assert res.gap == 0


def test_solve_options_are_checked() -> None:
    with pytest.raises(ValueError):
        SolveOptions(gap=-1)
    with pytest.raises(ValueError):
        SolveOptions(time_limit=0)


def test_instance_reference_is_up_to_date() -> None:
    from pathlib import Path

    from optimise.reference import describe_markdown, vital_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "instances.md").read_text()
    for name in problem_names():
        assert describe_markdown(get_problem(name)) in doc, f"docs/instances.md is stale for {name}"
    assert vital_markdown() in doc, "docs/instances.md is stale: run docs/update_reference.py"
