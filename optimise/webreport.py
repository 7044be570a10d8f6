"""``report.html``: one page per result folder that opens from the file, with no server and
no internet: a web map of the plan and its flags, the headline figures, interactive charts and
the tables.

Why these libraries: the map is Leaflet through folium (popups, a scale bar, a map a planner
knows from the web), with Leaflet's own files shipped in this package (``optimise/static``)
and inlined, since folium's default page fetches Leaflet, jQuery and Bootstrap from CDNs and
shows nothing offline. The charts are plotly, whose JavaScript comes with its Python package
and is inlined once; they are SVG, so they draw in any browser without a GPU. deck.gl
(lonboard, pydeck) was not chosen: it draws with WebGL, which a council laptop's locked-down
browser or a headless test browser may lack, and its page loads its scripts from a CDN. Base
tiles (OpenStreetMap) are an option, off by default: they are the only part that needs a
network.

A map is made of :class:`MapLayer` objects: each belongs to a group (a checkbox: "works",
"flags: energy") and optionally to a period (a choice in the period list), so that a planner
switches years and systems on and off. Problems say how their layers look
(``Problem.map_layers``); the engine adds the cascade flags (:func:`flag_layers`).
"""

from __future__ import annotations

import itertools

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from optimise.plots import FLAG_COLOURS

STATIC = Path(__file__).resolve().parent / "static"
#: Colours given in turn to layers that do not choose their own.
PALETTE = ("#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: Rows of a table shown in the page (all of them are in the CSV beside it).
TABLE_ROWS = 200
TILES_GROUP = "OpenStreetMap background (online)"


@dataclass
class MapLayer:
    """One layer of the web map.

    ``frame`` is a GeoDataFrame (any CRS); ``colour`` a colour or the name of a column of
    colours; ``popup`` pairs the columns shown when a feature is clicked with their labels
    (default: every column, as named); ``tooltip`` the column shown on hover (default: name,
    else id). A layer with a ``period`` shows only when that period is chosen."""

    name: str
    frame: Any
    group: str
    period: str | None = None
    colour: str = ""
    popup: tuple[tuple[str, str], ...] = ()
    tooltip: str = ""
    radius: float = 5.0  # points, in pixels
    weight: float = 3.0  # lines, in pixels
    shown: bool = True  # its group's checkbox starts ticked
    legend: dict[str, str] = field(default_factory=dict)  # label -> colour, for the map's key
    interactive: bool = True  # False: context only (no popup, no hover), e.g. the streets


def background_layer(lines: Any, around: Any, name: str = "streets (OpenStreetMap)", margin_m: float = 300.0) -> MapLayer | None:
    """Context lines (a GeoSeries in a projected CRS, e.g. an instance's streets) as one quiet
    layer under the plan: clipped to ``around``'s extent plus ``margin_m``, simplified to a
    metre and merged into one feature, so that thousands of streets stay a light page."""
    import geopandas as gpd
    import shapely

    if lines is None or around is None or not len(lines) or lines.crs is None or not lines.crs.is_projected:
        return None
    x0, y0, x1, y1 = around.to_crs(lines.crs).total_bounds
    near = lines.cx[x0 - margin_m:x1 + margin_m, y0 - margin_m:y1 + margin_m]
    if not len(near):
        return None
    merged = shapely.MultiLineString([g for g in near.simplify(1.0) if g is not None and g.geom_type == "LineString"])
    frame = gpd.GeoDataFrame({"id": [name]}, geometry=[merged], crs=lines.crs)
    return MapLayer(name, frame, name, colour="#b0b0b0", weight=1.0, interactive=False, popup=(("id", "layer"),),
                    tooltip="id")


def _inline_assets(leaflet: bool, plotly: bool) -> str:
    """Leaflet's and plotly's files, inlined, for a page that has a map or charts."""
    parts = []
    if leaflet:
        folder = STATIC / "leaflet"
        parts += [f"<style>{(folder / 'leaflet.css').read_text(encoding='utf-8')}</style>",
                  f"<script>{(folder / 'leaflet.js').read_text(encoding='utf-8')}</script>"]
    if plotly:
        from plotly.offline import get_plotlyjs

        parts.append(f"<script>{get_plotlyjs()}</script>")
    return "\n".join(parts) + "\n"


#: Columns that hold years or period labels: written as they are, never as "2,027".
PLAIN_COLUMNS = ("period", "start", "end", "latest", "year")


def format_value(value: Any, column: str = "") -> str:
    """A value as a planner reads it: thousands separated, no float noise, blanks empty,
    years (columns named like ``PLAIN_COLUMNS``) as they are."""
    if value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if column in PLAIN_COLUMNS or column.endswith("_year"):
        if isinstance(value, (int, float, np.integer, np.floating)) and float(value) == int(value):
            return str(int(value))
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"
    return str(value)


def _tooltip(layer: MapLayer, columns: Any) -> str:
    """The column shown on hover: the layer's choice, else name, else id, else none."""
    return layer.tooltip or ("name" if "name" in columns else "id" if "id" in columns else "")


def _features(layer: MapLayer, colour: str) -> dict[str, Any]:
    """The layer as GeoJSON in WGS84, its properties formatted for people, each feature's
    colour in ``_colour``."""
    frame = layer.frame
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    columns = [c for c, _ in layer.popup] if layer.popup else [c for c in frame.columns if c != frame.geometry.name]
    tip = _tooltip(layer, frame.columns)
    props = pd.DataFrame({c: frame[c].map(lambda v, c=c: format_value(v, c)) for c in dict.fromkeys(columns + ([tip] if tip else []))
                          if c in frame.columns and not c.startswith("_")}, index=frame.index)
    props["_colour"] = frame[layer.colour].astype(str) if layer.colour in frame.columns else colour
    keep = (frame.geometry.notna() & ~frame.geometry.is_empty).to_numpy()
    # each geometry written by GEOS and read back by the json module's C parser: GeoPandas'
    # to_json walks every coordinate in Python (most of a quay report's writing time)
    shapes = json.loads("[" + ",".join(shapely.to_geojson(frame.geometry.to_numpy()[keep]).tolist()) + "]")
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": properties, "geometry": shape}
                         for properties, shape in zip(props[keep].to_dict("records"), shapes)]}


