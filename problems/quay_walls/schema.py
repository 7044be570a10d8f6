"""The instance format of the quay-wall problem: its tables, parameters and objective terms."""

from __future__ import annotations

import numpy as np

from optimise.network import CO2_G_PER_VKM, NOX_G_PER_VKM
from optimise.parameters import Parameter
from optimise.problem import ObjectiveTerm
from optimise.schema import Column, TableSchema
from optimise.streets import STREETS

WORKS = TableSchema(
    "works",
    (
        Column("id", "id", "work id (the asset's id in the assets layer, for the cascade check)", unique=True),
        Column("kind", "text", "bridge or quay (any label; reported per kind)", required=False, default="asset"),
        Column("name", "text", "a readable name", required=False, default=""),
        Column("district", "text", "district (closure limits, blackouts)", required=False, default=""),
        Column("length_m", "number", "length of quay wall renewed", unit="m", required=False, default=0.0, minimum=0,
               blank=0.0),
        Column("latest", "integer", "last period in which the renewal may start (safe life); empty: not due "
               "within the horizon", unit="period", required=False, default=np.nan, blank=np.nan),
        Column("start", "integer", "period in which the works must start (a decision already taken, or a "
               "what-if); empty: the plan chooses", unit="period", required=False, default=np.nan, blank=np.nan),
        Column("duration", "integer", "periods the works take", unit="periods", required=False, default=1,
               positive=True, blank=1),
        Column("cost", "number", "cost of the renewal", unit="cost units", minimum=0),
        Column("crews", "number", "crews busy while in works", unit="crews", required=False, default=1.0, minimum=0,
               blank=1.0),
        Column("risk", "number", "risk cost per period the renewal waits", unit="cost units/period", required=False,
               default=0.0, minimum=0, blank=0.0),
        Column("basis", "text", "where the work comes from: real data (which) or generated (by which rule)",
               required=False, default=""),
        Column("link", "text", "street link (in the assets layer) the works close partly (without a closures "
               "table)", required=False, default=None),
        Column("closure_share", "number", "share of the link's traffic that must detour", required=False,
               default=0.5, minimum=0, maximum=1, blank=0.5),
    ),
    description="Works to schedule: bridges and quay segments.",
    geometry="optional",
)


PERIODS = TableSchema(
    "periods",
    (
        Column("period", "integer", "period label (e.g. the year), increasing by row", unique=True),
        Column("budget", "number", "budget for renewal works", unit="cost units", minimum=0),
        Column("crews", "number", "crews available", unit="crews", minimum=0),
    ),
    description="The planning horizon: one row per period.",
)


DISTRICTS = TableSchema(
    "districts",
    (
        Column("id", "text", "district", unique=True),
        Column("max_closures", "integer", "works in a district at once", minimum=0),
    ),
    description="Optional: closures a district can bear at once (default: parameter max_closures).",
)


BLACKOUTS = TableSchema(
    "blackouts",
    (
        Column("period", "integer", "period in which no works may run"),
        Column("district", "text", "district; empty: everywhere", required=False, default=""),
        Column("reason", "text", "why (events, the tourist season …)", required=False, default=""),
    ),
    description="Optional: periods without works.",
)


PRECEDENCE = TableSchema(
    "precedence",
    (
        Column("before", "id", "work that must be finished first"),
        Column("after", "id", "work that may start only after it"),
        Column("reason", "text", "why", required=False, default=""),
    ),
    description="Optional: order between works.",
)


UTILITIES = TableSchema(
    "utilities",
    (
        Column("id", "id", "cable or pipe id", unique=True),
        Column("host", "id", "the work it lies under"),
        Column("system", "text", "energy, digital, water …", required=False, default=""),
        Column("type", "text", "MV cable, data cable, water main …", required=False, default=""),
        Column("earliest", "integer", "first period of its planned replacement window", unit="period"),
        Column("latest", "integer", "last period of its window", unit="period"),
        Column("duration", "integer", "periods its own works take", unit="periods", required=False, default=1,
               positive=True, blank=1),
        Column("cost", "number", "cost of replacing it on its own", unit="cost units", minimum=0),
        Column("saving", "number", "cost saved when moved in the works on its host", unit="cost units",
               required=False, default=0.0, minimum=0, blank=0.0),
        Column("asset", "text", "its id in the assets layer (for the cascade check)", required=False, default=None),
        Column("operator", "text", "who pays and does its works (a row group of the operators table); empty: the "
               "renewal budget and crews of the periods table", required=False, default=""),
        Column("crews", "number", "crews busy while its works run", unit="crews", required=False, default=1.0,
               minimum=0, blank=1.0),
    ),
    description="Optional: cables and pipes under the works, with their own replacement windows. Moved in the "
                "works on its host (bundled) a cable's works run from the host's start; done on its own they "
                "close the host again: a closure like any other (blackouts, district limits, conflicts). Its cost "
                "and crews count against its operator's budget and crews, or the renewal budget without one.",
)


