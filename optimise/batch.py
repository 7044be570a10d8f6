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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from optimise.errors import InputError
from optimise.io import to_json
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


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """Scalar figures of a summary (the plan's indicators), for the combined table."""
    skip = {"problem", "instance", "termination", "files", "formulation"}
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
        totals[column] = max(totals.get(column, value), value) if rec["indicator"] == "spare_capacity_used" \
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

    instance = load_instance(path)
    if not instance.problem:
        raise InputError("names no problem", file=str(instance.toml_file), field="problem")
    problem_cls = get_problem(instance.problem)
    variants = read_variants(variants_file)
    for v in variants:
        apply_variant(load_instance(path), v, label=str(variants_file), parameters=set(problem_cls.parameters),
                      columns=schema_columns(problem_cls))
    jobs = [Job(str(instance.toml_file.resolve()), str(variants_file), v, time_limit, gap, seed) for v in variants]
    return instance, variants, jobs


def run_variant(job: Job) -> tuple[dict[str, Any], bytes]:
    """Solve one variant; return its table row and its result folder packed as a tar."""
    from optimise.instance import load_instance
    from optimise.registry import get_problem
    from optimise.run import case_from_instance, solve_case
    from optimise.variants import apply_variant, schema_columns

    start = time.perf_counter()
    row: dict[str, Any] = {"variant": job.variant.name, "key": job.variant.key}
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


def done_rows(out: Path, variants: list[Variant]) -> dict[str, dict[str, Any]]:
    """Rows of the variants that already have a complete folder, by variant key."""
    rows = {}
    for v in variants:
        record = out / "variants" / v.folder / RECORD
        if record.exists():
            rows[v.key] = json.loads(record.read_text(encoding="utf-8"))
    return rows


def write_table(out: Path, variants: list[Variant], rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The combined table, in the order of the variants file, written atomically."""
    ordered = [rows[v.key] for v in variants if v.key in rows]
    table = pd.DataFrame(ordered)
    if "traceback" in table.columns:
        table = table.drop(columns="traceback")
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
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({exc})", field="--scheduler") from None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    return Client(cluster), cluster


def run_batch(jobs: list[Job], out: Path, variants: list[Variant], *, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int, int, int, int], None] | None = None,
              client: Any = None) -> pd.DataFrame:
    """Run the jobs not done yet; write each result as it arrives; return the table.
    ``client``: a Dask client to use (else one is made, and closed at the end)."""
    from distributed import as_completed

    (out / "variants").mkdir(parents=True, exist_ok=True)
    rows = done_rows(out, variants)
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
