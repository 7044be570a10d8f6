"""The ``optimise`` command line.

Exit codes: 0 a solution was found; 1 no solution exists or none was found in time;
2 bad input (one plain message naming file, field and row); 3 an internal fault (a bug).
Results go to stdout (a table, or exactly one JSON object with ``--json``); progress and
solver logs go to stderr.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import traceback
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from optimise.errors import InputError
from optimise.io import to_json

app = typer.Typer(
    name="optimise",
    help="Optimisation and decision support for a city's vital systems (MILPs solved with HiGHS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_BAD_INPUT, EXIT_FAULT = 0, 1, 2, 3


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """User mistakes become one line on stderr and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a program fault, reported as such
            if os.environ.get("OPTIMISE_DEBUG"):
                traceback.print_exc()
            err_console.print(
                f"[bold red]internal error[/] ({type(exc).__name__}: {exc}). This is a bug in optimise; "
                "set OPTIMISE_DEBUG=1 for the traceback.", soft_wrap=True)
            raise typer.Exit(EXIT_FAULT) from None

    return wrapper


Format = Annotated[Optional[str], typer.Option("--format", "-f", help="Read PATH as a benchmark file: orlib-pmed, orlib-cap or holmberg.")]


@app.command()
@_guarded
def solve(
    path: Annotated[Path, typer.Argument(help="Instance folder, instance.toml, or benchmark file (with --format).")],
    fmt: Format = None,
    p: Annotated[Optional[int], typer.Option("--p", help="Override p (number of sites to open).")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Stop after this many seconds; the best plan found is reported with its gap.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative optimality gap at which to stop (0 = prove optimality).")] = None,
    threads: Annotated[Optional[int], typer.Option("--threads", help="Threads for HiGHS.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed for HiGHS.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for summary.json, tables and layers (written atomically).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the HiGHS log on stderr.")] = False,
    n_alternatives: Annotated[Optional[int], typer.Option("--alternatives", help="Also find K plans, each as different as possible from those before, within --within percent of the optimum.")] = None,
    within: Annotated[float, typer.Option("--within", help="Slack for --alternatives, in percent of the optimum.")] = 5.0,
    explain: Annotated[bool, typer.Option("--explain", help="Also report which rules bind in the plan and what relaxing each would gain.")] = False,
) -> None:
    """Solve an instance and report the plan, with the solver status and gap."""
    from optimise.io import check_output_folder
    from optimise.run import Ask, load_case, solve_case

    if out is not None:
        check_output_folder(out)
    case = load_case(path, fmt, {"p": p} if p is not None else {})
    options = case.options(time_limit=time_limit, gap=gap, threads=threads, seed=seed, verbose=verbose)
    if n_alternatives is not None:
        from optimise.tradeoffs import check_alternatives

        check_alternatives(n_alternatives, within / 100.0)
    ask = Ask(alternatives=n_alternatives, within=within / 100.0, explain=explain)
    run = solve_case(case, options, ask, say=err_console.print)
    result = run.result
    if out is not None and (result.has_solution or result.status == "infeasible"):
        run.write(out)
        err_console.print(f"wrote {out}/" if result.has_solution else f"wrote {out}/ (no plan: summary.json, explanation.md)")
    if json_out:
        sys.stdout.write(to_json(run.summary(), indent=None) + "\n")
    else:
        _print_result(result, case.problem, run.impact)
        for text in run.why:
            out_console.print(f"[red]why:[/] {text}", soft_wrap=True)
        if result.status == "infeasible" and not run.why:
            out_console.print("the rules that conflict could not be singled out", soft_wrap=True)
        for row in run.binding:
            out_console.print(f"[yellow]binds:[/] {row['text']}", soft_wrap=True)
        if run.alternatives is not None:
            _print_alternatives(run.alternatives, within, run.alternatives_note)
    raise typer.Exit(EXIT_SOLVED if result.has_solution else EXIT_NO_SOLUTION)


@app.command()
@_guarded
def pareto(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml.")],
    x: Annotated[str, typer.Option("--x", help="Objective on the x axis (optimised).")],
    y: Annotated[str, typer.Option("--y", help="Objective on the y axis (constrained, epsilon by epsilon).")],
    points: Annotated[int, typer.Option("--points", "-n", help="Number of solves along the front (end points included).")] = 7,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per solve; a point stopped early is reported with its gap.")] = None,
    gap: Annotated[Optional[float], typer.Option("--gap", help="Relative optimality gap per solve (0 = prove optimality).")] = None,
    threads: Annotated[Optional[int], typer.Option("--threads", help="Threads for HiGHS.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed for HiGHS.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for pareto.csv, pareto.png and summary.json (written atomically).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
) -> None:
    """Trace the Pareto front between two objectives (epsilon-constraint method)."""
    from optimise.io import check_output_folder
    from optimise.tradeoffs import check_front, pareto_front

    if out is not None:
        check_output_folder(out)
    from optimise.run import cascade_check, load_case

    case = load_case(path)
    problem, label = case.problem, case.label
    check_front(problem, x, y, points)
    options = case.options(time_limit=time_limit, gap=gap, threads=threads, seed=seed)

    def describe(result: Any) -> dict[str, Any]:
        if case.vital is None:
            return {}
        counts = cascade_check(case, result)[1]["flags"]["counts"]
        worst = "red" if counts.get("red") else "orange" if counts.get("orange") else "green"
        return {"flag": worst, "red_flags": counts.get("red", 0), "orange_flags": counts.get("orange", 0)}

    err_console.print(f"tracing {x} against {y} on {label} ({points} points) …")
    front = pareto_front(problem, x, y, points, options, describe=describe)
    summary = {"problem": problem.name, "instance": label, "x": x, "y": y,
               "objectives": {n: {"sense": t.sense, "unit": t.unit, "description": t.description}
                              for n, t in problem.objectives.items() if n in (x, y)},
               "points": front.table.to_dict(orient="records"), "dominated_dropped": front.dropped,
               "seconds": round(front.seconds, 3)}
    if out is not None:
        from optimise.io import MARKER, atomic_folder
        from optimise.outputs import save_figures
        from optimise.plots import pareto_plot

        with atomic_folder(out) as tmp:
            front.table.to_csv(tmp / "pareto.csv", index=False)
            files = ["pareto.csv"] + save_figures(tmp, {"pareto": pareto_plot(front, problem.objectives)})
            summary["files"] = sorted(files + [MARKER])
            (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")
        err_console.print(f"wrote {out}/")
    if json_out:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
        return
    shown = [c for c in ("point", x, y, "n_open", "flag", "status", "gap", "seconds") if c in front.table.columns]
    table = Table(*shown, title=f"Pareto front: {x} vs {y} ({label})", title_justify="left")
    for row in front.table[shown].itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out_console.print(table)
    if front.dropped:
        out_console.print(f"[yellow]{front.dropped} dominated point(s) dropped (a solve stopped before proving optimality)[/]")
    out_console.print(f"{len(front.table)} points in {front.seconds:.1f} s")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:,.6g}"
    return str(value)


def _print_alternatives(table: Any, within: float, note: str = "") -> None:
    t = Table("alternative", "objective", "above optimum", "changed", "added", "removed",
              title=f"alternatives within {within:g}% of the optimum", title_justify="left")
    for row in table.itertuples(index=False):
        t.add_row(str(row.alternative), _cell(float(row.objective)), f"{row.above_optimum:.2%}",
                  str(row.decisions_changed), row.added or "-", row.removed or "-")
    out_console.print(t)
    if note:
        out_console.print(note)


@app.command()
@_guarded
def validate(
    path: Annotated[Path, typer.Argument(help="Instance folder, instance.toml, or benchmark file (with --format).")],
    fmt: Format = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
) -> None:
    """Check an instance (files, columns, values, references) without solving it."""
    from optimise.run import load_case

    case = load_case(path, fmt)
    problem, label, vital = case.problem, case.label, case.vital
    size = f": {problem.size_text()}" if problem.size_text() else ""
    if vital is not None:
        size += f"; {vital.n} assets, {len(vital.dependencies)} dependencies"
    if json_out:
        report = {"valid": True, "instance": label, "problem": problem.name, "size": problem.size_text()}
        if vital is not None:
            report.update(assets=int(vital.n), dependencies=len(vital.dependencies))
        sys.stdout.write(to_json(report, indent=None) + "\n")
        return
    out_console.print(f"[green]ok[/] {label} is a valid {problem.name} instance{size}")


@app.command()
@_guarded
def impact(
    path: Annotated[Path, typer.Argument(help="Instance folder or instance.toml with assets (and dependencies) layers.")],
    scenario: Annotated[Optional[Path], typer.Option("--scenario", "-s", help="Scenario file (TOML or CSV); none: today's state.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for the report, flag map and tables (written atomically).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    resilience: Annotated[bool, typer.Option("--resilience/--no-resilience", help="Also compute N-1 redundancy.")] = True,
) -> None:
    """Evaluate a scenario on the vital systems: indicators, cascade flags with reasons, N-1."""
    from optimise.cascade import Scenario
    from optimise.impact import check_scenario, read_scenario, run_impact, thresholds, write_impact
    from optimise.instance import load_instance
    from optimise.io import check_output_folder
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
        write_impact(out, result, summary, table)
        err_console.print(f"wrote {out}/")
    if json_out:
        sys.stdout.write(to_json(summary, indent=None) + "\n")
        return
    systems = Table("period", "system", "flag", "red", "orange", title=f"impact: {plan.name}", title_justify="left")
    for row in result.system_flags().itertuples(index=False):
        style = {"red": "red", "orange": "yellow"}.get(row.flag, "green")
        systems.add_row(str(row.period), row.system, f"[{style}]{row.flag}[/]", str(row.red), str(row.orange))
    out_console.print(systems)
    flags = result.asset_flags()
    flagged = flags[flags["flag"] != "green"].head(15)
    for row in flagged.itertuples(index=False):
        out_console.print(f"[{'red' if row.flag == 'red' else 'yellow'}]{row.flag:>6}[/] {row.explanation}", soft_wrap=True)
    if "resilience" in summary:
        res = summary["resilience"]
        out_console.print(f"N-1: worst single failure keeps {res['n_minus_1_service_kept_worst']:.1%} of service "
                          f"({res['worst_single_failures'][0]['asset']}); deepest cascade {res['deepest_cascade']} orders")
    out_console.print(f"evaluated in {summary['impact_seconds']:.2f} s")


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from optimise.batch import Job, cluster_client, done_rows, run_batch
    from optimise.instance import load_instance
    from optimise.registry import get_problem
    from optimise.variants import apply_variant, read_variants, schema_columns

    instance = load_instance(path)
    if not instance.problem:
        raise InputError("names no problem", file=str(instance.toml_file), field="problem")
    problem_cls = get_problem(instance.problem)
    variants = read_variants(variants_file)
    for v in variants:  # overrides that cannot apply are refused before any work starts
        apply_variant(load_instance(path), v, label=str(variants_file), parameters=set(problem_cls.parameters),
                      columns=schema_columns(problem_cls))
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", field="--workers")
    out = out or Path(f"batch-{instance.folder.name}")
    if out.exists() and any(out.iterdir()) and not (out / "variants").exists():
        raise InputError("the folder exists and is not a batch folder; choose another --out", file=str(out))
    jobs = [Job(str(instance.toml_file.resolve()), str(variants_file), v, time_limit, gap, seed) for v in variants]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    pending = len(variants) - len(done_rows(out, variants)) if (out / "variants").exists() else len(variants)
    client = cluster = None
    if pending:  # connect first: an unreachable scheduler is one clean line, before any progress bar
        client, cluster = cluster_client(scheduler, workers)
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("variants", total=len(jobs))

        def report(done: int, running: int, failed: int, total: int) -> None:
            bar.update(task, completed=done,
                       description=f"done {done} · running {running} · failed {failed}")

        try:
            table = run_batch(jobs, out, variants, progress=report, client=client)
        except KeyboardInterrupt:
            err_console.print(f"interrupted; run the same command to resume (finished variants are kept in {out}/)")
            raise typer.Exit(130) from None
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
    failed = int((table.get("status") == "failed").sum()) if "status" in table else 0
    if json_out:
        import json

        rows = json.loads(table.to_json(orient="records")) if len(table) else []  # NaN becomes null
        sys.stdout.write(to_json({"folder": str(out), "variants": len(table), "failed": failed, "rows": rows},
                                 indent=None) + "\n")
        return
    out_console.print(f"{len(table)} variants in {out}/ ({failed} failed): results.csv, results.parquet")
    _print_compare(table)


@app.command()
@_guarded
def compare(
    folder: Annotated[Path, typer.Argument(help="A batch folder (from optimise batch).")],
) -> None:
    """Print and plot the variants of a batch side by side (writes compare.png)."""
    import pandas as pd

    from optimise.plots import compare_plot

    table_path = folder / "results.parquet"
    if not table_path.exists():
        raise InputError("not a batch folder (no results.parquet)", file=str(folder))
    table = pd.read_parquet(table_path)
    _print_compare(table)
    from optimise.outputs import save_figures

    tmp = folder / ".compare"
    tmp.mkdir(exist_ok=True)
    save_figures(tmp, {"compare": compare_plot(table)})
    os.replace(tmp / "compare.png", folder / "compare.png")
    tmp.rmdir()
    out_console.print(f"wrote {folder}/compare.png")


def _print_compare(table: Any) -> None:
    if table.empty:
        return
    figures = [c for c in ("objective", "gap", "seconds", "red_flags", "orange_flags") if c in table.columns]
    headers = {"red_flags": "red", "orange_flags": "orange"}
    t = Table("variant", "status", *[headers.get(c, c) for c in figures], title="variants (overrides: results.csv)",
              title_justify="left")
    for row in table.to_dict(orient="records"):
        cells = [str(row["variant"]), str(row.get("status"))]
        cells += [f"{row[c]:.3%}" if c == "gap" and isinstance(row.get(c), float) and not math.isnan(row[c])
                  else _cell(row.get(c)) for c in figures]
        t.add_row(*cells)
    out_console.print(t)
    if "reason" in table.columns:
        for row in table[table.get("status") == "failed"].to_dict(orient="records"):
            out_console.print(f"[red]failed[/] {row['variant']}: {row['reason']}", soft_wrap=True)


@app.command("problems")
@_guarded
def list_problems() -> None:
    """List the planning questions installed (the optimise.problems entry points)."""
    from optimise.registry import get_problem, problem_names

    table = Table("problem", "what it decides")
    for name in problem_names():
        table.add_row(name, get_problem(name).title)
    out_console.print(table)


@app.command()
@_guarded
def describe(
    problem: Annotated[str, typer.Argument(help="Problem name (see `optimise problems`).")],
) -> None:
    """Print the instance format of a problem: its data files, columns and parameters (Markdown)."""
    from optimise.registry import get_problem

    out_console.print(describe_markdown(get_problem(problem)), markup=False, soft_wrap=True)


def describe_markdown(cls: Any) -> str:
    """The reference of one problem's instance format, as Markdown."""
    lines = [f"### `{cls.name}`: {cls.title}", ""]
    if cls.parameters:
        lines += ["Parameters (`[parameters]`):", "", "| name | type | unit | required | meaning |", "|---|---|---|---|---|"]
        lines += [p.doc_row() for p in cls.parameters.values()]
        lines.append("")
    if cls.objectives:
        lines += ["Objective terms (`optimise pareto --x NAME --y NAME`):", "", "| name | sense | unit | meaning |",
                  "|---|---|---|---|"]
        lines += [f"| `{t.name}` | {t.sense} | {t.unit} | {t.description} |" for t in cls.objectives.values()]
        lines.append("")
    return "\n".join(lines + [_tables_markdown(cls.tables)])


def vital_markdown() -> str:
    """The reference of the vital-systems layers and the scenario file, as Markdown."""
    from optimise.impact import CHANGES
    from optimise.vital import ASSETS, DEPENDENCIES, SYSTEMS

    return _tables_markdown({"assets": ASSETS, "dependencies": DEPENDENCIES, "systems": SYSTEMS}) + (
        "\nScenario file as CSV (`optimise impact --scenario FILE.csv`):\n\n"
        + _tables_markdown({"changes": CHANGES}, in_instance=False)
    )


def _tables_markdown(tables: dict[str, Any], in_instance: bool = True) -> str:
    lines: list[str] = []
    for key, schema in tables.items():
        geometry = {"none": "", "optional": " Geometry: a geometry column (GeoJSON, GeoPackage) or `x`/`y` columns."}
        where = f" (`[data] {key} = \"FILE\"`)" if in_instance else ""
        lines += [f"Data file `{key}`{where}: {schema.description}{geometry.get(schema.geometry, '')}", "",
                  "| column | type | unit | required | allowed | meaning |", "|---|---|---|---|---|---|"]
        lines += [c.doc_row() for c in schema.columns]
        lines.append("")
    return "\n".join(lines)


def _fmt(value: float | None, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}g}"


def _print_result(result: Any, problem: Any = None, impact: Any = None) -> None:
    status_style = {"optimal": "green", "feasible": "yellow"}.get(result.status, "red")
    table = Table(title=f"{result.problem}: {result.instance}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("status", f"[{status_style}]{result.status}[/] ({result.termination})")
    table.add_row("objective", _fmt(result.objective))
    table.add_row("best bound", _fmt(result.bound))
    table.add_row("gap", "-" if result.gap is None else f"{result.gap:.4%}")
    for label, value in result.solution.headline:
        table.add_row(label, value)
    table.add_row("time", f"{result.seconds:.2f} s (build {result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s)")
    table.add_row("formulation", f"{result.formulation}; {result.size.get('rows', 0):,} rows, "
                  f"{result.size.get('columns', 0):,} columns, {result.size.get('nonzeros', 0):,} nonzeros")
    out_console.print(table)
    from optimise.problem import Problem

    name, wanted, order = (problem or Problem).listing
    sites = result.tables.get(name)
    if sites is not None:
        _print_open_sites(sites[sites["open"]] if "open" in sites.columns else sites, wanted, order, name)
    grid = result.tables.get("grid")
    if grid is not None and len(grid):
        _print_grid(grid, impact)
    if impact is not None:
        flags = impact.asset_flags()
        flagged = flags[flags["flag"] != "green"]
        for row in flagged.head(10).itertuples(index=False):
            out_console.print(f"[{'red' if row.flag == 'red' else 'yellow'}]{row.flag:>6}[/] {row.explanation}", soft_wrap=True)
        if len(flagged) > 10:
            out_console.print(f"… and {len(flagged) - 10} more flags (see asset_flags.csv with --out)")


def _compact(value: float) -> str:
    """A number in at most about seven characters: 59.9M, 424k, 1,234, 0.833."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.1f}G"
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e5:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if size >= 100 else f"{value:.3g}"


def _print_grid(grid: Any, impact: Any, limit: int = 15) -> None:
    """Load the plan puts on each grid asset, fullest first, with its cascade flag."""
    worst = impact.worst_flags() if impact is not None else {}
    table = Table("asset", "capacity", "load before", "added", "utilisation", "flag",
                  title=f"grid load ({len(grid)} assets)", title_justify="left")
    for row in grid.head(limit).itertuples(index=False):
        flag = worst.get(row.asset, "green")
        style = {"red": "red", "orange": "yellow"}.get(flag, "green")
        table.add_row(str(row.asset), f"{row.capacity:,.4g}", f"{row.load_before:,.4g}",
                      f"{row.added:+,.3g}", f"{row.utilisation_before:.0%} → {row.utilisation_after:.0%}",
                      f"[{style}]{flag}[/]")
    out_console.print(table)


def _print_open_sites(sites: Any, wanted: tuple[str, ...], order: str, name: str, limit: int = 25) -> None:
    """The chosen sites, busiest first: what a planner looks at first."""
    columns = [c for c in wanted if c in sites.columns]
    label = "open sites" if name == "sites" else name
    headers = {"demand_served": "demand", "points_served": "points", "vehicles_needed": "vehicles",
               "vehicle_places": "places", "cars_given_up": "cars off", "space_won_m2": "m² won",
               "works_active": "works", "bridges_started": "bridges", "km_renewed": "km quay",
               "budget_used": "budget used", "crews_used": "crews", "extra_vehicle_hours": "extra veh-h",
               "nox_kg": "NOx kg", "past_safe_life": "past life"}
    table = Table(*[headers.get(c, c) for c in columns], title=f"{label} ({len(sites)})", title_justify="left")
    # rows in time order where the table is per period, busiest first otherwise
    for row in sites.sort_values(order, ascending=order == "period").head(limit).itertuples(index=False):
        cells = []
        for col in columns:
            value = getattr(row, col)
            if col == "utilisation":
                cells.append(f"{value:.0%}")
            elif isinstance(value, float):
                cells.append(_compact(value))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    out_console.print(table)
    if len(sites) > limit:
        out_console.print(f"… and {len(sites) - limit} more (see {name}.csv with --out)")


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
    app()


if __name__ == "__main__":
    main()
