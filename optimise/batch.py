"""Batch runs of planning variants on Dask, resumable.

Layout of a batch folder::

    DIR/variants/NAME-KEY/      one result folder per variant (summary.json, tables, layers …)
    DIR/results.parquet, .csv   one row per variant: its overrides, status, objective, gap,
                                seconds, indicators, flag counts (rebuilt after every variant)

A variant's folder is written whole or not at all (built aside, then renamed), so a batch
stopped in any way (Ctrl-C, a killed worker, a killed process) is resumed by running the
same command: variants with a folder are not run again, the others are, and the table has
each variant once, in the order of the variants file. A variant that fails (bad input,
no feasible plan, a fault) gets a folder with its reason and does not stop the batch.

Work goes to a local Dask cluster sized to the machine (one single-threaded worker process
per core: HiGHS runs one thread per variant) or, with ``--scheduler``, to an existing one.
Workers send each result back as a packed folder, so they need not share a disk with the
client.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from optimise.errors import InputError
from optimise.files import to_json
from optimise.variants import Variant

RECORD = "row.json"


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one variant (plain data: it travels to the worker)."""

    instance: str  # path to the instance folder or instance.toml
    variants_file: str
    variant: Variant
    time_limit: float | None
    gap: float | None
    seed: int
    #: What the result depends on besides the variant: the instance's files and the options.
    #: A finished variant whose fingerprint differs is run again.
    fingerprint: str = ""


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """Scalar figures of a summary (the plan's indicators), for the combined table."""
    skip = {"instance", "termination", "files", "formulation"}
    out = {}
    for key, value in summary.items():
        if key in skip:
            continue
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        elif key == "objectives" and isinstance(value, dict):
            out.update({f"objective_{k}": v for k, v in value.items()})
    # cascade indicators per system, over all periods (summed; a share used: its largest)
    totals: dict[str, float] = {}
    for rec in summary.get("indicators", []) or []:
        column = f"{rec['system']} {rec['indicator']}" + (f" [{rec['unit']}]" if rec.get("unit") else "")
        value = float(rec.get("value") or 0.0)
        totals[column] = max(totals.get(column, value), value) if rec["indicator"].startswith("spare_capacity_used") \
            else totals.get(column, 0.0) + value
    out.update(totals)
    flags = summary.get("flags", {})
    if flags:
        out["red_flags"] = flags.get("counts", {}).get("red", 0)
        out["orange_flags"] = flags.get("counts", {}).get("orange", 0)
    return out


def prepare_batch(path: Path, variants_file: Path, time_limit: float | None, gap: float | None,
                  seed: int) -> tuple[Any, list[Variant], list[Job]]:
    """The instance, its variants and one job per variant; a variant whose overrides cannot
    apply (unknown parameter, file or column) is refused here, before any work starts."""
    from optimise.instance import load_instance
    from optimise.registry import get_problem
    from optimise.variants import apply_variant, read_variants, schema_columns

    from optimise.solver import SolveOptions

    try:  # options out of range are refused here, not recorded as a failure per variant
        SolveOptions(time_limit=time_limit, gap=gap or 0.0, seed=seed)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), field="--time-limit" if "time" in str(exc) else "--gap") from None
    instance = load_instance(path)
    if not instance.problem:
        raise InputError("names no problem", file=str(instance.toml_file), field="problem")
    problem_cls = get_problem(instance.problem)
    variants = read_variants(variants_file)
    for v in variants:
        apply_variant(load_instance(path), v, label=str(variants_file), parameters=set(problem_cls.parameters),
                      columns=schema_columns(problem_cls))
    fingerprint = _fingerprint(instance, time_limit, gap, seed)
    jobs = [Job(str(instance.toml_file.resolve()), str(variants_file), v, time_limit, gap, seed, fingerprint)
            for v in variants]
    return instance, variants, jobs


def _fingerprint(instance: Any, time_limit: float | None, gap: float | None, seed: int) -> str:
    """A hash of the instance's files (instance.toml and every data file) and the options."""
    import hashlib

    digest = hashlib.sha1(json.dumps([time_limit, gap, seed]).encode())
    for path in [instance.toml_file] + [instance.path(key) for key in sorted(instance.data)]:
        digest.update(str(path.name).encode())
        if path.is_file():
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:12]


