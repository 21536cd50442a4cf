"""Cached, read-only reads from the store for the app.

The store is opened once per file version (path + modification time, the *token*) with
:func:`needsmap.store.db.open_store`, which opens it read-only and checks the schema
version. Each query runs on its own cursor, so Streamlit sessions (threads) never share
a DuckDB connection object. Heavy results are cached with ``st.cache_data`` (copied per
caller) or ``st.cache_resource`` (shared, treated as immutable: display geometry).

Tables other engineers build land at different times, so every reader checks
``information_schema`` first (:class:`StoreInfo`) and the views say what is missing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from needsmap.settings import default_db_path
from needsmap.sql import read_query
from needsmap.store import schema
from needsmap.store.db import StoreError, open_store

log = logging.getLogger("needsmap.app")

#: Geometry columns never sent to the UI as data.
GEOM_COLUMNS = ("geom", "geom_wgs84")


@dataclass(frozen=True)
class StoreInfo:
    """What the open store holds: tables and their columns, and ``meta``."""

    path: str
    token: str
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    def has(self, table: str, *columns: str) -> bool:
        """True if ``table`` exists and has every one of ``columns``."""
        cols = self.tables.get(table)
        return cols is not None and all(c in cols for c in columns)

    def columns(self, table: str) -> tuple[str, ...]:
        return self.tables.get(table, ())

    @property
    def scope(self) -> str:
        """``"england"`` or the build's LA list, as the store's ``meta`` says."""
        return self.meta.get("scope", "unknown")

    @property
    def is_england(self) -> bool:
        return self.scope == "england"


def store_path() -> Path:
    """The store the app reads: ``$NEEDSMAP_DB`` or the default ``needsmap build`` path."""
    return default_db_path()


def store_token(path: Path) -> str:
    """A cache key that changes when the store file is rebuilt (atomic replace)."""
    st_ = path.stat()
    return f"{path.resolve()}|{st_.st_mtime_ns}|{st_.st_size}"


def _path_of(token: str) -> Path:
    return Path(token.split("|", 1)[0])


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(token: str) -> duckdb.DuckDBPyConnection:
    con = open_store(_path_of(token))
    # Warm PROJ and the spatial extension once, so the first map is not slowed by it.
    try:
        con.execute("SELECT ST_Transform(ST_Point(400000, 400000), 'EPSG:27700', 'EPSG:4326')").fetchall()
    except duckdb.Error:  # pragma: no cover - spatial is always loaded by connect()
        pass
    return con


def query_df(token: str, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` with bound ``params`` on a fresh cursor and return a DataFrame."""
    cur = _connection(token).cursor()
    try:
        return cur.execute(sql, params).df() if params else cur.execute(sql).df()
    finally:
        cur.close()


