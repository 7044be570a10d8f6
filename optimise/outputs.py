"""Writing a result folder: ``summary.json``, the solution tables (CSV and Parquet) and the
layers (one GeoPackage, a layer per table with geometry). The folder is assembled aside
and swapped in whole (see :func:`optimise.files.atomic_folder`).

Pictures and the web report take most of the writing time (matplotlib, label placement,
folium); with ``parallel`` they are drawn side by side in forked worker processes, one per
core, while this process writes the tables and layers and then takes the jobs left."""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

from optimise.files import MARKER, atomic_folder, to_json
from optimise.parallel import can_fork
from optimise.problem import Result


#: A part of a plan's pictures: draws some of them, by file stem (see Problem.figure_parts).
FigurePart = Callable[[], dict[str, Any]]


def write_result(result: Result, out: Path, summary: dict[str, Any] | None = None, impact: Any = None,
                 figures: dict[str, Any] | None = None, extra_tables: dict[str, Any] | None = None,
                 page: Any = None, background: list[Any] | None = None, figure_parts: list[FigurePart] = (),
                 parallel: bool = False) -> list[Path]:
    """Write ``result`` to folder ``out`` (with its figures as PNG: ``figures`` drawn already,
    ``figure_parts`` drawn here; any extra tables, e.g. alternatives, and ``page``, an
    ``optimise.webreport.ReportPage``, as report.html; the flag maps drawn on ``background``,
    the instance's context layers); ``summary`` is what summary.json says (default: the
    result's own figures). ``parallel``: draw the pictures and the report in worker processes
    (see :func:`run_jobs`). Return the files written (final paths)."""
    summary = dict(summary if summary is not None else result.to_dict())
    with atomic_folder(out) as tmp:
        # the slow drawing jobs: the workers take them from the front (the flag maps, then the
        # plan's own figures), this process takes the web report at the back once its tables
        # are written (see run_jobs)
        jobs: list[Callable[[], list[str]]] = []
        if impact is not None:
            jobs.append(lambda: _write_impact_files(tmp, impact, background))
        jobs += [lambda part=part: save_figures(tmp, part()) for part in figure_parts]
        if page is not None:
            jobs.append(lambda: [_write_report(tmp, page)])

        def tables() -> list[str]:
            return _write_tables(tmp, result, extra_tables or {}, figures or {}, summary)

        written = run_jobs(jobs, tables, parallel=parallel)
        summary["files"] = sorted(written + [MARKER])
        # summary.json last: its presence marks a complete result folder.
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")
        written.append(MARKER)
    return [out / name for name in written]


def _write_tables(tmp: Path, result: Result, extra_tables: dict[str, Any], figures: dict[str, Any],
                  summary: dict[str, Any]) -> list[str]:
    written: list[str] = []
    for name, table in extra_tables.items():
        table.to_csv(tmp / f"{name}.csv", index=False)
        written.append(f"{name}.csv")
    written += save_figures(tmp, figures)
    for name, table in result.tables.items():
        table.to_csv(tmp / f"{name}.csv", index=False)
        table.to_parquet(tmp / f"{name}.parquet", index=False)
        written += [f"{name}.csv", f"{name}.parquet"]
    if result.layers:
        gpkg = tmp / "layers.gpkg"
        for name, layer in result.layers.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layer.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
        written.append("layers.gpkg")
    text = explanation_markdown(summary)
    if text:
        (tmp / "explanation.md").write_text(text, encoding="utf-8")
        written.append("explanation.md")
    return written


def _write_report(tmp: Path, page: Any) -> str:
    from optimise.webreport import write_report

    return write_report(tmp, page)


def _write_impact_files(tmp: Path, impact: Any, background: list[Any] | None) -> list[str]:
    from optimise.report import write_impact_files

    return write_impact_files(tmp, impact, {}, None, background)


#: What drawing a result folder imports (about 0.7 s): :func:`warm_up` imports it while the
#: solver runs.
DRAWING_MODULES = ("adjustText", "matplotlib_scalebar.scalebar",
                   "optimise.mapping", "optimise.report", "folium", "optimise.webreport", "pyogrio")
#: What the cascade check of a plan imports (networkx, for the detours): imported likewise.
CASCADE_MODULES = ("optimise.cascade", "optimise.network")


