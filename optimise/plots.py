"""Charts the engine draws for any problem (problem-specific maps live with the problem)."""

from __future__ import annotations

from typing import Any

FLAG_COLOURS = {"red": "#d62728", "orange": "#ff7f0e", "green": "#2ca02c", "planned": "#1f77b4", "opportunity": "#17becf"}


def pyplot() -> Any:
    """matplotlib.pyplot, on the file backend (Agg) unless the caller already chose one
    (a notebook keeps its inline figures)."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pareto_plot(front: Any, objectives: dict[str, Any], ax: Any = None) -> Any:
    """The front as connected points, coloured by the worst cascade flag when known;
    arrows on the axes say which way is better."""
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 5))
    else:
        fig = ax.figure
    t = front.table
    ax.plot(t[front.x], t[front.y], color="#888888", linewidth=1, zorder=1)
    colours = [FLAG_COLOURS.get(f, "#1f77b4") for f in t["flag"]] if "flag" in t.columns else "#1f77b4"
    ax.scatter(t[front.x], t[front.y], c=colours, s=45, edgecolor="black", linewidths=0.6, zorder=2)
    for row in t.itertuples(index=False):
        ax.annotate(str(row.point), (getattr(row, front.x), getattr(row, front.y)), fontsize=8,
                    xytext=(4, 4), textcoords="offset points")

    def label(name: str) -> str:
        term = objectives[name]
        better = "higher is better" if term.maximize else "lower is better"
        return f"{name} ({term.unit}; {better})"

    ax.set_xlabel(label(front.x))
    ax.set_ylabel(label(front.y))
    ax.set_title(f"Pareto front: {front.x} vs {front.y} ({len(t)} points)")
    if "flag" in t.columns:
        from matplotlib.lines import Line2D

        present = [f for f in ("green", "orange", "red") if f in set(t["flag"])]
        ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=FLAG_COLOURS[f], label=f"cascade flag {f}")
                           for f in present], fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def compare_plot(table: Any, key_figures: tuple[tuple[str, str], ...] = ()) -> Any:
    """Variants side by side: the planner's first figure (the objective when the problem names
    none; bars coloured by the worst cascade flag) and, when known, the flag counts."""
    plt = pyplot()
    solved = table[table["status"].isin(["optimal", "feasible"])] if "status" in table.columns else table
    flags = "red_flags" in solved.columns
    fig, axes = plt.subplots(2 if flags else 1, 1, figsize=(max(6, 0.45 * len(table) + 2), 7 if flags else 4),
                             squeeze=False, sharex=True)
    names = solved["variant"].astype(str).tolist()
    colours = ["#1f77b4"] * len(solved)
    if flags:
        colours = [FLAG_COLOURS["red"] if r > 0 else FLAG_COLOURS["orange"] if o > 0 else FLAG_COLOURS["green"]
                   for r, o in zip(solved["red_flags"].fillna(0), solved["orange_flags"].fillna(0))]
    top = axes[0][0]
    lead = next(((key, label) for key, label in key_figures if key in solved.columns),
                ("objective", "objective (the problem's weighted sum, no unit)"))
    top.bar(names, solved[lead[0]], color=colours)
    top.set_ylabel(lead[1])
    top.set_title(f"{len(solved)} of {len(table)} variants with a plan")
    if flags:
        bottom = axes[1][0]
        bottom.bar(names, solved["red_flags"], color=FLAG_COLOURS["red"], label="red flags")
        bottom.bar(names, solved["orange_flags"], bottom=solved["red_flags"], color=FLAG_COLOURS["orange"],
                   label="orange flags")
        bottom.set_ylabel("cascade flags (count)")
        from matplotlib.ticker import MaxNLocator

        bottom.yaxis.set_major_locator(MaxNLocator(integer=True))  # flags are counted, never 2.5
        bottom.legend(fontsize=8)
    for ax in axes[:, 0]:
        ax.tick_params(axis="x", labelrotation=75, labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
