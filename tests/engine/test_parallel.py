"""Work spread over forked workers: the same results, in order, as computed here."""

from __future__ import annotations

import pytest

import optimise.parallel as parallel


def test_fork_map_returns_every_result_in_order(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    offset = 7  # a closure over this process's state: the workers inherit it
    assert parallel.fork_map(lambda k: (k, k * k + offset), 1000, min_items=1) == [(k, k * k + 7) for k in range(1000)]
    assert parallel.fork_map(lambda k: k, 0) == []
    assert parallel.fork_map(lambda k: -k, 3) == [0, -1, -2]  # below min_items: here


def test_a_failing_task_raises_here(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "can_fork", lambda: True)

    def task(k: int) -> int:
        if k == 500:
            raise ValueError("item 500")
        return k

    with pytest.raises(ValueError, match="item 500"):
        parallel.fork_map(task, 1000, min_items=1)
    assert parallel._TASK is None
