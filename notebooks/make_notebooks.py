"""Write the trade-off notebooks (without outputs) from the cells below.

    .venv/bin/python notebooks/make_notebooks.py

Edit the cells here, run this, commit both. The test suite executes every notebook top to
bottom (tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

HUBS = [
    ("md", """# Mobility hubs at Zuidas: the trade-offs

Where to place mobility hubs around Amsterdam Zuid station, weighing the walk to a hub against the
street space won back when car owners give up their car, within a budget and the spare capacity
of the grid. This notebook uses the blocks and candidate sites within 700 m of the station (the
full instance is `instances/zuidas-hubs`), so that it runs in a minute or two."""),
    ("code", """from pathlib import Path
import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from optimise.indicators import run_impact, thresholds
from optimise.vital import load_vital_systems
from optimise.instance import load_instance
from optimise.plots import pareto_plot
from optimise.solver import SolveOptions
from optimise.tradeoffs import pareto_front
from problems.hub_siting.plots import hub_map
from problems.hub_siting import HubSiting

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
instance = load_instance(ROOT / "instances" / "zuidas-hubs")
STATION = (119956.0, 483577.0)

def near_station(table, metres=700):
    return table[np.hypot(table["x"] - STATION[0], table["y"] - STATION[1]) < metres]

instance.edits = {"demand": [near_station], "sites": [near_station]}
vital = load_vital_systems(instance)

def plan(**changes):
    \"\"\"The problem with some parameters changed (budget, max_utilisation …).\"\"\"
    instance.parameters = {**base_parameters, **changes}
    return HubSiting.from_instance(instance)

base_parameters = dict(instance.parameters, budget=2_500_000)
problem = plan()
print(len(problem.data.demand_ids), "blocks,", len(problem.data.site_ids), "candidate sites")"""),
    ("md", "## The plan with the instance's weights"),
    ("code", """def check(problem, result):
    \"\"\"Cascade check of a plan: the impact and the worst flag on the grid.\"\"\"
    impact, summary, _ = run_impact(vital, problem.scenario(result), thresholds(instance), resilience=False)
    counts = summary["flags"]["counts"]
    worst = "red" if counts.get("red") else "orange" if counts.get("orange") else "green"
    return impact, worst

result = problem.solve()
impact, worst = check(problem, result)
print(result.status, f"gap {result.gap:.2%}", "| worst grid flag:", worst)
for label, value in result.solution.headline:
    print(f"{label:>22}: {value}")
hub_map(problem.data, result, impact);"""),
    ("md", """## Pareto front: space won back against walking time

Each point is a plan that no other plan beats on both (epsilon-constraint method); its colour is
the worst cascade flag its charging load raises on the grid."""),
    ("code", """def describe(r):
    return {"flag": check(problem, r)[1]}

front = pareto_front(problem, "walk", "space_won", 5, SolveOptions(), describe=describe)
pareto_plot(front, problem.objectives)
front.table[["point", "walk", "space_won", "n_open", "flag", "status"]]"""),
    ("md", "## Two plans side by side: least walking, most space won back"),
    ("code", """fig, axes = plt.subplots(1, 2, figsize=(14, 7))
for ax, r, title in zip(axes, (front.results[0], front.results[-1]), ("least walking", "most space won back")):
    impact, _ = check(problem, r)
    s = r.solution.summary
    hub_map(problem.data, r, impact, ax=ax, title=f"{title}: {s['n_open']} hubs, {s['space_won_m2']:,.0f} m² won, "
                                                   f"walk {s['mean_walk_min']:.1f} min")
plt.tight_layout()"""),
    ("md", """## What changes when the budget or the grid capacity changes

`max_utilisation` is how far the feeders and substations may be loaded with the hubs' charging
(1.0: up to their capacity; 0.9: keep them out of orange)."""),
    ("code", """rows = []
for budget in (1_500_000, 2_500_000, 4_000_000):
    for max_utilisation in (0.9, 1.0):
        p = plan(budget=budget, max_utilisation=max_utilisation)
        r = p.solve()
        s = r.solution.summary
        rows.append({"budget": budget, "max_utilisation": max_utilisation, "status": r.status, "hubs": s["n_open"],
                     "space_won_m2": round(s["space_won_m2"]), "mean_walk_min": round(s["mean_walk_min"], 2),
                     "served": round(s["share_served"], 3), "grid_flag": check(p, r)[1]})
