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
    """Return (problem, solver defaults from the instance, label, instance or None)."""
    if fmt is not None:
        readers = formats()
        if fmt not in readers:
            raise InputError(f"unknown format {fmt!r} (known: {', '.join(sorted(readers))})", field="--format")
        if not path.is_file():
            raise InputError("file not found" if not path.exists() else "expected a file", file=str(path))
        problem = readers[fmt].load()(path, **overrides)
        return problem, {}, path.name, None
    if path.is_file() and path.suffix != ".toml":
        raise InputError("expected an instance folder or instance.toml; for a benchmark file give --format", file=str(path))
    instance = load_instance(path)
    if not instance.problem:
        raise InputError("names no problem: add problem = \"p_median\" (or another)",
                         file=str(instance.toml_file), field="problem")
    problem_cls = get_problem(instance.problem)
    for key, value in overrides.items():
        if key not in problem_cls.parameters:
            raise InputError(f"--{key} does not apply to problem {instance.problem!r}", field=f"--{key}")
        instance.parameters[key] = value
    problem = problem_cls.from_instance(instance)
    return problem, dict(instance.solver), instance.name, instance
