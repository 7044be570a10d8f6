"""What every static map needs to be read in a council room: a scale bar, a north arrow, a
legend, labels by name that never overlap, and a quiet background drawn from the layers that
ship with the instance (so that it works offline).

Labels are placed by adjustText (it moves them apart and draws a leader line); the scale bar is
matplotlib-scalebar's, in metres, for maps in a projected CRS.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import shapely

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
    """Draw context layers (GeoSeries or GeoDataFrame, with their style) quietly underneath.
    Lines, and outlines of areas, go in one collection each (four times faster to build than
    geopandas' plot on a city's streets: a map of the centre has 20,000)."""
    for frame, style in layers:
        if frame is None or not len(frame):
            continue
        style = {"zorder": 0, **style}
        geoms = getattr(frame, "geometry", frame)
        kinds = set(geoms.geom_type)
        if kinds <= {"LineString", "MultiLineString"} and set(style) <= {"color", "linewidth", "zorder"}:
            _lines(ax, geoms.values, style["color"], style.get("linewidth", 1.0), style["zorder"])
        elif kinds <= {"Polygon", "MultiPolygon"} and style.get("facecolor") == "none" \
                and set(style) <= {"facecolor", "edgecolor", "linewidth", "zorder"}:
            _lines(ax, shapely.boundary(geoms.values), style.get("edgecolor", "black"), style.get("linewidth", 1.0),
                   style["zorder"])
        else:
            draw_layer(ax, frame, **style)


def _lines(ax: Any, geoms: Any, color: str, linewidth: float, zorder: float) -> None:
    """The lines as one path (a move to the start of each, a line to each next point): a
    collection of a path per line took 0.13 s to build for a centre map's streets, and the
    quays draw one map a year."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    coords, owner = shapely.get_coordinates(shapely.get_parts(geoms), return_index=True)
    if not len(coords):
        return
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[np.r_[True, owner[1:] != owner[:-1]]] = Path.MOVETO
    # add_artist and the points' extent: add_patch would measure the path curve by curve
    ax.add_artist(PathPatch(Path(coords, codes), facecolor="none", edgecolor=color, linewidth=linewidth,
                            zorder=zorder, capstyle="projecting"))
    ax.update_datalim(coords)
    ax.autoscale_view()


def draw_layer(ax: Any, frame: Any, **style: Any) -> None:
    """``frame.plot(ax=ax, **style)`` without the redraw geopandas asks for after each layer:
    on the file backend that is a full draw of the figure, so a four-panel map with three
    layers a panel was drawn twelve times over (5 s on the centre quays)."""
    ax.figure.canvas.draw_idle = _no_redraw  # this figure's canvas only; saving still draws it
    frame.plot(ax=ax, **style)


def _no_redraw(*args: Any, **kwargs: Any) -> None:
    return None


def label(ax: Any, xs: Any, ys: Any, texts: list[str], *, limit: int = MAX_LABELS, size: float = 7) -> None:
    """Labels at (x, y) moved apart by adjustText, with a thin leader line; only the first
    ``limit`` (callers put the most important first)."""
    from adjustText import adjust_text

    xs, ys = np.asarray(xs, float)[:limit], np.asarray(ys, float)[:limit]
    if not len(xs):
        return
    items = [ax.text(x, y, t, fontsize=size, zorder=20,
                     bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
             for x, y, t in zip(xs, ys, texts[:limit])]
    # adjustText goes on moving labels away from the points long after they stopped
    # overlapping one another (about 1 s for 16 labels): a first pass of LABEL_STEPS moves,
    # and a second of at most LABEL_SECONDS only where labels still overlap
    style = {"x": xs, "y": ys, "ax": ax, "expand": (1.3, 1.5), "force_text": (0.3, 0.6), "ensure_inside_axes": True}
    ax.apply_aspect()  # the one part of a draw that moves what the labels are placed on
    with _sized_without_drawing():
        adjust_text(items, iter_lim=LABEL_STEPS, **style)
        if _overlapping(ax, items):
            adjust_text(items, time_lim=LABEL_SECONDS, **style)
    _leaders(ax, items, xs, ys)


def _leaders(ax: Any, items: list[Any], xs: np.ndarray, ys: np.ndarray) -> None:
    """A thin line from each label that moved (LEADER_MIN_PX or more) to its point, centre to
    centre: it runs under the label's white box and the point's marker. One collection, drawn
    here rather than by adjustText, whose arrows are clipped at their label's box by a Bézier
    search when added and again on every draw (a third of a flag map's time)."""
    from matplotlib.collections import LineCollection

    ends = np.array([item.get_position() for item in items], dtype=float)
    points = np.column_stack([xs, ys])
    moved = np.hypot(*(ax.transData.transform(ends) - ax.transData.transform(points)).T) >= LEADER_MIN_PX
    if moved.any():
        ax.add_collection(LineCollection(np.stack([ends[moved], points[moved]], axis=1), colors="#555555",
                                         linewidths=0.5, zorder=1), autolim=False)


#: The shortest move (display pixels) that gets a leader line, as adjustText's min_arrow_len.
LEADER_MIN_PX = 5.0


@contextmanager
def _sized_without_drawing() -> Iterator[None]:
    """adjustText draws the whole figure before it sizes the labels (a four-panel flag map
    was drawn four times over, 0.6 s on the centre quays): the renderer sizes text without
    it, and the view is fixed before labelling (limits set, aspect applied)."""
    import adjustText

    draw = getattr(adjustText, "force_draw", None)
    if draw is None:  # another release of adjustText: it draws as it sees fit
        yield
        return
    adjustText.force_draw = _no_redraw
    try:
        yield
    finally:
        adjustText.force_draw = draw


#: Label moves in adjustText's first pass, and the seconds of its second (see :func:`label`).
LABEL_STEPS = 100
LABEL_SECONDS = 0.5


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
