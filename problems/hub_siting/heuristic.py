r"""A first plan for the hub model: LP-and-fix on the class-disaggregated LP.

1. Solve the LP relaxation of the class-disaggregated form (``model.define_class_links``:
   x_ijk ≤ y_jk, Σ_i q_ij x_ijk ≤ V_k y_jk, the convex hull of each site's choices). Its y is
   far nearer integral than the written model's: on the whole city 890 of the 967 size
   choices are 0 or 1 (352 of them 1), and its value bounds every plan (6.03 M against the
   written LP's 5.65 M).
2. Fix every choice y_jk the LP makes in integers and solve the written model over the rest
   (the 77 choices left, the assignment) with HiGHS, to within ``RESTRICTED_GAP`` of its own
   bound or for at most ``RESTRICTED_SECONDS``.

The plan is feasible for the whole model (only bounds were tightened) and HiGHS starts from
it; the class-disaggregated LP's value is the plan's bound (``start_bound``). The same
fix-and-solve idea as the quays' first plan (``problems/quay_walls/heuristic.py``: RENS,
relax-and-fix). Only for models with at least ``MIN_CHOICES`` size choices: on Zuidas (247)
HiGHS's own search finds its plans as fast, and a first plan 2 % above the optimum does not
shorten the proof (``benchmarks/results/speed.md``).
"""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np
import pyomo.core as pyo

from optimise.solver import SolveOptions, load_model, run_highs

from .data import HubData
from .model import build_model, define_class_links

#: The restricted model stops within this gap of its own bound, or after this many seconds:
#: it makes a plan, not a proof.
RESTRICTED_GAP = 1e-3
RESTRICTED_SECONDS = 2.0
#: Below this many size choices (y columns) no first plan is made.
MIN_CHOICES = 500
#: An LP value this close to 0 or 1 counts as decided.
INTEGRAL = 1e-6


def lp_and_fix(d: HubData, params: dict[str, Any], model: pyo.ConcreteModel, deadline: float | None,
               seed: int) -> dict[str, float] | None:
    """Set a plan as the values of all of ``model``'s variables (see the module docstring) and
    return figures about it; None for a small model, or when the LP has no optimum or the
    restricted model no plan in time."""
    if len(model.y_list) < MIN_CHOICES:
        return None

    def seconds_left(cap: float) -> float:
        return cap if deadline is None else max(min(cap, deadline - time.perf_counter()), 1e-3)

    hull = build_model(d, params, model.name)
    define_class_links(hull, d, params)
    relaxed = load_model(hull, SolveOptions(threads=1, seed=seed,
                                            time_limit=None if deadline is None else seconds_left(np.inf)), relax=True)
    run_highs(relaxed.highs)
    if relaxed.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    bound = relaxed.highs.getInfo().objective_function_value
    values = np.asarray(relaxed.highs.getSolution().col_value, dtype=float)
    column = relaxed.column_index()
    # the same build: hull.y[s] and model.y[s] are the same size choice
    y = np.array([values[column[id(v)]] if id(v) in column else np.nan for v in hull.y_list], dtype=float)
    decided = (y < INTEGRAL) | (y > 1 - INTEGRAL)

    restricted = load_model(model, SolveOptions(threads=1, seed=seed, gap=RESTRICTED_GAP,
                                                time_limit=seconds_left(RESTRICTED_SECONDS)))
    h = restricted.highs
    column = restricted.column_index()
    cols = np.array([column.get(id(v), -1) for v in model.y_list], dtype=np.int64)
    fix = decided & (cols >= 0)
    level = np.round(y[fix])
    h.changeColsBounds(int(fix.sum()), cols[fix].astype(np.int32), level, level)
    run_highs(h)
    if h.getInfo().primal_solution_status != 2:
        return None
    restricted.load_values(np.asarray(h.getSolution().col_value, dtype=float))
    return {**restricted.size, "start_bound": bound, "start_objective": h.getInfo().objective_function_value,
            "choices_fixed_by_lp": int(fix.sum()), "choices_left_to_the_mip": int((~decided).sum())}
