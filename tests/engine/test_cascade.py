"""The cascade checker on hand-made networks whose cascade is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimise.cascade import Change, Scenario, Thresholds, evaluate, n_minus_one, resilience
from optimise.errors import InputError
from optimise.vital import VitalSystems


def network(assets: list[dict], deps: list[tuple[str, str, float]]) -> VitalSystems:
    return VitalSystems.from_tables(
        pd.DataFrame(assets),
        pd.DataFrame(deps, columns=["source", "target", "strength"]) if deps else None,
    )


def asset(id_: str, system: str = "energy", **kw) -> dict:
    return {"id": id_, "system": system, **kw}


def state(impact, period: int = 0):
    return next(s for s in impact.states if s.period == period)


def test_chain() -> None:
    vs = network([asset(x) for x in "ABCD"], [("A", "B", 1.0), ("B", "C", 0.5), ("C", "D", 1.0)])
    st = state(evaluate(vs, Scenario("A out", [Change("A", "outage")])))
    assert st.function == pytest.approx([0.0, 0.0, 0.5, 0.5])
    assert st.order.tolist() == [1, 2, 3, 4]


def test_cycle_terminates_at_the_fixpoint() -> None:
    vs = network([asset(x) for x in "ABC"], [("A", "B", 0.5), ("B", "A", 0.5), ("C", "A", 1.0)])
    st = state(evaluate(vs, Scenario("C half out", [Change("C", "outage", 0.5)])))
    f_a = 0.375 / 0.875
    assert st.function == pytest.approx([f_a, 0.5 + 0.5 * f_a, 0.5], abs=1e-7)


def test_full_cycle_collapses_and_terminates() -> None:
    vs = network([asset(x) for x in "ABCD"], [("A", "B", 1.0), ("B", "C", 1.0), ("C", "A", 1.0), ("D", "A", 0.5)])
    st = state(evaluate(vs, Scenario("D out", [Change("D", "outage")])))
    assert st.function[:3] == pytest.approx([0, 0, 0], abs=1e-8)


def test_diamond_with_partial_strengths() -> None:
    vs = network([asset(x) for x in "ABCD"],
                 [("A", "B", 0.5), ("A", "C", 0.5), ("B", "D", 0.6), ("C", "D", 0.6)])
    impact = evaluate(vs, Scenario("A out", [Change("A", "outage")]))
    st = state(impact)
    assert st.function == pytest.approx([0.0, 0.5, 0.5, 0.49])
    assert st.order.tolist() == [1, 2, 2, 3]
    flags = impact.asset_flags().set_index("asset")["flag"].to_dict()
    assert flags == {"A": "red", "B": "red", "C": "red", "D": "red"}


def test_overload_from_added_load_explains_itself() -> None:
    vs = network(
        [asset("S", capacity=10.0, load=8.0, unit="MW", type="substation"),
         asset("N", households=1200, people=2500, type="feeder area")],
        [("S", "N", 1.0)],
    )
    scenario = Scenario("hubs", [Change("S", "load", 3.0, cause="charging load of hubs H1, H2")])
    impact = evaluate(vs, scenario)
    flags = impact.asset_flags().set_index("asset")
    assert flags.loc["S", "flag"] == "red"  # 11 MW on 10 MW
    assert flags.loc["S", "utilisation"] == pytest.approx(1.1)
    assert flags.loc["N", "loss"] == pytest.approx(1 - 10 / 11)
    assert flags.loc["N", "flag"] == "orange"
    text = flags.loc["N", "explanation"]
    assert "S over capacity (11 of 10 MW) ← charging load of hubs H1, H2" in text
    assert "1,200 households at risk" in text
    assert "1,200 households at risk" in flags.loc["S", "explanation"]
    ind = impact.indicators().set_index(["system", "indicator"])
    assert ind.loc[("energy", "spare_capacity_used (substation)"), "value"] == pytest.approx(1.5)
    assert ind.loc[("energy", "service_lost_households"), "value"] == pytest.approx(1200 / 11)
    systems = impact.system_flags().set_index("system")["flag"]
    assert systems["energy"] == "red" and systems["water"] == "no data"  # the test layers hold no water asset


def test_periods_and_effects() -> None:
    vs = network([asset("BR1", "mobility", type="bridge"), asset("L1", "mobility", people=300)], [("BR1", "L1", 0.4)])
    closure = Change("BR1", "outage", periods=(2, 3), cause="renewal works",
                     effects={"extra_vehicle_km": (1500.0, "vehicle-km/day")})
    impact = evaluate(vs, Scenario("works", [closure], periods=[1, 2, 3, 4]))
    ind = impact.indicators()
    lost = ind[(ind["indicator"] == "service_lost_people") & (ind["system"] == "mobility")].set_index("period")["value"]
    assert lost.loc[1] == 0 and lost.loc[2] == pytest.approx(120) and lost.loc[4] == 0
    vkm = ind[ind["indicator"] == "extra_vehicle_km"]
    assert vkm["period"].tolist() == [2, 3] and (vkm["unit"] == "vehicle-km/day").all()


def test_baseline_overload_is_not_a_loss_of_the_plan() -> None:
    vs = network([asset("S", capacity=5.0, load=6.0), asset("N", households=10)], [("S", "N", 1.0)])
    impact = evaluate(vs, Scenario("nothing", []))
    flags = impact.asset_flags().set_index("asset")
    assert flags.loc["S", "flag"] == "red" and flags.loc["S", "loss"] == 0
    assert "N" not in flags.index


def test_thresholds_are_configurable() -> None:
    vs = network([asset("A"), asset("B")], [("A", "B", 0.1)])
    scenario = Scenario("A out", [Change("A", "outage")])
    assert evaluate(vs, scenario).asset_flags().set_index("asset").loc["B", "flag"] == "orange"
    strict = Thresholds(orange_loss=0.2)
    assert evaluate(vs, scenario, strict).asset_flags().set_index("asset").loc["B", "flag"] == "green"
    with pytest.raises(InputError):
        Thresholds(orange_loss=0.6, red_loss=0.5)


def test_n_minus_one() -> None:
    # two feeders supply a district redundantly (each 0.5), one of them also a hospital fully
    vs = network(
        [asset("F1"), asset("F2"), asset("D", people=1000), asset("H", "water", people=200)],
        [("F1", "D", 0.5), ("F2", "D", 0.5), ("F1", "H", 1.0)],
    )
    table = n_minus_one(vs).set_index("asset")
    assert table.loc["F1", "people_lost"] == pytest.approx(700)
    assert table.loc["F2", "people_lost"] == pytest.approx(500)
    assert table.loc["F1", "service_kept"] == pytest.approx(1 - 700 / 1200)
    assert table.loc["D", "people_lost"] == pytest.approx(1000)
    assert n_minus_one(vs).iloc[0]["asset"] == "D"
    res = resilience(vs)
    assert res["worst_single_failure"] == "D"
    assert res["deepest_cascade"] == 2
    # vectorised blocks give the same answer as one scenario at a time
    blocked = n_minus_one(vs, block=1).set_index("asset")
    assert np.allclose(blocked.loc[table.index, "people_lost"], table["people_lost"])


@pytest.mark.parametrize(
    "assets,deps,message",
    [
        ([asset("A"), asset("B")], [("A", "Z", 0.5)], "unknown asset 'Z'"),
        ([asset("A"), asset("B")], [("A", "A", 0.5)], "depends on itself"),
        ([asset("A"), asset("B")], [("A", "B", 1.5)], "at most 1"),
        ([asset("A"), asset("B")], [("A", "B", -0.1)], "at least 0"),
        ([asset("A"), asset("B", "gas")], [], "unknown system 'gas'"),
        ([asset("A"), asset("A")], [], "duplicate id"),
        ([asset("A", capacity=-3.0)], [], "at least 0"),
    ],
)
def test_bad_networks(assets, deps, message) -> None:
    with pytest.raises(InputError, match=message):
        network(assets, deps)


def test_unknown_asset_in_scenario() -> None:
    vs = network([asset("A")], [])
    with pytest.raises(InputError, match="unknown asset 'Q'"):
        evaluate(vs, Scenario("bad", [Change("Q", "outage")]))


def test_detour_extra_travel_and_trips_cut() -> None:
    # a square a-b-c-d-a of 1 km links plus a 1 km spur d-e; the a-b link carries 600 veh/h
    links = [("L-ab", "a", "b", 600.0), ("L-bc", "b", "c", 100.0), ("L-cd", "c", "d", 100.0),
             ("L-da", "d", "a", 100.0), ("L-de", "d", "e", 300.0)]
    assets = [asset(i, "mobility", from_node=u, to_node=v, length_m=1000.0, load=load, capacity=2000.0,
                    unit="vehicles/h") for i, u, v, load in links]
    assets.append(asset("BR", "mobility", type="bridge"))
    vs = network(assets, [("BR", "L-ab", 1.0)])
    ind = evaluate(vs, Scenario("bridge out", [Change("BR", "outage")])).indicators()
    values = ind[ind["system"] == "mobility"].set_index("indicator")["value"]
    assert values["extra_vehicle_km"] == pytest.approx(600 * 2.0)  # 3 km around instead of 1 km
    assert values["extra_co2"] == pytest.approx(1200 * 0.130)  # kg/h at 130 g/vehicle-km
    assert values["trips_cut"] == 0
    ind = evaluate(vs, Scenario("spur out", [Change("L-de", "outage")])).indicators()
    values = ind[ind["system"] == "mobility"].set_index("indicator")["value"]
    assert values["trips_cut"] == pytest.approx(300) and values["extra_vehicle_km"] == 0


def test_untouched_bottlenecks_are_flagged_only_today() -> None:
    vs = network([asset("S", capacity=10.0, load=9.5), asset("A"), asset("B")], [("A", "B", 1.0)])
    today = evaluate(vs, Scenario("today", [])).asset_flags().set_index("asset")
    assert today.loc["S", "flag"] == "orange"
    plan = evaluate(vs, Scenario("A out", [Change("A", "outage")])).asset_flags()
    assert "S" not in set(plan["asset"])


def test_cascade_depth_counts_only_what_the_failure_hits() -> None:
    """Issue 19 item 8: an asset overloaded today is not order 1 of a failure elsewhere."""
    vs = network([asset("S", capacity=5.0, load=6.0), asset("N", households=10), asset("LONE")],
                 [("S", "N", 1.0)])
    table = n_minus_one(vs).set_index("asset")
    assert table.loc["LONE", "cascade_depth"] == 1 and table.loc["LONE", "assets_hit"] == 1
    assert table.loc["S", "cascade_depth"] == 2
    st = state(evaluate(vs, Scenario("LONE out", [Change("LONE", "outage")])))
    assert st.order.tolist() == [0, 0, 1]


def test_explanation_leaves_a_cycle_for_its_cause() -> None:
    """C1 ↔ C2 (strong) both fed by F2 (weaker): the chain of C1 reaches F2, not only C2."""
    vs = network([asset("F2"), asset("C1", households=50), asset("C2", households=40)],
                 [("C1", "C2", 0.6), ("C2", "C1", 0.6), ("F2", "C1", 0.3), ("F2", "C2", 0.3)])
    impact = evaluate(vs, Scenario("F2 out", [Change("F2", "outage", cause="cable fault")]))
    text = impact.asset_flags().set_index("asset").loc["C1", "explanation"]
    assert "F2 out of service ← cable fault" in text, text


def test_households_are_counted_once_over_their_systems() -> None:
    """Issue 19 item 5: a neighbourhood's feeder and water district serve the same households."""
    vs = network([asset("SUB", type="substation"), asset("MV-X", households=100, people=200, area="X"),
                  asset("WD-X", "water", households=100, people=200, area="X"),
                  asset("MV-Y", households=50, people=80, area="Y")],
                 [("SUB", "MV-X", 1.0), ("MV-X", "WD-X", 0.5), ("SUB", "MV-Y", 1.0)])
    impact = evaluate(vs, Scenario("SUB out", [Change("SUB", "outage")]))
    flags = impact.asset_flags().set_index("asset")
    assert flags.loc["SUB", "households_at_risk"] == 150  # not 250
    ind = impact.indicators().set_index(["system", "indicator"])["value"]
    assert ind[("energy", "service_lost_people")] == pytest.approx(280)
    assert ind[("water", "service_lost_people")] == pytest.approx(100)
    everyone = "all systems (each person once)"
    assert ind[(everyone, "service_lost_people")] == pytest.approx(280)  # X's 200 at their worst loss, once
    table = n_minus_one(vs).set_index("asset")
    assert table.loc["SUB", "people_lost"] == pytest.approx(280)
    assert table.loc["SUB", "people_lost_energy"] == pytest.approx(280)
    assert table.loc["SUB", "people_lost_water"] == pytest.approx(100)
    assert table.loc["SUB", "service_kept"] == pytest.approx(0.0)


