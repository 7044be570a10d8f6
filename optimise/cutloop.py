"""Solving a model whose constraints are too many to write down: a cut loop (Benders-style
row generation) around HiGHS.

The problem supplies the *master* model (a Pyomo model holding a subset of the constraints,
possibly none) and a :class:`Separator` that, given a point, returns the constraints it
violates and, for an integer point, the point's true objective value. The engine then

1. solves the LP relaxation of the master, adding violated rows until there are none
   (the master's LP bound then equals the full model's);
2. solves the master MIP, collects every improving solution HiGHS finds on the way, adds
   the rows they violate and solves again, until the master's optimum violates nothing
   (it is then optimal for the full model) or its bound meets the best plan found.

HiGHS has no lazy-constraint callback usable from Python, so each MIP round restarts the
tree, warm-started with the best plan. The lower bound of every round is valid for the
full model (the master is a relaxation), so the gap reported is honest at any stop.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp

import highspy
from optimise.solver import (
    PROVEN_GAP,
    SolveOptions,
    SolverOutcome,
    _relative_gap,
    load_model,
    run_highs,
)


@dataclass
class Rows:
    """Rows ``lower <= A x`` over the separator's variables (``A`` a CSR matrix)."""

    lower: np.ndarray
    matrix: sp.csr_matrix

    def __len__(self) -> int:
        return len(self.lower)


class Separator(ABC):
    """What a problem supplies to :func:`solve_with_cuts` (minimisation only)."""

    #: The Pyomo variables the separator reads, in the order of its vectors.
    variables: list[Any]

    @abstractmethod
    def separate(self, x: np.ndarray) -> Rows:
        """Rows violated at ``x`` (values of :attr:`variables`)."""

    @abstractmethod
    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """For an integer ``x``: the true objective value, and ``x`` with its objective
        variables set to their true values (a point feasible for the master)."""


class _Columns:
    """Maps the separator's variables to HiGHS columns; fixed variables are constants."""

    def __init__(self, separator: Separator, loaded: Any) -> None:
        index = loaded.column_index()
        self.col = np.array([index.get(id(v), -1) for v in separator.variables], dtype=np.int64)
        self.free = self.col >= 0
        self.fixed_values = np.array([0.0 if f else float(pyo.value(v)) for v, f in zip(separator.variables, self.free)])

    def gather(self, column_values: np.ndarray) -> np.ndarray:
        x = self.fixed_values.copy()
        x[self.free] = column_values[self.col[self.free]]
        return x

    def scatter(self, x: np.ndarray, column_values: np.ndarray) -> np.ndarray:
        out = column_values.copy()
        out[self.col[self.free]] = x[self.free]
        return out


def _add_rows(h: highspy.Highs, rows: Rows, cols: _Columns) -> int:
    a = rows.matrix.tocsc()
    # constants (fixed variables) move to the right-hand side
    lower = rows.lower - a @ np.where(cols.free, 0.0, cols.fixed_values)
    a = a[:, np.flatnonzero(cols.free)].tocsr()
    a.eliminate_zeros()
    mapped = cols.col[cols.free][a.indices].astype(np.int32)
    h.addRows(len(lower), lower, np.full(len(lower), highspy.kHighsInf), a.nnz,
              a.indptr[:-1].astype(np.int32), mapped, a.data.astype(float))
    return len(lower)


