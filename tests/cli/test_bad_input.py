"""Every user mistake ends in exit code 2 and one line naming file, field and row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BENCH, assert_clean_error


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


CASES = [
    # (file, old, new, expected fragments)
    ("sites.csv", "A,120200,487000,60,100", "A,120200,487000,-60,100", ["sites.csv", "capacity", "row 1", "greater than 0"]),
    ("sites.csv", "B,121000", "A,121000", ["sites.csv", "field 'id'", "row 2", "duplicate id"]),
    ("demand.csv", "d03,5,", "d03,five,", ["demand.csv", "weight", "row 3", "expected a number"]),
    ("demand.csv", "d04,8,", "d04,nan,", ["demand.csv", "weight", "row 4", "missing"]),
    ("demand.csv", "d05,12,", "d05,inf,", ["demand.csv", "weight", "row 5", "infinite"]),
    ("demand.csv", "d06,7,", "d06,-7,", ["demand.csv", "weight", "row 6", "at least 0"]),
    ("demand.csv", "d07,3,", "d07,1e300,", ["demand.csv", "weight", "row 7", "too large"]),
    ("demand.csv", "id,weight,x,y", "name,weight,x,y", ["demand.csv", "field 'id'", "missing"]),
    ("demand.csv", "d02,20,120300,487100", "d02,20,,487100", ["demand.csv", "field 'x'", "row 2"]),
    ("sites.csv", "false,false\nB", "true,true\nB", ["sites.csv", "forbidden", "row 1", "both fixed and forbidden"]),
    ("sites.csv", "C,122300,487200,60,90,false,false", "C,122300,487200,60,90,maybe,false", ["sites.csv", "fixed", "row 3", "true or false"]),
    ("instance.toml", "p = 2", "p = 0", ["instance.toml", "parameters.p", "at least 1"]),
    ("instance.toml", "p = 2", "p = 7", ["parameters.p", "only 6 site"]),
    ("instance.toml", "p = 2", "p = 2.5", ["instance.toml", "parameters.p", "whole number"]),
    ("instance.toml", "p = 2", 'p = "two"', ["instance.toml", "parameters.p", "expected a number"]),
    ("instance.toml", "p = 2", "p = 2\nq = 3", ["instance.toml", "parameters.q", "unknown parameter"]),
    ("instance.toml", 'crs = "EPSG:28992"', 'crs = "EPSG:999999"', ["instance.toml", "crs", "unknown CRS"]),
    ("instance.toml", 'crs = "EPSG:28992"', 'crs = "EPSG:4326"', ["crs", "not projected"]),
    ("instance.toml", 'crs = "EPSG:28992"', "", ["demand.csv", "need a CRS"]),
    ("instance.toml", 'problem = "p_median"', 'problem = "p_medain"', ["problem", "unknown problem"]),
    ("instance.toml", 'problem = "p_median"', "", ["instance.toml", "problem", "names no problem"]),
    ("instance.toml", 'name = "small', 'colour = "red"\nname = "small', ["instance.toml", "colour", "unknown key"]),
    ("instance.toml", 'demand = "demand.csv"', 'demand = "../../etc/passwd.csv"', ["data.demand", "outside the instance folder"]),
    ("instance.toml", 'demand = "demand.csv"', 'demand = "/etc/demand.csv"', ["data.demand", "relative"]),
    ("instance.toml", 'demand = "demand.csv"', 'demand = "nothere.csv"', ["nothere.csv", "file not found"]),
    ("instance.toml", 'demand = "demand.csv"', 'demand = "demand.xlsx"', ["demand.xlsx", "unsupported file type"]),
    ("instance.toml", 'demand = "demand.csv"', "", ["data.demand", "needs a 'demand' file"]),
    ("instance.toml", "[parameters]", "[parameters", ["instance.toml", "not valid TOML"]),
    ("instance.toml", "[solver]" if False else "[data]", "[solver]\nwarp = 9\n[data]", ["solver.warp", "unknown solver option"]),
]


@pytest.mark.parametrize("file,old,new,expected", CASES, ids=[f"{c[0]}:{c[3][-1]}" for c in CASES])
def test_bad_instance(cli, small_instance: Path, file: str, old: str, new: str, expected: list[str]) -> None:
    edit(small_instance / file, old, new)
    for command in ("validate", "solve"):
        assert_clean_error(cli(command, small_instance), *expected)


def test_empty_table(cli, small_instance: Path) -> None:
    (small_instance / "demand.csv").write_text("id,weight,x,y\n")
    assert_clean_error(cli("solve", small_instance), "demand.csv", "empty")


def test_truncated_and_binary_files(cli, small_instance: Path) -> None:
    (small_instance / "demand.csv").write_bytes(b"id,weight,x,y\nd01,10,120000,487000\nd02,\xff\xfe,1")
    assert_clean_error(cli("solve", small_instance), "demand.csv", "UTF-8")
    (small_instance / "demand.csv").write_bytes(b"")
    assert_clean_error(cli("solve", small_instance), "demand.csv", "empty")


def test_costs_table_errors(cli, small_instance: Path) -> None:
    edit(small_instance / "instance.toml", 'sites = "sites.csv"', 'sites = "sites.csv"\ncosts = "costs.csv"')
    (small_instance / "costs.csv").write_text("demand_id,site_id,cost\nd01,A,5\nd01,Z,3\n")
    assert_clean_error(cli("solve", small_instance), "costs.csv", "site_id", "row 2", "unknown site id")
    (small_instance / "costs.csv").write_text("demand_id,site_id,cost\nd01,A,5\nd01,A,3\n")
    assert_clean_error(cli("solve", small_instance), "costs.csv", "row 2", "twice")
    (small_instance / "costs.csv").write_text("demand_id,site_id,cost\nd01,A,5\n")
    assert_clean_error(cli("solve", small_instance), "demand.csv", "no allowed site")


def test_missing_paths(cli, tmp_path: Path) -> None:
    assert_clean_error(cli("solve", tmp_path / "nope"), "not found")
    assert_clean_error(cli("solve", tmp_path), "no instance.toml")
    assert_clean_error(cli("solve", BENCH / "orlib-pmed" / "pmed1.txt"), "--format")
    assert_clean_error(cli("solve", BENCH / "orlib-pmed" / "pmed1.txt", "--format", "mps"), "unknown format")


def test_bad_benchmark_files(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2 1\n1 2 3\n2 3 x\n")
    assert_clean_error(cli("solve", bad, "--format", "orlib-pmed"), "bad.txt", "expected a number")
    bad.write_text("10 5 2\n1 2 3\n")
    assert_clean_error(cli("solve", bad, "--format", "orlib-pmed"), "bad.txt", "ends early")
    bad.write_text("3 1 1\n1 9 3\n")
    assert_clean_error(cli("solve", bad, "--format", "orlib-pmed"), "bad.txt", "outside 1..3")
    bad.write_text("2 3\n10 5\n")
    assert_clean_error(cli("solve", bad, "--format", "holmberg"), "bad.txt", "ends early")


def test_bad_solver_options(cli, small_instance: Path) -> None:
    assert_clean_error(cli("solve", small_instance, "--gap", "2"), "gap")
    assert_clean_error(cli("solve", small_instance, "--time-limit", "-1"), "time limit")
    assert_clean_error(cli("solve", BENCH / "orlib-cap" / "cap41.txt", "-f", "orlib-cap", "--p", "3"), "parameter")


def test_infeasible_capacity_is_explained(cli, tmp_path: Path) -> None:
    f = tmp_path / "tiny"
    f.write_text("2 2\n5 5\n1 1\n10 1\n1 2\n3 4\n")
    assert_clean_error(cli("solve", f, "--format", "holmberg"), "capacity")
