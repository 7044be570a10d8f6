"""Peak resident memory of this process while a block runs (benchmarks only).

``ru_maxrss`` only ever grows over a process's life, so it cannot give the peak of one
instance among many solved in one process. :class:`PeakRSS` samples the resident set size
from ``/proc/self/statm`` on a background thread (every ``interval`` seconds) and keeps
the largest; where ``/proc`` is missing it falls back to ``ru_maxrss`` (the process peak
so far, an upper bound). The figure includes the interpreter and the loaded libraries.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb() -> float:
    """Resident set size now (MB), or the process peak where /proc is missing."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
    """``with PeakRSS() as peak: ...`` then ``peak.mb``: the largest RSS sampled inside."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.mb = max(self.mb, rss_mb())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> "PeakRSS":
        self.mb = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.mb = max(self.mb, rss_mb())
