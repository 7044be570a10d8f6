"""Solving a Pyomo model with HiGHS, and reporting honestly what the solver proved.

Pyomo is the modelling layer. The model is compiled to matrix form with Pyomo's standard
form compiler and handed to HiGHS through highspy in one call per block (columns, rows),
which is much faster than Pyomo's file- or expression-based interfaces on large location
models, and gives direct access to HiGHS's own figures: best bound, gap, node count.
The solution is then loaded back into the Pyomo variables, so problem modules read their
results from the model as usual.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pyomo.core as pyo  # not pyomo.environ: its solver plugins, never used here, cost 0.1 s at start-up
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import highspy

#: Status words, in the order a reader should trust them.
STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "no_solution")

#: The most threads HiGHS may be asked for: four per core (HiGHS aborts on absurd counts).
MAX_THREADS = 4 * (os.cpu_count() or 1)
#: The longest time limit accepted (a week).
MAX_SECONDS = 7 * 24 * 3600.0

#: A MIP counts as proven optimal only when the remaining relative gap is below this.
PROVEN_GAP = 1e-9


@dataclass(frozen=True)
class SolveOptions:
    """What the user may tell the solver.

    ``gap`` is the relative optimality gap at which HiGHS may stop; 0 asks for a proof of
    optimality. A run stopped at a positive gap is reported as ``feasible`` with its gap,
    never as ``optimal``.
    """

    time_limit: float | None = None
    gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (self.time_limit > 0):
            raise ValueError("time limit must be positive")
        if not (0 <= self.gap < 1):
            raise ValueError("gap must be in [0, 1)")
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(f"threads must be between 1 and {MAX_THREADS} (this machine has {os.cpu_count()} cores)")
        if self.time_limit is not None and self.time_limit > MAX_SECONDS:
            raise ValueError(f"time limit must be at most {MAX_SECONDS:,.0f} s (a week)")

    def with_overrides(self, **values: Any) -> "SolveOptions":
        """These options with each value given that is not None put in their place: the one
        merge of command line over instance over defaults (raises ValueError when out of range)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


@dataclass
class SolverOutcome:
    """What HiGHS returned, mapped to the house statuses."""

    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    handoff_seconds: float
    solve_seconds: float
    nodes: int = 0
    size: dict[str, int] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SolverFault(RuntimeError):
    """HiGHS reported an internal error: a bug to be fixed, not a user mistake."""


def _row_bounds(repn: Any) -> tuple[np.ndarray, np.ndarray]:
    senses = np.fromiter((sense for _, sense in repn.rows), dtype=np.int8, count=len(repn.rows))
    rhs = np.asarray(repn.rhs, dtype=float)
    # mixed form: sense 0 is "=", 1 is "<=" (upper bound), -1 is ">=" (lower bound)
    lower = np.where((senses == 0) | (senses == -1), rhs, -np.inf)
    upper = np.where((senses == 0) | (senses == 1), rhs, np.inf)
    return lower, upper


def _column_data(columns: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(columns)
    lower = np.empty(n)
    upper = np.empty(n)
    integer = np.zeros(n, dtype=np.uint8)
    for k, var in enumerate(columns):
        lb, ub = var.bounds
        lower[k] = -np.inf if lb is None else lb
        upper[k] = np.inf if ub is None else ub
        if not var.is_continuous():
            integer[k] = 1
    return lower, upper, integer


def configure(h: highspy.Highs, options: SolveOptions) -> None:
    """Set ``options`` (log, time limit, gap, seed, threads) on a HiGHS object."""
    h.setOptionValue("output_flag", bool(options.verbose))
    if options.verbose:
        # HiGHS logs to stdout by default; stdout is reserved for results (--json).
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", "/dev/stderr" if sys.platform != "win32" else "")
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    h.setOptionValue("mip_rel_gap", float(options.gap))
    h.setOptionValue("random_seed", int(options.seed))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))


@dataclass
class LoadedModel:
    """A Pyomo model compiled and handed to HiGHS (not yet solved)."""

    highs: highspy.Highs
    columns: list[Any]
    eliminated: list[Any]
    integer: np.ndarray
    maximize: bool
    size: dict[str, int]
    handoff_seconds: float
    rows: list[Any] = field(default_factory=list)  # the Pyomo constraint of each HiGHS row

    def column_index(self) -> dict[int, int]:
        return {id(var): k for k, var in enumerate(self.columns)}

    def load_values(self, values: np.ndarray) -> None:
        """Write column values back into the Pyomo variables (integers rounded)."""
        if self.integer.any():
            values = np.where(self.integer == 1, np.round(values), values)
        for var, value in zip(self.columns, values.tolist()):
            var.set_value(value, skip_validation=True)
        for var, expr in self.eliminated:
            var.set_value(pyo.value(expr), skip_validation=True)


