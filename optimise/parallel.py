"""Work spread over the machine's cores by forking: the workers inherit what this process
built (a street network, a problem's data) instead of receiving it pickled.

Used where one step of a run is many independent pieces of pure Python (the quays' detours:
a shortest path per closure and per pair of closures) and for the output jobs
(:mod:`optimise.outputs`). Where forking is not possible (no ``fork``, one core, inside a
daemonic process such as a batch worker) the work runs here, in order, with the same result.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from typing import Any, Callable

#: The task of the current :func:`fork_map` call, read by the forked workers (a closure
#: cannot be pickled; a forked worker has it in its copy of this module).
_TASK: Callable[[int], Any] | None = None
#: Fewer items than this are not worth a pool (starting one costs about 0.05 s).
MIN_ITEMS = 64
#: Chunks per worker: enough that a slow chunk does not leave a core idle at the end.
CHUNKS_PER_WORKER = 4


def can_fork() -> bool:
    """Whether work can run in forked workers here: a platform with fork, more than one
    core, and not inside a daemonic process (a batch worker, which may have no children)."""
    return ("fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1
            and not multiprocessing.current_process().daemon)


def _run(chunk: range) -> list[Any]:
    assert _TASK is not None
    return [_TASK(k) for k in chunk]


def fork_map(task: Callable[[int], Any], n: int, *, min_items: int = MIN_ITEMS) -> list[Any]:
    """``[task(0), …, task(n - 1)]``, computed in forked workers (one per core, contiguous
    chunks) where :func:`can_fork` and there are at least ``min_items``, else here. Each
    result travels back pickled; an exception in a task is raised here."""
    global _TASK
    workers = os.cpu_count() or 1
    if n < max(min_items, 2) or not can_fork():
        return [task(k) for k in range(n)]
    size = -(-n // (workers * CHUNKS_PER_WORKER))
    chunks = [range(start, min(start + size, n)) for start in range(0, n, size)]
    # a forked worker flushes the streams it inherited when it ends: flush them now, once
    sys.stdout.flush()
    sys.stderr.flush()
    _TASK = task
    gc.freeze()  # a worker's collector would otherwise touch, and so copy, every inherited object
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(chunks))) as pool:
            parts = pool.map(_run, chunks, chunksize=1)
    finally:
        gc.unfreeze()
        _TASK = None
    return [result for part in parts for result in part]
