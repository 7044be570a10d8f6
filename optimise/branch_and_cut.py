"""Branch and cut around HiGHS, for masters whose rows come from a :class:`Separator`.

HiGHS's MIP solver has no lazy-constraint callback usable from Python, so a master solved
by HiGHS's own branch and bound only knows the rows found before the search: its node
bounds are those of a weaker model, and every new row means a restart. This module runs
the tree search itself and lets HiGHS solve the linear programs:

* every node's LP is solved with the rows the separator finds *at that node* (until none
  is violated), so each node's bound is the bound of the full model under that node's
  branching decisions — the strength of the compact formulation without its size;
* rows are global (valid everywhere) and stay in the LP; the dual simplex restarts from
  the last basis after each change of bounds or rows;
* nodes are explored best bound first, so the lower bound of the open tree rises
  monotonically and the reported gap is honest at any stop;
* at each node the separator may propose an integer plan near the LP point (its
  :meth:`Separator.heuristic`); the engine checks it against the master's own rows and
  bounds before it becomes the incumbent;
* reduced-cost fixing: an integer column at a bound whose reduced cost would lift the
  node's bound past the incumbent is fixed for the whole subtree;
* branching by pseudo-costs (the column whose children are expected to raise the bound most).

This is the branch-and-Benders-cut scheme of Duran-Mateluna, Ales and Elloumi (2023) for
the p-median, with the tree kept in Python and every LP in HiGHS.
"""

from __future__ import annotations

import heapq
import math
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import scipy.sparse as sp

import highspy
from optimise.solver import PROVEN_GAP, allow_seconds, run_highs

if TYPE_CHECKING:
    from optimise.separation import Columns, Separator

#: Feasibility tolerance for a proposed plan against the master's rows and bounds.
FEASIBILITY_TOL = 1e-6
#: A column counts as integral within this distance of an integer.
INTEGRALITY_TOL = 1e-6


_STATUS = {int(v): v for v in highspy.HighsBasisStatus.__members__.values()}


@dataclass(order=True)
class _Node:
    bound: float
    order: int
    lower: np.ndarray = field(compare=False)  # bounds of the integer columns at this node
    upper: np.ndarray = field(compare=False)
    branched: int = field(default=-1, compare=False)  # the column branched on to get here
    up: bool = field(default=False, compare=False)
    moved: float = field(default=0.0, compare=False)  # how far that column was pushed
    basis: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)  # the parent's


@dataclass
class SearchResult:
    """What the tree search proved and found (values in HiGHS column order)."""

    termination: str
    best_value: float
    best_columns: np.ndarray | None
    bound: float
    nodes: int
    lp_solves: int
    rows_added: int
    infeasible: bool = False


class _OriginalRows:
    """The master's own rows (before any cut), to check a proposed plan."""

    def __init__(self, h: highspy.Highs, n_rows: int) -> None:
        lp = h.getLp()
        a = lp.a_matrix_
        n_cols = lp.num_col_
        parts = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
        shape = (lp.num_row_, n_cols)
        # HiGHS keeps rows added before any solve row-wise, and converts to columns on a run
        if a.format_ == highspy.MatrixFormat.kRowwise:
            matrix = sp.csr_matrix(parts, shape=shape)
        else:
            matrix = sp.csc_matrix(parts, shape=shape).tocsr()
        self.matrix = matrix[:n_rows]
        self.lower = np.asarray(lp.row_lower_)[:n_rows]
        self.upper = np.asarray(lp.row_upper_)[:n_rows]
        self.col_lower = np.asarray(lp.col_lower_)
        self.col_upper = np.asarray(lp.col_upper_)

    def holds(self, x: np.ndarray) -> bool:
        tol = FEASIBILITY_TOL * np.maximum(1.0, np.abs(x))
        if np.any(x < self.col_lower - tol) or np.any(x > self.col_upper + tol):
            return False
        activity = self.matrix @ x
        scale = FEASIBILITY_TOL * np.maximum(1.0, np.abs(activity))
        return bool(np.all(activity >= self.lower - scale) and np.all(activity <= self.upper + scale))