def query_named(token: str, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``queries/<name>.sql`` (one SELECT) with bound ``params``."""
    return query_df(token, read_query(name), params)


def open_info(path: Path | None = None) -> StoreInfo:
    """Open the store (read-only) and describe it.

    Raises
    ------
    StoreError
        With a user-facing message if the store is missing, locked, not a needsmap
        store or of another schema version.
    """
    p = Path(path) if path is not None else store_path()
    if not p.exists():
        open_store(p)  # raises StoreError with the "how to build it" message
    token = store_token(p)
    info = info_for(token)
    missing = [t for t in schema.TABLES if t not in info.tables]
    if missing:
        raise StoreError(
            f"The store {p} is not complete (built by an older needsmap, or only in part): it "
            f"has no {', '.join(missing)}. Rebuild it with `needsmap build --db {p}`.")
    return info


@st.cache_data(max_entries=4, show_spinner=False)
def info_for(token: str) -> StoreInfo:
    cols = query_df(token, """
        SELECT table_name, list(column_name ORDER BY ordinal_position) AS cols
        FROM information_schema.columns
        WHERE table_schema = 'main'
        GROUP BY table_name""")
    tables = {r.table_name: tuple(r.cols) for r in cols.itertuples()}
    meta: dict[str, str] = {}
    if "meta" in tables:
        m = query_df(token, "SELECT key, value FROM meta")
        meta = dict(zip(m["key"], m["value"], strict=True))
    return StoreInfo(path=str(_path_of(token)), token=token, tables=tables, meta=meta)


def _select_all(info: StoreInfo, table: str) -> pd.DataFrame:
    """Every non-geometry column of ``table`` (a name from the store's own catalogue)."""
    cols = [c for c in info.columns(table) if c not in GEOM_COLUMNS]
    if not cols:
        return pd.DataFrame()
    # Table and column names come from information_schema, never from the user.
    col_sql = ", ".join(f'"{c}"' for c in cols)
    return query_df(info.token, f'SELECT {col_sql} FROM "{table}"')  # noqa: S608


@st.cache_data(max_entries=8, show_spinner=False)
def table(token: str, name: str) -> pd.DataFrame:
    """A whole (small) table without geometry, or an empty frame if it is absent."""
    info = info_for(token)
    if name not in info.tables:
        return pd.DataFrame()
    return _select_all(info, name)


@st.cache_data(max_entries=4, show_spinner=False)
def lads(token: str) -> pd.DataFrame:
    """LADs the app can show: ``scope_lad``, else those present in ``ward_indicators``."""
    info = info_for(token)
    if info.has("scope_lad", "lad_code", "lad_name"):
        df = query_df(info.token, "SELECT lad_code, lad_name FROM scope_lad")
    elif info.has("ward_indicators", "lad_code", "lad_name"):
        df = query_df(info.token, "SELECT DISTINCT lad_code, lad_name FROM ward_indicators")
    else:
        return pd.DataFrame(columns=["lad_code", "lad_name"])
    # Only LADs that have wards with geometry can be mapped.
    if info.has("ward_indicators", "lad_code"):
        present = query_df(info.token, "SELECT DISTINCT lad_code FROM ward_indicators")
        df = df[df["lad_code"].isin(present["lad_code"])]
    return df.sort_values("lad_name").reset_index(drop=True)


@dataclass(frozen=True)
class DisplayGeometry:
    """Simplified ward polygons for one view, ready to embed in the map.

    ``features_json`` is a JSON array, one entry per ward in ``codes`` order, of
    delta-encoded polygons (see :func:`encode_geometry`), kept as text so it is never
    parsed and re-serialised on a rerun. ``quantum`` is the coordinate step in degrees.
    """

    codes: tuple[str, ...]
    features_json: str
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))
    tolerance_m: float
    quantum: float = 1e-5

    @property
    def n(self) -> int:
        return len(self.codes)


def display_tolerance(n_lads: int | None) -> tuple[float, float]:
    """Simplification tolerance (m) and coordinate precision (degrees) for a view.

    One LA is drawn near full detail (10 m, ~1 m precision); all England, where a screen
    pixel is over a kilometre wide, at 150 m and ~10 m precision.
    """
    if n_lads is None:
        return 150.0, 1e-4
    if n_lads <= 1:
        return 10.0, 1e-5
    if n_lads <= 5:
        return 25.0, 1e-5
    return 60.0, 1e-4


@st.cache_resource(max_entries=16, show_spinner=False)
def display_geometry(token: str, lad_codes: tuple[str, ...] | None) -> DisplayGeometry:
    """Wards of ``lad_codes`` (``None`` = every ward in the store), simplified for display.

    Uses ``queries/app_display_geometry.sql`` (``ST_CoverageSimplify``: shared edges stay
    shared, no gaps or slivers). Falls back to per-ward ``ST_SimplifyPreserveTopology``
    if the coverage is not valid for GEOS.
    """
    info = info_for(token)
    tol, precision = display_tolerance(None if lad_codes is None else len(lad_codes))
    params = {"all_areas": lad_codes is None, "lads": list(lad_codes or []),
              "tolerance": tol, "precision": precision}
    try:
        df = query_named(info.token, "app_display_geometry", params)
    except duckdb.Error as exc:
        log.warning("coverage simplification failed (%s); simplifying ward by ward", exc)
        df = query_named(info.token, "app_display_geometry_fallback", params)
    if df.empty:
        return DisplayGeometry((), "[]", ((49.9, -6.4), (55.8, 1.8)), tol, precision)
    bounds = ((float(df["ymin"].min()), float(df["xmin"].min())),
              (float(df["ymax"].max()), float(df["xmax"].max())))
    encoded = ",".join(encode_geometry(g, precision) for g in df["geojson"])
    return DisplayGeometry(tuple(df["ward_code"]), "[" + encoded + "]", bounds, tol, precision)


