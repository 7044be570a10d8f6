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