def load_model(model: pyo.ConcreteModel, options: SolveOptions, *, relax: bool = False) -> LoadedModel:
    """Compile ``model`` with Pyomo's standard form compiler and pass it to HiGHS as matrices."""
    start = time.perf_counter()
    repn = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    objectives = repn.objectives
    if len(objectives) != 1:
        raise SolverFault(f"expected one active objective, found {len(objectives)}")
    sense = objectives[0].sense
    n_cols = len(repn.columns)
    col_lower, col_upper, integer = _column_data(repn.columns)
    cost = np.asarray(repn.c.toarray()).ravel() if n_cols else np.zeros(0)
    offset = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    row_lower, row_upper = _row_bounds(repn)
    matrix = repn.A.tocsr()

    h = highspy.Highs()
    configure(h, options)
    if n_cols:
        h.addCols(
            n_cols, cost, col_lower, col_upper, 0,
            np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0),
        )
    if len(row_lower):
        h.addRows(
            len(row_lower), row_lower, row_upper, matrix.nnz,
            matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32), matrix.data.astype(float),
        )
    if integer.any() and not relax:
        h.changeColsIntegrality(n_cols, np.arange(n_cols, dtype=np.int32), integer)
    h.changeObjectiveOffset(offset)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize if sense == pyo.maximize else highspy.ObjSense.kMinimize)
    size = {
        "columns": n_cols,
        "rows": int(len(row_lower)),
        "nonzeros": int(matrix.nnz),
        "integer_columns": int(integer.sum()),
    }
    return LoadedModel(h, list(repn.columns), list(repn.eliminated_vars), integer, sense == pyo.maximize,
                       size, time.perf_counter() - start, [entry.constraint for entry in repn.rows])


def allow_seconds(h: highspy.Highs, seconds: float) -> None:
    """Let the next run of ``h`` take at most ``seconds`` more. HiGHS compares its time
    limit with its run clock, which adds up over every run of the same object."""
    h.setOptionValue("time_limit", h.getRunTime() + max(seconds, 1e-3))


#: The thread count the process-wide HiGHS scheduler was started with (None: not started yet).
_scheduler_threads: int | None = None


def _option(h: highspy.Highs, name: str) -> Any:
    """An option's value; highspy returns ``(status, value)`` in recent releases, the value
    alone in older ones."""
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def _match_scheduler(h: highspy.Highs) -> None:
    """Start HiGHS's task scheduler with the thread count this run asks for.

    HiGHS keeps one task scheduler per process, started by the first run with that run's
    ``threads`` option. Since HiGHS 1.16 a later run that asks for another count fails at
    once (run status error, model status "Not Set") instead of quietly using the old one, so
    a one-thread solve after a default one found no plan. When the count changes, the idle
    scheduler is restarted (runs in one process are sequential here: batch variants run in
    separate worker processes)."""
    global _scheduler_threads
    wanted = int(_option(h, "threads"))
    reset = getattr(highspy.Highs, "resetGlobalScheduler", None)
    if _scheduler_threads is not None and wanted != _scheduler_threads and reset is not None:
        reset(True)
    _scheduler_threads = wanted


#: Set while HiGHS runs: it releases the GIL then, so that work waiting on another thread
#: (optimise.outputs.warm_up) takes no time from building or reading the model.
highs_running = threading.Event()


def _run_once(h: highspy.Highs) -> Any:
    _match_scheduler(h)
    highs_running.set()
    try:
        run_status = h.run()
    finally:
        highs_running.clear()
    status = h.getModelStatus()
    if run_status == highspy.HighsStatus.kError and status == highspy.HighsModelStatus.kNotset:
        # HiGHS refused to start (bad option or model): a fault of ours, named as HiGHS names it.
        raise SolverFault("HiGHS refused to run the model (run status error, model status Not Set)")
    return status


def run_highs(h: highspy.Highs) -> Any:
    """Run HiGHS; where presolve cannot tell infeasible from unbounded, ask the simplex."""
    status = _run_once(h)
    if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        presolve = _option(h, "presolve")
        h.setOptionValue("presolve", "off")
        status = _run_once(h)
        h.setOptionValue("presolve", presolve)
    return status


