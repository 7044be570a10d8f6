"""What the cut loop and the tree search share: the separator contract a problem implements
(rows it adds, plans it evaluates, a head start), the rows it returns, and the map between
its variables and HiGHS's columns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.core as pyo
import scipy.sparse as sp

import highspy


@dataclass
class Start:
    """What a problem's own fast method gives before any LP: a valid lower bound on the
    full model and integer points (plans) to try as incumbents."""

    bound: float
    points: list[np.ndarray]


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

    #: Every plan's objective value is a multiple of this (0: unknown). With integral costs
    #: the search may then close a node whose bound is within one step of the incumbent.
    objective_step: float = 0.0

    def start(self, deadline: float | None) -> Start | None:
        """A bound and plans found without the LP (for instance a Lagrangian relaxation),
        where the problem has a method faster than the master's LP; None otherwise.
        ``deadline`` is a ``time.perf_counter()`` value or None."""
        return None

    def heuristic(self, x: np.ndarray) -> np.ndarray | None:
        """An integer point near the fractional ``x`` (a plan to try), or None. The engine
        checks it against the master's rows and bounds before using it."""
        return None


class Columns:
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


def add_rows(h: highspy.Highs, rows: Rows, cols: Columns) -> int:
    """Add ``rows`` to HiGHS (fixed variables moved to the right-hand side); their number."""
    a = rows.matrix.tocsc()
    # constants (fixed variables) move to the right-hand side
    lower = rows.lower - a @ np.where(cols.free, 0.0, cols.fixed_values)
    a = a[:, np.flatnonzero(cols.free)].tocsr()
    a.eliminate_zeros()
    mapped = cols.col[cols.free][a.indices].astype(np.int32)
    h.addRows(len(lower), lower, np.full(len(lower), highspy.kHighsInf), a.nnz,
              a.indptr[:-1].astype(np.int32), mapped, a.data.astype(float))
    return len(lower)
