"""Reading instance tables and writing outputs.

Inputs are read, never written. Outputs are written atomically: every file goes to a
temporary name in the same folder first and is renamed into place, and a result folder is
assembled in a temporary sibling folder and swapped in whole.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
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
    if not path.is_file():  # a FIFO or a device would block or never end
        raise InputError("not a regular file (a pipe, device or socket cannot be read as a table)", file=label)
    try:
        if suffix in (".csv", ".tsv"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8")
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            if b"geo" not in (pq.read_schema(path).metadata or {}):
                return pd.read_parquet(path)
            import geopandas as gpd

            table = gpd.read_parquet(path)  # GeoParquet: the geometry as shapes, with its CRS
            _check_coordinates(table, label)
            return table
        import geopandas as gpd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = gpd.read_file(path, engine="pyogrio")
        _check_coordinates(table, label)
        return table
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


def _check_coordinates(table: Any, label: str) -> None:
    """Longitude and latitude that are not: a GeoJSON without a ``crs`` member means WGS84,
    so RD New coordinates (x ~ 120,000) in one would be projected to infinity and every
    area in it would vanish from the plan."""
    crs = getattr(table, "crs", None)
    if crs is None or not crs.is_geographic or len(table) == 0:
        return
    bounds = table.geometry.total_bounds
    if not (abs(bounds[[0, 2]]) <= 180).all() or not (abs(bounds[[1, 3]]) <= 90).all():
        raise InputError(f"the coordinates (x up to {max(abs(bounds[0]), abs(bounds[2])):,.0f}) are not longitude and "
                         f"latitude, but the file says {crs.name}; a GeoJSON without a crs member means WGS84: "
                         "add the crs (e.g. EPSG:28992) or convert the file", file=label, field="geometry")


def read_toml(path: Path, allowed: set[str]) -> dict[str, Any]:
    """Read a TOML file safely (data, never code); unknown top-level keys are errors."""
    import tomllib

    label = str(path)
    if not path.is_file():
        raise InputError("expected a TOML file" + (", found a folder" if path.is_dir() else ""), file=label)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("file is not UTF-8 text", file=label) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=label) from None
    except RecursionError:
        raise InputError("not valid here: the TOML nests too deeply", file=label) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=label) from None
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
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such figures (an empty mean, an asset without capacity)
    are written as null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_finite(v) for v in value.tolist()]
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None
    return value


def to_json(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON; NaN and infinity become null (see :func:`_finite`)."""
    return json.dumps(_finite(data), indent=indent, default=_json_default, allow_nan=False)


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
    """Refuse, before any work, an output folder that cannot be written or that holds
    anything this program did not write there: nothing the user gave is lost.

    A folder may be replaced only when it is empty or holds exactly the files an earlier
    run listed in its ``summary.json``."""
    target = Path(os.path.abspath(out))
    if target == Path.cwd() or target in Path.cwd().parents or target.parent == target:
        raise InputError("the output folder would replace the current folder or one above it; name a new folder",
                         file=str(out))
    if target.exists() and not target.is_dir():
        raise InputError("output path exists and is not a folder", file=str(out))
    if target.exists():
        foreign = _foreign_files(target)
        if foreign:
            raise InputError(
                f"output folder holds {foreign[0]!r}, which no earlier run of optimise wrote there; "
                "choose a new or empty folder so that nothing of yours is overwritten", file=str(out))
    _check_writable(target, str(out))


def _foreign_files(folder: Path) -> list[str]:
    """The entries of ``folder`` that its summary.json does not list (all of them without one)."""
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return []
    listed: set[str] = set()
    marker = folder / MARKER
    if marker.is_file():
        try:
            listed = set(json.loads(marker.read_text(encoding="utf-8")).get("files", [])) | {MARKER}
        except (OSError, ValueError, AttributeError):
            listed = set()
    return [name for name in names if name not in listed]


def _check_writable(target: Path, label: str) -> None:
    """The nearest existing folder above ``target`` must be a folder we can create in."""
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"cannot create the output folder: {parent} is not a folder", file=label)
    try:
        probe = Path(tempfile.mkdtemp(prefix=".optimise-probe.", dir=parent))
        probe.rmdir()
    except OSError as exc:
        raise InputError(f"cannot create the output folder in {parent}: {exc.strerror or exc}", file=label) from None


def _stale_siblings(out: Path) -> None:
    """Remove the temporary folders a killed earlier run left beside ``out``."""
    for path in out.parent.glob(f".{out.name}.*.tmp"):
        pid = path.name[len(out.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it replaces ``out`` in one rename.

    An interrupted run leaves the previous complete result (or none) at ``out``; the
    half-written temporary folder is removed.
    """
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _stale_siblings(out)
    tmp = out.parent / f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    tmp.mkdir()  # the user's umask applies, as for any folder they make
    if out.is_dir():
        os.chmod(tmp, stat.S_IMODE(out.stat().st_mode))  # a replaced folder keeps its permissions
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
