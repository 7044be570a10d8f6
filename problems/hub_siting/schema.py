"""The instance format of the hub-siting problem: its tables, parameters and objective terms."""

from __future__ import annotations

import numpy as np

from optimise.parameters import Parameter
from optimise.problem import ObjectiveTerm
from optimise.schema import Column, TableSchema
from optimise.streets import STREETS

DEMAND = TableSchema(
    "demand",
    (
        Column("id", "id", "demand point id (building block or neighbourhood)", unique=True),
        Column("residents", "number", "inhabitants", unit="people", minimum=0),
        Column("jobs", "number", "workplaces", unit="jobs", required=False, default=0.0, minimum=0, blank=0.0),
        Column("cars", "number", "private cars owned by the residents; empty: residents x cars_per_resident",
               unit="cars", required=False, default=np.nan, minimum=0, blank=np.nan),
    ),
    description="Demand points: residents, jobs and private cars per building block or neighbourhood.",
    geometry="required",
)


SITES = TableSchema(
    "sites",
    (
        Column("id", "id", "candidate site id", unique=True),
        Column("name", "text", "a readable name", required=False, default=""),
        Column("space_m2", "number", "space available at the site; empty: no limit", unit="m2",
               required=False, default=np.inf, positive=True, blank=np.inf),
        Column("cost_factor", "number", "multiplies the cost of a hub here (land, ground works)",
               required=False, default=1.0, positive=True, blank=1.0),
        Column("asset", "text", "grid asset that feeds the site (feeder or substation in the assets layer)",
               required=False, default=None),
        Column("fixed", "bool", "an existing hub that stays (in some size)", required=False, default=False),
        Column("forbidden", "bool", "a site that may not be used", required=False, default=False),
    ),
    description="Candidate hub sites.",
    geometry="required",
)


SIZES = TableSchema(
    "sizes",
    (
        Column("id", "id", "size class, e.g. small, medium, large", unique=True),
        Column("footprint_m2", "number", "space the hub takes, parking included", unit="m2", positive=True),
        Column("vehicles", "number", "places for shared vehicles", unit="vehicles", positive=True),
        Column("charging_points", "number", "charging points", unit="points", minimum=0),
        Column("cost", "number", "cost of building the hub", unit="cost units", minimum=0),
    ),
    description="Hub size classes.",
)


CONFLICTS = TableSchema(
    "conflicts",
    (
        Column("id", "id", "claim id", unique=True),
        Column("system", "text", "the system that claims the space (energy, water, mobility …)", required=False, default=""),
        Column("claim", "text", "what the space is reserved for (heat-network trench, tram line …)", required=False, default=""),
    ),
    description="Optional: areas (polygons) claimed by other systems; no hub footprint may touch them.",
    geometry="required",
)


WALKING = TableSchema(
    "walking",
    (
        Column("demand_id", "id", "demand point id"),
        Column("site_id", "id", "site id"),
        Column("metres", "number", "walking distance over the street network", unit="m", minimum=0),
    ),
    description="Optional: walking distances; when present they replace straight line x detour_factor, "
                "and a pair that is absent is out of walking reach.",
)


ACCEPTANCE = TableSchema(
    "acceptance",
    (
        Column("distance_m", "number", "walking distance to the hub", unit="m", minimum=0),
        Column("share", "number", "share of car owners who give up their car at that distance", minimum=0, maximum=1),
    ),
    description="Optional: the acceptance curve, piecewise linear through these points, flat beyond the ends. "
                "Default: 0.30 up to 100 m, 0.20 at 150 m, 0.10 at 250 m, 0 from 400 m.",
)

#: Default acceptance curve. Car sharers in the Netherlands own on average 30 % fewer cars
#: than before (KiM 2015, "Carsharing in the Netherlands"); a walk of about 100-150 m is
#: acceptable for a shared car, beyond that acceptance falls off (planning guidance).

DEFAULT_ACCEPTANCE = ((0.0, 0.30), (100.0, 0.30), (150.0, 0.20), (250.0, 0.10), (400.0, 0.0))


PARAMETERS = {
    p.name: p
    for p in (
        Parameter("max_walk_m", "number", "longest walk to a hub; farther pairs are not allowed", default=400.0,
                  positive=True, unit="m"),
        Parameter("detour_factor", "number", "walking route over straight line (without a walking table)",
                  default=1.3, minimum=1.0),
        Parameter("street_snap_m", "number", "with a streets table: the farthest a demand point or site may lie "
                  "from a street for its walks to be measured on the streets (else straight line x "
                  "detour_factor)", default=150.0, minimum=0, unit="m"),
        Parameter("walk_speed_m_per_min", "number", "walking speed", default=75.0, positive=True, unit="m/min"),
        Parameter("unserved_minutes", "number", "time charged in the walk objective for a user without a hub",
                  default=15.0, minimum=0, unit="min"),
        Parameter("job_weight", "number", "hub users per job (residents count 1)", default=0.5, minimum=0),
        Parameter("cars_per_resident", "number", "car ownership where the cars column is empty", default=0.25,
                  minimum=0),
        Parameter("m2_per_car", "number", "street space of one parked car, manoeuvring included", default=12.0,
                  positive=True, unit="m2"),
        Parameter("cars_per_shared_car", "number", "private cars given up per shared car needed", default=5.0,
                  positive=True),
        Parameter("bikes_per_user", "number", "shared bikes needed per hub user", default=0.01, minimum=0),
        Parameter("kw_per_charging_point", "number", "charging power per point", default=11.0, minimum=0, unit="kW"),
        Parameter("charging_simultaneity", "number", "share of points charging at the peak", default=0.5,
                  minimum=0),
        Parameter("max_utilisation", "number", "utilisation the grid assets may reach with the hubs", default=1.0,
                  positive=True),
        Parameter("budget", "number", "total cost of the hubs at most", minimum=0, unit="cost units"),
        Parameter("hubs", "integer", "exact number of hubs", minimum=0),
        Parameter("min_served", "number", "share of users that must have a hub in reach", default=0.0, minimum=0),
        Parameter("weight_walk", "number", "objective weight per person-minute walked", default=1.0, minimum=0),
        Parameter("weight_space_taken", "number", "objective weight per m2 taken by hubs", default=1.0, minimum=0),
        Parameter("weight_space_won", "number", "objective weight per m2 of street won back", default=5.0, minimum=0),
        Parameter("weight_cost", "number", "objective weight per cost unit", default=0.0, minimum=0),
    )
}


OBJECTIVES = {
    t.name: t
    for t in (
        ObjectiveTerm("walk", "min", "person-minutes", "walking time of all users to their hub (unserved: unserved_minutes)",
                      weight="weight_walk"),
        ObjectiveTerm("space_taken", "min", "m2", "space taken by the hubs", weight="weight_space_taken"),
        ObjectiveTerm("space_won", "max", "m2", "street parking space won back by cars given up",
                      weight="weight_space_won"),
        ObjectiveTerm("cost", "min", "cost units", "cost of the hubs", weight="weight_cost"),
    )
}


TABLES = {
    "demand": DEMAND, "sites": SITES, "sizes": SIZES, "conflicts": CONFLICTS,
    "walking": WALKING, "acceptance": ACCEPTANCE, "streets": STREETS,
}
#: Tables an instance must give; the others are optional.
REQUIRED = ("demand", "sites", "sizes")
