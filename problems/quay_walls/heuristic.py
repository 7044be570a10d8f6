r"""A first plan for the quay model: LP-and-fix (fix what the LP relaxation decides, solve the rest).

1. Solve the LP relaxation of the model (HiGHS, with its presolve). Time-indexed models of
   this kind are nearly integral in the LP: on the city's instance all but 43 of its works
   start in one period with value 1 (or not at all) in the LP optimum.
2. Fix the start of every work the LP decides in integers (each of its s_at at its LP value),
   and solve the MIP that is left — the works with a fractional start over all their
   periods, every cable's option, the interactions — with HiGHS to within ``RESTRICTED_GAP``
   of its own bound, or for at most ``RESTRICTED_SECONDS``.

The plan is feasible for the whole model (the same rows; only bounds were tightened), and
the LP optimum bounds every plan's objective: when the plan is within the gap asked for of
it, the solve ends there (``Problem.starting_plan``); else HiGHS starts from it. This is the fix-and-solve idea of RENS (Berthold, "RENS: the optimal
rounding", Math. Prog. Comp. 2014) and of LP-and-fix / relax-and-fix in production planning
(Pochet and Wolsey, "Production Planning by Mixed Integer Programming", 2006), fixing a
work's whole choice of start rather than single columns. HiGHS's own RENS runs after its
root cut loop (about 20 s into the city's run); this one takes a few seconds before it.
Measured in ``benchmarks/speed.py`` (full quays) and ``benchmarks/results/speed.md``.
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np
import pyomo.core as pyo

from optimise.solver import SolveOptions, load_model, run_highs

#: The MIP over what the LP leaves open stops within this gap of its own bound, or after this
#: many seconds: it makes a plan, not a proof (the whole model's bound is the LP's).
RESTRICTED_GAP = 1e-3
RESTRICTED_SECONDS = 8.0
#: Above this share of works with a fractional LP start the restricted MIP is nearly the
#: whole one: no plan is made (HiGHS's own search does as well).
MAX_FREE_SHARE = 0.25
#: An LP value this close to 0 or 1 counts as decided.
INTEGRAL = 1e-6


def lp_and_fix(model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
    """Set a plan as the values of all of ``model``'s variables (see the module docstring)
    and return figures about it; None when the LP has no optimum, leaves too much open, or
    the restricted MIP finds no plan in time."""
    def seconds_left(cap: float = np.inf) -> float:
        return cap if deadline is None else max(min(cap, deadline - time.perf_counter()), 1e-3)

    loaded = load_model(model, SolveOptions(threads=1, seed=seed, time_limit=None if deadline is None else seconds_left()),
                        relax=True)
    h = loaded.highs
    run_highs(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    lp_bound = h.getInfo().objective_function_value
    values = np.asarray(h.getSolution().col_value, dtype=float)
    column = loaded.column_index()
    # a start the model fixed (no column of its own) is decided already: -1
    starts = np.array([column.get(id(model.s[q]), -1) for q in range(len(model.maps.starts))], dtype=np.int64)
    fixed: list[int] = []
    free = 0
    for qs in model.maps.by_work:
        if not qs:
            continue
        cols = starts[qs]
        cols = cols[cols >= 0]
        if np.all((values[cols] < INTEGRAL) | (values[cols] > 1 - INTEGRAL)):
            fixed.extend(cols.tolist())
        else:
            free += 1
    works = sum(1 for qs in model.maps.by_work if qs)
    if free > MAX_FREE_SHARE * works:
        return None
    fixed_cols = np.asarray(fixed, dtype=np.int32)
    level = np.round(values[fixed_cols])
    h.changeColsBounds(len(fixed_cols), fixed_cols, level, level)
    h.changeColsIntegrality(len(loaded.integer), np.arange(len(loaded.integer), dtype=np.int32), loaded.integer)
    h.setOptionValue("mip_rel_gap", RESTRICTED_GAP)
    h.setOptionValue("time_limit", h.getRunTime() + seconds_left(RESTRICTED_SECONDS))
    run_highs(h)
    if h.getInfo().primal_solution_status != 2:
        return None
    loaded.load_values(np.asarray(h.getSolution().col_value, dtype=float))
    return {**loaded.size, "start_bound": lp_bound, "start_objective": h.getInfo().objective_function_value,
            "works_fixed_by_lp": works - free, "works_left_to_the_mip": free}
