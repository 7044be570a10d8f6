"""`optimise check INSTANCE PLAN` (issue 19 item 4): a plan from elsewhere (a solve's output a
planner edited, a single sites file) is evaluated from the data, judged by the problem's rule
check, and compared with the optimum; what cannot be read is a clean input error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DATA, ROOT, assert_clean_error, run_cli

QUAYS = ROOT / "instances" / "amsterdam-quays-small"
HUBS = ROOT / "instances" / "zuidas-hubs"


@pytest.fixture(scope="module")
def quay_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quays") / "plan"
    run = run_cli("solve", QUAYS, "--gap", "0.001", "--out", out)
    assert run.code == 0, run.stderr
    return out


def edited(plan: Path, tmp_path: Path, table: str, edit) -> Path:
    """A copy of the plan folder with one table edited, as a planner would in a spreadsheet."""
    target = tmp_path / "edited"
    shutil.copytree(plan, target)
    frame = pd.read_csv(target / f"{table}.csv")
    edit(frame).to_csv(target / f"{table}.csv", index=False)
    return target


def test_the_solved_quay_plan_keeps_every_rule(quay_plan: Path) -> None:
    run = run_cli("check", QUAYS, quay_plan, "--no-compare", "--json")
    assert run.code == 0, run.stderr
    s = run.json()
    assert s["keeps_rules"] and s["rule_breaks"] == [] and s["status"] == "given"
    solved = pd.read_json(quay_plan / "summary.json", typ="series")
    assert s["objective"] == pytest.approx(solved["objective"], rel=1e-9)
    assert s["extra_vehicle_hours"] == pytest.approx(solved["extra_vehicle_hours"], rel=1e-9)
    assert s["flags"]["counts"]  # checked on the vital systems too


def test_an_edited_quay_plan_is_told_which_rules_it_breaks(quay_plan: Path, tmp_path: Path) -> None:
    works = pd.read_csv(QUAYS / "blackouts.csv")
    assert (works["district"] == "A-IJ").any()
    schedule = pd.read_csv(quay_plan / "schedule.csv")
    host = schedule.loc[schedule["district"].eq("A-IJ") & schedule["start"].notna(), "id"].iloc[0]
    cables = pd.read_csv(QUAYS / "utilities.csv")
    cable = cables.loc[cables["host"].eq(host) & cables["earliest"].le(2030) & cables["latest"].ge(2030), "id"]
    if cable.empty:
        pytest.skip("no cable under an IJ work with 2030 in its window")

    def in_sail_year(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[t["id"] == cable.iloc[0], ["mode", "period"]] = ["separate", 2030]
        return t

    run = run_cli("check", QUAYS, edited(quay_plan, tmp_path, "utilities", in_sail_year), "--no-compare", "--json")
    assert run.code == 1, run.stderr
    s = run.json()
    assert not s["keeps_rules"]
    assert f"{cable.iloc[0]} is replaced on its own in 2030, closing {host} in a blackout" in s["rule_breaks"]


@pytest.mark.parametrize("table, column, value, needles", [
    ("schedule", "id", "Q-NOPE", ("schedule.csv", "id", "Q-NOPE")),
    ("schedule", "start", 2051, ("schedule.csv", "start", "2051 is not a period")),
    ("utilities", "mode", "sometime", ("utilities.csv", "mode", "sometime")),
])
def test_an_unreadable_plan_is_a_clean_input_error(quay_plan: Path, tmp_path: Path, table, column, value,
                                                   needles) -> None:
    def spoil(t: pd.DataFrame) -> pd.DataFrame:
        t[column] = t[column].astype(object)
        t.loc[t.index[1], column] = value
        return t

    assert_clean_error(run_cli("check", QUAYS, edited(quay_plan, tmp_path, table, spoil), "--no-compare"),
                       *needles, "row 2")


def test_a_plan_without_its_tables_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert_clean_error(run_cli("check", QUAYS, tmp_path / "empty", "--no-compare"), "schedule.csv")
    assert_clean_error(run_cli("check", QUAYS, tmp_path / "missing", "--no-compare"), "no such plan")


def test_a_sites_file_is_compared_with_the_optimum(tmp_path: Path) -> None:
    """A p-median plan given as one sites file: a worse choice keeps the rules and is told how
    far it is from the optimum; one site too many breaks the count."""
    out = tmp_path / "solved"
    assert run_cli("solve", DATA / "small-pmedian", "--out", out).code == 0
    sites = pd.read_csv(out / "sites.csv")
    best = run_cli("check", DATA / "small-pmedian", out / "sites.csv", "--json").json()
    assert best["keeps_rules"] and best["distance_to_optimum"]["worse_by"] == pytest.approx(0.0, abs=1e-6)
    swapped = sites.copy()
    first_open, first_closed = swapped.index[swapped["open"]][0], swapped.index[~swapped["open"]][0]
    swapped.loc[[first_open, first_closed], "open"] = [False, True]
    swapped[["id", "open"]].to_csv(tmp_path / "mine.csv", index=False)
    run = run_cli("check", DATA / "small-pmedian", tmp_path / "mine.csv", "--json")
    assert run.code == 0, run.stderr
    mine = run.json()
    assert mine["keeps_rules"] and mine["distance_to_optimum"]["worse_by"] > 0
    assert mine["objective"] == pytest.approx(best["objective"] + mine["distance_to_optimum"]["worse_by"])
    swapped.loc[first_open, "open"] = True
    swapped[["id", "open"]].to_csv(tmp_path / "more.csv", index=False)
    run = run_cli("check", DATA / "small-pmedian", tmp_path / "more.csv", "--no-compare")
    assert run.code == 1 and "sites open where p = " in run.stdout
    swapped["open"] = swapped["open"].map({True: "yes", False: "perhaps"})
    swapped[["id", "open"]].to_csv(tmp_path / "vague.csv", index=False)
    assert_clean_error(run_cli("check", DATA / "small-pmedian", tmp_path / "vague.csv"), "vague.csv", "open",
                       "perhaps")


def test_hubs_moved_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "solved"
    assert run_cli("solve", HUBS, "--out", out).code == 0
    assert run_cli("check", HUBS, out, "--no-compare").code == 0
    hubs = pd.read_csv(out / "hubs.csv")
    sites = pd.read_csv(HUBS / "sites.csv").set_index("id")
    sizes = pd.read_csv(HUBS / "sizes.csv").set_index("id")
    largest = sizes["footprint_m2"].idxmax()
    cramped = hubs.index[~hubs["open"] & hubs["id"].map(sites["space_m2"]).lt(sizes.loc[largest, "footprint_m2"])][0]

    def too_large(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[cramped, ["open", "size"]] = [True, largest]
        return t

    run = run_cli("check", HUBS, edited(out, tmp_path, "hubs", too_large), "--no-compare", "--json")
    assert run.code == 1
    assert f"a {largest} hub does not fit at {hubs['id'].iloc[cramped]}" in " ".join(run.json()["rule_breaks"])
