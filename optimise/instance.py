"""Instance folders: ``instance.toml`` names the problem, its parameters and its data files.

Example::

    problem = "p_median"
    name = "Amsterdam: 8 service points for 481 neighbourhoods"
    crs = "EPSG:28992"

    [parameters]
    p = 8

    [data]
    demand = "demand.geojson"
    sites = "sites.csv"

Paths are relative to the folder and may not leave it. The file is data, never code: it is
read with ``tomllib`` and every key is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimise.errors import InputError
from optimise.files import confined_path, read_table, read_toml
from optimise.schema import TableSchema, validate_table

TOP_LEVEL_KEYS = {"problem", "name", "description", "crs", "parameters", "data", "solver", "cascade", "sources"}
CASCADE_KEYS = {"red_loss", "orange_loss", "red_utilisation", "orange_utilisation",
                "co2_g_per_vehicle_km", "nox_g_per_vehicle_km"}
SOLVER_KEYS = {"time_limit", "gap", "threads", "seed"}


@dataclass
class Instance:
    """A loaded (but not yet validated against a problem) instance folder."""

    folder: Path
    toml_file: Path
    problem: str
    name: str
    description: str = ""
    crs: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    cascade: dict[str, Any] = field(default_factory=dict)
    sources: Any = None
    #: Edits of data files applied as they are read (batch variants): {file key: [edit, ...]}
    #: where an edit is a callable taking and returning the table.
    edits: dict[str, list[Any]] = field(default_factory=dict)
    #: Files as read, by path, with the size and modification time they had then: a file that
    #: two steps read (the problem and the cascade check both read the assets) is read once.
    _read: dict[Path, tuple[tuple[int, int], pd.DataFrame]] = field(default_factory=dict, init=False, repr=False,
                                                                    compare=False)

    def label(self, key: str) -> str:
        """How a data file is named in messages: relative to the instance folder."""
        return self.data.get(key, key)

    def has(self, key: str) -> bool:
        return key in self.data

    def path(self, key: str) -> Path:
        return confined_path(self.folder, self.data[key], file=self.toml_file.name, field=f"data.{key}")

    def read(self, key: str) -> pd.DataFrame:
        if key not in self.data:
            raise InputError(f"the problem needs a '{key}' file: add {key} = \"FILE\" under [data]",
                             file=str(self.toml_file), field=f"data.{key}")
        path = self.path(key)
        try:
            status = path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
        except OSError:  # missing or unreadable: read_table says so, naming the file
            stamp = None
        seen = self._read.get(path)
        if stamp is not None and seen is not None and seen[0] == stamp:
            table = seen[1].copy()  # a copy: whoever reads it may change it
        else:
            table = read_table(path, label=self.label(key))
            if stamp is not None:
                self._read[path] = (stamp, table.copy())
        for edit in self.edits.get(key, []):
            table = edit(table)
        return table

    def table(self, key: str, schema: TableSchema) -> pd.DataFrame:
        """Read data file ``key`` and validate it against ``schema``."""
        return validate_table(self.read(key), schema, file=self.label(key))


def load_instance(path: str | Path) -> Instance:
    """Read ``instance.toml`` (or the one in folder ``path``) and check its top-level keys."""
    path = Path(path)
    toml_file = path / "instance.toml" if path.is_dir() else path
    if not toml_file.exists():
        if path.is_dir():
            raise InputError("no instance.toml in this folder", file=str(path))
        raise InputError("file not found", file=str(path))
    label = str(toml_file)
    raw = read_toml(toml_file, TOP_LEVEL_KEYS)
    problem = raw.get("problem", "")
    if not isinstance(problem, str):
        raise InputError("expected a problem name such as \"p_median\"", file=label, field="problem")
    for key in ("parameters", "data", "solver", "cascade"):
        if key in raw and not isinstance(raw[key], dict):
            raise InputError("expected a table ([section])", file=label, field=key)
    data = raw.get("data", {})
    for key, value in data.items():
        if not isinstance(value, str):
            raise InputError(f"expected a file name, found {value!r}", file=label, field=f"data.{key}")
        confined_path(toml_file.parent, value, file=label, field=f"data.{key}")
    solver = raw.get("solver", {})
    bad = sorted(set(solver) - SOLVER_KEYS)
    if bad:
        raise InputError(f"unknown solver option (known: {', '.join(sorted(SOLVER_KEYS))})", file=label, field=f"solver.{bad[0]}")
    for key, value in solver.items():
        whole = key in ("threads", "seed")
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise InputError(f"expected a {'whole number' if whole else 'number'}, found {value!r}", file=label,
                             field=f"solver.{key}")
    cascade = raw.get("cascade", {})
    bad = sorted(set(cascade) - CASCADE_KEYS)
    if bad:
        raise InputError(f"unknown cascade threshold (known: {', '.join(sorted(CASCADE_KEYS))})", file=label, field=f"cascade.{bad[0]}")
    for key, value in cascade.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected a number, found {value!r}", file=label, field=f"cascade.{key}")
    crs = raw.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise InputError(f"expected a CRS name such as \"EPSG:28992\", found {crs!r}", file=label, field="crs")
    for key in ("name", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError("expected text", file=label, field=key)
    return Instance(
        folder=toml_file.parent.resolve(),
        toml_file=toml_file,
        problem=problem,
        name=str(raw.get("name", toml_file.parent.name)),
        description=str(raw.get("description", "")),
        crs=crs,
        parameters=dict(raw.get("parameters", {})),
        data=dict(data),
        solver=dict(solver),
        cascade=dict(cascade),
        sources=raw.get("sources"),
    )
