"""Build the two mobility-hub instances from the committed Amsterdam base layer (seeded).

    .venv/bin/python instances/make_hub_instances.py [--seed 2026]

Writes ``instances/zuidas-hubs/``, ``instances/pijp-hubs/`` and ``instances/amsterdam-hubs/``
(demand, sites, sizes, conflicts, assets, dependencies; streets for De Pijp); run again to
rebuild the same files. Everything comes
from ``instances/amsterdam-base`` (committed), so a fresh clone can rebuild them.

Real: the streets of De Pijp / Oud-Zuid (OpenStreetMap, ODbL, © OpenStreetMap contributors, cut
from the base layer's streets.parquet), the neighbourhood outlines with inhabitants and households (Gemeente Amsterdam / CBS,
CC BY 4.0), the high-voltage substations (OpenStreetMap via SciGRID, ODbL).
Generated (plausible, documented in each README): building blocks and their share of the
neighbourhood's inhabitants, jobs, car ownership, candidate sites with their space and cost
factor, the size classes, the areas claimed by other systems, and the medium-voltage grid
(from the base layer, itself generated).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import LineString, Point, box

HERE = Path(__file__).resolve().parent
BASE = HERE / "amsterdam-base"
RD = "EPSG:28992"
STATION_ZUID = (119956.0, 483577.0)  # Amsterdam Zuid station, RD New
#: De Pijp (K24, K25) and the Museum quarter of Oud-Zuid (K47): inside the ring, where the
#: base layer's streets are real.
PIJP = ("K24", "K25", "K47")
#: Streets kept around the area: walks end inside it, so the network a little beyond suffices.
STREET_MARGIN_M = 500.0
#: Neighbourhoods of the Zuidas business district (jobs concentrate here).
ZUIDAS_BUSINESS = {"K23a", "K23b", "K23c", "K23d", "K23e", "K52h", "K49c"}

SIZES = pd.DataFrame({
    "id": ["small", "medium", "large"],
    "footprint_m2": [150.0, 500.0, 1500.0],
    "vehicles": [12.0, 40.0, 120.0],
    "charging_points": [4.0, 12.0, 30.0],
    "cost": [200_000.0, 500_000.0, 1_200_000.0],
})


def base_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    hoods = gpd.read_file(BASE / "neighbourhoods.gpkg")
    assets = gpd.read_file(BASE / "assets.gpkg")
    deps = pd.read_csv(BASE / "dependencies.csv")
    return hoods, assets, deps


def blocks(hoods: gpd.GeoDataFrame, cell: float, rng: np.random.Generator, jobs_total: float) -> gpd.GeoDataFrame:
    """Building blocks: the centres of a ``cell`` m grid inside each neighbourhood; its
    inhabitants and households spread over them with gamma(2) weights; jobs in the Zuidas
    business neighbourhoods (``jobs_total`` in all) and 0.1 per inhabitant elsewhere."""
    rows = []
    for h in hoods.itertuples():
        x0, y0, x1, y1 = h.geometry.bounds
        xs = np.arange(np.floor(x0 / cell) * cell + cell / 2, x1, cell)
        ys = np.arange(np.floor(y0 / cell) * cell + cell / 2, y1, cell)
        pts = [Point(x, y) for x in xs for y in ys]
        pts = [p for p in pts if h.geometry.contains(p)] or [h.geometry.representative_point()]
        w = rng.gamma(2.0, 1.0, len(pts))
        w /= w.sum()
        for k, p in enumerate(pts):
            rows.append({"id": f"{h.id}-{k + 1:03d}", "buurt": h.id, "residents": h.people * w[k],
                         "households": h.households * w[k], "business": h.id in ZUIDAS_BUSINESS, "geometry": p})
    out = gpd.GeoDataFrame(rows, crs=RD)
    business = out["business"].to_numpy()
    weight = rng.gamma(2.0, 1.0, len(out)) * business
    jobs = np.where(business, jobs_total * weight / max(weight.sum(), 1e-9), 0.1 * out["residents"])
    out["jobs"] = jobs
    # car ownership: 0.35-0.6 cars per household (Amsterdam-Zuid is around 0.4-0.5)
    out["cars"] = out["households"] * rng.uniform(0.35, 0.6, len(out))
    for col in ("residents", "jobs", "cars"):
        out[col] = out[col].round(1)
    keep = (out["residents"] + out["jobs"]) > 0.5
    return out[keep][["id", "buurt", "residents", "jobs", "cars", "geometry"]].reset_index(drop=True)


def candidate_sites(area: gpd.GeoDataFrame, spacing: float, rng: np.random.Generator, feeders: gpd.GeoDataFrame,
                    prefix: str, jitter: float = 0.3) -> gpd.GeoDataFrame:
    """Candidate sites: a jittered ``spacing`` m grid over the neighbourhoods; space available
    drawn from street corners (150-400 m2), squares and plots (400-1,200 m2) and larger plots
    or garages (1,200-3,000 m2); a cost factor 0.8-1.5 (land, ground works); each site is fed by
    the medium-voltage feeder area of its neighbourhood (or the nearest one)."""
    x0, y0, x1, y1 = area.total_bounds
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    grid = np.array([(x, y) for x in xs for y in ys])
    grid += rng.uniform(-jitter, jitter, grid.shape) * spacing
    pts = gpd.GeoSeries([Point(p) for p in grid], crs=RD)
    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=pts), area[["id", "geometry"]], predicate="within", how="inner")
    inside = inside[~inside.index.duplicated()]
    n = len(inside)
    kind = rng.choice(3, size=n, p=[0.45, 0.4, 0.15])
    space = np.choose(kind, [rng.uniform(150, 400, n), rng.uniform(400, 1200, n), rng.uniform(1200, 3000, n)])
    sites = gpd.GeoDataFrame({
        "id": [f"{prefix}{k + 1:04d}" for k in range(n)],
        "name": ["corner" if k == 0 else "square or plot" if k == 1 else "large plot or garage" for k in kind],
        "space_m2": space.round(0),
        "cost_factor": rng.uniform(0.8, 1.5, n).round(2),
        "buurt": inside["id"].to_numpy(),
    }, geometry=inside.geometry.to_numpy(), crs=RD)
    fid = set(feeders["id"])
    nearest = feeders.geometry.sindex.nearest(sites.geometry, return_all=False)[1]
    own = "MV-" + sites["buurt"]
    sites["asset"] = np.where(own.isin(fid), own, feeders["id"].to_numpy()[nearest])
    return sites.drop(columns="buurt")


def vital_subset(assets: gpd.GeoDataFrame, deps: pd.DataFrame, buurten: set[str]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The energy, water and digital assets that serve ``buurten`` (feeder areas, water
    districts, digital-access areas) and everything upstream of them in those systems."""
    systems = {"energy", "water", "digital"}
    a = assets[assets["system"].isin(systems)]
    area = a["id"].str.split("-", n=1).str[1].isin(buurten) & a["id"].str[:3].isin(["MV-", "WD-", "DIG"])
    keep = set(a["id"][area])
    d = deps[deps["source"].isin(a["id"]) & deps["target"].isin(a["id"])]
    # upstream closure without the cables and mains under streets (they belong to the street layer)
    d = d[~d["source"].str.startswith(("CAB-", "MAIN-"))]
    frontier = set(keep)
    while frontier:
        up = set(d["source"][d["target"].isin(frontier)]) - keep
        keep |= up
        frontier = up
    sub = assets[assets["id"].isin(keep)].copy()
    sub = sub.drop(columns=[c for c in ("length_m", "from_node", "to_node", "area_m2", "under", "basis", "streets")
                            if c in sub.columns])
    return sub.reset_index(drop=True), d[d["source"].isin(keep) & d["target"].isin(keep)].reset_index(drop=True)


