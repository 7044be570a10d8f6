"""optimise.files: tables read, paths kept inside the instance, outputs replaced whole or not at all."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optimise.errors import InputError
from optimise.files import MARKER, atomic_folder, check_output_folder, confined_path, read_table, to_json


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
        (tmp / MARKER).write_text('{"files": ["a.csv", "summary.json"]}')
        (tmp / "a.csv").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_folder(out) as tmp:
            (tmp / MARKER).write_text("{}")
            raise RuntimeError("killed half-way")
    assert (out / "a.csv").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_json_writes_nan_and_infinity_as_null() -> None:
    import json

    import numpy as np

    data = {"x": math.nan, "y": [1.0, math.inf, np.float64(-np.inf)], "z": np.array([np.nan, 2.0])}
    assert json.loads(to_json(data)) == {"x": None, "y": [1.0, None, None], "z": [None, 2.0]}


def test_a_folder_with_a_summary_and_foreign_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "plan.csv").write_text("x")
        (tmp / MARKER).write_text('{"files": ["plan.csv", "summary.json"]}')
    check_output_folder(out)  # only our own files: may be replaced
    (out / "my notes.docx").write_text("mine")
    with pytest.raises(InputError, match="my notes.docx"):
        check_output_folder(out)
    with pytest.raises(InputError):
        with atomic_folder(out):
            pass
    assert (out / "my notes.docx").read_text() == "mine"


def test_a_replaced_folder_keeps_its_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / MARKER).write_text('{"files": ["summary.json"]}')
    out.chmod(0o750)
    with atomic_folder(out) as tmp:
        (tmp / MARKER).write_text('{"files": ["summary.json"]}')
    assert out.stat().st_mode & 0o777 == 0o750


@pytest.mark.parametrize("where", ["file/out", ".", "/proc/optimise-out"])
def test_an_impossible_output_folder_is_refused_up_front(tmp_path: Path, monkeypatch, where: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("a file, not a folder")
    with pytest.raises(InputError):
        check_output_folder(Path(where))


def test_a_killed_runs_temporary_folder_is_cleaned_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = tmp_path / ".out.999999999.abcd.tmp"  # no such process
    stale.mkdir()
    with atomic_folder(out) as tmp:
        (tmp / MARKER).write_text('{"files": ["summary.json"]}')
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "demand.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_table(fifo)
