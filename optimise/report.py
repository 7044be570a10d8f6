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


def write_impact(out: Path, impact: Impact, summary: dict[str, Any], resilience_table: pd.DataFrame | None) -> None:
    """The impact folder: tables, a flag map (PNG) and a Markdown report, atomically."""
    from optimise.webreport import impact_page, write_report

    with atomic_folder(out) as tmp:
        files = write_impact_files(tmp, impact, summary, resilience_table)
        files.append(write_report(tmp, impact_page(impact, summary)))
        (tmp / MARKER).write_text(to_json({**summary, "files": sorted(files + [MARKER])}) + "\n", encoding="utf-8")



def write_impact_files(folder: Path, impact: Impact, summary: dict[str, Any], resilience_table: pd.DataFrame | None) -> list[str]:
    flags = impact.asset_flags()
    tables = {"asset_flags": flags, "system_flags": impact.system_flags(), "indicators": impact.indicators()}
    if resilience_table is not None:
        tables["n_minus_1"] = resilience_table
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    files = [f"{name}.csv" for name in tables]
    if flag_map(impact, folder / "flags.png"):
        files.append("flags.png")
    (folder / "report.md").write_text(report_markdown(impact, summary, "flags.png" in files), encoding="utf-8")
    return files + ["report.md"]



def flag_map(impact: Impact, path: Path) -> bool:
    """A static map of asset flags in the worst period; False when assets have no geometry."""
    geometry = getattr(impact.vs, "geometry", None)
    if geometry is None:
        return False
    import geopandas as gpd

    from optimise.plots import pyplot

    plt = pyplot()
    worst = impact.worst_flags()
    colour = [worst.get(a, "green") for a in impact.vs.assets["id"]]
    layer = gpd.GeoDataFrame({"flag": colour}, geometry=geometry.reset_index(drop=True))
    fig, ax = plt.subplots(figsize=(8, 8))
    centres = layer.geometry.representative_point()
    vs = impact.vs
    if 0 < len(vs.src) <= 5000:
        # dependencies as thin lines from supplier to dependent
        for s_, t_ in zip(vs.src, vs.dst):
            ax.plot([centres.x.iloc[s_], centres.x.iloc[t_]], [centres.y.iloc[s_], centres.y.iloc[t_]],
                    color="#999999", linewidth=0.4, zorder=0)
    from matplotlib.lines import Line2D

    handles = []
    for flag in ("green", "planned", "opportunity", "orange", "red"):
        part = layer[layer["flag"] == flag]
        if len(part):
            quiet = flag == "green"
            part.plot(ax=ax, color="#8fc98f" if quiet else FLAG_COLOURS[flag], markersize=4 if quiet else 30,
                      linewidth=0.5 if quiet else 2.0, alpha=0.6 if quiet else 1.0, zorder=_rank(flag) + 1)
            handles.append(Line2D([], [], marker="o", linestyle="", color=FLAG_COLOURS[flag], label=f"{flag} ({len(part)})"))
    flagged = [k for k, c in enumerate(colour) if c != "green"]
    if len(flagged) <= 40:
        for k in flagged:
            ax.annotate(vs.label(k), (centres.x.iloc[k], centres.y.iloc[k]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_title(f"Cascade flags: {impact.scenario.name}")
    ax.set_axis_off()
    ax.legend(handles=handles, loc="lower right")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return True



def _rank(flag: str) -> float:
    return {"green": 0, "planned": 0.5, "opportunity": 0.5, "orange": 1, "red": 2}[flag]



def report_markdown(impact: Impact, summary: dict[str, Any], has_map: bool) -> str:
    systems = impact.system_flags()
    flags = impact.asset_flags()
    ind = impact.indicators()
    lines = [f"# Impact report: {impact.scenario.name}", ""]
    if has_map:
        lines += ["![flags](flags.png)", ""]
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

