"""Compute the modelled ACE risk index: the SQL path and the fast numpy path.

The SQL path (``queries/ace_input.sql`` -> ``ace_rank.sql`` -> ``ace_score.sql``)
is the reference and writes the store tables. The app recomputes on every
slider change, so :func:`load_indicator_frame` runs the (weight-independent)
input and ranking SQL once and caches the per-indicator components as numpy
arrays in an :class:`IndicatorFrame`; :func:`compute_index` on that frame is
then one weighted sum and one sort. Both paths sum the components in
registry order and rank with the same rule, so they give identical results
(``tests/test_index_paths.py``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import ndtri

from needsmap.index.indicators import INDICATORS, NAMES
from needsmap.index.methods import (
    SCOPES,
    IndexSpecError,
    check_scope,
    get_method,
    normalise_weights,
)
from needsmap.index.ranking import classes, group_counts, position_desc, rank_desc
from needsmap.index.stability import CONCENTRATION, DRAWS, SEED, rank_stability
from needsmap.sql import run_sql
from needsmap.store.db import StoreError, has_table, open_store

#: Columns of the SQL scoring step ``ace_scored`` and of the numpy twin, in order.
_SCORED_COLUMNS: tuple[str, ...] = (
    "ward_code", "ward_name", "lad_code", "lad_name", "population", "children_0_15",
    "ace_score", "ace_rank_england", "ace_decile_england", "ace_rank_in_lad",
    "ace_quintile_in_lad", "n_indicators",
    *(i.ns_column for i in INDICATORS), "recorded_crime_source",
)

#: Columns of :func:`compute_index` without stability: the same as the store's ``ward_ace``
#: up to the stability columns (which follow when ``stability=True``).
SCORE_COLUMNS: tuple[str, ...] = (
    *_SCORED_COLUMNS[:6], "method", "scope", *_SCORED_COLUMNS[6:-1], "crime_source",
)

#: Columns the store's ``ward_indicators_england`` must provide.
REQUIRED_COLUMNS = ("ward_code", "lad_code", "child_poverty_rate", "income_rate",
                    "crime_score", "density_per_km2")
#: Optional columns (filled with NULL when a hand-made frame lacks them).
OPTIONAL_COLUMNS = ("ward_name", "lad_name", "population", "children_0_15", "health_score")

_COMPONENT_COLUMN = {"rank": "r", "normal": "ns", "exponential": "ex"}


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``ace_ndtri(p)`` = Φ⁻¹(p) (``scipy.special.ndtri``) on ``con``."""

    def _ndtri(p: pa.Array) -> pa.Array:
        return pa.array(ndtri(p.to_numpy(zero_copy_only=False)), from_pandas=True)

    try:
        con.create_function("ace_ndtri", _ndtri, ["DOUBLE"], "DOUBLE", type="arrow")
    except (duckdb.CatalogException, duckdb.NotImplementedException):
        pass  # already registered on this connection