def run_variant(job: Job) -> tuple[dict[str, Any], bytes]:
    """Solve one variant; return its table row and its result folder packed as a tar."""
    from optimise.instance import load_instance
    from optimise.registry import get_problem
    from optimise.run import case_from_instance, solve_case
    from optimise.variants import apply_variant, schema_columns

    start = time.perf_counter()
    row: dict[str, Any] = {"variant": job.variant.name, "key": job.variant.key, "fingerprint": job.fingerprint}
    row.update({f"set {k}": (json.dumps(v) if isinstance(v, dict) else v) for k, v in job.variant.overrides.items()})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "result"
        try:
            instance = load_instance(job.instance)
            apply_variant(instance, job.variant, label=job.variants_file,
                          parameters=set(get_problem(instance.problem).parameters),
                          columns=schema_columns(get_problem(instance.problem)))
            case = case_from_instance(instance, f"{instance.name} [{job.variant.name}]")
            # one HiGHS thread per variant: the cluster runs one variant per core
            run = solve_case(case, case.options(time_limit=job.time_limit, gap=job.gap, threads=1, seed=job.seed))
            run.write(folder)
            row.update(_flat(run.summary()))
            result = run.result
            row["reason"] = "" if result.has_solution else (
                f"no plan: {result.status} ({result.termination})" + (f"; {run.why[0]}" if run.why else ""))
        except InputError as exc:
            row.update({"status": "failed", "reason": str(exc)})
        except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
            row.update({"status": "failed", "reason": f"internal error ({type(exc).__name__}: {exc})",
                        "traceback": traceback.format_exc(limit=5)})
        row["variant_seconds"] = round(time.perf_counter() - start, 3)
        if not folder.exists():
            folder.mkdir()
        (folder / RECORD).write_text(to_json(row) + "\n", encoding="utf-8")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(folder, arcname=".")
        return row, buffer.getvalue()


