"""Figures of a hub plan: the map a planner looks at first."""

from __future__ import annotations

from typing import Any

import numpy as np

from optimise.cascade import FLAG_ORDER
from optimise.plots import FLAG_COLOURS as COLOURS
from optimise.plots import pyplot


def hub_flags(data: Any, impact: Any) -> np.ndarray:
    """Per site: the worst flag of the grid assets its load reaches."""
    worst = impact.worst_flags() if impact is not None else {}
    flags = np.full(data.n_sites, "green", dtype=object)
    if not worst or not data.grid_assets:
        return flags
    ids = data.vital.assets["id"].to_numpy()
    for j in range(data.n_sites):
        for g in np.flatnonzero(data.grid_share[j] > 0):
            flag = worst.get(ids[data.grid_assets[g]], "green")
            if FLAG_ORDER[flag] > FLAG_ORDER[flags[j]]:
                flags[j] = flag
    return flags


def hub_map(data: Any, result: Any, impact: Any = None, ax: Any = None, title: str | None = None) -> Any:
    """The plan on a map: streets underneath (when the instance has them), claimed areas
    hatched and named, demand points (size: users; grey: unserved), walking links, hubs by size
    class coloured by the worst cascade flag on their grid assets and named; legend, scale bar,
    north arrow."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from optimise.mapping import background, draw_layer, finish_map, label

    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 9))
    else:
        fig = ax.figure
    hubs = result.tables["hubs"]
    demand = result.tables["demand"]
    dp, sp = data.demand_points, data.site_points
    bounds = np.vstack([dp.total_bounds, sp.total_bounds])
    (x0, y0), (x1, y1) = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
    pad = 0.04 * max(x1 - x0, y1 - y0, 100.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    handles = []
    if data.streets is not None:
        background(ax, [(data.streets.cx[x0 - pad:x1 + pad, y0 - pad:y1 + pad], {"color": "#e0e0e0", "linewidth": 0.5})])
        handles.append(Line2D([], [], color="#e0e0e0", lw=2, label="streets (OpenStreetMap)"))
    if data.conflicts is not None and len(data.conflicts):
        draw_layer(ax, data.conflicts, facecolor="none", edgecolor="#7f7f7f", hatch="///", linewidth=0.6, zorder=1)
        claim = "claim" if "claim" in data.conflicts.columns else "id" if "id" in data.conflicts.columns else None
        if claim:
            centre = data.conflicts.geometry.representative_point()
            for x, y, text in zip(centre.x, centre.y, data.conflicts[claim].astype(str)):
                ax.text(x, y, text, fontsize=6, color="#555555", ha="center", va="center", style="italic", zorder=2)
        handles.append(Patch(facecolor="none", edgecolor="#7f7f7f", hatch="///", label="claimed area (no hub)"))
    layers = result.layers
    if "assignment" in layers:
        draw_layer(ax, layers["assignment"], color="#bbbbbb", linewidth=0.3, zorder=2)
        handles.append(Line2D([], [], color="#bbbbbb", lw=1, label="walk to the hub"))
    users = demand["users"].to_numpy(float)
    scale = 30.0 / max(users.max(), 1.0)
    served = demand["served"].to_numpy(float) > 0.5
    ax.scatter(dp.x[served], dp.y[served], s=2 + users[served] * scale, color="#1f77b4", alpha=0.5, zorder=3,
               linewidths=0)
    ax.scatter(dp.x[~served], dp.y[~served], s=2 + users[~served] * scale, color="#999999", alpha=0.6, zorder=3,
               linewidths=0)
    closed = ~hubs["open"].to_numpy(bool)
    ax.scatter(sp.x[closed], sp.y[closed], s=10, facecolor="none", edgecolor="#555555", linewidths=0.5, zorder=4)
    flags = hub_flags(data, impact)
    sizes = list(data.sizes["id"].astype(str))
    marker_size = {s: 60 + 90 * k for k, s in enumerate(sizes)}
    is_open = hubs["open"].to_numpy(bool)
    opened = np.flatnonzero(is_open)
    # one collection for every hub (a call per hub took 0.8 s for the city's 390)
    ax.scatter(sp.x.iloc[opened], sp.y.iloc[opened], s=[marker_size[k] for k in hubs["size"].iloc[opened]],
               marker="s", color=[COLOURS[f] for f in flags[opened]], edgecolor="black", linewidths=0.8, zorder=5)
    # names of the hubs, the most used first
    order = np.flatnonzero(is_open)[np.argsort(-hubs["users"].to_numpy(float)[is_open], kind="stable")]
    names = [f"{hubs['id'].iloc[j]} {data.site_names[j]} ({hubs['size'].iloc[j]})".replace("  ", " ") for j in order]
    label(ax, sp.x.iloc[order], sp.y.iloc[order], names, limit=16, size=6.5)
    handles += [Line2D([], [], marker="s", linestyle="", color="white", markeredgecolor="black",
                       markersize=4 + 2 * k, label=f"hub: {s}") for k, s in enumerate(sizes)]
    handles += [Line2D([], [], marker="s", linestyle="", color=COLOURS[f], label=f"grid flag {f}")
                for f in ("green", "orange", "red") if f in set(flags[is_open])]
    handles += [Line2D([], [], marker="o", linestyle="", color="#1f77b4", alpha=0.5, label="demand served (size: users)"),
                Line2D([], [], marker="o", linestyle="", color="#999999", label="demand without hub"),
                Line2D([], [], marker="o", linestyle="", color="white", markeredgecolor="#555555", label="candidate site")]
    s = result.solution.summary
    ax.set_title(title or (f"{s['n_open']} hubs: {s['space_won_m2']:,.0f} m² won back, "
                           f"mean walk {s['mean_walk_min']:.1f} min, {s['share_served']:.0%} served"), fontsize=10, y=1.0)
    projected = sp.crs is None or sp.crs.is_projected
    finish_map(ax, projected=projected, legend_handles=handles, legend_loc="outside")
    return fig


#: Hubs by size class: shades of purple, apart from the demand (blue, grey) and the flags.
SIZE_COLOURS = ("#bcbddc", "#807dba", "#54278f", "#3f007d")


def web_layers(data: Any, result: Any) -> list[Any]:
    """The plan on report.html's map: the streets underneath (when the instance has them),
    hubs by size class, candidate sites left closed (off at first), demand points served or
    not, the walks (off at first), claimed areas."""
    from optimise.webreport import MapLayer, background_layer

    layers = result.layers
    streets = background_layer(data.streets, layers.get("demand"))
    out = [streets] if streets is not None else []
    if data.conflicts is not None and len(data.conflicts):
        out.append(MapLayer("claimed areas", data.conflicts, "claimed areas", colour="#7f7f7f", weight=1,
                            legend={"claimed area": "#7f7f7f"}))
    if "assignment" in layers:
        out.append(MapLayer("walks", layers["assignment"], "walks to the hubs", colour="#bbbbbb", weight=1,
                            popup=(("demand_id", "from"), ("site_id", "hub"), ("users", "users"),
                                   ("walk_min", "walk (min)"), ("walk_basis", "measured on")), shown=False))
    if "demand" in layers:
        demand = layers["demand"].copy()
        demand["_colour"] = np.where(demand["served"].astype(float) > 0.5, "#1f77b4", "#999999")
        out.append(MapLayer("demand", demand, "demand points", colour="_colour", radius=3,
                            popup=(("id", "id"), ("users", "users"), ("cars", "cars"), ("hub", "hub"),
                                   ("walk_m", "walk (m)")),
                            legend={"demand served": "#1f77b4", "demand without hub": "#999999"}))
    if "hubs" in layers:
        hubs = layers["hubs"].copy()
        sizes = list(data.sizes["id"].astype(str))
        colour = {s: SIZE_COLOURS[k % len(SIZE_COLOURS)] for k, s in enumerate(sizes)}
        hubs["_colour"] = hubs["size"].astype(str).map(colour).fillna("#555555")
        popup = tuple((c, c.replace("_", " ")) for c in ("id", "name", "size", "footprint_m2", "vehicle_places",
                                                          "charging_points", "users", "utilisation", "space_won_m2",
                                                          "cars_given_up", "cost", "charging_load_mw", "asset")
                      if c in hubs.columns)
        is_open = hubs["open"].astype(bool)
        out.append(MapLayer("candidate sites", hubs[~is_open], "candidate sites not chosen", colour="#555555",
                            popup=(("id", "id"), ("name", "name")), radius=3, shown=False))
        for k, size in enumerate(sizes):  # bigger classes, bigger dots
            here = hubs[is_open & (hubs["size"].astype(str) == size)]
            out.append(MapLayer(f"hubs {size}", here, "hubs", colour="_colour", popup=popup, radius=6 + 3 * k,
                                legend={f"hub: {s}": colour[s] for s in sizes}))
    return out
