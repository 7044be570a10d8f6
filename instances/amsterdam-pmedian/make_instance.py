"""Build the Amsterdam p-median instance from the real neighbourhood data.

    .venv/bin/python instances/amsterdam-pmedian/make_instance.py [SHARED_AMSTERDAM_DIR]

Reads the 481 neighbourhoods (buurten, pre-2022 boundaries) and their CBS key figures
from ``../shared/data/amsterdam/neighbourhoods`` and writes, beside this script:

- ``demand.geojson``: one polygon per neighbourhood (WGS84, coordinates rounded to ~1 m),
  ``id`` = buurt code, ``name``, ``weight`` = inhabitants, ``households``;
- ``sites.csv``: one candidate site per inhabited neighbourhood, at the centroid of its
  polygon in RD New (EPSG:28992), ``x``/``y`` rounded to the metre.

Deterministic (no randomness): running it again gives the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "amsterdam" / "neighbourhoods"


def main(source: Path = DEFAULT_SOURCE) -> None:
    polygons = gpd.read_file(source / "amsterdam_buurten_GEBIED_BUURTEN_wgs84.geojson")
    figures = pd.read_csv(source / "buurten_data_cbs_amsterdam.csv")
    figures = figures.rename(columns={"Aantal inwoners": "weight", "Huishoudens": "households"})
    merged = polygons.merge(figures[["Buurt", "weight", "households"]], on="Buurt", how="left", validate="1:1")
    merged[["weight", "households"]] = merged[["weight", "households"]].fillna(0).astype(int)
    demand = merged.rename(columns={"Buurt_code": "id", "Buurt": "name"})[
        ["id", "name", "weight", "households", "geometry"]
    ].sort_values("id").reset_index(drop=True)
    demand["geometry"] = demand.geometry.set_precision(1e-5)
    demand.to_file(HERE / "demand.geojson", driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=5)

    inhabited = demand[demand["weight"] > 0]
    centres = inhabited.geometry.to_crs("EPSG:28992").centroid
    sites = pd.DataFrame({
        "id": "S-" + inhabited["id"],
        "name": inhabited["name"],
        "x": centres.x.round(0).astype(int),
        "y": centres.y.round(0).astype(int),
    })
    sites.to_csv(HERE / "sites.csv", index=False)
    print(f"demand: {len(demand)} neighbourhoods, {int(demand['weight'].sum()):,} inhabitants; sites: {len(sites)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
