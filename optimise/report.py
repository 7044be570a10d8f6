"""The report of a scenario or a plan on the vital systems: tables, a flag map and a Markdown
report, written into a result folder."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from optimise.cascade import Impact
from optimise.files import MARKER, atomic_folder, to_json
from optimise.plots import FLAG_COLOURS


def write_impact(out: Path, impact: Impact, summary: dict[str, Any], resilience_table: pd.DataFrame | None,
                 background: list[Any] | None = None) -> None:
    """The impact folder: tables, flag maps (PNG, drawn on ``background``: see
    :func:`optimise.mapping.instance_background`), a Markdown report and report.html,
    atomically."""
    from optimise.webreport import impact_page, write_report

    with atomic_folder(out) as tmp:
        files = write_impact_files(tmp, impact, summary, resilience_table, background)
        files.append(write_report(tmp, impact_page(impact, summary)))
        (tmp / MARKER).write_text(to_json({**summary, "files": sorted(files + [MARKER])}) + "\n", encoding="utf-8")



def write_impact_files(folder: Path, impact: Impact, summary: dict[str, Any], resilience_table: pd.DataFrame | None,
                       background: list[Any] | None = None) -> list[str]:
    flags = impact.asset_flags()
    tables = {"asset_flags": flags, "system_flags": impact.system_flags(), "indicators": impact.indicators()}
    if resilience_table is not None:
        tables["n_minus_1"] = resilience_table
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    files = [f"{name}.csv" for name in tables]
    maps = flag_maps(impact, folder, background)
    files += maps
    (folder / "report.md").write_text(report_markdown(impact, summary, maps), encoding="utf-8")
    return files + ["report.md"]



#: Per-period flag maps are drawn up to this many periods; beyond, the overview and
#: report.html (a period list on its map) carry them.
MAX_PERIOD_MAPS = 6


def flag_maps(impact: Impact, folder: Path, background: list[Any] | None = None) -> list[str]:
    """Static flag maps: ``flags.png``, the worst flag of each asset over the periods, and
    ``flags_<period>.png`` per period (up to MAX_PERIOD_MAPS periods); each a panel per system
    with knock-on flags. [] when the assets have no geometry."""
    geometry = getattr(impact.vs, "geometry", None)
    if geometry is None:
        return []
    flags = impact.asset_flags()
    periods = sorted(flags["period"].unique().tolist()) if len(flags) else []
    worst = flags.assign(rank=flags["flag"].map(_rank)).sort_values(["rank", "people_lost"], ascending=False) \
        .drop_duplicates("asset") if len(flags) else flags
    several = len(periods) > 1
    title = f"{impact.scenario.name}: " + ("worst flag of each asset over " + f"{periods[0]}–{periods[-1]}"
                                           if several else f"{periods[0] if periods else ''}")
    files = [_flag_figure(impact, worst, folder / "flags.png", title, background)]
    if several and len(periods) <= MAX_PERIOD_MAPS:
        for period in periods:
            files.append(_flag_figure(impact, flags[flags["period"] == period], folder / f"flags_{period}.png",
                                      f"{impact.scenario.name}: {period}", background))
    return files


def _flag_figure(impact: Impact, flags: pd.DataFrame, path: Path, title: str, context: list[Any] | None) -> str:
    """One figure: a panel per system with knock-on flags (orange, red; circles, labelled by
    name, the worst first), the plan's own works and the scenario's changes as blue squares in
    every panel, all assets faint underneath; scale bar, north arrow, legend."""
    from matplotlib.lines import Line2D

    from optimise.mapping import background, finish_map, label
    from optimise.plots import pyplot

    plt = pyplot()
    vs = impact.vs
    geometry = vs.geometry.reset_index(drop=True)
    where = {a: k for k, a in enumerate(vs.assets["id"])}
    is_knock = impact.knock_ons(flags)
    own = flags[~is_knock & (flags["flag"] != "green")]
    knock = flags[is_knock]
    systems = sorted(knock["system"].unique()) or ["all systems"]
    cols = min(3, len(systems))
    rows = -(-len(systems) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 5.6 * rows), squeeze=False)
    centres = geometry.representative_point()
    x0, y0, x1, y1 = _view(centres, [where[a] for a in pd.concat([own["asset"], knock["asset"]]) if a in where],
                           geometry.total_bounds)
    for ax, system in zip(axes.flat, systems):
        shown = [(layer.cx[x0:x1, y0:y1], style) for layer, style in context or []]
        background(ax, shown + [(geometry[geometry.geom_type.str.contains("Line")], {"color": "#cfcfcf", "linewidth": 0.4}),
                                (geometry[geometry.geom_type == "Point"], {"color": "#cfcfcf", "markersize": 2})])
        ax.set_xlim(x0, x1)  # before the labels: they are placed inside the view
        ax.set_ylim(y0, y1)
        works = list(dict.fromkeys(where[a] for a in own["asset"] if a in where))
        if works:
            ax.scatter(centres.x.iloc[works], centres.y.iloc[works], marker="s", s=22, color=FLAG_COLOURS["planned"],
                       edgecolor="white", linewidths=0.4, zorder=5)
        mine = knock[knock["system"] == system].assign(rank=lambda t: t["flag"].map(_rank))
        mine = mine.sort_values(["rank", "people_lost"], ascending=False)
        ks = [where[a] for a in mine["asset"] if a in where]
        if ks:
            # red drawn last (on top); labels go to the worst first
            ax.scatter(centres.x.iloc[ks[::-1]], centres.y.iloc[ks[::-1]], s=36,
                       c=[FLAG_COLOURS[f] for f in mine["flag"][::-1]], edgecolor="black", linewidths=0.5, zorder=6)
        # names: the knock-ons, worst first, then the works that cause them
        named = ks + [k for k in works if k not in ks]
        label(ax, centres.x.iloc[named], centres.y.iloc[named], [vs.label(k) for k in named])
        counts = mine["flag"].value_counts()
        ax.set_title(f"{system}: {counts.get('red', 0)} red, {counts.get('orange', 0)} orange", fontsize=10, y=1.0)
        handles = [Line2D([], [], marker="s", linestyle="", color=FLAG_COLOURS["planned"],
                          label="the plan's works, the scenario's changes"),
                   Line2D([], [], marker="o", linestyle="", color=FLAG_COLOURS["red"], markeredgecolor="black",
                          label="red: service lost (knock-on)"),
                   Line2D([], [], marker="o", linestyle="", color=FLAG_COLOURS["orange"], markeredgecolor="black",
                          label="orange: under strain (knock-on)"),
                   Line2D([], [], color="#cfcfcf", marker="o", markersize=3, label="other assets")]
        if context:
            handles.append(Line2D([], [], color="#e6e6e6", lw=2, label="streets, neighbourhoods (the instance's)"))
        finish_map(ax, projected=geometry.crs is not None and geometry.crs.is_projected,
                   legend_handles=handles if ax is axes.flat[0] else None)
    for ax in list(axes.flat)[len(systems):]:
        ax.set_axis_off()
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95 if rows == 1 else 0.97))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path.name


#: A flag map shows at least this much (m) around what it flags, so that a planner sees where.
MIN_VIEW_M = 2000.0


def _view(centres: Any, ks: list[int], bounds: Any) -> tuple[float, float, float, float]:
    """The map's extent: the flagged assets and works, padded by a fifth and at least
    MIN_VIEW_M across; the whole layer when nothing is flagged."""
    if not ks:
        x0, y0, x1, y1 = bounds
        pad = 0.03 * max(x1 - x0, y1 - y0, 1.0)
        return x0 - pad, y0 - pad, x1 + pad, y1 + pad
    xs, ys = centres.x.iloc[ks].to_numpy(), centres.y.iloc[ks].to_numpy()
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    half = max(xs.max() - xs.min(), ys.max() - ys.min(), MIN_VIEW_M) * 0.6
    return cx - half, cy - half, cx + half, cy + half


def _rank(flag: str) -> float:
    return {"green": 0, "planned": 0.5, "opportunity": 0.5, "orange": 1, "red": 2}[flag]



def report_markdown(impact: Impact, summary: dict[str, Any], maps: list[str]) -> str:
    systems = impact.system_flags()
    flags = impact.asset_flags()
    ind = impact.indicators()
    lines = [f"# Impact report: {impact.scenario.name}", ""]
    lines += [f"![flags]({name})" for name in maps] + ([""] if maps else [])
    if maps and len(maps) == 1 and flags["period"].nunique() > 1:
        lines += ["Per period: the map in report.html (a period list and a layer per system).", ""]
    lines += ["## Systems", "", "The flag of a system is the worst of its knock-on effects; the plan's own works "
              "(renewals, cables moved) are counted as planned, not as flags.", "",
              "| period | system | flag | red | orange | planned |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.period} | {r.system} | {r.flag} | {r.red} | {r.orange} | {r.planned} |" for r in systems.itertuples()]
    lines += ["", "## Indicators", "", "| period | system | indicator | value | unit |", "|---|---|---|---|---|"]
    lines += [f"| {r.period} | {r.system} | {r.indicator} | {r.value:,.4g} | {r.unit} |"
              for r in ind.itertuples() if r.value]
    flagged = flags[~flags["flag"].isin(["green", "planned", "opportunity"])]
    lines += ["", "## Flagged assets and why", ""]
    if len(flagged) == 0:
        lines.append("No asset is flagged orange or red.")
    else:
        lines += ["| period | asset | system | flag | loss | explanation |", "|---|---|---|---|---|---|"]
        lines += [f"| {r.period} | {r.asset} | {r.system} | {r.flag} | {r.loss:.0%} | {r.explanation} |"
                  for r in flagged.head(200).itertuples()]
        if len(flagged) > 200:
            lines.append(f"\n… {len(flagged) - 200} more in asset_flags.csv")
    res = summary.get("resilience")
    if res:
        lines += ["", "## Resilience (N-1) of the base network", "",
                  "Single failures in today's network, without the scenario's changes: the same for every "
                  "scenario of these layers.", "",
                  f"- service kept under the worst single failure: {res['n_minus_1_service_kept_worst']:.1%}",
                  f"- mean over all single failures: {res['n_minus_1_service_kept_mean']:.1%}",
                  f"- deepest cascade: {res['deepest_cascade']} orders",
                  "- single failures that hurt most: " + ", ".join(
                      f"{w['asset']} ({w['people_lost']:,.0f} people)" for w in res["worst_single_failures"]),
                  ]
    return "\n".join(lines) + "\n"