def solve_model(model: pyo.ConcreteModel, options: SolveOptions | None = None, *,
                warm_start: bool = False, start: list[tuple[Any, float]] | None = None,
                highs_options: dict[str, Any] | None = None) -> SolverOutcome:
    """Solve ``model`` (linear, continuous or mixed-integer) and load the solution into it.

    ``warm_start``: hand HiGHS the variables' current values as a starting plan (used when
    a model is solved again after a change that keeps the last plan feasible). ``start``:
    (variable, value) pairs of some variables (a plan's yes/no decisions): HiGHS completes the others (an LP
    with these fixed) and, if the whole keeps every row, starts its search from it.
    ``highs_options``: a formulation's own HiGHS options (``Problem.highs_options``)."""
    options = options or SolveOptions()
    loaded = load_model(model, options)
    for name, value in (highs_options or {}).items():
        if loaded.highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise SolverFault(f"HiGHS refused the option {name}={value!r}")
    if warm_start:
        values = [var.value for var in loaded.columns]
        if all(v is not None for v in values):
            first = highspy.HighsSolution()
            first.col_value = [float(v) for v in values]
            first.value_valid = True
            loaded.highs.setSolution(first)
    if start:
        column = loaded.column_index()
        given = sorted({column[id(var)]: float(value) for var, value in start if id(var) in column}.items())
        if given:
            index, value = zip(*given)
            loaded.highs.setSolution(len(index), np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float))
    t0 = time.perf_counter()
    status = run_highs(loaded.highs)
    solve_seconds = time.perf_counter() - t0
    outcome = _map_status(loaded.highs, status, bool(loaded.integer.any()))
    outcome.handoff_seconds = loaded.handoff_seconds
    outcome.solve_seconds = solve_seconds
    outcome.size = loaded.size
    if outcome.has_solution:
        loaded.load_values(np.asarray(loaded.highs.getSolution().col_value, dtype=float))
    return outcome


def _map_status(h: highspy.Highs, status: Any, is_mip: bool) -> SolverOutcome:
    M = highspy.HighsModelStatus
    info = h.getInfo()
    text = h.modelStatusToString(status)
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = float(info.objective_function_value) if has_primal else None
    bound: float | None = None
    gap: float | None = None
    if is_mip:
        raw_bound = float(info.mip_dual_bound)
        bound = raw_bound if math.isfinite(raw_bound) else None
        if objective is not None:
            gap = _relative_gap(objective, bound)
    elif status == M.kOptimal:
        bound = objective
        gap = 0.0
    nodes = int(info.mip_node_count) if is_mip else 0

    if status == M.kModelEmpty or (status == M.kOptimal and has_primal):
        if status == M.kModelEmpty:
            objective = float(h.getInfo().objective_function_value)
            bound, gap = objective, 0.0
        if gap is not None and gap <= PROVEN_GAP:
            word = "optimal"
        elif gap is None:
            word = "optimal"
        else:
            # HiGHS stopped at the requested relative gap: a good plan, not a proven optimum.
            word = "feasible"
            text = f"{text} within the gap tolerance"
        return SolverOutcome(word, text, objective, bound, gap, 0.0, 0.0, nodes)
    if status == M.kInfeasible:
        return SolverOutcome("infeasible", text, None, None, None, 0.0, 0.0, nodes)
    if status in (M.kUnbounded, M.kUnboundedOrInfeasible):
        word = "unbounded" if status == M.kUnbounded else "infeasible"
        return SolverOutcome(word, text, None, None, None, 0.0, 0.0, nodes)
    if status in (M.kLoadError, M.kModelError):
        # The model handed over was refused: our fault, not the user's and not a solver result.
        raise SolverFault(f"HiGHS failed: {text}")
    # Every other status means HiGHS stopped before a proof: a limit (time, iterations, nodes,
    # solutions, memory, an objective target or bound, an interrupt), a numerical failure in
    # presolve, solve or postsolve, or a status this engine does not know (Unknown, Not Set,
    # one added in a later release). Report the plan it has, with its gap, or none.
    if has_primal:
        return SolverOutcome("feasible", text, objective, bound, gap, 0.0, 0.0, nodes)
    return SolverOutcome("no_solution", text, None, bound, None, 0.0, 0.0, nodes)


def _relative_gap(objective: float, bound: float | None) -> float | None:
    """HiGHS's definition: |objective - bound| / |objective| (0 when both are 0)."""
    if bound is None:
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf
