"""Build the Amsterdam vital-systems base layer (seeded; run again to rebuild the same files).

    .venv/bin/python instances/amsterdam-base/make_instance.py [SHARED_AMSTERDAM_DIR] [--seed 2026]

Real (from ``../shared/data/amsterdam``):
- the 481 neighbourhoods with inhabitants and households (``neighbourhoods.geojson``);
- the 14 high-voltage substations in and around Amsterdam (OpenStreetMap via SciGRID);
- all 2,856 bridge outlines (Gemeente Amsterdam); the 850 with the largest deck area are taken
  as traffic bridges (the renewal programme counts about 850 traffic bridges).

Generated, plausible, documented as such (seeded):
- substation capacities (150 kV: 120-300 MW; 380 kV: 600-900 MW) and loads (55-85 %);
- jobs per neighbourhood: 40,000 over the Zuidas business neighbourhoods (in proportion to
  their area; Zuidas reports some 40,000+ workers) and 0.1 per inhabitant elsewhere (as in
  the hub instances' building blocks);
- one medium-voltage feeder area per inhabited neighbourhood, peak load
  ``KW_PER_HOUSEHOLD`` × households + ``KW_PER_JOB`` × jobs (the jobs of an uninhabited
  neighbourhood, such as the RAI, on the feeder of the nearest inhabited one) at 60-90 %
  utilisation, supplied by its nearest substation (strength 0.7) and the next nearest (0.3);
  150 kV substations depend on the nearer 380 kV one (0.5);
- 10 drinking-water pumping stations (k-means of neighbourhood centres, weighted by
  inhabitants), each powered by the feeder of its neighbourhood (0.8); one water district per
  neighbourhood, supplied by its nearest pumping station (1.0);
- an arterial street network (Delaunay graph of neighbourhood centres, links up to 2.5 km),
  capacity 1,200-3,600 vehicles/h at 40-90 % load; each traffic bridge on its nearest link
  within 150 m (the link loses half its function while the bridge is out: a detour exists);
  one street-access area per neighbourhood depending on its links (shares summing to 1);
- 6 data exchanges (k-means), powered by their feeder (0.9) and cooled by water (0.1); one
  digital-access area per neighbourhood (exchange 1.0, own feeder 0.5);
- under every street link an MV cable and a water main; feeder areas and water districts
  depend on the cables and mains of their links (shares summing to 0.5), and a cable or main
  depends on the bridges of its link for space (0.3: works on the bridge force it to move).

People and households are counted on the four kinds of area (feeder, water district, street
access, digital access), so each system's service loss counts every inhabitant once; the four
areas of a neighbourhood carry its code in ``area``, so that a loss over several systems counts
each inhabitant once too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2
from scipy.spatial import Delaunay, cKDTree
import shapely
from shapely import LineString, Point, wkt

from make_streets import street_layer

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "amsterdam"
RD = "EPSG:28992"
#: Peak load per household after diversity: an average Dutch household uses about 2,800 kWh a
#: year (CBS StatLine, "Energieverbruik particuliere woningen"); at the load factor of about
#: 0.27 typical of residential feeders that is 2,800 / 8,760 / 0.27 ≈ 1.2 kW at peak.
KW_PER_HOUSEHOLD = 1.2
#: Peak load per job: offices use about 100 kWh per m² of floor area a year (RVO reference
#: figures for offices) at about 25 m² per job, 2,500 kWh a job; over working hours (load
#: factor about 0.45) that is 2,500 / 8,760 / 0.45 ≈ 0.6 kW at peak.
KW_PER_JOB = 0.6
#: Neighbourhoods of the Zuidas business district, and the jobs there.
ZUIDAS_BUSINESS = {"K23a", "K23b", "K23c", "K23d", "K23e", "K52h", "K49c"}
ZUIDAS_JOBS = 40_000


def neighbourhoods(source: Path) -> gpd.GeoDataFrame:
    polygons = gpd.read_file(source / "neighbourhoods" / "amsterdam_buurten_GEBIED_BUURTEN_wgs84.geojson")
    figures = pd.read_csv(source / "neighbourhoods" / "buurten_data_cbs_amsterdam.csv")
    figures = figures.rename(columns={"Aantal inwoners": "people", "Huishoudens": "households"})
    merged = polygons.merge(figures[["Buurt", "people", "households"]], on="Buurt", how="left", validate="1:1")
    merged[["people", "households"]] = merged[["people", "households"]].fillna(0).astype(int)
    out = merged.rename(columns={"Buurt_code": "id", "Buurt": "name", "Stadsdeel_code": "district"})
    out = out[["id", "name", "district", "people", "households", "geometry"]].to_crs(RD)
    out = out.sort_values("id").reset_index(drop=True)
    business = out["id"].isin(ZUIDAS_BUSINESS).to_numpy()
    area = out.geometry.area.to_numpy()
    out["jobs"] = np.where(business, ZUIDAS_JOBS * area / area[business].sum(), 0.1 * out["people"]).round()
    return out[["id", "name", "district", "people", "households", "jobs", "geometry"]]


def substations(source: Path) -> gpd.GeoDataFrame:
    v = pd.read_csv(source / "power_grid_nl" / "heuristic_vertices.csv", sep="#")
    box = (v.lon > 4.72) & (v.lon < 5.08) & (v.lat > 52.28) & (v.lat < 52.43)
    keep = box & (v.typ.isin(["substation", "sub_station"]) | (v.v_id == 5894))
    v = v[keep].copy()
    v["name"] = v["name"].fillna("").str.replace("Centrale Diemen;", "", regex=False)
    v["name"] = np.where(v["name"] == "", "substation " + v["v_id"].astype(str), v["name"])
    v["kv"] = np.where(v["voltage"].fillna("").str.contains("380000"), 380, 150)
    geom = [wkt.loads(s.split(";", 1)[1]) for s in v["wkt_srid_4326"]]
    out = gpd.GeoDataFrame({"id": "HV-" + v["v_id"].astype(str), "name": v["name"], "kv": v["kv"]},
                           geometry=geom, crs="EPSG:4326").to_crs(RD)
    return out.sort_values("id").reset_index(drop=True)


def bridges(source: Path, streets: gpd.GeoDataFrame, covered) -> gpd.GeoDataFrame:
    """All bridge outlines, each a traffic bridge or not, by the street data where it is real.

    Inside the area the real street network covers, an outline is a traffic bridge when a
    motor-traffic edge crosses it (at least 3 m of the edge, or half of a shorter one, on the
    deck), named after that street; ``streets`` lists every edge on the deck, the edges its
    closure removes. Outside it, the 850 largest decks (the renewal programme counts about 850
    traffic bridges) are traffic bridges, marked as generated, each closing the generated link
    nearest it within 150 m."""
    b = gpd.read_file(source / "bridges" / "Bruggenkaart_geometry_rd.geojson")
    b = b.set_crs(RD, allow_override=True)
    b["id"] = "BR-" + b["fid"].astype(int).astype(str).str.zfill(4)
    b = b.sort_values("id").reset_index(drop=True)
    real = streets[streets["source"] == "OpenStreetMap"]
    pairs = gpd.sjoin(real[["id", "name", "car", "length_m", "geometry"]], b[["geometry"]], predicate="intersects")
    on_deck = shapely.intersection(pairs.geometry.to_numpy(), b.geometry.to_numpy()[pairs["index_right"].to_numpy()])
    pairs["on_deck"] = shapely.length(on_deck)
    pairs = pairs[pairs["on_deck"] >= np.minimum(3.0, 0.5 * pairs["length_m"])]
    inside = b.geometry.centroid.within(covered).to_numpy()
    edges_of = pairs.groupby("index_right")["id"].agg(lambda s: " ".join(sorted(s)))
    motor = pairs[pairs["car"]].sort_values("on_deck", ascending=False, kind="stable")
    crossed = set(motor["index_right"])
    named = motor[motor["name"].notna() & (motor["name"] != "")].drop_duplicates("index_right")
    name_of = dict(zip(named["index_right"], named["name"]))
    rank = b["area_m2"].rank(ascending=False, method="first").to_numpy()
    generated = streets[streets["highway"] == "generated arterial"]
    nearest = gpd.sjoin_nearest(b[~inside][["geometry"]], generated[["id", "geometry"]], max_distance=150,
                                how="left", distance_col="d").sort_values(["d", "id"], kind="stable")
    nearest = nearest[~nearest.index.duplicated()]["id"].dropna()
    rows = []
    for k in range(len(b)):
        if inside[k]:
            traffic = k in crossed
            basis = "OpenStreetMap: " + ("a motor street crosses it" if traffic else "no motor street crosses it")
            closes = edges_of.get(k, "")
        else:
            traffic = bool(rank[k] <= 850)
            basis = "generated: " + ("one of the 850 largest decks" if traffic else "not one of the 850 largest decks") \
                + " (no street data here)"
            closes = nearest.get(k, "") if traffic else ""
        rows.append({"type": "traffic bridge" if traffic else "bridge (slow traffic)", "basis": basis,
                     "name": name_of.get(k, ""), "streets": closes})
    out = pd.concat([b[["id", "area_m2"]], pd.DataFrame(rows)], axis=1)
    out = gpd.GeoDataFrame(out, geometry=b.geometry.set_precision(0.1), crs=RD)
    return out[["id", "type", "name", "basis", "streets", "area_m2", "geometry"]]


def build(source: Path, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    hoods = neighbourhoods(source)
    streets, covered = street_layer(source, hoods)
    lived = hoods[hoods["people"] > 0].reset_index(drop=True)
    centre = lived.geometry.centroid
    xy = np.column_stack([centre.x, centre.y])
    assets: list[dict] = []
    deps: list[tuple[str, str, str, float]] = []

    def add(id_, system, type_, geometry, **kw):
        assets.append({"id": id_, "system": system, "type": type_, "geometry": geometry, **kw})

    # energy: HV substations and MV feeder areas
    subs = substations(source)
    for s in subs.itertuples():
        cap = rng.uniform(600, 900) if s.kv == 380 else rng.uniform(120, 300)
        add(s.id, "energy", f"{s.kv} kV substation", s.geometry, name=s.name, capacity=round(cap, 1),
            load=round(cap * rng.uniform(0.55, 0.85), 1), unit="MW", criticality=5.0)
    sub_xy = np.column_stack([subs.geometry.x, subs.geometry.y])
    big = subs.index[subs["kv"] == 380].to_numpy()
    for k, s in subs.iterrows():
        if s.kv == 150 and len(big):
            nearest = big[np.argmin(np.hypot(*(sub_xy[big] - sub_xy[k]).T))]
            deps.append((subs.id[nearest], s.id, "supply", 0.5))
    tree = cKDTree(sub_xy)
    _, near = tree.query(xy, k=2)
    feeder = {}
    jobs = lived["jobs"].to_numpy(float).copy()
    unlived = hoods[hoods["people"] <= 0]
    if len(unlived):  # their jobs on the feeder of the nearest inhabited neighbourhood
        near_lived = cKDTree(xy).query(np.column_stack([unlived.geometry.centroid.x, unlived.geometry.centroid.y]))[1]
        np.add.at(jobs, near_lived, unlived["jobs"].to_numpy(float))
    for i, h in lived.iterrows():
        load = (KW_PER_HOUSEHOLD * h.households + KW_PER_JOB * jobs[i]) / 1000
        fid = f"MV-{h.id}"
        feeder[h.id] = fid
        add(fid, "energy", "MV feeder area", centre[i], name=h["name"], capacity=round(load / rng.uniform(0.6, 0.9), 3),
            load=round(load, 3), unit="MW", people=h.people, households=h.households, area=h.id)
        deps.append((subs.id[near[i, 0]], fid, "supply", 0.7))
        deps.append((subs.id[near[i, 1]], fid, "supply", 0.3))

    def hood_of(points: np.ndarray) -> np.ndarray:
        return cKDTree(xy).query(points)[1]

    # water: pumping stations and districts
    pumps, _ = kmeans2(xy, xy[rng.choice(len(xy), 10, replace=False, p=lived.people / lived.people.sum())],
                       minit="matrix", seed=seed)
    for k, (x, y) in enumerate(pumps):
        pid = f"PUMP-{k + 1:02d}"
        add(pid, "water", "drinking-water pumping station", Point(x, y), capacity=np.inf, load=0.0, criticality=4.0)
        deps.append((feeder[lived.id[hood_of(np.array([[x, y]]))[0]]], pid, "supply", 0.8))
    nearest_pump = cKDTree(pumps).query(xy)[1]
    for i, h in lived.iterrows():
        add(f"WD-{h.id}", "water", "water district", centre[i], name=h["name"], people=h.people, households=h.households,
            area=h.id)
        deps.append((f"PUMP-{nearest_pump[i] + 1:02d}", f"WD-{h.id}", "supply", 1.0))

    # mobility: street links, bridges, access areas
    tri = Delaunay(xy)
    edges = sorted({tuple(sorted((int(a), int(b)))) for simplex in tri.simplices
                    for a, b in ((simplex[0], simplex[1]), (simplex[1], simplex[2]), (simplex[0], simplex[2]))})
    edges = [(a, b) for a, b in edges if np.hypot(*(xy[a] - xy[b])) <= 2500]
    links = []
    for k, (a, b) in enumerate(edges):
        lid = f"ST-{k + 1:04d}"
        cap = float(rng.choice([1200, 1800, 2400, 3600]))
        line = LineString([xy[a], xy[b]])
        links.append((lid, a, b, line))
        add(lid, "mobility", "arterial street link", line, capacity=cap, load=round(cap * rng.uniform(0.4, 0.9)),
            unit="vehicles/h", length_m=round(line.length), from_node=f"N-{lived.id[a]}", to_node=f"N-{lived.id[b]}")
    bridge_layer = bridges(source, streets, covered)
    link_layer = gpd.GeoDataFrame({"link": [l[0] for l in links]}, geometry=[l[3] for l in links], crs=RD)
    traffic = bridge_layer[bridge_layer["type"] == "traffic bridge"]
    joined = gpd.sjoin_nearest(traffic, link_layer, max_distance=150, how="inner", distance_col="d")
    joined = joined.sort_values(["d", "link"], kind="stable").drop_duplicates("id")  # ties: the lower link id
    bridges_of: dict[str, list[str]] = {}
    for row in joined.itertuples():
        bridges_of.setdefault(row.link, []).append(row.id)
        deps.append((row.id, row.link, "access", 0.5))
    for b in bridge_layer.itertuples():
        add(b.id, "mobility", b.type, b.geometry, name=b.name, area_m2=b.area_m2, basis=b.basis, streets=b.streets,
            criticality=2.0 if b.type == "traffic bridge" else 1.0)
    incident: dict[int, list[str]] = {}
    for lid, a, b, _ in links:
        incident.setdefault(a, []).append(lid)
        incident.setdefault(b, []).append(lid)
    for i, h in lived.iterrows():
        aid = f"ACC-{h.id}"
        add(aid, "mobility", "street access area", centre[i], name=h["name"], people=h.people, households=h.households,
            area=h.id)
        mine = incident.get(i, [])
        for lid in mine:
            deps.append((lid, aid, "access", round(1.0 / len(mine), 4)))

    # underground: a cable and a main under every link
    for lid, a, b, line in links:
        for prefix, system, type_ in (("CAB", "energy", "MV cable"), ("MAIN", "water", "water main")):
            uid = f"{prefix}-{lid[3:]}"
            add(uid, system, type_, line, under=lid)
            for bid in bridges_of.get(lid, []):
                deps.append((bid, uid, "space", 0.3))
    for i, h in lived.iterrows():
        mine = incident.get(i, [])
        for lid in mine:
            deps.append((f"CAB-{lid[3:]}", feeder[h.id], "supply", round(0.5 / len(mine), 4)))
            deps.append((f"MAIN-{lid[3:]}", f"WD-{h.id}", "supply", round(0.5 / len(mine), 4)))

    # digital: exchanges and access areas
    exchanges, _ = kmeans2(xy, xy[rng.choice(len(xy), 6, replace=False)], minit="matrix", seed=seed + 1)
    for k, (x, y) in enumerate(exchanges):
        eid = f"DX-{k + 1:02d}"
        add(eid, "digital", "data exchange", Point(x, y), criticality=3.0)
        home = lived.id[hood_of(np.array([[x, y]]))[0]]
        deps.append((feeder[home], eid, "supply", 0.9))
        deps.append((f"PUMP-{cKDTree(pumps).query([x, y])[1] + 1:02d}", eid, "cooling", 0.1))
    nearest_dx = cKDTree(exchanges).query(xy)[1]
    for i, h in lived.iterrows():
        did = f"DIG-{h.id}"
        add(did, "digital", "digital access area", centre[i], name=h["name"], people=h.people, households=h.households,
            area=h.id)
        deps.append((f"DX-{nearest_dx[i] + 1:02d}", did, "data", 1.0))
        deps.append((feeder[h.id], did, "supply", 0.5))

    asset_table = gpd.GeoDataFrame(assets, geometry="geometry", crs=RD)
    for col, default in (("capacity", np.nan), ("load", 0.0), ("people", 0), ("households", 0), ("criticality", 1.0)):
        asset_table[col] = asset_table[col].fillna(default) if col in asset_table else default
    asset_table["capacity"] = asset_table["capacity"].replace(np.inf, np.nan)
    dep_table = pd.DataFrame(deps, columns=["source", "target", "kind", "strength"])
    dep_table = dep_table.groupby(["source", "target", "kind"], as_index=False)["strength"].sum()
    dep_table["strength"] = dep_table["strength"].clip(upper=1.0)
    return {"neighbourhoods": hoods, "assets": asset_table, "dependencies": dep_table, "streets": streets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    layers = build(args.source, args.seed)
    hoods = layers["neighbourhoods"].copy()
    hoods["geometry"] = hoods.geometry.set_precision(1.0)
    hoods.to_file(HERE / "neighbourhoods.gpkg", driver="GPKG", engine="pyogrio")
    assets = layers["assets"].copy()
    assets["geometry"] = assets.geometry.set_precision(0.1)
    target = HERE / "assets.gpkg"
    target.unlink(missing_ok=True)
    assets.to_file(target, driver="GPKG", engine="pyogrio", geometry_type="Unknown")
    layers["dependencies"].to_csv(HERE / "dependencies.csv", index=False)
    layers["streets"].to_parquet(HERE / "streets.parquet", compression="zstd", index=False)
    counts = assets.groupby(["system", "type"]).size()
    print(counts.to_string())
    print(f"{len(assets)} assets, {len(layers['dependencies'])} dependencies")
    streets = layers["streets"]
    print(f"streets: {int((streets['source'] == 'OpenStreetMap').sum())} real edges, "
          f"{int((streets['highway'] == 'generated arterial').sum())} generated links, "
          f"{int((streets['highway'] == 'generated gap').sum())} gap links")
    print(assets[assets["type"].str.contains("bridge")].groupby(["type", "basis"]).size().to_string())


if __name__ == "__main__":
    main()
