"""The contract between the engine and a planning question.

A problem module subclasses :class:`Problem`. It declares its input tables and parameters
(so that the engine can validate and document instances), builds a Pyomo model from its
validated tables, and turns a solved model into tables, layers and headline figures. The
engine does the rest: solving, status, timing, outputs, the command line.

Data flows one way: instance files -> validated tables (``from_instance``) -> model
(``build``) -> solution (``extract``) -> outputs.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import pandas as pd
import pyomo.core as pyo

from optimise.errors import InputError
from optimise.instance import Instance
from optimise.parameters import Parameter
from optimise.schema import TableSchema
from optimise.solver import PROVEN_GAP, SolveOptions, SolverFault, SolverOutcome, _relative_gap, solve_model

#: Share of the time limit a problem's own starting heuristic may take (the rest is HiGHS's).
#: Measured on the 20,000 x 2,000 city MCLP: the iterated local search found its best plan
#: at 43 s and none better by 60 s, while HiGHS's bound fell only 0.14 % in 10 minutes.
HEAD_START_SHARE = 0.15


@dataclass
class Solution:
    """What a problem makes of a solved model."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    layers: dict[str, Any] = field(default_factory=dict)  # name -> GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)  # JSON-ready figures
    #: For people, in order: (label, value) as plain text, or (label, value, style) where a
    #: figure must stand out (a Rich style such as "bold red").
    headline: list[tuple[str, ...]] = field(default_factory=list)
    #: The objective evaluated on the plan itself (exact sums, no solver round-off).
    objective: float | None = None