def build_map(layers: list[MapLayer], *, tiles: bool = False, height: int = 640) -> Any:
    """The web map (a folium Map) with a period list and a checkbox per group; None when no
    layer has geometry in a known CRS."""
    import folium

    usable = [layer for layer in layers
              if layer.frame is not None and len(layer.frame) and layer.frame.crs is not None]
    if not usable:
        return None
    bounds = np.array([layer.frame.to_crs(4326).total_bounds for layer in usable])
    west, south = np.nanmin(bounds[:, :2], axis=0)
    east, north = np.nanmax(bounds[:, 2:], axis=0)
    fmap = folium.Map(tiles=None, control_scale=True, width="100%", height=height)
    fmap.default_js, fmap.default_css = [], []  # Leaflet is inlined by the page (see module docstring)
    fmap.fit_bounds([[south, west], [north, east]])
    registry, colours = [], itertools.cycle(PALETTE)  # a city's 20 periods of layers outrun any palette
    for layer in usable:
        colour = layer.colour if layer.colour.startswith("#") else next(colours)
        data = _features(layer, colour)
        if not data["features"]:
            continue
        fields = [c for c, _ in layer.popup if c in data["features"][0]["properties"]] if layer.popup else \
            [c for c in data["features"][0]["properties"] if not c.startswith("_")]
        aliases = [dict(layer.popup).get(c, c) for c in fields]
        tip = _tooltip(layer, fields)
        weight = layer.weight
        interactive = {} if layer.interactive else {"interactive": False}
        gj = folium.GeoJson(
            data, name=layer.name, show=True,
            marker=folium.CircleMarker(radius=layer.radius, fill=True, fill_opacity=0.85, weight=1),
            style_function=lambda f, w=weight: {"color": f["properties"]["_colour"], "fillColor": f["properties"]["_colour"],
                                                "weight": w, "opacity": 0.9},
            popup=folium.GeoJsonPopup(fields, aliases=aliases, labels=True) if fields and layer.interactive else None,
            tooltip=folium.GeoJsonTooltip([tip], labels=False) if tip and layer.interactive else None,
            **interactive,
        )
        gj.add_to(fmap)
        registry.append({"layer": gj.get_name(), "group": layer.group, "period": layer.period})
    # OpenStreetMap tiles: the one part that needs a network, so off unless asked for
    osm = folium.TileLayer("OpenStreetMap", name=TILES_GROUP, overlay=True, show=False, control=False)
    osm.add_to(fmap)
    registry.insert(0, {"layer": osm.get_name(), "group": TILES_GROUP, "period": None})
    groups = {TILES_GROUP: tiles}
    periods = list(dict.fromkeys(str(r["period"]) for r in registry if r["period"] is not None))
    if len(periods) == 1:  # one period (a hub plan's): nothing to choose, every layer shows
        periods = []
        for entry in registry:
            entry["period"] = None
    for layer in usable:
        groups[layer.group] = groups.get(layer.group, False) or layer.shown
    legend: dict[str, str] = {}
    for layer in usable:
        legend.update(layer.legend)
    fmap.control_script = _control_script(fmap.get_name(), registry, periods, groups, legend)
    return fmap


