"""Writing a store atomically, one writer at a time.

Every command that writes a store (``needsmap build``, ``index`` and ``crime``) follows
one rule:

1. **One writer at a time.** It takes an exclusive lock on ``<db>.lock`` (an OS file
   lock, :func:`fcntl.flock`, released by the kernel even when the writer is killed)
   for the whole command (:func:`writer_lock`). A second writer waits for it, saying
   for whom it waits, and gives up after ``wait`` seconds with a :class:`StoreBusy`
   error naming the command holding the lock; ``wait=0`` fails at once.
2. **Never in place.** It writes a new file ``<db>.building-<pid>`` beside the target
   and, only when its block ends without an error, checkpoints, closes and moves it
   over the target in one :func:`os.replace`. :func:`new_store` starts from an empty
   file (the build); :func:`update_store` starts from a copy of the current store
   (``index``, ``crime``). Readers (the app) never see a half-written store and never
   block a writer: they keep reading the old file until they reopen.
3. **Check at replace time.** :func:`update_store` records the store's identity
   (device, inode, size, modification time) when it copies it and refuses to replace
   a store that changed meanwhile (a writer that does not take the lock, e.g. an older
   needsmap or a manual copy): its changes would be lost, so it fails and says so.

On any error (or SIGKILL) the target is untouched: the temporary file is removed, or
swept by the next writer (:func:`sweep_killed_writes`). A full disk is reported as
such (:class:`StoreWriteError`), whatever DuckDB said when it ran out of space.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import glob
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from needsmap.store.db import StoreError, connect, open_store

#: Seconds a writer waits for another writer of the same store before giving up.
DEFAULT_WAIT = 600.0
#: Seconds between attempts to take a busy lock.
_POLL = 0.2


class StoreWriteError(StoreError):
    """The store could not be written; the previous store (if any) is untouched."""


class StoreBusy(StoreWriteError):
    """Another command is writing the store, and it did not finish within the wait."""


def _is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a full disk or quota."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(e, duckdb.Error) and ("No space left on device" in str(e)
                                            or "Disk quota exceeded" in str(e)):
            return True
        e = e.__cause__ or e.__context__
    return False


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


def lock_path(target: Path) -> Path:
    """``<db>.lock``: the file writers of ``target`` lock (kept; it is tiny)."""
    return target.with_name(f"{target.name}.lock")


def _holder(fd: int) -> str:
    """Who holds the lock, from what the holder wrote into the lock file."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
        return (f"'needsmap {info.get('command') or 'writer'}' (pid {info.get('pid', '?')}, "
                f"since {info.get('since', '?')})")
    except (OSError, ValueError):
        return "another needsmap command"


