"""Figures of a renewal schedule: the Gantt chart and a map per period."""

from __future__ import annotations

from typing import Any

import numpy as np

from optimise.plots import FLAG_COLOURS, pyplot

#: Works by kind: purple and brown, apart from the flag colours (red, orange, blue, green).
KIND_COLOURS = {"bridge": "#6a3d9a", "quay": "#8c510a"}


def gantt(data: Any, result: Any, ax: Any = None) -> Any:
    """One bar per scheduled work (sorted by start), coloured by kind, with the latest start
    of works due marked; below, budget used against the budget per period."""
    plt = pyplot()
    sched = result.tables["schedule"]
    periods = result.tables["periods"]
    done = sched[sched["start"].notna()].sort_values(["start", "kind", "id"]).reset_index(drop=True)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 9), height_ratios=[4, 1.3], sharex=True)
    starts = done["start"].astype(int).to_numpy()
    ends = done["end"].astype(int).to_numpy()
    colours = [KIND_COLOURS.get(k, "#7f7f7f") for k in done["kind"]]
    top.barh(np.arange(len(done)), ends - starts + 1, left=starts - 0.5, height=1.0, color=colours, linewidth=0)
    due = done["latest"].notna().to_numpy()
    top.scatter(done["latest"][due].astype(int) + 0.5, np.arange(len(done))[due], marker="|", s=6, color="black",
                linewidths=0.5, label="latest start (safe life)")
    bundled = done["cables_bundled"].astype(str).str.len().to_numpy() > 0
    top.scatter(starts[bundled], np.arange(len(done))[bundled], marker=".", s=3, color="#2ca02c",
                label="cables or pipes moved in the same works")
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=k) for k, c in KIND_COLOURS.items() if k in set(done["kind"])]
    top.legend(handles=handles + top.get_legend_handles_labels()[0], loc="lower right", fontsize=8)
    top.set_ylabel(f"works ({len(done):,} scheduled, by start)")
    top.set_ylim(len(done), -1)
    top.set_yticks([])
    s = result.solution.summary
    top.set_title(f"Renewal schedule: {s['works_scheduled']:,} works, {s['km_renewed']:.0f} km of quay, "
                  f"{s['past_safe_life']} past safe life", fontsize=11)
    bottom.bar(periods["period"], periods["budget_used"] / 1e6, color="#7f7f7f", label="budget used")
    bottom.step(periods["period"], periods["budget"] / 1e6, where="mid", color="black", label="budget")
    bottom.set_ylabel("million")
    bottom.legend(fontsize=8, loc="lower right")
    bottom.set_xticks(periods["period"])
    bottom.tick_params(axis="x", labelrotation=90, labelsize=8)
    fig.tight_layout()
    return fig


def period_maps(data: Any, result: Any, impact: Any = None) -> dict[str, Any]:
    """For each period: all works in grey, those in works coloured by kind, street links
    flagged by the cascade check in that period (orange/red)."""
    if data.geometry is None:
        return {}
    plt = pyplot()
    sched = result.tables["schedule"]
    geometry = data.geometry
    start = sched["start"].to_numpy(dtype=object)
    end = sched["end"].to_numpy(dtype=object)
    flags = impact.asset_flags() if impact is not None else None
    vs = data.vital
    geo = getattr(vs, "geometry", None) if vs is not None else None
    figures = {}
    base_kwargs = {"color": "#cccccc", "linewidth": 0.6, "markersize": 2}
    x0, y0, x1, y1 = geometry.total_bounds
    for label in data.periods:
        label = int(label)
        active = np.array([s is not None and not _na(s) and int(s) <= label <= int(e) for s, e in zip(start, end)])
        fig, ax = plt.subplots(figsize=(8, 8))
        geometry.plot(ax=ax, **base_kwargs)
        if flags is not None and geo is not None:
            here = flags[(flags["period"] == label) & (flags["flag"] != "green")]
            for flag in ("orange", "red"):
                ids = set(here.loc[here["flag"] == flag, "asset"])
                mask = vs.assets["id"].isin(ids).to_numpy()
                if mask.any():
                    geo[mask].plot(ax=ax, color=FLAG_COLOURS[flag], linewidth=1.5, markersize=6, alpha=0.7)
        for kind, colour in KIND_COLOURS.items():
            mask = active & (sched["kind"].to_numpy() == kind)
            if mask.any():
                geometry[mask].plot(ax=ax, color=colour, linewidth=2.5, markersize=18)
        row = result.tables["periods"].set_index("period").loc[label]
        ax.set_title(f"{label}: {int(row['works_active'])} works, {row['km_renewed']:.1f} km quay, "
                     f"{row['extra_vehicle_hours']:,.0f} extra vehicle-hours", fontsize=10)
        ax.set_xlim(x0 - 200, x1 + 200)
        ax.set_ylim(y0 - 200, y1 + 200)
        ax.set_aspect("equal")
        ax.set_axis_off()
        figures[f"map_{label}"] = fig
    return figures