@st.cache_resource(max_entries=8, show_spinner=False)
def lad_outlines(token: str, lad_codes: tuple[str, ...] | None) -> str:
    """LA boundary lines for a multi-LA view, encoded like :func:`encode_geometry`
    (each entry a list of line parts). ``"[]"`` if they cannot be made."""
    tol, precision = display_tolerance(None if lad_codes is None else len(lad_codes))
    params = {"all_areas": lad_codes is None, "lads": list(lad_codes or []),
              "tolerance": tol * 1.5, "precision": precision}
    try:
        df = query_named(token, "app_lad_outlines", params)
    except duckdb.Error as exc:
        log.warning("LA outlines unavailable: %s", exc)
        return "[]"
    return "[" + ",".join(encode_geometry(g, precision) for g in df["geojson"] if g) + "]"


def encode_geometry(geojson: str, quantum: float) -> str:
    """A (Multi)Polygon as compact JSON: polygons -> rings -> flat integer deltas.

    Each ring is ``[x0, y0, dx1, dy1, ...]`` in units of ``quantum`` degrees (lon, lat),
    the first pair absolute. This is about 2.5 times smaller than GeoJSON text and is
    decoded in the browser by :class:`needsmap.views.maps.WardChoropleth`.
    """
    g = json.loads(geojson)
    kind = g.get("type")
    if kind in ("Polygon", "MultiLineString"):
        polys = [g["coordinates"]]
    elif kind == "LineString":
        polys = [[g["coordinates"]]]
    elif kind == "GeometryCollection":
        return "[" + ",".join(encode_geometry(json.dumps(x), quantum)[1:-1]
                              for x in g.get("geometries", []) if x) + "]"
    else:
        polys = g.get("coordinates", [])
    out = []
    for poly in polys:
        rings = []
        for ring in poly:
            a = np.rint(np.asarray(ring, dtype=float) / quantum).astype(np.int64)
            if len(a) == 0:
                continue
            d = np.vstack([a[:1], np.diff(a, axis=0)])
            rings.append("[" + ",".join(map(str, d.ravel().tolist())) + "]")
        if rings:
            out.append("[" + ",".join(rings) + "]")
    return "[" + ",".join(out) + "]"


@st.cache_data(max_entries=4, show_spinner=False)
def ward_table(token: str) -> pd.DataFrame:
    """``ward_indicators`` (wards in scope) without geometry."""
    return table(token, "ward_indicators")


@st.cache_data(max_entries=4, show_spinner=False)
def england_table(token: str) -> pd.DataFrame:
    """Every English ward's indicators (for national ranks and deciles)."""
    df = table(token, "ward_indicators_england")
    return df if not df.empty else ward_table(token)


@st.cache_data(max_entries=8, show_spinner=False)
def services(token: str, lad_codes: tuple[str, ...] | None) -> pd.DataFrame:
    """Services in the LADs in view (``None``: all): ``id, name, type, source, lon, lat, ...``."""
    df = query_named(token, "app_services", {"lads": None if lad_codes is None
                                             else list(lad_codes)})
    return df.rename(columns={"service_id": "id"})


@st.cache_data(max_entries=4, show_spinner=False)
def sources(token: str) -> pd.DataFrame:
    """The ``source`` table: publisher, title, licence and vintage of every file used."""
    return table(token, "source")


__all__ = [
    "DisplayGeometry",
    "StoreError",
    "StoreInfo",
    "display_geometry",
    "england_table",
    "lads",
    "open_info",
    "query_df",
    "services",
    "sources",
    "store_path",
    "table",
    "ward_table",
]
