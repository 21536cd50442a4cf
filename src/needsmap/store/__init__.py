"""The DuckDB store: connections (:mod:`.db`), the table contract (:mod:`.schema`) and the
atomic write (:mod:`.writer`). The store runs no build stage; :mod:`needsmap.pipeline` does."""

from needsmap.store.db import StoreError, connect, has_table, open_store

__all__ = ["StoreError", "connect", "has_table", "open_store"]
