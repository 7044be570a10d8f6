"""The street network of the base layer: real inside the A10 ring, generated outside it.

Called by ``make_instance.py`` (which writes ``streets.parquet``); the rules, per column:

Real (``source = "OpenStreetMap"``): every edge of ``streets/ams_walk_A10.gpkg`` (the OSMnx
walking export of the network inside the A10 ring: 29,755 edges, 19,023 nodes), with its
``highway`` type, ``name``, ``bridge``, ``tunnel`` and ``length_m``; nodes ``O-<osm node>``.
© OpenStreetMap contributors, ODbL 1.0: this layer is a derived database under the same licence.

Generated (``source = "generated"``): outside the area the real network covers, the arterial
links of the base layer (the Delaunay graph of inhabited neighbourhood centres, links up to
2.5 km, nodes ``N-<neighbourhood>``); a link from a centre outside to a centre inside ends at
the real motor-traffic node nearest the inside centre. Generated links carry every mode.

Repairs (``source = "generated"``): the walking export leaves out the road stretches closed to
pedestrians (``foot=no``), so some distributor roads (tertiary and up) end in the middle of the
city, and the radial roads end at the edge of the covered area. A distributor road's dead end
(a node with one motor edge) gets a ``generated gap`` link, cars and cyclists only, to the
nearest other such dead end within ``GAP_M`` (the stretch the export left out), or else to the
nearest motor node within a quarter of that which the network reaches only the long way round
(more than 200 m further than straight), and a dead end
within ``EDGE_M`` of the covered area's edge that has none gets a ``generated arterial`` link to
the nearest inhabited neighbourhood centre outside (up to 2.5 km), so that through traffic on
them has somewhere to go.

Modes: cars on the edges whose ``highway`` type carries motor traffic (``MOTOR``); walking on
every edge; cycling on every edge but sidewalks, steps, corridors and pedestrian streets
(``NO_BIKES``: Dutch traffic rules, and the centre's shopping streets ban cycling by day). The data
is a walking network without separate cycle tracks, so cyclists ride on the roads those
tracks run along: a detour by bike is measured along the road, which is close to the track.

Flows per street class (``FLOWS``) are assumed, not counted: order-of-magnitude daily flows
per class, one tenth of them in the peak-hour equivalents the problems use (the quay problem
counts ``hours_per_period`` such hours a year). Motor traffic follows the Dutch road
categories of Duurzaam Veilig (CROW): access streets (residential, living streets) below about
6,000 motor vehicles a day, mostly far below; distributor roads (tertiary to primary)
10,000-30,000. Cycling inside the ring is about 60 % of all trips (Gemeente Amsterdam,
Fietsersbond), so cyclists outnumber cars on most streets; the busiest cycle routes carry
10,000+ a day. Walking is heaviest in the pedestrian streets of the centre. Real counts per
street would replace these columns.

``exposure``: the inhabitants of the neighbourhood an edge lies in, per km of street (all
edges) in that neighbourhood: the people along a route, for exposure-weighted emissions.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay, cKDTree
from shapely import LineString

RD = "EPSG:28992"
MOTOR = {"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
         "tertiary_link", "unclassified", "residential", "living_street", "service", "road"}
#: Daily flows per street class: motor vehicles, cyclists, pedestrians (assumed; see above).
FLOWS = {
    "trunk": (30_000, 2_000, 500), "trunk_link": (10_000, 1_000, 300),
    "primary": (20_000, 8_000, 3_000), "primary_link": (8_000, 3_000, 1_000),
    "secondary": (12_000, 8_000, 3_000), "secondary_link": (5_000, 3_000, 1_000),
    "tertiary": (6_000, 6_000, 2_500), "tertiary_link": (3_000, 3_000, 1_000),
    "unclassified": (2_000, 3_000, 800), "residential": (1_000, 1_500, 1_000),
    "living_street": (300, 800, 1_500), "service": (200, 300, 300), "road": (500, 500, 300),
    "busway": (0, 1_000, 300), "pedestrian": (0, 0, 10_000), "footway": (0, 0, 1_000),
    "path": (0, 1_000, 500), "track": (0, 300, 100), "bridleway": (0, 50, 50),
    "steps": (0, 0, 500), "corridor": (0, 0, 2_000), "generated arterial": (12_000, 4_000, 1_000),
    "generated gap": (0, 0, 0),
}
NO_BIKES = {"footway", "steps", "corridor", "pedestrian"}
DISTRIBUTOR = {"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
               "tertiary_link"}
GAP_M = 250.0
EDGE_M = 400.0
PEAK_SHARE = 0.1  # peak-hour equivalents: a tenth of the day's flow


def real_streets(path: Path) -> gpd.GeoDataFrame:
    edges = gpd.read_file(path, layer="edges", engine="pyogrio").to_crs(RD)
    out = gpd.GeoDataFrame({
        "u": "O-" + edges["u"].astype(str), "v": "O-" + edges["v"].astype(str),
        "length_m": edges["length"].astype(float).round(1), "highway": edges["highway"].astype(str),
        "name": edges["name"], "bridge": edges["bridge"].astype(bool), "tunnel": edges["tunnel"].astype(bool),
        "source": "OpenStreetMap"}, geometry=edges.geometry.simplify(0.5), crs=RD)
    return out


def covered_area(real: gpd.GeoDataFrame) -> shapely.Geometry:
    """The area the real network covers: its edges buffered by 150 m, holes filled."""
    merged = shapely.union_all(real.geometry.buffer(150, quad_segs=2).to_numpy())
    polygons = getattr(merged, "geoms", [merged])
    return shapely.union_all([shapely.Polygon(p.exterior) for p in polygons])


def generated_streets(lived: gpd.GeoDataFrame, real: gpd.GeoDataFrame, covered: shapely.Geometry) -> gpd.GeoDataFrame:
    centre = lived.geometry.centroid
    xy = np.column_stack([centre.x, centre.y])
    inside = shapely.contains_xy(covered, xy[:, 0], xy[:, 1])
    motor_nodes = pd.concat([
        pd.DataFrame({"node": real["u"], "x": real.geometry.apply(lambda g: g.coords[0][0]),
                      "y": real.geometry.apply(lambda g: g.coords[0][1]), "motor": real["highway"].isin(MOTOR)}),
        pd.DataFrame({"node": real["v"], "x": real.geometry.apply(lambda g: g.coords[-1][0]),
                      "y": real.geometry.apply(lambda g: g.coords[-1][1]), "motor": real["highway"].isin(MOTOR)})])
    motor_nodes = motor_nodes[motor_nodes["motor"]].drop_duplicates("node").reset_index(drop=True)
    tree = cKDTree(motor_nodes[["x", "y"]].to_numpy())
    tri = Delaunay(xy)
    pairs = sorted({tuple(sorted((int(a), int(b)))) for s in tri.simplices
                    for a, b in ((s[0], s[1]), (s[1], s[2]), (s[0], s[2]))})
    rows = []
    for a, b in pairs:
        if inside[a] and inside[b] or np.hypot(*(xy[a] - xy[b])) > 2500:
            continue
        ends = []
        for k in (a, b):
            if inside[k]:  # the real motor node nearest the inside centre
                j = tree.query(xy[k])[1]
                ends.append((motor_nodes["node"].iloc[j], motor_nodes[["x", "y"]].iloc[j].to_numpy(float)))
            else:
                ends.append((f"N-{lived['id'].iloc[k]}", xy[k]))
        line = LineString([ends[0][1], ends[1][1]])
        rows.append({"u": ends[0][0], "v": ends[1][0], "length_m": round(line.length, 1), "highway": "generated arterial",
                     "name": None, "bridge": False, "tunnel": False, "source": "generated", "geometry": line})
    return gpd.GeoDataFrame(rows, crs=RD)


def repairs(real: gpd.GeoDataFrame, lived: gpd.GeoDataFrame, covered: shapely.Geometry) -> gpd.GeoDataFrame:
    """The gap and edge links of the distributor roads' dead ends (see the module docstring)."""
    motor = real[real["highway"].isin(MOTOR)]
    degree = pd.concat([motor["u"], motor["v"]]).value_counts()
    where = {}
    for r in motor.itertuples():
        where[r.u], where[r.v] = r.geometry.coords[0], r.geometry.coords[-1]
    nodes = pd.Index(list(where))
    xy = np.array([where[n] for n in nodes])
    graph = sp.csr_matrix((motor["length_m"].to_numpy(float), (nodes.get_indexer(motor["u"]), nodes.get_indexer(motor["v"]))),
                          shape=(len(nodes), len(nodes)))
    dead = sorted({n for r in motor[motor["highway"].isin(DISTRIBUTOR)].itertuples() for n in (r.u, r.v) if degree[n] == 1})
    dead_at = nodes.get_indexer(dead)
    tree, dead_tree = cKDTree(xy), cKDTree(xy[dead_at])
    rows, pairs, linked = [], set(), set()
    for i, k in enumerate(dead_at):
        # the nearest other dead end within GAP_M, else the nearest motor node within GAP_M / 4
        # that the network reaches only the long way round (the far side of a left-out stretch)
        d, j = dead_tree.query(xy[k], k=2)
        target = int(dead_at[j[1]]) if d[1] <= GAP_M else None
        if target is None:
            near = [x for x in tree.query_ball_point(xy[k], GAP_M / 4) if x != k]
            if near:
                by_road = dijkstra(graph, directed=False, indices=k, limit=2000.0)
                far = [x for x in near if by_road[x] > np.hypot(*(xy[x] - xy[k])) + 200.0]
                target = min(far, key=lambda x: np.hypot(*(xy[x] - xy[k])), default=None)
        if target is not None and (min(k, target), max(k, target)) not in pairs:
            pairs.add((min(k, target), max(k, target)))
            linked |= {k, target}
            rows.append({"u": nodes[k], "v": nodes[target], "length_m": round(float(np.hypot(*(xy[target] - xy[k]))), 1),
                         "highway": "generated gap", "geometry": LineString([xy[k], xy[target]])})
    centre = lived.geometry.centroid
    outside = ~shapely.contains_xy(covered, centre.x.to_numpy(), centre.y.to_numpy())
    out_xy = np.column_stack([centre.x, centre.y])[outside]
    out_ids = lived["id"].to_numpy()[outside]
    out_tree = cKDTree(out_xy)
    for k in dead_at:
        if k in linked or shapely.distance(covered.boundary, shapely.Point(xy[k])) > EDGE_M:
            continue
        d, j = out_tree.query(xy[k])
        if d <= 2500:
            rows.append({"u": nodes[k], "v": f"N-{out_ids[j]}", "length_m": round(float(d), 1),
                         "highway": "generated arterial", "geometry": LineString([xy[k], out_xy[j]])})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=RD)
    return out.assign(name=None, bridge=False, tunnel=False, source="generated")


