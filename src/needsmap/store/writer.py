"""Writing a store atomically: a new file beside the target, then :func:`os.replace`.

:func:`new_store` opens ``<db>.building-<pid>``, hands its connection to the
caller and, only when the caller's block ends without an error, checkpoints,
closes and moves it over the target in one :func:`os.replace`. Readers of the
old file keep reading it until they reopen; nobody ever sees a half-written
store. On any error (or SIGKILL) the target is untouched: the temporary file is
removed, or swept by the next write (:func:`sweep_killed_writes`).
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from needsmap.store.db import StoreError, connect


class StoreWriteError(StoreError):
    """The store could not be written; the previous store (if any) is untouched."""


def _is_disk_full(exc: BaseException) -> bool:
    return ((isinstance(exc, OSError) and exc.errno == 28)
            or (isinstance(exc, duckdb.Error) and "No space left on device" in str(exc)))


def check_target(target: Path) -> None:
    """Create the store's directory if needed; raise :class:`StoreWriteError` if not writable."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreWriteError(f"cannot create the store directory {target.parent}: {exc}") from exc
    if not os.access(target.parent, os.W_OK):
        raise StoreWriteError(f"the store directory {target.parent} is not writable")


def temporary_path(target: Path) -> Path:
    """``<db>.building-<pid>``: this process's temporary file beside ``target``."""
    return target.with_name(f"{target.name}.building-{os.getpid()}")


@contextmanager
def new_store(target: str | os.PathLike[str], threads: int | None = None,
              spatial: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a new store that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target
        The store path to (re)place.
    threads
        DuckDB threads for the connection (default: DuckDB's own).
    spatial
        Load the spatial extension on the connection.

    Raises
    ------
    StoreWriteError
        The directory is not writable, or the disk filled up; the target is untouched.
    """
    target = Path(target)
    check_target(target)
    sweep_killed_writes(target)
    tmp = temporary_path(target)
    con = None
    try:
        con = connect(tmp, threads=threads, spatial=spatial)
        yield con
        con.execute("CHECKPOINT")
        con.close()
        con = None
        os.replace(tmp, target)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    except BaseException as exc:
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if _is_disk_full(exc):
            raise StoreWriteError(f"disk full while writing {target}; the previous store is "
                                  "untouched") from exc
        raise


def sweep_killed_writes(target: Path) -> None:
    """Delete ``<db>.building-<pid>*`` files of writers that were killed (pid not running).

    A SIGKILLed build cannot clean up after itself; without this sweep every kill
    leaves a store-sized temporary file beside the target.
    """
    prefix = f"{target.name}.building-"
    for p in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid_text = p.name[len(prefix):].split(".")[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid():
            try:
                os.kill(pid, 0)
                continue  # still running: another writer's file
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        try:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass
