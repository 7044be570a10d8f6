"""Build the Amsterdam quay-wall and bridge renewal instance (seeded; run again to rebuild).

    .venv/bin/python instances/amsterdam-quays/make_instance.py [--seed 2026] [--small]

Reads the committed ``instances/amsterdam-base`` layers (so a fresh clone can rebuild it)
and writes, next to this script, the works to schedule, the periods with budget and crews,
districts, blackouts, precedence pairs, the cables and pipes under the works, the street
nodes with inhabitants, and the vital-systems layers the cascade checker uses.
``--small`` writes the small instance of ``instances/amsterdam-quays-small`` instead (the
works within 900 m of the Dam, 8 periods) for tests and the notebook.

Real: the 850 traffic bridges (the largest deck areas of all 2,856 bridge outlines of the
Gemeente Amsterdam), the neighbourhoods with inhabitants, the high-voltage substations.
Generated (plausible, documented in the README): quay segments, condition and latest
renewal period, durations, costs, crews, risk costs, budgets, districts' closure limits,
blackouts, precedence, cables and pipes with their own replacement windows; the street
network is the generated arterial network of the base layer.
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
from shapely import LineString

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "amsterdam-base"
RD = "EPSG:28992"
DAM = (121400.0, 487400.0)
CENTRAAL = (121900.0, 488200.0)
FIRST_YEAR = 2027
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


def build(seed: int, small: bool) -> None:
    rng = np.random.default_rng(seed + (7 if small else 0))
    hoods = gpd.read_file(BASE / "neighbourhoods.gpkg")
    assets = gpd.read_file(BASE / "assets.gpkg")
    deps = pd.read_csv(BASE / "dependencies.csv")
    links = assets[assets["type"] == "arterial street link"].reset_index(drop=True)
    all_bridges = assets[assets["type"].isin(["traffic bridge", "bridge (slow traffic)"])].reset_index(drop=True)
    traffic = assets[assets["type"] == "traffic bridge"].reset_index(drop=True)
    quays = quay_segments(all_bridges, 4200.0)
    periods = 8 if small else 20
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
    works = []
    for k, b in traffic.iterrows():
        on_link = b["id"] in carried
        area = float(b.get("area_m2") or 300.0)
        works.append({"id": b["id"], "kind": "bridge", "name": f"bridge {b['id']}", "length_m": 0.0,
                      "duration": 2 if area > 1500 else 1,
                      "cost": round(min(max(area, 150.0), 2500.0) * rng.uniform(6000, 10000), -3),
                      "crews": 1.0, "link": carried.get(b["id"]) or nearest_link(b.geometry.centroid),
                      "closure_share": 0.5 if on_link else 0.1, "geometry": b.geometry.centroid})
    for q in quays.itertuples():
        works.append({"id": q.id, "kind": "quay", "name": f"quay between {q.ends[0]} and {q.ends[1]}",
                      "length_m": float(q.length_m), "duration": 2 if q.length_m > 450 else 1,
                      "cost": round(q.length_m * rng.uniform(20000, 30000), -3), "crews": 1.0 if q.length_m <= 450 else 2.0,
                      "link": nearest_link(q.geometry.centroid), "closure_share": 0.25, "geometry": q.geometry})
    works = gpd.GeoDataFrame(works, crs=RD)
    works["district"] = district_of[: len(works)]
    cs = np.hypot(works.geometry.centroid.x - CENTRAAL[0], works.geometry.centroid.y - CENTRAAL[1]).to_numpy()
    works.loc[cs < 1000, "district"] = "A-IJ"
    # condition: a share is due within the horizon; risk of waiting 3-8 % of the cost a period
    due = rng.random(len(works)) < np.where(works["kind"] == "quay", 0.40, 0.30)
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
        vital = vital[~vital["type"].eq("arterial street link") | vital["id"].isin(set(works["link"])) | near.loc[vital.index].to_numpy()]
    ids = set(vital["id"])
    d = deps[deps["source"].isin(ids) & deps["target"].isin(ids)]
    extra = [(w.id, w.link, "access", w.closure_share) for w in works.itertuples()
             if not ((d["source"] == w.id) & (d["target"] == w.link)).any()]
    d = pd.concat([d, pd.DataFrame(extra + util_deps, columns=["source", "target", "kind", "strength"])],
                  ignore_index=True).drop_duplicates(["source", "target", "kind"])
    nodes = pd.DataFrame({"id": "N-" + hoods["id"], "people": hoods["people"]})

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
    nodes.to_csv(folder / "nodes.csv", index=False)
    vital.to_file(folder / "assets.gpkg", layer="assets", driver="GPKG")
    d.to_csv(folder / "dependencies.csv", index=False)
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