def _control_script(map_name: str, registry: list[dict], periods: list[str], groups: dict[str, bool],
                    legend: dict[str, str]) -> str:
    """A Leaflet control: the period list, a checkbox per group and the key of colours. A
    layer shows when its group is ticked and it has no period or the chosen one."""
    options = "".join(f'<option value="{html.escape(p)}">{html.escape(p)}</option>' for p in periods)
    boxes = "".join(f'<label><input type="checkbox" data-group="{html.escape(g)}"{" checked" if on else ""}> '
                    f'{html.escape(g)}</label><br>' for g, on in groups.items())
    key = "".join(f'<span style="display:inline-block;width:10px;height:10px;background:{c};margin-right:4px"></span>'
                  f'{html.escape(label)}<br>' for label, c in legend.items())
    panel = ('<div class="optimise-control" style="background:white;padding:6px 8px;border-radius:4px;'
             'font:12px sans-serif;max-height:560px;overflow:auto">'
             + (f'<b>Period</b><br><select id="optimise-period">{options}</select><br>' if periods else "")
             + f'<b>Layers</b><br>{boxes}' + (f'<b>Key</b><br>{key}' if key else "") + "</div>")
    layers = ",".join(f'{{layer: {r["layer"]}, group: {json.dumps(r["group"])}, '
                      f'period: {json.dumps(None if r["period"] is None else str(r["period"]))}}}' for r in registry)
    return f"""
(function() {{
  var map = {map_name};
  var layers = [{layers}];
  var Control = L.Control.extend({{
    options: {{position: 'topright'}},
    onAdd: function() {{
      var div = L.DomUtil.create('div');
      div.innerHTML = {json.dumps(panel)};
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }}
  }});
  new Control().addTo(map);
  function update() {{
    var select = document.getElementById('optimise-period');
    var period = select ? select.value : null;
    var ticked = {{}};
    document.querySelectorAll('.optimise-control input[data-group]').forEach(function(box) {{
      ticked[box.dataset.group] = box.checked;
    }});
    layers.forEach(function(entry) {{
      var show = ticked[entry.group] && (entry.period === null || entry.period === period);
      if (show && !map.hasLayer(entry.layer)) {{ map.addLayer(entry.layer); }}
      if (!show && map.hasLayer(entry.layer)) {{ map.removeLayer(entry.layer); }}
    }});
  }}
  document.querySelectorAll('.optimise-control select, .optimise-control input').forEach(function(el) {{
    el.addEventListener('change', update);
  }});
  window.optimiseMap = {{map: map, layers: layers, update: update}};
  update();
}})();
"""


#: How each flag reads in the map's key.
FLAG_LABELS = {"red": "red: service lost", "orange": "orange: under strain", "planned": "planned works",
               "opportunity": "opportunity (works together)"}


WORKS_GROUP = "works and changes (the plan's own)"