@dataclass
class Result:
    """One solve: the honest solver figures plus the problem's own solution."""

    problem: str
    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    seconds: float
    formulation: str
    size: dict[str, int]
    nodes: int
    solution: Solution
    instance: str | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible", "given")  # "given": a plan read by optimise check

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.solution.tables

    @property
    def layers(self) -> dict[str, Any]:
        return self.solution.layers

    def __getattr__(self, name: str) -> Any:
        # Problem figures (open_sites, coverage, ...) read as attributes, spopt-style.
        summary = self.__dict__.get("solution")
        if summary is not None and name in summary.summary:
            return summary.summary[name]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary: solver figures first, then the problem's own."""
        out: dict[str, Any] = {
            "problem": self.problem,
            "instance": self.instance,
            "status": self.status,
            "termination": self.termination,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "seconds": round(self.seconds, 4),
            "build_seconds": round(self.build_seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "formulation": self.formulation,
            "model_size": self.size,
            "nodes": self.nodes,
        }
        for key, value in self.solution.summary.items():
            out.setdefault(key, value)
        return out


def _is_max(model: pyo.ConcreteModel) -> bool:
    objective = next(model.component_data_objects(pyo.Objective, active=True))
    return objective.sense == pyo.maximize


def reconcile(outcome: SolverOutcome, evaluated: float, *, maximize: bool) -> None:
    """Report the plan's own objective value instead of the solver's floating-point one.

    The plan can only be as good as or better than the solver's figure (the model may carry
    slack); if it is worse, the formulation and the evaluation disagree: a bug.
    """
    reported = outcome.objective
    assert reported is not None
    tolerance = 1e-6 * max(1.0, abs(reported))
    worse = evaluated < reported - tolerance if maximize else evaluated > reported + tolerance
    if worse:
        raise SolverFault(f"the plan evaluates to {evaluated!r} but the solver reported {reported!r}")
    outcome.objective = evaluated
    if outcome.bound is not None:
        if maximize:
            outcome.bound = max(outcome.bound, evaluated)
        else:
            outcome.bound = min(outcome.bound, evaluated)
        if outcome.status == "optimal":
            outcome.bound = evaluated
        outcome.gap = _relative_gap(evaluated, outcome.bound)


def settled_by_head_start(figures: dict[str, float], options: SolveOptions, *, maximize: bool) -> SolverOutcome | None:
    """The head start's own plan as the outcome when it is within ``options.gap`` of the
    head start's own bound (``start_bound``, valid for every plan): HiGHS could only confirm
    the gap there. Optimal only when the two meet (gap at most ``PROVEN_GAP``); else
    feasible with its gap, as HiGHS reports a run stopped at the gap asked for."""
    objective, bound = figures.get("start_objective"), figures.get("start_bound")
    if objective is None or bound is None:
        return None
    on_the_right_side = bound >= objective - 1e-9 * max(1.0, abs(objective)) if maximize \
        else bound <= objective + 1e-9 * max(1.0, abs(objective))
    gap = _relative_gap(objective, bound)
    if not on_the_right_side or gap is None or gap > max(options.gap, PROVEN_GAP):
        return None
    word, text = ("optimal", "optimal: the starting plan meets its bound") if gap <= PROVEN_GAP else \
        ("feasible", "the starting plan is within the gap tolerance of its bound")
    return SolverOutcome(word, text, float(objective), float(bound), gap, 0.0, 0.0, 0)


@dataclass(frozen=True)
class ObjectiveTerm:
    """One objective a problem can be judged by (walking time, space won back, cost …).

    A problem that declares objective terms builds them as ``model.terms[name]`` (a Pyomo
    Expression indexed by name) and reports their values for a plan in
    ``summary["objectives"]``; the engine then traces Pareto fronts between any two.
    """

    name: str
    sense: str  # "min" or "max"
    unit: str
    description: str
    #: The problem parameter that weighs this term in a weighted-sum objective ("" if none).
    weight: str = ""

    @property
    def maximize(self) -> bool:
        return self.sense == "max"


@dataclass(frozen=True)
class Listing:
    """A solution table the command line shows after a solve, in the problem's own words.

    ``columns`` pairs each column shown with its header; rows are sorted by ``sort``; where
    the table has an ``open`` column and ``open_only`` is set, only open rows are shown.
    ``percent`` columns read as percentages. ``flag_by`` names a column of asset ids: each
    row then shows the worst cascade flag of its asset."""

    table: str
    columns: tuple[tuple[str, str], ...]
    sort: str
    ascending: bool = False
    title: str = ""  # default: the table's name
    open_only: bool = True
    percent: tuple[str, ...] = ()
    flag_by: str = ""
    limit: int = 25


def weighted_sum(objectives: dict[str, ObjectiveTerm], params: dict[str, Any], terms: dict[str, float]) -> float:
    """A weighted-sum objective (minimised): each term times its weight parameter, a term to
    maximise counting negatively."""
    return sum((-1.0 if objectives[name].maximize else 1.0) * params[objectives[name].weight] * value
               for name, value in terms.items())


class Problem(ABC):
    """Base class of every planning question.

    Subclasses set ``name`` (the registry key), ``title``, ``tables`` and ``parameters``,
    and implement :meth:`from_instance`, :meth:`build` and :meth:`extract`.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    tables: ClassVar[dict[str, TableSchema]] = {}
    parameters: ClassVar[dict[str, Parameter]] = {}

    #: Constraint families that are planning rules (budget, deadlines, capacities): the ones
    #: an infeasibility explanation may break and ``--explain`` reports when they bind.
    elastic: ClassVar[tuple[str, ...]] = ()
    #: The families among them that are resources (budget, capacity): ``--explain`` says when
    #: the plan uses one fully.
    resources: ClassVar[tuple[str, ...]] = ()

    #: Objectives the problem can trade off (see :class:`ObjectiveTerm`); empty: one objective.
    objectives: ClassVar[dict[str, ObjectiveTerm]] = {}

    #: The solution tables the command line shows after a solve (see :class:`Listing`).
    listings: ClassVar[tuple[Listing, ...]] = ()

    #: How much dearer than others some rule families are to break when an infeasible plan
    #: is explained (family -> weight; default 1), e.g. a safe-life deadline that should be
    #: the last rule to give.
    elastic_weights: ClassVar[dict[str, float]] = {}

    #: Which formulation :meth:`build` uses (the engine reports it); a problem that chooses
    #: by instance makes this a property of its parameters.
    formulation: str = "default"

    #: HiGHS options this formulation is solved with (name -> value), where measurements
    #: show HiGHS's defaults cost time on it; the user's options (time, gap, threads, seed)
    #: are set on top and are never overridden.
    highs_options: ClassVar[dict[str, Any]] = {}

    #: HiGHS options on top of those when HiGHS starts from the plan of the problem's own
    #: :meth:`starting_plan` (for instance its primal heuristics off, where measurements show
    #: that plan is at or near the optimum and HiGHS's search for a better one only costs time).
    head_start_highs_options: ClassVar[dict[str, Any]] = {}

    #: The problem's :meth:`starting_plan` returns its own bound (``start_bound``), so it may
    #: settle a solve by itself: it then runs before a what-if's given plan too, and HiGHS
    #: starts from the given plan only when the head start does not settle the solve.
    head_start_settles: ClassVar[bool] = False

    #: The checked parameters of the instance (set by the problem's constructor).
    params: dict[str, Any]

    def __init__(self, data: Any, **params: Any) -> None:
        """A problem of ``data`` (the problem's own validated tables) and its parameters,
        checked against :attr:`parameters`; then :meth:`check` looks for what cannot work."""
        from optimise.parameters import check_parameters

        self.data = data
        self.params = check_parameters(self.parameters, params, file="parameters")
        self.check()

    def check(self) -> None:
        """Refuse data that cannot have a plan, with a message naming file, field and row
        (``optimise.errors.InfeasibleInput``), before any model is built. Default: nothing."""

    @classmethod
    @abstractmethod
    def from_instance(cls, instance: Instance) -> "Problem":
        """Read and validate the instance's tables and parameters."""

    @abstractmethod
    def build(self) -> pyo.ConcreteModel:
        """Build the Pyomo model of this formulation. What :meth:`extract` needs to read the
        solution back (index maps from positions to data rows) travels on the model as
        ``model.maps``, never on the problem: one problem may build many models."""

    def separator(self, model: pyo.ConcreteModel) -> Any:
        """For formulations solved by row generation: a :class:`optimise.cutloop.Separator`
        supplying the rows the model leaves out. None (the default) solves the model as is."""
        return None

    def starting_plan(self, model: pyo.ConcreteModel, deadline: float | None, seed: int) -> dict[str, float] | None:
        """A feasible plan from a fast heuristic of the problem's own, set as the values of
        all of ``model``'s variables, for HiGHS to start its search from (its objective then
        prunes the tree from the first node). Return figures about it for the result's
        ``size`` table, or None when there is none (the default). Figures may include
        ``start_objective`` (the plan's objective value) and ``start_bound`` (a bound on the
        objective of every plan, e.g. the LP relaxation's optimum): a plan already within
        the gap asked for of its bound settles the solve, and HiGHS is not run. It may also
        fix variables that no plan cheaper than its own can move (exact reductions, e.g. reduced-cost
        fixing against a bound of its own), listing them in ``model.reduced``: the engine
        frees them after this solve. Called only on a model as
        :meth:`build` made it, before a solve without row generation; ``deadline`` (a
        ``time.perf_counter()`` value) bounds the heuristic's time, ``seed`` its choices."""
        return None

    def plan_values(self, model: pyo.ConcreteModel, tables: dict[str, pd.DataFrame],
                    files: dict[str, str]) -> list[tuple[Any, float]]:
        """A plan given as its decision tables (``plan_tables``, as a result folder holds
        them) as values of ``model``'s integer variables, for HiGHS to start from: a what-if's
        second question starts from the first answer. A decision the model no longer allows
        (a site since forbidden, a start outside a work's new window) is left out, and HiGHS
        repairs or drops the start. Returned as (variable, value) pairs (Pyomo variables are
        not hashable). Default: the problem cannot start from a plan ([])."""
        return []

    def scenario(self, result: "Result") -> Any:
        """The plan as an ``optimise.cascade.Scenario`` for the cascade checker (changes to
        the vital systems), or None (the default) for no change: the check then reports
        today's state."""
        return None

    def check_plan(self, solution: Solution) -> list[str]:
        """The rules the plan breaks, each in planning terms ("the budget of 2027 is exceeded by
        3,000,000"); empty when it keeps them all.

        A second statement of the problem's rules, written from the instance's data and the
        plan's own tables, never from the model: the engine runs it after every solve, and a
        plan the solver returned that breaks a rule is a fault (exit 3), never reported as a
        plan. Default: no rules declared."""
        return []

    #: The figures a planner quotes, in planner units, as (summary key, label with its unit):
    #: they lead the alternatives, the comparison of batch variants and the Pareto tables; the
    #: weighted objective follows them.
    key_figures: ClassVar[tuple[tuple[str, str], ...]] = ()

    #: The data table a polygon drawn in ``optimise app`` is added to as a row (claimed areas,
    #: closure zones); "" when the problem has none.
    drawn_areas: ClassVar[str] = ""
    #: (table, column, periods table): in ``optimise app`` a click on a row of the table sets
    #: its column to the chosen period (a work closed in that year); () when none.
    given_period: ClassVar[tuple[str, str, str]] = ()

    #: The decision tables a plan is given by (``optimise check``), as ``solve --out`` writes
    #: them, with the columns read from each.
    plan_tables: ClassVar[dict[str, tuple[str, ...]]] = {}

    def plan_table_needed(self, name: str) -> bool:
        """Whether a plan must give the table ``name`` (some follow from the others)."""
        return True

    def plan_solution(self, tables: dict[str, pd.DataFrame], files: dict[str, str]) -> Solution:
        """A plan given as its decision tables (``plan_tables``; ``files`` names each table's
        file for messages), evaluated from the instance's data into the tables, figures and
        objective a solve reports. Ids or periods the instance does not know are an
        :class:`~optimise.errors.InputError`; rule breaks are for :meth:`check_plan`."""
        raise InputError(f"the {self.name} problem cannot read a plan", field="plan")

    def terms(self, model: pyo.ConcreteModel) -> Any:
        """The objective terms of a built model, by the names in :attr:`objectives` (a Pyomo
        Expression indexed by name). The default reads ``model.terms``."""
        return model.terms

    def size_text(self) -> str:
        """The instance's size in words (for ``optimise validate``); problems override it."""
        return ""

    def weighted(self, terms: dict[str, float]) -> float:
        """The value of the problem's weighted-sum objective for these term values."""
        return weighted_sum(self.objectives, self.params, terms)

    @classmethod
    def read_instance(cls, instance: Instance, required: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, str]]:
        """An instance's parameters (checked), its tables (validated: the ``required`` ones and
        the optional ones it gives) and each table's label for messages."""
        from optimise.parameters import check_parameters

        params = check_parameters(cls.parameters, instance.parameters, file=str(instance.toml_file))
        tables = {key: instance.table(key, schema) for key, schema in cls.tables.items()
                  if key in required or instance.has(key)}
        return params, tables, {key: instance.label(key) for key in cls.tables}

    @classmethod
    def read_frames(cls, given: dict[str, Any], params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, str]]:
        """As :meth:`read_instance`, from DataFrames given by table name (None: not given)."""
        from optimise.parameters import check_parameters
        from optimise.schema import validate_table

        tables = {k: validate_table(v, cls.tables[k], file=k) for k, v in given.items() if v is not None}
        return check_parameters(cls.parameters, params, file="parameters"), tables, {k: k for k in cls.tables}

    def plan_indicators(self, model: pyo.ConcreteModel) -> dict[str, Any]:
        """The plan's key yes/no decisions as 0/1-valued Pyomo expressions, by a readable
        name (e.g. {site id: site open}). Alternatives are told apart by them."""
        return {}

    def describe_row(self, family: str, index: Any, amount: float, direction: str,
                     model: pyo.ConcreteModel | None = None) -> str:
        """One row of a rule family in planning terms. ``direction``: "short" (the row's
        lower side must give ``amount``), "over" (its upper side), "binds" (``amount`` is
        the objective's gain per unit of relaxation) or "tight" (``amount`` is the share of a
        resource used). ``model`` is the model the row belongs to (its ``maps`` say what an
        index stands for). Problems override this."""
        where = "" if index is None else f"[{index}]"
        if direction == "binds":
            return f"{family}{where} binds: relaxing it by one unit changes the objective by {amount:+,.6g}"
        return f"{family}{where} must give {amount:,.6g}"

    def figures(self, result: "Result", impact: Any = None) -> dict[str, Any]:
        """Matplotlib figures of a solved plan, by file stem (e.g. {"map": fig})."""
        return {}

    def figure_parts(self, result: "Result", impact: Any = None) -> list[Any]:
        """The same figures as :meth:`figures`, as parts that can be drawn apart (each a
        function drawing some of them, by file stem): result folders draw the parts side by
        side. By default one part, all of them."""
        return [lambda: self.figures(result, impact)]

    def map_layers(self, result: "Result") -> list[Any]:
        """The plan's layers on report.html's web map (``optimise.webreport.MapLayer``). By
        default every layer of the result, each its own group; a layer named
        ``period_<label>`` belongs to that period. Problems override this to colour and
        label their layers."""
        from optimise.webreport import MapLayer

        out = []
        for name, frame in result.layers.items():
            period = name.removeprefix("period_") if name.startswith("period_") else None
            out.append(MapLayer(name, frame, "plan in the period" if period else name, period))
        return out

    def charts(self, result: "Result") -> dict[str, Any]:
        """Interactive (plotly) charts of a solved plan for report.html, by title."""
        return {}

    @abstractmethod
    def extract(self, model: pyo.ConcreteModel, outcome: SolverOutcome) -> Solution:
        """Turn the solved model into tables, layers and figures."""

    def solve(
        self,
        options: SolveOptions | None = None,
        *,
        time_limit: float | None = None,
        gap: float | None = None,
        threads: int | None = None,
        seed: int | None = None,
        verbose: bool = False,
        instance: str | None = None,
        plan: tuple[dict[str, pd.DataFrame], dict[str, str]] | None = None,
    ) -> Result:
        """Build, solve with HiGHS and extract. Keyword arguments override ``options``.
        ``plan``: a plan's decision tables and their file labels (``plans.read_plan_tables``)
        for HiGHS to start from (:meth:`plan_values`)."""
        options = (options or SolveOptions()).with_overrides(time_limit=time_limit, gap=gap, threads=threads,
                                                             seed=seed, verbose=verbose or None)
        began = time.perf_counter()
        model = self.build()
        built = time.perf_counter()
        start = self.plan_values(model, *plan) if plan is not None else None
        return self.solve_built(model, options, started=began, build_seconds=built - began, instance=instance,
                                as_built=True, start=start)

    def solve_built(self, model: pyo.ConcreteModel, options: SolveOptions, *, started: float | None = None,
                    build_seconds: float = 0.0, instance: str | None = None, warm_start: bool = False,
                    as_built: bool = False, own_objective: bool = True,
                    start: list[tuple[Any, float]] | None = None) -> "Result":
        """Solve a model made by :meth:`build` (possibly changed since: the engine adds
        trade-off rows to it) and extract the plan. ``as_built``: the model is unchanged
        since :meth:`build`, so the problem's :meth:`starting_plan` is feasible for it.
        ``own_objective``: the model optimises the problem's own objective, so the plan's
        evaluated value replaces the solver's (False when a trade-off put another in its place).
        ``start``: values of integer variables to start from (:meth:`plan_values`), instead of
        the problem's own :meth:`starting_plan` (which still runs first where it may settle
        the solve: ``head_start_settles``)."""
        began = time.perf_counter() if started is None else started
        separator = self.separator(model)
        if separator is None:
            head_start, settled = None, None
            try:
                if as_built and not warm_start and (not start or self.head_start_settles):
                    head_start, options = self._head_start(model, options)
                settled = settled_by_head_start(head_start, options, maximize=_is_max(model)) if head_start else None
                # a given plan is where HiGHS starts when the head start did not settle the solve
                from_head_start = head_start is not None and not start
                highs_options = {**self.highs_options, **(self.head_start_highs_options if from_head_start else {})}
                outcome = settled or solve_model(model, options, warm_start=warm_start or from_head_start, start=start,
                                                 highs_options=highs_options)
            finally:
                # exact reductions against the head start hold for this solve only: a later
                # solve of the same model (alternatives, trade-offs) sees the whole problem
                for var in getattr(model, "reduced", ()):
                    var.unfix()
                model.reduced = []
            if start and not settled:  # the given plan's values HiGHS started from
                outcome.size = {**outcome.size, "start_values": len(start)}
            if head_start:
                outcome.size = {**outcome.size, **head_start}
        else:
            from optimise.cutloop import solve_with_cuts

            outcome = solve_with_cuts(model, separator, options)
        solution = self.extract(model, outcome) if outcome.has_solution else Solution()
        breaks = self.check_plan(solution) if outcome.has_solution else []
        if breaks:
            more = f" (and {len(breaks) - 1} more)" if len(breaks) > 1 else ""
            raise SolverFault(f"the plan the solver returned breaks a rule of {self.name}: {breaks[0]}{more}")
        if solution.objective is not None and own_objective:
            reconcile(outcome, solution.objective, maximize=_is_max(model))
        end = time.perf_counter()
        return Result(
            problem=self.name,
            status=outcome.status,
            termination=outcome.termination,
            objective=outcome.objective,
            bound=outcome.bound,
            gap=outcome.gap,
            build_seconds=build_seconds + outcome.handoff_seconds,
            solve_seconds=outcome.solve_seconds,
            seconds=end - began,
            formulation=self.formulation,
            size=outcome.size,
            nodes=outcome.nodes,
            solution=solution,
            instance=instance,
        )

    def _head_start(self, model: pyo.ConcreteModel, options: SolveOptions) -> tuple[dict[str, float] | None, SolveOptions]:
        """Run :meth:`starting_plan` within its share of the time limit; HiGHS gets the rest."""
        t0 = time.perf_counter()
        deadline = None if options.time_limit is None else t0 + HEAD_START_SHARE * options.time_limit
        figures = self.starting_plan(model, deadline, options.seed)
        if figures is None:
            return None, options
        spent = time.perf_counter() - t0
        if options.time_limit is not None:
            options = replace(options, time_limit=max(options.time_limit - spent, 1e-3))
        return {**figures, "start_seconds": spent}, options
