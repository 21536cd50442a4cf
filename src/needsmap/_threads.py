"""Array-wide geometry work (GEOS, PROJ) split in two halves over a small, long-lived pool.

One function, :func:`in_halves`. shapely's vectorised functions and pyproj's transforms
release the GIL, so an array of geometries split in two and handled on two threads takes
about half the time on two cores. The pool's threads are started once per process: under
load a thread start was measured at up to 15 ms, and the areas stage asks for halves
several times (validation, reprojection, LSOA areas and points, the LSOA x ward overlay).

(Until issue 14 the pool's threads ran at nice +5, to leave the main thread's DuckDB loads
the critical path; the overlay made the geometry work the critical path, and the nice was
dropped: docs/decisions.md, "Performance helpers of the areas stage".)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: Arrays shorter than this are handled on the calling thread.
MIN_SPLIT = 2000

_PREFIX = "needsmap-geom"
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _get_pool() -> ThreadPoolExecutor:
    """The process's geometry pool: one thread per core, at least two, started lazily."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                       thread_name_prefix=_PREFIX)
        return _pool


def in_halves(fn: Callable[[np.ndarray], Any], values: np.ndarray,
              combine: Callable[[list[Any]], Any] | None = None) -> Any:
    """``fn`` applied to the two halves of ``values`` on two pool threads, results combined.

    ``fn`` must be elementwise along the first axis (its result for a half is its result
    for those rows). ``combine`` joins the list of results (default: concatenate arrays).
    Short arrays are handled on the calling thread, and so is a call from a pool thread
    (waiting on the pool from inside it could deadlock).
    """
    values = np.asarray(values)
    if len(values) < MIN_SPLIT or threading.current_thread().name.startswith(_PREFIX + "_"):
        parts = [fn(values)]
    else:
        jobs = [_get_pool().submit(fn, h) for h in np.array_split(values, 2)]
        parts = [j.result() for j in jobs]
    if combine is None:
        return np.concatenate([np.asarray(p) for p in parts])
    return combine(parts)
