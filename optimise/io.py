"""Reading instance tables and writing outputs.

Inputs are read, never written. Outputs are written atomically: every file goes to a
temporary name in the same folder first and is renamed into place, and a result folder is
assembled in a temporary sibling folder and swapped in whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from optimise.errors import InputError

TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".geojson", ".json", ".gpkg", ".shp"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}


def read_table(path: Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet, GeoJSON, GeoPackage or Shapefile table.

    Vector formats give a GeoDataFrame; the others a DataFrame. Every failure is an
    :class:`InputError` naming the file.
    """
    label = label or str(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"unsupported file type '{suffix}' (use one of {', '.join(sorted(TABLE_SUFFIXES))})", file=label
        )
    if not path.exists():
        raise InputError("file not found", file=label)
    if path.is_dir():
        raise InputError("expected a file, found a folder", file=label)
    try:
        if suffix in (".csv", ".tsv"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8")
        if suffix == ".parquet":
            return pd.read_parquet(path)
        import geopandas as gpd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(path, engine="pyogrio")
    except UnicodeDecodeError as exc:
        raise InputError(f"file is not UTF-8 text (byte {exc.start})", file=label) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty", file=label) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"cannot parse the file: {_first_line(exc)}", file=label) from None
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - every reader failure is the file's fault here
        raise InputError(f"cannot read the file: {_first_line(exc)}", file=label) from None


def read_toml(path: Path, allowed: set[str]) -> dict[str, Any]:
    """Read a TOML file safely (data, never code); unknown top-level keys are errors."""
    import tomllib

    label = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("file is not UTF-8 text", file=label) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=label) from None
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(f"unknown key (known: {', '.join(sorted(allowed))})", file=label, field=unknown[0])
    return raw


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def confined_path(base: Path, relative: str, *, file: str, field: str) -> Path:
    """Resolve ``relative`` inside folder ``base``; a path that leaves it is an input error."""
    if not isinstance(relative, str) or not relative.strip():
        raise InputError("expected a file name (text)", file=file, field=field)
    candidate = Path(relative)
    if candidate.is_absolute():
        raise InputError(f"path '{relative}' must be relative to the instance folder", file=file, field=field)
    resolved = (base / candidate).resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise InputError(f"path '{relative}' points outside the instance folder", file=file, field=field)
    return resolved


# --- writing ---------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any, indent: int | None = 2) -> str:
    return json.dumps(data, indent=indent, default=_json_default, allow_nan=False)


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_file(path) as handle:
        handle.write(text)


MARKER = "summary.json"


def check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that is not one of ours: nothing the user gave is lost."""
    if out.exists():
        if not out.is_dir():
            raise InputError("output path exists and is not a folder", file=str(out))
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise InputError(
                f"output folder is not empty and holds no {MARKER} from an earlier run; "
                "choose a new or empty folder so that nothing of yours is overwritten",
                file=str(out),
            )


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it replaces ``out`` in one rename.

    An interrupted run leaves the previous complete result (or none) at ``out``; the
    half-written temporary folder is removed.
    """
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            old = out.parent / f".{out.name}.{uuid.uuid4().hex}.old"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
