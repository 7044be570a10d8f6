"""The one pipeline: load and validate, build and solve, explain, cascade check, write.

The command line, batch runs and notebooks all solve an instance through here::

    case = load_case(path)                       # instance files -> validated problem
    run = solve_case(case, case.options())       # model -> solution -> explanation, impact
    run.write(out)                               # one folder, written atomically

Each step returns its own output and a :class:`Run` holds them side by side: the solver's
result as the problem extracted it, the explanation (why no plan, which rules bind), the
alternatives, the cascade check. No step edits another's output; :meth:`Run.summary` puts
them together for ``summary.json`` and ``--json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from optimise.errors import InputError
from optimise.instance import Instance
from optimise.problem import Problem, Result
from optimise.solver import SolveOptions

def _silent(_: str) -> None:
    return None


@dataclass(frozen=True)
class Case:
    """A validated planning question, ready to solve: what loading hands on."""

    problem: Problem
    label: str
    instance: Instance | None = None
    vital: Any = None  # optimise.vital.VitalSystems, when the instance has an assets layer
    solver: dict[str, Any] = field(default_factory=dict)  # the instance's [solver] table

    def options(self, *, time_limit: float | None = None, gap: float | None = None, threads: int | None = None,
                seed: int | None = None, verbose: bool = False) -> SolveOptions:
        """Solver options: the values given here over the instance's [solver] table over the
        defaults. A value out of range is the user's mistake (exit 2), named as such."""
        try:
            return SolveOptions(**self.solver).with_overrides(
                time_limit=time_limit, gap=gap, threads=threads, seed=seed, verbose=verbose or None)
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), field="solver options") from None


def load_case(path: Path, fmt: str | None = None, overrides: dict[str, Any] | None = None) -> Case:
    """An instance folder, its instance.toml or a benchmark file (with ``fmt``), validated."""
    from optimise.loading import load_problem

    problem, solver, label, instance = load_problem(Path(path), fmt, overrides or {})
    return Case(problem, label, instance, _vital_systems(instance), dict(solver))


def case_from_instance(instance: Instance, label: str | None = None) -> Case:
    """A case from an instance already read (and perhaps changed, as a batch variant is)."""
    from optimise.registry import get_problem

    if not instance.problem:
        raise InputError("names no problem", file=str(instance.toml_file), field="problem")
    problem = get_problem(instance.problem).from_instance(instance)
    return Case(problem, label or instance.name, instance, _vital_systems(instance), dict(instance.solver))


def _vital_systems(instance: Instance | None) -> Any:
    if instance is None:
        return None
    from optimise.vital import load_vital_systems

    return load_vital_systems(instance)


@dataclass(frozen=True)
class Ask:
    """What a run reports besides the plan."""

    alternatives: int | None = None  # K more plans, each as different as possible
    within: float = 0.05  # their slack, as a share of the optimum
    explain: bool = False  # the rules that bind in the plan
    why_infeasible: bool = True  # the rules that conflict when no plan exists
    start: Path | None = None  # a result folder whose plan HiGHS starts from (a what-if's warm start)


