"""Batch runs: grids expand to the right variants, overrides reach the model, a batch
stopped half-way resumes to exactly the table of an uninterrupted one, failures are
recorded, and the command line behaves."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from optimise.batch import Job, run_batch
from optimise.variants import read_variants
from tests.conftest import CONSOLE_SCRIPT, DATA, assert_clean_error, run_cli

SMALL = DATA / "small-hubs"
TIMING = ["seconds", "build_seconds", "solve_seconds", "variant_seconds"]

VARIANTS = """
[grid]
budget = [500000, 600000, 700000]
weight_space_won = [1.0, 5.0]

[[variant]]
name = "S2 not available"
"sites.forbidden" = { S2 = true }

[[variant]]
name = "more residents"
"demand.residents" = "*1.5"

[[variant]]
name = "feeder full"
"assets.load" = { "FEED-W" = 0.999, "FEED-E" = 1.2 }
hubs = 4
"""


def write(tmp_path: Path, text: str = VARIANTS, name: str = "variants.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_grid_expands_to_the_product_in_order(tmp_path: Path) -> None:
    variants = read_variants(write(tmp_path))
    grid = [v.overrides for v in variants[:6]]
    assert grid == [{"budget": b, "weight_space_won": w} for b in (500000, 600000, 700000) for w in (1.0, 5.0)]
    assert [v.name for v in variants[6:]] == ["S2 not available", "more residents", "feeder full"]
    assert len({v.key for v in variants}) == len(variants)


def test_csv_variants(tmp_path: Path) -> None:
    path = write(tmp_path, "name,budget,sites.forbidden\nlow,500000,\nno S2,,\"{\"\"S2\"\": true}\"\n", "v.csv")
    variants = read_variants(path)
    assert variants[0].overrides == {"budget": 500000}
    assert variants[1].overrides == {"sites.forbidden": {"S2": True}}


def _jobs(path: Path) -> tuple[list[Job], list]:
    variants = read_variants(path)
    return [Job(str(SMALL), str(path), v, None, None, 0) for v in variants], variants


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in TIMING if c in table.columns]).reset_index(drop=True)


def test_interrupted_batch_resumes_to_the_same_table(tmp_path: Path) -> None:
    path = write(tmp_path)
    jobs, variants = _jobs(path)
    whole = run_batch(jobs, tmp_path / "whole", variants, workers=1)
    assert list(whole["variant"]) == [v.name for v in variants]

    class Stop(KeyboardInterrupt):
        pass

    def stop_after_three(done: int, running: int, failed: int, total: int) -> None:
        if done >= 3:
            raise Stop()

    part = tmp_path / "part"
    with pytest.raises(Stop):
        run_batch(jobs, part, variants, workers=1, progress=stop_after_three)
    done = {p.name: (p / "row.json").stat().st_mtime_ns for p in (part / "variants").iterdir() if (p / "row.json").exists()}
    assert 3 <= len(done) < len(variants)
    (part / "variants" / ".half-written.tmp").mkdir()  # as if killed while unpacking
    resumed = run_batch(jobs, part, variants, workers=1)
    pd.testing.assert_frame_equal(_stable(resumed), _stable(whole))
    for name, mtime in done.items():  # finished variants were not run again
        assert (part / "variants" / name / "row.json").stat().st_mtime_ns == mtime
    assert resumed["variant"].is_unique


def test_overrides_reach_the_model_and_failures_are_recorded(tmp_path: Path) -> None:
    path = write(tmp_path)
    jobs, variants = _jobs(path)
    table = run_batch(jobs, tmp_path / "out", variants, workers=1).set_index("variant")
    assert (table.loc["budget=500000, weight_space_won=1", "cost"] <= 500000)
    assert table.loc["budget=700000, weight_space_won=1", "cost"] > 500000
    s2 = pd.read_csv(tmp_path / "out" / "variants" / variants[6].folder / "hubs.csv").set_index("id")
    assert not s2.loc["S2", "open"]
    assert table.loc["more residents", "users"] > table.loc["S2 not available", "users"]
    # four hubs on feeders without headroom: no plan, recorded with its reason, batch went on
    assert table.loc["feeder full", "status"] in ("infeasible", "failed")
    assert table.loc["feeder full", "reason"]
    assert (tmp_path / "out" / "results.parquet").exists()
    # the cascade indicators of each plan are columns of the table
    column = next(c for c in table.columns if c.startswith("energy spare_capacity_used"))
    assert table.loc["budget=700000, weight_space_won=1", column] > 0


def test_killed_process_resumes(tmp_path: Path) -> None:
    path = write(tmp_path)
    out = tmp_path / "out"
    cmd = [str(CONSOLE_SCRIPT), "batch", str(SMALL), str(path), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        folders = list((out / "variants").glob("*/row.json")) if (out / "variants").exists() else []
        if len(folders) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    run = run_cli("batch", SMALL, path, "--out", out, "--workers", "1")
    assert run.code == 0, run.stderr
    table = pd.read_csv(out / "results.csv")
    assert list(table["variant"]) == [v.name for v in read_variants(path)]


@pytest.mark.parametrize("text, needles", [
    ("[grid]\nbudgetx = [1, 2]\n", ("budgetx", "unknown parameter")),
    ("[grid]\n\"sites.colour\" = [1]\n", ("sites.colour", "unknown column")),
    ("[grid]\nbudget = []\n", ("grid.budget",)),
    ("[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n", ("appears twice",)),
    ("[[variant]]\n\"roads.width\" = 3\n", ("no data file 'roads'",)),
])
def test_bad_variants_file(tmp_path: Path, text: str, needles) -> None:
    assert_clean_error(run_cli("batch", SMALL, write(tmp_path, text), "--out", tmp_path / "o"), *needles)


def test_compare_prints_and_plots(tmp_path: Path) -> None:
    path = write(tmp_path, "[grid]\nbudget = [500000, 700000]\n")
    out = tmp_path / "out"
    assert run_cli("batch", SMALL, path, "--out", out, "--workers", "1").code == 0
    run = run_cli("compare", out)
    assert run.code == 0, run.stderr
    assert "budget=500000" in run.stdout and (out / "compare.png").exists()
    # the planner's figures lead (issue 19 item 13): the table and the comparison
    columns = pd.read_csv(out / "results.csv").columns.tolist()
    assert columns[:4] == ["variant", "status", "space_won_m2", "net_space_m2"], columns
    assert "won" in run.stdout and "share" in run.stdout  # the headers, perhaps wrapped


def test_existing_scheduler(tmp_path: Path) -> None:
    from distributed import LocalCluster

    path = write(tmp_path, "[grid]\nbudget = [500000, 700000]\n")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = run_cli("batch", SMALL, path, "--out", tmp_path / "out", "--scheduler", cluster.scheduler_address)
    assert run.code == 0, run.stderr
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 2


def test_unreachable_scheduler_is_a_clean_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[grid]\nbudget = [500000]\n")
    assert_clean_error(run_cli("batch", SMALL, path, "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:1"),
                       "--scheduler")
