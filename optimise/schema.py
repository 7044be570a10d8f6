"""Declarative table schemas: each input table is checked column by column, and the first
bad cell is reported by file, field and row (1-based data row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from optimise.errors import InputError

Kind = Literal["id", "number", "integer", "bool", "text"]

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``minimum``/``maximum`` bound numeric values; ``positive`` demands a value > 0;
    ``default`` fills a column that is absent (a required column has no default).
    """

    name: str
    kind: Kind
    description: str = ""
    unit: str = ""
    required: bool = True
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    unique: bool = False
    #: value taken by an empty cell (e.g. inf for "no capacity limit"); None: empty is an error
    blank: Any = None

    def doc_row(self) -> str:
        req = "yes" if self.required else f"no (default {self.default!r})"
        rng = []
        if self.positive:
            rng.append("> 0")
        elif self.minimum is not None:
            rng.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            rng.append(f"<= {self.maximum:g}")
        if self.unique:
            rng.append("unique")
        return (
            f"| `{self.name}` | {self.kind} | {self.unit or '-'} | {req} | "
            f"{', '.join(rng) or '-'} | {self.description} |"
        )


@dataclass(frozen=True)
class TableSchema:
    """The columns of one table of an instance (e.g. ``demand`` or ``sites``)."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""
    geometry: Literal["none", "optional", "required"] = "none"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _first_bad(mask: np.ndarray) -> int:
    """1-based data row of the first True in ``mask``."""
    return int(np.flatnonzero(mask)[0]) + 1


def _as_number(series: pd.Series, col: Column, file: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        raise InputError("expected a number, found true/false", file=file, field=col.name, row=1)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        r = _first_bad(bad)
        raise InputError(
            f"expected a number, found {series.iloc[r - 1]!r}", file=file, field=col.name, row=r
        )
    values = values.astype(float)
    arr = values.to_numpy()
    missing = np.isnan(arr)
    if col.blank is not None:
        arr = np.where(missing, 0.0, arr)
    if missing.any() and col.blank is None:
        raise InputError("value is missing (empty or NaN)", file=file, field=col.name, row=_first_bad(missing))
    inf = np.isinf(arr)
    if inf.any():
        raise InputError("value is infinite", file=file, field=col.name, row=_first_bad(inf))
    huge = np.abs(arr) > 1e15
    if huge.any():
        r = _first_bad(huge)
        raise InputError(f"value {arr[r - 1]:g} is too large (limit 1e15)", file=file, field=col.name, row=r)
    given = ~missing  # blank cells take col.blank after the checks
    if col.positive:
        bad = (arr <= 0) & given
        if bad.any():
            r = _first_bad(bad)
            raise InputError(f"must be greater than 0, found {arr[r - 1]:g}", file=file, field=col.name, row=r)
    if col.minimum is not None:
        bad = (arr < col.minimum) & given
        if bad.any():
            r = _first_bad(bad)
            raise InputError(
                f"must be at least {col.minimum:g}, found {arr[r - 1]:g}", file=file, field=col.name, row=r
            )
    if col.maximum is not None:
        bad = (arr > col.maximum) & given
        if bad.any():
            r = _first_bad(bad)
            raise InputError(
                f"must be at most {col.maximum:g}, found {arr[r - 1]:g}", file=file, field=col.name, row=r
            )
    if col.blank is not None:
        arr = np.where(missing, col.blank, arr)
    if col.kind == "integer":
        frac = (arr != np.round(arr)) & given
        if frac.any():
            r = _first_bad(frac)
            raise InputError(f"expected a whole number, found {arr[r - 1]:g}", file=file, field=col.name, row=r)
        if np.isnan(arr).any():  # blank cells that mean "none" (e.g. no deadline) stay NaN
            return pd.Series(arr, index=series.index, name=col.name)
        return pd.Series(arr.astype(np.int64), index=series.index, name=col.name)
    return pd.Series(arr, index=series.index, name=col.name)


def as_bool(series: pd.Series, col: Column, file: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool)
    out = np.zeros(len(series), dtype=bool)
    for pos, value in enumerate(series.to_numpy()):
        if isinstance(value, (bool, np.bool_)):
            out[pos] = bool(value)
            continue
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out[pos] = False
            continue
        text = str(value).strip().lower()
        if text in {"1.0"}:
            text = "1"
        if text in {"0.0"}:
            text = "0"
        if text in _TRUE:
            out[pos] = True
        elif text in _FALSE:
            out[pos] = False
        else:
            raise InputError(f"expected true or false, found {value!r}", file=file, field=col.name, row=pos + 1)
    return pd.Series(out, index=series.index, name=col.name)


def _as_id(series: pd.Series, col: Column, file: str) -> pd.Series:
    missing = series.isna().to_numpy()
    if missing.any():
        raise InputError("id is missing", file=file, field=col.name, row=_first_bad(missing))
    if pd.api.types.is_integer_dtype(series):
        return series.astype(np.int64)
    if pd.api.types.is_float_dtype(series):
        arr = series.to_numpy()
        if np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)) and np.all(np.abs(arr) < 2**53):
            return pd.Series(arr.astype(np.int64), index=series.index, name=col.name)
    text = series.astype(str).str.strip()
    empty = (text == "").to_numpy()
    if empty.any():
        raise InputError("id is empty", file=file, field=col.name, row=_first_bad(empty))
    return text


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _check_near_misses(columns: pd.Index, schema: TableSchema, file: str) -> None:
    """An extra column that is a known column cut short (a Shapefile keeps 10 characters of a
    name) or misspelt, while the known one is absent, would be ignored and its default used:
    refuse it instead of computing with the wrong values."""
    import difflib

    known = [c.name for c in schema.columns]
    missing = [name for name in known if name not in columns]
    for name in columns:
        if name in known or name == "geometry":
            continue
        cut = [m for m in missing if len(name) >= 8 and m.startswith(name) and len(m) > len(name)]
        if cut:
            raise InputError(f"column {name!r} looks like {cut[0]!r} cut short (a Shapefile keeps 10 characters of "
                             "a name); rename it, or use GeoPackage or GeoJSON", file=file, field=name)
        close = difflib.get_close_matches(name.lower(), missing, n=1, cutoff=0.85)
        if close:
            raise InputError(f"unknown column {name!r}: did you mean {close[0]!r}? (as it is, {close[0]!r} "
                             "would take its default)", file=file, field=name)


def validate_table(df: pd.DataFrame, schema: TableSchema, file: str) -> pd.DataFrame:
    """Check ``df`` against ``schema`` and return a copy with clean types and defaults.

    Extra columns are kept (users carry their own attributes through to the outputs).
    """
    if len(df) == 0:
        raise InputError(f"the {schema.name} table is empty", file=file)
    out = df.copy()
    out.columns = [str(c).strip() for c in out.columns]
    dupes = out.columns[out.columns.duplicated()].tolist()
    if dupes:
        raise InputError("column appears twice", file=file, field=dupes[0])
    _check_near_misses(out.columns, schema, file)
    used = {c.name for c in schema.columns} | {"geometry"} | ({"x", "y"} if schema.geometry != "none" else set())
    unused = [c for c in out.columns if c not in used]
    if unused:
        import warnings

        from optimise.errors import InputNote

        warnings.warn(InputNote(f"{file}: column(s) {', '.join(unused)} are not part of the {schema.name} format: "
                                "kept as they are, read by no rule"), stacklevel=2)
    for col in schema.columns:
        if col.name not in out.columns:
            if col.required:
                have = ", ".join(c for c in out.columns if c != "geometry") or "none"
                raise InputError(f"required column is missing (columns found: {have})", file=file, field=col.name)
            out[col.name] = col.default
            continue
        series = out[col.name]
        if col.kind in ("number", "integer"):
            out[col.name] = _as_number(series, col, file)
        elif col.kind == "bool":
            out[col.name] = as_bool(series, col, file)
        elif col.kind == "id":
            out[col.name] = _as_id(series, col, file)
        else:
            # empty cells take the column's default ("" for most text columns, None where
            # emptiness means "not applicable")
            out[col.name] = series.map(lambda v: col.default if _is_blank(v) else str(v)).astype(object)
        if col.unique:
            dup = out[col.name].duplicated().to_numpy()
            if dup.any():
                r = _first_bad(dup)
                raise InputError(
                    f"duplicate id {out[col.name].iloc[r - 1]!r}", file=file, field=col.name, row=r
                )
    return out.reset_index(drop=True)


def check_references(
    values: pd.Series, known: Sequence[Any], *, file: str, field: str, what: str, hint: str = ""
) -> None:
    """Every value of ``values`` must be one of ``known`` (e.g. a cost row naming a site)."""
    known_set = set(known)
    bad = ~values.isin(known_set).to_numpy()
    if bad.any():
        r = _first_bad(bad)
        raise InputError(f"unknown {what} {values.iloc[r - 1]!r}{hint}", file=file, field=field, row=r)