def _na(value: Any) -> bool:
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


WORK_POPUP = (("id", "id"), ("name", "name"), ("kind", "kind"), ("district", "district"), ("start", "start"),
              ("end", "end"), ("latest", "latest start (safe life)"), ("cost", "cost (€)"), ("length_m", "length (m)"),
              ("vehicle_hours_per_period", "extra vehicle-hours a year"),
              ("bicycle_hours_per_period", "extra bicycle-hours a year"),
              ("pedestrian_hours_per_period", "extra pedestrian-hours a year"), ("cables_bundled", "cables moved with it"))


def web_layers(result: Any) -> list[Any]:
    """The schedule on report.html's map: per period the works under way, bridges and quays
    in their colours; every work of the horizon as one layer, off at first."""
    from optimise.webreport import MapLayer

    layers = result.layers
    if "schedule" not in layers:
        return []
    legend = {f"{kind} in works": colour for kind, colour in KIND_COLOURS.items()}
    out = []
    for name, frame in layers.items():
        if not name.startswith("period_"):
            continue
        frame = frame.copy()
        frame["_colour"] = frame["kind"].map(KIND_COLOURS).fillna("#7f7f7f")
        out.append(MapLayer(f"works {name[7:]}", frame, "works under way", name[7:], "_colour", WORK_POPUP,
                            radius=6, weight=5, legend=legend))
    everything = layers["schedule"].copy()
    everything["_colour"] = np.where(everything["start"].notna(), "#555555", "#cccccc")
    out.append(MapLayer("all works", everything, "all works of the horizon", None, "_colour", WORK_POPUP, radius=3,
                        weight=2, shown=False, legend={"scheduled (any year)": "#555555", "not scheduled": "#cccccc"}))
    return out


def gantt_chart(result: Any) -> Any:
    """The schedule as an interactive Gantt chart: a bar per work from its start to its end
    year, by kind, hovering shows the name, cost and latest start; below, budget used per year."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sched = result.tables["schedule"]
    periods = result.tables["periods"]
    done = sched[sched["start"].notna()].sort_values(["start", "kind", "id"]).reset_index(drop=True)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22], vertical_spacing=0.04)
    for kind, colour in KIND_COLOURS.items():
        part = done[done["kind"] == kind]
        if not len(part):
            continue
        label = part["id"].astype(str) + " " + part["name"].fillna("").astype(str)
        latest = part["latest"].map(lambda v: "not due" if _na(v) else f"{int(v)}")
        fig.add_trace(go.Bar(
            y=label, x=part["end"] - part["start"] + 1, base=part["start"] - 0.5, orientation="h", name=kind,
            marker_color=colour, customdata=np.column_stack([part["start"], part["end"], latest, part["cost"] / 1e6]),
            hovertemplate="%{y}<br>%{customdata[0]}–%{customdata[1]}, latest start %{customdata[2]}"
                          "<br>€ %{customdata[3]:.1f} million<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=periods["period"], y=periods["budget_used"] / 1e6, name="budget used (€ million)",
                         marker_color="#7f7f7f"), row=2, col=1)
    fig.add_trace(go.Scatter(x=periods["period"], y=periods["budget"] / 1e6, name="budget (€ million)",
                             mode="lines", line={"shape": "hvh", "color": "black"}), row=2, col=1)
    fig.update_yaxes(autorange="reversed", showticklabels=len(done) <= 60, row=1, col=1,
                     title_text=f"{len(done):,} works, by start")
    fig.update_yaxes(title_text="€ million", row=2, col=1)
    fig.update_xaxes(dtick=1, row=2, col=1)
    fig.update_layout(barmode="overlay", height=max(520, min(1400, 12 * len(done) + 200)), bargap=0.1,
                      legend={"orientation": "h", "y": 1.04}, margin={"l": 60, "r": 20, "t": 40, "b": 40})
    return fig
