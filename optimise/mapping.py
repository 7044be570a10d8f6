"""What every static map needs to be read in a council room: a scale bar, a north arrow, a
legend, labels by name that never overlap, and a quiet background drawn from the layers that
ship with the instance (so that it works offline).

Labels are placed by adjustText (it moves them apart and draws a leader line); the scale bar is
matplotlib-scalebar's, in metres, for maps in a projected CRS.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: How many labels a map panel carries at most: beyond that names become noise.
MAX_LABELS = 14


def finish_map(ax: Any, *, projected: bool = True, legend_handles: list[Any] | None = None,
               legend_title: str | None = None, legend_loc: str = "lower left") -> None:
    """Scale bar (projected maps), north arrow, the legend (``legend_loc`` a matplotlib
    location, or "outside": right of the map), no axes."""
    if projected:
        from matplotlib_scalebar.scalebar import ScaleBar

        ax.add_artist(ScaleBar(1.0, "m", location="lower right", box_alpha=0.8, length_fraction=0.22,
                               font_properties={"size": 7}))
    north_arrow(ax)
    if legend_handles:
        # "outside": to the right of the map, where it hides nothing
        where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if legend_loc == "outside" else {"loc": legend_loc}
        ax.legend(handles=legend_handles, title=legend_title, fontsize=7, title_fontsize=8, framealpha=0.92, **where)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_color("#bbbbbb")


def north_arrow(ax: Any) -> None:
    """A small N with an arrow in the top right corner (maps here are drawn north up)."""
    ax.annotate("N", xy=(0.96, 0.97), xytext=(0.96, 0.89), xycoords="axes fraction", ha="center", va="center",
                fontsize=9, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})


def background(ax: Any, layers: list[tuple[Any, dict[str, Any]]]) -> None:
    """Draw context layers (GeoSeries or GeoDataFrame, with their style) quietly underneath."""
    for frame, style in layers:
        if frame is not None and len(frame):
            frame.plot(ax=ax, zorder=0, **style)


def label(ax: Any, xs: Any, ys: Any, texts: list[str], *, limit: int = MAX_LABELS, size: float = 7) -> None:
    """Labels at (x, y) that never overlap one another (adjustText moves them apart, with a
    thin leader line); only the first ``limit`` (callers put the most important first)."""
    from adjustText import adjust_text

    xs, ys = np.asarray(xs, float)[:limit], np.asarray(ys, float)[:limit]
    if not len(xs):
        return
    items = [ax.text(x, y, t, fontsize=size, zorder=20,
                     bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
             for x, y, t in zip(xs, ys, texts[:limit])]
    # adjustText goes on moving labels away from the points long after they stopped
    # overlapping one another (about 1 s for 16 labels); a first pass of LABEL_STEPS moves
    # is enough on our maps, and it carries on to the end only when labels still overlap
    arrows = {"arrowstyle": "-", "color": "#555555", "lw": 0.5}
    _, leaders = adjust_text(items, x=xs, y=ys, ax=ax, expand=(1.3, 1.5), ensure_inside_axes=True,
                             iter_lim=LABEL_STEPS, arrowprops=arrows)
    if _overlapping(ax, items):
        for leader in leaders:
            leader.remove()
        adjust_text(items, x=xs, y=ys, ax=ax, expand=(1.3, 1.5), ensure_inside_axes=True, arrowprops=arrows)


#: Label moves in adjustText's first pass (see :func:`label`).
LABEL_STEPS = 100


def _overlapping(ax: Any, items: list[Any]) -> bool:
    renderer = ax.figure.canvas.get_renderer()
    boxes = [item.get_window_extent(renderer) for item in items]
    return any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


#: The instance layers a static map draws underneath, if the instance has them: data key ->
#: style. Streets as thin lines, neighbourhoods as outlines.
BACKGROUND_LAYERS = {"neighbourhoods": {"facecolor": "none", "edgecolor": "#d0d0d0", "linewidth": 0.4},
                     "streets": {"color": "#e6e6e6", "linewidth": 0.4}}


def instance_background(instance: Any, crs: Any = None) -> list[tuple[Any, dict[str, Any]]]:
    """The instance's own context layers (BACKGROUND_LAYERS it has, with geometry), in ``crs``:
    what a map is drawn on, offline. Streets keep the ones cars or cyclists use."""
    import geopandas as gpd

    from optimise.streets import street_lines

    out = []
    for key, style in BACKGROUND_LAYERS.items():
        if instance is None or not instance.has(key):
            continue
        frame = instance.read(key)
        if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
            continue
        lines = street_lines(frame) if key == "streets" else frame.geometry
        out.append((lines.to_crs(crs) if crs is not None else lines, style))
    return out
