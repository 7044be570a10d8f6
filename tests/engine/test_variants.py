"""optimise.variants: variant files and --set pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimise.errors import InputError
from optimise.instance import load_instance
from optimise.variants import Variant, apply_variant, parse_setting, read_variants
from tests.conftest import DATA


@pytest.mark.parametrize("text, expected", [
    ("budget=500000", ("budget", 500000)),
    ("gap = 0.01", ("gap", 0.01)),
    ('demand.weight="*1.2"', ("demand.weight", "*1.2")),
    ("demand.weight=*1.2", ("demand.weight", "*1.2")),  # not TOML: taken as text
    ("sites.forbidden={S1 = true}", ("sites.forbidden", {"S1": True})),
    ("name=Hub [north]", ("name", "Hub [north]")),
])
def test_parse_setting(text: str, expected: tuple) -> None:
    assert parse_setting(text) == expected


@pytest.mark.parametrize("text", ["budget", "=3", ""])
def test_parse_setting_refuses_what_is_not_a_pair(text: str) -> None:
    with pytest.raises(InputError, match="--set"):
        parse_setting(text)


def test_grid_variants_are_the_product_in_order(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    path.write_text("[grid]\np = [2, 3]\nmetric = [\"euclidean\"]\n")
    variants = read_variants(path)
    assert [v.overrides for v in variants] == [{"p": 2, "metric": "euclidean"}, {"p": 3, "metric": "euclidean"}]
    assert len({v.key for v in variants}) == 2


def test_a_data_edit_applies_when_the_file_is_read() -> None:
    instance = load_instance(DATA / "small-pmedian")
    before = instance.read("demand")["weight"].sum()
    apply_variant(instance, Variant("double", {"demand.weight": "*2"}), label="v", parameters={"p"})
    assert instance.read("demand")["weight"].sum() == pytest.approx(2 * before)


def test_unknown_parameter_is_refused_before_any_work() -> None:
    with pytest.raises(InputError, match="unknown parameter"):
        apply_variant(load_instance(DATA / "small-pmedian"), Variant("x", {"q": 1}), label="v", parameters={"p"})


SQUARE = "POLYGON ((4.872 52.337, 4.878 52.337, 4.878 52.340, 4.872 52.340, 4.872 52.337))"


def test_rows_added_to_a_layer_in_its_own_crs() -> None:
    inst = load_instance(DATA / "small-hubs")
    before = inst.read("conflicts")
    apply_variant(inst, Variant("drawn", {"conflicts+": [{"id": "drawn-1", "claim": "works zone", "geometry": SQUARE,
                                                          "crs": "EPSG:4326"}]}),
                  label="v", parameters=set())
    after = inst.read("conflicts")
    assert len(after) == len(before) + 1 and after["id"].iloc[-1] == "drawn-1"
    assert after.crs == before.crs
    # a square of about 400 m x 330 m, now in the layer's metres
    assert 1e5 < after.geometry.iloc[-1].area < 2e5 if after.crs.is_projected else True


@pytest.mark.parametrize("rows, needle", [
    ([{"id": "drawn-1", "geometry": "POLYGON ((4.872 52.337, 4.878"}], "not a geometry"),
    ([{"id": "drawn-1"}], "no geometry"),
    ("a polygon", "expected a list of rows"),
])
def test_bad_rows_are_refused_plainly(rows: object, needle: str) -> None:
    inst = load_instance(DATA / "small-hubs")
    with pytest.raises(InputError, match=needle):
        apply_variant(inst, Variant("bad", {"conflicts+": rows}), label="v", parameters=set())
        inst.read("conflicts")


def test_an_added_row_may_not_repeat_an_id() -> None:
    inst = load_instance(DATA / "small-hubs")
    first = str(inst.read("conflicts")["id"].iloc[0])
    apply_variant(inst, Variant("dup", {"conflicts+": [{"id": first, "geometry": SQUARE, "crs": "EPSG:4326"}]}),
                  label="v", parameters=set())
    with pytest.raises(InputError, match="duplicate id"):
        inst.read("conflicts")
