"""Why a plan cannot exist, and what binds in a plan that does.

Infeasible instances (elastic model). Each constraint family a problem names in
``Problem.elastic`` (its planning rules: budget, deadlines, capacities …) gets a non-negative
slack per row, so that every row may be broken at a price; the model then minimises the sum
of the breaks, each measured relative to its row's right-hand side (so a budget of millions
and a count of hubs weigh alike). Rules outside ``elastic`` (model structure such as linking
rows) stay hard. The rows that must break in the least-violation plan are the conflicting
rules, told in planning terms by ``Problem.describe_row``; the amount each must give is
reported too. ``Problem.elastic_weights`` makes some rules dearer to break (a safe-life
deadline before a budget), so that the explanation blames what a planner can change. (This is the elastic-filter idea of Chinneck and Dravnieks, 1991, in its
first, phase-one step.)

Binding rules of a solved plan. The integer decisions are fixed at the plan, the rest is
solved as an LP, and each rule family row with a non-zero dual value binds: the dual is
what the objective would gain per unit the rule is relaxed (valid for small changes, with
the plan's yes/no decisions kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.core as pyo

from optimise.solver import SolveOptions, load_model, run_highs, solve_model

#: A break smaller than this (relative to its row) is solver round-off, not a conflict.
TOLERANCE = 1e-6
#: A resource used to within this share of its limit counts as used up.
TIGHT = 0.01


@dataclass
class Break:
    rule: str  # constraint family
    index: Any
    amount: float  # how much the row must give (in the row's own units)
    relative: float  # amount / the row's right-hand side
    text: str  # in planning terms


def _rows(model: pyo.ConcreteModel, families: tuple[str, ...]) -> list[Any]:
    out = []
    for name in families:
        component = model.component(name)
        if component is None:
            continue
        out.extend(con for con in component.values() if con.active)
    return out


#: Longest an explanation solve (the elastic model of an infeasible plan) may take.
EXPLANATION_SECONDS = 60.0


def explanation_options(options: SolveOptions | None) -> SolveOptions:
    """Options for an explanation solve: the user's, with at most EXPLANATION_SECONDS."""
    options = options or SolveOptions()
    limit = min(options.time_limit or EXPLANATION_SECONDS, EXPLANATION_SECONDS)
    return SolveOptions(time_limit=limit, gap=0.0, threads=options.threads, seed=options.seed)


def explain_infeasible(problem: Any, options: SolveOptions | None = None, limit: int = 12) -> list[Break]:
    """The rules that conflict, from the least-violation (elastic) version of the model,
    solved with the user's options capped at EXPLANATION_SECONDS."""
    families = tuple(problem.elastic)
    if not families:
        return []
    model = problem.build()
    rows = _rows(model, families)
    if not rows:
        return []
    for obj in model.component_data_objects(pyo.Objective, active=True):
        obj.deactivate()
    model.elastic_index = pyo.RangeSet(0, 2 * len(rows) - 1)
    model.elastic_slack = pyo.Var(model.elastic_index, domain=pyo.NonNegativeReals)
    model.elastic_rows = pyo.ConstraintList()
    weights = dict(problem.elastic_weights)
    penalty = []
    for k, con in enumerate(rows):
        lower, upper = con.lower, con.upper
        lo = pyo.value(lower) if lower is not None else None
        up = pyo.value(upper) if upper is not None else None
        scale = max(1.0, abs(lo) if lo is not None else 0.0, abs(up) if up is not None else 0.0)
        body = con.body
        below, above = model.elastic_slack[2 * k], model.elastic_slack[2 * k + 1]
        if lo is not None:
            model.elastic_rows.add(body + below >= lo)
        else:
            below.fix(0)
        if up is not None:
            model.elastic_rows.add(body - above <= up)
        else:
            above.fix(0)
        con.deactivate()
        weight = weights.get(con.parent_component().name, 1.0)
        penalty += [weight / scale, weight / scale]
    model.elastic_objective = pyo.Objective(
        expr=sum(p * model.elastic_slack[i] for i, p in enumerate(penalty)), sense=pyo.minimize)
    outcome = solve_model(model, explanation_options(options))
    if not outcome.has_solution:
        return []
    breaks = []
    for k, con in enumerate(rows):
        amount = max(pyo.value(model.elastic_slack[2 * k]) or 0.0, pyo.value(model.elastic_slack[2 * k + 1]) or 0.0)
        if amount * penalty[2 * k] > TOLERANCE:
            family = con.parent_component().name
            index = con.index()
            direction = "short" if (pyo.value(model.elastic_slack[2 * k]) or 0) > 0 else "over"
            breaks.append(Break(family, index, float(amount), float(amount * penalty[2 * k]),
                                problem.describe_row(family, index, float(amount), direction, model=model)))
    breaks.sort(key=lambda b: -b.relative)
    return breaks[:limit]


@dataclass
class Binding:
    rule: str
    index: Any
    change: float | None  # objective change when the rule is relaxed by one unit (None: tight only)
    text: str


def binding_rules(problem: Any, model: pyo.ConcreteModel, limit: int = 12) -> list[Binding]:
    """Rules that bind in the solved ``model`` (values loaded): the ``limit`` worth most, and
    every resource the plan uses up. Rows with continuous
    variables get their marginal value from the LP with the integer decisions fixed at the
    plan (the objective change per unit of relaxation); resource rows (``Problem.resources``)
    used to within 1 % of their limit are reported with the share used (rows over yes/no
    decisions alone have no marginal value in that LP)."""
    families = set(problem.elastic)
    if not families:
        return []
    tight = []
    for con in _rows(model, tuple(problem.resources)):
        body = pyo.value(con.body)
        if abs(body) <= 1e-9:  # an empty row (a site not opened) is not a resource in use
            continue
        upper = pyo.value(con.upper) if con.upper is not None else None
        if upper is not None and upper > 0 and body >= (1 - TIGHT) * upper:
            tight.append((con, body / upper))
    fixed = []
    for var in model.component_data_objects(pyo.Var, active=True):
        if not var.is_continuous() and not var.fixed and var.value is not None:
            var.fix(round(var.value))
            fixed.append(var)
    out: list[Binding] = []
    try:
        import highspy

        loaded = load_model(model, SolveOptions())
        if run_highs(loaded.highs) == highspy.HighsModelStatus.kOptimal:
            duals = np.asarray(loaded.highs.getSolution().row_dual, dtype=float)
            for con, dual in zip(loaded.rows, duals):
                family = con.parent_component().name
                if family in families and abs(dual) > 1e-9:
                    # HiGHS: dual = d objective / d row bound; relaxing moves the upper bound up
                    # (a <= row) or the lower bound down (a >= row)
                    change = float(dual if con.upper is not None else -dual)
                    out.append(Binding(family, con.index(), change, problem.describe_row(family, con.index(), change, "binds", model=model)))
    finally:
        for var in fixed:
            var.unfix()
    out.sort(key=lambda b: -abs(b.change or 0.0))
    out = out[:limit]  # the rules worth most; every resource used up is listed besides
    seen = {(b.rule, b.index) for b in out}
    for con, used in tight:
        key = (con.parent_component().name, con.index())
        if key not in seen:
            out.append(Binding(key[0], key[1], None, problem.describe_row(key[0], key[1], used, "tight", model=model)))
    return out
