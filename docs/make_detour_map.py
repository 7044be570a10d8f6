"""Draw one closure's detours on the real streets: docs/detour-map.png.

    .venv/bin/python docs/make_detour_map.py [--instance instances/amsterdam-quays-small] [--work Q-0235]

Reads the instance's streets, closures and works as given (not the model), sends each mode's
flow round the closed edges with optimise.streets (the rule the quay problem uses) and draws the
streets, the closed edges and each mode's detour. Streets © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from optimise.streets import MODES, StreetNetwork  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLOUR = {"car": "#1f5fbf", "bike": "#2a9d3a", "walk": "#e07b00"}
LABEL = {"car": "cars", "bike": "cyclists", "walk": "pedestrians"}
SPEED = {"car": 30.0, "bike": 15.0, "walk": 5.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, default=ROOT / "instances" / "amsterdam-quays-small")
    parser.add_argument("--work", default="Q-0235")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "detour-map.png")
    args = parser.parse_args()
    streets = gpd.read_parquet(args.instance / "streets.parquet")
    closures = pd.read_csv(args.instance / "closures.csv")
    works = gpd.read_file(args.instance / "works.gpkg")
    name = works.loc[works["id"] == args.work, "name"].iloc[0]
    mine = closures[closures["work"] == args.work]
    network = StreetNetwork(pd.DataFrame(streets.drop(columns="geometry")))
    closed = np.array([network.position[e] for e in mine["street"]])
    fig, ax = plt.subplots(figsize=(9, 9))
    lines, caption = [], []
    for mode in MODES:
        share = mine[mode].to_numpy(float)
        result = network.reroute(mode, closed, share, with_paths=True)
        path = sorted({e for p in result.paths.values() for e in p})
        if path:
            lines.append(streets.iloc[path].geometry)
            streets.iloc[path].plot(ax=ax, color=COLOUR[mode], linewidth=(9.0, 4.0, 1.8)[MODES.index(mode)], alpha=0.9,
                                    label=f"detour of the {LABEL[mode]}", zorder=3 + MODES.index(mode))
        caption.append(f"{LABEL[mode]}: {result.extra_km:,.1f} extra km/h ({result.hours(SPEED[mode]):,.1f} h per hour)"
                       + (f", {result.cut:,.0f}/h with no way round" if result.cut else ""))
    closed_lines = streets.iloc[closed].geometry
    x0, y0, x1, y1 = pd.concat([closed_lines, *lines]).total_bounds
    pad = 150.0
    view = streets.cx[x0 - pad:x1 + pad, y0 - pad:y1 + pad]
    view.plot(ax=ax, color="#bbbbbb", linewidth=0.6, zorder=1)
    view[view["car"]].plot(ax=ax, color="#888888", linewidth=1.0, zorder=2)
    closed_lines.plot(ax=ax, color="#d62728", linewidth=7, label="closed by the works", zorder=6)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_off()
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(f"{args.work} {name}: detours per mode (peak-hour flows)\n" + "\n".join(caption), fontsize=10)
    ax.annotate("Streets © OpenStreetMap contributors (ODbL); dark grey: open to motor traffic",
                (0.01, 0.01), xycoords="axes fraction", fontsize=8, color="#444444")
    fig.tight_layout()
    tmp = args.out.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(args.out)
    print(f"wrote {args.out}: " + "; ".join(caption))


if __name__ == "__main__":
    main()
