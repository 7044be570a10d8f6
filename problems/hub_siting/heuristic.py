r"""A first plan for the hub model: LP-and-fix on the class-disaggregated LP.

1. Solve the LP relaxation of the class-disaggregated form (``model.define_class_links``:
   x_ijk ≤ y_jk, Σ_i q_ij x_ijk ≤ V_k y_jk, the convex hull of each site's choices), put
   together in arrays from the written model as loaded for HiGHS (``class_hull_lp``: on the
   whole city 0.02 s, where Pyomo took 2 s to build and compile it). Its y is
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
import scipy.sparse as sp

from optimise.solver import LoadedModel, SolveOptions, allow_seconds, configure, load_model, run_highs

from .data import HubData
from .model import pair_vehicles

#: The restricted model stops within this gap of its own bound, or after this many seconds:
#: it makes a plan, not a proof.
RESTRICTED_GAP = 1e-3
RESTRICTED_SECONDS = 2.0
#: Below this many size choices (y columns) no first plan is made.
MIN_CHOICES = 500
#: An LP value this close to 0 or 1 counts as decided.
INTEGRAL = 1e-6


def class_hull_lp(d: HubData, params: dict[str, Any], model: pyo.ConcreteModel, loaded: LoadedModel,
                  seconds: float | None, seed: int) -> tuple[highspy.Highs, np.ndarray] | None:
    """The LP of the class-disaggregated form (``model.define_class_links``) as a HiGHS model of
    its own, assembled from the written model as ``loaded`` (its columns and rows, less link
    and vehicles, in arrays; Pyomo would take longer to build and compile it than HiGHS to
    solve it), and the HiGHS column of each y of ``model``. None when a y or x has no column."""
    column = loaded.column_index()
    x_col = np.array([column.get(id(v), -1) for v in model.x_list], dtype=np.int64)
    y_col = np.array([column.get(id(v), -1) for v in model.y_list], dtype=np.int64)
    if (x_col < 0).any() or (y_col < 0).any():
        return None
    h = highspy.Highs()
    configure(h, SolveOptions(threads=1, seed=seed, time_limit=seconds))
    h.passModel(loaded.highs.getLp())
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    replaced = [k for k, row in enumerate(loaded.rows)
                if row.parent_component() is model.link or row.parent_component() is model.vehicles]
    h.deleteRows(len(replaced), np.array(replaced, dtype=np.int32))

    # one column x_ijk per pair and class of its site (triple t = pair q, slot s)
    maps = model.maps
    slots_of_pair = [maps.by_site[int(j)] for j in d.pairs[:, 1]]
    t_pair = np.repeat(np.arange(len(d.pairs)), [len(s) for s in slots_of_pair])
    t_slot = np.concatenate(slots_of_pair).astype(np.int64)
    nt = len(t_pair)
    t_col = n + np.arange(nt)
    h.addCols(nt, np.zeros(nt), np.zeros(nt), np.ones(nt), 0, np.zeros(0, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    need = pair_vehicles(d, params)
    places = d.sizes["vehicles"].to_numpy(float)[maps.slots[:, 1]]
    used = np.unique(t_slot)
    slot_row = np.full(len(maps.slots), -1)
    slot_row[used] = np.arange(len(used))
    npairs = len(d.pairs)
    # split: x_ij − Σ_k x_ijk = 0; link_k: x_ijk − y_jk ≤ 0; vehicles_k: Σ_i q_ij x_ijk − V_k y_jk ≤ 0
    rows = np.concatenate([np.arange(npairs), t_pair,
                           npairs + np.arange(nt), npairs + np.arange(nt),
                           npairs + nt + slot_row[t_slot], npairs + nt + np.arange(len(used))])
    cols = np.concatenate([x_col, t_col, t_col, y_col[t_slot], t_col, y_col[used]])
    vals = np.concatenate([np.ones(npairs), -np.ones(nt), np.ones(nt), -np.ones(nt), need[t_pair], -places[used]])
    nrows = npairs + nt + len(used)
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(nrows, n + nt))
    lower = np.concatenate([np.zeros(npairs), np.full(nt + len(used), -highspy.kHighsInf)])
    upper = np.zeros(nrows)
    h.addRows(nrows, lower, upper, matrix.nnz, matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
              matrix.data.astype(float))
    return h, y_col


def lp_and_fix(d: HubData, params: dict[str, Any], model: pyo.ConcreteModel, deadline: float | None,
               seed: int) -> dict[str, float] | None:
    """Set a plan as the values of all of ``model``'s variables (see the module docstring) and
    return figures about it; None for a small model, or when the LP has no optimum or the
    restricted model no plan in time."""
    if len(model.y_list) < MIN_CHOICES:
        return None

    def seconds_left(cap: float) -> float:
        return cap if deadline is None else max(min(cap, deadline - time.perf_counter()), 1e-3)

    restricted = load_model(model, SolveOptions(threads=1, seed=seed, gap=RESTRICTED_GAP))
    hull = class_hull_lp(d, params, model, restricted, None if deadline is None else seconds_left(np.inf), seed)
    if hull is None:
        return None
    relaxed, y_col = hull
    run_highs(relaxed)
    if relaxed.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    bound = relaxed.getInfo().objective_function_value
    y = np.asarray(relaxed.getSolution().col_value, dtype=float)[y_col]
    decided = (y < INTEGRAL) | (y > 1 - INTEGRAL)

    h = restricted.highs
    allow_seconds(h, seconds_left(RESTRICTED_SECONDS))
    level = np.round(y[decided])
    h.changeColsBounds(int(decided.sum()), y_col[decided].astype(np.int32), level, level)
    run_highs(h)
    if h.getInfo().primal_solution_status != 2:
        return None
    restricted.load_values(np.asarray(h.getSolution().col_value, dtype=float))
    return {**restricted.size, "start_bound": bound, "start_objective": h.getInfo().objective_function_value,
            "choices_fixed_by_lp": int(decided.sum()), "choices_left_to_the_mip": int((~decided).sum())}