def zuidas_conflicts(hoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Space claimed by other systems around Zuidas (generated, plausible): the Zuidasdok
    works zone over the A10 and the station, a heat-network trench, a planned tram route,
    and the Beatrixpark as green structure."""
    x, y = STATION_ZUID
    rows = [
        ("C-ZUIDASDOK", "mobility", "Zuidasdok works zone (A10 and station)", box(x - 1300, y - 90, x + 1300, y + 90)),
        ("C-HEAT", "energy", "heat-network trench (Parnassusweg axis)",
         LineString([(x - 650, y + 900), (x - 600, y + 200), (x - 560, y - 700)]).buffer(12)),
        ("C-TRAM", "mobility", "planned tram route (Europaboulevard axis)",
         LineString([(x + 700, y + 1200), (x + 450, y), (x + 380, y - 1200)]).buffer(15)),
    ]
    park = hoods[hoods["id"] == "K59b"]
    if len(park):
        rows.append(("C-BEATRIXPARK", "green", "Beatrixpark (green structure)", park.geometry.iloc[0]))
    return gpd.GeoDataFrame([{"id": r[0], "system": r[1], "claim": r[2], "geometry": r[3]} for r in rows], crs=RD)


def write(folder: Path, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, assets: gpd.GeoDataFrame,
          deps: pd.DataFrame, conflicts: gpd.GeoDataFrame | None) -> None:
    folder.mkdir(exist_ok=True)
    for name in ("assets.gpkg", "conflicts.gpkg", "conflicts.geojson"):
        (folder / name).unlink(missing_ok=True)
    for name, layer in (("demand", demand), ("sites", sites)):
        table = pd.DataFrame(layer.drop(columns="geometry"))
        table["x"] = layer.geometry.x.round(1)
        table["y"] = layer.geometry.y.round(1)
        table.to_csv(folder / f"{name}.csv", index=False)
    SIZES.to_csv(folder / "sizes.csv", index=False)
    assets.to_file(folder / "assets.gpkg", layer="assets", driver="GPKG")
    deps.to_csv(folder / "dependencies.csv", index=False)
    if conflicts is not None:
        conflicts.to_crs("EPSG:4326").to_file(folder / "conflicts.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)


def zuidas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hoods, assets, deps = base_layers()
    centre = Point(STATION_ZUID)
    near = hoods[hoods.geometry.distance(centre) < 1000].copy()
    near = near[(near["people"] > 0) | near["id"].isin(ZUIDAS_BUSINESS)].reset_index(drop=True)
    demand = blocks(near, 100.0, rng, jobs_total=40_000)
    feeders = assets[assets["type"] == "MV feeder area"]
    sites = candidate_sites(near, 170.0, rng, feeders, "Z")
    sub_assets, sub_deps = vital_subset(assets, deps, set(near["id"]) | set(sites["asset"].str[3:]))
    write(HERE / "zuidas-hubs", demand, sites, sub_assets, sub_deps, zuidas_conflicts(hoods))
    print(f"zuidas-hubs: {len(near)} neighbourhoods, {len(demand)} blocks, {len(sites)} sites, "
          f"{len(sub_assets)} assets, {len(sub_deps)} dependencies")


def pijp(seed: int) -> None:
    """De Pijp and Oud-Zuid: blocks and sites as for Zuidas, and the real streets, so that
    every walk is measured on them."""
    rng = np.random.default_rng(seed + 2)
    hoods, assets, deps = base_layers()
    area = hoods[hoods["id"].str[:3].isin(PIJP) & (hoods["people"] > 0)].reset_index(drop=True)
    demand = blocks(area, 100.0, rng, jobs_total=0.0)
    feeders = assets[assets["type"] == "MV feeder area"]
    sites = candidate_sites(area, 150.0, rng, feeders, "P")
    sub_assets, sub_deps = vital_subset(assets, deps, set(area["id"]) | set(sites["asset"].str[3:]))
    write(HERE / "pijp-hubs", demand, sites, sub_assets, sub_deps, None)
    streets = gpd.read_parquet(BASE / "streets.parquet")
    x0, y0, x1, y1 = area.total_bounds
    near = streets[streets.intersects(box(x0, y0, x1, y1).buffer(STREET_MARGIN_M)) & streets["walk"]
                   & (streets["source"] == "OpenStreetMap")]
    near = near[["id", "u", "v", "length_m", "walk", "highway", "name", "source", "geometry"]].reset_index(drop=True)
    near.to_parquet(HERE / "pijp-hubs" / "streets.parquet", compression="zstd")
    print(f"pijp-hubs: {len(area)} neighbourhoods, {len(demand)} blocks, {len(sites)} sites, {len(near)} street edges, "
          f"{len(sub_assets)} assets, {len(sub_deps)} dependencies")


def city(seed: int, points: int = 6000, n_sites: int = 600) -> None:
    """The whole city: ``points`` demand points spread within the neighbourhoods in
    proportion to inhabitants (at least one per inhabited neighbourhood), ``n_sites``
    candidate sites drawn the same way (hubs go where people live)."""
    rng = np.random.default_rng(seed + 1)
    hoods, assets, deps = base_layers()
    lived = hoods[hoods["people"] > 0].reset_index(drop=True)
    people = lived["people"].to_numpy(float)

    def spread(total: int) -> np.ndarray:
        extra = rng.multinomial(total - len(lived), people / people.sum())
        return extra + 1

    def sample(poly, n):
        x0, y0, x1, y1 = poly.bounds
        out = []
        while len(out) < n:
            cand = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
            ok = gpd.GeoSeries(gpd.points_from_xy(cand[:, 0], cand[:, 1])).within(poly).to_numpy()
            out += [Point(c) for c in cand[ok][: n - len(out)]]
        return out

    rows = []
    for h, n in zip(lived.itertuples(), spread(points)):
        w = rng.gamma(2.0, 1.0, n)
        w /= w.sum()
        for k, p in enumerate(sample(h.geometry, n)):
            rows.append({"id": f"{h.id}-{k + 1:03d}", "residents": round(h.people * w[k], 1),
                         "jobs": round(0.3 * h.people * w[k] * rng.uniform(0.5, 1.5), 1),
                         "cars": round(h.households * w[k] * rng.uniform(0.25, 0.6), 1), "geometry": p})
    demand = gpd.GeoDataFrame(rows, crs=RD)
    site_rows = []
    for h, n in zip(lived.itertuples(), spread(n_sites)):
        for p in sample(h.geometry, n):
            site_rows.append({"buurt": h.id, "geometry": p})
    s = gpd.GeoDataFrame(site_rows, crs=RD)
    kind = rng.choice(3, size=len(s), p=[0.45, 0.4, 0.15])
    nn = len(s)
    s["id"] = [f"H{k + 1:04d}" for k in range(nn)]
    s["name"] = ["corner" if k == 0 else "square or plot" if k == 1 else "large plot or garage" for k in kind]
    s["space_m2"] = np.choose(kind, [rng.uniform(150, 400, nn), rng.uniform(400, 1200, nn),
                                     rng.uniform(1200, 3000, nn)]).round(0)
    s["cost_factor"] = rng.uniform(0.8, 1.5, nn).round(2)
    s["asset"] = "MV-" + s["buurt"]
    sites = s[["id", "name", "space_m2", "cost_factor", "asset", "geometry"]]
    sub_assets, sub_deps = vital_subset(assets, deps, set(lived["id"]))
    write(HERE / "amsterdam-hubs", demand, sites, sub_assets, sub_deps, None)
    print(f"amsterdam-hubs: {len(demand)} demand points, {len(sites)} sites, {len(sub_assets)} assets, "
          f"{len(sub_deps)} dependencies")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    zuidas(args.seed)
    pijp(args.seed)
    city(args.seed)


if __name__ == "__main__":
    main()
