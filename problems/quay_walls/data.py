"""From the validated tables to the data of the model: periods, allowed starts, limits,
precedence, cables and pipes, and the traffic figures of every closure (traffic.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimise.errors import InfeasibleInput, InputError
from optimise.schema import check_references
from optimise.streets import street_lines
from optimise.vital import VitalSystems

from .traffic import ClosureTraffic, traffic_figures

@dataclass
class QuayData:
    works: pd.DataFrame
    periods: np.ndarray  # labels
    budget: np.ndarray
    crews: np.ndarray
    latest: np.ndarray  # index 0..H-1, or H+ for not due (may exceed)
    due: np.ndarray
    starts: list[np.ndarray]  # allowed start indices per work
    fixed: np.ndarray  # bool per work: its start is given (the works table's start column)
    district_limit: dict[str, int]
    precedence: list[tuple[int, int]]
    traffic: ClosureTraffic
    interactions: pd.DataFrame  # a, b, d_hindrance, d_air, d_vkm: the ones the model keeps
    all_interactions: pd.DataFrame  # every interaction between works whose windows overlap
    conflicts: list[tuple[int, int]]
    utilities: pd.DataFrame  # with host index, window indices, operator index (-1: the renewal budget)
    separate_starts: list[np.ndarray]  # per cable: the periods its own works may start (window, horizon, blackouts)
    operators: list[str]  # the cable and pipe operators with their own budget and crews
    operator_budget: np.ndarray  # (operators x periods)
    operator_crews: np.ndarray  # (operators x periods)
    blackout: np.ndarray  # (works x periods) bool
    vital: VitalSystems | None
    geometry: Any
    labels: dict[str, str]
    streets: Any = None  # the streets table's lines (GeoSeries), for the maps' background

    @property
    def n(self) -> int:
        return len(self.works)

    @property
    def work_labels(self) -> np.ndarray:
        """Each work's id with its name where the name says more (for messages)."""
        from optimise.vital import labelled

        return np.array([labelled(i, n) for i, n in zip(self.works["id"], self.works["name"])], dtype=object)

    @property
    def horizon(self) -> int:
        return len(self.periods)


