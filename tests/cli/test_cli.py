"""The command line: JSON output, exit codes, validate, output folders."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import BENCH, assert_clean_error


def test_solve_benchmark_json(cli) -> None:
    run = cli("solve", BENCH / "orlib-pmed" / "pmed2.txt", "--format", "orlib-pmed", "--json")
    assert run.code == 0
    data = run.json()
    for key in ("problem", "status", "objective", "bound", "gap", "seconds", "build_seconds", "solve_seconds", "open_sites"):
        assert key in data
    assert data["problem"] == "p_median" and data["status"] == "optimal"
    assert data["objective"] == 4093
    assert len(data["open_sites"]) == 10 and all(isinstance(s, int) and 1 <= s <= 100 for s in data["open_sites"])


def test_p_override_and_gap_options(cli) -> None:
    run = cli("solve", BENCH / "orlib-pmed" / "pmed1.txt", "-f", "orlib-pmed", "--p", "3", "--gap", "0.0", "--threads", "1", "--json")
    assert run.code == 0 and len(run.json()["open_sites"]) == 3


def test_solve_instance_writes_outputs(cli, small_instance: Path, tmp_path: Path) -> None:
    out = tmp_path / "result"
    run = cli("solve", small_instance, "--out", out, "--json")
    assert run.code == 0, run.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["n_open"] == 2
    for name in ("sites.csv", "sites.parquet", "assignment.csv", "assignment.parquet", "layers.gpkg"):
        assert (out / name).exists(), name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"
    # a second run replaces the first result whole
    assert cli("solve", small_instance, "--out", out, "--p", "3", "--json").code == 0
    assert json.loads((out / "summary.json").read_text())["n_open"] == 3


def test_solve_instance_toml_path_and_human_output(cli, small_instance: Path) -> None:
    run = cli("solve", small_instance / "instance.toml")
    assert run.code == 0
    assert "optimal" in run.stdout and "sites opened" in run.stdout


def test_out_folder_of_the_user_is_not_overwritten(cli, small_instance: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    assert_clean_error(cli("solve", small_instance, "--out", mine), "notes.txt", "nothing of yours")
    assert (mine / "notes.txt").read_text() == "precious"


def test_validate(cli, small_instance: Path) -> None:
    run = cli("validate", small_instance)
    assert run.code == 0 and "valid p_median instance" in run.stdout
    assert cli("validate", BENCH / "orlib-cap" / "cap41.txt", "--format", "orlib-cap").code == 0


def test_infeasible_solve_exits_1(cli, small_instance: Path) -> None:
    # every site fixed open but p = 2: impossible, caught before solving (bad input: 2)
    sites = small_instance / "sites.csv"
    sites.write_text(sites.read_text().replace("false,false", "true,false"))
    assert_clean_error(cli("solve", small_instance), "fixed sites already exceed p")


def test_time_limit_never_reports_optimal(cli) -> None:
    run = cli("solve", BENCH / "orlib-pmed" / "pmed6.txt", "-f", "orlib-pmed", "--time-limit", "0.01", "--json")
    data = run.json()
    assert data["status"] in ("feasible", "no_solution")
    assert run.code == (0 if data["status"] == "feasible" else 1)
    if data["status"] == "feasible":
        assert data["gap"] is None or data["gap"] >= 0


def test_help_for_every_command(cli) -> None:
    for command in ("solve", "validate", "problems"):
        run = cli(command, "--help")
        assert run.code == 0 and "Usage" in run.stdout


def test_problems_lists_the_registry(cli) -> None:
    run = cli("problems")
    for name in ("p_median", "p_center", "mclp", "lscp", "cflp", "sscflp"):
        assert name in run.stdout


def test_tiny_time_limit_with_the_cut_loop(cli) -> None:
    run = cli("solve", BENCH / "orlib-pmed" / "pmed6.txt", "-f", "orlib-pmed", "--time-limit", "0.000001", "--json")
    data = run.json()
    assert data["status"] in ("feasible", "no_solution") and run.code in (0, 1)