def street_layer(source: Path, hoods: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    """The street table (see the module docstring) and the area its real part covers."""
    real = real_streets(source / "streets" / "ams_walk_A10.gpkg")
    covered = covered_area(real)
    lived = hoods[hoods["people"] > 0].reset_index(drop=True)
    streets = pd.concat([real, generated_streets(lived, real, covered), repairs(real, lived, covered)],
                        ignore_index=True)
    streets = gpd.GeoDataFrame(streets, geometry="geometry", crs=RD)
    streets.insert(0, "id", [f"S-{k + 1:05d}" for k in range(len(streets))])
    streets["car"] = streets["highway"].isin(MOTOR | {"generated arterial", "generated gap"})
    streets["bike"] = ~streets["highway"].isin(NO_BIKES)
    streets["walk"] = streets["highway"] != "generated gap"
    daily = np.array([FLOWS[h] for h in streets["highway"]], float)
    for k, column in enumerate(("cars_per_hour", "bikes_per_hour", "walkers_per_hour")):
        streets[column] = (PEAK_SHARE * daily[:, k]).round(1)
    # exposure: inhabitants per km of street in the neighbourhood the edge's middle lies in
    middle = gpd.GeoDataFrame(geometry=streets.geometry.interpolate(0.5, normalized=True), crs=RD)
    hood = gpd.sjoin(middle, hoods[["id", "people", "geometry"]], predicate="within", how="left")
    hood = hood[~hood.index.duplicated()]
    km = streets["length_m"].groupby(hood["id"].to_numpy()).sum() / 1000.0
    per_km = (hoods.set_index("id")["people"] / km).replace([np.inf], 0).fillna(0)
    streets["exposure"] = hood["id"].map(per_km).fillna(0.0).round(1).to_numpy()
    streets["geometry"] = streets.geometry.set_precision(0.1)
    return streets, covered
