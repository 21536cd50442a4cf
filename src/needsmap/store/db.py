"""DuckDB connections to the store: open, check, and what tables it has.

Spatial work uses DuckDB's ``spatial`` extension, loaded from the PyPI wheel
``duckdb-extension-spatial`` (``INSTALL spatial`` cannot download here). The wheel
only loads into ``duckdb==1.5.5``, which is why that version is pinned. See
``docs/decisions.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from needsmap.settings import SCHEMA_VERSION
from needsmap.sql import run_sql


class StoreError(RuntimeError):
    """The store is missing, unreadable, locked or of another schema version."""


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Install (from the local wheel) and load the spatial extension into ``con``."""
    try:
        con.execute("LOAD spatial")
        return
    except duckdb.Error:
        pass
    from duckdb_extensions import import_extension

    import_extension("spatial", con=con)
    con.execute("LOAD spatial")


def connect(path: str | os.PathLike[str] | None = None, read_only: bool = False,
            threads: int | None = None, spatial: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection, with the spatial extension loaded unless ``spatial`` is false.

    Parameters
    ----------
    path
        Database file; ``None`` or ``":memory:"`` for an in-memory database.
    read_only
        Open the file read-only (the app always does).
    threads
        DuckDB worker threads; default is DuckDB's own (all cores).
    spatial
        Load the spatial extension now (about 0.2 s). The build passes false and
        loads it on a worker thread while the first CSV files load.
    """
    target = ":memory:" if path is None else str(path)
    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(target, read_only=read_only, config=config)
    if spatial:
        load_spatial(con)
    con.execute("SET enable_progress_bar = false")
    return con


def open_store(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open a built store read-only and check its schema version.

    Raises
    ------
    StoreError
        With a message a user can act on, if the file is missing, locked, not a
        needsmap store, or from another schema version.
    """
    p = Path(path)
    if not p.exists():
        raise StoreError(
            f"No needsmap store at {p}. Build it with `needsmap build --db {p}` "
            "(add --mirror DIR to use an offline mirror of the official files)."
        )
    try:
        con = connect(p, read_only=True)
    except duckdb.Error as exc:  # locked by a writer, or not a DuckDB file
        raise open_error(p, exc) from exc
    check_version(con, p)
    return con


def open_error(path: Path, exc: duckdb.Error) -> StoreError:
    """The :class:`StoreError` for a store file DuckDB could not open (locked, or not DuckDB)."""
    if "lock" in str(exc).lower():
        return StoreError(
            f"The store {path} is locked by another process (a build or another writer). "
            f"Wait for it to finish, or close it, then retry. ({exc})")
    return StoreError(
        f"Cannot open the store {path}: {exc}. Rebuild it with `needsmap build --db {path}`.")


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Check the store on ``con`` is a needsmap store of this :data:`SCHEMA_VERSION`.

    Raises
    ------
    StoreError
        (after closing ``con``) naming ``path`` and what to do, if it is not.
    """
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{path} is not a needsmap store (no meta table). Rebuild it.") from exc
    try:
        version = int(row[0]) if row else -1
    except (TypeError, ValueError):
        version = -1
    if version != SCHEMA_VERSION:
        con.close()
        raise StoreError(
            f"The store {path} has schema version {version}; this needsmap needs "
            f"{SCHEMA_VERSION}. Rebuild it with `needsmap build --db {path}`.")


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists on ``con`` (temporary ones included)."""
    return run_sql(con, "store_has_table", {"name": name}).fetchone()[0] > 0
