"""The DuckDB store: connection, SQL runner and the atomic build."""

from needsmap.store.db import StoreError, connect, open_store, run_sql

__all__ = ["StoreError", "connect", "open_store", "run_sql"]
