"""An instance reads each data file once per run: two steps that need the same file (the
problem and the cascade check both read the assets) share one read, yet each gets its own
table, and a file changed on disk since is read again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

import optimise.instance as instance_module
from optimise.instance import load_instance
from tests.conftest import DATA


def test_a_file_is_read_once_and_each_reader_gets_its_own_table(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "hubs"
    shutil.copytree(DATA / "small-hubs", folder)
    calls: list[Path] = []
    real = instance_module.read_table

    def counting(path: Path, **kwargs: object) -> pd.DataFrame:
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(instance_module, "read_table", counting)
    inst = load_instance(folder)
    first = inst.read("demand")
    first.loc[0, "residents"] = -1.0  # a reader changing its table changes no one else's
    second = inst.read("demand")
    assert len(calls) == 1
    assert second.loc[0, "residents"] != -1.0
    pd.testing.assert_frame_equal(second, real(inst.path("demand"), label="demand"))

    path = inst.path("demand")
    table = pd.read_csv(path)
    table.loc[0, "residents"] = 12345.0
    table.to_csv(path, index=False)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit, whatever the clock
    assert inst.read("demand").loc[0, "residents"] == 12345.0
    assert len(calls) == 2


def test_edits_apply_to_every_read_not_to_the_file_read(tmp_path: Path) -> None:
    inst = load_instance(DATA / "small-hubs")
    plain = inst.read("demand")
    inst.edits["demand"] = [lambda t: t.assign(residents=t["residents"] * 2)]
    doubled = inst.read("demand")
    assert (doubled["residents"] == plain["residents"] * 2).all()
    inst.edits["demand"] = []
    pd.testing.assert_frame_equal(inst.read("demand"), plain)
