"""Build the Amsterdam quay-wall and bridge renewal instance (seeded; run again to rebuild).

    .venv/bin/python instances/amsterdam-quays/make_instance.py [--seed 2026] [--small]

Reads the committed ``instances/amsterdam-base`` layers (so a fresh clone can rebuild it)
and writes, next to this script, the works to schedule, the periods with budget and crews,
districts, blackouts, precedence pairs, the cables and pipes under the works, the street
network and the street edges each work closes (per mode), and the vital-systems layers the
cascade checker uses.
``--small`` writes the small instance of ``instances/amsterdam-quays-small`` instead (the
works within 900 m of the Dam, 8 periods) for tests and the notebook.

Real: the traffic bridges inside the A10 ring (the bridge outlines of the Gemeente Amsterdam
crossed by an OpenStreetMap motor street), the streets inside the ring, the quay segments
along real canal-side streets (their place), the neighbourhoods with inhabitants, the
high-voltage substations. Generated (plausible, documented in the README): the traffic
bridges outside the ring (850-largest rule), the quay segments without a canal-side street,
condition and latest renewal period (calibrated to the public pace), durations, costs,
crews, risk costs, budgets, districts' closure limits, blackouts, precedence, cables and pipes
with their own replacement windows, the street flows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay
import shapely
from shapely import LineString

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "amsterdam-base"
RD = "EPSG:28992"
DAM = (121400.0, 487400.0)
CENTRAAL = (121900.0, 488200.0)
FIRST_YEAR = 2027
#: Public pace of renewal (see ../shared/data/amsterdam/README.md and this folder's README):
#: about 0.5-2 km of quay wall and 6-8 traffic bridges a year; the deadlines are calibrated to
#: the upper end of that range (the programme is accelerating).
QUAY_KM_A_YEAR = 2.0
BRIDGES_A_YEAR = 7
#: Who pays for and does the works on each system's cables and pipes: the grid operator and the
#: water company of Amsterdam, and the telecom companies together.
OPERATOR = {"energy": "Liander", "water": "Waternet", "digital": "telecom operators"}


def operator_budgets(utilities: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """Per operator and year: 1.5 × the cost of its cables and pipes whose window lies in the
    horizon, spread evenly, rounded to 0.1 million; crews 1.5 × their crew-years, spread, plus 1."""
    rows = []
    inside = utilities[utilities["latest"] <= years[-1]]
    for name in sorted(set(OPERATOR.values())):
        mine = inside[inside["operator"] == name]
        budget = round(1.5 * mine["cost"].sum() / len(years), -5)
        crews = int(np.ceil(1.5 * (mine["crews"] * mine["duration"]).sum() / len(years))) + 1
        rows += [{"operator": name, "period": int(y), "budget": budget, "crews": crews} for y in years]
    return pd.DataFrame(rows)


def quay_segments(bridges: gpd.GeoDataFrame, radius: float) -> gpd.GeoDataFrame:
    """Quay walls along the canals between bridges: the minimum spanning tree of the Delaunay
    graph of all bridge centres within ``radius`` m of the Dam (canals run between
    neighbouring bridges); each tree edge of 40-350 m is one segment, both canal sides,
    so its wall length is twice the edge."""
    c = bridges.geometry.centroid
    xy = np.column_stack([c.x, c.y])
    near = np.hypot(xy[:, 0] - DAM[0], xy[:, 1] - DAM[1]) < radius
    p, ids = xy[near], bridges["id"].to_numpy()[near]
    edges = set()
    for s in Delaunay(p).simplices:
        for k in range(3):
            edges.add(tuple(sorted((int(s[k]), int(s[(k + 1) % 3])))))
    e = np.array(sorted(edges))
    length = np.hypot(*(p[e[:, 0]] - p[e[:, 1]]).T)
    tree = minimum_spanning_tree(coo_matrix((length, (e[:, 0], e[:, 1])), shape=(len(p), len(p)))).tocoo()
    keep = (tree.data >= 40) & (tree.data <= 350)
    rows = []
    for k, (u, v, d) in enumerate(zip(tree.row[keep], tree.col[keep], tree.data[keep])):
        rows.append({"id": f"Q-{k + 1:04d}", "ends": (ids[u], ids[v]), "length_m": round(2 * d),
                     "geometry": LineString([p[u], p[v]])})
    return gpd.GeoDataFrame(rows, crs=RD)


def canal_side(quays: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, on_deck: set[str]) -> list[list[str]]:
    """Per quay segment, the real street edges along it: not on a bridge, their middle within
    30 m of the segment between its two bridges and running parallel to it (|cos| >= 0.85).
    A segment is along real streets when such edges cover half its length; else []."""
    real = streets[(streets["source"] == "OpenStreetMap") & ~streets["bridge"] & ~streets["id"].isin(on_deck)]
    middle = gpd.GeoDataFrame({"id": real["id"].to_numpy()}, geometry=real.geometry.interpolate(0.5, normalized=True).to_numpy(),
                              crs=RD)
    near = gpd.sjoin(middle, gpd.GeoDataFrame(geometry=quays.geometry.buffer(30.0, cap_style="flat"), crs=RD),
                     predicate="within")
    geom = dict(zip(real["id"], real.geometry))
    length = dict(zip(real["id"], real["length_m"]))
    out: list[list[str]] = [[] for _ in range(len(quays))]
    for k, group in near.groupby("index_right"):
        q = quays.geometry.iloc[k]
        (x0, y0), (x1, y1) = q.coords[0], q.coords[-1]
        direction = np.array([x1 - x0, y1 - y0]) / max(q.length, 1e-9)
        keep = []
        for e in group["id"]:
            (a0, b0), (a1, b1) = geom[e].coords[0], geom[e].coords[-1]
            vec = np.array([a1 - a0, b1 - b0])
            if np.linalg.norm(vec) > 0 and abs(vec @ direction) / np.linalg.norm(vec) >= 0.85:
                keep.append(e)
        if sum(length[e] for e in keep) >= 0.5 * q.length:
            out[int(k)] = sorted(keep)
    return out


# Distributor roads (gebiedsontsluitingswegen and up): works on them are phased, or a temporary
# bridge is placed, so that half of the lanes stay open; access streets close fully.
DISTRIBUTOR = {"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
               "tertiary", "tertiary_link"}
KEPT_OPEN = 0.5


def closures_of(works: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, bridge_streets: dict[str, str],
                quay_streets: dict[str, list[str]]) -> pd.DataFrame:
    """The street edges each work closes, per mode (shares of the flow that must detour):
    a bridge closes every edge on its deck to everyone; a quay along real canal-side
    streets closes them to cars and cyclists, pedestrians keep a path on the house side. On a
    distributor road (tertiary and up) half stays open (phased works, a temporary bridge). A
    generated bridge halves its generated link (a detour exists, as in the base layer); a
    generated quay narrows the nearest motor street edge (a quarter of cars and cyclists)."""
    car = dict(zip(streets["id"], streets["car"]))
    kept = {e: KEPT_OPEN if h in DISTRIBUTOR else 0.0 for e, h in zip(streets["id"], streets["highway"])}
    motor = streets[streets["car"]]
    rows = []
    for w in works.itertuples():
        if w.kind == "bridge":
            for e in bridge_streets.get(w.id, "").split():
                share = 0.5 if w.basis.startswith("generated") else 1.0 - kept[e]
                rows.append((w.id, e, share if car[e] else 0.0, share, share))
        elif quay_streets.get(w.id):
            rows += [(w.id, e, 1.0 - kept[e] if car[e] else 0.0, 1.0 - kept[e], 0.0) for e in quay_streets[w.id]]
        else:
            k = motor.sindex.nearest(w.geometry.centroid, return_all=False, max_distance=60.0)[1]
            if len(k):
                rows.append((w.id, str(motor["id"].iloc[int(k[0])]), 0.25, 0.25, 0.0))
    return pd.DataFrame(rows, columns=["work", "street", "car", "bike", "walk"])


def build(seed: int, small: bool) -> None:
    rng = np.random.default_rng(seed + (7 if small else 0))
    hoods = gpd.read_file(BASE / "neighbourhoods.gpkg")
    assets = gpd.read_file(BASE / "assets.gpkg")
    deps = pd.read_csv(BASE / "dependencies.csv")
    streets = gpd.read_parquet(BASE / "streets.parquet")
    links = assets[assets["type"] == "arterial street link"].reset_index(drop=True)
    all_bridges = assets[assets["type"].isin(["traffic bridge", "bridge (slow traffic)"])].reset_index(drop=True)
    traffic = assets[assets["type"] == "traffic bridge"].reset_index(drop=True)
    quays = quay_segments(all_bridges, 4200.0)
    on_deck = {e for v in all_bridges["streets"].fillna("") for e in str(v).split()}
    along = canal_side(quays, streets, on_deck)
    quays["streets"] = along
    names = dict(zip(streets["id"], streets["name"].fillna("")))
    quays["street_name"] = [pd.Series([names[e] for e in es if names[e]]).mode().iloc[0]
                            if any(names[e] for e in es) else "" for es in along]
    periods = 8 if small else 20
    # calibrated deadlines: the works due within the horizon renew QUAY_KM_A_YEAR km of quay
    # wall and BRIDGES_A_YEAR bridges a year over the whole city instance (public pace)
    quay_due_share = min(1.0, QUAY_KM_A_YEAR * 20 / (quays["length_m"].sum() / 1000.0))
    bridge_due_share = min(1.0, BRIDGES_A_YEAR * 20 / len(traffic))
    if small:
        centre = np.array(DAM)
        tc = traffic.geometry.centroid
        traffic = traffic[np.hypot(tc.x - centre[0], tc.y - centre[1]).to_numpy() < 900].reset_index(drop=True)
        qc = quays.geometry.centroid
        quays = quays[np.hypot(qc.x - centre[0], qc.y - centre[1]).to_numpy() < 900].reset_index(drop=True)

    # --- works: bridges and quays --------------------------------------------------------
    carried = deps[deps["source"].str.startswith("BR-") & deps["target"].str.startswith("ST-")]
    carried = dict(zip(carried["source"], carried["target"]))
    link_tree = links.geometry.sindex

    def nearest_link(geom) -> str:
        return str(links["id"].iloc[link_tree.nearest(geom, return_all=False)[1][0]])

    district_of = gpd.sjoin(gpd.GeoDataFrame(geometry=pd.concat([traffic.geometry.centroid, quays.geometry.centroid],
                                                                 ignore_index=True), crs=RD),
                            hoods[["district", "geometry"]], predicate="within", how="left")
    district_of = district_of[~district_of.index.duplicated()]["district"].fillna("A").to_numpy()
    works, cascade_link = [], {}
    for k, b in traffic.iterrows():
        on_link = b["id"] in carried
        area = float(b.get("area_m2") or 300.0)
        name = b["name"] if isinstance(b["name"], str) and b["name"] else f"bridge {b['id']}"
        cascade_link[b["id"]] = (carried.get(b["id"]) or nearest_link(b.geometry.centroid), 0.5 if on_link else 0.1)
        works.append({"id": b["id"], "kind": "bridge", "name": name, "length_m": 0.0,
                      "duration": 2 if area > 1500 else 1,
                      "cost": round(min(max(area, 150.0), 2500.0) * rng.uniform(6000, 10000), -3),
                      "crews": 1.0, "basis": b["basis"], "geometry": b.geometry.centroid})
    for q in quays.itertuples():
        cascade_link[q.id] = (nearest_link(q.geometry.centroid), 0.25)
        name = f"{q.street_name} (quay between {q.ends[0]} and {q.ends[1]})" if q.street_name else \
            f"quay between {q.ends[0]} and {q.ends[1]}"
        works.append({"id": q.id, "kind": "quay", "name": name,
                      "length_m": float(q.length_m), "duration": 2 if q.length_m > 450 else 1,
                      "cost": round(q.length_m * rng.uniform(20000, 30000), -3), "crews": 1.0 if q.length_m <= 450 else 2.0,
                      "basis": "OpenStreetMap: along canal-side streets" if q.streets else
                      "generated: between neighbouring bridges, no canal-side street found",
                      "geometry": q.geometry})
    works = gpd.GeoDataFrame(works, crs=RD)
    works["district"] = district_of[: len(works)]
    cs = np.hypot(works.geometry.centroid.x - CENTRAAL[0], works.geometry.centroid.y - CENTRAAL[1]).to_numpy()
    works.loc[cs < 1000, "district"] = "A-IJ"
    # condition: a share is due within the horizon; risk of waiting 3-8 % of the cost a period
    due = rng.random(len(works)) < np.where(works["kind"] == "quay", quay_due_share, bridge_due_share)
    works["risk"] = (works["cost"] * rng.uniform(0.03, 0.08, len(works))).round(-3)
    # latest start: condition-ordered deadlines that the budget can meet (cumulative check)
    cost_per_period = works["cost"] / works["duration"]
    mandatory_total = float(works.loc[due, "cost"].sum())
    budget = np.full(periods, round(1.35 * mandatory_total / periods, -6) + 20e6)
    order = rng.permutation(np.flatnonzero(due))
    latest = np.full(len(works), np.nan)
    spend = np.zeros(periods + 1)
    t = 1
    for a in order:
        duration = int(works["duration"].iloc[a])
        while t < periods and spend[t] + works["cost"].iloc[a] > 0.75 * budget[:t].sum():
            t += 1
        lo = max(1, t)
        latest[a] = rng.integers(lo, periods + 1 - duration + 1) if lo <= periods - duration + 1 else periods - duration + 1
        spend[int(latest[a]):] += works["cost"].iloc[a]
    works["latest"] = [int(FIRST_YEAR + v - 1) if np.isfinite(v) else None for v in latest]
    works["latest"] = works["latest"].astype("Int64")
    del cost_per_period

    # --- periods, districts, blackouts, precedence ----------------------------------------
    years = FIRST_YEAR + np.arange(periods)
    avg_active = works["duration"].sum() / periods
    crews = int(np.ceil(1.25 * (works.loc[due, "crews"] * works.loc[due, "duration"]).sum() / periods)) + 6
    period_table = pd.DataFrame({"period": years, "budget": budget, "crews": crews})
    sail = [y for y in years if y % 5 == 0]
    blackouts = pd.DataFrame({"period": sail, "district": "A-IJ",
                              "reason": "SAIL Amsterdam: no works along the IJ waterfront"})
    bridge_ids = set(works.loc[works["kind"] == "bridge", "id"])
    latest_of = dict(zip(works["id"], works["latest"]))
    duration_of = dict(zip(works["id"], works["duration"]))
    prec = []
    for q in quays.itertuples():
        for end in q.ends:
            room = pd.isna(latest_of.get(q.id)) or latest_of[q.id] >= FIRST_YEAR + 2 + duration_of.get(end, 1)
            if end in bridge_ids and room and rng.random() < 0.5:
                prec.append({"before": end, "after": q.id, "reason": "bridge abutment before the adjoining quay wall"})
    precedence = pd.DataFrame(prec, columns=["before", "after", "reason"])

    # --- cables and pipes under the works ---------------------------------------------------
    util_rows, util_assets, util_deps = [], [], []
    hood_xy = hoods.geometry.centroid
    lived = hoods[hoods["people"] > 0].reset_index(drop=True)
    lived_tree = lived.geometry.centroid.sindex
    n = 0
    for w in works.itertuples():
        for system, prob, area_prefix, label in (("energy", 0.5, "MV-", "MV cable"), ("digital", 0.35, "DIG-", "data cable"),
                                                 ("water", 0.4, "WD-", "water main")):
            if rng.random() >= prob:
                continue
            n += 1
            start = int(rng.integers(1, periods - 1))
            width = int(rng.integers(3, 7))
            cost = round(rng.uniform(0.2e6, 1.5e6), -3)
            uid = f"U-{n:04d}"
            util_rows.append({"id": uid, "host": w.id, "system": system, "type": label,
                              "earliest": int(FIRST_YEAR + start - 1),
                              "latest": int(FIRST_YEAR + min(start + width, periods) - 1), "duration": 1, "cost": cost,
                              "saving": round(cost * rng.uniform(0.3, 0.5), -3), "asset": uid})
            point = w.geometry.centroid
            hood = lived["id"].iloc[lived_tree.nearest(point, return_all=False)[1][0]]
            util_assets.append({"id": uid, "system": system, "type": label, "geometry": point})
            util_deps.append((uid, f"{area_prefix}{hood}", "supply", 0.1))
            util_deps.append((w.id, uid, "space", 0.3))
    utilities = pd.DataFrame(util_rows)
    utilities["operator"] = utilities["system"].map(OPERATOR)
    utilities["crews"] = 1.0
    operators = operator_budgets(utilities, years)
    # a district bears 1.6 x its works per year at once, plus 0.8 x its cables and pipes
    # due within the horizon (done on their own, each closes its host again)
    due_cables = utilities.loc[utilities["latest"] <= years[-1], "host"].map(dict(zip(works["id"], works["district"])))
    districts = pd.DataFrame({"works": works.groupby("district").size(), "cables": due_cables.value_counts()}).fillna(0)
    districts["max_closures"] = np.maximum(2, np.ceil((1.6 * districts["works"] + 0.8 * districts["cables"]) / periods)).astype(int)
    districts = districts.rename_axis("id").reset_index()[["id", "max_closures"]]
    del hood_xy

    # --- vital systems: the base layer without street cables, plus quays and utilities -----
    keep_types = {"150 kV substation", "380 kV substation", "MV feeder area", "arterial street link",
                  "drinking-water pumping station", "water district", "street access area", "data exchange",
                  "digital access area"}
    vital = assets[assets["type"].isin(keep_types) | assets["id"].isin(works["id"])].copy()
    vital["geometry"] = [g.centroid if g.geom_type in ("Polygon", "MultiPolygon") else g for g in vital.geometry]
    quay_assets = works[works["kind"] == "quay"][["id", "geometry"]].assign(system="mobility", type="quay wall")
    vital = pd.concat([vital, quay_assets, gpd.GeoDataFrame(util_assets, crs=RD)], ignore_index=True)
    vital = gpd.GeoDataFrame(vital, crs=RD).drop(columns=[c for c in ("under", "area_m2") if c in vital.columns])
    if small:  # the centre only (and the substations, stations and exchanges that serve it)
        near = vital.geometry.distance(gpd.points_from_xy([DAM[0]], [DAM[1]], crs=RD)[0]) < 2500
        vital = vital[near.to_numpy() | vital["type"].isin({"150 kV substation", "380 kV substation",
                                                            "drinking-water pumping station", "data exchange"}).to_numpy()]
        vital = vital[~vital["type"].eq("arterial street link") | vital["id"].isin({link for link, _ in cascade_link.values()}) | near.loc[vital.index].to_numpy()]
    ids = set(vital["id"])
    d = deps[deps["source"].isin(ids) & deps["target"].isin(ids)]
    extra = [(w, link, "access", share) for w, (link, share) in cascade_link.items() if w in set(works["id"])
             and not ((d["source"] == w) & (d["target"] == link)).any()]
    d = pd.concat([d, pd.DataFrame(extra + util_deps, columns=["source", "target", "kind", "strength"])],
                  ignore_index=True).drop_duplicates(["source", "target", "kind"])
    closures = closures_of(works, streets, dict(zip(traffic["id"], traffic["streets"].fillna(""))),
                           dict(zip(quays["id"], quays["streets"])))

    folder = HERE.parent / ("amsterdam-quays-small" if small else "amsterdam-quays")
    folder.mkdir(exist_ok=True)
    for name in ("assets.gpkg", "works.gpkg"):
        (folder / name).unlink(missing_ok=True)
    works.to_file(folder / "works.gpkg", layer="works", driver="GPKG")
    period_table.to_csv(folder / "periods.csv", index=False)
    districts.to_csv(folder / "districts.csv", index=False)
    blackouts.to_csv(folder / "blackouts.csv", index=False)
    precedence.to_csv(folder / "precedence.csv", index=False)
    utilities.to_csv(folder / "utilities.csv", index=False)
    operators.to_csv(folder / "operators.csv", index=False)
    (folder / "nodes.csv").unlink(missing_ok=True)  # the streets carry the inhabitants along them now
    closures.to_csv(folder / "closures.csv", index=False)
    streets.to_parquet(folder / "streets.parquet", compression="zstd", index=False)
    vital.to_file(folder / "assets.gpkg", layer="assets", driver="GPKG")
    d.to_csv(folder / "dependencies.csv", index=False)
    real_quays = int(works["basis"].str.startswith("OpenStreetMap").where(works["kind"] == "quay", False).sum())
    real_bridges = int(works["basis"].str.startswith("OpenStreetMap").where(works["kind"] == "bridge", False).sum())
    years_due = works.loc[due, "kind"]
    print(f"real: {real_bridges} bridges crossed by motor streets, {real_quays} quay segments along canal-side streets; "
          f"{len(closures)} street closures; due a year: "
          f"{works.loc[due & (works['kind'] == 'quay'), 'length_m'].sum() / 1000 / periods:.2f} km of quay, "
          f"{(years_due == 'bridge').sum() / periods:.1f} bridges")
    print(f"{folder.name}: {int((works['kind'] == 'bridge').sum())} bridges, {int((works['kind'] == 'quay').sum())} quay "
          f"segments ({works['length_m'].sum() / 1000:.0f} km), {int(due.sum())} due within {periods} periods, "
          f"{len(utilities)} cables and pipes, {len(precedence)} precedence pairs, {len(vital)} assets, {len(d)} dependencies; "
          f"budget {budget[0] / 1e6:.0f} M a period, {crews} crews, average works per period {avg_active:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    build(args.seed, args.small)


if __name__ == "__main__":
    main()
