"""optimise.schema and optimise.parameters: tables and parameters checked cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimise.errors import InputError
from optimise.parameters import Parameter, check_parameters
from optimise.schema import Column, TableSchema, check_references, validate_table

SCHEMA = TableSchema("sites", (
    Column("id", "id", "site", unique=True),
    Column("capacity", "number", "places", minimum=0, blank=np.inf),
    Column("open", "bool", "already open", required=False, default=False),
))


def test_a_valid_table_gets_its_defaults_and_blanks() -> None:
    table = validate_table(pd.DataFrame({"id": ["a", "b"], "capacity": [3, None]}), SCHEMA, file="sites.csv")
    assert list(table["open"]) == [False, False]
    assert table["capacity"].iloc[1] == np.inf


@pytest.mark.parametrize("frame, needles", [
    (pd.DataFrame({"capacity": [1]}), ("id",)),  # a required column missing
    (pd.DataFrame({"id": ["a", "a"], "capacity": [1, 2]}), ("id", "row 2")),  # duplicate id
    (pd.DataFrame({"id": ["a", "b"], "capacity": [1, -2]}), ("capacity", "row 2")),  # below the minimum
    (pd.DataFrame({"id": ["a"], "capacity": ["many"]}), ("capacity", "row 1")),  # not a number
])
def test_bad_cells_name_file_field_and_row(frame: pd.DataFrame, needles: tuple[str, ...]) -> None:
    with pytest.raises(InputError) as err:
        validate_table(frame, SCHEMA, file="sites.csv")
    text = str(err.value)
    assert "sites.csv" in text
    for needle in needles:
        assert needle in text


def test_references_to_unknown_ids_are_named() -> None:
    with pytest.raises(InputError, match="zz"):
        check_references(pd.Series(["a", "zz"]), ["a", "b"], file="links.csv", field="site", what="site")


SPECS = {
    "p": Parameter("p", "integer", "sites to open", required=True, positive=True),
    "budget": Parameter("budget", "number", "money", minimum=0),
    "mode": Parameter("mode", "text", "how", default="auto", choices=("auto", "fast")),
}


def test_parameters_get_defaults_and_types() -> None:
    assert check_parameters(SPECS, {"p": 3.0}, file="i.toml") == {"p": 3, "budget": None, "mode": "auto"}


@pytest.mark.parametrize("given, field", [
    ({}, "parameters.p"),
    ({"p": 2.5}, "parameters.p"),
    ({"p": 0}, "parameters.p"),
    ({"p": 1, "budget": -1}, "parameters.budget"),
    ({"p": 1, "mode": "slow"}, "parameters.mode"),
    ({"p": 1, "colour": "red"}, "parameters.colour"),
    ({"p": True}, "parameters.p"),
    ({"p": float("nan")}, "parameters.p"),
])
def test_bad_parameters_name_the_field(given: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        check_parameters(SPECS, given, file="i.toml")
    assert field in str(err.value) and "i.toml" in str(err.value)
