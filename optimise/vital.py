"""The vital-systems data model: systems, assets and the dependencies between them.

- A **system** is energy, water, mobility, waste, digital, or one a user adds.
- An **asset** belongs to one system: a substation, a feeder, a pumping station, a road
  link, a bridge, a data centre. It has a capacity and a current load (so spare capacity),
  a criticality, and the people and households it serves.
- A **dependency** ``source -> target`` says that the target needs the source: its
  ``strength`` (0..1) is the share of the target's function that is lost when the source is
  lost entirely (or overloaded); ``kind`` says how (supply, access, data, space, cooling …).

Tables come from an instance's layers (CSV, Parquet, GeoJSON, GeoPackage) and are checked:
unknown assets or systems, self-loops, strengths outside [0, 1] are clear input errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimise.errors import InputError
from optimise.instance import Instance
from optimise.modelling import positions_by_key
from optimise.schema import Column, TableSchema, check_references, validate_table

if TYPE_CHECKING:
    import scipy.sparse as sp

DEFAULT_SYSTEMS = ("energy", "water", "mobility", "waste", "digital")

SYSTEMS = TableSchema(
    "systems",
    (
        Column("id", "id", "system name, e.g. energy", unique=True),
        Column("description", "text", "what the system does", required=False, default=""),
    ),
    description="Optional: the systems of the city. Without it: energy, water, mobility, waste, digital.",
)

ASSETS = TableSchema(
    "assets",
    (
        Column("id", "id", "asset id", unique=True),
        Column("system", "id", "the system the asset belongs to"),
        Column("type", "text", "kind of asset (substation, feeder, road link, bridge …)", required=False, default=""),
        Column("name", "text", "a readable name (a street, a bridge, a station), shown with the id",
               required=False, default=""),
        Column("capacity", "number", "what the asset can carry; empty: not capacity-limited",
               unit="as unit", required=False, default=np.inf, minimum=0, blank=np.inf),
        Column("load", "number", "what it carries now; empty: 0", unit="as unit", required=False, default=0.0, minimum=0, blank=0.0),
        Column("unit", "text", "unit of capacity and load (MW, vehicles/h, m3/h …)", required=False, default=""),
        Column("criticality", "number", "weight of the asset in rankings; empty: 1", required=False, default=1.0, minimum=0, blank=1.0),
        Column("people", "number", "inhabitants who depend on the asset directly; empty: 0", unit="people",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("households", "number", "households who depend on the asset directly; empty: 0",
               unit="households", required=False, default=0.0, minimum=0, blank=0.0),
        Column("area", "text", "the area (a neighbourhood) whose people and households the asset serves: "
               "assets of several systems with the same area serve the same people, counted once (at the "
               "worst loss among those assets); empty: the asset's own", required=False, default=None),
        Column("from_node", "text", "street links: node at one end (with to_node and length_m, links form "
               "the street graph used for detours)", required=False, default=None),
        Column("to_node", "text", "street links: node at the other end", required=False, default=None),
        Column("length_m", "number", "street links: length", unit="m", required=False, default=None, minimum=0,
               blank=np.nan),
        Column("basis", "text", "where the asset comes from: real data (which) or generated (by which rule)",
               required=False, default=""),
        Column("streets", "text", "edges of the street network its outage closes (space-separated ids), e.g. "
               "the streets on a bridge's deck", required=False, default=""),
    ),
    description="Assets of the vital systems; geometry optional.",
    geometry="optional",
)

DEPENDENCIES = TableSchema(
    "dependencies",
    (
        Column("source", "id", "the asset depended on (supplier)"),
        Column("target", "id", "the dependent asset"),
        Column("kind", "text", "supply, access, data, space, cooling …", required=False, default="supply"),
        Column("strength", "number", "share of the target's function lost when the source is lost",
               minimum=0, maximum=1),
    ),
    description="Directed dependencies between assets.",
)


def labelled(ident: Any, name: Any) -> str:
    """An id with its readable name where the data gives one that says more than the id:
    "MV-A00a (Kop Zeedijk)"; a name that only repeats the id is left out."""
    ident = str(ident)
    if not isinstance(name, str) or not name.strip() or ident in name or name.strip() == ident:
        return ident
    return f"{ident} ({name.strip()})"


@dataclass
class VitalSystems:
    """Validated systems, assets and dependencies, with index arrays for fast propagation."""

    systems: pd.DataFrame
    assets: pd.DataFrame
    dependencies: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    geometry: Any = None  # GeoSeries of the assets, when the layer has geometry

    def __post_init__(self) -> None:
        self.index = pd.Index(self.assets["id"])
        self.src = self.index.get_indexer(self.dependencies["source"])
        self.dst = self.index.get_indexer(self.dependencies["target"])
        # each asset's incoming dependencies (positions in the table), looked up per asset
        # when a flag's cause is traced
        self.incoming = positions_by_key(self.dst, len(self.index))
        self.strength = self.dependencies["strength"].to_numpy(dtype=float)
        # people are counted once per area: the assets of one area (its feeder, water district,
        # digital access …) serve the same households
        area = self.assets["area"] if "area" in self.assets.columns else pd.Series([None] * self.n)
        key = [f"area:{v}" if isinstance(v, str) and v else f"asset:{i}" for v, i in zip(area, self.assets["id"])]
        self.area_of, areas = pd.factorize(pd.Series(key, dtype=object))
        self.n_areas = len(areas)

    def once(self, column: str, loss: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray | float:
        """The people (or households) of ``column`` who lose service, each counted once: per
        area, its people times the worst loss among its assets (within ``mask``). ``loss`` is
        (n,) or (n, k) for k scenarios."""
        value = self.assets[column].to_numpy(float)
        keep = value > 0 if mask is None else (value > 0) & mask
        worst = np.zeros((self.n_areas,) + loss.shape[1:])
        np.maximum.at(worst, self.area_of[keep], loss[keep])
        size = np.zeros(self.n_areas)
        np.maximum.at(size, self.area_of[keep], value[keep])
        total = np.tensordot(size, worst, axes=(0, 0))
        return float(total) if loss.ndim == 1 else total

    @property
    def n(self) -> int:
        return len(self.assets)

    def values(self, column: str) -> np.ndarray:
        """A column of the assets table as an array, made once: the cascade checker reads
        single assets' ids, names and units thousands of times per plan (a pandas lookup
        each cost 7 s of the city's quay plan)."""
        cache = self.__dict__.setdefault("_columns", {})
        if column not in cache:
            cache[column] = self.assets[column].to_numpy()
        return cache[column]

    def label(self, k: int) -> str:
        """Asset k's id with its name (see :func:`labelled`)."""
        names = self.values("name") if "name" in self.assets.columns else None
        return labelled(self.values("id")[k], None if names is None else names[k])

    def position(self, asset_id: Any, *, file: str | None = None, field: str = "asset", row: int | None = None) -> int:
        try:
            k = self.index.get_loc(asset_id)  # a hash lookup: a plan's scenario asks thousands of times
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            k = -1
        if not isinstance(k, (int, np.integer)) or k < 0:
            raise InputError(f"unknown asset {asset_id!r}", file=file, field=field, row=row)
        return int(k)

    def matrix(self) -> sp.csr_matrix:
        """Sparse (target x source) matrix of strengths (duplicates keep the strongest)."""
        import scipy.sparse as sp  # here: loading an instance needs no scipy (0.08 s to import)

        m = sp.coo_matrix((self.strength, (self.dst, self.src)), shape=(self.n, self.n)).tocsr()
        return m

    @classmethod
    def from_tables(
        cls,
        assets: pd.DataFrame,
        dependencies: pd.DataFrame | None = None,
        systems: pd.DataFrame | None = None,
        *,
        labels: dict[str, str] | None = None,
    ) -> "VitalSystems":
        labels = {"assets": "assets", "dependencies": "dependencies", "systems": "systems", **(labels or {})}
        if systems is None:
            systems = pd.DataFrame({"id": list(DEFAULT_SYSTEMS), "description": ""})
        systems = validate_table(systems, SYSTEMS, file=labels["systems"])
        assets = validate_table(assets, ASSETS, file=labels["assets"])
        assets["system"] = assets["system"].astype(str)
        systems["id"] = systems["id"].astype(str)
        check_references(assets["system"], systems["id"].tolist(), file=labels["assets"], field="system",
                         what="system", hint=" (add it to the systems table)")
        if dependencies is None:
            dependencies = pd.DataFrame({"source": pd.Series(dtype=object), "target": pd.Series(dtype=object),
                                         "kind": pd.Series(dtype=str), "strength": pd.Series(dtype=float)})
        else:
            dependencies = validate_table(dependencies, DEPENDENCIES, file=labels["dependencies"])
            ids = assets["id"].tolist()
            check_references(dependencies["source"], ids, file=labels["dependencies"], field="source", what="asset")
            check_references(dependencies["target"], ids, file=labels["dependencies"], field="target", what="asset")
            loops = (dependencies["source"] == dependencies["target"]).to_numpy()
            if loops.any():
                r = int(np.flatnonzero(loops)[0]) + 1
                raise InputError(f"asset {dependencies['source'].iloc[r - 1]!r} depends on itself",
                                 file=labels["dependencies"], field="target", row=r)
            dup = dependencies.duplicated(["source", "target", "kind"]).to_numpy()
            if dup.any():
                r = int(np.flatnonzero(dup)[0]) + 1
                raise InputError("this dependency (source, target, kind) appears twice",
                                 file=labels["dependencies"], field="target", row=r)
        over = (assets["load"] > assets["capacity"]).to_numpy()
        assets["overloaded_at_start"] = over
        return cls(systems.reset_index(drop=True), assets.reset_index(drop=True),
                   dependencies.reset_index(drop=True), labels)


