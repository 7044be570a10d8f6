"""optimise.io: tables read, paths kept inside the instance, outputs replaced whole or not at all."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optimise.errors import InputError
from optimise.io import MARKER, atomic_folder, check_output_folder, confined_path, read_table, to_json


def test_read_table_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,x\na,1\n")
    assert list(read_table(tmp_path / "t.csv")["id"]) == ["a"]


def test_missing_table_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="t.csv"):
        read_table(tmp_path / "t.csv")


@pytest.mark.parametrize("relative", ["../secret.csv", "/etc/passwd", "a/../../b.csv", ""])
def test_paths_stay_inside_the_instance(tmp_path: Path, relative: str) -> None:
    with pytest.raises(InputError):
        confined_path(tmp_path, relative, file="instance.toml", field="data.demand")


def test_a_folder_of_the_users_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.docx").write_text("mine")
    with pytest.raises(InputError, match="nothing of yours"):
        check_output_folder(out)
    assert (out / "notes.docx").read_text() == "mine"


def test_atomic_folder_replaces_a_result_whole_or_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / MARKER).write_text("{}")
        (tmp / "a.csv").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_folder(out) as tmp:
            (tmp / MARKER).write_text("{}")
            raise RuntimeError("killed half-way")
    assert (out / "a.csv").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        to_json({"x": math.nan})
