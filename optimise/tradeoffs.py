"""Trade-offs made visible: Pareto fronts between two objectives, and alternative plans.

Both work on any problem that builds its model in one piece (no row generation) and, for
Pareto fronts, declares objective terms (:class:`optimise.problem.ObjectiveTerm`).

Pareto front (epsilon-constraint method, Haimes et al. 1971; lexicographic end points as
in Mavrotas 2009): with f_x the objective to optimise and f_y the one constrained,

1. the two end points: optimise f_x + δ₀·f_y (each in its own sense), and f_y + δ₀'·f_x,
   with δ₀ = 10⁻⁴ · scale(f_x) / scale(f_y), scale the sum of absolute coefficients. The
   small reward on the other objective (the augmentation of AUGMECON, Mavrotas 2009)
   makes each optimum non-dominated in one solve: a plan that dominated it would score
   better. The end points bound the ranges of f_x and f_y over the front;
2. for each of the N - 2 values ε evenly spaced strictly inside the range of f_y: optimise
   f_x + δ·f_y subject to f_y no worse than ε, δ = 10⁻³ · range(f_x) / range(f_y): again
   non-dominated, since a plan that dominated it would also meet the ε row;
3. points equal to an earlier one are merged; any point another dominates is dropped and
   counted (that only happens when a solve stopped before proving optimality).

Alternatives (modelling to generate alternatives, Brill 1979, as in PyPSA's MGA; with a
distance target instead of a distance objective, which HiGHS finds far easier): with z* the
optimum and H(p, q) the Hamming distance between two plans over their key yes/no
decisions, the next plan is the best one (in the problem's own objective) at distance at
least D from every plan found so far. D starts at half the number of decisions the optimum
takes (e.g. half its open sites) and halves whenever the best plan that far away is worse
than z* + within·|z*| (minimising) or none is found in the time given; at D = 0 the search
stops and fewer than K plans are returned, with a note saying why. Every plan returned lies
within the slack and differs from all plans before it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pyomo.core as pyo
from pyomo.repn import generate_standard_repn

from optimise.errors import InfeasibleInput, InputError
from optimise.problem import Problem, Result
from optimise.solver import SolveOptions

#: Time for each search for a plan at the target distance, unless the run's time limit is
#: shorter.
ALTERNATIVE_SECONDS = 30.0

def _require_single_model(problem: Problem, model: pyo.ConcreteModel, what: str) -> None:
    if problem.separator(model) is not None:
        raise InputError(f"{what} needs a formulation solved as one model; {problem.name} uses "
                         f"{problem.formulation!r} (row generation): choose another formulation",
                         field="parameters.formulation")


def _main_objective(model: pyo.ConcreteModel) -> pyo.Objective:
    return next(model.component_data_objects(pyo.Objective, active=True))


def _set_objective(model: pyo.ConcreteModel, expr: Any, maximize: bool) -> None:
    for obj in model.component_data_objects(pyo.Objective, active=True):
        obj.deactivate()
    if model.component("tradeoff_objective") is not None:
        model.del_component("tradeoff_objective")
    model.tradeoff_objective = pyo.Objective(expr=expr, sense=pyo.maximize if maximize else pyo.minimize)


def _bound_term(model: pyo.ConcreteModel, name: str, expr: Any, value: float, maximize: bool) -> None:
    """Row ``name``: expr no worse than value (>= when maximising, <= when minimising)."""
    if model.component(name) is not None:
        model.del_component(name)
    model.add_component(name, pyo.Constraint(expr=expr >= value if maximize else expr <= value))


# --- Pareto front ---------------------------------------------------------------------


class NoFront(Exception):
    """No plan was found in time for an end point of the front: not a user mistake (exit 1)."""


@dataclass
class ParetoFront:
    x: str
    y: str
    table: pd.DataFrame  # one row per non-dominated point, sorted by x
    dropped: int  # dominated points removed (only possible when a solve was not optimal)
    results: list[Result] = field(default_factory=list)  # the plan of each row
    seconds: float = 0.0


def _scale(expr: Any) -> float:
    """Sum of the absolute coefficients and constant of a linear expression."""
    repn = generate_standard_repn(expr, compute_values=True)
    return float(sum(abs(c) for c in repn.linear_coefs) + abs(repn.constant)) or 1.0


def _augmented(problem: Problem, model: pyo.ConcreteModel, first: str, second: str, delta: float) -> Any:
    """f_first + delta f_second, with f_second's sign following f_first's sense."""
    terms = problem.objectives
    sign = 1.0 if terms[first].maximize == terms[second].maximize else -1.0
    return problem.terms(model)[first] + sign * delta * problem.terms(model)[second]


def _solve_point(problem: Problem, model: pyo.ConcreteModel, options: SolveOptions, first: str, second: str,
                 delta: float) -> Result:
    _set_objective(model, _augmented(problem, model, first, second, delta), problem.objectives[first].maximize)
    return problem.solve_built(model, options, own_objective=False)


def _dominates(a: pd.Series, b: pd.Series, x: str, y: str, max_x: bool, max_y: bool) -> bool:
    def better_eq(u: float, v: float, maximize: bool) -> bool:
        return u >= v - 1e-9 * max(1, abs(v)) if maximize else u <= v + 1e-9 * max(1, abs(v))

    def strictly(u: float, v: float, maximize: bool) -> bool:
        return u > v + 1e-9 * max(1, abs(v)) if maximize else u < v - 1e-9 * max(1, abs(v))

    return (better_eq(a[x], b[x], max_x) and better_eq(a[y], b[y], max_y)
            and (strictly(a[x], b[x], max_x) or strictly(a[y], b[y], max_y)))


def check_front(problem: Problem, x: str, y: str, points: int) -> None:
    """The command-line arguments of a front, checked before any work starts."""
    terms = problem.objectives
    for name, label in ((x, "--x"), (y, "--y")):
        if name not in terms:
            known = ", ".join(terms) or "none: this problem has a single objective"
            raise InputError(f"unknown objective {name!r} (known: {known})", field=label)
    if x == y:
        raise InputError("choose two different objectives", field="--y")
    if not 2 <= points <= 100:
        raise InputError("a front has between 2 and 100 points (each is a solve of its own)", field="--points")


#: The most alternatives one run may look for (each is a MILP solve).
MAX_ALTERNATIVES = 20


def check_alternatives(k: int, within: float) -> None:
    if not 1 <= k <= MAX_ALTERNATIVES:
        raise InputError(f"ask for between 1 and {MAX_ALTERNATIVES} alternatives (each is a solve of its own)",
                         field="--alternatives")
    if not (0 <= within < 10):
        raise InputError("--within is a percentage between 0 and 1000", field="--within")


def pareto_front(problem: Problem, x: str, y: str, points: int, options: SolveOptions,
                 describe: Any = None) -> ParetoFront:
    """Trace the front between objectives ``x`` and ``y`` with ``points`` solves of the
    epsilon-constraint method (see the module docstring). ``describe(result)`` may add
    columns per point (e.g. the worst cascade flag)."""
    check_front(problem, x, y, points)
    terms = problem.objectives
    start = time.perf_counter()
    model = problem.build()
    _require_single_model(problem, model, "a Pareto front")
    scale_x, scale_y = _scale(problem.terms(model)[x].expr), _scale(problem.terms(model)[y].expr)
    best_x = _solve_point(problem, model, options, x, y, 1e-4 * scale_x / scale_y)
    best_y = _solve_point(problem, model, options, y, x, 1e-4 * scale_y / scale_x)
    if not (best_x.has_solution and best_y.has_solution):
        failed = best_x if not best_x.has_solution else best_y
        if failed.status == "infeasible":
            raise InfeasibleInput("no plan exists for this instance (solve it for the rules that conflict)",
                                  field="instance")
        raise NoFront(f"no plan found for the end points of the front ({failed.status}: {failed.termination}); "
                      "allow more time with --time-limit")
    results = [best_x, best_y]
    at_best_x, at_best_y = best_x.solution.summary["objectives"], best_y.solution.summary["objectives"]
    y_lo, y_hi = at_best_x[y], at_best_y[y]  # y where x is best (y at its worst), y at its best
    x_range = abs(at_best_x[x] - at_best_y[x])
    y_range = abs(y_hi - y_lo)
    if y_range > 0:
        delta = 1e-3 * max(x_range, 1e-9) / y_range
        for eps in np.linspace(y_lo, y_hi, points)[1:-1]:
            _bound_term(model, "tradeoff_eps", problem.terms(model)[y], float(eps), terms[y].maximize)
            result = _solve_point(problem, model, options, x, y, delta)
            if result.has_solution:
                results.append(result)
    rows = []
    for r in results:
        row = {"status": r.status, "gap": r.gap, "seconds": round(r.seconds, 3)}
        row.update(r.solution.summary["objectives"])
        row["n_open"] = r.solution.summary.get("n_open")
        if describe is not None:
            row.update(describe(r))
        rows.append(row)
    table = pd.DataFrame(rows)
    keep = _non_dominated(table, x, y, terms[x].maximize, terms[y].maximize)
    table = table[keep]
    kept = [r for r, k in zip(results, keep) if k]
    order = np.argsort(table[x].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    kept = [kept[i] for i in order]
    unique = ~table.duplicated(subset=[x, y])
    table = table[unique.to_numpy()].reset_index(drop=True)
    kept = [r for r, u in zip(kept, unique) if u]
    table.insert(0, "point", np.arange(1, len(table) + 1))
    return ParetoFront(x, y, table, int((~keep).sum()), kept, time.perf_counter() - start)


def _non_dominated(table: pd.DataFrame, x: str, y: str, max_x: bool, max_y: bool) -> np.ndarray:
    rows = [table.iloc[i] for i in range(len(table))]
    return np.array([not any(_dominates(b, a, x, y, max_x, max_y) for b in rows) for a in rows])


# --- alternatives ----------------------------------------------------------------------


@dataclass
class Alternative:
    rank: int  # 0: the optimum itself
    result: Result
    objective: float
    above_optimum: float  # relative, e.g. 0.03 for 3 % worse
    distance: int  # decisions that differ from the optimum
    added: list[str]
    removed: list[str]


@dataclass
class Alternatives:
    """The optimum and the alternatives found (``plans[0]`` is the optimum), and a note when
    fewer than asked were found."""

    plans: list[Alternative]
    note: str = ""

    def __iter__(self) -> Iterator[Alternative]:
        return iter(self.plans)

    def __getitem__(self, k: int) -> Alternative:
        return self.plans[k]

    def __len__(self) -> int:
        return len(self.plans)


def _plan(indicators: dict[str, Any]) -> dict[str, int]:
    return {name: int(round(pyo.value(expr))) for name, expr in indicators.items()}


def alternatives(problem: Problem, k: int, within: float, options: SolveOptions,
                 instance: str | None = None) -> Alternatives:
    """The optimum and up to ``k`` plans, each within ``within`` (fraction) of it and far
    from all plans before (see the module docstring)."""
    check_alternatives(k, within)
    started = time.perf_counter()
    model = problem.build()
    _require_single_model(problem, model, "--alternatives")
    indicators = problem.plan_indicators(model)
    if not indicators:
        raise InputError(f"problem {problem.name!r} does not name its key decisions; alternatives need them",
                         field="--alternatives")
    best = problem.solve_built(model, options, started=started, instance=instance, as_built=True)
    if not best.has_solution:
        return Alternatives([Alternative(0, best, math.nan, 0.0, 0, [], [])])
    maximize = _main_objective(model).sense == pyo.maximize
    z = float(best.objective)
    plans = [_plan(indicators)]
    found = [Alternative(0, best, z, 0.0, 0, [], [])]
    limit = z - within * abs(z) if maximize else z + within * abs(z)
    seconds = min(options.time_limit or ALTERNATIVE_SECONDS, ALTERNATIVE_SECONDS)
    search = SolveOptions(time_limit=seconds, gap=options.gap, threads=options.threads, seed=options.seed,
                          verbose=options.verbose)
    model.tradeoff_apart = pyo.ConstraintList()
    target = max(1, sum(plans[0].values()) // 2)
    note = ""
    while len(found) <= k:
        model.tradeoff_apart.clear()
        for plan in plans:
            model.tradeoff_apart.add(sum((1 - e) if plan[n] else e for n, e in indicators.items()) >= target)
        result = problem.solve_built(model, search, instance=instance)
        value = result.objective if result.has_solution else None
        within_slack = value is not None and (value >= limit - 1e-9 * abs(limit) if maximize
                                              else value <= limit + 1e-9 * abs(limit))
        if not within_slack:
            if target == 1:
                note = (f"no further plan within {within:.2%} of the optimum" if result.status in ("optimal", "infeasible")
                        else f"no further plan within {within:.2%} of the optimum found in {seconds:g} s")
                break
            target //= 2
            continue
        plan = _plan(indicators)
        base = plans[0]
        added = sorted(n for n in plan if plan[n] and not base[n])
        removed = sorted(n for n in plan if base[n] and not plan[n])
        above = (z - value if maximize else value - z) / abs(z) if z else 0.0
        found.append(Alternative(len(found), result, float(value), above, len(added) + len(removed), added, removed))
        plans.append(plan)
    model.del_component("tradeoff_apart")
    return Alternatives(found, f"{len(found) - 1} of {k} alternatives: {note}" if note and len(found) <= k else "")


def alternatives_table(found: list[Alternative], key_figures: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """One row per plan: its figures in planner units (``key_figures`` of the problem) and what
    it gives up against the optimum in those units (``<key>_vs_optimum``), the decisions that
    differ, then the weighted objective."""
    rows = []
    best = found[0].result.solution.summary if found else {}
    for a in found:
        summary = a.result.solution.summary
        row: dict[str, Any] = {"alternative": a.rank}
        for key, _ in key_figures:
            value = summary.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                row[key] = value
                base = best.get(key)
                row[f"{key}_vs_optimum"] = value - base if isinstance(base, (int, float)) else None
        row.update({
            "decisions_changed": a.distance,
            "added": " ".join(a.added),
            "removed": " ".join(a.removed),
            "objective": a.objective,
            "above_optimum": a.above_optimum,
            "status": a.result.status,
            **summary.get("objectives", {}),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def front_summary(front: ParetoFront, problem: Problem, label: str) -> dict[str, Any]:
    """A front as ``summary.json`` and ``--json`` give it."""
    return {"problem": problem.name, "instance": label, "x": front.x, "y": front.y,
            "objectives": {n: {"sense": t.sense, "unit": t.unit, "description": t.description}
                           for n, t in problem.objectives.items() if n in (front.x, front.y)},
            "points": front.table.to_dict(orient="records"), "dominated_dropped": front.dropped,
            "seconds": round(front.seconds, 3)}
