"""What the command line shows people: plans, listings, flags, alternatives, batch tables.

Results go to stdout (``out``), progress and messages to stderr (``err``). Everything the
user wrote (ids, names, paths, explanations built from them) is printed as text, never
read as console markup: a site called ``Hub [north]`` prints as it is.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # the console module is imported by the command line before any model work
    from optimise.problem import Listing, Problem, Result

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

FLAG_STYLE = {"red": "red", "orange": "yellow", "green": "green", "no data": "dim", "planned": "blue", "opportunity": "green"}


def text(value: Any) -> str:
    """A value as plain text for a table cell or a line (markup characters escaped)."""
    return escape(str(value))


def number(value: float | None, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}g}"


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:,.6g}"
    return text(value)


def compact(value: float) -> str:
    """A number in at most about seven characters: 59.9M, 424k, 1,234, 0.833."""
    if math.isnan(value):
        return "-"
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.1f}G"
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e5:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if size >= 100 else f"{value:.3g}"


def flag_line(flag: str, explanation: str) -> str:
    return f"[{FLAG_STYLE.get(flag, 'green')}]{flag:>6}[/] {text(explanation)}"


def print_result(result: Result, problem: Problem | None = None, impact: Any = None) -> None:
    """The solver's figures, the problem's headline and listings, the plan's cascade flags."""
    status_style = {"optimal": "green", "feasible": "yellow", "given": "cyan"}.get(result.status, "red")
    table = Table(title=text(f"{result.problem}: {result.instance}"), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    # the plan in planner units first; the weighted objective, bound and gap below them
    table.add_row("status", f"[{status_style}]{result.status}[/] ({text(result.termination)})"
                  + ("" if result.gap is None else f", gap {result.gap:.4%}"))
    for label, value, *style in result.solution.headline:
        table.add_row(text(label), f"[{style[0]}]{text(value)}[/]" if style else text(value))
    table.add_row("[dim]objective[/]", f"[dim]{number(result.objective)} (best bound {number(result.bound)}"
                  f"{'' if result.gap is None else f', gap {result.gap:.4%}'})[/]")
    if result.status == "given":
        table.add_row("time", f"{result.seconds:.2f} s (reading and evaluating the plan)")
    else:
        table.add_row("time", f"{result.seconds:.2f} s (build {result.build_seconds:.2f} s, solve {result.solve_seconds:.2f} s)")
    if result.formulation:
        table.add_row("formulation", text(f"{result.formulation}; {result.size.get('rows', 0):,} rows, "
                                          f"{result.size.get('columns', 0):,} columns, "
                                          f"{result.size.get('nonzeros', 0):,} nonzeros"))
    out.print(table)
    worst = impact.worst_flags() if impact is not None else {}
    for listing in problem.listings if problem is not None else ():
        rows = result.tables.get(listing.table)
        if rows is not None and len(rows):
            print_listing(rows, listing, worst)
    if impact is not None:
        flags = impact.asset_flags()
        planned = int((flags["flag"] == "planned").sum())
        flagged = flags[~flags["flag"].isin(["green", "planned", "opportunity"])]
        if planned:
            out.print(text(f"{planned:,} planned closures (the plan's own works, by asset and period) are not flags; "
                           f"{len(flagged):,} knock-on effects are:"))
        for row in flagged.head(10).itertuples(index=False):
            out.print(flag_line(row.flag, row.explanation), soft_wrap=True)
        if len(flagged) > 10:
            out.print(f"… and {len(flagged) - 10} more flags (see asset_flags.csv with --out)")


def print_plan_check(check: Any) -> None:
    """The rules a given plan breaks, and how far it is from the optimum."""
    if check.breaks:
        out.print(f"[bold red]the plan breaks {len(check.breaks)} rule{'s' if len(check.breaks) > 1 else ''}:[/]")
        for line in check.breaks:
            out.print(f"  [red]✗[/] {text(line)}", soft_wrap=True)
    else:
        out.print("[green]the plan keeps every rule[/]")
    distance = check.distance()
    if check.optimum is None:
        return
    if distance is None:
        out.print(text(f"no optimum to compare with: the solve ended {check.optimum.status}"))
        return
    proven = "the optimum" if distance["optimum_status"] == "optimal" else \
        f"the best plan found ({check.optimum.gap:.2%} from optimal)"
    if distance["worse_by"] > 1e-9 * max(1.0, abs(distance["optimum"])):
        out.print(text(f"objective {number(check.result.objective)}: {number(distance['worse_by'])} "
                       f"({distance['worse_by_share']:.2%}) worse than {proven} ({number(distance['optimum'])})"))
    elif distance["worse_by"] < -1e-9 * max(1.0, abs(distance["optimum"])):
        out.print(text(f"objective {number(check.result.objective)}: {number(-distance['worse_by'])} better than "
                       f"{proven} ({number(distance['optimum'])})"
                       + (", only by breaking its rules" if check.breaks else "")))
    else:
        out.print(text(f"objective {number(check.result.objective)}: as good as {proven} "
                       f"({number(distance['optimum'])})"))


def print_listing(rows: Any, listing: Listing, worst_flags: dict[str, str]) -> None:
    """One solution table as the problem declared it (see :class:`optimise.problem.Listing`)."""
    if listing.open_only and "open" in rows.columns:
        rows = rows[rows["open"].astype(bool)]
    shown = [(column, header) for column, header in listing.columns if column in rows.columns]
    headers = [header for _, header in shown] + (["flag"] if listing.flag_by else [])
    title = f"{listing.title or listing.table} ({len(rows)})"
    table = Table(*headers, title=text(title), title_justify="left")
    if listing.sort in rows.columns:
        rows = rows.sort_values(listing.sort, ascending=listing.ascending, kind="stable")
    for row in rows.head(listing.limit).to_dict(orient="records"):
        cells = []
        for column, _ in shown:
            value = row[column]
            if column in listing.percent and isinstance(value, (int, float)):
                cells.append(f"{value:.0%}" if math.isfinite(value) else "-")
            elif isinstance(value, float):
                cells.append(compact(value))
            else:
                cells.append(text(value))
        if listing.flag_by:
            flag = worst_flags.get(row.get(listing.flag_by), "green")
            cells.append(f"[{FLAG_STYLE.get(flag, 'green')}]{flag}[/]")
        table.add_row(*cells)
    out.print(table)
    if len(rows) > listing.limit:
        out.print(f"… and {len(rows) - listing.limit} more (see {listing.table}.csv with --out)")


def print_explanation(run: Any) -> None:
    """Why no plan exists, which rules bind, the alternatives: what a run found besides its plan."""
    for line in run.why:
        out.print(f"[red]why:[/] {text(line)}", soft_wrap=True)
    if run.result.status == "infeasible" and not run.why:
        out.print("the rules that conflict could not be singled out", soft_wrap=True)
    for row in run.binding:
        out.print(f"[yellow]binds:[/] {text(row['text'])}", soft_wrap=True)


def figure(key: str, value: Any, signed: bool = False) -> str:
    """A planner's figure, compactly: shares in percent (points for a difference), large
    amounts without decimals, small ones with two."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return cell(value)
    sign = "+" if signed else ""
    if "share" in key or key in ("coverage", "utilisation"):
        return f"{value * 100:{sign}.1f} pp" if signed else f"{value:.1%}"
    return f"{value:{sign},.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:{sign},.2f}"


def print_alternatives(table: Any, within_percent: float, note: str = "",
                       key_figures: tuple[tuple[str, str], ...] = ()) -> None:
    """The plans side by side in planner units, each with what it gives up against the
    optimum; the weighted objective last."""
    shown = [(key, label) for key, label in key_figures if key in table.columns][:5]
    t = Table("plan", *[text(label) for _, label in shown], "changes", "objective",
              title=f"alternatives within {within_percent:g}% of the optimum (plan 0), in planner units; "
                    "added and removed decisions in alternatives.csv with --out", title_justify="left")
    for row in table.to_dict(orient="records"):
        figures = []
        for key, _ in shown:
            delta = row.get(f"{key}_vs_optimum")
            figures.append(figure(key, row[key]) + ("" if not delta or row["alternative"] == 0
                                                    else f"\n({figure(key, delta, signed=True)})"))
        added, removed = len((row["added"] or "").split()), len((row["removed"] or "").split())
        t.add_row(str(row["alternative"]), *figures, f"+{added} −{removed}" if row["alternative"] else "-",
                  f"[dim]{row['above_optimum']:+.2%}[/]")
    out.print(t)
    if note:
        out.print(text(note))


def print_front(front: Any, x: str, y: str, label: str) -> None:
    shown = [c for c in ("point", x, y, "n_open", "flag", "status", "gap", "seconds") if c in front.table.columns]
    table = Table(*[text(c) for c in shown], title=text(f"Pareto front: {x} vs {y} ({label})"), title_justify="left")
    for row in front.table[shown].itertuples(index=False):
        table.add_row(*[cell(v) for v in row])
    out.print(table)
    if front.dropped:
        out.print(f"[yellow]{front.dropped} dominated point(s) dropped (a solve stopped before proving optimality)[/]")
    out.print(f"{len(front.table)} points in {front.seconds:.1f} s")


def print_impact(impact: Any, summary: dict[str, Any], name: str) -> None:
    systems = Table("period", "system", "flag", "red", "orange", title=text(f"impact: {name}"), title_justify="left")
    for row in impact.system_flags().itertuples(index=False):
        style = FLAG_STYLE.get(row.flag, "green")
        systems.add_row(text(row.period), text(row.system), f"[{style}]{row.flag}[/]", str(row.red), str(row.orange))
    out.print(systems)
    flags = impact.asset_flags()
    for row in flags[flags["flag"] != "green"].head(15).itertuples(index=False):
        out.print(flag_line(row.flag, row.explanation), soft_wrap=True)
    if "resilience" in summary:
        res = summary["resilience"]
        out.print(f"N-1 of the base network (today, without the scenario): worst single failure keeps "
                  f"{res['n_minus_1_service_kept_worst']:.1%} of service "
                  f"({text(res['worst_single_failures'][0]['asset'])}); deepest cascade {res['deepest_cascade']} orders")
    out.print(f"evaluated in {summary['impact_seconds']:.2f} s")


def print_compare(table: Any, key_figures: tuple[tuple[str, str], ...] = ()) -> None:
    """The variants of a batch side by side: the planner's figures first, then flags, the
    weighted objective and the solver's figures."""
    if table.empty:
        return
    leading = [(key, label) for key, label in key_figures if key in table.columns][:3]
    rest = [(c, {"red_flags": "red", "orange_flags": "orange"}.get(c, c))
            for c in ("red_flags", "orange_flags", "objective", "gap") if c in table.columns]
    figures = leading + rest
    t = Table(title="variants (overrides, seconds and every figure: results.csv)", title_justify="left")
    t.add_column("variant", overflow="fold", min_width=14)
    t.add_column("status")
    for _, label in figures:
        t.add_column(text(label))
    for row in table.to_dict(orient="records"):
        cells = [text(row["variant"]), text(row.get("status"))]
        cells += [f"{row[c]:.3%}" if c == "gap" and isinstance(row.get(c), float) and not math.isnan(row[c])
                  else figure(c, row.get(c)) if (c, label) in leading else cell(row.get(c)) for c, label in figures]
        t.add_row(*cells)
    out.print(t)
    if "reason" in table.columns:
        for row in table[table.get("status") == "failed"].to_dict(orient="records"):
            out.print(f"[red]failed[/] {text(row['variant'])}: {text(row['reason'])}", soft_wrap=True)
