"""Careless and hostile use, class by class: every case ends cleanly (exit 0, 1 or 2 with one
plain line), nothing the user made is lost, nothing hangs, nothing is silently wrong.

Classes (see the README's exit-code rule): markup and control characters in user text,
plans with empty or infinite figures, output folders, special files, explosive sizes,
exit codes of user and environment mistakes, batch bookkeeping, geometry and columns,
scenario values.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import CONSOLE_SCRIPT, DATA, assert_clean_error, run_cli

HUBS = DATA / "small-hubs"
VITAL = DATA / "small-vital"
HOSTILE_TEXT = ["Hub [north]", "[/bold]", "[red]x[/red]", "[link=file:///etc/passwd]y[/link]", "tab\there", "ünïcødé ✓",
                "\x1b[31mred", "a\\b", "'; DROP TABLE--"]


def hubs(tmp_path: Path) -> Path:
    target = tmp_path / "hubs"
    shutil.copytree(HUBS, target)
    return target


def clean_end(run, allowed=(0, 1, 2)) -> None:
    assert run.code in allowed, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    assert "internal error" not in run.stderr, run.stderr


def console(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CONSOLE_SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


# --- markup and control characters in every text field -----------------------------------

@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_site_ids_and_names_print_as_text(tmp_path: Path, text: str) -> None:
    inst = hubs(tmp_path)
    sites = pd.read_csv(inst / "sites.csv")
    sites.loc[0, "id"], sites.loc[0, "name"] = text, text
    sites.to_csv(inst / "sites.csv", index=False)
    run = run_cli("solve", inst)
    clean_end(run)
    assert run.code == 0
    if text.isprintable() and "\x1b" not in text:
        assert text.split("]")[0] in run.stdout or text in run.stdout or "S2" in run.stdout


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_duplicate_ids_are_named_exactly(tmp_path: Path, text: str) -> None:
    inst = hubs(tmp_path)
    sites = pd.read_csv(inst / "sites.csv")
    sites.loc[[0, 1], "id"] = text
    sites.to_csv(inst / "sites.csv", index=False)
    run = run_cli("validate", inst)
    assert_clean_error(run, "duplicate id", "sites.csv")
    if text.isprintable():
        assert repr(text) in run.stderr


@pytest.mark.parametrize("name", ["sites [v2].csv", "[bold]sites.csv", "sites ✓.csv"])
def test_file_names_print_as_text(tmp_path: Path, name: str) -> None:
    inst = hubs(tmp_path)
    (inst / "sites.csv").rename(inst / name)
    toml = inst / "instance.toml"
    toml.write_text(toml.read_text().replace('sites = "sites.csv"', f'sites = "{name}"'))
    clean_end(run_cli("solve", inst))
    (inst / name).unlink()
    assert_clean_error(run_cli("solve", inst), name, "file not found")


@pytest.mark.parametrize("text", HOSTILE_TEXT[:4])
def test_instance_and_variant_names_print_as_text(tmp_path: Path, text: str) -> None:
    inst = hubs(tmp_path)
    toml = inst / "instance.toml"
    toml.write_text(toml.read_text().replace('name = "small hub test"', f"name = {json.dumps(text)}"))
    run = run_cli("solve", inst)
    clean_end(run)
    assert text in run.stdout or text in run.stderr
    variants = tmp_path / "v.toml"
    variants.write_text(f"[[variant]]\nname = {json.dumps(text)}\nbudget = 500000\n")
    run = run_cli("batch", inst, variants, "--out", tmp_path / "batch", "--workers", "1")
    clean_end(run)
    assert run.code == 0 and list(pd.read_csv(tmp_path / "batch" / "results.csv")["variant"]) == [text]


# --- plans with empty or infinite figures: printed, --json and --out alike --------------------

@pytest.mark.parametrize("settings", [
    ["--set", "budget=0"],  # no hub fits: an empty plan, mean walk of nobody
    ["--set", "weight_walk=0", "--set", "weight_space_taken=0", "--set", "weight_space_won=0",
     "--set", "weight_cost=0"],  # every weight zero
])
def test_empty_plans_are_written_and_printed(tmp_path: Path, settings: list[str]) -> None:
    inst = hubs(tmp_path)
    for extra in ([], ["--json"], ["--out", tmp_path / "out"]):
        run = run_cli("solve", inst, *settings, *extra)
        clean_end(run)
        assert run.code == 0, run.stderr
    assert json.loads(run_cli("solve", inst, *settings, "--json").stdout)["status"] == "optimal"
    json.loads((tmp_path / "out" / "summary.json").read_text())
    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\n" + "\n".join(f"{s.split('=')[0]} = [{s.split('=')[1]}]" for s in settings[1::2]) + "\n")
    run = run_cli("batch", inst, variants, "--out", tmp_path / "batch", "--workers", "1", "--json")
    clean_end(run)
    assert json.loads(run.stdout)["failed"] == 0


def test_a_load_on_an_asset_without_capacity(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    assets = pd.read_csv(inst / "assets.csv")
    assets["capacity"] = assets["capacity"].where(assets["id"] != assets["id"].iloc[0])
    assets.to_csv(inst / "assets.csv", index=False)
    for extra in ([], ["--json"], ["--out", tmp_path / "out"]):
        clean_end(run_cli("solve", inst, *extra))


# --- output folders ---------------------------------------------------------------------------

def test_out_under_a_file_or_here_is_refused_before_solving(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    for out in ("file/out", ".", str(tmp_path)):
        assert_clean_error(run_cli("solve", HUBS, "--out", out), "output")
    assert (tmp_path / "file").read_text() == "x"


def test_a_folder_with_an_old_summary_and_the_users_files_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("solve", HUBS, "--out", out).code == 0
    (out / "memo.docx").write_text("mine")
    mode = out.stat().st_mode
    assert_clean_error(run_cli("solve", HUBS, "--out", out), "memo.docx")
    assert (out / "memo.docx").read_text() == "mine" and out.stat().st_mode == mode
    (out / "memo.docx").unlink()
    out.chmod(0o755)
    assert run_cli("solve", HUBS, "--out", out).code == 0  # only our own files: replaced
    assert out.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- special files ----------------------------------------------------------------------------

def test_a_pipe_as_a_data_file_does_not_hang(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    (inst / "sites.csv").unlink()
    os.mkfifo(inst / "sites.csv")
    run = console("solve", inst, timeout=60)
    assert run.returncode == 2 and "not a regular file" in run.stderr


def test_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    (inst / "sites.csv").unlink()
    (inst / "sites.csv").symlink_to("/dev/zero")
    run = console("solve", inst, timeout=60)
    assert run.returncode == 2 and "sites.csv" in run.stderr


@pytest.mark.parametrize("text, needle", [
    (None, "folder"),  # instance.toml is a folder
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", "TOML"),  # nesting too deep
    ("problem = 'hub_siting'\n[solver]\nthreads = 'many'\n", "solver.threads"),
    ("problem = 'hub_siting'\n[solver]\ngap = true\n", "solver.gap"),
])
def test_broken_instance_files_are_exit_2(tmp_path: Path, text: str | None, needle: str) -> None:
    inst = tmp_path / "inst"
    inst.mkdir()
    if text is None:
        (inst / "instance.toml").mkdir()
    else:
        (inst / "instance.toml").write_text(text)
    assert_clean_error(run_cli("validate", inst), needle)


# --- explosive sizes --------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--threads", "100000"], "threads"),
    (["--alternatives", "1000"], "alternatives"),
    (["--time-limit", "1e12"], "time limit"),
])
def test_explosive_options_are_refused_at_once(args: list[str], needle: str) -> None:
    assert_clean_error(run_cli("solve", HUBS, *args), needle)


def test_a_benchmark_header_asking_for_gigabytes(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("60000 10 5\n1 2 3\n")
    assert_clean_error(run_cli("solve", path, "--format", "orlib-pmed"), "GiB", "header")


def test_a_front_of_a_thousand_points_is_refused() -> None:
    assert_clean_error(run_cli("pareto", HUBS, "--x", "walk", "--y", "cost", "--points", "1000"), "--points")


def test_a_front_stopped_by_its_time_limit_is_exit_1() -> None:
    run = run_cli("pareto", HUBS, "--x", "walk", "--y", "cost", "--points", "3", "--time-limit", "1e-9", "--json")
    clean_end(run)
    if run.code == 1:
        assert json.loads(run.stdout)["status"] == "no_solution"


# --- the scheduler that is not one -------------------------------------------------------------

class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None


def test_a_web_server_is_not_a_dask_scheduler(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        variants = tmp_path / "v.toml"
        variants.write_text("[grid]\nbudget = [500000]\n")
        run = console("batch", HUBS, variants, "--out", tmp_path / "b", "--scheduler",
                      f"tcp://127.0.0.1:{server.server_port}", timeout=90)
    finally:
        server.shutdown()
    assert run.returncode == 2 and "scheduler" in run.stderr and "Traceback" not in run.stderr


def test_a_port_that_greets_with_text_is_refused_at_once(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def greet() -> None:
        conn, _ = listener.accept()
        conn.sendall(b"220 mail.example ESMTP\r\n")
        conn.close()

    threading.Thread(target=greet, daemon=True).start()
    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\nbudget = [500000]\n")
    run = run_cli("batch", HUBS, variants, "--out", tmp_path / "b", "--scheduler",
                  f"tcp://127.0.0.1:{listener.getsockname()[1]}")
    listener.close()
    assert_clean_error(run, "not a Dask scheduler")


@pytest.mark.parametrize("address", ["http://localhost:8786", "tcp://localhost", "localhost:notaport", "tcp://:1"])
def test_scheduler_addresses_that_are_not_addresses(tmp_path: Path, address: str) -> None:
    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\nbudget = [500000]\n")
    assert_clean_error(run_cli("batch", HUBS, variants, "--out", tmp_path / "b", "--scheduler", address), "--scheduler")


# --- batch bookkeeping ------------------------------------------------------------------------

def test_variants_differing_only_in_name_are_two_variants(tmp_path: Path) -> None:
    variants = tmp_path / "v.toml"
    variants.write_text('[[variant]]\nname = "a"\nbudget = 500000\n[[variant]]\nname = "b"\nbudget = 500000\n')
    out = tmp_path / "b"
    assert run_cli("batch", HUBS, variants, "--out", out, "--workers", "1").code == 0
    assert list(pd.read_csv(out / "results.csv")["variant"]) == ["a", "b"]
    assert run_cli("batch", HUBS, variants, "--out", out, "--workers", "1").code == 0  # resume: nothing to do
    assert list(pd.read_csv(out / "results.csv")["variant"]) == ["a", "b"]


def test_damaged_records_and_changed_inputs_are_run_again(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\nbudget = [500000, 700000]\n")
    out = tmp_path / "b"
    assert run_cli("batch", inst, variants, "--out", out, "--workers", "1").code == 0
    records = sorted(out.glob("variants/*/row.json"))
    records[0].write_text("")  # damaged
    run = run_cli("batch", inst, variants, "--out", out, "--workers", "1")
    assert run.code == 0 and "done 2" in run.stderr
    first = json.loads(records[1].read_text())["fingerprint"]
    sizes = pd.read_csv(inst / "sizes.csv")
    sizes.loc[0, "cost"] = 150000  # the instance changed: both are run again
    sizes.to_csv(inst / "sizes.csv", index=False)
    assert run_cli("batch", inst, variants, "--out", out, "--workers", "1").code == 0
    assert json.loads(records[1].read_text())["fingerprint"] != first
    assert len(pd.read_csv(out / "results.csv")) == 2


@pytest.mark.parametrize("args, field", [(["--time-limit", "-1"], "time"), (["--gap", "3"], "gap")])
def test_bad_batch_options_are_refused_before_any_variant(tmp_path: Path, args: list[str], field: str) -> None:
    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\nbudget = [500000]\n")
    assert_clean_error(run_cli("batch", HUBS, variants, "--out", tmp_path / "b", *args), field)
    assert not (tmp_path / "b").exists()


def test_a_damaged_batch_table_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "results.parquet").write_bytes(b"not parquet")
    assert_clean_error(run_cli("compare", folder), "results.parquet")


# --- geometry and columns ---------------------------------------------------------------------

def test_rd_coordinates_in_a_geojson_without_crs(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    claim = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "C9"}, "geometry": {
        "type": "Polygon", "coordinates": [[[120000, 487000], [120400, 487000], [120400, 487100], [120000, 487000]]]}}]}
    (inst / "conflicts.geojson").write_text(json.dumps(claim))
    assert_clean_error(run_cli("validate", inst), "conflicts.geojson", "longitude", "EPSG:28992")


@pytest.mark.parametrize("old, new", [("cost_factor", "cost_facto"), ("space_m2", "space_m")])
def test_columns_cut_short_or_misspelt_are_refused(tmp_path: Path, old: str, new: str) -> None:
    inst = hubs(tmp_path)
    sites = pd.read_csv(inst / "sites.csv").rename(columns={old: new})
    sites.to_csv(inst / "sites.csv", index=False)
    assert_clean_error(run_cli("validate", inst), new, old)


def test_a_users_own_extra_column_is_kept_quietly(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    sites = pd.read_csv(inst / "sites.csv").assign(notes="checked by the district")
    sites.to_csv(inst / "sites.csv", index=False)
    assert run_cli("validate", inst).code == 0


# --- scenario values --------------------------------------------------------------------------

@pytest.mark.parametrize("change, top, needle", [
    ('asset = "SUB-W"\nvalue = -3\n', "", "between 0 and 1"),
    ('asset = "SUB-W"\nperiods = [2028, 2026]\n', "", "backwards"),
    ('asset = "SUB-W"\nperiods = [2030, 2031]\n', "periods = [2026, 2027]\n", "outside"),
    ('asset = "SUB-W"\nperiods = [2027, 20270]\n', "", "mistyped"),
    ('asset = "SUB-W"\n', "periods = [2028, 2027]\n", "increase"),
])
def test_scenario_values_out_of_range(tmp_path: Path, change: str, top: str, needle: str) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "x"\n{top}[[change]]\n{change}')
    assert_clean_error(run_cli("impact", VITAL, "--scenario", scenario), needle, "s.toml")


def test_a_second_batch_on_the_same_folder_stops_at_once(tmp_path: Path) -> None:
    import fcntl

    variants = tmp_path / "v.toml"
    variants.write_text("[grid]\nbudget = [500000]\n")
    out = tmp_path / "b"
    (out / "variants").mkdir(parents=True)
    with open(out / ".lock", "w") as held:  # as a running batch holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        run = run_cli("batch", HUBS, variants, "--out", out, "--workers", "1")
    assert_clean_error(run, "another batch is running")
    assert run_cli("batch", HUBS, variants, "--out", out, "--workers", "1").code == 0  # once it is gone


def test_one_bad_cell_in_a_csv_variants_file_fails_only_its_variant(tmp_path: Path) -> None:
    variants = tmp_path / "v.csv"
    variants.write_text("name,budget\ngood,500000\nbad,abc\ngood2,700000\n")
    run = run_cli("batch", HUBS, variants, "--out", tmp_path / "b", "--workers", "1")
    clean_end(run)
    table = pd.read_csv(tmp_path / "b" / "results.csv").set_index("variant")
    assert table.loc["good", "status"] == "optimal" and table.loc["good2", "status"] == "optimal"
    assert table.loc["bad", "status"] == "failed" and "abc" in table.loc["bad", "reason"]


def test_columns_optimise_does_not_use_are_named(tmp_path: Path) -> None:
    inst = hubs(tmp_path)
    sites = pd.read_csv(inst / "sites.csv").assign(remarks="checked")
    sites.to_csv(inst / "sites.csv", index=False)
    run = run_cli("validate", inst)
    assert run.code == 0 and "note:" in run.stderr and "remarks" in run.stderr and "sites.csv" in run.stderr


def test_fronts_and_impacts_with_empty_or_infinite_figures(tmp_path: Path) -> None:
    for extra in ([], ["--json"], ["--out", tmp_path / "front"]):
        run = run_cli("pareto", HUBS, "--x", "walk", "--y", "space_won", "--points", "3", "--set", "budget=0", *extra)
        clean_end(run, allowed=(0,))
    vital = tmp_path / "vital"
    shutil.copytree(VITAL, vital)
    assets = pd.read_csv(vital / "assets.csv")
    assets["capacity"] = float("nan")  # nothing capacity-limited: shares of nothing
    assets.to_csv(vital / "assets.csv", index=False)
    for extra in ([], ["--json"], ["--out", tmp_path / "impact"]):
        run = run_cli("impact", vital, "--scenario", vital / "scenario.toml", *extra)
        clean_end(run, allowed=(0,))
    json.loads((tmp_path / "impact" / "summary.json").read_text())
