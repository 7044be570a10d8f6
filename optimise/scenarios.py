"""Scenarios: changes to the vital systems (outages, capacity, load) over periods, read from
a TOML or CSV file and checked against the assets.

Scenario file (TOML)::

    name = "Hemweg substation out for two years"
    periods = [2027, 2028, 2029]     # optional; default: the periods the changes span, else [0]

    [[change]]
    asset = "SUB-HEMWEG"
    kind = "outage"                  # outage | capacity | load
    value = 1.0                      # outage: share out (1 = fully); capacity/load: amount added
    periods = [2027, 2028]           # optional inclusive range; default every period
    cause = "renewal works"          # optional, used in explanations
    planned = true                   # optional: the plan's own works (flagged "planned", not red)

or CSV with columns ``asset, kind, value, start, end, cause`` (``start``/``end`` optional).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimise.cascade import Change, Scenario
from optimise.errors import InputError
from optimise.files import read_table, read_toml
from optimise.schema import Column, TableSchema, validate_table
from optimise.vital import VitalSystems

CHANGE_KEYS = {"asset", "kind", "value", "periods", "cause", "planned"}

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
        Column("planned", "bool", "the plan's own works: flagged planned, not as a finding", required=False,
               default=False),
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
            "planned": [bool(r.get("planned", False)) for r in rows],
        })
        name = str(raw.get("name", path.stem))
        periods = raw.get("periods")  # none given: the periods the changes span, as for CSV
        if periods is not None and (not isinstance(periods, list) or not periods
                                    or not all(isinstance(p, int) and not isinstance(p, bool) for p in periods)):
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
        start, end = _period(row.start, label, k), _period(row.end, label, k)
        span = None if start is None and end is None else (start if start is not None else end, end if end is not None else start)
        if span is not None and span[0] > span[1]:
            raise InputError(f"the periods run backwards ({span[0]} to {span[1]})", file=label, field="periods", row=k)
        if row.kind == "outage" and not 0 <= float(row.value) <= 1:
            raise InputError(f"an outage is a share between 0 and 1 (1 = fully out), found {row.value:g}",
                             file=label, field="value", row=k)
        changes.append(Change(row.asset, row.kind, float(row.value), span, row.cause or "", planned=bool(row.planned)))
    if periods is None:
        spans = [c.periods for c in changes if c.periods]
        if spans and max(b for _, b in spans) - min(a for a, _ in spans) >= MAX_PERIODS:
            raise InputError(f"the changes span {max(b for _, b in spans) - min(a for a, _ in spans) + 1:,} periods "
                             f"(at most {MAX_PERIODS:,}); is a period mistyped?", file=label, field="start/end")
        periods = sorted({p for a, b in spans for p in range(a, b + 1)}) or [0]
    else:
        _check_periods(periods, changes, label)
    return Scenario(name, changes, list(periods))


#: The most periods a scenario may have (a mistyped year must not allocate gigabytes).
MAX_PERIODS = 1000


def _check_periods(periods: list[int], changes: list[Change], label: str) -> None:
    """The scenario's periods increase, are not too many, and every change falls inside them."""
    if len(periods) > MAX_PERIODS:
        raise InputError(f"{len(periods):,} periods (at most {MAX_PERIODS:,})", file=label, field="periods")
    if any(b <= a for a, b in zip(periods, periods[1:])):
        raise InputError("the periods must increase (each once)", file=label, field="periods")
    for k, change in enumerate(changes, start=1):
        if change.periods and (change.periods[1] < periods[0] or change.periods[0] > periods[-1]):
            raise InputError(f"the change's periods {change.periods[0]}–{change.periods[1]} fall outside the "
                             f"scenario's {periods[0]}–{periods[-1]}", file=label, field="change.periods", row=k)



def _period(value: Any, label: str, row: int) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value != int(value):
        raise InputError(f"a period is a whole number, found {value!r}", file=label, field="start/end", row=row)
    return int(value)



def check_scenario(vs: VitalSystems, scenario: Scenario, label: str) -> None:
    for k, change in enumerate(scenario.changes, start=1):
        vs.position(change.asset, file=label, field="asset", row=k)