def flag_layers(impact: Any) -> list[MapLayer]:
    """The cascade flags of a plan or scenario, per period: one layer per system for the
    knock-on effects (orange, red) and one for what the plan or scenario changes itself (its
    works, a closure: planned, opportunity, or red where a scenario takes an asset out), so
    that knock-ons are never hidden under the works that cause them."""
    geometry = getattr(impact.vs, "geometry", None) if impact is not None else None
    if geometry is None:
        return []
    import geopandas as gpd

    flags = impact.asset_flags()
    if not len(flags):
        return []
    assets = impact.vs.assets.reset_index(drop=True)
    where = pd.Series(np.arange(len(assets)), index=assets["id"].to_numpy())
    flags = flags[flags["asset"].isin(where.index) & (flags["flag"] != "green")].copy()
    flags["geometry"] = geometry.iloc[where[flags["asset"]].to_numpy()].to_numpy()
    flags["_colour"] = flags["flag"].map(FLAG_COLOURS).fillna("#7f7f7f")
    frame = gpd.GeoDataFrame(flags, geometry="geometry", crs=geometry.crs)
    popup = (("asset", "asset"), ("name", "name"), ("system", "system"), ("flag", "flag"), ("loss", "service lost"),
             ("people_lost", "people without service"), ("households_at_risk", "households at risk"),
             ("explanation", "why"))
    popup = tuple((c, label) for c, label in popup if c in frame.columns)
    out = []
    knock_on = impact.knock_ons(frame)
    for period, part in frame.groupby("period", sort=True):
        works = part[~knock_on.loc[part.index]]
        if len(works):
            out.append(MapLayer(f"works and changes {period}", works, WORKS_GROUP, str(period), "_colour", popup,
                                radius=4, legend={FLAG_LABELS[f]: FLAG_COLOURS[f] for f in ("planned", "opportunity")}))
        for system, hit in part[knock_on.loc[part.index]].groupby("system", sort=True):
            out.append(MapLayer(f"flags {system} {period}", hit, f"flags: {system}", str(period), "_colour", popup,
                                radius=6, legend={FLAG_LABELS[f]: FLAG_COLOURS[f] for f in ("orange", "red")}))
    return out


@dataclass
class ReportPage:
    """What one report.html shows, top to bottom."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # the run: status, gap, seconds …
    headline: list[tuple[str, ...]] = field(default_factory=list)  # the plan in planner units
    layers: list[MapLayer] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)  # title -> plotly figure
    tables: dict[str, tuple[pd.DataFrame, str]] = field(default_factory=dict)  # title -> (table, its file)
    notes: list[str] = field(default_factory=list)  # sources and attributions, at the foot


STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 40px; color: #222; }
h1 { font-size: 22px; margin: 18px 0 6px; } h2 { font-size: 17px; margin: 26px 0 8px; border-bottom: 1px solid #ddd; }
.facts span { display: inline-block; margin: 0 14px 4px 0; color: #555; }
table.figures { width: auto; } table.figures td { padding: 2px 18px 2px 0; vertical-align: top; }
table.figures td.value { font-weight: 600; }
table.data { border-collapse: collapse; font-size: 12px; } table.data th, table.data td { border: 1px solid #ddd; padding: 2px 6px; }
table.data th { background: #f3f3f3; position: sticky; top: 0; } td.num { text-align: right; }
.scroll { max-height: 420px; overflow: auto; } .note { color: #666; font-size: 12px; }
.folium-map { border: 1px solid #ccc; } .leaflet-container { background: #fff; }
"""


def _table_html(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for row in table.head(TABLE_ROWS).itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row):
            number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            text = html.escape(format_value(value, str(column)))
            cells.append(f'<td class="num">{text}</td>' if number else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _top(page: ReportPage) -> str:
    parts = [f"<h1>{html.escape(page.title)}</h1>"]
    if page.facts:
        parts.append('<div class="facts">' + "".join(f"<span>{html.escape(k)}: <b>{html.escape(v)}</b></span>"
                                                     for k, v in page.facts) + "</div>")
    if page.headline:
        rows = "".join(f'<tr><td>{html.escape(str(item[0]))}</td><td class="value"'
                       + (' style="color:#d62728"' if len(item) > 2 and "red" in str(item[2]) else "")
                       + f">{html.escape(str(item[1]))}</td></tr>" for item in page.headline)
        parts.append(f'<table class="figures" id="headline">{rows}</table>')
    if page.layers:
        parts.append("<h2>Map</h2>")
    return "\n".join(parts)


def _bottom(page: ReportPage) -> str:
    parts = []
    for k, (title, fig) in enumerate(page.charts.items()):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{k}",
                                 config={"displaylogo": False, "responsive": True}))
    for title, (table, file) in page.tables.items():
        shown = min(len(table), TABLE_ROWS)
        note = f"{shown:,} of {len(table):,} rows; all in {file}" if len(table) > shown else f"also in {file}"
        parts.append(f'<h2>{html.escape(title)}</h2><p class="note">{html.escape(note)}</p>{_table_html(table)}')
    if page.notes:
        parts.append('<p class="note">' + "<br>".join(html.escape(n) for n in page.notes) + "</p>")
    return "\n".join(parts)