def build_data(tables: dict[str, pd.DataFrame], params: dict[str, Any], vital: VitalSystems | None,
               labels: dict[str, str]) -> QuayData:
    """From validated tables to the data of the model (see the module docstring)."""
    works = tables["works"].reset_index(drop=True)
    periods = tables["periods"]
    lab = periods["period"].to_numpy(int)
    if np.any(np.diff(lab) <= 0):
        r = int(np.flatnonzero(np.diff(lab) <= 0)[0]) + 2
        raise InputError("periods must increase from row to row", file=labels["periods"], field="period", row=r)
    H = len(lab)
    index = {int(v): k for k, v in enumerate(lab)}
    latest_label = works["latest"].to_numpy(float)
    due = np.isfinite(latest_label) & (latest_label <= lab[-1])
    early = np.isfinite(latest_label) & (latest_label < lab[0])
    if early.any():
        r = int(np.flatnonzero(early)[0])
        raise InfeasibleInput(f"{works['id'].iloc[r]!r} had to start by {int(latest_label[r])}, before the first period "
                              f"{lab[0]}: it is past its safe life already", file=labels["works"], field="latest", row=r + 1)
    latest = np.array([int(np.searchsorted(lab, v, side="right") - 1) if due[a] else H + 1000
                       for a, v in enumerate(latest_label)])
    duration = works["duration"].to_numpy(int)
    # blackouts
    blackout = np.zeros((len(works), H), dtype=bool)
    if "blackouts" in tables:
        bl = tables["blackouts"]
        districts = works["district"].astype(str).to_numpy()
        for r, row in enumerate(bl.itertuples(index=False)):
            if int(row.period) not in index:
                raise InputError(f"period {int(row.period)} is not in the periods table", file=labels["blackouts"],
                                 field="period", row=r + 1)
            where = np.ones(len(works), dtype=bool) if not row.district else districts == str(row.district)
            blackout[where, index[int(row.period)]] = True
    starts = []
    for a in range(len(works)):
        allowed = [t for t in range(H - duration[a] + 1) if t <= latest[a] and not blackout[a, t:t + duration[a]].any()]
        if due[a] and not allowed:
            raise InfeasibleInput(f"{works['id'].iloc[a]!r} must start by {int(latest_label[a])} but no period allows it "
                                  f"(duration {duration[a]}, blackouts)", file=labels["works"], field="latest", row=a + 1)
        starts.append(np.array(allowed, dtype=int))
    fixed = _fixed_starts(works, starts, index, labels["works"])
    ids = works["id"].astype(str).tolist()
    pos = {v: k for k, v in enumerate(ids)}
    precedence = []
    if "precedence" in tables:
        pr = tables["precedence"]
        check_references(pr["before"].astype(str), ids, file=labels["precedence"], field="before", what="work")
        check_references(pr["after"].astype(str), ids, file=labels["precedence"], field="after", what="work")
        for r, row in enumerate(pr.itertuples(index=False)):
            a, b = pos[str(row.before)], pos[str(row.after)]
            if a == b:
                raise InputError("a work cannot precede itself", file=labels["precedence"], field="after", row=r + 1)
            if due[b] and (len(starts[a]) == 0 or starts[a].min() + duration[a] > latest[b]):
                raise InfeasibleInput(f"{row.after!r} must start by {int(latest_label[b])}, but {row.before!r} must be "
                                      f"finished first and cannot be by then", file=labels["precedence"], field="after", row=r + 1)
            precedence.append((a, b))
    limits = {}
    if "districts" in tables:
        limits = {str(k): int(v) for k, v in zip(tables["districts"]["id"], tables["districts"]["max_closures"])}
    for dist in set(works["district"].astype(str)):
        limits.setdefault(dist, params["max_closures"])
    _check_budget(works, due, latest, lab, periods, labels)
    traffic, interactions, conflicts, all_interactions = traffic_figures(works, vital, tables, params, labels, starts, duration)
    util = _utilities(tables.get("utilities"), pos, index, lab, labels)
    operators, operator_budget, operator_crews = _operators(tables.get("operators"), util, lab, labels)
    util["operator_index"] = [operators.index(o) if o else -1 for o in util["operator"].astype(str)] if len(util) else []
    separate_starts = [_separate_starts(blackout[int(h)], int(lo), int(hi), int(du)) for h, lo, hi, du in
                       zip(util["host_index"], util["window_lo"], util["window_hi"], util["duration"])]
    geometry = None
    import geopandas as gpd

    if isinstance(works, gpd.GeoDataFrame) and works.geometry.name in works.columns:
        geometry = works.geometry.reset_index(drop=True)
    return QuayData(works=pd.DataFrame(works.drop(columns="geometry", errors="ignore")), periods=lab,
                    budget=periods["budget"].to_numpy(float), crews=periods["crews"].to_numpy(float),
                    latest=latest, due=due, starts=starts, fixed=fixed, district_limit=limits, precedence=precedence,
                    traffic=traffic, interactions=interactions, all_interactions=all_interactions, conflicts=conflicts, utilities=util,
                    separate_starts=separate_starts, operators=operators, operator_budget=operator_budget,
                    operator_crews=operator_crews,
                    blackout=blackout, vital=vital, geometry=geometry, labels=labels,
                    streets=street_lines(tables.get("streets")))



def _fixed_starts(works: pd.DataFrame, starts: list[np.ndarray], index: dict[int, int], label: str) -> np.ndarray:
    """Works whose start is given (``start`` column): their allowed starts become that one
    period (``starts`` is changed in place); a period outside the horizon, or one the work may
    not start in (past its safe life, a blackout, running past the horizon), is refused."""
    given = works["start"].to_numpy(float) if "start" in works.columns else np.full(len(works), np.nan)
    fixed = np.isfinite(given)
    for a in np.flatnonzero(fixed):
        period = int(given[a])
        if period not in index:
            raise InputError(f"period {period} is not in the periods table", file=label, field="start", row=int(a) + 1)
        if index[period] not in set(starts[a].tolist()):
            raise InfeasibleInput(f"{works['id'].iloc[a]!r} is to start in {period}, but it may not start then "
                                  "(past its safe life, a blackout, or running past the last period)",
                                  file=label, field="start", row=int(a) + 1)
        starts[a] = np.array([index[period]], dtype=int)
    return fixed


def _check_budget(works: pd.DataFrame, due: np.ndarray, latest: np.ndarray, lab: np.ndarray,
                  periods: pd.DataFrame, labels: dict[str, str]) -> None:
    """A necessary condition, named in planning terms: by each period, the budget spent so
    far must cover at least the first period of every work due by then."""
    rate = works["cost"].to_numpy(float) / works["duration"].to_numpy(float)
    budget = np.cumsum(periods["budget"].to_numpy(float))
    crews = np.cumsum(periods["crews"].to_numpy(float))
    for tau in range(len(lab)):
        needed = due & (latest <= tau)
        if rate[needed].sum() > budget[tau] + 1e-6:
            names = ", ".join(works["id"].astype(str)[needed].head(5))
            raise InfeasibleInput(
                f"the budget up to {lab[tau]} ({budget[tau]:,.0f}) cannot cover even the first period of the "
                f"{int(needed.sum())} works past their safe life by then ({rate[needed].sum():,.0f}): {names}"
                f"{' …' if needed.sum() > 5 else ''}", file=labels["periods"], field="budget", row=tau + 1)
        if works["crews"].to_numpy(float)[needed].sum() > crews[tau] + 1e-6:
            raise InfeasibleInput(f"the crews up to {lab[tau]} cannot start the {int(needed.sum())} works due by then",
                                  file=labels["periods"], field="crews", row=tau + 1)


