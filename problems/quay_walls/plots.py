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
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, max(9.0, 0.11 * len(done) + 3) if len(done) <= 90 else 9.0),
                                      height_ratios=[4, 1.3], sharex=True)
    starts = done["start"].astype(int).to_numpy()
    ends = done["end"].astype(int).to_numpy()
    colours = [KIND_COLOURS.get(k, "#7f7f7f") for k in done["kind"]]
    top.barh(np.arange(len(done)), ends - starts + 1, left=starts - 0.5, height=0.8, color=colours, linewidth=0)
    due = done["latest"].notna().to_numpy()
    # the latest start a work's safe life allows: a black tick at the end of that year
    top.scatter(done["latest"][due].astype(int) + 0.5, np.arange(len(done))[due], marker="<", s=14, color="black",
                linewidths=0, label="latest start (safe life)", zorder=3)
    bundled = done["cables_bundled"].astype(str).str.len().to_numpy() > 0
    top.scatter(starts[bundled] - 0.5, np.arange(len(done))[bundled], marker="o", s=8, color="#2ca02c",
                label="cables or pipes moved in the same works", zorder=3)
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=k) for k, c in KIND_COLOURS.items() if k in set(done["kind"])]
    # the legend above the chart, where it hides no bar
    top.legend(handles=handles + top.get_legend_handles_labels()[0], loc="lower left", bbox_to_anchor=(0, 1.0),
               ncol=4, fontsize=8, frameon=False)
    top.set_ylabel(f"works ({len(done):,} scheduled, by start)")
    top.set_ylim(len(done), -1)
    if len(done) <= 90:  # names where they can be read
        top.set_yticks(np.arange(len(done)))
        top.set_yticklabels([f"{i} {n}" if isinstance(n, str) and n else str(i)
                             for i, n in zip(done["id"], done["name"])], fontsize=5.5)
    else:
        top.set_yticks([])
    s = result.solution.summary
    top.set_title(f"Renewal schedule: {s['works_scheduled']:,} works, {s['km_renewed']:.0f} km of quay, "
                  f"{s['past_safe_life']} past safe life", fontsize=11, pad=30, y=1.0)
    bottom.bar(periods["period"], periods["budget_used"] / 1e6, color="#7f7f7f", label="budget used")
    bottom.step(periods["period"], periods["budget"] / 1e6, where="mid", color="black", label="budget")
    bottom.set_ylabel("€ million a year")
    bottom.legend(fontsize=8, loc="lower right")
    bottom.set_xticks(periods["period"])
    bottom.tick_params(axis="x", labelrotation=90, labelsize=8)
    fig.tight_layout()
    return fig


def period_maps(data: Any, result: Any, impact: Any = None, periods: Any = None) -> dict[str, Any]:
    """For each period (of ``periods``, default all) a map: the streets underneath (real
    where the instance has them), the works under way by kind and named, the other works
    faint, the street links the cascade check flags in that period; legend, scale bar, north
    arrow."""
    if data.geometry is None:
        return {}
    from matplotlib.lines import Line2D

    from optimise.mapping import background, draw_layer, finish_map, label

    plt = pyplot()
    sched = result.tables["schedule"]
    geometry = data.geometry
    centres = geometry.representative_point()
    start = sched["start"].to_numpy(dtype=object)
    end = sched["end"].to_numpy(dtype=object)
    flags = impact.asset_flags() if impact is not None else None
    vs = data.vital
    geo = getattr(vs, "geometry", None) if vs is not None else None
    figures = {}
    x0, y0, x1, y1 = geometry.total_bounds
    pad = 200.0
    streets = data.streets.cx[x0 - pad:x1 + pad, y0 - pad:y1 + pad] if data.streets is not None else None
    projected = geometry.crs is None or geometry.crs.is_projected
    for period in data.periods if periods is None else periods:
        period = int(period)
        active = np.array([s is not None and not _na(s) and int(s) <= period <= int(e) for s, e in zip(start, end)])
        fig, ax = plt.subplots(figsize=(9, 9))
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        background(ax, [(streets, {"color": "#e3e3e3", "linewidth": 0.5}),
                        (geometry[~active], {"color": "#bdbdbd", "linewidth": 0.8, "markersize": 3})])
        handles = [Line2D([], [], color="#e3e3e3", lw=2, label="streets" + (" (OpenStreetMap)" if streets is not None
                                                                              else "")),
                   Line2D([], [], color="#bdbdbd", lw=2, label="other works (not this year)")]
        if flags is not None and geo is not None:
            here = flags[(flags["period"] == period) & flags["flag"].isin(["orange", "red"])]
            for flag in ("orange", "red"):
                mask = vs.assets["id"].isin(set(here.loc[here["flag"] == flag, "asset"])).to_numpy()
                if mask.any():
                    draw_layer(ax, geo[mask], color=FLAG_COLOURS[flag], linewidth=1.6, markersize=10, alpha=0.75,
                                   zorder=3)
                    handles.append(Line2D([], [], color=FLAG_COLOURS[flag], lw=2,
                                          label=f"{flag} flag (knock-on, {int(mask.sum())})"))
        for kind, colour in KIND_COLOURS.items():
            mask = active & (sched["kind"].to_numpy() == kind)
            if mask.any():
                draw_layer(ax, geometry[mask], color=colour, linewidth=3.0, markersize=30, zorder=4)
                handles.append(Line2D([], [], color=colour, lw=3, marker="o", markersize=5,
                                      label=f"{kind} in works ({int(mask.sum())})"))
        # names of the works under way, the costliest first
        idx = np.flatnonzero(active)
        idx = idx[np.argsort(-sched["cost"].to_numpy(float)[idx], kind="stable")]
        names = [str(n) if isinstance(n, str) and n else str(i) for i, n in
                 zip(sched["id"].to_numpy()[idx], sched["name"].to_numpy()[idx])]
        label(ax, centres.x.iloc[idx], centres.y.iloc[idx], [n.split(" (")[0] for n in names], limit=12)
        row = result.tables["periods"].set_index("period").loc[period]
        ax.set_title(f"{period}: {int(row['works_active'])} works under way, {row['km_renewed']:.1f} km of quay, "
                     f"{row['extra_vehicle_hours']:,.0f} extra vehicle-hours", fontsize=10, y=1.0)
        finish_map(ax, projected=projected, legend_handles=handles, legend_loc="outside")
        figures[f"map_{period}"] = fig
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


def web_layers(data: Any, result: Any) -> list[Any]:
    """The schedule on report.html's map: the streets underneath (when the instance has them),
    per period the works under way, bridges and quays in their colours; every work of the
    horizon as one layer, off at first."""
    from optimise.webreport import MapLayer, background_layer

    layers = result.layers
    if "schedule" not in layers:
        return []
    legend = {f"{kind} in works": colour for kind, colour in KIND_COLOURS.items()}
    streets = background_layer(data.streets, layers["schedule"])
    out = [streets] if streets is not None else []
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
