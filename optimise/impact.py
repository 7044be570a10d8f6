"""Impact of a scenario on an instance's vital systems: loading, scenario files, the report.

Scenario file (TOML)::

    name = "Hemweg substation out for two years"
    periods = [2027, 2028, 2029]     # optional; default [0]

    [[change]]
    asset = "SUB-HEMWEG"
    kind = "outage"                  # outage | capacity | load
    value = 1.0                      # outage: share out (1 = fully); capacity/load: amount added
    periods = [2027, 2028]           # optional inclusive range; default every period
    cause = "renewal works"          # optional, used in explanations

or CSV with columns ``asset, kind, value, start, end, cause`` (``start``/``end`` optional).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimise.cascade import Change, Impact, Scenario, Thresholds, evaluate, n_minus_one, resilience_summary
from optimise.errors import InputError
from optimise.instance import Instance
from optimise.io import MARKER, atomic_folder, read_table, read_toml, to_json
from optimise.schema import Column, TableSchema, validate_table
from optimise.vital import VitalSystems

CHANGE_KEYS = {"asset", "kind", "value", "periods", "cause"}
SCENARIO_KEYS = {"name", "periods", "change"}

CHANGES = TableSchema(
    "changes",
    (
        Column("asset", "id", "the asset changed"),
        Column("kind", "text", "outage, capacity or load"),
        Column("value", "number", "outage: share out; capacity, load: amount added", required=False, default=1.0, blank=1.0),
        Column("start", "number", "first period (inclusive); empty: from the first", required=False, default=None, blank=np.nan),
        Column("end", "number", "last period (inclusive); empty: to the last", required=False, default=None, blank=np.nan),
        Column("cause", "text", "why (for explanations)", required=False, default=""),
    ),
)


def thresholds(instance: Instance) -> Thresholds:
    return Thresholds(**{k: float(v) for k, v in instance.cascade.items()})


def read_scenario(path: Path) -> Scenario:
    label = str(path)
    if not path.exists():
        raise InputError("file not found", file=label)
    if path.suffix.lower() == ".toml":
        raw = read_toml(path, SCENARIO_KEYS)
        rows = raw.get("change", [])
        if not isinstance(rows, list):
            raise InputError("expected [[change]] tables", file=label, field="change")
        for k, row in enumerate(rows, start=1):
            extra = sorted(set(row) - CHANGE_KEYS)
            if extra:
                raise InputError(f"unknown key (known: {', '.join(sorted(CHANGE_KEYS))})", file=label,
                                 field=f"change.{extra[0]}", row=k)
            periods = row.get("periods")
            if periods is not None and (not isinstance(periods, list) or len(periods) != 2):
                raise InputError("periods must be [first, last]", file=label, field="change.periods", row=k)
        table = pd.DataFrame({
            "asset": [r.get("asset") for r in rows],
            "kind": [r.get("kind", "outage") for r in rows],
            "value": [r.get("value", 1.0) for r in rows],
            "start": [r["periods"][0] if r.get("periods") else None for r in rows],
            "end": [r["periods"][1] if r.get("periods") else None for r in rows],
            "cause": [r.get("cause", "") for r in rows],
        })
        name = str(raw.get("name", path.stem))
        periods = raw.get("periods", [0])
        if not isinstance(periods, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in periods) or not periods:
            raise InputError("expected a list of whole numbers", file=label, field="periods")
    else:
        table = read_table(path, label)
        name, periods = path.stem, None
    if len(table) == 0:
        return Scenario(name, [], periods or [0])
    table = validate_table(table, CHANGES, file=label)
    changes = []
    for k, row in enumerate(table.itertuples(index=False), start=1):
        if row.kind not in ("outage", "capacity", "load"):
            raise InputError(f"unknown change kind {row.kind!r} (outage, capacity, load)", file=label, field="kind", row=k)
        start, end = _period(row.start), _period(row.end)
        span = None if start is None and end is None else (start if start is not None else end, end if end is not None else start)
        changes.append(Change(row.asset, row.kind, float(row.value), span, row.cause or ""))
    if periods is None:
        bounds = sorted({p for c in changes if c.periods for p in range(c.periods[0], c.periods[1] + 1)})
        periods = bounds or [0]
    return Scenario(name, changes, list(periods))


def _period(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value != int(value):
        raise InputError(f"a period is a whole number, found {value!r}", field="start/end")
    return int(value)


def check_scenario(vs: VitalSystems, scenario: Scenario, label: str) -> None:
    for k, change in enumerate(scenario.changes, start=1):
        vs.position(change.asset, file=label, field="asset", row=k)


def summarise(impact: Impact) -> dict[str, Any]:
    """JSON-ready ``indicators`` and ``flags``."""
    flags = impact.asset_flags()
    return {
        "scenario": impact.scenario.name,
        "periods": impact.scenario.periods,
        "indicators": impact.indicators().to_dict(orient="records"),
        "flags": {
            "systems": impact.system_flags().to_dict(orient="records"),
            "assets": flags[flags["flag"] != "green"].to_dict(orient="records"),
            "counts": {f: int((flags["flag"] == f).sum()) for f in ("red", "orange")},
        },
    }


def run_impact(vs: VitalSystems, scenario: Scenario, limits: Thresholds, *, resilience: bool = True) -> tuple[Impact, dict[str, Any], pd.DataFrame | None]:
    start = time.perf_counter()
    impact = evaluate(vs, scenario, limits)
    summary = summarise(impact)
    summary["impact_seconds"] = round(time.perf_counter() - start, 4)  # cascade, indicators, flags
    table = None
    if resilience:
        t0 = time.perf_counter()
        table = n_minus_one(vs)
        summary["resilience"] = resilience_summary(table)
        summary["resilience_seconds"] = round(time.perf_counter() - t0, 4)
    return impact, summary, table


def write_impact(out: Path, impact: Impact, summary: dict[str, Any], resilience_table: pd.DataFrame | None) -> None:
    """The impact folder: tables, a flag map (PNG) and a Markdown report, atomically."""
    with atomic_folder(out) as tmp:
        write_impact_files(tmp, impact, summary, resilience_table)
        (tmp / MARKER).write_text(to_json(summary) + "\n", encoding="utf-8")


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


COLOURS = {"red": "#d7191c", "orange": "#fdae61", "green": "#1a9641"}


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
    for flag in ("green", "orange", "red"):
        part = layer[layer["flag"] == flag]
        if len(part):
            quiet = flag == "green"
            part.plot(ax=ax, color="#8fc98f" if quiet else COLOURS[flag], markersize=4 if quiet else 30,
                      linewidth=0.5 if quiet else 2.0, alpha=0.6 if quiet else 1.0, zorder=_rank(flag) + 1)
            handles.append(Line2D([], [], marker="o", linestyle="", color=COLOURS[flag], label=f"{flag} ({len(part)})"))
    flagged = [k for k, c in enumerate(colour) if c != "green"]
    if len(flagged) <= 40:
        for k in flagged:
            ax.annotate(str(vs.assets["id"].iloc[k]), (centres.x.iloc[k], centres.y.iloc[k]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_title(f"Cascade flags: {impact.scenario.name}")
    ax.set_axis_off()
    ax.legend(handles=handles, loc="lower right")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return True


def _rank(flag: str) -> int:
    return {"green": 0, "orange": 1, "red": 2}[flag]


def report_markdown(impact: Impact, summary: dict[str, Any], has_map: bool) -> str:
    systems = impact.system_flags()
    flags = impact.asset_flags()
    ind = impact.indicators()
    lines = [f"# Impact report: {impact.scenario.name}", ""]
    if has_map:
        lines += ["![flags](flags.png)", ""]
    lines += ["## Systems", "", "| period | system | flag | red | orange |", "|---|---|---|---|---|"]
    lines += [f"| {r.period} | {r.system} | {r.flag} | {r.red} | {r.orange} |" for r in systems.itertuples()]
    lines += ["", "## Indicators", "", "| period | system | indicator | value | unit |", "|---|---|---|---|---|"]
    lines += [f"| {r.period} | {r.system} | {r.indicator} | {r.value:,.4g} | {r.unit} |"
              for r in ind.itertuples() if r.value]
    flagged = flags[flags["flag"] != "green"]
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
        lines += ["", "## Resilience (N-1)", "",
                  f"- service kept under the worst single failure: {res['n_minus_1_service_kept_worst']:.1%}",
                  f"- mean over all single failures: {res['n_minus_1_service_kept_mean']:.1%}",
                  f"- deepest cascade: {res['deepest_cascade']} orders",
                  "- single failures that hurt most: " + ", ".join(
                      f"{w['asset']} ({w['people_lost']:,.0f} people)" for w in res["worst_single_failures"]),
                  ]
    return "\n".join(lines) + "\n"
