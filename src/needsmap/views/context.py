"""What every view's ``render(ctx)`` receives."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from needsmap.views import data


@dataclass
class ViewContext:
    """The open store and shared app state, passed to each view's ``render(ctx)``.

    Attributes
    ----------
    info
        Tables, columns and ``meta`` of the open (read-only) store.
    lads
        LADs with mapped wards (``lad_code, lad_name``), sorted by name.
    selected_lads
        LADs the user last picked in Explore (for other views' defaults); empty = none.
    selected_ward
        Ward code selected in Explore, or ``None``.
    session_services
        The user's uploaded services for this session (``name, type, source, lon, lat``
        ...), or an empty frame.
    """

    info: data.StoreInfo
    lads: pd.DataFrame
    selected_lads: list[str] = field(default_factory=list)
    selected_ward: str | None = None
    session_services: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def token(self) -> str:
        """Cache key of the store file (path + mtime)."""
        return self.info.token

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh read-only cursor on the store; close it when done."""
        return data.cursor(self.info.token)

    def query(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        """Run a read-only query with bound parameters."""
        return data.query_df(self.info.token, sql, params)

    def lad_name(self, code: str) -> str:
        hit = self.lads.loc[self.lads["lad_code"] == code, "lad_name"]
        return str(hit.iloc[0]) if len(hit) else code
