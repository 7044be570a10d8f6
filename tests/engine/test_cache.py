"""The disk cache of derived data: same input, same entry; any change to what the computation
reads, a new one; a broken entry is recomputed; off means off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimise import cache
from optimise.instance import load_instance
from optimise.registry import get_problem

QUAYS = Path(__file__).resolve().parents[1] / "data" / "small-quays"


def test_keys_follow_content_not_identity() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    assert cache.key(frame, {"p": 1}) == cache.key(frame.copy(), {"p": 1})
    assert cache.key(frame, {"p": 1}) != cache.key(frame.assign(x=[1.0, 2.5]), {"p": 1})
    assert cache.key(frame, {"p": 1}) != cache.key(frame, {"p": "1"})
    assert cache.key(np.arange(3)) != cache.key(np.arange(3).astype(float))
    assert cache.key(frame, code=(test_keys_follow_content_not_identity,)) != cache.key(frame)
    with pytest.raises(TypeError):
        cache.key(object())


def test_remembered_stores_once_and_recomputes_a_broken_entry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPTIMISE_CACHE", str(tmp_path))
    calls = []

    def compute() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"a": np.arange(4), **cache.frame_arrays("t", pd.DataFrame({"x": [1.5], "k": [2]}))}

    first = cache.remembered("kind", "entry", compute)
    again = cache.remembered("kind", "entry", compute)
    assert len(calls) == 1
    assert np.array_equal(first["a"], again["a"])
    pd.testing.assert_frame_equal(cache.arrays_frame("t", again), pd.DataFrame({"x": [1.5], "k": [2]}))
    (tmp_path / "kind" / "entry.npz").write_bytes(b"not a zip")
    cache.remembered("kind", "entry", compute)
    assert len(calls) == 2
    assert not [p for p in (tmp_path / "kind").iterdir() if p.name.startswith(".")]  # no temporary left


def test_off_computes_every_time(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPTIMISE_CACHE", "off")
    assert cache.folder() is None
    calls = []
    for _ in range(2):
        cache.remembered("kind", "entry", lambda: calls.append(1) or {"a": np.zeros(1)})
    assert len(calls) == 2


def _traffic(monkeypatch, folder: Path, **params):
    monkeypatch.setenv("OPTIMISE_CACHE", str(folder))
    instance = load_instance(QUAYS)
    instance.parameters.update(params)
    return get_problem("quay_walls").from_instance(instance).data


def test_quay_detours_are_read_back_and_only_traffic_inputs_make_a_new_entry(tmp_path: Path, monkeypatch) -> None:
    fresh = _traffic(monkeypatch, Path("off"))
    first = _traffic(monkeypatch, tmp_path)
    entries = list((tmp_path / "quay-traffic").iterdir())
    assert len(entries) == 1
    second = _traffic(monkeypatch, tmp_path)
    for data in (first, second):
        for name, values in vars(fresh.traffic).items():
            assert np.allclose(getattr(data.traffic, name), values)
        pd.testing.assert_frame_equal(data.interactions, fresh.interactions, check_dtype=False)
        pd.testing.assert_frame_equal(data.all_interactions, fresh.all_interactions, check_dtype=False)
        assert data.conflicts == fresh.conflicts
    _traffic(monkeypatch, tmp_path, weight_cost=2.0)  # not a traffic input: the same entry
    assert len(list((tmp_path / "quay-traffic").iterdir())) == 1
    slower = _traffic(monkeypatch, tmp_path, speed_kmh=15.0)  # a traffic input: a new entry
    assert len(list((tmp_path / "quay-traffic").iterdir())) == 2
    assert not np.allclose(slower.traffic.vehicle_hours, fresh.traffic.vehicle_hours)
