"""The small published benchmark instances reach their proven optimum, status optimal; the
city benchmark scripts run on a small city."""

from __future__ import annotations

from pathlib import Path

import pytest

from problems.formats import read_holmberg, read_orlib_cap, read_orlib_pmed
from tests.conftest import BENCH

PMED_OPT = dict(line.split() for line in (BENCH / "orlib-pmed" / "pmedopt.txt").read_text().splitlines()[1:])
CAP_OPT = dict(line.split() for line in (BENCH / "orlib-cap" / "capopt.txt").read_text().splitlines()[1:])
HOLMBERG_OPT = [float(v) for v in (BENCH / "sscflp-holmberg" / "os").read_text().split()]


@pytest.mark.parametrize("name", sorted(PMED_OPT, key=lambda s: int(s[4:])))
def test_orlib_pmed(name: str) -> None:
    res = read_orlib_pmed(BENCH / "orlib-pmed" / f"{name}.txt").solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(float(PMED_OPT[name]), abs=1e-6)
    assert res.gap == 0.0


@pytest.mark.parametrize("name", sorted(CAP_OPT))
def test_orlib_cap(name: str) -> None:
    res = read_orlib_cap(BENCH / "orlib-cap" / f"{name}.txt").solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(float(CAP_OPT[name]), abs=1e-3)


@pytest.mark.parametrize("k", range(1, len(HOLMBERG_OPT) + 1))
def test_holmberg(k: int) -> None:
    res = read_holmberg(BENCH / "sscflp-holmberg" / f"p{k}").solve()
    assert res.status == "optimal"
    assert res.objective == pytest.approx(HOLMBERG_OPT[k - 1], abs=1e-6)
    assert res.split_points == 0


def test_pmed_p_override_changes_the_plan() -> None:
    res = read_orlib_pmed(BENCH / "orlib-pmed" / "pmed1.txt", p=6).solve()
    assert res.status == "optimal" and len(res.open_sites) == 6
    assert all(1 <= s <= 100 for s in res.open_sites)
    assert res.objective < 5819


def _run_benchmark(script: str, *args: str) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "benchmarks" / script), *args], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


def test_city_scale_benchmark_on_a_small_city(tmp_path: Path) -> None:
    out = tmp_path / "city.md"
    _run_benchmark("city_scale.py", "--demand", "600", "--sites", "60", "--p", "6", "--time-limit", "60",
                   "--out", str(out))
    rows = [line for line in out.read_text().splitlines() if line.startswith("| p_median") or line.startswith("| mclp")]
    assert len(rows) == 2 and all("| optimal |" in row for row in rows)
    assert "local-search start" in rows[1]


def test_city_lp_gap_benchmark_on_a_small_city(tmp_path: Path) -> None:
    out = tmp_path / "gap.md"
    _run_benchmark("city_lp_gap.py", "--demand", "600", "--sites", "60", "--p", "6", "--seconds", "1",
                   "--out", str(out))
    table = dict(line.strip("|").split("|")[:2] for line in out.read_text().splitlines() if line.startswith("| ")
                 and not line.startswith("| figure"))
    table = {k.strip(): v.strip() for k, v in table.items()}
    assert float(table["p-median gap plan / Lagrangian bound"].rstrip("%")) >= 0
    assert float(table["MCLP gap LP bound / plan"].rstrip("%")) >= 0


def test_code_shape_counts_files_lines_and_functions(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "checkout"
    (root / "optimise").mkdir(parents=True)
    (root / "problems").mkdir()
    (root / "optimise" / "a.py").write_text("def f():\n    return 1\n\n\ndef g():\n    x = 1\n    return x\n")
    (root / "problems" / "b.py").write_text("X = 1\n")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "code_shape.py"
    run = subprocess.run([sys.executable, str(script), str(root)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "2 files, 8 lines" in run.stdout
    assert "| optimise/a.py:g | 3 |" in run.stdout and "| optimise/a.py:f | 2 |" in run.stdout