def solve_with_cuts(
    model: pyo.ConcreteModel, separator: Separator, options: SolveOptions | None = None,
    *, max_rounds: int = 1000,
) -> SolverOutcome:
    """Solve ``model`` (the master) with rows from ``separator``; load the best plan into it."""
    options = options or SolveOptions()
    start = time.perf_counter()
    loaded = load_model(model, options, relax=True)
    if loaded.maximize:
        raise ValueError("solve_with_cuts minimises")
    h = loaded.highs
    cols = _Columns(separator, loaded)
    deadline = None if options.time_limit is None else start + options.time_limit
    n_cols = len(loaded.columns)
    stats = {"lp_rounds": 0, "mip_rounds": 0, "rows_added": 0}

    def remaining() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    def timed_out() -> bool:
        left = remaining()
        return left is not None and left <= 0

    # Phase 1: the LP relaxation of the full model.
    lp_bound = -math.inf
    status = None
    while not timed_out():
        if remaining() is not None:
            h.setOptionValue("time_limit", max(remaining(), 1e-3))
        status = run_highs(h)
        if status != highspy.HighsModelStatus.kOptimal:
            break
        stats["lp_rounds"] += 1
        values = np.asarray(h.getSolution().col_value, dtype=float)
        lp_bound = h.getInfo().objective_function_value
        rows = separator.separate(cols.gather(values))
        if len(rows) == 0:
            break
        stats["rows_added"] += _add_rows(h, rows, cols)
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnbounded):
        return SolverOutcome("infeasible" if status == highspy.HighsModelStatus.kInfeasible else "unbounded",
                             h.modelStatusToString(status), None, None, None, loaded.handoff_seconds,
                             time.perf_counter() - start - loaded.handoff_seconds, 0, loaded.size)

    # Phase 2: the master MIP, row generation at every integer point found.
    integer = loaded.integer
    h.changeColsIntegrality(n_cols, np.arange(n_cols, dtype=np.int32), integer)
    found: list[np.ndarray] = []
    h.cbMipImprovingSolution.subscribe(lambda event, data=None: found.append(np.array(event.data_out.mip_solution)))
    best_value, best_columns = math.inf, None
    bound = lp_bound
    termination = "Optimal"
    nodes = 0
    while True:
        if timed_out():
            termination = "Time limit reached"
            break
        if remaining() is not None:
            h.setOptionValue("time_limit", max(remaining(), 1e-3))
        if best_columns is not None:
            warm = highspy.HighsSolution()
            warm.col_value = best_columns.tolist()
            warm.value_valid = True
            h.setSolution(warm)
        found.clear()
        status = run_highs(h)
        stats["mip_rounds"] += 1
        info = h.getInfo()
        nodes += int(info.mip_node_count)
        if math.isfinite(info.mip_dual_bound):
            bound = max(bound, float(info.mip_dual_bound))
        if status == highspy.HighsModelStatus.kInfeasible:
            return SolverOutcome("infeasible", "Infeasible", None, None, None, loaded.handoff_seconds,
                                 time.perf_counter() - start - loaded.handoff_seconds, nodes, loaded.size)
        if info.primal_solution_status == 2:
            found.append(np.asarray(h.getSolution().col_value, dtype=float))
        master_optimal = status == highspy.HighsModelStatus.kOptimal
        new_rows = []
        final_violated = True
        for k, column_values in enumerate(found):
            column_values = np.where(integer == 1, np.round(column_values), column_values)
            x = cols.gather(column_values)
            value, exact = separator.evaluate(x)
            if value < best_value:
                best_value, best_columns = value, cols.scatter(exact, column_values)
            rows = separator.separate(x)
            if len(rows):
                new_rows.append(rows)
            elif k == len(found) - 1:
                final_violated = False
        gap = _relative_gap(best_value, bound) if math.isfinite(best_value) else None
        if gap is not None and gap <= max(options.gap, PROVEN_GAP):
            break
        if master_optimal and not final_violated:
            # The master's optimum violates no row, so it solves the full model (exactly
            # when no gap tolerance was given; else within it, and the bound stands).
            if options.gap == 0:
                bound = best_value
            break
        if not master_optimal:
            termination = h.modelStatusToString(status)
            break
        if not new_rows or stats["mip_rounds"] >= max_rounds:
            termination = "Round limit reached"
            break
        for rows in new_rows:
            stats["rows_added"] += _add_rows(h, rows, cols)

    solve_seconds = time.perf_counter() - start - loaded.handoff_seconds
    size = {**loaded.size, **stats, "rows": int(h.getNumRow()), "nonzeros": int(h.getNumNz())}
    if best_columns is None:
        return SolverOutcome("no_solution", termination, None, bound if math.isfinite(bound) else None, None,
                             loaded.handoff_seconds, solve_seconds, nodes, size)
    gap = _relative_gap(best_value, bound)
    status_word = "optimal" if gap is not None and gap <= PROVEN_GAP else "feasible"
    if status_word == "feasible" and termination == "Optimal":
        termination = "Optimal within the gap tolerance"
    loaded.load_values(best_columns)
    return SolverOutcome(status_word, termination, best_value, bound, gap, loaded.handoff_seconds,
                         solve_seconds, nodes, size)
