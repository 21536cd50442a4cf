"""A small process-wide cache for the app: bounded, thread-safe, one computation per key.

Streamlit's ``st.cache_data`` copies (pickles) every result for every caller, which for
whole-England frames costs milliseconds per call and per run, and its storage is only
reachable from inside a script run. The app's shared, read-only results (store tables,
display geometry, map payloads) are cached here instead: callers get the same object
(so they must never modify it in place), a second caller asking for a key that is being
computed waits for the first instead of computing it again, and entries of a store
version that has been replaced are dropped with :meth:`Memo.forget`.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_ALL: list[Memo] = []


class Memo:
    """Least-recently-used cache of ``fn(*args)`` (positional, hashable arguments)."""

    def __init__(self, fn: Callable[..., Any], maxsize: int) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple, Any] = OrderedDict()
        self._pending: dict[tuple, threading.Event] = {}
        _ALL.append(self)

    def __call__(self, *args: Hashable) -> Any:
        while True:
            with self._lock:
                if args in self._done:
                    self._done.move_to_end(args)
                    return self._done[args]
                event = self._pending.get(args)
                if event is None:
                    event = self._pending[args] = threading.Event()
                    break
            event.wait()  # another thread is computing it; take its result (or retry)
        try:
            value = self._fn(*args)
        except BaseException:
            with self._lock:
                self._pending.pop(args, None)
            event.set()
            raise
        with self._lock:
            self._done[args] = value
            self._done.move_to_end(args)
            while len(self._done) > self._maxsize:
                self._done.popitem(last=False)
            self._pending.pop(args, None)
        event.set()
        return value

    def peek(self, *args: Hashable) -> Any | None:
        """The cached value for ``args`` if it is ready, else ``None`` (never computes)."""
        with self._lock:
            return self._done.get(args)

    def forget(self, first: Hashable) -> None:
        """Drop every entry whose first argument is ``first`` (a replaced store's token)."""
        with self._lock:
            for k in [k for k in self._done if k and k[0] == first]:
                del self._done[k]

    def clear(self) -> None:
        with self._lock:
            self._done.clear()


def memo(maxsize: int = 64) -> Callable[[Callable[..., Any]], Memo]:
    """Decorator: cache a function's results process-wide (see :class:`Memo`)."""
    return lambda fn: Memo(fn, maxsize)


class Unhashed:
    """Wraps an argument so that it takes no part in a cache key (the other arguments
    name it): a cached result is returned whatever the wrapped value."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashed)


def forget_everywhere(first: Hashable) -> None:
    """:meth:`Memo.forget` on every cache made with :func:`memo`."""
    for m in _ALL:
        m.forget(first)