@contextmanager
def templates_compiled_once() -> Iterator[None]:
    """While the block runs, each Jinja template source is compiled once. folium and branca
    make a ``Template(source)`` for many of the elements they draw, and Jinja compiles a
    source anew at each ``Environment.from_string`` (it caches only templates it loads by
    name): 386 compiles of a handful of sources, 0.5 s, for the centre quays' report. A
    compiled template keeps no state between renders, so one may serve every element."""
    import jinja2

    original = jinja2.Environment.from_string
    compiled: dict[tuple[int, str, Any], Any] = {}

    def from_string(self: Any, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or not isinstance(source, str):
            return original(self, source, globals, template_class)
        key = (id(self), source, template_class)
        if key not in compiled:
            compiled[key] = original(self, source, None, template_class)
        return compiled[key]

    jinja2.Environment.from_string = from_string
    try:
        yield
    finally:
        jinja2.Environment.from_string = original


def render(page: ReportPage, *, tiles: bool = False) -> str:
    """The whole page as one HTML document: every script inlined."""
    with templates_compiled_once():
        return _render(page, tiles)


def _render(page: ReportPage, tiles: bool) -> str:
    import branca.element as branca

    fmap = build_map(page.layers, tiles=tiles) if page.layers else None
    root = fmap.get_root() if fmap is not None else branca.Figure()
    # Elements are Jinja templates: our parts go in as markers, replaced after rendering, so
    # that nothing in them (scripts, names) is read as template syntax.
    parts = {"<!--optimise:head-->": f"<title>{html.escape(page.title)}</title>\n<style>{STYLE}</style>\n"
                                     + _inline_assets(fmap is not None, bool(page.charts)),
             "<!--optimise:top-->": _top(page)}
    root.header.add_child(branca.Element("<!--optimise:head-->"), name="optimise_head")
    root.html.add_child(branca.Element("<!--optimise:top-->"), name="optimise_top", index=0)
    document = root.render()
    for marker, text in parts.items():
        document = document.replace(marker, text, 1)
    end = document.rfind("</body>")
    document = document[:end] + _bottom(page) + "\n" + document[end:]
    if fmap is not None:  # the map's control runs after the map's own script has made the map
        end = document.rfind("</html>")
        document = document[:end] + f"<script>{fmap.control_script}</script>\n" + document[end:]
    return document


def write_report(folder: Path, page: ReportPage, *, tiles: bool = False) -> str:
    """Write ``folder/report.html`` (the folder is being assembled aside; see
    :func:`optimise.files.atomic_folder`) and return its name."""
    (folder / "report.html").write_text(render(page, tiles=tiles), encoding="utf-8")
    return "report.html"


def run_facts(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The solver's figures of a run as a planner reads them: status with its gap, time."""
    facts = [("instance", str(summary.get("instance") or "")), ("status", str(summary.get("status", "")))]
    gap = summary.get("gap")
    if gap is not None and summary.get("status") != "optimal":
        facts.append(("gap to the best bound", f"{gap:.2%}"))
    if summary.get("seconds") is not None:
        facts.append(("seconds", f"{summary['seconds']:,.1f}"))
    return [(k, v) for k, v in facts if v]


def plan_page(problem: Any, result: Any, summary: dict[str, Any], impact: Any = None) -> ReportPage:
    """The report of a solved plan: the problem's layers and charts, the flags of its
    cascade check, its tables and the impact's."""
    page = ReportPage(f"{problem.title}: the plan", run_facts(summary), list(result.solution.headline))
    page.layers = problem.map_layers(result) + flag_layers(impact)
    page.charts = problem.charts(result)
    page.tables = {name: (table, f"{name}.csv") for name, table in result.tables.items()}
    if impact is not None:
        page.tables["Systems per period (cascade check)"] = (impact.system_flags(), "system_flags.csv")
        flagged = impact.asset_flags()
        page.tables["Flagged assets and why"] = (flagged[flagged["flag"].isin(["orange", "red"])], "asset_flags.csv")
    page.notes = list(getattr(problem, "attribution", ()))
    return page


def pareto_chart(front: Any, objectives: dict[str, Any]) -> Any:
    """The front as connected points, coloured by the worst cascade flag where known; the
    axes say their unit and which way is better; hovering shows the point's figures."""
    import plotly.graph_objects as go

    t = front.table

    def label(name: str) -> str:
        term = objectives[name]
        return f"{name} ({term.unit}; {'higher' if term.maximize else 'lower'} is better)"

    colours = [FLAG_COLOURS.get(f, "#1f77b4") for f in t["flag"]] if "flag" in t.columns else "#1f77b4"
    flag = t["flag"].astype(str) if "flag" in t.columns else pd.Series("", index=t.index)
    fig = go.Figure(go.Scatter(
        x=t[front.x], y=t[front.y], mode="lines+markers+text", text=t["point"].astype(str), textposition="top right",
        marker={"size": 11, "color": colours, "line": {"width": 1, "color": "black"}}, line={"color": "#888888"},
        customdata=flag, hovertemplate=f"point %{{text}}<br>{front.x}: %{{x:,.4g}}<br>{front.y}: %{{y:,.4g}}"
                                       "<br>cascade flag: %{customdata}<extra></extra>", showlegend=False))
    fig.update_layout(xaxis_title=label(front.x), yaxis_title=label(front.y), height=480,
                      title=f"Pareto front: {front.x} against {front.y} ({len(t)} points)")
    return fig


def compare_chart(table: pd.DataFrame, key_figures: tuple[tuple[str, str], ...] = ()) -> Any:
    """Variants side by side: the planner's first figure (bars coloured by the worst cascade
    flag) and, where known, the red and orange flag counts."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    solved = table[table["status"].isin(["optimal", "feasible"])] if "status" in table.columns else table
    flags = "red_flags" in solved.columns
    names = solved["variant"].astype(str).tolist()
    lead = next(((key, label) for key, label in key_figures if key in solved.columns), ("objective", "objective"))
    colours = "#1f77b4"
    if flags:
        colours = [FLAG_COLOURS["red"] if r > 0 else FLAG_COLOURS["orange"] if o > 0 else FLAG_COLOURS["green"]
                   for r, o in zip(solved["red_flags"].fillna(0), solved["orange_flags"].fillna(0))]
    fig = make_subplots(rows=2 if flags else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_trace(go.Bar(x=names, y=solved[lead[0]], marker_color=colours, name=lead[1]), row=1, col=1)
    fig.update_yaxes(title_text=lead[1], row=1, col=1)
    if flags:
        fig.add_trace(go.Bar(x=names, y=solved["red_flags"], marker_color=FLAG_COLOURS["red"], name="red flags"),
                      row=2, col=1)
        fig.add_trace(go.Bar(x=names, y=solved["orange_flags"], marker_color=FLAG_COLOURS["orange"],
                             name="orange flags"), row=2, col=1)
        fig.update_yaxes(title_text="cascade flags (count)", dtick=1, row=2, col=1)
    fig.update_layout(barmode="stack", height=620 if flags else 420,
                      title=f"{len(solved)} of {len(table)} variants with a plan")
    return fig


def impact_page(impact: Any, summary: dict[str, Any]) -> ReportPage:
    """The report of a scenario on the vital systems: the flags on the map per period and
    system, the systems' flags, the indicators, the flagged assets and why."""
    page = ReportPage(f"Impact: {impact.scenario.name}", layers=flag_layers(impact))
    flags = impact.asset_flags()
    page.tables = {"Systems per period": (impact.system_flags(), "system_flags.csv"),
                   "Indicators": (impact.indicators(), "indicators.csv"),
                   "Flagged assets and why": (flags[flags["flag"].isin(["orange", "red"])], "asset_flags.csv")}
    return page


def front_page(front: Any, problem: Any, summary: dict[str, Any]) -> ReportPage:
    """The report of a Pareto front: the chart and its table."""
    page = ReportPage(f"{problem.title}: {front.x} against {front.y}", run_facts(summary))
    page.charts = {"Pareto front": pareto_chart(front, problem.objectives)}
    page.tables = {"Points of the front": (front.table, "pareto.csv")}
    return page


def compare_page(table: pd.DataFrame, key_figures: tuple[tuple[str, str], ...], folder: Path) -> ReportPage:
    """The report of a batch: the variants side by side."""
    page = ReportPage(f"Batch {folder.name}: {len(table)} variants")
    page.charts = {"Variants side by side": compare_chart(table, key_figures)}
    page.tables = {"Variants": (table, "results.csv")}
    return page