def load_shares(vs: VitalSystems, asset_id: Any, *, file: str | None = None, field: str = "asset",
                row: int | None = None) -> dict[int, float]:
    """Where a load added at ``asset_id`` ends up: {asset position: share of the load}.

    The asset itself carries all of it. A load also flows upstream along ``supply``
    dependencies to every supplier that is capacity-limited in the same unit (a feeder's
    load reaches its substations, a substation's the one that feeds it), split over those
    suppliers in proportion to the dependency strengths; recursively. A supply cycle
    stops at the first asset met twice.
    """
    start = vs.position(asset_id, file=file, field=field, row=row)
    capacity = vs.assets["capacity"].to_numpy(float)
    units = vs.assets["unit"].fillna("").astype(str).to_numpy()
    supply = (vs.dependencies["kind"].astype(str) == "supply").to_numpy()
    shares: dict[int, float] = {start: 1.0}
    frontier = [(start, 1.0, frozenset([start]))]
    while frontier:
        node, share, seen = frontier.pop()
        edges = vs.incoming[node][supply[vs.incoming[node]]]
        edges = [e for e in edges if np.isfinite(capacity[vs.src[e]]) and units[vs.src[e]] == units[node]
                 and vs.src[e] not in seen and vs.strength[e] > 0]
        total = sum(vs.strength[e] for e in edges)
        for e in edges:
            s = int(vs.src[e])
            part = share * vs.strength[e] / total
            shares[s] = shares.get(s, 0.0) + part
            frontier.append((s, part, seen | {s}))
    return shares


def load_vital_systems(instance: Instance) -> VitalSystems | None:
    """The instance's assets, dependencies and systems, or None if it has no assets layer."""
    if not instance.has("assets"):
        return None
    labels = {k: instance.label(k) for k in ("assets", "dependencies", "systems")}
    assets = instance.read("assets")
    dependencies = instance.read("dependencies") if instance.has("dependencies") else None
    systems = instance.read("systems") if instance.has("systems") else None
    vs = VitalSystems.from_tables(assets, dependencies, systems, labels=labels)
    vs.geometry = _geometry(assets, instance)
    return vs


def _geometry(assets: pd.DataFrame, instance: Instance) -> Any:
    import geopandas as gpd

    if isinstance(assets, gpd.GeoDataFrame) and assets.geometry.name in assets.columns:
        geom = assets.geometry.reset_index(drop=True)
        return geom if geom.crs is not None or instance.crs is None else geom.set_crs(instance.crs)
    if {"x", "y"} <= set(assets.columns) and instance.crs:
        from optimise.geo import as_points

        return as_points(assets, file=instance.label("assets"), crs=instance.crs, toml_file=str(instance.toml_file))
    return None
