"""Planning variants: a grid or a list of named overrides of an instance.

Variants file (TOML)::

    # every combination of the lists (the product), in the order written
    [grid]
    budget = [4_000_000, 6_000_000]
    weight_space_won = [1.0, 5.0]

    # and/or named variants
    [[variant]]
    name = "Z0012 not available"
    "sites.forbidden" = { Z0012 = true }

    [[variant]]
    name = "demand +20 %, more grid"
    "demand.residents" = "*1.2"
    "assets.capacity" = { "MV-K23a" = 0.8 }

or CSV: one row per variant, a column per override, an optional ``name`` column.

An override ``NAME = value`` sets a problem parameter (checked like ``[parameters]``). An
override ``"FILE.COLUMN"`` edits a data file as it is read: a value sets the column on every
row; ``"*1.2"`` scales it; a table ``{ID = value}`` sets the rows with those ids (``id``
column). ``"FILE+"`` adds rows to a data file: a list of tables, one per row, by column;
in a file with geometry each row gives ``geometry`` as WKT, in the file's CRS or in the one
its ``crs`` names (``{ id = "drawn-1", claim = "works zone", geometry = "POLYGON ((…))",
crs = "EPSG:4326" }``: how `optimise app` records an area drawn on its map). The file keys
are those under ``[data]`` (demand, sites, assets …). Grid variants
are named by their values; every variant has a stable key (a hash of its overrides), so a
batch that is run again recognises what it has done.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from optimise.errors import InputError
from optimise.instance import Instance
from optimise.files import read_table, read_toml


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The variant's identity: its name and its overrides (two variants differing only in
        their names are two variants)."""
        text = json.dumps([self.name, self.overrides], sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    @property
    def folder(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)[:60]
        return f"{safe}-{self.key}"


def _name(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in overrides.items()) or "base"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_variants(path: Path) -> list[Variant]:
    """The variants of a TOML or CSV file, in order; names must be unique."""
    label = str(path)
    if not path.exists():
        raise InputError("file not found", file=label)
    variants: list[Variant] = []
    if path.suffix.lower() == ".toml":
        raw = read_toml(path, {"grid", "variant"})
        grid = raw.get("grid", {})
        if not isinstance(grid, dict):
            raise InputError("expected a table [grid]", file=label, field="grid")
        if grid:
            keys = list(grid)
            for key in keys:
                if not isinstance(grid[key], list) or not grid[key]:
                    raise InputError("expected a non-empty list of values", file=label, field=f"grid.{key}")
            for values in itertools.product(*(grid[k] for k in keys)):
                overrides = dict(zip(keys, values))
                variants.append(Variant(_name(overrides), overrides))
        listed = raw.get("variant", [])
        if not isinstance(listed, list):
            raise InputError("expected [[variant]] tables", file=label, field="variant")
        for k, entry in enumerate(listed):
            if not isinstance(entry, dict):
                raise InputError("expected a table", file=label, field="variant", row=k + 1)
            overrides = {key: value for key, value in entry.items() if key != "name"}
            name = entry.get("name", _name(overrides))
            if not isinstance(name, str) or not name.strip():
                raise InputError("expected a name (text)", file=label, field="variant.name", row=k + 1)
            variants.append(Variant(name, overrides))
    elif path.suffix.lower() in (".csv", ".tsv"):
        table = read_table(path, label=label)
        for k, row in enumerate(table.to_dict(orient="records")):
            overrides = {key: _csv_value(value) for key, value in row.items()
                         if key != "name" and not (isinstance(value, float) and math.isnan(value))}
            name = row.get("name")
            name = name if isinstance(name, str) and name.strip() else _name(overrides)
            variants.append(Variant(name, overrides))
    else:
        raise InputError("expected a .toml or .csv variants file", file=label)
    if not variants:
        raise InputError("no variants: add a [grid] or [[variant]] tables", file=label)
    seen: dict[str, int] = {}
    for k, v in enumerate(variants):
        if v.name in seen:
            raise InputError(f"variant name {v.name!r} appears twice", file=label, field="name", row=k + 1)
        seen[v.name] = k
    return variants


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        if text.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return text
        # a column with one cell that is not a number is read as text: its numbers are still
        # numbers (one bad cell fails its own variant, not the good ones)
        try:
            number = float(text)
        except ValueError:
            return text
        if not math.isfinite(number) or text.startswith("*"):
            return text
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def parse_setting(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` from the command line (``--set``): the value read as a TOML value
    (``500000``, ``true``, ``"*1.2"``, ``{Z0012 = true}``), else taken as text."""
    import tomllib

    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InputError(f"expected NAME=VALUE, found {text!r}", field="--set")
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return name, value


def apply_variant(instance: Instance, variant: Variant, *, label: str, parameters: set[str],
                  columns: dict[str, set[str]] | None = None, source: str | None = None) -> Instance:
    """The instance with the variant's overrides: parameters set, data edits registered.
    ``columns`` names the columns each data file may have (its schema); an edit of another
    column is refused at once. ``source`` names where the overrides came from in messages
    (default: the variant)."""
    for key, value in variant.overrides.items():
        where = f"{source or f'variant {variant.name!r}:'} {key}"
        if key.endswith("+") and "." not in key:
            file_key = key[:-1]
            if not instance.has(file_key):
                known = ", ".join(sorted(instance.data))
                raise InputError(f"{where}: the instance has no data file {file_key!r} (known: {known})", file=label)
            instance.edits.setdefault(file_key, []).append(_add_rows(value, where, label))
        elif "." in key:
            file_key, column = key.split(".", 1)
            if not instance.has(file_key):
                known = ", ".join(sorted(instance.data))
                raise InputError(f"{where}: the instance has no data file {file_key!r} (known: {known})", file=label)
            if columns is not None and file_key in columns and column not in columns[file_key]:
                known = ", ".join(sorted(columns[file_key]))
                raise InputError(f"{where}: unknown column {column!r} (known: {known})", file=label)
            instance.edits.setdefault(file_key, []).append(_edit(column, value, where, label))
        else:
            if key not in parameters:
                known = ", ".join(sorted(parameters))
                raise InputError(f"{where}: unknown parameter (known: {known})", file=label)
            instance.parameters[key] = value
    return instance


def _edit(column: str, value: Any, where: str, label: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(table: pd.DataFrame) -> pd.DataFrame:
        out = table.copy()
        if column not in out.columns:
            # an optional column the file leaves out: the edited rows get the value, the
            # others stay empty (False for yes/no columns), as the schema's default
            fill = False if isinstance(value, dict) and all(isinstance(v, bool) for v in value.values()) else None
            if isinstance(value, str) and value.startswith("*"):
                raise InputError(f"{where}: no column {column!r} in the file to scale", file=label)
            out[column] = fill
        if isinstance(value, dict):
            if "id" not in out.columns:
                raise InputError(f"{where}: the file has no id column to pick rows by", file=label)
            ids = out["id"].astype(str)
            for row_id, new in value.items():
                mask = (ids == str(row_id)).to_numpy()
                if not mask.any():
                    raise InputError(f"{where}: no row with id {row_id!r}", file=label)
                if out[column].dtype.kind in "biuf" and not isinstance(new, (bool, int, float)):
                    raise InputError(f"{where}: expected a number for {row_id!r}, found {new!r}", file=label)
                if isinstance(new, bool) or out[column].dtype.kind not in "biuf":
                    out[column] = out[column].astype(object)
                out.loc[mask, column] = new
        elif isinstance(value, str) and value.startswith("*"):
            try:
                factor = float(value[1:])
            except ValueError:
                raise InputError(f"{where}: expected a factor such as \"*1.2\", found {value!r}", file=label) from None
            numbers = pd.to_numeric(out[column], errors="coerce")
            out[column] = numbers * factor
        else:
            out[column] = value
        return out

    return edit


def _add_rows(rows: Any, where: str, label: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """An edit that appends ``rows`` (a list of tables by column) to a data file; geometry as
    WKT, in the file's CRS or the row's ``crs``. Ids must stay unique."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{where}: expected a list of rows, each a table such as {{ id = \"x\", … }}", file=label)

    def edit(table: pd.DataFrame) -> pd.DataFrame:
        import geopandas as gpd
        import shapely

        new = pd.DataFrame([{k: v for k, v in row.items() if k not in ("geometry", "crs")} for row in rows])
        if "id" in table.columns and "id" in new.columns:
            clash = sorted(set(new["id"].astype(str)) & set(table["id"].astype(str)))
            if clash or new["id"].astype(str).duplicated().any():
                raise InputError(f"{where}: duplicate id {(clash or list(new['id']))[0]!r}", file=label, field="id")
        if isinstance(table, gpd.GeoDataFrame):
            shapes = []
            for r, row in enumerate(rows, start=1):
                try:
                    shape = shapely.from_wkt(str(row["geometry"]))
                    shape = gpd.GeoSeries([shape], crs=row.get("crs") or table.crs).to_crs(table.crs).iloc[0] \
                        if table.crs is not None else shape
                except KeyError:
                    raise InputError(f"{where}: row {r} has no geometry (WKT)", file=label, field="geometry") from None
                except Exception as exc:  # noqa: BLE001 - shapely's and pyproj's own errors: bad input
                    raise InputError(f"{where}: row {r}: not a geometry in a known CRS ({type(exc).__name__})",
                                     file=label, field="geometry") from None
                shapes.append(shape)
            new = gpd.GeoDataFrame(new, geometry=gpd.GeoSeries(shapes, crs=table.crs, name=table.geometry.name),
                                   crs=table.crs)
        return pd.concat([table, new], ignore_index=True)

    return edit


def schema_columns(problem_cls: Any) -> dict[str, set[str]]:
    """The columns each data file of a problem (and the vital-systems layers) may have."""
    from optimise.vital import ASSETS, DEPENDENCIES, SYSTEMS

    tables = {"assets": ASSETS, "dependencies": DEPENDENCIES, "systems": SYSTEMS, **problem_cls.tables}
    return {key: {c.name for c in schema.columns} | {"x", "y"} for key, schema in tables.items()}