def unpack(target: Path, packed: bytes) -> None:
    """Write a variant's folder: unpack aside, then rename into place (whole or nothing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def done_rows(out: Path, variants: list[Variant], fingerprint: str | None = None) -> dict[str, dict[str, Any]]:
    """Rows of the variants that already have a complete folder, by variant key. A folder
    whose record is damaged, belongs to another variant, or was made from other inputs
    (``fingerprint``: the instance's files and the options) does not count: it is run again."""
    rows = {}
    for v in variants:
        record = out / "variants" / v.folder / RECORD
        try:
            row = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None
        except (OSError, ValueError):
            row = None
        if not isinstance(row, dict) or row.get("key") != v.key:
            continue
        if fingerprint is not None and row.get("fingerprint") != fingerprint:
            continue
        rows[v.key] = row
    return rows


def write_table(out: Path, variants: list[Variant], rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The combined table, in the order of the variants file, written atomically."""
    ordered = [rows[v.key] for v in variants if v.key in rows]
    table = pd.DataFrame(ordered)
    if "traceback" in table.columns:
        table = table.drop(columns="traceback")
    from optimise.registry import key_figures_of

    # the planner's figures right after the variant and its status; the rest as it came
    first = [c for c in ("variant", "status") if c in table.columns]
    first += [key for key, _ in key_figures_of(table) if key in table.columns]
    table = table[first + [c for c in table.columns if c not in first]]
    for name, writer in (("results.csv", lambda p: table.to_csv(p, index=False)),
                         ("results.parquet", lambda p: _parquet(table, p))):
        tmp = out / f".{name}.tmp"
        writer(tmp)
        os.replace(tmp, out / name)
    return table


def _parquet(table: pd.DataFrame, path: Path) -> None:
    # columns mixing text and numbers (overrides) are stored as text
    clean = table.copy()
    for col in clean.columns:
        kinds = {type(v) for v in clean[col] if v is not None and not (isinstance(v, float) and pd.isna(v))}
        if len(kinds) > 1 and str in kinds:
            clean[col] = clean[col].map(lambda v: None if v is None else str(v))
    clean.to_parquet(path, index=False)


def cluster_client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A Dask client: to ``scheduler`` if given, else to a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        _check_scheduler_address(scheduler)
        return _connect(scheduler, CONNECT_SECONDS), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    return Client(cluster), cluster


#: How long a Dask scheduler may take to answer before the batch gives up (exit 2).
CONNECT_SECONDS = 10.0


def _connect(address: str, seconds: float) -> Any:
    """A client of the scheduler at ``address``, or a clean error within ``seconds``. A
    server that is not a Dask scheduler can keep Dask's handshake waiting past its own
    timeout (an HTTP server waits for a line that never comes), so the handshake runs in a
    daemon thread with a deadline of its own."""
    import threading

    from distributed import Client

    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = Client(address, timeout=f"{seconds}s")
        except BaseException as exc:  # noqa: BLE001 - reported to the user below
            box["error"] = exc

    thread = threading.Thread(target=connect, daemon=True, name="optimise-connect")
    thread.start()
    thread.join(seconds + 5.0)
    if thread.is_alive():
        raise InputError(f"no Dask scheduler answered at {address} within {seconds:g} s", field="--scheduler")
    if "error" in box:
        exc = box["error"]
        raise InputError(f"cannot reach a Dask scheduler at {address} ({type(exc).__name__}: {exc})",
                         field="--scheduler") from None
    return box["client"]


def _check_scheduler_address(address: str) -> None:
    """A Dask scheduler address (tcp://host:port or tls://host:port) whose port answers like
    a Dask scheduler. A Dask scheduler greets a new connection with a binary frame whose
    first eight bytes are its (small) length; a server that greets with anything else (text,
    a huge "length") is refused here, before Dask would read its greeting as a frame length
    and try to allocate exabytes. A silent server is left to the handshake's deadline."""
    import socket
    import struct
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise InputError(f"expected tcp://HOST:PORT, found {address!r}", field="--scheduler")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        raise InputError(f"expected tcp://HOST:PORT (a port number), found {address!r}", field="--scheduler")
    if parts.scheme == "tls":
        return
    try:
        with socket.create_connection((parts.hostname, port), timeout=5) as sock:
            sock.settimeout(3.0)
            try:
                greeting = sock.recv(8)
            except (TimeoutError, socket.timeout):
                return
    except OSError as exc:
        raise InputError(f"cannot reach a Dask scheduler at {address} ({exc.strerror or exc})",
                         field="--scheduler") from None
    if len(greeting) == 8 and struct.unpack("<Q", greeting)[0] < (1 << 26):
        return
    raise InputError(f"{address} is not a Dask scheduler (it greets with {greeting!r})", field="--scheduler")


def run_batch(jobs: list[Job], out: Path, variants: list[Variant], *, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int, int, int, int], None] | None = None,
              client: Any = None, lock: bool = True) -> pd.DataFrame:
    """Run the jobs not done yet; write each result as it arrives; return the table.
    ``client``: a Dask client to use (else one is made, and closed at the end). ``lock``:
    take the folder's lock (False when the caller holds it, see :func:`only_batch_in`)."""
    if not lock:
        return _run_pending(jobs, out, variants, scheduler=scheduler, workers=workers, progress=progress,
                            client=client)
    with only_batch_in(out):
        return _run_pending(jobs, out, variants, scheduler=scheduler, workers=workers, progress=progress,
                            client=client)


@contextmanager
def only_batch_in(out: Path) -> Iterator[None]:
    """One batch at a time in a folder: a second one started on it stops at once (exit 2)
    instead of both writing the same table. The lock is the operating system's, so a killed
    batch leaves none behind."""
    import fcntl

    (out / "variants").mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError("another batch is running in this folder; wait for it or choose another --out",
                             file=str(out)) from None
        yield


def _run_pending(jobs: list[Job], out: Path, variants: list[Variant], *, scheduler: str | None,
                 workers: int | None, progress: Callable[[int, int, int, int], None] | None,
                 client: Any) -> pd.DataFrame:
    from distributed import as_completed

    (out / "variants").mkdir(parents=True, exist_ok=True)
    rows = done_rows(out, variants, jobs[0].fingerprint if jobs else None)
    pending = [j for j in jobs if j.variant.key not in rows]
    failed = sum(1 for r in rows.values() if r.get("status") == "failed")
    if progress:
        progress(len(rows), 0, failed, len(jobs))
    if not pending:
        return write_table(out, variants, rows)
    own = client is None
    cluster = None
    if own:
        client, cluster = cluster_client(scheduler, workers)
    try:
        futures = client.map(run_variant, pending, key=[f"variant-{j.variant.key}" for j in pending],
                             pure=False, retries=2)
        running = len(futures)
        for future in as_completed(futures):
            row, packed = future.result()
            key = row["key"]
            variant = next(v for v in variants if v.key == key)
            unpack(out / "variants" / variant.folder, packed)
            rows[key] = row
            failed += row.get("status") == "failed"
            running -= 1
            write_table(out, variants, rows)
            if progress:
                progress(len(rows), min(running, len(client.scheduler_info().get("workers", {})) or running),
                         failed, len(jobs))
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return write_table(out, variants, rows)
