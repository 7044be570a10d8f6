"""The problem registry: planning questions are found through the ``optimise.problems``
entry-point group, so a separate package can add one without touching the engine."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, TYPE_CHECKING

from optimise.errors import InputError

if TYPE_CHECKING:
    from optimise.problem import Problem

GROUP = "optimise.problems"


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def problem_names() -> list[str]:
    return sorted(_entry_points())


def get_problem(name: str) -> type["Problem"]:
    eps = _entry_points()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none installed"
        raise InputError(f"unknown problem {name!r} (known: {known})", field="problem")
    return eps[name].load()  # type: ignore[attr-defined,no-any-return]


def key_figures_of(table: Any) -> tuple[tuple[str, str], ...]:
    """The planner's figures (``Problem.key_figures``) of the problem a results table was made
    with, from its ``problem`` column; none when unknown."""
    names = table["problem"].dropna().unique().tolist() if "problem" in getattr(table, "columns", ()) else []
    try:
        return get_problem(str(names[0])).key_figures if names else ()
    except InputError:
        return ()