pd.DataFrame(rows)"""),
]

QUAYS = [
    ("md", """# Quay walls and bridges: budget against hindrance

The renewal schedule of the bridges and quay walls in Amsterdam's centre (the works within 900 m
of the Dam, 2027–2034: `instances/amsterdam-quays-small`; the whole city is
`instances/amsterdam-quays`). Every work due must start by its latest year; within that, the
schedule weighs traffic hindrance, air quality, risk and cost."""),
    ("code", """from pathlib import Path
import matplotlib.pyplot as plt
import pandas as pd

from optimise.indicators import run_impact, thresholds
from optimise.vital import load_vital_systems
from optimise.instance import load_instance
from optimise.solver import SolveOptions
from problems.quay_walls.plots import gantt
from problems.quay_walls import QuayWalls

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
FOLDER = ROOT / "instances" / "amsterdam-quays-small"
OPTIONS = SolveOptions(gap=0.005)

def schedule(budget_factor=1.0):
    instance = load_instance(FOLDER)
    instance.edits = {"periods": [lambda t: t.assign(budget=t["budget"] * budget_factor)]}
    problem = QuayWalls.from_instance(instance)
    return instance, problem, problem.solve(OPTIONS)

instance, problem, result = schedule()
print(result.status, f"gap {result.gap:.2%}")
for label, value in result.solution.headline:
    print(f"{label:>20}: {value}")"""),
    ("md", "## The schedule"),
    ("code", """gantt(problem.data, result);
result.tables["periods"][["period", "works_active", "bridges_started", "quays_started", "km_renewed", "budget_used",
                          "extra_vehicle_hours", "nox_kg", "cables_bundled", "past_safe_life"]]"""),
    ("md", """## Budget against hindrance

With less money the works due must still start in time, but there is less room to spread
closures and to take optional works early; with more, risk falls and the schedule can avoid
closures that run into each other."""),
    ("code", """from optimise.errors import InputError

rows = []
for factor in (0.7, 0.85, 1.0, 1.5):
    try:
        _, p, r = schedule(factor)
    except InputError as exc:  # the works due cannot all start in time: said in planning terms
        rows.append({"budget x": factor, "status": f"no schedule: {exc}"})
        continue
    s = r.solution.summary
    rows.append({"budget x": factor, "status": r.status, "works": s["works_scheduled"],
                 "extra vehicle-hours": round(s["extra_vehicle_hours"]), "NOx kg": round(s["nox_kg"]),
                 "risk": round(s["objectives"]["risk"]), "cables bundled": s["cables_bundled"]})
trade = pd.DataFrame(rows)
solved = trade.dropna(subset=["works"]) if "works" in trade else trade.iloc[0:0]
fig, ax = plt.subplots()
ax.plot(solved["budget x"], solved["extra vehicle-hours"], marker="o", label="extra vehicle-hours")
ax.set_xlabel("budget (x the instance's)"); ax.set_ylabel("extra vehicle-hours over the horizon")
ax2 = ax.twinx(); ax2.plot(solved["budget x"], solved["risk"], marker="s", color="#d62728", label="risk cost")
ax2.set_ylabel("risk cost"); ax.set_title("budget against hindrance and risk")
trade"""),
    ("md", """## The years in which cascade flags turn red

A work under renewal is out of service, so it is flagged red itself in its years; what matters
is what follows from it (order 1 and beyond in the cascade): streets losing half their function,
cables moved and the areas they feed."""),
    ("code", """vital = load_vital_systems(instance)
impact, summary, _ = run_impact(vital, problem.scenario(result), thresholds(instance), resilience=False)
flags = impact.asset_flags()
knock_on = flags[(flags["order"] > 0) & (flags["flag"] != "green")]
table = knock_on.groupby(["period", "flag"]).size().unstack(fill_value=0).reindex(columns=["orange", "red"], fill_value=0)
display(table)
red = knock_on[knock_on["flag"] == "red"]
print("years with a red knock-on flag:", sorted(red["period"].unique().tolist()) or "none")
red.groupby("period").head(2)[["period", "asset", "explanation"]]"""),
]


def build(cells: list[tuple[str, str]], name: str) -> None:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    build(HUBS, "hub_tradeoffs.ipynb")
    build(QUAYS, "quay_walls.ipynb")
