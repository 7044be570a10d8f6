"""Typed, documented problem parameters (the ``[parameters]`` table of ``instance.toml``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from optimise.errors import InputError


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Literal["integer", "number", "text", "bool"]
    description: str
    default: Any = None
    required: bool = False
    minimum: float | None = None
    positive: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""

    def check(self, value: Any, *, file: str) -> Any:
        field = f"parameters.{self.name}"
        if self.kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"expected a number, found {value!r}", file=file, field=field)
            if not math.isfinite(value):
                raise InputError(f"expected a finite number, found {value!r}", file=file, field=field)
            if self.kind == "integer":
                if value != int(value):
                    raise InputError(f"expected a whole number, found {value!r}", file=file, field=field)
                value = int(value)
            else:
                value = float(value)
            if self.positive and value <= 0:
                raise InputError(f"must be greater than 0, found {value:g}", file=file, field=field)
            if self.minimum is not None and value < self.minimum:
                raise InputError(f"must be at least {self.minimum:g}, found {value:g}", file=file, field=field)
            if abs(value) > 1e15:
                raise InputError(f"value {value:g} is too large", file=file, field=field)
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InputError(f"expected true or false, found {value!r}", file=file, field=field)
            return value
        if not isinstance(value, str):
            raise InputError(f"expected text, found {value!r}", file=file, field=field)
        if self.choices and value not in self.choices:
            raise InputError(
                f"unknown value {value!r} (choose one of {', '.join(self.choices)})", file=file, field=field
            )
        return value

    def doc_row(self) -> str:
        req = "yes" if self.required else f"no (default {self.default!r})"
        extra = f"one of {', '.join(self.choices)}" if self.choices else ""
        return f"| `{self.name}` | {self.kind} | {self.unit or '-'} | {req} | {self.description} {extra} |"


def check_parameters(
    specs: Mapping[str, Parameter], given: Mapping[str, Any], *, file: str
) -> dict[str, Any]:
    """Validate ``given`` against ``specs``: unknown names, missing required values, types."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        known = ", ".join(sorted(specs)) or "none"
        raise InputError(f"unknown parameter (known: {known})", file=file, field=f"parameters.{unknown[0]}")
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given and given[name] is not None:
            values[name] = spec.check(given[name], file=file)
        elif spec.required:
            raise InputError(f"required parameter is missing: {spec.description}", file=file, field=f"parameters.{name}")
        else:
            values[name] = spec.default
    return values