def prepare_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp tables ``ace_ward`` and ``ace_input`` from the store on ``con``.

    Uses ``ward_crime`` for the ``recorded_crime`` indicator when the store has it.
    """
    if not has_table(con, "ward_indicators_england"):
        raise IndexSpecError(
            "the store has no ward_indicators_england table; build it with `needsmap build`"
        )
    register_udfs(con)
    run_sql(con, "ace_crime_input" if has_table(con, "ward_crime") else "ace_crime_none")
    run_sql(con, "ace_input")


def _weight_params(w: np.ndarray) -> dict[str, float]:
    return {f"w_{n}": float(v) for n, v in zip(NAMES, w, strict=True)}


def score_sql(con: duckdb.DuckDBPyConnection, method: str = "lewer",
              weights: Mapping[str, float] | None = None, scope: str = "england",
              rank: bool = True) -> None:
    """Run the SQL path into the temp table ``ace_scored`` (inputs must be prepared).

    Parameters
    ----------
    rank
        Run ``ace_rank.sql`` for ``scope`` first (skip if ``ace_ranked`` is current).
    """
    m = get_method(method)
    scope = check_scope(scope)
    w = normalise_weights(weights)
    if rank:
        run_sql(con, "ace_rank", {"scope": scope})
    run_sql(con, "ace_score", {"component": m.component, "scope": scope, **_weight_params(w)})


def compute_index_sql(con: duckdb.DuckDBPyConnection, method: str = "lewer",
                      weights: Mapping[str, float] | None = None,
                      scope: str = "england") -> pd.DataFrame:
    """Compute the index with the SQL path and return it (one row per ward, by ward code)."""
    prepare_inputs(con)
    score_sql(con, method, weights, scope)
    df = con.execute("SELECT * FROM ace_scored ORDER BY ward_code").df()
    return _tidy_types(df)


@dataclass
class IndicatorFrame:
    """Weight-independent index inputs, cached for fast recomputation.

    Attributes
    ----------
    ward
        Ward attributes in ward-code order (``ward_code`` ... ``recorded_crime_source``).
    lad_ids
        Integer LAD id per ward (codes sorted).
    components
        ``components[scope][component]``: ``(n, K)`` array in registry order, NaN = missing;
        component is ``"rank"``, ``"normal"`` or ``"exponential"``.
    """

    ward: pd.DataFrame
    lad_ids: np.ndarray
    n_lads: int
    components: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    _constants: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of wards."""
        return len(self.ward)

    def constant(self, value: str) -> pd.Series:
        """A cached string column holding ``value`` for every ward (copy-on-write safe)."""
        if value not in self._constants:
            self._constants[value] = pd.Series([value] * self.n, dtype="str")
        return self._constants[value]