def test_spare_capacity_is_reported_per_level() -> None:
    """Issue 19 item 12: the same MW at the feeder and the substation is not summed."""
    vs = network([asset("SUB", capacity=100.0, load=60.0, type="150 kV substation"),
                  asset("MV", capacity=10.0, load=6.0, type="MV feeder area")], [("SUB", "MV", 1.0)])
    impact = evaluate(vs, Scenario("hub", [Change("MV", "load", 2.0), Change("SUB", "load", 2.0)]))
    ind = impact.indicators().set_index(["system", "indicator"])["value"]
    assert ind[("energy", "spare_capacity_used (MV feeder area)")] == pytest.approx(0.5)
    assert ind[("energy", "spare_capacity_used (150 kV substation)")] == pytest.approx(0.05)


def test_planned_works_are_not_cascades() -> None:
    """Issue 19 item 7: the plan's own closures are 'planned', their knock-on effects flags."""
    vs = network([asset("BR", "mobility", type="bridge"), asset("L", "mobility", type="link"),
                  asset("CAB", type="cable"), asset("MV", households=100, area="X")],
                 [("BR", "L", 0.3), ("CAB", "MV", 0.1)])
    works = Scenario("renewals", [Change("BR", "outage", cause="renewal of BR", planned=True),
                                  Change("CAB", "outage", cause="CAB moved", planned=True)])
    impact = evaluate(vs, works)
    flags = impact.asset_flags().set_index("asset")["flag"]
    assert flags["BR"] == "planned" and flags["CAB"] == "planned"
    assert flags["L"] == "orange" and flags["MV"] == "orange"
    systems = impact.system_flags().set_index("system")
    assert systems.loc["mobility", "flag"] == "orange" and systems.loc["mobility", "planned"] == 1
    assert systems.loc["energy", "flag"] == "orange" and systems.loc["energy", "red"] == 0
    # the same outage unplanned (a fault) is a red flag
    fault = evaluate(vs, Scenario("fault", [Change("BR", "outage")])).asset_flags().set_index("asset")["flag"]
    assert fault["BR"] == "red"


