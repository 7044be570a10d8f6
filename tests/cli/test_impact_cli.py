"""`optimise impact` and the cascade check inside `optimise solve`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, assert_clean_error

VITAL = DATA / "small-vital"


@pytest.fixture
def vital(tmp_path: Path) -> Path:
    target = tmp_path / "vital"
    shutil.copytree(VITAL, target)
    return target


def test_impact_scenario_json(cli, vital: Path) -> None:
    run = cli("impact", vital, "--scenario", vital / "scenario.toml", "--json")
    assert run.code == 0, run.stderr
    data = run.json()
    assert data["periods"] == [2026, 2027, 2028]
    systems = {(r["period"], r["system"]): r["flag"] for r in data["flags"]["systems"]}
    assert systems[(2026, "energy")] == "green" and systems[(2027, "energy")] == "red"
    assert systems[(2027, "water")] == "red" and systems[(2028, "water")] == "green"
    pump = next(a for a in data["flags"]["assets"] if a["asset"] == "PUMP-1")
    assert pump["loss"] == pytest.approx(0.6)
    assert "SUB-W out of service ← transformer replacement" in pump["explanation"]
    lost = {(i["period"], i["system"], i["indicator"]): i["value"] for i in data["indicators"]}
    assert lost[(2027, "energy", "service_lost_households")] == pytest.approx(1200)
    assert data["resilience"]["worst_single_failures"][0]["asset"] == "SUB-W"


def test_impact_writes_a_report(cli, vital: Path, tmp_path: Path) -> None:
    out = tmp_path / "impact"
    assert cli("impact", vital, "--scenario", vital / "scenario.toml", "--out", out).code == 0
    for name in ("summary.json", "report.md", "flags.png", "asset_flags.csv", "indicators.csv", "n_minus_1.csv"):
        assert (out / name).exists(), name
    assert "transformer replacement" in (out / "report.md").read_text()


def test_solve_adds_indicators_and_flags(cli, vital: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    run = cli("solve", vital, "--json", "--out", out)
    assert run.code == 0, run.stderr
    data = run.json()
    assert "indicators" in data and "flags" in data
    loads = {a["asset"]: a for a in data["flags"]["assets"]}
    opened_west = [s for s in data["open_sites"] if s in ("A", "B", "D")]
    if len(opened_west) >= 2:  # 8 + 1.5 k MW on 10 MW
        assert loads["SUB-W"]["flag"] == "red"
        assert "load of open sites" in loads["SUB-W"]["explanation"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["flags"] == data["flags"]
    assert (out / "report.md").exists()


@pytest.mark.parametrize(
    "file,old,new,expected",
    [
        ("dependencies.csv", "SUB-W,AREA-W,supply,1.0", "SUB-W,AREA-X,supply,1.0", ["dependencies.csv", "target", "row 1", "unknown asset"]),
        ("dependencies.csv", "SUB-W,AREA-W,supply,1.0", "SUB-W,SUB-W,supply,1.0", ["dependencies.csv", "row 1", "depends on itself"]),
        ("dependencies.csv", "SUB-W,AREA-W,supply,1.0", "SUB-W,AREA-W,supply,1.2", ["dependencies.csv", "strength", "row 1", "at most 1"]),
        ("assets.csv", "PUMP-1,water", "PUMP-1,gas", ["assets.csv", "system", "row 5", "unknown system 'gas'"]),
        ("assets.csv", "SUB-E,energy,substation,10,7", "SUB-E,energy,substation,-10,7", ["assets.csv", "capacity", "row 2"]),
        ("instance.toml", "orange_utilisation = 0.85", "orange_utilisation = 1.5", ["cascade", "must not exceed"]),
        ("instance.toml", "orange_utilisation = 0.85", "purple = 0.85", ["cascade.purple", "unknown cascade threshold"]),
        ("scenario.toml", 'asset = "SUB-W"', 'asset = "SUB-Q"', ["scenario.toml", "row 1", "unknown asset 'SUB-Q'"]),
        ("scenario.toml", 'kind = "outage"', 'kind = "flood"', ["scenario.toml", "row 1", "unknown change kind"]),
        ("scenario.toml", 'cause = "transformer', 'colour = "red"\ncause = "transformer', ["scenario.toml", "change.colour"]),
    ],
)
def test_bad_vital_input(cli, vital: Path, file: str, old: str, new: str, expected: list[str]) -> None:
    path = vital / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    assert_clean_error(cli("impact", vital, "--scenario", vital / "scenario.toml"), *expected)


def test_impact_needs_assets(cli, small_instance: Path) -> None:
    assert_clean_error(cli("impact", small_instance), "data.assets")


def test_amsterdam_base_layer_loads_and_cascades() -> None:
    from optimise.indicators import run_impact, thresholds
    from optimise.scenarios import read_scenario
    from optimise.vital import load_vital_systems
    from optimise.instance import load_instance

    folder = DATA.parents[1] / "instances" / "amsterdam-base"
    instance = load_instance(folder)
    vs = load_vital_systems(instance)
    assert vs.n > 8000 and set(vs.assets["system"]) == {"energy", "water", "mobility", "digital"}
    traffic = vs.assets[vs.assets["type"] == "traffic bridge"]
    # inside the ring a bridge carries traffic when a motor street crosses it (OpenStreetMap);
    # outside, the 850-largest rule fills in, marked generated
    assert len(traffic) == 800 and traffic["basis"].str.startswith("OpenStreetMap").sum() == 444
    assert traffic.loc[traffic["basis"].str.startswith("OpenStreetMap"), "streets"].str.len().gt(0).all()
    assert vs.assets["type"].str.contains("bridge").sum() == 2856
    impact, summary, _ = run_impact(vs, read_scenario(folder / "scenario-hemweg.toml"), thresholds(instance),
                                    resilience=False)
    energy = next(r for r in summary["flags"]["systems"] if r["system"] == "energy")
    assert energy["flag"] == "red"
    lost = {(i["system"], i["indicator"]): i["value"] for i in summary["indicators"]}
    # the outage reaches water and digital through their power supply
    assert lost[("energy", "service_lost_people")] > 0
    assert lost[("water", "service_lost_people")] > 0 and lost[("digital", "service_lost_people")] > 0


def test_validate_checks_a_base_layer_as_such(cli, vital: Path) -> None:
    """Issue 19 item 16: a folder of vital-systems layers without a planning question."""
    toml = vital / "instance.toml"
    toml.write_text(toml.read_text().replace('problem = "p_median"\n', ""))
    run = cli("validate", vital, "--json")
    assert run.code == 0, run.stderr
    data = run.json()
    assert data["kind"] == "vital-systems base layer" and data["assets"] == 6
    assert data["assets_per_system"] == {"digital": 1, "energy": 4, "water": 1}
    human = cli("validate", vital)
    assert human.code == 0 and "valid vital-systems base layer" in human.stdout
    deps = vital / "dependencies.csv"
    deps.write_text(deps.read_text().replace("SUB-W,AREA-W", "SUB-W,AREA-Q"))
    assert_clean_error(cli("validate", vital), "dependencies.csv", "AREA-Q")


def test_a_system_without_assets_is_no_data_not_green(cli, vital: Path) -> None:
    """Issue 19 item 9: the small layers hold no mobility or waste assets: nothing was checked."""
    data = cli("impact", vital, "--scenario", vital / "scenario.toml", "--json").json()
    systems = {(r["period"], r["system"]): r["flag"] for r in data["flags"]["systems"]}
    assert systems[(2027, "waste")] == systems[(2026, "mobility")] == "no data"
    assert systems[(2026, "energy")] == "green" and systems[(2027, "energy")] == "red"


def test_n_minus_1_says_it_describes_the_base_network(cli, vital: Path, tmp_path: Path) -> None:
    """Issue 19 item 6: N-1 is the same for every scenario of a layer; it says so."""
    data = cli("impact", vital, "--scenario", vital / "scenario.toml", "--json").json()
    assert data["resilience"]["of"].startswith("the base network")
    assert cli("impact", vital, "--scenario", vital / "scenario.toml", "--out", tmp_path / "o").code == 0
    assert "Resilience (N-1) of the base network" in (tmp_path / "o" / "report.md").read_text()
    assert "N-1 of the base network" in cli("impact", vital).stdout
