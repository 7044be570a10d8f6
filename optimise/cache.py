"""A disk cache for derived data that takes long to compute (the quays' detours on the
street network): computed once per distinct input, read back on the next run.

An entry's key is a digest of everything the computation reads (tables, by content; arrays;
parameters) and of the source of the code that computes it, so an edited table, a changed
parameter or a new release of the computing code makes a new entry; an entry is never
updated in place. Entries hold numbers and tables only (``numpy.savez`` without pickles),
written to a temporary file and renamed into place, so a reader never sees half an entry.

Where: ``$OPTIMISE_CACHE`` if set (``off`` turns the cache off), else
``$XDG_CACHE_HOME/optimise`` or ``~/.cache/optimise``. Deleting the folder is always safe.
An entry that cannot be read or written is recomputed, never an error.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    where = os.environ.get("OPTIMISE_CACHE", "")
    if where.strip().lower() in ("off", "0", "none", "no"):
        return None
    if where:
        return Path(where).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "optimise"


def _feed(digest: Any, value: Any) -> None:
    """Add ``value`` to ``digest`` by content (type-tagged, so 1 and "1" differ)."""
    if value is None:
        digest.update(b"N")
    elif isinstance(value, (str, bytes)):
        data = value.encode() if isinstance(value, str) else value
        digest.update(b"S" + len(data).to_bytes(8, "little") + data)
    elif isinstance(value, (bool, int, float, np.integer, np.floating)):
        digest.update(b"V" + repr(value).encode())
    elif isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype == object:
            _feed(digest, [*array.ravel().tolist(), array.shape])
        else:
            digest.update(b"A" + str(array.dtype).encode() + repr(array.shape).encode() + array.tobytes())
    elif isinstance(value, pd.DataFrame):
        digest.update(b"D")
        _feed(digest, [str(c) for c in value.columns])
        for column in value.columns:
            _feed(digest, _column_bytes(value[column]))
    elif isinstance(value, pd.Series):
        _feed(digest, _column_bytes(value))
    elif isinstance(value, dict):
        digest.update(b"M")
        for key in sorted(value, key=str):
            _feed(digest, str(key))
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"L" + len(value).to_bytes(8, "little"))
        for item in value:
            _feed(digest, item)
    else:
        raise TypeError(f"cannot key a cache entry on a {type(value).__name__}")


def _column_bytes(column: pd.Series) -> bytes:
    """A column's content as bytes: geometry as WKB, everything else through pandas' hash."""
    if getattr(column.dtype, "name", "") == "geometry":
        return b"".join(wkb if wkb is not None else b"-" for wkb in column.to_wkb())
    return pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes() + str(column.dtype).encode()


def key(*parts: Any, code: tuple[Any, ...] = ()) -> str:
    """The digest of ``parts`` (by content) and of the source of the modules or functions
    in ``code`` (the computation that the entry stores)."""
    digest = hashlib.sha256()
    for unit in code:
        digest.update(inspect.getsource(unit).encode())
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()[:32]


def remembered(kind: str, entry: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``compute()`` returns, read from the cache entry ``kind/entry`` when it
    exists, else computed and stored there."""
    root = folder()
    if root is None:
        return compute()
    path = root / kind / f"{entry}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError):
        pass  # absent or unreadable: compute it
    arrays = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        handle, tmp = tempfile.mkstemp(prefix=f".{entry}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(buffer.getvalue())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a read-only or full disk: the run goes on without caching
    return arrays


def frame_arrays(prefix: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A table of numbers as arrays named ``prefix/column`` (for :func:`remembered`)."""
    return {f"{prefix}/{column}": frame[column].to_numpy() for column in frame.columns}


def arrays_frame(prefix: str, arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """The table :func:`frame_arrays` stored, columns in their order."""
    names = [name for name in arrays if name.startswith(f"{prefix}/")]
    return pd.DataFrame({name.split("/", 1)[1]: arrays[name] for name in names})