def test_the_plan_s_own_effects_and_opportunities() -> None:
    """Issue 19 item 15: the plan's effects are indicators next to the grid's; what it makes
    possible is a green flag, not a finding."""
    from optimise.cascade import Effect, Opportunity

    vs = network([asset("BR", "mobility", type="bridge"), asset("CAB", type="cable"), asset("MV", households=10)],
                 [("CAB", "MV", 0.01)])
    scenario = Scenario("works", [Change("BR", "outage", planned=True), Change("CAB", "outage", planned=True)],
                        effects=[Effect("mobility", "works_vehicle_hours", 1234.0, "vehicle-h")],
                        opportunities=[Opportunity("CAB", "moved in the works on BR: saves 500")])
    impact = evaluate(vs, scenario)
    ind = impact.indicators().set_index(["system", "indicator"])
    assert ind.loc[("mobility", "works_vehicle_hours"), "value"] == 1234.0
    assert ind.loc[("mobility", "works_vehicle_hours"), "unit"] == "vehicle-h"
    flags = impact.asset_flags().set_index("asset")
    assert flags.loc["CAB", "flag"] == "opportunity" and "saves 500" in flags.loc["CAB", "explanation"]
    systems = impact.system_flags().set_index("system")
    assert systems.loc["energy", "flag"] == "green" and systems.loc["energy", "opportunity"] == 1