@contextmanager
def writer_lock(target: str | os.PathLike[str], wait: float = DEFAULT_WAIT, command: str = "",
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the one-writer lock of ``target`` for the block.

    Parameters
    ----------
    target
        The store path.
    wait
        Seconds to wait for another writer (``0``: fail at once).
    command
        What this writer is (``"build"``, ``"index"``, ``"crime"``), for the message a
        waiting writer shows.
    on_wait
        Called once with a message when the lock is busy and this writer starts waiting.

    Raises
    ------
    StoreBusy
        The lock is still held by another writer after ``wait`` seconds.
    StoreWriteError
        The lock file cannot be created (the directory is not writable).
    """
    target = Path(target)
    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if _is_disk_full(exc):
            raise StoreWriteError(f"disk full: cannot create the lock file {path}") from exc
        raise StoreWriteError(f"cannot create the lock file {path}: {exc}") from exc
    try:
        deadline = time.monotonic() + max(0.0, wait)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                who = _holder(fd)
                if time.monotonic() >= deadline:
                    waited = f"waited {wait:g} s; " if wait > 0 else ""
                    raise StoreBusy(
                        f"the store {target} is being written by {who}; {waited}nothing was "
                        "written. Run this command again when that one has finished (or give "
                        "--wait SECONDS to wait longer).") from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for {who} to finish writing {target} "
                            f"(up to {wait:g} s) ...")
                    told = True
                time.sleep(_POLL)
        info = {"command": command or "writer", "pid": os.getpid(),
                "since": dt.datetime.now().isoformat(timespec="seconds")}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        except OSError:
            pass  # the holder note is only for messages (e.g. a full disk)
        yield
    finally:
        os.close(fd)  # releases the lock


def _identity(p: Path) -> tuple[int, int, int, int] | None:
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _discard(con: duckdb.DuckDBPyConnection | None, tmp: Path) -> None:
    if con is not None:
        try:
            con.close()
        except duckdb.Error:
            pass
    tmp.unlink(missing_ok=True)
    Path(str(tmp) + ".wal").unlink(missing_ok=True)


@contextmanager
def _replacing(target: Path, tmp: Path, con_factory: Callable[[], duckdb.DuckDBPyConnection],
               identity: tuple[int, int, int, int] | None | bool = False
               ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield ``con_factory()`` on ``tmp``; on success move ``tmp`` over ``target``.

    ``identity`` (unless ``False``) is what :func:`_identity` said of the target when
    its content was read; a target that changed since is not replaced.
    """
    con = None
    try:
        con = con_factory()
        yield con
        con.execute("CHECKPOINT")
        con.close()
        con = None
        if identity is not False and _identity(target) != identity:
            raise StoreWriteError(
                f"the store {target} was replaced by another writer while this command ran "
                "(a command that does not take the store's lock); this command's changes "
                "were not written, so they cannot overwrite the other writer's. Run it again.")
        # a write-ahead log left beside the target by a writer that died in place belongs to
        # the old file (update_store copied it with the store): never replay it on the new one
        Path(str(target) + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    except BaseException as exc:
        _discard(con, tmp)
        if _is_disk_full(exc) and not isinstance(exc, StoreWriteError):
            raise StoreWriteError(f"disk full while writing {target} (no space left on device "
                                  f"in {target.parent}); the previous store is untouched"
                                  ) from exc
        raise


@contextmanager
def new_store(target: str | os.PathLike[str], threads: int | None = None,
              spatial: bool = True, wait: float = DEFAULT_WAIT, command: str = "build",
              on_wait: Callable[[str], None] | None = None
              ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a new, empty store that replaces ``target`` when the block succeeds.

    Holds the writer lock (:func:`writer_lock`) for the whole block.

    Parameters
    ----------
    target
        The store path to (re)place.
    threads
        DuckDB threads for the connection (default: DuckDB's own).
    spatial
        Load the spatial extension on the connection.
    wait, command, on_wait
        As for :func:`writer_lock`.

    Raises
    ------
    StoreWriteError
        The directory is not writable, the disk filled up, or another writer held the
        lock too long (:class:`StoreBusy`); the target is untouched.
    """
    target = Path(target)
    check_target(target)
    with writer_lock(target, wait, command, on_wait):
        sweep_killed_writes(target)
        tmp = temporary_path(target)
        with _replacing(target, tmp, lambda: connect(tmp, threads=threads, spatial=spatial)
                        ) as con:
            yield con


@contextmanager
def update_store(target: str | os.PathLike[str], threads: int | None = None,
                 wait: float = DEFAULT_WAIT, command: str = "",
                 on_wait: Callable[[str], None] | None = None
                 ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable copy of the store ``target``; it replaces ``target`` when the block succeeds.

    For commands that change some tables of an existing store (the ``index`` and ``crime``
    commands). Under the writer lock, the store is checked
    (:func:`~needsmap.store.db.open_store`), copied to ``<db>.building-<pid>`` and the
    copy handed to the block; the app may keep the store open throughout.

    Raises
    ------
    StoreError
        The store is missing, unreadable or of another schema version.
    StoreWriteError
        As for :func:`new_store`, or the store was replaced meanwhile by a writer that
        did not take the lock; the target is untouched.
    """
    target = Path(target)
    open_store(target).close()  # exists, readable, this schema version: before any waiting
    check_target(target)
    with writer_lock(target, wait, command, on_wait):
        sweep_killed_writes(target)
        open_store(target).close()  # again: another writer may have replaced it meanwhile
        identity = _identity(target)
        tmp = temporary_path(target)

        def copy_and_open() -> duckdb.DuckDBPyConnection:
            shutil.copyfile(target, tmp)
            wal = Path(str(target) + ".wal")
            if wal.exists():  # committed changes of a writer that died before a checkpoint
                shutil.copyfile(wal, str(tmp) + ".wal")
            return connect(tmp, threads=threads)

        with _replacing(target, tmp, copy_and_open, identity) as con:
            yield con


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
