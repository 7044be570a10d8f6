"""A planning question from outside optimise: which projects to fund within a budget.

Sets: projects P. Parameters: value v_p, cost c_p, budget B. Variables: pick_p ∈ {0,1}.
Objective: max Σ v_p pick_p. Constraints: budget Σ c_p pick_p ≤ B. A funded project puts
its asset (if any) out of service while it is built: the cascade check reports that.
"""

from typing import Any, ClassVar

import pyomo.environ as pyo

from optimise.cascade import Change, Scenario
from optimise.parameters import Parameter
from optimise.problem import Listing, Problem, Solution
from optimise.schema import Column, TableSchema

PROJECTS = TableSchema("projects", (
    Column("id", "id", "project", unique=True),
    Column("value", "number", "benefit", minimum=0),
    Column("cost", "number", "cost", minimum=0),
    Column("asset", "text", "asset out of service while built", required=False, default=None),
), description="Projects to choose from.")


class ProjectPicks(Problem):
    name: ClassVar[str] = "project_picks"
    title: ClassVar[str] = "which projects to fund within a budget"
    tables: ClassVar[dict] = {"projects": PROJECTS}
    parameters: ClassVar[dict] = {"budget": Parameter("budget", "number", "money available", required=True, minimum=0)}
    elastic: ClassVar[tuple] = ("budget",)
    listings: ClassVar[tuple] = (Listing("projects", (("id", "project"), ("value", "value"), ("cost", "cost")), sort="value"),)

    def __init__(self, projects: Any, **params: Any) -> None:
        self.projects, self.params = projects, params

    @classmethod
    def from_instance(cls, instance: Any) -> "ProjectPicks":
        params, tables, _ = cls.read_instance(instance, ("projects",))
        return cls(tables["projects"].reset_index(drop=True), **params)

    def size_text(self) -> str:
        return f"{len(self.projects)} projects"

    def build(self) -> pyo.ConcreteModel:
        m, cost, value = pyo.ConcreteModel(), self.projects["cost"], self.projects["value"]
        m.pick = pyo.Var(range(len(self.projects)), domain=pyo.Binary)
        m.budget = pyo.Constraint(expr=sum(c * m.pick[k] for k, c in enumerate(cost)) <= self.params["budget"])
        m.value = pyo.Objective(expr=sum(v * m.pick[k] for k, v in enumerate(value)), sense=pyo.maximize)
        return m

    def plan_indicators(self, model: pyo.ConcreteModel) -> dict[str, Any]:
        return {str(i): model.pick[k] for k, i in enumerate(self.projects["id"])}

    def extract(self, model: pyo.ConcreteModel, outcome: Any) -> Solution:
        table = self.projects.assign(open=[pyo.value(model.pick[k]) > 0.5 for k in range(len(self.projects))])
        funded = table[table["open"]]
        return Solution(tables={"projects": table}, summary={"funded": funded["id"].tolist()},
                        headline=[("funded", f"{len(funded)} of {len(table)} projects")],
                        objective=float(funded["value"].sum()))

    def scenario(self, result: Any) -> Scenario:
        rows = result.tables["projects"]
        return Scenario("projects being built", [Change(r.asset, "outage", 1.0, cause=f"works of {r.id}")
                                                 for r in rows.itertuples() if r.open and isinstance(r.asset, str)])