@dataclass
class Run:
    """One solved case: each step's output, side by side."""

    case: Case
    result: Result
    why: list[str] = field(default_factory=list)  # rules that conflict (no plan)
    binding: list[dict[str, Any]] = field(default_factory=list)  # rules that bind (a plan)
    alternatives: pd.DataFrame | None = None
    alternatives_note: str = ""
    impact: Any = None  # optimise.cascade.Impact of the plan
    cascade: dict[str, Any] = field(default_factory=dict)  # its indicators and flags (JSON-ready)

    @property
    def problem(self) -> Problem:
        return self.case.problem

    @property
    def has_solution(self) -> bool:
        return self.result.has_solution

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the solver's figures, the problem's, then each later step's."""
        out = self.result.to_dict()
        if self.why or self.result.status == "infeasible":
            out["explanation"] = list(self.why)
        if self.binding:
            out["binding"] = list(self.binding)
        if self.alternatives is not None:
            out["alternatives"] = self.alternatives.to_dict(orient="records")
        if self.alternatives_note:
            out["alternatives_note"] = self.alternatives_note
        out.update(self.cascade)
        return out

    def background(self) -> list[Any]:
        """The instance's context layers for the flag maps, in the assets' CRS."""
        from optimise.mapping import instance_background

        geometry = getattr(self.case.vital, "geometry", None) if self.impact is not None else None
        if geometry is None or self.case.instance is None:
            return []
        return instance_background(self.case.instance, geometry.crs)

    def write(self, out: Path, *, parallel: bool = False) -> list[Path]:
        """The result folder (plan tables, layers, figures, report) or, without a plan, its
        summary and explanation; atomically. ``parallel``: pictures and report drawn side by
        side in worker processes (not in a batch, whose workers have a core each)."""
        from optimise.outputs import write_no_plan, write_result

        if self.has_solution:
            extra = {"alternatives": self.alternatives} if self.alternatives is not None else {}
            from optimise.webreport import plan_page

            summary = self.summary()
            page = plan_page(self.problem, self.result, summary, self.impact)
            return write_result(self.result, out, summary, impact=self.impact,
                                figure_parts=self.problem.figure_parts(self.result, self.impact),
                                extra_tables=extra, page=page, background=self.background(), parallel=parallel)
        return write_no_plan(out, self.summary())


def cascade_check(case: Case, result: Result) -> tuple[Any, dict[str, Any]]:
    """The cascade check of a plan (the problem's scenario on the vital systems): the impact
    and its ``indicators`` and ``flags`` for the summary."""
    from optimise.cascade import Scenario
    from optimise.indicators import run_impact, thresholds

    scenario = case.problem.scenario(result) or Scenario(f"{case.problem.name} plan", [])
    impact, summary, _ = run_impact(case.vital, scenario, thresholds(case.instance), resilience=False)
    return impact, {k: summary[k] for k in ("indicators", "flags")}


def plan_flags(case: Case, result: Result) -> dict[str, Any]:
    """The worst cascade flag of a plan and its red and orange flag counts (a Pareto point's)."""
    counts = cascade_check(case, result)[1]["flags"]["counts"]
    worst = "red" if counts.get("red") else "orange" if counts.get("orange") else "green"
    return {"flag": worst, "red_flags": counts.get("red", 0), "orange_flags": counts.get("orange", 0)}


def solve_case(case: Case, options: SolveOptions, ask: Ask = Ask(), say: Callable[[str], None] = _silent) -> Run:
    """Solve ``case``; explain it, check its plan on the vital systems. ``say`` hears progress."""
    problem = case.problem
    say(f"solving {case.label} ({problem.name}) …")
    run = _solve(case, options, ask)
    if run.result.status == "infeasible" and ask.why_infeasible:
        from optimise.explain import explain_infeasible

        say("no plan exists; looking for the rules that conflict …")
        run.why = [b.text for b in explain_infeasible(problem, options)]
    if case.vital is not None and run.has_solution:
        run.impact, run.cascade = cascade_check(case, run.result)
    return run


def _solve(case: Case, options: SolveOptions, ask: Ask) -> Run:
    problem, label = case.problem, case.label
    if ask.alternatives is not None:
        from optimise.tradeoffs import alternatives, alternatives_table

        found = alternatives(problem, ask.alternatives, ask.within, options, instance=label)
        run = Run(case, found.plans[0].result, alternatives_note=found.note)
        if run.has_solution:
            run.alternatives = alternatives_table(found.plans, problem.key_figures)
        return run
    if ask.explain:
        from optimise.explain import binding_rules

        model = problem.build()
        result = problem.solve_built(model, options, instance=label, as_built=True)
        binding = binding_rules(problem, model) if result.has_solution else []
        return Run(case, result, binding=[{"rule": b.rule, "index": str(b.index), "change": b.change, "text": b.text}
                                          for b in binding])
    plan = None
    if ask.start is not None:
        from optimise.plans import read_plan_tables

        plan = read_plan_tables(problem, ask.start)
    return Run(case, problem.solve(options, instance=label, plan=plan))
