"""From a path on the command line to a validated problem object."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from optimise.errors import InputError
from optimise.instance import load_instance
from optimise.registry import get_problem

FORMAT_GROUP = "optimise.formats"


@lru_cache(maxsize=1)
def formats() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=FORMAT_GROUP)}


def load_problem(path: Path, fmt: str | None, overrides: dict[str, Any]) -> tuple[Any, dict[str, Any], str, Any]:
    """Return (problem, solver defaults from the instance, label, instance or None).

    ``overrides`` are the command line's ``--set NAME=VALUE`` (and ``--p``): a problem
    parameter, or ``FILE.COLUMN`` to edit a data file as it is read, as in a variants file."""
    if fmt is not None:
        readers = formats()
        if fmt not in readers:
            raise InputError(f"unknown format {fmt!r} (known: {', '.join(sorted(readers))})", field="--format")
        if not path.is_file():
            raise InputError("file not found" if not path.exists() else "expected a file", file=str(path))
        edits = sorted(key for key in overrides if "." in key)
        if edits:
            raise InputError(f"a benchmark file has no data files to edit ({edits[0]})", field="--set")
        problem = readers[fmt].load()(path, **overrides)
        return problem, {}, path.name, None
    if path.is_file() and path.suffix != ".toml":
        raise InputError("expected an instance folder or instance.toml; for a benchmark file give --format", file=str(path))
    instance = load_instance(path)
    if not instance.problem:
        raise InputError("names no problem: add problem = \"p_median\" (or another)",
                         file=str(instance.toml_file), field="problem")
    problem_cls = get_problem(instance.problem)
    if overrides:
        from optimise.variants import Variant, apply_variant, schema_columns

        apply_variant(instance, Variant("command line", dict(overrides)), label=str(instance.toml_file),
                      parameters=set(problem_cls.parameters), columns=schema_columns(problem_cls), source="--set")
    problem = problem_cls.from_instance(instance)
    return problem, dict(instance.solver), instance.name, instance
