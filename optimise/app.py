"""``optimise app INSTANCE``: what-ifs on the map, in a local web app.

A planner sees the current plan on the map with its headline figures and flags; clicks a
site to forbid or fix it; draws a polygon that becomes a claimed area (a new row of the
problem's table of areas, ``"conflicts+"`` in the variant); changes a parameter; solves again,
watching the solver's progress and able to stop it; compares the new plan with the one before in planner units; and
downloads the what-if as a variants file (for ``optimise batch``) and the plan's report.

Why Dash with dash-leaflet: Dash serves its scripts from the installed Python package (the app
works with no internet), its callbacks are plain Python functions calling our pipeline, and
dash-leaflet turns a click on a feature into a callback (the site clicked) with Leaflet bundled;
its charts are plotly, as in report.html. Streamlit re-runs the whole script on each click and
Panel's Leaflet maps go through ipywidgets; Shiny's would too.

Every solve is ``optimise solve`` run as a child process, with the what-if as ``--set``
overrides, into a fresh result folder: the command line's own pipeline, so nothing is solved
differently, and "stop" ends that process (the plan before stays). From the second solve on,
HiGHS starts from the last plan (``--start``), less what the new what-if no longer allows. What a browser sends is data:
a site id is accepted only if the instance has it, a parameter only if the problem declares it,
with a number for a number; nothing the browser sends becomes a path or a command.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimise.errors import InputError

#: Site states a click cycles through, and their colours on the map.
CYCLE = {"": "forbidden", "forbidden": "fixed", "fixed": ""}
STATE_COLOURS = {"forbidden": "#d62728", "fixed": "#2ca02c"}
LOG_LINES = 6


@dataclass
class Solve:
    """One solve in its child process: its folder, log and outcome."""

    number: int
    folder: Path
    overrides: dict[str, Any]
    process: subprocess.Popen | None = None
    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    summary: dict[str, Any] | None = None
    stopped: bool = False

    @property
    def log(self) -> Path:
        return self.folder / "solve.log"

    @property
    def out(self) -> Path:
        return self.folder / "result"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def progress(self) -> str:
        try:
            lines = [x for x in self.log.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
        except OSError:
            return ""
        return "\n".join(lines[-LOG_LINES:])


class WhatIf:
    """The session of one planner: the instance, the what-if being drawn (site states and
    parameters) and the solves so far. The browser's requests change it only through
    :meth:`click_site` and :meth:`set_parameter`, which check what they are given."""

    def __init__(self, instance_path: Path, workdir: Path | None = None) -> None:
        from optimise.instance import load_instance
        from optimise.registry import get_problem

        self.instance_path = Path(instance_path).resolve()
        self.instance = load_instance(self.instance_path)
        self.problem_cls = get_problem(self.instance.problem)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="optimise-app-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.site_key = next((key for key, schema in self.problem_cls.tables.items()
                              if {"fixed", "forbidden"} <= {c.name for c in schema.columns} and self.instance.has(key)),
                             None)
        # the validated table: its fixed and forbidden columns are read as the problem reads them
        sites = self.instance.table(self.site_key, self.problem_cls.tables[self.site_key]) if self.site_key \
            else pd.DataFrame({"id": [], "fixed": [], "forbidden": []})
        self.site_ids = set(sites["id"].astype(str))
        self.given = {str(i): ("fixed" if f else "forbidden" if b else "")
                      for i, f, b in zip(sites["id"], sites["fixed"].astype(bool), sites["forbidden"].astype(bool))}
        # the problem's table of areas: a polygon drawn on the map becomes a row of it
        key = self.problem_cls.drawn_areas
        self.area_key = key if key and self.instance.has(key) else None
        self.areas: list[dict[str, Any]] = []  # drawn polygons as rows (id, claim, WKT in WGS84)
        self.sites: dict[str, str] = {}  # site id -> "fixed" / "forbidden" / "" (as given)
        # works closed in a chosen period (the problem's given_period: table, column, periods)
        self.period_key, self.period_column, periods_key = self.problem_cls.given_period or ("", "", "")
        self.periods: list[int] = []
        self.work_ids: set[str] = set()
        if self.period_key and self.instance.has(self.period_key) and self.instance.has(periods_key):
            self.periods = [int(v) for v in self.instance.read(periods_key)["period"]]
            self.work_ids = set(self.instance.read(self.period_key)["id"].astype(str))
        self.starts: dict[str, int] = {}  # work id -> the period it is closed (starts) in
        self.parameters: dict[str, float] = {}
        self.solves: list[Solve] = []
        self.lock = threading.Lock()

    # -- what the browser may change ------------------------------------------------------
    def click_site(self, site: Any) -> str:
        """Cycle a site through forbidden, fixed and as given; return its new state."""
        site = str(site)
        if site not in self.site_ids:
            raise InputError(f"unknown site {site!r}", file=self.instance.label(self.site_key or "sites"), field="id")
        now = CYCLE[self.state(site)]
        if now == self.given.get(site, ""):
            self.sites.pop(site, None)
        else:
            self.sites[site] = now
        return now

    def click_work(self, work: Any, period: Any) -> int | None:
        """Close a work in ``period`` (its start), or give it back to the plan when it already
        is; return its period or None."""
        work = str(work)
        if work not in self.work_ids:
            raise InputError(f"unknown work {work!r}", file=self.instance.label(self.period_key), field="id")
        try:
            period = int(period)
        except (TypeError, ValueError):
            raise InputError(f"expected a period, found {period!r}", file=self.instance.label(self.period_key),
                             field=self.period_column) from None
        if period not in self.periods:
            raise InputError(f"period {period} is not a period of the instance", file=self.instance.label(self.period_key),
                             field=self.period_column)
        if self.starts.get(work) == period:
            del self.starts[work]
            return None
        self.starts[work] = period
        return period

    def asset_layer(self) -> Any:
        """The vital-systems assets (id, geometry in WGS84), read once, for the flags on the
        map; None without assets or geometry."""
        if not hasattr(self, "_assets"):
            import geopandas as gpd

            from optimise.vital import load_vital_systems

            vs = load_vital_systems(self.instance)
            geometry = getattr(vs, "geometry", None) if vs is not None else None
            self._assets = None if geometry is None or geometry.crs is None else gpd.GeoDataFrame(
                {"id": vs.assets["id"].astype(str).to_numpy()},
                geometry=geometry.reset_index(drop=True).representative_point().to_crs(4326).to_numpy(), crs=4326)
        return self._assets

    def set_areas(self, drawn: Any) -> None:
        """The polygons drawn on the map (a GeoJSON FeatureCollection in WGS84) as new rows of
        the area table; anything but valid polygons is refused."""
        import shapely
        from shapely.geometry import shape

        if self.area_key is None:
            raise InputError("the problem has no table of areas to draw", file=str(self.instance.toml_file))
        features = (drawn or {}).get("features", []) if isinstance(drawn, dict) else []
        rows = []
        for k, feature in enumerate(features, start=1):
            try:
                polygon = shape(feature["geometry"])
            except Exception:  # noqa: BLE001 - what a browser sent: data, refused plainly
                raise InputError(f"drawn area {k} is not a geometry", file=self.instance.label(self.area_key),
                                 field="geometry") from None
            if polygon.geom_type not in ("Polygon", "MultiPolygon") or not polygon.is_valid or polygon.is_empty:
                raise InputError(f"drawn area {k} is not a valid polygon", file=self.instance.label(self.area_key),
                                 field="geometry")
            rows.append({"id": f"drawn-{k}", "claim": "drawn in the app",
                         "geometry": shapely.to_wkt(polygon, rounding_precision=6), "crs": "EPSG:4326"})
        self.areas = rows

    def state(self, site: str) -> str:
        return self.sites.get(site, self.given.get(site, ""))

    def numeric_parameters(self) -> dict[str, Any]:
        """The problem's numeric parameters, by name: the ones a planner may change here."""
        return {name: p for name, p in self.problem_cls.parameters.items() if p.kind in ("integer", "number")}

    def parameter_value(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        return self.instance.parameters.get(name, self.numeric_parameters()[name].default)

    def set_parameter(self, name: str, value: Any) -> None:
        """Set a numeric parameter (checked by the problem's own rule); None or "" resets it."""
        params = self.numeric_parameters()
        if name not in params:
            raise InputError(f"unknown parameter {name!r}", file=str(self.instance.toml_file), field="parameters")
        if value is None or value == "":
            self.parameters.pop(name, None)
            return
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"expected a number, found {value!r}", file=str(self.instance.toml_file),
                             field=f"parameters.{name}") from None
        if not math.isfinite(number):
            raise InputError(f"expected a finite number, found {value!r}", file=str(self.instance.toml_file),
                             field=f"parameters.{name}")
        if params[name].kind == "integer":
            number = int(round(number))
        params[name].check(number, file=str(self.instance.toml_file))
        if number == self.instance.parameters.get(name, params[name].default):
            self.parameters.pop(name, None)
        else:
            self.parameters[name] = number

    # -- the what-if as overrides ---------------------------------------------------------
    def overrides(self) -> dict[str, Any]:
        """The what-if as variant overrides (the same as a variants file or ``--set``)."""
        out: dict[str, Any] = dict(self.parameters)
        if self.starts:
            out[f"{self.period_key}.{self.period_column}"] = dict(sorted(self.starts.items()))
        if self.areas:
            out[f"{self.area_key}+"] = [dict(row) for row in self.areas]
        for column in ("forbidden", "fixed"):
            # a site's column is written where it differs from what the instance gives
            edits = {s: state == column for s, state in sorted(self.sites.items())
                     if (state == column) != (self.given.get(s, "") == column)}
            if edits:
                out[f"{self.site_key}.{column}"] = edits
        return out

    def variants_toml(self, name: str = "what-if") -> str:
        """The what-if as a variants file: one ``[[variant]]`` for ``optimise batch``."""
        lines = [f"# what-if drawn in `optimise app {self.instance_path.name}`", "", "[[variant]]",
                 f"name = {json.dumps(name)}"]
        for key, value in self.overrides().items():
            lines.append(f"{json.dumps(key)} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    # -- solving ----------------------------------------------------------------------------
    def start_solve(self) -> Solve:
        """Start ``optimise solve`` on the what-if in a child process (one at a time)."""
        with self.lock:
            if self.solves and self.solves[-1].running:
                return self.solves[-1]
            number = len(self.solves) + 1
            folder = self.workdir / f"solve-{number}"
            folder.mkdir(parents=True, exist_ok=True)
            solve = Solve(number, folder, self.overrides())
            command = [str(Path(sys.executable).parent / "optimise"), "solve", str(self.instance_path),
                       "--out", str(solve.out), "--json", "-v"]
            before = self.plans()
            if before:
                command += ["--start", str(before[-1].out)]
            for key, value in solve.overrides.items():
                command += ["--set", f"{key}={_toml_value(value)}"]
            with open(solve.log, "w", encoding="utf-8") as log, open(folder / "summary.out", "w") as out:
                solve.process = subprocess.Popen(command, stdout=out, stderr=log, stdin=subprocess.DEVNULL,
                                                 cwd=str(self.workdir), start_new_session=True)
            self.solves.append(solve)
            return solve

    def stop(self) -> None:
        """End the running solve; the plan before it stays."""
        with self.lock:
            if self.solves and self.solves[-1].running:
                self.solves[-1].stopped = True
                self.solves[-1].process.terminate()

    def poll(self) -> Solve | None:
        """The last solve, its summary read once it has ended."""
        if not self.solves:
            return None
        solve = self.solves[-1]
        if not solve.running and solve.summary is None and solve.process is not None:
            solve.process.wait()
            solve.seconds = time.perf_counter() - solve.started
            text = (solve.folder / "summary.out").read_text(encoding="utf-8").strip()
            try:
                solve.summary = json.loads(text.splitlines()[-1]) if text else {}
            except json.JSONDecodeError:
                solve.summary = {}
            if solve.stopped:
                solve.summary = {"status": "stopped"}
            elif not solve.summary:
                solve.summary = {"status": "failed", "reason": solve.progress().splitlines()[-1:] or [""]}
        return solve

    def plans(self) -> list[Solve]:
        """The solves that gave a plan, oldest first."""
        return [s for s in self.solves if s.summary and s.summary.get("status") in ("optimal", "feasible")
                and (s.out / "summary.json").exists()]

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


# -- the page -------------------------------------------------------------------------------

def plan_features(solve: Solve, whatif: WhatIf) -> dict[str, Any]:
    """The plan of a solve as GeoJSON layers for the map, each feature with its colour."""
    import geopandas as gpd
    import pyogrio

    from optimise.cascade import FLAG_ORDER
    from optimise.plots import FLAG_COLOURS

    layers: dict[str, Any] = {}
    gpkg = solve.out / "layers.gpkg"
    if gpkg.exists():
        names = [name for name, _ in pyogrio.list_layers(gpkg)
                 if not name.startswith("period_") and name != "assignment"]  # walks would hide the sites
        # the sites a planner clicks last, so that they lie on top
        for name in sorted(names, key=lambda n: n == whatif.site_key or n == "hubs"):
            frame = gpd.read_file(gpkg, layer=name)
            if frame.crs is not None:
                frame = frame.to_crs(4326)
            colour = pd.Series("#1f77b4", index=frame.index)
            if "open" in frame.columns:
                colour = pd.Series(np.where(frame["open"].astype(bool), "#54278f", "#bbbbbb"), index=frame.index)
            if "served" in frame.columns:
                colour = frame["served"].astype(float).map(lambda v: "#6baed6" if v > 0.5 else "#999999")
            if "start" in frame.columns:
                colour = frame["start"].map(lambda v: "#6a3d9a" if pd.notna(v) else "#cccccc")
            if name == (whatif.site_key or "") or "open" in frame.columns:
                states = frame["id"].astype(str).map(whatif.state)
                colour = colour.where(states == "", states.map(STATE_COLOURS))
            if whatif.starts and "id" in frame.columns:
                given = frame["id"].astype(str).isin(whatif.starts)
                colour = colour.where(~given, STATE_COLOURS["fixed"])
            frame["_colour"] = colour.astype(str)
            # points after lines, so that a bridge is clickable over the quays that meet it
            frame = frame.iloc[np.argsort((frame.geom_type == "Point").to_numpy(), kind="stable")]
            keep = [c for c in frame.columns if c in ("id", "name", "open", "size", "users", "served", "start", "kind",
                                                     "walk_m", "_colour") or c == frame.geometry.name]
            layers[name] = json.loads(frame[keep].to_json(drop_id=True))
    flags = solve.out / "asset_flags.csv"
    assets = whatif.asset_layer()
    if flags.exists() and assets is not None:
        # the knock-on flags of the cascade check, each asset at its worst over the periods
        table = pd.read_csv(flags)
        table = table[table["flag"].isin(["orange", "red"])].copy()
        table["rank"] = table["flag"].map(FLAG_ORDER)
        worst = table.sort_values(["rank", "period"], ascending=[False, True]).drop_duplicates("asset")
        where = worst.merge(assets, left_on="asset", right_on="id", how="inner", suffixes=("", "_asset"))
        if len(where):
            frame = gpd.GeoDataFrame(where[["asset", "system", "flag", "period", "explanation"]],
                                     geometry=where["geometry"].to_numpy(), crs=4326)
            frame["_colour"] = frame["flag"].map(FLAG_COLOURS)
            frame["_flag"] = True  # drawn as a ring round what it flags
            layers["flags"] = json.loads(frame.to_json(drop_id=True))
    return layers


def compare_rows(whatif: WhatIf) -> list[dict[str, str]]:
    """The last two plans side by side in the problem's key figures, status and flags."""
    from optimise.webreport import format_value

    plans = whatif.plans()[-2:]
    if not plans:
        return []
    figures = [("status", "status"), ("gap", "gap")] + list(whatif.problem_cls.key_figures)
    rows = []
    for key, label in figures:
        row = {"figure": label}
        for solve in plans:
            value = solve.summary.get(key)
            row[f"plan {solve.number}"] = f"{value:.2%}" if key == "gap" and value is not None else format_value(value)
        rows.append(row)
    for flag in ("red", "orange"):
        row = {"figure": f"{flag} flags"}
        for solve in plans:
            counts = (solve.summary.get("flags") or {}).get("counts", {})
            row[f"plan {solve.number}"] = format_value(counts.get(flag, 0))
        rows.append(row)
    row = {"figure": "seconds (click to plan)"}
    for solve in plans:
        row[f"plan {solve.number}"] = f"{solve.seconds:.1f}" if solve.seconds else ""
    rows.append(row)
    return rows


def build_app(whatif: WhatIf) -> Any:
    """The Dash app of a what-if session."""
    import dash
    import dash_leaflet as dl
    from dash import Input, Output, State, dcc, html

    params = whatif.numeric_parameters()
    # the map's drawing functions live in static/app/optimise.js, served with the app
    point, style = {"variable": "optimiseApp.map.point"}, {"variable": "optimiseApp.map.style"}
    app = dash.Dash(__name__, title=f"optimise: {whatif.instance.name}", serve_locally=True,
                    assets_folder=str(Path(__file__).resolve().parent / "static" / "app"))
    inputs = [html.Div([html.Label(f"{name} ({p.unit})" if p.unit else name, title=p.description),
                        dcc.Input(id={"type": "param", "name": name}, type="number", debounce=True,
                                  value=whatif.parameter_value(name), style={"width": "100%"})],
                       style={"marginBottom": "6px"}) for name, p in params.items()]
    app.layout = html.Div([
        html.Div([
            html.H3(whatif.instance.name, style={"margin": "4px 0 8px"}),
            html.P("Click a site on the map: forbidden (red), fixed (green), as given. Change a parameter. "
                   + (f"Draw an area (the polygon tool): it becomes a row of {whatif.area_key}, "
                      "a claimed area. " if whatif.area_key else "") + "Then solve again.",
                   style={"fontSize": "12px", "color": "#555"}) if whatif.site_key else None,
            *([html.Div([html.Label("Close a clicked work in", htmlFor="close-period"),
                         dcc.Dropdown(id="close-period", options=[str(p) for p in whatif.periods],
                                      value=str(whatif.periods[0]), clearable=False)],
                        style={"marginBottom": "8px"}),
               html.P("Click a work on the map to start its renewal in that year (green); click it again to give "
                      "it back to the plan.", style={"fontSize": "12px", "color": "#555"})] if whatif.periods else []),
            *inputs,
            html.Div([html.Button("Solve", id="solve", n_clicks=0), html.Button("Stop", id="stop", n_clicks=0,
                                                                                  style={"marginLeft": "8px"})]),
            html.Div(id="status", style={"margin": "8px 0", "fontWeight": "600"}),
            html.Pre(id="progress", style={"fontSize": "10px", "whiteSpace": "pre-wrap", "maxHeight": "140px",
                                           "overflow": "auto", "background": "#f6f6f6"}),
            html.Div(id="whatif", style={"fontSize": "12px"}),
            html.Div([html.Button("Download what-if (variants.toml)", id="get-variants", n_clicks=0),
                      html.Button("Download report.html", id="get-report", n_clicks=0, style={"marginTop": "4px"})],
                     style={"display": "flex", "flexDirection": "column", "marginTop": "8px"}),
            dcc.Download(id="download"),
        ], style={"width": "300px", "padding": "8px", "overflow": "auto", "height": "96vh"}),
        html.Div([
            dl.Map([dl.GeoJSON(id="plan", pointToLayer=point, style=style, zoomToBounds=True),
                    dl.ScaleControl(position="bottomleft"),
                    *([dl.FeatureGroup([dl.EditControl(id="draw", position="topleft", draw={
                        "polygon": True, "rectangle": True, "polyline": False, "circle": False, "marker": False,
                        "circlemarker": False})])] if whatif.area_key else [])],
                   id="map", center=[52.37, 4.89], zoom=13, style={"height": "62vh"}),
            html.Div("On the map: purple, the plan's hubs or works (grey: not chosen); blue, demand served; "
                     "red, a site forbidden; green, a site fixed or a work closed in the year chosen; rings, "
                     "the cascade check's knock-on flags (orange: under strain, red: service lost), each at its "
                     "worst over the periods.", id="key", style={"fontSize": "12px", "color": "#555"}),
            html.H4("This plan against the one before", style={"margin": "8px 0 4px"}),
            html.Div(id="compare"),
        ], style={"flex": "1", "padding": "8px"}),
        dcc.Interval(id="tick", interval=500),
        dcc.Store(id="shown", data=0),
    ], style={"display": "flex", "fontFamily": "system-ui, sans-serif"})

    @app.callback(Output("status", "children", allow_duplicate=True), Input("solve", "n_clicks"),
                  prevent_initial_call=True)
    def solve(_: int) -> str:
        whatif.start_solve()
        return "solving …"

    @app.callback(Output("status", "children", allow_duplicate=True), Input("stop", "n_clicks"),
                  prevent_initial_call=True)
    def stop(_: int) -> str:
        whatif.stop()
        return "stopping …"

    drawn = [Input("draw", "geojson")] if whatif.area_key else []
    period = [State("close-period", "value")] if whatif.periods else []

    @app.callback(Output("whatif", "children"), Input("plan", "clickData"),
                  Input({"type": "param", "name": dash.ALL}, "value"), *drawn, *period, prevent_initial_call=False)
    def edit(feature: Any, values: list[Any], *extra: Any) -> Any:
        trigger = dash.ctx.triggered_id
        areas = extra[0] if whatif.area_key else None
        chosen = extra[-1] if whatif.periods else None
        message = ""
        try:
            if trigger == "draw":
                whatif.set_areas(areas)
            elif trigger == "plan" and feature:
                clicked = str(feature.get("properties", {}).get("id", ""))
                if whatif.site_key and clicked in whatif.site_ids:
                    whatif.click_site(clicked)
                elif whatif.periods and clicked in whatif.work_ids:
                    whatif.click_work(clicked, chosen)
            elif isinstance(trigger, dict) and trigger.get("type") == "param":
                for name, value in zip(params, values):
                    whatif.set_parameter(name, value)
        except InputError as exc:
            message = str(exc)
        overrides = whatif.overrides()
        lines = [html.Div(f"{k} = {_toml_value(v)}" if not k.endswith("+") else f"{k}: {len(v)} area(s) drawn")
                 for k, v in overrides.items()] or [html.Div("as the instance gives")]
        return [html.B("What-if: "), *lines] + ([html.Div(message, style={"color": "#d62728"})] if message else [])

    @app.callback(Output("status", "children"), Output("progress", "children"), Output("plan", "data"),
                  Output("compare", "children"), Output("shown", "data"),
                  Input("tick", "n_intervals"), Input("whatif", "children"), State("shown", "data"))
    def refresh(_: Any, __: Any, shown: int) -> Any:
        solve = whatif.poll()
        if solve is None:
            return "no plan yet", "", dash.no_update, dash.no_update, shown
        if solve.running:
            return (f"solving plan {solve.number} … {time.perf_counter() - solve.started:.0f} s", solve.progress(),
                    dash.no_update, dash.no_update, shown)
        plans = whatif.plans()
        status = solve.summary.get("status", "")
        text = (f"plan {solve.number}: {status}" + (f", gap {solve.summary['gap']:.2%}"
                                                    if status == "feasible" and solve.summary.get("gap") else "")
                + f" in {solve.seconds:.1f} s" if solve.seconds else f"plan {solve.number}: {status}")
        if status not in ("optimal", "feasible"):
            text = f"plan {solve.number}: {status}" + (" (the plan before stays)" if plans else "")
        data = dash.no_update
        if plans and (plans[-1].number != shown or dash.ctx.triggered_id == "whatif"):
            layers = plan_features(plans[-1], whatif)
            features = [f for name, layer in layers.items() if isinstance(layer, dict) and "features" in layer
                        for f in layer["features"]]
            data = {"type": "FeatureCollection", "features": features}
        rows = compare_rows(whatif)
        table = html.Table([html.Tr([html.Th(c) for c in rows[0]])] + [html.Tr([html.Td(v) for v in r.values()])
                                                                        for r in rows],
                           id="compare-table", style={"fontSize": "13px"}) if rows else ""
        return text, solve.progress(), data, table, plans[-1].number if plans else shown

    @app.callback(Output("download", "data"), Input("get-variants", "n_clicks"), Input("get-report", "n_clicks"),
                  prevent_initial_call=True)
    def download(_: int, __: int) -> Any:
        if dash.ctx.triggered_id == "get-variants":
            return dcc.send_string(whatif.variants_toml(), "variants.toml")
        plans = whatif.plans()
        if plans and (plans[-1].out / "report.html").exists():
            return dcc.send_file(str(plans[-1].out / "report.html"))
        return dash.no_update

    return app
