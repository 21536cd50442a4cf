"""Read-only reads from the store for the app, and which store file the app reads.

Store versions
--------------
A *token* names one version of the store file: its path, inode, modification time and
size. ``needsmap build`` (and ``index``, ``crime``) replace the file atomically, so a new
version has a new inode and a new token. Every script run calls :func:`checkout` first
(through :func:`session_store`): it stats the file (microseconds), opens the version if
it is new, and pins it for the run; :func:`release` unpins it at the end of the run. So:

* a new browser session (and every rerun) reads the newest file within one run of its
  replacement, with no restart;
* one run (one page) reads one version only, never a mix of old and new tables;
* the old version's connection is closed as soon as the last run using it ends, so the
  replaced file's disk space is released, and its cached results are dropped.

Each version is opened as its own in-memory DuckDB database with the file ATTACHed
read-only (``USE store``). Opening the path with ``duckdb.connect`` would not do: DuckDB
keeps one database instance per path and hands it back to every later ``connect``, so
after a replace the app would go on reading the deleted file.

Caching
-------
Shared results (tables, display geometry, payloads) are cached process-wide by
:mod:`needsmap.views._memo`, keyed by token; they are read-only. Each query runs on
its own cursor, so Streamlit sessions (threads) never share a connection object.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from needsmap.settings import default_db_path
from needsmap.sql import literal, read_query
from needsmap.store import schema
from needsmap.store.db import StoreError, check_version, connect, open_error
from needsmap.views._memo import forget_everywhere, memo

log = logging.getLogger("needsmap.app")

#: Geometry columns never sent to the UI as data.
GEOM_COLUMNS = ("geom", "geom_wgs84")
_CATALOG = "store"


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

    @property
    def short(self) -> str:
        """A short, stable id of this store version (for payload keys)."""
        return short_token(self.token)


def short_token(token: str) -> str:
    return hashlib.sha1(token.encode()).hexdigest()[:10]


def store_path() -> Path:
    """The store the app reads: ``$NEEDSMAP_DB`` or the default ``needsmap build`` path."""
    return default_db_path()


def store_token(path: Path) -> str:
    """The version of the store file at ``path``: changes whenever the file is replaced."""
    p = path.resolve()
    st_ = p.stat()
    return f"{p}|{st_.st_ino}|{st_.st_mtime_ns}|{st_.st_size}"


def _path_of(token: str) -> Path:
    return Path(token.split("|", 1)[0])


# --- open store versions ------------------------------------------------------------

def _open_version(path: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory database with ``path`` attached read-only as ``store`` (default).

    Raises
    ------
    StoreError
        With a user-facing message if the file is not a needsmap store of this
        schema version or cannot be opened.
    """
    con = connect(None, threads=threads)
    try:
        # ATTACH takes no parameters; the path is the app's own setting, not a user's value
        con.execute(f"ATTACH {literal(str(path))} AS {_CATALOG} (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise open_error(path, exc) from exc
    con.execute(f"USE {_CATALOG}")
    check_version(con, path)
    try:  # warm PROJ once, so the first map is not slowed by it
        con.execute("SELECT ST_Transform(ST_Point(400000, 400000), 'EPSG:27700', "
                    "'EPSG:4326')").fetchall()
    except duckdb.Error:  # pragma: no cover - spatial is always loaded by connect()
        pass
    return con


@dataclass
class _Version:
    token: str
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False


class _Registry:
    """The open store versions, with how many runs (or background jobs) use each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, _Version] = {}
        self._newest: dict[str, str] = {}  # resolved path -> newest token

    def checkout(self, path: Path) -> str:
        if not path.exists():
            raise StoreError(
                f"No needsmap store at {path}. Build it with `needsmap build --db {path}` "
                "(add --mirror DIR to use an offline mirror of the official files).")
        token = store_token(path)
        with self._lock:
            v = self._open.get(token)
            if v is not None:
                v.users += 1
                return token
        con = _open_version(path)  # outside the lock: a few tens of ms
        retired: list[_Version] = []
        with self._lock:
            v = self._open.get(token)
            if v is None:
                v = self._open[token] = _Version(token, con)
                con = None
            v.users += 1
            key = str(path.resolve())
            old = self._newest.get(key)
            self._newest[key] = token
            if old and old != token and old in self._open:
                ov = self._open[old]
                ov.retired = True
                if ov.users == 0:
                    retired.append(self._open.pop(old))
        if con is not None:  # another thread opened the same version meanwhile
            con.close()
        for ov in retired:
            self._close(ov)
        return token

    def release(self, token: str) -> None:
        with self._lock:
            v = self._open.get(token)
            if v is None:
                return
            v.users = max(0, v.users - 1)
            if not (v.retired and v.users == 0):
                return
            self._open.pop(token)
        self._close(v)

    def connection(self, token: str) -> duckdb.DuckDBPyConnection:
        with self._lock:
            v = self._open.get(token)
        if v is None:  # runs hold their version; a stray caller of a closed one gets this
            raise StoreError("This version of the store has been replaced and closed; "
                             "reload the page.")
        return v.con

    def _close(self, v: _Version) -> None:
        log.info("store version replaced: closing %s", v.token)
        try:
            v.con.close()
        except duckdb.Error:  # pragma: no cover
            pass
        forget_everywhere(v.token)

    def open_tokens(self) -> list[str]:
        with self._lock:
            return list(self._open)


_REGISTRY = _Registry()


def checkout(path: Path | None = None) -> StoreInfo:
    """Pin the newest version of the store for this run and describe it.

    Raises
    ------
    StoreError
        With a user-facing message if the store is missing, locked, not a needsmap
        store, of another schema version, or lacks tables of the contract
        (:mod:`needsmap.store.schema`).
    """
    p = Path(path) if path is not None else store_path()
    token = _REGISTRY.checkout(p)
    try:
        info = info_for(token)
        missing = [t for t in schema.TABLES if t not in info.tables]
        if missing:
            raise StoreError(
                f"The store {p} is not complete (built by an older needsmap, or only in part): "
                f"it has no {', '.join(missing)}. Rebuild it with `needsmap build --db {p}`.")
        return info
    except BaseException:
        _REGISTRY.release(token)
        raise


def release(token: str) -> None:
    """Unpin a version taken by :func:`checkout` (the last user of a replaced one closes it)."""
    _REGISTRY.release(token)


@contextlib.contextmanager
def session_store(path: Path | None = None) -> Iterator[StoreInfo]:
    """The store version for one script run (see the module docstring)."""
    info = checkout(path)
    try:
        yield info
    finally:
        release(info.token)


def open_info(path: Path | None = None) -> StoreInfo:
    """Describe the newest version of the store (for callers outside a script run,
    which keep it open for the process's life)."""
    return checkout(path)


def open_tokens() -> list[str]:
    """Tokens of the store versions open now (tests check a replaced one is closed)."""
    return _REGISTRY.open_tokens()


def cursor(token: str) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on ``token``'s version, reading the store's tables by default.

    Close it when done.
    """
    cur = _REGISTRY.connection(token).cursor()
    cur.execute(f"USE {_CATALOG}")
    return cur


def query_df(token: str, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` with bound ``params`` on a fresh cursor and return a DataFrame."""
    cur = cursor(token)
    try:
        return cur.execute(sql, params).df() if params else cur.execute(sql).df()
    finally:
        cur.close()


def query_named(token: str, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``queries/<name>.sql`` (one SELECT) with bound ``params``."""
    return query_df(token, read_query(name), params)


# --- what the store holds -----------------------------------------------------------

@memo(maxsize=8)
def info_for(token: str) -> StoreInfo:
    cols = query_df(token, """
        SELECT table_name, list(column_name ORDER BY ordinal_position) AS cols
        FROM information_schema.columns
        WHERE table_catalog = current_database() AND table_schema = 'main'
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


@memo(maxsize=32)
def table(token: str, name: str) -> pd.DataFrame:
    """A whole (small) table without geometry, or an empty frame if it is absent.

    Shared between sessions: never modify the frame in place.
    """
    info = info_for(token)
    if name not in info.tables:
        return pd.DataFrame()
    return _select_all(info, name)


@memo(maxsize=8)
def lads(token: str) -> pd.DataFrame:
    """LADs the app can show: ``scope_lad``, else those present in ``ward_indicators``."""
    info = info_for(token)
    if info.has("scope_lad", "lad_code", "lad_name"):
        df = query_df(info.token, "SELECT lad_code, lad_name FROM scope_lad")
    elif info.has("ward_indicators", "lad_code", "lad_name"):
        df = query_df(info.token, "SELECT DISTINCT lad_code, lad_name FROM ward_indicators")
    else:
        return pd.DataFrame(columns=["lad_code", "lad_name"])
    # Only LADs that have wards with geometry can be mapped (Welsh wards: from `ward`).
    if info.has("ward_indicators", "lad_code"):
        present = query_df(info.token, "SELECT DISTINCT lad_code FROM ward_indicators")
        welsh = (query_named(info.token, "app_nations_present")
                 if info.has("ward", "nation", "geom") else pd.DataFrame(columns=["lad_code", "nation"]))
        keep = set(present["lad_code"]) | set(welsh.loc[welsh["nation"] == "Wales", "lad_code"])
        df = df[df["lad_code"].isin(keep)]
    return df.sort_values("lad_name").reset_index(drop=True)


def ward_table(token: str) -> pd.DataFrame:
    """``ward_indicators`` (wards in scope) without geometry."""
    return table(token, "ward_indicators")


@memo(maxsize=8)
def england_table(token: str) -> pd.DataFrame:
    """Every English ward's indicators (for national ranks and deciles)."""
    df = table(token, "ward_indicators_england")
    return df if not df.empty else ward_table(token)


@memo(maxsize=64)
def services(token: str, lad_codes: tuple[str, ...] | None) -> pd.DataFrame:
    """Services in the LADs in view (``None``: all): ``id, name, type, source, lon, lat, ...``."""
    if "service" not in info_for(token).tables:
        return pd.DataFrame(columns=["id", "name", "type", "source", "vintage", "lon", "lat",
                                     "lad_code", "ward_code"])
    df = query_named(token, "app_services", {"lads": None if lad_codes is None
                                             else list(lad_codes)})
    return df.rename(columns={"service_id": "id"})


def sources(token: str) -> pd.DataFrame:
    """The ``source`` table: publisher, title, licence and vintage of every file used."""
    return table(token, "source")


# --- display geometry -----------------------------------------------------------------

#: Levels of detail: name -> (simplification tolerance in m, coordinate step in degrees).
#: One LA (or up to five) is drawn near full detail; all England, where a screen pixel
#: is over a kilometre wide, at 150 m and ~10 m precision.
LEVELS: dict[str, tuple[float, float]] = {
    "fine": (10.0, 1e-5),
    "mid": (60.0, 1e-4),
    "coarse": (150.0, 1e-4),
}


def level_for(lad_codes: tuple[str, ...] | None) -> str:
    """The level of detail for a view of ``lad_codes`` (``None`` = every ward)."""
    if lad_codes is None:
        return "coarse"
    return "fine" if len(lad_codes) <= 5 else "mid"


@dataclass(frozen=True)
class _Level:
    """Every ward's (and LA outline's) encoded display geometry at one level."""

    wards: dict[str, tuple[str, tuple[float, float, float, float]]]  # code -> (enc, bbox)
    lads: dict[str, str]  # lad_code -> encoded outline
    quantum: float


def _encode_rows(df: pd.DataFrame, quantum: float) -> _Level:
    wards, outlines = {}, {}
    for kind, code, gj, x0, y0, x1, y1 in df[["kind", "code", "geojson", "xmin", "ymin",
                                              "xmax", "ymax"]].itertuples(index=False):
        if not gj:
            continue
        if kind == "ward":
            wards[code] = (encode_geometry(gj, quantum), (float(y0), float(x0), float(y1),
                                                          float(x1)))
        else:
            outlines[code] = encode_geometry(gj, quantum)
    return _Level(wards, outlines, quantum)


@memo(maxsize=6)
def level(token: str, name: str) -> _Level:
    """Every ward at level ``name`` (``queries/app_display_level.sql``), encoded.

    Falls back to simplifying each ward on its own if the wards are not a valid
    coverage for GEOS (shared edges may then differ slightly).
    """
    tol, quantum = LEVELS[name]
    params = {"tolerance": tol, "precision": quantum}
    cur = cursor(token)
    try:
        try:
            df = cur.execute(read_query("app_display_level"), params).df()
        except duckdb.Error as exc:
            log.warning("coverage simplification failed (%s); simplifying ward by ward", exc)
            df = cur.execute(read_query("app_display_geometry_fallback"),
                             params | {"all_areas": True, "lads": []}).df()
            df = df.rename(columns={"ward_code": "code"}).assign(kind="ward", lad_code=None)
    finally:
        cur.close()
    return _encode_rows(df, quantum)


@memo(maxsize=400)
def _area_query(token: str, lad_codes: tuple[str, ...]) -> _Level:
    """The wards of a few LAs, simplified on their own (used until the level is ready)."""
    tol, quantum = LEVELS[level_for(lad_codes)]
    params = {"all_areas": False, "lads": list(lad_codes), "tolerance": tol,
              "precision": quantum}
    try:
        df = query_named(token, "app_display_geometry", params)
    except duckdb.Error as exc:
        log.warning("coverage simplification failed (%s); simplifying ward by ward", exc)
        df = query_named(token, "app_display_geometry_fallback", params)
    df = df.rename(columns={"ward_code": "code"}).assign(kind="ward", lad_code=None)
    lv = _encode_rows(df, quantum)
    if len(lad_codes) > 1:
        o = query_named(token, "app_lad_outlines", params | {"tolerance": tol * 1.5})
        lv.lads.update({c: encode_geometry(g, quantum) for c, g in zip(o["lad_code"], o["geojson"],
                                                                     strict=True) if g})
    return lv


@dataclass(frozen=True)
class AreaGeometry:
    """The wards of one view, ready to send to the map.

    ``features_json`` is a JSON array, one entry per ward in ``codes`` order, of
    delta-encoded polygons (see :func:`encode_geometry`); ``outlines_json`` the LA
    outlines (multi-LA views only). ``key`` names this payload (store version, area,
    level): the browser keeps what it has been sent under this key.
    """

    key: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    lad_names: tuple[str, ...]
    features_json: str
    outlines_json: str
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))
    quantum: float
    level: str

    @property
    def n(self) -> int:
        return len(self.codes)


def area_key(lad_codes: tuple[str, ...] | None) -> str:
    return "all" if lad_codes is None else hashlib.sha1(",".join(lad_codes).encode()).hexdigest()[:10]


def area_geometry(token: str, lad_codes: tuple[str, ...] | None) -> AreaGeometry:
    """The display geometry of the wards of ``lad_codes`` (``None`` = every ward).

    Taken from the precomputed level of detail (:func:`level`) when it is ready; until
    then a view of a few LAs is simplified on its own (a tenth of a second) and the
    level is computed in the background (:func:`warm_levels`).
    """
    name = level_for(lad_codes)
    source = "L"
    if lad_codes is not None and (level.peek(token, name) is None
                                  or _area_cached.peek(token, lad_codes, name, "Q") is not None):
        # until the level is ready; and an area already drawn this way stays so, so that
        # its payload keeps its key (a browser that has it is not sent it again)
        warm_levels(token, [name])
        source = "Q"
    return _area_cached(token, lad_codes, name, source)


@memo(maxsize=128)
def _area_cached(token: str, lad_codes: tuple[str, ...] | None, name: str,
                 source: str) -> AreaGeometry:
    lv = level(token, name) if source == "L" else _area_query(token, lad_codes or ())
    return _build_area(token, lad_codes, name, source, lv)


def _build_area(token: str, lad_codes: tuple[str, ...] | None, name: str, source: str,
                lv: _Level) -> AreaGeometry:
    wards = ward_table(token)
    if lad_codes is not None:
        wards = wards[wards["lad_code"].isin(lad_codes)]
    wards = wards.sort_values("ward_code")
    codes, enc, boxes = [], [], []
    names, lnames = [], []
    wn = wards["ward_name"] if "ward_name" in wards else wards["ward_code"]
    ln = wards["lad_name"] if "lad_name" in wards else pd.Series([""] * len(wards))
    for code, nm, la in zip(wards["ward_code"], wn, ln, strict=True):
        hit = lv.wards.get(code)
        if hit is None:
            continue
        codes.append(code)
        names.append(str(nm) if pd.notna(nm) else code)
        lnames.append(str(la) if pd.notna(la) else "")
        enc.append(hit[0])
        boxes.append(hit[1])
    if boxes:
        b = np.asarray(boxes)
        bounds = ((float(b[:, 0].min()), float(b[:, 1].min())),
                  (float(b[:, 2].max()), float(b[:, 3].max())))
    else:
        bounds = ((49.9, -6.4), (55.8, 1.8))
    multi = lad_codes is None or len(lad_codes) > 1
    outlines = "[]"
    if multi:
        keep = lv.lads if lad_codes is None else {c: lv.lads[c] for c in lad_codes if c in lv.lads}
        outlines = "[" + ",".join(keep.values()) + "]"
    key = f"{short_token(token)}-{area_key(lad_codes)}-{name}{source}"
    return AreaGeometry(key, tuple(codes), tuple(names), tuple(lnames),
                        "[" + ",".join(enc) + "]", outlines, bounds, lv.quantum, name)


def encode_geometry(geojson: str, quantum: float) -> str:
    """A (Multi)Polygon as compact JSON: polygons -> rings -> flat integer deltas.

    Each ring is ``[x0, y0, dx1, dy1, ...]`` in units of ``quantum`` degrees (lon, lat),
    the first pair absolute. This is about 2.5 times smaller than GeoJSON text and is
    decoded in the browser by the map (``needsmap/views/map.js``).
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


# --- background work ----------------------------------------------------------------

_BG_LOCK = threading.Lock()
_BG_QUEUED: set[tuple[str, str]] = set()


def warm_levels(token: str, names: list[str]) -> None:
    """Compute the levels ``names`` for ``token`` in a background thread (once each).

    The thread runs at a lower CPU priority (Linux ``nice`` 10 for that thread), so
    sessions being served go first; it pins the store version while it works.
    """
    todo = []
    with _BG_LOCK:
        for n in names:
            if (token, n) not in _BG_QUEUED and level.peek(token, n) is None:
                _BG_QUEUED.add((token, n))
                todo.append(n)
    if not todo:
        return

    def work() -> None:
        with contextlib.suppress(OSError, AttributeError):
            import os

            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            pinned = _REGISTRY.checkout(_path_of(token))
        except (StoreError, OSError):
            return
        try:
            if pinned != token:  # replaced meanwhile: the new version warms itself
                return
            for n in todo:
                try:
                    level(token, n)
                except Exception:  # noqa: BLE001 - a failed warm-up only costs speed
                    log.exception("display geometry level %s could not be computed", n)
        finally:
            _REGISTRY.release(pinned)
            with _BG_LOCK:
                _BG_QUEUED.difference_update((token, n) for n in todo)

    threading.Thread(target=work, name="needsmap-levels", daemon=True).start()


__all__ = [
    "AreaGeometry",
    "StoreError",
    "StoreInfo",
    "area_geometry",
    "checkout",
    "cursor",
    "england_table",
    "lads",
    "open_info",
    "query_df",
    "release",
    "services",
    "session_store",
    "sources",
    "store_path",
    "table",
    "ward_table",
]