OPERATORS = TableSchema(
    "operators",
    (
        Column("operator", "text", "cable or pipe operator (as in the utilities table)"),
        Column("period", "integer", "period label, as in the periods table"),
        Column("budget", "number", "the operator's budget for works on its cables and pipes", unit="cost units",
               minimum=0),
        Column("crews", "number", "the operator's crews", unit="crews", minimum=0),
    ),
    description="Optional: budget and crews per period of each cable and pipe operator named in the utilities "
                "table (one row per operator and period).",
)


NODES = TableSchema(
    "nodes",
    (
        Column("id", "text", "street node (from_node / to_node of the links)", unique=True),
        Column("people", "number", "inhabitants living at the node", unit="people", minimum=0),
    ),
    description="Optional: inhabitants per street node, to weigh air quality (default: 1,000 each).",
)


CLOSURES = TableSchema(
    "closures",
    (
        Column("work", "id", "the work (or a cable's host) that closes the edge"),
        Column("street", "id", "street edge (id in the streets table)"),
        Column("car", "number", "share of the edge's motor traffic that must detour", required=False, default=1.0,
               minimum=0, maximum=1, blank=0.0),
        Column("bike", "number", "share of its cyclists that must detour", required=False, default=1.0, minimum=0,
               maximum=1, blank=0.0),
        Column("walk", "number", "share of its pedestrians that must detour", required=False, default=1.0,
               minimum=0, maximum=1, blank=0.0),
    ),
    description="Optional (with a streets table): the street edges each work closes while it runs, per mode.",
)


PARAMETERS = {
    p.name: p
    for p in (
        Parameter("hours_per_period", "number", "peak-hour equivalents of traffic per period", default=3650.0,
                  positive=True, unit="h"),
        Parameter("speed_kmh", "number", "urban speed on detours", default=30.0, positive=True, unit="km/h"),
        Parameter("bike_speed_kmh", "number", "cycling speed on detours", default=15.0, positive=True, unit="km/h"),
        Parameter("walk_speed_kmh", "number", "walking speed on detours", default=5.0, positive=True, unit="km/h"),
        Parameter("weight_bike_hour", "number", "hindrance per hour a cyclist loses, in vehicle-hours", default=1.0,
                  minimum=0),
        Parameter("weight_walk_hour", "number", "hindrance per hour a pedestrian loses, in vehicle-hours",
                  default=1.0, minimum=0),
        Parameter("traffic_growth", "number", "traffic growth per period", default=0.01, minimum=-0.5),
        Parameter("cut_hours", "number", "vehicle-hours lost per vehicle that has no detour", default=0.5,
                  minimum=0, unit="h"),
        Parameter("nox_g_per_vkm", "number", "NOx emission factor", default=NOX_G_PER_VKM, minimum=0, unit="g/vkm"),
        Parameter("co2_g_per_vkm", "number", "CO2 emission factor (reported)", default=CO2_G_PER_VKM, minimum=0,
                  unit="g/vkm"),
        Parameter("max_closures", "integer", "works in a district at once (where the districts table is silent)",
                  default=1000, minimum=0),
        Parameter("min_interaction", "number", "interactions smaller than this share of the smaller single "
                  "hindrance are left out", default=0.05, minimum=0),
        Parameter("max_interactions", "integer", "interactions kept per work (the largest)", default=6, minimum=0),
        Parameter("weight_hindrance", "number", "objective weight per vehicle-hour of delay", default=15.0, minimum=0,
                  unit="cost units/vh"),
        Parameter("weight_air", "number", "objective weight per g NOx x 1,000 inhabitants", default=0.5,
                  minimum=0),
        Parameter("weight_risk", "number", "objective weight per unit of risk cost", default=1.0, minimum=0),
        Parameter("weight_cost", "number", "objective weight per unit of cost", default=1.0, minimum=0),
    )
}


OBJECTIVES = {
    t.name: t
    for t in (
        ObjectiveTerm("hindrance", "min", "vehicle-hours", "extra travel time on detours: vehicle-hours, plus "
                      "cyclists' and pedestrians' hours at their weights",
                      weight="weight_hindrance"),
        ObjectiveTerm("air", "min", "g NOx x 1,000 inhabitants",
                      "extra NOx on detours, weighted by the inhabitants along them", weight="weight_air"),
        ObjectiveTerm("risk", "min", "cost units", "risk cost of renewals that wait", weight="weight_risk"),
        ObjectiveTerm("cost", "min", "cost units", "renewals plus cable and pipe works, less bundling savings",
                      weight="weight_cost"),
    )
}


TABLES = {
    "works": WORKS, "periods": PERIODS, "districts": DISTRICTS, "blackouts": BLACKOUTS,
    "precedence": PRECEDENCE, "utilities": UTILITIES, "operators": OPERATORS, "nodes": NODES,
    "streets": STREETS, "closures": CLOSURES,
}
#: Tables an instance must give; the others are optional.
REQUIRED = ("works", "periods")
