"""The ``optimise`` command line.

Exit codes: 0 a solution was found (check: the plan keeps every rule); 1 no solution exists or
none was found in time (check: the plan breaks a rule);
2 bad input (one plain message naming file, field and row); 3 an internal fault (a bug).
Results go to stdout (a table, or exactly one JSON object with ``--json``); progress and
solver logs go to stderr.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
import traceback
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich.table import Table

from optimise import console
from optimise.errors import InputError
from optimise.files import to_json

app = typer.Typer(
    name="optimise",
    help="Optimisation and decision support for a city's vital systems (MILPs solved with HiGHS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_BAD_INPUT, EXIT_FAULT = 0, 1, 2, 3


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """User mistakes become one line on stderr and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _notes():
                return func(*args, **kwargs)
        except InputError as exc:
            console.err.print(f"[bold red]error:[/] {console.text(exc)}", soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a program fault, reported as such
            if os.environ.get("OPTIMISE_DEBUG"):
                traceback.print_exc()
            console.err.print(
                f"[bold red]internal error[/] ({console.text(type(exc).__name__)}: {console.text(exc)}). "
                "This is a bug in optimise; set OPTIMISE_DEBUG=1 for the traceback.", soft_wrap=True)
            raise typer.Exit(EXIT_FAULT) from None

    return wrapper


@contextmanager
def _notes() -> Iterator[None]:
    """Input notes (optimise.errors.InputNote) raised while a command runs, each printed once
    on stderr when it ends with a result (a mistake in the input is then the one line said)."""
    import warnings

    from optimise.errors import InputNote

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputNote)
        try:
            yield
        except InputError:
            raise
        except BaseException:
            _print_notes(caught, InputNote)
            raise
        _print_notes(caught, InputNote)


def _print_notes(caught: list[Any], category: type) -> None:
    seen: set[str] = set()
    for note in caught:
        text = str(note.message)
        if issubclass(note.category, category) and text not in seen:
            seen.add(text)
            console.err.print(f"[dim]note:[/] {console.text(text)}", soft_wrap=True)


def _format_help() -> str:
    from optimise.loading import formats

    return f"Read PATH as a benchmark file of this format (installed: {', '.join(sorted(formats())) or 'none'})."


Format = Annotated[Optional[str], typer.Option("--format", "-f", help=_format_help())]
Settings = Annotated[Optional[list[str]], typer.Option(
    "--set", help="NAME=VALUE: set an instance parameter (budget=5e6), or edit a data file as it is read "
                  "(demand.residents=\"*1.2\", 'sites.forbidden={Z0012=true}'); repeatable.")]


JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
Threads = Annotated[Optional[int], typer.Option("--threads", help="Threads for HiGHS.")]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Random seed for HiGHS.")]


def _overrides(settings: list[str] | None, **short: Any) -> dict[str, Any]:
    """``--set`` pairs, and short forms such as ``--p N`` (same as ``--set p=N``)."""
    from optimise.variants import parse_setting

    out = dict(parse_setting(text) for text in settings or [])
    out.update({name: value for name, value in short.items() if value is not None})
    return out


