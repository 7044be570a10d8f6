"""Small helpers for writing Pyomo models from tables: linear rows built in one call.

A ``LinearExpression`` made from coefficient and variable lists is much faster to build and
to compile than a sum of Pyomo terms, which matters on models with 10^5 rows.
"""

from __future__ import annotations

from typing import Any, Iterable

from pyomo.core.expr import LinearExpression


def linear(coefs: Iterable[float], variables: list[Any], constant: float = 0.0) -> LinearExpression:
    """Σ coefs · variables + constant."""
    return LinearExpression(constant=float(constant), linear_coefs=[float(c) for c in coefs], linear_vars=variables)
