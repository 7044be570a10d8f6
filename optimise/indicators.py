"""Indicators and flags of a scenario on the vital systems: the cascade evaluated, summed up
for ``summary.json``, with N-1 redundancy when asked."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from optimise.cascade import Impact, Scenario, Thresholds, evaluate, n_minus_one, resilience_summary
from optimise.instance import Instance
from optimise.vital import VitalSystems


def thresholds(instance: Instance) -> Thresholds:
    return Thresholds(**{k: float(v) for k, v in instance.cascade.items()})



def summarise(impact: Impact) -> dict[str, Any]:
    """JSON-ready ``indicators`` and ``flags``."""
    flags = impact.asset_flags()
    return {
        "scenario": impact.scenario.name,
        "periods": impact.scenario.periods,
        "indicators": impact.indicators().to_dict(orient="records"),
        "flags": {
            "systems": impact.system_flags().to_dict(orient="records"),
            "assets": flags[flags["flag"] != "green"].to_dict(orient="records"),
            "counts": {f: int((flags["flag"] == f).sum()) for f in ("red", "orange", "planned", "opportunity")},
        },
    }



def run_impact(vs: VitalSystems, scenario: Scenario, limits: Thresholds, *, resilience: bool = True) -> tuple[Impact, dict[str, Any], pd.DataFrame | None]:
    start = time.perf_counter()
    impact = evaluate(vs, scenario, limits)
    summary = summarise(impact)
    summary["impact_seconds"] = round(time.perf_counter() - start, 4)  # cascade, indicators, flags
    table = None
    if resilience:
        t0 = time.perf_counter()
        table = n_minus_one(vs)
        summary["resilience"] = resilience_summary(table)
        summary["resilience_seconds"] = round(time.perf_counter() - t0, 4)
    return impact, summary, table