@app.command()
@_guarded
def solve(
    path: Annotated[Path, typer.Argument(help="Instance folder, instance.toml, or benchmark file (with --format).")],
    fmt: Format = None,
    settings: Settings = None,
    p: Annotated[Optional[int], typer.Option("--p", help="Short for --set p=N (number of sites to open).")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Stop after this many seconds; the best plan found is reported with its gap.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative optimality gap at which to stop (0 = prove optimality).")] = None,
    threads: Threads = None,
    seed: Seed = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for summary.json, tables and layers (written atomically).")] = None,
    json_out: JsonFlag = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the HiGHS log on stderr.")] = False,
    n_alternatives: Annotated[Optional[int], typer.Option("--alternatives", help="Also find K plans, each as different as possible from those before, within --within percent of the optimum.")] = None,
    within: Annotated[float, typer.Option("--within", help="Slack for --alternatives, in percent of the optimum.")] = 5.0,
    explain: Annotated[bool, typer.Option("--explain", help="Also report which rules bind in the plan and what relaxing each would gain.")] = False,
    start: Annotated[Optional[Path], typer.Option("--start", help="A result folder (an earlier solve --out): HiGHS starts from its plan, less what this question no longer allows.")] = None,
) -> None:
    """Solve an instance and report the plan, with the solver status and gap."""
    from optimise.files import check_output_folder
    from optimise.run import Ask, load_case, solve_case

    if out is not None:
        check_output_folder(out)
    case = load_case(path, fmt, _overrides(settings, p=p))
    options = case.options(time_limit=time_limit, gap=gap, threads=threads, seed=seed, verbose=verbose)
    if n_alternatives is not None:
        from optimise.tradeoffs import check_alternatives

        check_alternatives(n_alternatives, within / 100.0)
    if start is not None and (n_alternatives is not None or explain):
        raise InputError("goes with a plain solve, not with --alternatives or --explain", field="--start")
    ask = Ask(alternatives=n_alternatives, within=within / 100.0, explain=explain, start=start)
    from optimise.outputs import warm_up

    preparing = warm_up(case.problem, drawing=out is not None)
    run = solve_case(case, options, ask, say=lambda line: console.err.print(console.text(line)))
    preparing.finish()
    if out is not None and (run.has_solution or run.result.status == "infeasible"):
        run.write(out, parallel=True)
        console.err.print(console.text(f"wrote {out}/" if run.has_solution
                                       else f"wrote {out}/ (no plan: summary.json, explanation.md)"))
    if json_out:
        sys.stdout.write(to_json(run.summary(), indent=None) + "\n")
    else:
        console.print_result(run.result, case.problem, run.impact)
        console.print_explanation(run)
        if run.alternatives is not None:
            console.print_alternatives(run.alternatives, within, run.alternatives_note, case.problem.key_figures)
    raise typer.Exit(EXIT_SOLVED if run.has_solution else EXIT_NO_SOLUTION)


@app.command()
@_guarded
def pareto(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml.")],
    x: Annotated[str, typer.Option("--x", help="Objective on the x axis (optimised).")],
    y: Annotated[str, typer.Option("--y", help="Objective on the y axis (constrained, epsilon by epsilon).")],
    points: Annotated[int, typer.Option("--points", "-n", help="Number of solves along the front (end points included).")] = 7,
    settings: Settings = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per solve; a point stopped early is reported with its gap.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative optimality gap per solve (0 = prove optimality).")] = None,
    threads: Threads = None,
    seed: Seed = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for pareto.csv, pareto.png and summary.json (written atomically).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Trace the Pareto front between two objectives (epsilon-constraint method)."""
    from optimise.files import check_output_folder
    from optimise.run import load_case, plan_flags
    from optimise.tradeoffs import NoFront, check_front, front_summary, pareto_front

    if out is not None:
        check_output_folder(out)
    case = load_case(path, None, _overrides(settings))
    check_front(case.problem, x, y, points)
    options = case.options(time_limit=time_limit, gap=gap, threads=threads, seed=seed)
    console.err.print(console.text(f"tracing {x} against {y} on {case.label} ({points} points) …"))
    try:
        front = pareto_front(case.problem, x, y, points, options,
                             describe=(lambda result: plan_flags(case, result)) if case.vital is not None else None)
    except NoFront as exc:
        if json_out:
            sys.stdout.write(to_json({"problem": case.problem.name, "instance": case.label, "status": "no_solution",
                                      "reason": str(exc)}, indent=None) + "\n")
        else:
            console.out.print(f"[red]no front:[/] {console.text(exc)}", soft_wrap=True)
        raise typer.Exit(EXIT_NO_SOLUTION) from None
    summary = front_summary(front, case.problem, case.label)
    if out is not None:
        from optimise.outputs import write_front

        write_front(out, front, case.problem, summary)
        console.err.print(console.text(f"wrote {out}/"))
    if json_out:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
        return
    console.print_front(front, x, y, case.label)


@app.command()
@_guarded
def validate(
    path: Annotated[Path, typer.Argument(help="Instance folder, instance.toml, or benchmark file (with --format).")],
    fmt: Format = None,
    settings: Settings = None,
    json_out: JsonFlag = False,
) -> None:
    """Check an instance (files, columns, values, references) without solving it. A folder
    with vital-systems layers and no problem is checked as a base layer."""
    from optimise.run import load_case

    if fmt is None and not settings:
        from optimise.instance import load_instance

        instance = load_instance(path)
        if not instance.problem and instance.has("assets"):
            _validate_base_layer(instance, json_out)
            return
    case = load_case(path, fmt, _overrides(settings))
    report = {"valid": True, "instance": case.label, "problem": case.problem.name, "size": case.problem.size_text()}
    if case.vital is not None:
        report.update(assets=int(case.vital.n), dependencies=len(case.vital.dependencies))
    if json_out:
        sys.stdout.write(to_json(report, indent=None) + "\n")
        return
    size = f": {report['size']}" if report["size"] else ""
    if case.vital is not None:
        size += f"; {report['assets']} assets, {report['dependencies']} dependencies"
    console.out.print(f"[green]ok[/] {console.text(case.label)} is a valid {case.problem.name} instance{size}")


def _validate_base_layer(instance: Any, json_out: bool) -> None:
    """A vital-systems base layer (assets and dependencies, no planning question)."""
    from optimise.vital import load_vital_systems

    vital = load_vital_systems(instance)
    systems = vital.assets["system"].value_counts().sort_index()
    report = {"valid": True, "instance": instance.name, "problem": None, "kind": "vital-systems base layer",
              "assets": int(vital.n), "dependencies": len(vital.dependencies),
              "assets_per_system": {str(k): int(v) for k, v in systems.items()}}
    if json_out:
        sys.stdout.write(to_json(report, indent=None) + "\n")
        return
    per_system = ", ".join(f"{v:,} {k}" for k, v in report["assets_per_system"].items())
    console.out.print(f"[green]ok[/] {console.text(instance.name)} is a valid vital-systems base layer: "
                      f"{vital.n:,} assets ({console.text(per_system)}), {len(vital.dependencies):,} dependencies")


@app.command()
@_guarded
def impact(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml with assets (and dependencies) layers.")],
    scenario: Annotated[Optional[Path], typer.Option("--scenario", "-s", help="Scenario file (TOML or CSV); none: today's state.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the report, flag map and tables (written atomically).")] = None,
    json_out: JsonFlag = False,
    resilience: Annotated[bool, typer.Option("--resilience/--no-resilience", help="Also compute N-1 redundancy.")] = True,
) -> None:
    """Evaluate a scenario on the vital systems: indicators, cascade flags with reasons, N-1."""
    from optimise.cascade import Scenario
    from optimise.indicators import run_impact, thresholds
    from optimise.report import write_impact
    from optimise.scenarios import check_scenario, read_scenario
    from optimise.instance import load_instance
    from optimise.files import check_output_folder
    from optimise.vital import load_vital_systems

    if out is not None:
        check_output_folder(out)
    instance = load_instance(path)
    vital = load_vital_systems(instance)
    if vital is None:
        raise InputError("the instance has no assets layer: add assets = \"FILE\" under [data]",
                         file=str(instance.toml_file), field="data.assets")
    plan = read_scenario(scenario) if scenario is not None else Scenario("today (no changes)", [])
    check_scenario(vital, plan, str(scenario))
    result, summary, table = run_impact(vital, plan, thresholds(instance), resilience=resilience)
    if out is not None:
        from optimise.mapping import instance_background

        crs = vital.geometry.crs if getattr(vital, "geometry", None) is not None else None
        write_impact(out, result, summary, table, instance_background(instance, crs) if crs is not None else [])
        console.err.print(console.text(f"wrote {out}/"))
    if json_out:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
        return
    console.print_impact(result, summary, plan.name)


@app.command()
@_guarded
def check(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml.")],
    plan: Annotated[Path, typer.Argument(help="The plan: a folder with its tables as solve --out writes them "
                                              "(e.g. schedule.csv and utilities.csv, or hubs.csv and assignment.csv), "
                                              "or the file of a plan given by one table (sites.csv).")],
    settings: Settings = None,
    compare: Annotated[bool, typer.Option("--compare/--no-compare", help="Also solve the instance and give the plan's distance to the optimum.")] = True,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds for the solve the plan is compared with.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative gap for that solve (0 = prove optimality).")] = None,
    threads: Threads = None,
    seed: Seed = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the plan's summary.json, tables, layers and report (written atomically).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Check a plan from elsewhere (a schedule edited in a spreadsheet, hubs moved in a GIS): the
    rules it breaks, its indicators and cascade flags, and its distance to the optimum.
    Exit code 0 when it keeps every rule, 1 when it breaks one."""
    from optimise.files import check_output_folder
    from optimise.outputs import write_result
    from optimise.plans import check_given_plan
    from optimise.run import load_case

    if out is not None:
        check_output_folder(out)
    case = load_case(path, None, _overrides(settings))
    options = case.options(time_limit=time_limit, gap=gap, threads=threads, seed=seed) if compare else None
    found = check_given_plan(case, plan, options, say=lambda line: console.err.print(console.text(line)))
    summary = found.summary()
    if out is not None:
        from optimise.webreport import plan_page

        write_result(found.result, out, summary, impact=found.impact,
                     figure_parts=case.problem.figure_parts(found.result, found.impact),
                     page=plan_page(case.problem, found.result, summary, found.impact), parallel=True)
        console.err.print(console.text(f"wrote {out}/"))
    if json_out:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
    else:
        console.print_result(found.result, case.problem, found.impact)
        console.print_plan_check(found)
    raise typer.Exit(EXIT_SOLVED if not found.breaks else EXIT_NO_SOLUTION)


@app.command()
@_guarded
def batch(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml.")],
    variants_file: Annotated[Path, typer.Argument(metavar="VARIANTS", help="Variants file (TOML grid / [[variant]], or CSV).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Batch folder (default: batch-<instance>); run again to resume.")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://host:8786.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Workers of the local cluster (default: one per core).")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per variant.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative gap per variant (0 = prove optimality).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for HiGHS.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout: the combined table.")] = False,
) -> None:
    """Run planning variants in parallel on Dask: a result folder per variant and one table."""
    from optimise.batch import only_batch_in, prepare_batch

    if workers is not None and workers < 1:
        raise InputError("must be at least 1", field="--workers")
    instance, variants, jobs = prepare_batch(path, variants_file, time_limit, gap, seed)
    out = out or Path(f"batch-{instance.folder.name}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "variants").exists())):
        raise InputError("the folder exists and is not a batch folder; choose another --out", file=str(out))
    if not out.exists():
        from optimise.files import check_output_folder

        check_output_folder(out)  # can it be made at all (not under a file, not in /proc …)
    with only_batch_in(out):  # a second batch on this folder stops here, before any cluster starts
        table = _run_with_progress(jobs, out, variants, scheduler, workers)
    failed = int((table.get("status") == "failed").sum()) if "status" in table else 0
    if json_out:
        import json

        rows = json.loads(table.to_json(orient="records")) if len(table) else []  # NaN becomes null
        sys.stdout.write(to_json({"folder": str(out), "variants": len(table), "failed": failed, "rows": rows},
                                 indent=None) + "\n")
        return
    console.out.print(console.text(f"{len(table)} variants in {out}/ ({failed} failed): results.csv, results.parquet"))
    from optimise.registry import key_figures_of

    console.print_compare(table, key_figures_of(table))


def _run_with_progress(jobs: list[Any], out: Path, variants: list[Any], scheduler: str | None,
                       workers: int | None) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from optimise.batch import cluster_client, done_rows, run_batch

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    done = done_rows(out, variants, jobs[0].fingerprint if jobs else None) if (out / "variants").exists() else {}
    pending = len(variants) - len(done)
    client = cluster = None
    if pending:  # connect first: an unreachable scheduler is one clean line, before any progress bar
        client, cluster = cluster_client(scheduler, workers)
    with Progress(*columns, console=console.err, transient=False) as bar:
        task = bar.add_task("variants", total=len(jobs))

        def report(done: int, running: int, failed: int, total: int) -> None:
            bar.update(task, completed=done, description=f"done {done} · running {running} · failed {failed}")

        try:
            table = run_batch(jobs, out, variants, progress=report, client=client, lock=False)
        except KeyboardInterrupt:
            console.err.print(console.text(
                f"interrupted; run the same command to resume (finished variants are kept in {out}/)"))
            raise typer.Exit(130) from None
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
    return table


@app.command()
@_guarded
def compare(
    folder: Annotated[Path, typer.Argument(help="A batch folder (from optimise batch).")],
) -> None:
    """Print and plot the variants of a batch side by side (writes compare.png and report.html)."""
    import pandas as pd

    from optimise.outputs import write_figure_into

    table_path = folder / "results.parquet"
    if not table_path.exists():
        raise InputError("not a batch folder (no results.parquet)", file=str(folder))
    try:
        table = pd.read_parquet(table_path)
    except Exception as exc:  # noqa: BLE001 - a damaged file is the folder's fault, not a bug
        raise InputError(f"cannot read the batch table ({type(exc).__name__}); run the batch again to rebuild it",
                         file=str(table_path)) from None
    from optimise.plots import compare_plot
    from optimise.registry import key_figures_of

    key_figures = key_figures_of(table)
    console.print_compare(table, key_figures)
    write_figure_into(folder, "compare", compare_plot(table, key_figures))
    from optimise.files import write_text_atomic
    from optimise.webreport import compare_page, render

    write_text_atomic(folder / "report.html", render(compare_page(table, key_figures, folder)))
    console.out.print(console.text(f"wrote {folder}/compare.png and {folder}/report.html"))


@app.command("app")
@_guarded
def web_app(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml.")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on (this machine only unless told otherwise).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8050,
) -> None:
    """What-ifs on the map in a local web app: forbid or fix sites, change parameters, solve
    again (with progress and a stop button), compare with the plan before, download the
    what-if as a variants file and the report."""
    from optimise.app import WhatIf, build_app

    whatif = WhatIf(path)  # checks the instance before a server starts
    whatif.start_solve()
    console.err.print(console.text(f"optimise app: http://{host}:{port}/ (Ctrl+C to stop)"))
    try:
        build_app(whatif).run(host=host, port=port, debug=False)
    finally:
        whatif.close()


@app.command("problems")
@_guarded
def list_problems() -> None:
    """List the planning questions installed (the optimise.problems entry points)."""
    from optimise.registry import get_problem, problem_names

    table = Table("problem", "what it decides")
    for name in problem_names():
        table.add_row(console.text(name), console.text(get_problem(name).title))
    console.out.print(table)


@app.command()
@_guarded
def describe(
    problem: Annotated[str, typer.Argument(help="Problem name (see `optimise problems`).")],
) -> None:
    """Print the instance format of a problem: its data files, columns and parameters (Markdown)."""
    from optimise.reference import describe_markdown
    from optimise.registry import get_problem

    console.out.print(describe_markdown(get_problem(problem)), markup=False, soft_wrap=True)


def _keep_stdout_for_results() -> None:
    """Let only what this program prints reach stdout.

    C libraries write to file descriptor 1 directly, past Python's ``sys.stdout``: HiGHS
    prints a banner when its first object is made (since 1.16 before any option can switch
    it off) and its log. File descriptor 1 is pointed at stderr, and ``sys.stdout`` gets the
    original stdout, so a table or a ``--json`` object is all stdout holds. Processes started
    from here (Dask workers) inherit the redirected descriptor too."""
    try:
        sys.stdout.flush()
        results = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no stdout or stderr to work with: leave the descriptors alone
        return
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    sys.stdout = os.fdopen(results, "w", buffering=1, encoding=encoding, errors="replace")
    atexit.register(sys.stdout.flush)


def main() -> None:
    _keep_stdout_for_results()
    _collect_garbage_less_often()
    try:
        app()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _collect_garbage_less_often() -> None:
    """Run Python's cycle collector after 50,000 new objects instead of 700.

    A run creates a few hundred thousand objects that live to its end (the modules of pandas,
    GeoPandas, Pyomo and matplotlib, the model's components): with the default threshold the
    collector walks them again and again, about 0.3 s of a Zuidas run
    (benchmarks/overhead.py). Garbage cycles are still collected, in larger batches. Set for
    the command line only: a notebook importing optimise keeps its own settings."""
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), max(gen1, 20), max(gen2, 20))


def _leave(code: Any) -> None:
    """End the process once the command is done, without tearing the interpreter down.

    Freeing every module and object of pandas, GeoPandas, matplotlib, Pyomo and HiGHS at
    exit takes 0.3-0.4 s after a solve, longer than writing a result folder's tables. By
    now every file is written and closed (result folders are swapped in whole), so the exit
    handlers run as at a normal exit (streams flushed, worker processes and temporary files
    cleaned up) and the process ends at once. With a thread still running (one that is not
    a daemon) the normal exit, which waits for it, is kept."""
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): print it, exit status 1
        sys.stderr.write(f"{code}\n")
        code = 1
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