class TreeSearch:
    """Best-first branch and cut over the integer columns of a loaded master LP."""

    def __init__(self, h: highspy.Highs, cols: "Columns", separator: "Separator", integer: np.ndarray,
                 n_original_rows: int, *, gap: float, deadline: float | None, verbose: bool,
                 add_rows: Callable[..., int]) -> None:
        self.h, self.cols, self.separator = h, cols, separator
        self.int_cols = np.flatnonzero(integer == 1).astype(np.int32)
        self.original = _OriginalRows(h, n_original_rows)
        self.gap = max(gap, PROVEN_GAP)
        self.step = float(getattr(separator, "objective_step", 0.0) or 0.0)
        self.deadline = deadline
        self.verbose = verbose
        self.add_rows = add_rows
        self.best_value = math.inf
        self.best_columns: np.ndarray | None = None
        self.lp_solves = 0
        self.rows_added = 0
        self.nodes = 0
        self.stop_reason = ""
        self.closed_bound = math.inf  # lowest bound of the parts closed within the gap tolerance
        self._last_log = time.perf_counter()
        # pseudo-costs: bound gained per unit a column was pushed down / up (sums, counts)
        k = len(self.int_cols)
        self.gain_sum = np.zeros((2, k))
        self.gain_count = np.zeros((2, k))

    # --- bounds and pruning -------------------------------------------------------------
    def _threshold(self) -> float:
        """Nodes whose bound reaches this cannot improve the incumbent by more than the gap
        tolerance (or, when plan values are multiples of a step, by one step)."""
        if not math.isfinite(self.best_value):
            return math.inf
        best = self.best_value
        threshold = best - self.gap * abs(best)
        if self.step > 0:
            threshold = min(threshold, best - self.step + 1e-6 * max(1.0, abs(best)))
        return threshold

    def closes(self, bound: float) -> bool:
        """Whether a lower bound on the whole model already proves the incumbent within
        the gap tolerance."""
        return bound >= self._threshold()

    def _cutoff_reached(self, bound: float) -> bool:
        """Whether a part of the tree with this bound may be closed; if so, what it proves
        is remembered (a part closed within the gap tolerance still bounds the optimum)."""
        if bound < self._threshold():
            return False
        self._remember_closed(bound)
        return True

    def _remember_closed(self, bound: float) -> None:
        step_closes = self.step > 0 and bound > self.best_value - self.step + 1e-6 * max(1.0, abs(self.best_value))
        if bound < self.best_value and not step_closes:
            self.closed_bound = min(self.closed_bound, bound)

    def _time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.perf_counter()

    # --- the node LP ----------------------------------------------------------------------
    def _save_basis(self) -> tuple[np.ndarray, np.ndarray]:
        basis = self.h.getBasis()
        return (np.array([int(v) for v in basis.col_status], dtype=np.int8),
                np.array([int(v) for v in basis.row_status], dtype=np.int8))

    def _restore_basis(self, saved: tuple[np.ndarray, np.ndarray]) -> None:
        """Start from the parent's basis: the node differs from it by one bound, so the
        dual simplex needs few iterations. Rows added since are basic (their slack)."""
        cols, rows = saved
        basis = highspy.HighsBasis()
        basis.col_status = [_STATUS[v] for v in cols.tolist()]
        extra = self.h.getNumRow() - len(rows)
        basis.row_status = [_STATUS[v] for v in rows.tolist()] + [_STATUS[1]] * extra
        basis.valid = True
        self.h.setBasis(basis)

    def _solve_node(self, lower: np.ndarray, upper: np.ndarray,
                    basis: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[str, float, Any]:
        """The node's LP with rows separated until none is violated.

        Returns ("infeasible" | "pruned" | "solved" | "stopped", bound, (x, reduced costs));
        on "stopped" ``self.stop_reason`` says why."""
        h = self.h
        h.changeColsBounds(len(self.int_cols), self.int_cols, lower, upper)
        if basis is not None:
            self._restore_basis(basis)
        bound = -math.inf
        while True:
            left = self._time_left()
            if left is not None:
                if left <= 0:
                    self.stop_reason = "Time limit reached"
                    return "stopped", bound, None
                allow_seconds(h, left)
            status = run_highs(h)
            self.lp_solves += 1
            if status == highspy.HighsModelStatus.kInfeasible:
                return "infeasible", math.inf, None
            if status != highspy.HighsModelStatus.kOptimal:
                # A limit, or an LP HiGHS could not finish (iteration or memory limit, numerical
                # trouble): the search stops and reports its best plan with the bound proven so far.
                limits = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
                self.stop_reason = ("Time limit reached" if status in limits
                                    else f"stopped: a node LP ended with status {h.modelStatusToString(status)}")
                return "stopped", bound, None
            bound = float(h.getInfo().objective_function_value)
            if self._cutoff_reached(bound):
                return "pruned", bound, None
            solution = h.getSolution()
            x = np.asarray(solution.col_value, dtype=float)
            rows = self.separator.separate(self.cols.gather(x))
            if len(rows) == 0:
                return "solved", bound, (x, np.asarray(solution.col_dual, dtype=float))
            self.rows_added += self.add_rows(h, rows, self.cols)

    # --- plans ------------------------------------------------------------------------------
    def offer(self, x: np.ndarray) -> None:
        """Consider a point in the separator's space; keep it if it is a better plan."""
        base = self.best_columns if self.best_columns is not None else np.zeros(len(self.original.col_lower))
        value, exact = self.separator.evaluate(x)
        if not value < self.best_value:
            return
        columns = self.cols.scatter(exact, base)
        ints = columns[self.int_cols]
        if np.any(np.abs(ints - np.round(ints)) > INTEGRALITY_TOL) or not self.original.holds(columns):
            return
        self.best_value, self.best_columns = value, columns
        self._log(f"plan {value:.10g}", force=True)

    def _log(self, what: str, *, force: bool = False, bound: float | None = None, open_nodes: int = 0) -> None:
        if not self.verbose:
            return
        now = time.perf_counter()
        if not force and now - self._last_log < 5:
            return
        self._last_log = now
        extra = "" if bound is None else f"  bound {bound:.10g}  open {open_nodes}"
        print(f"branch-and-cut: {what}  nodes {self.nodes}  rows +{self.rows_added}{extra}", file=sys.stderr)

    # --- the search -------------------------------------------------------------------------
    def run(self, root_bound: float) -> SearchResult:
        lp = self.h.getLp()
        lower = np.asarray(lp.col_lower_)[self.int_cols].copy()
        upper = np.asarray(lp.col_upper_)[self.int_cols].copy()
        heap: list[_Node] = [_Node(root_bound, 0, lower, upper)]
        counter = 1
        termination = "Optimal"
        while heap:
            node = heapq.heappop(heap)
            if self._cutoff_reached(node.bound):
                continue
            outcome, bound, found = self._solve_node(node.lower, node.upper, node.basis)
            if outcome == "stopped":
                heapq.heappush(heap, node)
                termination = self.stop_reason
                break
            self.nodes += 1
            if node.branched >= 0 and outcome != "infeasible":
                side = int(node.up)
                self.gain_sum[side, node.branched] += max(bound - node.bound, 0.0) / node.moved
                self.gain_count[side, node.branched] += 1
            if outcome != "solved":
                continue
            x, reduced = found
            point = self.cols.gather(x)
            values = x[self.int_cols]
            fractional = np.abs(values - np.round(values))
            if fractional.max() <= INTEGRALITY_TOL:
                exact = point.copy()
                self.offer(exact)
                continue
            proposal = self.separator.heuristic(point)
            if proposal is not None:
                self.offer(proposal)
                if self._cutoff_reached(bound):
                    continue
            lower, upper = self._fix_by_reduced_cost(node, bound, values, reduced[self.int_cols])
            j = self._branching_column(values, fractional)
            down_upper = upper.copy()
            down_upper[j] = math.floor(values[j])
            up_lower = lower.copy()
            up_lower[j] = math.ceil(values[j])
            share = values[j] - math.floor(values[j])
            basis = self._save_basis()
            heapq.heappush(heap, _Node(bound, counter, up_lower, upper, j, True, 1.0 - share, basis))
            heapq.heappush(heap, _Node(bound, counter + 1, lower, down_upper, j, False, share, basis))
            counter += 2
            self._log("searching", bound=heap[0].bound, open_nodes=len(heap))
        # every part of the tree is open, closed within the tolerance, or cannot beat the plan
        bound = min(heap[0].bound if heap else math.inf, self.closed_bound, self.best_value)
        infeasible = not heap and self.best_columns is None
        return SearchResult(termination, self.best_value, self.best_columns, bound, self.nodes,
                            self.lp_solves, self.rows_added, infeasible)

    def _branching_column(self, values: np.ndarray, fractional: np.ndarray) -> int:
        """Pseudo-cost branching (Bénichou et al. 1971): the fractional column whose two
        children are expected to raise the bound most (product rule); columns not yet
        branched on count with the average gain, so the first choices are the most
        fractional."""
        candidates = np.flatnonzero(fractional > INTEGRALITY_TOL)
        share = values[candidates] - np.floor(values[candidates])
        counts = self.gain_count[:, candidates]
        sums = self.gain_sum[:, candidates]
        seen = self.gain_count.sum(axis=1)
        average = np.where(seen > 0, self.gain_sum.sum(axis=1) / np.maximum(seen, 1), 1.0)
        rate = np.where(counts > 0, sums / np.maximum(counts, 1), average[:, None])
        score = np.maximum(rate[0] * share, 1e-6) * np.maximum(rate[1] * (1 - share), 1e-6)
        return int(candidates[int(np.argmax(score))])

    def _fix_by_reduced_cost(self, node: _Node, bound: float, values: np.ndarray,
                             reduced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Columns whose move off their bound would cost more than the incumbent allows."""
        lower, upper = node.lower.copy(), node.upper.copy()
        if not math.isfinite(self.best_value):
            return lower, upper
        # moving a column one unit off its bound raises the LP bound by |reduced cost|
        lifted = bound + np.abs(reduced)
        closes = (lifted >= self._threshold()) & (lower < upper)
        at_lower = closes & (values <= lower + INTEGRALITY_TOL) & (reduced > 0)
        at_upper = closes & (values >= upper - INTEGRALITY_TOL) & (reduced < 0)
        fixed = at_lower | at_upper
        if fixed.any():
            self._remember_closed(float(lifted[fixed].min()))
        upper[at_lower] = lower[at_lower]
        lower[at_upper] = upper[at_upper]
        return lower, upper
