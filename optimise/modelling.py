"""Small helpers for writing Pyomo models from tables: linear rows built in one call, the
rows of a table grouped by a key.

A ``LinearExpression`` made from coefficient and variable lists is much faster to build and
to compile than a sum of Pyomo terms, which matters on models with 10^5 rows.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from pyomo.core.expr import LinearExpression


def linear(coefs: Iterable[float], variables: list[Any], constant: float = 0.0) -> LinearExpression:
    """Σ coefs · variables + constant."""
    return LinearExpression(constant=float(constant), linear_coefs=[float(c) for c in coefs], linear_vars=variables)


def positions_by_key(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key value 0..n-1, the positions where it occurs (in order)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(n)]
