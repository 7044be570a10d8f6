"""Scenarios: changes to the vital systems (outages, capacity, load) over periods, read from
a TOML or CSV file and checked against the assets.

Scenario file (TOML)::

    name = "Hemweg substation out for two years"
    periods = [2027, 2028, 2029]     # optional; default [0]

    [[change]]
    asset = "SUB-HEMWEG"
    kind = "outage"                  # outage | capacity | load
    value = 1.0                      # outage: share out (1 = fully); capacity/load: amount added
    periods = [2027, 2028]           # optional inclusive range; default every period
    cause = "renewal works"          # optional, used in explanations

or CSV with columns ``asset, kind, value, start, end, cause`` (``start``/``end`` optional).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimise.cascade import Change, Scenario
from optimise.errors import InputError
from optimise.io import read_table, read_toml
from optimise.schema import Column, TableSchema, validate_table
from optimise.vital import VitalSystems

CHANGE_KEYS = {"asset", "kind", "value", "periods", "cause"}

SCENARIO_KEYS = {"name", "periods", "change"}


CHANGES = TableSchema(
    "changes",
    (
        Column("asset", "id", "the asset changed"),
        Column("kind", "text", "outage, capacity or load"),
        Column("value", "number", "outage: share out; capacity, load: amount added", required=False, default=1.0, blank=1.0),
        Column("start", "number", "first period (inclusive); empty: from the first", required=False, default=None, blank=np.nan),
        Column("end", "number", "last period (inclusive); empty: to the last", required=False, default=None, blank=np.nan),
        Column("cause", "text", "why (for explanations)", required=False, default=""),
    ),
)



def read_scenario(path: Path) -> Scenario:
    label = str(path)
    if not path.exists():
        raise InputError("file not found", file=label)
    if path.suffix.lower() == ".toml":
        raw = read_toml(path, SCENARIO_KEYS)
        rows = raw.get("change", [])
        if not isinstance(rows, list):
            raise InputError("expected [[change]] tables", file=label, field="change")
        for k, row in enumerate(rows, start=1):
            extra = sorted(set(row) - CHANGE_KEYS)
            if extra:
                raise InputError(f"unknown key (known: {', '.join(sorted(CHANGE_KEYS))})", file=label,
                                 field=f"change.{extra[0]}", row=k)
            periods = row.get("periods")
            if periods is not None and (not isinstance(periods, list) or len(periods) != 2):
                raise InputError("periods must be [first, last]", file=label, field="change.periods", row=k)
        table = pd.DataFrame({
            "asset": [r.get("asset") for r in rows],
            "kind": [r.get("kind", "outage") for r in rows],
            "value": [r.get("value", 1.0) for r in rows],
            "start": [r["periods"][0] if r.get("periods") else None for r in rows],
            "end": [r["periods"][1] if r.get("periods") else None for r in rows],
            "cause": [r.get("cause", "") for r in rows],
        })
        name = str(raw.get("name", path.stem))
        periods = raw.get("periods", [0])
        if not isinstance(periods, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in periods) or not periods:
            raise InputError("expected a list of whole numbers", file=label, field="periods")
    else:
        table = read_table(path, label)
        name, periods = path.stem, None
    if len(table) == 0:
        return Scenario(name, [], periods or [0])
    table = validate_table(table, CHANGES, file=label)
    changes = []
    for k, row in enumerate(table.itertuples(index=False), start=1):
        if row.kind not in ("outage", "capacity", "load"):
            raise InputError(f"unknown change kind {row.kind!r} (outage, capacity, load)", file=label, field="kind", row=k)
        start, end = _period(row.start), _period(row.end)
        span = None if start is None and end is None else (start if start is not None else end, end if end is not None else start)
        changes.append(Change(row.asset, row.kind, float(row.value), span, row.cause or ""))
    if periods is None:
        bounds = sorted({p for c in changes if c.periods for p in range(c.periods[0], c.periods[1] + 1)})
        periods = bounds or [0]
    return Scenario(name, changes, list(periods))



def _period(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value != int(value):
        raise InputError(f"a period is a whole number, found {value!r}", field="start/end")
    return int(value)



def check_scenario(vs: VitalSystems, scenario: Scenario, label: str) -> None:
    for k, change in enumerate(scenario.changes, start=1):
        vs.position(change.asset, file=label, field="asset", row=k)

