"""Warming the app when its server starts (see ``asgi.py``).

:func:`lifespan` runs :func:`warm_first_page` before the server accepts its first
session: the imports every page needs, the store opened, and the default Explore view
(the first LA, the index, its geometry and map payload) computed into the process-wide
caches. It then starts :func:`warm_rest` in a background thread at a lower CPU priority:
the display geometry of every ward at every level of detail (so any LA, several LAs or
all England is drawn from memory) and the default Target list. A store that is missing
or broken is not an error here: the page says what is wrong when someone opens it.

:func:`watch_store` then checks the store file every second: when ``needsmap build`` (or
``index``, ``crime``) has replaced it, the new version is opened and its first page
warmed at once, and the old version is closed as soon as no run uses it (so its disk
space is released even if nobody opens a page).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("needsmap.app")


def _imports() -> None:
    """Import what the pages use (the first import of pandas, mapclassify, altair and
    the views costs seconds; it happens once per process)."""
    import altair  # noqa: F401
    import mapclassify  # noqa: F401

    from needsmap.views import explore, layout, maps, snapshot, target, upload  # noqa: F401


def warm_first_page() -> dict[str, float]:
    """Compute what a new visitor's first page needs; return seconds per step."""
    times: dict[str, float] = {}
    t = time.perf_counter()
    _imports()
    times["imports"] = time.perf_counter() - t
    from needsmap.views import data, explore

    t = time.perf_counter()
    try:
        info = data.checkout()
    except Exception as exc:  # noqa: BLE001 - the page reports store problems itself
        log.warning("warm-up: the store cannot be opened (%s)", exc)
        return times
    try:
        times["store"] = time.perf_counter() - t
        t = time.perf_counter()
        explore.warm(info)
        times["first page"] = time.perf_counter() - t
    finally:
        data.release(info.token)
    return times


def warm_rest() -> None:
    """Everything else worth having in memory before anyone asks (background)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    from needsmap.views import data, explore, target

    try:
        info = data.checkout()
    except Exception:  # noqa: BLE001
        return
    try:
        t = time.perf_counter()
        for name in ("fine", "coarse", "mid"):
            data.level(info.token, name)
        explore.warm(info, all_england=True)
        target.warm(info)
        from needsmap.views import indexing

        if indexing.can_recompute(info.token):  # the inputs a weight change recomputes from
            indexing._frame(info.token)
        log.info("warm-up: display geometry and the default views ready in %.1f s",
                 time.perf_counter() - t)
    except Exception:  # noqa: BLE001 - a failed warm-up only costs speed
        log.exception("warm-up in the background failed")
    finally:
        data.release(info.token)


def watch_store(interval: float = 1.0, stop: threading.Event | None = None) -> None:
    """Open and warm a replaced store as soon as it appears (runs in a daemon thread)."""
    from needsmap.views import data, explore, target

    last = None
    stop = stop or threading.Event()
    while not stop.wait(interval):
        try:
            token = data.store_token(data.store_path())
        except OSError:
            continue
        if token == last:
            continue
        try:
            info = data.checkout()
        except Exception:  # noqa: BLE001 - a broken store: the page will say so
            last = token
            continue
        try:
            if last is not None:
                log.warning("needsmap: the store was replaced; warming the new version")
                explore.warm(info)
                target.warm(info)
        except Exception:  # noqa: BLE001 - a failed warm-up only costs speed
            log.exception("warming the replaced store failed")
        finally:
            data.release(info.token)
        last = info.token


@contextlib.asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """``st.App`` start-up hook: warm the first page, then the rest in the background."""
    import anyio

    if os.environ.get("NEEDSMAP_NO_WARMUP"):
        yield
        return
    t = time.perf_counter()
    times = await anyio.to_thread.run_sync(warm_first_page)
    log.warning("needsmap: first page warmed in %.1f s (%s)", time.perf_counter() - t,
                ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    threading.Thread(target=warm_rest, name="needsmap-warm", daemon=True).start()
    threading.Thread(target=watch_store, name="needsmap-store-watch", daemon=True).start()
    yield
