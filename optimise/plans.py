"""A plan from elsewhere, checked: ``optimise check INSTANCE PLAN``.

A planner edits a schedule in a spreadsheet, a GIS analyst moves a hub, another tool gives
its answer: the plan comes as the decision tables ``solve --out`` writes (the problem names
them in ``Problem.plan_tables``). The plan is evaluated from the instance's data
(``Problem.plan_solution``: the same tables, indicators and objective a solve reports),
judged by the problem's independent rule check (``Problem.check_plan``), checked on the
vital systems for cascades, and compared with the optimum of the same instance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimise.errors import InputError
from optimise.problem import Problem, Result
from optimise.solver import SolveOptions

#: Plan table formats, in the order they are looked for in a plan folder.
PLAN_SUFFIXES = (".csv", ".parquet", ".tsv", ".gpkg", ".geojson")


def truth_values(column: pd.Series, file: str, field: str) -> np.ndarray:
    """A yes/no column (true/false, 1/0, yes/no) as booleans, read as every instance table's
    bool columns are; anything else is the user's mistake, named by file, field and row."""
    from optimise.schema import Column, as_bool

    return as_bool(column.reset_index(drop=True), Column(field, "bool", "yes or no"), file).to_numpy(bool)


def read_plan_tables(problem: Problem, plan: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The plan's tables by name, from a folder (NAME.csv, .parquet, …, as ``solve --out``
    writes them) or, for a problem whose plan is one table, that table's file."""
    from optimise.files import read_table

    wanted = problem.plan_tables
    if not wanted:
        raise InputError(f"the {problem.name} problem cannot read a plan (it names no plan tables)", file=str(plan))
    plan = Path(plan)
    if not plan.exists():
        raise InputError("no such plan file or folder", file=str(plan))
    files: dict[str, Path] = {}
    if plan.is_dir():
        for name in wanted:
            found = [plan / f"{name}{suffix}" for suffix in PLAN_SUFFIXES if (plan / f"{name}{suffix}").is_file()]
            if found:
                files[name] = found[0]
        if not files:
            raise InputError(f"holds no plan table: expected {', '.join(f'{n}.csv' for n in wanted)}", file=str(plan))
    else:
        first = next(iter(wanted))
        files[first] = plan
    tables, labels = {}, {}
    for name, columns in wanted.items():
        if name not in files:
            if problem.plan_table_needed(name):
                raise InputError(f"the plan has no {name} table ({name}.csv): it gives "
                                 f"{', '.join(str(c) for c in columns)}", file=str(plan))
            continue
        table = read_table(files[name])
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)} (a {name} table gives {', '.join(columns)})",
                             file=str(files[name]), field=missing[0])
        tables[name], labels[name] = table, str(files[name])
    return tables, labels


@dataclass
class PlanCheck:
    """A plan from elsewhere: its evaluation, the rules it breaks, and the optimum beside it."""

    result: Result  # the plan, evaluated from the data (status "given")
    breaks: list[str]
    plan: str
    optimum: Result | None = None
    maximize: bool = False  # the objective's sense (from the model the optimum was solved on)
    impact: Any = None
    cascade: dict[str, Any] = field(default_factory=dict)

    def distance(self) -> dict[str, Any] | None:
        """How much worse the plan is than the optimum (and at most than the best bound),
        in the objective's own units and as a share of the optimum."""
        best = self.optimum
        if best is None or not best.has_solution or self.result.objective is None:
            return None
        sign = -1.0 if self.maximize else 1.0
        worse = sign * (self.result.objective - best.objective)
        out: dict[str, Any] = {"optimum_status": best.status, "optimum": best.objective, "bound": best.bound,
                               "worse_by": worse, "worse_by_share": worse / max(abs(best.objective), 1e-12)}
        if best.bound is not None:
            out["worse_than_bound_by"] = sign * (self.result.objective - best.bound)
        return out

    def summary(self) -> dict[str, Any]:
        out = {"plan": self.plan, "keeps_rules": not self.breaks, "rule_breaks": list(self.breaks)}
        out.update(self.result.to_dict())
        out["distance_to_optimum"] = self.distance()
        out.update(self.cascade)
        return out


def check_given_plan(case: Any, plan: Path, options: SolveOptions | None, say: Any = None) -> PlanCheck:
    """Read, evaluate and check a plan on ``case`` (an optimise.run.Case); with ``options``,
    also solve the case for the optimum to compare with."""
    from optimise.run import cascade_check

    problem = case.problem
    started = time.perf_counter()
    tables, files = read_plan_tables(problem, plan)
    solution = problem.plan_solution(tables, files)
    breaks = problem.check_plan(solution)
    seconds = time.perf_counter() - started
    result = Result(problem=problem.name, status="given", termination=f"plan read from {plan}",
                    objective=solution.objective, bound=None, gap=None, build_seconds=0.0, solve_seconds=0.0,
                    seconds=seconds, formulation="", size={}, nodes=0, solution=solution, instance=case.label)
    check = PlanCheck(result, breaks, str(plan))
    if case.vital is not None:
        check.impact, check.cascade = cascade_check(case, result)
    if options is not None:
        if say is not None:
            say(f"solving {case.label} for the optimum to compare with …")
        from optimise.problem import _is_max

        started = time.perf_counter()
        model = problem.build()
        built = time.perf_counter()
        check.maximize = _is_max(model)
        check.optimum = problem.solve_built(model, options, started=started, build_seconds=built - started,
                                            instance=case.label, as_built=True)
    return check