def _utilities(util: pd.DataFrame | None, pos: dict[str, int], index: dict[int, int], lab: np.ndarray,
               labels: dict[str, str]) -> pd.DataFrame:
    columns = ["id", "host", "system", "type", "duration", "cost", "saving", "asset", "operator", "crews", "host_index",
               "window_lo", "window_hi"]
    if util is None:
        return pd.DataFrame(columns=columns)
    label = labels["utilities"]
    check_references(util["host"].astype(str), list(pos), file=label, field="host", what="work")
    bad = (util["latest"] < util["earliest"]).to_numpy()
    if bad.any():
        r = int(np.flatnonzero(bad)[0]) + 1
        raise InputError("latest is before earliest", file=label, field="latest", row=r)
    over = (util["saving"] > util["cost"]).to_numpy()
    if over.any():
        r = int(np.flatnonzero(over)[0]) + 1
        raise InputError("the saving exceeds the cost", file=label, field="saving", row=r)
    late = (util["latest"] < lab[0]).to_numpy()
    if late.any():
        r = int(np.flatnonzero(late)[0]) + 1
        raise InfeasibleInput(f"{util['id'].iloc[r - 1]!r} had to be replaced by {int(util['latest'].iloc[r - 1])}, "
                              f"before the first period", file=label, field="latest", row=r)
    out = util.copy()
    out["host_index"] = [pos[str(h)] for h in util["host"]]
    out["window_lo"] = [int(np.searchsorted(lab, max(e, lab[0]))) for e in util["earliest"]]
    out["window_hi"] = [int(np.searchsorted(lab, l, side="right") - 1) if l <= lab[-1] else len(lab) for l in util["latest"]]
    keep = (util["earliest"] <= lab[-1]).to_numpy()  # windows after the horizon are not planned here
    return out[keep].reset_index(drop=True)



def _separate_starts(host_blackout: np.ndarray, lo: int, hi: int, duration: int) -> np.ndarray:
    """The periods a cable's own works may start: in its window, finished within the horizon,
    and not in a blackout of its host's district (its works close the host)."""
    H = len(host_blackout)
    return np.array([t for t in range(lo, min(hi, H - 1) + 1)
                     if t + duration <= H and not host_blackout[t:t + duration].any()], dtype=int)


def _operators(table: pd.DataFrame | None, util: pd.DataFrame, lab: np.ndarray,
               labels: dict[str, str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Budget and crews per operator and period; every operator the utilities name needs a row
    for every period."""
    named = sorted({str(o) for o in util["operator"] if isinstance(o, str) and o}) if len(util) else []
    if table is None:
        if named:
            r = int(np.flatnonzero(util["operator"].astype(str) == named[0])[0]) + 1
            raise InputError(f"operator {named[0]!r} has no budget: add an operators table (operator, period, "
                             f"budget, crews) or leave the field empty to pay from the renewal budget",
                             file=labels["utilities"], field="operator", row=r)
        return [], np.zeros((0, len(lab))), np.zeros((0, len(lab)))
    label = labels["operators"]
    operators = sorted(set(table["operator"].astype(str)) | set(named))
    budget = np.full((len(operators), len(lab)), np.nan)
    crews = np.full((len(operators), len(lab)), np.nan)
    index = {int(v): k for k, v in enumerate(lab)}
    for r, row in enumerate(table.itertuples(index=False)):
        o, t = operators.index(str(row.operator)), index.get(int(row.period))
        if t is None:
            raise InputError(f"period {int(row.period)} is not in the periods table", file=label, field="period", row=r + 1)
        if not np.isnan(budget[o, t]):
            raise InputError(f"operator {row.operator!r} has two rows for {int(row.period)}", file=label,
                             field="period", row=r + 1)
        budget[o, t], crews[o, t] = float(row.budget), float(row.crews)
    for o, name in enumerate(operators):
        missing = np.flatnonzero(np.isnan(budget[o]))
        if len(missing):
            where = labels["utilities"] if name not in set(table["operator"].astype(str)) else label
            raise InputError(f"operator {name!r} has no budget and crews for {int(lab[missing[0]])}", file=where,
                             field="operator", row=None)
    return operators, budget, crews