class WarmUp:
    """Imports done on a thread while HiGHS runs (see :func:`warm_up`)."""

    def __init__(self, names: list[str], drawing: bool) -> None:
        self._names, self._drawing = names, drawing
        self._now = threading.Event()
        self._thread = threading.Thread(target=self._run, name="optimise-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from optimise.solver import highs_running

        # not before HiGHS runs: imports hold the GIL, and building the model needs it
        while not (highs_running.wait(0.02) or self._now.is_set()):
            pass
        if self._drawing:
            from optimise.plots import pyplot

            pyplot()  # matplotlib on the file backend, as the drawing expects
        for name in self._names:
            try:
                importlib.import_module(name)
            except ImportError:  # a problem without a plots module: nothing to prepare
                pass

    def finish(self) -> None:
        """Whatever is not imported yet, now (HiGHS did not run, or ran too briefly)."""
        self._now.set()
        self._thread.join()


def warm_up(problem: Any = None, *, drawing: bool = True) -> WarmUp:
    """Import what the cascade check and, with ``drawing``, drawing a result folder need (and
    ``problem``'s own plots module) on a thread, once HiGHS runs: it releases the GIL then,
    so the imports cost no time. Call ``finish()`` after the solve, before writing (workers
    are forked then)."""
    names = list(CASCADE_MODULES)
    if drawing:
        names += DRAWING_MODULES
        if problem is not None:
            names.append(f"{type(problem).__module__}.plots")
    return WarmUp(names, drawing)


#: The jobs of the current :func:`run_jobs` call, read by the forked workers (closures cannot
#: be pickled; a forked worker has them in its copy of this module), and which of them a
#: process has taken (shared between the processes).
_JOBS: list[Callable[[], list[str]]] = []
_TAKEN: Any = None


def _run_job(k: int) -> list[str]:
    try:
        names = _JOBS[k]()
    except StopIteration as exc:  # inside the pool's machinery it would end the job silently
        raise RuntimeError(f"an output job stopped with StopIteration: {exc!r}") from exc
    if not isinstance(names, list):
        raise RuntimeError(f"an output job returned {names!r} instead of the files it wrote")
    return names


def _take(k: int) -> bool:
    """Take job ``k`` unless another process has."""
    with _TAKEN.get_lock():
        if _TAKEN[k]:
            return False
        _TAKEN[k] = 1
        return True


def _run_job_if_free(k: int) -> list[str] | None:
    return _run_job(k) if _take(k) else None


def run_jobs(jobs: list[Callable[[], list[str]]], own: Callable[[], list[str]], *, parallel: bool) -> list[str]:
    """Run ``own`` here and ``jobs`` (each writes files and returns their names) either after
    it or, with ``parallel`` where :func:`can_fork`, in forked workers (one per core) while
    ``own`` runs. The workers take the jobs from the front of the list; this process, once
    ``own`` is done, takes what is left from the back, so no core waits while a job is left
    (the web report, say, while the workers draw the maps).
    Return ``own``'s files, then each job's, in the jobs' order. A job that fails raises
    here, with the worker's traceback."""
    global _JOBS, _TAKEN
    if not parallel or not jobs or not can_fork():
        written = own()
        _JOBS = jobs
        try:
            return written + [name for k in range(len(jobs)) for name in _run_job(k)]
        finally:
            _JOBS = []
    # a forked worker flushes the streams it inherited when it ends: flush them now, once
    sys.stdout.flush()
    sys.stderr.flush()
    context = multiprocessing.get_context("fork")
    _JOBS, _TAKEN = jobs, context.Array("b", len(jobs))
    gc.freeze()  # a worker's collector would otherwise touch, and so copy, every inherited object
    try:
        with context.Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
            pending = pool.map_async(_run_job_if_free, range(len(jobs)), chunksize=1)
            written = own()
            here = {k: _run_job(k) for k in reversed(range(len(jobs))) if _take(k)}
            there = pending.get()
            return written + [name for k in range(len(jobs)) for name in (here.get(k) or there[k] or [])]
    finally:
        gc.unfreeze()
        _JOBS, _TAKEN = [], None


def save_figures(folder: Path, figures: dict[str, Any]) -> list[str]:
    """Save matplotlib figures as ``NAME.png`` in ``folder`` and close them."""
    if not figures:
        return []
    import matplotlib.pyplot as plt

    names = []
    for name, fig in figures.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.savefig(folder / f"{name}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        names.append(f"{name}.png")
    return names


def explanation_markdown(summary: dict[str, Any]) -> str:
    """The rules that conflict (no plan) or bind (a plan), as a short Markdown report."""
    lines = []
    if summary.get("explanation"):
        lines += ["# Why no plan exists", "", "The least-violation version of the model has to break these rules:", ""]
        lines += [f"- {text}" for text in summary["explanation"]]
    if summary.get("binding"):
        lines += ["# Rules that bind in the plan", "",
                  "Marginal values from the LP with the plan's yes/no decisions fixed (valid for small changes); "
                  "resources used up to within 1 % of their limit.", ""]
        lines += [f"- {row['text']}" for row in summary["binding"]]
    return "\n".join(lines) + "\n" if lines else ""


def write_no_plan(out: Path, summary: dict[str, Any]) -> list[Path]:
    """A result folder for a run without a plan: summary.json (status, explanation) and
    explanation.md, written atomically like any other."""
    summary = dict(summary)
    with atomic_folder(out) as tmp:
        names = [MARKER]
        text = explanation_markdown(summary)
        if text:
            (tmp / "explanation.md").write_text(text, encoding="utf-8")
            names.append("explanation.md")
        summary["files"] = sorted(names)
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")
    return [out / name for name in names]


def write_front(out: Path, front: Any, problem: Any, summary: dict[str, Any]) -> None:
    """A Pareto front's folder: pareto.csv, pareto.png and summary.json, atomically."""
    from optimise.plots import pareto_plot

    from optimise.webreport import front_page, write_report

    summary = dict(summary)
    with atomic_folder(out) as tmp:
        front.table.to_csv(tmp / "pareto.csv", index=False)
        files = ["pareto.csv"] + save_figures(tmp, {"pareto": pareto_plot(front, problem.objectives)})
        files.append(write_report(tmp, front_page(front, problem, summary)))
        summary["files"] = sorted(files + [MARKER])
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")


def write_figure_into(folder: Path, name: str, figure: Any) -> Path:
    """Add ``NAME.png`` to an existing folder: drawn aside, then renamed into place."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=folder) as tmp:
        save_figures(Path(tmp), {name: figure})
        os.replace(Path(tmp) / f"{name}.png", folder / f"{name}.png")
    return folder / f"{name}.png"
