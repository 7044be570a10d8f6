"""Bad input, tried systematically: every column of every CSV file of each instance format
is broken in every way that applies (missing column, wrong type, NaN, infinity, negative,
huge, duplicate id, dangling reference, non-UTF-8 text), plus empty and truncated files and
broken instance.toml files. Each case must end in exit code 2 with one line naming the file
(and the field and row where there is one) and no traceback. A hypothesis test then breaks
random cells of random files in random ways."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimise.registry import get_problem
from optimise.vital import ASSETS, DEPENDENCIES
from tests.conftest import DATA, assert_clean_error, run_cli

FORMATS = {  # instance folder -> references: (file, column) that must name an existing id
    "small-pmedian": {},
    "small-hubs": {("sites.csv", "asset"): "FEED-NOPE", ("dependencies.csv", "source"): "NOPE",
                   ("dependencies.csv", "target"): "NOPE"},
    "small-quays": {("works.csv", "link"): "L-NOPE", ("precedence.csv", "before"): "W-NOPE",
                    ("precedence.csv", "after"): "W-NOPE", ("utilities.csv", "host"): "W-NOPE",
                    ("dependencies.csv", "source"): "NOPE", ("dependencies.csv", "target"): "NOPE"},
}


def _schema(folder: str, file: str):
    toml = (DATA / folder / "instance.toml").read_text()
    problem = get_problem(toml.split('problem = "')[1].split('"')[0])
    key = file.rsplit(".", 1)[0]
    return {"assets": ASSETS, "dependencies": DEPENDENCIES, **problem.tables}.get(key)


def _cases() -> list[tuple[str, str, str, str, str | None]]:
    """(folder, file, column, mutation, row needle)."""
    cases = []
    for folder, refs in FORMATS.items():
        for path in sorted((DATA / folder).glob("*.csv")):
            schema = _schema(folder, path.name)
            if schema is None:
                continue
            columns = pd.read_csv(path, nrows=0).columns
            cases.append((folder, path.name, "", "empty", None))
            cases.append((folder, path.name, "", "not-utf8", None))
            for col in schema.columns:
                if col.name not in columns:
                    continue
                if col.required:
                    cases.append((folder, path.name, col.name, "drop", None))
                if col.kind in ("number", "integer"):
                    for mutation in ("text", "inf", "huge"):
                        cases.append((folder, path.name, col.name, mutation, "row 1"))
                    if col.positive or col.minimum is not None:
                        cases.append((folder, path.name, col.name, "negative", "row 1"))
                    if col.blank is None and col.required:
                        cases.append((folder, path.name, col.name, "blank", "row 1"))
                if col.kind == "bool":
                    cases.append((folder, path.name, col.name, "maybe", "row 1"))
                if col.unique and len(pd.read_csv(path)) > 1:
                    cases.append((folder, path.name, col.name, "duplicate", "row 2"))
                if (path.name, col.name) in refs:
                    cases.append((folder, path.name, col.name, "dangling", "row 1"))
            for coordinate in ("x", "y"):
                if coordinate in columns:
                    for mutation in ("text", "inf", "huge", "blank"):
                        cases.append((folder, path.name, coordinate, mutation, "row 1"))
    return cases


CASES = _cases()


def _mutate(path: Path, column: str, mutation: str, refs: dict) -> None:
    if mutation == "empty":
        path.write_text(path.read_text().splitlines()[0] + "\n")
        return
    if mutation == "not-utf8":
        path.write_bytes(path.read_bytes().replace(b"\n", b"\xff\xfe\n", 2).replace(b"\xff\xfe\n", b"\n", 1))
        return
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if mutation == "drop":
        table = table.drop(columns=column)
    elif mutation == "duplicate":
        table.loc[1, column] = table.loc[0, column]
    else:
        value = {"text": "abc", "inf": "inf", "huge": "1e300", "negative": "-5", "blank": "", "maybe": "maybe",
                 "dangling": refs.get((path.name, column), "NOPE")}[mutation]
        table.loc[0, column] = value
    table.to_csv(path, index=False)


@pytest.mark.parametrize("folder, file, column, mutation, row", CASES,
                         ids=[f"{c[0]}/{c[1]}:{c[2]}:{c[3]}" for c in CASES])
def test_each_broken_column_is_one_clean_line(tmp_path: Path, folder: str, file: str, column: str, mutation: str,
                                              row: str | None) -> None:
    inst = tmp_path / "inst"
    shutil.copytree(DATA / folder, inst)
    _mutate(inst / file, column, mutation, FORMATS[folder])
    run = run_cli("validate", inst)
    needles = [file] + ([column] if column and mutation not in ("dangling",) else []) + ([row] if row else [])
    if mutation == "dangling":
        needles = [file, column]
    assert_clean_error(run, *needles)


TOML_CASES = [
    ("[data]", "[data]\nextra = \"../outside.csv\"", ("outside",)),
    ("[data]", "[data]\nnothing = \"missing.csv\"", ()),
    ("[parameters]", "[parameters]\nno_such_parameter = 1", ("no_such_parameter",)),
    ("name = ", "colour = \"red\"\nname = ", ("colour",)),
    ("[data]", "[data\n", ("instance.toml",)),
    ("[data]", "crs = \"EPSG:0\"\n[data]", ("crs",)),
    ("[data]", "[solver]\nturbo = true\n[data]", ("solver.turbo",)),
]


@pytest.mark.parametrize("folder", list(FORMATS))
@pytest.mark.parametrize("old, new, needles", TOML_CASES)
def test_broken_instance_toml(tmp_path: Path, folder: str, old: str, new: str, needles) -> None:
    inst = tmp_path / "inst"
    shutil.copytree(DATA / folder, inst)
    toml = inst / "instance.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))
    if "nothing" in new:  # a file the problem does not use is not read: no error, but never a traceback
        run = run_cli("validate", inst)
        assert run.code in (0, 2) and "Traceback" not in run.stderr
        return
    assert_clean_error(run_cli("validate", inst), *needles)


@pytest.mark.parametrize("folder", list(FORMATS))
def test_truncated_files_never_crash(tmp_path: Path, folder: str) -> None:
    for path in sorted((DATA / folder).glob("*.csv")):
        inst = tmp_path / f"inst-{path.stem}"
        shutil.copytree(DATA / folder, inst)
        data = (inst / path.name).read_bytes()
        (inst / path.name).write_bytes(data[: max(1, len(data) * 2 // 3 - 3)])
        run = run_cli("validate", inst)
        assert "Traceback" not in run.stderr + run.stdout
        assert run.code in (0, 2), (path.name, run.stderr)
        if run.code == 2:
            assert len(run.stderr.strip().splitlines()) == 1


VALUES = st.sampled_from(["", "abc", "-1", "0", "nan", "inf", "-inf", "1e308", "true", "  ", "x,y", "\"", "1.5", "é"])


# derandomize: the same examples on every run, so CI is repeatable; raise max_examples (or
# set derandomize=False) locally to search further.
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folder=st.sampled_from(list(FORMATS)), data=st.data())
def test_random_cell_damage_never_crashes(tmp_path_factory, folder: str, data) -> None:
    src = DATA / folder
    files = sorted(p.name for p in src.glob("*.csv"))
    file = data.draw(st.sampled_from(files))
    table = pd.read_csv(src / file, dtype=str, keep_default_na=False)
    row = data.draw(st.integers(0, len(table) - 1))
    column = data.draw(st.sampled_from(list(table.columns)))
    value = data.draw(VALUES)
    inst = tmp_path_factory.mktemp("inst")
    shutil.copytree(src, inst, dirs_exist_ok=True)
    table.loc[row, column] = value
    table.to_csv(inst / file, index=False)
    run = run_cli(data.draw(st.sampled_from(["validate", "solve"])), inst)
    assert "Traceback" not in run.stderr + run.stdout
    assert run.code in (0, 1, 2), run.stderr  # 1: a valid instance with no feasible plan
    if run.code == 2:
        text = run.stderr.strip()
        assert text.startswith("error:") and len(text.splitlines()) == 1, text
