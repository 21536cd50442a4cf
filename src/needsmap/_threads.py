"""Array-wide geometry work (GEOS, PROJ) split over a small, long-lived thread pool.

shapely's vectorised functions and pyproj's transforms release the GIL, so an
array of geometries split in two and handled on two threads takes about half the
time on two cores. The pool's threads are started once per process: under load a
thread start was measured at up to 15 ms, and the build asks for halves several
times (validation, reprojection, LSOA areas and points, the ward dissolve).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

#: Arrays shorter than this are handled on the calling thread.
MIN_SPLIT = 2000

_PREFIX = "needsmap-geom"
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The process's geometry pool: one thread per core, at least two, started lazily."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                       thread_name_prefix=_PREFIX,
                                       initializer=yield_to_main_thread)
        return _pool


#: Nice value of geometry threads, relative to the process (Linux only).
NICE = 5


def yield_to_main_thread() -> None:
    """Lower the calling thread's scheduling priority a little (Linux: per-thread nice).

    In the build the main thread (DuckDB) is the critical path while the
    geometry threads run beside it; with three runnable threads on two cores each
    got two thirds of a core. Elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICE)
        except OSError:
            pass


def submit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """Run ``fn(*args, **kwargs)`` on the geometry pool."""
    return pool().submit(fn, *args, **kwargs)


def halves(fn: Callable[[np.ndarray], Any], values: np.ndarray) -> list[Any]:
    """``[fn(first half), fn(second half)]``, computed on two pool threads.

    ``fn`` must be elementwise (its result for a half is its result for those
    elements). Short arrays give ``[fn(values)]`` on the calling thread, and so does
    a call from a pool thread (waiting on the pool from inside it could deadlock).
    """
    values = np.asarray(values)
    if len(values) < MIN_SPLIT or threading.current_thread().name.startswith(_PREFIX + "_"):
        return [fn(values)]
    jobs = [submit(fn, h) for h in np.array_split(values, 2)]
    return [j.result() for j in jobs]


def in_halves(fn: Callable[[np.ndarray], Any], values: np.ndarray) -> np.ndarray:
    """:func:`halves` for an ``fn`` that returns one array: the results, concatenated."""
    return np.concatenate([np.asarray(r) for r in halves(fn, values)])
