"""optimise.run (the one pipeline) and optimise.console (what people see)."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

from optimise import console
from optimise.errors import InputError
from optimise.problem import Listing
from optimise.explain import EXPLANATION_SECONDS, explanation_options
from optimise.run import Ask, load_case, solve_case
from optimise.solver import SolveOptions
from tests.conftest import DATA


def test_options_merge_command_line_over_instance_over_defaults() -> None:
    case = load_case(DATA / "small-pmedian")
    case = type(case)(case.problem, case.label, case.instance, case.vital, {"gap": 0.05, "threads": 2})
    options = case.options(gap=0.01)
    assert (options.gap, options.threads, options.seed, options.time_limit) == (0.01, 2, 0, None)
    with pytest.raises(InputError, match="gap"):
        case.options(gap=2.0)


def test_explanations_get_at_most_a_minute() -> None:
    assert explanation_options(SolveOptions(time_limit=600, threads=1)).time_limit == EXPLANATION_SECONDS
    assert explanation_options(SolveOptions(time_limit=5)).time_limit == 5


def test_a_run_keeps_each_steps_output_apart() -> None:
    case = load_case(DATA / "small-hubs")
    run = solve_case(case, case.options(), Ask(explain=True))
    own = dict(run.result.solution.summary)
    summary = run.summary()
    assert run.result.solution.summary == own  # the problem's own figures are not written into
    assert "flags" not in own and "binding" not in own
    assert summary["flags"]["counts"] == run.cascade["flags"]["counts"]
    assert run.binding and summary["binding"] == run.binding and summary["status"] == "optimal"


def test_an_infeasible_run_says_why() -> None:
    case = load_case(DATA / "small-hubs", overrides={"budget": 700_000, "hubs": 2, "min_served": 0.99})
    run = solve_case(case, case.options())
    assert run.result.status == "infeasible" and not run.has_solution
    assert run.why and any("budget" in line or "serving" in line for line in run.why)
    assert run.summary()["explanation"] == run.why


def test_impossible_data_is_refused_before_any_model() -> None:
    with pytest.raises(InputError, match="p = 7"):  # 6 sites
        load_case(DATA / "small-pmedian", overrides={"p": 7})


def test_user_text_is_never_read_as_markup() -> None:
    record = Console(record=True, width=200)
    rows = pd.DataFrame({"id": ["Hub [north]", "[/bold]"], "open": [True, True], "users": [2.0, 1.0]})
    original, console.out = console.out, record
    try:
        console.print_listing(rows, Listing("hubs", (("id", "id"), ("users", "users")), sort="users"), {})
    finally:
        console.out = original
    text = record.export_text()
    assert "Hub [north]" in text and "[/bold]" in text


def test_listing_shows_open_rows_sorted_with_percent_and_flags() -> None:
    record = Console(record=True, width=200)
    rows = pd.DataFrame({"asset": ["A", "B", "C"], "open": [True, True, False], "use": [0.5, 0.9, 0.99]})
    listing = Listing("grid", (("asset", "asset"), ("use", "use")), sort="use", percent=("use",), flag_by="asset")
    original, console.out = console.out, record
    try:
        console.print_listing(rows, listing, {"B": "red"})
    finally:
        console.out = original
    lines = [line for line in record.export_text().splitlines() if line.strip().startswith("│")]
    assert len(lines) == 2
    assert "B" in lines[0] and "90%" in lines[0] and "red" in lines[0]  # fullest first
    assert "A" in lines[1] and "50%" in lines[1] and "green" in lines[1]
    assert not any(" C " in line for line in lines)  # not open