def _frame_connection(df: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with ``df`` as ``ward_indicators_england``."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise IndexSpecError(f"indicator frame lacks columns: {', '.join(missing)}")
    if df["ward_code"].duplicated().any():
        dup = df.loc[df["ward_code"].duplicated(), "ward_code"].iloc[0]
        raise IndexSpecError(f"indicator frame has ward_code {dup!r} more than once")
    frame = df.copy()
    for c in OPTIONAL_COLUMNS:
        if c not in frame.columns:
            frame[c] = None if c in ("ward_name", "lad_name") else np.nan
    con = duckdb.connect(":memory:")
    con.register("ward_indicators_england_df", frame)
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM ward_indicators_england_df")
    con.unregister("ward_indicators_england_df")
    return con


def load_indicator_frame(
    source: duckdb.DuckDBPyConnection | pd.DataFrame | str | os.PathLike[str],
) -> IndicatorFrame:
    """Run the input and ranking SQL once and cache the components.

    Parameters
    ----------
    source
        An open store connection (read-only is fine), a store path (opened
        read-only), or a DataFrame shaped like ``ward_indicators_england``.
    """
    if isinstance(source, (str, os.PathLike)):
        con = open_store(source)
        try:
            return _load(con)
        finally:
            con.close()
    if isinstance(source, pd.DataFrame):
        con = _frame_connection(source)
        try:
            return _load(con)
        finally:
            con.close()
    return _load(source)


def store_frame(path: str | os.PathLike[str]) -> IndicatorFrame:
    """Return the :class:`IndicatorFrame` of the store at ``path``, cached per file version.

    The cache key is the resolved path and the file's modification time, so a
    rebuilt store is reloaded. The app can call this on every rerun.
    """
    p = Path(path).expanduser().resolve()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise StoreError(f"No needsmap store at {p}. Build it with `needsmap build`.") from exc
    return _store_frame_cached(str(p), mtime)


@functools.lru_cache(maxsize=4)
def _store_frame_cached(path: str, mtime_ns: int) -> IndicatorFrame:
    return load_indicator_frame(path)


def _load(con: duckdb.DuckDBPyConnection) -> IndicatorFrame:
    prepare_inputs(con)
    ward = con.execute(
        "SELECT ward_code, ward_name, lad_code, lad_name, population, children_0_15, "
        "recorded_crime_source FROM ace_ward ORDER BY ward_code"
    ).df()
    codes = ward["ward_code"].to_numpy()
    lad_codes, lad_ids = np.unique(ward["lad_code"].astype(str).to_numpy(), return_inverse=True)
    pos = pd.Index(codes)
    frame = IndicatorFrame(ward=ward, lad_ids=lad_ids.astype(np.int64), n_lads=len(lad_codes))
    for scope in SCOPES:
        run_sql(con, "ace_rank", {"scope": scope})
        got = con.execute("SELECT ward_code, indicator, r, ns, ex FROM ace_ranked").fetchnumpy()
        rows = pos.get_indexer(got["ward_code"])
        cols = pd.Index(NAMES).get_indexer(got["indicator"])
        comps = {}
        for comp, col in _COMPONENT_COLUMN.items():
            a = np.full((len(codes), len(NAMES)), np.nan)
            a[rows, cols] = np.asarray(got[col], dtype=float)
            comps[comp] = a
        frame.components[scope] = comps
    return frame


def _score_numpy(frame: IndicatorFrame, method: str, w: np.ndarray,
                 scope: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Numpy twin of ``ace_score.sql`` + ``ace_tables.sql``; returns the frame and classes.

    The class is the national decile (scope england) or LA quintile (scope lad),
    0 for a ward without a score.
    """
    comp = frame.components[scope][get_method(method).component]
    valid = ~np.isnan(comp)
    n = frame.n
    num = np.zeros(n)
    wsum = np.zeros(n)
    n_ind = np.zeros(n, dtype=np.int64)
    for k in range(comp.shape[1]):  # registry order, as in SQL
        wk = float(w[k])
        num = num + np.where(valid[:, k], wk * np.nan_to_num(comp[:, k]), 0.0)
        wsum = wsum + np.where(valid[:, k], wk, 0.0)
        n_ind += valid[:, k] & (wk > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(wsum > 0, num / wsum, np.nan)
    ok = ~np.isnan(score)
    rank_lad = rank_desc(score, frame.lad_ids)
    n_lad = group_counts(ok[None, :], frame.lad_ids, frame.n_lads)[0]
    quint_lad = classes(position_desc(score, frame.lad_ids), n_lad, 5)
    none = np.ones(n, dtype=bool)
    if scope == "england":
        rank_eng = _int_array(rank_desc(score), ~ok)
        dec = classes(position_desc(score), np.full(n, ok.sum()), 10)
        dec_eng = _int_array(dec, ~ok)
        base_class = dec
    else:
        rank_eng = _int_array(np.zeros(n, dtype=np.int64), none)
        dec_eng = _int_array(np.zeros(n, dtype=np.int64), none)
        base_class = quint_lad
    ward = frame.ward
    cols: dict[str, object] = {c: ward[c] for c in _SCORED_COLUMNS[:6]}
    cols["method"] = frame.constant(method)
    cols["scope"] = frame.constant(scope)
    cols.update({
        "ace_score": score,
        "ace_rank_england": rank_eng,
        "ace_decile_england": dec_eng,
        "ace_rank_in_lad": _int_array(rank_lad, ~ok),
        "ace_quintile_in_lad": _int_array(quint_lad, ~ok),
        "n_indicators": n_ind,
    })
    ns = frame.components[scope]["normal"]
    for k, ind in enumerate(INDICATORS):
        cols[ind.ns_column] = ns[:, k]
    if w[NAMES.index("recorded_crime")] > 0:
        cols["crime_source"] = ward["recorded_crime_source"]
    else:
        cols["crime_source"] = frame.constant("iod_crime_score")
    return pd.DataFrame(cols, copy=False), base_class


def _int_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable ``Int64`` array (``mask`` true = missing)."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.asarray(mask, bool))


def _ward_ace_shape(df: pd.DataFrame, method: str, scope: str, w: np.ndarray) -> pd.DataFrame:
    """Reshape a scored frame to ``ward_ace``'s columns (as ``queries/ace_tables.sql`` does)."""
    cols = {c: df[c] for c in _SCORED_COLUMNS[:6]}
    cols["method"] = pd.Series([method] * len(df), dtype="str")
    cols["scope"] = pd.Series([scope] * len(df), dtype="str")
    cols.update({c: df[c] for c in _SCORED_COLUMNS[6:-1]})
    if w[NAMES.index("recorded_crime")] > 0:
        cols["crime_source"] = df["recorded_crime_source"]
    else:
        cols["crime_source"] = pd.Series(["iod_crime_score"] * len(df), dtype="str")
    return pd.DataFrame(cols, copy=False)


def _tidy_types(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("ace_rank_england", "ace_decile_england", "ace_rank_in_lad",
              "ace_quintile_in_lad"):
        df[c] = df[c].astype("Int64")
    df["n_indicators"] = df["n_indicators"].astype(np.int64)
    return df.reset_index(drop=True)


def compute_index(source: IndicatorFrame | duckdb.DuckDBPyConnection | pd.DataFrame,
                  method: str = "lewer", weights: Mapping[str, float] | None = None,
                  scope: str = "england", *, stability: bool = False, draws: int = DRAWS,
                  seed: int = SEED, concentration: float = CONCENTRATION,
                  engine: str = "auto") -> pd.DataFrame:
    """Compute the modelled ACE risk index for every ward (tidy, one row per ward).

    Parameters
    ----------
    source
        An :class:`IndicatorFrame` (fast path, what the app keeps cached), an
        open store connection, or a DataFrame shaped like ``ward_indicators_england``.
    method
        ``lewer`` (default), ``weighted`` or ``exponential``
        (:data:`~needsmap.index.methods.METHODS`).
    weights
        ``{indicator: weight}`` (normalised here; indicators not named get 0).
        ``None``: equal weights on the default indicators.
    scope
        ``england``: national ranks and deciles; ``lad``: indicators re-ranked
        within each LAD (``ace_rank_england`` / ``ace_decile_england`` are then
        empty).
    stability
        Add the rank-stability columns (:mod:`needsmap.index.stability`).
    draws, seed, concentration
        Stability settings.
    engine
        ``auto`` (SQL for a connection, numpy otherwise), ``sql`` or ``numpy``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS` (+ :data:`~needsmap.index.stability.STABILITY_COLUMNS`),
        sorted by ward code: the shape of the store's ``ward_ace``.
        ``ace_rank_england = 1`` is the highest modelled risk, decile 1 the highest 10%.

    Raises
    ------
    IndexSpecError
        Unknown method, indicator or scope; negative, non-finite or all-zero weights.
    """
    m = get_method(method)
    scope = check_scope(scope)
    w = normalise_weights(weights)
    if engine not in ("auto", "sql", "numpy"):
        raise IndexSpecError(f"unknown engine {engine!r}; valid engines: auto, sql, numpy")
    is_con = isinstance(source, duckdb.DuckDBPyConnection)
    if engine == "sql" or (engine == "auto" and is_con):
        if isinstance(source, IndicatorFrame):
            raise IndexSpecError("engine='sql' needs a connection or a DataFrame")
        con = source if is_con else _frame_connection(source)
        try:
            out = compute_index_sql(con, m.name, weights, scope)
            frame = load_indicator_frame(con) if stability else None
        finally:
            if not is_con:
                con.close()
        if stability:
            base = out["ace_decile_england"] if scope == "england" else out["ace_quintile_in_lad"]
            base_class = base.fillna(0).to_numpy(dtype=np.int64)
        out = _ward_ace_shape(out, m.name, scope, w)
    else:
        frame = source if isinstance(source, IndicatorFrame) else load_indicator_frame(source)
        out, base_class = _score_numpy(frame, m.name, w, scope)
    if stability:
        assert frame is not None
        st = rank_stability(frame.components[scope][m.component], w, base_class,
                            frame.lad_ids, frame.n_lads, scope, draws, seed, concentration)
        out = pd.concat([out.reset_index(drop=True), st], axis=1)
    return out
