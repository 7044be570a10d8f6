"""Solving a model whose constraints are too many to write down: a cut loop (Benders-style
row generation) around HiGHS.

The problem supplies the *master* model (a Pyomo model holding a subset of the constraints,
possibly none) and a :class:`Separator` that, given a point, returns the constraints it
violates and, for an integer point, the point's true objective value. The engine then

0. asks the separator for a head start (:meth:`Separator.start`): a valid lower bound and
   plans from a method of the problem's own that is faster than the LP at its size (for
   the p-median, a Lagrangian relaxation); if that bound already proves a plan within the
   gap tolerance, no LP is solved;
1. solves the LP relaxation of the master, adding violated rows until there are none
   (the master's LP bound then equals the full model's);
2. runs its own branch and cut (:mod:`optimise.branch_and_cut`): HiGHS solves every node's
   LP, rows are separated at every node, plans come from integral LP points and the
   separator's heuristic, each checked against the full model by :meth:`Separator.evaluate`.

HiGHS has no lazy-constraint callback usable from Python; a HiGHS MIP over the master
would branch on bounds too weak (the rows it lacks) and restart for every new row. The
tree's lowest open bound is valid for the full model, as are the head start's and the
LP's, so the gap reported (from the best of the three) is honest at any stop.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pyomo.core as pyo

import highspy
from optimise.branch_and_cut import TreeSearch
from optimise.separation import Columns, Separator, add_rows
from optimise.solver import (
    PROVEN_GAP,
    SolveOptions,
    SolverOutcome,
    _relative_gap,
    allow_seconds,
    load_model,
    run_highs,
)


def solve_with_cuts(
    model: pyo.ConcreteModel, separator: Separator, options: SolveOptions | None = None,
) -> SolverOutcome:
    """Solve ``model`` (the master) with rows from ``separator``; load the best plan into it."""
    options = options or SolveOptions()
    start = time.perf_counter()
    loaded = load_model(model, options, relax=True)
    if loaded.maximize:
        raise ValueError("solve_with_cuts minimises")
    h = loaded.highs
    cols = Columns(separator, loaded)
    deadline = None if options.time_limit is None else start + options.time_limit
    stats = {"lp_rounds": 0, "rows_added": 0}

    def remaining() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    def timed_out() -> bool:
        left = remaining()
        return left is not None and left <= 0

    search = TreeSearch(h, cols, separator, loaded.integer, loaded.size["rows"], gap=options.gap,
                        deadline=deadline, verbose=options.verbose, add_rows=add_rows)
    # Phase 0: the problem's own bound and plans, where it has a faster method than the LP.
    start_bound = -math.inf
    head_start = separator.start(deadline)
    if head_start is not None:
        start_bound = head_start.bound
        stats["start_bound"] = head_start.bound
        for point in head_start.points:
            search.offer(point)
        if options.verbose:
            print(f"cut loop: head start bound {start_bound:.10g}  plan {search.best_value:.10g}  "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr)

    # Phase 1: the LP relaxation of the full model.
    lp_bound = -math.inf
    status = None
    while not timed_out() and not search.closes(start_bound):
        if remaining() is not None:
            allow_seconds(h, remaining())
        status = run_highs(h)
        if status != highspy.HighsModelStatus.kOptimal:
            break
        stats["lp_rounds"] += 1
        values = np.asarray(h.getSolution().col_value, dtype=float)
        lp_bound = h.getInfo().objective_function_value
        rows = separator.separate(cols.gather(values))
        if len(rows) == 0:
            break
        stats["rows_added"] += add_rows(h, rows, cols)
        if options.verbose:
            print(f"cut loop: LP round {stats['lp_rounds']}  bound {lp_bound:.10g}  +{len(rows)} rows  "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnbounded):
        return SolverOutcome("infeasible" if status == highspy.HighsModelStatus.kInfeasible else "unbounded",
                             h.modelStatusToString(status), None, None, None, loaded.handoff_seconds,
                             time.perf_counter() - start - loaded.handoff_seconds, 0, loaded.size)

    # Phase 2: branch and cut, rows separated at every node (optimise.branch_and_cut).
    found = search.run(max(lp_bound, start_bound))
    stats["rows_added"] += found.rows_added
    stats["lp_solves"] = found.lp_solves
    solve_seconds = time.perf_counter() - start - loaded.handoff_seconds
    size = {**loaded.size, **stats, "rows": int(h.getNumRow()), "nonzeros": int(h.getNumNz())}
    if found.infeasible:
        return SolverOutcome("infeasible", "Infeasible", None, None, None, loaded.handoff_seconds,
                             solve_seconds, found.nodes, size)
    # every bound found is valid for the full model: keep the best
    bound = max(found.bound, lp_bound, start_bound)
    bound = bound if math.isfinite(bound) else None
    if found.best_columns is None:
        return SolverOutcome("no_solution", found.termination, None, bound, None,
                             loaded.handoff_seconds, solve_seconds, found.nodes, size)
    if bound is not None:
        bound = min(bound, found.best_value)  # a bound above the plan is rounding noise
    gap = _relative_gap(found.best_value, bound)
    status_word = "optimal" if gap is not None and gap <= PROVEN_GAP else "feasible"
    termination = found.termination
    if status_word == "feasible" and termination == "Optimal":
        termination = "Optimal within the gap tolerance"
    loaded.load_values(found.best_columns)
    return SolverOutcome(status_word, termination, found.best_value, bound, gap, loaded.handoff_seconds,
                         solve_seconds, found.nodes, size)
