"""Readers for the published benchmark formats (see ``docs/instances.md``):

- ``orlib-pmed``: OR-Library p-median graphs (Beasley 1990) -> :class:`PMedian`
- ``orlib-cap``: OR-Library capacitated warehouse location (Beasley 1988) -> :class:`CFLP`
- ``holmberg``: single-source capacitated facility location (Holmberg et al. 1999) -> :class:`SSCFLP`

Ids are 1-based, in the file's numbering. Registered in the ``optimise.formats`` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from optimise.errors import InputError
from problems.cflp import CFLP, SSCFLP
from problems.p_median import PMedian


class _Tokens:
    """Whitespace-separated numbers of a file, read in order with clear errors."""

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        if not path.exists():
            raise InputError("file not found", file=self.label)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("file is not UTF-8 text", file=self.label) from None
        self.tokens = text.split()
        self.pos = 0

    def take(self, count: int, what: str) -> np.ndarray:
        if self.pos + count > len(self.tokens):
            raise InputError(f"file ends early: expected {count} values for {what}, found {len(self.tokens) - self.pos}",
                             file=self.label, field=what)
        chunk = self.tokens[self.pos: self.pos + count]
        try:
            values = np.array(chunk, dtype=float)
        except ValueError:
            bad = next(t for t in chunk if not _is_number(t))
            raise InputError(f"expected a number, found {bad!r} (value {self.pos + chunk.index(bad) + 1} of the file)",
                             file=self.label, field=what) from None
        if not np.isfinite(values).all():
            raise InputError("value is not finite", file=self.label, field=what)
        self.pos += count
        return values

    def count(self, what: str) -> int:
        value = self.take(1, what)[0]
        if value != int(value) or value < 1:
            raise InputError(f"expected a positive whole number, found {value:g}", file=self.label, field=what)
        return int(value)


#: The largest cost matrix a benchmark file may ask for (cells; 8 bytes each): 2 x 10^8 is
#: 1.6 GB, ten times the largest city instance.
MAX_CELLS = 200_000_000


def _check_size(t: "_Tokens", rows: int, columns: int, what: str) -> None:
    """Refuse a header that asks for more memory than is sane, before allocating it."""
    if rows * columns > MAX_CELLS:
        raise InputError(f"the header asks for {rows:,} x {columns:,} {what} ({rows * columns * 8 / 2**30:,.1f} GiB); "
                         f"at most {MAX_CELLS:,} cells", file=t.label, field="header")


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def read_orlib_pmed(path: Path, **params: Any) -> PMedian:
    """Line 1: ``n edges p``; then ``i j cost`` per undirected edge (the last copy of an edge
    counts). Costs are all-pairs shortest paths; every vertex is a customer and a site."""
    t = _Tokens(path)
    n, m, p = t.count("n"), t.count("edges"), t.count("p")
    _check_size(t, n, n, "distances")
    edges = t.take(3 * m, "edges").reshape(m, 3)
    ends = edges[:, :2].astype(int) - 1
    if (ends < 0).any() or (ends >= n).any():
        r = int(np.flatnonzero((ends < 0).any(axis=1) | (ends >= n).any(axis=1))[0])
        raise InputError(f"edge {r + 1} names a vertex outside 1..{n}", file=t.label, field="edges", row=r + 1)
    if (edges[:, 2] < 0).any():
        raise InputError("negative edge cost", file=t.label, field="edges",
                         row=int(np.flatnonzero(edges[:, 2] < 0)[0]) + 1)
    # The last occurrence of an edge wins: keep the last row per unordered pair.
    key = np.minimum(ends[:, 0], ends[:, 1]) * n + np.maximum(ends[:, 0], ends[:, 1])
    _, last = np.unique(key[::-1], return_index=True)
    keep = len(key) - 1 - last
    i, j, c = ends[keep, 0], ends[keep, 1], edges[keep, 2]
    graph = sp.coo_matrix((np.r_[c, c], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    dist = shortest_path(graph, method="D", directed=False)
    ids = np.arange(1, n + 1)
    params.setdefault("p", p)
    return PMedian.from_cost_matrix(dist, demand_ids=ids, site_ids=ids, **params)


def read_orlib_cap(path: Path, **params: Any) -> CFLP:
    """Line 1: ``m n``; m lines ``capacity fixed_cost``; per customer its demand and the m
    costs of serving all of its demand from each warehouse."""
    t = _Tokens(path)
    m, n = t.count("warehouses"), t.count("customers")
    _check_size(t, n, m, "costs")
    sites = t.take(2 * m, "warehouses").reshape(m, 2)
    demand = np.empty(n)
    total = np.empty((n, m))
    for i in range(n):
        demand[i] = t.take(1, f"demand of customer {i + 1}")[0]
        total[i] = t.take(m, f"costs of customer {i + 1}")
    return _capacitated(CFLP, sites[:, 0], sites[:, 1], demand, total, params)


def read_holmberg(path: Path, **params: Any) -> SSCFLP:
    """Line 1: ``m n``; m capacities; m fixed costs; n demands; n lines of m costs of
    serving all of customer i from facility j."""
    t = _Tokens(path)
    m, n = t.count("facilities"), t.count("customers")
    _check_size(t, n, m, "costs")
    capacity = t.take(m, "capacities")
    fixed_cost = t.take(m, "fixed costs")
    demand = t.take(n, "demands")
    total = t.take(n * m, "costs").reshape(n, m)
    return _capacitated(SSCFLP, capacity, fixed_cost, demand, total, params)


def _capacitated(cls: type[CFLP], capacity: np.ndarray, fixed_cost: np.ndarray, demand: np.ndarray,
                 total: np.ndarray, params: dict[str, Any]) -> CFLP:
    n, m = total.shape
    per_unit = np.divide(total, demand[:, None], out=total.copy(), where=demand[:, None] > 0)
    return cls.from_cost_matrix(
        per_unit, weights=demand, assign_cost=total, capacity=capacity, opening_cost=fixed_cost,
        demand_ids=np.arange(1, n + 1), site_ids=np.arange(1, m + 1), **params,
    )
